# tessera-heat: runs under mpirun, outputs, self-check, layouts, and every bad-input path.
set(heat $<TARGET_FILE:tessera-heat>)

tessera_add_app_test(NAME apps.heat.run2d NP 2 THREADS 1 LABELS heat
  STDOUT "self-check: .* PASSED" "process grid 1 2" "stencil.heat" "wrote out/heat/heat.h5"
  FILES out/heat/heat.h5 out/heat/heat.xdmf out/heat/heat.png out/heat/summary.json
  CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/check_heat_outputs.py
  COMMAND ${heat} --cells 64 48 --steps 50)
tessera_add_app_test(NAME apps.heat.run3d_27pt NP 2 THREADS 2 LABELS heat
  STDOUT "self-check: .* PASSED" FILES out/heat/heat.h5
  COMMAND ${heat} --dim 3 --cells 16 16 16 --steps 20 --stencil 27pt --bc neumann)
tessera_add_app_test(NAME apps.heat.config_file NP 4 THREADS 1 LABELS heat
  STDOUT "self-check: .* PASSED" "stencil star2" FILES out/heat/summary.json
  COMMAND ${heat} --config ${PROJECT_SOURCE_DIR}/data/heat/small.toml --steps 30)
tessera_add_app_test(NAME apps.heat.benchmark NP 2 THREADS 1 LABELS heat FILES out/heat/summary.json
  STDOUT "Gcell/s" "triad after each repetition: median .* GB/s" "median of the per-repetition ratios"
  CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/check_bench_ratios.py
  COMMAND ${heat} --cells 256 128 --steps 20 --benchmark --repetitions 3)
tessera_add_app_test(NAME apps.heat.help NP 1 LABELS heat STDOUT "--cells" "--stencil" "--cfl"
  NO_OUTPUT out COMMAND ${heat} --help)
set(layouts_mode "")
if(TESSERA_SANITIZE)
  set(layouts_mode --quick)  # every run is several times slower under the sanitizers
