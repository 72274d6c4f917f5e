// Distributed GEMM benchmark: tessera's SUMMA against OpenBLAS on the same cores and, when
// built with ScaLAPACK, pdgemm on the same grid, sizes and block size, all in one run with the
// measurements interleaved (the machines are shared: only same-run ratios mean much).
//
//   mpirun -np 2 build/bin/tessera-bench-gemm [n=4000] [nb=256] [repetitions=5] [P Q]
//
// Prints per-repetition rates and medians of: OpenBLAS dgemm on rank 0 with ranks x threads
// threads (the others sleep), OpenBLAS on one thread vs tessera on a one-rank grid with one
// thread (the local-multiply overhead), tessera on all ranks, and pdgemm on all ranks.
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <tessera/core/runtime.hpp>
#include <tessera/linalg/gemm.hpp>

#ifdef TESSERA_BENCH_SCALAPACK
extern "C" {
void Cblacs_get(int context, int what, int* value);
void Cblacs_gridinit(int* context, const char* order, int rows, int cols);
void Cblacs_gridexit(int context);
void descinit_(int* desc, const int* m, const int* n, const int* mb, const int* nb, const int* irsrc,
               const int* icsrc, const int* context, const int* lld, int* info);
void pdgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
             const double* alpha, const double* a, const int* ia, const int* ja, const int* desca,
             const double* b, const int* ib, const int* jb, const int* descb, const double* beta,
             double* c, const int* ic, const int* jc, const int* descc);
}
#endif

