// The filter kernels: row-at-a-time optimized loops (OpenMP over row blocks, unit-stride inner
// loops over a column chunk held in per-thread buffers) and their plain per-pixel _ref twins.
//
// Integer pixels use exact integer arithmetic wherever OpenCV does (the Gaussian's fixed-point
// weights, the derivatives, the box sums), so the order of the taps does not matter and the
// optimized loops may fold symmetric taps and run the column pass first. Float arithmetic runs
// in the same order in both twins (the project compiles with -ffp-contract=off), so they agree
// bitwise too.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "filters_impl.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"
#include "tessera/stencil/filters.hpp"

namespace tessera::stencil {

namespace {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

#define TESSERA_CELL inline __attribute__((always_inline))

template <class T>
constexpr bool is_int = !std::is_same_v<T, float>;

// cv::saturate_cast<T>(float): round half to even (the default rounding mode), then clamp.
template <class T>
TESSERA_CELL T saturate(float v) {
    if constexpr (is_int<T>) {
        v = std::nearbyint(v);
        v = v < 0.0f ? 0.0f : v;
        constexpr float hi = static_cast<float>(std::numeric_limits<T>::max());
        v = v > hi ? hi : v;
        return static_cast<T>(static_cast<int>(v));
    } else {
        return v;
    }
}

// Derivative type: exact for the integer pixels (|Sobel 5x5 of 8-bit| <= 24480 fits int16).
template <class T>
using deriv_t = std::conditional_t<std::is_same_v<T, u8>, std::int16_t,
                                   std::conditional_t<std::is_same_v<T, u16>, std::int32_t, float>>;

// ---- per-pixel expressions shared by both twins ----
template <class D>
TESSERA_CELL D smooth3(D a, D b, D c) { return static_cast<D>((a + c) + 2 * b); }
template <class D>
TESSERA_CELL D diff3(D a, D c) { return static_cast<D>(c - a); }
template <class D>
TESSERA_CELL D smooth5(D a, D b, D c, D d, D e) { return static_cast<D>(((a + e) + 4 * (b + d)) + 6 * c); }
template <class D>
TESSERA_CELL D diff5(D a, D b, D d, D e) { return static_cast<D>((e - a) + 2 * (d - b)); }

// A derivative as the output pixel: |d * scale| saturated for integers (cv::convertScaleAbs),
// d * scale for floats.
template <class T, class D>
TESSERA_CELL T deriv_out(D d, float scale) {
    if constexpr (is_int<T>) {
        const float a = static_cast<float>(d < 0 ? -d : d);
        return saturate<T>(a * scale);
    } else {
        return d * scale;
    }
}
template <class T, class D>
TESSERA_CELL T magnitude_out(D gx, D gy, float scale) {
    // cv::magnitude's vector loop: sqrt(fma(x, x, y * y)), one rounding for x * x.
    const float fx = static_cast<float>(gx), fy = static_cast<float>(gy);
    return saturate<T>(std::sqrt(std::fma(fx, fx, fy * fy)) * scale);
}
template <class T>
TESSERA_CELL T unsharp_out(T x, T blur, float alpha, float beta) {
    // cv::addWeighted's vector loop: fma(x, alpha, blur * beta) (gamma 0).
    return saturate<T>(std::fma(static_cast<float>(x), alpha, static_cast<float>(blur) * beta));
}
template <class T>
TESSERA_CELL T min_(T a, T b) { return b < a ? b : a; }
template <class T>
TESSERA_CELL T max_(T a, T b) { return a < b ? b : a; }
template <class T>
TESSERA_CELL T med3(T a, T b, T c) { return max_(min_(a, b), min_(max_(a, b), c)); }

// ---- plans: what a stage needs, computed once per call ----
template <class T>
struct GaussPlan {
    int r = 0;
    std::vector<u32> wi;    // integer types: fixed-point weights (8 or 16 fractional bits)
    std::vector<float> wf;  // float: (float) of cv::getGaussianKernel
};

template <class T>
GaussPlan<T> gauss_plan(const FilterSpec& s) {
    GaussPlan<T> p;
    p.r = filter_radius<T>(s);
    const int n = 2 * p.r + 1;
    if constexpr (std::is_same_v<T, u8>) p.wi = gaussian_kernel_fixed(n, s.sigma, 8);
    else if constexpr (std::is_same_v<T, u16>) p.wi = gaussian_kernel_fixed(n, s.sigma, 16);
    else
        for (double k : gaussian_kernel(n, s.sigma)) p.wf.push_back(static_cast<float>(k));
    return p;
}

// Integer Gaussian accumulators: the column pass in A1 (uint16 for 8-bit, whose weighted sum
// is at most 255 * 256; uint32 for 16-bit), the row pass in A2, then round away the
// 2 * bits fractional bits. Modular wrap-around inside a lane is harmless: the final sums fit.
template <class T>
struct GaussInt;
template <>
struct GaussInt<u8> {
    using A1 = u16;
    using A2 = u32;
    static constexpr int shift = 16;
};
template <>
struct GaussInt<u16> {
    using A1 = u32;
    using A2 = u64;
    static constexpr int shift = 32;
};

inline constexpr gindex_t kChunk = 2048;

template <class T>
const T* at(ConstView<T, 2> v, gindex_t i, gindex_t j) {
    return &v(i, j);
}

// ---- optimized rows: out[0, c1 - c0) = stage at (c0.., j) ----
template <class T>
void gauss_row(const GaussPlan<T>& g, ConstView<T, 2> in, gindex_t j, gindex_t c0, gindex_t c1, T* out,
               std::byte* s0, std::byte* s1) {
    const int r = g.r, n = 2 * r + 1;
    const gindex_t w = c1 - c0, wt = w + 2 * r;
    if constexpr (is_int<T>) {
        using A1 = typename GaussInt<T>::A1;
        using A2 = typename GaussInt<T>::A2;
        A1* tmp = reinterpret_cast<A1*>(s0);
        A2* acc = reinterpret_cast<A2*>(s1);
        {
            const T* c = at(in, c0 - r, j);
            const A1 k = static_cast<A1>(g.wi[static_cast<std::size_t>(r)]);
#pragma omp simd
            for (gindex_t i = 0; i < wt; ++i) tmp[i] = static_cast<A1>(k * c[i]);
        }
        for (int t = 0; t < r; ++t) {
            const A1 k = static_cast<A1>(g.wi[static_cast<std::size_t>(t)]);
            if (k == 0) continue;
            const T* a = at(in, c0 - r, j - r + t);
            const T* b = at(in, c0 - r, j + r - t);
#pragma omp simd
            for (gindex_t i = 0; i < wt; ++i) tmp[i] = static_cast<A1>(tmp[i] + k * static_cast<A1>(static_cast<A1>(a[i]) + b[i]));
        }
        {
            const A2 k = g.wi[static_cast<std::size_t>(r)];
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i) acc[i] = k * tmp[i + r];
        }
        for (int t = 0; t < r; ++t) {
            const A2 k = g.wi[static_cast<std::size_t>(t)];
            if (k == 0) continue;
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i) acc[i] += k * (static_cast<A2>(tmp[i + t]) + tmp[i + 2 * r - t]);
        }
        constexpr int sh = GaussInt<T>::shift;
#pragma omp simd
        for (gindex_t i = 0; i < w; ++i) out[i] = static_cast<T>((acc[i] + (A2{1} << (sh - 1))) >> sh);
    } else {
        float* tmp = reinterpret_cast<float*>(s0);
        {
            const float* a = at(in, c0 - r, j - r);
            const float k = g.wf[0];
#pragma omp simd
            for (gindex_t i = 0; i < wt; ++i) tmp[i] = k * a[i];
        }
        for (int t = 1; t < n; ++t) {
            const float* a = at(in, c0 - r, j - r + t);
            const float k = g.wf[static_cast<std::size_t>(t)];
#pragma omp simd
            for (gindex_t i = 0; i < wt; ++i) tmp[i] = tmp[i] + k * a[i];
        }
        {
            const float k = g.wf[0];
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i) out[i] = k * tmp[i];
        }
        for (int t = 1; t < n; ++t) {
            const float k = g.wf[static_cast<std::size_t>(t)];
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i) out[i] = out[i] + k * tmp[i + t];
        }
    }
}

