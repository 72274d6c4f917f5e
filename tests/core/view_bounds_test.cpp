// View's Debug bounds checks, compiled in here whatever the build type: this file undefines
// NDEBUG before any include, so TESSERA_ASSERT is live. Views of a type only this file uses
// (Cell) keep the checked instantiations out of every other translation unit (no ODR clash
// with the library's NDEBUG copies).
#undef NDEBUG

#include <gtest/gtest.h>

#include <vector>

#include <tessera/core/error.hpp>
#include <tessera/core/view.hpp>

using tessera::Box;
using tessera::index_t;
using tessera::View;

namespace {

struct Cell {
    double v = 0;
};

// A 4 x 3 interior at global offset (10, 20) with one ghost cell: storage 6 x 5.
struct Offset2D {
    std::vector<Cell> store = std::vector<Cell>(30);
    Box<2> storage{{9, 19}, {15, 24}};
    View<Cell, 2> v{store.data(), storage, {1, 6}};
};

}  // namespace

TEST(ViewBounds, KeepsTheAllocationPointerAndSubtractsLo) {
    Offset2D g;
    EXPECT_EQ(g.v.data(), g.store.data());
    EXPECT_EQ(&g.v(9, 19), g.store.data());
    EXPECT_EQ(&g.v(14, 23), g.store.data() + 29);
    tessera::ConstView<Cell, 2> c = g.v;
    EXPECT_EQ(c.data(), g.store.data());
    // Negative lo (ghosts of a box at the origin), 3D.
    std::vector<Cell> s3(4 * 5 * 6);
    View<Cell, 3> v3(s3.data(), Box<3>{{-1, -2, -3}, {3, 3, 3}}, {1, 4, 20});
    EXPECT_EQ(&v3(-1, -2, -3), s3.data());
    EXPECT_EQ(&v3(2, 2, 2), s3.data() + s3.size() - 1);
    EXPECT_EQ(v3.row(0, 0), s3.data() + 1 + 2 * 4 + 3 * 20);
    EXPECT_EQ(&v3.row(0, 0)[-1], &v3(-1, 0, 0));
}

TEST(ViewBounds, IndicesOutsideTheBoxThrowInDebug) {
    Offset2D g;
    EXPECT_NO_THROW(g.v(9, 19));
    EXPECT_NO_THROW(g.v(14, 23));
    EXPECT_THROW(g.v(8, 20), tessera::Error);   // below lo[0]
    EXPECT_THROW(g.v(15, 20), tessera::Error);  // at hi[0]
    EXPECT_THROW(g.v(10, 24), tessera::Error);  // at hi[1]
    EXPECT_THROW(g.v(0, 0), tessera::Error);    // index 0 of a box that starts at 9
    std::vector<Cell> s1(5);
    View<Cell, 1> v1(s1.data(), Box<1>{{-2}, {3}}, {1});
    EXPECT_NO_THROW(v1(-2));
    EXPECT_THROW(v1(-3), tessera::Error);
    EXPECT_THROW(v1(3), tessera::Error);
    std::vector<Cell> s3(8);
    View<Cell, 3> v3(s3.data(), Box<3>{{0, 0, 0}, {2, 2, 2}}, {1, 2, 4});
    EXPECT_THROW(v3(0, 0, 2), tessera::Error);
    EXPECT_THROW(v3(0, -1, 0), tessera::Error);
}

TEST(ViewBounds, RowNeedsIndexZeroOnAxisZero) {
    Offset2D g;
    // lo[0] = 9 > 0: element (0, j) lies before the allocation, so row() refuses it.
    EXPECT_THROW(g.v.row(20), tessera::Error);
    std::vector<Cell> s(30);
    View<Cell, 2> v(s.data(), Box<2>{{-1, -1}, {5, 4}}, {1, 6});
    EXPECT_EQ(v.row(2), s.data() + 1 + 3 * 6);
    EXPECT_EQ(&v.row(2)[-1], &v(-1, 2));
    EXPECT_THROW(v.row(4), tessera::Error);  // j at hi[1]
}

TEST(ViewBounds, RowBeginChecksTheBox) {
    Offset2D g;
    EXPECT_EQ(row_begin(g.v, Box<2>{{10, 20}, {14, 23}}, 2), &g.v(10, 22));
    EXPECT_THROW(row_begin(g.v, Box<2>{{0, 20}, {14, 23}}, 0), tessera::Error);
}
