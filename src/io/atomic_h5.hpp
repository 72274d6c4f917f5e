// Private to io: a parallel HDF5 file written under a temporary name and renamed into place
// only when complete, so a reader never sees a partial file (final fields, HDF5 images).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "tessera/core/error.hpp"
#include "tessera/core/mpi.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/hdf5.hpp"

namespace tessera::io::detail {

/// Collective over `comm`: rank 0 reserves a unique temporary beside `path` (AtomicFile); every
/// rank creates it with MPI-IO and `write(file)` fills it (collectively); the file is closed,
/// rank 0 renames it to `path` and then runs `after_commit()` (a sidecar, say). On any failure
/// the temporary is removed and the error rethrown (a CollectiveError with the path prefixed).
template <class Write, class AfterCommit>
void write_h5_atomically(const mpi::Comm& comm, const std::filesystem::path& path, Write&& write,
                         AfterCommit&& after_commit) {
    std::optional<AtomicFile> atomic;
    std::string reserved;
    collective_call(comm, [&] {
        if (comm.rank() != 0) return;
        atomic.emplace(path);
        reserved = atomic->temporary().string();
    }, 1);
    const std::filesystem::path tmp = mpi::bcast(comm, reserved, 0);
    try {
        auto file = collective_call(comm, [&] { return h5::File::create(comm, tmp); }, 1);
        write(file);
        collective_call(comm, [&] { file.close(); }, 1);
        collective_call(comm, [&] {
            if (comm.rank() != 0) return;
            atomic->commit();
            after_commit();
        }, 1);
    } catch (const std::exception& e) {
        if (atomic) atomic->discard();
        if (const auto* ce = dynamic_cast<const CollectiveError*>(&e))
            throw CollectiveError(path.string() + ": " + ce->what(), ce->failing_rank(), ce->exit_code());
        throw;
    }
}

}  // namespace tessera::io::detail
