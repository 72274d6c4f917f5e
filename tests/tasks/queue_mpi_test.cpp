// run_tasks: every task runs exactly once, results arrive in order, failures are reported
// with index, rank and message on every rank (stop and continue), a resumed run skips what the
// journal lists, and bad arguments are refused on every rank.
#include <gtest/gtest.h>

#include <omp.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include <tessera/core/error.hpp>
#include <tessera/tasks/journal.hpp>
#include <tessera/tasks/queue.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;
namespace fs = std::filesystem;

namespace {

// Task i's result: i + 1 copies of the byte (i % 251), so sizes and contents differ.
void fill_result(tasks::TaskContext& ctx) {
    ctx.result->assign(static_cast<std::size_t>(ctx.index % 97 + 1),
                       static_cast<std::byte>(ctx.index % 251));
}

bool result_matches(gindex_t index, std::span<const std::byte> bytes) {
    if (bytes.size() != static_cast<std::size_t>(index % 97 + 1)) return false;
    for (auto b : bytes)
        if (b != static_cast<std::byte>(index % 251)) return false;
    return true;
}

// Counts, on every rank, how often each task ran anywhere.
std::vector<long long> runs_per_task(const std::vector<long long>& local) {
    auto total = local;
    mpi::allreduce(world(), std::span<long long>(total), MPI_SUM);
    return total;
}

fs::path scratch(const std::string& name) {
    const std::string pid = mpi::bcast(world(), std::to_string(::getpid()), 0);
    const auto dir = fs::temp_directory_path() / ("tessera_queue_" + pid);
    if (world().rank() == 0) fs::create_directories(dir);
    world().barrier();
    return dir / name;
}

struct Case {
    tasks::Threads threads;
    int omp_threads;
};

}  // namespace

TEST(RunTasks, EveryTaskRunsOnceAndResultsArriveInOrder) {
    const gindex_t n = 203;
    for (const Case c : {Case{tasks::Threads::inside_task, 1}, Case{tasks::Threads::inside_task, 2},
                         Case{tasks::Threads::one_per_thread, 1}, Case{tasks::Threads::one_per_thread, 2}}) {
        omp_set_num_threads(c.omp_threads);
        std::vector<long long> ran(n, 0);
        std::vector<gindex_t> order;
        int bad_results = 0, heartbeats = 0, bad_slots = 0, team_sizes_seen = 0;
        tasks::TaskOptions options;
        options.threads = c.threads;
        options.max_in_flight = 2;  // exercises the wait for a free send buffer
        options.heartbeat = [&](gindex_t) {
#pragma omp atomic
            ++heartbeats;
        };
        const auto report = tasks::run_tasks(
            world(), n,
            [&](tasks::TaskContext& ctx) {
#pragma omp atomic
                ++ran[static_cast<std::size_t>(ctx.index)];
                if (ctx.rank != world().rank() || ctx.slot < 0 || ctx.slot >= c.omp_threads) {
#pragma omp atomic
                    ++bad_slots;
                }
                if (c.threads == tasks::Threads::inside_task) {
                    int team = 0;
#pragma omp parallel reduction(+ : team)
                    team += 1;
                    team_sizes_seen += team == c.omp_threads;
                }
                fill_result(ctx);
            },
            [&](gindex_t index, std::span<const std::byte> bytes) {
                order.push_back(index);
                bad_results += !result_matches(index, bytes);
            },
            options);
        const auto total = runs_per_task(ran);
        for (gindex_t i = 0; i < n; ++i) EXPECT_EQ(total[static_cast<std::size_t>(i)], 1) << "task " << i;
        EXPECT_EQ(bad_slots, 0);
        EXPECT_EQ(heartbeats, report.tasks_here);
        EXPECT_EQ(mpi::allreduce(world(), static_cast<long long>(report.tasks_here), MPI_SUM), n);
        if (c.threads == tasks::Threads::inside_task) {
            EXPECT_EQ(team_sizes_seen, report.tasks_here);
        }
        EXPECT_EQ(report.completed, n);
        EXPECT_EQ(report.not_run, 0);
        EXPECT_TRUE(report.ok());
        if (world().rank() == 0) {
            ASSERT_EQ(order.size(), static_cast<std::size_t>(n));
            for (gindex_t i = 0; i < n; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
            EXPECT_EQ(bad_results, 0);
        } else {
            EXPECT_TRUE(order.empty()) << "results go to the writer only";
        }
        EXPECT_GT(report.efficiency, 0.0);
        EXPECT_LE(report.efficiency, 1.0 + 1e-9);
    }
    omp_set_num_threads(2);
}

TEST(RunTasks, AnotherWriterRankReceivesTheResults) {
    const int writer = world().size() - 1;
    std::vector<gindex_t> order;
    tasks::TaskOptions options;
    options.writer = writer;
    tasks::run_tasks(world(), 31, fill_result,
                     [&](gindex_t index, std::span<const std::byte> bytes) {
                         EXPECT_TRUE(result_matches(index, bytes));
                         order.push_back(index);
                     },
                     options);
    EXPECT_EQ(order.size(), world().rank() == writer ? 31u : 0u);
    for (std::size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], static_cast<gindex_t>(i));
}

