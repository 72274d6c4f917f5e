// Cartesian decomposition: process grid choice, owned boxes, neighbours.
#include "tessera/grid/cart_decomp.hpp"

#include <algorithm>
#include <sstream>

#include "tessera/core/error.hpp"

namespace tessera::grid {

std::array<gindex_t, 2> split_range(gindex_t n, int parts, int p) noexcept {
    const gindex_t q = n / parts, r = n % parts;
    const gindex_t first = p * q + std::min<gindex_t>(p, r);
    return {first, q + (p < r ? 1 : 0)};
}

template <int Dim>
CartDecomp<Dim>::CartDecomp(const mpi::Comm& comm, const Index& cells,
                            const std::array<bool, Dim>& periodic, std::array<int, Dim> procs)
    : cells_(cells), periodic_(periodic) {
    static const char* axis_name[] = {"x", "y", "z"};
    for (int d = 0; d < Dim; ++d)
        TESSERA_CHECK_ALL(comm, cells[d] > 0,
                          "CartDecomp: cells: " << axis_name[d] << " has " << cells[d] << " cells; need at least 1");
    // Global indices and sizes are 64-bit: the cell count itself must fit.
    gindex_t total = 1;
    bool overflow = false;
    std::ostringstream shape;
    for (int d = 0; d < Dim; ++d) {
        overflow = overflow || __builtin_mul_overflow(total, cells[d], &total);
        shape << (d ? " x " : "") << cells[d];
    }
    TESSERA_CHECK_ALL(comm, !overflow, "CartDecomp: cells: " << shape.str() << " cells overflow 64-bit global indices");
    long long product = 1;
    bool any_free = false;
    for (int d = 0; d < Dim; ++d) {
        TESSERA_CHECK_ALL(comm, procs[d] >= 0, "CartDecomp: procs: negative process count " << procs[d]);
        if (procs[d] == 0) any_free = true; else product *= procs[d];
    }
    TESSERA_CHECK_ALL(comm, any_free ? comm.size() % product == 0 : product == comm.size(),
                      "CartDecomp: procs: a process grid of " << product << " ranks does not fit "
                                                    << comm.size() << " ranks");
    // MPI_Dims_create returns non-increasing counts; give the largest to the slowest axis so
    // that halos along the unit-stride axis (strided, costlier to pack) are the rarest.
    std::array<int, Dim> rev{};
    for (int d = 0; d < Dim; ++d) rev[d] = procs[Dim - 1 - d];
    TESSERA_MPI_CALL(MPI_Dims_create(comm.size(), Dim, rev.data()));
    for (int d = 0; d < Dim; ++d) procs_[d] = rev[Dim - 1 - d];
    for (int d = 0; d < Dim; ++d)
        TESSERA_CHECK_ALL(comm, procs_[d] <= cells[d],
                          "CartDecomp: cells: " << procs_[d] << " ranks along " << axis_name[d] << " but only "
                                      << cells[d] << " cells");
    std::array<int, Dim> per{};
    for (int d = 0; d < Dim; ++d) per[d] = periodic[d] ? 1 : 0;
    cart_ = mpi::CartComm::create(comm, procs_, per);
    const auto c = cart_.coords(cart_.rank());
    std::copy(c.begin(), c.end(), coords_.begin());
    owned_ = owned_box_at(coords_);
}

template <int Dim>
Box<Dim> CartDecomp<Dim>::global_box() const {
    Box<Dim> b;
    for (int d = 0; d < Dim; ++d) b.hi[d] = cells_[d];
    return b;
}

template <int Dim>
Box<Dim> CartDecomp<Dim>::owned_box_at(const std::array<int, Dim>& coords) const {
    Box<Dim> b;
    for (int d = 0; d < Dim; ++d) {
        const auto [first, count] = split_range(cells_[d], procs_[d], coords[d]);
        b.lo[d] = first;
        b.hi[d] = first + count;
    }
    return b;
}

template <int Dim>
int CartDecomp<Dim>::neighbor(const std::array<int, Dim>& offset) const {
    std::array<int, Dim> c{};
    for (int d = 0; d < Dim; ++d) c[d] = coords_[d] + offset[d];
    return cart_.rank_at(c);
}

template <int Dim>
bool CartDecomp<Dim>::at_edge(int axis, int side) const noexcept {
    return side == 0 ? owned_.lo[axis] == 0 : owned_.hi[axis] == cells_[axis];
}

template class CartDecomp<2>;
template class CartDecomp<3>;

}  // namespace tessera::grid
