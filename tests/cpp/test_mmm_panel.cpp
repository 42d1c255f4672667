// The geo panel trust-linked model (panel_model.hpp): exact gradient against finite
// differences for every pooling and trust level, the national model's log density at
// G = 1 with complete pooling, identical results for every thread count, the population
// scaling of build_panel() and its errors, and MAP recovery on a panel drawn from the model.
#include <boost/test/unit_test.hpp>

#include <Eigen/Cholesky>

#include <trustmix/inference/map.hpp>
#include <trustmix/mmm/panel_fit.hpp>
#include <trustmix/mmm/panel_model.hpp>
#include <trustmix/mmm/trust_model.hpp>

#include "mmm_data.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace trustmix::mmm;

namespace {

/// A panel of G geos from mmm_data.hpp's channels: geo g's media are the national test
/// media times (1 + 0.3 g) with a geo-specific jitter, outcome 1 + 0.3 N(0, 1).
PanelModelData make_panel(int T, int G, TrustLevel level, Pooling effects, Pooling base, int tracker_cols, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.5, 1.5);
  std::normal_distribution<double> n(0.0, 1.0);
  const TrustModelData nat = trustmix::test::make_data(T, true, false, seed);
  PanelModelData d;
  const int C = static_cast<int>(nat.media.cols());
  for (int c = 0; c < C; ++c) {
    Matrix m(T, G);
    for (int g = 0; g < G; ++g)
      for (int t = 0; t < T; ++t) m(t, g) = nat.media(t, c) * (1.0 + 0.3 * g) * u(rng);
    d.media.push_back(m);
  }
  d.trust = nat.trust;
  d.conversion = nat.conversion;
  d.effect_pooling.assign(static_cast<std::size_t>(C), effects);
  for (int g = 0; g < G; ++g) d.baseline.push_back(nat.baseline);
  d.baseline_pooling = {base, base, Pooling::complete};
  d.y.resize(T, G);
  for (int g = 0; g < G; ++g)
    for (int t = 0; t < T; ++t) d.y(t, g) = 1.0 + 0.1 * g + 0.3 * n(rng);
  d.weights.resize(T, G);
  for (int g = 0; g < G; ++g) d.weights.col(g).setConstant(1.0 + g);
  d.weights = d.weights.array().colwise() / d.weights.rowwise().sum().array();
  d.trust_level = level;
  if (tracker_cols > 0) {
    d.tracker = Matrix::Constant(T, tracker_cols, std::nan(""));
    for (int k = 0; k < tracker_cols; ++k)
      for (int t = k % 3; t < T; t += 3) d.tracker(t, k) = 0.5 + 0.2 * n(rng);
  }
  d.max_lag = 6;
  return d;
}

void check_gradient(const PanelTrustModel& m, const Vector& z, const std::string& label) {
  PanelWorkspace ws;
  Vector g(m.dimension()), scratch(m.dimension());
  const double lp = m.log_density(z, g, ws);
  BOOST_REQUIRE_MESSAGE(std::isfinite(lp), label);
  const double h = 1e-5;
  const double rounding = 10.0 * std::numeric_limits<double>::epsilon() * (1.0 + std::abs(lp)) / h;
  for (int i = 0; i < m.dimension(); ++i) {
    Vector zp = z, zm = z;
    zp[i] += h;
    zm[i] -= h;
    const double fd = (m.log_density(zp, scratch, ws) - m.log_density(zm, scratch, ws)) / (2 * h);
    const double tol = 1e-5 * (1.0 + std::abs(fd)) + rounding;
    BOOST_CHECK_MESSAGE(std::abs(fd - g[i]) < tol, label << ": " << m.parameter_names()[static_cast<std::size_t>(i)]
                                                         << " analytic " << g[i] << " numeric " << fd);
  }
}

/// The one-geo panel of national data: complete pooling, the national model's media,
/// baseline, outcome, tracker (with its sampling errors) and noise.
PanelModelData one_geo_panel(const TrustModelData& nd, bool trust) {
  PanelModelData pd;
  for (int c = 0; c < nd.media.cols(); ++c) pd.media.emplace_back(nd.media.col(c));
  pd.trust = nd.trust;
  pd.conversion = nd.conversion;
  pd.effect_pooling.assign(4, Pooling::complete);
  pd.baseline = {nd.baseline};
  pd.baseline_pooling.assign(3, Pooling::complete);
  pd.y = nd.y;
  pd.trust_level = trust ? TrustLevel::national : TrustLevel::off;
  if (nd.tracker.size() != 0) pd.tracker = nd.tracker;
  if (nd.tracker_se.size() != 0) pd.tracker_se = nd.tracker_se;
  pd.noise = nd.noise;
  pd.max_lag = nd.max_lag;
  return pd;
}

