// ExactSum: an exact, order-independent accumulator of doubles (a fixed-point superaccumulator),
// the building block of tessera's reproducible reductions (DESIGN.md section 6).
//
// How and why it is exact. Every finite double is m * 2^(e - 1074) with an integer mantissa
// m < 2^53 and 0 <= e <= 2046 (subnormals have e = 0 after the usual shift). The accumulator is
// one long fixed-point integer N whose unit is 2^-1074, the smallest subnormal: any finite
// double is an integer multiple of it, so adding a double to N is an integer addition and loses
// nothing. N is stored as `kDigits` base-2^32 digits in 64-bit limbs; adding a double adds its
// mantissa, shifted into place, to three neighbouring limbs (each part < 2^32). Limbs are
// signed and carries are propagated lazily: a limb absorbs 2^30 additions before it could
// overflow, so normalize() runs every 2^30 additions and before combining or rounding. Six
// spare limbs (192 bits) above the largest double leave room for any count of summands.
//
// Integer addition is associative and commutative, so the state after adding a set of values
// does not depend on their order, on how they were split over threads, or on how the partial
// accumulators were merged, including over MPI (allreduce() sums the integer limbs with
// MPI_SUM). round() then converts N to the nearest double (ties to even) once. The result is
// therefore the correctly rounded exact sum, bitwise identical for any rank and thread count.
//
// Infinities and NaNs are counted separately: the result is NaN if any NaN was added or both
// infinities were, otherwise the infinity that was added; an exact sum beyond the double range
// rounds to +-inf.
//
// Cost: a few integer operations per value and 72 limbs (576 bytes) of state. Long reductions
// use it at coarse grain: sum fixed, decomposition-independent chunks with plain floating point
// and add the chunk sums exactly (see tessera/core/reduce.hpp).
#pragma once

#include <mpi.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/core/mpi.hpp"

namespace tessera {

class ExactSum {
public:
    /// Base-2^32 digits: 2098 bits of double range plus 64 bits of carry headroom, rounded up.
    static constexpr int kDigits = 72;

    /// Local: adds one double exactly.
    void add(double x) noexcept {
        const auto bits = std::bit_cast<std::uint64_t>(x);
        const auto biased = static_cast<unsigned>((bits >> 52) & 0x7ffu);
        std::uint64_t mant = bits & ((std::uint64_t{1} << 52) - 1);
        if (biased == 0x7ffu) [[unlikely]] {
            add_special(x);
            return;
        }
        if (mant == 0 && biased == 0) return;  // +-0
        unsigned pos = 0;                      // bit position of mant's unit, in units of 2^-1074
        if (biased != 0) {
            mant |= std::uint64_t{1} << 52;
            pos = biased - 1;
        }
        const unsigned k = pos >> 5;
        const unsigned s = pos & 31u;
        // mant << s spans up to 85 bits: split it into three base-2^32 digits.
        const std::uint64_t lo = mant << s;  // bits 0..63 of the shifted mantissa
        const std::uint64_t hi = s == 0 ? 0 : mant >> (64 - s);
        const auto d0 = static_cast<std::int64_t>(lo & 0xffffffffu);
        const auto d1 = static_cast<std::int64_t>(lo >> 32);
        const auto d2 = static_cast<std::int64_t>(hi);
        if (bits >> 63) {
            limb_[k] -= d0;
            limb_[k + 1] -= d1;
            limb_[k + 2] -= d2;
        } else {
            limb_[k] += d0;
            limb_[k + 1] += d1;
            limb_[k + 2] += d2;
        }
        if (++pending_ >= kMaxPending) [[unlikely]] normalize();
    }

    /// Local: adds another accumulator exactly.
    void add(const ExactSum& other) noexcept {
        ExactSum o = other;
        o.normalize();
        normalize();
        for (int i = 0; i < kDigits; ++i) limb_[i] += o.limb_[i];
        nan_ += o.nan_;
        pos_inf_ += o.pos_inf_;
        neg_inf_ += o.neg_inf_;
        pending_ = 1;  // every limb may now hold up to twice a normalized digit
    }

    ExactSum& operator+=(double x) noexcept {
        add(x);
        return *this;
    }
    ExactSum& operator+=(const ExactSum& o) noexcept {
        add(o);
        return *this;
    }

    /// Collective over `comm`: replaces this accumulator on every rank by the exact sum of all
    /// ranks' accumulators (an integer MPI_SUM of the limbs, so the result is independent of
    /// the reduction order).
    void allreduce(const mpi::Comm& comm) { allreduce(comm, std::span<ExactSum>(this, 1)); }

    /// Collective over `comm`: allreduce() of several accumulators in one message.
    static void allreduce(const mpi::Comm& comm, std::span<ExactSum> sums) {
        std::vector<std::int64_t> buf;
        pack(sums, buf);
        mpi::allreduce(comm, std::span<std::int64_t>(buf), MPI_SUM);
        unpack(buf, sums);
    }

