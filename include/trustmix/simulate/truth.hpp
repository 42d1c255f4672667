#pragma once
// Ground truth by counterfactual re-simulation (MODEL.md section 4).
//
// For a piece of marketing X (a channel, a campaign or a PR activity) with active periods
// W = [w0, w1] and lag L = ceil(short_term_lag_days / D):
//
//   incremental[t] = E conversions[t | world] - E conversions[t | world without X]
//   short_term     = sum_{t = w0}^{w1 + L} incremental[t]
//   long_term      = sum_{t > w1 + L} incremental[t]        (periods before w0 add exactly 0)
//   roas           = incremental revenue / cost   (gross: revenue per unit of cost)
//   roi            = (incremental revenue - cost) / cost = roas - 1   (net, as TrustFit.roi's roi_total)
//   marginal_roi   = (R(1.01 spend) - R(spend) - 0.01 spend) / (0.01 spend)   (net, as TrustFit.roi's)
//
// E is the exact expected-value chain (no sampling noise), evaluated for the same
// realised PR coverage. For agent mode, realised_channel_increments() also re-runs the
// agents with common random numbers, so every difference is caused by the removal.
//
// TruthOptions give the channels' truth the estimand of TrustFit.roi (docs/validation.md):
// one window W = [window_start, window_end] for every channel, whose activity in W only is
// removed (campaign spend, PR mentions and costs, organic impressions; everything else,
// including the coverage draws, unchanged), sums over the T data periods plus `horizon`
// periods after them in which there is no marketing and no event, and the lag L given in
// periods (the model's adstock lag max_lag).
#include <Eigen/Core>

#include <cmath>
#include <string>
#include <vector>

#include "trustmix/simulate/engine.hpp"
#include "trustmix/simulate/world.hpp"

