// Counter-based generator: Random123 known answers, the (seed, stream) contract, the unit
// conversions and the moments of uniforms and normals.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>

#include <tessera/montecarlo/estimators.hpp>
#include <tessera/montecarlo/rng.hpp>

using namespace tessera::montecarlo;

// Random123's tests/kat_vectors, the three "philox4x32 10" lines (counter, key, expected).
TEST(Philox, KnownAnswers) {
    using A4 = std::array<std::uint32_t, 4>;
    EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
              (A4{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
    EXPECT_EQ(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
              (A4{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
    EXPECT_EQ(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
              (A4{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

// splitmix64's first outputs from state 0 (Vigna's reference splitmix64.c): 0xE220A8397B1DCDAF,
// then 0x6E789E6AA1B965F4 from state 0x9E3779B97F4A7C15.
TEST(SplitMix64, KnownAnswersAndDerivedSeeds) {
    EXPECT_EQ(splitmix64(0), 0xE220A8397B1DCDAFull);
    EXPECT_EQ(splitmix64(0x9E3779B97F4A7C15ull), 0x6E789E6AA1B965F4ull);
    EXPECT_EQ(derived_seed(2024, 7), splitmix64(splitmix64(2024) ^ 7));
    std::set<std::uint64_t> seen;
    for (std::uint64_t seed = 0; seed < 4; ++seed)
        for (std::uint64_t index = 0; index < 1000; ++index) seen.insert(derived_seed(seed, index));
    EXPECT_EQ(seen.size(), 4000u);  // no two (seed, index) pairs of these share a seed
}

TEST(CounterRng, DrawsAreThePhiloxBlocksOfItsCounter) {
    const std::uint64_t seed = 0x299f31d0a4093822ull, stream = 0x85a308d3243f6a88ull;
    CounterRng rng(seed, stream, 0x13198a2e);
    for (std::uint32_t i = 0; i < 3; ++i) {
        const auto r = philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, i}, {0xa4093822, 0x299f31d0});
        EXPECT_EQ(rng.next_u64(), (std::uint64_t{r[1]} << 32) | r[0]);
        EXPECT_EQ(rng.next_u64(), (std::uint64_t{r[3]} << 32) | r[2]);
    }
    EXPECT_EQ(rng.blocks_drawn(), 3u);
}

TEST(PhiloxFirstWord, MatchesRandom123) {
    // The third published vector, and a sweep of streams, substreams, draws and seeds.
    const auto r = philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0});
    EXPECT_EQ(philox_first_word(0x299f31d0a4093822ull, 0x85a308d3243f6a88ull, 0x13198a2e, 0x03707344),
              (std::uint64_t{r[1]} << 32) | r[0]);
    for (std::uint64_t seed : {0ull, 1ull, 0xffffffffffffffffull, 0x123456789abcdefull})
        for (std::uint64_t stream : {0ull, 7ull, 1ull << 33, 0xfedcba9876543210ull})
            for (std::uint32_t sub : {0u, 1u, 4000000000u}) {
                CounterRng rng(seed, stream, sub);
                const std::uint64_t first = rng.next_u64();
                rng.next_u64();
                const std::uint64_t second_block = rng.next_u64();
                EXPECT_EQ(philox_first_word(seed, stream, sub), first);
                EXPECT_EQ(philox_first_word(seed, stream, sub, 1), second_block);
            }
}

TEST(CounterRng, StreamsAreReproducibleAndDistinct) {
    CounterRng a(7, 42), b(7, 42), c(7, 43), d(8, 42), e(7, 42, 1);
    const double x = a.uniform();
    EXPECT_EQ(x, b.uniform());
    EXPECT_NE(x, c.uniform());
    EXPECT_NE(x, d.uniform());
    EXPECT_NE(x, e.uniform());
}

TEST(UnitConversions, RangeAndResolution) {
    EXPECT_EQ(to_unit_closed_open(0), 0.0);
    EXPECT_EQ(to_unit_closed_open(~0ull), 1.0 - 0x1p-53);
    EXPECT_LT(to_unit_closed_open(~0ull), 1.0);
    EXPECT_EQ(to_unit_closed_open(1ull << 11), 0x1p-53);  // 53 bits used
    EXPECT_EQ(to_unit_open(0), 0x1p-53);
    EXPECT_EQ(to_unit_open(~0ull), 1.0 - 0x1p-53);
    EXPECT_GT(to_unit_open(0), 0.0);
    EXPECT_LT(to_unit_open(~0ull), 1.0);
}

TEST(CounterRng, UniformMoments) {
    // Mean 1/2, variance 1/12; with n = 2^18 the mean's standard error is 5.6e-4.
    const int n = 1 << 18;
    Moments m, m_open;
    double lowest = 1.0;
    for (int s = 0; s < n / 4; ++s) {
        CounterRng rng(2024, static_cast<std::uint64_t>(s));
        for (int k = 0; k < 2; ++k) {
            const double u = rng.uniform(), v = rng.uniform_open();
            ASSERT_GE(u, 0.0);
            ASSERT_LT(u, 1.0);
            ASSERT_GT(v, 0.0);
            ASSERT_LT(v, 1.0);
            lowest = std::min(lowest, u);
            m.add(u);
            m_open.add(v);
        }
    }
    const auto e = Estimate::from_moments(m);
    EXPECT_LT(e.distance(0.5), 5.0);
    EXPECT_NEAR(e.variance, 1.0 / 12.0, 1e-3);
    EXPECT_LT(Estimate::from_moments(m_open).distance(0.5), 5.0);
    EXPECT_LT(lowest, 1e-3);
}

TEST(CounterRng, NormalMoments) {
    const int n = 1 << 17;
    Moments m1, m2, m3, m4;
    int beyond2 = 0;
    for (int s = 0; s < n / 2; ++s) {
        CounterRng rng(99, static_cast<std::uint64_t>(s));
        for (int k = 0; k < 2; ++k) {
            const double z = rng.normal();
            ASSERT_TRUE(std::isfinite(z));
            m1.add(z);
            m2.add(z * z);
            m3.add(z * z * z);
            m4.add(z * z * z * z);
            beyond2 += std::abs(z) > 2.0;
        }
    }
    EXPECT_LT(Estimate::from_moments(m1).distance(0.0), 5.0);
    EXPECT_LT(Estimate::from_moments(m2).distance(1.0), 5.0);
    EXPECT_LT(Estimate::from_moments(m3).distance(0.0), 5.0);
    EXPECT_LT(Estimate::from_moments(m4).distance(3.0), 5.0);
    // P(|Z| > 2) = 0.0455: a tail check that a wrong transform would fail.
    const double p = 0.04550026389635842, se = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(beyond2 / double(n), p, 5 * se);
}
