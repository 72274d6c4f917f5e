// XDMF sidecars so that ParaView opens tessera's HDF5 output directly.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "tessera/core/types.hpp"

namespace tessera::io {

/// One uniform-grid field stored in an HDF5 file, as ParaView should see it.
struct XdmfGrid {
    std::string h5_file;                 ///< path relative to the .xdmf file
    std::string dataset;                 ///< e.g. "/u" or "/snapshots/000100/u"
    std::string attribute = "u";         ///< name shown in ParaView
    std::vector<gindex_t> cells;         ///< nx, ny[, nz]
    std::vector<double> origin;          ///< lower corner of the domain per axis
    std::vector<double> spacing;         ///< cell sizes per axis
    double time = 0.0;
};

/// The XDMF text for a temporal collection of grids (a single grid is a collection of one).
/// Cell-centred values are described as nodes at the cell centres of a 3DCoRectMesh; 2D
/// fields as one node thick (a 2DCoRectMesh renders edge-on in ParaView), the attribute's
/// DataItem saying "1 NY NX" like the mesh (ParaView 5.11 draws "NY NX" blank).
std::string xdmf_text(const std::vector<XdmfGrid>& grids);
/// Local (call on one rank): writes xdmf_text(grids) to `path` atomically.
void write_xdmf(const std::filesystem::path& path, const std::vector<XdmfGrid>& grids);

}  // namespace tessera::io
