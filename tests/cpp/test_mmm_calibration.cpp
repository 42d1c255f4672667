// Calibration of the trust-linked model by lift tests (calibration.hpp): the lift term's
// exact gradient against central differences (both trust forms, with and without
// tracker, a standard MMM, total and per-period lifts, holdouts), the term equal to the
// Normal density of the forward passes' predicted lift, that prediction equal to a
// closed form, the build() conversion from business units and bad input; reach-and-frequency channels;
// an evaluate::LiftTest's measured periods; predicted_lift_draws on every thread count.
#include <boost/test/unit_test.hpp>

#include <Eigen/Cholesky>

#include <trustmix/evaluate/lift_test.hpp>
#include <trustmix/mmm/calibration.hpp>
#include <trustmix/mmm/fit.hpp>
#include <trustmix/mmm/spec.hpp>
#include <trustmix/mmm/trust_model.hpp>

#include "mmm_data.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <sstream>

using namespace trustmix::mmm;
using trustmix::test::check_gradient;  // mmm_data.hpp
using trustmix::test::make_data;

namespace {

LiftCalibration lift(int channel, int start, int end, int cooldown, double share, std::vector<double> values,
                     double variance) {
  LiftCalibration t;
  t.channel = channel;
  t.start = start;
  t.end = end;
  t.cooldown = cooldown;
  t.share = share;
  t.lift = Eigen::Map<const Vector>(values.data(), static_cast<Eigen::Index>(values.size()));
  t.variance = Vector::Constant(t.lift.size(), variance);
  return t;
}

/// Tests on every kind of channel of make_data (0 press: trust; 2 instagram: conversion;
/// 3 tiktok: both): totals, a per-period lift through a cooldown, a holdout (share < 0),
/// a partial share, two tests on one channel.
std::vector<LiftCalibration> all_kinds() {
  return {lift(0, 10, 14, 3, 1.0, {0.4}, 0.04), lift(2, 20, 24, 0, 0.5, {0.3}, 0.01),
          lift(3, 30, 33, 2, 1.0, {0.1, 0.2, 0.05, 0.1, 0.0}, 0.02), lift(3, 40, 44, 4, -0.25, {-0.2}, 0.05),
          lift(2, 50, 53, 1, 1.0, {0.5}, 0.03)};
}

double normal_log_density(double x, double mean, double variance) {
  return -0.5 * (x - mean) * (x - mean) / variance - 0.5 * std::log(2.0 * std::numbers::pi * variance);
}

/// make_data(60, trust, true, 5) calibrated by `spec` (values x 1e-3: model units) on
/// channel 2 (instagram) with share 0.25 over [20, 26), at a random point z (seed), and the
/// forward passes' difference mu - mu_cf for that counterfactual (activity x 0.75 there).
struct CalibratedCase {
  TrustModelData data;
  TrustModel model;
  Vector z, diff;
};
CalibratedCase calibrated_case(LiftTestSpec spec, bool trust, unsigned seed) {
  TrustModelData d = make_data(60, trust, true, 5);
  spec.lift *= 1e-3;
  spec.standard_error *= 1e-3;
  const std::vector<std::string> names = {"press", "radio", "instagram", "tiktok"};
  d.lift_tests = lift_calibrations({spec}, names, 1.0);
  TrustModel m(d);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0.0, 0.4);
  Vector z = m.initial_point();
  for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
  Matrix cf = d.media;
  cf.col(2).segment(20, 6) *= 0.75;
  Vector diff = m.forward(z).mu - m.forward_with_media(z, cf).mu;
  return {d, m, z, diff};
}

}  // namespace

BOOST_AUTO_TEST_CASE(lift_term_gradient_matches_finite_differences) {
  for (TrustForm form : {TrustForm::linear, TrustForm::bounded})
    for (bool trust : {true, false})
      for (bool tracker : {true, false}) {
        if (!trust && form == TrustForm::bounded) continue;
        TrustModelData d = make_data(60, trust, tracker, 3);
        d.trust_form = form;
        d.lift_tests = all_kinds();
        TrustModel m(d);
        std::mt19937_64 rng(7);
        std::normal_distribution<double> n(0.0, 0.5);
        for (int rep = 0; rep < 3; ++rep) {
          Vector z = m.initial_point();
          for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
          std::ostringstream label;
          label << to_string(form) << " trust " << trust << " tracker " << tracker << " rep " << rep;
          check_gradient(m, z, label.str());
        }
      }
}

