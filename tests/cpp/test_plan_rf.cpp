// Reach-and-frequency channels in the planner (trustmix/plan/rf.hpp, rf_constraints.hpp):
// the chain spend -> impressions -> reach and frequency against the audience module's
// reach curve, its derivatives against finite differences, the plan's outcome against
// the model's own forward pass, the exact gradient of every goal and risk measure for
// both RF forms with and without a capped_rate cap, a single-RF-channel optimum against a
// grid search, a 3+ reach target binding at its bound, frequency caps, and bad input.
// Also the optimiser's distinct starts (issue 15 review).
#include <boost/test/unit_test.hpp>

#include <boost/math/distributions/negative_binomial.hpp>

#include <trustmix/audience/reach.hpp>
#include <trustmix/mmm/trust_model.hpp>
#include <trustmix/plan/plan.hpp>

#include <cmath>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>

#include "check.hpp"
#include "mmm_data.hpp"

using namespace trustmix;
using plan::Matrix;
using plan::Vector;

namespace {

audience::ReachCurve nbd(double people, double shape) {
  audience::ReachCurve c;
  c.kind = audience::ReachKind::nbd;
  c.population = people;
  c.reachable = 1.0;
  c.shape = shape;
  return c;
}

plan::RfChannel channel2(double shape = 1.3, int cap = 0) {
  plan::RfChannel ch;
  ch.channel = 2;
  ch.curve = nbd(50.0, shape);
  ch.impressions_per_spend = 10.0;
  ch.people_per_unit = 20.0;
  ch.cap = cap;
  return ch;
}

/// The model's test data with channel 2 (conversion only) an RF channel whose reach and
/// frequency are what the RF chain makes of the spend 2 x (the data's media): the plan
/// can then reproduce the fit's own prediction.
mmm::TrustModelData rf_plan_data(int T, bool trust, unsigned seed, mmm::RfForm form, const plan::RfChannel& ch,
                                 Vector& spend2) {
  mmm::TrustModelData d = trustmix::test::make_data(T, trust, trust, seed, T / 3);
  d.rf.assign(4, mmm::RfForm::none);
  d.rf[2] = form;
  d.frequency = Matrix::Zero(T, 4);
  d.rf_shape = 1.7;
  spend2 = 2.0 * d.media.col(2);
  for (int t = 0; t < T; ++t) {
    const plan::RfPoint p = plan::rf_point(ch, spend2[t]);
    d.media(t, 2) = p.r;
    d.frequency(t, 2) = spend2[t] > 0.0 ? p.f : 0.0;
  }
  return d;
}

Matrix make_draws(const mmm::TrustModel& m, int n, unsigned seed, double spread = 0.3) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> e(0.0, spread);
  const Vector z0 = m.initial_point();
  Matrix z(n, m.dimension());
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < m.dimension(); ++k) z(i, k) = z0[k] + e(rng);
  return z;
}

Matrix fd_gradient(const std::function<double(const Matrix&)>& f, const Matrix& s, double h = 1e-6) {
  Matrix g(s.rows(), s.cols());
  for (Eigen::Index c = 0; c < s.cols(); ++c)
    for (Eigen::Index t = 0; t < s.rows(); ++t) {
      const double step = h * std::max(1.0, std::abs(s(t, c)));
      Matrix a = s, b = s;
      a(t, c) += step;
      b(t, c) -= step;
      g(t, c) = (f(a) - f(b)) / (2.0 * step);
    }
  return g;
}

double rel_error(const Matrix& a, const Matrix& b) {
  return (a - b).cwiseAbs().maxCoeff() / std::max(b.cwiseAbs().maxCoeff(), 1e-300);
}

