// Block plans and the gather of block results in block order.
#include "tessera/montecarlo/blocks.hpp"

#include <limits>

namespace tessera::montecarlo {

BlockPlan::BlockPlan(gindex_t samples, gindex_t block_size)
    : samples_(samples), block_size_(block_size) {
    TESSERA_CHECK(samples > 0, "the number of samples must be positive, got " << samples);
    TESSERA_CHECK(block_size > 0, "the block size must be positive, got " << block_size);
}

BlockPlan BlockPlan::for_samples(gindex_t samples) {
    constexpr gindex_t max_blocks = gindex_t{1} << 20;
    gindex_t block = 4096;
    while (samples / block >= max_blocks) block *= 2;
    return BlockPlan(samples, block);
}

namespace detail {

std::vector<Moments> allgather_blocks(const mpi::Comm& comm, gindex_t first, gindex_t last, int nq,
                                      std::span<const Moments> local) {
    constexpr int per = sizeof(Moments) / sizeof(double);
    const gindex_t total = (last - first) * nq * per;
    TESSERA_CHECK(total <= std::numeric_limits<int>::max(),
                  "too many blocks to gather: " << last - first << " x " << nq);
    std::vector<int> counts(static_cast<std::size_t>(comm.size()));
    std::vector<int> displs(counts.size());
    for (int r = 0; r < comm.size(); ++r) {
        const auto [lo, hi] = owned_range(first, last, r, comm.size());
        counts[static_cast<std::size_t>(r)] = static_cast<int>((hi - lo) * nq * per);
        displs[static_cast<std::size_t>(r)] = static_cast<int>((lo - first) * nq * per);
    }
    TESSERA_CHECK(static_cast<int>(local.size()) * per == counts[static_cast<std::size_t>(comm.rank())],
                  "allgather_blocks: " << local.size() << " local results, plan says "
                                       << counts[static_cast<std::size_t>(comm.rank())] / per);
    std::vector<Moments> all(static_cast<std::size_t>((last - first) * nq));
    TESSERA_MPI_CALL(MPI_Allgatherv(local.data(), counts[static_cast<std::size_t>(comm.rank())],
                                    MPI_DOUBLE, all.data(), counts.data(), displs.data(),
                                    MPI_DOUBLE, comm.get()));
    return all;
}

}  // namespace detail
}  // namespace tessera::montecarlo
