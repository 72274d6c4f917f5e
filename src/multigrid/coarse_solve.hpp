// The exact coarsest-level solve: the level's matrix assembled on its one rank by probing the
// operator and factored once with Eigen's SimplicialLDLT. Private to the multigrid module.
#pragma once

#include <span>

#include <Eigen/SparseCholesky>

#include "tessera/core/types.hpp"
#include "tessera/multigrid/level_operator.hpp"

namespace tessera::multigrid::detail {

template <int Dim>
class CoarseSolver {
public:
    /// Collective over op.comm(), which has one rank: assembles op's matrix from 3^Dim
    /// applications (the probing vectors of the colours (i mod 3, j mod 3[, k mod 3]): a
    /// stencil reaching one index along each axis sees one probed unknown per row) and
    /// factors it. Throws tessera::Error when op.comm() has more than one rank or the matrix
    /// does not factor.
    explicit CoarseSolver(LevelOperator<Dim>& op);
    /// Local: x = A^-1 b.
    void solve(std::span<const double> b, std::span<double> x) const;

private:
    Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt_;
    index_t n_ = 0;
};

}  // namespace tessera::multigrid::detail
