// The time-loop controller: called by a simulation at every step boundary, it decides for all
// ranks at once (one agreement per call) whether a checkpoint is due (every N steps, every S
// seconds, before the wall-time limit, on SIGTERM/SIGUSR1/SIGINT), whether a snapshot is due
// (every N steps or T simulated seconds) and whether to stop; it restarts from the newest
// checkpoint that verifies, keeps the watchdog fed and reports progress.
#pragma once

#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/run/config.hpp"
#include "tessera/run/restart.hpp"

namespace tessera::run {

class Progress;
class StopSignals;
class Watchdog;

/// When a run checkpoints, snapshots and stops. Zero turns each item off.
struct LoopSchedule {
    gindex_t steps = 0;               ///< steps of the whole run
    gindex_t checkpoint_every = 0;    ///< a checkpoint every N steps
    double checkpoint_interval = 0;   ///< a checkpoint every S seconds of wall time
    int keep_checkpoints = 2;         ///< the newest K checkpoints are kept (>= 1)
    /// Checkpoint and stop early enough to finish before S seconds since `clock_start`.
    double max_wall_time = 0;
    double watchdog = 0;              ///< end the job when no step completes for S seconds
    gindex_t snapshot_every = 0;      ///< a snapshot every N steps
    /// Also a snapshot at the first step on or after every multiple of T simulated seconds
    /// (needs `dt`); a function of the step alone, so a restarted run takes the same ones.
    double snapshot_period = 0;
    double dt = 0;                    ///< simulated seconds per step
    /// MPI_Wtime() when the job started (max_wall_time counts from it); < 0: construction.
    double clock_start = -1;
    bool catch_signals = true;        ///< SIGTERM, SIGUSR1, SIGINT: checkpoint and stop
    std::string unit = "steps";       ///< what a step is called in progress lines
    /// How messages name the wall-time limit (an app passes its option, --max-wall-time).
    std::string wall_time_name = "max_wall_time";
};

/// What a simulation hands the loop: its name, what a checkpoint must match, and how to save,
/// restore and snapshot its state. Each callback is collective over the loop's communicator.
struct Simulation {
    std::string app;                      ///< stored in checkpoints; a restart accepts only its own
    nlohmann::json keys = nlohmann::json::object();  ///< a restart needs equal values (RestartRequest)
    std::string config;                   ///< stored as the checkpoint's configuration (JSON text)
    /// Adds the state after loop.step() steps: fields to `data`, integers and doubles to
    /// `meta.counters` / `meta.values` (step, time, dt, app, keys and version are filled in).
    std::function<void(io::CheckpointData& data, io::CheckpointMeta& meta)> save;
    /// Restores the state from a checkpoint that matches (meta() gives its counters and values).
    std::function<void(io::CheckpointReader& reader)> load;
    /// Writes a snapshot of the state after `step` steps (optional).
    std::function<void(gindex_t step)> snapshot;
    double state_bytes = 0;               ///< checkpoint size, for the first wall-time estimate
};

/// One per run. Typical use (collective calls on every rank in the same order):
///
///     run::TimeLoop loop(comm, schedule, sim, out / "checkpoints");
///     if (!loop.restart(from)) set_initial_condition();   // from: "", "auto" or a path
///     loop.prepare();                                     // after every input check
///     loop.run([&](gindex_t n) { advance(n); }, max_chunk);
class TimeLoop {
public:
    /// Local: keeps `comm` by reference (it must outlive the loop). Throws tessera::Error for
    /// negative schedule entries or keep_checkpoints < 1.
    TimeLoop(const mpi::Comm& comm, LoopSchedule schedule, Simulation simulation,
             std::filesystem::path checkpoint_dir);
    ~TimeLoop();
    TimeLoop(const TimeLoop&) = delete;
    TimeLoop& operator=(const TimeLoop&) = delete;

    /// Collective. `from` empty: a fresh run, returns false. "auto": loads the newest
    /// checkpoint in the checkpoint directory that verifies (false if there is none); a path:
    /// loads that one. See find_restart() for what is refused (CollectiveError, exit 2).
    bool restart(const std::string& from);
    /// Collective: creates the checkpoint directory and proves it writable, removes
    /// temporaries a crashed writer left, and sets aside the checkpoints restart() rejected.
    /// Call once every input is valid. Throws CollectiveError (exit 2) naming the folder.
    void prepare();

