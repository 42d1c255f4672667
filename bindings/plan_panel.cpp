// Bindings of the panel planner (trustmix::plan, plan/panel.hpp): the panel model's forward
// model as a plan DrawObjective (so the planner's evaluate/criterion methods apply), the
// solve with total, geo and group budgets, and the solver's result as a typed class
// (PlanSolution, helpers::bind_result). Thin: the GIL released, the solve interruptible.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <trustmix/plan/panel.hpp>

#include <atomic>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "helpers/planner.hpp"
#include "helpers/result.hpp"
#include "interruptible.hpp"
#include "register.hpp"

namespace py = pybind11;
namespace tp = trustmix::plan;
namespace mm = trustmix::mmm;

namespace trustmix::bindings {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using BudgetTuple = std::tuple<std::string, std::vector<int>, double, double>;

}  // namespace

void register_plan_panel(py::module_& m) {
  auto sub = m.attr("plan").cast<py::module_>();
  using R = tp::PlanResult;
  helpers::bind_result<R>(
      sub, "PlanSolution",
      "The planner's solution with its certificate (trustmix::plan::PlanResult, optimize.hpp): the schedule\n"
      "(periods x decision columns, currency), the criterion there, convergence, KKT residual, active constraints.",
      1, helpers::member("schedule", &R::schedule, "Spend, periods x decision columns (currency)."),
      helpers::member("objective", &R::objective, "The criterion R at the schedule."),
      helpers::member("per_draw", &R::per_draw, "V_i at the schedule, per draw (the goal's units)."),
      helpers::member("total_spend", &R::total_spend, "Sum of the schedule (currency)."),
      helpers::member("converged", &R::converged, "Whether the certificate holds (KKT residual and feasibility)."),
      helpers::member("status", &R::status, "NLopt's status of the best start."),
      helpers::member("evaluations", &R::evaluations, "Objective evaluations over all starts."),
      helpers::member("kkt_residual", &R::kkt_residual, "Optimality residual (scaled units)."),
      helpers::member("active", &R::active, "Names of the active constraints."),
      helpers::member("max_violation", &R::max_violation, "Largest constraint violation / the spend scale."),
      helpers::member("start", &R::start, "The first start (periods x columns)."),
      helpers::member("start_objective", &R::start_objective, "R at the first start."),
      helpers::member("moved", &R::moved, "Whether the schedule differs from the first start."),
      helpers::member("concave", &R::concave, "Certified concave: a KKT point is the global optimum."),
      helpers::member("start_objectives", &R::start_objectives, "Final R of each start (NaN: infeasible)."),
      helpers::member("start_schedules", &R::start_schedules, "The distinct starts run."),
      helpers::member("starts_agreeing", &R::starts_agreeing, "Starts within 1e-6 (relative) of the best R."),
      helpers::member("message", &R::message, "A sentence on the outcome."));

  py::class_<tp::PanelPlanModel, tp::DrawObjective>(
      sub, "PanelPlanModel",
      "trustmix::plan::PanelPlanModel: a panel fit's forward model for schedules of geo-bought channels\n"
      "(periods x channel-geo columns, column k G + g), per posterior draw, with its exact gradient.")
      .def(py::init([](const mm::PanelTrustModel& model, const RowMatrix& draws, int horizon, int tail,
                       const std::vector<int>& channels, const Eigen::MatrixXd& units_per_spend,
                       const Eigen::MatrixXd& other_activity, double outcome_scale, const Eigen::MatrixXd& population,
                       int threads) {
             tp::PanelPlanSettings s;
             s.horizon = horizon;
             s.tail = tail;
             s.channels = channels;
             s.units_per_spend = units_per_spend;
             s.other_activity = other_activity;
             s.outcome_scale = outcome_scale;
             s.population = population;
             s.threads = threads;
             const tp::Matrix z = draws;
             const py::gil_scoped_release release;
             return new tp::PanelPlanModel(model, z, std::move(s));
           }),
           py::arg("model"), py::arg("draws"), py::arg("horizon"), py::arg("tail"), py::arg("channels"),
           py::arg("units_per_spend"), py::arg("other_activity") = Eigen::MatrixXd(), py::arg("outcome_scale") = 1.0,
           py::arg("population") = Eigen::MatrixXd(), py::arg("threads") = 0)
      .def_property_readonly("geos", &tp::PanelPlanModel::geos, "Number of geos G.")
      .def(
          "column", [](const tp::PanelPlanModel& self, int k, int g) { return self.column(k, g); }, py::arg("k"),
          py::arg("g"), "Schedule column of the k-th planned channel in geo g (k G + g).")
      .def(
          "geo_outcomes",
          [](const tp::PanelPlanModel& self, const Eigen::MatrixXd& spend) {
            tp::Matrix out;
            {
              const py::gil_scoped_release release;
              out = self.geo_outcomes(spend);
            }
            return RowMatrix(out);
          },
          py::arg("spend"), "Per draw (rows) and geo (columns) the outcome of a schedule over the plan and its tail.");

  sub.def(
      "optimize_panel",
      [](const tp::PanelPlanModel& model, const std::string& goal, const std::string& risk, double value_per_outcome,
         double level, double tau, const Eigen::VectorXd& reference, double budget, const std::vector<BudgetTuple>& budgets,
         const Eigen::MatrixXd& lower, const Eigen::MatrixXd& upper, const std::string& algorithm, int starts,
         int max_evaluations, double ftol_rel, double xtol_rel, std::uint64_t seed, const Eigen::MatrixXd& start) {
        tp::PanelPlanProblem pb;
        pb.criterion = helpers::plan_criterion(goal, risk, value_per_outcome, level, tau, reference);
        pb.budget = budget;
        for (const auto& [name, geos, lo, hi] : budgets) pb.budgets.push_back({name, geos, lo, hi});
        pb.lower = lower;
        pb.upper = upper;
        std::atomic<bool> stop{false};
        const tp::SolverSettings st = helpers::solver_settings(algorithm, starts, max_evaluations, ftol_rel, xtol_rel, seed,
                                                               start, stop);
        tp::PlanResult r;
        run_interruptible(stop, [&] { r = tp::optimize_panel(model, pb, st); }, [] {});
        return r;
      },
      py::arg("model"), py::kw_only(), py::arg("goal") = "net_value", py::arg("risk") = "mean",
      py::arg("value_per_outcome") = 1.0, py::arg("level") = 0.1, py::arg("tau") = 1.0,
      py::arg("reference") = Eigen::VectorXd(), py::arg("budget"), py::arg("budgets") = std::vector<BudgetTuple>{},
      py::arg("lower") = Eigen::MatrixXd(), py::arg("upper") = Eigen::MatrixXd(), py::arg("algorithm") = "auto",
      py::arg("starts") = 0, py::arg("max_evaluations") = 3000, py::arg("ftol_rel") = 1e-12, py::arg("xtol_rel") = 1e-10,
      py::arg("seed") = 0, py::arg("start") = Eigen::MatrixXd(),
      "trustmix::plan::optimize_panel: the schedule maximising the criterion under the total budget (spent exactly)\n"
      "and geo/group budgets (name, geo indices, lower, upper); a PlanSolution with the planner's certificate.");
}

}  // namespace trustmix::bindings
