// A user's own solver on top of an installed tessera: the reversible reaction A <-> B with
// diffusion, on a periodic 2D grid, explicit Euler:
//     a' = a + dt (Da lap(a) - k1 a + k2 b)
//     b' = b + dt (Db lap(b) + k1 a - k2 b)
// It uses tessera's CartDecomp, Field, HaloExchange and io (HDF5 + XDMF), and checks itself:
//  1. exact: a cosine mode is an eigenvector of the discrete periodic Laplacian, so the discrete
//     solution is the mean part times M0^n plus the mode times Mk^n (2x2 matrices), to rounding;
//  2. conservation: the total amount sum(a + b) never changes;
//  3. the HDF5 output reads back bit for bit.
// Usage: mpirun -np 2 reaction_diffusion [--cells N] [--steps S] [--output DIR]
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <string>

#include <tessera/core/mpi.hpp>
#include <tessera/core/runtime.hpp>
#include <tessera/grid/cart_decomp.hpp>
#include <tessera/grid/field.hpp>
#include <tessera/grid/halo_exchange.hpp>
#include <tessera/io/field_io.hpp>
#include <tessera/io/hdf5.hpp>
#include <tessera/io/xdmf.hpp>

namespace {

using tessera::gindex_t;
using Field = tessera::grid::Field<double, 2>;
constexpr double pi = std::numbers::pi;

struct Params {
    gindex_t n = 64;
    long steps = 200;
    std::filesystem::path output = "out/reaction_diffusion";
    double da = 1.0, db = 0.25, k1 = 3.0, k2 = 1.0;
    int mx = 1, my = 2;
};

// (a, b) after `steps` multiplications by [[1 + dt(Da l - k1), dt k2], [dt k1, 1 + dt(Db l - k2)]].
std::array<double, 2> evolve(const Params& p, double dt, double lambda, std::array<double, 2> x) {
    for (long s = 0; s < p.steps; ++s) {
        const double a = x[0] + dt * (p.da * lambda * x[0] - p.k1 * x[0] + p.k2 * x[1]);
        const double b = x[1] + dt * (p.db * lambda * x[1] + p.k1 * x[0] - p.k2 * x[1]);
        x = {a, b};
    }
    return x;
}

int run(const tessera::Runtime& rt, const Params& p) {
    const auto& comm = rt.world();
    tessera::grid::CartDecomp<2> decomp(comm, {p.n, p.n}, {true, true});
    Field a(decomp, 1), b(decomp, 1), a_new(decomp, 1), b_new(decomp, 1);
    tessera::grid::HaloExchange<double, 2> halo(a, 1, tessera::grid::HaloPattern::faces);

    const double h = 1.0 / static_cast<double>(p.n);
    const double dt = 0.2 * h * h / std::max(p.da, p.db);
    auto mode = [&](gindex_t i, gindex_t j) {
        return std::cos(2 * pi * p.mx * (static_cast<double>(i) + 0.5) * h) *
               std::cos(2 * pi * p.my * (static_cast<double>(j) + 0.5) * h);
    };
    a.fill([&](std::array<gindex_t, 2> ij) { return 1.0 + 0.5 * mode(ij[0], ij[1]); });
    b.fill([](std::array<gindex_t, 2>) { return 0.25; });

    const auto box = decomp.owned_box();
    auto total = [&] {
        double s = 0;
        const auto av = a.view();
        const auto bv = b.view();
        for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
            for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) s += av(i, j) + bv(i, j);
        return tessera::mpi::allreduce(comm, s, MPI_SUM) * h * h;
    };
    const double total0 = total();

