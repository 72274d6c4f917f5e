// run_stream: rounds of read (root) -> deal out -> work (every rank) -> collect -> write in
// order (root). One round is in flight at a time, so memory and latency stay bounded.
#include "tessera/tasks/stream.hpp"

#include <algorithm>
#include <cmath>

#include "tessera/core/error.hpp"

namespace tessera::tasks {

namespace {

constexpr int tag_item = 7311;
constexpr int tag_output = 7312;

int message_count(std::size_t bytes, gindex_t index) {
    TESSERA_CHECK(bytes <= static_cast<std::size_t>(std::numeric_limits<int>::max()),
                  "run_stream: item " << index << " (" << bytes << " bytes) exceeds one MPI message");
    return static_cast<int>(bytes);
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size()))) - 1;
    return values[std::min(k, values.size() - 1)];
}

}  // namespace

StreamReport run_stream(
    const mpi::Comm& user_comm,
    const std::function<bool(gindex_t, std::vector<std::byte>&)>& source,
    const std::function<void(gindex_t, const std::vector<std::byte>&, std::vector<std::byte>&)>& work,
    const std::function<void(gindex_t, const std::vector<std::byte>&)>& sink,
    const StreamOptions& options) {
    const double start = MPI_Wtime();
    mpi::Comm comm = user_comm.duplicate();
    TESSERA_CHECK_ALL(comm, options.root >= 0 && options.root < comm.size(),
                      "run_stream: root = " << options.root << " is not a rank of the " << comm.size()
                                            << "-rank communicator");
    TESSERA_CHECK_ALL(comm, options.per_rank >= 1,
                      "run_stream: per_rank = " << options.per_rank << " must be at least 1");
    const int ranks = comm.size(), me = comm.rank();
    const bool root = me == options.root;
    const auto round_size = static_cast<std::size_t>(ranks) * static_cast<std::size_t>(options.per_rank);

    // Buffers reused from round to round.
    std::vector<std::vector<std::byte>> items(round_size), outputs(round_size);
    std::vector<double> read_at(round_size);
    std::vector<std::int64_t> sizes(round_size + 2);  // [count, source failed, item sizes...]
    std::vector<double> latencies;
    StreamReport report;
    gindex_t next_index = 0;

    for (;;) {
        // 1. The root reads a round.
        std::string source_error;
        std::size_t count = 0;
        if (root) {
            try {
                while (count < round_size && source(next_index + static_cast<gindex_t>(count), items[count])) {
                    read_at[count] = MPI_Wtime();
                    ++count;
                }
            } catch (const std::exception& e) {
                source_error = e.what();
            }
            sizes[0] = static_cast<std::int64_t>(count);
            sizes[1] = source_error.empty() ? 0 : 1;
            for (std::size_t k = 0; k < count; ++k) sizes[k + 2] = static_cast<std::int64_t>(items[k].size());
        }
        mpi::bcast(comm, std::span<std::int64_t>(sizes), options.root);
        count = static_cast<std::size_t>(sizes[0]);
        const bool source_failed = sizes[1] != 0;

        // 2. Item k of the round goes to rank k % ranks.
        std::vector<mpi::Request> requests;
        for (std::size_t k = 0; k < count; ++k) {
            const int owner = static_cast<int>(k % static_cast<std::size_t>(ranks));
            const auto index = next_index + static_cast<gindex_t>(k);
            if (root && owner != me) {
                requests.emplace_back();
                TESSERA_MPI_CALL(MPI_Isend(items[k].data(), message_count(items[k].size(), index), MPI_BYTE,
                                           owner, tag_item, comm.get(), requests.back().raw()));
            } else if (!root && owner == me) {
                items[k].resize(static_cast<std::size_t>(sizes[k + 2]));
                requests.emplace_back();
                TESSERA_MPI_CALL(MPI_Irecv(items[k].data(), message_count(items[k].size(), index), MPI_BYTE,
                                           options.root, tag_item, comm.get(), requests.back().raw()));
            }
        }
        mpi::wait_all(requests);
        requests.clear();

        // 3. Every rank works on its items; the first failure stops its later items.
        std::string work_error;
        std::size_t first_failed = count;
        for (std::size_t k = static_cast<std::size_t>(me); k < count && work_error.empty();
             k += static_cast<std::size_t>(ranks)) {
            try {
                work(next_index + static_cast<gindex_t>(k), items[k], outputs[k]);
            } catch (const std::exception& e) {
                work_error = e.what();
                first_failed = k;
            }
        }

        // 4. Agree on the first failed item of the round, then collect the outputs before it.
        const auto failed_at = static_cast<std::size_t>(
            mpi::allreduce(comm, static_cast<std::int64_t>(first_failed), MPI_MIN));
        const int work_failed_rank = failed_at < count ? static_cast<int>(failed_at % static_cast<std::size_t>(ranks)) : -1;
        std::vector<std::int64_t> out_sizes(count, 0);
        for (std::size_t k = static_cast<std::size_t>(me); k < failed_at; k += static_cast<std::size_t>(ranks))
            out_sizes[k] = static_cast<std::int64_t>(outputs[k].size());
        mpi::allreduce(comm, std::span<std::int64_t>(out_sizes), MPI_MAX);
        for (std::size_t k = 0; k < failed_at; ++k) {
            const int owner = static_cast<int>(k % static_cast<std::size_t>(ranks));
            const auto index = next_index + static_cast<gindex_t>(k);
            if (owner == options.root) continue;
            if (owner == me) {
                requests.emplace_back();
                TESSERA_MPI_CALL(MPI_Isend(outputs[k].data(), message_count(outputs[k].size(), index), MPI_BYTE,
                                           options.root, tag_output, comm.get(), requests.back().raw()));
            } else if (root) {
                outputs[k].resize(static_cast<std::size_t>(out_sizes[k]));
                requests.emplace_back();
                TESSERA_MPI_CALL(MPI_Irecv(outputs[k].data(), message_count(outputs[k].size(), index), MPI_BYTE,
                                           owner, tag_output, comm.get(), requests.back().raw()));
            }
        }
        mpi::wait_all(requests);

        // 5. The root writes the round in order.
        std::string sink_error;
        if (root) {
            try {
                for (std::size_t k = 0; k < failed_at; ++k) {
                    sink(next_index + static_cast<gindex_t>(k), outputs[k]);
                    latencies.push_back(MPI_Wtime() - read_at[k]);
                    ++report.items;
                }
            } catch (const std::exception& e) {
                sink_error = e.what();
            }
        }
        next_index += static_cast<gindex_t>(count);

        // 6. How the round ended, agreed by all: a work failure (exit 1), a source or sink
        //    failure on the root (exit 2), the end of the stream, or another round.
        std::int64_t outcome[2] = {0, 0};  // 1 work, 2 source or sink; items written so far
        if (root) {
            outcome[0] = !sink_error.empty() || (source_failed && work_failed_rank < 0) ? 2 : 0;
            outcome[1] = report.items;
        }
        mpi::bcast(comm, std::span<std::int64_t>(outcome, 2), options.root);
        report.items = outcome[1];
        if (work_failed_rank >= 0) {
            const std::string message = mpi::bcast(comm, work_error, work_failed_rank);
            throw CollectiveError(message, work_failed_rank, 1);
        }
        if (outcome[0] == 2) {
            const std::string message = mpi::bcast(comm, sink_error.empty() ? source_error : sink_error,
                                                   options.root);
            throw CollectiveError(message, options.root, 2);
        }
        if (count < round_size) break;  // the source is exhausted
    }

    report.seconds = MPI_Wtime() - start;
    double lat[3] = {percentile(latencies, 0.5), percentile(latencies, 0.99),
                     latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end())};
    mpi::bcast(comm, std::span<double>(lat, 3), options.root);
    report.latency_p50 = lat[0];
    report.latency_p99 = lat[1];
    report.latency_max = lat[2];
    report.seconds = mpi::bcast(comm, report.seconds, options.root);
    return report;
}

}  // namespace tessera::tasks
