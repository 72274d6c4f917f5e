// Index types used across tessera: local (in-rank) and global (whole-domain) indices.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tessera {

/// Index of an element within one rank's storage (signed: ghost cells have negative indices).
using index_t = std::ptrdiff_t;
/// Index or size over a whole distributed domain: always 64-bit, whatever the platform.
using gindex_t = std::int64_t;

static_assert(sizeof(index_t) == 8, "tessera assumes a 64-bit platform");

}  // namespace tessera
