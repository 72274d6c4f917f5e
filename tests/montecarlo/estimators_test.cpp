// Moments, estimates, batch means and convergence tables on distributions with known answers.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include <tessera/core/error.hpp>
#include <tessera/montecarlo/blocks.hpp>
#include <tessera/montecarlo/estimators.hpp>
#include <tessera/montecarlo/rng.hpp>

using namespace tessera::montecarlo;
using tessera::gindex_t;

TEST(Moments, ExactOnSmallData) {
    Moments m;
    for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) m.add(x);
    EXPECT_EQ(m.count, 8.0);
    EXPECT_DOUBLE_EQ(m.mean, 5.0);
    EXPECT_DOUBLE_EQ(m.variance(), 32.0 / 7.0);
    const auto e = Estimate::from_moments(m);
    EXPECT_DOUBLE_EQ(e.std_error, std::sqrt(32.0 / 7.0 / 8.0));
    EXPECT_DOUBLE_EQ(e.ci_high - e.value, 1.959963984540054 * e.std_error);
    EXPECT_DOUBLE_EQ(e.value - e.ci_low, e.ci_high - e.value);
}

TEST(Moments, MergeEqualsSequential) {
    Moments all, left, right;
    for (int i = 0; i < 1000; ++i) {
        const double x = std::sin(i) * 10 + i * 0.01;
        all.add(x);
        (i < 377 ? left : right).add(x);
    }
    Moments merged = left;
    merged.merge(right);
    EXPECT_EQ(merged.count, all.count);
    EXPECT_NEAR(merged.mean, all.mean, 1e-12);
    EXPECT_NEAR(merged.variance(), all.variance(), 1e-10);
    Moments empty;
    empty.merge(left);
    EXPECT_EQ(empty.mean, left.mean);
}

TEST(Estimate, ExponentialMeanCoveredByInterval) {
    // Exp(1): mean 1, variance 1. Over 200 independent runs the 95% interval should cover
    // the true mean about 190 times (binomial sd 3.1).
    int covered = 0;
    for (int run = 0; run < 200; ++run) {
        Moments m;
        for (int s = 0; s < 500; ++s) {
            CounterRng rng(5, static_cast<std::uint64_t>(run * 500 + s));
            m.add(-std::log(rng.uniform_open()));
        }
        const auto e = Estimate::from_moments(m);
        covered += (e.ci_low <= 1.0 && 1.0 <= e.ci_high);
        EXPECT_NEAR(e.variance, 1.0, 0.5);
    }
    EXPECT_GE(covered, 178);
    EXPECT_LE(covered, 199);
}

TEST(Estimate, DistanceAndScale) {
    Estimate e;
    e.value = 3.0;
    e.std_error = 0.5;
    EXPECT_DOUBLE_EQ(e.distance(2.0), 2.0);
    const auto s = e.scaled(-2.0);
    EXPECT_DOUBLE_EQ(s.value, -6.0);
    EXPECT_DOUBLE_EQ(s.std_error, 1.0);
    EXPECT_DOUBLE_EQ(s.ci_low, -6.0 - 1.959963984540054);
    Estimate exact;
    exact.value = 1.0;
    EXPECT_EQ(exact.distance(1.0), 0.0);
    EXPECT_TRUE(std::isinf(exact.distance(2.0)));
}

TEST(BatchMeans, AR1ChainErrorMatchesTheory) {
    // AR(1) x_t = phi x_{t-1} + e_t, e ~ N(0, 1): the variance of the mean of n values is
    // about (1 / (1 - phi)^2) / n, far above the naive 1 / ((1 - phi^2) n).
    const double phi = 0.9;
    const int n = 1 << 18;
    std::vector<double> x(n);
    CounterRng rng(11, 0);
    double v = 0.0;
    for (int t = 0; t < n; ++t) x[t] = v = phi * v + rng.normal();
    const auto bm = batch_means(x, 32);
    const double expected = std::sqrt(1.0 / ((1 - phi) * (1 - phi)) / n);
    EXPECT_GT(bm.std_error, 0.6 * expected);
    EXPECT_LT(bm.std_error, 1.5 * expected);
    Moments naive;
    for (double xi : x) naive.add(xi);
    EXPECT_GT(bm.std_error, 3.0 * Estimate::from_moments(naive).std_error);
    EXPECT_NEAR(bm.value, naive.mean, 1e-9);
    EXPECT_EQ(bm.samples, 32.0);
}

