#pragma once
// The geo panel version of the trust-linked model (MODEL.md; issue 20, "The model"): G geos
// x T periods x C channels, log posterior and its exact reverse-mode gradient on
// unconstrained parameters, a deterministic parallel loop over geos, and the spec in raw
// units with the population scaling (PanelModelSpec, build_panel()). Notation, geo g,
// period t, channel c:
//
//   x[c, g, t]  per-capita scaled activity: a geo channel's own activity, a national
//               channel's national activity X[c, t] apportioned to geos by a share
//               s[g, t] (population by default): X[c, t] s[g, t] / pop[g, t]
//   m[c, g]     uncertain share (PanelModelData::share_sd[c] = sd > 0, a national channel
//               whose geo series enter the likelihood): the true share is s[g, t] m[c, g],
//               ln m[c, g] = sd z[c, g] - ln sum_h sbar[h] exp(sd z[c, h]), z ~ Normal(0, 1),
//               sbar[h] the geo's mean share over the periods (share_mean), so that sum_g
//               sbar[g] m[c, g] = 1: the national activity is conserved (exactly for a
//               share constant over time) and the national series xn is unchanged. The
//               adstock is linear, so m scales a[c, g, .]: the geo's curve is evaluated at
//               lam m (logistic) or ec / m (Hill), which is how the parameters carry it
//               (PanelModelParameters::lam_geo holds the value with m; the priors stay on lam).
//   a[c, g, t]  = geometric adstock of x[c, g, .] (alpha_c, normalised weights, lag L)
//   h[c, g, t]  = tanh(lam_c a[c, g, t] / 2)     logistic saturation (the national model's),
//               or per channel (PanelModelData::saturation) Hill's a^s / (a^s + ec_c^s)
//               with a fixed slope s >= 1 (hill_slope; Meridian's impression channels: s =
//               1), ec_c the half-saturation point in scaled activity (1 = the channel's mean
//               non-zero per-capita activity). ec takes lam's slot: ln ec ~ Normal(
//               hill_ec_log_median, hill_ec_sd_log), pooled as lam (the names say ec[c]).
//   alpha_c, lam_c are shared by all geos by default (documented choice: curvature and
//   carry-over are what a geo's short series pins worst, Meridian shares them too;
//   PyMC-Marketing's multidimensional MMM keeps them per geo, unpooled);
//   PanelModelData::adstock_pooling / saturation_pooling make them per geo
//   (alpha_{c,g}, lam_{c,g}), and half_life_pooling / amplification_pooling do the same for
//   delta (geo stocks) and theta (FreeBlock below: none, or the non-centred partial
//   hierarchy v_g = m + tau eta_g on the free scale logit alpha, ln lam, logit delta,
//   ln theta, with the national prior on m and tau ~ HalfNormal(*_pool_sd)).
//   Trust stock, trust = national: S[t] = delta S[t-1] + (1 - delta) sum_p kappa_p hn[p, t],
//               hn[p, t] the saturated adstock of the national per-capita activity
//               xn[p, t] = sum_g pop[g, t] x[p, g, t] / sum_g pop[g, t] (total activity
//               over total population); S_g[t] = S[t] in every geo.
//   shocks (PanelModelData::shocks, T x E crises d[t, e] >= 0, national: every stock meets
//               them): the linear stocks lose c[t] = sum_e omega_e d[t, e] each period
//               (S[t] = ... - c[t], the national model's), the bounded stock keeps a share
//               exp(-sum_e omega_e d[t, e]) of itself; ln omega_e free, omega_e ~
//               HalfNormal(omega_sd); none past the data (a plan's future has no crises).
//   trust = geo: S_g[t] = delta S_g[t-1] + (1 - delta) sum_p kappa_p h[p, g, t], one stock
//               per geo with shared delta, kappa and S[-1] = g0.
//   trust = national_geo ("national+geo"): S_g[t] = exp(xi_g) S[t], the national stock
//               times a geo multiplier, xi_g = tau_xi eta_g, eta_g ~ Normal(0, 1), tau_xi ~
//               HalfNormal(stock_deviation_sd).
//   trust_form = bounded (PanelModelData::trust_form; national stock only: trust national
//               or national+geo): the national model's bounded share (trust_model.hpp),
//               S[t] = 1 - (1 - m[t]) e[t], 1 - m[t] = (1 - delta)(1 - b) + delta (1 - S[t-1]),
//               e[t] = exp(-rho u[t]), u[t] = sum_p kappa_p hn[p, t], S[-1] = g0 in (0, 1): the
//               share of trusting people, decaying towards its baseline share b and gaining
//               a fraction 1 - e[t] of the untrusting share per period. Free: logit g0,
//               logit b, ln(rho ubar) with ubar = mean_t u[t] over the data (the national
//               model's shear: the data pin rho ubar, rho alone trades off against lam and
//               kappa); priors logit b ~ Normal(trust_base_logit_mean, trust_base_logit_sd),
//               logit g0 ~ Normal(logit b, g0_logit_sd), rho ~ HalfNormal(inflow_sd).
//   mu[g, t] = sum_k b[g, k] B[g, t, k] + tau[t] + gamma S_g[t]
//              + sum_{s conversion} beta[s, g] (1 + theta_g S_g[t]) h[s, g, t]
//   tau[t]      period effects shared by the geos (PanelModelData::period_effects;
//               Meridian's geo default, a knot per period): tau[0] = 0, tau[t] ~ Normal(0,
//               period_effect_sd) free for t >= 1; 0 without them and past the data
//   y[g, t] ~ Normal(mu[g, t], sigma)                  (per-capita scaled outcome), noise = iid
//   noise = ar1: each geo's residuals e[g, t] = y[g, t] - mu[g, t] follow e[g, t] = phi
//               e[g, t-1] + eps[g, t], eps ~ Normal(0, sigma), one |phi| < 1 for all geos,
//               e[g, 0] from the stationary Normal(0, sigma^2 / (1 - phi^2)): per geo the
//               national model's exact AR(1) likelihood -T ln sigma + ln(1 - phi^2) / 2 -
//               sum_t r[g, t]^2 / (2 sigma^2), r[g, 0] = sqrt(1 - phi^2) e[g, 0], r[g, t] =
//               e[g, t] - phi e[g, t-1]; free atanh phi ~ Normal(0, ar1_sd), last in z
//   tracker, national: q[t] ~ Normal(a_q + b_q Sn[t], sigma_q), Sn[t] = S[t] (national
//               stock) or sum_g pop[g, t] S_g[t] / sum_g pop[g, t] (geo stocks);
//   tracker, geo: q[g, t] ~ Normal(a_q + b_q S_g[t], sigma_q); observed entries only.
//   tracker_share (bounded form): the tracker is the survey share of trusting people
//               itself, national q[t] ~ Normal(Sn[t] + a_q, sqrt(se^2 + sigma_q^2)) or per geo
//               q[g, t] ~ Normal(S_g[t] + a_q, ...), unscaled, b_q = 1 fixed, one a_q ~
//               Normal(0, tracker_bias_sd) (a house bias), sigma_q ~
//               HalfNormal(tracker_share_sigma_sd); the free level is a_q + the mean tracked
//               share over the measured entries (the national model's shear).
//   With a known sampling error se per observation (tracker_se: a survey share's
//   sqrt(p (1 - p) / n) from its respondents n, in the tracker's scaled units) either
//   tracker is Normal(a_q + b_q S, sqrt(se^2 + sigma_q^2)), sigma_q the error beyond
//   sampling (the national model's tracker_se).
//
// Lift tests (PanelModelData::lift_tests; a geo experiment or holdout on a channel): test
//   k compares channel c's activity in its treated geos over the window [start, end) as in
//   the data with a counterfactual activity there (0 by default: the activity removed; or
//   given, e.g. the planned spend of a holdout that is in the data) and measured the lift
//   over [start, measured_end):
//     pred_k = sum_{g treated} sum_{t measured} W[t, g] beta[c, g] (1 + theta_g S_g[t])
//              (h[c, g, t] - hcf[c, g, t]),
//   hcf the geo's curve at the adstock of its activity with the window's activity replaced
//   by the counterfactual (negative pred for a holdout in the data: the outcome as run minus
//   the outcome had the channel run as planned; through the
//   adstock and the saturation at the actual activity: the model's own lift, exactly the
//   difference of two forward passes; W the population, build_panel()), and
//   lift_k ~ Normal(pred_k, sqrt(se_k^2 + tau_k^2)), tau_k the transfer sd (the national
//   model's calibration term, calibration.hpp). Its gradient reaches beta, theta, the
//   stock and the channel's alpha and lam (twice: the actual and the counterfactual pass).
//   On a channel that feeds the stocks (role trust or both) under per-geo stocks (trust
//   geo), the counterfactual also lowers the treated geo's stock by D = S - S_cf, D[t] =
//   delta_g D[t-1] + (1 - delta_g) kappa_c (h - hcf)[t] from D = 0 before the window (the
//   recursion is linear: its start and the crises cancel), and
//     pred_k = sum_{g, t} W[t, g] [(gamma + theta_g conv_g[t]) D[t]
//              + beta[c, g] (1 + theta_g (S_g[t] - D[t])) (h - hcf)[t]],
//   conv_g the geo's conversion term sum_s beta[s, g] h[s, g, t] (beta[c, g] = 0 for a
//   trust-only channel): the difference of two forward passes still, so a measured lift over
//   a long cooldown speaks to the geo's trust decay delta_g and to kappa. Under a national
//   stock a trust channel's test is refused (removing it in the treated geos moves every
//   geo's stock, the controls' too).
//
// Pooling (per parameter group: each baseline column, each conversion channel's effect):
//   complete: one value for all geos;
//   none:     one value per geo, each with the group's prior;
//   partial:  non-centred hierarchy, eta[g] ~ Normal(0, 1):
//               effects   beta[s, g] = mu_s exp(tau_s eta[g])  (log-normal geo effects
//                         around the channel's median mu_s, as Meridian), mu_s ~
//                         HalfNormal(beta_sd), tau_s ~ HalfNormal(effect_pool_sd);
//               baseline  b[g, k] = m_k + tau_k eta[g], m_k ~ Normal(0, baseline_sd),
//                         tau_k ~ HalfNormal(baseline_pool_sd).
//   complete and none put HalfNormal(beta_sd) on each beta and Normal(0, baseline_sd) on
//   each b.
// ROI priors (PanelModelPriors::roi_log_median, a conversion channel s with complete or
//   partial effect pooling): the free location is ln R_s, R_s = k_s sum_g beta[s, g] H[s, g]
//   the channel's own-term return on spend over the data, H[s, g] = sum_t W[t, g] h[s, g, t]
//   (W = PanelModelData::roi_weight, the population; k_s = roi_scale = value x y_scale /
//   the channel's spend over all geos and periods), with ln R_s ~ Normal(roi_log_median,
//   roi_sd_log) (Meridian's approach, and the national model's, trust_model.hpp). Complete:
//   beta_s = R_s / (k_s sum_g H[s, g]); partial: beta[s, g] = R_s e_g / (k_s Q_s), e_g =
//   exp(tau_s eta_g), Q_s = sum_g e_g H[s, g], so that the own-term ROI is R_s exactly
//   whatever the geo deviations (mu_s = R_s / (k_s Q_s) is the median reported);
//   eta_g ~ Normal(0, 1), tau_s ~ HalfNormal(effect_pool_sd). The own term leaves out the
//   amplification (1 + theta S), as nationally. H depends on alpha and lam, so the prior
//   reaches them: the gradient of ln beta through H is exact (d H / d alpha, d lam by one
//   more adjoint pass per geo). Every other prior is the national model's (TrustModelPriors),
//   so with G = 1, complete pooling, logistic curves and the same data the log posterior
//   density of the parameters is the national model's (the test checks it to 1e-10; the national model's unconstrained
//   parametrisation differs, by maps whose Jacobian is triangular with the same diagonal,
//   except that with a tracker its initial stock is scaled by 1 / b_q, a log-Jacobian -ln b_q).
//
// Unconstrained parameters: logit alpha, log lam, log beta (or ln mu, ln tau, eta), b (or
// m, ln tau, eta), ln sigma, isometric log-ratios of kappa (the national model's Helmert
// basis), logit delta, g0, ln gamma, ln theta, a_q, ln b_q, ln sigma_q; every log-Jacobian
// is in the density.
//
// Cost of one log density + gradient: O(G T C L) with the recursive adstock O(G T C); the
// geo loop runs on trustmix::parallel_for_blocks (deterministic: every geo writes its own
// slots, sums over geos run in geo order on the calling thread), serial when called from
// inside another parallel loop (the sampler's chains).
#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <numbers>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/mmm/spec.hpp"
#include "trustmix/mmm/trust_model.hpp"
#include "trustmix/transforms/adstock.hpp"
#include "trustmix/transforms/simd.hpp"

namespace trustmix::mmm {

/// How a parameter group is shared across geos (top of this file).
enum class Pooling : std::uint8_t { none, partial, complete };
[[nodiscard]] inline const char* to_string(Pooling p) {
  return p == Pooling::none ? "none" : p == Pooling::partial ? "partial" : "complete";
}
/// Where the trust stock lives: no stock (a standard panel MMM), one national stock, or
/// one stock per geo.
/// one stock per geo, or one national stock with a multiplicative geo deviation
/// (national_geo, "national+geo": S_g[t] = exp(xi_g) S[t], top of this file).
enum class TrustLevel : std::uint8_t { off, national, geo, national_geo };
[[nodiscard]] inline const char* to_string(TrustLevel l) {
  return l == TrustLevel::off        ? "off"
         : l == TrustLevel::national ? "national"
         : l == TrustLevel::geo      ? "geo"
                                     : "national+geo";
}

/// Saturation curve of a channel in the panel model (top of this file): the logistic
/// tanh(lam a / 2), or Hill's a^s / (a^s + ec^s) with a fixed slope s.
enum class SaturationForm : std::uint8_t { logistic, hill };
[[nodiscard]] inline const char* to_string(SaturationForm f) { return f == SaturationForm::hill ? "hill" : "logistic"; }

namespace detail {
/// Hill's h = a^s / (a^s + ec^s) (a >= 0, ec > 0, s >= 1), and dh/da, dh/dec.
struct HillPoint {
  double h, dh_da, dh_dec;
};
/// With r = (ec / a)^s: h = 1 / (1 + r), s h (1 - h) = s r / (1 + r)^2 (no cancellation
/// of 1 - h when a >> ec). An ec that is 0 or not finite (the free ln ec at +-709) gives
/// h = 1 or 0 with zero derivatives; a NaN a propagates.
[[nodiscard]] inline HillPoint hill_point(double a, double ec, double s) {
  if (std::isnan(a)) return {a, a, a};
  if (!(ec > 0.0)) return {a > 0.0 ? 1.0 : 0.0, 0.0, 0.0};
  if (!std::isfinite(ec)) return {0.0, 0.0, 0.0};
  if (s == 1.0) {  // a / (a + ec): exact derivatives without dividing by a
    const double den = a + ec, inv2 = 1.0 / (den * den);
    return {a / den, ec * inv2, -a * inv2};
  }
  if (!(a > 0.0)) return {0.0, 0.0, 0.0};  // s > 1: h and both derivatives vanish at a = 0
  const double r = std::pow(ec / a, s), h = 1.0 / (1.0 + r), q = s * r * h * h;  // q = s h (1 - h)
  return {h, q / a, -q / ec};
}
}  // namespace detail

/// A saturation curve's value h(a) and slope dh/da at one adstocked value a >= 0, with
/// parameter v (logistic: lam, h = tanh(v a / 2); Hill: ec, h = a^s / (a^s + ec^s)).
[[nodiscard]] inline std::pair<double, double> saturation_point(SaturationForm form, double slope, double v, double a) {
  if (form == SaturationForm::hill) {
    const detail::HillPoint q = detail::hill_point(a, v, slope);
    return {q.h, q.dh_da};
  }
  const double h = std::tanh(0.5 * v * a);
  return {h, 0.5 * v * (1.0 - h * h)};
}

/// Priors of the panel model: the national model's (TrustModelPriors; its beta_sd,
/// baseline_sd, alpha, lam, sigma, delta, g0, gamma, theta and tracker entries are used) and
/// the scales of the geo deviations under partial pooling.
struct PanelModelPriors {
  TrustModelPriors base;
  double effect_pool_sd = 0.5;    ///< tau_s ~ HalfNormal: sd of ln beta across geos
  double baseline_pool_sd = 0.5;  ///< tau_k ~ HalfNormal: sd of a baseline coefficient across geos (scaled units)
  /// Partial pooling of the curvature and trust parameters: the sd across geos of the free
  /// coordinate, tau ~ HalfNormal(.): logit alpha (adstock), ln lam (saturation), logit
  /// delta (trust half-life), ln theta (amplification). 0.5 on a logit or log scale lets a
  /// geo's value sit within about a factor 1.6 (odds) of the panel's median at one sd.
  double adstock_pool_sd = 0.5, saturation_pool_sd = 0.5, half_life_pool_sd = 0.5, amplification_pool_sd = 0.5;
  /// TrustLevel::national_geo: xi_g = tau_xi eta_g, eta_g ~ Normal(0, 1), tau_xi ~
  /// HalfNormal(stock_deviation_sd): a geo's stock within about +-30% of the national one
  /// at one prior sd of tau.
  double stock_deviation_sd = 0.3;
  /// Period effects (PanelModelData::period_effects): tau[t] ~ Normal(0, period_effect_sd)
  /// in scaled outcome units (the mean absolute per-capita outcome is 1): weak, about
  /// Meridian's Normal(0, 5) knots on its standardised outcome.
  double period_effect_sd = 2.0;
  /// Hill channels (PanelModelData::saturation): ln ec ~ Normal(hill_ec_log_median,
  /// hill_ec_sd_log), ec in scaled activity (1 = the channel's mean non-zero per-capita
  /// activity): by default half-saturated at typical activity, 90% prior range [0.19, 5.2].
  double hill_ec_log_median = 0.0, hill_ec_sd_log = 1.0;
  /// Or, when both are finite, ec ~ Normal(hill_ec_mean, hill_ec_sd) truncated to ec > 0
  /// (Meridian's family for ec, TruncatedNormal(0.8, 0.8) on [0.1, 10]; a truncation's
  /// constant does not change the posterior, its bounds only where the posterior has mass),
  /// on the free ln ec with its Jacobian: log density -(ec - mean)^2 / (2 sd^2) + ln ec.
  double hill_ec_mean = std::numeric_limits<double>::quiet_NaN();
  double hill_ec_sd = std::numeric_limits<double>::quiet_NaN();
  [[nodiscard]] bool hill_ec_normal() const { return std::isfinite(hill_ec_mean) || std::isfinite(hill_ec_sd); }
  /// ROI priors (top of this file), one entry per conversion channel in the order of
  /// PanelTrustModel::conversion_channels(), or all empty (none): ln R_s ~
  /// Normal(roi_log_median[s], roi_sd_log[s]) where roi_log_median[s] is finite (NaN: the
  /// effect's HalfNormal(beta_sd) prior); roi_scale[s] > 0 is k_s (value x y_scale / spend
  /// over the data, build_panel()). R_s is a return on spend (1 + ROI).
  Vector roi_log_median, roi_sd_log, roi_scale;
};

/// A lift test in model units (top of this file, "Lift tests"): channel c's activity in
/// `geos` over [start, end) replaced by `counterfactual` (empty: removed), the lift measured
/// over [start, measured_end) as sum_{g, t} W[t, g] (mu - mu_cf)[g, t] (W =
/// PanelModelData::lift_weight).
struct PanelLiftTest {
  int channel = 0;          ///< a converting channel, or one feeding per-geo stocks (trust geo)
  std::vector<int> geos;    ///< the treated geos (distinct)
  int start = 0, end = 0;   ///< the window [start, end)
  int measured_end = 0;     ///< end <= measured_end <= T
  double lift = 0.0;        ///< measured lift (units of W x the scaled outcome)
  double standard_error = 0.0;  ///< its standard error, > 0
  double transfer_sd = 0.0;     ///< tau >= 0: how far the test generalises to the model
  /// (end - start) x geos.size(): the counterfactual activity in the window (scaled like
  /// media), or empty: 0 (the activity removed).
  Matrix counterfactual;
  /// Week by week: one measured lift per measured period (measured_end - start values, units
  /// of W x the scaled outcome) and its variance se_t^2 + tau_t^2, each its own Normal term
  /// lift_t ~ Normal(pred_t, sqrt(v_t)); the lift's shape over the window and cooldown then
  /// speaks to the carry-over and the stock's decay. Empty: one total (lift, standard_error,
  /// transfer_sd).
  Vector period_lift, period_variance;
  /// Week by week: tau_t per measured period (units of period_lift, tau_t^2 <
  /// period_variance[t]), the weeks' transfer errors one common error: the values are
  /// jointly Normal with covariance diag(period_variance - tau^2) + tau tau^T (the national
  /// model's term, calibration.hpp). Empty: the weeks independent.
  Vector period_transfer;
};

/// Scaled data of one panel fit (build_panel() makes it from raw units).
struct PanelModelData {
  std::vector<Matrix> media;         ///< C matrices T x G: per-capita scaled activity x[c, g, t], >= 0
  Matrix national_media;             ///< T x C: xn[c, t], the population-weighted mean over geos
  Matrix weights;                    ///< T x G: pop[g, t] / sum_g pop[g, t] (rows sum to 1)
  std::vector<bool> trust;           ///< C: feeds the trust stock
  std::vector<bool> conversion;      ///< C: converts
  std::vector<Matrix> baseline;      ///< G matrices T x K: the baseline design of each geo
  std::vector<Pooling> baseline_pooling;  ///< K
  /// K flags, or empty (none): a partially pooled column's hierarchy is centred (Block)
  std::vector<bool> baseline_centred;
  /// C flags (read for conversion channels with partial effect pooling), or empty (none):
  /// the effect's hierarchy is centred, ln beta[c, g] free (Block)
  std::vector<bool> effect_centred;
  std::vector<Pooling> effect_pooling;    ///< C (read for conversion channels)
  /// Pooling of adstock alpha_c and saturation lam_c across geos: C entries, or empty for
  /// complete (the default: one value per channel for all geos).
  std::vector<Pooling> adstock_pooling, saturation_pooling;
  /// Saturation curve per channel (C entries, or empty: logistic for all) and the fixed
  /// Hill slope s >= 1 per channel (C entries, or empty: 1; read for Hill channels).
  std::vector<SaturationForm> saturation;
  Vector hill_slope;
  /// Uncertain apportioning shares (top of this file): C entries (>= 0; 0 the share is
  /// known), or empty (all known). Read for channels whose geo series enter the likelihood
  /// (not a trust-only channel under a national stock: its national series does not depend
  /// on the share). build_panel() sets it for national channels only.
  Vector share_sd;
  /// G x C: each geo's mean share of the channel's national activity over the periods
  /// (each column read where share_sd > 0: >= 0, summing to 1).
  Matrix share_mean;
  Pooling half_life_pooling = Pooling::complete;      ///< trust retention delta (trust level geo only)
  Pooling amplification_pooling = Pooling::complete;  ///< amplification theta (with a trust stock)
  Matrix y;                          ///< T x G scaled outcome
  TrustLevel trust_level = TrustLevel::national;
  Matrix tracker;                    ///< T x 1 (national) or T x G (geo), NaN where unmeasured; empty for none
  /// The tracker's known sampling standard error per entry (same shape as tracker, >= 0,
  /// scaled units), or empty: none (sigma_q alone).
  Matrix tracker_se;
  /// The trust stock's recursion (top of this file): linear (the default, an index) or
  /// bounded (a share of people in [0, 1]); bounded needs one national stock (trust level
  /// national or national+geo).
  TrustForm trust_form = TrustForm::linear;
  /// The tracker (national T x 1, or per geo T x G) measures the bounded stock's share
  /// itself (top of this file): its values must be shares in [0, 1], fitted unscaled.
  bool tracker_share = false;
  /// T x E crisis indicators d[t, e] >= 0 that damage every trust stock (top of this file),
  /// or empty (none); need a trust stock.
  Matrix shocks;
  Noise noise = Noise::iid;          ///< residuals' time structure per geo (top of this file)
  /// One effect per period shared by the geos, tau[t] (top of this file): T - 1 free
  /// parameters, evaluated once per log density (not per geo), gradient the sum over geos of
  /// dL/dmu[g, t].
  bool period_effects = false;
  int max_lag = 12;
  int threads = 1;                   ///< geo loop threads (0: hardware); results identical for every value
  /// T x G weights W of a ROI prior's own term, H[s, g] = sum_t W[t, g] h[s, g, t] (>= 0;
  /// build_panel() sets the population: raw outcome per scaled per-capita unit / y_scale);
  /// empty: ones. Read only with ROI priors.
  Matrix roi_weight;
  /// Lift tests (top of this file), and the T x G weights W of their lift (>= 0;
  /// build_panel() sets the population: raw outcome / y_scale per scaled per-capita unit;
  /// empty: ones).
  std::vector<PanelLiftTest> lift_tests;
  Matrix lift_weight;
};

/// Constrained parameters of one evaluation.
struct PanelModelParameters {
  /// C: the channel's value (complete pooling), the hierarchy's median (partial, the
  /// transformed location) or the transformed mean of the geos' free values (none); the
  /// national stock's series use it.
  Vector alpha, lam;
  /// C x G: each geo's alpha and lam (what the geo's likelihood uses; with an uncertain
  /// share lam_geo holds lam m[c, g] (logistic) or ec / m[c, g] (Hill), top of this file)
  Matrix alpha_geo, lam_geo;
  /// C x G: the share multipliers m[c, g] (ones where the share is known)
  Matrix share_multiplier;
  Vector alpha_tau, lam_tau;  ///< C: partial pooling's sd of logit alpha / ln lam across geos (NaN otherwise)
  Vector delta_geo, theta_geo;  ///< G: each geo's delta and theta (delta, theta: the location as for alpha)
  double delta_tau = 0.0, theta_tau = 0.0;  ///< partial pooling's sd of logit delta / ln theta (NaN otherwise)
  Vector stock_multiplier;     ///< G: exp(xi_g) (national_geo; ones otherwise)
  double stock_tau = 0.0;      ///< national_geo: tau_xi (NaN otherwise)
  Vector kappa;       ///< P
  Matrix beta;        ///< S x G
  Matrix b;           ///< K x G
  Vector beta_median, beta_tau;  ///< S: partial pooling's mu_s and tau_s (NaN otherwise)
  Vector b_mean, b_tau;          ///< K: partial pooling's m_k and tau_k (NaN otherwise)
  double sigma = 1.0, delta = 0.0, g0 = 0.0, gamma = 0.0, theta = 0.0;
  double tracker_a = 0.0, tracker_b = 0.0, tracker_sigma = 1.0;
  /// Bounded trust form (top of this file): the baseline share b, the inflow strength rho,
  /// and the mean inflow ubar over the data (rho's free coordinate is ln(rho ubar)); 0, 0, 1 otherwise.
  double trust_base = 0.0, inflow = 0.0, inflow_mean = 1.0;
  Vector omega;  ///< E: each crisis's damage omega_e (PanelModelData::shocks; empty without)
  double ar1 = 0.0;  ///< AR(1) coefficient phi of every geo's residuals (Noise::ar1; 0 for iid)
  /// T: the period effects tau[t], tau[0] = 0 (PanelModelData::period_effects; zeros otherwise)
  Vector period_effect;
};

/// Every intermediate of one forward pass (per-capita scaled units).
struct PanelForward {
  std::vector<Matrix> saturated;   ///< C matrices T x G: h
  Matrix stock;                    ///< T x G: S_g[t]
  Matrix base, trust_direct, mu;   ///< T x G
  std::vector<Matrix> conversion_own, amplification;  ///< S matrices T x G: beta h and beta theta S h
};

/// Scratch buffers of one evaluation (one per thread).
struct PanelWorkspace {
  std::vector<Matrix> A, dA, H, gH;  ///< G matrices T x C
  Matrix An, dAn, Hn, gHn;           ///< T x C: the national series (national stock)
  Matrix S, gS, mu, gmu, conv;       ///< T x G
  Matrix gbeta, gb;                  ///< S x G, K x G
  /// S x G, ROI priors: H[s, g] = sum_t W[t, g] h[s, g, t] and its derivatives by the geo's
  /// lam and alpha (rows of channels without a ROI prior unused)
  Matrix roi_h, roi_dlam, roi_dalpha;
  Matrix part;                       ///< per-geo partial sums of the shared parameters' gradients (rows) x G
  Vector ll;                         ///< G: per-geo log-likelihood
  Vector Sn, gSn, u, ga;             ///< T
  Vector Sw, gSw;                    ///< T: the population-weighted stock (national tracker on geo stocks)
  Vector damage, lam;                ///< the crises' damage c[t] (empty without shocks); the national stock's adjoint
  /// Lift tests: per test T x (its geos) the counterfactual adstock, its d/dalpha and the
  /// curve; and dL/dpred per test
  std::vector<Matrix> lift_a, lift_da, lift_h;
  /// Lift tests: per test T x (its geos) the stock's difference D = S - S_cf (a test on a
  /// channel that feeds geo stocks; else unused) and dL/d(h - h_cf), the curves' adjoint
  std::vector<Matrix> lift_D, lift_gdh;
  Vector lift_q;
  /// Week-by-week tests: per test the predicted lift of each measured period and dL/dpred_t
  std::vector<Vector> lift_pt, lift_qt;
  Vector ex, sx;                     ///< T: bounded form, e[t] = exp(-rho u[t]) and the crises' survival s[t]
  /// T: the baseline's shared part (columns pooled completely and the same in every geo,
  /// evaluated once per evaluation) and the sum over geos of dL/dmu (its adjoint)
  Vector mu_shared, gmu_sum;
  PanelModelParameters params;
  /// The id of the model the buffers were last sized for (PanelTrustModel::resize): a
  /// workspace may serve several models (PanelTarget keeps one per thread).
  std::uint64_t sized_for = 0;
};

class PanelTrustModel {
 public:
  explicit PanelTrustModel(PanelModelData data, PanelModelPriors priors = {}) : d_(std::move(data)), pr_(std::move(priors)) {
    validate();
    layout();
    static std::atomic<std::uint64_t> next_id{0};
    id_ = ++next_id;  // (a copy shares it: the same sizes)
  }

