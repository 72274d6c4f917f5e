// Batches of frames in one process: folders (other files ignored, sorted by name), glob
// patterns, HDF5 stacks written in any order by FrameStackWriter and read back bitwise, a
// resumed stack, and the error paths (empty batches, mismatched frames, unreadable files,
// stacks of the wrong shape, a partial file of another shape).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <tessera/core/error.hpp>
#include <tessera/io/frames.hpp>
#include <tessera/io/hdf5.hpp>
#include <tessera/io/image.hpp>

using namespace tessera;
using io::FrameSetKind;
using io::Image;
using io::ImageFormat;
using io::PixelType;
namespace fs = std::filesystem;

namespace {

class FramesTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("tessera_frames_test_" + std::to_string(::getpid()) + "_" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    fs::path dir;
};

// Noise from a seed (one per frame), so that every frame differs from every other.
Image make_frame(std::int64_t w, std::int64_t h, int c, PixelType pixel, unsigned seed) {
    Image image;
    image.info = {w, h, c, pixel, ImageFormat::png};
    const std::size_t n = static_cast<std::size_t>(w * h * c);
    image.bytes.resize(n * io::pixel_bytes(pixel));
    std::mt19937 rng(seed);
    for (std::size_t k = 0; k < n; ++k) {
        switch (pixel) {
        case PixelType::u8: image.pixels<std::uint8_t>()[k] = static_cast<std::uint8_t>(rng()); break;
        case PixelType::u16: image.pixels<std::uint16_t>()[k] = static_cast<std::uint16_t>(rng()); break;
        case PixelType::f32:
            image.pixels<float>()[k] = static_cast<float>(std::ldexp(static_cast<double>(rng()), -20) - 2000.0);
            break;
        }
    }
    return image;
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// Runs `f`, expecting tessera::Error; returns its message ("" and a failure otherwise).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "no tessera::Error thrown";
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A raw HDF5 file with dataset /name of the given dims and type, for stacks io does not write.
void write_raw_h5(const fs::path& path, const std::string& name, const std::vector<hsize_t>& dims, hid_t type) {
    auto file = io::h5::File::create(path);
    auto space = io::h5::dataspace(dims);
    io::h5::Handle ds(TESSERA_H5_CALL(H5Dcreate2(file.get(), name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                                                 H5P_DEFAULT)),
                      H5Dclose);
    ds.close();
    file.close();
}

TEST_F(FramesTest, FolderListsImagesSortedByNameAndIgnoresOtherFiles) {
    // Written out of order; 'B' sorts before 'a' (byte order), digits before letters.
    const std::vector<std::string> names = {"a_2.png", "B.png", "a_10.png", "0.png", "a_1.png"};
    const std::vector<std::string> sorted = {"0.png", "B.png", "a_1.png", "a_10.png", "a_2.png"};
    std::vector<Image> frames;
    for (std::size_t k = 0; k < names.size(); ++k) {
        frames.push_back(make_frame(13, 7, 3, PixelType::u8, static_cast<unsigned>(k)));
        io::write_image(dir / names[k], frames.back());
    }
    write_text(dir / "notes.txt", "not an image");
    write_text(dir / "README", "no extension");
    write_text(dir / "frames.h5.partial", "a stack being written");
    write_text(dir / "x.png.123-0.tmp", "a writer's temporary");
    io::write_image(dir / ".hidden.png", make_frame(5, 5, 1, PixelType::u8, 99));  // other size: must be ignored
    fs::create_directory(dir / "folder.png");

    EXPECT_TRUE(io::is_frame_set(dir.string()));
    const auto set = io::open_frame_set(dir.string());
    EXPECT_EQ(set.kind, FrameSetKind::folder);
    EXPECT_STREQ(io::to_string(set.kind), "folder");
    EXPECT_EQ(set.source, dir);
    ASSERT_EQ(set.count, 5);
    ASSERT_EQ(set.files.size(), 5u);
    EXPECT_EQ(set.frame.width, 13);
    EXPECT_EQ(set.frame.height, 7);
    EXPECT_EQ(set.frame.channels, 3);
    EXPECT_EQ(set.frame.pixel, PixelType::u8);
    EXPECT_EQ(set.frame.format, ImageFormat::png);
    for (std::size_t k = 0; k < sorted.size(); ++k) {
        EXPECT_EQ(set.files[k], dir / sorted[k]);
        const auto want = std::find(names.begin(), names.end(), sorted[k]) - names.begin();
        const Image got = io::read_frame(set, static_cast<gindex_t>(k));
        EXPECT_EQ(got.bytes, frames[static_cast<std::size_t>(want)].bytes) << sorted[k];
    }
}

TEST_F(FramesTest, FolderTakesEveryImageFormatIncludingHdf5Images) {
    const Image a = make_frame(9, 4, 1, PixelType::u16, 1), b = make_frame(9, 4, 1, PixelType::u16, 2),
                c = make_frame(9, 4, 1, PixelType::u16, 3);
    io::write_image(dir / "a.png", a);
    io::write_image(dir / "b.tif", b);
    io::write_image(dir / "c.h5", c);
    const auto set = io::open_frame_set(dir.string());
    ASSERT_EQ(set.count, 3);
    EXPECT_EQ(io::read_frame(set, 0).bytes, a.bytes);
    EXPECT_EQ(io::read_frame(set, 1).bytes, b.bytes);
    EXPECT_EQ(io::read_frame(set, 2).bytes, c.bytes);
    EXPECT_EQ(io::read_frame(set, 2).info.format, ImageFormat::hdf5);
}

TEST_F(FramesTest, GlobMatchesFileNamesInOneFolder) {
    fs::create_directory(dir / "shots");
    std::vector<Image> frames;
    for (int k = 0; k < 4; ++k) {
        frames.push_back(make_frame(6, 5, 2, PixelType::u8, static_cast<unsigned>(10 + k)));
        io::write_image(dir / "shots" / ("img_0" + std::to_string(3 - k) + ".png"), frames.back());
    }
    io::write_image(dir / "shots" / "img_100.png", make_frame(3, 3, 1, PixelType::u8, 1));  // no match for ??
    io::write_image(dir / "shots" / "other_01.png", make_frame(3, 3, 1, PixelType::u8, 1));
    const std::string spec = (dir / "shots" / "img_??.png").string();
    EXPECT_TRUE(io::is_frame_set(spec));
    const auto set = io::open_frame_set(spec);
    EXPECT_EQ(set.kind, FrameSetKind::glob);
    EXPECT_EQ(set.source, fs::path(spec));
    ASSERT_EQ(set.count, 4);
    for (int k = 0; k < 4; ++k) {
        EXPECT_EQ(set.files[static_cast<std::size_t>(k)], dir / "shots" / ("img_0" + std::to_string(k) + ".png"));
        EXPECT_EQ(io::read_frame(set, k).bytes, frames[static_cast<std::size_t>(3 - k)].bytes);
    }
    // Brackets and stars; a folder whose name matches is not a frame.
    fs::create_directory(dir / "shots" / "img_09.png");
    const auto some = io::open_frame_set((dir / "shots" / "img_0[12]*").string());
    ASSERT_EQ(some.count, 2);
    EXPECT_EQ(some.files[0].filename(), "img_01.png");
    EXPECT_EQ(some.files[1].filename(), "img_02.png");
    EXPECT_EQ(io::open_frame_set(spec).count, 4);
    // A leading dot is matched by a dot only (FNM_PERIOD), as in the shell.
    fs::create_directory(dir / "hid");
    io::write_image(dir / "hid" / "a.png", make_frame(3, 3, 1, PixelType::u8, 1));
    io::write_image(dir / "hid" / ".b.png", make_frame(4, 4, 1, PixelType::u8, 1));
    EXPECT_EQ(io::open_frame_set((dir / "hid" / "*.png").string()).count, 1);
    EXPECT_EQ(io::open_frame_set((dir / "hid" / ".*.png").string()).count, 1);
}

TEST_F(FramesTest, IsFrameSet) {
    io::write_image(dir / "one.png", make_frame(4, 4, 1, PixelType::u8, 1));
    io::write_image(dir / "one.h5", make_frame(4, 4, 1, PixelType::u8, 1));
    {
        io::FrameStackWriter w(dir / "stack.h5", 2, make_frame(4, 4, 1, PixelType::u8, 1).info, false);
        w.commit();
    }
    EXPECT_TRUE(io::is_frame_set(dir.string()));
    EXPECT_TRUE(io::is_frame_set((dir / "stack.h5").string()));
    EXPECT_TRUE(io::is_frame_set((dir / "*.png").string()));
    EXPECT_TRUE(io::is_frame_set((dir / "none_*.png").string()));  // a pattern, even without matches
    EXPECT_FALSE(io::is_frame_set((dir / "one.h5").string()));  // /image: a single image
    EXPECT_FALSE(io::is_frame_set((dir / "one.png").string()));
    EXPECT_FALSE(io::is_frame_set((dir / "missing.h5").string()));
    EXPECT_FALSE(io::is_frame_set(""));
    write_text(dir / "broken.h5", "\x89HDF\r\n\x1a\n and then nothing");
    EXPECT_FALSE(io::is_frame_set((dir / "broken.h5").string()));
    // An existing file whose name holds a wildcard is that file.
    io::write_image(dir / "odd[1].png", make_frame(4, 4, 1, PixelType::u8, 1));
    EXPECT_FALSE(io::is_frame_set((dir / "odd[1].png").string()));
}

// Every pixel type and both ranks of /frames: written in a shuffled order, read back bitwise.
TEST_F(FramesTest, StackRoundTripInShuffledOrder) {
    struct Case {
        int channels;
        PixelType pixel;
    };
    for (const Case c : {Case{1, PixelType::u8}, Case{3, PixelType::u16}, Case{4, PixelType::f32}, Case{2, PixelType::u8}}) {
        SCOPED_TRACE(std::to_string(c.channels) + " channel(s), " + io::to_string(c.pixel));
        const fs::path path = dir / ("stack_" + std::to_string(c.channels) + ".h5");
        const gindex_t n = 7;
        std::vector<Image> frames;
        for (gindex_t k = 0; k < n; ++k)
            frames.push_back(make_frame(11, 6, c.channels, c.pixel, static_cast<unsigned>(100 + k)));
        std::vector<gindex_t> order(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), 0);
        std::shuffle(order.begin(), order.end(), std::mt19937(3));
        {
            io::FrameStackWriter w(path, n, frames[0].info, false);
            EXPECT_EQ(w.partial_path(), fs::path(path.string() + ".partial"));
            for (const gindex_t k : order) {
                w.write(k, frames[static_cast<std::size_t>(k)]);
                w.flush();
            }
            EXPECT_TRUE(fs::exists(w.partial_path()));
            EXPECT_FALSE(fs::exists(path));
            w.commit();
            EXPECT_FALSE(fs::exists(w.partial_path()));
        }
        ASSERT_TRUE(fs::exists(path));
        const auto set = io::open_frame_set(path.string());
        EXPECT_EQ(set.kind, FrameSetKind::hdf5_stack);
        EXPECT_EQ(set.source, path);
        EXPECT_TRUE(set.files.empty());
        ASSERT_EQ(set.count, n);
        EXPECT_EQ(set.frame.width, 11);
        EXPECT_EQ(set.frame.height, 6);
        EXPECT_EQ(set.frame.channels, c.channels);
        EXPECT_EQ(set.frame.pixel, c.pixel);
        EXPECT_EQ(set.frame.format, ImageFormat::hdf5);
        for (gindex_t k = n - 1; k >= 0; --k) EXPECT_EQ(io::read_frame(set, k).bytes, frames[static_cast<std::size_t>(k)].bytes);

        // Layout: [n, h, w(, c)], one frame per chunk, the count as attribute `frames`.
        auto file = io::h5::File::open(path, false);
        std::vector<hsize_t> want{static_cast<hsize_t>(n), 6, 11};
        if (c.channels > 1) want.push_back(static_cast<hsize_t>(c.channels));
        EXPECT_EQ(io::h5::dataset_dims(file, "frames"), want);
        io::h5::Handle ds(TESSERA_H5_CALL(H5Dopen2(file.get(), "frames", H5P_DEFAULT)), H5Dclose);
        io::h5::Handle dcpl(TESSERA_H5_CALL(H5Dget_create_plist(ds.get())), H5Pclose);
        ASSERT_EQ(H5Pget_layout(dcpl.get()), H5D_CHUNKED);
        std::vector<hsize_t> chunk(want.size());
        ASSERT_EQ(H5Pget_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), static_cast<int>(want.size()));
        want[0] = 1;
        EXPECT_EQ(chunk, want);
        EXPECT_EQ(io::h5::read_attribute_int(ds.get(), "frames"), n);
    }
}

