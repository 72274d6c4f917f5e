// Temporal blocking: k explicit Euler steps of a star stencil in one pass over memory.
//
// Level s (s = 0..k) is the field after s steps. Level 0 is u, copied row by row into the
// rings (u is only read); level k goes to `next`; levels in between live in small per-thread
// rings that stay in cache. Level s is computed on
// the owned cells grown by (k - s) R towards every neighbouring rank (and neighbouring thread
// bands and tiles: that margin is recomputed, never shared), so nothing is communicated inside
// the block. Wall ghosts of every level are the same reflections a single step makes, so every
// cell sees exactly the values it sees in k single steps: the same bits.
#include "temporal_blocking.hpp"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/grid/boundary.hpp"

namespace tessera::stencil::detail {

namespace {

// Reflection of a wall ghost: offset + sign * mirror (Dirichlet odd, Neumann even).
struct Reflection {
    double sign, offset;
    explicit Reflection(const grid::Boundary& b)
        : sign(b.kind == grid::BoundaryKind::dirichlet ? -1.0 : 1.0),
          offset(b.kind == grid::BoundaryKind::dirichlet ? 2.0 * b.value : 0.0) {}
};

// Which faces of this rank's box have a neighbouring rank (periodic wraps count).
template <int Dim>
std::array<std::array<bool, 2>, Dim> neighbour_faces(const grid::CartDecomp<Dim>& dec) {
    std::array<std::array<bool, 2>, Dim> has{};
    for (int d = 0; d < Dim; ++d)
        for (int side = 0; side < 2; ++side) {
            std::array<int, Dim> offset{};
            offset[d] = side == 0 ? -1 : 1;
            has[d][side] = dec.neighbor(offset) != MPI_PROC_NULL;
        }
    return has;
}

// The i-wall reflections of the rows: only where no rank neighbours this one along i.
template <int Dim>
RowWalls i_walls(RowWalls walls, const std::array<std::array<bool, 2>, Dim>& has) {
    walls.low = !has[0][0];
    walls.high = !has[0][1];
    return walls;
}

// This thread's ring buffer, at least `size` doubles: grown on first use, reused afterwards.
// `rings` must have an entry per thread (size_rings before the parallel region).
double* thread_ring(ThreadRings& rings, std::size_t size) {
    auto& ring = rings[static_cast<std::size_t>(omp_get_thread_num())];
    if (ring.size() < size) ring.resize(size);
    return ring.data();
}
void size_rings(ThreadRings& rings) {
    const auto threads = static_cast<std::size_t>(omp_get_max_threads());
    if (rings.size() < threads) rings.resize(threads);
}

// Whether the last step's stores stream (the rule the single-step sweep applies).
template <int Dim>
bool streams(const HeatParams<Dim>& p, gindex_t cells) {
    return p.store == StoreMode::streaming || (p.store == StoreMode::automatic && streams_automatically(cells));
}

}  // namespace

// 2D: each thread owns a band of output rows and walks it with a row pipeline: level 0 rows are
// copied from u, level s rows (s = 1..k-1) are computed from the 2R + 1 level s-1 rows around
// them and kept in a ring of 2R + 1 rows per level, level k rows are written to `next`.
void blocked_steps(const grid::Field<double, 2>& u, grid::Field<double, 2>& next, const HeatParams<2>& params,
                   const StencilCoeffs<2>& coeffs, const RowWalls& walls, int k, ThreadRings& rings) {
    const int R = radius(params.stencil);
    const gindex_t W = static_cast<gindex_t>(k) * R;
    const auto owned = u.owned_box();
    const gindex_t X0 = owned.lo[0], X1 = owned.hi[0], Y0 = owned.lo[1], Y1 = owned.hi[1];
    const auto has = neighbour_faces(u.decomp());
    const bool nx_lo = has[0][0], nx_hi = has[0][1], ny_lo = has[1][0], ny_hi = has[1][1];
    auto xa = [&](int s) { return nx_lo ? X0 - (k - s) * R : X0; };
    auto xb = [&](int s) { return nx_hi ? X1 + (k - s) * R : X1; };
    const Reflection ry(params.bc[1]);
    const RowWalls wx = i_walls<2>(walls, has);
    const gindex_t row_lo = X0 - W - R, row_len = (X1 + W + R) - row_lo;
    const int M = 2 * R + 1;
    const bool stream = streams(params, owned.size());
    const auto uv = u.view();
    const auto nv = next.view();
    size_rings(rings);
    ThreadExceptionTrap trap;
#pragma omp parallel
    trap.run([&] {
        const int T = omp_get_num_threads(), t = omp_get_thread_num();
        const auto [first, count] = grid::split_range(Y1 - Y0, T, t);
        const gindex_t B0 = Y0 + first, B1 = B0 + count;
        double* const ring = thread_ring(rings, static_cast<std::size_t>(k * M * row_len));
        // Ring row of row j at level s; it starts at global i = row_lo (cell i is [i - row_lo]),
        // so every pointer formed stays inside the ring.
        auto row = [&](int s, gindex_t j) {
            const gindex_t slot = ((j % M) + M) % M;
            return ring + (s * M + slot) * row_len;
        };
        // Rows level s computes (or, for s = 0, copies) in this band.
        auto lo = [&](int s) { return std::max(ny_lo ? Y0 - (k - s) * R : Y0, B0 - (k - s) * R); };
        auto hi = [&](int s) { return std::min(ny_hi ? Y1 + (k - s) * R : Y1, B1 + (k - s) * R); };
        auto reflect_y = [&](int s, gindex_t ghost, gindex_t mirror) {
            const gindex_t a = xa(s) - (wx.low ? R : 0), b = xb(s) + (wx.high ? R : 0);
            const double* m = row(s, mirror) + (a - row_lo);
            double* g = row(s, ghost) + (a - row_lo);
            for (gindex_t q = 0; q < b - a; ++q) g[q] = ry.offset + ry.sign * m[q];
        };
        const double* rows[9];
        for (gindex_t jj = lo(0); jj < B1 + W + R; ++jj) {
            for (int s = 0; s <= k; ++s) {
                const gindex_t j = jj - static_cast<gindex_t>(s) * R;
                if (s < k && !ny_hi && j >= Y1 && j < Y1 + R && hi(s) == Y1) {
                    reflect_y(s, j, 2 * Y1 - 1 - j);  // ghost beyond the high wall
                    continue;
                }
                if (j < lo(s) || j >= hi(s)) continue;
                if (s == 0) {
                    std::copy(&uv(xa(0), j), &uv(xa(0), j) + (xb(0) - xa(0)), row(0, j) + (xa(0) - row_lo));
                } else {
                    // Level s updates cells [xa(s), xb(s)) (at s = k: the owned [X0, X1)).
                    for (int m = -R; m <= R; ++m) rows[R + m] = row(s - 1, j + m) + (xa(s) - row_lo);
                    if (s < k)
                        star_row_update(params.stencil, rows, row(s, j) + (xa(s) - row_lo), xb(s) - xa(s), coeffs,
                                        false);
                    else
                        star_row_update(params.stencil, rows, &nv(X0, j), X1 - X0, coeffs, stream);
                }
                if (s == k) continue;
                if (wx.low || wx.high) fill_row_walls(row(s, j), row_lo, wx);
                // Ghosts beyond the low wall, once their mirror rows exist at this level.
                if (!ny_lo && lo(s) == Y0 && j == Y0 + R - 1)
                    for (int m = 1; m <= R; ++m) reflect_y(s, Y0 - m, Y0 + m - 1);
            }
        }
        if (stream) stream_fence();
    });
    trap.rethrow();
}

// 3D: each thread owns a band of output planes and walks it tile by tile (a tile: a range of j
// rows, small enough that the rings of every level stay in cache) with a plane pipeline: level 0
// planes are copied from u, level s planes (s = 1..k-1) are computed from the 2R + 1 level s-1
// planes around them and kept in a ring of 2R + 1 planes per level, level k planes are written
// to `next`. u is only read: wall ghosts are made in the rings.
void blocked_steps(const grid::Field<double, 3>& u, grid::Field<double, 3>& next, const HeatParams<3>& params,
                   const StencilCoeffs<3>& coeffs, const RowWalls& walls, int k, ThreadRings& rings) {
    const int R = radius(params.stencil);
    const gindex_t W = static_cast<gindex_t>(k) * R;
    const auto owned = u.owned_box();
    const auto has = neighbour_faces(u.decomp());
    // Cells [lo, hi) of level s along axis d for the output range [a, b) (a band or a tile).
    auto grow_lo = [&](int d, int s, gindex_t a) {
        return std::max(has[d][0] ? owned.lo[d] - (k - s) * R : owned.lo[d], a - (k - s) * R);
    };
    auto grow_hi = [&](int d, int s, gindex_t b) {
        return std::min(has[d][1] ? owned.hi[d] + (k - s) * R : owned.hi[d], b + (k - s) * R);
    };
    const gindex_t X0 = owned.lo[0], X1 = owned.hi[0], Y0 = owned.lo[1], Y1 = owned.hi[1];
    const gindex_t Z0 = owned.lo[2], Z1 = owned.hi[2];
    const Reflection ry(params.bc[1]), rz(params.bc[2]);
    const RowWalls wx = i_walls<3>(walls, has);
    const gindex_t row_lo = X0 - W - R, row_len = (X1 + W + R) - row_lo;
    const int M = 2 * R + 1;
    // Tile height: the rings of a thread (k levels of 2R + 1 planes) take about 3 MiB, in L3.
    // Taller tiles recompute fewer margin rows (2 (k - s) R per level and tile); rings that fit
    // in L2 (1 MiB: 8-20 rows at 512^2) lost more to the margins than they gained, and rings
    // beyond 4-5 MiB per thread fell out of L3 (512^3, 2 threads, docs/performance.md).
    constexpr gindex_t kRingBudget = gindex_t{3} << 20;
    const gindex_t row_bytes = row_len * static_cast<gindex_t>(sizeof(double));
    const gindex_t fit = std::max<gindex_t>(kRingBudget / (k * M * row_bytes) - 2 * W, 8);
    const gindex_t tile_h =
        std::clamp<gindex_t>(params.block_rows > 0 ? params.block_rows : fit, 1, std::max<gindex_t>(Y1 - Y0, 1));
    const gindex_t plane_rows = tile_h + 2 * W + 2 * R, plane = plane_rows * row_len;
    const bool stream = streams(params, owned.size());
    const auto uv = u.view();
    const auto nv = next.view();
    size_rings(rings);
    ThreadExceptionTrap trap;
#pragma omp parallel
    trap.run([&] {
        const int T = omp_get_num_threads(), t = omp_get_thread_num();
        const auto [first, count] = grid::split_range(Z1 - Z0, T, t);
        const gindex_t B0 = Z0 + first, B1 = B0 + count;
        if (count == 0) return;
        double* const ring = thread_ring(rings, static_cast<std::size_t>(k * M * plane));
        for (gindex_t J0 = Y0; J0 < Y1; J0 += tile_h) {
            const gindex_t J1 = std::min(J0 + tile_h, Y1);
            const gindex_t first_row = J0 - W - R;  // the rings' row 0
            // Row j of plane z at level s < k; it starts at global i = row_lo (cell i is
            // [i - row_lo]), so every pointer formed stays inside the ring.
            auto row = [&](int s, gindex_t z, gindex_t j) {
                const gindex_t slot = ((z % M) + M) % M;
                return ring + (s * M + slot) * plane + (j - first_row) * row_len;
            };
            auto xa = [&](int s) { return grow_lo(0, s, X0); };
            auto xb = [&](int s) { return grow_hi(0, s, X1); };
            auto ya = [&](int s) { return grow_lo(1, s, J0); };
            auto yb = [&](int s) { return grow_hi(1, s, J1); };
            auto za = [&](int s) { return grow_lo(2, s, B0); };
            auto zb = [&](int s) { return grow_hi(2, s, B1); };
            auto reflect_row = [&](double* g, const double* m, const Reflection& r, int s) {
                const gindex_t a = xa(s) - row_lo, n = xb(s) - xa(s);
                for (gindex_t q = 0; q < n; ++q) g[a + q] = r.offset + r.sign * m[a + q];
            };
            // Ghost plane beyond a k wall (only the rows and columns level s + 1 reads).
            auto reflect_plane = [&](int s, gindex_t ghost, gindex_t mirror) {
                for (gindex_t j = ya(s); j < yb(s); ++j) reflect_row(row(s, ghost, j), row(s, mirror, j), rz, s);
            };
            const double* zrows[9];
            for (gindex_t zz = za(0); zz < zb(k) + W; ++zz) {
                for (int s = 0; s <= k; ++s) {
                    const gindex_t z = zz - static_cast<gindex_t>(s) * R;
                    if (s < k && !has[2][1] && zb(s) == Z1 && z >= Z1 && z < Z1 + R) {
                        reflect_plane(s, z, 2 * Z1 - 1 - z);  // ghost beyond the high k wall
                        continue;
                    }
                    if (z < za(s) || z >= zb(s)) continue;
                    if (s == 0) {
                        for (gindex_t j = ya(0); j < yb(0); ++j)
                            std::copy(&uv(xa(0), j, z), &uv(xa(0), j, z) + (xb(0) - xa(0)),
                                      row(0, z, j) + (xa(0) - row_lo));
                    } else {
                        // Level s updates cells [xa(s), xb(s)) (at s = k: the owned [X0, X1)).
                        const gindex_t a = xa(s) - row_lo, n = xb(s) - xa(s);
                        for (gindex_t j = ya(s); j < yb(s); ++j) {
                            for (int m = -R; m <= R; ++m) zrows[R + m] = row(s - 1, z + m, j) + a;
                            if (s < k)
                                star_row_update(params.stencil, zrows, row_len, row(s, z, j) + a, n, coeffs, false);
                            else
                                star_row_update(params.stencil, zrows, row_len, &nv(X0, j, z), n, coeffs, stream);
                        }
                    }
                    if (s == k) continue;
                    if (wx.low || wx.high)
                        for (gindex_t j = ya(s); j < yb(s); ++j) fill_row_walls(row(s, z, j), row_lo, wx);
                    if (!has[1][0] && ya(s) == Y0)
                        for (int m = 1; m <= R; ++m) reflect_row(row(s, z, Y0 - m), row(s, z, Y0 + m - 1), ry, s);
                    if (!has[1][1] && yb(s) == Y1)
                        for (int m = 1; m <= R; ++m) reflect_row(row(s, z, Y1 + m - 1), row(s, z, Y1 - m), ry, s);
                    // Ghost planes beyond the low k wall, once their mirror planes exist.
                    if (!has[2][0] && za(s) == Z0 && z == Z0 + R - 1)
                        for (int m = 1; m <= R; ++m) reflect_plane(s, Z0 - m, Z0 + m - 1);
                }
            }
        }
        if (stream) stream_fence();
    });
    trap.rethrow();
}

}  // namespace tessera::stencil::detail
