// tessera-heat: explicit heat equation u_t = alpha * lap(u) on a Cartesian-decomposed 2D/3D grid.
// Sample runs:  mpirun -np 4 tessera-heat --config data/heat/small.toml
//               mpirun -np 2 tessera-heat --dim 3 --cells 128 128 128 --steps 200
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <numbers>
#include <optional>
#include <sstream>
#include <thread>

#include <tessera/run/signals.hpp>
#include <tessera/io/checkpoint.hpp>
#include <tessera/io/time_series.hpp>
#include <tessera/tessera.hpp>

namespace {

using namespace tessera;
constexpr double pi = std::numbers::pi;

struct HeatConfig {
    int dim = 2;
    std::vector<gindex_t> cells;
    std::vector<double> extent;
    std::vector<int> procs;
    double alpha = 1.0;
    double dt = 0.0;
    double cfl = 0.9;
    gindex_t steps = 2000;
    double final_time = 0.0;
    std::vector<std::string> bc{"dirichlet"};
    double bc_value = 0.0;
    std::string init = "sine";
    std::string init_file;
    std::string init_dataset = "/u";
    std::vector<int> mode;
    std::string stencil;
    int check_every = 100;
    bool allow_unstable = false;
    int repetitions = 3;
    int time_block = 1;
    std::string stores = "auto";
    gindex_t checkpoint_every = 0;
    double checkpoint_interval = 0;
    int keep_checkpoints = 2;
    std::string restart;
    double max_wall_time = 0;
    double watchdog = 0;
    gindex_t snapshot_every = 0;
    double snapshot_time = 0;
    bool snapshot_png = false;

    run::AppOptions options{"heat", "Explicit heat/diffusion equation on a 2D or 3D grid (MPI + OpenMP)"};

    HeatConfig() {
        auto& c = options.cli();
        c.add_option("--dim", dim, "Dimensions")->check(CLI::IsMember({2, 3}));
        c.add_option("--cells", cells, "Cells per axis: NX NY [NZ] (default 512 512, or 64 64 64 in 3D)")
            ->expected(2, 3);
        c.add_option("--extent", extent, "Domain lengths per axis (default 1 each)")->expected(2, 3);
        c.add_option("--procs", procs, "Process grid PX PY [PZ] (0 = choose)")->expected(2, 3);
        c.add_option("--alpha", alpha, "Diffusivity")->check(CLI::PositiveNumber);
        c.add_option("--dt", dt, "Time step (0: cfl times the largest stable step)")
            ->check(CLI::NonNegativeNumber);
        c.add_option("--cfl", cfl, "Time step as a fraction of the stability limit")
            ->check(CLI::PositiveNumber);
        c.add_option("--steps", steps, "Time steps")->check(CLI::PositiveNumber);
        c.add_option("--time", final_time, "Final time (overrides --steps; dt shrinks to land on it)")
            ->check(CLI::NonNegativeNumber);
        c.add_option("--bc", bc, "Boundary condition, one for all axes or one per axis: dirichlet, "
                                 "neumann or periodic")
            ->expected(1, 3)
            ->check(CLI::IsMember({"dirichlet", "neumann", "periodic"}));
        c.add_option("--bc-value", bc_value, "Wall value for Dirichlet boundaries");
        c.add_option("--init", init, "Initial condition")
            ->check(CLI::IsMember({"sine", "gaussian", "hotspot", "file"}));
        c.add_option("--init-file", init_file, "HDF5 file for --init file");
        c.add_option("--init-dataset", init_dataset, "Dataset in --init-file");
        c.add_option("--mode", mode, "Mode numbers of the sine initial condition per axis (default 1)")
            ->expected(2, 3);
        c.add_option("--stencil", stencil, "5pt or 9pt (2D), 7pt or 27pt (3D), star1..star4 "
                                           "(default 5pt / 7pt)");
        c.add_option("--check-every", check_every, "Check for NaN/Inf every N steps (0: never)")
            ->check(CLI::NonNegativeNumber);
        c.add_flag("--allow-unstable", allow_unstable, "Run even if dt exceeds the stability limit");
        c.add_option("--time-block", time_block,
                     "Steps per pass over memory (temporal blocking; star stencils)")
            ->check(CLI::Range(1, 16));
        c.add_option("--stores", stores, "Result stores: auto (streaming for grids beyond the caches), "
                                         "cached, or streaming (non-temporal)")
            ->check(CLI::IsMember({"auto", "cached", "streaming"}));
        c.add_option("--repetitions", repetitions, "Timed repetitions in --benchmark mode")
            ->check(CLI::PositiveNumber);
        c.add_option("--checkpoint-every", checkpoint_every,
                     "Write a checkpoint every N steps into OUTPUT/checkpoints (0: never)")
            ->check(CLI::NonNegativeNumber);
        c.add_option("--checkpoint-interval", checkpoint_interval,
                     "Write a checkpoint every SECONDS of wall time (0: never)")
            ->check(CLI::NonNegativeNumber);
        c.add_option("--keep-checkpoints", keep_checkpoints, "Checkpoints kept (the newest K)")
            ->check(CLI::PositiveNumber);
        c.add_option("--restart", restart,
                     "auto: continue from the newest checkpoint in OUTPUT/checkpoints that verifies "
                     "(the initial condition if there is none); PATH: from that checkpoint");
        c.add_option("--max-wall-time", max_wall_time,
                     "Checkpoint and stop (exit 0, completed false) before SECONDS of wall time")
            ->check(CLI::NonNegativeNumber);
        c.add_option("--watchdog", watchdog,
                     "End the job (exit 1, one line per stuck rank) when a rank completes no step or "
                     "checkpoint for SECONDS (0: off); set it above the longest step or checkpoint write")
            ->check(CLI::NonNegativeNumber);
        c.add_option("--snapshot-every", snapshot_every,
                     "Add the field to OUTPUT/snapshots.h5 (+ snapshots.xdmf) every N steps (0: never)")
            ->check(CLI::NonNegativeNumber);
        c.add_option("--snapshot-time", snapshot_time,
                     "Also snapshot at the first step on or after every multiple of T simulated "
                     "seconds (0: never)")
            ->check(CLI::NonNegativeNumber);
        c.add_flag("--snapshot-png", snapshot_png, "Also write OUTPUT/png/heat_<step>.png per snapshot");
        c.footer(
            "Exit codes: 0 finished (summary.json \"completed\": true), or stopped on SIGTERM, SIGUSR1, "
            "SIGINT or --max-wall-time after writing a checkpoint (\"completed\": false; resubmit with "
            "--restart auto); 1 runtime failure or failed self-check; 2 usage or input error (nothing "
            "written). See docs/io.md.");
    }

