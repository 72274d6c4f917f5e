// Image filters with OpenCV's arithmetic: local kernels over 2D views (no MPI), each with a
// plain `_ref` twin that the tests use as an oracle.
//
// Pixels are (i, j) = (column, row) in global indices, i unit stride; a channel is one
// Field<T, 2>. Pixel types T: std::uint8_t, std::uint16_t, float. A kernel writes `out` on the
// cells of `box` and reads `in` on `box` grown by filter_radius() (the ghosts must hold the
// border: grid::BorderExchange). Every kernel gives the same bits for any thread count and any
// split of the image into boxes, and the same bits as its _ref twin.
//
// Arithmetic, as OpenCV 4.6's (tests/stencil/filters_opencv.py compares with cv2; integer
// pixels match it bit for bit in every case tested, float pixels within 1e-5 of the largest
// magnitude):
//   gaussian   8-bit: the kernel in 8 fractional bits (getGaussianKernelFixedPoint_ED), exact
//              integer sums, (s + 2^15) >> 16; 16-bit: 16 fractional bits, (s + 2^31) >> 32;
//              float: (float) of gaussian_kernel(), column pass then row pass.
//   box        exact integer sums, then round(float(sum) * float(1 / area)) (cv::blur's
//              ColumnSum); float: sums in double.
//   sobel      exact integer derivatives; |d| saturated (cv::convertScaleAbs of cv::Sobel);
//              with scale != 1, dx and dy follow cv::Sobel's float arithmetic (scale folded
//              into the smoothing kernel, fused multiply-adds); magnitude
//              round(sqrt(fma(dx, dx, dy * dy)) * scale) as cv::magnitude of the unscaled
//              derivatives, then cv::convertScaleAbs(..., scale).
//   laplacian  ksize 1: [0 1 0; 1 -4 1; 0 1 0], ksize 3: [2 0 2; 0 -8 0; 2 0 2]; |L * scale|
//              saturated for integers, L * scale for floats.
//   unsharp    round(fma(in, 1 + amount, gaussian(in) * -amount)) (cv::addWeighted).
//   median     the exact median of the 3x3 or 5x5 window (cv::medianBlur).
//   kernel     float sums in row-major tap order, zero weights skipped, then rounded
//              (cv::filter2D's direct path; OpenCV switches to a DFT for large kernels, so
//              expect differences of one gray level there).
// Rounding is half to even (cvRound). Limits: sigma <= 50, a Gaussian radius <= 256, a box
// radius <= 64 (8-bit boxes match cv2 exactly up to radius 44 at least; 16-bit boxes larger
// than 15 x 15 may differ from cv2 by one level in the last few columns of a row, which
// OpenCV's scalar tail computes in double rather than float).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tessera/core/box.hpp"
#include "tessera/core/view.hpp"

namespace tessera::stencil {

enum class FilterKind { gaussian, box, sobel, laplacian, unsharp, median, kernel };
/// What a Sobel stage outputs: the x derivative, the y derivative, or sqrt(dx^2 + dy^2).
enum class SobelOutput { dx, dy, magnitude };

/// One stage of a filter chain. Integer pixel types saturate (and derivatives take their
/// absolute value, as cv::convertScaleAbs) after each stage; results are rounded half to even.
struct FilterSpec {
    FilterKind kind = FilterKind::gaussian;
    double sigma = 1.0;   ///< gaussian, unsharp: standard deviation in pixels (> 0)
    int radius = 0;       ///< gaussian, unsharp: 0 = from sigma by OpenCV's rule; box: >= 1
                          ///< (side 2r+1); median: 1 or 2 (3x3, 5x5)
    SobelOutput sobel = SobelOutput::magnitude;  ///< sobel
    int ksize = 3;        ///< sobel: 3 or 5; laplacian: 1 (4-neighbour) or 3 (cv2.Laplacian's)
    double scale = 1.0;   ///< sobel, laplacian: factor on the derivative (cv2's `scale`)
    double amount = 1.0;  ///< unsharp: out = in + amount * (in - gaussian(in))
    int kernel_width = 0, kernel_height = 0;  ///< kernel: odd sides, at most max_kernel_side
    std::vector<float> kernel;                ///< kernel: weights, row-major (row 0 on top);
                                              ///< correlation, as cv2.filter2D
};

inline constexpr int max_kernel_side = 31;

/// Defaults for the stages that take them (`--sigma`, `--radius` in tessera-filter).
struct FilterDefaults {
    double sigma = 1.0;
    int radius = 1;
};

/// Parses one stage, "name" or "name:key=value,key=value", e.g. "gaussian:sigma=2",
/// "sobel:output=dx", "median:radius=2", "kernel:values=0 1 0;1 -4 1;0 1 0". Keys a stage
/// does not give come from `defaults`. A bare "kernel" returns a kernel stage without weights,
/// for the caller to fill with parse_kernel_weights (validate() refuses it until then).
/// Throws tessera::Error naming the stage and the key.
FilterSpec parse_filter(const std::string& text, const FilterDefaults& defaults = {});
/// The canonical text of a stage, every parameter spelled out (parse_filter reads it back).
std::string to_string(const FilterSpec& spec);
/// The filter names and their parameters, one line each (for --help).
std::string describe_filters();
/// Parses a kernel's weights: rows separated by newlines or ';', entries by spaces or ','.
/// Sets kernel, kernel_width, kernel_height. Throws tessera::Error when rows differ in length,
/// a side is even or larger than max_kernel_side, or an entry is not a finite number.
void parse_kernel_weights(const std::string& text, FilterSpec& spec);
/// Throws tessera::Error naming the parameter when a value is out of range.
void validate(const FilterSpec& spec);

/// Ghost width the stage reads for pixel type T (the Gaussian's size from sigma depends on it).
template <class T>
int filter_radius(const FilterSpec& spec);

/// OpenCV's Gaussian kernel size for sigma: cvRound(sigma * (8-bit ? 3 : 4) * 2 + 1) | 1.
int gaussian_ksize(double sigma, bool eight_bit);
/// cv::getGaussianKernel(ksize, sigma) as doubles (sum 1).
std::vector<double> gaussian_kernel(int ksize, double sigma);

/// Reusable per-thread row buffers: keep one per chain so stages allocate nothing (buffers grow
/// to the largest stage seen and are reused). One workspace serves one call at a time.
class FilterWorkspace {
public:
    FilterWorkspace();
    ~FilterWorkspace();
    FilterWorkspace(FilterWorkspace&&) noexcept;
    FilterWorkspace& operator=(FilterWorkspace&&) noexcept;
    struct Impl;
    Impl& impl() { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
};

/// Local, OpenMP over rows (static schedule: contiguous row blocks, each thread with its own
/// buffers in `workspace`): out = stage(in) on `box`; reads `in` on box grown by
/// filter_radius<T>(spec). `in` and `out` must not overlap. Throws tessera::Error (before any
/// write) when validate(spec) fails or the views do not hold those boxes.
template <class T>
void apply_filter(const FilterSpec& spec, ConstView<T, 2> in, View<T, 2> out, const Box<2>& box,
                  FilterWorkspace& workspace);
/// Local, one thread, plain loops: the oracle for apply_filter (same bits).
template <class T>
void apply_filter_ref(const FilterSpec& spec, ConstView<T, 2> in, View<T, 2> out, const Box<2>& box);

/// Bytes per pixel a stage must move to and from memory at least (read the input once, write
/// the output once, plus the write-allocate read): the bandwidth bound of benchmarks.
template <class T>
double filter_bytes_per_pixel(const FilterSpec& spec);

}  // namespace tessera::stencil
