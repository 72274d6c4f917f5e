// main() for MPI gtests: one report from rank 0, failures from any rank tagged with the rank,
// and the same exit code on every rank.
#include <gtest/gtest.h>

#include <cstdio>

#include <tessera/core/runtime.hpp>

#include "mpi_test.hpp"

namespace {

const tessera::Runtime* g_runtime = nullptr;

// Prints every failure raised on a non-zero rank (rank 0's are printed by gtest itself) and,
// after each test, which ranks failed it, so rank 0's report does not hide them.
class RankFailureListener : public ::testing::EmptyTestEventListener {
public:
    explicit RankFailureListener(const tessera::mpi::Comm& comm) : comm_(comm) {}

    void OnTestPartResult(const ::testing::TestPartResult& r) override {
        if (!r.failed() || comm_.rank() == 0) return;
        std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", comm_.rank(),
                     r.file_name() ? r.file_name() : "?", r.line_number(), r.summary());
        std::fflush(stderr);
    }

    void OnTestEnd(const ::testing::TestInfo& info) override {
        const int failed = info.result()->Failed() ? 1 : 0;
        const auto all = tessera::mpi::allgather(comm_, failed);
        if (comm_.rank() != 0) return;
        std::string ranks;
        for (std::size_t r = 0; r < all.size(); ++r)
            if (all[r]) ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
        if (!ranks.empty())
            std::printf("[  FAILED  ] %s.%s on rank(s) %s\n", info.test_suite_name(), info.name(),
                        ranks.c_str());
    }

private:
    const tessera::mpi::Comm& comm_;
};

}  // namespace

const tessera::mpi::Comm& tessera::testing::world() { return g_runtime->world(); }

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);
    g_runtime = &runtime;
    ::testing::InitGoogleTest(&argc, argv);
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    if (runtime.rank() != 0) delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailureListener(runtime.world()));
    const int local = RUN_ALL_TESTS();
    const int rc = tessera::mpi::allreduce(runtime.world(), local, MPI_MAX);
    g_runtime = nullptr;
    return rc;
}
