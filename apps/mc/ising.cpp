// tessera-mc ising: 2D Ising model, checkerboard Metropolis on a grid decomposition, compared
// with Onsager's exact results.
#include <cmath>

#include <tessera/montecarlo/ising.hpp>

#include "mc.hpp"

namespace mc {

int run_ising(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg) {
    namespace tm = tessera::montecarlo;
    const auto& world = runtime.world();
    TESSERA_CHECK_ALL(world, cfg.cells.size() == 2, "--cells needs two values (NX NY), got " << cfg.cells.size());
    TESSERA_CHECK_ALL(world, cfg.procs.size() == 2, "--procs needs two values (PX PY), got " << cfg.procs.size());
    TESSERA_CHECK_ALL(world, cfg.sweeps > 0, "--sweeps must be positive, got " << cfg.sweeps);
    TESSERA_CHECK_ALL(world, cfg.thermalize >= 0, "--thermalize must not be negative, got " << cfg.thermalize);
    TESSERA_CHECK_ALL(world, cfg.batches >= 2 && cfg.batches <= cfg.sweeps,
                      "--batches must be between 2 and --sweeps (" << cfg.sweeps << "), got " << cfg.batches);
    const std::array<tessera::gindex_t, 2> cells{cfg.cells[0], cfg.cells[1]};
    tessera::check_node_memory(world, 8.0 * static_cast<double>(cells[0]) * static_cast<double>(cells[1]) / world.size(),
                               "--cells " + std::to_string(cells[0]) + " " + std::to_string(cells[1]) + " (the lattice)");
    tm::IsingLattice lattice(world, cells, cfg.temperature, cfg.seed, {cfg.procs[0], cfg.procs[1]});
    tessera::run::prepare_output_dir(world, options.common().output, options.common().overwrite);
    const auto& procs = lattice.decomp().procs();
    tessera::log::info("lattice ", cells[0], " x ", cells[1], " on a ", procs[0], " x ", procs[1],
                       " process grid, T = ", cfg.temperature, " (Tc = ", tm::onsager_critical_temperature(), ")");

    tessera::run::Progress progress("ising", cfg.thermalize + cfg.sweeps, "sweeps");
    const double t0 = MPI_Wtime();
    const auto run = [&] {
        tessera::ScopedTimer timer("mc.ising");
        return tm::run_ising(lattice, cfg.thermalize, cfg.sweeps, [&](tessera::gindex_t done) { progress.update(done); });
    }();
    progress.finish();
    const double seconds = tessera::mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX);

    const auto est = tm::ising_estimates(run.energy, run.abs_magnetization, lattice.sites(),
                                         cfg.temperature, cfg.batches);
    const double e_exact = tm::onsager_energy(cfg.temperature);
    const double m_exact = tm::onsager_magnetization(cfg.temperature);
    print_estimate("energy per site", est.energy, e_exact);
    print_estimate("|magnetization| per site", est.abs_magnetization, m_exact);
    print_estimate("specific heat per site", est.specific_heat, std::nullopt);
    print_estimate("susceptibility per site", est.susceptibility, std::nullopt);
    const double updates = static_cast<double>(lattice.sites()) * (cfg.thermalize + cfg.sweeps);
    const double rate = updates / seconds;
    tessera::log::info("rate: ", rate, " site updates/s (", seconds, " s)");

    const auto allowance = tm::ising_allowance(cells, cfg.temperature);
    bool passed = std::isfinite(est.energy.value) && std::isfinite(est.abs_magnetization.value);
    std::string verdict;
    if (allowance) {
        const double de = std::abs(est.energy.value - e_exact), dm = std::abs(est.abs_magnetization.value - m_exact);
        passed = passed && de <= check_sigmas * est.energy.std_error + allowance->energy &&
                 dm <= check_sigmas * est.abs_magnetization.std_error + allowance->abs_magnetization;
        verdict = "energy and |M| within " + std::to_string(int(check_sigmas)) +
                  " batch-means errors of Onsager plus finite-size allowances " +
                  std::to_string(allowance->energy) + " and " + std::to_string(allowance->abs_magnetization);
    } else {
        verdict = "within 0.3 of Tc no exact comparison is meaningful on a finite lattice; estimates finite";
    }

    auto fields = estimate_json(est.energy, e_exact);
    fields["energy"] = estimate_json(est.energy, e_exact);
    fields["abs_magnetization"] = estimate_json(est.abs_magnetization, m_exact);
    fields["specific_heat"] = estimate_json(est.specific_heat, std::nullopt);
    fields["susceptibility"] = estimate_json(est.susceptibility, std::nullopt);
    fields["fingerprint"] = run.fingerprint;
    fields["critical_temperature"] = tm::onsager_critical_temperature();
    fields["rate"] = {{"value", rate}, {"unit", "site-updates/s"}};
    fields["subcommand"] = "ising";
    return finish(runtime, options, fields, passed, verdict);
}

}  // namespace mc
