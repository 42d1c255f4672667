// Reach-and-frequency channels of the trust-linked model (trust_model.hpp, RfForm): the
// exact gradient of both forms against central finite differences, Meridian's form
// (adstock of reach x Hill of frequency) against its definition written as a plain loop,
// the exposure form against the expectation summed over Boost's negative binomial pmf,
// the analyses (roi, response increments) against forward passes, and the refusals.
#include <boost/test/unit_test.hpp>

#include <boost/math/distributions/negative_binomial.hpp>

#include <trustmix/audience/reach.hpp>
#include <trustmix/mmm/analyses.hpp>
#include <trustmix/mmm/fit.hpp>
#include <trustmix/mmm/spec.hpp>
#include <trustmix/mmm/trust_model.hpp>

#include "draw_engine_checks.hpp"
#include "mmm_data.hpp"

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

using namespace trustmix::mmm;
using trustmix::test::check_gradient;  // mmm_data.hpp
using trustmix::test::make_data;

namespace {

/// The test data with channel 2 (conversion only) as an RF channel of the given form:
/// reach in [0, 2] (0 every fourth period, as the data's media), frequency 1 + U(0, 3).
TrustModelData rf_data(int T, bool trust, bool tracker, unsigned seed, RfForm form) {
  TrustModelData d = make_data(T, trust, tracker, seed);
  d.rf.assign(4, RfForm::none);
  d.rf[2] = form;
  d.frequency = Matrix::Zero(T, 4);
  std::mt19937_64 rng(seed + 100);
  std::uniform_real_distribution<double> u(0.0, 3.0);
  for (int t = 0; t < T; ++t) d.frequency(t, 2) = d.media(t, 2) > 0.0 ? 1.0 + u(rng) : 0.0;
  d.rf_shape = 1.7;
  return d;
}

Vector jittered_start(const TrustModel& m, unsigned seed, double sd) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0.0, sd);
  Vector z = m.initial_point();
  for (Eigen::Index i = 0; i < z.size(); ++i) z[i] += n(rng);
  return z;
}

/// Normalised geometric weights alpha^l / sum_{k=0}^{L} alpha^k, l = 0..L.
Vector weights(double alpha, int L) {
  Vector w(L + 1);
  for (int l = 0; l <= L; ++l) w[l] = std::pow(alpha, l);
  return w / w.sum();
}

}  // namespace

BOOST_AUTO_TEST_CASE(rf_gradient_matches_finite_differences) {
  for (const RfForm form : {RfForm::hill, RfForm::exposure})
    for (const bool trust : {false, true})
      for (const bool tracker : {false, true}) {
        if (tracker && !trust) continue;
        TrustModel m(rf_data(60, trust, tracker, 3, form));
        BOOST_TEST(m.rf_count() == 1);
        for (unsigned s = 1; s <= 2; ++s)
          check_gradient(m, jittered_start(m, s, 0.3),
                         std::string(to_string(form)) + (trust ? " trust" : " no trust") + (tracker ? " tracker" : ""));
      }
  // With a ROI prior on the RF channel and the negative binomial likelihood.
  TrustModelData d = rf_data(60, true, false, 5, RfForm::hill);
  for (Eigen::Index t = 0; t < d.y.size(); ++t) d.y[t] = std::round(100.0 * std::abs(d.y[t]));  // counts
  d.likelihood = Likelihood::negative_binomial;
  d.outcome_scale = 100.0;
  TrustModelPriors pr;
  pr.roi_log_median = Vector::Constant(2, std::nan(""));
  pr.roi_sd_log = Vector::Ones(2);
  pr.roi_scale = Vector::Ones(2);
  pr.roi_log_median[0] = 0.3;  // conversion channels: 2 (RF), 3
  pr.roi_sd_log[0] = 0.5;
  pr.roi_scale[0] = 0.02;
  TrustModel m(d, pr);
  check_gradient(m, jittered_start(m, 7, 0.3), "hill roi prior");
}

