// A watchdog for long runs: ends the job when it stops making progress (a hang), instead of
// letting it sit idle until the batch system's time limit.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "tessera/core/types.hpp"

namespace tessera::run {

/// Local (one per rank; no MPI). A background thread that, if kick() has not been called for
/// `seconds`, prints one line to stderr, `[rank r] fatal: watchdog: no progress for S s
/// (last: <what> P); ending the job`, and ends the process with exit code 1 without
/// unwinding (a hung rank cannot be unwound); mpirun then ends every other rank. Every rank
/// that is stuck reports, so the lines tell which ranks stopped where. seconds <= 0 disables
/// it (no thread). Kicking is one relaxed atomic store: cheap enough for every step.
class Watchdog {
public:
    /// `rank` names this process in the message (the caller's communicator rank).
    Watchdog(double seconds, int rank, std::string what = "step");
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;
    /// Stops the thread (it never fires after the destructor starts).
    ~Watchdog();

    /// Local: records progress (e.g. the step just completed) and restarts the countdown.
    void kick(gindex_t progress) noexcept;
    bool enabled() const noexcept { return seconds_ > 0; }

private:
    void watch();
    double seconds_;
    int rank_;
    std::string what_;
    std::atomic<gindex_t> progress_{0};
    std::atomic<long long> last_kick_ns_{0};
    std::mutex mutex_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace tessera::run
