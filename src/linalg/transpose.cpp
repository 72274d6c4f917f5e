// Distributed transpose by one MPI_Alltoallv.
//
// Sender and receiver agree on the order of the values in every message without sending
// indices: the sender walks its part of A column by column (global column j, then row i, both
// increasing), and the receiver walks its part of B = A^T row by row (B's row = A's column j,
// then B's column = A's row i, both increasing); restricted to one peer both walks visit the
// same elements in the same (j, i) order, because local indices grow with global ones.
#include "tessera/linalg/transpose.hpp"

#include <climits>
#include <vector>

#include "tessera/core/timer.hpp"

namespace tessera::linalg {

namespace {

std::vector<int> displacements(const std::vector<int>& counts) {
    std::vector<int> d(counts.size(), 0);
    long long total = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
        d[r] = static_cast<int>(total);
        total += counts[r];
    }
    TESSERA_CHECK(total <= INT_MAX, "transpose: local part too large for one exchange");
    return d;
}

}  // namespace

DistMatrix<double> transpose(const DistMatrix<double>& A) {
    ScopedTimer timer("linalg.transpose");
    const auto& g = A.grid();
    const int Q = g.cols(), ranks = g.comm().size();
    DistMatrix<double> B(g, A.cols(), A.rows(), A.block());

    // A(i, j) moves to B(j, i), owned by grid position (owner of row j in B, owner of col i).
    std::vector<int> dest_col(static_cast<std::size_t>(A.local_rows()));
    for (index_t li = 0; li < A.local_rows(); ++li)
        dest_col[static_cast<std::size_t>(li)] = B.col_layout().owner(A.global_row(li));
    std::vector<int> send_counts(static_cast<std::size_t>(ranks), 0);
    for (index_t lj = 0; lj < A.local_cols(); ++lj) {
        const int prow = B.row_layout().owner(A.global_col(lj));
        for (index_t li = 0; li < A.local_rows(); ++li)
            ++send_counts[static_cast<std::size_t>(prow * Q + dest_col[static_cast<std::size_t>(li)])];
    }
    const auto send_displs = displacements(send_counts);
    std::vector<double> send(static_cast<std::size_t>(A.local_rows() * A.local_cols()));
    {
        auto pos = send_displs;
        for (index_t lj = 0; lj < A.local_cols(); ++lj) {
            const int prow = B.row_layout().owner(A.global_col(lj));
            for (index_t li = 0; li < A.local_rows(); ++li) {
                const auto r = static_cast<std::size_t>(prow * Q + dest_col[static_cast<std::size_t>(li)]);
                send[static_cast<std::size_t>(pos[r]++)] = A.local(li, lj);
            }
        }
    }

    // B(r, c) = A(c, r) comes from grid position (owner of row c in A, owner of col r in A).
    std::vector<int> src_row(static_cast<std::size_t>(B.local_cols()));
    for (index_t lc = 0; lc < B.local_cols(); ++lc)
        src_row[static_cast<std::size_t>(lc)] = A.row_layout().owner(B.global_col(lc));
    std::vector<int> recv_counts(static_cast<std::size_t>(ranks), 0);
    for (index_t lr = 0; lr < B.local_rows(); ++lr) {
        const int pcol = A.col_layout().owner(B.global_row(lr));
        for (index_t lc = 0; lc < B.local_cols(); ++lc)
            ++recv_counts[static_cast<std::size_t>(src_row[static_cast<std::size_t>(lc)] * Q + pcol)];
    }
    const auto recv_displs = displacements(recv_counts);
    std::vector<double> recv(static_cast<std::size_t>(B.local_rows() * B.local_cols()));
    TESSERA_MPI_CALL(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), MPI_DOUBLE,
                                   recv.data(), recv_counts.data(), recv_displs.data(), MPI_DOUBLE,
                                   g.comm().get()));
    auto pos = recv_displs;
    for (index_t lr = 0; lr < B.local_rows(); ++lr) {
        const int pcol = A.col_layout().owner(B.global_row(lr));
        for (index_t lc = 0; lc < B.local_cols(); ++lc) {
            const auto r = static_cast<std::size_t>(src_row[static_cast<std::size_t>(lc)] * Q + pcol);
            B.local(lr, lc) = recv[static_cast<std::size_t>(pos[r]++)];
        }
    }
    return B;
}

}  // namespace tessera::linalg
