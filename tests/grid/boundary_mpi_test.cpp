// Boundary ghosts are reflections across the wall: odd for Dirichlet, even for Neumann.
#include <gtest/gtest.h>

#include <tessera/grid/boundary.hpp>
#include <tessera/grid/halo_exchange.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using namespace tessera::grid;
using tessera::testing::world;

TEST(Boundary, ReflectionsAtEveryWallIncludingCorners) {
    const gindex_t nx = 12, ny = 10;
    CartDecomp<2> dec(world(), {nx, ny}, {false, false});
    Field<double, 2> f(dec, 2);
    auto value = [](gindex_t i, gindex_t j) { return 1.0 + static_cast<double>(i) + 100.0 * static_cast<double>(j); };
    f.fill([&](const auto& g) { return value(g[0], g[1]); });
    HaloExchange<double, 2> halo(f, 2, HaloPattern::full);
    halo.exchange(f);
    const std::array<Boundary, 2> bc{Boundary{BoundaryKind::dirichlet, 0.5},
                                     Boundary{BoundaryKind::neumann, 0.0}};
    apply_boundaries(f, bc, 2);
    auto mirror = [](gindex_t i, gindex_t n) { return i < 0 ? -1 - i : i >= n ? 2 * n - 1 - i : i; };
    auto expected = [&](gindex_t i, gindex_t j) {
        const double inner = value(mirror(i, nx), mirror(j, ny));
        const bool flip = i < 0 || i >= nx;  // Dirichlet in x: odd about 0.5
        return flip ? 2 * 0.5 - inner : inner;
    };
    const auto v = f.view();
    const auto st = f.storage_box();
    for (gindex_t j = st.lo[1]; j < st.hi[1]; ++j)
        for (gindex_t i = st.lo[0]; i < st.hi[0]; ++i)
            EXPECT_EQ(v(i, j), expected(i, j)) << "at (" << i << ", " << j << ") rank " << world().rank();
}

TEST(Boundary, ParseNames) {
    EXPECT_EQ(parse_boundary_kind("neumann"), BoundaryKind::neumann);
    EXPECT_STREQ(to_string(BoundaryKind::periodic), "periodic");
    EXPECT_THROW(parse_boundary_kind("robin"), Error);
}
