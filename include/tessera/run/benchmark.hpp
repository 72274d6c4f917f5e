// Benchmark repetitions: time a kernel several times, each repetition followed by a triad, so
// every rate is divided by the memory bandwidth of the same moment, and take medians.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "tessera/core/mpi.hpp"
#include "tessera/run/bandwidth.hpp"

namespace tessera::run {

/// Local: the median of `values` (the mean of the two middle ones for an even count; 0 for
/// none). Every app quotes medians through this one definition.
double median(std::vector<double> values);

/// What repeat() measured: seconds per repetition (max over ranks) and, when a triad probe ran,
/// the triad bandwidth in bytes/s right after each repetition.
struct Repetitions {
    std::vector<double> seconds;
    std::vector<double> triads;   ///< empty without a probe

    double median_seconds() const { return median(seconds); }
    double median_triad() const { return median(triads); }
    /// Median over repetitions of (bytes / seconds[r]) / triads[r]: the fraction of the
    /// same-moment bandwidth that `bytes` moved per repetition represent. 0 without a probe.
    double median_ratio(double bytes) const;
};

/// Collective over `comm`: runs `setup()` (untimed: e.g. resetting the initial state), then
/// times `body()` from a barrier to the slowest rank's end, `count` times; with `with_triad`,
/// measures a triad (TriadProbe, 3 passes) after each repetition. Each repetition's time is
/// the slowest rank's, so the same numbers come back on every rank.
Repetitions repeat(const mpi::Comm& comm, int count, const std::function<void()>& setup,
                   const std::function<void()>& body, bool with_triad = true);

}  // namespace tessera::run
