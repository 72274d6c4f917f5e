// Reproducible reductions: bitwise the same for any split over ranks and threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <array>
#include <cmath>
#include <vector>

#include <tessera/core/exact_sum.hpp>
#include <tessera/core/reduce.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;

namespace {

// Values with a wide exponent range and heavy cancellation, a function of the global index.
double value(gindex_t i) {
    const double s = std::sin(0.37 * static_cast<double>(i) + 1.0);
    return std::ldexp(s, static_cast<int>(i % 61) - 30) * (i % 3 == 0 ? -1.0 : 1.0);
}

}  // namespace

TEST(ExactSumMpi, AllreduceEqualsTheSerialSum) {
    const auto& w = world();
    ExactSum serial, mine;
    for (gindex_t i = 0; i < 4000; ++i) {
        serial.add(value(i));
        if (i % w.size() == w.rank()) mine.add(value(i));
    }
    mine.allreduce(w);
    EXPECT_EQ(mine.round(), serial.round());
}

TEST(ExactSumMpi, SeveralAccumulatorsInOneMessage) {
    const auto& w = world();
    std::array<ExactSum, 3> both;
    ExactSum a, b, c;
    for (gindex_t i = w.rank(); i < 3000; i += w.size()) {
        both[0].add(value(i));
        a.add(value(i));
        both[1].add(-value(2 * i));
        b.add(-value(2 * i));
    }
    both[2].add(std::nan(""));
    c.add(std::nan(""));
    ExactSum::allreduce(w, both);
    a.allreduce(w);
    b.allreduce(w);
    c.allreduce(w);
    EXPECT_EQ(both[0].round(), a.round());
    EXPECT_EQ(both[1].round(), b.round());
    EXPECT_TRUE(std::isnan(both[2].round()));
}

TEST(Reduce, DotIsBitwiseIndependentOfRanksAndThreads) {
    const auto& w = world();
    const auto self = w.split(w.rank(), 0);
    const gindex_t n = 5003;
    const index_t chunk = 37;
    std::vector<double> gx(n), gy(n);
    for (gindex_t i = 0; i < n; ++i) {
        gx[static_cast<std::size_t>(i)] = value(i);
        gy[static_cast<std::size_t>(i)] = value(3 * i + 1);
    }
    omp_set_num_threads(1);
    const double reference = dot(self, gx, gy, chunk);
    // Whole chunks dealt to ranks in contiguous runs, as a 1D block distribution would.
    const gindex_t chunks = (n + chunk - 1) / chunk;
    const gindex_t lo = chunks * w.rank() / w.size() * chunk;
    const gindex_t hi = std::min(n, chunks * (w.rank() + 1) / w.size() * chunk);
    std::vector<double> x(gx.begin() + lo, gx.begin() + hi), y(gy.begin() + lo, gy.begin() + hi);
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        EXPECT_EQ(dot(w, x, y, chunk), reference) << threads << " threads";
        EXPECT_EQ(norm2(w, x, chunk), norm2(self, gx, chunk)) << threads << " threads";
    }
    omp_set_num_threads(2);
    // Sanity: the value is a real dot product.
    long double ld = 0;
    for (gindex_t i = 0; i < n; ++i)
        ld += static_cast<long double>(gx[static_cast<std::size_t>(i)]) * gy[static_cast<std::size_t>(i)];
    EXPECT_NEAR(reference, static_cast<double>(ld), 1e-12 * std::abs(static_cast<double>(ld)) + 1e-300);
}
