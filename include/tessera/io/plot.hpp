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

/// Local: draws the panels in a grid of `columns` columns, each panel `panel_width` x
/// `panel_height` pixels, and writes an RGB PNG (atomically). Axis ranges cover every point and
/// error bar with a margin, ticks at 1, 2 or 5 times a power of ten. Non-finite points are
/// skipped. Throws tessera::Error naming the path when it cannot be written, when panels is
/// empty or a series' x, y (and y_error, when given) differ in length.
void write_plot_png(const std::filesystem::path& path, const std::vector<PlotPanel>& panels,
                    int columns = 2, int panel_width = 480, int panel_height = 360);

}  // namespace tessera::io
