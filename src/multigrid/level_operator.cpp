// The LevelOperator defaults and the PoissonLevel adapter.
#include "tessera/multigrid/level_operator.hpp"

#include <cmath>
#include <numbers>

#include "tessera/core/error.hpp"

namespace tessera::multigrid {

template <int Dim>
void LevelOperator<Dim>::relax_colour(std::span<const double>, std::span<double>, int, bool) {
    TESSERA_CHECK(false, "multigrid: this LevelOperator has no relax_colour() (has_relax_colour() is false)");
}

template <int Dim>
gindex_t LevelOperator<Dim>::nonzeros() const {
    const auto& cells = decomp().global_cells();
    gindex_t n = 1;
    for (auto c : cells) n *= c;
    gindex_t nnz = n;
    for (int d = 0; d < Dim; ++d) nnz += 2 * (cells[d] - 1) * (n / cells[d]);
    return nnz;
}

template <int Dim>
PoissonLevel<Dim>::PoissonLevel(const mpi::Comm& comm, const Index& cells, const std::array<int, Dim>& procs)
    : owned_(std::make_unique<stencil::PoissonOperator<Dim>>(comm, cells, procs)), op_(owned_.get()) {}

template <int Dim>
std::unique_ptr<LevelOperator<Dim>> PoissonLevel<Dim>::coarsened(const mpi::Comm& comm, const Index& cells,
                                                                 const std::array<int, Dim>& procs) const {
    return std::make_unique<PoissonLevel<Dim>>(comm, cells, procs);
}

template <int Dim>
double PoissonLevel<Dim>::diagonal_scaled_upper_bound() const {
    // lambda_max(D^-1 A) = sum_d c_d (1 + cos(pi h_d)) / sum_d c_d with c_d = 1 / h_d^2.
    double num = 0, den = 0;
    for (int d = 0; d < Dim; ++d) {
        const double h = op_->spacing(d), c = 1.0 / (h * h);
        num += c * (1.0 + std::cos(std::numbers::pi * h));
        den += c;
    }
    return num / den;
}

template class LevelOperator<2>;
template class LevelOperator<3>;
template class PoissonLevel<2>;
template class PoissonLevel<3>;

}  // namespace tessera::multigrid
