// Stencil kernels: optimized == _ref bitwise, exact symbols on sine modes, convergence orders,
// stability limits.
#include <gtest/gtest.h>

#include <omp.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include <tessera/stencil/heat.hpp>
#include <tessera/stencil/operators.hpp>

using namespace tessera;
using namespace tessera::stencil;

namespace {

constexpr double pi = std::numbers::pi;

// A dense array over `box` grown by `g` with a view indexed like a Field's.
template <int Dim>
struct Grid {
    Box<Dim> owned, storage;
    std::array<index_t, Dim> stride{};
    std::vector<double> data;
    Grid(const std::array<gindex_t, Dim>& n, int g) {
        for (int d = 0; d < Dim; ++d) owned.hi[d] = n[d];
        storage = owned.grown(g);
        stride[0] = 1;
        for (int d = 1; d < Dim; ++d) stride[d] = stride[d - 1] * storage.extent(d - 1);
        data.assign(static_cast<std::size_t>(storage.size()), 0.0);
    }
    View<double, Dim> view() { return View<double, Dim>(data.data(), storage, stride); }
    // Sets every storage cell (ghosts included) from f of the cell centre, periodic data.
    template <class F>
    void set(F f) {
        auto v = view();
        for (index_t r = 0; r < box_rows(storage); ++r) {
            double* p = row_begin(v, storage, r);
            for (gindex_t i = 0; i < storage.extent(0); ++i) {
                std::array<gindex_t, Dim> g{};
                g[0] = storage.lo[0] + i;
                g[1] = storage.lo[1] + (Dim == 2 ? r : r % storage.extent(1));
                if constexpr (Dim == 3) g[2] = storage.lo[2] + r / storage.extent(1);
                p[i] = f(g);
            }
        }
    }
};

template <int Dim>
std::vector<StencilKind> kinds() {
    std::vector<StencilKind> k{StencilKind::star1, StencilKind::star2, StencilKind::star3, StencilKind::star4};
    k.push_back(Dim == 2 ? StencilKind::box9 : StencilKind::box27);
    return k;
}

template <int Dim>
void expect_matches_ref(const std::array<gindex_t, Dim>& n) {
    std::mt19937_64 gen(42);
    std::uniform_real_distribution<double> dist(-1, 1);
    for (auto kind : kinds<Dim>()) {
        Grid<Dim> u(n, 4), a(n, 4), b(n, 4);
        u.set([&](const auto&) { return dist(gen); });
        StencilCoeffs<Dim> c;
        c.self = 1.0;
        for (int d = 0; d < Dim; ++d) c.weight[d] = 0.05 + 0.01 * d;
        for (int threads : {1, 2}) {
            omp_set_num_threads(threads);
            apply_stencil_ref<Dim>(kind, u.view(), b.view(), c, u.owned);
            for (auto store : {StoreMode::cached, StoreMode::streaming}) {
                std::fill(a.data.begin(), a.data.end(), 0.0);
                apply_stencil<Dim>(kind, u.view(), a.view(), c, u.owned, store);
                EXPECT_EQ(a.data, b.data) << to_string(kind, Dim) << " threads " << threads
                                          << (store == StoreMode::streaming ? " streaming" : " cached");
            }
        }
    }
}

// Max error of the Laplacian of a smooth periodic field against the exact one.
template <int Dim>
double laplacian_error(StencilKind kind, gindex_t n) {
    std::array<gindex_t, Dim> cells{};
    cells.fill(n);
    const double h = 1.0 / static_cast<double>(n);
    auto x = [h](gindex_t i) { return (static_cast<double>(i) + 0.5) * h; };
    auto f = [&](const auto& g) {
        double v = 1;
        for (int d = 0; d < Dim; ++d) v *= std::sin(2 * pi * x(g[d]) + 0.3 * d);
        return v;
    };
    Grid<Dim> u(cells, 4), lap(cells, 4);
    u.set(f);
    StencilCoeffs<Dim> c;
    c.self = 0.0;
    c.weight.fill(1.0 / (h * h));
    apply_stencil<Dim>(kind, u.view(), lap.view(), c, u.owned);
    double err = 0;
    const auto v = lap.view();
    for (index_t r = 0; r < box_rows(u.owned); ++r)
        for (gindex_t i = 0; i < n; ++i) {
            std::array<gindex_t, Dim> g{};
            g[0] = i;
            g[1] = Dim == 2 ? r : r % n;
            if constexpr (Dim == 3) g[2] = r / n;
            const double exact = -4.0 * pi * pi * Dim * f(g);
            err = std::max(err, std::abs(row_begin(v, u.owned, r)[i] - exact));
        }
    return err;
}

}  // namespace

