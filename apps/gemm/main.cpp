// tessera-gemm: distributed C = op(A) op(B) by SUMMA, checked and timed against local OpenBLAS.
// Sample runs:  mpirun -np 2 tessera-gemm --m 4000 --n 4000 --k 4000 --block 256
//               mpirun -np 4 tessera-gemm --config data/gemm/small.toml --procs 1 4 --transa
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include <tessera/tessera.hpp>

namespace {

using namespace tessera;
using linalg::DistMatrix;
using linalg::Transpose;

struct GemmConfig {
    run::AppOptions options{"gemm", "Distributed dense matrix multiply C = op(A) op(B) (SUMMA)"};
    gindex_t m = 1000, n = 1000, k = 1000;
    int block = 128;
    std::vector<int> procs;
    int repetitions = 3;
    bool transa = false, transb = false;
    int panel = 0;
    bool no_overlap = false;
    std::uint64_t seed = 1;

    void parse(const mpi::Comm& comm, int argc, char** argv) {
        auto& c = options.cli();
        c.add_option("--m", m, "Rows of C and op(A)")->check(CLI::Range(gindex_t{1}, gindex_t{1} << 40));
        c.add_option("--n", n, "Columns of C and op(B)")->check(CLI::Range(gindex_t{1}, gindex_t{1} << 40));
        c.add_option("--k", k, "Columns of op(A), rows of op(B)")->check(CLI::Range(gindex_t{1}, gindex_t{1} << 40));
        c.add_option("--block", block, "Block size of the 2D block-cyclic layout")->check(CLI::Range(1, 1 << 20));
        c.add_option("--procs", procs, "Process grid P Q (default: near-square)")->expected(2);
        c.add_option("--repetitions", repetitions, "Timed multiplies")->check(CLI::Range(1, 100000));
        c.add_flag("--transa", transa, "Multiply by A^T (A stored k x m)");
        c.add_flag("--transb", transb, "Multiply by B^T (B stored n x k)");
        c.add_option("--panel", panel, "SUMMA panel width, a multiple of --block (0: auto)");
        c.add_flag("--no-overlap", no_overlap, "Do not overlap panel broadcasts with multiplies");
        c.add_option("--seed", seed, "Seed of the random input matrices");
        options.parse(comm, argc, argv);
        TESSERA_CHECK_ALL(comm, panel >= 0 && panel % block == 0,
                          "--panel: " << panel << " is not a multiple of --block " << block);
    }
    std::array<int, 2> grid() const { return procs.empty() ? std::array<int, 2>{0, 0} : std::array<int, 2>{procs[0], procs[1]}; }
};

// Uniform in [-0.5, 0.5) from (seed, i, j) alone (splitmix64), so every layout sees the same
// matrix.
double random_entry(std::uint64_t seed, gindex_t i, gindex_t j, std::uint64_t stream) {
    std::uint64_t z = seed * 0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(i) * 0xbf58476d1ce4e5b9ull +
                      static_cast<std::uint64_t>(j) * 0x94d049bb133111ebull + stream;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53 - 0.5;
}

// Rank 0 multiplies m x k by k x n with OpenBLAS on every core the job uses (ranks x threads)
// while the other ranks sleep (an MPI barrier would spin on a core): the machine's DGEMM rate.
double local_dgemm_gflops(const mpi::Comm& comm, gindex_t m, gindex_t n, gindex_t k, int threads,
                          int repetitions) {
    double best = 0;
    comm.barrier();
    if (comm.rank() == 0) {
        std::vector<double> a(static_cast<std::size_t>(m * k), 0.25), b(static_cast<std::size_t>(k * n), 0.5),
            c(static_cast<std::size_t>(m * n), 0.0);
        const linalg::BlasThreads blas(threads);
        for (int r = 0; r < repetitions; ++r) {
            const double t0 = MPI_Wtime();
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                        static_cast<int>(k), 1.0, a.data(), static_cast<int>(m), b.data(), static_cast<int>(k),
                        0.0, c.data(), static_cast<int>(m));
            best = std::max(best, 2.0 * m * n * k / (MPI_Wtime() - t0) * 1e-9);
        }
    }
    MPI_Request req;
    TESSERA_MPI_CALL(MPI_Ibarrier(comm.get(), &req));
    for (int done = 0; !done;) {
        TESSERA_MPI_CALL(MPI_Test(&req, &done, MPI_STATUS_IGNORE));
        if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return mpi::bcast(comm, best, 0);
}

int run_gemm(Runtime& runtime, GemmConfig& cfg) {
    const auto& world = runtime.world();
    // The library names its parameter (ProcessGrid2D: procs); this app calls it --procs.
    const run::OptionNames names = {{"ProcessGrid2D: procs:", "--procs:"}};
    linalg::ProcessGrid2D grid = run::translating_errors(names, [&] { return linalg::ProcessGrid2D(world, cfg.grid()); });
    TESSERA_CHECK_ALL(world, grid.rows() <= cfg.m && grid.cols() <= cfg.n,
                      "--procs: the " << grid.rows() << " x " << grid.cols()
                                      << " process grid is larger than the " << cfg.m << " x "
                                      << cfg.n << " matrix C");
    TESSERA_CHECK_ALL(world, cfg.block <= std::max({cfg.m, cfg.n, cfg.k}),
                      "--block: " << cfg.block << " exceeds every matrix dimension");
    {
        const double m = static_cast<double>(cfg.m), n = static_cast<double>(cfg.n), k = static_cast<double>(cfg.k);
        check_node_memory(world, (m * k + k * n + m * n) * sizeof(double) / world.size(),
                          "--m " + std::to_string(cfg.m) + " --n " + std::to_string(cfg.n) + " --k " +
                              std::to_string(cfg.k) + " (A, B and C)");
    }
    run::prepare_output_dir(world, cfg.options.common().output, cfg.options.common().overwrite);

    log::info("tessera-gemm ", version(), "\n", cfg.options.resolved_toml());
    const auto blas = linalg::blas_info();
    log::info(runtime.layout_report(), "process grid: ", grid.rows(), " x ", grid.cols(),
              ", block ", cfg.block, "; local multiplies: OpenBLAS with ", runtime.threads(),
              " thread(s) per rank\nBLAS: ", blas.library, ", kernel ", blas.kernel);
    if (blas.generic) log::warn(linalg::blas_warning(blas));

    const auto ta = cfg.transa ? Transpose::yes : Transpose::no;
    const auto tb = cfg.transb ? Transpose::yes : Transpose::no;
    DistMatrix<double> A(grid, cfg.transa ? cfg.k : cfg.m, cfg.transa ? cfg.m : cfg.k, cfg.block);
    DistMatrix<double> B(grid, cfg.transb ? cfg.n : cfg.k, cfg.transb ? cfg.k : cfg.n, cfg.block);
    DistMatrix<double> C(grid, cfg.m, cfg.n, cfg.block);
    {
        ScopedTimer t("gemm.fill");
        A.fill([&](gindex_t i, gindex_t j) { return random_entry(cfg.seed, i, j, 1); });
        B.fill([&](gindex_t i, gindex_t j) { return random_entry(cfg.seed, i, j, 2); });
    }
    const linalg::GemmOptions gopt{.panel = cfg.panel, .overlap = !cfg.no_overlap};
    std::vector<double> seconds;
    run::Progress progress("gemm", cfg.repetitions, "multiplies");
    for (int r = 0; r < cfg.repetitions; ++r) {
        world.barrier();
        const double t0 = MPI_Wtime();
        linalg::gemm(ta, tb, 1.0, A, B, 0.0, C, gopt);
        seconds.push_back(mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX));
        progress.update(r + 1);
    }
    progress.finish();
    const double flops = 2.0 * static_cast<double>(cfg.m) * static_cast<double>(cfg.n) * static_cast<double>(cfg.k);
    const double best = *std::min_element(seconds.begin(), seconds.end());
    const double gflops_best = flops / best * 1e-9, gflops_median = flops / run::median(seconds) * 1e-9;

