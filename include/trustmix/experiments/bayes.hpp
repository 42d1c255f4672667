#pragma once
// Bayesian analysis of an A/B/n test with conjugate posteriors, computed exactly by
// numerical quadrature (no Monte Carlo):
//
//   P(arm i is best)        = int f_i(x) prod_{j != i} F_j(x) dx
//   P(arm i beats control)  = int f_c(x) (1 - F_i(x)) dx
//   E[max_j theta_j]        = sum_i int x f_i(x) prod_{j != i} F_j(x) dx
//   expected loss of i      = E[max_j theta_j] - E[theta_i]          (over all arms)
//   loss of i vs control    = E[max(theta_c - theta_i, 0)]
//   P(theta_i - theta_c <= d) = int f_c(x) F_i(x + d) dx
//   P(theta_i / theta_c - 1 <= r) = int_{x>0} f_c(x) F_i((1+r)x) dx
//                                 + int_{x<0} f_c(x) (1 - F_i((1+r)x)) dx
//
// with f, F the posterior densities and distribution functions (Boost.Math). All
// integrals share one set of Gauss-Kronrod (15-point) panels whose breakpoints are each
// arm's posterior quantiles; the embedded 7-point Gauss rule estimates the error and
// panels are bisected until every integral is within `tolerance` (absolute). The range is
// truncated at each posterior's 1e-15 and 1 - 1e-15 quantiles (error <= 2e-15 per arm).
//
// Also the Gaussian "effect" model that GrowthBook's engine (gbstats) uses: a normal
// posterior on the absolute or relative lift from the delta method, flat or normal prior.
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/policies/policy.hpp>
#include <boost/math/quadrature/gauss.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/tools/roots.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <queue>
#include <span>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/experiments/summary.hpp"

namespace trustmix::experiments {

namespace detail {
/// Double precision throughout (Boost's default promotes to long double: slower, and the
/// quadrature tolerance is far above double rounding anyway).
using fast_policy =
    boost::math::policies::policy<boost::math::policies::promote_double<false>, boost::math::policies::promote_float<false>>;
inline constexpr double tail_mass = 1e-15;
}  // namespace detail

/// Posterior family of one arm's mean.
enum class Family { beta, gamma, student_t, normal };

/// Posterior of one arm's mean theta.
///  beta: Beta(a, b) on [0, 1]; gamma: Gamma(shape a, rate b) on [0, inf);
///  student_t: loc + scale * T_df with df = a; normal: Normal(loc, scale).
struct Posterior {
  Family family = Family::normal;
  double a = 1.0;
  double b = 1.0;
  double loc = 0.0;
  double scale = 1.0;
  /// Cached log normalising constant of the density (NaN: not cached; see prepared()).
  double log_norm = std::numeric_limits<double>::quiet_NaN();

  /// A copy with the density's log normalising constant cached (-log B(a, b) for beta,
  /// a log b - log Gamma(a) for gamma, log Gamma((df+1)/2) - log Gamma(df/2) -
  /// log(df pi)/2 for t), so pdf() costs one exp and two logs.
  [[nodiscard]] Posterior prepared() const {
    Posterior p = *this;
    switch (family) {
      case Family::beta: p.log_norm = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b); break;
      case Family::gamma: p.log_norm = a * std::log(b) - std::lgamma(a); break;
      case Family::student_t: p.log_norm = log_t_norm(); break;
      case Family::normal: break;
    }
    return p;
  }

