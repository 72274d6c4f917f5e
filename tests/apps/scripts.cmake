# The user-facing scripts: scaling sweep -> CSV -> plot, and the HDF5 field viewer.
add_test(NAME scripts.scaling
         COMMAND bash ${PROJECT_SOURCE_DIR}/tests/scripts/scaling_test.sh ${PROJECT_SOURCE_DIR}
                 $<TARGET_FILE:tessera-heat> ${CMAKE_CURRENT_BINARY_DIR}/scripts.scaling)
set_tests_properties(scripts.scaling PROPERTIES TIMEOUT 300 PROCESSORS 2 LABELS "app;scripts"
                     ENVIRONMENT "${TESSERA_MPI_TEST_ENV};OMP_NUM_THREADS=1")
