#pragma once
// Geo experiments and holdouts in the simulated world, with their true effect.
//
// A geo world is one WorldSpec (the market of a region of size 1) run in R regions. Region
// r has its own population and media scaled by size_r: every audience's size by size_r x
// mix_r[audience] (rounded to whole people), campaign budgets and schedules, PR costs and
// outlet reach and organic impressions by size_r, so frequencies (impressions per
// reachable person) are those of the reference world; base conversion rates are multiplied
// by conversion_scale_r. Everything dated (campaign flights, PR activities, crises,
// seasonality) is common to all regions; each region draws its own PR coverage and its
// own people's states (seed derive(seed, r + 1)), so regions share the common factors and
// differ by their mix and by noise.
//
// The test: in the treated regions, the paid spend of one channel is multiplied by m over
// periods [start, end] (m = 0: the channel goes dark, a holdout; m = 2: doubled). The
// truth is the exact expected-value chain of each treated region with and without the
// test (same region, same coverage):
//
//   incremental[r, t] = E conversions[r, t | test] - E conversions[r, t | no test]
//
// (0 for control regions and before start; after end it is the carry-over). The true
// average effect on the treated over the window is
//   att = mean over treated r and t in [start, end] of incremental[r, t].
// The realised outcome of a treated region is its segment-mode run under the test; the
// realised increment is that run minus its run without the test (common random numbers:
// the draws are keyed by seed, segment, period and cell).
#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/core/resources.hpp"
#include "trustmix/simulate/engine.hpp"
#include "trustmix/simulate/rng.hpp"
#include "trustmix/simulate/world.hpp"

