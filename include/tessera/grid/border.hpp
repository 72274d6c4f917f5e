// Image border modes with OpenCV's meanings, and the ghost exchange that fills a field's
// halos across ranks with them: tile edges between ranks are invisible in a filter's result.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "tessera/core/mpi.hpp"
#include "tessera/grid/field.hpp"

namespace tessera::grid {

/// What lies beyond the edges of an image (| marks the edge of the pixels abcdefgh):
///   reflect101  gfedcb|abcdefgh|gfedcba   cv::BORDER_REFLECT_101 (the default)
///   reflect     fedcba|abcdefgh|hgfedcba  cv::BORDER_REFLECT
///   replicate   aaaaaa|abcdefgh|hhhhhhh   cv::BORDER_REPLICATE
///   constant    vvvvvv|abcdefgh|vvvvvvv   cv::BORDER_CONSTANT (v = Border::value)
///   wrap        cdefgh|abcdefgh|abcdefg   cv::BORDER_WRAP
enum class BorderMode { reflect101, reflect, replicate, constant, wrap };

struct Border {
    BorderMode mode = BorderMode::reflect101;
    double value = 0.0;  ///< constant mode: the value beyond the edge (converted to the pixel type)
};

/// Parses "reflect101", "reflect", "replicate", "constant" or "wrap"; throws tessera::Error
/// listing the valid names.
BorderMode parse_border_mode(const std::string& name);
const char* to_string(BorderMode mode) noexcept;

/// Local: the index in [0, n) whose value the border rule puts at index `g`, for any `g`
/// however far outside [0, n) (as cv::borderInterpolate; reflect101 with n == 1 gives 0), or
/// -1 for constant mode when g is outside. Requires n >= 1.
gindex_t border_source(gindex_t g, gindex_t n, BorderMode mode) noexcept;

/// Fills every ghost cell of a 2D field up to `width` deep, corners included: ghosts inside the
/// global box get the owning rank's values, ghosts beyond its edges get the border rule's
/// values, wherever the source cell lives. A tile narrower than `width` (or a source reflected
/// from beyond a neighbour) gets its ghosts from ranks further away than its neighbours.
/// Axis 0 first (owned rows), then axis 1 over the rows widened by the axis-0 ghosts, so corners
/// follow the rule on both axes, as OpenCV's do. The plan (which rows and columns each rank
/// sends to whom) is computed in the constructor from the decomposition alone and reused, with
/// its buffers, by every exchange(). The decomposition's own `periodic` flags are not used:
/// `wrap` does the wrapping. Ghosts beyond `width` (when the field's ghost is wider) are not
/// touched. Constant mode writes Border::value converted to T (rounded and saturated for
/// integer pixels, as cv::saturate_cast). Messages use tags 100 and 101 of the decomposition's
/// communicator, so an exchange never matches a HaloExchange's messages (tags 0..26).
template <class T>
class BorderExchange {
public:
    /// Collective over like.decomp().comm(): checks 0 <= width <= like.ghost()
    /// (CollectiveError otherwise). Every field passed to exchange() must have the same
    /// decomposition and ghost width as `like`.
    BorderExchange(const Field<T, 2>& like, int width, const Border& border);

    /// Collective over like.decomp().comm() (each rank waits only for the ranks it exchanges
    /// with, but every rank must call it): fills the ghosts of `field`; owned cells are only read.
    void exchange(Field<T, 2>& field);

    int width() const noexcept { return width_; }
    const Border& border() const noexcept { return border_; }
    /// Bytes of pixel data this rank sends to other ranks per exchange().
    std::size_t bytes_sent() const noexcept;

private:
    struct Impl;
    const CartDecomp<2>* decomp_;
    int ghost_;
    int width_;
    Border border_;
    std::shared_ptr<Impl> impl_;
};

}  // namespace tessera::grid
