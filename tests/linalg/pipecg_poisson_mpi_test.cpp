// Pipelined CG (tessera/linalg/pipecg.hpp) on the matrix-free Poisson operator: the split-phase
// exact reduction gives the blocking one's bits, the residual history and solution are bitwise
// identical over rank counts, layouts and threads (no preconditioner, Jacobi, multigrid), the
// solution and iteration count agree with cg()'s, and every bad parameter is refused by name.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include <tessera/linalg/cg.hpp>
#include <tessera/linalg/pipecg.hpp>
#include <tessera/multigrid/vcycle.hpp>
#include <tessera/stencil/manufactured.hpp>
#include <tessera/stencil/poisson.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using namespace tessera::linalg;
using tessera::stencil::PoissonOperator;
using tessera::stencil::manufactured::source;
using tessera::testing::world;

namespace {

// Collective: the global vector (on every rank) from the operator's local parts.
template <int Dim>
std::vector<double> gather_global(const PoissonOperator<Dim>& op, std::span<const double> v) {
    const auto& comm = op.comm();
    const auto& b = op.decomp().owned_box();
    const auto g = op.decomp().global_box();
    std::vector<gindex_t> idx;
    const gindex_t k_lo = Dim == 3 ? b.lo[Dim - 1] : 0, k_hi = Dim == 3 ? b.hi[Dim - 1] : 1;
    for (gindex_t k = k_lo; k < k_hi; ++k)
        for (gindex_t j = b.lo[1]; j < b.hi[1]; ++j)
            for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i) idx.push_back(i + g.extent(0) * (j + g.extent(1) * k));
    const auto counts = mpi::allgather(comm, static_cast<int>(idx.size()));
    std::vector<int> displs(counts.size(), 0);
    for (std::size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
    const auto total = static_cast<std::size_t>(displs.back() + counts.back());
    std::vector<double> values(total), global(total);
    std::vector<gindex_t> where(total);
    MPI_Allgatherv(v.data(), counts[comm.rank()], MPI_DOUBLE, values.data(), counts.data(), displs.data(),
                   MPI_DOUBLE, comm.get());
    MPI_Allgatherv(idx.data(), counts[comm.rank()], MPI_INT64_T, where.data(), counts.data(), displs.data(),
                   MPI_INT64_T, comm.get());
    for (std::size_t l = 0; l < total; ++l) global[static_cast<std::size_t>(where[l])] = values[l];
    return global;
}

enum class Solver { cg, pipecg };
enum class Pre { none, jacobi, mg };

const char* name(Pre p) { return p == Pre::none ? "none" : p == Pre::jacobi ? "jacobi" : "mg"; }

struct Outcome {
    CgResult result;
    std::vector<double> x;  // global
};

// Collective over comm: one solve of the manufactured problem from x = 0.
template <int Dim>
Outcome solve(const mpi::Comm& comm, std::array<gindex_t, Dim> cells, Solver solver, Pre pre, double tol,
              std::array<int, Dim> procs = {}) {
    PoissonOperator<Dim> op(comm, cells, procs);
    const auto n = static_cast<std::size_t>(op.local_size());
    std::vector<double> b(n), x(n, 0.0);
    op.fill(std::span<double>(b), source<Dim>);
    CgOptions opt{.tol = tol, .max_iter = 2000};
    std::unique_ptr<multigrid::Multigrid<Dim>> mg;
    if (pre == Pre::jacobi) opt.precond = Preconditioner::jacobi;
    if (pre == Pre::mg) {
        // A small coarsest level and agglomeration: several levels, some on fewer ranks.
        mg = std::make_unique<multigrid::Multigrid<Dim>>(op, multigrid::Options{.coarsest = 24,
                                                                                .min_cells_per_rank = 64});
        opt.precond = Preconditioner::custom;
        opt.apply_preconditioner = [&](std::span<const double> r, std::span<double> z) { mg->precondition(r, z); };
    }
    Outcome o;
    o.result = solver == Solver::cg ? cg(op, b, x, opt) : pipecg(op, b, x, opt);
    o.x = gather_global<Dim>(op, x);
    return o;
}

double max_abs(const std::vector<double>& v) {
    double m = 0;
    for (double a : v) m = std::max(m, std::abs(a));
    return m;
}

}  // namespace

