// Decomposition-independent reductions: samples are cut into fixed blocks, each block is
// summed sequentially by whoever owns it, and block results are merged in block order, so an
// estimate has the same bits for any number of ranks and threads (DESIGN.md section 6).
#pragma once

#include <omp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"
#include "tessera/montecarlo/estimators.hpp"

namespace tessera::montecarlo {

/// How `samples` samples are cut into blocks of `block_size` (the last one may be short).
/// Depends on the input only, never on the layout.
class BlockPlan {
public:
    /// Throws tessera::Error unless samples > 0 and block_size > 0.
    BlockPlan(gindex_t samples, gindex_t block_size);
    /// A plan with blocks of 4096 samples, grown (by powers of two) so that there are at most
    /// 2^20 blocks.
    static BlockPlan for_samples(gindex_t samples);

    gindex_t samples() const noexcept { return samples_; }
    gindex_t block_size() const noexcept { return block_size_; }
    // Rounded up without forming samples + block_size, which overflows near 2^63.
    gindex_t blocks() const noexcept { return samples_ / block_size_ + (samples_ % block_size_ != 0); }
    /// First sample of block b.
    gindex_t begin(gindex_t b) const noexcept { return b * block_size_; }
    /// One past the last sample of block b.
    gindex_t end(gindex_t b) const noexcept { return begin(b) + std::min(block_size_, samples_ - begin(b)); }
    /// Blocks [first, last) owned by `rank` of `size`: contiguous, balanced to one block.
    std::array<gindex_t, 2> owned(int rank, int size) const noexcept {
        const gindex_t nb = blocks();
        return {nb * rank / size, nb * (rank + 1) / size};
    }

private:
    gindex_t samples_;
    gindex_t block_size_;
};

/// Every block's moments of `nq` quantities, block-major (blocks[b * nq + q]), in block order.
/// A run that stopped early holds the blocks [0, done()) only (the state continue_blocks()
/// resumes from).
struct BlockResults {
    BlockPlan plan;
    int nq = 1;
    std::vector<Moments> blocks;

    /// Local: blocks run so far.
    gindex_t done() const noexcept { return static_cast<gindex_t>(blocks.size()) / nq; }
    /// Local: whether every block of the plan has run.
    bool complete() const noexcept { return done() == plan.blocks(); }

    /// Local: the estimate of quantity `q` over all samples.
    Estimate estimate(int q) const { return Estimate::from_moments(merge_blocks(blocks, nq, q, plan.blocks())); }
    /// Local: the convergence table of quantity `q` (see convergence_table()).
    std::vector<ConvergenceRow> convergence(int q, int rows = 5) const {
        return convergence_table(blocks, nq, q, rows);
    }
};

/// How a resumable run proceeds: `size` blocks (EP: batches) per wave, the same on every
/// layout; after each wave `after_wave()` says whether to go on, so a caller may checkpoint
/// the state between waves (e.g. a time-loop controller's step) and resume from it later, on
/// any layout. Where a run is cut never changes its bits.
struct Waves {
    gindex_t size = 0;                ///< units per wave; 0: the whole run in one wave
    /// Collective over the run's communicator; false stops the run after this wave. Empty:
    /// always go on.
    std::function<bool()> after_wave;
};

namespace detail {
/// Local: blocks [first, last) split over `size` ranks: contiguous, balanced to one block.
inline std::array<gindex_t, 2> owned_range(gindex_t first, gindex_t last, int rank, int size) noexcept {
    const gindex_t n = last - first;
    return {first + n * rank / size, first + n * (rank + 1) / size};
}
/// Collective over `comm`: every rank's results of its owned_range() of blocks [first,
/// last), concatenated in block order.
std::vector<Moments> allgather_blocks(const mpi::Comm& comm, gindex_t first, gindex_t last, int nq,
                                      std::span<const Moments> local);
}  // namespace detail

/// Collective over `comm`: continues `results` from block results.done() (0 for a fresh run;
/// results may come from a checkpoint written on any layout), wave by wave: each wave's blocks
/// are split over the ranks, run by `kernel` as in run_blocks() and appended in block order.
/// Stops when every block has run or when waves.after_wave() returns false. The final
/// results have the same bits however the run was cut and on whatever layouts it ran.
/// Throws tessera::Error when `results` holds a partial block row or more blocks than planned;
/// kernel failures as in run_blocks().
template <class Kernel>
void continue_blocks(const mpi::Comm& comm, BlockResults& results, Kernel&& kernel, const Waves& waves = {},
                     const ProgressCallback& progress = {}) {
    const BlockPlan& plan = results.plan;
    const int nq = results.nq;
    TESSERA_CHECK(nq > 0 && results.blocks.size() % static_cast<std::size_t>(nq) == 0 &&
                      results.done() <= plan.blocks(),
                  "continue_blocks: " << results.blocks.size() << " results do not fill whole blocks of "
                                      << nq << " quantities within the plan's " << plan.blocks());
    const gindex_t wave = waves.size > 0 ? waves.size : plan.blocks();
    while (!results.complete()) {
        const gindex_t first = results.done(), last = std::min(plan.blocks(), first + wave);
        const auto [lo, hi] = detail::owned_range(first, last, comm.rank(), comm.size());
        std::vector<Moments> local(static_cast<std::size_t>((hi - lo) * nq));
        std::atomic<gindex_t> count{0};
        ThreadExceptionTrap trap;
#pragma omp parallel for schedule(dynamic, 1)
        for (gindex_t b = lo; b < hi; ++b) {
            if (trap.failed()) continue;
            trap.run([&] {
                std::span<Moments> out(local.data() + (b - lo) * nq, static_cast<std::size_t>(nq));
                kernel(plan.begin(b), plan.end(b), out);
            });
            const gindex_t d = count.fetch_add(1, std::memory_order_relaxed) + 1;
            if (progress && omp_get_thread_num() == 0) progress(first + d * comm.size());
        }
        std::string failure;
        try {
            trap.rethrow();
        } catch (const std::exception& e) {
            failure = e.what();
        }
        tessera::detail::check_all(comm, failure.empty(), failure, /*exit_code=*/1);
        const auto all = detail::allgather_blocks(comm, first, last, nq, local);
        results.blocks.insert(results.blocks.end(), all.begin(), all.end());
        if (waves.after_wave && !waves.after_wave()) break;
    }
}

/// Collective over `comm`: runs `kernel(first, last, out)` once per block of `plan` on the rank
/// that owns it (OpenMP threads share a rank's blocks). The kernel adds the samples
/// [first, last) to `out` (std::span<Moments>, one per quantity, `nq` in all) in sample order;
/// it must draw sample s's random numbers from stream s alone. Returns every block's moments
/// on every rank. `progress` (optional) is called by the master thread. If the kernel throws
/// on any thread of any rank, every rank throws CollectiveError (exit code 1) with the message
/// of the lowest failing rank, so no rank is left waiting in the gather.
template <class Kernel>
BlockResults run_blocks(const mpi::Comm& comm, const BlockPlan& plan, int nq, Kernel&& kernel,
                        const ProgressCallback& progress = {}) {
    BlockResults results{plan, nq, {}};
    continue_blocks(comm, results, kernel, {}, progress);
    return results;
}

}  // namespace tessera::montecarlo
