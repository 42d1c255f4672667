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

/// Trimmed mean of one arm's values (a robust option for heavy-tailed revenue): with
/// g = floor(trim n) values cut from each tail and h = n - 2g kept,
///   mean_t = (1/h) sum_{i=g+1}^{n-g} y_(i),   Var(mean_t) = (n - 1) s_w^2 / (h (h - 1)),
/// s_w^2 the sample variance of the values winsorised at y_(g+1) and y_(n-g) (Yuen 1974,
/// "The two-sample trimmed t for unequal population variances"). trim in [0, 0.5); at 0
/// it is the mean and its usual variance. The estimand is the population's trimmed mean
/// (for skewed revenue, below the mean): it answers "which arm is better for the typical
/// user", with valid error rates when the arms' distributions are equal.
struct TrimmedMean {
  double n = 0.0;
  double kept = 0.0;       ///< h
  double mean = 0.0;
  double variance = 0.0;   ///< of the trimmed mean
};

[[nodiscard]] inline TrimmedMean trimmed_mean(std::span<const double> y, double trim) {
  if (!(trim >= 0.0 && trim < 0.5)) fail("trim must be in [0, 0.5) (share cut from each tail), got ", trim);
  for (std::size_t i = 0; i < y.size(); ++i)
    if (!std::isfinite(y[i])) fail("trimmed mean: value ", i, " is not finite (", y[i], ")");
  std::vector<double> v(y.begin(), y.end());
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  const auto g = static_cast<std::size_t>(std::floor(trim * static_cast<double>(n)));
  const std::size_t h = n - 2 * g;
  if (h < 2) fail("trimmed mean: ", h, " values left after trimming ", g, " from each tail of ", n, "; need at least 2");
  double sum = 0.0;
  for (std::size_t i = g; i < n - g; ++i) sum += v[i];
  const double lo = v[g], hi = v[n - g - 1];
  double ws = 0.0, ws2 = 0.0;
  for (double x : v) {
    const double w = std::clamp(x, lo, hi);
    ws += w;
    ws2 += w * w;
  }
  const double nd = static_cast<double>(n), hd = static_cast<double>(h);
  const double sw2 = std::max(0.0, (ws2 - ws * ws / nd) / (nd - 1.0));
  return {nd, hd, sum / hd, (nd - 1.0) * sw2 / (hd * (hd - 1.0))};
}

/// Yuen-Welch test of trimmed means, arm against control: the lift of trimmed means with
/// Var = d_c + d_a (absolute; relative by the delta method as in fixed_test) and Student t
/// reference with df = (d_c + d_a)^2 / (d_c^2 / (h_c - 1) + d_a^2 / (h_a - 1)).
[[nodiscard]] inline FixedTest yuen_test(std::span<const double> control, std::span<const double> arm, double trim,
                                         bool relative, double level = 0.95) {
  const TrimmedMean c = trimmed_mean(control, trim);
  const TrimmedMean a = trimmed_mean(arm, trim);
  const double dc = c.variance, da = a.variance;
  const double den = dc * dc / (c.kept - 1.0) + da * da / (a.kept - 1.0);
  const double df = den > 0.0 ? (dc + da) * (dc + da) / den : std::numeric_limits<double>::infinity();
  return fixed_test({c.n, c.mean, dc, dc * c.n}, {a.n, a.mean, da, da * a.n}, relative, level, df);
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
    p = std::min({p, 1.0, std::exp(-log_lr)});
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
    case Spending::pocock: return alpha_tail * std::log(1.0 + (std::numbers::e - 1.0) * t);
  }
  return alpha_tail;
}