    // Check: HPL-style scaled residual of C x against op(A) (op(B) x) for a random x.
    double residual = 0;
    {
        ScopedTimer t("gemm.check");
        std::vector<double> x(static_cast<std::size_t>(cfg.n)), bx(static_cast<std::size_t>(cfg.k)),
            abx(static_cast<std::size_t>(cfg.m)), cx(static_cast<std::size_t>(cfg.m));
        for (gindex_t j = 0; j < cfg.n; ++j) x[static_cast<std::size_t>(j)] = random_entry(cfg.seed, j, 0, 3);
        const auto opa = cfg.transa ? linalg::transpose(A) : A.clone();
        const auto opb = cfg.transb ? linalg::transpose(B) : B.clone();
        linalg::matvec(1.0, opb, x, 0.0, bx);
        linalg::matvec(1.0, opa, bx, 0.0, abx);
        linalg::matvec(1.0, C, x, 0.0, cx);
        double diff = 0, xnorm = 0;
        for (gindex_t i = 0; i < cfg.m; ++i)
            diff = std::max(diff, std::abs(cx[static_cast<std::size_t>(i)] - abx[static_cast<std::size_t>(i)]));
        for (double v : x) xnorm = std::max(xnorm, std::abs(v));
        // ||(C - AB) x||_inf <= ||C - AB||_F ||x||_inf sqrt(n): the matvec stands in for the
        // matrix norm of the HPL-style ||C - AB|| / (||A||_F ||B||_F k eps), at O(n^2) cost.
        residual = diff / (linalg::norm_frobenius(opa) * linalg::norm_frobenius(opb) * xnorm *
                           static_cast<double>(cfg.k) * std::numeric_limits<double>::epsilon());
    }
    const bool passed = residual < 16.0;

