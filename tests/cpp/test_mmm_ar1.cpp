// AR(1) residuals of the trust-linked model (Noise::ar1, trust_model.hpp): the exact
// gradient against finite differences (normal and lognormal, linear and bounded trust
// forms, with and without trust), the likelihood against the dense multivariate normal
// with the AR(1) covariance, phi = 0 equal to the iid model, recovery of phi and the
// channel effects on data drawn from the model, the posterior predictive's AR(1) noise,
// and the negative binomial refused.
#include <boost/test/unit_test.hpp>

#include <trustmix/mmm/analyses.hpp>
#include <trustmix/mmm/fit.hpp>
#include <trustmix/mmm/trust_model.hpp>

#include <Eigen/Cholesky>

#include "mmm_data.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>

using namespace trustmix::mmm;

using trustmix::test::check_gradient;
using trustmix::test::make_data;

namespace {

int index_of(const TrustModel& m, const std::string& name) {
  const auto& names = m.parameter_names();
  const auto it = std::find(names.begin(), names.end(), name);
  BOOST_REQUIRE_MESSAGE(it != names.end(), "no parameter " << name);
  return static_cast<int>(it - names.begin());
}

/// ln N(e; 0, S) with S[i, j] = sigma^2 phi^|i - j| / (1 - phi^2), by a dense Cholesky
/// factorisation: independent of the model's recursion.
double dense_ar1_logpdf(const Vector& e, double sigma, double phi) {
  const auto T = e.size();
  Matrix S(T, T);
  for (Eigen::Index i = 0; i < T; ++i)
    for (Eigen::Index j = 0; j < T; ++j)
      S(i, j) = sigma * sigma * std::pow(phi, static_cast<double>(std::abs(i - j))) / (1.0 - phi * phi);
  const Eigen::LLT<Matrix> llt(S);
  BOOST_REQUIRE(llt.info() == Eigen::Success);
  const Vector w = llt.matrixL().solve(e);
  const double logdet = 2.0 * llt.matrixLLT().diagonal().array().log().sum();
  return -0.5 * w.squaredNorm() - 0.5 * logdet - 0.5 * static_cast<double>(T) * std::log(2.0 * std::numbers::pi);
}

}  // namespace

BOOST_AUTO_TEST_CASE(ar1_gradient_matches_finite_differences) {
  for (auto lik : {Likelihood::normal, Likelihood::lognormal})
    for (auto form : {TrustForm::linear, TrustForm::bounded})
      for (bool trust : {true, false}) {
        if (!trust && form == TrustForm::bounded) continue;
        TrustModelData d = make_data(60, trust, trust, 31);
        d.likelihood = lik;
        d.trust_form = form;
        d.noise = Noise::ar1;
        if (lik == Likelihood::lognormal) d.y = d.y.cwiseAbs().array() + 0.5;
        TrustModel m(std::move(d));
        BOOST_TEST(m.ar1());
        BOOST_TEST(m.parameter_names().back() == "atanh_ar1_phi");
        BOOST_TEST(m.constrained_names().back() == "ar1_phi");
        std::mt19937_64 rng(7);
        std::normal_distribution<double> n(0.0, 0.3);
        int checked = 0;
        for (int rep = 0; rep < 6 && checked < 3; ++rep) {
          Vector z = m.initial_point();
          for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
          z[m.dimension() - 1] = rep % 2 == 0 ? 0.9 : -0.6;  // phi = 0.72 or -0.54
          Vector g(m.dimension());
          if (!std::isfinite(m.log_density(z, g))) continue;  // mu <= 0 somewhere (lognormal): no density
          check_gradient(m, z,
                         std::string(to_string(lik)) + " " + to_string(form) + (trust ? " trust" : " no trust") + " ar1");
          ++checked;
        }
        BOOST_TEST(checked == 3);
      }
}