TEST_F(FramesTest, ResumeKeepsTheFramesOfAPartialFile) {
    const fs::path path = dir / "out.h5";
    const gindex_t n = 6;
    std::vector<Image> frames;
    for (gindex_t k = 0; k < n; ++k) frames.push_back(make_frame(8, 5, 3, PixelType::u16, static_cast<unsigned>(k)));
    {
        io::FrameStackWriter w(path, n, frames[0].info, false);
        for (const gindex_t k : {4, 0, 2}) w.write(k, frames[static_cast<std::size_t>(k)]);
        w.flush();
    }  // destroyed uncommitted: the partial file stays
    ASSERT_TRUE(fs::exists(path.string() + ".partial"));
    ASSERT_FALSE(fs::exists(path));
    {
        io::FrameStackWriter w(path, n, frames[0].info, true);
        for (const gindex_t k : {5, 1, 3}) w.write(k, frames[static_cast<std::size_t>(k)]);
        w.commit();
    }
    EXPECT_FALSE(fs::exists(path.string() + ".partial"));
    const auto set = io::open_frame_set(path.string());
    ASSERT_EQ(set.count, n);
    for (gindex_t k = 0; k < n; ++k) EXPECT_EQ(io::read_frame(set, k).bytes, frames[static_cast<std::size_t>(k)].bytes) << k;
}