TEST(Stencil, OptimizedEqualsRefBitwise2D) { expect_matches_ref<2>({37, 23}); }
TEST(Stencil, OptimizedEqualsRefBitwise3D) { expect_matches_ref<3>({13, 11, 9}); }
// Long rows (16 KB): the 3D sweep walks j in tiles of 8-10 rows (fewer than 37, not dividing
// it), and with 2 threads the rows split in the middle of a plane.
TEST(Stencil, OptimizedEqualsRefBitwise3DTiled) { expect_matches_ref<3>({2000, 37, 5}); }

TEST(Stencil, RowWallsFillGhostsByReflection) {
    // The fused sweep fills each row's i-wall ghosts before using them: same result as filling
    // them first and running the plain sweep.
    const std::array<gindex_t, 2> n{29, 7};
    Grid<2> u(n, 2), v(n, 2), a(n, 2), b(n, 2);
    u.set([](const auto& g) { return std::sin(0.3 * g[0] + 0.7 * g[1]); });
    v.data = u.data;
    RowWalls w;
    w.low = w.high = true;
    w.high_wall = n[0];
    w.sign = -1.0;
    w.offset = 0.5;
    w.width = 2;
    StencilCoeffs<2> c;
    c.weight = {0.1, 0.2};
    auto vv = v.view();
    for (gindex_t j = -2; j < n[1] + 2; ++j)
        for (int m = 1; m <= 2; ++m) {
            vv(-m, j) = 0.5 - vv(m - 1, j);
            vv(n[0] + m - 1, j) = 0.5 - vv(n[0] - m, j);
        }
    for (auto store : {StoreMode::cached, StoreMode::streaming}) {
        apply_stencil<2>(StencilKind::star2, u.view(), a.view(), c, u.owned, w, store);
        apply_stencil_ref<2>(StencilKind::star2, v.view(), b.view(), c, v.owned);
        EXPECT_EQ(a.data, b.data);
    }
}

TEST(Stencil, RowWallsFillGhostsByReflection3DTiled) {
    // As above through the j-tiled 3D sweep: every row's walls are filled before its update.
    const std::array<gindex_t, 3> n{2000, 37, 5};
    Grid<3> u(n, 1), v(n, 1), a(n, 1), b(n, 1);
    u.set([](const auto& g) { return std::sin(0.003 * g[0] + 0.7 * g[1] - 0.4 * g[2]); });
    v.data = u.data;
    RowWalls w;
    w.low = w.high = true;
    w.high_wall = n[0];
    w.sign = 1.0;  // Neumann-like reflection
    w.width = 1;
    StencilCoeffs<3> c;
    c.weight = {0.1, 0.2, 0.15};
    auto vv = v.view();
    for (gindex_t k = -1; k < n[2] + 1; ++k)
        for (gindex_t j = -1; j < n[1] + 1; ++j) {
            vv(-1, j, k) = vv(0, j, k);
            vv(n[0], j, k) = vv(n[0] - 1, j, k);
        }
    apply_stencil_ref<3>(StencilKind::star1, v.view(), b.view(), c, v.owned);
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        for (auto store : {StoreMode::cached, StoreMode::streaming}) {
            std::fill(a.data.begin(), a.data.end(), 0.0);
            auto uc = u;  // the sweep writes the walls into its input
            apply_stencil<3>(StencilKind::star1, uc.view(), a.view(), c, uc.owned, w, store);
            EXPECT_EQ(a.data, b.data) << "threads " << threads;
        }
    }
}

TEST(Stencil, ConvergenceOrders2D) {
    for (auto kind : kinds<2>()) {
        const gindex_t n = order(kind) >= 6 ? 16 : 32;
        const double e1 = laplacian_error<2>(kind, n), e2 = laplacian_error<2>(kind, 2 * n);
        const double observed = std::log2(e1 / e2);
        EXPECT_NEAR(observed, order(kind), 0.25) << to_string(kind, 2) << ": errors " << e1 << ", " << e2;
    }
}

