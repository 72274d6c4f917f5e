// Decomposition independence: every estimator gives the same bits on np ranks x 1 or 2
// threads as on one rank with one thread; EP class S verifies at every layout.
#include <gtest/gtest.h>
#include <omp.h>

#include <bit>
#include <stdexcept>
#include <cstdint>
#include <memory>
#include <vector>

#include <tessera/core/error.hpp>
#include <tessera/montecarlo/blocks.hpp>
#include <tessera/montecarlo/ep.hpp>
#include <tessera/montecarlo/pi.hpp>
#include <tessera/montecarlo/pricing.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using namespace tessera::montecarlo;
using tessera::testing::world;

namespace {

// Runs `f(comm)` on this rank alone with one thread: the serial reference.
template <class F>
auto serial(F&& f) {
    const auto self = world().split(world().rank(), 0);
    omp_set_num_threads(1);
    return f(self);
}

std::vector<std::uint64_t> bits(const BlockResults& r) {
    std::vector<std::uint64_t> out;
    for (const auto& m : r.blocks) {
        out.push_back(std::bit_cast<std::uint64_t>(m.count));
        out.push_back(std::bit_cast<std::uint64_t>(m.mean));
        out.push_back(std::bit_cast<std::uint64_t>(m.m2));
    }
    for (int q = 0; q < r.nq; ++q) {
        const auto e = r.estimate(q);
        out.push_back(std::bit_cast<std::uint64_t>(e.value));
        out.push_back(std::bit_cast<std::uint64_t>(e.std_error));
    }
    return out;
}

// Compares the serial reference with the world run at 1 and 2 threads per rank.
template <class F>
void expect_layout_independent(F&& run) {
    const auto ref = bits(serial(run));
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        EXPECT_EQ(bits(run(world())), ref) << world().size() << " ranks x " << threads << " threads";
    }
}

}  // namespace

TEST(Reproducible, Pi) {
    // 5 blocks of 4096 and a short one: uneven over 2 and 4 ranks.
    expect_layout_independent([](const mpi::Comm& c) { return estimate_pi(c, 5 * 4096 + 123, 42); });
    const auto r = estimate_pi(world(), 5 * 4096 + 123, 42);
    EXPECT_LT(r.estimate(0).distance(3.141592653589793), 4.0);
}

TEST(Reproducible, EuropeanAndAsianOptions) {
    OptionSpec european;
    european.antithetic = true;
    expect_layout_independent([&](const mpi::Comm& c) { return price_option(c, european, 3 * 4096 + 7, 9); });
    OptionSpec asian;
    asian.style = OptionStyle::asian;
    asian.payoff = Payoff::put;
    asian.monitoring = 8;
    expect_layout_independent([&](const mpi::Comm& c) { return price_option(c, asian, 2 * 4096 + 1, 9); });
}

TEST(Reproducible, EpSums) {
    const auto bits_of = [](const EpResult& r) {
        return std::vector<std::uint64_t>{std::bit_cast<std::uint64_t>(r.tally.sx),
                                          std::bit_cast<std::uint64_t>(r.tally.sy)};
    };
    const auto ref = serial([](const mpi::Comm& c) { return ep_run(c, 20); });
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        const auto r = ep_run(world(), 20);
        EXPECT_EQ(bits_of(r), bits_of(ref)) << threads << " threads";
        EXPECT_EQ(r.tally.q, ref.tally.q);
    }
}

TEST(Ep, ClassSVerifiesAtEveryLayout) {
    const auto cls = *ep_class('S');
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        const auto r = ep_run(world(), cls.m);
        const auto v = ep_verify(r, cls);
        EXPECT_TRUE(v.passed) << "sx " << r.tally.sx << " sy " << r.tally.sy;
        EXPECT_TRUE(v.counts_checked);
        EXPECT_EQ(r.tally.q, *cls.counts);
        EXPECT_LE(v.sx_rel_error, 1e-8);
        EXPECT_LE(v.sy_rel_error, 1e-8);
    }
}

