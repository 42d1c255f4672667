// The bounded trust form (trust_form = bounded, trust_model.hpp): exact gradient against
// finite differences, the recursion against its definition written as a plain loop, the
// share staying in [0, 1], the Shapley split of the stock against permutations counted by
// hand, the analyses (roi, decomposition) against forward passes, and MAP recovery of
// simulated truth.
#include <boost/test/unit_test.hpp>

#include <trustmix/mmm/analyses.hpp>
#include <trustmix/mmm/fit.hpp>
#include <trustmix/mmm/spec.hpp>
#include <trustmix/mmm/trust_model.hpp>

#include "mmm_data.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

using namespace trustmix::mmm;
using trustmix::test::check_gradient;
using trustmix::test::make_data;

namespace {

TrustModelData bounded_data(int T, bool tracker, unsigned seed, int shocks = 1) {
  TrustModelData d = make_data(T, true, tracker, seed);
  d.trust_form = TrustForm::bounded;
  if (shocks == 2) {
    d.shocks.conservativeResize(Eigen::NoChange, 2);
    for (int t = 0; t < T; ++t) d.shocks(t, 1) = t % 9 == 0 ? 0.5 + 0.1 * (t % 4) : 0.0;
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

/// The bounded recursion as a plain loop (trust_model.hpp, top):
///   m = b + delta (G[t-1] - b), G[t] = exp(-sum_e omega_e d[t, e]) (m + (1 - m)(1 - exp(-rho u[t]))).
Vector by_definition(const TrustModelParameters& p, const std::vector<int>& trust_channels, const Matrix& h,
                     const Matrix& shocks) {
  Vector G(h.rows());
  double prev = p.g0;
  for (Eigen::Index t = 0; t < h.rows(); ++t) {
    double u = 0.0, damage = 0.0;
    for (std::size_t i = 0; i < trust_channels.size(); ++i)
      u += p.kappa[static_cast<Eigen::Index>(i)] * h(t, trust_channels[i]);
    for (Eigen::Index e = 0; e < shocks.cols(); ++e) damage += p.omega[e] * shocks(t, e);
    const double m = p.trust_base + p.delta * (prev - p.trust_base);
    G[t] = std::exp(-damage) * (m + (1.0 - m) * (1.0 - std::exp(-p.inflow * u)));
    prev = G[t];
  }
  return G;
}

}  // namespace

BOOST_AUTO_TEST_CASE(bounded_gradient_matches_finite_differences) {
  for (bool tracker : {true, false})
    for (int shocks : {1, 2})
      for (Likelihood lik : {Likelihood::normal, Likelihood::lognormal}) {
        TrustModelData d = bounded_data(60, tracker, 3, shocks);
        d.likelihood = lik;
        d.y = d.y.cwiseAbs().array() + 0.2;  // > 0 for the lognormal
        TrustModel m(d);
        for (unsigned rep = 0; rep < 3; ++rep) {
          Vector z = jittered_start(m, 5 + rep, 0.5);
          if (lik == Likelihood::lognormal) {  // keep mu > 0: the intercept level up
            const auto& names = m.parameter_names();
            z[std::find(names.begin(), names.end(), "intercept_level") - names.begin()] = 3.0;
          }
          std::ostringstream label;
          label << "bounded tracker " << tracker << " shocks " << shocks << " " << to_string(lik) << " rep " << rep;
          check_gradient(m, z, label.str());
        }
      }
}

BOOST_AUTO_TEST_CASE(bounded_parameters_are_named_and_reported) {
  TrustModel m(bounded_data(60, true, 3));
  const auto& names = m.parameter_names();
  for (const char* n : {"logit_trust_base", "log_mean_trust_hazard", "logit_initial_share", "log_omega[0]"})
    BOOST_TEST((std::find(names.begin(), names.end(), n) != names.end()), n);
  const auto cn = m.constrained_names();
  BOOST_TEST(cn[cn.size() - 2] == "trust_base");
  BOOST_TEST(cn.back() == "trust_inflow");
  Vector z = jittered_start(m, 2, 0.3), out(m.constrained_dimension());
  m.constrain_into(z, out);
  const auto p = m.constrain(z);
  BOOST_TEST(out[out.size() - 2] == p.trust_base);
  BOOST_TEST(out[out.size() - 1] == p.inflow);
  BOOST_TEST(
      p.trust_base == 1.0 / (1.0 + std::exp(-z[std::find(names.begin(), names.end(), "logit_trust_base") - names.begin()])),
      boost::test_tools::tolerance(1e-14));
  // The free inflow parameter is ln(rho ubar), ubar the mean over the data of the inflow
  // u[t] = sum_p kappa_p h[p, t] (by definition from the forward pass's saturated activity).
  {
    const auto f = m.forward(z);
    const Vector u = f.saturated.col(0) * p.kappa[0] + f.saturated.col(1) * p.kappa[1] + f.saturated.col(3) * p.kappa[2];
    BOOST_TEST((u - f.inflow).cwiseAbs().maxCoeff() <= 1e-14);
    BOOST_TEST(
        p.inflow * u.mean() == std::exp(z[std::find(names.begin(), names.end(), "log_mean_trust_hazard") - names.begin()]),
        boost::test_tools::tolerance(1e-12));
    BOOST_TEST(m.mean_trust_inflow(p) == u.mean(), boost::test_tools::tolerance(1e-12));
  }
  // The linear form keeps its layout (old fits and pickles).
  TrustModel lin(make_data(60, true, true, 3));
  BOOST_TEST(lin.dimension() + 2 == m.dimension());
}

BOOST_AUTO_TEST_CASE(bounded_stock_follows_its_definition_and_stays_a_share) {
  const int T = 70, extra = 25;
  TrustModel m(bounded_data(T, true, 11, 2));
  const Vector z = jittered_start(m, 12, 0.4);
  const auto p = m.constrain(z);
  const std::vector<int> trust_channels = {0, 1, 3};
  const auto f = m.forward(z);
  const Vector G = by_definition(p, trust_channels, f.saturated, m.data().shocks);
  BOOST_TEST((G - f.trust_stock).cwiseAbs().maxCoeff() <= 1e-13);
  // Past the data: zero media, no shocks, the share decays towards b.
  Matrix media = Matrix::Zero(T + extra, 4), base = Matrix::Zero(T + extra, 3);
  media.topRows(T) = m.data().media;
  base.topRows(T) = m.data().baseline;
  const auto fe = m.forward_on(z, media, base, Matrix(T + extra, 0));
  const Vector Ge = by_definition(p, trust_channels, fe.saturated, Matrix::Zero(T + extra, 2));
  BOOST_TEST((Ge - fe.trust_stock).cwiseAbs().maxCoeff() <= 1e-13);
  for (int t = T + m.data().max_lag + 1; t < T + extra; ++t)  // no inflow: G - b shrinks by delta per period
    BOOST_TEST(fe.trust_stock[t] - p.trust_base == p.delta * (fe.trust_stock[t - 1] - p.trust_base),
               boost::test_tools::tolerance(1e-10));
  // stock_means: the mean of the path.
  BOOST_TEST(m.stock_means(p).first == f.trust_stock.mean(), boost::test_tools::tolerance(1e-12));
  // Extreme parameters: the stock is a share in [0, 1] at every period.
  for (double zrho : {-6.0, 0.0, 4.0})
    for (double zb : {-5.0, 0.0, 5.0}) {
      Vector z2 = z;
      const auto& names = m.parameter_names();
      z2[std::find(names.begin(), names.end(), "log_mean_trust_hazard") - names.begin()] =
          zrho + std::log(m.mean_trust_inflow(p));  // ln rho = zrho (the free parameter is ln(rho ubar))
      z2[std::find(names.begin(), names.end(), "logit_trust_base") - names.begin()] = zb;
      z2[std::find(names.begin(), names.end(), "log_omega[0]") - names.begin()] = 2.0;
      const auto f2 = m.forward(z2);
      BOOST_TEST(f2.trust_stock.minCoeff() >= 0.0);
      BOOST_TEST(f2.trust_stock.maxCoeff() <= 1.0);
    }
}

BOOST_AUTO_TEST_CASE(bounded_split_is_the_shapley_value_and_adds_up) {
  TrustModel m(bounded_data(80, true, 4, 2));
  const Vector z = jittered_start(m, 7, 0.5);
  const auto p = m.constrain(z);
  const auto f = m.forward(z);
  const std::vector<int> tc = {0, 1, 3};
  // Parts add up to the path (the recursion itself, by definition).
  const Vector G = by_definition(p, tc, f.saturated, m.data().shocks);
  const Vector sum = f.trust_by_channel.rowwise().sum() + f.trust_from_shocks + f.trust_from_initial;
  BOOST_TEST((sum - G).cwiseAbs().maxCoeff() <= 1e-13);
  // The initial part: no inflow, no crisis; the crisis part: the difference the crises make.
  const Matrix h0 = Matrix::Zero(f.saturated.rows(), f.saturated.cols());
  const Vector none_free = by_definition(p, tc, h0, Matrix::Zero(80, 2));
  const Vector none = by_definition(p, tc, h0, m.data().shocks);
  BOOST_TEST((f.trust_from_initial - none_free).cwiseAbs().maxCoeff() <= 1e-14);
  BOOST_TEST((f.trust_from_shocks - (none - none_free)).cwiseAbs().maxCoeff() <= 1e-14);
  // Shapley value by its other definition: the mean over the 3! orders of adding the
  // channels of each channel's marginal contribution.
  Matrix shapley = Matrix::Zero(80, 3);
  std::vector<int> order = {0, 1, 2};
  int n_orders = 0;
  do {
    Matrix h = h0;
    Vector before = none;
    for (int i : order) {
      h.col(tc[static_cast<std::size_t>(i)]) = f.saturated.col(tc[static_cast<std::size_t>(i)]);
      const Vector after = by_definition(p, tc, h, m.data().shocks);
      shapley.col(i) += after - before;
      before = after;
    }
    ++n_orders;
  } while (std::next_permutation(order.begin(), order.end()));
  shapley /= n_orders;
  BOOST_TEST((shapley - f.trust_by_channel).cwiseAbs().maxCoeff() <= 1e-13);
  // PR raises the share: every channel's part is >= 0 (inflow only adds trusting people).
  BOOST_TEST(f.trust_by_channel.minCoeff() >= -1e-15);
}

BOOST_AUTO_TEST_CASE(bounded_split_of_many_channels_adds_up) {
  // 13 trust channels: the proportional allocation (2^13 paths are not enumerated).
  const int T = 60, C = 14;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 2.0);
  TrustModelData d = make_data(T, true, true, 3);
  d.media.resize(T, C);
  for (int t = 0; t < T; ++t)
    for (int c = 0; c < C; ++c) d.media(t, c) = (t + c) % 5 == 0 ? 0.0 : u(rng);
  d.trust.assign(C, true);
  d.trust[C - 1] = false;
  d.conversion.assign(C, false);
  d.conversion[C - 1] = true;
  d.trust_form = TrustForm::bounded;
  TrustModel m(d);
  const Vector z = jittered_start(m, 1, 0.3);
  const auto f = m.forward(z);
  const Vector sum = f.trust_by_channel.rowwise().sum() + f.trust_from_shocks + f.trust_from_initial;
  BOOST_TEST((sum - f.trust_stock).cwiseAbs().maxCoeff() <= 1e-13);
  BOOST_TEST(f.trust_by_channel.minCoeff() >= -1e-15);
}

BOOST_AUTO_TEST_CASE(bounded_analyses_match_forward_passes) {
  const int T = 80, H = 30;
  TrustModel m(bounded_data(T, true, 9));
  Matrix draws(2, m.dimension());
  draws.row(0) = jittered_start(m, 1, 0.3).transpose();
  draws.row(1) = jittered_start(m, 2, 0.3).transpose();
  RoiSettings s;
  s.horizon = H;
  s.window_begin = 10;
  s.window_end = 49;
  s.spend = Vector::Constant(4, 100.0);
  s.outcome_scale = 2.5;
  s.threads = 2;
  const RoiDraws r = roi(m, draws, s);
  Matrix media = Matrix::Zero(T + H, 4), base = Matrix::Zero(T + H, 3), shocks = Matrix::Zero(T + H, 1);
  media.topRows(T) = m.data().media;
  base.topRows(T) = m.data().baseline;
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
      BOOST_TEST(r.incremental_short(i, c) == diff.head(50 + m.data().max_lag).sum(), boost::test_tools::tolerance(1e-10));
      BOOST_TEST(r.via_trust_direct(i, c) + r.via_amplification(i, c) + r.own(i, c) == r.incremental_total(i, c),
                 boost::test_tools::tolerance(1e-9));
    }
  }
  // The decomposition adds up to the fitted mean for every draw's average.
  const Decomposition dec = decompose(m, draws, 2.5, 2);
  Vector mu = Vector::Zero(T);
  for (int i = 0; i < 2; ++i) mu += m.forward(draws.row(i).transpose()).mu * 2.5 / 2.0;
  const Vector sum = dec.base + dec.trust_direct.rowwise().sum() + dec.amplification.rowwise().sum() +
                     dec.own.rowwise().sum();
  BOOST_TEST((sum - mu).cwiseAbs().maxCoeff() <= 1e-10);
}

