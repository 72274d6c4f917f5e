// The local kernels of a CG iteration. Loops over whole chunks, so each fused reduction is a
// sum of fixed chunk sums (reduce.hpp) whatever the thread count.
#include "tessera/linalg/cg.hpp"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>

namespace tessera::linalg {

SpectrumEstimate spectrum_estimate(std::span<const double> alpha, std::span<const double> beta) {
    const auto k = static_cast<Eigen::Index>(alpha.size());
    SpectrumEstimate est;
    if (k == 0) return est;
    TESSERA_CHECK(static_cast<Eigen::Index>(beta.size()) + 1 >= k,
                  "spectrum_estimate: " << alpha.size() << " alpha need at least " << k - 1 << " beta, got "
                                        << beta.size());
    Eigen::VectorXd diag(k), sub(std::max<Eigen::Index>(k - 1, 0));
    for (Eigen::Index j = 0; j < k; ++j) {
        const auto u = static_cast<std::size_t>(j);
        diag[j] = 1.0 / alpha[u] + (j > 0 ? beta[u - 1] / alpha[u - 1] : 0.0);
        if (j + 1 < k) sub[j] = std::sqrt(beta[u]) / alpha[u];
    }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
    eig.computeFromTridiagonal(diag, sub, Eigen::EigenvaluesOnly);
    TESSERA_CHECK(eig.info() == Eigen::Success, "spectrum_estimate: the tridiagonal eigensolver did not converge");
    est.iterations = static_cast<int>(k);
    est.lambda_min = eig.eigenvalues()[0];
    est.lambda_max = eig.eigenvalues()[k - 1];
    est.condition = est.lambda_max / est.lambda_min;
    return est;
}

}  // namespace tessera::linalg

namespace tessera::linalg::detail {

namespace {
// Sum of w[i] * x[i]^2 over one chunk in the same fixed order as chunk_dot.
double chunk_weighted_squares(const double* x, const double* w, index_t n) noexcept {
    double s[8] = {};
    index_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) s[k] += (w[i + k] * x[i + k]) * x[i + k];
    for (int k = 0; i < n; ++i, ++k) s[k] += (w[i] * x[i]) * x[i];
    return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}
}  // namespace

void cg_residual(std::span<const double> b, std::span<const double> ax, std::span<double> r) {
    const auto n = static_cast<index_t>(r.size());
#pragma omp parallel for simd schedule(static)
    for (index_t i = 0; i < n; ++i) r[i] = b[i] - ax[i];
}

void cg_update(double alpha, std::span<const double> p, std::span<const double> ap,
               std::span<double> x, std::span<double> r, std::span<const double> dinv,
               index_t chunk, ExactSum& rr, ExactSum& rz) {
    ScopedTimer t("linalg.cg.update");
    const auto n = static_cast<index_t>(r.size());
    const index_t chunks = (n + chunk - 1) / chunk;
    const bool pre = !dinv.empty();
#pragma omp parallel
    {
        ExactSum my_rr, my_rz;
#pragma omp for schedule(static) nowait
        for (index_t c = 0; c < chunks; ++c) {
            const index_t lo = c * chunk, hi = std::min(n, lo + chunk);
#pragma omp simd
            for (index_t i = lo; i < hi; ++i) {
                x[i] += alpha * p[i];
                r[i] -= alpha * ap[i];
            }
            my_rr.add(chunk_dot(r.data() + lo, r.data() + lo, hi - lo));
            if (pre) my_rz.add(chunk_weighted_squares(r.data() + lo, dinv.data() + lo, hi - lo));
        }
#pragma omp critical(tessera_linalg_cg_update)
        {
            rr.add(my_rr);
            rz.add(my_rz);
        }
    }
}

void cg_direction(double beta, std::span<const double> r, std::span<const double> dinv,
                  std::span<double> p) {
    ScopedTimer t("linalg.cg.direction");
    const auto n = static_cast<index_t>(r.size());
    if (dinv.empty()) {
#pragma omp parallel for simd schedule(static)
        for (index_t i = 0; i < n; ++i) p[i] = r[i] + beta * p[i];
    } else {
#pragma omp parallel for simd schedule(static)
        for (index_t i = 0; i < n; ++i) p[i] = dinv[i] * r[i] + beta * p[i];
    }
}

void cg_norms(const mpi::Comm& comm, std::span<const double> r, std::span<const double> dinv,
              index_t chunk, double& rr, double& rz) {
    rr = dot(comm, r, r, chunk);
    if (dinv.empty()) {
        rz = rr;
        return;
    }
    const auto n = static_cast<index_t>(r.size());
    const index_t chunks = (n + chunk - 1) / chunk;
    ExactSum acc;
#pragma omp parallel
    {
        ExactSum mine;
#pragma omp for schedule(static) nowait
        for (index_t c = 0; c < chunks; ++c) {
            const index_t lo = c * chunk, hi = std::min(n, lo + chunk);
            mine.add(chunk_weighted_squares(r.data() + lo, dinv.data() + lo, hi - lo));
        }
#pragma omp critical(tessera_linalg_cg_norms)
        acc.add(mine);
    }
    acc.allreduce(comm);
    rz = acc.round();
}

void cg_dots(const mpi::Comm& comm, std::span<const double> r, std::span<const double> z, index_t chunk,
             double& rr, double& rz) {
    std::array<ExactSum, 2> acc;
    accumulate_dot(acc[0], r, r, chunk);
    accumulate_dot(acc[1], r, z, chunk);
    ExactSum::allreduce(comm, std::span<ExactSum>(acc));
    rr = acc[0].round();
    rz = acc[1].round();
}

void precondition(const std::function<void(std::span<const double>, std::span<double>)>& m,
                  std::span<const double> r, std::span<double> z) {
    ScopedTimer t("linalg.cg.precondition");
    m(r, z);
}

std::vector<double> inverse_diagonal(const mpi::Comm& comm, std::span<const double> diag, const char* who) {
    std::vector<double> dinv(diag.size());
    bool positive = true;
    for (std::size_t i = 0; i < diag.size(); ++i) {
        positive = positive && diag[i] > 0.0;
        dinv[i] = 1.0 / diag[i];
    }
    TESSERA_CHECK_ALL(comm, positive,
                      who << ": the Jacobi preconditioner needs a positive diagonal (the operator is "
                      "not positive definite)");
    return dinv;
}

void throw_not_spd(double pap, int iteration) {
    std::ostringstream os;
    os << "cg: negative curvature p^T A p = " << pap << " at iteration " << iteration
       << ": the operator is not symmetric positive definite";
    // Every rank holds the same reduced p^T A p, so every rank throws here together.
    throw CollectiveError(os.str(), 0, 2);
}

}  // namespace tessera::linalg::detail
