// Image files in one process: round trips of every format, pixel type and channel count a
// format can store, and the error paths (missing, truncated, corrupt, unsupported files; writes
// refused before anything is created, never leaving a file or a temporary behind).
#include <gtest/gtest.h>
#include <tiffio.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <string>

#include <tessera/core/error.hpp>
#include <tessera/io/hdf5.hpp>
#include <tessera/io/image.hpp>

using namespace tessera;
using io::Image;
using io::ImageFormat;
using io::PixelType;
namespace fs = std::filesystem;

namespace {

class ImageTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("tessera_image_test_" + std::to_string(::getpid()) + "_" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    std::set<std::string> listing() const {
        std::set<std::string> names;
        for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
        return names;
    }
    fs::path dir;
};

// Gradients plus noise from a fixed seed, different in every channel; `smooth` leaves the
// noise out (for JPEG, whose error grows with it).
Image make_image(std::int64_t w, std::int64_t h, int c, PixelType pixel, unsigned seed = 7, bool smooth = false) {
    Image image;
    image.info = {w, h, c, pixel, ImageFormat::png};
    image.bytes.resize(static_cast<std::size_t>(w * h * c) * io::pixel_bytes(pixel));
    std::mt19937 rng(seed);
    std::size_t k = 0;
    for (std::int64_t j = 0; j < h; ++j)
        for (std::int64_t i = 0; i < w; ++i)
            for (int ch = 0; ch < c; ++ch, ++k) {
                const unsigned noise = smooth ? 0u : rng() % 64u;
                const double g = static_cast<double>(i) / static_cast<double>(w) + 0.5 * static_cast<double>(j) / static_cast<double>(h);
                switch (pixel) {
                case PixelType::u8:
                    image.pixels<std::uint8_t>()[k] = static_cast<std::uint8_t>((static_cast<unsigned>(150 * g) + 40u * ch + noise) & 0xffu);
                    break;
                case PixelType::u16:
                    image.pixels<std::uint16_t>()[k] =
                        static_cast<std::uint16_t>((static_cast<unsigned>(40000 * g) + 9000u * ch + 997u * noise) & 0xffffu);
                    break;
                case PixelType::f32:
                    image.pixels<float>()[k] = static_cast<float>(std::sin(3.0 * g + ch) * 1e3 - 0.1 * noise);
                    break;
                }
            }
    return image;
}

const char* extension(ImageFormat f, int channels) {
    switch (f) {
    case ImageFormat::png: return ".png";
    case ImageFormat::jpeg: return ".jpg";
    case ImageFormat::bmp: return ".bmp";
    case ImageFormat::pnm: return channels == 1 ? ".pgm" : ".ppm";
    case ImageFormat::tiff: return ".tiff";
    case ImageFormat::hdf5: return ".h5";
    }
    return "";
}

constexpr ImageFormat kFormats[] = {ImageFormat::png, ImageFormat::jpeg, ImageFormat::bmp,
                                    ImageFormat::pnm, ImageFormat::tiff, ImageFormat::hdf5};
constexpr PixelType kPixels[] = {PixelType::u8, PixelType::u16, PixelType::f32};

// Runs `f`, which must throw tessera::Error whose message names `path` and contains `part`.
template <class F>
void expect_error(F&& f, const fs::path& path, const std::string& part = "") {
    try {
        f();
        ADD_FAILURE() << "no error for " << path;
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(path.string()), std::string::npos) << what;
        EXPECT_NE(what.find(part), std::string::npos) << what << " (expected: " << part << ")";
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not a tessera::Error: " << e.what();
    }
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}
void spit(const fs::path& p, const std::string& s) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << s;
}

}  // namespace

