// Crash-proof checkpoints: every field of a run plus its step, time, resolved configuration,
// version and integer counters, written atomically and verified (Fletcher32) on restart.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"
#include "tessera/grid/field.hpp"
#include "tessera/io/hdf5.hpp"

namespace tessera::io {

/// What a checkpoint records besides its fields (root attributes of the file).
struct CheckpointMeta {
    gindex_t step = 0;                ///< steps done
    double time = 0.0;                ///< simulated time
    double dt = 0.0;                  ///< time step, bit for bit
    std::string app;                  ///< short app name, e.g. "heat"
    std::string config;               ///< resolved configuration as JSON text
    std::string version;              ///< tessera version that wrote the file
    std::vector<gindex_t> cells;      ///< global cells per axis (x first)
    std::vector<long long> counters;  ///< integer state such as RNG counters (may be empty)
};

/// One field to checkpoint: stored as dataset /fields/<name>.
template <int Dim>
struct NamedField {
    std::string name;
    const grid::Field<double, Dim>* field;
};

/// Local: `dir`/chk_<step, 9 digits>.h5 (e.g. chk_000000120.h5).
std::filesystem::path checkpoint_path(const std::filesystem::path& dir, gindex_t step);

/// Local: the checkpoints in `dir` (files named exactly chk_<9 digits>.h5), highest step
/// first. Temporary (*.tmp) and moved-aside (*.corrupt) files are never listed. Empty when
/// `dir` does not exist.
std::vector<std::filesystem::path> list_checkpoints(const std::filesystem::path& dir);

/// What a checkpoint write cost (the same values on every rank).
struct CheckpointStats {
    std::size_t bytes = 0;     ///< field data written
    /// create, write and close the temporary file, the ranks in turn, each flushing its part
    /// to disk (fdatasync) while the next one writes
    double write_seconds = 0;
    /// fsync the file (what is left), rename, fsync the directory, delete older checkpoints
    double sync_seconds = 0;
};

/// Collective over `comm`: writes `fields` and `meta` as checkpoint_path(dir, meta.step), so
/// that a crash at any moment leaves either the complete new file or none:
/// write <name>.tmp (datasets chunked, Fletcher32-checksummed; the ranks write in turn, in
/// rank order, with HDF5's serial driver), close, fsync, rename, fsync `dir`. Then deletes
/// all but the newest `keep` checkpoints (keep >= 1). Files lose write permission for others.
/// `dir` must exist. Returns the bytes and the time of each phase.
/// Throws CollectiveError (exit 1) on every rank naming the path and HDF5's or the OS's
/// reason (full disk, permission denied, a path that is a directory...); the temporary file
/// is removed and earlier checkpoints are untouched.
/// Test hooks (environment, read on every rank): TESSERA_TEST_SLEEP_IN_CHECKPOINT=S sleeps S
/// seconds on the last rank, after all data is written and before the file is closed (a kill
/// then lands in the middle of a write); TESSERA_TEST_SLEEP_AFTER_CHECKPOINT=S sleeps after
/// it is complete.
template <int Dim>
CheckpointStats write_checkpoint(const mpi::Comm& comm, const std::filesystem::path& dir,
                                 const std::vector<NamedField<Dim>>& fields, const CheckpointMeta& meta,
                                 int keep = 2);

/// A checkpoint file opened for reading on a communicator; any rank count and process grid
/// may read what another wrote.
class CheckpointReader {
public:
    /// Collective over `comm` (which must outlive the reader): opens `path` and reads its
    /// metadata. Throws CollectiveError (exit 2) naming the path when it does not exist, is
    /// not an HDF5 file, is truncated, or is not a tessera checkpoint.
    CheckpointReader(const mpi::Comm& comm, const std::filesystem::path& path);
    const CheckpointMeta& meta() const noexcept { return meta_; }
    const std::filesystem::path& path() const noexcept { return file_.path(); }

    /// Collective: reads field `name` into `field`, verifying every chunk's Fletcher32
    /// checksum. Throws CollectiveError (exit 2) naming the path on every rank when the field
    /// is missing, has another shape, or any rank's data fails to read or verify.
    template <int Dim>
    void read(const std::string& name, grid::Field<double, Dim>& field);

    /// Collective: closes the file.
    void close();

private:
    const mpi::Comm* comm_;
    h5::File file_;
    CheckpointMeta meta_;
};

}  // namespace tessera::io