TEST(ExactSumReduction, GivesTheBlockingAllreducesBits) {
    const auto& w = world();
    auto fill = [&](std::array<ExactSum, 3>& s) {
        for (int i = 0; i < 1000; ++i) {
            const double v = std::sin(0.37 * (i + 1000 * w.rank())) * std::pow(10.0, (i % 40) - 20);
            s[0].add(v);
            s[1].add(-3 * v);
            s[2].add(v * v);
        }
    };
    std::array<ExactSum, 3> blocking, split;
    fill(blocking);
    fill(split);
    ExactSum::allreduce(w, std::span<ExactSum>(blocking));
    ExactSumReduction reduction;
    reduction.start(w, std::span<ExactSum>(split));
    EXPECT_TRUE(reduction.active());
    EXPECT_THROW(reduction.start(w, std::span<ExactSum>(split)), Error);
    reduction.finish();
    EXPECT_FALSE(reduction.active());
    for (int i = 0; i < 3; ++i) EXPECT_EQ(split[i].round(), blocking[i].round()) << i;
    // Reused, and destroyed unfinished: the destructor waits, the sums stay as they were.
    const double before = split[0].round();
    {
        ExactSumReduction pending;
        pending.start(w, std::span<ExactSum>(split.data(), 1));
    }
    EXPECT_EQ(split[0].round(), before);
}

TEST(PipeCgPoisson, HistoryAndSolutionAreBitwiseIdenticalForAnyRanksLayoutsAndThreads) {
    const auto& w = world();
    // Reference: one rank, one thread. Then every sub-communicator size dividing the world and
    // both thread counts; in 3D also a second layout of 4 ranks.
    const auto self = w.split(w.rank(), 0);
    for (auto pre : {Pre::none, Pre::jacobi, Pre::mg}) {
        const std::array<gindex_t, 2> c2{pre == Pre::mg ? 47 : 23, pre == Pre::mg ? 38 : 18};
        const std::array<gindex_t, 3> c3{11, 9, 8};
        omp_set_num_threads(1);
        const auto ref2 = solve<2>(self, c2, Solver::pipecg, pre, 1e-9);
        const auto ref3 = solve<3>(self, c3, Solver::pipecg, pre, 1e-9);
        EXPECT_TRUE(ref2.result.converged && ref3.result.converged) << name(pre);
        EXPECT_GT(ref2.result.history.size(), pre == Pre::mg ? 4u : 10u) << name(pre);
        for (int size = 1; size <= w.size(); size *= 2) {
            const auto sub = w.split(w.rank() / size, w.rank());
            for (int threads : {1, 2}) {
                omp_set_num_threads(threads);
                const auto s2 = solve<2>(sub, c2, Solver::pipecg, pre, 1e-9);
                const auto s3 = solve<3>(sub, c3, Solver::pipecg, pre, 1e-9);
                EXPECT_EQ(s2.result.history, ref2.result.history) << name(pre) << ": " << size << " ranks, " << threads << " threads";
                EXPECT_EQ(s2.x, ref2.x) << name(pre) << ": " << size << " ranks, " << threads << " threads";
                EXPECT_EQ(s3.result.history, ref3.result.history) << name(pre) << ": " << size << " ranks, " << threads << " threads";
                EXPECT_EQ(s3.x, ref3.x) << name(pre) << ": " << size << " ranks, " << threads << " threads";
                if (size == 4) {
                    const auto l3 = solve<3>(sub, c3, Solver::pipecg, pre, 1e-9, {1, 1, 4});
                    EXPECT_EQ(l3.result.history, ref3.result.history) << name(pre);
                    EXPECT_EQ(l3.x, ref3.x) << name(pre);
                }
            }
        }
    }
    omp_set_num_threads(2);
}

TEST(PipeCgPoisson, SolutionAndIterationsAgreeWithCg) {
    // Odd, uneven sizes; both solvers on the same layout. The solutions are compared at
    // tol 1e-12; the iteration counts at 1e-10, because near 1e-12 pipecg's recursive residual
    // reaches the floor its longer recurrences can attain (Jacobi in 2D stalls around 1.5e-12
    // for a while) and can take many more iterations than cg() to get below it.
    auto check = [](auto cells, Pre pre) {
        constexpr int Dim = static_cast<int>(std::tuple_size_v<decltype(cells)>);
        const char* dim = Dim == 2 ? "2D" : "3D";
        const auto ref = solve<Dim>(world(), cells, Solver::cg, pre, 1e-12);
        const auto pipe = solve<Dim>(world(), cells, Solver::pipecg, pre, 1e-12);
        EXPECT_TRUE(ref.result.converged && pipe.result.converged) << name(pre) << " " << dim;
        ASSERT_EQ(pipe.x.size(), ref.x.size());
        double diff = 0;
        for (std::size_t i = 0; i < ref.x.size(); ++i) diff = std::max(diff, std::abs(pipe.x[i] - ref.x[i]));
        EXPECT_LE(diff / max_abs(ref.x), 1e-10) << name(pre) << " " << dim;
        const auto ref10 = solve<Dim>(world(), cells, Solver::cg, pre, 1e-10);
        const auto pipe10 = solve<Dim>(world(), cells, Solver::pipecg, pre, 1e-10);
        EXPECT_TRUE(ref10.result.converged && pipe10.result.converged) << name(pre) << " " << dim;
        EXPECT_NEAR(pipe10.result.iterations, ref10.result.iterations, 2) << name(pre) << " " << dim;
        if (world().rank() == 0)
            std::printf("  %s %s: tol 1e-12: cg %d, pipecg %d iterations, max |x_pipecg - x_cg| / max |x_cg| = "
                        "%.3g; tol 1e-10: cg %d, pipecg %d iterations\n",
                        name(pre), dim, ref.result.iterations, pipe.result.iterations, diff / max_abs(ref.x),
                        ref10.result.iterations, pipe10.result.iterations);
    };
    for (auto pre : {Pre::none, Pre::jacobi, Pre::mg}) {
        check(std::array<gindex_t, 2>{64, 48}, pre);
        check(std::array<gindex_t, 3>{24, 20, 18}, pre);
    }
}

