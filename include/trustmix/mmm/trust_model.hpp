#pragma once
// The trust-linked response model of MODEL.md: log posterior and its exact gradient on
// unconstrained parameters, the forward pass with the additive decomposition, and a MAP
// fit by L-BFGS. Notation follows MODEL.md:
//
//   a[c, t] = sum_{l=0}^{L} w_l(alpha_c) x[c, t - l]     geometric adstock, normalised weights
//   h[c, t] = (1 - exp(-lam_c a)) / (1 + exp(-lam_c a))   logistic saturation
//   G[t]    = delta G[t-1] + (1 - delta) sum_{p in trust} kappa_p h[p, t] - sum_e omega_e d[e, t],
//             G[-1] = G0                                          trust_form = linear (default)
//   G[t]    = s[t] (m[t] + (1 - m[t]) (1 - exp(-rho u[t]))),     trust_form = bounded:
//             m[t] = b + delta (G[t-1] - b), u[t] = sum_p kappa_p h[p, t],
//             s[t] = exp(-sum_e omega_e d[e, t]), G[-1] = G0 in (0, 1): a share of people in
//             [0, 1] that decays towards its baseline share b, gains a fraction
//             1 - exp(-rho u) of the not-yet-trusting share per period and loses a fraction
//             1 - s to a crisis (docs/mmm.md, "The bounded trust form")
//   mu[t]   = sum_k b_k B[t, k] + gamma G[t] + sum_{s in conversion} beta_s (1 + theta G[t]) h[s, t]
//             (link = identity, the default); with link = log the same linear predictor
//             eta[t] (right-hand side above) sits inside exp: mu[t] = exp(eta[t]), so every
//             term scales the others (seasonality and trust multiply each channel's
//             effect); the baseline, gamma, beta and theta are then on the log scale
//             (docs/mmm.md, "The log link")
//   y[t]    ~ Normal(mu[t], sigma)                                  likelihood = normal
//   y[t]    ~ LogNormal(ln mu[t] - sigma^2 / 2, sigma)  (E y = mu)    likelihood = lognormal
//   y[t]    ~ NegativeBinomial(mean s mu[t], size phi)  (counts)     likelihood = negative_binomial
//             (variance s mu + (s mu)^2 / phi; s = outcome_scale turns model units into counts)
//   noise = ar1 (normal and lognormal only): the residuals e[t] = y[t] - mu[t] (normal) or
//             ln y[t] - ln mu[t] + sigma^2 / (2 (1 - phi^2)) (lognormal; E y = mu still) follow
//             e[t] = phi e[t-1] + eps[t], eps ~ Normal(0, sigma), |phi| < 1, e[0] from the
//             stationary Normal(0, sigma^2 / (1 - phi^2)): the exact AR(1) likelihood
//             -T ln sigma + ln(1 - phi^2) / 2 - (sum_t u[t]^2) / (2 sigma^2) (+ const),
//             u[0] = sqrt(1 - phi^2) e[0], u[t] = e[t] - phi e[t-1]; free parameter atanh phi
//             ~ Normal(0, ar1_sd). The iid default is phi = 0 (no parameter).
//   q[t]    ~ Normal(a_q + b_q G[t], sigma_q)             trust tracker, observed t only
//   q[t]    ~ Normal(a_q + b_q G[t], sqrt(se[t]^2 + sigma_q^2))  with a known sampling standard
//             error se[t] per observation (tracker_se: a survey share's sqrt(p (1 - p) / n)),
//             sigma_q then the error beyond sampling
//   q[t]    ~ Normal(G[t] + a_q, sqrt(se[t]^2 + sigma_q^2))  tracker_share (bounded form only):
//             the tracker is the survey share of trusting people itself (b_q = 1 fixed),
//             a_q a small house bias, se[t] its known sampling error (or 0): the survey
//             anchors the share's level directly
//
// Identification: the trust weights kappa lie on the simplex (they sum to 1), so G is an
// index in the units of saturated PR activity (about 0..1) and the absolute strength of
// trust sits in gamma, theta and b_q. With one trust channel kappa = 1.
//
// Unconstrained parameters: logit for alpha and delta, log for lam, omega, gamma, theta,
// beta (or its ROI, below), sigma (phi for the negative binomial), b_q, sigma_q, isometric
// log-ratios for kappa (below), and identity for G0, b and a_q, each then moved to the
// scale the data pin (shears and one rescaling, below). The log density includes the
// log-Jacobian of every map, so the posterior is that of the model's parameters.
//
// Conversion channels are parametrised by their contribution, not by beta:
//   z_j = ln(k_j beta_j f_j sum_t h[j, t]),   beta_j = exp(z_j) / (k_j f_j sum_t h[j, t]),
// with k_j = 1/T (z_j is the log mean contribution per period) and, in a trust model,
// f_j = 1 + theta s(Gbar) (the amplification at the mean stock; s a smooth positive
// version of Gbar), else f_j = 1; this removes most of the posterior correlation between
// beta_j, lam_j and theta (the data pin down the contribution, the curvature only weakly)
// and so shortens NUTS trajectories. The prior stays the one of beta (HalfNormal) with the
// log-Jacobian ln beta_j, so the posterior of (beta, alpha, lam) is the same as with
// z = ln beta. With trust, the baseline's column of ones is free as the level at the mean
// stock, b_0 + gamma Gbar. With a tracker: its intercept is free as the level
// a_q + b_q Gm (Gm: the mean stock over its observed periods), and omega, G0, gamma and
// theta are free on the tracker's scale: ln(b_q omega), b_q G0 (log-Jacobian -ln b_q),
// ln(gamma / b_q), ln(theta / b_q) (docs/mmm.md, Inference). ROI priors in business terms: for a channel with
// a ROI prior, k_j = roi_scale_j (value per model unit / spend_j), so exp(z_j) = R_j is its
// own-term return on spend over the data, with ln R_j ~ Normal(roi_log_median_j,
// roi_sd_log_j) (the approach of Meridian's ROI priors). alpha and lam keep their priors.
// Bounded form: the inflow strength is free as ln(rho ubar), ubar = mean_t u[t] (the mean
// per-period hazard of gaining trust, which the data pin; rho alone trades off against the
// trust channels' saturation), and a share tracker's house bias as the survey's level
// a_q + Gm (Gm: the mean share over its observed periods; a_q alone trades off against the
// initial share). Both are shears with unit Jacobian, so the posterior is unchanged; they
// cut NUTS's gradient evaluations 3-7 times on validation worlds (docs/validation.md).
//
// Cost of one log density + gradient: O(T x C x L); no allocation (workspaces are
// members, so one model object serves one thread; copy it per chain).
#include <Eigen/Core>
#include <Eigen/QR>

#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/tools/roots.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/mmm/calibration.hpp"
#include "trustmix/mmm/priors.hpp"
#include "trustmix/transforms/adstock.hpp"
#include "trustmix/transforms/simd.hpp"

namespace trustmix::mmm {

namespace detail {
class DrawEngine;  // analyses.hpp: the model's kernels over posterior draws
}

using Matrix = Eigen::MatrixXd;  // column-major: one contiguous time series per column
using Vector = Eigen::VectorXd;

/// Observation model of the outcome (MODEL.md section 3).
enum class Likelihood : std::uint8_t {
  normal,             ///< y ~ Normal(mu, sigma)
  lognormal,          ///< y ~ LogNormal(ln mu - sigma^2/2, sigma): mean mu, needs y > 0 and mu > 0
  negative_binomial,  ///< y ~ NB(mean s mu, size phi): counts y in {0, 1, ...}, needs mu > 0
};
[[nodiscard]] inline const char* to_string(Likelihood l) {
  switch (l) {
    case Likelihood::normal: return "normal";
    case Likelihood::lognormal: return "lognormal";
    case Likelihood::negative_binomial: return "negative_binomial";
  }
  return "?";
}

/// Time structure of the outcome's residuals (the top of this file).
enum class Noise : std::uint8_t {
  iid,  ///< independent residuals (the default)
  ar1,  ///< AR(1) residuals e[t] = phi e[t-1] + eps[t] (normal and lognormal likelihoods)
};
[[nodiscard]] inline const char* to_string(Noise n) { return n == Noise::iid ? "iid" : "ar1"; }

/// Link between the linear predictor eta (baseline + gamma G + sum_s beta_s h_s (1 + theta G))
/// and the outcome's mean mu (the top of this file).
enum class Link : std::uint8_t {
  identity,  ///< mu = eta: every part adds (the default)
  log,       ///< mu = exp(eta): every part multiplies; mu > 0 for any parameters
};
[[nodiscard]] inline const char* to_string(Link l) { return l == Link::identity ? "identity" : "log"; }

/// Form of the trust-stock recursion (MODEL.md section 2; the top of this file).
enum class TrustForm : std::uint8_t {
  linear,   ///< G = delta G[-1] + (1 - delta) u - damage: an index in inflow units, linear in the inputs
  bounded,  ///< G a share in [0, 1]: inflow on the untrusting share, decay to a baseline share b
};
[[nodiscard]] inline const char* to_string(TrustForm f) { return f == TrustForm::linear ? "linear" : "bounded"; }

/// Form of a reach-and-frequency (RF) channel (docs/mmm.md, "Reach and frequency"). An RF
/// channel's media column is its reach r[t] (people reached at least once, scaled) and
/// TrustModelData::frequency its average frequency f[t] among the reached (>= 1 where
/// r > 0); its saturated activity is h[t] = Adstock_t(r g(f)) (the response inside, the
/// adstock outside; no logistic saturation), with beta as for any conversion channel:
///   hill:     g(f) = f^s / (f^s + ec^s)  (Meridian's RF form: adstock of reach x Hill of
///             frequency), ec (the channel's lam slot) and slope s free;
///   exposure: g(f) = E[1 - exp(-lam K) | K >= 1], K the exposures of a reached person, a
///             zero-truncated negative binomial with shape k = rf_shape and the mean f
///             (the frequency distribution of audience::ReachCurve's nbd): each exposure
///             converts a share 1 - exp(-lam) of what is left, so the response per person
///             is concave in exposures; with m[t] the untruncated mean solving
///             f = m / (1 - (1 + m/k)^-k), and q = exp(-lam),
///             g = (1 - (1 + m (1 - q) / k)^-k) / (1 - (1 + m / k)^-k).
///             lam (per exposure) is the channel's lam slot.
enum class RfForm : std::uint8_t { none, hill, exposure };
[[nodiscard]] inline const char* to_string(RfForm f) {
  return f == RfForm::hill ? "hill" : f == RfForm::exposure ? "exposure" : "none";
}

/// Prior settings (MODEL.md section 5). Positive scales are half-normal on the scaled
/// outcome; adstock alpha ~ Beta(alpha_a, alpha_b); logistic lam ~ Gamma(lam_shape,
/// lam_rate); trust half-life (periods) ~ LogNormal(log(half_life_median), half_life_sd_log).
struct TrustModelPriors {
  double alpha_a = 1.0, alpha_b = 3.0;
  double lam_shape = 3.0, lam_rate = 1.0;
  double half_life_median = 12.0, half_life_sd_log = 0.5;
  double g0_mean = 0.0, g0_sd = 0.5;
  double omega_sd = 1.0, gamma_sd = 1.0, theta_sd = 2.0, beta_sd = 1.0;
  double baseline_sd = 2.0, sigma_sd = 1.0;
  double tracker_a_sd = 2.0, tracker_b_sd = 20.0, tracker_sigma_sd = 1.0;
  /// Negative binomial size phi: 1/sqrt(phi) ~ HalfNormal(phi_sd) (the Stan prior-choice
  /// recommendation; phi -> infinity is the Poisson limit).
  double phi_sd = 1.0;
  /// Tracker that measures the share (TrustModelData::tracker_share): house bias a_q ~
  /// Normal(0, tracker_bias_sd) and the error beyond sampling sigma_q ~
  /// HalfNormal(tracker_share_sigma_sd), both in share units.
  double tracker_bias_sd = 0.03, tracker_share_sigma_sd = 0.05;
  /// Bounded trust form only: logit b ~ Normal(trust_base_logit_mean, trust_base_logit_sd)
  /// (default: median share 0.3, 90% range 0.03-0.85); logit G0 ~ Normal(logit b,
  /// g0_logit_sd) (the initial share near the baseline share); the inflow strength rho ~
  /// HalfNormal(inflow_sd) (rho u is the log of the untrusting share's survival per
  /// period at inflow u; 0.5 lets one period of full saturated activity convert up to
  /// about 40% of the untrusting).
  double trust_base_logit_mean = -0.8472978603872037, trust_base_logit_sd = 1.5, g0_logit_sd = 1.0, inflow_sd = 0.5;
  /// ROI priors, one entry per conversion channel (or empty for none): ln R_j ~
  /// Normal(roi_log_median[j], roi_sd_log[j]) where roi_log_median[j] is finite; NaN keeps
  /// the HalfNormal(beta_sd) prior on beta_j. roi_scale[j] > 0 converts beta_j sum_t h
  /// (model units) into value per unit of spend.
  Vector roi_log_median, roi_sd_log, roi_scale;
  /// Reach-and-frequency channels (RfForm): hill: ln ec ~ Normal(rf_ec_log_mean,
  /// rf_ec_sd_log) and ln s ~ Normal(rf_slope_log_mean, rf_slope_sd_log) (LogNormal ec and
  /// slope; the defaults are Meridian's documented ec_rf and slope_rf priors);
  /// exposure: lam ~ Gamma(rf_rate_shape, rf_rate_rate) per exposure (median about 0.84:
  /// one exposure converts about 57% of what a person can give).
  double rf_ec_log_mean = 0.7, rf_ec_sd_log = 0.4, rf_slope_log_mean = 0.7, rf_slope_sd_log = 0.4;
  double rf_rate_shape = 2.0, rf_rate_rate = 2.0;
  /// AR(1) residuals (Noise::ar1): atanh phi ~ Normal(0, ar1_sd), a prior on the free
  /// parameter itself (no Jacobian); 0.5 puts 90% of phi in (-0.68, 0.68) and lets the
  /// data of ~100 periods move it freely (the likelihood's sd of atanh phi is ~ 1/sqrt(T)).
  double ar1_sd = 0.5;
  /// Per-column Normal priors of the baseline coefficients b_k ~ Normal(baseline_mean[k],
  /// baseline_sd_k[k]) (scaled units), or empty: Normal(0, baseline_sd) for every column.
  /// build() sets the trend's from a business-term prior on the market's growth
  /// (TrustModelSpec::market_growth_low / _high).
  Vector baseline_mean, baseline_sd_k;
  /// The prior mean and sd of baseline coefficient k (the per-column entries or 0, baseline_sd).
  [[nodiscard]] double baseline_prior_mean(Eigen::Index k) const {
    return baseline_mean.size() > k ? baseline_mean[k] : 0.0;
  }
  [[nodiscard]] double baseline_prior_sd(Eigen::Index k) const {
    return baseline_sd_k.size() > k ? baseline_sd_k[k] : baseline_sd;
  }
  /// Throws std::invalid_argument unless the per-column baseline priors fit a design of K
  /// columns: each of baseline_mean, baseline_sd_k empty or K long, every mean finite and
  /// every sd finite and > 0 (the national and the panel model's check).
  void check_baseline_priors(Eigen::Index K) const {
    for (const Vector* v : {&baseline_mean, &baseline_sd_k})
      if (v->size() != 0 && v->size() != K)
        fail("per-column baseline priors need ", K, " entries (one per baseline column), got ", v->size());
    for (Eigen::Index k = 0; k < baseline_sd_k.size(); ++k)
      if (!(baseline_sd_k[k] > 0.0 && std::isfinite(baseline_sd_k[k])) || !std::isfinite(baseline_prior_mean(k)))
        fail("baseline prior of column ", k, ": mean ", baseline_prior_mean(k), ", sd ", baseline_sd_k[k],
             "; expected a finite mean and a finite sd > 0");
  }
};

/// Data of one fit. Media, outcome and tracker are expected already scaled (the Python
/// layer divides media by their mean non-zero value and the outcome by its mean).
struct TrustModelData {
  Matrix media;                       ///< T x C channel activity, >= 0
  std::vector<bool> trust;            ///< C: channel feeds the trust stock
  std::vector<bool> conversion;       ///< C: channel converts in the short term
  Matrix baseline;                    ///< T x K baseline design (intercept, trend, seasonality, controls)
  Matrix shocks;                      ///< T x E shock events (>= 0), may have 0 columns
  Vector y;                           ///< T outcome
  Vector tracker;                     ///< T trust tracker, NaN where missing; empty if none
  /// T known sampling standard errors of the tracker (its units, >= 0 where observed), or
  /// empty: none (the tracker's noise is sigma_q alone).
  Vector tracker_se;
  int max_lag = 12;                   ///< L
  bool trust_enabled = true;          ///< false: a standard MMM (no G, gamma, theta, kappa, ...)
  Likelihood likelihood = Likelihood::normal;
  Noise noise = Noise::iid;  ///< residuals' time structure (top of this file); ar1 not with the negative binomial
  TrustForm trust_form = TrustForm::linear;  ///< the trust-stock recursion (top of this file)
  /// Link of the outcome's mean (top of this file): identity (mu = eta) or log (mu = exp(eta)).
  Link link = Link::identity;
  /// Bounded form with a tracker only: the tracker is the share G itself in [0, 1]
  /// (a_q a free house bias, b_q = 1 fixed; top of this file), not an index a_q + b_q G.
  bool tracker_share = false;
  /// Negative binomial only: y holds raw counts and the count mean is outcome_scale * mu.
  double outcome_scale = 1.0;
  /// Lift tests that calibrate the model (calibration.hpp), in model units; empty: none.
  std::vector<LiftCalibration> lift_tests;
  /// Reach-and-frequency channels (RfForm): C forms, or empty for none. An RF channel's
  /// media column is its reach; it must be a conversion channel only (refused as a trust
  /// channel: the stock's inflow is saturated activity per period, and reach that
  /// accumulates over periods is not that; give it role conversion, or trust off).
  std::vector<RfForm> rf;
  /// T x C average frequency among the reached (read for RF channels only; >= 0, and
  /// >= 1 where the reach is > 0 for the exposure form), or 0 columns without RF channels.
  Matrix frequency;
  /// Exposure form: shape k > 0 of the negative binomial exposures (1: the Goerg one-point
  /// curve's gamma-Poisson; large: Poisson).
  double rf_shape = 1.0;
};

/// Constrained parameter values.
struct TrustModelParameters {
  Vector alpha, lam;   ///< per channel
  Vector kappa;        ///< per trust channel (simplex)
  Vector omega;        ///< per shock
  Vector beta;         ///< per conversion channel
  Vector b;            ///< per baseline column
  double delta = 0.0, g0 = 0.0, gamma = 0.0, theta = 0.0;
  double sigma = 1.0;  ///< normal / lognormal noise scale; for the negative binomial, its size phi
  double tracker_a = 0.0, tracker_b = 0.0, tracker_sigma = 1.0;
  double trust_base = 0.0, inflow = 0.0;  ///< bounded trust form only: b and rho
  /// Per channel: the Hill slope s of an RF channel of the hill form (0 for any other
  /// channel). For RF channels lam holds ec (hill) or the per-exposure rate (exposure).
  Vector slope;
  double ar1 = 0.0;  ///< AR(1) coefficient phi of the residuals (Noise::ar1; 0 for iid)
};

/// Every intermediate of one forward pass, for decompositions and counterfactuals.
struct TrustModelForward {
  Matrix adstock, saturated;   ///< T x C
  Vector inflow, trust_stock;  ///< T
  /// T x P: G^(p), the stock built by trust channel p: alone (linear form, exact by
  /// linearity) or its Shapley value over the trust channels (bounded form; see forward_on)
  Matrix trust_by_channel;
  Vector trust_from_shocks, trust_from_initial;  ///< T
  Vector base, trust_direct;   ///< T
  Matrix conversion_own;       ///< T x S: beta_s h_s
  Matrix amplification;        ///< T x S: beta_s theta G h_s
  Vector mu;                   ///< T
  /// T: the linear predictor eta = base + gamma G + sum_s beta_s h_s (1 + theta G); mu = eta
  /// (identity link) or exp(eta) (log link). With the log link the parts above are an
  /// allocation of mu in outcome units, not the terms of eta (TrustModel::forward_on).
  Vector eta;
};

/// Scratch buffers of one log-density evaluation. One per thread: the model itself is
/// read-only during evaluation, so several chains can share it.
struct TrustModelWorkspace {
  Matrix A, dA, H, gH;
  Vector inflow, G, mu, gmu, gG, adj, conv_sum, ga, gkappa, hsum, gbeta;
  Vector ex, sx;  // bounded trust form: exp(-rho u[t]) and the crisis survival s[t]
  Matrix X, dX1, dX2;  // RF channels: r g(f) and its derivatives (ln lam slot, ln slope); T x C
  Vector wl, dwl, gx;  // RF channels: adstock weights and the adjoint of the adstock input
  TrustModelParameters params;  // the constrained parameters of the current evaluation
  LiftWorkspace lift;           // the lift-test term's buffers (calibration.hpp), used only with lift tests
  void resize(Eigen::Index T, Eigen::Index C, Eigen::Index P, Eigen::Index S) {
    if (A.rows() == T && A.cols() == C && gkappa.size() == P && gbeta.size() == S) return;
    A.resize(T, C);
    dA.resize(T, C);
    H.resize(T, C);
    gH.resize(T, C);
    inflow.resize(T);
    G = Vector::Zero(T);
    mu.resize(T);
    gmu.resize(T);
    gG = Vector::Zero(T);
    adj.resize(T);
    conv_sum.resize(T);
    ga.resize(T);
    gkappa.resize(P);
    hsum.resize(C);
    gbeta.resize(S);
    ex.resize(T);
    sx.resize(T);
  }
};

class TrustModel {
  friend class detail::DrawEngine;  // reads the layout and runs the kernels below, read-only
  friend struct detail::LiftTerm;   // calibration.hpp: the lift-test term, read-only

