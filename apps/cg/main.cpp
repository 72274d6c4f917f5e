// tessera-cg: conjugate gradients on the matrix-free 2D/3D Poisson problem -lap u = f with a
// manufactured solution, reproducible on any layout, resumable from checkpoints on any layout.
// Sample runs:  mpirun -np 2 tessera-cg --dim 2 --cells 256 256 --precond jacobi
//               mpirun -np 2 tessera-cg --dim 3 --cells 127 127 127 --precond mg --tol 1e-8
//               mpirun -np 2 tessera-cg --dim 3 --cells 64 64 64 --solver mg --mg-cycle f
//               mpirun -np 4 tessera-cg --dim 2 --cells 1024 1024 --solver pipecg --precond jacobi
//               mpirun -np 2 tessera-cg --dim 3 --cells 128 128 128 --tol 1e-8 --benchmark
//               mpirun -np 4 tessera-cg --dim 3 --cells 96 96 96 --checkpoint-every 100
//               mpirun -np 2 tessera-cg --dim 3 --cells 96 96 96 --restart auto
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include <tessera/stencil/manufactured.hpp>
#include <tessera/tessera.hpp>


namespace {

using namespace tessera;

struct CgConfig {
    run::AppOptions options{"cg", "Conjugate gradients on the matrix-free Poisson problem"};
    int dim = 2;
    std::vector<gindex_t> cells;
    std::vector<int> procs;
    double tol = 1e-10;
    int max_iter = 10000;
    std::string precond = "none";
    std::string solver = "cg";
    std::string mg_cycle = "v";
    std::string mg_smoother = "chebyshev";
    int mg_sweeps = 2;
    gindex_t mg_coarsest = 512;
    int repetitions = 3;
    gindex_t checkpoint_every = 0;
    double checkpoint_interval = 0;
    int keep_checkpoints = 2;
    std::string restart;
    double max_wall_time = 0;
    double watchdog = 0;

