// Explicit Euler time stepping of the heat equation u_t = alpha * lap(u) on a distributed grid,
// with the halo exchange hidden behind the interior update.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "tessera/grid/boundary.hpp"
#include "tessera/grid/field.hpp"
#include "tessera/grid/halo_exchange.hpp"
#include "tessera/stencil/operators.hpp"

namespace tessera::stencil {

/// Per-thread ring buffers of temporal blocking (index: OpenMP thread number).
using ThreadRings = std::vector<std::vector<double>>;

template <int Dim>
struct HeatParams {
    double alpha = 1.0;                  ///< diffusivity
    double dt = 0.0;                     ///< time step
    std::array<double, Dim> spacing{};   ///< cell sizes h_d
    StencilKind stencil = StencilKind::star1;
    std::array<grid::Boundary, Dim> bc{};
    bool allow_unstable = false;         ///< skip the stability check
    int check_every = 100;               ///< NaN/Inf check period in steps (0: never)
    int time_block = 1;                  ///< steps per pass over memory (star stencils)
    gindex_t block_rows = 0;             ///< 3D time_block: j rows per tile (0: rings of ~3 MiB per thread)
    StoreMode store = StoreMode::automatic;  ///< ordinary or streaming stores (star stencils)
};

/// Largest stable explicit Euler time step for the stencil, spacings and diffusivity.
template <int Dim>
double max_stable_dt(const HeatParams<Dim>& p);

/// Steps u by explicit Euler. Each step: start the halo exchange, update the interior cells
/// (those that read no ghost), finish the exchange, update the shell next to neighbouring
/// ranks, swap. Physical-wall ghosts need no communication: for star stencils they are filled
/// before the exchange (and, along the unit-stride axis, row by row inside the sweep), so the
/// interior extends to the walls; box stencils fill them after the exchange (corners).
/// Bitwise identical results for any decomposition and thread count.
template <int Dim>
class HeatStepper {
public:
    /// Collective over u.decomp().comm(). Throws CollectiveError (exit 2) if dt is unstable
    /// (the message gives the largest stable dt) unless allow_unstable, if the ghost width is
    /// smaller than the stencil radius (times time_block), if box stencils get unequal
    /// spacings, or if time_block > 1 is asked of a box stencil.
    HeatStepper(grid::Field<double, Dim>& u, const HeatParams<Dim>& params);

    /// Collective: advances u by one step.
    void step();
    /// Collective: advances u by n steps, checking for NaN/Inf every params.check_every
    /// steps (CollectiveError, exit 1, naming the step and the rank that saw it). With
    /// time_block k > 1, whole blocks of k steps run as one pass over memory (temporal
    /// blocking: a halo of width k*R exchanged once per block, the intermediate steps kept in
    /// per-thread row (2D) or plane-tile (3D) rings that stay in cache); same bits as k single steps.
    void advance(gindex_t n);
    /// Collective: throws CollectiveError (exit 1) if any owned value is NaN or Inf.
    void check_finite() const;
    gindex_t steps_done() const noexcept { return steps_; }
    /// Local: sets the step count, e.g. after a restart, so NaN checks keep their schedule.
    void set_steps_done(gindex_t steps) noexcept { steps_ = steps; }
    const HeatParams<Dim>& params() const noexcept { return params_; }
    /// Per-cell amplification of a sine/cosine mode with phases theta: u_{n+1} = g * u_n.
    double amplification(const std::array<double, Dim>& theta) const;

private:
    void update(const Box<Dim>& box);
    void blocked_steps(int k);
    grid::Field<double, Dim>& u_;
    grid::Field<double, Dim> next_;
    HeatParams<Dim> params_;
    StencilCoeffs<Dim> coeffs_;
    grid::HaloExchange<double, Dim> halo_;
    std::optional<grid::HaloExchange<double, Dim>> block_halo_;  // width k*R, for time_block k
    ThreadRings block_rings_;  // temporal blocking's buffers, reused by every block
    bool star_;          // star stencil: walls filled early, interior reaches the walls
    RowWalls walls_;     // i-wall ghosts filled inside the sweep (star stencils)
    Box<Dim> interior_;
    std::vector<Box<Dim>> shell_;
    gindex_t steps_ = 0;
};

/// Splits `box` into an interior, `lo[d]` / `hi[d]` cells away from its low / high faces, and
/// the shell around it (up to 2*Dim boxes, slowest axis first). Together they tile `box`.
template <int Dim>
std::pair<Box<Dim>, std::vector<Box<Dim>>> split_interior(const Box<Dim>& box,
                                                          const std::array<int, Dim>& lo,
                                                          const std::array<int, Dim>& hi);
/// The same with `r` cells on every face.
template <int Dim>
std::pair<Box<Dim>, std::vector<Box<Dim>>> split_interior(const Box<Dim>& box, int r) {
    std::array<int, Dim> all{};
    all.fill(r);
    return split_interior<Dim>(box, all, all);
}

}  // namespace tessera::stencil
