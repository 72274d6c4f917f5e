// Line charts as PNG: an RGB canvas with anti-aliased lines (Wu's coverage per column),
// markers, error bars, axes with 1-2-5 ticks, a legend and text from a built-in 5x7 font.
#include "tessera/io/plot.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/io/png.hpp"

namespace tessera::io {

namespace {

// The classic 5x7 LCD font for ASCII 32..126: five columns per glyph, bit r of a column is row
// r (row 0 at the top). A glyph takes a 6 x 8 cell (one column and one row of spacing).
constexpr std::array<std::array<std::uint8_t, 5>, 95> font5x7{{
    {0x00, 0x00, 0x00, 0x00, 0x00}, {0x00, 0x00, 0x5F, 0x00, 0x00}, {0x00, 0x07, 0x00, 0x07, 0x00},  //   ! "
    {0x14, 0x7F, 0x14, 0x7F, 0x14}, {0x24, 0x2A, 0x7F, 0x2A, 0x12}, {0x23, 0x13, 0x08, 0x64, 0x62},  // # $ %
    {0x36, 0x49, 0x55, 0x22, 0x50}, {0x00, 0x05, 0x03, 0x00, 0x00}, {0x00, 0x1C, 0x22, 0x41, 0x00},  // & ' (
    {0x00, 0x41, 0x22, 0x1C, 0x00}, {0x08, 0x2A, 0x1C, 0x2A, 0x08}, {0x08, 0x08, 0x3E, 0x08, 0x08},  // ) * +
    {0x00, 0x50, 0x30, 0x00, 0x00}, {0x08, 0x08, 0x08, 0x08, 0x08}, {0x00, 0x60, 0x60, 0x00, 0x00},  // , - .
    {0x20, 0x10, 0x08, 0x04, 0x02}, {0x3E, 0x51, 0x49, 0x45, 0x3E}, {0x00, 0x42, 0x7F, 0x40, 0x00},  // / 0 1
    {0x42, 0x61, 0x51, 0x49, 0x46}, {0x21, 0x41, 0x45, 0x4B, 0x31}, {0x18, 0x14, 0x12, 0x7F, 0x10},  // 2 3 4
    {0x27, 0x45, 0x45, 0x45, 0x39}, {0x3C, 0x4A, 0x49, 0x49, 0x30}, {0x01, 0x71, 0x09, 0x05, 0x03},  // 5 6 7
    {0x36, 0x49, 0x49, 0x49, 0x36}, {0x06, 0x49, 0x49, 0x29, 0x1E}, {0x00, 0x36, 0x36, 0x00, 0x00},  // 8 9 :
    {0x00, 0x56, 0x36, 0x00, 0x00}, {0x08, 0x14, 0x22, 0x41, 0x00}, {0x14, 0x14, 0x14, 0x14, 0x14},  // ; < =
    {0x00, 0x41, 0x22, 0x14, 0x08}, {0x02, 0x01, 0x51, 0x09, 0x06}, {0x32, 0x49, 0x79, 0x41, 0x3E},  // > ? @
    {0x7E, 0x11, 0x11, 0x11, 0x7E}, {0x7F, 0x49, 0x49, 0x49, 0x36}, {0x3E, 0x41, 0x41, 0x41, 0x22},  // A B C
    {0x7F, 0x41, 0x41, 0x22, 0x1C}, {0x7F, 0x49, 0x49, 0x49, 0x41}, {0x7F, 0x09, 0x09, 0x01, 0x01},  // D E F
    {0x3E, 0x41, 0x41, 0x51, 0x32}, {0x7F, 0x08, 0x08, 0x08, 0x7F}, {0x00, 0x41, 0x7F, 0x41, 0x00},  // G H I
    {0x20, 0x40, 0x41, 0x3F, 0x01}, {0x7F, 0x08, 0x14, 0x22, 0x41}, {0x7F, 0x40, 0x40, 0x40, 0x40},  // J K L
    {0x7F, 0x02, 0x04, 0x02, 0x7F}, {0x7F, 0x04, 0x08, 0x10, 0x7F}, {0x3E, 0x41, 0x41, 0x41, 0x3E},  // M N O
    {0x7F, 0x09, 0x09, 0x09, 0x06}, {0x3E, 0x41, 0x51, 0x21, 0x5E}, {0x7F, 0x09, 0x19, 0x29, 0x46},  // P Q R
    {0x46, 0x49, 0x49, 0x49, 0x31}, {0x01, 0x01, 0x7F, 0x01, 0x01}, {0x3F, 0x40, 0x40, 0x40, 0x3F},  // S T U
    {0x1F, 0x20, 0x40, 0x20, 0x1F}, {0x7F, 0x20, 0x18, 0x20, 0x7F}, {0x63, 0x14, 0x08, 0x14, 0x63},  // V W X
    {0x03, 0x04, 0x78, 0x04, 0x03}, {0x61, 0x51, 0x49, 0x45, 0x43}, {0x00, 0x7F, 0x41, 0x41, 0x00},  // Y Z [
    {0x02, 0x04, 0x08, 0x10, 0x20}, {0x00, 0x41, 0x41, 0x7F, 0x00}, {0x04, 0x02, 0x01, 0x02, 0x04},  // \ ] ^
    {0x40, 0x40, 0x40, 0x40, 0x40}, {0x00, 0x01, 0x02, 0x04, 0x00}, {0x20, 0x54, 0x54, 0x54, 0x78},  // _ ` a
    {0x7F, 0x48, 0x44, 0x44, 0x38}, {0x38, 0x44, 0x44, 0x44, 0x20}, {0x38, 0x44, 0x44, 0x48, 0x7F},  // b c d
    {0x38, 0x54, 0x54, 0x54, 0x18}, {0x08, 0x7E, 0x09, 0x01, 0x02}, {0x0C, 0x52, 0x52, 0x52, 0x3E},  // e f g
    {0x7F, 0x08, 0x04, 0x04, 0x78}, {0x00, 0x44, 0x7D, 0x40, 0x00}, {0x20, 0x40, 0x44, 0x3D, 0x00},  // h i j
    {0x7F, 0x10, 0x28, 0x44, 0x00}, {0x00, 0x41, 0x7F, 0x40, 0x00}, {0x7C, 0x04, 0x18, 0x04, 0x78},  // k l m
    {0x7C, 0x08, 0x04, 0x04, 0x78}, {0x38, 0x44, 0x44, 0x44, 0x38}, {0x7C, 0x14, 0x14, 0x14, 0x08},  // n o p
    {0x08, 0x14, 0x14, 0x18, 0x7C}, {0x7C, 0x08, 0x04, 0x04, 0x08}, {0x48, 0x54, 0x54, 0x54, 0x20},  // q r s
    {0x04, 0x3F, 0x44, 0x40, 0x20}, {0x3C, 0x40, 0x40, 0x20, 0x7C}, {0x1C, 0x20, 0x40, 0x20, 0x1C},  // t u v
    {0x3C, 0x40, 0x30, 0x40, 0x3C}, {0x44, 0x28, 0x10, 0x28, 0x44}, {0x0C, 0x50, 0x50, 0x50, 0x3C},  // w x y
    {0x44, 0x64, 0x54, 0x4C, 0x44}, {0x00, 0x08, 0x36, 0x41, 0x00}, {0x00, 0x00, 0x7F, 0x00, 0x00},  // z { |
    {0x00, 0x41, 0x36, 0x08, 0x00}, {0x08, 0x04, 0x08, 0x10, 0x08},                                  // } ~
}};
constexpr int glyph_advance = 6, glyph_height = 8;

constexpr unsigned black = 0x000000, axis_gray = 0x404040, grid_gray = 0xe6e6e6, legend_border = 0x999999,
                   marker_line = 0x555555, white = 0xffffff;
constexpr int min_panel_width = 160, min_panel_height = 120;
constexpr int tick_length = 4, marker_radius = 3, cap_half_width = 3, title_scale = 2;
constexpr double series_line_width = 1.6;

// An RGB picture with a clip rectangle and a drawing origin (the current panel's corner).
class Canvas {
public:
    Canvas(int width, int height) : w_(width), h_(height), rgb_(std::size_t(width) * std::size_t(height) * 3, 0xff) {}

