// The matrix-free 2D/3D Poisson operator -lap_h u on the unit square/cube with homogeneous
// Dirichlet boundaries, on tessera::grid, as an operator for linalg::cg().
//
// It lives with the app (not in linalg, which must not depend on grid; stencil may adopt it).
#pragma once

#include <array>
#include <cmath>
#include <span>

#include <tessera/core/error.hpp>
#include <tessera/core/timer.hpp>
#include <tessera/grid/cart_decomp.hpp>
#include <tessera/grid/field.hpp>
#include <tessera/grid/halo_exchange.hpp>

namespace tessera::cg_app {

/// -lap_h with the (2 Dim + 1)-point stencil on the vertex-centred grid of cells[d] interior
/// unknowns per axis, spacing h_d = 1 / (cells[d] + 1), unknown (i, j[, k]) at
/// ((i + 1) h_0, (j + 1) h_1[, (k + 1) h_2]). Symmetric positive definite.
///
/// Layout: a CartDecomp that never splits axis 0 (procs[0] == 1), so each rank owns whole
/// x-lines; a local vector lists the owned unknowns x fastest, then y, then z. chunk() is one
/// x-line, the same on every layout, which makes CG's reductions reproducible (reduce.hpp);
/// apply() computes each point with the same expression on any layout, so the whole CG
/// history is bitwise independent of ranks and threads.
/// Not movable: the field and halo exchange point into the decomposition.
template <int Dim>
class PoissonOperator {
public:
    using Index = std::array<gindex_t, Dim>;

    /// Collective over `comm`. `procs` as for CartDecomp (0 = choose) but procs[0] must be 0
    /// or 1 (CollectiveError naming --procs otherwise); also CartDecomp's errors.
    PoissonOperator(const mpi::Comm& comm, const Index& cells, std::array<int, Dim> procs = {})
        : decomp_(comm, cells, std::array<bool, Dim>{}, x_unsplit(comm, procs)),
          u_(decomp_, 1),
          halo_(u_, 1, grid::HaloPattern::faces) {
        const auto& b = decomp_.owned_box();
        size_ = 1;
        for (int d = 0; d < Dim; ++d) {
            n_[d] = b.hi[d] - b.lo[d];
            size_ *= n_[d];
            h_[d] = 1.0 / static_cast<double>(cells[d] + 1);
            c_[d] = 1.0 / (h_[d] * h_[d]);
        }
        diag_ = 0;
        for (int d = 0; d < Dim; ++d) diag_ += 2.0 * c_[d];
    }
    PoissonOperator(const PoissonOperator&) = delete;
    PoissonOperator& operator=(const PoissonOperator&) = delete;

    const mpi::Comm& comm() const noexcept { return decomp_.comm(); }
    index_t local_size() const noexcept { return size_; }
    index_t chunk() const noexcept { return n_[0]; }
    const grid::CartDecomp<Dim>& decomp() const noexcept { return decomp_; }
    double spacing(int d) const noexcept { return h_[d]; }

    /// Collective over comm(): y = -lap_h x.
    void apply(std::span<const double> x, std::span<double> y) {
        {
            ScopedTimer t("cg.poisson.copy");
            scatter_in(x);
        }
        {
            ScopedTimer t("cg.poisson.halo");
            halo_.exchange(u_);
        }
        ScopedTimer t("cg.poisson.stencil");
        stencil(y);
    }

    /// Local: the constant diagonal 2 sum_d 1/h_d^2.
    void diagonal(std::span<double> d) const {
        for (auto& v : d) v = diag_;
    }

    /// Local: v[l] = f(point) for every owned unknown, point = its coordinates in the domain.
    template <class F>
    void fill(std::span<double> v, F&& f) const {
        const auto& b = decomp_.owned_box();
        const index_t lines = size_ / n_[0];
#pragma omp parallel for schedule(static)
        for (index_t line = 0; line < lines; ++line) {
            std::array<double, Dim> pt{};
            pt[1] = static_cast<double>(b.lo[1] + line % n_[1] + 1) * h_[1];
            if constexpr (Dim == 3) pt[2] = static_cast<double>(b.lo[2] + line / n_[1] + 1) * h_[2];
            for (index_t i = 0; i < n_[0]; ++i) {
                pt[0] = static_cast<double>(b.lo[0] + i + 1) * h_[0];
                v[static_cast<std::size_t>(line * n_[0] + i)] = f(pt);
            }
        }
    }

private:
    static std::array<int, Dim> x_unsplit(const mpi::Comm& comm, std::array<int, Dim> procs) {
        TESSERA_CHECK_ALL(comm, procs[0] == 0 || procs[0] == 1,
                          "--procs: the x axis is never split (got " << procs[0]
                              << " ranks along it); reproducible reductions need whole x-lines");
        procs[0] = 1;
        return procs;
    }

    // Copies the owned values of x into the field (whose ghosts the halo exchange fills).
    void scatter_in(std::span<const double> x) {
        auto v = u_.view();
        const auto& b = decomp_.owned_box();
        const index_t lines = size_ / n_[0];
#pragma omp parallel for schedule(static)
        for (index_t line = 0; line < lines; ++line) {
            double* row = row_ptr(v, b, line);
            const double* src = x.data() + line * n_[0];
#pragma omp simd
            for (index_t i = 0; i < n_[0]; ++i) row[b.lo[0] + i] = src[i];
        }
    }

    void stencil(std::span<double> y) const {
        const auto v = u_.view();
        const auto& b = decomp_.owned_box();
        const index_t lines = size_ / n_[0];
        const double diag = diag_, cx = c_[0], cy = c_[1];
        [[maybe_unused]] const double cz = Dim == 3 ? c_[2] : 0.0;
#pragma omp parallel for schedule(static)
        for (index_t line = 0; line < lines; ++line) {
            const index_t j = b.lo[1] + line % n_[1];
            double* out = y.data() + line * n_[0] - b.lo[0];
            if constexpr (Dim == 2) {
                const double* u = v.row(j);
                const double* s = v.row(j - 1);
                const double* n = v.row(j + 1);
#pragma omp simd
                for (index_t i = b.lo[0]; i < b.hi[0]; ++i)
                    out[i] = diag * u[i] - cx * (u[i - 1] + u[i + 1]) - cy * (s[i] + n[i]);
            } else {
                const index_t k = b.lo[2] + line / n_[1];
                const double* u = v.row(j, k);
                const double* s = v.row(j - 1, k);
                const double* n = v.row(j + 1, k);
                const double* d = v.row(j, k - 1);
                const double* t = v.row(j, k + 1);
#pragma omp simd
                for (index_t i = b.lo[0]; i < b.hi[0]; ++i)
                    out[i] = diag * u[i] - cx * (u[i - 1] + u[i + 1]) - cy * (s[i] + n[i]) -
                             cz * (d[i] + t[i]);
            }
        }
    }

    double* row_ptr(const View<double, Dim>& v, const Box<Dim>& b, index_t line) const {
        if constexpr (Dim == 2) return v.row(b.lo[1] + line);
        else return v.row(b.lo[1] + line % n_[1], b.lo[2] + line / n_[1]);
    }

    grid::CartDecomp<Dim> decomp_;
    grid::Field<double, Dim> u_;
    grid::HaloExchange<double, Dim> halo_;
    std::array<index_t, Dim> n_{};
    std::array<double, Dim> h_{}, c_{};
    double diag_ = 0;
    index_t size_ = 0;
};

}  // namespace tessera::cg_app