TEST(Stencil, ConvergenceOrders3D) {
    for (auto kind : kinds<3>()) {
        const gindex_t n = 12;
        const double e1 = laplacian_error<3>(kind, n), e2 = laplacian_error<3>(kind, 2 * n);
        EXPECT_NEAR(std::log2(e1 / e2), order(kind), 0.35) << to_string(kind, 3);
    }
}

TEST(Stencil, SineModesAreEigenvectorsWithTheSymbol) {
    // Periodic Fourier mode sin(2 pi k x): L(mode) = symbol(theta = 2 pi k h) * mode exactly.
    const gindex_t n = 20;
    const double h = 1.0 / n;
    for (auto kind : kinds<2>()) {
        Grid<2> u({n, n}, 4), lap({n, n}, 4);
        const int kx = 3, ky = 2;
        u.set([&](const auto& g) {
            return std::sin(2 * pi * kx * (g[0] + 0.5) * h) * std::cos(2 * pi * ky * (g[1] + 0.5) * h);
        });
        StencilCoeffs<2> c;
        c.self = 0;
        c.weight = {1 / (h * h), 1 / (h * h)};
        apply_stencil<2>(kind, u.view(), lap.view(), c, u.owned);
        const double s = symbol<2>(kind, {2 * pi * kx * h, 2 * pi * ky * h}, {h, h});
        const auto uv = u.view(), lv = lap.view();
        double err = 0;
        for (gindex_t j = 0; j < n; ++j)
            for (gindex_t i = 0; i < n; ++i) err = std::max(err, std::abs(lv(i, j) - s * uv(i, j)));
        EXPECT_LT(err, 1e-10 * std::abs(s)) << to_string(kind, 2);
    }
}

TEST(Stencil, StabilityLimits) {
    HeatParams<2> p;
    p.alpha = 2.0;
    p.spacing = {0.1, 0.05};
    p.stencil = StencilKind::star1;
    EXPECT_NEAR(max_stable_dt(p), 1.0 / (2 * 2.0 * (100.0 + 400.0)), 1e-15);
    p.spacing = {0.1, 0.1};
    p.stencil = StencilKind::box9;
    EXPECT_NEAR(max_stable_dt(p), 3.0 * 0.01 / (8.0 * 2.0), 1e-15);
    HeatParams<3> q;
    q.alpha = 1.0;
    q.spacing = {0.1, 0.1, 0.1};
    q.stencil = StencilKind::star1;
    EXPECT_NEAR(max_stable_dt(q), 0.01 / 6.0, 1e-15);
    q.stencil = StencilKind::star2;  // 1D symbol peaks at 16/3 (theta = pi)
    EXPECT_NEAR(max_stable_dt(q), 2.0 / (3 * 16.0 / 3.0 / 0.01), 1e-12);
}

TEST(Stencil, ParseNames) {
    EXPECT_EQ(parse_stencil("5pt", 2), StencilKind::star1);
    EXPECT_EQ(parse_stencil("7pt", 3), StencilKind::star1);
    EXPECT_EQ(parse_stencil("27pt", 3), StencilKind::box27);
    EXPECT_THROW(parse_stencil("27pt", 2), Error);
    EXPECT_THROW(parse_stencil("13pt", 3), Error);
}

TEST(Stencil, SplitInteriorTilesTheBox) {
    // Extents 12, 10, 9: the interior is non-empty for every radius (4 cells off each face
    // leaves 4 x 2 x 1), so the interior and the shell both carry cells.
    const Box<3> box{{2, 3, 4}, {14, 13, 13}};
    for (int r : {1, 2, 4}) {
        const auto [inner, shell] = split_interior<3>(box, r);
        ASSERT_FALSE(box.grown(-r).empty()) << "r = " << r;
        EXPECT_EQ(inner, box.grown(-r)) << "r = " << r;
        EXPECT_EQ(inner.size(), (12 - 2 * r) * (10 - 2 * r) * (9 - 2 * r)) << "r = " << r;
        EXPECT_FALSE(shell.empty()) << "r = " << r;
        gindex_t total = inner.size();
        for (const auto& s : shell) {
            total += s.size();
            EXPECT_TRUE(box.contains(s));
            EXPECT_TRUE(s.intersect(inner).empty());
            for (const auto& t : shell)
                if (&s != &t) {
                    EXPECT_TRUE(s.intersect(t).empty());
                }
        }
        EXPECT_EQ(total, box.size()) << "r = " << r;
    }
}