  [[nodiscard]] int dimension() const { return n_; }
  [[nodiscard]] const std::vector<std::string>& parameter_names() const { return names_; }
  [[nodiscard]] const PanelModelData& data() const { return d_; }
  [[nodiscard]] const PanelModelPriors& priors() const { return pr_; }
  [[nodiscard]] int geos() const { return G_; }
  [[nodiscard]] int periods() const { return T_; }
  [[nodiscard]] int channels() const { return C_; }
  [[nodiscard]] bool trust_enabled() const { return d_.trust_level != TrustLevel::off; }
  [[nodiscard]] bool has_tracker() const { return n_tracker_obs_ > 0; }
  /// True for the bounded trust form (PanelModelData::trust_form, top of this file).
  [[nodiscard]] bool bounded() const { return trust_enabled() && d_.trust_form == TrustForm::bounded; }
  /// True when the tracker measures the bounded stock's share itself (PanelModelData::tracker_share).
  [[nodiscard]] bool tracker_share() const { return has_tracker() && bounded() && d_.tracker_share; }
  /// True when the residuals are AR(1) (Noise::ar1; one more free parameter, atanh phi, last in z).
  [[nodiscard]] bool ar1() const { return d_.noise == Noise::ar1; }
  [[nodiscard]] const std::vector<int>& conversion_channels() const { return conv_idx_; }
  /// Conversion channels whose effect has a ROI prior (PanelModelPriors::roi_log_median).
  [[nodiscard]] int roi_prior_count() const { return n_roi_; }
  [[nodiscard]] const std::vector<int>& trust_channels() const { return trust_idx_; }
  /// The name of channel c's saturation parameter: "lam" (logistic) or "ec" (Hill).
  [[nodiscard]] std::string_view lam_name(int c) const { return saturation_form(c) == SaturationForm::hill ? "ec" : "lam"; }
  /// Channel c's saturation curve and its Hill slope s (1 for a logistic channel).
  [[nodiscard]] SaturationForm saturation_form(int c) const {
    return d_.saturation.empty() ? SaturationForm::logistic : d_.saturation[static_cast<std::size_t>(c)];
  }
  [[nodiscard]] double hill_slope(int c) const { return d_.hill_slope.size() == 0 ? 1.0 : d_.hill_slope[c]; }
  /// Channel c's saturation h(a) at its parameter v (logistic: lam; Hill: ec) and dh/da,
  /// for one adstocked value a >= 0 (the planner's element-wise form of saturate()).
  [[nodiscard]] std::pair<double, double> saturation_point(int c, double v, double a) const {
    return mmm::saturation_point(saturation_form(c), hill_slope(c), v, a);
  }
  /// Channels whose apportioning share is uncertain (PanelModelData::share_sd > 0, geo
  /// series in the likelihood), in channel order; each has G free z[c, g] ("share_z[c,g]").
  [[nodiscard]] const std::vector<int>& share_channels() const { return share_idx_; }
  /// What a share multiplier m does to channel c's saturation parameter: lam m (logistic),
  /// ec / m (Hill): the factor m or 1 / m (the adstock is linear in the activity).
  [[nodiscard]] double share_factor(int c, double m) const {
    return saturation_form(c) == SaturationForm::hill ? 1.0 / m : m;
  }

  /// Names of the constrained parameters in the order of constrain_into(): alpha[c],
  /// lam[c], beta[c,g] (conversion channels, geo-major per channel), b[k,g], sigma, then
  /// with trust kappa[c], delta, g0, gamma, theta (tracker_a, tracker_b, tracker_sigma), then
  /// the partial pooling hyperparameters beta_median[c], beta_tau[c], b_mean[k], b_tau[k].
  [[nodiscard]] std::vector<std::string> constrained_names() const {
    std::vector<std::string> n;
    n.reserve(names_.size());  // a capacity hint: about the number of free parameters
    const auto s = [](auto v) { return std::to_string(v); };
    for (int c = 0; c < C_; ++c) n.push_back("alpha[" + s(c) + "]");
    for (int c = 0; c < C_; ++c) n.push_back(std::string(lam_name(c)) + "[" + s(c) + "]");
    for (int c : conv_idx_)
      for (int g = 0; g < G_; ++g) n.push_back("beta[" + s(c) + "," + s(g) + "]");
    for (int k = 0; k < K_; ++k)
      for (int g = 0; g < G_; ++g) n.push_back("b[" + s(k) + "," + s(g) + "]");
    n.emplace_back("sigma");
    if (trust_enabled()) {
      for (int c : trust_idx_) n.push_back("kappa[" + s(c) + "]");
      for (const char* v : {"delta", "g0", "gamma", "theta"}) n.emplace_back(v);
      if (has_tracker())
        for (const char* v : {"tracker_a", "tracker_b", "tracker_sigma"}) n.emplace_back(v);
      if (bounded())
        for (const char* v : {"trust_base", "trust_inflow"}) n.emplace_back(v);
      for (int e = 0; e < E_; ++e) n.push_back("omega[" + s(e) + "]");
    }
    for (std::size_t j = 0; j < conv_idx_.size(); ++j)
      if (effect_blocks_[j].kind == Pooling::partial) {
        n.push_back("beta_median[" + s(conv_idx_[j]) + "]");
        n.push_back("beta_tau[" + s(conv_idx_[j]) + "]");
      }
    for (int k = 0; k < K_; ++k)
      if (base_blocks_[static_cast<std::size_t>(k)].kind == Pooling::partial) {
        n.push_back("b_mean[" + s(k) + "]");
        n.push_back("b_tau[" + s(k) + "]");
      }
    // per-geo curvature and trust parameters (pooling none or partial), then their taus
    auto geo_names = [&](const FreeBlock& bl, const std::string& what, const std::string& ch) {
      if (bl.kind == Pooling::complete) return;
      const std::string head = what + "[" + ch + (ch.empty() ? "" : ",");  // what[ch,g] or what[g]
      for (int g = 0; g < G_; ++g) n.push_back(head + s(g) + "]");
      if (bl.kind == Pooling::partial) n.push_back(what + "_tau" + (ch.empty() ? "" : "[" + ch + "]"));
    };
    for (int c = 0; c < C_; ++c) geo_names(alpha_blocks_[static_cast<std::size_t>(c)], "alpha", s(c));
    for (int c = 0; c < C_; ++c) geo_names(lam_blocks_[static_cast<std::size_t>(c)], std::string(lam_name(c)), s(c));
    if (trust_enabled()) {
      geo_names(delta_block_, "delta", "");
      geo_names(theta_block_, "theta", "");
      if (d_.trust_level == TrustLevel::national_geo) {
        for (int g = 0; g < G_; ++g) n.push_back("stock_multiplier[" + s(g) + "]");
        n.emplace_back("stock_deviation_tau");
      }
    }
    if (d_.period_effects)
      for (int t = 1; t < T_; ++t) n.push_back("period_effect[" + s(t) + "]");
    for (int c : share_idx_)
      for (int g = 0; g < G_; ++g) n.push_back("share_multiplier[" + s(c) + "," + s(g) + "]");
    if (ar1()) n.emplace_back("ar1_phi");
    return n;
  }
  [[nodiscard]] Eigen::Index constrained_dimension() const { return static_cast<Eigen::Index>(constrained_names().size()); }

  /// Maps unconstrained z to the constrained parameters.
  [[nodiscard]] PanelModelParameters constrain(const Eigen::Ref<const Vector>& z) const {
    PanelModelParameters p;
    constrain_into_params(z, p);
    return p;
  }
  /// Writes the constrained parameters of z (order of constrained_names()) into out.
  void constrain(const Eigen::Ref<const Vector>& z, Eigen::Ref<Vector> out) const {
    const PanelModelParameters p = constrain(z);
    Eigen::Index i = 0;
    auto put = [&](double v) { out[i++] = v; };
    for (int c = 0; c < C_; ++c) put(p.alpha[c]);
    for (int c = 0; c < C_; ++c) put(p.lam[c]);
    for (int j = 0; j < S_; ++j)
      for (int g = 0; g < G_; ++g) put(p.beta(j, g));
    for (int k = 0; k < K_; ++k)
      for (int g = 0; g < G_; ++g) put(p.b(k, g));
    put(p.sigma);
    if (trust_enabled()) {
      for (int i2 = 0; i2 < P_; ++i2) put(p.kappa[i2]);
      for (double v : {p.delta, p.g0, p.gamma, p.theta}) put(v);
      if (has_tracker())
        for (double v : {p.tracker_a, p.tracker_b, p.tracker_sigma}) put(v);
      if (bounded())
        for (double v : {p.trust_base, p.inflow}) put(v);
      for (int e = 0; e < E_; ++e) put(p.omega[e]);
    }
    for (int j = 0; j < S_; ++j)
      if (effect_blocks_[static_cast<std::size_t>(j)].kind == Pooling::partial) {
        put(p.beta_median[j]);
        put(p.beta_tau[j]);
      }
    for (int k = 0; k < K_; ++k)
      if (base_blocks_[static_cast<std::size_t>(k)].kind == Pooling::partial) {
        put(p.b_mean[k]);
        put(p.b_tau[k]);
      }
    auto geo_values = [&](const FreeBlock& bl, const auto& values, double tau) {
      if (bl.kind == Pooling::complete) return;
      for (int g = 0; g < G_; ++g) put(values[g]);
      if (bl.kind == Pooling::partial) put(tau);
    };
    for (int c = 0; c < C_; ++c) geo_values(alpha_blocks_[static_cast<std::size_t>(c)], p.alpha_geo.row(c), p.alpha_tau[c]);
    for (int c = 0; c < C_; ++c) geo_values(lam_blocks_[static_cast<std::size_t>(c)], p.lam_geo.row(c), p.lam_tau[c]);
    if (trust_enabled()) {
      geo_values(delta_block_, p.delta_geo, p.delta_tau);
      geo_values(theta_block_, p.theta_geo, p.theta_tau);
      if (d_.trust_level == TrustLevel::national_geo) {
        for (int g = 0; g < G_; ++g) put(p.stock_multiplier[g]);
        put(p.stock_tau);
      }
    }
    if (d_.period_effects)
      for (int t = 1; t < T_; ++t) put(p.period_effect[t]);
    for (int c : share_idx_)
      for (int g = 0; g < G_; ++g) put(p.share_multiplier(c, g));
    if (ar1()) put(p.ar1);
  }

  /// The unconstrained point of given constrained parameters (the inverse of constrain());
  /// partial pooling blocks need beta_median/beta_tau (b_mean/b_tau) and take eta from
  /// beta (b). Used to start from a national fit and by the tests.
  [[nodiscard]] Vector unconstrain(const PanelModelParameters& p) const {
    Vector z = Vector::Zero(n_);
    const auto logit = [](double v) { return std::log(v / (1.0 - v)); };
    const auto tau_or = [](const Vector& v, Eigen::Index i) { return v.size() > i && v[i] > 0.0 ? v[i] : 0.1; };
    // per-geo values: the given ones, or the channel's value in every geo
    PanelModelParameters q;
    q.alpha_geo = p.alpha_geo.rows() == C_ && p.alpha_geo.cols() == G_ ? p.alpha_geo : Matrix(p.alpha.replicate(1, G_));
    q.lam_geo = p.lam_geo.rows() == C_ && p.lam_geo.cols() == G_ ? p.lam_geo : Matrix(p.lam.replicate(1, G_));
    // uncertain shares: the given multipliers (rows summing to 1 with the mean shares), or
    // ones; p.lam_geo holds lam m (logistic) or ec / m (Hill) where given per geo
    const bool given_m = p.share_multiplier.rows() == C_ && p.share_multiplier.cols() == G_;
    for (int c : share_idx_) {
      const double sd = d_.share_sd[c];
      for (int g = 0; g < G_; ++g) {
        const double m = given_m ? p.share_multiplier(c, g) : 1.0;
        z[o_share_ + share_slot_[static_cast<std::size_t>(c)] * G_ + g] = std::log(m) / sd;
        if (p.lam_geo.rows() == C_ && p.lam_geo.cols() == G_) q.lam_geo(c, g) /= share_factor(c, m);
      }
    }
    for (int c = 0; c < C_; ++c) {
      const Vector va = q.alpha_geo.row(c).transpose().unaryExpr(logit);
      const Vector vl = q.lam_geo.row(c).transpose().array().log();
      alpha_blocks_[static_cast<std::size_t>(c)].unconstrain(va, logit(p.alpha[c]), tau_or(p.alpha_tau, c), z);
      lam_blocks_[static_cast<std::size_t>(c)].unconstrain(vl, std::log(p.lam[c]), tau_or(p.lam_tau, c), z);
    }
    Matrix roi_h;  // ROI priors: H at the given (per-geo) alpha and lam (with the multipliers)
    if (n_roi_ > 0) {
      roi_h.resize(S_, G_);
      for (int c : share_idx_)
        for (int g = 0; g < G_; ++g) q.lam_geo(c, g) *= share_factor(c, given_m ? p.share_multiplier(c, g) : 1.0);
      roi_weighted_saturation(q, roi_h);
    }
    for (int j = 0; j < S_; ++j) {
      const Block& bl = effect_blocks_[static_cast<std::size_t>(j)];
      Vector v = p.beta.row(j).transpose().array().log();
      bl.unconstrain(v, bl.kind == Pooling::partial ? std::log(p.beta_median[j]) : 0.0,
                     bl.kind == Pooling::partial ? p.beta_tau[j] : 0.0, z);
      // ROI prior: the first slot is ln R = ln(k sum_g beta_g H_g) (eta as above: then
      // R / (k Q) is the given median)
      if (bl.roi) z[bl.offset] = std::log(bl.roi_scale * p.beta.row(j).dot(roi_h.row(j)));
    }
    for (int k = 0; k < K_; ++k) {
      const Block& bl = base_blocks_[static_cast<std::size_t>(k)];
      Vector v = p.b.row(k).transpose();
      bl.unconstrain(v, bl.kind == Pooling::partial ? p.b_mean[k] : 0.0, bl.kind == Pooling::partial ? p.b_tau[k] : 0.0, z);
    }
    z[o_sigma_] = std::log(p.sigma);
    if (trust_enabled()) {
      // kappa = softmax(V u): u = V' ln kappa (V' 1 = 0, V'V = I).
      z.segment(o_kappa_, P_ - 1) = helmert_.transpose() * p.kappa.array().log().matrix();
      Vector vd(G_), vt(G_);
      for (int g = 0; g < G_; ++g) {
        vd[g] = logit(p.delta_geo.size() == G_ ? p.delta_geo[g] : p.delta);
        vt[g] = std::log(p.theta_geo.size() == G_ ? p.theta_geo[g] : p.theta);
      }
      delta_block_.unconstrain(vd, logit(p.delta), p.delta_tau > 0.0 ? p.delta_tau : 0.1, z);
      z[o_g0_] = bounded() ? logit(p.g0) : p.g0;
      z[o_gamma_] = std::log(p.gamma);
      theta_block_.unconstrain(vt, std::log(p.theta), p.theta_tau > 0.0 ? p.theta_tau : 0.1, z);
      if (d_.trust_level == TrustLevel::national_geo) {
        const double tau = p.stock_tau > 0.0 ? p.stock_tau : 0.1;
        z[o_dev_] = std::log(tau);
        for (int g = 0; g < G_; ++g)
          z[o_dev_ + 1 + g] = p.stock_multiplier.size() == G_ ? std::log(p.stock_multiplier[g]) / tau : 0.0;
      }
      if (has_tracker() && !tracker_share()) {
        z[o_tracker_] = p.tracker_a;
        z[o_tracker_ + 1] = std::log(p.tracker_b);
        z[o_tracker_ + 2] = std::log(p.tracker_sigma);
      }
      for (int e = 0; e < E_; ++e) z[o_omega_ + e] = std::log(p.omega.size() == E_ ? p.omega[e] : 0.1);
      if (bounded()) {  // logit b, ln(rho ubar) at p's trust channels; the share tracker's level a_q + mean share
        z[o_tform_] = logit(p.trust_base);
        Matrix An(T_, C_), dAn(T_, C_), Hn(T_, C_);
        Vector u(T_), S(T_);
        national_inflow(p, An, dAn, Hn, u);
        z[o_tform_ + 1] = std::log(p.inflow * u.mean());
        if (tracker_share()) {
          bounded_path(p, u, S);
          const Vector m = p.stock_multiplier.size() == G_ ? p.stock_multiplier : Vector(Vector::Ones(G_));
          z[o_tracker_] = p.tracker_a + tracked_mean(S, m);
          z[o_tracker_ + 1] = std::log(p.tracker_sigma);
        }
      }
    }
    if (d_.period_effects && p.period_effect.size() == T_) z.segment(o_period_, T_ - 1) = p.period_effect.tail(T_ - 1);
    if (ar1()) z[o_ar1_] = std::atanh(p.ar1);
    return z;
  }

