// A run's snapshots in one HDF5 file, with an XDMF temporal collection that ParaView opens.
#pragma once

#include <filesystem>
#include <vector>

#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"
#include "tessera/grid/field.hpp"
#include "tessera/io/xdmf.hpp"

namespace tessera::io {

/// Snapshots of one field as /snapshots/<step, 9 digits>/u (attributes `step` and `time` on
/// each group) in one HDF5 file, and an XDMF file listing them all, rewritten atomically
/// after every snapshot. The HDF5 file is open only while a snapshot is written.
class TimeSeries {
public:
    /// Collective over `comm`. `geometry` gives cells, origin and spacing (its file, dataset
    /// and time are filled in per snapshot). With `resume_step` < 0 a new series starts (an
    /// existing file is replaced at the first write). With `resume_step` >= 0 (a restart)
    /// an existing file is continued: snapshots after `resume_step` are deleted, since the
    /// restarted run writes them again; a file that cannot be opened (a crash during a
    /// snapshot write) is renamed <name>.corrupt with a warning and a new series starts.
    /// Throws CollectiveError (exit 1) on other failures.
    TimeSeries(const mpi::Comm& comm, std::filesystem::path h5_path, std::filesystem::path xdmf_path,
               XdmfGrid geometry, gindex_t resume_step);

    /// Collective over `comm` (the field's communicator): adds `field` at `step`, `time`.
    /// Throws CollectiveError (exit 1) naming the file and HDF5's reason on failure.
    template <int Dim>
    void write(const grid::Field<double, Dim>& field, gindex_t step, double time);

    /// Local: snapshots in the series.
    std::size_t size() const noexcept { return grids_.size(); }

private:
    void write_xdmf_file() const;
    const mpi::Comm* comm_;
    std::filesystem::path h5_path_, xdmf_path_;
    XdmfGrid geometry_;
    std::vector<XdmfGrid> grids_;
    bool exists_ = false;
};

}  // namespace tessera::io
