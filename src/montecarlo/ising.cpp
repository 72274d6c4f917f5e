// Checkerboard Metropolis for the 2D Ising model, its measurements and Onsager's exact results.
#include "tessera/montecarlo/ising.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"
#include "tessera/montecarlo/rng.hpp"

namespace tessera::montecarlo {

double onsager_critical_temperature() noexcept { return 2.0 / std::log(1.0 + std::numbers::sqrt2); }

double onsager_magnetization(double temperature) {
    TESSERA_CHECK(temperature > 0.0, "temperature must be positive, got " << temperature);
    if (temperature >= onsager_critical_temperature()) return 0.0;
    return std::pow(1.0 - std::pow(std::sinh(2.0 / temperature), -4.0), 0.125);
}

double onsager_energy(double temperature) {
    TESSERA_CHECK(temperature > 0.0, "temperature must be positive, got " << temperature);
    const double b2 = 2.0 / temperature;
    const double k = 2.0 * std::sinh(b2) / (std::cosh(b2) * std::cosh(b2));
    const double t = std::tanh(b2);
    // At Tc, k = 1 and K(k) diverges while its factor 2 tanh^2 - 1 vanishes: the limit is -sqrt 2.
    if (std::abs(k - 1.0) < 1e-12) return -std::numbers::sqrt2;
    return -(1.0 / t) * (1.0 + (2.0 / std::numbers::pi) * (2.0 * t * t - 1.0) * std::comp_ellint_1(k));
}

void ising_half_sweep(View<double, 2> s, const Box<2>& box, int color,
                      const std::array<gindex_t, 2>& cells, const std::array<double, 2>& accept,
                      std::uint64_t seed, std::uint32_t sweep) {
    constexpr gindex_t chunk = 256;  // sites of one colour per batch of random numbers
#pragma omp parallel for schedule(static)
    for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j) {
        const gindex_t first = box.lo[0] + ((box.lo[0] + j + color) & 1);
        const gindex_t count = (box.hi[0] - first + 1) / 2;
        const auto row = static_cast<std::uint64_t>(j * cells[0] + first);
        alignas(64) double u[chunk];
        for (gindex_t n0 = 0; n0 < count; n0 += chunk) {
            const gindex_t len = std::min(chunk, count - n0);
            // Every site draws its number, needed or not: Philox runs in SIMD lanes.
#pragma omp simd aligned(u : 64)
            for (gindex_t n = 0; n < len; ++n)
                u[n] = to_unit_closed_open(
                    philox_first_word(seed, row + static_cast<std::uint64_t>(2 * (n0 + n)), sweep));
            for (gindex_t n = 0; n < len; ++n) {
                const gindex_t i = first + 2 * (n0 + n);
                const double si = s(i, j);
                const double de = 2.0 * si * (s(i - 1, j) + s(i + 1, j) + s(i, j - 1) + s(i, j + 1));
                const double threshold = de > 4.0 ? accept[1] : accept[0];
                if (de <= 0.0 || u[n] < threshold) s(i, j) = -si;
            }
        }
    }
}

