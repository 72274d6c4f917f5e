// tessera-mc's time loop: the checkpoint options, compatibility keys, block-result checkpoints
// and the start and stop of a run, shared by every subcommand.
#include <cmath>

#include "mc.hpp"

namespace mc {

namespace tm = tessera::montecarlo;
using tessera::gindex_t;

void add_loop_options(CLI::App& sub, Config& cfg, const std::string& step) {
    sub.add_option("--checkpoint-every", cfg.checkpoint_every,
                   "Write a checkpoint every N " + step + " into OUTPUT/checkpoints (0: never)")
        ->check(CLI::NonNegativeNumber);
    sub.add_option("--checkpoint-interval", cfg.checkpoint_interval,
                   "Write a checkpoint every SECONDS of wall time (0: never)")
        ->check(CLI::NonNegativeNumber);
    sub.add_option("--keep-checkpoints", cfg.keep_checkpoints, "Checkpoints kept (the newest K)")
        ->check(CLI::PositiveNumber);
    sub.add_option("--restart", cfg.restart,
                   "auto: continue from the newest checkpoint in OUTPUT/checkpoints that verifies "
                   "(a fresh start if there is none); PATH: from that checkpoint");
    sub.add_option("--max-wall-time", cfg.max_wall_time,
                   "Checkpoint and stop (exit 0, completed false) before SECONDS of wall time")
        ->check(CLI::NonNegativeNumber);
    sub.add_option("--watchdog", cfg.watchdog,
                   "End the job (exit 1, one line per stuck rank) when a rank completes no step or "
                   "checkpoint for SECONDS (0: off); set it above the longest step or checkpoint write")
        ->check(CLI::NonNegativeNumber);
    sub.footer("Exit codes: 0 finished (summary.json \"completed\": true), or stopped on SIGTERM, SIGUSR1, "
               "SIGINT or --max-wall-time after writing a checkpoint (\"completed\": false; resubmit with "
               "--restart auto); 1 runtime failure or failed self-check; 2 usage or input error (nothing "
               "written). See docs/mc.md.");
}

tessera::run::LoopSchedule schedule(const tessera::Runtime& runtime, const tessera::run::AppOptions& options,
                                    const Config& cfg, gindex_t steps, const std::string& unit) {
    const auto& world = runtime.world();
    // CLI11's number checks let nan and inf through; none of these may be either.
    for (const auto& [option, v] : {std::pair<const char*, double>{"--checkpoint-interval", cfg.checkpoint_interval},
                                    {"--max-wall-time", cfg.max_wall_time}, {"--watchdog", cfg.watchdog}})
        TESSERA_CHECK_ALL(world, std::isfinite(v), option << ": must be a finite number, got " << v);
    TESSERA_CHECK_ALL(world, !options.common().benchmark || (cfg.restart.empty() && cfg.checkpoint_every == 0 &&
                                                             cfg.checkpoint_interval == 0 && cfg.max_wall_time == 0),
                      "--benchmark runs without --restart, --checkpoint-* and --max-wall-time");
    tessera::run::LoopSchedule s;
    s.steps = steps;
    s.checkpoint_every = cfg.checkpoint_every;
    s.checkpoint_interval = cfg.checkpoint_interval;
    s.keep_checkpoints = cfg.keep_checkpoints;
    s.max_wall_time = cfg.max_wall_time;
    s.clock_start = MPI_Wtime() - runtime.elapsed();  // the job's clock: from MPI start-up on
    s.watchdog = cfg.watchdog;
    s.catch_signals = !options.common().benchmark;
    s.unit = unit;
    s.wall_time_name = "--max-wall-time";
    return s;
}

tessera::run::Simulation simulation(const tessera::run::AppOptions& options, const Config& cfg,
                                    const std::string& subcommand, nlohmann::json keys) {
    tessera::run::Simulation sim;
    sim.app = "mc";
    sim.keys = std::move(keys);
    sim.keys["subcommand"] = subcommand;
    sim.keys["seed"] = cfg.seed;
    sim.config = options.resolved().dump();
    return sim;
}

tessera::run::Simulation block_simulation(const tessera::run::AppOptions& options, const Config& cfg,
                                          const std::string& subcommand, nlohmann::json keys,
                                          tm::BlockResults& results) {
    keys["wave"] = wave_size;  // what a step is
    auto sim = simulation(options, cfg, subcommand, std::move(keys));
    // Every block's moments in block order, bit for bit: the final estimate and convergence
    // table merge all of them, so a restart needs them all.
    sim.save = [&results](tessera::io::CheckpointData&, tessera::io::CheckpointMeta& meta) {
        meta.counters = {static_cast<long long>(results.done())};
        meta.values.reserve(3 * results.blocks.size());
        for (const auto& m : results.blocks) meta.values.insert(meta.values.end(), {m.count, m.mean, m.m2});
    };
    sim.load = [&results](tessera::io::CheckpointReader& reader) {
        const auto& meta = reader.meta();
        const gindex_t done = std::min(meta.step * wave_size, results.plan.blocks());
        const auto values = static_cast<gindex_t>(meta.values.size());
        if (meta.counters.size() != 1 || meta.counters[0] != done || values != 3 * results.nq * done)
            throw std::runtime_error("restart " + reader.path().string() + ": step " + std::to_string(meta.step) +
                                     " needs the results of " + std::to_string(done) + " blocks");
        results.blocks.resize(static_cast<std::size_t>(results.nq * done));
        for (std::size_t i = 0; i < results.blocks.size(); ++i)
            results.blocks[i] = {meta.values[3 * i], meta.values[3 * i + 1], meta.values[3 * i + 2]};
    };
    sim.state_bytes = 24.0 * static_cast<double>(results.plan.blocks() * results.nq);
    return sim;
}

tm::Waves waves(tessera::run::TimeLoop& loop) {
    return {wave_size, [&loop] { return loop.advance(); }};
}

void start(const tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg,
           tessera::run::TimeLoop& loop) {
    const auto& world = runtime.world();
    const auto& common = options.common();
    const tessera::run::OptionNames names{{"restart ", "--restart "}};
    tessera::run::translating_errors(names, [&] { loop.restart(cfg.restart); });
    if (!cfg.restart.empty() && !loop.restarted_from())
        tessera::log::info("--restart auto: no checkpoint in ", (common.output / "checkpoints").string(),
                           "; starting afresh");
    // Every input is valid: only now may anything be written. A restart continues its own
    // output directory.
    tessera::run::prepare_output_dir(world, common.output, common.overwrite || !cfg.restart.empty());
    if (!common.benchmark) loop.prepare();
}

int stopped(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const tessera::run::TimeLoop& loop,
            const std::string& subcommand) {
    tessera::log::info(subcommand, ": stopped at step ", loop.step(), "; continue with --restart auto");
    auto summary = tessera::run::make_summary(runtime, options);
    loop.add_to_summary(summary);
    summary["subcommand"] = subcommand;
    tessera::run::write_json(runtime.world(), options.common().output / "summary.json", summary);
    return 0;
}

}  // namespace mc
