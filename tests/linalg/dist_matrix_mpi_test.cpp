// DistMatrix layout, gather/scatter, Eigen views of the local part, norms, transpose and
// matvec on every grid.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <numeric>
#include <vector>

#include <tessera/linalg/dist_matrix.hpp>
#include <tessera/linalg/matvec.hpp>
#include <tessera/linalg/transpose.hpp>

#include "grids.hpp"

using namespace tessera;
using namespace tessera::linalg;
using tessera::testing::all_grids;
using tessera::testing::grid_name;
using tessera::testing::world;

namespace {

double entry(gindex_t i, gindex_t j) { return std::sin(0.1 * static_cast<double>(i) + 0.7 * static_cast<double>(j)) + 0.001 * i; }

struct Shape {
    gindex_t m, n;
    int nb;
};
const Shape kShapes[] = {{1, 1, 1}, {7, 5, 2}, {13, 29, 4}, {32, 32, 8}, {3, 17, 5}, {10, 0, 3}};

}  // namespace

TEST(BlockCyclic, CountsCoverEveryIndexOnce) {
    for (gindex_t n : {0, 1, 7, 64, 65}) {
        for (int nb : {1, 3, 8}) {
            for (int procs : {1, 2, 3, 4}) {
                const BlockCyclic l{n, nb, procs};
                index_t total = 0;
                for (int p = 0; p < procs; ++p) {
                    total += l.count(p);
                    for (index_t li = 0; li < l.count(p); ++li) {
                        const gindex_t g = l.global(li, p);
                        EXPECT_EQ(l.owner(g), p);
                        EXPECT_EQ(l.local(g), li);
                    }
                }
                EXPECT_EQ(total, n) << n << " " << nb << " " << procs;
            }
        }
    }
}

TEST(ProcessGrid, NearSquareAndSubCommunicators) {
    EXPECT_EQ(near_square_grid(1), (std::array<int, 2>{1, 1}));
    EXPECT_EQ(near_square_grid(2), (std::array<int, 2>{1, 2}));
    EXPECT_EQ(near_square_grid(4), (std::array<int, 2>{2, 2}));
    EXPECT_EQ(near_square_grid(6), (std::array<int, 2>{2, 3}));
    EXPECT_EQ(near_square_grid(7), (std::array<int, 2>{1, 7}));
    for (const auto& pq : all_grids()) {
        ProcessGrid2D g(world(), pq);
        EXPECT_EQ(g.row_comm().size(), pq[1]);
        EXPECT_EQ(g.col_comm().size(), pq[0]);
        EXPECT_EQ(g.row_comm().rank(), g.col());
        EXPECT_EQ(g.col_comm().rank(), g.row());
        EXPECT_EQ(g.rank_of(g.row(), g.col()), world().rank());
    }
    EXPECT_THROW(ProcessGrid2D(world(), {world().size() + 1, 1}), CollectiveError);
}

TEST(DistMatrix, FillGatherScatterRoundTrip) {
    for (const auto& pq : all_grids()) {
        ProcessGrid2D g(world(), pq);
        for (const auto& s : kShapes) {
            DistMatrix<double> A(g, s.m, s.n, s.nb);
            A.fill(entry);
            const auto full = A.gather(0);
            if (world().rank() == 0) {
                EXPECT_EQ(full.size(), static_cast<std::size_t>(s.m * s.n));
            }
            // EXPECT, not ASSERT: an early return on rank 0 would skip the scatter below.
            if (world().rank() == 0 && full.size() == static_cast<std::size_t>(s.m * s.n)) {
                for (gindex_t j = 0; j < s.n; ++j)
                    for (gindex_t i = 0; i < s.m; ++i)
                        EXPECT_EQ(full[static_cast<std::size_t>(i + j * s.m)], entry(i, j));
            }
            DistMatrix<double> B(g, s.m, s.n, s.nb);
            B.scatter(full, 0);
            for (index_t lj = 0; lj < B.local_cols(); ++lj)
                for (index_t li = 0; li < B.local_rows(); ++li)
                    EXPECT_EQ(B.local(li, lj), A.local(li, lj)) << grid_name(pq);
        }
    }
}

TEST(DistMatrix, EigenViewIsTheLocalPartInPlace) {
    for (const auto& pq : all_grids()) {
        ProcessGrid2D g(world(), pq);
        for (const auto& s : kShapes) {
            DistMatrix<double> A(g, s.m, s.n, s.nb);
            auto map = A.local_eigen();
            const auto& cA = A;
            const auto cmap = cA.local_eigen();
            EXPECT_EQ(map.rows(), A.local_rows());
            EXPECT_EQ(map.cols(), A.local_cols());
            EXPECT_EQ(map.outerStride(), A.ld());
            EXPECT_EQ(map.data(), A.local_data());
            EXPECT_EQ(cmap.data(), cA.local_data());
            // Write through the map; read through local() and the gathered global matrix.
            for (index_t lj = 0; lj < map.cols(); ++lj)
                for (index_t li = 0; li < map.rows(); ++li) map(li, lj) = entry(A.global_row(li), A.global_col(lj));
            for (index_t lj = 0; lj < A.local_cols(); ++lj)
                for (index_t li = 0; li < A.local_rows(); ++li) {
                    EXPECT_EQ(A.local(li, lj), entry(A.global_row(li), A.global_col(lj))) << grid_name(pq);
                    EXPECT_EQ(cmap(li, lj), A.local(li, lj));
                }
            const auto full = A.gather(0);
            if (world().rank() == 0 && full.size() == static_cast<std::size_t>(s.m * s.n)) {
                for (gindex_t j = 0; j < s.n; ++j)
                    for (gindex_t i = 0; i < s.m; ++i)
                        EXPECT_EQ(full[static_cast<std::size_t>(i + j * s.m)], entry(i, j)) << grid_name(pq);
            }
            // A whole-block Eigen expression writes in place too.
            map *= 2.0;
            for (index_t lj = 0; lj < A.local_cols(); ++lj)
                for (index_t li = 0; li < A.local_rows(); ++li)
                    EXPECT_EQ(A.local(li, lj), 2.0 * entry(A.global_row(li), A.global_col(lj)));
        }
    }
}

