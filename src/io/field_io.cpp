// Hyperslab I/O of Fields, collective or in turns (whole chunks written directly with their
// Fletcher32): the owned box of each rank, ghosts and padding skipped.
#include "tessera/io/field_io.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <numeric>
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

namespace {

template <int Dim>
gindex_t cells_in(const std::array<gindex_t, Dim>& e) {
    gindex_t n = 1;
    for (auto c : e) n *= c;
    return n;
}

// Largest divisor of n that is at most `limit` (>= 1).
gindex_t largest_divisor_at_most(gindex_t n, gindex_t limit) {
    gindex_t best = 1;
    for (gindex_t k = 1; k * k <= n; ++k) {
        if (n % k) continue;
        if (k <= limit) best = std::max(best, k);
        if (n / k <= limit) best = std::max(best, n / k);
    }
    return best;
}

// Shrinks `chunk` below `cap` cells, slowest axis first. Along an axis with step[d] > 0 the
// extent stays a divisor of step[d]; elsewhere the axis is cut into equal pieces.
template <int Dim>
void shrink_to(std::array<gindex_t, Dim>& chunk, const std::array<gindex_t, Dim>& step, gindex_t cap) {
    for (int d = Dim - 1; d >= 0 && cells_in<Dim>(chunk) > cap; --d) {
        const gindex_t rest = cells_in<Dim>(chunk) / chunk[d];
        const gindex_t target = std::max<gindex_t>(1, cap / rest);
        if (step[d] > 0) {
            chunk[d] = largest_divisor_at_most(step[d], target);
        } else {
            const gindex_t pieces = (chunk[d] + target - 1) / target;
            chunk[d] = (chunk[d] + pieces - 1) / pieces;
        }
    }
}

template <int Dim>
h5::Handle field_dataset_creation(const grid::CartDecomp<Dim>& decomp, const FieldWriteOptions& options) {
    h5::Handle dcpl(TESSERA_H5_CALL(H5Pcreate(H5P_DATASET_CREATE)), H5Pclose);
    if (options.chunked || options.checksum) {
        const auto chunk = field_chunk_shape<Dim>(decomp, options.max_chunk_elements);
        TESSERA_H5_CALL(H5Pset_chunk(dcpl.get(), Dim, chunk.data()));
        if (options.checksum) TESSERA_H5_CALL(H5Pset_fletcher32(dcpl.get()));
        // Every cell is written: a fill value would only be written first and then overwritten
        // (parallel HDF5 allocates chunks early, at creation).
        TESSERA_H5_CALL(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER));
    }
    return dcpl;
}

}  // namespace

template <int Dim>
std::vector<hsize_t> field_chunk_shape(const grid::CartDecomp<Dim>& decomp, std::size_t max_chunk_elements) {
    const auto cap = static_cast<gindex_t>(std::max<std::size_t>(1, max_chunk_elements));
    const auto& cells = decomp.global_cells();
    std::array<gindex_t, Dim> step{}, aligned{}, typical = extents(decomp.owned_box_at({}));
    for (int d = 0; d < Dim; ++d) {
        for (int p = 1; p < decomp.procs()[d]; ++p)
            step[d] = std::gcd(step[d], grid::split_range(cells[d], decomp.procs()[d], p)[0]);
        aligned[d] = step[d] > 0 ? step[d] : cells[d];
    }
    shrink_to<Dim>(aligned, step, cap);
    shrink_to<Dim>(typical, std::array<gindex_t, Dim>{}, cap);
    return reversed<Dim>(8 * cells_in<Dim>(aligned) >= cells_in<Dim>(typical) ? aligned : typical);
}

template <int Dim>
void create_field_dataset(const h5::File& file, const std::string& name, const grid::CartDecomp<Dim>& decomp,
                          const FieldWriteOptions& options) {
    auto space = h5::dataspace(reversed<Dim>(decomp.global_cells()));
    auto dcpl = field_dataset_creation<Dim>(decomp, options);
    h5::Handle ds(TESSERA_H5_CALL(H5Dcreate2(file.get(), name.c_str(), H5T_NATIVE_DOUBLE, space.get(),
                                             H5P_DEFAULT, dcpl.get(), H5P_DEFAULT)),
                  H5Dclose);
    ds.close();
}