plan::ForwardSettings settings(int H, const plan::RfChannel& ch) {
  plan::ForwardSettings s;
  s.horizon = H;
  s.units_per_spend = Vector::Ones(4);
  s.threads = 1;
  s.rf = {ch};
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_chain_is_the_reach_curves_and_its_derivatives_exact) {
  for (const int cap : {0, 1, 4}) {
    const plan::RfChannel ch = channel2(1.3, cap);
    for (const double s : {1e-4, 0.3, 2.0, 9.0}) {
      if (cap > 0 && 10.0 * s >= cap * 50.0) continue;
      const plan::RfPoint p = plan::rf_point(ch, s);
      const double I = 10.0 * s;
      BOOST_TEST_CONTEXT("cap " << cap << " spend " << s) {
        if (s >= 0.3) {  // audience's capped_rate cannot bracket tiny impressions; its reach loses digits there
          const double R = cap > 0 ? ch.curve.reach_capped(I, cap) : ch.curve.reach(I);
          BOOST_CHECK_CLOSE(p.r, R / 20.0, 1e-9);
          BOOST_CHECK_CLOSE(p.f, I / R, 1e-9);
        }
        const double h = (s < 0.01 ? 1e-3 : 1e-6) * s;
        const plan::RfPoint a = plan::rf_point(ch, s + h), b = plan::rf_point(ch, s - h);
        BOOST_CHECK_CLOSE(p.dr, (a.r - b.r) / (2 * h), 1e-5);
        if (cap != 1) BOOST_CHECK_CLOSE(p.df, (a.f - b.f) / (2 * h), 1e-4);
        if (cap == 1) BOOST_CHECK_SMALL(p.f - 1.0, 1e-9);  // a cap of 1: everyone reached sees one impression
      }
    }
  }
  // the capped mean's derivative against differences of audience's capped_mean
  const audience::ReachCurve c = nbd(50.0, 0.7);
  for (const double m : {0.1, 1.0, 5.0}) {
    double d = 0.0;
    const double e = plan::detail::capped_mean_d(0.7, m, 5, d);
    BOOST_CHECK_CLOSE(e, c.capped_mean(m, 5), 1e-10);
    BOOST_CHECK_CLOSE(d, (c.capped_mean(m + 1e-6, 5) - c.capped_mean(m - 1e-6, 5)) / 2e-6, 1e-5);
  }
}

BOOST_AUTO_TEST_CASE(the_rf_responses_match_their_definitions) {
  // exposure: g = E[1 - exp(-lam K) | K >= 1] summed over Boost's negative binomial pmf
  const double k = 1.7, lam = 0.6;
  for (const double f : {1.0, 1.4, 3.0}) {
    double dm = 0.0;
    const double m = plan::exposure_mean(f, k, dm);
    if (m > 0) BOOST_CHECK_CLOSE(m / (1.0 - std::pow(1.0 + m / k, -k)), f, 1e-10);
    double dg = 0.0;
    const double g = plan::rf_response(mmm::RfForm::exposure, m, lam, 0.0, k, dg);
    double ref = 1.0 - std::exp(-lam);
    if (m > 0) {
      const boost::math::negative_binomial_distribution<double> nb(k, k / (k + m));
      double s = 0.0;
      for (int j = 1; j < 400; ++j) s += boost::math::pdf(nb, j) * (1.0 - std::exp(-lam * j));
      ref = s / (1.0 - boost::math::pdf(nb, 0));
    }
    BOOST_CHECK_CLOSE(g, ref, 1e-8);
    if (m > 1e-6) {
      double d1 = 0, d2 = 0;
      const double gp = plan::rf_response(mmm::RfForm::exposure, m + 1e-6, lam, 0.0, k, d1);
      const double gm = plan::rf_response(mmm::RfForm::exposure, m - 1e-6, lam, 0.0, k, d2);
      BOOST_CHECK_CLOSE(dg, (gp - gm) / 2e-6, 1e-5);
      double mp = 0, mm = 0, dd = 0;
      mp = plan::exposure_mean(f + 1e-6, k, dd);
      mm = plan::exposure_mean(f - 1e-6, k, dd);
      BOOST_CHECK_CLOSE(dm, (mp - mm) / 2e-6, 1e-5);
    }
  }
  // hill: f^s / (f^s + ec^s)
  double dg = 0.0;
  const double g = plan::rf_response(mmm::RfForm::hill, 2.5, 1.8, 2.2, 0.0, dg);
  BOOST_CHECK_CLOSE(g, std::pow(2.5, 2.2) / (std::pow(2.5, 2.2) + std::pow(1.8, 2.2)), 1e-12);
  double d1 = 0;
  const double gp = plan::rf_response(mmm::RfForm::hill, 2.5 + 1e-6, 1.8, 2.2, 0.0, d1);
  const double gm = plan::rf_response(mmm::RfForm::hill, 2.5 - 1e-6, 1.8, 2.2, 0.0, d1);
  BOOST_CHECK_CLOSE(dg, (gp - gm) / 2e-6, 1e-6);
}

