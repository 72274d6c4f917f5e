// Cache-line streams per core versus the plain-store bound. Five ordinary-store sweeps over the
// same 512^3 field move the same DRAM bytes per cell (read u, write-allocate and write out: 24 B)
// but differ in how many rows each output row reads that are no longer in L1:
//   copy     out = c u                                  (no neighbours)
//   rows3    u at j - 1, j, j + 1 in the same plane      (rows j - 1, j stay in L1)
//   rows5    also j - 2, j + 2                          (+1 stream from L2: row j - 2)
//   star7    the 3D 7-point stencil, j-tiled as tessera  (+2 streams from L2: planes k - 1, k)
//   star7x2  star7 on plane pairs, row j of planes k and k + 1 together (as tessera's
//            ordinary-store 3D sweep): the pair shares its rows, one L2 stream per output row
// DRAM bytes are the same for all; the rates differ by the streams a core keeps in flight.
// Each pass is paired with a triad run right after it; the ratio is 24 B x cells/s / triad
// bandwidth, the median over --passes. Not a test.
//   mpirun -np 1 -x OMP_NUM_THREADS=2 -x OMP_PROC_BIND=close build/bin/bench-stencil-streams
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <tessera/run/bandwidth.hpp>
#include <tessera/run/config.hpp>
#include <tessera/core/error.hpp>
#include <tessera/core/log.hpp>
#include <tessera/core/memory.hpp>
#include <tessera/core/runtime.hpp>
#include <tessera/core/types.hpp>

namespace {

using tessera::index_t;

constexpr index_t kN = 512;                       // cells per axis
constexpr index_t kSx = kN + 16;                  // row stride: 8 ghost doubles each side, rows 64 B aligned
constexpr index_t kSxy = kSx * (kN + 2);          // plane stride
constexpr index_t kTotal = kSxy * (kN + 2);
constexpr index_t kTile = 64;                     // j-tile of the 3D sweeps (rows)
constexpr double kC0 = 0.4, kC1 = 0.1;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Rows of (j, k) cell (0, j, k); j, k in [0, kN).
template <class T>
T* row(T* a, index_t j, index_t k) {
    return a + (k + 1) * kSxy + (j + 1) * kSx + 8;
}

// The sweep skeleton every kernel shares: thread t takes its static share of planes (the split
// of the first touch), walks them in j-tiles, and calls body(in, out) on each row of output.
template <int Planes, class Body>
void sweep(const double* u, double* out, index_t tile, Body body) {
#pragma omp parallel
    {
        const index_t t = omp_get_thread_num(), nt = omp_get_num_threads();
        const index_t k0 = kN * t / nt, k1 = kN * (t + 1) / nt;
        for (index_t jt = 0; jt < kN; jt += tile)
            for (index_t k = k0; k < k1; k += Planes)
                for (index_t j = jt; j < std::min(jt + tile, kN); ++j)
                    body(row(u, j, k), row(out, j, k), k + Planes <= k1 ? Planes : 1);
    }
}

template <index_t Far>
void neighbours_in_plane(const double* in, double* o, int) {
#pragma omp simd
    for (index_t i = 0; i < kN; ++i) {
        const double* p = in + i;
        double s = (p[-1] + p[1]) + (p[-kSx] + p[kSx]);
        if constexpr (Far > 0) s += p[-Far * kSx] + p[Far * kSx];
        o[i] = kC0 * p[0] + kC1 * s;
    }
}

void star7(const double* in, double* o, int planes) {
    for (int q = 0; q < planes; ++q) {
        const double* r = in + q * kSxy;
        double* w = o + q * kSxy;
#pragma omp simd
        for (index_t i = 0; i < kN; ++i) {
            const double* p = r + i;
            w[i] = kC0 * p[0] + kC1 * (((p[-1] + p[1]) + (p[-kSx] + p[kSx])) + (p[-kSxy] + p[kSxy]));
        }
    }
}

template <int Planes>
void star7_planes(const double* in, double* o, int planes) {
    if (planes < Planes) return star7(in, o, planes);
#pragma omp simd
    for (index_t i = 0; i < kN; ++i) {
        for (int q = 0; q < Planes; ++q) {
            const double* p = in + q * kSxy + i;
            o[q * kSxy + i] = kC0 * p[0] + kC1 * (((p[-1] + p[1]) + (p[-kSx] + p[kSx])) + (p[-kSxy] + p[kSxy]));
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);
    return tessera::run_guarded(runtime, [&] {
        tessera::run::AppOptions options("bench-stencil-streams", "Cache-line streams per core versus the plain-store bound");
        int passes = 7;
        options.cli().add_option("--passes", passes, "Timed passes per kernel (the median ratio is reported)")
            ->check(CLI::Range(1, 1000));
        options.parse(runtime.world(), argc, argv);
        TESSERA_CHECK(runtime.size() == 1, "bench-stencil-streams runs on one rank (threads: OMP_NUM_THREADS)");

        auto u = tessera::make_streamed_array<double>(kTotal);
        auto out = tessera::make_streamed_array<double>(kTotal);
#pragma omp parallel
        {  // first touch by the threads that sweep the planes
            const index_t t = omp_get_thread_num(), nt = omp_get_num_threads();
            for (index_t q = (kN + 2) * t / nt * kSxy; q < (kN + 2) * (t + 1) / nt * kSxy; ++q) {
                u[q] = static_cast<double>(q % 7);
                out[q] = 0.0;
            }
        }
        tessera::run::TriadProbe triad(runtime.world());
        double* a = u.get();
        double* b = out.get();
        struct Kernel {
            const char* name;
            std::function<void()> run;
        };
        const std::vector<Kernel> kernels = {
            {"copy", [&] { sweep<1>(a, b, kN, [](const double* in, double* o, int) {
#pragma omp simd
                          for (index_t i = 0; i < kN; ++i) o[i] = kC0 * in[i];
                      }); }},
            {"rows3", [&] { sweep<1>(a, b, kN, neighbours_in_plane<0>); }},
            {"rows5", [&] { sweep<1>(a, b, kN, neighbours_in_plane<2>); }},
            {"star7", [&] { sweep<1>(a, b, kTile, star7); }},
            {"star7x2", [&] { sweep<2>(a, b, kTile, star7_planes<2>); }},
        };
        std::vector<std::vector<double>> ratio(kernels.size()), rate(kernels.size());
        for (const auto& k : kernels) k.run();  // warm-up
        for (int p = 0; p < passes; ++p)
            for (std::size_t k = 0; k < kernels.size(); ++k) {  // interleaved: drift hits all alike
                const double t0 = omp_get_wtime();
                kernels[k].run();
                const double cells_per_s = static_cast<double>(kN * kN * kN) / (omp_get_wtime() - t0);
                const double bound = triad.measure(1) / 24.0;
                rate[k].push_back(cells_per_s / 1e9);
                ratio[k].push_back(cells_per_s / bound);
            }
        tessera::log::info("bench-stencil-streams: 512^3, ", runtime.threads(), " threads, ordinary stores, median of ",
                           passes, " passes");
        tessera::log::info("kernel    Gcell/s  ratio to the plain-store bound (24 B/cell at the triad rate)");
        for (std::size_t k = 0; k < kernels.size(); ++k) {
            char line[128];
            std::snprintf(line, sizeof line, "%-8s  %7.2f  %5.2f", kernels[k].name, median(rate[k]), median(ratio[k]));
            tessera::log::info(line);
        }
        return 0;
    });
}
