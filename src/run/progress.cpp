// Rate-limited progress lines with an ETA.
#include "tessera/run/progress.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "tessera/core/error.hpp"
#include "tessera/core/log.hpp"

namespace tessera::run {

namespace {
std::atomic<ProgressMode> g_mode{ProgressMode::automatic};

double now_seconds() {
    using clock = std::chrono::steady_clock;
    return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

std::string hms(double seconds) {
    if (!(seconds >= 0) || seconds > 1e8) return "?";
    const long s = static_cast<long>(seconds + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    return buf;
}
}  // namespace

void set_progress_mode(ProgressMode mode) noexcept { g_mode.store(mode); }

Progress::Progress(std::string label, gindex_t total, std::string unit, double interval_seconds)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), interval_(interval_seconds),
      start_(now_seconds()), last_print_(start_) {
    tty_ = isatty(STDOUT_FILENO) != 0;
    const auto mode = g_mode.load();
    enabled_ = world_rank() <= 0 && log::level() != log::Level::quiet &&
               (mode == ProgressMode::always || (mode == ProgressMode::automatic && tty_));
}

Progress::~Progress() { finish(); }

void Progress::update(gindex_t done) {
    last_done_ = done;
    if (!enabled_ || finished_) return;
    const double now = now_seconds();
    if (now - last_print_ < interval_) return;
    last_print_ = now;
    print(done, now, false);
}

void Progress::finish() {
    if (finished_) return;
    finished_ = true;
    if (enabled_ && printed_) print(last_done_, now_seconds(), true);
}

void Progress::print(gindex_t done, double now, bool final) {
    const double elapsed = now - start_;
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    const double pct = total_ > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : -1.0;
    char line[256];
    std::snprintf(line, sizeof line, "%s: %3.0f%% (%lld/%lld %s), %.3g %s/s, %s %s", label_.c_str(),
                  pct, static_cast<long long>(done), static_cast<long long>(total_), unit_.c_str(),
                  rate, unit_.c_str(), final ? "elapsed" : "ETA",
                  hms(final ? elapsed : eta).c_str());
    if (tty_)
        std::printf("\r%-79s%s", line, final ? "\n" : "");
    else
        std::printf("%s\n", line);
    std::fflush(stdout);
    printed_ = true;
}

}  // namespace tessera::run
