// Journal: ranges as text, an atomic save and a load that refuses another run's journal.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <tessera/core/error.hpp>
#include <tessera/tasks/journal.hpp>

using tessera::tasks::Journal;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
    const auto dir = fs::temp_directory_path() / ("tessera_journal_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir / name;
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const tessera::Error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(Journal, RangesCollapseRunsOfFinishedTasks) {
    Journal j(12, "run-a");
    EXPECT_EQ(j.ranges(), "none");
    for (int i : {0, 1, 2, 3, 5, 7, 8, 11}) j.mark_finished(i);
    j.mark_finished(2);  // twice counts once
    EXPECT_EQ(j.ranges(), "0-3,5,7-8,11");
    EXPECT_EQ(j.n_finished(), 8);
    EXPECT_TRUE(j.finished(5));
    EXPECT_FALSE(j.finished(6));
    EXPECT_FALSE(j.finished(-1));
    EXPECT_FALSE(j.finished(12));
    EXPECT_THROW(j.mark_finished(12), tessera::Error);
}

TEST(Journal, SaveAndLoadRoundTrip) {
    const auto path = scratch("roundtrip.journal");
    Journal j(100, "cfg 1234");
    for (int i = 10; i < 60; ++i) j.mark_finished(i);
    j.mark_finished(99);
    j.save(path);
    const auto back = Journal::load(path, 100, "cfg 1234");
    EXPECT_EQ(back.ranges(), "10-59,99");
    EXPECT_EQ(back.n_finished(), 51);
    for (const auto& entry : fs::directory_iterator(path.parent_path()))
        EXPECT_EQ(entry.path().extension(), ".journal") << "a temporary was left: " << entry.path();
}

TEST(Journal, LoadRefusesAnotherRunAndBadFiles) {
    const auto path = scratch("other.journal");
    Journal(8, "run-a").save(path);
    EXPECT_NE(error_of([&] { Journal::load(path, 8, "run-b"); }).find("belongs to another run"), std::string::npos);
    EXPECT_NE(error_of([&] { Journal::load(path, 9, "run-a"); }).find("is for 8 tasks, this run has 9"),
              std::string::npos);
    EXPECT_NE(error_of([&] { Journal::load(scratch("missing.journal"), 8, "x"); }).find("cannot be read"),
              std::string::npos);
    const auto bad = scratch("bad.journal");
    write(bad, "hello\n");
    EXPECT_NE(error_of([&] { Journal::load(bad, 8, "x"); }).find("not a tessera task journal"), std::string::npos);
    write(bad, "tessera-task-journal 1\ntasks 8\nfingerprint x\ndone 3-1\n");
    EXPECT_NE(error_of([&] { Journal::load(bad, 8, "x"); }).find("done line"), std::string::npos);
    write(bad, "tessera-task-journal 1\ntasks 8\nfingerprint x\ndone 0-8\n");
    EXPECT_NE(error_of([&] { Journal::load(bad, 8, "x"); }).find("done line"), std::string::npos);
    write(bad, "tessera-task-journal 1\ntasks 8\nfingerprint x\ndone 0-2,x\n");
    EXPECT_NE(error_of([&] { Journal::load(bad, 8, "x"); }).find("done line"), std::string::npos);
}
