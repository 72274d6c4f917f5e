// Video files: lossless round trips (ffv1 in .mkv/.nut: bitwise, in order), lossy ones
// (libx264 in .mp4, mjpeg in .avi: within a small error, in order), and the error paths (files
// that are not videos, refused parameters, writers that leave nothing behind).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <utility>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <tessera/core/error.hpp>
#include <tessera/io/image.hpp>
#include <tessera/io/video.hpp>

using namespace tessera;
using io::Image;
using io::VideoReader;
using io::VideoWriter;
namespace fs = std::filesystem;

namespace {

class VideoTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("tessera_video_test_" + std::to_string(::getpid()) + "_" +
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

// Frame k: a gradient moving two levels per frame, a walking checker square and, for the
// lossless cases, noise from a fixed seed; channels offset from each other (the colour edges
// are edges of luma, which 4:2:0 chroma keeps). Every frame differs from the others.
Image make_frame(std::int64_t w, std::int64_t h, int c, int k, bool noisy) {
    Image image;
    image.info = {w, h, c, io::PixelType::u8, io::ImageFormat::png};
    image.bytes.resize(static_cast<std::size_t>(w * h * c));
    std::mt19937 rng(static_cast<unsigned>(100 + k));
    std::size_t n = 0;
    for (std::int64_t j = 0; j < h; ++j)
        for (std::int64_t i = 0; i < w; ++i)
            for (int ch = 0; ch < c; ++ch) {
                const bool square = ((i + 4 * k) / 16 + j / 16) % 3 == 0;
                const unsigned noise = noisy ? rng() % 32u : 0u;
                image.bytes[n++] = static_cast<std::uint8_t>(
                    static_cast<unsigned>(i + j + 2 * k) % 100u + 30u * static_cast<unsigned>(ch) +
                    (square ? 60u : 0u) + noise);
            }
    return image;
}

std::vector<Image> make_frames(std::int64_t w, std::int64_t h, int c, int count, bool noisy) {
    std::vector<Image> frames;
    for (int k = 0; k < count; ++k) frames.push_back(make_frame(w, h, c, k, noisy));
    return frames;
}

void write_video(const fs::path& path, const std::vector<Image>& frames, const io::VideoWriterOptions& options = {}) {
    const auto& info = frames.front().info;
    VideoWriter writer(path, info.width, info.height, info.channels, options);
    for (const auto& f : frames) writer.write(f);
    EXPECT_EQ(writer.frames_written(), static_cast<gindex_t>(frames.size()));
    writer.commit();
}

std::vector<Image> read_video(const fs::path& path, int channels) {
    VideoReader reader(path, channels);
    std::vector<Image> frames;
    Image frame;
    while (reader.read(frame)) frames.push_back(frame);
    EXPECT_EQ(reader.frames_read(), static_cast<gindex_t>(frames.size()));
    EXPECT_FALSE(reader.read(frame));  // stays at the end
    return frames;
}

double mean_error(const Image& a, const Image& b) {
    double sum = 0;
    for (std::size_t k = 0; k < a.bytes.size(); ++k) sum += std::abs(int(a.bytes[k]) - int(b.bytes[k]));
    return sum / static_cast<double>(a.bytes.size());
}

// The message of the tessera::Error that `f` throws ("" when it does not throw one).
std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("not a tessera::Error: ") + e.what();
    }
    return "";
}

