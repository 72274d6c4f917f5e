// Heat stepper: the exact discrete solution of a sine mode, bitwise identity across layouts and
// thread counts, second-order convergence, and the safety checks (unstable dt, NaN/Inf).
#include <gtest/gtest.h>

#include <omp.h>

#include <cmath>
#include <numbers>

#include <tessera/core/error.hpp>
#include <tessera/stencil/heat.hpp>

#include "support/field_gather.hpp"
#include "support/mpi_test.hpp"

using namespace tessera;
using namespace tessera::stencil;
using tessera::testing::world;

namespace {

constexpr double pi = std::numbers::pi;

template <int Dim>
HeatParams<Dim> params_for(const std::array<gindex_t, Dim>& n, StencilKind kind, double cfl,
                           grid::BoundaryKind bc = grid::BoundaryKind::dirichlet) {
    HeatParams<Dim> p;
    p.alpha = 1.0;
    for (int d = 0; d < Dim; ++d) p.spacing[d] = 1.0 / static_cast<double>(n[d]);
    p.stencil = kind;
    for (auto& b : p.bc) b.kind = bc;
    p.dt = 1.0;
    p.dt = cfl * max_stable_dt(p);
    return p;
}

// Runs `steps` steps from the product sine mode on `comm` and returns the gathered field.
template <int Dim>
std::vector<double> run(const mpi::Comm& comm, const std::array<gindex_t, Dim>& n, StencilKind kind,
                        int steps, grid::BoundaryKind bc = grid::BoundaryKind::dirichlet,
                        std::array<int, Dim> procs = {}, int time_block = 1, gindex_t block_rows = 0) {
    std::array<bool, Dim> periodic{};
    periodic.fill(bc == grid::BoundaryKind::periodic);
    grid::CartDecomp<Dim> dec(comm, n, periodic, procs);
    grid::Field<double, Dim> u(dec, radius(kind) * time_block);
    auto p = params_for<Dim>(n, kind, 0.9, bc);
    p.time_block = time_block;
    p.block_rows = block_rows;
    u.fill([&](const auto& g) {
        double v = 1;
        for (int d = 0; d < Dim; ++d) v *= std::sin(pi * (static_cast<double>(g[d]) + 0.5) * p.spacing[d]);
        return v;
    });
    HeatStepper<Dim> stepper(u, p);
    stepper.advance(steps);
    return tessera::testing::gather_field(u);
}

}  // namespace

TEST(Heat, SineModeFollowsTheExactDiscreteSolution) {
    const std::array<gindex_t, 2> n{37, 23};
    for (auto kind : {StencilKind::star1, StencilKind::star2, StencilKind::box9}) {
        std::array<gindex_t, 2> cells = kind == StencilKind::box9 ? std::array<gindex_t, 2>{30, 30} : n;
        const int steps = 40;
        const auto u = run<2>(world(), cells, kind, steps);
        if (world().rank() != 0) continue;
        const auto p = params_for<2>(cells, kind, 0.9);
        const double g = 1.0 + p.alpha * p.dt * symbol<2>(kind, {pi * p.spacing[0], pi * p.spacing[1]}, p.spacing);
        double err = 0;
        for (gindex_t j = 0; j < cells[1]; ++j)
            for (gindex_t i = 0; i < cells[0]; ++i) {
                const double exact = std::pow(g, steps) * std::sin(pi * (i + 0.5) * p.spacing[0]) *
                                     std::sin(pi * (j + 0.5) * p.spacing[1]);
                err = std::max(err, std::abs(u[static_cast<std::size_t>(j * cells[0] + i)] - exact));
            }
        EXPECT_LT(err, 1e-13) << to_string(kind, 2);
    }
}

