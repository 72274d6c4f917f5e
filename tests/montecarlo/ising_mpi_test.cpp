// The distributed checkerboard Metropolis chain: the same chain on any layout, and agreement
// with Onsager's exact infinite-lattice results.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>

#include <tessera/core/error.hpp>
#include <tessera/montecarlo/ising.hpp>

#include "support/field_gather.hpp"
#include "support/mpi_test.hpp"

using namespace tessera;
using namespace tessera::montecarlo;
using tessera::testing::world;

TEST(IsingChain, SameOnEveryLayout) {
    const std::array<gindex_t, 2> cells{32, 16};
    const double t = 2.3;  // near Tc: many flips, many random numbers used
    const auto self = world().split(world().rank(), 0);
    omp_set_num_threads(1);
    const auto ref = [&] {
        IsingLattice lattice(self, cells, t, 77);
        return run_ising(lattice, 5, 25);
    }();
    const int p = world().size();
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        for (std::array<int, 2> procs : {std::array<int, 2>{0, 0}, {p, 1}, {1, p}}) {
            IsingLattice lattice(world(), cells, t, 77, procs);
            const auto run = run_ising(lattice, 5, 25);
            EXPECT_EQ(run.energy, ref.energy) << threads << " threads, procs " << procs[0] << "x" << procs[1];
            EXPECT_EQ(run.abs_magnetization, ref.abs_magnetization);
            EXPECT_EQ(run.fingerprint, ref.fingerprint);
        }
    }
    // The plain whole-lattice oracle gives the same chain.
    const auto plain = run_ising_ref(cells, t, 5, 25, 77);
    EXPECT_EQ(plain.energy, ref.energy);
    EXPECT_EQ(plain.abs_magnetization, ref.abs_magnetization);
    EXPECT_EQ(plain.fingerprint, ref.fingerprint);
    // A different seed gives a different chain.
    IsingLattice other(world(), cells, t, 78);
    EXPECT_NE(run_ising(other, 5, 25).fingerprint, ref.fingerprint);
}

TEST(IsingChain, CutAndContinuedOnAnotherLayoutKeepsItsBits) {
    // Stopped after 12 of 5 + 25 sweeps on the world (procs p x 1); the spins, sweep count and
    // measurements (what a checkpoint holds) continue on one rank: the uninterrupted chain.
    const std::array<gindex_t, 2> cells{32, 16};
    const double t = 2.3;
    const auto self = world().split(world().rank(), 0);
    omp_set_num_threads(1);
    const auto ref = [&] {
        IsingLattice lattice(self, cells, t, 77);
        return run_ising(lattice, 5, 25);
    }();
    omp_set_num_threads(2);
    IsingLattice cut(world(), cells, t, 77, {world().size(), 1});
    IsingRun run;
    continue_ising(cut, 5, 25, run, [&] { return run.sweeps < 12; });
    EXPECT_EQ(run.sweeps, 12);
    EXPECT_EQ(run.energy.size(), 7u);
    auto spins = tessera::testing::gather_field(cut.spins());
    spins.resize(static_cast<std::size_t>(cells[0] * cells[1]));
    MPI_Bcast(spins.data(), static_cast<int>(spins.size()), MPI_DOUBLE, 0, world().get());

    IsingLattice there(self, cells, t, 77);
    there.spins().fill([&](const std::array<gindex_t, 2>& g) {
        return spins[static_cast<std::size_t>(g[1] * cells[0] + g[0])];
    });
    there.restore(12);
    auto resumed = run;
    continue_ising(there, 5, 25, resumed);
    EXPECT_EQ(resumed.sweeps, 30);
    EXPECT_EQ(resumed.energy, ref.energy);
    EXPECT_EQ(resumed.abs_magnetization, ref.abs_magnetization);
    EXPECT_EQ(resumed.fingerprint, ref.fingerprint);

    // A run whose measurements do not match its sweeps, and spins that are not +-1, are refused.
    IsingRun wrong;
    wrong.sweeps = 12;
    EXPECT_THROW(continue_ising(there, 5, 25, wrong), CollectiveError);
    there.spins().fill([](const std::array<gindex_t, 2>&) { return 0.5; });
    EXPECT_THROW(there.restore(0), CollectiveError);
}

TEST(IsingChain, RejectsBadInputOnEveryRank) {
    EXPECT_THROW(IsingLattice(world(), {31, 16}, 2.0, 1), CollectiveError);
    EXPECT_THROW(IsingLattice(world(), {32, 16}, 0.0, 1), CollectiveError);
    // A process grid that does not multiply to the ranks, or more ranks than cells on an axis.
    EXPECT_THROW(IsingLattice(world(), {32, 16}, 2.0, 1, {3, 3}), CollectiveError);
    if (world().size() >= 4) {
        EXPECT_THROW(IsingLattice(world(), {4, 2}, 2.0, 1, {1, world().size()}), CollectiveError);
    }
    IsingLattice lattice(world(), {32, 16}, 2.0, 1);
    EXPECT_THROW(run_ising(lattice, 0, 0), CollectiveError);
    EXPECT_THROW(run_ising(lattice, -1, 10), CollectiveError);
}

// 64 x 64, 2000 measured sweeps in 20 batches, within 4 batch-means errors plus the stated
// finite-size allowance (ising_allowance(): 0.003 for e and for |M| below Tc, 3/64 for |M|
// above Tc, where the exact value is 0).
class IsingPhysics : public ::testing::TestWithParam<double> {};

TEST_P(IsingPhysics, AgreesWithOnsager) {
    const double t = GetParam();
    const gindex_t l = 64;
    omp_set_num_threads(2);
    IsingLattice lattice(world(), {l, l}, t, 12345);
    const auto run = run_ising(lattice, 200, 2000);
    const auto est = ising_estimates(run.energy, run.abs_magnetization, l * l, t, 20);
    const double e_exact = onsager_energy(t), m_exact = onsager_magnetization(t);
    const auto allowance = ising_allowance({l, l}, t);
    ASSERT_TRUE(allowance.has_value());
    EXPECT_LE(std::abs(est.energy.value - e_exact), 4 * est.energy.std_error + allowance->energy)
        << "e = " << est.energy.value << " +- " << est.energy.std_error << ", exact " << e_exact;
    EXPECT_LE(std::abs(est.abs_magnetization.value - m_exact), 4 * est.abs_magnetization.std_error + allowance->abs_magnetization)
        << "|M| = " << est.abs_magnetization.value << " +- " << est.abs_magnetization.std_error
        << ", exact " << m_exact;
    EXPECT_GT(est.energy.std_error, 0.0);
    EXPECT_GT(est.specific_heat.value, 0.0);
    EXPECT_GT(est.susceptibility.value, 0.0);
}

INSTANTIATE_TEST_SUITE_P(BelowAndAboveTc, IsingPhysics, ::testing::Values(1.5, 3.5));
