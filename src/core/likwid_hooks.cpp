// Every timer region (on the main thread) and every thread's share of a traced parallel region
// (ThreadRegion, on each thread) becomes a likwid marker region of the same label, so that
// likwid-perfctr reports hardware counters per region and per core.
#include "likwid_hooks.hpp"

#include <omp.h>

#include <cstdlib>

#include <likwid-marker.h>

#include "tessera/core/trace.hpp"

namespace tessera::trace::detail {

namespace {
// likwid copies the tag into its own table, so the label only needs to live through the call.
void likwid_begin(const char* label) { LIKWID_MARKER_START(label); }
void likwid_end(const char* label) { LIKWID_MARKER_STOP(label); }

constexpr ProfilerHooks likwid_markers{likwid_begin, likwid_end};
bool attached = false;
}  // namespace

bool attach_likwid() {
    if (attached || !std::getenv("LIKWID_EVENTS") || !std::getenv("LIKWID_FILEPATH")) return attached;
    LIKWID_MARKER_INIT;
    // Each thread registers itself once, as the marker API asks for non-pthread threading.
#pragma omp parallel
    { LIKWID_MARKER_THREADINIT; }
    set_profiler_hooks(&likwid_markers);
    attached = true;
    return true;
}

void detach_likwid() noexcept {
    if (!attached) return;
    set_profiler_hooks(nullptr);
    LIKWID_MARKER_CLOSE;
    attached = false;
}

}  // namespace tessera::trace::detail
