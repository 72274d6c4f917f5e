// Option pricing under Black-Scholes: closed forms (European; discretely monitored geometric
// Asian) and Monte Carlo path simulation (European; arithmetic-average Asian), with optional
// antithetic variates.
#pragma once

#include <array>
#include <cstdint>

#include "tessera/core/mpi.hpp"
#include "tessera/montecarlo/blocks.hpp"

namespace tessera::montecarlo {

enum class OptionStyle { european, asian };
enum class Payoff { call, put };

/// An option on a non-dividend stock following geometric Brownian motion.
struct OptionSpec {
    OptionStyle style = OptionStyle::european;
    Payoff payoff = Payoff::call;
    double spot = 100.0;        ///< S0 > 0
    double strike = 100.0;      ///< K > 0
    double rate = 0.05;         ///< risk-free rate r (continuous compounding)
    double volatility = 0.2;    ///< sigma > 0
    double maturity = 1.0;      ///< T > 0, years
    int monitoring = 12;        ///< Asian: M equally spaced averaging dates T/M, ..., T
    bool antithetic = false;    ///< pair each path Z with -Z

    /// Local: throws tessera::Error naming the parameter ("OptionSpec: volatility must be
    /// positive, got 0") when one is out of range.
    void validate() const;
};

/// Local: the Black-Scholes price of the European call or put of `spec` (style ignored).
double black_scholes_price(const OptionSpec& spec);
/// Local: the exact price of the discretely monitored geometric-average Asian option with the
/// parameters of `spec` (M = spec.monitoring dates); a check on the simulated paths.
double geometric_asian_price(const OptionSpec& spec);
/// Local: the standard normal distribution function.
double normal_cdf(double x) noexcept;

/// Quantities recorded per sample by price_paths() (indices into the block results).
enum OptionQuantity : int {
    price_sample = 0,   ///< discounted payoff of the sample (the pair average when antithetic)
    plain_path = 1,     ///< discounted payoff of the sample's first path alone
    geometric_sample = 2,  ///< discounted geometric-average payoff of the sample (Asian check)
    option_quantities = 3
};

/// Local: adds samples [first, last) to out[0..2] (see OptionQuantity). Sample s draws its
/// normals from stream (seed, s): one for a European path, M for an Asian one.
void option_block(const OptionSpec& spec, std::uint64_t seed, gindex_t first, gindex_t last,
                  std::span<Moments> out);

/// Local: the state of a fresh pricing run of `samples` samples, for continue_option().
/// Throws tessera::Error when samples <= 0.
BlockResults option_start(gindex_t samples);

/// Collective over `comm`: continues pricing `spec` into `results` (from option_start() or a
/// checkpoint) wave by wave (see continue_blocks()): the same bits however the run is cut, on
/// any layout. Throws tessera::Error on invalid parameters.
void continue_option(const mpi::Comm& comm, const OptionSpec& spec, std::uint64_t seed, BlockResults& results,
                     const Waves& waves = {}, const ProgressCallback& progress = {});

/// Collective over `comm`: prices `spec` with `samples` samples (paths, or antithetic pairs);
/// the same bits on any layout. Throws tessera::Error on invalid parameters.
BlockResults price_option(const mpi::Comm& comm, const OptionSpec& spec, gindex_t samples,
                          std::uint64_t seed, const ProgressCallback& progress = {});

/// Local: variance reduction of the antithetic estimator at equal cost: the variance of two
/// independent paths' average over the variance of one antithetic pair's average.
double antithetic_variance_reduction(const BlockResults& results);

}  // namespace tessera::montecarlo