/// The panel parameters of the national model's parameters q (one geo).
PanelModelParameters one_geo_parameters(const TrustModelParameters& q) {
  PanelModelParameters p;
  p.alpha = q.alpha;
  p.lam = q.lam;
  p.beta = q.beta;  // S x 1
  p.b = q.b;
  p.sigma = q.sigma;
  p.kappa = q.kappa;
  p.delta = q.delta;
  p.g0 = q.g0;
  p.gamma = q.gamma;
  p.theta = q.theta;
  p.tracker_a = q.tracker_a;
  p.tracker_b = q.tracker_b;
  p.tracker_sigma = q.tracker_sigma;
  p.ar1 = q.ar1;
  p.trust_base = q.trust_base;
  p.inflow = q.inflow;
  p.omega = q.omega;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(gradient_matches_finite_differences_for_every_pooling_and_trust_level) {
  for (TrustLevel level : {TrustLevel::off, TrustLevel::national, TrustLevel::geo})
    for (Pooling pool : {Pooling::none, Pooling::partial, Pooling::complete})
      for (int tracker : {0, 1, 3}) {
        if (level == TrustLevel::off && tracker > 0) continue;
        const PanelTrustModel m(make_panel(40, 3, level, pool, pool == Pooling::none ? Pooling::partial : pool, tracker, 7));
        std::mt19937_64 rng(11);
        std::normal_distribution<double> n(0.0, 0.5);
        for (int rep = 0; rep < 2; ++rep) {
          Vector z = m.initial_point();
          for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
          std::ostringstream label;
          label << "trust " << to_string(level) << " pooling " << to_string(pool) << " tracker " << tracker;
          check_gradient(m, z, label.str());
        }
      }
}

BOOST_AUTO_TEST_CASE(one_geo_with_complete_pooling_is_the_national_model) {
  // Same data, same priors: the log posterior densities agree where the parametrisations
  // meet (the national model's extra -ln b_q with a tracker; panel_model.hpp), with iid
  // and with AR(1) residuals (then the tracker has known sampling errors too: the panel's
  // AR(1) likelihood and its tracker_se are the national model's term for term).
  for (Noise noise : {Noise::iid, Noise::ar1})
    for (bool trust : {true, false})
      for (bool tracker : {false, true}) {
        if (!trust && tracker) continue;
        TrustModelData nd = trustmix::test::make_data(60, trust, tracker, 3);
        nd.shocks = Matrix::Zero(60, 0);
        nd.noise = noise;
        if (tracker && noise == Noise::ar1) {
          nd.tracker_se = Vector::Zero(60);
          for (int t = 0; t < 60; ++t) nd.tracker_se[t] = 0.02 + 0.03 * ((t * 7) % 5) / 4.0;
        }
        const TrustModel nat(nd);
        const PanelTrustModel pan(one_geo_panel(nd, trust));
        BOOST_REQUIRE(pan.ar1() == (noise == Noise::ar1));
        std::mt19937_64 rng(2);
        std::normal_distribution<double> n(0.0, 0.4);
        for (int rep = 0; rep < 3; ++rep) {
          Vector zn = nat.initial_point();
          for (int i = 0; i < zn.size(); ++i) zn[i] += n(rng);
          const TrustModelParameters q = nat.constrain(zn);
          BOOST_REQUIRE((q.ar1 != 0.0) == (noise == Noise::ar1));
          const Vector zp = pan.unconstrain(one_geo_parameters(q));
          Vector gn(nat.dimension()), gp(pan.dimension());
          TrustModelWorkspace wn;
          PanelWorkspace wp;
          const double ln = nat.log_density(zn, gn, wn);
          const double lpan = pan.log_density(zp, gp, wp) - (tracker ? std::log(q.tracker_b) : 0.0);
          BOOST_TEST_INFO("noise " << to_string(noise) << " trust " << trust << " tracker " << tracker << " rep " << rep);
          BOOST_CHECK_SMALL(ln - lpan, 1e-10 * (1.0 + std::abs(ln)));
          // and the forward pass: the same mean outcome
          const Vector mu_n = nat.forward(zn).mu;
          const Matrix mu_p = pan.forward(zp).mu;
          BOOST_CHECK_SMALL((mu_n - mu_p.col(0)).cwiseAbs().maxCoeff(), 1e-12);
        }
      }
}

BOOST_AUTO_TEST_CASE(identical_for_every_thread_count) {
  for (TrustLevel level : {TrustLevel::national, TrustLevel::geo}) {
    PanelModelData d = make_panel(50, 12, level, Pooling::partial, Pooling::partial, 1, 5);
    d.threads = 1;
    const PanelTrustModel m1(d);
    d.threads = 4;
    const PanelTrustModel m4(d);
    Vector z = m1.initial_point();
    std::mt19937_64 rng(3);
    std::normal_distribution<double> n(0.0, 0.3);
    for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
    PanelWorkspace w1, w4;
    Vector g1(m1.dimension()), g4(m4.dimension());
    const double l1 = m1.log_density(z, g1, w1), l4 = m4.log_density(z, g4, w4);
    BOOST_CHECK_EQUAL(l1, l4);  // bit-identical
    BOOST_CHECK((g1.array() == g4.array()).all());
  }
}

BOOST_AUTO_TEST_CASE(decomposition_adds_up_and_incremental_is_a_counterfactual) {
  const PanelTrustModel m(make_panel(40, 3, TrustLevel::geo, Pooling::partial, Pooling::partial, 0, 9));
  Vector z = m.initial_point();
  z.array() += 0.1;
  const PanelForward f = m.forward(z);
  Matrix sum = f.base + f.trust_direct;
  for (std::size_t j = 0; j < f.conversion_own.size(); ++j) sum += f.conversion_own[j] + f.amplification[j];
  BOOST_CHECK_SMALL((sum - f.mu).cwiseAbs().maxCoeff(), 1e-12);
  // a conversion-only channel (instagram, c = 2) removed everywhere: its own term and amplification
  const Matrix inc = m.incremental(z, 2, 0, 40, 0);
  const Matrix expected = f.conversion_own[0] + f.amplification[0];
  BOOST_CHECK_SMALL((inc - expected).cwiseAbs().maxCoeff(), 1e-12);
  // a trust channel's effect continues past the data through the stock
  const Matrix tail = m.incremental(z, 0, 0, 40, 30);
  BOOST_CHECK(tail.bottomRows(30).cwiseAbs().maxCoeff() > 0.0);
}

namespace {
/// Two geos (populations 100 and 200) x T periods: national press (300 a period) feeding
/// the stock, social bought by geo (zeros here: each test sets its own).
PanelModelSpec two_geo_spec(int T) {
  PanelModelSpec s;
  const int G = 2;
  s.geos = {"north", "south"};
  s.channels = {"press", "social"};
  s.roles = {Role::trust, Role::conversion};
  s.national = {true, false};
  s.media = {Matrix::Constant(T, 1, 300.0), Matrix::Constant(T, G, 0.0)};
  s.population = Matrix(1, G);
  s.population << 100.0, 200.0;
  return s;
}
}  // namespace

BOOST_AUTO_TEST_CASE(build_scales_per_capita_and_reports_bad_input) {
  const int T = 30, G = 2;
  PanelModelSpec s = two_geo_spec(T);
  s.media[1].col(0).setConstant(10.0);
  s.media[1].col(1).setConstant(40.0);
  s.outcome = Matrix(T, G);
  s.outcome.col(0).setConstant(50.0);
  s.outcome.col(1).setConstant(100.0);
  s.seasonality = 1;
  const BuiltPanelModel b = build_panel(s);
  // national press by population share: 100 and 200 of 300, per capita 1 in both geos
  BOOST_CHECK_CLOSE(b.scales.activity[0](3, 0), 100.0, 1e-12);
  BOOST_CHECK_CLOSE(b.scales.activity[0](3, 1), 200.0, 1e-12);
  BOOST_CHECK_CLOSE(b.scales.media_scale[0], 1.0, 1e-12);
  // social per capita 0.1 and 0.2: scale 0.15
  BOOST_CHECK_CLOSE(b.scales.media_scale[1], 0.15, 1e-12);
  BOOST_CHECK_CLOSE(b.model.data().media[1](0, 1), 0.2 / 0.15, 1e-12);
  BOOST_CHECK_CLOSE(b.scales.y_scale, 0.5, 1e-12);  // both geos 0.5 per capita
  BOOST_CHECK_EQUAL(b.model.data().baseline[0].cols(), 4);
  // a given share
  PanelModelSpec s2 = s;
  s2.share = {Matrix(1, G), Matrix()};
  s2.share[0] << 0.25, 0.75;
  BOOST_CHECK_CLOSE(build_panel(s2).scales.activity[0](0, 1), 225.0, 1e-12);
  // partial curvature pooling: a trust-only channel under the national stock stays complete
  // (only the national series uses it); the conversion channel is pooled as asked
  PanelModelSpec s3 = s;
  s3.adstock_pooling = Pooling::partial;
  s3.saturation_pooling = Pooling::partial;
  const BuiltPanelModel b3 = build_panel(s3);
  BOOST_CHECK(b3.model.data().adstock_pooling[0] == Pooling::complete);
  BOOST_CHECK(b3.model.data().saturation_pooling[0] == Pooling::complete);
  BOOST_CHECK(b3.model.data().adstock_pooling[1] == Pooling::partial);
  BOOST_CHECK(b3.model.data().saturation_pooling[1] == Pooling::partial);
  s3.trust = TrustLevel::geo;  // a stock per geo uses each geo's own alpha: pooled as asked
  BOOST_CHECK(build_panel(s3).model.data().adstock_pooling[0] == Pooling::partial);
  auto throws_with = [](PanelModelSpec bad, const std::string& text) {
    try {
      (void)build_panel(std::move(bad));
      BOOST_ERROR("no error for " << text);
    } catch (const std::exception& e) {
      BOOST_CHECK_MESSAGE(std::string(e.what()).find(text) != std::string::npos, e.what());
    }
  };
  PanelModelSpec bad = s;
  bad.population(0, 1) = 0.0;
  throws_with(bad, "population: geo 'south'");
  bad = s;
  bad.outcome(4, 0) = std::nan("");
  throws_with(bad, "outcome: geo 'north', period 4");
  bad = s;
  bad.media[1](2, 1) = -1.0;
  throws_with(bad, "media of channel 'social': geo 'south', period 2");
  bad = s2;
  bad.share[0] << 0.5, 0.6;
  throws_with(bad, "shares must be >= 0 and sum to 1");
  bad = s;
  bad.media[1].setZero();
  throws_with(bad, "channel 'social' has no activity");
}

BOOST_AUTO_TEST_CASE(map_recovers_geo_effects_of_a_panel_drawn_from_the_model) {
  // Draw a panel from the model at known parameters (log-normal geo effects), then fit by
  // MAP without pooling: every per-geo effect comes back within 25%, sigma within 15%.
  PanelModelData d = make_panel(156, 6, TrustLevel::national, Pooling::partial, Pooling::partial, 1, 21);
  const PanelTrustModel gen(d);
  PanelModelParameters truth = gen.constrain(gen.initial_point());
  truth.alpha << 0.4, 0.3, 0.2, 0.5;
  truth.lam << 1.0, 1.5, 1.2, 0.8;
  truth.beta_median << 0.5, 0.4;
  truth.beta_tau << 0.3, 0.3;
  std::mt19937_64 rng(4);
  std::normal_distribution<double> n(0.0, 1.0);
  for (int j = 0; j < 2; ++j)
    for (int g = 0; g < 6; ++g) truth.beta(j, g) = truth.beta_median[j] * std::exp(truth.beta_tau[j] * n(rng));
  truth.b_mean << 1.0, 0.2, 0.1;
  truth.b_tau << 0.2, 0.1, 0.1;
  for (int g = 0; g < 6; ++g) {
    truth.b(0, g) = 1.0 + 0.2 * n(rng);
    truth.b(1, g) = 0.2 + 0.1 * n(rng);
    truth.b(2, g) = 0.1;
  }
  truth.sigma = 0.05;
  truth.kappa << 0.6, 0.2, 0.2;
  truth.delta = 0.9;
  truth.g0 = 0.2;
  truth.gamma = 0.3;
  truth.theta = 0.5;
  truth.tracker_a = 0.0;
  truth.tracker_b = 3.0;
  truth.tracker_sigma = 0.1;
  const Vector zt = gen.unconstrain(truth);
  const PanelForward f = gen.forward(zt);
  for (int g = 0; g < 6; ++g)
    for (int t = 0; t < 156; ++t) d.y(t, g) = f.mu(t, g) + truth.sigma * n(rng);
  const Vector Sn = f.stock.col(0);
  for (int t = 0; t < 156; ++t)
    if (!std::isnan(d.tracker(t, 0))) d.tracker(t, 0) = truth.tracker_b * Sn[t] + truth.tracker_sigma * n(rng);
  // MAP of a hierarchy shrinks (its mode sits at small tau): fit without pooling of effects
  d.effect_pooling.assign(4, Pooling::none);
  const PanelTrustModel m(d);
  const PanelTarget target(m);
  trustmix::inference::MapOptions o;
  o.initial_values = m.initial_point();
  o.laplace = false;
  o.max_iterations = 5000;
  const auto r = trustmix::inference::map(target, o);
  const PanelModelParameters est = m.constrain(r.mode);
  for (int j = 0; j < 2; ++j)
    for (int g = 0; g < 6; ++g) {
      BOOST_TEST_INFO("beta[" << j << "," << g << "]");
      BOOST_CHECK_CLOSE(est.beta(j, g), truth.beta(j, g), 25.0);
    }
  BOOST_CHECK_CLOSE(est.sigma, truth.sigma, 15.0);
}

// ---- pooling of adstock, saturation and the trust parameters; the national+geo stock ------

namespace {

/// d with adstock and saturation pooled `pool` for every channel (a trust channel with a
/// national series gets 'partial' where `pool` is none: none is refused there), and the
/// trust half-life (geo stocks only) and amplification pooled `pool`.
PanelModelData with_curvature_pooling(PanelModelData d, Pooling pool) {
  const auto C = d.media.size();
  const bool national_series = d.trust_level == TrustLevel::national || d.trust_level == TrustLevel::national_geo;
  d.adstock_pooling.assign(C, pool);
  d.saturation_pooling.assign(C, pool);
  for (std::size_t c = 0; c < C; ++c)
    if (national_series && d.trust[c] && pool == Pooling::none) {
      d.adstock_pooling[c] = Pooling::partial;
      d.saturation_pooling[c] = Pooling::partial;
    }
  if (d.trust_level == TrustLevel::geo) d.half_life_pooling = pool;
  if (d.trust_level != TrustLevel::off) d.amplification_pooling = pool;
  return d;
}

}  // namespace

BOOST_AUTO_TEST_CASE(gradient_matches_finite_differences_for_pooled_curvature_and_trust) {
  for (TrustLevel level : {TrustLevel::off, TrustLevel::national, TrustLevel::geo, TrustLevel::national_geo})
    for (Pooling pool : {Pooling::none, Pooling::partial, Pooling::complete})
      for (int tracker : {0, 1, 3}) {
        if (level == TrustLevel::off && tracker > 0) continue;
        const PanelTrustModel m(
            with_curvature_pooling(make_panel(40, 3, level, Pooling::partial, Pooling::partial, tracker, 8), pool));
        std::mt19937_64 rng(12);
        std::normal_distribution<double> n(0.0, 0.5);
        for (int rep = 0; rep < 2; ++rep) {
          Vector z = m.initial_point();
          for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
          std::ostringstream label;
          label << "trust " << to_string(level) << " curvature pooling " << to_string(pool) << " tracker " << tracker;
          check_gradient(m, z, label.str());
        }
      }
}

BOOST_AUTO_TEST_CASE(complete_curvature_pooling_keeps_the_log_density_of_the_first_version) {
  // Regression guard: log densities of the first panel model (commit e972911, before the
  // curvature pooling existed) at the points of the gradient test's first repetition; the
  // default (complete) pooling of adstock, saturation, delta and theta must reproduce them.
  const double before[] = {
      -119.63154779577556, -293.31995237010375, -66.509385702716898,                       // off
      -115.35171605552459, -113.64337992892807, -105.98062523178761, -321.60676237906051,  // national
      -321.49002978372306, -320.69808946252363, -71.280830052465731, -72.197519955252019, -70.560482532015769,
      -115.45308304093801, -113.46355787535687, -104.11204186637843, -320.04294298651627,  // geo
      -319.93619640163615, -319.45047251874632, -71.219002412392058, -72.132018380363519, -70.486653015919444};
  int i = 0;
  for (TrustLevel level : {TrustLevel::off, TrustLevel::national, TrustLevel::geo})
    for (Pooling pool : {Pooling::none, Pooling::partial, Pooling::complete})
      for (int tracker : {0, 1, 3}) {
        if (level == TrustLevel::off && tracker > 0) continue;
        const PanelTrustModel m(make_panel(40, 3, level, pool, pool == Pooling::none ? Pooling::partial : pool, tracker, 7));
        std::mt19937_64 rng(11);
        std::normal_distribution<double> n(0.0, 0.5);
        Vector z = m.initial_point();
        for (int k = 0; k < z.size(); ++k) z[k] += n(rng);
        PanelWorkspace ws;
        Vector g(m.dimension());
        const double lp = m.log_density(z, g, ws);
        BOOST_TEST_INFO("trust " << to_string(level) << " pooling " << to_string(pool) << " tracker " << tracker);
        BOOST_CHECK_SMALL(lp - before[i], 1e-12 * std::abs(before[i]));
        ++i;
      }
  BOOST_CHECK_EQUAL(i, 21);
}

BOOST_AUTO_TEST_CASE(pooled_curvature_is_identical_for_every_thread_count) {
  for (TrustLevel level : {TrustLevel::geo, TrustLevel::national_geo})
    for (Pooling pool : {Pooling::none, Pooling::partial}) {
      PanelModelData d = with_curvature_pooling(make_panel(50, 12, level, Pooling::partial, Pooling::partial, 1, 5), pool);
      d.threads = 1;
      const PanelTrustModel m1(d);
      d.threads = 4;
      const PanelTrustModel m4(d);
      Vector z = m1.initial_point();
      std::mt19937_64 rng(3);
      std::normal_distribution<double> n(0.0, 0.3);
      for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
      PanelWorkspace w1, w4;
      Vector g1(m1.dimension()), g4(m4.dimension());
      const double l1 = m1.log_density(z, g1, w1), l4 = m4.log_density(z, g4, w4);
      BOOST_CHECK_EQUAL(l1, l4);  // bit-identical
      BOOST_CHECK((g1.array() == g4.array()).all());
    }
}

BOOST_AUTO_TEST_CASE(partial_pooling_hierarchy_has_the_documented_prior) {
  // Partial pooling of adstock: logit alpha_{c,g} = m_c + tau_c eta_g. Moving only eta_g of
  // one channel changes the log density by the N(0, 1) prior of eta and the likelihood; with
  // the data's outcome replaced by the model's own mean at that point (y = mu) and sigma
  // fixed, the likelihood's change is closed form.
  PanelModelData d = with_curvature_pooling(make_panel(30, 2, TrustLevel::off, Pooling::complete, Pooling::complete, 0, 3),
                                            Pooling::partial);
  const PanelTrustModel m0(d);
  Vector z = m0.initial_point();
  d.y = m0.forward(z).mu;
  const PanelTrustModel m(d);
  PanelWorkspace ws;
  Vector g(m.dimension());
  const double lp0 = m.log_density(z, g, ws);
  // eta of channel 0, geo 1 sits after the location and ln tau of channel 0's block
  const auto& names = m.parameter_names();
  const auto it = std::find(names.begin(), names.end(), "alpha_eta[0,1]");
  BOOST_REQUIRE(it != names.end());
  const auto k = it - names.begin();
  Vector z1 = z;
  z1[k] = 0.7;
  const PanelModelParameters p1 = m.constrain(z1);
  // the geo's alpha follows the non-centred map; the other geo's is unchanged
  BOOST_REQUIRE_EQUAL(names[0], "logit_alpha_location[0]");
  BOOST_CHECK_CLOSE(std::log(p1.alpha_geo(0, 1) / (1.0 - p1.alpha_geo(0, 1))), z[0] + std::exp(z[1]) * 0.7, 1e-9);
  BOOST_CHECK_EQUAL(p1.alpha_geo(0, 0), m.constrain(z).alpha_geo(0, 0));
  const Matrix mu1 = m.forward(z1).mu;
  const double sigma = m.constrain(z).sigma;
  const double ss = (d.y - mu1).squaredNorm();
  const double lp1 = m.log_density(z1, g, ws);
  BOOST_CHECK_CLOSE(lp1 - lp0, -0.5 * 0.7 * 0.7 - 0.5 * ss / (sigma * sigma), 1e-8);
}

BOOST_AUTO_TEST_CASE(parameter_names_of_per_geo_curvature_and_trust_blocks) {
  // The names of the free (unconstrained) and constrained parameters with geo-level trust
  // stocks, 3 geos, effects and baseline pooled completely, and adstock, saturation, half-life
  // and amplification pooled none or partial: "what[channel,geo]" per channel and geo,
  // "what[geo]" without a channel, a partial block's location and ln tau before its etas.
  // Written out in full: the Python side (PanelFit's tables, the draws' columns) reads them.
  const auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) {
      if (!s.empty()) s += ' ';
      s += x;
    }
    return s;
  };
  const auto check = [&](Pooling pool, const std::string& free_names, const std::string& constrained_names) {
    const PanelTrustModel m(
        with_curvature_pooling(make_panel(30, 3, TrustLevel::geo, Pooling::complete, Pooling::complete, 0, 4), pool));
    BOOST_CHECK_EQUAL(joined(m.parameter_names()), free_names);
    BOOST_CHECK_EQUAL(joined(m.constrained_names()), constrained_names);
  };
  check(Pooling::none,
        "logit_alpha[0,0] logit_alpha[0,1] logit_alpha[0,2] logit_alpha[1,0] logit_alpha[1,1] logit_alpha[1,2] "
        "logit_alpha[2,0] logit_alpha[2,1] logit_alpha[2,2] logit_alpha[3,0] logit_alpha[3,1] logit_alpha[3,2] "
        "log_lam[0,0] log_lam[0,1] log_lam[0,2] log_lam[1,0] log_lam[1,1] log_lam[1,2] log_lam[2,0] "
        "log_lam[2,1] log_lam[2,2] log_lam[3,0] log_lam[3,1] log_lam[3,2] log_beta[2] log_beta[3] b[0] b[1] "
        "b[2] log_sigma ilr_kappa[0] ilr_kappa[1] logit_delta[0] logit_delta[1] logit_delta[2] g0 log_gamma "
        "log_theta[0] log_theta[1] log_theta[2]",
        "alpha[0] alpha[1] alpha[2] alpha[3] lam[0] lam[1] lam[2] lam[3] beta[2,0] beta[2,1] beta[2,2] "
        "beta[3,0] beta[3,1] beta[3,2] b[0,0] b[0,1] b[0,2] b[1,0] b[1,1] b[1,2] b[2,0] b[2,1] b[2,2] sigma "
        "kappa[0] kappa[1] kappa[3] delta g0 gamma theta alpha[0,0] alpha[0,1] alpha[0,2] alpha[1,0] alpha[1,1] "
        "alpha[1,2] alpha[2,0] alpha[2,1] alpha[2,2] alpha[3,0] alpha[3,1] alpha[3,2] lam[0,0] lam[0,1] "
        "lam[0,2] lam[1,0] lam[1,1] lam[1,2] lam[2,0] lam[2,1] lam[2,2] lam[3,0] lam[3,1] lam[3,2] delta[0] "
        "delta[1] delta[2] theta[0] theta[1] theta[2]");
  check(Pooling::partial,
        "logit_alpha_location[0] log_alpha_tau[0] alpha_eta[0,0] alpha_eta[0,1] alpha_eta[0,2] "
        "logit_alpha_location[1] log_alpha_tau[1] alpha_eta[1,0] alpha_eta[1,1] alpha_eta[1,2] "
        "logit_alpha_location[2] log_alpha_tau[2] alpha_eta[2,0] alpha_eta[2,1] alpha_eta[2,2] "
        "logit_alpha_location[3] log_alpha_tau[3] alpha_eta[3,0] alpha_eta[3,1] alpha_eta[3,2] "
        "log_lam_location[0] log_lam_tau[0] lam_eta[0,0] lam_eta[0,1] lam_eta[0,2] log_lam_location[1] "
        "log_lam_tau[1] lam_eta[1,0] lam_eta[1,1] lam_eta[1,2] log_lam_location[2] log_lam_tau[2] lam_eta[2,0] "
        "lam_eta[2,1] lam_eta[2,2] log_lam_location[3] log_lam_tau[3] lam_eta[3,0] lam_eta[3,1] lam_eta[3,2] "
        "log_beta[2] log_beta[3] b[0] b[1] b[2] log_sigma ilr_kappa[0] ilr_kappa[1] logit_delta_location "
        "log_delta_tau delta_eta[0] delta_eta[1] delta_eta[2] g0 log_gamma log_theta_location log_theta_tau "
        "theta_eta[0] theta_eta[1] theta_eta[2]",
        "alpha[0] alpha[1] alpha[2] alpha[3] lam[0] lam[1] lam[2] lam[3] beta[2,0] beta[2,1] beta[2,2] "
        "beta[3,0] beta[3,1] beta[3,2] b[0,0] b[0,1] b[0,2] b[1,0] b[1,1] b[1,2] b[2,0] b[2,1] b[2,2] sigma "
        "kappa[0] kappa[1] kappa[3] delta g0 gamma theta alpha[0,0] alpha[0,1] alpha[0,2] alpha_tau[0] "
        "alpha[1,0] alpha[1,1] alpha[1,2] alpha_tau[1] alpha[2,0] alpha[2,1] alpha[2,2] alpha_tau[2] alpha[3,0] "
        "alpha[3,1] alpha[3,2] alpha_tau[3] lam[0,0] lam[0,1] lam[0,2] lam_tau[0] lam[1,0] lam[1,1] lam[1,2] "
        "lam_tau[1] lam[2,0] lam[2,1] lam[2,2] lam_tau[2] lam[3,0] lam[3,1] lam[3,2] lam_tau[3] delta[0] "
        "delta[1] delta[2] delta_tau theta[0] theta[1] theta[2] theta_tau");
}

