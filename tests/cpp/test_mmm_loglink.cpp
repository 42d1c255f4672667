// The log link of the trust-linked model (TrustModelData::link = log, mu = exp(eta),
// trust_model.hpp): exact gradient against finite differences for every likelihood and
// both trust forms (and an RF channel), the forward pass against the identity model's
// linear predictor put through exp, the decomposition's allocation adding up to mu, the
// analyses (roi, response curves, counterfactual) against forward passes, MAP recovery of
// the channels' effects on data drawn from the log-link model, and the refusals (lift
// tests, ROI priors, the planner).
#include <boost/test/unit_test.hpp>

#include <trustmix/mmm/analyses.hpp>
#include <trustmix/mmm/fit.hpp>
#include <trustmix/mmm/spec.hpp>
#include <trustmix/mmm/trust_model.hpp>

#include "mmm_data.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

using namespace trustmix::mmm;
using trustmix::test::check_gradient;
using trustmix::test::make_data;

namespace {

/// make_data() with the log link, the given likelihood and trust form; the outcome made
/// positive (lognormal) or counts of scale 20 (negative binomial).
TrustModelData log_data(int T, bool tracker, unsigned seed, Likelihood lik, TrustForm form, bool trust = true) {
  TrustModelData d = make_data(T, trust, tracker, seed);
  d.link = Link::log;
  d.likelihood = lik;
  d.trust_form = form;
  if (lik == Likelihood::negative_binomial) {
    d.outcome_scale = 20.0;
    for (int t = 0; t < d.y.size(); ++t) d.y[t] = std::round(20.0 * std::abs(d.y[t]));
  } else if (lik == Likelihood::lognormal) {
    d.y = d.y.cwiseAbs().array() + 0.1;
  }
  return d;
}

Vector jittered_start(const TrustModel& m, unsigned seed, double sd) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0.0, sd);
  Vector z = m.initial_point();
  for (Eigen::Index i = 0; i < z.size(); ++i) z[i] += n(rng);
  return z;
}

std::ptrdiff_t index_of(const TrustModel& m, const std::string& name) {
  const auto& names = m.parameter_names();
  const auto it = std::find(names.begin(), names.end(), name);
  BOOST_REQUIRE_MESSAGE(it != names.end(), name);
  return it - names.begin();
}

}  // namespace

BOOST_AUTO_TEST_CASE(log_link_gradient_matches_finite_differences) {
  for (Likelihood lik : {Likelihood::normal, Likelihood::lognormal, Likelihood::negative_binomial})
    for (TrustForm form : {TrustForm::linear, TrustForm::bounded})
      for (bool tracker : {true, false}) {
        TrustModel m(log_data(60, tracker, 3, lik, form));
        BOOST_TEST(m.log_link());
        for (unsigned rep = 0; rep < 2; ++rep) {
          const Vector z = jittered_start(m, 7 + rep, 0.4);
          std::ostringstream label;
          label << "log link " << to_string(lik) << " " << to_string(form) << " tracker " << tracker << " rep " << rep;
          check_gradient(m, z, label.str());
        }
      }
  // Without trust (a standard MMM on the log scale) and with a reach-and-frequency channel.
  for (Likelihood lik : {Likelihood::normal, Likelihood::negative_binomial}) {
    TrustModel m(log_data(60, false, 4, lik, TrustForm::linear, false));
    check_gradient(m, jittered_start(m, 3, 0.4), std::string("log link, no trust, ") + to_string(lik));
  }
  for (RfForm rf : {RfForm::hill, RfForm::exposure}) {
    TrustModelData d = log_data(60, true, 5, Likelihood::normal, TrustForm::linear);
    d.rf.assign(4, RfForm::none);
    d.rf[2] = rf;
    d.frequency = Matrix::Zero(60, 4);
    for (int t = 0; t < 60; ++t) d.frequency(t, 2) = d.media(t, 2) > 0.0 ? 1.0 + 0.05 * (t % 40) : 0.0;
    TrustModel m(std::move(d));
    check_gradient(m, jittered_start(m, 9, 0.3), std::string("log link, RF ") + to_string(rf));
  }
}

