#pragma once
// A balanced panel of outcomes (units x periods) and a treatment assignment (which units,
// which window), validated once so every estimator can trust its input.
#include "trustmix/core/error.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace trustmix::evaluate {

/// Outcomes of N units over T periods: outcomes(i, t) is unit i's outcome in period t, in
/// outcome units (conversions, revenue, ...). `units` names the rows (optional: when
/// empty, errors say "unit i").
struct Panel {
  Eigen::MatrixXd outcomes;
  std::vector<std::string> units;

  [[nodiscard]] Eigen::Index n_units() const { return outcomes.rows(); }
  [[nodiscard]] Eigen::Index n_periods() const { return outcomes.cols(); }
  /// The name of unit i for messages.
  [[nodiscard]] std::string label(Eigen::Index i) const {
    if (i >= 0 && static_cast<std::size_t>(i) < units.size()) return "'" + units[static_cast<std::size_t>(i)] + "'";
    return "unit " + std::to_string(i);
  }
};

/// Treatment of `treated` units (row indices) over the periods [start, end): the
/// pre-period is [0, start), the post-period (test window) [start, end). Periods at and
/// after `end` are ignored. end = -1 means the last period.
struct Assignment {
  std::vector<Eigen::Index> treated;
  Eigen::Index start = 0;
  Eigen::Index end = -1;
};

namespace detail {

/// The window end with -1 resolved.
inline Eigen::Index window_end(const Panel& panel, const Assignment& a) { return a.end < 0 ? panel.n_periods() : a.end; }

/// Checks the panel (finite, at least two units and periods, no constant unit) and the
/// assignment (treated units exist, are distinct, leave at least one donor; at least
/// `min_pre` pre-periods and one post-period). Errors name the unit or parameter.
inline void validate(const Panel& panel, const Assignment& a, Eigen::Index min_pre = 3) {
  const Eigen::Index n = panel.n_units(), t = panel.n_periods();
  if (!panel.units.empty() && static_cast<Eigen::Index>(panel.units.size()) != n)
    fail("panel.units has ", panel.units.size(), " names for ", n, " rows of outcomes");
  if (n < 2) fail("the panel needs at least 2 units (treated and donors), got ", n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index s = 0; s < t; ++s)
      if (!std::isfinite(panel.outcomes(i, s)))
        fail("outcome of ", panel.label(i), " in period ", s, " must be finite, got ", panel.outcomes(i, s));
  if (a.treated.empty()) fail("treated must name at least one unit");
  if (min_pre < 2) fail("min_pre_periods must be >= 2 (a fit needs pre-periods to match on), got ", min_pre);
  if (a.start < 0) fail("treatment start must be >= 0 (a period index), got ", a.start);
  std::vector<Eigen::Index> sorted = a.treated;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    if (sorted[k] < 0 || sorted[k] >= n)
      fail("treated unit index ", sorted[k], " is not a row of the panel (0..", n - 1, ")");
    if (k > 0 && sorted[k] == sorted[k - 1]) fail("treated lists ", panel.label(sorted[k]), " twice");
  }
  if (static_cast<Eigen::Index>(sorted.size()) >= n)
    fail("every unit is treated: at least one donor (control) unit is needed");
  const Eigen::Index end = window_end(panel, a);
  if (end > t) fail("treatment end ", end, " is after the last period (", t, " periods)");
  if (a.start < min_pre)
    fail("too few pre-periods: treatment start ", a.start, " leaves ", a.start, " pre-periods, at least ", min_pre,
         " are needed");
  if (end <= a.start) fail("treatment window [", a.start, ", ", end, ") has no post-period");
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto pre = panel.outcomes.row(i).head(a.start);
    if (pre.maxCoeff() == pre.minCoeff())
      fail(panel.label(i), " is constant (", pre.maxCoeff(), ") over the ", a.start,
           " pre-periods: a synthetic control cannot be matched to or built from it");
  }
}

/// Donor rows: every unit not treated, in row order.
inline std::vector<Eigen::Index> donors_of(const Panel& panel, const std::vector<Eigen::Index>& treated) {
  std::vector<Eigen::Index> out;
  for (Eigen::Index i = 0; i < panel.n_units(); ++i)
    if (std::find(treated.begin(), treated.end(), i) == treated.end()) out.push_back(i);
  return out;
}

}  // namespace detail
}  // namespace trustmix::evaluate
