// The multigrid level hierarchy over a LevelOperator (stencil::PoissonOperator through
// PoissonLevel, or a user's own): coarser rediscretized levels on the same kind of
// decomposition, fewer ranks once a rank would hold too few unknowns
// (agglomeration onto a sub-communicator), down to a coarsest grid on one rank that is
// solved exactly (Eigen's sparse LDL^T of the level's matrix, assembled by probing the
// operator and factored once).
//
// Every choice (level sizes, rank counts, process grids) depends on the global sizes, the
// rank count and the options only, so every rank builds the same hierarchy without
// communicating about it, and the levels hold the same values on any layout.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "tessera/core/memory.hpp"
#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"
#include "tessera/multigrid/level_operator.hpp"
#include "tessera/multigrid/smoothers.hpp"
#include "tessera/multigrid/transfer.hpp"

namespace tessera::multigrid {

enum class Cycle { v, f };

/// Local: "v" or "f".
const char* cycle_name(Cycle c) noexcept;

/// The largest coarsest grid the exact solve accepts (unknowns): its sparse factor lives on
/// one rank.
inline constexpr gindex_t kMaxCoarsest = 32768;

struct Options {
    Cycle cycle = Cycle::v;
    Smoother smoother = Smoother::chebyshev;
    int sweeps = 2;                    ///< smoothing steps before and after the coarse correction (>= 1)
    gindex_t coarsest = 512;           ///< coarsen until a level has at most this many unknowns, in [1, kMaxCoarsest]
    gindex_t min_cells_per_rank = 1024;///< a coarse level goes onto fewer ranks below this average (>= 1)
};

namespace detail {
template <int Dim>
class CoarseSolver;
}

/// One level. `op` is null on ranks that hold no part of it (after agglomeration).
template <int Dim>
struct Level {
    std::array<gindex_t, Dim> cells{};  ///< global unknowns per axis
    int ranks = 0;                       ///< ranks holding the level (the first ones of the fine communicator)
    LevelOperator<Dim>* op = nullptr;
    std::unique_ptr<LevelOperator<Dim>> owned_op;  // every level but the finest (fine.coarsened())
    mpi::Comm comm;                                           // the sub-communicator of a coarse level
    std::unique_ptr<Transfer<Dim>> to_coarser;                // held levels except the coarsest
    StreamedVector<double> b, x, r;                           // right-hand side, iterate, residual
    SmootherWork work;
    std::string timer_smooth, timer_residual, timer_restrict, timer_prolong;

    /// Local: whether this rank holds part of the level.
    bool held() const noexcept { return op != nullptr; }
    /// Local: the level's unknowns.
    gindex_t unknowns() const noexcept;
    /// Local: the nonzeros of the level's matrix (its operator's nonzeros(), broadcast to the
    /// ranks that do not hold the level when the hierarchy was built).
    gindex_t nonzeros() const noexcept { return nnz; }
    gindex_t nnz = 0;
};

template <int Dim>
class Hierarchy {
public:
    /// Collective over fine.comm(): builds the levels below `fine` (which must outlive this)
    /// with fine.coarsened(). Throws CollectiveError (exit 2) on every rank, naming the
    /// parameter, when sweeps < 1, coarsest is outside [1, kMaxCoarsest],
    /// min_cells_per_rank < 1 ("multigrid: sweeps = -1 must be >= 1") or the smoother is
    /// rbgs for an operator without relax_colour(); tessera::Error on the coarsest level's
    /// rank when its matrix does not factor (not positive definite).
    Hierarchy(LevelOperator<Dim>& fine, const Options& options);
    ~Hierarchy();
    Hierarchy(const Hierarchy&) = delete;
    Hierarchy& operator=(const Hierarchy&) = delete;

    /// Local: the number of levels (the same on every rank), the finest being level 0.
    int levels() const noexcept { return static_cast<int>(levels_.size()); }
    Level<Dim>& level(int l) { return *levels_[static_cast<std::size_t>(l)]; }
    const Level<Dim>& level(int l) const { return *levels_[static_cast<std::size_t>(l)]; }
    const Options& options() const noexcept { return options_; }
    /// Local: sum over levels of nonzeros / the finest level's nonzeros.
    double operator_complexity() const noexcept;
    /// Local: sum over levels of unknowns / the finest level's unknowns.
    double grid_complexity() const noexcept;

    /// Local, on the one rank that holds the coarsest level (a no-op elsewhere): x = A^-1 b
    /// on that level, spans of its local size.
    void coarse_solve(std::span<const double> b, std::span<double> x);

private:
    Options options_;
    std::vector<std::unique_ptr<Level<Dim>>> levels_;
    std::unique_ptr<detail::CoarseSolver<Dim>> coarse_;
};

extern template class Hierarchy<2>;
extern template class Hierarchy<3>;

}  // namespace tessera::multigrid
