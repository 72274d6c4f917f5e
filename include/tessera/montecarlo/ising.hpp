// The 2D Ising model (ferromagnetic, J = 1, periodic) by checkerboard Metropolis on a grid
// decomposition; site (i, j) in sweep t draws from Philox stream (seed, j * Lx + i, t), so the
// chain is the same on any layout. Onsager's exact results for comparison.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "tessera/core/box.hpp"
#include "tessera/core/mpi.hpp"
#include "tessera/core/view.hpp"
#include "tessera/grid/cart_decomp.hpp"
#include "tessera/grid/field.hpp"
#include "tessera/grid/halo_exchange.hpp"
#include "tessera/montecarlo/estimators.hpp"

namespace tessera::montecarlo {

/// Onsager's critical temperature 2 / ln(1 + sqrt(2)) (k_B = J = 1).
double onsager_critical_temperature() noexcept;
/// Local: the spontaneous magnetization per site of the infinite lattice,
/// (1 - sinh(2/T)^-4)^(1/8) below Tc, 0 at and above it. Throws tessera::Error when T <= 0.
double onsager_magnetization(double temperature);
/// Local: the exact energy per site of the infinite lattice,
/// -coth(2b) [1 + (2/pi) (2 tanh^2(2b) - 1) K(k)], b = 1/T, k = 2 sinh(2b) / cosh^2(2b).
/// Throws tessera::Error when T <= 0.
double onsager_energy(double temperature);

/// Local: one Metropolis half-sweep over the sites of `box` with (i + j) % 2 == color.
/// `s` holds spins +-1 with current neighbours (ghosts) around `box`; `cells` is the global
/// lattice size (for site numbers); `accept[0]` = exp(-4/T), `accept[1]` = exp(-8/T).
/// Site (i, j) flips when dE <= 0 or when its uniform from stream (seed, j * Lx + i, sweep)
/// is below exp(-dE/T). OpenMP over rows; no MPI.
void ising_half_sweep(View<double, 2> s, const Box<2>& box, int color,
                      const std::array<gindex_t, 2>& cells, const std::array<double, 2>& accept,
                      std::uint64_t seed, std::uint32_t sweep);

/// Integer sums over the lattice: exact, so independent of the layout.
struct IsingSums {
    std::int64_t magnetization = 0;  ///< sum of spins
    std::int64_t bonds = 0;          ///< sum over nearest-neighbour pairs of s_i s_j
};

/// A distributed L x M lattice, all spins +1 at the start (ordered start, so low-temperature
/// runs need no domain coarsening). Not copyable or movable (the field refers to the
/// decomposition).
class IsingLattice {
public:
    /// Collective over `comm`. Throws CollectiveError (exit 2) when a side is odd (the
    /// checkerboard would not close across the periodic boundary), T <= 0, or the process grid
    /// does not fit (see grid::CartDecomp). Messages name the parameters ("IsingLattice: cells",
    /// "IsingLattice: temperature").
    IsingLattice(const mpi::Comm& comm, const std::array<gindex_t, 2>& cells, double temperature,
                 std::uint64_t seed, std::array<int, 2> procs = {});
    IsingLattice(const IsingLattice&) = delete;
    IsingLattice& operator=(const IsingLattice&) = delete;

    /// Collective: one sweep (color 0, halo exchange, color 1, halo exchange).
    void sweep();
    /// Collective: the integer sums of the current configuration.
    IsingSums sums() const;
    /// Collective: a layout-independent fingerprint of the configuration (integer hash sum).
    std::uint64_t fingerprint() const;

    /// Local: the spins (+1.0 or -1.0, exact in double) with one ghost layer, e.g. to write to
    /// or read from a checkpoint. After writing them, call restore().
    const grid::Field<double, 2>& spins() const noexcept { return spins_; }
    grid::Field<double, 2>& spins() noexcept { return spins_; }
    /// Collective: continues the chain from the spins now held, taken as the configuration after
    /// `sweeps_done` sweeps (its random numbers then are those of sweep `sweeps_done` on, as in
    /// an uninterrupted run); refreshes the ghosts. Throws CollectiveError (exit 2) when a spin
    /// is not +1 or -1.
    void restore(std::uint32_t sweeps_done);

