// Smoothers for the multigrid levels: weighted Jacobi and Chebyshev polynomials in D^-1 A,
// both built from the operator's apply() and pointwise vector updates, so that each value is
// the same expression on any layout and thread count (no ordering, no reduction).
#pragma once

#include <span>

#include "tessera/core/memory.hpp"
#include "tessera/stencil/poisson.hpp"

namespace tessera::multigrid {

enum class Smoother { jacobi, chebyshev };

/// Local: "jacobi" or "chebyshev".
const char* smoother_name(Smoother s) noexcept;

/// Scratch vectors of one level's smoother (sized on first use).
struct SmootherWork {
    StreamedVector<double> ax, d;
};

/// The Chebyshev target interval [lower, upper] for the eigenvalues of D^-1 A: upper is the
/// largest eigenvalue of the discrete Laplacian's D^-1 A (known in closed form), lower the
/// upper / (2 Dim) below which a coarser level takes over.
struct ChebyshevBounds {
    double lower = 0, upper = 0;
};

/// Local: the bounds above for `op`.
template <int Dim>
ChebyshevBounds chebyshev_bounds(const stencil::PoissonOperator<Dim>& op);

/// Local: the Jacobi weight 2 Dim / (2 Dim + 1), the optimal high-frequency damping for the
/// (2 Dim + 1)-point Laplacian.
double jacobi_weight(int dim) noexcept;

/// Collective over op.comm() (one halo exchange per sweep): `sweeps` smoothing steps on
/// A x = b, each one application of A. zero_guess: x is taken as zero on entry (not read),
/// which spares the first application. The iteration is a fixed polynomial in D^-1 A applied
/// to the residual, so pre- and post-smoothing with it make a symmetric V-cycle.
/// Precondition: b and x have op.local_size() entries; sweeps >= 1.
template <int Dim>
void smooth(stencil::PoissonOperator<Dim>& op, Smoother kind, int sweeps, std::span<const double> b,
            std::span<double> x, bool zero_guess, SmootherWork& work);

}  // namespace tessera::multigrid
