// Weighted Jacobi, Chebyshev and red-black Gauss-Seidel smoothing over stencil::PoissonOperator.
#include "tessera/multigrid/smoothers.hpp"

#include <cmath>
#include <numbers>

namespace tessera::multigrid {

const char* smoother_name(Smoother s) noexcept {
    switch (s) {
        case Smoother::jacobi: return "jacobi";
        case Smoother::chebyshev: return "chebyshev";
        case Smoother::rbgs: return "rbgs";
    }
    return "?";
}

double jacobi_weight(int dim) noexcept { return 2.0 * dim / (2.0 * dim + 1.0); }

template <int Dim>
ChebyshevBounds chebyshev_bounds(const stencil::PoissonOperator<Dim>& op) {
    // lambda_max(D^-1 A) = sum_d c_d (1 + cos(pi h_d)) / sum_d c_d with c_d = 1 / h_d^2.
    double num = 0, den = 0;
    for (int d = 0; d < Dim; ++d) {
        const double h = op.spacing(d), c = 1.0 / (h * h);
        num += c * (1.0 + std::cos(std::numbers::pi * h));
        den += c;
    }
    const double upper = num / den;
    return {upper / (2.0 * Dim), upper};
}

namespace {

template <int Dim>
double diagonal_of(const stencil::PoissonOperator<Dim>& op) {
    double d = 0;
    op.diagonal(std::span<double>(&d, 1));
    return d;
}

// x = c b (a zero guess's first step) or x += c (b - ax).
void scaled_step(double c, std::span<const double> b, std::span<const double> ax, std::span<double> x, bool zero) {
    const auto n = static_cast<index_t>(x.size());
    if (zero) {
#pragma omp parallel for simd schedule(static)
        for (index_t i = 0; i < n; ++i) x[i] = c * b[i];
    } else {
#pragma omp parallel for simd schedule(static)
        for (index_t i = 0; i < n; ++i) x[i] += c * (b[i] - ax[i]);
    }
}

// d = a d + c (b - ax); x += d.
void chebyshev_step(double a, double c, std::span<const double> b, std::span<const double> ax,
                    std::span<double> d, std::span<double> x) {
    const auto n = static_cast<index_t>(x.size());
#pragma omp parallel for simd schedule(static)
    for (index_t i = 0; i < n; ++i) {
        d[i] = a * d[i] + c * (b[i] - ax[i]);
        x[i] += d[i];
    }
}

// The first step, d = c (b - ax) and x += d, with d and x as they would be after
// d = 0 d + c (b - ax) and x += d from d = 0 (and x = ax = 0 for a zero guess, `ax` then
// empty): the same bits, without reading or clearing what is known to be zero.
void chebyshev_first_step(double c, std::span<const double> b, std::span<const double> ax, std::span<double> d,
                          std::span<double> x) {
    const auto n = static_cast<index_t>(x.size());
    if (ax.empty()) {
#pragma omp parallel for simd schedule(static)
        for (index_t i = 0; i < n; ++i) {
            d[i] = 0.0 + c * (b[i] - 0.0);
            x[i] = 0.0 + d[i];
        }
        return;
    }
#pragma omp parallel for simd schedule(static)
    for (index_t i = 0; i < n; ++i) {
        d[i] = 0.0 + c * (b[i] - ax[i]);
        x[i] += d[i];
    }
}

}  // namespace

template <int Dim>
void smooth(stencil::PoissonOperator<Dim>& op, Smoother kind, int sweeps, std::span<const double> b,
            std::span<double> x, bool zero_guess, Pass pass, SmootherWork& work) {
    const auto n = static_cast<std::size_t>(op.local_size());
    work.ax.resize(n);  // the cycle's residual uses it too, whatever the smoother
    if (kind == Smoother::rbgs) {
        // Red (0) then black (1) before the coarse correction, black then red after it.
        const int first = pass == Pass::pre ? 0 : 1;
        for (int s = 0; s < sweeps; ++s) {
            op.relax_colour(b, x, first, zero_guess && s == 0);
            op.relax_colour(b, x, 1 - first);
        }
        return;
    }
    const double dinv = 1.0 / diagonal_of(op);
    if (kind == Smoother::jacobi) {
        const double c = jacobi_weight(Dim) * dinv;
        for (int s = 0; s < sweeps; ++s) {
            const bool zero = zero_guess && s == 0;
            if (!zero) op.apply(x, work.ax);
            scaled_step(c, b, work.ax, x, zero);
        }
        return;
    }
    // Chebyshev iteration on [lower, upper] (Saad, Iterative Methods, algorithm 12.1, with the
    // diagonal preconditioner): d_0 = r / theta, d_k = rho_k rho_{k-1} d_{k-1} + 2 rho_k / delta r.
    work.d.resize(n);
    const auto bounds = chebyshev_bounds(op);
    const double theta = 0.5 * (bounds.upper + bounds.lower), delta = 0.5 * (bounds.upper - bounds.lower);
    const double sigma = theta / delta;
    double rho = 1.0 / sigma;
    for (int s = 0; s < sweeps; ++s) {
        if (s == 0) {
            if (!zero_guess) op.apply(x, work.ax);
            chebyshev_first_step(dinv / theta, b, zero_guess ? std::span<const double>{} : work.ax, work.d, x);
        } else {
            op.apply(x, work.ax);
            const double rho_new = 1.0 / (2.0 * sigma - rho);
            chebyshev_step(rho_new * rho, 2.0 * rho_new / delta * dinv, b, work.ax, work.d, x);
            rho = rho_new;
        }
    }
}

template ChebyshevBounds chebyshev_bounds<2>(const stencil::PoissonOperator<2>&);
template ChebyshevBounds chebyshev_bounds<3>(const stencil::PoissonOperator<3>&);
template void smooth<2>(stencil::PoissonOperator<2>&, Smoother, int, std::span<const double>, std::span<double>,
                        bool, Pass, SmootherWork&);
template void smooth<3>(stencil::PoissonOperator<3>&, Smoother, int, std::span<const double>, std::span<double>,
                        bool, Pass, SmootherWork&);

}  // namespace tessera::multigrid