    /// Local: the exact sum rounded to the nearest double (ties to even).
    double round() const noexcept {
        if (nan_ > 0 || (pos_inf_ > 0 && neg_inf_ > 0)) return std::numeric_limits<double>::quiet_NaN();
        if (pos_inf_ > 0) return std::numeric_limits<double>::infinity();
        if (neg_inf_ > 0) return -std::numeric_limits<double>::infinity();
        ExactSum t = *this;
        t.normalize();
        bool negative = false;
        if (t.limb_[kDigits - 1] < 0) {  // two's complement: take the magnitude
            negative = true;
            for (auto& l : t.limb_) l = -l;
            t.normalize();
        }
        int top = kDigits - 1;
        while (top >= 0 && t.limb_[top] == 0) --top;
        if (top < 0) return 0.0;
        // The top three digits hold at least 65 significant bits; anything below is sticky.
        const int base = top >= 2 ? top - 2 : 0;
        Uint128 head = 0;
        for (int i = top; i >= base; --i)
            head = (head << 32) | static_cast<std::uint64_t>(t.limb_[i]);
        bool sticky = false;
        for (int i = 0; i < base; ++i) sticky = sticky || t.limb_[i] != 0;
        const int bits = 128 - count_leading_zeros(head);
        int shift = bits > 53 ? bits - 53 : 0;
        auto mant = static_cast<std::uint64_t>(head >> shift);
        if (shift > 0) {
            const Uint128 rem = head & ((static_cast<Uint128>(1) << shift) - 1);
            const Uint128 half = static_cast<Uint128>(1) << (shift - 1);
            if (rem > half || (rem == half && (sticky || (mant & 1u)))) ++mant;
        }
        // mant <= 2^53 converts exactly; the scaling is exact unless it overflows to inf
        // (results in the subnormal range have shift == 0: they are representable exactly).
        const double r = std::ldexp(static_cast<double>(mant), shift + 32 * base - 1074);
        return negative ? -r : r;
    }

    /// Local: propagates carries so that every limb but the top one lies in [0, 2^32).
    void normalize() noexcept {
        for (int i = 0; i < kDigits - 1; ++i) {
            const std::int64_t carry = limb_[i] >> 32;  // arithmetic shift: floor division
            limb_[i] -= carry * (std::int64_t{1} << 32);
            limb_[i + 1] += carry;
        }
        pending_ = 0;
    }

private:
    friend class ExactSumReduction;
    __extension__ typedef unsigned __int128 Uint128;
    static constexpr std::int64_t kMaxPending = std::int64_t{1} << 30;

    static int count_leading_zeros(Uint128 v) noexcept {
        const auto hi = static_cast<std::uint64_t>(v >> 64);
        return hi != 0 ? std::countl_zero(hi) : 64 + std::countl_zero(static_cast<std::uint64_t>(v));
    }
    void pack(std::int64_t* buf) noexcept {
        normalize();
        for (int i = 0; i < kDigits; ++i) buf[i] = limb_[i];
        buf[kDigits] = nan_;
        buf[kDigits + 1] = pos_inf_;
        buf[kDigits + 2] = neg_inf_;
    }
    void unpack(const std::int64_t* buf) noexcept {
        for (int i = 0; i < kDigits; ++i) limb_[i] = buf[i];
        nan_ = buf[kDigits];
        pos_inf_ = buf[kDigits + 1];
        neg_inf_ = buf[kDigits + 2];
        pending_ = 1;  // limbs now hold sums of normalized digits over the ranks
    }
    // The message of a reduction of several accumulators: each one's limbs and special
    // counts, kStride integers apiece, in order.
    static constexpr std::size_t kStride = kDigits + 3;
    static void pack(std::span<ExactSum> sums, std::vector<std::int64_t>& buf) {
        buf.resize(kStride * sums.size());
        for (std::size_t s = 0; s < sums.size(); ++s) sums[s].pack(buf.data() + s * kStride);
    }
    static void unpack(const std::vector<std::int64_t>& buf, std::span<ExactSum> sums) noexcept {
        for (std::size_t s = 0; s < sums.size(); ++s) sums[s].unpack(buf.data() + s * kStride);
    }
    void add_special(double x) noexcept {
        if (std::isnan(x)) ++nan_;
        else if (x > 0) ++pos_inf_;
        else ++neg_inf_;
    }

    std::array<std::int64_t, kDigits> limb_{};
    std::int64_t pending_ = 0;
    std::int64_t nan_ = 0, pos_inf_ = 0, neg_inf_ = 0;
};

/// A split-phase ExactSum::allreduce() of several accumulators, so that local work can run
/// while the message travels: start() packs the sums into a buffer this object owns and
/// starts an integer MPI_SUM (MPI_Iallreduce), finish() waits and unpacks the global sums
/// into the accumulators given to start(). The packing and the integer sums are those of the
/// blocking allreduce(), so the result is the same bits. Not copyable or movable (a pending
/// MPI operation writes into the buffer); the destructor of an unfinished reduction waits for
/// it (never throws) and leaves the accumulators as they were. Reusable: start() again after
/// finish() reuses the buffer.
class ExactSumReduction {
public:
    ExactSumReduction() = default;
    ExactSumReduction(const ExactSumReduction&) = delete;
    ExactSumReduction& operator=(const ExactSumReduction&) = delete;

    /// Collective over `comm` (non-blocking): every rank starts it, in the same order relative
    /// to the other collectives on `comm`. `sums` must stay alive until finish(); they may be
    /// read or changed meanwhile (finish() overwrites them). Not while active().
    void start(const mpi::Comm& comm, std::span<ExactSum> sums) {
        TESSERA_CHECK(!req_.active(), "ExactSumReduction: start() while a reduction is pending");
        ExactSum::pack(sums, buf_);
        sums_ = sums;
        req_ = mpi::iallreduce(comm, std::span<std::int64_t>(buf_), MPI_SUM);
    }
    /// Local: waits for the reduction and replaces each accumulator given to start() by the
    /// exact sum over the ranks. Nothing to do when no reduction is pending.
    void finish() {
        if (!req_.active()) return;
        {
            const ScopedTimer wait("allreduce.wait", TimerScope::nested);
            req_.wait();
        }
        ExactSum::unpack(buf_, sums_);
        sums_ = {};
    }
    bool active() const noexcept { return req_.active(); }

private:
    std::vector<std::int64_t> buf_;
    std::span<ExactSum> sums_;
    mpi::Request req_;  // declared last: destroyed (waited for) before buf_ is freed
};

}  // namespace tessera