  /// Posterior density at x.
  [[nodiscard]] double pdf(double x) const {
    using namespace boost::math;
    switch (family) {
      case Family::beta:
        if (x <= 0.0 || x >= 1.0) return 0.0;
        if (std::isnan(log_norm)) return ibeta_derivative(a, b, x, detail::fast_policy());
        return std::exp(log_norm + (a - 1.0) * std::log(x) + (b - 1.0) * std::log1p(-x));
      case Family::gamma:
        if (x <= 0.0) return 0.0;
        if (std::isnan(log_norm)) return b * gamma_p_derivative(a, b * x, detail::fast_policy());
        return std::exp(log_norm + (a - 1.0) * std::log(x) - b * x);
      case Family::student_t: {
        const double z = (x - loc) / scale;
        const double c = std::isnan(log_norm) ? log_t_norm() : log_norm;
        return std::exp(c - 0.5 * (a + 1.0) * std::log1p(z * z / a)) / scale;
      }
      case Family::normal: {
        const double z = (x - loc) / scale;
        return std::exp(-0.5 * z * z) / (scale * std::sqrt(2.0 * std::numbers::pi));
      }
    }
    return 0.0;
  }
  /// Posterior distribution function P(theta <= x).
  [[nodiscard]] double cdf(double x) const {
    using namespace boost::math;
    switch (family) {
      case Family::beta:
        if (x <= 0.0) return 0.0;
        if (x >= 1.0) return 1.0;
        return ibeta(a, b, x, detail::fast_policy());
      case Family::gamma:
        if (x <= 0.0) return 0.0;
        return gamma_p(a, b * x, detail::fast_policy());
      case Family::student_t:
        return boost::math::cdf(students_t_distribution<double, detail::fast_policy>(a), (x - loc) / scale);
      case Family::normal: return 0.5 * std::erfc(-(x - loc) / (scale * std::numbers::sqrt2));
    }
    return 0.0;
  }
  /// Posterior quantile at probability p in (0, 1).
  [[nodiscard]] double quantile(double p) const {
    using namespace boost::math;
    switch (family) {
      case Family::beta: return ibeta_inv(a, b, p, detail::fast_policy());
      case Family::gamma: return gamma_p_inv(a, p, detail::fast_policy()) / b;
      case Family::student_t:
        return loc + scale * boost::math::quantile(students_t_distribution<double, detail::fast_policy>(a), p);
      case Family::normal: return loc + scale * boost::math::quantile(normal_distribution<double, detail::fast_policy>(), p);
    }
    return 0.0;
  }
  /// Posterior mean E[theta] (Student t: needs df > 1).
  [[nodiscard]] double mean() const {
    switch (family) {
      case Family::beta: return a / (a + b);
      case Family::gamma: return a / b;
      case Family::student_t:
      case Family::normal: return loc;
    }
    return 0.0;
  }
  /// Posterior standard deviation (Student t: needs df > 2).
  [[nodiscard]] double sd() const {
    switch (family) {
      case Family::beta: return std::sqrt(a * b / ((a + b) * (a + b) * (a + b + 1.0)));
      case Family::gamma: return std::sqrt(a) / b;
      case Family::student_t: return scale * std::sqrt(a / (a - 2.0));
      case Family::normal: return scale;
    }
    return 0.0;
  }
  /// True when x may be 0 or negative (the relative lift needs a sign split).
  [[nodiscard]] bool can_be_non_positive() const { return family == Family::student_t || family == Family::normal; }

 private:
  [[nodiscard]] double log_t_norm() const {
    return std::lgamma(0.5 * (a + 1.0)) - std::lgamma(0.5 * a) - 0.5 * std::log(a * std::numbers::pi);
  }
};

/// Prior of a conjugate model. binomial: Beta(a, b) on the conversion rate (default
/// Beta(1, 1)); count: Gamma(shape a, rate b) on the rate per user (default shape 1, rate
/// 0: flat); continuous: the reference prior p(mu, sigma^2) ~ 1 / sigma^2 (a, b unused).
struct Prior {
  double a = 1.0;
  double b = 1.0;
};

/// Default prior of each metric kind: Beta(1, 1) for binomial, Gamma(1, 0) for count.
[[nodiscard]] inline Prior default_prior(Metric metric) {
  return metric == Metric::count ? Prior{1.0, 0.0} : Prior{1.0, 1.0};
}

/// Conjugate posterior of one arm's mean.
///  binomial: Beta(a + conversions, b + n - conversions).
///  count (Poisson): Gamma(a + sum, rate b + n).
///  continuous (Normal, reference prior): mu | data ~ ybar + (s / sqrt(n)) T_{n-1}; needs
///  n >= 3 so the posterior mean and sd exist.
///  ratio: not conjugate; Normal(r, delta-method sd) (an approximation, say so).
[[nodiscard]] inline Posterior conjugate_posterior(const ArmData& arm, Metric metric, Prior prior) {
  switch (metric) {
    case Metric::binomial:
      if (!(prior.a > 0.0 && prior.b > 0.0)) fail("prior: Beta parameters must be > 0, got (", prior.a, ", ", prior.b, ")");
      if (!(arm.sum >= 0.0 && arm.sum <= arm.n)) fail("conversions must be in [0, n = ", arm.n, "], got ", arm.sum);
      return {Family::beta, prior.a + arm.sum, prior.b + arm.n - arm.sum, 0.0, 1.0};
    case Metric::count:
      if (!(prior.a > 0.0 && prior.b >= 0.0))
        fail("prior: Gamma shape must be > 0 and rate >= 0, got (", prior.a, ", ", prior.b, ")");
      if (!(arm.sum >= 0.0) || !(arm.n > 0.0)) fail("count: need n > 0 and sum >= 0, got n = ", arm.n, ", sum = ", arm.sum);
      return {Family::gamma, prior.a + arm.sum, prior.b + arm.n, 0.0, 1.0};
    case Metric::continuous: {
      if (!(arm.n >= 3.0)) fail("continuous: the Normal model needs n >= 3 users per arm, got ", arm.n);
      if (!std::isfinite(arm.sum_sq)) fail("continuous: needs sum_sq");
      const double s2 = trustmix::experiments::detail::sample_variance(arm.n, arm.sum, arm.sum_sq);
      if (!(s2 > 0.0)) fail("continuous: the arm has zero variance");
      return {Family::student_t, arm.n - 1.0, 0.0, arm.sum / arm.n, std::sqrt(s2 / arm.n)};
    }
    case Metric::ratio: {
      const std::array<ArmData, 1> one{arm};
      const ArmEstimate e = estimate_arms(one, Metric::ratio)[0];
      if (!(e.variance > 0.0)) fail("ratio: the arm has zero variance");
      return {Family::normal, 0.0, 0.0, e.mean, std::sqrt(e.variance)};
    }
  }
  return {};
}