TEST(ImageFormats, CanStoreTable) {
    using F = ImageFormat;
    for (int c = 1; c <= 4; ++c) {
        EXPECT_TRUE(io::can_store(F::png, PixelType::u8, c));
        EXPECT_TRUE(io::can_store(F::png, PixelType::u16, c));
        EXPECT_FALSE(io::can_store(F::png, PixelType::f32, c));
        EXPECT_EQ(io::can_store(F::jpeg, PixelType::u8, c), c == 3);  // stb writes gray as RGB
        EXPECT_FALSE(io::can_store(F::jpeg, PixelType::u16, c));
        EXPECT_EQ(io::can_store(F::bmp, PixelType::u8, c), c != 2);
        EXPECT_FALSE(io::can_store(F::bmp, PixelType::u16, c));
        EXPECT_EQ(io::can_store(F::pnm, PixelType::u8, c), c == 1 || c == 3);
        EXPECT_EQ(io::can_store(F::pnm, PixelType::u16, c), c == 1 || c == 3);
        EXPECT_FALSE(io::can_store(F::pnm, PixelType::f32, c));
        for (auto p : kPixels) {
            EXPECT_TRUE(io::can_store(F::tiff, p, c));
            EXPECT_TRUE(io::can_store(F::hdf5, p, c));
        }
    }
    for (auto f : kFormats)
        for (auto p : kPixels) {
            EXPECT_FALSE(io::can_store(f, p, 0));
            EXPECT_FALSE(io::can_store(f, p, 5));
        }
}

TEST(ImageFormats, FromExtension) {
    EXPECT_EQ(io::format_from_extension("a/b.PNG"), ImageFormat::png);
    EXPECT_EQ(io::format_from_extension("b.jpeg"), ImageFormat::jpeg);
    EXPECT_EQ(io::format_from_extension("b.JPG"), ImageFormat::jpeg);
    EXPECT_EQ(io::format_from_extension("b.bmp"), ImageFormat::bmp);
    EXPECT_EQ(io::format_from_extension("b.pgm"), ImageFormat::pnm);
    EXPECT_EQ(io::format_from_extension("b.ppm"), ImageFormat::pnm);
    EXPECT_EQ(io::format_from_extension("b.pnm"), ImageFormat::pnm);
    EXPECT_EQ(io::format_from_extension("b.Tif"), ImageFormat::tiff);
    EXPECT_EQ(io::format_from_extension("b.tiff"), ImageFormat::tiff);
    EXPECT_EQ(io::format_from_extension("b.h5"), ImageFormat::hdf5);
    EXPECT_EQ(io::format_from_extension("b.hdf5"), ImageFormat::hdf5);
    EXPECT_FALSE(io::format_from_extension("b.gif"));
    EXPECT_FALSE(io::format_from_extension("png"));
    EXPECT_EQ(io::pixel_bytes(PixelType::u16), 2u);
    EXPECT_STREQ(io::to_string(PixelType::f32), "float32");
    static_assert(io::pixel_type_of<std::uint16_t>() == PixelType::u16);
}

TEST_F(ImageTest, RoundTripIsExactForEveryLosslessCombination) {
    int written = 0;
    for (auto f : kFormats) {
        if (f == ImageFormat::jpeg) continue;
        for (auto p : kPixels)
            for (int c = 1; c <= 4; ++c) {
                if (!io::can_store(f, p, c)) continue;
                SCOPED_TRACE(std::string(io::to_string(f)) + " " + io::to_string(p) + " c=" + std::to_string(c));
                const Image image = make_image(37, 23, c, p, 100u + static_cast<unsigned>(c));
                const fs::path path = dir / ("img_" + std::to_string(written++) + extension(f, c));
                io::write_image(path, image);
                const Image back = io::read_image(path);
                EXPECT_EQ(back.info.width, 37);
                EXPECT_EQ(back.info.height, 23);
                EXPECT_EQ(back.info.channels, c);
                EXPECT_EQ(back.info.pixel, p);
                EXPECT_EQ(back.info.format, f);
                EXPECT_TRUE(back.bytes == image.bytes);
                const auto info = io::read_image_info(path);
                EXPECT_EQ(info.width, back.info.width);
                EXPECT_EQ(info.height, back.info.height);
                EXPECT_EQ(info.channels, back.info.channels);
                EXPECT_EQ(info.pixel, back.info.pixel);
                EXPECT_EQ(info.format, back.info.format);
            }
    }
    EXPECT_EQ(written, 8 + 3 + 4 + 12 + 12);
    // Only the images themselves: no temporaries left behind.
    EXPECT_EQ(listing().size(), static_cast<std::size_t>(written));
    for (const auto& name : listing()) EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
}

