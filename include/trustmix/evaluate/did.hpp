#pragma once
// Difference-in-differences with staggered adoption (Callaway and Sant'Anna 2021, no
// covariates, never-treated units as controls, base period g - 1): group-time effects
//   ATT(g, t) = mean_{i in G_g}(Y_it - Y_i,g-1) - mean_{i in C}(Y_it - Y_i,g-1),
// aggregated to an overall effect (post cells, weights proportional to cohort size) and an
// event study by e = t - g. Standard errors from the units' influence functions (the
// aggregation weights are treated as fixed, which slightly understates the aggregate's
// uncertainty when cohort shares are estimated).
//
// Memory: a cell's influence function is non-zero only on its cohort and the never-treated
// units, and it is a closed form of the panel, so it is recomputed where needed instead of
// stored: the work space is O(units + cells), not O(units x cells) (a dense influence
// matrix of 20,000 units x 100 cohorts x 200 periods would take 3 GB).
#include "trustmix/core/error.hpp"
#include "trustmix/core/resources.hpp"
#include "trustmix/evaluate/panel.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
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

namespace detail {

/// The influence function of group-time cell (cohort `units` adopting at g, period t)
/// with never-treated `never`: psi_i = (d_i - mean_G d) / |G| for i in the cohort,
/// -(d_i - mean_C d) / |C| for i never treated, 0 elsewhere, d_i = Y_it - Y_i,g-1.
/// add_influence adds `weight` x psi to `acc` (length: units) and returns ATT(g, t).
inline double add_influence(const Panel& panel, const std::vector<Eigen::Index>& units,
                            const std::vector<Eigen::Index>& never, Eigen::Index g, Eigen::Index t, double weight,
                            Eigen::VectorXd* acc) {
  auto d = [&](Eigen::Index i) { return panel.outcomes(i, t) - panel.outcomes(i, g - 1); };
  double mg = 0.0, mc = 0.0;
  for (const auto i : units) mg += d(i);
  for (const auto i : never) mc += d(i);
  const auto ng = static_cast<double>(units.size()), nc = static_cast<double>(never.size());
  mg /= ng;
  mc /= nc;
  if (acc != nullptr && weight != 0.0) {
    for (const auto i : units) (*acc)(i) += weight * (d(i) - mg) / ng;
    for (const auto i : never) (*acc)(i) -= weight * (d(i) - mc) / nc;
  }
  return mg - mc;
}

/// ||psi|| of one cell without forming psi: sqrt(sum_G (d - mean_G)^2 / |G|^2 + sum_C ...).
inline double influence_norm(const Panel& panel, const std::vector<Eigen::Index>& units,
                             const std::vector<Eigen::Index>& never, Eigen::Index g, Eigen::Index t) {
  auto part = [&](const std::vector<Eigen::Index>& set) {
    double m = 0.0, ss = 0.0;
    for (const auto i : set) m += panel.outcomes(i, t) - panel.outcomes(i, g - 1);
    m /= static_cast<double>(set.size());
    for (const auto i : set) {
      const double r = panel.outcomes(i, t) - panel.outcomes(i, g - 1) - m;
      ss += r * r;
    }
    return ss / (static_cast<double>(set.size()) * static_cast<double>(set.size()));
  };
  return std::sqrt(part(units) + part(never));
}

}  // namespace detail

/// adoption[i] = first treated period of unit i, or -1 if never treated.
inline StaggeredDidResult staggered_did(const Panel& panel, const std::vector<Eigen::Index>& adoption) {
  const Eigen::Index n = panel.n_units(), T = panel.n_periods();
  if (static_cast<Eigen::Index>(adoption.size()) != n) fail("adoption has ", adoption.size(), " entries for ", n, " units");
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
  // Cells: every cohort x every period but its base period. Their outputs (cohort, period,
  // att, se: 4 numbers each) and one accumulator per event time are all that is stored.
  const auto m = static_cast<Eigen::Index>(cohorts.size()) * (T - 1);
  require_memory(8.0 * (4.0 * static_cast<double>(m) + 4.0 * static_cast<double>(T) + 2.0 * static_cast<double>(n)),
                 "staggered_did's group-time cells (" + std::to_string(m) + ")",
                 "use fewer periods (aggregate to weeks) or fewer adoption dates");
  StaggeredDidResult out;
  out.cell_cohort.reserve(static_cast<std::size_t>(m));
  out.cell_period.reserve(static_cast<std::size_t>(m));
  out.cell_att.resize(m);
  out.cell_se.resize(m);
  std::vector<const std::vector<Eigen::Index>*> cell_units;
  cell_units.reserve(static_cast<std::size_t>(m));
  Eigen::Index c = 0;
  for (const auto& [g, units] : cohorts)
    for (Eigen::Index t = 0; t < T; ++t) {
      if (t == g - 1) continue;
      out.cell_cohort.push_back(g);
      out.cell_period.push_back(t);
      cell_units.push_back(&units);
      out.cell_att(c) = detail::add_influence(panel, units, never, g, t, 0.0, nullptr);
      out.cell_se(c) = detail::influence_norm(panel, units, never, g, t);
      ++c;
    }
  // An aggregate sum_c w_c ATT(g, t) with w proportional to cohort size over the selected
  // cells; its influence function sum_c w_c psi_c is accumulated cell by cell.
  auto aggregate = [&](const std::vector<Eigen::Index>& cells, double& est, double& se) {
    double total = 0.0;
    for (const auto k : cells) total += static_cast<double>(cell_units[static_cast<std::size_t>(k)]->size());
    if (total <= 0.0) return false;
    Eigen::VectorXd acc = Eigen::VectorXd::Zero(n);
    est = 0.0;
    for (const auto k : cells) {
      const auto ku = static_cast<std::size_t>(k);
      const double w = static_cast<double>(cell_units[ku]->size()) / total;
      est += w * detail::add_influence(panel, *cell_units[ku], never, out.cell_cohort[ku], out.cell_period[ku], w, &acc);
    }
    se = acc.norm();
    return true;
  };
  std::vector<Eigen::Index> post;
  std::vector<std::vector<Eigen::Index>> by_event(static_cast<std::size_t>(2 * T - 1));  // e + T - 1
  for (Eigen::Index k = 0; k < m; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    const Eigen::Index e = out.cell_period[ku] - out.cell_cohort[ku];
    if (e >= 0) post.push_back(k);
    by_event[static_cast<std::size_t>(e + T - 1)].push_back(k);
  }
  aggregate(post, out.att, out.att_se);
  std::vector<double> ev, ea, es;
  for (Eigen::Index e = -(T - 1); e < T; ++e) {
    double est = 0.0, se = 0.0;
    if (aggregate(by_event[static_cast<std::size_t>(e + T - 1)], est, se))
      ev.push_back(static_cast<double>(e)), ea.push_back(est), es.push_back(se);
  }
  out.event_time = Eigen::Map<Eigen::VectorXd>(ev.data(), static_cast<Eigen::Index>(ev.size()));
  out.event_att = Eigen::Map<Eigen::VectorXd>(ea.data(), static_cast<Eigen::Index>(ea.size()));
  out.event_se = Eigen::Map<Eigen::VectorXd>(es.data(), static_cast<Eigen::Index>(es.size()));
  return out;
}

}  // namespace trustmix::evaluate
