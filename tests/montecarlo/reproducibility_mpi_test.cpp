// Decomposition independence: every estimator gives the same bits on np ranks x 1 or 2
// threads as on one rank with one thread; EP class S verifies at every layout.
#include <gtest/gtest.h>
#include <omp.h>

#include <bit>
#include <stdexcept>
#include <cstdint>
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
