// Snapshot series: groups per step, an XDMF listing each once, and a restart that drops the
// snapshots after its step.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <tessera/io/hdf5.hpp>
#include <tessera/io/time_series.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
}

}  // namespace

TEST(TimeSeries, ResumingDropsLaterSnapshotsAndListsEachOnce) {
    const auto dir = fs::temp_directory_path() / ("tessera_io_series_np" + std::to_string(world().size()));
    if (world().rank() == 0) {
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    world().barrier();
    grid::CartDecomp<2> dec(world(), {20, 12}, {false, false});
    grid::Field<double, 2> u(dec, 1);
    u.fill([](const auto& g) { return static_cast<double>(g[0] + 100 * g[1]); });
    io::XdmfGrid geometry;
    geometry.cells = {20, 12};
    geometry.origin = {0, 0};
    geometry.spacing = {0.05, 0.1};
    {
        io::TimeSeries series(world(), dir / "s.h5", dir / "s.xdmf", geometry, -1);
        for (gindex_t step : {0, 10, 20, 30}) series.write<2>(u, step, 0.5 * static_cast<double>(step));
        EXPECT_EQ(series.size(), 4u);
    }
    // A restart at step 20 keeps 0, 10, 20 and writes 30 again.
    io::TimeSeries resumed(world(), dir / "s.h5", dir / "s.xdmf", geometry, 20);
    EXPECT_EQ(resumed.size(), 3u);
    resumed.write<2>(u, 30, 15.0);
    EXPECT_EQ(resumed.size(), 4u);
    world().barrier();
    const auto xdmf = read_text(dir / "s.xdmf");
    EXPECT_EQ(count(xdmf, "s.h5:/snapshots/000000030/u"), 1u);
    EXPECT_EQ(count(xdmf, "<Time Value=\"15\"/>"), 1u);
    // The mesh and the attribute both say "1 NY NX" (with "NY NX" ParaView draws a blank field).
    EXPECT_EQ(count(xdmf, "TopologyType=\"3DCoRectMesh\" Dimensions=\"1 12 20\""), 4u);
    EXPECT_EQ(count(xdmf, "<DataItem Dimensions=\"1 12 20\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">"), 4u);
    EXPECT_EQ(count(xdmf, "Dimensions=\"12 20\""), 0u);
    auto file = io::h5::File::open(world(), dir / "s.h5");
    EXPECT_EQ(io::h5::dataset_dims(file, "/snapshots/000000030/u"), (std::vector<hsize_t>{12, 20}));
    EXPECT_TRUE(io::h5::has_dataset(file, "/snapshots/000000000/u"));
    file.close();
}