endif()
tessera_add_app_test(NAME apps.heat.layouts NP 0 LABELS heat TIMEOUT 600
  COMMAND ${TESSERA_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/heat_layouts.py ${heat} ${MPIEXEC_EXECUTABLE}
          ${layouts_mode})

# Bad input: exit 2, one line naming the problem, nothing written.
function(heat_bad_input case regex)
  tessera_add_app_test(NAME apps.heat.bad_${case} NP 2 EXIT 2 LABELS heat
    STDERR_COUNT "error:=1" STDERR "${regex}" NO_OUTPUT out COMMAND ${heat} ${ARGN})
endfunction()
heat_bad_input(zero_cells "--cells: x has 0 cells" --cells 0 16)
heat_bad_input(negative_cells "--cells: y has -4 cells" --cells 16 -4)
heat_bad_input(ranks_exceed_cells "2 ranks along y but only 1 cells" --cells 16 1 --procs 1 2)
heat_bad_input(unstable_dt "--dt 0.01 is unstable .* largest stable dt is" --cells 32 32 --dt 0.01)
heat_bad_input(unknown_stencil "unknown stencil '13pt'" --stencil 13pt)
heat_bad_input(missing_init_file "--init-file nowhere.h5: no such file" --init file --init-file nowhere.h5)
heat_bad_input(wrong_count "--cells: give 3 values" --dim 3 --cells 8 8)
heat_bad_input(bad_bc "--bc" --bc robin)
heat_bad_input(time_block_box_stencil "--time-block needs a star stencil" --cells 16 16 --stencil 9pt --time-block 2)
# CLI11's number checks let nan and inf through; the app refuses them by name.
heat_bad_input(nan_bc_value "--bc-value: must be a finite number, got nan" --cells 16 16 --bc-value nan)
heat_bad_input(infinite_extent "--extent: must be a finite number, got inf" --cells 16 16 --extent inf 1)
heat_bad_input(nan_dt "--dt: must be a finite number, got nan" --cells 16 16 --dt nan)
heat_bad_input(cells_overflow "--cells: 9223372036854775807 x 2 cells overflow 64-bit global indices"
  --cells 9223372036854775807 2)
# Refused before any allocation (about 1.3e11 GiB: more than any node has).
heat_bad_input(cells_beyond_memory "--cells 3000000000 3000000000 \\(two fields\\): needs [0-9.e+]+ GiB on a node"
  --cells 3000000000 3000000000)
heat_bad_input(time_too_many_steps "--time 1e\\+30 needs [0-9.e+]+ steps of dt .*; at most 2\\^53" --cells 16 16 --time 1e30)
tessera_add_app_test(NAME apps.heat.bad_init_file_not_hdf5 NP 2 EXIT 2 LABELS heat
  SETUP_FILES empty.h5 NO_OUTPUT out
  STDERR_COUNT "error: --init-file empty.h5: not an HDF5 file, or unreadable=1"
  COMMAND ${heat} --cells 16 16 --init file --init-file empty.h5)
tessera_add_app_test(NAME apps.heat.bad_output_exists NP 2 EXIT 2 LABELS heat
  SETUP_FILES out/heat/previous.txt NO_OUTPUT out/heat/heat.h5
  STDERR_COUNT "error: --output out/heat: directory exists and is not empty=1"
  COMMAND ${heat} --cells 16 16 --steps 2)
tessera_add_app_test(NAME apps.heat.overwrite NP 2 EXIT 0 LABELS heat
  SETUP_FILES out/heat/previous.txt FILES out/heat/heat.h5 out/heat/previous.txt
  COMMAND ${heat} --cells 16 16 --steps 2 --overwrite)
# Self-check edge cases. A mode that decays to 1e-9 of its amplitude still passes (errors are
# relative to the largest amplitude, not the final one); a field that blew up to inf/NaN with
# the NaN check off fails (a NaN error must not be dropped by max()); a non-zero Dirichlet wall
# value has no single-mode exact solution, so the check is skipped, not failed.
tessera_add_app_test(NAME apps.heat.selfcheck_decayed_mode NP 2 LABELS heat
  STDOUT "self-check: .* PASSED" COMMAND ${heat} --cells 64 64 --mode 8 8 --steps 300)
tessera_add_app_test(NAME apps.heat.selfcheck_non_finite NP 2 EXIT 1 LABELS heat
  STDOUT "self-check: max error vs the exact discrete solution inf .* FAILED"
  COMMAND ${heat} --cells 32 32 --mode 16 16 --dt 0.01 --allow-unstable --check-every 0 --steps 400)
tessera_add_app_test(NAME apps.heat.selfcheck_wall_value NP 2 LABELS heat
  STDOUT "self-check: skipped" COMMAND ${heat} --cells 32 32 --steps 20 --bc-value 0.5)
# A final time shorter than dt is one step of that length (it was 0 steps of an infinite dt).
tessera_add_app_test(NAME apps.heat.tiny_final_time NP 2 LABELS heat
  STDOUT ", 1 steps," "self-check: .* PASSED" COMMAND ${heat} --cells 16 16 --time 1e-30)
# A blow-up is a runtime failure (exit 1) naming the step and the rank.
tessera_add_app_test(NAME apps.heat.nan_detected NP 2 EXIT 1 LABELS heat
  STDERR_COUNT "error: non-finite value \\(NaN or Inf\\) after step [0-9]+ on rank [01]=1"
  COMMAND ${heat} --cells 32 32 --dt 0.01 --allow-unstable --steps 500 --check-every 20 --init hotspot)

# --watchdog: the last rank stops making progress after step 3 (test hook); the watchdog ends
# the job within seconds, naming the rank(s) and the last completed step, instead of a hang.
tessera_add_app_test(NAME apps.heat.watchdog NP 2 EXIT nonzero LABELS heat MAX_SECONDS 40
  STDERR "\\[rank [01]\\] fatal: watchdog: no progress for [0-9.]+ s \\(last: completed step [0-9]+\\); ending the job"
  COMMAND ${heat} --cells 64 64 --steps 1000000 --watchdog 2)
set_property(TEST apps.heat.watchdog APPEND PROPERTY ENVIRONMENT "TESSERA_TEST_HANG_AFTER_STEP=3")
# A healthy run with a watchdog finishes normally.
tessera_add_app_test(NAME apps.heat.watchdog_quiet NP 2 LABELS heat
  STDOUT "self-check: .* PASSED" COMMAND ${heat} --cells 64 48 --steps 50 --watchdog 30)
