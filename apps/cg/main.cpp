// tessera-cg: conjugate gradients on the matrix-free 2D/3D Poisson problem -lap u = f with a
// manufactured solution, reproducible on any layout.
// Sample runs:  mpirun -np 2 tessera-cg --dim 2 --cells 256 256 --precond jacobi
//               mpirun -np 2 tessera-cg --dim 3 --cells 128 128 128 --tol 1e-8 --benchmark
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <tessera/tessera.hpp>

#include "manufactured.hpp"
#include "poisson_operator.hpp"

namespace {

using namespace tessera;

struct CgConfig {
    AppOptions options{"cg", "Conjugate gradients on the matrix-free Poisson problem"};
    int dim = 2;
    std::vector<gindex_t> cells;
    std::vector<int> procs;
    double tol = 1e-10;
    int max_iter = 10000;
    std::string precond = "none";

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
        options.parse(comm, argc, argv);
        if (cells.empty()) cells = dim == 2 ? std::vector<gindex_t>{128, 128} : std::vector<gindex_t>{48, 48, 48};
        TESSERA_CHECK_ALL(comm, static_cast<int>(cells.size()) == dim,
                          "--cells: " << cells.size() << " values given for --dim " << dim);
        TESSERA_CHECK_ALL(comm, procs.empty() || static_cast<int>(procs.size()) == dim,
                          "--procs: " << procs.size() << " values given for --dim " << dim);
        TESSERA_CHECK_ALL(comm, std::ranges::all_of(procs, [](int p) { return p >= 0; }),
                          "--procs: process counts must be >= 0 (0: chosen)");
        TESSERA_CHECK_ALL(comm, tol > 0 && std::isfinite(tol), "--tol: " << tol << " must be positive");
    }
};

using cg_app::exact;
using cg_app::source;

// Collective: sustained memory bandwidth of all ranks' threads together, from a triad
// a = b + s c on arrays far larger than the caches, counting 32 B per element (two reads,
// one write and its write-allocate read). Best of five.
double triad_bandwidth(const mpi::Comm& comm) {
    const index_t n = index_t{1} << 23;
    std::vector<double> a(static_cast<std::size_t>(n)), b(a.size()), c(a.size());
#pragma omp parallel for schedule(static)
    for (index_t i = 0; i < n; ++i) {
        a[i] = 0;
        b[i] = 1;
        c[i] = 2;
    }
    double best = 0;
    for (int r = 0; r < 5; ++r) {
        comm.barrier();
        const double t0 = MPI_Wtime();
#pragma omp parallel for simd schedule(static)
        for (index_t i = 0; i < n; ++i) a[i] = b[i] + 0.5 * c[i];
        const double t = mpi::allreduce(comm, MPI_Wtime() - t0, MPI_MAX);
        best = std::max(best, 32.0 * static_cast<double>(n) * comm.size() / t);
    }
    volatile double sink = a[static_cast<std::size_t>(n / 2)];
    (void)sink;
    return best;
}

template <int Dim>
int run(Runtime& runtime, const CgConfig& cfg) {
    const auto& world = runtime.world();
    std::array<gindex_t, Dim> cells{};
    std::array<int, Dim> procs{};
    for (int d = 0; d < Dim; ++d) {
        cells[d] = cfg.cells[static_cast<std::size_t>(d)];
        if (!cfg.procs.empty()) procs[d] = cfg.procs[static_cast<std::size_t>(d)];
    }
    cg_app::PoissonOperator<Dim> op(world, cells, procs);
    prepare_output_dir(world, cfg.options.common().output, cfg.options.common().overwrite);

    log::info("tessera-cg ", version(), "\n", cfg.options.resolved_toml());
    const auto& dp = op.decomp().procs();
    std::string grid;
    for (int d = 0; d < Dim; ++d) grid += (d ? " x " : "") + std::to_string(dp[d]);
    log::info(runtime.layout_report(), "process grid: ", grid, " (x never split)");

    const auto n = static_cast<std::size_t>(op.local_size());
    std::vector<double> b(n), x(n, 0.0), u(n);
    op.fill(std::span<double>(b), source<Dim>);
    op.fill(std::span<double>(u), exact<Dim>);
    linalg::CgOptions opt{.tol = cfg.tol,
                                .max_iter = cfg.max_iter,
                                .precond = cfg.precond == "jacobi" ? linalg::Preconditioner::jacobi
                                                                   : linalg::Preconditioner::none};
    // Progress against the iteration limit: the ETA is an upper bound.
    Progress progress("cg", cfg.max_iter, "iterations");
    opt.monitor = [&](int k, double) { progress.update(k); };
    world.barrier();
    const double t0 = MPI_Wtime();
    const auto res = linalg::cg(op, b, x, opt);
    progress.finish();
    const double seconds = mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX);

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
    if (cfg.options.common().benchmark) {
        const double bw = triad_bandwidth(world);
        const double bound_time = bytes / bw;
        log::info("memory: triad ", bw * 1e-9, " GB/s (same run); an iteration moves at least ",
                  bytes_per_unknown, " B/unknown: bound ", bound_time * 1e3, " ms, achieved ",
                  100.0 * bound_time / per_iter, "% of the bandwidth bound");
        bench = {{"triad_bytes_per_second", bw},
                 {"bytes_per_iteration", bytes},
                 {"bound_seconds_per_iteration", bound_time},
                 {"fraction_of_bound", bound_time / per_iter}};
    }
    log::info(format_timer_table(timer_report(world)));
    log::info("check: max |u_h - u| = ", err, " (max |u| = ", umax, "), bound ", bound,
              " (2 dim h^2, h = ", h, "): ", passed ? "PASSED" : "FAILED");

    auto summary = make_summary(runtime, cfg.options);
    summary["iterations"] = res.iterations;
    summary["converged"] = res.converged;
    summary["residual_history"] = res.history;
    summary["seconds"] = seconds;
    summary["seconds_per_iteration"] = per_iter;
    summary["process_grid"] = dp;
    summary["rate"] = {{"value", gflops * 1e9}, {"unit", "flop/s"}};
    if (!bench.is_null()) summary["bandwidth"] = bench;
    summary["check"] = {{"passed", passed}, {"max_error", err}, {"bound", bound}, {"h", h}};
    write_json(world, cfg.options.common().output / "summary.json", summary);
    return passed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);
    return tessera::run_guarded(runtime, [&] {
        CgConfig cfg;
        cfg.parse(runtime.world(), argc, argv);
        return cfg.dim == 2 ? run<2>(runtime, cfg) : run<3>(runtime, cfg);
    });
}
