// Multigrid on a user's own operator through multigrid::LevelOperator, written here as a user
// would, from the public headers only: -div(k grad u) with k = exp(x + y [+ z]) (a twenty-fold
// variation across the cube), face coefficients, a varying diagonal and the default Chebyshev
// bound. CG with its V-cycle converges in a mesh-independent number of iterations, the error
// is second order, the coarsest matrix probed from apply() is the operator's (one level is an
// exact solve), the bits are the same on 1, 2, 4 ranks and 1, 2 threads, and a smoother the
// operator cannot do is refused.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <numbers>
#include <vector>

#include <tessera/core/error.hpp>
#include <tessera/core/reduce.hpp>
#include <tessera/grid/field.hpp>
#include <tessera/grid/halo_exchange.hpp>
#include <tessera/linalg/cg.hpp>
#include <tessera/multigrid/vcycle.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;

namespace {

double coefficient(const double* p, int dim) {
    double s = 0;
    for (int d = 0; d < dim; ++d) s += p[d];
    return std::exp(s);
}

// -div(k grad u) on tessera's vertex-centred grid of the unit square / cube (Dirichlet walls):
// (A u)_p = sum_d [k(p + e_d / 2) (u_p - u_{p + e_d}) + k(p - e_d / 2) (u_p - u_{p - e_d})] / h_d^2.
template <int Dim>
class DiffusionOperator final : public multigrid::LevelOperator<Dim> {
public:
    using Index = std::array<gindex_t, Dim>;

    DiffusionOperator(const mpi::Comm& comm, const Index& cells, std::array<int, Dim> procs)
        : decomp_(comm, cells, std::array<bool, Dim>{}, procs), u_(decomp_, 1), halo_(u_, 1, grid::HaloPattern::faces) {
        const auto& b = decomp_.owned_box();
        for (int d = 0; d < Dim; ++d) {
            h_[d] = 1.0 / static_cast<double>(cells[d] + 1);
            inv_h2_[d] = 1.0 / (h_[d] * h_[d]);
            lower_[d].resize(static_cast<std::size_t>(b.size()));
            upper_[d].resize(static_cast<std::size_t>(b.size()));
        }
        index_t l = 0;
        for_each_owned([&](const std::array<gindex_t, 3>& p) {
            for (int d = 0; d < Dim; ++d) {
                lower_[d][l] = face(p, d, p[d] - 1);
                upper_[d][l] = face(p, d, p[d]);
            }
            ++l;
        });
    }

    const grid::CartDecomp<Dim>& decomp() const noexcept override { return decomp_; }

    void apply(std::span<const double> x, std::span<double> y) override {
        TESSERA_CHECK(static_cast<index_t>(x.size()) == this->local_size() && y.size() == x.size(), "apply: sizes");
        auto v = u_.view();
        index_t l = 0;
        for_each_owned([&](const std::array<gindex_t, 3>& p) { at(v, p) = x[static_cast<std::size_t>(l++)]; });
        halo_.exchange(u_);
        const auto& b = decomp_.owned_box();
        const gindex_t nx = b.extent(0), ny = b.extent(1), nz = Dim == 3 ? b.extent(2) : 1;
#pragma omp parallel for collapse(2) schedule(static)
        for (gindex_t k = 0; k < nz; ++k)
            for (gindex_t j = 0; j < ny; ++j)
                for (gindex_t i = 0; i < nx; ++i) {
                    const std::array<gindex_t, 3> p{b.lo[0] + i, b.lo[1] + j, Dim == 3 ? b.lo[Dim - 1] + k : 0};
                    const auto m = static_cast<std::size_t>(i + nx * (j + ny * k));
                    const double c = at(v, p);
                    double sum = 0;
                    for (int d = 0; d < Dim; ++d) {
                        auto lo = p, hi = p;
                        --lo[d];
                        ++hi[d];
                        sum += (upper_[d][m] * (c - at(v, hi)) + lower_[d][m] * (c - at(v, lo))) * inv_h2_[d];
                    }
                    y[m] = sum;
                }
    }

    void diagonal(std::span<double> out) const override {
        for (std::size_t m = 0; m < out.size(); ++m) {
            double sum = 0;
            for (int d = 0; d < Dim; ++d) sum += (upper_[d][m] * (1.0 - 0.0) + lower_[d][m] * (1.0 - 0.0)) * inv_h2_[d];
            out[m] = sum;
        }
    }

    std::unique_ptr<multigrid::LevelOperator<Dim>> coarsened(const mpi::Comm& comm, const Index& cells,
                                                             const std::array<int, Dim>& procs) const override {
        return std::make_unique<DiffusionOperator>(comm, cells, procs);
    }

