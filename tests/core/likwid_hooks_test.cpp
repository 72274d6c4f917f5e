// The likwid backend of the profiler hooks (core/likwid_hooks.cpp) against Debian's likwid: it
// compiles and links, and outside `likwid-perfctr -m` it stays detached, so a TESSERA_LIKWID
// build runs as any other. (Counting itself needs likwid-perfctr on a CPU likwid supports.)
#include <gtest/gtest.h>

#include <cstdlib>

#include <tessera/core/timer.hpp>
#include <tessera/core/trace.hpp>

#include "likwid_hooks.hpp"

using namespace tessera;

TEST(LikwidHooks, DetachedOutsideLikwidPerfctr) {
    ::unsetenv("LIKWID_EVENTS");
    ::unsetenv("LIKWID_FILEPATH");
    EXPECT_FALSE(trace::detail::attach_likwid());
    EXPECT_FALSE(trace::watched());
    { ScopedTimer region("region"); }  // nothing reaches likwid
    trace::detail::detach_likwid();    // and detaching what is not attached does nothing
    EXPECT_FALSE(trace::watched());
}