    gindex_t sites() const noexcept { return cells_[0] * cells_[1]; }
    std::uint32_t sweeps_done() const noexcept { return sweep_; }
    const grid::CartDecomp<2>& decomp() const noexcept { return decomp_; }

private:
    std::array<gindex_t, 2> cells_;
    double temperature_;
    std::uint64_t seed_;
    grid::CartDecomp<2> decomp_;
    grid::Field<double, 2> spins_;
    grid::HaloExchange<double, 2> halo_;
    std::array<double, 2> accept_;
    std::uint32_t sweep_ = 0;
};

/// Estimates from a measured chain, errors by batch means.
struct IsingEstimates {
    Estimate energy;             ///< per site
    Estimate abs_magnetization;  ///< <|M|> per site
    Estimate specific_heat;      ///< N (<e^2> - <e>^2) / T^2, per site, averaged over batches
    Estimate susceptibility;     ///< N (<m^2> - <|m|>^2) / T, per site, averaged over batches
};

/// Local: estimates from per-sweep energy and |magnetization| per site (one value each per
/// measured sweep) of a lattice of `sites` sites at `temperature`, with `batches` batches.
IsingEstimates ising_estimates(std::span<const double> energy, std::span<const double> abs_mag,
                               gindex_t sites, double temperature, int batches);

/// A measured chain: per-sweep series (after thermalization) and the final fingerprint.
struct IsingRun {
    std::vector<double> energy, abs_magnetization;
    std::uint64_t fingerprint = 0;
    std::int64_t sweeps = 0;  ///< sweeps of the chain so far, thermalization included
};

/// Collective over the lattice's communicator: `thermalize` sweeps, then `sweeps` measured
/// sweeps (energy and |M| per site after each). Throws CollectiveError when thermalize < 0 or
/// sweeps <= 0 (naming "run_ising: thermalize" or "run_ising: sweeps").
IsingRun run_ising(IsingLattice& lattice, int thermalize, int sweeps, const ProgressCallback& progress = {});

/// Collective over the lattice's communicator: continues the chain of run_ising(lattice,
/// thermalize, sweeps) after run.sweeps of its sweeps (0: a new chain; a restored lattice and
/// run continue where they were), appending the measurements to `run`, which must hold those
/// of the sweeps done so far (max(0, run.sweeps - thermalize) each). After every sweep,
/// `after_sweep()` (collective; empty: go on) says whether to go on. Sets run.fingerprint to
/// that of the configuration reached. A chain cut anywhere and continued on any layout ends
/// with the same bits as an uninterrupted one. Throws CollectiveError as run_ising() does, and
/// when `run` holds more sweeps than the chain or the wrong number of measurements.
void continue_ising(IsingLattice& lattice, int thermalize, int sweeps, IsingRun& run,
                    const std::function<bool()>& after_sweep = {});

/// Local: the same chain computed plainly on one whole lattice (no decomposition, no halos,
/// no threads, int spins, neighbours by modular indexing): the oracle for IsingLattice and
/// run_ising(), which must match it exactly.
IsingRun run_ising_ref(const std::array<gindex_t, 2>& cells, double temperature, int thermalize,
                       int sweeps, std::uint64_t seed);

/// How far the measured energy and |M| per site of an L x M lattice at `temperature` may be
/// from Onsager's infinite-lattice values beyond the statistical error (finite-size
/// allowance). Away from Tc (|T - Tc| >= 0.3) the correlation length is a few sites and
/// corrections fall fast with L: 0.002 + 4/L^2 for e, and for |M| below Tc; above Tc the
/// finite lattice keeps <|M|> ~ sqrt(chi T / N) ~ 1/L, allowance 3/L. Near Tc no allowance is
/// stated (std::nullopt): finite-size effects dominate there.
struct IsingAllowance {
    double energy = 0.0, abs_magnetization = 0.0;
};
std::optional<IsingAllowance> ising_allowance(const std::array<gindex_t, 2>& cells, double temperature);

}  // namespace tessera::montecarlo
