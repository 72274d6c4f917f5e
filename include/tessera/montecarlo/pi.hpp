// Quarter-disc estimate of pi: sample s draws (x, y) uniform in [0, 1)^2 from stream (seed, s)
// and scores 4 when x^2 + y^2 < 1.
#pragma once

#include <cstdint>

#include "tessera/core/mpi.hpp"
#include "tessera/montecarlo/blocks.hpp"

namespace tessera::montecarlo {

/// Local: the moments of the scores of samples [first, last) (one quantity), built from the
/// integer count of hits, so they are exact up to the last division.
Moments pi_block(std::uint64_t seed, gindex_t first, gindex_t last) noexcept;

/// Local: the state of a fresh run of `samples` samples (no block run yet), for continue_pi().
/// Throws tessera::Error when samples <= 0.
BlockResults pi_start(gindex_t samples);

/// Collective over `comm`: continues `results` (from pi_start() or a checkpoint) wave by wave
/// (see continue_blocks()): the same bits however the run is cut, on any layout.
void continue_pi(const mpi::Comm& comm, std::uint64_t seed, BlockResults& results, const Waves& waves = {},
                 const ProgressCallback& progress = {});

/// Collective over `comm`: the estimate of pi from `samples` samples (quantity 0), with the
/// same bits on any layout. Throws tessera::Error when samples <= 0.
BlockResults estimate_pi(const mpi::Comm& comm, gindex_t samples, std::uint64_t seed,
                         const ProgressCallback& progress = {});

}  // namespace tessera::montecarlo
