// A distributed dense matrix as a CG operator.
#pragma once

#include <span>
#include <vector>

#include "tessera/linalg/dist_matrix.hpp"

namespace tessera::linalg {

/// Wraps a square DistMatrix A (n x n) as an operator for cg(). Vector layout: a rank's local
/// vector holds the entries of A's local rows (A.local_rows() entries, in local row order), so
/// it is replicated across the ranks of a process row and distributed down each process column:
/// comm() is the grid's col_comm(), and every process column runs the same CG redundantly.
/// chunk() is the block size (local rows are whole global blocks). apply() is reproducible for
/// a given grid; across grids it agrees to rounding only (the row sums are split over Q ranks).
/// Keeps a reference to A, which must outlive the operator.
class DenseOperator {
public:
    /// Collective over A.grid().comm() (checks that A is square: CollectiveError otherwise).
    explicit DenseOperator(const DistMatrix<double>& A);

    const mpi::Comm& comm() const noexcept { return A_->grid().col_comm(); }
    index_t local_size() const noexcept { return A_->local_rows(); }
    index_t chunk() const noexcept { return A_->block(); }

    /// Collective over A.grid().comm(): y = A x (local parts as described above).
    void apply(std::span<const double> x, std::span<double> y);
    /// Collective over A.grid().row_comm(): d = the local rows' diagonal entries.
    void diagonal(std::span<double> d) const;

    /// Local: the global index of local vector entry l.
    gindex_t global_index(index_t l) const noexcept { return A_->global_row(l); }

private:
    const DistMatrix<double>* A_;
    std::vector<double> pieces_, full_, xcols_, partial_;
    std::vector<int> counts_, displs_;
};

}  // namespace tessera::linalg