TEST(DistMatrix, EigenProductOfLocalBlocksEqualsAPlainLoop) {
    for (const auto& pq : all_grids()) {
        ProcessGrid2D g(world(), pq);
        DistMatrix<double> A(g, 29, 13, 4), B(g, 29, 13, 4);  // same layout: same local shapes
        A.fill(entry);
        B.fill([](gindex_t i, gindex_t j) { return std::cos(0.3 * static_cast<double>(i * j)) - 0.25; });
        const auto& cA = A;
        const Eigen::MatrixXd c = cA.local_eigen().transpose() * B.local_eigen();  // local A^T B
        EXPECT_EQ(c.rows(), A.local_cols());
        EXPECT_EQ(c.cols(), B.local_cols());
        if (c.rows() != A.local_cols() || c.cols() != B.local_cols()) continue;  // no collective skipped
        for (index_t j = 0; j < B.local_cols(); ++j)
            for (index_t i = 0; i < A.local_cols(); ++i) {
                double ref = 0, scale = 0;
                for (index_t l = 0; l < A.local_rows(); ++l) {
                    ref += A.local(l, i) * B.local(l, j);
                    scale += std::abs(A.local(l, i) * B.local(l, j));
                }
                EXPECT_NEAR(c(i, j), ref, 1e-14 * (scale + 1)) << grid_name(pq) << " (" << i << ", " << j << ")";
            }
    }
}

TEST(DistMatrix, NormsMatchSerialAndAreBitwiseEqualAcrossGrids) {
    const gindex_t m = 37, n = 23;
    double frob_first = -1;
    for (const auto& pq : all_grids()) {
        for (int nb : {4, 5}) {
            ProcessGrid2D g(world(), pq);
            DistMatrix<double> A(g, m, n, nb);
            A.fill([](gindex_t i, gindex_t j) { return entry(i, j) * std::pow(10.0, (i + j) % 7 - 3); });
            long double ss = 0;
            double mx = 0;
            for (gindex_t j = 0; j < n; ++j)
                for (gindex_t i = 0; i < m; ++i) {
                    const double a = entry(i, j) * std::pow(10.0, (i + j) % 7 - 3);
                    ss += static_cast<long double>(a) * a;
                    mx = std::max(mx, std::abs(a));
                }
            const double frob = norm_frobenius(A);
            EXPECT_NEAR(frob, std::sqrt(static_cast<double>(ss)), 1e-14 * frob);
            EXPECT_EQ(norm_max(A), mx);
            // Same block size, any grid: the same bits.
            if (nb == 4) {
                if (frob_first < 0) frob_first = frob;
                EXPECT_EQ(frob, frob_first) << grid_name(pq);
            }
        }
    }
}

TEST(Transpose, MatchesGatheredTransposeAndTwiceIsIdentity) {
    for (const auto& pq : all_grids()) {
        ProcessGrid2D g(world(), pq);
        for (const auto& s : kShapes) {
            DistMatrix<double> A(g, s.m, s.n, s.nb);
            A.fill(entry);
            const auto At = transpose(A);
            EXPECT_EQ(At.rows(), s.n);
            EXPECT_EQ(At.cols(), s.m);
            const auto full = At.gather(0), fullA = A.gather(0);
            if (world().rank() == 0) {
                for (gindex_t j = 0; j < s.m; ++j)
                    for (gindex_t i = 0; i < s.n; ++i)
                        EXPECT_EQ(full[static_cast<std::size_t>(i + j * s.n)],
                                  fullA[static_cast<std::size_t>(j + i * s.m)]);
            }
            const auto Att = transpose(At);
            for (index_t lj = 0; lj < A.local_cols(); ++lj)
                for (index_t li = 0; li < A.local_rows(); ++li)
                    EXPECT_EQ(Att.local(li, lj), A.local(li, lj)) << grid_name(pq);
        }
    }
}

TEST(Matvec, MatchesSerialProduct) {
    for (const auto& pq : all_grids()) {
        ProcessGrid2D g(world(), pq);
        for (const auto& s : kShapes) {
            DistMatrix<double> A(g, s.m, s.n, s.nb);
            A.fill(entry);
            std::vector<double> x(static_cast<std::size_t>(s.n)), y(static_cast<std::size_t>(s.m), 1.0);
            for (gindex_t j = 0; j < s.n; ++j) x[static_cast<std::size_t>(j)] = 1.0 / (1.0 + j);
            matvec(2.0, A, x, 0.5, y);
            for (gindex_t i = 0; i < s.m; ++i) {
                double ref = 0, scale = 0;
                for (gindex_t j = 0; j < s.n; ++j) {
                    ref += entry(i, j) * x[static_cast<std::size_t>(j)];
                    scale += std::abs(entry(i, j) * x[static_cast<std::size_t>(j)]);
                }
                EXPECT_NEAR(y[static_cast<std::size_t>(i)], 2.0 * ref + 0.5, 1e-14 * (2 * scale + 1))
                    << grid_name(pq) << " row " << i;
            }
        }
    }
    ProcessGrid2D g(world());
    DistMatrix<double> A(g, 4, 3, 2);
    std::vector<double> x(2), y(4);
    EXPECT_THROW(matvec(1.0, A, x, 0.0, y), CollectiveError);
}