BOOST_AUTO_TEST_CASE(hill_form_is_meridians_adstock_of_reach_times_hill) {
  // h[t] = sum_{l=0}^{L} w_l(alpha) r[t-l] f[t-l]^s / (f[t-l]^s + ec^s), by a plain loop.
  const int T = 50;
  TrustModel m(rf_data(T, false, false, 11, RfForm::hill));
  const Vector z = jittered_start(m, 3, 0.4);
  const TrustModelParameters p = m.constrain(z);
  const auto names = m.constrained_names();
  BOOST_TEST(names.back() == "slope[2]");
  BOOST_TEST(m.parameter_names().back() == "log_rf_slope[2]");
  BOOST_TEST(p.slope[2] == std::exp(z[m.dimension() - 1]));
  const auto& d = m.data();
  const double ec = p.lam[2], s = p.slope[2];
  const Vector w = weights(p.alpha[2], d.max_lag);
  const TrustModelForward f = m.forward(z);
  for (int t = 0; t < T; ++t) {
    double h = 0.0;
    for (int l = 0; l <= d.max_lag && l <= t; ++l) {
      const double fr = d.frequency(t - l, 2);
      if (fr > 0.0) h += w[l] * d.media(t - l, 2) * std::pow(fr, s) / (std::pow(fr, s) + std::pow(ec, s));
    }
    BOOST_TEST(f.saturated(t, 2) == h, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(f.conversion_own(t, 0) == p.beta[0] * h, boost::test_tools::tolerance(1e-12));
  }
  // beta is tied to the contribution parameter (z[8], after 4 alphas and 4 lams):
  // beta = exp(z) / ((1/T) sum_t h).
  BOOST_TEST(p.beta[0] == std::exp(z[8]) / (f.saturated.col(2).sum() / T), boost::test_tools::tolerance(1e-10));
  // The forward pass's mean equals the likelihood's: lp at z with sigma's data term.
  Vector g(m.dimension());
  const double lp = m.log_density(z, g);
  BOOST_TEST(std::isfinite(lp));
}

BOOST_AUTO_TEST_CASE(exposure_form_is_the_expectation_over_the_truncated_negative_binomial) {
  // g = E[1 - exp(-lam K) | K >= 1], K ~ NB(shape k, mean m), m solving
  // f = m / (1 - P(K = 0)); summed over Boost's pmf to K = 400.
  const int T = 40;
  TrustModelData d = rf_data(T, false, false, 13, RfForm::exposure);
  d.frequency(1, 2) = 1.0;  // one exposure each: g = 1 - exp(-lam)
  TrustModel m(d);
  const Vector z = jittered_start(m, 4, 0.3);
  const TrustModelParameters p = m.constrain(z);
  const double lam = p.lam[2], k = d.rf_shape;
  Vector x(T);
  m.rf_input(2, lam, 0.0, d.media.col(2), x);
  for (int t = 0; t < T; ++t) {
    const double r = d.media(t, 2), f = d.frequency(t, 2);
    if (r == 0.0) {
      BOOST_TEST(x[t] == 0.0);
      continue;
    }
    // m from f by bisection on the definition.
    double lo = 0.0, hi = f;
    for (int it = 0; it < 200 && f > 1.0; ++it) {
      const double mid = 0.5 * (lo + hi);
      const double mean = mid / -std::expm1(-k * std::log1p(mid / k));
      (mean < f ? lo : hi) = mid;
    }
    const double mu = f > 1.0 ? 0.5 * (lo + hi) : 0.0;
    double g = 1.0 - std::exp(-lam);
    if (mu > 1e-12) {
      const boost::math::negative_binomial_distribution<double> nb(k, k / (k + mu));
      double e = 0.0;
      for (int n = 1; n <= 400; ++n) e += boost::math::pdf(nb, n) * (1.0 - std::exp(-lam * n));
      g = e / (1.0 - boost::math::pdf(nb, 0));
      // the truncated mean is f
      double mean = 0.0;
      for (int n = 1; n <= 400; ++n) mean += boost::math::pdf(nb, n) * n;
      BOOST_TEST(mean / (1.0 - boost::math::pdf(nb, 0)) == f, boost::test_tools::tolerance(1e-9));
    }
    BOOST_TEST(x[t] == r * g, boost::test_tools::tolerance(1e-10));
  }
  // Concave in frequency at fixed reach, below 1 per person reached, and tending to the
  // reach as lam grows.
  Vector r1 = Vector::Ones(T), g1(T), g2(T);
  m.rf_input(2, 50.0, 0.0, r1, g2);
  for (int t = 0; t < T; ++t)
    if (d.media(t, 2) > 0.0) BOOST_TEST(g2[t] == 1.0, boost::test_tools::tolerance(1e-12));
  TrustModelData d2 = d;
  for (int t = 0; t < T; ++t) {
    d2.media(t, 2) = 1.0;
    d2.frequency(t, 2) = 1.0 + 0.25 * t;
  }
  TrustModel m2(d2);
  m2.rf_input(2, 0.4, 0.0, Vector::Ones(T), g1);
  for (int t = 1; t + 1 < T; ++t) {
    BOOST_TEST(g1[t] > g1[t - 1]);
    BOOST_TEST(g1[t] < 1.0);
    BOOST_TEST(g1[t + 1] - g1[t] < g1[t] - g1[t - 1]);  // each step of frequency adds less
  }
}

BOOST_AUTO_TEST_CASE(rf_analyses_match_forward_passes) {
  for (const RfForm form : {RfForm::hill, RfForm::exposure}) {
    const int T = 70, H = 20;
    TrustModel m(rf_data(T, true, true, 17, form));
    Matrix draws(2, m.dimension());
    draws.row(0) = jittered_start(m, 1, 0.3).transpose();
    draws.row(1) = jittered_start(m, 2, 0.3).transpose();
    RoiSettings s;
    s.horizon = H;
    s.window_begin = 5;
    s.window_end = 44;
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
      Matrix cf = media;
      cf.block(5, 2, 40, 1).setZero();  // no reach in the window
      const auto fc = m.forward_on(z, cf, base, shocks);
      const Vector diff = (full.mu - fc.mu) * 2.5;
      BOOST_TEST(r.incremental_total(i, 2) == diff.sum(), boost::test_tools::tolerance(1e-10));
      BOOST_TEST(r.own(i, 2) + r.via_amplification(i, 2) == r.incremental_total(i, 2), boost::test_tools::tolerance(1e-9));
      BOOST_TEST(r.incremental_total(i, 2) > 0.0);
    }
    // Response curve of the RF channel: reach times k at the data's frequency is the
    // forward pass with the reach column scaled.
    ResponseCurveSettings rs;
    rs.horizon = H;
    rs.multipliers = Vector::LinSpaced(3, 0.5, 1.5);
    rs.channels = {2};
    rs.outcome_scale = 2.5;
    rs.threads = 1;
    const std::vector<Matrix> curves = response_curves(m, draws, rs);
    for (int i = 0; i < 2; ++i) {
      const Vector z = draws.row(i).transpose();
      Matrix zero = media;
      zero.col(2).setZero();
      const Vector mu0 = m.forward_on(z, zero, base, shocks).mu;
      for (int k = 0; k < 3; ++k) {
        Matrix scaled = media;
        scaled.col(2) *= rs.multipliers[k];
        const double inc = (m.forward_on(z, scaled, base, shocks).mu - mu0).sum() * 2.5;
        BOOST_TEST(curves[0](i, k) == inc, boost::test_tools::tolerance(1e-9));
      }
    }
    // The decomposition adds up to the fitted mean.
    const Decomposition dec = decompose(m, draws, 2.5, 2);
    Vector mu = Vector::Zero(T);
    for (int i = 0; i < 2; ++i) mu += m.forward(draws.row(i).transpose()).mu * 2.5 / 2.0;
    const Vector sum = dec.base + dec.trust_direct.rowwise().sum() + dec.amplification.rowwise().sum() +
                       dec.own.rowwise().sum();
    BOOST_TEST((sum - mu).cwiseAbs().maxCoeff() <= 1e-10);
  }
}