/// Exact (quadrature) comparison of K arms against a control and each other.
struct BayesComparison {
  std::vector<double> prob_best;          ///< P(arm i has the highest mean)
  std::vector<double> prob_beat_control;  ///< P(theta_i > theta_control); 0.5 at the control
  std::vector<double> expected_loss;      ///< E[max_j theta_j - theta_i], metric units
  std::vector<double> loss_vs_control;    ///< E[max(theta_c - theta_i, 0)], metric units
  std::vector<double> mean;               ///< E[theta_i]
  double error_bound = 0.0;               ///< sum of the Gauss-Kronrod error estimates
};

namespace detail {

/// True when the posterior is close enough to normal (beta and gamma shape parameters
/// >= 10, t with >= 30 degrees of freedom) that mean +- 20 sd holds all but 1e-15 of its
/// mass (the worst case, Gamma(10), leaves 4e-21 beyond mean + 20 sd; t_30 leaves 1e-18
/// beyond 20 scale units), so no quantile has to be inverted.
inline bool near_normal(const Posterior& p) {
  return (p.family == Family::normal) || (p.family == Family::beta && std::min(p.a, p.b) >= 10.0) ||
         (p.family == Family::gamma && p.a >= 10.0) || (p.family == Family::student_t && p.a >= 30.0);
}

/// Range [lo, hi] of one arm outside which it has less than 1e-15 of its mass.
inline std::pair<double, double> mass_range(const Posterior& p) {
  if (near_normal(p)) {
    double lo = p.mean() - 20.0 * p.sd();
    double hi = p.mean() + 20.0 * p.sd();
    if (p.family == Family::beta) lo = std::max(lo, 0.0), hi = std::min(hi, 1.0);
    if (p.family == Family::gamma) lo = std::max(lo, 0.0);
    return {lo, hi};
  }
  return {p.quantile(tail_mass), p.quantile(1.0 - tail_mass)};
}

/// Breakpoints of one arm: the ends of its mass range and points that resolve its bulk
/// (sigma points when near normal, else quantiles, which also resolve a skewed density or
/// one with an integrable singularity at 0).
inline void add_breakpoints(const Posterior& p, std::vector<double>& out) {
  const auto [lo, hi] = mass_range(p);
  out.push_back(lo);
  out.push_back(hi);
  if (near_normal(p)) {
    static constexpr std::array<double, 5> z{-6.0, -2.5, 0.0, 2.5, 6.0};
    for (double zi : z) out.push_back(std::clamp(p.mean() + zi * p.sd(), lo, hi));
    return;
  }
  static constexpr std::array<double, 9> probs{1e-10, 1e-6, 1e-3, 0.02275, 0.5, 0.97725, 0.999, 1.0 - 1e-6, 1.0 - 1e-10};
  for (double q : probs) out.push_back(p.quantile(q));
}

/// Merges breakpoints closer than `gap` (keeping the outermost ends).
inline std::vector<double> merge_breakpoints(std::vector<double> b, double gap) {
  std::sort(b.begin(), b.end());
  std::vector<double> out;
  for (double x : b)
    if (out.empty() || x - out.back() > gap) out.push_back(x);
  if (b.size() > 1 && out.back() != b.back()) {
    if (out.size() > 1) out.back() = b.back();  // keep the outer end of the range
    else out.push_back(b.back());
  }
  return out;
}

/// One Gauss-Kronrod 15 panel: the Kronrod estimate of every integral and the largest
/// |Kronrod - Gauss| over the integrals.
struct Panel {
  double lo = 0.0;
  double hi = 0.0;
  double error = 0.0;
  std::vector<double> value;
  bool operator<(const Panel& o) const { return error < o.error; }
};

/// The 15 Gauss-Kronrod nodes on [-1, 1] (node 0 is 0; nodes 2i-1 and 2i are +-x_i) with
/// their Kronrod weights and, for the 7 embedded Gauss nodes, the Gauss weights (0 for
/// the others), from Boost.Math's tables.
struct GkRule {
  std::array<double, 15> node{};
  std::array<double, 15> kronrod{};
  std::array<double, 15> gauss{};
  /// integral[k][i] = int_{-1}^{node k} L_i(t) dt, L_i the Lagrange polynomial of node i:
  /// the cumulative integral at every node of the degree-14 interpolant of a function.
  std::array<std::array<double, 15>, 15> integral{};
};

inline const GkRule& gk_rule() {
  static const GkRule rule = [] {
    using boost::math::quadrature::gauss;
    using boost::math::quadrature::gauss_kronrod;
    GkRule r;
    const auto& xk = gauss_kronrod<double, 15>::abscissa();
    const auto& wk = gauss_kronrod<double, 15>::weights();
    const auto& wg = gauss<double, 7>::weights();
    for (std::size_t a = 0; a < xk.size(); ++a) {
      for (int sgn = 0; sgn < (a == 0 ? 1 : 2); ++sgn) {
        const std::size_t n = a == 0 ? 0 : 2 * a - 1 + static_cast<std::size_t>(sgn);
        r.node[n] = sgn == 0 ? xk[a] : -xk[a];
        r.kronrod[n] = wk[a];
        r.gauss[n] = a % 2 == 0 ? wg[a / 2] : 0.0;
      }
    }
    // Lagrange integrals by 10-point Gauss-Legendre on [-1, node k] (exact: degree 14).
    const auto& xg = gauss<double, 10>::abscissa();
    const auto& wg10 = gauss<double, 10>::weights();
    auto lagrange = [&](std::size_t i, double t) {
      double v = 1.0;
      for (std::size_t j = 0; j < 15; ++j)
        if (j != i) v *= (t - r.node[j]) / (r.node[i] - r.node[j]);
      return v;
    };
    for (std::size_t k = 0; k < 15; ++k) {
      const double half = 0.5 * (r.node[k] + 1.0);
      const double mid = 0.5 * (r.node[k] - 1.0);
      for (std::size_t i = 0; i < 15; ++i) {
        double sum = 0.0;
        for (std::size_t q = 0; q < xg.size(); ++q)
          for (int sgn = 0; sgn < (xg[q] == 0.0 ? 1 : 2); ++sgn) {  // Boost stores x >= 0 only
            const double t = mid + half * (sgn == 0 ? xg[q] : -xg[q]);
            sum += wg10[q] * lagrange(i, t);
          }
        r.integral[k][i] = half * sum;
      }
    }
    return r;
  }();
  return rule;
}

/// One panel: `fill(lo, hi, x, values)` writes the m integrands at the 15 nodes x into
/// values (15 x m, row-major); returns the Kronrod integrals and the largest |Kronrod -
/// Gauss| over the integrals.
template <class Filler>
Panel integrate_panel(double lo, double hi, std::size_t m, Filler&& fill, std::vector<double>& buf) {
  const GkRule& rule = gk_rule();
  Panel p{lo, hi, 0.0, std::vector<double>(m, 0.0)};
  std::vector<double> gauss_sum(m, 0.0);
  const double half = 0.5 * (hi - lo);
  const double mid = 0.5 * (hi + lo);
  std::array<double, 15> x{};
  for (std::size_t n = 0; n < 15; ++n) x[n] = mid + half * rule.node[n];
  buf.resize(15 * m);
  fill(lo, hi, x, buf);
  for (std::size_t n = 0; n < 15; ++n)
    for (std::size_t q = 0; q < m; ++q) {
      p.value[q] += rule.kronrod[n] * buf[n * m + q];
      gauss_sum[q] += rule.gauss[n] * buf[n * m + q];
    }
  for (std::size_t q = 0; q < m; ++q) {
    p.value[q] *= half;
    p.error = std::max(p.error, std::abs(p.value[q] - half * gauss_sum[q]));
  }
  return p;
}

/// A panel filler from a per-node integrand g(x, out) (out of size m).
template <class Integrand>
auto per_node(std::size_t m, Integrand& g) {
  return [m, &g](double, double, const std::array<double, 15>& x, std::vector<double>& values) {
    std::vector<double> out(m);
    for (std::size_t n = 0; n < 15; ++n) {
      g(x[n], out);
      std::copy(out.begin(), out.end(), values.begin() + static_cast<std::ptrdiff_t>(n * m));
    }
  };
}

/// The integrands of BayesComparison on one panel, at its 15 nodes x (values: 15 x 4K):
///  [0, K): f_i prod_{j!=i} F_j;  [K, 2K): x f_i prod_{j!=i} F_j;
///  [2K, 3K): f_c (1 - F_i);       [3K, 4K): x (f_c F_i + f_i F_c).
/// F_j at the nodes: F_j(lo) plus the cumulative integral of the degree-14 interpolant of
/// f_j through the nodes (GkRule::integral), accepted when f_j is resolved on the panel:
/// F_j(lo) + (Kronrod integral of f_j) = F_j(hi) to 1e-12, both ends from the incomplete
/// beta/gamma function; otherwise F_j(x) at every node. This replaces
/// 15 incomplete beta evaluations per arm and panel by 2.
struct ComparisonFiller {
  std::span<const Posterior> arms;
  std::span<const std::pair<double, double>> range;
  std::size_t control = 0;
  std::vector<double> f, F;  // node-major: [n * K + j]

