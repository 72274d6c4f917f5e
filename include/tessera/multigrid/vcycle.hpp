// Multigrid cycles (V and F) over a Hierarchy, as a preconditioner (one cycle from a zero
// guess: z = B r) and as a solver (cycles until the residual is small). The residual norms of
// the solver are reproducible (core/reduce.hpp) and every cycle is layout-independent, so the
// whole residual history is bitwise the same on any rank and thread count.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "tessera/multigrid/hierarchy.hpp"
#include "tessera/stencil/poisson.hpp"

namespace tessera::multigrid {

struct SolveOptions {
    double tol = 1e-8;   ///< stop when ||r|| <= tol ||b||; in (0, 1e300)
    int max_cycles = 100;///< cycle limit (>= 0)
    /// Called on every rank after each cycle with (cycle, ||r|| / ||b||); must not communicate.
    std::function<void(int, double)> monitor = nullptr;
};

struct SolveResult {
    int cycles = 0;
    bool converged = false;
    double relative_residual = 0;
    std::vector<double> history;  ///< ||r_k|| / ||b|| for k = 0 .. cycles
};

/// Local: the bytes one V-cycle from a zero guess (precondition()) must move through memory
/// over all ranks, by a model of its passes: each vector a pass reads counts 8 bytes per
/// unknown, each one it writes 16 (the write-allocate read, as a triad counts it); the
/// operator's ghost copies, halos and the coarsest solve are not counted, so the cycle cannot
/// beat (bytes / memory bandwidth). Per level above the coarsest: pre-smoothing from zero
/// (Chebyshev: first step reads b, writes d and x; each further step applies A (reads x,
/// writes Ax) and updates (reads b, Ax, d, x, writes d, x); Jacobi likewise without d), the
/// residual (apply, then reads b, Ax, writes r), the restriction (reads r, writes the coarse
/// b), the prolongation (reads the coarse x, reads and writes x) and post-smoothing (every
/// step a full one). The F-cycle moves more; this is the V-cycle's.
template <int Dim>
double vcycle_bytes(const Hierarchy<Dim>& h);

template <int Dim>
class Multigrid {
public:
    /// Collective over fine.comm(): builds the hierarchy (throws as Hierarchy does). `fine`
    /// must outlive this object; vectors are its local parts.
    Multigrid(LevelOperator<Dim>& fine, const Options& options = {});
    /// Collective over fine.comm(): the same for the Poisson operator (through PoissonLevel).
    Multigrid(stencil::PoissonOperator<Dim>& fine, const Options& options = {});

    /// Collective over fine.comm(): z = B r, one cycle (options().cycle) from z = 0. With the
    /// V-cycle, B is symmetric positive definite (a CG preconditioner); the F-cycle's B is
    /// not exactly symmetric. r and z must not overlap.
    void precondition(std::span<const double> r, std::span<double> z);
    /// Collective over fine.comm(): one cycle on A x = b from the guess in x.
    void cycle(std::span<const double> b, std::span<double> x);
    /// Collective over fine.comm(): cycles on A x = b from the guess in x until
    /// ||b - A x|| <= tol ||b|| or max_cycles. Throws CollectiveError (exit 2) naming the
    /// parameter when tol or max_cycles is out of range ("multigrid: tol = 0 must be ...").
    SolveResult solve(std::span<const double> b, std::span<double> x, const SolveOptions& options = {});

    const Hierarchy<Dim>& hierarchy() const noexcept { return h_; }
    const Options& options() const noexcept { return h_.options(); }

private:
    void run(int l, std::span<const double> b, std::span<double> x, bool zero_guess, bool f_cycle);

    std::unique_ptr<PoissonLevel<Dim>> poisson_;  // the adapter, when built from a PoissonOperator
    LevelOperator<Dim>& fine_;
    Hierarchy<Dim> h_;
    StreamedVector<double> r_;  // the solver's residual
};

extern template class Multigrid<2>;
extern template class Multigrid<3>;

}  // namespace tessera::multigrid
