// Chrome trace-event JSON and OTF2 archives from the gathered region events.
#include "tessera/io/trace_writer.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

#include <otf2/otf2.h>

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

// ---- OTF2 -------------------------------------------------------------------------------

OTF2_FlushType pre_flush(void*, OTF2_FileType, OTF2_LocationRef, void*, bool) { return OTF2_FLUSH; }
OTF2_TimeStamp post_flush(void*, OTF2_FileType, OTF2_LocationRef) { return 0; }
OTF2_FlushCallbacks flush_callbacks = {pre_flush, post_flush};

void otf2_call(OTF2_ErrorCode code, const char* what) {
    if (code != OTF2_SUCCESS)
        throw std::runtime_error(std::string(what) + ": " + OTF2_Error_GetName(code) + " (" +
                                 OTF2_Error_GetDescription(code) + ")");
}

// The archive handle: closed exactly once (Close flushes and writes the anchor file).
struct ArchiveCloser {
    void operator()(OTF2_Archive* a) const noexcept { OTF2_Archive_Close(a); }
};
using Archive = std::unique_ptr<OTF2_Archive, ArchiveCloser>;

// A temporary folder that is removed unless released.
struct TempDir {
    std::filesystem::path path;
    bool keep = false;
    ~TempDir() {
        std::error_code ec;
        if (!keep && !path.empty()) std::filesystem::remove_all(path, ec);
    }
};

std::uint64_t ticks(double seconds) { return seconds <= 0.0 ? 0 : static_cast<std::uint64_t>(std::llround(seconds * 1e9)); }

// Per event of one thread: whether it belongs to a matched begin/end pair (record() keeps them
// nested); unmatched begins (regions still open) are left out.
std::vector<char> matched(const std::vector<trace::Event>& events) {
    std::vector<char> keep(events.size(), 0);
    trace::for_each_pair(events, [&](const trace::Event& begin, const trace::Event& end) {
        keep[static_cast<std::size_t>(&begin - events.data())] = 1;
        keep[static_cast<std::size_t>(&end - events.data())] = 1;
    });
    return keep;
}

