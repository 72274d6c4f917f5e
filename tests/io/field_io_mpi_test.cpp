// Field I/O through a decomposition's own (Cartesian) communicator: every value lands where it
// belongs. Open MPI 4.1's OMPIO lost a contiguous part of such writes (2 x 2 ranks, uneven
// boxes) in about half the runs until io::h5::File gave MPI-IO a communicator without the
// topology; the write is repeated so that a regression shows.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <tessera/grid/cart_decomp.hpp>
#include <tessera/grid/field.hpp>
#include <tessera/io/field_file.hpp>
#include <tessera/io/field_io.hpp>
#include <tessera/io/hdf5.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;
namespace fs = std::filesystem;

namespace {
double value(const std::array<gindex_t, 2>& g) { return 1.0 + static_cast<double>(g[0]) + 100.0 * static_cast<double>(g[1]); }
}  // namespace

TEST(FieldIo, WritesThroughTheDecompositionsCommunicatorKeepEveryValue) {
    const fs::path dir = fs::temp_directory_path() / ("tessera_field_io_np" + std::to_string(world().size()));
    if (world().rank() == 0) fs::create_directories(dir);
    world().barrier();
    grid::CartDecomp<2> decomp(world(), {37, 23}, {false, false});
    grid::Field<double, 2> u(decomp, 1), back(decomp, 1);
    u.fill(value);
    int wrong = 0;
    for (int attempt = 0; attempt < 12; ++attempt) {
        const auto path = dir / ("u" + std::to_string(attempt) + ".h5");
        if (attempt % 2 == 0) {
            io::write_field_file<2>(path, u, {});
        } else {
            auto file = io::h5::File::create(decomp.comm(), path);
            io::write_field<2>(file, "/u", u);
            file.close();
        }
        back.fill([](const auto&) { return -1.0; });
        auto file = io::h5::File::open(world(), path);
        io::read_field<2>(file, "/u", back);
        file.close();
        back.for_each_owned([&](const auto& g, double v) { wrong += v != value(g); });
    }
    EXPECT_EQ(mpi::allreduce(world(), wrong, MPI_SUM), 0);
    world().barrier();
    if (world().rank() == 0) fs::remove_all(dir);
}
