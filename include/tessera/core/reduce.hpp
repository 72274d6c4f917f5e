// Reproducible reductions over distributed vectors: fixed-order sums of fixed, global chunks,
// combined exactly with ExactSum, so results are bitwise the same for any layout and threads.
//
// The contract that makes them reproducible: a rank's local vector is a concatenation of
// whole chunks of `chunk` consecutive global entries (only a chunk that is globally short,
// such as the last one, may be shorter), and the chunks are the same on every layout (for a
// block-cyclic vector, chunk = the block size; for a grid vector split between whole x-lines,
// chunk = the line length). Each chunk is summed by one compiled kernel in a fixed order,
// and the chunk sums are added exactly, so neither the chunk-to-rank nor the chunk-to-thread
// assignment can change a bit. Chunks should be long enough (>= 32) to hide the exact add.
#pragma once

#include <span>

#include "tessera/core/exact_sum.hpp"
#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"

namespace tessera {

/// Local: sum of x[i] * y[i] for i < n, in a fixed order (eight interleaved partial sums
/// combined pairwise) that does not depend on where the data sit in memory.
double chunk_dot(const double* x, const double* y, index_t n) noexcept;
/// Local: sum of x[i]^2 for i < n, in the same fixed order as chunk_dot.
double chunk_sum_squares(const double* x, index_t n) noexcept;

/// Local (OpenMP inside): adds the chunk sums of x . y exactly to `acc`.
void accumulate_dot(ExactSum& acc, std::span<const double> x, std::span<const double> y,
                    index_t chunk);

/// Collective over `comm`: the dot product of the distributed vectors x and y (local parts
/// of equal length), reproducible under the chunk contract above.
double dot(const mpi::Comm& comm, std::span<const double> x, std::span<const double> y,
           index_t chunk);
/// Collective over `comm`: the 2-norm of the distributed vector x, reproducible.
double norm2(const mpi::Comm& comm, std::span<const double> x, index_t chunk);

}  // namespace tessera
