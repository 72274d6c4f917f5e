// Cartesian domain decomposition of a global grid of cells over the ranks of a communicator.
#pragma once

#include <array>

#include "tessera/core/box.hpp"
#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"

namespace tessera::grid {

/// Splits a global grid of `cells[d]` cells per axis over a process grid (MPI_Cart_create).
/// Axis 0 is the unit-stride axis; it is split last, so halos along it stay rare. Cells that do
/// not divide evenly are spread: the first `cells % procs` ranks of an axis get one more.
/// Owned boxes are in global 64-bit cell indices [0, cells).
template <int Dim>
class CartDecomp {
public:
    static_assert(Dim == 2 || Dim == 3);
    using Index = std::array<gindex_t, Dim>;

    /// Collective over `comm` (duplicated). `procs[d] == 0` lets MPI_Dims_create choose that
    /// axis. Throws CollectiveError (exit 2) when a size is not positive, when the given process
    /// grid does not multiply to comm.size(), or when an axis has more ranks than cells.
    CartDecomp(const mpi::Comm& comm, const Index& cells, const std::array<bool, Dim>& periodic,
               std::array<int, Dim> procs = {});

    /// The Cartesian communicator (ranks numbered as in the parent communicator).
    const mpi::CartComm& comm() const noexcept { return cart_; }
    const Index& global_cells() const noexcept { return cells_; }
    Box<Dim> global_box() const;
    /// Cells this rank owns, in global indices.
    const Box<Dim>& owned_box() const noexcept { return owned_; }
    /// Cells owned by the rank at process-grid coordinates `coords` (local, no communication).
    Box<Dim> owned_box_at(const std::array<int, Dim>& coords) const;
    const std::array<int, Dim>& procs() const noexcept { return procs_; }
    const std::array<int, Dim>& coords() const noexcept { return coords_; }
    bool periodic(int axis) const noexcept { return periodic_[static_cast<std::size_t>(axis)]; }
    /// Rank of the neighbour at `offset` (each entry -1, 0 or +1) or MPI_PROC_NULL beyond a
    /// non-periodic edge. Local.
    int neighbor(const std::array<int, Dim>& offset) const;
    /// True when this rank's box touches the low (side 0) or high (side 1) global edge of `axis`.
    bool at_edge(int axis, int side) const noexcept;

private:
    mpi::CartComm cart_;
    Index cells_;
    std::array<bool, Dim> periodic_;
    std::array<int, Dim> procs_{};
    std::array<int, Dim> coords_{};
    Box<Dim> owned_;
};

/// First cell and count of block `p` of `n` cells split into `parts` (remainder spread).
std::array<gindex_t, 2> split_range(gindex_t n, int parts, int p) noexcept;

}  // namespace tessera::grid