    void set_panel(int ox, int oy, int pw, int ph) { ox_ = ox, oy_ = oy, cx1_ = pw, cy1_ = ph; }
    const unsigned char* data() const noexcept { return rgb_.data(); }

    // Pixel (x, y) of the panel blended with `rgb` at coverage `alpha` (1: replaced).
    void plot(int x, int y, unsigned rgb, double alpha = 1.0) {
        if (x < 0 || y < 0 || x >= cx1_ || y >= cy1_ || alpha <= 0) return;
        x += ox_, y += oy_;
        if (x >= w_ || y >= h_) return;
        unsigned char* p = &rgb_[(std::size_t(y) * std::size_t(w_) + std::size_t(x)) * 3];
        const int c[3] = {int(rgb >> 16) & 0xff, int(rgb >> 8) & 0xff, int(rgb) & 0xff};
        for (int k = 0; k < 3; ++k)
            p[k] = static_cast<unsigned char>(alpha >= 1 ? c[k] : std::lround(p[k] + (c[k] - p[k]) * alpha));
    }
    void fill(int x0, int y0, int x1, int y1, unsigned rgb) {  // inclusive corners
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) plot(x, y, rgb);
    }
    void hline(int x0, int x1, int y, unsigned rgb) { fill(std::min(x0, x1), y, std::max(x0, x1), y, rgb); }
    void vline(int x, int y0, int y1, unsigned rgb) { fill(x, std::min(y0, y1), x, std::max(y0, y1), rgb); }

