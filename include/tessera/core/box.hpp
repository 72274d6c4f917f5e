// Half-open index boxes [lo, hi) in Dim dimensions, in local or global (64-bit) indices.
#pragma once

#include <algorithm>
#include <array>
#include <ostream>

#include "tessera/core/types.hpp"

namespace tessera {

/// A half-open box of cells [lo[d], hi[d]) per axis d; axis 0 is the unit-stride (i) axis.
/// Coordinates are 64-bit, so the same type serves local and global index spaces.
template <int Dim>
struct Box {
    std::array<gindex_t, Dim> lo{};
    std::array<gindex_t, Dim> hi{};

    /// Cells along axis d (0 for an empty axis).
    constexpr gindex_t extent(int d) const { return std::max<gindex_t>(hi[d] - lo[d], 0); }
    /// Number of cells in the box.
    constexpr gindex_t size() const {
        gindex_t n = 1;
        for (int d = 0; d < Dim; ++d) n *= extent(d);
        return n;
    }
    constexpr bool empty() const { return size() == 0; }
    /// The box grown by `g` cells on every side (shrunk when g < 0).
    constexpr Box grown(gindex_t g) const {
        Box b = *this;
        for (int d = 0; d < Dim; ++d) {
            b.lo[d] -= g;
            b.hi[d] += g;
        }
        return b;
    }
    /// Intersection with another box (possibly empty).
    constexpr Box intersect(const Box& o) const {
        Box b;
        for (int d = 0; d < Dim; ++d) {
            b.lo[d] = std::max(lo[d], o.lo[d]);
            b.hi[d] = std::max(b.lo[d], std::min(hi[d], o.hi[d]));
        }
        return b;
    }
    constexpr bool contains(const Box& o) const {
        for (int d = 0; d < Dim; ++d)
            if (o.lo[d] < lo[d] || o.hi[d] > hi[d]) return false;
        return true;
    }
    friend constexpr bool operator==(const Box&, const Box&) = default;
};

template <int Dim>
std::ostream& operator<<(std::ostream& os, const Box<Dim>& b) {
    os << '[';
    for (int d = 0; d < Dim; ++d) os << (d ? ", " : "") << b.lo[d] << ':' << b.hi[d];
    return os << ')';
}

}  // namespace tessera
