// Pipelined preconditioned conjugate gradients (PIPE-PCG, Ghysels & Vanroose 2014): one
// non-blocking allreduce per iteration, overlapped with the preconditioner and the operator,
// with the same reproducible dot products as cg().
//
// What is collective: the solve as a whole over op.comm(). Per iteration it starts one
// non-blocking allreduce of three dot products (gamma = r.u, delta = w.u, rr = r.r; two
// without a preconditioner, where u = r), then applies the preconditioner and the operator
// (collective themselves: halo exchanges, multigrid cycles) while the message travels, and
// only then waits. Standard CG needs two blocking reductions per iteration with nothing to
// hide them behind; here the latency of the one reduction is hidden when M^-1 and A take
// longer than it. The price: more vector updates (eight recurrences instead of three), more
// memory (nine vectors with a preconditioner, six without), one extra preconditioner and
// operator application at convergence, and recurrences that drift a little further from the
// true residual than cg()'s do.
//
// Why the bits are reproducible: each dot product is a sum of fixed chunk sums of op.chunk()
// entries (tessera/core/reduce.hpp) added exactly (ExactSum) over threads and, through
// ExactSumReduction (the same integer MPI_SUM as the blocking allreduce), over ranks, then
// rounded once. Every other operation is elementwise. So if the operator and the
// preconditioner give layout-independent results (a stencil, Jacobi, a multigrid cycle do),
// the residual history and the solution are bitwise the same for any rank and thread count.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/core/exact_sum.hpp"
#include "tessera/core/memory.hpp"
#include "tessera/core/reduce.hpp"
#include "tessera/core/timer.hpp"
#include "tessera/linalg/cg.hpp"

namespace tessera::linalg {

namespace detail {
// The recurrence vectors of one pipelined solve (local parts), zero-initialised. Without a
// preconditioner u = r, m = w and q = s: those three are views of the others, not stored.
class PipeCgVectors {
public:
    PipeCgVectors(std::size_t size, bool preconditioned);
    PipeCgVectors(const PipeCgVectors&) = delete;
    PipeCgVectors& operator=(const PipeCgVectors&) = delete;