  void operator()(double lo, double hi, const std::array<double, 15>& x, std::vector<double>& values) {
    const GkRule& rule = gk_rule();
    const std::size_t k = arms.size();
    f.assign(15 * k, 0.0);
    F.assign(15 * k, 0.0);
    const double half = 0.5 * (hi - lo);
    for (std::size_t j = 0; j < k; ++j) {
      // Outside an arm's mass range (< 1e-15 of its mass) its density is 0 and F is 0 or 1.
      if (hi < range[j].first) continue;
      if (lo > range[j].second) {
        for (std::size_t n = 0; n < 15; ++n) F[n * k + j] = 1.0;
        continue;
      }
      double kron = 0.0;
      for (std::size_t n = 0; n < 15; ++n) {
        const double v = arms[j].pdf(x[n]);
        f[n * k + j] = v;
        kron += rule.kronrod[n] * v;
      }
      const double fa = arms[j].cdf(lo);
      const double fb = arms[j].cdf(hi);
      const bool resolved = std::abs(fa + half * kron - fb) <= 1e-12;
      for (std::size_t n = 0; n < 15; ++n) {
        if (resolved) {
          double c = 0.0;
          for (std::size_t i = 0; i < 15; ++i) c += rule.integral[n][i] * f[i * k + j];
          F[n * k + j] = std::clamp(fa + half * c, 0.0, 1.0);
        } else {
          F[n * k + j] = arms[j].cdf(x[n]);
        }
      }
    }
    const std::size_t m = 4 * k;
    for (std::size_t n = 0; n < 15; ++n) {
      const double* fn = f.data() + n * k;
      const double* Fn = F.data() + n * k;
      double* out = values.data() + n * m;
      // prod_{j != i} F_j by prefix and suffix products (no division by a zero F).
      double prefix = 1.0;
      for (std::size_t i = 0; i < k; ++i) {
        out[i] = prefix;
        prefix *= Fn[i];
      }
      double suffix = 1.0;
      for (std::size_t i = k; i-- > 0;) {
        out[i] *= suffix * fn[i];
        suffix *= Fn[i];
        out[k + i] = x[n] * out[i];
      }
      for (std::size_t i = 0; i < k; ++i) {
        out[2 * k + i] = fn[control] * (1.0 - Fn[i]);
        out[3 * k + i] = x[n] * (fn[control] * Fn[i] + fn[i] * Fn[control]);
      }
    }
  }
};

/// Vector-valued adaptive Gauss-Kronrod over the panels between sorted `breaks` (`g` fills
/// a panel, see integrate_panel): the panel with the largest error is bisected until the summed error of every integral is
/// below `tolerance` or `max_panels` is reached. Returns the integrals and the error bound.
template <class Filler>
std::pair<std::vector<double>, double> integrate_panels(std::vector<double> breaks, std::size_t m, double tolerance,
                                                        Filler&& g, std::size_t max_panels = 2000) {
  std::sort(breaks.begin(), breaks.end());
  breaks.erase(std::unique(breaks.begin(), breaks.end()), breaks.end());
  std::vector<double> buf(m);
  std::priority_queue<Panel> queue;
  double total_error = 0.0;
  for (std::size_t i = 0; i + 1 < breaks.size(); ++i) {
    if (!(breaks[i + 1] > breaks[i])) continue;
    Panel p = integrate_panel(breaks[i], breaks[i + 1], m, g, buf);
    total_error += p.error;
    queue.push(std::move(p));
  }
  while (total_error > tolerance && queue.size() < max_panels && !queue.empty()) {
    Panel worst = queue.top();
    queue.pop();
    const double mid = 0.5 * (worst.lo + worst.hi);
    if (!(mid > worst.lo && mid < worst.hi)) {
      queue.push(std::move(worst));
      break;
    }
    Panel left = integrate_panel(worst.lo, mid, m, g, buf);
    Panel right = integrate_panel(mid, worst.hi, m, g, buf);
    total_error += left.error + right.error - worst.error;
    queue.push(std::move(left));
    queue.push(std::move(right));
  }
  std::vector<double> sum(m, 0.0);
  total_error = 0.0;
  while (!queue.empty()) {
    const Panel& p = queue.top();
    for (std::size_t q = 0; q < m; ++q) sum[q] += p.value[q];
    total_error += p.error;
    queue.pop();
  }
  return {sum, total_error};
}

}  // namespace detail

