// Field storage: aligned allocation, row padding and first touch.
#include "tessera/grid/field.hpp"

#include <cstdint>
#include <new>
#include <utility>

#include "tessera/core/error.hpp"
#include "tessera/core/memory.hpp"

namespace tessera::grid {

namespace {
constexpr std::size_t kAlign = 64;  // one cache line; also the widest SIMD register
}

template <class T, int Dim>
Field<T, Dim>::Field(const CartDecomp<Dim>& decomp, int ghost) : decomp_(&decomp), ghost_(ghost) {
    TESSERA_CHECK(ghost >= 0, "Field: negative ghost width " << ghost);
    storage_ = decomp.owned_box().grown(ghost);
    // Pad in front so that the first owned cell of every row is 64-byte aligned, and pad rows
    // to whole cache lines, so vector loads and streaming stores of owned rows are aligned.
    constexpr index_t per_line = static_cast<index_t>(kAlign / sizeof(T));
    const index_t front = (per_line - ghost % per_line) % per_line;
    const index_t row = ((front + storage_.extent(0) + per_line - 1) / per_line) * per_line;
    stride_[0] = 1;
    stride_[1] = row;
    if constexpr (Dim == 3) stride_[2] = row * storage_.extent(1);
    const index_t outer = storage_.extent(Dim - 1);
    const std::size_t count = static_cast<std::size_t>(stride_[Dim - 1] * outer);
    // Cache-line aligned; large fields on transparent huge pages (core/memory.hpp).
    try {
        alloc_ = make_streamed_array<T>(count);
    } catch (const std::bad_alloc&) {
        TESSERA_CHECK(false, "Field: cannot allocate " << static_cast<double>(count) * sizeof(T) / (1 << 30)
                                                        << " GiB for this rank's " << count << " cells");
    }
    T* raw = alloc_.get();
    base_ = raw + front;
    // First touch: the outer axis split with the static schedule the kernels use.
    const index_t plane = stride_[Dim - 1];
#pragma omp parallel for schedule(static)
    for (index_t o = 0; o < outer; ++o)
        for (index_t n = 0; n < plane; ++n) raw[o * plane + n] = T{};
}

template <class T, int Dim>
void Field<T, Dim>::swap(Field& other) noexcept {
    std::swap(alloc_, other.alloc_);
    std::swap(base_, other.base_);
}

template class Field<double, 2>;
template class Field<double, 3>;
template class Field<float, 2>;
template class Field<float, 3>;
template class Field<int, 2>;
template class Field<int, 3>;
// Image channels (tessera-filter).
template class Field<std::uint8_t, 2>;
template class Field<std::uint16_t, 2>;

}  // namespace tessera::grid
