// Assembly and factorization of the coarsest level's matrix.
#include "coarse_solve.hpp"

#include <vector>

#include "tessera/core/error.hpp"

namespace tessera::multigrid::detail {

template <int Dim>
CoarseSolver<Dim>::CoarseSolver(const std::array<gindex_t, Dim>& cells) {
    std::array<gindex_t, 3> n{1, 1, 1};
    std::array<double, 3> c{0, 0, 0};
    double diag = 0;
    for (int d = 0; d < Dim; ++d) {
        n[d] = cells[d];
        const double h = 1.0 / static_cast<double>(cells[d] + 1);  // as PoissonOperator computes it
        c[d] = 1.0 / (h * h);
        diag += 2.0 * c[d];
    }
    n_ = static_cast<index_t>(n[0] * n[1] * n[2]);
    std::vector<Eigen::Triplet<double>> t;
    t.reserve(static_cast<std::size_t>(n_) * (2 * Dim + 1));
    const std::array<gindex_t, 3> stride{1, n[0], n[0] * n[1]};
    for (gindex_t k = 0; k < n[2]; ++k)
        for (gindex_t j = 0; j < n[1]; ++j)
            for (gindex_t i = 0; i < n[0]; ++i) {
                const std::array<gindex_t, 3> p{i, j, k};
                const auto row = static_cast<index_t>(i + j * stride[1] + k * stride[2]);
                t.emplace_back(row, row, diag);
                for (int d = 0; d < Dim; ++d) {
                    if (p[d] > 0) t.emplace_back(row, row - stride[d], -c[d]);
                    if (p[d] + 1 < n[d]) t.emplace_back(row, row + stride[d], -c[d]);
                }
            }
    Eigen::SparseMatrix<double> a(n_, n_);
    a.setFromTriplets(t.begin(), t.end());
    ldlt_.compute(a);
    TESSERA_CHECK(ldlt_.info() == Eigen::Success, "multigrid: the coarsest matrix (" << n_ << " unknowns) did not factor");
}

template <int Dim>
void CoarseSolver<Dim>::solve(std::span<const double> b, std::span<double> x) const {
    TESSERA_CHECK(static_cast<index_t>(b.size()) == n_ && static_cast<index_t>(x.size()) == n_,
                  "multigrid: coarse solve of " << b.size() << " values for " << n_ << " unknowns");
    const Eigen::Map<const Eigen::VectorXd> bb(b.data(), n_);
    Eigen::Map<Eigen::VectorXd> xx(x.data(), n_);
    xx = ldlt_.solve(bb);
}

template class CoarseSolver<2>;
template class CoarseSolver<3>;

}  // namespace tessera::multigrid::detail
