// Weighted Jacobi, Chebyshev and red-black Gauss-Seidel smoothing over a LevelOperator.
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
ChebyshevBounds chebyshev_bounds(const LevelOperator<Dim>& op) {
    const double upper = op.diagonal_scaled_upper_bound();
    return {upper / (2.0 * Dim), upper};
}

namespace {

// The coefficient of a pointwise update at point i: s * D^-1 (Scaled) or D^-1 / s (Divided),
// with D^-1 one number (a constant diagonal) or a vector; the same bits either way.
struct Scaled {
    double s, uniform;
    const double* inv;
    double operator()(index_t i) const { return s * (inv ? inv[i] : uniform); }
};
struct Divided {
    double s, uniform;
    const double* inv;
    double operator()(index_t i) const { return (inv ? inv[i] : uniform) / s; }
};

// x = c b (a zero guess's first step) or x += c (b - ax).
template <class Coef>
void scaled_step(Coef c, std::span<const double> b, std::span<const double> ax, std::span<double> x, bool zero) {
    const auto n = static_cast<index_t>(x.size());
    if (zero) {
#pragma omp parallel for simd schedule(static)
        for (index_t i = 0; i < n; ++i) x[i] = c(i) * b[i];
    } else {
#pragma omp parallel for simd schedule(static)
        for (index_t i = 0; i < n; ++i) x[i] += c(i) * (b[i] - ax[i]);
    }
}

// d = a d + c (b - ax); x += d.
template <class Coef>
void chebyshev_step(double a, Coef c, std::span<const double> b, std::span<const double> ax, std::span<double> d,
                    std::span<double> x) {
    const auto n = static_cast<index_t>(x.size());
#pragma omp parallel for simd schedule(static)
    for (index_t i = 0; i < n; ++i) {
        d[i] = a * d[i] + c(i) * (b[i] - ax[i]);
        x[i] += d[i];
    }
}

// The first step, d = c (b - ax) and x += d, with d and x as they would be after
// d = 0 d + c (b - ax) and x += d from d = 0 (and x = ax = 0 for a zero guess, `ax` then
// empty): the same bits, without reading or clearing what is known to be zero.
template <class Coef>
void chebyshev_first_step(Coef c, std::span<const double> b, std::span<const double> ax, std::span<double> d,
                          std::span<double> x) {
    const auto n = static_cast<index_t>(x.size());
    if (ax.empty()) {
#pragma omp parallel for simd schedule(static)
        for (index_t i = 0; i < n; ++i) {
            d[i] = 0.0 + c(i) * (b[i] - 0.0);
            x[i] = 0.0 + d[i];
        }
        return;
    }
#pragma omp parallel for simd schedule(static)
    for (index_t i = 0; i < n; ++i) {
        d[i] = 0.0 + c(i) * (b[i] - ax[i]);
        x[i] += d[i];
    }
}

// The operator's inverse diagonal into `work`, once.
template <int Dim>
void set_inverse_diagonal(const LevelOperator<Dim>& op, SmootherWork& work) {
    if (work.uniform_inverse_diagonal != 0 || !work.inverse_diagonal.empty()) return;
    const auto n = static_cast<std::size_t>(op.local_size());
    StreamedVector<double> inv(n);
    op.diagonal(inv);
    bool uniform = true;
    for (std::size_t i = 0; i < n; ++i) {
        uniform = uniform && inv[i] == inv[0];
        inv[i] = 1.0 / inv[i];
    }
    if (uniform)
        work.uniform_inverse_diagonal = inv[0];
    else
        work.inverse_diagonal = std::move(inv);
}

}  // namespace

template <int Dim>
void smooth(LevelOperator<Dim>& op, Smoother kind, int sweeps, std::span<const double> b, std::span<double> x,
            bool zero_guess, Pass pass, SmootherWork& work) {
    const auto n = static_cast<std::size_t>(op.local_size());
    work.ax.resize(n);  // the cycle's residual uses it too, whatever the smoother
    if (kind == Smoother::rbgs) {
        // Red (0) then black (1) before the coarse correction, black then red after it.
        const int first = pass == Pass::pre ? 0 : 1;
        for (int s = 0; s < sweeps; ++s) {
            op.relax_colour(b, x, first, zero_guess && s == 0);
            op.relax_colour(b, x, 1 - first, false);
        }
        return;
    }
    set_inverse_diagonal(op, work);
    const double uniform = work.uniform_inverse_diagonal;
    const double* inv = work.inverse_diagonal.empty() ? nullptr : work.inverse_diagonal.data();
    if (kind == Smoother::jacobi) {
        const Scaled c{jacobi_weight(Dim), uniform, inv};
        for (int s = 0; s < sweeps; ++s) {
            const bool zero = zero_guess && s == 0;
            if (!zero) op.apply(x, work.ax);
            if (inv)
                scaled_step(c, b, work.ax, x, zero);
            else  // one coefficient for all points, hoisted
                scaled_step([k = c(0)](index_t) { return k; }, b, work.ax, x, zero);
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
        const auto ax = s == 0 && zero_guess ? std::span<const double>{} : std::span<const double>(work.ax);
        if (!ax.empty()) op.apply(x, work.ax);
        if (s == 0) {
            const Divided c{theta, uniform, inv};
            if (inv)
                chebyshev_first_step(c, b, ax, work.d, x);
            else
                chebyshev_first_step([k = c(0)](index_t) { return k; }, b, ax, work.d, x);
        } else {
            const double rho_new = 1.0 / (2.0 * sigma - rho);
            const Scaled c{2.0 * rho_new / delta, uniform, inv};
            if (inv)
                chebyshev_step(rho_new * rho, c, b, ax, work.d, x);
            else
                chebyshev_step(rho_new * rho, [k = c(0)](index_t) { return k; }, b, ax, work.d, x);
            rho = rho_new;
        }
    }
}

template ChebyshevBounds chebyshev_bounds<2>(const LevelOperator<2>&);
template ChebyshevBounds chebyshev_bounds<3>(const LevelOperator<3>&);
template void smooth<2>(LevelOperator<2>&, Smoother, int, std::span<const double>, std::span<double>,
                        bool, Pass, SmootherWork&);
template void smooth<3>(LevelOperator<3>&, Smoother, int, std::span<const double>, std::span<double>,
                        bool, Pass, SmootherWork&);

}  // namespace tessera::multigrid