BOOST_AUTO_TEST_CASE(national_geo_stock_is_the_national_stock_times_geo_multipliers) {
  for (int tracker : {0, 1, 3}) {
    const PanelModelData dn = make_panel(40, 3, TrustLevel::national, Pooling::partial, Pooling::partial, tracker, 9);
    PanelModelData dd = dn;
    dd.trust_level = TrustLevel::national_geo;
    const PanelTrustModel mn(dn), md(dd);
    BOOST_REQUIRE_EQUAL(md.dimension(), mn.dimension() + 1 + 3);
    Vector zn = mn.initial_point();
    zn.array() += 0.05;
    PanelModelParameters p = mn.constrain(zn);
    p.stock_tau = 0.4;
    p.stock_multiplier = Vector(3);
    p.stock_multiplier << 0.8, 1.0, 1.5;
    const Vector zd = md.unconstrain(p);
    const PanelForward fn = mn.forward(zn), fd = md.forward(zd);
    for (int g = 0; g < 3; ++g)
      BOOST_CHECK_SMALL((fd.stock.col(g) - p.stock_multiplier[g] * fn.stock.col(g)).cwiseAbs().maxCoeff(), 1e-12);
    // multipliers of 1 (eta = 0): the national model's density plus the prior of tau and eta
    p.stock_multiplier.setOnes();
    const Vector z1 = md.unconstrain(p);
    PanelWorkspace w;
    Vector gn(mn.dimension()), gd(md.dimension());
    const double ln = mn.log_density(zn, gn, w), ld = md.log_density(z1, gd, w);
    const double tau = 0.4, s = 0.3;
    BOOST_CHECK_CLOSE(ld - ln, -0.5 * tau * tau / (s * s) + std::log(tau), 1e-9);
  }
}

BOOST_AUTO_TEST_CASE(map_recovers_geo_stock_multipliers_from_geo_trackers) {
  // Draw a panel with a national stock and geo multipliers 0.6 .. 1.6 and a tracker per
  // geo; MAP recovers each multiplier within 15% (the trackers measure b_q m_g S[t]).
  const int G = 5, T = 156;
  PanelModelData d = make_panel(T, G, TrustLevel::national_geo, Pooling::none, Pooling::partial, G, 31);
  for (int g = 0; g < G; ++g)
    for (int t = 0; t < T; ++t) d.tracker(t, g) = (t % 2 == 0) ? 0.0 : std::nan("");
  const PanelTrustModel gen(d);
  PanelModelParameters truth = gen.constrain(gen.initial_point());
  truth.alpha << 0.4, 0.3, 0.2, 0.5;
  truth.lam << 1.0, 1.5, 1.2, 0.8;
  truth.alpha_geo = truth.alpha.replicate(1, G);
  truth.lam_geo = truth.lam.replicate(1, G);
  truth.beta.setConstant(0.4);
  truth.sigma = 0.05;
  truth.kappa << 0.6, 0.2, 0.2;
  truth.delta = 0.9;
  truth.g0 = 0.2;
  truth.gamma = 0.3;
  truth.theta = 0.5;
  truth.tracker_a = 0.0;
  truth.tracker_b = 3.0;
  truth.tracker_sigma = 0.1;
  truth.stock_tau = 0.35;
  truth.stock_multiplier = Vector(G);
  truth.stock_multiplier << 0.6, 0.85, 1.0, 1.25, 1.6;
  const Vector zt = gen.unconstrain(truth);
  const PanelForward f = gen.forward(zt);
  std::mt19937_64 rng(6);
  std::normal_distribution<double> n(0.0, 1.0);
  for (int g = 0; g < G; ++g)
    for (int t = 0; t < T; ++t) {
      d.y(t, g) = f.mu(t, g) + truth.sigma * n(rng);
      if (!std::isnan(d.tracker(t, g))) d.tracker(t, g) = truth.tracker_b * f.stock(t, g) + truth.tracker_sigma * n(rng);
    }
  const PanelTrustModel m(d);
  const PanelTarget target(m);
  trustmix::inference::MapOptions o;
  o.initial_values = m.initial_point();
  o.laplace = false;
  o.max_iterations = 5000;
  const auto r = trustmix::inference::map(target, o);
  const PanelModelParameters est = m.constrain(r.mode);
  // the multipliers are identified up to the common scale shared with b_q, gamma: compare
  // ratios to the geo mean
  const double gm_est = est.stock_multiplier.array().log().mean(), gm_true = truth.stock_multiplier.array().log().mean();
  for (int g = 0; g < G; ++g) {
    BOOST_TEST_INFO("geo " << g);
    BOOST_CHECK_CLOSE(std::exp(std::log(est.stock_multiplier[g]) - gm_est),
                      std::exp(std::log(truth.stock_multiplier[g]) - gm_true), 15.0);
  }
}

// ---- AR(1) residuals per geo and a tracker with known sampling errors -------------------

BOOST_AUTO_TEST_CASE(gradient_matches_finite_differences_with_ar1_noise_and_tracker_sampling_errors) {
  for (TrustLevel level : {TrustLevel::off, TrustLevel::national, TrustLevel::geo, TrustLevel::national_geo})
    for (int tracker : {0, 1, 3}) {
      if (level == TrustLevel::off && tracker > 0) continue;
      PanelModelData d = make_panel(40, 3, level, Pooling::partial, Pooling::partial, tracker, 9);
      d.noise = Noise::ar1;
      if (tracker > 0) {  // a known sampling error on every measured entry
        d.tracker_se = Matrix::Constant(d.tracker.rows(), d.tracker.cols(), 0.0);
        for (Eigen::Index i = 0; i < d.tracker.size(); ++i)
          d.tracker_se.data()[i] = 0.05 + 0.01 * static_cast<double>(i % 7);
      }
      const PanelTrustModel m(d);
      BOOST_CHECK_EQUAL(m.parameter_names().back(), "atanh_ar1_phi");
      BOOST_CHECK_EQUAL(m.constrained_names().back(), "ar1_phi");
      std::mt19937_64 rng(13);
      std::normal_distribution<double> n(0.0, 0.5);
      for (int rep = 0; rep < 2; ++rep) {
        Vector z = m.initial_point();
        for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
        std::ostringstream label;
        label << "ar1, trust " << to_string(level) << " tracker " << tracker;
        check_gradient(m, z, label.str());
        // unconstrain(constrain(z)) == z, phi included
        const Vector back = m.unconstrain(m.constrain(z));
        BOOST_CHECK_SMALL((back.tail(1) - z.tail(1)).cwiseAbs().maxCoeff(), 1e-12);
      }
    }
}

