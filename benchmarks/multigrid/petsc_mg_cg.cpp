// tessera-bench-petsc-mg-cg: PETSc's CG preconditioned by one PCMG V-cycle on DMDA grids, on the
// system tessera-cg solves: -lap_h u = f with the (2 Dim + 1)-point stencil scaled by 1 / h^2,
// n interior unknowns per axis, h = 1 / (n + 1), unknown i at (i + 1) h, zero Dirichlet walls,
// f from tessera's manufactured solution, x0 = 0, stopped when ||r||_2 / ||b||_2 <= tol
// (unpreconditioned residual). Each repetition builds a fresh KSP (KSPSetUp timed) and solves
// (timed); medians are printed, then one "RESULT" line for scripts to parse.
//
// Coarsening: DMDA's own (vertex-centred, M -> (M - 1) / 2 + 1) treats the first and last
// unknowns as grid ends, which fits only n = 2^k m + 1 (129, 257). Here the walls lie outside
// the grid, so the driver builds the interpolation itself: n -> floor(n / 2), coarse unknown J
// at fine 2 J + 1, linear in between and zero at the walls (exact 2:1 geometry for odd n; for
// even n the last coarse point is h from the wall), down to <= 8 per axis; coarse operators
// Galerkin (default) or rediscretized (--coarse-operators rediscretize, like tessera-cg). Any n
// works. PETSc options (-mg_levels_ksp_type, -ksp_view, ...) override the defaults.
//   mpirun -np 2 tessera-bench-petsc-mg-cg --dim 3 --cells 127 127 127 --tol 1e-8 --reps 5
#include <petscdmda.h>
#include <petscksp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <tessera/stencil/manufactured.hpp>

namespace {

struct Options {
    int dim = 3;
    std::array<PetscInt, 3> cells{64, 64, 64};
    double tol = 1e-8;
    int reps = 3;
    int coarsest = 8;  // coarsen while a level has more unknowns than this along some axis
    int max_iter = 1000;
    bool galerkin = true;  // coarse operators P^T A P; else rediscretized 7-point (as tessera-cg's)
};

[[noreturn]] void usage(int rank, const char* msg) {
    if (rank == 0)
        std::fprintf(stderr,
                     "tessera-bench-petsc-mg-cg: %s\nusage: tessera-bench-petsc-mg-cg [--dim 2|3] [--cells NX NY [NZ]] "
                     "[--tol T] [--reps R] [--coarsest N] [--max-iter N] [--coarse-operators galerkin|rediscretize] [PETSc options, e.g. -mg_levels_ksp_type richardson]\n",
                     msg);
    PetscFinalize();
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
        if (s.size() > 1 && s[0] == '-' && s[1] != '-') {  // a PETSc option: PetscInitialize read it
            if (a + 1 < argc && argv[a + 1][0] != '-') ++a;
        } else if (s == "--dim") o.dim = std::atoi(next());
        else if (s == "--cells") {
            cells_given = true;
            std::size_t k = 0;
            while (k < 3 && a + 1 < argc && argv[a + 1][0] != '-') o.cells[k++] = std::atoi(argv[++a]);
            if (k < 2) usage(rank, "--cells takes 2 or 3 sizes");
            if (k == 2) o.cells[2] = 1;
        } else if (s == "--tol") o.tol = std::atof(next());
        else if (s == "--reps") o.reps = std::atoi(next());
        else if (s == "--coarsest") o.coarsest = std::atoi(next());
        else if (s == "--max-iter") o.max_iter = std::atoi(next());
        else if (s == "--coarse-operators") {
            const std::string v = next();
            if (v != "galerkin" && v != "rediscretize") usage(rank, "--coarse-operators takes galerkin or rediscretize");
            o.galerkin = v == "galerkin";
        }
        else usage(rank, ("unknown option " + s).c_str());
    }
    if (o.dim != 2 && o.dim != 3) usage(rank, "--dim must be 2 or 3");
    if (!cells_given && o.dim == 2) o.cells = {128, 128, 1};
    if (o.dim == 2) o.cells[2] = 1;
    for (int d = 0; d < o.dim; ++d)
        if (o.cells[static_cast<std::size_t>(d)] < 1) usage(rank, "--cells must be positive");
    if (!(o.tol > 0) || o.reps < 1 || o.coarsest < 1) usage(rank, "--tol must be > 0, --reps and --coarsest >= 1");
    return o;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

double max_over_ranks(double v) {
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
    return v;
}

PetscErrorCode create_da(int dim, const std::array<PetscInt, 3>& n, const std::array<PetscInt, 3>& procs, DM* da) {
    PetscFunctionBeginUser;
    if (dim == 2)
        PetscCall(DMDACreate2d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, n[0], n[1],
                               procs[0], procs[1], 1, 1, nullptr, nullptr, da));
    else
        PetscCall(DMDACreate3d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR,
                               n[0], n[1], n[2], procs[0], procs[1], procs[2], 1, 1, nullptr, nullptr, nullptr, da));
    PetscCall(DMSetUp(*da));
    PetscFunctionReturn(0);
}