BOOST_AUTO_TEST_CASE(the_plan_reproduces_the_fits_prediction_with_an_rf_channel) {
  // Data whose reach and frequency are the chain's image of a spend series: planning the
  // last H periods at that spend gives the model's own mu (history = the first T - H).
  for (const auto form : {mmm::RfForm::hill, mmm::RfForm::exposure}) {
    BOOST_TEST_CONTEXT(mmm::to_string(form)) {
      const int T = 60, H = 15;
      const plan::RfChannel ch = channel2();
      Vector spend2;
      const mmm::TrustModel m(rf_plan_data(T, true, 1, form, ch, spend2));
      const Matrix draws = make_draws(m, 3, 2);
      const auto& d = m.data();
      plan::ForwardSettings s = settings(H, ch);
      s.units_per_spend = Vector::Constant(4, 0.5);
      s.tail = 0;
      s.future_baseline = d.baseline.bottomRows(H);
      const plan::TrustPlanModel pm(m, draws, d.media.topRows(T - H), d.shocks.topRows(T - H), s);
      Matrix spend = 2.0 * d.media.bottomRows(H);
      spend.col(2) = spend2.tail(H);
      const plan::PlanPaths p = pm.paths(spend);
      for (int i = 0; i < 3; ++i) {
        const mmm::TrustModelForward f = m.forward(draws.row(i).transpose());
        for (int t = 0; t < H; ++t)
          BOOST_CHECK_SMALL(p.outcome(i, t) - f.mu[T - H + t], 1e-9 * std::abs(f.mu[T - H + t]) + 1e-12);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(rf_gradient_of_every_goal_and_risk_matches_finite_differences) {
  for (const auto form : {mmm::RfForm::hill, mmm::RfForm::exposure})
    for (const int cap : {0, 4}) {
      const plan::RfChannel ch = channel2(1.3, cap);
      Vector spend2;
      const mmm::TrustModel m(rf_plan_data(50, true, 6, form, ch, spend2));
      const Matrix draws = make_draws(m, 7, 7);
      const auto& d = m.data();
      plan::ForwardSettings s = settings(10, ch);
      s.discount = 0.99;
      s.outcome_scale = 2.0;
      const plan::TrustPlanModel pm(m, draws, d.media, d.shocks, s);
      std::mt19937_64 rng(11);
      std::uniform_real_distribution<double> u(0.05, 2.0);
      Matrix spend(10, 4);
      for (int c = 0; c < 4; ++c)
        for (int t = 0; t < 10; ++t) spend(t, c) = u(rng);
      Vector ref;
      pm.evaluate(0.8 * spend, ref, nullptr);
      for (const auto goal : {plan::Goal::outcome, plan::Goal::value, plan::Goal::net_value})
        for (const auto measure :
             {plan::Measure::mean, plan::Measure::quantile, plan::Measure::cvar, plan::Measure::prob_beat}) {
          plan::Criterion k;
          k.goal = goal;
          k.measure = measure;
          k.value_per_outcome = 30.0;
          k.level = 0.3;
          k.reference = plan::goal_values(k, ref, 0.8 * spend.sum());
          k.tau = 0.05 * k.reference.cwiseAbs().mean();
          Matrix g;
          (void)plan::evaluate_criterion(pm, k, spend, &g);
          const Matrix fd = fd_gradient([&](const Matrix& x) { return plan::evaluate_criterion(pm, k, x); }, spend);
          BOOST_TEST_CONTEXT(mmm::to_string(form)
                             << " cap " << cap << " " << plan::to_string(goal) << " " << plan::to_string(measure)) {
            BOOST_CHECK_LT(rel_error(g, fd), 1e-6);
            BOOST_CHECK_GT(g.col(2).cwiseAbs().maxCoeff(), 0.0);  // the RF channel moves the outcome
          }
        }
    }
}

namespace {
/// No trust, channels 0, 1, 3 left out (fixed at 0), a single period: the outcome is
/// beta_2 x (w_0 r g(f)) + beta_j tanh(...) of the other channels; with the budget on the
/// RF channel and channel 3 the optimum is a one-dimensional split.
struct OneRf {
  plan::RfChannel ch = channel2(1.3, 0);
  Vector spend2;
  mmm::TrustModel model;
  Matrix draws;
  explicit OneRf(mmm::RfForm form) : model(rf_plan_data(40, false, 3, form, ch, spend2)) {
    draws = make_draws(model, 1, 5, 0.1);
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(a_single_rf_channels_optimum_matches_a_grid_search) {
  for (const auto form : {mmm::RfForm::hill, mmm::RfForm::exposure}) {
    BOOST_TEST_CONTEXT(mmm::to_string(form)) {
      const OneRf sc(form);
      plan::ForwardSettings s = settings(1, sc.ch);
      s.tail = 0;
      const plan::TrustPlanModel pm(sc.model, sc.draws, sc.model.data().media, sc.model.data().shocks, s);
      plan::PlanProblem pb;
      pb.criterion.goal = plan::Goal::outcome;
      pb.constraints.budget = 3.0;
      pb.constraints.fixed = Matrix::Constant(1, 4, std::nan(""));
      pb.constraints.fixed(0, 0) = 0.0;
      pb.constraints.fixed(0, 1) = 0.0;
      plan::SolverSettings st;
      st.starts = 4;
      const plan::PlanResult r = plan::optimize(pm, pb, st);
      BOOST_TEST(r.converged, r.message);
      // grid over the RF channel's share of the budget, refined around the best point
      auto value = [&](double x) {
        Matrix sp = Matrix::Zero(1, 4);
        sp(0, 2) = x;
        sp(0, 3) = 3.0 - x;
        Vector y;
        pm.evaluate(sp, y, nullptr);
        return y[0];
      };
      double best = 0.0, bv = value(0.0), lo = 0.0, hi = 3.0;
      for (int pass = 0; pass < 6; ++pass) {
        const double step = (hi - lo) / 200.0;
        for (int i = 0; i <= 200; ++i) {
          const double x = lo + step * i, v = value(x);
          if (v > bv) {
            bv = v;
            best = x;
          }
        }
        lo = std::max(0.0, best - 2.0 * step);
        hi = std::min(3.0, best + 2.0 * step);
      }
      BOOST_CHECK_SMALL(r.schedule(0, 2) - best, 1e-5);
      BOOST_CHECK_CLOSE(r.objective, bv, 1e-8);
      BOOST_CHECK_GT(r.schedule(0, 2), 1e-3);  // an interior optimum: both channels used
      BOOST_CHECK_GT(r.schedule(0, 3), 1e-3);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_reach_target_binds_exactly_at_its_bound) {
  // "at least 55% of the reachable population reached 3+ times in the last period": a
  // lower bound on the RF channel's spend there, above what the plan would spend (so it
  // binds); the plan sits exactly at it, where the share is exactly 55%.
  const OneRf sc(mmm::RfForm::hill);
  const int H = 3;
  plan::ForwardSettings s = settings(H, sc.ch);
  s.tail = 0;
  const plan::TrustPlanModel pm(sc.model, sc.draws, sc.model.data().media, sc.model.data().shocks, s);
  plan::PlanProblem pb;
  pb.criterion.goal = plan::Goal::outcome;
  pb.constraints.budget = 60.0;
  // without the target: how much goes to the RF channel
  const plan::PlanResult free_plan = plan::optimize(pm, pb, {});
  const double need = plan::spend_for_reach_share(sc.ch, 3, 0.55);
  BOOST_TEST_MESSAGE("RF spend per period without the target " << free_plan.schedule.col(2).transpose() << ", needed "
                                                               << need);
  BOOST_REQUIRE_LT(free_plan.schedule(2, 2), need);  // the target will bind
  const plan::RfBounds b = plan::apply_rf_constraints(pb.constraints, H, 4, s.rf, {}, {{2, 3, 0.55, true, {2}}});
  BOOST_CHECK_CLOSE(b.lower(2, 2), need, 1e-12);
  BOOST_TEST(std::isnan(b.lower(0, 2)));  // only the period asked for
  const plan::PlanResult r = plan::optimize(pm, pb, {});
  BOOST_TEST(r.converged, r.message);
  BOOST_CHECK_CLOSE(r.schedule(2, 2), need, 1e-7);
  BOOST_CHECK_CLOSE(plan::reached_share(sc.ch, 3, r.schedule(2, 2)), 0.55, 1e-6);
  const double m = 10.0 * need / 50.0;
  const boost::math::negative_binomial_distribution<double> nb(1.3, 1.3 / (1.3 + m));
  BOOST_CHECK_CLOSE(boost::math::cdf(boost::math::complement(nb, 2)), 0.55, 1e-9);
  bool active = false;
  for (const auto& a : r.active) active = active || a.find("lower bound of cell[2, 2]") != std::string::npos;
  BOOST_TEST(active);
  // over the horizon: X_total ~ NB(k, sum I / P) -> a channel total
  plan::PlanProblem ph;
  ph.criterion.goal = plan::Goal::outcome;
  ph.constraints.budget = 60.0;
  (void)plan::apply_rf_constraints(ph.constraints, H, 4, s.rf, {}, {{2, 3, 0.82, false, {}}});
  const plan::PlanResult rh = plan::optimize(pm, ph, {});
  BOOST_TEST(rh.converged, rh.message);
  const double total_need = plan::total_spend_for_reach_share(sc.ch, 3, 0.82);
  BOOST_CHECK_CLOSE(rh.schedule.col(2).sum(), total_need, 1e-6);
}

BOOST_AUTO_TEST_CASE(frequency_caps_bound_spend) {
  const plan::RfChannel ch = channel2();
  // maximum average frequency 2.5: spend at which f = 2.5, and f is 2.5 there
  const double u = plan::spend_for_max_frequency(ch, 2.5);
  BOOST_CHECK_CLOSE(plan::rf_point(ch, u).f, 2.5, 1e-9);
  BOOST_CHECK_CLOSE(ch.curve.impressions(10.0 * u) / ch.curve.reach(10.0 * u), 2.5, 1e-9);
  const OneRf sc(mmm::RfForm::hill);
  const int H = 2;
  plan::ForwardSettings s = settings(H, sc.ch);
  s.tail = 0;
  const plan::TrustPlanModel pm(sc.model, sc.draws, sc.model.data().media, sc.model.data().shocks, s);
  plan::PlanProblem pb;
  pb.criterion.goal = plan::Goal::outcome;
  pb.constraints.budget = 20.0;
  const plan::PlanResult free_plan = plan::optimize(pm, pb, {});
  const double fmax = 0.5 * (1.0 + plan::rf_point(sc.ch, free_plan.schedule(0, 2)).f);  // halfway to 1: binds
  (void)plan::apply_rf_constraints(pb.constraints, H, 4, s.rf, {{2, fmax, {}}}, {});
  const plan::PlanResult r = plan::optimize(pm, pb, {});
  BOOST_TEST(r.converged, r.message);
  for (int t = 0; t < H; ++t) BOOST_CHECK_CLOSE(plan::rf_point(sc.ch, r.schedule(t, 2)).f, fmax, 1e-6);
  // the capped_rate transform: spend stays below cap x P / q, and the plan is feasible
  plan::ForwardSettings sc4 = s;
  sc4.rf[0].cap = 2;
  const plan::TrustPlanModel pm4(sc.model, sc.draws, sc.model.data().media, sc.model.data().shocks, sc4);
  plan::PlanProblem p4;
  p4.criterion.goal = plan::Goal::outcome;
  p4.constraints.budget = 20.0;
  (void)plan::apply_rf_constraints(p4.constraints, H, 4, sc4.rf, {}, {});
  BOOST_CHECK_LT(p4.constraints.upper(0, 2), 2.0 * 50.0 / 10.0);
  const plan::PlanResult r4 = plan::optimize(pm4, p4, {});
  BOOST_TEST(r4.converged, r4.message);
  BOOST_CHECK_LT(r4.schedule.col(2).maxCoeff(), 2.0 * 50.0 / 10.0);
}

BOOST_AUTO_TEST_CASE(rf_bad_input_is_refused_clearly) {
  const OneRf sc(mmm::RfForm::hill);
  const auto& d = sc.model.data();
  auto throws_with = [](const std::function<void()>& f, const std::string& part) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string(e.what()).find(part) != std::string::npos, e.what());
      return;
    }
    BOOST_FAIL("no error; expected one with '" + part + "'");
  };
  // the model's RF channel needs its chain
  plan::ForwardSettings none = settings(2, sc.ch);
  none.rf.clear();
  throws_with([&] { plan::TrustPlanModel(sc.model, sc.draws, d.media, d.shocks, none); }, "reach-and-frequency channel");
  plan::ForwardSettings wrong = settings(2, sc.ch);
  wrong.rf[0].channel = 1;
  throws_with([&] { plan::TrustPlanModel(sc.model, sc.draws, d.media, d.shocks, wrong); }, "is not a reach-and-frequency");
  plan::ForwardSettings bb = settings(2, sc.ch);
  bb.rf[0].curve.kind = audience::ReachKind::beta_binomial;
  throws_with([&] { plan::TrustPlanModel(sc.model, sc.draws, d.media, d.shocks, bb); }, "beta_binomial");
  // a cap below what committed spend implies
  plan::Constraints k;
  k.budget = 10.0;
  k.fixed = Matrix::Constant(2, 4, std::nan(""));
  k.fixed(1, 2) = 4.0;  // f(40 impressions) is about 1.5
  throws_with([&] { (void)plan::apply_rf_constraints(k, 2, 4, {sc.ch}, {{2, 1.2, {}}}, {}); }, "committed (fixed) spend");
  // targets no budget can meet: 100%, k above a cap, more than the budget, above a cap
  plan::Constraints k2;
  k2.budget = 1.0;
  throws_with([&] { (void)plan::apply_rf_constraints(k2, 2, 4, {sc.ch}, {}, {{2, 3, 1.0, true, {}}}); },
              "no budget reaches");
  plan::RfChannel capped = sc.ch;
  capped.cap = 2;
  throws_with([&] { (void)plan::apply_rf_constraints(k2, 2, 4, {capped}, {}, {{2, 3, 0.2, true, {}}}); },
              "under a frequency cap of 2");
  plan::Constraints k3;
  k3.budget = 1.0;
  throws_with([&] { (void)plan::apply_rf_constraints(k3, 2, 4, {sc.ch}, {}, {{2, 3, 0.5, true, {}}}); },
              "more than the budget");
  plan::Constraints k4;
  throws_with([&] { (void)plan::apply_rf_constraints(k4, 2, 4, {sc.ch}, {{2, 1.5, {}}}, {{2, 3, 0.5, true, {}}}); },
              "cannot be met");
  throws_with([&] { (void)plan::spend_for_max_frequency(sc.ch, 1.0); }, "must be finite and > 1");
  // spend beyond a capped_rate cap
  throws_with([&] { (void)plan::rf_point(capped, 11.0); }, "at least the cap");
}

BOOST_AUTO_TEST_CASE(starts_are_distinct_and_agreement_counts_distinct_starts) {
  // No start given: the first start is the even plan; the second was the even plan again
  // (a false "2 of 2 starts agree"). Now it is a fixed perturbation of it.
  const plan::CurveObjective obj(plan::Curve::hill, Matrix::Constant(1, 2, 1.0), Matrix::Constant(1, 2, 1.0),
                                 Vector::Constant(2, 3.0), 3);
  plan::PlanProblem pb;
  pb.criterion.goal = plan::Goal::outcome;
  pb.constraints.budget = 2.0;
  plan::SolverSettings st;
  st.starts = 2;
  const plan::PlanResult r = plan::optimize(obj, pb, st);
  BOOST_REQUIRE_EQUAL(r.start_schedules.size(), 2U);
  BOOST_CHECK_GT((r.start_schedules[0] - r.start_schedules[1]).cwiseAbs().maxCoeff(), 1e-3);
  BOOST_CHECK_CLOSE(r.start_schedules[1].sum(), 2.0, 1e-9);  // the perturbation keeps the budget
  BOOST_CHECK_EQUAL(r.start_objectives.size(), 2U);
  BOOST_CHECK_LE(r.starts_agreeing, 2);
  // One variable fixed by the budget: every start is the same point, so one start is run.
  const plan::CurveObjective one(plan::Curve::michaelis_menten, Matrix::Constant(1, 1, 1.0), Matrix::Constant(1, 1, 1.0),
                                 Vector(), 1);
  const plan::PlanResult r1 = plan::optimize(one, pb, st);
  BOOST_CHECK_EQUAL(r1.start_schedules.size(), 1U);
  BOOST_CHECK_EQUAL(r1.start_objectives.size(), 1U);
  BOOST_TEST(r1.message.find("1 of 1 starts agree") != std::string::npos, r1.message);
}

BOOST_AUTO_TEST_CASE(rf_results_are_bit_identical_for_every_thread_count) {
  const plan::RfChannel ch = channel2(1.3, 3);
  Vector spend2;
  const mmm::TrustModel m(rf_plan_data(50, true, 9, mmm::RfForm::exposure, ch, spend2));
  const Matrix draws = make_draws(m, 37, 4);
  Matrix spend = Matrix::Constant(8, 4, 1.0);
  spend.col(2) << 0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 14.0;
  Vector y1, g1;
  Matrix grads1;
  for (const int threads : {1, 2, 3, 4}) {
    plan::ForwardSettings s = settings(8, ch);
    s.threads = threads;
    const plan::TrustPlanModel pm(m, draws, m.data().media, m.data().shocks, s);
    Vector y, g, v;
    Matrix grads;
    pm.evaluate(spend, y, &grads);
    pm.evaluate_weighted(spend, Vector::Constant(37, 1.0 / 37.0), true, v, g);
    if (threads == 1) {
      y1 = y;
      g1 = g;
      grads1 = grads;
      continue;
    }
    BOOST_TEST_CONTEXT(threads << " threads") {
      BOOST_CHECK((y.array() == y1.array()).all());
      BOOST_CHECK((grads.array() == grads1.array()).all());
      BOOST_CHECK((g.array() == g1.array()).all());
    }
  }
}