namespace detail {

/// Continuation density of W(t) = sum of the data's Z-increments (Brownian motion with
/// drift theta per unit of information fraction), restricted to the continuation region
/// [lo, hi] of a look, as quadrature nodes and weights (quadrature weight x density).
/// Nodes are the points j h of one fixed lattice (the same h at every look) inside the
/// region, plus the two region ends lo and hi. Because every look's lattice nodes are
/// on the same lattice, the density at the next look's lattice nodes is a discrete
/// convolution of the weights with the Gaussian transition kernel phi((d h - theta dt) /
/// sqrt(dt)) / sqrt(dt), d = j - i: one fixed kernel per look, truncated at 9 sd (its
/// mass beyond is below 1e-18); only the two ends need sums over all nodes.
/// Quadrature: composite Simpson on the lattice nodes (3/8 rule on the last three
/// intervals when their number is odd), and on each end piece [lo, x_a], [x_b, hi] (of
/// length in [0.1 h, 1.1 h)) the exact integral of the cubic through the end and its
/// three nearest lattice nodes: O(h^4) like Simpson's rule on the whole region.
struct GsGrid {
  double h = 0.0;                  // lattice step
  std::int64_t first = 0;          // lattice index of the first interior node
  std::vector<double> inner;       // weights at lattice nodes first, first + 1, ...
  double lo = 0.0, hi = 0.0;       // region ends
  double w_lo = 0.0, w_hi = 0.0;   // weights at the ends
  bool empty = true;
};

/// Quadrature weights for the region [lo, hi] on the lattice j h: sets g.first, the
/// per-node quadrature weights in `q` (to be multiplied by the density) and the end
/// weights q_lo, q_hi; the caller multiplies by the density values.
inline void gs_layout(GsGrid& g, double lo, double hi, std::vector<double>& q, double& q_lo, double& q_hi) {
  const double h = g.h;
  const auto a = static_cast<std::int64_t>(std::ceil((lo + 0.1 * h) / h));
  const auto b = static_cast<std::int64_t>(std::floor((hi - 0.1 * h) / h));
  if (b - a < 4)
    fail("group-sequential integration: the continuation region [", lo, ", ", hi, "] spans fewer than 4 grid steps of ", h,
         " (a boundary below about 0.3 at an early look); use fewer looks or a spending function that spends less early");
  g.first = a;
  g.lo = lo;
  g.hi = hi;
  const auto n = static_cast<std::size_t>(b - a + 1);
  q.assign(n, 0.0);
  const std::size_t intervals = n - 1;
  const std::size_t simpson = intervals % 2 == 0 ? intervals : intervals - 3;
  for (std::size_t i = 0; i + 2 <= simpson; i += 2) {
    q[i] += h / 3.0;
    q[i + 1] += 4.0 * h / 3.0;
    q[i + 2] += h / 3.0;
  }
  if (simpson != intervals) {  // 3/8 rule on the last three intervals
    const std::size_t i = simpson;
    q[i] += 3.0 * h / 8.0;
    q[i + 1] += 9.0 * h / 8.0;
    q[i + 2] += 9.0 * h / 8.0;
    q[i + 3] += 3.0 * h / 8.0;
  }
  // End pieces: the cubic through the end and its three nearest lattice nodes, integrated
  // exactly (2-point Gauss-Legendre is exact for cubics) over [end, nearest node].
  auto piece = [](const double (&z)[4], double (&w)[4]) {
    const double mid = 0.5 * (z[0] + z[1]), half = 0.5 * (z[1] - z[0]);
    const double off = std::abs(half) / std::numbers::sqrt3;
    for (int k = 0; k < 4; ++k) {
      w[k] = 0.0;
      for (double x : {mid - off, mid + off}) {
        double l = 1.0;
        for (int j = 0; j < 4; ++j)
          if (j != k) l *= (x - z[j]) / (z[k] - z[j]);
        w[k] += half * l;
      }
    }
  };
  const double xa = static_cast<double>(a) * h, xb = static_cast<double>(b) * h;
  double w[4];
  piece({lo, xa, xa + h, xa + 2.0 * h}, w);  // signed length: lo < xa
  q_lo = w[0];
  for (int k = 1; k < 4; ++k) q[static_cast<std::size_t>(k - 1)] += w[k];
  piece({hi, xb, xb - h, xb - 2.0 * h}, w);  // integrates over [hi, xb]: flip the sign
  q_hi = -w[0];
  for (int k = 1; k < 4; ++k) q[n - static_cast<std::size_t>(k)] -= w[k];
}

/// Continuation region of a look: W within the boundary and within 12 sd of its mean.
inline bool gs_region(double t, double theta, double bound_w, double& lo, double& hi) {
  lo = std::max(-bound_w, theta * t - 12.0 * std::sqrt(t));
  hi = std::min(bound_w, theta * t + 12.0 * std::sqrt(t));
  return hi > lo;
}

inline GsGrid gs_initial(double t, double theta, double bound_w, double step) {
  GsGrid g;
  g.h = step;
  double lo = 0.0, hi = 0.0;
  if (!gs_region(t, theta, bound_w, lo, hi)) return g;
  std::vector<double> q;
  double q_lo = 0.0, q_hi = 0.0;
  gs_layout(g, lo, hi, q, q_lo, q_hi);
  const double sd = std::sqrt(t);
  auto dens = [&](double x) { return norm_pdf((x - theta * t) / sd) / sd; };
  g.inner.resize(q.size());
  for (std::size_t i = 0; i < q.size(); ++i)
    g.inner[i] = q[i] * dens(static_cast<double>(g.first + static_cast<std::int64_t>(i)) * g.h);
  g.w_lo = q_lo * dens(lo);
  g.w_hi = q_hi * dens(hi);
  g.empty = false;
  return g;
}

/// P(next look crosses +-bound_w | continuation so far), increment variance dt. Nodes
/// more than 9 sd inside both boundaries contribute below 1e-19 each and are skipped.
inline double gs_cross(const GsGrid& g, double bound_w, double dt, double theta) {
  if (g.empty) return 0.0;
  const double sd = std::sqrt(dt);
  const double reach = 9.0 * sd;
  auto term = [&](double y) {
    const double m = y + theta * dt;
    double p = 0.0;
    if (bound_w - m < reach) p += norm_sf((bound_w - m) / sd);
    if (m + bound_w < reach) p += norm_cdf((-bound_w - m) / sd);
    return p;
  };
  double p = g.w_lo * term(g.lo) + g.w_hi * term(g.hi);
  for (std::size_t i = 0; i < g.inner.size(); ++i) {
    const double y = static_cast<double>(g.first + static_cast<std::int64_t>(i)) * g.h;
    const double m = y + theta * dt;
    if (bound_w - m >= reach && m + bound_w >= reach) continue;
    p += g.inner[i] * term(y);
  }
  return p;
}

inline GsGrid gs_step(const GsGrid& g, double t_next, double dt, double theta, double bound_w, double /*step*/) {
  GsGrid out;
  out.h = g.h;
  double lo = 0.0, hi = 0.0;
  if (g.empty || !gs_region(t_next, theta, bound_w, lo, hi)) return out;
  std::vector<double> q;
  double q_lo = 0.0, q_hi = 0.0;
  gs_layout(out, lo, hi, q, q_lo, q_hi);
  const double sd = std::sqrt(dt), h = g.h, shift = theta * dt;
  // Toeplitz kernel K[d] for d = j - i in [-L, L].
  const auto L = static_cast<std::int64_t>(std::ceil((9.0 * sd + std::abs(shift)) / h));
  std::vector<double> kernel(static_cast<std::size_t>(2 * L + 1));
  for (std::int64_t d = -L; d <= L; ++d)
    kernel[static_cast<std::size_t>(d + L)] = norm_pdf((static_cast<double>(d) * h - shift) / sd) / sd;
  auto from_ends = [&](double x) {
    return g.w_lo * norm_pdf((x - g.lo - shift) / sd) / sd + g.w_hi * norm_pdf((x - g.hi - shift) / sd) / sd;
  };
  const auto n_old = static_cast<std::int64_t>(g.inner.size());
  out.inner.resize(q.size());
  for (std::size_t jj = 0; jj < q.size(); ++jj) {
    const std::int64_t j = out.first + static_cast<std::int64_t>(jj);
    // Old nodes i = g.first + k with |j - i| <= L.
    const std::int64_t k_lo = std::max<std::int64_t>(0, j - L - g.first);
    const std::int64_t k_hi = std::min<std::int64_t>(n_old - 1, j + L - g.first);
    double dens = 0.0;
    for (std::int64_t k = k_lo; k <= k_hi; ++k)
      dens += g.inner[static_cast<std::size_t>(k)] * kernel[static_cast<std::size_t>(j - g.first - k + L)];
    dens += from_ends(static_cast<double>(j) * h);
    out.inner[jj] = q[jj] * dens;
  }
  auto direct = [&](double x) {
    double dens = from_ends(x);
    for (std::int64_t k = 0; k < n_old; ++k) {
      const double y = static_cast<double>(g.first + k) * h;
      const double z = (x - y - shift) / sd;
      if (std::abs(z) < 9.0) dens += g.inner[static_cast<std::size_t>(k)] * norm_pdf(z) / sd;
    }
    return dens;
  };
  out.w_lo = q_lo * direct(lo);
  out.w_hi = q_hi * direct(hi);
  out.empty = false;
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

/// Lattice step for looks t: an eighth of the smallest sd of an increment, and at most
/// 0.04; `grid_step` > 0 overrides it (for accuracy checks).
inline double gs_step_size(std::span<const double> t, double grid_step = 0.0) {
  if (grid_step > 0.0) return grid_step;
  double m = t[0];
  for (std::size_t k = 1; k < t.size(); ++k) m = std::min(m, t[k] - t[k - 1]);
  return std::min(0.04, std::sqrt(m) / 8.0);
}

}  // namespace detail

/// Per-look probability of stopping (crossing either boundary) for two-sided z
/// boundaries `bounds` at information fractions `t`, when Z_k has mean theta sqrt(t_k)
/// (theta = lift / se at full information; 0 under the null). By the recursive numerical
/// integration of Armitage, McPherson and Rowe on a fixed lattice (step an eighth of the
/// smallest increment sd, or `grid_step`) with the transition as a discrete convolution
/// (detail::GsGrid): O(looks x nodes x kernel) instead of O(looks x nodes^2); error
/// about 1e-6 or below (checked against a lattice of half the step).
[[nodiscard]] inline std::vector<double> gs_crossing(std::span<const double> t, std::span<const double> bounds,
                                                     double theta = 0.0, double grid_step = 0.0) {
  detail::check_fractions(t);
  if (bounds.size() != t.size()) fail("bounds (", bounds.size(), ") and information fractions (", t.size(), ") differ");
  const double step = detail::gs_step_size(t, grid_step);
  std::vector<double> out(t.size());
  const double b0 = std::isfinite(bounds[0]) ? bounds[0] * std::sqrt(t[0]) : 1e300;
  out[0] = detail::norm_sf(bounds[0] - theta * std::sqrt(t[0])) + detail::norm_cdf(-bounds[0] - theta * std::sqrt(t[0]));
  detail::GsGrid g = detail::gs_initial(t[0], theta, b0, step);
  for (std::size_t k = 1; k < t.size(); ++k) {
    const double dt = t[k] - t[k - 1];
    const double bw = std::isfinite(bounds[k]) ? bounds[k] * std::sqrt(t[k]) : 1e300;
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
/// an infinite boundary. 1,000 looks take well under a second (detail::GsGrid).
[[nodiscard]] inline std::vector<double> gs_boundaries(std::span<const double> t, double alpha = 0.05,
                                                       Spending spending = Spending::obrien_fleming,
                                                       double grid_step = 0.0) {
  detail::check_fractions(t);
  trustmix::detail::require_in_range(alpha, "alpha", 0.0, 1.0, true, true);
  const double step = detail::gs_step_size(t, grid_step);
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
      if (h(lo) < 0.0)
        fail("alpha spending: look ", k, " cannot spend ", target, " (spending function not increasing fast enough)");
      std::uintmax_t it = 200;
      const auto r = boost::math::tools::toms748_solve(h, lo, hi, detail::root_tol, it);
      bounds[k] = 0.5 * (r.first + r.second);
    }
    const double bw = std::isfinite(bounds[k]) ? bounds[k] * std::sqrt(t[k]) : 1e300;
    if (k == 0) g = detail::gs_initial(t[0], 0.0, bw, step);
    else if (k + 1 < t.size()) g = detail::gs_step(g, t[k], t[k] - t[k - 1], 0.0, bw, step);
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