// Box sums: integers exact (uint16 columns for 8-bit boxes up to 257 rows, else uint32), then
// round(float(sum) * float(1 / area)) as OpenCV's ColumnSum does; floats sum in double.
template <class T>
using box_col_t = std::conditional_t<std::is_same_v<T, u8>, u16, std::conditional_t<std::is_same_v<T, u16>, u32, double>>;
template <class T>
using box_sum_t = std::conditional_t<is_int<T>, u32, double>;

template <class T>
TESSERA_CELL T box_out(box_sum_t<T> s, float inv_f, double inv_d) {
    if constexpr (is_int<T>) return saturate<T>(static_cast<float>(s) * inv_f);
    else return static_cast<float>(s * inv_d);
}

template <class T>
void box_row(int r, ConstView<T, 2> in, gindex_t j, gindex_t c0, gindex_t c1, T* out, std::byte* s0, std::byte* s1) {
    using C = box_col_t<T>;
    using S = box_sum_t<T>;
    const int n = 2 * r + 1;
    const gindex_t w = c1 - c0, wt = w + 2 * r;
    C* tmp = reinterpret_cast<C*>(s0);
    S* acc = reinterpret_cast<S*>(s1);
    {
        const T* a = at(in, c0 - r, j - r);
#pragma omp simd
        for (gindex_t i = 0; i < wt; ++i) tmp[i] = static_cast<C>(a[i]);
    }
    for (int t = 1; t < n; ++t) {
        const T* a = at(in, c0 - r, j - r + t);
#pragma omp simd
        for (gindex_t i = 0; i < wt; ++i) tmp[i] = static_cast<C>(tmp[i] + a[i]);
    }
#pragma omp simd
    for (gindex_t i = 0; i < w; ++i) acc[i] = static_cast<S>(tmp[i]);
    for (int t = 1; t < n; ++t) {
#pragma omp simd
        for (gindex_t i = 0; i < w; ++i) acc[i] = static_cast<S>(acc[i] + tmp[i + t]);
    }
    const double inv_d = 1.0 / (static_cast<double>(n) * n);
    const float inv_f = static_cast<float>(inv_d);
#pragma omp simd
    for (gindex_t i = 0; i < w; ++i) out[i] = box_out<T>(acc[i], inv_f, inv_d);
}

