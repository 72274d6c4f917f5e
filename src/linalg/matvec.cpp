// Distributed matvec: local dgemv on the owned block, then one reduction of the partial rows.
#include "tessera/linalg/matvec.hpp"

#include <cblas.h>
#include <omp.h>

#include <climits>
#include <vector>

#include "tessera/core/timer.hpp"
#include "tessera/linalg/gemm.hpp"

namespace tessera::linalg {

void matvec(double alpha, const DistMatrix<double>& A, std::span<const double> x, double beta,
            std::span<double> y) {
    const auto& g = A.grid();
    TESSERA_CHECK_ALL(g.comm(), static_cast<gindex_t>(x.size()) == A.cols() &&
                                    static_cast<gindex_t>(y.size()) == A.rows(),
                      "matvec: a " << A.rows() << " x " << A.cols() << " matrix needs x of length "
                                   << A.cols() << " and y of length " << A.rows() << ", got "
                                   << x.size() << " and " << y.size());
    TESSERA_CHECK_ALL(g.comm(), A.rows() <= INT_MAX, "matvec: " << A.rows() << " rows are too many");
    ScopedTimer timer("linalg.matvec");
    const index_t mloc = A.local_rows(), nloc = A.local_cols();
    std::vector<double> xloc(static_cast<std::size_t>(nloc)), yloc(static_cast<std::size_t>(mloc), 0.0);
    for (index_t lj = 0; lj < nloc; ++lj) xloc[static_cast<std::size_t>(lj)] = x[static_cast<std::size_t>(A.global_col(lj))];
    if (mloc > 0 && nloc > 0) {
        const BlasThreads blas(omp_get_max_threads());
        cblas_dgemv(CblasColMajor, CblasNoTrans, static_cast<int>(mloc), static_cast<int>(nloc), 1.0,
                    A.local_data(), static_cast<int>(A.ld()), xloc.data(), 1, 0.0, yloc.data(), 1);
    }
    // Every rank contributes alpha * (its partial rows); ranks of other process rows add zeros
    // to a row, which is exact, so each entry is the sum over its own process row's partials.
    std::vector<double> sum(y.size(), 0.0);
    for (index_t li = 0; li < mloc; ++li) sum[static_cast<std::size_t>(A.global_row(li))] = yloc[static_cast<std::size_t>(li)];
    mpi::allreduce(g.comm(), std::span<double>(sum), MPI_SUM);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = alpha * sum[i] + (beta == 0.0 ? 0.0 : beta * y[i]);
}

}  // namespace tessera::linalg
