#pragma once
// Frequentist analysis of an A/B/n test: the fixed-horizon test, always-valid sequential
// inference (mixture SPRT / normal-mixture confidence sequence), group-sequential designs
// with Lan-DeMets alpha spending, power and sample-size planning for each, multiple
// comparisons (Holm, Benjamini-Hochberg) and the sample-ratio-mismatch check.
//
// References: Johari, Koomen, Pekelis and Walsh (2017), "Peeking at A/B tests"; Howard,
// Ramdas, McAuliffe and Sekhon (2021), "Time-uniform, nonparametric, nonasymptotic
// confidence sequences" (normal mixture boundary); Lan and DeMets (1983), "Discrete
// sequential boundaries for clinical trials"; Armitage, McPherson and Rowe (1969) and
// Jennison and Turnbull (2000), ch. 19 (the recursive numerical integration); Holm
// (1979); Benjamini and Hochberg (1995).
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/tools/roots.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>
#include <span>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/experiments/summary.hpp"

namespace trustmix::experiments {

namespace detail {
[[nodiscard]] inline double norm_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }
[[nodiscard]] inline double norm_sf(double z) { return 0.5 * std::erfc(z / std::numbers::sqrt2); }
[[nodiscard]] inline double norm_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi); }
[[nodiscard]] inline double norm_quantile(double p) {
  return boost::math::quantile(boost::math::normal_distribution<double>(), p);
}
inline bool root_tol(double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(a) + std::abs(b)); }
}  // namespace detail

// ---------------------------------------------------------------------------------------
// Fixed horizon
// ---------------------------------------------------------------------------------------

/// A two-sided test of arm against control at one pre-planned look.
struct FixedTest {
  double estimate = 0.0;   ///< lift: m_a - m_c (absolute) or m_a / m_c - 1 (relative)
  double std_error = 0.0;  ///< delta-method standard error of the lift
  double statistic = 0.0;  ///< estimate / std_error
  double df = std::numeric_limits<double>::infinity();  ///< Welch df (inf: normal reference)
  double p_value = 1.0;    ///< two-sided
  double ci_lower = 0.0;
  double ci_upper = 0.0;
};

/// Welch-Satterthwaite degrees of freedom of m_a - m_c from the variances of the means.
[[nodiscard]] inline double welch_df(const ArmEstimate& c, const ArmEstimate& a) {
  const double num = (c.variance + a.variance) * (c.variance + a.variance);
  const double den = c.variance * c.variance / std::max(c.n - 1.0, 1.0) + a.variance * a.variance / std::max(a.n - 1.0, 1.0);
  return den > 0.0 ? num / den : std::numeric_limits<double>::infinity();
}

/// Fixed-horizon two-sided test. Absolute: D = m_a - m_c, Var = v_a + v_c; relative: D =
/// m_a / m_c - 1, Var = v_a / m_c^2 + m_a^2 v_c / m_c^4 (delta method). Reference
/// distribution: Student t with `df` (Welch; pass infinity for the normal z-test used for
/// binomial, count and ratio metrics). Interval at `level`.
[[nodiscard]] inline FixedTest fixed_test(const ArmEstimate& control, const ArmEstimate& arm, bool relative,
                                          double level = 0.95, double df = std::numeric_limits<double>::infinity()) {
  trustmix::detail::require_in_range(level, "level", 0.0, 1.0, true, true);
  FixedTest t;
  double v = control.variance + arm.variance;
  t.estimate = arm.mean - control.mean;
  if (relative) {
    if (control.mean == 0.0) fail("relative lift: the control mean is 0");
    const double m2 = control.mean * control.mean;
    t.estimate = arm.mean / control.mean - 1.0;
    v = arm.variance / m2 + arm.mean * arm.mean * control.variance / (m2 * m2);
  }
  if (!(v > 0.0)) fail("fixed test: the lift has zero variance (every user has the same value)");
  t.std_error = std::sqrt(v);
  t.statistic = t.estimate / t.std_error;
  t.df = df;
  double q = 0.0;
  if (std::isfinite(df)) {
    const boost::math::students_t_distribution<double> dist(df);
    t.p_value = 2.0 * boost::math::cdf(boost::math::complement(dist, std::abs(t.statistic)));
    q = boost::math::quantile(boost::math::complement(dist, 0.5 * (1.0 - level)));
  } else {
    t.p_value = 2.0 * detail::norm_sf(std::abs(t.statistic));
    q = detail::norm_quantile(0.5 * (1.0 + level));
  }
  t.ci_lower = t.estimate - q * t.std_error;
  t.ci_upper = t.estimate + q * t.std_error;
  return t;
}