  /// Log posterior density (up to a constant, every log-Jacobian included) at
  /// unconstrained z; writes its gradient. Const: one workspace per concurrent caller.
  double log_density(const Eigen::Ref<const Vector>& z, Eigen::Ref<Vector> grad, PanelWorkspace& ws) const {
    check_dimension(z);
    resize(ws);
    grad.setZero();
    ws.lift_q.setConstant(std::numeric_limits<double>::quiet_NaN());  // lift_terms() sets them (predicted_lift)
    PanelModelParameters& p = ws.params;
    constrain_into_params(z, p, false, false);  // ROI effects, rho, a_q of a share tracker: below
    constexpr double minus_inf = -std::numeric_limits<double>::infinity();
    if (!(p.sigma > 0.0) || !std::isfinite(p.sigma)) return minus_inf;
    const int T = T_;
    const bool national = d_.trust_level == TrustLevel::national;
    const bool deviation = d_.trust_level == TrustLevel::national_geo;
    // ---- forward: the national stock (before the geo loop: every geo reads it) ----------
    ws.damage = shock_damage(p);  // (empty without shocks)
    if (national || deviation) {
      national_inflow(p, ws.An, ws.dAn, ws.Hn, ws.u);
      if (bounded()) {  // rho = exp(z) / ubar (the free ln(rho ubar))
        p.inflow_mean = ws.u.mean();
        if (!(p.inflow_mean > 0.0)) return minus_inf;
        p.inflow = std::exp(z[o_tform_ + 1]) / p.inflow_mean;
        TrustModel::bounded_stock_recursion(p.delta, p.g0, p.trust_base, p.inflow, ws.u, p.omega, d_.shocks, ws.Sn,
                                            ws.ex.data(), ws.sx.data());
      } else {
        stock_recursion(p.delta, p.g0, ws.u, ws.damage, ws.Sn);
      }
    }
    // ---- the baseline's shared columns, once for all geos ----------------------------------
    shared_baseline(p, ws.mu_shared);
    // ---- forward per geo: channels, geo stock, mu ---------------------------------------
    if (n_roi_ == 0) {
      parallel_for_blocks(G_, d_.threads, 2, [&](std::ptrdiff_t g0, std::ptrdiff_t g1) {
        Vector u(T);
        for (auto gg = g0; gg < g1; ++gg) {
          forward_media_geo(static_cast<int>(gg), p, ws, u);
          forward_mu_geo(static_cast<int>(gg), p, ws, u);
        }
      });
    } else {  // ROI priors: every geo's H before any effect (each effect depends on all geos)
      parallel_for_blocks(G_, d_.threads, 2, [&](std::ptrdiff_t g0, std::ptrdiff_t g1) {
        Vector scratch(T);
        for (auto gg = g0; gg < g1; ++gg) forward_media_geo(static_cast<int>(gg), p, ws, scratch);
      });
      for (int j = 0; j < S_; ++j)
        if (effect_blocks_[static_cast<std::size_t>(j)].roi && !(ws.roi_h.row(j).sum() > 0.0)) return minus_inf;
      fill_roi_effects(z, ws.roi_h, p);
      parallel_for_blocks(G_, d_.threads, 2, [&](std::ptrdiff_t g0, std::ptrdiff_t g1) {
        Vector u(T);
        for (auto gg = g0; gg < g1; ++gg) forward_mu_geo(static_cast<int>(gg), p, ws, u);
      });
    }
    // ---- tracker (national level needs every geo's stock: serial, before the backward) ----
    double lp = 0.0;
    if (!d_.lift_tests.empty()) lp += lift_terms(p, ws);  // sets ws.lift_q, read by backward_geo
    ws.gSn.setZero();
    ws.gS.setZero();
    if (has_tracker()) {
      if (d_.tracker.cols() == 1) {
        if (national) {
          lp += tracker_share() ? share_tracker_term(z, ws.Sn, p, ws.gSn, grad)
                                : tracker_term(d_.tracker.col(0), ws.Sn, p, ws.gSn, grad, 0);
        } else {  // geo stocks: the tracker measures their population-weighted mean
          ws.Sw = (ws.S.cwiseProduct(d_.weights)).rowwise().sum();
          ws.gSw.setZero();
          lp += tracker_share() ? share_tracker_term(z, ws.Sw, p, ws.gSw, grad)
                                : tracker_term(d_.tracker.col(0), ws.Sw, p, ws.gSw, grad, 0);
          ws.gS = d_.weights.array().colwise() * ws.gSw.array();
        }
      } else if (tracker_share()) {
        lp += share_tracker_term(z, ws.S, p, ws.gS, grad);
      } else {
        for (int g = 0; g < G_; ++g) lp += tracker_term(d_.tracker.col(g), ws.S.col(g), p, ws.gS.col(g), grad, g);
      }
      if (!tracker_share()) {  // (a share tracker's house bias has its prior in share_tracker_term)
        lp += -0.5 * p.tracker_a * p.tracker_a / (pr_.base.tracker_a_sd * pr_.base.tracker_a_sd);
        grad[o_tracker_] += -p.tracker_a / (pr_.base.tracker_a_sd * pr_.base.tracker_a_sd);
      }
    }
    // ---- likelihood and backward per geo -------------------------------------------------
    ws.part.setZero();
    parallel_for_blocks(G_, d_.threads, 2, [&](std::ptrdiff_t g0, std::ptrdiff_t g1) {
      Vector lam_adj(T), ga(T), lam(E_ > 0 ? T : 0);
      for (auto gg = g0; gg < g1; ++gg) backward_geo(static_cast<int>(gg), p, ws, lam_adj, ga, lam);
    });
    if (!shared_cols_.empty() || d_.period_effects) {  // the shared part's adjoint: sum_g dL/dmu_g (geo order)
      ws.gmu_sum = ws.gmu.col(0);
      for (int g = 1; g < G_; ++g) ws.gmu_sum += ws.gmu.col(g);
      for (std::size_t i = 0; i < shared_cols_.size(); ++i)  // dL/db of the shared columns: B_shared' sum_g dL/dmu_g
        ws.gb(shared_cols_[i], 0) = shared_design_.col(static_cast<Eigen::Index>(i)).dot(ws.gmu_sum);
      if (d_.period_effects) {  // dL/dtau[t] = sum_g dL/dmu[g, t], prior Normal(0, period_effect_sd)
        const double v = pr_.period_effect_sd * pr_.period_effect_sd;
        const auto tau = z.segment(o_period_, T_ - 1);
        grad.segment(o_period_, T_ - 1) += ws.gmu_sum.tail(T_ - 1) - tau / v;
        lp += -0.5 * tau.squaredNorm() / v;
      }
    }
    // Sums over geos in geo order (deterministic for every thread count).
    const double n_obs = static_cast<double>(G_) * T;
    double ss = 0.0;
    for (int g = 0; g < G_; ++g) {
      lp += ws.ll[g];
      ss += ws.part(r_ss_, g);
    }
    if (!std::isfinite(lp)) return minus_inf;
    const double s2 = p.sigma * p.sigma;
    lp += -0.5 * ss / s2 - n_obs * std::log(p.sigma) - 0.5 * n_obs * std::log(2.0 * std::numbers::pi);
    grad[o_sigma_] += -n_obs + ss / s2;
    const Vector shared = ws.part.rowwise().sum();
    if (ar1()) {  // G ln(1 - phi^2) / 2 and d/dphi of -ss / (2 sigma^2), on the free atanh phi
      const double phi = p.ar1, one_m = 1.0 - phi * phi;
      lp += 0.5 * G_ * std::log(one_m);
      grad[o_ar1_] += (-G_ * phi / one_m + shared[r_phi_] / s2) * one_m;
    }
    if (trust_enabled()) {
      grad[o_gamma_] += shared[r_gamma_] * p.gamma;
      Vector gkappa = shared.segment(r_kappa_, P_);
      double gdelta = 0.0, gg0 = shared[r_g0_];
      if (national || deviation) {
        // the national stock's adjoint: gSn[t] (tracker) + sum_g m_g gS_g[t] (outcome; m_g = 1
        // for national), and dL/dxi_g = gS_g . S_g for the geo deviations
        if (national) {
          for (int g = 0; g < G_; ++g) ws.gSn += ws.gS.col(g);
        } else {
          Vector gxi(G_);
          for (int g = 0; g < G_; ++g) {
            gxi[g] = ws.gS.col(g).dot(ws.S.col(g));
            ws.gSn += p.stock_multiplier[g] * ws.gS.col(g);
          }
          const double tau = p.stock_tau;
          double gtau = 0.0;
          for (int g = 0; g < G_; ++g) {
            const double eta = z[o_dev_ + 1 + g];
            gtau += gxi[g] * eta * tau;
            grad[o_dev_ + 1 + g] += gxi[g] * tau;
          }
          grad[o_dev_] += gtau;
        }
        if (bounded()) {
          lp += bounded_adjoint(p, ws, grad, gdelta, gg0);  // ws.ga: dL/du[t]; rho's prior; the shocks
        } else {
          stock_adjoint(p.delta, p.g0, ws.Sn, ws.u, ws.gSn, ws.ga, gdelta, gg0, ws.lam.data());
          for (int e = 0; e < E_; ++e) grad[o_omega_ + e] += -ws.lam.dot(d_.shocks.col(e)) * p.omega[e];
        }
        for (int i = 0; i < P_; ++i) {
          const int c = trust_idx_[static_cast<std::size_t>(i)];
          gkappa[i] += ws.ga.dot(ws.Hn.col(c));
          ws.gHn.col(c) = p.kappa[i] * ws.ga;
          Vector gan(T);
          const double glam = saturate_adjoint(c, ws.An.col(c).data(), ws.Hn.col(c).data(), ws.gHn.col(c).data(), p.lam[c],
                                               gan.data(), T);
          // the national series uses the location: its free coordinate is each block's first slot
          grad[lam_blocks_[static_cast<std::size_t>(c)].offset] += glam * p.lam[c];
          grad[alpha_blocks_[static_cast<std::size_t>(c)].offset] += gan.dot(ws.dAn.col(c)) * p.alpha[c] *
                                                                     (1.0 - p.alpha[c]);
        }
        grad[delta_block_.offset] += gdelta * p.delta * (1.0 - p.delta);  // (delta pooled completely here)
      }  // (geo stocks: the per-geo delta gradients are in ws.part, see shared_priors)
      grad[o_g0_] += bounded() ? gg0 * p.g0 * (1.0 - p.g0) : gg0;  // bounded: logit g0
      if (d_.trust_level == TrustLevel::geo)  // the geos' dL/dc . d[:, e], on ln omega_e
        for (int e = 0; e < E_; ++e) grad[o_omega_ + e] += shared[r_omega_ + e] * p.omega[e];
      // kappa = softmax(V u): dL/du = V' (kappa .* (g - kappa'g))
      const double kg = p.kappa.dot(gkappa);
      const Vector gsoft = p.kappa.cwiseProduct(gkappa - Vector::Constant(P_, kg));
      grad.segment(o_kappa_, P_ - 1).noalias() += helmert_.transpose() * gsoft;
    }
    // pooled blocks: from dL/d(value per geo) to their free parameters, with their priors
    for (int j = 0; j < S_; ++j) {
      const Block& bl = effect_blocks_[static_cast<std::size_t>(j)];
      if (!bl.roi) {
        lp += bl.backward(z, ws.gbeta.row(j).transpose(), p.beta.row(j).transpose(), grad);
        continue;
      }
      // ROI prior: ln beta[j, g] = ln R - ln k + tau eta_g - ln Q; dL/dH[j, g] reaches the
      // geo's lam and alpha through dH/dlam, dH/dalpha (forward_media_geo)
      const Vector gf = ws.gbeta.row(j).transpose().cwiseProduct(p.beta.row(j).transpose());
      Vector dH;
      lp += roi_backward(bl, z, gf, ws.roi_h.row(j).transpose(), grad, dH);
      const int c = conv_idx_[static_cast<std::size_t>(j)];
      for (int g = 0; g < G_; ++g) {
        ws.part(r_lam_ + c, g) += dH[g] * ws.roi_dlam(j, g);
        ws.part(r_alpha_ + c, g) += dH[g] * ws.roi_dalpha(j, g);
      }
    }
    for (int k = 0; k < K_; ++k)
      lp += base_blocks_[static_cast<std::size_t>(k)].backward(z, ws.gb.row(k).transpose(), p.b.row(k).transpose(), grad);
    lp += shared_priors(z, p, ws, grad);
    return lp;
  }

  /// Forward pass with the additive decomposition mu = base + trust_direct + sum_s
  /// (conversion_own_s + amplification_s), on the data's media and baseline or on others:
  /// `media` C matrices T' x G (per-capita scaled), `baseline` G matrices T' x K (both
  /// needed when T' != T). Past the data the national stock weighs geos by the last
  /// period's population weights. Uses the direct adstock sum (convolve_series).
  [[nodiscard]] PanelForward forward(const Eigen::Ref<const Vector>& z, const std::vector<Matrix>* media = nullptr,
                                     const std::vector<Matrix>* baseline = nullptr) const {
    check_dimension(z);
    const std::vector<Matrix>& X = media != nullptr ? *media : d_.media;
    const std::vector<Matrix>& B = baseline != nullptr ? *baseline : d_.baseline;
    if (static_cast<int>(X.size()) != C_) fail("media needs ", C_, " channel matrices, got ", X.size());
    const Eigen::Index Tn = X[0].rows();
    for (int c = 0; c < C_; ++c)
      if (X[static_cast<std::size_t>(c)].rows() != Tn || X[static_cast<std::size_t>(c)].cols() != G_)
        fail("media[", c, "] must be ", Tn, " x ", G_, ", got ", X[static_cast<std::size_t>(c)].rows(), " x ",
             X[static_cast<std::size_t>(c)].cols());
    if (static_cast<int>(B.size()) != G_) fail("baseline needs ", G_, " geo matrices, got ", B.size());
    for (int g = 0; g < G_; ++g)
      if (B[static_cast<std::size_t>(g)].rows() != Tn || B[static_cast<std::size_t>(g)].cols() != K_)
        fail("baseline[", g, "] must be ", Tn, " x ", K_);
    const PanelModelParameters p = constrain(z);
    const int T = static_cast<int>(Tn);
    PanelForward f;
    Vector w(d_.max_lag + 1), dw(d_.max_lag + 1), a(T);
    auto sat = [&](int c, const auto& x, double alpha, double lam, auto&& h) {
      transforms::geometric_weights_into(alpha, w, dw);
      transforms::convolve_series(x, w, a);
      saturate(c, a.data(), lam, h.data(), T);
    };
    f.saturated.assign(static_cast<std::size_t>(C_), Matrix(T, G_));
    for (int c = 0; c < C_; ++c)
      for (int g = 0; g < G_; ++g) {
        Vector h(T);
        sat(c, X[static_cast<std::size_t>(c)].col(g), p.alpha_geo(c, g), p.lam_geo(c, g), h);
        f.saturated[static_cast<std::size_t>(c)].col(g) = h;
      }
    f.stock = Matrix::Zero(T, G_);
    if (d_.trust_level == TrustLevel::national || d_.trust_level == TrustLevel::national_geo) {
      Vector u = Vector::Zero(T), h(T), S(T);
      for (int i = 0; i < P_; ++i) {
        const int c = trust_idx_[static_cast<std::size_t>(i)];
        // national per-capita activity: the population-weighted mean (weights past the data: the last row)
        Vector xn(T);
        for (int t = 0; t < T; ++t) {
          const auto tw = std::min<Eigen::Index>(t, T_ - 1);
          xn[t] = X[static_cast<std::size_t>(c)].row(t).dot(d_.weights.row(tw));
        }
        sat(c, xn, p.alpha[c], p.lam[c], h);
        u += p.kappa[i] * h;
      }
      if (bounded()) bounded_path(p, u, S);
      else stock_recursion(p.delta, p.g0, u, shock_damage(p), S);
      for (int g = 0; g < G_; ++g) f.stock.col(g) = p.stock_multiplier[g] * S;
    } else if (d_.trust_level == TrustLevel::geo) {
      const Vector damage = shock_damage(p);
      for (int g = 0; g < G_; ++g) {
        Vector u = Vector::Zero(T), S(T);
        for (int i = 0; i < P_; ++i)
          u += p.kappa[i] * f.saturated[static_cast<std::size_t>(trust_idx_[static_cast<std::size_t>(i)])].col(g);
        stock_recursion(p.delta_geo[g], p.g0, u, damage, S);
        f.stock.col(g) = S;
      }
    }
    f.base.resize(T, G_);
    const int Tp = std::min(T, T_);  // period effects exist for the data's periods
    for (int g = 0; g < G_; ++g) {
      f.base.col(g) = B[static_cast<std::size_t>(g)] * p.b.col(g);
      f.base.col(g).head(Tp) += p.period_effect.head(Tp);
    }
    f.trust_direct = p.gamma * f.stock;
    f.mu = f.base + f.trust_direct;
    for (int j = 0; j < S_; ++j) {
      const Matrix& h = f.saturated[static_cast<std::size_t>(conv_idx_[static_cast<std::size_t>(j)])];
      Matrix own = h.array().rowwise() * p.beta.row(j).array();
      Matrix amp = own.cwiseProduct(f.stock).array().rowwise() * p.theta_geo.transpose().array();
      f.mu += own + amp;
      f.conversion_own.push_back(std::move(own));
      f.amplification.push_back(std::move(amp));
    }
    return f;
  }

  /// Incremental outcome per geo of channel c's activity in periods [t0, t1) (scaled
  /// per-capita units, summed over the data and `horizon` periods after it with zero
  /// activity): sum_t mu(actual) - mu(channel c zero in [t0, t1)). The baseline cancels.
  [[nodiscard]] Matrix incremental(const Eigen::Ref<const Vector>& z, int c, int t0, int t1, int horizon) const {
    if (c < 0 || c >= C_) fail("channel index ", c, " out of range [0, ", C_, ")");
    if (t0 < 0 || t1 > T_ || t0 >= t1) fail("window [", t0, ", ", t1, ") must lie in [0, ", T_, ") and be non-empty");
    if (horizon < 0) fail("horizon must be >= 0, got ", horizon);
    const int Tn = T_ + horizon;
    std::vector<Matrix> X(static_cast<std::size_t>(C_));
    for (int k = 0; k < C_; ++k) {
      X[static_cast<std::size_t>(k)] = Matrix::Zero(Tn, G_);
      X[static_cast<std::size_t>(k)].topRows(T_) = d_.media[static_cast<std::size_t>(k)];
    }
    std::vector<Matrix> B(static_cast<std::size_t>(G_), Matrix::Zero(Tn, K_));  // cancels in the difference
    const Matrix actual = forward(z, &X, &B).mu;
    X[static_cast<std::size_t>(c)].middleRows(t0, t1 - t0).setZero();
    const Matrix cf = forward(z, &X, &B).mu;
    return actual - cf;  // Tn x G
  }

  /// The model's predicted lift of each lift test at z (top of this file, in the test's
  /// units): pred_k, the difference of two forward passes over the measured periods.
  [[nodiscard]] Vector predicted_lift(const Eigen::Ref<const Vector>& z) const {
    check_dimension(z);
    PanelWorkspace ws;
    Vector g(n_);
    (void)log_density(z, g, ws);  // fills the forward passes and lift_q = (lift - pred) / v
    if (ws.lift_q.hasNaN())
      fail(
          "predicted_lift: the model has no finite log density at this point (the forward pass stopped before the "
          "lift tests); give a point of the posterior");
    Vector out(static_cast<Eigen::Index>(d_.lift_tests.size()));
    for (std::size_t k = 0; k < d_.lift_tests.size(); ++k) {
      const PanelLiftTest& lt = d_.lift_tests[k];
      if (lt.period_lift.size() != 0) {  // week by week: the total of pred_t
        out[static_cast<Eigen::Index>(k)] = ws.lift_pt[k].sum();
        continue;
      }
      const double v = lt.standard_error * lt.standard_error + lt.transfer_sd * lt.transfer_sd;
      out[static_cast<Eigen::Index>(k)] = lt.lift - ws.lift_q[static_cast<Eigen::Index>(k)] * v;
    }
    return out;
  }


  /// Whether any block uses the centred hierarchy (PanelModelData::baseline_centred, effect_centred).
  [[nodiscard]] bool has_centred() const {
    const auto centred = [](const Block& b) { return b.centred; };
    return std::any_of(base_blocks_.begin(), base_blocks_.end(), centred) ||
           std::any_of(effect_blocks_.begin(), effect_blocks_.end(), centred);
  }
  /// The same model with every hierarchy non-centred. A centred hierarchy's joint posterior
  /// mode is degenerate (the density grows without bound as tau -> 0 with every v_g at m),
  /// so modes are found on this twin and mapped back by centred_point().
  [[nodiscard]] PanelTrustModel noncentred() const {
    PanelModelData d = d_;
    d.baseline_centred.clear();
    d.effect_centred.clear();
    return PanelTrustModel(std::move(d), pr_);
  }
  /// The point of this model (centred blocks) at the same constrained parameters as a
  /// point z of noncentred(): v_g = m + tau eta_g in the centred blocks' slots.
  [[nodiscard]] Vector centred_point(const Eigen::Ref<const Vector>& z) const {
    check_dimension(z);
    Vector out = z;
    for (const auto* blocks : {&base_blocks_, &effect_blocks_})
      for (const Block& b : *blocks)
        if (b.centred)
          for (int g = 0; g < G_; ++g) out[b.offset + 2 + g] = z[b.offset] + std::exp(z[b.offset + 1]) * z[b.offset + 2 + g];
    return out;
  }

  /// A starting point: alpha 0.3, lam 1.5, each geo's effects 0.1 x the mean outcome, the
  /// baseline by least squares per geo (pooled blocks at their geo mean), sigma at the
  /// residual sd, trust at the national model's starting values.
  [[nodiscard]] Vector initial_point() const {
    PanelModelParameters p;
    p.alpha = Vector::Constant(C_, 0.3);
    p.lam.resize(C_);  // logistic lam 1.5; Hill ec at its prior median
    for (int c = 0; c < C_; ++c)
      p.lam[c] = saturation_form(c) != SaturationForm::hill ? 1.5
                 : pr_.hill_ec_normal()                     ? std::max(pr_.hill_ec_mean, pr_.hill_ec_sd)
                                                            : std::exp(pr_.hill_ec_log_median);
    p.beta = Matrix::Constant(S_, G_, 0.1);
    p.beta_median = Vector::Constant(S_, 0.1);
    p.beta_tau = Vector::Constant(S_, 0.1);
    p.b.resize(K_, G_);
    for (int g = 0; g < G_; ++g)
      p.b.col(g) = d_.baseline[static_cast<std::size_t>(g)].colPivHouseholderQr().solve(d_.y.col(g));
    p.b_mean = p.b.rowwise().mean();
    p.b_tau = Vector::Constant(K_, 0.1);
    for (int k = 0; k < K_; ++k)  // pooled coefficients (complete or partial) start at the geos' mean
      if (base_blocks_[static_cast<std::size_t>(k)].kind != Pooling::none) p.b.row(k).setConstant(p.b_mean[k]);
    const double mean_y = d_.y.mean();
    p.sigma = std::max(std::sqrt((d_.y.array() - mean_y).square().mean()), 1e-3);
    p.kappa = Vector::Constant(P_, P_ > 0 ? 1.0 / P_ : 0.0);
    p.delta = std::pow(0.5, 1.0 / pr_.base.half_life_median);
    p.g0 = pr_.base.g0_mean;
    p.gamma = 0.1;
    p.theta = 0.1;
    p.tracker_a = 0.0;
    p.tracker_b = 1.0;
    p.tracker_sigma = 1.0;
    p.alpha_tau = p.lam_tau = Vector::Constant(C_, 0.1);
    p.delta_tau = p.theta_tau = p.stock_tau = 0.1;  // (per-geo values: the shared ones, multipliers 1)
    p.omega = Vector::Constant(E_, 0.1);
    if (has_tracker()) {
      double qm = 0.0;
      for (Eigen::Index i = 0; i < d_.tracker.size(); ++i)
        if (!std::isnan(d_.tracker.data()[i])) qm += d_.tracker.data()[i];
      p.tracker_a = qm / n_tracker_obs_;
    }
    if (bounded()) {  // G0 = b at the prior median share (a share tracker: its mean, within [0.02, 0.98]); rho = 1 - delta
      double share = 1.0 / (1.0 + std::exp(-pr_.base.trust_base_logit_mean));
      if (tracker_share()) {
        share = std::clamp(p.tracker_a, 0.02, 0.98);
        p.tracker_a = 0.0;  // no house bias; sigma_q at a tenth of its prior scale
        p.tracker_sigma = 0.1 * pr_.base.tracker_share_sigma_sd;
      }
      p.g0 = p.trust_base = share;
      p.inflow = 1.0 - p.delta;
    }
    Vector z = unconstrain(p);
    for (const Block& bl : effect_blocks_)  // a channel with a ROI prior starts at its prior median
      if (bl.roi) z[bl.offset] = bl.roi_mean;
    return z;
  }

 private:
  // ---- pooled parameter blocks -----------------------------------------------------------
  /// The non-centred hierarchy's own prior, slots offset + 1 (ln tau) and offset + 2 + g
  /// (eta_g): eta_g ~ Normal(0, 1), tau ~ HalfNormal(pool_sd) with the log-Jacobian ln tau;
  /// adds its gradient, returns its log density (every partial block: effects, baseline,
  /// curvature and trust, ROI).
  static double hierarchy_prior(const Eigen::Ref<const Vector>& z, int offset, int G, double pool_sd,
                                Eigen::Ref<Vector> grad) {
    double lp = 0.0;
    for (int g = 0; g < G; ++g) {
      const double eta = z[offset + 2 + g];
      lp += -0.5 * eta * eta;
      grad[offset + 2 + g] -= eta;
    }
    const double tau = std::exp(z[offset + 1]), p2 = pool_sd * pool_sd;
    lp += -0.5 * tau * tau / p2 + z[offset + 1];
    grad[offset + 1] += -tau * tau / p2 + 1.0;
    return lp;
  }
  /// The chain rule of v_g = m + tau eta_g (the free values of a partial block): from gf[g]
  /// = dL/dv_g adds dL/dm, dL/d ln tau, dL/d eta_g.
  static void hierarchy_chain(const Eigen::Ref<const Vector>& z, int offset, int G, const Vector& gf,
                              Eigen::Ref<Vector> grad) {
    const double tau = std::exp(z[offset + 1]);
    double gtau = 0.0;
    for (int g = 0; g < G; ++g) {
      const double eta = z[offset + 2 + g];
      grad[offset] += gf[g];
      gtau += gf[g] * eta * tau;
      grad[offset + 2 + g] += gf[g] * tau;
    }
    grad[offset + 1] += gtau;
  }

  struct Block {
    Pooling kind = Pooling::complete;
    bool log_scale = false;  // effects: value = exp(.), HalfNormal prior on the value
    double prior_sd = 1.0, pool_sd = 0.5;
    double prior_mean = 0.0;  // baseline blocks: Normal(prior_mean, prior_sd) (TrustModelPriors per column)
    /// effects with a ROI prior (top of this file): the first slot is ln R, Normal(roi_mean,
    /// roi_sd); k = roi_scale. Values and gradients then come from fill_roi_effects / roi_backward.
    bool roi = false;
    double roi_mean = 0.0, roi_sd = 1.0, roi_scale = 1.0;
    /// partial (baseline blocks, and effects without a ROI prior): the centred hierarchy,
    /// v_g free with v_g ~ Normal(m, tau) (slots m, ln tau, v_g; v_g = ln beta_g for
    /// effects), for geos whose data pin their own value (the non-centred v_g = m + tau
    /// eta_g then leaves a ridge between tau and eta)
    bool centred = false;
    int offset = 0, G = 1;
    [[nodiscard]] int size() const { return kind == Pooling::complete ? 1 : kind == Pooling::none ? G : G + 2; }
    /// Values per geo (G) and, for partial, location (mu or m) and tau.
    void values(const Eigen::Ref<const Vector>& z, Eigen::Ref<Vector> out, double& location, double& tau) const {
      location = tau = std::numeric_limits<double>::quiet_NaN();
      for (int g = 0; g < G; ++g) {
        double v = 0.0;
        if (kind == Pooling::complete) v = z[offset];
        else if (kind == Pooling::none) v = z[offset + g];
        else if (centred) {
          tau = std::exp(z[offset + 1]);
          v = z[offset + 2 + g];
        } else {
          tau = std::exp(z[offset + 1]);
          v = z[offset] + tau * z[offset + 2 + g];
        }
        out[g] = log_scale ? std::exp(v) : v;
      }
      if (kind == Pooling::partial) location = log_scale ? std::exp(z[offset]) : z[offset];
    }
    /// The inverse: v holds ln values (log_scale) or values; location on the free scale.
    void unconstrain(const Vector& v, double location, double tau, Vector& z) const {
      if (kind == Pooling::complete) z[offset] = v.mean();
      else if (kind == Pooling::none) z.segment(offset, G) = v;
      else {
        z[offset] = location;
        z[offset + 1] = std::log(tau);
        if (centred) z.segment(offset + 2, G) = v;
        else z.segment(offset + 2, G) = (v.array() - location) / tau;
      }
    }
    /// Adds the gradient of the likelihood part (gv: dL/d value per geo) and of the priors
    /// to grad; returns the log prior (with Jacobians).
    double backward(const Eigen::Ref<const Vector>& z, const Vector& gv, const Vector& v, Eigen::Ref<Vector> grad) const {
      const double s2 = prior_sd * prior_sd;
      double lp = 0.0;
      // dL/d(free value) per geo: log scale multiplies by the value
      Vector gf = log_scale ? Vector(gv.cwiseProduct(v)) : gv;
      auto value_prior = [&](double free, double value, double& g) {  // prior on one value at its free coordinate
        if (log_scale) {  // HalfNormal on value + Jacobian ln value
          lp += -0.5 * value * value / s2 + free;
          g += -value * value / s2 + 1.0;
        } else {
          const double r = value - prior_mean;
          lp += -0.5 * r * r / s2;
          g += -r / s2;
        }
      };
      if (kind == Pooling::complete) {
        grad[offset] += gf.sum();
        value_prior(z[offset], v[0], grad[offset]);
      } else if (kind == Pooling::none) {
        for (int g = 0; g < G; ++g) {
          grad[offset + g] += gf[g];
          value_prior(z[offset + g], v[g], grad[offset + g]);
        }
      } else if (centred) {  // v_g ~ Normal(m, tau), tau ~ HalfNormal(pool_sd) with the Jacobian ln tau
        const double m = z[offset], lt = z[offset + 1], tau = std::exp(lt), p2 = pool_sd * pool_sd;
        double gm = 0.0, glt = 0.0;
        for (int g = 0; g < G; ++g) {
          const double r = (z[offset + 2 + g] - m) / tau;
          lp += -0.5 * r * r - lt;
          grad[offset + 2 + g] += gf[g] - r / tau;
          gm += r / tau;
          glt += r * r - 1.0;
        }
        lp += -0.5 * tau * tau / p2 + lt;
        grad[offset] += gm;
        grad[offset + 1] += glt - tau * tau / p2 + 1.0;
        value_prior(m, log_scale ? std::exp(m) : m, grad[offset]);  // the group's prior on the location
      } else {
        hierarchy_chain(z, offset, G, gf, grad);
        const double loc = log_scale ? std::exp(z[offset]) : z[offset];
        value_prior(z[offset], loc, grad[offset]);
        lp += hierarchy_prior(z, offset, G, pool_sd, grad);
      }
      return lp;
    }
  };

