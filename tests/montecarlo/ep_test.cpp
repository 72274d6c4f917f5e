// NPB EP: the vectorized batch kernel against NPB's own scalar kernel.
#include <gtest/gtest.h>

#include <cmath>

#include <tessera/montecarlo/ep.hpp>

using namespace tessera::montecarlo;

TEST(EpBatch, MatchesNpbReferenceKernel) {
    for (tessera::gindex_t k : {0, 1, 2, 37, 255, 4095}) {
        const EpTally fast = ep_batch(k), ref = ep_batch_ref(k);
        EXPECT_EQ(fast.q, ref.q) << "batch " << k;
        EXPECT_NEAR(fast.sx, ref.sx, 1e-12 * std::abs(ref.sx) + 1e-12) << "batch " << k;
        EXPECT_NEAR(fast.sy, ref.sy, 1e-12 * std::abs(ref.sy) + 1e-12) << "batch " << k;
        // About pi/4 of the pairs fall in the unit disc.
        EXPECT_NEAR(fast.accepted() / double(ep_batch_pairs), M_PI / 4, 0.01);
    }
}

TEST(EpBatch, BatchesDiffer) {
    EXPECT_NE(ep_batch(0).sx, ep_batch(1).sx);
}

TEST(EpClass, PublishedValues) {
    ASSERT_TRUE(ep_class('S'));
    EXPECT_EQ(ep_class('S')->m, 24);
    EXPECT_TRUE(ep_class('S')->counts.has_value());
    EXPECT_EQ(ep_class('A')->m, 28);
    EXPECT_EQ(ep_class('B')->m, 30);
    EXPECT_FALSE(ep_class('Q'));
    EXPECT_FALSE(ep_class('s'));
}

TEST(EpVerify, RejectsWrongSums) {
    const auto cls = *ep_class('W');
    EpResult r;
    r.m = cls.m;
    r.tally.sx = cls.sx;
    r.tally.sy = cls.sy;
    EXPECT_TRUE(ep_verify(r, cls).passed);
    r.tally.sx = cls.sx * (1 + 2e-8);
    EXPECT_FALSE(ep_verify(r, cls).passed);
    r.tally.sx = cls.sx;
    r.m = 24;
    EXPECT_FALSE(ep_verify(r, cls).passed);
}
