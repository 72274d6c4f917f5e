// Line charts as PNG pictures: series of points with optional error bars, axes with ticks and
// labels, a legend, in several panels side by side. Text is drawn with a built-in bitmap font,
// so a chart needs nothing beyond libpng.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tessera::io {

struct PlotSeries {
    std::string label;              ///< legend text (empty: not in the legend)
    std::vector<double> x, y;
    std::vector<double> y_error;    ///< half-heights of error bars (empty: none)
    bool line = true;               ///< join the points
    bool markers = true;            ///< draw a marker at each point
    unsigned rgb = 0x1f77b4;        ///< colour, 0xRRGGBB
};

struct PlotPanel {
    std::string title, x_label, y_label;
    std::vector<PlotSeries> series;
    /// A vertical dashed line at this x (e.g. a critical temperature) when finite.
    double x_marker = 0;
    bool has_x_marker = false;
    std::string x_marker_label;
};

/// Where write_plot_png draws a panel's data, in the panel's own pixels (column 0 at the
/// left, row 0 at the top; panel k sits at column k % columns, row k / columns of the picture,
/// its origin at (column * panel_width, row * panel_height)). The plot area is the rectangle
/// [left, right] x [top, bottom], framed by the axes; x_min maps to column `left`, x_max to
/// `right`, y_min to row `bottom`, y_max to `top`, linearly. A point (x, y) is drawn centred on
/// pixel (lround(pixel_x(x)), lround(pixel_y(y))).
struct PlotFrame {
    double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
    int left = 0, top = 0, right = 0, bottom = 0;
    double pixel_x(double x) const noexcept { return left + (x - x_min) / (x_max - x_min) * (right - left); }
    double pixel_y(double y) const noexcept { return bottom - (y - y_min) / (y_max - y_min) * (bottom - top); }
};

/// Local: the frame write_plot_png uses for `panel` at this size: the axis ranges cover every
/// finite point, error bar and the x marker, plus 5% of the span on each side. Throws
/// tessera::Error as write_plot_png does for the panel's series and for panels smaller than
/// 160 x 120 pixels.
PlotFrame plot_frame(const PlotPanel& panel, int panel_width, int panel_height);

/// Local: draws the panels in a grid of `columns` columns, each panel `panel_width` x
/// `panel_height` pixels, and writes an RGB PNG (atomically). Axis ranges cover every point and
/// error bar with a margin, ticks at 1, 2 or 5 times a power of ten. Non-finite points are
/// skipped (a line breaks there); a non-finite or negative error draws no bar. The picture is
/// min(columns, panels) panels wide. Throws tessera::Error naming the path when it cannot be
/// written, when panels is empty, columns < 1, a panel is smaller than 160 x 120, or a series'
/// x, y (and y_error, when given) differ in length.
void write_plot_png(const std::filesystem::path& path, const std::vector<PlotPanel>& panels,
                    int columns = 2, int panel_width = 480, int panel_height = 360);

}  // namespace tessera::io
