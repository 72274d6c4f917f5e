// CG on the matrix-free Poisson operator (tessera/stencil/poisson.hpp): second-order
// convergence, one iteration for an eigenmode, iteration counts within the condition-number
// bound, a residual history bitwise identical over rank counts, layouts and threads, and a
// solve interrupted by on_iteration and resumed from its CgState on another rank count giving
// the same history and solution bits.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <numbers>
#include <type_traits>
#include <vector>

#include <tessera/linalg/cg.hpp>
#include <tessera/stencil/manufactured.hpp>
#include <tessera/stencil/poisson.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using namespace tessera::linalg;
using tessera::stencil::PoissonOperator;
using tessera::testing::world;

namespace {

constexpr double pi = std::numbers::pi;

using tessera::stencil::manufactured::exact;
using tessera::stencil::manufactured::source;

struct Solve {
    CgResult result;
    double max_error = 0;
};

template <int Dim>
Solve solve(const mpi::Comm& comm, std::array<gindex_t, Dim> cells, const CgOptions& opt,
            std::array<int, Dim> procs = {}) {
    PoissonOperator<Dim> op(comm, cells, procs);
    const auto n = static_cast<std::size_t>(op.local_size());
    std::vector<double> b(n), x(n, 0.0), u(n);
    op.fill(std::span<double>(b), source<Dim>);
    op.fill(std::span<double>(u), exact<Dim>);
    Solve s;
    s.result = cg(op, b, x, opt);
    double err = 0;
    for (std::size_t i = 0; i < n; ++i) err = std::max(err, std::abs(x[i] - u[i]));
    s.max_error = mpi::allreduce(comm, err, MPI_MAX);
    return s;
}

}  // namespace

TEST(CgPoisson, ErrorDropsAtSecondOrder2D) {
    double previous = 0;
    for (gindex_t n : {15, 31, 63}) {
        const auto s = solve<2>(world(), {n, n}, {.tol = 1e-12, .max_iter = 2000});
        EXPECT_TRUE(s.result.converged);
        if (previous > 0) {
            const double order = std::log2(previous / s.max_error);
            EXPECT_NEAR(order, 2.0, 0.1) << "n = " << n << " error " << s.max_error;
        }
        previous = s.max_error;
    }
}

TEST(CgPoisson, ErrorDropsAtSecondOrder3D) {
    const auto coarse = solve<3>(world(), {7, 7, 7}, {.tol = 1e-12});
    const auto fine = solve<3>(world(), {15, 15, 15}, {.tol = 1e-12});
    EXPECT_NEAR(std::log2(coarse.max_error / fine.max_error), 2.0, 0.15);
}

TEST(CgPoisson, EigenmodeConvergesInOneIteration) {
    for (auto pre : {Preconditioner::none, Preconditioner::jacobi}) {
        PoissonOperator<2> op2(world(), {20, 13});
        std::vector<double> b(static_cast<std::size_t>(op2.local_size())), x(b.size(), 0.0);
        op2.fill(std::span<double>(b), [](const std::array<double, 2>& p) {
            return std::sin(pi * p[0]) * std::sin(3 * pi * p[1]);
        });
        CgState state;
        const auto r2 = cg(op2, b, x, state, {.tol = 1e-10, .max_iter = 10, .precond = pre});
        EXPECT_TRUE(r2.converged);
        EXPECT_EQ(r2.iterations, 1);
        // T_1 = 1 / alpha_1 is the Rayleigh quotient of the mode: its eigenvalue (Jacobi: over
        // the constant diagonal).
        const double h0 = 1.0 / 21, h1 = 1.0 / 14;
        const double lambda = 4 / (h0 * h0) * std::pow(std::sin(pi * h0 / 2), 2) +
                              4 / (h1 * h1) * std::pow(std::sin(3 * pi * h1 / 2), 2);
        const double scale = pre == Preconditioner::jacobi ? 2 / (h0 * h0) + 2 / (h1 * h1) : 1.0;
        const auto est = spectrum_estimate(state);
        EXPECT_EQ(est.iterations, 1);
        EXPECT_NEAR(est.lambda_min, lambda / scale, 1e-10 * lambda / scale);
        EXPECT_EQ(est.lambda_max, est.lambda_min);

        PoissonOperator<3> op3(world(), {9, 8, 12});
        std::vector<double> b3(static_cast<std::size_t>(op3.local_size())), x3(b3.size(), 0.0);
        op3.fill(std::span<double>(b3), [](const std::array<double, 3>& p) {
            return std::sin(2 * pi * p[0]) * std::sin(pi * p[1]) * std::sin(5 * pi * p[2]);
        });
        const auto r3 = cg(op3, b3, x3, {.tol = 1e-10, .max_iter = 10, .precond = pre});
        EXPECT_TRUE(r3.converged);
        EXPECT_EQ(r3.iterations, 1);
    }
}

