// DistMatrix: construction, gather/scatter through the root, and reproducible norms.
#include "tessera/linalg/dist_matrix.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include "tessera/core/exact_sum.hpp"
#include "tessera/core/reduce.hpp"

namespace tessera::linalg {

template <class T>
DistMatrix<T>::DistMatrix(const ProcessGrid2D& grid, gindex_t m, gindex_t n, int nb)
    : grid_(&grid), m_(m), n_(n), nb_(nb) {
    TESSERA_CHECK(m >= 0 && n >= 0, "DistMatrix: shape " << m << " x " << n << " is negative");
    TESSERA_CHECK(nb >= 1, "DistMatrix: block size " << nb << " must be positive");
    row_layout_ = BlockCyclic{m, nb, grid.rows()};
    col_layout_ = BlockCyclic{n, nb, grid.cols()};
    local_rows_ = row_layout_.count(grid.row());
    local_cols_ = col_layout_.count(grid.col());
    ld_ = std::max<index_t>(1, local_rows_);
    data_.resize(static_cast<std::size_t>(ld_ * local_cols_));
}

template <class T>
DistMatrix<T> DistMatrix<T>::clone() const {
    DistMatrix<T> c(*grid_, m_, n_, nb_);
    c.data_ = data_;
    return c;
}

namespace {

// Per-rank element counts and displacements of the packed local parts (rank order).
template <class T>
void rank_counts(const DistMatrix<T>& A, std::vector<int>& counts, std::vector<int>& displs) {
    const auto& g = A.grid();
    const int ranks = g.comm().size();
    counts.assign(static_cast<std::size_t>(ranks), 0);
    displs.assign(static_cast<std::size_t>(ranks), 0);
    long long total = 0;
    for (int r = 0; r < ranks; ++r) {
        const long long c = static_cast<long long>(A.row_layout().count(r / g.cols())) *
                            A.col_layout().count(r % g.cols());
        counts[static_cast<std::size_t>(r)] = static_cast<int>(c);
        displs[static_cast<std::size_t>(r)] = static_cast<int>(total);
        total += c;
    }
}

}  // namespace

template <class T>
std::vector<T> DistMatrix<T>::gather(int root) const {
    TESSERA_CHECK(m_ * n_ <= INT_MAX, "DistMatrix::gather: " << m_ << " x " << n_
                                                              << " is too large to gather");
    const auto& comm = grid_->comm();
    std::vector<int> counts, displs;
    rank_counts(*this, counts, displs);
    // The local part is contiguous: ld == local_rows whenever local_rows > 0.
    const int mine = static_cast<int>(local_rows_ * local_cols_);
    std::vector<T> packed(comm.rank() == root ? static_cast<std::size_t>(m_ * n_) : 0);
    TESSERA_MPI_CALL(MPI_Gatherv(data_.data(), mine, mpi::datatype<T>(), packed.data(),
                                 counts.data(), displs.data(), mpi::datatype<T>(), root,
                                 comm.get()));
    if (comm.rank() != root) return {};
    std::vector<T> global(static_cast<std::size_t>(m_ * n_));
    for (int r = 0; r < comm.size(); ++r) {
        const int p = r / grid_->cols(), q = r % grid_->cols();
        const index_t mr = row_layout_.count(p), nr = col_layout_.count(q);
        const T* src = packed.data() + displs[static_cast<std::size_t>(r)];
        for (index_t lj = 0; lj < nr; ++lj) {
            const gindex_t j = col_layout_.global(lj, q);
            for (index_t li = 0; li < mr; ++li)
                global[static_cast<std::size_t>(row_layout_.global(li, p) + j * m_)] = src[li + lj * mr];
        }
    }
    return global;
}

template <class T>
void DistMatrix<T>::scatter(std::span<const T> global, int root) {
    TESSERA_CHECK(m_ * n_ <= INT_MAX, "DistMatrix::scatter: " << m_ << " x " << n_
                                                               << " is too large to scatter");
    const auto& comm = grid_->comm();
    std::vector<int> counts, displs;
    rank_counts(*this, counts, displs);
    std::vector<T> packed;
    if (comm.rank() == root) {
        TESSERA_CHECK(static_cast<gindex_t>(global.size()) == m_ * n_,
                      "DistMatrix::scatter: " << global.size() << " values for a " << m_ << " x "
                                              << n_ << " matrix");
        packed.resize(global.size());
        for (int r = 0; r < comm.size(); ++r) {
            const int p = r / grid_->cols(), q = r % grid_->cols();
            const index_t mr = row_layout_.count(p), nr = col_layout_.count(q);
            T* dst = packed.data() + displs[static_cast<std::size_t>(r)];
            for (index_t lj = 0; lj < nr; ++lj) {
                const gindex_t j = col_layout_.global(lj, q);
                for (index_t li = 0; li < mr; ++li)
                    dst[li + lj * mr] = global[static_cast<std::size_t>(row_layout_.global(li, p) + j * m_)];
            }
        }
    }
    const int mine = static_cast<int>(local_rows_ * local_cols_);
    TESSERA_MPI_CALL(MPI_Scatterv(packed.data(), counts.data(), displs.data(), mpi::datatype<T>(),
                                  data_.data(), mine, mpi::datatype<T>(), root, comm.get()));
}

template class DistMatrix<double>;

double norm_frobenius(const DistMatrix<double>& A) {
    // Local row blocks are whole global blocks, so the nb-long column segments are the same
    // chunks on every grid.
    ExactSum acc;
    const index_t mloc = A.local_rows(), nb = A.block();
#pragma omp parallel
    {
        ExactSum mine;
#pragma omp for schedule(static) nowait
        for (index_t lj = 0; lj < A.local_cols(); ++lj)
            for (index_t lo = 0; lo < mloc; lo += nb)
                mine.add(chunk_sum_squares(&A.local(lo, lj), std::min(nb, mloc - lo)));
#pragma omp critical(tessera_linalg_frobenius)
        acc.add(mine);
    }
    acc.allreduce(A.grid().comm());
    return std::sqrt(acc.round());
}

double norm_max(const DistMatrix<double>& A) {
    double m = 0.0;
#pragma omp parallel for schedule(static) reduction(max : m)
    for (index_t lj = 0; lj < A.local_cols(); ++lj)
        for (index_t li = 0; li < A.local_rows(); ++li) m = std::max(m, std::abs(A.local(li, lj)));
    return mpi::allreduce(A.grid().comm(), m, MPI_MAX);
}

}  // namespace tessera::linalg