    void parse(const mpi::Comm& comm, int argc, char** argv) {
        auto& c = options.cli();
        c.add_option("--dim", dim, "Dimensions: 2 or 3")->check(CLI::IsMember({2, 3}));
        c.add_option("--cells", cells, "Interior unknowns per axis: NX NY [NZ] (default 128^2 / 48^3)")
            ->expected(2, 3)
            ->check(CLI::Range(gindex_t{1}, gindex_t{1} << 31));
        c.add_option("--procs", procs, "Process grid PX PY [PZ] (PX must be 1; default: chosen)")
            ->expected(2, 3);
        c.add_option("--tol", tol, "Relative residual tolerance ||r|| / ||b|| (> 0)");
        c.add_option("--max-iter", max_iter, "Iteration limit")->check(CLI::Range(0, 1 << 30));
        c.add_option("--precond", precond, "Preconditioner of cg and pipecg: none, jacobi, mg (one multigrid cycle)")
            ->check(CLI::IsMember({"none", "jacobi", "mg"}));
        c.add_option("--solver", solver, "cg: (preconditioned) conjugate gradients; pipecg: pipelined CG "
                                         "(one non-blocking reduction per iteration, hidden behind --precond "
                                         "and the operator; same bits on any layout); mg: multigrid cycles "
                                         "until --tol (--max-iter cycles)")
            ->check(CLI::IsMember({"cg", "pipecg", "mg"}));
        c.add_option("--mg-cycle", mg_cycle, "Multigrid cycle: v or f (f: not exactly symmetric as a "
                                             "CG preconditioner)")
            ->check(CLI::IsMember({"v", "f"}));
        c.add_option("--mg-smoother", mg_smoother,
                     "Multigrid smoother: jacobi (weighted), chebyshev or rbgs (red-black Gauss-Seidel)")
            ->check(CLI::IsMember({"jacobi", "chebyshev", "rbgs"}));
        c.add_option("--mg-sweeps", mg_sweeps, "Multigrid smoothing steps before and after each coarse "
                                               "correction (>= 1)");
        c.add_option("--mg-coarsest", mg_coarsest, "Multigrid: coarsen until a level has at most N unknowns "
                                                   "(cells), then solve it exactly on one rank");
        c.add_option("--repetitions", repetitions, "Timed solves in --benchmark mode (median taken)")
            ->check(CLI::Range(1, 1000));
        c.add_option("--checkpoint-every", checkpoint_every,
                     "Write a checkpoint every N iterations into OUTPUT/checkpoints (0: never)")
            ->check(CLI::NonNegativeNumber);
        c.add_option("--checkpoint-interval", checkpoint_interval,
                     "Write a checkpoint every SECONDS of wall time (0: never)")
            ->check(CLI::NonNegativeNumber);
        c.add_option("--keep-checkpoints", keep_checkpoints, "Checkpoints kept (the newest K)")
            ->check(CLI::PositiveNumber);
        c.add_option("--restart", restart,
                     "auto: continue from the newest checkpoint in OUTPUT/checkpoints that verifies "
                     "(a fresh solve if there is none); PATH: from that checkpoint. Any rank count; "
                     "--dim, --cells, --tol and --precond must match (--max-iter may change)");
        c.add_option("--max-wall-time", max_wall_time,
                     "Checkpoint and stop (exit 0, completed false) before SECONDS of wall time")
            ->check(CLI::NonNegativeNumber);
        c.add_option("--watchdog", watchdog,
                     "End the job (exit 1, one line per stuck rank) when a rank completes no iteration or "
                     "checkpoint for SECONDS (0: off); set it above the longest iteration or checkpoint write")
            ->check(CLI::NonNegativeNumber);
        c.footer(
            "Exit codes: 0 finished and passed its self-check (summary.json \"completed\": true), or "
            "stopped on SIGTERM, SIGUSR1, SIGINT or --max-wall-time after writing a checkpoint "
            "(\"completed\": false; resubmit with --restart auto); 1 not converged, failed self-check "
            "or runtime failure; 2 usage or input error (nothing written). See docs/cg.md.");
        options.parse(comm, argc, argv);
        if (cells.empty()) cells = dim == 2 ? std::vector<gindex_t>{128, 128} : std::vector<gindex_t>{48, 48, 48};
        options.record("cells", cells);
        TESSERA_CHECK_ALL(comm, static_cast<int>(cells.size()) == dim,
                          "--cells: " << cells.size() << " values given for --dim " << dim);
        TESSERA_CHECK_ALL(comm, procs.empty() || static_cast<int>(procs.size()) == dim,
                          "--procs: " << procs.size() << " values given for --dim " << dim);
        TESSERA_CHECK_ALL(comm, std::ranges::all_of(procs, [](int p) { return p >= 0; }),
                          "--procs: process counts must be >= 0 (0: chosen)");
        TESSERA_CHECK_ALL(comm, procs.empty() || procs[0] <= 1,
                          "--procs: the x axis is never split (got " << procs[0]
                              << " ranks along it); reproducible reductions need whole x-lines");
        // The solver would refuse these too, but only after the output folder exists.
        TESSERA_CHECK_ALL(comm, tol > 0 && tol < 1e300, "--tol: " << tol << " must be in (0, 1e300)");
        for (auto [option, v] : {std::pair{"--checkpoint-interval", checkpoint_interval},
                                 std::pair{"--max-wall-time", max_wall_time}, std::pair{"--watchdog", watchdog}})
            TESSERA_CHECK_ALL(comm, std::isfinite(v), option << ": must be a finite number, got " << v);
        // Only cg's state (CgState) can be checkpointed and resumed.
        TESSERA_CHECK_ALL(comm, solver == "cg" || (restart.empty() && checkpoint_every == 0 &&
                                                   checkpoint_interval == 0 && max_wall_time == 0),
                          "--solver " << solver << " runs without --restart, --checkpoint-* and --max-wall-time");
        TESSERA_CHECK_ALL(comm, solver != "mg" || precond == "none",
                          "--solver mg takes no --precond (the cycles are the solver)");
        TESSERA_CHECK_ALL(comm, !options.common().benchmark ||
                                    (restart.empty() && checkpoint_every == 0 && checkpoint_interval == 0 &&
                                     max_wall_time == 0),
                          "--benchmark runs without --restart, --checkpoint-* and --max-wall-time");
    }
};

// The solver's parameter names in library messages, as this app's options.
const run::OptionNames kOptionNames = {{"cg: tol =", "--tol:"},
                                       {"cg: max_iter =", "--max-iter:"},
                                       {"pipecg: tol =", "--tol:"},
                                       {"pipecg: max_iter =", "--max-iter:"},
                                       {"PoissonOperator: cells", "--cells"},
                                       {"PoissonOperator: procs", "--procs"},
                                       {"multigrid: sweeps =", "--mg-sweeps:"},
                                       {"multigrid: coarsest =", "--mg-coarsest:"},
                                       {"multigrid: tol =", "--tol:"},
                                       {"multigrid: max_cycles =", "--max-iter:"}};

// The options that change the answer: a checkpoint continues only a solve with the same values
// (ranks, threads, --max-iter and the checkpoint options may change).
constexpr const char* kProblemKeys[] = {"dim",       "cells",       "tol",       "precond",
                                        "mg-cycle",  "mg-smoother", "mg-sweeps", "mg-coarsest"};

using stencil::manufactured::exact;
using stencil::manufactured::source;

// Local: between the solver's contiguous local vectors (the operator's order: x fastest, then
// y, then z over the owned box) and a field of the same decomposition, row by row.
template <int Dim>
void to_field(std::span<const double> v, grid::Field<double, Dim>& f) {
    const auto& b = f.owned_box();
    const auto view = f.view();
    const index_t nx = b.extent(0);
#pragma omp parallel for schedule(static)
    for (index_t r = 0; r < box_rows(b); ++r) std::copy_n(v.data() + r * nx, nx, row_begin(view, b, r));
}
template <int Dim>
void from_field(const grid::Field<double, Dim>& f, std::span<double> v) {
    const auto& b = f.owned_box();
    const auto view = f.view();
    const index_t nx = b.extent(0);
#pragma omp parallel for schedule(static)
    for (index_t r = 0; r < box_rows(b); ++r) std::copy_n(row_begin(view, b, r), nx, v.data() + r * nx);
}

// The solve and what the report needs of it.
template <int Dim>
struct Solve {
    stencil::PoissonOperator<Dim> op;
    std::unique_ptr<multigrid::Multigrid<Dim>> mg;  // --precond mg or --solver mg
    bool mg_solver = false;
    double mg_setup_seconds = 0;                    // the hierarchy's construction, slowest rank
    bool pipelined = false;       // --solver pipecg
    StreamedVector<double> b, x, u;
    linalg::CgOptions options;
    linalg::CgState state;
    linalg::CgResult result;
    run::Repetitions reps;        // benchmark mode: every timed solve; otherwise the one solve
    int start_iteration = 0;      // where this run began (a restart's iteration)
    bool stopped = false;         // by a signal or --max-wall-time: checkpointed, unfinished
    nlohmann::json loop_summary = nlohmann::json::object();