// The Lanczos estimate after a solve to 1e-12 from a right-hand side with every mode in it:
// the Laplacian's extreme eigenvalues sum_d 4 / h_d^2 sin^2(pi h_d / 2) and
// sum_d 4 / h_d^2 cos^2(pi h_d / 2) (Jacobi: over the constant diagonal), from inside, the
// same bits on any rank count; a resumed state carries the coefficients on.
TEST(CgPoisson, SpectrumEstimateFindsTheExtremeEigenvalues) {
    const auto& w = world();
    const std::array<gindex_t, 2> cells{37, 22};
    const double h0 = 1.0 / 38, h1 = 1.0 / 23;
    const double lo = 4 / (h0 * h0) * std::pow(std::sin(pi * h0 / 2), 2) + 4 / (h1 * h1) * std::pow(std::sin(pi * h1 / 2), 2);
    const double hi = 4 / (h0 * h0) * std::pow(std::cos(pi * h0 / 2), 2) + 4 / (h1 * h1) * std::pow(std::cos(pi * h1 / 2), 2);
    auto rough = [](const std::array<double, 2>& p) {  // every mode present
        const double v = std::sin(12.9898 * p[0] * 1e3 + 78.233 * p[1] * 1e3) * 43758.5453;
        return v - std::floor(v) - 0.5;
    };
    for (auto pre : {Preconditioner::none, Preconditioner::jacobi}) {
        const double scale = pre == Preconditioner::jacobi ? 2 / (h0 * h0) + 2 / (h1 * h1) : 1.0;
        SpectrumEstimate reference;
        for (int size = 1; size <= w.size(); size *= 2) {
            const auto comm = w.split(w.rank() / size, w.rank());
            PoissonOperator<2> op(comm, cells);
            std::vector<double> b(static_cast<std::size_t>(op.local_size())), x(b.size(), 0.0);
            op.fill(std::span<double>(b), rough);
            CgState state;
            const auto res = cg(op, b, x, state, {.tol = 1e-12, .max_iter = 1000, .precond = pre});
            ASSERT_TRUE(res.converged);
            ASSERT_EQ(state.alpha.size(), static_cast<std::size_t>(res.iterations));
            const auto est = spectrum_estimate(state);
            EXPECT_EQ(est.iterations, res.iterations);
            EXPECT_GE(est.lambda_min, lo / scale * (1 - 1e-12));
            EXPECT_LE(est.lambda_max, hi / scale * (1 + 1e-12));
            EXPECT_NEAR(est.lambda_min, lo / scale, 1e-6 * lo / scale);
            EXPECT_NEAR(est.lambda_max, hi / scale, 1e-6 * hi / scale);
            EXPECT_NEAR(est.condition, hi / lo, 1e-5 * hi / lo);
            if (size == 1) reference = est;
            EXPECT_EQ(est.lambda_min, reference.lambda_min) << size << " ranks";
            EXPECT_EQ(est.lambda_max, reference.lambda_max) << size << " ranks";
        }
    }
    EXPECT_EQ(spectrum_estimate(std::span<const double>{}, {}).iterations, 0);
    const std::vector<double> alpha{0.5, 0.25};
    EXPECT_THROW(spectrum_estimate(alpha, {}), Error);
}

TEST(CgPoisson, IterationsWithinTheConditionNumberBoundAndGrowLikeN) {
    // kappa = cot^2(pi h / 2) on an N x N grid, h = 1/(N+1). CG: ||e_k||_A <= 2 rho^k ||e_0||_A
    // with rho = (sqrt(kappa)-1)/(sqrt(kappa)+1), so ||r_k|| / ||r_0|| <= 2 sqrt(kappa) rho^k.
    const double tol = 1e-8;
    std::vector<int> its;
    for (gindex_t n : {16, 32, 64}) {
        const auto s = solve<2>(world(), {n, n}, {.tol = tol, .max_iter = 10000});
        const double h = 1.0 / static_cast<double>(n + 1);
        const double kappa = 1.0 / std::pow(std::tan(pi * h / 2), 2);
        const double rho = (std::sqrt(kappa) - 1) / (std::sqrt(kappa) + 1);
        const double bound = std::ceil(std::log(2 * std::sqrt(kappa) / tol) / std::log(1 / rho));
        EXPECT_TRUE(s.result.converged);
        EXPECT_LE(s.result.iterations, bound) << "N = " << n;
        its.push_back(s.result.iterations);
    }
    EXPECT_NEAR(static_cast<double>(its[2]) / its[1], 2.0, 0.5);
    EXPECT_NEAR(static_cast<double>(its[1]) / its[0], 2.0, 0.5);
}