TEST_F(FramesTest, WithoutResumeAPartialFileStartsAgain) {
    const fs::path path = dir / "out.h5";
    std::vector<Image> frames;
    for (int k = 0; k < 4; ++k) frames.push_back(make_frame(5, 3, 1, PixelType::f32, static_cast<unsigned>(k)));
    {
        io::FrameStackWriter w(path, 4, frames[0].info, false);
        w.write(0, frames[0]);
        w.write(1, frames[1]);
    }
    {
        io::FrameStackWriter w(path, 4, frames[0].info, false);  // the partial file made anew
        w.write(2, frames[2]);
        w.write(3, frames[3]);
        w.commit();
    }
    const auto set = io::open_frame_set(path.string());
    const std::vector<unsigned char> zeros(frames[0].bytes.size(), 0);
    EXPECT_EQ(io::read_frame(set, 0).bytes, zeros);  // never written in this run: the fill value
    EXPECT_EQ(io::read_frame(set, 1).bytes, zeros);
    EXPECT_EQ(io::read_frame(set, 2).bytes, frames[2].bytes);
    EXPECT_EQ(io::read_frame(set, 3).bytes, frames[3].bytes);

    const fs::path fresh = dir / "fresh.h5";
    io::FrameStackWriter w(fresh, 1, frames[0].info, true);  // nothing to resume: created
    w.write(0, frames[1]);
    w.commit();
    EXPECT_EQ(io::read_frame(io::open_frame_set(fresh.string()), 0).bytes, frames[1].bytes);
}

