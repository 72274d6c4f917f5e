// Image filters: optimized kernels against their _ref twins bit for bit (any box, split and
// thread count), exact results that cannot pass by accident, OpenCV's kernels, parsing.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/stencil/filters.hpp"

namespace {

using namespace tessera;
using namespace tessera::stencil;

// An image over `box` grown by `g`, row stride = its width, with its own storage.
template <class T>
struct Image {
    Box<2> outer;
    std::vector<T> data;
    Image(const Box<2>& box, gindex_t g) : outer(box.grown(g)), data(static_cast<std::size_t>(outer.size())) {}
    View<T, 2> view() { return View<T, 2>(data.data(), outer, {1, outer.extent(0)}); }
    ConstView<T, 2> cview() const { return ConstView<T, 2>(data.data(), outer, {1, outer.extent(0)}); }
    T& operator()(gindex_t i, gindex_t j) { return view()(i, j); }
};

template <class T>
Image<T> random_image(const Box<2>& box, gindex_t g, unsigned seed) {
    Image<T> im(box, g);
    std::mt19937 rng(seed);
    for (auto& v : im.data) {
        if constexpr (std::is_same_v<T, float>) v = std::uniform_real_distribution<float>(-2.0f, 300.0f)(rng);
        else if (rng() % 8 == 0) v = rng() % 2 ? std::numeric_limits<T>::max() : T{0};  // saturating extremes
        else v = static_cast<T>(rng());
    }
    return im;
}

template <class T>
bool same_bits(const Image<T>& a, const Image<T>& b, const Box<2>& box, std::string* where) {
    for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
        for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) {
            const T x = a.cview()(i, j), y = b.cview()(i, j);
            if (std::memcmp(&x, &y, sizeof(T)) != 0) {
                *where = "(" + std::to_string(i) + ", " + std::to_string(j) + "): " + std::to_string(double(x)) +
                         " vs " + std::to_string(double(y));
                return false;
            }
        }
    return true;
}

std::vector<std::string> all_specs() {
    return {"gaussian:sigma=0.8", "gaussian:sigma=2", "gaussian:sigma=3.3", "gaussian:sigma=1.2,radius=2",
            "gaussian:sigma=5", "box:radius=1", "box:radius=2", "box:radius=5", "sobel:output=dx",
            "sobel:output=dy", "sobel:output=magnitude", "sobel:output=dx,ksize=5", "sobel:output=dy,ksize=5",
            "sobel:output=magnitude,ksize=5", "sobel:output=dx,scale=0.37", "sobel:output=magnitude,scale=0.25",
            "laplacian:ksize=1", "laplacian:ksize=3", "laplacian:ksize=3,scale=0.5", "median:radius=1",
            "median:radius=2", "unsharp:sigma=1.5,amount=0.7", "unsharp:sigma=2,radius=3,amount=2",
            "kernel:values=0 -1 0;-1 5 -1;0 -1 0", "kernel:values=1 2 0.5 2 1;0 0.125 0 -0.25 0;-1 0.5 0.25 0.5 -1",
            "kernel:values=0.1 0.2 0.3 0.2 0.1"};
}

