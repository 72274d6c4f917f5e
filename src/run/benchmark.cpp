// Benchmark repetitions with a same-moment triad, and the median every app quotes.
#include "tessera/run/benchmark.hpp"

#include <algorithm>

namespace tessera::run {

double median(std::vector<double> values) {
    if (values.empty()) return 0.0;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double Repetitions::median_ratio(double bytes) const {
    if (triads.empty()) return 0.0;
    std::vector<double> ratios;
    for (std::size_t r = 0; r < seconds.size() && r < triads.size(); ++r)
        ratios.push_back(seconds[r] > 0 && triads[r] > 0 ? bytes / seconds[r] / triads[r] : 0.0);
    return median(ratios);
}

Repetitions repeat(const mpi::Comm& comm, int count, const std::function<void()>& setup,
                   const std::function<void()>& body, bool with_triad) {
    Repetitions out;
    std::optional<TriadProbe> probe;
    if (with_triad) probe.emplace(comm);  // allocated and first-touched once, outside the timing
    for (int r = 0; r < count; ++r) {
        if (setup) setup();
        comm.barrier();
        const double t0 = MPI_Wtime();
        body();
        out.seconds.push_back(mpi::allreduce(comm, MPI_Wtime() - t0, MPI_MAX));
        if (probe) out.triads.push_back(probe->measure(3));
    }
    return out;
}

}  // namespace tessera::run
