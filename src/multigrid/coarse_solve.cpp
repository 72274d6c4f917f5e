// Assembly (by probing) and factorization of the coarsest level's matrix.
#include "coarse_solve.hpp"

#include <vector>

#include "tessera/core/error.hpp"

namespace tessera::multigrid::detail {

template <int Dim>
CoarseSolver<Dim>::CoarseSolver(LevelOperator<Dim>& op) {
    TESSERA_CHECK(op.comm().size() == 1,
                  "multigrid: the coarsest level is spread over " << op.comm().size() << " ranks, not one");
    std::array<gindex_t, 3> n{1, 1, 1};
    for (int d = 0; d < Dim; ++d) n[d] = op.decomp().global_cells()[d];
    n_ = static_cast<index_t>(n[0] * n[1] * n[2]);
    const std::array<gindex_t, 3> stride{1, n[0], n[0] * n[1]};
    const int colours = Dim == 3 ? 27 : 9;
    auto colour_of = [](gindex_t i, gindex_t j, gindex_t k) { return static_cast<int>(i % 3 + 3 * (j % 3) + 9 * (k % 3)); };
    std::vector<double> probe(static_cast<std::size_t>(n_)), column(static_cast<std::size_t>(n_));
    std::vector<Eigen::Triplet<double>> t;
    t.reserve(static_cast<std::size_t>(n_) * (2 * Dim + 1));
    for (int c = 0; c < colours; ++c) {
        for (gindex_t k = 0; k < n[2]; ++k)
            for (gindex_t j = 0; j < n[1]; ++j)
                for (gindex_t i = 0; i < n[0]; ++i)
                    probe[static_cast<std::size_t>(i + j * stride[1] + k * stride[2])] = colour_of(i, j, k) == c ? 1.0 : 0.0;
        op.apply(probe, column);
        // Row (i, j, k) sees the one unknown of colour c within one index along every axis.
        for (gindex_t k = 0; k < n[2]; ++k)
            for (gindex_t j = 0; j < n[1]; ++j)
                for (gindex_t i = 0; i < n[0]; ++i) {
                    const auto row = static_cast<index_t>(i + j * stride[1] + k * stride[2]);
                    const double v = column[static_cast<std::size_t>(row)];
                    if (v == 0.0) continue;
                    std::array<gindex_t, 3> p{i, j, k}, q{};
                    bool inside = true;
                    for (int d = 0; d < 3; ++d) {
                        const int want = (c / (d == 0 ? 1 : d == 1 ? 3 : 9)) % 3;
                        // the index within p[d] - 1 .. p[d] + 1 with residue `want` modulo 3
                        q[d] = p[d] - 1 + ((want - (p[d] - 1) % 3 + 3 + 3) % 3);
                        inside = inside && q[d] >= 0 && q[d] < n[d];
                    }
                    TESSERA_CHECK(inside, "multigrid: the coarsest operator couples unknown " << row
                                              << " beyond the domain or beyond one index per axis");
                    t.emplace_back(row, static_cast<index_t>(q[0] + q[1] * stride[1] + q[2] * stride[2]), v);
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
