// tessera-heat: explicit heat equation u_t = alpha * lap(u) on a Cartesian-decomposed 2D/3D grid.
// Sample runs:  mpirun -np 4 tessera-heat --config data/heat/small.toml
//               mpirun -np 2 tessera-heat --dim 3 --cells 128 128 128 --steps 200
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include <tessera/tessera.hpp>

#include "sine_mode.hpp"

namespace {

using namespace tessera;

// How the library's messages name what this app's options supplied.
const run::OptionNames kOptionNames = {
    {"CartDecomp: cells", "--cells"},    {"CartDecomp: procs", "--procs"},   {"heat: alpha", "--alpha"},
    {"heat: dt", "--dt"},                {"heat: stencil", "--stencil"},     {"heat: bc", "--bc"},
    {"heat: time_block", "--time-block"}, {"parse_stencil:", "--stencil:"},
    {"(HeatParams::allow_unstable runs it anyway)", "(use --cfl <= 1, or --allow-unstable)"},
    {"restart ", "--restart "}};

// 1. Options: the heat problem's own; the long-run ones come from the run layer.
struct HeatConfig {
    int dim = 2;
    std::vector<gindex_t> cells;
    std::vector<double> extent;
    std::vector<int> procs, mode;
    double alpha = 1.0, dt = 0.0, cfl = 0.9, final_time = 0.0, bc_value = 0.0;
    gindex_t steps = 2000;
    std::vector<std::string> bc{"dirichlet"};
    std::string init = "sine", init_file, init_dataset = "/u", stencil, stores = "auto";
    int check_every = 100, repetitions = 3, time_block = 1;
    bool allow_unstable = false, snapshot_png = false;
    run::LongRunOptions run;
    run::AppOptions options{"heat", "Explicit heat/diffusion equation on a 2D or 3D grid (MPI + OpenMP)"};

    HeatConfig() {
        auto& c = options.cli();
        c.add_option("--dim", dim, "Dimensions")->check(CLI::IsMember({2, 3}));
        c.add_option("--cells", cells, "Cells per axis: NX NY [NZ] (default 512 512, or 64 64 64 in 3D)")->expected(2, 3);
        c.add_option("--extent", extent, "Domain lengths per axis (default 1 each)")->expected(2, 3);
        c.add_option("--procs", procs, "Process grid PX PY [PZ] (0 = choose)")->expected(2, 3);
        c.add_option("--alpha", alpha, "Diffusivity")->check(CLI::PositiveNumber);
        c.add_option("--dt", dt, "Time step (0: cfl times the largest stable step)")->check(CLI::NonNegativeNumber);
        c.add_option("--cfl", cfl, "Time step as a fraction of the stability limit")->check(CLI::PositiveNumber);
        c.add_option("--steps", steps, "Time steps")->check(CLI::PositiveNumber);
        c.add_option("--time", final_time, "Final time (overrides --steps; dt shrinks to land on it)")
            ->check(CLI::NonNegativeNumber);
        c.add_option("--bc", bc, "Boundary condition, one for all axes or one per axis: dirichlet, neumann or periodic")
            ->expected(1, 3)
            ->check(CLI::IsMember({"dirichlet", "neumann", "periodic"}));
        c.add_option("--bc-value", bc_value, "Wall value for Dirichlet boundaries");
        c.add_option("--init", init, "Initial condition")->check(CLI::IsMember({"sine", "gaussian", "hotspot", "file"}));
        c.add_option("--init-file", init_file, "HDF5 file for --init file");
        c.add_option("--init-dataset", init_dataset, "Dataset in --init-file");
        c.add_option("--mode", mode, "Mode numbers of the sine initial condition per axis (default 1)")->expected(2, 3);
        c.add_option("--stencil", stencil, "5pt or 9pt (2D), 7pt or 27pt (3D), star1..star4 (default 5pt / 7pt)");
        c.add_option("--check-every", check_every, "Check for NaN/Inf every N steps (0: never)")
            ->check(CLI::NonNegativeNumber);
        c.add_flag("--allow-unstable", allow_unstable, "Run even if dt exceeds the stability limit");
        c.add_option("--time-block", time_block, "Steps per pass over memory (temporal blocking; star stencils)")
            ->check(CLI::Range(1, 16));
        c.add_option("--stores", stores, "Result stores: auto (streaming for grids beyond the caches), cached, or "
                                         "streaming (non-temporal)")
            ->check(CLI::IsMember({"auto", "cached", "streaming"}));
        c.add_option("--repetitions", repetitions, "Timed repetitions in --benchmark mode")->check(CLI::PositiveNumber);
        run.add_to(options, "steps", /*snapshots=*/true);
        c.add_flag("--snapshot-png", snapshot_png, "Also write OUTPUT/png/heat_<step>.png per snapshot");
        c.footer("Exit codes: 0 finished (summary.json \"completed\": true), or stopped on SIGTERM, SIGUSR1, SIGINT or "
                 "--max-wall-time after writing a checkpoint (\"completed\": false; resubmit with --restart auto); 1 "
                 "runtime failure or failed self-check; 2 usage or input error (nothing written). See docs/io.md.");
    }