 public:
  TrustModel(TrustModelData data, TrustModelPriors priors = {}) : d_(std::move(data)), pr_(std::move(priors)) {
    validate();
    layout();
    allocate();
  }

  [[nodiscard]] int dimension() const { return n_; }
  [[nodiscard]] const std::vector<std::string>& parameter_names() const { return names_; }
  [[nodiscard]] const TrustModelData& data() const { return d_; }
  [[nodiscard]] const TrustModelPriors& priors() const { return pr_; }
  [[nodiscard]] int periods() const { return static_cast<int>(d_.y.size()); }
  [[nodiscard]] bool has_tracker() const { return n_tracker_obs_ > 0; }
  /// True when the tracker measures the share G itself (b_q = 1, a_q a house bias).
  [[nodiscard]] bool tracker_share() const { return n_tracker_obs_ > 0 && bounded() && d_.tracker_share; }
  /// True for the bounded trust form (a trust model whose data say TrustForm::bounded).
  [[nodiscard]] bool bounded() const { return d_.trust_enabled && d_.trust_form == TrustForm::bounded; }
  /// True for the log link, mu = exp(eta) (TrustModelData::link).
  [[nodiscard]] bool log_link() const { return d_.link == Link::log; }
  /// Number of trust channels P (0 without trust) and of conversion channels S.
  [[nodiscard]] int trust_count() const { return P_; }
  [[nodiscard]] int conversion_count() const { return S_; }
  /// True when the residuals are AR(1) (Noise::ar1; one more free parameter, atanh phi, last in z).
  [[nodiscard]] bool ar1() const { return d_.noise == Noise::ar1; }

  /// Names of the constrained parameters in the order of constrain_into().
  [[nodiscard]] std::vector<std::string> constrained_names() const {
    std::vector<std::string> n;
    auto add = [&](const std::string& base, const std::vector<int>& idx) {
      for (int i : idx) n.push_back(base + "[" + std::to_string(i) + "]");
    };
    std::vector<int> all(static_cast<std::size_t>(C_)), kb(static_cast<std::size_t>(K_)), ev(static_cast<std::size_t>(E_));
    for (int i = 0; i < C_; ++i) all[static_cast<std::size_t>(i)] = i;
    for (int i = 0; i < K_; ++i) kb[static_cast<std::size_t>(i)] = i;
    for (int i = 0; i < E_; ++i) ev[static_cast<std::size_t>(i)] = i;
    add("alpha", all);
    add("lam", all);
    add("beta", conv_idx_);
    add("b", kb);
    n.emplace_back(d_.likelihood == Likelihood::negative_binomial ? "phi" : "sigma");
    if (d_.trust_enabled) {
      add("kappa", trust_idx_);
      n.emplace_back("delta");
      n.emplace_back("g0");
      add("omega", ev);
      n.emplace_back("gamma");
      n.emplace_back("theta");
      if (n_tracker_obs_ > 0) {
        n.emplace_back("tracker_a");
        n.emplace_back("tracker_b");
        n.emplace_back("tracker_sigma");
      }
      if (bounded()) {
        n.emplace_back("trust_base");
        n.emplace_back("trust_inflow");
      }
    }
    for (int c = 0; c < C_; ++c)  // RF channels of the hill form: their Hill slope
      if (rf_form(c) == RfForm::hill) n.push_back("slope[" + std::to_string(c) + "]");
    if (ar1()) n.emplace_back("ar1_phi");  // AR(1) residuals: last
    return n;
  }
  [[nodiscard]] Eigen::Index constrained_dimension() const { return static_cast<Eigen::Index>(constrained_names().size()); }

  /// Writes the constrained parameters of z (order of constrained_names()) into out.
  void constrain_into(const Eigen::Ref<const Vector>& z, Eigen::Ref<Vector> out) const {
    flatten_into(constrain(z), out.data());
  }

  /// Writes constrained parameters p in the order of constrained_names() into out
  /// (constrained_dimension() values): the one definition of that layout, used by
  /// constrain_into() and the analyses (analyses.hpp).
  void flatten_into(const TrustModelParameters& p, double* out) const {
    Eigen::Index i = 0;
    auto put = [&](const Vector& v) {
      for (const double x : v) out[i++] = x;
    };
    put(p.alpha);
    put(p.lam);
    put(p.beta);
    put(p.b);
    out[i++] = p.sigma;
    if (d_.trust_enabled) {
      put(p.kappa);
      out[i++] = p.delta;
      out[i++] = p.g0;
      put(p.omega);
      out[i++] = p.gamma;
      out[i++] = p.theta;
      if (n_tracker_obs_ > 0) {
        out[i++] = p.tracker_a;
        out[i++] = p.tracker_b;
        out[i++] = p.tracker_sigma;
      }
      if (bounded()) {
        out[i++] = p.trust_base;
        out[i++] = p.inflow;
      }
    }
    for (int c = 0; c < C_; ++c)
      if (rf_form(c) == RfForm::hill) out[i++] = p.slope[c];
    if (ar1()) out[i++] = p.ar1;
  }

  /// Maps unconstrained z to constrained parameters (for channels with a ROI prior, beta
  /// is derived from the ROI and the channel's saturated activity over the data).
  [[nodiscard]] TrustModelParameters constrain(const Eigen::Ref<const Vector>& z) const {
    TrustModelParameters p = constrain_free(z);
    for (int j = 0; j < S_; ++j) {
      const int c = conv_idx_[static_cast<std::size_t>(j)];
      p.beta[j] /= contribution_scale_[j] * saturated_sum(c, p.alpha[c], p.lam[c], p.slope[c]);
    }
    if (d_.trust_enabled) {
      if (bounded()) p.inflow /= mean_trust_inflow(p);  // the free parameter is rho times the mean inflow
      const auto [all, observed] = stock_means(p);
      const double f = amplification_at_mean(p.theta, all).f;
      for (int j = 0; j < S_; ++j)
        if (!roi_[static_cast<std::size_t>(j)]) p.beta[j] /= f;
      if (intercept_col_ >= 0) p.b[intercept_col_] -= p.gamma * all;
      if (n_tracker_obs_ > 0) p.tracker_a -= p.tracker_b * observed;  // (tracker_share: b_q = 1)
    }
    return p;
  }

  /// Mean over the data of the trust stock's inflow u[t] = sum_p kappa_p h[p, t] at the
  /// trust channels' (alpha, lam) and kappa of p (stock_means()'s kernels): ubar, which
  /// turns the bounded form's free inflow parameter ln(rho ubar) into rho.
  [[nodiscard]] double mean_trust_inflow(const TrustModelParameters& p) const {
    const int T = periods();
    Vector w(d_.max_lag + 1), dw(d_.max_lag + 1), a(T), h(T), inflow = Vector::Zero(T);
    for (int i = 0; i < P_; ++i) {
      const int c = trust_idx_[static_cast<std::size_t>(i)];
      geometric_weights_into(p.alpha[c], w, dw);
      convolve(d_.media.col(c), w, a);
      saturate(a.data(), 0.5 * p.lam[c], h.data(), T);
      inflow += p.kappa[i] * h;
    }
    return inflow.mean();
  }

  /// sum_t h[c, t] over the data at (alpha, lam), by the direct adstock sum: what links a
  /// conversion channel's free parameter (its contribution or ROI) to beta. For an RF
  /// channel, sum_t Adstock_t(r g(f)) with lam its ec or per-exposure rate and `slope` its
  /// Hill slope (NaN: the prior median).
  [[nodiscard]] double saturated_sum(int c, double alpha, double lam,
                                     double slope = std::numeric_limits<double>::quiet_NaN()) const {
    Vector w(d_.max_lag + 1), dw(d_.max_lag + 1), a(periods());
    geometric_weights_into(alpha, w, dw);
    if (rf_form(c) != RfForm::none) {  // RF: h = Adstock(r g(f)) (lam: ec or the per-exposure rate)
      Vector x(periods());
      rf_input(c, lam, std::isnan(slope) ? std::exp(pr_.rf_slope_log_mean) : slope, d_.media.col(c), x);
      convolve(x, w, a);
      return a.sum();
    }
    convolve(d_.media.col(c), w, a);
    Vector h(periods());
    saturate(a.data(), 0.5 * lam, h.data(), periods());
    return h.sum();
  }

  /// Means of the trust stock G[t] over all periods and over the periods where the
  /// tracker is observed (0 without a tracker), at the trust parameters of p (kappa,
  /// delta, g0, omega, alpha and lam of the trust channels).
  [[nodiscard]] std::pair<double, double> stock_means(const TrustModelParameters& p) const {
    const int T = periods();
    Vector w(d_.max_lag + 1), dw(d_.max_lag + 1), a(T), h(T), inflow = Vector::Zero(T);
    for (int i = 0; i < P_; ++i) {
      const int c = trust_idx_[static_cast<std::size_t>(i)];
      geometric_weights_into(p.alpha[c], w, dw);
      convolve(d_.media.col(c), w, a);
      saturate(a.data(), 0.5 * p.lam[c], h.data(), T);
      inflow += p.kappa[i] * h;
    }
    Vector G(T);
    stock_path(p, inflow, d_.shocks, G);
    double sum = 0.0, sum_observed = 0.0;
    for (int t = 0; t < T; ++t) {
      sum += G[t];
      if (n_tracker_obs_ > 0 && !std::isnan(d_.tracker[t])) sum_observed += G[t];
    }
    return {sum / T, n_tracker_obs_ > 0 ? sum_observed / n_tracker_obs_ : 0.0};
  }