// The owned box of this rank on a DMDA: start and extent per axis (z: 0 and 1 in 2D).
struct Box {
    std::array<PetscInt, 3> lo{0, 0, 0}, ext{1, 1, 1};
};
Box corners(DM da) {
    Box b;
    DMDAGetCorners(da, &b.lo[0], &b.lo[1], &b.lo[2], &b.ext[0], &b.ext[1], &b.ext[2]);
    return b;
}

// PETSc's global index of any grid point of a DMDA (owner ranks are x-fastest, each owning a
// contiguous x-fastest block), for the columns of an interpolation owned by other ranks.
struct GlobalIndex {
    std::array<std::vector<PetscInt>, 3> start;  // slab starts per axis, one past the end last
    std::vector<PetscInt> offset;                // first global index of each rank
    explicit GlobalIndex(DM da) {
        PetscInt dim = 0;
        std::array<PetscInt, 3> procs{1, 1, 1};
        DMDAGetInfo(da, &dim, nullptr, nullptr, nullptr, &procs[0], &procs[1], &procs[2], nullptr, nullptr, nullptr,
                    nullptr, nullptr, nullptr);
        std::array<const PetscInt*, 3> sizes{nullptr, nullptr, nullptr};
        DMDAGetOwnershipRanges(da, &sizes[0], &sizes[1], &sizes[2]);
        for (std::size_t d = 0; d < 3; ++d) {
            start[d].assign(1, 0);
            for (PetscInt p = 0; p < procs[d]; ++p)
                start[d].push_back(start[d].back() + (static_cast<PetscInt>(d) < dim ? sizes[d][p] : 1));
        }
        offset.assign(1, 0);
        for (PetscInt pz = 0; pz < procs[2]; ++pz)
            for (PetscInt py = 0; py < procs[1]; ++py)
                for (PetscInt px = 0; px < procs[0]; ++px) offset.push_back(offset.back() + extent(0, px) * extent(1, py) * extent(2, pz));
    }
    PetscInt extent(std::size_t d, PetscInt p) const {
        return start[d][static_cast<std::size_t>(p) + 1] - start[d][static_cast<std::size_t>(p)];
    }
    PetscInt operator()(const std::array<PetscInt, 3>& i) const {
        std::array<PetscInt, 3> p{};
        for (std::size_t d = 0; d < 3; ++d)
            p[d] = static_cast<PetscInt>(std::upper_bound(start[d].begin(), start[d].end(), i[d]) - start[d].begin()) - 1;
        const auto np0 = static_cast<PetscInt>(start[0].size()) - 1, np1 = static_cast<PetscInt>(start[1].size()) - 1;
        const PetscInt rank = p[0] + np0 * (p[1] + np1 * p[2]);
        auto lo = [&](std::size_t d) { return start[d][static_cast<std::size_t>(p[d])]; };
        return offset[static_cast<std::size_t>(rank)] +
               ((i[2] - lo(2)) * extent(1, p[1]) + (i[1] - lo(1))) * extent(0, p[0]) + (i[0] - lo(0));
    }
};

