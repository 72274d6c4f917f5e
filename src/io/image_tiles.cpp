// Images over a CartDecomp<2>, one Field per channel: HDF5 by collective hyperslab I/O of each
// rank's own tile, the other formats decoded or encoded on rank 0 and their tiles sent by
// point-to-point messages.
#include <climits>
#include <cstring>
#include <optional>
#include <sstream>

#include "atomic_h5.hpp"
#include "image_detail.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/hdf5.hpp"
#include "tessera/io/image.hpp"

namespace tessera::io {

namespace fs = std::filesystem;

ImageInfo read_image_info(const mpi::Comm& comm, const fs::path& path) {
    std::array<long long, 5> packed{};
    collective_call(comm, [&] {
        if (comm.rank() != 0) return;
        const ImageInfo info = read_image_info(path);
        packed = {info.width, info.height, info.channels, static_cast<long long>(info.pixel),
                  static_cast<long long>(info.format)};
    });
    mpi::bcast(comm, std::span<long long>(packed), 0);
    ImageInfo info;
    info.width = packed[0];
    info.height = packed[1];
    info.channels = static_cast<int>(packed[2]);
    info.pixel = static_cast<PixelType>(packed[3]);
    info.format = static_cast<ImageFormat>(packed[4]);
    return info;
}

namespace {

constexpr int kTileTag = 7301;

// Tiles travel as bytes (core/mpi.hpp has no datatype for std::uint16_t).
template <class T>
void send_tile(const mpi::Comm& comm, const std::vector<T>& tile, int dest) {
    const std::span<const unsigned char> bytes(reinterpret_cast<const unsigned char*>(tile.data()), tile.size() * sizeof(T));
    mpi::isend(comm, bytes, dest, kTileTag).wait();
}
template <class T>
void recv_tile(const mpi::Comm& comm, std::vector<T>& tile, int source) {
    const std::span<unsigned char> bytes(reinterpret_cast<unsigned char*>(tile.data()), tile.size() * sizeof(T));
    mpi::irecv(comm, bytes, source, kTileTag).wait();
}

template <class T>
const grid::CartDecomp<2>& decomposition_of(const fs::path& path, const std::vector<grid::Field<T, 2>>& channels) {
    TESSERA_CHECK(!channels.empty(), path.string() << ": image tiles need one field per channel, got none");
    return channels[0].decomp();
}

// What is wrong with these channel fields for an image of `info` (empty when nothing is). The
// same on every rank except for the tile size limit, so the collective check agrees on it.
template <class T>
std::string tile_problem(const fs::path& path, const ImageInfo& info, const std::vector<grid::Field<T, 2>>& channels) {
    const auto& decomp = channels[0].decomp();
    std::ostringstream os;
    os << path.string() << ": ";
    for (const auto& f : channels)
        if (&f.decomp() != &decomp) return os.str() + "the channel fields are on different decompositions";
    if (static_cast<int>(channels.size()) != info.channels) {
        os << "the image has " << info.channels << " channel(s), " << channels.size() << " field(s) were given";
        return os.str();
    }
    if (pixel_type_of<T>() != info.pixel) {
        os << "the image's pixels are " << to_string(info.pixel) << ", the fields hold " << to_string(pixel_type_of<T>());
        return os.str();
    }
    const auto cells = decomp.global_cells();
    if (cells[0] != info.width || cells[1] != info.height) {
        os << "the image is " << info.width << " x " << info.height << " pixels, the fields' decomposition "
           << cells[0] << " x " << cells[1] << " cells";
        return os.str();
    }
    const auto owned = decomp.owned_box();
    const auto bytes = static_cast<std::uint64_t>(owned.extent(0)) * static_cast<std::uint64_t>(owned.extent(1)) *
                       channels.size() * sizeof(T);
    if (info.format != ImageFormat::hdf5 && bytes > static_cast<std::uint64_t>(INT_MAX)) {
        os << "a tile of " << bytes << " bytes is too large to send in one message (at most " << INT_MAX
           << "): use more ranks or HDF5";
        return os.str();
    }
    return {};
}

// A tile's pixels, rows j0..j1 of columns i0..i1, channels interleaved (as in the files).
template <class T>
std::vector<T> pack_tile(const std::vector<grid::Field<T, 2>>& channels) {
    const auto b = channels[0].owned_box();
    const auto nc = channels.size();
    std::vector<T> buf(static_cast<std::size_t>(b.extent(0)) * static_cast<std::size_t>(b.extent(1)) * nc);
    for (std::size_t c = 0; c < nc; ++c) {
        const auto v = channels[c].view();
        std::size_t k = c;
        for (gindex_t j = b.lo[1]; j < b.hi[1]; ++j)
            for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i, k += nc) buf[k] = v(i, j);
    }
    return buf;
}

template <class T>
void unpack_tile(const T* buf, std::vector<grid::Field<T, 2>>& channels) {
    const auto b = channels[0].owned_box();
    const auto nc = channels.size();
    for (std::size_t c = 0; c < nc; ++c) {
        auto v = channels[c].view();
        std::size_t k = c;
        for (gindex_t j = b.lo[1]; j < b.hi[1]; ++j)
            for (gindex_t i = b.lo[0]; i < b.hi[0]; ++i, k += nc) v(i, j) = buf[k];
    }
}

// Every rank's owned box {i0, j0, i1, j1}, on rank 0 (elsewhere empty).
std::vector<long long> gather_boxes(const mpi::Comm& comm, const Box<2>& b) {
    const long long mine[4] = {b.lo[0], b.lo[1], b.hi[0], b.hi[1]};
    std::vector<long long> all(comm.rank() == 0 ? 4 * static_cast<std::size_t>(comm.size()) : 0);
    TESSERA_MPI_CALL(MPI_Gather(mine, 4, MPI_LONG_LONG, all.data(), 4, MPI_LONG_LONG, 0, comm.get()));
    return all;
}

// Copies between a whole interleaved image of width w and a packed tile {i0, j0, i1, j1}.
template <class T>
void copy_tile(T* image, std::int64_t w, std::size_t nc, const long long* box, T* tile, bool to_image) {
    const auto row = static_cast<std::size_t>(box[2] - box[0]) * nc;
    for (long long j = box[1]; j < box[3]; ++j) {
        T* in_image = image + (static_cast<std::size_t>(j) * static_cast<std::size_t>(w) + static_cast<std::size_t>(box[0])) * nc;
        T* in_tile = tile + static_cast<std::size_t>(j - box[1]) * row;
        if (to_image) std::memcpy(in_image, in_tile, row * sizeof(T));
        else std::memcpy(in_tile, in_image, row * sizeof(T));
    }
}

// HDF5 selections of this rank's tile: [j0:j1, i0:i1(, 0:c)] in the file, all of a packed
// buffer in memory.
std::pair<h5::Handle, h5::Handle> tile_selections(hid_t ds, const Box<2>& b, int nc) {
    h5::Handle fspace(TESSERA_H5_CALL(H5Dget_space(ds)), H5Sclose);
    std::vector<hsize_t> start{static_cast<hsize_t>(b.lo[1]), static_cast<hsize_t>(b.lo[0])};
    std::vector<hsize_t> count{static_cast<hsize_t>(b.extent(1)), static_cast<hsize_t>(b.extent(0))};
    if (nc > 1) {
        start.push_back(0);
        count.push_back(static_cast<hsize_t>(nc));
    }
    TESSERA_H5_CALL(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr));
    return {std::move(fspace), h5::dataspace(count)};
}

}  // namespace