/// Users per arm for a two-sided fixed-horizon z-test of an absolute lift `effect` with
/// per-user standard deviations sd_control, sd_arm, size alpha, power 1 - beta, equal
/// allocation: n = (z_{1-alpha/2} + z_{1-beta})^2 (sd_c^2 + sd_a^2) / effect^2.
[[nodiscard]] inline double fixed_sample_size(double effect, double sd_control, double sd_arm, double alpha = 0.05,
                                              double power = 0.8) {
  trustmix::detail::require_in_range(alpha, "alpha", 0.0, 1.0, true, true);
  trustmix::detail::require_in_range(power, "power", 0.0, 1.0, true, true);
  if (!(std::abs(effect) > 0.0) || !std::isfinite(effect)) fail("effect must be a finite non-zero lift, got ", effect);
  trustmix::detail::require_positive(sd_control, "sd_control");
  trustmix::detail::require_positive(sd_arm, "sd_arm");
  const double z = detail::norm_quantile(1.0 - 0.5 * alpha) + detail::norm_quantile(power);
  return z * z * (sd_control * sd_control + sd_arm * sd_arm) / (effect * effect);
}

/// Power of the fixed two-sided z-test with n users per arm (both tails counted).
[[nodiscard]] inline double fixed_power(double effect, double sd_control, double sd_arm, double n, double alpha = 0.05) {
  trustmix::detail::require_positive(n, "n");
  const double se = std::sqrt((sd_control * sd_control + sd_arm * sd_arm) / n);
  const double z = detail::norm_quantile(1.0 - 0.5 * alpha);
  return detail::norm_sf(z - effect / se) + detail::norm_cdf(-z - effect / se);
}

// ---------------------------------------------------------------------------------------
// Always valid: mixture SPRT with a normal mixing distribution N(0, tau^2) on the lift
// ---------------------------------------------------------------------------------------

/// State of the always-valid test at one look. With lift estimate D and its variance V,
/// the mixture likelihood ratio against "lift = 0" is
///   Lambda = sqrt(V / (V + tau^2)) exp(D^2 tau^2 / (2 V (V + tau^2)));
/// p = min over looks so far of min(1, 1 / Lambda) is valid at any stopping time (Ville's
/// inequality), and the confidence sequence
///   D +- sqrt(V (V + tau^2) / tau^2 (2 log(1 / alpha) + log((V + tau^2) / V)))
/// covers the true lift at every look simultaneously with probability >= 1 - alpha.
/// Exact for Gaussian estimates; for means of users it holds as the CLT holds.
struct SequentialLook {
  double estimate = 0.0;
  double variance = 0.0;
  double likelihood_ratio = 1.0;
  double p_value = 1.0;    ///< running (minimum so far)
  double ci_lower = -std::numeric_limits<double>::infinity();  ///< running intersection
  double ci_upper = std::numeric_limits<double>::infinity();
  bool reject = false;     ///< p_value <= alpha at this look or before
};

/// Half-width of the normal-mixture confidence sequence at variance V.
[[nodiscard]] inline double mixture_half_width(double variance, double tau, double alpha) {
  const double t2 = tau * tau;
  return std::sqrt(variance * (variance + t2) / t2 * (2.0 * std::log(1.0 / alpha) + std::log((variance + t2) / variance)));
}