TEST_F(ImageTest, OtherExtensionsAndOddSizes) {
    const Image image = make_image(1, 5, 3, PixelType::u8);
    for (const char* name : {"a.PNG", "a.pnm", "a.tif", "a.hdf5", "a.BMP"}) {
        io::write_image(dir / name, image);
        EXPECT_TRUE(io::read_image(dir / name).bytes == image.bytes) << name;
    }
    const Image wide = make_image(41, 1, 1, PixelType::u16);
    io::write_image(dir / "wide.tif", wide);
    EXPECT_TRUE(io::read_image(dir / "wide.tif").bytes == wide.bytes);
}

TEST_F(ImageTest, JpegKeepsSizeAndIsClose) {
    for (int c : {3}) {
        const Image image = make_image(37, 23, c, PixelType::u8, 1, /*smooth=*/true);
        const fs::path path = dir / ("photo" + std::to_string(c) + ".jpeg");
        io::write_image(path, image);
        const Image back = io::read_image(path);
        EXPECT_EQ(back.info.width, 37);
        EXPECT_EQ(back.info.height, 23);
        EXPECT_EQ(back.info.channels, c);
        EXPECT_EQ(back.info.format, ImageFormat::jpeg);
        ASSERT_EQ(back.bytes.size(), image.bytes.size());
        double err = 0;
        for (std::size_t k = 0; k < image.bytes.size(); ++k) err += std::abs(int(image.bytes[k]) - int(back.bytes[k]));
        EXPECT_LT(err / static_cast<double>(image.bytes.size()), 3.0);
        EXPECT_EQ(io::read_image_info(path).channels, c);
    }
}