BOOST_AUTO_TEST_CASE(bounded_map_recovers_parameters_of_simulated_data) {
  // Simulate from the bounded model at known parameters (208 periods, a tracker every 4
  // periods), then fit by MAP from the default start.
  TrustModelData d = bounded_data(208, true, 11);
  TrustModel truth_model(d);
  Vector truth = truth_model.initial_point();
  const auto& names = truth_model.parameter_names();
  auto idx = [&](const std::string& name) {
    const auto it = std::find(names.begin(), names.end(), name);
    BOOST_REQUIRE(it != names.end());
    return it - names.begin();
  };
  truth[idx("logit_delta")] = std::log(0.9 / 0.1);
  truth[idx("log_tracker_b")] = 0.0;
  truth[idx("log_gamma_per_tracker")] = std::log(1.5);
  truth[idx("log_theta_per_tracker")] = std::log(2.0);
  truth[idx("log_sigma")] = std::log(0.05);
  truth[idx("log_tracker_sigma")] = std::log(0.02);
  truth[idx("logit_trust_base")] = std::log(0.3 / 0.7);
  truth[idx("logit_initial_share")] = std::log(0.3 / 0.7);
  truth[idx("log_mean_trust_hazard")] = 0.0;
  truth[idx("b[1]")] = 0.2;
  truth[idx("b[2]")] = 0.1;
  truth[idx("intercept_level")] = 1.5;
  // rho = 0.3: the free parameter is ln(rho ubar)
  truth[idx("log_mean_trust_hazard")] += std::log(0.3 / truth_model.constrain(truth).inflow);
  {  // beta = 0.5 and 0.3 (as in test_mmm's recovery): the free parameter is the log mean contribution
    const auto p0 = truth_model.constrain(truth);
    BOOST_TEST(p0.inflow == 0.3, boost::test_tools::tolerance(1e-12));
    truth[idx("log_mean_total_contribution[2]")] += std::log(0.5 / p0.beta[0]);
    truth[idx("log_mean_total_contribution[3]")] += std::log(0.3 / p0.beta[1]);
  }
  const auto f = truth_model.forward(truth);
  const auto tru = truth_model.constrain(truth);
  BOOST_TEST_MESSAGE("true share from " << f.trust_stock.minCoeff() << " to " << f.trust_stock.maxCoeff());
  std::mt19937_64 rng(2);
  std::normal_distribution<double> n(0.0, 1.0);
  for (int t = 0; t < d.y.size(); ++t) {
    d.y[t] = f.mu[t] + 0.05 * n(rng);
    if (!std::isnan(d.tracker[t])) d.tracker[t] = tru.tracker_a + f.trust_stock[t] + 0.02 * n(rng);
  }
  TrustModel m(d);
  // The share's level is identified only through the recursion's curvature (the tracker
  // is affine in G): a long flat ridge, so L-BFGS may need more than 2000 steps.
  const MapResult r = fit_map(m, m.initial_point(), 20000);
  BOOST_TEST(r.converged);
  const auto est = m.constrain(r.mode);
  BOOST_TEST(est.delta == tru.delta, boost::test_tools::tolerance(0.03));
  BOOST_TEST(est.sigma == tru.sigma, boost::test_tools::tolerance(0.25));
  // beta and theta trade off (G moves within 0.34-0.76 here); what is identified is each
  // conversion channel's contribution beta_s (1 + theta G) h_s and trust's direct part.
  const auto fe = m.forward(r.mode);
  for (int j = 0; j < 2; ++j) {
    const double t_sum = (f.conversion_own.col(j) + f.amplification.col(j)).sum();
    const double e_sum = (fe.conversion_own.col(j) + fe.amplification.col(j)).sum();
    BOOST_TEST_MESSAGE("conversion channel " << j << ": contribution " << e_sum << " (truth " << t_sum << "), beta "
                                             << est.beta[j] << " (" << tru.beta[j] << "), theta " << est.theta << " ("
                                             << tru.theta << "), gamma " << est.gamma << " (" << tru.gamma << ")");
    BOOST_TEST(e_sum == t_sum, boost::test_tools::tolerance(0.05));
  }
  BOOST_TEST_MESSAGE("mu rms error " << std::sqrt((fe.mu - f.mu).squaredNorm() / static_cast<double>(fe.mu.size())));
  // gamma G up to its level (which the intercept shares): its spread over time.
  const auto spread = [](const Vector& v) { return (v.array() - v.mean()).matrix().norm(); };
  BOOST_TEST(spread(fe.trust_direct) == spread(f.trust_direct), boost::test_tools::tolerance(0.35));
  // The stock's path (what the analyses use) up to the tracker's affine map.
  const Vector q_true = tru.tracker_b * f.trust_stock.array() + tru.tracker_a;
  const Vector q_est = est.tracker_b * fe.trust_stock.array() + est.tracker_a;
  BOOST_TEST((q_true - q_est).cwiseAbs().maxCoeff() <= 0.03);
}

