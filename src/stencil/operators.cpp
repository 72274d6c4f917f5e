// Stencil kernels. Every cell is computed by the same expression in the optimized and the
// reference loops (no FMA contraction: see -ffp-contract=off), so they agree bitwise.
#include "tessera/stencil/operators.hpp"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"
#include "tessera/core/trace.hpp"

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
// Always inlined (and the row loops below flattened): a call left in a row-group loop stops
// its vectorization (3D runs of four rows lost most of their speed when GCC stopped inlining
// star_cell<1, 3> there; figure in docs/performance.md, Heat).
#define TESSERA_CELL inline __attribute__((always_inline))

// 9-point: (4 * (E + W + N + S) + (NE + NW + SE + SW) - 20 C) / 6, times w.
TESSERA_CELL double box9(const double* p, index_t sy, double w6) {
    const double faces = (p[-1] + p[1]) + (p[-sy] + p[sy]);
    const double corners = (p[-sy - 1] + p[-sy + 1]) + (p[sy - 1] + p[sy + 1]);
    return w6 * ((4.0 * faces + corners) - 20.0 * p[0]);
}

// 27-point: (14 * faces + 3 * edges + corners - 128 C) / 30, times w.
TESSERA_CELL double box27(const double* p, index_t sy, index_t sz, double w30) {
    const double faces = ((p[-1] + p[1]) + (p[-sy] + p[sy])) + (p[-sz] + p[sz]);
    const double edges = ((p[-sy - 1] + p[-sy + 1]) + (p[sy - 1] + p[sy + 1])) +
                         ((p[-sz - 1] + p[-sz + 1]) + (p[sz - 1] + p[sz + 1])) +
                         ((p[-sz - sy] + p[-sz + sy]) + (p[sz - sy] + p[sz + sy]));
    const double corners = ((p[-sz - sy - 1] + p[-sz - sy + 1]) + (p[-sz + sy - 1] + p[-sz + sy + 1])) +
                           ((p[sz - sy - 1] + p[sz - sy + 1]) + (p[sz + sy - 1] + p[sz + sy + 1]));
    return w30 * (((14.0 * faces + 3.0 * edges) + corners) - 128.0 * p[0]);
}

// Star-stencil coefficients folded once per sweep: centre = self + sum_d w_d a_0 and
// off[d][m - 1] = w_d a_m. A cell then costs a multiply and two adds per neighbour pair plus
// the centre term: 10 instead of 20 floating-point operations for the 3D 7-point stencil.
template <int R, int Dim>
struct StarFold {
    double centre;
    double off[Dim][R];
};

template <int R, int Dim>
TESSERA_CELL StarFold<R, Dim> fold_star(const StencilCoeffs<Dim>& c) {
    StarFold<R, Dim> f{};
    f.centre = c.self;
    for (int d = 0; d < Dim; ++d) f.centre += c.weight[d] * kStar[R][0];
    for (int d = 0; d < Dim; ++d)
        for (int m = 1; m <= R; ++m) f.off[d][m - 1] = c.weight[d] * kStar[R][m];
    return f;
}

// The star-stencil cell: lap = sum over axes d of sum_m off[d][m - 1] (u[-m] + u[+m]), then
// centre * u + lap. The scalar, Vec8 and row-pointer versions below spell out the same
// operations in the same order (plain loops, no lambdas: GCC must inline and vectorize them).
template <int R, int Dim>
TESSERA_CELL double star_cell(const double* p, const std::array<index_t, Dim>& s, const StarFold<R, Dim>& f) {
    double lap = f.off[0][0] * (p[-1] + p[1]);
    for (int m = 2; m <= R; ++m) lap += f.off[0][m - 1] * (p[-m] + p[m]);
    for (int d = 1; d < Dim; ++d) {
        double a = f.off[d][0] * (p[-s[d]] + p[s[d]]);
        for (int m = 2; m <= R; ++m) a += f.off[d][m - 1] * (p[-m * s[d]] + p[m * s[d]]);
        lap += a;
    }
    return f.centre * p[0] + lap;
}

