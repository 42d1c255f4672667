// Bindings of the planner (trustmix::plan): thin; arrays in, dicts out, the GIL released
// for the C++ work and the optimisation interruptible (Ctrl-C).
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <trustmix/audience/reach.hpp>
#include <trustmix/mmm/trust_model.hpp>
#include <trustmix/plan/plan.hpp>

#include <atomic>
#include <string>
#include <tuple>
#include <vector>

#include "helpers/planner.hpp"
#include "helpers/result.hpp"
#include "interruptible.hpp"
#include "register.hpp"

namespace py = pybind11;
namespace tp = trustmix::plan;

namespace trustmix::bindings {
namespace {

tp::Curve curve_from(const std::string& s) {
  if (s == "michaelis_menten") return tp::Curve::michaelis_menten;
  if (s == "exponential") return tp::Curve::exponential;
  if (s == "hill") return tp::Curve::hill;
  if (s == "logistic") return tp::Curve::logistic;
  throw std::invalid_argument("curve must be 'michaelis_menten', 'exponential', 'hill' or 'logistic', got '" + s + "'");
}

/// What spend becomes per period for an RF channel, for a spend series (rf_point per period).
struct RfChain {
  Eigen::VectorXd impressions, reach, frequency, model_reach;
};

/// RF channels from (channel, reach curve, impressions per spend, people per unit, cap) tuples.
using RfTuple = std::tuple<int, trustmix::audience::ReachCurve, double, double, int>;
std::vector<tp::RfChannel> rf_from(const std::vector<RfTuple>& rf) {
  std::vector<tp::RfChannel> out;
  for (const auto& [c, curve, ips, ppu, cap] : rf) {
    tp::RfChannel ch;
    ch.channel = c;
    ch.curve = curve;
    ch.impressions_per_spend = ips;
    ch.people_per_unit = ppu;
    ch.cap = cap;
    out.push_back(ch);
  }
  return out;
}

}  // namespace

void register_plan(py::module_& m) {
  auto sub = m.def_submodule("plan", "trustmix::plan: budget and flighting plans on a fitted model.");
  using P = tp::PlanPaths;
  helpers::bind_result<P>(
      sub, "PlanPaths",
      "A schedule run forward over every draw (trustmix::plan::PlanPaths, evaluator.hpp): per draw (rows) and\n"
      "period of the horizon and tail (columns) the outcome and its parts (outcome units), the trust stock.",
      1, helpers::member("outcome", &P::outcome, "m[t] x outcome_scale, draws x periods (outcome units)."),
      helpers::member("stock", &P::stock, "The trust stock G[t], draws x periods."),
      helpers::member("conversion", &P::conversion, "The conversion channels' own terms, draws x periods."),
      helpers::member("amplification", &P::amplification, "theta G[t] c[t], draws x periods."),
      helpers::member("trust_direct", &P::trust_direct, "gamma G[t], draws x periods."),
      helpers::member("tail_outcome", &P::tail_outcome, "Per draw: the tail after the explicit periods."),
      helpers::member("total", &P::total, "Per draw: Y, the discounted total (outcome units)."),
      helpers::member("tail_periods", &P::tail_periods, "Per draw: periods counted after the horizon."));
  using D = tp::DrawOptimum;
  helpers::bind_result<D>(
      sub, "DrawOptimum",
      "One draw's own optimum against the plan (trustmix::plan::draw_optima): its value of the plan and of its\n"
      "own optimum (the goal's units), the regret (own - plan) and the share of spend moved.",
      1, helpers::member("draw", &D::draw, "Index of the draw."),
      helpers::member("plan_value", &D::plan_value, "V_i at the plan."),
      helpers::member("own_value", &D::own_value, "V_i at the draw's own optimum."),
      helpers::member("regret", &D::regret, "own_value - plan_value (>= 0 up to the solver's tolerance)."),
      helpers::member("moved_share", &D::moved_share, "Share of the total spend the draw's optimum moves."),
      helpers::member("converged", &D::converged, "Whether the draw's own solve converged."));
  helpers::bind_result<RfChain>(
      sub, "RfChain", "What a spend series becomes for a reach-and-frequency channel (trustmix::plan::rf_point per period).",
      1, helpers::member("impressions", &RfChain::impressions, "Impressions per period."),
      helpers::member("reach", &RfChain::reach, "People reached at least once per period."),
      helpers::member("frequency", &RfChain::frequency, "Average frequency among the reached."),
      helpers::member("model_reach", &RfChain::model_reach, "Reach in the model's units."));
  py::class_<tp::DrawObjective>(sub, "DrawObjective", "A per-draw planning objective Y_i(schedule) (C++ interface).")
      .def_property_readonly("draws", &tp::DrawObjective::draws)
      .def_property_readonly("periods", &tp::DrawObjective::periods)
      .def_property_readonly("channels", &tp::DrawObjective::channels)
      .def(
          "evaluate",
          [](const tp::DrawObjective& self, const Eigen::MatrixXd& spend, bool gradient) {
            Eigen::VectorXd y;
            Eigen::MatrixXd g;
            {
              const py::gil_scoped_release release;
              self.evaluate(spend, y, gradient ? &g : nullptr);
            }
            return py::make_tuple(y, g);
          },
          py::arg("spend"), py::arg("gradient") = false,
          "Per-draw Y_i (outcome units) and, with gradient=True, dY_i/ds as an (H C) x n matrix (row t + H c).")
      .def(
          "criterion",
          [](const tp::DrawObjective& self, const Eigen::MatrixXd& spend, const std::string& goal, const std::string& risk,
             double value_per_outcome, double level, double tau, const Eigen::VectorXd& reference, double marginal_roi) {
            const tp::Criterion k = helpers::plan_criterion(goal, risk, value_per_outcome, level, tau, reference,
                                                            marginal_roi);
            Eigen::MatrixXd g;
            Eigen::VectorXd v;
            double r = 0.0;
            {
              const py::gil_scoped_release release;
              r = tp::evaluate_criterion(self, k, spend, &g, &v);
            }
            return py::make_tuple(r, g, v);
          },
          py::arg("spend"), py::arg("goal") = "outcome", py::arg("risk") = "mean", py::arg("value_per_outcome") = 1.0,
          py::arg("level") = 0.1, py::arg("tau") = 1.0, py::arg("reference") = Eigen::VectorXd(),
          py::arg("marginal_roi") = 0.0,
          "(R, dR/ds (H x C), per-draw V_i) of a goal and risk measure (trustmix/plan/objective.hpp); marginal_roi r:\n"
          "net_value counts spend at 1 + r.");

  py::class_<tp::TrustPlanModel, tp::DrawObjective>(
      sub, "TrustPlanModel", "The fitted trust model run forward over history + plan + tail (trustmix/plan/evaluator.hpp).")
      .def(py::init([](const trustmix::mmm::TrustModel& model, const Eigen::MatrixXd& draws,
                       const Eigen::MatrixXd& history_media, const Eigen::MatrixXd& history_shocks, int horizon, int tail,
                       double tail_coverage, double discount, const Eigen::VectorXd& units_per_spend, double outcome_scale,
                       const Eigen::MatrixXd& future_baseline, int threads, const std::vector<RfTuple>& rf) {
             tp::ForwardSettings s;
             s.horizon = horizon;
             s.tail = tail;
             s.tail_coverage = tail_coverage;
             s.discount = discount;
             s.units_per_spend = units_per_spend;
             s.outcome_scale = outcome_scale;
             s.future_baseline = future_baseline;
             s.threads = threads;
             s.rf = rf_from(rf);
             const py::gil_scoped_release release;
             return new tp::TrustPlanModel(model, draws, history_media, history_shocks, s);
           }),
           py::arg("model"), py::arg("draws"), py::arg("history_media"), py::arg("history_shocks"), py::arg("horizon"),
           py::arg("tail") = -1, py::arg("tail_coverage") = 0.99, py::arg("discount") = 1.0, py::arg("units_per_spend"),
           py::arg("outcome_scale") = 1.0, py::arg("future_baseline") = Eigen::MatrixXd(), py::arg("threads") = 0,
           py::arg("rf") = std::vector<RfTuple>{}, py::keep_alive<1, 2>())
      .def("tail_periods", &tp::TrustPlanModel::tail_periods, py::arg("draw"))
      .def(
          "paths",
          [](const tp::TrustPlanModel& self, const Eigen::MatrixXd& spend) {
            tp::PlanPaths p;
            {
              const py::gil_scoped_release release;
              p = self.paths(spend);
            }
            return p;
          },
          py::arg("spend"));

  py::class_<tp::CurveObjective, tp::DrawObjective>(sub, "CurveObjective",
                                                    "Separable response curves without carry-over (closed-form checks).")
      .def(py::init([](const std::string& curve, const Eigen::MatrixXd& beta, const Eigen::MatrixXd& k,
                       const Eigen::VectorXd& shape,
                       Eigen::Index periods) { return new tp::CurveObjective(curve_from(curve), beta, k, shape, periods); }),
           py::arg("curve"), py::arg("beta"), py::arg("k"), py::arg("shape") = Eigen::VectorXd(), py::arg("periods") = 1);

  sub.def(
      "optimize",
      [](const tp::DrawObjective& obj, const std::string& goal, const std::string& risk, double value_per_outcome,
         double level, double tau, const Eigen::VectorXd& reference, const std::string& task, double target,
         double target_roi, double budget, bool budget_equality, const Eigen::MatrixXd& lower, const Eigen::MatrixXd& upper,
         const Eigen::MatrixXd& fixed, const std::vector<std::tuple<int, double, double>>& channel_totals,
         const std::vector<std::tuple<int, double, double>>& period_totals,
         const std::vector<std::tuple<std::string, std::vector<int>, double, double>>& groups,
         const Eigen::VectorXd& max_change,
         const std::vector<std::tuple<std::string, std::vector<std::pair<int, int>>, Eigen::VectorXd>>& blocks,
         const std::string& algorithm, int starts, int max_evaluations, double ftol_rel, double xtol_rel, std::uint64_t seed,
         const Eigen::MatrixXd& start, const std::vector<Eigen::Index>& draw_optima,
         const std::vector<std::tuple<int, double, std::vector<int>>>& frequency_caps,
         const std::vector<std::tuple<int, int, double, bool, std::vector<int>>>& reach_targets, double marginal_roi) {
        tp::PlanProblem pb;
        pb.criterion = helpers::plan_criterion(goal, risk, value_per_outcome, level, tau, reference, marginal_roi);
        if (task == "maximize") pb.task = tp::Task::maximize;
        else if (task == "min_spend") pb.task = tp::Task::min_spend;
        else if (task == "max_with_roi") pb.task = tp::Task::max_with_roi;
        else throw std::invalid_argument("task must be 'maximize', 'min_spend' or 'max_with_roi', got '" + task + "'");
        pb.target = target;
        pb.target_roi = target_roi;
        auto& k = pb.constraints;
        k.budget = budget;
        k.budget_equality = budget_equality;
        k.lower = lower;
        k.upper = upper;
        k.fixed = fixed;
        for (const auto& [c, lo, hi] : channel_totals) k.channel_totals.push_back({c, lo, hi});
        for (const auto& [t, lo, hi] : period_totals) k.period_totals.push_back({t, lo, hi});
        for (const auto& [name, ch, lo, hi] : groups) k.groups.push_back({name, ch, lo, hi});
        k.max_change = max_change;
        for (const auto& [name, cells, pattern] : blocks) k.blocks.push_back({name, cells, pattern});
        // RF channels: capped_rate caps, maximum average frequencies and reach targets as
        // spend bounds (trustmix/plan/rf_constraints.hpp)
        {
          const auto* pm = dynamic_cast<const tp::TrustPlanModel*>(&obj);
          const std::vector<tp::RfChannel> rf = pm != nullptr ? pm->settings().rf : std::vector<tp::RfChannel>{};
          std::vector<tp::FrequencyCap> caps;
          std::vector<tp::ReachTarget> targets;
          for (const auto& [c, f, periods] : frequency_caps) caps.push_back({c, f, periods});
          for (const auto& [c, kk, share, per_period, periods] : reach_targets)
            targets.push_back({c, kk, share, per_period, periods});
          if (!rf.empty() || !caps.empty() || !targets.empty())
            (void)tp::apply_rf_constraints(k, obj.periods(), obj.channels(), rf, caps, targets);
        }
        std::atomic<bool> stop{false};
        const tp::SolverSettings st = helpers::solver_settings(algorithm, starts, max_evaluations, ftol_rel, xtol_rel, seed,
                                                               start, stop);
        tp::PlanResult r;
        std::vector<tp::DrawOptimum> own;
        run_interruptible(
            stop,
            [&] {
              r = tp::optimize(obj, pb, st);
              if (!draw_optima.empty()) own = tp::draw_optima(obj, pb, r, draw_optima, st);
            },
            [] {});
        return py::make_tuple(r, own);
      },
      py::arg("objective"), py::kw_only(), py::arg("goal") = "net_value", py::arg("risk") = "mean",
      py::arg("value_per_outcome") = 1.0, py::arg("level") = 0.1, py::arg("tau") = 1.0,
      py::arg("reference") = Eigen::VectorXd(), py::arg("task") = "maximize",
      py::arg("target") = std::numeric_limits<double>::quiet_NaN(),
      py::arg("target_roi") = std::numeric_limits<double>::quiet_NaN(),
      py::arg("budget") = std::numeric_limits<double>::quiet_NaN(), py::arg("budget_equality") = true,
      py::arg("lower") = Eigen::MatrixXd(), py::arg("upper") = Eigen::MatrixXd(), py::arg("fixed") = Eigen::MatrixXd(),
      py::arg("channel_totals") = std::vector<std::tuple<int, double, double>>{},
      py::arg("period_totals") = std::vector<std::tuple<int, double, double>>{},
      py::arg("groups") = std::vector<std::tuple<std::string, std::vector<int>, double, double>>{},
      py::arg("max_change") = Eigen::VectorXd(),
      py::arg("blocks") = std::vector<std::tuple<std::string, std::vector<std::pair<int, int>>, Eigen::VectorXd>>{},
      py::arg("algorithm") = "auto", py::arg("starts") = 2, py::arg("max_evaluations") = 3000, py::arg("ftol_rel") = 1e-12,
      py::arg("xtol_rel") = 1e-10, py::arg("seed") = 0, py::arg("start") = Eigen::MatrixXd(),
      py::arg("draw_optima") = std::vector<Eigen::Index>{},
      py::arg("frequency_caps") = std::vector<std::tuple<int, double, std::vector<int>>>{},
      py::arg("reach_targets") = std::vector<std::tuple<int, int, double, bool, std::vector<int>>>{},
      py::arg("marginal_roi") = 0.0,
      "trustmix::plan::optimize: the constrained plan with its certificate (trustmix/plan/optimize.hpp); with\n"
      "draw_optima (draw indices) also trustmix::plan::draw_optima: each listed draw's own optimum against the plan.\n"
      "Returns (PlanSolution, list of DrawOptimum).");

  sub.def(
      "rf_chain",
      [](const RfTuple& rf, const Eigen::VectorXd& spend) {
        const tp::RfChannel ch = rf_from({rf}).front();
        ch.validate(std::get<0>(rf) + 1);
        RfChain out;
        for (Eigen::VectorXd* v : {&out.impressions, &out.reach, &out.frequency, &out.model_reach}) v->resize(spend.size());
        for (Eigen::Index t = 0; t < spend.size(); ++t) {
          const tp::RfPoint p = tp::rf_point(ch, spend[t]);
          out.impressions[t] = p.impressions;
          out.reach[t] = p.reach_people;
          out.frequency[t] = p.f;
          out.model_reach[t] = p.r;
        }
        return out;
      },
      py::arg("rf"), py::arg("spend"),
      "What spend becomes per period for an RF channel (trustmix::plan::rf_point): impressions, people reached,\n"
      "average frequency among them, reach in the model's units. rf: (channel, curve, impressions per spend,\n"
      "people per unit, cap).");
  sub.def(
      "rf_spend_for_reach_share",
      [](const RfTuple& rf, int k, double share, bool per_period) {
        const tp::RfChannel ch = rf_from({rf}).front();
        ch.validate(std::get<0>(rf) + 1);
        return per_period ? tp::spend_for_reach_share(ch, k, share) : tp::total_spend_for_reach_share(ch, k, share);
      },
      py::arg("rf"), py::arg("k"), py::arg("share"), py::arg("per_period") = true,
      "Spend (per period, or in total over the horizon) at which `share` of the reachable population is exposed\n"
      "k or more times (trustmix::plan::spend_for_reach_share).");
  sub.def(
      "rf_spend_for_max_frequency",
      [](const RfTuple& rf, double max_frequency) {
        const tp::RfChannel ch = rf_from({rf}).front();
        ch.validate(std::get<0>(rf) + 1);
        return tp::spend_for_max_frequency(ch, max_frequency);
      },
      py::arg("rf"), py::arg("max_frequency"),
      "Spend per period at which the average frequency among the reached is max_frequency.");
  sub.def(
      "rf_reached_share",
      [](const RfTuple& rf, int k, const Eigen::VectorXd& spend) {
        const tp::RfChannel ch = rf_from({rf}).front();
        ch.validate(std::get<0>(rf) + 1);
        Eigen::VectorXd out(spend.size());
        for (Eigen::Index t = 0; t < spend.size(); ++t) out[t] = tp::reached_share(ch, k, spend[t]);
        return out;
      },
      py::arg("rf"), py::arg("k"), py::arg("spend"),
      "Share of the reachable population exposed k or more times in a period at each spend.");
  sub.def(
      "rf_model_curve",
      [](const Eigen::VectorXd& impressions, const Eigen::VectorXd& reach, double population, double shape) {
        py::gil_scoped_release release;
        return tp::fit_reachable(impressions, reach, population, shape);
      },
      py::arg("impressions"), py::arg("reach"), py::arg("population"), py::arg("shape"),
      "An nbd reach curve of a fixed shape (the exposure form's rf_shape) with its reachable share fitted to\n"
      "(impressions, reach) by least squares (trustmix::plan::fit_reachable).");
}

}  // namespace trustmix::bindings