BOOST_AUTO_TEST_CASE(rf_map_recovers_the_hill_form) {
  // Simulate y = 1 + beta Adstock(r Hill(f; ec, s)) + noise (no trust), fit by MAP.
  const int T = 200;
  TrustModelData d = rf_data(T, false, false, 21, RfForm::hill);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.5, 6.0);
  for (int t = 0; t < T; ++t) d.frequency(t, 2) = d.media(t, 2) > 0.0 ? u(rng) : 0.0;
  TrustModel truth(d);
  Vector z = truth.initial_point();
  TrustModelParameters p = truth.constrain(z);
  const double alpha = 0.4, ec = 2.5, slope = 2.0, beta = 1.0;
  Vector x(T), a(T);
  truth.rf_input(2, ec, slope, d.media.col(2), x);
  const Vector w = weights(alpha, d.max_lag);
  std::normal_distribution<double> n(0.0, 0.02);
  Vector other(T);
  for (int t = 0; t < T; ++t) {
    a[t] = 0.0;
    for (int l = 0; l <= d.max_lag && l <= t; ++l) a[t] += w[l] * x[t - l];
  }
  for (int t = 0; t < T; ++t) d.y[t] = 1.0 + 0.2 * d.baseline(t, 1) + beta * a[t] + n(rng);
  d.conversion = {false, false, true, false};
  TrustModelPriors pr;
  pr.alpha_a = 1.0;
  pr.alpha_b = 1.0;
  TrustModel m(d, pr);
  const MapResult fit = fit_map(m, m.initial_point());
  const TrustModelParameters q = m.constrain(fit.mode);
  BOOST_TEST(q.alpha[2] == alpha, boost::test_tools::tolerance(0.1));
  BOOST_TEST(q.lam[2] == ec, boost::test_tools::tolerance(0.15));
  BOOST_TEST(q.slope[2] == slope, boost::test_tools::tolerance(0.25));
  BOOST_TEST(q.beta[0] == beta, boost::test_tools::tolerance(0.1));
  (void)p;
}

