// The panel planner (plan/panel.hpp): the exact gradient against finite differences for
// every trust level (national, national+geo, geo, off), with complete and with per-geo
// pooling of adstock, saturation, half-life and amplification, the forward model equal to
// PanelTrustModel::forward on the extended data for the same cases, two identical geos splitting a budget equally, a geo without effect getting
// nothing, geo and group budgets honoured, scale invariance, identical results for every
// thread count, bad input.
#include <boost/test/unit_test.hpp>

#include <trustmix/plan/panel.hpp>

#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace trustmix::mmm;
namespace tp = trustmix::plan;

namespace {

BuiltPanelModel panel(TrustLevel level, int G = 3, bool identical = false, Pooling effects = Pooling::partial,
                      Pooling saturation = Pooling::complete, Pooling dynamics = Pooling::complete,
                      TrustForm form = TrustForm::linear) {
  const int T = 40;
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.2, 1.8);
  PanelModelSpec s;
  for (int g = 0; g < G; ++g) s.geos.push_back("g" + std::to_string(g));
  s.channels = {"press", "social", "tv"};
  s.roles = {Role::trust, Role::conversion, Role::both};
  s.national = {true, false, false};
  Matrix press(T, 1), social(T, G), tv(T, G);
  s.population.resize(1, G);
  for (int g = 0; g < G; ++g) s.population(0, g) = identical ? 1000.0 : 1000.0 * (1 + 2 * g);
  for (int t = 0; t < T; ++t) {
    press(t, 0) = t % 4 == 0 ? 300.0 * u(rng) : 0.0;
    const double a = u(rng), b = u(rng);
    for (int g = 0; g < G; ++g) {
      social(t, g) = s.population(0, g) * 0.1 * (identical ? a : u(rng));
      tv(t, g) = t % 3 == 0 ? s.population(0, g) * 0.05 * (identical ? b : u(rng)) : 0.0;
    }
  }
  s.media = {press, social, tv};
  s.outcome.resize(T, G);
  for (int t = 0; t < T; ++t) {
    const double a = u(rng);
    for (int g = 0; g < G; ++g) s.outcome(t, g) = s.population(0, g) * (2.0 + 0.3 * (identical ? a : u(rng)));
  }
  s.trust = level;
  s.trust_form = level == TrustLevel::off ? TrustForm::linear : form;
  s.max_lag = 4;
  s.seasonality = 1;
  s.effect_pooling = effects;
  s.saturation_pooling = saturation;
  // adstock, trust half-life (geo stocks) and amplification per geo too ("dynamics")
  s.adstock_pooling = dynamics;
  if (level != TrustLevel::off) s.amplification_pooling = dynamics;
  if (level == TrustLevel::geo) s.half_life_pooling = dynamics;
  if (identical) s.intercept_pooling = s.trend_pooling = Pooling::complete;
  return build_panel(std::move(s));
}

Matrix near_start(const PanelTrustModel& m, int n, double sd = 0.2) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> e(0.0, sd);
  const Vector z0 = m.initial_point();
  Matrix d(n, m.dimension());
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < m.dimension(); ++j) d(i, j) = z0[j] + (n == 1 ? 0.0 : e(rng));
  return d;
}

tp::PanelPlanSettings settings(const BuiltPanelModel& b, int H = 6, int tail = 20) {
  tp::PanelPlanSettings s;
  s.horizon = H;
  s.tail = tail;
  s.channels = {1, 2};  // social, tv: bought per geo
  const int G = b.model.geos();
  s.units_per_spend.resize(2, G);
  for (int k = 0; k < 2; ++k)
    for (int g = 0; g < G; ++g)
      s.units_per_spend(k, g) = 1.0 /
                                (b.scales.population(0, g) * b.scales.media_scale[s.channels[static_cast<std::size_t>(k)]]);
  s.outcome_scale = b.scales.y_scale;
  s.population = b.scales.population;
  s.threads = 1;
  return s;
}

Matrix random_schedule(Eigen::Index H, Eigen::Index J, double scale, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.1, 1.0);
  Matrix s(H, J);
  for (Eigen::Index i = 0; i < s.size(); ++i) s.data()[i] = scale * u(rng);
  return s;
}

Vector geo_totals(const tp::PanelPlanModel& m, const Matrix& s) {
  Vector out = Vector::Zero(m.geos());
  for (int k = 0; k < static_cast<int>(m.settings().channels.size()); ++k)
    for (int g = 0; g < m.geos(); ++g) out[g] += s.col(m.column(k, g)).sum();
  return out;
}