  /// A curvature or trust parameter pooled across geos on its free coordinate v (logit
  /// alpha, ln lam, logit delta, ln theta): complete, one v; none, v_g per geo, each with
  /// the parameter's prior; partial, v_g = m + tau eta_g, eta_g ~ Normal(0, 1), the
  /// parameter's prior on the location m, tau ~ HalfNormal(pool_sd). Slots: m (or v), then
  /// ln tau, then eta (partial).
  struct FreeBlock {
    Pooling kind = Pooling::complete;
    double pool_sd = 0.5;
    int offset = 0, G = 1;
    [[nodiscard]] int size() const { return kind == Pooling::complete ? 1 : kind == Pooling::none ? G : G + 2; }
    [[nodiscard]] double free(const Eigen::Ref<const Vector>& z, int g) const {
      if (kind == Pooling::complete) return z[offset];
      if (kind == Pooling::none) return z[offset + g];
      return z[offset] + std::exp(z[offset + 1]) * z[offset + 2 + g];
    }
    /// The location on the free scale (none: the mean of the geos' free values).
    [[nodiscard]] double location(const Eigen::Ref<const Vector>& z) const {
      return kind == Pooling::none ? z.segment(offset, G).mean() : z[offset];
    }
    [[nodiscard]] double tau(const Eigen::Ref<const Vector>& z) const {
      return kind == Pooling::partial ? std::exp(z[offset + 1]) : std::numeric_limits<double>::quiet_NaN();
    }
    void unconstrain(const Vector& v, double location, double tau, Vector& z) const {
      if (kind == Pooling::complete) z[offset] = location;
      else if (kind == Pooling::none) z.segment(offset, G) = v;
      else {
        z[offset] = location;
        z[offset + 1] = std::log(tau);
        z.segment(offset + 2, G) = (v.array() - location) / tau;
      }
    }
    /// Adds the likelihood's gradient (gf: dL/dv_g per geo) and the priors' gradients;
    /// returns the log prior. prior(v) is the parameter's LogTerm on its free coordinate.
    template <class Prior>
    double backward(const Eigen::Ref<const Vector>& z, const Vector& gf, const Prior& prior, Eigen::Ref<Vector> grad) const {
      double lp = 0.0;
      if (kind == Pooling::complete) {
        grad[offset] += gf.sum();
        const priors::LogTerm t = prior(z[offset]);
        lp += t.value;
        grad[offset] += t.gradient;
      } else if (kind == Pooling::none) {
        for (int g = 0; g < G; ++g) {
          const priors::LogTerm t = prior(z[offset + g]);
          lp += t.value;
          grad[offset + g] += gf[g] + t.gradient;
        }
      } else {
        hierarchy_chain(z, offset, G, gf, grad);
        const priors::LogTerm t = prior(z[offset]);
        lp += t.value;
        grad[offset] += t.gradient;
        lp += hierarchy_prior(z, offset, G, pool_sd, grad);
      }
      return lp;
    }
  };

  // ---- saturation (top of this file) -----------------------------------------------------
  /// h[t] = channel c's curve at a[t] with parameter v (logistic: lam; Hill: ec), t < n.
  void saturate(int c, const double* a, double v, double* h, int n) const {
    if (saturation_form(c) == SaturationForm::logistic) {
      transforms::detail::simd::logistic_series(a, 0.5 * v, h, n);
      return;
    }
    const double s = hill_slope(c);
    if (s == 1.0 && v > 0.0 && std::isfinite(v)) {  // a / (a + ec), branch-free (vectorised); a NaN a propagates
      const Eigen::Map<const Eigen::ArrayXd> av(a, n);
      Eigen::Map<Eigen::ArrayXd>(h, n) = av / (av + v);
      return;
    }
    for (int t = 0; t < n; ++t) h[t] = detail::hill_point(a[t], v, s).h;
  }
  /// Reverse mode of saturate(): from a, h and gh = dL/dh writes ga = dL/da, returns dL/dv.
  double saturate_adjoint(int c, const double* a, const double* h, const double* gh, double v, double* ga, int n) const {
    if (saturation_form(c) == SaturationForm::logistic)
      return transforms::detail::simd::logistic_series_adjoint(a, h, gh, 0.5 * v, ga, n);
    const double s = hill_slope(c);
    if (s == 1.0 && v > 0.0 && std::isfinite(v)) {  // dh/da = ec / (a + ec)^2, dh/dec = -a / (a + ec)^2
      const Eigen::Map<const Eigen::ArrayXd> av(a, n), ghv(gh, n);
      Eigen::Map<Eigen::ArrayXd> gav(ga, n);
      gav = ghv * v * (av + v).square().inverse();
      return -(gav * av).sum() / v;  // dh/dec = -(a / ec) dh/da: ga . a / ec
    }
    double gv = 0.0;
    for (int t = 0; t < n; ++t) {
      const detail::HillPoint q = detail::hill_point(a[t], v, s);
      ga[t] = gh[t] * q.dh_da;
      gv += gh[t] * q.dh_dec;
    }
    return gv;
  }

  // ---- ROI priors (top of this file) ----------------------------------------------------
  /// H[j, g] = sum_t W[t, g] h[c, g, t] of every channel with a ROI prior (rows j), from the
  /// geo's alpha and lam in p (the recursive adstock of the geo passes).
  void roi_weighted_saturation(const PanelModelParameters& p, Matrix& H) const {
    Vector a(T_), da(T_), h(T_);
    for (int j = 0; j < S_; ++j) {
      if (!effect_blocks_[static_cast<std::size_t>(j)].roi) continue;
      const int c = conv_idx_[static_cast<std::size_t>(j)];
      for (int g = 0; g < G_; ++g) {
        transforms::geometric_adstock_recursive(d_.media[static_cast<std::size_t>(c)].col(g), p.alpha_geo(c, g), d_.max_lag,
                                                a, da);
        saturate(c, a.data(), p.lam_geo(c, g), h.data(), T_);
        H(j, g) = d_.roi_weight.col(g).dot(h);
      }
    }
  }
  /// The ln of Q = sum_g exp(tau eta_g) H[g] (partial) or of sum_g H[g] (complete), with
  /// the largest exponent factored out.
  [[nodiscard]] static double roi_log_q(const Block& bl, const Eigen::Ref<const Vector>& z,
                                        const Eigen::Ref<const Vector>& H) {
    if (bl.kind != Pooling::partial) return std::log(H.sum());
    const double tau = std::exp(z[bl.offset + 1]);
    double m = -std::numeric_limits<double>::infinity();
    for (int g = 0; g < bl.G; ++g) m = std::max(m, tau * z[bl.offset + 2 + g]);
    double q = 0.0;
    for (int g = 0; g < bl.G; ++g) q += std::exp(tau * z[bl.offset + 2 + g] - m) * H[g];
    return m + std::log(q);
  }
  /// Effects of the channels with a ROI prior from z and H (rows j of H as above):
  /// complete beta = R / (k sum_g H_g); partial beta_g = R e_g / (k Q), median R / (k Q).
  void fill_roi_effects(const Eigen::Ref<const Vector>& z, const Matrix& H, PanelModelParameters& p) const {
    for (int j = 0; j < S_; ++j) {
      const Block& bl = effect_blocks_[static_cast<std::size_t>(j)];
      if (!bl.roi) continue;
      const double lr = z[bl.offset] - std::log(bl.roi_scale), lq = roi_log_q(bl, z, H.row(j).transpose());
      if (bl.kind == Pooling::complete) {
        p.beta.row(j).setConstant(std::exp(lr - lq));
        p.beta_median[j] = p.beta_tau[j] = std::numeric_limits<double>::quiet_NaN();
      } else {
        const double tau = std::exp(z[bl.offset + 1]);
        for (int g = 0; g < G_; ++g) p.beta(j, g) = std::exp(lr + tau * z[bl.offset + 2 + g] - lq);
        p.beta_median[j] = std::exp(lr - lq);
        p.beta_tau[j] = tau;
      }
    }
  }
  /// The ROI block's gradient and prior: gf[g] = dL/d ln beta[j, g] of the likelihood; adds
  /// the gradients of ln R (and ln tau, eta), writes dH[g] = dL/dH[j, g], returns the log
  /// prior (ln R Normal; eta Normal(0, 1), tau HalfNormal with its log-Jacobian).
  [[nodiscard]] static double roi_backward(const Block& bl, const Eigen::Ref<const Vector>& z, const Vector& gf,
                                           const Eigen::Ref<const Vector>& H, Eigen::Ref<Vector> grad, Vector& dH) {
    const double gs = gf.sum(), r = z[bl.offset] - bl.roi_mean, s2 = bl.roi_sd * bl.roi_sd;
    double lp = -0.5 * r * r / s2;
    grad[bl.offset] += gs - r / s2;
    dH.resize(bl.G);
    const double lq = roi_log_q(bl, z, H);
    if (bl.kind == Pooling::complete) {
      dH.setConstant(-gs * std::exp(-lq));
      return lp;
    }
    const double tau = std::exp(z[bl.offset + 1]);
    double eta_bar = 0.0, g_eta = 0.0;
    for (int g = 0; g < bl.G; ++g) {
      const double eta = z[bl.offset + 2 + g], e_q = std::exp(tau * eta - lq), pi = e_q * H[g];
      eta_bar += pi * eta;
      g_eta += gf[g] * eta;
      dH[g] = -gs * e_q;
      grad[bl.offset + 2 + g] += tau * (gf[g] - pi * gs);
    }
    grad[bl.offset + 1] += tau * (g_eta - gs * eta_bar);
    return lp + hierarchy_prior(z, bl.offset, bl.G, bl.pool_sd, grad);
  }

  // ---- the baseline's shared columns ----------------------------------------------------
  /// Splits the baseline's columns into the shared ones (pooled completely, equal in every
  /// geo: one coefficient times one series, the same term in every geo's mu) and the geo's
  /// own. The model is the same either way; the split only evaluates the shared part once.
  void split_baseline() {
    shared_cols_.clear();
    local_cols_.clear();
    for (int k = 0; k < K_; ++k) {
      bool same = d_.baseline_pooling[static_cast<std::size_t>(k)] == Pooling::complete;
      for (int g = 1; g < G_ && same; ++g) same = d_.baseline[static_cast<std::size_t>(g)].col(k) == d_.baseline[0].col(k);
      (same ? shared_cols_ : local_cols_).push_back(k);
    }
    shared_design_.resize(T_, static_cast<Eigen::Index>(shared_cols_.size()));
    for (std::size_t i = 0; i < shared_cols_.size(); ++i)
      shared_design_.col(static_cast<Eigen::Index>(i)) = d_.baseline[0].col(shared_cols_[i]);
    local_design_.assign(static_cast<std::size_t>(G_), Matrix(T_, static_cast<Eigen::Index>(local_cols_.size())));
    for (int g = 0; g < G_; ++g)
      for (std::size_t i = 0; i < local_cols_.size(); ++i)
        local_design_[static_cast<std::size_t>(g)].col(
            static_cast<Eigen::Index>(i)) = d_.baseline[static_cast<std::size_t>(g)].col(local_cols_[i]);
  }
  /// mu_shared[t] = tau[t] + sum over the shared columns k of B[t, k] b[k] (the same in every geo).
  void shared_baseline(const PanelModelParameters& p, Vector& out) const {
    out = p.period_effect;  // tau[t] (zeros without period effects)
    if (shared_cols_.empty()) return;
    Vector coef(static_cast<Eigen::Index>(shared_cols_.size()));
    for (std::size_t i = 0; i < shared_cols_.size(); ++i) coef[static_cast<Eigen::Index>(i)] = p.b(shared_cols_[i], 0);
    out.noalias() += shared_design_ * coef;
  }

  // ---- the per-geo passes ------------------------------------------------------------------
  /// Adstock and saturation of geo g's channels (and, with ROI priors, H and its derivatives).
  void forward_media_geo(int g, const PanelModelParameters& p, PanelWorkspace& ws, Vector& scratch) const {
    const int T = T_;
    Matrix& A = ws.A[static_cast<std::size_t>(g)];
    Matrix& dA = ws.dA[static_cast<std::size_t>(g)];
    Matrix& H = ws.H[static_cast<std::size_t>(g)];
    // the geo's adstocks four channels at a time (interleaved recursions, the same bits)
    std::array<const double*, 4> xs{};
    std::array<double*, 4> as{}, das{};
    std::array<double, 4> al{};
    int n = 0;
    for (int c = 0; c < C_; ++c) {
      if (national_only_[static_cast<std::size_t>(c)]) continue;  // enters through the national series only
      xs[static_cast<std::size_t>(n)] = d_.media[static_cast<std::size_t>(c)].col(g).data();
      al[static_cast<std::size_t>(n)] = p.alpha_geo(c, g);
      as[static_cast<std::size_t>(n)] = A.col(c).data();
      das[static_cast<std::size_t>(n)] = dA.col(c).data();
      if (++n == 4) {
        transforms::geometric_adstock_recursive_batch(n, xs.data(), al.data(), d_.max_lag, T, as.data(), das.data());
        n = 0;
      }
    }
    if (n > 0) transforms::geometric_adstock_recursive_batch(n, xs.data(), al.data(), d_.max_lag, T, as.data(), das.data());
    for (int c = 0; c < C_; ++c)
      if (!national_only_[static_cast<std::size_t>(c)]) saturate(c, A.col(c).data(), p.lam_geo(c, g), H.col(c).data(), T);
    if (n_roi_ == 0) return;
    for (int j = 0; j < S_; ++j) {
      if (!effect_blocks_[static_cast<std::size_t>(j)].roi) continue;
      const int c = conv_idx_[static_cast<std::size_t>(j)];
      const auto w = d_.roi_weight.col(g);
      ws.roi_h(j, g) = w.dot(H.col(c));
      // d H / d lam and d H / d alpha: the saturation's adjoint with seed W (one more pass)
      ws.roi_dlam(j, g) = saturate_adjoint(c, A.col(c).data(), H.col(c).data(), w.data(), p.lam_geo(c, g), scratch.data(),
                                           T);
      ws.roi_dalpha(j, g) = scratch.dot(dA.col(c));
    }
  }

  /// Geo g's stock and mean outcome (after forward_media_geo and the effects).
  void forward_mu_geo(int g, const PanelModelParameters& p, PanelWorkspace& ws, Vector& u) const {
    const Matrix& H = ws.H[static_cast<std::size_t>(g)];
    if (d_.trust_level == TrustLevel::geo) {
      u.setZero();
      for (int i = 0; i < P_; ++i) u += p.kappa[i] * H.col(trust_idx_[static_cast<std::size_t>(i)]);
      stock_recursion(p.delta_geo[g], p.g0, u, ws.damage, ws.S.col(g));
    } else if (d_.trust_level == TrustLevel::national) {
      ws.S.col(g) = ws.Sn;
    } else if (d_.trust_level == TrustLevel::national_geo) {
      ws.S.col(g) = p.stock_multiplier[g] * ws.Sn;
    } else {
      ws.S.col(g).setZero();
    }
    auto conv = ws.conv.col(g);
    conv.setZero();
    for (int j = 0; j < S_; ++j) conv += p.beta(j, g) * H.col(conv_idx_[static_cast<std::size_t>(j)]);
    auto mu = ws.mu.col(g);
    mu = ws.mu_shared;
    const Matrix& L = local_design_[static_cast<std::size_t>(g)];
    if (L.cols() > 0) {  // one GEMV over the geo's own columns (gathered coefficients)
      Vector coef(L.cols());
      for (Eigen::Index i = 0; i < L.cols(); ++i) coef[i] = p.b(local_cols_[static_cast<std::size_t>(i)], g);
      mu.noalias() += L * coef;
    }
    if (trust_enabled()) mu += p.gamma * ws.S.col(g) + conv + p.theta_geo[g] * ws.S.col(g).cwiseProduct(conv);
    else mu += conv;
  }

  /// lam_adj, ga: T scratch values; lam: T with shocks (the geo stock's adjoint), else empty.
  void backward_geo(int g, const PanelModelParameters& p, PanelWorkspace& ws, Vector& lam_adj, Vector& ga,
                    Vector& lam) const {
    const int T = T_;
    auto part = ws.part.col(g);
    const double s2 = p.sigma * p.sigma;
    auto gmu = ws.gmu.col(g);
    double ss = 0.0;
    if (ar1()) {
      // r[0] = c e[0] (c = sqrt(1 - phi^2)), r[t] = e[t] - phi e[t-1]; ss = sum r^2.
      // dL/dmu[t] = (1 / (2 sigma^2)) d ss / d e[t] = (c_t r[t] - phi r[t+1]) / sigma^2 with
      // c_0 = c, c_t = 1 after; d ss / d phi = -2 (phi e[0]^2 + sum_{t>=1} r[t] e[t-1]).
      const double phi = p.ar1, c = std::sqrt(1.0 - phi * phi);
      double gphi = 0.0, r_next = 0.0;
      double e = T > 0 ? d_.y(T - 1, g) - ws.mu(T - 1, g) : 0.0;  // e[t], carried down: each residual once
      for (int t = T - 1; t >= 0; --t) {
        const double e_prev = t > 0 ? d_.y(t - 1, g) - ws.mu(t - 1, g) : 0.0;
        const double r = t > 0 ? e - phi * e_prev : c * e;
        ss += r * r;
        gmu[t] = ((t > 0 ? r : c * r) - phi * r_next) / s2;
        gphi += t > 0 ? r * e_prev : phi * e * e;
        r_next = r;
        e = e_prev;
      }
      part[r_phi_] = gphi;
    } else {
      for (int t = 0; t < T; ++t) {
        const double r = d_.y(t, g) - ws.mu(t, g);
        ss += r * r;
        gmu[t] = r / s2;
      }
    }
    ws.ll[g] = std::isfinite(ss) ? 0.0 : -std::numeric_limits<double>::infinity();
    part[r_ss_] = ss;
    {  // the geo's own baseline columns (the shared ones: after the loop over geos)
      const Matrix& L = local_design_[static_cast<std::size_t>(g)];
      if (L.cols() > 0) {  // one GEMV: L' dL/dmu, scattered to the columns' rows
        const Vector gl = L.transpose() * gmu;
        for (Eigen::Index i = 0; i < L.cols(); ++i) ws.gb(local_cols_[static_cast<std::size_t>(i)], g) = gl[i];
      }
      for (int k : shared_cols_) ws.gb(k, g) = 0.0;
    }
    Matrix& H = ws.H[static_cast<std::size_t>(g)];
    Matrix& gH = ws.gH[static_cast<std::size_t>(g)];
    gH.setZero();
    const auto S = ws.S.col(g);
    const auto conv = ws.conv.col(g);
    for (int j = 0; j < S_; ++j) {
      const int c = conv_idx_[static_cast<std::size_t>(j)];
      double gbv = 0.0;
      for (int t = 0; t < T; ++t) {
        const double amp = trust_enabled() ? 1.0 + p.theta_geo[g] * S[t] : 1.0;
        gbv += gmu[t] * amp * H(t, c);
        gH(t, c) += gmu[t] * p.beta(j, g) * amp;
      }
      ws.gbeta(j, g) = gbv;
    }
    LiftGradient lg;  // the lift tests' shared scalars (added after the likelihood's below)
    if (!lift_by_geo_[static_cast<std::size_t>(g)].empty()) lg.kappa = Vector::Zero(P_);
    for (const auto& [k, i] : lift_by_geo_[static_cast<std::size_t>(g)]) lift_backward(g, k, i, p, ws, lg);
    if (trust_enabled()) {
      auto gS = ws.gS.col(g);  // holds the tracker's share (and the lift tests') already
      for (int t = 0; t < T; ++t) gS[t] += gmu[t] * (p.gamma + p.theta_geo[g] * conv[t]);
      part[r_gamma_] = gmu.dot(S) + lg.gamma;
      part[r_theta_] = gmu.cwiseProduct(S).dot(conv) + lg.theta;
      if (d_.trust_level == TrustLevel::geo) {
        Vector u = Vector::Zero(T);
        for (int i = 0; i < P_; ++i) u += p.kappa[i] * H.col(trust_idx_[static_cast<std::size_t>(i)]);
        double gdelta = 0.0, gg0 = 0.0;
        stock_adjoint(p.delta_geo[g], p.g0, S, u, gS, lam_adj, gdelta, gg0, E_ > 0 ? lam.data() : nullptr);
        part[r_delta_] = gdelta + lg.delta;  // (lam_adj: dL/du[t])
        part[r_g0_] = gg0;
        for (int e = 0; e < E_; ++e) part[r_omega_ + e] = -lam.dot(d_.shocks.col(e));
        for (int i = 0; i < P_; ++i) {
          const int c = trust_idx_[static_cast<std::size_t>(i)];
          part[r_kappa_ + i] = lam_adj.dot(H.col(c)) + (lg.kappa.size() != 0 ? lg.kappa[i] : 0.0);
          gH.col(c) += p.kappa[i] * lam_adj;
        }
      }
    }
    Matrix& A = ws.A[static_cast<std::size_t>(g)];
    Matrix& dA = ws.dA[static_cast<std::size_t>(g)];
    for (int c = 0; c < C_; ++c) {
      if (national_only_[static_cast<std::size_t>(c)]) continue;  // its per-geo rows of ws.part stay 0
      const double glam = saturate_adjoint(c, A.col(c).data(), H.col(c).data(), gH.col(c).data(), p.lam_geo(c, g), ga.data(),
                                           T);
      part[r_lam_ + c] = glam;
      part[r_alpha_ + c] = ga.dot(dA.col(c));
    }
    for (const auto& [k, i] : lift_by_geo_[static_cast<std::size_t>(g)]) {  // the counterfactual pass's adjoint
      const PanelLiftTest& lt = d_.lift_tests[static_cast<std::size_t>(k)];
      const int c = lt.channel;
      const Vector gh = -ws.lift_gdh[static_cast<std::size_t>(k)].col(i);  // (lift_backward)
      const auto a = ws.lift_a[static_cast<std::size_t>(k)].col(i);
      const auto h = ws.lift_h[static_cast<std::size_t>(k)].col(i);
      part[r_lam_ + c] += saturate_adjoint(c, a.data(), h.data(), gh.data(), p.lam_geo(c, g), ga.data(), T);
      part[r_alpha_ + c] += ga.dot(ws.lift_da[static_cast<std::size_t>(k)].col(i));
    }
  }

  /// W[t, g] of the lift tests (ones when lift_weight is empty).
  [[nodiscard]] double lift_w(int t, int g) const { return d_.lift_weight.size() == 0 ? 1.0 : d_.lift_weight(t, g); }

  /// Whether lift test lt's counterfactual moves the stocks (a channel that feeds the geo
  /// stocks of trust "geo"; check_lift_tests refuses one under a national stock).
  [[nodiscard]] bool lift_moves_stock(const PanelLiftTest& lt) const {
    return trust_enabled() && d_.trust[static_cast<std::size_t>(lt.channel)];
  }
  /// The position of trust channel c among the trust channels (its kappa).
  [[nodiscard]] int trust_slot(int c) const {
    return static_cast<int>(std::find(trust_idx_.begin(), trust_idx_.end(), c) - trust_idx_.begin());
  }