    // Collective: parses and checks everything that needs no allocation.
    void parse(const Runtime& rt, int argc, char** argv) {
        options.parse(rt.world(), argc, argv);
        const auto& w = rt.world();
        if (cells.empty()) cells = dim == 2 ? std::vector<gindex_t>{512, 512} : std::vector<gindex_t>{64, 64, 64};
        if (extent.empty()) extent.assign(static_cast<std::size_t>(dim), 1.0);
        if (procs.empty()) procs.assign(static_cast<std::size_t>(dim), 0);
        if (mode.empty()) mode.assign(static_cast<std::size_t>(dim), 1);
        if (bc.size() == 1) bc.assign(static_cast<std::size_t>(dim), bc.front());
        if (stencil.empty()) stencil = dim == 2 ? "5pt" : "7pt";
        auto count_ok = [&](std::size_t n) { return n == static_cast<std::size_t>(dim); };
        TESSERA_CHECK_ALL(w, count_ok(cells.size()), "--cells: give " << dim << " values for --dim " << dim);
        TESSERA_CHECK_ALL(w, count_ok(extent.size()), "--extent: give " << dim << " values for --dim " << dim);
        TESSERA_CHECK_ALL(w, count_ok(procs.size()), "--procs: give " << dim << " values for --dim " << dim);
        TESSERA_CHECK_ALL(w, count_ok(mode.size()), "--mode: give " << dim << " values for --dim " << dim);
        TESSERA_CHECK_ALL(w, count_ok(bc.size()), "--bc: give 1 or " << dim << " values for --dim " << dim);
        // CLI11's number checks let nan and inf through; none of these may be either.
        auto finite = [&](const char* option, double v) {
            TESSERA_CHECK_ALL(w, std::isfinite(v), option << ": must be a finite number, got " << v);
        };
        for (auto e : extent) finite("--extent", e);
        const std::pair<const char*, double> numbers[] = {
            {"--alpha", alpha},       {"--dt", dt},
            {"--cfl", cfl},           {"--time", final_time},
            {"--bc-value", bc_value}, {"--snapshot-time", snapshot_time},
            {"--checkpoint-interval", checkpoint_interval}, {"--max-wall-time", max_wall_time},
            {"--watchdog", watchdog}};
        for (const auto& [option, v] : numbers) finite(option, v);
        for (auto e : extent) TESSERA_CHECK_ALL(w, e > 0, "--extent: lengths must be positive, got " << e);
        for (auto m : mode) TESSERA_CHECK_ALL(w, m >= 1, "--mode: mode numbers must be >= 1, got " << m);
        TESSERA_CHECK_ALL(w, init != "file" || !init_file.empty(), "--init file needs --init-file PATH");
        TESSERA_CHECK_ALL(w, !options.common().benchmark ||
                                 (restart.empty() && checkpoint_every == 0 && checkpoint_interval == 0 &&
                                  snapshot_every == 0 && snapshot_time == 0 && max_wall_time == 0),
                          "--benchmark runs without --restart, --checkpoint-*, --snapshot-every and "
                          "--max-wall-time");
        collective_call(w, [&] { (void)stencil::parse_stencil(stencil, dim); });
        options.record("cells", cells);
        options.record("extent", extent);
        options.record("procs", procs);
        options.record("mode", mode);
        options.record("bc", bc);
        options.record("stencil", stencil);
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
        p.cells[d] = cfg.cells[k];
        p.extent[d] = cfg.extent[k];
        p.spacing[d] = cfg.cells[k] > 0 ? cfg.extent[k] / static_cast<double>(cfg.cells[k]) : 1.0;
        p.params.bc[d].kind = grid::parse_boundary_kind(cfg.bc[k]);
        p.params.bc[d].value = cfg.bc_value;
        p.periodic[d] = p.params.bc[d].kind == grid::BoundaryKind::periodic;
    }
    p.params.alpha = cfg.alpha;
    p.params.spacing = p.spacing;
    p.params.stencil = stencil::parse_stencil(cfg.stencil, Dim);
    p.params.allow_unstable = cfg.allow_unstable;
    p.params.check_every = cfg.check_every;
    p.params.time_block = cfg.time_block;
    p.params.store = cfg.stores == "cached"      ? stencil::StoreMode::cached
                     : cfg.stores == "streaming" ? stencil::StoreMode::streaming
                                                 : stencil::StoreMode::automatic;
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

// Per-axis factor of the sine initial condition, chosen so that it is an exact eigenvector of
// the discrete operator with this boundary condition; theta is its phase per cell.
struct AxisMode {
    double wavenumber;  // continuous k: the factor is sin or cos of k x
    bool cosine;
};

template <int Dim>
std::array<AxisMode, Dim> axis_modes(const HeatConfig& cfg, const Problem<Dim>& p) {
    std::array<AxisMode, Dim> m{};
    for (int d = 0; d < Dim; ++d) {
        const double k = cfg.mode[static_cast<std::size_t>(d)] * pi / p.extent[d];
        switch (p.params.bc[d].kind) {
        case grid::BoundaryKind::dirichlet: m[d] = {k, false}; break;
        case grid::BoundaryKind::neumann: m[d] = {k, true}; break;
        case grid::BoundaryKind::periodic: m[d] = {2 * k, false}; break;
        }
    }
    return m;
}

template <int Dim>
double sine_value(const std::array<AxisMode, Dim>& m, const std::array<double, Dim>& h,
                  const std::array<gindex_t, Dim>& g) {
    double v = 1.0;
    for (int d = 0; d < Dim; ++d) {
        const double x = (static_cast<double>(g[d]) + 0.5) * h[d];
        v *= m[d].cosine ? std::cos(m[d].wavenumber * x) : std::sin(m[d].wavenumber * x);
    }
    return v;
}

template <int Dim>
void initialise(const HeatConfig& cfg, const Problem<Dim>& p, grid::Field<double, Dim>& u,
                const mpi::Comm& comm) {
    ScopedTimer t("heat.init");
    const auto h = p.spacing;
    double min_extent = p.extent[0];
    for (int d = 1; d < Dim; ++d) min_extent = std::min(min_extent, p.extent[d]);
    const double radius = 0.1 * min_extent;
    auto dist2 = [&](const std::array<gindex_t, Dim>& g) {
        double r2 = 0;
        for (int d = 0; d < Dim; ++d) {
            const double x = (static_cast<double>(g[d]) + 0.5) * h[d] - 0.5 * p.extent[d];
            r2 += x * x;
        }
        return r2;
    };
    if (cfg.init == "sine") {
        const auto m = axis_modes<Dim>(cfg, p);
        u.fill([&](const auto& g) { return sine_value<Dim>(m, h, g); });
    } else if (cfg.init == "gaussian") {
        u.fill([&](const auto& g) { return std::exp(-dist2(g) / (2 * radius * radius)); });
    } else if (cfg.init == "hotspot") {
        u.fill([&](const auto& g) { return dist2(g) <= radius * radius ? 1.0 : 0.0; });
    } else {
        collective_call(comm, [&] {
            TESSERA_CHECK(std::filesystem::is_regular_file(cfg.init_file),
                          "--init-file " << cfg.init_file << ": no such file");
        });
        auto file = collective_call(comm, [&] {
            try {
                return io::h5::File::open(comm, cfg.init_file);
            } catch (const std::exception&) {
                throw std::runtime_error("--init-file " + cfg.init_file + ": not an HDF5 file, or unreadable");
            }
        });
        io::read_field<Dim>(file, cfg.init_dataset, u);
    }
}

struct Outcome {
    double seconds = 0;       // stepping wall time (max over ranks)
    double error_discrete = 0, error_continuous = 0;
    bool checked = false, passed = true;
    double triad = 0;         // bytes/s, benchmark mode only: median of the per-repetition triads
    double ratio = 0;         // benchmark mode only: median over repetitions of 24 B x rate / triad
};

// The sine mode is an exact eigenvector of the discrete scheme only with homogeneous walls.
template <int Dim>
bool has_exact_solution(const HeatConfig& cfg, const Problem<Dim>& p) {
    if (cfg.init != "sine") return false;
    for (int d = 0; d < Dim; ++d)
        if (p.params.bc[d].kind == grid::BoundaryKind::dirichlet && p.params.bc[d].value != 0.0) return false;
    return true;
}

template <int Dim>
std::pair<double, double> self_check(const HeatConfig& cfg, const Problem<Dim>& p,
                                     const stencil::HeatStepper<Dim>& stepper,
                                     const grid::Field<double, Dim>& u, const mpi::Comm& comm) {
    const auto m = axis_modes<Dim>(cfg, p);
    std::array<double, Dim> theta{};
    double k2 = 0;
    for (int d = 0; d < Dim; ++d) {
        theta[d] = m[d].wavenumber * p.spacing[d];
        k2 += m[d].wavenumber * m[d].wavenumber;
    }
    const double n = static_cast<double>(p.steps);
    const double discrete = std::pow(stepper.amplification(theta), n);
    const double continuous = std::exp(-p.params.alpha * k2 * n * p.params.dt);
    double e_disc = 0, e_cont = 0;
    int non_finite = 0;  // std::max would drop a NaN error
    const auto b = u.owned_box();
    const auto v = u.view();
    for (index_t r = 0; r < box_rows(b); ++r) {
        const double* row = row_begin(v, b, r);
        std::array<gindex_t, Dim> g{};
        g[1] = b.lo[1] + (Dim == 2 ? r : r % b.extent(1));
        if constexpr (Dim == 3) g[2] = b.lo[2] + r / b.extent(1);
        for (gindex_t i = 0; i < b.extent(0); ++i) {
            g[0] = b.lo[0] + i;
            const double shape = sine_value<Dim>(m, p.spacing, g);
            non_finite |= !std::isfinite(row[i]);
            e_disc = std::max(e_disc, std::abs(row[i] - discrete * shape));
            e_cont = std::max(e_cont, std::abs(row[i] - continuous * shape));
        }
    }
    if (mpi::allreduce(comm, non_finite, MPI_MAX) != 0) {
        const double inf = std::numeric_limits<double>::infinity();
        return {inf, inf};
    }
    // Max-norm errors relative to the largest amplitude of the discrete solution: the initial 1,
    // or the final one if the mode grew. Round-off made while the mode was large does not
    // shrink with it (a fast-decaying mode would otherwise fail on errors of 1e-18).
    const double scale = std::max(1.0, std::abs(discrete));
    return {mpi::allreduce(comm, e_disc, MPI_MAX) / scale, mpi::allreduce(comm, e_cont, MPI_MAX) / scale};
}

template <int Dim>
void write_outputs(const Runtime& rt, const HeatConfig& cfg, const Problem<Dim>& p,
                   const grid::Field<double, Dim>& u, gindex_t step) {
    ScopedTimer t("heat.output");
    const auto& comm = rt.world();
    const auto dir = cfg.options.common().output;
    const auto h5_path = dir / "heat.h5";
    const auto tmp = dir / "heat.h5.tmp";
    const double time = static_cast<double>(step) * p.params.dt;
    {
        auto file = collective_call(comm, [&] { return io::h5::File::create(comm, tmp); }, 1);
        io::write_field<Dim>(file, "/u", u);
        const hid_t f = file.get();
        io::h5::write_attribute(f, "time", time);
        io::h5::write_attribute(f, "step", static_cast<long long>(step));
        io::h5::write_attribute(f, "spacing", std::vector<double>(p.spacing.begin(), p.spacing.end()));
        io::h5::write_attribute(f, "origin", std::vector<double>(Dim, 0.0));
        io::h5::write_attribute(f, "alpha", p.params.alpha);
        io::h5::write_attribute(f, "dt", p.params.dt);
        io::h5::write_attribute(f, "stencil", stencil::to_string(p.params.stencil, Dim));
        io::h5::write_attribute(f, "config", cfg.options.resolved().dump());
        io::h5::write_attribute(f, "version", version());
        file.close();
    }
    collective_call(
        comm,
        [&] {
            if (comm.rank() != 0) return;
            std::filesystem::rename(tmp, h5_path);
            io::XdmfGrid g;
            g.h5_file = "heat.h5";
            g.dataset = "/u";
            g.cells.assign(p.cells.begin(), p.cells.end());
            g.origin.assign(Dim, 0.0);
            g.spacing.assign(p.spacing.begin(), p.spacing.end());
            g.time = time;
            io::write_xdmf(dir / "heat.xdmf", {g});
        },
        1);
    io::write_png<Dim>(dir / "heat.png", u);
}

// Keys of the resolved configuration that define the problem: a checkpoint continues only a
// run with the same values (rank count, threads, steps and output options may change).
constexpr const char* kPhysicsKeys[] = {"dim", "cells", "extent", "alpha", "dt", "stencil", "bc",
                                        "bc-value", "init", "mode"};

// Collective: throws CollectiveError (exit 2) naming the first difference between the
// checkpoint's problem and this run's.
template <int Dim>
void check_compatible(const mpi::Comm& comm, const HeatConfig& cfg, const Problem<Dim>& p,
                      const io::CheckpointMeta& meta, const std::filesystem::path& path) {
    collective_call(comm, [&] {
        const std::string where = "--restart " + path.string() + ": ";
        if (meta.app != "heat") throw std::runtime_error(where + "written by '" + meta.app + "', not heat");
        nlohmann::json theirs;
        try {
            theirs = nlohmann::json::parse(meta.config);
        } catch (const std::exception&) {
            throw std::runtime_error(where + "its configuration is not valid JSON");
        }
        const auto ours = cfg.options.resolved();
        for (const char* key : kPhysicsKeys) {
            const auto t = theirs.contains(key) ? theirs[key] : nlohmann::json();
            if (t != ours[key])
                throw std::runtime_error(where + key + " differs: the checkpoint has " + t.dump() +
                                         ", this run " + ours[key].dump());
        }
        // Bit for bit, beyond what a decimal rendering shows.
        if (std::memcmp(&meta.dt, &p.params.dt, sizeof(double)) != 0)
            throw std::runtime_error(where + "dt differs in its last bits");
        if (meta.step > p.steps)
            throw std::runtime_error(where + "the checkpoint is at step " + std::to_string(meta.step) +
                                     ", beyond this run's " + std::to_string(p.steps) + " steps");
    });
}

struct Restart {
    std::filesystem::path path;                       // the checkpoint used
    gindex_t step = 0;
    std::vector<std::filesystem::path> rejected;      // newer ones that failed to verify
};

// Collective: loads u from the checkpoint that --restart names, or returns nothing for
// --restart auto without any checkpoint. Corrupt or truncated files are skipped under auto
// (with a warning); anything else wrong is an input error (exit 2).
template <int Dim>
std::optional<Restart> load_restart(const mpi::Comm& comm, const HeatConfig& cfg, const Problem<Dim>& p,
                                    grid::Field<double, Dim>& u) {
    ScopedTimer t("heat.restart");
    const auto dir = cfg.options.common().output / "checkpoints";
    const bool automatic = cfg.restart == "auto";
    std::vector<std::filesystem::path> candidates;
    if (automatic) {
        // Rank 0 decides what exists, so every rank walks the same list.
        std::string names;
        if (comm.rank() == 0)
            for (const auto& c : io::list_checkpoints(dir)) names += c.string() + "\n";
        names = mpi::bcast(comm, names, 0);
        std::istringstream in(names);
        for (std::string line; std::getline(in, line);) candidates.emplace_back(line);
        if (candidates.empty()) {
            log::info("--restart auto: no checkpoint in ", dir.string(), "; starting from the initial condition");
            return std::nullopt;
        }
    } else {
        candidates.emplace_back(cfg.restart);
    }
    Restart r;
    std::string first_reason;
    for (const auto& path : candidates) {
        // Under auto, a damaged file (unopenable, truncated, failing its checksums) is skipped;
        // a sound checkpoint of another problem is an error: the command is wrong.
        std::optional<io::CheckpointReader> reader;
        std::string damage;
        try {
            reader.emplace(comm, path);
        } catch (const CollectiveError& e) {
            if (!automatic) throw;
            damage = e.what();
        }
        if (damage.empty()) {
            check_compatible<Dim>(comm, cfg, p, reader->meta(), path);
            try {
                reader->read<Dim>("u", u);
                reader->close();
            } catch (const CollectiveError& e) {
                if (!automatic) throw;
                damage = e.what();
            }
        }
        if (!damage.empty()) {
            log::warn("checkpoint ", path.string(), " is unusable (", damage, "); falling back to an older one");
            if (first_reason.empty()) first_reason = damage;
            r.rejected.push_back(path);
            continue;
        }
        r.path = path;
        r.step = reader->meta().step;
        log::info("restarting from ", path.string(), " at step ", r.step, " (written by tessera ",
                  reader->meta().version, ")");
        return r;
    }
    TESSERA_CHECK_ALL(comm, false, "--restart auto: none of the " << candidates.size() << " checkpoints in "
                                      << dir.string() << " verifies (newest: " << first_reason << ")");
    return std::nullopt;
}

// Collective: after prepare_output_dir, makes OUTPUT/checkpoints and proves both directories
// writable now, so that a run never computes for hours to fail at its first write. Moves
// checkpoints that failed to verify, and temporary files a crash left, out of the way.
void prepare_checkpoint_dir(const mpi::Comm& comm, const std::filesystem::path& out,
                            const std::vector<std::filesystem::path>& rejected) {
    namespace fs = std::filesystem;
    collective_call(comm, [&] {
        if (comm.rank() != 0) return;
        const auto dir = out / "checkpoints";
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) throw std::runtime_error("--output " + out.string() + ": cannot create " + dir.string() + ": " + ec.message());
        for (const auto& d : {out, dir}) {
            const auto probe = d / ".tessera-write-test";
            std::FILE* f = std::fopen(probe.c_str(), "w");
            if (!f) throw std::runtime_error("--output " + out.string() + ": cannot write in " + d.string() + ": " +
                                             std::strerror(errno));
            std::fclose(f);
            fs::remove(probe, ec);
        }
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            if (entry.path().extension() == ".tmp") {
                log::warn("removing ", entry.path().string(), ", left by an interrupted checkpoint write");
                fs::remove(entry.path(), ec);
            }
        }
        for (const auto& r : rejected) {
            fs::rename(r, r.string() + ".corrupt", ec);
            if (!ec) log::warn("moved ", r.string(), " to ", r.filename().string(), ".corrupt");
        }
    });
}