// Sobel dx or dy with scale != 1 on integer pixels: cv::Sobel folds the scale into the
// smoothing kernel and filters in float, its loops fusing multiply and add; these follow that
// arithmetic tap for tap so the result matches cv2 bit for bit. `p[k]` is row j - r + k from
// column i0 - r, the pixel is i0 + i.
template <class T, int K>
TESSERA_CELL float sobel_scaled_dx(const T* const* p, gindex_t i, const float* ks) {
    constexpr int r = K / 2;
    auto diff = [&](int k) {
        const T* q = p[k] + i;
        if constexpr (K == 3) return static_cast<float>(int(q[2]) - int(q[0]));
        else return static_cast<float>((int(q[4]) - int(q[0])) + 2 * (int(q[3]) - int(q[1])));
    };
    float acc = ks[r] * diff(r);
    for (int t = 1; t <= r; ++t) acc = std::fma(ks[r + t], diff(r + t) + diff(r - t), acc);
    return acc;
}
template <class T, int K>
TESSERA_CELL float sobel_scaled_dy(const T* const* p, gindex_t i, const float* ks) {
    constexpr int r = K / 2;
    auto smooth = [&](int k) {
        const T* q = p[k] + i;
        float acc = ks[0] * static_cast<float>(q[0]);
        for (int t = 1; t < K; ++t) acc = std::fma(ks[t], static_cast<float>(q[t]), acc);
        return acc;
    };
    float out = 0.0f;
    for (int t = 1; t <= r; ++t) out = std::fma(static_cast<float>(K == 3 ? 1 : 3 - t), smooth(r + t) - smooth(r - t), out);
    return out;
}
// The smoothing weights times the scale, as float (cv::Mat's *= scale).
std::array<float, 5> sobel_scaled_weights(const FilterSpec& s) {
    std::array<float, 5> k{};
    const double w3[] = {1, 2, 1}, w5[] = {1, 4, 6, 4, 1};
    for (int t = 0; t < s.ksize; ++t) k[static_cast<std::size_t>(t)] = static_cast<float>((s.ksize == 3 ? w3[t] : w5[t]) * s.scale);
    return k;
}
template <class T>
bool sobel_scaled(const FilterSpec& s) {
    return is_int<T> && s.scale != 1.0 && s.sobel != SobelOutput::magnitude;
}
template <class T>
TESSERA_CELL T sobel_scaled_pixel(const FilterSpec& s, const T* const* p, gindex_t i, const float* ks) {
    float d;
    if (s.sobel == SobelOutput::dx) d = s.ksize == 3 ? sobel_scaled_dx<T, 3>(p, i, ks) : sobel_scaled_dx<T, 5>(p, i, ks);
    else d = s.ksize == 3 ? sobel_scaled_dy<T, 3>(p, i, ks) : sobel_scaled_dy<T, 5>(p, i, ks);
    return deriv_out<T>(d, 1.0f);
}

