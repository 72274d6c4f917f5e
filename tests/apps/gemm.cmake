# tessera-gemm: runs on small inputs, transposes on a 1 x 4 grid, and every bad-input path.
if(TARGET tessera-gemm)
  set(gemm $<TARGET_FILE:tessera-gemm>)
  tessera_add_app_test(NAME apps.gemm.small NP 2 FILES out/gemm/summary.json
    STDOUT "check: scaled residual .* PASSED" "process grid: 1 x 2" "linalg.gemm.dgemm"
    CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/gemm_check.py
    COMMAND ${gemm} --config ${PROJECT_SOURCE_DIR}/data/gemm/small.toml)
  tessera_add_app_test(NAME apps.gemm.transposes_1x4 NP 4 FILES out/gemm/summary.json
    STDOUT "PASSED" "process grid: 1 x 4" CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/gemm_check.py
    COMMAND ${gemm} --m 37 --n 29 --k 41 --block 5 --procs 1 4 --transa --transb --repetitions 1)
  tessera_add_app_test(NAME apps.gemm.grid_2x2_no_overlap NP 4 THREADS 2 FILES out/gemm/summary.json
    STDOUT "PASSED" "process grid: 2 x 2" CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/gemm_check.py
    COMMAND ${gemm} --m 64 --n 80 --k 50 --block 8 --panel 16 --no-overlap --transb)
  # The BLAS kernel in the banner and summary.json. OPENBLAS_CORETYPE is left as the
  # environment has it here; only blas_forced_prescott sets it.
  tessera_add_app_test(NAME apps.gemm.blas_kernel NP 2 FILES out/gemm/summary.json
    STDOUT "BLAS: OpenBLAS, kernel [A-Za-z]" CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/gemm_blas_check.py
    COMMAND ${gemm} --m 64 --n 64 --k 64 --block 16 --repetitions 1)
  # Forced generic kernels on an AVX2 CPU: one warning (rank 0) naming the variable to set.
  # Registered where the configuring machine has AVX2 (else Prescott is no slower than the CPU).
  file(READ /proc/cpuinfo cpuinfo LIMIT 8192)
  if(cpuinfo MATCHES " avx2")
    tessera_add_app_test(NAME apps.gemm.blas_forced_prescott NP 2 FILES out/gemm/summary.json
      STDOUT "BLAS: OpenBLAS, kernel Prescott"
      STDERR_COUNT "^warning: OpenBLAS runs its generic Prescott kernels on this CPU \\(AVX(2|-512)\\): set OPENBLAS_CORETYPE=(SkylakeX|Haswell|Zen) for about 5x faster BLAS \\(OPENBLAS_CORETYPE=Prescott is set\\)$=1"
      CHECK_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/gemm_blas_check.py
      COMMAND ${gemm} --m 64 --n 64 --k 64 --block 16 --repetitions 1)
    set_property(TEST apps.gemm.blas_forced_prescott APPEND PROPERTY ENVIRONMENT OPENBLAS_CORETYPE=Prescott)
  endif()
  tessera_add_app_test(NAME apps.gemm.help NP 1 STDOUT "--block" "--procs" "--transa" "--repetitions"
    COMMAND ${gemm} --help)
  # Bad input: exit 2, one error line naming the option, nothing written.
  tessera_add_app_test(NAME apps.gemm.bad_procs NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-gemm: error: --procs: a 2 x 2 process grid needs 4 ranks, but there are 2$=1"
    COMMAND ${gemm} --procs 2 2)
  tessera_add_app_test(NAME apps.gemm.grid_larger_than_matrix NP 4 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "^tessera-gemm: error: --procs: the 4 x 1 process grid is larger than the 3 x 8 matrix C$=1"
    COMMAND ${gemm} --procs 4 1 --m 3 --n 8 --k 5 --block 2)
  tessera_add_app_test(NAME apps.gemm.bad_size NP 2 EXIT 2 NO_OUTPUT out STDERR_COUNT "error: --m.*=1"
    COMMAND ${gemm} --m 0)
  # Refused before the output directory is made or anything allocated.
  tessera_add_app_test(NAME apps.gemm.beyond_memory NP 2 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "error: --m 1000000 --n 1000000 --k 1000000 \\(A, B and C\\): needs [0-9.e+]+ GiB on a node=1"
    COMMAND ${gemm} --m 1000000 --n 1000000 --k 1000000)
  tessera_add_app_test(NAME apps.gemm.bad_panel NP 1 EXIT 2 NO_OUTPUT out
    STDERR_COUNT "error: --panel: 20 is not a multiple of --block 16=1"
    COMMAND ${gemm} --block 16 --panel 20)
endif()
