// STREAM-style triad: the memory bandwidth a bandwidth-bound kernel should be compared with.
#include "tessera/run/bandwidth.hpp"

#include <omp.h>

#include <algorithm>
#include <vector>

namespace tessera::run {

TriadProbe::TriadProbe(const mpi::Comm& comm, std::size_t elements)
    : comm_(&comm),
      n_(elements),
      a_(make_streamed_array<double>(elements)),
      b_(make_streamed_array<double>(elements)),
      c_(make_streamed_array<double>(elements)) {
    const auto count = static_cast<std::ptrdiff_t>(n_);
    double* a = a_.get();
    double* b = b_.get();
    double* c = c_.get();
    // First touch by the threads (same static schedule) that run the triad.
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < count; ++i) a[i] = 0.0, b[i] = 1.0, c[i] = 2.0;
}

double TriadProbe::measure(int passes) {
    const auto count = static_cast<std::ptrdiff_t>(n_);
    double* __restrict pa = a_.get();
    const double* __restrict pb = b_.get();
    const double* __restrict pc = c_.get();
    const double s = 3.0;
    std::vector<double> rates;
    for (int r = 0; r < std::max(passes, 1); ++r) {
        comm_->barrier();  // all ranks share the memory system: run them together
        const double t0 = MPI_Wtime();
#pragma omp parallel for simd schedule(static)
        for (std::ptrdiff_t i = 0; i < count; ++i) pa[i] = pb[i] + s * pc[i];
        const double seconds = mpi::allreduce(*comm_, MPI_Wtime() - t0, MPI_MAX);
        rates.push_back(32.0 * static_cast<double>(n_) * comm_->size() / seconds);
    }
    const auto mid = rates.begin() + static_cast<std::ptrdiff_t>(rates.size() / 2);
    std::nth_element(rates.begin(), mid, rates.end());
    return *mid;  // the same on every rank: the times were reduced
}

double triad_bandwidth(const mpi::Comm& comm, std::size_t elements, int repetitions) {
    return TriadProbe(comm, elements).measure(repetitions);
}

}  // namespace tessera::run