BOOST_AUTO_TEST_CASE(ar1_likelihood_equals_the_dense_multivariate_normal) {
  // The same parameters in the iid and the AR(1) model: the log densities differ by the
  // likelihoods and the AR(1) prior -z^2 / (2 ar1_sd^2) only (every other term is shared).
  for (auto lik : {Likelihood::normal, Likelihood::lognormal}) {
    TrustModelData d = make_data(40, true, true, 41);
    d.likelihood = lik;
    if (lik == Likelihood::lognormal) d.y = d.y.cwiseAbs().array() + 0.5;
    TrustModel iid(d);
    d.noise = Noise::ar1;
    TrustModel ar(d);
    Vector z = iid.initial_point();
    z[index_of(iid, "log_sigma")] = std::log(0.3);
    const double za = 0.55;
    Vector za_full(ar.dimension());
    za_full << z, za;
    Vector g(ar.dimension()), gi(iid.dimension());
    const double lp_ar = ar.log_density(za_full, g), lp_iid = iid.log_density(z, gi);
    const Vector mu = iid.forward(z).mu;
    const double phi = std::tanh(za), s = 0.3, q = 1.0 - phi * phi;
    double iid_ll = 0.0;
    Vector e(mu.size());
    for (Eigen::Index t = 0; t < mu.size(); ++t) {
      if (lik == Likelihood::normal) {
        e[t] = d.y[t] - mu[t];
        iid_ll += -0.5 * e[t] * e[t] / (s * s) - std::log(s) - 0.5 * std::log(2.0 * std::numbers::pi);
      } else {  // ln y ~ N(ln mu - s^2 / 2, s) (iid) and ln y ~ N(ln mu - s^2 / (2 q), S) (AR(1)); density of y
        const double r = std::log(d.y[t]) - std::log(mu[t]) + 0.5 * s * s;
        iid_ll += -0.5 * r * r / (s * s) - std::log(s) - 0.5 * std::log(2.0 * std::numbers::pi) - std::log(d.y[t]);
        e[t] = std::log(d.y[t]) - std::log(mu[t]) + 0.5 * s * s / q;
      }
    }
    double ar_ll = dense_ar1_logpdf(e, s, phi);
    if (lik == Likelihood::lognormal) ar_ll -= d.y.array().log().sum();
    const double prior = -0.5 * za * za / (ar.priors().ar1_sd * ar.priors().ar1_sd);
    BOOST_TEST_CONTEXT(to_string(lik)) {
      BOOST_TEST(lp_ar - lp_iid == ar_ll - iid_ll + prior, boost::test_tools::tolerance(1e-10));
      BOOST_TEST(ar.constrain(za_full).ar1 == phi, boost::test_tools::tolerance(1e-15));
    }
    // phi = 0: the AR(1) model is the iid model, value and gradient.
    za_full[ar.dimension() - 1] = 0.0;
    BOOST_TEST(ar.log_density(za_full, g) == lp_iid, boost::test_tools::tolerance(1e-12));
    for (int i = 0; i < iid.dimension(); ++i) BOOST_TEST(g[i] == gi[i], boost::test_tools::tolerance(1e-9));
  }
}

