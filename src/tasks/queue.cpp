// run_tasks: ranks claim tasks from one atomic counter in an MPI window on the writer rank
// (MPI_Fetch_and_op: no rank serves requests, so the writer computes like the others), send
// each outcome to the writer, which delivers them in task order and keeps the journal.
#include "tessera/tasks/queue.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "tessera/core/error.hpp"
#include "tessera/tasks/journal.hpp"

namespace tessera::tasks {

OnError parse_on_error(const std::string& value) {
    if (value == "stop") return OnError::stop;
    TESSERA_CHECK(value == "continue", "on_error = '" << value << "' must be stop or continue");
    return OnError::continue_;
}

const char* to_string(OnError policy) noexcept {
    return policy == OnError::stop ? "stop" : "continue";
}

namespace {

constexpr int tag_outcome = 7301;  // one finished task: header + result bytes or message
constexpr int tag_end = 7302;      // a rank has claimed its last task: how many outcomes it sent
// A failure under OnError::stop adds this to the counter, so every later claim lands past the
// end. Task counts are limited to below it (and up to 2^23 failures cannot overflow).
constexpr std::int64_t stop_offset = std::int64_t{1} << 40;

// One window holding the claim counter on the writer rank; passive target, locked for its life.
class ClaimCounter {
public:
    ClaimCounter(const mpi::Comm& comm, int owner) : owner_(owner) {
        const MPI_Aint bytes = comm.rank() == owner ? sizeof(std::int64_t) : 0;
        TESSERA_MPI_CALL(MPI_Win_allocate(bytes, sizeof(std::int64_t), MPI_INFO_NULL, comm.get(),
                                          &base_, &win_));
        if (comm.rank() == owner) *base_ = 0;
        TESSERA_MPI_CALL(MPI_Win_set_errhandler(win_, MPI_ERRORS_RETURN));
        comm.barrier();  // the counter is zero before anyone claims
        TESSERA_MPI_CALL(MPI_Win_lock_all(MPI_MODE_NOCHECK, win_));
    }
    ClaimCounter(const ClaimCounter&) = delete;
    ClaimCounter& operator=(const ClaimCounter&) = delete;
    ~ClaimCounter() {
        MPI_Win_unlock_all(win_);
        MPI_Win_free(&win_);
    }
    // Atomically adds `count` and returns the value before.
    std::int64_t fetch_add(std::int64_t count) {
        std::int64_t before = 0;
        TESSERA_MPI_CALL(MPI_Fetch_and_op(&count, &before, MPI_INT64_T, owner_, 0, MPI_SUM, win_));
        TESSERA_MPI_CALL(MPI_Win_flush(owner_, win_));
        return before;
    }

private:
    int owner_;
    std::int64_t* base_ = nullptr;
    MPI_Win win_ = MPI_WIN_NULL;
};

// What a finished task sends: index, status (0 ok, 1 failed), then the result or message.
struct Outcome {
    gindex_t index = 0;
    int rank = 0;
    bool failed = false;
    std::vector<std::byte> bytes;  // result, or the failure's message
};

constexpr std::size_t header_bytes = 2 * sizeof(std::int64_t);

void pack(const Outcome& o, std::vector<std::byte>& buffer) {
    buffer.resize(header_bytes + o.bytes.size());
    const std::int64_t header[2] = {o.index, o.failed ? 1 : 0};
    std::memcpy(buffer.data(), header, header_bytes);
    if (!o.bytes.empty()) std::memcpy(buffer.data() + header_bytes, o.bytes.data(), o.bytes.size());
}

Outcome unpack(std::vector<std::byte>&& buffer, int rank) {
    std::int64_t header[2];
    std::memcpy(header, buffer.data(), header_bytes);
    Outcome o;
    o.index = header[0];
    o.failed = header[1] != 0;
    o.rank = rank;
    o.bytes.assign(buffer.begin() + header_bytes, buffer.end());
    return o;
}

std::vector<std::byte> message_bytes(const std::string& message) {
    const auto* p = reinterpret_cast<const std::byte*>(message.data());
    return {p, p + message.size()};
}

std::string message_of(const std::vector<std::byte>& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The sending side of a non-writer rank: a ring of max_in_flight buffers, each reused once its
// send has completed.
class OutcomeSender {
public:
    OutcomeSender(const mpi::Comm& comm, int writer, int slots)
        : comm_(comm), writer_(writer), buffers_(static_cast<std::size_t>(slots)),
          requests_(static_cast<std::size_t>(slots)) {}
    void send(const Outcome& o) {
        auto& request = requests_[next_];
        request.wait();  // the bound: the writer has received the message this buffer held
        auto& buffer = buffers_[next_];
        pack(o, buffer);
        TESSERA_CHECK(buffer.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()),
                      "run_tasks: the result of task " << o.index << " (" << buffer.size()
                                                       << " bytes) exceeds one MPI message");
        TESSERA_MPI_CALL(MPI_Isend(buffer.data(), static_cast<int>(buffer.size()), MPI_BYTE, writer_,
                                   tag_outcome, comm_.get(), request.raw()));
        next_ = (next_ + 1) % buffers_.size();
        ++sent_;
    }
    void finish() {
        for (auto& r : requests_) r.wait();
        std::int64_t count = sent_;
        TESSERA_MPI_CALL(MPI_Send(&count, 1, MPI_INT64_T, writer_, tag_end, comm_.get()));
    }

private:
    const mpi::Comm& comm_;
    int writer_;
    std::vector<std::vector<std::byte>> buffers_;
    std::vector<mpi::Request> requests_;
    std::size_t next_ = 0;
    std::int64_t sent_ = 0;
};

// The writer's side: collects outcomes from every rank and delivers them in task order.
class OrderedWriter {
public:
    OrderedWriter(const mpi::Comm& comm, gindex_t n_tasks, const std::vector<gindex_t>& pending, Journal* journal,
                  const TaskOptions& options,
                  const std::function<void(gindex_t, std::span<const std::byte>)>& on_result,
                  const std::function<void(const TaskFailure&)>& on_failure)
        : comm_(comm), n_tasks_(n_tasks), skipped_(n_tasks - static_cast<gindex_t>(pending.size())),
          pending_(pending), journal_(journal), options_(options),
          on_result_(on_result), on_failure_(on_failure), last_save_(MPI_Wtime()) {
        ends_missing_ = comm.size() - 1;
        ends_.assign(static_cast<std::size_t>(comm.size()), -1);
        received_.assign(static_cast<std::size_t>(comm.size()), 0);
    }

