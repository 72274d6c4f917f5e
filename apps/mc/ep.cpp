// tessera-mc ep: the NAS Parallel Benchmarks EP kernel, verified against the published values,
// resumable wave by wave.
#include <cstdio>

#include <tessera/montecarlo/ep.hpp>

#include "mc.hpp"

namespace mc {

int run_ep(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg) {
    namespace tm = tessera::montecarlo;
    const auto& world = runtime.world();
    // 1. Input.
    const auto cls = cfg.ep_class.size() == 1 ? tm::ep_class(cfg.ep_class[0]) : std::nullopt;
    TESSERA_CHECK_ALL(world, cls.has_value(),
                      "--class must be one of S, W, A, B, C, D, got '" << cfg.ep_class << "'");

    // 2. State (the sums and counts of the batches so far, in batch order) and the loop: a
    //    step is a wave of batches.
    tm::EpResult result;
    result.m = cls->m;
    const auto steps = (result.batches() + wave_size - 1) / wave_size;
    auto sim = simulation(options, cfg, "ep", {{"class", cfg.ep_class}, {"wave", wave_size}});
    sim.save = [&](tessera::io::CheckpointData&, tessera::io::CheckpointMeta& meta) {
        meta.counters.assign(result.tally.q.begin(), result.tally.q.end());
        meta.counters.push_back(result.done);
        meta.values = {result.tally.sx, result.tally.sy};
    };
    sim.load = [&](tessera::io::CheckpointReader& reader) {
        const auto& meta = reader.meta();
        const auto done = std::min(meta.step * wave_size, result.batches());
        if (meta.counters.size() != tm::ep_annuli + 1 || meta.counters.back() != done || meta.values.size() != 2)
            throw std::runtime_error("restart " + reader.path().string() + ": step " + std::to_string(meta.step) +
                                     " needs the tally of " + std::to_string(done) + " batches");
        std::copy_n(meta.counters.begin(), tm::ep_annuli, result.tally.q.begin());
        result.done = done;
        result.tally.sx = meta.values[0];
        result.tally.sy = meta.values[1];
    };
    tessera::run::TimeLoop loop(world, schedule(runtime, options, cfg, steps, "waves"), sim,
                                options.common().output / "checkpoints");

    // 3. Restart or a fresh start; then the output directory.
    start(runtime, options, cfg, loop);
    if (options.common().benchmark) {
        tm::ep_run(world, tm::ep_batch_log2 + 4);  // warm-up: pages, tables, thread pool
        tessera::reset_timers();
    }

    // 4. The batches, wave by wave.
    {
        tessera::ScopedTimer timer("mc.ep");
        tm::continue_ep(world, result, waves(loop));
    }
    if (loop.stopped()) return stopped(runtime, options, loop, "ep");

    // 5. Report.
    const auto v = tm::ep_verify(result, *cls);
    char line[160];
    std::snprintf(line, sizeof line, "EP class %c: 2^%d pairs, %lld accepted", cls->name, cls->m,
                  static_cast<long long>(result.tally.accepted()));
    tessera::log::info(line);
    std::snprintf(line, sizeof line, "  sx = %.15e (reference %.15e, relative error %.2e)",
                  result.tally.sx, cls->sx, v.sx_rel_error);
    tessera::log::info(line);
    std::snprintf(line, sizeof line, "  sy = %.15e (reference %.15e, relative error %.2e)",
                  result.tally.sy, cls->sy, v.sy_rel_error);
    tessera::log::info(line);
    std::string counts;
    for (auto c : result.tally.q) counts += " " + std::to_string(c);
    tessera::log::info("  q =", counts, v.counts_checked ? (v.counts_match ? " (match)" : " (MISMATCH)") : "");
    std::snprintf(line, sizeof line, "  time %.3f s, %.2f Mop/s (%d ranks x %d threads)", result.seconds,
                  result.mops(), world.size(), runtime.threads());
    tessera::log::info(line);

    nlohmann::json fields;
    fields["class"] = std::string(1, cls->name);
    fields["m"] = cls->m;
    fields["sx"] = result.tally.sx;
    fields["sy"] = result.tally.sy;
    fields["q"] = result.tally.q;
    fields["sx_reference"] = cls->sx;
    fields["sy_reference"] = cls->sy;
    fields["mops"] = result.mops();
    fields["seconds"] = result.seconds;
    fields["rate"] = {{"value", result.mops()}, {"unit", "Mop/s"}};
    fields["subcommand"] = "ep";
    return finish(runtime, options, loop, fields, v.passed,
                  std::string("sums within 1e-8 of NPB's values") +
                      (v.counts_checked ? ", annulus counts exact" : ""));
}

}  // namespace mc
