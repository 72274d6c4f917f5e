// MPI wrappers and the collective error protocol.
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include <tessera/core/error.hpp>
#include <tessera/core/mpi.hpp>

#include "support/mpi_test.hpp"

using namespace tessera;
using tessera::testing::world;

TEST(Comm, DuplicateIsIndependentAndSized) {
    const auto& w = world();
    auto dup = w.duplicate();
    EXPECT_EQ(dup.size(), w.size());
    EXPECT_EQ(dup.rank(), w.rank());
    int cmp = 0;
    MPI_Comm_compare(dup.get(), w.get(), &cmp);
    EXPECT_EQ(cmp, MPI_CONGRUENT);
    mpi::Comm moved = std::move(dup);
    EXPECT_FALSE(dup.valid());
    EXPECT_TRUE(moved.valid());
}

TEST(Comm, SplitByParity) {
    const auto& w = world();
    auto half = w.split(w.rank() % 2, w.rank());
    EXPECT_EQ(half.size(), (w.size() + 1 - w.rank() % 2) / 2);
    EXPECT_EQ(half.rank(), w.rank() / 2);
}

TEST(Collectives, AllreduceBcastGather) {
    const auto& w = world();
    const int p = w.size(), r = w.rank();
    EXPECT_EQ(mpi::allreduce(w, r + 1, MPI_SUM), p * (p + 1) / 2);
    EXPECT_EQ(mpi::allreduce(w, static_cast<long long>(r), MPI_MAX), p - 1);
    std::vector<double> v{double(r), 1.0};
    mpi::allreduce(w, std::span(v), MPI_SUM);
    EXPECT_EQ(v[0], p * (p - 1) / 2.0);
    EXPECT_EQ(v[1], double(p));

    const std::string s = mpi::bcast(w, r == 0 ? std::string(1000, 'x') + "end" : "", 0);
    EXPECT_EQ(s.size(), 1003u);
    EXPECT_EQ(s.substr(1000), "end");

    const auto names = mpi::gather(w, "rank" + std::to_string(r), 0);
    // EXPECT, not ASSERT: a rank returning here would leave the others in allgather below.
    if (r == 0) {
        EXPECT_EQ(names.size(), static_cast<std::size_t>(p));
        for (std::size_t q = 0; q < names.size(); ++q) EXPECT_EQ(names[q], "rank" + std::to_string(q));
    } else {
        EXPECT_TRUE(names.empty());
    }
    const auto all = mpi::allgather(w, std::string(static_cast<std::size_t>(r), 'a'));
    EXPECT_EQ(all.size(), static_cast<std::size_t>(p));
    if (!all.empty()) EXPECT_EQ(all.back().size(), static_cast<std::size_t>(p - 1));
    EXPECT_EQ(mpi::allgather(w, r * 10), [&] {
        std::vector<int> e(p);
        for (int q = 0; q < p; ++q) e[q] = q * 10;
        return e;
    }());
}

TEST(PointToPoint, RingWithRequests) {
    const auto& w = world();
    const int p = w.size(), r = w.rank();
    std::vector<long> out(100), in(100, -1);
    std::iota(out.begin(), out.end(), 1000L * r);
    std::vector<mpi::Request> reqs;
    reqs.push_back(mpi::irecv(w, std::span(in), (r + p - 1) % p, 7));
    reqs.push_back(mpi::isend(w, std::span<const long>(out), (r + 1) % p, 7));
    mpi::wait_all(reqs);
    EXPECT_FALSE(reqs[0].active());
    EXPECT_EQ(in.front(), 1000L * ((r + p - 1) % p));
    EXPECT_EQ(in.back(), 1000L * ((r + p - 1) % p) + 99);
}

TEST(PointToPoint, PersistentRequestsReusedManyTimes) {
    const auto& w = world();
    const int p = w.size(), r = w.rank();
    std::vector<int> send(8), recv(8);
    mpi::PersistentRequests reqs;
    reqs.recv_init(w, std::span(recv), (r + p - 1) % p, 3);
    reqs.send_init(w, std::span<const int>(send), (r + 1) % p, 3);
    reqs.send_init(w, std::span<const int>(send), MPI_PROC_NULL, 4);  // a wall: no-op
    for (int step = 0; step < 50; ++step) {
        std::fill(send.begin(), send.end(), 100 * step + r);
        reqs.start();
        EXPECT_TRUE(reqs.active());
        reqs.wait();
        EXPECT_EQ(recv[5], 100 * step + (r + p - 1) % p);
    }
}

TEST(CartComm, ShiftAndCoords) {
    const auto& w = world();
    int dims[2] = {0, 0};
    MPI_Dims_create(w.size(), 2, dims);
    const int periodic[2] = {1, 0};
    auto cart = mpi::CartComm::create(w, dims, periodic);
    EXPECT_EQ(cart.rank(), w.rank());  // no reordering
    const auto c = cart.coords(cart.rank());
    const auto [lo0, hi0] = cart.shift(0, 1);
    EXPECT_EQ(lo0, cart.rank_at(std::vector<int>{c[0] - 1, c[1]}));
    EXPECT_EQ(hi0, cart.rank_at(std::vector<int>{c[0] + 1, c[1]}));
    const auto [lo1, hi1] = cart.shift(1, 1);
    EXPECT_EQ(lo1, c[1] == 0 ? MPI_PROC_NULL : cart.rank_at(std::vector<int>{c[0], c[1] - 1}));
    EXPECT_EQ(hi1, c[1] == dims[1] - 1 ? MPI_PROC_NULL : cart.rank_at(std::vector<int>{c[0], c[1] + 1}));
}

TEST(ErrorProtocol, CheckAllFailsEverywhereWithLowestFailingRanksMessage) {
    const auto& w = world();
    // Ranks >= 1 fail (none when np = 1); the message is the lowest failing rank's.
    const bool ok = w.rank() == 0;
    if (w.size() == 1) {
        EXPECT_NO_THROW(TESSERA_CHECK_ALL(w, ok, "never"));
        return;
    }
    try {
        TESSERA_CHECK_ALL(w, ok, "bad value on rank " << w.rank());
        ADD_FAILURE() << "no CollectiveError";
    } catch (const CollectiveError& e) {
        EXPECT_EQ(e.failing_rank(), 1);
        EXPECT_EQ(std::string(e.what()), "bad value on rank 1");
        EXPECT_EQ(e.exit_code(), 2);
    }
}

TEST(ErrorProtocol, CollectiveCallAgreesOnOneRanksException) {
    const auto& w = world();
    const int last = w.size() - 1;
    try {
        const int v = collective_call(w, [&] {
            if (w.rank() == last) throw std::runtime_error("cannot open input.h5");
            return 42;
        });
        ADD_FAILURE() << "returned " << v;
    } catch (const CollectiveError& e) {
        EXPECT_EQ(e.failing_rank(), last);
        EXPECT_EQ(std::string(e.what()), "cannot open input.h5");
    }
    EXPECT_EQ(collective_call(w, [] { return 7; }), 7);
}

TEST(ErrorProtocol, MpiCallErrorsBecomeExceptions) {
    const auto& w = world();
    int bad_rank_count = -5;  // negative count is an MPI error: with MPI_ERRORS_RETURN it returns
    double x = 0;
    EXPECT_THROW(TESSERA_MPI_CALL(MPI_Bcast(&x, bad_rank_count, MPI_DOUBLE, 0, w.get())),
                 tessera::Error);
}
