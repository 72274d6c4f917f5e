// Onsager's exact results against independent expansions, and batch-means fluctuation estimates.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include <tessera/core/error.hpp>
#include <tessera/montecarlo/ising.hpp>
#include <tessera/montecarlo/rng.hpp>

using namespace tessera::montecarlo;

TEST(Onsager, CriticalTemperature) {
    EXPECT_NEAR(onsager_critical_temperature(), 2.269185314213022, 1e-14);
    EXPECT_EQ(onsager_magnetization(onsager_critical_temperature()), 0.0);
    EXPECT_EQ(onsager_magnetization(3.5), 0.0);
    EXPECT_NEAR(onsager_energy(onsager_critical_temperature()), -std::sqrt(2.0), 1e-12);
    // Continuous through Tc (the elliptic integral diverges, its factor vanishes).
    EXPECT_NEAR(onsager_energy(onsager_critical_temperature() * (1 + 1e-7)), -std::sqrt(2.0), 1e-4);
    EXPECT_NEAR(onsager_energy(onsager_critical_temperature() * (1 - 1e-7)), -std::sqrt(2.0), 1e-4);
}

TEST(Onsager, LowTemperatureExpansion) {
    // M = 1 - 2x^4 - 8x^6 - 34x^8 - ..., x = exp(-2/T); E = -2 + 8x^4 + ... (Domb).
    const double x = std::exp(-2.0 / 1.0);
    EXPECT_NEAR(onsager_magnetization(1.0), 1 - 2 * std::pow(x, 4) - 8 * std::pow(x, 6), 5e-6);
    EXPECT_NEAR(onsager_energy(0.5), -2.0 + 8 * std::pow(std::exp(-4.0), 4), 1e-9);
    EXPECT_GT(onsager_magnetization(2.2), 0.0);
    EXPECT_LT(onsager_magnetization(2.2), onsager_magnetization(1.5));
}

TEST(Onsager, HighTemperatureExpansion) {
    // -beta F / N = ln 2 + 2 ln cosh b + t^4 + ..., t = tanh b: E = -2t - 4t^3 (1 - t^2) - ...
    const double t = std::tanh(0.01);
    EXPECT_NEAR(onsager_energy(100.0), -2 * t - 4 * t * t * t * (1 - t * t), 1e-8);
}

TEST(Onsager, RejectsNonPositiveTemperature) {
    EXPECT_THROW(onsager_energy(0.0), tessera::Error);
    EXPECT_THROW(onsager_magnetization(-1.0), tessera::Error);
}

TEST(IsingEstimates, FluctuationsOfIndependentSeries) {
    // Independent normal series: C = N var(e) / T^2 and chi = N var(m) / T with known variances.
    const int n = 20000;
    std::vector<double> e(n), m(n);
    for (int t = 0; t < n; ++t) {
        CounterRng rng(1, static_cast<std::uint64_t>(t));
        e[t] = -1.5 + 0.01 * rng.normal();
        m[t] = 0.9 + 0.02 * rng.normal();
    }
    const auto r = ising_estimates(e, m, 100, 2.0, 20);
    EXPECT_LT(r.energy.distance(-1.5), 4.0);
    EXPECT_LT(r.abs_magnetization.distance(0.9), 4.0);
    EXPECT_LT(r.specific_heat.distance(100 * 1e-4 / 4.0), 4.0);
    EXPECT_LT(r.susceptibility.distance(100 * 4e-4 / 2.0), 4.0);
    EXPECT_GT(r.specific_heat.std_error, 0.0);
}
