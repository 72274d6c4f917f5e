// Region tracing: when enabled, every ScopedTimer begin and end is recorded as an event in a
// preallocated per-thread buffer, and gather() brings the events of all ranks to one rank
// with their clocks aligned to rank 0's. The file formats live in io (trace_writer.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/mpi.hpp"

namespace tessera::trace {

/// The clock of the region timers and of trace events: seconds of std::chrono::steady_clock.
double clock() noexcept;

/// What a region is, for the pictures and the reports: work on the rank's main thread, time
/// blocked in MPI (a label whose last component is "wait", e.g. "grid.halo.wait"), or one
/// OpenMP thread's share of a parallel region (ThreadRegion).
enum class RegionKind : std::uint8_t { region, wait, thread };

/// One recorded event: region `region` (an id from intern()) begins or ends at `time`.
/// Trivial on purpose: buffers are allocated without being written, so an unused buffer costs
/// address space, not memory.
struct Event {
    double time;          ///< seconds on this rank's clock()
    std::int32_t region;  ///< index into the label table
    std::int32_t end;     ///< 0: begin, 1: end
};

/// The annotation API of an outside profiler (likwid's marker API, Intel ITT, NVTX, ...):
/// called with the label at every region's begin and end, on the thread that runs it.
/// ScopedTimer regions arrive on the thread outside parallel regions, properly nested;
/// ThreadRegion shares arrive on every thread of a team at once, so the callbacks must be
/// thread-safe. A label is valid during the call (copy it to keep it).
struct ProfilerHooks {
    void (*begin)(const char* label) = nullptr;
    void (*end)(const char* label) = nullptr;
};

namespace detail {
// Read on every ScopedTimer and ThreadRegion: one predictable branch while neither the trace
// nor profiler hooks watch (bit 0: tracing, bit 1: hooks).
extern unsigned char watchers;
inline constexpr unsigned char tracing_bit = 1, hooks_bit = 2;
// The out-of-line half of a region's begin or end once someone watches: records it (tracing)
// and calls the hooks. `time` is the clock() reading of the timer, or < 0 to read it here.
void region_event(std::int32_t region, bool end, double time) noexcept;
}  // namespace detail

/// Local: whether events are being recorded.
inline bool enabled() noexcept { return (detail::watchers & detail::tracing_bit) != 0; }
/// Local: whether the trace or profiler hooks see the regions.
inline bool watched() noexcept { return detail::watchers != 0; }

/// Local: from now on region begins and ends also go to `hooks` (nullptr: no longer). The
/// struct must outlive its use. Call it outside parallel regions while no ScopedTimer is
/// running (a profiler would see an end without its begin). A build with the CMake option
/// TESSERA_LIKWID attaches likwid's marker API this way when started under
/// `likwid-perfctr -m` (Runtime does it; docs/profiling.md).
void set_profiler_hooks(const ProfilerHooks* hooks) noexcept;

/// Default capacity of one thread's buffer, in events (24 bytes each).
inline constexpr std::size_t default_capacity = std::size_t{1} << 20;

/// Collective over `comm`: starts recording (again), forgetting earlier events. Allocates one
/// buffer of `capacity` events per OpenMP thread (omp_get_max_threads()) and estimates each
/// rank's clock offset against rank 0 (a barrier-bracketed ping-pong). Must not be called
/// inside a parallel region or while a ScopedTimer is running. Throws CollectiveError (exit 2)
/// if `capacity` < 2.
void enable(const mpi::Comm& comm, std::size_t capacity = default_capacity);
/// Local: stops recording and frees the buffers.
void disable() noexcept;
/// Local: forgets the recorded events and the drop count (buffers and labels stay).
void clear() noexcept;

/// Local: the id of `label` in this rank's label table (added when new, with `kind`, or
/// RegionKind::wait when the label ends in ".wait"). Not thread-safe: call it from the thread
/// outside parallel regions, as ScopedTimer does.
std::int32_t intern(std::string_view label, RegionKind kind = RegionKind::region);
/// Local: records the begin or end of region `region` at `time` into the calling thread's
/// buffer (omp_get_thread_num()). Never allocates: a full buffer counts the event as dropped.
/// A begin is kept only if its end will fit too, and the end of a dropped begin is dropped
/// with it, so a buffer always holds properly nested pairs (plus the regions still open).
void record(std::int32_t region, bool end, double time) noexcept;
/// Local: events dropped on this rank so far (all threads).
long long dropped() noexcept;
/// Local: the events recorded by thread `thread` of this rank (empty when out of range).
std::vector<Event> events(int thread);
/// Local: this rank's label table (index = region id).
const std::vector<std::string>& labels();
/// Local: the kinds of the labels (index = region id).
const std::vector<RegionKind>& kinds();

/// Local, for use inside an OpenMP parallel region: while tracing is on, records the calling
/// thread's begin and end of region `id` (an id from intern(label, RegionKind::thread), taken
/// outside the parallel region) in its own buffer, and passes them to the profiler hooks;
/// one branch when neither watches. Thread regions are
/// not timers: they appear in traces and in the thread idle fraction only.
class ThreadRegion {
public:
    explicit ThreadRegion(std::int32_t id) noexcept : id_(watched() ? id : -1) {
        if (id_ >= 0) detail::region_event(id_, false, -1.0);
    }
    ~ThreadRegion() {
        if (id_ >= 0) detail::region_event(id_, true, -1.0);
    }
    ThreadRegion(const ThreadRegion&) = delete;
    ThreadRegion& operator=(const ThreadRegion&) = delete;

private:
    std::int32_t id_;
};

/// How long the threads of parallel regions waited for each other, for one thread-share label.
struct ThreadIdle {
    std::string label;  ///< a RegionKind::thread label (e.g. "stencil.sweep")
    double avg = 0.0;   ///< idle fraction, averaged over the ranks that recorded the label
    double max = 0.0;   ///< the largest rank's idle fraction
};

/// Collective over `comm`: for every RegionKind::thread label recorded on any rank, the idle
/// fraction of its parallel regions: 1 - (sum of the threads' shares) / (threads x span), where
/// the k-th share of the label on each thread is one parallel region and its span runs from
/// the first thread's begin to the last thread's end. Zero with one thread; empty when
/// tracing is off on any rank. Labels in rank 0's order, then others'.
std::vector<ThreadIdle> thread_idle(const mpi::Comm& comm);

/// Local: calls `f(begin, end)` for each matched begin/end pair among one thread's events
/// (record() keeps them properly nested), in the order the regions end; begins without their
/// end (regions still open) are skipped.
template <class F>
void for_each_pair(std::span<const Event> events, F&& f) {
    std::vector<const Event*> open;
    for (const Event& e : events) {
        if (!e.end) {
            open.push_back(&e);
        } else if (!open.empty()) {
            const Event& begin = *open.back();
            open.pop_back();
            f(begin, e);
        }
    }
}

/// One rank's trace, with times shifted onto rank 0's clock and counted from `origin`.
struct RankTrace {
    int rank = 0;
    std::vector<std::string> labels;
    std::vector<RegionKind> kinds;            ///< parallel to labels
    std::vector<std::vector<Event>> threads;  ///< per OpenMP thread; times in seconds
    long long dropped = 0;
    double offset = 0.0;  ///< this rank's clock minus rank 0's, estimated at the gather
};

/// Collective over `comm` (the communicator given to enable()): estimates the clock offsets
/// again and gathers every rank's events on rank 0, which gets one RankTrace per rank (others
/// get an empty vector). Times are
/// mapped to rank 0's clock with the offset interpolated linearly between the estimates made
/// at enable() and now, then counted from rank 0's enable() time. Regions still open are
/// left out of the pairs (their begin events stay; a writer skips unmatched begins). When
/// tracing is off every rank contributes nothing.
std::vector<RankTrace> gather(const mpi::Comm& comm);

/// Collective over `comm`: rank 0 gets, for each rank r, {r's clock() at the exchange, r's
/// clock minus rank 0's}; others get an empty vector. The sample with the shortest round
/// trip of several wins.
std::vector<std::pair<double, double>> estimate_offsets(const mpi::Comm& comm);

}  // namespace tessera::trace