/// Compares K posteriors exactly (see the header comment for the integrals); `control` is
/// the index of the control arm. `tolerance` is the absolute error allowed on each
/// probability (the expected losses are in metric units; their error is tolerance times
/// the width of the posterior range).
[[nodiscard]] inline BayesComparison compare_posteriors(std::span<const Posterior> arms, std::size_t control = 0,
                                                        double tolerance = 1e-10) {
  const std::size_t k = arms.size();
  if (k < 2) fail("arms: need at least 2 arms, got ", k);
  if (control >= k) fail("control: index ", control, " outside [0, ", k, ")");
  trustmix::detail::require_positive(tolerance, "tolerance");
  std::vector<Posterior> prep(k);
  std::vector<std::pair<double, double>> range(k);
  std::vector<double> breaks;
  breaks.reserve(11 * k);
  double min_sd = std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < k; ++j) {
    prep[j] = arms[j].prepared();
    range[j] = detail::mass_range(prep[j]);
    detail::add_breakpoints(prep[j], breaks);
    if (detail::near_normal(prep[j])) min_sd = std::min(min_sd, prep[j].sd());
  }
  // Breakpoints of similar arms cluster: merge those closer than 3 sd of the narrowest
  // near-normal arm (the adaptive bisection refines wherever the error asks for it).
  if (std::isfinite(min_sd)) breaks = detail::merge_breakpoints(std::move(breaks), 3.0 * min_sd);
  detail::ComparisonFiller filler{prep, range, control, {}, {}};
  auto [v, err] = detail::integrate_panels(std::move(breaks), 4 * k, tolerance, filler);

  BayesComparison r;
  r.prob_best.assign(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k));
  double e_max = 0.0;
  for (std::size_t i = 0; i < k; ++i) e_max += v[k + i];
  r.mean.resize(k);
  r.expected_loss.resize(k);
  r.prob_beat_control.resize(k);
  r.loss_vs_control.resize(k);
  for (std::size_t i = 0; i < k; ++i) {
    r.mean[i] = arms[i].mean();
    r.expected_loss[i] = std::max(0.0, e_max - r.mean[i]);
    r.prob_beat_control[i] = i == control ? 0.5 : v[2 * k + i];
    r.loss_vs_control[i] = i == control ? 0.0 : std::max(0.0, v[3 * k + i] - r.mean[i]);
  }
  r.error_bound = err;
  return r;
}