BOOST_AUTO_TEST_CASE(log_link_forward_is_exp_of_the_identity_models_predictor) {
  for (TrustForm form : {TrustForm::linear, TrustForm::bounded}) {
    const TrustModelData d = log_data(70, true, 6, Likelihood::normal, form);
    TrustModelData di = d;
    di.link = Link::identity;
    const TrustModel m(d), mi(di);
    BOOST_REQUIRE(m.dimension() == mi.dimension());
    const Vector z = jittered_start(m, 2, 0.3);
    const auto f = m.forward(z), fi = mi.forward(z);
    const auto p = m.constrain(z);
    // eta by hand: baseline b + gamma G + sum_s beta_s h_s (1 + theta G), the channels'
    // saturated activity and the stock as the model computes them (tested elsewhere).
    Vector eta = d.baseline * p.b + p.gamma * f.trust_stock;
    for (int c = 2, j = 0; c < 4; ++c, ++j)
      eta += p.beta[j] * f.saturated.col(c).cwiseProduct((1.0 + p.theta * f.trust_stock.array()).matrix());
    for (Eigen::Index t = 0; t < eta.size(); ++t) {
      BOOST_TEST(f.eta[t] == eta[t], boost::test_tools::tolerance(1e-12));
      BOOST_TEST(f.eta[t] == fi.mu[t], boost::test_tools::tolerance(1e-12));
      BOOST_TEST(f.mu[t] == std::exp(eta[t]), boost::test_tools::tolerance(1e-12));
    }
    // The log density is that of the likelihood at mu = exp(eta): change y by a known
    // amount and compare with the normal log density's change.
    Vector g(m.dimension());
    TrustModelData d2 = d;
    d2.y[5] += 0.3;
    TrustModel m1(d), m2(d2);
    const double sigma = p.sigma;
    const double expected = (-0.5 * std::pow(d2.y[5] - f.mu[5], 2) + 0.5 * std::pow(d.y[5] - f.mu[5], 2)) / (sigma * sigma);
    BOOST_TEST(m2.log_density(z, g) - m1.log_density(z, g) == expected, boost::test_tools::tolerance(1e-9));
  }
}

BOOST_AUTO_TEST_CASE(log_link_allocation_adds_up_to_mu) {
  for (TrustForm form : {TrustForm::linear, TrustForm::bounded}) {
    const TrustModel m(log_data(80, true, 8, Likelihood::normal, form));
    Matrix draws(3, m.dimension());
    for (int i = 0; i < 3; ++i) draws.row(i) = jittered_start(m, 20 + i, 0.3).transpose();
    for (int i = 0; i < 3; ++i) {
      const auto f = m.forward(draws.row(i).transpose());
      const Vector sum = f.base + f.trust_direct + f.conversion_own.rowwise().sum() + f.amplification.rowwise().sum();
      BOOST_TEST((sum - f.mu).cwiseAbs().maxCoeff() <= 1e-12 * f.mu.cwiseAbs().maxCoeff());
      // The base is mu with no trust and no media: exp of the baseline terms.
      const Vector base = (m.data().baseline * m.constrain(draws.row(i).transpose()).b).array().exp();
      BOOST_TEST((f.base - base).cwiseAbs().maxCoeff() <= 1e-12 * base.maxCoeff());
      // Each part keeps the sign of its log-scale term (the allocation's rate is > 0).
      for (Eigen::Index t = 0; t < f.mu.size(); ++t) {
        const double eta_trust = f.eta[t] - std::log(f.base[t]);
        BOOST_TEST((eta_trust == 0.0 || (f.mu[t] - f.base[t]) * eta_trust > 0.0));
      }
    }
    const Decomposition dec = decompose(m, draws, 2.0, 2);
    Vector mu = Vector::Zero(80);
    for (int i = 0; i < 3; ++i) mu += m.forward(draws.row(i).transpose()).mu * 2.0 / 3.0;
    const Vector sum = dec.base + dec.trust_direct.rowwise().sum() + dec.amplification.rowwise().sum() +
                       dec.own.rowwise().sum();
    BOOST_TEST((sum - mu).cwiseAbs().maxCoeff() <= 1e-10);
  }
}

