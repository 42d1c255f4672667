#pragma once
// Reach-and-frequency (RF) channels in the planner (issues 15 and 18; docs/plan.md,
// "Reach-and-frequency channels").
//
// For an RF channel of the fitted model (trust_model.hpp, RfForm) the decision is spend,
// as for any channel, and the chain from spend to outcome is, per period and channel:
//
//   I = q s                          impressions (q: impressions per unit of spend)
//   m = I / P                        exposures per reachable person (P = rho N people,
//                                    the reach curve's reachable population), or under a
//                                    frequency cap c the uncapped mean m_c solving
//                                    E[min(X, c)] = I / P (audience::ReachCurve::capped_rate)
//   R = P (1 - (1 + m / k)^-k)       people reached at least once (the curve's nbd / goerg
//                                    form, shape k; goerg: k = 1)
//   f = I / R                        average frequency among the reached (f -> 1 as I -> 0)
//   r = R / u                        reach in the model's units (u people per unit of its
//                                    reach column: the fit's media scale)
//   x = r g(f)                       the model's RF response (RfForm): hill: g = f^s /
//                                    (f^s + ec^s); exposure: g = E[1 - exp(-lam K) | K >= 1],
//                                    K ~ zero-truncated NB(rf_shape) with mean f
//   h = Adstock(x)                   (the model's own weights), outcome beta h (1 + theta G).
//
// Everything up to (r, f) depends on the schedule only, so it is computed once per
// evaluation and shared by every draw; g and its derivative depend on the draw (ec, s or
// lam). The exact gradient dY/ds = dY/dx (q) (dr/dI g + r g'(f) df/dI) follows the chain
// (tested against finite differences for both forms, with and without a cap). With the
// exposure form and a curve of shape k = rf_shape the chain is the model's own frequency
// distribution: r g = (P / u) (1 - (1 + m (1 - e^-lam) / k)^-k), concave in spend.
//
// Frequency caps and reach targets become bounds on spend, because every quantity above
// is monotone in I (tested):
//   - a maximum average frequency F per period (f <= F): s <= I_F / q with f(I_F) = F;
//   - a cap c by the capped_rate transform: s < c P / q (no more impressions than c per
//     reachable person can take);
//   - "at least a share a of the reachable population reached k+ times" per period:
//     P(X >= k) >= a at X ~ NB(k_curve, m) (under a cap: m = m_c), so s >= I_a / q;
//     over the horizon (no cap): NBD exposures add over periods (a person's Poisson rate
//     is the same every period), X_total ~ NB(k_curve, sum_t I_t / P), so the channel's
//     total spend >= I_a / q (a linear constraint on the channel's total).
#include <boost/math/distributions/negative_binomial.hpp>
#include <boost/math/tools/roots.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "trustmix/audience/reach.hpp"
#include "trustmix/core/error.hpp"
#include "trustmix/mmm/trust_model.hpp"

namespace trustmix::plan {

/// How spend becomes reach and frequency for one RF channel (see the top of this file).
struct RfChannel {
  int channel = -1;                    ///< media column: an RF channel of the model
  audience::ReachCurve curve;          ///< per period; kind nbd or goerg (people, impressions)
  double impressions_per_spend = 0.0;  ///< q: impressions per unit of spend (> 0)
  double people_per_unit = 1.0;        ///< u: people per unit of the model's reach column (> 0)
  int cap = 0;                         ///< frequency cap per period by capped_rate (0: none)