TEST(CgPoisson, HistoryIsBitwiseIdenticalForAnyRanksLayoutsAndThreads) {
    const auto& w = world();
    // Reference: one rank, one thread. Then every sub-communicator size dividing the world and
    // both thread counts; in 3D also two layouts of the same rank count.
    const auto self = w.split(w.rank(), 0);
    for (auto pre : {Preconditioner::none, Preconditioner::jacobi}) {
        const CgOptions opt{.tol = 1e-9, .max_iter = 60, .precond = pre};
        omp_set_num_threads(1);
        const auto ref2 = solve<2>(self, {23, 18}, opt).result.history;
        const auto ref3 = solve<3>(self, {11, 9, 8}, opt).result.history;
        EXPECT_GT(ref2.size(), 10u);
        for (int size = 1; size <= w.size(); size *= 2) {
            const auto sub = w.split(w.rank() / size, w.rank());
            for (int threads : {1, 2}) {
                omp_set_num_threads(threads);
                EXPECT_EQ(solve<2>(sub, {23, 18}, opt).result.history, ref2)
                    << size << " ranks, " << threads << " threads";
                EXPECT_EQ(solve<3>(sub, {11, 9, 8}, opt).result.history, ref3)
                    << size << " ranks, " << threads << " threads";
                if (size == 4) {
                    EXPECT_EQ(solve<3>(sub, {11, 9, 8}, opt, {1, 1, 4}).result.history, ref3);
                }
            }
        }
    }
    omp_set_num_threads(2);
}

namespace {
// The same operator without apply_dot(): cg() then takes the unfused path.
template <int Dim>
struct Unfused {
    PoissonOperator<Dim>& op;
    const mpi::Comm& comm() const { return op.comm(); }
    index_t local_size() const { return op.local_size(); }
    index_t chunk() const { return op.chunk(); }
    void apply(std::span<const double> x, std::span<double> y) { op.apply(x, y); }
    void diagonal(std::span<double> d) const { op.diagonal(d); }
};
}  // namespace

TEST(CgPoisson, FusedApplyDotGivesTheSameBitsAsSeparatePasses) {
    PoissonOperator<3> op(world(), {12, 10, 9});
    std::vector<double> b(static_cast<std::size_t>(op.local_size()));
    op.fill(std::span<double>(b), source<3>);
    std::vector<double> x1(b.size(), 0.0), x2(b.size(), 0.0);
    const CgOptions opt{.tol = 1e-9, .max_iter = 40};
    const auto fused = cg(op, b, x1, opt);
    Unfused<3> plain{op};
    const auto unfused = cg(plain, b, x2, opt);
    EXPECT_GT(fused.iterations, 5);
    EXPECT_EQ(fused.history, unfused.history);
    EXPECT_EQ(x1, x2);
}

namespace {
// A function that does not vanish on the boundary, and its value extended by zero outside the
// open unit box (the Dirichlet ghosts), sampled at point p shifted by `shift` along `axis`.
template <int Dim>
double wavy(std::array<double, Dim> p, int axis = 0, double shift = 0.0) {
    p[static_cast<std::size_t>(axis)] += shift;
    double v = 1;
    for (int d = 0; d < Dim; ++d) {
        if (p[d] < 1e-12 || p[d] > 1 - 1e-12) return 0.0;
        v *= std::cos(3.0 * p[d] + d) + 0.5 * p[d];
    }
    return v;
}
}  // namespace

TEST(PoissonOperator, ApplyMatchesThePointwiseStencilOnEveryLayout) {
    // The reference twin: the stencil written out point by point from the function values.
    auto check = [](auto& op, auto tag) {
        constexpr int Dim = decltype(tag)::value;
        const auto n = static_cast<std::size_t>(op.local_size());
        std::vector<double> x(n), y(n), ref(n);
        op.fill(std::span<double>(x), [](const std::array<double, Dim>& p) { return wavy<Dim>(p); });
        op.apply(x, y);
        op.fill(std::span<double>(ref), [&](const std::array<double, Dim>& p) {
            double r = 0;
            for (int d = 0; d < Dim; ++d) {
                const double h = op.spacing(d);
                r += (2 * wavy<Dim>(p) - wavy<Dim>(p, d, -h) - wavy<Dim>(p, d, h)) / (h * h);
            }
            return r;
        });
        for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], ref[i], 1e-9) << i;
    };
    const int np = world().size();
    {
        PoissonOperator<2> op(world(), {9, 11});
        check(op, std::integral_constant<int, 2>{});
    }
    for (const std::array<int, 3>& procs : {std::array<int, 3>{1, 0, 0}, std::array<int, 3>{1, np, 1},
                                            std::array<int, 3>{1, 1, np}}) {
        PoissonOperator<3> op(world(), {7, 8, 6}, procs);
        check(op, std::integral_constant<int, 3>{});
    }
}

