#pragma once
// Interrupted time series with a Bayesian structural time series (as Google's
// CausalImpact; Brodersen et al. 2015): on standardised pre-period data,
//   y_t = mu_t + s_t + x_t' beta + eps_t,            eps_t ~ N(0, sigma_obs^2)
//   mu_t = mu_{t-1} [+ delta_{t-1}] + sigma_level z_t  (local level [local linear trend])
//   delta_t = delta_{t-1} + sigma_slope w_t
//   s_t = -(s_{t-1} + ... + s_{t-S+1}) + sigma_season v_t   (dummy seasonality, period S)
//   beta_k ~ Cauchy(0, tau), tau ~ HalfCauchy(tau0)
// (heavy-tailed shrinkage with a learned scale: the continuous sparsity prior NUTS samples
// cleanly, in place of CausalImpact's spike and slab; a horseshoe, centred or not, left
// divergences in its per-coefficient funnels). States are non-centred (z, w, v ~ N(0, 1)), so the target is a smooth
// density on R^d sampled by trustmix's NUTS. Priors are scaled to the data as
// CausalImpact does: data standardised by the pre-period mean and sd, sigma_level around
// 0.01 sd (CausalImpact's prior.level.sd), sigma_obs around 0.1 sd (log-normal, sd 1).
// The counterfactual of the post-period is drawn from the posterior predictive (states
// carried forward with their innovations, plus observation noise).
#include "trustmix/core/error.hpp"
#include "trustmix/inference/diagnostics.hpp"
#include "trustmix/inference/nuts.hpp"
#include "trustmix/inference/rng.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

namespace trustmix::evaluate {

struct StructuralOptions {
  bool trend = false;           ///< local linear trend (else local level)
  Eigen::Index season = 0;      ///< seasonal period S (0 or 1: none)
  double level_sd = 0.01;       ///< prior median of sigma_level, in sd of y (CausalImpact's default)
  double observation_sd = 0.1;  ///< prior median of sigma_obs, in sd of y
  double slab_scale = 0.1;      ///< tau0: prior median of the coefficients' Cauchy scale (sd of y per sd of x)
  double alpha = 0.05;          ///< intervals cover 1 - alpha
  /// NUTS settings; target_accept 0.95 (the shrinkage prior's funnel needs smaller steps than 0.8).
  inference::SamplerOptions sampler = [] {
    inference::SamplerOptions so;
    so.target_accept = 0.95;
    return so;
  }();
};

/// The log density of the structural model on the pre-period (standardised data).
class StructuralTarget {
 public:
  /// y: pre-period outcome (standardised), X: pre-period controls (standardised, T0 x K).
  StructuralTarget(Eigen::VectorXd y, Eigen::MatrixXd X, const StructuralOptions& o)
      : y_(std::move(y)), X_(std::move(X)), trend_(o.trend), season_(o.season > 1 ? o.season : 0),
        log_level_(std::log(o.level_sd)), log_obs_(std::log(o.observation_sd)), tau0_(o.slab_scale) {
    T_ = y_.size();
    K_ = X_.cols();
    // Layout: [log s_obs, log s_level, (log s_slope), (log s_season), mu0, (delta0), (S-1 seasonal inits),
    //          z (T-1), (w (T-1)), (v (T - S + 1)), (beta (K), log tau)]
    Eigen::Index k = 0;
    i_obs_ = k++;
    i_level_ = k++;
    i_slope_ = trend_ ? k++ : -1;
    i_season_ = season_ ? k++ : -1;
    i_mu0_ = k++;
    i_delta0_ = trend_ ? k++ : -1;
    i_sinit_ = k;
    k += season_ ? season_ - 1 : 0;
    i_z_ = k;
    k += T_ - 1;
    i_w_ = k;
    k += trend_ ? T_ - 1 : 0;
    i_v_ = k;
    k += season_ ? T_ - (season_ - 1) : 0;
    i_b_ = k;
    k += K_;
    i_tau_ = K_ > 0 ? k++ : -1;
    d_ = k;
  }

  [[nodiscard]] Eigen::Index dimension() const { return d_; }

  /// States and regression of theta: mean path (level + trend), seasonal path, beta.
  struct Path {
    Eigen::VectorXd level, slope, season, beta;
    double s_obs = 0, s_level = 0, s_slope = 0, s_season = 0;
  };