TEST(RunBlocks, KernelFailureOnOneRankReachesEveryRank) {
    // Rank 0 owns block 0; its kernel throws there. Every rank must throw (none hangs in the gather).
    const BlockPlan plan(8 * 100, 100);
    omp_set_num_threads(2);
    try {
        run_blocks(world(), plan, 1, [](gindex_t first, gindex_t, std::span<Moments>) {
            if (first == 0) throw std::runtime_error("block 0 failed");
        });
        ADD_FAILURE() << "no exception";
    } catch (const CollectiveError& e) {
        EXPECT_EQ(e.exit_code(), 1);
        EXPECT_EQ(e.failing_rank(), 0);
        EXPECT_STREQ(e.what(), "block 0 failed");
    }
}

namespace {
// Stops a run after `n` waves.
Waves stop_after(gindex_t size, int n) {
    auto calls = std::make_shared<int>(0);
    return {size, [calls, n] { return ++*calls < n; }};
}
}  // namespace

TEST(Resumable, BlockRunsCutIntoWavesAndContinuedElsewhereKeepTheirBits) {
    // Cut on the world layout after 2 waves of 3 blocks, continued from a copy of the state
    // (what a checkpoint holds) on one rank, or on the world in waves of 2: the bits of the
    // uninterrupted serial run.
    const gindex_t samples = 11 * 4096 + 5;
    const auto ref = bits(serial([&](const mpi::Comm& c) { return estimate_pi(c, samples, 42); }));
    omp_set_num_threads(2);
    auto cut = pi_start(samples);
    continue_pi(world(), 42, cut, stop_after(3, 2));
    EXPECT_EQ(cut.done(), 6);
    EXPECT_FALSE(cut.complete());
    auto here = cut;
    continue_pi(world(), 42, here, {2, {}});
    EXPECT_EQ(bits(here), ref);
    EXPECT_EQ(bits(serial([&](const mpi::Comm& c) {
                  auto there = cut;
                  continue_pi(c, 42, there);
                  return there;
              })),
              ref);

    OptionSpec asian;
    asian.style = OptionStyle::asian;
    asian.monitoring = 5;
    asian.antithetic = true;
    const auto oref = bits(serial([&](const mpi::Comm& c) { return price_option(c, asian, 7 * 4096 + 1, 9); }));
    auto ocut = option_start(7 * 4096 + 1);
    continue_option(world(), asian, 9, ocut, stop_after(2, 1));
    EXPECT_EQ(ocut.done(), 2);
    EXPECT_EQ(bits(serial([&](const mpi::Comm& c) {
                  auto there = ocut;
                  continue_option(c, asian, 9, there, {3, {}});
                  return there;
              })),
              oref);

    // A state that is not whole blocks of the plan is refused.
    auto bad = pi_start(samples);
    bad.blocks.resize(13);
    EXPECT_THROW(continue_pi(world(), 42, bad), tessera::Error);
}

TEST(Resumable, EpCutIntoWavesKeepsItsBits) {
    const auto ref = serial([](const mpi::Comm& c) { return ep_run(c, 20); });
    omp_set_num_threads(2);
    EpResult cut;
    cut.m = 20;
    continue_ep(world(), cut, stop_after(5, 1));
    EXPECT_EQ(cut.done, 5);
    const auto resumed = serial([&](const mpi::Comm& c) {
        auto there = cut;
        continue_ep(c, there, {3, {}});
        return there;
    });
    EXPECT_TRUE(resumed.complete());
    EXPECT_EQ(std::bit_cast<std::uint64_t>(resumed.tally.sx), std::bit_cast<std::uint64_t>(ref.tally.sx));
    EXPECT_EQ(std::bit_cast<std::uint64_t>(resumed.tally.sy), std::bit_cast<std::uint64_t>(ref.tally.sy));
    EXPECT_EQ(resumed.tally.q, ref.tally.q);
    EXPECT_EQ(resumed.timed, 16);  // the copy carries the 5 batches timed before the cut
}