TEST(PipeCgPoisson, IterationLimitMonitorAndZeroRightHandSide) {
    PoissonOperator<2> op(world(), {20, 16});
    const auto n = static_cast<std::size_t>(op.local_size());
    std::vector<double> b(n), x(n, 0.0);
    op.fill(std::span<double>(b), source<2>);
    std::vector<int> seen;
    CgOptions opt{.tol = 1e-12, .max_iter = 5};
    opt.monitor = [&](int k, double rel) {
        seen.push_back(k);
        EXPECT_GT(rel, 0.0);
    };
    const auto res = pipecg(op, b, x, opt);
    EXPECT_EQ(res.iterations, 5);
    EXPECT_FALSE(res.converged);
    EXPECT_EQ(res.history.size(), 6u);
    EXPECT_EQ(res.history[0], 1.0);
    EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 4, 5}));
    EXPECT_EQ(res.relative_residual, res.history.back());
    // The same five iterations as cg(), to rounding.
    std::vector<double> y(n, 0.0);
    const auto ref = cg(op, b, y, {.tol = 1e-12, .max_iter = 5});
    for (std::size_t k = 0; k < ref.history.size(); ++k) EXPECT_NEAR(res.history[k], ref.history[k], 1e-12 * ref.history[0]);
    // max_iter = 0: the initial residual only, x untouched.
    std::fill(x.begin(), x.end(), 0.0);
    const auto none = pipecg(op, b, x, {.tol = 1e-8, .max_iter = 0});
    EXPECT_EQ(none.iterations, 0);
    EXPECT_EQ(none.history, (std::vector<double>{1.0}));
    EXPECT_EQ(max_abs(x), 0.0);
    // b = 0: x = 0 at once.
    std::fill(b.begin(), b.end(), 0.0);
    std::fill(x.begin(), x.end(), 1.0);
    const auto zero = pipecg(op, b, x, {});
    EXPECT_TRUE(zero.converged);
    EXPECT_EQ(zero.iterations, 0);
    EXPECT_EQ(max_abs(x), 0.0);
}

TEST(PipeCgPoisson, ErrorsNameTheSolversParameters) {
    PoissonOperator<2> op(world(), {8, 8});
    std::vector<double> b(static_cast<std::size_t>(op.local_size()), 1.0), x(b.size(), 0.0), shorter(b.size() - 1);
    auto message = [&](const CgOptions& opt, std::span<double> xs) {
        try {
            pipecg(op, b, xs, opt);
        } catch (const CollectiveError& e) {
            EXPECT_EQ(e.exit_code(), 2) << e.what();
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message({.tol = 0.0}, x), "pipecg: tol = 0 must be in (0, 1e300)");
    EXPECT_EQ(message({.tol = 1e300}, x), "pipecg: tol = 1e+300 must be in (0, 1e300)");
    EXPECT_EQ(message({.tol = 1e-8, .max_iter = -1}, x), "pipecg: max_iter = -1 must be >= 0");
    EXPECT_EQ(message({}, shorter), "pipecg: local vectors of length " + std::to_string(b.size()) + " and " +
                                        std::to_string(shorter.size()) + " for an operator of local size " +
                                        std::to_string(b.size()));
    EXPECT_EQ(message({.precond = Preconditioner::custom}, x), "pipecg: precond = custom needs apply_preconditioner");
    CgOptions resumable;
    resumable.on_iteration = [](const CgState&) { return true; };
    EXPECT_EQ(message(resumable, x), "pipecg: on_iteration is not supported (a pipelined solve cannot be resumed)");
    // An indefinite preconditioner (M^-1 = -I): r^T M^-1 r < 0 at once.
    CgOptions indefinite{.precond = Preconditioner::custom};
    indefinite.apply_preconditioner = [](std::span<const double> r, std::span<double> z) {
        for (std::size_t i = 0; i < r.size(); ++i) z[i] = -r[i];
    };
    EXPECT_NE(message(indefinite, x).find("pipecg: r^T M^-1 r = "), std::string::npos) << message(indefinite, x);
}
