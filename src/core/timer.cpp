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
    std::vector<TrafficLink> sent;  // per peer (rank field unused); a handful of neighbours
    std::vector<std::pair<std::string, int>> callee_slots;  // TimerScope::nested label -> slot
};

// Only the thread outside parallel regions records, so no locking is needed.
struct Registry {
    std::vector<Entry> entries;
    std::unordered_map<std::string, int, StringHash, std::equal_to<>> index;
    int open = 0;      // number of timers currently running (the nesting depth)
    int current = -1;  // the innermost running timer's slot
};

Registry& registry() {
    static Registry r;
    return r;
}

double now() { return trace::clock(); }

// The slot of `label`, added (at the current depth) when new.
int slot_of(Registry& reg, std::string_view label) {
    auto it = reg.index.find(label);
    if (it == reg.index.end()) {
        reg.entries.push_back(Entry{std::string(label), reg.open, 0.0, 0, -1, {}, {}});
        it = reg.index.emplace(std::string(label), static_cast<int>(reg.entries.size() - 1)).first;
    }
    return it->second;
}

}  // namespace

ScopedTimer::ScopedTimer(std::string_view label, TimerScope scope) {
    if (omp_in_parallel()) return;
    auto& reg = registry();
    if (scope == TimerScope::always) {
        slot_ = slot_of(reg, label);
    } else {
        if (reg.current < 0) return;
        // Timed per caller, under "<caller>/<label>"; the caller remembers the slot, so that a
        // wait inside a loop costs a short search and no allocation.
        const auto caller = static_cast<std::size_t>(reg.current);
        const auto& callees = reg.entries[caller].callee_slots;
        const auto c = std::find_if(callees.begin(), callees.end(), [&](const auto& x) { return x.first == label; });
        if (c != callees.end()) {
            slot_ = c->second;
        } else {
            slot_ = slot_of(reg, reg.entries[caller].label + '/' + std::string(label));
            reg.entries[caller].callee_slots.emplace_back(std::string(label), slot_);  // after entries grew
        }
    }
    parent_ = reg.current;
    reg.current = slot_;
    ++reg.open;
    start_ = now();
    if (trace::watched()) {
        auto& e = reg.entries[static_cast<std::size_t>(slot_)];
        if (e.trace_id < 0) e.trace_id = trace::intern(e.label);
        trace_id_ = e.trace_id;
        trace::detail::region_event(trace_id_, false, start_);
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
    reg.current = parent_;
    if (trace_id_ >= 0) trace::detail::region_event(trace_id_, true, end);
}

void count_message(int peer, std::size_t bytes) {
    auto& reg = registry();
    if (reg.current < 0 || omp_in_parallel()) return;
    auto& sent = reg.entries[static_cast<std::size_t>(reg.current)].sent;
    auto it = std::find_if(sent.begin(), sent.end(), [&](const TrafficLink& l) { return l.peer == peer; });
    if (it == sent.end()) it = sent.insert(sent.end(), TrafficLink{0, peer, 0, 0});
    ++it->messages;
    it->bytes += static_cast<long long>(bytes);
}

void reset_timers() {
    auto& reg = registry();
    reg.entries.clear();
    reg.index.clear();
    reg.current = -1;
    trace::clear();  // the trace keeps matching the timers (e.g. both start after a warm-up)
}

std::vector<TimerStats> timer_report(const mpi::Comm& comm) {
    const auto& reg = registry();
    // Agree on the union of labels: rank 0's order first, then labels only others have.
    std::string mine;
    for (const auto& e : reg.entries) mine += std::to_string(e.depth) + ' ' + e.label + '\n';
    const auto all = mpi::allgather(comm, mine);
    std::vector<TimerStats> stats;
    for (const auto& text : all) {
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) {
            const auto space = line.find(' ');
            std::string label = line.substr(space + 1);
            if (std::any_of(stats.begin(), stats.end(), [&](const TimerStats& t) { return t.label == label; }))
                continue;
            TimerStats entry;
            entry.label = label;
            entry.depth = std::stoi(line.substr(0, space));
            // A per-caller region ("<caller>/<label>") that rank 0 never ran goes at the end of
            // its caller's subtree, so that the table shows it under its caller.
            auto at = stats.end();
            if (const auto slash = label.rfind('/'); slash != std::string::npos) {
                const std::string caller = label.substr(0, slash);
                auto p = std::find_if(stats.begin(), stats.end(), [&](const TimerStats& t) { return t.label == caller; });
                if (p != stats.end()) {
                    at = p + 1;
                    while (at != stats.end() && at->depth > p->depth) ++at;
                }
            }
            stats.insert(at, std::move(entry));
        }
    }
    std::unordered_map<std::string, std::size_t> pos;
    for (std::size_t i = 0; i < stats.size(); ++i) pos[stats[i].label] = i;
    const std::size_t n = stats.size();
    std::vector<double> tmin(n, 0.0), tmax(n, 0.0), tsum(n, 0.0);
    std::vector<long long> cmin(n, 0), cmax(n, 0);
    for (const auto& e : reg.entries) {
        const auto i = pos.at(e.label);
        tmin[i] = tmax[i] = tsum[i] = e.seconds;
        cmin[i] = cmax[i] = e.calls;
    }
    // Traffic: totals everywhere, the per-link detail on rank 0.
    std::vector<long long> messages(n, 0), bytes(n, 0), bytes_max(n, 0);
    std::string links;
    for (const auto& e : reg.entries) {
        const auto i = pos.at(e.label);
        for (const auto& l : e.sent) {
            messages[i] += l.messages;
            bytes[i] += l.bytes;
            links += std::to_string(i) + ' ' + std::to_string(l.peer) + ' ' + std::to_string(l.messages) + ' ' +
                     std::to_string(l.bytes) + '\n';
        }
        bytes_max[i] = bytes[i];
    }
    mpi::allreduce(comm, std::span(messages), MPI_SUM);
    mpi::allreduce(comm, std::span(bytes), MPI_SUM);
    mpi::allreduce(comm, std::span(bytes_max), MPI_MAX);
    const auto all_links = mpi::gather(comm, links, 0);
    for (std::size_t r = 0; r < all_links.size(); ++r) {
        std::istringstream in(all_links[r]);
        std::size_t i = 0;
        TrafficLink l;
        l.rank = static_cast<int>(r);
        while (in >> i >> l.peer >> l.messages >> l.bytes) stats[i].links.push_back(l);
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
        stats[i].messages = messages[i];
        stats[i].bytes = bytes[i];
        stats[i].bytes_rank_max = bytes_max[i];
    }
    return stats;
}

