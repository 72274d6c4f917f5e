// Distributed matrix multiply C = alpha * op(A) * op(B) + beta * C by SUMMA.
//
// Threads: the local multiplies call OpenBLAS cblas_dgemm from outside any OpenMP parallel
// region, with OpenBLAS set to omp_get_max_threads() threads for the duration of the call
// (restored afterwards). So a rank runs either its OpenMP team or the same number of BLAS
// threads, never both: OMP_NUM_THREADS sets the threads per rank for both.
#pragma once

#include "tessera/linalg/dist_matrix.hpp"

namespace tessera::linalg {

/// Whether an operand enters the product as itself or transposed.
enum class Transpose { no, yes };

struct GemmOptions {
    /// Width of the k-panels each SUMMA step multiplies (a multiple of the block size; the
    /// blocks of one panel may come from different process columns/rows). 0: at least 256.
    int panel = 0;
    /// Broadcast panel s+1 (MPI_Ibcast) while multiplying panel s.
    bool overlap = true;
};

/// Collective over the grid's communicator: C = alpha * op(A) * op(B) + beta * C with
/// op(X) = X or X^T. A, B and C share one grid and block size; op(A) is m x k, op(B) is k x n,
/// C is m x n, any sizes (including 0) on any P x Q. Transposed operands are first transposed
/// explicitly (transpose()). beta == 0 ignores C's old values (NaNs included).
///
/// SUMMA: for each k-panel, the process column owning A's panel broadcasts it along process
/// rows (row_comm) and the process row owning B's panel broadcasts it along process columns
/// (col_comm); every rank then multiplies its panels into its part of C with cblas_dgemm.
/// Throws CollectiveError (exit 2) for non-conforming shapes, different grids or block sizes.
void gemm(Transpose opa, Transpose opb, double alpha, const DistMatrix<double>& A,
          const DistMatrix<double>& B, double beta, DistMatrix<double>& C,
          const GemmOptions& options = {});

/// gemm without transposes: C = alpha * A * B + beta * C.
inline void gemm(double alpha, const DistMatrix<double>& A, const DistMatrix<double>& B,
                 double beta, DistMatrix<double>& C, const GemmOptions& options = {}) {
    gemm(Transpose::no, Transpose::no, alpha, A, B, beta, C, options);
}

/// Local: the thread count for OpenBLAS while an object lives (restored on destruction).
class BlasThreads {
public:
    explicit BlasThreads(int threads);
    ~BlasThreads();
    BlasThreads(const BlasThreads&) = delete;
    BlasThreads& operator=(const BlasThreads&) = delete;

private:
    int previous_;
};

}  // namespace tessera::linalg
