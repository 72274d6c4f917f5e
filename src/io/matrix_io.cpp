// Block-cyclic matrices in HDF5: a regular-hyperslab selection per rank, row-major on disk.
#include "tessera/io/matrix_io.hpp"

#include <sstream>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::io {

namespace {

// This rank's indices along one axis: `full` whole blocks starting at `first` every `stride`,
// then possibly one short edge block of `edge` indices starting at `edge_start`.
struct AxisPattern {
    hsize_t first = 0, stride = 1, full = 0, edge = 0, edge_start = 0;
};

AxisPattern axis_pattern(const linalg::BlockCyclic& layout, int p) {
    AxisPattern a;
    const gindex_t nb = layout.nb, blocks = layout.blocks();
    const gindex_t owned_blocks = blocks > p ? (blocks - 1 - p) / layout.procs + 1 : 0;
    a.first = static_cast<hsize_t>(p * nb);
    a.stride = static_cast<hsize_t>(layout.procs * nb);
    a.full = static_cast<hsize_t>(owned_blocks);
    const gindex_t last = blocks - 1;
    if (owned_blocks > 0 && layout.owner(last * nb) == p && layout.n % nb != 0) {
        a.full -= 1;  // the globally last block is short and it is ours
        a.edge = static_cast<hsize_t>(layout.n - last * nb);
        a.edge_start = static_cast<hsize_t>(last * nb);
    }
    return a;
}

// File space selecting every element this rank owns (possibly none).
h5::Handle owned_selection(hid_t file_space, const linalg::DistMatrix<double>& A) {
    h5::Handle space(TESSERA_H5_CALL(H5Scopy(file_space)), H5Sclose);
    TESSERA_H5_CALL(H5Sselect_none(space.get()));
    const auto r = axis_pattern(A.row_layout(), A.grid().row());
    const auto c = axis_pattern(A.col_layout(), A.grid().col());
    const hsize_t nb = static_cast<hsize_t>(A.block());
    auto add = [&](hsize_t r0, hsize_t rs, hsize_t rc, hsize_t rb, hsize_t c0, hsize_t cs, hsize_t cc, hsize_t cb) {
        if (rc == 0 || cc == 0 || rb == 0 || cb == 0) return;
        const hsize_t start[2] = {r0, c0}, stride[2] = {rs, cs}, count[2] = {rc, cc}, block[2] = {rb, cb};
        TESSERA_H5_CALL(H5Sselect_hyperslab(space.get(), H5S_SELECT_OR, start, stride, count, block));
    };
    add(r.first, r.stride, r.full, nb, c.first, c.stride, c.full, nb);  // whole blocks
    add(r.first, r.stride, r.full, nb, c.edge_start, 1, 1, c.edge);     // short last column block
    add(r.edge_start, 1, 1, r.edge, c.first, c.stride, c.full, nb);     // short last row block
    add(r.edge_start, 1, 1, r.edge, c.edge_start, 1, 1, c.edge);        // the corner block
    return space;
}

// HDF5 visits selected elements in row-major order of the file: for this rank's elements that
// is row-major order of its local matrix, so memory is the local matrix transposed into a
// row-major buffer (local storage is column-major for BLAS).
h5::Handle memory_space(const linalg::DistMatrix<double>& A) {
    const hsize_t dims[2] = {static_cast<hsize_t>(std::max<index_t>(A.local_rows(), 1)),
                             static_cast<hsize_t>(std::max<index_t>(A.local_cols(), 1))};
    h5::Handle space(TESSERA_H5_CALL(H5Screate_simple(2, dims, nullptr)), H5Sclose);
    if (A.local_rows() == 0 || A.local_cols() == 0) TESSERA_H5_CALL(H5Sselect_none(space.get()));
    return space;
}

}  // namespace

void write_matrix(const h5::File& file, const std::string& name, const linalg::DistMatrix<double>& A) {
    ScopedTimer timer("io.write_matrix");
    const hsize_t dims[2] = {static_cast<hsize_t>(A.rows()), static_cast<hsize_t>(A.cols())};
    h5::Handle space(TESSERA_H5_CALL(H5Screate_simple(2, dims, nullptr)), H5Sclose);
    h5::Handle ds(TESSERA_H5_CALL(H5Dcreate2(file.get(), name.c_str(), H5T_NATIVE_DOUBLE, space.get(),
                                             H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)),
                  H5Dclose);
    const index_t lr = A.local_rows(), lc = A.local_cols();
    std::vector<double> rows(static_cast<std::size_t>(std::max<index_t>(lr * lc, 1)));
#pragma omp parallel for schedule(static)
    for (index_t i = 0; i < lr; ++i)
        for (index_t j = 0; j < lc; ++j) rows[static_cast<std::size_t>(i * lc + j)] = A.local(i, j);
    auto fspace = owned_selection(space.get(), A);
    auto mspace = memory_space(A);
    auto dxpl = h5::collective_transfer();
    TESSERA_H5_CALL(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), dxpl.get(), rows.data()));
    ds.close();
}

void read_matrix(const h5::File& file, const std::string& name, linalg::DistMatrix<double>& A) {
    ScopedTimer timer("io.read_matrix");
    collective_call(A.grid().comm(), [&] {
        if (!h5::has_dataset(file, name))
            throw std::runtime_error(file.path().string() + ": no dataset '" + name + "'");
        const auto dims = h5::dataset_dims(file, name);
        if (dims.size() != 2 || dims[0] != static_cast<hsize_t>(A.rows()) ||
            dims[1] != static_cast<hsize_t>(A.cols())) {
            std::ostringstream os;
            os << file.path().string() << ": dataset '" << name << "' has shape (";
            for (std::size_t d = 0; d < dims.size(); ++d) os << (d ? ", " : "") << dims[d];
            os << "), the matrix is " << A.rows() << " x " << A.cols();
            throw std::runtime_error(os.str());
        }
    });
    h5::Handle ds(TESSERA_H5_CALL(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT)), H5Dclose);
    h5::Handle space(TESSERA_H5_CALL(H5Dget_space(ds.get())), H5Sclose);
    const index_t lr = A.local_rows(), lc = A.local_cols();
    std::vector<double> rows(static_cast<std::size_t>(std::max<index_t>(lr * lc, 1)));
    auto fspace = owned_selection(space.get(), A);
    auto mspace = memory_space(A);
    auto dxpl = h5::collective_transfer();
    TESSERA_H5_CALL(H5Dread(ds.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), dxpl.get(), rows.data()));
#pragma omp parallel for schedule(static)
    for (index_t j = 0; j < lc; ++j)
        for (index_t i = 0; i < lr; ++i) A.local(i, j) = rows[static_cast<std::size_t>(i * lc + j)];
}

}  // namespace tessera::io