template <int Dim>
TESSERA_CELL double box_cell(const double* p, const std::array<index_t, Dim>& s, const StencilCoeffs<Dim>& c) {
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
TESSERA_CELL Vec8 star_cell8(const double* p, const std::array<index_t, Dim>& s, const StarFold<R, Dim>& f) {
    Vec8 lap = f.off[0][0] * (load8(p - 1) + load8(p + 1));
    for (int m = 2; m <= R; ++m) lap += f.off[0][m - 1] * (load8(p - m) + load8(p + m));
    for (int d = 1; d < Dim; ++d) {
        Vec8 a = f.off[d][0] * (load8(p - s[d]) + load8(p + s[d]));
        for (int m = 2; m <= R; ++m) a += f.off[d][m - 1] * (load8(p - m * s[d]) + load8(p + m * s[d]));
        lap += a;
    }
    return f.centre * load8(p) + lap;
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


// Updates cells [i0, i1) of one row, indexed from `in` and `o` (sweep passes pointers at the
// row's first cell and i0 = 0, so no pointer leaves the allocation).
template <class Cell, class Cell8>
[[gnu::flatten]] inline void row_update(const double* in, double* o, index_t i0, index_t i1, bool stream, Cell cell,
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

// Rows updated together (unroll and jam over rows): each vector step computes the same i in
// G rows. A lone row streams three neighbouring rows through L1 per output row; a group of
// rows shares them (G + 2 rows per G outputs) and keeps more memory streams in flight: four
// rows beat one, two and eight in 2D (figures in docs/performance.md, Heat, row groups).
// The same expression per cell, so the same bits.
constexpr int kRowGroup = 4;

template <int G, class Cell, class Cell8>
[[gnu::flatten]] inline void rows_update(const double* const* in, double* const* o, index_t i0, index_t i1, bool stream,
                        Cell cell, Cell8 cell8) {
    if (!stream) {
#pragma omp simd
        for (index_t i = i0; i < i1; ++i) {
#pragma GCC unroll 4
            for (int g = 0; g < G; ++g) o[g][i] = cell(in[g] + i);
        }
        return;
    }
    bool same_alignment = true;
    for (int g = 1; g < G; ++g)
        same_alignment = same_alignment && (reinterpret_cast<std::uintptr_t>(o[g] + i0) % 64) ==
                                               (reinterpret_cast<std::uintptr_t>(o[0] + i0) % 64);
    if (!same_alignment) {
        for (int g = 0; g < G; ++g) row_update(in[g], o[g], i0, i1, true, cell, cell8);
        return;
    }
    index_t i = i0;
    for (; i < i1 && (reinterpret_cast<std::uintptr_t>(o[0] + i) % 64) != 0; ++i)
        for (int g = 0; g < G; ++g) o[g][i] = cell(in[g] + i);
    for (; i + 8 <= i1; i += 8)
        for (int g = 0; g < G; ++g) stream8(o[g] + i, cell8(in[g] + i));
    for (; i < i1; ++i)
        for (int g = 0; g < G; ++g) o[g][i] = cell(in[g] + i);
}

// Rows [lo, hi) of `rows` that thread t of nt takes under OpenMP's schedule(static) (libgomp:
// the first rows % nt threads take one row more), the split the field's first touch used.
inline std::pair<index_t, index_t> static_rows(index_t rows, index_t t, index_t nt) {
    const index_t q = rows / nt, rem = rows % nt;
    const index_t lo = t * q + std::min(t, rem);
    return {lo, lo + q + (t < rem ? 1 : 0)};
}

// Rows per j-tile of a 3D sweep. Walking k plane by plane, a tile re-reads each input row from
// cache for the 2R + 1 planes that need it if that many planes of the tile (plus the output
// rows) fit in L2; a whole 512^2 plane (2 MiB) does not, and L3 is shared with the machine's
// other tenants. The tile costs 2R extra rows of reads per tile height.
template <int Dim>
index_t j_tile(const Box<Dim>& box, index_t row_stride, int planes) {
    const index_t ny = box.hi[1] - box.lo[1];
    if constexpr (Dim == 2) {
        return ny;
    } else {
        constexpr index_t kL2Budget = index_t{1} << 20;  // one core's L2 (1 MiB); 640 KiB was slower
        const index_t row_bytes = row_stride * static_cast<index_t>(sizeof(double));
        const index_t tile = kL2Budget / ((planes + 1) * row_bytes);
        return std::clamp<index_t>(tile, 8, std::max<index_t>(ny, 1));
    }
}

// Threads over the rows of `box` (rows enumerate axes 1..), each thread the rows its static
// share at first touch gave it; in 3D a thread walks its rows in j-tiles (j_tile), plane by
// plane within a tile. `walls`, when given, fills each row's i-wall ghosts in `u_rows` before
// the row is updated (a row's own walls are the only ghosts of axis 0 it reads).
template <int Dim, class Cell, class Cell8>
void sweep(ConstView<double, Dim> u, View<double, Dim> out, const Box<Dim>& box, bool stream,
           const RowWalls* walls, View<double, Dim> u_rows, int planes, Cell cell, Cell8 cell8) {
    if (box.empty()) return;
    const index_t i0 = box.lo[0], i1 = box.hi[0], rows = box_rows(box);
    const index_t ny = box.hi[1] - box.lo[1];
    const index_t tile = j_tile<Dim>(box, u.stride()[1], planes);
    // 3D sweeps walk plane pairs, updating row j of planes k and k + 1 together: the pair
    // shares its k neighbours, so each output row pulls one row from L2 instead of two, and a
    // 3D sweep is limited by the cache-line streams a core keeps in flight, not by its bytes
    // (bench-stencil-streams, docs/performance.md). Rows of a plane stay in address order.
    // At 512^3 pairs beat runs of four rows in a plane and 2 x 2 blocks (j, j + 1 in planes
    // k, k + 1) with both kinds of stores. Lone rows (3D, ordinary stores) are not grouped.
    const bool row_groups = Dim == 2 || stream;
    // Row pointers point at the row's first cell (i = box.lo[0], inside the allocation) and
    // cells are indexed from 0; wall filling gets the storage row (from u_rows.box().lo[0]).
    const index_t n = i1 - i0;
    Box<Dim> wall_rows = box;
    wall_rows.lo[0] = u_rows.box().lo[0];
    auto fill_walls = [&](index_t r) {
        if (walls) fill_row_walls(row_begin(u_rows, wall_rows, r), wall_rows.lo[0], *walls);
    };
    // The G rows listed in `r`, updated together.
    auto update_group = [&]<int G>(const index_t (&r)[G]) {
        const double* in[G];
        double* o[G];
        for (int g = 0; g < G; ++g) {
            fill_walls(r[g]);
            in[g] = row_begin(u, box, r[g]);
            o[g] = row_begin(out, box, r[g]);
        }
        rows_update<G>(in, o, 0, n, stream, cell, cell8);
    };
    // Rows [a, b) in groups of kRowGroup consecutive rows (if row_groups), then one by one.
    auto update_rows = [&](index_t a, index_t b) {
        index_t r = a;
        for (; row_groups && r + kRowGroup <= b; r += kRowGroup) {
            index_t group[kRowGroup];
            for (int g = 0; g < kRowGroup; ++g) group[g] = r + g;
            update_group(group);
        }
        for (; r < b; ++r) {
            fill_walls(r);
            row_update(row_begin(u, box, r), row_begin(out, box, r), 0, n, stream, cell, cell8);
        }
    };
    // Each thread's share shows in traces, so that idle threads (uneven shares) are visible.
    static const std::int32_t sweep_region = trace::intern("stencil.sweep", trace::RegionKind::thread);
#pragma omp parallel
    {
        const trace::ThreadRegion traced(sweep_region);
        const auto [r0, r1] = static_rows(rows, omp_get_thread_num(), omp_get_num_threads());
        if (tile >= ny) {
            update_rows(r0, r1);
        } else {
            for (index_t jt = 0; jt < ny; jt += tile) {
                const index_t je = std::min(jt + tile, ny);
                for (index_t plane = r0 / ny; plane * ny < r1;) {
                    // A plane pair needs both planes' tile rows in this thread's share.
                    if (Dim == 3 && plane * ny + jt >= r0 && (plane + 1) * ny + je <= r1) {
                        for (index_t j = jt; j < je; ++j) {
                            const index_t pair[2] = {plane * ny + j, (plane + 1) * ny + j};
                            update_group(pair);
                        }
                        plane += 2;
                        continue;
                    }
                    const index_t a = std::max(plane * ny + jt, r0);
                    const index_t b = std::min(plane * ny + je, r1);
                    update_rows(a, b);
                    ++plane;
                }
            }
        }
#if defined(__AVX__)
        if (stream) _mm_sfence();  // streaming stores complete before anyone reads `out`
#endif
    }
}

template <int Dim>
bool use_streaming(StoreMode mode, const Box<Dim>& box) {
    return kCanStream && (mode == StoreMode::streaming ||
                          (mode == StoreMode::automatic && streams_automatically(box.size())));
}

template <int Dim, int R>
void star_dispatch(ConstView<double, Dim> u, View<double, Dim> out, const StencilCoeffs<Dim>& c,
                   const Box<Dim>& box, StoreMode store, const RowWalls* walls, View<double, Dim> u_rows) {
    const auto s = u.stride();
    const auto f = fold_star<R, Dim>(c);
    sweep<Dim>(u, out, box, use_streaming(store, box), walls, u_rows, 2 * R + 1,
               [s, f](const double* p) { return star_cell<R, Dim>(p, s, f); },
               [s, f](const double* p) { return star_cell8<R, Dim>(p, s, f); });
}

// One cell of a 2D star stencil from row pointers (rows[R] = the cell's own row).
template <int R, class T>
inline T star_rows_cell(const double* const* rows, index_t i, const StarFold<R, 2>& f, T (*load)(const double*)) {
    const double* p = rows[R] + i;
    T lap = f.off[0][0] * (load(p - 1) + load(p + 1));
    for (int m = 2; m <= R; ++m) lap += f.off[0][m - 1] * (load(p - m) + load(p + m));
    T a = f.off[1][0] * (load(rows[R - 1] + i) + load(rows[R + 1] + i));
    for (int m = 2; m <= R; ++m) a += f.off[1][m - 1] * (load(rows[R - m] + i) + load(rows[R + m] + i));
    lap += a;
    return f.centre * load(p) + lap;
}

inline double load1(const double* p) { return *p; }

template <int R>
void star_rows(const double* const* rows, double* o, index_t i0, index_t i1, const StencilCoeffs<2>& c,
               bool stream) {
    const auto f = fold_star<R, 2>(c);
    auto cell = [&](index_t i) { return star_rows_cell<R, double>(rows, i, f, load1); };
    index_t i = i0;
    if (stream && kCanStream) {
        for (; i < i1 && (reinterpret_cast<std::uintptr_t>(o + i) % 64) != 0; ++i) o[i] = cell(i);
        for (; i + 8 <= i1; i += 8) stream8(o + i, star_rows_cell<R, Vec8>(rows, i, f, load8));
    }
#pragma omp simd
    for (index_t n = i; n < i1; ++n) o[n] = cell(n);
}

// One cell of a 3D star stencil from row pointers: zrows[R] is the cell's own row, zrows[R +- m]
// the same row m planes away; its j neighbours sit +-m*sy away within its own plane.
template <int R, class T>
TESSERA_CELL T star_planes_cell(const double* const* zrows, index_t sy, index_t i, const StarFold<R, 3>& f,
                                T (*load)(const double*)) {
    const double* p = zrows[R] + i;
    T lap = f.off[0][0] * (load(p - 1) + load(p + 1));
    for (int m = 2; m <= R; ++m) lap += f.off[0][m - 1] * (load(p - m) + load(p + m));
    T a = f.off[1][0] * (load(p - sy) + load(p + sy));
    for (int m = 2; m <= R; ++m) a += f.off[1][m - 1] * (load(p - m * sy) + load(p + m * sy));
    lap += a;
    a = f.off[2][0] * (load(zrows[R - 1] + i) + load(zrows[R + 1] + i));
    for (int m = 2; m <= R; ++m) a += f.off[2][m - 1] * (load(zrows[R - m] + i) + load(zrows[R + m] + i));
    lap += a;
    return f.centre * load(p) + lap;
}

template <int R>
void star_planes(const double* const* zrows, index_t sy, double* o, index_t i0, index_t i1,
                 const StencilCoeffs<3>& c, bool stream) {
    const auto f = fold_star<R, 3>(c);
    index_t i = i0;
    if (stream && kCanStream) {
        for (; i < i1 && (reinterpret_cast<std::uintptr_t>(o + i) % 64) != 0; ++i)
            o[i] = star_planes_cell<R, double>(zrows, sy, i, f, load1);
        for (; i + 8 <= i1; i += 8) stream8(o + i, star_planes_cell<R, Vec8>(zrows, sy, i, f, load8));
    }
#pragma omp simd
    for (index_t n = i; n < i1; ++n) o[n] = star_planes_cell<R, double>(zrows, sy, n, f, load1);
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

StencilKind parse_stencil(const std::string& name, int dim) {
    if ((dim == 2 && name == "5pt") || (dim == 3 && name == "7pt") || name == "star1")
        return StencilKind::star1;
    if (name == "star2") return StencilKind::star2;
    if (name == "star3") return StencilKind::star3;
    if (name == "star4") return StencilKind::star4;
    if (dim == 2 && name == "9pt") return StencilKind::box9;
    if (dim == 3 && name == "27pt") return StencilKind::box27;
    TESSERA_CHECK(false, "parse_stencil: unknown stencil '" << name << "' for " << dim << "D (choose "
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
        sweep<Dim>(u, out, box, false, nullptr, View<double, Dim>(), 3,
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

void fill_row_walls(double* row, gindex_t row_lo, const RowWalls& w) noexcept {
    const gindex_t lo = w.low_wall - row_lo, hi = w.high_wall - row_lo;
    for (int m = 1; m <= w.width; ++m) {
        if (w.low) row[lo - m] = w.offset + w.sign * row[lo + m - 1];
        if (w.high) row[hi + m - 1] = w.offset + w.sign * row[hi - m];
    }
}

// Streaming stores pay off only when the output cannot stay in the last-level cache anyway.
bool streams_automatically(gindex_t cells) noexcept {
    constexpr gindex_t kStreamBytes = gindex_t{48} << 20;
    return kCanStream && cells * 8 > kStreamBytes;
}

void stream_fence() noexcept {
#if defined(__AVX__)
    _mm_sfence();
#endif
}

void star_row_update(StencilKind kind, const double* const* rows, double* out, index_t n,
                     const StencilCoeffs<2>& c, bool stream) {
    switch (kind) {
    case StencilKind::star1: return star_rows<1>(rows, out, 0, n, c, stream);
    case StencilKind::star2: return star_rows<2>(rows, out, 0, n, c, stream);
    case StencilKind::star3: return star_rows<3>(rows, out, 0, n, c, stream);
    case StencilKind::star4: return star_rows<4>(rows, out, 0, n, c, stream);
    default: TESSERA_CHECK(false, "star_row_update: not a star stencil");
    }
}

void star_row_update(StencilKind kind, const double* const* zrows, index_t sy, double* out, index_t n,
                     const StencilCoeffs<3>& c, bool stream) {
    switch (kind) {
    case StencilKind::star1: return star_planes<1>(zrows, sy, out, 0, n, c, stream);
    case StencilKind::star2: return star_planes<2>(zrows, sy, out, 0, n, c, stream);
    case StencilKind::star3: return star_planes<3>(zrows, sy, out, 0, n, c, stream);
    case StencilKind::star4: return star_planes<4>(zrows, sy, out, 0, n, c, stream);
    default: TESSERA_CHECK(false, "star_row_update: not a star stencil");
    }
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
        case 1: return star_cell<1, Dim>(p, s, fold_star<1, Dim>(c));
        case 2: return star_cell<2, Dim>(p, s, fold_star<2, Dim>(c));
        case 3: return star_cell<3, Dim>(p, s, fold_star<3, Dim>(c));
        default: return star_cell<4, Dim>(p, s, fold_star<4, Dim>(c));
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
