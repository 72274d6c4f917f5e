// The recursive cycle and the multigrid solver loop.
#include "tessera/multigrid/vcycle.hpp"

#include <algorithm>
#include <cmath>

#include "tessera/core/error.hpp"
#include "tessera/core/reduce.hpp"
#include "tessera/core/timer.hpp"

namespace tessera::multigrid {

namespace {
// r = b - ax.
void residual(std::span<const double> b, std::span<const double> ax, std::span<double> r) {
    const auto n = static_cast<index_t>(r.size());
#pragma omp parallel for simd schedule(static)
    for (index_t i = 0; i < n; ++i) r[i] = b[i] - ax[i];
}
}  // namespace

template <int Dim>
Multigrid<Dim>::Multigrid(LevelOperator<Dim>& fine, const Options& options) : fine_(fine), h_(fine, options) {}

template <int Dim>
Multigrid<Dim>::Multigrid(stencil::PoissonOperator<Dim>& fine, const Options& options)
    : poisson_(std::make_unique<PoissonLevel<Dim>>(fine)), fine_(*poisson_), h_(fine_, options) {}

// Level l on the ranks that hold it: smooth, restrict the residual, recurse, prolong, smooth.
// The F-cycle follows its coarse F-cycle by a V-cycle from that result.
template <int Dim>
void Multigrid<Dim>::run(int l, std::span<const double> b, std::span<double> x, bool zero_guess, bool f_cycle) {
    auto& lev = h_.level(l);
    if (l == h_.levels() - 1) {
        ScopedTimer t("multigrid.coarse_solve");
        h_.coarse_solve(b, x);
        return;
    }
    const auto& opt = h_.options();
    {
        ScopedTimer t(lev.timer_smooth);
        smooth(*lev.op, opt.smoother, opt.sweeps, b, x, zero_guess, Pass::pre, lev.work);
    }
    {
        ScopedTimer t(lev.timer_residual);
        lev.op->apply(x, lev.work.ax);
        residual(b, lev.work.ax, lev.r);
    }
    auto& coarse = h_.level(l + 1);
    {
        ScopedTimer t(lev.timer_restrict);
        lev.to_coarser->restrict_to(lev.r, coarse.b);
    }
    if (coarse.held()) {
        run(l + 1, coarse.b, coarse.x, true, f_cycle);
        if (f_cycle && l + 1 < h_.levels() - 1) run(l + 1, coarse.b, coarse.x, false, false);
    }
    {
        ScopedTimer t(lev.timer_prolong);
        lev.to_coarser->prolong_add(coarse.x, x);
    }
    ScopedTimer t(lev.timer_smooth);
    smooth(*lev.op, opt.smoother, opt.sweeps, b, x, false, Pass::post, lev.work);
}

template <int Dim>
void Multigrid<Dim>::precondition(std::span<const double> r, std::span<double> z) {
    ScopedTimer t("multigrid.cycle");
    run(0, r, z, true, h_.options().cycle == Cycle::f);
}

template <int Dim>
void Multigrid<Dim>::cycle(std::span<const double> b, std::span<double> x) {
    ScopedTimer t("multigrid.cycle");
    run(0, b, x, false, h_.options().cycle == Cycle::f);
}

template <int Dim>
SolveResult Multigrid<Dim>::solve(std::span<const double> b, std::span<double> x, const SolveOptions& options) {
    const auto& comm = fine_.comm();
    TESSERA_CHECK_ALL(comm, options.tol > 0 && options.tol < 1e300,
                      "multigrid: tol = " << options.tol << " must be in (0, 1e300)");
    TESSERA_CHECK_ALL(comm, options.max_cycles >= 0, "multigrid: max_cycles = " << options.max_cycles << " must be >= 0");
    const index_t n = fine_.local_size(), chunk = fine_.chunk();
    TESSERA_CHECK_ALL(comm, static_cast<index_t>(b.size()) == n && static_cast<index_t>(x.size()) == n,
                      "multigrid: local vectors of length " << b.size() << " and " << x.size()
                                                            << " for an operator of local size " << n);
    ScopedTimer timer("multigrid.solve");
    SolveResult res;
    const double bnorm = norm2(comm, b, chunk);
    if (bnorm == 0.0) {
        std::fill(x.begin(), x.end(), 0.0);
        res.history.push_back(0.0);
        res.converged = true;
        return res;
    }
    r_.resize(static_cast<std::size_t>(n));
    auto update = [&] {
        fine_.apply(x, r_);
        residual(b, r_, r_);
        res.history.push_back(norm2(comm, r_, chunk) / bnorm);
    };
    update();
    while (res.history.back() > options.tol && res.cycles < options.max_cycles) {
        cycle(b, x);
        update();
        ++res.cycles;
        if (options.monitor) options.monitor(res.cycles, res.history.back());
    }
    res.relative_residual = res.history.back();
    res.converged = res.relative_residual <= options.tol;
    return res;
}

template <int Dim>
double vcycle_bytes(const Hierarchy<Dim>& h) {
    const auto& o = h.options();
    const bool cheb = o.smoother == Smoother::chebyshev;
    const double apply = 1 + 2;                           // reads x, writes Ax
    const double step = cheb ? 4 + 2 * 2 : 3 + 2;         // reads b, Ax, (d,) x; writes (d,) x
    const double first = cheb ? 1 + 2 * 2 : 1 + 2;        // from zero: reads b, writes (d,) x
    const double pre = first + (o.sweeps - 1) * (apply + step), post = o.sweeps * (apply + step);
    const double residual = apply + 2 + 2, restrict_read = 1, prolong = 3;
    double words = 0;
    for (int l = 0; l + 1 < h.levels(); ++l) {
        const auto n = static_cast<double>(h.level(l).unknowns()), nc = static_cast<double>(h.level(l + 1).unknowns());
        words += n * (pre + residual + restrict_read + prolong + post) + nc * (2 + 1);  // coarse b written, x read
    }
    return 8.0 * words;
}

template double vcycle_bytes<2>(const Hierarchy<2>&);
template double vcycle_bytes<3>(const Hierarchy<3>&);

template class Multigrid<2>;
template class Multigrid<3>;

}  // namespace tessera::multigrid
