// The model's analyses over posterior draws (analyses.hpp) against their MODEL.md
// definitions written as plain loops of forward passes on a few draws, and bit-identical
// results for every thread count.
#include <boost/test/unit_test.hpp>

#include <trustmix/mmm/analyses.hpp>
#include <trustmix/mmm/fit.hpp>
#include <trustmix/mmm/spec.hpp>

#include "draw_engine_checks.hpp"
#include "mmm_data.hpp"

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

using namespace trustmix::mmm;

namespace {

/// The model's test data (mmm_data.hpp) with a tracker every 4 periods.
TrustModelData make_data(int T, bool trust, unsigned seed) { return trustmix::test::make_data(T, trust, true, seed); }

/// n draws scattered around the model's initial point.
Matrix make_draws(const TrustModel& m, int n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> e(0.0, 0.3);
  const Vector z0 = m.initial_point();
  Matrix z(n, m.dimension());
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < m.dimension(); ++k) z(i, k) = z0[k] + e(rng);
  return z;
}

struct Extended {
  Matrix media, baseline, shocks;
};
Extended extend(const TrustModel& m, int horizon) {
  const auto& d = m.data();
  const auto T = d.media.rows();
  Extended e{Matrix::Zero(T + horizon, d.media.cols()), Matrix::Zero(T + horizon, d.baseline.cols()),
             Matrix::Zero(T + horizon, d.shocks.cols())};
  e.media.topRows(T) = d.media;
  e.baseline.topRows(T) = d.baseline;
  e.shocks.topRows(T) = d.shocks;
  return e;
}

bool close(double a, double b, double rel = 1e-10, double tol_abs = 1e-12) {
  return std::abs(a - b) <= rel * std::abs(b) + tol_abs;
}

}  // namespace

