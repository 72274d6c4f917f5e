// BorderExchange fills every ghost cell within its width, corners included, with the border
// rule's value wherever the source pixel lives: all modes, widths 0..5, tiles narrower than the
// width, uneven splits, 1xP, Px1 and MPI-chosen grids; border_source against OpenCV's tables.
#include <gtest/gtest.h>

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include <tessera/grid/border.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using namespace tessera::grid;
using tessera::testing::world;

namespace {

constexpr BorderMode kModes[] = {BorderMode::reflect101, BorderMode::reflect,
                                 BorderMode::replicate, BorderMode::constant, BorderMode::wrap};
constexpr double kConstant = 7.0;

// OpenCV's cv::borderInterpolate, loop for loop: the oracle for border_source.
gindex_t opencv_border_interpolate(gindex_t p, gindex_t len, BorderMode mode) {
    if (p >= 0 && p < len) return p;
    switch (mode) {
        case BorderMode::replicate: return p < 0 ? 0 : len - 1;
        case BorderMode::reflect:
        case BorderMode::reflect101: {
            const gindex_t delta = mode == BorderMode::reflect101;
            if (len == 1) return 0;
            do {
                if (p < 0) p = -p - 1 + delta;
                else p = len - 1 - (p - len) - delta;
            } while (p < 0 || p >= len);
            return p;
        }
        case BorderMode::wrap:
            if (p < 0) p -= ((p - len + 1) / len) * len;
            if (p >= len) p %= len;
            return p;
        case BorderMode::constant: return -1;
    }
    return -2;
}

// The value owned pixel (i, j) holds: unique per pixel for double, modulo 256 for uint8_t.
template <class T>
T encode(gindex_t i, gindex_t j, int round) {
    const gindex_t v = i + 1000 * j + 17 * round;
    if constexpr (std::is_same_v<T, std::uint8_t>) return static_cast<T>(v % 256);
    else return static_cast<T>(v);
}

// The sentinel written into every ghost before an exchange.
template <class T>
T unset() {
    if constexpr (std::is_floating_point_v<T>) return T(-1);
    else return std::numeric_limits<T>::max();
}

// Every storage cell within `width` of the owned box must hold the border rule's value (corner:
// source on both axes, constant if either is outside); cells further out (the field's ghost is
// one wider than `width`) must be untouched. Two rounds with different owned values reuse the
// same exchange. Returns the number of wrong cells on this rank.
template <class T>
int check_case(const CartDecomp<2>& dec, int width, BorderMode mode) {
    const gindex_t nx = dec.global_cells()[0], ny = dec.global_cells()[1];
    Field<T, 2> f(dec, width + 1);
    BorderExchange<T> ex(f, width, Border{mode, kConstant});
    EXPECT_EQ(ex.width(), width);
    EXPECT_EQ(ex.border().mode, mode);
    const auto st = f.storage_box();
    const auto owned = f.owned_box();
    auto v = f.view();
    int bad = 0;
    for (int round = 0; round < 2; ++round) {
        for (gindex_t j = st.lo[1]; j < st.hi[1]; ++j)
            for (gindex_t i = st.lo[0]; i < st.hi[0]; ++i) v(i, j) = unset<T>();
        f.fill([&](const auto& g) { return encode<T>(g[0], g[1], round); });
        ex.exchange(f);
        for (gindex_t j = st.lo[1]; j < st.hi[1]; ++j) {
            for (gindex_t i = st.lo[0]; i < st.hi[0]; ++i) {
                const bool within = i >= owned.lo[0] - width && i < owned.hi[0] + width &&
                                    j >= owned.lo[1] - width && j < owned.hi[1] + width;
                T expect = unset<T>();
                if (within) {
                    const gindex_t si = border_source(i, nx, mode), sj = border_source(j, ny, mode);
                    expect = si < 0 || sj < 0 ? static_cast<T>(kConstant) : encode<T>(si, sj, round);
                }
                if (v(i, j) != expect && bad++ < 5)
                    ADD_FAILURE() << "rank " << world().rank() << " image " << nx << "x" << ny
                                  << " procs " << dec.procs()[0] << "x" << dec.procs()[1] << " "
                                  << to_string(mode) << " width " << width << " round " << round
                                  << ": (" << i << ", " << j << ") = " << +v(i, j) << ", expected "
                                  << +expect;
            }
        }
    }
    return bad;
}

// The process grids to try for `cells`: MPI's choice, 1xP and Px1, where they fit.
std::vector<std::array<int, 2>> grids_for(const std::array<gindex_t, 2>& cells) {
    const int p = world().size();
    std::array<int, 2> chosen{0, 0};
    MPI_Dims_create(p, 2, chosen.data());  // CartDecomp gives the larger count to axis 1
    std::vector<std::array<int, 2>> grids;
    if (chosen[1] <= cells[0] && chosen[0] <= cells[1]) grids.push_back({0, 0});
    if (p > 1 && p <= cells[1]) grids.push_back({1, p});
    if (p > 1 && p <= cells[0]) grids.push_back({p, 1});
    return grids;
}

const std::array<gindex_t, 2> kImages[] = {{13, 11}, {7, 5}, {5, 9}, {1, 6}, {40, 3}, {2, 2}};

template <class T>
void check_all_cases() {
    for (const auto& cells : kImages) {
        for (const auto& procs : grids_for(cells)) {
            CartDecomp<2> dec(world(), cells, {false, false}, procs);
            int bad = 0;
            for (const auto mode : kModes)
                for (int width = 0; width <= 5; ++width) bad += check_case<T>(dec, width, mode);
            EXPECT_EQ(bad, 0) << "image " << cells[0] << "x" << cells[1] << " procs "
                              << dec.procs()[0] << "x" << dec.procs()[1];
        }
    }
}

}  // namespace

