# Slurm tests: a real one-node Slurm (munge + slurmctld + slurmd started by the test, state in
# the test's folder) runs scripts/slurm/heat.sbatch, interrupted by `scancel --signal=USR1
# --batch` and continued by the job it submits. SKIPPED (exit 77) when the daemons cannot start
# here (not root, packages missing) and, for the real app, while tessera-heat has no
# --checkpoint-every. Serial: the cluster uses fixed ports (16817/16818).
set(_slurm_test ${PROJECT_SOURCE_DIR}/tests/slurm/slurm_test.sh)
add_test(NAME slurm.job_script
         COMMAND bash ${_slurm_test} stub ${PROJECT_SOURCE_DIR}
                 ${PROJECT_SOURCE_DIR}/tests/slurm/checkpoint_stub.py
                 ${CMAKE_CURRENT_BINARY_DIR}/slurm.job_script)
add_test(NAME slurm.heat_restart
         COMMAND bash ${_slurm_test} heat ${PROJECT_SOURCE_DIR} $<TARGET_FILE:tessera-heat>
                 ${CMAKE_CURRENT_BINARY_DIR}/slurm.heat_restart)
set_tests_properties(slurm.job_script slurm.heat_restart PROPERTIES
  TIMEOUT 600 PROCESSORS 2 RUN_SERIAL TRUE RESOURCE_LOCK slurm SKIP_RETURN_CODE 77 LABELS slurm
  ENVIRONMENT "${TESSERA_MPI_TEST_ENV};OMP_NUM_THREADS=1")
