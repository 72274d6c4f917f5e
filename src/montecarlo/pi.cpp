// The quarter-disc experiment.
#include "tessera/montecarlo/pi.hpp"

#include "tessera/montecarlo/rng.hpp"

namespace tessera::montecarlo {

Moments pi_block(std::uint64_t seed, gindex_t first, gindex_t last) noexcept {
    gindex_t hits = 0;
    for (gindex_t s = first; s < last; ++s) {
        CounterRng rng(seed, static_cast<std::uint64_t>(s));
        const double x = rng.uniform();
        const double y = rng.uniform();
        hits += (x * x + y * y < 1.0) ? 1 : 0;
    }
    // Scores are 4 (hit) or 0: mean 4h/n and squared deviations h (4 - mean)^2 + (n - h) mean^2.
    const auto n = static_cast<double>(last - first);
    const auto h = static_cast<double>(hits);
    Moments m;
    m.count = n;
    m.mean = 4.0 * h / n;
    m.m2 = h * (4.0 - m.mean) * (4.0 - m.mean) + (n - h) * m.mean * m.mean;
    return m;
}

BlockResults pi_start(gindex_t samples) { return {BlockPlan::for_samples(samples), 1, {}}; }

void continue_pi(const mpi::Comm& comm, std::uint64_t seed, BlockResults& results, const Waves& waves,
                 const ProgressCallback& progress) {
    continue_blocks(
        comm, results,
        [seed](gindex_t first, gindex_t last, std::span<Moments> out) { out[0] = pi_block(seed, first, last); },
        waves, progress);
}

BlockResults estimate_pi(const mpi::Comm& comm, gindex_t samples, std::uint64_t seed,
                         const ProgressCallback& progress) {
    auto results = pi_start(samples);
    continue_pi(comm, seed, results, {}, progress);
    return results;
}

}  // namespace tessera::montecarlo
