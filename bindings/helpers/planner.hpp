#pragma once
// The planner's settings read from the bindings' keyword arguments, shared by the national
// planner (bindings/plan.cpp) and the panel planner (bindings/plan_panel.cpp): the criterion
// (goal, risk measure and its parameters) and the solver settings.
#include <trustmix/plan/optimize.hpp>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace trustmix::bindings::helpers {

/// The plan::Criterion of goal ('outcome', 'value', 'net_value'), risk ('mean',
/// 'quantile', 'cvar', 'prob_beat') and their parameters (marginal_roi: net_value's spend
/// weight 1 + r); ValueError naming the argument and the names it takes otherwise.
inline plan::Criterion plan_criterion(const std::string& goal, const std::string& risk, double value_per_outcome,
                                      double level, double tau, const Eigen::VectorXd& reference,
                                      double marginal_roi = 0.0) {
  plan::Criterion k;
  bool known = false;
  for (auto g : {plan::Goal::outcome, plan::Goal::value, plan::Goal::net_value})
    if (goal == plan::to_string(g)) {
      k.goal = g;
      known = true;
    }
  if (!known) throw std::invalid_argument("goal must be 'outcome', 'value' or 'net_value', got '" + goal + "'");
  known = false;
  for (auto r : {plan::Measure::mean, plan::Measure::quantile, plan::Measure::cvar, plan::Measure::prob_beat})
    if (risk == plan::to_string(r)) {
      k.measure = r;
      known = true;
    }
  if (!known) throw std::invalid_argument("risk must be 'mean', 'quantile', 'cvar' or 'prob_beat', got '" + risk + "'");
  k.value_per_outcome = value_per_outcome;
  k.level = level;
  k.tau = tau;
  k.reference = reference;
  k.marginal_roi = marginal_roi;
  return k;
}

/// plan::SolverSettings of the bindings' solver arguments (see SolverSettings for each),
/// stopped by `stop` (the flag run_interruptible sets on Ctrl-C).
inline plan::SolverSettings solver_settings(const std::string& algorithm, int starts, int max_evaluations, double ftol_rel,
                                            double xtol_rel, std::uint64_t seed, const Eigen::MatrixXd& start,
                                            const std::atomic<bool>& stop) {
  plan::SolverSettings st;
  st.algorithm = algorithm;
  st.starts = starts;
  st.max_evaluations = max_evaluations;
  st.ftol_rel = ftol_rel;
  st.xtol_rel = xtol_rel;
  st.seed = seed;
  st.start = start;
  st.stop = &stop;
  return st;
}

}  // namespace trustmix::bindings::helpers
