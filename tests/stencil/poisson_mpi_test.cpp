// stencil::PoissonOperator on its own (CG on it: tests/linalg/cg_poisson_mpi_test.cpp): the
// exact discrete Laplacian of a separable quadratic, the diagonal against apply() of a unit
// vector, apply_dot() against apply() + dot(), the red-black Gauss-Seidel half-sweep
// (relax_colour) zeroing the residual of its colour only, the same bits on any layout and
// thread count (np 1, 2, 4; threads 1, 2), and errors that name the constructor's parameters.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <tessera/core/error.hpp>
#include <tessera/core/reduce.hpp>
#include <tessera/stencil/poisson.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::stencil::PoissonOperator;
using tessera::testing::world;

namespace {

// Global index (x fastest) of local entry l of op's owned box.
template <int Dim>
gindex_t global_index(const PoissonOperator<Dim>& op, index_t l) {
    const auto& b = op.decomp().owned_box();
    const auto& cells = op.decomp().global_cells();
    gindex_t g = 0, stride = 1, rest = l;
    for (int d = 0; d < Dim; ++d) {
        const gindex_t n = b.hi[d] - b.lo[d];
        g += (b.lo[d] + rest % n) * stride;
        rest /= n;
        stride *= cells[d];
    }
    return g;
}

// Not zero on the walls and not a polynomial: every ghost and boundary path matters.
template <int Dim>
double wavy(const std::array<double, Dim>& p) {
    double v = 1;
    for (int d = 0; d < Dim; ++d) v *= std::cos(3.0 * p[d] + d) + 0.5 * p[d];
    return v;
}

// Parity of the global index sum i + j [+ k] of local entry l: its red-black colour.
template <int Dim>
int colour_of(const PoissonOperator<Dim>& op, index_t l) {
    const auto& b = op.decomp().owned_box();
    gindex_t sum = 0, rest = l;
    for (int d = 0; d < Dim; ++d) {
        const gindex_t n = b.hi[d] - b.lo[d];
        sum += b.lo[d] + rest % n;
        rest /= n;
    }
    return static_cast<int>(sum & 1);
}

template <int Dim>
double smooth_rhs(const std::array<double, Dim>& p) {
    return 1.0 + p[0] * p[Dim - 1];
}

struct Applied {
    std::vector<double> y;  ///< apply(x), local part
    double dot = 0;         ///< x . y from apply_dot, reduced over the communicator
    std::vector<double> relaxed;  ///< x after a red and a black half-sweep on A x = smooth_rhs
};

template <int Dim>
Applied apply_wavy(PoissonOperator<Dim>& op) {
    const auto n = static_cast<std::size_t>(op.local_size());
    std::vector<double> x(n), y2(n), b(n);
    Applied a{std::vector<double>(n), 0, {}};
    op.fill(std::span<double>(x), wavy<Dim>);
    op.fill(std::span<double>(b), smooth_rhs<Dim>);
    a.relaxed = x;
    op.relax_colour(b, a.relaxed, 0);
    op.relax_colour(b, a.relaxed, 1);
    op.apply(x, a.y);
    ExactSum acc;
    op.apply_dot(x, y2, acc);
    acc.allreduce(op.comm());
    a.dot = acc.round();
    EXPECT_EQ(y2, a.y) << "apply_dot() wrote other values than apply()";
    EXPECT_EQ(a.dot, tessera::dot(op.comm(), x, a.y, op.chunk())) << "apply_dot() vs dot()";
    return a;
}

}  // namespace