BOOST_AUTO_TEST_CASE(rf_bad_input_is_refused_clearly) {
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  TrustModelData d = rf_data(40, true, false, 2, RfForm::hill);
  d.rf[0] = RfForm::hill;  // press is a trust channel
  BOOST_TEST(message([&] { TrustModel m(d); }).find("can only convert") != std::string::npos);
  d = rf_data(40, false, false, 2, RfForm::exposure);
  d.frequency(1, 2) = 0.5;  // reach > 0 at row 1
  BOOST_TEST(message([&] { TrustModel m(d); }).find("row 1, column 2 is 0.5") != std::string::npos);
  d = rf_data(40, false, false, 2, RfForm::hill);
  d.frequency = Matrix::Zero(40, 3);
  BOOST_TEST(message([&] { TrustModel m(d); }).find("frequency must be 40 x 4") != std::string::npos);
  d = rf_data(40, false, false, 2, RfForm::hill);
  d.frequency(3, 2) = std::nan("");
  BOOST_TEST(message([&] { TrustModel m(d); }).find("frequency: row 3, column 2") != std::string::npos);
  // Through the spec: the channel is named.
  TrustModelSpec spec;
  spec.channels = {"pr", "tv"};
  spec.roles = {Role::trust, Role::both};
  const int T = 40;
  spec.media = Matrix::Ones(T, 2);
  spec.outcome = Vector::LinSpaced(T, 1.0, 2.0);
  spec.rf = {RfForm::none, RfForm::hill};
  spec.frequency = Matrix::Constant(T, 2, 2.0);
  BOOST_TEST(message([&] { (void)build(spec); }).find("channel 'tv' is a reach-and-frequency channel with a trust role") !=
             std::string::npos);
  spec.roles = {Role::trust, Role::conversion};
  const BuiltTrustModel b = build(spec);
  BOOST_TEST((b.model.rf_form(1) == RfForm::hill));
  BOOST_TEST((b.model.rf_form(0) == RfForm::none));
}

