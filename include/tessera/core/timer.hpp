// Region timers: ScopedTimer("label") accumulates inclusive wall time and call counts per
// label; timer_report() combines them over ranks as min/avg/max.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/mpi.hpp"

namespace tessera {

/// Times a region from construction to destruction under `label` (e.g. "stencil.heat").
/// Regions nest: a timer started inside another is reported under it (the table indents it).
/// Local and cheap (one clock read each way and a lookup). Only the thread outside any
/// OpenMP parallel region records; inside a parallel region a ScopedTimer does nothing.
/// While tracing is on (trace.hpp) the begin and end also go to the trace, with the same
/// clock readings; while it is off that costs one branch.
class ScopedTimer {
public:
    explicit ScopedTimer(std::string_view label);
    ~ScopedTimer();
    ScopedTimer(const ScopedTimer&) = delete;
    ScopedTimer& operator=(const ScopedTimer&) = delete;

private:
    int slot_ = -1;
    double start_ = 0.0;
    std::int32_t trace_id_ = -1;  // >= 0 when the begin went to the trace
};

/// One timed region combined over the ranks of a communicator.
struct TimerStats {
    std::string label;
    int depth = 0;                      ///< nesting depth where the region was first seen
    double min = 0, avg = 0, max = 0;   ///< inclusive seconds over ranks
    long long calls_min = 0, calls_max = 0;  ///< calls over ranks
};

/// Collective over `comm`: every label timed on any rank (a rank that never timed a label
/// counts 0 s and 0 calls), in first-seen order, with min/avg/max over ranks.
std::vector<TimerStats> timer_report(const mpi::Comm& comm);
/// Local: the report as an aligned text table.
std::string format_timer_table(const std::vector<TimerStats>& stats);
/// Local: forgets every recorded time (e.g. after a warm-up), and the trace's events with
/// them (trace::clear()). No timer may be running.
void reset_timers();

}  // namespace tessera