namespace {

using namespace tessera;

// Every rank but 0 waits without spinning (an MPI barrier would busy-poll a core).
void sleep_barrier(const mpi::Comm& comm) {
    MPI_Request req;
    TESSERA_MPI_CALL(MPI_Ibarrier(comm.get(), &req));
    for (int done = 0; !done;) {
        TESSERA_MPI_CALL(MPI_Test(&req, &done, MPI_STATUS_IGNORE));
        if (!done) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// Rank 0 alone: GFLOP/s of one n^3 cblas_dgemm with `threads` OpenBLAS threads.
double openblas_gflops(const mpi::Comm& comm, int n, int threads, std::vector<double>& a,
                       std::vector<double>& b, std::vector<double>& c) {
    double rate = 0;
    comm.barrier();
    if (comm.rank() == 0) {
        const linalg::BlasThreads blas(threads);
        const double t0 = MPI_Wtime();
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a.data(), n, b.data(), n, 0.0,
                    c.data(), n);
        rate = 2.0 * n * n * n / (MPI_Wtime() - t0) * 1e-9;
    }
    sleep_barrier(comm);
    return mpi::bcast(comm, rate, 0);
}

double tessera_gflops(const mpi::Comm& comm, const linalg::DistMatrix<double>& A,
                      const linalg::DistMatrix<double>& B, linalg::DistMatrix<double>& C) {
    comm.barrier();
    const double t0 = MPI_Wtime();
    linalg::gemm(1.0, A, B, 0.0, C);
    const double t = mpi::allreduce(comm, MPI_Wtime() - t0, MPI_MAX);
    return 2.0 * A.rows() * B.cols() * A.cols() / t * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
    Runtime runtime(argc, argv);
    return run_guarded(runtime, [&] {
        const auto& world = runtime.world();
        const int n = argc > 1 ? std::atoi(argv[1]) : 4000;
        const int nb = argc > 2 ? std::atoi(argv[2]) : 256;
        const int reps = argc > 3 ? std::atoi(argv[3]) : 5;
        std::array<int, 2> procs{0, 0};
        if (argc > 5) procs = {std::atoi(argv[4]), std::atoi(argv[5])};
        const int cores = runtime.size() * runtime.threads();
        linalg::ProcessGrid2D grid(world, procs);
        auto fill = [](linalg::DistMatrix<double>& M, double s) {
            M.fill([s](gindex_t i, gindex_t j) { return s * static_cast<double>((i * 7 + j * 3) % 11) - 0.5; });
        };
        linalg::DistMatrix<double> A(grid, n, n, nb), B(grid, n, n, nb), C(grid, n, n, nb);
        fill(A, 0.1);
        fill(B, 0.05);
        // One-rank grid on rank 0 for the local-multiply comparison.
        const auto self = world.split(world.rank() == 0 ? 0 : MPI_UNDEFINED, 0);
        std::vector<double> a, b, c;
        std::optional<linalg::ProcessGrid2D> solo;
        std::optional<linalg::DistMatrix<double>> As, Bs, Cs;
        if (world.rank() == 0) {
            a.assign(static_cast<std::size_t>(n) * n, 0.25);
            b.assign(a.size(), 0.5);
            c.assign(a.size(), 0.0);
            solo.emplace(self);
            As.emplace(*solo, n, n, nb);
            Bs.emplace(*solo, n, n, nb);
            Cs.emplace(*solo, n, n, nb);
            fill(*As, 0.1);
            fill(*Bs, 0.05);
        }
#ifdef TESSERA_BENCH_SCALAPACK
        int ctxt = 0;
        Cblacs_get(-1, 0, &ctxt);
        Cblacs_gridinit(&ctxt, "Row", grid.rows(), grid.cols());
        int desc[9], info = 0;
        const int zero = 0, one = 1, lld = static_cast<int>(A.ld());
        descinit_(desc, &n, &n, &nb, &nb, &zero, &zero, &ctxt, &lld, &info);
        TESSERA_CHECK(info == 0, "descinit failed: " << info);
#endif
        std::vector<double> ref_all, ref_one, mine_one, mine, scal;
        for (int r = 0; r < reps; ++r) {
            ref_all.push_back(openblas_gflops(world, n, cores, a, b, c));
            ref_one.push_back(openblas_gflops(world, n, 1, a, b, c));
            double solo_rate = 0;
            if (world.rank() == 0) {
                omp_set_num_threads(1);
                solo_rate = tessera_gflops(self, *As, *Bs, *Cs);
                omp_set_num_threads(runtime.threads());
            }
            sleep_barrier(world);
            mine_one.push_back(mpi::bcast(world, solo_rate, 0));
            mine.push_back(tessera_gflops(world, A, B, C));
#ifdef TESSERA_BENCH_SCALAPACK
            {
                const linalg::BlasThreads blas(runtime.threads());
                const char no = 'N';
                const double alpha = 1.0, beta = 0.0;
                world.barrier();
                const double t0 = MPI_Wtime();
                pdgemm_(&no, &no, &n, &n, &n, &alpha, A.local_data(), &one, &one, desc, B.local_data(), &one,
                        &one, desc, &beta, C.local_data(), &one, &one, desc);
                const double t = mpi::allreduce(world, MPI_Wtime() - t0, MPI_MAX);
                scal.push_back(2.0 * n * n * n / t * 1e-9);
            }
#endif
            if (world.rank() == 0)
                std::printf("rep %d: openblas %d thr %.1f | openblas 1 thr %.1f | tessera 1 rank %.1f | "
                            "tessera %d ranks %.1f | pdgemm %.1f GFLOP/s\n",
                            r, cores, ref_all.back(), ref_one.back(), mine_one.back(), runtime.size(),
                            mine.back(), scal.empty() ? 0.0 : scal.back());
        }
#ifdef TESSERA_BENCH_SCALAPACK
        Cblacs_gridexit(ctxt);
#endif
        // Ratios within each repetition (neighbouring measurements share the machine's load).
        auto ratio = [](const std::vector<double>& x, const std::vector<double>& y) {
            std::vector<double> r;
            for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) r.push_back(x[i] / y[i]);
            return median(r);
        };
        if (world.rank() == 0) {
            std::printf("median per-repetition ratios: local %.1f%%, distributed %.1f%%", 100 * ratio(mine_one, ref_one),
                        100 * ratio(mine, ref_all));
            if (!scal.empty()) std::printf(", tessera / pdgemm %.2f", ratio(mine, scal));
            std::printf("\n");
            std::printf("n = %d, nb = %d, grid %d x %d, %d rank(s) x %d thread(s); medians of %d:\n", n, nb,
                        grid.rows(), grid.cols(), runtime.size(), runtime.threads(), reps);
            std::printf("  local:       tessera 1 rank x 1 thread %.1f vs OpenBLAS 1 thread %.1f GFLOP/s: %.1f%%\n",
                        median(mine_one), median(ref_one), 100 * median(mine_one) / median(ref_one));
            std::printf("  distributed: tessera %.1f vs OpenBLAS %d threads %.1f GFLOP/s: %.1f%%\n", median(mine),
                        cores, median(ref_all), 100 * median(mine) / median(ref_all));
            if (!scal.empty())
                std::printf("  ScaLAPACK:   pdgemm %.1f GFLOP/s; tessera / pdgemm = %.2f\n", median(scal),
                            median(mine) / median(scal));
        }
        return 0;
    });
}
