// Halo exchange fills every ghost cell with its neighbour's value: 2D/3D, periodic or not,
// widths 1 and 2, faces or full patterns, uneven splits, 1 and 2 threads.
#include <gtest/gtest.h>

#include <omp.h>

#include <tessera/grid/halo_exchange.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using namespace tessera::grid;
using tessera::testing::world;

namespace {

constexpr double kUnset = -1.0;

template <int Dim>
double encode(const std::array<gindex_t, Dim>& g) {
    double v = 0, scale = 1;
    for (int d = 0; d < Dim; ++d, scale *= 1000) v += static_cast<double>(g[d]) * scale;
    return v;
}

struct Case {
    bool periodic_x, periodic_y;
    int width;
    HaloPattern pattern;
};

template <int Dim>
void check_exchange(const std::array<gindex_t, Dim>& cells, const Case& c) {
    std::array<bool, Dim> periodic{};
    periodic[0] = c.periodic_x;
    periodic[1] = c.periodic_y;
    CartDecomp<Dim> dec(world(), cells, periodic);
    Field<double, Dim> f(dec, 2);
    // Every storage cell unset, then owned cells encode their global index.
    auto v = f.view();
    const auto st = f.storage_box();
    auto for_all = [&](const Box<Dim>& b, auto&& fn) {
        std::array<gindex_t, Dim> g{};
        if constexpr (Dim == 2) {
            for (g[1] = b.lo[1]; g[1] < b.hi[1]; ++g[1])
                for (g[0] = b.lo[0]; g[0] < b.hi[0]; ++g[0]) fn(g);
        } else {
            for (g[2] = b.lo[2]; g[2] < b.hi[2]; ++g[2])
                for (g[1] = b.lo[1]; g[1] < b.hi[1]; ++g[1])
                    for (g[0] = b.lo[0]; g[0] < b.hi[0]; ++g[0]) fn(g);
        }
    };
    auto at = [&](const std::array<gindex_t, Dim>& g) -> double& {
        if constexpr (Dim == 2) return v(g[0], g[1]); else return v(g[0], g[1], g[2]);
    };
    for_all(st, [&](const auto& g) { at(g) = kUnset; });
    f.fill([](const auto& g) { return encode<Dim>(g); });

    HaloExchange<double, Dim> halo(f, c.width, c.pattern);
    for (int round = 0; round < 3; ++round) {  // reuse of buffers and persistent requests
        halo.start(f);
        halo.finish(f);
    }
    const auto owned = f.owned_box();
    int bad = 0;
    for_all(st, [&](const auto& g) {
        int outside = 0, too_far = 0;
        std::array<gindex_t, Dim> src = g;
        bool in_domain = true;
        for (int d = 0; d < Dim; ++d) {
            const bool out = g[d] < owned.lo[d] || g[d] >= owned.hi[d];
            outside += out;
            too_far += g[d] < owned.lo[d] - c.width || g[d] >= owned.hi[d] + c.width;
            if (src[d] < 0 || src[d] >= cells[d]) {
                if (periodic[d]) src[d] = (src[d] + cells[d]) % cells[d]; else in_domain = false;
            }
        }
        if (outside == 0) {
            bad += at(g) != encode<Dim>(g);
            return;
        }
        const bool covered = too_far == 0 && (c.pattern == HaloPattern::full || outside == 1);
        const double expect = covered && in_domain ? encode<Dim>(src) : kUnset;
        if (at(g) != expect && bad++ < 5)
            ADD_FAILURE() << "rank " << world().rank() << " ghost (" << g[0] << "," << g[1]
                          << ") = " << at(g) << ", expected " << expect;
    });
    EXPECT_EQ(bad, 0);
}

const Case kCases[] = {
    {false, false, 1, HaloPattern::faces}, {true, true, 1, HaloPattern::faces},
    {true, false, 2, HaloPattern::faces},  {false, false, 1, HaloPattern::full},
    {true, true, 2, HaloPattern::full},    {false, true, 2, HaloPattern::full},
};

}  // namespace

TEST(HaloExchange, TwoDimensionsUneven) {
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        for (const auto& c : kCases) check_exchange<2>({37, 23}, c);
    }
}

TEST(HaloExchange, ThreeDimensionsUneven) {
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        for (const auto& c : kCases) check_exchange<3>({13, 11, 9}, c);
    }
}

TEST(HaloExchange, RejectsWidthBeyondGhostOrBox) {
    CartDecomp<2> dec(world(), {8, 8}, {false, false});
    Field<double, 2> f(dec, 1);
    EXPECT_THROW((HaloExchange<double, 2>(f, 2, HaloPattern::faces)), CollectiveError);
    if (world().size() == 4) {
        CartDecomp<2> thin(world(), {2, 8}, {false, false}, {2, 2});
        Field<double, 2> g(thin, 2);
        EXPECT_THROW((HaloExchange<double, 2>(g, 2, HaloPattern::faces)), CollectiveError);
    }
}