BOOST_AUTO_TEST_CASE(rf_frequency_curves_follow_their_definition) {
  const int T = 60, H = 10;
  for (const bool trust : {false, true}) {
    TrustModel m(rf_data(T, trust, false, 23, RfForm::hill));
    Matrix draws(2, m.dimension());
    draws.row(0) = jittered_start(m, 5, 0.3).transpose();
    draws.row(1) = jittered_start(m, 6, 0.3).transpose();
    // At k = 1 the frequency curve is the response curve at multiplier 1.
    RfFrequencySettings fs;
    fs.channel = 2;
    fs.values = (Vector(3) << 0.5, 1.0, 2.0).finished();
    fs.horizon = H;
    fs.outcome_scale = 1.5;
    const Matrix fc = rf_frequency_curves(m, draws, fs);
    ResponseCurveSettings rs;
    rs.horizon = H;
    rs.multipliers = Vector::Ones(1);
    rs.channels = {2};
    rs.outcome_scale = 1.5;
    const std::vector<Matrix> rc = response_curves(m, draws, rs);
    for (int i = 0; i < 2; ++i) BOOST_TEST(fc(i, 1) == rc[0](i, 0), boost::test_tools::tolerance(1e-10));
    if (trust) continue;
    // Without trust: beta sum_t sum_l w_l r[t-l] Hill(k f[t-l]), by a plain loop; and the
    // same impressions at a constant frequency f* = 2: reach r f / 2 at Hill(2).
    fs.fixed_impressions = true;
    fs.values = (Vector(1) << 2.0).finished();
    const Matrix fi = rf_frequency_curves(m, draws, fs);
    const auto& d = m.data();
    for (int i = 0; i < 2; ++i) {
      const TrustModelParameters p = m.constrain(draws.row(i).transpose());
      const Vector w = weights(p.alpha[2], d.max_lag);
      const double ec = p.lam[2], s = p.slope[2];
      auto hill = [&](double f) { return f > 0.0 ? std::pow(f, s) / (std::pow(f, s) + std::pow(ec, s)) : 0.0; };
      double scaled = 0.0, fixed = 0.0;
      for (int t = 0; t < T + H; ++t)
        for (int l = 0; l <= d.max_lag && l <= t; ++l) {
          if (t - l >= T) continue;
          const double r = d.media(t - l, 2), f = d.frequency(t - l, 2);
          scaled += w[l] * r * hill(2.0 * f);
          if (r > 0.0) fixed += w[l] * r * f / 2.0 * hill(2.0);
        }
      BOOST_TEST(fc(i, 2) == p.beta[0] * scaled * 1.5, boost::test_tools::tolerance(1e-10));
      BOOST_TEST(fi(i, 0) == p.beta[0] * fixed * 1.5, boost::test_tools::tolerance(1e-10));
    }
  }
}

