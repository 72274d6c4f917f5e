// tessera-mc pi: quarter-disc estimate of pi, resumable wave by wave.
#include <numbers>

#include <tessera/montecarlo/pi.hpp>

#include "mc.hpp"

namespace mc {

int run_pi(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg) {
    namespace tm = tessera::montecarlo;
    const auto& world = runtime.world();
    // 1. Input.
    TESSERA_CHECK_ALL(world, cfg.samples > 0, "--samples must be positive, got " << cfg.samples);

    // 2. State (every block's moments so far) and the loop: a step is a wave of blocks.
    auto results = tm::pi_start(cfg.samples);
    const auto steps = (results.plan.blocks() + wave_size - 1) / wave_size;
    tessera::run::TimeLoop loop(world, schedule(runtime, options, cfg, steps, "waves"),
                                block_simulation(options, cfg, "pi", {{"samples", cfg.samples}}, results),
                                options.common().output / "checkpoints");

    // 3. Restart or a fresh start; then the output directory.
    start(runtime, options, cfg, loop);
    const auto first_sample = std::min(cfg.samples, results.plan.begin(results.done()));

    // 4. The blocks, wave by wave.
    const double t0 = MPI_Wtime();
    {
        tessera::ScopedTimer timer("mc.pi");
        tm::continue_pi(world, cfg.seed, results, waves(loop));
    }
    if (loop.stopped()) return stopped(runtime, options, loop, "pi");
    const double seconds = tessera::mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX);

    // 5. Report.
    const double reference = std::numbers::pi;
    const auto e = results.estimate(0);
    print_estimate("pi", e, reference);
    const auto table = results.convergence(0);
    if (!options.common().benchmark) print_convergence(table);
    const double rate = static_cast<double>(cfg.samples - first_sample) / seconds;
    tessera::log::info("rate: ", rate, " samples/s (", seconds, " s)");

    auto fields = estimate_json(e, reference);
    fields["convergence"] = convergence_json(table);
    fields["rate"] = {{"value", rate}, {"unit", "samples/s"}};
    const bool passed = e.distance(reference) <= check_sigmas;
    fields["subcommand"] = "pi";
    return finish(runtime, options, loop, fields, passed,
                  "|estimate - pi| <= " + std::to_string(int(check_sigmas)) + " standard errors");
}

}  // namespace mc
