// ProcessGrid2D: factorization and sub-communicators.
#include "tessera/linalg/process_grid.hpp"

namespace tessera::linalg {

std::array<int, 2> near_square_grid(int ranks) {
    TESSERA_CHECK(ranks >= 1, "near_square_grid: ranks = " << ranks << " must be positive");
    int p = 1;
    for (int d = 1; d * d <= ranks; ++d)
        if (ranks % d == 0) p = d;
    return {p, ranks / p};
}

ProcessGrid2D::ProcessGrid2D(const mpi::Comm& comm, std::array<int, 2> procs) {
    if (procs[0] == 0 && procs[1] == 0) procs = near_square_grid(comm.size());
    TESSERA_CHECK_ALL(comm, procs[0] >= 1 && procs[1] >= 1 &&
                                static_cast<long long>(procs[0]) * procs[1] == comm.size(),
                      "ProcessGrid2D: procs: a " << procs[0] << " x " << procs[1] << " process grid needs "
                                    << static_cast<long long>(procs[0]) * procs[1]
                                    << " ranks, but there are " << comm.size());
    comm_ = comm.duplicate();
    p_ = procs[0];
    q_ = procs[1];
    row_ = comm_.rank() / q_;
    col_ = comm_.rank() % q_;
    row_comm_ = comm_.split(row_, col_);
    col_comm_ = comm_.split(col_, row_);
}

}  // namespace tessera::linalg