  [[nodiscard]] Path path(Eigen::Ref<const Eigen::VectorXd> th) const {
    Path p;
    p.s_obs = std::exp(th(i_obs_));
    p.s_level = std::exp(th(i_level_));
    p.s_slope = trend_ ? std::exp(th(i_slope_)) : 0.0;
    p.s_season = season_ ? std::exp(th(i_season_)) : 0.0;
    p.level.resize(T_);
    p.slope = Eigen::VectorXd::Zero(T_);
    if (trend_) {
      p.slope(0) = th(i_delta0_);
      for (Eigen::Index t = 1; t < T_; ++t) p.slope(t) = p.slope(t - 1) + p.s_slope * th(i_w_ + t - 1);
    }
    p.level(0) = th(i_mu0_);
    for (Eigen::Index t = 1; t < T_; ++t) p.level(t) = p.level(t - 1) + p.slope(t - 1) + p.s_level * th(i_z_ + t - 1);
    p.season = Eigen::VectorXd::Zero(T_);
    if (season_) {
      for (Eigen::Index t = 0; t < T_; ++t) {
        if (t < season_ - 1) {
          p.season(t) = th(i_sinit_ + t);
        } else {
          double s = 0.0;
          for (Eigen::Index j = 1; j < season_; ++j) s -= p.season(t - j);
          p.season(t) = s + p.s_season * th(i_v_ + t - (season_ - 1));
        }
      }
    }
    p.beta = K_ > 0 ? Eigen::VectorXd(th.segment(i_b_, K_)) : Eigen::VectorXd::Zero(0);
    return p;
  }

  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> th, Eigen::Ref<Eigen::VectorXd> grad) const {
    grad.setZero();
    const Path p = path(th);
    const Eigen::VectorXd r = y_ - p.level - p.season - (K_ > 0 ? Eigen::VectorXd(X_ * p.beta) : Eigen::VectorXd::Zero(T_));
    const double s2 = p.s_obs * p.s_obs;
    double lp = -0.5 * r.squaredNorm() / s2 - static_cast<double>(T_) * th(i_obs_);
    grad(i_obs_) = r.squaredNorm() / s2 - static_cast<double>(T_);
    const Eigen::VectorXd g = r / s2;  // d loglik / d (level_t or season_t or x_t beta)
    // Level: level_t = mu0 + sum_{k<t} slope_k + s_level sum_{1<=j<=t} z_j.
    Eigen::VectorXd G(T_ + 1);  // G(t) = sum_{u >= t} g_u
    G(T_) = 0.0;
    for (Eigen::Index t = T_ - 1; t >= 0; --t) G(t) = G(t + 1) + g(t);
    grad(i_mu0_) += G(0);
    double dlevel = 0.0;
    for (Eigen::Index j = 1; j < T_; ++j) {
      grad(i_z_ + j - 1) += p.s_level * G(j);
      dlevel += th(i_z_ + j - 1) * G(j);
    }
    grad(i_level_) += p.s_level * dlevel;
    if (trend_) {
      // slope_k affects level_t for t > k: d/d slope_k = G(k + 1); slope_k = delta0 + s_slope sum_{1<=j<=k} w_j.
      Eigen::VectorXd H(T_ + 1);  // H(k) = sum_{m >= k} G(m + 1)
      H(T_) = 0.0;
      for (Eigen::Index k = T_ - 1; k >= 0; --k) H(k) = H(k + 1) + G(k + 1);
      grad(i_delta0_) += H(0);
      double dslope = 0.0;
      for (Eigen::Index j = 1; j < T_; ++j) {
        grad(i_w_ + j - 1) += p.s_slope * H(j);
        dslope += th(i_w_ + j - 1) * H(j);
      }
      grad(i_slope_) += p.s_slope * dslope;
    }
    if (season_) {
      // Adjoint of the linear recursion, backwards.
      Eigen::VectorXd a = g;
      for (Eigen::Index t = T_ - 1; t >= season_ - 1; --t)
        for (Eigen::Index j = 1; j < season_ && t - j >= 0; ++j) a(t - j) -= a(t);
      double dseason = 0.0;
      for (Eigen::Index t = 0; t < T_; ++t) {
        if (t < season_ - 1) {
          grad(i_sinit_ + t) += a(t);
        } else {
          const Eigen::Index i = i_v_ + t - (season_ - 1);
          grad(i) += p.s_season * a(t);
          dseason += th(i) * a(t);
        }
      }
      grad(i_season_) += p.s_season * dseason;
    }
    if (K_ > 0) {
      // beta_k ~ Student-t(nu = 1, 0, tau) (Cauchy: the horseshoe's tails with lambda_k
      // integrated out, so no per-coefficient funnel), tau ~ HalfCauchy(tau0).
      grad.segment(i_b_, K_) += X_.transpose() * g;
      const double tau = std::exp(th(i_tau_));
      double dtau = 0.0;
      for (Eigen::Index k = 0; k < K_; ++k) {
        const double u = p.beta(k) / tau;
        lp += -std::log1p(u * u) - th(i_tau_);
        grad(i_b_ + k) -= 2.0 * u / (tau * (1.0 + u * u));
        dtau += 2.0 * u * u / (1.0 + u * u) - 1.0;
      }
      const double q = tau / tau0_;
      lp += -std::log1p(q * q) + th(i_tau_);
      grad(i_tau_) += dtau + 1.0 - 2.0 * q * q / (1.0 + q * q);
    }
    // Standard normal priors on the innovations, b, seasonal inits; mu0 ~ N(y_0, 1),
    // delta0 ~ N(0, 0.1^2); log-normal scale priors (sd 1 on the log scale).
    auto normal = [&](Eigen::Index i, double mean, double sd) {
      const double u = (th(i) - mean) / sd;
      lp -= 0.5 * u * u;
      grad(i) -= u / sd;
    };
    for (Eigen::Index j = 0; j < T_ - 1; ++j) normal(i_z_ + j, 0.0, 1.0);
    if (trend_) {
      for (Eigen::Index j = 0; j < T_ - 1; ++j) normal(i_w_ + j, 0.0, 1.0);
      normal(i_delta0_, 0.0, 0.1);
      normal(i_slope_, log_level_ - std::numbers::ln10, 1.0);
    }
    if (season_) {
      for (Eigen::Index j = 0; j < T_ - (season_ - 1); ++j) normal(i_v_ + j, 0.0, 1.0);
      for (Eigen::Index j = 0; j < season_ - 1; ++j) normal(i_sinit_ + j, 0.0, 1.0);
      normal(i_season_, log_level_, 1.0);
    }
    normal(i_mu0_, y_(0), 1.0);
    normal(i_obs_, log_obs_, 1.0);
    normal(i_level_, log_level_, 1.0);
    return std::isfinite(lp) ? lp : -std::numeric_limits<double>::infinity();
  }

