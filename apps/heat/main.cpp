// tessera-heat: explicit heat equation u_t = alpha * lap(u) on a Cartesian-decomposed 2D/3D grid.
// Sample runs:  mpirun -np 4 tessera-heat --config data/heat/small.toml
//               mpirun -np 2 tessera-heat --dim 3 --cells 128 128 128 --steps 200
#include <cmath>
#include <numbers>
#include <optional>
#include <sstream>

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

    AppOptions options{"heat", "Explicit heat/diffusion equation on a 2D or 3D grid (MPI + OpenMP)"};

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
        c.add_option("--repetitions", repetitions, "Timed repetitions in --benchmark mode")
            ->check(CLI::PositiveNumber);
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
        for (auto e : extent) TESSERA_CHECK_ALL(w, e > 0, "--extent: lengths must be positive, got " << e);
        for (auto m : mode) TESSERA_CHECK_ALL(w, m >= 1, "--mode: mode numbers must be >= 1, got " << m);
        TESSERA_CHECK_ALL(w, init != "file" || !init_file.empty(), "--init file needs --init-file PATH");
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
    p.params.dt = cfg.dt > 0 ? cfg.dt : cfg.cfl * stencil::max_stable_dt(p.params);
    p.steps = cfg.steps;
    if (cfg.final_time > 0) {
        p.steps = static_cast<gindex_t>(std::ceil(cfg.final_time / p.params.dt - 1e-9));
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
        auto file = collective_call(comm, [&] { return io::h5::File::open(comm, cfg.init_file); });
        io::read_field<Dim>(file, cfg.init_dataset, u);
    }
}

struct Outcome {
    double seconds = 0;       // stepping wall time (max over ranks)
    double error_discrete = 0, error_continuous = 0;
    bool checked = false, passed = true;
    double triad = 0;         // bytes/s, benchmark mode only
};

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
            e_disc = std::max(e_disc, std::abs(row[i] - discrete * shape));
            e_cont = std::max(e_cont, std::abs(row[i] - continuous * shape));
        }
    }
    // Max-norm errors relative to the amplitude the discrete solution should have.
    return {mpi::allreduce(comm, e_disc, MPI_MAX) / std::abs(discrete),
            mpi::allreduce(comm, e_cont, MPI_MAX) / std::abs(discrete)};
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

template <int Dim>
int run(const Runtime& rt, HeatConfig& cfg) {
    const auto& comm = rt.world();
    const auto p = collective_call(comm, [&] { return make_problem<Dim>(cfg); });
    cfg.options.record("dt", p.params.dt);
    cfg.options.record("steps", p.steps);
    std::array<int, Dim> procs{};
    for (int d = 0; d < Dim; ++d) procs[d] = cfg.procs[static_cast<std::size_t>(d)];
    grid::CartDecomp<Dim> decomp(comm, p.cells, p.periodic, procs);
    const int ghost = stencil::radius(p.params.stencil);
    grid::Field<double, Dim> u(decomp, ghost);
    stencil::HeatStepper<Dim> stepper(u, p.params);  // checks stability before any output
    initialise<Dim>(cfg, p, u, comm);
    // Every input is valid: only now may anything be written.
    prepare_output_dir(comm, cfg.options.common().output, cfg.options.common().overwrite);
    const bool benchmark = cfg.options.common().benchmark;

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
        log::info(os.str());
        const auto layout = rt.layout_report();
        log::info(layout.substr(0, layout.size() ? layout.size() - 1 : 0));
        log::verbose("resolved configuration:\n", cfg.options.resolved_toml());
    }

    Outcome out;
    const int reps = benchmark ? cfg.repetitions : 1;
    std::vector<double> times;
    for (int rep = 0; rep < reps; ++rep) {
        if (rep > 0) initialise<Dim>(cfg, p, u, comm);  // same work every repetition
        Progress progress("heat", p.steps);
        comm.barrier();
        const double t0 = MPI_Wtime();
        for (gindex_t s = 0; s < p.steps; ++s) {
            stepper.advance(1);
            progress.update(s + 1);
        }
        const double local = MPI_Wtime() - t0;
        progress.finish();
        times.push_back(mpi::allreduce(comm, local, MPI_MAX));
        if (rep + 1 == reps) {
            if (cfg.init == "sine") {
                std::tie(out.error_discrete, out.error_continuous) = self_check<Dim>(cfg, p, stepper, u, comm);
                out.checked = true;
                const double tol = 1e-11 + 50.0 * static_cast<double>(p.steps) * 2.2e-16;
                out.passed = out.error_discrete <= tol;
            }
        }
    }
    std::sort(times.begin(), times.end());
    out.seconds = times[times.size() / 2];
    const double cells_total = static_cast<double>(decomp.global_box().size());
    const double rate = cells_total * static_cast<double>(p.steps) / out.seconds;
    if (benchmark) out.triad = triad_bandwidth(comm);
    if (!benchmark) write_outputs<Dim>(rt, cfg, p, u, p.steps);

    // Report.
    const auto timers = timer_report(comm);
    {
        std::ostringstream os;
        os.precision(4);
        os << "performance: " << rate / 1e9 << " Gcell/s (" << out.seconds << " s for " << p.steps
           << " steps, median of " << reps << "), " << 24.0 * rate / 1e9
           << " GB/s effective at 24 B/cell";
        if (benchmark)
            os << "\n  triad in the same run: " << out.triad / 1e9 << " GB/s -> plain-store bound "
               << out.triad / 24.0 / 1e9 << " Gcell/s; ratio " << 24.0 * rate / out.triad;
        log::info(os.str());
        log::info(format_timer_table(timers));
        if (out.checked)
            log::info("self-check: max error vs the exact discrete solution ", out.error_discrete,
                      " (relative), vs the continuous solution ", out.error_continuous, ": ",
                      out.passed ? "PASSED" : "FAILED");
    }
    auto summary = make_summary(rt, cfg.options);
    summary["rate"] = {{"value", rate}, {"unit", "cell-updates/s"}, {"effective_bytes_per_s", 24.0 * rate}};
    if (benchmark) {
        summary["rate"]["triad_bytes_per_s"] = out.triad;
        summary["rate"]["ratio_to_plain_store_bound"] = 24.0 * rate / out.triad;
    }
    summary["steps"] = p.steps;
    summary["dt"] = p.params.dt;
    summary["time"] = static_cast<double>(p.steps) * p.params.dt;
    summary["process_grid"] = decomp.procs();
    if (out.checked)
        summary["check"] = {{"passed", out.passed},
                            {"error_discrete", out.error_discrete},
                            {"error_continuous", out.error_continuous}};
    else
        summary["check"] = {{"passed", true}, {"note", "no exact solution for init " + cfg.init}};
    write_json(comm, cfg.options.common().output / "summary.json", summary);
    if (!benchmark) log::info("wrote ", (cfg.options.common().output / "heat.h5").string(), ", heat.xdmf, heat.png, summary.json");
    return out.passed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);
    return tessera::run_guarded(runtime, [&] {
        HeatConfig cfg;
        cfg.parse(runtime, argc, argv);
        return cfg.dim == 2 ? run<2>(runtime, cfg) : run<3>(runtime, cfg);
    });
}
