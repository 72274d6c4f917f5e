// Index arithmetic of the 1D block-cyclic distribution (ScaLAPACK's), applied per matrix axis.
#pragma once

#include "tessera/core/types.hpp"

namespace tessera::linalg {

/// One axis of a block-cyclic layout: `n` global indices cut into blocks of `nb`, block b
/// owned by process `b % procs`. Every function is Local and constant time.
struct BlockCyclic {
    gindex_t n = 0;
    int nb = 1;
    int procs = 1;

    /// Process that owns global index g.
    int owner(gindex_t g) const noexcept { return static_cast<int>((g / nb) % procs); }
    /// Local index of global index g on its owner.
    index_t local(gindex_t g) const noexcept {
        return static_cast<index_t>((g / nb) / procs * nb + g % nb);
    }
    /// Global index of local index l on process p.
    gindex_t global(index_t l, int p) const noexcept {
        return (static_cast<gindex_t>(l / nb) * procs + p) * nb + l % nb;
    }
    /// Number of indices process p owns (ScaLAPACK's NUMROC).
    index_t count(int p) const noexcept {
        const gindex_t blocks = (n + nb - 1) / nb;
        const gindex_t full_rounds = blocks / procs;       // every process gets these blocks
        gindex_t c = full_rounds * nb;
        const gindex_t extra = blocks % procs;              // processes 0..extra-1 get one more
        if (p < extra) c += nb;
        // The globally last block may be short; correct its owner's count.
        if (blocks > 0 && owner((blocks - 1) * nb) == p) c -= blocks * nb - n;
        return static_cast<index_t>(c);
    }
    /// Number of blocks along the axis.
    gindex_t blocks() const noexcept { return (n + nb - 1) / nb; }
};

}  // namespace tessera::linalg