    // The right-hand side of the manufactured solution u = prod sin(pi x_d):
    // f = -div(k grad u) = -k (lap u + sum_d du/dx_d), since grad k = k (1, 1[, 1]).
    static double source(const double* x) {
        constexpr double pi = std::numbers::pi;
        double u = 1, du = 0;
        for (int d = 0; d < Dim; ++d) u *= std::sin(pi * x[d]);
        for (int d = 0; d < Dim; ++d) {
            double g = pi * std::cos(pi * x[d]);
            for (int e = 0; e < Dim; ++e)
                if (e != d) g *= std::sin(pi * x[e]);
            du += g;
        }
        return -coefficient(x, Dim) * (-Dim * pi * pi * u + du);
    }
    static double exact(const double* x) {
        double u = 1;
        for (int d = 0; d < Dim; ++d) u *= std::sin(std::numbers::pi * x[d]);
        return u;
    }
    // v[l] = f(coordinates of owned unknown l).
    void fill(std::span<double> v, double (*f)(const double*)) const {
        index_t l = 0;
        for_each_owned([&](const std::array<gindex_t, 3>& p) {
            double x[3];
            for (int d = 0; d < Dim; ++d) x[d] = static_cast<double>(p[d] + 1) * h_[d];
            v[static_cast<std::size_t>(l++)] = f(x);
        });
    }

private:
    // k at the face between unknowns `lower` and lower + 1 along d (of the line through p).
    double face(const std::array<gindex_t, 3>& p, int d, gindex_t lower) const {
        double x[3];
        for (int e = 0; e < Dim; ++e) x[e] = static_cast<double>(p[e] + 1) * h_[e];
        x[d] = (static_cast<double>(lower) + 1.5) * h_[d];
        return coefficient(x, Dim);
    }
    template <class F>
    void for_each_owned(F&& f) const {
        const auto& b = decomp_.owned_box();
        const gindex_t klo = Dim == 3 ? b.lo[Dim - 1] : 0, khi = Dim == 3 ? b.hi[Dim - 1] : 1;
        for (gindex_t k = klo; k < khi; ++k)
            for (gindex_t j = b.lo[1]; j < b.hi[1]; ++j)
                for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i) f(std::array<gindex_t, 3>{i, j, k});
    }
    template <class V>
    static auto& at(V& v, const std::array<gindex_t, 3>& p) {
        if constexpr (Dim == 2)
            return v(p[0], p[1]);
        else
            return v(p[0], p[1], p[2]);
    }

    grid::CartDecomp<Dim> decomp_;
    grid::Field<double, Dim> u_;
    grid::HaloExchange<double, Dim> halo_;
    std::array<double, Dim> h_{}, inv_h2_{};
    std::array<std::vector<double>, Dim> lower_, upper_;
};

struct Outcome {
    int iterations = 0;
    bool converged = false;
    std::vector<double> history;
    double max_error = 0, x_norm = 0, x_dot_b = 0;  // reproducible fingerprints of x
    std::vector<double> x;  // this rank's part, for bitwise comparisons of the same layout
};

template <int Dim>
Outcome solve(const mpi::Comm& comm, std::array<gindex_t, Dim> cells, const multigrid::Options& mo,
              bool as_solver = false) {
    DiffusionOperator<Dim> op(comm, cells, {});
    const auto n = static_cast<std::size_t>(op.local_size());
    std::vector<double> b(n), x(n, 0.0), u(n);
    op.fill(b, &DiffusionOperator<Dim>::source);
    op.fill(u, &DiffusionOperator<Dim>::exact);
    multigrid::Multigrid<Dim> mg(op, mo);
    Outcome o;
    if (as_solver) {
        const auto res = mg.solve(b, x, {.tol = 1e-8, .max_cycles = 30});
        o.iterations = res.cycles;
        o.converged = res.converged;
        o.history = res.history;
    } else {
        linalg::CgOptions opt{.tol = 1e-8, .max_iter = 100, .precond = linalg::Preconditioner::custom};
        opt.apply_preconditioner = [&](std::span<const double> r, std::span<double> z) { mg.precondition(r, z); };
        const auto res = linalg::cg(op, b, x, opt);
        o.iterations = res.iterations;
        o.converged = res.converged;
        o.history = res.history;
    }
    double err = 0;
    for (std::size_t i = 0; i < n; ++i) err = std::max(err, std::abs(x[i] - u[i]));
    o.max_error = mpi::allreduce(comm, err, MPI_MAX);
    o.x_norm = norm2(comm, x, op.chunk());
    o.x_dot_b = dot(comm, x, b, op.chunk());
    o.x = x;
    return o;
}

