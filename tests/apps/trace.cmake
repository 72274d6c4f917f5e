# --trace DIR (run layer, every app): tessera-heat writes a Chrome trace and an OTF2 archive
# whose tracks/locations, nesting and per-label durations agree with summary.json, with the
# library's MPI waits (halo, checkpoint token and agreement) as wait regions; bad --trace paths
# exit 2 writing nothing.
set(heat $<TARGET_FILE:tessera-heat>)
foreach(np 1 2 4)
  foreach(threads 1 2)
    tessera_add_app_test(NAME apps.trace.heat_np${np}_t${threads} NP ${np} THREADS ${threads} LABELS heat trace
      FILES out/heat/summary.json traces/trace.json traces/otf2/traces.otf2
      STDOUT "thread idle: [0-9.]+% of stencil.sweep \\(avg over ranks\\)"
      CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/check_trace.py ${CMAKE_CURRENT_SOURCE_DIR}/check_otf2.py
      COMMAND ${heat} --cells 64 48 --steps 40 --checkpoint-every 20 --trace traces)
  endforeach()
endforeach()
tessera_add_app_test(NAME apps.trace.help NP 1 LABELS trace STDOUT "--trace" NO_OUTPUT out COMMAND ${heat} --help)
tessera_add_app_test(NAME apps.trace.bad_file_for_folder NP 2 EXIT 2 LABELS heat trace
  SETUP_FILES afile NO_OUTPUT out
  STDERR_COUNT "^tessera-heat: error: --trace: afile: exists and is not a directory=1"
  COMMAND ${heat} --cells 16 16 --steps 2 --trace afile)
tessera_add_app_test(NAME apps.trace.bad_file_in_path NP 2 EXIT 2 LABELS heat trace
  SETUP_FILES afile NO_OUTPUT out
  STDERR_COUNT "^tessera-heat: error: --trace: afile/sub: .*afile exists and is not a directory=1"
  COMMAND ${heat} --cells 16 16 --steps 2 --trace afile/sub)
# /proc takes no new files, even from root (permission bits would not stop root).
tessera_add_app_test(NAME apps.trace.bad_unwritable NP 2 EXIT 2 LABELS heat trace
  NO_OUTPUT out
  STDERR_COUNT "^tessera-heat: error: --trace: /proc/tessera-trace/x: cannot write in /proc=1"
  COMMAND ${heat} --cells 16 16 --steps 2 --trace /proc/tessera-trace/x)
tessera_add_app_test(NAME apps.trace.bad_existing_trace NP 2 EXIT 2 LABELS heat trace
  SETUP_FILES traces/trace.json NO_OUTPUT out
  STDERR_COUNT "^tessera-heat: error: --trace: traces: trace.json exists \\(pass --overwrite to replace it\\)=1"
  COMMAND ${heat} --cells 16 16 --steps 2 --trace traces)
tessera_add_app_test(NAME apps.trace.bad_existing_otf2 NP 2 EXIT 2 LABELS heat trace
  SETUP_FILES traces/otf2/traces.otf2 NO_OUTPUT out
  STDERR_COUNT "^tessera-heat: error: --trace: traces: otf2 exists \\(pass --overwrite to replace it\\)=1"
  COMMAND ${heat} --cells 16 16 --steps 2 --trace traces)
# --overwrite replaces the whole archive folder: a stale file in it is gone afterwards.
tessera_add_app_test(NAME apps.trace.overwrite_otf2 NP 2 LABELS heat trace
  SETUP_FILES traces/trace.json traces/otf2/stale NO_OUTPUT traces/otf2/stale
  FILES traces/trace.json traces/otf2/traces.otf2 traces/otf2/traces.def
  COMMAND ${heat} --cells 16 16 --steps 2 --trace traces --overwrite)
# scripts/plot_trace.py on a 2 x 2 run: PNG size and colours, summary totals vs the trace, bad input.
tessera_add_app_test(NAME apps.trace.plot NP 2 THREADS 2 LABELS heat trace scripts
  FILES traces/trace.json
  CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/plot_trace_check.py
  COMMAND ${heat} --cells 128 96 --steps 20 --trace traces)
# Imbalance report: an uneven split along axis 0 (3 columns on 2 ranks) against an even one.
tessera_add_app_test(NAME apps.heat.imbalance_uneven NP 2 LABELS heat trace
  FILES out/heat/summary.json CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/check_imbalance.py
  COMMAND ${heat} --cells 3 1048576 --procs 2 1 --steps 20)
# The even split's factor is a timing ratio: on a shared machine one run in a few reads 1.12
# (one rank slowed throughout), so up to three runs may try; the uneven split reads 2.0 every
# time, which no retry can turn into a pass below 1.1.
tessera_add_app_test(NAME apps.heat.imbalance_even NP 2 LABELS heat trace ATTEMPTS 3
  FILES out/heat/summary.json CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/check_imbalance.py
  COMMAND ${heat} --cells 2048 2048 --procs 2 1 --steps 400)
# docs/profiling.md's commands, as a user would type them.
add_test(NAME docs.profiling COMMAND ${TESSERA_PYTHON} ${PROJECT_SOURCE_DIR}/tests/support/run_doc_commands.py
                                     ${PROJECT_SOURCE_DIR}/docs/profiling.md ${PROJECT_SOURCE_DIR} $<TARGET_FILE_DIR:tessera-heat>)
set_tests_properties(docs.profiling PROPERTIES TIMEOUT 180 PROCESSORS 2 LABELS "docs;app;trace"
                     ENVIRONMENT "${TESSERA_MPI_TEST_ENV}")