BOOST_AUTO_TEST_CASE(log_link_analyses_match_forward_passes) {
  for (TrustForm form : {TrustForm::linear, TrustForm::bounded}) {
    BOOST_TEST_CONTEXT("trust form " << to_string(form)) {
      const int T = 80, H = 30;
      const TrustModel m(log_data(T, true, 9, Likelihood::normal, form));
      Matrix draws(2, m.dimension());
      draws.row(0) = jittered_start(m, 1, 0.3).transpose();
      draws.row(1) = jittered_start(m, 2, 0.3).transpose();
      RoiSettings s;
      s.horizon = H;
      s.window_begin = 10;
      s.window_end = 49;
      s.spend = Vector::Constant(4, 100.0);
      s.outcome_scale = 2.5;
      s.value_per_outcome = 1.0;
      s.threads = 2;
      const RoiDraws r = roi(m, draws, s);
      // Past the data: zero media, no shocks, and each baseline column at its mean over the
      // data's last 52 periods (under the log link the baseline's level scales every effect).
      Matrix media = Matrix::Zero(T + H, 4), base = Matrix::Zero(T + H, 3), shocks = Matrix::Zero(T + H, 1);
      media.topRows(T) = m.data().media;
      base.topRows(T) = m.data().baseline;
      base.bottomRows(H).rowwise() = m.data().baseline.bottomRows(52).colwise().mean();
      shocks.topRows(T) = m.data().shocks;
      for (int i = 0; i < 2; ++i) {
        const Vector z = draws.row(i).transpose();
        const auto full = m.forward_on(z, media, base, shocks);
        for (int c = 0; c < 4; ++c) {
          Matrix cf = media;
          cf.block(10, c, 40, 1).setZero();
          const auto fc = m.forward_on(z, cf, base, shocks);
          const Vector diff = (full.mu - fc.mu) * 2.5;
          BOOST_TEST(r.incremental_total(i, c) == diff.sum(), boost::test_tools::tolerance(1e-10));
          BOOST_TEST(r.incremental_short(i, c) == diff.head(50 + m.data().max_lag).sum(),
                     boost::test_tools::tolerance(1e-10));
          BOOST_TEST(r.via_trust_direct(i, c) + r.via_amplification(i, c) + r.own(i, c) == r.incremental_total(i, c),
                     boost::test_tools::tolerance(1e-9));
          Matrix up = media;
          up.block(10, c, 40, 1) *= 1.01;
          const double gain = (m.forward_on(z, up, base, shocks).mu - full.mu).sum() * 2.5;
          BOOST_TEST(r.marginal_roi(i, c) == (gain - 1.0) / 1.0, boost::test_tools::tolerance(1e-8));
        }
        // A channel that feeds no stock and one that does: their direct-path parts.
        BOOST_TEST(r.via_trust_direct(i, 2) == 0.0);
        BOOST_TEST(r.via_amplification(i, 0) != 0.0);
      }
      // Response curves: the difference of the runs at k and at 0 (every channel).
      ResponseCurveSettings rc;
      rc.horizon = H;
      rc.multipliers = Vector::LinSpaced(4, 0.0, 1.5);
      rc.outcome_scale = 2.5;
      rc.threads = 1;
      const auto curves = response_curves(m, draws, rc);
      for (int c = 0; c < 4; ++c)
        for (Eigen::Index k = 0; k < 4; ++k) {
          Matrix mk = media, m0 = media;
          mk.col(c) *= rc.multipliers[k];
          m0.col(c).setZero();
          const Vector z = draws.row(1).transpose();
          const double expected = (m.forward_on(z, mk, base, shocks).mu - m.forward_on(z, m0, base, shocks).mu).sum() * 2.5;
          BOOST_TEST(curves[static_cast<std::size_t>(c)](1, k) == expected, boost::test_tools::tolerance(1e-10));
        }
      // The counterfactual's path split adds up to its difference.
      Matrix cf = m.data().media;
      cf.col(3).setZero();
      const Counterfactual cfo = counterfactual(m, draws.row(0).transpose(), cf, 2.5);
      const Vector parts = cfo.difference_trust_direct + cfo.difference_amplification + cfo.difference_own;
      BOOST_TEST((parts - cfo.difference).cwiseAbs().maxCoeff() <= 1e-10 * cfo.difference.cwiseAbs().maxCoeff() + 1e-14);
    }
  }
}

