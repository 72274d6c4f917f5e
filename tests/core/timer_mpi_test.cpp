// Timer report over ranks: min <= avg <= max, call counts, labels some ranks lack, nesting.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

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
