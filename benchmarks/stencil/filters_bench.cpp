// Image filter rates on a large 8-bit (or 16-bit / float) image beside the memory bound of the
// same run: megapixels/s of apply_filter, the median of --reps repetitions, and the rate a
// triad measured right after each repetition would allow at filter_bytes_per_pixel. Not a test.
//   OMP_NUM_THREADS=2 build/bin/bench-stencil-filters [--size 8192] [--reps 5] [--type u8]
//                                                     [spec ...]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <tessera/core/error.hpp>
#include <tessera/stencil/filters.hpp>

namespace {

using tessera::gindex_t;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Triad a = b + s c over 3 x 2^25 doubles, 32 bytes per element (write-allocate counted).
struct Triad {
    std::vector<double> a, b, c;
    Triad() : a(std::size_t{1} << 25), b(a.size()), c(a.size()) {
        const std::size_t n = a.size();
#pragma omp parallel for schedule(static)
        for (std::size_t i = 0; i < n; ++i) a[i] = b[i] = c[i] = 1.0;
    }
    double bandwidth() {
        const std::size_t n = a.size();
        const auto t0 = Clock::now();
#pragma omp parallel for schedule(static)
        for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + 0.5 * c[i];
        return 32.0 * static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - t0).count();
    }
};

template <class T>
int run(gindex_t n, int reps, const std::vector<std::string>& specs) {
    constexpr gindex_t g = 8;  // ghost width, enough for the specs below
    const gindex_t pw = n + 2 * g;
    std::vector<T> in(static_cast<std::size_t>(pw * pw)), out(static_cast<std::size_t>(n * n));
#pragma omp parallel
    {
        std::mt19937 rng(12345u + static_cast<unsigned>(omp_get_thread_num()));
#pragma omp for schedule(static)
        for (gindex_t j = 0; j < pw; ++j)
            for (gindex_t i = 0; i < pw; ++i) in[static_cast<std::size_t>(j * pw + i)] = static_cast<T>(rng() % 256);
#pragma omp for schedule(static)
        for (gindex_t j = 0; j < n; ++j) std::memset(&out[static_cast<std::size_t>(j * n)], 0, static_cast<std::size_t>(n) * sizeof(T));
    }
    const tessera::Box<2> box{{0, 0}, {n, n}};
    tessera::ConstView<T, 2> vin(in.data(), box.grown(g), {1, pw});
    tessera::View<T, 2> vout(out.data(), box, {1, n});
    tessera::stencil::FilterWorkspace ws;
    Triad triad;
    std::printf("%d threads, %lld x %lld pixels of %zu bytes\n", omp_get_max_threads(), static_cast<long long>(n),
                static_cast<long long>(n), sizeof(T));
    std::printf("%-40s %10s %12s %8s\n", "stage", "Mpixel/s", "bound Mpx/s", "ratio");
    for (const std::string& text : specs) {
        const auto spec = tessera::stencil::parse_filter(text);
        TESSERA_CHECK(tessera::stencil::filter_radius<T>(spec) <= g, text << ": radius above the bench's ghost width " << g);
        tessera::stencil::apply_filter<T>(spec, vin, vout, box, ws);  // warm-up, sizes the workspace
        std::vector<double> rate, bound;
        for (int r = 0; r < reps; ++r) {
            const auto t0 = Clock::now();
            tessera::stencil::apply_filter<T>(spec, vin, vout, box, ws);
            const double s = std::chrono::duration<double>(Clock::now() - t0).count();
            rate.push_back(static_cast<double>(n * n) / s / 1e6);
            bound.push_back(triad.bandwidth() / tessera::stencil::filter_bytes_per_pixel<T>(spec) / 1e6);
        }
        std::printf("%-40s %10.0f %12.0f %8.3f\n", tessera::stencil::to_string(spec).c_str(), median(rate),
                    median(bound), median(rate) / median(bound));
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    gindex_t n = 8192;
    int reps = 5;
    std::string type = "u8";
    std::vector<std::string> specs;
    for (int k = 1; k < argc; ++k) {
        const std::string a = argv[k];
        if (a == "--size" && k + 1 < argc) n = std::stoll(argv[++k]);
        else if (a == "--reps" && k + 1 < argc) reps = std::stoi(argv[++k]);
        else if (a == "--type" && k + 1 < argc) type = argv[++k];
        else specs.push_back(a);
    }
    if (specs.empty())
        specs = {"gaussian:sigma=2", "box:radius=2", "sobel:output=magnitude", "median:radius=1",
                 "sobel:output=dx", "laplacian:ksize=1", "median:radius=2", "unsharp:sigma=2,amount=1"};
    try {
        if (type == "u8") return run<std::uint8_t>(n, reps, specs);
        if (type == "u16") return run<std::uint16_t>(n, reps, specs);
        if (type == "f32") return run<float>(n, reps, specs);
        std::fprintf(stderr, "unknown --type %s (u8, u16, f32)\n", type.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-stencil-filters: %s\n", e.what());
        return 2;
    }
}
