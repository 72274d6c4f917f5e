// A manufactured solution of -lap u = f on the unit square or cube with zero walls, for
// PoissonOperator (tessera-cg and the CG tests check themselves against it). Local.
#pragma once

#include <array>
#include <cmath>
#include <numbers>

namespace tessera::stencil::manufactured {

// u = prod_d g(x_d), g(t) = e^t sin(pi t): zero on the boundary, smooth, and not an eigenmode
// of the discrete operator (so CG has real work to do). source = -lap(u).
inline double manufactured_g(double t) { return std::exp(t) * std::sin(std::numbers::pi * t); }
inline double manufactured_g2(double t) {
    constexpr double pi = std::numbers::pi;
    return std::exp(t) * ((1 - pi * pi) * std::sin(pi * t) + 2 * pi * std::cos(pi * t));
}

/// u(x) at point `p` (coordinates in [0, 1]).
template <int Dim>
double exact(const std::array<double, Dim>& p) {
    double u = 1;
    for (double t : p) u *= manufactured_g(t);
    return u;
}

/// f = -lap(u) at point `p`.
template <int Dim>
double source(const std::array<double, Dim>& p) {
    double f = 0;
    for (int d = 0; d < Dim; ++d) {
        double term = -manufactured_g2(p[d]);
        for (int e = 0; e < Dim; ++e)
            if (e != d) term *= manufactured_g(p[e]);
        f += term;
    }
    return f;
}

}  // namespace tessera::stencil::manufactured
