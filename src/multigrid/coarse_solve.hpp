// The exact coarsest-level solve: the level's matrix assembled on its one rank and factored
// once with Eigen's SimplicialLDLT. Private to the multigrid module.
#pragma once

#include <array>
#include <span>

#include <Eigen/SparseCholesky>

#include "tessera/core/types.hpp"

namespace tessera::multigrid::detail {

template <int Dim>
class CoarseSolver {
public:
    /// Local: assembles and factors -lap_h on `cells` unknowns per axis (the coefficients of
    /// stencil::PoissonOperator). Throws tessera::Error if the factorization fails.
    explicit CoarseSolver(const std::array<gindex_t, Dim>& cells);
    /// Local: x = A^-1 b.
    void solve(std::span<const double> b, std::span<double> x) const;

private:
    Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt_;
    index_t n_ = 0;
};

}  // namespace tessera::multigrid::detail