template <class T>
void check_against_ref(int threads) {
    omp_set_num_threads(threads);
    const std::vector<Box<2>> boxes = {{{0, 0}, {37, 23}},   {{-5, 3}, {-4, 14}}, {{2, -7}, {91, -6}},
                                       {{0, 0}, {1, 1}},     {{10, 4}, {77, 9}},  {{-3, -2}, {130, 5}},
                                       {{0, 0}, {2100, 3}}};  // wider than one column chunk
    FilterWorkspace ws;
    unsigned seed = 1;
    for (const std::string& text : all_specs()) {
        const FilterSpec spec = parse_filter(text);
        const int r = filter_radius<T>(spec);
        for (const Box<2>& box : boxes) {
            SCOPED_TRACE(text + " on " + std::to_string(box.extent(0)) + " x " + std::to_string(box.extent(1)) +
                         ", " + std::to_string(threads) + " threads");
            const Image<T> in = random_image<T>(box, r + 1, seed++);
            Image<T> out(box, 0), ref(box, 0);
            apply_filter<T>(spec, in.cview(), out.view(), box, ws);
            apply_filter_ref<T>(spec, in.cview(), ref.view(), box);
            std::string where;
            EXPECT_TRUE(same_bits(out, ref, box, &where)) << where;
            // The same box in pieces (uneven splits of both axes) gives the same bits.
            Image<T> pieces(box, 0);
            const gindex_t xs[] = {box.lo[0], box.lo[0] + box.extent(0) / 3, box.lo[0] + box.extent(0) * 4 / 5, box.hi[0]};
            const gindex_t ys[] = {box.lo[1], box.lo[1] + box.extent(1) / 2, box.hi[1]};
            for (int a = 0; a < 3; ++a)
                for (int b = 0; b < 2; ++b)
                    apply_filter<T>(spec, in.cview(), pieces.view(), Box<2>{{xs[a], ys[b]}, {xs[a + 1], ys[b + 1]}}, ws);
            EXPECT_TRUE(same_bits(pieces, ref, box, &where)) << "split: " << where;
        }
    }
    omp_set_num_threads(2);
}

TEST(Filters, OptimizedEqualsRefU8OneThread) { check_against_ref<std::uint8_t>(1); }
TEST(Filters, OptimizedEqualsRefU8TwoThreads) { check_against_ref<std::uint8_t>(2); }
TEST(Filters, OptimizedEqualsRefU16OneThread) { check_against_ref<std::uint16_t>(1); }
TEST(Filters, OptimizedEqualsRefU16TwoThreads) { check_against_ref<std::uint16_t>(2); }
TEST(Filters, OptimizedEqualsRefFloatOneThread) { check_against_ref<float>(1); }
TEST(Filters, OptimizedEqualsRefFloatTwoThreads) { check_against_ref<float>(2); }

template <class T>
void check_constant(T c) {
    const Box<2> box{{0, 0}, {45, 17}};
    FilterWorkspace ws;
    for (const char* text : {"gaussian:sigma=0.8", "gaussian:sigma=2", "gaussian:sigma=3.3", "box:radius=1",
                             "box:radius=3", "median:radius=1", "median:radius=2", "unsharp:sigma=1.5,amount=0.7"}) {
        SCOPED_TRACE(text);
        const FilterSpec spec = parse_filter(text);
        Image<T> in(box, filter_radius<T>(spec)), out(box, 0);
        std::fill(in.data.begin(), in.data.end(), c);
        apply_filter<T>(spec, in.cview(), out.view(), box, ws);
        for (T v : out.data) {
            if constexpr (std::is_same_v<T, float>) ASSERT_NEAR(v, c, 1e-5 * c);
            else ASSERT_EQ(v, c);
        }
    }
}

TEST(Filters, ConstantImageStaysConstant) {
    for (int c : {0, 1, 77, 128, 254, 255}) check_constant<std::uint8_t>(static_cast<std::uint8_t>(c));
    for (int c : {0, 1, 1000, 40000, 65535}) check_constant<std::uint16_t>(static_cast<std::uint16_t>(c));
    for (float c : {0.5f, 3.0f, 200.0f}) check_constant<float>(c);
}

// The fixed-point kernels of OpenCV 4.6 for 8-bit images (8 fractional bits), from
// getGaussianKernelFixedPoint_ED's formula (error diffusion over cv::getGaussianKernel's
// bit-exact doubles) evaluated in Python; cv2.GaussianBlur equals the separable filter with
// these weights bit for bit on random 8-bit images (and tests/stencil/filters_opencv.py checks
// tessera against cv2 directly).
const std::vector<std::vector<int>> kFixed8 = {
    {0, 6, 58, 128, 58, 6, 0},                                    // sigma 0.8, ksize 7
    {0, 2, 9, 28, 55, 68, 55, 28, 9, 2, 0},                       // sigma 1.5, ksize 11
    {1, 2, 7, 16, 31, 45, 52, 45, 31, 16, 7, 2, 1},               // sigma 2, ksize 13
    {0, 1, 3, 4, 9, 14, 20, 28, 32, 34, 32, 28, 20, 14, 9, 4, 3, 1, 0},  // sigma 3, ksize 19
    {0, 1, 0, 1, 2, 3, 4, 6, 7, 10, 13, 15, 17, 19, 20, 20,
     20, 19, 17, 15, 13, 10, 7, 6, 4, 3, 2, 1, 0, 1, 0},          // sigma 5, ksize 31
};
const double kFixedSigma[] = {0.8, 1.5, 2, 3, 5};