TEST_F(FramesTest, EmptyBatchesAreErrors) {
    fs::create_directory(dir / "empty");
    EXPECT_TRUE(contains(error_of([&] { io::open_frame_set((dir / "empty").string()); }),
                         (dir / "empty").string() + ": no image files in the folder"));
    fs::create_directory(dir / "junk");
    write_text(dir / "junk" / "notes.txt", "text");
    write_text(dir / "junk" / ".hidden.png", "hidden");
    EXPECT_TRUE(contains(error_of([&] { io::open_frame_set((dir / "junk").string()); }), "no image files"));

    const std::string pattern = (dir / "junk" / "*.png").string();
    EXPECT_TRUE(contains(error_of([&] { io::open_frame_set(pattern); }), "no files match " + pattern));
    const std::string nowhere = (dir / "nowhere" / "*.png").string();
    EXPECT_TRUE(contains(error_of([&] { io::open_frame_set(nowhere); }),
                         "no files match " + nowhere + " (folder " + (dir / "nowhere").string() + " does not exist)"));
    EXPECT_TRUE(contains(error_of([&] { io::open_frame_set((dir / "missing.h5").string()); }),
                         (dir / "missing.h5").string() + ": no such file or folder"));
}

TEST_F(FramesTest, MismatchedFramesNameBothFiles) {
    fs::create_directory(dir / "size");
    io::write_image(dir / "size" / "a.png", make_frame(64, 48, 1, PixelType::u8, 1));
    io::write_image(dir / "size" / "b.png", make_frame(64, 48, 1, PixelType::u8, 2));
    io::write_image(dir / "size" / "c.png", make_frame(32, 32, 1, PixelType::u8, 3));
    const fs::path s = dir / "size";
    EXPECT_EQ(error_of([&] { io::open_frame_set(s.string()); }),
              "frames differ in size: " + (s / "a.png").string() + " is 64x48, " + (s / "c.png").string() + " is 32x32");

    fs::create_directory(dir / "channels");
    io::write_image(dir / "channels" / "a.png", make_frame(8, 8, 3, PixelType::u8, 1));
    io::write_image(dir / "channels" / "b.png", make_frame(8, 8, 1, PixelType::u8, 2));
    const fs::path c = dir / "channels";
    EXPECT_EQ(error_of([&] { io::open_frame_set(c.string()); }),
              "frames differ in channels: " + (c / "a.png").string() + " has 3, " + (c / "b.png").string() + " has 1");

    fs::create_directory(dir / "pixel");
    io::write_image(dir / "pixel" / "a.png", make_frame(8, 8, 1, PixelType::u8, 1));
    io::write_image(dir / "pixel" / "b.png", make_frame(8, 8, 1, PixelType::u16, 2));
    const fs::path p = dir / "pixel";
    EXPECT_EQ(error_of([&] { io::open_frame_set((p / "*.png").string()); }),
              "frames differ in pixel type: " + (p / "a.png").string() + " is uint8, " + (p / "b.png").string() +
                  " is uint16");
}

