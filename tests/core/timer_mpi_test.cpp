// Timer report over ranks: min <= avg <= max, call counts, labels some ranks lack, nesting.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <tessera/core/mpi.hpp>
#include <tessera/core/timer.hpp>
#include <tessera/run/summary.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;

TEST(Timers, MinAvgMaxAndCallsOverRanks) {
    const auto& w = world();
    reset_timers();
    {
        ScopedTimer outer("outer");
        // Rank r runs the inner region r + 1 times for (r + 1) ms each.
        for (int c = 0; c <= w.rank(); ++c) {
            ScopedTimer inner("inner");
            std::this_thread::sleep_for(std::chrono::milliseconds(w.rank() + 1));
        }
        if (w.rank() == w.size() - 1) ScopedTimer only_last("only-last");
    }
    const auto stats = timer_report(w);
    ASSERT_EQ(stats.size(), 3u);
    EXPECT_EQ(stats[0].label, "outer");
    EXPECT_EQ(stats[0].depth, 0);
    EXPECT_EQ(stats[1].label, "inner");
    EXPECT_EQ(stats[1].depth, 1);
    EXPECT_EQ(stats[2].label, "only-last");
    for (const auto& s : stats) {
        EXPECT_LE(s.min, s.avg) << s.label;
        EXPECT_LE(s.avg, s.max) << s.label;
        EXPECT_LE(s.calls_min, s.calls_max) << s.label;
    }
    const auto& inner = stats[1];
    EXPECT_EQ(inner.calls_min, 1);
    EXPECT_EQ(inner.calls_max, w.size());
    const double slowest_ms = static_cast<double>(w.size() * w.size());  // p calls of p ms
    EXPECT_GE(inner.max, 1e-3 * slowest_ms);
    EXPECT_GE(inner.min, 1e-3);
    EXPECT_GE(stats[0].max, inner.max);  // inclusive time
    EXPECT_EQ(stats[2].calls_min, w.size() == 1 ? 1 : 0);
    EXPECT_EQ(stats[2].calls_max, 1);

    const auto table = format_timer_table(stats);
    EXPECT_NE(table.find("  inner"), std::string::npos);
    const auto j = run::timers_to_json(stats);
    EXPECT_EQ(j["inner"]["calls"], w.size());
    EXPECT_LE(j["outer"]["min"].get<double>(), j["outer"]["max"].get<double>());
}

TEST(Timers, IgnoredInsideParallelRegions) {
    reset_timers();
#pragma omp parallel num_threads(2)
    { ScopedTimer t("in-region"); }
    const auto stats = timer_report(world());
    EXPECT_TRUE(stats.empty());
}

// The library's MPI waits are timed per calling region, and only there: setup code and the
// reports' own reductions stay out of the reports.
TEST(Timers, LibraryWaitsNestUnderTheirCaller) {
    const auto& w = world();
    reset_timers();
    EXPECT_EQ(mpi::allreduce(w, 1, MPI_SUM), w.size());  // outside any region: not timed
    {
        ScopedTimer work("work");
        if (w.rank() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        EXPECT_EQ(mpi::allreduce(w, 1, MPI_SUM), w.size());
    }
    { ScopedTimer wait("untimed.wait", TimerScope::nested); }  // no region running: nothing
    {
        ScopedTimer other("other");
        EXPECT_EQ(mpi::allreduce(w, 1, MPI_SUM), w.size());
        EXPECT_EQ(mpi::allreduce(w, 1, MPI_SUM), w.size());
    }
    const auto stats = timer_report(w);
    ASSERT_EQ(stats.size(), 4u);
    EXPECT_EQ(stats[0].label, "work");
    EXPECT_EQ(stats[2].label, "other");
    EXPECT_EQ(stats[3].label, "other/allreduce.wait");
    EXPECT_EQ(stats[3].calls_max, 2);
    const auto table = format_timer_table(stats);
    EXPECT_NE(table.find("\n  allreduce.wait"), std::string::npos) << table;
    const auto& wait = stats[1];
    EXPECT_EQ(wait.label, "work/allreduce.wait");
    EXPECT_EQ(wait.depth, 1);
    EXPECT_EQ(wait.calls_min, 1);
    EXPECT_EQ(wait.calls_max, 1);
    EXPECT_EQ(stats[0].messages, w.size());  // one contribution per rank, counted under "work"
    EXPECT_EQ(stats[1].messages, 0);
    if (w.size() > 1) {
        // The ranks that reached the reduction first waited for rank 0's 50 ms; rank 0 did not.
        EXPECT_GE(wait.max, 0.04);
        EXPECT_LT(wait.min, 0.5 * wait.max);
    }
}

// A per-caller region that only some ranks ran is listed under its caller, not at the end.
TEST(Timers, WaitsOnlyOtherRanksHadStayUnderTheirCaller) {
    const auto& w = world();
    reset_timers();
    {
        ScopedTimer outer("outer");
        if (w.rank() == w.size() - 1) ScopedTimer wait("late.wait", TimerScope::nested);
        ScopedTimer inner("inner");
    }
    { ScopedTimer after("after"); }
    const auto stats = timer_report(w);
    ASSERT_EQ(stats.size(), 4u);
    EXPECT_EQ(stats[0].label, "outer");
    EXPECT_EQ(stats[1].label, w.size() == 1 ? "outer/late.wait" : "inner");
    EXPECT_EQ(stats[2].label, w.size() == 1 ? "inner" : "outer/late.wait");
    EXPECT_EQ(stats[2].depth, 1);
    EXPECT_EQ(stats[3].label, "after");
}