    const double machine = local_dgemm_gflops(world, cfg.m, cfg.n, cfg.k, runtime.size() * runtime.threads(),
                                              cfg.options.common().benchmark ? 3 : 1);
    log::info("gemm ", cfg.m, " x ", cfg.n, " x ", cfg.k, (cfg.transa ? " A^T" : ""), (cfg.transb ? " B^T" : ""),
              ": best ", best, " s, ", gflops_best, " GFLOP/s (median ", gflops_median, ")");
    log::info("local OpenBLAS dgemm on ", runtime.size() * runtime.threads(), " thread(s), same sizes: ",
              machine, " GFLOP/s; tessera-gemm reaches ", 100.0 * gflops_best / machine, "% of it");
    log::info(run::timer_table(world));
    log::info("check: scaled residual ||C x - A (B x)|| / (||A|| ||B|| ||x|| k eps) = ", residual,
              passed ? " < 16: PASSED" : " >= 16: FAILED");

    auto summary = run::make_summary(runtime, cfg.options);
    summary["grid"] = {grid.rows(), grid.cols()};
    summary["seconds"] = seconds;
    summary["rate"] = {{"value", gflops_best * 1e9}, {"unit", "flop/s"}, {"median", gflops_median * 1e9}};
    summary["reference"] = {{"openblas_threads", runtime.size() * runtime.threads()},
                            {"gflops", machine},
                            {"fraction", gflops_best / machine}};
    summary["check"] = {{"passed", passed}, {"scaled_residual", residual}, {"threshold", 16.0}};
    run::write_json(world, cfg.options.common().output / "summary.json", summary);
    return passed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    tessera::Runtime runtime(argc, argv);
    return tessera::run_guarded(runtime, [&] {
        GemmConfig cfg;
        cfg.parse(runtime.world(), argc, argv);
        return run_gemm(runtime, cfg);
    });
}