  void validate(Eigen::Index channels) const {
    if (channel < 0 || channel >= channels) fail("RF channel: channel ", channel, " is not in 0..", channels - 1);
    curve.validate();
    if (curve.kind == audience::ReachKind::beta_binomial)
      fail("RF channel ", channel,
           ": the reach curve must be of kind 'nbd' or 'goerg' (impressions), not "
           "'beta_binomial' (insertions)");
    if (!(impressions_per_spend > 0.0) || !std::isfinite(impressions_per_spend))
      fail("RF channel ", channel, ": impressions_per_spend must be finite and > 0, got ", impressions_per_spend);
    if (!(people_per_unit > 0.0) || !std::isfinite(people_per_unit))
      fail("RF channel ", channel, ": people_per_unit must be finite and > 0, got ", people_per_unit);
    if (cap < 0) fail("RF channel ", channel, ": cap must be >= 1 (0: none), got ", cap);
  }
  [[nodiscard]] double shape() const { return curve.kind == audience::ReachKind::goerg ? 1.0 : curve.shape; }
  [[nodiscard]] double reachable() const { return curve.reachable_people(); }
};

/// The schedule-only part of the chain at one cell: reach in model units r and the
/// average frequency f, with their derivatives with respect to spend.
struct RfPoint {
  double impressions = 0, m = 0, reach_people = 0;
  double r = 0, dr = 0;  ///< r = R / u and dr/ds
  double f = 1, df = 0;  ///< f = I / R (1 at I = 0) and df/ds
};

namespace detail {

/// E[min(X, c)] for X ~ NB(shape k, mean m) and its derivative in m:
/// E = sum_{j < c} P(X > j), dP(X <= j)/dm = k / (m (k + m)) sum_{i <= j} p_i (i - m).
inline double capped_mean_d(double k, double m, int c, double& d) {
  d = 0.0;
  if (m <= 0.0) {
    d = 1.0;
    return 0.0;
  }
  const double lp0 = -k * std::log1p(m / k);
  double p = std::exp(lp0);              // p_j, from p_0
  double tail = -std::expm1(lp0) + p;    // P(X > j - 1), from P(X > 0) = 1 - p_0 accurately
  double s = 0.0, e = 0.0;
  const double a = k / (m * (k + m)), ratio = m / (k + m);
  for (int j = 0; j < c; ++j) {
    tail -= p;  // P(X > j)
    s += p * (static_cast<double>(j) - m);
    e += tail;
    d -= a * s;
    p *= (static_cast<double>(j) + k) / (static_cast<double>(j) + 1.0) * ratio;
  }
  return e;
}

/// The uncapped mean m with E[min(X, c)] = e (X ~ NB(k, m), 0 <= e < c): the
/// definition of audience::ReachCurve::capped_rate, solved by TOMS 748 (Boost.Math) on
/// [e, hi] (E(m) <= m, so E(e) <= e), with the first term 1 - p_0 by expm1 so that small
/// e keep their precision.
inline double capped_rate(double k, int c, double e) {
  if (e <= 0.0) return 0.0;
  const auto g = [&](double m) {
    double d = 0.0;
    return capped_mean_d(k, m, c, d) - e;
  };
  if (g(e) >= 0.0) return e;  // E(m) = m to rounding: m = e
  double hi = std::max(2.0 * e, 1.0);
  while (g(hi) < 0.0) {
    hi *= 2.0;
    if (hi > 1e15) fail("frequency cap ", c, ": cannot deliver ", e, " impressions per reachable person");
  }
  std::uintmax_t iters = 200;
  const auto r = boost::math::tools::toms748_solve(g, e, hi, boost::math::tools::eps_tolerance<double>(52), iters);
  return 0.5 * (r.first + r.second);
}

}  // namespace detail

/// The chain from spend to (r, f) at one cell, with derivatives (see the top of this file).
[[nodiscard]] inline RfPoint rf_point(const RfChannel& ch, double spend) {
  RfPoint o;
  const double q = ch.impressions_per_spend, P = ch.reachable(), k = ch.shape(), u = ch.people_per_unit;
  const double I = q * std::max(spend, 0.0);
  o.impressions = I;
  double m, dm_dI;
  if (ch.cap > 0) {
    if (I >= static_cast<double>(ch.cap) * P)
      fail("RF channel ", ch.channel, ": spend ", spend, " buys ", I, " impressions, at least the cap of ", ch.cap,
           " per reachable person allows (", static_cast<double>(ch.cap) * P, ")");
    if (ch.cap == 1) {  // E[min(X, 1)] = 1 - (1 + m/k)^-k = I / P: m in closed form
      m = k * std::expm1(-std::log1p(-I / P) / k);
    } else {
      m = detail::capped_rate(k, ch.cap, I / P);
    }
    double dE = 0.0;
    (void)detail::capped_mean_d(k, m, ch.cap, dE);
    dm_dI = 1.0 / (P * dE);
  } else {
    m = I / P;
    dm_dI = 1.0 / P;
  }
  o.m = m;
  const double lb = std::log1p(m / k);
  const double R = -P * std::expm1(-k * lb);  // P (1 - (1 + m/k)^-k)
  const double dR_dI = P * std::exp(-(k + 1.0) * lb) * dm_dI;
  o.reach_people = R;
  o.r = R / u;
  o.dr = q * dR_dI / u;
  if (m < 1e-7) {  // f = I / R -> 1 + (k + 1) / (2 k) m as m -> 0 (to O(m^2)); cap 1: f = 1
    const double c1 = ch.cap == 1 ? 0.0 : (k + 1.0) / (2.0 * k);
    o.f = 1.0 + c1 * m;
    o.df = q * c1 * dm_dI;
  } else {
    o.f = I / R;
    o.df = q * (R - I * dR_dI) / (R * R);
  }
  return o;
}

/// The untruncated mean m of a negative binomial (shape k) whose zero-truncated mean is
/// f >= 1, f = m / (1 - (1 + m/k)^-k) (the model's exposure form), and dm/df.
[[nodiscard]] inline double exposure_mean(double f, double k, double& dm_df) {
  if (!(f > 1.0 + 1e-10)) {
    dm_df = 2.0 * k / (k + 1.0);  // f = 1 + (k + 1) m / (2 k) + O(m^2)
    return std::max(f - 1.0, 0.0) * dm_df;
  }
  const auto g = [&](double m) { return m / -std::expm1(-k * std::log1p(m / k)) - f; };
  std::uintmax_t iters = 200;
  const auto r = boost::math::tools::toms748_solve(g, 1e-300, f, boost::math::tools::eps_tolerance<double>(52), iters);
  const double m = 0.5 * (r.first + r.second);
  const double D = -std::expm1(-k * std::log1p(m / k)), dD = std::exp(-(k + 1.0) * std::log1p(m / k));
  dm_df = D * D / (D - m * dD);
  return m;
}

/// The model's RF response g at v (hill: v = f; exposure: v = m, the untruncated mean)
/// for the draw's lam slot (ec or the per-exposure rate) and slope, and dg/dv.
[[nodiscard]] inline double rf_response(mmm::RfForm form, double v, double lam, double slope, double k, double& dg) {
  if (form == mmm::RfForm::hill) {
    if (!(v > 0.0)) {
      dg = 0.0;
      return 0.0;
    }
    const double u = std::exp(slope * std::log(lam / v)), d = 1.0 / ((1.0 + u) * (1.0 + u));
    dg = slope * u * d / v;
    return 1.0 / (1.0 + u);
  }
  const double oq = -std::expm1(-lam), q = std::exp(-lam);
  if (v < 1e-7) {  // g = oq (1 + c v q) + O(v^2), c = (k + 1) / (2 k)
    const double c = (k + 1.0) / (2.0 * k);
    dg = c * oq * q;
    return oq * (1.0 + c * v * q);
  }
  const double lb = std::log1p(v * oq / k), ld = std::log1p(v / k);
  const double N = -std::expm1(-k * lb), D = -std::expm1(-k * ld);
  const double dN = oq * std::exp(-(k + 1.0) * lb), dD = std::exp(-(k + 1.0) * ld);
  dg = (dN * D - N * dD) / (D * D);
  return N / D;
}

/// Average frequency f(I) at the impressions I of one period (the chain without spend).
[[nodiscard]] inline double rf_frequency_at(const RfChannel& ch, double impressions) {
  RfChannel one = ch;
  one.impressions_per_spend = 1.0;
  return rf_point(one, impressions).f;
}

namespace detail {
/// The smallest I in (0, hi) with fn(I) >= target for fn increasing, by bracketing and
/// TOMS 748 (Boost.Math); hi: the supremum of I (infinity: none).
template <class F>
double increasing_root(F&& fn, double target, double start, double hi, const char* what) {
  double lo = 0.0, up = std::isfinite(hi) ? std::min(start, 0.5 * hi) : start;
  while (fn(up) < target) {  // double up (or halve the distance to hi) until fn(up) >= target
    lo = up;
    up = std::isfinite(hi) ? 0.5 * (up + hi) : 2.0 * up;
    if ((std::isfinite(hi) && hi - up <= 1e-9 * hi) || up > 1e300) fail(what);
  }
  std::uintmax_t iters = 200;
  const auto r = boost::math::tools::toms748_solve([&](double x) { return fn(x) - target; }, lo, up,
                                                   boost::math::tools::eps_tolerance<double>(50), iters);
  return r.second;  // the upper end: fn >= target there
}

/// P(X >= j) for X ~ NB(shape k, mean m).
inline double at_least(double k, double m, int j) {
  if (j <= 0) return 1.0;
  if (m <= 0.0) return 0.0;
  const boost::math::negative_binomial_distribution<double> nb(k, k / (k + m));
  return boost::math::cdf(boost::math::complement(nb, j - 1));
}
}  // namespace detail

/// Spend per period at which the average frequency among the reached reaches F (> 1):
/// f(q s) = F (f increases with spend). Under a capped_rate cap c, F >= c is never
/// reached (f < c): +infinity.
[[nodiscard]] inline double spend_for_max_frequency(const RfChannel& ch, double F) {
  if (!(F > 1.0) || !std::isfinite(F))
    fail("RF channel ", ch.channel,
         ": a maximum average frequency must be finite and > 1 (every person reached sees at "
         "least one impression), got ",
         F);
  if (ch.cap > 0 && F >= static_cast<double>(ch.cap)) return std::numeric_limits<double>::infinity();
  const double P = ch.reachable();
  const double hi = ch.cap > 0 ? static_cast<double>(ch.cap) * P * (1.0 - 1e-12) : std::numeric_limits<double>::infinity();
  const double I = detail::increasing_root([&](double x) { return rf_frequency_at(ch, x); }, F, P, hi,
                                           "the maximum average frequency cannot be reached");
  return I / ch.impressions_per_spend;
}

/// The share of the reachable population exposed k or more times in one period at spend
/// s (under a cap: of the capped exposures, k <= cap).
[[nodiscard]] inline double reached_share(const RfChannel& ch, int k, double spend) {
  const RfPoint p = rf_point(ch, spend);
  return detail::at_least(ch.shape(), p.m, k);
}

/// Spend per period at which a share a of the reachable population is exposed k or more
/// times (reached_share = a; increasing in spend). Fails when no spend reaches it (a >= 1,
/// or k above the cap).
[[nodiscard]] inline double spend_for_reach_share(const RfChannel& ch, int k, double a) {
  if (k < 1) fail("RF channel ", ch.channel, ": a reach target needs k >= 1 exposures, got ", k);
  if (!(a >= 0.0 && a < 1.0))
    fail("RF channel ", ch.channel, ": no budget reaches a share ", a, " of the reachable population ", k,
         "+ times (the curve approaches 1 without reaching it); give a share in [0, 1)");
  if (ch.cap > 0 && k > ch.cap)
    fail("RF channel ", ch.channel, ": no budget reaches anyone ", k, "+ times under a frequency cap of ", ch.cap);
  if (a == 0.0) return 0.0;
  const double P = ch.reachable(), kk = ch.shape();
  // solve in m (the share is increasing in m), then impressions from m
  const double m = detail::increasing_root([&](double x) { return detail::at_least(kk, x, k); }, a, static_cast<double>(k),
                                           std::numeric_limits<double>::infinity(), "the reach target cannot be met");
  double I = m * P;
  if (ch.cap > 0) {
    double d = 0.0;
    I = detail::capped_mean_d(kk, m, ch.cap, d) * P;
  }
  return I / ch.impressions_per_spend;
}

/// Total spend over the horizon at which a share a of the reachable population is exposed
/// k or more times in all (NBD exposures add over periods: X_total ~ NB(k_curve, sum I / P)).
/// No cap (the capped total's distribution is not a negative binomial).
[[nodiscard]] inline double total_spend_for_reach_share(const RfChannel& ch, int k, double a) {
  if (ch.cap > 0)
    fail("RF channel ", ch.channel,
         ": a reach target over the horizon needs no per-period frequency cap (give the "
         "target per period)");
  return spend_for_reach_share(ch, k, a);
}

/// The exposure form's own reach curve: an nbd curve whose shape is fixed (the model's
/// rf_shape, so that the curve's frequency distribution is the one the model's exposure
/// form assumes) and whose reachable share rho is fitted by least squares to observed
/// (impressions, reach) points, min sum_t (R_t - reach(I_t))^2 / N^2, by Brent's method
/// (Boost.Math) on ln rho in [ln(max R / N), 0].
[[nodiscard]] inline audience::ReachCurve fit_reachable(const Eigen::Ref<const Eigen::VectorXd>& impressions,
                                                        const Eigen::Ref<const Eigen::VectorXd>& reach, double population,
                                                        double shape) {
  trustmix::detail::require_positive(population, "population");
  trustmix::detail::require_positive(shape, "shape");
  if (impressions.size() != reach.size() || impressions.size() == 0)
    fail("impressions and reach need the same number (>= 1) of points, got ", impressions.size(), " and ", reach.size());
  double top = 0.0;
  for (Eigen::Index t = 0; t < reach.size(); ++t) {
    if (!(impressions[t] >= 0.0) || !std::isfinite(impressions[t]) || !(reach[t] >= 0.0) ||
        !(reach[t] <= impressions[t] * (1 + 1e-12)))
      fail("point ", t, ": need finite impressions >= reach >= 0, got impressions ", impressions[t], " and reach ",
           reach[t]);
    if (reach[t] > population) fail("point ", t, ": reach ", reach[t], " is above the population ", population);
    top = std::max(top, reach[t]);
  }
  if (!(top > 0.0)) fail("every reach point is 0: nothing to fit");
  audience::ReachCurve c;
  c.kind = audience::ReachKind::nbd;
  c.population = population;
  c.shape = shape;
  const auto sse = [&](double lr) {
    audience::ReachCurve cur = c;
    cur.reachable = std::min(1.0, std::exp(lr));
    double s2 = 0.0;
    for (Eigen::Index t = 0; t < reach.size(); ++t) {
      const double e = (reach[t] - cur.reach(impressions[t])) / population;
      s2 += e * e;
    }
    return s2;
  };
  c.reachable = std::min(1.0, std::exp(audience::detail::brent_argmin(sse, std::log(top / population), 0.0)));
  return c;
}

/// A maximum average frequency per period (periods empty: every period).
struct FrequencyCap {
  int channel = -1;
  double max_frequency = 3.0;
  std::vector<int> periods;
};

/// "At least `share` of the reachable population reached `k`+ times", per period (over
/// `periods`, empty: every period) or over the whole horizon.
struct ReachTarget {
  int channel = -1;
  int k = 3;
  double share = 0.5;
  bool per_period = true;
  std::vector<int> periods;
};

}  // namespace trustmix::plan