TEST_F(FramesTest, UnreadableFilesAreNamed) {
    io::write_image(dir / "a.png", make_frame(8, 8, 1, PixelType::u8, 1));
    write_text(dir / "b.png", "not a PNG at all");
    EXPECT_TRUE(contains(error_of([&] { io::open_frame_set(dir.string()); }), (dir / "b.png").string() + ": "));

    // A file damaged after the batch was opened: read_frame names it.
    io::write_image(dir / "b.png", make_frame(8, 8, 1, PixelType::u8, 2));
    const auto set = io::open_frame_set(dir.string());
    ASSERT_EQ(set.count, 2);
    const auto size = fs::file_size(dir / "b.png");
    fs::resize_file(dir / "b.png", size / 2);
    EXPECT_TRUE(contains(error_of([&] { io::read_frame(set, 1); }), (dir / "b.png").string() + ": "));
    // ... or replaced by a frame of another size.
    io::write_image(dir / "b.png", make_frame(9, 8, 1, PixelType::u8, 2));
    EXPECT_TRUE(contains(error_of([&] { io::read_frame(set, 1); }),
                         (dir / "b.png").string() + ": the frame is 9x8, 1 channel(s), uint8, the batch's frames are "
                                                    "8x8, 1 channel(s), uint8"));
    EXPECT_TRUE(contains(error_of([&] { io::read_frame(set, 2); }), "frame 2 out of range (the batch holds 2 frames)"));
    EXPECT_TRUE(contains(error_of([&] { io::read_frame(set, -1); }), "frame -1 out of range"));
    fs::remove(dir / "a.png");
    EXPECT_TRUE(contains(error_of([&] { io::read_frame(set, 0); }), (dir / "a.png").string() + ": cannot open"));
}