/// The always-valid path over looks: estimates[k], variances[k] at look k (the variances
/// must decrease as data accrue; they are not checked for that). `tau` is the mixing sd
/// in the lift's units (the size of effect the test is most sensitive to).
[[nodiscard]] inline std::vector<SequentialLook> always_valid_path(std::span<const double> estimates,
                                                                   std::span<const double> variances, double tau,
                                                                   double alpha = 0.05) {
  if (estimates.size() != variances.size())
    fail("estimates (", estimates.size(), ") and variances (", variances.size(), ") differ in length");
  trustmix::detail::require_positive(tau, "tau (mixture sd)");
  trustmix::detail::require_in_range(alpha, "alpha", 0.0, 1.0, true, true);
  std::vector<SequentialLook> out(estimates.size());
  double p = 1.0;
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  const double t2 = tau * tau;
  for (std::size_t k = 0; k < estimates.size(); ++k) {
    const double d = estimates[k];
    const double v = variances[k];
    if (!std::isfinite(d)) fail("look ", k, ": estimate must be finite, got ", d);
    if (!(v > 0.0) || !std::isfinite(v)) fail("look ", k, ": variance must be > 0, got ", v);
    const double log_lr = 0.5 * std::log(v / (v + t2)) + d * d * t2 / (2.0 * v * (v + t2));
    p = std::min(p, std::min(1.0, std::exp(-log_lr)));
    const double h = mixture_half_width(v, tau, alpha);
    lo = std::max(lo, d - h);
    hi = std::min(hi, d + h);
    out[k] = {d, v, std::exp(log_lr), p, lo, hi, p <= alpha};
  }
  return out;
}

/// Users per arm at which the always-valid test rejects with probability at least
/// `power` when the absolute lift is `effect`: the smallest n with
///   P(|D_n| > half_width(V_n)) >= power,   V_n = (sd_c^2 + sd_a^2) / n.
/// This counts only the crossing at n itself, so the true probability of having rejected
/// by n is higher: the answer is an upper bound (conservative) on the needed n.
[[nodiscard]] inline double always_valid_sample_size(double effect, double sd_control, double sd_arm, double tau,
                                                     double alpha = 0.05, double power = 0.8) {
  trustmix::detail::require_in_range(power, "power", 0.0, 1.0, true, true);
  trustmix::detail::require_positive(tau, "tau");
  const double n_fixed = fixed_sample_size(effect, sd_control, sd_arm, alpha, power);
  const double s2 = sd_control * sd_control + sd_arm * sd_arm;
  auto h = [&](double log_n) {
    const double n = std::exp(log_n);
    const double v = s2 / n;
    const double b = mixture_half_width(v, tau, alpha);
    const double se = std::sqrt(v);
    return detail::norm_sf((b - std::abs(effect)) / se) + detail::norm_cdf((-b - std::abs(effect)) / se) - power;
  };
  double lo = std::log(n_fixed);
  double hi = lo + 1.0;
  for (int i = 0; i < 60 && h(hi) < 0.0; ++i) hi += 1.0;
  for (int i = 0; i < 60 && h(lo) > 0.0; ++i) lo -= 1.0;
  std::uintmax_t it = 200;
  const auto r = boost::math::tools::toms748_solve(h, lo, hi, detail::root_tol, it);
  return std::exp(0.5 * (r.first + r.second));
}

// ---------------------------------------------------------------------------------------
// Group sequential (Lan-DeMets alpha spending), two-sided symmetric boundaries
// ---------------------------------------------------------------------------------------

/// Alpha-spending function families (Lan and DeMets 1983), for one tail with its share a
/// of the error (a = alpha / 2 for a two-sided test of size alpha, as in ldbounds and
/// gsDesign):
///  obrien_fleming: a(t) = 2 - 2 Phi(z_{1-a/2} / sqrt(t));
///  pocock:         a(t) = a log(1 + (e - 1) t).
enum class Spending { obrien_fleming, pocock };

/// Cumulative error spent in one tail at information fraction t in [0, 1], for a tail
/// share `alpha_tail` (alpha / 2 for a two-sided test).
[[nodiscard]] inline double alpha_spent(double t, double alpha_tail, Spending spending) {
  if (t <= 0.0) return 0.0;
  if (t >= 1.0) return alpha_tail;
  switch (spending) {
    case Spending::obrien_fleming:
      return 2.0 - 2.0 * detail::norm_cdf(detail::norm_quantile(1.0 - 0.5 * alpha_tail) / std::sqrt(t));
    case Spending::pocock:
      return alpha_tail * std::log(1.0 + (std::numbers::e - 1.0) * t);
  }
  return alpha_tail;
}

