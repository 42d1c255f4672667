#pragma once
// Design of geo experiments by simulation (as GeoLift's GeoLiftPower and
// GeoLiftMarketSelection do): for a candidate set of treated units and a test length, the
// last `n_windows` windows of history play the test window in turn; a relative lift e is
// injected into the treated units' outcomes there, the estimator is fitted on the periods
// before and the conformal test run. Power(e) = share of windows where p <= alpha; the
// minimum detectable effect (MDE) is the smallest |e| of the grid with power >= target;
// the bias at zero is the mean estimated lift when nothing was injected.
#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/evaluate/conformal.hpp"
#include "trustmix/evaluate/synthetic_control.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <tuple>
#include <vector>

namespace trustmix::evaluate {

struct PowerOptions {
  /// Relative lifts injected (0.05 = +5% on the treated units' outcomes in the window).
  std::vector<double> effects{0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2};
  /// Simulated test windows: those ending at the last period, one before, ... (GeoLift's
  /// lookback window).
  int n_windows = 3;
  double alpha = 0.1;
  double power_target = 0.8;
  SyntheticControlOptions synthetic_control;  ///< aggregation is always "average" here
  ConformalOptions conformal{Permutation::iid, 200, 1.0, 0.1, 0, false, 41};
  int threads = 0;
};

/// Power of one design (treated set, duration) over the effect grid.
struct PowerCurve {
  std::vector<Eigen::Index> treated;
  Eigen::Index duration = 0;
  Eigen::VectorXd effects;        ///< injected relative lifts
  Eigen::VectorXd power;          ///< share of windows with p <= alpha
  Eigen::VectorXd estimated_lift; ///< mean estimated relative lift over windows
  Eigen::VectorXd mean_p_value;
  double mde = std::numeric_limits<double>::quiet_NaN();  ///< smallest |effect| with power >= target; NaN if none
  double bias_at_zero = 0.0;          ///< mean estimated lift with nothing injected
  double scaled_l2_imbalance = 0.0;   ///< mean over windows
  double att_scale = 0.0;             ///< mean synthetic outcome per geo-period in the windows (to turn lifts into units)
};

struct MarketSelectionOptions {
  std::vector<Eigen::Index> sizes{2, 3, 4, 5};   ///< numbers of treated units
  std::vector<Eigen::Index> durations{10, 15};   ///< test lengths in periods
  /// Explicit candidate sets (panel rows); when empty, each unit with its size - 1 most
  /// correlated units (Pearson correlation of the whole series) forms a candidate.
  std::vector<std::vector<Eigen::Index>> candidates;
  /// Units never treated (e.g. markets with other campaigns); they stay donors.
  std::vector<Eigen::Index> exclude;
  PowerOptions power;
};

/// Market selection result: one row per (candidate, duration), best first.
struct MarketSelection {
  Eigen::VectorXd effects;
  std::vector<PowerCurve> designs;
};

namespace detail {

inline void check_power(const PowerOptions& o) {
  if (o.effects.empty()) fail("effects must hold at least one relative lift");
  for (const double e : o.effects)
    if (!std::isfinite(e) || e <= -1.0) fail("effects must be finite relative lifts > -1, got ", e);
  if (o.n_windows < 1) fail("n_windows must be >= 1, got ", o.n_windows);
  trustmix::detail::require_in_range(o.alpha, "alpha", 0.0, 1.0, true, true);
  trustmix::detail::require_in_range(o.power_target, "power_target", 0.0, 1.0, true, false);
  check_conformal(o.conformal);
}

/// One design's power curve; `plans[k]` is the permutation plan of window k.
inline PowerCurve power_curve(const Panel& panel, const std::vector<Eigen::Index>& treated, Eigen::Index duration,
                              const PowerOptions& o, const std::vector<PermutationPlan>& plans) {
  const Eigen::Index T = panel.n_periods();
  const std::vector<Eigen::Index> donors = donors_of(panel, treated);
  const auto n_eff = static_cast<Eigen::Index>(o.effects.size());
  PowerCurve c;
  c.treated = treated;
  c.duration = duration;
  c.effects = Eigen::Map<const Eigen::VectorXd>(o.effects.data(), n_eff);
  c.power = c.estimated_lift = c.mean_p_value = Eigen::VectorXd::Zero(n_eff);
  SyntheticControlOptions so = o.synthetic_control;
  so.aggregation = Aggregation::average;
  const Eigen::MatrixXd Dall = series_of(panel, donors, T);
  const Eigen::VectorXd xall = series_of(panel, treated, T).rowwise().mean();
  for (int k = 0; k < o.n_windows; ++k) {
    const Eigen::Index end = T - k, start = end - duration;
    const Eigen::MatrixXd D = Dall.topRows(end);
    const Eigen::VectorXd x = xall.head(end);
    const double zeta2 = so.method == Method::synthetic_did ? sdid_zeta2(D, start, duration, treated.size()) : 0.0;
    const MatchProblem all = make_problem(D, end, so, zeta2);
    // The point estimator itself (for synthetic DiD: with its time weights), so the estimated
    // lift and the bias at zero are those the analysis would report.
    const SyntheticControlFit fit = fit_series(D, x, start, end, treated.size(), so);
    const Eigen::VectorXd synth_post = fit.synthetic.tail(duration);
    const double synth_sum = synth_post.sum();
    if (!(synth_sum > 0.0))
      fail("power: the synthetic control's total over the ", duration, "-period window ending at ", end, " is ", synth_sum,
           ", not positive: relative lifts need positive outcomes");
    c.att_scale += synth_sum / static_cast<double>(duration) / o.n_windows;
    c.scaled_l2_imbalance += fit.scaled_l2_imbalance / o.n_windows;
    c.bias_at_zero += (x.tail(duration).sum() - synth_sum) / synth_sum / o.n_windows;
    Eigen::VectorXd warm;
    for (Eigen::Index e = 0; e < n_eff; ++e) {
      Eigen::VectorXd xe = x;
      xe.tail(duration) *= 1.0 + o.effects[static_cast<std::size_t>(e)];
      const double est = (xe.tail(duration).sum() - synth_sum) / synth_sum;
      // Null refit on all periods under "no effect", then the permutation test.
      const auto r = all.solve(xe, warm.size() ? &warm : nullptr);
      if ((r.weights.array() >= 0.0).all()) warm = r.weights;
      const double p = plans[static_cast<std::size_t>(k)].p_value(r.residual, o.conformal.q, o.conformal.statistic);
      c.estimated_lift(e) += est / o.n_windows;
      c.mean_p_value(e) += p / o.n_windows;
      c.power(e) += (p <= o.alpha ? 1.0 : 0.0) / o.n_windows;
    }
  }
  for (Eigen::Index e = 0; e < n_eff; ++e) {
    const double eff = std::abs(c.effects(e));
    if (eff > 0.0 && c.power(e) >= o.power_target && !(eff >= c.mde)) c.mde = eff;
  }
  return c;
}

inline std::vector<PermutationPlan> plans_for(Eigen::Index T, Eigen::Index duration, const PowerOptions& o) {
  std::vector<PermutationPlan> plans;
  plans.reserve(static_cast<std::size_t>(std::max(o.n_windows, 0)));
  for (int k = 0; k < o.n_windows; ++k) plans.emplace_back(T - k, duration, o.conformal);
  return plans;
}

inline void check_design(const Panel& panel, const std::vector<Eigen::Index>& treated, Eigen::Index duration,
                         const PowerOptions& o) {
  const Eigen::Index T = panel.n_periods();
  if (duration < 1) fail("duration must be >= 1 period, got ", duration);
  const Eigen::Index first_start = T - (o.n_windows - 1) - duration;
  validate(panel, Assignment{treated, first_start, T - (o.n_windows - 1)}, o.synthetic_control.min_pre_periods);
}

}  // namespace detail

/// Power curve of one design by simulation over the last n_windows windows of history.
inline PowerCurve power_analysis(const Panel& panel, const std::vector<Eigen::Index>& treated, Eigen::Index duration,
                                 const PowerOptions& options = {}) {
  detail::check_power(options);
  detail::check_design(panel, treated, duration, options);
  return detail::power_curve(panel, treated, duration, options, detail::plans_for(panel.n_periods(), duration, options));
}

/// Candidate treated sets: each unit with its (size - 1) most correlated units.
inline std::vector<std::vector<Eigen::Index>> correlated_candidates(const Panel& panel,
                                                                    const std::vector<Eigen::Index>& sizes,
                                                                    const std::vector<Eigen::Index>& exclude) {
  const Eigen::Index n = panel.n_units();
  Eigen::MatrixXd Z = panel.outcomes.colwise() - panel.outcomes.rowwise().mean();
  for (Eigen::Index i = 0; i < n; ++i) {
    const double norm = Z.row(i).norm();
    if (norm > 0.0) Z.row(i) /= norm;
  }
  const Eigen::MatrixXd corr = Z * Z.transpose();
  std::set<std::vector<Eigen::Index>> seen;
  std::vector<std::vector<Eigen::Index>> out;
  auto excluded = [&](Eigen::Index i) { return std::find(exclude.begin(), exclude.end(), i) != exclude.end(); };
  for (Eigen::Index i = 0; i < n; ++i) {
    if (excluded(i)) continue;
    std::vector<Eigen::Index> order;
    for (Eigen::Index j = 0; j < n; ++j)
      if (j != i && !excluded(j)) order.push_back(j);
    std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return corr(i, a) > corr(i, b); });
    for (const Eigen::Index size : sizes) {
      if (size < 1 || size > static_cast<Eigen::Index>(order.size()) + 1) continue;
      std::vector<Eigen::Index> set{i};
      set.insert(set.end(), order.begin(), order.begin() + (size - 1));
      std::sort(set.begin(), set.end());
      if (seen.insert(set).second) out.push_back(set);
    }
  }
  return out;
}

