// Physical boundary conditions: fill the ghost cells beyond the global edges of the domain.
#pragma once

#include <array>
#include <string>
#include <type_traits>

#include "tessera/grid/field.hpp"

namespace tessera::grid {

/// Boundary condition on both ends of one axis of a cell-centred grid.
/// - dirichlet: the value at the wall (half a cell beyond the last cell centre) is `value`;
///   ghosts are the odd reflection 2*value - u(mirror), which keeps sine modes exact.
/// - neumann: zero normal derivative at the wall; ghosts are the even reflection u(mirror).
/// - periodic: the decomposition wraps the axis and the halo exchange fills the ghosts.
enum class BoundaryKind { dirichlet, neumann, periodic };

struct Boundary {
    BoundaryKind kind = BoundaryKind::dirichlet;
    double value = 0.0;  ///< wall value for dirichlet
};

/// Parses "dirichlet", "neumann" or "periodic"; throws tessera::Error otherwise.
BoundaryKind parse_boundary_kind(const std::string& name);
const char* to_string(BoundaryKind kind) noexcept;

/// Local: fills the ghost layers (up to `width` deep) beyond the global edges that this rank
/// touches, for every non-periodic axis from `first_axis` on, axis by axis over the full
/// storage extent of the other axes (so corners are consistent when the halo exchange filled
/// edge ghosts first). Reads only cells inside the domain.
template <class T, int Dim>
void apply_boundaries(Field<T, Dim>& field, const std::type_identity_t<std::array<Boundary, Dim>>& bc,
                      int width, int first_axis = 0);

}  // namespace tessera::grid