  /// Number of conversion channels whose ROI (not beta) is the free parameter.
  [[nodiscard]] int roi_prior_count() const { return n_roi_; }

 private:
  /// constrain() without the contribution -> beta step: p.beta[j] holds exp(z_j).
  [[nodiscard]] TrustModelParameters constrain_free(const Eigen::Ref<const Vector>& z) const {
    TrustModelParameters p;
    constrain_free_into(z, p);
    return p;
  }
  /// The same into p, reusing its storage (no allocation once p has the model's sizes).
  void constrain_free_into(const Eigen::Ref<const Vector>& z, TrustModelParameters& p) const {
    check_dimension(z);
    p.alpha.resize(C_);
    p.lam.resize(C_);
    p.beta.resize(S_);
    p.b.resize(K_);
    p.kappa.resize(P_);
    p.omega.resize(E_);
    for (int c = 0; c < C_; ++c) {
      p.alpha[c] = sigmoid(z[o_alpha_ + c]);
      p.lam[c] = std::exp(z[o_lam_ + c]);
    }
    p.beta.array() = z.segment(o_beta_, S_).array().exp();
    p.slope.setZero(C_);
    for (int c = 0; c < C_; ++c)
      if (rf_slope_pos_.size() != 0 && rf_slope_pos_[static_cast<std::size_t>(c)] >= 0)
        p.slope[c] = std::exp(z[o_slope_ + rf_slope_pos_[static_cast<std::size_t>(c)]]);
    p.b = z.segment(o_b_, K_);  // with trust, b[intercept] holds the level (constrain() finishes it)
    p.sigma = std::exp(z[o_sigma_]);
    p.ar1 = ar1() ? std::tanh(z[o_ar1_]) : 0.0;
    if (d_.trust_enabled) {
      // kappa = softmax(V z_kappa), V the P x (P-1) Helmert basis (orthonormal columns
      // orthogonal to 1): the isometric log-ratio, which treats the trust channels
      // symmetrically (an additive log-ratio against a reference channel makes every
      // coordinate move with that channel and correlates them).
      p.kappa.noalias() = helmert_ * z.segment(o_kappa_, P_ - 1);
      const double mx = p.kappa.maxCoeff();
      p.kappa.array() = (p.kappa.array() - mx).exp();
      p.kappa /= p.kappa.sum();
      p.delta = sigmoid(z[o_delta_]);
      // With a tracker, the stock's scale is set by what the tracker sees, b_q G: the free
      // parameters are ln(b_q omega_e) (the damage as the tracker sees it), b_q g0 (the
      // initial stock as the tracker sees it), ln(gamma / b_q) and ln(theta / b_q) (the
      // effects per unit of the tracker's scale). These are what the data pin; omega, g0,
      // gamma and theta alone scale with 1 / b_q, a funnel whose neck (large b_q, a
      // nearly linear PR saturation) diverges.
      const double log_bq = n_tracker_obs_ > 0 && !tracker_share() ? z[o_tracker_ + 1] : 0.0;
      if (bounded()) {
        // The bounded stock is a share with its own scale: G0 and the crisis damage are
        // not rescaled by the tracker (logit G0, ln omega), b and rho are logit and log.
        p.g0 = sigmoid(z[o_g0_]);
        p.omega.array() = z.segment(o_omega_, E_).array().exp();
        p.trust_base = sigmoid(z[o_tform_]);
        // The free parameter is ln(rho ubar), ubar the mean inflow over the data (the mean
        // per-period hazard of gaining trust): the data pin the product, whereas rho alone
        // trades off against the trust channels' saturation lam and kappa (a ridge of
        // correlation -0.98 in the posterior). constrain() and log_density() divide by
        // ubar, which needs the saturated activity; here p.inflow holds rho ubar.
        p.inflow = std::exp(z[o_tform_ + 1]);
      } else {
        p.g0 = z[o_g0_] * std::exp(-log_bq);
        p.omega.array() = (z.segment(o_omega_, E_).array() - log_bq).exp();
      }
      p.gamma = std::exp(z[o_gamma_] + log_bq);
      p.theta = std::exp(z[o_theta_] + log_bq);
      if (n_tracker_obs_ > 0) {
        // The free parameter is the tracker's fitted level at the mean stock of its
        // observed periods, m_q = a_q + b_q Gm with Gm = mean_{t observed} G[t]: the data
        // pin it (it is about the mean of the tracker), whereas a_q itself moves with every
        // parameter that shifts the stock's level. a_q = m_q - b_q Gm needs the stock, so
        // constrain() and log_density() finish it; here it holds m_q.
        // (tracker_share: the same with b_q = 1, m_q = a_q + Gm the survey's level: a_q
        // alone moves with the initial share and everything that shifts the share's level.)
        p.tracker_b = tracker_share() ? 1.0 : std::exp(z[o_tracker_ + 1]);
        p.tracker_a = z[o_tracker_];
        p.tracker_sigma = std::exp(z[o_tq_sigma_]);
      }
    }
  }

 public:
  /// Log posterior density (up to a constant) at unconstrained z; writes the gradient.
  /// Uses the model's own workspace (not for concurrent calls; see the overload).
  double log_density(const Eigen::Ref<const Vector>& z, Eigen::Ref<Vector> grad) { return log_density(z, grad, ws_); }

