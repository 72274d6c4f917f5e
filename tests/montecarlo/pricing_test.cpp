// Option pricing: closed forms against published values and identities, and Monte Carlo
// prices within 4 standard errors of them across moneyness, calls and puts.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include <tessera/core/error.hpp>
#include <tessera/montecarlo/pricing.hpp>

using namespace tessera::montecarlo;
using tessera::gindex_t;

namespace {

// Serial Monte Carlo over blocks of 1024 samples: block moments, block-major.
std::vector<Moments> simulate(const OptionSpec& spec, gindex_t blocks, std::uint64_t seed = 1) {
    std::vector<Moments> out(static_cast<std::size_t>(blocks * option_quantities));
    for (gindex_t b = 0; b < blocks; ++b)
        option_block(spec, seed, b * 1024, (b + 1) * 1024,
                     std::span(out).subspan(static_cast<std::size_t>(b * option_quantities), option_quantities));
    return out;
}

Estimate estimate(const std::vector<Moments>& blocks, int q) {
    return Estimate::from_moments(merge_blocks(blocks, option_quantities, q,
                                               static_cast<gindex_t>(blocks.size()) / option_quantities));
}

}  // namespace

TEST(BlackScholes, TextbookValuesAndParity) {
    OptionSpec s;  // S = K = 100, r = 0.05, sigma = 0.2, T = 1 (Hull's classic example values)
    EXPECT_NEAR(black_scholes_price(s), 10.450583572185565, 1e-12);
    s.payoff = Payoff::put;
    EXPECT_NEAR(black_scholes_price(s), 5.573526022256971, 1e-12);
    for (double k : {80.0, 100.0, 125.0}) {
        OptionSpec c;
        c.strike = k;
        OptionSpec p = c;
        p.payoff = Payoff::put;
        EXPECT_NEAR(black_scholes_price(c) - black_scholes_price(p), 100.0 - k * std::exp(-0.05), 1e-10);
    }
}

TEST(GeometricAsian, LimitsOfTheClosedForm) {
    OptionSpec s;
    s.monitoring = 1;  // one averaging date at T: the European option
    EXPECT_NEAR(geometric_asian_price(s), black_scholes_price(s), 1e-12);
    // Many dates: the continuous geometric average, log-variance sigma^2 T / 3.
    s.monitoring = 100000;
    const double sd = 0.2 / std::sqrt(3.0), mu = std::log(100.0) + (0.05 - 0.02) / 2;
    const double d2 = (mu - std::log(100.0)) / sd;
    const double cont = std::exp(-0.05) * (std::exp(mu + sd * sd / 2) * normal_cdf(d2 + sd) - 100 * normal_cdf(d2));
    EXPECT_NEAR(geometric_asian_price(s), cont, 1e-4);
}

struct Case {
    double strike;
    Payoff payoff;
    bool antithetic;
};

class EuropeanMc : public ::testing::TestWithParam<Case> {};

TEST_P(EuropeanMc, WithinFourStandardErrorsOfBlackScholes) {
    OptionSpec s;
    s.strike = GetParam().strike;
    s.payoff = GetParam().payoff;
    s.antithetic = GetParam().antithetic;
    s.volatility = 0.25;
    const auto blocks = simulate(s, 40);
    const auto e = estimate(blocks, price_sample);
    EXPECT_GT(e.std_error, 0.0);
    EXPECT_LT(e.distance(black_scholes_price(s)), 4.0)
        << "price " << e.value << " +- " << e.std_error << " vs " << black_scholes_price(s);
}

INSTANTIATE_TEST_SUITE_P(Moneyness, EuropeanMc,
                         ::testing::Values(Case{80, Payoff::call, false}, Case{100, Payoff::call, false},
                                           Case{130, Payoff::call, true}, Case{80, Payoff::put, true},
                                           Case{100, Payoff::put, false}, Case{130, Payoff::put, false}));

TEST(EuropeanMc, StandardErrorFallsAsInverseSqrtN) {
    OptionSpec s;
    const auto blocks = simulate(s, 256);
    const auto table = convergence_table(blocks, option_quantities, price_sample, 4);
    ASSERT_EQ(table.size(), 4u);
    for (std::size_t i = 1; i < table.size(); ++i) {
        EXPECT_EQ(table[i].samples, 4 * table[i - 1].samples);
        EXPECT_NEAR(table[i - 1].estimate.std_error / table[i].estimate.std_error, 2.0, 0.25);
    }
}

TEST(Antithetic, ReducesVarianceForMonotonePayoffs) {
    OptionSpec s;
    s.antithetic = true;
    const auto blocks = simulate(s, 20);
    BlockResults r{BlockPlan(20 * 1024, 1024), option_quantities, blocks};
    EXPECT_GT(antithetic_variance_reduction(r), 1.5);
    // Without pairing both quantities are the same path: no reduction (factor 1/2 by definition).
    s.antithetic = false;
    BlockResults plain{BlockPlan(20 * 1024, 1024), option_quantities, simulate(s, 20)};
    EXPECT_DOUBLE_EQ(antithetic_variance_reduction(plain), 0.5);
}

TEST(AsianMc, GeometricCheckAndOrdering) {
    OptionSpec s;
    s.style = OptionStyle::asian;
    s.monitoring = 12;
    const auto blocks = simulate(s, 40);
    const auto arith = estimate(blocks, price_sample), geo = estimate(blocks, geometric_sample);
    EXPECT_LT(geo.distance(geometric_asian_price(s)), 4.0);
    // Arithmetic >= geometric average on every path, so the call prices are ordered; and
    // averaging lowers the call below the European price.
    EXPECT_GT(arith.value, geo.value);
    EXPECT_LT(arith.value + 4 * arith.std_error, black_scholes_price(s));
}

TEST(OptionSpec, RejectsBadParametersNamingTheParameter) {
    const auto message = [](auto mutate) {
        OptionSpec s;
        mutate(s);
        try {
            s.validate();
        } catch (const tessera::Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message([](OptionSpec& s) { s.volatility = 0; }).find("OptionSpec: volatility"), std::string::npos);
    EXPECT_NE(message([](OptionSpec& s) { s.volatility = -0.1; }).find("OptionSpec: volatility"), std::string::npos);
    EXPECT_NE(message([](OptionSpec& s) { s.spot = -1; }).find("OptionSpec: spot"), std::string::npos);
    EXPECT_NE(message([](OptionSpec& s) { s.maturity = 0; }).find("OptionSpec: maturity"), std::string::npos);
    EXPECT_NE(message([](OptionSpec& s) { s.monitoring = 0; }).find("OptionSpec: monitoring"), std::string::npos);
    EXPECT_EQ(message([](OptionSpec&) {}), "no error");
}
