// Non-owning Dim-dimensional views of strided arrays, i (axis 0) unit stride: the kernels' input.
#pragma once

#include <array>
#include <type_traits>

#include "tessera/core/box.hpp"
#include "tessera/core/types.hpp"

namespace tessera {

/// A view of a Dim-dimensional array whose element (i, j[, k]) lives at
/// `origin[i + j * stride[1] + k * stride[2]]`. `origin` may point outside the allocation
/// (it corresponds to index 0 while storage can start at a negative ghost index); only
/// indices inside `box()` may be dereferenced. Copying a view is cheap and shares the data.
template <class T, int Dim>
class View {
public:
    static_assert(Dim >= 1 && Dim <= 3, "View supports 1 to 3 dimensions");
    using value_type = T;

    View() = default;
    /// `data` points at the element of index `box.lo`; `stride[0]` must be 1.
    View(T* data, const Box<Dim>& box, const std::array<index_t, Dim>& stride)
        : box_(box), stride_(stride) {
        index_t off = 0;
        for (int d = 0; d < Dim; ++d) off += box.lo[d] * stride[d];
        origin_ = data - off;
    }
    /// Implicit conversion to a view of const elements.
    template <class U = T, class = std::enable_if_t<!std::is_const_v<U>>>
    operator View<const U, Dim>() const {
        return View<const U, Dim>(data(), box_, stride_);
    }

    T& operator()(index_t i) const requires(Dim == 1) { return origin_[i]; }
    T& operator()(index_t i, index_t j) const requires(Dim == 2) {
        return origin_[i + j * stride_[1]];
    }
    T& operator()(index_t i, index_t j, index_t k) const requires(Dim == 3) {
        return origin_[i + j * stride_[1] + k * stride_[2]];
    }
    /// Pointer to element (0, j[, k]) so that row[i] is element (i, j[, k]).
    T* row(index_t j) const requires(Dim == 2) { return origin_ + j * stride_[1]; }
    T* row(index_t j, index_t k) const requires(Dim == 3) {
        return origin_ + j * stride_[1] + k * stride_[2];
    }

    /// The index box this view may address.
    const Box<Dim>& box() const { return box_; }
    const std::array<index_t, Dim>& stride() const { return stride_; }
    /// Pointer to the element at box().lo.
    T* data() const {
        index_t off = 0;
        for (int d = 0; d < Dim; ++d) off += box_.lo[d] * stride_[d];
        return origin_ + off;
    }

private:
    T* origin_ = nullptr;
    Box<Dim> box_{};
    std::array<index_t, Dim> stride_{};
};

template <class T, int Dim>
using ConstView = View<const T, Dim>;

/// Number of rows (unit-stride runs along axis 0) in `box`.
template <int Dim>
index_t box_rows(const Box<Dim>& box) {
    return box.extent(0) > 0 ? box.size() / box.extent(0) : 0;
}

/// Pointer to the first cell of row `r` of `box` (rows enumerate axis 1, then axis 2).
/// Lets a loop over all rows of a 2D or 3D box be one flat, parallelisable loop.
template <class T, int Dim>
T* row_begin(const View<T, Dim>& v, const Box<Dim>& box, index_t r) {
    if constexpr (Dim == 2) {
        return &v(box.lo[0], box.lo[1] + r);
    } else {
        const index_t ny = box.extent(1);
        return &v(box.lo[0], box.lo[1] + r % ny, box.lo[2] + r / ny);
    }
}

}  // namespace tessera
