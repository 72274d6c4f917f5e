// Test helper: gathers a distributed Field onto rank 0 as one dense global array (small
// fields only), ordered i fastest.
#pragma once

#include <vector>

#include <tessera/grid/field.hpp>

namespace tessera::testing {

/// Collective over f.decomp().comm(). Returns the global field on rank 0, empty elsewhere.
template <int Dim>
std::vector<double> gather_field(const grid::Field<double, Dim>& f) {
    const auto& comm = f.decomp().comm();
    const auto b = f.owned_box();
    std::vector<double> mine;
    mine.reserve(static_cast<std::size_t>(b.size()));
    const auto v = f.view();
    for (index_t r = 0; r < box_rows(b); ++r) {
        const double* p = row_begin(v, b, r);
        mine.insert(mine.end(), p, p + b.extent(0));
    }
    std::vector<int> counts(static_cast<std::size_t>(comm.size())), displs(counts.size());
    const int n = static_cast<int>(mine.size());
    MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm.get());
    std::vector<double> packed;
    if (comm.rank() == 0) {
        for (std::size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
        packed.resize(static_cast<std::size_t>(displs.back() + counts.back()));
    }
    MPI_Gatherv(mine.data(), n, MPI_DOUBLE, packed.data(), counts.data(), displs.data(), MPI_DOUBLE,
                0, comm.get());
    if (comm.rank() != 0) return {};
    const auto g = f.decomp().global_box();
    std::vector<double> global(static_cast<std::size_t>(g.size()));
    for (int r = 0; r < comm.size(); ++r) {
        const auto c = f.decomp().comm().coords(r);
        std::array<int, Dim> coords{};
        for (int d = 0; d < Dim; ++d) coords[d] = c[d];
        const auto rb = f.decomp().owned_box_at(coords);
        std::size_t n_in = static_cast<std::size_t>(displs[static_cast<std::size_t>(r)]);
        for (index_t row = 0; row < box_rows(rb); ++row) {
            gindex_t j = rb.lo[1] + (Dim == 2 ? row : row % rb.extent(1));
            gindex_t k = Dim == 2 ? 0 : rb.lo[2] + row / rb.extent(1);
            const gindex_t base = (k * g.extent(1) + j) * g.extent(0) + rb.lo[0];
            for (gindex_t i = 0; i < rb.extent(0); ++i)
                global[static_cast<std::size_t>(base + i)] = packed[n_in++];
        }
    }
    return global;
}

}  // namespace tessera::testing