namespace {

/// Two geos x 30 weeks, a geo trust channel and a geo conversion channel, a per-geo survey
/// every other week asked of 400 (north) and 25 (south) people, AR(1) residuals.
PanelModelSpec two_geo_spec() {
  const int T = 30, G = 2;
  PanelModelSpec s;
  s.geos = {"north", "south"};
  s.channels = {"press", "social"};
  s.roles = {Role::trust, Role::conversion};
  s.national = {false, false};
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int c = 0; c < 2; ++c) {
    Matrix m(T, G);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = u(rng);
    s.media.push_back(m);
  }
  s.outcome = Matrix::Constant(T, G, 5.0);
  for (Eigen::Index i = 0; i < s.outcome.size(); ++i) s.outcome.data()[i] += u(rng);
  s.tracker = Matrix::Constant(T, G, std::nan(""));
  s.tracker_n = Matrix::Zero(T, G);
  for (int g = 0; g < G; ++g)
    for (int t = 0; t < T; t += 2) {
      s.tracker(t, g) = 0.3 + 0.2 * u(rng);
      s.tracker_n(t, g) = g == 0 ? 400.0 : 25.0;
    }
  s.noise = Noise::ar1;
  s.max_lag = 4;
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(ar1_and_tracker_n_through_build_panel_and_their_errors) {
  // tracker_n gives sqrt(p (1 - p) / n) / sd per entry; a wrong shape or a bad entry is
  // refused naming the geo and period.
  const PanelModelSpec s = two_geo_spec();
  const int T = 30, G = 2;
  const BuiltPanelModel b = build_panel(s);
  BOOST_CHECK(b.model.ar1());
  const double sd = b.scales.tracker_sd;
  for (int g = 0; g < G; ++g) {
    const double q = s.tracker(4, g), n = s.tracker_n(4, g);
    BOOST_CHECK_CLOSE(b.model.data().tracker_se(4, g), std::sqrt(q * (1.0 - q) / n) / sd, 1e-12);
  }
  BOOST_CHECK_CLOSE(
      b.model.data().tracker_se(4, 1) / b.model.data().tracker_se(4, 0),
      std::sqrt(s.tracker(4, 1) * (1 - s.tracker(4, 1)) / 25.0) / std::sqrt(s.tracker(4, 0) * (1 - s.tracker(4, 0)) / 400.0),
      1e-10);
  auto message = [&](PanelModelSpec bad) {
    try {
      (void)build_panel(std::move(bad));
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  PanelModelSpec bad = s;
  bad.tracker_n(6, 1) = 0.0;
  BOOST_CHECK_MESSAGE(message(bad).find("tracker_n: geo 'south', period 6") != std::string::npos, message(bad));
  bad = s;
  bad.tracker(8, 0) = 1.5;
  BOOST_CHECK_MESSAGE(message(bad).find("tracker: geo 'north', period 8 is 1.5") != std::string::npos, message(bad));
  bad = s;
  bad.tracker_n = Matrix::Ones(T, 1);
  BOOST_CHECK_MESSAGE(message(bad).find("tracker_n must have the tracker's shape") != std::string::npos, message(bad));
  bad = s;
  bad.tracker = Matrix();
  BOOST_CHECK_MESSAGE(message(bad).find("tracker_n needs a tracker") != std::string::npos, message(bad));
}

BOOST_AUTO_TEST_CASE(panel_per_column_baseline_priors_are_checked_as_nationally) {
  // The panel model runs the national check (TrustModelPriors::check_baseline_priors) on
  // its base priors: the same messages, naming the column.
  const BuiltPanelModel b = build_panel(two_geo_spec());
  const Eigen::Index K = b.model.data().baseline.front().cols();
  auto message = [&](const PanelModelPriors& pr) -> std::string {
    try {
      PanelTrustModel m(b.model.data(), pr);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  PanelModelPriors pr = b.model.priors();
  pr.base.baseline_sd_k = Vector::Constant(K - 1, 1.0);
  BOOST_TEST(message(pr).find("per-column baseline priors need " + std::to_string(K) + " entries") != std::string::npos,
             message(pr));
  pr.base.baseline_sd_k = Vector::Constant(K, 1.0);
  BOOST_TEST(message(pr).empty());
  pr.base.baseline_sd_k[0] = -1.0;
  BOOST_TEST(message(pr).find("baseline prior of column 0") != std::string::npos, message(pr));
}

BOOST_AUTO_TEST_CASE(market_growth_prior_on_the_panel_trend) {
  // market_growth (low, high): the trend's prior Normal((low + high) / 2 Y L, (high - low) /
  // (2 z_0.95) Y L); with the trend pooled completely the log density differs from the
  // default's by exactly the two Normal terms of its one coefficient.
  PanelModelSpec s = two_geo_spec();
  s.trend_pooling = Pooling::complete;
  const BuiltPanelModel plain = build_panel(s);
  s.market_growth_low = -0.01;
  s.market_growth_high = 0.05;
  const BuiltPanelModel b = build_panel(s);
  const TrustModelPriors& q = b.model.priors().base;
  const double years = 30 * 7.0 / 365.25, level = b.model.data().y.mean();
  BOOST_CHECK_CLOSE(q.baseline_prior_mean(1), 0.02 * years * level, 1e-10);
  BOOST_CHECK_CLOSE(q.baseline_prior_sd(1), 0.06 / (2 * 1.6448536269514722) * years * level, 1e-10);
  std::mt19937_64 rng(8);
  std::normal_distribution<double> n(0.0, 0.3);
  PanelWorkspace ws;
  for (int rep = 0; rep < 3; ++rep) {
    Vector z = b.model.initial_point();
    for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
    Vector g(b.model.dimension());
    const double lp = b.model.log_density(z, g, ws), lp0 = plain.model.log_density(z, g, ws);
    const double b1 = b.model.constrain(z).b(1, 0), m = q.baseline_prior_mean(1), sd = q.baseline_prior_sd(1);
    const double expected = -0.5 * (b1 - m) * (b1 - m) / (sd * sd) + 0.5 * b1 * b1 / (q.baseline_sd * q.baseline_sd);
    BOOST_CHECK_SMALL(lp - lp0 - expected, 1e-9 * (1.0 + std::abs(lp)));
  }
  for (Pooling pool : {Pooling::none, Pooling::partial}) {  // the exact gradient under every pooling
    s.trend_pooling = pool;
    const BuiltPanelModel bp = build_panel(s);
    std::mt19937_64 r2(9);
    Vector z = bp.model.initial_point();
    for (int i = 0; i < z.size(); ++i) z[i] += n(r2);
    check_gradient(bp.model, z, std::string("market_growth, trend pooling ") + to_string(pool));
  }
  s.trend = false;
  BOOST_CHECK_THROW((void)build_panel(s), std::invalid_argument);
  s.trend = true;
  s.market_growth_high = -0.02;
  BOOST_CHECK_THROW((void)build_panel(s), std::invalid_argument);
}

namespace {

/// ROI priors on the panel's conversion channels (instagram, tiktok: conversion indices 0
/// and 1): ln R ~ Normal(ln 2, 0.5) and Normal(0, 0.8), scales k, and a positive
/// population-like weight W per (period, geo).
PanelModelPriors roi_priors(double k0 = 0.03, double k1 = 0.05) {
  PanelModelPriors pr;
  pr.roi_log_median = Vector(2);
  pr.roi_log_median << std::log(2.0), 0.0;
  pr.roi_sd_log = Vector(2);
  pr.roi_sd_log << 0.5, 0.8;
  pr.roi_scale = Vector(2);
  pr.roi_scale << k0, k1;
  return pr;
}

/// A model's starting point moved by independent Normal(0, sd) steps.
template <class Model>
Vector near_start(const Model& m, std::mt19937_64& rng, double sd) {
  std::normal_distribution<double> n(0.0, sd);
  Vector z = m.initial_point();
  for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
  return z;
}

Matrix roi_weight(int T, int G) {
  Matrix w(T, G);
  for (int g = 0; g < G; ++g)
    for (int t = 0; t < T; ++t) w(t, g) = (1.0 + g) * (1.0 + 0.01 * t);
  return w;
}

/// The own-term ROI of conversion channel j recomputed from the constrained effects and
/// the forward pass: k sum_g beta[j, g] sum_t W[t, g] h[c, g, t].
double own_term_roi(const PanelTrustModel& m, const Vector& z, int j, double k) {
  const PanelModelParameters p = m.constrain(z);
  const PanelForward f = m.forward(z);
  const int c = m.conversion_channels()[static_cast<std::size_t>(j)];
  double r = 0.0;
  for (int g = 0; g < m.geos(); ++g)
    r += p.beta(j, g) * m.data().roi_weight.col(g).dot(f.saturated[static_cast<std::size_t>(c)].col(g));
  return k * r;
}

/// d's model (priors pr) gives the same log density and gradient, bit for bit, with 1 and
/// 2 threads in its geo loop, at a point near its start (seeded).
void same_for_1_and_2_threads(PanelModelData d, const PanelModelPriors& pr, unsigned seed) {
  Vector z, g1, g2;
  double l1 = 0.0, l2 = 0.0;
  for (int threads : {1, 2}) {
    d.threads = threads;
    const PanelTrustModel m(d, pr);
    if (z.size() == 0) {
      std::mt19937_64 rng(seed);
      z = near_start(m, rng, 0.2);
    }
    PanelWorkspace ws;
    Vector g(m.dimension());
    (threads == 1 ? l1 : l2) = m.log_density(z, g, ws);
    (threads == 1 ? g1 : g2) = g;
  }
  BOOST_CHECK_EQUAL(l1, l2);
  BOOST_CHECK((g1.array() == g2.array()).all());
}

}  // namespace

BOOST_AUTO_TEST_CASE(roi_prior_gradient_matches_finite_differences) {
  // the ROI's free ln R, the geo deviations and, through H, every geo's alpha and lam
  for (TrustLevel level : {TrustLevel::off, TrustLevel::national, TrustLevel::geo})
    for (Pooling effects : {Pooling::partial, Pooling::complete})
      for (Pooling curvature : {Pooling::complete, Pooling::partial}) {
        PanelModelData d = with_curvature_pooling(make_panel(40, 3, level, effects, Pooling::partial, 0, 9), curvature);
        d.roi_weight = roi_weight(40, 3);
        const PanelTrustModel m(d, roi_priors());
        BOOST_REQUIRE_EQUAL(m.roi_prior_count(), 2);
        std::mt19937_64 rng(13);
        for (int rep = 0; rep < 2; ++rep) {
          const Vector z = near_start(m, rng, 0.5);
          std::ostringstream label;
          label << "ROI trust " << to_string(level) << " effects " << to_string(effects) << " curvature "
                << to_string(curvature);
          check_gradient(m, z, label.str());
        }
      }
}

BOOST_AUTO_TEST_CASE(roi_prior_free_coordinate_is_the_own_term_roi_exactly) {
  for (Pooling effects : {Pooling::partial, Pooling::complete}) {
    PanelModelData d = with_curvature_pooling(make_panel(50, 4, TrustLevel::national, effects, Pooling::partial, 1, 10),
                                              Pooling::partial);
    d.roi_weight = roi_weight(50, 4);
    const PanelTrustModel m(d, roi_priors(0.03, 0.05));
    const auto& names = m.parameter_names();
    const auto at = [&](const std::string& name) {
      return static_cast<Eigen::Index>(std::find(names.begin(), names.end(), name) - names.begin());
    };
    const Eigen::Index i0 = at("log_roi[2]"), i1 = at("log_roi[3]");  // instagram, tiktok
    BOOST_REQUIRE(i0 < m.dimension() && i1 < m.dimension());
    std::mt19937_64 rng(3);
    for (int rep = 0; rep < 3; ++rep) {
      const Vector z = near_start(m, rng, 0.7);
      BOOST_CHECK_CLOSE(own_term_roi(m, z, 0, 0.03), std::exp(z[i0]), 1e-9);
      BOOST_CHECK_CLOSE(own_term_roi(m, z, 1, 0.05), std::exp(z[i1]), 1e-9);
      // and back: the unconstrained point of the constrained parameters is z itself
      const Vector back = m.unconstrain(m.constrain(z));
      BOOST_CHECK_SMALL((back - z).cwiseAbs().maxCoeff(), 1e-9);
    }
    // the start sits at the prior medians
    const Vector z0 = m.initial_point();
    BOOST_CHECK_CLOSE(own_term_roi(m, z0, 0, 0.03), 2.0, 1e-9);
    BOOST_CHECK_CLOSE(own_term_roi(m, z0, 1, 0.05), 1.0, 1e-9);
  }
}

BOOST_AUTO_TEST_CASE(roi_prior_on_one_geo_is_the_national_models) {
  // G = 1, complete pooling, W = 1: the panel's ROI prior is the national model's, term for term
  for (bool trust : {false, true}) {
    TrustModelData nd = trustmix::test::make_data(60, trust, false, 4);
    nd.shocks = Matrix::Zero(60, 0);
    TrustModelPriors np;
    const PanelModelPriors pp0 = roi_priors(0.02, 0.04);
    np.roi_log_median = pp0.roi_log_median;
    np.roi_sd_log = pp0.roi_sd_log;
    np.roi_scale = pp0.roi_scale;
    PanelModelPriors pp = pp0;
    pp.base = np;
    pp.base.roi_log_median = pp.base.roi_sd_log = pp.base.roi_scale = Vector();
    const TrustModel nat(nd, np);
    const PanelTrustModel pan(one_geo_panel(nd, trust), pp);
    BOOST_REQUIRE_EQUAL(nat.roi_prior_count(), 2);
    BOOST_REQUIRE_EQUAL(pan.roi_prior_count(), 2);
    std::mt19937_64 rng(5);
    for (int rep = 0; rep < 3; ++rep) {
      const Vector zn = near_start(nat, rng, 0.4);
      const Vector zp = pan.unconstrain(one_geo_parameters(nat.constrain(zn)));
      Vector gn(nat.dimension()), gp(pan.dimension());
      TrustModelWorkspace wn;
      PanelWorkspace wp;
      const double ln = nat.log_density(zn, gn, wn), lpan = pan.log_density(zp, gp, wp);
      BOOST_TEST_INFO("trust " << trust << " rep " << rep);
      BOOST_CHECK_SMALL(ln - lpan, 1e-10 * (1.0 + std::abs(ln)));
      BOOST_CHECK_SMALL((nat.forward(zn).mu - pan.forward(zp).mu.col(0)).cwiseAbs().maxCoeff(), 1e-12);
    }
  }
}

BOOST_AUTO_TEST_CASE(roi_prior_is_identical_for_every_thread_count) {
  PanelModelData d = make_panel(40, 5, TrustLevel::national, Pooling::partial, Pooling::partial, 1, 14);
  d.roi_weight = roi_weight(40, 5);
  same_for_1_and_2_threads(d, roi_priors(), 14);
}

BOOST_AUTO_TEST_CASE(roi_prior_bad_input_is_named) {
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // pooling none: refused
  const PanelModelData none = make_panel(30, 2, TrustLevel::off, Pooling::none, Pooling::partial, 0, 15);
  BOOST_CHECK(message([&] { (void)PanelTrustModel(none, roi_priors()); }).find("needs effect pooling 'partial' or") !=
              std::string::npos);
  PanelModelData ok = make_panel(30, 2, TrustLevel::off, Pooling::partial, Pooling::partial, 0, 15);
  PanelModelPriors bad = roi_priors();
  bad.roi_sd_log[1] = 0.0;
  BOOST_CHECK(message([&] { (void)PanelTrustModel(ok, bad); }).find("roi_sd_log[1] must be finite and > 0") !=
              std::string::npos);
  bad = roi_priors();
  bad.roi_scale = Vector::Ones(3);
  BOOST_CHECK(message([&] { (void)PanelTrustModel(ok, bad); }).find("one roi_log_median, roi_sd_log and roi_scale") !=
              std::string::npos);
  ok.roi_weight = Matrix::Constant(30, 2, 1.0);
  ok.roi_weight(4, 1) = -1.0;
  BOOST_CHECK(message([&] { (void)PanelTrustModel(ok, roi_priors()); }).find("roi_weight: period 4, geo 1") !=
              std::string::npos);
  // build_panel: business terms, value and spend needed, conversion channels only
  const int T = 30, G = 2;
  PanelModelSpec s = two_geo_spec(T);
  for (int t = 0; t < T; t += 2) s.media[1].row(t).setConstant(10.0 + t);
  s.outcome = Matrix::Constant(T, G, 50.0);
  s.outcome.col(1).setConstant(120.0);
  s.trust = TrustLevel::national;  // press feeds the stock only: not a conversion channel
  s.roi_priors = {{"press", 0.5, 2.0}};
  BOOST_CHECK(message([&] { (void)build_panel(s); }).find("'press', which is not a conversion channel") !=
              std::string::npos);
  s.roi_priors = {{"social", 0.5, 2.0}};
  BOOST_CHECK(message([&] { (void)build_panel(s); }).find("value_per_outcome > 0") != std::string::npos);
  s.value_per_outcome = 3.0;
  BOOST_CHECK(message([&] { (void)build_panel(s); }).find("spend_total: 2 values") != std::string::npos);
  s.spend_total = Vector(2);
  s.spend_total << 1000.0, 0.0;
  BOOST_CHECK(message([&] { (void)build_panel(s); }).find("spend over all geos and periods is 0") != std::string::npos);
  s.spend_total << 1000.0, 500.0;
  const BuiltPanelModel b = build_panel(s);
  // 1 + ROI in [1.5, 3]: ln median (ln 1.5 + ln 3) / 2; k = value y_scale / spend
  BOOST_CHECK_CLOSE(b.model.priors().roi_log_median[0], 0.5 * (std::log(1.5) + std::log(3.0)), 1e-12);
  BOOST_CHECK_CLOSE(b.model.priors().roi_scale[0], 3.0 * b.scales.y_scale / 500.0, 1e-12);
  BOOST_CHECK((b.model.data().roi_weight.array() == b.scales.population.array()).all());
  // the own-term ROI in currency: value x (raw incremental outcome of the own term) / spend
  const Vector z = b.model.initial_point();
  const PanelModelParameters p = b.model.constrain(z);
  const PanelForward f = b.model.forward(z);
  double raw = 0.0;
  for (int g = 0; g < G; ++g) raw += b.scales.y_scale * p.beta(0, g) * b.scales.population.col(g).dot(f.saturated[1].col(g));
  BOOST_CHECK_CLOSE(3.0 * raw / 500.0, std::exp(b.model.priors().roi_log_median[0]), 1e-9);
}

// ---- Hill saturation (panel_model.hpp, "h[c, g, t]") -------------------------------------
namespace {

/// What f throws (its what()), or "no error".
template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

/// d with Hill curves on every channel except the last (logistic), slopes 1, 1.7, 2.4, ...
PanelModelData with_hill(PanelModelData d) {
  const auto C = static_cast<Eigen::Index>(d.media.size());
  d.saturation.assign(static_cast<std::size_t>(C), SaturationForm::hill);
  d.saturation.back() = SaturationForm::logistic;
  d.hill_slope = Vector(C);
  for (Eigen::Index c = 0; c < C; ++c) d.hill_slope[c] = c == 0 ? 1.0 : 1.0 + 0.7 * static_cast<double>(c);
  return d;
}

}  // namespace

BOOST_AUTO_TEST_CASE(hill_point_is_the_closed_form_with_its_derivatives) {
  for (double s : {1.0, 1.7, 2.5})
    for (double ec : {0.3, 1.0, 4.0})
      for (double a : {0.0, 1e-3, 0.2, 1.0, 3.0, 50.0}) {
        const auto q = detail::hill_point(a, ec, s);
        const double ref = std::pow(a, s) / (std::pow(a, s) + std::pow(ec, s));
        BOOST_CHECK_SMALL(q.h - ref, 1e-15);
        const auto f = [&](double x, double e) { return std::pow(x, s) / (std::pow(x, s) + std::pow(e, s)); };
        const double step = 1e-6;
        const double fd_ec = (f(a, ec + step) - f(a, ec - step)) / (2 * step);
        BOOST_CHECK_SMALL(q.dh_dec - fd_ec, 1e-8);
        if (a > step) {
          const double fd_a = (f(a + step, ec) - f(a - step, ec)) / (2 * step);
          BOOST_CHECK_SMALL(q.dh_da - fd_a, 1e-7 * (1.0 + std::abs(fd_a)));
        } else if (a == 0.0) {  // at a = 0: 1 / ec for slope 1, 0 above
          BOOST_CHECK_SMALL(q.dh_da - (s == 1.0 ? 1.0 / ec : 0.0), 1e-12);
        }
      }
  // far past ec the slope keeps its relative precision (no cancellation in 1 - h):
  // dh/da = s ec^s a^(s-1) / (a^s + ec^s)^2 ~ s (ec / a)^s / a
  for (double ratio : {1e3, 1e5, 1e7}) {
    const double ec = 0.5, a = ratio * ec, s = 2.0;
    const auto q = detail::hill_point(a, ec, s);
    const double r = std::pow(ec / a, s), ref = s * r / ((1.0 + r) * (1.0 + r)) / a;
    BOOST_CHECK_CLOSE(q.dh_da, ref, 1e-10);
    BOOST_CHECK_CLOSE(q.dh_dec, -ref * a / ec, 1e-10);
  }
  // degenerate ec (the free ln ec at its limits) and NaN activity
  BOOST_CHECK_EQUAL(detail::hill_point(2.0, std::numeric_limits<double>::infinity(), 1.0).dh_dec, 0.0);
  BOOST_CHECK_EQUAL(detail::hill_point(2.0, 0.0, 2.0).h, 1.0);
  BOOST_CHECK(std::isnan(detail::hill_point(std::nan(""), 1.0, 2.0).h));
  // the logistic's point is tanh(lam a / 2) and its slope
  const auto [h, dh] = saturation_point(SaturationForm::logistic, 1.0, 1.4, 0.8);
  BOOST_CHECK_CLOSE(h, std::tanh(0.56), 1e-12);
  BOOST_CHECK_CLOSE(dh, 0.7 * (1.0 - std::tanh(0.56) * std::tanh(0.56)), 1e-12);
}

BOOST_AUTO_TEST_CASE(hill_forward_pass_is_adstock_then_hill) {
  // per-geo ec and alpha (partial pooling) at a random point: every geo and channel its own curve
  const PanelTrustModel m(with_hill(with_curvature_pooling(
      make_panel(30, 3, TrustLevel::geo, Pooling::partial, Pooling::partial, 0, 21), Pooling::partial)));
  std::mt19937_64 rng(20);
  const Vector z = near_start(m, rng, 0.5);
  const PanelModelParameters p = m.constrain(z);
  const PanelForward f = m.forward(z);
  for (int c = 0; c < m.channels(); ++c)
    for (int g = 0; g < m.geos(); ++g) {
      // the direct adstock sum with normalised geometric weights, then the channel's curve
      const double alpha = p.alpha_geo(c, g), v = p.lam_geo(c, g);
      double wsum = 0.0;
      for (int l = 0; l <= m.data().max_lag; ++l) wsum += std::pow(alpha, l);
      for (int t = 0; t < m.periods(); ++t) {
        double a = 0.0;
        for (int l = 0; l <= std::min(t, m.data().max_lag); ++l)
          a += std::pow(alpha, l) / wsum * m.data().media[static_cast<std::size_t>(c)](t - l, g);
        const double s = m.hill_slope(c);
        const double ref = m.saturation_form(c) == SaturationForm::hill ? std::pow(a, s) / (std::pow(a, s) + std::pow(v, s))
                                                                        : std::tanh(0.5 * v * a);
        BOOST_CHECK_SMALL(f.saturated[static_cast<std::size_t>(c)](t, g) - ref, 1e-12);
      }
    }
  // names: ec for Hill channels, lam for the logistic one; Hill's start is its prior median
  const auto names = m.constrained_names();
  BOOST_CHECK(std::find(names.begin(), names.end(), "ec[0]") != names.end());
  BOOST_CHECK(std::find(names.begin(), names.end(), "lam[" + std::to_string(m.channels() - 1) + "]") != names.end());
  BOOST_CHECK(std::find(m.parameter_names().begin(), m.parameter_names().end(), "log_ec_location[0]") !=
              m.parameter_names().end());
  BOOST_CHECK(std::find(names.begin(), names.end(), "ec_tau[0]") != names.end());
  BOOST_CHECK(p.lam_geo(0, 0) != p.lam_geo(0, 1));  // the geos' ec differ at this point
  const PanelTrustModel m0(with_hill(make_panel(30, 3, TrustLevel::geo, Pooling::partial, Pooling::partial, 0, 21)));
  BOOST_CHECK(std::find(m0.parameter_names().begin(), m0.parameter_names().end(), "log_ec[0]") !=
              m0.parameter_names().end());
  BOOST_CHECK_CLOSE(m0.constrain(m0.initial_point()).lam[0], 1.0, 1e-12);
}

BOOST_AUTO_TEST_CASE(hill_gradient_matches_finite_differences) {
  // every trust level, the curve's parameter pooled three ways, with and without ROI priors
  for (TrustLevel level : {TrustLevel::off, TrustLevel::national, TrustLevel::geo, TrustLevel::national_geo})
    for (Pooling pool : {Pooling::none, Pooling::partial, Pooling::complete})
      for (bool roi : {false, true}) {
        PanelModelData d = with_hill(with_curvature_pooling(
            make_panel(40, 3, level, Pooling::partial, Pooling::partial, level == TrustLevel::off ? 0 : 1, 22), pool));
        PanelModelPriors pr = roi ? roi_priors() : PanelModelPriors{};
        pr.hill_ec_log_median = -0.3;
        pr.hill_ec_sd_log = 0.7;
        if (roi) d.roi_weight = roi_weight(40, 3);
        const PanelTrustModel m(d, pr);
        std::mt19937_64 rng(23);
        const Vector z = near_start(m, rng, 0.4);
        std::ostringstream label;
        label << "Hill trust " << to_string(level) << " pooling " << to_string(pool) << " roi " << roi;
        check_gradient(m, z, label.str());
      }
}

BOOST_AUTO_TEST_CASE(hill_ec_priors_are_their_kernels_on_each_free_value) {
  // two models that differ only in the ec prior: their log densities (up to constants that
  // do not depend on the parameters) differ by the two priors' kernels, once per free value:
  // per Hill channel (complete), per channel and geo (none), on the hierarchy's location
  // (partial; its eta and tau terms are the same in both). Against the default ln ec ~
  // Normal(0, 1), kernel -(ln ec)^2 / 2:
  //   LogNormal: ln ec ~ Normal(0.5, 0.4), kernel -(ln ec - 0.5)^2 / (2 0.16);
  //   Meridian's family: ec ~ Normal(0.8, 0.8) truncated to ec > 0 on the free ln ec,
  //   kernel -(ec - 0.8)^2 / (2 0.64) + ln ec (the Jacobian).
  PanelModelPriors lognormal, normal;
  lognormal.hill_ec_log_median = 0.5;
  lognormal.hill_ec_sd_log = 0.4;
  normal.hill_ec_mean = 0.8;
  normal.hill_ec_sd = 0.8;
  const auto default_kernel = [](double ec) { return -0.5 * std::log(ec) * std::log(ec); };
  const std::vector<std::pair<PanelModelPriors, std::function<double(double)>>> cases = {
      {lognormal, [](double ec) { return -0.5 * (std::log(ec) - 0.5) * (std::log(ec) - 0.5) / 0.16; }},
      {normal, [](double ec) { return -0.5 * (ec - 0.8) * (ec - 0.8) / 0.64 + std::log(ec); }}};
  unsigned seed = 24;
  for (const auto& [priors, kernel] : cases)
    for (Pooling pool : {Pooling::complete, Pooling::none, Pooling::partial}) {
      const PanelModelData d = with_hill(
          with_curvature_pooling(make_panel(30, 2, TrustLevel::off, Pooling::partial, Pooling::partial, 0, ++seed), pool));
      const PanelTrustModel ma(d), mb(d, priors);
      std::mt19937_64 rng(++seed);
      for (int rep = 0; rep < 2; ++rep) {
        const Vector z = near_start(ma, rng, 0.5);
        PanelWorkspace ws;
        Vector g(ma.dimension());
        const double diff = mb.log_density(z, g, ws) - ma.log_density(z, g, ws);
        const PanelModelParameters p = ma.constrain(z);
        double ref = 0.0;
        int terms = 0;
        for (int c = 0; c < ma.channels(); ++c) {
          if (ma.saturation_form(c) != SaturationForm::hill) continue;
          if (pool == Pooling::none) {
            for (int g2 = 0; g2 < ma.geos(); ++g2, ++terms)
              ref += kernel(p.lam_geo(c, g2)) - default_kernel(p.lam_geo(c, g2));
          } else {  // the value (complete) or the hierarchy's median (partial)
            ref += kernel(p.lam[c]) - default_kernel(p.lam[c]);
            ++terms;
          }
        }
        BOOST_CHECK_EQUAL(terms, (ma.channels() - 1) * (pool == Pooling::none ? ma.geos() : 1));
        BOOST_CHECK_CLOSE(diff, ref, 1e-8);
        if (rep == 0) check_gradient(mb, z, "ec prior");
      }
    }
  PanelModelPriors bad;
  bad.hill_ec_mean = 0.8;  // no sd
  const PanelModelData d = with_hill(make_panel(30, 2, TrustLevel::off, Pooling::partial, Pooling::partial, 0, 35));
  BOOST_CHECK(error_message([&] { (void)PanelTrustModel(d, bad); }).find("hill_ec_mean must be finite and hill_ec_sd") !=
              std::string::npos);
}

BOOST_AUTO_TEST_CASE(hill_is_identical_for_every_thread_count) {
  PanelModelData d = with_hill(make_panel(40, 5, TrustLevel::national, Pooling::partial, Pooling::partial, 1, 26));
  d.roi_weight = roi_weight(40, 5);
  same_for_1_and_2_threads(d, roi_priors(), 27);
}

BOOST_AUTO_TEST_CASE(hill_bad_input_is_named) {
  PanelModelData d = with_hill(make_panel(30, 2, TrustLevel::off, Pooling::partial, Pooling::partial, 0, 28));
  d.hill_slope[1] = 0.5;
  BOOST_CHECK(error_message([&] { (void)PanelTrustModel(d); }).find("hill_slope of channel 1 is 0.5") != std::string::npos);
  d.hill_slope = Vector::Ones(1);
  BOOST_CHECK(error_message([&] { (void)PanelTrustModel(d); }).find("hill_slope needs one value per channel") !=
              std::string::npos);
  d.hill_slope = Vector();
  d.saturation.pop_back();
  BOOST_CHECK(error_message([&] { (void)PanelTrustModel(d); }).find("saturation needs one curve per channel") !=
              std::string::npos);
  d.saturation.push_back(SaturationForm::hill);
  PanelModelPriors pr;
  pr.hill_ec_sd_log = 0.0;
  BOOST_CHECK(error_message([&] { (void)PanelTrustModel(d, pr); }).find("hill_ec_sd_log finite and > 0") !=
              std::string::npos);
  // through build_panel: the spec's curves and slopes reach the model
  PanelModelSpec s = two_geo_spec(30);
  for (int t = 0; t < 30; t += 2) s.media[1].row(t).setConstant(10.0 + t);
  s.outcome = Matrix::Constant(30, 2, 50.0);
  s.trust = TrustLevel::off;
  s.saturation = {SaturationForm::logistic, SaturationForm::hill};
  s.hill_slope = Vector::Constant(2, 2.0);
  const BuiltPanelModel b = build_panel(s);
  BOOST_CHECK(b.model.saturation_form(1) == SaturationForm::hill);
  BOOST_CHECK_EQUAL(b.model.hill_slope(1), 2.0);
}

BOOST_AUTO_TEST_CASE(shared_baseline_columns_are_the_per_geo_evaluation) {
  // Baseline columns pooled completely and equal in every geo are evaluated once for all
  // geos. Perturbing one geo's entry by a relative 1e-13 makes the column geo-specific (so it
  // is evaluated per geo): the log density and gradient move by about that much only.
  for (const Pooling base : {Pooling::complete, Pooling::partial}) {
    const PanelModelData d = make_panel(40, 3, TrustLevel::national, Pooling::partial, base, 1, 31);
    PanelModelData moved = d;
    moved.baseline[1](5, 2) *= 1.0 + 1e-13;  // the third column (complete in both cases)
    const PanelTrustModel shared(d), local(moved);
    std::mt19937_64 rng(32);
    std::normal_distribution<double> n(0.0, 0.3);
    Vector z = shared.initial_point();
    for (Eigen::Index i = 0; i < z.size(); ++i) z[i] += n(rng);
    PanelWorkspace ws;
    Vector g1(shared.dimension()), g2(local.dimension());
    const double lp1 = shared.log_density(z, g1, ws), lp2 = local.log_density(z, g2, ws);
    BOOST_TEST(std::abs(lp1 - lp2) <= 1e-11 * std::abs(lp1));
    BOOST_TEST((g1 - g2).cwiseAbs().maxCoeff() <= 1e-8 * (1.0 + g1.cwiseAbs().maxCoeff()));
    check_gradient(shared, z, base == Pooling::complete ? "all shared" : "third column shared");
  }
  // per-control pooling through build_panel: a national control shared, a geo control per geo
  PanelModelSpec s = two_geo_spec(30);
  for (int t = 0; t < 30; t += 2) s.media[1].row(t).setConstant(10.0 + t);
  s.outcome = Matrix::Constant(30, 2, 50.0);
  for (int t = 0; t < 30; ++t) s.outcome(t, 1) += std::sin(0.3 * t);
  s.trust = TrustLevel::off;
  Matrix national(30, 2), own(30, 2);
  for (int t = 0; t < 30; ++t) {
    national.row(t).setConstant(std::cos(0.2 * t));
    own(t, 0) = t % 3;
    own(t, 1) = t % 5;
  }
  s.controls = {national, own};
  s.control_names = {"index", "price"};
  s.per_control_pooling = {Pooling::complete, Pooling::none};
  const BuiltPanelModel b = build_panel(s);
  const auto& names = b.model.parameter_names();
  const auto count = [&](const std::string& head) {
    return std::count_if(names.begin(), names.end(), [&](const std::string& v) { return v.starts_with(head); });
  };
  const Eigen::Index K = b.model.data().baseline.front().cols();  // intercept, trend, 2 x 2 seasonal, 2 controls
  BOOST_CHECK(b.model.data().baseline_pooling[static_cast<std::size_t>(K - 2)] == Pooling::complete);
  BOOST_CHECK(b.model.data().baseline_pooling[static_cast<std::size_t>(K - 1)] == Pooling::none);
  BOOST_TEST(count("b[" + std::to_string(K - 1) + "][") == 2);  // one free value per geo
  BOOST_TEST(count("b[" + std::to_string(K - 2) + "]") == 1);
  check_gradient(b.model, b.model.initial_point(), "per-control pooling");
  s.per_control_pooling = {Pooling::none};
  BOOST_CHECK(error_message([&] { (void)build_panel(s); }).find("per_control_pooling needs one entry per control (2)") !=
              std::string::npos);
}

BOOST_AUTO_TEST_CASE(centred_baseline_hierarchy_is_the_same_model) {
  // The centred hierarchy (v_g free, v_g ~ Normal(m, tau)) against the non-centred default
  // (v_g = m + tau eta_g): at corresponding points the log densities differ by the
  // Jacobian, ln p_centred = ln p_noncentred - G ln tau per centred column; exact gradient.
  const int G = 4;
  PanelModelData d = make_panel(40, G, TrustLevel::national, Pooling::partial, Pooling::partial, 1, 36);
  PanelModelData c = d;
  c.baseline_centred = {true, false, false};  // the intercept (partial); the trend stays non-centred
  const PanelTrustModel nc(d), ce(c);
  BOOST_REQUIRE_EQUAL(nc.dimension(), ce.dimension());
  const auto& names = ce.parameter_names();
  const auto at = [&](const std::string& n) {
    return static_cast<Eigen::Index>(std::find(names.begin(), names.end(), n) - names.begin());
  };
  const Eigen::Index loc = at("b[0]_location"), ltau = at("log_b[0]_tau"), first = at("b[0][0]");
  BOOST_REQUIRE(first == loc + 2 && ltau == loc + 1);
  BOOST_CHECK(std::find(nc.parameter_names().begin(), nc.parameter_names().end(), "b[0]_eta[0]") !=
              nc.parameter_names().end());
  std::mt19937_64 rng(37);
  for (int rep = 0; rep < 3; ++rep) {
    const Vector z = near_start(nc, rng, 0.4);
    Vector zc = z;
    const double tau = std::exp(z[ltau]);
    for (int g = 0; g < G; ++g) zc[first + g] = z[loc] + tau * z[loc + 2 + g];
    PanelWorkspace ws;
    Vector g1(nc.dimension()), g2(ce.dimension());
    const double lp_nc = nc.log_density(z, g1, ws), lp_c = ce.log_density(zc, g2, ws);
    BOOST_CHECK_CLOSE(lp_c, lp_nc - G * z[ltau], 1e-9);
    // the same constrained parameters
    const PanelModelParameters p1 = nc.constrain(z), p2 = ce.constrain(zc);
    BOOST_CHECK_SMALL((p1.b - p2.b).cwiseAbs().maxCoeff(), 1e-12);
    BOOST_CHECK_CLOSE(p1.b_tau[0], p2.b_tau[0], 1e-12);
    check_gradient(ce, zc, "centred intercept");
  }
  // unconstrain inverts constrain under the centred form
  const Vector z0 = near_start(ce, rng, 0.4);
  BOOST_CHECK_SMALL((ce.unconstrain(ce.constrain(z0)) - z0).cwiseAbs().maxCoeff(), 1e-10);
  // through build_panel: named groups and controls; errors name what is wrong
  PanelModelSpec s = two_geo_spec(30);
  for (int t = 0; t < 30; t += 2) s.media[1].row(t).setConstant(10.0 + t);
  s.outcome = Matrix::Constant(30, 2, 50.0);
  s.trust = TrustLevel::off;
  Matrix own(30, 2);
  for (int t = 0; t < 30; ++t) own.row(t) << t % 3, t % 5;
  s.controls = {own};
  s.control_names = {"price"};
  s.control_pooling = Pooling::partial;
  s.centred = {"intercept", "price"};
  const BuiltPanelModel b = build_panel(s);
  const std::vector<bool>& flags = b.model.data().baseline_centred;
  BOOST_REQUIRE_EQUAL(flags.size(), b.scales.baseline_names.size());
  for (std::size_t k = 0; k < flags.size(); ++k)
    BOOST_CHECK_EQUAL(flags[k], b.scales.baseline_names[k] == "intercept" || b.scales.baseline_names[k] == "price");
  check_gradient(b.model, b.model.initial_point(), "centred through build_panel");
  s.centred = {"seasonality"};  // pooled completely by default
  BOOST_CHECK(error_message([&] { (void)build_panel(s); }).find("centred names 'seasonality', pooled 'complete'") !=
              std::string::npos);
  s.centred = {"cost"};
  BOOST_CHECK(error_message([&] { (void)build_panel(s); }).find("centred names 'cost': neither a baseline group") !=
              std::string::npos);
}

BOOST_AUTO_TEST_CASE(centred_effect_hierarchy_is_the_same_model) {
  // Effects: ln beta[c, g] free with ln beta ~ Normal(m, tau) against ln beta = m + tau eta;
  // ln p_centred = ln p_noncentred - G ln tau per centred channel at corresponding points.
  const int G = 5;
  const PanelModelData d = make_panel(40, G, TrustLevel::national, Pooling::partial, Pooling::partial, 1, 38);
  PanelModelData c = d;
  c.effect_centred.assign(d.media.size(), true);  // every converting channel
  const PanelTrustModel nc(d), ce(c);
  BOOST_REQUIRE(ce.has_centred() && !nc.has_centred());
  std::mt19937_64 rng(39);
  const Vector z = near_start(nc, rng, 0.4);
  const Vector zc = ce.centred_point(z);
  double jac = 0.0;
  int blocks = 0;
  const auto& names = ce.parameter_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i].starts_with("log_beta[") && names[i].ends_with("]_tau")) {
      jac += G * z[static_cast<Eigen::Index>(i)];
      ++blocks;
    }
  BOOST_CHECK_EQUAL(blocks, static_cast<int>(ce.conversion_channels().size()));
  PanelWorkspace ws;
  Vector g1(nc.dimension()), g2(ce.dimension());
  BOOST_CHECK_CLOSE(ce.log_density(zc, g2, ws), nc.log_density(z, g1, ws) - jac, 1e-9);
  BOOST_CHECK_SMALL((ce.constrain(zc).beta - nc.constrain(z).beta).cwiseAbs().maxCoeff(), 1e-12);
  check_gradient(ce, zc, "centred effects");
  BOOST_CHECK_SMALL((ce.unconstrain(ce.constrain(zc)) - zc).cwiseAbs().maxCoeff(), 1e-10);
  // the twin's point maps back: noncentred() is the non-centred model
  BOOST_CHECK_EQUAL(ce.noncentred().parameter_names().size(), nc.parameter_names().size());
  BOOST_CHECK(!ce.noncentred().has_centred());
}

namespace {

/// Three geos (populations 1, 2, 5) x T periods: national tv (a conversion channel, the
/// same national activity apportioned by population), social bought per geo, an outcome
/// with noise; trust off, effects pooled completely.
PanelModelSpec national_tv_spec(int T, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.2, 1.8);
  std::normal_distribution<double> n(0.0, 1.0);
  PanelModelSpec s;
  const int G = 3;
  s.geos = {"a", "b", "c"};
  s.channels = {"tv", "social"};
  s.roles = {Role::conversion, Role::conversion};
  s.national = {true, false};
  s.population = Matrix(1, G);
  s.population << 1.0, 2.0, 5.0;
  Matrix tv(T, 1), social(T, G), y(T, G);
  for (int t = 0; t < T; ++t) tv(t, 0) = 8.0 * u(rng);
  for (int g = 0; g < G; ++g)
    for (int t = 0; t < T; ++t) {
      social(t, g) = s.population(0, g) * u(rng);
      y(t, g) = s.population(0, g) * (2.0 + 0.2 * n(rng));
    }
  s.media = {tv, social};
  s.outcome = y;
  s.trust = TrustLevel::off;
  s.seasonality = 0;
  s.effect_pooling = Pooling::complete;
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(uncertain_share_is_the_model_with_the_true_share_given) {
  // share_sd: each geo's true share of national tv is the population share times m_g, with
  // sum_g sbar_g m_g = 1. At any point, the mean outcome equals that of the model given the
  // true shares s m as data (its media scale differs, so its lam is lam scale_B / scale_A)
  const int T = 40;
  for (SaturationForm form : {SaturationForm::logistic, SaturationForm::hill}) {
    PanelModelSpec sa = national_tv_spec(T, 51);
    sa.saturation = {form, SaturationForm::logistic};
    sa.share_sd = Vector(2);
    sa.share_sd << 0.3, 0.0;
    const BuiltPanelModel a = build_panel(sa);
    BOOST_REQUIRE_EQUAL(a.model.share_channels().size(), 1U);
    BOOST_CHECK_EQUAL(a.model.dimension(), build_panel(national_tv_spec(T, 51)).model.dimension() + 3);
    std::mt19937_64 rng(52);
    const Vector za = near_start(a.model, rng, 0.6);
    const PanelModelParameters pa = a.model.constrain(za);
    const Vector sbar = a.model.data().share_mean.col(0);
    BOOST_CHECK_CLOSE(sbar[2], 5.0 / 8.0, 1e-12);
    BOOST_CHECK_CLOSE(sbar.dot(pa.share_multiplier.row(0).transpose()), 1.0, 1e-12);  // national activity conserved
    BOOST_CHECK((pa.share_multiplier.row(1).array() == 1.0).all());                   // a geo channel: known
    BOOST_CHECK_GT((pa.share_multiplier.row(0).array() - 1.0).abs().maxCoeff(), 0.05);
    // the model with the true share given
    PanelModelSpec sb = national_tv_spec(T, 51);
    sb.saturation = sa.saturation;
    sb.share = {Matrix(1, 3), Matrix()};
    for (int g = 0; g < 3; ++g) sb.share[0](0, g) = sbar[g] * pa.share_multiplier(0, g);
    const BuiltPanelModel b = build_panel(sb);
    PanelModelParameters pb = pa;
    const double ratio = b.scales.media_scale[0] / a.scales.media_scale[0];
    pb.lam[0] = form == SaturationForm::hill ? pa.lam[0] / ratio : pa.lam[0] * ratio;  // ec in B's units
    pb.lam_geo.resize(0, 0);
    pb.share_multiplier.resize(0, 0);
    const Vector zb = b.model.unconstrain(pb);
    const Matrix mua = a.model.forward(za).mu, mub = b.model.forward(zb).mu;
    BOOST_CHECK_SMALL((mua - mub).cwiseAbs().maxCoeff(), 1e-10);
    // the round trip through unconstrain keeps the multipliers and lam (z itself is one
    // point of the line z + k 1 that gives the same multipliers)
    const PanelModelParameters back = a.model.constrain(a.model.unconstrain(pa));
    BOOST_CHECK_SMALL((back.share_multiplier - pa.share_multiplier).cwiseAbs().maxCoeff(), 1e-12);
    BOOST_CHECK_SMALL((back.lam_geo - pa.lam_geo).cwiseAbs().maxCoeff(), 1e-12);
    BOOST_CHECK_SMALL((a.model.forward(a.model.unconstrain(pa)).mu - mua).cwiseAbs().maxCoeff(), 1e-10);
    check_gradient(a.model, za, form == SaturationForm::hill ? "uncertain share, Hill" : "uncertain share");
    // constrained names: share_multiplier[channel, geo]
    const std::vector<std::string> names = a.model.constrained_names();
    BOOST_CHECK(std::find(names.begin(), names.end(), "share_multiplier[0,2]") != names.end());
  }
}

BOOST_AUTO_TEST_CASE(uncertain_share_gradient_under_geo_stocks_and_roi_priors) {
  // a national trust channel feeding geo stocks and a national conversion channel with a ROI
  // prior: the multipliers reach the stocks and, through H, the ROI's own term
  PanelModelData d = make_panel(30, 4, TrustLevel::geo, Pooling::partial, Pooling::partial, 4, 53);
  const auto C = static_cast<Eigen::Index>(d.media.size());
  d.share_sd = Vector::Constant(C, 0.25);
  d.share_mean = Matrix::Constant(4, C, 0.25);
  d.share_mean.col(0) << 0.1, 0.2, 0.3, 0.4;
  d.roi_weight = roi_weight(30, 4);
  const PanelTrustModel m(d, roi_priors());
  BOOST_CHECK_EQUAL(m.share_channels().size(), static_cast<std::size_t>(C));
  std::mt19937_64 rng(54);
  check_gradient(m, near_start(m, rng, 0.4), "uncertain share, geo stocks, ROI priors");
  same_for_1_and_2_threads(d, roi_priors(), 55);
  // under a national stock a trust-only channel's share is not a parameter
  d.trust_level = TrustLevel::national;
  d.tracker = d.tracker.leftCols(1);
  const PanelTrustModel n(d, roi_priors());
  for (int c : n.share_channels()) BOOST_CHECK(d.conversion[static_cast<std::size_t>(c)]);
  BOOST_CHECK_LT(n.share_channels().size(), static_cast<std::size_t>(C));
}

BOOST_AUTO_TEST_CASE(uncertain_share_bad_input_is_named) {
  PanelModelSpec s = national_tv_spec(20, 56);
  s.share_sd = Vector(2);
  s.share_sd << 0.2, 0.2;
  BOOST_CHECK(error_message([&] {
                (void)build_panel(s);
              }).find("share_sd of channel 'social': the channel is bought per geo") != std::string::npos);
  s.share_sd << -0.1, 0.0;
  BOOST_CHECK(error_message([&] { (void)build_panel(s); }).find("share_sd of channel 'tv' must be finite and >= 0") !=
              std::string::npos);
  s.share_sd = Vector::Constant(3, 0.1);
  BOOST_CHECK(error_message([&] { (void)build_panel(s); }).find("share_sd needs one entry per channel (2)") !=
              std::string::npos);
  s.share_sd = Vector::Constant(2, 0.0);
  s.share_sd[0] = 0.2;
  PanelModelData d = build_panel(s).model.data();
  d.share_mean(0, 0) = 0.9;  // column no longer sums to 1
  BOOST_CHECK(error_message([&] { (void)PanelTrustModel(d); }).find("share_mean column 0") != std::string::npos);
  d.share_mean.resize(0, 0);
  BOOST_CHECK(error_message([&] { (void)PanelTrustModel(d); }).find("share_mean must be 3 x 2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(fit_panel_map_finds_a_centred_models_mode_on_its_twin) {
  // the centred hierarchy's joint mode is degenerate; fit_panel_map optimises the
  // non-centred twin and maps back: the same constrained mode as the non-centred model's,
  // in the centred model's coordinates (its log density finite there)
  const PanelModelData d = make_panel(40, 5, TrustLevel::national, Pooling::partial, Pooling::partial, 1, 57);
  PanelModelData c = d;
  c.effect_centred.assign(d.media.size(), true);
  c.baseline_centred = {true, false, false};
  const PanelTrustModel nc(d), ce(c);
  const auto rn = fit_panel_map(nc), rc = fit_panel_map(ce);
  BOOST_TEST(rn.converged);
  BOOST_TEST(rc.converged);
  BOOST_CHECK_EQUAL(rc.mode.size(), ce.dimension());
  BOOST_CHECK_SMALL((rc.reported_mode - rn.reported_mode).cwiseAbs().maxCoeff(), 1e-12);
  BOOST_CHECK_SMALL((rc.mode - ce.centred_point(rn.mode)).cwiseAbs().maxCoeff(), 1e-12);
  PanelWorkspace ws;
  Vector g(ce.dimension());
  BOOST_TEST(std::isfinite(ce.log_density(rc.mode, g, ws)));
  BOOST_CHECK_CLOSE(rc.log_density, rn.log_density, 1e-12);  // the twin's, as documented
  // the mode is a mode: the non-centred gradient is small there
  BOOST_TEST(rn.gradient.cwiseAbs().maxCoeff() < 1e-3);
  // NUTS starts: seeded, near the mode, inside the support
  const Matrix s1 = panel_nuts_starts(ce, rc.mode, 4, 9), s2 = panel_nuts_starts(ce, rc.mode, 4, 9);
  BOOST_CHECK(s1 == s2);
  BOOST_CHECK(s1 != panel_nuts_starts(ce, rc.mode, 4, 10));
  for (int k = 0; k < 4; ++k) {
    BOOST_TEST(std::isfinite(ce.log_density(s1.row(k).transpose(), g, ws)));
    BOOST_TEST((s1.row(k).transpose() - rc.mode).cwiseAbs().maxCoeff() < 0.6);  // 0.1 x N(0, 1): under 6 sds
  }
  BOOST_CHECK(error_message([&] { (void)panel_nuts_starts(ce, rc.mode, 0, 1); }).find("chains must be >= 1") !=
              std::string::npos);
  BOOST_CHECK(error_message([&] { (void)fit_panel_map(ce, 0); }).find("max_iterations must be >= 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(period_effects_are_indicator_columns_pooled_completely) {
  // period_effects: tau[t] (t >= 1) shared by the geos, Normal(0, period_effect_sd), is the
  // model with T - 1 indicator columns in every geo's baseline, pooled completely, with the
  // same Normal prior (baseline_sd_k): equal log densities and gradients at corresponding
  // points; the forward pass's base carries tau
  const int T = 30, G = 4;
  PanelModelData a = make_panel(T, G, TrustLevel::national, Pooling::partial, Pooling::partial, 1, 58);
  a.period_effects = true;
  PanelModelPriors pa;
  pa.period_effect_sd = 0.7;
  PanelModelData b = a;
  b.period_effects = false;
  const Eigen::Index K = a.baseline[0].cols();
  for (int g = 0; g < G; ++g) {
    Matrix x = Matrix::Zero(T, K + T - 1);
    x.leftCols(K) = a.baseline[static_cast<std::size_t>(g)];
    for (int t = 1; t < T; ++t) x(t, K + t - 1) = 1.0;
    b.baseline[static_cast<std::size_t>(g)] = x;
  }
  b.baseline_pooling.resize(static_cast<std::size_t>(K + T - 1), Pooling::complete);
  PanelModelPriors pb;
  pb.base.baseline_sd_k = Vector::Constant(K + T - 1, pb.base.baseline_sd);
  pb.base.baseline_sd_k.tail(T - 1).setConstant(0.7);
  const PanelTrustModel ma(a, pa), mb(b, pb);
  BOOST_REQUIRE_EQUAL(ma.dimension(), mb.dimension());
  std::mt19937_64 rng(59);
  const Vector za = near_start(ma, rng, 0.4);
  PanelModelParameters p = ma.constrain(za);
  const Vector tau = p.period_effect;
  BOOST_CHECK_EQUAL(tau[0], 0.0);
  p.b.conservativeResize(K + T - 1, G);
  for (int t = 1; t < T; ++t) p.b.row(K + t - 1).setConstant(tau[t]);
  p.b_mean.conservativeResize(K + T - 1);
  p.b_tau.conservativeResize(K + T - 1);
  p.period_effect.resize(0);
  const Vector zb = mb.unconstrain(p);
  PanelWorkspace ws;
  Vector ga(ma.dimension()), gb(mb.dimension());
  BOOST_CHECK_CLOSE(ma.log_density(za, ga, ws), mb.log_density(zb, gb, ws), 1e-10);
  // the gradient by parameter name: period_effect[t] against the indicator's b[K + t - 1]
  const auto& na = ma.parameter_names();
  const auto& nb = mb.parameter_names();
  for (std::size_t i = 0; i < na.size(); ++i) {
    std::string name = na[i];
    if (name.starts_with("period_effect[")) {
      const int t = std::stoi(name.substr(14));
      name = "b[" + std::to_string(K + t - 1) + "]";
    }
    const auto j = std::find(nb.begin(), nb.end(), name) - nb.begin();
    BOOST_REQUIRE_MESSAGE(j < static_cast<std::ptrdiff_t>(nb.size()), name);
    BOOST_CHECK_SMALL(ga[static_cast<Eigen::Index>(i)] - gb[j], 1e-8 * (1.0 + std::abs(gb[j])));
  }
  check_gradient(ma, za, "period effects");
  const PanelForward fa = ma.forward(za), fb = mb.forward(zb);
  BOOST_CHECK_SMALL((fa.base - fb.base).cwiseAbs().maxCoeff(), 1e-10);
  BOOST_CHECK_SMALL((fa.mu - fb.mu).cwiseAbs().maxCoeff(), 1e-10);
  same_for_1_and_2_threads(a, pa, 60);
}

// ---- the bounded trust form and the share tracker (panel_model.hpp) ----------------------

namespace {
/// Building a model of d throws, with `what` in its message.
void fails_with(PanelModelData d, const std::string& what) {
  try {
    const PanelTrustModel m(std::move(d));
  } catch (const std::exception& e) {
    BOOST_TEST_INFO(e.what());
    BOOST_TEST(std::string(e.what()).find(what) != std::string::npos);
    return;
  }
  BOOST_ERROR("no error for: " << what);
}

/// make_panel() with the bounded national stock; a share tracker's values clamped to [0.05, 0.95].
PanelModelData bounded_panel(TrustLevel level, int tracker, bool share, bool known_se, Noise noise) {
  PanelModelData d = make_panel(40, 3, level, Pooling::partial, Pooling::partial, tracker, 5);
  d.trust_form = TrustForm::bounded;
  d.tracker_share = share;
  d.noise = noise;
  if (tracker > 0) {
    d.tracker = d.tracker.array().min(0.95).max(0.05);  // NaN stays NaN
    if (known_se) d.tracker_se = Matrix::Constant(d.tracker.rows(), d.tracker.cols(), 0.03);
  }
  return d;
}
}  // namespace

BOOST_AUTO_TEST_CASE(bounded_stock_gradient_matches_finite_differences) {
  for (TrustLevel level : {TrustLevel::national, TrustLevel::national_geo})
    for (int tracker : {0, 1, 3})
      for (bool share : {false, true})
        for (Noise noise : {Noise::iid, Noise::ar1}) {
          if (share && tracker == 0) continue;
          const PanelTrustModel m(bounded_panel(level, tracker, share, noise == Noise::ar1, noise));
          BOOST_REQUIRE(m.bounded());
          BOOST_REQUIRE(m.tracker_share() == share);
          std::mt19937_64 rng(13);
          std::normal_distribution<double> n(0.0, 0.4);
          for (int rep = 0; rep < 2; ++rep) {
            Vector z = m.initial_point();
            for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
            std::ostringstream label;
            label << "bounded, trust " << to_string(level) << " tracker " << tracker << " share " << share << " noise "
                  << to_string(noise);
            check_gradient(m, z, label.str());
          }
        }
}

BOOST_AUTO_TEST_CASE(bounded_stock_on_one_geo_is_the_national_bounded_model) {
  // The national model's bounded form, its share tracker (b_q = 1, level shear) and the
  // panel's are the same parametrisation (logit G0, logit b, ln(rho ubar), level = a_q + the
  // mean observed share): the log densities agree to rounding, and so do the forward passes.
  for (bool share : {false, true})
    for (bool tracker : {false, true}) {
      if (share && !tracker) continue;
      TrustModelData nd = trustmix::test::make_data(60, true, tracker, 3);
      nd.shocks = Matrix::Zero(60, 0);
      nd.trust_form = TrustForm::bounded;
      nd.tracker_share = share;
      if (tracker) {
        nd.tracker = nd.tracker.array().min(0.95).max(0.05);
        nd.tracker_se = Vector::Constant(60, 0.02);
      }
      const TrustModel nat(nd);
      PanelModelData pd = one_geo_panel(nd, true);
      pd.trust_form = TrustForm::bounded;
      pd.tracker_share = share;
      const PanelTrustModel pan(pd);
      std::mt19937_64 rng(4);
      std::normal_distribution<double> n(0.0, 0.4);
      for (int rep = 0; rep < 3; ++rep) {
        Vector zn = nat.initial_point();
        for (int i = 0; i < zn.size(); ++i) zn[i] += n(rng);
        const TrustModelParameters q = nat.constrain(zn);
        const PanelModelParameters pp = one_geo_parameters(q);
        const Vector zp = pan.unconstrain(pp);
        Vector gn(nat.dimension()), gp(pan.dimension());
        TrustModelWorkspace wn;
        PanelWorkspace wp;
        const double ln = nat.log_density(zn, gn, wn);
        // (no -ln b_q here: the national bounded form does not rescale G0 by the tracker)
        const double lpan = pan.log_density(zp, gp, wp);
        BOOST_TEST_INFO("share " << share << " tracker " << tracker << " rep " << rep);
        BOOST_CHECK_SMALL(ln - lpan, 1e-9 * (1.0 + std::abs(ln)));
        BOOST_CHECK_SMALL((nat.forward(zn).mu - pan.forward(zp).mu.col(0)).cwiseAbs().maxCoeff(), 1e-10);
        // the constrained values round-trip (rho from ln(rho ubar), a_q from the level)
        const PanelModelParameters back = pan.constrain(zp);
        BOOST_CHECK_CLOSE(back.inflow, q.inflow, 1e-8);
        BOOST_CHECK_CLOSE(back.trust_base, q.trust_base, 1e-8);
        BOOST_CHECK_CLOSE(back.g0, q.g0, 1e-8);
        if (tracker) BOOST_CHECK_SMALL(back.tracker_a - q.tracker_a, 1e-10);
      }
    }
}

BOOST_AUTO_TEST_CASE(bounded_stock_stays_a_share_and_names_its_parameters) {
  const PanelTrustModel m(bounded_panel(TrustLevel::national, 1, true, true, Noise::iid));
  const auto& names = m.parameter_names();
  for (const char* v :
       {"logit_initial_share", "tracker_share_level", "log_tracker_sigma", "logit_trust_base", "log_mean_trust_hazard"})
    BOOST_TEST(std::count(names.begin(), names.end(), v) == 1, v);
  BOOST_TEST(std::count(names.begin(), names.end(), "log_tracker_b") == 0);
  const auto cn = m.constrained_names();
  BOOST_TEST(std::count(cn.begin(), cn.end(), "trust_base") == 1);
  BOOST_TEST(std::count(cn.begin(), cn.end(), "trust_inflow") == 1);
  Vector out(m.constrained_dimension());
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n(0.0, 1.5);
  for (int rep = 0; rep < 20; ++rep) {  // far from the start too: the share stays in [0, 1]
    Vector z = m.initial_point();
    for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
    const PanelForward f = m.forward(z);
    BOOST_TEST((f.stock.array() >= 0.0).all());
    BOOST_TEST((f.stock.array() <= 1.0).all());
    m.constrain(z, out);
    BOOST_TEST(out.allFinite());
  }
  // the start: G0 = b = the survey's mean share, rho = 1 - delta
  const PanelModelParameters p0 = m.constrain(m.initial_point());
  double qm = 0.0;
  int nq = 0;
  for (Eigen::Index t = 0; t < m.data().tracker.rows(); ++t)
    if (!std::isnan(m.data().tracker(t, 0))) {
      qm += m.data().tracker(t, 0);
      ++nq;
    }
  BOOST_CHECK_CLOSE(p0.g0, qm / nq, 1e-9);
  BOOST_CHECK_CLOSE(p0.trust_base, qm / nq, 1e-9);
  BOOST_CHECK_CLOSE(p0.inflow, 1.0 - p0.delta, 1e-9);
  BOOST_CHECK_SMALL(p0.tracker_a, 1e-12);
}

BOOST_AUTO_TEST_CASE(bounded_stock_bad_input_is_named) {
  fails_with(bounded_panel(TrustLevel::geo, 0, false, false, Noise::iid), "bounded stocks per geo");
  PanelModelData d = bounded_panel(TrustLevel::national, 1, true, false, Noise::iid);
  d.trust_form = TrustForm::linear;
  fails_with(d, "needs the bounded trust form");
  fails_with(bounded_panel(TrustLevel::national, 0, true, false, Noise::iid), "tracker_share needs a tracker");
  d = bounded_panel(TrustLevel::national, 1, true, false, Noise::iid);
  d.tracker(3, 0) = 1.5;
  fails_with(d, "period 3, column 0 is 1.5");
  d = bounded_panel(TrustLevel::national, 0, false, false, Noise::iid);
  for (int c : {0, 1, 2, 3})
    if (d.trust[static_cast<std::size_t>(c)]) d.media[static_cast<std::size_t>(c)].setZero();
  fails_with(d, "no activity");
}

// ---- crises that damage the trust stock (shocks) ---------------------------------------------

BOOST_AUTO_TEST_CASE(shocks_gradient_matches_finite_differences_for_every_stock) {
  for (TrustLevel level : {TrustLevel::national, TrustLevel::geo, TrustLevel::national_geo})
    for (TrustForm form : {TrustForm::linear, TrustForm::bounded})
      for (int tracker : {0, 1, 3}) {
        if (form == TrustForm::bounded && level == TrustLevel::geo) continue;
        PanelModelData d = make_panel(40, 3, level, Pooling::partial, Pooling::partial, tracker, 9);
        d.trust_form = form;
        d.shocks = Matrix::Zero(40, 2);
        d.shocks(12, 0) = 1.0;
        d.shocks(13, 0) = 0.5;
        d.shocks(30, 1) = 2.0;
        if (form == TrustForm::bounded && tracker > 0) {
          d.tracker = d.tracker.array().min(0.95).max(0.05);
          d.tracker_share = true;
        }
        const PanelTrustModel m(d);
        BOOST_REQUIRE_EQUAL(std::count(m.parameter_names().begin(), m.parameter_names().end(), "log_omega[1]"), 1);
        std::mt19937_64 rng(17);
        std::normal_distribution<double> n(0.0, 0.4);
        for (int rep = 0; rep < 2; ++rep) {
          Vector z = m.initial_point();
          for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
          std::ostringstream label;
          label << "shocks, trust " << to_string(level) << " " << to_string(form) << " tracker " << tracker;
          check_gradient(m, z, label.str());
        }
      }
}

BOOST_AUTO_TEST_CASE(a_crisis_lowers_the_linear_stock_by_omega_decaying_with_delta) {
  // Linear stocks: S_with[t] - S_without[t] = -omega delta^(t - t0) from the crisis period t0
  // on (0 before), at the same parameters, in every geo; the bounded share keeps exp(-omega)
  // of itself at t0.
  for (TrustLevel level : {TrustLevel::national, TrustLevel::geo}) {
    PanelModelData d = make_panel(30, 2, level, Pooling::complete, Pooling::complete, 0, 4);
    PanelModelData with = d;
    with.shocks = Matrix::Zero(30, 1);
    with.shocks(10, 0) = 1.0;
    const PanelTrustModel m0(d), m1(with);
    PanelModelParameters p = m0.constrain(m0.initial_point());
    p.omega = Vector::Constant(1, 0.25);
    const Matrix s0 = m0.forward(m0.unconstrain(p)).stock, s1 = m1.forward(m1.unconstrain(p)).stock;
    const PanelModelParameters q = m1.constrain(m1.unconstrain(p));
    BOOST_CHECK_CLOSE(q.omega[0], 0.25, 1e-10);
    for (int g = 0; g < 2; ++g)
      for (int t = 0; t < 30; ++t) {
        const double want = t < 10 ? 0.0 : -0.25 * std::pow(q.delta_geo[g], t - 10);
        BOOST_CHECK_SMALL(s1(t, g) - s0(t, g) - want, 1e-12);
      }
  }
  PanelModelData d = bounded_panel(TrustLevel::national, 0, false, false, Noise::iid);
  PanelModelData with = d;
  with.shocks = Matrix::Zero(40, 1);
  with.shocks(10, 0) = 1.0;
  const PanelTrustModel m0(d), m1(with);
  PanelModelParameters p = m0.constrain(m0.initial_point());
  p.omega = Vector::Constant(1, 0.3);
  const Matrix s0 = m0.forward(m0.unconstrain(p)).stock, s1 = m1.forward(m1.unconstrain(p)).stock;
  BOOST_CHECK_SMALL((s1.topRows(10) - s0.topRows(10)).cwiseAbs().maxCoeff(), 1e-14);
  BOOST_CHECK_CLOSE(s1(10, 0), std::exp(-0.3) * s0(10, 0), 1e-10);
  BOOST_TEST((s1.bottomRows(29).array() < s0.bottomRows(29).array()).all());  // the damage lasts, fading
}

BOOST_AUTO_TEST_CASE(shocks_on_one_geo_are_the_national_models) {
  // The national model's crises (its linear form with a tracker shears ln omega by ln b_q, a
  // unit Jacobian) and the panel's: the same log density and forward pass at one geo.
  for (TrustForm form : {TrustForm::linear, TrustForm::bounded})
    for (bool tracker : {false, true}) {
      TrustModelData nd = trustmix::test::make_data(60, true, tracker, 3, 20);
      nd.trust_form = form;
      if (tracker && form == TrustForm::bounded) nd.tracker = nd.tracker.array().min(0.95).max(0.05);
      const TrustModel nat(nd);
      PanelModelData pd = one_geo_panel(nd, true);
      pd.trust_form = form;
      pd.shocks = nd.shocks;
      const PanelTrustModel pan(pd);
      std::mt19937_64 rng(8);
      std::normal_distribution<double> n(0.0, 0.4);
      for (int rep = 0; rep < 3; ++rep) {
        Vector zn = nat.initial_point();
        for (int i = 0; i < zn.size(); ++i) zn[i] += n(rng);
        const TrustModelParameters q = nat.constrain(zn);
        const Vector zp = pan.unconstrain(one_geo_parameters(q));
        Vector gn(nat.dimension()), gp(pan.dimension());
        TrustModelWorkspace wn;
        PanelWorkspace wp;
        const double ln = nat.log_density(zn, gn, wn);
        const double lpan = pan.log_density(zp, gp, wp) -
                            (tracker && form == TrustForm::linear ? std::log(q.tracker_b) : 0.0);
        BOOST_TEST_INFO(to_string(form) << " tracker " << tracker << " rep " << rep);
        BOOST_CHECK_SMALL(ln - lpan, 1e-9 * (1.0 + std::abs(ln)));
        BOOST_CHECK_SMALL((nat.forward(zn).mu - pan.forward(zp).mu.col(0)).cwiseAbs().maxCoeff(), 1e-10);
      }
    }
}

BOOST_AUTO_TEST_CASE(shocks_bad_input_is_named) {
  PanelModelData d = make_panel(20, 2, TrustLevel::off, Pooling::complete, Pooling::complete, 0, 1);
  d.shocks = Matrix::Zero(20, 1);
  fails_with(d, "need a trust stock");
  d = make_panel(20, 2, TrustLevel::national, Pooling::complete, Pooling::complete, 0, 1);
  d.shocks = Matrix::Zero(19, 1);
  fails_with(d, "shocks must have 20 rows");
  d.shocks = Matrix::Zero(20, 2);
  d.shocks(7, 1) = -1.0;
  fails_with(d, "shocks: period 7, shock 1 is -1");
}

// ---- lift tests (geo experiments) that calibrate the panel -----------------------------------

namespace {
/// make_panel() with two lift tests on channel 2 (conversion only): geos {0, 2} over
/// periods [10, 16) measured to 20, and geo {1} over [25, 28) measured to 28; with
/// `counterfactual` the first test's window runs at a given activity (a holdout in the data
/// against its plan) instead of 0.
PanelModelData lift_panel(TrustLevel level, Pooling effects, bool counterfactual = false) {
  PanelModelData d = make_panel(40, 3, level, effects, Pooling::partial, level == TrustLevel::off ? 0 : 1, 21);
  d.lift_weight = Matrix::Constant(40, 3, 1.0);
  for (int g = 0; g < 3; ++g) d.lift_weight.col(g).setConstant(1.0 + 0.5 * g);
  d.lift_tests = {{2, {0, 2}, 10, 16, 20, 1.5, 0.3, 0.1, {}, {}, {}, {}},
                  {2, {1}, 25, 28, 28, 0.4, 0.2, 0.0, {}, {}, {}, {}}};
  if (counterfactual) {
    d.lift_tests[0].counterfactual.resize(6, 2);
    for (int i = 0; i < 2; ++i)
      for (int r = 0; r < 6; ++r) d.lift_tests[0].counterfactual(r, i) = 0.4 + 0.3 * i + 0.1 * r;
  }
  return d;
}

/// Test lt's lift at z by two forward passes, per measured period: the sum over its geos of
/// W (mu - mu_cf), mu the forward pass `f` of the data, mu_cf with the window's activity in
/// the treated geos at the counterfactual (or 0); `cf_out` gets the counterfactual pass.
Vector forward_lift(const PanelTrustModel& m, const PanelModelData& d, const PanelLiftTest& lt, const Vector& z,
                    const PanelForward& f, PanelForward* cf_out = nullptr) {
  std::vector<Matrix> X = d.media;
  for (std::size_t i = 0; i < lt.geos.size(); ++i) {
    auto window = X[static_cast<std::size_t>(lt.channel)].col(lt.geos[i]).segment(lt.start, lt.end - lt.start);
    if (lt.counterfactual.size() != 0) window = lt.counterfactual.col(static_cast<Eigen::Index>(i));
    else window.setZero();
  }
  PanelForward cf = m.forward(z, &X);
  Vector want = Vector::Zero(lt.measured_end - lt.start);
  for (int g : lt.geos)
    for (int t = lt.start; t < lt.measured_end; ++t) want[t - lt.start] += d.lift_weight(t, g) * (f.mu(t, g) - cf.mu(t, g));
  if (cf_out != nullptr) *cf_out = std::move(cf);
  return want;
}
}  // namespace

BOOST_AUTO_TEST_CASE(lift_test_gradient_matches_finite_differences) {
  for (TrustLevel level : {TrustLevel::off, TrustLevel::national, TrustLevel::geo})
    for (Pooling effects : {Pooling::partial, Pooling::none})
      for (bool hill : {false, true}) {
        PanelModelData d = lift_panel(level, effects, hill);  // the counterfactual form with Hill
        if (hill)
          d.saturation = {SaturationForm::logistic, SaturationForm::logistic, SaturationForm::hill,
                          SaturationForm::logistic};
        const PanelTrustModel m(d);
        std::mt19937_64 rng(23);
        std::normal_distribution<double> n(0.0, 0.4);
        for (int rep = 0; rep < 2; ++rep) {
          Vector z = m.initial_point();
          for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
          std::ostringstream label;
          label << "lift tests, trust " << to_string(level) << " effects " << to_string(effects) << " hill " << hill;
          check_gradient(m, z, label.str());
        }
      }
}

BOOST_AUTO_TEST_CASE(predicted_lift_is_the_difference_of_two_forward_passes) {
  // pred_k = sum over the treated geos and measured periods of W (mu - mu_cf), mu_cf the
  // forward pass with the channel's activity zeroed in the treated geos over the window;
  // and the term is the Normal log density of the measured lift around it.
  // With a counterfactual activity the window runs at it instead of 0 (both forms here).
  for (const auto& [level, counterfactual] : {std::pair{TrustLevel::national, false}, std::pair{TrustLevel::geo, false},
                                              std::pair{TrustLevel::national, true}, std::pair{TrustLevel::geo, true}}) {
    const PanelModelData d = lift_panel(level, Pooling::partial, counterfactual);
    const PanelTrustModel m(d);
    PanelModelData plain = d;
    plain.lift_tests.clear();
    const PanelTrustModel m0(plain);
    std::mt19937_64 rng(5);
    std::normal_distribution<double> n(0.0, 0.3);
    Vector z = m.initial_point();
    for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
    const Vector pred = m.predicted_lift(z);
    const PanelForward f = m.forward(z);
    double lp_terms = 0.0;
    for (std::size_t k = 0; k < d.lift_tests.size(); ++k) {
      const PanelLiftTest& lt = d.lift_tests[k];
      const double want = forward_lift(m, d, lt, z, f).sum();
      BOOST_TEST_INFO(to_string(level) << " test " << k << " counterfactual " << counterfactual);
      BOOST_CHECK_SMALL(pred[static_cast<Eigen::Index>(k)] - want, 1e-9 * (1.0 + std::abs(want)));
      BOOST_TEST(std::abs(want) > 1e-3);  // the test moves the outcome
      const double v = lt.standard_error * lt.standard_error + lt.transfer_sd * lt.transfer_sd;
      lp_terms += -0.5 * (lt.lift - want) * (lt.lift - want) / v;
    }
    PanelWorkspace ws;
    Vector g(m.dimension());
    BOOST_CHECK_SMALL(m.log_density(z, g, ws) - m0.log_density(z, g, ws) - lp_terms, 1e-8);
  }
}

namespace {
/// lift_panel(geo stocks) with tests on the channels that feed the stocks: channel 0 (trust
/// only) in geos {0, 1} over [8, 12) measured to 30 (a long cooldown: the stock's memory),
/// channel 3 (trust and conversion) in geo {2} over [20, 24) measured to 40, and the first
/// test on channel 2 as before; with `shocks` two crises damage the stocks.
PanelModelData stock_lift_panel(Pooling effects, bool counterfactual, bool shocks) {
  PanelModelData d = lift_panel(TrustLevel::geo, effects, counterfactual);
  d.lift_tests.push_back({0, {0, 1}, 8, 12, 30, 2.0, 0.5, 0.2, {}, {}, {}, {}});
  d.lift_tests.push_back({3, {2}, 20, 24, 40, 1.0, 0.4, 0.0, {}, {}, {}, {}});
  if (counterfactual) d.lift_tests[2].counterfactual = Matrix::Constant(4, 2, 0.3);
  if (shocks) {
    d.shocks = Matrix::Zero(40, 1);
    d.shocks(10, 0) = 1.0;
    d.shocks(26, 0) = 0.5;
  }
  return d;
}
}  // namespace

BOOST_AUTO_TEST_CASE(trust_channel_lift_test_gradient_matches_finite_differences) {
  // Tests on channels feeding per-geo stocks: the gradient reaches gamma, theta_g, every
  // converting channel's beta and curve (through conv D), delta_g and kappa (through D's
  // recursion), and the tested channel's alpha and lam in both passes.
  for (Pooling effects : {Pooling::partial, Pooling::none})
    for (bool counterfactual : {false, true})
      for (bool shocks : {false, true}) {
        const PanelTrustModel m(stock_lift_panel(effects, counterfactual, shocks));
        std::mt19937_64 rng(29);
        std::normal_distribution<double> n(0.0, 0.4);
        for (int rep = 0; rep < 2; ++rep) {
          Vector z = m.initial_point();
          for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
          std::ostringstream label;
          label << "trust-channel lift tests, effects " << to_string(effects) << " counterfactual " << counterfactual
                << " shocks " << shocks;
          check_gradient(m, z, label.str());
        }
      }
}

BOOST_AUTO_TEST_CASE(trust_channel_lift_is_the_difference_of_two_forward_passes) {
  // pred_k against forward(): the channel's activity in the treated geos over the window
  // replaced, every geo's stock re-run (the untreated geos' own stocks do not move).
  for (bool counterfactual : {false, true})
    for (bool shocks : {false, true}) {
      const PanelModelData d = stock_lift_panel(Pooling::partial, counterfactual, shocks);
      const PanelTrustModel m(d);
      std::mt19937_64 rng(31);
      std::normal_distribution<double> n(0.0, 0.3);
      Vector z = m.initial_point();
      for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
      const Vector pred = m.predicted_lift(z);
      const PanelForward f = m.forward(z);
      for (std::size_t k = 0; k < d.lift_tests.size(); ++k) {
        PanelForward cf;
        const double want = forward_lift(m, d, d.lift_tests[k], z, f, &cf).sum();
        BOOST_TEST_INFO("test " << k << " counterfactual " << counterfactual << " shocks " << shocks);
        BOOST_CHECK_SMALL(pred[static_cast<Eigen::Index>(k)] - want, 1e-9 * (1.0 + std::abs(want)));
        BOOST_TEST(std::abs(want) > 1e-3);
        if (k == 2) {  // the trust-only channel moves the treated geos' stocks, not the others'
          BOOST_TEST((f.stock.col(0) - cf.stock.col(0)).cwiseAbs().maxCoeff() > 1e-4);
          BOOST_TEST((f.stock.col(2) - cf.stock.col(2)).cwiseAbs().maxCoeff() == 0.0);
          // and its effect lasts: the stock's difference is still there 18 periods after the window's end
          BOOST_TEST(std::abs(f.stock(29, 0) - cf.stock(29, 0)) > 1e-6);
        }
      }
    }
}

BOOST_AUTO_TEST_CASE(week_by_week_lift_tests_are_one_term_per_measured_period) {
  // A test with period_lift has one Normal term per measured period around that period's
  // predicted lift (two forward passes, period by period): exact gradients, the log density
  // change equal to the terms, predicted_lift the total; on a converting channel under a
  // national stock and on the trust channels under geo stocks (with crises). With
  // period_transfer (`common`) the weeks share one transfer error: the terms are one joint
  // Normal, Sigma = diag(period_variance - tau^2) + tau tau^T, checked densely (Cholesky).
  for (const auto& [geo, common] :
       {std::pair{false, false}, std::pair{true, false}, std::pair{false, true}, std::pair{true, true}}) {
    PanelModelData d = geo ? stock_lift_panel(Pooling::partial, false, true)
                           : lift_panel(TrustLevel::national, Pooling::partial);
    for (std::size_t k : geo ? std::vector<std::size_t>{0, 2, 3} : std::vector<std::size_t>{0}) {
      PanelLiftTest& lt = d.lift_tests[k];
      const int M = lt.measured_end - lt.start;
      lt.period_lift = Vector::LinSpaced(M, 0.3, 0.02);
      lt.period_variance = Vector::LinSpaced(M, 0.01, 0.05);
      if (common) lt.period_transfer = 0.6 * lt.period_variance.cwiseSqrt();
    }
    const PanelTrustModel m(d);
    std::mt19937_64 rng(37);
    std::normal_distribution<double> n(0.0, 0.3);
    for (int rep = 0; rep < 2; ++rep) {
      Vector z = m.initial_point();
      for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
      check_gradient(m, z, geo ? "week-by-week lift tests, geo stocks" : "week-by-week lift tests, national stock");
    }
    PanelModelData plain = d;
    plain.lift_tests.clear();
    const PanelTrustModel m0(plain);
    Vector z = m.initial_point();
    for (int i = 0; i < z.size(); ++i) z[i] += n(rng);
    const Vector pred = m.predicted_lift(z);
    const PanelForward f = m.forward(z);
    double lp_terms = 0.0;
    for (std::size_t k = 0; k < d.lift_tests.size(); ++k) {
      const PanelLiftTest& lt = d.lift_tests[k];
      const Vector want = forward_lift(m, d, lt, z, f);
      BOOST_TEST_INFO("geo " << geo << " test " << k);
      BOOST_CHECK_SMALL(pred[static_cast<Eigen::Index>(k)] - want.sum(), 1e-9 * (1.0 + std::abs(want.sum())));
      if (lt.period_transfer.size() != 0) {
        const Vector& tau = lt.period_transfer;
        Matrix sigma = tau * tau.transpose();
        sigma.diagonal() = lt.period_variance;
        const Eigen::LLT<Matrix> llt(sigma);
        const Vector r = lt.period_lift - want;
        const double logdet = 2.0 * Matrix(llt.matrixL()).diagonal().array().log().sum();
        // the model leaves out the constant -sum ln(2 pi se_t^2) / 2
        const double se2 = (lt.period_variance.array() - tau.array().square()).log().sum();
        lp_terms += -0.5 * r.dot(llt.solve(r)) - 0.5 * (logdet - se2);
      } else if (lt.period_lift.size() != 0) {
        lp_terms += -0.5 * ((lt.period_lift - want).array().square() / lt.period_variance.array()).sum();
      } else {
        const double v = lt.standard_error * lt.standard_error + lt.transfer_sd * lt.transfer_sd;
        lp_terms += -0.5 * (lt.lift - want.sum()) * (lt.lift - want.sum()) / v;
      }
    }
    PanelWorkspace ws;
    Vector g(m.dimension());
    BOOST_CHECK_SMALL(m.log_density(z, g, ws) - m0.log_density(z, g, ws) - lp_terms, 1e-8);
  }
  // bad input: the sizes and the variances are named
  PanelModelData d = lift_panel(TrustLevel::national, Pooling::partial);
  d.lift_tests[0].period_lift = Vector::Constant(9, 0.1);
  d.lift_tests[0].period_variance = Vector::Constant(9, 0.1);
  fails_with(d, "lift test 0: period_lift and period_variance must have one value per measured period (10), got 9 and 9");
  d.lift_tests[0].period_lift = Vector::Constant(10, 0.1);
  d.lift_tests[0].period_variance = Vector::Constant(10, 0.0);
  fails_with(d, "lift test 0: period_variance must be finite and > 0");
  d.lift_tests[0].period_variance = Vector::Constant(10, 0.04);
  d.lift_tests[0].period_transfer = Vector::Constant(10, 0.2);  // tau^2 = variance: no room for se
  fails_with(d, "lift test 0: period_transfer must be empty or have one value per measured period (10)");
}

BOOST_AUTO_TEST_CASE(lift_tests_bad_input_is_named) {
  const PanelModelData base = lift_panel(TrustLevel::national, Pooling::partial);
  const auto with = [&](auto edit) {
    PanelModelData d = base;
    edit(d.lift_tests[0]);
    return d;
  };
  fails_with(with([](PanelLiftTest& t) { t.channel = 0; }),
             "lift test 0: channel 0 feeds the national trust stock (trust national); removing it in the treated geos "
             "moves every geo's stock");
  fails_with(with([](PanelLiftTest& t) { t.channel = 3; }), "lift tests on trust channels need per-geo stocks (trust geo)");
  {  // without a stock a trust-only channel moves nothing
    PanelModelData d = lift_panel(TrustLevel::off, Pooling::partial);
    d.lift_tests[0].channel = 0;
    fails_with(d, "lift test 0: channel 0 neither converts nor feeds a trust stock");
  }
  fails_with(with([](PanelLiftTest& t) { t.geos = {0, 0}; }), "geo 0 listed twice");
  fails_with(with([](PanelLiftTest& t) { t.geos = {5}; }), "geo 5 out of range");
  fails_with(with([](PanelLiftTest& t) { t.measured_end = 12; }), "0 <= start < end <= measured_end <= 40");
  fails_with(with([](PanelLiftTest& t) { t.standard_error = 0.0; }), "lift test 0: standard_error must be finite and > 0");
  fails_with(with([](PanelLiftTest& t) { t.counterfactual = Matrix::Constant(5, 2, 1.0); }),
             "lift test 0: counterfactual must be 6 x 2 (window periods x treated geos), got 5 x 2");
  fails_with(with([](PanelLiftTest& t) { t.counterfactual = Matrix::Constant(6, 2, -1.0); }),
             "counterfactual activity must be finite and >= 0");
}

BOOST_AUTO_TEST_CASE(build_scales_a_lift_tests_counterfactual_and_refuses_a_test_that_removes_nothing) {
  // two_geo_spec's social per capita 0.1 (north) and 0.2 (south), scale 0.15; a holdout in
  // the data (social 0 in the south over [10, 14)) against its plan of 40 per period.
  const int T = 30;
  PanelModelSpec s = two_geo_spec(T);
  s.media[1].col(0).setConstant(10.0);
  s.media[1].col(1).setConstant(40.0);
  s.media[1].col(1).segment(10, 4).setZero();
  s.outcome = Matrix::Constant(T, 2, 80.0);
  PanelLiftTestSpec t;
  t.channel = "social";
  t.geos = {"south"};
  t.start = 10;
  t.end = 14;
  t.lift = -20.0;
  t.standard_error = 5.0;
  s.lift_tests = {t};
  // removing what is not there changes nothing: refused, naming the way out
  BOOST_CHECK_EXCEPTION((void)build_panel(s), std::invalid_argument, [](const std::invalid_argument& e) {
    return std::string(e.what()).find("no activity in the treated geos over the window") != std::string::npos &&
           std::string(e.what()).find("planned activity as the counterfactual") != std::string::npos;
  });
  s.lift_tests[0].counterfactual = Matrix::Constant(4, 1, 40.0);
  const BuiltPanelModel b = build_panel(s);
  const double scale = b.scales.media_scale[1];  // the mean non-zero per-capita activity
  const PanelLiftTest& lt = b.model.data().lift_tests[0];
  BOOST_REQUIRE(lt.counterfactual.rows() == 4 && lt.counterfactual.cols() == 1);
  BOOST_CHECK_CLOSE(lt.counterfactual(2, 0), 40.0 / 200.0 / scale, 1e-12);  // per capita, scaled like media
  // the counterfactual at the plan makes the lift negative: the outcome as run minus as planned
  const Vector z = b.model.initial_point();
  BOOST_TEST(b.model.predicted_lift(z)[0] < 0.0);
  s.lift_tests[0].counterfactual = Matrix::Constant(3, 1, 40.0);
  BOOST_CHECK_EXCEPTION((void)build_panel(s), std::invalid_argument, [](const std::invalid_argument& e) {
    return std::string(e.what()).find("counterfactual must be 4 x 1") != std::string::npos;
  });
  s.lift_tests[0].counterfactual = Matrix::Constant(4, 1, std::nan(""));
  BOOST_CHECK_EXCEPTION((void)build_panel(s), std::invalid_argument, [](const std::invalid_argument& e) {
    return std::string(e.what()).find("geo 'south', period 10 is nan") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(a_workspace_shared_by_models_with_and_without_lift_tests) {
  // PanelTarget keeps one workspace per thread for every model: a model with lift tests must
  // size their buffers even when the other sizes match a model without them.
  PanelModelData with = lift_panel(TrustLevel::national, Pooling::partial), without = with;
  without.lift_tests.clear();
  const PanelTrustModel a(without), b(with);
  BOOST_REQUIRE_EQUAL(a.dimension(), b.dimension());
  const Vector z = b.initial_point();
  PanelWorkspace shared, fresh;
  Vector g(b.dimension()), g2(b.dimension());
  (void)a.log_density(z, g, shared);
  const double lb = b.log_density(z, g, shared);
  BOOST_TEST(lb == b.log_density(z, g2, fresh));
  BOOST_TEST((g - g2).cwiseAbs().maxCoeff() == 0.0);
}