  /// The same with caller-provided scratch buffers: const, safe to call from several
  /// threads at once with one workspace per thread.
  double log_density(const Eigen::Ref<const Vector>& z, Eigen::Ref<Vector> grad, TrustModelWorkspace& ws) const {
    check_dimension(z);
    ws.resize(periods(), C_, P_, S_);
    Matrix& A_ = ws.A;
    Matrix& dA_ = ws.dA;
    Matrix& H_ = ws.H;
    Matrix& gH_ = ws.gH;
    Vector& inflow_ = ws.inflow;
    Vector& G_ = ws.G;
    Vector& mu_ = ws.mu;
    Vector& gmu_ = ws.gmu;
    Vector& gG_ = ws.gG;
    Vector& adj_ = ws.adj;
    Vector& conv_sum_ = ws.conv_sum;
    Vector& ga_ = ws.ga;
    Vector& gkappa_ = ws.gkappa;
    Vector& hsum_ = ws.hsum;
    Vector& gbeta_ = ws.gbeta;
    grad.setZero();
    TrustModelParameters& p = ws.params;
    constrain_free_into(z, p);
    const int T = periods();
    double lp = 0.0;

    // ---- forward: channels --------------------------------------------------------
    // (sized for this model's T, C and L: one thread's workspace serves every model it
    // evaluates, e.g. TrustTarget's thread_local one across fits)
    if (n_rf_ > 0 && (ws.X.rows() != T || ws.X.cols() != C_ || ws.wl.size() != d_.max_lag + 1)) {
      ws.X.setZero(T, C_);
      ws.dX1.setZero(T, C_);
      ws.dX2.setZero(T, C_);
      ws.wl.resize(d_.max_lag + 1);
      ws.dwl.resize(d_.max_lag + 1);
      ws.gx.resize(T);
    }
    // the adstocks four channels at a time (interleaved recursions, the same bits as one by one)
    std::array<const double*, 4> xs{};
    std::array<double*, 4> as{}, das{};
    std::array<double, 4> al{};
    int n = 0;
    for (int c = 0; c < C_; ++c) {
      const bool rf = n_rf_ > 0 && rf_form(c) != RfForm::none;
      if (rf)  // RF: h = Adstock(r g(f)), linear in r g(f)
        rf_input(c, p.lam[c], p.slope[c], d_.media.col(c), ws.X.col(c), ws.dX1.col(c).data(), ws.dX2.col(c).data());
      xs[static_cast<std::size_t>(n)] = rf ? ws.X.col(c).data() : d_.media.col(c).data();
      al[static_cast<std::size_t>(n)] = p.alpha[c];
      as[static_cast<std::size_t>(n)] = A_.col(c).data();
      das[static_cast<std::size_t>(n)] = dA_.col(c).data();
      if (++n == 4) {
        transforms::geometric_adstock_recursive_batch(n, xs.data(), al.data(), d_.max_lag, T, as.data(), das.data());
        n = 0;
      }
    }
    if (n > 0) transforms::geometric_adstock_recursive_batch(n, xs.data(), al.data(), d_.max_lag, T, as.data(), das.data());
    for (int c = 0; c < C_; ++c) {
      if (n_rf_ > 0 && rf_form(c) != RfForm::none) H_.col(c) = A_.col(c);
      else saturate(A_.col(c).data(), 0.5 * p.lam[c], H_.col(c).data(), T);
    }
    // ---- forward: trust stock -----------------------------------------------------
    double gbar = 0.0;  // mean_t G[t]
    double ubar = 1.0;  // bounded form: mean_t u[t], rho = exp(z_rho) / ubar
    if (d_.trust_enabled) {
      inflow_.setZero();
      for (int i = 0; i < P_; ++i) inflow_ += p.kappa[i] * H_.col(trust_idx_[i]);
      if (bounded()) {
        ubar = inflow_.mean();
        p.inflow /= ubar;  // rho = exp(z) / ubar
        bounded_stock_recursion(p.delta, p.g0, p.trust_base, p.inflow, inflow_, p.omega, d_.shocks, G_, ws.ex.data(),
                                ws.sx.data());
      } else trust_stock_recursion(p.delta, p.g0, inflow_, p.omega, d_.shocks, G_);
      // The free intercept is the baseline level at the mean stock, b_0 + gamma Gbar_T
      // (Gbar_T = mean_t G[t]): the outcome's level pins it, whereas b_0 itself trades
      // off against gamma and every parameter that moves the stock's level.
      gbar = G_.mean();
      if (intercept_col_ >= 0) p.b[intercept_col_] = z[o_b_ + intercept_col_] - p.gamma * gbar;
    }
    // beta_j = exp(z_j) / (k_j sum_t h[j, t] f_j), f_j = amplification_at_mean() for a
    // channel without a ROI prior in a trust model (so that z_j is about the channel's
    // contribution with its amplification at the mean stock, which the data pin, rather
    // than its own part alone, which trades off against theta), else f_j = 1.
    const Amplification amp_at_mean = d_.trust_enabled ? amplification_at_mean(p.theta, gbar) : Amplification{};
    for (int j = 0; j < S_; ++j) {
      const int c = conv_idx_[static_cast<std::size_t>(j)];
      hsum_[c] = H_.col(c).sum();
      if (!(hsum_[c] > 0.0)) return -std::numeric_limits<double>::infinity();
      p.beta[j] /= contribution_scale_[j] * hsum_[c] * (roi_[static_cast<std::size_t>(j)] ? 1.0 : amp_at_mean.f);
    }
    // ---- forward: outcome ---------------------------------------------------------
    mu_.noalias() = d_.baseline * p.b;
    conv_sum_.setZero();  // sum_s beta_s h_s
    for (int j = 0; j < S_; ++j) conv_sum_ += p.beta[j] * H_.col(conv_idx_[j]);
    if (d_.trust_enabled) {
      mu_ += p.gamma * G_ + conv_sum_ + p.theta * G_.cwiseProduct(conv_sum_);
    } else {
      mu_ += conv_sum_;
    }
    // Log link: mu = exp(eta) (mu_ held eta above); an overflowing eta has no density.
    if (log_link()) {
      for (int t = 0; t < T; ++t) {
        mu_[t] = std::exp(mu_[t]);
        if (!(mu_[t] < std::numeric_limits<double>::infinity())) return -std::numeric_limits<double>::infinity();
      }
    }
    // ---- likelihood ----------------------------------------------------------------
    {
      const double ll = ar1() ? log_likelihood_ar1(mu_, p.sigma, p.ar1, gmu_, grad[o_sigma_], grad[o_ar1_])
                              : log_likelihood(mu_, p.sigma, gmu_, grad[o_sigma_]);
      if (!std::isfinite(ll)) return -std::numeric_limits<double>::infinity();
      lp += ll;
    }
    // Log link, chain rule through exp: dL/deta[t] = dL/dmu[t] mu[t]; everything below
    // reads gmu as the adjoint of the linear predictor, which is the same for both links.
    if (log_link()) gmu_.array() *= mu_.array();

    // ---- backward: outcome ---------------------------------------------------------
    grad.segment(o_b_, K_).noalias() += d_.baseline.transpose() * gmu_;
    gH_.setZero();
    if (d_.trust_enabled) {
      for (int t = 0; t < T; ++t) gG_[t] = gmu_[t] * (p.gamma + p.theta * conv_sum_[t]);
      grad[o_gamma_] += gmu_.dot(G_) * p.gamma;
      if (intercept_col_ >= 0) {
        // b_0 = level - gamma Gbar_T: dL/db_0 (likelihood and its Normal prior, which
        // log_prior_and_jacobian adds for the free level) flows to gamma and to every G[t].
        const double s0 = pr_.baseline_prior_sd(intercept_col_);
        const double gb0 = gmu_.sum() - (p.b[intercept_col_] - pr_.baseline_prior_mean(intercept_col_)) / (s0 * s0);
        grad[o_gamma_] -= gb0 * gbar * p.gamma;
        gG_.array() -= gb0 * p.gamma / T;
      }
      grad[o_theta_] += gmu_.cwiseProduct(G_).dot(conv_sum_) * p.theta;
      for (int j = 0; j < S_; ++j) {
        const int c = conv_idx_[j];
        double gb = 0.0;
        for (int t = 0; t < T; ++t) {
          const double amp = 1.0 + p.theta * G_[t];
          gb += gmu_[t] * amp * H_(t, c);
          gH_(t, c) += gmu_[t] * p.beta[j] * amp;
        }
        gbeta_[j] = gb;
      }
      if (!d_.lift_tests.empty()) lp += detail::LiftTerm::add(*this, p, ws, grad);  // calibration.hpp
      lp += beta_prior(p, gbeta_);
      // ln beta_j = z_j - ln(k_j sum_t h) - ln f (no ROI prior): d ln beta_j / d ln theta =
      // -theta d ln f / d theta and d ln beta_j / d G[t] = -(d ln f / d Gbar) / T.
      {
        double gf = 0.0;
        for (int j = 0; j < S_; ++j)
          if (!roi_[static_cast<std::size_t>(j)]) gf += gbeta_[j] * p.beta[j];
        grad[o_theta_] -= gf * amp_at_mean.dlog_dtheta * p.theta;
        gG_.array() -= gf * amp_at_mean.dlog_dgbar / T;
      }
      // tracker
      if (tracker_share()) {
        // r_t = q_t - a_q - G_t with a_q = m_q - Gm (m_q the free level, Gm the mean share
        // over the observed periods), v_t = se_t^2 + sigma_q^2 (se_t = 0 without known
        // errors), g_a = -a_q / s_a^2 (the house bias's prior):
        //   d/dm_q = sum_t r_t / v_t + g_a,  d/dG_t = r_t / v_t - (sum_s r_s / v_s + g_a) / n
        //   (t observed),  d/d ln sigma_q = sum_t (r_t^2 / v_t - 1) sigma_q^2 / v_t.
        const bool known_se = d_.tracker_se.size() != 0;
        const double s2 = p.tracker_sigma * p.tracker_sigma, sa2 = pr_.tracker_bias_sd * pr_.tracker_bias_sd;
        const double n_obs = n_tracker_obs_;
        double gm = 0.0;
        for (int t = 0; t < T; ++t)
          if (!std::isnan(d_.tracker[t])) gm += G_[t];
        gm /= n_obs;
        p.tracker_a = z[o_tracker_] - gm;
        double ga = 0.0, gsq = 0.0;
        lp += -0.5 * p.tracker_a * p.tracker_a / sa2;
        for (int t = 0; t < T; ++t) {
          if (std::isnan(d_.tracker[t])) continue;
          const double r = d_.tracker[t] - p.tracker_a - G_[t];
          const double v = known_se ? d_.tracker_se[t] * d_.tracker_se[t] + s2 : s2;
          lp += -0.5 * r * r / v - 0.5 * std::log(v);
          ga += r / v;
          gsq += (r * r / v - 1.0) * s2 / v;
          gG_[t] += r / v;
        }
        const double g_level = ga - p.tracker_a / sa2;
        for (int t = 0; t < T; ++t)
          if (!std::isnan(d_.tracker[t])) gG_[t] -= g_level / n_obs;
        grad[o_tracker_] += g_level;
        grad[o_tq_sigma_] += gsq;
      } else if (n_tracker_obs_ > 0) {
        // r_t = q_t - a_q - b_q G_t with a_q = m_q - b_q Gm (Gm: mean stock over the
        // observed periods), so r_t = q_t - m_q - b_q (G_t - Gm). With the prior
        // a_q ~ Normal(0, s_a), g_a = -a_q / s_a^2:
        //   d/dm_q = sum_t r_t / s_q^2 + g_a,  d/db_q = sum_t r_t (G_t - Gm) / s_q^2 - g_a Gm,
        //   d/dG_t = b_q r_t / s_q^2 - (b_q / n)(sum_s r_s / s_q^2 + g_a)   (t observed).
        // With known sampling errors se_t the variance is v_t = se_t^2 + sigma_q^2 (below,
        // qs2 is v_t at each t); d/d ln sigma_q of -r^2/(2 v) - ln(v)/2 is (r^2/v - 1) sigma_q^2 / v.
        const bool known_se = d_.tracker_se.size() != 0;
        const double qs2_const = p.tracker_sigma * p.tracker_sigma, n_obs = n_tracker_obs_;
        double gm = 0.0;
        for (int t = 0; t < T; ++t)
          if (!std::isnan(d_.tracker[t])) gm += G_[t];
        gm /= n_obs;
        p.tracker_a = z[o_tracker_] - p.tracker_b * gm;
        const double sa2 = pr_.tracker_a_sd * pr_.tracker_a_sd, g_a = -p.tracker_a / sa2;
        double qss = 0.0, ga = 0.0, gbq = 0.0, log_v = 0.0, gsq = 0.0;
        for (int t = 0; t < T; ++t) {
          if (std::isnan(d_.tracker[t])) continue;
          const double r = d_.tracker[t] - p.tracker_a - p.tracker_b * G_[t];
          const double qs2 = known_se ? d_.tracker_se[t] * d_.tracker_se[t] + qs2_const : qs2_const;
          if (known_se) {
            log_v += std::log(qs2);
            gsq += (r * r / qs2 - 1.0) * qs2_const / qs2;
          }
          qss += known_se ? r * r / qs2 : r * r;
          ga += r / qs2;
          gbq += r / qs2 * (G_[t] - gm);
          gG_[t] += r / qs2 * p.tracker_b;
        }
        const double shift = p.tracker_b / n_obs * (ga + g_a);
        for (int t = 0; t < T; ++t)
          if (!std::isnan(d_.tracker[t])) gG_[t] -= shift;
        if (known_se) {
          lp += -0.5 * qss - 0.5 * log_v - 0.5 * p.tracker_a * p.tracker_a / sa2;
          grad[o_tracker_ + 2] += gsq;
        } else {
          lp += -0.5 * qss / qs2_const - n_obs * std::log(p.tracker_sigma) - 0.5 * p.tracker_a * p.tracker_a / sa2;
          grad[o_tracker_ + 2] += -n_obs + qss / qs2_const;
        }
        grad[o_tracker_] += ga + g_a;
        grad[o_tracker_ + 1] += (gbq - g_a * gm) * p.tracker_b;
      }
      if (bounded()) {
        bounded_stock_adjoint(p, ws, grad);
        // ln rho = z_rho - ln ubar: the whole d/d ln rho (likelihood, lift tests and the
        // HalfNormal prior with its Jacobian, which log_prior_and_jacobian adds to z_rho)
        // flows to every u[t] with d ln rho / d u[t] = -1 / (T ubar).
        const double g_lnrho = grad[o_tform_ + 1] + priors::half_normal_on_log(p.inflow, pr_.inflow_sd).gradient;
        adj_.array() -= g_lnrho / (static_cast<double>(T) * ubar);
      } else {
        // trust recursion, reverse: lambda[t] = gG[t] + delta lambda[t+1]
        double lam_next = 0.0, gdelta = 0.0;
        for (int t = T - 1; t >= 0; --t) {
          const double lam_t = gG_[t] + p.delta * lam_next;
          adj_[t] = lam_t;
          const double prev = t > 0 ? G_[t - 1] : p.g0;
          gdelta += lam_t * (prev - inflow_[t]);
          lam_next = lam_t;
        }
        grad[o_g0_] += p.delta * adj_[0];
        grad[o_delta_] += gdelta * p.delta * (1.0 - p.delta);
        for (int e = 0; e < E_; ++e) grad[o_omega_ + e] += -adj_.dot(d_.shocks.col(e)) * p.omega[e];
      }
      // kappa = softmax(u), u = V z: dL/du_i = kappa_i (g_i - sum_k kappa_k g_k), dL/dz = V' dL/du.
      // adj holds dL/du[t] / (1 - delta) (linear form) or dL/du[t] (bounded form).
      const double uf = bounded() ? 1.0 : 1.0 - p.delta;
      for (int i = 0; i < P_; ++i) {
        const int c = trust_idx_[i];
        gkappa_[i] = uf * adj_.dot(H_.col(c));
        gH_.col(c) += uf * p.kappa[i] * adj_;
      }
      const double kg = p.kappa.dot(gkappa_);
      gkappa_ = p.kappa.cwiseProduct(gkappa_.array().matrix() - Vector::Constant(P_, kg));
      grad.segment(o_kappa_, P_ - 1).noalias() += helmert_.transpose() * gkappa_;
    } else {
      for (int j = 0; j < S_; ++j) {
        const int c = conv_idx_[j];
        gbeta_[j] = gmu_.dot(H_.col(c));
        gH_.col(c) += p.beta[j] * gmu_;
      }
      if (!d_.lift_tests.empty()) lp += detail::LiftTerm::add(*this, p, ws, grad);  // calibration.hpp
      lp += beta_prior(p, gbeta_);
    }
    // The chain rule through beta_j = exp(z_j) / (k_j sum_t h[j, t] f_j) (gbeta holds
    // dL/dbeta_j with the prior): d beta_j / d z_j = beta_j, d beta_j / d h[j, t] =
    // -beta_j / sum_t h[j, t] (the f_j terms went to theta and G above).
    for (int j = 0; j < S_; ++j) {
      const double b = p.beta[j];
      grad[o_beta_ + j] += gbeta_[j] * b;
      gH_.col(conv_idx_[j]).array() -= gbeta_[j] * b / hsum_[conv_idx_[j]];
    }
    // ---- backward: channels ----------------------------------------------------------
    for (int c = 0; c < C_; ++c) {
      if (n_rf_ > 0 && rf_form(c) != RfForm::none) {
        // h = a = sum_l w_l x[t - l]: dL/dalpha = sum_t gH[t] da[t]/dalpha, and the input's
        // adjoint gx[s] = sum_l w_l gH[s + l] carries to ln lam (ln ec) and ln slope.
        grad[o_alpha_ + c] += gH_.col(c).dot(dA_.col(c)) * p.alpha[c] * (1.0 - p.alpha[c]);
        geometric_weights_into(p.alpha[c], ws.wl, ws.dwl);
        const int L1 = d_.max_lag + 1;
        for (int s = 0; s < T; ++s) {
          double acc = 0.0;
          const int lmax = std::min(L1, T - s);
          for (int l = 0; l < lmax; ++l) acc += ws.wl[l] * gH_(s + l, c);
          ws.gx[s] = acc;
        }
        grad[o_lam_ + c] += ws.gx.dot(ws.dX1.col(c));
        if (rf_form(c) == RfForm::hill)
          grad[o_slope_ + rf_slope_pos_[static_cast<std::size_t>(c)]] += ws.gx.dot(ws.dX2.col(c));
        continue;
      }
      const double glam = transforms::detail::simd::logistic_series_adjoint(
          A_.col(c).data(), H_.col(c).data(), gH_.col(c).data(), 0.5 * p.lam[c], ga_.data(), T);
      grad[o_lam_ + c] += glam * p.lam[c];
      const double galpha = ga_.dot(dA_.col(c));  // dL/dalpha = sum_t dL/da[t] da[t]/dalpha
      grad[o_alpha_ + c] += galpha * p.alpha[c] * (1.0 - p.alpha[c]);
    }
    lp += log_prior_and_jacobian(z, p, grad);
    // With a tracker (z_bq = ln b_q): ln omega_e = z_omega_e - z_bq, ln gamma = z_gamma +
    // z_bq, ln theta = z_theta + z_bq (shears: dL/dz_bq collects -dL/d ln omega_e,
    // dL/d ln gamma and dL/d ln theta), and g0 = z_g0 / b_q, a rescaling with the
    // log-Jacobian ln |d g0 / d z_g0| = -z_bq: dL/dz_g0 = dL/dg0 / b_q and dL/dz_bq gains
    // -g0 dL/dg0 - 1.
    if (tracker_share()) {
      // no shear: b_q = 1 is fixed
    } else if (d_.trust_enabled && n_tracker_obs_ > 0 && bounded()) {
      grad[o_tracker_ + 1] += grad[o_gamma_] + grad[o_theta_];  // only the gamma and theta shears
    } else if (d_.trust_enabled && n_tracker_obs_ > 0) {
      const int ob = o_tracker_ + 1;
      for (int e = 0; e < E_; ++e) grad[ob] -= grad[o_omega_ + e];
      grad[ob] += grad[o_gamma_] + grad[o_theta_];
      const double g_g0 = grad[o_g0_];
      grad[o_g0_] = g_g0 / p.tracker_b;
      grad[ob] += -p.g0 * g_g0 - 1.0;
      lp -= z[ob];
    }
    return lp;
  }

  /// Forward pass with the additive decomposition (MODEL.md section 4):
  /// mu = base + trust_direct + sum_s conversion_own_s + sum_s amplification_s, and the
  /// trust stock split G = sum_p G^(p) + G^(shock) + G^(initial) exactly.
  [[nodiscard]] TrustModelForward forward(const Eigen::Ref<const Vector>& z) const {
    return forward_on(z, d_.media, d_.baseline, d_.shocks);
  }

  /// Forward pass on other media (same shape): counterfactuals such as "PR stops".
  [[nodiscard]] TrustModelForward forward_with_media(const Eigen::Ref<const Vector>& z, const Matrix& media) const {
    if (media.rows() != d_.media.rows() || media.cols() != d_.media.cols())
      fail("media must be ", d_.media.rows(), " x ", d_.media.cols(), ", got ", media.rows(), " x ", media.cols());
    return forward_on(z, media, d_.baseline, d_.shocks);
  }

  /// Forward pass on any horizon T': media (T' x C), baseline design (T' x K) and shocks
  /// (T' x E, or 0 columns for none). Used to extend a fit past the data (with zero media
  /// after the end) so that long-term effects carried by the trust stock are counted.
  [[nodiscard]] TrustModelForward forward_on(const Eigen::Ref<const Vector>& z, const Matrix& media, const Matrix& baseline,
                                             const Matrix& shocks_in) const {
    check_dimension(z);
    const auto Tn = media.rows();
    if (media.cols() != C_) fail("media must have ", C_, " columns, got ", media.cols());
    if (baseline.rows() != Tn || baseline.cols() != K_)
      fail("baseline must be ", Tn, " x ", K_, ", got ", baseline.rows(), " x ", baseline.cols());
    const Matrix shocks = shocks_in.cols() == 0 ? Matrix::Zero(Tn, E_) : shocks_in;
    if (shocks.rows() != Tn || shocks.cols() != E_)
      fail("shocks must be ", Tn, " x ", E_, ", got ", shocks.rows(), " x ", shocks.cols());
    const TrustModelParameters p = constrain(z);
    const int T = static_cast<int>(Tn);
    TrustModelForward f;
    f.adstock.resize(T, C_);
    f.saturated.resize(T, C_);
    Matrix w(d_.max_lag + 1, C_), dw(d_.max_lag + 1, C_);
    for (int c = 0; c < C_; ++c) {
      geometric_weights_into(p.alpha[c], w.col(c), dw.col(c));
      if (rf_form(c) != RfForm::none) {  // RF: h = Adstock(r g(f)); "adstock" holds it too
        Vector x(T);
        rf_input(c, p.lam[c], p.slope[c], media.col(c), x);
        convolve(x, w.col(c), f.adstock.col(c));
        f.saturated.col(c) = f.adstock.col(c);
        continue;
      }
      convolve(media.col(c), w.col(c), f.adstock.col(c));
      saturate(f.adstock.col(c).data(), 0.5 * p.lam[c], f.saturated.col(c).data(), T);
    }
    f.inflow = Vector::Zero(T);
    f.trust_stock = Vector::Zero(T);
    f.trust_by_channel = Matrix::Zero(T, P_);
    f.trust_from_shocks = Vector::Zero(T);
    f.trust_from_initial = Vector::Zero(T);
    if (bounded()) {
      bounded_split(p, f.saturated, shocks, f);
    } else if (d_.trust_enabled) {
      // The recursion is linear: each part is the recursion with one input and the others
      // zero (no shock columns, zero inflow, or G[-1] = 0).
      const auto no_shocks = shocks.leftCols(0);
      const auto no_inflow = Vector::Zero(T);
      for (int i = 0; i < P_; ++i) {
        trust_stock_recursion(p.delta, 0.0, p.kappa[i] * f.saturated.col(trust_idx_[i]), p.omega, no_shocks,
                              f.trust_by_channel.col(i));
        f.inflow += p.kappa[i] * f.saturated.col(trust_idx_[i]);
      }
      trust_stock_recursion(p.delta, 0.0, no_inflow, p.omega, shocks, f.trust_from_shocks);
      trust_stock_recursion(p.delta, p.g0, no_inflow, p.omega, no_shocks, f.trust_from_initial);
      f.trust_stock = f.trust_by_channel.rowwise().sum() + f.trust_from_shocks + f.trust_from_initial;
    }
    f.base = baseline * p.b;
    f.trust_direct = p.gamma * f.trust_stock;
    f.conversion_own.resize(T, S_);
    f.amplification.resize(T, S_);
    for (int j = 0; j < S_; ++j) {
      f.conversion_own.col(j) = p.beta[j] * f.saturated.col(conv_idx_[j]);
      f.amplification.col(j) = p.theta * f.trust_stock.cwiseProduct(f.conversion_own.col(j));
    }
    f.mu = f.base + f.trust_direct + f.conversion_own.rowwise().sum() + f.amplification.rowwise().sum();
    f.eta = f.mu;
    if (log_link()) allocate_log_link(f);
    return f;
  }

