// tessera-cg: conjugate gradients on the matrix-free 2D/3D Poisson problem -lap u = f with a
// manufactured solution, reproducible on any layout.
// Sample runs:  mpirun -np 2 tessera-cg --dim 2 --cells 256 256 --precond jacobi
//               mpirun -np 2 tessera-cg --dim 3 --cells 128 128 128 --tol 1e-8 --benchmark
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include <tessera/tessera.hpp>

#include "manufactured.hpp"

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
    int repetitions = 3;

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
        c.add_option("--precond", precond, "Preconditioner")->check(CLI::IsMember({"none", "jacobi"}));
        c.add_option("--repetitions", repetitions, "Timed solves in --benchmark mode (median taken)")
            ->check(CLI::Range(1, 1000));
        options.parse(comm, argc, argv);
        if (cells.empty()) cells = dim == 2 ? std::vector<gindex_t>{128, 128} : std::vector<gindex_t>{48, 48, 48};
        TESSERA_CHECK_ALL(comm, static_cast<int>(cells.size()) == dim,
                          "--cells: " << cells.size() << " values given for --dim " << dim);
        TESSERA_CHECK_ALL(comm, procs.empty() || static_cast<int>(procs.size()) == dim,
                          "--procs: " << procs.size() << " values given for --dim " << dim);
        TESSERA_CHECK_ALL(comm, std::ranges::all_of(procs, [](int p) { return p >= 0; }),
                          "--procs: process counts must be >= 0 (0: chosen)");
        TESSERA_CHECK_ALL(comm, procs.empty() || procs[0] <= 1,
                          "--procs: the x axis is never split (got " << procs[0]
                              << " ranks along it); reproducible reductions need whole x-lines");
        TESSERA_CHECK_ALL(comm, tol > 0 && std::isfinite(tol), "--tol: " << tol << " must be positive");
    }
};

using cg_app::exact;
using cg_app::source;

