// ProcessGrid2D: a P x Q grid of ranks with row and column sub-communicators, the layout
// every distributed matrix of tessera::linalg lives on.
#pragma once

#include <array>

#include "tessera/core/mpi.hpp"

namespace tessera::linalg {

/// Local: the near-square factorization P x Q of `ranks` (P <= Q, P the largest divisor of
/// `ranks` not above its square root): 1 -> 1x1, 2 -> 1x2, 4 -> 2x2, 6 -> 2x3, 7 -> 1x7.
std::array<int, 2> near_square_grid(int ranks);

/// A P x Q process grid over a duplicate of a user's communicator. Rank r of that communicator
/// sits at grid position (r / Q, r % Q) (row-major). Process row p's ranks form row_comm()
/// (size Q, rank = column index) and process column q's ranks form col_comm() (size P, rank =
/// row index). Move-only; matrices keep a pointer to their grid, which must outlive them.
class ProcessGrid2D {
public:
    /// Collective over `comm`. `procs` = {P, Q}; {0, 0} picks near_square_grid(comm.size()).
    /// Throws CollectiveError (exit 2) naming the parameter ("ProcessGrid2D: procs: ...") when P * Q != comm.size() or P or Q < 1.
    explicit ProcessGrid2D(const mpi::Comm& comm, std::array<int, 2> procs = {0, 0});

    ProcessGrid2D(ProcessGrid2D&&) noexcept = default;
    ProcessGrid2D& operator=(ProcessGrid2D&&) noexcept = default;

    int rows() const noexcept { return p_; }     ///< P
    int cols() const noexcept { return q_; }     ///< Q
    int row() const noexcept { return row_; }    ///< this rank's process row, in [0, P)
    int col() const noexcept { return col_; }    ///< this rank's process column, in [0, Q)
    /// Rank in comm() of grid position (p, q).
    int rank_of(int p, int q) const noexcept { return p * q_ + q; }

    const mpi::Comm& comm() const noexcept { return comm_; }
    const mpi::Comm& row_comm() const noexcept { return row_comm_; }
    const mpi::Comm& col_comm() const noexcept { return col_comm_; }

private:
    mpi::Comm comm_, row_comm_, col_comm_;
    int p_ = 1, q_ = 1, row_ = 0, col_ = 0;
};

}  // namespace tessera::linalg
