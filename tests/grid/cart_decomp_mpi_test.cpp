// CartDecomp: owned boxes tile the domain, neighbours agree, bad sizes are collective errors.
#include <gtest/gtest.h>

#include <tessera/core/error.hpp>
#include <tessera/grid/cart_decomp.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using grid::CartDecomp;
using tessera::testing::world;

template <int Dim>
void expect_tiling(const CartDecomp<Dim>& dec) {
    // Every rank's box, gathered: sizes add up, boxes are pairwise disjoint.
    const auto& b = dec.owned_box();
    std::vector<gindex_t> mine;
    for (int d = 0; d < Dim; ++d) mine.push_back(b.lo[d]), mine.push_back(b.hi[d]);
    std::vector<gindex_t> all(mine.size() * static_cast<std::size_t>(world().size()));
    MPI_Allgather(mine.data(), 2 * Dim, MPI_INT64_T, all.data(), 2 * Dim, MPI_INT64_T, world().get());
    std::vector<Box<Dim>> boxes(static_cast<std::size_t>(world().size()));
    gindex_t total = 0;
    for (std::size_t r = 0; r < boxes.size(); ++r) {
        for (int d = 0; d < Dim; ++d) {
            boxes[r].lo[d] = all[r * 2 * Dim + 2 * d];
            boxes[r].hi[d] = all[r * 2 * Dim + 2 * d + 1];
        }
        EXPECT_TRUE(dec.global_box().contains(boxes[r]));
        EXPECT_EQ(boxes[r], dec.owned_box_at([&] {
            std::array<int, Dim> c{};
            const auto v = dec.comm().coords(static_cast<int>(r));
            for (int d = 0; d < Dim; ++d) c[d] = v[d];
            return c;
        }()));
        total += boxes[r].size();
    }
    EXPECT_EQ(total, dec.global_box().size());
    for (std::size_t r = 0; r < boxes.size(); ++r)
        for (std::size_t s = r + 1; s < boxes.size(); ++s)
            EXPECT_TRUE(boxes[r].intersect(boxes[s]).empty());
}

TEST(CartDecomp, Tiles2DUneven) {
    CartDecomp<2> dec(world(), {37, 23}, {false, true});
    expect_tiling(dec);
    // The slow axis (y) gets the most ranks.
    EXPECT_GE(dec.procs()[1], dec.procs()[0]);
}

TEST(CartDecomp, Tiles3DWithGivenGrid) {
    CartDecomp<3> dec(world(), {13, 11, 9}, {true, false, true}, {world().size(), 1, 1});
    EXPECT_EQ(dec.procs()[0], world().size());
    expect_tiling(dec);
}

TEST(CartDecomp, NeighboursAreMutual) {
    CartDecomp<2> dec(world(), {16, 16}, {true, false});
    for (int dx = -1; dx <= 1; ++dx)
        for (int dy = -1; dy <= 1; ++dy) {
            const int peer = dec.neighbor({dx, dy});
            // Send my rank to the neighbour in (dx, dy); receive from (-dx, -dy).
            const int from = dec.neighbor({-dx, -dy});
            int got = -7;
            int me = dec.comm().rank();
            MPI_Sendrecv(&me, 1, MPI_INT, peer, 5, &got, 1, MPI_INT, from, 5, dec.comm().get(),
                         MPI_STATUS_IGNORE);
            if (from != MPI_PROC_NULL) {
                EXPECT_EQ(got, from);
            }
            if (dy != 0 && dx == 0) {
                EXPECT_EQ(peer == MPI_PROC_NULL, dec.at_edge(1, dy > 0 ? 1 : 0));
            }
        }
}

TEST(CartDecomp, BadSizesAreCollectiveErrors) {
    EXPECT_THROW(CartDecomp<2>(world(), {0, 10}, {false, false}), CollectiveError);
    EXPECT_THROW(CartDecomp<2>(world(), {10, -3}, {false, false}), CollectiveError);
    EXPECT_THROW(CartDecomp<2>(world(), {10, 10}, {false, false}, {world().size() + 1, 1}),
                 CollectiveError);
    if (world().size() > 1) {
        try {
            CartDecomp<2> dec(world(), {10, 1}, {false, false}, {1, world().size()});
            ADD_FAILURE() << "more ranks than cells accepted";
        } catch (const CollectiveError& e) {
            EXPECT_NE(std::string(e.what()).find("only 1 cells"), std::string::npos) << e.what();
        }
    }
}