  /// Log link: mu = exp(eta) is no sum of the parts of eta, so the parts are allocated.
  /// With eta = base + d, d = trust_direct + sum_s (own_s + amplification_s) the media and
  /// trust terms on the log scale, the baseline's part is exp(base) (mu with no trust
  /// and no media) and each term x of d receives x r of the rest, mu - exp(base) =
  /// exp(base) (exp(d) - 1), with r = exp(base) (exp(d) - 1) / d (exp(base) where d = 0):
  /// its share of the log-scale contribution. So base + the parts = mu exactly (up to
  /// rounding) in every period, a term's sign is kept, and for small d each part tends to
  /// its first-order effect exp(base) x. It is an allocation (one of many that add up, as
  /// any split of a product is), not a unique split; counterfactuals (roi(), response
  /// curves) are exact differences of forward passes and do not depend on it.
  static void allocate_log_link(TrustModelForward& f) {
    const auto T = f.mu.size();
    for (Eigen::Index t = 0; t < T; ++t) {
      const double eb = std::exp(f.base[t]), d = f.eta[t] - f.base[t];
      const double r = d != 0.0 ? eb * std::expm1(d) / d : eb;
      f.mu[t] = std::exp(f.eta[t]);
      f.base[t] = eb;
      f.trust_direct[t] *= r;
      f.conversion_own.row(t) *= r;
      f.amplification.row(t) *= r;
    }
  }

  /// A starting point: prior-typical transforms, half-life at the prior median, the
  /// baseline by least squares, sigma at the outcome's standard deviation. For the
  /// lognormal and negative binomial likelihoods the start is inside their support (mu > 0
  /// at every period; start_inside_support()).
  [[nodiscard]] Vector initial_point() const {
    Vector z = Vector::Zero(n_);
    for (int c = 0; c < C_; ++c) {
      z[o_alpha_ + c] = std::log(0.3 / 0.7);
      z[o_lam_ + c] = std::log(1.5);
      if (rf_form(c) == RfForm::hill) {  // RF: the prior medians of ec and the slope
        z[o_lam_ + c] = pr_.rf_ec_log_mean;
        z[o_slope_ + rf_slope_pos_[static_cast<std::size_t>(c)]] = pr_.rf_slope_log_mean;
      } else if (rf_form(c) == RfForm::exposure) {
        z[o_lam_ + c] = std::log(std::max(pr_.rf_rate_shape - 1.0, 0.5) / pr_.rf_rate_rate);  // the Gamma's mode
      }
    }
    for (int j = 0; j < S_; ++j) {  // beta_j = 0.1 at the initial alpha and lam, or the ROI prior's median
      const int cj = conv_idx_[static_cast<std::size_t>(j)];
      const double hs = rf_form(cj) == RfForm::none ? saturated_sum(cj, 0.3, 1.5)
                                                    : saturated_sum(cj, 0.3, std::exp(z[o_lam_ + cj]));
      z[o_beta_ + j] = roi_[static_cast<std::size_t>(j)] ? pr_.roi_log_median[j]
                                                         : std::log(0.1 * contribution_scale_[j] * hs);
    }
    const double ysc = d_.likelihood == Likelihood::negative_binomial ? d_.outcome_scale : 1.0;
    const Vector y = d_.y / ysc;  // the outcome in model units
    if (K_ > 0 && log_link()) {
      // Log link: the baseline by least squares on ln y, the outcome floored at 5% of its
      // mean absolute value (a normal or negative binomial outcome may be <= 0), so the
      // intercept starts near ln(mean y) and mu = exp(eta) is inside every support.
      const double floor = 0.05 * std::max(y.cwiseAbs().mean(), 1e-12);
      const Vector log_y = y.array().max(floor).log().matrix();
      z.segment(o_b_, K_) = d_.baseline.colPivHouseholderQr().solve(log_y);
    } else if (K_ > 0) {
      z.segment(o_b_, K_) = d_.baseline.colPivHouseholderQr().solve(y);
    }
    const double sd = std::sqrt((y.array() - y.mean()).square().mean());
    switch (d_.likelihood) {
      case Likelihood::normal: z[o_sigma_] = std::log(std::max(sd, 1e-3)); break;
      case Likelihood::lognormal: z[o_sigma_] = std::log(std::clamp(sd / std::max(y.mean(), 1e-12), 0.05, 2.0)); break;
      case Likelihood::negative_binomial: z[o_sigma_] = std::numbers::ln10; break;
    }
    if (d_.trust_enabled) {
      const double delta = std::pow(0.5, 1.0 / pr_.half_life_median);
      z[o_delta_] = std::log(delta / (1.0 - delta));
      z[o_g0_] = pr_.g0_mean;
      z.segment(o_omega_, E_).setConstant(std::log(0.1));
      if (bounded()) {  // G0 = b at the prior median share; rho = (1 - delta): inflow comparable to the decay
        z[o_g0_] = pr_.trust_base_logit_mean;
        z[o_tform_] = pr_.trust_base_logit_mean;
        z[o_tform_ + 1] = std::log(1.0 - delta);
      }
      z[o_gamma_] = std::log(0.1);
      z[o_theta_] = std::log(0.1);
      if (n_tracker_obs_ > 0) {
        double qm = 0.0;  // the tracker's level: its mean over the observed periods
        for (const double q : d_.tracker)
          if (!std::isnan(q)) qm += q;
        z[o_tracker_] = qm / n_tracker_obs_;
        z[o_tracker_ + 1] = 0.0;
        z[o_tracker_ + 2] = 0.0;
        if (tracker_share()) {
          // The share starts at the survey's mean level (G0 = b = that share, clamped to
          // [0.02, 0.98]), no house bias, sigma_q at a tenth of its prior scale.
          const double share = std::clamp(qm / n_tracker_obs_, 0.02, 0.98), lg = std::log(share / (1.0 - share));
          z[o_g0_] = lg;
          z[o_tform_] = lg;
          z[o_tq_sigma_] = std::log(0.1 * pr_.tracker_share_sigma_sd);  // (the level: the survey's mean, above)
        }
      }
      if (bounded())  // rho = 1 - delta at the initial channels: the free ln(rho ubar)
        z[o_tform_ + 1] = std::log(1.0 - delta) + std::log(mean_trust_inflow(constrain_free(z)));
    }
    if (d_.likelihood != Likelihood::normal && K_ > 0 && !log_link()) start_inside_support(z, y);  // log link: mu > 0 always
    return z;
  }

 private:
  /// The least-squares baseline (trend, seasonality, controls) can dip below zero where a
  /// low outcome sits next to a large peak, and then mu <= 0 there: the lognormal and
  /// negative binomial have no density at such a start. mu is linear in the baseline's
  /// free parameters, so this moves them along the line from the least-squares values to
  /// those of a flat baseline at the outcome's mean, b(s) = s b_ls + (1 - s) b_flat, by the
  /// least amount (largest s) that keeps mu >= a floor at every period: half the smallest
  /// outcome (lognormal) or 5% of the mean outcome (negative binomial). y: the outcome in
  /// model units.
  void start_inside_support(Vector& z, const Vector& y) const {
    const double ybar = y.mean();
    const double lowest = d_.likelihood == Likelihood::lognormal ? 0.5 * y.minCoeff() : 0.05 * std::max(ybar, 1e-12);
    const Vector b_ls = z.segment(o_b_, K_);
    const Vector mu_ls = forward(z).mu;
    if (mu_ls.minCoeff() >= lowest) return;
    const Vector b_flat = d_.baseline.colPivHouseholderQr().solve(Vector::Constant(y.size(), ybar));
    z.segment(o_b_, K_) = b_flat;
    const Vector mu_flat = forward(z).mu;
    double s = 1.0;
    for (Eigen::Index t = 0; t < mu_ls.size(); ++t)
      if (mu_ls[t] < lowest) s = mu_flat[t] > lowest ? std::min(s, (mu_flat[t] - lowest) / (mu_flat[t] - mu_ls[t])) : 0.0;
    z.segment(o_b_, K_) = s * b_ls + (1.0 - s) * b_flat;
  }

 public:

 private:
  struct Amplification {
    double f = 1.0, dlog_dtheta = 0.0, dlog_dgbar = 0.0;
  };
  /// f = 1 + theta s(Gbar), the conversion channels' amplification at the mean stock, with
  /// s(g) = ln(1 + e^(20 g)) / 20 a smooth positive version of g (within 0.001 of g for
  /// g >= 0.2, s(0) = 0.035), so that f > 0 for any stock; and the
  /// derivatives of ln f with respect to theta and Gbar.
  static Amplification amplification_at_mean(double theta, double gbar) {
    constexpr double k = 20.0;
    const double kg = k * gbar;
    const double s = (kg > 0.0 ? gbar + std::log1p(std::exp(-kg)) / k : std::log1p(std::exp(kg)) / k);
    const double ds = kg > 0.0 ? 1.0 / (1.0 + std::exp(-kg)) : std::exp(kg) / (1.0 + std::exp(kg));
    const double f = 1.0 + theta * s;
    return {f, s / f, theta * ds / f};
  }

  /// Prior of beta for the channels without a ROI prior: HalfNormal(beta_sd) and the
  /// log-Jacobian ln beta of z -> beta. Adds d/d beta_j to gbeta and returns the log term.
  double beta_prior(const TrustModelParameters& p, Vector& gbeta) const {
    double lp = 0.0;
    const double v = pr_.beta_sd * pr_.beta_sd;
    for (int j = 0; j < S_; ++j) {
      if (roi_[static_cast<std::size_t>(j)]) continue;
      const double b = p.beta[j];
      lp += -0.5 * b * b / v + std::log(b);
      gbeta[j] += -b / v + 1.0 / b;
    }
    return lp;
  }

  /// Log likelihood of y given mu (normalising constants included); writes d/d mu[t] into
  /// gmu and adds the derivative with respect to the unconstrained noise parameter
  /// (ln sigma, or ln phi) to gnoise. -infinity where mu is outside the likelihood's
  /// support (mu <= 0 for the lognormal and negative binomial).
  double log_likelihood(const Vector& mu, double noise, Vector& gmu, double& gnoise) const {
    const int T = periods();
    constexpr double minus_inf = -std::numeric_limits<double>::infinity();
    if (!(noise > 0.0) || !std::isfinite(noise)) return minus_inf;
    switch (d_.likelihood) {
      case Likelihood::normal: {
        const double s2 = noise * noise;
        double ss = 0.0;
        for (int t = 0; t < T; ++t) {
          const double r = d_.y[t] - mu[t];
          ss += r * r;
          gmu[t] = r / s2;
        }
        gnoise += -T + ss / s2;
        return -0.5 * ss / s2 - T * std::log(noise) - 0.5 * T * std::log(2.0 * std::numbers::pi);
      }
      case Likelihood::lognormal: {
        // ln y ~ Normal(ln mu - s^2/2, s): r = ln y - ln mu + s^2/2, dr/ds = s.
        const double s2 = noise * noise;
        double ss = 0.0, sr = 0.0;
        for (int t = 0; t < T; ++t) {
          if (!(mu[t] > 0.0)) return minus_inf;
          const double r = log_y_[t] - std::log(mu[t]) + 0.5 * s2;
          ss += r * r;
          sr += r;
          gmu[t] = r / (s2 * mu[t]);
        }
        gnoise += ss / s2 - sr - T;  // d/d ln s of -ss/(2 s^2) - T ln s
        return -0.5 * ss / s2 - T * std::log(noise) - sum_log_y_ - 0.5 * T * std::log(2.0 * std::numbers::pi);
      }
      case Likelihood::negative_binomial: {
        const double phi = noise, sc = d_.outcome_scale, lgphi = boost::math::lgamma(phi), dgphi = boost::math::digamma(phi);
        const double lphi = std::log(phi);
        double ll = 0.0, gphi = 0.0;
        for (int t = 0; t < T; ++t) {
          const double m = sc * mu[t];
          if (!(m > 0.0) || !std::isfinite(m)) return minus_inf;
          const double y = d_.y[t], lpm = std::log(phi + m);
          ll += boost::math::lgamma(y + phi) - lgphi + phi * (lphi - lpm) + y * (std::log(m) - lpm);
          gmu[t] = sc * (y / m - (y + phi) / (phi + m));
          gphi += boost::math::digamma(y + phi) - dgphi + lphi + 1.0 - lpm - (y + phi) / (phi + m);
        }
        gnoise += gphi * phi;
        return ll - sum_lgamma_y1_;
      }
    }
    return minus_inf;
  }

  /// The exact AR(1) log likelihood of the residuals (top of this file; normalising
  /// constants included), normal or lognormal: e[t] = y[t] - mu[t] or ln y[t] - ln mu[t] +
  /// sigma^2 / (2 q), q = 1 - phi^2 (so that E y = mu under the stationary variance
  /// sigma^2 / q), u[0] = sqrt(q) e[0], u[t] = e[t] - phi e[t-1],
  ///   ll = -sum_t u[t]^2 / (2 sigma^2) - T ln sigma + ln(q) / 2 - T ln(2 pi) / 2 (- sum ln y).
  /// Reverse mode: with v[t] = dll/de[t] = -(c[t] u[t] - phi u[t+1]) / sigma^2 (c[0] = sqrt q,
  /// else 1; u[T] = 0), gmu[t] = -v[t] (normal) or -v[t] / mu[t] (lognormal);
  /// dll/d ln sigma = sum u^2 / sigma^2 - T (+ sum v sigma^2 / q, lognormal);
  /// dll/d phi = -phi / q + phi e[0]^2 / sigma^2 + sum_{t>=1} u[t] e[t-1] / sigma^2
  /// (+ sum v sigma^2 phi / q^2, lognormal), added to gphi times dphi/d atanh phi = q.
  /// gmu holds e[t] on the way (no extra buffer). -infinity outside the support.
  double log_likelihood_ar1(const Vector& mu, double sigma, double phi, Vector& gmu, double& gsigma, double& gphi) const {
    const int T = periods();
    constexpr double minus_inf = -std::numeric_limits<double>::infinity();
    if (!(sigma > 0.0) || !std::isfinite(sigma) || !(std::abs(phi) < 1.0)) return minus_inf;
    const bool logn = d_.likelihood == Likelihood::lognormal;
    const double s2 = sigma * sigma, q = (1.0 - phi) * (1.0 + phi), rq = std::sqrt(q);
    const double off = logn ? 0.5 * s2 / q : 0.0;
    for (int t = 0; t < T; ++t) {
      if (logn) {
        if (!(mu[t] > 0.0)) return minus_inf;
        gmu[t] = log_y_[t] - std::log(mu[t]) + off;
      } else {
        gmu[t] = d_.y[t] - mu[t];
      }
    }
    const double e0 = gmu[0];
    double u_prev = rq * e0, e_prev = e0, ss = u_prev * u_prev, cross = 0.0, sv = 0.0;
    auto finish = [&](int t, double v) {  // v = dll/de[t]: gmu[t] = dll/dmu[t]
      sv += v;
      gmu[t] = logn ? -v / mu[t] : -v;
    };
    for (int t = 1; t < T; ++t) {
      const double e = gmu[t], u = e - phi * e_prev;
      ss += u * u;
      cross += u * e_prev;
      finish(t - 1, -((t == 1 ? rq : 1.0) * u_prev - phi * u) / s2);
      u_prev = u;
      e_prev = e;
    }
    finish(T - 1, -(T == 1 ? rq : 1.0) * u_prev / s2);
    gsigma += ss / s2 - T + (logn ? sv * s2 / q : 0.0);
    const double dphi = -phi / q + phi * e0 * e0 / s2 + cross / s2 + (logn ? sv * s2 * phi / (q * q) : 0.0);
    gphi += dphi * q;
    return -0.5 * ss / s2 - T * std::log(sigma) + 0.5 * std::log(q) - 0.5 * T * std::log(2.0 * std::numbers::pi) -
           (logn ? sum_log_y_ : 0.0);
  }