void print(const char* what, const Outcome& o) {
    if (world().rank() == 0) std::printf("  %s: %d iterations, max error %.3e\n", what, o.iterations, o.max_error);
}

}  // namespace

TEST(UserOperator, PreconditionedCgIsMeshIndependent) {
    const multigrid::Options mo{};
    const auto a3 = solve<3>(world(), {31, 31, 31}, mo), b3 = solve<3>(world(), {63, 63, 63}, mo);
    const auto a2 = solve<2>(world(), {127, 127}, mo), b2 = solve<2>(world(), {511, 511}, mo);
    print("3D 31^3", a3);
    print("3D 63^3", b3);
    print("2D 127^2", a2);
    print("2D 511^2", b2);
    for (const auto* o : {&a3, &b3, &a2, &b2}) {
        EXPECT_TRUE(o->converged);
        EXPECT_LT(o->iterations, 15);
    }
    EXPECT_LE(std::abs(a3.iterations - b3.iterations), 3);
    EXPECT_LE(std::abs(a2.iterations - b2.iterations), 3);
    // As a solver, the V-cycle alone reduces the residual at least fivefold per cycle.
    const auto s = solve<3>(world(), {31, 31, 31}, mo, true);
    ASSERT_TRUE(s.converged);
    for (std::size_t k = 1; k < s.history.size(); ++k) EXPECT_LT(s.history[k], s.history[k - 1] / 5) << "cycle " << k;
}

TEST(UserOperator, ErrorIsSecondOrder) {
    const multigrid::Options mo{};
    const auto coarse = solve<2>(world(), {63, 63}, mo), fine = solve<2>(world(), {127, 127}, mo);
    const double order = std::log2(coarse.max_error / fine.max_error);
    if (world().rank() == 0) std::printf("  observed order %.3f\n", order);
    EXPECT_NEAR(order, 2.0, 0.15);
}

TEST(UserOperator, OneLevelIsAnExactSolve) {
    // Every unknown on the coarsest level: the cycle is the probed matrix's direct solve.
    const auto o = solve<2>(world(), {13, 11}, {.coarsest = 13 * 11}, true);
    ASSERT_GE(o.history.size(), 2u);
    EXPECT_LT(o.history[1], 1e-12);
    const auto t = solve<3>(world(), {7, 9, 5}, {.coarsest = 7 * 9 * 5}, true);
    ASSERT_GE(t.history.size(), 2u);
    EXPECT_LT(t.history[1], 1e-12);
}

TEST(UserOperator, BitwiseIdenticalOnAnyRanksAndThreads) {
    const auto& w = world();
    const auto self = w.split(w.rank(), 0);
    for (auto smoother : {multigrid::Smoother::chebyshev, multigrid::Smoother::jacobi}) {
        SCOPED_TRACE(multigrid::smoother_name(smoother));
        const multigrid::Options mo{.smoother = smoother, .coarsest = 64, .min_cells_per_rank = 1200};
        omp_set_num_threads(1);
        const auto ref = solve<3>(self, {33, 17, 29}, mo);
        EXPECT_TRUE(ref.converged);
        for (int size = 1; size <= w.size(); size *= 2) {
            const auto sub = w.split(w.rank() / size, w.rank());
            for (int threads : {1, 2}) {
                omp_set_num_threads(threads);
                const auto o = solve<3>(sub, {33, 17, 29}, mo);
                EXPECT_EQ(o.history, ref.history) << size << " ranks, " << threads << " threads";
                EXPECT_EQ(o.x_norm, ref.x_norm) << size << " ranks, " << threads << " threads";
                EXPECT_EQ(o.x_dot_b, ref.x_dot_b) << size << " ranks, " << threads << " threads";
                if (size == 1) {
                    EXPECT_EQ(o.x, ref.x) << threads << " threads";
                }
            }
        }
    }
    omp_set_num_threads(2);
}

TEST(UserOperator, RedBlackGaussSeidelNeedsRelaxColour) {
    DiffusionOperator<2> op(world(), {15, 15}, {});
    try {
        multigrid::Multigrid<2> mg(op, {.smoother = multigrid::Smoother::rbgs});
        FAIL() << "no error";
    } catch (const CollectiveError& e) {
        EXPECT_STREQ(e.what(), "multigrid: smoother = rbgs needs an operator with relax_colour()");
    }
}
