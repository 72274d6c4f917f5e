// likwid's marker API as profiler hooks (trace::ProfilerHooks), compiled into tessera_core by
// the CMake option TESSERA_LIKWID (and into its smoke test whenever likwid is installed).
#pragma once

namespace tessera::trace::detail {

/// Local, on the thread that created the Runtime, outside parallel regions: when the process
/// runs under `likwid-perfctr -m` (which sets LIKWID_EVENTS and LIKWID_FILEPATH), initialises
/// the marker API on every OpenMP thread and routes region begins and ends to it; returns
/// whether it did. Without those variables it does nothing and returns false.
bool attach_likwid();
/// Local: detaches the hooks and writes likwid's results (LIKWID_MARKER_CLOSE); nothing when
/// not attached.
void detach_likwid() noexcept;

}  // namespace tessera::trace::detail
