// STREAM-style triad: the memory bandwidth a bandwidth-bound kernel should be compared with.
#include "tessera/core/bandwidth.hpp"

#include <omp.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace tessera {

double triad_bandwidth(const mpi::Comm& comm, std::size_t n, int repetitions) {
    std::unique_ptr<double[]> a(new double[n]), b(new double[n]), c(new double[n]);
    const std::ptrdiff_t count = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < count; ++i) a[i] = 0.0, b[i] = 1.0, c[i] = 2.0;
    const double s = 3.0;
    std::vector<double> rates;
    for (int r = 0; r < repetitions; ++r) {
        comm.barrier();
        const double t0 = MPI_Wtime();
        double* __restrict pa = a.get();
        const double* __restrict pb = b.get();
        const double* __restrict pc = c.get();
#pragma omp parallel for simd schedule(static)
        for (std::ptrdiff_t i = 0; i < count; ++i) pa[i] = pb[i] + s * pc[i];
        comm.barrier();  // all ranks share the memory system: time them together
        const double seconds = MPI_Wtime() - t0;
        rates.push_back(32.0 * static_cast<double>(n) * comm.size() / seconds);
    }
    std::nth_element(rates.begin(), rates.begin() + static_cast<std::ptrdiff_t>(rates.size() / 2), rates.end());
    // The barrier adds a little to every rank's time; the median makes the figure stable.
    return mpi::bcast(comm, rates[rates.size() / 2], 0);
}

}  // namespace tessera