TEST(Heat, BitwiseIdenticalForAnyLayoutAndThreadCount) {
    // Reference: one rank (rank 0 alone on MPI_COMM_SELF), one thread.
    struct Case {
        StencilKind kind;
        grid::BoundaryKind bc;
    };
    for (const Case c : {Case{StencilKind::star1, grid::BoundaryKind::dirichlet},
                         Case{StencilKind::box9, grid::BoundaryKind::neumann},
                         Case{StencilKind::star2, grid::BoundaryKind::periodic}}) {
        // Box stencils need equal spacings: a square grid, still split unevenly.
        const std::array<gindex_t, 2> n = c.kind == StencilKind::box9 ? std::array<gindex_t, 2>{31, 31}
                                                                      : std::array<gindex_t, 2>{37, 23};
        std::vector<double> ref;
        if (world().rank() == 0) {
            omp_set_num_threads(1);
            const auto self = mpi::Comm::duplicate(MPI_COMM_SELF);
            ref = run<2>(self, n, c.kind, 25, c.bc);
        }
        for (int threads : {1, 2}) {
            omp_set_num_threads(threads);
            for (std::array<int, 2> procs : {std::array<int, 2>{0, 0}, std::array<int, 2>{world().size(), 1}}) {
                const auto u = run<2>(world(), n, c.kind, 25, c.bc, procs);
                if (world().rank() == 0) {
                    EXPECT_EQ(u, ref) << to_string(c.kind, 2) << " threads " << threads << " procs "
                                      << procs[0] << "x" << procs[1];
                }
            }
        }
    }
}

TEST(Heat, TemporalBlockingGivesTheSameBits) {
    // k steps per pass (rings of rows per thread, width k*R halos) == k single steps, for every
    // boundary kind, radii 1 and 2, layouts with neighbours in x and y, a step count that
    // leaves a remainder, and 1 or 2 threads.
    struct Case {
        StencilKind kind;
        grid::BoundaryKind bc;
        int k;
    };
    const std::array<gindex_t, 2> n{41, 37};
    for (const Case c : {Case{StencilKind::star1, grid::BoundaryKind::dirichlet, 4},
                         Case{StencilKind::star1, grid::BoundaryKind::neumann, 3},
                         Case{StencilKind::star2, grid::BoundaryKind::periodic, 2},
                         Case{StencilKind::star1, grid::BoundaryKind::periodic, 4}}) {
        std::vector<double> ref;
        if (world().rank() == 0) {
            omp_set_num_threads(1);
            const auto self = mpi::Comm::duplicate(MPI_COMM_SELF);
            ref = run<2>(self, n, c.kind, 23, c.bc);
        }
        for (int threads : {1, 2}) {
            omp_set_num_threads(threads);
            for (std::array<int, 2> procs : {std::array<int, 2>{0, 0}, std::array<int, 2>{world().size(), 1}}) {
                const auto u = run<2>(world(), n, c.kind, 23, c.bc, procs, c.k);
                if (world().rank() == 0) {
                    EXPECT_EQ(u, ref) << to_string(c.kind, 2) << " " << grid::to_string(c.bc) << " k " << c.k
                                      << " threads " << threads << " procs " << procs[0] << "x" << procs[1];
                }
            }
        }
    }
}

TEST(Heat, TemporalBlockingGivesTheSameBits3D) {
    // 3D: rings of plane tiles per thread. Every boundary kind, radii 1 and 2, ranks split along
    // each axis in turn (so each face is a neighbour in some layout), 1 or 2 threads, a step
    // count that leaves a remainder; j tiles of 4 rows (uneven) and of a whole rank.
    struct Case {
        StencilKind kind;
        grid::BoundaryKind bc;
        int k;
        gindex_t rows;
    };
    const std::array<gindex_t, 3> n{21, 19, 17};
    const int p = world().size();
    for (const Case c : {Case{StencilKind::star1, grid::BoundaryKind::dirichlet, 3, 4},
                         Case{StencilKind::star1, grid::BoundaryKind::neumann, 2, 0},
                         Case{StencilKind::star2, grid::BoundaryKind::periodic, 2, 4},
                         Case{StencilKind::star2, grid::BoundaryKind::dirichlet, 2, 0},
                         Case{StencilKind::star1, grid::BoundaryKind::periodic, 4, 3}}) {
        std::vector<double> ref;
        if (world().rank() == 0) {
            omp_set_num_threads(1);
            const auto self = mpi::Comm::duplicate(MPI_COMM_SELF);
            ref = run<3>(self, n, c.kind, 11, c.bc);
        }
        for (int threads : {1, 2}) {
            omp_set_num_threads(threads);
            for (std::array<int, 3> procs : {std::array<int, 3>{0, 0, 0}, std::array<int, 3>{p, 1, 1},
                                             std::array<int, 3>{1, p, 1}, std::array<int, 3>{1, 1, p}}) {
                const auto u = run<3>(world(), n, c.kind, 11, c.bc, procs, c.k, c.rows);
                if (world().rank() == 0) {
                    EXPECT_EQ(u, ref) << to_string(c.kind, 3) << " " << grid::to_string(c.bc) << " k " << c.k
                                      << " tile rows " << c.rows << " threads " << threads << " procs " << procs[0] << "x" << procs[1]
                                      << "x" << procs[2];
                }
            }
        }
    }
}