    // Collective: parses and checks everything that needs no allocation.
    void parse(const Runtime& rt, int argc, char** argv) {
        options.parse(rt.world(), argc, argv);
        const auto& w = rt.world();
        const auto n = static_cast<std::size_t>(dim);
        if (cells.empty()) cells = dim == 2 ? std::vector<gindex_t>{512, 512} : std::vector<gindex_t>{64, 64, 64};
        if (extent.empty()) extent.assign(n, 1.0);
        if (procs.empty()) procs.assign(n, 0);
        if (mode.empty()) mode.assign(n, 1);
        if (bc.size() == 1) bc.assign(n, bc.front());
        if (stencil.empty()) stencil = dim == 2 ? "5pt" : "7pt";
        const std::pair<const char*, std::size_t> counts[] = {
            {"--cells", cells.size()}, {"--extent", extent.size()}, {"--procs", procs.size()},
            {"--mode", mode.size()},   {"--bc", bc.size()}};
        for (const auto& [option, size] : counts)
            TESSERA_CHECK_ALL(w, size == n, option << ": give " << (option == std::string("--bc") ? "1 or " : "")
                                                   << dim << " values for --dim " << dim);
        // CLI11's number checks let nan and inf through; none of these may be either.
        auto finite = [&](const char* option, double v) {
            TESSERA_CHECK_ALL(w, std::isfinite(v), option << ": must be a finite number, got " << v);
        };
        for (auto e : extent) finite("--extent", e);
        const std::pair<const char*, double> numbers[] = {
            {"--alpha", alpha}, {"--dt", dt}, {"--cfl", cfl}, {"--time", final_time}, {"--bc-value", bc_value}};
        for (const auto& [option, v] : numbers) finite(option, v);
        run.check(w, options.common().benchmark);
        for (auto e : extent) TESSERA_CHECK_ALL(w, e > 0, "--extent: lengths must be positive, got " << e);
        for (auto m : mode) TESSERA_CHECK_ALL(w, m >= 1, "--mode: mode numbers must be >= 1, got " << m);
        TESSERA_CHECK_ALL(w, init != "file" || !init_file.empty(), "--init file needs --init-file PATH");
        run::translating_errors(kOptionNames, [&] { collective_call(w, [&] { (void)stencil::parse_stencil(stencil, dim); }); });
        for (const auto& [key, value] : std::initializer_list<std::pair<const char*, nlohmann::json>>{
                 {"cells", cells}, {"extent", extent}, {"procs", procs}, {"mode", mode}, {"bc", bc}, {"stencil", stencil}})
            options.record(key, value);
    }
};

template <int Dim>
struct Problem {
    std::array<gindex_t, Dim> cells{};
    std::array<double, Dim> extent{}, spacing{};
    std::array<bool, Dim> periodic{};
    stencil::HeatParams<Dim> params;
    gindex_t steps = 0;
};

template <int Dim>
Problem<Dim> make_problem(const HeatConfig& cfg) {
    Problem<Dim> p;
    for (int d = 0; d < Dim; ++d) {
        const auto k = static_cast<std::size_t>(d);
        std::tie(p.cells[d], p.extent[d]) = std::pair(cfg.cells[k], cfg.extent[k]);
        p.spacing[d] = cfg.cells[k] > 0 ? cfg.extent[k] / static_cast<double>(cfg.cells[k]) : 1.0;
        p.params.bc[d] = {grid::parse_boundary_kind(cfg.bc[k]), cfg.bc_value};
        p.periodic[d] = p.params.bc[d].kind == grid::BoundaryKind::periodic;
    }
    auto& q = p.params;
    std::tie(q.alpha, q.spacing, q.stencil) = std::tuple(cfg.alpha, p.spacing, stencil::parse_stencil(cfg.stencil, Dim));
    std::tie(q.allow_unstable, q.check_every, q.time_block) = std::tuple(cfg.allow_unstable, cfg.check_every, cfg.time_block);
    using enum stencil::StoreMode;
    q.store = cfg.stores == "cached" ? cached : cfg.stores == "streaming" ? streaming : automatic;
    p.params.dt = cfg.dt > 0 ? cfg.dt : cfg.cfl * stencil::max_stable_dt(p.params);
    p.steps = cfg.steps;
    if (cfg.final_time > 0) {
        // At least one step; at most 2^53, where step counts stop being exact doubles.
        const double steps = std::ceil(cfg.final_time / p.params.dt - 1e-9);
        TESSERA_CHECK(steps <= 0x1p53, "--time " << cfg.final_time << " needs " << steps << " steps of dt "
                                                  << p.params.dt << "; at most 2^53 are possible");
        p.steps = std::max<gindex_t>(1, static_cast<gindex_t>(steps));
        p.params.dt = cfg.final_time / static_cast<double>(p.steps);
    }
    return p;
}

template <int Dim>
void initialise(const HeatConfig& cfg, const Problem<Dim>& p, grid::Field<double, Dim>& u) {
    ScopedTimer t("heat.init");
    const auto& comm = u.decomp().comm();
    const double radius = 0.1 * *std::min_element(p.extent.begin(), p.extent.end());
    auto dist2 = [&](const std::array<gindex_t, Dim>& g) {  // from the centre of the domain
        double r2 = 0;
        for (int d = 0; d < Dim; ++d) {
            const double x = (static_cast<double>(g[d]) + 0.5) * p.spacing[d] - 0.5 * p.extent[d];
            r2 += x * x;
        }
        return r2;
    };
    if (cfg.init == "sine") {
        u.fill(heat_app::SineMode<Dim>(cfg.mode, p.extent, p.params));
    } else if (cfg.init == "gaussian") {
        u.fill([&](const auto& g) { return std::exp(-dist2(g) / (2 * radius * radius)); });
    } else if (cfg.init == "hotspot") {
        u.fill([&](const auto& g) { return dist2(g) <= radius * radius ? 1.0 : 0.0; });
    } else {
        auto file = collective_call(comm, [&] {
            TESSERA_CHECK(std::filesystem::is_regular_file(cfg.init_file), "--init-file " << cfg.init_file << ": no such file");
            try {
                return io::h5::File::open(comm, cfg.init_file);
            } catch (const std::exception&) {
                throw std::runtime_error("--init-file " + cfg.init_file + ": not an HDF5 file, or unreadable");
            }
        });
        io::read_field<Dim>(file, cfg.init_dataset, u);
    }
}

// 3. Decompose, initialise or restart, step through the run layer's loop.
template <int Dim>
int run_heat(const Runtime& rt, HeatConfig& cfg) {
    const auto& comm = rt.world();
    const auto p = collective_call(comm, [&] { return make_problem<Dim>(cfg); });
    cfg.options.record("dt", p.params.dt), cfg.options.record("steps", p.steps);
    std::array<int, Dim> procs{};
    for (int d = 0; d < Dim; ++d) procs[d] = cfg.procs[static_cast<std::size_t>(d)];
    grid::CartDecomp<Dim> decomp(comm, p.cells, p.periodic, procs);
    const int ghost = stencil::radius(p.params.stencil) * p.params.time_block;
    double cells_per_rank = 1;  // two fields (u and the stepper's next), ghosts included
    for (int d = 0; d < Dim; ++d) cells_per_rank *= static_cast<double>(decomp.owned_box().extent(d) + 2 * ghost);
    std::string what = "--cells";
    for (auto c : cfg.cells) what += ' ' + std::to_string(c);
    check_node_memory(comm, 2.0 * cells_per_rank * sizeof(double), what + " (two fields)");
    grid::Field<double, Dim> u(decomp, ghost);
    stencil::HeatStepper<Dim> stepper(u, p.params);  // checks stability before any output
    const bool benchmark = cfg.options.common().benchmark;
    const auto out = cfg.options.common().output;

    // What a checkpoint holds and must match: the field, and every key that changes the answer.
    const auto resolved = cfg.options.resolved();
    run::Simulation sim;
    std::tie(sim.app, sim.config, sim.state_bytes) = std::tuple("heat", resolved.dump(), 8.0 * decomp.global_box().size());
    for (const char* key : {"dim", "cells", "extent", "alpha", "stencil", "bc", "bc-value", "init", "mode"})
        sim.keys[key] = resolved[key];
    sim.keys["dt"] = p.params.dt;  // JSON keeps doubles round-trip exact: compared bit for bit
    sim.save = [&](io::CheckpointData& data, io::CheckpointMeta& meta) {
        data.add<Dim>("u", u);
        meta.cells.assign(p.cells.begin(), p.cells.end());
    };
    sim.load = [&](io::CheckpointReader& reader) { reader.read<Dim>("u", u); };
    std::optional<io::TimeSeries> series;
    sim.snapshot = [&](gindex_t step) {
        series->write<Dim>(u, step, static_cast<double>(step) * p.params.dt);
        if (!cfg.snapshot_png) return;
        char name[32];
        std::snprintf(name, sizeof name, "heat_%09lld.png", static_cast<long long>(step));
        io::write_png<Dim>(out / "png" / name, u);
    };
    auto schedule = cfg.run.schedule(p.steps, p.params.dt, MPI_Wtime() - rt.elapsed());
    schedule.catch_signals = !benchmark;  // a benchmark has nothing to save
    run::TimeLoop loop(comm, schedule, sim, out / "checkpoints");
    if (!loop.restart(cfg.run.restart)) {
        if (cfg.run.restart == "auto")
            log::info("--restart auto: no checkpoint in ", (out / "checkpoints").string(), "; starting from the initial condition");
        initialise<Dim>(cfg, p, u);
    }
    // Every input is valid: only now may anything be written. A restart continues its folder.
    cfg.options.prepare_output(comm, cfg.run.restarting());
    if (!benchmark) loop.prepare();
    stepper.set_steps_done(loop.step());  // a restart continues the NaN-check schedule
    if (!benchmark && (cfg.run.snapshot_every > 0 || cfg.run.snapshot_time > 0)) {
        io::XdmfGrid g;
        std::tie(g.cells, g.origin, g.spacing) = std::tuple(std::vector<gindex_t>(p.cells.begin(), p.cells.end()),
                                                            std::vector<double>(Dim, 0.0),
                                                            std::vector<double>(p.spacing.begin(), p.spacing.end()));
        series.emplace(comm, out / "snapshots.h5", out / "snapshots.xdmf", g, loop.restarted_from() ? loop.step() : -1);
        if (cfg.snapshot_png) collective_call(comm, [&] { if (comm.rank() == 0) std::filesystem::create_directories(out / "png"); }, 1);
    }
    {
        std::ostringstream os;
        os << "tessera-heat " << version() << ": " << Dim << "D, cells";
        for (auto c : p.cells) os << ' ' << c;
        os << ", process grid";
        for (auto q : decomp.procs()) os << ' ' << q;
        os << ", stencil " << stencil::to_string(p.params.stencil, Dim) << ", alpha " << p.params.alpha << ", dt "
           << p.params.dt << " (stable limit " << stencil::max_stable_dt(p.params) << "), " << p.steps << " steps, init "
           << cfg.init << (p.params.time_block > 1 ? ", " + std::to_string(p.params.time_block) + " steps per pass" : "");
        const auto layout = rt.layout_report();
        log::info(os.str(), "\n", layout.substr(0, layout.size() ? layout.size() - 1 : 0));
        log::verbose("resolved configuration:\n", cfg.options.resolved_toml());
    }

    // Benchmark: the whole run repeated from the initial condition, a triad after each.
    run::Repetitions reps;
    if (benchmark) {
        reps = run::repeat(comm, cfg.repetitions, [&] { initialise<Dim>(cfg, p, u); }, [&] {
            run::Progress progress("heat", p.steps);
            for (gindex_t s = 0; s < p.steps; s += p.params.time_block) {
                stepper.advance(std::min<gindex_t>(p.params.time_block, p.steps - s));
                progress.update(std::min<gindex_t>(s + p.params.time_block, p.steps));
            }
        });
    } else {
        comm.barrier();
        const double t0 = MPI_Wtime();
        loop.run([&](gindex_t n) { stepper.advance(n); }, p.params.time_block);
        reps.seconds.push_back(mpi::allreduce(comm, MPI_Wtime() - t0, MPI_MAX));
    }
    const bool completed = !loop.stopped();
    const gindex_t steps_run = benchmark ? p.steps : loop.step() - loop.start_step();

    // 4. Report: self-check, outputs, rates, timers, summary.json.
    const heat_app::SineMode<Dim> mode(cfg.mode, p.extent, p.params);
    const bool checked = completed && cfg.init == "sine" && mode.exact_for(p.params);
    const auto [e_disc, e_cont] = checked ? mode.errors(u, stepper, p.params, p.steps) : std::pair<double, double>{0, 0};
    const bool passed = !checked || e_disc <= 1e-11 + 50.0 * static_cast<double>(p.steps) * 2.2e-16;
    if (!benchmark && completed) {
        ScopedTimer t("heat.output");
        io::FieldFileInfo info;
        std::tie(info.spacing, info.step, info.time) = std::tuple(std::vector<double>(p.spacing.begin(), p.spacing.end()),
                                                                  p.steps, static_cast<double>(p.steps) * p.params.dt);
        info.text = {{"stencil", stencil::to_string(p.params.stencil, Dim)}, {"config", resolved.dump()}, {"version", version()}};
        info.numbers = {{"alpha", p.params.alpha}, {"dt", p.params.dt}};
        io::write_field_file<Dim>(out / "heat.h5", u, info);
        io::write_png<Dim>(out / "heat.png", u);
    }
    const double updates = static_cast<double>(decomp.global_box().size()) * static_cast<double>(steps_run);
    const double seconds = reps.median_seconds(), rate = seconds > 0 ? updates / seconds : 0.0;
    const double ratio = reps.median_ratio(24.0 * updates);  // bytes at 24 B per cell update
    std::ostringstream os;
    os.precision(4);
    os << "performance: " << rate / 1e9 << " Gcell/s (" << seconds << " s for " << steps_run << " steps, median of "
       << reps.seconds.size() << "), " << 24.0 * rate / 1e9 << " GB/s effective at 24 B/cell";
    if (benchmark)
        os << "\n  triad after each repetition: median " << reps.median_triad() / 1e9 << " GB/s -> plain-store bound "
           << reps.median_triad() / 24.0 / 1e9 << " Gcell/s; ratio " << ratio << " (median of the per-repetition ratios)";
    log::info(os.str());
    log::info(run::timer_table(comm));
    if (checked)
        log::info("self-check: max error vs the exact discrete solution ", e_disc, " (relative to the amplitude), vs the "
                  "continuous solution ", e_cont, ": ", passed ? "PASSED" : "FAILED");
    else if (completed && cfg.init == "sine")
        log::info("self-check: skipped (the sine mode is exact only with --bc-value 0 at Dirichlet walls)");

    auto summary = run::make_summary(rt, cfg.options);
    summary["rate"] = {{"value", rate}, {"unit", "cell-updates/s"}, {"effective_bytes_per_s", 24.0 * rate}};
    if (benchmark) {
        summary["rate"].update({{"triad_bytes_per_s", reps.median_triad()}, {"ratio_to_plain_store_bound", ratio},
                                {"triad_per_repetition", reps.triads}, {"seconds_per_repetition", reps.seconds}});
        summary.update({{"completed", true}, {"step", p.steps}, {"steps", p.steps}});
    } else {
        loop.add_to_summary(summary);
    }
    const gindex_t step = benchmark ? p.steps : loop.step();
    summary.update({{"dt", p.params.dt}, {"time", static_cast<double>(step) * p.params.dt}, {"process_grid", decomp.procs()}});
    const std::string note = !completed ? "stopped at step " + std::to_string(step) + " before the end"
                             : cfg.init != "sine" ? "no exact solution for init " + cfg.init
                                                  : "no exact solution for init sine with --bc-value " +
                                                        std::to_string(cfg.bc_value) + " at Dirichlet walls";
    summary["check"] = checked ? nlohmann::json{{"passed", passed}, {"error_discrete", e_disc}, {"error_continuous", e_cont}}
                               : nlohmann::json{{"passed", true}, {"note", note}};
    run::write_json(comm, out / "summary.json", summary);
    if (!benchmark && completed) log::info("wrote ", (out / "heat.h5").string(), ", heat.xdmf, heat.png, summary.json");
    if (!completed) log::info("stopped at step ", step, " of ", p.steps, " (", loop.stop_reason(), "); continue with --restart auto");
    return completed && !passed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    ::umask(::umask(0) | S_IWOTH);  // nothing this program creates is writable by others
    tessera::Runtime runtime(argc, argv);                                   // 1. MPI + OpenMP
    return tessera::run_guarded(runtime, [&] {
        HeatConfig cfg;
        cfg.parse(runtime, argc, argv);                                     // 2. same argv on all ranks
        return tessera::run::translating_errors(kOptionNames, [&] {          // 3-4. run and report
            return cfg.dim == 2 ? run_heat<2>(runtime, cfg) : run_heat<3>(runtime, cfg);
        });
    });
}