// Interpolation from `coarse` (floor(n / 2) per axis) to `fine`: coarse J sits at fine 2 J + 1;
// a fine point between two coarse ones takes half of each, next to a wall half of its one neighbour.
PetscErrorCode create_interpolation(int dim, DM fine, DM coarse, Mat* P) {
    PetscFunctionBeginUser;
    std::array<PetscInt, 3> nc{1, 1, 1};
    PetscCall(DMDAGetInfo(coarse, nullptr, &nc[0], &nc[1], &nc[2], nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                          nullptr, nullptr, nullptr));
    Vec vf, vc;
    PetscCall(DMGetGlobalVector(fine, &vf));
    PetscCall(DMGetGlobalVector(coarse, &vc));
    PetscInt mf = 0, mc = 0, Mf = 0, Mc = 0, row = 0;
    PetscCall(VecGetLocalSize(vf, &mf));
    PetscCall(VecGetLocalSize(vc, &mc));
    PetscCall(VecGetSize(vf, &Mf));
    PetscCall(VecGetSize(vc, &Mc));
    PetscCall(VecGetOwnershipRange(vf, &row, nullptr));
    PetscCall(DMRestoreGlobalVector(fine, &vf));
    PetscCall(DMRestoreGlobalVector(coarse, &vc));
    const PetscInt per_row = dim == 2 ? 4 : 8;
    PetscCall(MatCreateAIJ(PETSC_COMM_WORLD, mf, mc, Mf, Mc, per_row, nullptr, per_row, nullptr, P));
    const GlobalIndex column(coarse);
    const Box b = corners(fine);
    std::array<PetscInt, 3> i{};
    for (i[2] = b.lo[2]; i[2] < b.lo[2] + b.ext[2]; ++i[2])
        for (i[1] = b.lo[1]; i[1] < b.lo[1] + b.ext[1]; ++i[1])
            for (i[0] = b.lo[0]; i[0] < b.lo[0] + b.ext[0]; ++i[0], ++row) {
                // Per axis up to two coarse neighbours with weights; the z axis of a 2D grid is the identity.
                std::array<std::array<PetscInt, 2>, 3> J{};
                std::array<std::array<PetscScalar, 2>, 3> w{};
                std::array<int, 3> count{};
                for (std::size_t d = 0; d < 3; ++d) {
                    if (static_cast<int>(d) >= dim) {
                        J[d][0] = 0, w[d][0] = 1, count[d] = 1;
                    } else if (i[d] % 2 == 1) {
                        J[d][0] = (i[d] - 1) / 2, w[d][0] = 1, count[d] = 1;
                    } else {
                        for (PetscInt c : {i[d] / 2 - 1, i[d] / 2})
                            if (c >= 0 && c < nc[d]) J[d][static_cast<std::size_t>(count[d])] = c, w[d][static_cast<std::size_t>(count[d]++)] = 0.5;
                    }
                }
                std::array<PetscInt, 8> cols{};
                std::array<PetscScalar, 8> vals{};
                PetscInt k = 0;
                for (std::size_t c = 0; c < static_cast<std::size_t>(count[2]); ++c)
                    for (std::size_t bb = 0; bb < static_cast<std::size_t>(count[1]); ++bb)
                        for (std::size_t a = 0; a < static_cast<std::size_t>(count[0]); ++a, ++k) {
                            cols[static_cast<std::size_t>(k)] = column({J[0][a], J[1][bb], J[2][c]});
                            vals[static_cast<std::size_t>(k)] = w[0][a] * w[1][bb] * w[2][c];
                        }
                PetscCall(MatSetValues(*P, 1, &row, k, cols.data(), vals.data(), INSERT_VALUES));
            }
    PetscCall(MatAssemblyBegin(*P, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(*P, MAT_FINAL_ASSEMBLY));
    PetscFunctionReturn(0);
}

// scale * (-lap_h) on a DMDA's grid with n unknowns per axis, h = 1 / (n + 1); neighbours
// outside the grid are the (zero) walls: no coupling.
PetscErrorCode assemble_laplacian(int dim, DM da, double scale, Mat* A) {
    PetscFunctionBeginUser;
    std::array<PetscInt, 3> n{1, 1, 1};
    PetscCall(DMDAGetInfo(da, nullptr, &n[0], &n[1], &n[2], nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                          nullptr, nullptr, nullptr));
    std::array<double, 3> off{0, 0, 0};
    double diag = 0;
    for (std::size_t d = 0; d < static_cast<std::size_t>(dim); ++d) {
        const double h = 1.0 / static_cast<double>(n[d] + 1);
        off[d] = -scale / (h * h);
        diag -= 2 * off[d];
    }
    PetscCall(DMCreateMatrix(da, A));
    const Box box = corners(da);
    MatStencil row{}, cols[7]{};
    PetscScalar vals[7];
    for (row.k = box.lo[2]; row.k < box.lo[2] + box.ext[2]; ++row.k)
        for (row.j = box.lo[1]; row.j < box.lo[1] + box.ext[1]; ++row.j)
            for (row.i = box.lo[0]; row.i < box.lo[0] + box.ext[0]; ++row.i) {
                PetscInt k = 0;
                cols[k] = row, vals[k++] = diag;
                for (std::size_t d = 0; d < static_cast<std::size_t>(dim); ++d)
                    for (PetscInt s : {-1, 1}) {
                        MatStencil c = row;
                        PetscInt& at = d == 0 ? c.i : d == 1 ? c.j : c.k;
                        at += s;
                        if (at < 0 || at >= n[d]) continue;
                        cols[k] = c, vals[k++] = off[d];
                    }
                PetscCall(MatSetValuesStencil(*A, 1, &row, k, cols, vals, INSERT_VALUES));
            }
    PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
    PetscFunctionReturn(0);
}

}  // namespace

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    PetscCall(PetscInitialize(&argc, &argv, nullptr, nullptr));
    int rank = 0, size = 1;
    MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
    MPI_Comm_size(PETSC_COMM_WORLD, &size);
    const Options o = parse(rank, argc, argv);
    const int dim = o.dim;

    MPI_Barrier(PETSC_COMM_WORLD);
    double t0 = MPI_Wtime();
    DM da;
    PetscCall(create_da(dim, o.cells, {PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE}, &da));
    std::array<PetscInt, 3> procs{1, 1, 1};
    PetscCall(DMDAGetInfo(da, nullptr, nullptr, nullptr, nullptr, &procs[0], &procs[1], &procs[2], nullptr, nullptr,
                          nullptr, nullptr, nullptr, nullptr));
    std::array<double, 3> h{1, 1, 1};
    for (std::size_t d = 0; d < static_cast<std::size_t>(dim); ++d) h[d] = 1.0 / static_cast<double>(o.cells[d] + 1);
    const Box box = corners(da);

    Mat A;
    PetscCall(assemble_laplacian(dim, da, 1.0, &A));

    // b and the exact solution, in the owned x-fastest block order of a DMDA global vector.
    Vec b, x, u;
    PetscCall(DMCreateGlobalVector(da, &b));
    PetscCall(VecDuplicate(b, &x));
    PetscCall(VecDuplicate(b, &u));
    {
        PetscScalar *fb = nullptr, *fu = nullptr;
        PetscCall(VecGetArray(b, &fb));
        PetscCall(VecGetArray(u, &fu));
        std::size_t p = 0;
        for (PetscInt k = box.lo[2]; k < box.lo[2] + box.ext[2]; ++k)
            for (PetscInt j = box.lo[1]; j < box.lo[1] + box.ext[1]; ++j)
                for (PetscInt i = box.lo[0]; i < box.lo[0] + box.ext[0]; ++i, ++p) {
                    const double px = static_cast<double>(i + 1) * h[0], py = static_cast<double>(j + 1) * h[1],
                                 pz = static_cast<double>(k + 1) * h[2];
                    if (dim == 2) {
                        fb[p] = tessera::stencil::manufactured::source<2>({px, py});
                        fu[p] = tessera::stencil::manufactured::exact<2>({px, py});
                    } else {
                        fb[p] = tessera::stencil::manufactured::source<3>({px, py, pz});
                        fu[p] = tessera::stencil::manufactured::exact<3>({px, py, pz});
                    }
                }
        PetscCall(VecRestoreArray(u, &fu));
        PetscCall(VecRestoreArray(b, &fb));
    }
    const double assembly = max_over_ranks(MPI_Wtime() - t0);

    // Level sizes, finest first: halve while some axis exceeds --coarsest and every rank keeps a point.
    std::vector<std::array<PetscInt, 3>> sizes{o.cells};
    for (;;) {
        const auto& n = sizes.back();
        bool big = false, fits = true;
        std::array<PetscInt, 3> next = n;
        for (std::size_t d = 0; d < static_cast<std::size_t>(dim); ++d) {
            big = big || n[d] > o.coarsest;
            next[d] = n[d] / 2;
            fits = fits && next[d] >= procs[d];
        }
        if (!big || !fits) break;
        sizes.push_back(next);
    }
    const auto levels = static_cast<PetscInt>(sizes.size());

    std::vector<double> setups, solves;
    PetscInt iterations = 0;
    KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
    char smoother[256] = "", coarse_solver[128] = "";
    for (int r = 0; r < o.reps; ++r) {
        PetscCall(VecSet(x, 0.0));
        KSP ksp;
        MPI_Barrier(PETSC_COMM_WORLD);
        t0 = MPI_Wtime();
        PetscCall(KSPCreate(PETSC_COMM_WORLD, &ksp));
        PetscCall(KSPSetOperators(ksp, A, A));
        PetscCall(KSPSetType(ksp, KSPCG));
        PetscCall(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));  // ||r||_2, as tessera-cg and hypre
        PetscCall(KSPSetTolerances(ksp, o.tol, 0.0, PETSC_DEFAULT, o.max_iter));
        PetscCall(KSPSetInitialGuessNonzero(ksp, PETSC_FALSE));
        PC pc;
        PetscCall(KSPGetPC(ksp, &pc));
        PetscCall(PCSetType(pc, PCMG));
        PetscCall(PCMGSetLevels(pc, levels, nullptr));
        PetscCall(PCMGSetType(pc, PC_MG_MULTIPLICATIVE));
        PetscCall(PCMGSetCycleType(pc, PC_MG_CYCLE_V));
        PetscCall(PCMGSetGalerkin(pc, o.galerkin ? PC_MG_GALERKIN_BOTH : PC_MG_GALERKIN_NONE));
        // PCMG numbers levels coarsest = 0; sizes[] is finest first. Each level's DMDA only lays
        // out its unknowns over the ranks.
        std::vector<DM> grids(static_cast<std::size_t>(levels));
        grids[0] = da;
        for (std::size_t l = 1; l < grids.size(); ++l) PetscCall(create_da(dim, sizes[l], procs, &grids[l]));
        for (PetscInt l = 1; l < levels; ++l) {
            Mat P;
            const auto fine = static_cast<std::size_t>(levels - 1 - l);
            PetscCall(create_interpolation(dim, grids[fine], grids[fine + 1], &P));
            PetscCall(PCMGSetInterpolation(pc, l, P));
            PetscCall(MatDestroy(&P));  // PCMG holds its own reference
        }
        if (!o.galerkin) {
            // R = P^T sums 2^dim fine values per coarse one, and P^T A P ~ 2^dim A_2h: scale to match.
            double scale = 1;
            for (PetscInt l = levels - 1; l >= 0; --l) {
                Mat Al = A;
                if (l < levels - 1) PetscCall(assemble_laplacian(dim, grids[static_cast<std::size_t>(levels - 1 - l)], scale, &Al));
                KSP level;
                PetscCall(PCMGGetSmoother(pc, l, &level));
                PetscCall(KSPSetOperators(level, Al, Al));
                if (Al != A) PetscCall(MatDestroy(&Al));  // the level KSP holds its own reference
                scale *= std::pow(2.0, dim);
            }
        }
        for (std::size_t l = 1; l < grids.size(); ++l) PetscCall(DMDestroy(&grids[l]));
        // Defaults: Chebyshev(2) on Jacobi on every level (tessera-cg's smoother), redundant LU coarse solve.
        for (PetscInt l = 1; l < levels; ++l) {
            KSP smooth;
            PC spc;
            PetscCall(PCMGGetSmoother(pc, l, &smooth));
            PetscCall(KSPSetType(smooth, KSPCHEBYSHEV));
            PetscCall(KSPSetTolerances(smooth, PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT, 2));
            PetscCall(KSPGetPC(smooth, &spc));
            PetscCall(PCSetType(spc, PCJACOBI));
        }
        {
            KSP coarse;
            PC cpc;
            PetscCall(PCMGGetCoarseSolve(pc, &coarse));
            PetscCall(KSPSetType(coarse, KSPPREONLY));
            PetscCall(KSPGetPC(coarse, &cpc));
            PetscCall(PCSetType(cpc, PCREDUNDANT));
        }
        PetscCall(KSPSetFromOptions(ksp));
        PetscCall(KSPSetUp(ksp));
        setups.push_back(max_over_ranks(MPI_Wtime() - t0));
        MPI_Barrier(PETSC_COMM_WORLD);
        t0 = MPI_Wtime();
        PetscCall(KSPSolve(ksp, b, x));
        solves.push_back(max_over_ranks(MPI_Wtime() - t0));
        PetscCall(KSPGetIterationNumber(ksp, &iterations));
        PetscCall(KSPGetConvergedReason(ksp, &reason));
        if (r == 0 && levels > 1) {
            KSP smooth, coarse;
            PC spc, cpc;
            KSPType kt, ct;
            PCType pt, cpt;
            PetscInt its = 0;
            PetscCall(PCMGGetSmoother(pc, levels - 1, &smooth));
            PetscCall(KSPGetType(smooth, &kt));
            PetscCall(KSPGetPC(smooth, &spc));
            PetscCall(PCGetType(spc, &pt));
            PetscCall(KSPGetTolerances(smooth, nullptr, nullptr, nullptr, &its));
            std::snprintf(smoother, sizeof smoother, "%s(%d) on %s", kt, static_cast<int>(its), pt);
            PetscCall(PCMGGetCoarseSolve(pc, &coarse));
            PetscCall(KSPGetType(coarse, &ct));
            PetscCall(KSPGetPC(coarse, &cpc));
            PetscCall(PCGetType(cpc, &cpt));
            std::snprintf(coarse_solver, sizeof coarse_solver, "%s %s", ct, cpt);
            PetscBool redundant = PETSC_FALSE;
            PetscCall(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(cpc), PCREDUNDANT, &redundant));
            if (redundant) {  // name the factorization each rank runs on its copy
                KSP inner;
                PC ipc;
                PCType ipt;
                PetscCall(PCRedundantGetKSP(cpc, &inner));
                PetscCall(KSPGetPC(inner, &ipc));
                PetscCall(PCGetType(ipc, &ipt));
                std::snprintf(coarse_solver, sizeof coarse_solver, "%s %s (%s)", ct, cpt, ipt);
            }
        }
        PetscCall(KSPDestroy(&ksp));
    }

    // The error against the manufactured solution, and the true residual ||b - A x|| / ||b||.
    double err = 0, rnorm = 0, bnorm = 0;
    {
        Vec e;
        PetscCall(VecDuplicate(x, &e));
        PetscCall(VecWAXPY(e, -1.0, u, x));
        PetscCall(VecNorm(e, NORM_INFINITY, &err));
        PetscCall(MatMult(A, x, e));
        PetscCall(VecAYPX(e, -1.0, b));
        PetscCall(VecNorm(e, NORM_2, &rnorm));
        PetscCall(VecNorm(b, NORM_2, &bnorm));
        PetscCall(VecDestroy(&e));
    }
    const double true_relres = rnorm / bnorm;

    const double setup = median(setups), solve = median(solves);
    if (rank == 0) {
        std::printf("PETSc PCMG-CG: %dD, cells %d x %d", dim, static_cast<int>(o.cells[0]), static_cast<int>(o.cells[1]));
        if (dim == 3) std::printf(" x %d", static_cast<int>(o.cells[2]));
        std::printf(" on %d rank(s) (process grid %d x %d x %d); %d levels, coarsest", size, static_cast<int>(procs[0]),
                    static_cast<int>(procs[1]), static_cast<int>(procs[2]), static_cast<int>(levels));
        for (int d = 0; d < dim; ++d) std::printf("%s%d", d ? " x " : " ", static_cast<int>(sizes.back()[static_cast<std::size_t>(d)]));
        std::printf("; V-cycle, %s coarse operators, smoother %s, coarse solve %s\n",
                    o.galerkin ? "Galerkin" : "rediscretized", smoother, coarse_solver);
        std::printf("iterations %d (%s), ||r|| / ||b|| = %.3e (recomputed), max |u_h - u| = %.6g\n",
                    static_cast<int>(iterations), KSPConvergedReasons[reason], true_relres, err);
        std::printf("matrix assembly %.4f s; median of %d: setup %.4f s, solve %.4f s, %.3f ms/iteration, "
                    "time to solution (setup + solve) %.4f s\n",
                    assembly, o.reps, setup, solve, 1e3 * solve / static_cast<double>(std::max<PetscInt>(iterations, 1)),
                    setup + solve);
        std::printf("RESULT code=petsc iterations=%d setup=%.6f solve=%.6f assembly=%.6f relres=%.6e error=%.6e\n",
                    static_cast<int>(iterations), setup, solve, assembly, true_relres, err);
    }
    PetscCall(VecDestroy(&u));
    PetscCall(VecDestroy(&x));
    PetscCall(VecDestroy(&b));
    PetscCall(MatDestroy(&A));
    PetscCall(DMDestroy(&da));
    PetscCall(PetscFinalize());
    MPI_Finalize();
    return reason > 0 ? 0 : 1;
}