template <class T>
std::uint64_t read_image_tiles(const fs::path& path, const ImageInfo& info, std::vector<grid::Field<T, 2>>& channels) {
    ScopedTimer timer("io.read_image_tiles");
    const auto& decomp = decomposition_of(path, channels);
    const auto& comm = decomp.comm();
    const std::string problem = tile_problem(path, info, channels);
    TESSERA_CHECK_ALL(comm, problem.empty(), problem);
    const auto nc = channels.size();
    if (info.format == ImageFormat::hdf5) {
        auto file = collective_call(comm, [&] { return h5::File::open(comm, path); });
        collective_call(comm, [&] {
            const ImageInfo found = detail::h5_image_info(file, path);
            if (found.width != info.width || found.height != info.height || found.channels != info.channels ||
                found.pixel != info.pixel)
                detail::image_error(path, "the HDF5 image changed since its header was read");
        });
        h5::Handle ds(TESSERA_H5_CALL(H5Dopen2(file.get(), hdf5_image_dataset, H5P_DEFAULT)), H5Dclose);
        auto [fspace, mspace] = tile_selections(ds.get(), decomp.owned_box(), info.channels);
        const auto b = decomp.owned_box();
        std::vector<T> buf(static_cast<std::size_t>(b.extent(0)) * static_cast<std::size_t>(b.extent(1)) * nc);
        auto dxpl = h5::collective_transfer();
        TESSERA_H5_CALL(H5Dread(ds.get(), detail::h5_memory_type(info.pixel), mspace.get(), fspace.get(), dxpl.get(),
                                buf.data()));
        ds.reset();
        collective_call(comm, [&] { file.close(); });
        unpack_tile(buf.data(), channels);
        return buf.size() * sizeof(T);
    }
    Image image;
    collective_call(comm, [&] {
        if (comm.rank() != 0) return;
        image = read_image(path);
        if (image.info.width != info.width || image.info.height != info.height || image.info.channels != info.channels ||
            image.info.pixel != info.pixel)
            detail::image_error(path, "the image changed since its header was read");
    });
    const auto boxes = gather_boxes(comm, decomp.owned_box());
    if (comm.rank() == 0) {
        std::vector<T> tile;
        for (int r = 1; r < comm.size(); ++r) {
            const long long* box = &boxes[4 * static_cast<std::size_t>(r)];
            tile.resize(static_cast<std::size_t>((box[2] - box[0]) * (box[3] - box[1])) * nc);
            copy_tile(image.pixels<T>(), info.width, nc, box, tile.data(), false);
            send_tile(comm, tile, r);
        }
        tile.resize(static_cast<std::size_t>((boxes[2] - boxes[0]) * (boxes[3] - boxes[1])) * nc);
        copy_tile(image.pixels<T>(), info.width, nc, boxes.data(), tile.data(), false);
        unpack_tile(tile.data(), channels);
        return image.bytes.size();
    }
    const auto b = decomp.owned_box();
    std::vector<T> tile(static_cast<std::size_t>(b.extent(0)) * static_cast<std::size_t>(b.extent(1)) * nc);
    recv_tile(comm, tile, 0);
    unpack_tile(tile.data(), channels);
    return 0;
}

