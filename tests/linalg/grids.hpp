// Test helper: every P x Q process grid that the test program's rank count allows.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "support/mpi_test.hpp"

namespace tessera::testing {

/// Every factorization P x Q == world().size(): 1x1; 1x2, 2x1; 1x4, 2x2, 4x1.
inline std::vector<std::array<int, 2>> all_grids() {
    std::vector<std::array<int, 2>> grids;
    const int n = world().size();
    for (int p = 1; p <= n; ++p)
        if (n % p == 0) grids.push_back({p, n / p});
    return grids;
}

inline std::string grid_name(const std::array<int, 2>& g) {
    return std::to_string(g[0]) + "x" + std::to_string(g[1]);
}

}  // namespace tessera::testing
