// Stencil kernels. Every cell is computed by the same expression in the optimized and the
// reference loops (no FMA contraction: see -ffp-contract=off), so they agree bitwise.
#include "tessera/stencil/operators.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::stencil {

namespace {

// Second-derivative central differences of order 2R: a_0, a_1..a_R.
constexpr double kStar[5][5] = {
    {0, 0, 0, 0, 0},
    {-2.0, 1.0, 0, 0, 0},
    {-5.0 / 2.0, 4.0 / 3.0, -1.0 / 12.0, 0, 0},
    {-49.0 / 18.0, 3.0 / 2.0, -3.0 / 20.0, 1.0 / 90.0, 0},
    {-205.0 / 72.0, 8.0 / 5.0, -1.0 / 5.0, 8.0 / 315.0, -1.0 / 560.0},
};

// ---- per-cell expressions shared by the optimized and the reference loops ----

// Second difference of order 2R along one axis at p, neighbours `stride` apart.
template <int R>
inline double star_diff(const double* p, index_t stride) {
    double s = kStar[R][0] * p[0];
    for (int m = 1; m <= R; ++m) s += kStar[R][m] * (p[-m * stride] + p[m * stride]);
    return s;
}

// 9-point: (4 * (E + W + N + S) + (NE + NW + SE + SW) - 20 C) / 6, times w.
inline double box9(const double* p, index_t sy, double w6) {
    const double faces = (p[-1] + p[1]) + (p[-sy] + p[sy]);
    const double corners = (p[-sy - 1] + p[-sy + 1]) + (p[sy - 1] + p[sy + 1]);
    return w6 * ((4.0 * faces + corners) - 20.0 * p[0]);
}

// 27-point: (14 * faces + 3 * edges + corners - 128 C) / 30, times w.
inline double box27(const double* p, index_t sy, index_t sz, double w30) {
    const double faces = ((p[-1] + p[1]) + (p[-sy] + p[sy])) + (p[-sz] + p[sz]);
    const double edges = ((p[-sy - 1] + p[-sy + 1]) + (p[sy - 1] + p[sy + 1])) +
                         ((p[-sz - 1] + p[-sz + 1]) + (p[sz - 1] + p[sz + 1])) +
                         ((p[-sz - sy] + p[-sz + sy]) + (p[sz - sy] + p[sz + sy]));
    const double corners = ((p[-sz - sy - 1] + p[-sz - sy + 1]) + (p[-sz + sy - 1] + p[-sz + sy + 1])) +
                           ((p[sz - sy - 1] + p[sz - sy + 1]) + (p[sz + sy - 1] + p[sz + sy + 1]));
    return w30 * (((14.0 * faces + 3.0 * edges) + corners) - 128.0 * p[0]);
}

template <int R, int Dim>
inline double star_cell(const double* p, const std::array<index_t, Dim>& s, const StencilCoeffs<Dim>& c) {
    double lap = c.weight[0] * star_diff<R>(p, 1);
    for (int d = 1; d < Dim; ++d) lap += c.weight[d] * star_diff<R>(p, s[d]);
    return c.self * p[0] + lap;
}

template <int Dim>
inline double box_cell(const double* p, const std::array<index_t, Dim>& s, const StencilCoeffs<Dim>& c) {
    if constexpr (Dim == 2)
        return c.self * p[0] + box9(p, s[1], c.weight[0] / 6.0);
    else
        return c.self * p[0] + box27(p, s[1], s[2], c.weight[0] / 30.0);
}

// ---- optimized loops: threads over rows, SIMD along i ----

// Eight cells at once with GCC vector extensions: the same operations in the same order as the
// scalar expressions above, lane by lane, so results stay bitwise identical.
using Vec8 = double __attribute__((vector_size(64)));

inline Vec8 load8(const double* p) {
    Vec8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <int R, int Dim>
inline Vec8 star_cell8(const double* p, const std::array<index_t, Dim>& s, const StencilCoeffs<Dim>& c) {
    auto diff = [p](index_t stride) {
        Vec8 d = kStar[R][0] * load8(p);
        for (int m = 1; m <= R; ++m) d += kStar[R][m] * (load8(p - m * stride) + load8(p + m * stride));
        return d;
    };
    Vec8 lap = c.weight[0] * diff(1);
    for (int d = 1; d < Dim; ++d) lap += c.weight[d] * diff(s[d]);
    return c.self * load8(p) + lap;
}

#if defined(__AVX__)
constexpr bool kCanStream = true;
inline void stream8(double* dst, Vec8 v) {
#if defined(__AVX512F__)
    _mm512_stream_pd(dst, reinterpret_cast<__m512d>(v));
#else
    __m256d lo, hi;
    std::memcpy(&lo, &v, 32);
    std::memcpy(&hi, reinterpret_cast<const char*>(&v) + 32, 32);
    _mm256_stream_pd(dst, lo);
    _mm256_stream_pd(dst + 4, hi);
#endif
}
#else
constexpr bool kCanStream = false;
inline void stream8(double* dst, Vec8 v) { std::memcpy(dst, &v, sizeof v); }
#endif

// Fills the ghosts of one row beyond the i walls (see RowWalls); `row` points at i = 0.
inline void fill_row_walls(double* row, const RowWalls& w) {
    for (int m = 1; m <= w.width; ++m) {
        if (w.low) row[w.low_wall - m] = w.offset + w.sign * row[w.low_wall + m - 1];
        if (w.high) row[w.high_wall + m - 1] = w.offset + w.sign * row[w.high_wall - m];
    }
}

// Updates cells [i0, i1) of one row: `in` and `o` point at element i = 0 of their rows.
template <class Cell, class Cell8>
inline void row_update(const double* in, double* o, index_t i0, index_t i1, bool stream, Cell cell,
                       Cell8 cell8) {
    if (!stream) {
#pragma omp simd
        for (index_t i = i0; i < i1; ++i) o[i] = cell(in + i);
        return;
    }
    index_t i = i0;
    for (; i < i1 && (reinterpret_cast<std::uintptr_t>(o + i) % 64) != 0; ++i) o[i] = cell(in + i);
    for (; i + 8 <= i1; i += 8) stream8(o + i, cell8(in + i));
    for (; i < i1; ++i) o[i] = cell(in + i);
}

// Threads over the rows of `box` (rows enumerate axes 1.., static schedule as at first touch).
// `walls`, when given, fills each row's i-wall ghosts in `u_rows` before the row is updated.
template <int Dim, class Cell, class Cell8>
void sweep(ConstView<double, Dim> u, View<double, Dim> out, const Box<Dim>& box, bool stream,
           const RowWalls* walls, View<double, Dim> u_rows, Cell cell, Cell8 cell8) {
    if (box.empty()) return;
    const index_t i0 = box.lo[0], i1 = box.hi[0], rows = box_rows(box);
    Box<Dim> row0 = box;  // the same rows located at i = 0, so pointers index by global i
    row0.lo[0] = 0;
#pragma omp parallel
    {
#pragma omp for schedule(static)
        for (index_t r = 0; r < rows; ++r) {
            if (walls) fill_row_walls(row_begin(u_rows, row0, r), *walls);
            row_update(row_begin(u, row0, r), row_begin(out, row0, r), i0, i1, stream, cell, cell8);
        }
#if defined(__AVX__)
        if (stream) _mm_sfence();  // streaming stores complete before anyone reads `out`
#endif
    }
}

// Streaming stores pay off only when the output cannot stay in the last-level cache anyway.
template <int Dim>
bool use_streaming(StoreMode mode, const Box<Dim>& box) {
    constexpr gindex_t kStreamBytes = gindex_t{48} << 20;
    return kCanStream && (mode == StoreMode::streaming ||
                          (mode == StoreMode::automatic && box.size() * 8 > kStreamBytes));
}

template <int Dim, int R>
void star_dispatch(ConstView<double, Dim> u, View<double, Dim> out, const StencilCoeffs<Dim>& c,
                   const Box<Dim>& box, StoreMode store, const RowWalls* walls, View<double, Dim> u_rows) {
    const auto s = u.stride();
    sweep<Dim>(u, out, box, use_streaming(store, box), walls, u_rows,
               [s, c](const double* p) { return star_cell<R, Dim>(p, s, c); },
               [s, c](const double* p) { return star_cell8<R, Dim>(p, s, c); });
}

template <int Dim>
void star_any(StencilKind kind, ConstView<double, Dim> u, View<double, Dim> out, const StencilCoeffs<Dim>& c,
              const Box<Dim>& box, StoreMode store, const RowWalls* walls, View<double, Dim> u_rows) {
    switch (kind) {
    case StencilKind::star1: return star_dispatch<Dim, 1>(u, out, c, box, store, walls, u_rows);
    case StencilKind::star2: return star_dispatch<Dim, 2>(u, out, c, box, store, walls, u_rows);
    case StencilKind::star3: return star_dispatch<Dim, 3>(u, out, c, box, store, walls, u_rows);
    case StencilKind::star4: return star_dispatch<Dim, 4>(u, out, c, box, store, walls, u_rows);
    default: TESSERA_CHECK(false, "not a star stencil");
    }
}

// Symbol of the order-2R second difference for phase theta: a_0 + 2 sum_m a_m cos(m theta).
double star_symbol_1d(int r, double theta) {
    double s = kStar[r][0];
    for (int m = 1; m <= r; ++m) s += 2.0 * kStar[r][m] * std::cos(m * theta);
    return s;
}

}  // namespace

const double* star_weights(int r) noexcept { return kStar[std::clamp(r, 0, 4)]; }

StencilKind parse_stencil(const std::string& name, int dim) {
    if ((dim == 2 && name == "5pt") || (dim == 3 && name == "7pt") || name == "star1")
        return StencilKind::star1;
    if (name == "star2") return StencilKind::star2;
    if (name == "star3") return StencilKind::star3;
    if (name == "star4") return StencilKind::star4;
    if (dim == 2 && name == "9pt") return StencilKind::box9;
    if (dim == 3 && name == "27pt") return StencilKind::box27;
    TESSERA_CHECK(false, "--stencil: unknown stencil '" << name << "' for " << dim << "D (choose "
                         << (dim == 2 ? "5pt, 9pt" : "7pt, 27pt") << ", star1, star2, star3, star4)");
    return StencilKind::star1;
}

std::string to_string(StencilKind kind, int dim) {
    switch (kind) {
    case StencilKind::star1: return dim == 2 ? "5pt" : "7pt";
    case StencilKind::star2: return "star2";
    case StencilKind::star3: return "star3";
    case StencilKind::star4: return "star4";
    case StencilKind::box9: return "9pt";
    case StencilKind::box27: return "27pt";
    }
    return "?";
}

int radius(StencilKind kind) noexcept {
    switch (kind) {
    case StencilKind::star2: return 2;
    case StencilKind::star3: return 3;
    case StencilKind::star4: return 4;
    default: return 1;
    }
}

grid::HaloPattern halo_pattern(StencilKind kind) noexcept {
    return kind == StencilKind::box9 || kind == StencilKind::box27 ? grid::HaloPattern::full
                                                                   : grid::HaloPattern::faces;
}

int order(StencilKind kind) noexcept {
    return kind == StencilKind::box9 || kind == StencilKind::box27 ? 2 : 2 * radius(kind);
}

template <int Dim>
double symbol(StencilKind kind, const std::array<double, Dim>& theta, const std::array<double, Dim>& h) {
    std::array<double, Dim> cs{};
    for (int d = 0; d < Dim; ++d) cs[d] = std::cos(theta[d]);
    if (kind == StencilKind::box9) {
        return (4.0 * (2 * cs[0] + 2 * cs[1]) + 4.0 * cs[0] * cs[1] - 20.0) / (6.0 * h[0] * h[0]);
    }
    if (kind == StencilKind::box27) {
        if constexpr (Dim == 3) {
            const double faces = 2 * (cs[0] + cs[1] + cs[2]);
            const double edges = 4 * (cs[0] * cs[1] + cs[0] * cs[2] + cs[1] * cs[2]);
            const double corners = 8 * cs[0] * cs[1] * cs[2];
            return (14.0 * faces + 3.0 * edges + corners - 128.0) / (30.0 * h[0] * h[0]);
        }
    }
    double total = 0;
    for (int d = 0; d < Dim; ++d) total += star_symbol_1d(radius(kind), theta[d]) / (h[d] * h[d]);
    return total;
}

template <int Dim>
double max_abs_symbol(StencilKind kind, const std::array<double, Dim>& h) {
    if (kind == StencilKind::box9 || kind == StencilKind::box27) {
        // The symbol is multilinear in the cosines: its extremes sit at cos = +-1.
        double best = 0;
        for (int corner = 0; corner < (1 << Dim); ++corner) {
            std::array<double, Dim> theta{};
            for (int d = 0; d < Dim; ++d) theta[d] = (corner >> d & 1) ? std::numbers::pi : 0.0;
            best = std::max(best, std::abs(symbol<Dim>(kind, theta, h)));
        }
        return best;
    }
    // Star stencils are sums of 1D symbols: maximise the 1D one over a fine phase grid.
    const int r = radius(kind);
    double best = 0;
    constexpr int n = 4096;
    for (int t = 0; t <= n; ++t) best = std::max(best, std::abs(star_symbol_1d(r, std::numbers::pi * t / n)));
    double total = 0;
    for (int d = 0; d < Dim; ++d) total += best / (h[d] * h[d]);
    return total;
}

template <int Dim>
void apply_stencil(StencilKind kind, ConstView<double, Dim> u, View<double, Dim> out,
                   const StencilCoeffs<Dim>& c, const Box<Dim>& box, StoreMode store) {
    if (kind == StencilKind::box9 || kind == StencilKind::box27) {
        TESSERA_CHECK((kind == StencilKind::box9) == (Dim == 2), "stencil does not match dimension");
        const auto s = u.stride();
        sweep<Dim>(u, out, box, false, nullptr, View<double, Dim>(),
                   [s, c](const double* p) { return box_cell<Dim>(p, s, c); },
                   [](const double*) { return Vec8{}; });
        return;
    }
    star_any<Dim>(kind, u, out, c, box, store, nullptr, View<double, Dim>());
}

template <int Dim>
void apply_stencil(StencilKind kind, View<double, Dim> u, View<double, Dim> out,
                   const StencilCoeffs<Dim>& c, const Box<Dim>& box, const RowWalls& walls, StoreMode store) {
    TESSERA_CHECK(kind != StencilKind::box9 && kind != StencilKind::box27,
                  "row-wise wall filling needs a star stencil");
    star_any<Dim>(kind, u, out, c, box, store, &walls, u);
}

template <int Dim>
void apply_stencil_ref(StencilKind kind, ConstView<double, Dim> u, View<double, Dim> out,
                       const StencilCoeffs<Dim>& c, const Box<Dim>& box) {
    const auto s = u.stride();
    const int r = radius(kind);
    const bool is_box = kind == StencilKind::box9 || kind == StencilKind::box27;
    auto cell = [&](const double* p) {
        if (is_box) return box_cell<Dim>(p, s, c);
        switch (r) {
        case 1: return star_cell<1, Dim>(p, s, c);
        case 2: return star_cell<2, Dim>(p, s, c);
        case 3: return star_cell<3, Dim>(p, s, c);
        default: return star_cell<4, Dim>(p, s, c);
        }
    };
    if constexpr (Dim == 2) {
        for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
            for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) out(i, j) = cell(&u(i, j));
    } else {
        for (gindex_t k = box.lo[2]; k < box.hi[2]; ++k)
            for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
                for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) out(i, j, k) = cell(&u(i, j, k));
    }
}

