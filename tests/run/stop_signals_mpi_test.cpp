// Stop signals: a handler only records the signal, and agree_stop gives every rank the same
// decision when only one rank received it.
#include <gtest/gtest.h>

#include <csignal>

#include <tessera/run/signals.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;

TEST(StopSignals, ASignalOnTheLastRankStopsEveryRank) {
    run::StopSignals handlers;
    run::StopSignals::clear();
    EXPECT_FALSE(run::agree_stop(world()).stop());
    if (world().rank() == world().size() - 1) std::raise(SIGUSR1);  // the process survives
    EXPECT_EQ(run::StopSignals::pending(), world().rank() == world().size() - 1 ? SIGUSR1 : 0);
    const auto request = run::agree_stop(world());
    EXPECT_TRUE(request.stop());
    EXPECT_EQ(request.signal, SIGUSR1);
    EXPECT_STREQ(run::signal_name(request.signal), "SIGUSR1");
    run::StopSignals::clear();
}

TEST(StopSignals, TimeLimitAndCheckpointWishesAreCombined) {
    run::StopSignals handlers;
    run::StopSignals::clear();
    const bool last = world().rank() == world().size() - 1;
    auto r = run::agree_stop(world(), false, last);
    EXPECT_FALSE(r.stop());
    EXPECT_TRUE(r.checkpoint);
    r = run::agree_stop(world(), world().rank() == 0, false);
    EXPECT_TRUE(r.stop());
    EXPECT_TRUE(r.time_limit);
    EXPECT_EQ(r.signal, 0);
}
