// tessera-bench-hypre-pfmg-pcg: hypre's PCG preconditioned by one PFMG V-cycle (Struct interface) on
// the system tessera-cg solves: -lap_h u = f with the (2 Dim + 1)-point stencil scaled by
// 1 / h^2, n interior unknowns per axis, h = 1 / (n + 1), unknown i at (i + 1) h, zero
// Dirichlet walls, f from tessera's manufactured solution, x0 = 0, stopped when
// ||r||_2 / ||b||_2 <= tol (unpreconditioned residual). The grid is split over the ranks with
// MPI_Dims_create. Each repetition builds a fresh solver (setup timed) and solves (timed);
// medians are printed, then one "RESULT" line for scripts to parse.
//   mpirun -np 2 tessera-bench-hypre-pfmg-pcg --dim 3 --cells 127 127 127 --tol 1e-8 --reps 5
#include <HYPRE_struct_ls.h>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <tessera/stencil/manufactured.hpp>

namespace {

struct Options {
    int dim = 3;
    std::array<int, 3> cells{64, 64, 64};
    double tol = 1e-8;
    int reps = 3;
    int relax = 2;  // hypre's PFMG relax types: 0 Jacobi, 1 weighted Jacobi, 2 symmetric red/black GS
    int pre = 1, post = 1;
    int rap = 0;    // 0 Galerkin, 1 non-Galerkin 7-point
    int skip = 1;   // skip relaxation on some levels (isotropic problems)
    int max_iter = 1000;
};

[[noreturn]] void usage(int rank, const char* msg) {
    if (rank == 0)
        std::fprintf(stderr,
                     "tessera-bench-hypre-pfmg-pcg: %s\nusage: tessera-bench-hypre-pfmg-pcg [--dim 2|3] [--cells NX NY [NZ]] "
                     "[--tol T] [--reps R] [--relax 0|1|2|3] [--pre N] [--post N] [--rap 0|1] [--skip 0|1]\n",
                     msg);
    MPI_Finalize();
    std::exit(2);
}

Options parse(int rank, int argc, char** argv) {
    Options o;
    bool cells_given = false;
    for (int a = 1; a < argc; ++a) {
        const std::string s = argv[a];
        auto next = [&]() -> const char* {
            if (a + 1 >= argc) usage(rank, ("missing value after " + s).c_str());
            return argv[++a];
        };
        if (s == "--dim") o.dim = std::atoi(next());
        else if (s == "--cells") {
            cells_given = true;
            int k = 0;
            while (k < 3 && a + 1 < argc && argv[a + 1][0] != '-') o.cells[static_cast<std::size_t>(k++)] = std::atoi(argv[++a]);
            if (k < 2) usage(rank, "--cells takes 2 or 3 sizes");
            if (k == 2) o.cells[2] = 1;
        } else if (s == "--tol") o.tol = std::atof(next());
        else if (s == "--reps") o.reps = std::atoi(next());
        else if (s == "--relax") o.relax = std::atoi(next());
        else if (s == "--pre") o.pre = std::atoi(next());
        else if (s == "--post") o.post = std::atoi(next());
        else if (s == "--rap") o.rap = std::atoi(next());
        else if (s == "--skip") o.skip = std::atoi(next());
        else if (s == "--max-iter") o.max_iter = std::atoi(next());
        else usage(rank, ("unknown option " + s).c_str());
    }
    if (o.dim != 2 && o.dim != 3) usage(rank, "--dim must be 2 or 3");
    if (!cells_given && o.dim == 2) o.cells = {128, 128, 1};
    for (int d = 0; d < o.dim; ++d)
        if (o.cells[static_cast<std::size_t>(d)] < 1) usage(rank, "--cells must be positive");
    if (!(o.tol > 0) || o.reps < 1) usage(rank, "--tol must be > 0 and --reps >= 1");
    return o;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

double max_over_ranks(double v) {
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const Options o = parse(rank, argc, argv);
    HYPRE_Init();
    const int dim = o.dim;

    // Block decomposition over an MPI_Dims_create grid; hypre's indices are the unknowns 0..n-1.
    std::array<int, 3> dims{0, 0, 1}, coords{0, 0, 0};
    MPI_Dims_create(size, dim, dims.data());
    {
        int r = rank;
        for (int d = 0; d < dim; ++d) {
            coords[static_cast<std::size_t>(d)] = r % dims[static_cast<std::size_t>(d)];
            r /= dims[static_cast<std::size_t>(d)];
        }
    }
    std::array<HYPRE_Int, 3> lo{0, 0, 0}, hi{0, 0, 0}, ext{1, 1, 1};
    std::array<double, 3> h{1, 1, 1};
    for (std::size_t d = 0; d < static_cast<std::size_t>(dim); ++d) {
        const int n = o.cells[d], p = dims[d], c = coords[d];
        lo[d] = c * (n / p) + std::min(c, n % p);
        hi[d] = lo[d] + n / p + (c < n % p ? 1 : 0) - 1;
        ext[d] = hi[d] - lo[d] + 1;
        h[d] = 1.0 / (n + 1);
        if (ext[d] < 1) usage(rank, "more ranks than cells along an axis");
    }
    const std::size_t local = static_cast<std::size_t>(ext[0]) * static_cast<std::size_t>(ext[1]) *
                              static_cast<std::size_t>(ext[2]);

    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    HYPRE_StructGrid grid;
    HYPRE_StructGridCreate(MPI_COMM_WORLD, dim, &grid);
    HYPRE_StructGridSetExtents(grid, lo.data(), hi.data());
    HYPRE_StructGridAssemble(grid);

    // Stencil: centre, then -x, +x, -y, +y[, -z, +z].
    const int entries = 2 * dim + 1;
    HYPRE_StructStencil stencil;
    HYPRE_StructStencilCreate(dim, entries, &stencil);
    {
        HYPRE_Int off[3] = {0, 0, 0};
        HYPRE_StructStencilSetElement(stencil, 0, off);
        for (int d = 0; d < dim; ++d)
            for (int s = 0; s < 2; ++s) {
                HYPRE_Int e[3] = {0, 0, 0};
                e[d] = s == 0 ? -1 : 1;
                HYPRE_StructStencilSetElement(stencil, 1 + 2 * d + s, e);
            }
    }
    HYPRE_StructMatrix A;
    HYPRE_StructMatrixCreate(MPI_COMM_WORLD, grid, stencil, &A);
    HYPRE_StructMatrixInitialize(A);
    {
        std::vector<HYPRE_Int> idx(static_cast<std::size_t>(entries));
        for (int e = 0; e < entries; ++e) idx[static_cast<std::size_t>(e)] = e;
        std::vector<double> values(local * static_cast<std::size_t>(entries));
        double diag = 0;
        for (int d = 0; d < dim; ++d) diag += 2.0 / (h[static_cast<std::size_t>(d)] * h[static_cast<std::size_t>(d)]);
        for (std::size_t p = 0; p < local; ++p) {
            values[p * static_cast<std::size_t>(entries)] = diag;
            for (int d = 0; d < dim; ++d)
                for (int s = 0; s < 2; ++s)
                    values[p * static_cast<std::size_t>(entries) + static_cast<std::size_t>(1 + 2 * d + s)] =
                        -1.0 / (h[static_cast<std::size_t>(d)] * h[static_cast<std::size_t>(d)]);
        }
        HYPRE_StructMatrixSetBoxValues(A, lo.data(), hi.data(), entries, idx.data(), values.data());
        // Couplings across the walls are zero (Dirichlet): the boundary faces of the global box.
        for (int d = 0; d < dim; ++d)
            for (int s = 0; s < 2; ++s) {
                const auto ud = static_cast<std::size_t>(d);
                const bool wall = s == 0 ? lo[ud] == 0 : hi[ud] == o.cells[ud] - 1;
                if (!wall) continue;
                auto flo = lo, fhi = hi;
                if (s == 0) fhi[ud] = lo[ud];
                else flo[ud] = hi[ud];
                std::size_t face = 1;
                for (int e = 0; e < dim; ++e) face *= static_cast<std::size_t>(fhi[static_cast<std::size_t>(e)] - flo[static_cast<std::size_t>(e)] + 1);
                std::vector<double> zeros(face, 0.0);
                HYPRE_Int entry = 1 + 2 * d + s;
                HYPRE_StructMatrixSetBoxValues(A, flo.data(), fhi.data(), 1, &entry, zeros.data());
            }
    }
    HYPRE_StructMatrixAssemble(A);

    HYPRE_StructVector b, x;
    HYPRE_StructVectorCreate(MPI_COMM_WORLD, grid, &b);
    HYPRE_StructVectorCreate(MPI_COMM_WORLD, grid, &x);
    HYPRE_StructVectorInitialize(b);
    HYPRE_StructVectorInitialize(x);
    std::vector<double> fvals(local), uvals(local), zeros(local, 0.0);
    for (HYPRE_Int k = 0; k < ext[2]; ++k)
        for (HYPRE_Int j = 0; j < ext[1]; ++j)
            for (HYPRE_Int i = 0; i < ext[0]; ++i) {
                const std::size_t p = (static_cast<std::size_t>(k) * static_cast<std::size_t>(ext[1]) +
                                       static_cast<std::size_t>(j)) * static_cast<std::size_t>(ext[0]) +
                                      static_cast<std::size_t>(i);
                const double px = (lo[0] + i + 1) * h[0], py = (lo[1] + j + 1) * h[1], pz = (lo[2] + k + 1) * h[2];
                if (dim == 2) {
                    fvals[p] = tessera::stencil::manufactured::source<2>({px, py});
                    uvals[p] = tessera::stencil::manufactured::exact<2>({px, py});
                } else {
                    fvals[p] = tessera::stencil::manufactured::source<3>({px, py, pz});
                    uvals[p] = tessera::stencil::manufactured::exact<3>({px, py, pz});
                }
            }
    HYPRE_StructVectorSetBoxValues(b, lo.data(), hi.data(), fvals.data());
    HYPRE_StructVectorAssemble(b);
    HYPRE_StructVectorSetBoxValues(x, lo.data(), hi.data(), zeros.data());
    HYPRE_StructVectorAssemble(x);
    const double assembly = max_over_ranks(MPI_Wtime() - t0);

    std::vector<double> setups, solves;
    HYPRE_Int iterations = 0;
    double relres = 0;
    for (int r = 0; r < o.reps; ++r) {
        HYPRE_StructVectorSetBoxValues(x, lo.data(), hi.data(), zeros.data());
        HYPRE_StructVectorAssemble(x);
        HYPRE_StructSolver pcg, pfmg;
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = MPI_Wtime();
        HYPRE_StructPCGCreate(MPI_COMM_WORLD, &pcg);
        HYPRE_StructPCGSetTol(pcg, o.tol);
        HYPRE_StructPCGSetAbsoluteTol(pcg, 0.0);
        HYPRE_StructPCGSetMaxIter(pcg, o.max_iter);
        HYPRE_StructPCGSetTwoNorm(pcg, 1);   // ||r||_2 / ||b||_2, not the preconditioned norm
        HYPRE_StructPCGSetRelChange(pcg, 0);
        HYPRE_StructPFMGCreate(MPI_COMM_WORLD, &pfmg);
        HYPRE_StructPFMGSetMaxIter(pfmg, 1);  // one V-cycle per application
        HYPRE_StructPFMGSetTol(pfmg, 0.0);
        HYPRE_StructPFMGSetZeroGuess(pfmg);
        HYPRE_StructPFMGSetRAPType(pfmg, o.rap);
        HYPRE_StructPFMGSetRelaxType(pfmg, o.relax);
        HYPRE_StructPFMGSetNumPreRelax(pfmg, o.pre);
        HYPRE_StructPFMGSetNumPostRelax(pfmg, o.post);
        HYPRE_StructPFMGSetSkipRelax(pfmg, o.skip);
        HYPRE_StructPCGSetPrecond(pcg, HYPRE_StructPFMGSolve, HYPRE_StructPFMGSetup, pfmg);
        HYPRE_StructPCGSetup(pcg, A, b, x);
        setups.push_back(max_over_ranks(MPI_Wtime() - t0));
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = MPI_Wtime();
        HYPRE_StructPCGSolve(pcg, A, b, x);
        solves.push_back(max_over_ranks(MPI_Wtime() - t0));
        HYPRE_StructPCGGetNumIterations(pcg, &iterations);
        HYPRE_StructPCGGetFinalRelativeResidualNorm(pcg, &relres);
        HYPRE_StructPFMGDestroy(pfmg);
        HYPRE_StructPCGDestroy(pcg);
    }

    // The error against the manufactured solution, and the true residual (A x computed by hypre).
    std::vector<double> xv(local);
    HYPRE_StructVectorGetBoxValues(x, lo.data(), hi.data(), xv.data());
    double err = 0;
    for (std::size_t p = 0; p < local; ++p) err = std::max(err, std::abs(xv[p] - uvals[p]));
    err = max_over_ranks(err);
    HYPRE_StructVector res;
    HYPRE_StructVectorCreate(MPI_COMM_WORLD, grid, &res);
    HYPRE_StructVectorInitialize(res);
    HYPRE_StructVectorSetBoxValues(res, lo.data(), hi.data(), fvals.data());
    HYPRE_StructVectorAssemble(res);
    HYPRE_StructMatrixMatvec(-1.0, A, x, 1.0, res);  // res = b - A x
    std::vector<double> rv(local);
    HYPRE_StructVectorGetBoxValues(res, lo.data(), hi.data(), rv.data());
    double sums[2] = {0, 0};
    for (std::size_t p = 0; p < local; ++p) sums[0] += rv[p] * rv[p], sums[1] += fvals[p] * fvals[p];
    MPI_Allreduce(MPI_IN_PLACE, sums, 2, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    const double true_relres = std::sqrt(sums[0] / sums[1]);

    const double setup = median(setups), solve = median(solves);
    if (rank == 0) {
        std::printf("hypre PFMG-PCG: %dD, cells %d x %d", dim, o.cells[0], o.cells[1]);
        if (dim == 3) std::printf(" x %d", o.cells[2]);
        std::printf(" on %d rank(s) (process grid %d x %d x %d); PFMG relax %d, %d pre / %d post, RAP %d, skip %d\n",
                    size, dims[0], dims[1], dims[2], o.relax, o.pre, o.post, o.rap, o.skip);
        std::printf("iterations %d, ||r|| / ||b|| = %.3e (hypre) %.3e (recomputed), max |u_h - u| = %.6g\n",
                    static_cast<int>(iterations), relres, true_relres, err);
        std::printf("matrix assembly %.4f s; median of %d: setup %.4f s, solve %.4f s, %.3f ms/iteration, "
                    "time to solution (setup + solve) %.4f s\n",
                    assembly, o.reps, setup, solve, 1e3 * solve / std::max<int>(iterations, 1), setup + solve);
        std::printf("RESULT code=hypre iterations=%d setup=%.6f solve=%.6f assembly=%.6f relres=%.6e error=%.6e\n",
                    static_cast<int>(iterations), setup, solve, assembly, true_relres, err);
    }
    HYPRE_StructVectorDestroy(res);
    HYPRE_StructVectorDestroy(x);
    HYPRE_StructVectorDestroy(b);
    HYPRE_StructMatrixDestroy(A);
    HYPRE_StructStencilDestroy(stencil);
    HYPRE_StructGridDestroy(grid);
    HYPRE_Finalize();
    MPI_Finalize();
    return 0;
}
