// What BLAS and which OpenBLAS kernels the process runs, against what the CPU could do.
#include "tessera/linalg/blas_info.hpp"

// OpenBLAS's <cblas.h> declares openblas_get_corename/config (linalg already requires OpenBLAS:
// BlasThreads calls openblas_set_num_threads). Calling them also makes an app that uses no
// BLAS routine itself (tessera-cg) load OpenBLAS and report the kernel it would run.
#include <cblas.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <string_view>

namespace tessera::linalg {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// OpenBLAS x86-64 kernel sets (corename) that use AVX2 (and FMA3). Any other kernel on an
// AVX2 CPU is a fallback: Prescott is what 0.3.21 picks for an Intel model it does not know.
bool kernel_uses_avx2(const std::string& kernel) {
    static constexpr std::array<std::string_view, 6> avx2{"haswell", "skylakex", "cooperlake", "zen",
                                                          "excavator", "sapphirerapids"};
    const auto k = lower(kernel);
    return std::find(avx2.begin(), avx2.end(), k) != avx2.end();
}

}  // namespace

BlasInfo blas_info() {
    BlasInfo info;
    info.library = "OpenBLAS";
    const char* core = openblas_get_corename();
    info.kernel = core ? core : "";
    const char* config = openblas_get_config();
    info.config = config ? config : "";

    __builtin_cpu_init();
    const bool intel = __builtin_cpu_is("intel"), amd = __builtin_cpu_is("amd");
    info.cpu_vendor = intel ? "Intel" : amd ? "AMD" : "other";
    const bool avx512 = __builtin_cpu_supports("avx512f");
    const bool avx2 = __builtin_cpu_supports("avx2");
    info.cpu_simd = avx512 ? "AVX-512" : avx2 ? "AVX2" : __builtin_cpu_supports("avx") ? "AVX" : "";
    if (avx2) {
        // AMD's Zen 4 has AVX-512, but OpenBLAS 0.3.21 serves it best with its Zen kernels.
        info.suggested_coretype = amd ? "Zen" : avx512 ? "SkylakeX" : "Haswell";
    }
    info.generic = avx2 && !kernel_uses_avx2(info.kernel);
    return info;
}

std::string blas_warning(const BlasInfo& info) {
    if (!info.generic) return "";
    std::string text = "OpenBLAS runs its generic " + info.kernel + " kernels on this CPU (" + info.cpu_simd +
                       "): set OPENBLAS_CORETYPE=" + info.suggested_coretype + " for about 5x faster BLAS";
    if (const char* forced = std::getenv("OPENBLAS_CORETYPE")) text += std::string(" (OPENBLAS_CORETYPE=") + forced + " is set)";
    return text;
}

}  // namespace tessera::linalg