namespace detail {

/// Continuation density of W(t) = sum of the data's Z-increments (Brownian motion with
/// drift theta per unit of information fraction) on a grid, and the step to the next look.
struct GsGrid {
  std::vector<double> w;       // nodes
  std::vector<double> weight;  // Simpson weights times the density at the nodes
};

inline GsGrid gs_initial(double t, double theta, double bound_w, double step) {
  const double sd = std::sqrt(t);
  const double lo = std::max(-bound_w, theta * t - 12.0 * sd);
  const double hi = std::min(bound_w, theta * t + 12.0 * sd);
  GsGrid g;
  if (!(hi > lo)) return g;
  auto n = static_cast<std::size_t>(std::ceil((hi - lo) / step));
  n += n % 2;  // even number of intervals for Simpson
  n = std::max<std::size_t>(n, 2);
  const double h = (hi - lo) / static_cast<double>(n);
  g.w.resize(n + 1);
  g.weight.resize(n + 1);
  for (std::size_t i = 0; i <= n; ++i) {
    const double x = lo + h * static_cast<double>(i);
    const double s = (i == 0 || i == n) ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0);
    g.w[i] = x;
    g.weight[i] = s * h / 3.0 * norm_pdf((x - theta * t) / sd) / sd;
  }
  return g;
}

/// P(next look crosses +-bound_w | continuation so far), increment variance dt.
inline double gs_cross(const GsGrid& g, double bound_w, double dt, double theta) {
  const double sd = std::sqrt(dt);
  double p = 0.0;
  for (std::size_t i = 0; i < g.w.size(); ++i) {
    const double m = g.w[i] + theta * dt;
    p += g.weight[i] * (norm_sf((bound_w - m) / sd) + norm_cdf((-bound_w - m) / sd));
  }
  return p;
}

inline GsGrid gs_step(const GsGrid& g, double t_next, double dt, double theta, double bound_w, double step) {
  const double sd = std::sqrt(dt);
  const double lo = std::max(-bound_w, theta * t_next - 12.0 * std::sqrt(t_next));
  const double hi = std::min(bound_w, theta * t_next + 12.0 * std::sqrt(t_next));
  GsGrid out;
  if (!(hi > lo) || g.w.empty()) return out;
  auto n = static_cast<std::size_t>(std::ceil((hi - lo) / step));
  n += n % 2;
  n = std::max<std::size_t>(n, 2);
  const double h = (hi - lo) / static_cast<double>(n);
  out.w.resize(n + 1);
  out.weight.resize(n + 1);
  for (std::size_t j = 0; j <= n; ++j) {
    const double x = lo + h * static_cast<double>(j);
    double dens = 0.0;
    for (std::size_t i = 0; i < g.w.size(); ++i) dens += g.weight[i] * norm_pdf((x - g.w[i] - theta * dt) / sd);
    const double s = (j == 0 || j == n) ? 1.0 : (j % 2 == 1 ? 4.0 : 2.0);
    out.w[j] = x;
    out.weight[j] = s * h / 3.0 * dens / sd;
  }
  return out;
}

inline void check_fractions(std::span<const double> t) {
  if (t.empty()) fail("information fractions: need at least one look");
  double prev = 0.0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (!(t[k] > prev) || !(t[k] <= 1.0))
      fail("information fraction ", k, " must be increasing in (0, 1], got ", t[k], " after ", prev);
    prev = t[k];
  }
}

/// Grid step for looks t: a sixth of the smallest sd of an increment, and at most 0.05.
inline double gs_step_size(std::span<const double> t) {
  double m = t[0];
  for (std::size_t k = 1; k < t.size(); ++k) m = std::min(m, t[k] - t[k - 1]);
  return std::min(0.05, std::sqrt(m) / 6.0);
}

}  // namespace detail

