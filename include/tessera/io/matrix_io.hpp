// Collective HDF5 I/O of block-cyclic distributed matrices (linalg::DistMatrix).
#pragma once

#include <string>

#include "tessera/io/hdf5.hpp"
#include "tessera/linalg/dist_matrix.hpp"

namespace tessera::io {

/// Collective over A.grid().comm() (the file must be open on the same ranks): writes the m x n
/// matrix as dataset `name` of shape (m, n), row-major as h5py shows it (A[i, j]). Each rank
/// selects its blocks with at most four regular hyperslabs (full and edge blocks) and writes
/// once, collectively.
void write_matrix(const h5::File& file, const std::string& name, const linalg::DistMatrix<double>& A);

/// Collective: reads dataset `name` into A, whatever process grid and block size wrote it.
/// Throws CollectiveError (exit 2) naming the file when the dataset is missing or its shape is
/// not (A.rows(), A.cols()).
void read_matrix(const h5::File& file, const std::string& name, linalg::DistMatrix<double>& A);

}  // namespace tessera::io