  /// The lift tests' counterfactual passes and their Normal terms (top of this file): per
  /// test and treated geo the adstock of the activity with the window zeroed and its curve
  /// (ws.lift_a, lift_da, lift_h), on a channel feeding the geo stocks the stocks'
  /// difference D (ws.lift_D), pred_k, and -r^2 / (2 v) with r = lift - pred, v = se^2 +
  /// tau^2; ws.lift_q[k] = r / v = dL/dpred_k. After the forward passes (H, S, conv, beta).
  double lift_terms(const PanelModelParameters& p, PanelWorkspace& ws) const {
    double lp = 0.0;
    Vector x(T_);
    for (std::size_t k = 0; k < d_.lift_tests.size(); ++k) {
      const PanelLiftTest& lt = d_.lift_tests[k];
      const int c = lt.channel, j = conv_slot_[static_cast<std::size_t>(c)];
      const bool stock = lift_moves_stock(lt);
      const double kappa = stock ? p.kappa[trust_slot(c)] : 0.0;
      const bool weekly = lt.period_lift.size() != 0;
      Vector& pt = ws.lift_pt[k];  // week by week: pred_t
      if (weekly) pt.setZero();
      double pred = 0.0;
      for (std::size_t i = 0; i < lt.geos.size(); ++i) {
        const int g = lt.geos[i];
        const auto ii = static_cast<Eigen::Index>(i);
        x = d_.media[static_cast<std::size_t>(c)].col(g);
        if (lt.counterfactual.size() != 0) x.segment(lt.start, lt.end - lt.start) = lt.counterfactual.col(ii);
        else x.segment(lt.start, lt.end - lt.start).setZero();
        transforms::geometric_adstock_recursive(x, p.alpha_geo(c, g), d_.max_lag, ws.lift_a[k].col(ii),
                                                ws.lift_da[k].col(ii));
        saturate(c, ws.lift_a[k].col(ii).data(), p.lam_geo(c, g), ws.lift_h[k].col(ii).data(), T_);
        const Matrix& H = ws.H[static_cast<std::size_t>(g)];
        const auto hcf = ws.lift_h[k].col(ii);
        if (!stock) {
          for (int t = lt.start; t < lt.measured_end; ++t) {
            const double v = lift_w(t, g) * p.beta(j, g) * (1.0 + p.theta_geo[g] * ws.S(t, g)) * (H(t, c) - hcf[t]);
            pred += v;
            if (weekly) pt[t - lt.start] += v;
          }
          continue;
        }
        // The geo stock's difference D = S - S_cf: D[t] = delta_g D[t-1] + (1 - delta_g) kappa
        // (h - h_cf)[t] from D[start - 1] = 0 (the recursion is linear: its start and the crises
        // cancel), and mu - mu_cf = gamma D + theta_g conv D + beta (1 + theta_g (S - D)) (h - h_cf)
        auto D = ws.lift_D[k].col(ii);
        const double delta = p.delta_geo[g], beta = j >= 0 ? p.beta(j, g) : 0.0, theta = p.theta_geo[g];
        double dv = 0.0;
        for (int t = lt.start; t < lt.measured_end; ++t) {
          const double dh = H(t, c) - hcf[t];
          dv = delta * dv + (1.0 - delta) * kappa * dh;
          D[t] = dv;
          const double v = lift_w(t, g) *
                           ((p.gamma + theta * ws.conv(t, g)) * dv + beta * (1.0 + theta * (ws.S(t, g) - dv)) * dh);
          pred += v;
          if (weekly) pt[t - lt.start] += v;
        }
      }
      if (weekly) {  // one term per measured period; lift_q[k] = 0 marks the terms as computed
        Vector& qt = ws.lift_qt[k];
        if (lt.period_transfer.size() != 0) {  // one common transfer error: qt = Sigma^-1 r
          qt = lt.period_lift - pt;
          lp += detail::common_transfer_normal(qt.data(), lt.period_variance.data(), lt.period_transfer.data(),
                                               static_cast<std::size_t>(qt.size()), qt.data());
        } else {
          for (Eigen::Index m = 0; m < pt.size(); ++m) {
            const double r = lt.period_lift[m] - pt[m];
            lp += -0.5 * r * r / lt.period_variance[m];
            qt[m] = r / lt.period_variance[m];
          }
        }
        ws.lift_q[static_cast<Eigen::Index>(k)] = 0.0;
        continue;
      }
      const double v = lt.standard_error * lt.standard_error + lt.transfer_sd * lt.transfer_sd, r = lt.lift - pred;
      lp += -0.5 * r * r / v;
      ws.lift_q[static_cast<Eigen::Index>(k)] = r / v;
    }
    return lp;
  }

  /// The lift tests' gradient of one geo's shared scalars (added to its column of ws.part).
  struct LiftGradient {
    double theta = 0.0, gamma = 0.0, delta = 0.0;
    Vector kappa;  ///< P
  };

  /// Geo g's share of test k's gradient (the actual pass, the stock, beta and, on a channel
  /// feeding the geo stocks, D's recursion; i: the geo's column in the test): adds to
  /// ws.gbeta, gH and gS, writes dL/d(h - h_cf) to ws.lift_gdh (the counterfactual pass's
  /// adjoint, backward_geo) and the shared scalars' to lg.
  void lift_backward(int g, int k, int i, const PanelModelParameters& p, PanelWorkspace& ws, LiftGradient& lg) const {
    const PanelLiftTest& lt = d_.lift_tests[static_cast<std::size_t>(k)];
    const int c = lt.channel, j = conv_slot_[static_cast<std::size_t>(c)];
    const bool stock = lift_moves_stock(lt);
    const double q = ws.lift_q[k], beta = j >= 0 ? p.beta(j, g) : 0.0, theta = p.theta_geo[g];
    const Vector& qt = ws.lift_qt[static_cast<std::size_t>(k)];  // week by week: dL/dpred_t
    const auto q_at = [&](int t) { return qt.size() != 0 ? qt[t - lt.start] : q; };
    Matrix& gH = ws.gH[static_cast<std::size_t>(g)];
    const Matrix& H = ws.H[static_cast<std::size_t>(g)];
    const auto hcf = ws.lift_h[static_cast<std::size_t>(k)].col(i);
    const auto D = ws.lift_D[static_cast<std::size_t>(k)].col(i);
    auto gdh = ws.lift_gdh[static_cast<std::size_t>(k)].col(i);
    gdh.setZero();
    double gbeta = 0.0;
    for (int t = lt.start; t < lt.measured_end; ++t) {
      const double wq = q_at(t) * lift_w(t, g), S = stock ? ws.S(t, g) - D[t] : ws.S(t, g), dh = H(t, c) - hcf[t];
      if (j >= 0) {  // beta (1 + theta S_cf) (h - h_cf), S_cf = S - D
        gbeta += wq * (1.0 + theta * S) * dh;
        gdh[t] += wq * beta * (1.0 + theta * S);
        if (trust_enabled()) {
          ws.gS(t, g) += wq * beta * theta * dh;
          lg.theta += wq * beta * S * dh;
        }
      }
      if (stock) {  // gamma D + theta conv D: conv = sum_s beta_s h_s
        lg.gamma += wq * D[t];
        lg.theta += wq * ws.conv(t, g) * D[t];
        for (int s = 0; s < S_; ++s) {
          const int cs = conv_idx_[static_cast<std::size_t>(s)];
          ws.gbeta(s, g) += wq * theta * D[t] * H(t, cs);
          gH(t, cs) += wq * theta * D[t] * p.beta(s, g);
        }
      }
    }
    if (j >= 0) ws.gbeta(j, g) += gbeta;
    if (stock) {  // D's recursion in reverse: dL/dD[t] = W q (gamma + theta conv - theta beta (h - h_cf))
      const int slot = trust_slot(c);
      const double delta = p.delta_geo[g], kappa = p.kappa[slot];
      double lam_next = 0.0;
      for (int t = lt.measured_end - 1; t >= lt.start; --t) {
        const double wq = q_at(t) * lift_w(t, g), dh = H(t, c) - hcf[t];
        const double lam = wq * (p.gamma + theta * ws.conv(t, g) - theta * beta * dh) + delta * lam_next;
        lg.delta += lam * ((t > lt.start ? D[t - 1] : 0.0) - kappa * dh);
        const double gdu = (1.0 - delta) * lam;
        gdh[t] += kappa * gdu;
        lg.kappa[slot] += gdu * dh;
        lam_next = lam;
      }
    }
    gH.col(c) += gdh;  // the actual pass (the counterfactual pass gets -gdh, backward_geo)
  }


  /// The national stock's inflow u[t] = sum_p kappa_p hn[p, t] at p's alpha, lam and kappa:
  /// the recursive adstock of the national series, then the channel's curve (An, dAn, Hn:
  /// T x C, the trust channels' columns written).
  void national_inflow(const PanelModelParameters& p, Matrix& An, Matrix& dAn, Matrix& Hn, Vector& u) const {
    u.setZero(T_);
    for (int i = 0; i < P_; ++i) {
      const int c = trust_idx_[static_cast<std::size_t>(i)];
      transforms::geometric_adstock_recursive(d_.national_media.col(c), p.alpha[c], d_.max_lag, An.col(c), dAn.col(c));
      saturate(c, An.col(c).data(), p.lam[c], Hn.col(c).data(), T_);
      u += p.kappa[i] * Hn.col(c);
    }
  }
  /// The bounded national stock from inflow u at p's delta, g0, b, rho and the crises'
  /// damage omega (the data's shocks; none past the data).
  void bounded_path(const PanelModelParameters& p, const Vector& u, Vector& S) const {
    S.resize(u.size());
    const Vector omega = p.omega.size() == E_ ? p.omega : Vector(Vector::Constant(E_, 0.1));  // (unconstrain's default)
    TrustModel::bounded_stock_recursion(p.delta, p.g0, p.trust_base, p.inflow, u, omega, shocks_for(u.size()), S);
  }
  /// The shocks over n periods: the data's, zero rows past them (n x 0 without shocks).
  [[nodiscard]] Matrix shocks_for(Eigen::Index n) const {
    Matrix d = Matrix::Zero(n, E_);
    const Eigen::Index k = std::min<Eigen::Index>(n, T_);
    if (E_ > 0) d.topRows(k) = d_.shocks.topRows(k);
    return d;
  }
  /// The crises' damage c[t] = sum_e omega_e d[t, e] over the data (empty without shocks).
  [[nodiscard]] Vector shock_damage(const PanelModelParameters& p) const {
    return E_ > 0 ? Vector(d_.shocks * p.omega) : Vector();
  }
  /// The mean over the tracker's measured entries of what it measures of the national
  /// stock S with geo multipliers m (ones for trust national): a national tracker the
  /// population-weighted mean sum_g w[t, g] m_g S[t], a geo tracker S_g[t] = m_g S[t].
  [[nodiscard]] double tracked_mean(const Vector& S, const Vector& m) const {
    double total = 0.0;
    const bool national_tracker = d_.tracker.cols() == 1;
    for (Eigen::Index k = 0; k < d_.tracker.cols(); ++k)
      for (Eigen::Index t = 0; t < T_; ++t) {
        if (std::isnan(d_.tracker(t, k))) continue;
        total += national_tracker ? S[t] * d_.weights.row(t).dot(m) : m[k] * S[t];
      }
    return total / n_tracker_obs_;
  }

  /// A share tracker (top of this file) against the tracked shares S (T x K, K = the
  /// tracker's columns: one national series, or the geos' S_g): r = q - a_q - S with one
  /// a_q = level - mean over every measured entry of S (the free level z[o_tracker_]),
  /// v = se^2 + sigma_q^2; -r^2 / (2 v) - ln(v) / 2 per measured entry and a_q ~ Normal(0,
  /// tracker_bias_sd). Sets p.tracker_a; adds dL/dS to gS (through a_q too: -dL/da_q / n
  /// at each measured entry) and the gradients of the level and ln sigma_q (its HalfNormal:
  /// shared_priors).
  template <class St, class GS>
  double share_tracker_term(const Eigen::Ref<const Vector>& z, const St& S, PanelModelParameters& p, GS& gS,
                            Eigen::Ref<Vector> grad) const {
    const double s2 = p.tracker_sigma * p.tracker_sigma, n_obs = n_tracker_obs_;
    const double sa2 = pr_.base.tracker_bias_sd * pr_.base.tracker_bias_sd;
    const bool known_se = d_.tracker_se.size() != 0;
    const Eigen::Index K = d_.tracker.cols();
    double gm = 0.0;
    for (Eigen::Index k = 0; k < K; ++k)
      for (int t = 0; t < T_; ++t)
        if (!std::isnan(d_.tracker(t, k))) gm += S(t, k);
    p.tracker_a = z[o_tracker_] - gm / n_obs;
    double lp = -0.5 * p.tracker_a * p.tracker_a / sa2, ga = 0.0, gsq = 0.0;
    for (Eigen::Index k = 0; k < K; ++k)
      for (int t = 0; t < T_; ++t) {
        const double q = d_.tracker(t, k);
        if (std::isnan(q)) continue;
        const double r = q - p.tracker_a - S(t, k);
        const double se = known_se ? d_.tracker_se(t, k) : 0.0, v = se * se + s2;
        lp += -0.5 * r * r / v - 0.5 * std::log(v);
        ga += r / v;
        gsq += (r * r / v - 1.0) * s2 / v;
        gS(t, k) += r / v;
      }
    const double g_level = ga - p.tracker_a / sa2;  // dL/da_q = dL/dlevel
    for (Eigen::Index k = 0; k < K; ++k)
      for (int t = 0; t < T_; ++t)
        if (!std::isnan(d_.tracker(t, k))) gS(t, k) -= g_level / n_obs;
    grad[o_tracker_] += g_level;
    grad[o_tracker_ + 1] += gsq;
    return lp;
  }

  /// Reverse mode through the bounded national stock (the national model's
  /// bounded_stock_adjoint): from ws.gSn to ws.ga = dL/du[t], dL/ddelta and dL/dg0 (added
  /// to gdelta, gg0), and dL/dlogit b, dL/dln(rho ubar) and dL/dln omega_e into grad. With
  /// lambda[t] the total adjoint of S[t] and s[t] the crises' survival exp(-sum_e omega_e
  /// d[t, e]): lambda[t] = gS[t] + delta s[t+1] e[t+1] lambda[t+1]; dS[t]/ddelta = s e
  /// (S[t-1] - b), dS[t]/db = s e (1 - delta), dS[t]/du[t] = rho s e (1 - m), dS[t]/drho =
  /// s e (1 - m) u[t], dS[t]/domega_e = -d[t, e] S[t]. ln rho = z - ln ubar, so the whole
  /// d/d ln rho (with rho's HalfNormal(inflow_sd) and its Jacobian, returned as a log
  /// density) also reaches every u[t] by -1 / (T ubar).
  double bounded_adjoint(const PanelModelParameters& p, PanelWorkspace& ws, Eigen::Ref<Vector> grad, double& gdelta,
                         double& gg0) const {
    const double b = p.trust_base, rho = p.inflow;
    // the national model's kernel; ws.lam: lambda[t] S[t], for the crises' damage
    const TrustModel::BoundedStockGradient r = TrustModel::bounded_stock_reverse(
        p.delta, p.g0, b, rho, ws.u.data(), ws.Sn.data(), ws.ex.data(), ws.sx.data(), ws.gSn.data(), T_, ws.ga.data(),
        E_ > 0 ? ws.lam.data() : nullptr);
    for (int e = 0; e < E_; ++e) grad[o_omega_ + e] += -ws.lam.dot(d_.shocks.col(e)) * p.omega[e];
    gdelta += r.delta;
    gg0 += r.g0;  // dS[0]/dg0 = s[0] e[0] delta
    const double gbase = r.base, grho = r.rho;
    grad[o_tform_] += gbase * b * (1.0 - b);
    const priors::LogTerm prior = priors::half_normal_on_log(rho, pr_.base.inflow_sd);
    const double g_lnrho = grho * rho + prior.gradient;
    grad[o_tform_ + 1] += g_lnrho;
    ws.ga.array() -= g_lnrho / (static_cast<double>(T_) * p.inflow_mean);
    return prior.value;
  }

  /// S[t] = delta S[t-1] + (1 - delta) u[t] - c[t], S[-1] = g0 (MODEL.md section 2), c[t] =
  /// sum_e omega_e d[t, e] the crises' damage (c empty: none; shorter than u: 0 after it).
  template <class U, class Out>
  static void stock_recursion(double delta, double g0, const U& u, const Vector& c, Out&& out) {
    double s = g0;
    for (Eigen::Index t = 0; t < u.size(); ++t) {
      s = delta * s + (1.0 - delta) * u[t];
      if (t < c.size()) s -= c[t];
      out[t] = s;
    }
  }
  /// Reverse mode of stock_recursion: lambda[t] = gS[t] + delta lambda[t+1]; writes
  /// gu[t] = (1 - delta) lambda[t]; adds dL/ddelta = sum_t lambda[t] (S[t-1] - u[t]) and
  /// dL/dg0 = delta lambda[0] (the damage c[t] does not depend on delta); with lam, writes
  /// lambda[t] there too (dL/dc[t] = -lambda[t]).
  template <class S, class U, class GS>
  static void stock_adjoint(double delta, double g0, const S& st, const U& u, const GS& gS, Vector& gu, double& gdelta,
                            double& gg0, double* lam = nullptr) {
    const Eigen::Index T = u.size();
    double lam_next = 0.0;
    for (Eigen::Index t = T - 1; t >= 0; --t) {
      const double lam_t = gS[t] + delta * lam_next;
      const double prev = t > 0 ? st[t - 1] : g0;
      gdelta += lam_t * (prev - u[t]);
      gu[t] = (1.0 - delta) * lam_t;
      if (lam != nullptr) lam[t] = lam_t;
      lam_next = lam_t;
    }
    gg0 += delta * lam_next;
  }

  /// One tracker series q (NaN unmeasured) against stock S: the national model's index
  /// measurement q ~ Normal(a_q + b_q S, sqrt(se^2 + sigma_q^2)) (no 2 pi constant, as
  /// there), se the column `col` of tracker_se (0 without it); adds dL/dS to gS and the
  /// gradients of a_q, ln b_q, ln sigma_q.
  template <class Q, class St, class GS>
  double tracker_term(const Q& q, const St& S, const PanelModelParameters& p, GS&& gS, Eigen::Ref<Vector> grad,
                      Eigen::Index col) const {
    const double s2 = p.tracker_sigma * p.tracker_sigma;
    const bool known_se = d_.tracker_se.size() != 0;
    double lp = 0.0, ga = 0.0, gbq = 0.0, gsq = 0.0;
    for (Eigen::Index t = 0; t < q.size(); ++t) {
      if (std::isnan(q[t])) continue;
      const double r = q[t] - p.tracker_a - p.tracker_b * S[t];
      const double se = known_se ? d_.tracker_se(t, col) : 0.0, v = se * se + s2;
      lp += -0.5 * r * r / v - 0.5 * std::log(v);
      ga += r / v;
      gbq += r / v * S[t];
      gsq += (r * r / (v * v) - 1.0 / v) * s2;  // d/d ln sigma_q: dv = 2 s2
      gS[t] += r / v * p.tracker_b;
    }
    grad[o_tracker_] += ga;
    grad[o_tracker_ + 1] += gbq * p.tracker_b;
    grad[o_tracker_ + 2] += gsq;
    return lp;
  }

  /// Priors of the shared and pooled curvature/trust parameters (the national model's, term
  /// for term, priors.hpp) with their log-Jacobians; adds their gradients, and the
  /// likelihood's gradients of the per-geo alpha, lam, delta, theta (ws.part) through their
  /// pooling blocks.
  double shared_priors(const Eigen::Ref<const Vector>& z, const PanelModelParameters& p, const PanelWorkspace& ws,
                       Eigen::Ref<Vector> grad) const {
    const TrustModelPriors& q = pr_.base;
    double lp = 0.0;
    auto half_normal_log = [&](int idx, double value, double sd) {
      const priors::LogTerm t = priors::half_normal_on_log(value, sd);
      lp += t.value;
      grad[idx] += t.gradient;
    };
    Vector gf(G_);
    const auto logistic = [](double v) { return v >= 0 ? 1.0 / (1.0 + std::exp(-v)) : std::exp(v) / (1.0 + std::exp(v)); };
    for (int c = 0; c < C_; ++c) {
      for (int g = 0; g < G_; ++g) gf[g] = ws.part(r_alpha_ + c, g) * p.alpha_geo(c, g) * (1.0 - p.alpha_geo(c, g));
      lp += alpha_blocks_[static_cast<std::size_t>(c)].backward(
          z, gf, [&](double v) { return priors::beta_on_logit(logistic(v), q.alpha_a, q.alpha_b); },
          grad);  // Beta + logit Jacobian
      for (int g = 0; g < G_; ++g) gf[g] = ws.part(r_lam_ + c, g) * p.lam_geo(c, g);
      if (saturation_form(c) == SaturationForm::hill && pr_.hill_ec_normal()) {  // ec ~ Normal, ec > 0: + ln ec
        const double m = pr_.hill_ec_mean, s2 = pr_.hill_ec_sd * pr_.hill_ec_sd;
        lp += lam_blocks_[static_cast<std::size_t>(c)].backward(
            z, gf,
            [&](double v) {
              const double ec = std::exp(v);
              return priors::LogTerm{-0.5 * (ec - m) * (ec - m) / s2 + v, -(ec - m) * ec / s2 + 1.0};
            },
            grad);
      } else if (saturation_form(c) == SaturationForm::hill) {  // ln ec ~ Normal: on the free coordinate itself
        const double m = pr_.hill_ec_log_median, s2 = pr_.hill_ec_sd_log * pr_.hill_ec_sd_log;
        lp += lam_blocks_[static_cast<std::size_t>(c)].backward(
            z, gf, [&](double v) { return priors::LogTerm{-0.5 * (v - m) * (v - m) / s2, -(v - m) / s2}; }, grad);
      } else {
        lp += lam_blocks_[static_cast<std::size_t>(c)].backward(
            z, gf, [&](double v) { return priors::gamma_on_log(v, std::exp(v), q.lam_shape, q.lam_rate); },
            grad);  // Gamma + log Jacobian
      }
    }
    half_normal_log(o_sigma_, p.sigma, q.sigma_sd);
    if (ar1()) {  // atanh phi ~ Normal(0, ar1_sd), on the free coordinate itself (no Jacobian)
      const double za = z[o_ar1_], sd2 = q.ar1_sd * q.ar1_sd;
      lp += -0.5 * za * za / sd2;
      grad[o_ar1_] += -za / sd2;
    }
    // uncertain shares: dL/d ln m_g = +-dL/d ln lam_geo (logistic +, Hill -), and d ln m_g /
    // d z_j = sd (1[g = j] - sbar_j m_j); z ~ Normal(0, 1)
    for (int c : share_idx_) {
      const double sd = d_.share_sd[c], sign = saturation_form(c) == SaturationForm::hill ? -1.0 : 1.0;
      const int o = o_share_ + share_slot_[static_cast<std::size_t>(c)] * G_;
      double total = 0.0;
      for (int g = 0; g < G_; ++g) {
        gf[g] = sign * ws.part(r_lam_ + c, g) * p.lam_geo(c, g);
        total += gf[g];
      }
      for (int g = 0; g < G_; ++g) {
        const double zg = z[o + g];
        lp += -0.5 * zg * zg;
        grad[o + g] += sd * (gf[g] - d_.share_mean(g, c) * p.share_multiplier(c, g) * total) - zg;
      }
    }
    if (!trust_enabled()) return lp;
    for (int i = 0; i < P_; ++i) lp += std::log(p.kappa[i]);  // flat Dirichlet + log-ratio Jacobian
    grad.segment(o_kappa_, P_ - 1).noalias() -= (static_cast<double>(P_) * helmert_.transpose()) * p.kappa;
    // LogNormal half-life prior on delta (the national model's)
    for (int g = 0; g < G_; ++g) gf[g] = ws.part(r_delta_, g) * p.delta_geo[g] * (1.0 - p.delta_geo[g]);
    lp += delta_block_.backward(
        z, gf, [&](double v) { return priors::half_life_on_logit(logistic(v), q.half_life_median, q.half_life_sd_log); },
        grad);
    if (bounded()) {
      // logit b ~ Normal(m_b, s_b), logit G0 ~ Normal(logit b, s_0): on the free parameters
      // themselves (no Jacobian); rho's HalfNormal is in bounded_adjoint (it reaches u via ubar)
      const double rb = z[o_tform_] - q.trust_base_logit_mean, sb2 = q.trust_base_logit_sd * q.trust_base_logit_sd;
      const double r0 = z[o_g0_] - z[o_tform_], s02 = q.g0_logit_sd * q.g0_logit_sd;
      lp += -0.5 * rb * rb / sb2 - 0.5 * r0 * r0 / s02;
      grad[o_tform_] += -rb / sb2 + r0 / s02;
      grad[o_g0_] += -r0 / s02;
    } else {
      lp += -0.5 * (p.g0 - q.g0_mean) * (p.g0 - q.g0_mean) / (q.g0_sd * q.g0_sd);
      grad[o_g0_] += -(p.g0 - q.g0_mean) / (q.g0_sd * q.g0_sd);
    }
    for (int e = 0; e < E_; ++e) {  // omega_e ~ HalfNormal(omega_sd), ln omega_e free (+ its Jacobian)
      const double v = q.omega_sd * q.omega_sd;
      lp += -0.5 * p.omega[e] * p.omega[e] / v + std::log(p.omega[e]);
      grad[o_omega_ + e] += -p.omega[e] * p.omega[e] / v + 1.0;
    }
    half_normal_log(o_gamma_, p.gamma, q.gamma_sd);
    for (int g = 0; g < G_; ++g) gf[g] = ws.part(r_theta_, g) * p.theta_geo[g];
    lp += theta_block_.backward(z, gf, [&](double v) { return priors::half_normal_on_log(std::exp(v), q.theta_sd); }, grad);
    if (tracker_share()) {  // (a_q's Normal prior is added in share_tracker_term)
      half_normal_log(o_tracker_ + 1, p.tracker_sigma, q.tracker_share_sigma_sd);
    } else if (has_tracker()) {  // (a_q's Normal prior is added in log_density)
      half_normal_log(o_tracker_ + 1, p.tracker_b, q.tracker_b_sd);
      half_normal_log(o_tracker_ + 2, p.tracker_sigma, q.tracker_sigma_sd);
    }
    if (d_.trust_level == TrustLevel::national_geo) {  // eta ~ Normal(0, 1), tau ~ HalfNormal + Jacobian ln tau
      for (int g = 0; g < G_; ++g) {
        const double eta = z[o_dev_ + 1 + g];
        lp += -0.5 * eta * eta;
        grad[o_dev_ + 1 + g] += -eta;
      }
      half_normal_log(o_dev_, p.stock_tau, pr_.stock_deviation_sd);
    }
    return lp;
  }