TEST_F(FramesTest, StacksOfTheWrongShapeOrTypeAreErrors) {
    const fs::path flat = dir / "flat.h5";
    write_raw_h5(flat, "frames", {8, 16}, H5T_STD_U8LE);
    EXPECT_EQ(error_of([&] { io::open_frame_set(flat.string()); }),
              flat.string() + ": dataset /frames has shape (8, 16) (supported: [frames, height, width] or [frames, "
                              "height, width, channels] with 1 to 4 channels)");
    const fs::path wide = dir / "wide.h5";
    write_raw_h5(wide, "frames", {2, 4, 4, 5}, H5T_STD_U8LE);
    EXPECT_TRUE(contains(error_of([&] { io::open_frame_set(wide.string()); }), "has shape (2, 4, 4, 5)"));
    const fs::path ints = dir / "ints.h5";
    write_raw_h5(ints, "frames", {2, 4, 4}, H5T_STD_I32LE);
    EXPECT_EQ(error_of([&] { io::open_frame_set(ints.string()); }),
              ints.string() + ": dataset /frames has pixel type int32 (supported: uint8, uint16, float32)");
    const fs::path none = dir / "none.h5";
    write_raw_h5(none, "frames", {0, 4, 4}, H5T_STD_U8LE);
    EXPECT_TRUE(contains(error_of([&] { io::open_frame_set(none.string()); }), "holds no frames"));

    const fs::path image = dir / "image.h5";
    io::write_image(image, make_frame(4, 4, 1, PixelType::u8, 1));
    EXPECT_TRUE(contains(error_of([&] { io::open_frame_set(image.string()); }),
                         image.string() + ": no dataset /frames"));
    EXPECT_TRUE(contains(error_of([&] { io::open_frame_set(image.string()); }), "it holds /image, a single image"));
    const fs::path png = dir / "image.png";
    io::write_image(png, make_frame(4, 4, 1, PixelType::u8, 1));
    EXPECT_TRUE(contains(error_of([&] { io::open_frame_set(png.string()); }), png.string() + ": not a batch of frames"));
    const fs::path cut = dir / "cut.h5";
    write_text(cut, "\x89HDF\r\n\x1a\n and then nothing");
    EXPECT_TRUE(contains(error_of([&] { io::open_frame_set(cut.string()); }), cut.string() + ": "));
}