TEST(RunTasks, FailureOnAnotherRankIsReportedEverywhereAndTheRestRunWithContinue) {
    // The last rank's first task throws; every other task succeeds.
    const int thrower = world().size() - 1;
    bool thrown = false;
    gindex_t thrown_index = -1;
    std::vector<tasks::TaskFailure> seen_by_writer;
    std::vector<gindex_t> delivered;
    tasks::TaskOptions options;
    options.on_error = tasks::OnError::continue_;
    const gindex_t n = 40;
    const auto report = tasks::run_tasks(
        world(), n,
        [&](tasks::TaskContext& ctx) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            if (ctx.rank == thrower && !thrown) {
                thrown = true;
                thrown_index = ctx.index;
                throw std::runtime_error("frame " + std::to_string(ctx.index) + " is broken");
            }
            fill_result(ctx);
        },
        [&](gindex_t index, std::span<const std::byte>) { delivered.push_back(index); }, options,
        [&](const tasks::TaskFailure& f) { seen_by_writer.push_back(f); });
    const gindex_t failed_index = mpi::bcast(world(), thrown_index, thrower);
    ASSERT_EQ(report.failures.size(), 1u);
    EXPECT_EQ(report.failures[0].index, failed_index);
    EXPECT_EQ(report.failures[0].rank, thrower);
    EXPECT_EQ(report.failures[0].message, "frame " + std::to_string(failed_index) + " is broken");
    EXPECT_FALSE(report.stopped);
    EXPECT_EQ(report.completed, n - 1);
    EXPECT_EQ(report.not_run, 0);
    if (world().rank() == 0) {
        ASSERT_EQ(seen_by_writer.size(), 1u);
        EXPECT_EQ(seen_by_writer[0].index, failed_index);
        EXPECT_EQ(delivered.size(), static_cast<std::size_t>(n - 1));
        for (std::size_t k = 1; k < delivered.size(); ++k) EXPECT_LT(delivered[k - 1], delivered[k]);
    }
}

TEST(RunTasks, StopEndsTheQueueOnEveryRankAndKeepsWhatRan) {
    // Task 3 throws wherever it runs; the others take 2 ms, so most are never claimed.
    const gindex_t n = 400;
    std::vector<long long> ran(n, 0);
    const auto report = tasks::run_tasks(
        world(), n,
        [&](tasks::TaskContext& ctx) {
            ++ran[static_cast<std::size_t>(ctx.index)];
            if (ctx.index == 3) throw std::runtime_error("task three fails");
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        },
        {}, tasks::TaskOptions{});
    const auto total = runs_per_task(ran);
    long long ran_total = 0;
    for (auto r : total) {
        EXPECT_LE(r, 1);
        ran_total += r;
    }
    ASSERT_EQ(report.failures.size(), 1u);
    EXPECT_EQ(report.failures[0].index, 3);
    EXPECT_EQ(report.failures[0].message, "task three fails");
    EXPECT_TRUE(report.stopped);
    EXPECT_FALSE(report.ok());
    EXPECT_EQ(report.completed + 1 + report.not_run, n);
    EXPECT_EQ(ran_total, report.completed + 1);
    EXPECT_GT(report.not_run, n / 2) << "the queue went on after the failure";
}