    // A line of `width` pixels between two points (pixel centres at integers): along the major
    // axis, each column (or row) is covered over [c - h, c + h] around the line's centre c, h
    // the half-width measured along the minor axis; partly covered pixels are blended by their
    // coverage. With width 1 this is Wu's anti-aliased line.
    void line(double x0, double y0, double x1, double y1, unsigned rgb, double width) {
        const bool steep = std::abs(y1 - y0) > std::abs(x1 - x0);
        if (steep) std::swap(x0, y0), std::swap(x1, y1);
        if (x0 > x1) std::swap(x0, x1), std::swap(y0, y1);
        const double grad = x1 > x0 ? (y1 - y0) / (x1 - x0) : 0.0;
        const double half = 0.5 * width * std::sqrt(1.0 + grad * grad);
        for (long u = std::lround(x0); u <= std::lround(x1); ++u) {
            const double c = y0 + grad * (static_cast<double>(u) - x0), lo = c - half, hi = c + half;
            for (long v = std::lround(std::floor(lo + 0.5)); v <= std::lround(std::ceil(hi - 0.5)); ++v) {
                const double cover = std::min(hi, v + 0.5) - std::max(lo, v - 0.5);
                if (steep) plot(int(v), int(u), rgb, cover); else plot(int(u), int(v), rgb, cover);
            }
        }
    }
    void disc(int x, int y, int radius, unsigned rgb) {
        const int r2 = radius * radius + radius;  // rounder than r^2 for small radii
        for (int dy = -radius; dy <= radius; ++dy)
            for (int dx = -radius; dx <= radius; ++dx)
                if (dx * dx + dy * dy <= r2) plot(x + dx, y + dy, rgb);
    }