  /// h[t] = tanh(half a[t]) for t < n: the shared logistic kernel of transforms/simd.hpp
  /// (the name analyses.hpp calls).
  static void saturate(const double* a, double half, double* h, int n) {
    transforms::detail::simd::logistic_series(a, half, h, n);
  }

  static double sigmoid(double v) { return v >= 0 ? 1.0 / (1.0 + std::exp(-v)) : std::exp(v) / (1.0 + std::exp(v)); }

  void check_dimension(const Eigen::Ref<const Vector>& z) const {
    if (z.size() != n_) fail("parameter vector has ", z.size(), " values, the model has ", n_);
  }

  void validate() {
    const auto T = d_.y.size();
    if (T < 2) fail("the outcome needs at least 2 periods, got ", T);
    if (!d_.y.allFinite()) fail("the outcome y must be finite (no NaN)");
    if (d_.media.rows() != T) fail("media has ", d_.media.rows(), " rows, the outcome has ", T);
    if (d_.baseline.rows() != T) fail("baseline design has ", d_.baseline.rows(), " rows, the outcome has ", T);
    pr_.check_baseline_priors(d_.baseline.cols());
    if (d_.shocks.cols() > 0 && d_.shocks.rows() != T) fail("shocks have ", d_.shocks.rows(), " rows, the outcome has ", T);
    if (d_.shocks.cols() == 0) d_.shocks.resize(T, 0);
    if (d_.tracker.size() != 0 && d_.tracker.size() != T)
      fail("tracker has ", d_.tracker.size(), " values, the outcome has ", T);
    if (d_.tracker_se.size() != 0) {
      if (d_.tracker_se.size() != d_.tracker.size())
        fail("tracker_se has ", d_.tracker_se.size(), " values, the tracker has ", d_.tracker.size());
      for (Eigen::Index t = 0; t < T; ++t)
        if (!std::isnan(d_.tracker[t]) && !(d_.tracker_se[t] >= 0.0 && std::isfinite(d_.tracker_se[t])))
          fail("tracker_se: row ", t, " is ", d_.tracker_se[t], "; a known standard error must be finite and >= 0");
    }
    if (d_.tracker_share) {
      if (!d_.trust_enabled || d_.trust_form != TrustForm::bounded)
        fail("tracker_share: a tracker that measures the share needs the bounded trust form (trust_form = bounded)");
      if (d_.tracker.size() == 0) fail("tracker_share needs a tracker (the survey share of trusting people)");
      for (Eigen::Index t = 0; t < T; ++t)
        if (!std::isnan(d_.tracker[t]) && !(d_.tracker[t] >= 0.0 && d_.tracker[t] <= 1.0))
          fail("tracker: row ", t, " is ", d_.tracker[t], "; a tracker that measures the share must be in [0, 1]");
    }
    const auto C = d_.media.cols();
    if (static_cast<Eigen::Index>(d_.trust.size()) != C || static_cast<Eigen::Index>(d_.conversion.size()) != C)
      fail("trust and conversion flags need one value per media column (", C, ")");
    for (Eigen::Index c = 0; c < C; ++c)
      for (Eigen::Index t = 0; t < T; ++t)
        if (!(d_.media(t, c) >= 0.0) || !std::isfinite(d_.media(t, c)))
          fail("media must be finite and >= 0: row ", t, ", column ", c, " is ", d_.media(t, c));
    if (d_.max_lag < 0) fail("max_lag must be >= 0, got ", d_.max_lag);
    if (!d_.baseline.allFinite()) fail("the baseline design must be finite");
    if ((d_.shocks.array() < 0.0).any() || !d_.shocks.allFinite()) fail("shocks must be finite and >= 0");
    if (d_.noise == Noise::ar1 && d_.likelihood == Likelihood::negative_binomial)
      fail(
          "noise = ar1 (AR(1) residuals) works with the normal and lognormal likelihoods, not with the negative binomial: "
          "its counts have no additive residual to correlate (use likelihood = lognormal for AR(1) noise on a count "
          "outcome, or noise = iid)");
    switch (d_.likelihood) {
      case Likelihood::normal: break;
      case Likelihood::lognormal:
        log_y_.resize(T);
        for (Eigen::Index t = 0; t < T; ++t) {
          if (!(d_.y[t] > 0.0)) fail("the lognormal likelihood needs an outcome > 0: row ", t, " is ", d_.y[t]);
          log_y_[t] = std::log(d_.y[t]);
        }
        sum_log_y_ = log_y_.sum();
        break;
      case Likelihood::negative_binomial:
        if (!(d_.outcome_scale > 0.0) || !std::isfinite(d_.outcome_scale))
          fail("outcome_scale must be finite and > 0, got ", d_.outcome_scale);
        for (Eigen::Index t = 0; t < T; ++t) {
          if (!(d_.y[t] >= 0.0) || d_.y[t] != std::floor(d_.y[t]))
            fail("the negative binomial likelihood needs counts (integers >= 0): row ", t, " is ", d_.y[t]);
          sum_lgamma_y1_ += boost::math::lgamma(d_.y[t] + 1.0);
        }
        break;
      default: fail("unknown likelihood");
    }
    if (d_.link != Link::identity && d_.link != Link::log) fail("unknown link");
    if (d_.link == Link::log && pr_.roi_log_median.size() != 0 && pr_.roi_log_median.array().isFinite().any())
      fail(
          "ROI priors are not supported with link = log: beta_s sum_t h_s is then a log-scale lift, not the "
          "channel's outcome, so it cannot be tied to a ROI; state the prior on beta (beta_sd) or use link = identity");
    {
      std::vector<bool> rf_columns(static_cast<std::size_t>(d_.media.cols()), false);
      for (std::size_t c = 0; c < d_.rf.size() && c < rf_columns.size(); ++c) rf_columns[c] = d_.rf[c] != RfForm::none;
      check_lift_tests(d_.lift_tests, d_.media, rf_columns);
    }
  }

  void layout() {
    C_ = static_cast<int>(d_.media.cols());
    K_ = static_cast<int>(d_.baseline.cols());
    E_ = d_.trust_enabled ? static_cast<int>(d_.shocks.cols()) : 0;
    if (!d_.trust_enabled) d_.shocks.resize(d_.y.size(), 0);  // shocks act on the trust stock only
    for (int c = 0; c < C_; ++c) {
      if (d_.trust[static_cast<std::size_t>(c)] && d_.trust_enabled) trust_idx_.push_back(c);
      if (d_.conversion[static_cast<std::size_t>(c)]) conv_idx_.push_back(c);
    }
    P_ = static_cast<int>(trust_idx_.size());
    S_ = static_cast<int>(conv_idx_.size());
    if (d_.trust_enabled && P_ == 0) fail("the trust stock needs at least one trust channel (or trust_enabled = false)");
    roi_.assign(static_cast<std::size_t>(S_), false);
    n_roi_ = 0;
    if (pr_.roi_log_median.size() != 0) {
      if (pr_.roi_log_median.size() != S_ || pr_.roi_sd_log.size() != S_ || pr_.roi_scale.size() != S_)
        fail("ROI priors need one roi_log_median, roi_sd_log and roi_scale per conversion channel (", S_, "), got ",
             pr_.roi_log_median.size(), ", ", pr_.roi_sd_log.size(), " and ", pr_.roi_scale.size());
      for (int j = 0; j < S_; ++j) {
        if (std::isnan(pr_.roi_log_median[j])) continue;
        if (!std::isfinite(pr_.roi_log_median[j])) fail("roi_log_median[", j, "] must be finite or NaN (no ROI prior)");
        if (!(pr_.roi_sd_log[j] > 0.0) || !std::isfinite(pr_.roi_sd_log[j]))
          fail("roi_sd_log[", j, "] must be finite and > 0, got ", pr_.roi_sd_log[j]);
        if (!(pr_.roi_scale[j] > 0.0) || !std::isfinite(pr_.roi_scale[j]))
          fail("roi_scale[", j, "] must be finite and > 0, got ", pr_.roi_scale[j]);
        roi_[static_cast<std::size_t>(j)] = true;
        ++n_roi_;
      }
    }
    contribution_scale_ = Vector::Constant(S_, 1.0 / static_cast<double>(d_.y.size()));
    for (int j = 0; j < S_; ++j) {
      if (roi_[static_cast<std::size_t>(j)]) contribution_scale_[j] = pr_.roi_scale[j];
      if (!(d_.media.col(conv_idx_[static_cast<std::size_t>(j)]).array() > 0.0).any())
        fail("conversion channel (media column ", conv_idx_[static_cast<std::size_t>(j)],
             ") is all zeros: nothing to estimate");
    }
    intercept_col_ = -1;
    if (d_.trust_enabled)
      for (int k = 0; k < K_ && intercept_col_ < 0; ++k)
        if ((d_.baseline.col(k).array() == 1.0).all()) intercept_col_ = k;
    n_tracker_obs_ = 0;
    if (d_.trust_enabled)
      for (const double q : d_.tracker) n_tracker_obs_ += std::isnan(q) ? 0 : 1;
    auto add = [&](int& offset, int count, const std::string& base, const std::vector<std::string>& labels) {
      offset = n_;
      for (int i = 0; i < count; ++i)
        names_.push_back(labels.empty() ? base : base + "[" + labels[static_cast<std::size_t>(i)] + "]");
      n_ += count;
    };
    std::vector<std::string> ch, cv, kb, ev;
    for (int c = 0; c < C_; ++c) ch.push_back(std::to_string(c));
    for (int j : conv_idx_) cv.push_back(std::to_string(j));
    for (int k = 0; k < K_; ++k) kb.push_back(std::to_string(k));
    for (int e = 0; e < E_; ++e) ev.push_back(std::to_string(e));
    add(o_alpha_, C_, "logit_alpha", ch);
    add(o_lam_, C_, "log_lam", ch);
    add(o_beta_, S_, "log_mean_contribution", cv);
    const auto o_beta = static_cast<std::size_t>(o_beta_);  // the S_ = cv.size() = roi_.size() effects
    for (std::size_t j = 0; j < cv.size(); ++j)
      if (roi_[j]) names_[o_beta + j] = "log_roi[" + cv[j] + "]";
      else if (d_.trust_enabled) names_[o_beta + j] = "log_mean_total_contribution[" + cv[j] + "]";
    add(o_b_, K_, "b", kb);
    if (intercept_col_ >= 0)
      names_[static_cast<std::size_t>(o_b_) + static_cast<std::size_t>(intercept_col_)] = "intercept_level";
    add(o_sigma_, 1, d_.likelihood == Likelihood::negative_binomial ? "log_phi" : "log_sigma", {});
    if (d_.trust_enabled) {
      std::vector<std::string> ilr;
      for (int k = 0; k + 1 < P_; ++k) ilr.push_back(std::to_string(k));
      add(o_kappa_, P_ - 1, "ilr_kappa", ilr);
      helmert_ = Matrix::Zero(P_, std::max(P_ - 1, 0));
      for (int k = 0; k + 1 < P_; ++k) {
        const double n = std::sqrt((k + 1.0) * (k + 2.0));
        for (int i = 0; i <= k; ++i) helmert_(i, k) = 1.0 / n;
        helmert_(k + 1, k) = -(k + 1.0) / n;
      }
      add(o_delta_, 1, "logit_delta", {});
      const bool bf = d_.trust_form == TrustForm::bounded;
      // tracker scale parametrisation (constrain_free_into); none with a share tracker (b_q = 1)
      const bool tq = n_tracker_obs_ > 0 && !(bf && d_.tracker_share);
      add(o_g0_, 1, bf ? "logit_initial_share" : tq ? "tracker_initial_stock" : "g0", {});
      add(o_omega_, E_, (tq && !bf) ? "log_tracker_damage" : "log_omega", ev);
      add(o_gamma_, 1, tq ? "log_gamma_per_tracker" : "log_gamma", {});
      add(o_theta_, 1, tq ? "log_theta_per_tracker" : "log_theta", {});
      if (n_tracker_obs_ > 0 && bf && d_.tracker_share) {  // tracker_share(): a_q free, b_q = 1 fixed
        add(o_tracker_, 1, "tracker_share_level", {});  // a_q + mean observed share
        add(o_tq_sigma_, 1, "log_tracker_sigma", {});
      } else if (n_tracker_obs_ > 0) {
        add(o_tracker_, 1, "tracker_level", {});
        names_.emplace_back("log_tracker_b");
        names_.emplace_back("log_tracker_sigma");
        n_ += 2;
        o_tq_sigma_ = o_tracker_ + 2;
      }
      if (bf) {
        add(o_tform_, 1, "logit_trust_base", {});
        names_.emplace_back("log_mean_trust_hazard");  // ln(rho ubar)
        ++n_;
      }
      if (n_tracker_obs_ == 1) fail("a trust tracker needs at least 2 observed periods, got 1");
    }
    layout_rf();
    if (ar1()) {  // AR(1) residuals: atanh phi, the last free parameter
      o_ar1_ = n_;
      names_.emplace_back("atanh_ar1_phi");
      ++n_;
    }
  }

  /// Reach-and-frequency channels: checks (validate() ran), the slope block (last in z)
  /// and, for the exposure form, the untruncated mean m[t] of every period (a data
  /// quantity, solved once here): f = m / (1 - (1 + m/k)^-k) by TOMS 748 on [0, f].
  void layout_rf() {
    n_rf_ = 0;
    if (d_.rf.empty()) return;
    const int T = periods();
    if (static_cast<int>(d_.rf.size()) != C_) fail("rf needs one form per media column (", C_, "), got ", d_.rf.size());
    for (int c = 0; c < C_; ++c) n_rf_ += d_.rf[static_cast<std::size_t>(c)] != RfForm::none ? 1 : 0;
    if (n_rf_ == 0) return;
    if (d_.frequency.rows() != T || d_.frequency.cols() != C_)
      fail("frequency must be ", T, " x ", C_, " (one column per media column) with RF channels, got ", d_.frequency.rows(),
           " x ", d_.frequency.cols());
    const bool any_exposure = std::find(d_.rf.begin(), d_.rf.end(), RfForm::exposure) != d_.rf.end();
    if (any_exposure && (!(d_.rf_shape > 0.0) || !std::isfinite(d_.rf_shape)))
      fail("rf_shape (the negative binomial shape of exposures) must be finite and > 0, got ", d_.rf_shape);
    rf_slope_pos_.assign(static_cast<std::size_t>(C_), -1);
    rf_mean_ = Matrix::Zero(T, C_);
    rf_fill_ = Vector::Zero(C_);
    std::vector<std::string> labels;
    for (int c = 0; c < C_; ++c) {
      const RfForm form = d_.rf[static_cast<std::size_t>(c)];
      if (form == RfForm::none) continue;
      if (d_.trust_enabled && d_.trust[static_cast<std::size_t>(c)])
        fail("media column ", c,
             " is a reach-and-frequency channel and a trust channel: an RF channel can only convert "
             "(the trust stock's inflow is saturated activity per period; reach that accumulates people over periods is "
             "not that). Give it role 'conversion' or switch trust off");
      if (!d_.conversion[static_cast<std::size_t>(c)])
        fail("media column ", c, " is a reach-and-frequency channel but not a conversion channel: it would do nothing");
      double fsum = 0.0;
      int fn = 0;
      for (int t = 0; t < T; ++t) {
        const double f = d_.frequency(t, c), r = d_.media(t, c);
        if (!(f >= 0.0) || !std::isfinite(f))
          fail("frequency: row ", t, ", column ", c, " is ", f, "; expected a finite number >= 0");
        if (r > 0.0 && form == RfForm::exposure && !(f >= 1.0 - 1e-9))
          fail("frequency: row ", t, ", column ", c, " is ", f, " with reach ", r,
               " > 0; the average frequency among the reached is >= 1");
        if (r > 0.0) {
          fsum += f;
          ++fn;
        }
      }
      const double fill = fn > 0 ? fsum / fn : 1.0;  // periods past the data: the mean frequency where reached
      if (form == RfForm::hill) {
        rf_slope_pos_[static_cast<std::size_t>(c)] = static_cast<int>(labels.size());
        labels.push_back(std::to_string(c));
        rf_mean_.col(c) = d_.frequency.col(c);
        rf_fill_[c] = fill;
      } else {
        for (int t = 0; t < T; ++t) rf_mean_(t, c) = d_.media(t, c) > 0.0 ? exposure_mean(d_.frequency(t, c)) : 0.0;
        rf_fill_[c] = exposure_mean(std::max(fill, 1.0));
      }
    }
    o_slope_ = n_;
    for (const auto& l : labels) names_.push_back("log_rf_slope[" + l + "]");
    n_ += static_cast<int>(labels.size());
  }