/// Market selection: the power curve of every candidate set and duration, in parallel
/// (each design is one task; results are identical for any thread count), ranked by MDE
/// (smallest first, designs without one last), then |bias at zero|, then scaled imbalance.
inline MarketSelection market_selection(const Panel& panel, const MarketSelectionOptions& options = {}) {
  detail::check_power(options.power);
  if (options.durations.empty()) fail("durations must hold at least one test length");
  for (const Eigen::Index s : options.sizes)
    if (s < 1 || s >= panel.n_units()) fail("sizes must be in [1, ", panel.n_units() - 1, "], got ", s);
  for (const Eigen::Index e : options.exclude)
    if (e < 0 || e >= panel.n_units()) fail("exclude: unit index ", e, " is not a row of the panel");
  const std::vector<std::vector<Eigen::Index>> candidates = options.candidates.empty()
                                                                ? correlated_candidates(panel, options.sizes,
                                                                                        options.exclude)
                                                                : options.candidates;
  if (candidates.empty()) fail("market_selection: no candidate treated set");
  std::map<Eigen::Index, std::vector<detail::PermutationPlan>> plans;
  for (const Eigen::Index d : options.durations) {
    for (const auto& c : candidates) detail::check_design(panel, c, d, options.power);
    plans.emplace(d, detail::plans_for(panel.n_periods(), d, options.power));
  }
  const auto n_tasks = static_cast<std::ptrdiff_t>(candidates.size() * options.durations.size());
  MarketSelection out;
  out.effects = Eigen::Map<const Eigen::VectorXd>(options.power.effects.data(),
                                                  static_cast<Eigen::Index>(options.power.effects.size()));
  out.designs.resize(static_cast<std::size_t>(n_tasks));
  parallel_for_blocks(
      n_tasks, options.power.threads, 1,
      [&](std::ptrdiff_t b, std::ptrdiff_t e) {
        for (std::ptrdiff_t t = b; t < e; ++t) {
          const auto ci = static_cast<std::size_t>(t) / options.durations.size();
          const Eigen::Index d = options.durations[static_cast<std::size_t>(t) % options.durations.size()];
          out.designs[static_cast<std::size_t>(t)] = detail::power_curve(panel, candidates[ci], d, options.power,
                                                                         plans.at(d));
        }
      },
      4);
  std::stable_sort(out.designs.begin(), out.designs.end(), [](const PowerCurve& a, const PowerCurve& b) {
    const bool ha = std::isfinite(a.mde), hb = std::isfinite(b.mde);
    if (ha != hb) return ha;
    if (ha && a.mde != b.mde) return a.mde < b.mde;
    if (std::abs(a.bias_at_zero) != std::abs(b.bias_at_zero)) return std::abs(a.bias_at_zero) < std::abs(b.bias_at_zero);
    return a.scaled_l2_imbalance < b.scaled_l2_imbalance;
  });
  return out;
}

}  // namespace trustmix::evaluate