namespace trustmix::simulate {

/// Incremental effect of one piece of marketing (currency and conversions over the run).
struct EffectTruth {
  std::string name;
  std::string channel;
  double cost = 0.0;
  double conversions = 0.0, revenue = 0.0;
  double short_conversions = 0.0, long_conversions = 0.0;
  double short_revenue = 0.0, long_revenue = 0.0;
  double marginal_roi = std::nan("");  ///< net return on the next 1% of paid spend; channels with paid spend only
  int window_start = -1, window_end = -1;  ///< active periods (inclusive); -1 if never active
  /// Incremental revenue per unit of cost (gross; peers' "ROAS", Meridian's "ROI"); NaN without cost.
  [[nodiscard]] double roas() const { return cost > 0.0 ? revenue / cost : std::nan(""); }
  /// (incremental revenue - cost) / cost = roas() - 1: the net return, TrustFit.roi's definition; NaN without cost.
  [[nodiscard]] double roi() const { return cost > 0.0 ? (revenue - cost) / cost : std::nan(""); }
};

struct Truth {
  std::vector<EffectTruth> channels, campaigns, activities;
  Eigen::MatrixXd channel_incremental_conversions;  ///< (T + horizon) x C, expected
  Eigen::MatrixXd channel_incremental_revenue;      ///< (T + horizon) x C, expected
  Expected baseline;                                ///< expected trajectories of the world as given (T + horizon periods)
  int lag_periods = 0;
  int horizon = 0;
};

/// What the channels' truth measures (defaults: today's definition, each channel's whole
/// activity removed, the data's periods only, L from short_term_lag_days).
struct TruthOptions {
  /// Activity window W in periods (inclusive) for every channel; -1: each channel's own
  /// first to last active period, with the whole channel removed.
  int window_start = -1, window_end = -1;
  /// Periods after the data (opt.periods) counted too; no marketing and no events there.
  int horizon = 0;
  /// Short-term lag L in periods; -1: ceil(short_term_lag_days / period_days).
  int lag_periods = -1;
};

namespace detail {
inline void split_effect(const Expected& base, const Expected& cf, int S, int T, int w0, int w1, int lag, EffectTruth& e,
                         double* per_period_conv = nullptr, double* per_period_rev = nullptr, Eigen::Index stride = 1) {
  for (int t = 0; t < T; ++t) {
    double dc = 0.0, dr = 0.0;
    for (int s = 0; s < S; ++s) {
      const auto i = static_cast<std::size_t>(t) * S + s;
      dc += base.conversions[i] - cf.conversions[i];
      dr += base.revenue[i] - cf.revenue[i];
    }
    if (per_period_conv) per_period_conv[t * stride] = dc;
    if (per_period_rev) per_period_rev[t * stride] = dr;
    e.conversions += dc;
    e.revenue += dr;
    if (w0 >= 0 && t > w1 + lag) {
      e.long_conversions += dc;
      e.long_revenue += dr;
    } else {
      e.short_conversions += dc;
      e.short_revenue += dr;
    }
  }
}
}  // namespace detail

/// Ground truth for every channel, campaign and PR activity of the world, for a run of
/// `opt` with the given people per segment (full sizes for segment mode,
/// agent_population() for agent mode).
[[nodiscard]] inline Truth ground_truth(const World& world, const RunOptions& data_opt,
                                        const std::vector<double>& population, const TruthOptions& topt = {}) {
  detail::check_options(data_opt);
  const int data_T = data_opt.periods;
  const bool windowed = topt.window_start >= 0 || topt.window_end >= 0;
  if (windowed && !(topt.window_start >= 0 && topt.window_start <= topt.window_end && topt.window_end < data_T))
    fail("truth window must satisfy 0 <= window_start <= window_end < periods (", data_T, "), got [", topt.window_start,
         ", ", topt.window_end, "]");
  if (topt.horizon < 0 || topt.horizon > 100000) fail("truth horizon must be in [0, 100000] periods, got ", topt.horizon);
  if (topt.lag_periods < -1) fail("truth lag_periods must be >= 0 (or -1 for short_term_lag_days), got ", topt.lag_periods);
  RunOptions opt = data_opt;
  opt.periods = data_T + topt.horizon;
  const auto& spec = world.spec();
  const int S = world.segments(), C = world.channels(), T = opt.periods, D = opt.period_days;
  Truth tr;
  tr.horizon = topt.horizon;
  tr.lag_periods = topt.lag_periods >= 0 ? topt.lag_periods
                                         : static_cast<int>(std::ceil(spec.short_term_lag_days / D - 1e-12));
  Variant base_v = world.baseline_variant();
  if (topt.horizon > 0) base_v.activity_end = data_T - 1;
  tr.baseline = expected_chain(world, base_v, opt, population);
  const Drive drive = world.drive(base_v, T, D);
  double scale = 0.0, full = 0.0;
  for (int s = 0; s < S; ++s) {
    scale += population[static_cast<std::size_t>(s)];
    full += spec.audiences[static_cast<std::size_t>(s)].size;
  }
  scale = full > 0.0 ? scale / full : 1.0;
  tr.channel_incremental_conversions = Eigen::MatrixXd::Zero(T, C);
  tr.channel_incremental_revenue = Eigen::MatrixXd::Zero(T, C);
  const Eigen::MatrixXd camp_spend = world.campaign_spend(T, D);
  for (int c = 0; c < C; ++c) {
    EffectTruth e;
    e.name = e.channel = spec.channels[static_cast<std::size_t>(c)].channel.name;
    Variant v = base_v;
    v.channel_off[static_cast<std::size_t>(c)] = 1;
    if (windowed) {
      v.edit_begin = topt.window_start;
      v.edit_end = topt.window_end;
      e.cost = drive.spend.col(c).segment(topt.window_start, topt.window_end - topt.window_start + 1).sum() * scale;
      e.window_start = topt.window_start;
      e.window_end = topt.window_end;
    } else {
      e.cost = drive.spend.col(c).sum() * scale;
      e.window_start = drive.first_active[static_cast<std::size_t>(c)];
      e.window_end = drive.last_active[static_cast<std::size_t>(c)];
    }
    const Expected cf = expected_chain(world, v, opt, population);
    detail::split_effect(tr.baseline, cf, S, T, e.window_start, e.window_end, tr.lag_periods, e,
                         tr.channel_incremental_conversions.col(c).data(), tr.channel_incremental_revenue.col(c).data());
    double paid = 0.0;
    const int p0 = windowed ? topt.window_start : 0, p1 = windowed ? topt.window_end : data_T - 1;
    for (std::size_t k = 0; k < spec.campaigns.size(); ++k)
      if (world.plan().channel_position(spec.campaigns[k].channel) == static_cast<std::size_t>(c))
        paid += camp_spend.col(static_cast<Eigen::Index>(k)).segment(p0, p1 - p0 + 1).sum();
    if (paid > 0.0) {
      Variant up = base_v;
      up.spend_scale[static_cast<std::size_t>(c)] = 1.01;
      up.edit_begin = p0;
      up.edit_end = p1;
      const Expected hi = expected_chain(world, up, opt, population);
      double dr = 0.0;
      for (std::size_t i = 0; i < hi.revenue.size(); ++i) dr += hi.revenue[i] - tr.baseline.revenue[i];
      e.marginal_roi = (dr - 0.01 * paid * scale) / (0.01 * paid * scale);  // net of the extra spend
    }
    tr.channels.push_back(e);
  }
  for (std::size_t k = 0; k < spec.campaigns.size(); ++k) {
    const auto& cp = spec.campaigns[k];
    EffectTruth e;
    e.name = cp.name;
    e.channel = cp.channel;
    e.cost = camp_spend.col(static_cast<Eigen::Index>(k)).head(data_T).sum() * scale;
    e.window_start = std::max(0, world.period_of(cp.start, D));
    e.window_end = std::min(data_T - 1, world.period_of(cp.end, D));
    if (world.period_of(cp.end, D) < 0 || e.window_start >= data_T) e.window_start = e.window_end = -1;
    Variant v = base_v;
    v.campaign_off[k] = 1;
    detail::split_effect(tr.baseline, expected_chain(world, v, opt, population), S, T, e.window_start, e.window_end,
                         tr.lag_periods, e);
    tr.campaigns.push_back(e);
  }
  for (std::size_t a = 0; a < spec.pr_activities.size(); ++a) {
    const auto& act = spec.pr_activities[a];
    EffectTruth e;
    e.name = act.name;
    e.channel = act.channel;
    const int t0 = world.period_of(act.date, D);
    e.cost = (t0 >= 0 && t0 < data_T ? act.cost : 0.0) * scale;
    e.window_start = t0 >= 0 && t0 < data_T ? t0 : -1;
    e.window_end = e.window_start < 0 ? -1 : std::min(data_T - 1, world.period_of(act.date + (act.duration_days - 1), D));
    Variant v = base_v;
    v.activity_off[a] = 1;
    detail::split_effect(tr.baseline, expected_chain(world, v, opt, population), S, T, e.window_start, e.window_end,
                         tr.lag_periods, e);
    tr.activities.push_back(e);
  }
  return tr;
}

/// Realised incremental conversions per period and channel (T x C) in agent mode: the
/// agents are re-run with each channel removed and the same random numbers (common
/// random numbers), and the difference to `base` (a run of the same world and options)
/// is taken.
[[nodiscard]] inline Eigen::MatrixXd realised_channel_increments(const World& world, const RunOptions& opt,
                                                                 const RunResult& base) {
  RunOptions o = opt;
  o.record_touches = false;
  const int S = world.segments(), C = world.channels(), T = opt.periods;
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(T, C);
  for (int c = 0; c < C; ++c) {
    Variant v = world.baseline_variant();
    v.channel_off[static_cast<std::size_t>(c)] = 1;
    const RunResult cf = run_agent(world, v, o);
    for (int t = 0; t < T; ++t)
      for (int s = 0; s < S; ++s) {
        const auto i = static_cast<std::size_t>(t) * S + s;
        out(t, c) += base.conversions[i] - cf.conversions[i];
      }
  }
  return out;
}

}  // namespace trustmix::simulate
