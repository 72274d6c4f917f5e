// Physical boundary conditions by reflection across the wall.
#include "tessera/grid/boundary.hpp"

#include "tessera/core/error.hpp"

namespace tessera::grid {

BoundaryKind parse_boundary_kind(const std::string& name) {
    if (name == "dirichlet") return BoundaryKind::dirichlet;
    if (name == "neumann") return BoundaryKind::neumann;
    if (name == "periodic") return BoundaryKind::periodic;
    TESSERA_CHECK(false, "unknown boundary condition '" << name
                                                        << "' (dirichlet, neumann or periodic)");
    return BoundaryKind::dirichlet;
}

const char* to_string(BoundaryKind kind) noexcept {
    switch (kind) {
    case BoundaryKind::dirichlet: return "dirichlet";
    case BoundaryKind::neumann: return "neumann";
    case BoundaryKind::periodic: return "periodic";
    }
    return "?";
}

template <class T, int Dim>
void apply_boundaries(Field<T, Dim>& field, const std::type_identity_t<std::array<Boundary, Dim>>& bc,
                      int width, int first_axis) {
    const auto& decomp = field.decomp();
    const auto storage = field.storage_box();
    auto v = field.view();
    for (int d = first_axis; d < Dim; ++d) {
        if (bc[d].kind == BoundaryKind::periodic) continue;
        const double sign = bc[d].kind == BoundaryKind::dirichlet ? -1.0 : 1.0;
        const T offset = static_cast<T>(bc[d].kind == BoundaryKind::dirichlet ? 2.0 * bc[d].value : 0.0);
        for (int side = 0; side < 2; ++side) {
            if (!decomp.at_edge(d, side)) continue;
            const gindex_t wall = side == 0 ? 0 : decomp.global_cells()[d];  // first index beyond
            // Ghost at depth m (1..width) mirrors the owned cell at depth m on the other side.
            Box<Dim> slab = storage;
            for (int m = 1; m <= width; ++m) {
                const gindex_t ghost = side == 0 ? wall - m : wall + m - 1;
                const gindex_t mirror = side == 0 ? wall + m - 1 : wall - m;
                slab.lo[d] = ghost;
                slab.hi[d] = ghost + 1;
                const auto lo = slab.lo, hi = slab.hi;
                if constexpr (Dim == 2) {
                    for (gindex_t j = lo[1]; j < hi[1]; ++j)
                        for (gindex_t i = lo[0]; i < hi[0]; ++i) {
                            const gindex_t mi = d == 0 ? mirror : i, mj = d == 1 ? mirror : j;
                            v(i, j) = static_cast<T>(offset + sign * v(mi, mj));
                        }
                } else {
#pragma omp parallel for schedule(static) if (slab.size() > (1 << 15))
                    for (gindex_t k = lo[2]; k < hi[2]; ++k)
                        for (gindex_t j = lo[1]; j < hi[1]; ++j)
                            for (gindex_t i = lo[0]; i < hi[0]; ++i) {
                                const gindex_t mi = d == 0 ? mirror : i, mj = d == 1 ? mirror : j,
                                               mk = d == 2 ? mirror : k;
                                v(i, j, k) = static_cast<T>(offset + sign * v(mi, mj, mk));
                            }
                }
            }
        }
    }
}

template void apply_boundaries<double, 2>(Field<double, 2>&, const std::array<Boundary, 2>&, int, int);
template void apply_boundaries<double, 3>(Field<double, 3>&, const std::array<Boundary, 3>&, int, int);
template void apply_boundaries<float, 2>(Field<float, 2>&, const std::array<Boundary, 2>&, int, int);
template void apply_boundaries<float, 3>(Field<float, 3>&, const std::array<Boundary, 3>&, int, int);

}  // namespace tessera::grid
