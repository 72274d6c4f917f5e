// Distributed transpose of a block-cyclic matrix.
#pragma once

#include "tessera/linalg/dist_matrix.hpp"

namespace tessera::linalg {

/// Collective over A.grid().comm(): B = A^T, an n x m matrix on the same grid with the same
/// block size. One all-to-all exchange; element order within each message is implied by the
/// layouts, so only values travel.
DistMatrix<double> transpose(const DistMatrix<double>& A);

}  // namespace tessera::linalg
