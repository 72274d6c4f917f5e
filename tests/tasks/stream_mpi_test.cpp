// run_stream: items of unknown count come back in order, whatever the round size; a source that
// fails mid-stream or a failing item ends the stream on every rank after the items before it.
#include <gtest/gtest.h>

#include <tessera/core/error.hpp>
#include <tessera/tasks/stream.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;

namespace {

// Item i: (i % 13 + 1) bytes of value i % 256; its output: the bytes reversed, plus one byte.
bool read_item(gindex_t index, gindex_t count, std::vector<std::byte>& item) {
    if (index >= count) return false;
    item.assign(static_cast<std::size_t>(index % 13 + 1), static_cast<std::byte>(index % 256));
    return true;
}

void transform(gindex_t index, const std::vector<std::byte>& in, std::vector<std::byte>& out) {
    out.assign(in.rbegin(), in.rend());
    out.push_back(static_cast<std::byte>((index * 7) % 256));
}

bool output_matches(gindex_t index, const std::vector<std::byte>& out) {
    std::vector<std::byte> in, expected;
    read_item(index, index + 1, in);
    transform(index, in, expected);
    return out == expected;
}

}  // namespace

TEST(RunStream, ItemsComeBackInOrderForAnyRoundSize) {
    for (int per_rank : {1, 3}) {
        for (gindex_t count : {gindex_t{0}, gindex_t{1}, gindex_t{37}}) {
            std::vector<gindex_t> written;
            int bad = 0;
            tasks::StreamOptions options;
            options.per_rank = per_rank;
            const auto report = tasks::run_stream(
                world(), [&](gindex_t i, std::vector<std::byte>& item) { return read_item(i, count, item); },
                transform,
                [&](gindex_t i, const std::vector<std::byte>& out) {
                    written.push_back(i);
                    bad += !output_matches(i, out);
                },
                options);
            EXPECT_EQ(report.items, count);
            EXPECT_EQ(bad, 0);
            if (world().rank() == 0) {
                ASSERT_EQ(written.size(), static_cast<std::size_t>(count));
                for (gindex_t i = 0; i < count; ++i) EXPECT_EQ(written[static_cast<std::size_t>(i)], i);
                EXPECT_LE(report.latency_p50, report.latency_p99);
                EXPECT_LE(report.latency_p99, report.latency_max);
            } else {
                EXPECT_TRUE(written.empty());
            }
        }
    }
}

TEST(RunStream, SourceFailureEndsTheStreamAfterTheItemsBeforeIt) {
    std::vector<gindex_t> written;
    try {
        tasks::run_stream(
            world(),
            [&](gindex_t i, std::vector<std::byte>& item) {
                if (i == 20) throw std::runtime_error("standard input ends inside frame 20");
                return read_item(i, 100, item);
            },
            transform, [&](gindex_t i, const std::vector<std::byte>&) { written.push_back(i); });
        ADD_FAILURE() << "no error";
    } catch (const CollectiveError& e) {
        EXPECT_EQ(std::string(e.what()), "standard input ends inside frame 20");
        EXPECT_EQ(e.exit_code(), 2);
    }
    if (world().rank() == 0) {
        EXPECT_EQ(written.size(), 20u);
    }
}

TEST(RunStream, WorkFailureOnAnyRankEndsTheStreamEverywhere) {
    std::vector<gindex_t> written;
    try {
        tasks::run_stream(
            world(), [&](gindex_t i, std::vector<std::byte>& item) { return read_item(i, 100, item); },
            [&](gindex_t i, const std::vector<std::byte>& in, std::vector<std::byte>& out) {
                if (i == 11) throw std::runtime_error("item 11 is bad");
                transform(i, in, out);
            },
            [&](gindex_t i, const std::vector<std::byte>&) { written.push_back(i); });
        ADD_FAILURE() << "no error";
    } catch (const CollectiveError& e) {
        EXPECT_EQ(std::string(e.what()), "item 11 is bad");
        EXPECT_EQ(e.failing_rank(), 11 % world().size());
        EXPECT_EQ(e.exit_code(), 1);
    }
    if (world().rank() == 0) {
        ASSERT_EQ(written.size(), 11u);
        for (gindex_t i = 0; i < 11; ++i) EXPECT_EQ(written[static_cast<std::size_t>(i)], i);
    }
}