// Sobel: the column pass (smoothing or difference) first into one or two rows, then the row pass.
template <class T>
void sobel_row(const FilterSpec& s, ConstView<T, 2> in, gindex_t j, gindex_t c0, gindex_t c1, T* out,
               std::byte* s0, std::byte* s1) {
    using D = deriv_t<T>;
    const gindex_t w = c1 - c0;
    const float scale = static_cast<float>(s.scale);
    D* sm = reinterpret_cast<D*>(s0);  // column-smoothed (for dx)
    D* df = reinterpret_cast<D*>(s1);  // column-differenced (for dy)
    const bool need_sm = s.sobel != SobelOutput::dy, need_df = s.sobel != SobelOutput::dx;
    if (sobel_scaled<T>(s)) {
        const int r = s.ksize / 2;
        const T* p[5];
        for (int k = 0; k < s.ksize; ++k) p[k] = at(in, c0 - r, j - r + k);
        const std::array<float, 5> ks = sobel_scaled_weights(s);
        if (s.sobel == SobelOutput::dx && s.ksize == 3) {
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i) out[i] = deriv_out<T>(sobel_scaled_dx<T, 3>(p, i, ks.data()), 1.0f);
        } else if (s.sobel == SobelOutput::dx) {
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i) out[i] = deriv_out<T>(sobel_scaled_dx<T, 5>(p, i, ks.data()), 1.0f);
        } else if (s.ksize == 3) {
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i) out[i] = deriv_out<T>(sobel_scaled_dy<T, 3>(p, i, ks.data()), 1.0f);
        } else {
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i) out[i] = deriv_out<T>(sobel_scaled_dy<T, 5>(p, i, ks.data()), 1.0f);
        }
    } else if (s.ksize == 3) {
        const gindex_t wt = w + 2;
        const T* a = at(in, c0 - 1, j - 1);
        const T* b = at(in, c0 - 1, j);
        const T* c = at(in, c0 - 1, j + 1);
        if (need_sm) {
#pragma omp simd
            for (gindex_t i = 0; i < wt; ++i) sm[i] = smooth3<D>(a[i], b[i], c[i]);
        }
        if (need_df) {
#pragma omp simd
            for (gindex_t i = 0; i < wt; ++i) df[i] = diff3<D>(a[i], c[i]);
        }
        if (s.sobel == SobelOutput::dx) {
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i) out[i] = deriv_out<T>(diff3<D>(sm[i], sm[i + 2]), scale);
        } else if (s.sobel == SobelOutput::dy) {
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i) out[i] = deriv_out<T>(smooth3<D>(df[i], df[i + 1], df[i + 2]), scale);
        } else {
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i)
                out[i] = magnitude_out<T>(diff3<D>(sm[i], sm[i + 2]), smooth3<D>(df[i], df[i + 1], df[i + 2]), scale);
        }
    } else {
        const gindex_t wt = w + 4;
        const T* a = at(in, c0 - 2, j - 2);
        const T* b = at(in, c0 - 2, j - 1);
        const T* c = at(in, c0 - 2, j);
        const T* d = at(in, c0 - 2, j + 1);
        const T* e = at(in, c0 - 2, j + 2);
        if (need_sm) {
#pragma omp simd
            for (gindex_t i = 0; i < wt; ++i) sm[i] = smooth5<D>(a[i], b[i], c[i], d[i], e[i]);
        }
        if (need_df) {
#pragma omp simd
            for (gindex_t i = 0; i < wt; ++i) df[i] = diff5<D>(a[i], b[i], d[i], e[i]);
        }
        if (s.sobel == SobelOutput::dx) {
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i) out[i] = deriv_out<T>(diff5<D>(sm[i], sm[i + 1], sm[i + 3], sm[i + 4]), scale);
        } else if (s.sobel == SobelOutput::dy) {
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i)
                out[i] = deriv_out<T>(smooth5<D>(df[i], df[i + 1], df[i + 2], df[i + 3], df[i + 4]), scale);
        } else {
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i)
                out[i] = magnitude_out<T>(diff5<D>(sm[i], sm[i + 1], sm[i + 3], sm[i + 4]),
                                          smooth5<D>(df[i], df[i + 1], df[i + 2], df[i + 3], df[i + 4]), scale);
        }
    }
}

// Laplacian taps in row-major order, as cv2.filter2D sums them.
template <class D>
TESSERA_CELL D lap1(D up, D left, D c, D right, D down) {
    return static_cast<D>((((up + left) + static_cast<D>(-4) * c) + right) + down);
}
template <class D>
TESSERA_CELL D lap3(D ul, D ur, D c, D dl, D dr) {
    return static_cast<D>((((static_cast<D>(2) * ul + static_cast<D>(2) * ur) + static_cast<D>(-8) * c) +
                           static_cast<D>(2) * dl) + static_cast<D>(2) * dr);
}

template <class T>
void laplacian_row(const FilterSpec& s, ConstView<T, 2> in, gindex_t j, gindex_t c0, gindex_t c1, T* out) {
    using D = deriv_t<T>;
    const gindex_t w = c1 - c0;
    const float scale = static_cast<float>(s.scale);
    const T* u = at(in, c0 - 1, j - 1);
    const T* m = at(in, c0 - 1, j);
    const T* d = at(in, c0 - 1, j + 1);
    if (s.ksize == 1) {
#pragma omp simd
        for (gindex_t i = 0; i < w; ++i)
            out[i] = deriv_out<T>(lap1<D>(u[i + 1], m[i], m[i + 1], m[i + 2], d[i + 1]), scale);
    } else {
#pragma omp simd
        for (gindex_t i = 0; i < w; ++i) out[i] = deriv_out<T>(lap3<D>(u[i], u[i + 2], m[i + 1], d[i], d[i + 2]), scale);
    }
}

// 64 bytes of pixels as one GCC vector (one AVX-512 register, two AVX2 ones): the medians'
// min/max networks run over these in registers.
typedef std::uint8_t vec64_u8 __attribute__((vector_size(64)));
typedef std::uint16_t vec64_u16 __attribute__((vector_size(64)));
typedef float vec64_f32 __attribute__((vector_size(64)));
template <class T>
using vec64 = std::conditional_t<std::is_same_v<T, u8>, vec64_u8, std::conditional_t<std::is_same_v<T, u16>, vec64_u16, vec64_f32>>;

template <class V>
TESSERA_CELL V vmin(V a, V b) { return b < a ? b : a; }
template <class V>
TESSERA_CELL V vmax(V a, V b) { return a < b ? b : a; }

// Median 3x3: sort each column of three, then the median of the nine is
// med3(max of the column minima, med3 of the column medians, min of the column maxima).
template <class V>
TESSERA_CELL V vload(const void* p) {
    V v;
    std::memcpy(&v, p, sizeof(V));
    return v;
}

