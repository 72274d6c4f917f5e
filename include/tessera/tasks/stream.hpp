// A stream of items of unknown count (frames on standard input, a decoded video): read on one
// rank, processed on all, written in order on the same rank, with a bounded number in flight.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "tessera/core/mpi.hpp"
#include "tessera/core/types.hpp"

namespace tessera::tasks {

struct StreamOptions {
    int root = 0;      ///< rank that reads and writes the items
    int per_rank = 2;  ///< items per rank per round: ranks x per_rank items are in flight at most
};

struct StreamReport {
    gindex_t items = 0;      ///< items read, processed and written
    double seconds = 0;      ///< wall time of run_stream
    /// Per item, root: from the moment it was read to the moment it was written.
    double latency_p50 = 0, latency_p99 = 0, latency_max = 0;
    double items_per_second() const noexcept { return seconds > 0 ? items / seconds : 0; }
};

/// Collective over `comm`. Rounds of up to ranks x per_rank items: the root calls
/// source(index, bytes) until it returns false (end of the stream) or the round is full,
/// scatters the items (item k of a round to rank k % ranks), every rank calls
/// work(index, input, output) on each of its items (threads inside the item), the outputs
/// come back to the root and sink(index, output) is called there in index order.
///
/// The round's items are dealt out statically: the stream's items are expected to cost about
/// the same (frames of one size). An exception from source or sink (root) or from work (any
/// rank) ends the stream after the items before it were written: every rank then throws
/// CollectiveError with the lowest failing rank's message (exit code 2 for source and sink,
/// which read and write the user's data, 1 for work).
StreamReport run_stream(
    const mpi::Comm& comm,
    const std::function<bool(gindex_t index, std::vector<std::byte>& item)>& source,
    const std::function<void(gindex_t index, const std::vector<std::byte>& input,
                             std::vector<std::byte>& output)>& work,
    const std::function<void(gindex_t index, const std::vector<std::byte>& output)>& sink,
    const StreamOptions& options = {});

}  // namespace tessera::tasks