BOOST_AUTO_TEST_CASE(ar1_is_refused_with_the_negative_binomial) {
  TrustModelData d = make_data(30, true, false, 5);
  d.likelihood = Likelihood::negative_binomial;
  d.outcome_scale = 10.0;
  for (Eigen::Index t = 0; t < d.y.size(); ++t) d.y[t] = std::round(10.0 * std::abs(d.y[t]));
  d.noise = Noise::ar1;
  try {
    TrustModel m(d);
    BOOST_FAIL("expected an error");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("negative binomial") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("ar1") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(ar1_map_recovers_phi_and_the_channel_effects) {
  // Data from the model (linear form, tracker) with AR(1) noise phi = 0.6, sigma = 0.05.
  TrustModelData d = make_data(208, true, true, 11);
  d.noise = Noise::ar1;
  TrustModel truth_model(d);
  Vector truth = truth_model.initial_point();
  auto set = [&](const std::string& name, double v) { truth[index_of(truth_model, name)] = v; };
  set("logit_delta", std::log(0.9 / 0.1));
  set("log_tracker_b", 0.0);
  set("log_gamma_per_tracker", std::log(0.8));
  set("log_theta_per_tracker", std::log(1.5));
  set("log_sigma", std::log(0.05));
  set("log_tracker_sigma", std::log(0.05));
  set("b[1]", 0.2);
  set("b[2]", 0.1);
  set("atanh_ar1_phi", std::atanh(0.6));
  for (int c : {2, 3})  // beta about 0.5: five times the start's 0.1
    truth[index_of(truth_model, "log_mean_total_contribution[" + std::to_string(c) + "]")] += std::log(5.0);
  const auto f = truth_model.forward(truth);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n(0.0, 1.0);
  double e = 0.05 * n(rng) / std::sqrt(1.0 - 0.36);
  for (Eigen::Index t = 0; t < d.y.size(); ++t) {
    if (t > 0) e = 0.6 * e + 0.05 * n(rng);
    d.y[t] = f.mu[t] + e;
    if (!std::isnan(d.tracker[t])) d.tracker[t] = 0.2 + f.trust_stock[t] + 0.05 * n(rng);
  }
  TrustModel m(d);
  const MapResult r = fit_map(m, m.initial_point());
  BOOST_TEST(r.converged);
  const auto est = m.constrain(r.mode), tru = m.constrain(truth);
  BOOST_TEST(est.ar1 == 0.6, boost::test_tools::tolerance(0.2));  // relative: 0.48..0.72 (sd of phi-hat ~ 0.055)
  BOOST_TEST(est.sigma == tru.sigma, boost::test_tools::tolerance(0.2));
  BOOST_TEST(est.delta == tru.delta, boost::test_tools::tolerance(0.03));
  BOOST_TEST(est.gamma == tru.gamma, boost::test_tools::tolerance(0.35));
  // beta and theta trade off; each conversion channel's contribution beta (1 + theta G) h
  // summed over the data is what the data pin down.
  const auto fe = m.forward(r.mode);
  for (int j = 0; j < 2; ++j) {
    const double want = f.conversion_own.col(j).sum() + f.amplification.col(j).sum();
    const double got = fe.conversion_own.col(j).sum() + fe.amplification.col(j).sum();
    BOOST_TEST_MESSAGE("channel " << j << ": contribution " << got << " (truth " << want << "), beta " << est.beta[j] << " ("
                                  << tru.beta[j] << "), theta " << est.theta << " (" << tru.theta << ")");
    BOOST_TEST(got == want, boost::test_tools::tolerance(
                                0.25));  // measured: 15% and 1% (the lag-1 correlated noise halves the information)
  }
  // The iid model on the same data sees the correlated misfit as independent noise of sd
  // sigma / sqrt(1 - phi^2), about 0.0625.
  d.noise = Noise::iid;
  TrustModel mi(d);
  const MapResult ri = fit_map(mi, mi.initial_point());
  BOOST_TEST(mi.constrain(ri.mode).sigma == 0.0625, boost::test_tools::tolerance(0.2));
}

BOOST_AUTO_TEST_CASE(ar1_posterior_predictive_draws_a_stationary_ar1_path) {
  TrustModelData d = make_data(400, true, true, 13);
  d.noise = Noise::ar1;
  TrustModel m(d);
  Vector z = m.initial_point();
  z[index_of(m, "log_sigma")] = std::log(0.2);
  z[index_of(m, "atanh_ar1_phi")] = std::atanh(0.7);
  const Vector mu = m.forward(z).mu;
  const int R = 200;
  Matrix draws(R, m.dimension());
  for (int i = 0; i < R; ++i) draws.row(i) = z.transpose();
  PredictiveSettings s;
  s.outcome_scale = 3.0;
  s.seed = 9;
  const Matrix y = posterior_predictive(m, draws, s);
  // r = y / 3 - mu: variance sigma^2 / (1 - phi^2) = 0.0784 at every t (t = 0 too), lag-1 correlation phi.
  double v0 = 0.0, v = 0.0, c1 = 0.0;
  for (int i = 0; i < R; ++i) {
    const Vector r = y.row(i).transpose() / 3.0 - mu;
    const double r0 = y(i, 0) / 3.0 - mu(0);
    v0 += r0 * r0 / R;
    v += r.squaredNorm() / (R * 400.0);
    c1 += r.head(399).dot(r.tail(399)) / (R * 399.0);
  }
  BOOST_TEST(v == 0.04 / 0.51, boost::test_tools::tolerance(0.03));  // 80 000 values, strongly correlated within a row
  BOOST_TEST(c1 / v == 0.7, boost::test_tools::tolerance(0.03));
  BOOST_TEST(v0 == 0.04 / 0.51, boost::test_tools::tolerance(0.3));  // 200 values: sd of the estimate 10%
  // Deterministic for a seed; the summary shows phi.
  BOOST_TEST((posterior_predictive(m, draws, s) - y).cwiseAbs().maxCoeff() == 0.0);
  const SummaryValues sv = summary_values(m, draws.topRows(2), 3.0);
  BOOST_TEST(sv.keys.back() == "ar1_phi");
  BOOST_TEST(sv.values(0, sv.values.cols() - 1) == 0.7, boost::test_tools::tolerance(1e-12));
}
