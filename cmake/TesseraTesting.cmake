# Test registration: serial gtests, MPI gtests at each rank count, and app runs under mpirun.
# The settings MPI needs here (root, oversubscription, no binding, passive waiting) live in
# the registration, never in a user's command. The ob1 messaging layer (shared memory on one
# node) in place of UCX: UCX's start-up is most of a short test run's time and buys nothing
# within one node (README.md, Troubleshooting).

set(TESSERA_MPI_TEST_ENV
  OMPI_ALLOW_RUN_AS_ROOT=1
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  OMPI_MCA_rmaps_base_oversubscribe=1
  OMPI_MCA_hwloc_base_binding_policy=none
  OMPI_MCA_mpi_yield_when_idle=1
  OMPI_MCA_pml=ob1
  OMP_WAIT_POLICY=PASSIVE
  GTEST_COLOR=no)
set(TESSERA_PYTHON /usr/bin/python3)
if(NOT EXISTS ${TESSERA_PYTHON})
  set(TESSERA_PYTHON ${Python3_EXECUTABLE})
endif()

# tessera_add_serial_test(NAME <module>.<unit> SOURCES ... [LIBS ...] [TIMEOUT s])
function(tessera_add_serial_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  string(REPLACE "." "_" target "test_${ARG_NAME}")
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} GTest::gtest_main)
  tessera_target_options(${target})
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  string(REGEX MATCH "^[^.]+" module ${ARG_NAME})
  add_test(NAME ${ARG_NAME} COMMAND ${target})
  set_tests_properties(${ARG_NAME} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "unit;${module}"
                       ENVIRONMENT "GTEST_COLOR=no;OMP_NUM_THREADS=2")
endfunction()

# tessera_add_mpi_test(NAME <module>.<unit> SOURCES ... [LIBS ...] [RANKS n...] [THREADS t]
#                      [TIMEOUT s]) registers <module>.<unit>.np<N> for each rank count.
function(tessera_add_mpi_test)
  cmake_parse_arguments(ARG "" "NAME;THREADS;TIMEOUT" "SOURCES;LIBS;RANKS" ${ARGN})
  string(REPLACE "." "_" target "test_${ARG_NAME}")
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} tessera_mpi_gtest_main)
  tessera_target_options(${target})
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  if(NOT ARG_RANKS)
    set(ARG_RANKS ${TESSERA_MPI_TEST_RANKS})
  endif()
  if(NOT ARG_THREADS)
    set(ARG_THREADS 2)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 180)
  endif()
  string(REGEX MATCH "^[^.]+" module ${ARG_NAME})
  foreach(np IN LISTS ARG_RANKS)
    set(test ${ARG_NAME}.np${np})
    add_test(NAME ${test}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MPIEXEC_PREFLAGS}
                     $<TARGET_FILE:${target}> ${MPIEXEC_POSTFLAGS})
    set_tests_properties(${test} PROPERTIES
      TIMEOUT ${ARG_TIMEOUT} PROCESSORS ${np} LABELS "mpi;${module}"
      ENVIRONMENT "${TESSERA_MPI_TEST_ENV};OMP_NUM_THREADS=${ARG_THREADS}")
  endforeach()
endfunction()

# tessera_add_app_test(NAME apps.<app>.<case> NP n [THREADS t] [EXIT code] [TIMEOUT s]
#                      [STDOUT regex...] [STDERR regex...] [STDERR_COUNT "regex=count"...]
#                      [NO_OUTPUT dir] [FILES path...] [WORKDIR dir] [MAX_SECONDS s]
#                      [CHECK_SCRIPT file.py...] [SETUP_FILES path...] COMMAND exe args...)
# Runs the command under mpirun through tests/support/run_app.py, which checks the exit code,
# output patterns, and which files exist afterwards.
function(tessera_add_app_test)
  cmake_parse_arguments(ARG "" "NAME;NP;THREADS;EXIT;TIMEOUT;NO_OUTPUT;WORKDIR;MAX_SECONDS;ATTEMPTS"
                        "CHECK_SCRIPT;STDOUT;STDERR;STDERR_COUNT;FILES;SETUP_FILES;COMMAND;LABELS" ${ARGN})
  if(NOT DEFINED ARG_NP)
    set(ARG_NP 1)
  endif()
  set(processors ${ARG_NP})
  if(ARG_NP EQUAL 0)  # a driver script that launches mpirun itself, up to 4 ranks
    set(processors 4)
  endif()
  if(NOT ARG_THREADS)
    set(ARG_THREADS 1)
  endif()
  if(NOT DEFINED ARG_EXIT)
    set(ARG_EXIT 0)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  if(NOT ARG_WORKDIR)
    set(ARG_WORKDIR ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME})
  endif()
  set(checks --exit ${ARG_EXIT} --np ${ARG_NP} --workdir ${ARG_WORKDIR}
             --mpiexec ${MPIEXEC_EXECUTABLE})
  foreach(r IN LISTS ARG_STDOUT)
    list(APPEND checks "--stdout=${r}")
  endforeach()
  foreach(r IN LISTS ARG_STDERR)
    list(APPEND checks "--stderr=${r}")
  endforeach()
  foreach(r IN LISTS ARG_STDERR_COUNT)
    list(APPEND checks "--stderr-count=${r}")
  endforeach()
  foreach(f IN LISTS ARG_SETUP_FILES)
    list(APPEND checks --setup-file ${f})
  endforeach()
  foreach(f IN LISTS ARG_FILES)
    list(APPEND checks --file ${f})
  endforeach()
  if(ARG_NO_OUTPUT)
    list(APPEND checks --no-output ${ARG_NO_OUTPUT})
  endif()
  if(ARG_MAX_SECONDS)
    list(APPEND checks --max-seconds ${ARG_MAX_SECONDS})
  endif()
  if(ARG_ATTEMPTS)
    list(APPEND checks --attempts ${ARG_ATTEMPTS})
  endif()
  foreach(script IN LISTS ARG_CHECK_SCRIPT)  # several run in order
    list(APPEND checks --check-script ${script})
  endforeach()
  add_test(NAME ${ARG_NAME}
           COMMAND ${TESSERA_PYTHON} ${PROJECT_SOURCE_DIR}/tests/support/run_app.py ${checks}
                   -- ${ARG_COMMAND})
  set_tests_properties(${ARG_NAME} PROPERTIES
    TIMEOUT ${ARG_TIMEOUT} PROCESSORS ${processors} LABELS "app;${ARG_LABELS}"
    ENVIRONMENT "${TESSERA_MPI_TEST_ENV};OMP_NUM_THREADS=${ARG_THREADS}")
endfunction()
