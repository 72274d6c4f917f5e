// Conjugate gradients over any symmetric positive definite operator, with reproducible
// reductions: the residual history is bitwise the same for any rank and thread count.
//
// Reproducibility: every dot product and norm goes through tessera/core/reduce.hpp: each
// fixed chunk of op.chunk() consecutive entries (a whole grid line, a whole matrix block) is
// summed in a fixed order and the chunk sums are added exactly (ExactSum) within threads, over
// threads and over ranks (integer MPI_SUM), then rounded once. So if the operator's apply() is
// itself independent of the layout (a stencil is), every iterate is.
//
// Resumable and interruptible without knowing about checkpoints: the solve's whole state is a
// CgState the caller owns (save it, restore it on any layout, call cg() again), and an
// on_iteration callback lets the caller checkpoint or stop at any iteration boundary.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/core/exact_sum.hpp"
#include "tessera/core/memory.hpp"
#include "tessera/core/mpi.hpp"
#include "tessera/core/timer.hpp"
#include "tessera/core/types.hpp"
#include "tessera/core/reduce.hpp"

namespace tessera::linalg {

/// none; jacobi (diag(A)^-1); custom: CgOptions::apply_preconditioner (multigrid, ...).
enum class Preconditioner { none, jacobi, custom };

/// Where a solve stands after `iteration` iterations: with x, everything CG needs to go on.
/// A default-constructed state is empty (a fresh solve); cg() fills it in place. Restoring
/// every member bit for bit (a checkpoint) and calling cg() again continues the solve with
/// the same iterates as if it had never stopped, on any rank count: nothing here depends on
/// the layout except the order of the local parts r and p (the operator's local order).
struct CgState {
    int iteration = 0;            ///< iterations done
    double bnorm = 0;             ///< ||b||
    double rr = 0;                ///< r . r
    double rz = 0;                ///< r . z (z = M^-1 r; equal to rr without a preconditioner)
    std::vector<double> history;  ///< ||r_k|| / ||b|| for k = 0 .. iteration
    /// The CG coefficients of iterations 1 .. iteration: alpha_k = r.z / p.Ap and
    /// beta_k = r_k.z_k / r_{k-1}.z_{k-1}; they make the Lanczos tridiagonal
    /// (spectrum_estimate()).
    std::vector<double> alpha, beta;
    StreamedVector<double> r, p;  ///< residual and search direction (local parts)