TEST_F(FramesTest, ResumeOnAPartialFileOfAnotherShapeIsAnError) {
    const fs::path path = dir / "out.h5";
    const Image frame = make_frame(8, 6, 1, PixelType::u8, 1);
    {
        io::FrameStackWriter w(path, 3, frame.info, false);
        w.write(1, frame);
    }
    const std::string partial = path.string() + ".partial";
    const auto before = fs::file_size(partial);
    Image other = make_frame(8, 7, 1, PixelType::u8, 1);
    EXPECT_EQ(error_of([&] { io::FrameStackWriter w(path, 3, other.info, true); }),
              partial + ": cannot resume: it holds 3 frames of 8x6, 1 channel(s), uint8, this stack is 3 frames of "
                        "8x7, 1 channel(s), uint8 (remove the file or run without resume)");
    EXPECT_TRUE(contains(error_of([&] { io::FrameStackWriter w(path, 4, frame.info, true); }),
                         "it holds 3 frames of 8x6, 1 channel(s), uint8, this stack is 4 frames"));
    other.info.pixel = PixelType::u16;
    other.info.height = 6;
    EXPECT_TRUE(contains(error_of([&] { io::FrameStackWriter w(path, 3, other.info, true); }), partial + ": cannot resume"));
    EXPECT_EQ(fs::file_size(partial), before);
    EXPECT_FALSE(fs::exists(path));
    // Not HDF5 at all.
    write_text(partial, "junk");
    EXPECT_TRUE(contains(error_of([&] { io::FrameStackWriter w(path, 3, frame.info, true); }),
                         partial + ": cannot resume: HDF5: "));
    // The right shape resumes.
    fs::remove(partial);
    {
        io::FrameStackWriter w(path, 3, frame.info, false);
        w.write(1, frame);
    }
    io::FrameStackWriter w(path, 3, frame.info, true);
    w.commit();
    EXPECT_EQ(io::read_frame(io::open_frame_set(path.string()), 1).bytes, frame.bytes);
}

TEST_F(FramesTest, WriterRefusesBadFramesAndCalls) {
    const fs::path path = dir / "out.h5";
    const Image frame = make_frame(8, 6, 3, PixelType::u16, 1);
    EXPECT_TRUE(contains(error_of([&] { io::FrameStackWriter w(dir / "missing" / "out.h5", 3, frame.info, false); }),
                         "folder " + (dir / "missing").string() + " does not exist"));
    EXPECT_TRUE(contains(error_of([&] { io::FrameStackWriter w(path, 0, frame.info, false); }), "at least one frame"));
    fs::create_directory(dir / "taken.h5");
    EXPECT_EQ(error_of([&] { io::FrameStackWriter w(dir / "taken.h5", 1, frame.info, false); }),
              (dir / "taken.h5").string() + ": cannot write: a folder has that name");
    io::ImageInfo bad = frame.info;
    bad.channels = 5;
    EXPECT_TRUE(contains(error_of([&] { io::FrameStackWriter w(path, 2, bad, false); }), path.string() + ": "));
    EXPECT_FALSE(fs::exists(path.string() + ".partial"));

    io::FrameStackWriter w(path, 2, frame.info, false);
    const std::string partial = w.partial_path().string();
    EXPECT_EQ(error_of([&] { w.write(2, frame); }), partial + ": frame 2 out of range (the stack holds 2 frames)");
    EXPECT_TRUE(contains(error_of([&] { w.write(-1, frame); }), "frame -1 out of range"));
    const Image gray = make_frame(8, 6, 1, PixelType::u16, 1);
    EXPECT_TRUE(contains(error_of([&] { w.write(0, gray); }),
                         partial + ": frame 0 is 8x6, 1 channel(s), uint16 in 96 bytes, the stack's frames are 8x6, 3 "
                                   "channel(s), uint16"));
    Image short_bytes = frame;
    short_bytes.bytes.pop_back();
    EXPECT_TRUE(contains(error_of([&] { w.write(0, short_bytes); }), "in 287 bytes"));
    w.write(0, frame);
    w.write(0, frame);  // again: the same frame once more
    w.commit();
    EXPECT_TRUE(contains(error_of([&] { w.write(1, frame); }), "the stack is committed"));
    EXPECT_TRUE(contains(error_of([&] { w.flush(); }), "the stack is committed"));
    EXPECT_TRUE(contains(error_of([&] { w.commit(); }), "committed already"));
    const auto set = io::open_frame_set(path.string());
    EXPECT_EQ(io::read_frame(set, 0).bytes, frame.bytes);
    EXPECT_TRUE(contains(error_of([&] { io::read_frame(set, 2); }), path.string() + ": frame 2 out of range"));
}

}  // namespace