  /// with_roi = false leaves the effects of channels with a ROI prior NaN: log_density()
  /// fills them from the H of its own forward pass (fill_roi_effects); with_trust = false
  /// leaves the bounded form's rho and a share tracker's a_q NaN (log_density() finishes
  /// them from its own national series).
  void constrain_into_params(const Eigen::Ref<const Vector>& z, PanelModelParameters& p, bool with_roi = true,
                             bool with_trust = true) const {
    check_dimension(z);
    const auto logistic = [](double v) { return v >= 0 ? 1.0 / (1.0 + std::exp(-v)) : std::exp(v) / (1.0 + std::exp(v)); };
    p.alpha.resize(C_);
    p.lam.resize(C_);
    p.alpha_geo.resize(C_, G_);
    p.lam_geo.resize(C_, G_);
    p.alpha_tau.resize(C_);
    p.lam_tau.resize(C_);
    for (int c = 0; c < C_; ++c) {
      const FreeBlock& ba = alpha_blocks_[static_cast<std::size_t>(c)];
      const FreeBlock& bl = lam_blocks_[static_cast<std::size_t>(c)];
      p.alpha[c] = logistic(ba.location(z));
      p.lam[c] = std::exp(bl.location(z));
      p.alpha_tau[c] = ba.tau(z);
      p.lam_tau[c] = bl.tau(z);
      for (int g = 0; g < G_; ++g) {
        p.alpha_geo(c, g) = ba.kind == Pooling::complete ? p.alpha[c] : logistic(ba.free(z, g));
        p.lam_geo(c, g) = bl.kind == Pooling::complete ? p.lam[c] : std::exp(bl.free(z, g));
      }
    }
    // uncertain shares: ln m_g = sd z_g - ln sum_h sbar_h exp(sd z_h) (top of this file)
    p.share_multiplier.setOnes(C_, G_);
    for (int c : share_idx_) {
      const double sd = d_.share_sd[c];
      const auto zc = z.segment(o_share_ + share_slot_[static_cast<std::size_t>(c)] * G_, G_);
      const double mx = sd * zc.maxCoeff();
      double n = 0.0;
      for (int g = 0; g < G_; ++g) n += d_.share_mean(g, c) * std::exp(sd * zc[g] - mx);
      for (int g = 0; g < G_; ++g) {
        const double m = std::exp(sd * zc[g] - mx) / n;
        p.share_multiplier(c, g) = m;
        p.lam_geo(c, g) *= share_factor(c, m);
      }
    }
    p.beta.resize(S_, G_);
    p.beta_median.resize(S_);
    p.beta_tau.resize(S_);
    Vector row(G_);
    for (int j = 0; j < S_; ++j) {
      if (effect_blocks_[static_cast<std::size_t>(j)].roi) {
        p.beta.row(j).setConstant(std::numeric_limits<double>::quiet_NaN());
        continue;
      }
      effect_blocks_[static_cast<std::size_t>(j)].values(z, row, p.beta_median[j], p.beta_tau[j]);
      p.beta.row(j) = row.transpose();
    }
    if (with_roi && n_roi_ > 0) {
      Matrix H(S_, G_);
      roi_weighted_saturation(p, H);
      fill_roi_effects(z, H, p);
    }
    p.b.resize(K_, G_);
    p.b_mean.resize(K_);
    p.b_tau.resize(K_);
    for (int k = 0; k < K_; ++k) {
      base_blocks_[static_cast<std::size_t>(k)].values(z, row, p.b_mean[k], p.b_tau[k]);
      p.b.row(k) = row.transpose();
    }
    p.sigma = std::exp(z[o_sigma_]);
    p.period_effect.setZero(T_);
    if (d_.period_effects) p.period_effect.tail(T_ - 1) = z.segment(o_period_, T_ - 1);
    p.kappa.resize(P_);
    p.delta_geo.setZero(G_);  // (no trust: unused zeros; theta 0 makes the amplification vanish)
    p.theta_geo.setZero(G_);
    p.stock_multiplier.setOnes(G_);
    p.delta_tau = p.theta_tau = p.stock_tau = std::numeric_limits<double>::quiet_NaN();
    p.omega.resize(0);
    if (trust_enabled()) {
      p.kappa.noalias() = helmert_ * z.segment(o_kappa_, P_ - 1);
      const double mx = p.kappa.maxCoeff();
      p.kappa.array() = (p.kappa.array() - mx).exp();
      p.kappa /= p.kappa.sum();
      p.delta = logistic(delta_block_.location(z));
      p.delta_tau = delta_block_.tau(z);
      p.g0 = bounded() ? logistic(z[o_g0_]) : z[o_g0_];
      p.gamma = std::exp(z[o_gamma_]);
      p.theta = std::exp(theta_block_.location(z));
      p.theta_tau = theta_block_.tau(z);
      for (int g = 0; g < G_; ++g) {
        p.delta_geo[g] = delta_block_.kind == Pooling::complete ? p.delta : logistic(delta_block_.free(z, g));
        p.theta_geo[g] = theta_block_.kind == Pooling::complete ? p.theta : std::exp(theta_block_.free(z, g));
      }
      if (d_.trust_level == TrustLevel::national_geo) {
        p.stock_tau = std::exp(z[o_dev_]);
        for (int g = 0; g < G_; ++g) p.stock_multiplier[g] = std::exp(p.stock_tau * z[o_dev_ + 1 + g]);
      }
      p.omega = z.segment(o_omega_, E_).array().exp().matrix();
      if (tracker_share()) {  // b_q = 1; a_q = level - mean share over the observed periods (below)
        p.tracker_a = std::numeric_limits<double>::quiet_NaN();
        p.tracker_b = 1.0;
        p.tracker_sigma = std::exp(z[o_tracker_ + 1]);
      } else if (has_tracker()) {
        p.tracker_a = z[o_tracker_];
        p.tracker_b = std::exp(z[o_tracker_ + 1]);
        p.tracker_sigma = std::exp(z[o_tracker_ + 2]);
      }
      if (bounded()) {
        p.trust_base = logistic(z[o_tform_]);
        p.inflow = p.inflow_mean = std::numeric_limits<double>::quiet_NaN();
        if (with_trust) {  // rho = exp(z) / ubar at the data's national series
          Matrix An(T_, C_), dAn(T_, C_), Hn(T_, C_);
          Vector u(T_), S(T_);
          national_inflow(p, An, dAn, Hn, u);
          p.inflow_mean = u.mean();
          p.inflow = std::exp(z[o_tform_ + 1]) / p.inflow_mean;
          if (tracker_share()) {
            bounded_path(p, u, S);
            p.tracker_a = z[o_tracker_] - tracked_mean(S, p.stock_multiplier);
          }
        }
      }
    }
    p.ar1 = ar1() ? std::tanh(z[o_ar1_]) : 0.0;
  }

  void check_dimension(const Eigen::Ref<const Vector>& z) const {
    if (z.size() != n_) fail("parameter vector has ", z.size(), " values, the panel model has ", n_);
  }

  /// Sizes ws's buffers for this model, unless they were sized for it (or a copy of it)
  /// last: every buffer follows the model, whatever another model sized before.
  void resize(PanelWorkspace& ws) const {
    if (ws.sized_for == id_) return;
    ws.sized_for = id_;
    const auto Gs = static_cast<std::size_t>(G_);
    ws.A.assign(Gs, Matrix(T_, C_));
    ws.dA.assign(Gs, Matrix(T_, C_));
    ws.H.assign(Gs, Matrix(T_, C_));
    ws.gH.assign(Gs, Matrix(T_, C_));
    ws.An.resize(T_, C_);
    ws.dAn.resize(T_, C_);
    ws.Hn.resize(T_, C_);
    ws.gHn.resize(T_, C_);
    for (Matrix* m : {&ws.S, &ws.gS, &ws.mu, &ws.gmu, &ws.conv}) m->setZero(T_, G_);
    ws.gbeta.resize(S_, G_);
    ws.gb.resize(K_, G_);
    for (Matrix* m : {&ws.roi_h, &ws.roi_dlam, &ws.roi_dalpha}) m->setZero(S_, G_);
    ws.part.resize(n_part_, G_);
    ws.ll.resize(G_);
    ws.lift_a.resize(d_.lift_tests.size());
    ws.lift_da.resize(d_.lift_tests.size());
    ws.lift_h.resize(d_.lift_tests.size());
    ws.lift_D.resize(d_.lift_tests.size());
    ws.lift_gdh.resize(d_.lift_tests.size());
    for (std::size_t k = 0; k < d_.lift_tests.size(); ++k)
      for (auto* m : {&ws.lift_a[k], &ws.lift_da[k], &ws.lift_h[k], &ws.lift_D[k], &ws.lift_gdh[k]})
        m->resize(T_, static_cast<Eigen::Index>(d_.lift_tests[k].geos.size()));
    ws.lift_q.setZero(static_cast<Eigen::Index>(d_.lift_tests.size()));
    ws.lift_pt.resize(d_.lift_tests.size());
    ws.lift_qt.resize(d_.lift_tests.size());
    for (std::size_t k = 0; k < d_.lift_tests.size(); ++k) {
      ws.lift_pt[k].resize(d_.lift_tests[k].period_lift.size());
      ws.lift_qt[k].resize(d_.lift_tests[k].period_lift.size());
    }
    for (Vector* v : {&ws.Sn, &ws.gSn, &ws.u, &ws.ga, &ws.Sw, &ws.gSw, &ws.mu_shared, &ws.gmu_sum, &ws.ex, &ws.sx, &ws.lam})
      v->setZero(T_);
  }

  void validate() {
    C_ = static_cast<int>(d_.media.size());
    G_ = static_cast<int>(d_.y.cols());
    T_ = static_cast<int>(d_.y.rows());
    if (G_ < 1) fail("the panel needs at least 1 geo");
    if (T_ < 2) fail("the outcome needs at least 2 periods, got ", T_);
    if (!d_.y.allFinite()) fail("the outcome y must be finite (no NaN)");
    if (C_ < 1) fail("the panel needs at least 1 channel");
    for (int c = 0; c < C_; ++c) {
      const Matrix& m = d_.media[static_cast<std::size_t>(c)];
      if (m.rows() != T_ || m.cols() != G_)
        fail("media[", c, "] must be ", T_, " x ", G_, ", got ", m.rows(), " x ", m.cols());
      for (Eigen::Index g = 0; g < G_; ++g)
        for (Eigen::Index t = 0; t < T_; ++t)
          if (!(m(t, g) >= 0.0) || !std::isfinite(m(t, g)))
            fail("media[", c, "] must be finite and >= 0: period ", t, ", geo ", g, " is ", m(t, g));
    }
    if (static_cast<int>(d_.trust.size()) != C_ || static_cast<int>(d_.conversion.size()) != C_)
      fail("trust and conversion flags need one value per channel (", C_, ")");
    if (static_cast<int>(d_.effect_pooling.size()) != C_) fail("effect_pooling needs one value per channel (", C_, ")");
    if (static_cast<int>(d_.baseline.size()) != G_) fail("baseline needs one design matrix per geo (", G_, ")");
    K_ = static_cast<int>(d_.baseline[0].cols());
    for (int g = 0; g < G_; ++g) {
      const Matrix& b = d_.baseline[static_cast<std::size_t>(g)];
      if (b.rows() != T_ || b.cols() != K_)
        fail("baseline[", g, "] must be ", T_, " x ", K_, ", got ", b.rows(), " x ", b.cols());
      if (!b.allFinite()) fail("baseline[", g, "] must be finite");
    }
    if (static_cast<int>(d_.baseline_pooling.size()) != K_)
      fail("baseline_pooling needs one value per baseline column (", K_, ")");
    if (!d_.baseline_centred.empty() && static_cast<int>(d_.baseline_centred.size()) != K_)
      fail("baseline_centred needs one flag per baseline column (", K_, ") or none");
    if (!d_.effect_centred.empty() && static_cast<int>(d_.effect_centred.size()) != C_)
      fail("effect_centred needs one flag per channel (", C_, ") or none");
    split_baseline();
    if (d_.weights.size() == 0) d_.weights = Matrix::Constant(T_, G_, 1.0 / G_);
    if (d_.weights.rows() != T_ || d_.weights.cols() != G_) fail("weights must be ", T_, " x ", G_);
    if (d_.national_media.size() == 0) {
      d_.national_media.resize(T_, C_);
      for (int c = 0; c < C_; ++c)
        d_.national_media.col(c) = d_.media[static_cast<std::size_t>(c)].cwiseProduct(d_.weights).rowwise().sum();
    }
    if (d_.national_media.rows() != T_ || d_.national_media.cols() != C_) fail("national_media must be ", T_, " x ", C_);
    if (d_.max_lag < 0) fail("max_lag must be >= 0, got ", d_.max_lag);
    for (const auto* v : {&d_.adstock_pooling, &d_.saturation_pooling})
      if (!v->empty() && static_cast<int>(v->size()) != C_)
        fail("adstock_pooling and saturation_pooling need one value per channel (", C_, ") or none (complete)");
    if (!d_.saturation.empty() && static_cast<int>(d_.saturation.size()) != C_)
      fail("saturation needs one curve per channel (", C_, ") or none (logistic), got ", d_.saturation.size());
    if (d_.hill_slope.size() != 0 && d_.hill_slope.size() != C_)
      fail("hill_slope needs one value per channel (", C_, ") or none (1), got ", d_.hill_slope.size());
    for (Eigen::Index c = 0; c < d_.hill_slope.size(); ++c)
      if (!(d_.hill_slope[c] >= 1.0) || !std::isfinite(d_.hill_slope[c]))
        fail("hill_slope of channel ", c, " is ", d_.hill_slope[c],
             "; expected a finite slope >= 1 (below 1 the curve's derivative is infinite at zero activity)");
    if (!std::isfinite(pr_.hill_ec_log_median) || !(pr_.hill_ec_sd_log > 0.0) || !std::isfinite(pr_.hill_ec_sd_log))
      fail("hill_ec_log_median must be finite and hill_ec_sd_log finite and > 0, got ", pr_.hill_ec_log_median, " and ",
           pr_.hill_ec_sd_log);
    if (pr_.hill_ec_normal() &&
        (!std::isfinite(pr_.hill_ec_mean) || !(pr_.hill_ec_sd > 0.0) || !std::isfinite(pr_.hill_ec_sd)))
      fail("hill_ec_mean must be finite and hill_ec_sd finite and > 0 (ec's Normal prior), got ", pr_.hill_ec_mean, " and ",
           pr_.hill_ec_sd);
    const bool national_series = d_.trust_level == TrustLevel::national || d_.trust_level == TrustLevel::national_geo;
    if (d_.trust_level == TrustLevel::off && d_.amplification_pooling != Pooling::complete)
      fail("amplification pooling '", to_string(d_.amplification_pooling), "' needs a trust stock (trust level off)");
    if (d_.trust_level != TrustLevel::geo && d_.half_life_pooling != Pooling::complete)
      fail("trust half-life pooling '", to_string(d_.half_life_pooling),
           "' needs one stock per geo (trust level 'geo'); the ", to_string(d_.trust_level),
           " level has one national stock with one retention");
    if (national_series)
      for (int c = 0; c < C_; ++c) {
        if (!d_.trust[static_cast<std::size_t>(c)]) continue;
        for (const auto* v : {&d_.adstock_pooling, &d_.saturation_pooling})
          if (!v->empty() && (*v)[static_cast<std::size_t>(c)] == Pooling::none)
            fail("trust channel ", c,
                 ": adstock/saturation pooling 'none' leaves no national value for the national stock's ",
                 "series (trust level ", to_string(d_.trust_level), "); use 'partial' (its median) or trust level 'geo'");
      }
    if (d_.tracker.size() != 0) {
      if (d_.trust_level == TrustLevel::off) fail("a trust tracker needs the trust stock (trust level national or geo)");
      if (d_.tracker.rows() != T_ || (d_.tracker.cols() != 1 && d_.tracker.cols() != G_))
        fail("tracker must be ", T_, " x 1 (national) or ", T_, " x ", G_, " (per geo), got ", d_.tracker.rows(), " x ",
             d_.tracker.cols());
    }
    if (d_.shocks.size() != 0 || d_.shocks.cols() > 0) {
      if (d_.trust_level == TrustLevel::off)
        fail("shocks (crises that damage trust) need a trust stock (trust level national, geo or national+geo)");
      if (d_.shocks.rows() != T_) fail("shocks must have ", T_, " rows (one per period), got ", d_.shocks.rows());
      for (Eigen::Index e = 0; e < d_.shocks.cols(); ++e)
        for (Eigen::Index t = 0; t < T_; ++t)
          if (!(d_.shocks(t, e) >= 0.0) || !std::isfinite(d_.shocks(t, e)))
            fail("shocks: period ", t, ", shock ", e, " is ", d_.shocks(t, e), "; expected a finite number >= 0");
    }
    E_ = static_cast<int>(d_.shocks.cols());
    if (d_.trust_form == TrustForm::bounded && d_.trust_level != TrustLevel::off) {
      if (d_.trust_level == TrustLevel::geo)
        fail(
            "trust_form 'bounded' needs one national stock (trust level national or national+geo); bounded stocks per "
            "geo (trust level geo) are not implemented");
    }
    if (d_.tracker_share) {
      if (d_.trust_form != TrustForm::bounded || d_.trust_level == TrustLevel::off)
        fail("tracker_share: a tracker that measures the share needs the bounded trust form (trust_form = bounded)");
      if (d_.tracker.size() == 0) fail("tracker_share needs a tracker (the survey share of trusting people)");
      for (Eigen::Index k = 0; k < d_.tracker.cols(); ++k)
        for (Eigen::Index t = 0; t < d_.tracker.rows(); ++t)
          if (!std::isnan(d_.tracker(t, k)) && !(d_.tracker(t, k) >= 0.0 && d_.tracker(t, k) <= 1.0))
            fail("tracker_share: period ", t, ", column ", k, " is ", d_.tracker(t, k),
                 "; a share tracker's values must lie in [0, 1]");
    }
    if (d_.tracker_se.size() != 0) {
      if (d_.tracker_se.rows() != d_.tracker.rows() || d_.tracker_se.cols() != d_.tracker.cols())
        fail("tracker_se must have the tracker's shape ", d_.tracker.rows(), " x ", d_.tracker.cols(), ", got ",
             d_.tracker_se.rows(), " x ", d_.tracker_se.cols());
      for (Eigen::Index i = 0; i < d_.tracker_se.size(); ++i)
        if (!std::isnan(d_.tracker.data()[i]) && !(d_.tracker_se.data()[i] >= 0.0 && std::isfinite(d_.tracker_se.data()[i])))
          fail("tracker_se: entry ", i, " (period ", i % d_.tracker.rows(), ", column ", i / d_.tracker.rows(), ") is ",
               d_.tracker_se.data()[i], "; a measured entry needs a finite sampling error >= 0");
    }
    if (d_.roi_weight.size() != 0) {
      if (d_.roi_weight.rows() != T_ || d_.roi_weight.cols() != G_)
        fail("roi_weight must be ", T_, " x ", G_, ", got ", d_.roi_weight.rows(), " x ", d_.roi_weight.cols());
      for (Eigen::Index i = 0; i < d_.roi_weight.size(); ++i)
        if (!(d_.roi_weight.data()[i] >= 0.0) || !std::isfinite(d_.roi_weight.data()[i]))
          fail("roi_weight: period ", i % T_, ", geo ", i / T_, " is ", d_.roi_weight.data()[i],
               "; expected a finite number >= 0");
    }
    const Eigen::Index K = d_.baseline.empty() ? 0 : d_.baseline.front().cols();
    pr_.base.check_baseline_priors(K);
    if (ar1() && !(pr_.base.ar1_sd > 0.0 && std::isfinite(pr_.base.ar1_sd)))
      fail("ar1_sd (the prior sd of atanh phi) must be finite and > 0, got ", pr_.base.ar1_sd);
    if (d_.share_sd.size() != 0) {
      if (d_.share_sd.size() != C_)
        fail("share_sd needs one entry per channel (", C_, ") or none, got ", d_.share_sd.size());
      for (int c = 0; c < C_; ++c) {
        if (!(d_.share_sd[c] >= 0.0) || !std::isfinite(d_.share_sd[c]))
          fail("share_sd[", c, "] must be finite and >= 0 (0: the share is known), got ", d_.share_sd[c]);
        if (d_.share_sd[c] == 0.0) continue;
        if (d_.share_mean.rows() != G_ || d_.share_mean.cols() != C_)
          fail("share_mean must be ", G_, " x ", C_, " (each geo's mean share per channel), got ", d_.share_mean.rows(),
               " x ", d_.share_mean.cols());
        const auto col = d_.share_mean.col(c);
        if (!col.allFinite() || !(col.array() >= 0.0).all() || std::abs(col.sum() - 1.0) > 1e-6)
          fail("share_mean column ", c, ": a channel's mean shares must be >= 0 and sum to 1 over the geos, sum ",
               col.sum());
      }
    }
  }

