// Temporal blocking of the explicit Euler heat step (star stencils): k steps in one pass over
// memory. Private to the stencil module; HeatStepper::advance is the public entry point.
#pragma once

#include "tessera/grid/field.hpp"
#include "tessera/stencil/heat.hpp"

namespace tessera::stencil::detail {

/// Local (OpenMP threads inside): writes into `next` the owned cells of u after k steps. The
/// ghosts of u, k*R deep, must hold the neighbours' values (a full-pattern exchange just
/// before); wall ghosts are made here, at every intermediate step, as single steps make them.
/// `walls` are the i-wall reflections the single step uses. `rings` holds each thread's ring
/// buffers, grown on first use and reused by later calls. Same bits as k calls of step().
void blocked_steps(const grid::Field<double, 2>& u, grid::Field<double, 2>& next, const HeatParams<2>& params,
                   const StencilCoeffs<2>& coeffs, const RowWalls& walls, int k, ThreadRings& rings);
void blocked_steps(const grid::Field<double, 3>& u, grid::Field<double, 3>& next, const HeatParams<3>& params,
                   const StencilCoeffs<3>& coeffs, const RowWalls& walls, int k, ThreadRings& rings);

}  // namespace tessera::stencil::detail