    // Text from the 5x7 font, each font pixel a scale x scale block. Horizontal: (x, y) is the
    // top-left corner. Vertical: turned a quarter counter-clockwise (read bottom to top), (x, y)
    // the bottom-left corner.
    void text(int x, int y, const std::string& s, unsigned rgb, int scale = 1, bool vertical = false) {
        for (std::size_t i = 0; i < s.size(); ++i) {
            const int ch = static_cast<unsigned char>(s[i]);
            const auto& glyph = font5x7[std::size_t(ch >= 32 && ch <= 126 ? ch - 32 : '?' - 32)];
            for (int col = 0; col < 5; ++col)
                for (int row = 0; row < 7; ++row) {
                    if (!((glyph[std::size_t(col)] >> row) & 1)) continue;
                    const int along = (int(i) * glyph_advance + col) * scale, across = row * scale;
                    if (vertical) fill(x + across, y - along - scale + 1, x + across + scale - 1, y - along, rgb);
                    else fill(x + along, y + across, x + along + scale - 1, y + across + scale - 1, rgb);
                }
        }
    }

private:
    int w_, h_;
    std::vector<unsigned char> rgb_;
    int ox_ = 0, oy_ = 0, cx1_ = 0, cy1_ = 0;
};

int text_width(const std::string& s, int scale = 1) {
    return s.empty() ? 0 : (static_cast<int>(s.size()) * glyph_advance - 1) * scale;
}

bool usable(const PlotSeries& s, std::size_t i) { return std::isfinite(s.x[i]) && std::isfinite(s.y[i]); }
double error_of(const PlotSeries& s, std::size_t i) {
    const double e = s.y_error.empty() ? 0.0 : s.y_error[i];
    return std::isfinite(e) && e > 0 ? e : 0.0;
}

void check_panel(const PlotPanel& panel, std::size_t index, const std::string& where) {
    for (const auto& s : panel.series) {
        TESSERA_CHECK(s.x.size() == s.y.size() && (s.y_error.empty() || s.y_error.size() == s.y.size()),
                      where << ": panel " << index << " series '" << s.label << "': x has " << s.x.size()
                            << " values, y " << s.y.size() << ", y_error " << s.y_error.size()
                            << " (y_error must be empty or as long as y)");
    }
}

// The range [lo, hi] widened by 5% of its span on each side; a single value gets a span of
// 10% of its size (1 for zero); nothing at all gives [0, 1].
std::pair<double, double> padded(double lo, double hi) {
    if (!(lo <= hi)) return {0.0, 1.0};
    if (hi - lo <= 1e-12 * std::max(std::abs(lo), std::abs(hi))) {
        const double half = lo != 0 ? 0.05 * std::abs(lo) : 0.5;
        lo -= half, hi += half;
    }
    const double pad = 0.05 * (hi - lo);
    return {lo - pad, hi + pad};
}

// Ticks at multiples of 1, 2 or 5 x 10^k, about five over the range, with labels whose
// decimals show the step.
struct Ticks {
    std::vector<double> values;
    std::vector<std::string> labels;
};

Ticks nice_ticks(double lo, double hi) {
    const double raw = (hi - lo) / 5.0;
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / p;
    const double step = (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * p;
    const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
    const bool general = decimals > 6 || std::max(std::abs(lo), std::abs(hi)) >= 1e6;
    Ticks t;
    for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step; k += 1.0) {
        double v = k * step;
        if (std::abs(v) < 1e-9 * step) v = 0.0;  // never "-0.0"
        char buf[32];
        if (general) std::snprintf(buf, sizeof buf, "%.3g", v);
        else std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
        t.values.push_back(v);
        t.labels.emplace_back(buf);
    }
    return t;
}

struct Layout {
    PlotFrame frame;
    Ticks x_ticks, y_ticks;
};

Layout layout(const PlotPanel& panel, int pw, int ph) {
    double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
    for (const auto& s : panel.series)
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            if (!usable(s, i)) continue;
            const double e = error_of(s, i);
            x_lo = std::min(x_lo, s.x[i]), x_hi = std::max(x_hi, s.x[i]);
            y_lo = std::min(y_lo, s.y[i] - e), y_hi = std::max(y_hi, s.y[i] + e);
        }
    if (panel.has_x_marker && std::isfinite(panel.x_marker))
        x_lo = std::min(x_lo, panel.x_marker), x_hi = std::max(x_hi, panel.x_marker);
    Layout l;
    auto& f = l.frame;
    std::tie(f.x_min, f.x_max) = padded(x_lo, x_hi);
    std::tie(f.y_min, f.y_max) = padded(y_lo, y_hi);
    l.x_ticks = nice_ticks(f.x_min, f.x_max);
    l.y_ticks = nice_ticks(f.y_min, f.y_max);
    int label_width = 0;
    for (const auto& s : l.y_ticks.labels) label_width = std::max(label_width, text_width(s));
    // Left to right: 4 px, the y label turned upright (7 px), 6 px, tick labels, 3 px, ticks.
    f.left = 4 + (panel.y_label.empty() ? 0 : glyph_height + 5) + label_width + 3 + tick_length;
    f.right = pw - 14;
    f.top = panel.title.empty() ? 12 : 8 + glyph_height * title_scale + 6;
    // Below the axis: ticks, 3 px, tick labels, 6 px, the x label, 6 px.
    f.bottom = ph - 1 - (tick_length + 3 + glyph_height + (panel.x_label.empty() ? 4 : 6 + glyph_height + 4));
    return l;
}

