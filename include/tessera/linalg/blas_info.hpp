// Which BLAS the linalg module runs on, which kernels it picked, and whether those ignore the CPU.
//
// Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) chooses its kernels at load time from the CPU model;
// a CPU it does not know (new Intel Xeons) gets the generic Prescott (SSE3) kernels, about 5x
// slower than the AVX2 / AVX-512 ones. The environment variable OPENBLAS_CORETYPE, read when
// the library loads, forces a kernel set; blas_info() says which value this CPU calls for.
#pragma once

#include <string>

namespace tessera::linalg {

struct BlasInfo {
    std::string library;    ///< "OpenBLAS" (the BLAS linalg links)
    std::string config;     ///< openblas_get_config(), e.g. "OpenBLAS 0.3.21 ... DYNAMIC_ARCH ..."
    std::string kernel;     ///< openblas_get_corename(), e.g. "Zen", "SkylakeX", "Prescott"
    std::string cpu_vendor; ///< "Intel", "AMD" or "other"
    std::string cpu_simd;   ///< the widest of "AVX-512", "AVX2", "AVX" the CPU supports, or ""
    /// The kernel set uses no AVX2 (Prescott, Nehalem, Sandybridge, ...) although the CPU
    /// supports AVX2 or AVX-512: DGEMM then runs several times below the machine's rate.
    bool generic = false;
    /// The OPENBLAS_CORETYPE this CPU calls for: "SkylakeX" (AVX-512 Intel), "Haswell" (AVX2
    /// Intel), "Zen" (AVX2 AMD); "" when the CPU has no AVX2.
    std::string suggested_coretype;
};

/// Local, cheap (no computation): the BLAS library and kernel in use (OpenBLAS's
/// openblas_get_corename/config), and the CPU's features as the compiler's runtime checks
/// (__builtin_cpu_is/supports) see them.
BlasInfo blas_info();

/// Local: the one-line warning for a generic kernel, e.g. "OpenBLAS runs its generic Prescott
/// kernels on this CPU (AVX-512): set OPENBLAS_CORETYPE=SkylakeX for about 5x faster BLAS";
/// "" when info.generic is false. Names OPENBLAS_CORETYPE too when the environment sets it (a
/// forced Prescott, say). Apps print it once, on rank 0 (log::warn).
std::string blas_warning(const BlasInfo& info);

}  // namespace tessera::linalg
