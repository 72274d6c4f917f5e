// SUMMA GEMM against a serial product of the gathered operands, on every grid, for square,
// tall, wide and non-divisible shapes, with and without transposes.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include <tessera/linalg/gemm.hpp>

#include "grids.hpp"

using namespace tessera;
using namespace tessera::linalg;
using tessera::testing::all_grids;
using tessera::testing::grid_name;
using tessera::testing::world;

namespace {

struct Case {
    const char* name;
    gindex_t m, n, k;
    int nb;
};
const Case kCases[] = {
    {"square", 24, 24, 24, 4},  {"tall", 37, 9, 11, 5},     {"wide", 6, 41, 13, 3},
    {"uneven", 19, 23, 17, 4},  {"thin-k", 5, 3, 2, 2},     {"big-block", 5, 6, 7, 8},
};

double a_entry(gindex_t i, gindex_t j) { return std::cos(0.3 * i + 0.11 * j * j) + 0.5; }
double b_entry(gindex_t i, gindex_t j) { return std::sin(0.07 * i * j + 0.2 * j) - 0.25; }
double c_entry(gindex_t i, gindex_t j) { return 0.01 * static_cast<double>(i - j); }

double frobenius(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x * x;
    return std::sqrt(s);
}

// HPL-style scaled residual ||C - C_ref||_F / (||A||_F ||B||_F k eps) of C = alpha op(A) op(B)
// + beta C0 on one rank, from column-major gathered operands.
double scaled_residual(const std::vector<double>& A, gindex_t lda, Transpose ta,
                       const std::vector<double>& B, gindex_t ldb, Transpose tb,
                       const std::vector<double>& C0, const std::vector<double>& C, gindex_t m,
                       gindex_t n, gindex_t k, double alpha, double beta) {
    std::vector<double> diff(C.size());
    for (gindex_t j = 0; j < n; ++j)
        for (gindex_t i = 0; i < m; ++i) {
            long double s = 0;
            for (gindex_t l = 0; l < k; ++l) {
                const double a = ta == Transpose::no ? A[i + l * lda] : A[l + i * lda];
                const double b = tb == Transpose::no ? B[l + j * ldb] : B[j + l * ldb];
                s += static_cast<long double>(a) * b;
            }
            const auto idx = static_cast<std::size_t>(i + j * m);
            diff[idx] = C[idx] - static_cast<double>(alpha * s + beta * static_cast<long double>(C0[idx]));
        }
    const double scale = frobenius(A) * frobenius(B) * static_cast<double>(std::max<gindex_t>(k, 1)) *
                         std::numeric_limits<double>::epsilon();
    return frobenius(diff) / std::max(scale, std::numeric_limits<double>::min());
}

void check_gemm(const ProcessGrid2D& g, const Case& c, Transpose ta, Transpose tb,
                const GemmOptions& options) {
    const double alpha = 1.5, beta = -0.5;
    DistMatrix<double> A(g, ta == Transpose::no ? c.m : c.k, ta == Transpose::no ? c.k : c.m, c.nb);
    DistMatrix<double> B(g, tb == Transpose::no ? c.k : c.n, tb == Transpose::no ? c.n : c.k, c.nb);
    DistMatrix<double> C(g, c.m, c.n, c.nb);
    A.fill(a_entry);
    B.fill(b_entry);
    C.fill(c_entry);
    const auto c0 = C.gather();
    gemm(ta, tb, alpha, A, B, beta, C, options);
    const auto a = A.gather(), b = B.gather(), cg = C.gather();
    if (world().rank() != 0) return;
    const double r = scaled_residual(a, A.rows(), ta, b, B.rows(), tb, c0, cg, c.m, c.n, c.k, alpha, beta);
    EXPECT_LT(r, 10.0) << c.name << " on " << grid_name({g.rows(), g.cols()}) << " transa "
                       << (ta == Transpose::yes) << " transb " << (tb == Transpose::yes);
}

}  // namespace

TEST(Gemm, MatchesSerialProductOnEveryGridShapeAndTranspose) {
    for (const auto& pq : all_grids()) {
        ProcessGrid2D g(world(), pq);
        for (const auto& c : kCases)
            for (auto ta : {Transpose::no, Transpose::yes})
                for (auto tb : {Transpose::no, Transpose::yes}) check_gemm(g, c, ta, tb, {});
    }
}

TEST(Gemm, PanelWidthAndOverlapDoNotChangeTheResult) {
    for (const auto& pq : all_grids()) {
        ProcessGrid2D g(world(), pq);
        for (const auto& c : kCases) {
            check_gemm(g, c, Transpose::no, Transpose::no, {.panel = c.nb, .overlap = false});
            check_gemm(g, c, Transpose::no, Transpose::no, {.panel = 3 * c.nb, .overlap = true});
        }
    }
}

TEST(Gemm, BetaZeroIgnoresNaNsInC) {
    ProcessGrid2D g(world());
    DistMatrix<double> A(g, 9, 4, 2), B(g, 4, 7, 2), C(g, 9, 7, 2);
    A.fill([](gindex_t i, gindex_t j) { return double(i + j); });
    B.fill([](gindex_t i, gindex_t j) { return double(i == j); });
    C.fill([](gindex_t, gindex_t) { return std::nan(""); });
    gemm(1.0, A, B, 0.0, C);
    for (index_t lj = 0; lj < C.local_cols(); ++lj)
        for (index_t li = 0; li < C.local_rows(); ++li) {
            const gindex_t i = C.global_row(li), j = C.global_col(lj);
            EXPECT_EQ(C.local(li, lj), j < 4 ? double(i + j) : 0.0);
        }
}

TEST(Gemm, NonConformingShapesAndBlockSizesAreCollectiveErrors) {
    ProcessGrid2D g(world());
    DistMatrix<double> A(g, 6, 5, 2), B(g, 4, 3, 2), C(g, 6, 3, 2), D(g, 5, 3, 3);
    EXPECT_THROW(gemm(1.0, A, B, 0.0, C), CollectiveError);
    DistMatrix<double> C2(g, 6, 3, 3);
    EXPECT_THROW(gemm(1.0, A, D, 0.0, C2), CollectiveError);
}
