// The NAS Parallel Benchmarks EP kernel: Gaussian pairs by the Marsaglia polar method from
// the NPB linear congruential generator (a = 5^13, x0 = 271828183, modulus 2^46), their sums
// and the counts of pairs in square annuli, verified against the published values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"
#include "tessera/montecarlo/blocks.hpp"
#include "tessera/montecarlo/estimators.hpp"

namespace tessera::montecarlo {

/// log2 of the pairs in one EP batch (NPB's MK): batch k starts the generator 2^(MK+1) k draws in.
inline constexpr int ep_batch_log2 = 16;
inline constexpr gindex_t ep_batch_pairs = gindex_t{1} << ep_batch_log2;
inline constexpr int ep_annuli = 10;

/// An NPB problem class: 2^m pairs and the published sums.
struct EpClass {
    char name = 'S';
    int m = 24;
    double sx = 0.0, sy = 0.0;  ///< published sums of the X and Y deviates
    std::optional<std::array<std::int64_t, ep_annuli>> counts;  ///< published where known (S)
};

/// Local: class S, W, A, B, C or D; std::nullopt for anything else.
std::optional<EpClass> ep_class(char name) noexcept;

/// Sums and counts of one batch or of a whole run.
struct EpTally {
    double sx = 0.0, sy = 0.0;
    std::array<std::int64_t, ep_annuli> q{};
    std::int64_t accepted() const noexcept;
};

/// Local: batch `k` (pairs [k 2^16, (k + 1) 2^16)) with the vectorized kernel: uniforms by
/// 64 interleaved generator lanes, acceptance, log and square root in SIMD, lane sums added
/// in lane order (so the result does not depend on who computes the batch).
EpTally ep_batch(gindex_t k) noexcept;
/// Local: batch `k` exactly as NPB's ep.f computes it (randlc/vranlc in double arithmetic,
/// one pair at a time). The oracle for ep_batch(): the same counts, sums equal to rounding.
EpTally ep_batch_ref(gindex_t k) noexcept;

/// Result of an EP run, and the state a run that stopped early resumes from: the batches
/// [0, done) are in `tally` (sums added in batch order).
struct EpResult {
    EpTally tally;
    int m = 0;
    gindex_t done = 0;     ///< batches in `tally`
    double seconds = 0.0;  ///< wall time of the kernel in this process, max over ranks
    gindex_t timed = 0;    ///< batches computed in `seconds` (fewer than `done` after a restart)
    gindex_t batches() const noexcept { return gindex_t{1} << (m - ep_batch_log2); }
    bool complete() const noexcept { return done == batches(); }
    /// NPB's rate: random numbers (2 per pair) of the timed batches per second, in millions.
    double mops() const noexcept;
};

/// Collective over `comm`: continues `state` (state.m set, and batches [0, state.done) from
/// a checkpoint or none) wave by wave: each wave's batches are split over ranks and threads,
/// their sums added to the tally in batch order, so sx and sy have the same bits on any
/// layout and however the run is cut. Stops when every batch has run or waves.after_wave()
/// returns false. Throws tessera::Error unless ep_batch_log2 <= m <= 36 and
/// 0 <= state.done <= 2^(m - ep_batch_log2).
void continue_ep(const mpi::Comm& comm, EpResult& state, const Waves& waves = {},
                 const ProgressCallback& progress = {});

/// Collective over `comm`: EP with 2^m pairs in one wave (see continue_ep()).
EpResult ep_run(const mpi::Comm& comm, int m, const ProgressCallback& progress = {});

/// Verification against a class: relative errors of the sums and whether counts match.
struct EpVerification {
    double sx_rel_error = 0.0, sy_rel_error = 0.0;
    bool counts_checked = false, counts_match = true;
    bool passed = false;  ///< both sums within 1e-8 (NPB's epsilon) and counts match if known
};
/// Local: checks `result` (2^cls.m pairs) against the published values of `cls`.
EpVerification ep_verify(const EpResult& result, const EpClass& cls) noexcept;

}  // namespace tessera::montecarlo
