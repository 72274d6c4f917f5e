// Explicit Euler heat stepper with communication hidden behind the interior update.
#include "tessera/stencil/heat.hpp"

#include <omp.h>

#include <cmath>
#include <climits>

#include "tessera/core/error.hpp"
#include "tessera/core/timer.hpp"
#include "temporal_blocking.hpp"

namespace tessera::stencil {

template <int Dim>
double max_stable_dt(const HeatParams<Dim>& p) {
    return 2.0 / (p.alpha * max_abs_symbol<Dim>(p.stencil, p.spacing));
}

template <int Dim>
std::pair<Box<Dim>, std::vector<Box<Dim>>> split_interior(const Box<Dim>& box, const std::array<int, Dim>& lo,
                                                          const std::array<int, Dim>& hi) {
    Box<Dim> inner;
    for (int d = 0; d < Dim; ++d) {
        inner.lo[d] = std::min(box.lo[d] + lo[d], box.hi[d]);
        inner.hi[d] = std::max(box.hi[d] - hi[d], inner.lo[d]);
    }
    std::vector<Box<Dim>> shell;
    Box<Dim> rest = box;  // peel slabs off the slowest axis first: they are contiguous
    for (int d = Dim - 1; d >= 0; --d) {
        Box<Dim> low = rest, high = rest;
        low.hi[d] = inner.lo[d];
        high.lo[d] = inner.hi[d];
        if (!low.empty()) shell.push_back(low);
        if (!high.empty()) shell.push_back(high);
        rest.lo[d] = inner.lo[d];
        rest.hi[d] = inner.hi[d];
    }
    return {inner, shell};
}

template <int Dim>
HeatStepper<Dim>::HeatStepper(grid::Field<double, Dim>& u, const HeatParams<Dim>& params)
    : u_(u), next_(u.decomp(), u.ghost()), params_(params),
      halo_(u, std::max(1, std::min(radius(params.stencil), u.ghost())), halo_pattern(params.stencil)) {
    const auto& comm = u.decomp().comm();
    const int r = radius(params.stencil);
    TESSERA_CHECK_ALL(comm, u.ghost() >= r,
                      "stencil " << to_string(params.stencil, Dim) << " needs " << r
                                 << " ghost layers, the field has " << u.ghost());
    TESSERA_CHECK_ALL(comm, params.alpha > 0, "heat: alpha: diffusivity must be positive, got " << params.alpha);
    TESSERA_CHECK_ALL(comm, params.dt > 0, "heat: dt: time step must be positive, got " << params.dt);
    if (halo_pattern(params.stencil) == grid::HaloPattern::full) {
        bool equal = true;
        for (int d = 1; d < Dim; ++d)
            equal = equal && std::abs(params.spacing[d] - params.spacing[0]) <= 1e-12 * params.spacing[0];
        TESSERA_CHECK_ALL(comm, equal, "heat: stencil " << to_string(params.stencil, Dim)
                                                    << " needs equal spacings on every axis, got "
                                                    << params.spacing[0] << " and others");
    }
    const double dt_max = max_stable_dt(params);
    TESSERA_CHECK_ALL(comm, params.allow_unstable || params.dt <= dt_max,
                      "heat: dt " << params.dt << " is unstable for the " << to_string(params.stencil, Dim)
                              << " stencil: the largest stable dt is " << dt_max
                              << " (HeatParams::allow_unstable runs it anyway)");
    for (int d = 0; d < Dim; ++d) {
        const bool periodic_bc = params.bc[d].kind == grid::BoundaryKind::periodic;
        TESSERA_CHECK_ALL(comm, periodic_bc == u.decomp().periodic(d),
                          "heat: bc[" << d << "]: the boundary and the decomposition's periodicity differ");
    }
    coeffs_.self = 1.0;
    for (int d = 0; d < Dim; ++d)
        coeffs_.weight[d] = params.alpha * params.dt / (params.spacing[d] * params.spacing[d]);

    star_ = halo_pattern(params.stencil) == grid::HaloPattern::faces;
    const auto& dec = u.decomp();
    std::array<int, Dim> lo{}, hi{};
    for (int d = 0; d < Dim; ++d) {
        // Star stencils: only faces next to another rank wait for the exchange.
        std::array<int, Dim> down{}, up{};
        down[d] = -1;
        up[d] = 1;
        lo[d] = !star_ || dec.neighbor(down) != MPI_PROC_NULL ? r : 0;
        hi[d] = !star_ || dec.neighbor(up) != MPI_PROC_NULL ? r : 0;
    }
    std::tie(interior_, shell_) = split_interior<Dim>(u.owned_box(), lo, hi);
    if (params.time_block > 1) {
        const int w = params.time_block * r;
        TESSERA_CHECK_ALL(comm, star_, "heat: time_block needs a star stencil (5pt, 7pt, star1..star4)");
        TESSERA_CHECK_ALL(comm, u.ghost() >= w, "heat: time_block " << params.time_block << " needs " << w
                                                  << " ghost layers, the field has " << u.ghost());
        block_halo_.emplace(u, w, grid::HaloPattern::full);
    }
    const auto& x = params.bc[0];
    if (star_ && x.kind != grid::BoundaryKind::periodic) {
        walls_.low = dec.at_edge(0, 0);
        walls_.high = dec.at_edge(0, 1);
        walls_.low_wall = 0;
        walls_.high_wall = dec.global_cells()[0];
        walls_.sign = x.kind == grid::BoundaryKind::dirichlet ? -1.0 : 1.0;
        walls_.offset = x.kind == grid::BoundaryKind::dirichlet ? 2.0 * x.value : 0.0;
        walls_.width = r;
    }
}

template <int Dim>
void HeatStepper<Dim>::update(const Box<Dim>& box) {
    if (star_)
        apply_stencil<Dim>(params_.stencil, u_.view(), next_.view(), coeffs_, box, walls_, params_.store);
    else
        apply_stencil<Dim>(params_.stencil, u_.view(), next_.view(), coeffs_, box);
}

template <int Dim>
void HeatStepper<Dim>::step() {
    const int r = radius(params_.stencil);
    // Wall ghosts read only owned cells: star stencils fill them now (axis 0 inside the sweep).
    if (star_) grid::apply_boundaries(u_, params_.bc, r, /*first_axis=*/1);
    halo_.start(u_);
    {
        ScopedTimer t("stencil.heat.interior");
        update(interior_);
    }
    halo_.finish(u_);
    {
        ScopedTimer t("stencil.heat.boundary");
        if (!star_) grid::apply_boundaries(u_, params_.bc, r);
        for (const auto& b : shell_) update(b);
    }
    u_.swap(next_);
    ++steps_;
}

template <int Dim>
void HeatStepper<Dim>::advance(gindex_t n) {
    ScopedTimer t("stencil.heat");
    const int k = params_.time_block;
    const int every = params_.check_every;
    for (gindex_t done = 0; done < n;) {
        const gindex_t before = steps_;
        if (k > 1 && n - done >= k) {
            blocked_steps(k);
            steps_ += k;
            done += k;
        } else {
            step();
            ++done;
        }
        if (every > 0 && steps_ / every != before / every) check_finite();
    }
}

// Temporal blocking: one exchange of width k R (corners included), then k steps in one pass
// over memory (temporal_blocking.cpp).
template <int Dim>
void HeatStepper<Dim>::blocked_steps(int k) {
    ScopedTimer timer("stencil.heat.blocked");
    block_halo_->exchange(u_);
    {
        ScopedTimer compute("stencil.heat.blocked.compute");
        detail::blocked_steps(u_, next_, params_, coeffs_, walls_, k, block_rings_);
    }
    u_.swap(next_);
}

template <int Dim>
void HeatStepper<Dim>::check_finite() const {
    ScopedTimer t("stencil.check_finite");
    const auto b = u_.owned_box();
    const auto v = u_.view();
    gindex_t first_bad = -1;  // any bad row of the owned box
    const gindex_t nx = b.extent(0), rows = box_rows(b);
#pragma omp parallel for schedule(static) reduction(max : first_bad)
    for (gindex_t row = 0; row < rows; ++row) {
        const double* p = row_begin(v, b, row);
        bool bad = false;
        for (gindex_t i = 0; i < nx; ++i) bad |= !std::isfinite(p[i]);
        if (bad) first_bad = std::max(first_bad, row);
    }
    tessera::detail::check_all(u_.decomp().comm(), first_bad < 0,
                      "non-finite value (NaN or Inf) after step " + std::to_string(steps_) +
                          " on rank " + std::to_string(u_.decomp().comm().rank()) +
                          " (the time step or the initial field may be unstable)",
                      /*exit_code=*/1);
}

template <int Dim>
double HeatStepper<Dim>::amplification(const std::array<double, Dim>& theta) const {
    return 1.0 + params_.alpha * params_.dt * symbol<Dim>(params_.stencil, theta, params_.spacing);
}

template double max_stable_dt<2>(const HeatParams<2>&);
template double max_stable_dt<3>(const HeatParams<3>&);
template std::pair<Box<2>, std::vector<Box<2>>> split_interior<2>(const Box<2>&, const std::array<int, 2>&,
                                                                   const std::array<int, 2>&);
template std::pair<Box<3>, std::vector<Box<3>>> split_interior<3>(const Box<3>&, const std::array<int, 3>&,
                                                                   const std::array<int, 3>&);
template class HeatStepper<2>;
template class HeatStepper<3>;

}  // namespace tessera::stencil