TEST(BorderSource, MatchesOpenCVTables) {
    // abcdefgh = 0..7; the tables of border.hpp's comment, g = -6..-1 and 8..14.
    struct Row {
        BorderMode mode;
        std::vector<gindex_t> low, high;
    };
    const Row rows[] = {
        {BorderMode::reflect101, {6, 5, 4, 3, 2, 1}, {6, 5, 4, 3, 2, 1, 0}},
        {BorderMode::reflect, {5, 4, 3, 2, 1, 0}, {7, 6, 5, 4, 3, 2, 1}},
        {BorderMode::replicate, {0, 0, 0, 0, 0, 0}, {7, 7, 7, 7, 7, 7, 7}},
        {BorderMode::constant, {-1, -1, -1, -1, -1, -1}, {-1, -1, -1, -1, -1, -1, -1}},
        {BorderMode::wrap, {2, 3, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6}},
    };
    for (const auto& r : rows) {
        for (gindex_t g = -6; g < 0; ++g)
            EXPECT_EQ(border_source(g, 8, r.mode), r.low[static_cast<std::size_t>(g + 6)])
                << to_string(r.mode) << " g " << g;
        for (gindex_t g = 8; g <= 14; ++g)
            EXPECT_EQ(border_source(g, 8, r.mode), r.high[static_cast<std::size_t>(g - 8)])
                << to_string(r.mode) << " g " << g;
        for (gindex_t g = 0; g < 8; ++g) EXPECT_EQ(border_source(g, 8, r.mode), g);
    }
}

TEST(BorderSource, TinyImages) {
    for (const auto mode : kModes)
        for (gindex_t g = -7; g <= 7; ++g)
            EXPECT_EQ(border_source(g, 1, mode), mode == BorderMode::constant && g != 0 ? -1 : 0)
                << to_string(mode) << " g " << g;
    // n = 2 (ab), g = -4..-1 and 2..5, worked through OpenCV's loop by hand.
    struct Row {
        BorderMode mode;
        std::vector<gindex_t> low, high;
    };
    const Row rows[] = {
        {BorderMode::reflect101, {0, 1, 0, 1}, {0, 1, 0, 1}},
        {BorderMode::reflect, {0, 1, 1, 0}, {1, 0, 0, 1}},
        {BorderMode::replicate, {0, 0, 0, 0}, {1, 1, 1, 1}},
        {BorderMode::constant, {-1, -1, -1, -1}, {-1, -1, -1, -1}},
        {BorderMode::wrap, {0, 1, 0, 1}, {0, 1, 0, 1}},
    };
    for (const auto& r : rows) {
        for (gindex_t g = -4; g < 0; ++g)
            EXPECT_EQ(border_source(g, 2, r.mode), r.low[static_cast<std::size_t>(g + 4)])
                << to_string(r.mode) << " g " << g;
        for (gindex_t g = 2; g <= 5; ++g)
            EXPECT_EQ(border_source(g, 2, r.mode), r.high[static_cast<std::size_t>(g - 2)])
                << to_string(r.mode) << " g " << g;
    }
}

TEST(BorderSource, MatchesOpenCVLoopFarOut) {
    for (const auto mode : kModes)
        for (gindex_t n = 1; n <= 12; ++n)
            for (gindex_t g = -40; g <= 52; ++g)
                EXPECT_EQ(border_source(g, n, mode), opencv_border_interpolate(g, n, mode))
                    << to_string(mode) << " n " << n << " g " << g;
}

TEST(BorderExchange, EveryModeWidthAndGridDouble) { check_all_cases<double>(); }

TEST(BorderExchange, EveryModeWidthAndGridUint8) { check_all_cases<std::uint8_t>(); }

TEST(BorderExchange, FloatAndUint16) {
    CartDecomp<2> dec(world(), {13, 11}, {false, false});
    int bad = 0;
    for (const auto mode : kModes) {
        bad += check_case<float>(dec, 3, mode);
        bad += check_case<std::uint16_t>(dec, 2, mode);
    }
    EXPECT_EQ(bad, 0);
}

