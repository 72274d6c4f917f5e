// Region trace buffers (per OpenMP thread, preallocated), clock-offset estimates and the
// gather of all ranks' events onto rank 0.
#include "tessera/core/trace.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <unordered_map>

#include "tessera/core/error.hpp"

namespace tessera::trace {

namespace detail {
unsigned char watchers = 0;
}

namespace {
const ProfilerHooks* profiler_hooks = nullptr;
}

namespace {

// One thread's events. Aligned apart so that threads recording at once share no cache line.
struct alignas(64) Buffer {
    std::unique_ptr<Event[]> events;
    std::size_t size = 0;
    std::size_t open = 0;      // recorded begins whose end has not come yet
    std::size_t skipping = 0;  // dropped begins whose end has not come yet
    long long dropped = 0;
};

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct State {
    std::vector<Buffer> buffers;
    std::size_t capacity = 0;
    long long dropped_elsewhere = 0;  // events from threads beyond the buffers
    std::vector<std::string> labels;
    std::vector<RegionKind> kinds;
    std::unordered_map<std::string, std::int32_t, StringHash, std::equal_to<>> index;
    std::vector<std::pair<double, double>> offsets_at_enable;  // rank 0 only
    double origin = 0.0;                                       // rank 0's clock at enable
};

State& state() {
    static State s;
    return s;
}

// Serialised form of one rank's trace: header, labels, then each thread's events.
struct Header {
    std::uint64_t threads = 0, label_bytes = 0;
    long long dropped = 0;
};

template <class T>
void append(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
T take(const std::string& in, std::size_t& pos) {
    T value;
    std::memcpy(&value, in.data() + pos, sizeof value);
    pos += sizeof value;
    return value;
}

}  // namespace

double clock() noexcept {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<std::pair<double, double>> estimate_offsets(const mpi::Comm& comm) {
    constexpr int rounds = 8;
    constexpr int tag = 31415;
    std::vector<std::pair<double, double>> out;
    comm.barrier();
    if (comm.rank() == 0) {
        out.assign(static_cast<std::size_t>(comm.size()), {clock(), 0.0});
        for (int r = 1; r < comm.size(); ++r) {
            double best_rtt = std::numeric_limits<double>::infinity();
            for (int k = 0; k < rounds; ++k) {
                const double t0 = clock();
                TESSERA_MPI_CALL(MPI_Send(&t0, 1, MPI_DOUBLE, r, tag, comm.get()));
                double tr = 0.0;
                TESSERA_MPI_CALL(MPI_Recv(&tr, 1, MPI_DOUBLE, r, tag, comm.get(), MPI_STATUS_IGNORE));
                const double t1 = clock();
                // The remote read happened somewhere in [t0, t1]: the midpoint errs by at most
                // half the round trip, so the shortest round trip gives the best estimate.
                if (t1 - t0 < best_rtt) {
                    best_rtt = t1 - t0;
                    out[static_cast<std::size_t>(r)] = {tr, tr - 0.5 * (t0 + t1)};
                }
            }
        }
    } else {
        for (int k = 0; k < rounds; ++k) {
            double t0 = 0.0;
            TESSERA_MPI_CALL(MPI_Recv(&t0, 1, MPI_DOUBLE, 0, tag, comm.get(), MPI_STATUS_IGNORE));
            const double tr = clock();
            TESSERA_MPI_CALL(MPI_Send(&tr, 1, MPI_DOUBLE, 0, tag, comm.get()));
        }
    }
    comm.barrier();
    return out;
}

void enable(const mpi::Comm& comm, std::size_t capacity) {
    TESSERA_CHECK_ALL(comm, capacity >= 2, "trace::enable: capacity must be at least 2 events, got " << capacity);
    auto& s = state();
    detail::watchers &= ~detail::tracing_bit;
    s.buffers = std::vector<Buffer>(static_cast<std::size_t>(std::max(1, omp_get_max_threads())));
    for (auto& b : s.buffers) b.events = std::make_unique_for_overwrite<Event[]>(capacity);
    s.capacity = capacity;
    s.dropped_elsewhere = 0;
    s.offsets_at_enable = estimate_offsets(comm);
    s.origin = mpi::bcast(comm, clock(), 0);
    detail::watchers |= detail::tracing_bit;
}

void disable() noexcept {
    auto& s = state();
    detail::watchers &= ~detail::tracing_bit;
    s.buffers.clear();
    s.capacity = 0;
}

void clear() noexcept {
    auto& s = state();
    for (auto& b : s.buffers) b.size = b.open = b.skipping = 0, b.dropped = 0;
    s.dropped_elsewhere = 0;
}

std::int32_t intern(std::string_view label, RegionKind kind) {
    auto& s = state();
    auto it = s.index.find(label);
    if (it != s.index.end()) return it->second;
    const auto id = static_cast<std::int32_t>(s.labels.size());
    if (kind == RegionKind::region && (label == "wait" || label.ends_with(".wait"))) kind = RegionKind::wait;
    s.labels.emplace_back(label);
    s.kinds.push_back(kind);
    s.index.emplace(std::string(label), id);
    return id;
}

void record(std::int32_t region, bool end, double time) noexcept {
    auto& s = state();
    const auto tid = static_cast<std::size_t>(omp_get_thread_num());
    if (tid >= s.buffers.size()) {
#pragma omp atomic
        ++s.dropped_elsewhere;
        return;
    }
    auto& b = s.buffers[tid];
    if (!end) {
        // Keep room for the ends of every open region, this one's included.
        if (b.skipping > 0 || b.size + b.open + 2 > s.capacity) {
            ++b.skipping;
            ++b.dropped;
            return;
        }
        ++b.open;
    } else {
        if (b.skipping > 0) {
            --b.skipping;
            ++b.dropped;
            return;
        }
        if (b.open == 0) {  // an end without a recorded begin (tracing enabled inside a region)
            ++b.dropped;
            return;
        }
        --b.open;
    }
    b.events[b.size++] = Event{time, region, end ? 1 : 0};
}

void set_profiler_hooks(const ProfilerHooks* hooks) noexcept {
    profiler_hooks = hooks;
    if (hooks) detail::watchers |= detail::hooks_bit;
    else detail::watchers &= ~detail::hooks_bit;
}

void detail::region_event(std::int32_t region, bool end, double time) noexcept {
    if (watchers & tracing_bit) record(region, end, time < 0 ? clock() : time);
    if (const ProfilerHooks* h = profiler_hooks) {
        const char* label = state().labels[static_cast<std::size_t>(region)].c_str();
        if (end) {
            if (h->end) h->end(label);
        } else if (h->begin) {
            h->begin(label);
        }
    }
}

long long dropped() noexcept {
    const auto& s = state();
    long long n = s.dropped_elsewhere;
    for (const auto& b : s.buffers) n += b.dropped;
    return n;
}

std::vector<Event> events(int thread) {
    const auto& s = state();
    if (thread < 0 || static_cast<std::size_t>(thread) >= s.buffers.size()) return {};
    const auto& b = s.buffers[static_cast<std::size_t>(thread)];
    return std::vector<Event>(b.events.get(), b.events.get() + b.size);
}

const std::vector<std::string>& labels() { return state().labels; }
const std::vector<RegionKind>& kinds() { return state().kinds; }

std::vector<ThreadIdle> thread_idle(const mpi::Comm& comm) {
    const auto& s = state();
    if (mpi::allreduce(comm, enabled() ? 1 : 0, MPI_MIN) == 0) return {};
    // Per thread-share label and thread: the (begin, end) of each share, in order.
    std::map<std::int32_t, std::vector<std::vector<std::pair<double, double>>>> shares;
    for (std::size_t t = 0; t < s.buffers.size(); ++t) {
        const auto& b = s.buffers[t];
        for_each_pair(std::span<const Event>(b.events.get(), b.size), [&](const Event& begin, const Event& end) {
            if (s.kinds[static_cast<std::size_t>(begin.region)] != RegionKind::thread) return;
            auto& per_thread = shares[begin.region];
            per_thread.resize(s.buffers.size());
            per_thread[t].emplace_back(begin.time, end.time);
        });
    }
    std::map<std::string, double> mine;  // label -> this rank's idle fraction
    for (const auto& [id, per_thread] : shares) {
        std::size_t instances = per_thread[0].size();
        for (const auto& v : per_thread) instances = std::min(instances, v.size());
        double busy = 0.0, span = 0.0;
        for (std::size_t k = 0; k < instances; ++k) {
            double first = per_thread[0][k].first, last = per_thread[0][k].second;
            for (const auto& v : per_thread) {
                busy += v[k].second - v[k].first;
                first = std::min(first, v[k].first);
                last = std::max(last, v[k].second);
            }
            span += last - first;
        }
        if (span > 0)
            mine[s.labels[static_cast<std::size_t>(id)]] =
                std::clamp(1.0 - busy / (static_cast<double>(per_thread.size()) * span), 0.0, 1.0);
    }
    // Agree on the labels (rank 0's first), then reduce.
    std::string text;
    for (const auto& [label, idle] : mine) text += label + '\n';
    std::vector<ThreadIdle> out;
    for (const auto& all : mpi::allgather(comm, text)) {
        for (std::size_t a = 0, b; a < all.size(); a = b + 1) {
            b = all.find('\n', a);
            const std::string label = all.substr(a, b - a);
            if (std::none_of(out.begin(), out.end(), [&](const ThreadIdle& x) { return x.label == label; }))
                out.push_back(ThreadIdle{label});
        }
    }
    std::vector<double> sum(out.size()), max(out.size()), count(out.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto it = mine.find(out[i].label);
        if (it == mine.end()) continue;
        sum[i] = max[i] = it->second;
        count[i] = 1;
    }
    mpi::allreduce(comm, std::span(sum), MPI_SUM);
    mpi::allreduce(comm, std::span(max), MPI_MAX);
    mpi::allreduce(comm, std::span(count), MPI_SUM);
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i].avg = count[i] > 0 ? sum[i] / count[i] : 0.0;
        out[i].max = max[i];
    }
    return out;
}

std::vector<RankTrace> gather(const mpi::Comm& comm) {
    const auto& s = state();
    const bool on = mpi::allreduce(comm, enabled() ? 1 : 0, MPI_MIN) == 1;
    if (!on) return {};
    const auto offsets_now = estimate_offsets(comm);

    std::string labels_text;
    for (std::size_t i = 0; i < s.labels.size(); ++i)
        labels_text += std::to_string(static_cast<int>(s.kinds[i])) + ' ' + s.labels[i] + '\n';
    std::string mine;
    append(mine, Header{s.buffers.size(), labels_text.size(), dropped()});
    mine += labels_text;
    for (const auto& b : s.buffers) {
        append(mine, static_cast<std::uint64_t>(b.size));
        mine.append(reinterpret_cast<const char*>(b.events.get()), b.size * sizeof(Event));
    }
    const auto all = mpi::gather(comm, mine, 0);
    std::vector<RankTrace> out;
    if (comm.rank() != 0) return out;

    const bool have_both = s.offsets_at_enable.size() == offsets_now.size();
    for (int r = 0; r < comm.size(); ++r) {
        const auto& in = all[static_cast<std::size_t>(r)];
        const auto ur = static_cast<std::size_t>(r);
        RankTrace t;
        t.rank = r;
        std::size_t pos = 0;
        const auto h = take<Header>(in, pos);
        t.dropped = h.dropped;
        const std::string text = in.substr(pos, h.label_bytes);
        pos += h.label_bytes;
        for (std::size_t a = 0, b; a < text.size(); a = b + 1) {
            b = text.find('\n', a);
            const auto space = text.find(' ', a);
            t.kinds.push_back(static_cast<RegionKind>(std::stoi(text.substr(a, space - a))));
            t.labels.push_back(text.substr(space + 1, b - space - 1));
        }
        // Offset as a straight line through the two estimates (clocks drift slowly).
        const auto [x1, y1] = have_both ? s.offsets_at_enable[ur] : offsets_now[ur];
        const auto [x2, y2] = offsets_now[ur];
        const double slope = x2 > x1 ? (y2 - y1) / (x2 - x1) : 0.0;
        t.offset = y2;
        t.threads.resize(h.threads);
        for (auto& thread : t.threads) {
            const auto n = take<std::uint64_t>(in, pos);
            thread.resize(n);
            // An idle thread sends no events, and memcpy must not see the null data() of an
            // empty vector.
            if (n > 0) std::memcpy(thread.data(), in.data() + pos, n * sizeof(Event));
            pos += n * sizeof(Event);
            for (auto& e : thread) e.time = e.time - (y1 + slope * (e.time - x1)) - s.origin;
        }
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace tessera::trace
