// DenseOperator: allgather x down the process column, local dgemv, sum over the process row.
#include "tessera/linalg/dense_operator.hpp"

#include <cblas.h>
#include <omp.h>

#include <climits>

#include "tessera/core/timer.hpp"
#include "tessera/linalg/gemm.hpp"

namespace tessera::linalg {

DenseOperator::DenseOperator(const DistMatrix<double>& A) : A_(&A) {
    const auto& g = A.grid();
    TESSERA_CHECK_ALL(g.comm(), A.rows() == A.cols(),
                      "DenseOperator: the matrix is " << A.rows() << " x " << A.cols()
                                                      << ", not square");
    TESSERA_CHECK_ALL(g.comm(), A.rows() <= INT_MAX, "DenseOperator: matrix too large");
    pieces_.resize(static_cast<std::size_t>(A.rows()));
    full_.resize(static_cast<std::size_t>(A.rows()));
    xcols_.resize(static_cast<std::size_t>(A.local_cols()));
    partial_.resize(static_cast<std::size_t>(A.local_rows()));
    for (int p = 0; p < g.rows(); ++p) {
        displs_.push_back(counts_.empty() ? 0 : displs_.back() + counts_.back());
        counts_.push_back(static_cast<int>(A.row_layout().count(p)));
    }
}

void DenseOperator::apply(std::span<const double> x, std::span<double> y) {
    ScopedTimer timer("linalg.dense_apply");
    const auto& A = *A_;
    const auto& g = A.grid();
    // Gather the whole x down the process column (pieces in process-row order), then unpack.
    TESSERA_MPI_CALL(MPI_Allgatherv(x.data(), static_cast<int>(A.local_rows()), MPI_DOUBLE,
                                    pieces_.data(), counts_.data(), displs_.data(), MPI_DOUBLE,
                                    g.col_comm().get()));
    for (int p = 0; p < g.rows(); ++p)
        for (index_t l = 0; l < counts_[static_cast<std::size_t>(p)]; ++l)
            full_[static_cast<std::size_t>(A.row_layout().global(l, p))] =
                pieces_[static_cast<std::size_t>(displs_[static_cast<std::size_t>(p)] + l)];
    for (index_t lj = 0; lj < A.local_cols(); ++lj)
        xcols_[static_cast<std::size_t>(lj)] = full_[static_cast<std::size_t>(A.global_col(lj))];
    std::fill(partial_.begin(), partial_.end(), 0.0);
    if (A.local_rows() > 0 && A.local_cols() > 0) {
        const BlasThreads blas(omp_get_max_threads());
        cblas_dgemv(CblasColMajor, CblasNoTrans, static_cast<int>(A.local_rows()),
                    static_cast<int>(A.local_cols()), 1.0, A.local_data(), static_cast<int>(A.ld()),
                    xcols_.data(), 1, 0.0, partial_.data(), 1);
    }
    std::copy(partial_.begin(), partial_.end(), y.begin());
    mpi::allreduce(g.row_comm(), y.subspan(0, partial_.size()), MPI_SUM);
}

void DenseOperator::diagonal(std::span<double> d) const {
    const auto& A = *A_;
    for (index_t li = 0; li < A.local_rows(); ++li) {
        const gindex_t i = A.global_row(li);
        d[static_cast<std::size_t>(li)] =
            A.col_layout().owner(i) == A.grid().col() ? A.local(li, A.col_layout().local(i)) : 0.0;
    }
    // Exactly one rank of the process row holds each diagonal entry: the sum adds zeros only.
    mpi::allreduce(A.grid().row_comm(), d.subspan(0, static_cast<std::size_t>(A.local_rows())), MPI_SUM);
}

}  // namespace tessera::linalg