TEST(PoissonOperator, QuadraticGivesTheExactDiscreteLaplacian) {
    // u = prod_d x_d (1 - x_d) vanishes on the walls, and the second difference of a quadratic
    // is exact: -lap_h u = sum_d 2 prod_{e != d} x_e (1 - x_e) at every unknown.
    auto q = [](double t) { return t * (1 - t); };
    {
        PoissonOperator<2> op(world(), {9, 14});
        const auto n = static_cast<std::size_t>(op.local_size());
        std::vector<double> x(n), y(n), ref(n);
        op.fill(std::span<double>(x), [&](const std::array<double, 2>& p) { return q(p[0]) * q(p[1]); });
        op.fill(std::span<double>(ref), [&](const std::array<double, 2>& p) { return 2 * (q(p[0]) + q(p[1])); });
        op.apply(x, y);
        for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], ref[i], 1e-12) << i;
    }
    for (const std::array<int, 3>& procs : {std::array<int, 3>{0, 0, 0}, std::array<int, 3>{1, world().size(), 1},
                                            std::array<int, 3>{1, 1, world().size()}}) {
        PoissonOperator<3> op(world(), {7, 8, 6}, procs);
        const auto n = static_cast<std::size_t>(op.local_size());
        std::vector<double> x(n), y(n), ref(n);
        op.fill(std::span<double>(x), [&](const std::array<double, 3>& p) { return q(p[0]) * q(p[1]) * q(p[2]); });
        op.fill(std::span<double>(ref), [&](const std::array<double, 3>& p) {
            return 2 * (q(p[1]) * q(p[2]) + q(p[0]) * q(p[2]) + q(p[0]) * q(p[1]));
        });
        op.apply(x, y);
        for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], ref[i], 1e-12) << i;
        EXPECT_EQ(op.decomp().procs()[0], 1) << "the x axis must never be split";
    }
}

TEST(PoissonOperator, DiagonalIsTheConstantAndWhatApplyGivesOnAUnitVector) {
    PoissonOperator<3> op(world(), {5, 6, 7});
    double expect = 0;
    for (int d = 0; d < 3; ++d) expect += 2.0 / (op.spacing(d) * op.spacing(d));
    EXPECT_DOUBLE_EQ(op.spacing(1), 1.0 / 7);
    const auto n = static_cast<std::size_t>(op.local_size());
    std::vector<double> diag(n, -1.0), x(n, 0.0), y(n);
    op.diagonal(diag);
    for (double v : diag) EXPECT_EQ(v, expect);
    // e_g for a global unknown in the middle: (A e_g)_g = diag, its six neighbours -1/h_d^2.
    const gindex_t g = 2 + 5 * (3 + 6 * 3);
    for (std::size_t l = 0; l < n; ++l)
        if (global_index(op, static_cast<index_t>(l)) == g) x[l] = 1.0;
    op.apply(x, y);
    double row_sum = 0;
    for (std::size_t l = 0; l < n; ++l) {
        const gindex_t gl = global_index(op, static_cast<index_t>(l));
        if (gl == g) {
            EXPECT_EQ(y[l], expect);
        }
        row_sum += y[l];
    }
    row_sum = mpi::allreduce(world(), row_sum, MPI_SUM);
    EXPECT_NEAR(row_sum, 0.0, 1e-9 * expect);  // interior row of -lap_h: sums to zero
}

TEST(PoissonOperator, SameBitsOnAnyRanksLayoutsAndThreads) {
    const auto& w = world();
    const auto self = w.split(w.rank(), 0);
    omp_set_num_threads(1);
    PoissonOperator<2> ref2(self, {13, 10});
    PoissonOperator<3> ref3(self, {9, 7, 8});
    const auto a2 = apply_wavy(ref2);
    const auto a3 = apply_wavy(ref3);
    for (int size = 1; size <= w.size(); size *= 2) {
        const auto sub = w.split(w.rank() / size, w.rank());
        for (int threads : {1, 2}) {
            omp_set_num_threads(threads);
            SCOPED_TRACE(std::to_string(size) + " ranks, " + std::to_string(threads) + " threads");
            auto check = [&](auto& op, const Applied& ref, const char* what) {
                const auto got = apply_wavy(op);
                for (index_t l = 0; l < op.local_size(); ++l) {
                    const auto g = static_cast<std::size_t>(global_index(op, l));
                    EXPECT_EQ(got.y[static_cast<std::size_t>(l)], ref.y[g]) << what << " entry " << g;
                    EXPECT_EQ(got.relaxed[static_cast<std::size_t>(l)], ref.relaxed[g]) << what << " relaxed " << g;
                }
                EXPECT_EQ(got.dot, ref.dot) << what;
            };
            PoissonOperator<2> op2(sub, {13, 10});
            check(op2, a2, "2D");
            for (const std::array<int, 3>& procs : {std::array<int, 3>{0, 0, 0}, std::array<int, 3>{1, 1, size}}) {
                PoissonOperator<3> op3(sub, {9, 7, 8}, procs);
                check(op3, a3, "3D");
            }
        }
    }
    omp_set_num_threads(2);
}