namespace {
// The global linear index (i fastest) of every local entry of a Poisson operator's vectors.
template <int Dim>
std::vector<gindex_t> global_indices(const PoissonOperator<Dim>& op) {
    const auto& b = op.decomp().owned_box();
    const auto g = op.decomp().global_box();
    std::vector<gindex_t> idx;
    for (index_t r = 0; r < box_rows(b); ++r) {
        const gindex_t j = b.lo[1] + r % b.extent(1);
        const gindex_t k = Dim == 3 ? b.lo[Dim - 1] + r / b.extent(1) : 0;
        for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i) idx.push_back(i + g.extent(0) * (j + g.extent(1) * k));
    }
    return idx;
}

// Collective: the global vector (every rank gets all of it) from the local parts `v`.
template <int Dim, class V>
std::vector<double> gather_global(const PoissonOperator<Dim>& op, const V& v) {
    const auto& comm = op.comm();
    const auto idx = global_indices(op);
    const auto counts = mpi::allgather(comm, static_cast<int>(idx.size()));
    std::vector<int> displs(counts.size(), 0);
    for (std::size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
    const int total = displs.back() + counts.back();
    std::vector<double> values(static_cast<std::size_t>(total)), global(values.size());
    std::vector<gindex_t> where(values.size());
    MPI_Allgatherv(v.data(), counts[comm.rank()], MPI_DOUBLE, values.data(), counts.data(), displs.data(),
                   MPI_DOUBLE, comm.get());
    MPI_Allgatherv(idx.data(), counts[comm.rank()], MPI_INT64_T, where.data(), counts.data(), displs.data(),
                   MPI_INT64_T, comm.get());
    for (std::size_t l = 0; l < where.size(); ++l) global[static_cast<std::size_t>(where[l])] = values[l];
    return global;
}

// Local: this rank's part of a global vector.
template <int Dim>
StreamedVector<double> scatter_local(const PoissonOperator<Dim>& op, const std::vector<double>& global) {
    StreamedVector<double> v;
    for (auto g : global_indices(op)) v.push_back(global[static_cast<std::size_t>(g)]);
    return v;
}

// A solve interrupted after `stop_at` iterations on `first`, its state carried over as global
// vectors (what a checkpoint does) and resumed on `second`: history and x (global).
template <int Dim>
std::pair<std::vector<double>, std::vector<double>> interrupted(const mpi::Comm& first, const mpi::Comm& second,
                                                                std::array<gindex_t, Dim> cells, CgOptions opt,
                                                                int stop_at) {
    CgState carried;
    std::vector<double> x_global, r_global, p_global;
    {
        PoissonOperator<Dim> op(first, cells);
        const auto n = static_cast<std::size_t>(op.local_size());
        std::vector<double> b(n), x(n, 0.0);
        op.fill(std::span<double>(b), source<Dim>);
        CgState state;
        int calls = 0;
        opt.on_iteration = [&](const CgState& s) {
            EXPECT_EQ(s.iteration, ++calls);
            EXPECT_EQ(s.history.size(), static_cast<std::size_t>(s.iteration) + 1);
            return s.iteration < stop_at;
        };
        const auto res = cg(op, b, x, state, opt);
        EXPECT_TRUE(res.stopped);
        EXPECT_FALSE(res.converged);
        EXPECT_EQ(res.iterations, stop_at);
        carried = state;
        x_global = gather_global(op, x);
        r_global = gather_global(op, state.r);
        p_global = gather_global(op, state.p);
    }
    PoissonOperator<Dim> op(second, cells);
    const auto n = static_cast<std::size_t>(op.local_size());
    std::vector<double> b(n);
    op.fill(std::span<double>(b), source<Dim>);
    auto x = scatter_local(op, x_global);
    carried.r = scatter_local(op, r_global);
    carried.p = scatter_local(op, p_global);
    opt.on_iteration = nullptr;
    const auto res = cg(op, b, x, carried, opt);
    EXPECT_TRUE(res.converged);
    EXPECT_FALSE(res.stopped);
    EXPECT_EQ(carried.alpha.size(), static_cast<std::size_t>(res.iterations));
    return {res.history, gather_global(op, x)};
}
}  // namespace