BOOST_AUTO_TEST_CASE(exposure_form_on_an_nbd_reach_curve_is_concave_in_impressions) {
  // Along audience::ReachCurve's nbd curve (N people, shape k), impressions I reach R(I)
  // at frequency f = I / R(I); the exposure form's r g(f) is then the closed form
  // N (1 - (1 + I (1 - e^-lam) / (N k))^-k) (docs/mmm.md): the model and the audience
  // module use the same frequency distribution. Its marginal response per impression
  // falls with I while the frequency bought rises.
  const double N = 1e6, k = 0.8, lam = 0.7;
  trustmix::audience::ReachCurve curve;
  curve.kind = trustmix::audience::ReachKind::nbd;
  curve.population = N;
  curve.shape = k;
  const int T = 30;
  TrustModelData d = rf_data(T, false, false, 3, RfForm::exposure);
  d.rf_shape = k;
  Vector imps = Vector::LinSpaced(T, 1e5, 6e6);
  for (int t = 0; t < T; ++t) {
    d.media(t, 2) = curve.reach(imps[t]);
    d.frequency(t, 2) = imps[t] / d.media(t, 2);
  }
  TrustModel m(d);
  Vector x(T);
  m.rf_input(2, lam, 0.0, d.media.col(2), x);
  double prev_marginal = std::numeric_limits<double>::infinity();
  for (int t = 0; t < T; ++t) {
    const double closed = N * (1.0 - std::pow(1.0 + imps[t] * (1.0 - std::exp(-lam)) / (N * k), -k));
    BOOST_TEST(x[t] == closed, boost::test_tools::tolerance(1e-9));
    if (t > 0) {
      const double marginal = (x[t] - x[t - 1]) / (imps[t] - imps[t - 1]);
      BOOST_TEST(marginal < prev_marginal);
      BOOST_TEST(d.frequency(t, 2) > d.frequency(t - 1, 2));
      prev_marginal = marginal;
    }
  }
}

BOOST_AUTO_TEST_CASE(rf_draw_engine_constrains_to_the_bit) {
  // The analyses' vectorised constrain (DrawEngine) gives TrustModel::constrain's numbers
  // to the bit for RF channels too, and constrained_draws() the constrained layout with
  // the Hill slopes last, on every thread count.
  for (const RfForm form : {RfForm::hill, RfForm::exposure})
    for (const bool trust : {false, true}) {
      TrustModel m(rf_data(80, trust, trust, 31, form));
      Matrix z(3, m.dimension());
      for (int i = 0; i < 3; ++i) z.row(i) = jittered_start(m, 40 + static_cast<unsigned>(i), 0.4).transpose();
      trustmix::test::check_constrain_bits(m, z);
      if (form == RfForm::hill) {  // the Hill slopes are last in the constrained layout
        const Vector z0 = z.row(0).transpose();
        Vector row(m.constrained_dimension());
        m.constrain_into(z0, row);
        BOOST_TEST(row[row.size() - 1] == m.constrain(z0).slope[2]);
      }
    }
}

BOOST_AUTO_TEST_CASE(one_workspace_serves_rf_models_of_other_shapes) {
  // TrustTarget keeps one thread_local workspace per thread across fits: after a model with
  // fewer channels, or a shorter adstock window, and the same number of periods, the RF
  // buffers must be re-sized for the next model (they were keyed on T alone: out-of-bounds
  // columns, a heap corruption found by validate_worlds with RF channels). The log density
  // and gradient must be those of a fresh workspace, to the bit.
  const int T = 60;
  const TrustModelData full = rf_data(T, true, true, 61, RfForm::hill);
  TrustModelData fewer = full;  // channel 0 (trust only) dropped: 3 channels, RF at 1
  fewer.media = full.media.rightCols(3);
  fewer.frequency = full.frequency.rightCols(3);
  fewer.trust = {true, false, true};
  fewer.conversion = {false, true, true};
  fewer.rf = {RfForm::none, RfForm::hill, RfForm::none};
  TrustModelData shorter = full;
  shorter.max_lag = 2;
  for (const TrustModelData* first : {&fewer, &shorter}) {
    TrustModel a(*first), b(full);
    TrustModelWorkspace shared, fresh;
    Vector ga(a.dimension()), gb(b.dimension()), gf(b.dimension());
    (void)a.log_density(jittered_start(a, 3, 0.2), ga, shared);
    const Vector z = jittered_start(b, 4, 0.2);
    const double lb = b.log_density(z, gb, shared);
    const double lf = b.log_density(z, gf, fresh);
    BOOST_TEST(shared.X.cols() == 4);
    BOOST_TEST(shared.wl.size() == 7);
    BOOST_TEST(lb == lf);
    BOOST_TEST((gb.array() == gf.array()).all());
  }
}
