# tessera-cg: 2D and 3D solves with their self-check, a non-converged run, bad input, and
# checkpoint/restart (kill -9, SIGUSR1, --max-wall-time, refused restarts) through cg_checkpoint.py.
if(TARGET tessera-cg)
  set(cg $<TARGET_FILE:tessera-cg>)
  tessera_add_app_test(NAME apps.cg.2d NP 2 FILES out/cg/summary.json
    STDOUT "check: max \\|u_h - u\\| = .* PASSED" "process grid: 1 x 2" "linalg.cg.update"
    CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/cg_check.py
    COMMAND ${cg} --dim 2 --cells 40 31)
  tessera_add_app_test(NAME apps.cg.3d_jacobi_config NP 4 THREADS 2 FILES out/cg/summary.json
    STDOUT "PASSED" "process grid: 1 x" CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/cg_check.py
    COMMAND ${cg} --config ${PROJECT_SOURCE_DIR}/data/cg/small.toml)
  tessera_add_app_test(NAME apps.cg.benchmark NP 2 FILES out/cg/summary.json
    STDOUT "memory: triad after each solve, median .* GB/s" "% of the bandwidth bound"
    CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/check_bench_ratios.py
    COMMAND ${cg} --dim 3 --cells 16 16 16 --benchmark --repetitions 4)
  # Not converged within --max-iter: a failed self-check (exit 1), output still written.
  tessera_add_app_test(NAME apps.cg.not_converged NP 2 EXIT 1 FILES out/cg/summary.json
    STDOUT "NOT converged" "FAILED" COMMAND ${cg} --cells 40 40 --max-iter 3)
  tessera_add_app_test(NAME apps.cg.help NP 1 STDOUT "--tol" "--max-iter" "--precond" "--cells"
    "--checkpoint-every" "--checkpoint-interval" "--keep-checkpoints" "--restart" "--max-wall-time"
    "--watchdog" "--solver" "--mg-cycle" "--mg-smoother" "rbgs \\(red-black Gauss-Seidel\\)" "--mg-sweeps" "--mg-coarsest"
    "Exit codes: 0 finished" COMMAND ${cg} --help)
  # Multigrid: as CG's preconditioner on an odd size over an uneven process grid, and as the
  # solver (F-cycles, Jacobi); level timers and the hierarchy in summary.json.
  tessera_add_app_test(NAME apps.cg.mg_precond NP 2 FILES out/cg/summary.json
    STDOUT "multigrid: 3 levels" "multigrid.level0.smooth" "PASSED"
    CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/cg_mg_check.py
    COMMAND ${cg} --dim 3 --cells 33 17 29 --procs 1 2 1 --precond mg --tol 1e-8)
  tessera_add_app_test(NAME apps.cg.mg_benchmark NP 2 FILES out/cg/summary.json
    STDOUT "multigrid: a V-cycle alone takes .* ms .* moves at least .* MB: bound .* achieved .*% of the bandwidth bound"
    "set up in .* s" CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/cg_mg_check.py
    COMMAND ${cg} --dim 3 --cells 47 40 33 --precond mg --benchmark --repetitions 2)
  tessera_add_app_test(NAME apps.cg.mg_solver NP 2 FILES out/cg/summary.json
    STDOUT "^mg: [0-9]+ cycles, converged" "PASSED" CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/cg_mg_check.py
    COMMAND ${cg} --dim 2 --cells 128 96 --solver mg --mg-cycle f --mg-smoother jacobi --mg-sweeps 3 --tol 1e-8)
  # Pipelined CG with the multigrid preconditioner: converges like CG, its own timers; it
  # refuses the checkpoint options as --solver mg does.
  tessera_add_app_test(NAME apps.cg.pipecg_mg NP 2 FILES out/cg/summary.json
    STDOUT "^pipecg: [0-9]+ iterations, converged" "linalg.pipecg.wait" "PASSED"
    CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/cg_pipecg_check.py
    COMMAND ${cg} --dim 3 --cells 33 17 29 --procs 1 2 1 --solver pipecg --precond mg --tol 1e-8)
  tessera_add_app_test(NAME apps.cg.pipecg_no_checkpoints NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-cg: error: --solver pipecg runs without --restart, --checkpoint-\\* and --max-wall-time$=1"
    COMMAND ${cg} --solver pipecg --checkpoint-every 5)
  # Red-black Gauss-Seidel as the smoother of CG's V-cycle preconditioner, 2D over 2 ranks.
  tessera_add_app_test(NAME apps.cg.mg_rbgs NP 2 FILES out/cg/summary.json
    STDOUT "rbgs x 1" "stencil.poisson.relax" "PASSED" CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/cg_mg_check.py
    COMMAND ${cg} --dim 2 --cells 127 96 --precond mg --mg-smoother rbgs --mg-sweeps 1 --tol 1e-8)
  tessera_add_app_test(NAME apps.cg.bad_mg_smoother NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-cg: error: --mg-smoother: gauss not in \\{jacobi,chebyshev,rbgs\\}$=1"
    COMMAND ${cg} --precond mg --mg-smoother gauss)
  tessera_add_app_test(NAME apps.cg.negative_mg_sweeps NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-cg: error: --mg-sweeps: -1 must be >= 1$=1" COMMAND ${cg} --precond mg --mg-sweeps -1)
  tessera_add_app_test(NAME apps.cg.bad_mg_coarsest NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-cg: error: --mg-coarsest: 0 must be in \\[1, [0-9]+\\] unknowns.*=1"
    COMMAND ${cg} --solver mg --mg-coarsest 0)
  # Bad input: exit 2, one error line naming the option, nothing written.
  tessera_add_app_test(NAME apps.cg.bad_tol NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-cg: error: --tol: 0 must be in \\(0, 1e300\\)$=1" COMMAND ${cg} --tol 0)
  tessera_add_app_test(NAME apps.cg.negative_tol NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-cg: error: --tol: -1e-06 must be in \\(0, 1e300\\)$=1" COMMAND ${cg} --tol -1e-6)
  tessera_add_app_test(NAME apps.cg.cells_for_dim NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-cg: error: --cells: 2 values given for --dim 3$=1"
    COMMAND ${cg} --dim 3 --cells 10 10)
  tessera_add_app_test(NAME apps.cg.bad_precond NP 1 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-cg: error: --precond.*=1" COMMAND ${cg} --precond ilu)
  # Refused before allocating (Linux would grant it and OOM-kill a rank at first touch).
  tessera_add_app_test(NAME apps.cg.beyond_memory NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-cg: error: --cells 100000 100000 100000 \\(11 vectors\\): needs [0-9.e+]+ GiB on a node of 2 rank\\(s\\), which has .* GiB of memory$=1"
    COMMAND ${cg} --dim 3 --cells 100000 100000 100000)
  tessera_add_app_test(NAME apps.cg.split_x NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-cg: error: --procs: the x axis is never split.*=1"
    COMMAND ${cg} --procs 2 1)
  tessera_add_app_test(NAME apps.cg.bad_benchmark_combination NP 1 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-cg: error: --benchmark runs without --restart, --checkpoint-\\* and --max-wall-time$=1"
    COMMAND ${cg} --cells 16 16 --benchmark --checkpoint-every 5)
  tessera_add_app_test(NAME apps.cg.bad_restart_missing NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "error: nowhere\\.h5: no such file=1" COMMAND ${cg} --cells 16 16 --restart nowhere.h5)
  # --restart auto without a checkpoint: a fresh solve.
  tessera_add_app_test(NAME apps.cg.restart_auto_without_checkpoint NP 2 FILES out/cg/summary.json
    out/cg/solution.h5 STDOUT "PASSED" CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/cg_check.py
    COMMAND ${cg} --cells 40 31 --restart auto)

  # Checkpoint/restart under kill -9, signals and the wall-time limit (tests/apps/cg_checkpoint.py):
  # results bitwise identical to an uninterrupted run on other rank counts.
  set(cg_checkpoint_driver ${CMAKE_CURRENT_SOURCE_DIR}/cg_checkpoint.py)
  set(heat_exe "")
  if(TARGET tessera-heat)
    set(heat_exe $<TARGET_FILE:tessera-heat>)
  endif()
  foreach(case kill9_from4 kill9_from1 sigusr1 max_wall_time bad_input mg_resume heat_checkpoint)
    if(case STREQUAL "heat_checkpoint" AND NOT TARGET tessera-heat)
      continue()
    endif()
    tessera_add_app_test(NAME apps.cg.checkpoint.${case} NP 0 LABELS "io" TIMEOUT 180
      COMMAND ${TESSERA_PYTHON} ${cg_checkpoint_driver} ${cg} ${MPIEXEC_EXECUTABLE} ${case} ${heat_exe})
  endforeach()
endif()

# docs/cg.md's commands, as a user would type them.
if(TARGET tessera-cg)
  add_test(NAME docs.cg COMMAND ${TESSERA_PYTHON} ${PROJECT_SOURCE_DIR}/tests/support/run_doc_commands.py
                                ${PROJECT_SOURCE_DIR}/docs/cg.md ${PROJECT_SOURCE_DIR} $<TARGET_FILE_DIR:tessera-cg>)
  set_tests_properties(docs.cg PROPERTIES TIMEOUT 120 PROCESSORS 2 LABELS "docs;app"
                       ENVIRONMENT "${TESSERA_MPI_TEST_ENV}")
endif()