TEST_F(ImageTest, HandWrittenPnmKeepsSamplesAsStored) {
    // maxval 1000: two bytes per sample, big-endian, not rescaled; a comment in the header.
    std::string s = "P5\n# made by hand\n3 2\n1000\n";
    for (int v : {0, 1, 255, 256, 999, 1000}) s += {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
    spit(dir / "hand.pgm", s);
    const Image image = io::read_image(dir / "hand.pgm");
    EXPECT_EQ(image.info.pixel, PixelType::u16);
    EXPECT_EQ(image.info.width, 3);
    EXPECT_EQ(image.info.height, 2);
    const std::uint16_t expect[6] = {0, 1, 255, 256, 999, 1000};
    EXPECT_EQ(std::memcmp(image.pixels<std::uint16_t>(), expect, sizeof expect), 0);
    spit(dir / "ascii.pgm", "P2\n1 1\n255\n7\n");
    expect_error([&] { io::read_image(dir / "ascii.pgm"); }, dir / "ascii.pgm", "P2 is not supported");
}

TEST_F(ImageTest, HdfImageCarriesTheSpecAttributes) {
    io::write_image(dir / "rgb.h5", make_image(5, 4, 3, PixelType::u8));
    io::write_image(dir / "gray.h5", make_image(5, 4, 1, PixelType::f32));
    auto rgb = io::h5::File::open(dir / "rgb.h5", false);
    io::h5::Handle ds(H5Dopen2(rgb.get(), "image", H5P_DEFAULT), H5Dclose);
    EXPECT_EQ(io::h5::read_attribute_string(ds.get(), "CLASS"), "IMAGE");
    EXPECT_EQ(io::h5::read_attribute_string(ds.get(), "IMAGE_VERSION"), "1.2");
    EXPECT_EQ(io::h5::read_attribute_string(ds.get(), "IMAGE_SUBCLASS"), "IMAGE_TRUECOLOR");
    EXPECT_EQ(io::h5::read_attribute_string(ds.get(), "INTERLACE_MODE"), "INTERLACE_PIXEL");
    EXPECT_EQ(io::h5::dataset_dims(rgb, "image"), (std::vector<hsize_t>{4, 5, 3}));
    auto gray = io::h5::File::open(dir / "gray.h5", false);
    io::h5::Handle gds(H5Dopen2(gray.get(), "image", H5P_DEFAULT), H5Dclose);
    EXPECT_EQ(io::h5::read_attribute_string(gds.get(), "IMAGE_SUBCLASS"), "IMAGE_GRAYSCALE");
    EXPECT_EQ(io::h5::dataset_dims(gray, "image"), (std::vector<hsize_t>{4, 5}));
}

TEST_F(ImageTest, UnreadableFilesNameThemselves) {
    expect_error([&] { io::read_image(dir / "x.bmp"); }, dir / "x.bmp", "cannot open: No such file or directory");
    expect_error([&] { io::read_image_info(dir / "x.bmp"); }, dir / "x.bmp", "No such file or directory");
    expect_error([&] { io::read_image(dir); }, dir, "cannot open");
    spit(dir / "empty.png", "");
    expect_error([&] { io::read_image(dir / "empty.png"); }, dir / "empty.png", "empty");
    std::mt19937 rng(3);
    std::string noise(4000, '\0');
    for (auto& ch : noise) ch = static_cast<char>(rng() & 0xff);
    noise[0] = 'x';  // not by chance a magic byte
    spit(dir / "noise.png", noise);
    expect_error([&] { io::read_image(dir / "noise.png"); }, dir / "noise.png", "not an image in a supported format");
    spit(dir / "y.gif", std::string("GIF89a\x01\x00\x01\x00\x80\x00\x00", 13) + std::string(40, '\0'));
    expect_error([&] { io::read_image(dir / "y.gif"); }, dir / "y.gif",
                 "not an image in a supported format (PNG, JPEG, BMP, PGM/PPM, TIFF, HDF5)");
    expect_error([&] { io::read_image_info(dir / "y.gif"); }, dir / "y.gif", "not an image");
}

TEST_F(ImageTest, TruncatedFilesAreErrors) {
    const struct {
        const char* name;
        PixelType pixel;
        int channels;
    } cases[] = {{"photo.png", PixelType::u8, 3}, {"deep.png", PixelType::u16, 4}, {"photo.jpg", PixelType::u8, 3},  {"pic.bmp", PixelType::u8, 3},   {"gray.bmp", PixelType::u8, 1},
                 {"pic.pgm", PixelType::u16, 1},  {"pic.ppm", PixelType::u8, 3},   {"pic.tif", PixelType::u16, 3},
                 {"pic.h5", PixelType::f32, 2}};
    for (const auto& c : cases) {
        const fs::path path = dir / c.name;
        io::write_image(path, make_image(37, 23, c.channels, c.pixel, 5, std::string(c.name).ends_with(".jpg")));
        EXPECT_NO_THROW(io::read_image(path)) << c.name;
        fs::resize_file(path, fs::file_size(path) / 2);
        expect_error([&] { io::read_image(path); }, path, "");
        // Cut a little only: the end is missing.
        io::write_image(path, make_image(37, 23, c.channels, c.pixel, 5, std::string(c.name).ends_with(".jpg")));
        fs::resize_file(path, fs::file_size(path) - 3);
        if (std::string(c.name).ends_with(".h5")) continue;  // HDF5 may end in free space
        expect_error([&] { io::read_image(path); }, path, "");
    }
    const fs::path png = dir / "photo.png";
    io::write_image(png, make_image(37, 23, 3, PixelType::u8));
    fs::resize_file(png, fs::file_size(png) / 2);
    expect_error([&] { io::read_image(png); }, png, "truncated or corrupt PNG");
}

TEST_F(ImageTest, DamagedPngIsAnError) {
    const fs::path path = dir / "photo.png";
    io::write_image(path, make_image(37, 23, 3, PixelType::u8));
    const std::string good = slurp(path);
    std::string bad = good;
    bad[29] = static_cast<char>(bad[29] ^ 0x01);  // IHDR's CRC
    spit(path, bad);
    expect_error([&] { io::read_image(path); }, path, "truncated or corrupt PNG");
    std::mt19937 rng(11);
    for (int trial = 0; trial < 40; ++trial) {
        bad = good;
        const std::size_t at = 8 + rng() % (good.size() - 8);  // anywhere after the signature
        bad[at] = static_cast<char>(bad[at] ^ (1 + rng() % 255));
        spit(path, bad);
        expect_error([&] { io::read_image(path); }, path, "truncated or corrupt PNG");
    }
}

TEST_F(ImageTest, UnsupportedPixelTypesAreNamed) {
    {
        auto file = io::h5::File::create(dir / "x.h5");
        io::h5::Handle space = io::h5::dataspace({4, 5});
        io::h5::Handle ds(H5Dcreate2(file.get(), "image", H5T_STD_I32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          H5Dclose);
        ASSERT_TRUE(ds.valid());
        std::vector<int> zeros(20, 0);
        H5Dwrite(ds.get(), H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
        ds.close();
        file.close();
    }
    const std::string expected = (dir / "x.h5").string() +
                                 ": dataset /image has pixel type int32 (supported: uint8, uint16, float32)";
    try {
        io::read_image(dir / "x.h5");
        ADD_FAILURE() << "int32 read";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), expected);
    }
    expect_error([&] { io::read_image_info(dir / "x.h5"); }, dir / "x.h5", "int32");
    {
        auto file = io::h5::File::create(dir / "other.h5");
        io::h5::Handle space = io::h5::dataspace({4, 5});
        io::h5::Handle ds(H5Dcreate2(file.get(), "u", H5T_NATIVE_DOUBLE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          H5Dclose);
        ds.close();
        file.close();
    }
    expect_error([&] { io::read_image(dir / "other.h5"); }, dir / "other.h5", "no dataset /image");
    // TIFF: signed 16-bit samples, and separate planes.
    for (int variant = 0; variant < 2; ++variant) {
        const fs::path path = dir / (variant ? "planes.tif" : "signed.tif");
        TIFF* tif = TIFFOpen(path.c_str(), "w");
        ASSERT_NE(tif, nullptr);
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 4u);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 2u);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, std::uint16_t(variant ? 3 : 1));
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, std::uint16_t(variant ? 8 : 16));
        TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, std::uint16_t(variant ? SAMPLEFORMAT_UINT : SAMPLEFORMAT_INT));
        TIFFSetField(tif, TIFFTAG_PLANARCONFIG, std::uint16_t(variant ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG));
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, std::uint16_t(variant ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK));
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 2u);
        std::vector<unsigned char> row(16, 0);
        for (std::uint16_t s = 0; s < (variant ? 3 : 1); ++s)
            for (std::uint32_t j = 0; j < 2; ++j) TIFFWriteScanline(tif, row.data(), j, s);
        TIFFClose(tif);
        expect_error([&] { io::read_image(path); }, path, variant ? "separate colour planes" : "16-bit signed");
    }
}