// An impulse of 255 gives (255 kx ky + 2^15) >> 16: the outer product of the fixed-point kernel.
TEST(Filters, GaussianImpulseIsTheFixedPointKernelsOuterProduct) {
    FilterWorkspace ws;
    for (int s = 0; s < 5; ++s) {
        const FilterSpec spec = parse_filter("gaussian:sigma=" + std::to_string(kFixedSigma[s]));
        const int r = filter_radius<std::uint8_t>(spec);
        const auto& k = kFixed8[static_cast<std::size_t>(s)];
        ASSERT_EQ(2 * r + 1, static_cast<int>(k.size()));
        const Box<2> box{{-r - 2, -r - 1}, {r + 3, r + 2}};
        Image<std::uint8_t> in(box, r), out(box, 0);
        in(0, 0) = 255;
        apply_filter<std::uint8_t>(spec, in.cview(), out.view(), box, ws);
        for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
            for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) {
                const bool inside = std::abs(i) <= r && std::abs(j) <= r;
                const long expect = inside ? (255L * k[static_cast<std::size_t>(r - i)] * k[static_cast<std::size_t>(r - j)] + 32768) >> 16 : 0;
                ASSERT_EQ(out(i, j), expect) << "sigma " << kFixedSigma[s] << " at (" << i << ", " << j << ")";
            }
    }
}

// A 16-bit impulse of 65535: (65535 kx ky + 2^31) >> 32 with 16-bit weights; the centre
// weight of sigma 2 (ksize 17) is the largest, so the centre pixel is the maximum.
TEST(Filters, GaussianImpulse16Bit) {
    const FilterSpec spec = parse_filter("gaussian:sigma=2");
    const int r = filter_radius<std::uint16_t>(spec);
    ASSERT_EQ(r, 8);
    const Box<2> box{{-r, -r}, {r + 1, r + 1}};
    Image<std::uint16_t> in(box, r), out(box, 0);
    in(0, 0) = 65535;
    FilterWorkspace ws;
    apply_filter<std::uint16_t>(spec, in.cview(), out.view(), box, ws);
    const std::vector<double> k = gaussian_kernel(17, 2.0);
    for (gindex_t j = -r; j <= r; ++j)
        for (gindex_t i = -r; i <= r; ++i) {
            const double exact = 65535 * k[static_cast<std::size_t>(r + i)] * k[static_cast<std::size_t>(r + j)];
            ASSERT_NEAR(out(i, j), exact, 1.0) << i << ", " << j;  // 16-bit weights: within one level
            ASSERT_EQ(out(i, j), out(-i, j));
            ASSERT_EQ(out(i, j), out(j, i));
        }
    std::vector<double> kk = gaussian_kernel(13, 2.0);
    double s = 0;
    for (double v : kk) s += v;
    EXPECT_NEAR(s, 1.0, 1e-15);
}

TEST(Filters, GaussianKsizeFollowsOpenCV) {
    // cvRound(sigma * (8-bit ? 3 : 4) * 2 + 1) | 1
    EXPECT_EQ(gaussian_ksize(0.8, true), 7);
    EXPECT_EQ(gaussian_ksize(0.8, false), 7);
    EXPECT_EQ(gaussian_ksize(1.5, true), 11);
    EXPECT_EQ(gaussian_ksize(1.5, false), 13);
    EXPECT_EQ(gaussian_ksize(2.0, true), 13);
    EXPECT_EQ(gaussian_ksize(2.0, false), 17);
    EXPECT_EQ(gaussian_ksize(3.3, true), 21);
    EXPECT_EQ(gaussian_ksize(3.3, false), 27);
    EXPECT_EQ(gaussian_ksize(0.75, true), 7);     // 5.5 rounds to 6, | 1 = 7
    EXPECT_EQ(gaussian_ksize(0.3125, false), 5);  // 3.5 rounds to 4, | 1 = 5
    EXPECT_EQ(gaussian_ksize(0.01, true), 1);     // 1.06: one tap, a copy
}