TEST(Heat, BitwiseIdentical3D) {
    const std::array<gindex_t, 3> n{13, 11, 9};
    for (auto kind : {StencilKind::star1, StencilKind::box27}) {
        std::array<gindex_t, 3> cells = kind == StencilKind::box27 ? std::array<gindex_t, 3>{12, 12, 12} : n;
        std::vector<double> ref;
        if (world().rank() == 0) {
            omp_set_num_threads(1);
            const auto self = mpi::Comm::duplicate(MPI_COMM_SELF);
            ref = run<3>(self, cells, kind, 10);
        }
        omp_set_num_threads(2);
        const auto u = run<3>(world(), cells, kind, 10);
        if (world().rank() == 0) {
            EXPECT_EQ(u, ref) << to_string(kind, 3);
        }
    }
}

TEST(Heat, SecondOrderAgainstTheContinuousSolution) {
    // Fixed final time with dt ~ h^2: the error against exp(-2 pi^2 t) sin sin falls as h^2.
    double errors[2] = {0, 0};
    const gindex_t sizes[2] = {16, 32};
    for (int s = 0; s < 2; ++s) {
        const gindex_t n = sizes[s];
        const auto p = params_for<2>({n, n}, StencilKind::star1, 0.9);  // what run() uses
        const int steps = static_cast<int>(std::ceil(0.02 / p.dt));
        const double t = steps * p.dt;
        const auto u = run<2>(world(), {n, n}, StencilKind::star1, steps);
        if (world().rank() != 0) continue;
        const double decay = std::exp(-2 * pi * pi * t);
        for (gindex_t j = 0; j < n; ++j)
            for (gindex_t i = 0; i < n; ++i) {
                const double exact = decay * std::sin(pi * (i + 0.5) / n) * std::sin(pi * (j + 0.5) / n);
                errors[s] = std::max(errors[s], std::abs(u[static_cast<std::size_t>(j * n + i)] - exact));
            }
    }
    if (world().rank() == 0) {
        EXPECT_NEAR(std::log2(errors[0] / errors[1]), 2.0, 0.15) << errors[0] << " " << errors[1];
    }
}

TEST(Heat, RefusesUnstableDtWithTheLimit) {
    grid::CartDecomp<2> dec(world(), {16, 16}, {false, false});
    grid::Field<double, 2> u(dec, 1);
    auto p = params_for<2>({16, 16}, StencilKind::star1, 1.01);
    try {
        HeatStepper<2> s(u, p);
        ADD_FAILURE() << "unstable dt accepted";
    } catch (const CollectiveError& e) {
        EXPECT_NE(std::string(e.what()).find("largest stable dt is"), std::string::npos) << e.what();
        EXPECT_EQ(e.exit_code(), 2);
    }
    p.allow_unstable = true;
    EXPECT_NO_THROW(HeatStepper<2>(u, p));
}

TEST(Heat, NonFiniteValuesStopTheRunNamingStepAndRank) {
    grid::CartDecomp<2> dec(world(), {16, 16}, {false, false});
    grid::Field<double, 2> u(dec, 1);
    // The NaN sits in the global corner cell (15, 15), at least 8 cells from any other rank's
    // box for np = 1, 2, 4: the 3 steps before the check spread it 3 cells, so only the last
    // rank sees it and the error must name exactly that rank.
    const int bad_rank = world().size() - 1;
    if (world().rank() == bad_rank) {
        const auto b = u.owned_box();
        EXPECT_EQ(b.hi[0], 16);  // EXPECT: the other ranks still reach the collectives below
        EXPECT_EQ(b.hi[1], 16);
        u.view()(b.hi[0] - 1, b.hi[1] - 1) = std::nan("");
    }
    auto p = params_for<2>({16, 16}, StencilKind::star1, 0.5);
    p.check_every = 3;
    HeatStepper<2> s(u, p);
    try {
        s.advance(10);
        ADD_FAILURE() << "NaN not detected";
    } catch (const CollectiveError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("after step 3"), std::string::npos) << msg;
        EXPECT_EQ(e.exit_code(), 1);
        EXPECT_EQ(e.failing_rank(), bad_rank);
        EXPECT_NE(msg.find("on rank " + std::to_string(bad_rank)), std::string::npos) << msg;
    }
}