TEST_F(ImageTest, RefusedWritesCreateNothing) {
    const Image rgb = make_image(37, 23, 3, PixelType::u8);
    io::write_image(dir / "keep.png", rgb);
    const auto before = listing();
    expect_error([&] { io::write_image(dir / "x.gif", rgb); }, dir / "x.gif", "unknown image extension '.gif'");
    expect_error([&] { io::write_image(dir / "noext", rgb); }, dir / "noext", "unknown image extension");
    expect_error([&] { io::write_image(dir / "deep.jpg", make_image(5, 5, 3, PixelType::u16)); }, dir / "deep.jpg",
                 "JPEG cannot store uint16");
    expect_error([&] { io::write_image(dir / "gray.jpg", make_image(5, 5, 1, PixelType::u8)); }, dir / "gray.jpg",
                 "JPEG cannot store uint8 images with 1 channel");
    expect_error([&] { io::write_image(dir / "ga.bmp", make_image(5, 5, 2, PixelType::u8)); }, dir / "ga.bmp",
                 "BMP cannot store");
    expect_error([&] { io::write_image(dir / "f.png", make_image(5, 5, 1, PixelType::f32)); }, dir / "f.png",
                 "PNG cannot store float32");
    expect_error([&] { io::write_image(dir / "rgba.ppm", make_image(5, 5, 4, PixelType::u8)); }, dir / "rgba.ppm",
                 "PGM/PPM cannot store");
    expect_error([&] { io::write_image(dir / "missing" / "x.png", rgb); }, dir / "missing" / "x.png", "does not exist");
    expect_error([&] { io::write_image(dir / "missing" / "x.h5", rgb); }, dir / "missing" / "x.h5", "does not exist");
    Image short_image = rgb;
    short_image.bytes.pop_back();
    expect_error([&] { io::write_image(dir / "short.tif", short_image); }, dir / "short.tif", "bytes");
    EXPECT_EQ(listing(), before);
    EXPECT_FALSE(fs::exists(dir / "missing"));
    // A replaced file is the new image, whole.
    const Image other = make_image(37, 23, 3, PixelType::u8, 99);
    io::write_image(dir / "keep.png", other);
    EXPECT_TRUE(io::read_image(dir / "keep.png").bytes == other.bytes);
    EXPECT_EQ(listing(), before);
}

