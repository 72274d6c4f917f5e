// tessera-mc ep: the NAS Parallel Benchmarks EP kernel, verified against the published values.
#include <cstdio>

#include <tessera/montecarlo/ep.hpp>

#include "mc.hpp"

namespace mc {

int run_ep(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg) {
    namespace tm = tessera::montecarlo;
    const auto& world = runtime.world();
    const auto cls = cfg.ep_class.size() == 1 ? tm::ep_class(cfg.ep_class[0]) : std::nullopt;
    TESSERA_CHECK_ALL(world, cls.has_value(),
                      "--class must be one of S, W, A, B, C, D, got '" << cfg.ep_class << "'");
    tessera::run::prepare_output_dir(world, options.common().output, options.common().overwrite);

    if (options.common().benchmark) {
        tm::ep_run(world, tm::ep_batch_log2 + 4);  // warm-up: pages, tables, thread pool
        tessera::reset_timers();
    }
    tessera::run::Progress progress("ep", tessera::gindex_t{1} << (cls->m - tm::ep_batch_log2), "batches");
    const auto result = [&] {
        tessera::ScopedTimer timer("mc.ep");
        return tm::ep_run(world, cls->m, [&](tessera::gindex_t done) { progress.update(done); });
    }();
    progress.finish();
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
    return finish(runtime, options, fields, v.passed,
                  std::string("sums within 1e-8 of NPB's values") +
                      (v.counts_checked ? ", annulus counts exact" : ""));
}

}  // namespace mc
