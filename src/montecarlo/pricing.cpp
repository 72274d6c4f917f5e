// Black-Scholes closed forms and path simulation.
#include "tessera/montecarlo/pricing.hpp"

#include <algorithm>
#include <cmath>

#include "tessera/core/error.hpp"
#include "tessera/montecarlo/rng.hpp"

namespace tessera::montecarlo {

void OptionSpec::validate() const {
    TESSERA_CHECK(std::isfinite(spot) && spot > 0.0, "OptionSpec: spot must be positive, got " << spot);
    TESSERA_CHECK(std::isfinite(strike) && strike > 0.0, "OptionSpec: strike must be positive, got " << strike);
    TESSERA_CHECK(std::isfinite(rate), "OptionSpec: rate must be finite, got " << rate);
    TESSERA_CHECK(std::isfinite(volatility) && volatility > 0.0,
                  "OptionSpec: volatility must be positive, got " << volatility);
    TESSERA_CHECK(std::isfinite(maturity) && maturity > 0.0,
                  "OptionSpec: maturity must be positive, got " << maturity);
    TESSERA_CHECK(monitoring >= 1, "OptionSpec: monitoring must be at least 1, got " << monitoring);
}

double normal_cdf(double x) noexcept { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

namespace {

// Discounted price of a call or put on a lognormal underlying with log-mean `mu` and log-sd
// `sd` at maturity: e^{-rT} E[(X - K)^+] or e^{-rT} E[(K - X)^+].
double lognormal_price(Payoff payoff, double mu, double sd, double strike, double discount) {
    const double forward = std::exp(mu + 0.5 * sd * sd);
    const double d2 = (mu - std::log(strike)) / sd;
    const double d1 = d2 + sd;
    if (payoff == Payoff::call) return discount * (forward * normal_cdf(d1) - strike * normal_cdf(d2));
    return discount * (strike * normal_cdf(-d2) - forward * normal_cdf(-d1));
}

double payoff_of(Payoff payoff, double underlying, double strike) noexcept {
    return payoff == Payoff::call ? std::max(underlying - strike, 0.0)
                                  : std::max(strike - underlying, 0.0);
}

}  // namespace

double black_scholes_price(const OptionSpec& spec) {
    spec.validate();
    const double t = spec.maturity, v = spec.volatility;
    const double mu = std::log(spec.spot) + (spec.rate - 0.5 * v * v) * t;
    return lognormal_price(spec.payoff, mu, v * std::sqrt(t), spec.strike, std::exp(-spec.rate * t));
}

double geometric_asian_price(const OptionSpec& spec) {
    spec.validate();
    // log G = log S0 + (r - v^2/2) (1/M) sum t_i + v (1/M) sum W(t_i), t_i = i T / M.
    const double m = spec.monitoring, t = spec.maturity, v = spec.volatility;
    const double mu = std::log(spec.spot) + (spec.rate - 0.5 * v * v) * t * (m + 1.0) / (2.0 * m);
    const double var = v * v * t * (m + 1.0) * (2.0 * m + 1.0) / (6.0 * m * m);
    return lognormal_price(spec.payoff, mu, std::sqrt(var), spec.strike, std::exp(-spec.rate * t));
}

void option_block(const OptionSpec& spec, std::uint64_t seed, gindex_t first, gindex_t last,
                  std::span<Moments> out) {
    const int steps = spec.style == OptionStyle::asian ? spec.monitoring : 1;
    const double dt = spec.maturity / steps;
    const double drift = (spec.rate - 0.5 * spec.volatility * spec.volatility) * dt;
    const double diffusion = spec.volatility * std::sqrt(dt);
    const double discount = std::exp(-spec.rate * spec.maturity);
    const double log_spot = std::log(spec.spot);

    for (gindex_t s = first; s < last; ++s) {
        CounterRng rng(seed, static_cast<std::uint64_t>(s));
        // Path a follows Z, path b (antithetic) follows -Z.
        double log_a = log_spot, log_b = log_spot;
        double sum_a = 0.0, sum_b = 0.0, sum_log_a = 0.0, sum_log_b = 0.0;
        for (int i = 0; i < steps; ++i) {
            const double z = rng.normal();
            log_a += drift + diffusion * z;
            log_b += drift - diffusion * z;
            sum_a += std::exp(log_a);
            sum_b += std::exp(log_b);
            sum_log_a += log_a;
            sum_log_b += log_b;
        }
        const double f_a = discount * payoff_of(spec.payoff, sum_a / steps, spec.strike);
        const double g_a = discount * payoff_of(spec.payoff, std::exp(sum_log_a / steps), spec.strike);
        double f = f_a, g = g_a;
        if (spec.antithetic) {
            f = 0.5 * (f_a + discount * payoff_of(spec.payoff, sum_b / steps, spec.strike));
            g = 0.5 * (g_a + discount * payoff_of(spec.payoff, std::exp(sum_log_b / steps), spec.strike));
        }
        out[price_sample].add(f);
        out[plain_path].add(f_a);
        out[geometric_sample].add(g);
    }
}

BlockResults option_start(gindex_t samples) { return {BlockPlan::for_samples(samples), option_quantities, {}}; }

void continue_option(const mpi::Comm& comm, const OptionSpec& spec, std::uint64_t seed, BlockResults& results,
                     const Waves& waves, const ProgressCallback& progress) {
    spec.validate();
    continue_blocks(
        comm, results,
        [&spec, seed](gindex_t first, gindex_t last, std::span<Moments> out) {
            option_block(spec, seed, first, last, out);
        },
        waves, progress);
}

BlockResults price_option(const mpi::Comm& comm, const OptionSpec& spec, gindex_t samples,
                          std::uint64_t seed, const ProgressCallback& progress) {
    auto results = option_start(samples);
    continue_option(comm, spec, seed, results, {}, progress);
    return results;
}

double antithetic_variance_reduction(const BlockResults& results) {
    const double pair = results.estimate(price_sample).variance;
    const double single = results.estimate(plain_path).variance;
    return pair > 0.0 ? 0.5 * single / pair : 0.0;
}

}  // namespace tessera::montecarlo