namespace {

std::array<gindex_t, 2> checked_cells(const mpi::Comm& comm, const std::array<gindex_t, 2>& cells,
                                      double temperature) {
    TESSERA_CHECK_ALL(comm, cells[0] >= 2 && cells[1] >= 2 && cells[0] % 2 == 0 && cells[1] % 2 == 0,
                      "IsingLattice: cells must be even and at least 2 on both axes (the checkerboard must close "
                      "across the periodic boundary), got "
                          << cells[0] << " x " << cells[1]);
    TESSERA_CHECK_ALL(comm, temperature > 0.0 && std::isfinite(temperature),
                      "IsingLattice: temperature must be positive, got " << temperature);
    return cells;
}

// splitmix64's finalizer: spreads site numbers over 64 bits for the fingerprint.
std::uint64_t mix(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace

IsingLattice::IsingLattice(const mpi::Comm& comm, const std::array<gindex_t, 2>& cells,
                           double temperature, std::uint64_t seed, std::array<int, 2> procs)
    : cells_(checked_cells(comm, cells, temperature)),
      temperature_(temperature),
      seed_(seed),
      decomp_(comm, cells_, {true, true}, procs),
      spins_(decomp_, 1),
      halo_(spins_, 1, grid::HaloPattern::faces),
      accept_{std::exp(-4.0 / temperature), std::exp(-8.0 / temperature)} {
    spins_.fill([](const std::array<gindex_t, 2>&) { return 1.0; });
    halo_.exchange(spins_);
}

void IsingLattice::sweep() {
    const Box<2> box = decomp_.owned_box();
    for (int color = 0; color < 2; ++color) {
        {
            ScopedTimer timer("mc.ising.update");
            ising_half_sweep(spins_.view(), box, color, cells_, accept_, seed_, sweep_);
        }
        ScopedTimer timer("mc.ising.halo");
        halo_.exchange(spins_);
    }
    ++sweep_;
}

void IsingLattice::restore(std::uint32_t sweeps_done) {
    const Box<2> box = decomp_.owned_box();
    const auto s = spins_.view();
    bool ok = true;
    for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
        for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) ok = ok && (s(i, j) == 1.0 || s(i, j) == -1.0);
    TESSERA_CHECK_ALL(decomp_.comm(), ok, "IsingLattice: spins must be +1 or -1");
    halo_.exchange(spins_);
    sweep_ = sweeps_done;
}

IsingSums IsingLattice::sums() const {
    const Box<2> box = decomp_.owned_box();
    const auto s = spins_.view();
    std::int64_t m = 0, bonds = 0;
#pragma omp parallel for schedule(static) reduction(+ : m, bonds)
    for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
        for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i) {
            const auto si = static_cast<std::int64_t>(s(i, j));
            m += si;
            bonds += si * static_cast<std::int64_t>(s(i + 1, j) + s(i, j + 1));
        }
    const auto& comm = decomp_.comm();
    std::array<std::int64_t, 2> total{m, bonds};
    mpi::allreduce(comm, std::span<std::int64_t>(total), MPI_SUM);
    return {total[0], total[1]};
}

std::uint64_t IsingLattice::fingerprint() const {
    const Box<2> box = decomp_.owned_box();
    const auto s = spins_.view();
    std::uint64_t sum = 0;  // wraps modulo 2^64: exact and order-free
    for (gindex_t j = box.lo[1]; j < box.hi[1]; ++j)
        for (gindex_t i = box.lo[0]; i < box.hi[0]; ++i)
            if (s(i, j) > 0.0) sum += mix(static_cast<std::uint64_t>(j * cells_[0] + i));
    return mpi::allreduce(decomp_.comm(), static_cast<unsigned long>(sum), MPI_SUM);
}

IsingEstimates ising_estimates(std::span<const double> energy, std::span<const double> abs_mag,
                               gindex_t sites, double temperature, int batches) {
    TESSERA_CHECK(energy.size() == abs_mag.size(), "ising_estimates: series of different lengths");
    IsingEstimates r;
    r.energy = batch_means(energy, batches);
    r.abs_magnetization = batch_means(abs_mag, batches);
    // Fluctuation quantities: one value per batch (from the batch's own moments), then the
    // mean and standard error over batches.
    const auto n = static_cast<gindex_t>(energy.size());
    const gindex_t len = n / batches, skip = n - len * batches;
    std::vector<double> heat(static_cast<std::size_t>(batches)), chi(heat.size());
    const auto nsites = static_cast<double>(sites);
    for (int b = 0; b < batches; ++b) {
        Moments e, m;
        for (gindex_t t = skip + b * len; t < skip + (b + 1) * len; ++t) {
            e.add(energy[static_cast<std::size_t>(t)]);
            m.add(abs_mag[static_cast<std::size_t>(t)]);
        }
        const double ve = e.m2 / e.count, vm = m.m2 / m.count;  // population variances
        heat[static_cast<std::size_t>(b)] = nsites * ve / (temperature * temperature);
        chi[static_cast<std::size_t>(b)] = nsites * vm / temperature;
    }
    r.specific_heat = batch_means(heat, batches);
    r.susceptibility = batch_means(chi, batches);
    return r;
}