BOOST_AUTO_TEST_CASE(spec_builds_the_bounded_form) {
  TrustModelSpec spec;
  const int T = 60;
  const TrustModelData d = make_data(T, true, true, 3);
  spec.channels = {"press", "events", "instagram", "tiktok"};
  spec.roles = {Role::trust, Role::trust, Role::conversion, Role::both};
  spec.media = d.media;
  spec.outcome = d.y;
  spec.tracker = d.tracker;
  spec.trust_form = TrustForm::bounded;
  const BuiltTrustModel b = build(spec);
  BOOST_TEST(b.model.bounded());
  BOOST_TEST(std::string(to_string(b.model.data().trust_form)) == "bounded");
  spec.trust_form = TrustForm::linear;
  BOOST_TEST(!build(spec).model.bounded());
}

BOOST_AUTO_TEST_CASE(known_tracker_errors_gradient_and_density) {
  // q[t] ~ Normal(a_q + b_q G[t], sqrt(se[t]^2 + sigma_q^2)): gradient against finite
  // differences in both trust forms, and the tracker's log density against its closed form.
  for (TrustForm form : {TrustForm::linear, TrustForm::bounded}) {
    TrustModelData d = make_data(60, true, true, 3);
    d.trust_form = form;
    d.tracker_se = Vector::Zero(60);
    for (int t = 0; t < 60; ++t) d.tracker_se[t] = 0.05 + 0.1 * (t % 3);
    TrustModel m(d);
    for (unsigned rep = 0; rep < 2; ++rep)
      check_gradient(m, jittered_start(m, 21 + rep, 0.5), std::string("known se ") + to_string(form));
    // Closed form: the difference between se and se = 0 is the tracker's terms alone.
    TrustModelData d0 = d;
    d0.tracker_se.resize(0);
    TrustModel m0(d0);
    const Vector z = jittered_start(m, 30, 0.3);
    Vector g(m.dimension());
    const double lp = m.log_density(z, g), lp0 = m0.log_density(z, g);
    const auto p = m.constrain(z);
    const auto f = m.forward(z);
    double expect = 0.0;  // sum_t [log N(q; a + b G, sqrt(se^2 + s^2)) - log N(q; a + b G, s)]
    for (int t = 0; t < 60; ++t) {
      if (std::isnan(d.tracker[t])) continue;
      const double r = d.tracker[t] - p.tracker_a - p.tracker_b * f.trust_stock[t];
      const double s2 = p.tracker_sigma * p.tracker_sigma, v = d.tracker_se[t] * d.tracker_se[t] + s2;
      expect += (-0.5 * r * r / v - 0.5 * std::log(v)) - (-0.5 * r * r / s2 - 0.5 * std::log(s2));
    }
    BOOST_TEST(lp - lp0 == expect, boost::test_tools::tolerance(1e-9));
  }
  TrustModelData bad = make_data(60, true, true, 3);
  bad.tracker_se = Vector::Constant(60, -1.0);
  BOOST_CHECK_EXCEPTION(TrustModel{bad}, std::invalid_argument, [](const std::invalid_argument& e) {
    return std::string(e.what()).find("tracker_se: row 0") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(spec_turns_panel_sizes_into_known_errors) {
  TrustModelSpec spec;
  const int T = 60;
  const TrustModelData d = make_data(T, true, true, 3);
  spec.channels = {"press", "events", "instagram", "tiktok"};
  spec.roles = {Role::trust, Role::trust, Role::conversion, Role::both};
  spec.media = d.media;
  spec.outcome = d.y;
  spec.tracker = Vector::Constant(T, std::nan(""));
  spec.tracker_n = Vector::Constant(T, std::nan(""));
  for (int t = 0; t < T; t += 4) {
    spec.tracker[t] = 0.3 + 0.01 * (t % 7);
    spec.tracker_n[t] = 500.0 + t;
  }
  spec.tracker[0] = 0.0;  // clamped to 0.5 / n
  const BuiltTrustModel b = build(spec);
  const double sd = b.scales.tracker_sd;
  for (int t = 4; t < T; t += 4) {
    const double q = spec.tracker[t], n = spec.tracker_n[t];
    BOOST_TEST(b.model.data().tracker_se[t] == std::sqrt(q * (1 - q) / n) / sd, boost::test_tools::tolerance(1e-12));
  }
  const double p0 = 0.5 / 500.0;
  BOOST_TEST(b.model.data().tracker_se[0] == std::sqrt(p0 * (1 - p0) / 500.0) / sd, boost::test_tools::tolerance(1e-12));
  spec.tracker[4] = 35.0;  // a percentage is not a share
  BOOST_CHECK_EXCEPTION(static_cast<void>(build(spec)), std::invalid_argument, [](const std::invalid_argument& e) {
    return std::string(e.what()).find("tracker: row 4 is 35") != std::string::npos;
  });
}

namespace {

/// Bounded data whose tracker is a share in [0, 1] (make_data's tracker, 0.5 + 0.2 N(0, 1),
/// clipped to [0.05, 0.95]), measured by the share tracker (tracker_share).
TrustModelData share_data(int T, unsigned seed, int shocks, bool known_se) {
  TrustModelData d = bounded_data(T, true, seed, shocks);
  d.tracker_share = true;
  for (int t = 0; t < T; ++t)
    if (!std::isnan(d.tracker[t])) d.tracker[t] = std::clamp(d.tracker[t], 0.05, 0.95);
  if (known_se) {
    d.tracker_se = Vector::Zero(T);
    for (int t = 0; t < T; ++t)
      if (!std::isnan(d.tracker[t])) d.tracker_se[t] = std::sqrt(d.tracker[t] * (1.0 - d.tracker[t]) / (200.0 + 10 * t));
  }
  return d;
}

}  // namespace

BOOST_AUTO_TEST_CASE(share_tracker_gradient_and_density) {
  // q[t] ~ Normal(G[t] + a_q, sqrt(se[t]^2 + sigma_q^2)), b_q = 1, a_q ~ Normal(0, 0.03),
  // sigma_q ~ HalfNormal(0.05): gradient against central differences, with and without
  // known errors and with one and two crises, and the tracker's terms against their
  // closed form (the log density minus that of the same model without a tracker).
  for (bool known_se : {true, false})
    for (int shocks : {1, 2}) {
      TrustModel m(share_data(60, 3, shocks, known_se));
      BOOST_TEST(m.tracker_share());
      const auto& names = m.parameter_names();
      BOOST_TEST(std::count(names.begin(), names.end(), "tracker_share_level") == 1);
      BOOST_TEST(std::count(names.begin(), names.end(), "log_tracker_b") == 0);
      for (unsigned rep = 0; rep < 3; ++rep) {
        std::ostringstream label;
        label << "share tracker, known se " << known_se << ", shocks " << shocks << ", rep " << rep;
        check_gradient(m, jittered_start(m, 40 + rep, 0.5), label.str());
      }
    }
  const TrustModelData d = share_data(60, 3, 1, true);
  TrustModel m(d);
  TrustModelData dn = d;  // no tracker: its parameters (a_q, ln sigma_q) are the last two
  dn.tracker.resize(0);
  dn.tracker_se.resize(0);
  dn.tracker_share = false;
  TrustModel mn(dn);
  BOOST_REQUIRE(mn.dimension() == m.dimension() - 2);
  const auto& names = m.parameter_names();
  const auto ia = std::find(names.begin(), names.end(), "tracker_share_level") - names.begin();
  BOOST_REQUIRE(names[static_cast<std::size_t>(ia + 1)] == "log_tracker_sigma");
  const Vector z = jittered_start(m, 50, 0.3);
  Vector zn(mn.dimension());
  zn << z.head(ia), z.tail(m.dimension() - ia - 2);
  Vector g(m.dimension()), gn(mn.dimension());
  const double lp = m.log_density(z, g), lpn = mn.log_density(zn, gn);
  const auto p = m.constrain(z);
  BOOST_TEST(p.tracker_b == 1.0);
  const auto f = m.forward(z);
  // The free parameter is the survey's level m_q = a_q + Gm, Gm the mean share over the
  // observed periods: a_q = m_q - Gm.
  double gm = 0.0, n_obs = 0.0;
  for (int t = 0; t < 60; ++t)
    if (!std::isnan(d.tracker[t])) {
      gm += f.trust_stock[t];
      n_obs += 1.0;
    }
  gm /= n_obs;
  BOOST_TEST(p.tracker_a == z[ia] - gm, boost::test_tools::tolerance(1e-12));
  const double a = z[ia] - gm, s = std::exp(z[ia + 1]), sa = 0.03, ss = 0.05;
  double expect = -0.5 * a * a / (sa * sa) + (-0.5 * s * s / (ss * ss) + std::log(s));  // priors (+ Jacobian ln s)
  for (int t = 0; t < 60; ++t) {
    if (std::isnan(d.tracker[t])) continue;
    const double r = d.tracker[t] - a - f.trust_stock[t], v = d.tracker_se[t] * d.tracker_se[t] + s * s;
    expect += -0.5 * r * r / v - 0.5 * std::log(v);
  }
  BOOST_TEST(lp - lpn == expect, boost::test_tools::tolerance(1e-9));
  // The start: the share at the survey's mean level.
  double qm = 0.0, n = 0.0;
  for (int t = 0; t < 60; ++t)
    if (!std::isnan(d.tracker[t])) {
      qm += d.tracker[t];
      n += 1.0;
    }
  const auto p0 = m.constrain(m.initial_point());
  BOOST_TEST(p0.trust_base == qm / n, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p0.g0 == qm / n, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(share_tracker_refuses_what_it_cannot_measure) {
  TrustModelData lin = share_data(60, 3, 1, false);
  lin.trust_form = TrustForm::linear;
  BOOST_CHECK_EXCEPTION(TrustModel{lin}, std::invalid_argument, [](const std::invalid_argument& e) {
    return std::string(e.what()).find("needs the bounded trust form") != std::string::npos;
  });
  TrustModelData pct = share_data(60, 3, 1, false);
  pct.tracker[8] = 35.0;
  BOOST_CHECK_EXCEPTION(TrustModel{pct}, std::invalid_argument, [](const std::invalid_argument& e) {
    return std::string(e.what()).find("tracker: row 8 is 35") != std::string::npos;
  });
  TrustModelData none = share_data(60, 3, 1, false);
  none.tracker.resize(0);
  BOOST_CHECK_EXCEPTION(TrustModel{none}, std::invalid_argument, [](const std::invalid_argument& e) {
    return std::string(e.what()).find("tracker_share needs a tracker") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(spec_keeps_a_share_tracker_unscaled) {
  TrustModelSpec spec;
  const int T = 60;
  const TrustModelData d = make_data(T, true, true, 3);
  spec.channels = {"press", "events", "instagram", "tiktok"};
  spec.roles = {Role::trust, Role::trust, Role::conversion, Role::both};
  spec.media = d.media;
  spec.outcome = d.y;
  spec.tracker = Vector::Constant(T, std::nan(""));
  spec.tracker_n = Vector::Constant(T, std::nan(""));
  for (int t = 0; t < T; t += 4) {
    spec.tracker[t] = 0.3 + 0.01 * (t % 7);
    spec.tracker_n[t] = 500.0 + t;
  }
  spec.trust_form = TrustForm::bounded;
  spec.tracker_share = true;
  const BuiltTrustModel b = build(spec);
  BOOST_TEST(b.model.tracker_share());
  BOOST_TEST(b.scales.tracker_mean == 0.0);
  BOOST_TEST(b.scales.tracker_sd == 1.0);
  for (int t = 0; t < T; t += 4) {
    const double q = spec.tracker[t], n = spec.tracker_n[t];
    BOOST_TEST(b.model.data().tracker[t] == q);
    BOOST_TEST(b.model.data().tracker_se[t] == std::sqrt(q * (1 - q) / n), boost::test_tools::tolerance(1e-12));
  }
  spec.trust_form = TrustForm::linear;
  BOOST_CHECK_THROW(static_cast<void>(build(spec)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(share_tracker_map_recovers_the_share) {
  // Simulate from the bounded model at known parameters (208 periods, a survey of 500
  // every 4 periods measuring the share itself with binomial-size noise and a house bias
  // of 0.01), then fit by MAP from the default start: the share's path, its baseline b,
  // delta and the contributions come back, with no affine map in between.
  TrustModelData d = share_data(208, 11, 1, false);
  TrustModel truth_model(d);
  Vector truth = truth_model.initial_point();
  const auto& names = truth_model.parameter_names();
  auto idx = [&](const std::string& name) {
    const auto it = std::find(names.begin(), names.end(), name);
    BOOST_REQUIRE(it != names.end());
    return it - names.begin();
  };
  truth[idx("logit_delta")] = std::log(0.9 / 0.1);
  truth[idx("log_gamma")] = std::log(1.5);
  truth[idx("log_theta")] = std::log(2.0);
  truth[idx("log_sigma")] = std::log(0.05);
  truth[idx("log_tracker_sigma")] = std::log(0.005);
  truth[idx("logit_trust_base")] = std::log(0.3 / 0.7);
  truth[idx("logit_initial_share")] = std::log(0.3 / 0.7);
  truth[idx("log_mean_trust_hazard")] = 0.0;
  truth[idx("b[1]")] = 0.2;
  truth[idx("b[2]")] = 0.1;
  truth[idx("intercept_level")] = 1.5;
  truth[idx("tracker_share_level")] = 0.0;
  {  // rho = 0.3 (the free parameter is ln(rho ubar)), then a house bias a_q = 0.01 (the free
     // parameter is a_q + the mean observed share)
    truth[idx("log_mean_trust_hazard")] += std::log(0.3 / truth_model.constrain(truth).inflow);
    truth[idx("tracker_share_level")] = 0.01 - truth_model.constrain(truth).tracker_a;
  }
  {
    const auto p0 = truth_model.constrain(truth);
    BOOST_TEST(p0.inflow == 0.3, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(p0.tracker_a == 0.01, boost::test_tools::tolerance(1e-12));
    truth[idx("log_mean_total_contribution[2]")] += std::log(0.5 / p0.beta[0]);
    truth[idx("log_mean_total_contribution[3]")] += std::log(0.3 / p0.beta[1]);
  }
  const auto f = truth_model.forward(truth);
  const auto tru = truth_model.constrain(truth);
  std::mt19937_64 rng(2);
  std::normal_distribution<double> n(0.0, 1.0);
  d.tracker_se = Vector::Zero(208);
  for (int t = 0; t < d.y.size(); ++t) {
    d.y[t] = f.mu[t] + 0.05 * n(rng);
    if (!std::isnan(d.tracker[t])) {
      const double g = f.trust_stock[t], se = std::sqrt(g * (1.0 - g) / 500.0);
      d.tracker[t] = std::clamp(g + tru.tracker_a + se * n(rng), 0.0, 1.0);
      d.tracker_se[t] = std::sqrt(d.tracker[t] * (1.0 - d.tracker[t]) / 500.0);
    }
  }
  TrustModel m(d);
  const MapResult r = fit_map(m, m.initial_point(), 2000);
  BOOST_TEST(r.converged);
  BOOST_TEST_MESSAGE("share tracker MAP: " << r.iterations << " iterations, " << r.message);
  const auto est = m.constrain(r.mode);
  BOOST_TEST(est.delta == tru.delta, boost::test_tools::tolerance(0.03));
  // b, the share the stock decays to without PR, is seen only where PR pauses (every
  // fourth period per channel here): within 0.1 (it came out 0.245 against 0.3).
  BOOST_TEST(std::abs(est.trust_base - tru.trust_base) <= 0.1);
  const auto fe = m.forward(r.mode);
  BOOST_TEST_MESSAGE("share path max error " << (fe.trust_stock - f.trust_stock).cwiseAbs().maxCoeff());
  BOOST_TEST((fe.trust_stock - f.trust_stock).cwiseAbs().maxCoeff() <= 0.03);  // the share itself
  for (int j = 0; j < 2; ++j) {
    const double t_sum = (f.conversion_own.col(j) + f.amplification.col(j)).sum();
    const double e_sum = (fe.conversion_own.col(j) + fe.amplification.col(j)).sum();
    BOOST_TEST_MESSAGE("conversion channel " << j << ": contribution " << e_sum << " (truth " << t_sum << ")");
    BOOST_TEST(e_sum == t_sum, boost::test_tools::tolerance(0.08));  // as the index tracker's recovery above: 3-5%
  }
  BOOST_TEST(fe.trust_direct.sum() == f.trust_direct.sum(), boost::test_tools::tolerance(0.25));
}

BOOST_AUTO_TEST_CASE(map_restarts_after_a_line_search_stop) {
  // LBFGS++'s Armijo-only backtracking can accept a step with s'y <= 0, after which the
  // L-BFGS direction need not descend and LBFGS++ throws: inference::map then restarts
  // from the best point with a strong Wolfe line search. From the default start of the
  // bounded form on these data sets, every fit must end at a mode (small gradient).
  int restarted = 0;
  for (unsigned seed = 1; seed <= 12; ++seed) {
    TrustModelData d = bounded_data(104, true, seed);
    TrustModel m(d);
    const MapResult r = fit_map(m, m.initial_point(), 2000);
    BOOST_TEST_MESSAGE("seed " << seed << ": " << r.iterations << " iterations, " << r.restarts << " restarts, " << r.message
                               << ", |g| " << r.gradient.norm());
    restarted += r.restarts > 0 ? 1 : 0;
    BOOST_TEST(r.converged, "seed " << seed << ": " << r.message);
  }
  BOOST_TEST_MESSAGE(restarted << " of 12 fits restarted");
}

BOOST_AUTO_TEST_CASE(a_tracker_reads_as_a_share_only_when_every_measured_value_is_in_0_1) {
  // The rule behind Python's default form: a survey share (NaN where no wave) reads as a
  // share; a standardised index, a 0-100 score, one value out of [0, 1] or fewer than two
  // measured values do not.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Vector share(6);
  share << 0.31, nan, 0.0, nan, 1.0, 0.42;
  BOOST_TEST(tracker_reads_as_share(share));
  BOOST_TEST(!tracker_reads_as_share((share.array() * 100.0).matrix()));
  Vector z(4);
  z << -0.4, 0.1, 0.9, -1.2;
  BOOST_TEST(!tracker_reads_as_share(z));
  Vector edge = share;
  edge[5] = 1.0 + 1e-12;
  BOOST_TEST(!tracker_reads_as_share(edge));
  edge[5] = std::numeric_limits<double>::infinity();
  BOOST_TEST(!tracker_reads_as_share(edge));
  Vector one(3);
  one << nan, 0.5, nan;
  BOOST_TEST(!tracker_reads_as_share(one));
  BOOST_TEST(!tracker_reads_as_share(Vector(0)));
}

BOOST_AUTO_TEST_CASE(the_default_trust_form_follows_the_tracker_its_panel_sizes_and_an_explicit_tracker_share) {
  // default_trust_form (the rule TrustMMM applies without trust_form), case by case.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Vector share(4), index(4), none(0);
  share << 0.31, nan, 0.35, 0.4;
  index << -0.4, 0.1, 0.9, -1.2;
  const auto check = [](TrustFormChoice c, TrustForm form, bool tracker_share, const char* what) {
    BOOST_TEST((c.form == form), what << ": form " << to_string(c.form));
    BOOST_TEST(c.tracker_share == tracker_share, what);
  };
  check(default_trust_form(share, false, true), TrustForm::bounded, true, "share tracker");
  check(default_trust_form(index, false, true), TrustForm::linear, false, "index tracker");
  check(default_trust_form(none, false, true), TrustForm::linear, false, "no tracker");
  check(default_trust_form(index, true, true), TrustForm::bounded, true, "index with panel sizes");
  check(default_trust_form(share, false, false), TrustForm::linear, false, "trust off");
  check(default_trust_form(share, true, true, false), TrustForm::linear, false, "tracker_share=false");
  check(default_trust_form(index, false, true, true), TrustForm::bounded, true, "tracker_share=true");
  check(default_trust_form(none, false, true, true), TrustForm::linear, true, "tracker_share=true, no tracker");
  // the spec overload reads the spec's tracker, panel sizes and trust switch
  TrustModelSpec spec;
  spec.tracker = share;
  check(default_trust_form(spec), TrustForm::bounded, true, "spec with a share tracker");
  spec.tracker = index;
  check(default_trust_form(spec), TrustForm::linear, false, "spec with an index tracker");
  spec.tracker_n = Vector::Constant(4, 500.0);
  check(default_trust_form(spec), TrustForm::bounded, true, "spec with panel sizes");
  spec.trust_enabled = false;
  check(default_trust_form(spec), TrustForm::linear, false, "spec with trust off");
}
