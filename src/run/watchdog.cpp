// Watchdog: a thread that ends a process whose run has stopped making progress.
#include "tessera/run/watchdog.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace tessera::run {

namespace {
long long now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
}  // namespace

Watchdog::Watchdog(double seconds, int rank, std::string what)
    : seconds_(seconds), rank_(rank), what_(std::move(what)) {
    last_kick_ns_.store(now_ns(), std::memory_order_relaxed);
    if (enabled()) thread_ = std::thread([this] { watch(); });
}

Watchdog::~Watchdog() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
    thread_.join();
}

void Watchdog::kick(gindex_t progress) noexcept {
    progress_.store(progress, std::memory_order_relaxed);
    last_kick_ns_.store(now_ns(), std::memory_order_relaxed);
}

void Watchdog::watch() {
    const auto limit_ns = static_cast<long long>(seconds_ * 1e9);
    // Check four times per period: the process ends within 1.25 periods of its last progress.
    const auto poll = std::chrono::nanoseconds(std::max(limit_ns / 4, 1000000LL));
    std::unique_lock lock(mutex_);
    while (!stop_cv_.wait_for(lock, poll, [this] { return stopping_; })) {
        const long long idle = now_ns() - last_kick_ns_.load(std::memory_order_relaxed);
        if (idle < limit_ns) continue;
        std::fprintf(stderr, "[rank %d] fatal: watchdog: no progress for %.3g s (last: %s %lld); ending the job\n",
                     rank_, static_cast<double>(idle) * 1e-9, what_.c_str(),
                     static_cast<long long>(progress_.load(std::memory_order_relaxed)));
        std::fflush(stderr);
        std::_Exit(1);  // the main thread may be blocked in MPI: no unwinding, no finalize
    }
}

}  // namespace tessera::run