    Solve(const mpi::Comm& comm, const std::array<gindex_t, Dim>& cells, const std::array<int, Dim>& procs)
        : op(comm, cells, procs) {}
};

// Collective: runs (or resumes) the solver on the state, its messages in terms of our options.
// With --solver mg: multigrid cycles, reported as the CG result is (iterations = cycles).
template <int Dim>
linalg::CgResult cg_solve(Solve<Dim>& s) {
    if (s.mg_solver) {
        return run::translating_errors(kOptionNames, [&] {
            const auto r = s.mg->solve(s.b, s.x, {.tol = s.options.tol, .max_cycles = s.options.max_iter});
            linalg::CgResult out;
            out.iterations = r.cycles;
            out.converged = r.converged;
            out.relative_residual = r.relative_residual;
            out.history = r.history;
            return out;
        });
    }
    if (s.pipelined)
        return run::translating_errors(kOptionNames, [&] { return linalg::pipecg(s.op, s.b, s.x, s.options); });
    return run::translating_errors(kOptionNames, [&] { return linalg::cg(s.op, s.b, s.x, s.state, s.options); });
}

// Collective: the multigrid hierarchy when --precond mg or --solver mg asks for it; its
// parameter errors in terms of our options, before anything is written.
template <int Dim>
void make_multigrid(const CgConfig& cfg, Solve<Dim>& s) {
    s.mg_solver = cfg.solver == "mg";
    if (!s.mg_solver && cfg.precond != "mg") return;
    const multigrid::Options mo{.cycle = cfg.mg_cycle == "f" ? multigrid::Cycle::f : multigrid::Cycle::v,
                                .smoother = cfg.mg_smoother == "jacobi" ? multigrid::Smoother::jacobi
                                            : cfg.mg_smoother == "rbgs" ? multigrid::Smoother::rbgs
                                                                        : multigrid::Smoother::chebyshev,
                                .sweeps = cfg.mg_sweeps,
                                .coarsest = cfg.mg_coarsest};
    s.op.comm().barrier();
    const double t0 = MPI_Wtime();
    s.mg = run::translating_errors(kOptionNames, [&] { return std::make_unique<multigrid::Multigrid<Dim>>(s.op, mo); });
    s.mg_setup_seconds = mpi::allreduce(s.op.comm(), MPI_Wtime() - t0, MPI_MAX);
    const auto& h = s.mg->hierarchy();
    std::string levels;
    for (int l = 0; l < h.levels(); ++l) {
        const auto& lev = h.level(l);
        levels += "\n  level " + std::to_string(l) + ":";
        for (int d = 0; d < Dim; ++d) levels += (d ? " x " : " ") + std::to_string(lev.cells[d]);
        levels += " on " + std::to_string(lev.ranks) + " rank(s)";
    }
    log::info("multigrid: ", h.levels(), " levels, operator complexity ", h.operator_complexity(), ", ",
              cfg.mg_cycle, "-cycle, ", cfg.mg_smoother, " x ", cfg.mg_sweeps, ", set up in ", s.mg_setup_seconds, " s",
              levels);
}

// Step 3: decompose, set up b and the exact solution, restart or start, and solve, with the
// checkpoints, stop requests and progress of one run::TimeLoop (one step = one iteration).
template <int Dim>
std::unique_ptr<Solve<Dim>> solve(Runtime& runtime, const CgConfig& cfg) {
    const auto& world = runtime.world();
    std::array<gindex_t, Dim> cells{};
    std::array<int, Dim> procs{};
    for (int d = 0; d < Dim; ++d) {
        cells[d] = cfg.cells[static_cast<std::size_t>(d)];
        if (!cfg.procs.empty()) procs[d] = cfg.procs[static_cast<std::size_t>(d)];
    }
    {
        // b, x, the exact solution, the solver's r, p, Ap (and z) and the operator's ghosted
        // copy; x, r and p once more as checkpoint fields (not in benchmark mode). pipecg
        // instead keeps nine recurrence vectors (six without a preconditioner) and never
        // checkpoints. Multigrid adds about four vectors on the finest level (residual,
        // smoother scratch).
        const int mg_vectors = cfg.precond == "mg" || cfg.solver == "mg" ? 4 : 0;
        const int solver_vectors = cfg.solver == "pipecg" ? (cfg.precond == "none" ? 10 : 13)
                                                          : (cfg.options.common().benchmark ? 8 : 11);
        const int vectors = solver_vectors + mg_vectors;
        double per_rank = vectors * sizeof(double) / static_cast<double>(world.size());
        std::string what = "--cells";
        for (auto c : cells) per_rank *= static_cast<double>(c), what += ' ' + std::to_string(c);
        check_node_memory(world, per_rank, what + " (" + std::to_string(vectors) + " vectors)");
    }
    auto s = run::translating_errors(kOptionNames, [&] { return std::make_unique<Solve<Dim>>(world, cells, procs); });
    auto& op = s->op;
    s->pipelined = cfg.solver == "pipecg";
    make_multigrid<Dim>(cfg, *s);
    const auto& dp = op.decomp().procs();
    std::string grid;
    for (int d = 0; d < Dim; ++d) grid += (d ? " x " : "") + std::to_string(dp[d]);
    const auto blas = linalg::blas_info();
    log::info(runtime.layout_report(), "process grid: ", grid, " (x never split)\nBLAS: ", blas.library,
              ", kernel ", blas.kernel);
    if (blas.generic) log::warn(linalg::blas_warning(blas));

    const auto n = static_cast<std::size_t>(op.local_size());
    s->b.resize(n);
    s->x.assign(n, 0.0);
    s->u.resize(n);
    op.fill(std::span<double>(s->b), source<Dim>);
    op.fill(std::span<double>(s->u), exact<Dim>);
    s->options = {.tol = cfg.tol,
                  .max_iter = cfg.max_iter,
                  .precond = cfg.precond == "jacobi" ? linalg::Preconditioner::jacobi : linalg::Preconditioner::none};
    if (cfg.precond == "mg") {
        s->options.precond = linalg::Preconditioner::custom;
        s->options.apply_preconditioner = [mg = s->mg.get()](std::span<const double> r, std::span<double> z) {
            mg->precondition(r, z);
        };
    }
    const auto& common = cfg.options.common();

    if (common.benchmark) {
        // The solve repeated from x = 0, a triad right after each, so that each solve's time is
        // compared with the bandwidth of the same moment.
        run::prepare_output_dir(world, common.output, common.overwrite);
        s->reps = run::repeat(
            world, cfg.repetitions,
            [&] {
                std::fill(s->x.begin(), s->x.end(), 0.0);
                s->state = {};
            },
            [&] { s->result = cg_solve(*s); });
        return s;
    }
    if (cfg.solver != "cg") {
        // Multigrid cycles or pipelined CG: no checkpoints (refused at parsing), one timed solve.
        run::prepare_output_dir(world, common.output, common.overwrite);
        world.barrier();
        const double t0 = MPI_Wtime();
        s->result = cg_solve(*s);
        s->reps.seconds = {mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX)};
        return s;
    }