/// Posterior distribution function of the lift of `arm` over `control`:
/// absolute P(theta_a - theta_c <= d) or relative P(theta_a / theta_c - 1 <= d).
[[nodiscard]] inline double lift_cdf(const Posterior& control, const Posterior& arm, double d, bool relative,
                                     double tolerance = 1e-11) {
  std::vector<double> breaks;
  const Posterior c = control.prepared();
  detail::add_breakpoints(c, breaks);
  if (relative && c.can_be_non_positive()) breaks.push_back(0.0);
  auto g = [&](double x, std::vector<double>& out) {
    const double fc = c.pdf(x);
    if (fc == 0.0) {
      out[0] = 0.0;
      return;
    }
    if (!relative) {
      out[0] = fc * arm.cdf(x + d);
    } else {
      const double t = (1.0 + d) * x;
      out[0] = x > 0.0 ? fc * arm.cdf(t) : fc * (1.0 - arm.cdf(t));
    }
  };
  return std::clamp(detail::integrate_panels(std::move(breaks), 1, tolerance, detail::per_node(1, g)).first[0], 0.0, 1.0);
}

/// Posterior density of the lift of `arm` over `control` at each point of `grid`:
/// absolute int f_c(x) f_a(x + d) dx, relative int f_c(x) f_a((1 + r) x) |x| dx.
[[nodiscard]] inline std::vector<double> lift_density(const Posterior& control, const Posterior& arm,
                                                      std::span<const double> grid, bool relative, double tolerance = 1e-9) {
  std::vector<double> breaks;
  detail::add_breakpoints(control, breaks);
  if (relative && control.can_be_non_positive()) breaks.push_back(0.0);
  const std::size_t m = grid.size();
  auto g = [&](double x, std::vector<double>& out) {
    const double fc = control.pdf(x);
    for (std::size_t q = 0; q < m; ++q)
      out[q] = fc == 0.0 ? 0.0 : (relative ? fc * arm.pdf((1.0 + grid[q]) * x) * std::abs(x) : fc * arm.pdf(x + grid[q]));
  };
  if (m == 0) return {};
  return detail::integrate_panels(std::move(breaks), m, tolerance, detail::per_node(m, g)).first;
}

