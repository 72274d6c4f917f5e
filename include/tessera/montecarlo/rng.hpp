// Counter-based random numbers (Random123's Philox4x32-10): sample `s` of a run with seed `k`
// always draws from the stream keyed by (k, s), so a result never depends on who computes it.
#pragma once

#include <Random123/philox.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace tessera::montecarlo {

/// Local: one Philox4x32-10 block: the 128-bit counter `ctr` encrypted under the 64-bit key.
/// Word order follows Random123 (ctr[0] and key[0] are the low words), so its published
/// known-answer vectors apply directly.
inline std::array<std::uint32_t, 4> philox4x32_10(const std::array<std::uint32_t, 4>& ctr,
                                                  const std::array<std::uint32_t, 2>& key) noexcept {
    r123::Philox4x32_R<10> gen;
    const r123::Philox4x32_R<10>::ctr_type c = {{ctr[0], ctr[1], ctr[2], ctr[3]}};
    const r123::Philox4x32_R<10>::key_type k = {{key[0], key[1]}};
    const auto r = gen(c, k);
    return {r[0], r[1], r[2], r[3]};
}

/// Local: the first 64-bit word of Philox4x32-10 block `draw` of stream (seed, stream,
/// substream), i.e. CounterRng(seed, stream, substream)'s next_u64() after `2 draw` calls.
/// Plain 32/64-bit integer arithmetic with no calls or branches, so a `#pragma omp simd` loop
/// over sites computes 8 (AVX-512) or 4 (AVX2) blocks at once; checked against Random123.
inline std::uint64_t philox_first_word(std::uint64_t seed, std::uint64_t stream,
                                       std::uint32_t substream, std::uint32_t draw = 0) noexcept {
    std::uint32_t c0 = static_cast<std::uint32_t>(stream), c1 = static_cast<std::uint32_t>(stream >> 32);
    std::uint32_t c2 = substream, c3 = draw;
    std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {  // Random123's key schedule: bump before rounds 2..10
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        const std::uint64_t p0 = std::uint64_t{0xD2511F53u} * c0;
        const std::uint64_t p1 = std::uint64_t{0xCD9E8D57u} * c2;
        const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
        const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    return (std::uint64_t{c1} << 32) | c0;
}

/// Local: the 53 high bits of `bits` as a double in [0, 1) (multiples of 2^-53).
constexpr double to_unit_closed_open(std::uint64_t bits) noexcept {
    return static_cast<double>(bits >> 11) * 0x1p-53;
}
/// Local: a double in (0, 1), never 0 or 1: the odd multiples of 2^-53, from the 52 high bits.
/// Safe under log() and as the first argument of Box-Muller.
constexpr double to_unit_open(std::uint64_t bits) noexcept {
    return static_cast<double>(((bits >> 12) << 1) | 1u) * 0x1p-53;
}

/// Local: Vigna's splitmix64 step from state `x`: (x + golden gamma), then its finalizer. A
/// bijection on 64-bit words; splitmix64(0) = 0xE220A8397B1DCDAF, the generator's first output.
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
    std::uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// Local: the seed of job `index` of a run seeded with `seed` (one chain per temperature of a
/// sweep, say): splitmix64(splitmix64(seed) ^ index). It depends on (seed, index) only, so it
/// is the same whichever rank or thread runs the job; mixing the seed first keeps neighbouring
/// seeds from sharing shifted sequences of job seeds (as seed ^ index would: 2 ^ 1 == 3 ^ 0).
constexpr std::uint64_t derived_seed(std::uint64_t seed, std::uint64_t index) noexcept {
    return splitmix64(splitmix64(seed) ^ index);
}

/// The stream of random numbers keyed by (seed, stream, substream): for example (seed,
/// sample) for a path of an option, or (seed, site, sweep) for one Ising update.
/// Draw i of the stream is block i of Philox4x32-10 with key = seed and counter =
/// {stream (low, high word), substream, i}; each block yields two 64-bit words.
/// Cheap to construct (no state beyond the counter). Local; not thread-safe per object:
/// give each thread its own streams.
class CounterRng {
public:
    CounterRng(std::uint64_t seed, std::uint64_t stream, std::uint32_t substream = 0) noexcept
        : key_{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}},
          ctr_{{static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32),
                substream, 0u}} {}

    /// The next 64 random bits.
    std::uint64_t next_u64() noexcept {
        if (used_ == 2) refill();
        return words_[used_++];
    }
    /// A uniform double in [0, 1) with 53 random bits.
    double uniform() noexcept { return to_unit_closed_open(next_u64()); }
    /// A uniform double in (0, 1).
    double uniform_open() noexcept { return to_unit_open(next_u64()); }
    /// A standard normal variate (Box-Muller; the second of each pair is kept for the next call).
    double normal() noexcept {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        const double u1 = uniform_open();
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double theta = 2.0 * std::numbers::pi * u2;
        spare_ = r * std::sin(theta);
        has_spare_ = true;
        return r * std::cos(theta);
    }
    /// Number of Philox blocks drawn so far.
    std::uint32_t blocks_drawn() const noexcept { return ctr_[3]; }

private:
    void refill() noexcept {
        const auto r = gen_(ctr_, key_);
        ++ctr_[3];
        words_[0] = (std::uint64_t{r[1]} << 32) | r[0];
        words_[1] = (std::uint64_t{r[3]} << 32) | r[2];
        used_ = 0;
    }

    r123::Philox4x32_R<10> gen_;
    r123::Philox4x32_R<10>::key_type key_;
    r123::Philox4x32_R<10>::ctr_type ctr_;
    std::array<std::uint64_t, 2> words_{};
    int used_ = 2;
    bool has_spare_ = false;
    double spare_ = 0.0;
};

}  // namespace tessera::montecarlo
