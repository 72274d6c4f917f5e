// Split-phase halo exchange for Fields: buffers and persistent requests built once, reused.
#pragma once

#include <vector>

#include "tessera/core/mpi.hpp"
#include "tessera/grid/field.hpp"

namespace tessera::grid {

/// Which ghost cells an exchange fills: faces only (star stencils) or faces, edges and corners
/// (box stencils).
enum class HaloPattern { faces, full };

/// Fills the ghost cells of a Field with the owned values of its neighbours (periodic axes
/// wrap; beyond a non-periodic edge nothing is received: boundary conditions fill those).
/// Packs into contiguous buffers and uses persistent requests, all created in the
/// constructor and reused by every start()/finish() pair. start()/finish() are
/// neighbour-collective (each rank's finish() waits for its neighbours' start()), not local.
///
///     halo.start(u);            // pack, MPI_Startall
///     update(interior);         // work that reads no ghost cell
///     halo.finish(u);           // MPI_Waitall, unpack
template <class T, int Dim>
class HaloExchange {
public:
    /// Collective over the field's decomposition: checks that every rank's owned box is at
    /// least `width` cells wide and `width` <= the field's ghost width (CollectiveError).
    /// Any field passed later must have the same decomposition and ghost width as `like`.
    HaloExchange(const Field<T, Dim>& like, int width, HaloPattern pattern);

    /// Neighbour-collective over decomp.comm(): finish() waits for every neighbour's start().
    /// start() itself does not block: it packs the owned cells neighbours need and starts the
    /// transfers. Every rank must pair it with finish(); a neighbour that never calls start()
    /// leaves this rank's finish() waiting forever.
    void start(const Field<T, Dim>& field);
    /// Neighbour-collective over decomp.comm(): waits for the transfers this rank and its
    /// neighbours started (so blocks until every neighbour has called start()), then writes
    /// the ghost cells of `field`.
    void finish(Field<T, Dim>& field);
    /// Neighbour-collective over decomp.comm(): start() then finish().
    void exchange(Field<T, Dim>& field) {
        start(field);
        finish(field);
    }
    int width() const noexcept { return width_; }
    HaloPattern pattern() const noexcept { return pattern_; }

private:
    struct Link {
        int peer = -1;                // the neighbour rank
        Box<Dim> send_box, recv_box;  // owned cells sent, ghost cells received
        std::vector<T> send_buf, recv_buf;
    };
    void check_layout(const Field<T, Dim>& field) const;
    const CartDecomp<Dim>* decomp_;
    int ghost_;
    int width_;
    HaloPattern pattern_;
    std::vector<Link> links_;
    mpi::PersistentRequests requests_;
};

}  // namespace tessera::grid
