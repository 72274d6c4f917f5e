// Support for MPI gtests: the world communicator of the test program's Runtime.
#pragma once

#include <tessera/core/mpi.hpp>

namespace tessera::testing {

/// The Runtime's duplicate of MPI_COMM_WORLD, valid for the whole test program.
const mpi::Comm& world();

}  // namespace tessera::testing
