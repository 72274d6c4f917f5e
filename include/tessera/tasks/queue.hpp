// A queue of independent tasks over the ranks of a communicator and the threads of each rank:
// dynamic assignment through one shared atomic counter (no dispatcher rank), results handed to
// one writer in task order, errors recorded per task, a journal for resuming after a crash.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"

namespace tessera::tasks {

/// How a rank's threads share its tasks.
enum class Threads {
    /// One task at a time per rank; the task may open OpenMP parallel regions (the rank's team
    /// is reused from task to task). For tasks large enough to use every thread: frames, lattices.
    inside_task,
    /// Each OpenMP thread runs its own tasks (one thread per task, no nested parallelism).
    /// For many small tasks. The rank claims `threads` tasks at a time and its threads take
    /// them dynamically, so the claim is the unit of balance between ranks.
    one_per_thread,
};

/// What happens when a task throws.
enum class OnError {
    stop,       ///< no new task is claimed on any rank; tasks already running finish
    continue_,  ///< the other tasks run; the failures are reported at the end
};

/// Local: parses "stop" or "continue"; throws tessera::Error naming `value` otherwise.
OnError parse_on_error(const std::string& value);
const char* to_string(OnError policy) noexcept;

/// What a task sees: its index, where it runs, and the buffer for its result.
struct TaskContext {
    gindex_t index = 0;  ///< task number, 0 .. n_tasks-1
    int rank = 0;        ///< rank of the queue's communicator running the task
    /// Worker slot on this rank: 0 with Threads::inside_task, the OpenMP thread number with
    /// one_per_thread. Index per-slot workspaces with it: they are then reused, never shared.
    int slot = 0;
    /// Bytes for the ordered writer (cleared before each task; its capacity is kept, so a
    /// slot's buffer is reused). Leave empty when the task writes its own output.
    std::vector<std::byte>* result = nullptr;
};

/// A failed task: the exception's message, where it ran.
struct TaskFailure {
    gindex_t index = 0;
    int rank = 0;
    std::string message;
};

struct TaskOptions {
    Threads threads = Threads::inside_task;
    OnError on_error = OnError::stop;
    /// Rank that receives the results, in task order, and writes the journal.
    int writer = 0;
    /// Journal of finished tasks (empty: none). Rewritten atomically as tasks finish (at most
    /// every `journal_interval` seconds, and at the end), so a crash loses at most that much.
    std::filesystem::path journal;
    double journal_interval = 1.0;
    /// Skip the tasks that `journal` lists as finished (the journal must exist and match
    /// `fingerprint` and the number of tasks). Without resume an existing journal is replaced.
    bool resume = false;
    /// Identifies the run the journal belongs to (e.g. a hash of the inputs and options): a
    /// resume refuses a journal written with another fingerprint.
    std::string fingerprint;
    /// Results a rank may have sent that the writer has not received yet; a rank waits before
    /// sending more (bounds the writer's memory when it is busy with a long task).
    int max_in_flight = 8;
    /// Writer rank, after each result delivered in order: (tasks finished including those
    /// skipped on resume, n_tasks). For progress lines.
    std::function<void(gindex_t finished, gindex_t total)> on_progress;
    /// Writer rank, just before each journal save: make the results delivered so far durable
    /// (e.g. flush an output file), so the journal never lists a task whose output a crash
    /// could still lose.
    std::function<void()> before_journal_save;
    /// Every rank, after each task of its own ends (success or failure), from the thread that
    /// ran it: e.g. run::Watchdog::kick, so a task that never returns ends the job.
    std::function<void(gindex_t index)> heartbeat;
};

/// What happened, the same on every rank (except the timings, which are per rank).
struct TaskReport {
    gindex_t n_tasks = 0;
    gindex_t skipped = 0;    ///< finished in an earlier run (from the journal)
    gindex_t completed = 0;  ///< ran and succeeded in this run
    gindex_t not_run = 0;    ///< never claimed, because a failure stopped the queue
    std::vector<TaskFailure> failures;  ///< in task order
    bool stopped = false;    ///< on_error = stop ended the queue early
    double seconds = 0;      ///< wall time of run_tasks on this rank
    /// This rank: tasks run and seconds spent inside task functions (summed over its slots).
    gindex_t tasks_here = 0;
    double busy_seconds_here = 0;
    /// Over ranks: busy seconds min/avg/max, and sum(busy) / (ranks x slots x max wall time),
    /// the parallel efficiency the layout reached.
    double busy_min = 0, busy_avg = 0, busy_max = 0, efficiency = 0;
    bool ok() const noexcept { return failures.empty() && !stopped; }
};

/// Runs task(ctx) once for every index in [0, n_tasks) that the journal does not list as
/// finished. Collective over `comm` (every rank calls it with the same n_tasks and options).
///
/// Ranks claim tasks from a shared counter as they become free, so uneven task costs balance;
/// every rank runs tasks, the writer too. A task's result bytes go to the writer, which calls
/// on_result(index, bytes) in increasing index order (skipped and failed indices are passed
/// over; on_failure(failure) is called on the writer in their place when given). on_result
/// runs between the writer's own tasks, on its main thread; it may do I/O but no collective.
///
/// A task that throws a std::exception is recorded (index, rank, message); with OnError::stop
/// no rank claims another task, the tasks already running finish and their results are still
/// delivered. The failures reach every rank in the report. A throwing on_result ends the queue
/// the same way, reported as a failure of its index.
///
/// Throws CollectiveError (exit 2) when n_tasks < 0, writer is not a rank, max_in_flight < 1,
/// or on resume when the journal is missing, unreadable or from another run (the message names
/// the journal's path); an error writing the journal is a CollectiveError with exit code 1.
TaskReport run_tasks(const mpi::Comm& comm, gindex_t n_tasks,
                     const std::function<void(TaskContext&)>& task,
                     const std::function<void(gindex_t, std::span<const std::byte>)>& on_result,
                     const TaskOptions& options,
                     const std::function<void(const TaskFailure&)>& on_failure = {});

}  // namespace tessera::tasks
