// Trace files: the region events of core's trace (trace.hpp) as Chrome trace-event JSON, the
// format that Perfetto (ui.perfetto.dev), chrome://tracing and speedscope read.
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

}  // namespace tessera::io
