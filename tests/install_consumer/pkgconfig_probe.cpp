// One-file program built with nothing but the MPI wrapper and pkg-config:
//   mpicxx pkgconfig_probe.cpp $(pkg-config --cflags --libs tessera) -o probe
// Exercises every layer a user links (core and its reductions, grid halo exchange, io/HDF5,
// and montecarlo when installed) and checks the results: each ghost cell holds its periodic
// neighbour's value, a field written to HDF5 reads back unchanged, a distributed dot product
// of ones is exact, a small Monte Carlo estimate of pi is close.
#include <cstdio>
#include <filesystem>

#include <tessera/core/reduce.hpp>
#include <tessera/tessera.hpp>
#if __has_include(<tessera/montecarlo/pi.hpp>)
#include <cmath>
#include <numbers>
#include <tessera/montecarlo/pi.hpp>
#define PROBE_MONTECARLO 1
#endif
#include <vector>

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);
    return tessera::run_guarded(runtime, [&] {
        using tessera::gindex_t;
        const gindex_t n = 12;
        tessera::grid::CartDecomp<2> decomp(runtime.world(), {n, n}, {true, true});
        tessera::grid::Field<double, 2> u(decomp, 1), back(decomp, 0);
        auto value = [n](gindex_t i, gindex_t j) { return static_cast<double>(((j + n) % n) * n + (i + n) % n); };
        u.fill([&](std::array<gindex_t, 2> ij) { return value(ij[0], ij[1]); });
        tessera::grid::HaloExchange<double, 2> halo(u, 1, tessera::grid::HaloPattern::faces);
        halo.exchange(u);
        const auto b = decomp.owned_box();
        long long bad = 0;
        for (gindex_t j = b.lo[1]; j < b.hi[1]; ++j) {
            bad += u.view()(b.lo[0] - 1, j) != value(b.lo[0] - 1, j);
            bad += u.view()(b.hi[0], j) != value(b.hi[0], j);
        }
        for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i) {
            bad += u.view()(i, b.lo[1] - 1) != value(i, b.lo[1] - 1);
            bad += u.view()(i, b.hi[1]) != value(i, b.hi[1]);
        }
        const std::filesystem::path path = argc > 1 ? argv[1] : "pkgconfig_probe.h5";
        {
            auto file = tessera::io::h5::File::create(runtime.world(), path);
            tessera::io::write_field<2>(file, "/u", u);
            file.close();
        }
        {
            auto file = tessera::io::h5::File::open(runtime.world(), path);
            tessera::io::read_field<2>(file, "/u", back);
        }
        for (gindex_t j = b.lo[1]; j < b.hi[1]; ++j)
            for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i) bad += back.view()(i, j) != value(i, j);
        // core's reproducible distributed dot product
        const std::vector<double> ones(1000, 1.0);
        bad += tessera::dot(runtime.world(), ones, ones, 256) != 1000.0 * runtime.size();
#ifdef PROBE_MONTECARLO  // and montecarlo: 10^5 quarter-disc samples estimate pi
        bad += std::abs(tessera::montecarlo::pi_block(7, 0, 100000).mean - std::numbers::pi) > 0.05;
#endif
        bad = tessera::mpi::allreduce(runtime.world(), bad, MPI_SUM);
        if (runtime.rank() == 0)
            std::printf("pkgconfig_probe: tessera %s, %d ranks, %lld wrong cells: %s\n",
                        tessera::version().c_str(), runtime.size(), bad, bad == 0 ? "PASSED" : "FAILED");
        return bad == 0 ? 0 : 1;
    });
}
