// Block splitting of an axis: contiguous, covering, remainders spread, 64-bit safe.
#include <gtest/gtest.h>

#include <tessera/grid/cart_decomp.hpp>

using tessera::gindex_t;
using tessera::grid::split_range;

TEST(SplitRange, CoversContiguouslyWithSpreadRemainder) {
    for (gindex_t n : {1, 7, 37, 100, 1023}) {
        for (int parts = 1; parts <= std::min<gindex_t>(n, 9); ++parts) {
            gindex_t next = 0;
            for (int p = 0; p < parts; ++p) {
                const auto [first, count] = split_range(n, parts, p);
                EXPECT_EQ(first, next);
                EXPECT_TRUE(count == n / parts || count == n / parts + 1);
                EXPECT_EQ(count == n / parts + 1, p < n % parts);
                next = first + count;
            }
            EXPECT_EQ(next, n);
        }
    }
}

TEST(SplitRange, SixtyFourBit) {
    const gindex_t n = (gindex_t{1} << 40) + 3;
    const auto [first, count] = split_range(n, 4, 3);
    EXPECT_EQ(first + count, n);
    EXPECT_EQ(count, (gindex_t{1} << 38));
}