/// Per-look probability of stopping (crossing either boundary) for two-sided z
/// boundaries `bounds` at information fractions `t`, when Z_k has mean theta sqrt(t_k)
/// (theta = lift / se at full information; 0 under the null). By the recursive numerical
/// integration of Armitage, McPherson and Rowe (Simpson's rule on a grid whose step is a
/// sixth of the smallest increment sd; error below 1e-6).
[[nodiscard]] inline std::vector<double> gs_crossing(std::span<const double> t, std::span<const double> bounds,
                                                     double theta = 0.0) {
  detail::check_fractions(t);
  if (bounds.size() != t.size()) fail("bounds (", bounds.size(), ") and information fractions (", t.size(), ") differ");
  const double step = detail::gs_step_size(t);
  std::vector<double> out(t.size());
  const double b0 = bounds[0] * std::sqrt(t[0]);
  out[0] = detail::norm_sf(bounds[0] - theta * std::sqrt(t[0])) + detail::norm_cdf(-bounds[0] - theta * std::sqrt(t[0]));
  detail::GsGrid g = detail::gs_initial(t[0], theta, b0, step);
  for (std::size_t k = 1; k < t.size(); ++k) {
    const double dt = t[k] - t[k - 1];
    const double bw = bounds[k] * std::sqrt(t[k]);
    out[k] = detail::gs_cross(g, bw, dt, theta);
    if (k + 1 < t.size()) g = detail::gs_step(g, t[k], dt, theta, bw, step);
  }
  return out;
}

/// Two-sided Lan-DeMets boundaries (z scale) at information fractions t: at look k the
/// probability under the null of first crossing either boundary there equals
/// 2 (a(t_k) - a(t_{k-1})) with a the one-tail spending function at alpha / 2 (5 equal
/// looks, O'Brien-Fleming type, alpha 0.05: 4.877, 3.357, 2.680, 2.290, 2.031).
/// Each boundary is the root (TOMS 748) of that equation. A look that spends no alpha gets
/// an infinite boundary.
[[nodiscard]] inline std::vector<double> gs_boundaries(std::span<const double> t, double alpha = 0.05,
                                                       Spending spending = Spending::obrien_fleming) {
  detail::check_fractions(t);
  trustmix::detail::require_in_range(alpha, "alpha", 0.0, 1.0, true, true);
  const double step = detail::gs_step_size(t);
  std::vector<double> bounds(t.size());
  double spent_before = 0.0;
  detail::GsGrid g;
  for (std::size_t k = 0; k < t.size(); ++k) {
    const double spent = 2.0 * alpha_spent(t[k], 0.5 * alpha, spending);  // both tails
    const double target = spent - spent_before;
    spent_before = spent;
    if (!(target > 1e-300)) {
      bounds[k] = std::numeric_limits<double>::infinity();
    } else if (k == 0) {
      bounds[k] = detail::norm_quantile(1.0 - 0.5 * target);
    } else {
      const double dt = t[k] - t[k - 1];
      auto h = [&](double c) { return detail::gs_cross(g, c * std::sqrt(t[k]), dt, 0.0) - target; };
      double lo = 0.0;
      double hi = 40.0;
      if (h(lo) < 0.0) fail("alpha spending: look ", k, " cannot spend ", target, " (spending function not increasing fast enough)");
      std::uintmax_t it = 200;
      const auto r = boost::math::tools::toms748_solve(h, lo, hi, detail::root_tol, it);
      bounds[k] = 0.5 * (r.first + r.second);
    }
    const double bw = std::isfinite(bounds[k]) ? bounds[k] * std::sqrt(t[k]) : 1e300;
    if (k == 0)
      g = detail::gs_initial(t[0], 0.0, bw, step);
    else if (k + 1 < t.size())
      g = detail::gs_step(g, t[k], t[k] - t[k - 1], 0.0, bw, step);
  }
  return bounds;
}

/// Group-sequential design: boundaries, the drift needed for the power, and the
/// inflation of the maximum sample size over the fixed design,
///   R = (theta_gs / (z_{1-alpha/2} + z_{1-beta}))^2,
/// so that the maximum users per arm are R times fixed_sample_size(); the expected users
/// under the alternative and the null are sum_k t_k P(stop at k) times the maximum.
struct GsDesign {
  std::vector<double> fractions;
  std::vector<double> bounds;
  double drift = 0.0;
  double inflation = 1.0;
  double expected_fraction_alternative = 1.0;
  double expected_fraction_null = 1.0;
};