namespace {

// HDF5's Fletcher32 (H5_checksum_fletcher32, the checksum its filter appends to each chunk,
// little-endian): 16-bit big-endian words, both sums folded every 360 words. Within a block
// the sums are exact integers, so sum2's per-word updates are gathered into one weighted sum
// the compiler can vectorize; the folds happen where HDF5 does them, giving the same bits.
std::uint32_t fletcher32(const unsigned char* data, std::size_t len) {
    std::size_t words = len / 2;
    std::uint32_t sum1 = 0, sum2 = 0;
    while (words > 0) {
        const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(words, 360));
        std::uint32_t s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
        for (std::uint32_t k = 0; k < n; ++k) {
            const std::uint32_t w = (std::uint32_t{data[2 * k]} << 8) | data[2 * k + 1];
            s1 += w;
            s2 += (n - k) * w;
        }
        sum2 += n * sum1 + s2;
        sum1 += s1;
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
        data += 2 * std::size_t{n};
        words -= n;
    }
    if (len % 2) {
        sum1 += std::uint32_t{*data} << 8;
        sum2 += sum1;
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    return (sum2 << 16) | sum1;
}

// Copies the cells of `chunk` (a whole chunk of extents `shape`, tessera order) from `field`
// into `buf` in C order; cells beyond the dataset's edge (`global`) are zero.
template <int Dim>
void pack_chunk(const grid::Field<double, Dim>& field, const Box<Dim>& chunk, const std::array<gindex_t, Dim>& shape,
                const Box<Dim>& global, double* buf) {
    const auto v = field.view();
    const Box<Dim> in = chunk.intersect(global);
    const auto nx = static_cast<std::size_t>(shape[0]);
    const auto row = static_cast<std::size_t>(in.extent(0));
    auto copy_row = [&](double* dst, const double* src) {
        std::copy_n(src, row, dst);
        std::fill(dst + row, dst + nx, 0.0);
    };
    if constexpr (Dim == 2) {
        for (gindex_t j = 0; j < shape[1]; ++j) {
            double* dst = buf + static_cast<std::size_t>(j) * nx;
            if (chunk.lo[1] + j < in.hi[1]) copy_row(dst, &v(in.lo[0], chunk.lo[1] + j));
            else std::fill(dst, dst + nx, 0.0);
        }
    } else {
        for (gindex_t k = 0; k < shape[2]; ++k)
            for (gindex_t j = 0; j < shape[1]; ++j) {
                double* dst = buf + (static_cast<std::size_t>(k) * static_cast<std::size_t>(shape[1]) +
                                     static_cast<std::size_t>(j)) * nx;
                if (chunk.lo[2] + k < in.hi[2] && chunk.lo[1] + j < in.hi[1])
                    copy_row(dst, &v(in.lo[0], chunk.lo[1] + j, chunk.lo[2] + k));
                else
                    std::fill(dst, dst + nx, 0.0);
            }
    }
}

}  // namespace

