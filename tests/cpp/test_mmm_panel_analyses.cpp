// Geo-level results of the panel model (panel_analyses.hpp): the closed form of one pulse
// per geo without trust, geo figures adding up to the rolled-up ones and to the model's own
// counterfactual (PanelTrustModel::incremental), short + long = the exact path split, the
// response curve at the historical activity equal to the incremental outcome, bit-identical
// results for every thread count, interruption and bad input.
#include <boost/test/unit_test.hpp>

#include <trustmix/mmm/panel_analyses.hpp>

#include <atomic>
#include <cmath>
#include <random>
#include <string>

using namespace trustmix::mmm;

namespace {

/// A raw-units panel: G geos of different populations, T periods, a national trust
/// channel (press), a geo conversion channel (social) and a geo channel of both roles (tv).
BuiltPanelModel trust_panel(TrustLevel level, int T = 40, int G = 3) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.2, 1.8);
  PanelModelSpec s;
  for (int g = 0; g < G; ++g) s.geos.push_back("g" + std::to_string(g));
  s.channels = {"press", "social", "tv"};
  s.roles = {Role::trust, Role::conversion, Role::both};
  s.national = {true, false, false};
  Matrix press(T, 1), social(T, G), tv(T, G);
  s.population.resize(1, G);
  for (int g = 0; g < G; ++g) s.population(0, g) = 1000.0 * (1 + 2 * g);
  for (int t = 0; t < T; ++t) {
    press(t, 0) = t % 4 == 0 ? 300.0 * u(rng) : 0.0;
    for (int g = 0; g < G; ++g) {
      social(t, g) = s.population(0, g) * 0.1 * u(rng);
      tv(t, g) = t % 3 == 0 ? s.population(0, g) * 0.05 * u(rng) : 0.0;
    }
  }
  s.media = {press, social, tv};
  s.outcome.resize(T, G);
  for (int t = 0; t < T; ++t)
    for (int g = 0; g < G; ++g) s.outcome(t, g) = s.population(0, g) * (2.0 + 0.3 * u(rng));
  s.trust = level;
  s.max_lag = 4;
  s.seasonality = 1;
  return build_panel(std::move(s));
}

/// n draws around the model's starting point (deterministic).
Matrix draws_near_start(const PanelTrustModel& m, int n) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> e(0.0, 0.2);
  const Vector z0 = m.initial_point();
  Matrix d(n, m.dimension());
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < m.dimension(); ++j) d(i, j) = z0[j] + e(rng);
  return d;
}

Matrix spend_of(const BuiltPanelModel& b) {
  const int C = b.model.channels(), G = b.model.geos();
  Matrix sp(C, G);
  for (int c = 0; c < C; ++c)
    for (int g = 0; g < G; ++g) sp(c, g) = 2.0 * b.scales.activity[static_cast<std::size_t>(c)].col(g).sum();
  return sp;
}

/// ROI settings of b over the whole data: spend_of(b), the given horizon and value per
/// outcome, b's outcome scale and population.
PanelRoiSettings roi_settings(const BuiltPanelModel& b, int horizon, double value) {
  PanelRoiSettings rs;
  rs.horizon = horizon;
  rs.spend = spend_of(b);
  rs.value_per_outcome = value;
  rs.outcome_scale = b.scales.y_scale;
  rs.population = b.scales.population;
  return rs;
}