namespace trustmix::simulate {

/// One region of a geo world.
struct Region {
  std::string name;
  double size = 1.0;  ///< multiplier of population and media of the reference world (> 0)
  /// Per-audience multiplier of its size on top of `size` (>= 0; missing audiences: 1).
  std::map<std::string, double> audience_mix;
  /// Multiplier of every audience's base conversion rate (> 0; the product must stay <= 1).
  double conversion_scale = 1.0;
};

/// A geo experiment (or holdout) on one channel.
struct GeoTest {
  std::vector<std::string> treated;  ///< region names
  std::string channel;               ///< the tested channel (paid spend)
  int start = 0, end = 0;            ///< test window in periods, inclusive
  double spend_multiplier = 0.0;     ///< paid spend of `channel` in treated regions in the window x this (0: dark)
};

/// Outcomes and truth of a geo experiment: matrices are regions x periods.
struct GeoResult {
  std::vector<std::string> regions;
  std::vector<char> treated;                 ///< per region
  int start = 0, end = 0;                    ///< the window (inclusive)
  Eigen::MatrixXd conversions, revenue;      ///< realised (treated regions under the test)
  Eigen::MatrixXd expected_conversions;      ///< exact chain as run (treated: under the test)
  Eigen::MatrixXd counterfactual_conversions;  ///< exact chain without the test
  Eigen::MatrixXd incremental_conversions;   ///< expected - counterfactual (0 for controls)
  Eigen::MatrixXd incremental_revenue;       ///< the same in currency
  Eigen::MatrixXd realised_incremental_conversions;  ///< realised run - realised run without the test
  Eigen::MatrixXd spend;                     ///< paid spend of the tested channel as run
  Eigen::MatrixXd incremental_spend;         ///< spend - spend without the test
  double att = 0.0;           ///< mean incremental conversions per treated region and window period
  double att_realised = 0.0;  ///< the same from the realised increments
};

namespace detail {

/// The reference world scaled to region `g` (see the header comment).
inline WorldSpec region_spec(const WorldSpec& base, const Region& g) {
  WorldSpec w = base;
  for (auto& a : w.audiences) {
    const auto it = g.audience_mix.find(a.name);
    const double mix = it == g.audience_mix.end() ? 1.0 : it->second;
    a.size = std::round(a.size * g.size * mix);
    a.base_conversion_rate *= g.conversion_scale;
    if (a.base_conversion_rate > 1.0)
      fail("region '", g.name, "': conversion_scale ", g.conversion_scale, " makes audience '", a.name,
           "''s base conversion rate ", a.base_conversion_rate, " > 1");
  }
  for (auto& c : w.campaigns) {
    c.budget *= g.size;
    for (auto& e : c.schedule) e.amount *= g.size;
  }
  for (auto& p : w.pr_activities) {
    p.outlet_reach *= g.size;
    p.cost *= g.size;
  }
  for (auto& c : w.channels) c.organic_impressions *= g.size;
  return w;
}

inline void check_geo(const WorldSpec& base, const std::vector<Region>& regions, const GeoTest& test, const RunOptions& opt,
                      std::vector<char>& treated) {
  if (regions.size() < 2) fail("a geo world needs at least 2 regions, got ", regions.size());
  std::set<std::string> names, audiences;
  for (const auto& a : base.audiences) audiences.insert(a.name);
  for (const auto& g : regions) {
    trustmix::detail::require_name(g.name, "Region");
    if (!names.insert(g.name).second) fail("region '", g.name, "' is listed twice");
    if (!(g.size > 0.0 && std::isfinite(g.size)))
      fail("region '", g.name, "': size must be a finite number > 0, got ", g.size);
    if (!(g.conversion_scale > 0.0 && std::isfinite(g.conversion_scale)))
      fail("region '", g.name, "': conversion_scale must be a finite number > 0, got ", g.conversion_scale);
    for (const auto& [a, v] : g.audience_mix) {
      if (!audiences.contains(a)) fail("region '", g.name, "': audience_mix names unknown audience '", a, "'");
      if (!(v >= 0.0 && std::isfinite(v))) fail("region '", g.name, "': audience_mix['", a, "'] must be >= 0, got ", v);
    }
  }
  treated.assign(regions.size(), 0);
  if (test.treated.empty()) fail("the geo test must treat at least one region");
  for (const auto& t : test.treated) {
    std::size_t r = 0;
    while (r < regions.size() && regions[r].name != t) ++r;
    if (r == regions.size()) fail("treated region '", t, "' is not a region of the geo world");
    if (treated[r]) fail("treated lists region '", t, "' twice");
    treated[r] = 1;
  }
  if (test.treated.size() >= regions.size()) fail("every region is treated: at least one control region is needed");
  bool known = false;
  for (const auto& c : base.channels) known = known || c.channel.name == test.channel;
  if (!known) fail("the geo test's channel '", test.channel, "' is not a channel of the world");
  if (!(test.start >= 0 && test.start <= test.end && test.end < opt.periods))
    fail("the geo test window must satisfy 0 <= start <= end < periods (", opt.periods, "), got [", test.start, ", ",
         test.end, "]");
  if (!(test.spend_multiplier >= 0.0 && std::isfinite(test.spend_multiplier)) || test.spend_multiplier == 1.0)
    fail("spend_multiplier must be a finite number >= 0 other than 1 (0: the channel goes dark), got ",
         test.spend_multiplier);
}

/// Sum over segments of a T*S table (index t * S + s) into row r of out.
inline void sum_segments(const std::vector<double>& v, int S, Eigen::MatrixXd& out, Eigen::Index r) {
  for (Eigen::Index t = 0; t < out.cols(); ++t) {
    double x = 0.0;
    for (int s = 0; s < S; ++s) x += v[static_cast<std::size_t>(t * S + s)];
    out(r, t) = x;
  }
}

}  // namespace detail

/// Runs the reference world `base` in every region (segment mode), the treated regions
/// under `test`, and returns outcomes with the true effect. Deterministic for a seed on
/// any thread count (regions run in parallel, one thread each).
[[nodiscard]] inline GeoResult run_geo_experiment(const WorldSpec& base, const std::vector<Region>& regions,
                                                  const GeoTest& test, const RunOptions& opt, std::uint64_t seed) {
  detail::check_options(opt);
  GeoResult out;
  detail::check_geo(base, regions, test, opt, out.treated);
  const auto R = static_cast<Eigen::Index>(regions.size());
  const int T = opt.periods;
  require_memory(8.0 * 10.0 * static_cast<double>(R) * static_cast<double>(T), "the geo experiment's region tables",
                 "use fewer regions or periods");
  out.start = test.start;
  out.end = test.end;
  for (const auto& g : regions) out.regions.push_back(g.name);
  Eigen::MatrixXd z = Eigen::MatrixXd::Zero(R, T);
  out.conversions = out.revenue = out.expected_conversions = out.counterfactual_conversions = z;
  out.incremental_conversions = out.incremental_revenue = out.realised_incremental_conversions = z;
  out.spend = out.incremental_spend = z;
  // Worlds are built (validated, coverage drawn) up front, so a bad region fails before any run.
  std::vector<World> worlds;
  worlds.reserve(regions.size());
  for (std::size_t r = 0; r < regions.size(); ++r)
    worlds.emplace_back(detail::region_spec(base, regions[r]), derive(seed, r + 1));
  const int channel = worlds.front().channel_index(test.channel);
  RunOptions one = opt;
  one.threads = 1;
  for (Eigen::Index r = 0; r < R; ++r) {
    if (!out.treated[static_cast<std::size_t>(r)]) continue;
    const World& w = worlds[static_cast<std::size_t>(r)];
    Variant v = w.baseline_variant();
    v.spend_scale[static_cast<std::size_t>(channel)] = test.spend_multiplier;
    v.edit_begin = test.start;
    v.edit_end = test.end;
    const Eigen::MatrixXd moved = w.drive(v, T, opt.period_days).spend -
                                  w.drive(w.baseline_variant(), T, opt.period_days).spend;
    if (!(moved.col(channel).cwiseAbs().sum() > 0.0))
      fail("the geo test changes nothing in region '", regions[static_cast<std::size_t>(r)].name, "': channel '",
           test.channel, "' has no paid spend in periods [", test.start, ", ", test.end, "]");
  }
  parallel_for_blocks(R, opt.threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (std::ptrdiff_t r = b; r < e; ++r) {
      const World& w = worlds[static_cast<std::size_t>(r)];
      const int S = w.segments();
      const Variant none = w.baseline_variant();
      const RunResult base_run = run_segment(w, none, one);
      if (!out.treated[static_cast<std::size_t>(r)]) {
        detail::sum_segments(base_run.conversions, S, out.conversions, r);
        detail::sum_segments(base_run.revenue, S, out.revenue, r);
        detail::sum_segments(base_run.expected_conversions, S, out.expected_conversions, r);
        out.counterfactual_conversions.row(r) = out.expected_conversions.row(r);
        out.spend.row(r) = base_run.spend.col(channel).transpose();
        continue;
      }
      Variant v = none;
      v.spend_scale[static_cast<std::size_t>(channel)] = test.spend_multiplier;
      v.edit_begin = test.start;
      v.edit_end = test.end;
      const RunResult run = run_segment(w, v, one);
      const Expected cf = expected_chain(w, none, one, detail::full_population(w));
      const Expected as_run = expected_chain(w, v, one, detail::full_population(w));
      detail::sum_segments(run.conversions, S, out.conversions, r);
      detail::sum_segments(run.revenue, S, out.revenue, r);
      detail::sum_segments(as_run.conversions, S, out.expected_conversions, r);
      detail::sum_segments(cf.conversions, S, out.counterfactual_conversions, r);
      Eigen::MatrixXd rev_run = Eigen::MatrixXd::Zero(1, T), rev_cf = Eigen::MatrixXd::Zero(1, T);
      detail::sum_segments(as_run.revenue, S, rev_run, 0);
      detail::sum_segments(cf.revenue, S, rev_cf, 0);
      out.incremental_revenue.row(r) = rev_run - rev_cf;
      Eigen::MatrixXd base_conv = Eigen::MatrixXd::Zero(1, T);
      detail::sum_segments(base_run.conversions, S, base_conv, 0);
      out.realised_incremental_conversions.row(r) = out.conversions.row(r) - base_conv;
      out.spend.row(r) = run.spend.col(channel).transpose();
      out.incremental_spend.row(r) = (run.spend.col(channel) - base_run.spend.col(channel)).transpose();
    }
  });
  out.incremental_conversions = out.expected_conversions - out.counterfactual_conversions;
  const int L = test.end - test.start + 1;
  double n = 0.0, a = 0.0, ar = 0.0;
  for (Eigen::Index r = 0; r < R; ++r) {
    if (!out.treated[static_cast<std::size_t>(r)]) continue;
    a += out.incremental_conversions.row(r).segment(test.start, L).sum();
    ar += out.realised_incremental_conversions.row(r).segment(test.start, L).sum();
    n += L;
  }
  out.att = a / n;
  out.att_realised = ar / n;
  return out;
}

}  // namespace trustmix::simulate