  /// The untruncated mean m of a negative binomial (shape rf_shape) whose zero-truncated
  /// mean is f >= 1: f = m / (1 - (1 + m/k)^-k); m = 0 at f = 1.
  [[nodiscard]] double exposure_mean(double f) const {
    const double k = d_.rf_shape;
    if (!(f > 1.0 + 1e-12)) return 0.0;
    const auto g = [&](double m) { return m / -std::expm1(-k * std::log1p(m / k)) - f; };
    std::uintmax_t iters = 200;
    const auto r = boost::math::tools::toms748_solve(g, 1e-300, f, boost::math::tools::eps_tolerance<double>(52), iters);
    return 0.5 * (r.first + r.second);
  }

 public:
  /// The RF form of media column c (RfForm::none for an ordinary channel).
  [[nodiscard]] RfForm rf_form(int c) const { return n_rf_ > 0 ? d_.rf[static_cast<std::size_t>(c)] : RfForm::none; }
  /// Number of reach-and-frequency channels.
  [[nodiscard]] int rf_count() const { return n_rf_; }

  /// The input of an RF channel's adstock, x[t] = r[t] g(f[t]) (RfForm) at the lam slot
  /// value `lam` (ec, or the per-exposure rate) and Hill slope `slope`, for any reach
  /// series r (T' values): f[t] is the data's frequency for t < T and the channel's mean
  /// frequency over its reached periods after the data. With dlam and dslope also
  /// dx[t]/d ln lam and dx[t]/d ln slope (hill). O(T').
  template <class R, class X>
  void rf_input(int c, double lam, double slope, const R& r, X&& x, double* dlam = nullptr, double* dslope = nullptr) const {
    const Eigen::Index Tn = r.size(), T = periods();
    const RfForm form = rf_form(c);
    const double k = d_.rf_shape;
    for (Eigen::Index t = 0; t < Tn; ++t) {
      const double v = t < T ? rf_mean_(t, c) : rf_fill_[c];  // hill: f; exposure: m
      double g = 0.0, g1 = 0.0, g2 = 0.0;
      if (form == RfForm::hill) {
        if (v > 0.0) {  // g = 1 / (1 + u), u = (ec / f)^s
          const double le = std::log(lam / v), u = std::exp(slope * le), d = 1.0 / ((1.0 + u) * (1.0 + u));
          g = 1.0 / (1.0 + u);
          g1 = -slope * u * d;
          g2 = -slope * le * u * d;
        }
      } else if (v > 0.0) {  // g = (1 - B^-k) / (1 - P0), B = 1 + m (1 - q) / k, P0 = (1 + m/k)^-k
        const double oq = -std::expm1(-lam), q = std::exp(-lam), lb = std::log1p(v * oq / k);
        const double den = -std::expm1(-k * std::log1p(v / k));
        g = -std::expm1(-k * lb) / den;
        g1 = v * q * std::exp(-(k + 1.0) * lb) / den * lam;  // dg/d ln lam
      } else {  // m = 0 (f = 1): one exposure each, g = 1 - q
        g = -std::expm1(-lam);
        g1 = std::exp(-lam) * lam;
      }
      x[t] = r[t] * g;
      if (dlam != nullptr) {
        dlam[t] = r[t] * g1;
        dslope[t] = r[t] * g2;
      }
    }
  }

 private:
  void allocate() { ws_.resize(periods(), C_, P_, S_); }

  /// The trust-stock recursion of MODEL.md section 2, the one place it is written:
  ///   G[t] = delta G[t-1] + (1 - delta) u[t] - sum_e omega_e d[t, e],  G[-1] = g0,
  /// for t = 0 .. u.size() - 1, where u[t] = sum_p kappa_p h[p, t] is the inflow (any
  /// indexable vector expression) and d the T x E shock events (E may be 0: no shocks;
  /// omega needs at least E values). Writes G[t] into out[t] (a vector, or a vector
  /// expression such as a matrix column, of size >= T). Inlined into its callers (the log
  /// density's hot path included); O(T x (1 + E)).
  template <class U, class D, class Out>
  static void trust_stock_recursion(double delta, double g0, const U& u, const Vector& omega, const D& d, Out&& out) {
    const Eigen::Index T = u.size(), E = d.cols();
    double g = g0;
    for (Eigen::Index t = 0; t < T; ++t) {
      double shock = 0.0;
      for (Eigen::Index e = 0; e < E; ++e) shock += omega[e] * d(t, e);
      g = delta * g + (1.0 - delta) * u[t] - shock;
      out[t] = g;
    }
  }

  // The two recursions and stock_path() are public: a planner that runs the model forward
  // (plan/) must run the model's own form.
 public:
  /// The bounded trust-stock recursion (top of this file; docs/mmm.md):
  ///   m = b + delta (G[t-1] - b),  G[t] = s[t] (1 - (1 - m) e[t]),
  ///   e[t] = exp(-rho u[t]),  s[t] = exp(-sum_e omega_e d[t, e]),  G[-1] = g0,
  /// which stays in [0, 1] for g0, b in [0, 1]. Writes G[t] into out[t]; with ex and sx
  /// also e[t] and s[t] (what the adjoint needs). O(T x (1 + E)).
  template <class U, class D, class Out>
  static void bounded_stock_recursion(double delta, double g0, double base, double rho, const U& u, const Vector& omega,
                                      const D& d, Out&& out, double* ex = nullptr, double* sx = nullptr) {
    const Eigen::Index T = u.size(), E = d.cols();
    double g = g0;
    for (Eigen::Index t = 0; t < T; ++t) {
      double shock = 0.0;
      for (Eigen::Index e = 0; e < E; ++e) shock += omega[e] * d(t, e);
      const double s = E > 0 ? std::exp(-shock) : 1.0, ef = std::exp(-rho * u[t]);
      // 1 - m = (1 - delta)(1 - b) + delta (1 - G[t-1]): a sum of terms >= 0, so G <= 1 and
      // G >= 0 hold in floating point too (1 - m <= 1 up to rounding, hence the min).
      const double um = std::min(1.0, (1.0 - delta) * (1.0 - base) + delta * (1.0 - g));
      g = s * (1.0 - um * ef);
      out[t] = g;
      if (ex != nullptr) {
        ex[t] = ef;
        sx[t] = s;
      }
    }
  }

  /// The trust stock of the model's form at parameters p from inflow u and shocks d
  /// (G[-1] = p.g0): what every analysis runs (analyses.hpp) and the planner must run.
  template <class U, class D, class Out>
  void stock_path(const TrustModelParameters& p, const U& u, const D& d, Out&& out) const {
    if (bounded()) bounded_stock_recursion(p.delta, p.g0, p.trust_base, p.inflow, u, p.omega, d, std::forward<Out>(out));
    else trust_stock_recursion(p.delta, p.g0, u, p.omega, d, std::forward<Out>(out));
  }

  // ---- The trust stock continued from a given state: forward and reverse mode ----------
  // What a planner (plan/evaluator.hpp) runs after the history, so that a schedule is
  // valued on the model's own trust dynamics in either form, with an exact gradient. No
  // crisis shocks (a plan's future has none); T periods, O(T P) and O(T), no allocation.

  /// Inflow of the trust channels from saturated activity act (T x C in the model's channel
  /// order, any expression with rows() and act(t, c)): u[t] = sum_p kappa_p act(t, c_p) over
  /// the trust channels c_p in increasing order (T zeros without trust).
  template <class A>
  void trust_inflow(const TrustModelParameters& p, const A& act, double* u) const {
    const Eigen::Index T = act.rows();
    for (Eigen::Index t = 0; t < T; ++t) u[t] = 0.0;
    for (int i = 0; i < P_; ++i) {
      const Eigen::Index c = trust_idx_[static_cast<std::size_t>(i)];
      const double k = p.kappa[i];
      for (Eigen::Index t = 0; t < T; ++t) u[t] += k * act(t, c);
    }
  }

  /// Reverse mode of trust_inflow(): gact(t, c_p) += kappa_p gu[t] for t < T and every
  /// trust channel c_p (the other columns are left as they are).
  template <class GA>
  void trust_inflow_adjoint(const TrustModelParameters& p, const double* gu, Eigen::Index T, GA&& gact) const {
    for (int i = 0; i < P_; ++i) {
      const Eigen::Index c = trust_idx_[static_cast<std::size_t>(i)];
      const double k = p.kappa[i];
      for (Eigen::Index t = 0; t < T; ++t) gact(t, c) += k * gu[t];
    }
  }

  /// The model's stock recursion over the inflow u (T values) from the state G[-1] =
  /// g_start, no shocks (T zeros without trust):
  ///   linear:  G[t] = delta G[t-1] + (1 - delta) u[t]
  ///   bounded: G[t] = 1 - (1 - m[t]) e[t],  1 - m[t] = (1 - delta)(1 - b) + delta (1 - G[t-1]),
  ///            e[t] = exp(-rho u[t])
  /// (trust_stock_recursion() and bounded_stock_recursion() themselves, so the same values
  /// as stock_path() on the same input). Writes G[t] into G[t].
  void continue_stock(const TrustModelParameters& p, double g_start, const double* u, Eigen::Index T, double* G) const {
    if (!d_.trust_enabled) {
      for (Eigen::Index t = 0; t < T; ++t) G[t] = 0.0;
      return;
    }
    const Eigen::Map<const Vector> um(u, T);
    Eigen::Map<Vector> gm(G, T);
    const Matrix none(T, 0);  // no shocks (0 columns: no allocation)
    if (bounded()) bounded_stock_recursion(p.delta, g_start, p.trust_base, p.inflow, um, p.omega, none, gm);
    else trust_stock_recursion(p.delta, g_start, um, p.omega, none, gm);
  }

  /// Reverse mode of continue_stock(): from gG[t] = dL/dG[t] of everything downstream of
  /// G[t] (its direct terms), writes gu[t] = dL/du[t] and returns dL/dg_start. G must be
  /// continue_stock()'s output for the same (p, g_start, u). With lambda[t] the total
  /// adjoint of G[t] (lambda[T] = 0):
  ///   linear:  lambda[t] = gG[t] + delta lambda[t+1],       gu[t] = (1 - delta) lambda[t],
  ///            dL/dg_start = delta lambda[0];
  ///   bounded: lambda[t] = gG[t] + delta e[t+1] lambda[t+1], gu[t] = rho e[t] (1 - m[t]) lambda[t],
  ///            dL/dg_start = delta e[0] lambda[0].
  double continue_stock_adjoint(const TrustModelParameters& p, double g_start, const double* u, const double* G,
                                const double* gG, Eigen::Index T, double* gu) const {
    if (!d_.trust_enabled) {
      for (Eigen::Index t = 0; t < T; ++t) gu[t] = 0.0;
      return 0.0;
    }
    const double dl = p.delta;
    double lam_next = 0.0;
    if (!bounded()) {
      for (Eigen::Index t = T - 1; t >= 0; --t) {
        const double lam_t = gG[t] + dl * lam_next;
        gu[t] = (1.0 - dl) * lam_t;
        lam_next = lam_t;
      }
      return dl * lam_next;
    }
    const double b = p.trust_base, rho = p.inflow;
    double jac_next = 0.0;  // dG[t+1]/dG[t] = delta e[t+1]
    for (Eigen::Index t = T - 1; t >= 0; --t) {
      const double lam_t = gG[t] + jac_next * lam_next;
      const double prev = t > 0 ? G[t - 1] : g_start;
      const double e = std::exp(-rho * u[t]);
      const double um = std::min(1.0, (1.0 - dl) * (1.0 - b) + dl * (1.0 - prev));  // 1 - m[t]
      gu[t] = lam_t * rho * e * um;
      lam_next = lam_t;
      jac_next = dl * e;
    }
    return jac_next * lam_next;
  }

  /// dL/d(delta, b, rho, G[-1]) of bounded_stock_reverse().
  struct BoundedStockGradient {
    double delta = 0.0, base = 0.0, rho = 0.0, g0 = 0.0;
  };
  /// Reverse mode of bounded_stock_recursion() (the kernel of both trust models' adjoints,
  /// the national and the panel's): from gG[t] = dL/dG[t] of everything downstream of G[t]
  /// (its direct terms), with G, e[t] = ex and s[t] = sx the forward pass's, writes gu[t] =
  /// dL/du[t] and, when lamG is given, lambda[t] G[t] (so that dL/domega_e = -sum_t
  /// lamG[t] d[t, e]; lamG may be gG itself: each gG[t] is read before lamG[t] is written),
  /// and returns the gradients of delta, b, rho and G[-1] = g0. With lambda[t] the total
  /// adjoint of G[t]: lambda[t] = gG[t] + delta s[t+1] e[t+1] lambda[t+1], dG/ddelta = s e
  /// (G[t-1] - b), dG/db = s e (1 - delta), dG/du = rho s e (1 - m), dG/drho = s e (1 - m) u.
  static BoundedStockGradient bounded_stock_reverse(double delta, double g0, double base, double rho, const double* u,
                                                    const double* G, const double* ex, const double* sx, const double* gG,
                                                    Eigen::Index T, double* gu, double* lamG) {
    BoundedStockGradient r;
    double lam_next = 0.0, jac_next = 0.0;
    for (Eigen::Index t = T - 1; t >= 0; --t) {
      const double lam_t = gG[t] + lam_next * jac_next;
      const double prev = t > 0 ? G[t - 1] : g0;
      const double se = sx[t] * ex[t], um = (1.0 - delta) * (1.0 - base) + delta * (1.0 - prev);  // 1 - m
      r.delta += lam_t * se * (prev - base);
      r.base += lam_t * se * (1.0 - delta);
      const double du = lam_t * se * um;
      gu[t] = du * rho;
      r.rho += du * u[t];
      if (lamG != nullptr) lamG[t] = lam_t * G[t];
      lam_next = lam_t;
      jac_next = se * delta;
    }
    r.g0 = lam_next * jac_next;
    return r;
  }

