// The matrix-free Poisson operator -lap_h u on the unit square / cube with homogeneous
// Dirichlet boundaries, on tessera::grid: an SPD operator for linalg::cg() (it satisfies
// linalg::CgOperator by its members; stencil does not depend on linalg).
#pragma once

#include <array>
#include <span>

#include "tessera/core/exact_sum.hpp"
#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"
#include "tessera/grid/cart_decomp.hpp"
#include "tessera/grid/field.hpp"
#include "tessera/grid/halo_exchange.hpp"

namespace tessera::stencil {

/// -lap_h with the (2 Dim + 1)-point stencil on the vertex-centred grid of cells[d] interior
/// unknowns per axis, spacing h_d = 1 / (cells[d] + 1), unknown (i, j[, k]) at
/// ((i + 1) h_0, (j + 1) h_1[, (k + 1) h_2]); values beyond the domain are zero (Dirichlet).
/// Symmetric positive definite.
///
/// Layout: a CartDecomp that never splits axis 0 (procs[0] == 1), so each rank owns whole
/// x-lines; a local vector lists the owned unknowns x fastest, then y, then z (the owned box
/// of decomp(), in that order). chunk() is one x-line, the same on every layout, which makes
/// the reductions of core/reduce.hpp reproducible; apply() computes each point with the same
/// expression on any layout, so a whole CG history is bitwise independent of ranks and
/// threads. Timers: "stencil.poisson.pack", ".stencil", ".halo", ".relax" (relax_colour).
/// Not copyable or movable: the field and halo exchange point into the decomposition.
/// Dim is 2 or 3 (explicitly instantiated in src/stencil/poisson.cpp).
template <int Dim>
class PoissonOperator {
public:
    static_assert(Dim == 2 || Dim == 3);
    using Index = std::array<gindex_t, Dim>;

    /// Collective over `comm` (duplicated by the decomposition). `procs` as for
    /// grid::CartDecomp (0 = let MPI choose that axis), except that procs[0] must be 0 or 1.
    /// Throws CollectiveError (exit code 2) on every rank, naming the parameter, when a
    /// cells[d] is not positive, when cells[0] * ... overflows 64-bit indices, when a procs[d]
    /// is negative or procs[0] > 1; and CartDecomp's CollectiveErrors (process grid not
    /// matching comm.size(), more ranks than cells along an axis).
    PoissonOperator(const mpi::Comm& comm, const Index& cells, std::array<int, Dim> procs = {});
    PoissonOperator(const PoissonOperator&) = delete;
    PoissonOperator& operator=(const PoissonOperator&) = delete;

    /// Local: the decomposition's communicator, over which local vectors make a global one.
    const mpi::Comm& comm() const noexcept { return decomp_.comm(); }
    /// Local: the number of unknowns this rank owns (at least one: CartDecomp gives every
    /// rank at least one cell per axis).
    index_t local_size() const noexcept { return size_; }
    /// Local: the reproducibility chunk, one x-line (cells[0] unknowns).
    index_t chunk() const noexcept { return n_[0]; }
    /// Local: the decomposition (owned box of this rank in global unknown indices).
    const grid::CartDecomp<Dim>& decomp() const noexcept { return decomp_; }
    /// Local: h_d = 1 / (cells[d] + 1). Precondition: 0 <= d < Dim.
    double spacing(int d) const noexcept { return h_[static_cast<std::size_t>(d)]; }

    /// Collective over decomp().comm() (a halo exchange with the neighbours): y = -lap_h x.
    /// x and y are this rank's local parts (local_size() entries each) and must not overlap.
    /// Throws tessera::Error on the rank whose sizes are wrong (a programming error, checked
    /// before any communication).
    void apply(std::span<const double> x, std::span<double> y);
    /// Collective over decomp().comm(): apply(x, y), and adds this rank's x-line chunk sums of
    /// x . y to `dot` (local part only: the caller allreduces it). The same chunks and kernel
    /// as tessera::dot(), so the same bits as a separate pass, saving CG one. Throws as apply().
    void apply_dot(std::span<const double> x, std::span<double> y, ExactSum& dot);

    /// Local: d[l] = the constant diagonal 2 sum_d 1 / h_d^2 for every l < d.size().
    void diagonal(std::span<double> d) const;

    /// Collective over decomp().comm() (one halo exchange of x with the neighbours): one
    /// Gauss-Seidel half-sweep on A x = b over the points of one colour, in place: every owned
    /// point whose global index sum i + j [+ k] has the parity `colour` (0: even, "red"; 1:
    /// odd, "black") gets x += (b - A x)_point / diag. Its neighbours all have the other
    /// colour, which the half-sweep only reads, so the result is the same bits on any layout
    /// and thread count. zero_guess: x is taken as zero on entry (not read): the colour's
    /// points get the same bits as from an x of zeros, the others 0, and nothing is exchanged
    /// (then local). Timers: "stencil.poisson.pack", ".halo", ".relax".
    /// Throws tessera::Error, before any communication, on the rank whose sizes are wrong or
    /// whose colour is not 0 or 1. b and x must not overlap.
    void relax_colour(std::span<const double> b, std::span<double> x, int colour, bool zero_guess = false);

    /// Local (OpenMP inside): v[l] = f(point) for every owned unknown l, point = its
    /// coordinates ((i + 1) h_0, ...) in the domain. Precondition: v.size() >= local_size();
    /// f is called concurrently from several threads and must not throw.
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
    static std::array<int, Dim> checked_procs(const mpi::Comm& comm, const Index& cells,
                                              std::array<int, Dim> procs);
    bool edge_line(index_t j, index_t k) const noexcept {
        return j == 0 || j == n_[1] - 1 || (Dim == 3 && (k == 0 || k == n_[Dim - 1] - 1));
    }
    index_t planes() const noexcept { return Dim == 3 ? n_[Dim - 1] : 1; }
    void apply_impl(std::span<const double> x, std::span<double> y, ExactSum* dot);
    struct Neighbours {
        const double *south, *north, *down, *up;  // down and up: null in 2D
    };
    Neighbours neighbours(const double* x, const ConstView<double, Dim>& v, index_t j, index_t k) const;
    void sweep(std::span<const double> x, std::span<double> y, ExactSum* dot, bool edge) const;
    index_t first_of_colour(index_t j, index_t k, int colour) const noexcept;
    void relax_sweep(std::span<const double> b, std::span<double> x, int colour, bool edge) const;
    void pack_edges(std::span<const double> x);
    void line_kernel(double* __restrict out, const double* __restrict u, const double* __restrict s,
                     const double* __restrict n, const double* __restrict d,
                     const double* __restrict t, index_t n0) const;
    void line_relax(double* __restrict u, const double* __restrict b, const double* __restrict s,
                    const double* __restrict n, const double* __restrict d, const double* __restrict t,
                    index_t n0, index_t first) const;
    double* row_ptr(const View<double, Dim>& v, index_t j, index_t k) const;
    const double* ghost_row(const ConstView<double, Dim>& v, index_t j, index_t k) const;

    grid::CartDecomp<Dim> decomp_;
    grid::Field<double, Dim> u_;
    grid::HaloExchange<double, Dim> halo_;
    std::array<index_t, Dim> n_{};
    std::array<double, Dim> h_{}, c_{};
    double diag_ = 0;
    index_t size_ = 0;
};

extern template class PoissonOperator<2>;
extern template class PoissonOperator<3>;

}  // namespace tessera::stencil