template <class T>
std::uint64_t write_image_tiles(const fs::path& path, const std::vector<grid::Field<T, 2>>& channels) {
    ScopedTimer timer("io.write_image_tiles");
    const auto& decomp = decomposition_of(path, channels);
    const auto& comm = decomp.comm();
    ImageInfo info;
    info.width = decomp.global_cells()[0];
    info.height = decomp.global_cells()[1];
    info.channels = static_cast<int>(channels.size());
    info.pixel = pixel_type_of<T>();
    const auto format = format_from_extension(path);
    info.format = format.value_or(ImageFormat::png);
    // Everything that can be checked is checked before anything is created: the fields here,
    // the extension, can_store and the folder on rank 0.
    std::string problem = tile_problem(path, info, channels);
    if (problem.empty() && comm.rank() == 0) {
        try {
            detail::check_writable(path, info);
        } catch (const std::exception& e) {
            problem = e.what();
        }
    }
    TESSERA_CHECK_ALL(comm, problem.empty(), problem);
    const auto tile = pack_tile(channels);
    if (info.format == ImageFormat::hdf5) {
        detail::write_h5_atomically(
            comm, path,
            [&](h5::File& file) {
                auto ds = detail::create_h5_image(file, info);
                auto [fspace, mspace] = tile_selections(ds.get(), decomp.owned_box(), info.channels);
                auto dxpl = h5::collective_transfer();
                TESSERA_H5_CALL(H5Dwrite(ds.get(), detail::h5_memory_type(info.pixel), mspace.get(), fspace.get(),
                                         dxpl.get(), tile.data()));
            },
            [] {});
        return tile.size() * sizeof(T);
    }
    const auto boxes = gather_boxes(comm, decomp.owned_box());
    Image image;
    if (comm.rank() == 0) {
        image.info = info;
        image.bytes.resize(static_cast<std::size_t>(info.width) * static_cast<std::size_t>(info.height) * channels.size() *
                           sizeof(T));
        auto own = tile;
        copy_tile(image.pixels<T>(), info.width, channels.size(), boxes.data(), own.data(), true);
        std::vector<T> part;
        for (int r = 1; r < comm.size(); ++r) {
            const long long* box = &boxes[4 * static_cast<std::size_t>(r)];
            part.resize(static_cast<std::size_t>((box[2] - box[0]) * (box[3] - box[1])) * channels.size());
            recv_tile(comm, part, r);
            copy_tile(image.pixels<T>(), info.width, channels.size(), box, part.data(), true);
        }
    } else {
        send_tile(comm, tile, 0);
    }
    collective_call(comm, [&] {
        if (comm.rank() == 0) write_image(path, image);
    }, 1);
    return comm.rank() == 0 ? image.bytes.size() : 0;
}

template std::uint64_t read_image_tiles<std::uint8_t>(const fs::path&, const ImageInfo&, std::vector<grid::Field<std::uint8_t, 2>>&);
template std::uint64_t read_image_tiles<std::uint16_t>(const fs::path&, const ImageInfo&, std::vector<grid::Field<std::uint16_t, 2>>&);
template std::uint64_t read_image_tiles<float>(const fs::path&, const ImageInfo&, std::vector<grid::Field<float, 2>>&);
template std::uint64_t write_image_tiles<std::uint8_t>(const fs::path&, const std::vector<grid::Field<std::uint8_t, 2>>&);
template std::uint64_t write_image_tiles<std::uint16_t>(const fs::path&, const std::vector<grid::Field<std::uint16_t, 2>>&);
template std::uint64_t write_image_tiles<float>(const fs::path&, const std::vector<grid::Field<float, 2>>&);

}  // namespace tessera::io
