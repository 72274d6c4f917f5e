// Machine limits measured in the same run as a kernel, so benchmarks can quote a ratio.
#pragma once

#include <cstddef>

#include "tessera/core/mpi.hpp"

namespace tessera {

/// Collective over `comm`: every rank runs a STREAM-style triad a[i] = b[i] + s*c[i] with its
/// OpenMP threads on `elements` doubles per array (far beyond the caches), all ranks at once,
/// and returns the aggregate memory bandwidth in bytes/s, median of `repetitions`, counting
/// the real traffic of 32 bytes per element (two reads, the write, and its write-allocate).
double triad_bandwidth(const mpi::Comm& comm, std::size_t elements = std::size_t{1} << 25,
                       int repetitions = 7);

}  // namespace tessera