TEST(Filters, GaussianKernelEqualsCv2) {
    // repr() of cv2.getGaussianKernel(ksize, sigma) (OpenCV 4.6), first half and centre.
    // OpenCV evaluates exp in software (softdouble), tessera with libm: the two may differ by an
    // ulp or two, so (5, 1.1) gets 2.5e-16 (its centre differs by 2 ulps of 0.37); the rest 1e-16.
    struct Case {
        int n;
        double sigma;
        std::vector<double> half;
        double tol = 1e-16;
    };
    const Case cases[] = {
        {7, 0.8, {0.0004407433669323566, 0.021910314171364808, 0.22831071645846548, 0.49867645200647487}},
        {13, 2.0, {0.0022181958546457652, 0.008773134791588389, 0.027023157602879527, 0.06482518513852684,
                   0.12110939007484814, 0.17621312278855084, 0.19967562749792112}},
        {5, 1.1, {0.0707663713315465, 0.24446039891162388, 0.3695464595136592}, 2.5e-16},
        {31, 5.0, {0.0008880585113811996, 0.0015861066300815246, 0.0027217698613767978, 0.0044874398644024665,
                   0.0071084367484271094, 0.010818767451652786, 0.015820116921224443, 0.022226435150908618,
                   0.030002549249470867, 0.038911208798310344, 0.048486351842601486, 0.058048702300395674,
                   0.06677190131380839, 0.07379436347663815, 0.0783575520685465, 0.07994047962154742}},
    };
    for (const Case& c : cases) {
        const std::vector<double> k = gaussian_kernel(c.n, c.sigma);
        ASSERT_EQ(static_cast<int>(k.size()), c.n);
        for (int i = 0; i < c.n; ++i) {
            const int h = i <= c.n / 2 ? i : c.n - 1 - i;
            EXPECT_NEAR(k[static_cast<std::size_t>(i)], c.half[static_cast<std::size_t>(h)], c.tol)
                << "ksize " << c.n << " sigma " << c.sigma << " tap " << i;
        }
    }
}

// Float images where every value is exact: derivatives of a ramp and a quadratic.
TEST(Filters, DerivativesOfRampAndQuadratic) {
    const Box<2> box{{-6, -5}, {9, 7}};
    FilterWorkspace ws;
    auto apply = [&](const std::string& text, auto f) {
        const FilterSpec spec = parse_filter(text);
        Image<float> in(box, filter_radius<float>(spec)), out(box, 0);
        for (gindex_t j = in.outer.lo[1]; j < in.outer.hi[1]; ++j)
            for (gindex_t i = in.outer.lo[0]; i < in.outer.hi[0]; ++i) in(i, j) = f(double(i), double(j));
        apply_filter<float>(spec, in.cview(), out.view(), box, ws);
        return out;
    };
    auto ramp = [](double i, double j) { return static_cast<float>(3 * i - 2 * j + 7); };
    auto quad = [](double i, double j) { return static_cast<float>(2 * i * i + 3 * j * j); };
    const Image<float> dx3 = apply("sobel:output=dx", ramp), dy3 = apply("sobel:output=dy", ramp);
    const Image<float> dx5 = apply("sobel:output=dx,ksize=5", ramp), dy5 = apply("sobel:output=dy,ksize=5", ramp);
    const Image<float> mag = apply("sobel:output=magnitude,scale=0.125", ramp);
    const Image<float> l1r = apply("laplacian:ksize=1", ramp), l3r = apply("laplacian:ksize=3", ramp);
    const Image<float> l1q = apply("laplacian:ksize=1", quad), l3q = apply("laplacian:ksize=3", quad);
    const Image<float> qdx = apply("sobel:output=dx", quad);
    for (float v : dx3.data) ASSERT_EQ(v, 8 * 3);      // [1 2 1] x [-1 0 1]: 8 d/dx
    for (float v : dy3.data) ASSERT_EQ(v, 8 * -2);
    for (float v : dx5.data) ASSERT_EQ(v, 128 * 3);    // [1 4 6 4 1] x [-1 -2 0 2 1]: 128 d/dx
    for (float v : dy5.data) ASSERT_EQ(v, 128 * -2);
    for (float v : mag.data) ASSERT_FLOAT_EQ(v, std::sqrt(13.0f));
    for (float v : l1r.data) ASSERT_EQ(v, 0);
    for (float v : l3r.data) ASSERT_EQ(v, 0);
    for (float v : l1q.data) ASSERT_EQ(v, 2 * 2 + 2 * 3);          // f_xx + f_yy
    for (float v : l3q.data) ASSERT_EQ(v, 8 * (2 + 3));            // [2 0 2; 0 -8 0; 2 0 2]
    for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
        for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) ASSERT_EQ(qdx.cview()(i, j), 8.0f * 4 * i);  // 8 * 4i
}

