// Region trace: ScopedTimer events, a full buffer counting drops (never allocating), nesting
// kept through drops, the gather onto rank 0 and the Chrome JSON writer.
#include <gtest/gtest.h>

#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include <tessera/core/error.hpp>
#include <tessera/core/timer.hpp>
#include <tessera/core/trace.hpp>
#include <tessera/io/trace_writer.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;

TEST(Trace, OffRecordsNothing) {
    trace::disable();
    { ScopedTimer t("off"); }
    EXPECT_FALSE(trace::enabled());
    EXPECT_TRUE(trace::events(0).empty());
    EXPECT_TRUE(trace::gather(world()).empty());
}

TEST(Trace, TimersRecordBeginAndEnd) {
    trace::enable(world(), 64);
    {
        ScopedTimer outer("outer");
        ScopedTimer inner("inner");
    }
    const auto ev = trace::events(0);
    ASSERT_EQ(ev.size(), 4u);
    const auto& labels = trace::labels();
    EXPECT_EQ(labels[static_cast<std::size_t>(ev[0].region)], "outer");
    EXPECT_EQ(labels[static_cast<std::size_t>(ev[1].region)], "inner");
    EXPECT_EQ(ev[0].end, 0);
    EXPECT_EQ(ev[1].end, 0);
    EXPECT_EQ(ev[2].end, 1);
    EXPECT_EQ(ev[2].region, ev[1].region);
    EXPECT_EQ(ev[3].region, ev[0].region);
    for (std::size_t i = 1; i < ev.size(); ++i) EXPECT_LE(ev[i - 1].time, ev[i].time);
    EXPECT_EQ(trace::dropped(), 0);
    trace::disable();
}

TEST(Trace, FullBufferCountsDropsAndKeepsPairs) {
    // 10 events fit: 5 pairs. 8 more regions (16 events) are dropped, begins with their ends.
    trace::enable(world(), 10);
    for (int i = 0; i < 13; ++i) ScopedTimer t("loop");
    EXPECT_EQ(trace::events(0).size(), 10u);
    EXPECT_EQ(trace::dropped(), 16);
    trace::clear();
    // Nested: the outer begin is kept only with room for its end; inner ones beyond the room
    // are dropped with their ends, and the outer end still fits.
    {
        ScopedTimer a("a");
        for (int i = 0; i < 10; ++i) ScopedTimer b("b");
    }
    const auto ev = trace::events(0);
    ASSERT_EQ(ev.size(), 10u);
    EXPECT_EQ(ev.front().end, 0);
    EXPECT_EQ(ev.back().end, 1);
    EXPECT_EQ(ev.front().region, ev.back().region);
    int depth = 0;
    for (const auto& e : ev) {
        depth += e.end ? -1 : 1;
        EXPECT_GE(depth, 0);
    }
    EXPECT_EQ(depth, 0);
    EXPECT_EQ(trace::dropped(), 2 * (10 - 4));
    trace::disable();
}

TEST(Trace, CapacityBelowOnePairIsRefused) {
    EXPECT_THROW(trace::enable(world(), 1), CollectiveError);
}

TEST(Trace, GatherAndChromeJson) {
    const auto& w = world();
    trace::enable(w, 1024);
    for (int i = 0; i <= w.rank(); ++i) {
        ScopedTimer t("work");
        ScopedTimer u("rank." + std::to_string(w.rank()));
    }
    const auto traces = trace::gather(w);
    if (w.rank() == 0) {
        ASSERT_EQ(traces.size(), static_cast<std::size_t>(w.size()));
        for (int r = 0; r < w.size(); ++r) {
            EXPECT_EQ(traces[static_cast<std::size_t>(r)].rank, r);
            EXPECT_EQ(traces[static_cast<std::size_t>(r)].threads[0].size(), 4u * static_cast<std::size_t>(r + 1));
            for (const auto& e : traces[static_cast<std::size_t>(r)].threads[0]) EXPECT_GE(e.time, -1e-3);
        }
        const auto j = nlohmann::json::parse(io::chrome_trace_json(traces));
        int complete = 0, names = 0;
        for (const auto& e : j["traceEvents"]) {
            if (e["ph"] == "X") ++complete;
            if (e["ph"] == "M" && e["name"] == "process_name") {
                EXPECT_EQ(e["args"]["name"], "rank " + std::to_string(e["pid"].get<int>()));
                ++names;
            }
        }
        EXPECT_EQ(names, w.size());
        EXPECT_EQ(complete, w.size() * (w.size() + 1));
    } else {
        EXPECT_TRUE(traces.empty());
    }
    // An unwritable path is a CollectiveError naming it, on every rank.
    const std::filesystem::path bad = "no-such-folder-for-trace/sub/trace.json";
    try {
        io::write_chrome_trace(w, bad);
        ADD_FAILURE() << "no error";
    } catch (const CollectiveError& e) {
        EXPECT_NE(std::string(e.what()).find("trace file " + bad.string()), std::string::npos) << e.what();
    }
    trace::disable();
}