    // Takes the writer's own outcome.
    void add(Outcome&& o) {
        const auto pos = position_of(o.index);
        waiting_.emplace(pos, std::move(o));
    }

    // Receives whatever has arrived (without waiting) and delivers what is in order.
    void poll() {
        while (receive(false)) {
        }
        deliver();
    }

    // Waits for every rank's last outcome, then delivers the rest.
    void drain() {
        while (ends_missing_ > 0 || !all_received()) receive(true);
        deliver();
        save_journal(true);
    }

    bool stop_requested() const noexcept { return stop_requested_; }
    /// Why the journal could not be written (empty when it could).
    const std::string& journal_error() const noexcept { return journal_error_; }
    std::vector<TaskFailure>& failures() noexcept { return failures_; }
    gindex_t delivered_ok() const noexcept { return delivered_ok_; }
    gindex_t delivered() const noexcept { return static_cast<gindex_t>(next_); }

private:
    std::size_t position_of(gindex_t index) const {
        const auto it = std::lower_bound(pending_.begin(), pending_.end(), index);
        return static_cast<std::size_t>(it - pending_.begin());
    }

    bool all_received() const {
        for (int r = 0; r < comm_.size(); ++r)
            if (r != comm_.rank() && received_[static_cast<std::size_t>(r)] != ends_[static_cast<std::size_t>(r)])
                return false;
        return true;
    }

