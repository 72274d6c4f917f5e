// The matrix-free Poisson operator: x is read in place; only the lines on the subdomain edge
// are copied into a Field, whose halo exchange fills the ghost rows while the interior lines
// are computed.
#include "tessera/stencil/poisson.hpp"

#include <algorithm>

#include "tessera/core/error.hpp"
#include "tessera/core/reduce.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::stencil {

template <int Dim>
std::array<int, Dim> PoissonOperator<Dim>::checked_procs(const mpi::Comm& comm, const Index& cells,
                                                         std::array<int, Dim> procs) {
    gindex_t total = 1;
    bool overflow = false;
    for (int d = 0; d < Dim; ++d) {
        TESSERA_CHECK_ALL(comm, cells[d] > 0,
                          "PoissonOperator: cells[" << d << "] = " << cells[d] << " must be positive");
        overflow = overflow || __builtin_mul_overflow(total, cells[d], &total);
    }
    TESSERA_CHECK_ALL(comm, !overflow, "PoissonOperator: the product of cells overflows 64-bit indices");
    for (int d = 0; d < Dim; ++d)
        TESSERA_CHECK_ALL(comm, procs[d] >= 0,
                          "PoissonOperator: procs[" << d << "] = " << procs[d] << " must be >= 0 (0: chosen)");
    TESSERA_CHECK_ALL(comm, procs[0] <= 1,
                      "PoissonOperator: procs[0] = " << procs[0]
                          << ", but the x axis is never split (reproducible reductions need whole x-lines)");
    procs[0] = 1;
    return procs;
}

template <int Dim>
PoissonOperator<Dim>::PoissonOperator(const mpi::Comm& comm, const Index& cells, std::array<int, Dim> procs)
    : decomp_(comm, cells, std::array<bool, Dim>{}, checked_procs(comm, cells, procs)),
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

template <int Dim>
void PoissonOperator<Dim>::apply(std::span<const double> x, std::span<double> y) {
    apply_impl(x, y, nullptr);
}

template <int Dim>
void PoissonOperator<Dim>::apply_dot(std::span<const double> x, std::span<double> y, ExactSum& dot) {
    apply_impl(x, y, &dot);
}

template <int Dim>
void PoissonOperator<Dim>::diagonal(std::span<double> d) const {
    std::fill(d.begin(), d.end(), diag_);
}

// Reads x in place; only the edge lines are copied into the field, whose halo exchange then
// fills the ghost rows (zero beyond the domain: Dirichlet). The interior lines are computed
// while the halo messages travel.
template <int Dim>
void PoissonOperator<Dim>::apply_impl(std::span<const double> x, std::span<double> y, ExactSum* dot) {
    TESSERA_CHECK(static_cast<index_t>(x.size()) == size_ && static_cast<index_t>(y.size()) == size_,
                  "PoissonOperator::apply: x has " << x.size() << " and y " << y.size()
                                                   << " entries; local_size() is " << size_);
    pack_edges(x);
    halo_.start(u_);
    {
        ScopedTimer t("stencil.poisson.stencil");
        sweep(x, y, dot, false);
    }
    {
        ScopedTimer t("stencil.poisson.halo");
        halo_.finish(u_);
    }
    ScopedTimer t("stencil.poisson.stencil");
    sweep(x, y, dot, true);
}

// Copies x's lines on the subdomain edge into the field, for its halo exchange to send.
template <int Dim>
void PoissonOperator<Dim>::pack_edges(std::span<const double> x) {
    ScopedTimer t("stencil.poisson.pack");
    const index_t n0 = n_[0];
    auto v = u_.view();
    for (index_t k = 0; k < planes(); ++k)
        for (index_t j = 0; j < n_[1]; ++j)
            if (edge_line(j, k)) {
                const double* src = x.data() + (j + k * n_[1]) * n0;
                std::copy(src, src + n0, row_ptr(v, j, k));
            }
}

// The neighbour lines of local line (j, k) of x: from x inside the owned box, else the
// field's ghost rows.
template <int Dim>
typename PoissonOperator<Dim>::Neighbours PoissonOperator<Dim>::neighbours(const double* x,
                                                                          const ConstView<double, Dim>& v,
                                                                          index_t j, index_t k) const {
    const index_t n0 = n_[0], n1 = n_[1], n2 = planes(), plane = n0 * n1;
    const double* u = x + j * n0 + k * plane;
    Neighbours nb{j > 0 ? u - n0 : ghost_row(v, j - 1, k), j < n1 - 1 ? u + n0 : ghost_row(v, j + 1, k), nullptr,
                  nullptr};
    if constexpr (Dim == 3) {
        nb.down = k > 0 ? u - plane : ghost_row(v, j, k - 1);
        nb.up = k < n2 - 1 ? u + plane : ghost_row(v, j, k + 1);
    }
    return nb;
}

