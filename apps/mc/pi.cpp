// tessera-mc pi: quarter-disc estimate of pi.
#include <numbers>

#include <tessera/montecarlo/pi.hpp>

#include "mc.hpp"

namespace mc {

int run_pi(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg) {
    namespace tm = tessera::montecarlo;
    const auto& world = runtime.world();
    TESSERA_CHECK_ALL(world, cfg.samples > 0, "--samples must be positive, got " << cfg.samples);
    tessera::run::prepare_output_dir(world, options.common().output, options.common().overwrite);

    tessera::run::Progress progress("pi", tm::BlockPlan::for_samples(cfg.samples).blocks(), "blocks");
    const double t0 = MPI_Wtime();
    const auto results = [&] {
        tessera::ScopedTimer timer("mc.pi");
        return tm::estimate_pi(world, cfg.samples, cfg.seed, [&](tessera::gindex_t done) { progress.update(done); });
    }();
    progress.finish();
    const double seconds = tessera::mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX);

    const double reference = std::numbers::pi;
    const auto e = results.estimate(0);
    print_estimate("pi", e, reference);
    const auto table = results.convergence(0);
    if (!options.common().benchmark) print_convergence(table);
    const double rate = static_cast<double>(cfg.samples) / seconds;
    tessera::log::info("rate: ", rate, " samples/s (", seconds, " s)");

    auto fields = estimate_json(e, reference);
    fields["convergence"] = convergence_json(table);
    fields["rate"] = {{"value", rate}, {"unit", "samples/s"}};
    const bool passed = e.distance(reference) <= check_sigmas;
    fields["subcommand"] = "pi";
    return finish(runtime, options, fields, passed,
                  "|estimate - pi| <= " + std::to_string(int(check_sigmas)) + " standard errors");
}

}  // namespace mc
