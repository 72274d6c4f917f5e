// Private to the filter sources: limits, the fixed-point Gaussian kernel and the workspace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "tessera/stencil/filters.hpp"

namespace tessera::stencil {

inline constexpr double max_gaussian_sigma = 50.0;
inline constexpr int max_gaussian_radius = 256;
inline constexpr int max_box_radius = 64;

/// OpenCV's getGaussianKernelFixedPoint_ED: integer weights with `fraction_bits` fractional
/// bits (8 for 8-bit images, 16 for 16-bit ones) summing to exactly 1 << fraction_bits.
std::vector<std::uint32_t> gaussian_kernel_fixed(int ksize, double sigma, int fraction_bits);

struct FilterWorkspace::Impl {
    struct Free {
        void operator()(std::byte* p) const noexcept { std::free(p); }
    };
    struct Buffer {
        std::unique_ptr<std::byte, Free> data;
        std::size_t bytes = 0;
    };
    std::vector<Buffer> threads;

    /// Grows every thread's buffer to at least `bytes` (64-byte aligned). Call outside
    /// parallel regions.
    void reserve(int nthreads, std::size_t bytes) {
        if (threads.size() < static_cast<std::size_t>(nthreads)) threads.resize(static_cast<std::size_t>(nthreads));
        bytes = (bytes + 63) / 64 * 64;
        for (auto& b : threads) {
            if (b.bytes >= bytes) continue;
            b.data.reset(static_cast<std::byte*>(std::aligned_alloc(64, bytes)));
            if (!b.data) throw std::bad_alloc();
            b.bytes = bytes;
        }
    }
    std::byte* buffer(int thread) { return threads[static_cast<std::size_t>(thread)].data.get(); }
};

}  // namespace tessera::stencil
