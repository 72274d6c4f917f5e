// Discrete Laplacians on structured grids: the stencil catalogue, their symbols (for exact
// discrete solutions and stability limits) and local kernels with plain `_ref` twins.
#pragma once

#include <array>
#include <string>

#include "tessera/core/box.hpp"
#include "tessera/core/view.hpp"
#include "tessera/grid/halo_exchange.hpp"

namespace tessera::stencil {

/// Stencils of the Laplacian. Star stencils (`star1` is the 2D 5-point / 3D 7-point Laplacian,
/// `starR` the order-2R central difference of radius R along each axis) work with any
/// spacings; box stencils (2D 9-point, 3D 27-point) need equal spacings.
enum class StencilKind { star1, star2, star3, star4, box9, box27 };

/// Parses a --stencil name for dimension `dim`: "5pt" (2D) / "7pt" (3D), "9pt" (2D),
/// "27pt" (3D), "star1".."star4". Throws tessera::Error naming the valid choices.
StencilKind parse_stencil(const std::string& name, int dim);
std::string to_string(StencilKind kind, int dim);
/// Radius: how many ghost layers the stencil reads.
int radius(StencilKind kind) noexcept;
/// Which ghosts it reads: faces for star stencils, faces + edges + corners for box stencils.
grid::HaloPattern halo_pattern(StencilKind kind) noexcept;
/// Formal order of accuracy of the Laplacian (2 for star1, box9, box27; 2R for starR).
int order(StencilKind kind) noexcept;

/// Symbol of the discrete Laplacian for the Fourier/sine mode of phase `theta[d]` = k_d h_d
/// per axis: L(mode) = symbol * mode. Negative for every non-constant mode.
template <int Dim>
double symbol(StencilKind kind, const std::array<double, Dim>& theta,
              const std::array<double, Dim>& spacing);
/// Largest |symbol| over all modes: the explicit Euler step u += dt*alpha*L(u) is stable for
/// dt <= 2 / (alpha * max_abs_symbol).
template <int Dim>
double max_abs_symbol(StencilKind kind, const std::array<double, Dim>& spacing);

/// Coefficients of out = self * u + sum_d weight[d] * D_d(u), where D_d is the stencil's
/// second difference along axis d (unscaled by spacing). For box stencils only weight[0] is
/// used (equal spacings).
/// - Laplacian: self = 0, weight[d] = 1 / h_d^2.
/// - Explicit Euler heat step: self = 1, weight[d] = alpha * dt / h_d^2.
template <int Dim>
struct StencilCoeffs {
    double self = 1.0;
    std::array<double, Dim> weight{};
};

/// Ghost cells beyond the walls of the unit-stride axis (i) that a sweep fills row by row, just
/// before the row is updated, by reflection: ghost(wall side, depth m) = offset + sign *
/// u(mirror). Filling them inside the row loop avoids a separate, latency-bound strided pass
/// over the columns. Only valid for star stencils (a row reads no other row's i-ghosts).
struct RowWalls {
    bool low = false, high = false;  ///< fill beyond i = low_wall - 1 / i = high_wall
    gindex_t low_wall = 0;           ///< first cell inside the low wall
    gindex_t high_wall = 0;          ///< first cell beyond the high wall
    double sign = -1.0;              ///< -1: Dirichlet (odd reflection), +1: Neumann
    double offset = 0.0;             ///< 2 * wall value for Dirichlet
    int width = 0;                   ///< ghost layers to fill
};

/// How a sweep stores its results.
enum class StoreMode {
    automatic,  ///< streaming (non-temporal) stores when `out` is far larger than the caches
    cached,     ///< ordinary stores
    streaming,  ///< non-temporal stores: 16 instead of 24 bytes of traffic per cell
};

/// Local: out = self*u + sum_d weight[d] * D_d(u) on the cells of `box`. Reads u on `box` grown
/// by radius(kind) (ghosts must be current where that leaves the owned cells). OpenMP threads
/// over the outer axis; SIMD over i. `u` and `out` must not overlap.
template <int Dim>
void apply_stencil(StencilKind kind, ConstView<double, Dim> u, View<double, Dim> out,
                   const StencilCoeffs<Dim>& c, const Box<Dim>& box,
                   StoreMode store = StoreMode::automatic);

/// Local: as apply_stencil for a star stencil, filling each row's ghosts beyond the i walls
/// (`walls`) just before updating the row; `u` is written only in those ghost cells.
template <int Dim>
void apply_stencil(StencilKind kind, View<double, Dim> u, View<double, Dim> out,
                   const StencilCoeffs<Dim>& c, const Box<Dim>& box, const RowWalls& walls,
                   StoreMode store = StoreMode::automatic);

/// Local: updates `n` consecutive cells of one row of a 2D star stencil from the 2R+1 rows around
/// it, which need not be equally spaced in memory (rows[R] is the row itself, rows[R +- m] the
/// rows m away). Every pointer points at the first cell to update (same i in every row): cell q
/// is out[q], reading rows[.][q] and rows[R][q +- m], so pointers stay inside their buffers.
/// Same expression, same bits, as apply_stencil.
/// The building block of temporal blocking, where intermediate rows live in small buffers.
void star_row_update(StencilKind kind, const double* const* rows, double* out, index_t n,
                     const StencilCoeffs<2>& c, bool stream);

/// Local: the 3D counterpart: updates `n` cells of one row from the rows at the same j of the
/// 2R+1 planes around it (zrows[R] is the row itself, zrows[R +- m] the rows m planes away;
/// pointers at the first cell, as above); the row's j neighbours lie +-m*sy elements away.
void star_row_update(StencilKind kind, const double* const* zrows, index_t sy, double* out, index_t n,
                     const StencilCoeffs<3>& c, bool stream);

/// Local: fills one row's ghost cells beyond the i walls (see RowWalls); `row` points at the
/// row's element of global index `row_lo` (row[i - row_lo] is cell i), which must leave the
/// wall ghosts at or after it.
void fill_row_walls(double* row, gindex_t row_lo, const RowWalls& walls) noexcept;
/// Whether StoreMode::automatic uses streaming stores for a sweep over `cells` cells.
bool streams_automatically(gindex_t cells) noexcept;

/// Local: orders this thread's streaming stores before its later stores (an sfence); call at
/// the end of a thread's share of a streaming sweep, before the region's barrier.
void stream_fence() noexcept;

/// Plain serial twin of apply_stencil, written for clarity; the tests' oracle. Computes each
/// cell with the same expression, so results are bitwise equal.
template <int Dim>
void apply_stencil_ref(StencilKind kind, ConstView<double, Dim> u, View<double, Dim> out,
                       const StencilCoeffs<Dim>& c, const Box<Dim>& box);

}  // namespace tessera::stencil