    // x, r and p as fields of the operator's decomposition: a checkpoint stores them as global
    // arrays that any rank count reads back.
    std::vector<grid::Field<double, Dim>> fields;  // allocated at the first checkpoint or restart
    auto checkpoint_fields = [&] {
        fields.reserve(3);
        while (fields.size() < 3) fields.emplace_back(op.decomp(), 0);
        return fields.data();
    };
    const auto resolved = cfg.options.resolved();
    run::Simulation sim;
    sim.app = "cg";
    for (const char* key : kProblemKeys) sim.keys[key] = resolved.at(key);
    sim.config = resolved.dump();
    sim.state_bytes = 3.0 * sizeof(double) * static_cast<double>(op.decomp().global_box().size());
    sim.save = [&](io::CheckpointData& data, io::CheckpointMeta& meta) {
        auto* f = checkpoint_fields();
        const auto& st = s->state;
        to_field<Dim>(s->x, f[0]);
        to_field<Dim>(st.r, f[1]);
        to_field<Dim>(st.p, f[2]);
        data.add<Dim>("x", f[0]);
        data.add<Dim>("r", f[1]);
        data.add<Dim>("p", f[2]);
        // The scalars bit for bit, then the whole residual history and the CG coefficients (the
        // summary of the resumed run reports the history and the condition estimate from
        // iteration 0).
        meta.cells = cfg.cells;
        meta.counters = {st.iteration};
        meta.values = {st.bnorm, st.rr, st.rz};
        meta.values.insert(meta.values.end(), st.history.begin(), st.history.end());
        meta.values.insert(meta.values.end(), st.alpha.begin(), st.alpha.end());
        meta.values.insert(meta.values.end(), st.beta.begin(), st.beta.end());
    };
    sim.load = [&](io::CheckpointReader& reader) {
        const auto& meta = reader.meta();
        const bool sound = meta.counters.size() == 1 && meta.counters[0] == meta.step &&
                           meta.values.size() == 3 * static_cast<std::size_t>(meta.step) + 4;
        TESSERA_CHECK_ALL(world, sound,
                          reader.path().string() << ": not a tessera-cg state (" << meta.counters.size()
                              << " counters, " << meta.values.size() << " values at iteration " << meta.step << ")");
        auto* f = checkpoint_fields();
        reader.read<Dim>("x", f[0]);
        reader.read<Dim>("r", f[1]);
        reader.read<Dim>("p", f[2]);
        auto& st = s->state;
        st.iteration = static_cast<int>(meta.step);
        st.bnorm = meta.values[0];
        st.rr = meta.values[1];
        st.rz = meta.values[2];
        const auto k = static_cast<std::ptrdiff_t>(meta.step);
        const auto history = meta.values.begin() + 3;
        st.history.assign(history, history + k + 1);
        st.alpha.assign(history + k + 1, history + 2 * k + 1);
        st.beta.assign(history + 2 * k + 1, meta.values.end());
        st.r.resize(n);
        st.p.resize(n);
        from_field<Dim>(f[0], s->x);
        from_field<Dim>(f[1], st.r);
        from_field<Dim>(f[2], st.p);
    };
    run::LoopSchedule schedule{.steps = cfg.max_iter,
                               .checkpoint_every = cfg.checkpoint_every,
                               .checkpoint_interval = cfg.checkpoint_interval,
                               .keep_checkpoints = cfg.keep_checkpoints,
                               .max_wall_time = cfg.max_wall_time,
                               .watchdog = cfg.watchdog,
                               .clock_start = MPI_Wtime() - runtime.elapsed(),
                               .unit = "iterations",
                               .wall_time_name = "--max-wall-time"};
    run::TimeLoop loop(world, schedule, std::move(sim), common.output / "checkpoints");
    loop.restart(cfg.restart);
    s->start_iteration = static_cast<int>(loop.start_step());
    // Every input is valid: only now may anything be written. A restart continues its own folder.
    run::prepare_output_dir(world, common.output, common.overwrite || !cfg.restart.empty());
    loop.prepare();