 private:
  /// Reverse mode through bounded_stock_recursion(): from gG (dL/dG[t] of everything
  /// downstream) to the gradients of delta, G0, b, rho and omega (on their free scales),
  /// and adj[t] = dL/du[t]. With lambda[t] the total adjoint of G[t],
  ///   lambda[t] = gG[t] + lambda[t+1] s[t+1] e[t+1] delta,
  ///   dG[t]/d delta = s e (G[t-1] - b), dG[t]/db = s e (1 - delta),
  ///   dG[t]/du[t] = s (1 - m) e rho, dG[t]/d rho = s (1 - m) e u[t], dG[t]/d omega_e = -d[t, e] G[t].
  void bounded_stock_adjoint(const TrustModelParameters& p, TrustModelWorkspace& ws, Eigen::Ref<Vector> grad) const {
    const double dl = p.delta, b = p.trust_base, rho = p.inflow;
    // ws.gG is read and overwritten with lambda[t] G[t], for the crisis damage below
    const BoundedStockGradient r = bounded_stock_reverse(dl, p.g0, b, rho, ws.inflow.data(), ws.G.data(), ws.ex.data(),
                                                         ws.sx.data(), ws.gG.data(), periods(), ws.adj.data(), ws.gG.data());
    grad[o_g0_] += r.g0 * p.g0 * (1.0 - p.g0);  // dG[0]/dg0 = s e delta, d g0/dz = g0 (1 - g0)
    grad[o_delta_] += r.delta * dl * (1.0 - dl);
    grad[o_tform_] += r.base * b * (1.0 - b);
    grad[o_tform_ + 1] += r.rho * rho;
    for (int e = 0; e < E_; ++e) grad[o_omega_ + e] += -ws.gG.dot(d_.shocks.col(e)) * p.omega[e];
  }


  /// The split of the bounded stock (forward_on): G = G^(initial) + G^(shock) + sum_p
  /// G^(p) exactly, with G^(initial) the path with no inflow and no crisis (G0 decaying
  /// to b), G^(shock) = (no inflow, with the crises) - G^(initial), and G^(p) channel p's
  /// Shapley value over the trust channels for the path with the crises, value(S) = the
  /// path with the inflow of the channels in S only:
  ///   G^(p) = sum_{S not containing p} |S|! (P - |S| - 1)! / P! (value(S + p) - value(S)),
  /// computed exactly from the 2^P paths for P <= 12. For P > 12 (2^P paths too many),
  /// G^(p) is the total channel part value(all) - value(none) shared in proportion to
  /// each channel's removal effect value(all) - value(all without p) (equal shares where
  /// those sum to 0). In the linear form all three definitions give the linear split.
  void bounded_split(const TrustModelParameters& p, const Matrix& saturated, const Matrix& shocks,
                     TrustModelForward& f) const {
    const Eigen::Index T = saturated.rows();
    const auto no_shocks = shocks.leftCols(0);
    auto path = [&](const Vector& u, bool with_shocks, Vector& out) {
      out.resize(T);
      if (with_shocks) bounded_stock_recursion(p.delta, p.g0, p.trust_base, p.inflow, u, p.omega, shocks, out);
      else bounded_stock_recursion(p.delta, p.g0, p.trust_base, p.inflow, u, p.omega, no_shocks, out);
    };
    Matrix U(T, P_);  // kappa_p h[p, t]
    for (int i = 0; i < P_; ++i) U.col(i) = p.kappa[i] * saturated.col(trust_idx_[static_cast<std::size_t>(i)]);
    f.inflow = U.rowwise().sum();
    Vector none_free, none, all;
    path(Vector::Zero(T), false, none_free);
    path(Vector::Zero(T), true, none);
    path(f.inflow, true, all);
    f.trust_from_initial = none_free;
    f.trust_from_shocks = none - none_free;
    f.trust_stock = all;
    f.trust_by_channel = Matrix::Zero(T, P_);
    if (P_ <= 12) {
      const std::size_t n_sets = std::size_t{1} << P_;
      std::vector<Vector> value(n_sets);
      Vector u(T);
      for (std::size_t mask = 0; mask < n_sets; ++mask) {
        u.setZero();
        for (int i = 0; i < P_; ++i)
          if (mask & (std::size_t{1} << i)) u += U.col(i);
        path(u, true, value[mask]);
      }
      std::vector<double> weight(static_cast<std::size_t>(P_));  // |S|! (P - |S| - 1)! / P!
      for (int k = 0; k < P_; ++k)
        weight[static_cast<std::size_t>(k)] = std::exp(std::lgamma(k + 1.0) + std::lgamma(P_ - k + 0.0) -
                                                       std::lgamma(P_ + 1.0));
      for (int i = 0; i < P_; ++i) {
        const std::size_t bit = std::size_t{1} << i;
        for (std::size_t mask = 0; mask < n_sets; ++mask) {
          if (mask & bit) continue;
          const int k = std::popcount(mask);
          f.trust_by_channel.col(i) += weight[static_cast<std::size_t>(k)] * (value[mask | bit] - value[mask]);
        }
      }
      // Rounding: make the parts add up to the path exactly as computed.
      f.trust_stock = f.trust_from_initial + f.trust_from_shocks + f.trust_by_channel.rowwise().sum();
    } else {
      const Vector total = all - none;
      Matrix removal(T, P_);
      Vector without(T);
      for (int i = 0; i < P_; ++i) {
        path(f.inflow - U.col(i), true, without);
        removal.col(i) = all - without;
      }
      for (Eigen::Index t = 0; t < T; ++t) {
        const double sum = removal.row(t).sum();
        for (int i = 0; i < P_; ++i) f.trust_by_channel(t, i) = sum != 0.0 ? total[t] * removal(t, i) / sum : total[t] / P_;
      }
    }
  }

  /// Normalised geometric weights and their alpha derivative, and the direct convolution
  /// of one series: the shared kernels of transforms/adstock.hpp (the names analyses.hpp
  /// calls).
  template <class W, class DW>
  static void geometric_weights_into(double alpha, W&& w, DW&& dw) {
    transforms::geometric_weights_into(alpha, std::forward<W>(w), std::forward<DW>(dw));
  }
  template <class X, class W, class Y>
  static void convolve(const X& x, const W& w, Y&& y) {
    transforms::convolve_series(x, w, std::forward<Y>(y));
  }

  double log_prior_and_jacobian(const Eigen::Ref<const Vector>& z, const TrustModelParameters& p,
                                Eigen::Ref<Vector> grad) const {
    double lp = 0.0;
    // HalfNormal(sd) on value > 0 and the log-Jacobian ln value of its log scale; grad[idx]
    // receives d/d ln value (for gamma and theta with a tracker, ln value = z + ln b_q and
    // the caller passes the share of ln b_q on).
    auto half_normal_log = [&](int idx, double value, double sd) {
      const priors::LogTerm t = priors::half_normal_on_log(value, sd);
      lp += t.value;
      grad[idx] += t.gradient;
    };
    for (int c = 0; c < C_; ++c) {
      const priors::LogTerm ta = priors::beta_on_logit(p.alpha[c], pr_.alpha_a, pr_.alpha_b);  // Beta + logit Jacobian
      lp += ta.value;
      grad[o_alpha_ + c] += ta.gradient;
      if (rf_form(c) == RfForm::hill) {  // ln ec, ln s ~ Normal: LogNormal ec and s with their Jacobians
        const double re = z[o_lam_ + c] - pr_.rf_ec_log_mean, ve = pr_.rf_ec_sd_log * pr_.rf_ec_sd_log;
        const int os = o_slope_ + rf_slope_pos_[static_cast<std::size_t>(c)];
        const double rs = z[os] - pr_.rf_slope_log_mean, vs = pr_.rf_slope_sd_log * pr_.rf_slope_sd_log;
        lp += -0.5 * re * re / ve - 0.5 * rs * rs / vs;
        grad[o_lam_ + c] += -re / ve;
        grad[os] += -rs / vs;
        continue;
      }
      if (rf_form(c) == RfForm::exposure) {  // per-exposure rate ~ Gamma + log Jacobian
        lp += pr_.rf_rate_shape * z[o_lam_ + c] - pr_.rf_rate_rate * p.lam[c];
        grad[o_lam_ + c] += pr_.rf_rate_shape - pr_.rf_rate_rate * p.lam[c];
        continue;
      }
      lp += pr_.lam_shape * z[o_lam_ + c] - pr_.lam_rate * p.lam[c];  // Gamma + log Jacobian
      grad[o_lam_ + c] += pr_.lam_shape - pr_.lam_rate * p.lam[c];
    }
    for (int j = 0; j < S_; ++j) {  // (the beta prior of the other channels is in log_density)
      if (roi_[static_cast<std::size_t>(j)]) {  // ln R_j ~ Normal(m_j, s_j); z is ln R_j itself
        const double r = z[o_beta_ + j] - pr_.roi_log_median[j], s2 = pr_.roi_sd_log[j] * pr_.roi_sd_log[j];
        lp += -0.5 * r * r / s2;
        grad[o_beta_ + j] += -r / s2;
      }
    }
    for (int k = 0; k < K_; ++k) {
      const double r = p.b[k] - pr_.baseline_prior_mean(k), sk = pr_.baseline_prior_sd(k);
      lp += -0.5 * r * r / (sk * sk);
      grad[o_b_ + k] += -r / (sk * sk);
    }
    if (d_.likelihood == Likelihood::negative_binomial) {
      // 1/sqrt(phi) ~ HalfNormal(phi_sd) and the log Jacobian z: -1/(2 s^2 phi) - z/2.
      const double s2 = pr_.phi_sd * pr_.phi_sd;
      lp += -0.5 / (s2 * p.sigma) - 0.5 * z[o_sigma_];
      grad[o_sigma_] += 0.5 / (s2 * p.sigma) - 0.5;
    } else {
      half_normal_log(o_sigma_, p.sigma, pr_.sigma_sd);
    }
    if (ar1()) {  // atanh phi ~ Normal(0, ar1_sd), on the free parameter itself
      const double v = pr_.ar1_sd * pr_.ar1_sd;
      lp += -0.5 * z[o_ar1_] * z[o_ar1_] / v;
      grad[o_ar1_] += -z[o_ar1_] / v;
    }
    if (!d_.trust_enabled) return lp;
    // kappa: flat Dirichlet and the log-ratio Jacobian prod_i kappa_i (times a constant);
    // d/du_i sum_k ln kappa_k = 1 - P kappa_i, and V' 1 = 0 leaves -P V' kappa.
    for (int i = 0; i < P_; ++i) lp += std::log(p.kappa[i]);
    grad.segment(o_kappa_, P_ - 1).noalias() -= (static_cast<double>(P_) * helmert_.transpose()) * p.kappa;
    // delta through a LogNormal prior on the half-life h = ln 2 / u, u = -ln delta; with
    // the Jacobians |dh/d delta| and delta (1 - delta) this is
    //   -ln u - (ln h - m)^2 / (2 s^2) + ln(1 - delta)   (+ const).
    {
      const priors::LogTerm td = priors::half_life_on_logit(p.delta, pr_.half_life_median, pr_.half_life_sd_log);
      lp += td.value;
      grad[o_delta_] += td.gradient;
    }
    if (bounded()) {
      // logit b ~ Normal(m_b, s_b); logit G0 ~ Normal(logit b, s_0) (priors on the free
      // parameters themselves: no Jacobian); rho ~ HalfNormal(inflow_sd) with ln rho free.
      const double rb = z[o_tform_] - pr_.trust_base_logit_mean, sb2 = pr_.trust_base_logit_sd * pr_.trust_base_logit_sd;
      const double r0 = z[o_g0_] - z[o_tform_], s02 = pr_.g0_logit_sd * pr_.g0_logit_sd;
      lp += -0.5 * rb * rb / sb2 - 0.5 * r0 * r0 / s02;
      grad[o_tform_] += -rb / sb2 + r0 / s02;
      grad[o_g0_] += -r0 / s02;
      half_normal_log(o_tform_ + 1, p.inflow, pr_.inflow_sd);
    } else {
      lp += -0.5 * (p.g0 - pr_.g0_mean) * (p.g0 - pr_.g0_mean) / (pr_.g0_sd * pr_.g0_sd);
      grad[o_g0_] += -(p.g0 - pr_.g0_mean) / (pr_.g0_sd * pr_.g0_sd);
    }
    for (int e = 0; e < E_; ++e) {  // HalfNormal on omega and the Jacobian ln omega (w.r.t. ln omega)
      const double v = pr_.omega_sd * pr_.omega_sd;
      lp += -0.5 * p.omega[e] * p.omega[e] / v + std::log(p.omega[e]);
      grad[o_omega_ + e] += -p.omega[e] * p.omega[e] / v + 1.0;
    }
    half_normal_log(o_gamma_, p.gamma, pr_.gamma_sd);
    half_normal_log(o_theta_, p.theta, pr_.theta_sd);
    if (tracker_share()) {  // (the prior of the house bias a_q is in log_density)
      half_normal_log(o_tq_sigma_, p.tracker_sigma, pr_.tracker_share_sigma_sd);
    } else if (n_tracker_obs_ > 0) {  // (the prior of a_q is in log_density: a_q depends on the stock)
      half_normal_log(o_tracker_ + 1, p.tracker_b, pr_.tracker_b_sd);
      half_normal_log(o_tracker_ + 2, p.tracker_sigma, pr_.tracker_sigma_sd);
    }
    return lp;
  }

  TrustModelData d_;
  TrustModelPriors pr_;
  int C_ = 0, K_ = 0, E_ = 0, P_ = 0, S_ = 0, n_ = 0, n_tracker_obs_ = 0;
  int intercept_col_ = -1;  // with trust: the baseline column of ones, whose free parameter is a level
  int n_rf_ = 0, o_slope_ = 0;  // reach-and-frequency channels; the offset of their Hill slopes in z
  std::vector<int> rf_slope_pos_;  // per channel: its position in the slope block, or -1
  Matrix rf_mean_;  // T x C: hill: the frequency; exposure: the untruncated mean m[t]
  Vector rf_fill_;  // per channel: the same after the data (from the mean frequency)
  std::vector<int> trust_idx_, conv_idx_;
  std::vector<bool> roi_;  // per conversion channel: ROI is the free parameter
  int n_roi_ = 0;
  Vector contribution_scale_;  // k_j: 1/T, or roi_scale_j for channels with a ROI prior
  Matrix helmert_;  // P x (P-1) isometric log-ratio basis of the trust weights
  Vector log_y_;  // lognormal: ln y
  double sum_log_y_ = 0.0, sum_lgamma_y1_ = 0.0;
  std::vector<std::string> names_;
  int o_alpha_ = 0, o_lam_ = 0, o_beta_ = 0, o_b_ = 0, o_sigma_ = 0, o_kappa_ = 0, o_delta_ = 0, o_g0_ = 0, o_omega_ = 0,
      o_gamma_ = 0, o_theta_ = 0, o_tracker_ = 0, o_tform_ = 0;
  int o_ar1_ = 0;  // atanh phi of AR(1) residuals (Noise::ar1 only; last in z)
  int o_tq_sigma_ = 0;  // ln sigma_q: o_tracker_ + 2 (index tracker) or + 1 (tracker_share)
  TrustModelWorkspace ws_;  // for the single-threaded convenience overload
};

}  // namespace trustmix::mmm