BOOST_AUTO_TEST_CASE(log_link_map_recovers_channel_effects) {
  // Draw from the log-link model at known parameters (208 periods, a tracker every 4
  // periods, multiplicative noise of 4%), fit by MAP from the default start, and compare
  // each channel's incremental outcome over the data (roi(), horizon 52) with the truth's.
  TrustModelData d = make_data(208, true, true, 11);
  d.link = Link::log;
  TrustModel truth_model(d);
  Vector truth = truth_model.initial_point();
  truth[index_of(truth_model, "logit_delta")] = std::log(0.9 / 0.1);
  truth[index_of(truth_model, "log_tracker_b")] = std::log(5.0);
  truth[index_of(truth_model, "log_gamma_per_tracker")] = std::log(0.6 / 5.0);
  truth[index_of(truth_model, "log_theta_per_tracker")] = std::log(1.0 / 5.0);
  truth[index_of(truth_model, "log_sigma")] = std::log(0.04);
  truth[index_of(truth_model, "log_tracker_sigma")] = std::log(0.1);
  truth[index_of(truth_model, "intercept_level")] = 0.2;
  truth[index_of(truth_model, "b[1]")] = 0.1;
  truth[index_of(truth_model, "b[2]")] = 0.15;
  {  // beta = 0.25 and 0.15 (log-scale lifts per unit of saturated activity)
    const auto p0 = truth_model.constrain(truth);
    truth[index_of(truth_model, "log_mean_total_contribution[2]")] += std::log(0.25 / p0.beta[0]);
    truth[index_of(truth_model, "log_mean_total_contribution[3]")] += std::log(0.15 / p0.beta[1]);
  }
  const auto f = truth_model.forward(truth);
  const auto tru = truth_model.constrain(truth);
  std::mt19937_64 rng(4);
  std::normal_distribution<double> n(0.0, 1.0);
  for (int t = 0; t < d.y.size(); ++t) {
    d.y[t] = f.mu[t] + tru.sigma * n(rng);
    if (!std::isnan(d.tracker[t]))
      d.tracker[t] = tru.tracker_a + tru.tracker_b * f.trust_stock[t] + tru.tracker_sigma * n(rng);
  }
  TrustModel m(d);
  const MapResult fit = fit_map(m, m.initial_point(), 20000);
  BOOST_TEST(fit.converged);
  const auto est = m.constrain(fit.mode);
  BOOST_TEST_MESSAGE("delta " << est.delta << " (" << tru.delta << "), gamma " << est.gamma << " (" << tru.gamma
                              << "), theta " << est.theta << " (" << tru.theta << "), kappa " << est.kappa.transpose()
                              << " (" << tru.kappa.transpose() << "), g0 " << est.g0 << " (" << tru.g0 << "), omega "
                              << est.omega.transpose() << " (" << tru.omega.transpose() << ")");
  BOOST_TEST(est.delta == tru.delta, boost::test_tools::tolerance(0.03));
  BOOST_TEST(est.gamma == tru.gamma, boost::test_tools::tolerance(0.35));
  BOOST_TEST(est.theta == tru.theta, boost::test_tools::tolerance(0.35));
  BOOST_TEST(est.sigma == tru.sigma, boost::test_tools::tolerance(0.25));
  RoiSettings s;
  s.horizon = 52;
  s.spend = Vector::Ones(4);
  s.threads = 1;
  Matrix zt(1, m.dimension()), ze(1, m.dimension());
  zt.row(0) = truth.transpose();
  ze.row(0) = fit.mode.transpose();
  TrustModel truth_on_data(d);  // the same data, evaluated at the truth
  const RoiDraws rt = roi(truth_on_data, zt, s), re = roi(m, ze, s);
  double all = 0.0;
  for (int c = 0; c < 4; ++c) all += std::abs(rt.incremental_total(0, c));
  for (int c = 0; c < 4; ++c) {
    BOOST_TEST_MESSAGE("channel " << c << ": incremental " << re.incremental_total(0, c) << " (truth "
                                  << rt.incremental_total(0, c) << ")");
    // A conversion-only channel within 10% of its true effect; a channel acting through
    // the stock within 25% (its effect is gamma and theta times the stock's path, each of
    // which the identity link's recovery test pins within 35%: the tracker is noisy).
    const double tol = c == 2 ? 0.10 : 0.25;
    BOOST_TEST(std::abs(re.incremental_total(0, c) - rt.incremental_total(0, c)) <=
               std::max(tol * std::abs(rt.incremental_total(0, c)), 0.03 * all));
  }
  const auto fe = m.forward(fit.mode);
  BOOST_TEST(std::sqrt((fe.mu - f.mu).squaredNorm() / 208.0) <= 0.5 * tru.sigma * f.mu.mean());
}