    s->options.on_iteration = [&](const linalg::CgState&) { return loop.advance(1); };
    loop.begin();
    world.barrier();
    const double t0 = MPI_Wtime();
    s->result = cg_solve(*s);
    s->reps.seconds = {mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX)};
    s->options.on_iteration = nullptr;
    s->stopped = loop.stopped();
    loop.add_to_summary(s->loop_summary);
    return s;
}

// Collective: OUTPUT/solution.h5 with dataset /x (C order: [nz,] ny, nx), written to a temporary
// name and renamed, so that it is complete or absent.
template <int Dim>
void write_solution(const mpi::Comm& comm, const CgConfig& cfg, Solve<Dim>& s) {
    ScopedTimer t("cg.output");
    const auto dir = cfg.options.common().output;
    grid::Field<double, Dim> x(s.op.decomp(), 0);
    to_field<Dim>(s.x, x);
    {
        auto file = collective_call(comm, [&] { return io::h5::File::create(comm, dir / "solution.h5.tmp"); }, 1);
        io::write_field<Dim>(file, "/x", x);
        io::h5::write_attribute(file.get(), "iterations", static_cast<long long>(s.result.iterations));
        io::h5::write_attribute(file.get(), "config", cfg.options.resolved().dump());
        io::h5::write_attribute(file.get(), "version", version());
        file.close();
    }
    collective_call(comm, [&] {
        if (comm.rank() == 0) std::filesystem::rename(dir / "solution.h5.tmp", dir / "solution.h5");
    }, 1);
}

