// Progress reporting for long runs: percentage, rate and ETA on rank 0, rate-limited.
#pragma once

#include <string>

#include "tessera/core/types.hpp"

namespace tessera::run {

/// When progress lines are printed: only on a terminal (default), always, or never.
enum class ProgressMode { automatic, always, never };

/// Local: sets the mode for this process (apps: --progress forces it, --quiet disables it).
void set_progress_mode(ProgressMode mode) noexcept;

/// Reports `done` of `total` units on rank 0, at most once per `interval_seconds`, as
/// `label: 42% (420/1000 steps), 1.9e+03 steps/s, ETA 0:00:03`. Local and cheap to call
/// every step. On a terminal the line is redrawn in place; otherwise full lines are printed.
class Progress {
public:
    Progress(std::string label, gindex_t total, std::string unit = "steps",
             double interval_seconds = 2.0);
    /// Local: records progress; prints if the interval has passed.
    void update(gindex_t done);
    /// Local: prints the final line (if anything was printed before) and stops reporting.
    void finish();
    ~Progress();

private:
    void print(gindex_t done, double now, bool final);
    std::string label_, unit_;
    gindex_t total_;
    double interval_, start_, last_print_;
    bool enabled_, tty_, printed_ = false, finished_ = false;
    gindex_t last_done_ = 0;
};

}  // namespace tessera::run