std::array<int, 4> draw_legend(Canvas& c, const PlotPanel& panel, const Layout& l,
                               const std::vector<const PlotSeries*>& entries, int label_width);

void draw_panel(Canvas& c, const PlotPanel& panel, const Layout& l) {
    const auto& f = l.frame;
    auto px = [&](double x) { return static_cast<int>(std::lround(f.pixel_x(x))); };
    auto py = [&](double y) { return static_cast<int>(std::lround(f.pixel_y(y))); };

    // Grid, then the marker line, then the series (bars, lines, markers), then the axes on top.
    for (double v : l.x_ticks.values) c.vline(px(v), f.top + 1, f.bottom - 1, grid_gray);
    for (double v : l.y_ticks.values) c.hline(f.left + 1, f.right - 1, py(v), grid_gray);
    if (panel.has_x_marker && std::isfinite(panel.x_marker)) {
        const int x = px(panel.x_marker);
        for (int y = f.top + 1; y < f.bottom; ++y)
            if ((y - f.top - 1) % 10 < 6) c.plot(x, y, marker_line);
    }
    for (const auto& s : panel.series) {
        const std::size_t n = s.x.size();
        for (std::size_t i = 0; i < n; ++i) {
            const double e = error_of(s, i);
            if (!usable(s, i) || e == 0) continue;
            const int x = px(s.x[i]), y0 = py(s.y[i] - e), y1 = py(s.y[i] + e);
            c.vline(x, y0, y1, s.rgb);
            c.hline(x - cap_half_width, x + cap_half_width, y0, s.rgb);
            c.hline(x - cap_half_width, x + cap_half_width, y1, s.rgb);
        }
        if (s.line)
            for (std::size_t i = 1; i < n; ++i)
                if (usable(s, i - 1) && usable(s, i))
                    c.line(f.pixel_x(s.x[i - 1]), f.pixel_y(s.y[i - 1]), f.pixel_x(s.x[i]), f.pixel_y(s.y[i]), s.rgb,
                           series_line_width);
        if (s.markers)
            for (std::size_t i = 0; i < n; ++i)
                if (usable(s, i)) c.disc(px(s.x[i]), py(s.y[i]), marker_radius, s.rgb);
    }

    // Axes: the frame, ticks outside it, tick labels, axis labels, title.
    c.hline(f.left, f.right, f.top, axis_gray);
    c.hline(f.left, f.right, f.bottom, axis_gray);
    c.vline(f.left, f.top, f.bottom, axis_gray);
    c.vline(f.right, f.top, f.bottom, axis_gray);
    const int x_label_row = f.bottom + tick_length + 3;
    for (std::size_t k = 0; k < l.x_ticks.values.size(); ++k) {
        const int x = px(l.x_ticks.values[k]);
        c.vline(x, f.bottom + 1, f.bottom + tick_length, axis_gray);
        c.text(x - text_width(l.x_ticks.labels[k]) / 2, x_label_row, l.x_ticks.labels[k], black);
    }
    for (std::size_t k = 0; k < l.y_ticks.values.size(); ++k) {
        const int y = py(l.y_ticks.values[k]);
        c.hline(f.left - tick_length, f.left - 1, y, axis_gray);
        c.text(f.left - tick_length - 3 - text_width(l.y_ticks.labels[k]), y - 3, l.y_ticks.labels[k], black);
    }
    if (!panel.x_label.empty())
        c.text((f.left + f.right - text_width(panel.x_label)) / 2, x_label_row + glyph_height + 6, panel.x_label,
               black);
    if (!panel.y_label.empty())
        c.text(4, (f.top + f.bottom + text_width(panel.y_label)) / 2, panel.y_label, black, 1, true);
    if (!panel.title.empty())
        c.text((f.left + f.right - text_width(panel.title, title_scale)) / 2, 8, panel.title, black, title_scale);

    // Legend: in the corner of the plot area that hides the fewest points.
    std::vector<const PlotSeries*> entries;
    int label_width = 0;
    for (const auto& s : panel.series)
        if (!s.label.empty()) entries.push_back(&s), label_width = std::max(label_width, text_width(s.label));
    const auto legend = draw_legend(c, panel, l, entries, label_width);

    // The marker's label last, on white so that no series hides it: at the top of the plot area
    // right of the line, else left of it, else at the bottom, wherever it clears the legend and
    // the frame.
    if (panel.has_x_marker && std::isfinite(panel.x_marker) && !panel.x_marker_label.empty()) {
        const int x = px(panel.x_marker), w = text_width(panel.x_marker_label);
        const auto [lx0, ly0, lx1, ly1] = legend;
        const std::array<std::pair<int, int>, 4> places{{{x + 5, f.top + 4},
                                                         {x - 5 - w, f.top + 4},
                                                         {x + 5, f.bottom - 4 - glyph_height},
                                                         {x - 5 - w, f.bottom - 4 - glyph_height}}};
        auto [tx, ty] = places[0];
        for (const auto& [px0, py0] : places) {
            const bool inside = px0 - 2 > f.left && px0 + w + 2 < f.right;
            const bool clear = px0 - 2 > lx1 || px0 + w + 2 < lx0 || py0 - 2 > ly1 || py0 + glyph_height + 1 < ly0;
            if (inside && clear) {
                tx = px0, ty = py0;
                break;
            }
        }
        c.fill(tx - 2, ty - 2, tx + w + 1, ty + glyph_height, white);
        c.text(tx, ty, panel.x_marker_label, marker_line);
    }
}

