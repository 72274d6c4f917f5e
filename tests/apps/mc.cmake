# tessera-mc runs: success, bad input (exit 2, nothing written), help, config files, and the
# same bits in summary.json at 1 rank x 1 thread, 1 x 2, 2 x 1 and 4 x 2.
set(mc $<TARGET_FILE:tessera-mc>)
set(mc_compare ${PROJECT_SOURCE_DIR}/tests/montecarlo/compare_summaries.py)

tessera_add_app_test(NAME apps.mc.help NP 1 EXIT 0 STDOUT "pi" "option" "ep" "--seed"
  COMMAND ${mc} --help)
tessera_add_app_test(NAME apps.mc.version NP 1 EXIT 0 STDOUT "^tessera [0-9]" COMMAND ${mc} --version)
tessera_add_app_test(NAME apps.mc.option_help NP 1 EXIT 0
  STDOUT "--volatility" "--antithetic" "--monitoring" COMMAND ${mc} option --help)
tessera_add_app_test(NAME apps.mc.pi NP 2 EXIT 0 FILES out/mc/summary.json
  STDOUT "^pi: 3\\.1" "convergence:" "check: passed" "mc\\.pi"
  COMMAND ${mc} pi --samples 200000)
tessera_add_app_test(NAME apps.mc.option_european NP 2 EXIT 0 FILES out/mc/summary.json
  STDOUT "European price" "distance [0-9.]+ standard errors" "variance reduced" "check: passed"
  COMMAND ${mc} option --samples 50000 --strike 110 --payoff put --antithetic)
tessera_add_app_test(NAME apps.mc.option_config NP 2 EXIT 0 FILES out/mc/summary.json
  STDOUT "Asian \\(arithmetic\\) price" "geometric" "check: passed"
  COMMAND ${mc} option --config ${PROJECT_SOURCE_DIR}/data/mc/asian_put.toml --samples 20000)
tessera_add_app_test(NAME apps.mc.ising NP 2 THREADS 1 EXIT 0 FILES out/mc/summary.json
  STDOUT "energy per site" "1 x 2 process grid" "reference 0\\.98" "check: passed" "mc\\.ising\\.halo"
  COMMAND ${mc} ising --cells 64 64 --temperature 1.5 --sweeps 1000 --thermalize 100)
tessera_add_app_test(NAME apps.mc.ep_class_s NP 2 EXIT 0 FILES out/mc/summary.json
  STDOUT "EP class S" "\\(match\\)" "Mop/s" "check: passed"
  COMMAND ${mc} ep --class S)

# Bad input: exit 2, one line naming the option, no output directory.
foreach(case
    "samples_zero|--samples must be positive|pi;--samples;0"
    "samples_negative|--samples must be positive|option;--samples;-5"
    "volatility|--volatility must be positive|option;--volatility;0"
    "maturity|--maturity must be positive|option;--maturity;-1"
    "style|--style|option;--style;bermudan"
    "class|--class must be one of|ep;--class;Q"
    "temperature|--temperature must be positive|ising;--temperature;0"
    "odd_cells|--cells must be even|ising;--cells;63;64"
    "procs|process grid|ising;--procs;3;1"
    "sweeps|--sweeps must be positive|ising;--sweeps;0"
    "beyond_memory|--cells 1000000 1000000 .the lattice.: needs [0-9.e+]+ GiB on a node|ising;--cells;1000000;1000000"
    "sweep_empty|--temperature 2:2:5: empty range|ising;--temperature;2:2:5"
    "sweep_reversed|--temperature 3:1:5: reversed range|ising;--temperature;3:1:5"
    "sweep_count|--temperature 1:3:1: COUNT must be at least 2|ising;--temperature;1:3:1"
    "sweep_malformed|--temperature '1:x:5' is malformed|ising;--temperature;1:x:5"
    "sweep_two_parts|--temperature '1:3' is malformed|ising;--temperature;1:3"
    "sweep_not_positive|--temperature 0:2:4: temperatures must be positive|ising;--temperature;0:2:4"
    "sweep_resume_no_journal|--resume: no journal out/mc/ising_sweep.journal|ising;--temperature;1:3:4;--resume"
    "sweep_procs|--procs does not apply to a sweep|ising;--temperature;1:3:4;--procs;2;1"
    "resume_single|--resume applies to a sweep|ising;--temperature;2;--resume"
    "no_subcommand|subcommand|--seed;3"
    "unknown_key|unknown config key|pi;--config;${PROJECT_SOURCE_DIR}/data/tests/unknown_key.toml")
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 name)
  list(GET parts 1 message)
  list(SUBLIST parts 2 -1 args)
  tessera_add_app_test(NAME apps.mc.bad_${name} NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-mc: error: .*${message}=1" "error:=1"
    COMMAND ${mc} ${args})