void write_otf2_into(const std::vector<trace::RankTrace>& traces, const std::filesystem::path& folder) {
    Archive archive(OTF2_Archive_Open(folder.c_str(), "traces", OTF2_FILEMODE_WRITE, 1024 * 1024, 4 * 1024 * 1024,
                                      OTF2_SUBSTRATE_POSIX, OTF2_COMPRESSION_NONE));
    if (!archive) throw std::runtime_error("cannot open the OTF2 archive");
    otf2_call(OTF2_Archive_SetFlushCallbacks(archive.get(), &flush_callbacks, nullptr), "flush callbacks");
    otf2_call(OTF2_Archive_SetSerialCollectiveCallbacks(archive.get()), "collective callbacks");
    otf2_call(OTF2_Archive_SetCreator(archive.get(), "tessera"), "creator");

    // Strings and regions, merged by label over ranks.
    std::vector<std::string> strings;
    std::map<std::string, OTF2_StringRef> string_ids;
    auto string_id = [&](const std::string& s) {
        auto [it, added] = string_ids.emplace(s, static_cast<OTF2_StringRef>(strings.size()));
        if (added) strings.push_back(s);
        return it->second;
    };
    struct Region {
        OTF2_StringRef name;
        trace::RegionKind kind;
    };
    std::vector<Region> regions;
    std::map<std::string, OTF2_RegionRef> region_ids;
    std::vector<std::vector<OTF2_RegionRef>> rank_regions;  // per rank: local id -> OTF2 region
    for (const auto& t : traces) {
        auto& map = rank_regions.emplace_back();
        for (std::size_t i = 0; i < t.labels.size(); ++i) {
            const auto kind = i < t.kinds.size() ? t.kinds[i] : trace::RegionKind::region;
            auto [it, added] = region_ids.emplace(t.labels[i], static_cast<OTF2_RegionRef>(regions.size()));
            if (added) regions.push_back({string_id(t.labels[i]), kind});
            map.push_back(it->second);
        }
    }

    // Events, one location per (rank, thread with events; thread 0 always).
    struct Location {
        OTF2_LocationRef id;
        OTF2_StringRef name;
        std::uint64_t events;
        OTF2_LocationGroupRef group;
    };
    std::vector<Location> locations;
    std::uint64_t last = 0;
    otf2_call(OTF2_Archive_OpenEvtFiles(archive.get()), "open event files");
    for (std::size_t r = 0; r < traces.size(); ++r) {
        const auto& t = traces[r];
        for (std::size_t thread = 0; thread < std::max<std::size_t>(t.threads.size(), 1); ++thread) {
            static const std::vector<trace::Event> none;
            const auto& events = thread < t.threads.size() ? t.threads[thread] : none;
            if (events.empty() && thread > 0) continue;
            const auto id = static_cast<OTF2_LocationRef>(locations.size());
            OTF2_EvtWriter* w = OTF2_Archive_GetEvtWriter(archive.get(), id);
            if (!w) throw std::runtime_error("cannot open the event writer of location " + std::to_string(id));
            const auto keep = matched(events);
            std::uint64_t count = 0, previous = 0;
            for (std::size_t i = 0; i < events.size(); ++i) {
                if (!keep[i]) continue;
                const auto& e = events[i];
                const auto local = static_cast<std::size_t>(e.region);
                if (local >= rank_regions[r].size()) throw std::runtime_error("event of an unknown region");
                const OTF2_RegionRef region = rank_regions[r][local];
                const std::uint64_t time = std::max(previous, ticks(e.time));  // OTF2 wants time order
                previous = time;
                otf2_call(e.end ? OTF2_EvtWriter_Leave(w, nullptr, time, region)
                                : OTF2_EvtWriter_Enter(w, nullptr, time, region),
                          "event");
                ++count;
            }
            last = std::max(last, previous);
            otf2_call(OTF2_Archive_CloseEvtWriter(archive.get(), w), "close event writer");
            locations.push_back({id,
                                 string_id("rank " + std::to_string(t.rank) + " thread " + std::to_string(thread)),
                                 count, static_cast<OTF2_LocationGroupRef>(r)});
        }
    }
    otf2_call(OTF2_Archive_CloseEvtFiles(archive.get()), "close event files");

    // Local definition files (empty: every definition is global).
    otf2_call(OTF2_Archive_OpenDefFiles(archive.get()), "open definition files");
    for (const auto& l : locations) {
        OTF2_DefWriter* d = OTF2_Archive_GetDefWriter(archive.get(), l.id);
        if (!d) throw std::runtime_error("cannot open the definition writer of location " + std::to_string(l.id));
        otf2_call(OTF2_Archive_CloseDefWriter(archive.get(), d), "close definition writer");
    }
    otf2_call(OTF2_Archive_CloseDefFiles(archive.get()), "close definition files");

    // Global definitions.
    std::vector<OTF2_StringRef> group_names;
    for (const auto& t : traces) group_names.push_back(string_id("rank " + std::to_string(t.rank)));
    const OTF2_StringRef node_name = string_id("node"), node_class = string_id("machine"), empty = string_id("");
    OTF2_GlobalDefWriter* g = OTF2_Archive_GetGlobalDefWriter(archive.get());
    if (!g) throw std::runtime_error("cannot open the global definition writer");
    otf2_call(OTF2_GlobalDefWriter_WriteClockProperties(g, 1000000000, 0, last + 1, OTF2_UNDEFINED_TIMESTAMP),
              "clock properties");
    for (std::size_t i = 0; i < strings.size(); ++i)
        otf2_call(OTF2_GlobalDefWriter_WriteString(g, static_cast<OTF2_StringRef>(i), strings[i].c_str()), "string");
    for (std::size_t i = 0; i < regions.size(); ++i) {
        const auto kind = regions[i].kind;
        const OTF2_RegionRole role = kind == trace::RegionKind::wait     ? OTF2_REGION_ROLE_WRAPPER
                                     : kind == trace::RegionKind::thread ? OTF2_REGION_ROLE_PARALLEL
                                                                         : OTF2_REGION_ROLE_FUNCTION;
        const OTF2_Paradigm paradigm = kind == trace::RegionKind::wait     ? OTF2_PARADIGM_MPI
                                       : kind == trace::RegionKind::thread ? OTF2_PARADIGM_OPENMP
                                                                           : OTF2_PARADIGM_USER;
        otf2_call(OTF2_GlobalDefWriter_WriteRegion(g, static_cast<OTF2_RegionRef>(i), regions[i].name, regions[i].name,
                                                   empty, role, paradigm, OTF2_REGION_FLAG_NONE, empty, 0, 0),
                  "region");
    }
    otf2_call(OTF2_GlobalDefWriter_WriteSystemTreeNode(g, 0, node_name, node_class, OTF2_UNDEFINED_SYSTEM_TREE_NODE),
              "system tree node");
    for (std::size_t r = 0; r < traces.size(); ++r)
        otf2_call(OTF2_GlobalDefWriter_WriteLocationGroup(g, static_cast<OTF2_LocationGroupRef>(r), group_names[r],
                                                          OTF2_LOCATION_GROUP_TYPE_PROCESS, 0,
                                                          OTF2_UNDEFINED_LOCATION_GROUP),
                  "location group");
    for (const auto& l : locations)
        otf2_call(OTF2_GlobalDefWriter_WriteLocation(g, l.id, l.name, OTF2_LOCATION_TYPE_CPU_THREAD, l.events, l.group),
                  "location");
    otf2_call(OTF2_Archive_Close(archive.release()), "close the archive");
}

}  // namespace