// Draws the legend of `entries` and returns its box (x0, y0, x1, y1), empty (all -1) when there
// is none.
std::array<int, 4> draw_legend(Canvas& c, const PlotPanel& panel, const Layout& l,
                               const std::vector<const PlotSeries*>& entries, int label_width) {
    const auto& f = l.frame;
    auto px = [&](double x) { return static_cast<int>(std::lround(f.pixel_x(x))); };
    auto py = [&](double y) { return static_cast<int>(std::lround(f.pixel_y(y))); };
    if (entries.empty()) return {-1, -1, -1, -1};
    const int sample = 20, row = 12, bw = 6 + sample + 5 + label_width + 6, bh = 5 + row * int(entries.size()) + 1;
    const std::array<std::pair<int, int>, 4> corners{{{f.right - 6 - bw, f.top + 6},
                                                      {f.left + 6, f.top + 6},
                                                      {f.right - 6 - bw, f.bottom - 6 - bh},
                                                      {f.left + 6, f.bottom - 6 - bh}}};
    std::size_t best = 0;
    long best_hidden = std::numeric_limits<long>::max();
    for (std::size_t k = 0; k < corners.size(); ++k) {
        const auto [bx, by] = corners[k];
        long hidden = 0;
        for (const auto& s : panel.series)
            for (std::size_t i = 0; i < s.x.size(); ++i) {
                if (!usable(s, i)) continue;
                const int x = px(s.x[i]), y = py(s.y[i]);
                hidden += x >= bx - 4 && x <= bx + bw + 4 && y >= by - 4 && y <= by + bh + 4;
            }
        if (hidden < best_hidden) best = k, best_hidden = hidden;
    }
    const auto [bx, by] = corners[best];
    c.fill(bx, by, bx + bw, by + bh, white);
    c.hline(bx, bx + bw, by, legend_border);
    c.hline(bx, bx + bw, by + bh, legend_border);
    c.vline(bx, by, by + bh, legend_border);
    c.vline(bx + bw, by, by + bh, legend_border);
    for (std::size_t k = 0; k < entries.size(); ++k) {
        const auto& s = *entries[k];
        const int y = by + 5 + row * int(k) + 3, x0 = bx + 6;
        if (s.line) c.line(x0, y, x0 + sample, y, s.rgb, series_line_width);
        if (s.markers) c.disc(x0 + sample / 2, y, marker_radius, s.rgb);
        if (!s.line && !s.markers) {  // bars only: a small bar
            c.vline(x0 + sample / 2, y - 4, y + 4, s.rgb);
            c.hline(x0 + sample / 2 - cap_half_width, x0 + sample / 2 + cap_half_width, y - 4, s.rgb);
            c.hline(x0 + sample / 2 - cap_half_width, x0 + sample / 2 + cap_half_width, y + 4, s.rgb);
        }
        c.text(x0 + sample + 5, y - 3, s.label, black);
    }
    return {bx, by, bx + bw, by + bh};
}