TEST(RunTasks, ResumeSkipsWhatTheJournalListsAndCompletesTheRun) {
    const auto journal = scratch("resume.journal");
    const gindex_t n = 60;
    std::vector<long long> ran_second(n, 0);
    std::vector<gindex_t> delivered;
    tasks::TaskOptions options;
    options.journal = journal;
    options.fingerprint = "test run 1";
    options.journal_interval = 0;
    // First run: task 25 fails and stops the queue.
    const auto first = tasks::run_tasks(
        world(), n,
        [&](tasks::TaskContext& ctx) {
            if (ctx.index == 25) throw std::runtime_error("disk hiccup");
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            fill_result(ctx);
        },
        [&](gindex_t index, std::span<const std::byte>) { delivered.push_back(index); }, options);
    EXPECT_TRUE(first.stopped);
    // Second run: resume; only the tasks the journal does not list run.
    options.resume = true;
    world().barrier();
    const auto after_first = tasks::Journal::load(journal, n, "test run 1");  // every rank reads it
    const gindex_t listed = after_first.n_finished();
    EXPECT_EQ(listed, first.completed);
    EXPECT_FALSE(after_first.finished(25));
    const auto second = tasks::run_tasks(
        world(), n,
        [&](tasks::TaskContext& ctx) {
            ++ran_second[static_cast<std::size_t>(ctx.index)];
            fill_result(ctx);
        },
        [&](gindex_t index, std::span<const std::byte> bytes) {
            EXPECT_TRUE(result_matches(index, bytes));
            delivered.push_back(index);
        },
        options);
    EXPECT_TRUE(second.ok());
    EXPECT_EQ(second.skipped, listed);
    EXPECT_EQ(second.completed, n - listed);
    const auto total_second = runs_per_task(ran_second);
    long long reran = 0;
    for (gindex_t i = 0; i < n; ++i) {
        const auto runs = total_second[static_cast<std::size_t>(i)];
        reran += runs;
        EXPECT_EQ(runs, after_first.finished(i) ? 0 : 1) << "task " << i;
    }
    EXPECT_EQ(reran, n - listed) << "only unfinished tasks run again";
    if (world().rank() == 0) {
        std::sort(delivered.begin(), delivered.end());
        ASSERT_EQ(delivered.size(), static_cast<std::size_t>(n)) << "each task delivered once over both runs";
        for (gindex_t i = 0; i < n; ++i) EXPECT_EQ(delivered[static_cast<std::size_t>(i)], i);
        EXPECT_EQ(tasks::Journal::load(journal, n, "test run 1").n_finished(), n);
    }
    // A third run with another fingerprint refuses the journal, on every rank.
    options.fingerprint = "test run 2";
    try {
        tasks::run_tasks(world(), n, fill_result, {}, options);
        ADD_FAILURE() << "a journal of another run was accepted";
    } catch (const CollectiveError& e) {
        EXPECT_NE(std::string(e.what()).find(journal.string()), std::string::npos) << e.what();
        EXPECT_EQ(e.exit_code(), 2);
    }
}

TEST(RunTasks, ThrowingResultHandlerIsAFailureOfItsTask) {
    const auto report = tasks::run_tasks(
        world(), 20, fill_result,
        [&](gindex_t index, std::span<const std::byte>) {
            if (index == 4) throw std::runtime_error("cannot write frame 4");
        },
        tasks::TaskOptions{});
    ASSERT_EQ(report.failures.size(), 1u);
    EXPECT_EQ(report.failures[0].index, 4);
    EXPECT_EQ(report.failures[0].rank, 0);
    EXPECT_EQ(report.failures[0].message, "cannot write frame 4");
    EXPECT_TRUE(report.stopped);
}

TEST(RunTasks, BadArgumentsAreRefusedOnEveryRank) {
    const auto refused = [](gindex_t n, tasks::TaskOptions options, const std::string& needle) {
        try {
            tasks::run_tasks(world(), n, fill_result, {}, options);
        } catch (const CollectiveError& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            return;
        }
        ADD_FAILURE() << "accepted: " << needle;
    };
    refused(-1, {}, "n_tasks = -1");
    tasks::TaskOptions options;
    options.writer = world().size();
    refused(5, options, "writer = ");
    options = {};
    options.max_in_flight = 0;
    refused(5, options, "max_in_flight = 0");
    options = {};
    options.resume = true;
    refused(5, options, "resume needs a journal");
    options.journal = scratch("never-written.journal");
    refused(5, options, "never-written.journal");
    EXPECT_EQ(tasks::parse_on_error("continue"), tasks::OnError::continue_);
    EXPECT_THROW(tasks::parse_on_error("ignore"), Error);
}

TEST(RunTasks, NoTasksIsAnEmptyRun) {
    const auto report = tasks::run_tasks(world(), 0, fill_result, {}, tasks::TaskOptions{});
    EXPECT_TRUE(report.ok());
    EXPECT_EQ(report.completed, 0);
}
