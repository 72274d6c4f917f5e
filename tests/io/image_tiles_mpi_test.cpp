// Images over a CartDecomp<2>: every owned pixel of every channel read from each format, HDF5
// ranks reading only their own tile, distributed writes read back whole, and collective errors.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <type_traits>
#include <string>

#include <tessera/core/error.hpp>
#include <tessera/grid/cart_decomp.hpp>
#include <tessera/grid/field.hpp>
#include <tessera/io/image.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using io::Image;
using io::PixelType;
using tessera::testing::world;
namespace fs = std::filesystem;

namespace {

template <class T>
T sample(std::int64_t i, std::int64_t j, int c, std::uint32_t noise) {
    if constexpr (std::is_same_v<T, float>) return static_cast<float>(i) * 0.25f - static_cast<float>(j) * 3.0f + c + noise * 1e-3f;
    else return static_cast<T>(i * 3 + j * 17 + c * 61 + static_cast<std::int64_t>(noise % 7) * 1013);
}

// The same image on every rank (fixed seed), channels interleaved.
template <class T>
Image make_image(std::int64_t w, std::int64_t h, int c) {
    Image image;
    image.info = {w, h, c, io::pixel_type_of<T>(), io::ImageFormat::png};
    image.bytes.resize(static_cast<std::size_t>(w * h * c) * sizeof(T));
    std::mt19937 rng(42);
    T* px = image.pixels<T>();
    for (std::int64_t j = 0; j < h; ++j)
        for (std::int64_t i = 0; i < w; ++i)
            for (int ch = 0; ch < c; ++ch) *px++ = sample<T>(i, j, ch, rng());
    return image;
}

fs::path test_dir() {
    const fs::path dir = fs::temp_directory_path() / ("tessera_image_tiles_np" + std::to_string(world().size()));
    if (world().rank() == 0) {
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    world().barrier();
    return dir;
}

template <class T>
std::vector<grid::Field<T, 2>> make_channels(const grid::CartDecomp<2>& decomp, int c) {
    std::vector<grid::Field<T, 2>> fields;
    for (int k = 0; k < c; ++k) fields.emplace_back(decomp, 1);
    return fields;
}

// Owned pixels that differ from the whole image, summed over ranks.
template <class T>
long long wrong_pixels(const Image& image, const std::vector<grid::Field<T, 2>>& channels) {
    long long wrong = 0;
    const int nc = image.info.channels;
    for (int c = 0; c < nc; ++c)
        channels[static_cast<std::size_t>(c)].for_each_owned([&](const auto& g, T v) {
            const T expect = image.pixels<T>()[(static_cast<std::size_t>(g[1]) * static_cast<std::size_t>(image.info.width) +
                                                static_cast<std::size_t>(g[0])) * static_cast<std::size_t>(nc) +
                                               static_cast<std::size_t>(c)];
            wrong += std::memcmp(&v, &expect, sizeof(T)) != 0;
        });
    return mpi::allreduce(world(), wrong, MPI_SUM);
}

std::vector<std::array<int, 2>> layouts() {
    std::vector<std::array<int, 2>> l{{0, 0}};
    if (world().size() == 4) {
        l.push_back({4, 1});
        l.push_back({1, 4});
    }
    return l;
}

template <class T>
void read_every_format(const char* ext, int channels) {
    const fs::path dir = test_dir();
    const fs::path path = dir / (std::string("img") + ext);
    const Image image = make_image<T>(37, 23, channels);
    collective_call(world(), [&] {
        if (world().rank() == 0) io::write_image(path, image);
    });
    const auto info = io::read_image_info(world(), path);
    EXPECT_EQ(info.width, 37);
    EXPECT_EQ(info.height, 23);
    EXPECT_EQ(info.channels, channels);
    EXPECT_EQ(info.pixel, io::pixel_type_of<T>());
    for (const auto procs : layouts()) {
        SCOPED_TRACE(std::string(ext) + " procs " + std::to_string(procs[0]) + " x " + std::to_string(procs[1]));
        grid::CartDecomp<2> decomp(world(), {37, 23}, {false, false}, procs);
        auto fields = make_channels<T>(decomp, channels);
        const std::uint64_t bytes = io::read_image_tiles<T>(path, info, fields);
        EXPECT_EQ(wrong_pixels(image, fields), 0);
        const auto b = decomp.owned_box();
        const std::uint64_t tile = static_cast<std::uint64_t>(b.extent(0) * b.extent(1)) * channels * sizeof(T);
        if (info.format == io::ImageFormat::hdf5) {
            EXPECT_EQ(bytes, tile);  // each rank reads its own tile and nothing more
        } else {
            EXPECT_EQ(bytes, world().rank() == 0 ? image.bytes.size() : 0u);
        }
    }
    world().barrier();
    if (world().rank() == 0) fs::remove_all(dir);
}

}  // namespace

TEST(ImageTiles, ReadsHdf5TilesOnly) {
    read_every_format<std::uint8_t>(".h5", 3);
    read_every_format<std::uint16_t>(".h5", 1);
    read_every_format<float>(".h5", 4);
    read_every_format<float>(".h5", 2);
}

TEST(ImageTiles, ReadsOtherFormatsThroughRankZero) {
    read_every_format<std::uint8_t>(".png", 4);
    read_every_format<std::uint16_t>(".png", 2);
    read_every_format<std::uint8_t>(".bmp", 3);
    read_every_format<std::uint16_t>(".ppm", 3);
    read_every_format<float>(".tif", 1);
}

template <class T>
void write_and_read_back(const char* ext, int channels) {
    const fs::path dir = test_dir();
    const Image image = make_image<T>(37, 23, channels);
    for (const auto procs : layouts()) {
        grid::CartDecomp<2> decomp(world(), {37, 23}, {false, false}, procs);
        auto fields = make_channels<T>(decomp, channels);
        for (int c = 0; c < channels; ++c)
            fields[static_cast<std::size_t>(c)].fill([&](const auto& g) {
                return image.pixels<T>()[(static_cast<std::size_t>(g[1]) * 37 + static_cast<std::size_t>(g[0])) *
                                             static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)];
            });
        const fs::path path = dir / ("out_" + std::to_string(procs[0]) + std::to_string(procs[1]) + ext);
        const std::uint64_t bytes = io::write_image_tiles<T>(path, fields);
        const auto b = decomp.owned_box();
        if (std::string(ext) == ".h5")
            EXPECT_EQ(bytes, static_cast<std::uint64_t>(b.extent(0) * b.extent(1)) * channels * sizeof(T));
        else
            EXPECT_EQ(bytes, world().rank() == 0 ? image.bytes.size() : 0u);
        int same = 1;
        if (world().rank() == 0) {
            const Image back = io::read_image(path);
            same = back.bytes == image.bytes && back.info.channels == channels && back.info.width == 37;
            for (const auto& e : fs::directory_iterator(dir)) same &= e.path().extension() != ".tmp";
        }
        EXPECT_EQ(mpi::bcast(world(), same, 0), 1) << path;
    }
    world().barrier();
    if (world().rank() == 0) fs::remove_all(dir);
}