BOOST_AUTO_TEST_CASE(lift_term_is_the_normal_density_of_the_forward_prediction) {
  // log p(z | tests) - log p(z | no tests) = sum over values of log Normal(lift | pred,
  // sqrt(variance)), pred from two forward passes (predicted_lifts), for both forms.
  for (TrustForm form : {TrustForm::linear, TrustForm::bounded})
    for (bool trust : {true, false}) {
      if (!trust && form == TrustForm::bounded) continue;
      TrustModelData d = make_data(60, trust, true, 4);
      d.trust_form = form;
      TrustModel bare(d);
      d.lift_tests = all_kinds();
      TrustModel cal(d);
      std::mt19937_64 rng(3);
      std::normal_distribution<double> n(0.0, 0.4);
      Vector z = cal.initial_point();
      for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
      Vector g(cal.dimension());
      const double diff = cal.log_density(z, g) - bare.log_density(z, g);
      const Vector pred = predicted_lifts(cal, z);
      double want = 0.0;
      Eigen::Index k = 0;
      for (const LiftCalibration& t : d.lift_tests)
        for (Eigen::Index i = 0; i < t.lift.size(); ++i, ++k) want += normal_log_density(t.lift[i], pred[k], t.variance[i]);
      BOOST_TEST_CONTEXT(to_string(form) << " trust " << trust) {
        BOOST_TEST(k == pred.size());
        BOOST_TEST(diff == want, boost::test_tools::tolerance(1e-9));
        // predicted_lift_draws is predicted_lifts row by row, in the outcome's units
        Matrix draws(2, z.size());
        draws.row(0) = z.transpose();
        draws.row(1) = (z.array() + 0.1).matrix().transpose();
        const Matrix pd = predicted_lift_draws(cal, draws, 3.0);
        BOOST_TEST((pd.row(0).transpose() - 3.0 * pred).cwiseAbs().maxCoeff() <= 1e-12);
        BOOST_TEST((pd.row(1).transpose() - 3.0 * predicted_lifts(cal, draws.row(1).transpose())).cwiseAbs().maxCoeff() <=
                   1e-12);
      }
    }
}

BOOST_AUTO_TEST_CASE(predicted_lift_has_its_closed_form) {
  // Linear form, a test that removes all of the press (trust-only) activity over [10, 14),
  // measured over [10, 17): G - G_cf is the linear recursion of the removed inflow
  // kappa_0 (h - h_cf) from 0 with no shocks, so mu - mu_cf = (gamma + theta sum_s beta_s
  // h_s) (G - G_cf), with h_cf the adstock of the counterfactual activity saturated.
  TrustModelData d = make_data(60, true, false, 8);
  d.lift_tests = {lift(0, 10, 14, 3, 1.0, {0.4}, 0.04), lift(2, 20, 24, 2, 1.0, {0.1}, 0.04)};
  TrustModel m(d);
  std::mt19937_64 rng(1);
  std::normal_distribution<double> n(0.0, 0.4);
  Vector z = m.initial_point();
  for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
  const TrustModelParameters p = m.constrain(z);
  const auto f = m.forward(z);
  auto saturated = [&](int c, const Vector& x) {
    Vector w(d.max_lag + 1), h(60);
    double W = 0.0;
    for (int l = 0; l <= d.max_lag; ++l) W += w[l] = std::pow(p.alpha[c], l);
    for (int t = 0; t < 60; ++t) {
      double a = 0.0;
      for (int l = 0; l <= d.max_lag && l <= t; ++l) a += w[l] * x[t - l] / W;
      h[t] = (1.0 - std::exp(-p.lam[c] * a)) / (1.0 + std::exp(-p.lam[c] * a));
    }
    return h;
  };
  // press: kappa index 0 (trust channels 0, 1, 3)
  Vector x = d.media.col(0);
  x.segment(10, 4).setZero();
  const Vector dh = f.saturated.col(0) - saturated(0, x);
  double dG = 0.0, want_press = 0.0;
  for (int t = 0; t < 17; ++t) {
    dG = p.delta * dG + (1.0 - p.delta) * p.kappa[0] * dh[t];
    const double conv = p.beta[0] * f.saturated(t, 2) + p.beta[1] * f.saturated(t, 3);
    if (t >= 10) want_press += (p.gamma + p.theta * conv) * dG;
  }
  // instagram (conversion only): beta (1 + theta G) (h - h_cf) over [20, 26)
  Vector xi = d.media.col(2);
  xi.segment(20, 4).setZero();
  const Vector dhi = f.saturated.col(2) - saturated(2, xi);
  double want_ig = 0.0;
  for (int t = 20; t < 26; ++t) want_ig += p.beta[0] * (1.0 + p.theta * f.trust_stock[t]) * dhi[t];
  const Vector pred = predicted_lifts(m, z);
  BOOST_TEST(pred[0] == want_press, boost::test_tools::tolerance(1e-10));
  BOOST_TEST(pred[1] == want_ig, boost::test_tools::tolerance(1e-10));
  BOOST_TEST(want_press > 0.0);
  BOOST_TEST(want_ig > 0.0);
}

BOOST_AUTO_TEST_CASE(map_moves_towards_the_measured_lift) {
  // A precise test that says the instagram effect over [20, 30) is 3x what the data alone
  // imply pulls the MAP's predicted lift most of the way there (it cannot ignore a test
  // with a standard error 2% of the lift).
  TrustModelData d = make_data(80, true, true, 2);
  TrustModel bare(d);
  const MapResult r0 = fit_map(bare, bare.initial_point());
  d.lift_tests = {lift(2, 20, 30, 2, 1.0, {0.0}, 1.0)};
  const double base_pred = predicted_lifts(TrustModel(d), r0.mode)[0];
  BOOST_REQUIRE(base_pred > 0.0);
  const double target = 3.0 * base_pred;
  d.lift_tests[0].lift[0] = target;
  d.lift_tests[0].variance[0] = std::pow(0.02 * target, 2);
  TrustModel cal(d);
  const MapResult r1 = fit_map(cal, r0.mode);
  const double pred = predicted_lifts(cal, r1.mode)[0];
  BOOST_TEST_MESSAGE("uncalibrated " << base_pred << ", calibrated " << pred << ", measured " << target);
  BOOST_TEST(std::abs(pred - target) < 0.25 * std::abs(base_pred - target));
}