// The three columns sorted, for the window columns starting at a, b, c (rows j - 1, j, j + 1).
template <class V>
struct Sorted3 {
    V lo, md, hi;
};
template <class V>
TESSERA_CELL Sorted3<V> sort_column(V a, V b, V c) {
    const V x = vmin(a, b), y = vmax(a, b);
    const V z = vmin(y, c);
    return {vmin(x, z), vmax(x, z), vmax(y, c)};
}

template <class T>
void median3_row(ConstView<T, 2> in, gindex_t j, gindex_t c0, gindex_t c1, T* out) {
    using V = vec64<T>;
    constexpr gindex_t L = 64 / sizeof(T);
    const gindex_t w = c1 - c0;
    const T* a = at(in, c0 - 1, j - 1);
    const T* b = at(in, c0 - 1, j);
    const T* c = at(in, c0 - 1, j + 1);
    // Whole vectors in registers, the last partial one through a zero-padded copy.
    auto one = [&](const T* pa, const T* pb, const T* pc) {
        const Sorted3<V> l = sort_column(vload<V>(pa), vload<V>(pb), vload<V>(pc));
        const Sorted3<V> m = sort_column(vload<V>(pa + 1), vload<V>(pb + 1), vload<V>(pc + 1));
        const Sorted3<V> r = sort_column(vload<V>(pa + 2), vload<V>(pb + 2), vload<V>(pc + 2));
        const V lo = vmax(vmax(l.lo, m.lo), r.lo);
        const V hi = vmin(vmin(l.hi, m.hi), r.hi);
        const V md = vmax(vmin(l.md, m.md), vmin(vmax(l.md, m.md), r.md));
        return vmax(vmin(lo, md), vmin(vmax(lo, md), hi));
    };
    gindex_t i = 0;
    for (; i + L <= w; i += L) {
        const V v = one(a + i, b + i, c + i);
        std::memcpy(out + i, &v, sizeof(V));
    }
    if (i < w) {
        T ta[L + 2] = {}, tb[L + 2] = {}, tc[L + 2] = {};
        const std::size_t n = static_cast<std::size_t>(w - i + 2) * sizeof(T);
        std::memcpy(ta, a + i, n);
        std::memcpy(tb, b + i, n);
        std::memcpy(tc, c + i, n);
        const V v = one(ta, tb, tc);
        std::memcpy(out + i, &v, static_cast<std::size_t>(w - i) * sizeof(T));
    }
}

// Median 5x5: Batcher's odd-even merge sort of 32 wires, the comparators that touch the 7
// wires past 25 dropped (those wires stay +infinity, so the rest sorts 25), then pruned to
// the ones the middle wire (12) depends on, each keeping only the outputs needed later: 113
// comparators. Built at compile time so the network unrolls over registers.
struct Comparator {
    int a = 0, b = 0;  // a < b: a gets the min, b the max
    bool need_min = false, need_max = false;
};

constexpr int kBatcherMax = 256;

constexpr int batcher32(std::array<std::array<int, 2>, kBatcherMax>& out) {
    int m = 0;
    const int n = 32;
    for (int p = 1; p < n; p <<= 1)
        for (int k = p; k >= 1; k >>= 1)
            for (int jj = k % p; jj + k < n; jj += 2 * k)
                for (int i = 0; i < std::min(k, n - jj - k); ++i)
                    if ((i + jj) / (2 * p) == (i + jj + k) / (2 * p)) out[static_cast<std::size_t>(m++)] = {i + jj, i + jj + k};
    return m;
}

constexpr int median25_pruned(std::array<Comparator, kBatcherMax>& kept) {
    std::array<std::array<int, 2>, kBatcherMax> all{};
    const int m = batcher32(all);
    std::array<bool, 32> needed{};
    needed[12] = true;
    int q = 0;
    for (int c = m - 1; c >= 0; --c) {
        const int a = all[static_cast<std::size_t>(c)][0], b = all[static_cast<std::size_t>(c)][1];
        if (b >= 25) continue;
        if (!needed[static_cast<std::size_t>(a)] && !needed[static_cast<std::size_t>(b)]) continue;
        kept[static_cast<std::size_t>(q++)] = {a, b, needed[static_cast<std::size_t>(a)], needed[static_cast<std::size_t>(b)]};
        needed[static_cast<std::size_t>(a)] = needed[static_cast<std::size_t>(b)] = true;
    }
    for (int i = 0, j = q - 1; i < j; ++i, --j) std::swap(kept[static_cast<std::size_t>(i)], kept[static_cast<std::size_t>(j)]);
    return q;
}

constexpr int kMedian25Size = [] {
    std::array<Comparator, kBatcherMax> k{};
    return median25_pruned(k);
}();
constexpr std::array<Comparator, kMedian25Size> kMedian25 = [] {
    std::array<Comparator, kBatcherMax> k{};
    median25_pruned(k);
    std::array<Comparator, kMedian25Size> r{};
    for (int i = 0; i < kMedian25Size; ++i) r[static_cast<std::size_t>(i)] = k[static_cast<std::size_t>(i)];
    return r;
}();

