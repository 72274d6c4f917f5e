// Line charts as PNG, read back: the picture's size, series colours where the documented
// mapping (plot_frame) puts their points, error bars and their caps, the dashed marker line,
// non-finite points skipped, and the errors (mismatched lengths, no panels, unwritable path).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>

#include <tessera/core/error.hpp>
#include <tessera/io/image.hpp>
#include <tessera/io/plot.hpp>

using namespace tessera;
namespace fs = std::filesystem;

namespace {

constexpr unsigned red = 0xd62728, blue = 0x1f77b4, green = 0x2ca02c;
constexpr int pw = 320, ph = 240;

class PlotTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("tessera_plot_test_" + std::to_string(::getpid()) + "_" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    fs::path dir;
};

unsigned pixel(const io::Image& im, long x, long y) {
    const auto* p = &im.bytes[static_cast<std::size_t>((y * im.info.width + x) * 3)];
    return (unsigned(p[0]) << 16) | (unsigned(p[1]) << 8) | unsigned(p[2]);
}

// Whether a pixel within one of (x, y) is mostly `rgb`'s hue: an anti-aliased line blends its
// colour with the background by coverage, so only its dominant channel is certain.
bool tinted_near(const io::Image& im, long x, long y, unsigned rgb) {
    const int strong = rgb == 0x1f77b4 ? 0 : 16;  // blue: channel b over r; red: r over g
    const int weak = rgb == 0x1f77b4 ? 16 : 8;
    for (long dy = -1; dy <= 1; ++dy)
        for (long dx = -1; dx <= 1; ++dx) {
            const unsigned c = pixel(im, x + dx, y + dy);
            if (int((c >> strong) & 0xff) - int((c >> weak) & 0xff) > 60) return true;
        }
    return false;
}

// Panel 0: markers only; panel 1: error bars only; panel 2: a line with markers, a marker line.
std::vector<io::PlotPanel> panels() {
    io::PlotPanel a;
    a.title = "markers";
    a.x_label = "x";
    a.y_label = "y";
    a.series.push_back({"points", {1, 2, 3}, {2, 3, 5}, {}, false, true, red});
    io::PlotPanel b;
    b.title = "bars";
    b.series.push_back({"", {1, 2, 3}, {2, 3, 5}, {0.5, 1.0, 0.5}, false, false, green});
    io::PlotPanel c;
    c.series.push_back({"line", {0, 1, 2}, {0, 1, 0}, {}, true, true, blue});
    c.has_x_marker = true;
    c.x_marker = 1.5;
    c.x_marker_label = "Tc";
    return {a, b, c};
}

TEST_F(PlotTest, SizeAndColoursWhereThePointsMap) {
    const auto path = dir / "chart.png";
    const auto p = panels();
    io::write_plot_png(path, p, 2, pw, ph);
    const auto im = io::read_image(path);
    EXPECT_EQ(im.info.width, 2 * pw);  // two columns, two rows
    EXPECT_EQ(im.info.height, 2 * ph);
    ASSERT_EQ(im.info.channels, 3);

    const auto f = io::plot_frame(p[0], pw, ph);
    EXPECT_LT(f.x_min, 1.0);  // the data with a margin
    EXPECT_GT(f.x_max, 3.0);
    EXPECT_LT(f.y_min, 2.0);
    EXPECT_GT(f.y_max, 5.0);
    for (int i = 0; i < 3; ++i) {
        const double x = p[0].series[0].x[std::size_t(i)], y = p[0].series[0].y[std::size_t(i)];
        EXPECT_EQ(pixel(im, std::lround(f.pixel_x(x)), std::lround(f.pixel_y(y))), red) << "point " << i;
    }
    // Panel 2 sits in row 1, column 0: its points and the middle of its line.
    const auto fc = io::plot_frame(p[2], pw, ph);
    EXPECT_EQ(pixel(im, std::lround(fc.pixel_x(1)), ph + std::lround(fc.pixel_y(1))), blue);
    EXPECT_TRUE(tinted_near(im, std::lround(fc.pixel_x(0.5)), ph + std::lround(fc.pixel_y(0.5)), blue));
    // Nothing of the red series leaks into the other panels, and text was drawn in the title.
    long dark = 0;
    for (long y = 0; y < 30; ++y)
        for (long x = 0; x < pw; ++x) dark += pixel(im, x, y) == 0;
    EXPECT_GT(dark, 20);
}

TEST_F(PlotTest, ErrorBarsExtendVerticallyWithCaps) {
    const auto path = dir / "bars.png";
    const auto p = panels();
    io::write_plot_png(path, p, 2, pw, ph);
    const auto im = io::read_image(path);
    const auto f = io::plot_frame(p[1], pw, ph);
    const long x = pw + std::lround(f.pixel_x(2));  // column 1
    auto row = [&](double y) { return std::lround(f.pixel_y(y)); };
    // The point (2, 3) with half-height 1: the bar covers [2, 4], the caps are 3 px wide.
    for (double y : {2.05, 2.5, 3.0, 3.5, 3.95}) EXPECT_EQ(pixel(im, x, row(y)), green) << "y " << y;
    EXPECT_NE(pixel(im, x, row(4.3)), green);
    EXPECT_NE(pixel(im, x, row(1.7)), green);
    EXPECT_NE(pixel(im, x + 2, row(3.0)), green);  // a bar, not a box
    for (int dx : {-3, 3}) {
        EXPECT_EQ(pixel(im, x + dx, row(4.0)), green);
        EXPECT_EQ(pixel(im, x + dx, row(2.0)), green);
    }
    // Both ends of the range include the bars: 5 + 0.5 and 2 - 0.5.
    EXPECT_GT(f.y_max, 5.5);
    EXPECT_LT(f.y_min, 1.5);
}

TEST_F(PlotTest, DashedMarkerLine) {
    const auto path = dir / "marker.png";
    const auto p = panels();
    io::write_plot_png(path, p, 2, pw, ph);
    const auto im = io::read_image(path);
    const auto f = io::plot_frame(p[2], pw, ph);
    EXPECT_LT(f.x_min, 0.0);
    const long x = std::lround(f.pixel_x(1.5));
    // Runs of dark pixels separated by gaps down the plot area (away from the blue line).
    int runs = 0;
    bool in_run = false;
    for (long y = ph + f.top + 20; y < ph + f.bottom; ++y) {
        const unsigned c = pixel(im, x, y);
        const bool dark = ((c >> 16) & 0xff) < 0x80 && ((c >> 8) & 0xff) < 0x80 && (c & 0xff) < 0x80;
        runs += dark && !in_run;
        in_run = dark;
    }
    EXPECT_GE(runs, 5);
}

TEST_F(PlotTest, NonFinitePointsAreSkipped) {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    io::PlotPanel clean, dirty;
    clean.series.push_back({"a", {1, 2, 3}, {2, 3, 5}, {0.1, 0.1, 0.1}, true, true, red});
    dirty.series.push_back({"a", {1, nan, 2, 3, 50}, {2, 100, 3, 5, inf}, {0.1, 0.1, 0.1, 0.1, 0.1}, true, true, red});
    dirty.series[0].y_error[1] = nan;
    const auto fc = io::plot_frame(clean, pw, ph), fd = io::plot_frame(dirty, pw, ph);
    EXPECT_EQ(fc.x_min, fd.x_min);
    EXPECT_EQ(fc.x_max, fd.x_max);
    EXPECT_EQ(fc.y_min, fd.y_min);
    EXPECT_EQ(fc.y_max, fd.y_max);
    const auto a = dir / "clean.png", b = dir / "dirty.png";
    io::write_plot_png(a, {clean}, 1, pw, ph);
    io::write_plot_png(b, {dirty}, 1, pw, ph);
    const auto ia = io::read_image(a), ib = io::read_image(b);
    EXPECT_EQ(ia.info.width, pw);
    EXPECT_EQ(ia.info.height, ph);
    // The finite points are drawn as before; the line breaks at the skipped point, so the
    // segment from x = 1 to x = 2 is missing in the dirty chart.
    EXPECT_EQ(pixel(ib, std::lround(fd.pixel_x(3)), std::lround(fd.pixel_y(5))), red);
    EXPECT_TRUE(tinted_near(ia, std::lround(fc.pixel_x(1.5)), std::lround(fc.pixel_y(2.5)), red));
    EXPECT_FALSE(tinted_near(ib, std::lround(fd.pixel_x(1.5)), std::lround(fd.pixel_y(2.5)), red));
    EXPECT_TRUE(tinted_near(ib, std::lround(fd.pixel_x(2.5)), std::lround(fd.pixel_y(4)), red));
}

TEST_F(PlotTest, Errors) {
    const auto path = dir / "bad.png";
    auto message = [](auto&& f) {
        try {
            f();
        } catch (const tessera::Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    io::PlotPanel p;
    p.series.push_back({"s", {1, 2, 3}, {1, 2}, {}, true, true, red});
    EXPECT_NE(message([&] { io::write_plot_png(path, {p}); }).find(path.string()), std::string::npos);
    EXPECT_NE(message([&] { io::write_plot_png(path, {p}); }).find("x has 3 values, y 2"), std::string::npos);
    p.series[0].y = {1, 2, 3};
    p.series[0].y_error = {1};
    EXPECT_NE(message([&] { io::write_plot_png(path, {p}); }).find("y_error 1"), std::string::npos);
    EXPECT_NE(message([&] { io::plot_frame(p, pw, ph); }).find("y_error 1"), std::string::npos);
    EXPECT_NE(message([&] { io::write_plot_png(path, {}); }).find("no panels"), std::string::npos);
    p.series[0].y_error.clear();
    EXPECT_NE(message([&] { io::write_plot_png(path, {p}, 0); }).find("columns"), std::string::npos);
    EXPECT_NE(message([&] { io::write_plot_png(path, {p}, 1, 100, 50); }).find("at least 160 x 120"),
              std::string::npos);
    EXPECT_FALSE(fs::exists(path));
    // An unwritable path: a folder that does not exist. Nothing appears, no temporary either.
    const auto missing = dir / "no_such_folder" / "chart.png";
    const auto m = message([&] { io::write_plot_png(missing, {p}); });
    EXPECT_NE(m.find(missing.string()), std::string::npos) << m;
    EXPECT_TRUE(fs::is_empty(dir));
}

}  // namespace
