#pragma once
// Difference-in-differences with staggered adoption (Callaway and Sant'Anna 2021, no
// covariates, never-treated units as controls, base period g - 1): group-time effects
//   ATT(g, t) = mean_{i in G_g}(Y_it - Y_i,g-1) - mean_{i in C}(Y_it - Y_i,g-1),
// aggregated to an overall effect (post cells, weights proportional to cohort size) and an
// event study by e = t - g. Standard errors from the units' influence functions (the
// aggregation weights are treated as fixed, which slightly understates the aggregate's
// uncertainty when cohort shares are estimated).
#include "trustmix/core/error.hpp"
#include "trustmix/evaluate/panel.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace trustmix::evaluate {

struct StaggeredDidResult {
  std::vector<Eigen::Index> cell_cohort;  ///< adoption period g of each cell
  std::vector<Eigen::Index> cell_period;  ///< period t of each cell (t != g - 1)
  Eigen::VectorXd cell_att, cell_se;
  double att = 0.0, att_se = 0.0;          ///< overall effect per treated unit and period (post cells)
  Eigen::VectorXd event_time;              ///< e = t - g
  Eigen::VectorXd event_att, event_se;
};

/// adoption[i] = first treated period of unit i, or -1 if never treated.
inline StaggeredDidResult staggered_did(const Panel& panel, const std::vector<Eigen::Index>& adoption) {
  const Eigen::Index n = panel.n_units(), T = panel.n_periods();
  if (static_cast<Eigen::Index>(adoption.size()) != n)
    fail("adoption has ", adoption.size(), " entries for ", n, " units");
  if (!panel.outcomes.allFinite()) fail("outcomes must be finite");
  std::map<Eigen::Index, std::vector<Eigen::Index>> cohorts;
  std::vector<Eigen::Index> never;
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::Index g = adoption[static_cast<std::size_t>(i)];
    if (g < 0) never.push_back(i);
    else if (g == 0) fail(panel.label(i), " is treated from period 0: no pre-period to compare with");
    else if (g >= T) fail(panel.label(i), " adopts in period ", g, ", after the last period ", T - 1, " (use -1 for never)");
    else cohorts[g].push_back(i);
  }
  if (never.size() < 2) fail("staggered_did needs at least 2 never-treated units (adoption -1), got ", never.size());
  if (cohorts.empty()) fail("staggered_did: no unit is ever treated");
  StaggeredDidResult out;
  std::vector<Eigen::VectorXd> psi;  // per cell: influence contribution of each unit
  std::vector<double> cohort_size;
  for (const auto& [g, units] : cohorts)
    for (Eigen::Index t = 0; t < T; ++t) {
      if (t == g - 1) continue;
      Eigen::VectorXd a = Eigen::VectorXd::Zero(n);
      double mg = 0.0, mc = 0.0;
      for (const auto i : units) mg += panel.outcomes(i, t) - panel.outcomes(i, g - 1);
      for (const auto i : never) mc += panel.outcomes(i, t) - panel.outcomes(i, g - 1);
      mg /= static_cast<double>(units.size());
      mc /= static_cast<double>(never.size());
      for (const auto i : units)
        a(i) = (panel.outcomes(i, t) - panel.outcomes(i, g - 1) - mg) / static_cast<double>(units.size());
      for (const auto i : never)
        a(i) = -(panel.outcomes(i, t) - panel.outcomes(i, g - 1) - mc) / static_cast<double>(never.size());
      out.cell_cohort.push_back(g);
      out.cell_period.push_back(t);
      psi.push_back(a);
      cohort_size.push_back(static_cast<double>(units.size()));
      out.cell_att.conservativeResize(static_cast<Eigen::Index>(psi.size()));
      out.cell_att(out.cell_att.size() - 1) = mg - mc;
    }
  const auto m = static_cast<Eigen::Index>(psi.size());
  Eigen::MatrixXd Psi(n, m);
  for (Eigen::Index c = 0; c < m; ++c) Psi.col(c) = psi[static_cast<std::size_t>(c)];
  out.cell_se = Psi.colwise().norm().transpose();
  auto aggregate = [&](auto&& include, double& est, double& se) {
    Eigen::VectorXd w = Eigen::VectorXd::Zero(m);
    for (Eigen::Index c = 0; c < m; ++c)
      if (include(c)) w(c) = cohort_size[static_cast<std::size_t>(c)];
    const double total = w.sum();
    if (total <= 0.0) return false;
    w /= total;
    est = w.dot(out.cell_att);
    se = (Psi * w).norm();
    return true;
  };
  aggregate([&](Eigen::Index c) { return out.cell_period[static_cast<std::size_t>(c)] >= out.cell_cohort[static_cast<std::size_t>(c)]; },
            out.att, out.att_se);
  std::vector<double> ev, ea, es;
  for (Eigen::Index e = -(T - 1); e < T; ++e) {
    double est = 0.0, se = 0.0;
    if (aggregate([&](Eigen::Index c) {
          return out.cell_period[static_cast<std::size_t>(c)] - out.cell_cohort[static_cast<std::size_t>(c)] == e;
        }, est, se))
      ev.push_back(static_cast<double>(e)), ea.push_back(est), es.push_back(se);
  }
  out.event_time = Eigen::Map<Eigen::VectorXd>(ev.data(), static_cast<Eigen::Index>(ev.size()));
  out.event_att = Eigen::Map<Eigen::VectorXd>(ea.data(), static_cast<Eigen::Index>(ea.size()));
  out.event_se = Eigen::Map<Eigen::VectorXd>(es.data(), static_cast<Eigen::Index>(es.size()));
  return out;
}

}  // namespace trustmix::evaluate