void write_bytes(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST(VideoPath, Extensions) {
    for (const char* name : {"a.mp4", "a.MKV", "b/c.avi", "x.mov", "x.nut", "x.WebM"}) EXPECT_TRUE(io::is_video_path(name)) << name;
    for (const char* name : {"a.png", "a", "a.mp4.tmp", "a.h5", ".mp4x"}) EXPECT_FALSE(io::is_video_path(name)) << name;
}

// ffv1 is lossless and the pixel formats hold gray and RGB exactly: bitwise, frame by frame.
TEST_F(VideoTest, LosslessRoundTripIsBitwise) {
    struct Case {
        const char* name;
        int channels;
        std::int64_t w, h;
        const char* pixel_format;
    };
    for (const Case& c : {Case{"gray.mkv", 1, 64, 48, "gray"}, Case{"rgb.mkv", 3, 64, 48, "bgr0"},
                          Case{"odd.nut", 1, 33, 17, "gray"}, Case{"odd_rgb.mkv", 3, 31, 19, "bgr0"}}) {
        SCOPED_TRACE(c.name);
        const auto frames = make_frames(c.w, c.h, c.channels, 20, true);
        for (std::size_t k = 1; k < frames.size(); ++k) ASSERT_NE(frames[k].bytes, frames[k - 1].bytes);
        const fs::path path = dir / c.name;
        {
            VideoWriter writer(path, c.w, c.h, c.channels);
            EXPECT_EQ(writer.codec(), "ffv1");
            for (const auto& f : frames) writer.write(f);
            writer.commit();
        }
        VideoReader reader(path, c.channels);
        EXPECT_EQ(reader.info().width, c.w);
        EXPECT_EQ(reader.info().height, c.h);
        EXPECT_EQ(reader.info().codec, "ffv1");
        EXPECT_EQ(reader.info().pixel_format, c.pixel_format);
        EXPECT_NEAR(reader.info().fps, 25.0, 1e-9);
        EXPECT_EQ(reader.channels(), c.channels);
        Image frame;
        for (std::size_t k = 0; k < frames.size(); ++k) {
            ASSERT_TRUE(reader.read(frame)) << "frame " << k;
            EXPECT_EQ(frame.info.width, c.w);
            EXPECT_EQ(frame.info.height, c.h);
            EXPECT_EQ(frame.info.channels, c.channels);
            EXPECT_EQ(frame.info.pixel, io::PixelType::u8);
            EXPECT_EQ(frame.bytes, frames[k].bytes) << "frame " << k;
        }
        EXPECT_FALSE(reader.read(frame));
        EXPECT_EQ(reader.frames_read(), 20);
    }
}

// An RGB video read as gray gives the BT.601 luma of each pixel.
TEST_F(VideoTest, RgbVideoReadAsGrayIsItsLuma) {
    const auto frames = make_frames(40, 30, 3, 5, true);
    write_video(dir / "rgb.mkv", frames);
    const auto gray = read_video(dir / "rgb.mkv", 1);
    ASSERT_EQ(gray.size(), frames.size());
    for (std::size_t k = 0; k < frames.size(); ++k) {
        ASSERT_EQ(gray[k].info.channels, 1);
        const auto* rgb = frames[k].bytes.data();
        int worst = 0;
        for (std::size_t p = 0; p < gray[k].bytes.size(); ++p) {
            const double y = 0.299 * rgb[3 * p] + 0.587 * rgb[3 * p + 1] + 0.114 * rgb[3 * p + 2];
            worst = std::max(worst, static_cast<int>(std::abs(gray[k].bytes[p] - std::lround(y))));
        }
        EXPECT_LE(worst, 1) << "frame " << k;
    }
}

// libx264 (.mp4) and mjpeg (.avi) are lossy: every frame comes back, in order (closest to its own
// original), within a small error.
TEST_F(VideoTest, LossyRoundTripKeepsEveryFrameInOrder) {
    struct Case {
        const char* name;
        int channels;
        const char* codec;
        double tolerance;  // mean absolute error per sample
    };
    for (const Case& c : {Case{"gray.mp4", 1, "libx264", 1.5}, Case{"rgb.mp4", 3, "libx264", 2.0},
                          Case{"gray.avi", 1, "mjpeg", 1.5}, Case{"rgb.avi", 3, "mjpeg", 2.0}}) {
        SCOPED_TRACE(c.name);
        const auto frames = make_frames(96, 64, c.channels, 20, false);
        const fs::path path = dir / c.name;
        {
            VideoWriter writer(path, 96, 64, c.channels);
            EXPECT_EQ(writer.codec(), c.codec);
            for (const auto& f : frames) writer.write(f);
            writer.commit();
        }
        VideoReader reader(path, c.channels);
        EXPECT_EQ(reader.info().frames, 20);  // both containers declare it
        EXPECT_NEAR(reader.info().fps, 25.0, 1e-9);
        const auto back = read_video(path, c.channels);
        ASSERT_EQ(back.size(), frames.size());
        for (std::size_t k = 0; k < frames.size(); ++k) {
            ASSERT_EQ(back[k].bytes.size(), frames[k].bytes.size());
            const double e = mean_error(back[k], frames[k]);
            EXPECT_LT(e, c.tolerance) << "frame " << k;
            for (std::size_t other : {k - 1, k + 1}) {
                if (other < frames.size()) {
                    EXPECT_LT(e, mean_error(back[k], frames[other])) << "frame " << k;
                }
            }
        }
    }
}

// The other containers of video.hpp's table, with their default encoders.
TEST_F(VideoTest, MovAndWebmRoundTrip) {
    const auto frames = make_frames(48, 32, 3, 8, false);
    for (const auto& [name, codec] : {std::pair{"a.mov", "libx264"}, std::pair{"a.webm", "libvpx-vp9"}}) {
        SCOPED_TRACE(name);
        {
            VideoWriter writer(dir / name, 48, 32, 3);
            EXPECT_EQ(writer.codec(), codec);
            for (const auto& f : frames) writer.write(f);
            writer.commit();
        }
        const auto back = read_video(dir / name, 3);
        ASSERT_EQ(back.size(), frames.size());
        for (std::size_t k = 0; k < frames.size(); ++k) EXPECT_LT(mean_error(back[k], frames[k]), 3.0) << "frame " << k;
    }
}

TEST_F(VideoTest, OptionsChooseTheEncoderAndTheRate) {
    const auto frames = make_frames(32, 32, 3, 6, false);
    io::VideoWriterOptions options;
    options.codec = "mpeg4";
    options.fps = 10;
    {
        VideoWriter writer(dir / "m.mp4", 32, 32, 3, options);
        EXPECT_EQ(writer.codec(), "mpeg4");
        for (const auto& f : frames) writer.write(f);
        writer.commit();
    }
    VideoReader reader(dir / "m.mp4", 3);
    EXPECT_EQ(reader.info().codec, "mpeg4");
    EXPECT_NEAR(reader.info().fps, 10.0, 1e-9);
    EXPECT_EQ(read_video(dir / "m.mp4", 3).size(), 6u);
}

TEST_F(VideoTest, ReaderAndWriterMove) {
    const auto frames = make_frames(16, 16, 1, 3, true);
    VideoWriter first(dir / "a.mkv", 16, 16, 1);
    first.write(frames[0]);
    VideoWriter second(std::move(first));
    second.write(frames[1]);
    VideoWriter third(dir / "unused.mkv", 16, 16, 1);
    third = std::move(second);  // the unused writer's temporary goes
    third.write(frames[2]);
    third.commit();
    EXPECT_EQ(listing(), (std::set<std::string>{"a.mkv"}));
    VideoReader r(dir / "a.mkv", 1);
    Image f;
    ASSERT_TRUE(r.read(f));
    VideoReader moved(std::move(r));
    EXPECT_EQ(moved.frames_read(), 1);
    EXPECT_EQ(moved.info().codec, "ffv1");
    int more = 0;
    while (moved.read(f)) EXPECT_EQ(f.bytes, frames[static_cast<std::size_t>(++more)].bytes);
    EXPECT_EQ(more, 2);
}

// ---------------------------------------------------------------------------------------------
// Files that are not videos: tessera::Error naming the file, never a crash.

TEST_F(VideoTest, NonVideosAreRefusedWithTheirName) {
    Image png = make_frame(20, 10, 3, 0, true);
    io::write_image(dir / "picture.png", png);
    std::mt19937 rng(3);
    std::string noise(50000, '\0');
    for (auto& ch : noise) ch = static_cast<char>(rng());
    write_bytes(dir / "noise.mp4", noise);
    write_bytes(dir / "empty.mkv", "");
    // An mp4 cut after 2000 bytes: libx264's mp4 has its index (moov) at the end.
    write_video(dir / "whole.mp4", make_frames(160, 120, 3, 20, true));
    const std::string whole = read_bytes(dir / "whole.mp4");
    ASSERT_GT(whole.size(), 8000u);
    write_bytes(dir / "cut.mp4", whole.substr(0, 2000));
    fs::create_directories(dir / "folder.mp4");

    for (const char* name : {"picture.png", "noise.mp4", "empty.mkv", "cut.mp4", "missing.mp4", "folder.mp4"}) {
        const fs::path path = dir / name;
        const std::string what = error_of([&] {
            VideoReader reader(path, 1);
            Image f;
            while (reader.read(f)) {
            }
        });
        EXPECT_NE(what.find("video " + path.string() + ": "), std::string::npos) << name << ": " << what;
    }
    EXPECT_NE(error_of([&] { VideoReader r(dir / "missing.mp4", 1); }).find("No such file"), std::string::npos);
}

TEST_F(VideoTest, ReaderChannelsMustBeOneOrThree) {
    write_video(dir / "a.mkv", make_frames(16, 16, 1, 2, true));
    for (int c : {0, 2, 4}) EXPECT_NE(error_of([&] { VideoReader r(dir / "a.mkv", c); }).find("channels"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Writers refuse bad parameters before creating anything, and never leave a partial file.

TEST_F(VideoTest, WriterRefusesBadParametersAndCreatesNothing) {
    const fs::path mkv = dir / "v.mkv";
    struct Refused {
        std::function<void()> make;
        const char* says;
    };
    io::VideoWriterOptions unknown_codec, zero_fps, bad_crf;
    unknown_codec.codec = "no-such-codec";
    zero_fps.fps = 0;
    bad_crf.crf = -1;
    const std::vector<Refused> cases = {
        {[&] { VideoWriter w(dir / "v.xyz", 16, 16, 1); }, "unknown video extension"},
        {[&] { VideoWriter w(dir / "v.png", 16, 16, 1); }, "unknown video extension"},
        {[&] { VideoWriter w(dir / "noext", 16, 16, 1); }, "unknown video extension"},
        {[&] { VideoWriter w(dir / "missing" / "v.mkv", 16, 16, 1); }, "does not exist"},
        {[&] { VideoWriter w(mkv, 16, 16, 2); }, "channels"},
        {[&] { VideoWriter w(mkv, 0, 16, 1); }, "frame size"},
        {[&] { VideoWriter w(mkv, 16, -4, 3); }, "frame size"},
        {[&] { VideoWriter w(dir / "odd.mp4", 17, 16, 3); }, "even sides"},
        {[&] { VideoWriter w(mkv, 16, 16, 1, unknown_codec); }, "no-such-codec"},
        {[&] { VideoWriter w(mkv, 16, 16, 1, zero_fps); }, "fps"},
        {[&] { VideoWriter w(mkv, 16, 16, 1, bad_crf); }, "crf"},
    };
    for (const auto& c : cases) {
        const std::string what = error_of(c.make);
        EXPECT_NE(what.find("video " + dir.string()), std::string::npos) << what;
        EXPECT_NE(what.find(c.says), std::string::npos) << what;
    }
    EXPECT_TRUE(listing().empty());
}

TEST_F(VideoTest, UncommittedWriterLeavesNothingAndKeepsTheTarget) {
    const auto frames = make_frames(32, 24, 3, 4, true);
    {
        VideoWriter w(dir / "new.mp4", 32, 24, 3);
        for (const auto& f : frames) w.write(f);
        EXPECT_EQ(listing().size(), 1u);  // its temporary
    }
    EXPECT_TRUE(listing().empty());
    write_bytes(dir / "old.mkv", "previous result");
    {
        VideoWriter w(dir / "old.mkv", 32, 24, 3);
        w.write(frames[0]);
    }
    EXPECT_EQ(listing(), (std::set<std::string>{"old.mkv"}));
    EXPECT_EQ(read_bytes(dir / "old.mkv"), "previous result");
    // Committed, it replaces the target.
    write_video(dir / "old.mkv", frames);
    EXPECT_EQ(listing(), (std::set<std::string>{"old.mkv"}));
    EXPECT_EQ(read_video(dir / "old.mkv", 3).size(), frames.size());
}

TEST_F(VideoTest, FramesThatDoNotFitAreRefusedWithTheirNumber) {
    const fs::path path = dir / "v.mkv";
    VideoWriter w(path, 32, 24, 3);
    w.write(make_frame(32, 24, 3, 0, true));
    w.write(make_frame(32, 24, 3, 1, true));
    const std::string prefix = "video " + path.string() + ": frame 2: ";
    EXPECT_NE(error_of([&] { w.write(make_frame(24, 32, 3, 2, true)); }).find(prefix), std::string::npos);
    EXPECT_NE(error_of([&] { w.write(make_frame(32, 24, 1, 2, true)); }).find(prefix), std::string::npos);
    Image wide = make_frame(32, 24, 3, 2, true);
    wide.info.pixel = io::PixelType::u16;
    EXPECT_NE(error_of([&] { w.write(wide); }).find(prefix), std::string::npos);
    Image short_of_bytes = make_frame(32, 24, 3, 2, true);
    short_of_bytes.bytes.pop_back();
    EXPECT_NE(error_of([&] { w.write(short_of_bytes); }).find("bytes"), std::string::npos);
    // Refused frames are not written: the video goes on.
    w.write(make_frame(32, 24, 3, 2, true));
    EXPECT_EQ(w.frames_written(), 3);
    w.commit();
    EXPECT_NE(error_of([&] { w.write(make_frame(32, 24, 3, 3, true)); }).find("committed"), std::string::npos);
    EXPECT_NE(error_of([&] { w.commit(); }).find("committed"), std::string::npos);
    EXPECT_EQ(read_video(path, 3).size(), 3u);
    EXPECT_EQ(listing(), (std::set<std::string>{"v.mkv"}));
}