template <std::size_t I, class V>
TESSERA_CELL void median25_step(V* v) {
    constexpr Comparator c = kMedian25[I];
    const V x = v[c.a], y = v[c.b];
    if constexpr (c.need_min) v[c.a] = vmin(x, y);
    if constexpr (c.need_max) v[c.b] = vmax(x, y);
}
template <class V, std::size_t... I>
TESSERA_CELL V median25_vec(V* v, std::index_sequence<I...>) {
    (median25_step<I>(v), ...);
    return v[12];
}

template <class T>
void median5_row(ConstView<T, 2> in, gindex_t j, gindex_t c0, gindex_t c1, T* out) {
    using V = vec64<T>;
    constexpr gindex_t L = 64 / sizeof(T);
    const gindex_t w = c1 - c0;
    const T* p[5];
    for (int k = 0; k < 5; ++k) p[k] = at(in, c0 - 2, j - 2 + k);
    for (gindex_t i = 0; i < w; i += L) {
        const gindex_t n = std::min(L, w - i);
        V v[25];
        for (int k = 0; k < 25; ++k) {
            if (n == L) {
                std::memcpy(&v[k], p[k / 5] + i + k % 5, sizeof(V));
            } else {
                v[k] = V{};
                std::memcpy(&v[k], p[k / 5] + i + k % 5, static_cast<std::size_t>(n) * sizeof(T));
            }
        }
        const V m = median25_vec(v, std::make_index_sequence<kMedian25Size>{});
        std::memcpy(out + i, &m, static_cast<std::size_t>(n) * sizeof(T));
    }
}

template <class T>
void kernel_row(const FilterSpec& s, ConstView<T, 2> in, gindex_t j, gindex_t c0, gindex_t c1, T* out, std::byte* s0) {
    const gindex_t w = c1 - c0;
    const int rx = s.kernel_width / 2, ry = s.kernel_height / 2;
    float* acc = reinterpret_cast<float*>(s0);
    std::fill(acc, acc + w, 0.0f);
    for (int ty = 0; ty < s.kernel_height; ++ty)
        for (int tx = 0; tx < s.kernel_width; ++tx) {
            const float k = s.kernel[static_cast<std::size_t>(ty) * s.kernel_width + tx];
            if (k == 0.0f) continue;
            const T* p = at(in, c0 - rx + tx, j - ry + ty);
#pragma omp simd
            for (gindex_t i = 0; i < w; ++i) acc[i] = acc[i] + k * static_cast<float>(p[i]);
        }
#pragma omp simd
    for (gindex_t i = 0; i < w; ++i) out[i] = saturate<T>(acc[i]);
}

// OpenMP over rows (static schedule: contiguous row blocks), column chunks of `chunk`, each
// thread with its own `nslots` slots of `slot` bytes.
template <class Fn>
void for_rows(const Box<2>& box, FilterWorkspace& ws, gindex_t chunk, std::size_t slot, int nslots, Fn&& fn) {
    if (box.empty()) return;
    const int nt = omp_get_max_threads();
    auto& impl = ws.impl();
    impl.reserve(nt, slot * static_cast<std::size_t>(nslots));
#pragma omp parallel num_threads(nt)
    {
        std::byte* buf = impl.buffer(omp_get_thread_num());
#pragma omp for schedule(static)
        for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
            for (gindex_t c0 = box.lo[0]; c0 < box.hi[0]; c0 += chunk) fn(j, c0, std::min(c0 + chunk, box.hi[0]), buf);
    }
}

std::size_t slot_bytes(gindex_t chunk, int r) {
    return static_cast<std::size_t>((chunk + 2 * r + 64) * 8 + 63) / 64 * 64;
}

// ---- reference twins: one pixel at a time, straight from the definitions ----
template <class T>
T gauss_ref_pixel(const GaussPlan<T>& g, ConstView<T, 2> in, gindex_t i, gindex_t j) {
    const int r = g.r, n = 2 * r + 1;
    if constexpr (is_int<T>) {
        u64 s = 0;
        for (int ty = 0; ty < n; ++ty) {
            u64 row = 0;
            for (int tx = 0; tx < n; ++tx) row += u64{g.wi[static_cast<std::size_t>(tx)]} * in(i - r + tx, j - r + ty);
            s += u64{g.wi[static_cast<std::size_t>(ty)]} * row;
        }
        constexpr int sh = GaussInt<T>::shift;
        return static_cast<T>((s + (u64{1} << (sh - 1))) >> sh);
    } else {
        float h = 0;
        for (int tx = 0; tx < n; ++tx) {
            float v = g.wf[0] * in(i - r + tx, j - r);
            for (int ty = 1; ty < n; ++ty) v = v + g.wf[static_cast<std::size_t>(ty)] * in(i - r + tx, j - r + ty);
            h = tx == 0 ? g.wf[0] * v : h + g.wf[static_cast<std::size_t>(tx)] * v;
        }
        return h;
    }
}