  void layout() {
    for (int c = 0; c < C_; ++c) {
      if (d_.trust[static_cast<std::size_t>(c)] && trust_enabled()) trust_idx_.push_back(c);
      if (d_.conversion[static_cast<std::size_t>(c)]) conv_idx_.push_back(c);
    }
    P_ = static_cast<int>(trust_idx_.size());
    S_ = static_cast<int>(conv_idx_.size());
    // A trust-only channel under a national stock (national, national+geo) enters the
    // likelihood only through the national series: its per-geo adstock and saturation
    // would be computed for nothing (and its per-geo gradient is exactly 0), so the geo
    // passes skip it.
    national_only_.assign(static_cast<std::size_t>(C_), false);
    if (d_.trust_level == TrustLevel::national || d_.trust_level == TrustLevel::national_geo)
      for (int c = 0; c < C_; ++c)
        national_only_[static_cast<std::size_t>(c)] = d_.trust[static_cast<std::size_t>(c)] &&
                                                      !d_.conversion[static_cast<std::size_t>(c)];
    if (trust_enabled() && P_ == 0) fail("the trust stock needs at least one trust channel (or trust level off)");
    conv_slot_.assign(static_cast<std::size_t>(C_), -1);
    for (std::size_t j = 0; j < conv_idx_.size(); ++j)
      conv_slot_[static_cast<std::size_t>(conv_idx_[j])] = static_cast<int>(j);
    check_lift_tests();
    if (bounded()) {
      bool active = false;
      for (int c : trust_idx_) active = active || (d_.national_media.col(c).array() > 0.0).any();
      if (!active) fail("trust_form 'bounded': the trust channels have no activity (the mean inflow, rho's scale, is 0)");
    }
    n_tracker_obs_ = 0;
    for (Eigen::Index i = 0; i < d_.tracker.size(); ++i) n_tracker_obs_ += std::isnan(d_.tracker.data()[i]) ? 0 : 1;
    if (n_tracker_obs_ == 1) fail("a trust tracker needs at least 2 observed values, got 1");
    const auto sname = [](auto v) { return std::to_string(v); };
    auto add = [&](int& offset, int count, const std::string& base) {
      offset = n_;
      for (int i = 0; i < count; ++i) names_.push_back(base + "[" + sname(i) + "]");
      n_ += count;
    };
    auto add1 = [&](int& offset, const std::string& name) {
      offset = n_++;
      names_.push_back(name);
    };
    // curvature blocks: with complete pooling one slot per channel, named as before
    // ("logit_alpha[c]", "log_lam[c]": the layout of complete pooling is unchanged)
    auto add_free = [&](FreeBlock& bl, Pooling kind, double pool_sd, const std::string& free_name, const std::string& what,
                        const std::string& ch) {
      bl.kind = kind;
      bl.pool_sd = pool_sd;
      bl.G = G_;
      bl.offset = n_;
      const std::string open = ch.empty() ? "" : "[" + ch, sep = ch.empty() ? "[" : ",", close = ch.empty() ? "" : "]";
      if (kind == Pooling::complete) {
        names_.push_back(free_name + open + close);
      } else if (kind == Pooling::none) {
        const std::string head = free_name + open + sep;
        for (int g = 0; g < G_; ++g) names_.push_back(head + sname(g) + "]");
      } else {
        names_.push_back(free_name + "_location" + open + close);
        names_.push_back("log_" + what + "_tau" + open + close);
        const std::string head = what + "_eta" + open + sep;
        for (int g = 0; g < G_; ++g) names_.push_back(head + sname(g) + "]");
      }
      n_ += bl.size();
    };
    auto channel_pooling = [&](const std::vector<Pooling>& v, int c) {
      return v.empty() ? Pooling::complete : v[static_cast<std::size_t>(c)];
    };
    alpha_blocks_.resize(static_cast<std::size_t>(C_));
    lam_blocks_.resize(static_cast<std::size_t>(C_));
    o_alpha_ = n_;
    for (int c = 0; c < C_; ++c)
      add_free(alpha_blocks_[static_cast<std::size_t>(c)], channel_pooling(d_.adstock_pooling, c), pr_.adstock_pool_sd,
               "logit_alpha", "alpha", sname(c));
    o_lam_ = n_;
    for (int c = 0; c < C_; ++c)
      add_free(lam_blocks_[static_cast<std::size_t>(c)], channel_pooling(d_.saturation_pooling, c), pr_.saturation_pool_sd,
               "log_" + std::string(lam_name(c)), std::string(lam_name(c)), sname(c));
    auto add_block = [&](Block& bl, const std::string& what, bool log_scale) {
      bl.G = G_;
      bl.offset = n_;
      bl.log_scale = log_scale;
      if (bl.kind == Pooling::complete) {
        names_.push_back((log_scale ? "log_" : "") + what);
      } else if (bl.kind == Pooling::none) {
        for (int g = 0; g < G_; ++g) names_.push_back((log_scale ? "log_" : "") + what + "[" + sname(g) + "]");
      } else {
        names_.push_back((log_scale ? "log_" : "") + what + "_location");
        names_.push_back("log_" + what + "_tau");
        for (int g = 0; g < G_; ++g) names_.push_back(what + (bl.centred ? "[" : "_eta[") + sname(g) + "]");
      }
      n_ += bl.size();
    };
    effect_blocks_.resize(static_cast<std::size_t>(S_));
    for (int j = 0; j < S_; ++j) {
      const int c = conv_idx_[static_cast<std::size_t>(j)];
      if (!std::any_of(d_.media[static_cast<std::size_t>(c)].data(),
                       d_.media[static_cast<std::size_t>(c)].data() + d_.media[static_cast<std::size_t>(c)].size(),
                       [](double v) { return v > 0.0; }))
        fail("conversion channel ", c, " is all zeros: nothing to estimate");
      Block& bl = effect_blocks_[static_cast<std::size_t>(j)];
      bl.kind = d_.effect_pooling[static_cast<std::size_t>(c)];
      bl.prior_sd = pr_.base.beta_sd;
      bl.pool_sd = pr_.effect_pool_sd;
      bl.centred = !d_.effect_centred.empty() && d_.effect_centred[static_cast<std::size_t>(c)];
      if (bl.centred && bl.kind != Pooling::partial)
        fail("conversion channel ", c, ": the centred hierarchy needs partial effect pooling, got '", to_string(bl.kind),
             "'");
      if (bl.centred && roi_prior(j))
        fail("conversion channel ", c, ": a ROI prior's effects use the non-centred hierarchy (its first slot is ln R)");
      add_block(bl, "beta[" + sname(c) + "]", true);
      if (roi_prior(j)) {  // the first slot is ln R (top of this file)
        if (bl.kind == Pooling::none)
          fail("conversion channel ", c, ": a ROI prior needs effect pooling 'partial' or 'complete' (with 'none' ",
               "each geo's effect has its own prior; the ROI is the channel's over all geos)");
        bl.roi = true;
        bl.roi_mean = pr_.roi_log_median[j];
        bl.roi_sd = pr_.roi_sd_log[j];
        bl.roi_scale = pr_.roi_scale[j];
        names_[static_cast<std::size_t>(bl.offset)] = "log_roi[" + sname(c) + "]";
        ++n_roi_;
      }
    }
    if (n_roi_ > 0 && d_.roi_weight.size() == 0) d_.roi_weight = Matrix::Ones(T_, G_);
    base_blocks_.resize(static_cast<std::size_t>(K_));
    for (int k = 0; k < K_; ++k) {
      Block& bl = base_blocks_[static_cast<std::size_t>(k)];
      bl.kind = d_.baseline_pooling[static_cast<std::size_t>(k)];
      bl.prior_sd = pr_.base.baseline_prior_sd(k);
      bl.prior_mean = pr_.base.baseline_prior_mean(k);
      bl.pool_sd = pr_.baseline_pool_sd;
      bl.centred = !d_.baseline_centred.empty() && d_.baseline_centred[static_cast<std::size_t>(k)];
      if (bl.centred && bl.kind != Pooling::partial)
        fail("baseline column ", k, ": the centred hierarchy needs partial pooling, got '", to_string(bl.kind), "'");
      add_block(bl, "b[" + sname(k) + "]", false);
    }
    add1(o_sigma_, "log_sigma");
    if (trust_enabled()) {
      add(o_kappa_, P_ - 1, "ilr_kappa");
      helmert_ = Matrix::Zero(P_, std::max(P_ - 1, 0));  // the national model's isometric log-ratio basis
      for (int k = 0; k + 1 < P_; ++k) {
        const double nk = std::sqrt((k + 1.0) * (k + 2.0));
        for (int i = 0; i <= k; ++i) helmert_(i, k) = 1.0 / nk;
        helmert_(k + 1, k) = -(k + 1.0) / nk;
      }
      o_delta_ = n_;
      add_free(delta_block_, d_.half_life_pooling, pr_.half_life_pool_sd, "logit_delta", "delta", "");
      add1(o_g0_, bounded() ? "logit_initial_share" : "g0");
      o_omega_ = n_;  // ln omega_e per crisis
      for (int e = 0; e < E_; ++e) names_.push_back("log_omega[" + sname(e) + "]");
      n_ += E_;
      add1(o_gamma_, "log_gamma");
      o_theta_ = n_;
      add_free(theta_block_, d_.amplification_pooling, pr_.amplification_pool_sd, "log_theta", "theta", "");
      if (tracker_share()) {  // a_q + the mean share over the observed periods; b_q = 1
        add1(o_tracker_, "tracker_share_level");
        names_.emplace_back("log_tracker_sigma");
        ++n_;
      } else if (has_tracker()) {
        add1(o_tracker_, "tracker_a");
        names_.emplace_back("log_tracker_b");
        names_.emplace_back("log_tracker_sigma");
        n_ += 2;
      }
      if (bounded()) {  // logit b, ln(rho ubar)
        add1(o_tform_, "logit_trust_base");
        names_.emplace_back("log_mean_trust_hazard");
        ++n_;
      }
      if (d_.trust_level == TrustLevel::national_geo) {  // ln tau_xi, then eta per geo
        add1(o_dev_, "log_stock_deviation_tau");
        for (int g = 0; g < G_; ++g) names_.push_back("stock_eta[" + sname(g) + "]");
        n_ += G_;
      }
    }
    o_period_ = n_;  // period effects tau[1..T-1]
    if (d_.period_effects) {
      for (int t = 1; t < T_; ++t) names_.push_back("period_effect[" + sname(t) + "]");
      n_ += T_ - 1;
      if (!(pr_.period_effect_sd > 0.0) || !std::isfinite(pr_.period_effect_sd))
        fail("period_effect_sd must be finite and > 0, got ", pr_.period_effect_sd);
    }
    // uncertain shares: G free z per channel whose geo series enter the likelihood
    share_slot_.assign(static_cast<std::size_t>(C_), -1);
    o_share_ = n_;
    for (int c = 0; c < C_; ++c) {
      if (d_.share_sd.size() == 0 || !(d_.share_sd[c] > 0.0) || national_only_[static_cast<std::size_t>(c)]) continue;
      share_slot_[static_cast<std::size_t>(c)] = static_cast<int>(share_idx_.size());
      share_idx_.push_back(c);
      for (int g = 0; g < G_; ++g) names_.push_back("share_z[" + sname(c) + "," + sname(g) + "]");
      n_ += G_;
    }
    if (ar1()) add1(o_ar1_, "atanh_ar1_phi");  // AR(1) residuals: last
    // rows of the per-geo partial sums
    r_alpha_ = 0;
    r_lam_ = C_;
    r_gamma_ = 2 * C_;
    r_theta_ = r_gamma_ + 1;
    r_delta_ = r_theta_ + 1;
    r_g0_ = r_delta_ + 1;
    r_ss_ = r_g0_ + 1;
    r_phi_ = r_ss_ + 1;
    r_kappa_ = r_phi_ + 1;
    r_omega_ = r_kappa_ + P_;
    n_part_ = r_omega_ + E_;
    if (!(pr_.effect_pool_sd > 0.0) || !(pr_.baseline_pool_sd > 0.0))
      fail("effect_pool_sd and baseline_pool_sd must be > 0, got ", pr_.effect_pool_sd, " and ", pr_.baseline_pool_sd);
    for (double v : {pr_.adstock_pool_sd, pr_.saturation_pool_sd, pr_.half_life_pool_sd, pr_.amplification_pool_sd,
                     pr_.stock_deviation_sd})
      if (!(v > 0.0) || !std::isfinite(v))
        fail(
            "adstock_pool_sd, saturation_pool_sd, half_life_pool_sd, amplification_pool_sd and stock_deviation_sd must be "
            "finite and > 0, got ",
            v);
  }

  PanelModelData d_;
  PanelModelPriors pr_;
  std::uint64_t id_ = 0;  // identifies the model's sizes to a shared workspace (resize)
  int G_ = 0, T_ = 0, C_ = 0, K_ = 0, P_ = 0, S_ = 0, E_ = 0, n_ = 0, n_tracker_obs_ = 0;
  std::vector<int> trust_idx_, conv_idx_;
  std::vector<bool> national_only_;  // C: skipped by the geo passes (layout())
  std::vector<int> share_idx_;  // channels with an uncertain share (layout())
  std::vector<int> share_slot_;  // C: the channel's index in share_idx_, or -1
  int o_share_ = 0;  // first share_z slot
  int o_period_ = 0;  // first period effect slot (tau[1])
  /// The baseline split (split_baseline()): columns pooled completely whose values are the
  /// same in every geo (seasonality, national controls), evaluated once per
  /// evaluation as shared_design_ (T x their number), with the period effects; the others per
  /// geo, local_design_[g].
  std::vector<int> shared_cols_, local_cols_;
  Matrix shared_design_;
  std::vector<Matrix> local_design_;
  std::vector<Block> effect_blocks_, base_blocks_;
  std::vector<FreeBlock> alpha_blocks_, lam_blocks_;  // C each
  FreeBlock delta_block_, theta_block_;
  Matrix helmert_;
  std::vector<std::string> names_;
  int o_alpha_ = 0, o_lam_ = 0, o_sigma_ = 0, o_kappa_ = 0, o_delta_ = 0, o_g0_ = 0, o_gamma_ = 0, o_theta_ = 0,
      o_tracker_ = 0, o_dev_ = 0, o_ar1_ = 0, o_tform_ = 0, o_omega_ = 0;
  int r_omega_ = 0;  // rows of ws.part: each geo's dL/dc . d[:, e] (geo stocks)
  int r_alpha_ = 0, r_lam_ = 0, r_gamma_ = 0, r_theta_ = 0, r_delta_ = 0, r_g0_ = 0, r_ss_ = 0, r_phi_ = 0, r_kappa_ = 0,
      n_part_ = 0;
  int n_roi_ = 0;  // effect blocks with a ROI prior
  std::vector<int> conv_slot_;  // C: the channel's row in beta (conversion channels), or -1
  std::vector<std::vector<std::pair<int, int>>> lift_by_geo_;  // G: (test, the geo's column in it)

  /// Checks the lift tests (top of this file) and indexes them by geo (lift_by_geo_).
  void check_lift_tests() {
    lift_by_geo_.assign(static_cast<std::size_t>(G_), {});
    if (d_.lift_tests.empty()) return;
    if (d_.lift_weight.size() == 0) d_.lift_weight = Matrix::Ones(T_, G_);
    if (d_.lift_weight.rows() != T_ || d_.lift_weight.cols() != G_)
      fail("lift_weight must be ", T_, " x ", G_, ", got ", d_.lift_weight.rows(), " x ", d_.lift_weight.cols());
    if (!d_.lift_weight.allFinite() || (d_.lift_weight.array() < 0.0).any()) fail("lift_weight must be finite and >= 0");
    for (std::size_t k = 0; k < d_.lift_tests.size(); ++k) {
      const PanelLiftTest& lt = d_.lift_tests[k];
      const std::string who = "lift test " + std::to_string(k);
      if (lt.channel < 0 || lt.channel >= C_) fail(who, ": channel ", lt.channel, " out of range [0, ", C_, ")");
      const bool feeds = d_.trust[static_cast<std::size_t>(lt.channel)] && trust_enabled();
      if (conv_slot_[static_cast<std::size_t>(lt.channel)] < 0 && !feeds)
        fail(who, ": channel ", lt.channel,
             " neither converts nor feeds a trust stock; a lift test measures a channel that moves the outcome");
      if (feeds && d_.trust_level != TrustLevel::geo)
        fail(who, ": channel ", lt.channel, " feeds the national trust stock (trust ", to_string(d_.trust_level),
             "); removing it in the treated geos moves every geo's stock, the controls' too, so a geo test cannot "
             "measure it: lift tests on trust channels need per-geo stocks (trust geo)");
      if (lt.geos.empty()) fail(who, ": no treated geos");
      std::vector<bool> seen(static_cast<std::size_t>(G_), false);
      for (std::size_t i = 0; i < lt.geos.size(); ++i) {
        const int g = lt.geos[i];
        if (g < 0 || g >= G_) fail(who, ": geo ", g, " out of range [0, ", G_, ")");
        if (seen[static_cast<std::size_t>(g)]) fail(who, ": geo ", g, " listed twice");
        seen[static_cast<std::size_t>(g)] = true;
        lift_by_geo_[static_cast<std::size_t>(g)].emplace_back(static_cast<int>(k), static_cast<int>(i));
      }
      if (!(0 <= lt.start && lt.start < lt.end && lt.end <= lt.measured_end && lt.measured_end <= T_))
        fail(who, ": periods must satisfy 0 <= start < end <= measured_end <= ", T_, ", got start ", lt.start, ", end ",
             lt.end, ", measured_end ", lt.measured_end);
      if (!std::isfinite(lt.lift)) fail(who, ": lift must be finite, got ", lt.lift);
      if (!(lt.standard_error > 0.0) || !std::isfinite(lt.standard_error))
        fail(who, ": standard_error must be finite and > 0, got ", lt.standard_error);
      if (!(lt.transfer_sd >= 0.0) || !std::isfinite(lt.transfer_sd))
        fail(who, ": transfer_sd must be finite and >= 0, got ", lt.transfer_sd);
      if (lt.period_lift.size() != 0) {
        const int M = lt.measured_end - lt.start;
        if (lt.period_lift.size() != M || lt.period_variance.size() != M)
          fail(who, ": period_lift and period_variance must have one value per measured period (", M, "), got ",
               lt.period_lift.size(), " and ", lt.period_variance.size());
        if (!lt.period_lift.allFinite()) fail(who, ": period_lift must be finite");
        if (!(lt.period_variance.array() > 0.0).all() || !lt.period_variance.allFinite())
          fail(who, ": period_variance must be finite and > 0");
        if (lt.period_transfer.size() != 0 &&
            (lt.period_transfer.size() != M || !(lt.period_transfer.array() >= 0.0).all() ||
             !(lt.period_transfer.array().square() < lt.period_variance.array()).all()))
          fail(who, ": period_transfer must be empty or have one value per measured period (", M,
               "), each >= 0 with its square below the period's variance");
      }
      if (lt.counterfactual.size() != 0) {
        if (lt.counterfactual.rows() != lt.end - lt.start ||
            lt.counterfactual.cols() != static_cast<Eigen::Index>(lt.geos.size()))
          fail(who, ": counterfactual must be ", lt.end - lt.start, " x ", lt.geos.size(),
               " (window periods x treated geos), got ", lt.counterfactual.rows(), " x ", lt.counterfactual.cols());
        if (!(lt.counterfactual.array() >= 0.0).all() || !lt.counterfactual.allFinite())
          fail(who, ": counterfactual activity must be finite and >= 0");
      }
    }
  }

  /// Whether conversion channel j has a ROI prior (sizes and values checked here).
  [[nodiscard]] bool roi_prior(int j) const {
    const Vector& m = pr_.roi_log_median;
    if (m.size() == 0) return false;
    if (m.size() != S_ || pr_.roi_sd_log.size() != S_ || pr_.roi_scale.size() != S_)
      fail("ROI priors need one roi_log_median, roi_sd_log and roi_scale per conversion channel (", S_, "), got ", m.size(),
           ", ", pr_.roi_sd_log.size(), " and ", pr_.roi_scale.size());
    if (std::isnan(m[j])) return false;
    if (!std::isfinite(m[j])) fail("roi_log_median[", j, "] must be finite or NaN (no ROI prior), got ", m[j]);
    if (!(pr_.roi_sd_log[j] > 0.0) || !std::isfinite(pr_.roi_sd_log[j]))
      fail("roi_sd_log[", j, "] must be finite and > 0, got ", pr_.roi_sd_log[j]);
    if (!(pr_.roi_scale[j] > 0.0) || !std::isfinite(pr_.roi_scale[j]))
      fail("roi_scale[", j, "] must be finite and > 0, got ", pr_.roi_scale[j]);
    return true;
  }
};

/// The panel model as a sampler target (trustmix::inference::Target, ConstrainedTarget,
/// NamedTarget): thread-safe, one workspace per thread. Draws are reported constrained.
class PanelTarget {
 public:
  explicit PanelTarget(std::shared_ptr<const PanelTrustModel> model) : model_(std::move(model)) {
    if (!model_) fail("PanelTarget needs a model");
  }
  explicit PanelTarget(const PanelTrustModel& model) : PanelTarget(std::make_shared<const PanelTrustModel>(model)) {}
  [[nodiscard]] Eigen::Index dimension() const { return model_->dimension(); }
  double log_density_gradient(Eigen::Ref<const Vector> z, Eigen::Ref<Vector> gradient) const {
    thread_local PanelWorkspace workspace;
    return model_->log_density(z, gradient, workspace);
  }
  [[nodiscard]] Eigen::Index constrained_dimension() const { return model_->constrained_dimension(); }
  void constrain(Eigen::Ref<const Vector> z, Eigen::Ref<Vector> out) const { model_->constrain(z, out); }
  [[nodiscard]] std::vector<std::string> parameter_names() const { return model_->constrained_names(); }
  [[nodiscard]] const PanelTrustModel& model() const { return *model_; }