BOOST_AUTO_TEST_CASE(build_converts_business_units) {
  const int T = 60;
  TrustModelData d = make_data(T, true, false, 5);
  TrustModelSpec spec;
  spec.channels = {"press", "events", "instagram", "tiktok"};
  spec.roles = {Role::trust, Role::trust, Role::conversion, Role::both};
  spec.media = d.media * 1000.0;
  spec.outcome = (d.y * 250.0).array() + 100.0;
  spec.seasonality = 1;
  LiftTestSpec a;
  a.channel = "instagram";
  a.start = 20;
  a.end = 24;
  a.cooldown = 2;
  a.lift = Vector::Constant(1, 500.0);
  a.standard_error = Vector::Constant(1, 100.0);
  LiftTestSpec b;  // iROAS form, absolute transfer sd
  b.channel = "press";
  b.start = 5;
  b.end = 9;
  b.iroas = 0.5;
  b.iroas_standard_error = 0.1;
  b.spend = 2000.0;
  b.transfer_sd = 30.0;
  spec.lift_tests = {a, b};
  const BuiltTrustModel built = build(spec);
  const auto& tests = built.model.data().lift_tests;
  BOOST_REQUIRE(tests.size() == 2u);
  const double ys = built.scales.y_scale;
  BOOST_TEST(tests[0].channel == 2);
  BOOST_TEST(tests[0].lift[0] == 500.0 / ys, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(tests[0].variance[0] == (100.0 * 100.0 + 50.0 * 50.0) / (ys * ys), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(tests[1].channel == 0);
  BOOST_TEST(tests[1].lift[0] == 1000.0 / ys, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(tests[1].variance[0] == (200.0 * 200.0 + 30.0 * 30.0) / (ys * ys), boost::test_tools::tolerance(1e-14));
  // predicted lift in outcome units scales with the outcome: the same as in model units x y_scale
  const Vector z = built.model.initial_point();
  BOOST_TEST((predicted_lifts(built.model, z, ys) - ys * predicted_lifts(built.model, z)).cwiseAbs().maxCoeff() <= 1e-9);

  // bad input: named test, what was expected
  auto fails_with = [&](LiftTestSpec t, const std::string& needle) {
    TrustModelSpec s = spec;
    s.lift_tests = {t};
    try {
      (void)build(s);
    } catch (const std::invalid_argument& e) {
      BOOST_TEST_CONTEXT("message: " << e.what()) { BOOST_TEST(std::string(e.what()).find(needle) != std::string::npos); }
      return;
    }
    BOOST_ERROR("no error for " << needle);
  };
  LiftTestSpec bad = a;
  bad.channel = "radio";
  fails_with(bad, "'radio' is not a channel of the model");
  bad = a;
  bad.standard_error[0] = 0.0;
  fails_with(bad, "standard_error value 0 is 0");
  bad = a;
  bad.end = T + 1;
  fails_with(bad, "must satisfy 0 <= start < end <= 60");
  bad = a;
  bad.cooldown = T;
  fails_with(bad, "shorten the cooldown");
  bad = a;
  bad.share = 1.5;
  fails_with(bad, "share must be a finite number <= 1");
  bad = a;
  bad.lift = Vector::Constant(3, 1.0);
  bad.standard_error = Vector::Constant(3, 1.0);
  fails_with(bad, "lift needs 1 value (the total) or one per measured period (6)");
  bad = b;
  bad.spend = std::nan("");
  fails_with(bad, "an iROAS needs the test's spend");
  bad = a;
  bad.start = 6;  // instagram (column 2) is off where (t + 2) % 4 == 0
  bad.end = 7;
  bad.cooldown = 0;
  BOOST_REQUIRE(spec.media(6, 2) == 0.0);
  fails_with(bad, "no activity in the data over the test window");
}

BOOST_AUTO_TEST_CASE(week_by_week_lift_pins_the_trust_decay) {
  // A press test (trust-only channel) over [20, 24) measured week by week for 20 more
  // weeks: after the adstock window the lift decays as delta^k (linear form), so precise
  // per-period lifts pin delta. The lifts are the model's own at delta = 0.8 (half-life 3.1 weeks, far
  // from the prior's median of 12 weeks, delta 0.944); the calibrated MAP recovers it,
  // the uncalibrated one does not.
  for (TrustForm form : {TrustForm::linear, TrustForm::bounded}) {
    TrustModelData d = make_data(80, true, true, 2);
    d.trust_form = form;
    d.lift_tests = {lift(0, 20, 24, 20, 1.0, std::vector<double>(24, 0.0), 1.0)};
    TrustModel probe(d);
    const auto& names = probe.parameter_names();
    const auto at = static_cast<Eigen::Index>(std::find(names.begin(), names.end(), "logit_delta") - names.begin());
    BOOST_REQUIRE(at < probe.dimension());
    const MapResult base = fit_map(probe, probe.initial_point());  // the lift term at lift 0, variance 1: weak
    Vector z_true = base.mode;
    z_true[at] = std::log(0.8 / 0.2);
    const Vector pred = predicted_lifts(probe, z_true);
    const double scale = pred.cwiseAbs().maxCoeff();
    BOOST_REQUIRE(scale > 0.0);
    d.lift_tests[0].lift = pred;
    d.lift_tests[0].variance = Vector::Constant(24, std::pow(0.01 * scale, 2));
    TrustModel cal(d);
    TrustModelData bare_data = d;
    bare_data.lift_tests.clear();
    TrustModel bare(bare_data);

    const double delta_bare = bare.constrain(fit_map(bare, bare.initial_point()).mode).delta;
    check_gradient(cal, base.mode, std::string("precise per-period lifts at the uncalibrated mode, ") + to_string(form));
    const MapResult r_cal = fit_map(cal, cal.initial_point());
    const Vector z_cal = r_cal.mode, z_bare = fit_map(bare, bare.initial_point()).mode;
    const double delta_cal = cal.constrain(z_cal).delta;
    {
      Vector g(cal.dimension());
      BOOST_TEST_MESSAGE("lp at the truth " << cal.log_density(z_true, g) << ", at the calibrated mode " << r_cal.log_density
                                            << " converged " << r_cal.converged << " " << r_cal.message << " iterations "
                                            << r_cal.iterations);
    }
    const double err_cal = (predicted_lifts(cal, z_cal) - pred).cwiseAbs().maxCoeff() / scale;
    const double err_bare = (predicted_lifts(cal, z_bare) - pred).cwiseAbs().maxCoeff() / scale;
    BOOST_TEST_MESSAGE(to_string(form) << ": delta calibrated " << delta_cal << ", uncalibrated " << delta_bare
                                       << ", truth 0.8; largest lift error / largest lift: calibrated " << err_cal
                                       << ", uncalibrated " << err_bare);
    BOOST_TEST(err_cal < 0.03);  // the measured decay is reproduced (lifts to 3 of their 1% errors)
    BOOST_TEST(err_bare > 0.1);
    if (form == TrustForm::linear) {
      BOOST_TEST(std::abs(delta_cal - 0.8) < 0.02);
      BOOST_TEST(std::abs(delta_bare - 0.8) > 0.05);
    } else {
      // Bounded form: the difference decays by delta exp(-rho u[t]) per period (the other
      // channels' inflow speeds up forgetting), so the lifts pin that product, with rho
      // traded against delta; delta still moves towards the truth.
      BOOST_TEST(std::abs(delta_cal - 0.8) < std::abs(delta_bare - 0.8));
    }
  }
}

BOOST_AUTO_TEST_CASE(lift_tests_on_reach_and_frequency_channels) {
  // An RF channel's counterfactual scales its reach in the window and keeps its frequency;
  // h = Adstock(r g(f)) is linear in the reach, so the predicted lift is linear in share
  // (a closed form the saturating channels do not have), the term is the Normal density of
  // the forward passes' prediction, and its gradient (alpha, ln ec / ln rate, ln slope,
  // beta, theta, gamma) matches central differences, for both RF forms.
  for (RfForm form : {RfForm::hill, RfForm::exposure})
    for (bool trust : {true, false}) {
      TrustModelData d = make_data(60, trust, true, 3);
      d.rf = {RfForm::none, RfForm::none, form, RfForm::none};  // instagram (conversion) given as reach
      d.frequency = Matrix::Constant(60, 4, 1.0);
      for (int t = 0; t < 60; ++t) d.frequency(t, 2) = 1.0 + 0.05 * (t % 7);
      TrustModel bare(d);
      d.lift_tests = {lift(2, 20, 24, 0, 1.0, {0.3}, 0.01), lift(2, 30, 33, 2, 0.5, {0.1, 0.2, 0.05, 0.1, 0.0}, 0.02),
                      lift(2, 40, 44, 3, -0.25, {-0.2}, 0.05), lift(3, 50, 53, 1, 1.0, {0.5}, 0.03)};
      TrustModel m(d);
      BOOST_TEST_CONTEXT(to_string(form) << " trust " << trust) {
        std::mt19937_64 rng(11);
        std::normal_distribution<double> n(0.0, 0.4);
        for (int rep = 0; rep < 2; ++rep) {
          Vector z = m.initial_point();
          for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
          check_gradient(m, z,
                         std::string("RF ") + to_string(form) + (trust ? " trust" : "") + " rep " + std::to_string(rep));
          Vector g(m.dimension());
          const double diff = m.log_density(z, g) - bare.log_density(z, g);
          const Vector pred = predicted_lifts(m, z);
          double want = 0.0;
          Eigen::Index k = 0;
          for (const LiftCalibration& t : d.lift_tests)
            for (Eigen::Index i = 0; i < t.lift.size(); ++i, ++k)
              want += normal_log_density(t.lift[i], pred[k], t.variance[i]);
          BOOST_TEST(diff == want, boost::test_tools::tolerance(1e-9));
          // linear in share: the holdout (share -0.25) predicts -0.25 x the lift of share 1
          TrustModelData d1 = d;
          d1.lift_tests = {lift(2, 40, 44, 3, 1.0, {-0.2}, 0.05)};
          const double full = predicted_lifts(TrustModel(d1), z)[0];
          BOOST_TEST(std::abs(full) > 1e-6);
          BOOST_TEST(pred[6] == -0.25 * full, boost::test_tools::tolerance(1e-9));
        }
      }
    }
}

BOOST_AUTO_TEST_CASE(an_evaluate_lift_test_carries_its_measured_periods) {
  // as_lift_test: the fit's post window [20, 29) is the measured window; with
  // cooldown_measured its last 3 periods are the cooldown (activity changed over [20, 26)),
  // without it the activity changed over the whole window and the cooldown is unmeasured.
  namespace ev = trustmix::evaluate;
  ev::SyntheticControlFit fit;
  fit.treated = {0, 1};
  fit.start = 20;
  fit.end = 29;
  fit.incremental = 500.0;
  fit.lift = 0.05;
  ev::ConformalResult ci;
  ci.lower = 10.0;
  ci.upper = 40.0;
  ci.alpha = 0.1;
  const ev::LiftTest measured = ev::as_lift_test(fit, ci, "instagram", 1000.0, 3, true);
  BOOST_TEST(measured.start == 20);
  BOOST_TEST(measured.end == 26);
  BOOST_TEST(measured.measured_end == 29);
  BOOST_TEST(measured.cooldown == 3);
  const ev::LiftTest window = ev::as_lift_test(fit, ci, "instagram", 1000.0, 3, false);
  BOOST_TEST(window.end == 29);
  BOOST_TEST(window.measured_end == 29);
  BOOST_CHECK_THROW((void)ev::as_lift_test(fit, ci, "instagram", 1000.0, 9, true), std::invalid_argument);
  const LiftTestSpec s = lift_test_spec(measured, 0.25);
  BOOST_TEST(s.start == 20);
  BOOST_TEST(s.end == 26);
  BOOST_TEST(s.cooldown == 3);
  BOOST_TEST(s.share == 0.25);
  BOOST_TEST(s.lift[0] == 500.0);
  BOOST_TEST(s.standard_error[0] == measured.standard_error);
  BOOST_TEST(lift_test_spec(window).cooldown == 0);
  ev::LiftTest bad = measured;
  bad.measured_end = 25;
  BOOST_CHECK_THROW((void)lift_test_spec(bad), std::invalid_argument);

  // The model predicts the lift over exactly [20, 29): the forward passes' difference
  // summed over those periods (and not the window alone: the carry-over counts).
  for (bool trust : {true, false}) {
    CalibratedCase k = calibrated_case(s, trust, 5);
    const TrustModelData& d = k.data;
    TrustModel& m = k.model;
    const Vector& z = k.z;
    const Vector& diff = k.diff;
    const double pred = predicted_lifts(m, z)[0];
    BOOST_TEST_CONTEXT("trust " << trust << ": predicted " << pred << ", over [20, 29) " << diff.segment(20, 9).sum()
                                << ", over the window " << diff.segment(20, 6).sum()) {
      BOOST_TEST(std::abs(pred - diff.segment(20, 9).sum()) <= 1e-12 * (1.0 + std::abs(pred)));
      BOOST_TEST(std::abs(diff.segment(26, 3).sum()) > 1e-4);  // the cooldown's carry-over is not nothing
      // and the term's own prediction (log density) is the Normal density of that sum
      TrustModelData d0 = d;
      d0.lift_tests.clear();
      Vector g(m.dimension());
      const double term = m.log_density(z, g) - TrustModel(d0).log_density(z, g);
      const LiftCalibration& c = d.lift_tests[0];
      BOOST_TEST(term == normal_log_density(c.lift[0], diff.segment(20, 9).sum(), c.variance[0]),
                 boost::test_tools::tolerance(1e-9));
      check_gradient(m, z, std::string("evaluate lift test with a measured cooldown, trust ") + (trust ? "on" : "off"));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_per_period_evaluate_lift_test_gives_one_term_per_measured_period) {
  // as_period_lift_test over the window [20, 29) with its last 3 periods the cooldown: the
  // spec carries the 9 periods' lifts and standard errors, the model predicts each
  // period's lift (the forward passes' difference in that period) and the term is the sum
  // of the 9 Normal densities, with exact gradients.
  namespace ev = trustmix::evaluate;
  ev::SyntheticControlFit fit;
  fit.treated = {0, 1};
  fit.start = 20;
  fit.end = 29;
  fit.effect = Vector::Zero(29);
  for (int j = 0; j < 9; ++j) fit.effect[20 + j] = 30.0 - 3.0 * j;
  fit.incremental = 2.0 * fit.effect.segment(20, 9).sum();
  fit.lift = 0.05;
  ev::ConformalResult ci;
  ci.lower = 10.0;
  ci.upper = 40.0;
  ci.alpha = 0.1;
  ci.pointwise_lower = fit.effect.segment(20, 9).array() - 8.0;
  ci.pointwise_upper = fit.effect.segment(20, 9).array() + 8.0;
  const ev::LiftTest t = ev::as_period_lift_test(fit, ci, "instagram", 1000.0, 3, true);
  const LiftTestSpec s = lift_test_spec(t, 0.25);
  BOOST_REQUIRE(s.lift.size() == 9);
  BOOST_TEST(s.cooldown == 3);
  BOOST_TEST((s.lift - 2.0 * fit.effect.segment(20, 9)).cwiseAbs().maxCoeff() == 0.0);
  BOOST_TEST((s.standard_error - t.period_standard_error).cwiseAbs().maxCoeff() == 0.0);
  for (bool trust : {true, false}) {
    CalibratedCase k = calibrated_case(s, trust, 7);
    const TrustModelData& d = k.data;
    TrustModel& m = k.model;
    const Vector& z = k.z;
    const Vector& diff = k.diff;
    const Vector pred = predicted_lifts(m, z);
    BOOST_REQUIRE(pred.size() == 9);
    BOOST_TEST((pred - diff.segment(20, 9)).cwiseAbs().maxCoeff() <= 1e-12 * (1.0 + pred.cwiseAbs().maxCoeff()));
    TrustModelData d0 = d;
    d0.lift_tests.clear();
    Vector g(m.dimension());
    const double term = m.log_density(z, g) - TrustModel(d0).log_density(z, g);
    const LiftCalibration& c = d.lift_tests[0];
    // The weeks' transfer errors are one error (calibration.hpp): tau_j = 0.1 |lift_j|, and
    // the term is the joint Normal density with Sigma = diag(se^2) + tau tau^T, computed
    // here densely (a Cholesky factor) against the model's Sherman-Morrison form.
    BOOST_REQUIRE(c.transfer.size() == 9);
    BOOST_TEST((c.transfer - 0.1 * c.lift.cwiseAbs()).cwiseAbs().maxCoeff() <= 1e-15 * c.lift.cwiseAbs().maxCoeff());
    Eigen::MatrixXd sigma = c.transfer * c.transfer.transpose();
    for (int j = 0; j < 9; ++j) sigma(j, j) = c.variance[j];
    const Eigen::LLT<Eigen::MatrixXd> llt(sigma);
    const Vector r = c.lift - diff.segment(20, 9);
    const double logdet = 2.0 * Eigen::MatrixXd(llt.matrixL()).diagonal().array().log().sum();
    const double expected = -0.5 * r.dot(llt.solve(r)) - 0.5 * logdet - 4.5 * std::log(2.0 * std::numbers::pi);
    BOOST_TEST(term == expected, boost::test_tools::tolerance(1e-9));
    check_gradient(m, z, std::string("per-period evaluate lift test, trust ") + (trust ? "on" : "off"));
    // Without `transfer` the values are independent: the sum of the 9 Normal densities.
    TrustModelData di = d;
    di.lift_tests[0].transfer.resize(0);
    double independent = 0.0;
    for (int j = 0; j < 9; ++j) independent += normal_log_density(c.lift[j], diff[20 + j], c.variance[j]);
    BOOST_TEST(TrustModel(di).log_density(z, g) - TrustModel(d0).log_density(z, g) == independent,
               boost::test_tools::tolerance(1e-9));
  }
}

BOOST_AUTO_TEST_CASE(predicted_lift_draws_is_bit_identical_on_every_thread_count_and_stops) {
  TrustModelData d = make_data(60, true, true, 4);
  d.lift_tests = all_kinds();
  TrustModel m(d);
  std::mt19937_64 rng(9);
  std::normal_distribution<double> n(0.0, 0.3);
  Matrix draws(37, m.dimension());
  const Vector z0 = m.initial_point();
  for (Eigen::Index r = 0; r < draws.rows(); ++r)
    for (Eigen::Index i = 0; i < draws.cols(); ++i) draws(r, i) = z0[i] + n(rng);
  const Matrix serial = predicted_lift_draws(m, draws, 2.0, 1);
  for (Eigen::Index r = 0; r < draws.rows(); ++r)
    BOOST_TEST((serial.row(r).transpose() - 2.0 * predicted_lifts(m, draws.row(r).transpose())).cwiseAbs().maxCoeff() <=
               1e-12);
  for (int threads : {2, 3, 4}) {
    const Matrix par = predicted_lift_draws(m, draws, 2.0, threads);
    BOOST_TEST_CONTEXT(threads << " threads") { BOOST_TEST((par.array() == serial.array()).all()); }
  }
  std::atomic<bool> stop{true};
  BOOST_CHECK_THROW((void)predicted_lift_draws(m, draws, 1.0, 2, &stop), trustmix::Interrupted);
}

BOOST_AUTO_TEST_CASE(student_t_term_density_and_gradient) {
  // dof = nu finite: the term is the Student-t log density of the forward prediction
  // (scale sqrt(variance)), its gradient matches central differences, and a residual far
  // from the prediction pulls less than under the Normal: d/dpred = (nu + 1) r / (nu v + r^2).
  auto student_t = [](double x, double mean, double v, double nu) {
    const double r = x - mean;
    return std::lgamma(0.5 * (nu + 1.0)) - std::lgamma(0.5 * nu) - 0.5 * std::log(nu * std::numbers::pi * v) -
           0.5 * (nu + 1.0) * std::log1p(r * r / (nu * v));
  };
  for (TrustForm form : {TrustForm::linear, TrustForm::bounded}) {
    TrustModelData d = make_data(60, true, true, 4);
    d.trust_form = form;
    TrustModel bare(d);
    d.lift_tests = all_kinds();
    for (std::size_t i = 0; i < d.lift_tests.size(); ++i) d.lift_tests[i].dof = 2.0 + static_cast<double>(i);
    TrustModel cal(d);
    std::mt19937_64 rng(3);
    std::normal_distribution<double> n(0.0, 0.4);
    Vector z = cal.initial_point();
    for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
    Vector g(cal.dimension());
    const double diff = cal.log_density(z, g) - bare.log_density(z, g);
    const Vector pred = predicted_lifts(cal, z);
    double want = 0.0;
    Eigen::Index k = 0;
    for (const LiftCalibration& t : d.lift_tests)
      for (Eigen::Index i = 0; i < t.lift.size(); ++i, ++k) want += student_t(t.lift[i], pred[k], t.variance[i], t.dof);
    BOOST_TEST_CONTEXT(to_string(form)) { BOOST_TEST(diff == want, boost::test_tools::tolerance(1e-9)); }
    check_gradient(cal, z, std::string("Student-t ") + to_string(form));
  }
  // through build(): dof from the spec, and a bad one named
  LiftTestSpec s;
  s.channel = "instagram";
  s.start = 20;
  s.end = 24;
  s.lift = Vector::Constant(1, 30.0);
  s.standard_error = Vector::Constant(1, 5.0);
  s.dof = 4.0;
  const std::vector<std::string> names = {"press", "events", "instagram", "tiktok"};
  BOOST_TEST(lift_calibrations({s}, names, 10.0)[0].dof == 4.0);
  s.dof = 0.0;
  BOOST_CHECK_THROW((void)lift_calibrations({s}, names, 10.0), std::invalid_argument);
}

namespace {

/// Central differences of the log density against its analytic gradient, relative
/// tolerance 1e-6 (Richardson's h/2 extrapolation, O(h^4), so that the truncation error is
/// far below it) plus the rounding of the density.
void check_gradient_1e6(TrustModel& m, const Vector& z, const std::string& label) {
  Vector g(m.dimension()), scratch(m.dimension());
  const double lp = m.log_density(z, g);
  BOOST_REQUIRE(std::isfinite(lp));
  const double h = 1e-4;
  const double rounding = 10.0 * std::numeric_limits<double>::epsilon() * (1.0 + std::abs(lp)) / h;
  auto cd = [&](int i, double step) {
    Vector zp = z, zm = z;
    zp[i] += step;
    zm[i] -= step;
    return (m.log_density(zp, scratch) - m.log_density(zm, scratch)) / (2 * step);
  };
  for (int i = 0; i < m.dimension(); ++i) {
    const double fd = (4.0 * cd(i, h / 2) - cd(i, h)) / 3.0;
    BOOST_TEST_CONTEXT(label << " parameter " << m.parameter_names()[static_cast<std::size_t>(i)] << ": analytic " << g[i]
                             << ", central difference " << fd) {
      BOOST_TEST(std::abs(g[i] - fd) <= 1e-6 * std::abs(fd) + rounding);
    }
  }
}

/// The lift term's own predicted lift at z for the single test of m (Normal, variance 1):
/// its density at lift l is -(l - pred)^2 / 2 + const, so pred = lp(1) - lp(0) + 1/2.
double term_prediction(const TrustModelData& d0, const Vector& z) {
  TrustModelData d = d0;
  BOOST_REQUIRE(d.lift_tests.size() == 1 && d.lift_tests[0].lift.size() == 1);
  d.lift_tests[0].variance.setOnes();
  Vector g(z.size());
  d.lift_tests[0].lift[0] = 1.0;
  const double lp1 = TrustModel(d).log_density(z, g);
  d.lift_tests[0].lift[0] = 0.0;
  const double lp0 = TrustModel(d).log_density(z, g);
  return lp1 - lp0 + 0.5;
}

}  // namespace

BOOST_AUTO_TEST_CASE(log_link_lift_term_gradient_and_prediction) {
  // With link = log the term's predicted lift is the model's own mean function's
  // difference, sum_M exp(eta) - exp(eta_cf): its exact gradient (both forms, trust and
  // tracker on and off, AR(1) noise, a lognormal outcome) matches central differences at
  // 1e-6, the term is the Normal density of predicted_lifts(), and the term's own
  // prediction equals the difference of two forward passes of the model to 1e-10.
  struct Case {
    TrustForm form;
    bool trust, tracker;
    Noise noise;
    Likelihood lik;
  };
  const std::vector<Case> cases = {{TrustForm::linear, true, true, Noise::iid, Likelihood::normal},
                                   {TrustForm::linear, true, false, Noise::ar1, Likelihood::normal},
                                   {TrustForm::bounded, true, true, Noise::ar1, Likelihood::normal},
                                   {TrustForm::bounded, true, false, Noise::iid, Likelihood::lognormal},
                                   {TrustForm::linear, false, false, Noise::iid, Likelihood::normal},
                                   {TrustForm::linear, false, false, Noise::ar1, Likelihood::lognormal}};
  for (const Case& k : cases) {
    TrustModelData d = make_data(60, k.trust, k.tracker, 3);
    d.link = Link::log;
    d.trust_form = k.form;
    d.noise = k.noise;
    d.likelihood = k.lik;
    if (k.lik == Likelihood::lognormal) d.y = d.y.cwiseAbs().array() + 0.1;
    TrustModel bare(d);
    d.lift_tests = all_kinds();
    TrustModel cal(d);
    BOOST_TEST(cal.log_link());
    std::ostringstream label;
    label << "log link " << to_string(k.form) << " trust " << k.trust << " tracker " << k.tracker << " "
          << to_string(k.noise) << " " << to_string(k.lik);
    std::mt19937_64 rng(11);
    std::normal_distribution<double> n(0.0, 0.4);
    for (int rep = 0; rep < 2; ++rep) {
      Vector z = cal.initial_point();
      for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
      check_gradient_1e6(cal, z, label.str() + " rep " + std::to_string(rep));
      // the term: the Normal density of the forward passes' prediction
      Vector g(cal.dimension());
      const double diff = cal.log_density(z, g) - bare.log_density(z, g);
      const Vector pred = predicted_lifts(cal, z);
      double want = 0.0;
      Eigen::Index j = 0;
      for (const LiftCalibration& t : d.lift_tests)
        for (Eigen::Index i = 0; i < t.lift.size(); ++i, ++j) want += normal_log_density(t.lift[i], pred[j], t.variance[i]);
      BOOST_TEST_CONTEXT(label.str()) { BOOST_TEST(diff == want, boost::test_tools::tolerance(1e-9)); }
      // the term's own prediction of each total test = mu - mu_cf of two forward passes
      const Vector mu = cal.forward(z).mu;
      for (const LiftCalibration& t : d.lift_tests) {
        if (t.per_period()) continue;
        TrustModelData one = d;
        one.lift_tests = {t};
        Matrix media = d.media;
        media.col(t.channel).segment(t.start, t.end - t.start) *= 1.0 - t.share;
        const double fwd = (mu - cal.forward_with_media(z, media).mu).segment(t.start, t.measured_periods()).sum();
        const double term = term_prediction(one, z);
        BOOST_TEST_CONTEXT(label.str() << " test on channel " << t.channel << " [" << t.start << ", " << t.end << ")") {
          BOOST_TEST(std::abs(term - fwd) <= 1e-10 * std::max(1.0, std::abs(fwd)));
          // a lift, except for the trust-only channel (press) of a model without trust
          if (k.trust || t.channel >= 2) BOOST_TEST(fwd != 0.0);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(log_link_predicted_lift_has_its_closed_form) {
  // A conversion-only channel (instagram, column 2) removed over [20, 24), measured over
  // [20, 26): eta - eta_cf = beta_0 (1 + theta G) (h - h_cf), so the lift is
  // sum_t exp(eta[t]) (1 - exp(-beta_0 (1 + theta G[t]) (h[t] - h_cf[t]))): the identity
  // link's lift times about mu[t], i.e. it scales with the baseline of its periods.
  TrustModelData d = make_data(60, true, false, 8);
  d.link = Link::log;
  d.lift_tests = {lift(2, 20, 24, 2, 1.0, {0.1}, 0.04)};
  TrustModel m(d);
  std::mt19937_64 rng(1);
  std::normal_distribution<double> n(0.0, 0.4);
  Vector z = m.initial_point();
  for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
  const TrustModelParameters p = m.constrain(z);
  const auto f = m.forward(z);
  Vector w(d.max_lag + 1);
  double W = 0.0;
  for (int l = 0; l <= d.max_lag; ++l) W += w[l] = std::pow(p.alpha[2], l);
  Vector x = d.media.col(2);
  x.segment(20, 4).setZero();
  double want = 0.0;
  for (int t = 20; t < 26; ++t) {
    double a = 0.0;
    for (int l = 0; l <= d.max_lag && l <= t; ++l) a += w[l] * x[t - l] / W;
    const double h_cf = (1.0 - std::exp(-p.lam[2] * a)) / (1.0 + std::exp(-p.lam[2] * a));
    const double eta = (d.baseline.row(t) * p.b)(0) + p.gamma * f.trust_stock[t] +
                       (p.beta[0] * f.saturated(t, 2) + p.beta[1] * f.saturated(t, 3)) * (1.0 + p.theta * f.trust_stock[t]);
    want += std::exp(eta) * (1.0 - std::exp(-p.beta[0] * (1.0 + p.theta * f.trust_stock[t]) * (f.saturated(t, 2) - h_cf)));
  }
  BOOST_TEST(want > 0.0);
  BOOST_TEST(predicted_lifts(m, z)[0] == want, boost::test_tools::tolerance(1e-10));
  BOOST_TEST(term_prediction(d, z) == want, boost::test_tools::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(log_link_map_moves_towards_the_measured_lift) {
  // As for the identity link: a precise test at 3x the data's own prediction pulls the
  // MAP's predicted lift most of the way there.
  TrustModelData d = make_data(80, true, true, 2);
  d.link = Link::log;
  d.y = d.y.cwiseAbs().array() + 1.0;
  TrustModel bare(d);
  const MapResult r0 = fit_map(bare, bare.initial_point());
  d.lift_tests = {lift(2, 20, 30, 2, 1.0, {0.0}, 1.0)};
  const double base_pred = predicted_lifts(TrustModel(d), r0.mode)[0];
  BOOST_REQUIRE(base_pred > 0.0);
  const double target = 3.0 * base_pred;
  d.lift_tests[0].lift[0] = target;
  d.lift_tests[0].variance[0] = std::pow(0.02 * target, 2);
  TrustModel cal(d);
  const MapResult r1 = fit_map(cal, r0.mode);
  const double pred = predicted_lifts(cal, r1.mode)[0];
  BOOST_TEST_MESSAGE("log link: uncalibrated " << base_pred << ", calibrated " << pred << ", measured " << target);
  BOOST_TEST(std::abs(pred - target) < 0.25 * std::abs(base_pred - target));
}