// Collective, --benchmark with a V-cycle: V-cycles alone (precondition() on b, as CG calls
// them), timed per repetition with a triad right after, against the bytes the cycle must move
// (multigrid::vcycle_bytes): its fraction of the memory-bandwidth bound. Runs after the timer
// table, which therefore shows the solves only.
template <int Dim>
nlohmann::json vcycle_benchmark(const mpi::Comm& world, const CgConfig& cfg, Solve<Dim>& s) {
    constexpr int kCycles = 4;  // per repetition: long enough for the timer, short beside a solve
    StreamedVector<double> z(s.b.size());
    const auto reps = run::repeat(
        world, cfg.repetitions, [] {},
        [&] {
            for (int c = 0; c < kCycles; ++c) s.mg->precondition(s.b, z);
        });
    const double bytes = multigrid::vcycle_bytes(s.mg->hierarchy());
    const double per_cycle = reps.median_seconds() / kCycles, bw = reps.median_triad();
    const double fraction = reps.median_ratio(bytes * kCycles);
    log::info("multigrid: a V-cycle alone takes ", per_cycle * 1e3, " ms (median of ", reps.seconds.size(), " x ",
              kCycles, " cycles) and moves at least ", bytes * 1e-6, " MB: bound ", bytes / bw * 1e3,
              " ms at the triad's ", bw * 1e-9, " GB/s, achieved ", 100.0 * fraction,
              "% of the bandwidth bound (median of the per-repetition fractions)");
    return {{"seconds_per_cycle", per_cycle},
            {"bytes_per_cycle", bytes},
            {"triad_bytes_per_second", bw},
            {"bound_seconds_per_cycle", bytes / bw},
            {"fraction_of_bound", fraction}};
}