void write_otf2_archive(const std::vector<trace::RankTrace>& traces, const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    try {
        const fs::path target = fs::absolute(dir);
        const fs::path parent = target.parent_path();
        if (!fs::is_directory(parent)) throw std::runtime_error(parent.string() + " is not a directory");
        TempDir tmp;
        std::string pattern = (parent / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
        if (!::mkdtemp(pattern.data()))
            throw std::system_error(errno, std::generic_category(), "cannot create a folder in " + parent.string());
        tmp.path = pattern;
        write_otf2_into(traces, tmp.path);
        if (!fs::exists(tmp.path / "traces.otf2")) throw std::runtime_error("OTF2 wrote no anchor file");
        std::error_code ec;
        fs::remove_all(target, ec);  // an earlier archive (the caller allowed replacing it)
        fs::rename(tmp.path, target);
        tmp.keep = true;
    } catch (const std::exception& e) {
        throw std::runtime_error(dir.string() + ": " + e.what());
    }
}

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
            trace::for_each_pair(events, [&](const trace::Event& begin, const trace::Event& end) {
                const auto region = static_cast<std::size_t>(begin.region);
                static const std::string unknown = "\"?\"";
                const std::string& name = region < names.size() ? names[region] : unknown;
                line(R"({"ph": "X", "name": )" + name + R"(, "cat": ")" + category(region) + R"(", "pid": )" + pid + R"(, "tid": )" + tid + R"(, "ts": )" +
                     micros(begin.time) + R"(, "dur": )" + micros(end.time - begin.time) + "}");
            });
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

void write_traces(const mpi::Comm& comm, const std::filesystem::path& dir) {
    const auto traces = trace::gather(comm);
    collective_call(
        comm,
        [&] {
            if (comm.rank() != 0) return;
            const auto json = dir / "trace.json";
            try {
                write_file_atomically(json, chrome_trace_json(traces));
            } catch (const std::exception& e) {
                throw std::runtime_error("trace file " + json.string() + ": " + e.what());
            }
            try {
                write_otf2_archive(traces, dir / "otf2");
            } catch (const std::exception& e) {
                throw std::runtime_error(std::string("trace folder ") + e.what());
            }
        },
        /*exit_code=*/1);
}

}  // namespace tessera::io