double wait_fraction(const std::vector<TimerStats>& stats, std::string_view finish, std::string_view wait) {
    const TimerStats *f = nullptr, *w = nullptr;
    for (const auto& s : stats) {
        if (s.label == finish) f = &s;
        if (s.label == wait) w = &s;
    }
    if (!f || !w || f->avg <= 0) return -1.0;
    return std::min(1.0, w->avg / f->avg);
}

std::string format_timer_table(const std::vector<TimerStats>& stats) {
    // A per-caller region ("<caller>/<label>") shows under its caller by its own label.
    auto shown = [](const TimerStats& s) {
        const auto slash = s.label.rfind('/');
        return std::string(2 * static_cast<std::size_t>(s.depth), ' ') +
               (slash == std::string::npos ? s.label : s.label.substr(slash + 1));
    };
    std::size_t width = 10;  // "sent under"
    for (const auto& s : stats) width = std::max({width, shown(s).size(), s.messages > 0 ? s.label.size() : 0});
    std::ostringstream os;
    char buf[512];
    std::snprintf(buf, sizeof buf, "%-*s %11s %11s %11s %9s %8s\n", static_cast<int>(width), "region",
                  "min [s]", "avg [s]", "max [s]", "calls", "max/avg");
    os << buf;
    bool traffic = false;
    for (const auto& s : stats) {
        const std::string name = shown(s);
        const std::string calls = s.calls_min == s.calls_max
                                      ? std::to_string(s.calls_max)
                                      : std::to_string(s.calls_min) + "-" + std::to_string(s.calls_max);
        std::snprintf(buf, sizeof buf, "%-*s %11.4f %11.4f %11.4f %9s %8.2f\n", static_cast<int>(width),
                      name.c_str(), s.min, s.avg, s.max, calls.c_str(), s.imbalance());
        os << buf;
        traffic = traffic || s.messages > 0;
    }
    if (traffic) {
        std::snprintf(buf, sizeof buf, "%-*s %11s %11s %11s\n", static_cast<int>(width), "sent under",
                      "messages", "MB", "max MB/rank");
        os << buf;
        for (const auto& s : stats) {
            if (s.messages == 0) continue;
            std::snprintf(buf, sizeof buf, "%-*s %11lld %11.3f %11.3f\n", static_cast<int>(width), s.label.c_str(),
                          s.messages, s.bytes * 1e-6, s.bytes_rank_max * 1e-6);
            os << buf;
        }
    }
    if (const double f = wait_fraction(stats); f >= 0) {
        std::snprintf(buf, sizeof buf, "halo overlap: %.0f%% of grid.halo.finish waited for messages (grid.halo.wait)\n",
                      100.0 * f);
        os << buf;
    }
    return os.str();
}

}  // namespace tessera
