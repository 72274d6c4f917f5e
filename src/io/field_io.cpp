// Collective hyperslab I/O of Fields: the owned box of each rank, ghosts and padding skipped.
#include "tessera/io/field_io.hpp"

#include <algorithm>
#include <sstream>

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::io {

namespace {

// Dims and selections in HDF5's C order (slowest axis first) from tessera's (i fastest).
template <int Dim>
std::vector<hsize_t> reversed(const std::array<gindex_t, Dim>& a) {
    std::vector<hsize_t> r(Dim);
    for (int d = 0; d < Dim; ++d) r[static_cast<std::size_t>(Dim - 1 - d)] = static_cast<hsize_t>(a[d]);
    return r;
}

template <int Dim>
std::array<gindex_t, Dim> extents(const Box<Dim>& b) {
    std::array<gindex_t, Dim> e{};
    for (int d = 0; d < Dim; ++d) e[d] = b.extent(d);
    return e;
}

// File space selecting this rank's owned box, and a memory space selecting the owned cells
// inside the field's padded storage (which starts at storage_box().lo).
template <int Dim>
std::pair<h5::Handle, h5::Handle> selections(hid_t file_space, const grid::Field<double, Dim>& field) {
    const auto owned = field.owned_box();
    const auto start = reversed<Dim>(owned.lo);
    const auto count = reversed<Dim>(extents(owned));
    h5::Handle fspace(TESSERA_H5_CALL(H5Scopy(file_space)), H5Sclose);
    TESSERA_H5_CALL(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr));

    std::array<gindex_t, Dim> mem_dims{};
    mem_dims[0] = field.stride()[1];
    for (int d = 1; d < Dim; ++d) mem_dims[d] = field.storage_box().extent(d);
    std::array<gindex_t, Dim> offset{};
    offset.fill(field.ghost());
    auto mspace = h5::dataspace(reversed<Dim>(mem_dims));
    const auto mstart = reversed<Dim>(offset);
    TESSERA_H5_CALL(H5Sselect_hyperslab(mspace.get(), H5S_SELECT_SET, mstart.data(), nullptr, count.data(), nullptr));
    return {std::move(fspace), std::move(mspace)};
}

}  // namespace

template <int Dim>
void write_field(const h5::File& file, const std::string& name, const grid::Field<double, Dim>& field,
                 const FieldWriteOptions& options) {
    ScopedTimer timer("io.write_field");
    const auto dims = reversed<Dim>(field.decomp().global_cells());
    auto space = h5::dataspace(dims);
    h5::Handle dcpl(TESSERA_H5_CALL(H5Pcreate(H5P_DATASET_CREATE)), H5Pclose);
    if (options.chunked || options.checksum) {
        // One chunk per typical owned box, split along the slowest axes down to
        // options.max_chunk_elements (HDF5's limit is 4 GiB).
        const hsize_t cap = std::max<hsize_t>(1, options.max_chunk_elements);
        auto chunk = reversed<Dim>(extents(field.decomp().owned_box_at({})));
        hsize_t elements = 1;
        for (auto& c : chunk) elements *= c;
        for (std::size_t d = 0; elements > cap && d < chunk.size(); ++d) {
            const hsize_t shrink = std::min<hsize_t>(chunk[d], (elements + cap - 1) / cap);
            chunk[d] = (chunk[d] + shrink - 1) / shrink;
            elements = 1;
            for (auto& c : chunk) elements *= c;
        }
        TESSERA_H5_CALL(H5Pset_chunk(dcpl.get(), Dim, chunk.data()));
        if (options.checksum) TESSERA_H5_CALL(H5Pset_fletcher32(dcpl.get()));
        // Every cell is written: a fill value would only be written first and then overwritten
        // (parallel HDF5 allocates chunks early, at creation).
        TESSERA_H5_CALL(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER));
    }
    h5::Handle ds(TESSERA_H5_CALL(H5Dcreate2(file.get(), name.c_str(), H5T_NATIVE_DOUBLE, space.get(),
                                             H5P_DEFAULT, dcpl.get(), H5P_DEFAULT)),
                  H5Dclose);
    auto [fspace, mspace] = selections<Dim>(space.get(), field);
    auto dxpl = h5::collective_transfer();
    TESSERA_H5_CALL(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), dxpl.get(),
                             field.view().data()));
    ds.close();
}

template <int Dim>
void read_field(const h5::File& file, const std::string& name, grid::Field<double, Dim>& field,
                const FieldReadOptions& options) {
    ScopedTimer timer("io.read_field");
    const auto& comm = field.decomp().comm();
    const auto expect = reversed<Dim>(field.decomp().global_cells());
    collective_call(comm, [&] {
        if (!h5::has_dataset(file, name))
            throw std::runtime_error(file.path().string() + ": no dataset '" + name + "'");
        const auto dims = h5::dataset_dims(file, name);
        if (dims != expect) {
            std::ostringstream os;
            os << file.path().string() << ": dataset '" << name << "' has shape (";
            for (std::size_t d = 0; d < dims.size(); ++d) os << (d ? ", " : "") << dims[d];
            os << "), the grid needs (";
            for (std::size_t d = 0; d < expect.size(); ++d) os << (d ? ", " : "") << expect[d];
            os << ") (C order)";
            throw std::runtime_error(os.str());
        }
    });
    h5::Handle ds(TESSERA_H5_CALL(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT)), H5Dclose);
    h5::Handle space(TESSERA_H5_CALL(H5Dget_space(ds.get())), H5Sclose);
    auto [fspace, mspace] = selections<Dim>(space.get(), field);
    auto dxpl = options.independent ? h5::Handle(TESSERA_H5_CALL(H5Pcreate(H5P_DATASET_XFER)), H5Pclose)
                                    : h5::collective_transfer();
    TESSERA_H5_CALL(H5Dread(ds.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), dxpl.get(),
                            field.view().data()));
}

template void write_field<2>(const h5::File&, const std::string&, const grid::Field<double, 2>&, const FieldWriteOptions&);
template void write_field<3>(const h5::File&, const std::string&, const grid::Field<double, 3>&, const FieldWriteOptions&);
template void read_field<2>(const h5::File&, const std::string&, grid::Field<double, 2>&, const FieldReadOptions&);
template void read_field<3>(const h5::File&, const std::string&, grid::Field<double, 3>&, const FieldReadOptions&);

}  // namespace tessera::io