[[nodiscard]] inline GsDesign gs_design(std::span<const double> t, double alpha = 0.05, double power = 0.8,
                                        Spending spending = Spending::obrien_fleming) {
  trustmix::detail::require_in_range(power, "power", 0.0, 1.0, true, true);
  GsDesign d;
  d.fractions.assign(t.begin(), t.end());
  d.bounds = gs_boundaries(t, alpha, spending);
  auto h = [&](double theta) {
    const auto p = gs_crossing(t, d.bounds, theta);
    return std::accumulate(p.begin(), p.end(), 0.0) - power;
  };
  const double fixed = detail::norm_quantile(1.0 - 0.5 * alpha) + detail::norm_quantile(power);
  double lo = 0.5 * fixed;
  double hi = 2.0 * fixed;
  std::uintmax_t it = 100;
  const auto r = boost::math::tools::toms748_solve(h, lo, hi, [](double a, double b) { return std::abs(a - b) < 1e-9; }, it);
  d.drift = 0.5 * (r.first + r.second);
  d.inflation = (d.drift / fixed) * (d.drift / fixed);
  auto expected = [&](double theta) {
    const auto p = gs_crossing(t, d.bounds, theta);
    double e = 0.0;
    double stopped = 0.0;
    for (std::size_t k = 0; k < t.size(); ++k) {
      e += t[k] * p[k];
      stopped += p[k];
    }
    return e + t.back() * (1.0 - stopped);
  };
  d.expected_fraction_alternative = expected(d.drift);
  d.expected_fraction_null = expected(0.0);
  return d;
}

// ---------------------------------------------------------------------------------------
// Multiple comparisons and sample-ratio mismatch
// ---------------------------------------------------------------------------------------

namespace detail {
/// Indices of the p-values in ascending order (ties keep their order); each p checked.
inline std::vector<std::size_t> ascending_p_values(std::span<const double> p) {
  std::vector<std::size_t> order(p.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!(p[i] >= 0.0 && p[i] <= 1.0)) fail("p-value ", i, " must be in [0, 1], got ", p[i]);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  return order;
}
}  // namespace detail

/// Holm (1979) step-down adjusted p-values: sort ascending, p_(i) * (m - i + 1), running
/// maximum, capped at 1, returned in the input order.
[[nodiscard]] inline std::vector<double> holm(std::span<const double> p) {
  const std::size_t m = p.size();
  const std::vector<std::size_t> order = detail::ascending_p_values(p);
  std::vector<double> out(m);
  double running = 0.0;
  for (std::size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, p[order[i]] * static_cast<double>(m - i)));
    out[order[i]] = running;
  }
  return out;
}

/// Benjamini-Hochberg (1995) adjusted p-values (false discovery rate): sort ascending,
/// p_(i) m / i, running minimum from the largest, capped at 1, in the input order.
[[nodiscard]] inline std::vector<double> benjamini_hochberg(std::span<const double> p) {
  const std::size_t m = p.size();
  const std::vector<std::size_t> order = detail::ascending_p_values(p);
  std::vector<double> out(m);
  double running = 1.0;
  for (std::size_t i = m; i-- > 0;) {
    running = std::min(running, p[order[i]] * static_cast<double>(m) / static_cast<double>(i + 1));
    out[order[i]] = std::min(1.0, running);
  }
  return out;
}

/// Sample-ratio mismatch: Pearson chi-square of the users per arm against the planned
/// allocation weights (normalised), df = K - 1. Returns {statistic, p-value}.
[[nodiscard]] inline std::pair<double, double> sample_ratio_test(std::span<const double> users,
                                                                 std::span<const double> weights) {
  if (users.size() < 2) fail("sample ratio test: need at least 2 arms");
  if (weights.size() != users.size()) fail("weights (", weights.size(), ") and users (", users.size(), ") differ");
  double total = 0.0;
  double wsum = 0.0;
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (!(users[i] >= 0.0) || !std::isfinite(users[i])) fail("users of arm ", i, " must be >= 0, got ", users[i]);
    if (!(weights[i] > 0.0) || !std::isfinite(weights[i])) fail("weight of arm ", i, " must be > 0, got ", weights[i]);
    total += users[i];
    wsum += weights[i];
  }
  if (!(total > 0.0)) fail("sample ratio test: no users");
  double chi2 = 0.0;
  for (std::size_t i = 0; i < users.size(); ++i) {
    const double e = total * weights[i] / wsum;
    chi2 += (users[i] - e) * (users[i] - e) / e;
  }
  const boost::math::chi_squared_distribution<double> dist(static_cast<double>(users.size() - 1));
  return {chi2, boost::math::cdf(boost::math::complement(dist, chi2))};
}

}  // namespace trustmix::experiments
