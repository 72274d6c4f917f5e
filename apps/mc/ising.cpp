// tessera-mc ising: 2D Ising model, checkerboard Metropolis on a grid decomposition, compared
// with Onsager's exact results; resumable sweep by sweep.
#include <cmath>

#include <tessera/montecarlo/ising.hpp>

#include "mc.hpp"

namespace mc {

int run_ising(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const Config& cfg) {
    namespace tm = tessera::montecarlo;
    const auto& world = runtime.world();
    const auto temperatures = parse_temperatures(world, cfg.temperature);
    if (temperatures.sweep) return run_ising_sweep(runtime, options, cfg, temperatures);
    TESSERA_CHECK_ALL(world, !cfg.resume, "--resume applies to a sweep (--temperature START:STOP:COUNT); "
                                          "a single temperature continues with --restart");
    const double temperature = temperatures.values.front();
    // 1. Input (the lattice checks the rest and names its parameters; they map to options).
    TESSERA_CHECK_ALL(world, cfg.cells.size() == 2, "--cells needs two values (NX NY), got " << cfg.cells.size());
    TESSERA_CHECK_ALL(world, cfg.procs.size() == 2, "--procs needs two values (PX PY), got " << cfg.procs.size());
    TESSERA_CHECK_ALL(world, cfg.sweeps > 0, "--sweeps must be positive, got " << cfg.sweeps);
    TESSERA_CHECK_ALL(world, cfg.thermalize >= 0, "--thermalize must not be negative, got " << cfg.thermalize);
    TESSERA_CHECK_ALL(world, cfg.batches >= 2 && cfg.batches <= cfg.sweeps,
                      "--batches must be between 2 and --sweeps (" << cfg.sweeps << "), got " << cfg.batches);
    const std::array<tessera::gindex_t, 2> cells{cfg.cells[0], cfg.cells[1]};
    tessera::check_node_memory(world, 8.0 * static_cast<double>(cells[0]) * static_cast<double>(cells[1]) / world.size(),
                               "--cells " + std::to_string(cells[0]) + " " + std::to_string(cells[1]) + " (the lattice)");
    const tessera::run::OptionNames names{{"IsingLattice: cells", "--cells"},
                                          {"IsingLattice: temperature", "--temperature"}};
    tm::IsingLattice lattice = tessera::run::translating_errors(names, [&] {
        return tm::IsingLattice(world, cells, temperature, cfg.seed, {cfg.procs[0], cfg.procs[1]});
    });
    const auto& procs = lattice.decomp().procs();
    tessera::log::info("lattice ", cells[0], " x ", cells[1], " on a ", procs[0], " x ", procs[1],
                       " process grid, T = ", temperature, " (Tc = ", tm::onsager_critical_temperature(), ")");

    // 2. State (the lattice, its sweep count and the measurements so far) and the loop: a step
    //    is a sweep.
    tm::IsingRun run;
    const int total = cfg.thermalize + cfg.sweeps;
    auto sim = simulation(options, cfg, "ising",
                          {{"cells", cfg.cells}, {"temperature", temperature}, {"sweeps", cfg.sweeps},
                           {"thermalize", cfg.thermalize}, {"batches", cfg.batches}});
    sim.save = [&](tessera::io::CheckpointData& data, tessera::io::CheckpointMeta& meta) {
        data.add<2>("spins", lattice.spins());  // +-1: exact in double
        meta.cells = {cells[0], cells[1]};
        meta.counters = {run.sweeps};
        meta.values = run.energy;
        meta.values.insert(meta.values.end(), run.abs_magnetization.begin(), run.abs_magnetization.end());
    };
    sim.load = [&](tessera::io::CheckpointReader& reader) {
        const auto& meta = reader.meta();
        const auto measured = static_cast<std::size_t>(std::max<tessera::gindex_t>(0, meta.step - cfg.thermalize));
        if (meta.counters != std::vector<long long>{meta.step} || meta.values.size() != 2 * measured)
            throw std::runtime_error("restart " + reader.path().string() + ": sweep " + std::to_string(meta.step) +
                                     " needs " + std::to_string(measured) + " measurements of energy and |M|");
        reader.read<2>("spins", lattice.spins());
        lattice.restore(static_cast<std::uint32_t>(meta.step));
        run.sweeps = meta.step;
        run.energy.assign(meta.values.begin(), meta.values.begin() + static_cast<std::ptrdiff_t>(measured));
        run.abs_magnetization.assign(meta.values.begin() + static_cast<std::ptrdiff_t>(measured), meta.values.end());
    };
    sim.state_bytes = 8.0 * static_cast<double>(lattice.sites()) + 16.0 * cfg.sweeps;
    tessera::run::TimeLoop loop(world, schedule(runtime, options, cfg, total, "sweeps"), sim,
                                options.common().output / "checkpoints");

    // 3. Restart or a fresh start; then the output directory.
    start(runtime, options, cfg, loop);
    const auto first_sweep = run.sweeps;

    // 4. The sweeps.
    const double t0 = MPI_Wtime();
    {
        tessera::ScopedTimer timer("mc.ising");
        tm::continue_ising(lattice, cfg.thermalize, cfg.sweeps, run, [&] { return loop.advance(); });
    }
    if (loop.stopped()) return stopped(runtime, options, loop, "ising");
    const double seconds = tessera::mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX);

    // 5. Report.
    const auto est = tm::ising_estimates(run.energy, run.abs_magnetization, lattice.sites(),
                                         temperature, cfg.batches);
    const double e_exact = tm::onsager_energy(temperature);
    const double m_exact = tm::onsager_magnetization(temperature);
    print_estimate("energy per site", est.energy, e_exact);
    print_estimate("|magnetization| per site", est.abs_magnetization, m_exact);
    print_estimate("specific heat per site", est.specific_heat, std::nullopt);
    print_estimate("susceptibility per site", est.susceptibility, std::nullopt);
    const double updates = static_cast<double>(lattice.sites()) * static_cast<double>(total - first_sweep);
    const double rate = updates / seconds;
    tessera::log::info("rate: ", rate, " site updates/s (", seconds, " s)");

    const auto allowance = tm::ising_allowance(cells, temperature);
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
    return finish(runtime, options, loop, fields, passed, verdict);
}

}  // namespace mc