// Collective: refuses (exit 2) a grid whose two fields (u and the stepper's next) cannot fit in
// a node's memory, before anything is allocated.
template <int Dim>
void check_memory(const mpi::Comm& comm, const HeatConfig& cfg, const grid::CartDecomp<Dim>& decomp, int ghost) {
    const auto owned = decomp.owned_box();
    double cells = 1;
    for (int d = 0; d < Dim; ++d) cells *= static_cast<double>(owned.extent(d) + 2 * ghost);
    std::ostringstream what;
    what << "--cells";
    for (auto c : cfg.cells) what << ' ' << c;
    what << " (two fields)";
    check_node_memory(comm, 2.0 * cells * sizeof(double), what.str());
}

template <int Dim>
io::XdmfGrid xdmf_geometry(const Problem<Dim>& p) {
    io::XdmfGrid g;
    g.cells.assign(p.cells.begin(), p.cells.end());
    g.origin.assign(Dim, 0.0);
    g.spacing.assign(p.spacing.begin(), p.spacing.end());
    return g;
}

template <int Dim>
int run_heat(const Runtime& rt, HeatConfig& cfg) {
    const auto& comm = rt.world();
    const auto p = collective_call(comm, [&] { return make_problem<Dim>(cfg); });
    cfg.options.record("dt", p.params.dt);
    cfg.options.record("steps", p.steps);
    std::array<int, Dim> procs{};
    for (int d = 0; d < Dim; ++d) procs[d] = cfg.procs[static_cast<std::size_t>(d)];
    grid::CartDecomp<Dim> decomp(comm, p.cells, p.periodic, procs);
    const int ghost = stencil::radius(p.params.stencil) * p.params.time_block;
    check_memory<Dim>(comm, cfg, decomp, ghost);
    grid::Field<double, Dim> u(decomp, ghost);
    stencil::HeatStepper<Dim> stepper(u, p.params);  // checks stability before any output
    const bool benchmark = cfg.options.common().benchmark;
    const auto out_dir = cfg.options.common().output;
    std::optional<Restart> restart;
    if (!cfg.restart.empty()) restart = load_restart<Dim>(comm, cfg, p, u);
    if (!restart) initialise<Dim>(cfg, p, u, comm);
    const gindex_t start = restart ? restart->step : 0;
    // Every input is valid: only now may anything be written. A restart continues its own
    // output directory.
    run::prepare_output_dir(comm, out_dir, cfg.options.common().overwrite || !cfg.restart.empty());
    if (!benchmark) prepare_checkpoint_dir(comm, out_dir, restart ? restart->rejected : std::vector<std::filesystem::path>{});

    // Banner: configuration and layout.
    {
        std::ostringstream os;
        os << "tessera-heat " << version() << ": " << Dim << "D, cells";
        for (auto c : p.cells) os << ' ' << c;
        os << ", process grid";
        for (auto q : decomp.procs()) os << ' ' << q;
        os << ", stencil " << stencil::to_string(p.params.stencil, Dim) << ", alpha " << p.params.alpha
           << ", dt " << p.params.dt << " (stable limit " << stencil::max_stable_dt(p.params) << "), "
           << p.steps << " steps, init " << cfg.init;
        if (p.params.time_block > 1) os << ", " << p.params.time_block << " steps per pass";
        log::info(os.str());
        const auto layout = rt.layout_report();
        log::info(layout.substr(0, layout.size() ? layout.size() - 1 : 0));
        log::verbose("resolved configuration:\n", cfg.options.resolved_toml());
    }

    Outcome out;
    const int reps = benchmark ? cfg.repetitions : 1;
    std::vector<double> times, triads;
    // Benchmark: a triad right after each timed repetition, so that each rate is divided by the
    // bandwidth of the same moment (the machine's available bandwidth drifts).
    std::optional<run::TriadProbe> probe;
    if (benchmark) probe.emplace(comm);
    gindex_t step = start;
    stepper.set_steps_done(start);  // a restart continues the NaN-check schedule
    std::string stop_reason;
    std::filesystem::path last_checkpoint;
    int checkpoints_written = 0;
    double checkpoint_seconds = 0, checkpoint_bytes = 0;
    std::optional<run::StopSignals> signals;
    if (!benchmark) signals.emplace();
    std::optional<io::TimeSeries> series;
    // Snapshots by simulated time: the first step on or after k * T, for k = 1, 2, ...; a
    // function of the step alone, so a restarted run takes them at the same steps.
    auto next_time_snapshot = [&](gindex_t after) -> gindex_t {
        if (cfg.snapshot_time <= 0) return std::numeric_limits<gindex_t>::max();
        const double per = cfg.snapshot_time / p.params.dt;  // steps per period, not integral
        if (per <= 1.0) return after + 1;  // a period no longer than a step: every step
        auto first_at = [&](gindex_t k) { return std::ceil(static_cast<double>(k) * per - 1e-9); };
        gindex_t k = static_cast<gindex_t>(std::floor(static_cast<double>(after) / per)) + 1;
        while (first_at(k) <= static_cast<double>(after)) ++k;  // at most twice: per > 1
        const double at = first_at(k);
        return at > static_cast<double>(p.steps) ? std::numeric_limits<gindex_t>::max() : static_cast<gindex_t>(at);
    };
    gindex_t time_snapshot = next_time_snapshot(start);
    if (cfg.snapshot_every > 0 || cfg.snapshot_time > 0) {
        series.emplace(comm, out_dir / "snapshots.h5", out_dir / "snapshots.xdmf", xdmf_geometry<Dim>(p),
                       restart ? start : -1);
        if (cfg.snapshot_png)
            collective_call(comm, [&] {
                if (comm.rank() == 0) std::filesystem::create_directories(out_dir / "png");
            }, 1);
    }
    auto snapshot = [&] {
        series->write<Dim>(u, step, static_cast<double>(step) * p.params.dt);
        if (cfg.snapshot_png) {
            char name[32];
            std::snprintf(name, sizeof name, "heat_%09lld.png", static_cast<long long>(step));
            io::write_png<Dim>(out_dir / "png" / name, u);
        }
    };
    const auto chk_dir = out_dir / "checkpoints";
    auto checkpoint = [&] {
        io::CheckpointMeta meta;
        meta.step = step;
        meta.time = static_cast<double>(step) * p.params.dt;
        meta.dt = p.params.dt;
        meta.app = "heat";
        meta.config = cfg.options.resolved().dump();
        meta.version = version();
        meta.cells.assign(p.cells.begin(), p.cells.end());
        const auto stats = io::write_checkpoint<Dim>(comm, chk_dir, {{"u", &u}}, meta, cfg.keep_checkpoints);
        const double seconds = stats.write_seconds + stats.sync_seconds;
        last_checkpoint = io::checkpoint_path(chk_dir, step);
        ++checkpoints_written;
        checkpoint_seconds += seconds;
        checkpoint_bytes += static_cast<double>(stats.bytes);
        log::info("checkpoint ", last_checkpoint.string(), " at step ", step, ": ",
                  static_cast<double>(stats.bytes) / 1e6, " MB in ", seconds, " s (write ", stats.write_seconds,
                  " s, fsync ", stats.sync_seconds, " s)");
        return seconds;
    };

    run::Watchdog watchdog(cfg.watchdog, comm.rank(), "completed step");
    watchdog.kick(step);
    // Test hook: the last rank stops making progress (sleeps) after this step; others wait for it.
    const char* hang_hook = std::getenv("TESSERA_TEST_HANG_AFTER_STEP");
    const gindex_t hang_after = hang_hook ? std::atoll(hang_hook) : -1;
    for (int rep = 0; rep < reps; ++rep) {
        if (rep > 0) initialise<Dim>(cfg, p, u, comm);  // same work every repetition
        run::Progress progress("heat", p.steps);
        comm.barrier();
        const double t0 = MPI_Wtime();
        const gindex_t chunk = p.params.time_block;
        if (benchmark) {
            // Whole temporal blocks per call; progress between them.
            for (gindex_t s = 0; s < p.steps; s += chunk) {
                stepper.advance(std::min(chunk, p.steps - s));
                progress.update(std::min(s + chunk, p.steps));
            }
            step = p.steps;
        } else {
            if (series && !restart) snapshot();  // the initial condition
            double last_checkpoint_wall = MPI_Wtime();
            double last_write_seconds = 0;
            const double bytes = static_cast<double>(decomp.global_box().size()) * sizeof(double);
            while (step < p.steps) {
                // Advance to the next step where something is due (whole blocks where possible).
                gindex_t target = p.steps;
                if (cfg.checkpoint_every > 0) target = std::min(target, (step / cfg.checkpoint_every + 1) * cfg.checkpoint_every);
                if (cfg.snapshot_every > 0) target = std::min(target, (step / cfg.snapshot_every + 1) * cfg.snapshot_every);
                target = std::min(target, time_snapshot);
                const double before = MPI_Wtime();
                stepper.advance(std::min(chunk, target - step));
                step += std::min(chunk, target - step);
                watchdog.kick(step);
                while (hang_after >= 0 && step >= hang_after && comm.rank() == comm.size() - 1)
                    std::this_thread::sleep_for(std::chrono::seconds(1));
                progress.update(step);
                // Stop early enough for two more passes, twice the last checkpoint's write time
                // (before the first write, 0.1 s plus a slow disk: 100 MB/s) and 1 s for the summary and
                // shutdown.
                const double now = MPI_Wtime();
                const double write_estimate = last_write_seconds > 0 ? last_write_seconds : 0.1 + bytes / 1e8;
                const bool time_up = cfg.max_wall_time > 0 &&
                                     rt.elapsed() + 2 * (now - before) + 2 * write_estimate + 1.0 >= cfg.max_wall_time;
                const bool interval = cfg.checkpoint_interval > 0 && now - last_checkpoint_wall >= cfg.checkpoint_interval;
                const auto request = run::agree_stop(comm, time_up, interval);  // one collective
                if (request.stop()) {
                    stop_reason = request.signal ? run::signal_name(request.signal) : "--max-wall-time";
                    log::info(stop_reason, ": checkpointing at step ", step, " of ", p.steps, " and stopping");
                }
                const bool by_time = step == time_snapshot;
                if (by_time) time_snapshot = next_time_snapshot(step);
                if ((cfg.snapshot_every > 0 && step % cfg.snapshot_every == 0) || by_time) snapshot();
                const bool due = (cfg.checkpoint_every > 0 && step % cfg.checkpoint_every == 0) ||
                                 request.checkpoint || request.stop();
                if (due) {
                    last_write_seconds = checkpoint();
                    watchdog.kick(step);
                    last_checkpoint_wall = MPI_Wtime();
                }
                if (request.stop()) break;
            }
        }
        const double local = MPI_Wtime() - t0;
        progress.finish();
        times.push_back(mpi::allreduce(comm, local, MPI_MAX));
        if (probe) triads.push_back(probe->measure(3));
        if (rep + 1 == reps && step == p.steps && has_exact_solution(cfg, p)) {
            std::tie(out.error_discrete, out.error_continuous) = self_check<Dim>(cfg, p, stepper, u, comm);
            out.checked = true;
            const double tol = 1e-11 + 50.0 * static_cast<double>(p.steps) * 2.2e-16;
            out.passed = out.error_discrete <= tol;
        }
    }
    const bool completed = step == p.steps;
    const double cells_total = static_cast<double>(decomp.global_box().size());
    const gindex_t steps_run = benchmark ? p.steps : step - start;
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.empty() ? 0.0 : v[v.size() / 2];
    };
    if (benchmark) {
        std::vector<double> ratios;
        for (std::size_t r = 0; r < times.size(); ++r)
            ratios.push_back(24.0 * cells_total * static_cast<double>(steps_run) / times[r] / triads[r]);
        out.triad = median(triads);
        out.ratio = median(ratios);
    }
    out.seconds = median(times);
    const double rate = out.seconds > 0 ? cells_total * static_cast<double>(steps_run) / out.seconds : 0.0;
    if (!benchmark && completed) write_outputs<Dim>(rt, cfg, p, u, p.steps);

    // Report.
    const auto timers = timer_report(comm);
    {
        std::ostringstream os;
        os.precision(4);
        os << "performance: " << rate / 1e9 << " Gcell/s (" << out.seconds << " s for " << steps_run
           << " steps, median of " << reps << "), " << 24.0 * rate / 1e9
           << " GB/s effective at 24 B/cell";
        if (benchmark)
            os << "\n  triad after each repetition: median " << out.triad / 1e9 << " GB/s -> plain-store bound "
               << out.triad / 24.0 / 1e9 << " Gcell/s; ratio " << out.ratio
               << " (median of the per-repetition ratios)";
        log::info(os.str());
        log::info(format_timer_table(timers));
        if (out.checked)
            log::info("self-check: max error vs the exact discrete solution ", out.error_discrete,
                      " (relative to the amplitude), vs the continuous solution ", out.error_continuous, ": ",
                      out.passed ? "PASSED" : "FAILED");
        else if (completed && cfg.init == "sine")
            log::info("self-check: skipped (the sine mode is exact only with --bc-value 0 at Dirichlet walls)");
    }
    auto summary = run::make_summary(rt, cfg.options);
    summary["rate"] = {{"value", rate}, {"unit", "cell-updates/s"}, {"effective_bytes_per_s", 24.0 * rate}};
    if (benchmark) {
        summary["rate"]["triad_bytes_per_s"] = out.triad;
        summary["rate"]["ratio_to_plain_store_bound"] = out.ratio;
        summary["rate"]["triad_per_repetition"] = triads;
        summary["rate"]["seconds_per_repetition"] = times;
    }
    summary["completed"] = completed;
    summary["step"] = step;
    summary["steps"] = p.steps;
    summary["dt"] = p.params.dt;
    summary["time"] = static_cast<double>(step) * p.params.dt;
    summary["process_grid"] = decomp.procs();
    if (!stop_reason.empty()) summary["stop_reason"] = stop_reason;
    if (restart) summary["restarted_from"] = {{"path", restart->path.string()}, {"step", restart->step}};
    if (checkpoints_written > 0)
        summary["checkpoints"] = {{"count", checkpoints_written},
                                  {"last", last_checkpoint.string()},
                                  {"seconds", checkpoint_seconds},
                                  {"bytes_per_s", checkpoint_seconds > 0 ? checkpoint_bytes / checkpoint_seconds : 0.0}};
    if (out.checked)
        summary["check"] = {{"passed", out.passed},
                            {"error_discrete", out.error_discrete},
                            {"error_continuous", out.error_continuous}};
    else if (!completed)
        summary["check"] = {{"passed", true}, {"note", "stopped at step " + std::to_string(step) + " before the end"}};
    else if (cfg.init != "sine")
        summary["check"] = {{"passed", true}, {"note", "no exact solution for init " + cfg.init}};
    else
        summary["check"] = {{"passed", true}, {"note", "no exact solution for init sine with --bc-value "
                                                          + std::to_string(cfg.bc_value) + " at Dirichlet walls"}};
    run::write_json(comm, out_dir / "summary.json", summary);
    if (!benchmark && completed)
        log::info("wrote ", (out_dir / "heat.h5").string(), ", heat.xdmf, heat.png, summary.json");
    if (!completed) {
        log::info("stopped at step ", step, " of ", p.steps, " (", stop_reason, "); continue with --restart auto");
        return 0;
    }
    return out.passed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    // Nothing this program creates is writable by others, whatever the caller's umask.
    ::umask(::umask(0) | S_IWOTH);
    tessera::Runtime runtime(argc, argv);
    return tessera::run_guarded(runtime, [&] {
        HeatConfig cfg;
        cfg.parse(runtime, argc, argv);
        return cfg.dim == 2 ? run_heat<2>(runtime, cfg) : run_heat<3>(runtime, cfg);
    });
}
