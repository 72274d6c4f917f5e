// The local kernels of a pipelined CG iteration. Loops over whole chunks, so each fused dot
// product is a sum of fixed chunk sums (reduce.hpp) whatever the thread count.
#include "tessera/linalg/pipecg.hpp"

#include <algorithm>
#include <sstream>

namespace tessera::linalg::detail {

PipeCgVectors::PipeCgVectors(std::size_t size, bool preconditioned) : preconditioned_(preconditioned) {
    const std::size_t stored = preconditioned ? 9 : 6;
    for (std::size_t i = 0; i < stored; ++i) store_[i].assign(size, 0.0);
    r = store_[0];
    w = store_[1];
    n = store_[2];
    z = store_[3];
    s = store_[4];
    p = store_[5];
    u = preconditioned ? std::span<double>(store_[6]) : r;
    m = preconditioned ? std::span<double>(store_[7]) : w;
    q = preconditioned ? std::span<double>(store_[8]) : s;
}

namespace {
// The dots of entries [lo, hi), the same chunk_dot calls wherever they are made.
inline void chunk_dots(const PipeCgVectors& v, index_t lo, index_t hi, ExactSum* acc) noexcept {
    acc[0].add(chunk_dot(v.r.data() + lo, v.r.data() + lo, hi - lo));
    acc[1].add(chunk_dot(v.w.data() + lo, v.u.data() + lo, hi - lo));
    if (v.preconditioned()) acc[2].add(chunk_dot(v.r.data() + lo, v.u.data() + lo, hi - lo));
}

// One chunk's recurrences. Without a preconditioner u, m, q alias r, w, s: p reads u before
// r changes, and the u and q updates are the r and s ones.
template <bool Preconditioned>
inline void update_chunk(double alpha, double beta, const PipeCgVectors& v, double* x, index_t lo,
                         index_t hi) noexcept {
    double *r = v.r.data(), *u = v.u.data(), *w = v.w.data(), *m = v.m.data(), *n = v.n.data();
    double *z = v.z.data(), *q = v.q.data(), *s = v.s.data(), *p = v.p.data();
#pragma omp simd
    for (index_t i = lo; i < hi; ++i) {
        z[i] = n[i] + beta * z[i];
        s[i] = w[i] + beta * s[i];
        p[i] = u[i] + beta * p[i];
        x[i] += alpha * p[i];
        if constexpr (Preconditioned) {
            q[i] = m[i] + beta * q[i];
            u[i] -= alpha * q[i];
        }
        r[i] -= alpha * s[i];
        w[i] -= alpha * z[i];
    }
}
}  // namespace

void pipecg_dots(const PipeCgVectors& v, index_t chunk, std::span<ExactSum, 3> acc) {
    const auto size = static_cast<index_t>(v.r.size());
    const index_t chunks = (size + chunk - 1) / chunk;
#pragma omp parallel
    {
        std::array<ExactSum, 3> mine;
#pragma omp for schedule(static) nowait
        for (index_t c = 0; c < chunks; ++c) chunk_dots(v, c * chunk, std::min(size, (c + 1) * chunk), mine.data());
#pragma omp critical(tessera_linalg_pipecg_dots)
        for (int i = 0; i < 3; ++i) acc[i].add(mine[i]);
    }
}

void pipecg_update(double alpha, double beta, const PipeCgVectors& v, std::span<double> x, index_t chunk,
                   std::span<ExactSum, 3> acc) {
    ScopedTimer t("linalg.pipecg.update");
    const auto size = static_cast<index_t>(v.r.size());
    const index_t chunks = (size + chunk - 1) / chunk;
    const bool pre = v.preconditioned();
#pragma omp parallel
    {
        std::array<ExactSum, 3> mine;
#pragma omp for schedule(static) nowait
        for (index_t c = 0; c < chunks; ++c) {
            const index_t lo = c * chunk, hi = std::min(size, lo + chunk);
            if (pre) update_chunk<true>(alpha, beta, v, x.data(), lo, hi);
            else update_chunk<false>(alpha, beta, v, x.data(), lo, hi);
            chunk_dots(v, lo, hi, mine.data());  // the chunk is still in cache
        }
#pragma omp critical(tessera_linalg_pipecg_update)
        for (int i = 0; i < 3; ++i) acc[i].add(mine[i]);
    }
}

void pipecg_jacobi(std::span<const double> dinv, std::span<const double> x, std::span<double> z) {
    const auto size = static_cast<index_t>(z.size());
#pragma omp parallel for simd schedule(static)
    for (index_t i = 0; i < size; ++i) z[i] = dinv[i] * x[i];
}

void pipecg_throw_not_spd(double gamma, double denominator, int iteration) {
    std::ostringstream os;
    os << "pipecg: r^T M^-1 r = " << gamma << " and step denominator delta - beta gamma / alpha_old = "
       << denominator << " at iteration " << iteration
       << ": both must be > 0 (the operator or the preconditioner is not symmetric positive definite)";
    throw CollectiveError(os.str(), 0, 2);
}

}  // namespace tessera::linalg::detail
