// Chrome trace-event JSON from the gathered region events.
#include "tessera/io/trace_writer.hpp"

#include <cstdio>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "tessera/core/error.hpp"
#include "tessera/io/atomic_file.hpp"

namespace tessera::io {

namespace {

// A number of microseconds with nanosecond resolution.
std::string micros(double seconds) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", seconds * 1e6);
    return buf;
}

}  // namespace

std::string chrome_trace_json(const std::vector<trace::RankTrace>& traces) {
    std::string out = "{\"displayTimeUnit\": \"ms\",\n\"traceEvents\": [\n";
    bool first = true;
    auto line = [&](const std::string& text) {
        if (!first) out += ",\n";
        first = false;
        out += text;
    };
    nlohmann::json dropped = nlohmann::json::object(), offsets = nlohmann::json::object();
    for (const auto& t : traces) {
        const std::string pid = std::to_string(t.rank);
        line(R"({"ph": "M", "name": "process_name", "pid": )" + pid + R"(, "args": {"name": "rank )" + pid + "\"}}");
        line(R"({"ph": "M", "name": "process_sort_index", "pid": )" + pid + R"(, "args": {"sort_index": )" + pid + "}}");
        dropped[pid] = t.dropped;
        offsets[pid] = t.offset;
        std::vector<std::string> names;  // labels as JSON strings, escaped once
        names.reserve(t.labels.size());
        for (const auto& l : t.labels) names.push_back(nlohmann::json(l).dump());
        auto category = [&](std::size_t region) -> const char* {
            const auto kind = region < t.kinds.size() ? t.kinds[region] : trace::RegionKind::region;
            return kind == trace::RegionKind::wait ? "wait" : kind == trace::RegionKind::thread ? "thread" : "region";
        };
        for (std::size_t thread = 0; thread < t.threads.size(); ++thread) {
            const auto& events = t.threads[thread];
            if (events.empty() && thread > 0) continue;
            const std::string tid = std::to_string(thread);
            line(R"({"ph": "M", "name": "thread_name", "pid": )" + pid + R"(, "tid": )" + tid +
                 R"(, "args": {"name": "thread )" + tid + "\"}}");
            // Pair each end with the innermost open begin (record() keeps them nested).
            std::vector<const trace::Event*> open;
            for (const auto& e : events) {
                if (!e.end) {
                    open.push_back(&e);
                    continue;
                }
                if (open.empty()) continue;
                const auto* b = open.back();
                open.pop_back();
                const auto region = static_cast<std::size_t>(b->region);
                static const std::string unknown = "\"?\"";
                const std::string& name = region < names.size() ? names[region] : unknown;
                line(R"({"ph": "X", "name": )" + name + R"(, "cat": ")" + category(region) + R"(", "pid": )" + pid + R"(, "tid": )" + tid + R"(, "ts": )" +
                     micros(b->time) + R"(, "dur": )" + micros(e.time - b->time) + "}");
            }
        }
    }
    out += "\n],\n\"otherData\": " + nlohmann::json{{"dropped_events", dropped}, {"clock_offset_seconds", offsets}}.dump() +
           "\n}\n";
    return out;
}

void write_chrome_trace(const mpi::Comm& comm, const std::filesystem::path& path) {
    const auto traces = trace::gather(comm);
    collective_call(
        comm,
        [&] {
            if (comm.rank() != 0) return;
            try {
                write_file_atomically(path, chrome_trace_json(traces));
            } catch (const std::exception& e) {
                throw std::runtime_error("trace file " + path.string() + ": " + e.what());
            }
        },
        /*exit_code=*/1);
}

}  // namespace tessera::io