// Tiles narrower than the width: 5 columns over 4 ranks with width 3 (sources two ranks
// away), and rows the same way.
TEST(BorderExchange, TilesNarrowerThanWidth) {
    if (world().size() != 4) GTEST_SKIP() << "needs 4 ranks";
    int bad = 0;
    for (const std::array<int, 2> procs : {std::array<int, 2>{4, 1}, std::array<int, 2>{1, 4},
                                           std::array<int, 2>{2, 2}}) {
        const std::array<gindex_t, 2> cells{procs[0] == 4 ? 5 : 3, procs[1] == 4 ? 5 : 3};
        CartDecomp<2> dec(world(), cells, {false, false}, procs);
        for (const auto mode : kModes) bad += check_case<double>(dec, 3, mode);
    }
    EXPECT_EQ(bad, 0);
}

// Large enough that the column packing runs on a thread team.
TEST(BorderExchange, ThreadedPacking) {
    const int p = world().size();
    CartDecomp<2> dec(world(), {std::max<gindex_t>(16, p), 12000}, {false, false}, {p, 1});
    int bad = 0;
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        bad += check_case<double>(dec, 3, BorderMode::reflect101);
        bad += check_case<double>(dec, 2, BorderMode::wrap);
    }
    EXPECT_EQ(bad, 0);
}

TEST(BorderExchange, WidthBeyondGhostIsCollectiveError) {
    CartDecomp<2> dec(world(), {8, 8}, {false, false});
    Field<double, 2> f(dec, 2);
    EXPECT_THROW((BorderExchange<double>(f, 3, Border{})), CollectiveError);
    EXPECT_THROW((BorderExchange<double>(f, -1, Border{})), CollectiveError);
    EXPECT_NO_THROW((BorderExchange<double>(f, 2, Border{})));
}

TEST(BorderExchange, FieldOfAnotherLayoutThrows) {
    CartDecomp<2> dec(world(), {8, 8}, {false, false});
    CartDecomp<2> other(world(), {8, 8}, {false, false});
    Field<double, 2> f(dec, 2), g(other, 2), h(dec, 3);
    BorderExchange<double> ex(f, 2, Border{});
    EXPECT_THROW(ex.exchange(g), Error);
    EXPECT_THROW(ex.exchange(h), Error);
    EXPECT_NO_THROW(ex.exchange(f));
}

// bytes_sent() is what the peers receive: per rank, the ghost columns of the owned rows and
// the ghost rows of the widened columns whose source another rank owns.
TEST(BorderExchange, BytesSentMatchBytesReceived) {
    const auto& comm = world();
    for (const auto& cells : {std::array<gindex_t, 2>{13, 11}, std::array<gindex_t, 2>{5, 9}}) {
        for (const auto& procs : grids_for(cells)) {
            CartDecomp<2> dec(comm, cells, {false, false}, procs);
            Field<float, 2> f(dec, 4);
            const auto owned = f.owned_box();
            for (const auto mode : kModes) {
                for (int width = 0; width <= 4; ++width) {
                    BorderExchange<float> ex(f, width, Border{mode, 1.0});
                    ex.exchange(f);
                    ex.exchange(f);
                    // Cells along `axis` of this rank's tile whose source lies on another tile.
                    auto foreign = [&](int axis) {
                        gindex_t count = 0;
                        const gindex_t n = cells[static_cast<std::size_t>(axis)];
                        for (gindex_t g = owned.lo[axis] - width; g < owned.hi[axis] + width; ++g) {
                            if (g >= owned.lo[axis] && g < owned.hi[axis]) continue;
                            const gindex_t s = border_source(g, n, mode);
                            count += s >= 0 && (s < owned.lo[axis] || s >= owned.hi[axis]);
                        }
                        return count;
                    };
                    const gindex_t received =
                        (foreign(0) * owned.extent(1) + foreign(1) * (owned.extent(0) + 2 * width)) *
                        static_cast<gindex_t>(sizeof(float));
                    const auto sent = static_cast<long long>(ex.bytes_sent());
                    if (comm.size() == 1) {
                        EXPECT_EQ(sent, 0);
                    }
                    EXPECT_EQ(mpi::allreduce(comm, sent, MPI_SUM),
                              mpi::allreduce(comm, static_cast<long long>(received), MPI_SUM))
                        << to_string(mode) << " width " << width;
                    if (comm.size() == 2) {  // what one rank sends, the other receives
                        const auto all = mpi::allgather(comm, static_cast<long long>(received));
                        EXPECT_EQ(sent, all[static_cast<std::size_t>(1 - comm.rank())])
                            << to_string(mode) << " width " << width;
                    }
                    if (width == 0) {
                        EXPECT_EQ(sent, 0);
                    }
                }
            }
        }
    }
}
