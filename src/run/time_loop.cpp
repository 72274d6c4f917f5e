// The time-loop controller: one agreement per step boundary decides checkpoint, snapshot, stop.
#include "tessera/run/time_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "tessera/core/error.hpp"
#include "tessera/core/log.hpp"
#include "tessera/core/timer.hpp"
#include "tessera/core/version.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/run/progress.hpp"
#include "tessera/run/signals.hpp"
#include "tessera/run/watchdog.hpp"

namespace tessera::run {

namespace fs = std::filesystem;
constexpr gindex_t kNever = std::numeric_limits<gindex_t>::max();

TimeLoop::TimeLoop(const mpi::Comm& comm, LoopSchedule schedule, Simulation simulation, fs::path checkpoint_dir)
    : comm_(&comm), schedule_(std::move(schedule)), sim_(std::move(simulation)), dir_(std::move(checkpoint_dir)) {
    const auto& s = schedule_;
    TESSERA_CHECK(s.steps >= 0 && s.checkpoint_every >= 0 && s.snapshot_every >= 0,
                  "TimeLoop: steps " << s.steps << ", checkpoint_every " << s.checkpoint_every << " and snapshot_every "
                                     << s.snapshot_every << " must be >= 0");
    TESSERA_CHECK(s.checkpoint_interval >= 0 && s.max_wall_time >= 0 && s.watchdog >= 0 && s.snapshot_period >= 0,
                  "TimeLoop: checkpoint_interval, max_wall_time, watchdog and snapshot_period must be >= 0");
    TESSERA_CHECK(s.keep_checkpoints >= 1, "TimeLoop: keep_checkpoints = " << s.keep_checkpoints << " must be >= 1");
    TESSERA_CHECK(s.snapshot_period == 0 || s.dt > 0, "TimeLoop: snapshot_period needs dt > 0");
    if (schedule_.clock_start < 0) schedule_.clock_start = MPI_Wtime();
    // Installed at once: a stop request that arrives during set-up is honoured at the first step.
    if (schedule_.catch_signals) signals_ = std::make_unique<StopSignals>();
    if (const char* hook = std::getenv("TESSERA_TEST_HANG_AFTER_STEP")) hang_after_ = std::atoll(hook);
}

TimeLoop::~TimeLoop() = default;

bool TimeLoop::restart(const std::string& from) {
    if (from.empty()) return false;
    RestartRequest request;
    request.from = from;
    request.directory = dir_;
    request.app = sim_.app;
    request.keys = sim_.keys;
    request.max_step = schedule_.steps;
    TESSERA_CHECK_ALL(*comm_, static_cast<bool>(sim_.load), "TimeLoop: restart needs Simulation::load");
    auto search = find_restart(*comm_, request, sim_.load);
    rejected_ = std::move(search.rejected);
    if (!search.found) return false;
    restart_ = std::move(search.found);
    step_ = start_step_ = restart_->meta.step;
    log::info("restarting from ", restart_->path.string(), " at step ", step_, " (written by tessera ",
              restart_->meta.version, ")");
    return true;
}

void TimeLoop::prepare() {
    collective_call(comm_[0], [&] {
        if (comm_->rank() != 0) return;
        std::error_code ec;
        fs::create_directories(dir_, ec);
        if (ec) throw std::runtime_error("checkpoint folder " + dir_.string() + ": cannot create: " + ec.message());
        try {
            io::write_file_atomically(dir_ / ".tessera-write-test", "");
        } catch (const std::exception& e) {
            throw std::runtime_error("checkpoint folder " + dir_.string() + ": not writable: " + e.what());
        }
        fs::remove(dir_ / ".tessera-write-test", ec);
        for (const auto& entry : fs::directory_iterator(dir_, ec)) {
            if (io::is_atomic_temporary(entry.path())) {
                log::warn("removing ", entry.path().string(), ", left by an interrupted checkpoint write");
                fs::remove(entry.path(), ec);
            }
        }
    });  // exit 2: a folder the run cannot use is bad input, found before any computing
    set_aside(*comm_, rejected_);
    rejected_.clear();
}

gindex_t TimeLoop::next_time_snapshot(gindex_t after) const {
    if (schedule_.snapshot_period <= 0) return kNever;
    const double per = schedule_.snapshot_period / schedule_.dt;  // steps per period, not integral
    if (per <= 1.0) return after + 1;                               // no longer than a step: every step
    auto first_at = [&](gindex_t k) { return std::ceil(static_cast<double>(k) * per - 1e-9); };
    gindex_t k = static_cast<gindex_t>(std::floor(static_cast<double>(after) / per)) + 1;
    while (first_at(k) <= static_cast<double>(after)) ++k;  // at most twice: per > 1
    const double at = first_at(k);
    return at > static_cast<double>(schedule_.steps) ? kNever : static_cast<gindex_t>(at);
}

void TimeLoop::begin() {
    if (begun_) return;
    begun_ = true;
    time_snapshot_ = next_time_snapshot(step_);
    const bool snapshots = schedule_.snapshot_every > 0 || schedule_.snapshot_period > 0;
    if (snapshots && sim_.snapshot && !restart_) sim_.snapshot(step_);  // the initial state
    watchdog_ = std::make_unique<Watchdog>(schedule_.watchdog, comm_->rank(), "completed step");
    watchdog_->kick(step_);
    progress_ = std::make_unique<Progress>(sim_.app.empty() ? std::string("run") : sim_.app, schedule_.steps,
                                           schedule_.unit);
    last_checkpoint_wall_ = last_return_ = MPI_Wtime();
}

gindex_t TimeLoop::steps_until_due() const {
    gindex_t target = schedule_.steps;
    if (schedule_.checkpoint_every > 0)
        target = std::min(target, (step_ / schedule_.checkpoint_every + 1) * schedule_.checkpoint_every);
    if (schedule_.snapshot_every > 0)
        target = std::min(target, (step_ / schedule_.snapshot_every + 1) * schedule_.snapshot_every);
    target = std::min(target, begun_ ? time_snapshot_ : next_time_snapshot(step_));
    return std::max<gindex_t>(1, target - step_);
}

void TimeLoop::kick() noexcept {
    if (watchdog_) watchdog_->kick(step_);
}

bool TimeLoop::advance(gindex_t n) {
    begin();
    const double chunk_seconds = MPI_Wtime() - last_return_;
    step_ += n;
    watchdog_->kick(step_);
    while (hang_after_ >= 0 && step_ >= hang_after_ && comm_->rank() == comm_->size() - 1)
        std::this_thread::sleep_for(std::chrono::seconds(1));
    progress_->update(step_);
    // Stop early enough for two more chunks, twice the last checkpoint's write time (before
    // the first one: 0.1 s plus the state at a slow disk's 100 MB/s) and 1 s to shut down.
    const double now = MPI_Wtime();
    const double write_estimate = last_write_seconds_ > 0 ? last_write_seconds_ : 0.1 + sim_.state_bytes / 1e8;
    const bool time_up = schedule_.max_wall_time > 0 &&
                         now - schedule_.clock_start + 2 * chunk_seconds + 2 * write_estimate + 1.0 >=
                             schedule_.max_wall_time;
    const bool interval = schedule_.checkpoint_interval > 0 && now - last_checkpoint_wall_ >= schedule_.checkpoint_interval;
    const auto request = agree_stop(*comm_, time_up, interval);  // the one agreement
    if (request.stop()) {
        stop_reason_ = request.signal ? signal_name(request.signal) : schedule_.wall_time_name;
        log::info(stop_reason_, ": checkpointing at step ", step_, " of ", schedule_.steps, " and stopping");
    }
    const bool by_time = step_ == time_snapshot_;
    if (by_time) time_snapshot_ = next_time_snapshot(step_);
    if (sim_.snapshot && ((schedule_.snapshot_every > 0 && step_ % schedule_.snapshot_every == 0) || by_time))
        sim_.snapshot(step_);
    const bool due = (schedule_.checkpoint_every > 0 && step_ % schedule_.checkpoint_every == 0) ||
                     request.checkpoint || request.stop();
    if (due && sim_.save) checkpoint();
    if (request.stop()) stopped_ = true;
    if (!running()) progress_->finish();
    last_return_ = MPI_Wtime();
    return running();
}

void TimeLoop::run(const std::function<void(gindex_t n)>& step, gindex_t max_chunk) {
    begin();
    while (running()) {
        const gindex_t n = std::min(std::max<gindex_t>(1, max_chunk), steps_until_due());
        step(n);
        advance(n);
    }
}

void TimeLoop::checkpoint() {
    TESSERA_CHECK_ALL(*comm_, static_cast<bool>(sim_.save), "TimeLoop: checkpoint needs Simulation::save");
    io::CheckpointMeta meta;
    meta.step = step_;
    meta.dt = schedule_.dt;
    meta.time = static_cast<double>(step_) * schedule_.dt;
    meta.app = sim_.app;
    meta.config = sim_.config;
    meta.keys = sim_.keys.dump();
    meta.version = version();
    io::CheckpointData data;
    sim_.save(data, meta);
    const auto stats = io::write_checkpoint(*comm_, dir_, data, meta, schedule_.keep_checkpoints);
    const double seconds = stats.write_seconds + stats.sync_seconds;
    last_checkpoint_ = io::checkpoint_path(dir_, step_);
    ++checkpoints_;
    checkpoint_seconds_ += seconds;
    checkpoint_bytes_ += static_cast<double>(stats.bytes);
    last_write_seconds_ = seconds;
    last_checkpoint_wall_ = MPI_Wtime();
    if (watchdog_) watchdog_->kick(step_);
    log::info("checkpoint ", last_checkpoint_.string(), " at step ", step_, ": ", static_cast<double>(stats.bytes) / 1e6,
              " MB in ", seconds, " s (write ", stats.write_seconds, " s, fsync ", stats.sync_seconds, " s)");
}

void TimeLoop::add_to_summary(nlohmann::json& summary) const {
    summary["completed"] = !stopped_;
    summary["step"] = step_;
    summary["steps"] = schedule_.steps;
    if (!stop_reason_.empty()) summary["stop_reason"] = stop_reason_;
    if (restart_) summary["restarted_from"] = {{"path", restart_->path.string()}, {"step", restart_->meta.step}};
    if (checkpoints_ > 0)
        summary["checkpoints"] = {{"count", checkpoints_},
                                  {"last", last_checkpoint_.string()},
                                  {"seconds", checkpoint_seconds_},
                                  {"bytes_per_s", checkpoint_seconds_ > 0 ? checkpoint_bytes_ / checkpoint_seconds_ : 0.0}};
}

void LongRunOptions::add_to(AppOptions& options, const std::string& unit, bool snapshots) {
    auto& c = options.cli();
    c.add_option(option_flag("checkpoint-every"), checkpoint_every,
                 "Write a checkpoint every N " + unit + " into OUTPUT/checkpoints (0: never)")
        ->check(CLI::NonNegativeNumber);
    c.add_option(option_flag("checkpoint-interval"), checkpoint_interval,
                 "Write a checkpoint every SECONDS of wall time (0: never)")
        ->check(CLI::NonNegativeNumber);
    c.add_option(option_flag("keep-checkpoints"), keep_checkpoints, "Checkpoints kept (the newest K)")
        ->check(CLI::PositiveNumber);
    c.add_option(option_flag("restart"), restart,
                 "auto: continue from the newest checkpoint in OUTPUT/checkpoints that verifies (from the "
                 "start if there is none); PATH: from that checkpoint");
    c.add_option(option_flag("max-wall-time"), max_wall_time,
                 "Checkpoint and stop (exit 0, completed false) before SECONDS of wall time")
        ->check(CLI::NonNegativeNumber);
    c.add_option(option_flag("watchdog"), watchdog,
                 "End the job (exit 1, one line per stuck rank) when a rank completes no " + unit.substr(0, unit.size() - 1) +
                     " or checkpoint for SECONDS (0: off); set it above the longest one")
        ->check(CLI::NonNegativeNumber);
    if (!snapshots) return;
    c.add_option(option_flag("snapshot-every"), snapshot_every,
                 "Add the field to OUTPUT/snapshots.h5 (+ snapshots.xdmf) every N " + unit + " (0: never)")
        ->check(CLI::NonNegativeNumber);
    c.add_option(option_flag("snapshot-time"), snapshot_time,
                 "Also snapshot at the first step on or after every multiple of T simulated seconds (0: never)")
        ->check(CLI::NonNegativeNumber);
}

void LongRunOptions::check(const mpi::Comm& comm, bool benchmark) const {
    // CLI11's number checks let nan and inf through.
    const std::pair<const char*, double> numbers[] = {{"checkpoint-interval", checkpoint_interval},
                                                      {"max-wall-time", max_wall_time},
                                                      {"watchdog", watchdog},
                                                      {"snapshot-time", snapshot_time}};
    for (const auto& [key, v] : numbers)
        TESSERA_CHECK_ALL(comm, std::isfinite(v), option_flag(key) << ": must be a finite number, got " << v);
    const bool any = restarting() || checkpoint_every > 0 || checkpoint_interval > 0 || snapshot_every > 0 ||
                     snapshot_time > 0 || max_wall_time > 0;
    TESSERA_CHECK_ALL(comm, !benchmark || !any,
                      option_flag("benchmark") << " runs without " << option_flag("restart") << ", "
                                               << option_flag("checkpoint") << "-*, " << option_flag("snapshot")
                                               << "-* and " << option_flag("max-wall-time"));
}

LoopSchedule LongRunOptions::schedule(gindex_t steps, double dt, double clock_start) const {
    LoopSchedule s;
    s.steps = steps;
    s.checkpoint_every = checkpoint_every;
    s.checkpoint_interval = checkpoint_interval;
    s.keep_checkpoints = keep_checkpoints;
    s.max_wall_time = max_wall_time;
    s.watchdog = watchdog;
    s.snapshot_every = snapshot_every;
    s.snapshot_period = snapshot_time;
    s.dt = dt;
    s.clock_start = clock_start;
    s.wall_time_name = option_flag("max-wall-time");
    return s;
}

}  // namespace tessera::run