TEST_F(ImageTest, ReadsTiledAndCompressedTiff) {
    // 37 x 23 RGB 16-bit in 16 x 16 tiles (the last ones sticking out), LZW with a predictor.
    const Image image = make_image(37, 23, 3, PixelType::u16);
    const fs::path path = dir / "tiled.tif";
    TIFF* tif = TIFFOpen(path.c_str(), "w");
    ASSERT_NE(tif, nullptr);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 37u);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 23u);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, std::uint16_t(3));
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, std::uint16_t(16));
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, std::uint16_t(PLANARCONFIG_CONTIG));
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, std::uint16_t(PHOTOMETRIC_RGB));
    TIFFSetField(tif, TIFFTAG_COMPRESSION, std::uint16_t(COMPRESSION_LZW));
    TIFFSetField(tif, TIFFTAG_PREDICTOR, std::uint16_t(PREDICTOR_HORIZONTAL));
    TIFFSetField(tif, TIFFTAG_TILEWIDTH, 16u);
    TIFFSetField(tif, TIFFTAG_TILELENGTH, 16u);
    std::vector<std::uint16_t> tile(16 * 16 * 3);
    for (std::uint32_t y = 0; y < 23; y += 16)
        for (std::uint32_t x = 0; x < 37; x += 16) {
            std::fill(tile.begin(), tile.end(), std::uint16_t{0});
            for (std::uint32_t j = y; j < std::min(23u, y + 16); ++j)
                for (std::uint32_t i = x; i < std::min(37u, x + 16); ++i)
                    for (int c = 0; c < 3; ++c)
                        tile[((j - y) * 16 + (i - x)) * 3 + static_cast<std::uint32_t>(c)] =
                            image.pixels<std::uint16_t>()[(j * 37 + i) * 3 + static_cast<std::uint32_t>(c)];
            ASSERT_GE(TIFFWriteTile(tif, tile.data(), x, y, 0, 0), 0);
        }
    TIFFClose(tif);
    const Image back = io::read_image(path);
    EXPECT_EQ(back.info.format, ImageFormat::tiff);
    EXPECT_EQ(back.info.channels, 3);
    EXPECT_EQ(back.info.pixel, PixelType::u16);
    EXPECT_TRUE(back.bytes == image.bytes);
}

TEST_F(ImageTest, DamagedHeadersAllocateNothingHuge) {
    // A JPEG Huffman table claiming more than 256 codes (stb_image 2.27 would overflow it).
    io::write_image(dir / "photo.jpg", make_image(37, 23, 3, PixelType::u8, 1, true));
    std::string jpeg = slurp(dir / "photo.jpg");
    const auto dht = jpeg.find("\xff\xc4");
    ASSERT_NE(dht, std::string::npos);
    for (std::size_t k = 0; k < 16; ++k) jpeg[dht + 5 + k] = static_cast<char>(0x40);
    spit(dir / "photo.jpg", jpeg);
    expect_error([&] { io::read_image(dir / "photo.jpg"); }, dir / "photo.jpg", "corrupt JPEG");
    // An HDF5 image of 10^10 pixels that holds none: refused before 10 GB are allocated.
    {
        auto file = io::h5::File::create(dir / "huge.h5");
        io::h5::Handle space = io::h5::dataspace({100000, 100000});
        io::h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
        const hsize_t chunk[2] = {1000, 1000};
        H5Pset_chunk(dcpl.get(), 2, chunk);
        io::h5::Handle ds(H5Dcreate2(file.get(), "image", H5T_STD_U8LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                          H5Dclose);
        ds.close();
        file.close();
    }
    EXPECT_EQ(io::read_image_info(dir / "huge.h5").width, 100000);
    expect_error([&] { io::read_image(dir / "huge.h5"); }, dir / "huge.h5", "truncated or corrupt HDF5 image");
    // A PGM header promising 4 * 10^18 pixels.
    spit(dir / "huge.pgm", "P5\n2000000000 2000000000\n255\n" + std::string(100, '\0'));
    expect_error([&] { io::read_image(dir / "huge.pgm"); }, dir / "huge.pgm", "");
}
