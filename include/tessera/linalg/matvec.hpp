// Distributed matrix-vector product with replicated vectors.
#pragma once

#include <span>

#include "tessera/linalg/dist_matrix.hpp"

namespace tessera::linalg {

/// Collective over A.grid().comm(): y = alpha * A * x + beta * y, where x (length A.cols())
/// and y (length A.rows()) are replicated: every rank passes the whole, identical vectors and
/// receives the whole result. Each rank multiplies its local block (cblas_dgemv) and the
/// partial results are summed over the process row; the sum order depends on Q, so results
/// agree across grids to rounding, not bitwise. Throws CollectiveError for wrong lengths.
void matvec(double alpha, const DistMatrix<double>& A, std::span<const double> x, double beta,
            std::span<double> y);

}  // namespace tessera::linalg
