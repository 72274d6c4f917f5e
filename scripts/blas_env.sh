# tessera_blas_env: exports OPENBLAS_CORETYPE when OpenBLAS would run generic kernels here.
# Source it (bash); scripts/common.sh, the Slurm job scripts and the benchmark scripts do.
#
# Debian's OpenBLAS 0.3.21 picks its kernels from the CPU model at load time; on CPUs it does
# not know (new Intel Xeons) it falls back to Prescott (SSE3), about 5x slower than the AVX2 /
# AVX-512 kernels. The function asks the installed libopenblas which kernel it picks (through
# /usr/bin/python3's ctypes: nothing to compile) and, when that kernel uses no AVX2 while the
# CPU has it, exports OPENBLAS_CORETYPE=SkylakeX (AVX-512 Intel), Haswell (AVX2 Intel) or Zen
# (AMD), the same choice as tessera::linalg::blas_info(). A value already set is never
# changed; nothing is exported when OpenBLAS or python3 is missing or the kernel is fine.
tessera_blas_env() {
  [ -n "${OPENBLAS_CORETYPE:-}" ] && return 0
  local flags vendor kernel want=""
  flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null) || return 0
  vendor=$(grep -m1 '^vendor_id' /proc/cpuinfo 2>/dev/null)
  case " $flags " in *" avx2 "*) ;; *) return 0 ;; esac   # no AVX2: the old kernels are right
  kernel=$(/usr/bin/python3 -c 'import ctypes, ctypes.util
lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())' 2>/dev/null) || return 0
  case "${kernel,,}" in
    haswell|skylakex|cooperlake|sapphirerapids|zen|excavator|"") return 0 ;;
  esac
  case "$vendor" in
    *AuthenticAMD*|*HygonGenuine*) want=Zen ;;
    *) case " $flags " in *" avx512f "*) want=SkylakeX ;; *) want=Haswell ;; esac ;;
  esac
  export OPENBLAS_CORETYPE=$want
  echo "tessera_blas_env: OpenBLAS picks its generic $kernel kernels on this CPU: OPENBLAS_CORETYPE=$want exported" >&2
}