BOOST_AUTO_TEST_CASE(log_link_refuses_what_it_cannot_do) {
  // ROI priors (beta h is a log-scale lift, not outcome).
  {
    TrustModelPriors pr;
    pr.roi_log_median = Vector::Constant(2, 0.5);
    pr.roi_sd_log = Vector::Ones(2);
    pr.roi_scale = Vector::Ones(2);
    TrustModelData d = log_data(60, true, 1, Likelihood::normal, TrustForm::linear);
    BOOST_CHECK_EXCEPTION(TrustModel(d, pr), std::invalid_argument, [](const std::invalid_argument& e) {
      return std::string(e.what()).find("ROI priors are not supported with link = log") != std::string::npos;
    });
  }
  // Lift tests: accepted (their predicted lift goes through exp; test_mmm_calibration.cpp).
  {
    TrustModelSpec spec;
    const int T = 60;
    TrustModelData d = make_data(T, true, false, 2);
    spec.channels = {"press", "events", "instagram", "tiktok"};
    spec.roles = {Role::trust, Role::trust, Role::conversion, Role::both};
    spec.media = d.media;
    spec.outcome = d.y.array() + 2.0;
    spec.shocks = d.shocks;
    spec.shock_names = {"crisis"};
    spec.link = Link::log;
    const BuiltTrustModel ok = build(spec);  // without lift tests: builds
    BOOST_TEST(ok.model.log_link());
    LiftTestSpec lt;
    lt.channel = "instagram";
    lt.start = 10;
    lt.end = 19;
    lt.lift = Vector::Constant(1, 3.0);
    lt.standard_error = Vector::Constant(1, 1.0);
    spec.lift_tests = {lt};
    const BuiltTrustModel cal = build(spec);
    BOOST_TEST(cal.model.log_link());
    BOOST_TEST(cal.model.data().lift_tests.size() == 1u);
  }
  // The planner plans log-link fits on exp(eta) (test_plan.cpp, log_link_*).
}

BOOST_AUTO_TEST_CASE(log_link_start_is_inside_every_support) {
  // The start's intercept is near ln(mean y) and its density finite for every likelihood,
  // also where a least-squares baseline on y would dip below zero.
  for (Likelihood lik : {Likelihood::normal, Likelihood::lognormal, Likelihood::negative_binomial}) {
    TrustModelData d = log_data(104, true, 12, lik, TrustForm::linear);
    for (int t = 0; t < 104; ++t) d.y[t] *= t > 90 ? 6.0 : 0.3;  // a late peak next to low weeks
    if (lik == Likelihood::negative_binomial) d.y = d.y.array().round();
    TrustModel m(d);
    const Vector z = m.initial_point();
    Vector g(m.dimension());
    BOOST_TEST(std::isfinite(m.log_density(z, g)), to_string(lik));
    const auto f = m.forward(z);
    BOOST_TEST((f.mu.array() > 0.0).all());
  }
}