 private:
  std::shared_ptr<const PanelTrustModel> model_;
};

// ---- The spec in raw units and build_panel() ---------------------------------------------
//
// Population scaling (as Meridian): the outcome and every channel's activity are divided
// by the geo's population in that period (per capita; per_capita = false skips this), so
// geos of different sizes share one effect scale. A national channel's activity X[c, t] is
// first apportioned to geos, X[c, t] s[g, t], with s the channel's share (rows summing to
// 1; default the population share pop[g, t] / sum_g pop[g, t], which makes its per-capita
// activity X[c, t] / sum_g pop[g, t] equal in every geo). Then, as in the national model
// (spec.hpp, scaling "mean"), each channel is divided by the mean of its non-zero per-capita
// values over all geos and periods and the outcome by the mean absolute per-capita outcome.
// Baseline columns of each geo, in order: intercept, trend t / T, Fourier sin/cos of order
// 1..seasonality (one year), each control standardised over all geos and periods. The
// tracker is standardised over its measured values (population sd).

/// A lift test in raw units (PanelModelSpec::lift_tests; build_panel() turns it into a
/// PanelLiftTest): channel's activity removed in the named geos over periods [start, end),
/// the lift measured over [start, measured_end) (-1: end), summed over those geos and
/// periods in outcome units, with its standard error; the transfer sd tau is transfer_sd
/// (outcome units) or, when NaN, transfer_fraction x |lift|.
struct PanelLiftTestSpec {
  std::string channel;
  std::vector<std::string> geos;
  int start = 0, end = 0, measured_end = -1;
  double lift = 0.0, standard_error = 0.0;
  double transfer_sd = std::numeric_limits<double>::quiet_NaN();
  double transfer_fraction = 0.1;
  /// (end - start) x geos.size() raw activity (the channel's media units, per geo and
  /// period) under the counterfactual, or empty: 0, the activity removed (top of this file).
  /// A holdout that is in the data gives its planned activity here (and its lift as run
  /// minus planned: negative).
  Matrix counterfactual;
  /// Week by week (PanelLiftTest::period_lift): one lift per measured period (outcome
  /// units) and its standard error, or both empty (the total `lift`). Given, they replace
  /// lift and standard_error; each period's transfer sd is transfer_sd or transfer_fraction
  /// x |its lift|.
  Vector period_lift, period_standard_error;
};

/// Everything that defines a panel model, in raw units: T periods, G geos, C channels.
struct PanelModelSpec {
  std::vector<std::string> geos;  ///< G names
  std::vector<std::string> channels;  ///< C names
  std::vector<Role> roles;  ///< C roles
  std::vector<bool> national;  ///< C: bought nationally (media[c] is T x 1), else per geo (T x G)
  std::vector<Matrix> media;  ///< C: T x G (geo channel) or T x 1 (national channel), >= 0
  /// C: empty (population share) or T x G / 1 x G apportioning shares of a national channel
  /// (each row >= 0 summing to 1); ignored for geo channels. The whole vector may be empty.
  std::vector<Matrix> share;
  /// C entries (national channels; 0 for geo channels), or empty: the sd of ln of each
  /// geo's true share over the given one (PanelModelData::share_sd, top of this file; 0.2:
  /// a geo's true share within about +-40% of the given one with 95% prior probability),
  /// 0 where the share is known.
  Vector share_sd;
  Matrix population;  ///< T x G or 1 x G, > 0; empty: no per-capita scaling
  Matrix outcome;  ///< T x G
  std::vector<Matrix> controls;  ///< J matrices T x G
  std::vector<std::string> control_names;
  double period_days = 7.0;
  int seasonality = 2;
  bool trend = true;
  int max_lag = 12;
  TrustLevel trust = TrustLevel::national;
  Matrix tracker;  ///< T x 1 or T x G, NaN where unmeasured; empty: none
  /// The tracker's respondents per entry (same shape as tracker; a survey share's panel
  /// sizes), or empty. Given, the tracker must be a share in [0, 1] and each measured entry
  /// has the known sampling error sqrt(p (1 - p) / n) (p clamped to [0.5 / n, 1 - 0.5 / n]),
  /// so that a small geo's noisy survey weighs less than a large one's.
  Matrix tracker_n;
  /// T x E crisis indicators (>= 0, national: the same in every geo) that damage the trust
  /// stock (PanelModelData::shocks), or empty
  Matrix shocks;
  /// Lift tests (geo experiments on converting channels; on trust channels under trust geo)
  /// that calibrate the model (panel_model.hpp, "Lift tests")
  std::vector<PanelLiftTestSpec> lift_tests;
  /// The trust stock's form (PanelModelData::trust_form): linear (an index) or bounded (a
  /// share of people; one national stock: trust national or national+geo).
  TrustForm trust_form = TrustForm::linear;
  /// The national tracker is the survey share the bounded stock models (PanelModelData::
  /// tracker_share): it is then fitted unscaled, in share units (values in [0, 1]).
  bool tracker_share = false;
  Noise noise = Noise::iid;  ///< residuals per geo: iid or AR(1) (top of this file)
  /// One effect per period shared by the geos (PanelModelData::period_effects; Meridian's
  /// geo default); a shared trend or seasonality is then collinear with them (only the
  /// priors separate them): pass trend = false, seasonality = 0.
  bool period_effects = false;
  /// Business-term prior on the market's own growth per year as a fraction of the outcome's
  /// mean (90% range; the national model's TrustModelSpec::market_growth_low / _high): the
  /// trend coefficient (its pooled location under partial pooling, each geo's value under
  /// none, the one value under complete) gets Normal(m, s) with m = (low + high) / 2 x Y x
  /// L, s = (high - low) / (2 z_0.95) x Y x L, Y the years of data, L the mean scaled
  /// outcome. NaN: Normal(0, baseline_sd). Needs trend = true.
  double market_growth_low = std::numeric_limits<double>::quiet_NaN();
  double market_growth_high = std::numeric_limits<double>::quiet_NaN();
  /// ROI priors in business terms (the national model's RoiPrior: ROI = (value - spend) /
  /// spend over the data in [low, high] with 90% prior probability, a LogNormal on 1 + ROI)
  /// on conversion channels with effect pooling partial or complete; they need
  /// value_per_outcome and each channel's spend over all geos and periods (spend_total, C
  /// entries, in the currency of the ROI).
  std::vector<RoiPrior> roi_priors;
  Vector spend_total;
  double value_per_outcome = std::numeric_limits<double>::quiet_NaN();
  /// Pooling defaults (documented in docs/panel.md): each geo its own level and trend around
  /// the national one (partial), one seasonality and one effect per control for all geos
  /// (complete), channel effects log-normal around the channel's median (partial).
  Pooling intercept_pooling = Pooling::partial, trend_pooling = Pooling::partial;
  Pooling seasonality_pooling = Pooling::complete, control_pooling = Pooling::complete;
  Pooling effect_pooling = Pooling::partial;
  std::vector<Pooling> channel_pooling;  ///< C overrides of effect_pooling, or empty
  /// J overrides of control_pooling (one per control, e.g. per-geo effects of a price index
  /// next to period indicators shared by all geos), or empty
  std::vector<Pooling> per_control_pooling;
  /// Baseline groups ("intercept", "trend", "seasonality", "controls"), control names,
  /// "effects" or channel names whose partial pooling uses the centred hierarchy (v_g ~
  /// Normal(m, tau), v_g free; ln beta for effects) instead of the non-centred default:
  /// better where each geo's data pin its own value (long series; the non-centred form then
  /// mixes slowly). The same model, another parametrisation. A named group, control or
  /// channel must be pooled partially; "controls" and "effects" apply to the partially
  /// pooled ones (effects without a ROI prior).
  std::vector<std::string> centred;
  /// Pooling of the curvature and trust parameters across geos (default complete, one value
  /// for all geos as Meridian shares them; PyMC-Marketing's multidimensional MMM keeps them per
  /// geo, unpooled: a geo's short series identifies
  /// carry-over and curvature weakly); adstock and saturation apply to every channel.
  Pooling adstock_pooling = Pooling::complete, saturation_pooling = Pooling::complete;
  Pooling half_life_pooling = Pooling::complete, amplification_pooling = Pooling::complete;
  /// Saturation curve per channel (empty: logistic for all) and the Hill slopes (empty:
  /// 1), as PanelModelData::saturation / hill_slope (top of this file).
  std::vector<SaturationForm> saturation;
  Vector hill_slope;
  PanelModelPriors priors;
  int threads = 1;
};

/// What build_panel() derived from the spec: scales and the apportioned raw activity.
struct PanelScales {
  Vector media_scale;  ///< C: mean non-zero per-capita activity
  double y_scale = 1.0;  ///< mean absolute per-capita outcome
  Matrix population;  ///< T x G (ones without per-capita scaling)
  std::vector<Matrix> activity;  ///< C: T x G raw activity per geo (national channels apportioned)
  std::vector<std::string> baseline_names;
  Vector control_mean, control_sd;
  double tracker_mean = 0.0, tracker_sd = 1.0;
};

struct BuiltPanelModel {
  PanelModelSpec spec;
  PanelScales scales;
  PanelTrustModel model;
};

/// The panel model of a spec in raw units (the scaling at the top of this section), with
/// errors naming the geo, period and channel of bad input.
[[nodiscard]] inline BuiltPanelModel build_panel(PanelModelSpec spec) {
  const Eigen::Index T = spec.outcome.rows(), G = spec.outcome.cols();
  const auto C = static_cast<Eigen::Index>(spec.channels.size());
  if (G < 1 || T < 2) fail("outcome must be T x G with T >= 2 periods and G >= 1 geos, got ", T, " x ", G);
  if (static_cast<Eigen::Index>(spec.geos.size()) != G)
    fail("geos has ", spec.geos.size(), " names, the outcome ", G, " columns");
  if (static_cast<Eigen::Index>(spec.roles.size()) != C || static_cast<Eigen::Index>(spec.media.size()) != C ||
      static_cast<Eigen::Index>(spec.national.size()) != C)
    fail("channels, roles, national and media need one entry per channel (", C, ")");
  if (!spec.share.empty() && static_cast<Eigen::Index>(spec.share.size()) != C)
    fail("share needs one entry per channel (", C, ") or none");
  if (spec.share_sd.size() != 0 && spec.share_sd.size() != C)
    fail("share_sd needs one entry per channel (", C, ") or none, got ", spec.share_sd.size());
  for (Eigen::Index c = 0; c < spec.share_sd.size(); ++c) {
    if (!(spec.share_sd[c] >= 0.0) || !std::isfinite(spec.share_sd[c]))
      fail("share_sd of channel '", spec.channels[static_cast<std::size_t>(c)], "' must be finite and >= 0, got ",
           spec.share_sd[c]);
    if (spec.share_sd[c] > 0.0 && !spec.national[static_cast<std::size_t>(c)])
      fail("share_sd of channel '", spec.channels[static_cast<std::size_t>(c)],
           "': the channel is bought per geo (its activity per geo is data); an apportioning share's uncertainty ",
           "applies to national channels");
  }
  if (!spec.channel_pooling.empty() && static_cast<Eigen::Index>(spec.channel_pooling.size()) != C)
    fail("channel_pooling needs one entry per channel (", C, ") or none");
  if (!spec.per_control_pooling.empty() && spec.per_control_pooling.size() != spec.controls.size())
    fail("per_control_pooling needs one entry per control (", spec.controls.size(), ") or none");
  if (static_cast<Eigen::Index>(spec.control_names.size()) != static_cast<Eigen::Index>(spec.controls.size()))
    fail("controls and control_names differ in length");
  if (!(spec.period_days > 0.0)) fail("period_days must be > 0, got ", spec.period_days);
  if (spec.seasonality < 0) fail("seasonality must be >= 0, got ", spec.seasonality);
  const auto& gname = [&](Eigen::Index g) { return spec.geos[static_cast<std::size_t>(g)]; };
  for (Eigen::Index g = 0; g < G; ++g)
    for (Eigen::Index t = 0; t < T; ++t)
      if (!std::isfinite(spec.outcome(t, g))) fail("outcome: geo '", gname(g), "', period ", t, " is ", spec.outcome(t, g));
  PanelScales sc;
  // population
  if (spec.population.size() == 0) {
    sc.population = Matrix::Ones(T, G);
  } else {
    if (spec.population.cols() != G || (spec.population.rows() != T && spec.population.rows() != 1))
      fail("population must be ", T, " x ", G, " or 1 x ", G, ", got ", spec.population.rows(), " x ",
           spec.population.cols());
    sc.population = spec.population.rows() == 1 ? Matrix(spec.population.replicate(T, 1)) : spec.population;
    for (Eigen::Index g = 0; g < G; ++g)
      for (Eigen::Index t = 0; t < T; ++t)
        if (!(sc.population(t, g) > 0.0) || !std::isfinite(sc.population(t, g)))
          fail("population: geo '", gname(g), "', period ", t, " is ", sc.population(t, g),
               "; expected a finite number > 0");
  }
  const Vector total_pop = sc.population.rowwise().sum();
  PanelModelData d;
  d.weights = sc.population.array().colwise() / total_pop.array();
  // media: apportion, per capita, scale
  sc.activity.resize(static_cast<std::size_t>(C));
  sc.media_scale.resize(C);
  d.media.resize(static_cast<std::size_t>(C));
  if (spec.share_sd.size() != 0) {
    d.share_sd = spec.share_sd;
    d.share_mean = Matrix::Zero(G, C);
  }
  for (Eigen::Index c = 0; c < C; ++c) {
    const auto ci = static_cast<std::size_t>(c);
    const std::string& name = spec.channels[ci];
    const Matrix& m = spec.media[ci];
    if (spec.national[ci]) {
      if (m.rows() != T || m.cols() != 1)
        fail("media of national channel '", name, "' must be ", T, " x 1, got ", m.rows(), " x ", m.cols());
      Matrix s = d.weights;
      if (!spec.share.empty() && spec.share[ci].size() != 0) {
        const Matrix& sh = spec.share[ci];
        if (sh.cols() != G || (sh.rows() != T && sh.rows() != 1))
          fail("share of channel '", name, "' must be ", T, " x ", G, " or 1 x ", G);
        s = sh.rows() == 1 ? Matrix(sh.replicate(T, 1)) : sh;
        for (Eigen::Index t = 0; t < T; ++t) {
          if (!(s.row(t).array() >= 0.0).all() || !s.row(t).allFinite() || std::abs(s.row(t).sum() - 1.0) > 1e-6)
            fail("share of channel '", name, "', period ", t, ": shares must be >= 0 and sum to 1 over geos, sum ",
                 s.row(t).sum());
        }
      }
      sc.activity[ci] = s.array().colwise() * m.col(0).array();
      if (d.share_sd.size() != 0) d.share_mean.col(c) = s.colwise().mean().transpose();
    } else {
      if (m.rows() != T || m.cols() != G)
        fail("media of geo channel '", name, "' must be ", T, " x ", G, ", got ", m.rows(), " x ", m.cols());
      sc.activity[ci] = m;
    }
    for (Eigen::Index g = 0; g < G; ++g)
      for (Eigen::Index t = 0; t < T; ++t)
        if (!(sc.activity[ci](t, g) >= 0.0) || !std::isfinite(sc.activity[ci](t, g)))
          fail("media of channel '", name, "': geo '", gname(g), "', period ", t, " is ", sc.activity[ci](t, g),
               "; expected a finite number >= 0");
    Matrix pc = sc.activity[ci].cwiseQuotient(sc.population);
    double sum = 0.0;
    Eigen::Index n = 0;
    for (Eigen::Index i = 0; i < pc.size(); ++i)
      if (pc.data()[i] > 0.0) {
        sum += pc.data()[i];
        ++n;
      }
    if (n == 0) fail("channel '", name, "' has no activity in any geo or period: nothing to estimate");
    sc.media_scale[c] = sum / static_cast<double>(n);
    d.media[ci] = pc / sc.media_scale[c];
  }
  d.national_media.resize(T, C);
  for (Eigen::Index c = 0; c < C; ++c)  // total activity / total population, scaled
    d.national_media.col(c) = sc.activity[static_cast<std::size_t>(c)].rowwise().sum().cwiseQuotient(total_pop) /
                              sc.media_scale[c];
  // outcome
  const Matrix ypc = spec.outcome.cwiseQuotient(sc.population);
  const double yabs = ypc.cwiseAbs().mean();
  sc.y_scale = yabs > 0.0 ? yabs : 1.0;
  d.y = ypc / sc.y_scale;
  // roles and pooling
  d.trust_level = spec.trust;
  d.period_effects = spec.period_effects;
  d.trust.resize(static_cast<std::size_t>(C));
  d.conversion.resize(static_cast<std::size_t>(C));
  d.effect_pooling.resize(static_cast<std::size_t>(C));
  for (Eigen::Index c = 0; c < C; ++c) {
    const auto ci = static_cast<std::size_t>(c);
    const Role r = spec.trust != TrustLevel::off ? spec.roles[ci] : Role::conversion;
    d.trust[ci] = r == Role::trust || r == Role::both;
    d.conversion[ci] = r == Role::conversion || r == Role::both;
    d.effect_pooling[ci] = spec.channel_pooling.empty() ? spec.effect_pooling : spec.channel_pooling[ci];
  }
  // baseline design per geo
  const auto J = static_cast<Eigen::Index>(spec.controls.size());
  const Eigen::Index K = 1 + (spec.trend ? 1 : 0) + 2 * spec.seasonality + J;
  Matrix common(T, 1 + (spec.trend ? 1 : 0) + 2 * spec.seasonality);
  Eigen::Index k = 0;
  common.col(k++).setOnes();
  sc.baseline_names.emplace_back("intercept");
  d.baseline_pooling.push_back(spec.intercept_pooling);
  if (spec.trend) {
    for (Eigen::Index t = 0; t < T; ++t) common(t, k) = static_cast<double>(t) / static_cast<double>(T);
    ++k;
    sc.baseline_names.emplace_back("trend");
    d.baseline_pooling.push_back(spec.trend_pooling);
  }
  const double period = 365.25 / spec.period_days;
  for (int f = 1; f <= spec.seasonality; ++f) {
    for (Eigen::Index t = 0; t < T; ++t) {
      const double arg = 2.0 * std::numbers::pi * f * static_cast<double>(t) / period;
      common(t, k) = std::sin(arg);
      common(t, k + 1) = std::cos(arg);
    }
    k += 2;
    sc.baseline_names.push_back("sin_" + std::to_string(f));
    sc.baseline_names.push_back("cos_" + std::to_string(f));
    d.baseline_pooling.push_back(spec.seasonality_pooling);
    d.baseline_pooling.push_back(spec.seasonality_pooling);
  }
  sc.control_mean.resize(J);
  sc.control_sd.resize(J);
  for (Eigen::Index j = 0; j < J; ++j) {
    const Matrix& x = spec.controls[static_cast<std::size_t>(j)];
    const std::string& name = spec.control_names[static_cast<std::size_t>(j)];
    if (x.rows() != T || x.cols() != G)
      fail("control '", name, "' must be ", T, " x ", G, ", got ", x.rows(), " x ", x.cols());
    for (Eigen::Index g = 0; g < G; ++g)
      for (Eigen::Index t = 0; t < T; ++t)
        if (!std::isfinite(x(t, g))) fail("control '", name, "': geo '", gname(g), "', period ", t, " is ", x(t, g));
    const double mean = x.mean();
    double sd = std::sqrt((x.array() - mean).square().mean());
    if (sd == 0.0) sd = 1.0;
    sc.control_mean[j] = mean;
    sc.control_sd[j] = sd;
    sc.baseline_names.push_back(name);
    d.baseline_pooling.push_back(spec.per_control_pooling.empty() ? spec.control_pooling
                                                                  : spec.per_control_pooling[static_cast<std::size_t>(j)]);
  }
  if (!spec.centred.empty()) {
    const auto named = [&](const std::string& v) {
      return std::find(spec.centred.begin(), spec.centred.end(), v) != spec.centred.end();
    };
    for (const std::string& v : spec.centred)
      if (v != "intercept" && v != "trend" && v != "seasonality" && v != "controls" && v != "effects" &&
          std::find(spec.control_names.begin(), spec.control_names.end(), v) == spec.control_names.end() &&
          std::find(spec.channels.begin(), spec.channels.end(), v) == spec.channels.end())
        fail("centred names '", v,
             "': neither a baseline group (intercept, trend, seasonality, controls), 'effects', a control nor a channel");
    d.effect_centred.assign(static_cast<std::size_t>(C), false);
    for (Eigen::Index c = 0; c < C; ++c) {
      const auto ci = static_cast<std::size_t>(c);
      const bool partial = d.conversion[ci] && d.effect_pooling[ci] == Pooling::partial;
      const bool roi = std::any_of(spec.roi_priors.begin(), spec.roi_priors.end(),
                                   [&](const RoiPrior& r) { return r.channel == spec.channels[ci]; });
      if (named(spec.channels[ci]) && (!partial || roi))
        fail("centred names channel '", spec.channels[ci], "', ",
             roi ? "which has a ROI prior (its effects use the non-centred hierarchy)"
                 : "whose effects are not pooled partially (or which does not convert)");
      d.effect_centred[ci] = partial && !roi && (named(spec.channels[ci]) || named("effects"));
    }
    d.baseline_centred.assign(static_cast<std::size_t>(K), false);
    for (Eigen::Index col_k = 0; col_k < K; ++col_k) {
      const std::string& col = sc.baseline_names[static_cast<std::size_t>(col_k)];
      const bool control = col_k >= common.cols();
      const std::string group = control                                              ? "controls"
                                : col.starts_with("sin_") || col.starts_with("cos_") ? "seasonality"
                                                                                     : col;
      const bool partial = d.baseline_pooling[static_cast<std::size_t>(col_k)] == Pooling::partial;
      const bool by_name = named(control ? col : group);
      if (by_name && !partial)
        fail("centred names '", control ? col : group, "', pooled '",
             to_string(d.baseline_pooling[static_cast<std::size_t>(col_k)]),
             "'; the centred hierarchy needs partial pooling");
      d.baseline_centred[static_cast<std::size_t>(col_k)] = partial && (by_name || (control && named("controls")));
    }
  }
  d.baseline.resize(static_cast<std::size_t>(G));
  for (Eigen::Index g = 0; g < G; ++g) {
    Matrix& B = d.baseline[static_cast<std::size_t>(g)];
    B.resize(T, K);
    B.leftCols(common.cols()) = common;
    for (Eigen::Index j = 0; j < J; ++j)
      B.col(common.cols() + j) = (spec.controls[static_cast<std::size_t>(j)].col(g).array() - sc.control_mean[j]) /
                                 sc.control_sd[j];
  }
  // tracker
  if (spec.tracker.size() != 0) {
    if (spec.tracker.rows() != T || (spec.tracker.cols() != 1 && spec.tracker.cols() != G))
      fail("tracker must be ", T, " x 1 (national) or ", T, " x ", G, " (per geo), got ", spec.tracker.rows(), " x ",
           spec.tracker.cols());
    double sum = 0.0, ss = 0.0;
    Eigen::Index n = 0;
    for (Eigen::Index i = 0; i < spec.tracker.size(); ++i)
      if (!std::isnan(spec.tracker.data()[i])) {
        sum += spec.tracker.data()[i];
        ++n;
      }
    if (n < 2) fail("the tracker has ", n, " measured values; it needs at least 2");
    const double mean = sum / static_cast<double>(n);
    for (Eigen::Index i = 0; i < spec.tracker.size(); ++i)
      if (!std::isnan(spec.tracker.data()[i])) ss += (spec.tracker.data()[i] - mean) * (spec.tracker.data()[i] - mean);
    double sd = std::sqrt(ss / static_cast<double>(n));
    if (sd == 0.0) sd = 1.0;
    if (spec.tracker_share) {  // the share itself, in its own units (the model checks [0, 1])
      sc.tracker_mean = 0.0;
      sc.tracker_sd = sd = 1.0;
    } else {
      sc.tracker_mean = mean;
      sc.tracker_sd = sd;
    }
    d.tracker = (spec.tracker.array() - sc.tracker_mean) / sd;
    if (spec.tracker_n.size() != 0) {
      if (spec.tracker_n.rows() != spec.tracker.rows() || spec.tracker_n.cols() != spec.tracker.cols())
        fail("tracker_n must have the tracker's shape ", spec.tracker.rows(), " x ", spec.tracker.cols(), ", got ",
             spec.tracker_n.rows(), " x ", spec.tracker_n.cols());
      d.tracker_se = Matrix::Zero(spec.tracker.rows(), spec.tracker.cols());
      const bool per_geo = spec.tracker.cols() == G;
      for (Eigen::Index c = 0; c < spec.tracker.cols(); ++c)
        for (Eigen::Index t = 0; t < T; ++t) {
          const double q = spec.tracker(t, c), n_t = spec.tracker_n(t, c);
          if (std::isnan(q)) continue;
          const std::string where = per_geo ? "geo '" + gname(c) + "', period " + std::to_string(t)
                                            : "period " + std::to_string(t);
          if (!(q >= 0.0 && q <= 1.0)) fail("tracker: ", where, " is ", q, "; with tracker_n it must be a share in [0, 1]");
          if (!(n_t >= 1.0) || !std::isfinite(n_t))
            fail("tracker_n: ", where, " is ", n_t, "; a measured entry needs a panel size >= 1");
          const double pc = std::clamp(q, 0.5 / n_t, 1.0 - 0.5 / n_t);
          d.tracker_se(t, c) = std::sqrt(pc * (1.0 - pc) / n_t) / sd;
        }
    }
  } else if (spec.tracker_n.size() != 0) {
    fail("tracker_n needs a tracker (the survey share whose respondents it counts)");
  }
  d.noise = spec.noise;
  d.trust_form = spec.trust_form;
  d.tracker_share = spec.tracker_share;
  if (spec.shocks.size() != 0) d.shocks = spec.shocks;  // (rows and values: checked by the model)
  d.max_lag = spec.max_lag;
  d.threads = spec.threads;
  d.adstock_pooling.assign(static_cast<std::size_t>(C), spec.adstock_pooling);
  d.saturation_pooling.assign(static_cast<std::size_t>(C), spec.saturation_pooling);
  d.saturation = spec.saturation;
  d.hill_slope = spec.hill_slope;
  // A trust-only channel under a national stock (trust national or national+geo) enters the
  // likelihood only through the national series, which uses one alpha and one lam: per-geo
  // values would be draws from their prior that look like estimates, so its curvature pools
  // completely whatever the group's pooling (docs/panel.md, "Pooling"; PanelMMM warns when
  // this overrides a choice). A "both" channel keeps the group's pooling (its conversion
  // term is per geo).
  if (spec.trust == TrustLevel::national || spec.trust == TrustLevel::national_geo)
    for (std::size_t c = 0; c < static_cast<std::size_t>(C); ++c)
      if (d.trust[c] && !d.conversion[c]) {
        d.adstock_pooling[c] = Pooling::complete;
        d.saturation_pooling[c] = Pooling::complete;
      }
  d.half_life_pooling = spec.half_life_pooling;
  d.amplification_pooling = spec.amplification_pooling;
  PanelModelPriors priors = spec.priors;
  if (!spec.roi_priors.empty()) {
    std::vector<Eigen::Index> conv;  // conversion channels in order (PanelTrustModel::conversion_channels)
    for (Eigen::Index c = 0; c < C; ++c)
      if (d.conversion[static_cast<std::size_t>(c)]) conv.push_back(c);
    const auto S = static_cast<Eigen::Index>(conv.size());
    priors.roi_log_median = Vector::Constant(S, std::numeric_limits<double>::quiet_NaN());
    priors.roi_sd_log = Vector::Ones(S);
    priors.roi_scale = Vector::Ones(S);
    const double v = spec.value_per_outcome;
    for (const RoiPrior& r : spec.roi_priors) {
      const auto named = std::find(spec.channels.begin(), spec.channels.end(), r.channel);
      const auto c = static_cast<Eigen::Index>(named - spec.channels.begin());
      const auto it = std::find(conv.begin(), conv.end(), c);
      if (named == spec.channels.end() || it == conv.end())
        fail("prior 'roi' names '", r.channel, "', which is not a conversion channel of the panel");
      if (!(r.low > -1.0)) fail("prior 'roi' [", r.channel, "]: low must be > -1 (ROI -100% loses all spend), got ", r.low);
      const auto [m, sd] = detail::interval_to_lognormal("roi [" + r.channel + "] (as 1 + ROI)", 1.0 + r.low, 1.0 + r.high);
      if (!(v > 0.0) || !std::isfinite(v))
        fail("prior 'roi' [", r.channel, "]: a ROI needs the value of one unit of outcome (value_per_outcome > 0; ",
             "1 when the outcome is revenue), got ", v);
      if (spec.spend_total.size() != C)
        fail("prior 'roi' needs each channel's total spend (spend_total: ", C, " values), got ", spec.spend_total.size());
      const double total = spec.spend_total[c];
      if (!(total > 0.0) || !std::isfinite(total))
        fail("prior 'roi' [", r.channel, "]: its spend over all geos and periods is ", total, "; a ROI needs spend > 0");
      const auto j = static_cast<Eigen::Index>(it - conv.begin());
      priors.roi_log_median[j] = m;
      priors.roi_sd_log[j] = sd;
      priors.roi_scale[j] = v * sc.y_scale / total;
    }
    d.roi_weight = sc.population;  // raw outcome = y_scale x population x model units
  }
  for (std::size_t lk = 0; lk < spec.lift_tests.size(); ++lk) {  // raw outcome = y_scale x population x model units
    const PanelLiftTestSpec& ls = spec.lift_tests[lk];
    const std::string who = "lift test " + std::to_string(lk) + " on '" + ls.channel + "'";
    PanelLiftTest t;
    const auto ci = std::find(spec.channels.begin(), spec.channels.end(), ls.channel);
    if (ci == spec.channels.end()) fail(who, ": not a channel of the panel");
    t.channel = static_cast<int>(ci - spec.channels.begin());
    const Role role = spec.roles[static_cast<std::size_t>(t.channel)];
    if (spec.trust != TrustLevel::off && spec.trust != TrustLevel::geo && role != Role::conversion)
      fail(who, ": it feeds the national trust stock (role ", role == Role::trust ? "trust" : "both", ", trust ",
           to_string(spec.trust),
           "); removing it in the treated geos moves every geo's stock, the controls' too, so a geo test cannot "
           "measure it: lift tests on trust channels need per-geo stocks (trust geo)");
    for (const std::string& gn : ls.geos) {
      const auto gi = std::find(spec.geos.begin(), spec.geos.end(), gn);
      if (gi == spec.geos.end()) fail(who, ": geo '", gn, "' is not a geo of the panel");
      t.geos.push_back(static_cast<int>(gi - spec.geos.begin()));
    }
    t.start = ls.start;
    t.end = ls.end;
    t.measured_end = ls.measured_end < 0 ? ls.end : ls.measured_end;
    const auto W = static_cast<Eigen::Index>(t.end - t.start), NG = static_cast<Eigen::Index>(t.geos.size());
    const Matrix& xc = sc.activity[static_cast<std::size_t>(t.channel)];
    const bool window_ok = 0 <= t.start && t.start < t.end && t.end <= T;  // else the model names the periods
    if (window_ok && ls.counterfactual.size() != 0) {
      if (ls.counterfactual.rows() != W || ls.counterfactual.cols() != NG)
        fail(who, ": counterfactual must be ", W, " x ", NG, " (window periods x treated geos), got ",
             ls.counterfactual.rows(), " x ", ls.counterfactual.cols());
      t.counterfactual.resize(W, NG);
      for (Eigen::Index i = 0; i < NG; ++i)
        for (Eigen::Index r = 0; r < W; ++r) {
          const double v = ls.counterfactual(r, i);
          if (!(v >= 0.0) || !std::isfinite(v))
            fail(who, ": counterfactual activity in geo '", ls.geos[static_cast<std::size_t>(i)], "', period ", t.start + r,
                 " is ", v, "; expected a finite number >= 0");
          const Eigen::Index tt = t.start + r, g = t.geos[static_cast<std::size_t>(i)];
          t.counterfactual(r, i) = v / sc.population(tt, g) / sc.media_scale[t.channel];
        }
    } else if (window_ok) {
      double in_window = 0.0;
      for (const int g : t.geos) in_window += xc.col(g).segment(t.start, W).sum();
      if (!(in_window > 0.0))
        fail(who,
             ": the channel has no activity in the treated geos over the window in the data, so removing it "
             "changes nothing; for a holdout that is in the data give its planned activity as the counterfactual");
    }
    const double tau = std::isnan(ls.transfer_sd) ? ls.transfer_fraction * std::abs(ls.lift) : ls.transfer_sd;
    if (!(tau >= 0.0) || !std::isfinite(tau))
      fail(who, ": the transfer sd (transfer_sd, or transfer_fraction x |lift|) must be finite and >= 0, got ", tau);
    t.lift = ls.lift / sc.y_scale;
    t.standard_error = ls.standard_error / sc.y_scale;
    t.transfer_sd = tau / sc.y_scale;
    if (ls.period_lift.size() != 0 || ls.period_standard_error.size() != 0) {  // week by week
      const Eigen::Index M = ls.period_lift.size();
      if (ls.period_standard_error.size() != M)
        fail(who, ": period_standard_error needs one value per period_lift value (", M, "), got ",
             ls.period_standard_error.size());
      t.period_lift = ls.period_lift / sc.y_scale;
      t.period_variance.resize(M);
      t.period_transfer.resize(M);  // one common transfer error (PanelLiftTest::period_transfer)
      for (Eigen::Index m = 0; m < M; ++m) {
        const double se = ls.period_standard_error[m], lift = ls.period_lift[m];
        if (!(se > 0.0) || !std::isfinite(se) || !std::isfinite(lift))
          fail(who, ": week ", m, " of the measured periods has lift ", lift, " and standard error ", se,
               "; expected finite numbers, the standard error > 0");
        const double tau_m = std::isnan(ls.transfer_sd) ? ls.transfer_fraction * std::abs(lift) : ls.transfer_sd;
        t.period_variance[m] = (se * se + tau_m * tau_m) / (sc.y_scale * sc.y_scale);
        t.period_transfer[m] = tau_m / sc.y_scale;
      }
      t.lift = ls.period_lift.sum() / sc.y_scale;  // the total (records, predicted_lift)
      t.standard_error = std::sqrt(ls.period_standard_error.squaredNorm()) / sc.y_scale;
      t.transfer_sd = t.period_transfer.sum();  // the total's: the weeks' common error adds up
    }
    d.lift_tests.push_back(std::move(t));
  }
  if (!d.lift_tests.empty()) d.lift_weight = sc.population;
  if (!std::isnan(spec.market_growth_low) || !std::isnan(spec.market_growth_high))
    detail::set_market_growth_prior(priors.base, spec.market_growth_low, spec.market_growth_high, spec.trend,
                                    static_cast<double>(T) * spec.period_days / 365.25, d.y.mean(), false, K);
  PanelTrustModel model(std::move(d), priors);
  return BuiltPanelModel{std::move(spec), std::move(sc), std::move(model)};
}

}  // namespace trustmix::mmm