void check_size(int pw, int ph, const std::string& where) {
    TESSERA_CHECK(pw >= min_panel_width && ph >= min_panel_height,
                  where << ": panels must be at least " << min_panel_width << " x " << min_panel_height
                        << " pixels, got " << pw << " x " << ph);
}

}  // namespace

PlotFrame plot_frame(const PlotPanel& panel, int panel_width, int panel_height) {
    check_size(panel_width, panel_height, "plot_frame");
    check_panel(panel, 0, "plot_frame");
    return layout(panel, panel_width, panel_height).frame;
}

void write_plot_png(const std::filesystem::path& path, const std::vector<PlotPanel>& panels, int columns,
                    int panel_width, int panel_height) {
    const std::string where = "plot " + path.string();
    TESSERA_CHECK(!panels.empty(), where << ": no panels to draw");
    TESSERA_CHECK(columns >= 1, where << ": columns must be at least 1, got " << columns);
    check_size(panel_width, panel_height, where);
    for (std::size_t k = 0; k < panels.size(); ++k) check_panel(panels[k], k, where);
    const double n_panels = static_cast<double>(panels.size());
    const double cols_d = std::min<double>(columns, n_panels), rows_d = std::ceil(n_panels / cols_d);
    TESSERA_CHECK(cols_d * panel_width * rows_d * panel_height <= double(1 << 28),
                  where << ": " << cols_d * panel_width << " x " << rows_d * panel_height << " pixels is too large");
    const int n = static_cast<int>(panels.size()), cols = std::min(columns, n), rows = (n + cols - 1) / cols;
    Canvas canvas(cols * panel_width, rows * panel_height);
    for (int k = 0; k < n; ++k) {
        const auto& panel = panels[std::size_t(k)];
        canvas.set_panel((k % cols) * panel_width, (k / cols) * panel_height, panel_width, panel_height);
        draw_panel(canvas, panel, layout(panel, panel_width, panel_height));
    }
    try {
        write_rgb_png(path, cols * panel_width, rows * panel_height, canvas.data());
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {  // AtomicFile's reason (a missing folder, no permission)
        TESSERA_CHECK(false, where << ": " << e.what());
    }
}

}  // namespace tessera::io