    /// Local: whether the state holds a started solve (cg() then resumes from it).
    bool started() const noexcept { return !history.empty(); }
};

struct CgOptions {
    double tol = 1e-8;        ///< stop when ||r_k|| <= tol * ||b|| (2-norms); in (0, 1e300)
    int max_iter = 1000;      ///< iteration limit (>= 0), counted from the start of the solve
    Preconditioner precond = Preconditioner::none;
    /// With precond == custom: z = M^-1 r for a symmetric positive definite M, collective over
    /// op.comm(); r and z are local parts of op.local_size() entries. The history stays
    /// layout-independent when M's result is (a multigrid cycle is). Resuming recomputes
    /// z from the saved r, so M must be the same function of r on every layout.
    std::function<void(std::span<const double> r, std::span<double> z)> apply_preconditioner = nullptr;
    /// Called on every rank after each iteration with (iteration, ||r|| / ||b||); local, so it
    /// must not communicate (progress reports, logging). Empty: nothing is called.
    std::function<void(int, double)> monitor = nullptr;
    /// Called on every rank after each iteration (after `monitor`), at the same iteration on
    /// every rank, with the state at that iteration boundary (x is the caller's vector, up to
    /// date). It may communicate over op.comm() (checkpoints, stop agreements) and returns
    /// whether to go on: false on any rank must be false on every rank; cg() then returns
    /// with `stopped` set and the state ready to resume. Empty: nothing is called.
    std::function<bool(const CgState&)> on_iteration = nullptr;
};

struct CgResult {
    int iterations = 0;            ///< iterations done in all, including those before a resume
    bool converged = false;
    bool stopped = false;          ///< on_iteration() returned false before convergence
    double relative_residual = 0;  ///< ||r|| / ||b|| at the end (recursive residual)
    /// ||r_k|| / ||b|| for k = 0 .. iterations (entry 0 is the initial guess's).
    std::vector<double> history;
    /// The CG coefficients, as CgState::alpha and beta (pipecg: the same recurrence's; beta may
    /// lack the last entry): spectrum_estimate(alpha, beta) gives the condition estimate.
    std::vector<double> alpha, beta;
};

/// What cg() needs from an operator A (vectors are this rank's contiguous local parts):
/// - comm(): the communicator over which local parts make up the global vector;
/// - local_size(): local vector length; chunk(): the reproducibility chunk (reduce.hpp);
/// - apply(x, y): y = A x, collective over comm();
/// - diagonal(d): d = diag(A) (local), used by the Jacobi preconditioner;
/// - optionally apply_dot(x, y, acc): apply() that also adds the chunk sums of x . y to the
///   ExactSum `acc` (local part only), sparing CG a pass over x and y for p^T A p.
template <class Op>
concept CgOperator = requires(Op& op, std::span<const double> x, std::span<double> y) {
    { op.comm() } -> std::convertible_to<const mpi::Comm&>;
    { op.local_size() } -> std::convertible_to<index_t>;
    { op.chunk() } -> std::convertible_to<index_t>;
    op.apply(x, y);
    op.diagonal(y);
};

namespace detail {
// Local kernels of one CG iteration (src/linalg/cg.cpp, OpenMP inside, chunked so that the
// reductions they fuse are reproducible). `dinv` empty means no preconditioner.
void cg_residual(std::span<const double> b, std::span<const double> ax, std::span<double> r);
// x += alpha p; r -= alpha ap; then adds r.r to rr and r.(dinv r) to rz (chunk sums, exact).
void cg_update(double alpha, std::span<const double> p, std::span<const double> ap,
               std::span<double> x, std::span<double> r, std::span<const double> dinv,
               index_t chunk, ExactSum& rr, ExactSum& rz);
// p = dinv r + beta p (dinv empty: p = r + beta p).
void cg_direction(double beta, std::span<const double> r, std::span<const double> dinv,
                  std::span<double> p);
// rr = r.r and rz = r.(dinv r), reduced over comm.
void cg_norms(const mpi::Comm& comm, std::span<const double> r, std::span<const double> dinv,
              index_t chunk, double& rr, double& rz);
// rr = r.r and rz = r.z in one allreduce.
void cg_dots(const mpi::Comm& comm, std::span<const double> r, std::span<const double> z, index_t chunk,
             double& rr, double& rz);
// z = M^-1 r through the caller's preconditioner, timed.
void precondition(const std::function<void(std::span<const double>, std::span<double>)>& m,
                  std::span<const double> r, std::span<double> z);
// 1 / diag, refused (naming the solver `who`) unless every entry is positive.
std::vector<double> inverse_diagonal(const mpi::Comm& comm, std::span<const double> diag,
                                     const char* who = "cg");
[[noreturn]] void throw_not_spd(double pap, int iteration);
}  // namespace detail

/// Collective over `comm`: y = A x and returns x . y (reproducible), fused when the operator
/// offers apply_dot().
template <class Op>
double apply_and_dot(Op& op, std::span<const double> x, std::span<double> y, const mpi::Comm& comm,
                     index_t chunk) {
    if constexpr (requires(ExactSum& acc) { op.apply_dot(x, y, acc); }) {
        ExactSum acc;
        op.apply_dot(x, y, acc);
        acc.allreduce(comm);
        return acc.round();
    } else {
        op.apply(x, y);
        return dot(comm, x, y, chunk);
    }
}

/// Collective over op.comm(): solves A x = b by (preconditioned) conjugate gradients.
/// `state` empty (not started()): from the initial guess in x, filling `state` as it goes.
/// `state` started: resumes it, with x as it was at state.iteration (e.g. both restored from
/// a checkpoint); the iterates are then bitwise those of a solve that never stopped, because
/// r is taken as stored, not recomputed from b - A x. Stops when ||r_k|| <= tol ||b||, after
/// max_iter iterations in all (converged = false; not an error), or when
/// options.on_iteration returns false (stopped = true if neither of those held). b == 0 gives x = 0 at once.
/// Throws CollectiveError (exit 2) on every rank, naming the parameter ("cg: tol = 0 must be
/// in (0, 1e300)"), when tol or max_iter is out of range, when local lengths differ from
/// op.local_size(), when a resumed state does not fit (lengths, history, ||b|| of another b),
/// when the Jacobi diagonal is not positive, when precond is custom without
/// apply_preconditioner, and when a search direction has p^T A p <= 0
/// (negative curvature: A is not positive definite).
template <CgOperator Op>
CgResult cg(Op& op, std::span<const double> b, std::span<double> x, CgState& state, const CgOptions& options = {}) {
    const mpi::Comm& comm = op.comm();
    const index_t n = op.local_size(), chunk = op.chunk();
    TESSERA_CHECK_ALL(comm, options.tol > 0 && options.tol < 1e300,
                      "cg: tol = " << options.tol << " must be in (0, 1e300)");
    TESSERA_CHECK_ALL(comm, options.max_iter >= 0, "cg: max_iter = " << options.max_iter << " must be >= 0");
    TESSERA_CHECK_ALL(comm, static_cast<index_t>(b.size()) == n && static_cast<index_t>(x.size()) == n,
                      "cg: local vectors of length " << b.size() << " and " << x.size()
                                                     << " for an operator of local size " << n);
    const bool custom = options.precond == Preconditioner::custom;
    TESSERA_CHECK_ALL(comm, !custom || options.apply_preconditioner,
                      "cg: precond = custom needs apply_preconditioner");
    ScopedTimer timer("linalg.cg");
    const auto sz = static_cast<std::size_t>(n);
    std::vector<double> dinv;
    if (options.precond == Preconditioner::jacobi) {
        std::vector<double> diag(sz);
        op.diagonal(diag);
        dinv = detail::inverse_diagonal(comm, diag);
    }
    const double bnorm = norm2(comm, b, chunk);
    StreamedVector<double> ap(sz);  // huge pages: memory/bandwidth bound loops
    StreamedVector<double> z(custom ? sz : 0);
    auto& r = state.r;
    auto& p = state.p;
    if (state.started()) {
        // ||b|| is reproducible, so the same b gives the same bits on any layout.
        TESSERA_CHECK_ALL(comm, (bnorm == 0.0 || (r.size() == sz && p.size() == sz)) && state.iteration >= 0 &&
                                    state.history.size() == static_cast<std::size_t>(state.iteration) + 1 &&
                                    state.alpha.size() == static_cast<std::size_t>(state.iteration) &&
                                    state.beta.size() == state.alpha.size(),
                          "cg: the state to resume has r, p of length " << r.size() << ", " << p.size()
                              << ", " << state.history.size() << " residuals and " << state.alpha.size() << ", "
                              << state.beta.size() << " coefficients at iteration " << state.iteration
                              << ", for an operator of local size " << n);
        TESSERA_CHECK_ALL(comm, state.bnorm == bnorm,
                          "cg: the state to resume is for another right-hand side (||b|| = "
                              << state.bnorm << ", here " << bnorm << ")");
    } else {
        state = CgState{};
        state.bnorm = bnorm;
        if (bnorm == 0.0) {
            std::fill(x.begin(), x.end(), 0.0);
            state.history.push_back(0.0);
        } else {
            r.assign(sz, 0.0);
            p.assign(sz, 0.0);
            op.apply(x, ap);
            detail::cg_residual(b, ap, r);
            if (custom) {
                detail::precondition(options.apply_preconditioner, r, z);
                detail::cg_dots(comm, r, z, chunk, state.rr, state.rz);
                detail::cg_direction(0.0, z, {}, p);
            } else {
                detail::cg_norms(comm, r, dinv, chunk, state.rr, state.rz);
                detail::cg_direction(0.0, r, dinv, p);
            }
            state.history.push_back(std::sqrt(state.rr) / bnorm);
        }
    }
    CgResult result;
    int& k = state.iteration;
    while (bnorm != 0.0 && std::sqrt(state.rr) > options.tol * bnorm && k < options.max_iter) {
        const double pap = apply_and_dot(op, p, ap, comm, chunk);
        if (!(pap > 0.0)) detail::throw_not_spd(pap, k + 1);
        const double alpha = state.rz / pap;
        std::array<ExactSum, 2> acc;  // r.r and r.z
        detail::cg_update(alpha, p, ap, x, r, dinv, chunk, acc[0], acc[1]);
        // r.r and r.z travel in one allreduce; a custom preconditioner runs before it.
        if (custom) {
            detail::precondition(options.apply_preconditioner, r, z);
            accumulate_dot(acc[1], r, z, chunk);
        }
        const bool two = custom || !dinv.empty();
        {
            ScopedTimer t("linalg.cg.allreduce");
            ExactSum::allreduce(comm, std::span<ExactSum>(acc.data(), two ? 2 : 1));
        }
        const double rz_old = state.rz;
        state.rr = acc[0].round();
        state.rz = two ? acc[1].round() : state.rr;
        ++k;
        state.history.push_back(std::sqrt(state.rr) / bnorm);
        const double beta = state.rz / rz_old;
        state.alpha.push_back(alpha);
        state.beta.push_back(beta);
        if (custom) detail::cg_direction(beta, z, {}, p);
        else detail::cg_direction(beta, r, dinv, p);
        // The state is now a whole iteration boundary: what on_iteration sees (and may save)
        // resumes exactly here.
        if (options.monitor) options.monitor(k, state.history.back());
        if (options.on_iteration && !options.on_iteration(state)) {
            result.stopped = std::sqrt(state.rr) > options.tol * bnorm && k < options.max_iter;
            break;
        }
    }
    result.iterations = k;
    result.history = state.history;
    result.alpha = state.alpha;
    result.beta = state.beta;
    result.relative_residual = state.history.back();
    result.converged = std::sqrt(state.rr) <= options.tol * bnorm;
    return result;
}

/// Extreme eigenvalues of the preconditioned operator M^-1 A as CG sees them: the eigenvalues
/// of the Lanczos tridiagonal T_k that k CG iterations build from their coefficients
/// (T_jj = 1 / alpha_j + beta_{j-1} / alpha_{j-1}, T_j,j+1 = sqrt(beta_j) / alpha_j), as
/// PETSc's KSPComputeEigenvalues does. The extreme Ritz values converge first and from inside,
/// so lambda_min is an upper bound of the true smallest eigenvalue, lambda_max a lower bound
/// of the largest, and the condition estimate a lower bound of the condition number.
struct SpectrumEstimate {
    int iterations = 0;       ///< k: the size of T_k (0: no estimate)
    double lambda_min = 0;    ///< smallest eigenvalue of T_k
    double lambda_max = 0;    ///< largest eigenvalue of T_k
    double condition = 0;     ///< lambda_max / lambda_min
};

/// Local: the estimate from the first k = alpha.size() iterations' coefficients (beta needs at
/// least k - 1 entries); iterations = 0 when alpha is empty. The same coefficients give the
/// same bits on any layout. Throws tessera::Error when beta is too short.
SpectrumEstimate spectrum_estimate(std::span<const double> alpha, std::span<const double> beta);

/// Local: spectrum_estimate() of a solve's coefficients.
inline SpectrumEstimate spectrum_estimate(const CgState& state) { return spectrum_estimate(state.alpha, state.beta); }

/// Collective over op.comm(): a fresh solve from the initial guess in x (the state is
/// internal). As cg(op, b, x, state, options) otherwise.
template <CgOperator Op>
CgResult cg(Op& op, std::span<const double> b, std::span<double> x, const CgOptions& options = {}) {
    CgState state;
    return cg(op, b, x, state, options);
}

}  // namespace tessera::linalg