template <int Dim>
void write_field_part(const h5::File& file, const std::string& name, const grid::Field<double, Dim>& field) {
    ScopedTimer timer("io.write_field_part");
    h5::Handle ds(TESSERA_H5_CALL(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT)), H5Dclose);
    h5::Handle dcpl(TESSERA_H5_CALL(H5Dget_create_plist(ds.get())), H5Pclose);
    const Box<Dim> owned = field.owned_box();
    const Box<Dim> global = field.decomp().global_box();
    // Chunks that lie wholly in the owned box are written directly (H5Dwrite_chunk), their
    // Fletcher32 computed here, in parallel over threads: one copy of the data, no pass
    // through HDF5's chunk cache and filter pipeline. That needs a chunked layout whose only
    // filter is Fletcher32 (or none); anything else goes through H5Dwrite.
    bool direct = TESSERA_H5_CALL(H5Pget_layout(dcpl.get())) == H5D_CHUNKED;
    bool checksum = false;
    std::array<gindex_t, Dim> shape{};
    if (direct) {
        std::array<hsize_t, Dim> c{};
        TESSERA_H5_CALL(H5Pget_chunk(dcpl.get(), Dim, c.data()));
        for (int d = 0; d < Dim; ++d) shape[d] = static_cast<gindex_t>(c[static_cast<std::size_t>(Dim - 1 - d)]);
        const int nfilters = TESSERA_H5_CALL(H5Pget_nfilters(dcpl.get()));
        if (nfilters == 1) {
            unsigned flags = 0;
            std::size_t nelements = 0;
            const H5Z_filter_t id = TESSERA_H5_CALL(
                H5Pget_filter2(dcpl.get(), 0, &flags, &nelements, nullptr, 0, nullptr, nullptr));
            checksum = id == H5Z_FILTER_FLETCHER32;
            direct = checksum;
        } else {
            direct = nfilters == 0;
        }
    }
    auto [fspace, mspace] = [&] {
        h5::Handle space(TESSERA_H5_CALL(H5Dget_space(ds.get())), H5Sclose);
        return selections<Dim>(space.get(), field);
    }();
    if (!direct) {
        TESSERA_H5_CALL(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), H5P_DEFAULT,
                                 field.view().data()));
        ds.close();
        return;
    }
    // The chunks meeting the owned box; those shared with other ranks (uneven splits) are
    // written cell-wise through H5Dwrite, which reads, updates and rewrites them.
    std::vector<Box<Dim>> whole;
    std::vector<Box<Dim>> shared;
    std::array<gindex_t, Dim> first{}, last{};
    for (int d = 0; d < Dim; ++d) {
        first[d] = owned.lo[d] / shape[d];
        last[d] = owned.hi[d] > owned.lo[d] ? (owned.hi[d] - 1) / shape[d] : first[d] - 1;
    }
    std::array<gindex_t, Dim> at = first;
    bool more = owned.size() > 0;
    while (more) {
        Box<Dim> chunk;
        for (int d = 0; d < Dim; ++d) {
            chunk.lo[d] = at[d] * shape[d];
            chunk.hi[d] = chunk.lo[d] + shape[d];
        }
        (owned.contains(chunk.intersect(global)) ? whole : shared).push_back(chunk);
        more = false;
        for (int d = 0; d < Dim && !more; ++d) {
            if (++at[d] <= last[d]) more = true;
            else at[d] = first[d];
        }
    }
    std::size_t cells = 1;
    for (auto c : shape) cells *= static_cast<std::size_t>(c);
    const std::size_t bytes = cells * sizeof(double) + (checksum ? 4 : 0);
    // A batch of chunks is packed and checksummed by the threads, then written in order by
    // this thread (HDF5 is called from one thread only).
    const auto batch = static_cast<std::size_t>(std::max(1, omp_get_max_threads()));
    std::vector<std::unique_ptr<double[]>> bufs(std::min(batch, whole.size()));
    for (auto& b : bufs) b.reset(new double[(bytes + sizeof(double) - 1) / sizeof(double)]);
    for (std::size_t b0 = 0; b0 < whole.size(); b0 += batch) {
        const std::size_t nb = std::min(batch, whole.size() - b0);
#pragma omp parallel for schedule(static, 1)
        for (std::size_t n = 0; n < nb; ++n) {
            double* buf = bufs[n].get();
            pack_chunk<Dim>(field, whole[b0 + n], shape, global, buf);
            if (checksum) {
                auto* bytes_out = reinterpret_cast<unsigned char*>(buf);
                const std::uint32_t sum = fletcher32(bytes_out, cells * sizeof(double));
                for (int k = 0; k < 4; ++k)
                    bytes_out[cells * sizeof(double) + static_cast<std::size_t>(k)] =
                        static_cast<unsigned char>(sum >> (8 * k));
            }
        }
        for (std::size_t n = 0; n < nb; ++n) {
            const auto offset = reversed<Dim>(whole[b0 + n].lo);
            TESSERA_H5_CALL(H5Dwrite_chunk(ds.get(), H5P_DEFAULT, 0, offset.data(), bytes, bufs[n].get()));
        }
    }
    for (const auto& chunk : shared) {
        const Box<Dim> part = chunk.intersect(owned);
        const auto start = reversed<Dim>(part.lo);
        const auto count = reversed<Dim>(extents(part));
        TESSERA_H5_CALL(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr));
        std::array<gindex_t, Dim> mstart_t{};
        for (int d = 0; d < Dim; ++d) mstart_t[d] = part.lo[d] - owned.lo[d] + field.ghost();
        const auto mstart = reversed<Dim>(mstart_t);
        TESSERA_H5_CALL(H5Sselect_hyperslab(mspace.get(), H5S_SELECT_SET, mstart.data(), nullptr, count.data(), nullptr));
        TESSERA_H5_CALL(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), H5P_DEFAULT,
                                 field.view().data()));
    }
    ds.close();
}

template <int Dim>
void write_field(const h5::File& file, const std::string& name, const grid::Field<double, Dim>& field,
                 const FieldWriteOptions& options) {
    ScopedTimer timer("io.write_field");
    auto space = h5::dataspace(reversed<Dim>(field.decomp().global_cells()));
    auto dcpl = field_dataset_creation<Dim>(field.decomp(), options);
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
template std::vector<hsize_t> field_chunk_shape<2>(const grid::CartDecomp<2>&, std::size_t);
template std::vector<hsize_t> field_chunk_shape<3>(const grid::CartDecomp<3>&, std::size_t);
template void create_field_dataset<2>(const h5::File&, const std::string&, const grid::CartDecomp<2>&,
                                      const FieldWriteOptions&);
template void create_field_dataset<3>(const h5::File&, const std::string&, const grid::CartDecomp<3>&,
                                      const FieldWriteOptions&);
template void write_field_part<2>(const h5::File&, const std::string&, const grid::Field<double, 2>&);
template void write_field_part<3>(const h5::File&, const std::string&, const grid::Field<double, 3>&);
template void read_field<2>(const h5::File&, const std::string&, grid::Field<double, 2>&, const FieldReadOptions&);
template void read_field<3>(const h5::File&, const std::string&, grid::Field<double, 3>&, const FieldReadOptions&);

}  // namespace tessera::io
