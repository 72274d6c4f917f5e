// Moments, estimates, batch means and convergence tables.
#include "tessera/montecarlo/estimators.hpp"

#include <cmath>
#include <limits>

#include "tessera/core/error.hpp"

namespace tessera::montecarlo {

namespace {
constexpr double z95 = 1.959963984540054;  // two-sided 95% quantile of the standard normal
}

void Moments::merge(const Moments& other) noexcept {
    if (other.count == 0.0) return;
    if (count == 0.0) {
        *this = other;
        return;
    }
    const double n = count + other.count;
    const double d = other.mean - mean;
    mean += d * (other.count / n);
    m2 += other.m2 + d * d * (count * other.count / n);
    count = n;
}

Estimate Estimate::from_moments(const Moments& m) noexcept {
    Estimate e;
    e.value = m.mean;
    e.variance = m.variance();
    e.samples = m.count;
    e.std_error = m.count > 0.0 ? std::sqrt(e.variance / m.count) : 0.0;
    e.ci_low = e.value - z95 * e.std_error;
    e.ci_high = e.value + z95 * e.std_error;
    return e;
}

double Estimate::distance(double reference) const noexcept {
    const double d = std::abs(value - reference);
    if (std_error > 0.0) return d / std_error;
    return d == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
}

Estimate Estimate::scaled(double factor) const noexcept {
    Estimate e = *this;
    e.value *= factor;
    e.std_error *= std::abs(factor);
    e.variance *= factor * factor;
    e.ci_low = e.value - z95 * e.std_error;
    e.ci_high = e.value + z95 * e.std_error;
    return e;
}

Estimate batch_means(std::span<const double> series, int batches) {
    TESSERA_CHECK(batches >= 2, "batch means need at least 2 batches, got " << batches);
    const auto n = static_cast<gindex_t>(series.size());
    TESSERA_CHECK(n >= batches,
                  "batch means: a series of " << n << " values cannot fill " << batches << " batches");
    const gindex_t len = n / batches;
    const gindex_t skip = n - len * batches;
    Moments of_batches;
    for (int b = 0; b < batches; ++b) {
        double sum = 0.0;
        for (gindex_t i = 0; i < len; ++i) sum += series[static_cast<std::size_t>(skip + b * len + i)];
        of_batches.add(sum / static_cast<double>(len));
    }
    return Estimate::from_moments(of_batches);
}

Moments merge_blocks(std::span<const Moments> blocks, int nq, int q, gindex_t nblocks) {
    TESSERA_CHECK(nq > 0 && q >= 0 && q < nq, "merge_blocks: quantity " << q << " of " << nq);
    TESSERA_CHECK(nblocks >= 0 && nblocks * nq <= static_cast<gindex_t>(blocks.size()),
                  "merge_blocks: " << nblocks << " blocks requested, " << blocks.size() / nq << " held");
    Moments m;
    for (gindex_t b = 0; b < nblocks; ++b) m.merge(blocks[static_cast<std::size_t>(b * nq + q)]);
    return m;
}

std::vector<ConvergenceRow> convergence_table(std::span<const Moments> blocks, int nq, int q,
                                              int rows) {
    const auto total = static_cast<gindex_t>(blocks.size()) / nq;
    std::vector<ConvergenceRow> table;
    for (gindex_t nb = total; nb >= 1 && static_cast<int>(table.size()) < rows; nb /= 4) {
        const Moments m = merge_blocks(blocks, nq, q, nb);
        table.push_back({static_cast<gindex_t>(m.count), Estimate::from_moments(m)});
    }
    return {table.rbegin(), table.rend()};
}

}  // namespace tessera::montecarlo
