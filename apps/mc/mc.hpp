// tessera-mc's subcommands, their configuration and the reporting they share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tessera/tessera.hpp>

namespace mc {

/// Every option of every subcommand (DESIGN.md section 7); subcommands read their own.
struct Config {
    std::uint64_t seed = 2024;
    tessera::gindex_t samples = 1'000'000;
    // option
    std::string style = "european", payoff = "call";
    double spot = 100.0, strike = 100.0, rate = 0.05, volatility = 0.2, maturity = 1.0;
    int monitoring = 12;
    bool antithetic = false;
    // ep
    std::string ep_class = "S";
    // ising
    std::vector<tessera::gindex_t> cells{64, 64};
    std::vector<int> procs{0, 0};
    std::string temperature = "1.5";  ///< T, or a sweep START:STOP:COUNT (parse_temperatures)
    int sweeps = 2000, thermalize = 500, batches = 20;
    bool resume = false;              ///< a sweep: skip the temperatures its journal lists
    std::string on_error = "stop";    ///< a sweep: stop or continue after a failed temperature
    // checkpoints and stops (every subcommand; a step is a sweep or a wave)
    tessera::gindex_t checkpoint_every = 0;
    double checkpoint_interval = 0;
    int keep_checkpoints = 2;
    std::string restart;
    double max_wall_time = 0, watchdog = 0;
};

/// Blocks (pi, option) or batches (ep) per wave: one time-loop step, the same on every layout.
inline constexpr tessera::gindex_t wave_size = 64;

/// Registers --checkpoint-every, --checkpoint-interval, --keep-checkpoints, --restart,
/// --max-wall-time and --watchdog on `sub`; `step` says what a step is ("sweeps").
void add_loop_options(CLI::App& sub, Config& cfg, const std::string& step);
/// Collective over runtime.world(): checks the loop options (finite; --benchmark refuses the
/// checkpoint options: CollectiveError, exit 2) and returns the schedule of `steps` steps
/// called `unit`.
tessera::run::LoopSchedule schedule(const tessera::Runtime& runtime, const tessera::run::AppOptions& options,
                                    const Config& cfg, tessera::gindex_t steps, const std::string& unit);
/// Local: what a checkpoint must match: the subcommand, the seed and `keys` (everything else
/// that changes the answer), and the resolved configuration; save and load are the caller's.
tessera::run::Simulation simulation(const tessera::run::AppOptions& options, const Config& cfg,
                                    const std::string& subcommand, nlohmann::json keys);
/// Local: a pi or option run whose state is `results`: save writes every block's moments so
/// far to meta.values, load restores them (checked against the step).
tessera::run::Simulation block_simulation(const tessera::run::AppOptions& options, const Config& cfg,
                                          const std::string& subcommand, nlohmann::json keys,
                                          tessera::montecarlo::BlockResults& results);
/// Local: waves of wave_size, each followed by one loop.advance().
tessera::montecarlo::Waves waves(tessera::run::TimeLoop& loop);
/// Collective: restarts `loop` from --restart (errors name --restart), then prepares the
/// output directory and the checkpoint folder.
/// Bad input (exit 2) leaves nothing written.
void start(const tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg,
           tessera::run::TimeLoop& loop);
/// Collective: a run stopped by a signal or --max-wall-time (after its checkpoint): writes
/// summary.json ("completed": false, "stop_reason") and returns 0.
int stopped(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const tessera::run::TimeLoop& loop,
            const std::string& subcommand);

/// Collective over runtime.world(): each subcommand checks its input (CollectiveError, exit 2,
/// naming the option), restarts from --restart or starts afresh, prepares the output directory,
/// runs through one run::TimeLoop, reports and writes summary.json. Returns 0 when its
/// self-check passes or it stopped after a checkpoint (signal, --max-wall-time), 1 otherwise.
int run_pi(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg);
int run_option(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg);
int run_ep(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg);
int run_ising(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg);

/// --temperature: one temperature, or a sweep of `count` evenly spaced ones from `start` to
/// `stop` (both included).
struct Temperatures {
    std::vector<double> values;
    bool sweep = false;
    double start = 0, stop = 0;
    long long count = 1;
};
/// Collective over `comm`: parses `T` or `START:STOP:COUNT` (START < STOP, both > 0, COUNT >= 2).
/// Throws CollectiveError (exit 2), one line naming --temperature, for a malformed value, an
/// empty or reversed range or COUNT < 2. A single T is checked by the lattice (positive).
Temperatures parse_temperatures(const tessera::mpi::Comm& comm, const std::string& text);
/// Collective over runtime.world(): the sweep, one task of the task queue per temperature
/// (apps/mc/sweep.cpp). Returns 0 when every temperature finished and passed the self-check,
/// 1 otherwise.
int run_ising_sweep(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg,
                    const Temperatures& temperatures);

/// How far from a reference an estimate may be, in standard errors, before the self-check
/// fails: generous, so a correct run fails about once in 1.7 million.
inline constexpr double check_sigmas = 5.0;

/// Local (prints on rank 0): `label: value +- stderr (95% CI [lo, hi])` and, with a
/// reference, its value and the distance in standard errors.
void print_estimate(const std::string& label, const tessera::montecarlo::Estimate& e,
                    std::optional<double> reference);
/// Local (prints on rank 0): the convergence table with error * sqrt(N), which should stay flat.
void print_convergence(const std::vector<tessera::montecarlo::ConvergenceRow>& rows);
/// Local: {"estimate", "stderr", "ci95", "reference", "distance"} of an estimate.
nlohmann::json estimate_json(const tessera::montecarlo::Estimate& e, std::optional<double> reference);
/// Local: the convergence table as [{"samples", "estimate", "stderr"}, ...].
nlohmann::json convergence_json(const std::vector<tessera::montecarlo::ConvergenceRow>& rows);
/// Collective: prints the verdict and the timer table, writes <output>/summary.json from
/// make_summary(), the loop's record, `fields` and "check", and returns the exit code (0
/// passed, 1 failed).
int finish(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const tessera::run::TimeLoop& loop,
           nlohmann::json fields, bool passed, const std::string& verdict);

}  // namespace mc