  [[nodiscard]] Eigen::Index season() const { return season_; }
  [[nodiscard]] bool trend() const { return trend_; }

 private:
  Eigen::VectorXd y_;
  Eigen::MatrixXd X_;
  bool trend_;
  Eigen::Index season_;
  double log_level_, log_obs_, tau0_;
  Eigen::Index T_ = 0, K_ = 0, d_ = 0;
  Eigen::Index i_obs_ = 0, i_level_ = 0, i_slope_ = -1, i_season_ = -1, i_mu0_ = 0, i_delta0_ = -1, i_sinit_ = 0, i_z_ = 0,
               i_w_ = 0, i_v_ = 0, i_b_ = 0, i_tau_ = -1;
};

/// Causal impact of an intervention at `start` on series y (length T), with optional
/// control series X (T x K, not affected by the intervention). Outcome units throughout.
struct CausalImpactResult {
  Eigen::VectorXd predicted, predicted_lower, predicted_upper;  ///< counterfactual mean and band, all periods
  Eigen::VectorXd effect, effect_lower, effect_upper;  ///< pointwise y - counterfactual (post; pre: fit residual)
  Eigen::VectorXd cumulative, cumulative_lower, cumulative_upper;  ///< post-period cumulative effect
  double average_effect = 0, average_lower = 0, average_upper = 0;  ///< mean post effect per period
  double relative_effect = 0;  ///< sum effect / sum counterfactual (post)
  double p_value = 1.0;  ///< posterior tail probability of an effect of the opposite sign or zero
  Eigen::VectorXd beta_mean;  ///< posterior mean coefficients (outcome units per control unit)
  Eigen::VectorXd inclusion;  ///< P(|beta_k| > 0.1 sd_y / sd_x_k): posterior share of a material coefficient
  double max_rhat = 0, min_ess = 0;
  int divergences = 0;
  Eigen::Index start = 0;
};

