// DistMatrix: a dense matrix in a 2D block-cyclic layout over a ProcessGrid2D, stored
// column-major per rank so that BLAS works on the local part directly, and viewable as an
// Eigen::Map for local work in Eigen.
#pragma once

#include <span>
#include <vector>

#include <Eigen/Core>

#include "tessera/core/error.hpp"
#include "tessera/core/types.hpp"
#include "tessera/linalg/block_cyclic.hpp"
#include "tessera/linalg/process_grid.hpp"

namespace tessera::linalg {

/// An m x n matrix cut into nb x nb blocks; block (I, J) lives on grid position
/// (I % P, J % Q). Global indices are 0-based gindex_t; sizes need not divide evenly (edge
/// blocks are short) and ranks may own nothing. Each rank stores its local_rows() x
/// local_cols() part column-major with leading dimension ld() >= 1. Move-only; keeps a pointer
/// to `grid`, which must outlive the matrix. T is double (explicitly instantiated).
template <class T>
class DistMatrix {
public:
    /// Local (no communication): a zero matrix. Throws tessera::Error when m, n < 0 or nb < 1.
    DistMatrix(const ProcessGrid2D& grid, gindex_t m, gindex_t n, int nb);

    DistMatrix(DistMatrix&&) noexcept = default;
    DistMatrix& operator=(DistMatrix&&) noexcept = default;
    DistMatrix(const DistMatrix&) = delete;
    DistMatrix& operator=(const DistMatrix&) = delete;

    /// Local: a deep copy (same grid, shape and values).
    DistMatrix clone() const;

    const ProcessGrid2D& grid() const noexcept { return *grid_; }
    gindex_t rows() const noexcept { return m_; }
    gindex_t cols() const noexcept { return n_; }
    int block() const noexcept { return nb_; }
    const BlockCyclic& row_layout() const noexcept { return row_layout_; }
    const BlockCyclic& col_layout() const noexcept { return col_layout_; }

    index_t local_rows() const noexcept { return local_rows_; }
    index_t local_cols() const noexcept { return local_cols_; }
    index_t ld() const noexcept { return ld_; }
    T* local_data() noexcept { return data_.data(); }
    const T* local_data() const noexcept { return data_.data(); }
    /// Local element (li, lj) of this rank's part.
    T& local(index_t li, index_t lj) noexcept { return data_[static_cast<std::size_t>(li + lj * ld_)]; }
    const T& local(index_t li, index_t lj) const noexcept {
        return data_[static_cast<std::size_t>(li + lj * ld_)];
    }

    /// The local part as Eigen sees it: column-major local_rows() x local_cols(), outer stride
    /// ld() (the real storage: no copy).
    using EigenMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
    using EigenMap = Eigen::Map<EigenMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
    using ConstEigenMap = Eigen::Map<const EigenMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
    /// Local: a mutable Eigen view of this rank's part; map(li, lj) is local(li, lj). It
    /// aliases the matrix's storage: writes through it are writes to the matrix, and Eigen
    /// expressions that read and write the same storage need .eval() or noalias() rules as for
    /// any Eigen object. Valid while the storage lives: until the matrix is destroyed or
    /// assigned to (a move hands the storage, and so the map, to the new owner). A
    /// rank that owns nothing gets a 0 x 0 (or 0 x n, m x 0) map. Entry (li, lj) is global
    /// (global_row(li), global_col(lj)): the map is one rank's scattered blocks, not a
    /// submatrix of consecutive global rows and columns.
    EigenMap local_eigen() noexcept {
        return EigenMap(data_.data(), local_rows_, local_cols_, Eigen::OuterStride<>(ld_));
    }
    /// Local: the read-only Eigen view of this rank's part (same layout and lifetime).
    ConstEigenMap local_eigen() const noexcept {
        return ConstEigenMap(data_.data(), local_rows_, local_cols_, Eigen::OuterStride<>(ld_));
    }

    /// Global row / column of local row li / column lj.
    gindex_t global_row(index_t li) const noexcept { return row_layout_.global(li, grid_->row()); }
    gindex_t global_col(index_t lj) const noexcept { return col_layout_.global(lj, grid_->col()); }

    /// Local: sets every owned element (i, j) to f(i, j) (global indices), OpenMP over columns.
    template <class F>
    void fill(F&& f) {
        ThreadExceptionTrap trap;
#pragma omp parallel for schedule(static)
        for (index_t lj = 0; lj < local_cols_; ++lj) {
            trap.run([&] {
                const gindex_t j = global_col(lj);
                for (index_t li = 0; li < local_rows_; ++li) local(li, lj) = f(global_row(li), j);
            });
        }
        trap.rethrow();
    }

    /// Collective over grid().comm(): the whole matrix, column-major (element (i, j) at
    /// i + j * rows()), on rank `root`; an empty vector elsewhere. For small matrices (tests,
    /// checks): throws tessera::Error when m * n exceeds INT_MAX elements.
    std::vector<T> gather(int root = 0) const;

    /// Collective over grid().comm(): sets the matrix from `global` (column-major m x n, read
    /// on `root` only; other ranks may pass an empty span). Inverse of gather().
    void scatter(std::span<const T> global, int root = 0);

private:
    const ProcessGrid2D* grid_;
    gindex_t m_, n_;
    int nb_;
    BlockCyclic row_layout_, col_layout_;
    index_t local_rows_, local_cols_, ld_;
    std::vector<T> data_;
};

/// Collective over A.grid().comm(): sqrt(sum |a_ij|^2), reproducible (bitwise the same for any
/// grid and thread count: nb-long column segments are summed in a fixed order and combined
/// with an exact accumulator).
double norm_frobenius(const DistMatrix<double>& A);
/// Collective over A.grid().comm(): max |a_ij| (exact, hence reproducible).
double norm_max(const DistMatrix<double>& A);

}  // namespace tessera::linalg
