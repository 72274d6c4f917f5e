// Non-owning Dim-dimensional views of strided arrays, i (axis 0) unit stride: the kernels' input.
#pragma once

#include <array>
#include <type_traits>

#include "tessera/core/box.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/types.hpp"

namespace tessera {

/// A view of a Dim-dimensional array whose element (i, j[, k]) lives at
/// `data()[(i - lo[0]) + (j - lo[1]) * stride[1] + (k - lo[2]) * stride[2]]`, lo = box().lo.
/// The view keeps the pointer it was given (the element at box().lo, inside the allocation)
/// and subtracts box().lo in the index computation, so it never forms a pointer outside the
/// allocation. Only indices inside `box()` may be addressed: Debug builds check it
/// (TESSERA_ASSERT throws tessera::Error); with NDEBUG the check compiles out. Copying a view
/// is cheap and shares the data.
template <class T, int Dim>
class View {
public:
    static_assert(Dim >= 1 && Dim <= 3, "View supports 1 to 3 dimensions");
    using value_type = T;

    View() = default;
    /// `data` points at the element of index `box.lo`; `stride[0]` must be 1.
    View(T* data, const Box<Dim>& box, const std::array<index_t, Dim>& stride)
        : data_(data), box_(box), stride_(stride) {
        for (int d = 0; d < Dim; ++d) offset_ += box.lo[d] * stride[d];
    }
    /// Implicit conversion to a view of const elements.
    template <class U = T, class = std::enable_if_t<!std::is_const_v<U>>>
    operator View<const U, Dim>() const {
        return View<const U, Dim>(data_, box_, stride_);
    }

    T& operator()(index_t i) const requires(Dim == 1) {
        TESSERA_ASSERT(inside(i, 0), "View index " << i << " outside [" << box_.lo[0] << ", " << box_.hi[0] << ")");
        return data_[i - offset_];
    }
    T& operator()(index_t i, index_t j) const requires(Dim == 2) {
        TESSERA_ASSERT(inside(i, 0) && inside(j, 1), "View index (" << i << ", " << j << ") outside the box");
        return data_[i + j * stride_[1] - offset_];
    }
    T& operator()(index_t i, index_t j, index_t k) const requires(Dim == 3) {
        TESSERA_ASSERT(inside(i, 0) && inside(j, 1) && inside(k, 2),
                       "View index (" << i << ", " << j << ", " << k << ") outside the box");
        return data_[i + j * stride_[1] + k * stride_[2] - offset_];
    }
    /// Pointer to element (0, j[, k]) so that row[i] is element (i, j[, k]). Requires
    /// box().lo[0] <= 0 <= box().hi[0] (a view whose axis-0 range holds index 0, as a Field's
    /// does when axis 0 is not split) so that the pointer lies inside the allocation; checked
    /// in Debug builds, with (j[, k]) inside the box. Elsewhere use row_begin().
    T* row(index_t j) const requires(Dim == 2) {
        TESSERA_ASSERT(holds_zero() && inside(j, 1), "View::row(" << j << ") outside the box or lo[0] > 0");
        return data_ + (j * stride_[1] - offset_);
    }
    T* row(index_t j, index_t k) const requires(Dim == 3) {
        TESSERA_ASSERT(holds_zero() && inside(j, 1) && inside(k, 2),
                       "View::row(" << j << ", " << k << ") outside the box or lo[0] > 0");
        return data_ + (j * stride_[1] + k * stride_[2] - offset_);
    }

    /// The index box this view may address.
    const Box<Dim>& box() const { return box_; }
    const std::array<index_t, Dim>& stride() const { return stride_; }
    /// Pointer to the element at box().lo: the pointer the view was made from.
    T* data() const { return data_; }

private:
    bool inside(index_t x, int d) const { return x >= box_.lo[d] && x < box_.hi[d]; }
    bool holds_zero() const { return box_.lo[0] <= 0 && box_.hi[0] >= 0; }

    T* data_ = nullptr;
    index_t offset_ = 0;  // sum over d of box.lo[d] * stride[d]
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

/// Pointer to the first cell of row `r` of `box` (rows enumerate axis 1, then axis 2): element
/// (box.lo[0], ...), which must lie inside v.box() (checked in Debug builds). Lets a loop over
/// all rows of a 2D or 3D box be one flat, parallelisable loop; index the row from 0.
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
