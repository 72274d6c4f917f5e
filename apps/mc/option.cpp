// tessera-mc option: European and arithmetic-average Asian options under Black-Scholes,
// resumable wave by wave.
#include <tessera/montecarlo/pricing.hpp>

#include "mc.hpp"

namespace mc {

int run_option(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg) {
    namespace tm = tessera::montecarlo;
    const auto& world = runtime.world();
    // 1. Input: the library checks the model and names its parameters; they map to options.
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
    const tessera::run::OptionNames names{{"OptionSpec: spot", "--spot"},           {"OptionSpec: strike", "--strike"},
                                          {"OptionSpec: rate", "--rate"},           {"OptionSpec: volatility", "--volatility"},
                                          {"OptionSpec: maturity", "--maturity"}, {"OptionSpec: monitoring", "--monitoring"}};
    tessera::run::translating_errors(names, [&] { tessera::collective_call(world, [&] { spec.validate(); }); });

    // 2. State (every block's moments so far) and the loop: a step is a wave of blocks.
    auto results = tm::option_start(cfg.samples);
    const auto steps = (results.plan.blocks() + wave_size - 1) / wave_size;
    const nlohmann::json keys{{"samples", cfg.samples},   {"style", cfg.style},           {"payoff", cfg.payoff},
                              {"spot", cfg.spot},         {"strike", cfg.strike},         {"rate", cfg.rate},
                              {"volatility", cfg.volatility}, {"maturity", cfg.maturity}, {"monitoring", cfg.monitoring},
                              {"antithetic", cfg.antithetic}};
    tessera::run::TimeLoop loop(world, schedule(runtime, options, cfg, steps, "waves"),
                                block_simulation(options, cfg, "option", keys, results),
                                options.common().output / "checkpoints");

    // 3. Restart or a fresh start; then the output directory.
    start(runtime, options, cfg, loop);
    const auto first_sample = std::min(cfg.samples, results.plan.begin(results.done()));

    // 4. The paths, wave by wave.
    const bool asian = spec.style == tm::OptionStyle::asian;
    const double t0 = MPI_Wtime();
    {
        tessera::ScopedTimer timer(asian ? "mc.option.asian" : "mc.option.european");
        tm::continue_option(world, spec, cfg.seed, results, waves(loop));
    }
    if (loop.stopped()) return stopped(runtime, options, loop, "option");
    const double seconds = tessera::mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX);

    // 5. Report.
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
    const double paths = static_cast<double>(cfg.samples - first_sample) * (spec.antithetic ? 2 : 1);
    const double rate = paths / seconds;
    tessera::log::info("rate: ", rate, " paths/s (", seconds, " s",
                       asian ? ", " + std::to_string(spec.monitoring) + " dates per path)" : ")");
    fields["convergence"] = convergence_json(table);
    fields["rate"] = {{"value", rate}, {"unit", "paths/s"}};
    fields["subcommand"] = "option";
    return finish(runtime, options, loop, fields, passed, verdict);
}

}  // namespace mc
