// NPB EP: a vectorized kernel over 64 generator lanes, NPB's own scalar kernel as its oracle,
// and a run whose sums do not depend on the layout.
#include "tessera/montecarlo/ep.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::montecarlo {

namespace {

constexpr std::uint64_t lcg_a = 1220703125;    // 5^13
constexpr std::uint64_t lcg_seed = 271828183;
constexpr std::uint64_t mask46 = (std::uint64_t{1} << 46) - 1;
constexpr double r46 = 0x1p-46;

// a * b mod 2^46: the low 46 bits of a 64-bit product are exact, whatever overflows above.
constexpr std::uint64_t mulmod46(std::uint64_t a, std::uint64_t b) noexcept { return (a * b) & mask46; }

constexpr std::uint64_t powmod46(std::uint64_t a, std::uint64_t e) noexcept {
    std::uint64_t r = 1;
    for (; e; e >>= 1, a = mulmod46(a, a))
        if (e & 1) r = mulmod46(r, a);
    return r;
}

// Natural log of a positive normal double, written so that it vectorizes (no calls, no
// branches): x = 2^e m with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(f), f = (m-1)/(m+1),
// by its series in s = f^2 <= 0.0295 to 12 terms (truncation below 1e-19). Within 2 ulp.
inline double log_positive(double x) noexcept {
    const auto bits = std::bit_cast<std::uint64_t>(x);
    auto e = static_cast<std::int64_t>(bits >> 52) - 1023;
    double m = std::bit_cast<double>((bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
    const bool upper = m > 1.4142135623730951;
    m *= upper ? 0.5 : 1.0;
    e += upper;
    const double f = (m - 1.0) / (m + 1.0);
    const double s = f * f;
    double p = 1.0 / 25;
    p = 1.0 / 23 + s * p;
    p = 1.0 / 21 + s * p;
    p = 1.0 / 19 + s * p;
    p = 1.0 / 17 + s * p;
    p = 1.0 / 15 + s * p;
    p = 1.0 / 13 + s * p;
    p = 1.0 / 11 + s * p;
    p = 1.0 / 9 + s * p;
    p = 1.0 / 7 + s * p;
    p = 1.0 / 5 + s * p;
    p = 1.0 / 3 + s * p;
    constexpr double ln2_hi = 6.93147180369123816490e-01;  // 32 significant bits: e * ln2_hi exact
    constexpr double ln2_lo = 1.90821492927058770002e-10;
    const auto de = static_cast<double>(e);
    return de * ln2_hi + (de * ln2_lo + (2.0 * f + 2.0 * f * (s * p)));
}

// Generator lanes: lane p of chunk c produces pair c * lanes + p of the batch.
constexpr int lanes = 64;

struct LaneTables {
    std::uint64_t even[lanes];  // a^(2p + 1): first uniform of pair p
    std::uint64_t odd[lanes];   // a^(2p + 2): second uniform of pair p
    std::uint64_t step;         // a^(2 lanes): from chunk c to chunk c + 1
    std::uint64_t batch;        // a^(2^(MK + 1)): from batch k to batch k + 1
};

const LaneTables& lane_tables() noexcept {
    static const LaneTables t = [] {
        LaneTables x{};
        for (int p = 0; p < lanes; ++p) {
            x.even[p] = powmod46(lcg_a, 2 * p + 1);
            x.odd[p] = powmod46(lcg_a, 2 * p + 2);
        }
        x.step = powmod46(lcg_a, 2 * lanes);
        x.batch = powmod46(lcg_a, std::uint64_t{2} * ep_batch_pairs);
        return x;
    }();
    return t;
}

// NPB's randlc: x = a x mod 2^46 in double arithmetic (23-bit halves), returns x 2^-46.
double randlc(double& x, double a) noexcept {
    constexpr double r23 = 0x1p-23, t23 = 0x1p23, t46 = 0x1p46;
    double t1 = r23 * a;
    const double a1 = static_cast<int>(t1), a2 = a - t23 * a1;
    t1 = r23 * x;
    const double x1 = static_cast<int>(t1), x2 = x - t23 * x1;
    t1 = a1 * x2 + a2 * x1;
    const double t2 = static_cast<int>(r23 * t1);
    const double z = t1 - t23 * t2;
    const double t3 = t23 * z + a2 * x2;
    const double t4 = static_cast<int>(r46 * t3);
    x = t3 - t46 * t4;
    return r46 * x;
}

}  // namespace

std::optional<EpClass> ep_class(char name) noexcept {
    switch (name) {
    case 'S':
        return EpClass{'S', 24, -3.247834652034740e3, -6.958407078382297e3,
                       std::array<std::int64_t, ep_annuli>{6140517, 5865300, 1100361, 68546, 1648,
                                                           17, 0, 0, 0, 0}};
    case 'W': return EpClass{'W', 25, -2.863319731645753e3, -6.320053679109499e3, std::nullopt};
    case 'A': return EpClass{'A', 28, -4.295875165629892e3, -1.580732573678431e4, std::nullopt};
    case 'B': return EpClass{'B', 30, 4.033815542441498e4, -2.660669192809235e4, std::nullopt};
    case 'C': return EpClass{'C', 32, 4.764367927995374e4, -8.084072988043731e4, std::nullopt};
    case 'D': return EpClass{'D', 36, 1.982481200946593e5, -1.020596636361769e5, std::nullopt};
    default: return std::nullopt;
    }
}

std::int64_t EpTally::accepted() const noexcept {
    std::int64_t n = 0;
    for (auto c : q) n += c;
    return n;
}

EpTally ep_batch(gindex_t k) noexcept {
    const LaneTables& t = lane_tables();
    const std::uint64_t start = mulmod46(lcg_seed, powmod46(t.batch, static_cast<std::uint64_t>(k)));
    alignas(64) std::uint64_t even[lanes], odd[lanes];
    alignas(64) double sx[lanes] = {}, sy[lanes] = {};
    alignas(64) int bin[lanes];
    for (int p = 0; p < lanes; ++p) {
        even[p] = mulmod46(start, t.even[p]);
        odd[p] = mulmod46(start, t.odd[p]);
    }
    // Per-lane annulus counts (a rejected pair gets bin ep_annuli and matches none); int32 is
    // ample for the 1024 chunks of a batch.
    alignas(64) std::int32_t lane_counts[ep_annuli][lanes] = {};
    const std::uint64_t step = t.step;
    for (gindex_t c = 0; c < ep_batch_pairs / lanes; ++c) {
#pragma omp simd aligned(even, odd, sx, sy, bin : 64)
        for (int p = 0; p < lanes; ++p) {
            const double x1 = 2.0 * (static_cast<double>(even[p]) * r46) - 1.0;
            const double x2 = 2.0 * (static_cast<double>(odd[p]) * r46) - 1.0;
            even[p] = mulmod46(even[p], step);
            odd[p] = mulmod46(odd[p], step);
            const double t1 = x1 * x1 + x2 * x2;
            const bool accept = (t1 <= 1.0) & (t1 > 0.0);  // no short circuit: no branch
            const double safe = accept ? t1 : 1.0;
            const double f = std::sqrt(-2.0 * log_positive(safe) / safe);
            const double gx = x1 * f, gy = x2 * f;
            sx[p] += accept ? gx : 0.0;
            sy[p] += accept ? gy : 0.0;
            const double ax = std::abs(gx), ay = std::abs(gy);
            const double far = ax > ay ? ax : ay;  // by value: std::max's reference is a branch
            bin[p] = static_cast<int>(accept ? far : double{ep_annuli});
        }
#pragma omp simd aligned(bin : 64)
        for (int p = 0; p < lanes; ++p)
            for (int b = 0; b < ep_annuli; ++b) lane_counts[b][p] += (bin[p] == b);
    }
    EpTally r;
    for (int p = 0; p < lanes; ++p) {
        r.sx += sx[p];
        r.sy += sy[p];
    }
    for (int b = 0; b < ep_annuli; ++b)
        for (int p = 0; p < lanes; ++p) r.q[static_cast<std::size_t>(b)] += lane_counts[b][p];
    return r;
}

EpTally ep_batch_ref(gindex_t k) noexcept {
    constexpr double a = 1220703125.0, s = 271828183.0;
    double an = a;
    for (int i = 0; i <= ep_batch_log2; ++i) randlc(an, an);  // a^(2^(MK+1))
    double t1 = s, t2 = an;
    for (gindex_t kk = k;;) {  // jump to the first seed of batch k
        const gindex_t ik = kk / 2;
        if (2 * ik != kk) randlc(t1, t2);
        if (ik == 0) break;
        randlc(t2, t2);
        kk = ik;
    }
    std::vector<double> x(2 * ep_batch_pairs);
    for (auto& xi : x) xi = randlc(t1, a);  // vranlc
    EpTally r;
    for (gindex_t i = 0; i < ep_batch_pairs; ++i) {
        const double x1 = 2.0 * x[2 * i] - 1.0, x2 = 2.0 * x[2 * i + 1] - 1.0;
        const double u = x1 * x1 + x2 * x2;
        if (u <= 1.0) {
            const double f = std::sqrt(-2.0 * std::log(u) / u);
            const double gx = x1 * f, gy = x2 * f;
            ++r.q[static_cast<std::size_t>(std::max(std::abs(gx), std::abs(gy)))];
            r.sx += gx;
            r.sy += gy;
        }
    }
    return r;
}

double EpResult::mops() const noexcept {
    return seconds > 0.0 ? std::ldexp(static_cast<double>(timed), ep_batch_log2 + 1) / seconds * 1e-6 : 0.0;
}

void continue_ep(const mpi::Comm& comm, EpResult& state, const Waves& waves, const ProgressCallback& progress) {
    const int m = state.m;
    TESSERA_CHECK(m >= ep_batch_log2 && m <= 36, "EP needs " << ep_batch_log2 << " <= m <= 36, got " << m);
    const gindex_t batches = state.batches();
    TESSERA_CHECK(state.done >= 0 && state.done <= batches,
                  "continue_ep: done = " << state.done << " batches, the run has " << batches);
    const gindex_t wave = waves.size > 0 ? waves.size : batches;
    lane_tables();  // set up outside the timed region
    comm.barrier();
    while (!state.complete()) {
        const double t0 = MPI_Wtime();
        const gindex_t first = state.done, last = std::min(batches, first + wave);
        const auto [lo, hi] = detail::owned_range(first, last, comm.rank(), comm.size());
        std::vector<double> sums(static_cast<std::size_t>(2 * (hi - lo)));
        std::array<std::int64_t, ep_annuli> q{};
        {
            ScopedTimer timer("mc.ep.kernel");
            std::atomic<gindex_t> count{0};
#pragma omp parallel
            {
                std::array<std::int64_t, ep_annuli> mine{};
#pragma omp for schedule(dynamic, 1)
                for (gindex_t k = lo; k < hi; ++k) {
                    const EpTally b = ep_batch(k);
                    sums[static_cast<std::size_t>(2 * (k - lo))] = b.sx;
                    sums[static_cast<std::size_t>(2 * (k - lo) + 1)] = b.sy;
                    for (int i = 0; i < ep_annuli; ++i) mine[i] += b.q[i];
                    const gindex_t d = count.fetch_add(1, std::memory_order_relaxed) + 1;
                    if (progress && omp_get_thread_num() == 0) progress(first + d * comm.size());
                }
#pragma omp critical(tessera_ep_counts)
                for (int i = 0; i < ep_annuli; ++i) q[i] += mine[i];  // integers: any order is exact
            }
        }
        {
            ScopedTimer timer("mc.ep.reduce");
            // Batch sums travel to every rank and are added in batch order, continuing the
            // sums so far: the same bits for any layout and any cut into waves.
            std::vector<int> counts(static_cast<std::size_t>(comm.size())), displs(counts.size());
            for (int r = 0; r < comm.size(); ++r) {
                const auto [rlo, rhi] = detail::owned_range(first, last, r, comm.size());
                counts[static_cast<std::size_t>(r)] = static_cast<int>(2 * (rhi - rlo));
                displs[static_cast<std::size_t>(r)] = static_cast<int>(2 * (rlo - first));
            }
            std::vector<double> all(static_cast<std::size_t>(2 * (last - first)));
            TESSERA_MPI_CALL(MPI_Allgatherv(sums.data(), static_cast<int>(sums.size()), MPI_DOUBLE, all.data(),
                                            counts.data(), displs.data(), MPI_DOUBLE, comm.get()));
            for (gindex_t k = 0; k < last - first; ++k) {
                state.tally.sx += all[static_cast<std::size_t>(2 * k)];
                state.tally.sy += all[static_cast<std::size_t>(2 * k + 1)];
            }
            mpi::allreduce(comm, std::span<std::int64_t>(q), MPI_SUM);
            for (int i = 0; i < ep_annuli; ++i) state.tally.q[i] += q[i];
        }
        state.done = last;
        state.timed += last - first;
        state.seconds += mpi::allreduce(comm, MPI_Wtime() - t0, MPI_MAX);
        if (waves.after_wave && !waves.after_wave()) break;
    }
}

EpResult ep_run(const mpi::Comm& comm, int m, const ProgressCallback& progress) {
    EpResult result;
    result.m = m;
    continue_ep(comm, result, {}, progress);
    return result;
}

EpVerification ep_verify(const EpResult& result, const EpClass& cls) noexcept {
    EpVerification v;
    v.sx_rel_error = std::abs((result.tally.sx - cls.sx) / cls.sx);
    v.sy_rel_error = std::abs((result.tally.sy - cls.sy) / cls.sy);
    if (cls.counts) {
        v.counts_checked = true;
        v.counts_match = result.tally.q == *cls.counts;
    }
    v.passed = result.m == cls.m && v.sx_rel_error <= 1e-8 && v.sy_rel_error <= 1e-8 && v.counts_match;
    return v;
}

}  // namespace tessera::montecarlo