TEST(BatchMeans, RejectsTooFewValues) {
    std::vector<double> x(5, 1.0);
    EXPECT_THROW(batch_means(x, 1), tessera::Error);
    EXPECT_THROW(batch_means(x, 6), tessera::Error);
    const auto e = batch_means(x, 5);
    EXPECT_EQ(e.value, 1.0);
    EXPECT_EQ(e.std_error, 0.0);
}

TEST(BlockPlan, CutsSamplesIntoBlocks) {
    BlockPlan p(10'000, 4096);
    EXPECT_EQ(p.blocks(), 3);
    EXPECT_EQ(p.begin(2), 8192);
    EXPECT_EQ(p.end(2), 10'000);
    for (int size : {1, 2, 3, 4}) {
        gindex_t next = 0;
        for (int r = 0; r < size; ++r) {
            const auto [lo, hi] = p.owned(r, size);
            EXPECT_EQ(lo, next);
            next = hi;
        }
        EXPECT_EQ(next, 3);
    }
    EXPECT_EQ(BlockPlan::for_samples(100).block_size(), 4096);
    EXPECT_LE(BlockPlan::for_samples(gindex_t{1} << 40).blocks(), gindex_t{1} << 20);
    EXPECT_THROW(BlockPlan(0, 10), tessera::Error);
    EXPECT_THROW(BlockPlan(-5, 10), tessera::Error);
}

TEST(BlockPlan, CountsBlocksNearTheLargestSampleCount) {
    // samples + block_size - 1 overflowed here: tessera-mc pi --samples 9223372036854775807
    // died allocating a vector of a negative number of blocks.
    const gindex_t max = std::numeric_limits<gindex_t>::max();
    const auto p = BlockPlan::for_samples(max);
    const gindex_t nb = p.blocks();
    EXPECT_GT(nb, 0);
    EXPECT_LE(nb, gindex_t{1} << 20);
    EXPECT_EQ(p.end(nb - 1), max);
    EXPECT_EQ(p.end(nb - 2), p.begin(nb - 1));
    const BlockPlan sevens(max - 6, 7);  // 2^63 - 7 = 7 q + 1: a last block of one sample
    EXPECT_EQ(sevens.blocks(), (max - 6) / 7 + 1);
    EXPECT_EQ(sevens.end(sevens.blocks() - 1), max - 6);
    EXPECT_EQ(sevens.end(sevens.blocks() - 1) - sevens.begin(sevens.blocks() - 1), 1);
}

TEST(Convergence, ErrorFallsAsInverseSqrtN) {
    // Uniform samples in blocks of 64: rows at N, N/4, N/16, ... have errors about 2x apart.
    const int nblocks = 4096, block = 64;
    std::vector<Moments> blocks(nblocks);
    for (int b = 0; b < nblocks; ++b)
        for (int s = 0; s < block; ++s)
            blocks[b].add(CounterRng(3, static_cast<std::uint64_t>(b * block + s)).uniform());
    const auto table = convergence_table(blocks, 1, 0, 5);
    ASSERT_EQ(table.size(), 5u);
    EXPECT_EQ(table.back().samples, nblocks * block);
    for (std::size_t i = 1; i < table.size(); ++i) {
        EXPECT_EQ(table[i].samples, 4 * table[i - 1].samples);
        const double ratio = table[i - 1].estimate.std_error / table[i].estimate.std_error;
        EXPECT_NEAR(ratio, 2.0, 0.1);
    }
    for (const auto& row : table) EXPECT_LT(row.estimate.distance(0.5), 5.0);
}
