#pragma once
// Per-arm sufficient statistics of an experiment and the estimate (mean, variance of the
// mean) of each arm for the four metric kinds: binomial, count, continuous and ratio,
// with optional CUPED variance reduction by a pre-period covariate and optional capping
// of heavy-tailed values.
//
// References: Deng, Xu, Kohavi and Walker (2013), "Improving the sensitivity of online
// controlled experiments by utilizing pre-experiment data" (CUPED); Deng, Knoblich and
// Lu (2018), "Applying the delta method in metric analytics" (ratio metrics).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "trustmix/core/error.hpp"

namespace trustmix::experiments {

/// The kind of metric an arm reports.
///  - binomial: y in {0, 1} per user (converted or not); sum = conversions.
///  - count: y = a count per user (events); Poisson-type.
///  - continuous: y = a real value per user (revenue, time spent).
///  - ratio: y / x summed over users (e.g. clicks per impression); sum = sum of y,
///    sum_x = sum of x, and the delta method gives the variance.
enum class Metric { binomial, count, continuous, ratio };

/// Sufficient statistics of one arm. `n` users; sums of y, y^2; and, for a covariate
/// (CUPED) or a ratio denominator x, sums of x, x^2 and x*y. A sum of squares that is not
/// known is NaN (allowed for binomial, where y^2 = y, and count, where Poisson variance is
/// then assumed).
struct ArmData {
  double n = 0.0;
  double sum = 0.0;
  double sum_sq = std::numeric_limits<double>::quiet_NaN();
  double sum_x = 0.0;
  double sum_x2 = 0.0;
  double sum_xy = 0.0;
};

/// Estimate of one arm: the metric's mean and the variance of that mean (units of the
/// metric, squared), with the user count.
struct ArmEstimate {
  double n = 0.0;
  double mean = 0.0;
  double variance = 0.0;  ///< variance of `mean` (already divided by n)
  double unit_variance = 0.0;  ///< per-user variance (variance * n)
};

namespace detail {

inline void check_arm(const ArmData& a, std::size_t i, Metric metric) {
  const std::string arm = "arm " + std::to_string(i);
  if (!(a.n >= 1.0) || !std::isfinite(a.n)) fail(arm, ": users n must be >= 1, got ", a.n);
  if (!std::isfinite(a.sum)) fail(arm, ": sum must be finite, got ", a.sum);
  if (metric == Metric::binomial && !(a.sum >= 0.0 && a.sum <= a.n))
    fail(arm, ": conversions must be in [0, n = ", a.n, "], got ", a.sum);
  if (metric == Metric::count && a.sum < 0.0) fail(arm, ": count sum must be >= 0, got ", a.sum);
  if (metric == Metric::continuous && !std::isfinite(a.sum_sq))
    fail(arm, ": a continuous metric needs sum_sq (sum of squared values)");
}

/// Per-user sample variance from sums: (sum_sq - sum^2/n) / (n - 1), never negative.
inline double sample_variance(double n, double sum, double sum_sq) {
  if (n < 2.0) return 0.0;
  return std::max(0.0, (sum_sq - sum * sum / n) / (n - 1.0));
}
/// Per-user sample covariance from sums.
inline double sample_covariance(double n, double sum_x, double sum_y, double sum_xy) {
  if (n < 2.0) return 0.0;
  return (sum_xy - sum_x * sum_y / n) / (n - 1.0);
}

}  // namespace detail

/// Per-user variance of y for one arm:
///  binomial p(1 - p) (as GrowthBook defines it), count the sample variance or the mean
///  (Poisson) when sum_sq is NaN, continuous the sample variance (n - 1 denominator).
[[nodiscard]] inline double unit_variance(const ArmData& a, Metric metric) {
  const double mean = a.sum / a.n;
  switch (metric) {
    case Metric::binomial: return mean * (1.0 - mean);
    case Metric::count: return std::isfinite(a.sum_sq) ? detail::sample_variance(a.n, a.sum, a.sum_sq) : mean;
    case Metric::continuous:
    case Metric::ratio: return detail::sample_variance(a.n, a.sum, a.sum_sq);
  }
  return 0.0;
}

/// Estimates of every arm.
///  - binomial, count, continuous: mean = sum / n, variance = unit_variance / n.
///  - ratio: r = sum / sum_x; delta method
///      Var(r) = (s_y^2 - 2 r s_xy + r^2 s_x^2) / (n xbar^2).
///  - cuped = true (not for ratio): theta = sum_i cov_i(x, y) (n_i - 1) / sum_i var_i(x)
///    (n_i - 1) pooled within arms; mean_i = ybar_i - theta (xbar_i - xbar), with xbar the
///    covariate mean over all users; variance = (s_y^2 - 2 theta s_xy + theta^2 s_x^2) / n.
///    Because x is measured before assignment, xbar_i - xbar has mean 0 and the adjusted
///    mean stays unbiased for the arm's mean.
[[nodiscard]] inline std::vector<ArmEstimate> estimate_arms(std::span<const ArmData> arms, Metric metric,
                                                            bool cuped = false) {
  if (arms.empty()) fail("arms: need at least one arm");
  for (std::size_t i = 0; i < arms.size(); ++i) detail::check_arm(arms[i], i, metric);
  std::vector<ArmEstimate> out(arms.size());
  if (metric == Metric::ratio) {
    if (cuped) fail("cuped: not available for a ratio metric (x is the denominator)");
    for (std::size_t i = 0; i < arms.size(); ++i) {
      const ArmData& a = arms[i];
      if (!(a.sum_x > 0.0)) fail("arm ", i, ": ratio denominator sum_x must be > 0, got ", a.sum_x);
      if (!std::isfinite(a.sum_sq) || !std::isfinite(a.sum_x2) || !std::isfinite(a.sum_xy))
        fail("arm ", i, ": a ratio metric needs sum_sq, sum_x2 and sum_xy");
      const double r = a.sum / a.sum_x;
      const double xbar = a.sum_x / a.n;
      const double vy = detail::sample_variance(a.n, a.sum, a.sum_sq);
      const double vx = detail::sample_variance(a.n, a.sum_x, a.sum_x2);
      const double cxy = detail::sample_covariance(a.n, a.sum_x, a.sum, a.sum_xy);
      const double unit = std::max(0.0, (vy - 2.0 * r * cxy + r * r * vx) / (xbar * xbar));
      out[i] = {a.n, r, unit / a.n, unit};
    }
    return out;
  }
  double theta = 0.0;
  double xbar = 0.0;
  if (cuped) {
    double sxy = 0.0;
    double sxx = 0.0;
    double n_all = 0.0;
    double sx_all = 0.0;
    for (std::size_t i = 0; i < arms.size(); ++i) {
      const ArmData& a = arms[i];
      if (!std::isfinite(a.sum_x2) || !std::isfinite(a.sum_xy) || !std::isfinite(a.sum_x))
        fail("arm ", i, ": cuped needs the covariate sums sum_x, sum_x2, sum_xy");
      sxy += detail::sample_covariance(a.n, a.sum_x, a.sum, a.sum_xy) * (a.n - 1.0);
      sxx += detail::sample_variance(a.n, a.sum_x, a.sum_x2) * (a.n - 1.0);
      n_all += a.n;
      sx_all += a.sum_x;
    }
    if (!(sxx > 0.0)) fail("cuped: the covariate has no variance within arms; drop it or pick another");
    theta = sxy / sxx;
    xbar = sx_all / n_all;
  }
  for (std::size_t i = 0; i < arms.size(); ++i) {
    const ArmData& a = arms[i];
    double mean = a.sum / a.n;
    double unit = unit_variance(a, metric);
    if (cuped) {
      const double vx = detail::sample_variance(a.n, a.sum_x, a.sum_x2);
      const double cxy = detail::sample_covariance(a.n, a.sum_x, a.sum, a.sum_xy);
      const double vy = metric == Metric::binomial ? detail::sample_variance(a.n, a.sum, a.sum) : unit;
      mean -= theta * (a.sum_x / a.n - xbar);
      unit = std::max(0.0, vy - 2.0 * theta * cxy + theta * theta * vx);
    }
    out[i] = {a.n, mean, unit / a.n, unit};
  }
  return out;
}

/// Value at probability `q` of `values` (linear interpolation between order statistics,
/// numpy's default "linear" method). Used to cap heavy-tailed metrics.
[[nodiscard]] inline double quantile(std::span<const double> values, double q) {
  trustmix::detail::require_in_range(q, "cap quantile", 0.0, 1.0, false, false);
  if (values.empty()) fail("quantile: no values");
  std::vector<double> v(values.begin(), values.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double a = v[lo];
  if (lo + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return a + (pos - static_cast<double>(lo)) * (b - a);
}

/// Sums per arm from raw per-user rows. `arm[r]` in [0, n_arms); `y[r]` the metric; `x`
/// (optional, same length) the covariate (CUPED) or the ratio denominator. `cap` (if
/// finite) replaces every y above it by cap (winsorising heavy-tailed revenue; the caller
/// usually takes a high quantile of y, see quantile()). Non-finite values are rejected
/// with their row.
[[nodiscard]] inline std::vector<ArmData> summarize(std::span<const std::int64_t> arm, std::span<const double> y,
                                                    std::span<const double> x, std::size_t n_arms,
                                                    double cap = std::numeric_limits<double>::infinity()) {
  if (n_arms == 0) fail("n_arms must be >= 1");
  if (y.size() != arm.size()) fail("y has ", y.size(), " rows but arm has ", arm.size());
  if (!x.empty() && x.size() != arm.size()) fail("x has ", x.size(), " rows but arm has ", arm.size());
  std::vector<ArmData> out(n_arms);
  for (auto& a : out) a.sum_sq = 0.0;
  for (std::size_t r = 0; r < arm.size(); ++r) {
    const std::int64_t k = arm[r];
    if (k < 0 || static_cast<std::size_t>(k) >= n_arms) fail("row ", r, ": arm index ", k, " outside [0, ", n_arms, ")");
    if (!std::isfinite(y[r])) fail("row ", r, ": metric value must be finite, got ", y[r]);
    const double v = std::min(y[r], cap);
    ArmData& a = out[static_cast<std::size_t>(k)];
    a.n += 1.0;
    a.sum += v;
    a.sum_sq += v * v;
    if (!x.empty()) {
      if (!std::isfinite(x[r])) fail("row ", r, ": covariate value must be finite, got ", x[r]);
      a.sum_x += x[r];
      a.sum_x2 += x[r] * x[r];
      a.sum_xy += x[r] * v;
    }
  }
  for (std::size_t k = 0; k < n_arms; ++k)
    if (out[k].n < 1.0) fail("arm ", k, " has no rows");
  return out;
}

}  // namespace trustmix::experiments
