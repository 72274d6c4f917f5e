// Profiler hooks (trace::ProfilerHooks): every timer region and every thread's share reaches
// an outside profiler's begin/end, properly nested and on the thread that ran it, with or
// without the trace; nothing once detached. The likwid backend: core.likwid_hooks.
#include <gtest/gtest.h>

#include <omp.h>

#include <mutex>
#include <string>
#include <vector>

#include <tessera/core/timer.hpp>
#include <tessera/core/trace.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;

namespace {
struct Call {
    std::string what;  // "+label" for a begin, "-label" for an end
    int thread;
};
std::mutex calls_mutex;
std::vector<Call> calls;

void on_begin(const char* label) {
    const std::lock_guard lock(calls_mutex);
    calls.push_back({std::string("+") + label, omp_get_thread_num()});
}
void on_end(const char* label) {
    const std::lock_guard lock(calls_mutex);
    calls.push_back({std::string("-") + label, omp_get_thread_num()});
}
const trace::ProfilerHooks mock{on_begin, on_end};

std::vector<std::string> on_thread(int thread) {
    std::vector<std::string> out;
    for (const auto& c : calls)
        if (c.thread == thread) out.push_back(c.what);
    return out;
}

void run_regions(std::int32_t share) {
    ScopedTimer outer("outer");
    {
        ScopedTimer inner("inner.wait");
    }
#pragma omp parallel num_threads(2)
    {
        const trace::ThreadRegion traced(share);
        ScopedTimer ignored("in-parallel");  // timers do nothing inside parallel regions
    }
}
}  // namespace

TEST(ProfilerHooks, SeeEveryRegionNestedOnItsThread) {
    for (const bool tracing : {false, true}) {
        SCOPED_TRACE(tracing ? "with the trace on" : "with the trace off");
        reset_timers();
        if (tracing) trace::enable(world());
        const auto share = trace::intern("test.share", trace::RegionKind::thread);
        calls.clear();
        trace::set_profiler_hooks(&mock);
        EXPECT_TRUE(trace::watched());
        run_regions(share);
        trace::set_profiler_hooks(nullptr);
        EXPECT_EQ(trace::watched(), tracing);
        run_regions(share);  // detached: the hooks hear nothing more

        const std::vector<std::string> main_thread{"+outer", "+inner.wait", "-inner.wait", "+test.share",
                                                   "-test.share", "-outer"};
        EXPECT_EQ(on_thread(0), main_thread);
        const int team = static_cast<int>(on_thread(1).empty() ? 1 : 2);  // a team may be smaller
        if (team == 2) {
            EXPECT_EQ(on_thread(1), (std::vector<std::string>{"+test.share", "-test.share"}));
        }
        EXPECT_EQ(calls.size(), main_thread.size() + 2u * static_cast<std::size_t>(team - 1));
        if (tracing) {
            // The trace saw the same regions, twice (hooks attached and not).
            EXPECT_EQ(trace::events(0).size(), 2u * 2u * 3u);
            trace::disable();
        }
    }
}

TEST(ProfilerHooks, OffMeansUnwatched) {
    trace::set_profiler_hooks(nullptr);
    EXPECT_FALSE(trace::enabled());
    EXPECT_FALSE(trace::watched());
}