    /// Collective: the snapshot of the initial state (a fresh run with snapshots on); starts
    /// the progress line, the watchdog and the wall-time clock. advance() calls it if needed.
    void begin();
    /// Collective over the loop's communicator (one MPI_Allreduce of three ints, plus the
    /// checkpoint or snapshot writes that are due): the simulation has advanced `n` steps.
    /// Returns whether it should go on: false once step() == steps or after a stop request
    /// (which always writes a checkpoint first).
    bool advance(gindex_t n = 1);
    /// Collective: begin(), then advance() chunk by chunk until done or stopped; `step(n)`
    /// advances the simulation by n steps, n <= max_chunk and never past a step where
    /// something is due.
    void run(const std::function<void(gindex_t n)>& step, gindex_t max_chunk = 1);
    /// Collective: writes a checkpoint of the current step now.
    void checkpoint();

    /// Local: steps the simulation may take before something is due (>= 1 while running).
    gindex_t steps_until_due() const;
    gindex_t step() const noexcept { return step_; }
    gindex_t start_step() const noexcept { return start_step_; }
    bool running() const noexcept { return !stopped_ && step_ < schedule_.steps; }
    bool stopped() const noexcept { return stopped_; }   ///< by a signal or the wall-time limit
    const std::string& stop_reason() const noexcept { return stop_reason_; }
    const std::optional<RestartPoint>& restarted_from() const noexcept { return restart_; }
    /// Local: records progress that is not a step (e.g. a long setup) with the watchdog.
    void kick() noexcept;

    /// Local: adds "completed", "step", "steps", "stop_reason", "restarted_from" and
    /// "checkpoints" (count, last, seconds, bytes_per_s) to a summary.
    void add_to_summary(nlohmann::json& summary) const;

private:
    gindex_t next_time_snapshot(gindex_t after) const;
    const mpi::Comm* comm_;
    LoopSchedule schedule_;
    Simulation sim_;
    std::filesystem::path dir_;
    std::unique_ptr<StopSignals> signals_;
    std::unique_ptr<Watchdog> watchdog_;
    std::unique_ptr<Progress> progress_;
    std::optional<RestartPoint> restart_;
    std::vector<std::filesystem::path> rejected_;
    gindex_t step_ = 0, start_step_ = 0, time_snapshot_ = 0;
    gindex_t hang_after_ = -1;  // test hook TESSERA_TEST_HANG_AFTER_STEP
    bool begun_ = false, stopped_ = false;
    std::string stop_reason_;
    double last_checkpoint_wall_ = 0, last_write_seconds_ = 0, last_return_ = 0;
    int checkpoints_ = 0;
    double checkpoint_seconds_ = 0, checkpoint_bytes_ = 0;
    std::filesystem::path last_checkpoint_;
};

/// The long-run options every app that runs long shares, with one spelling and one meaning:
/// --checkpoint-every, --checkpoint-interval, --keep-checkpoints, --restart, --max-wall-time,
/// --watchdog and, where the app has a field to show, --snapshot-every and --snapshot-time.
struct LongRunOptions {
    gindex_t checkpoint_every = 0;
    double checkpoint_interval = 0;
    int keep_checkpoints = 2;
    std::string restart;  ///< "", "auto" or a checkpoint path
    double max_wall_time = 0;
    double watchdog = 0;
    gindex_t snapshot_every = 0;
    double snapshot_time = 0;

    /// Local: adds the options to `options.cli()`. `unit` names a step in the help (steps,
    /// iterations, sweeps); with `snapshots` also --snapshot-every and --snapshot-time.
    void add_to(AppOptions& options, const std::string& unit = "steps", bool snapshots = false);
    /// Collective over `comm`, after parsing: every number finite; none of these options with
    /// --benchmark. Throws CollectiveError (exit 2) naming the option.
    void check(const mpi::Comm& comm, bool benchmark) const;
    /// Local: whether a restart was asked for (--restart given).
    bool restarting() const noexcept { return !restart.empty(); }
    /// Local: the LoopSchedule of a run of `steps` steps of `dt` simulated seconds, counting
    /// wall time from `clock_start` (MPI_Wtime() at the job's start; < 0: from now). Messages
    /// name the wall-time limit by its option.
    LoopSchedule schedule(gindex_t steps, double dt = 0, double clock_start = -1) const;
};

}  // namespace tessera::run
