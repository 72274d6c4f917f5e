# tessera-heat checkpoint/restart, signals, snapshots and output safety (docs/io.md).
set(heat $<TARGET_FILE:tessera-heat>)
set(heat_checkpoint_driver ${CMAKE_CURRENT_SOURCE_DIR}/heat_checkpoint.py)

# Driver cases: each runs the app several times under mpirun and compares final fields bitwise
# with an uninterrupted run.
foreach(case kill9 kill9_mid_write ranks corrupt truncated sigusr1 sigterm_ranks bad_input series
             unwritable)
  tessera_add_app_test(NAME apps.heat.checkpoint.${case} NP 0 LABELS "heat;io" TIMEOUT 180
    COMMAND ${TESSERA_PYTHON} ${heat_checkpoint_driver} ${heat} ${MPIEXEC_EXECUTABLE} ${case})
endforeach()

# --restart auto without any checkpoint starts from the initial condition and says so.
tessera_add_app_test(NAME apps.heat.checkpoint.auto_without_checkpoint NP 2 LABELS "heat;io"
  STDOUT "--restart auto: no checkpoint in out/heat/checkpoints; starting from the initial condition"
         "self-check: .* PASSED"
  FILES out/heat/heat.h5 out/heat/summary.json
  COMMAND ${heat} --cells 32 24 --steps 20 --restart auto)
# --max-wall-time: checkpoint, exit 0, completed false, before the limit; wall-time checkpoints
# (--checkpoint-interval) on the way.
tessera_add_app_test(NAME apps.heat.checkpoint.max_wall_time NP 2 LABELS "heat;io" MAX_SECONDS 30
  STDOUT "--max-wall-time: checkpointing at step [0-9]+ of 100000000 and stopping"
  FILES out/heat/summary.json
  CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/check_heat_stopped.py
  COMMAND ${heat} --cells 64 64 --steps 100000000 --max-wall-time 4 --checkpoint-interval 0.5)
# Output safety: bad restart input writes nothing; a path below a file cannot be an output
# directory.
tessera_add_app_test(NAME apps.heat.checkpoint.bad_restart_missing NP 2 EXIT 2 LABELS "heat;io"
  STDERR_COUNT "error: nowhere\\.h5: no such file=1" NO_OUTPUT out
  COMMAND ${heat} --cells 16 16 --restart nowhere.h5)
tessera_add_app_test(NAME apps.heat.checkpoint.bad_restart_empty_file NP 2 EXIT 2 LABELS "heat;io"
  SETUP_FILES empty.h5 NO_OUTPUT out
  STDERR_COUNT "error: empty\\.h5: cannot open as HDF5 .*file signature not found=1"
  COMMAND ${heat} --cells 16 16 --restart empty.h5)
tessera_add_app_test(NAME apps.heat.checkpoint.bad_output_below_file NP 2 EXIT 2 LABELS "heat;io"
  SETUP_FILES blocker
  STDERR_COUNT "error: --output blocker/out: cannot create: Not a directory=1"
  COMMAND ${heat} --cells 16 16 --checkpoint-every 5 --output blocker/out)
tessera_add_app_test(NAME apps.heat.checkpoint.bad_benchmark_combination NP 1 EXIT 2 LABELS "heat;io"
  STDERR_COUNT "error: --benchmark runs without --restart=1" NO_OUTPUT out
  COMMAND ${heat} --cells 16 16 --benchmark --checkpoint-every 5)
# --help documents the options and the exit-code contract.
tessera_add_app_test(NAME apps.heat.checkpoint.help NP 1 LABELS "heat;io" NO_OUTPUT out
  STDOUT "--checkpoint-every" "--checkpoint-interval" "--keep-checkpoints" "--restart"
         "--max-wall-time" "--snapshot-every" "--snapshot-time" "--snapshot-png" "Exit codes: 0 finished"
  COMMAND ${heat} --help)
