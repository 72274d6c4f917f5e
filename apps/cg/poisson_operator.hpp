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
#include <tessera/core/reduce.hpp>

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
    /// (the same chunks and kernel as tessera::dot, so the same bits), saving CG a pass.
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
    bool edge_line(index_t j, index_t k) const noexcept {
        return j == 0 || j == n_[1] - 1 || (Dim == 3 && (k == 0 || k == n_[Dim - 1] - 1));
    }
    index_t planes() const noexcept { return Dim == 3 ? n_[Dim - 1] : 1; }

    // Reads x in place; only the edge lines are copied into the field, whose halo exchange
    // then fills the ghost rows (zero beyond the domain: Dirichlet). The interior lines are
    // computed while the halo messages travel.
    void apply_impl(std::span<const double> x, std::span<double> y, ExactSum* dot) {
        const index_t n0 = n_[0];
        {
            ScopedTimer t("cg.poisson.pack");
            auto v = u_.view();
            for (index_t k = 0; k < planes(); ++k)
                for (index_t j = 0; j < n_[1]; ++j)
                    if (edge_line(j, k)) {
                        const double* src = x.data() + (j + k * n_[1]) * n0;
                        std::copy(src, src + n0, row_ptr(v, j, k));
                    }
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

    // The stencil on the edge lines (`edge`) or on the others.
    void sweep(std::span<const double> x, std::span<double> y, ExactSum* dot, bool edge) const {
        const index_t n0 = n_[0], n1 = n_[1], n2 = planes(), plane = n0 * n1;
        const auto v = u_.view();
#pragma omp parallel
        {
            ExactSum mine;
#pragma omp for schedule(static) collapse(2) nowait
            for (index_t k = 0; k < n2; ++k) {
                for (index_t j = 0; j < n1; ++j) {
                    if (edge_line(j, k) != edge) continue;
                    // Neighbour lines: from x inside the owned box, else the field's ghost rows.
                    const double* u = x.data() + j * n0 + k * plane;
                    const double* south = j > 0 ? u - n0 : ghost_row(v, j - 1, k);
                    const double* north = j < n1 - 1 ? u + n0 : ghost_row(v, j + 1, k);
                    const double* down = nullptr;
                    const double* up = nullptr;
                    if constexpr (Dim == 3) {
                        down = k > 0 ? u - plane : ghost_row(v, j, k - 1);
                        up = k < n2 - 1 ? u + plane : ghost_row(v, j, k + 1);
                    }
                    double* out = y.data() + j * n0 + k * plane;
                    line_kernel(out, u, south, north, down, up, n0);
                    if (dot) mine.add(chunk_dot(u, out, n0));
                }
            }
            if (dot) {
#pragma omp critical(tessera_cg_poisson_dot)
                dot->add(mine);
            }
        }
    }

    // One x-line: out = diag u - cx (left + right) - cy (s + n) [- cz (d + t)], with zero
    // (Dirichlet) values beyond both ends of the line. The first and last points are the same
    // expression with a zero neighbour, so every point rounds identically on any layout.
    void line_kernel(double* __restrict out, const double* __restrict u, const double* __restrict s,
                     const double* __restrict n, const double* __restrict d,
                     const double* __restrict t, index_t n0) const {
        const Coeffs k{diag_, c_[0], c_[1], Dim == 3 ? c_[2] : 0.0};
        if (n0 == 1) {
            out[0] = point(k, u[0], 0.0, 0.0, s, n, d, t, 0);
            return;
        }
        out[0] = point(k, u[0], 0.0, u[1], s, n, d, t, 0);
#pragma omp simd
        for (index_t i = 1; i < n0 - 1; ++i) out[i] = point(k, u[i], u[i - 1], u[i + 1], s, n, d, t, i);
        out[n0 - 1] = point(k, u[n0 - 1], u[n0 - 2], 0.0, s, n, d, t, n0 - 1);
    }
    struct Coeffs {
        double diag, cx, cy, cz;
    };
    static double point(const Coeffs& k, double c, double left, double right, const double* s,
                        const double* n, [[maybe_unused]] const double* d,
                        [[maybe_unused]] const double* t, index_t i) {
        double r = k.diag * c - k.cx * (left + right) - k.cy * (s[i] + n[i]);
        if constexpr (Dim == 3) r -= k.cz * (d[i] + t[i]);
        return r;
    }

    // Field row of local line (j, k), j and k counted from the owned box's corner (they may
    // be -1 or n to address a ghost row); x index 0 is row[0] (axis 0 is never split).
    double* row_ptr(const View<double, Dim>& v, index_t j, index_t k) const {
        const auto& b = decomp_.owned_box();
        if constexpr (Dim == 2) return v.row(b.lo[1] + j);
        else return v.row(b.lo[1] + j, b.lo[2] + k);
    }
    const double* ghost_row(const ConstView<double, Dim>& v, index_t j, index_t k) const {
        const auto& b = decomp_.owned_box();
        if constexpr (Dim == 2) return v.row(b.lo[1] + j);
        else return v.row(b.lo[1] + j, b.lo[2] + k);
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