    // Receives one message (blocking when `wait`); false when none was there.
    bool receive(bool wait) {
        MPI_Message message;
        MPI_Status status;
        int found = 1;
        if (wait)
            TESSERA_MPI_CALL(MPI_Mprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_.get(), &message, &status));
        else
            TESSERA_MPI_CALL(MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_.get(), &found, &message, &status));
        if (!found) return false;
        const auto source = static_cast<std::size_t>(status.MPI_SOURCE);
        if (status.MPI_TAG == tag_end) {
            std::int64_t count = 0;
            TESSERA_MPI_CALL(MPI_Mrecv(&count, 1, MPI_INT64_T, &message, MPI_STATUS_IGNORE));
            ends_[source] = count;
            --ends_missing_;
            return true;
        }
        int bytes = 0;
        TESSERA_MPI_CALL(MPI_Get_count(&status, MPI_BYTE, &bytes));
        std::vector<std::byte> buffer(static_cast<std::size_t>(bytes));
        TESSERA_MPI_CALL(MPI_Mrecv(buffer.data(), bytes, MPI_BYTE, &message, MPI_STATUS_IGNORE));
        ++received_[source];
        add(unpack(std::move(buffer), status.MPI_SOURCE));
        return true;
    }

    void deliver() {
        for (auto it = waiting_.find(next_); it != waiting_.end(); it = waiting_.find(next_)) {
            Outcome o = std::move(it->second);
            waiting_.erase(it);
            ++next_;
            if (o.failed) {
                fail(TaskFailure{o.index, o.rank, message_of(o.bytes)});
                continue;
            }
            if (result_failed_ && options_.on_error == OnError::stop) continue;  // not delivered
            try {
                if (on_result_) on_result_(o.index, o.bytes);
            } catch (const std::exception& e) {
                result_failed_ = true;
                fail(TaskFailure{o.index, comm_.rank(), e.what()});
                continue;
            }
            ++delivered_ok_;
            if (journal_) journal_->mark_finished(o.index);
            if (options_.on_progress) options_.on_progress(skipped_ + delivered_ok_, n_tasks_);
        }
        save_journal(false);
    }

    void fail(TaskFailure failure) {
        if (options_.on_error == OnError::stop) stop_requested_ = true;
        if (on_failure_) {
            try {
                on_failure_(failure);
            } catch (...) {  // a reporting hook must not end the queue; the failure is kept
            }
        }
        failures_.push_back(std::move(failure));
    }

    void save_journal(bool final) {
        if (!journal_ || options_.journal.empty()) return;
        const double now = MPI_Wtime();
        if (!final && now - last_save_ < options_.journal_interval) return;
        if (!final && journal_->n_finished() == saved_count_) return;
        last_save_ = now;
        if (!journal_error_.empty()) return;
        try {
            journal_->save(options_.journal);
            saved_count_ = journal_->n_finished();
        } catch (const std::exception& e) {  // kept: the queue stops, the peers are still drained
            journal_error_ = e.what();
            stop_requested_ = true;
        }
    }

    const mpi::Comm& comm_;
    gindex_t n_tasks_, skipped_;
    const std::vector<gindex_t>& pending_;
    Journal* journal_;
    const TaskOptions& options_;
    const std::function<void(gindex_t, std::span<const std::byte>)>& on_result_;
    const std::function<void(const TaskFailure&)>& on_failure_;
    std::map<std::size_t, Outcome> waiting_;  // by position in pending_
    std::size_t next_ = 0;                    // next position to deliver
    std::vector<std::int64_t> ends_, received_;
    int ends_missing_ = 0;
    std::vector<TaskFailure> failures_;
    gindex_t delivered_ok_ = 0;
    bool stop_requested_ = false, result_failed_ = false;
    double last_save_;
    gindex_t saved_count_ = -1;
    std::string journal_error_;
};

// Runs one task, turning an exception into a failed outcome.
Outcome run_one(const std::function<void(TaskContext&)>& task, gindex_t index, int rank, int slot,
                std::vector<std::byte>& result, double& busy) {
    Outcome o;
    o.index = index;
    o.rank = rank;
    TaskContext ctx;
    ctx.index = index;
    ctx.rank = rank;
    ctx.slot = slot;
    result.clear();
    ctx.result = &result;
    const double t0 = omp_get_wtime();
    try {
        task(ctx);
        o.bytes.assign(result.begin(), result.end());
    } catch (const std::exception& e) {
        o.failed = true;
        o.bytes = message_bytes(e.what());
    } catch (...) {
        o.failed = true;
        o.bytes = message_bytes("unknown exception");
    }
    busy += omp_get_wtime() - t0;
    return o;
}

// Failures travel to every rank as one string: index, rank, message length, message, ...
std::string encode_failures(const std::vector<TaskFailure>& failures) {
    std::string s;
    for (const auto& f : failures) {
        s += std::to_string(f.index) + ' ' + std::to_string(f.rank) + ' ' +
             std::to_string(f.message.size()) + ' ' + f.message;
    }
    return s;
}

