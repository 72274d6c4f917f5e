// Machine limits measured in the same run as a kernel, so benchmarks can quote a ratio.
#pragma once

#include <cstddef>
#include <memory>

#include "tessera/core/memory.hpp"
#include "tessera/core/mpi.hpp"

namespace tessera::run {

/// A STREAM-style triad a[i] = b[i] + s*c[i], run by every rank of `comm` with its OpenMP
/// threads, all ranks at once, on arrays far beyond the caches. The arrays are allocated and
/// first-touched once, so a benchmark can measure the bandwidth right after each timed
/// repetition of its kernel and divide rate by limit repetition by repetition: on a shared
/// machine the bandwidth available drifts from one second to the next, and a limit measured
/// apart from the kernel it bounds says little about that kernel's ratio.
class TriadProbe {
public:
    /// Collective over `comm` (kept by reference): allocates 3 x `elements` doubles per rank.
    explicit TriadProbe(const mpi::Comm& comm, std::size_t elements = std::size_t{1} << 25);

    /// Collective: runs `passes` triads and returns the aggregate memory bandwidth of all ranks
    /// in bytes/s, the median over the passes, each pass timed from a barrier to the slowest
    /// rank's end, counting the real traffic of 32 bytes per element (two reads, the write, and
    /// its write-allocate).
    double measure(int passes = 3);

private:
    const mpi::Comm* comm_;
    std::size_t n_;
    StreamedArray<double> a_, b_, c_;  // allocated like Field storage, so the bound is fair
};

/// Collective: TriadProbe(comm, elements).measure(repetitions).
double triad_bandwidth(const mpi::Comm& comm, std::size_t elements = std::size_t{1} << 25,
                       int repetitions = 7);

}  // namespace tessera::run
