// CG on a distributed dense SPD matrix: convergence, Jacobi, reproducibility over threads,
// and the collective errors (negative curvature, bad options).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <string>
#include <vector>

#include <tessera/linalg/cg.hpp>
#include <tessera/linalg/dense_operator.hpp>

#include "grids.hpp"

using namespace tessera;
using namespace tessera::linalg;
using tessera::testing::all_grids;
using tessera::testing::grid_name;
using tessera::testing::world;

namespace {

// SPD: a strongly varying diagonal plus a symmetric Toeplitz coupling.
double spd(gindex_t i, gindex_t j) {
    if (i == j) return 4.0 + static_cast<double>(i % 7) * 10.0;
    return 1.0 / (1.0 + static_cast<double>(std::abs(i - j)));
}
double x_true(gindex_t i) { return std::sin(0.3 * static_cast<double>(i)) + 0.5; }

struct Problem {
    DistMatrix<double> A;
    DenseOperator op;
    std::vector<double> b, x;
    Problem(const ProcessGrid2D& g, gindex_t n, int nb, double (*f)(gindex_t, gindex_t))
        : A(make(g, n, nb, f)), op(A) {
        b.resize(static_cast<std::size_t>(op.local_size()));
        x.assign(b.size(), 0.0);
        for (index_t l = 0; l < op.local_size(); ++l) {
            const gindex_t i = op.global_index(l);
            long double s = 0;
            for (gindex_t j = 0; j < n; ++j) s += static_cast<long double>(f(i, j)) * x_true(j);
            b[static_cast<std::size_t>(l)] = static_cast<double>(s);
        }
    }
    static DistMatrix<double> make(const ProcessGrid2D& g, gindex_t n, int nb, double (*f)(gindex_t, gindex_t)) {
        DistMatrix<double> A(g, n, n, nb);
        A.fill(f);
        return A;
    }
};

}  // namespace

TEST(CgDense, SolvesOnEveryGridAndJacobiHelps) {
    for (const auto& pq : all_grids()) {
        ProcessGrid2D g(world(), pq);
        int plain_iterations = 0;
        for (auto pre : {Preconditioner::none, Preconditioner::jacobi}) {
            Problem pb(g, 45, 4, spd);
            const auto res = cg(pb.op, pb.b, pb.x, {.tol = 1e-12, .max_iter = 200, .precond = pre});
            EXPECT_TRUE(res.converged) << grid_name(pq);
            EXPECT_LE(res.relative_residual, 1e-12);
            EXPECT_EQ(res.history.size(), static_cast<std::size_t>(res.iterations + 1));
            for (index_t l = 0; l < pb.op.local_size(); ++l)
                EXPECT_NEAR(pb.x[static_cast<std::size_t>(l)], x_true(pb.op.global_index(l)), 1e-10);
            if (pre == Preconditioner::none) plain_iterations = res.iterations;
            else EXPECT_LT(res.iterations, plain_iterations) << "Jacobi should pay off here";
        }
    }
}

TEST(CgDense, HistoryIsBitwiseTheSameForOneAndTwoThreads) {
    ProcessGrid2D g(world());
    std::vector<double> first;
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        Problem pb(g, 40, 3, spd);
        const auto res = cg(pb.op, pb.b, pb.x, {.tol = 1e-10, .max_iter = 100, .precond = Preconditioner::jacobi});
        if (first.empty()) first = res.history;
        else EXPECT_EQ(res.history, first);
    }
    omp_set_num_threads(2);
}

TEST(CgDense, NegativeCurvatureIsACollectiveError) {
    ProcessGrid2D g(world());
    Problem pb(g, 12, 2, [](gindex_t i, gindex_t j) { return i == j ? -1.0 - static_cast<double>(i) : 0.0; });
    try {
        cg(pb.op, pb.b, pb.x, {.tol = 1e-8});
        ADD_FAILURE() << "no error";
    } catch (const CollectiveError& e) {
        EXPECT_NE(std::string(e.what()).find("negative curvature"), std::string::npos) << e.what();
        EXPECT_EQ(e.exit_code(), 2);
    }
    EXPECT_THROW(cg(pb.op, pb.b, pb.x, {.precond = Preconditioner::jacobi}), CollectiveError);
}

TEST(CgDense, MonitorSeesEveryIterationsResidual) {
    ProcessGrid2D g(world());
    Problem pb(g, 30, 4, spd);
    std::vector<double> seen;
    CgOptions opt{.tol = 1e-10, .max_iter = 100};
    opt.monitor = [&](int k, double rel) {
        EXPECT_EQ(k, static_cast<int>(seen.size()) + 1);
        seen.push_back(rel);
    };
    const auto res = cg(pb.op, pb.b, pb.x, opt);
    EXPECT_EQ(seen, std::vector<double>(res.history.begin() + 1, res.history.end()));
}

TEST(CgDense, BadOptionsAndZeroRightHandSide) {
    ProcessGrid2D g(world());
    Problem pb(g, 10, 2, spd);
    EXPECT_THROW(cg(pb.op, pb.b, pb.x, {.tol = 0.0}), CollectiveError);
    EXPECT_THROW(cg(pb.op, pb.b, pb.x, {.tol = 1e-8, .max_iter = -1}), CollectiveError);
    std::vector<double> zero(pb.b.size(), 0.0), x(pb.b.size(), 3.0);
    const auto res = cg(pb.op, zero, x);
    EXPECT_TRUE(res.converged);
    EXPECT_EQ(res.iterations, 0);
    for (double v : x) EXPECT_EQ(v, 0.0);
}