std::vector<TaskFailure> decode_failures(const std::string& s) {
    std::vector<TaskFailure> out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        TaskFailure f;
        std::size_t used = 0;
        f.index = std::stoll(s.substr(pos), &used);
        pos += used + 1;
        f.rank = std::stoi(s.substr(pos), &used);
        pos += used + 1;
        const auto length = static_cast<std::size_t>(std::stoull(s.substr(pos), &used));
        pos += used + 1;
        f.message = s.substr(pos, length);
        pos += length;
        out.push_back(std::move(f));
    }
    return out;
}

}  // namespace

TaskReport run_tasks(const mpi::Comm& user_comm, gindex_t n_tasks,
                     const std::function<void(TaskContext&)>& task,
                     const std::function<void(gindex_t, std::span<const std::byte>)>& on_result,
                     const TaskOptions& options,
                     const std::function<void(const TaskFailure&)>& on_failure) {
    const double start = MPI_Wtime();
    mpi::Comm comm = user_comm.duplicate();  // the queue's messages never meet the caller's
    TESSERA_CHECK_ALL(comm, n_tasks >= 0 && n_tasks < stop_offset,
                      "run_tasks: n_tasks = " << n_tasks << " must be in [0, 2^40)");
    TESSERA_CHECK_ALL(comm, options.writer >= 0 && options.writer < comm.size(),
                      "run_tasks: writer = " << options.writer << " is not a rank of the "
                                             << comm.size() << "-rank communicator");
    TESSERA_CHECK_ALL(comm, options.max_in_flight >= 1,
                      "run_tasks: max_in_flight = " << options.max_in_flight << " must be at least 1");
    TESSERA_CHECK_ALL(comm, !options.resume || !options.journal.empty(),
                      "run_tasks: resume needs a journal path");
    TESSERA_CHECK_ALL(comm, static_cast<bool>(task), "run_tasks: no task function");
    const bool writer = comm.rank() == options.writer;

    // The journal lives on the writer; every rank learns which tasks are left.
    std::optional<Journal> journal;
    std::string finished_ranges;
    const auto load = [&] {
        if (!writer || options.journal.empty()) return;
        journal = options.resume ? Journal::load(options.journal, n_tasks, options.fingerprint)
                                 : Journal(n_tasks, options.fingerprint);
        finished_ranges = journal->ranges();
    };
    collective_call(comm, load);
    if (!options.journal.empty() && !options.resume)  // a fresh journal: can it be written?
        collective_call(comm, [&] { if (journal) journal->save(options.journal); }, 1);
    finished_ranges = mpi::bcast(comm, finished_ranges, options.writer);
    Journal skip(n_tasks, options.fingerprint);
    if (!finished_ranges.empty()) skip.mark_ranges(finished_ranges);
    std::vector<gindex_t> pending;
    pending.reserve(static_cast<std::size_t>(n_tasks - skip.n_finished()));
    for (gindex_t i = 0; i < n_tasks; ++i)
        if (!skip.finished(i)) pending.push_back(i);
    const auto n_pending = static_cast<std::int64_t>(pending.size());

    ClaimCounter counter(comm, options.writer);
    std::optional<OrderedWriter> ordered;
    std::optional<OutcomeSender> sender;
    if (writer) ordered.emplace(comm, n_tasks, pending, journal ? &*journal : nullptr, options, on_result, on_failure);
    else sender.emplace(comm, options.writer, options.max_in_flight);

    const bool per_thread = options.threads == Threads::one_per_thread;
    const int slots = per_thread ? std::max(1, omp_get_max_threads()) : 1;
    std::vector<std::vector<std::byte>> results(static_cast<std::size_t>(slots));
    std::vector<double> busy(static_cast<std::size_t>(slots), 0.0);
    gindex_t tasks_here = 0;
    bool stop_sent = false;
    // The main thread hands each outcome on (MPI happens on it alone: MPI_THREAD_FUNNELED).
    const auto hand_on = [&](Outcome&& o) {
        const bool stop = (options.on_error == OnError::stop && o.failed);
        ++tasks_here;
        if (writer) ordered->add(std::move(o));
        else sender->send(o);
        if (writer) ordered->poll();
        if ((stop || (writer && ordered->stop_requested())) && !stop_sent) {
            counter.fetch_add(stop_offset);
            stop_sent = true;
        }
    };
    if (!per_thread) {
        for (;;) {
            const std::int64_t claimed = counter.fetch_add(1);
            if (claimed >= n_pending) break;
            const gindex_t index = pending[static_cast<std::size_t>(claimed)];
            Outcome o = run_one(task, index, comm.rank(), 0, results[0], busy[0]);
            if (options.heartbeat) options.heartbeat(index);
            hand_on(std::move(o));
        }
    } else {
        // One task per thread: the main thread claims tasks ahead (up to 2 per thread waiting
        // on this rank) and hands outcomes on between its own tasks; the other threads take
        // claimed tasks as they become free, so a long task on one thread holds no other.
        std::mutex mutex;
        std::deque<gindex_t> claimed;
        std::vector<Outcome> finished;
        bool exhausted = false;
#pragma omp parallel num_threads(slots)
        {
            const int slot = omp_get_thread_num();
            for (;;) {
                std::vector<Outcome> to_hand_on;
                if (slot == 0) {
                    std::unique_lock lock(mutex);
                    to_hand_on.swap(finished);
                    const bool refill = !exhausted && claimed.size() < 2 * static_cast<std::size_t>(slots);
                    lock.unlock();
                    for (auto& o : to_hand_on) hand_on(std::move(o));
                    if (refill) {
                        const std::int64_t first = counter.fetch_add(slots);
                        lock.lock();
                        for (std::int64_t k = first; k < std::min<std::int64_t>(first + slots, n_pending); ++k)
                            claimed.push_back(pending[static_cast<std::size_t>(k)]);
                        if (first + slots >= n_pending) exhausted = true;
                        lock.unlock();
                    }
                }
                std::unique_lock lock(mutex);
                if (claimed.empty()) {
                    const bool done = exhausted;
                    lock.unlock();
                    if (done) break;
                    std::this_thread::yield();  // the main thread is claiming
                    continue;
                }
                const gindex_t index = claimed.front();
                claimed.pop_front();
                lock.unlock();
                Outcome o = run_one(task, index, comm.rank(), slot, results[static_cast<std::size_t>(slot)],
                                    busy[static_cast<std::size_t>(slot)]);
                if (options.heartbeat) options.heartbeat(index);
                lock.lock();
                finished.push_back(std::move(o));
            }
        }
        for (auto& o : finished) hand_on(std::move(o));
    }
    if (writer) ordered->drain();
    else sender->finish();
    // A journal that cannot be written: every rank learns it (exit code 1).
    detail::check_all(comm, !writer || ordered->journal_error().empty(),
                      writer ? ordered->journal_error() : std::string(), 1);

    // The report, the same on every rank.
    TaskReport report;
    report.n_tasks = n_tasks;
    report.skipped = skip.n_finished();
    std::int64_t counts[2] = {0, 0};  // delivered, delivered ok
    std::string failures;
    if (writer) {
        counts[0] = ordered->delivered();
        counts[1] = ordered->delivered_ok();
        failures = encode_failures(ordered->failures());
    }
    mpi::bcast(comm, std::span<std::int64_t>(counts, 2), options.writer);
    failures = mpi::bcast(comm, failures, options.writer);
    report.failures = decode_failures(failures);
    report.completed = counts[1];
    report.not_run = n_pending - counts[0];
    report.stopped = options.on_error == OnError::stop && !report.failures.empty();
    report.tasks_here = tasks_here;
    for (double b : busy) report.busy_seconds_here += b;
    report.seconds = MPI_Wtime() - start;
    report.busy_min = mpi::allreduce(comm, report.busy_seconds_here, MPI_MIN);
    report.busy_max = mpi::allreduce(comm, report.busy_seconds_here, MPI_MAX);
    report.busy_avg = mpi::allreduce(comm, report.busy_seconds_here, MPI_SUM) / comm.size();
    const double wall = mpi::allreduce(comm, report.seconds, MPI_MAX);
    report.efficiency = wall > 0 ? report.busy_avg / (slots * wall) : 0;
    return report;
}

}  // namespace tessera::tasks