/// Fits the structural model on the pre-period [0, start) and draws the counterfactual of
/// [start, T). Deterministic for options.sampler.seed and any thread count.
inline CausalImpactResult causal_impact(const Eigen::VectorXd& y, const Eigen::MatrixXd& controls, Eigen::Index start,
                                        const StructuralOptions& o = {}) {
  const Eigen::Index T = y.size(), K = controls.cols();
  if (controls.rows() != T && K > 0) fail("controls have ", controls.rows(), " rows for ", T, " periods of y");
  // No controls: a T x 0 matrix whatever rows were passed, so every row slice below is valid.
  const Eigen::MatrixXd X = K > 0 ? controls : Eigen::MatrixXd(T, 0);
  if (start < 3) fail("too few pre-periods: start ", start, " leaves ", start, ", at least 3 are needed");
  if (start >= T) fail("start ", start, " leaves no post-period (", T, " periods)");
  if (!y.allFinite()) fail("y must be finite");
  if (K > 0 && !X.allFinite()) fail("controls must be finite");
  trustmix::detail::require_positive(o.level_sd, "level_sd");
  trustmix::detail::require_positive(o.observation_sd, "observation_sd");
  trustmix::detail::require_positive(o.slab_scale, "slab_scale");
  trustmix::detail::require_in_range(o.alpha, "alpha", 0.0, 1.0, true, true);
  if (o.season > 1 && o.season >= start) fail("season ", o.season, " needs more than ", o.season, " pre-periods");
  const double ym = y.head(start).mean();
  const double ys = std::sqrt((y.head(start).array() - ym).square().sum() / static_cast<double>(start - 1));
  if (!(ys > 0.0)) fail("y is constant over the pre-period: no scale to fit");
  Eigen::VectorXd xm = Eigen::VectorXd::Zero(K), xs = Eigen::VectorXd::Ones(K);
  Eigen::MatrixXd Xs = X;
  for (Eigen::Index k = 0; k < K; ++k) {
    xm(k) = X.col(k).head(start).mean();
    xs(k) = std::sqrt((X.col(k).head(start).array() - xm(k)).square().sum() / static_cast<double>(start - 1));
    if (!(xs(k) > 0.0)) fail("control ", k, " is constant over the pre-period");
    Xs.col(k) = (X.col(k).array() - xm(k)) / xs(k);
  }
  const Eigen::VectorXd ystd = (y.array() - ym) / ys;
  const StructuralTarget target(ystd.head(start), Xs.topRows(start), o);
  const inference::SampleResult s = inference::sample(target, o.sampler);
  const auto n = static_cast<Eigen::Index>(s.chains) * s.draws;
  const Eigen::Index d = target.dimension();
  CausalImpactResult out;
  out.start = start;
  Eigen::MatrixXd cf(n, T);  // counterfactual draws (outcome units)
  Eigen::MatrixXd betas(n, K);
  const Eigen::Index S = target.season();
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::Map<const Eigen::VectorXd> th(s.values.data() + i * d, d);
    const auto p = target.path(th);
    inference::ChainRng rng(o.sampler.seed ^ 0x63617573U, static_cast<std::uint64_t>(i));
    Eigen::VectorXd level(T), slope(T), season = Eigen::VectorXd::Zero(T);
    level.head(start) = p.level;
    slope.head(start) = p.slope;
    season.head(start) = p.season;
    for (Eigen::Index t = start; t < T; ++t) {
      slope(t) = slope(t - 1) + p.s_slope * rng.normal();
      level(t) = level(t - 1) + slope(t - 1) + p.s_level * rng.normal();
      if (S) {
        double v = 0.0;
        for (Eigen::Index j = 1; j < S; ++j) v -= season(t - j);
        season(t) = v + p.s_season * rng.normal();
      }
    }
    Eigen::VectorXd mean = level + season;
    if (K > 0) mean += Xs * p.beta;
    for (Eigen::Index t = 0; t < T; ++t) cf(i, t) = ym + ys * (t < start ? mean(t) : mean(t) + p.s_obs * rng.normal());
    if (K > 0) betas.row(i) = (p.beta.array() * ys / xs.array()).transpose();
  }
  auto q = [](std::vector<double> v, double prob) {
    std::sort(v.begin(), v.end());
    return inference::detail::quantile_sorted(v, prob);
  };
  const double lo = o.alpha / 2.0, hi = 1.0 - o.alpha / 2.0;
  out.predicted.resize(T);
  out.predicted_lower.resize(T);
  out.predicted_upper.resize(T);
  out.effect.resize(T);
  out.effect_lower.resize(T);
  out.effect_upper.resize(T);
  for (Eigen::Index t = 0; t < T; ++t) {
    std::vector<double> col(cf.col(t).data(), cf.col(t).data() + n);
    out.predicted(t) = cf.col(t).mean();
    out.predicted_lower(t) = q(col, lo);
    out.predicted_upper(t) = q(col, hi);
    out.effect(t) = y(t) - out.predicted(t);
    out.effect_lower(t) = y(t) - out.predicted_upper(t);
    out.effect_upper(t) = y(t) - out.predicted_lower(t);
  }
  const Eigen::Index P = T - start;
  Eigen::MatrixXd cum(n, P);
  for (Eigen::Index i = 0; i < n; ++i) {
    double c = 0.0;
    for (Eigen::Index t = 0; t < P; ++t) cum(i, t) = (c += y(start + t) - cf(i, start + t));
  }
  out.cumulative.resize(P);
  out.cumulative_lower.resize(P);
  out.cumulative_upper.resize(P);
  for (Eigen::Index t = 0; t < P; ++t) {
    std::vector<double> col(cum.col(t).data(), cum.col(t).data() + n);
    out.cumulative(t) = cum.col(t).mean();
    out.cumulative_lower(t) = q(col, lo);
    out.cumulative_upper(t) = q(col, hi);
  }
  std::vector<double> total(cum.col(P - 1).data(), cum.col(P - 1).data() + n);
  out.average_effect = out.cumulative(P - 1) / static_cast<double>(P);
  out.average_lower = q(total, lo) / static_cast<double>(P);
  out.average_upper = q(total, hi) / static_cast<double>(P);
  out.relative_effect = out.cumulative(P - 1) / out.predicted.tail(P).sum();
  const auto below = static_cast<double>(std::count_if(total.begin(), total.end(), [](double v) { return v <= 0.0; }));
  // CausalImpact's one-sided tail area, with the +1 of a Monte Carlo p-value: never exactly 0.
  const auto draws = static_cast<double>(n);
  out.p_value = (std::min(below, draws - below) + 1.0) / (draws + 1.0);
  out.beta_mean = K > 0 ? Eigen::VectorXd(betas.colwise().mean().transpose()) : Eigen::VectorXd();
  out.inclusion.resize(K);
  for (Eigen::Index k = 0; k < K; ++k)
    out.inclusion(k) = static_cast<double>((betas.col(k).array().abs() > 0.1 * ys / xs(k)).count()) / static_cast<double>(n);
  // Diagnostics on the unconstrained parameters: worst split R-hat and bulk ESS.
  out.max_rhat = 0.0;
  out.min_ess = std::numeric_limits<double>::infinity();
  for (Eigen::Index j = 0; j < d; ++j) {
    Eigen::MatrixXd m(s.draws, s.chains);
    for (int c = 0; c < s.chains; ++c)
      for (int k = 0; k < s.draws; ++k)
        m(k, c) = s.values[(static_cast<std::size_t>(c) * static_cast<std::size_t>(s.draws) + static_cast<std::size_t>(k)) *
                               static_cast<std::size_t>(d) +
                           static_cast<std::size_t>(j)];
    out.max_rhat = std::max(out.max_rhat, inference::rhat(m));
    out.min_ess = std::min(out.min_ess, inference::ess_bulk(m));
  }
  out.divergences = static_cast<int>(std::count(s.divergent.begin(), s.divergent.end(), std::uint8_t{1}));
  return out;
}

}  // namespace trustmix::evaluate
