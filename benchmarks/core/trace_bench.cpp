// The cost of one timed region (ScopedTimer) and of one thread share (trace::ThreadRegion),
// with tracing off and on and with profiler hooks that do nothing attached, beside the floor:
// the two clock readings every timed region takes.
//   build/bin/bench_trace [regions per repetition, default 2000000]
// Prints nanoseconds per region (median of 7 interleaved repetitions). Multiply by the regions
// an app opens per step (its timer table's calls / steps) and divide by its step time for the
// overhead on that app (docs/performance.md, "Tracing overhead").
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/core/runtime.hpp"
#include "tessera/core/timer.hpp"
#include "tessera/core/trace.hpp"

namespace {

using namespace tessera;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Nanoseconds per call of `body` over `n` calls; the trace is cleared every `chunk` calls so
// that its buffer never fills (a full buffer would drop events and measure the cheaper path).
template <class F>
double per_call_ns(long n, F&& body) {
    constexpr long chunk = 100000;  // 2 events each: 200k of the buffer's 2^20
    const double t0 = trace::clock();
    for (long done = 0; done < n;) {
        const long m = std::min(chunk, n - done);
        for (long i = 0; i < m; ++i) body();
        done += m;
        trace::clear();
    }
    return (trace::clock() - t0) / static_cast<double>(n) * 1e9;
}

// Hooks that only count, standing in for a profiler's annotation calls.
long hook_calls = 0;
void count_call(const char*) { ++hook_calls; }
const trace::ProfilerHooks counting_hooks{count_call, count_call};

}  // namespace

int main(int argc, char** argv) {
    Runtime rt(argc, argv);
    return run_guarded(rt, [&] {
        const long n = argc > 1 ? std::atol(argv[1]) : 2000000;
        const auto& comm = rt.world();
        const std::int32_t share = trace::intern("bench.share", trace::RegionKind::thread);
        volatile double sink = 0;
        std::vector<double> clock_ns, timer_off, timer_on, share_off, share_on, timer_hooks;
        for (int rep = 0; rep < 7; ++rep) {
            clock_ns.push_back(per_call_ns(n, [&] { sink = sink + trace::clock(); }));
            timer_off.push_back(per_call_ns(n, [] { ScopedTimer t("bench.region"); }));
            share_off.push_back(per_call_ns(n, [&] { trace::ThreadRegion r(share); }));
            trace::set_profiler_hooks(&counting_hooks);
            timer_hooks.push_back(per_call_ns(n, [] { ScopedTimer t("bench.region"); }));
            trace::set_profiler_hooks(nullptr);
            trace::enable(comm);
            timer_on.push_back(per_call_ns(n, [] { ScopedTimer t("bench.region"); }));
            share_on.push_back(per_call_ns(n, [&] { trace::ThreadRegion r(share); }));
            if (trace::dropped() != 0) throw std::runtime_error("bench_trace: events were dropped");
            trace::disable();
            reset_timers();
        }
        if (comm.rank() == 0) {
            const double floor = 2 * median(clock_ns);
            std::printf("clock read (steady_clock):     %7.1f ns; a timed region reads it twice: floor %.1f ns\n",
                        median(clock_ns), floor);
            std::printf("ScopedTimer, tracing off:      %7.1f ns per region (%.2f x the floor)\n", median(timer_off),
                        median(timer_off) / floor);
            std::printf("ScopedTimer, tracing on:       %7.1f ns per region (%.2f x the floor)\n", median(timer_on),
                        median(timer_on) / floor);
            std::printf("ScopedTimer, no-op hooks:      %7.1f ns per region (%.2f x the floor; tracing off)\n",
                        median(timer_hooks), median(timer_hooks) / floor);
            std::printf("ThreadRegion, tracing off:     %7.1f ns per share (one branch)\n", median(share_off));
            std::printf("ThreadRegion, tracing on:      %7.1f ns per share (%.2f x the floor)\n", median(share_on),
                        median(share_on) / floor);
            std::printf("(median of 7 repetitions of %ld regions each; %ld hook calls)\n", n, hook_calls);
        }
        return 0;
    });
}
