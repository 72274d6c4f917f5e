// Stop signals as a flag: the handler does one atomic store (async-signal-safe), nothing else.
#include "tessera/run/signals.hpp"

#include <array>
#include <atomic>
#include <csignal>

#include "tessera/core/error.hpp"

namespace tessera::run {

namespace {

std::atomic<int> g_pending{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal flag must be lock-free");

constexpr std::array<int, 3> kSignals{SIGTERM, SIGUSR1, SIGINT};
std::array<struct sigaction, 3> g_previous{};

extern "C" void on_stop_signal(int sig) {
    // Ctrl-C twice: the user really means it.
    if (sig == SIGINT && g_pending.load(std::memory_order_relaxed) == SIGINT) {
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
        return;
    }
    g_pending.store(sig, std::memory_order_relaxed);
}

}  // namespace

StopSignals::StopSignals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;  // interrupted system calls (I/O, MPI progress) resume
    for (std::size_t n = 0; n < kSignals.size(); ++n)
        TESSERA_CHECK(sigaction(kSignals[n], &sa, &g_previous[n]) == 0,
                      "cannot install a handler for " << signal_name(kSignals[n]));
}

StopSignals::~StopSignals() {
    for (std::size_t n = 0; n < kSignals.size(); ++n) sigaction(kSignals[n], &g_previous[n], nullptr);
}

int StopSignals::pending() noexcept { return g_pending.load(std::memory_order_relaxed); }
void StopSignals::clear() noexcept { g_pending.store(0, std::memory_order_relaxed); }

StopRequest agree_stop(const mpi::Comm& comm, bool time_limit, bool checkpoint) {
    std::array<int, 3> v{StopSignals::pending(), time_limit ? 1 : 0, checkpoint ? 1 : 0};
    mpi::allreduce(comm, std::span<int>(v), MPI_MAX);
    return {v[0], v[1] != 0, v[2] != 0};
}

const char* signal_name(int signal) noexcept {
    switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    case SIGINT: return "SIGINT";
    default: return "a signal";
    }
}

}  // namespace tessera::run
