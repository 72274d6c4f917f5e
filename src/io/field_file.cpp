// Finished field outputs: HDF5 through an atomic temporary, then the XDMF sidecar.
#include "tessera/io/field_file.hpp"

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/field_io.hpp"
#include "tessera/io/hdf5.hpp"
#include "tessera/io/xdmf.hpp"

#include "atomic_h5.hpp"

namespace tessera::io {

namespace fs = std::filesystem;

template <int Dim>
void write_field_file(const fs::path& path, const grid::Field<double, Dim>& field, const FieldFileInfo& info) {
    ScopedTimer timer("io.field_file");
    const auto& comm = field.decomp().comm();
    const auto cells = field.decomp().global_cells();
    const std::vector<double> origin = info.origin.empty() ? std::vector<double>(Dim, 0.0) : info.origin;
    const std::vector<double> spacing = info.spacing.empty() ? std::vector<double>(Dim, 1.0) : info.spacing;
    detail::write_h5_atomically(
        comm, path,
        [&](h5::File& file) {
            write_field<Dim>(file, info.dataset, field);
            const hid_t f = file.get();
            h5::write_attribute(f, "step", static_cast<long long>(info.step));
            h5::write_attribute(f, "time", info.time);
            h5::write_attribute(f, "spacing", spacing);
            h5::write_attribute(f, "origin", origin);
            for (const auto& [name, value] : info.text) h5::write_attribute(f, name, value);
            for (const auto& [name, value] : info.numbers) h5::write_attribute(f, name, value);
        },
        [&] {
            XdmfGrid g;
            g.h5_file = path.filename().string();
            g.dataset = info.dataset;
            g.attribute = info.dataset.substr(info.dataset.find_last_of('/') + 1);
            g.cells.assign(cells.begin(), cells.end());
            g.origin = origin;
            g.spacing = spacing;
            g.time = info.time;
            fs::path xdmf = path;
            write_xdmf(xdmf.replace_extension(".xdmf"), {g});
        });
}

template void write_field_file<2>(const fs::path&, const grid::Field<double, 2>&, const FieldFileInfo&);
template void write_field_file<3>(const fs::path&, const grid::Field<double, 3>&, const FieldFileInfo&);

}  // namespace tessera::io
