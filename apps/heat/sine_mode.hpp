// The heat app's oracle: a sine mode that is an exact eigenvector of the discrete operator, so
// the discrete solution after n steps is the initial field times amplification^n, exactly.
#pragma once

#include <array>
#include <cmath>
#include <numbers>
#include <utility>
#include <vector>

#include <tessera/tessera.hpp>

namespace heat_app {

using tessera::gindex_t;

// Per axis sin or cos of k x (cell centres), the one that is exact for that axis' boundary.
template <int Dim>
struct SineMode {
    std::array<double, Dim> wavenumber{}, spacing{};
    std::array<bool, Dim> cosine{};

    SineMode(const std::vector<int>& mode, const std::array<double, Dim>& extent,
             const tessera::stencil::HeatParams<Dim>& params) {
        using tessera::grid::BoundaryKind;
        for (int d = 0; d < Dim; ++d) {
            const double k = mode[static_cast<std::size_t>(d)] * std::numbers::pi / extent[d];
            wavenumber[d] = params.bc[d].kind == BoundaryKind::periodic ? 2 * k : k;
            cosine[d] = params.bc[d].kind == BoundaryKind::neumann;
            spacing[d] = params.spacing[d];
        }
    }

    double operator()(const std::array<gindex_t, Dim>& g) const {
        double v = 1.0;
        for (int d = 0; d < Dim; ++d) {
            const double x = (static_cast<double>(g[d]) + 0.5) * spacing[d];
            v *= cosine[d] ? std::cos(wavenumber[d] * x) : std::sin(wavenumber[d] * x);
        }
        return v;
    }

    // Only homogeneous walls keep the mode a single eigenvector.
    static bool exact_for(const tessera::stencil::HeatParams<Dim>& params) {
        for (int d = 0; d < Dim; ++d)
            if (params.bc[d].kind == tessera::grid::BoundaryKind::dirichlet && params.bc[d].value != 0.0) return false;
        return true;
    }

    // Collective over u's communicator: max-norm errors of u after `steps` steps against the
    // discrete and the continuous solution, relative to the largest amplitude the mode had
    // (round-off made while it was large does not shrink with it); inf for any NaN/Inf cell.
    std::pair<double, double> errors(const tessera::grid::Field<double, Dim>& u,
                                     const tessera::stencil::HeatStepper<Dim>& stepper,
                                     const tessera::stencil::HeatParams<Dim>& params, gindex_t steps) const {
        std::array<double, Dim> theta{};
        double k2 = 0;
        for (int d = 0; d < Dim; ++d) theta[d] = wavenumber[d] * spacing[d], k2 += wavenumber[d] * wavenumber[d];
        const double n = static_cast<double>(steps);
        const double discrete = std::pow(stepper.amplification(theta), n);
        const double continuous = std::exp(-params.alpha * k2 * n * params.dt);
        double e_disc = 0, e_cont = 0;
        int non_finite = 0;  // std::max would drop a NaN error
        u.for_each_owned([&](const std::array<gindex_t, Dim>& g, double value) {
            const double shape = (*this)(g);
            non_finite |= !std::isfinite(value);
            e_disc = std::max(e_disc, std::abs(value - discrete * shape));
            e_cont = std::max(e_cont, std::abs(value - continuous * shape));
        });
        const auto& comm = u.decomp().comm();
        if (tessera::mpi::allreduce(comm, non_finite, MPI_MAX) != 0) return {INFINITY, INFINITY};
        const double scale = std::max(1.0, std::abs(discrete));
        return {tessera::mpi::allreduce(comm, e_disc, MPI_MAX) / scale,
                tessera::mpi::allreduce(comm, e_cont, MPI_MAX) / scale};
    }
};

}  // namespace heat_app
