// Crash-proof checkpoints: every field of a run plus its step, time, resolved configuration,
// version and integer counters, written atomically and verified (Fletcher32) on restart.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"
#include "tessera/grid/field.hpp"
#include "tessera/io/field_io.hpp"
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
    std::vector<double> values;       ///< floating-point state, bit for bit (may be empty)
    std::string keys;                 ///< compatibility keys as JSON text (may be empty)
};

/// What a checkpoint write cost (the same values on every rank).
struct CheckpointStats {
    std::size_t bytes = 0;     ///< field data written
    /// create, write and close the temporary file, the ranks in turn, each flushing its part
    /// to disk (fdatasync) while the next one writes
    double write_seconds = 0;
    /// fsync the file (what is left), rename, fsync the directory, delete older checkpoints
    double sync_seconds = 0;
};

/// The fields of one checkpoint, of any dimension: each is stored as /fields/<name> and read
/// back with CheckpointReader::read on any rank count. Holds pointers: the fields must outlive
/// the write. Local.
class CheckpointData {
public:
    template <int Dim>
    void add(std::string name, const grid::Field<double, Dim>& field) {
        Entry e;
        e.name = std::move(name);
        e.bytes = sizeof(double);
        for (auto c : field.decomp().global_cells()) e.bytes *= static_cast<std::size_t>(c);
        e.create = [&field](const h5::File& file, const std::string& path, const FieldWriteOptions& o) {
            create_field_dataset<Dim>(file, path, field.decomp(), o);
        };
        e.write = [&field](const h5::File& file, const std::string& path) { write_field_part<Dim>(file, path, field); };
        entries_.push_back(std::move(e));
    }
    bool empty() const noexcept { return entries_.empty(); }

private:
    friend CheckpointStats write_checkpoint(const mpi::Comm&, const std::filesystem::path&, const CheckpointData&,
                                            const CheckpointMeta&, int);
    struct Entry {
        std::string name;
        std::size_t bytes = 0;
        std::function<void(const h5::File&, const std::string&, const FieldWriteOptions&)> create;
        std::function<void(const h5::File&, const std::string&)> write;
    };
    std::vector<Entry> entries_;
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


/// Collective over `comm`: writes `fields` and `meta` as checkpoint_path(dir, meta.step), so
/// that a crash at any moment leaves either the complete new file or none:
/// write a unique temporary (io::AtomicFile; datasets chunked, Fletcher32-checksummed; the ranks write in turn, in
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
CheckpointStats write_checkpoint(const mpi::Comm& comm, const std::filesystem::path& dir,
                                 const CheckpointData& fields, const CheckpointMeta& meta, int keep = 2);

/// Collective over `comm`: write_checkpoint of fields of one dimension.
template <int Dim>
CheckpointStats write_checkpoint(const mpi::Comm& comm, const std::filesystem::path& dir,
                                 const std::vector<NamedField<Dim>>& fields, const CheckpointMeta& meta,
                                 int keep = 2) {
    CheckpointData data;
    for (const auto& f : fields) data.add<Dim>(f.name, *f.field);
    return write_checkpoint(comm, dir, data, meta, keep);
}

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

    /// Local: whether the checkpoint holds field `name`.
    bool has_field(const std::string& name) const;

    /// Collective: closes the file.
    void close();

private:
    const mpi::Comm* comm_;
    h5::File file_;
    CheckpointMeta meta_;
};

}  // namespace tessera::io