template <int Dim>
int run_cg(Runtime& runtime, const CgConfig& cfg) {
    const auto& world = runtime.world();
    std::array<gindex_t, Dim> cells{};
    std::array<int, Dim> procs{};
    for (int d = 0; d < Dim; ++d) {
        cells[d] = cfg.cells[static_cast<std::size_t>(d)];
        if (!cfg.procs.empty()) procs[d] = cfg.procs[static_cast<std::size_t>(d)];
    }
    {
        // b, x, the exact solution, the solver's r, p, Ap (and z) and the operator's ghosted copy.
        double per_rank = 8.0 * sizeof(double) / world.size();
        std::string what = "--cells";
        for (auto c : cells) per_rank *= static_cast<double>(c), what += ' ' + std::to_string(c);
        check_node_memory(world, per_rank, what + " (8 vectors)");
    }
    stencil::PoissonOperator<Dim> op(world, cells, procs);
    run::prepare_output_dir(world, cfg.options.common().output, cfg.options.common().overwrite);

    log::info("tessera-cg ", version(), "\n", cfg.options.resolved_toml());
    const auto& dp = op.decomp().procs();
    std::string grid;
    for (int d = 0; d < Dim; ++d) grid += (d ? " x " : "") + std::to_string(dp[d]);
    const auto blas = linalg::blas_info();
    log::info(runtime.layout_report(), "process grid: ", grid, " (x never split)\nBLAS: ", blas.library,
              ", kernel ", blas.kernel);
    if (blas.generic) log::warn(linalg::blas_warning(blas));

    const auto n = static_cast<std::size_t>(op.local_size());
    StreamedVector<double> b(n), x(n, 0.0), u(n);
    op.fill(std::span<double>(b), source<Dim>);
    op.fill(std::span<double>(u), exact<Dim>);
    linalg::CgOptions opt{.tol = cfg.tol,
                                .max_iter = cfg.max_iter,
                                .precond = cfg.precond == "jacobi" ? linalg::Preconditioner::jacobi
                                                                   : linalg::Preconditioner::none};
    // Benchmark: the solve is repeated from x = 0, and a triad runs right after each solve, so
    // that each solve's time is compared with the bandwidth of the same moment.
    const bool benchmark = cfg.options.common().benchmark;
    const int reps = benchmark ? cfg.repetitions : 1;
    std::optional<run::TriadProbe> probe;
    if (benchmark) probe.emplace(world);
    std::vector<double> times, triads;
    linalg::CgResult res;
    for (int rep = 0; rep < reps; ++rep) {
        std::fill(x.begin(), x.end(), 0.0);
        // Progress against the iteration limit: the ETA is an upper bound.
        run::Progress progress("cg", cfg.max_iter, "iterations");
        opt.monitor = [&](int k, double) { progress.update(k); };
        world.barrier();
        const double t0 = MPI_Wtime();
        res = linalg::cg(op, b, x, opt);
        progress.finish();
        times.push_back(mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX));
        if (probe) triads.push_back(probe->measure(3));
    }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    const double seconds = median(times);

    double err = 0, umax = 0;
    for (std::size_t i = 0; i < n; ++i) {
        err = std::max(err, std::abs(x[i] - u[i]));
        umax = std::max(umax, std::abs(u[i]));
    }
    err = mpi::allreduce(world, err, MPI_MAX);
    umax = mpi::allreduce(world, umax, MPI_MAX);
    double h = 0;
    gindex_t unknowns = 1;
    for (int d = 0; d < Dim; ++d) {
        h = std::max(h, op.spacing(d));
        unknowns *= cells[d];
    }
    // Second-order discretization error: |u_h - u| <= C h^2, with C = 1.8 (2D) and 3.2 (3D)
    // measured for this u; 2 Dim leaves room for the algebraic error at the default tolerance.
    const double bound = 2.0 * Dim * h * h;
    const bool passed = res.converged && err <= bound;

    const bool jacobi = opt.precond == linalg::Preconditioner::jacobi;
    const int iters = std::max(res.iterations, 1);
    const double per_iter = seconds / iters;
    const double flops_per_unknown = (1 + 3 * Dim) + 10 + (jacobi ? 4 : 0);
    const double gflops = flops_per_unknown * static_cast<double>(unknowns) / per_iter * 1e-9;
    // Traffic an iteration must move per unknown, in 8-byte words with write-allocate counted
    // as the triad does: Ap = A p with p.Ap fused (read p, write Ap + its allocate: 3),
    // x += a p and r -= a Ap with r.r fused (read 4, write 2), p = z + beta p (read 2, write 1);
    // Jacobi reads diag^-1 twice more. Ghost rows and reductions are O(surface), ignored.
    const double bytes_per_unknown = 8.0 * (3 + 6 + 3 + (jacobi ? 2 : 0));
    const double bytes = bytes_per_unknown * static_cast<double>(unknowns);

    log::info("cg: ", res.iterations, " iterations, ", res.converged ? "converged" : "NOT converged",
              ", ||r|| / ||b|| = ", res.relative_residual, ", ", seconds, " s, ", per_iter * 1e3,
              " ms/iteration, ", gflops, " GFLOP/s");
    nlohmann::json bench = nullptr;
    if (benchmark) {
        std::vector<double> fractions;
        for (int r = 0; r < reps; ++r) fractions.push_back(bytes / triads[r] / (times[r] / iters));
        const double bw = median(triads);
        const double fraction = median(fractions);
        log::info("memory: triad after each solve, median ", bw * 1e-9, " GB/s; an iteration moves at least ",
                  bytes_per_unknown, " B/unknown: bound ", bytes / bw * 1e3, " ms, achieved ", 100.0 * fraction,
                  "% of the bandwidth bound (median over ", reps, " solves of the per-solve fraction)");
        bench = {{"triad_bytes_per_second", bw},
                 {"bytes_per_iteration", bytes},
                 {"bound_seconds_per_iteration", bytes / bw},
                 {"fraction_of_bound", fraction},
                 {"seconds_per_solve", times},
                 {"triad_per_solve", triads},
                 {"fraction_per_solve", fractions}};
    }
    log::info(format_timer_table(timer_report(world)));
    log::info("check: max |u_h - u| = ", err, " (max |u| = ", umax, "), bound ", bound,
              " (2 dim h^2, h = ", h, "): ", passed ? "PASSED" : "FAILED");

    auto summary = run::make_summary(runtime, cfg.options);
    summary["iterations"] = res.iterations;
    summary["converged"] = res.converged;
    summary["residual_history"] = res.history;
    summary["seconds"] = seconds;
    summary["seconds_per_iteration"] = per_iter;
    summary["process_grid"] = dp;
    summary["rate"] = {{"value", gflops * 1e9}, {"unit", "flop/s"}};
    if (!bench.is_null()) summary["bandwidth"] = bench;
    summary["check"] = {{"passed", passed}, {"max_error", err}, {"bound", bound}, {"h", h}};
    run::write_json(world, cfg.options.common().output / "summary.json", summary);
    return passed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);
    return tessera::run_guarded(runtime, [&] {
        CgConfig cfg;
        cfg.parse(runtime.world(), argc, argv);
        return cfg.dim == 2 ? run_cg<2>(runtime, cfg) : run_cg<3>(runtime, cfg);
    });
}
