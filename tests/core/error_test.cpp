// Local error checks and the OpenMP exception trap.
#include <gtest/gtest.h>

#include <omp.h>

#include <string>

#include <tessera/core/error.hpp>

TEST(Error, CheckThrowsWithLocationAndMessage) {
    const int n = -3;
    try {
        TESSERA_CHECK(n > 0, "n = " << n << " must be positive");
        FAIL() << "TESSERA_CHECK did not throw";
    } catch (const tessera::Error& e) {
        EXPECT_EQ(std::string(e.what()), "n = -3 must be positive");
        EXPECT_NE(std::string(e.file()).find("error_test.cpp"), std::string::npos);
        EXPECT_GT(e.line(), 0);
        EXPECT_EQ(e.rank(), -1);  // no Runtime in a serial test
    }
}

TEST(Error, CheckPassesSilently) { EXPECT_NO_THROW(TESSERA_CHECK(1 + 1 == 2, "arithmetic")); }

TEST(ThreadExceptionTrap, RethrowsAfterRegionFromOneThread) {
    tessera::ThreadExceptionTrap trap;
    int iterations_done = 0;
#pragma omp parallel num_threads(2) reduction(+ : iterations_done)
    {
        trap.run([&] {
            if (omp_get_thread_num() == omp_get_num_threads() - 1)
                throw std::runtime_error("thread " + std::to_string(omp_get_thread_num()) + " failed");
            ++iterations_done;
        });
    }
    EXPECT_TRUE(trap.failed());
    try {
        trap.rethrow();
        FAIL() << "no exception rethrown";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("failed"), std::string::npos);
    }
    // Rethrowing clears the trap.
    EXPECT_NO_THROW(trap.rethrow());
}

TEST(ThreadExceptionTrap, FirstOfManyWinsAndNothingIsLost) {
    tessera::ThreadExceptionTrap trap;
#pragma omp parallel for num_threads(2)
    for (int i = 0; i < 1000; ++i) trap.run([&] { if (i % 7 == 3) throw tessera::Error("bad i"); });
    EXPECT_THROW(trap.rethrow(), tessera::Error);
}

TEST(ThreadExceptionTrap, SilentWhenNothingThrows) {
    tessera::ThreadExceptionTrap trap;
    double sum = 0;
#pragma omp parallel for reduction(+ : sum)
    for (int i = 0; i < 100; ++i) trap.run([&] { sum += i; });
    EXPECT_FALSE(trap.failed());
    EXPECT_NO_THROW(trap.rethrow());
    EXPECT_EQ(sum, 4950.0);
}