// The stencil on the edge lines (`edge`) or on the others.
template <int Dim>
void PoissonOperator<Dim>::sweep(std::span<const double> x, std::span<double> y, ExactSum* dot,
                                 bool edge) const {
    const index_t n0 = n_[0], n1 = n_[1], n2 = planes(), plane = n0 * n1;
    const auto v = u_.view();
#pragma omp parallel
    {
        ExactSum mine;
#pragma omp for schedule(static) collapse(2) nowait
        for (index_t k = 0; k < n2; ++k) {
            for (index_t j = 0; j < n1; ++j) {
                if (edge_line(j, k) != edge) continue;
                const double* u = x.data() + j * n0 + k * plane;
                const auto nb = neighbours(x.data(), v, j, k);
                double* out = y.data() + j * n0 + k * plane;
                line_kernel(out, u, nb.south, nb.north, nb.down, nb.up, n0);
                if (dot) mine.add(chunk_dot(u, out, n0));
            }
        }
        if (dot) {
#pragma omp critical(tessera_stencil_poisson_dot)
            dot->add(mine);  // integer limb sums: the merge order cannot matter
        }
    }
}

template <int Dim>
void PoissonOperator<Dim>::relax_colour(std::span<const double> b, std::span<double> x, int colour,
                                        bool zero_guess) {
    TESSERA_CHECK(static_cast<index_t>(b.size()) == size_ && static_cast<index_t>(x.size()) == size_,
                  "PoissonOperator::relax_colour: b has " << b.size() << " and x " << x.size()
                                                          << " entries; local_size() is " << size_);
    TESSERA_CHECK(colour == 0 || colour == 1, "PoissonOperator::relax_colour: colour = " << colour
                                                                                         << " must be 0 or 1");
    const index_t n0 = n_[0], n1 = n_[1], n2 = planes();
    if (zero_guess) {
        // At x = 0, (A x)_point is +0 and the general update 0 + (b - 0) * (1 / diag): the
        // same bits as 0 + b * (1 / diag).
        ScopedTimer t("stencil.poisson.relax");
        const double dinv = 1.0 / diag_;
#pragma omp parallel for schedule(static) collapse(2)
        for (index_t k = 0; k < n2; ++k)
            for (index_t j = 0; j < n1; ++j) {
                const index_t off = (j + k * n1) * n0;
                const index_t first = first_of_colour(j, k, colour);
                double* u = x.data() + off;
                const double* r = b.data() + off;
#pragma omp simd
                for (index_t i = 0; i < n0; ++i) u[i] = (i & 1) == first ? 0.0 + r[i] * dinv : 0.0;
            }
        return;
    }
    pack_edges(x);
    halo_.start(u_);
    {
        ScopedTimer t("stencil.poisson.relax");
        relax_sweep(b, x, colour, false);
    }
    {
        ScopedTimer t("stencil.poisson.halo");
        halo_.finish(u_);
    }
    ScopedTimer t("stencil.poisson.relax");
    relax_sweep(b, x, colour, true);
}

// The first local i of local line (j, k) whose global index sum has the parity `colour`: by
// global indices, so the colouring does not depend on the layout.
template <int Dim>
index_t PoissonOperator<Dim>::first_of_colour(index_t j, index_t k, int colour) const noexcept {
    const auto& box = decomp_.owned_box();
    gindex_t sum = box.lo[0] + box.lo[1] + j + colour;
    if constexpr (Dim == 3) sum += box.lo[2] + k;
    return static_cast<index_t>(sum & 1);
}

// The half-sweep on the edge lines (`edge`) or on the others.
template <int Dim>
void PoissonOperator<Dim>::relax_sweep(std::span<const double> b, std::span<double> x, int colour,
                                       bool edge) const {
    const index_t n0 = n_[0], n1 = n_[1], n2 = planes(), plane = n0 * n1;
    const auto v = u_.view();
#pragma omp parallel for schedule(static) collapse(2)
    for (index_t k = 0; k < n2; ++k) {
        for (index_t j = 0; j < n1; ++j) {
            if (edge_line(j, k) != edge) continue;
            const auto nb = neighbours(x.data(), v, j, k);
            const index_t off = j * n0 + k * plane;
            line_relax(x.data() + off, b.data() + off, nb.south, nb.north, nb.down, nb.up, n0,
                       first_of_colour(j, k, colour));
        }
    }
}