// Integer images: |derivative| saturated, as cv2.convertScaleAbs.
TEST(Filters, IntegerDerivativesSaturate) {
    const Box<2> box{{0, 0}, {10, 6}};
    FilterWorkspace ws;
    const FilterSpec spec = parse_filter("sobel:output=dx");
    Image<std::uint8_t> in(box, 1), out(box, 0);
    for (gindex_t j = in.outer.lo[1]; j < in.outer.hi[1]; ++j)
        for (gindex_t i = in.outer.lo[0]; i < in.outer.hi[0]; ++i) in(i, j) = static_cast<std::uint8_t>(100 - 5 * i);
    apply_filter<std::uint8_t>(spec, in.cview(), out.view(), box, ws);
    for (auto v : out.data) ASSERT_EQ(v, 40);  // |8 * -5|
    for (auto& v : in.data) v = 0;
    for (gindex_t j = in.outer.lo[1]; j < in.outer.hi[1]; ++j) in(5, j) = 255;
    apply_filter<std::uint8_t>(spec, in.cview(), out.view(), box, ws);
    EXPECT_EQ(out(4, 2), 255);  // 4 * 255 saturates
    EXPECT_EQ(out(6, 2), 255);
    EXPECT_EQ(out(5, 2), 0);
}

TEST(Filters, MedianOfKnownPatterns) {
    FilterWorkspace ws;
    {
        const Box<2> box{{0, 0}, {1, 1}};
        Image<std::uint8_t> in(box, 1), out(box, 0);
        const int v[9] = {9, 1, 7, 3, 8, 2, 6, 4, 5};  // median 5
        for (int k = 0; k < 9; ++k) in.data[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(v[k]);
        apply_filter<std::uint8_t>(parse_filter("median:radius=1"), in.cview(), out.view(), box, ws);
        EXPECT_EQ(out(0, 0), 5);
    }
    {
        const Box<2> box{{0, 0}, {1, 1}};
        Image<std::uint16_t> in(box, 2), out(box, 0);
        for (int k = 0; k < 25; ++k) in.data[static_cast<std::size_t>(k)] = static_cast<std::uint16_t>(1000 * ((k * 7) % 25));
        apply_filter<std::uint16_t>(parse_filter("median:radius=2"), in.cview(), out.view(), box, ws);
        EXPECT_EQ(out(0, 0), 12000);  // 0, 1000, ..., 24000 permuted: the 13th is 12000
    }
    {
        // Salt and pepper on a ramp: isolated outliers vanish, the ramp stays.
        const Box<2> box{{0, 0}, {20, 12}};
        for (int r : {1, 2}) {
            Image<float> in(box, r), out(box, 0);
            for (gindex_t j = in.outer.lo[1]; j < in.outer.hi[1]; ++j)
                for (gindex_t i = in.outer.lo[0]; i < in.outer.hi[0]; ++i) in(i, j) = static_cast<float>(i);
            in(5, 5) = 1e6f;
            in(12, 3) = -1e6f;
            apply_filter<float>(parse_filter("median:radius=" + std::to_string(r)), in.cview(), out.view(), box, ws);
            for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
                for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) ASSERT_EQ(out(i, j), static_cast<float>(i));
        }
    }
}

