// XDMF 2 text for uniform grids stored in HDF5.
#include "tessera/io/xdmf.hpp"

#include <sstream>

#include "tessera/core/error.hpp"
#include "tessera/io/atomic_file.hpp"

namespace tessera::io {

std::string xdmf_text(const std::vector<XdmfGrid>& grids) {
    std::ostringstream os;
    os.precision(17);
    os << "<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n"
       << "<Xdmf Version=\"2.0\">\n  <Domain>\n"
       << "    <Grid Name=\"series\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
    for (const auto& g : grids) {
        const std::size_t dim = g.cells.size();
        // Nodes at cell centres, listed z y x; a 2D field is one node thick in z.
        const gindex_t nz = dim == 3 ? g.cells[2] : 1;
        const double oz = dim == 3 ? g.origin[2] + 0.5 * g.spacing[2] : 0.0;
        const double dz = dim == 3 ? g.spacing[2] : 1.0;
        // The attribute's DataItem repeats the mesh's "1 NY NX" for 2D although the HDF5 dataset
        // is [NY, NX]: with "NY NX" ParaView 5.11 reads NY tuples of NX components ("Source array
        // too small") and draws a blank field.
        std::ostringstream shape;
        shape << nz << ' ' << g.cells[1] << ' ' << g.cells[0];
        os << "      <Grid Name=\"" << g.attribute << "\" GridType=\"Uniform\">\n"
           << "        <Time Value=\"" << g.time << "\"/>\n"
           << "        <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"" << shape.str() << "\"/>\n"
           << "        <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n"
           << "          <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">"
           << oz << ' ' << g.origin[1] + 0.5 * g.spacing[1] << ' ' << g.origin[0] + 0.5 * g.spacing[0]
           << "</DataItem>\n"
           << "          <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">"
           << dz << ' ' << g.spacing[1] << ' ' << g.spacing[0] << "</DataItem>\n"
           << "        </Geometry>\n"
           << "        <Attribute Name=\"" << g.attribute << "\" AttributeType=\"Scalar\" Center=\"Node\">\n"
           << "          <DataItem Dimensions=\"" << shape.str()
           << "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">" << g.h5_file << ':' << g.dataset
           << "</DataItem>\n"
           << "        </Attribute>\n      </Grid>\n";
    }
    os << "    </Grid>\n  </Domain>\n</Xdmf>\n";
    return os.str();
}

void write_xdmf(const std::filesystem::path& path, const std::vector<XdmfGrid>& grids) {
    write_file_atomically(path, xdmf_text(grids));
}

}  // namespace tessera::io
