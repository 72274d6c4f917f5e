// The process runtime: MPI + OpenMP start-up and shutdown, the layout report, and the guard
// that every app's main runs through.
#pragma once

#include <functional>
#include <string>

#include "tessera/core/mpi.hpp"

namespace tessera {

/// Owns MPI for the life of the program: MPI_Init_thread (MPI_THREAD_FUNNELED or above: only
/// the thread that created the Runtime calls MPI) in the constructor, MPI_Finalize in the
/// destructor. If MPI was already initialized by the caller, it is neither re-initialized nor
/// finalized. Create exactly one, first thing in main.
class Runtime {
public:
    /// Collective over MPI_COMM_WORLD. Throws tessera::Error when MPI cannot provide
    /// `required_thread_level`.
    Runtime(int& argc, char**& argv, int required_thread_level = MPI_THREAD_FUNNELED);
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    /// A duplicate of MPI_COMM_WORLD for the library and apps (MPI_ERRORS_RETURN).
    const mpi::Comm& world() const noexcept { return world_; }
    int rank() const noexcept { return world_.rank(); }
    int size() const noexcept { return world_.size(); }
    /// OpenMP threads per rank (omp_get_max_threads()).
    int threads() const noexcept { return threads_; }
    /// MPI thread support level granted by MPI_Init_thread.
    int thread_level() const noexcept { return thread_level_; }
    /// Program name without directories, e.g. "tessera-heat".
    const std::string& app_name() const noexcept { return app_name_; }
    /// Seconds since the Runtime was created (MPI_Wtime).
    double elapsed() const;

    /// Collective: one line per rank with host, rank, threads and the CPUs each may run on;
    /// the full text on rank 0, empty elsewhere.
    std::string layout_report() const;

private:
    mpi::Comm world_;
    std::string app_name_;
    int threads_ = 1;
    int thread_level_ = 0;
    bool finalize_ = false;
    double start_ = 0.0;
};

/// Runs an app's body and turns its outcome into the process exit code, on every rank:
/// - returns what `body` returns (0 ok, 1 runtime failure or failed self-check);
/// - ExitRequest: its code (e.g. 0 after --help);
/// - CollectiveError (all ranks agree): printed once on rank 0 as `<app>: error: <what>`,
///   every rank returns its exit code (2 for bad input);
/// - any other exception: `[rank r] fatal: <what>` on the rank that raised it, then
///   MPI_Abort, because peers may be blocked in a collective and would otherwise hang.
int run_guarded(Runtime& runtime, const std::function<int()>& body);

}  // namespace tessera