TEST(Filters, BoxOfARamp) {
    const Box<2> box{{0, 0}, {30, 9}};
    FilterWorkspace ws;
    for (int r : {1, 2, 4}) {
        Image<std::uint16_t> in(box, r), out(box, 0);
        for (gindex_t j = in.outer.lo[1]; j < in.outer.hi[1]; ++j)
            for (gindex_t i = in.outer.lo[0]; i < in.outer.hi[0]; ++i) in(i, j) = static_cast<std::uint16_t>(100 + 7 * i + 3 * j);
        apply_filter<std::uint16_t>(parse_filter("box:radius=" + std::to_string(r)), in.cview(), out.view(), box, ws);
        for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
            for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) ASSERT_EQ(out(i, j), 100 + 7 * i + 3 * j);
    }
    // A box whose mean is not an integer: 1 in one corner of 5 x 5 = 0.04 -> 0, 13 of 25 ones -> 1.
    const Box<2> one{{0, 0}, {1, 1}};
    Image<std::uint8_t> in(one, 2), out(one, 0);
    for (int k = 0; k < 13; ++k) in.data[static_cast<std::size_t>(k)] = 1;
    apply_filter<std::uint8_t>(parse_filter("box:radius=2"), in.cview(), out.view(), one, ws);
    EXPECT_EQ(out(0, 0), 1);  // 13 / 25 = 0.52
    in.data[12] = 0;
    apply_filter<std::uint8_t>(parse_filter("box:radius=2"), in.cview(), out.view(), one, ws);
    EXPECT_EQ(out(0, 0), 0);  // 12 / 25 = 0.48
}

TEST(Filters, ParseAndToStringRoundTrip) {
    for (const std::string& text : all_specs()) {
        const FilterSpec a = parse_filter(text);
        const FilterSpec b = parse_filter(to_string(a));
        EXPECT_EQ(to_string(a), to_string(b)) << text;
        EXPECT_EQ(a.kind, b.kind);
        EXPECT_EQ(a.sigma, b.sigma);
        EXPECT_EQ(a.radius, b.radius);
        EXPECT_EQ(a.ksize, b.ksize);
        EXPECT_EQ(a.scale, b.scale);
        EXPECT_EQ(a.amount, b.amount);
        EXPECT_EQ(a.kernel, b.kernel);
    }
    EXPECT_EQ(to_string(parse_filter("gaussian:sigma=2")), "gaussian:sigma=2,radius=0");
    EXPECT_EQ(to_string(parse_filter("sobel")), "sobel:output=magnitude,ksize=3,scale=1");
    EXPECT_EQ(to_string(parse_filter("kernel:values=0,1,0;1,-4,1;0,1,0")), "kernel:values=0 1 0;1 -4 1;0 1 0");
    const FilterSpec k = parse_filter("kernel:values=1 2 3\n4 5 6\n7 8 9.5");
    EXPECT_EQ(k.kernel_width, 3);
    EXPECT_EQ(k.kernel_height, 3);
    EXPECT_EQ(k.kernel.back(), 9.5f);
}

TEST(Filters, DefaultsComeFromFilterDefaults) {
    const FilterDefaults d{2.5, 2};
    EXPECT_EQ(parse_filter("gaussian", d).sigma, 2.5);
    EXPECT_EQ(parse_filter("gaussian", d).radius, 0);  // from sigma, not from defaults.radius
    EXPECT_EQ(parse_filter("unsharp", d).sigma, 2.5);
    EXPECT_EQ(parse_filter("box", d).radius, 2);
    EXPECT_EQ(parse_filter("median", d).radius, 2);
    EXPECT_EQ(parse_filter("box:radius=3", d).radius, 3);
    EXPECT_EQ(parse_filter("laplacian").ksize, 1);
    EXPECT_EQ(filter_radius<std::uint8_t>(parse_filter("gaussian:sigma=2")), 6);
    EXPECT_EQ(filter_radius<std::uint16_t>(parse_filter("gaussian:sigma=2")), 8);
    EXPECT_EQ(filter_radius<float>(parse_filter("gaussian:sigma=2,radius=3")), 3);
    EXPECT_EQ(filter_bytes_per_pixel<std::uint8_t>(parse_filter("box")), 3.0);
    EXPECT_FALSE(describe_filters().empty());
}