/// Equal-tailed credible interval of the lift with probability `level`, and its median:
/// {lower, median, upper}, each the root of lift_cdf(d) = p (Boost TOMS 748), to 1e-9
/// relative.
[[nodiscard]] inline std::array<double, 3> lift_interval(const Posterior& control, const Posterior& arm, double level,
                                                         bool relative) {
  trustmix::detail::require_in_range(level, "level", 0.0, 1.0, true, true);
  // Bracket from the normal approximation of the lift, widened until it holds the root.
  const double mc = control.mean();
  const double sc = control.sd();
  const double ma = arm.mean();
  const double sa = arm.sd();
  double centre = ma - mc;
  double spread = std::sqrt(sa * sa + sc * sc);
  if (relative) {
    if (!(std::abs(mc) > 0.0)) fail("relative lift: the control's posterior mean is 0");
    centre = ma / mc - 1.0;
    spread = std::sqrt(sa * sa / (mc * mc) + ma * ma * sc * sc / (mc * mc * mc * mc));
  }
  std::array<double, 3> out{};
  const std::array<double, 3> probs{0.5 * (1.0 - level), 0.5, 0.5 * (1.0 + level)};
  for (std::size_t q = 0; q < 3; ++q) {
    auto h = [&](double d) { return lift_cdf(control, arm, d, relative) - probs[q]; };
    // A relative lift of positive quantities (beta, gamma) is > -1; of possibly negative
    // ones (t, normal) it is unbounded on both sides.
    const bool positive = !control.can_be_non_positive() && !arm.can_be_non_positive();
    double lo = centre - 8.0 * spread;
    double hi = centre + 8.0 * spread;
    if (relative && positive) lo = std::max(lo, -1.0 + 1e-12);
    for (int i = 0; i < 60 && h(lo) > 0.0; ++i)
      lo = (relative && positive) ? -1.0 + (lo + 1.0) * 0.5 : lo - 4.0 * spread - std::abs(lo);
    for (int i = 0; i < 60 && h(hi) < 0.0; ++i) hi += 4.0 * spread + std::abs(hi);
    if (h(lo) > 0.0 || h(hi) < 0.0)
      fail("lift interval: no bracket for the ", probs[q], " quantile of the ", relative ? "relative" : "absolute",
           " lift (the posterior of the control may put mass near 0)");
    std::uintmax_t iters = 100;
    auto tol = [](double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1e-12, std::abs(a) + std::abs(b)); };
    const auto r = boost::math::tools::toms748_solve(h, lo, hi, tol, iters);
    out[q] = 0.5 * (r.first + r.second);
  }
  return out;
}

/// Gaussian posterior of the lift as GrowthBook's engine (gbstats, EffectBayesianABTest)
/// defines it: the lift estimate from the delta method,
///   absolute d = m_b - m_a,  Var = v_a + v_b;
///   relative d = m_b / m_a - 1,  Var = v_b / m_a^2 + m_b^2 v_a / m_a^4,
/// with v = variance of each mean; an optional normal prior N(prior_mean, prior_var) on
/// the lift (proper = false is the flat prior). Chance to win = P(lift > 0); risk = the
/// expected loss {of keeping control, of shipping treatment} = {E[max(D, 0)],
/// E[max(-D, 0)]} under the normal posterior.
struct EffectPosterior {
  double mean = 0.0;
  double sd = 0.0;
  double chance_to_win = 0.5;
  double ci_lower = 0.0;
  double ci_upper = 0.0;
  double risk_control = 0.0;
  double risk_treatment = 0.0;
};