// Every trust level, each with complete pooling and with adstock, saturation, half-life
// (geo stocks) and amplification pooled per geo (partial); the national stocks in the
// linear and in the bounded form.
struct PlannerCase {
  TrustLevel level;
  Pooling pool;
  TrustForm form;
};
std::vector<PlannerCase> planner_cases() {
  std::vector<PlannerCase> out;
  for (TrustLevel level : {TrustLevel::national, TrustLevel::national_geo, TrustLevel::geo, TrustLevel::off})
    for (Pooling pool : {Pooling::complete, Pooling::partial})
      for (TrustForm form : {TrustForm::linear, TrustForm::bounded})
        if (form == TrustForm::linear || level == TrustLevel::national || level == TrustLevel::national_geo)
          out.push_back({level, pool, form});
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(gradient_matches_finite_differences_for_every_trust_level) {
  for (const auto& [level, pool, form] : planner_cases()) {
    const BuiltPanelModel b = panel(level, 3, false, Pooling::partial, pool, pool, form);
    tp::PanelPlanSettings st = settings(b);
    if (level == TrustLevel::national || level == TrustLevel::national_geo)
      st.channels = {0, 2};  // press planned per geo too: through the national stock
    st.units_per_spend = Matrix::Constant(2, b.model.geos(), 0.004);
    const tp::PanelPlanModel m(b.model, near_start(b.model, 3), st);
    const Matrix s = random_schedule(m.periods(), m.channels(), 100.0, 2);
    Vector y;
    Matrix grads;
    m.evaluate(s, y, &grads);
    for (Eigen::Index i = 0; i < m.draws(); ++i)
      for (Eigen::Index j = 0; j < s.size(); ++j) {
        const double h = 1e-4 * std::max(1.0, std::abs(s.data()[j]));
        Matrix sp = s, sm = s;
        sp.data()[j] += h;
        sm.data()[j] -= h;
        const double fd = (m.evaluate_draw(i, sp, nullptr) - m.evaluate_draw(i, sm, nullptr)) / (2 * h);
        BOOST_TEST(std::abs(fd - grads(j, i)) <= 1e-6 * (1e-3 + std::abs(fd)) + 1e-9 * std::abs(y[i]),
                   "level " << to_string(level) << " " << to_string(form) << ", curvature pooling " << to_string(pool)
                            << " draw " << i << " cell " << j << ": analytic " << grads(j, i) << " numeric " << fd);
      }
  }
}

BOOST_AUTO_TEST_CASE(forward_equals_the_models_forward_on_the_extended_data) {
  for (const auto& [level, pool, form] : planner_cases()) {
    const BuiltPanelModel b = panel(level, 3, false, Pooling::partial, pool, pool, form);
    tp::PanelPlanSettings st = settings(b, 5, 12);
    st.other_activity = Matrix::Constant(b.model.channels(), b.model.geos(), 0.3);
    const Matrix d = near_start(b.model, 2);
    const tp::PanelPlanModel m(b.model, d, st);
    const Matrix s = random_schedule(5, m.channels(), 50.0, 9);
    Vector y;
    m.evaluate(s, y, nullptr);
    const Matrix by_geo = m.geo_outcomes(s);
    const int T = b.model.periods(), G = b.model.geos(), Tn = T + 5 + 12;
    std::vector<Matrix> X(3, Matrix::Zero(Tn, G));
    for (int c = 0; c < 3; ++c) {
      X[static_cast<std::size_t>(c)].topRows(T) = b.model.data().media[static_cast<std::size_t>(c)];
      X[static_cast<std::size_t>(c)].middleRows(T, 5).setConstant(0.3);
    }
    for (int k = 0; k < 2; ++k)
      for (int g = 0; g < G; ++g)
        for (int t = 0; t < 5; ++t)
          X[static_cast<std::size_t>(st.channels[static_cast<std::size_t>(k)])](T + t, g) = st.units_per_spend(k, g) *
                                                                                            s(t, m.column(k, g));
    const std::vector<Matrix> B(static_cast<std::size_t>(G), Matrix::Zero(Tn, b.model.data().baseline[0].cols()));
    for (int i = 0; i < 2; ++i) {
      const PanelForward f = b.model.forward(d.row(i).transpose(), &X, &B);
      double total = 0.0;
      for (int g = 0; g < G; ++g) {
        const double ref = f.mu.col(g).tail(5 + 12).sum() * b.scales.y_scale * b.scales.population(T - 1, g);
        BOOST_TEST(std::abs(by_geo(i, g) - ref) <= 1e-10 * (1.0 + std::abs(ref)),
                   to_string(level) << " " << to_string(form) << ", " << to_string(pool) << ", draw " << i << ", geo " << g
                                    << ": " << by_geo(i, g) << " vs the model's " << ref);
        total += ref;
      }
      BOOST_TEST(std::abs(y[i] - total) <= 1e-10 * (1.0 + std::abs(total)));
    }
  }
}

BOOST_AUTO_TEST_CASE(two_identical_geos_split_the_budget_equally) {
  const BuiltPanelModel b = panel(TrustLevel::off, 2, true, Pooling::complete);
  const tp::PanelPlanModel m(b.model, near_start(b.model, 1), settings(b, 4, 8));
  tp::PanelPlanProblem pb;
  pb.criterion.goal = tp::Goal::outcome;
  pb.budget = 4000.0;
  const tp::PlanResult r = tp::optimize_panel(m, pb);
  BOOST_TEST(r.converged);
  const Vector tot = geo_totals(m, r.schedule);
  BOOST_TEST(tot.sum() == 4000.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(tot[0] == 2000.0, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(tot[1] == 2000.0, boost::test_tools::tolerance(1e-6));
  // the same channel in both geos gets the same spend
  for (int k = 0; k < 2; ++k)
    BOOST_TEST(r.schedule.col(m.column(k, 0)).sum() == r.schedule.col(m.column(k, 1)).sum(),
               boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(a_geo_without_effect_gets_nothing_and_budgets_are_honoured) {
  const BuiltPanelModel b = panel(TrustLevel::off, 3, false, Pooling::none);
  Vector z = b.model.initial_point();
  PanelModelParameters p = b.model.constrain(z);
  p.beta.col(1).setConstant(1e-12);  // geo 1: (practically) no effect of any channel
  z = b.model.unconstrain(p);
  const tp::PanelPlanModel m(b.model, z.transpose(), settings(b, 4, 8));
  tp::PanelPlanProblem pb;
  pb.criterion.goal = tp::Goal::outcome;
  pb.budget = 3000.0;
  const tp::PlanResult r = tp::optimize_panel(m, pb);
  const Vector tot = geo_totals(m, r.schedule);
  BOOST_TEST_MESSAGE("geo totals without budgets: " << tot.transpose());
  BOOST_TEST(tot[1] <= 1e-6 * 3000.0);
  BOOST_TEST(tot.sum() == 3000.0, boost::test_tools::tolerance(1e-9));
  // a geo budget forces geo 1's spend; a group cap on geos {0, 2}
  pb.budgets = {{"g1", {1}, 600.0, 600.0}, {"east", {0, 2}, 0.0, 2400.0}};
  const tp::PlanResult rb = tp::optimize_panel(m, pb);
  const Vector tb = geo_totals(m, rb.schedule);
  BOOST_TEST(tb[1] == 600.0, boost::test_tools::tolerance(1e-7));
  BOOST_TEST(tb[0] + tb[2] == 2400.0, boost::test_tools::tolerance(1e-7));
  BOOST_TEST(rb.objective < r.objective);  // a binding budget costs outcome
  // a group cap below what the free optimum spends there binds at the cap
  pb.budgets = {{"west", {0}, 0.0, 0.5 * tot[0]}};
  const tp::PlanResult rc = tp::optimize_panel(m, pb);
  BOOST_TEST(geo_totals(m, rc.schedule)[0] == 0.5 * tot[0], boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(the_plan_is_scale_invariant_and_identical_for_every_thread_count) {
  const BuiltPanelModel b = panel(TrustLevel::national);
  const Matrix d = near_start(b.model, 4);
  tp::PanelPlanSettings st = settings(b, 4, 10);
  const tp::PanelPlanModel m(b.model, d, st);
  tp::PanelPlanProblem pb;
  pb.criterion.goal = tp::Goal::value;
  pb.criterion.value_per_outcome = 2.0;
  pb.budget = 5000.0;
  pb.budgets = {{"g0", {0}, 1000.0, 1000.0}};
  tp::SolverSettings ss;
  ss.starts = 1;
  const tp::PlanResult r = tp::optimize_panel(m, pb, ss);
  // spend in millionths: units per spend x 1e6 smaller... i.e. currency x 1e6
  tp::PanelPlanSettings big = st;
  big.units_per_spend /= 1e6;
  const tp::PanelPlanModel mb(b.model, d, big);
  tp::PanelPlanProblem pbb = pb;
  pbb.budget *= 1e6;
  pbb.budgets[0].lower *= 1e6;
  pbb.budgets[0].upper *= 1e6;
  const tp::PlanResult rb = tp::optimize_panel(mb, pbb, ss);
  BOOST_TEST((rb.schedule / 1e6 - r.schedule).cwiseAbs().maxCoeff() <= 1e-5 * r.schedule.cwiseAbs().maxCoeff());
  BOOST_TEST(rb.objective == r.objective, boost::test_tools::tolerance(1e-8));
  // threads
  Vector y1, y3;
  Matrix g1, g3;
  m.evaluate(r.schedule, y1, &g1);
  st.threads = 3;
  const tp::PanelPlanModel m3(b.model, d, st);
  m3.evaluate(r.schedule, y3, &g3);
  BOOST_TEST((y1.array() == y3.array()).all());
  BOOST_TEST((g1.array() == g3.array()).all());
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_with_a_clear_message) {
  const BuiltPanelModel b = panel(TrustLevel::national);
  const Matrix d = near_start(b.model, 1);
  const auto throws_with = [](auto&& f, const std::string& text) {
    try {
      f();
    } catch (const std::exception& e) {
      BOOST_TEST_MESSAGE(e.what());
      return std::string(e.what()).find(text) != std::string::npos;
    }
    return false;
  };
  tp::PanelPlanSettings st = settings(b);
  st.units_per_spend(1, 2) = 0.0;
  BOOST_TEST(throws_with([&] { tp::PanelPlanModel m(b.model, d, st); }, "units_per_spend: planned channel 1, geo 2"));
  st = settings(b);
  st.channels = {1, 1};
  BOOST_TEST(throws_with([&] { tp::PanelPlanModel m(b.model, d, st); }, "planned twice"));
  st = settings(b);
  const tp::PanelPlanModel m(b.model, d, st);
  Vector y;
  BOOST_TEST(throws_with([&] { m.evaluate(Matrix::Zero(2, 2), y, nullptr); }, "schedule must be 6 x 6"));
  tp::PanelPlanProblem pb;
  BOOST_TEST(throws_with([&] { (void)tp::panel_constraints(m, pb); }, "budget must be a finite number > 0"));
  pb.budget = 100.0;
  pb.budgets = {{"north", {0, 7}, 0.0, 10.0}};
  BOOST_TEST(throws_with([&] { (void)tp::panel_constraints(m, pb); }, "budget 'north': geo index 7"));
  pb.budgets = {{"north", {0}, 200.0, 300.0}};
  BOOST_TEST(throws_with([&] { (void)tp::panel_constraints(m, pb); }, "exceeds the total budget"));
  // budgets inconsistent with the total or with each other (3 geos, total 100)
  pb.budgets = {{"g0", {0}, 60.0, 60.0}, {"g1", {1}, 50.0, 80.0}};
  BOOST_TEST(throws_with([&] { (void)tp::panel_constraints(m, pb); }, "budgets 'g0' and 'g1' are inconsistent"));
  pb.budgets = {{"g0", {0}, 0.0, 20.0}, {"rest", {1, 2}, 0.0, 70.0}};
  BOOST_TEST(throws_with([&] { (void)tp::panel_constraints(m, pb); }, "upper bounds add up to 90"));
  pb.budgets = {{"g0", {0}, 40.0, 40.0}, {"north", {0, 1}, 0.0, 30.0}};
  BOOST_TEST(throws_with([&] { (void)tp::panel_constraints(m, pb); }, "'g0' lies inside 'north'"));
  pb.budgets = {{"g0", {0}, 20.0, 20.0}, {"g1", {1}, 25.0, 25.0}, {"north", {0, 1}, 0.0, 40.0}};
  BOOST_TEST(throws_with([&] { (void)tp::panel_constraints(m, pb); }, "budget 'north' is inconsistent with the geo"));
  pb.budgets = {{"g0", {0}, 30.0, 30.0}, {"g1", {1}, 30.0, 30.0}, {"g2", {2}, 30.0, 30.0}};
  BOOST_TEST(throws_with([&] { (void)tp::panel_constraints(m, pb); }, "upper bounds add up to 90"));
  pb.budgets = {{"all", {0, 1, 2}, 0.0, 80.0}};
  BOOST_TEST(throws_with([&] { (void)tp::panel_constraints(m, pb); }, "budget 'all' is inconsistent"));
  pb.budgets = {{"g0", {0}, 20.0, 20.0}, {"north", {0, 1}, 30.0, 60.0}, {"g2", {2}, 40.0, 40.0}};
  BOOST_TEST(tp::panel_constraints(m, pb).groups.size() == 3U);  // consistent: accepted
}