void expect_error(const std::string& text, const std::string& message) {
    try {
        parse_filter(text);
        ADD_FAILURE() << text << ": no error";
    } catch (const tessera::Error& e) {
        EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
}

TEST(Filters, ErrorMessagesNameStageAndParameter) {
    expect_error("gaussian:sigma=-1", "gaussian: sigma = -1 must be > 0");
    expect_error("unsharp:sigma=0", "unsharp: sigma = 0 must be > 0");
    expect_error("median:radius=3", "median: radius = 3 (supported: 1, 2)");
    expect_error("kernel:values=1 2 3 4;1 2 3 4;1 2 3 4", "kernel: 4 x 3 weights: sides must be odd");
    expect_error("kernel:values=1 2 3;4 5", "kernel: row 2 has 2 weights, row 1 has 3");
    expect_error("blurr", "unknown filter 'blurr' (gaussian, box, ");
    expect_error("box:radius=0", "box: radius = 0 must be in [1, ");
    expect_error("sobel:ksize=4", "sobel: ksize = 4 (supported: 3, 5)");
    expect_error("sobel:output=dz", "sobel: output = 'dz' (supported: dx, dy, magnitude)");
    expect_error("laplacian:ksize=5", "laplacian: ksize = 5 (supported: 1, 3)");
    expect_error("gaussian:sigma=abc", "gaussian: sigma = 'abc' is not a finite number");
    expect_error("gaussian:size=3", "gaussian: unknown parameter 'size' (sigma, radius)");
    expect_error("kernel:values=1 x 1", "kernel: weight 'x' in row 1 is not a finite number");
    expect_error("unsharp:amount=-1", "unsharp: amount = -1 must be >= 0");
    std::string big;
    for (int y = 0; y < 33; ++y) {
        if (y) big += ';';
        for (int x = 0; x < 33; ++x) big += "1 ";
    }
    expect_error("kernel:values=" + big, "kernel: 33 x 33 is larger than 31 x 31");
    // A bare kernel stage waits for its weights: validate() refuses it until they are given.
    FilterSpec bare = parse_filter("kernel");
    EXPECT_EQ(bare.kind, FilterKind::kernel);
    EXPECT_TRUE(bare.kernel.empty());
    try {
        validate(bare);
        ADD_FAILURE() << "kernel without weights: no error";
    } catch (const tessera::Error& e) {
        EXPECT_NE(std::string(e.what()).find("kernel: no weights"), std::string::npos) << e.what();
    }
    parse_kernel_weights("0 1 0\n1 -4 1\n0 1 0", bare);
    validate(bare);
    EXPECT_EQ(bare.kernel_width, 3);
    FilterSpec s;
    s.kind = FilterKind::kernel;
    EXPECT_THROW(parse_kernel_weights("1 2;3", s), tessera::Error);
    EXPECT_THROW(parse_kernel_weights("", s), tessera::Error);
    s.kind = FilterKind::gaussian;
    s.sigma = -1;
    EXPECT_THROW(validate(s), tessera::Error);
}

TEST(Filters, InputTooSmallThrows) {
    const Box<2> box{{0, 0}, {8, 8}};
    Image<std::uint8_t> in(box, 1), out(box, 0);
    FilterWorkspace ws;
    EXPECT_THROW(apply_filter<std::uint8_t>(parse_filter("box:radius=2"), in.cview(), out.view(), box, ws), tessera::Error);
    EXPECT_THROW(apply_filter_ref<std::uint8_t>(parse_filter("box:radius=2"), in.cview(), out.view(), box), tessera::Error);
}

}  // namespace