namespace {

// One half-sweep of each colour from wavy: the colour's residuals vanish (up to rounding),
// the other colour is untouched, and zero_guess gives the bits of a zero x whatever x holds.
template <int Dim>
void check_relax_colour(PoissonOperator<Dim>& op) {
    const auto n = static_cast<std::size_t>(op.local_size());
    std::vector<double> x0(n), b(n), x(n), ax(n), zero(n), guess(n);
    op.fill(std::span<double>(x0), wavy<Dim>);
    op.fill(std::span<double>(b), smooth_rhs<Dim>);
    double diag = 0;
    op.diagonal(std::span<double>(&diag, 1));
    for (int colour : {0, 1}) {
        x = x0;
        op.relax_colour(b, x, colour);
        op.apply(x, ax);
        for (std::size_t l = 0; l < n; ++l) {
            if (colour_of(op, static_cast<index_t>(l)) == colour) {
                EXPECT_NEAR(b[l] - ax[l], 0.0, 1e-12 * diag) << "colour " << colour << " entry " << l;
            } else {
                EXPECT_EQ(x[l], x0[l]) << "colour " << colour << " entry " << l;
            }
        }
        std::fill(zero.begin(), zero.end(), 0.0);
        std::fill(guess.begin(), guess.end(), std::nan(""));
        op.relax_colour(b, zero, colour);
        op.relax_colour(b, guess, colour, true);
        EXPECT_EQ(guess, zero) << "zero_guess, colour " << colour;
    }
}

}  // namespace

TEST(PoissonOperator, RelaxColourZeroesTheResidualOfItsColourOnly) {
    PoissonOperator<2> op2(world(), {13, 10});
    check_relax_colour(op2);
    for (const std::array<int, 3>& procs : {std::array<int, 3>{0, 0, 0}, std::array<int, 3>{1, 1, world().size()}}) {
        PoissonOperator<3> op3(world(), {9, 7, 8}, procs);
        check_relax_colour(op3);
    }
    PoissonOperator<2> odd(world(), {1, 5});  // one-point x-lines
    check_relax_colour(odd);
    std::vector<double> b(static_cast<std::size_t>(op2.local_size())), x(b.size());
    EXPECT_THROW(op2.relax_colour(b, x, 2), tessera::Error);
}

TEST(PoissonOperator, ErrorsNameTheParameters) {
    auto message = [](auto&& make) {
        try {
            make();
        } catch (const CollectiveError& e) {
            return std::string(e.what());
        } catch (...) {
            return std::string("another exception");
        }
        return std::string("no exception");
    };
    const auto zero = message([] { PoissonOperator<2> op(world(), {10, 0}); });
    EXPECT_NE(zero.find("PoissonOperator: cells[1] = 0 must be positive"), std::string::npos) << zero;
    const auto neg = message([] { PoissonOperator<3> op(world(), {4, 4, 4}, {1, -1, 0}); });
    EXPECT_NE(neg.find("PoissonOperator: procs[1] = -1"), std::string::npos) << neg;
    const auto split = message([] { PoissonOperator<2> op(world(), {10, 10}, {2, 0}); });
    EXPECT_NE(split.find("PoissonOperator: procs[0] = 2"), std::string::npos) << split;
    const auto big = message([] { PoissonOperator<3> op(world(), {gindex_t{1} << 40, gindex_t{1} << 40, 4}); });
    EXPECT_NE(big.find("PoissonOperator: the product of cells overflows"), std::string::npos) << big;
    for (const auto& m : {zero, neg, split, big}) EXPECT_EQ(m.find("--"), std::string::npos) << m;

    // Wrong local sizes are caught before any communication (every rank passes them here).
    PoissonOperator<2> op(world(), {6, 5});
    std::vector<double> x(static_cast<std::size_t>(op.local_size()) + 1), y(x.size());
    EXPECT_THROW(op.apply(x, y), tessera::Error);
}
