// A field as a finished output: an HDF5 file written atomically, its XDMF sidecar for
// ParaView, and attributes that say what it is (step, time, spacing, origin, anything else).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tessera/core/types.hpp"
#include "tessera/grid/field.hpp"

namespace tessera::io {

/// What write_field_file() records beside the field.
struct FieldFileInfo {
    std::string dataset = "/u";                ///< the field's dataset (and XDMF attribute name)
    std::vector<double> origin;                ///< lower corner per axis (default 0)
    std::vector<double> spacing;               ///< cell size per axis (default 1)
    gindex_t step = 0;
    double time = 0.0;
    /// Further root attributes (the run's configuration, version, parameters).
    std::vector<std::pair<std::string, std::string>> text;
    std::vector<std::pair<std::string, double>> numbers;
};

/// Collective over the field's communicator: writes `field` to `path` (HDF5, dataset
/// info.dataset of shape [nz,] ny, nx) with attributes step, time, spacing, origin and the extra
/// ones, through a unique temporary file renamed into place once complete, then the XDMF
/// sidecar `path` with extension .xdmf (atomically too). A crash leaves the previous file or
/// the new one. Throws CollectiveError (exit 1) on every rank naming the path and the reason.
template <int Dim>
void write_field_file(const std::filesystem::path& path, const grid::Field<double, Dim>& field,
                      const FieldFileInfo& info);

}  // namespace tessera::io