// Step 4: self-check against the manufactured solution, rates, timers, summary.json.
template <int Dim>
int report(Runtime& runtime, const CgConfig& cfg, Solve<Dim>& s) {
    const auto& world = runtime.world();
    const auto& res = s.result;
    auto summary = run::make_summary(runtime, cfg.options);
    summary.update(s.loop_summary);
    summary["iterations"] = res.iterations;
    summary["converged"] = res.converged;
    summary["residual_history"] = res.history;
    summary["process_grid"] = s.op.decomp().procs();
    if (s.mg) {
        const auto& h = s.mg->hierarchy();
        nlohmann::json cells = nlohmann::json::array(), ranks = nlohmann::json::array();
        for (int l = 0; l < h.levels(); ++l) {
            cells.push_back(h.level(l).cells);
            ranks.push_back(h.level(l).ranks);
        }
        summary["multigrid"] = {{"levels", h.levels()},
                                {"operator_complexity", h.operator_complexity()},
                                {"grid_complexity", h.grid_complexity()},
                                {"level_cells", cells},
                                {"level_ranks", ranks},
                                {"cycle", cfg.mg_cycle},
                                {"smoother", cfg.mg_smoother},
                                {"sweeps", cfg.mg_sweeps},
                                {"coarsest", cfg.mg_coarsest},
                                {"role", s.mg_solver ? "solver" : "preconditioner"},
                                {"setup_seconds", s.mg_setup_seconds}};
    }
    if (!s.mg_solver && res.iterations > 0) {
        // The Lanczos estimate of M^-1 A's spectrum from every iteration's coefficients.
        const auto est = linalg::spectrum_estimate(res.alpha, res.beta);
        log::verbose("cg: Lanczos estimate after ", est.iterations, " iterations: eigenvalues of ",
                     s.options.precond == linalg::Preconditioner::none ? "A" : "M^-1 A", " in [",
                     est.lambda_min, ", ", est.lambda_max, "], condition number >= ", est.condition);
        summary["condition"] = {{"iterations", est.iterations},
                                {"lambda_min", est.lambda_min},
                                {"lambda_max", est.lambda_max},
                                {"condition_number", est.condition}};
    }
    if (s.stopped) {
        // Checkpointed and unfinished: no self-check, no solution; --restart auto goes on.
        log::info("cg: stopped at iteration ", res.iterations, ", ||r|| / ||b|| = ", res.relative_residual,
                  "; continue with --restart auto");
        log::info(run::timer_table(world));
        run::write_json(world, cfg.options.common().output / "summary.json", summary);
        return 0;
    }
    write_solution<Dim>(world, cfg, s);

    const auto n = s.x.size();
    double err = 0, umax = 0;
    for (std::size_t i = 0; i < n; ++i) {
        err = std::max(err, std::abs(s.x[i] - s.u[i]));
        umax = std::max(umax, std::abs(s.u[i]));
    }
    err = mpi::allreduce(world, err, MPI_MAX);
    umax = mpi::allreduce(world, umax, MPI_MAX);
    double h = 0;
    gindex_t unknowns = 1;
    for (int d = 0; d < Dim; ++d) {
        h = std::max(h, s.op.spacing(d));
        unknowns *= cfg.cells[static_cast<std::size_t>(d)];
    }
    // Second-order discretization error: |u_h - u| <= C h^2, with C = 1.8 (2D) and 3.2 (3D)
    // measured for this u; 2 Dim leaves room for the algebraic error at the default tolerance.
    const double bound = 2.0 * Dim * h * h;
    const bool passed = res.converged && err <= bound;

    const bool jacobi = s.options.precond == linalg::Preconditioner::jacobi;
    const double seconds = s.reps.median_seconds();
    const int iters = std::max(res.iterations - s.start_iteration, 1);  // done by this run
    const double per_iter = seconds / iters;
    const double flops_per_unknown = (1 + 3 * Dim) + 10 + (jacobi ? 4 : 0);
    const double gflops = flops_per_unknown * static_cast<double>(unknowns) / per_iter * 1e-9;
    // Traffic an iteration must move per unknown, in 8-byte words with write-allocate counted
    // as the triad does: Ap = A p with p.Ap fused (read p, write Ap + its allocate: 3),
    // x += a p and r -= a Ap with r.r fused (read 4, write 2), p = z + beta p (read 2, write 1);
    // Jacobi reads diag^-1 twice more. Ghost rows and reductions are O(surface), ignored.
    const double bytes_per_unknown = 8.0 * (3 + 6 + 3 + (jacobi ? 2 : 0));
    const double bytes = bytes_per_unknown * static_cast<double>(unknowns);

    // The flop and traffic models above are CG's own; a multigrid cycle and pipecg's longer
    // recurrences have neither model yet, so their runs report time to solution and unknowns
    // solved per second instead.
    const bool model = cfg.solver == "cg" && s.mg == nullptr;
    if (!model)
        log::info(cfg.solver, ": ", res.iterations, s.mg_solver ? " cycles, " : " iterations, ",
                  res.converged ? "converged" : "NOT converged", ", ||r|| / ||b|| = ", res.relative_residual,
                  ", ", seconds, " s, ", per_iter * 1e3, s.mg_solver ? " ms/cycle" : " ms/iteration");
    else
        log::info("cg: ", res.iterations, " iterations, ", res.converged ? "converged" : "NOT converged",
                  ", ||r|| / ||b|| = ", res.relative_residual, ", ", seconds, " s, ", per_iter * 1e3,
                  " ms/iteration, ", gflops, " GFLOP/s");
    if (cfg.options.common().benchmark && model) {
        const auto& reps = s.reps;
        std::vector<double> fractions;
        for (std::size_t r = 0; r < reps.seconds.size(); ++r)
            fractions.push_back(bytes / reps.triads[r] / (reps.seconds[r] / iters));
        const double bw = reps.median_triad();
        const double fraction = reps.median_ratio(bytes * iters);
        log::info("memory: triad after each solve, median ", bw * 1e-9, " GB/s; an iteration moves at least ",
                  bytes_per_unknown, " B/unknown: bound ", bytes / bw * 1e3, " ms, achieved ", 100.0 * fraction,
                  "% of the bandwidth bound (median over ", reps.seconds.size(), " solves of the per-solve fraction)");
        summary["bandwidth"] = {{"triad_bytes_per_second", bw},
                                {"bytes_per_iteration", bytes},
                                {"bound_seconds_per_iteration", bytes / bw},
                                {"fraction_of_bound", fraction},
                                {"seconds_per_solve", reps.seconds},
                                {"triad_per_solve", reps.triads},
                                {"fraction_per_solve", fractions}};
    }
    log::info(run::timer_table(world));
    log::info("check: max |u_h - u| = ", err, " (max |u| = ", umax, "), bound ", bound,
              " (2 dim h^2, h = ", h, "): ", passed ? "PASSED" : "FAILED");

    if (cfg.options.common().benchmark && s.mg && cfg.mg_cycle == "v")
        summary["multigrid"]["cycle_bandwidth"] = vcycle_benchmark(world, cfg, s);
    summary["seconds"] = seconds;
    summary["seconds_per_iteration"] = per_iter;
    if (!model) summary["rate"] = {{"value", static_cast<double>(unknowns) / seconds}, {"unit", "unknowns/s"}};
    else summary["rate"] = {{"value", gflops * 1e9}, {"unit", "flop/s"}};
    summary["check"] = {{"passed", passed}, {"max_error", err}, {"bound", bound}, {"h", h}};
    run::write_json(world, cfg.options.common().output / "summary.json", summary);
    return passed ? 0 : 1;
}

template <int Dim>
int run_cg(Runtime& runtime, const CgConfig& cfg) {
    auto s = solve<Dim>(runtime, cfg);      // 3. decompose, init/restart, solve
    return report<Dim>(runtime, cfg, *s);   // 4. self-check, rates, timers, summary
}

}  // namespace

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);                                   // 1. MPI + OpenMP
    return tessera::run_guarded(runtime, [&] {
        CgConfig cfg;
        cfg.parse(runtime.world(), argc, argv);                             // 2. same argv on all ranks
        tessera::log::info("tessera-cg ", tessera::version(), "\n", cfg.options.resolved_toml());  // banner
        return cfg.dim == 2 ? run_cg<2>(runtime, cfg) : run_cg<3>(runtime, cfg);
    });
}
