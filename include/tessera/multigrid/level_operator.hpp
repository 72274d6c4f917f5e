// What geometric multigrid needs from an operator, as an interface a user's own Poisson-like
// operator implements (a variable coefficient, an anisotropy, a reaction term) to get the
// Hierarchy, the smoothers and the cycles of this module; and its implementation for
// stencil::PoissonOperator (PoissonLevel).
//
// The grid is tessera's vertex-centred one: cells[d] interior unknowns per axis of a fixed
// domain, coarsened by the module (full weighting / linear interpolation between the grids
// of multigrid::coarse_cells), laid out on a grid::CartDecomp that never splits axis 0, a
// local vector listing the owned box x fastest, then y, then z. The operator must be
// symmetric positive definite (the coarsest level is factored with a sparse Cholesky) and
// couple each unknown only to unknowns at most one index away along every axis (up to a 9-
// or 27-point stencil: the coarsest matrix is assembled by probing with 3^Dim vectors).
#pragma once

#include <array>
#include <memory>
#include <span>

#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"
#include "tessera/grid/cart_decomp.hpp"
#include "tessera/stencil/poisson.hpp"

namespace tessera::multigrid {

template <int Dim>
class LevelOperator {
public:
    static_assert(Dim == 2 || Dim == 3);
    using Index = std::array<gindex_t, Dim>;

    virtual ~LevelOperator() = default;

    /// Local: the decomposition the local vectors are laid out on (see the file comment).
    virtual const grid::CartDecomp<Dim>& decomp() const noexcept = 0;
    /// Collective over comm() (neighbour-collective): y = A x on the local parts, which must
    /// not overlap. The value at each point must not depend on the layout (the same
    /// expression on any rank and thread count), or the cycles lose their same-bits promise.
    virtual void apply(std::span<const double> x, std::span<double> y) = 0;
    /// Local: d[l] = A's diagonal entry at owned unknown l (positive). d.size() == local_size().
    virtual void diagonal(std::span<double> d) const = 0;
    /// Collective over `comm`: the same problem rediscretized on `cells` unknowns per axis of
    /// the same domain, laid out on a CartDecomp of `comm` with process grid `procs`
    /// (procs[0] == 1). Called by Hierarchy for every level below the finest.
    virtual std::unique_ptr<LevelOperator> coarsened(const mpi::Comm& comm, const Index& cells,
                                                     const std::array<int, Dim>& procs) const = 0;

    /// Local: an upper bound of the eigenvalues of D^-1 A, the top of the Chebyshev
    /// smoother's interval (the bottom is a 2 Dim-th of it). The default, 2, is Gershgorin's
    /// bound for a diagonally dominant operator; a tighter one smooths better.
    virtual double diagonal_scaled_upper_bound() const { return 2.0; }
    /// Local: whether relax_colour() exists, which the red-black Gauss-Seidel smoother needs.
    virtual bool has_relax_colour() const noexcept { return false; }
    /// Collective over comm() (one halo exchange): one Gauss-Seidel half-sweep over the
    /// points whose global index sum has the parity `colour`, in place, with the contract of
    /// stencil::PoissonOperator::relax_colour. The default throws tessera::Error.
    virtual void relax_colour(std::span<const double> b, std::span<double> x, int colour, bool zero_guess);
    /// Local: the nonzeros of the global matrix (for the operator complexity). The default
    /// counts a (2 Dim + 1)-point stencil with Dirichlet walls.
    virtual gindex_t nonzeros() const;

    /// Local: the communicator the local vectors make a global one over.
    const mpi::Comm& comm() const noexcept { return decomp().comm(); }
    /// Local: the unknowns this rank owns.
    index_t local_size() const noexcept { return static_cast<index_t>(decomp().owned_box().size()); }
    /// Local: the reproducibility chunk of core/reduce.hpp, one x-line.
    index_t chunk() const noexcept { return static_cast<index_t>(decomp().global_cells()[0]); }
};

/// stencil::PoissonOperator as a multigrid level: coarser levels rediscretize -lap_h, the
/// Chebyshev bound is the Laplacian's exact largest eigenvalue of D^-1 A, and red-black
/// Gauss-Seidel is available.
template <int Dim>
class PoissonLevel final : public LevelOperator<Dim> {
public:
    using typename LevelOperator<Dim>::Index;

    /// Local: refers to `op`, which must outlive this object.
    explicit PoissonLevel(stencil::PoissonOperator<Dim>& op) : op_(&op) {}
    /// Collective over `comm`: owns a new stencil::PoissonOperator(comm, cells, procs).
    PoissonLevel(const mpi::Comm& comm, const Index& cells, const std::array<int, Dim>& procs);

    const grid::CartDecomp<Dim>& decomp() const noexcept override { return op_->decomp(); }
    void apply(std::span<const double> x, std::span<double> y) override { op_->apply(x, y); }
    void diagonal(std::span<double> d) const override { op_->diagonal(d); }
    std::unique_ptr<LevelOperator<Dim>> coarsened(const mpi::Comm& comm, const Index& cells,
                                                  const std::array<int, Dim>& procs) const override;
    double diagonal_scaled_upper_bound() const override;
    bool has_relax_colour() const noexcept override { return true; }
    void relax_colour(std::span<const double> b, std::span<double> x, int colour, bool zero_guess) override {
        op_->relax_colour(b, x, colour, zero_guess);
    }
    /// Local: the wrapped operator.
    stencil::PoissonOperator<Dim>& poisson() noexcept { return *op_; }

private:
    std::unique_ptr<stencil::PoissonOperator<Dim>> owned_;
    stencil::PoissonOperator<Dim>* op_;
};

extern template class LevelOperator<2>;
extern template class LevelOperator<3>;
extern template class PoissonLevel<2>;
extern template class PoissonLevel<3>;

}  // namespace tessera::multigrid
