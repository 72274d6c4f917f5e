// summary.json assembly and atomic writing.
#include "tessera/run/summary.hpp"

#include <cstdio>

#include "tessera/core/timer.hpp"
#include "tessera/core/trace.hpp"
#include "tessera/io/trace_writer.hpp"
#include "tessera/core/version.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/linalg/blas_info.hpp"

namespace tessera::run {

nlohmann::json timers_to_json(const std::vector<TimerStats>& stats) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& s : stats)
        j[s.label] = {{"min", s.min}, {"avg", s.avg}, {"max", s.max}, {"calls", s.calls_max},
                      {"imbalance", s.imbalance()}};
    return j;
}

nlohmann::json communication_to_json(const std::vector<TimerStats>& stats) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& s : stats) {
        if (s.messages == 0) continue;
        nlohmann::json links = nlohmann::json::array();
        for (const auto& l : s.links)
            links.push_back({{"rank", l.rank}, {"peer", l.peer == collective_peer ? nlohmann::json("collective") : nlohmann::json(l.peer)},
                             {"messages", l.messages}, {"bytes", l.bytes}});
        j[s.label] = {{"messages", s.messages}, {"bytes", s.bytes}, {"bytes_rank_max", s.bytes_rank_max},
                      {"links", std::move(links)}};
    }
    return j;
}

std::string timer_table(const mpi::Comm& comm) {
    std::string table = format_timer_table(timer_report(comm));
    for (const auto& t : trace::thread_idle(comm)) {
        char line[160];
        std::snprintf(line, sizeof line, "thread idle: %.1f%% of %s (avg over ranks), %.1f%% on the worst rank\n",
                      100.0 * t.avg, t.label.c_str(), 100.0 * t.max);
        table += line;
    }
    return table;
}

nlohmann::json make_summary(const Runtime& runtime, const AppOptions& options) {
    nlohmann::json j;
    j["app"] = options.app();
    j["version"] = version();
    j["ranks"] = runtime.size();
    j["threads"] = runtime.threads();
    j["config"] = options.resolved();
    const auto stats = timer_report(runtime.world());
    j["timers"] = timers_to_json(stats);
    j["communication"] = communication_to_json(stats);
    if (const double f = wait_fraction(stats); f >= 0) j["halo_wait_fraction"] = f;
    if (const auto idle = trace::thread_idle(runtime.world()); !idle.empty()) {
        auto& out = j["thread_idle"] = nlohmann::json::object();
        for (const auto& t : idle) out[t.label] = {{"avg", t.avg}, {"max", t.max}};
    }
    // The trace holds the same regions as the timers above: write it now, beside them.
    if (const auto& dir = options.common().trace; !dir.empty() && trace::enabled()) {
        const auto& comm = runtime.world();
        collective_call(comm, [&] { if (comm.rank() == 0) std::filesystem::create_directories(dir); }, 1);
        io::write_traces(comm, dir);
        j["trace"] = {{"path", (dir / "trace.json").string()}, {"format", "chrome-trace-event-json"},
                      {"otf2", (dir / "otf2" / "traces.otf2").string()},
                      {"dropped_events", mpi::allreduce(comm, trace::dropped(), MPI_SUM)}};
    }
    const auto blas = linalg::blas_info();
    j["blas"] = {{"library", blas.library}, {"kernel", blas.kernel}, {"generic", blas.generic}};
    j["wall_seconds"] = runtime.elapsed();
    return j;
}

void write_json(const mpi::Comm& comm, const std::filesystem::path& path, const nlohmann::json& json) {
    collective_call(
        comm,
        [&] {
            if (comm.rank() != 0) return;
            io::write_file_atomically(path, json.dump(2) + '\n');
        },
        /*exit_code=*/1);
}

}  // namespace tessera::run