template double symbol<2>(StencilKind, const std::array<double, 2>&, const std::array<double, 2>&);
template double symbol<3>(StencilKind, const std::array<double, 3>&, const std::array<double, 3>&);
template double max_abs_symbol<2>(StencilKind, const std::array<double, 2>&);
template double max_abs_symbol<3>(StencilKind, const std::array<double, 3>&);
template void apply_stencil<2>(StencilKind, ConstView<double, 2>, View<double, 2>, const StencilCoeffs<2>&, const Box<2>&, StoreMode);
template void apply_stencil<3>(StencilKind, ConstView<double, 3>, View<double, 3>, const StencilCoeffs<3>&, const Box<3>&, StoreMode);
template void apply_stencil<2>(StencilKind, View<double, 2>, View<double, 2>, const StencilCoeffs<2>&, const Box<2>&, const RowWalls&, StoreMode);
template void apply_stencil<3>(StencilKind, View<double, 3>, View<double, 3>, const StencilCoeffs<3>&, const Box<3>&, const RowWalls&, StoreMode);
template void apply_stencil_ref<2>(StencilKind, ConstView<double, 2>, View<double, 2>, const StencilCoeffs<2>&, const Box<2>&);
template void apply_stencil_ref<3>(StencilKind, ConstView<double, 3>, View<double, 3>, const StencilCoeffs<3>&, const Box<3>&);

}  // namespace tessera::stencil
