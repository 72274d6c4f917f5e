// Stop requests from the batch system (SIGTERM, SIGUSR1, SIGINT) turned into a flag that a
// simulation loop polls at step boundaries, and the one collective that makes ranks agree.
#pragma once

#include "tessera/core/mpi.hpp"

namespace tessera::run {

/// While alive, SIGTERM, SIGUSR1 and SIGINT only record which signal arrived (one store to a
/// lock-free atomic: async-signal-safe); the previous handlers are restored on destruction.
/// A second SIGINT while one is pending restores the default action and re-raises it, so
/// Ctrl-C twice still ends a stuck program. Create one per process (the handlers are
/// process-wide). Local.
class StopSignals {
public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    /// Local: the number of the last stop signal received by this process, 0 if none.
    static int pending() noexcept;
    /// Local: forgets a pending signal (tests).
    static void clear() noexcept;
};

/// Why a run should stop at this step boundary, as agreed by every rank.
struct StopRequest {
    int signal = 0;          ///< signal number seen by any rank (the largest), 0 if none
    bool time_limit = false; ///< some rank's wall-time limit is near
    bool checkpoint = false; ///< some rank asks for a checkpoint (e.g. a wall-time interval)
    bool stop() const noexcept { return signal != 0 || time_limit; }
};

/// Collective over `comm` (one MPI_Allreduce of three ints, MAX): combines this rank's pending
/// signal with its `time_limit` and `checkpoint` wishes, so all ranks take the same decision
/// at the same step. Throws tessera::Error if MPI fails.
StopRequest agree_stop(const mpi::Comm& comm, bool time_limit = false, bool checkpoint = false);

/// Local: "SIGTERM", "SIGUSR1", "SIGINT", or "a signal" for any other number.
const char* signal_name(int signal) noexcept;

}  // namespace tessera::run
