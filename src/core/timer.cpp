// Region timers and their reduction over ranks.
#include "tessera/core/timer.hpp"

#include "tessera/core/trace.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <unordered_map>

namespace tessera {

namespace {

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

struct Entry {
    std::string label;
    int depth = 0;
    double seconds = 0.0;
    long long calls = 0;
    std::int32_t trace_id = -1;  // the label's id in the trace, interned on first traced use
};

// Only the thread outside parallel regions records, so no locking is needed.
struct Registry {
    std::vector<Entry> entries;
    std::unordered_map<std::string, int, StringHash, std::equal_to<>> index;
    int open = 0;  // number of timers currently running (the nesting depth)
};

Registry& registry() {
    static Registry r;
    return r;
}

double now() { return trace::clock(); }

}  // namespace

ScopedTimer::ScopedTimer(std::string_view label) {
    if (omp_in_parallel()) return;
    auto& reg = registry();
    auto it = reg.index.find(label);
    if (it == reg.index.end()) {
        reg.entries.push_back(Entry{std::string(label), reg.open, 0.0, 0, -1});
        it = reg.index.emplace(std::string(label), static_cast<int>(reg.entries.size() - 1)).first;
    }
    slot_ = it->second;
    ++reg.open;
    start_ = now();
    if (trace::enabled()) {
        auto& e = reg.entries[static_cast<std::size_t>(slot_)];
        if (e.trace_id < 0) e.trace_id = trace::intern(e.label);
        trace_id_ = e.trace_id;
        trace::record(trace_id_, false, start_);
    }
}

ScopedTimer::~ScopedTimer() {
    if (slot_ < 0) return;
    auto& reg = registry();
    auto& e = reg.entries[static_cast<std::size_t>(slot_)];
    const double end = now();
    e.seconds += end - start_;
    ++e.calls;
    --reg.open;
    if (trace_id_ >= 0) trace::record(trace_id_, true, end);
}

void reset_timers() {
    auto& reg = registry();
    reg.entries.clear();
    reg.index.clear();
    trace::clear();  // the trace keeps matching the timers (e.g. both start after a warm-up)
}

std::vector<TimerStats> timer_report(const mpi::Comm& comm) {
    const auto& reg = registry();
    // Agree on the union of labels: rank 0's order first, then labels only others have.
    std::string mine;
    for (const auto& e : reg.entries) mine += std::to_string(e.depth) + ' ' + e.label + '\n';
    const auto all = mpi::allgather(comm, mine);
    std::vector<TimerStats> stats;
    std::unordered_map<std::string, std::size_t> pos;
    for (const auto& text : all) {
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) {
            const auto space = line.find(' ');
            std::string label = line.substr(space + 1);
            if (pos.count(label)) continue;
            pos[label] = stats.size();
            stats.push_back(TimerStats{label, std::stoi(line.substr(0, space))});
        }
    }
    const std::size_t n = stats.size();
    std::vector<double> tmin(n, 0.0), tmax(n, 0.0), tsum(n, 0.0);
    std::vector<long long> cmin(n, 0), cmax(n, 0);
    for (const auto& e : reg.entries) {
        const auto i = pos.at(e.label);
        tmin[i] = tmax[i] = tsum[i] = e.seconds;
        cmin[i] = cmax[i] = e.calls;
    }
    mpi::allreduce(comm, std::span(tmin), MPI_MIN);
    mpi::allreduce(comm, std::span(tmax), MPI_MAX);
    mpi::allreduce(comm, std::span(tsum), MPI_SUM);
    mpi::allreduce(comm, std::span(cmin), MPI_MIN);
    mpi::allreduce(comm, std::span(cmax), MPI_MAX);
    for (std::size_t i = 0; i < n; ++i) {
        stats[i].min = tmin[i];
        stats[i].max = tmax[i];
        stats[i].avg = tsum[i] / comm.size();
        stats[i].calls_min = cmin[i];
        stats[i].calls_max = cmax[i];
    }
    return stats;
}

std::string format_timer_table(const std::vector<TimerStats>& stats) {
    std::size_t width = 6;
    for (const auto& s : stats) width = std::max(width, s.label.size() + 2 * static_cast<std::size_t>(s.depth));
    std::ostringstream os;
    char buf[256];
    std::snprintf(buf, sizeof buf, "%-*s %11s %11s %11s %9s\n", static_cast<int>(width), "region",
                  "min [s]", "avg [s]", "max [s]", "calls");
    os << buf;
    for (const auto& s : stats) {
        const std::string name = std::string(2 * static_cast<std::size_t>(s.depth), ' ') + s.label;
        const std::string calls = s.calls_min == s.calls_max
                                      ? std::to_string(s.calls_max)
                                      : std::to_string(s.calls_min) + "-" + std::to_string(s.calls_max);
        std::snprintf(buf, sizeof buf, "%-*s %11.4f %11.4f %11.4f %9s\n", static_cast<int>(width),
                      name.c_str(), s.min, s.avg, s.max, calls.c_str());
        os << buf;
    }
    return os.str();
}

}  // namespace tessera
