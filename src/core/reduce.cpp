// Chunk kernels and reproducible reductions. The chunk kernels live here, compiled once, so
// that every caller runs the same instruction sequence (inlined copies could be contracted or
// vectorized differently and differ in the last bit).
#include "tessera/core/reduce.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>

namespace tessera {

double chunk_dot(const double* x, const double* y, index_t n) noexcept {
    double s[8] = {};
    index_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) s[k] += x[i + k] * y[i + k];
    for (int k = 0; i < n; ++i, ++k) s[k] += x[i] * y[i];
    return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

double chunk_sum_squares(const double* x, index_t n) noexcept { return chunk_dot(x, x, n); }

void accumulate_dot(ExactSum& acc, std::span<const double> x, std::span<const double> y,
                    index_t chunk) {
    TESSERA_CHECK(x.size() == y.size(), "dot: local lengths differ (" << x.size() << " vs "
                                                                       << y.size() << ")");
    TESSERA_CHECK(chunk >= 1, "dot: chunk = " << chunk << " must be positive");
    const auto n = static_cast<index_t>(x.size());
    const index_t chunks = (n + chunk - 1) / chunk;
#pragma omp parallel
    {
        ExactSum mine;
#pragma omp for schedule(static) nowait
        for (index_t c = 0; c < chunks; ++c) {
            const index_t lo = c * chunk;
            const index_t len = std::min(chunk, n - lo);
            mine.add(chunk_dot(x.data() + lo, y.data() + lo, len));
        }
#pragma omp critical(tessera_core_accumulate)
        acc.add(mine);  // integer limb sums: the merge order cannot matter
    }
}

double dot(const mpi::Comm& comm, std::span<const double> x, std::span<const double> y,
           index_t chunk) {
    ExactSum acc;
    accumulate_dot(acc, x, y, chunk);
    acc.allreduce(comm);
    return acc.round();
}

double norm2(const mpi::Comm& comm, std::span<const double> x, index_t chunk) {
    return std::sqrt(dot(comm, x, x, chunk));
}

}  // namespace tessera