    const double c = dt / (h * h);
    for (long s = 0; s < p.steps; ++s) {
        halo.exchange(a);
        halo.exchange(b);
        const auto av = a.view();
        const auto bv = b.view();
        auto an = a_new.view();
        auto bn = b_new.view();
#pragma omp parallel for schedule(static)
        for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j) {
            for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) {
                const double ua = av(i, j), ub = bv(i, j);
                const double la = av(i - 1, j) + av(i + 1, j) + av(i, j - 1) + av(i, j + 1) - 4 * ua;
                const double lb = bv(i - 1, j) + bv(i + 1, j) + bv(i, j - 1) + bv(i, j + 1) - 4 * ub;
                an(i, j) = ua + c * p.da * la + dt * (-p.k1 * ua + p.k2 * ub);
                bn(i, j) = ub + c * p.db * lb + dt * (p.k1 * ua - p.k2 * ub);
            }
        }
        a.swap(a_new);
        b.swap(b_new);
    }

    // 1. Against the exact discrete solution.
    const double lambda = (2 * std::cos(2 * pi * p.mx * h) - 2 + 2 * std::cos(2 * pi * p.my * h) - 2) / (h * h);
    const auto mean = evolve(p, dt, 0.0, {1.0, 0.25});
    const auto amp = evolve(p, dt, lambda, {0.5, 0.0});
    double err = 0;
    {
        const auto av = a.view();
        const auto bv = b.view();
        for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
            for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) {
                err = std::max(err, std::abs(av(i, j) - (mean[0] + amp[0] * mode(i, j))));
                err = std::max(err, std::abs(bv(i, j) - (mean[1] + amp[1] * mode(i, j))));
            }
    }
    err = tessera::mpi::allreduce(comm, err, MPI_MAX);
    // 2. Conservation of A + B.
    const double drift = std::abs(total() - total0) / total0;

    // 3. Output with tessera's io module, read back into fresh fields.
    if (comm.rank() == 0) std::filesystem::create_directories(p.output);
    comm.barrier();
    const auto h5 = p.output / "reaction_diffusion.h5";
    {
        auto file = tessera::io::h5::File::create(comm, h5);
        tessera::io::write_field<2>(file, "/a", a);
        tessera::io::write_field<2>(file, "/b", b);
        file.close();
    }
    if (comm.rank() == 0) {
        const tessera::io::XdmfGrid g{.h5_file = h5.filename().string(),
                                      .dataset = "/a",
                                      .attribute = "a",
                                      .cells = {p.n, p.n},
                                      .origin = {0.0, 0.0},
                                      .spacing = {h, h},
                                      .time = static_cast<double>(p.steps) * dt};
        tessera::io::write_xdmf(p.output / "reaction_diffusion.xdmf", {g});
    }
    Field a_back(decomp, 0), b_back(decomp, 0);
    {
        auto file = tessera::io::h5::File::open(comm, h5);
        tessera::io::read_field<2>(file, "/a", a_back);
        tessera::io::read_field<2>(file, "/b", b_back);
    }
    long long mismatches = 0;
    for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
        for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i)
            mismatches += (a_back.view()(i, j) != a.view()(i, j)) + (b_back.view()(i, j) != b.view()(i, j));
    mismatches = tessera::mpi::allreduce(comm, mismatches, MPI_SUM);

    const bool passed = err < 1e-12 && drift < 1e-12 && mismatches == 0;
    if (comm.rank() == 0) {
        std::printf("reaction_diffusion: %lld x %lld cells, %ld steps on %d ranks x %d threads, "
                    "process grid %d %d\n",
                    static_cast<long long>(p.n), static_cast<long long>(p.n), p.steps, rt.size(),
                    rt.threads(), decomp.procs()[0], decomp.procs()[1]);
        std::printf("  max error vs exact discrete solution: %.3e (limit 1e-12)\n", err);
        std::printf("  relative drift of sum(a + b):         %.3e (limit 1e-12)\n", drift);
        std::printf("  HDF5 read-back mismatches:            %lld\n", mismatches);
        std::printf("reaction_diffusion: %s\n", passed ? "PASSED" : "FAILED");
    }
    return passed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);
    return tessera::run_guarded(runtime, [&] {
        Params p;
        for (int k = 1; k + 1 < argc; k += 2) {
            const std::string opt = argv[k];
            if (opt == "--cells") p.n = std::atoll(argv[k + 1]);
            else if (opt == "--steps") p.steps = std::atol(argv[k + 1]);
            else if (opt == "--output") p.output = argv[k + 1];
            else {
                if (runtime.rank() == 0) std::fprintf(stderr, "reaction_diffusion: unknown option %s\n", argv[k]);
                return 2;
            }
        }
        return run(runtime, p);
    });
}