endforeach()

# A non-empty output directory is refused without --overwrite.
tessera_add_app_test(NAME apps.mc.refuse_nonempty NP 1 EXIT 2
  STDERR "not empty" COMMAND ${mc} pi --samples 1000 --output ${PROJECT_SOURCE_DIR}/data/mc)

# Same bits at every layout: one run per layout (fixtures), then a comparison of summary.json.
function(mc_layout_tests sub keys)
  set(summaries)
  foreach(layout "1;1" "1;2" "2;1" "4;2")
    list(GET layout 0 np)
    list(GET layout 1 threads)
    set(test apps.mc.layout.${sub}.np${np}x${threads})
    tessera_add_app_test(NAME ${test} NP ${np} THREADS ${threads} EXIT 0
      FILES out/mc/summary.json COMMAND ${mc} ${ARGN} --quiet)
    set_tests_properties(${test} PROPERTIES FIXTURES_SETUP mc_layout_${sub})
    list(APPEND summaries ${CMAKE_CURRENT_BINARY_DIR}/${test}/out/mc/summary.json)
  endforeach()
  tessera_add_app_test(NAME apps.mc.layout.${sub}.same_bits NP 0 EXIT 0
    COMMAND ${TESSERA_PYTHON} ${mc_compare} ${keys} ${summaries})
  set_tests_properties(apps.mc.layout.${sub}.same_bits PROPERTIES FIXTURES_REQUIRED mc_layout_${sub})
endfunction()

mc_layout_tests(pi "estimate,stderr,ci95,convergence" pi --samples 100000 --seed 11)
mc_layout_tests(option "estimate,stderr,ci95,geometric,variance_reduction,convergence"
  option --style asian --monitoring 6 --antithetic --samples 20000)
mc_layout_tests(ep "sx,sy,q" ep --class S)
mc_layout_tests(ising "estimate,stderr,ci95,abs_magnetization,specific_heat,susceptibility,fingerprint"
  ising --cells 32 32 --temperature 2.4 --sweeps 200 --thermalize 20 --seed 5)

