// The matrix-free 2D/3D Poisson operator -lap_h u on the unit square/cube with homogeneous
// Dirichlet boundaries, on tessera::grid, as an operator for linalg::cg().
//
// It lives with the app (not in linalg, which must not depend on grid; stencil may adopt it).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <span>

#include <tessera/core/error.hpp>
#include <tessera/core/exact_sum.hpp>
#include <tessera/core/timer.hpp>
#include <tessera/grid/cart_decomp.hpp>
#include <tessera/grid/field.hpp>
#include <tessera/grid/halo_exchange.hpp>
#include <tessera/linalg/reduce.hpp>

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
    void apply(std::span<const double> x, std::span<double> y) { apply_impl(x, y, nullptr); }
    /// Collective over comm(): y = -lap_h x, and adds the x-line chunk sums of x . y to `dot`
    /// (the same chunks and kernel as linalg::dot, so the same bits), saving CG a pass.
    void apply_dot(std::span<const double> x, std::span<double> y, ExactSum& dot) {
        apply_impl(x, y, &dot);
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

    // Lines (j[, k]) on the edge of the owned box read ghost rows; the others read only x.
    bool boundary_line(index_t line) const {
        const index_t j = line % n_[1];
        if (j == 0 || j == n_[1] - 1) return true;
        if constexpr (Dim == 3) {
            const index_t k = line / n_[1];
            return k == 0 || k == n_[2] - 1;
        }
        return false;
    }

    // Reads x in place; only the boundary lines are copied into the field, whose halo
    // exchange then fills the ghost rows (zero beyond the domain: Dirichlet). The interior
    // lines are computed while the halo messages travel.
    void apply_impl(std::span<const double> x, std::span<double> y, ExactSum* dot) {
        const index_t lines = size_ / n_[0];
        {
            ScopedTimer t("cg.poisson.pack");
            auto v = u_.view();
            for (index_t line = 0; line < lines; ++line)
                if (boundary_line(line))
                    std::copy(x.data() + line * n_[0], x.data() + (line + 1) * n_[0], row_ptr(v, line));
        }
        halo_.start(u_);
        {
            ScopedTimer t("cg.poisson.stencil");
            sweep(x, y, dot, false);
        }
        {
            ScopedTimer t("cg.poisson.halo");
            halo_.finish(u_);
        }
        ScopedTimer t("cg.poisson.stencil");
        sweep(x, y, dot, true);
    }

    // The stencil on the boundary lines (`boundary`) or on the others.
    void sweep(std::span<const double> x, std::span<double> y, ExactSum* dot, bool boundary) const {
        const index_t lines = size_ / n_[0], n0 = n_[0];
        const auto v = u_.view();
#pragma omp parallel
        {
            ExactSum mine;
#pragma omp for schedule(static) nowait
            for (index_t line = 0; line < lines; ++line) {
                if (boundary_line(line) != boundary) continue;
                // Neighbour lines: from x inside the owned box, else the field's ghost rows.
                auto neighbour = [&](int axis, int side) -> const double* {
                    const index_t j = line % n_[1], k = Dim == 3 ? line / n_[1] : 0;
                    const index_t jj = j + (axis == 1 ? side : 0), kk = k + (axis == 2 ? side : 0);
                    const bool inside = jj >= 0 && jj < n_[1] && (Dim == 2 || (kk >= 0 && kk < n_[Dim - 1]));
                    if (inside) return x.data() + (jj + kk * n_[1]) * n0;
                    return row_ptr(v, j, k, axis, side);
                };
                const double* u = x.data() + line * n0;
                double* out = y.data() + line * n0;
                if constexpr (Dim == 2) {
                    line_kernel(out, u, neighbour(1, -1), neighbour(1, 1), nullptr, nullptr, n0);
                } else {
                    line_kernel(out, u, neighbour(1, -1), neighbour(1, 1), neighbour(2, -1),
                                neighbour(2, 1), n0);
                }
                if (dot) mine.add(linalg::chunk_dot(u, out, n0));
            }
            if (dot) {
#pragma omp critical(tessera_cg_poisson_dot)
                dot->add(mine);
            }
        }
    }

    // One x-line: out = diag u - cx (left + right) - cy (s + n) [- cz (d + t)], with zero
    // (Dirichlet) values beyond both ends of the line.
    void line_kernel(double* out, const double* u, const double* s, const double* n,
                     const double* d, const double* t, index_t n0) const {
        const double diag = diag_, cx = c_[0], cy = c_[1];
        [[maybe_unused]] const double cz = Dim == 3 ? c_[2] : 0.0;
        auto point = [&](index_t i, double left, double right) {
            double r = diag * u[i] - cx * (left + right) - cy * (s[i] + n[i]);
            if constexpr (Dim == 3) r -= cz * (d[i] + t[i]);
            return r;
        };
        if (n0 == 1) {
            out[0] = point(0, 0.0, 0.0);
            return;
        }
        out[0] = point(0, 0.0, u[1]);
#pragma omp simd
        for (index_t i = 1; i < n0 - 1; ++i) out[i] = point(i, u[i - 1], u[i + 1]);
        out[n0 - 1] = point(n0 - 1, u[n0 - 2], 0.0);
    }

    // Field row of local line `line` (x index 0 at row[0]: axis 0 is never split).
    double* row_ptr(const View<double, Dim>& v, index_t line) const {
        const auto& b = decomp_.owned_box();
        if constexpr (Dim == 2) return v.row(b.lo[1] + line);
        else return v.row(b.lo[1] + line % n_[1], b.lo[2] + line / n_[1]);
    }
    // Field row next to local line (j, k) across `side` of `axis` (a ghost row).
    const double* row_ptr(const ConstView<double, Dim>& v, index_t j, index_t k, int axis, int side) const {
        const auto& b = decomp_.owned_box();
        const index_t gj = b.lo[1] + j + (axis == 1 ? side : 0);
        if constexpr (Dim == 2) return v.row(gj);
        else return v.row(gj, b.lo[2] + k + (axis == 2 ? side : 0));
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