namespace {

// Two ranks' synthetic traces with different label ids, an open region and a thread track.
std::vector<trace::RankTrace> synthetic() {
    std::vector<trace::RankTrace> t(2);
    t[0].rank = 0;
    t[0].labels = {"a", "b.wait", "sweep"};
    t[0].kinds = {trace::RegionKind::region, trace::RegionKind::wait, trace::RegionKind::thread};
    t[0].threads = {{{0.0, 0, 0}, {1e-3, 1, 0}, {2e-3, 1, 1}, {3e-3, 0, 1}, {4e-3, 0, 0}},
                    {{1e-3, 2, 0}, {2e-3, 2, 1}}};
    t[1].rank = 1;
    t[1].labels = {"b.wait", "a"};
    t[1].kinds = {trace::RegionKind::wait, trace::RegionKind::region};
    t[1].threads = {{{0.5e-3, 1, 0}, {1.5e-3, 0, 0}, {2.5e-3, 0, 1}, {3.5e-3, 1, 1}}, {}};
    return t;
}

}  // namespace

TEST(Trace, Otf2ArchiveRoundTrip) {
    if (world().rank() != 0) return;  // local
    namespace fs = std::filesystem;
    const fs::path dir = fs::absolute("trace-otf2-roundtrip");
    fs::remove_all(dir);
    io::write_otf2_archive(synthetic(), dir);
    ASSERT_TRUE(fs::exists(dir / "traces.otf2"));
    // Read back with python3-otf2: per location, the (enter/leave, region, ns) sequence.
    const std::string script = R"(
import otf2, sys
with otf2.reader.open(sys.argv[1]) as r:
    print(sorted(l.name for l in r.definitions.locations))
    print(sorted(g.name for g in r.definitions.location_groups))
    print(sorted((reg.name, str(reg.paradigm)) for reg in r.definitions.regions))
    for loc, ev in r.events:
        if isinstance(ev, (otf2.events.Enter, otf2.events.Leave)):
            print(loc.name, type(ev).__name__, ev.region.name, ev.time)
)";
    const fs::path py = dir.parent_path() / "trace-otf2-roundtrip.py";
    std::ofstream(py) << script;
    const fs::path out = dir.parent_path() / "trace-otf2-roundtrip.txt";
    ASSERT_EQ(std::system(("/usr/bin/python3 " + py.string() + " " + (dir / "traces.otf2").string() + " > " +
                           out.string()).c_str()),
              0);
    std::ifstream in(out);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("['rank 0 thread 0', 'rank 0 thread 1', 'rank 1 thread 0']"), std::string::npos) << text;
    EXPECT_NE(text.find("['rank 0', 'rank 1']"), std::string::npos) << text;
    EXPECT_NE(text.find("('b.wait', 'Paradigm.MPI')"), std::string::npos) << text;
    EXPECT_NE(text.find("('sweep', 'Paradigm.OPENMP')"), std::string::npos) << text;
    EXPECT_NE(text.find("rank 0 thread 0 Enter b.wait 1000000\n"), std::string::npos) << text;
    EXPECT_NE(text.find("rank 0 thread 0 Leave a 3000000\n"), std::string::npos) << text;
    EXPECT_NE(text.find("rank 0 thread 1 Leave sweep 2000000\n"), std::string::npos) << text;
    EXPECT_NE(text.find("rank 1 thread 0 Enter b.wait 1500000\n"), std::string::npos) << text;
    EXPECT_NE(text.find("rank 1 thread 0 Leave a 3500000\n"), std::string::npos) << text;
    // The open begin of "a" at 4 ms on rank 0 is left out.
    EXPECT_EQ(text.find("4000000"), std::string::npos) << text;
    fs::remove_all(dir);
    fs::remove(py);
    fs::remove(out);
}

TEST(Trace, Otf2UnwritableFolderLeavesNothing) {
    namespace fs = std::filesystem;
    if (world().rank() == 0) {
        // /proc takes no new folders, even from root.
        try {
            io::write_otf2_archive(synthetic(), "/proc/tessera-otf2");
            ADD_FAILURE() << "no error";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("/proc/tessera-otf2: "), std::string::npos) << e.what();
        }
        EXPECT_FALSE(fs::exists("/proc/tessera-otf2"));
    }
    // Collective: a missing folder is a CollectiveError naming the trace file, on every rank,
    // and no archive appears.
    trace::enable(world(), 64);
    { ScopedTimer t("x"); }
    const fs::path bad = "no-such-folder-for-otf2/sub";
    try {
        io::write_traces(world(), bad);
        ADD_FAILURE() << "no error";
    } catch (const CollectiveError& e) {
        EXPECT_NE(std::string(e.what()).find(bad.string()), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists("no-such-folder-for-otf2"));
    trace::disable();
}