BOOST_AUTO_TEST_CASE(roi_matches_its_definition_as_a_loop_of_forward_passes) {
  for (const bool trust : {true, false}) {
    const TrustModel m(make_data(60, trust, 7));
    const Matrix z = make_draws(m, 3, 11);
    RoiSettings s;
    s.horizon = 30;
    s.window_begin = 10;
    s.window_end = 19;
    s.spend = Vector::LinSpaced(4, 100.0, 400.0);
    s.value_per_outcome = 2.5;
    s.outcome_scale = 3.0;
    s.threads = 2;
    const RoiDraws r = roi(m, z, s);
    const Extended e = extend(m, s.horizon);
    const int L = m.data().max_lag;
    for (int i = 0; i < z.rows(); ++i) {
      const Vector zi = z.row(i).transpose();
      const TrustModelParameters p = m.constrain(zi);
      const TrustModelForward full = m.forward_on(zi, e.media, e.baseline, e.shocks);
      for (int c = 0; c < 4; ++c) {
        Matrix cf = e.media, up = e.media;
        for (int t = 10; t <= 19; ++t) {
          cf(t, c) = 0.0;
          up(t, c) *= 1.01;
        }
        const TrustModelForward f0 = m.forward_on(zi, cf, e.baseline, e.shocks);
        const TrustModelForward f1 = m.forward_on(zi, up, e.baseline, e.shocks);
        double short_sum = 0.0, long_sum = 0.0, gain = 0.0;
        for (int t = 0; t < full.mu.size(); ++t) {
          const double d = (full.mu[t] - f0.mu[t]) * 3.0;
          if (t <= 19 + L) short_sum += d;
          else long_sum += d;
          gain += (f1.mu[t] - full.mu[t]) * 3.0;
        }
        const double direct = trust ? p.gamma * (full.trust_stock - f0.trust_stock).sum() * 3.0 : 0.0;
        const double amp = (full.amplification.sum() - f0.amplification.sum()) * 3.0;
        const double own = (full.conversion_own.sum() - f0.conversion_own.sum()) * 3.0;
        const double spend = s.spend[c], total = short_sum + long_sum;
        BOOST_TEST_CONTEXT("trust " << trust << " draw " << i << " channel " << c) {
          BOOST_TEST(close(r.incremental_short(i, c), short_sum));
          BOOST_TEST(close(r.incremental_long(i, c), long_sum, 1e-9, 1e-11));
          BOOST_TEST(close(r.incremental_total(i, c), total));
          BOOST_TEST(close(r.via_trust_direct(i, c), direct, 1e-9, 1e-11));
          BOOST_TEST(close(r.via_amplification(i, c), amp, 1e-9, 1e-11));
          BOOST_TEST(close(r.own(i, c), own));
          BOOST_TEST(close(r.via_trust_direct(i, c) + r.via_amplification(i, c) + r.own(i, c), total, 1e-9, 1e-11));
          BOOST_TEST(close(r.roi_short(i, c), (short_sum * 2.5 - spend) / spend));
          BOOST_TEST(close(r.roi_total(i, c), (total * 2.5 - spend) / spend));
          BOOST_TEST(close(r.marginal_roi(i, c), (gain * 2.5 - 0.01 * spend) / (0.01 * spend), 1e-8));
          if (total > 0) BOOST_TEST(close(r.cost_per_incremental(i, c), spend / total));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(roi_without_a_value_reports_cost_only) {
  const TrustModel m(make_data(40, true, 3));
  RoiSettings s;
  s.spend = Vector::Constant(4, 50.0);
  s.horizon = 10;
  const RoiDraws r = roi(m, make_draws(m, 2, 5), s);
  BOOST_TEST(r.roi_total.array().isNaN().all());
  BOOST_TEST(r.roi_short.array().isNaN().all());
  BOOST_TEST(r.marginal_roi.array().isNaN().all());
  for (int c = 0; c < 4; ++c)
    if (r.incremental_total(0, c) > 0) BOOST_TEST(close(r.cost_per_incremental(0, c), 50.0 / r.incremental_total(0, c)));
  s.value_per_outcome = -1.0;
  BOOST_CHECK_THROW((void)roi(m, make_draws(m, 1, 5), s), std::invalid_argument);
  s.value_per_outcome = 1.0;
  s.window_end = 40;
  BOOST_CHECK_THROW((void)roi(m, make_draws(m, 1, 5), s), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(response_curves_match_their_definition) {
  const TrustModel m(make_data(50, true, 9));
  const Matrix z = make_draws(m, 3, 2);
  ResponseCurveSettings s;
  s.horizon = 20;
  s.channels = {0, 2, 3, 1};  // trust, conversion, both, trust: every path of response_increments
  s.multipliers = Vector(4);
  s.multipliers << 0.0, 0.5, 1.0, 2.0;
  s.outcome_scale = 2.0;
  const auto rc = response_curves(m, z, s);
  BOOST_TEST(rc.size() == 4U);
  const Extended e = extend(m, s.horizon);
  for (int i = 0; i < z.rows(); ++i) {
    const Vector zi = z.row(i).transpose();
    for (std::size_t q = 0; q < 4; ++q) {
      const int c = s.channels[q];
      Matrix zero = e.media;
      zero.col(c).head(50).setZero();
      const double mu0 = m.forward_on(zi, zero, e.baseline, e.shocks).mu.sum();
      for (int k = 0; k < 4; ++k) {
        Matrix scaled = e.media;
        scaled.col(c).head(50) *= s.multipliers[k];
        const double inc = (m.forward_on(zi, scaled, e.baseline, e.shocks).mu.sum() - mu0) * 2.0;
        BOOST_TEST_CONTEXT("draw " << i << " channel " << c << " k " << s.multipliers[k]) {
          BOOST_TEST(close(rc[q](i, k), inc, 1e-9, 1e-11));
        }
      }
      BOOST_TEST(rc[q](i, 0) == 0.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(decomposition_is_the_mean_of_the_exact_per_draw_split) {
  const TrustModel m(make_data(50, true, 4));
  const Matrix z = make_draws(m, 70, 8);  // more than two blocks of 32 draws
  const Decomposition dec = decompose(m, z, 2.0, 2);
  Vector mu_mean = Vector::Zero(50), base = Vector::Zero(50);
  Matrix amp_press = Matrix::Zero(50, 1);
  for (int i = 0; i < z.rows(); ++i) {
    const TrustModelForward f = m.forward(z.row(i).transpose());
    mu_mean += f.mu * 2.0 / 70.0;
    base += f.base * 2.0 / 70.0;
    for (int t = 0; t < 50; ++t)
      amp_press(t, 0) += f.amplification.row(t).sum() * (f.trust_by_channel(t, 0) / f.trust_stock[t]) * 2.0 / 70.0;
  }
  const Vector total = dec.base + dec.trust_direct.rowwise().sum() + dec.amplification.rowwise().sum() +
                       dec.own.rowwise().sum();
  for (int t = 0; t < 50; ++t) {
    BOOST_TEST(close(total[t], mu_mean[t], 1e-10, 1e-12));
    BOOST_TEST(close(dec.base[t], base[t], 1e-12, 1e-12));
    BOOST_TEST(close(dec.amplification(t, 0), amp_press(t, 0), 1e-10, 1e-12));
  }
  BOOST_TEST(dec.trust_direct.cols() == 5);  // 3 trust channels, shocks, initial stock
}

BOOST_AUTO_TEST_CASE(every_analysis_is_bit_identical_for_every_thread_count) {
  const TrustModel m(make_data(60, true, 5));
  const Matrix z = make_draws(m, 41, 3);
  RoiSettings rs;
  rs.spend = Vector::Constant(4, 10.0);
  rs.value_per_outcome = 3.0;
  rs.horizon = 20;
  ResponseCurveSettings cs;
  cs.multipliers = Vector::LinSpaced(5, 0.0, 2.0);
  cs.horizon = 20;
  PredictiveSettings ps;
  ps.seed = 4;
  const Vector scale = Vector::Constant(4, 7.0);
  rs.threads = cs.threads = ps.threads = 1;
  const RoiDraws r1 = roi(m, z, rs);
  const auto c1 = response_curves(m, z, cs);
  const Decomposition d1 = decompose(m, z, 1.0, 1);
  const Matrix p1 = posterior_predictive(m, z, ps);
  const SummaryValues s1 = summary_values(m, z, 1.0, 1);
  const SaturationPoints sp1 = saturation_points(m, z, scale, 1);
  for (int threads : {2, 3, 8}) {
    rs.threads = cs.threads = ps.threads = threads;
    BOOST_TEST_CONTEXT("threads " << threads) {
      const RoiDraws r = roi(m, z, rs);
      BOOST_TEST((r.incremental_total.array() == r1.incremental_total.array()).all());
      BOOST_TEST((r.marginal_roi.array() == r1.marginal_roi.array()).all());
      BOOST_TEST((r.via_amplification.array() == r1.via_amplification.array()).all());
      const auto c = response_curves(m, z, cs);
      for (std::size_t q = 0; q < c.size(); ++q) BOOST_TEST((c[q].array() == c1[q].array()).all());
      const Decomposition d = decompose(m, z, 1.0, threads);
      BOOST_TEST((d.amplification.array() == d1.amplification.array()).all());
      BOOST_TEST((d.own.array() == d1.own.array()).all());
      BOOST_TEST((posterior_predictive(m, z, ps).array() == p1.array()).all());
      BOOST_TEST((summary_values(m, z, 1.0, threads).values.array() == s1.values.array()).all());
      BOOST_TEST(
          (saturation_points(m, z, scale, threads).saturation_at_mean.array() == sp1.saturation_at_mean.array()).all());
    }
  }
}

BOOST_AUTO_TEST_CASE(summary_values_and_saturation_points_follow_their_definitions) {
  const TrustModel m(make_data(40, true, 6));
  const Matrix z = make_draws(m, 4, 1);
  const SummaryValues s = summary_values(m, z, 5.0);
  const SaturationPoints sp = saturation_points(m, z, Vector::Constant(4, 10.0));
  for (int i = 0; i < 4; ++i) {
    const TrustModelParameters p = m.constrain(z.row(i).transpose());
    for (std::size_t q = 0; q < s.keys.size(); ++q) {
      const double v = s.values(i, static_cast<Eigen::Index>(q));
      const int k = s.index[q];
      if (s.keys[q] == "adstock_half_life") BOOST_TEST(close(v, std::log(0.5) / std::log(p.alpha[k])));
      if (s.keys[q] == "trust_half_life") BOOST_TEST(close(v, std::log(0.5) / std::log(p.delta)));
      if (s.keys[q] == "beta") BOOST_TEST(close(v, 5.0 * p.beta[k]));
      if (s.keys[q] == "gamma") BOOST_TEST(close(v, 5.0 * p.gamma));
      if (s.keys[q] == "sigma") BOOST_TEST(close(v, 5.0 * p.sigma));
    }
    for (int c = 0; c < 4; ++c) {
      BOOST_TEST(close(std::tanh(p.lam[c] * sp.half_saturation(i, c) / 10.0 / 2.0), 0.5, 1e-12));
      BOOST_TEST(close(std::tanh(p.lam[c] * sp.saturation_90(i, c) / 10.0 / 2.0), 0.9, 1e-12));
    }
  }
}

BOOST_AUTO_TEST_CASE(posterior_predictive_has_the_likelihoods_moments) {
  TrustModelData d = make_data(40, false, 2);
  const TrustModel m(d);
  const Vector z0 = m.initial_point();
  Matrix z = z0.transpose().replicate(4000, 1);
  PredictiveSettings ps;
  ps.outcome_scale = 2.0;
  const Matrix y = posterior_predictive(m, z, ps);
  const Vector mu = m.forward(z0).mu * 2.0;
  const double sigma = m.constrain(z0).sigma * 2.0;
  for (int t = 0; t < 40; t += 7) {
    const double mean = y.col(t).mean();
    const double sd = std::sqrt((y.col(t).array() - mean).square().sum() / 3999.0);
    BOOST_TEST(std::abs(mean - mu[t]) < 4.0 * sigma / std::sqrt(4000.0));
    BOOST_TEST(std::abs(sd / sigma - 1.0) < 0.06);
  }
}

BOOST_AUTO_TEST_CASE(counterfactual_splits_the_difference_exactly) {
  const TrustModel m(make_data(50, true, 12));
  const Vector z = make_draws(m, 1, 3).row(0).transpose();
  Matrix media = m.data().media;
  media.col(0).segment(10, 20).setZero();
  const Counterfactual cf = counterfactual(m, z, media, 4.0);
  const TrustModelForward f = m.forward_on(z, media, m.data().baseline, m.data().shocks);
  for (int t = 0; t < 50; ++t) {
    BOOST_TEST(close(cf.counterfactual[t], f.mu[t] * 4.0));
    BOOST_TEST(close(cf.difference_trust_direct[t] + cf.difference_amplification[t] + cf.difference_own[t], cf.difference[t],
                     1e-9, 1e-12));
  }
  media(3, 1) = -1.0;
  BOOST_CHECK_THROW((void)counterfactual(m, z, media), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(bad_draws_are_reported) {
  const TrustModel m(make_data(30, true, 1));
  Matrix z = make_draws(m, 2, 1);
  z(1, 2) = std::nan("");
  BOOST_CHECK_THROW((void)decompose(m, z), std::invalid_argument);
  BOOST_CHECK_THROW((void)mean_draws(m, Matrix(2, 3)), std::invalid_argument);
}

// ------------------------------------------------------------------ spec (spec.hpp)

namespace {

TrustModelSpec make_spec(int T) {
  TrustModelSpec s;
  s.channels = {"press", "instagram"};
  s.roles = {Role::trust, Role::conversion};
  s.media.resize(T, 2);
  s.outcome.resize(T);
  s.tracker = Vector::Constant(T, std::nan(""));
  s.controls.resize(T, 1);
  s.control_names = {"price"};
  s.shocks = Matrix::Zero(T, 1);
  s.shock_names = {"crisis"};
  s.shocks(T / 2, 0) = 1.0;
  for (int t = 0; t < T; ++t) {
    s.media(t, 0) = t % 3 == 0 ? 0.0 : 100.0 + t;
    s.media(t, 1) = 50.0 + (t % 5);
    s.outcome[t] = 200.0 + 3.0 * (t % 7);
    s.controls(t, 0) = 10.0 + (t % 4);
    if (t % 4 == 0) s.tracker[t] = 30.0 + t % 3;
  }
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(spec_builds_the_scaled_data_and_baseline_by_their_definitions) {
  const int T = 60;
  TrustModelSpec spec = make_spec(T);
  spec.seasonality = 2;
  const BuiltTrustModel b = build(spec);
  const auto& d = b.model.data();
  double press_sum = 0.0;
  int press_n = 0;
  for (int t = 0; t < T; ++t)
    if (spec.media(t, 0) > 0) {
      press_sum += spec.media(t, 0);
      ++press_n;
    }
  BOOST_TEST(close(b.scales.media_scale[0], press_sum / press_n, 1e-15));
  BOOST_TEST(close(b.scales.y_scale, spec.outcome.mean(), 1e-15));
  BOOST_TEST(close(d.media(5, 0), spec.media(5, 0) / b.scales.media_scale[0], 1e-15));
  BOOST_TEST(close(d.y[7], spec.outcome[7] / b.scales.y_scale, 1e-15));
  // intercept, trend, sin_1, cos_1, sin_2, cos_2, price
  BOOST_TEST(b.scales.baseline_names.size() == 7U);
  BOOST_TEST(b.scales.baseline_names[4] == "sin_2");
  const double P = 365.25 / 7.0;
  for (int t : {0, 13, 59}) {
    BOOST_TEST(d.baseline(t, 0) == 1.0);
    BOOST_TEST(close(d.baseline(t, 1), static_cast<double>(t) / T, 1e-15));
    BOOST_TEST(close(d.baseline(t, 4), std::sin(2 * 3.141592653589793 * 2 * t / P), 1e-12, 1e-14));
    BOOST_TEST(close(d.baseline(t, 5), std::cos(2 * 3.141592653589793 * 2 * t / P), 1e-12, 1e-14));
  }
  const double pm = spec.controls.col(0).mean();
  const double psd = std::sqrt((spec.controls.col(0).array() - pm).square().mean());
  BOOST_TEST(close(d.baseline(3, 6), (spec.controls(3, 0) - pm) / psd, 1e-14));
  BOOST_TEST(std::isnan(d.tracker[1]));
  BOOST_TEST(close(d.tracker[0] * b.scales.tracker_sd + b.scales.tracker_mean, spec.tracker[0], 1e-14));
  BOOST_TEST(close(b.spend_in(0, 9)[1], spec.media.col(1).head(10).sum(), 1e-15));
  // scaling "max"
  spec.scaling = Scaling::max;
  const BuiltTrustModel m = build(spec);
  BOOST_TEST(m.scales.media_scale[0] == spec.media.col(0).maxCoeff());
  BOOST_TEST(m.scales.y_scale == spec.outcome.maxCoeff());
}

BOOST_AUTO_TEST_CASE(spec_turns_business_term_priors_into_the_models_fields) {
  TrustModelSpec spec = make_spec(60);
  spec.trust_half_life_low = 8.0;
  spec.trust_half_life_high = 18.0;
  spec.roi_priors = {{"instagram", 0.5, 2.0}};
  BOOST_CHECK_THROW((void)build(spec), std::invalid_argument);  // a ROI needs a value per outcome
  spec.value_per_outcome = 4.0;
  const BuiltTrustModel b = build(spec);
  const auto& pr = b.model.priors();
  BOOST_TEST(close(pr.half_life_median, std::sqrt(8.0 * 18.0), 1e-14));
  BOOST_TEST(close(pr.half_life_sd_log, std::log(18.0 / 8.0) / (2 * 1.6448536269514722), 1e-14));
  BOOST_TEST(close(pr.roi_log_median[0], 0.5 * (std::log(1.5) + std::log(3.0)), 1e-14));
  BOOST_TEST(close(pr.roi_scale[0], 4.0 * b.scales.y_scale / spec.media.col(1).sum(), 1e-14));
  BOOST_TEST(b.model.roi_prior_count() == 1);
}

BOOST_AUTO_TEST_CASE(market_growth_prior_is_a_normal_on_the_trend_in_model_units) {
  // market_growth (low, high) per year as a fraction of the outcome's mean: b_trend ~
  // Normal((low + high) / 2 Y L, (high - low) / (2 z_0.95) Y L); the log density differs
  // from the default model's by exactly the two Normal terms of the trend coefficient.
  TrustModelSpec spec = make_spec(60);
  const BuiltTrustModel plain = build(spec);
  spec.market_growth_low = -0.02;
  spec.market_growth_high = 0.04;
  const BuiltTrustModel b = build(spec);
  const auto& pr = b.model.priors();
  const double years = 60 * 7.0 / 365.25, level = spec.outcome.mean() / b.scales.y_scale;
  BOOST_TEST(close(pr.baseline_prior_mean(1), 0.01 * years * level, 1e-14));
  BOOST_TEST(close(pr.baseline_prior_sd(1), 0.06 / (2 * 1.6448536269514722) * years * level, 1e-14));
  BOOST_TEST(pr.baseline_prior_mean(0) == 0.0);
  BOOST_TEST(pr.baseline_prior_sd(2) == pr.baseline_sd);
  std::mt19937_64 rng(4);
  std::normal_distribution<double> n(0.0, 0.3);
  TrustModelWorkspace ws;
  for (int rep = 0; rep < 3; ++rep) {
    Vector z = b.model.initial_point();
    for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
    Vector g(b.model.dimension()), g0(b.model.dimension()), scratch(b.model.dimension());
    const double lp = b.model.log_density(z, g, ws), lp0 = plain.model.log_density(z, g0, ws);
    const double b1 = b.model.constrain(z).b[1], m = pr.baseline_prior_mean(1), s = pr.baseline_prior_sd(1),
                 s0 = pr.baseline_sd;
    BOOST_TEST(close(lp - lp0, -0.5 * (b1 - m) * (b1 - m) / (s * s) + 0.5 * b1 * b1 / (s0 * s0), 1e-9, 1e-9));
    const double h = 1e-5;
    for (int i = 0; i < z.size(); ++i) {  // the exact gradient with the new prior
      Vector zp = z, zm = z;
      zp[i] += h;
      zm[i] -= h;
      const double fd = (b.model.log_density(zp, scratch, ws) - b.model.log_density(zm, scratch, ws)) / (2 * h);
      BOOST_TEST(close(g[i], fd, 1e-5, 1e-5), "parameter " << i);
    }
  }
  spec.link = Link::log;  // on ln(1 + growth) x years, no level
  const BuiltTrustModel lg = build(spec);
  BOOST_TEST(close(lg.model.priors().baseline_prior_mean(1), 0.5 * (std::log1p(-0.02) + std::log1p(0.04)) * years, 1e-14));
  spec.link = Link::identity;
  spec.trend = false;
  BOOST_CHECK_THROW((void)build(spec), std::invalid_argument);
  spec.trend = true;
  spec.market_growth_high = -0.05;
  BOOST_CHECK_THROW((void)build(spec), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(per_column_baseline_priors_are_checked_with_the_column) {
  // TrustModelPriors::check_baseline_priors, run by the model's constructor: a length that
  // is not the design's column count, or an sd <= 0 / non-finite mean, names the column.
  const BuiltTrustModel b = build(make_spec(60));
  const Eigen::Index K = b.model.data().baseline.cols();
  auto message = [&](const TrustModelPriors& pr) -> std::string {
    try {
      TrustModel m(b.model.data(), pr);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  TrustModelPriors pr = b.model.priors();
  pr.baseline_mean = Vector::Zero(K + 1);
  BOOST_TEST(message(pr).find("per-column baseline priors need " + std::to_string(K) + " entries") != std::string::npos,
             message(pr));
  pr.baseline_mean = Vector::Zero(K);
  pr.baseline_sd_k = Vector::Constant(K, 1.0);
  BOOST_TEST(message(pr).empty());
  pr.baseline_sd_k[1] = 0.0;
  BOOST_TEST(message(pr).find("baseline prior of column 1") != std::string::npos, message(pr));
  pr.baseline_sd_k[1] = 1.0;
  pr.baseline_mean[K - 1] = std::numeric_limits<double>::quiet_NaN();
  BOOST_TEST(message(pr).find("baseline prior of column " + std::to_string(K - 1)) != std::string::npos, message(pr));
}

BOOST_AUTO_TEST_CASE(spec_errors_name_the_column_and_row) {
  auto message = [](TrustModelSpec s) -> std::string {
    try {
      (void)build(std::move(s));
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  TrustModelSpec s = make_spec(40);
  s.media(7, 1) = -1.0;
  BOOST_TEST(message(s).find("media column 'instagram': row 7") != std::string::npos);
  s = make_spec(40);
  s.tracker[4] = std::numeric_limits<double>::infinity();
  BOOST_TEST(message(s).find("tracker: row 4") != std::string::npos);
  s = make_spec(40);
  s.outcome[3] = std::nan("");
  BOOST_TEST(message(s).find("outcome: row 3") != std::string::npos);
  s = make_spec(40);
  s.roles = {Role::conversion, Role::conversion};
  BOOST_TEST(message(s).find("at least one channel with role 'trust'") != std::string::npos);
  s.trust_enabled = false;
  BOOST_TEST(message(s).empty());
  s = make_spec(40);
  s.media.col(1).setZero();
  BOOST_TEST(message(s).find("'instagram' is all zeros") != std::string::npos);
  // Each value finite, but their sum (the outcome's scale) is not; 1e250 times is fine.
  s = make_spec(40);
  s.outcome *= 1e305;
  BOOST_TEST(message(s).find("overflow a double when summed") != std::string::npos, message(s));
  s = make_spec(40);
  s.outcome *= 1e250;
  BOOST_TEST(message(s).empty());
}

BOOST_AUTO_TEST_CASE(a_cpp_user_gets_decomposition_and_roi_from_a_spec) {
  TrustModelSpec spec = make_spec(80);
  spec.value_per_outcome = 2.0;
  const BuiltTrustModel b = build(spec);
  const MapResult fit = fit_map(b.model, b.model.initial_point());
  BOOST_TEST(std::isfinite(fit.log_density));
  const Matrix mode = fit.mode.transpose();
  const Decomposition dec = decompose(b.model, mode, b.scales.y_scale);
  const Vector mu = b.model.forward(fit.mode).mu * b.scales.y_scale;
  const Vector total = dec.base + dec.trust_direct.rowwise().sum() + dec.amplification.rowwise().sum() +
                       dec.own.rowwise().sum();
  for (int t = 0; t < 80; ++t) BOOST_TEST(close(total[t], mu[t], 1e-12, 1e-9));
  RoiSettings rs;
  rs.spend = b.spend_in();
  rs.value_per_outcome = spec.value_per_outcome;
  rs.outcome_scale = b.scales.y_scale;
  const RoiDraws r = roi(b.model, mode, rs);
  BOOST_TEST(close(r.roi_total(0, 1), (r.incremental_total(0, 1) * 2.0 - rs.spend[1]) / rs.spend[1]));
}

BOOST_AUTO_TEST_CASE(summary_table_matches_its_definition_per_quantity) {
  const TrustModel m(make_data(40, true, 6));
  const Matrix z = make_draws(m, 60, 4);  // 3 chains x 20 draws
  const SummaryTable st = summary_table(m, z, 3, 2.0, 0.9, 2);
  const SummaryValues sv = summary_values(m, z, 2.0, 1);
  BOOST_TEST(st.keys == sv.keys);
  for (Eigen::Index q = 0; q < sv.values.cols(); ++q) {
    Vector x = sv.values.col(q);
    const double mean = x.sum() / 60.0;
    double ss = 0.0;
    for (int i = 0; i < 60; ++i) ss += (x[i] - mean) * (x[i] - mean);
    std::vector<double> v(x.data(), x.data() + 60);
    std::sort(v.begin(), v.end());
    const double h = 59 * 0.05;  // numpy's linear quantile
    const auto lo = static_cast<std::size_t>(h);
    const double q05 = v[lo] + (h - static_cast<double>(lo)) * (v[lo + 1] - v[lo]);
    BOOST_TEST_CONTEXT(sv.keys[static_cast<std::size_t>(q)]) {
      BOOST_TEST(close(st.mean[q], mean, 1e-13, 1e-15));
      BOOST_TEST(close(st.sd[q], std::sqrt(ss / 59.0), 1e-12, 1e-15));
      BOOST_TEST(close(st.low[q], q05, 1e-14, 1e-15));
      Matrix by_chain(20, 3);
      for (int c = 0; c < 3; ++c) by_chain.col(c) = x.segment(20 * c, 20);
      BOOST_TEST(st.r_hat[q] == trustmix::inference::rhat(by_chain));
      BOOST_TEST(st.ess_bulk[q] == trustmix::inference::ess_bulk(by_chain));
    }
  }
  BOOST_CHECK_THROW((void)summary_table(m, z, 7), std::invalid_argument);
}

// ---- the fast paths behind the analyses (issue 13's benchmark) -----------------------

BOOST_AUTO_TEST_CASE(response_curves_without_trust_match_their_definition) {
  const TrustModel m(make_data(45, false, 12));
  const Matrix z = make_draws(m, 3, 5);
  ResponseCurveSettings s;
  s.horizon = 15;
  s.multipliers = Vector::LinSpaced(3, 0.5, 1.5);
  const auto rc = response_curves(m, z, s);
  const Extended e = extend(m, s.horizon);
  for (int i = 0; i < z.rows(); ++i)
    for (int c = 0; c < 4; ++c) {
      Matrix zero = e.media;
      zero.col(c).head(45).setZero();
      const double mu0 = m.forward_on(z.row(i).transpose(), zero, e.baseline, e.shocks).mu.sum();
      for (int k = 0; k < 3; ++k) {
        Matrix scaled = e.media;
        scaled.col(c).head(45) *= s.multipliers[k];
        const double inc = m.forward_on(z.row(i).transpose(), scaled, e.baseline, e.shocks).mu.sum() - mu0;
        BOOST_TEST(close(rc[static_cast<std::size_t>(c)](i, k), inc, 1e-9, 1e-11));
      }
    }
}

BOOST_AUTO_TEST_CASE(vectorised_adstock_sum_is_the_direct_sum_bit_for_bit) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 3.0);
  for (int T : {0, 1, 5, 13, 16, 17, 40, 157})
    for (int L1 : {1, 2, 7, 13, 20}) {
      Vector x(T), w(L1), y(T);
      for (int t = 0; t < T; ++t) x[t] = t % 5 == 0 ? 0.0 : u(rng);
      for (int l = 0; l < L1; ++l) w[l] = u(rng);
      detail::convolve(x, w, y);
      for (int t = 0; t < T; ++t) {
        double acc = 0.0;  // TrustModel::convolve's order: l ascending from 0.0
        for (int l = 0; l <= std::min(t, L1 - 1); ++l) acc += w[l] * x[t - l];
        BOOST_TEST_CONTEXT("T " << T << " L+1 " << L1 << " t " << t) { BOOST_TEST(y[t] == acc); }
      }
    }
}

using trustmix::test::check_constrain_bits;

BOOST_AUTO_TEST_CASE(draw_engine_constrain_is_the_models_constrain_bit_for_bit) {
  for (const bool trust : {true, false}) {
    BOOST_TEST_CONTEXT("trust " << trust) {
      const TrustModel m(make_data(57, trust, 21));
      check_constrain_bits(m, make_draws(m, 30, 9));
    }
  }
  TrustModelData no_tracker = make_data(33, true, 2);
  no_tracker.tracker = Vector();
  const TrustModel m2(no_tracker);
  check_constrain_bits(m2, make_draws(m2, 20, 1));
  // Business-term priors: a conversion channel's beta derived from its ROI.
  TrustModelSpec spec = make_spec(60);
  spec.roi_priors = {{"instagram", 0.5, 2.0}};
  spec.value_per_outcome = 4.0;
  const BuiltTrustModel b = build(spec);
  BOOST_TEST(b.model.roi_prior_count() == 1);
  check_constrain_bits(b.model, make_draws(b.model, 20, 4));
}

namespace {
/// numpy.quantile(x, prob) of sorted x as numpy (>= 1.22) writes it: virtual index
/// (n - 1) prob, gamma its fractional part, and _lerp(a, b, gamma), which is
/// a + gamma (b - a) for gamma < 1/2 and b - (b - a)(1 - gamma) otherwise.
double numpy_quantile(const std::vector<double>& sorted, double prob) {
  const double index = (static_cast<double>(sorted.size()) - 1.0) * prob;
  const double below = std::floor(index), gamma = index - below;
  const auto i = static_cast<std::size_t>(below);
  const double a = sorted[i], b = sorted[std::min(i + 1, sorted.size() - 1)];
  const double diff = b - a;
  return gamma >= 0.5 ? b - diff * (1.0 - gamma) : a + diff * gamma;
}
bool same_bits(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }
}  // namespace

BOOST_AUTO_TEST_CASE(summary_diagnostics_are_those_of_inference_with_ties_and_odd_chains) {
  namespace inf = trustmix::inference;
  std::mt19937_64 rng(8);
  std::normal_distribution<double> e(0.0, 1.0);
  for (const int per_chain : {20, 21, 4, 5, 400})
    for (const int chains : {1, 3, 4})
      for (const bool ties : {false, true}) {
        const int n = per_chain * chains;
        Vector x(n);
        for (int i = 0; i < n; ++i) {
          x[i] = e(rng) + 0.3 * (i / per_chain);  // chains that disagree a little
          if (ties) x[i] = std::round(4.0 * x[i]) / 4.0;  // many tied values, also at the median
        }
        const auto S = inf::detail::split_size(per_chain, chains);
        const std::vector<double> scores = inf::detail::rank_normal_scores(S);
        detail::RankScratch scratch;
        const auto dq = detail::quantity_diagnostics(x, per_chain, chains, 0.05, 0.95, scores, scratch);
        std::vector<double> sorted(x.data(), x.data() + n);
        std::sort(sorted.begin(), sorted.end());
        const Matrix by_chain = Eigen::Map<const Matrix>(x.data(), per_chain, chains);
        BOOST_TEST_CONTEXT("per chain " << per_chain << ", chains " << chains << ", ties " << ties) {
          BOOST_TEST(dq.low == numpy_quantile(sorted, 0.05));
          BOOST_TEST(dq.high == numpy_quantile(sorted, 0.95));
          BOOST_TEST(same_bits(dq.r_hat, inf::rhat(by_chain)));
          BOOST_TEST(same_bits(dq.ess_bulk, inf::ess_bulk(by_chain)));  // NaN for 2 draws per split chain
          std::vector<double> work;
          for (const double prob : {0.0, 0.05, 0.5, 0.9, 1.0})
            BOOST_TEST(detail::quantile_select(x, prob, work) == numpy_quantile(sorted, prob));
        }
      }
  // Constant draws: the interval is the value, R-hat and ESS are NaN; a NaN makes the interval NaN.
  detail::RankScratch scratch;
  const Vector c = Vector::Constant(40, 2.5);
  const auto dc = detail::quantity_diagnostics(c, 10, 4, 0.05, 0.95, inf::detail::rank_normal_scores(40), scratch);
  BOOST_TEST(dc.low == 2.5);
  BOOST_TEST(dc.high == 2.5);
  BOOST_TEST(std::isnan(dc.r_hat));
  BOOST_TEST(std::isnan(dc.ess_bulk));
  Vector withnan = Vector::LinSpaced(40, 0.0, 1.0);
  withnan[7] = std::nan("");
  const auto dn = detail::quantity_diagnostics(withnan, 10, 4, 0.05, 0.95, inf::detail::rank_normal_scores(40), scratch);
  BOOST_TEST(std::isnan(dn.low));
  BOOST_TEST(std::isnan(dn.r_hat));
}

BOOST_AUTO_TEST_CASE(summary_table_is_bit_identical_for_every_thread_count) {
  const TrustModel m(make_data(50, true, 13));
  const Matrix z = make_draws(m, 4 * 37, 6);  // odd chain length
  const SummaryTable t1 = summary_table(m, z, 4, 3.0, 0.8, 1);
  for (int threads : {2, 3, 8}) {
    const SummaryTable t = summary_table(m, z, 4, 3.0, 0.8, threads);
    BOOST_TEST_CONTEXT("threads " << threads) {
      for (const auto& [a, b] : {std::pair{&t.mean, &t1.mean},
                                 {&t.sd, &t1.sd},
                                 {&t.low, &t1.low},
                                 {&t.high, &t1.high},
                                 {&t.r_hat, &t1.r_hat},
                                 {&t.ess_bulk, &t1.ess_bulk}})
        BOOST_TEST((a->array() == b->array()).all());
    }
  }
}

BOOST_AUTO_TEST_CASE(column_summaries_are_numpys_mean_and_quantiles) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> e(0.0, 1.0);
  Matrix x(37, 5);
  for (Eigen::Index c = 0; c < 5; ++c)
    for (Eigen::Index i = 0; i < 37; ++i) x(i, c) = std::exp(e(rng)) * static_cast<double>(c + 1);
  x(3, 1) = std::nan("");
  x(4, 1) = std::nan("");
  x.col(2).setConstant(std::nan(""));
  for (const bool skip : {false, true}) {
    const ColumnSummary s = summarize_columns(x, 0.05, 0.95, skip, 1);
    const ColumnSummary s2 = summarize_columns(x, 0.05, 0.95, skip, 3);
    for (Eigen::Index c = 0; c < 5; ++c) {
      BOOST_TEST_CONTEXT("column " << c << " skip_nan " << skip) {
        double sum = 0.0;
        std::vector<double> v;
        for (Eigen::Index i = 0; i < 37; ++i) {
          sum += x(i, c);
          if (!std::isnan(x(i, c))) v.push_back(x(i, c));
        }
        BOOST_TEST((std::isnan(sum) ? std::isnan(s.mean[c]) : s.mean[c] == sum / 37.0));
        std::sort(v.begin(), v.end());
        const bool any_nan = v.size() < 37;
        if ((any_nan && !skip) || v.empty()) {
          BOOST_TEST(std::isnan(s.low[c]));
          BOOST_TEST(std::isnan(s.high[c]));
        } else {
          BOOST_TEST(s.low[c] == numpy_quantile(v, 0.05));
          BOOST_TEST(s.high[c] == numpy_quantile(v, 0.95));
        }
        BOOST_TEST((s2.low[c] == s.low[c] || (std::isnan(s2.low[c]) && std::isnan(s.low[c]))));
      }
    }
  }
  BOOST_CHECK_THROW((void)summarize_columns(x, -0.1, 0.9), std::invalid_argument);
  BOOST_CHECK_THROW((void)summarize_columns(Matrix(0, 3), 0.1, 0.9), std::invalid_argument);
}