    bool preconditioned() const noexcept { return preconditioned_; }
    std::span<double> r, u, w, m, n, z, q, s, p;

private:
    bool preconditioned_;
    std::array<StreamedVector<double>, 9> store_;
};

// Local: adds the chunk sums of rr = r.r, delta = w.u and (preconditioned) gamma = r.u to
// acc[0], acc[1], acc[2].
void pipecg_dots(const PipeCgVectors& v, index_t chunk, std::span<ExactSum, 3> acc);
// Local: one iteration's recurrences (z = n + beta z, q = m + beta q, s = w + beta s,
// p = u + beta p, x += alpha p, r -= alpha s, u -= alpha q, w -= alpha z), then the next
// iteration's dots as pipecg_dots(), fused chunk by chunk into the same pass.
void pipecg_update(double alpha, double beta, const PipeCgVectors& v, std::span<double> x, index_t chunk,
                   std::span<ExactSum, 3> acc);
// Local: z = dinv x (the Jacobi preconditioner).
void pipecg_jacobi(std::span<const double> dinv, std::span<const double> x, std::span<double> z);
[[noreturn]] void pipecg_throw_not_spd(double gamma, double denominator, int iteration);
}  // namespace detail

/// Collective over op.comm(): solves A x = b by pipelined (preconditioned) conjugate gradients
/// from the initial guess in x. In exact arithmetic the iterates are cg()'s; in floating point
/// the iteration count may differ by one or two. Stops when the recursively updated residual
/// has ||r_k|| <= tol ||b|| or after max_iter iterations (converged = false; not an error).
/// b == 0 gives x = 0 at once.
/// Options as for cg(): precond none, jacobi or custom (options.apply_preconditioner, which
/// must be collective over op.comm() or a communicator derived from it; it runs while a
/// non-blocking allreduce on op.comm() is pending, which MPI allows); options.monitor is
/// called as in cg(). There is no CgState (the pipelined recurrences carry more than it
/// holds), so a solve cannot be resumed, and options.on_iteration is refused.
/// Throws CollectiveError (exit 2) on every rank, naming the parameter ("pipecg: tol = 0 must
/// be in (0, 1e300)"), when tol or max_iter is out of range, when local lengths differ from
/// op.local_size(), when precond is custom without apply_preconditioner, when on_iteration is
/// set, when the Jacobi diagonal is not positive, and when r.u <= 0 or the step's denominator
/// delta - beta gamma / alpha_old <= 0 (A or M is not positive definite).
template <CgOperator Op>
CgResult pipecg(Op& op, std::span<const double> b, std::span<double> x, const CgOptions& options = {}) {
    const mpi::Comm& comm = op.comm();
    const index_t size = op.local_size(), chunk = op.chunk();
    TESSERA_CHECK_ALL(comm, options.tol > 0 && options.tol < 1e300,
                      "pipecg: tol = " << options.tol << " must be in (0, 1e300)");
    TESSERA_CHECK_ALL(comm, options.max_iter >= 0, "pipecg: max_iter = " << options.max_iter << " must be >= 0");
    TESSERA_CHECK_ALL(comm, static_cast<index_t>(b.size()) == size && static_cast<index_t>(x.size()) == size,
                      "pipecg: local vectors of length " << b.size() << " and " << x.size()
                                                         << " for an operator of local size " << size);
    const bool custom = options.precond == Preconditioner::custom;
    const bool jacobi = options.precond == Preconditioner::jacobi;
    TESSERA_CHECK_ALL(comm, !custom || options.apply_preconditioner,
                      "pipecg: precond = custom needs apply_preconditioner");
    TESSERA_CHECK_ALL(comm, !options.on_iteration,
                      "pipecg: on_iteration is not supported (a pipelined solve cannot be resumed)");
    ScopedTimer timer("linalg.pipecg");
    const auto sz = static_cast<std::size_t>(size);
    std::vector<double> dinv;
    if (jacobi) {
        std::vector<double> diag(sz);
        op.diagonal(diag);
        dinv = detail::inverse_diagonal(comm, diag, "pipecg");
    }
    // z = M^-1 x; without a preconditioner the views already alias, so nothing is done.
    auto precondition = [&](std::span<const double> in, std::span<double> out) {
        ScopedTimer t("linalg.pipecg.precondition");
        if (custom) options.apply_preconditioner(in, out);
        else if (jacobi) detail::pipecg_jacobi(dinv, in, out);
    };
    CgResult result;
    const double bnorm = norm2(comm, b, chunk);
    if (bnorm == 0.0) {
        std::fill(x.begin(), x.end(), 0.0);
        result.history = {0.0};
        result.converged = true;
        return result;
    }
    detail::PipeCgVectors v(sz, custom || jacobi);
    // r0 = b - A x0, u0 = M^-1 r0, w0 = A u0 (n is scratch until the loop fills it).
    op.apply(x, v.n);
    detail::cg_residual(b, v.n, v.r);
    precondition(v.r, v.u);
    op.apply(v.u, v.w);
    std::array<ExactSum, 3> acc;  // rr, delta, gamma: the one message of an iteration
    detail::pipecg_dots(v, chunk, acc);
    const std::size_t sums = v.preconditioned() ? 3 : 2;
    ExactSumReduction reduction;  // after acc: destroyed (waited for) first
    double gamma_old = 0, alpha_old = 0;
    int k = 0;
    for (;;) {
        reduction.start(comm, std::span<ExactSum>(acc.data(), sums));
        // m = M^-1 w and n = A m while the dots travel; at the iteration limit they would
        // go unused.
        const bool more = k < options.max_iter;
        if (more) {
            precondition(v.w, v.m);
            ScopedTimer t("linalg.pipecg.apply");
            op.apply(v.m, v.n);
        }
        {
            ScopedTimer t("linalg.pipecg.wait");
            reduction.finish();
        }
        const double rr = acc[0].round(), delta = acc[1].round();
        const double gamma = v.preconditioned() ? acc[2].round() : rr;
        result.history.push_back(std::sqrt(rr) / bnorm);
        if (k > 0 && options.monitor) options.monitor(k, result.history.back());
        result.converged = std::sqrt(rr) <= options.tol * bnorm;
        if (result.converged || !more) break;
        const double beta = k == 0 ? 0.0 : gamma / gamma_old;
        const double denominator = k == 0 ? delta : delta - beta * gamma / alpha_old;
        // Every rank holds the same reduced scalars, so every rank throws here together.
        if (!(gamma > 0.0) || !(denominator > 0.0)) detail::pipecg_throw_not_spd(gamma, denominator, k + 1);
        const double alpha = gamma / denominator;
        result.alpha.push_back(alpha);
        if (k > 0) result.beta.push_back(beta);
        acc = {};
        detail::pipecg_update(alpha, beta, v, x, chunk, acc);
        gamma_old = gamma;
        alpha_old = alpha;
        ++k;
    }
    result.iterations = k;
    result.relative_residual = result.history.back();
    return result;
}

}  // namespace tessera::linalg