template <class T>
T box_ref_pixel(int r, ConstView<T, 2> in, gindex_t i, gindex_t j) {
    using C = box_col_t<T>;
    using S = box_sum_t<T>;
    const int n = 2 * r + 1;
    S s = 0;
    for (int tx = 0; tx < n; ++tx) {
        C c = static_cast<C>(in(i - r + tx, j - r));
        for (int ty = 1; ty < n; ++ty) c = static_cast<C>(c + in(i - r + tx, j - r + ty));
        s = tx == 0 ? static_cast<S>(c) : static_cast<S>(s + c);
    }
    const double inv_d = 1.0 / (static_cast<double>(n) * n);
    return box_out<T>(s, static_cast<float>(inv_d), inv_d);
}

template <class T>
T sobel_ref_pixel(const FilterSpec& s, ConstView<T, 2> in, gindex_t i, gindex_t j) {
    using D = deriv_t<T>;
    const float scale = static_cast<float>(s.scale);
    if (sobel_scaled<T>(s)) {
        const int r = s.ksize / 2;
        const T* rows[5];
        for (int k = 0; k < s.ksize; ++k) rows[k] = &in(i - r, j - r + k);
        return sobel_scaled_pixel<T>(s, rows, 0, sobel_scaled_weights(s).data());
    }
    auto p = [&](int dx, int dy) { return static_cast<D>(in(i + dx, j + dy)); };
    D gx, gy;
    if (s.ksize == 3) {
        auto sm = [&](int dx) { return smooth3<D>(p(dx, -1), p(dx, 0), p(dx, 1)); };
        auto df = [&](int dx) { return diff3<D>(p(dx, -1), p(dx, 1)); };
        gx = diff3<D>(sm(-1), sm(1));
        gy = smooth3<D>(df(-1), df(0), df(1));
    } else {
        auto sm = [&](int dx) { return smooth5<D>(p(dx, -2), p(dx, -1), p(dx, 0), p(dx, 1), p(dx, 2)); };
        auto df = [&](int dx) { return diff5<D>(p(dx, -2), p(dx, -1), p(dx, 1), p(dx, 2)); };
        gx = diff5<D>(sm(-2), sm(-1), sm(1), sm(2));
        gy = smooth5<D>(df(-2), df(-1), df(0), df(1), df(2));
    }
    if (s.sobel == SobelOutput::dx) return deriv_out<T>(gx, scale);
    if (s.sobel == SobelOutput::dy) return deriv_out<T>(gy, scale);
    return magnitude_out<T>(gx, gy, scale);
}

template <class T>
T laplacian_ref_pixel(const FilterSpec& s, ConstView<T, 2> in, gindex_t i, gindex_t j) {
    using D = deriv_t<T>;
    auto p = [&](int dx, int dy) { return static_cast<D>(in(i + dx, j + dy)); };
    const D l = s.ksize == 1 ? lap1<D>(p(0, -1), p(-1, 0), p(0, 0), p(1, 0), p(0, 1))
                             : lap3<D>(p(-1, -1), p(1, -1), p(0, 0), p(-1, 1), p(1, 1));
    return deriv_out<T>(l, static_cast<float>(s.scale));
}

template <class T>
T median_ref_pixel(int r, ConstView<T, 2> in, gindex_t i, gindex_t j) {
    T v[25];
    int m = 0;
    for (int dy = -r; dy <= r; ++dy)
        for (int dx = -r; dx <= r; ++dx) v[m++] = in(i + dx, j + dy);
    std::nth_element(v, v + m / 2, v + m);
    return v[m / 2];
}

template <class T>
T kernel_ref_pixel(const FilterSpec& s, ConstView<T, 2> in, gindex_t i, gindex_t j) {
    const int rx = s.kernel_width / 2, ry = s.kernel_height / 2;
    float acc = 0.0f;
    for (int ty = 0; ty < s.kernel_height; ++ty)
        for (int tx = 0; tx < s.kernel_width; ++tx) {
            const float k = s.kernel[static_cast<std::size_t>(ty) * s.kernel_width + tx];
            if (k == 0.0f) continue;
            acc = acc + k * static_cast<float>(in(i - rx + tx, j - ry + ty));
        }
    return saturate<T>(acc);
}

template <class T>
void check_args(const FilterSpec& spec, ConstView<T, 2> in, View<T, 2> out, const Box<2>& box) {
    validate(spec);
    if (box.empty()) return;
    TESSERA_CHECK(in.box().contains(box.grown(filter_radius<T>(spec))),
                  "apply_filter: the input " << in.box() << " does not hold the box " << box << " grown by "
                                             << filter_radius<T>(spec));
    TESSERA_CHECK(out.box().contains(box), "apply_filter: the output " << out.box() << " does not hold the box " << box);
}

}  // namespace