namespace {
struct Coeffs {
    double diag, cx, cy, cz;
};
template <int Dim>
inline double point(const Coeffs& k, double c, double left, double right, const double* s,
                    const double* n, [[maybe_unused]] const double* d,
                    [[maybe_unused]] const double* t, index_t i) {
    double r = k.diag * c - k.cx * (left + right) - k.cy * (s[i] + n[i]);
    if constexpr (Dim == 3) r -= k.cz * (d[i] + t[i]);
    return r;
}
}  // namespace

// One x-line: out = diag u - cx (left + right) - cy (s + n) [- cz (d + t)], with zero
// (Dirichlet) values beyond both ends of the line. The first and last points are the same
// expression with a zero neighbour, so every point rounds identically on any layout.
template <int Dim>
void PoissonOperator<Dim>::line_kernel(double* __restrict out, const double* __restrict u,
                                       const double* __restrict s, const double* __restrict n,
                                       const double* __restrict d, const double* __restrict t,
                                       index_t n0) const {
    const Coeffs k{diag_, c_[0], c_[1], Dim == 3 ? c_[2] : 0.0};
    if (n0 == 1) {
        out[0] = point<Dim>(k, u[0], 0.0, 0.0, s, n, d, t, 0);
        return;
    }
    out[0] = point<Dim>(k, u[0], 0.0, u[1], s, n, d, t, 0);
#pragma omp simd
    for (index_t i = 1; i < n0 - 1; ++i) out[i] = point<Dim>(k, u[i], u[i - 1], u[i + 1], s, n, d, t, i);
    out[n0 - 1] = point<Dim>(k, u[n0 - 1], u[n0 - 2], 0.0, s, n, d, t, n0 - 1);
}

// The points first, first + 2, ... of one x-line: u += (b - A u) / diag, in place, with the
// expression of line_kernel(). They read only the other colour (u[i -+ 1] and the neighbour
// lines at i), which no thread writes during the half-sweep.
template <int Dim>
void PoissonOperator<Dim>::line_relax(double* __restrict u, const double* __restrict b,
                                      const double* __restrict s, const double* __restrict n,
                                      const double* __restrict d, const double* __restrict t,
                                      index_t n0, index_t first) const {
    const Coeffs k{diag_, c_[0], c_[1], Dim == 3 ? c_[2] : 0.0};
    const double dinv = 1.0 / diag_;
    const index_t last = n0 - 1;
    index_t i = first;
    if (i == 0) {
        u[0] += (b[0] - point<Dim>(k, u[0], 0.0, n0 > 1 ? u[1] : 0.0, s, n, d, t, 0)) * dinv;
        i = 2;
    }
#pragma omp simd
    for (index_t m = i; m < last; m += 2)
        u[m] += (b[m] - point<Dim>(k, u[m], u[m - 1], u[m + 1], s, n, d, t, m)) * dinv;
    if (last > 0 && (last - first) % 2 == 0)
        u[last] += (b[last] - point<Dim>(k, u[last], u[last - 1], 0.0, s, n, d, t, last)) * dinv;
}

// Field row of local line (j, k), j and k counted from the owned box's corner (they may be -1
// or n to address a ghost row); x index 0 is row[0] (axis 0 is never split).
template <int Dim>
double* PoissonOperator<Dim>::row_ptr(const View<double, Dim>& v, index_t j, index_t k) const {
    const auto& b = decomp_.owned_box();
    if constexpr (Dim == 2) {
        (void)k;
        return v.row(b.lo[1] + j);
    } else {
        return v.row(b.lo[1] + j, b.lo[2] + k);
    }
}

template <int Dim>
const double* PoissonOperator<Dim>::ghost_row(const ConstView<double, Dim>& v, index_t j, index_t k) const {
    const auto& b = decomp_.owned_box();
    if constexpr (Dim == 2) {
        (void)k;
        return v.row(b.lo[1] + j);
    } else {
        return v.row(b.lo[1] + j, b.lo[2] + k);
    }
}

template class PoissonOperator<2>;
template class PoissonOperator<3>;

}  // namespace tessera::stencil
