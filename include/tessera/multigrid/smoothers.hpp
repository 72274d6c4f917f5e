// Smoothers for the multigrid levels: weighted Jacobi and Chebyshev polynomials in D^-1 A,
// both built from the operator's apply() and diagonal() and pointwise vector updates, and
// red-black Gauss-Seidel, whose colours are parities of global indices (the operator's
// relax_colour()).
// Each value is the same expression on any layout and thread count (no reduction, and no
// ordering but the fixed one of the two colours).
#pragma once

#include <span>

#include "tessera/core/memory.hpp"
#include "tessera/multigrid/level_operator.hpp"

namespace tessera::multigrid {

enum class Smoother { jacobi, chebyshev, rbgs };

/// Local: "jacobi", "chebyshev" or "rbgs".
const char* smoother_name(Smoother s) noexcept;

/// Which side of the coarse correction a smoothing is. Red-black Gauss-Seidel sweeps red then
/// black before it and black then red after it, the reverse (adjoint) order, which keeps the
/// V-cycle symmetric; Jacobi and Chebyshev are the same on both sides.
enum class Pass { pre, post };

/// Scratch vectors of one level's smoother and its operator's inverse diagonal, set on first
/// use (so one SmootherWork serves one operator): a single number when the diagonal is
/// constant on this rank, which gives the same bits as the vector and streams less.
struct SmootherWork {
    StreamedVector<double> ax, d;
    StreamedVector<double> inverse_diagonal;  // empty when uniform
    double uniform_inverse_diagonal = 0;     // 0 until set
};

/// The Chebyshev target interval [lower, upper] for the eigenvalues of D^-1 A: upper is the
/// operator's diagonal_scaled_upper_bound() (for the discrete Laplacian its largest
/// eigenvalue, known in closed form), lower the upper / (2 Dim) below which a coarser level
/// takes over.
struct ChebyshevBounds {
    double lower = 0, upper = 0;
};

/// Local: the bounds above for `op`.
template <int Dim>
ChebyshevBounds chebyshev_bounds(const LevelOperator<Dim>& op);

/// Local: the Jacobi weight 2 Dim / (2 Dim + 1), the optimal high-frequency damping for the
/// (2 Dim + 1)-point Laplacian.
double jacobi_weight(int dim) noexcept;

/// Collective over op.comm() (neighbour-collective: one halo exchange per sweep, two for
/// rbgs): `sweeps` smoothing steps on A x = b. Jacobi and Chebyshev: each one application of
/// A, a fixed polynomial in D^-1 A applied to the residual. rbgs: each a red and a black
/// half-sweep, in the order `pass` gives, so that pre- and post-smoothing are adjoint.
/// Either way pre- and post-smoothing make a symmetric V-cycle. zero_guess: x is taken as
/// zero on entry (not read), which spares the first application (rbgs: the first half-sweep's
/// exchange and reads). Precondition: b and x have op.local_size() entries; sweeps >= 1;
/// for rbgs, op.has_relax_colour().
template <int Dim>
void smooth(LevelOperator<Dim>& op, Smoother kind, int sweeps, std::span<const double> b,
            std::span<double> x, bool zero_guess, Pass pass, SmootherWork& work);

}  // namespace tessera::multigrid
