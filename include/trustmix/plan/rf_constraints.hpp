#pragma once
// Frequency caps and reach targets of reach-and-frequency channels as bounds on spend
// (rf.hpp states why they are monotone in spend; docs/plan.md).
//
//   FrequencyCap{c, F, periods}:  s[t, c] <= I_F / q    (average frequency <= F)
//   RfChannel::cap = c (transform): s[t, c] <= (1 - 1e-9) c P / q (the capped_rate chain
//                                   is defined below c impressions per reachable person)
//   ReachTarget per period:        s[t, c] >= I_a / q    (share reached k+ times >= a)
//   ReachTarget over the horizon:  sum_t s[t, c] >= I_a / q (NBD exposures add up)
//
// They merge with the per-cell bounds and channel totals of Constraints. Contradictions
// are errors naming both sides: a cap below committed (fixed) spend, a target above a cap
// or above committed spend's own bound, targets that need more than the budget.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/plan/optimize.hpp"
#include "trustmix/plan/rf.hpp"

namespace trustmix::plan {

/// What apply_rf_constraints derived, per RF entry: the spend bounds per period (H x C,
/// NaN where none) and the channel totals added.
struct RfBounds {
  Matrix lower, upper;
  std::vector<ChannelTotal> totals;
};

/// Adds the caps and targets to k (its lower/upper matrices are created when empty) for a
/// H x C schedule; rf: the planner's RF channels (ForwardSettings::rf).
inline RfBounds apply_rf_constraints(Constraints& k, Eigen::Index H, Eigen::Index C, const std::vector<RfChannel>& rf,
                                     const std::vector<FrequencyCap>& caps, const std::vector<ReachTarget>& targets) {
  RfBounds out;
  out.lower = Matrix::Constant(H, C, std::numeric_limits<double>::quiet_NaN());
  out.upper = out.lower;
  if (caps.empty() && targets.empty() && std::none_of(rf.begin(), rf.end(), [](const RfChannel& c) { return c.cap > 0; }))
    return out;
  if (k.lower.size() == 0) k.lower = Matrix::Zero(H, C);
  if (k.upper.size() == 0) k.upper = Matrix::Constant(H, C, unbounded);
  if (k.lower.rows() != H || k.lower.cols() != C || k.upper.rows() != H || k.upper.cols() != C)
    fail("lower and upper must be ", H, " x ", C, " (periods x channels) or empty");
  auto entry = [&](int channel, const char* what) -> const RfChannel& {
    for (const RfChannel& ch : rf)
      if (ch.channel == channel) return ch;
    fail(what, ": channel ", channel, " is not a reach-and-frequency channel of the planner");
  };
  auto periods_of = [&](const std::vector<int>& p, const char* what) {
    std::vector<int> out_p;
    if (p.empty())
      for (int t = 0; t < H; ++t) out_p.push_back(t);
    for (int t : p) {
      if (t < 0 || t >= H) fail(what, ": period ", t, " is not in 0..", H - 1);
      out_p.push_back(t);
    }
    return out_p;
  };
  auto fixed_at = [&](int t, int c) {
    return k.fixed.size() != 0 && !std::isnan(k.fixed(t, c)) ? k.fixed(t, c) : std::numeric_limits<double>::quiet_NaN();
  };
  auto set_upper = [&](int t, int c, double u, const std::string& why) {
    const double f = fixed_at(t, c);
    if (!std::isnan(f) && f > u * (1.0 + 1e-12))
      fail(why, ": period ", t, " of channel ", c, " has committed (fixed) spend ", f, ", above the ", u,
           " the cap allows; lower the commitment or raise the cap");
    if (u < k.lower(t, c))
      fail(why, ": period ", t, " of channel ", c, " allows at most ", u, ", below its lower bound ", k.lower(t, c));
    k.upper(t, c) = std::min(k.upper(t, c), u);
    out.upper(t, c) = std::isnan(out.upper(t, c)) ? u : std::min(out.upper(t, c), u);
  };
  for (const RfChannel& ch : rf) {
    if (ch.cap <= 0) continue;
    const double u = (1.0 - 1e-9) * static_cast<double>(ch.cap) * ch.reachable() / ch.impressions_per_spend;
    for (int t = 0; t < H; ++t)
      set_upper(t, ch.channel, u,
                "frequency cap " + std::to_string(ch.cap) + " (capped_rate) of channel " + std::to_string(ch.channel));
  }
  for (const FrequencyCap& fc : caps) {
    const RfChannel& ch = entry(fc.channel, "frequency cap");
    const double u = spend_for_max_frequency(ch, fc.max_frequency);
    if (!std::isfinite(u)) continue;
    for (int t : periods_of(fc.periods, "frequency cap"))
      set_upper(
          t, fc.channel, u,
          "maximum average frequency " + std::to_string(fc.max_frequency) + " of channel " + std::to_string(fc.channel));
  }
  double required = 0.0;  // spend the targets need at least (for the budget check)
  std::vector<double> channel_need(static_cast<std::size_t>(C), 0.0);
  for (const ReachTarget& rt : targets) {
    const RfChannel& ch = entry(rt.channel, "reach target");
    const std::string why = "reach target (" + std::to_string(rt.share) + " of the reachable population " +
                            std::to_string(rt.k) + "+ times) of channel " + std::to_string(rt.channel);
    if (rt.per_period) {
      const double l = spend_for_reach_share(ch, rt.k, rt.share);
      for (int t : periods_of(rt.periods, "reach target")) {
        const double f = fixed_at(t, rt.channel);
        if (!std::isnan(f) && f < l * (1.0 - 1e-12))
          fail(why, ": period ", t, " has committed (fixed) spend ", f, ", below the ", l, " the target needs");
        if (l > k.upper(t, rt.channel) * (1.0 + 1e-12))
          fail(why, " cannot be met: period ", t, " needs spend >= ", l, " but its cap or upper bound allows at most ",
               k.upper(t, rt.channel));
        k.lower(t, rt.channel) = std::max(k.lower(t, rt.channel), l);
        out.lower(t, rt.channel) = std::isnan(out.lower(t, rt.channel)) ? l : std::max(out.lower(t, rt.channel), l);
      }
    } else {
      if (!rt.periods.empty()) fail(why, ": a target over the horizon takes no periods");
      const double l = total_spend_for_reach_share(ch, rt.k, rt.share);
      double most = 0.0;
      for (int t = 0; t < H; ++t) most += k.upper(t, rt.channel);
      if (l > most * (1.0 + 1e-12))
        fail(why, " over the horizon cannot be met: it needs a total >= ", l, " but the caps and bounds allow at most ",
             most);
      k.channel_totals.push_back({rt.channel, l, unbounded});
      out.totals.push_back({rt.channel, l, unbounded});
      channel_need[static_cast<std::size_t>(rt.channel)] = std::max(channel_need[static_cast<std::size_t>(rt.channel)], l);
    }
  }
  for (Eigen::Index c = 0; c < C; ++c) {
    double cells = 0.0;
    for (Eigen::Index t = 0; t < H; ++t) {
      const double f = fixed_at(static_cast<int>(t), static_cast<int>(c));
      cells += std::isnan(f) ? k.lower(t, c) : f;
    }
    required += std::max(cells, channel_need[static_cast<std::size_t>(c)]);
  }
  if (std::isfinite(k.budget) && required > k.budget * (1.0 + 1e-12))
    fail("the reach targets and lower bounds need a spend of at least ", required, ", more than the budget ", k.budget,
         ": no plan within the budget meets them");
  return out;
}

}  // namespace trustmix::plan