TEST(ImageTiles, WritesTilesAsOneImage) {
    write_and_read_back<std::uint8_t>(".h5", 3);
    write_and_read_back<float>(".h5", 1);
    write_and_read_back<std::uint16_t>(".h5", 4);
    write_and_read_back<std::uint8_t>(".png", 3);
    write_and_read_back<std::uint16_t>(".png", 1);
    write_and_read_back<float>(".tiff", 2);
}

TEST(ImageTiles, MismatchesAreCollectiveErrors) {
    const fs::path dir = test_dir();
    const fs::path path = dir / "rgb.h5";
    collective_call(world(), [&] {
        if (world().rank() == 0) io::write_image(path, make_image<std::uint8_t>(37, 23, 3));
    });
    const auto info = io::read_image_info(world(), path);
    grid::CartDecomp<2> decomp(world(), {37, 23}, {false, false});
    auto two = make_channels<std::uint8_t>(decomp, 2);
    auto expect_collective = [&](auto&& f, const std::string& part) {
        std::string what;
        try {
            f();
        } catch (const CollectiveError& e) {
            what = e.what();
        } catch (const std::exception& e) {
            what = std::string("not collective: ") + e.what();
        }
        EXPECT_NE(what.find(part), std::string::npos) << what;
        EXPECT_EQ(what.find("not collective"), std::string::npos) << what;
    };
    expect_collective([&] { io::read_image_tiles<std::uint8_t>(path, info, two); }, "3 channel(s), 2 field(s)");
    auto wide = make_channels<std::uint16_t>(decomp, 3);
    expect_collective([&] { io::read_image_tiles<std::uint16_t>(path, info, wide); }, "uint8");
    grid::CartDecomp<2> other(world(), {36, 23}, {false, false});
    auto small = make_channels<std::uint8_t>(other, 3);
    expect_collective([&] { io::read_image_tiles<std::uint8_t>(path, info, small); }, "37 x 23");
    expect_collective([&] { io::read_image_info(world(), dir / "none.png"); }, "No such file");
    auto floats = make_channels<float>(decomp, 3);
    expect_collective([&] { io::write_image_tiles<float>(dir / "f.png", floats); }, "PNG cannot store float32");
    expect_collective([&] { io::write_image_tiles<float>(dir / "nowhere" / "f.h5", floats); }, "does not exist");
    expect_collective([&] { io::write_image_tiles<float>(dir / "f.gif", floats); }, "unknown image extension");
    int clean = 1;
    if (world().rank() == 0)
        for (const auto& e : fs::directory_iterator(dir)) clean &= e.path().filename() == "rgb.h5";
    EXPECT_EQ(mpi::bcast(world(), clean, 0), 1);
    world().barrier();
    if (world().rank() == 0) fs::remove_all(dir);
}