void continue_ising(IsingLattice& lattice, int thermalize, int sweeps, IsingRun& run,
                    const std::function<bool()>& after_sweep) {
    const auto& comm = lattice.decomp().comm();
    TESSERA_CHECK_ALL(comm, thermalize >= 0, "run_ising: thermalize must not be negative, got " << thermalize);
    TESSERA_CHECK_ALL(comm, sweeps > 0, "run_ising: sweeps must be positive, got " << sweeps);
    const auto total = static_cast<std::int64_t>(thermalize) + sweeps;
    const auto measured = static_cast<std::size_t>(std::max<std::int64_t>(0, run.sweeps - thermalize));
    TESSERA_CHECK_ALL(comm, run.sweeps >= 0 && run.sweeps <= total && run.energy.size() == measured &&
                                run.abs_magnetization.size() == measured,
                      "run_ising: a chain after " << run.sweeps << " of " << total << " sweeps needs " << measured
                                                  << " measurements, the run holds " << run.energy.size());
    run.energy.reserve(static_cast<std::size_t>(sweeps));
    run.abs_magnetization.reserve(static_cast<std::size_t>(sweeps));
    const auto n = static_cast<double>(lattice.sites());
    for (std::int64_t t = run.sweeps; t < total; ++t) {
        lattice.sweep();
        run.sweeps = t + 1;
        if (t >= thermalize) {
            ScopedTimer timer("mc.ising.measure");
            const IsingSums s = lattice.sums();
            run.energy.push_back(-static_cast<double>(s.bonds) / n);
            run.abs_magnetization.push_back(std::abs(static_cast<double>(s.magnetization)) / n);
        }
        if (after_sweep && !after_sweep()) break;
    }
    run.fingerprint = lattice.fingerprint();
}

IsingRun run_ising(IsingLattice& lattice, int thermalize, int sweeps, const ProgressCallback& progress) {
    IsingRun run;
    continue_ising(lattice, thermalize, sweeps, run, [&] {
        if (progress) progress(run.sweeps);
        return true;
    });
    return run;
}

IsingRun run_ising_ref(const std::array<gindex_t, 2>& cells, double temperature, int thermalize,
                       int sweeps, std::uint64_t seed) {
    const gindex_t nx = cells[0], ny = cells[1];
    std::vector<int> s(static_cast<std::size_t>(nx * ny), 1);
    const auto at = [&](gindex_t i, gindex_t j) -> int& {
        return s[static_cast<std::size_t>(((j + ny) % ny) * nx + (i + nx) % nx)];
    };
    IsingRun run;
    for (int t = 0; t < thermalize + sweeps; ++t) {
        for (int color = 0; color < 2; ++color)
            for (gindex_t j = 0; j < ny; ++j)
                for (gindex_t i = 0; i < nx; ++i) {
                    if ((i + j) % 2 != color) continue;
                    const int de = 2 * at(i, j) * (at(i - 1, j) + at(i + 1, j) + at(i, j - 1) + at(i, j + 1));
                    const auto site = static_cast<std::uint64_t>(j * nx + i);
                    if (de <= 0 || CounterRng(seed, site, static_cast<std::uint32_t>(t)).uniform() <
                                       std::exp(-de / temperature))
                        at(i, j) = -at(i, j);
                }
        if (t < thermalize) continue;
        std::int64_t m = 0, bonds = 0;
        for (gindex_t j = 0; j < ny; ++j)
            for (gindex_t i = 0; i < nx; ++i) {
                m += at(i, j);
                bonds += at(i, j) * (at(i + 1, j) + at(i, j + 1));
            }
        const auto n = static_cast<double>(nx * ny);
        run.energy.push_back(-static_cast<double>(bonds) / n);
        run.abs_magnetization.push_back(std::abs(static_cast<double>(m)) / n);
    }
    for (gindex_t j = 0; j < ny; ++j)
        for (gindex_t i = 0; i < nx; ++i)
            if (at(i, j) > 0) run.fingerprint += mix(static_cast<std::uint64_t>(j * nx + i));
    return run;
}

std::optional<IsingAllowance> ising_allowance(const std::array<gindex_t, 2>& cells, double temperature) {
    const double tc = onsager_critical_temperature();
    if (std::abs(temperature - tc) < 0.3) return std::nullopt;
    const auto l = static_cast<double>(std::min(cells[0], cells[1]));
    const double away = 0.002 + 4.0 / (l * l);
    return IsingAllowance{away, temperature < tc ? away : 3.0 / l};
}

}  // namespace tessera::montecarlo