TEST(CgPoisson, ResumedSolveIsBitwiseTheUninterruptedOneOnAnyRankCount) {
    const auto& w = world();
    for (auto pre : {Preconditioner::none, Preconditioner::jacobi}) {
        const CgOptions opt{.tol = 1e-9, .max_iter = 200, .precond = pre};
        // Reference: uninterrupted, on the whole world.
        std::vector<double> ref2, ref3, x2, x3;
        {
            PoissonOperator<2> op(w, {23, 18});
            std::vector<double> b(static_cast<std::size_t>(op.local_size())), x(b.size(), 0.0);
            op.fill(std::span<double>(b), source<2>);
            ref2 = cg(op, b, x, opt).history;
            x2 = gather_global(op, x);
        }
        {
            PoissonOperator<3> op(w, {11, 9, 8});
            std::vector<double> b(static_cast<std::size_t>(op.local_size())), x(b.size(), 0.0);
            op.fill(std::span<double>(b), source<3>);
            ref3 = cg(op, b, x, opt).history;
            x3 = gather_global(op, x);
        }
        ASSERT_GT(ref2.size(), 20u);
        for (int s1 = 1; s1 <= w.size(); s1 *= 2) {
            for (int s2 = 1; s2 <= w.size(); s2 *= 2) {
                const auto first = w.split(w.rank() / s1, w.rank());
                const auto second = w.split(w.rank() / s2, w.rank());
                const auto [h2, y2] = interrupted<2>(first, second, {23, 18}, opt, 13);
                EXPECT_EQ(h2, ref2) << s1 << " -> " << s2 << " ranks";
                EXPECT_EQ(y2, x2) << s1 << " -> " << s2 << " ranks";
                const auto [h3, y3] = interrupted<3>(first, second, {11, 9, 8}, opt, 7);
                EXPECT_EQ(h3, ref3) << s1 << " -> " << s2 << " ranks";
                EXPECT_EQ(y3, x3) << s1 << " -> " << s2 << " ranks";
            }
        }
    }
}

TEST(CgPoisson, OnIterationStopsAndResumeChecksTheState) {
    PoissonOperator<2> op(world(), {20, 16});
    const auto n = static_cast<std::size_t>(op.local_size());
    std::vector<double> b(n), x(n, 0.0);
    op.fill(std::span<double>(b), source<2>);
    // A stop at the last allowed iteration is not a stop: the solve ended there anyway.
    CgState state;
    CgOptions opt{.tol = 1e-9, .max_iter = 5};
    opt.on_iteration = [](const CgState& s) { return s.iteration < 5; };
    const auto res = cg(op, b, x, state, opt);
    EXPECT_EQ(res.iterations, 5);
    EXPECT_FALSE(res.stopped);
    EXPECT_FALSE(res.converged);
    // Resuming with a larger limit goes on from iteration 5.
    opt.max_iter = 8;
    opt.on_iteration = nullptr;
    const auto more = cg(op, b, x, state, opt);
    EXPECT_EQ(more.iterations, 8);
    EXPECT_EQ(more.history.size(), 9u);
    EXPECT_EQ(std::vector<double>(more.history.begin(), more.history.begin() + 6), res.history);
    // Another right-hand side, or vectors of the wrong length: refused on every rank.
    std::vector<double> b2(b);
    for (auto& v : b2) v *= 2;
    try {
        cg(op, b2, x, state, opt);
        ADD_FAILURE() << "no error";
    } catch (const CollectiveError& e) {
        EXPECT_NE(std::string(e.what()).find("cg: the state to resume is for another right-hand side"),
                  std::string::npos) << e.what();
    }
    auto short_alpha = state;
    short_alpha.alpha.pop_back();
    EXPECT_THROW(cg(op, b, x, short_alpha, opt), CollectiveError);
    state.r.pop_back();
    EXPECT_THROW(cg(op, b, x, state, opt), CollectiveError);
}

TEST(CgPoisson, ErrorsNameTheSolversParameters) {
    PoissonOperator<2> op(world(), {8, 8});
    std::vector<double> b(static_cast<std::size_t>(op.local_size()), 1.0), x(b.size(), 0.0);
    auto message = [&](const CgOptions& opt) {
        try {
            cg(op, b, x, opt);
        } catch (const CollectiveError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message({.tol = 0.0}), "cg: tol = 0 must be in (0, 1e300)");
    EXPECT_EQ(message({.tol = 1e300}), "cg: tol = 1e+300 must be in (0, 1e300)");
    EXPECT_EQ(message({.tol = 1e-8, .max_iter = -1}), "cg: max_iter = -1 must be >= 0");
}
