// ExactSum: exactness against known sums, correct rounding, and order independence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <tessera/core/exact_sum.hpp>

using tessera::ExactSum;

namespace {

double exact_sum(const std::vector<double>& v) {
    ExactSum s;
    for (double x : v) s.add(x);
    return s.round();
}

std::vector<double> random_values(std::size_t n, unsigned seed, double spread) {
    std::mt19937_64 gen(seed);
    std::uniform_real_distribution<double> mant(-1.0, 1.0);
    std::uniform_real_distribution<double> expo(-spread, spread);
    std::vector<double> v(n);
    for (auto& x : v) x = std::ldexp(mant(gen), static_cast<int>(expo(gen)));
    return v;
}

}  // namespace

TEST(ExactSum, EmptyAndZerosAreZero) {
    EXPECT_EQ(ExactSum{}.round(), 0.0);
    EXPECT_EQ(exact_sum({0.0, -0.0, 0.0}), 0.0);
}

TEST(ExactSum, CancellationThatPlainSumsGetWrong) {
    EXPECT_EQ(exact_sum({1e100, 1.0, -1e100}), 1.0);
    EXPECT_EQ(exact_sum({1.0, 1e300, 1e-300, -1e300, -1.0}), 1e-300);
    // The exact sum of the doubles nearest 0.1, 0.2 and -0.3 is 2^-55; long double holds it.
    const long double ld = static_cast<long double>(0.1) + static_cast<long double>(0.2) -
                           static_cast<long double>(0.3);
    EXPECT_EQ(exact_sum({0.1, 0.2, -0.3}), static_cast<double>(ld));
    EXPECT_EQ(exact_sum({0.1, 0.2, -0.3}), std::ldexp(1.0, -55));
}

TEST(ExactSum, RoundsToNearestTiesToEven) {
    const double u = std::ldexp(1.0, -53);  // half an ulp of 1
    EXPECT_EQ(exact_sum({1.0, u}), 1.0);                           // tie, 1 is even
    EXPECT_EQ(exact_sum({1.0, u, std::ldexp(1.0, -200)}), std::nextafter(1.0, 2.0));  // above the tie
    const double odd = std::nextafter(1.0, 2.0);
    EXPECT_EQ(exact_sum({odd, u}), std::nextafter(odd, 2.0));      // tie, rounds to even
    EXPECT_EQ(exact_sum({1.0, -std::ldexp(1.0, -54)}), 1.0 - std::ldexp(1.0, -54));  // exact
}

TEST(ExactSum, SubnormalsAndExtremes) {
    const double tiny = std::numeric_limits<double>::denorm_min();
    EXPECT_EQ(exact_sum({tiny, tiny, tiny}), 3 * tiny);
    EXPECT_EQ(exact_sum({std::numeric_limits<double>::min(), -tiny}),
              std::numeric_limits<double>::min() - tiny);
    const double big = std::numeric_limits<double>::max();
    EXPECT_EQ(exact_sum({big, big, -big}), big);  // the intermediate exceeds the double range
    EXPECT_EQ(exact_sum({big, big}), std::numeric_limits<double>::infinity());
    EXPECT_EQ(exact_sum({-big, -big}), -std::numeric_limits<double>::infinity());
}

TEST(ExactSum, SpecialValues) {
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(exact_sum({1.0, inf}), inf);
    EXPECT_EQ(exact_sum({-inf, 1.0}), -inf);
    EXPECT_TRUE(std::isnan(exact_sum({inf, -inf})));
    EXPECT_TRUE(std::isnan(exact_sum({1.0, std::nan("")})));
}

TEST(ExactSum, MatchesLongDoubleOnWellConditionedData) {
    // Positive values within 2^+-20: the long double (64-bit mantissa) ordered sum of 10^4 of
    // them is exact, so the correctly rounded result must equal its rounding.
    std::mt19937_64 gen(7);
    std::uniform_int_distribution<long> m(1, (1L << 30));
    std::vector<double> v(10000);
    long double ref = 0;
    for (auto& x : v) {
        x = std::ldexp(static_cast<double>(m(gen)), -20);
        ref += x;
    }
    EXPECT_EQ(exact_sum(v), static_cast<double>(ref));
}

TEST(ExactSum, PermutationsGiveIdenticalBits) {
    auto v = random_values(5000, 11, 600.0);
    // Add exact cancellation partners so the result is small and order-sensitive in floating
    // point: sum = the sum of a few small values.
    const std::size_t n = v.size();
    for (std::size_t i = 0; i < n; ++i) v.push_back(-v[i]);
    v.push_back(0.5);
    v.push_back(std::ldexp(1.0, -70));
    const double reference = exact_sum(v);
    EXPECT_EQ(reference, 0.5);  // 2^-70 is below half an ulp of 0.5
    std::mt19937_64 gen(3);
    double naive_spread = 0;
    for (int trial = 0; trial < 5; ++trial) {
        std::shuffle(v.begin(), v.end(), gen);
        EXPECT_EQ(exact_sum(v), reference);
        double naive = 0;
        for (double x : v) naive += x;
        naive_spread = std::max(naive_spread, std::abs(naive - reference));
    }
    EXPECT_GT(naive_spread, 0.0) << "the data should defeat an ordinary sum";
}

TEST(ExactSum, MergingPartialAccumulatorsIsExact) {
    const auto v = random_values(3000, 5, 300.0);
    const double whole = exact_sum(v);
    for (std::size_t parts : {2u, 3u, 7u}) {
        ExactSum total;
        for (std::size_t p = 0; p < parts; ++p) {
            ExactSum s;
            for (std::size_t i = p; i < v.size(); i += parts) s.add(v[i]);
            total.add(s);
        }
        EXPECT_EQ(total.round(), whole) << parts << " parts";
    }
}

TEST(ExactSum, LongAlternatingSumCarriesCorrectly) {
    // 3 * 2^20 additions with alternating signs drive limbs negative and positive; the
    // long double reference is exact (x has 41 significant bits).
    ExactSum s;
    const double x = 1.0 + std::ldexp(1.0, -40);
    const long n = 3L << 20;
    for (long i = 0; i < n; ++i) s.add(i % 2 ? x : -0.25 * x);
    const long double ref = static_cast<long double>(x) * (n / 2) - 0.25L * x * (n / 2);
    EXPECT_EQ(s.round(), static_cast<double>(ref));
}
