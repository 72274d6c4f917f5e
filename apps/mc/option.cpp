// tessera-mc option: European and arithmetic-average Asian options under Black-Scholes.
#include <tessera/montecarlo/pricing.hpp>

#include "mc.hpp"

namespace mc {

int run_option(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg) {
    namespace tm = tessera::montecarlo;
    const auto& world = runtime.world();
    tm::OptionSpec spec;
    spec.style = cfg.style == "asian" ? tm::OptionStyle::asian : tm::OptionStyle::european;
    spec.payoff = cfg.payoff == "put" ? tm::Payoff::put : tm::Payoff::call;
    spec.spot = cfg.spot;
    spec.strike = cfg.strike;
    spec.rate = cfg.rate;
    spec.volatility = cfg.volatility;
    spec.maturity = cfg.maturity;
    spec.monitoring = cfg.monitoring;
    spec.antithetic = cfg.antithetic;
    TESSERA_CHECK_ALL(world, cfg.samples > 0, "--samples must be positive, got " << cfg.samples);
    tessera::collective_call(world, [&] { spec.validate(); });
    tessera::run::prepare_output_dir(world, options.common().output, options.common().overwrite);

    const bool asian = spec.style == tm::OptionStyle::asian;
    tessera::run::Progress progress("option", tm::BlockPlan::for_samples(cfg.samples).blocks(), "blocks");
    const double t0 = MPI_Wtime();
    const auto results = [&] {
        tessera::ScopedTimer timer(asian ? "mc.option.asian" : "mc.option.european");
        return tm::price_option(world, spec, cfg.samples, cfg.seed, [&](tessera::gindex_t done) { progress.update(done); });
    }();
    progress.finish();
    const double seconds = tessera::mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX);

    const auto price = results.estimate(tm::price_sample);
    const auto table = results.convergence(tm::price_sample);
    std::optional<double> reference;
    nlohmann::json fields;
    bool passed = false;
    std::string verdict;
    const std::string sigmas = std::to_string(int(check_sigmas));
    if (!asian) {
        reference = tm::black_scholes_price(spec);
        print_estimate("European price", price, reference);
        fields = estimate_json(price, reference);
        passed = price.distance(*reference) <= check_sigmas;
        verdict = "|price - Black-Scholes| <= " + sigmas + " standard errors";
    } else {
        // No closed form for the arithmetic average: the same paths' geometric average has
        // one, which checks the path simulation.
        const auto geo = results.estimate(tm::geometric_sample);
        const double geo_ref = tm::geometric_asian_price(spec);
        print_estimate("Asian (arithmetic) price", price, std::nullopt);
        print_estimate("Asian (geometric) price, same paths", geo, geo_ref);
        fields = estimate_json(price, std::nullopt);
        fields["geometric"] = estimate_json(geo, geo_ref);
        passed = geo.distance(geo_ref) <= check_sigmas;
        verdict = "|geometric-average price - closed form| <= " + sigmas + " standard errors";
    }
    if (spec.antithetic) {
        const double factor = tm::antithetic_variance_reduction(results);
        tessera::log::info("antithetic variates: variance reduced ", factor,
                           "x against independent paths at equal path count");
        fields["variance_reduction"] = factor;
    }
    if (!options.common().benchmark) print_convergence(table);
    const double paths = static_cast<double>(cfg.samples) * (spec.antithetic ? 2 : 1);
    const double rate = paths / seconds;
    tessera::log::info("rate: ", rate, " paths/s (", seconds, " s",
                       asian ? ", " + std::to_string(spec.monitoring) + " dates per path)" : ")");
    fields["convergence"] = convergence_json(table);
    fields["rate"] = {{"value", rate}, {"unit", "paths/s"}};
    fields["subcommand"] = "option";
    return finish(runtime, options, fields, passed, verdict);
}

}  // namespace mc
