// Restriction and prolongation between two levels of the vertex-centred Poisson grid, and the
// box gathers that move level data between decompositions (including onto fewer ranks).
//
// Grid: a level of n interior unknowns per axis has spacing h = 1 / (n + 1) and unknown i at
// (i + 1) h (stencil/poisson.hpp); vertex-centred, so the transfers are the vertex pair. A
// coarsened axis has coarsen(n) unknowns. Odd n coarsens to (n - 1) / 2, nested (coarse unknown I sits on fine unknown 2 I + 1: linear
// interpolation and full weighting). Any other n gives a coarse grid that is not nested; the
// prolongation is then the linear interpolation of the coarse grid function (zero on the
// boundary) at the fine points, and the restriction its transpose scaled by H / h per axis,
// which is full weighting again in the nested case. R is proportional to P^T, so a V-cycle whose
// post-smoother is the adjoint of its pre-smoother (smoothers.hpp: Pass) is a symmetric
// preconditioner.
//
// Determinism: every coarse or fine value is one fixed expression of global indices (taps in
// increasing global index, the x sum innermost), so which rank or thread computes it cannot
// change a bit.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "tessera/core/box.hpp"
#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"
#include "tessera/multigrid/level_operator.hpp"

namespace tessera::multigrid {

/// Local: the unknowns of a coarsened axis: (n - 1) / 2 for odd n (nested), n / 2 for even n
/// (the coarse spacing then is a little under 2 h); an axis of one unknown stays at one.
/// Precondition: n >= 1.
gindex_t coarsen(gindex_t n) noexcept;

/// Local: the next coarser level's unknowns per axis. Axes whose coupling 1 / h_d^2 is at
/// least 0.4 times the strongest are coarsened, the others kept (semi-coarsening, as for
/// grids of unequal spacing such as 33 x 17 x 29, where a point smoother alone cannot damp
/// the error along the weakly coupled axes).
template <int Dim>
std::array<gindex_t, Dim> coarse_cells(const std::array<gindex_t, Dim>& cells) noexcept;

/// One axis of a level transfer, as two sparse 1D operators in CSR form (local, built from
/// the global sizes only, so every rank holds the same taps).
struct AxisTransfer {
    struct Tap {
        gindex_t index;
        double weight;
    };
    gindex_t fine = 1, coarse = 1;
    std::vector<gindex_t> interp_start;   ///< fine i: taps interp[interp_start[i] .. [i + 1])
    std::vector<Tap> interp;              ///< coarse index and weight of P
    std::vector<gindex_t> restrict_start; ///< coarse I: taps restrict_taps[restrict_start[I] ..)
    std::vector<Tap> restrict_taps;       ///< fine index and weight of R = (H / h) P^T

    /// Local: the taps between `fine` and `coarse` unknowns (both >= 1; coarse == fine gives
    /// the identity, used to move a level onto fewer ranks without coarsening).
    static AxisTransfer make(gindex_t fine, gindex_t coarse);
    /// Local: the fine indices [lo, hi) that the restriction to coarse [clo, chi) reads.
    std::array<gindex_t, 2> fine_range(gindex_t clo, gindex_t chi) const;
    /// Local: the coarse indices [lo, hi) that the prolongation to fine [flo, fhi) reads.
    std::array<gindex_t, 2> coarse_range(gindex_t flo, gindex_t fhi) const;
};

/// Moves values between two distributions of one global grid over a communicator: every rank
/// holds the values of a box `have` (a dense array over it, x fastest; possibly empty) and
/// receives those of a box `need` (likewise) from whichever ranks hold them. The plan is
/// built once; run() is point-to-point with the ranks that share cells. Values of `need`
/// that no rank has are left untouched.
template <int Dim>
class BoxGather {
public:
    BoxGather() = default;
    /// Collective over `comm` (an allgather of the boxes). `comm` must outlive this object.
    BoxGather(const mpi::Comm& comm, const Box<Dim>& have, const Box<Dim>& need);
    /// Collective over the constructor's comm: dst (need.size() values) receives src
    /// (have.size() values); copy_own = false leaves out the cells this rank has itself (the
    /// caller reads those in src). Throws tessera::Error on this rank when the sizes differ.
    void run(std::span<const double> src, std::span<double> dst, bool copy_own = true);

private:
    struct Piece {
        int peer;
        Box<Dim> box;
        std::vector<double> buf;
    };
    const mpi::Comm* comm_ = nullptr;
    Box<Dim> have_, need_;
    std::vector<Piece> sends_, recvs_;
    Box<Dim> self_;  // cells this rank both has and needs (copied without MPI)
};

/// The transfer between a level and the next coarser one. The coarse level lives on the first
/// ranks of the fine level's communicator (all of them, or fewer: agglomeration).
template <int Dim>
class Transfer {
public:
    /// Collective over fine.comm(). `coarse` is the coarse operator on ranks that hold part of
    /// the coarse level and nullptr elsewhere; `coarse_cells` its global unknowns per axis (the
    /// same on every rank). Both operators must outlive this object.
    Transfer(const LevelOperator<Dim>& fine, const LevelOperator<Dim>* coarse,
             const std::array<gindex_t, Dim>& coarse_cells);
    Transfer(const Transfer&) = delete;
    Transfer& operator=(const Transfer&) = delete;

    /// Collective over fine.comm(): coarse_b = R fine_r. fine_r is this rank's fine local
    /// vector; coarse_b its coarse one (empty where the rank holds no coarse part).
    void restrict_to(std::span<const double> fine_r, std::span<double> coarse_b);
    /// Collective over fine.comm(): fine_x += P coarse_x (local vectors as above).
    void prolong_add(std::span<const double> coarse_x, std::span<double> fine_x);

private:
    mpi::Comm comm_;  // a duplicate: gathers never match the operators' halo messages
    std::array<AxisTransfer, 3> axes_;  // a 2D transfer has a trivial third axis
    Box<Dim> fine_owned_, coarse_owned_, fine_need_, coarse_need_;
    BoxGather<Dim> gather_fine_, gather_coarse_;
    std::vector<double> fine_buf_, coarse_buf_;
    std::vector<double> pass_buf_;  // the x sums of the separable kernel
    bool direct_fine_ = false;      // the restriction reads owned fine rows in place
};

extern template class BoxGather<2>;
extern template class BoxGather<3>;
extern template class Transfer<2>;
extern template class Transfer<3>;

}  // namespace tessera::multigrid
