// Error types and the collective agreement behind TESSERA_CHECK_ALL.
#include "tessera/core/error.hpp"

#include <climits>

#include "tessera/core/mpi.hpp"

namespace tessera {

Error::Error(const std::string& message, const char* file, int line)
    : std::runtime_error(message), rank_(world_rank()), file_(file), line_(line) {}

CollectiveError::CollectiveError(const std::string& message, int failing_rank, int exit_code)
    : Error(message), failing_rank_(failing_rank), exit_code_(exit_code) {}

namespace detail {

void throw_error(const std::string& message, const char* file, int line) {
    throw Error(message, file, line);
}

void check_all(const mpi::Comm& comm, bool ok, const std::string& message, int exit_code) {
    // One allreduce finds the lowest failing rank; only on failure is its message broadcast.
    const int mine = ok ? INT_MAX : comm.rank();
    const int first_failing = mpi::allreduce(comm, mine, MPI_MIN);
    if (first_failing == INT_MAX) return;
    const std::string text = mpi::bcast(comm, message, first_failing);
    throw CollectiveError(text, first_failing, exit_code);
}

}  // namespace detail
}  // namespace tessera