template <class T>
void apply_filter(const FilterSpec& spec, ConstView<T, 2> in, View<T, 2> out, const Box<2>& box,
                  FilterWorkspace& workspace) {
    ScopedTimer timer("stencil.filter");
    check_args(spec, in, out, box);
    if (box.empty()) return;
    const int R = filter_radius<T>(spec);
    auto out_row = [&](gindex_t j, gindex_t c0) { return &out(c0, j); };
    switch (spec.kind) {
        case FilterKind::gaussian: {
            const GaussPlan<T> g = gauss_plan<T>(spec);
            const std::size_t sl = slot_bytes(kChunk, R);
            for_rows(box, workspace, kChunk, sl, 2, [&](gindex_t j, gindex_t c0, gindex_t c1, std::byte* b) {
                gauss_row(g, in, j, c0, c1, out_row(j, c0), b, b + sl);
            });
            break;
        }
        case FilterKind::unsharp: {
            const GaussPlan<T> g = gauss_plan<T>(spec);
            const std::size_t sl = slot_bytes(kChunk, R);
            const float alpha = static_cast<float>(1.0 + spec.amount), beta = static_cast<float>(-spec.amount);
            for_rows(box, workspace, kChunk, sl, 3, [&](gindex_t j, gindex_t c0, gindex_t c1, std::byte* b) {
                T* blur = reinterpret_cast<T*>(b + 2 * sl);
                gauss_row(g, in, j, c0, c1, blur, b, b + sl);
                const T* x = at(in, c0, j);
                T* o = out_row(j, c0);
                const gindex_t w = c1 - c0;
#pragma omp simd
                for (gindex_t i = 0; i < w; ++i) o[i] = unsharp_out<T>(x[i], blur[i], alpha, beta);
            });
            break;
        }
        case FilterKind::box: {
            const std::size_t sl = slot_bytes(kChunk, R);
            for_rows(box, workspace, kChunk, sl, 2, [&](gindex_t j, gindex_t c0, gindex_t c1, std::byte* b) {
                box_row(spec.radius, in, j, c0, c1, out_row(j, c0), b, b + sl);
            });
            break;
        }
        case FilterKind::sobel: {
            const std::size_t sl = slot_bytes(kChunk, R);
            for_rows(box, workspace, kChunk, sl, 2, [&](gindex_t j, gindex_t c0, gindex_t c1, std::byte* b) {
                sobel_row(spec, in, j, c0, c1, out_row(j, c0), b, b + sl);
            });
            break;
        }
        case FilterKind::laplacian:
            for_rows(box, workspace, kChunk, 64, 1, [&](gindex_t j, gindex_t c0, gindex_t c1, std::byte*) {
                laplacian_row(spec, in, j, c0, c1, out_row(j, c0));
            });
            break;
        case FilterKind::median: {
            if (spec.radius == 1) {
                for_rows(box, workspace, kChunk, 64, 1, [&](gindex_t j, gindex_t c0, gindex_t c1, std::byte*) {
                    median3_row(in, j, c0, c1, out_row(j, c0));
                });
            } else {
                for_rows(box, workspace, kChunk, 64, 1, [&](gindex_t j, gindex_t c0, gindex_t c1, std::byte*) {
                    median5_row(in, j, c0, c1, out_row(j, c0));
                });
            }
            break;
        }
        case FilterKind::kernel: {
            const std::size_t sl = slot_bytes(kChunk, 0);
            for_rows(box, workspace, kChunk, sl, 1, [&](gindex_t j, gindex_t c0, gindex_t c1, std::byte* b) {
                kernel_row(spec, in, j, c0, c1, out_row(j, c0), b);
            });
            break;
        }
    }
}

template <class T>
void apply_filter_ref(const FilterSpec& spec, ConstView<T, 2> in, View<T, 2> out, const Box<2>& box) {
    check_args(spec, in, out, box);
    if (box.empty()) return;
    GaussPlan<T> g;
    if (spec.kind == FilterKind::gaussian || spec.kind == FilterKind::unsharp) g = gauss_plan<T>(spec);
    const float alpha = static_cast<float>(1.0 + spec.amount), beta = static_cast<float>(-spec.amount);
    for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
        for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) {
            T v{};
            switch (spec.kind) {
                case FilterKind::gaussian: v = gauss_ref_pixel(g, in, i, j); break;
                case FilterKind::unsharp: v = unsharp_out<T>(in(i, j), gauss_ref_pixel(g, in, i, j), alpha, beta); break;
                case FilterKind::box: v = box_ref_pixel(spec.radius, in, i, j); break;
                case FilterKind::sobel: v = sobel_ref_pixel(spec, in, i, j); break;
                case FilterKind::laplacian: v = laplacian_ref_pixel(spec, in, i, j); break;
                case FilterKind::median: v = median_ref_pixel(spec.radius, in, i, j); break;
                case FilterKind::kernel: v = kernel_ref_pixel(spec, in, i, j); break;
            }
            out(i, j) = v;
        }
}

#define TESSERA_FILTER_INST(T)                                                                                   \
    template void apply_filter<T>(const FilterSpec&, ConstView<T, 2>, View<T, 2>, const Box<2>&, FilterWorkspace&); \
    template void apply_filter_ref<T>(const FilterSpec&, ConstView<T, 2>, View<T, 2>, const Box<2>&);
TESSERA_FILTER_INST(std::uint8_t)
TESSERA_FILTER_INST(std::uint16_t)
TESSERA_FILTER_INST(float)
#undef TESSERA_FILTER_INST

}  // namespace tessera::stencil
