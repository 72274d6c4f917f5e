// Region timers: ScopedTimer("label") accumulates inclusive wall time and call counts per
// label; timer_report() combines them over ranks as min/avg/max.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::mpi {
class Comm;  // mpi.hpp, which includes this header: its collectives time their waits
}

namespace tessera {

/// When a ScopedTimer records: always, under its label; or (`nested`) only inside another
/// running region, and separately for each calling region, under "<caller>/<label>" (the
/// table shows it by its label, indented under the caller). The library's own MPI waits are
/// `nested`: a wait is reported where it happened, and the waits of setup code and of the
/// reports themselves (timer_report's reductions) stay out of the reports.
enum class TimerScope { always, nested };

/// Times a region from construction to destruction under `label` (e.g. "stencil.heat").
/// Regions nest: a timer started inside another is reported under it (the table indents it).
/// Local and cheap (one clock read each way and a lookup). Only the thread outside any
/// OpenMP parallel region records; inside a parallel region a ScopedTimer does nothing.
/// While tracing is on (trace.hpp) the begin and end also go to the trace, with the same
/// clock readings; while it is off that costs one branch.
///
/// Labels whose last component is "wait" mark time blocked in MPI. The library times its own
/// waits this way: grid.halo.wait (always, inside grid.halo.finish), and per caller
/// (TimerScope::nested) "<caller>/allreduce.wait" (every mpi::allreduce and the completion of
/// non-blocking reductions such as ExactSumReduction::finish), and inside io.checkpoint.write
/// "io.checkpoint.write/token.wait" (a rank waiting for its turn to write) and
/// "io.checkpoint.write/agree.wait" (ranks waiting for the slowest before agreeing on the
/// outcome).
class ScopedTimer {
public:
    explicit ScopedTimer(std::string_view label, TimerScope scope = TimerScope::always);
    ~ScopedTimer();
    ScopedTimer(const ScopedTimer&) = delete;
    ScopedTimer& operator=(const ScopedTimer&) = delete;

private:
    int slot_ = -1;
    int parent_ = -1;  // the region running when this one started (messages go to the innermost)
    double start_ = 0.0;
    std::int32_t trace_id_ = -1;  // >= 0 when the begin went to the trace
};

/// The `peer` of count_message() for a rank's part of a collective (allreduce, broadcast).
inline constexpr int collective_peer = -1;

/// Local: counts one message of `bytes` bytes that this rank sends to rank `peer` (or its
/// contribution to a collective: collective_peer) under the innermost ScopedTimer region
/// running on this thread. Library code calls it where it sends, before opening its own timer,
/// so traffic is reported under the caller's region (e.g. stencil.heat). Outside any region, or
/// inside an OpenMP parallel region, nothing is counted.
void count_message(int peer, std::size_t bytes);

/// Messages sent by one rank to one peer under one region.
struct TrafficLink {
    int rank = 0;
    int peer = collective_peer;
    long long messages = 0, bytes = 0;
};

/// One timed region combined over the ranks of a communicator.
struct TimerStats {
    std::string label;
    int depth = 0;                      ///< nesting depth where the region was first seen
    double min = 0, avg = 0, max = 0;   ///< inclusive seconds over ranks
    long long calls_min = 0, calls_max = 0;  ///< calls over ranks
    long long messages = 0, bytes = 0;  ///< sent under this region, summed over ranks
    long long bytes_rank_max = 0;       ///< the most bytes one rank sent under this region
    std::vector<TrafficLink> links;     ///< per (rank, peer); filled on rank 0 only

    /// The load-imbalance factor max / avg over ranks (1 when perfectly balanced or untimed).
    double imbalance() const noexcept { return avg > 0 ? max / avg : 1.0; }
};

/// Collective over `comm`: every label timed on any rank (a rank that never timed a label
/// counts 0 s and 0 calls), in first-seen order, with min/avg/max over ranks and the messages
/// counted under it (count_message; per-link detail on rank 0).
std::vector<TimerStats> timer_report(const mpi::Comm& comm);
/// Local: the report as an aligned text table: min/avg/max, calls and the imbalance factor per
/// region; then, when any were counted, the messages and bytes sent per region; and, when both
/// regions ran, the share of grid.halo.finish spent waiting in grid.halo.wait.
std::string format_timer_table(const std::vector<TimerStats>& stats);
/// Local: the fraction of `finish` that was spent in its nested wait region `wait` (average
/// seconds over ranks), or -1 when either is missing or `finish` took no time.
double wait_fraction(const std::vector<TimerStats>& stats, std::string_view finish = "grid.halo.finish",
                     std::string_view wait = "grid.halo.wait");
/// Local: forgets every recorded time (e.g. after a warm-up), and the trace's events with
/// them (trace::clear()). No timer may be running.
void reset_timers();

}  // namespace tessera