# Checkpoint and restart (docs/mc.md): kill -9 of one rank, SIGUSR1, --max-wall-time, then
# --restart auto on another rank count gives the uninterrupted run's bits; changed keys refused.
foreach(case kill9_ising kill9_pi stop_ising stop_pi stop_option stop_ep sigterm_ranks changed_key)
  tessera_add_app_test(NAME apps.mc.checkpoint.${case} NP 0 TIMEOUT 180
    COMMAND ${TESSERA_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/mc_checkpoint.py ${mc} ${MPIEXEC_EXECUTABLE} ${case})
endforeach()
tessera_add_app_test(NAME apps.mc.checkpoint.help NP 1 EXIT 0
  STDOUT "--checkpoint-every" "sweeps" "--checkpoint-interval" "--keep-checkpoints" "--restart" "--max-wall-time"
         "--watchdog" "Exit codes: 0 finished"
  COMMAND ${mc} ising --help)
tessera_add_app_test(NAME apps.mc.checkpoint.auto_without_checkpoint NP 2 EXIT 0 FILES out/mc/summary.json
  STDOUT "--restart auto: no checkpoint in out/mc/checkpoints; starting afresh" "check: passed"
  COMMAND ${mc} pi --samples 100000 --restart auto)
# --watchdog: the last rank stops after sweep 3 (test hook); the job ends naming it.
tessera_add_app_test(NAME apps.mc.checkpoint.watchdog NP 2 EXIT nonzero MAX_SECONDS 40
  STDERR "\\[rank [01]\\] fatal: watchdog: no progress for [0-9.]+ s \\(last: completed step [0-9]+\\); ending the job"
  COMMAND ${mc} ising --cells 32 32 --sweeps 100000 --thermalize 0 --watchdog 2)
set_property(TEST apps.mc.checkpoint.watchdog APPEND PROPERTY ENVIRONMENT "TESSERA_TEST_HANG_AFTER_STEP=3")

# Temperature sweeps (docs/mc.md "Temperature sweeps"): one task per temperature, the same CSV
# bytes at every layout (1, 2 and 4 ranks; 1 and 2 threads), |M| against Onsager below Tc,
# failures under --on-error stop|continue, and --resume after a failure or a SIGKILL.
set(mc_sweep ${CMAKE_CURRENT_SOURCE_DIR}/mc_sweep.py)
set(sweep_csvs)
foreach(layout "1;1" "1;2" "2;1" "2;2" "4;1")
  list(GET layout 0 np)
  list(GET layout 1 threads)
  set(test apps.mc.sweep.layout.np${np}x${threads})
  tessera_add_app_test(NAME ${test} NP ${np} THREADS ${threads} EXIT 0
    FILES out/mc/ising_sweep.csv out/mc/ising_sweep.png out/mc/summary.json out/mc/tasks/T_0005.csv
    COMMAND ${mc} ising --cells 16 16 --temperature 1.5:3.5:6 --sweeps 200 --thermalize 50 --seed 5 --quiet)
  set_tests_properties(${test} PROPERTIES FIXTURES_SETUP mc_sweep_layout)
  list(APPEND sweep_csvs ${CMAKE_CURRENT_BINARY_DIR}/${test}/out/mc/ising_sweep.csv)
endforeach()
tessera_add_app_test(NAME apps.mc.sweep.layout.same_bytes NP 0 EXIT 0
  COMMAND ${TESSERA_PYTHON} ${mc_sweep} ${mc} ${MPIEXEC_EXECUTABLE} same_bytes ${sweep_csvs})
set_tests_properties(apps.mc.sweep.layout.same_bytes PROPERTIES FIXTURES_REQUIRED mc_sweep_layout)
foreach(case onsager resume_failed resume_killed on_error_continue)
  tessera_add_app_test(NAME apps.mc.sweep.${case} NP 0 TIMEOUT 180
    COMMAND ${TESSERA_PYTHON} ${mc_sweep} ${mc} ${MPIEXEC_EXECUTABLE} ${case})
endforeach()
tessera_add_app_test(NAME apps.mc.sweep.help NP 1 EXIT 0
  STDOUT "START:STOP:COUNT" "--resume" "--on-error" COMMAND ${mc} ising --help)
# Progress lines every 2 s: each temperature pauses 0.5 s (test hook), so the run lasts 3 s.
tessera_add_app_test(NAME apps.mc.sweep.progress NP 1 EXIT 0
  STDOUT "ising sweep: +[0-9]+% \\([0-9]/6 temperatures\\), [0-9.]+ temperatures/s, ETA"
         "ising sweep: 100% \\(6/6 temperatures\\)" "tasks: 6 run, 0 skipped" "check: passed" "mc\\.ising\\.sweep"
  COMMAND ${mc} ising --cells 16 16 --temperature 1.5:3.5:6 --sweeps 200 --thermalize 50 --progress)
set_property(TEST apps.mc.sweep.progress APPEND PROPERTY ENVIRONMENT "TESSERA_TEST_SLEEP_IN_TASK=0.5")
