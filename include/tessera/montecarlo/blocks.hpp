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
struct BlockResults {
    BlockPlan plan;
    int nq = 1;
    std::vector<Moments> blocks;

    /// Local: the estimate of quantity `q` over all samples.
    Estimate estimate(int q) const { return Estimate::from_moments(merge_blocks(blocks, nq, q, plan.blocks())); }
    /// Local: the convergence table of quantity `q` (see convergence_table()).
    std::vector<ConvergenceRow> convergence(int q, int rows = 5) const {
        return convergence_table(blocks, nq, q, rows);
    }
};

namespace detail {
/// Collective over `comm`: every rank's owned block results, concatenated in block order.
std::vector<Moments> allgather_blocks(const mpi::Comm& comm, const BlockPlan& plan, int nq,
                                      std::span<const Moments> local);
}  // namespace detail

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
    const auto [lo, hi] = plan.owned(comm.rank(), comm.size());
    std::vector<Moments> local(static_cast<std::size_t>((hi - lo) * nq));
    std::atomic<gindex_t> done{0};
    ThreadExceptionTrap trap;
#pragma omp parallel for schedule(dynamic, 1)
    for (gindex_t b = lo; b < hi; ++b) {
        if (trap.failed()) continue;
        trap.run([&] {
            std::span<Moments> out(local.data() + (b - lo) * nq, static_cast<std::size_t>(nq));
            kernel(plan.begin(b), plan.end(b), out);
        });
        const gindex_t d = done.fetch_add(1, std::memory_order_relaxed) + 1;
        if (progress && omp_get_thread_num() == 0) progress(d * comm.size());
    }
    std::string failure;
    try {
        trap.rethrow();
    } catch (const std::exception& e) {
        failure = e.what();
    }
    tessera::detail::check_all(comm, failure.empty(), failure, /*exit_code=*/1);
    return {plan, nq, detail::allgather_blocks(comm, plan, nq, local)};
}

}  // namespace tessera::montecarlo
