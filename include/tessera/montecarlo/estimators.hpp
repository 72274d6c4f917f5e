// Estimators with honest error bars: running moments, standard errors and 95% intervals,
// batch means for correlated chains, and a convergence table.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "tessera/core/types.hpp"

namespace tessera::montecarlo {

/// Called with the units done so far (an estimate over all ranks) on one thread of a rank;
/// local: it must not communicate (a progress line, a log). Empty: nothing is called.
using ProgressCallback = std::function<void(gindex_t done)>;

/// Count, mean and sum of squared deviations of a sample (Welford's update; Chan et al.'s
/// merge). Three doubles, so blocks of them travel over MPI as MPI_DOUBLE. Local.
struct Moments {
    double count = 0.0;
    double mean = 0.0;
    double m2 = 0.0;

    void add(double x) noexcept {
        count += 1.0;
        const double d = x - mean;
        mean += d / count;
        m2 += d * (x - mean);
    }
    /// Folds `other` in. The result depends on the order of merges in the last bits, so
    /// callers that need reproducible bits merge in a fixed order.
    void merge(const Moments& other) noexcept;
    /// Unbiased sample variance (0 with fewer than two samples).
    double variance() const noexcept { return count > 1.0 ? m2 / (count - 1.0) : 0.0; }
};
static_assert(sizeof(Moments) == 3 * sizeof(double));

/// A Monte Carlo estimate of a mean with its standard error and 95% confidence interval.
struct Estimate {
    double value = 0.0;      ///< the estimate (sample mean)
    double std_error = 0.0;  ///< standard error of `value`
    double variance = 0.0;   ///< sample variance of one sample
    double samples = 0.0;    ///< samples (or batches) behind the estimate
    double ci_low = 0.0, ci_high = 0.0;  ///< 95% interval, value -/+ 1.96 std_error

    /// Local: the estimate of the mean from moments (std_error = sqrt(variance / count)).
    static Estimate from_moments(const Moments& m) noexcept;
    /// Local: |value - reference| in standard errors (infinity when std_error is 0 and they differ).
    double distance(double reference) const noexcept;
    /// Local: the estimate scaled by `factor` (value, error and interval; variance by factor^2).
    Estimate scaled(double factor) const noexcept;
};

/// Local: batch-means estimate of the mean of a correlated series: the series is cut into
/// `batches` contiguous batches of equal length (a remainder at the front is dropped, so the
/// most thermalized part is kept) and the standard error is that of the batch averages.
/// Throws tessera::Error when batches < 2 or the series is shorter than `batches`.
Estimate batch_means(std::span<const double> series, int batches);

/// One row of a convergence table: the estimate from the first `samples` samples.
struct ConvergenceRow {
    gindex_t samples = 0;
    Estimate estimate;
};

/// Local: moments of quantity `q` (of `nq`) merged over the first `nblocks` blocks of
/// `blocks` (block-major: blocks[b * nq + q]), in block order, so the bits are reproducible.
Moments merge_blocks(std::span<const Moments> blocks, int nq, int q, gindex_t nblocks);

/// Local: estimates of quantity `q` from prefixes of the run holding about N, N/4, N/16, ...
/// samples (whole blocks, at most `rows` rows, at least one block each), in increasing N.
/// The standard error should fall as 1/sqrt(N) down the table.
std::vector<ConvergenceRow> convergence_table(std::span<const Moments> blocks, int nq, int q,
                                              int rows = 5);

}  // namespace tessera::montecarlo
