// AppOptions: TOML + command line precedence, and every error path naming the key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <tessera/run/config.hpp>
#include <tessera/core/error.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;

namespace {

struct Args {
    std::vector<std::string> words;
    std::vector<char*> ptrs;
    explicit Args(std::vector<std::string> w) : words(std::move(w)) {
        for (auto& s : words) ptrs.push_back(s.data());
        ptrs.push_back(nullptr);
    }
    int argc() { return static_cast<int>(words.size()); }
    char** argv() { return ptrs.data(); }
};

// One file per rank count and test, written by rank 0 (all ranks then read it).
std::string write_toml(const std::string& name, const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("tessera_config_test_" + std::to_string(world().size()) + "_" + name);
    if (world().rank() == 0) std::ofstream(path) << text;
    world().barrier();
    return path.string();
}

struct Sample {
    run::AppOptions options{"sample", "Sample app"};
    long steps = 10;
    double alpha = 1.0;
    std::vector<long> cells{8, 8};
    std::string init = "sine";
    Sample() {
        auto& c = options.cli();
        c.add_option("--steps", steps, "steps")->check(CLI::Range(1L, 1000000L));
        c.add_option("--alpha", alpha, "diffusivity")->check(CLI::PositiveNumber);
        c.add_option("--cells", cells, "cells per axis")->expected(2, 3);
        c.add_option("--init", init, "initial condition")->check(CLI::IsMember({"sine", "gauss"}));
    }
    void parse(std::vector<std::string> words) {
        words.insert(words.begin(), "tessera-sample");
        Args a(std::move(words));
        options.parse(world(), a.argc(), a.argv());
    }
};

std::string collective_message(Sample& s, std::vector<std::string> words) {
    try {
        s.parse(std::move(words));
    } catch (const CollectiveError& e) {
        EXPECT_EQ(e.exit_code(), 2);
        return e.what();
    }
    ADD_FAILURE() << "expected a CollectiveError";
    return {};
}

}  // namespace

TEST(Config, DefaultsCommandLineAndToml) {
    const auto file = write_toml("ok.toml", "steps = 50\nalpha = 0.25\ncells = [16, 32]\ninit = \"gauss\"\n");
    Sample s;
    s.parse({"--config", file, "--steps", "7"});
    EXPECT_EQ(s.steps, 7);  // the command line wins
    EXPECT_EQ(s.alpha, 0.25);
    EXPECT_EQ(s.cells, (std::vector<long>{16, 32}));
    EXPECT_EQ(s.init, "gauss");
    EXPECT_EQ(s.options.common().config_file, file);
    const auto j = s.options.resolved();
    EXPECT_EQ(j["steps"], 7);
    EXPECT_EQ(j["alpha"], 0.25);
    EXPECT_EQ(j["cells"], nlohmann::json::array({16, 32}));
    EXPECT_EQ(j["init"], "gauss");
    EXPECT_EQ(j["output"], "out/sample");
    EXPECT_EQ(j["overwrite"], false);
}

TEST(Config, UnknownKeyNamesTheKey) {
    const auto file = write_toml("unknown.toml", "steps = 5\nstepz = 6\n");
    Sample s;
    const auto msg = collective_message(s, {"--config", file});
    EXPECT_NE(msg.find("stepz"), std::string::npos) << msg;
}

TEST(Config, WrongTypeNamesTheKey) {
    const auto file = write_toml("type.toml", "steps = \"many\"\n");
    Sample s;
    const auto msg = collective_message(s, {"--config", file});
    EXPECT_NE(msg.find("steps"), std::string::npos) << msg;
}

TEST(Config, OutOfRangeNamesTheOption) {
    Sample s;
    const auto msg = collective_message(s, {"--alpha", "-1"});
    EXPECT_NE(msg.find("alpha"), std::string::npos) << msg;
    Sample t;
    const auto msg2 = collective_message(t, {"--init", "square"});
    EXPECT_NE(msg2.find("init"), std::string::npos) << msg2;
}

TEST(Config, MissingFileAndBadSyntax) {
    Sample s;
    const auto msg = collective_message(s, {"--config", "/nonexistent/run.toml"});
    EXPECT_NE(msg.find("/nonexistent/run.toml"), std::string::npos) << msg;
    const auto file = write_toml("syntax.toml", "steps = = 3\n");
    Sample t;
    const auto msg2 = collective_message(t, {"--config", file});
    EXPECT_NE(msg2.find("line 1"), std::string::npos) << msg2;
}

TEST(Config, UnknownCommandLineOption) {
    Sample s;
    const auto msg = collective_message(s, {"--stpes", "3"});
    EXPECT_NE(msg.find("--stpes"), std::string::npos) << msg;
}

TEST(Config, HelpAndVersionExitZero) {
    Sample s;
    try {
        s.parse({"--help"});
        ADD_FAILURE() << "no ExitRequest";
    } catch (const ExitRequest& e) {
        EXPECT_EQ(e.code, 0);
    }
    Sample t;
    EXPECT_THROW(t.parse({"--version"}), ExitRequest);
}

TEST(Config, OutputDirectoryRules) {
    namespace fs = std::filesystem;
    const auto dir = fs::temp_directory_path() / ("tessera_outdir_" + std::to_string(world().size()));
    if (world().rank() == 0) fs::remove_all(dir);
    world().barrier();
    run::prepare_output_dir(world(), dir, false);  // created
    EXPECT_TRUE(fs::is_directory(dir));
    run::prepare_output_dir(world(), dir, false);  // empty: fine
    if (world().rank() == 0) std::ofstream(dir / "old.h5") << "x";
    world().barrier();
    EXPECT_THROW(run::prepare_output_dir(world(), dir, false), CollectiveError);
    EXPECT_NO_THROW(run::prepare_output_dir(world(), dir, true));
    EXPECT_THROW(run::prepare_output_dir(world(), dir / "old.h5", true), CollectiveError);
    world().barrier();
    if (world().rank() == 0) fs::remove_all(dir);
}
