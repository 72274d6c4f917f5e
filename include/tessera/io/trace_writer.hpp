// Trace files: the region events of core's trace (trace.hpp) as Chrome trace-event JSON, the
// format that Perfetto (ui.perfetto.dev), chrome://tracing and speedscope read, and as an OTF2
// archive (libotf2), the format of Vampir, otf2-print and Score-P's tools.
//
// Layout of a trace folder DIR written by write_traces():
//   DIR/trace.json            Chrome trace events
//   DIR/otf2/traces.otf2      the OTF2 anchor file (open this one)
//   DIR/otf2/traces.def       global definitions (strings, regions, system tree, locations)
//   DIR/otf2/traces/N.evt     events of location N (and N.def, its local definitions); the
//                             locations are numbered 0, 1, ... rank by rank, thread by thread
// In the archive: one location group (process) per rank named "rank R" under one system tree
// node "node"; one location (CPU thread) "rank R thread T" per OpenMP thread that recorded
// events (thread 0 always); one region per distinct label, merged over ranks, with role
// FUNCTION and paradigm USER for kind region, role WRAPPER and paradigm MPI for kind wait, and
// role PARALLEL and paradigm OPENMP for kind thread. Times are 1 ns ticks since rank 0's
// trace::enable() (global offset 0). Begins still open at the gather are left out.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tessera/core/mpi.hpp"
#include "tessera/core/trace.hpp"

namespace tessera::io {

/// Local: the traces as Chrome trace-event JSON: {"traceEvents": [...], ...}. One complete
/// ("X") event per matched begin/end pair, with pid = rank, tid = OpenMP thread, name = the
/// region's label, ts and dur in microseconds since rank 0's trace::enable(); metadata ("M")
/// events name each process "rank N" and each thread "thread T". Begins still open are left
/// out. "otherData" holds the events dropped per rank and the clock offsets.
std::string chrome_trace_json(const std::vector<trace::RankTrace>& traces);

/// Collective over `comm`: trace::gather() and, on rank 0, chrome_trace_json() written to
/// `path` atomically (a temporary beside it, then a rename). Throws CollectiveError (exit 1)
/// "trace file PATH: ..." when rank 0 cannot write it (a missing or unwritable folder).
void write_chrome_trace(const mpi::Comm& comm, const std::filesystem::path& path);

/// Local (call it on the rank holding the traces): writes the OTF2 archive dir/traces.otf2
/// (layout above) all or nothing: into a temporary folder beside `dir`, then renamed into place,
/// replacing an existing `dir`. Throws std::runtime_error "DIR: reason" on failure, leaving no
/// trace of the attempt.
void write_otf2_archive(const std::vector<trace::RankTrace>& traces, const std::filesystem::path& dir);

/// Collective over `comm`: one trace::gather(), then on rank 0 dir/trace.json (Chrome trace)
/// and the OTF2 archive dir/otf2. `dir` must exist on rank 0. Throws CollectiveError (exit 1)
/// "trace file PATH: ..." or "trace folder PATH: ..." when rank 0 cannot write one.
void write_traces(const mpi::Comm& comm, const std::filesystem::path& dir);

}  // namespace tessera::io
