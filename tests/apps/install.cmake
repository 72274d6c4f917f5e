# Install tests: install this build into a fresh prefix, then use it as an outside project
# would (find_package + the consumer in tests/install_consumer/, and pkg-config + mpicxx).
# The sanitizer flags of this build go to the consumer too: the static libraries need them.
set(_install_flags "")
if(TESSERA_SANITIZE)
  set(_install_flags "-fsanitize=${TESSERA_SANITIZE}")
endif()
foreach(mode consumer pkgconfig)
  if(mode STREQUAL "consumer")
    set(_compiler ${CMAKE_CXX_COMPILER})
  else()
    set(_compiler ${MPI_CXX_COMPILER})
  endif()
  add_test(NAME install.${mode}
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/install/install_test.sh ${mode}
                   ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/install.${mode} ${MPIEXEC_EXECUTABLE} ${_compiler}
                   "${_install_flags}")
  set_tests_properties(install.${mode} PROPERTIES TIMEOUT 600 PROCESSORS 2 LABELS install
                       ENVIRONMENT "${TESSERA_MPI_TEST_ENV};OMP_NUM_THREADS=1")
endforeach()
