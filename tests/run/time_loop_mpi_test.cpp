// TimeLoop: the schedule of checkpoints and snapshots, restart from the newest checkpoint that
// verifies (on another rank count too), damaged checkpoints set aside, incompatible ones
// refused, and a stop signal that checkpoints before stopping.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <tessera/grid/cart_decomp.hpp>
#include <tessera/grid/field.hpp>
#include <tessera/run/benchmark.hpp>
#include <tessera/run/signals.hpp>
#include <tessera/run/time_loop.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;
namespace fs = std::filesystem;

namespace {

// A toy simulation: u(i, j) = 1000 i + j + step, advanced one step at a time, so the state
// after a restart can be checked exactly.
struct Toy {
    grid::CartDecomp<2> decomp;
    grid::Field<double, 2> u;
    std::vector<gindex_t> snapshots;
    gindex_t counter = 0;  // travels in meta.counters

    explicit Toy(const mpi::Comm& comm) : decomp(comm, {12, 10}, {false, false}), u(decomp, 1) {
        u.fill([](const auto& g) { return 1000.0 * static_cast<double>(g[0]) + static_cast<double>(g[1]); });
    }
    void advance(gindex_t n) {
        u.fill([&, n](const auto& g) { return u.view()(g[0], g[1]) + static_cast<double>(n); });
        counter += n;
    }
    run::Simulation simulation(nlohmann::json keys = {{"cells", {12, 10}}}) {
        run::Simulation sim;
        sim.app = "toy";
        sim.keys = std::move(keys);
        sim.save = [this](io::CheckpointData& data, io::CheckpointMeta& meta) {
            data.add<2>("u", u);
            meta.counters = {counter};
            meta.values = {0.5 * static_cast<double>(counter)};
        };
        sim.load = [this](io::CheckpointReader& reader) {
            reader.read<2>("u", u);
            counter = reader.meta().counters.at(0);
        };
        sim.snapshot = [this](gindex_t step) { snapshots.push_back(step); };
        return sim;
    }
    // Collective: whether every owned cell holds its value after `step` steps.
    bool holds(gindex_t step) const {
        int bad = 0;
        u.for_each_owned([&](const auto& g, double v) {
            bad |= v != 1000.0 * static_cast<double>(g[0]) + static_cast<double>(g[1]) + static_cast<double>(step);
        });
        return mpi::allreduce(decomp.comm(), bad, MPI_MAX) == 0;
    }
};

// A fresh folder per test, the same name on every rank.
fs::path scratch(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("tessera_time_loop_" + name + "_np" + std::to_string(world().size()));
    if (world().rank() == 0) {
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    world().barrier();
    return dir;
}

}  // namespace

TEST(TimeLoop, CheckpointsAndSnapshotsFollowTheSchedule) {
    const auto dir = scratch("schedule");
    Toy toy(world());
    run::LoopSchedule s;
    s.steps = 20;
    s.checkpoint_every = 5;
    s.snapshot_every = 4;
    s.keep_checkpoints = 2;
    s.catch_signals = false;
    run::TimeLoop loop(world(), s, toy.simulation(), dir / "checkpoints");
    EXPECT_FALSE(loop.restart(""));
    loop.prepare();
    std::vector<gindex_t> chunks;
    loop.run([&](gindex_t n) { chunks.push_back(n), toy.advance(n); }, /*max_chunk=*/3);
    EXPECT_EQ(loop.step(), 20);
    EXPECT_FALSE(loop.stopped());
    EXPECT_TRUE(toy.holds(20));
    // Chunks never step past a step where something is due.
    EXPECT_EQ(chunks, (std::vector<gindex_t>{3, 1, 1, 3, 2, 2, 3, 1, 3, 1}));
    EXPECT_EQ(toy.snapshots, (std::vector<gindex_t>{0, 4, 8, 12, 16, 20}));
    const auto kept = io::list_checkpoints(dir / "checkpoints");
    ASSERT_EQ(kept.size(), 2u);  // no collective follows
    EXPECT_EQ(kept[0].filename(), "chk_000000020.h5");
    EXPECT_EQ(kept[1].filename(), "chk_000000015.h5");
    nlohmann::json summary;
    loop.add_to_summary(summary);
    EXPECT_EQ(summary["checkpoints"]["count"], 4);
    EXPECT_EQ(summary["completed"], true);
}

TEST(TimeLoop, SnapshotsBySimulatedTimeAreAFunctionOfTheStep) {
    const auto dir = scratch("period");
    Toy toy(world());
    run::LoopSchedule s;
    s.steps = 12;
    s.dt = 0.1;
    s.snapshot_period = 0.25;  // 2.5 steps: the first step on or after 2.5, 5, 7.5, 10
    s.catch_signals = false;
    run::TimeLoop loop(world(), s, toy.simulation(), dir / "checkpoints");
    loop.prepare();
    loop.run([&](gindex_t n) { toy.advance(n); }, 100);
    EXPECT_EQ(toy.snapshots, (std::vector<gindex_t>{0, 3, 5, 8, 10}));
}

TEST(TimeLoop, RestartOnAnotherRankCountContinuesExactly) {
    const auto dir = scratch("restart");
    // Written by rank 0 alone, at steps 3 and 6 of 10; the run "crashes" after step 7.
    {
        const auto solo = world().split(world().rank() == 0 ? 0 : MPI_UNDEFINED, 0);
        if (world().rank() == 0) {
            Toy toy(solo);
            run::LoopSchedule s;
            s.steps = 10;
            s.checkpoint_every = 3;
            s.catch_signals = false;
            run::TimeLoop loop(solo, s, toy.simulation(), dir / "checkpoints");
            loop.prepare();
            loop.begin();
            for (int k = 0; k < 7; ++k) toy.advance(1), loop.advance(1);
        }
        world().barrier();
    }
    Toy toy(world());
    run::LoopSchedule s;
    s.steps = 10;
    s.checkpoint_every = 3;
    s.catch_signals = false;
    run::TimeLoop loop(world(), s, toy.simulation(), dir / "checkpoints");
    EXPECT_TRUE(loop.restart("auto"));
    EXPECT_EQ(loop.step(), 6);
    EXPECT_EQ(toy.counter, 6);
    EXPECT_TRUE(toy.holds(6));
    loop.prepare();
    loop.run([&](gindex_t n) { toy.advance(n); });
    EXPECT_EQ(loop.step(), 10);
    EXPECT_TRUE(toy.holds(10));
    EXPECT_TRUE(toy.snapshots.empty());  // no snapshot schedule: nothing snapshotted
}

TEST(TimeLoop, ADamagedCheckpointIsSetAsideAndTheOlderOneUsed) {
    const auto dir = scratch("damaged");
    {
        Toy toy(world());
        run::LoopSchedule s;
        s.steps = 8;
        s.checkpoint_every = 4;
        s.catch_signals = false;
        run::TimeLoop loop(world(), s, toy.simulation(), dir / "checkpoints");
        loop.prepare();
        loop.run([&](gindex_t n) { toy.advance(n); });
    }
    const auto newest = dir / "checkpoints" / "chk_000000008.h5";
    if (world().rank() == 0) fs::resize_file(newest, fs::file_size(newest) / 2);  // a crash mid-write
    world().barrier();
    Toy toy(world());
    run::LoopSchedule s;
    s.steps = 8;
    s.catch_signals = false;
    run::TimeLoop loop(world(), s, toy.simulation(), dir / "checkpoints");
    EXPECT_TRUE(loop.restart("auto"));
    EXPECT_EQ(loop.step(), 4);
    EXPECT_TRUE(toy.holds(4));
    EXPECT_TRUE(fs::exists(newest));  // untouched until the run's input is known to be valid
    loop.prepare();
    EXPECT_FALSE(fs::exists(newest));
    EXPECT_TRUE(fs::exists(newest.string() + ".corrupt"));
    // An explicit path to the damaged file is an error, not a silent fallback.
    Toy again(world());
    run::TimeLoop explicit_loop(world(), s, again.simulation(), dir / "checkpoints");
    try {
        explicit_loop.restart(newest.string() + ".corrupt");
        ADD_FAILURE() << "a damaged checkpoint was accepted";
    } catch (const CollectiveError& e) {
        EXPECT_EQ(e.exit_code(), 2);
    }
}

TEST(TimeLoop, ACheckpointOfAnotherProblemIsRefusedNamingTheKey) {
    const auto dir = scratch("keys");
    {
        Toy toy(world());
        run::LoopSchedule s;
        s.steps = 2;
        s.checkpoint_every = 2;
        s.catch_signals = false;
        run::TimeLoop loop(world(), s, toy.simulation({{"cells", {12, 10}}, {"alpha", 0.5}}), dir / "checkpoints");
        loop.prepare();
        loop.run([&](gindex_t n) { toy.advance(n); });
    }
    Toy toy(world());
    run::LoopSchedule s;
    s.steps = 4;
    s.catch_signals = false;
    run::TimeLoop loop(world(), s, toy.simulation({{"cells", {12, 10}}, {"alpha", 0.25}}), dir / "checkpoints");
    try {
        loop.restart("auto");
        ADD_FAILURE() << "an incompatible checkpoint was accepted";
    } catch (const CollectiveError& e) {
        EXPECT_NE(std::string(e.what()).find("alpha differs: the checkpoint has 0.5, this run 0.25"), std::string::npos)
            << e.what();
        EXPECT_EQ(e.exit_code(), 2);
    }
}

TEST(TimeLoop, AStopSignalOnOneRankCheckpointsAndStopsEveryRank) {
    const auto dir = scratch("signal");
    Toy toy(world());
    run::LoopSchedule s;
    s.steps = 100;
    run::TimeLoop loop(world(), s, toy.simulation(), dir / "checkpoints");
    run::StopSignals::clear();
    loop.prepare();
    loop.begin();
    gindex_t steps = 0;
    while (true) {
        toy.advance(1);
        if (++steps == 3 && world().rank() == world().size() - 1) std::raise(SIGUSR1);
        if (!loop.advance(1)) break;
    }
    run::StopSignals::clear();
    EXPECT_EQ(loop.step(), 3);
    EXPECT_TRUE(loop.stopped());
    EXPECT_EQ(loop.stop_reason(), "SIGUSR1");
    EXPECT_TRUE(fs::exists(dir / "checkpoints" / "chk_000000003.h5"));
    nlohmann::json summary;
    loop.add_to_summary(summary);
    EXPECT_EQ(summary["completed"], false);
    EXPECT_EQ(summary["stop_reason"], "SIGUSR1");
}

TEST(LongRunOptions, NameTheirOptionsAndMakeTheSchedule) {
    run::AppOptions options("toy", "toy");
    run::LongRunOptions lr;
    lr.add_to(options, "sweeps", /*snapshots=*/false);
    const char* argv[] = {"toy", "--checkpoint-every", "7", "--max-wall-time", "30", "--restart", "auto"};
    options.parse(world(), 7, const_cast<char**>(argv));
    EXPECT_EQ(lr.checkpoint_every, 7);
    EXPECT_TRUE(lr.restarting());
    const auto s = lr.schedule(100, 0.5);
    EXPECT_EQ(s.steps, 100);
    EXPECT_EQ(s.checkpoint_every, 7);
    EXPECT_EQ(s.max_wall_time, 30.0);
    EXPECT_EQ(s.wall_time_name, "--max-wall-time");
    try {
        lr.check(world(), /*benchmark=*/true);
        ADD_FAILURE() << "checkpoint options accepted with a benchmark";
    } catch (const CollectiveError& e) {
        EXPECT_NE(std::string(e.what()).find("--benchmark runs without --restart"), std::string::npos) << e.what();
    }
}

TEST(OptionNames, MapTheLibrarysParametersToTheAppsOptions) {
    const run::OptionNames names{{"CartDecomp: cells", "--cells"}, {"CartDecomp: c", "--c"}, {"restart ", "--restart "}};
    EXPECT_EQ(run::with_option_names(names, "CartDecomp: cells: x has 0 cells"), "--cells: x has 0 cells");
    EXPECT_EQ(run::with_option_names(names, "restart a.h5: dt differs"), "--restart a.h5: dt differs");
    EXPECT_EQ(run::with_option_names(names, "nothing to map"), "nothing to map");
    try {
        run::translating_errors(names, [] { tessera::detail::check_all(world(), false, "CartDecomp: cells: bad", 2); });
        ADD_FAILURE();
    } catch (const CollectiveError& e) {
        EXPECT_STREQ(e.what(), "--cells: bad");
        EXPECT_EQ(e.exit_code(), 2);
    }
}

TEST(Benchmark, MedianAndRepetitions) {
    EXPECT_EQ(run::median({}), 0.0);
    EXPECT_EQ(run::median({3.0, 1.0, 2.0}), 2.0);
    EXPECT_EQ(run::median({4.0, 1.0, 3.0, 2.0}), 2.5);
    int setups = 0, bodies = 0;
    const auto reps = run::repeat(world(), 3, [&] { ++setups; }, [&] { ++bodies; }, /*with_triad=*/false);
    EXPECT_EQ(setups, 3);
    EXPECT_EQ(bodies, 3);
    ASSERT_EQ(reps.seconds.size(), 3u);  // the same on every rank: no collective follows
    EXPECT_TRUE(reps.triads.empty());
    EXPECT_EQ(reps.median_ratio(1e9), 0.0);
}
