// Box arithmetic and View indexing.
#include <gtest/gtest.h>

#include <vector>

#include <tessera/core/box.hpp>
#include <tessera/core/view.hpp>

using tessera::Box;
using tessera::index_t;
using tessera::View;

TEST(Box, SizeGrowIntersect) {
    Box<2> b{{0, 0}, {4, 3}};
    EXPECT_EQ(b.size(), 12);
    EXPECT_EQ(b.grown(1), (Box<2>{{-1, -1}, {5, 4}}));
    EXPECT_EQ(b.grown(1).size(), 30);
    EXPECT_EQ(b.intersect(Box<2>{{2, 1}, {10, 10}}), (Box<2>{{2, 1}, {4, 3}}));
    EXPECT_TRUE(b.intersect(Box<2>{{5, 5}, {6, 6}}).empty());
    EXPECT_TRUE(b.grown(1).contains(b));
    EXPECT_FALSE(b.contains(b.grown(1)));
}

TEST(Box, SixtyFourBitSizes) {
    // 3 * 2^31 cells per axis pair: overflows 32 bits, fine in gindex_t.
    Box<2> b{{0, 0}, {3LL << 31, 4}};
    EXPECT_EQ(b.size(), 12LL << 31);
}

TEST(View, GhostIndexingAndStrides) {
    // A 4 x 3 interior with one ghost cell: storage 6 x 5, index box [-1,5) x [-1,4).
    std::vector<double> store(30);
    for (std::size_t n = 0; n < store.size(); ++n) store[n] = static_cast<double>(n);
    Box<2> storage{{-1, -1}, {5, 4}};
    View<double, 2> v(store.data(), storage, {1, 6});
    EXPECT_EQ(v(-1, -1), 0.0);
    EXPECT_EQ(v(0, 0), 7.0);
    EXPECT_EQ(v(4, 3), 29.0);
    EXPECT_EQ(v.row(2)[1], v(1, 2));
    tessera::ConstView<double, 2> c = v;
    EXPECT_EQ(c(2, 1), v(2, 1));
    EXPECT_EQ(c.data(), store.data());
}

TEST(View, ThreeD) {
    std::vector<int> store(2 * 3 * 4);
    View<int, 3> v(store.data(), Box<3>{{0, 0, 0}, {2, 3, 4}}, {1, 2, 6});
    for (index_t k = 0; k < 4; ++k)
        for (index_t j = 0; j < 3; ++j)
            for (index_t i = 0; i < 2; ++i) v(i, j, k) = static_cast<int>(i + 10 * j + 100 * k);
    EXPECT_EQ(store[1 + 2 * 2 + 6 * 3], 321);
    EXPECT_EQ(v.row(2, 3)[1], 321);
}
