// summary.json: the machine-readable record of a run (DESIGN.md section 7).
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "tessera/run/config.hpp"
#include "tessera/core/runtime.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::run {

/// Local: {"label": {"min": .., "avg": .., "max": .., "calls": ..}, ...}.
nlohmann::json timers_to_json(const std::vector<TimerStats>& stats);
/// Local: {label: {messages, bytes, bytes_rank_max, links: [{rank, peer ("collective" for a
/// collective's contribution), messages, bytes}]}} for every region that sent anything; the
/// links are complete on rank 0 only (TimerStats::links).
nlohmann::json communication_to_json(const std::vector<TimerStats>& stats);

/// Collective over runtime.world(): the common fields (app, version, ranks, threads, config,
/// wall_seconds, timers as min/avg/max over ranks with the imbalance max/avg, the messages
/// sent per region and link ("communication"), the share of grid.halo.finish spent waiting
/// ("halo_wait_fraction", when a halo exchange ran), while tracing the idle fraction of the
/// threads of each traced parallel region ("thread_idle": {label: {avg, max}} over ranks), the
/// BLAS and its kernel). The app adds "rate" and "check".
/// With --trace DIR it also writes DIR/trace.json and the OTF2 archive DIR/otf2
/// (io::write_traces) and lists them under "trace" ({"path", "format", "otf2",
/// "dropped_events"}); a failure to write them throws CollectiveError (exit 1).
nlohmann::json make_summary(const Runtime& runtime, const AppOptions& options);

/// Collective over `comm`: the table every app prints at the end of a run: the timers
/// (format_timer_table of timer_report(comm)) and, while tracing, a line per traced parallel
/// region with its threads' idle fraction (trace::thread_idle), average and largest rank.
std::string timer_table(const mpi::Comm& comm);

/// Collective over `comm`: rank 0 writes `json` to `path` atomically (temporary file, then
/// rename), so a reader never sees half a file. Throws CollectiveError (exit 1) on failure.
void write_json(const mpi::Comm& comm, const std::filesystem::path& path,
                const nlohmann::json& json);

}  // namespace tessera::run