bool same_bits(const Matrix& a, const Matrix& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    const double x = a.data()[i], y = b.data()[i];
    if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_pulse_per_geo_without_trust_has_the_closed_form) {
  // Geo 0: per-capita activity a0 at t = 5; geo 1: a1 at t = 10. The channel's scale is
  // the mean non-zero per-capita activity m = (a0 + a1) / 2, so x_g = a_g / m, and
  //   inc_g = y_scale pop_g beta_g sum_{l=0}^{L} tanh(lam w_l x_g / 2),
  //   w_l = alpha^l / sum_{j=0}^{L} alpha^j;  long = 0 (no stock), short = inc.
  const int T = 30, L = 4;
  PanelModelSpec s;
  s.geos = {"a", "b"};
  s.channels = {"search"};
  s.roles = {Role::conversion};
  s.national = {false};
  s.population = Matrix(1, 2);
  s.population << 200.0, 50.0;
  const double a0 = 3.0, a1 = 1.0;  // per capita
  Matrix m = Matrix::Zero(T, 2);
  m(5, 0) = a0 * 200.0;
  m(10, 1) = a1 * 50.0;
  s.media = {m};
  s.outcome = Matrix::Constant(T, 2, 1.0);
  s.outcome.col(0) *= 200.0 * 4.0;
  s.outcome.col(1) *= 50.0 * 4.0;
  s.trust = TrustLevel::off;
  s.max_lag = L;
  s.effect_pooling = Pooling::none;
  s.intercept_pooling = s.trend_pooling = Pooling::complete;
  const BuiltPanelModel b = build_panel(s);
  PanelModelParameters p;
  p.alpha = Vector::Constant(1, 0.6);
  p.lam = Vector::Constant(1, 1.7);
  p.beta = Matrix(1, 2);
  p.beta << 0.8, 0.3;
  const Eigen::Index K = b.model.data().baseline[0].cols();
  p.b = Matrix::Constant(K, 2, 0.5);
  p.sigma = 0.2;
  const Vector z = b.model.unconstrain(p);
  PanelRoiSettings rs;
  rs.horizon = 8;
  rs.spend = Matrix(1, 2);
  rs.spend << 10.0, 5.0;
  rs.value_per_outcome = 2.5;
  rs.outcome_scale = b.scales.y_scale;
  rs.population = b.scales.population;
  const PanelRoiDraws r = panel_roi(b.model, z.transpose(), rs);
  const double ms = (a0 + a1) / 2.0;
  double wsum = 0.0;
  for (int l = 0; l <= L; ++l) wsum += std::pow(0.6, l);
  const double x[2] = {a0 / ms, a1 / ms}, pop[2] = {200.0, 50.0}, beta[2] = {0.8, 0.3}, sp[2] = {10.0, 5.0};
  double total = 0.0, total_spend = 0.0;
  BOOST_TEST(b.scales.y_scale == 4.0, boost::test_tools::tolerance(1e-12));
  for (int g = 0; g < 2; ++g) {
    double h = 0.0;
    for (int l = 0; l <= L; ++l) h += std::tanh(1.7 * std::pow(0.6, l) / wsum * x[g] / 2.0);
    const double inc = 4.0 * pop[g] * beta[g] * h;
    total += inc;
    total_spend += sp[g];
    const auto col = r.column(0, g);
    BOOST_TEST(r.incremental_total(0, col) == inc, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(r.incremental_short(0, col) == inc, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(r.incremental_long(0, col) == 0.0);
    BOOST_TEST(r.own(0, col) == inc, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(r.via_trust_direct(0, col) == 0.0);
    BOOST_TEST(r.roi_total(0, col) == (inc * 2.5 - sp[g]) / sp[g], boost::test_tools::tolerance(1e-12));
    BOOST_TEST(r.cost_per_incremental(0, col) == sp[g] / inc, boost::test_tools::tolerance(1e-12));
  }
  const auto tot = r.column(0, 2);
  BOOST_TEST(r.incremental_total(0, tot) == total, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.roi_total(0, tot) == (total * 2.5 - total_spend) / total_spend, boost::test_tools::tolerance(1e-12));
  // Without a value per outcome the ROIs are NaN, the cost per incremental is not.
  rs.value_per_outcome = std::nan("");
  const PanelRoiDraws rn = panel_roi(b.model, z.transpose(), rs);
  BOOST_TEST(std::isnan(rn.roi_total(0, tot)));
  BOOST_TEST(std::isnan(rn.marginal_roi(0, tot)));
  BOOST_TEST(rn.cost_per_incremental(0, tot) == total_spend / total, boost::test_tools::tolerance(1e-12));
  // The response curve at k: the same closed form with x_g k.
  PanelResponseSettings cs;
  cs.multipliers = Vector(3);
  cs.multipliers << 0.0, 0.5, 2.0;
  cs.horizon = 8;
  cs.outcome_scale = b.scales.y_scale;
  cs.population = b.scales.population;
  const Matrix curve = panel_response_curves(b.model, z.transpose(), cs);
  BOOST_REQUIRE_EQUAL(curve.cols(), 3 * 3);
  for (int k = 0; k < 3; ++k) {
    double sum = 0.0;
    for (int g = 0; g < 2; ++g) {
      double h = 0.0;
      for (int l = 0; l <= L; ++l) h += std::tanh(1.7 * std::pow(0.6, l) / wsum * x[g] * cs.multipliers[k] / 2.0);
      BOOST_TEST(curve(0, k * 3 + g) == 4.0 * pop[g] * beta[g] * h, boost::test_tools::tolerance(1e-12));
      sum += 4.0 * pop[g] * beta[g] * h;
    }
    BOOST_TEST(curve(0, k * 3 + 2) == sum, boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(geo_figures_add_up_to_the_rolled_up_and_the_models_counterfactual) {
  for (TrustLevel level : {TrustLevel::national, TrustLevel::geo, TrustLevel::off}) {
    const BuiltPanelModel b = trust_panel(level);
    const Matrix d = draws_near_start(b.model, 4);
    PanelRoiSettings rs;
    rs.horizon = 30;
    rs.window_begin = 8;
    rs.window_end = 27;
    rs.spend = spend_of(b);
    rs.value_per_outcome = 3.0;
    rs.outcome_scale = b.scales.y_scale;
    rs.population = b.scales.population;
    rs.threads = 1;
    const PanelRoiDraws r = panel_roi(b.model, d, rs);
    const int G = b.model.geos(), C = b.model.channels(), T = b.model.periods();
    for (int i = 0; i < d.rows(); ++i)
      for (int c = 0; c < C; ++c) {
        // the model's own counterfactual, weighted by population x y_scale
        const Matrix diff = b.model.incremental(d.row(i).transpose(), c, 8, 28, 30);
        double ref_total = 0.0, geo_sum = 0.0, long_sum = 0.0, scale = 0.0;
        for (int g = 0; g < G; ++g) {
          double ref = 0.0;
          for (Eigen::Index t = 0; t < diff.rows(); ++t)
            ref += diff(t, g) * b.scales.y_scale * b.scales.population(std::min<Eigen::Index>(t, T - 1), g);
          const auto col = r.column(c, g);
          scale = std::max(scale, std::abs(ref));
          BOOST_TEST(r.incremental_total(i, col) == ref, boost::test_tools::tolerance(1e-10));
          const double paths = r.via_trust_direct(i, col) + r.via_amplification(i, col) + r.own(i, col);
          BOOST_TEST(std::abs(paths - r.incremental_total(i, col)) <= 1e-10 * (1.0 + std::abs(ref)));
          BOOST_TEST(r.incremental_short(i, col) + r.incremental_long(i, col) == r.incremental_total(i, col));
          ref_total += ref;
          geo_sum += r.incremental_total(i, col);
          long_sum += r.incremental_long(i, col);
        }
        const auto tot = r.column(c, G);
        BOOST_TEST(std::abs(r.incremental_total(i, tot) - ref_total) <= 1e-10 * (1.0 + std::abs(ref_total)));
        BOOST_TEST(std::abs(r.incremental_total(i, tot) - geo_sum) <= 1e-10 * (1.0 + std::abs(geo_sum)));
        BOOST_TEST(std::abs(r.incremental_long(i, tot) - long_sum) <= 1e-10 * (1.0 + std::abs(long_sum)));
        BOOST_TEST(
            r.roi_total(i, tot) == (r.incremental_total(i, tot) * 3.0 - rs.spend.row(c).sum()) / rs.spend.row(c).sum(),
            boost::test_tools::tolerance(1e-12));
        // the press channel feeds the stock: a long-term effect past the lag window (trust on)
        if (c == 0 && level != TrustLevel::off) BOOST_TEST(r.incremental_long(i, tot) > 0.0);
        if (level == TrustLevel::off) BOOST_TEST(r.incremental_long(i, tot) == 0.0);
      }
    // response curves: k = 1 over the whole data is the ROI's total with W = the data; k = 0 is 0
    PanelResponseSettings cs;
    cs.multipliers = Vector(3);
    cs.multipliers << 0.0, 1.0, 1.5;
    cs.horizon = 30;
    cs.outcome_scale = b.scales.y_scale;
    cs.population = b.scales.population;
    cs.channels = {2, 0};
    const Matrix curve = panel_response_curves(b.model, d, cs);
    rs.window_begin = 0;
    rs.window_end = -1;
    const PanelRoiDraws whole = panel_roi(b.model, d, rs);
    for (int i = 0; i < d.rows(); ++i)
      for (int q = 0; q < 2; ++q)
        for (int g = 0; g <= G; ++g) {
          const int c = cs.channels[static_cast<std::size_t>(q)];
          BOOST_TEST(curve(i, (q * 3 + 0) * (G + 1) + g) == 0.0);
          const double inc = whole.incremental_total(i, whole.column(c, g));
          BOOST_TEST(std::abs(curve(i, (q * 3 + 1) * (G + 1) + g) - inc) <= 1e-10 * (1.0 + std::abs(inc)));
        }
  }
}

BOOST_AUTO_TEST_CASE(results_are_bit_identical_for_every_thread_count) {
  const BuiltPanelModel b = trust_panel(TrustLevel::national);
  const Matrix d = draws_near_start(b.model, 7);
  PanelRoiSettings rs;
  rs.horizon = 20;
  rs.spend = spend_of(b);
  rs.value_per_outcome = 1.5;
  rs.outcome_scale = b.scales.y_scale;
  rs.population = b.scales.population;
  PanelResponseSettings cs;
  cs.multipliers = Vector::LinSpaced(4, 0.0, 1.5);
  cs.horizon = 20;
  cs.outcome_scale = b.scales.y_scale;
  cs.population = b.scales.population;
  rs.threads = cs.threads = 1;
  const PanelRoiDraws r1 = panel_roi(b.model, d, rs);
  const Matrix c1 = panel_response_curves(b.model, d, cs);
  for (int threads : {2, 3, 8}) {
    rs.threads = cs.threads = threads;
    const PanelRoiDraws r = panel_roi(b.model, d, rs);
    BOOST_TEST(same_bits(r.incremental_short, r1.incremental_short));
    BOOST_TEST(same_bits(r.incremental_long, r1.incremental_long));
    BOOST_TEST(same_bits(r.roi_total, r1.roi_total));
    BOOST_TEST(same_bits(r.marginal_roi, r1.marginal_roi));
    BOOST_TEST(same_bits(panel_response_curves(b.model, d, cs), c1));
  }
}

BOOST_AUTO_TEST_CASE(marginal_roi_is_the_next_percent_of_activity) {
  // gain of scaling the channel by 1.01 in W, checked against the model's counterfactual
  // difference incremental(W) of the actual and of the scaled activity: up - actual.
  const BuiltPanelModel b = trust_panel(TrustLevel::geo);
  const Matrix d = draws_near_start(b.model, 1);
  const PanelRoiSettings rs = roi_settings(b, 10, 2.0);
  const PanelRoiDraws r = panel_roi(b.model, d, rs);
  PanelResponseSettings cs;
  cs.multipliers = Vector(2);
  cs.multipliers << 1.0, 1.01;
  cs.horizon = 10;
  cs.outcome_scale = b.scales.y_scale;
  cs.population = b.scales.population;
  const Matrix curve = panel_response_curves(b.model, d, cs);
  const int G = b.model.geos();
  for (int c = 0; c < b.model.channels(); ++c)
    for (int g = 0; g <= G; ++g) {
      const double gain = curve(0, (c * 2 + 1) * (G + 1) + g) - curve(0, (c * 2) * (G + 1) + g);
      const double sp = g < G ? rs.spend(c, g) : rs.spend.row(c).sum();
      BOOST_TEST(r.marginal_roi(0, r.column(c, g)) == (gain * 2.0 - 0.01 * sp) / (0.01 * sp),
                 boost::test_tools::tolerance(1e-7));
    }
}

BOOST_AUTO_TEST_CASE(bad_input_and_interruption) {
  const BuiltPanelModel b = trust_panel(TrustLevel::national);
  const Matrix d = draws_near_start(b.model, 2);
  PanelRoiSettings rs;
  rs.spend = spend_of(b);
  const auto throws_with = [](auto&& f, const std::string& text) {
    try {
      f();
    } catch (const std::exception& e) {
      BOOST_TEST_MESSAGE(e.what());
      return std::string(e.what()).find(text) != std::string::npos;
    }
    return false;
  };
  BOOST_TEST(throws_with([&] { (void)panel_roi(b.model, Matrix::Zero(2, 3), rs); }, "one column per unconstrained"));
  rs.spend = Matrix::Ones(2, 3);
  BOOST_TEST(throws_with([&] { (void)panel_roi(b.model, d, rs); }, "spend must be channels x geos (3 x 3)"));
  rs.spend = spend_of(b);
  rs.spend(1, 2) = -1.0;
  BOOST_TEST(throws_with([&] { (void)panel_roi(b.model, d, rs); }, "spend: channel 1, geo 2"));
  rs.spend = spend_of(b);
  rs.window_begin = 30;
  rs.window_end = 10;
  BOOST_TEST(throws_with([&] { (void)panel_roi(b.model, d, rs); }, "window must satisfy"));
  rs.window_begin = 0;
  rs.window_end = -1;
  rs.population = Matrix::Ones(3, 3);
  BOOST_TEST(throws_with([&] { (void)panel_roi(b.model, d, rs); }, "population must be periods x geos (40 x 3)"));
  rs.population = Matrix();
  rs.horizon = -1;
  BOOST_TEST(throws_with([&] { (void)panel_roi(b.model, d, rs); }, "horizon must be >= 0"));
  rs.horizon = 10;
  PanelResponseSettings cs;
  cs.multipliers = Vector::Constant(1, -1.0);
  BOOST_TEST(throws_with([&] { (void)panel_response_curves(b.model, d, cs); }, "multipliers[0]"));
  cs.multipliers = Vector::Constant(1, 1.0);
  cs.channels = {5};
  BOOST_TEST(throws_with([&] { (void)panel_response_curves(b.model, d, cs); }, "channel index 5"));
  std::atomic<bool> stop{true};
  rs.stop = &stop;
  BOOST_CHECK_THROW((void)panel_roi(b.model, d, rs), trustmix::Interrupted);
}

BOOST_AUTO_TEST_CASE(an_uncertain_share_moves_a_geos_spend_with_its_activity) {
  // press apportioned by population with share_sd: each draw's geo spend is the given spend
  // times the draw's multiplier m[c, g]; the rolled-up spend is the national spend exactly
  // (a constant share: sum_g sbar_g m_g = 1)
  const BuiltPanelModel base = trust_panel(TrustLevel::geo);
  PanelModelSpec s = base.spec;
  s.share_sd = Vector(3);
  s.share_sd << 0.3, 0.0, 0.0;
  const BuiltPanelModel b = build_panel(std::move(s));
  BOOST_TEST_REQUIRE(b.model.share_channels().size() == 1U);
  const Matrix d = draws_near_start(b.model, 3);
  const PanelRoiSettings rs = roi_settings(b, 30, 3.0);
  const PanelRoiDraws r = panel_roi(b.model, d, rs);
  const int G = b.model.geos();
  for (int i = 0; i < d.rows(); ++i) {
    const Matrix m = b.model.constrain(d.row(i).transpose()).share_multiplier;
    BOOST_TEST((m.row(0).array() - 1.0).abs().maxCoeff() > 0.01);
    double spend_sum = 0.0;
    for (int c = 0; c < b.model.channels(); ++c)
      for (int g = 0; g < G; ++g) {
        const auto col = r.column(c, g);
        const double sp = rs.spend(c, g) * m(c, g);
        if (c == 0) spend_sum += sp;
        BOOST_TEST(r.roi_total(i, col) == (r.incremental_total(i, col) * 3.0 - sp) / sp,
                   boost::test_tools::tolerance(1e-12));
      }
    const auto tot = r.column(0, G);
    BOOST_TEST(spend_sum == rs.spend.row(0).sum(), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(r.roi_total(i, tot) == (r.incremental_total(i, tot) * 3.0 - spend_sum) / spend_sum,
               boost::test_tools::tolerance(1e-12));
  }
}