[[nodiscard]] inline EffectPosterior effect_posterior(const ArmEstimate& control, const ArmEstimate& arm, bool relative,
                                                      double level = 0.95, double prior_mean = 0.0,
                                                      double prior_variance = 1.0, bool proper_prior = false) {
  if (relative && control.mean == 0.0) fail("relative lift: the control mean is 0");
  double d = arm.mean - control.mean;
  double v = control.variance + arm.variance;
  if (relative) {
    const double m2 = control.mean * control.mean;
    d = arm.mean / control.mean - 1.0;
    v = arm.variance / m2 + arm.mean * arm.mean * control.variance / (m2 * m2);
  }
  if (!(v > 0.0)) fail("effect posterior: the lift has zero variance");
  if (proper_prior) {
    trustmix::detail::require_positive(prior_variance, "prior_variance");
    const double prec = 1.0 / v + 1.0 / prior_variance;
    d = (d / v + prior_mean / prior_variance) / prec;
    v = 1.0 / prec;
  }
  EffectPosterior e;
  e.mean = d;
  e.sd = std::sqrt(v);
  const double z = d / e.sd;
  e.chance_to_win = 0.5 * std::erfc(-z / std::numbers::sqrt2);
  const double zq = -boost::math::quantile(boost::math::normal_distribution<double, detail::fast_policy>(),
                                           0.5 * (1.0 - level));
  e.ci_lower = d - zq * e.sd;
  e.ci_upper = d + zq * e.sd;
  const double phi = std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi);
  const double Phi = e.chance_to_win;
  e.risk_control = d * Phi + e.sd * phi;                   // E[max(D, 0)]
  e.risk_treatment = -d * (1.0 - Phi) + e.sd * phi;        // E[max(-D, 0)]
  return e;
}

/// compare_posteriors for many experiments at once: row e of the M x K inputs is one
/// experiment (same metric and prior), control in column `control`. Runs in parallel
/// over experiments (each experiment computed by one thread with the serial arithmetic,
/// so results do not depend on `threads`). Outputs M x K row-major arrays.
struct BatchComparison {
  std::size_t experiments = 0;
  std::size_t arms = 0;
  std::vector<double> prob_best, prob_beat_control, expected_loss, loss_vs_control;
};

[[nodiscard]] inline BatchComparison compare_batch(std::span<const ArmData> data, std::size_t experiments, std::size_t arms,
                                                   Metric metric, Prior prior, std::size_t control = 0, int threads = 0,
                                                   double tolerance = 1e-10) {
  if (data.size() != experiments * arms)
    fail("data: expected experiments x arms = ", experiments * arms, " summaries, got ", data.size());
  BatchComparison out;
  out.experiments = experiments;
  out.arms = arms;
  const std::size_t total = experiments * arms;
  out.prob_best.resize(total);
  out.prob_beat_control.resize(total);
  out.expected_loss.resize(total);
  out.loss_vs_control.resize(total);
  // Validate (and build the posteriors) first, so errors name the experiment.
  std::vector<Posterior> post(total);
  for (std::size_t e = 0; e < experiments; ++e)
    for (std::size_t j = 0; j < arms; ++j) {
      try {
        post[e * arms + j] = conjugate_posterior(data[e * arms + j], metric, prior);
      } catch (const std::invalid_argument& err) {
        fail("experiment ", e, ", arm ", j, ": ", err.what());
      }
    }
  parallel_for_blocks(static_cast<std::ptrdiff_t>(experiments), threads, 16, [&](std::ptrdiff_t b, std::ptrdiff_t en) {
    for (std::ptrdiff_t e = b; e < en; ++e) {
      const std::size_t off = static_cast<std::size_t>(e) * arms;
      const BayesComparison c = compare_posteriors(std::span<const Posterior>(post.data() + off, arms), control, tolerance);
      for (std::size_t j = 0; j < arms; ++j) {
        out.prob_best[off + j] = c.prob_best[j];
        out.prob_beat_control[off + j] = c.prob_beat_control[j];
        out.expected_loss[off + j] = c.expected_loss[j];
        out.loss_vs_control[off + j] = c.loss_vs_control[j];
      }
    }
  });
  return out;
}

}  // namespace trustmix::experiments
