#pragma once
// A regional panel world with the exact truth per region and channel: the data on which a
// geo panel model is checked against truth like the national model (docs/simulate.md,
// "Regional panels").
//
// One WorldSpec (the reference market of size 1) is run in R regions as in geo.hpp
// (detail::region_spec: audiences x size_r x mix_r, conversion rates x conversion_scale_r,
// budgets, PR reach and costs and organic impressions x size_r; everything dated is common;
// each region's people draw from derive(seed, r + 1)), with two additions:
//
//  * national channels (named in GeoPanelOptions::national_channels) are bought or earned
//    nationally: their PR coverage is drawn once, from derive(seed, 0), so every region sees
//    the same mentions on the same days with reach apportioned by size_r, and their paid
//    spend is the national plan x size_r (apportioned by population); with
//    GeoPanelOptions::national_share_sd = sd > 0 region r's delivery of national channel c
//    is size_r x m[r, c] instead (its PR outlet reach and its paid budget), m[r, c] =
//    exp(sd z[r, c]) / sum_q (size_q / sum size) exp(sd z[q, c]), z standard normal from
//    stream(derive(seed, 0x736861), world, c, r): the national delivery is kept while the
//    regions' shares of it are not their population shares (a PR story or a TV buy that
//    lands unevenly), which a model given population shares must acknowledge;
//  * every other channel's paid media are bought by region: in region r the spend of
//    channel c in period t is the plan's x size_r x exp(media_sd z[r, c, t] - media_sd^2 / 2)
//    (mean-one lognormal; z standard normal from stream(derive(seed, 0x67656f), world,
//    r C + c, t)); the campaigns' schedules in region r are rewritten per period (one entry
//    on the first day of the period inside the flight) with those amounts, so spend,
//    impressions and the truth's cost all follow them.
//
// Regions do not interact (no cross-region exposure or word of mouth), so removing a
// national channel nationally changes each region by exactly what removing it in that
// region alone does. The truth of region r and channel c is therefore ground_truth()
// (truth.hpp) of region r's world with the TruthOptions given (window W, horizon H, lag L):
//
//   incremental[r, c, t] = E conv[r, t | world] - E conv[r, t | world without c's activity in W]
//   short = sum_{t <= end(W) + L} incremental,  long = the rest up to T + H - 1
//
// the estimand of TrustFit.roi and SimulationResult.truth_for (docs/validation.md), per
// region; a national channel's national truth is the sum over regions.
//
// Geo tests. With GeoPanelOptions::test (a GeoTest of geo.hpp on a regional channel: one
// not in national_channels) the treated regions run the test inside the panel: their spend
// on the channel in periods [start, end] is the drawn spend x spend_multiplier (0: a
// holdout; every flight of the channel is rewritten per period in a treated region, even
// with media_sd = 0), and the channel's PR activities dated in [start, end] (an earned
// channel's interview tour, open days) have their outlet reach and cost x spend_multiplier
// there: every mention keeps its draw (the activity keeps its place, so the coverage is the
// untested world's) with m times the reach, so 0 takes the activity's exposure, and with it
// its effect on trust, out of the region (its mentions still count in share of voice, and a
// crisis response still softens its crisis: a reach test, not a cancelled activity). The
// panel, its per-channel truth and the regions' worlds are the world as run, test included
// (removing the channel in W removes what the test left of it). The test's own truth is
//
//   test_incremental[r, t] = E conv[r, t | world as run] - E conv[r, t | the same world without the test]
//
// from the exact chains of the two (same people's seeds and coverage draws), 0 for control
// regions; its sum over treated regions and the window plus a cooldown is the lift a geo
// experiment estimates. run_geo_panel_schedule runs the test too (its treated regions keep
// the test in the periods before the schedule).
//
// run_geo_panel_schedule runs the same regional worlds (same regions, seeds, national
// coverage and drawn regional spend) with a given paid-spend schedule for some regional
// channels from a period on: every campaign of a scheduled channel keeps its spend in the
// periods before the schedule's first period and loses the rest; the schedule's amount
// s[r][t, k] is spent on channel k in region r in period start + t (one campaign per
// channel and region, one entry on the first day of each period); the scheduled channels
// have no paid spend after the schedule. It returns each region's exact expected
// conversions and revenue (the expected-value chain, no sampling noise): the world's own
// truth for a plan, e.g. a panel plan (plan/panel.hpp) against the status quo.
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/core/resources.hpp"
#include "trustmix/simulate/engine.hpp"
#include "trustmix/simulate/geo.hpp"
#include "trustmix/simulate/rng.hpp"
#include "trustmix/simulate/truth.hpp"
#include "trustmix/simulate/world.hpp"

namespace trustmix::simulate {

/// How a regional panel is built and what its truth measures.
struct GeoPanelOptions {
  /// Channels bought or earned nationally (common activity, apportioned by region size).
  std::vector<std::string> national_channels;
  /// Sd of the log of the per-(region, channel, period) multiplier of regional paid spend (>= 0).
  double media_sd = 0.3;
  /// Sd of the log of each region's share multiplier m[r, c] of each national channel's
  /// delivery (top of this file; >= 0, at most 3). 0: apportioned by size (the default).
  double national_share_sd = 0.0;
  /// The truth's window, horizon and lag (truth.hpp); defaults: each channel's whole activity.
  TruthOptions truth;
  /// A geo experiment run inside the panel (top of this file, "Geo tests"): a regional
  /// channel's paid spend in the treated regions over periods [start, end], and the outlet
  /// reach and cost of its PR activities dated in them, x spend_multiplier (0: a holdout).
  /// Empty: none.
  std::optional<GeoTest> test;
};

/// The panel and its truth. Matrices: regions x periods unless stated.
struct GeoPanelResult {
  std::vector<std::string> regions, channels;
  std::vector<char> national;                ///< per channel
  Eigen::VectorXd population;                ///< R: people per region (sum of its audiences)
  Eigen::VectorXd size;                      ///< R: the regions' size multipliers
  /// R x C: the share multipliers m[r, c] of national channels' delivery (ones for regional
  /// channels and with national_share_sd = 0); sum_r size_r m[r, c] = sum_r size_r
  Eigen::MatrixXd national_share;
  std::vector<Eigen::MatrixXd> spend;        ///< per region T x C (currency: campaigns + PR costs)
  std::vector<Eigen::MatrixXd> impressions;  ///< per region T x C (paid + earned reach + organic: World::drive)
  Eigen::MatrixXd conversions, revenue;      ///< realised (segment mode)
  Eigen::MatrixXd expected_conversions;      ///< exact chain
  Eigen::MatrixXd survey_trusting, survey_size;  ///< trust tracker respondents who trust / asked
  /// Truth per region (the whole Truth of ground_truth(): channels, campaigns, activities,
  /// per-period channel increments over T + horizon periods).
  std::vector<Truth> truth;
  std::vector<World> worlds;                 ///< the regions' worlds as run (specs, coverage)
  /// With a geo test (GeoPanelOptions::test): per region whether it is treated, and the
  /// test's exact effect E conv[r, t | world as run] - E conv[r, t | the same world without
  /// the test] (0 for control regions; the carry-over after the window included). Empty
  /// without a test.
  std::vector<char> treated;
  Eigen::MatrixXd test_incremental;
};

/// A paid-spend schedule of regional channels (run_geo_panel_schedule).
struct GeoSpendSchedule {
  int start = 0;                       ///< the period of the schedule's first row
  std::vector<std::string> channels;   ///< K regional (not national) channels it sets
  std::vector<Eigen::MatrixXd> spend;  ///< per region (the panel's order): H x K, currency per period
};

/// A regional world run under a schedule: regions x periods unless stated.
struct GeoScheduleRun {
  std::vector<std::string> regions, channels;
  std::vector<Eigen::MatrixXd> spend;      ///< per region T x C as run (campaigns + PR costs)
  Eigen::MatrixXd expected_conversions;    ///< exact chain
  Eigen::MatrixXd expected_revenue;        ///< exact chain, currency
};

namespace detail {

/// Per-period spend of campaign k of `spec` (the first `periods` periods of D days), as
/// World::campaign_spend computes it.
inline std::vector<double> campaign_periods(const WorldSpec& spec, const Campaign& c, int periods, int D) {
  std::vector<double> out(static_cast<std::size_t>(periods), 0.0);
  auto add = [&](Date d, double a) {
    const int off = d - spec.start;
    if (off < 0) return;
    const int t = off / D;
    if (t < periods) out[static_cast<std::size_t>(t)] += a;
  };
  if (c.schedule.empty())
    for (int d = 0; d < c.days(); ++d) add(c.start + d, c.budget / c.days());
  else
    for (const auto& e : c.schedule) add(e.date, e.amount);
  return out;
}

/// R x C share multipliers of the national channels' delivery (top of this file; ones for
/// regional channels and with sd = 0).
inline Eigen::MatrixXd national_share_multipliers(const WorldSpec& base, const std::vector<Region>& regions,
                                                  const std::set<std::string>& national, double sd, std::uint64_t seed) {
  const auto R = static_cast<Eigen::Index>(regions.size());
  const auto C = static_cast<Eigen::Index>(base.channels.size());
  Eigen::MatrixXd m = Eigen::MatrixXd::Ones(R, C);
  if (sd == 0.0) return m;
  double total = 0.0;
  for (const auto& g : regions) total += g.size;
  const std::uint64_t share_seed = derive(seed, 0x736861);
  for (Eigen::Index c = 0; c < C; ++c) {
    if (!national.contains(base.channels[static_cast<std::size_t>(c)].channel.name)) continue;
    double n = 0.0;
    for (Eigen::Index r = 0; r < R; ++r) {
      const CounterStream s = stream(share_seed, Domain::world, static_cast<std::uint64_t>(c),
                                     static_cast<std::uint64_t>(r));
      m(r, c) = std::exp(sd * normal_from_uniforms(s.uniform(0), s.uniform(1)));
      n += regions[static_cast<std::size_t>(r)].size / total * m(r, c);
    }
    m.col(c) /= n;
  }
  return m;
}

/// Region r's spec of a panel: region_spec(), for regional channels the paid spend
/// rewritten per period with the region's media multipliers, for national channels the
/// delivery times the region's share multiplier share[c] (PR outlet reach, paid budgets).
inline WorldSpec panel_region_spec(const WorldSpec& base, const Region& g, std::size_t r,
                                   const std::set<std::string>& national, double media_sd, int D, std::uint64_t seed,
                                   const Eigen::VectorXd& share, const GeoTest* test = nullptr) {
  WorldSpec w = region_spec(base, g);
  const auto C = static_cast<std::uint64_t>(w.channels.size());
  // the channel's position (C for an unknown channel: the World's validation names it)
  const auto position = [&](const std::string& name) {
    std::uint64_t ci = 0;
    while (ci < C && w.channels[ci].channel.name != name) ++ci;
    return ci;
  };
  for (auto& p : w.pr_activities) {
    if (const std::uint64_t ci = position(p.channel); national.contains(p.channel) && ci < C)
      p.outlet_reach *= share[static_cast<Eigen::Index>(ci)];
    // A test on an earned channel: its activities dated in the window reach (and cost) x m.
    // The activity stays (same index, so every coverage draw is the untested world's: each
    // mention's reach is exactly m times its reach there), its mentions still counted.
    if (test != nullptr && p.channel == test->channel && !(p.date < w.start)) {
      const int t = (p.date - w.start) / D;
      if (t >= test->start && t <= test->end) {
        p.outlet_reach *= test->spend_multiplier;
        p.cost *= test->spend_multiplier;
      }
    }
  }
  const std::uint64_t media_seed = derive(seed, 0x67656f);
  std::vector<char> dropped(w.campaigns.size(), 0);  // flights a holdout silences entirely
  for (std::size_t k = 0; k < w.campaigns.size(); ++k) {
    Campaign& c = w.campaigns[k];
    const std::uint64_t ci = position(c.channel);
    if (ci == C) continue;
    if (national.contains(c.channel)) {  // national: the region's share of the plan
      const double m = share[static_cast<Eigen::Index>(ci)];
      c.budget *= m;
      for (auto& e : c.schedule) e.amount *= m;
      continue;
    }
    const bool tested = test != nullptr && c.channel == test->channel;
    if (media_sd == 0.0 && !tested) continue;
    const int off_end = c.end - w.start;
    if (off_end < 0) continue;  // the flight ends before the world starts: never counted
    const int periods = off_end / D + 1;
    const std::vector<double> amounts = campaign_periods(w, c, periods, D);
    std::vector<ScheduleEntry> schedule;
    double budget = 0.0;
    for (int t = 0; t < periods; ++t) {
      const double a = amounts[static_cast<std::size_t>(t)];
      if (!(a > 0.0)) continue;
      const CounterStream s = stream(media_seed, Domain::world, r * C + ci, static_cast<std::uint64_t>(t));
      double m = media_sd == 0.0
                     ? 1.0
                     : std::exp(media_sd * normal_from_uniforms(s.uniform(0), s.uniform(1)) - 0.5 * media_sd * media_sd);
      if (tested && t >= test->start && t <= test->end) m *= test->spend_multiplier;
      Date day = w.start + t * D;
      if (day < c.start) day = c.start;
      if (!(a * m > 0.0)) continue;  // a holdout's period spends nothing
      schedule.push_back({day, a * m});
      budget += a * m;
    }
    if (schedule.empty()) {
      dropped[k] = static_cast<char>(tested);
      continue;
    }
    c = Campaign(c.name, c.channel, c.objective, c.start, c.end, budget, std::move(schedule));
  }
  std::vector<Campaign> kept;
  kept.reserve(w.campaigns.size());
  for (std::size_t k = 0; k < w.campaigns.size(); ++k)
    if (!dropped[k]) kept.push_back(std::move(w.campaigns[k]));
  w.campaigns = std::move(kept);
  return w;
}


/// Checks a panel's regions and options (run_geo_panel's rules); returns the national
/// channels as a set.
inline std::set<std::string> check_panel(const WorldSpec& base, const std::vector<Region>& regions,
                                         const GeoPanelOptions& po) {
  if (regions.empty()) fail("a geo panel needs at least 1 region");
  if (!(po.media_sd >= 0.0 && std::isfinite(po.media_sd)) || po.media_sd > 3.0)
    fail("media_sd must be a finite number in [0, 3], got ", po.media_sd);
  if (!(po.national_share_sd >= 0.0 && std::isfinite(po.national_share_sd)) || po.national_share_sd > 3.0)
    fail("national_share_sd must be a finite number in [0, 3], got ", po.national_share_sd);
  std::set<std::string> names, audiences, channels, national;
  for (const auto& a : base.audiences) audiences.insert(a.name);
  for (const auto& c : base.channels) channels.insert(c.channel.name);
  for (const auto& c : po.national_channels) {
    if (!channels.contains(c)) fail("national_channels names '", c, "', which is not a channel of the world");
    if (!national.insert(c).second) fail("national_channels lists '", c, "' twice");
  }
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
  if (po.test) {
    const GeoTest& t = *po.test;
    if (!channels.contains(t.channel)) fail("the geo test's channel '", t.channel, "' is not a channel of the world");
    if (national.contains(t.channel))
      fail("the geo test's channel '", t.channel, "' is national: only a regionally bought channel can be tested by region");
    if (t.treated.empty()) fail("the geo test must treat at least one region");
    std::set<std::string> seen;
    for (const auto& name : t.treated) {
      if (!names.contains(name)) fail("the geo test's treated region '", name, "' is not a region of the panel");
      if (!seen.insert(name).second) fail("the geo test lists treated region '", name, "' twice");
    }
    if (!(t.start >= 0 && t.start <= t.end))
      fail("the geo test window must satisfy 0 <= start <= end, got [", t.start, ", ", t.end, "]");
    if (!(t.spend_multiplier >= 0.0 && std::isfinite(t.spend_multiplier)) || t.spend_multiplier == 1.0)
      fail("the geo test's spend_multiplier must be a finite number >= 0 other than 1 (0: a holdout), got ",
           t.spend_multiplier);
  }
  return national;
}

/// The panel's geo test when region `name` is treated by it, else nullptr.
inline const GeoTest* test_of(const GeoPanelOptions& po, const std::string& name) {
  if (!po.test.has_value()) return nullptr;
  const GeoTest& t = po.test.value();
  return std::find(t.treated.begin(), t.treated.end(), name) != t.treated.end() ? &t : nullptr;
}

}  // namespace detail

/// Runs the reference world `base` in every region as a panel (segment mode) and returns
/// the panel with the exact truth per region and channel (see the top of this file).
/// Deterministic for a seed on any thread count (regions in parallel, one thread each).
[[nodiscard]] inline GeoPanelResult run_geo_panel(const WorldSpec& base, const std::vector<Region>& regions,
                                                  const RunOptions& opt, std::uint64_t seed,
                                                  const GeoPanelOptions& po = {}) {
  detail::check_options(opt);
  const std::set<std::string> national = detail::check_panel(base, regions, po);
  const auto R = static_cast<Eigen::Index>(regions.size());
  const int T = opt.periods;
  const auto C = static_cast<Eigen::Index>(base.channels.size());
  if (po.test && po.test->end >= T)
    fail("the geo test window [", po.test->start, ", ", po.test->end, "] must end inside the run's periods [0, ", T, ")");
  const double Tt = static_cast<double>(T) + po.truth.horizon;
  require_memory(
      8.0 * static_cast<double>(R) * (6.0 * T + 2.0 * Tt * static_cast<double>(C) + 2.0 * T * static_cast<double>(C)),
      "the geo panel's region tables", "use fewer regions or periods");
  GeoPanelResult out;
  for (const auto& g : regions) out.regions.push_back(g.name);
  for (const auto& c : base.channels) {
    out.channels.push_back(c.channel.name);
    out.national.push_back(national.contains(c.channel.name) ? 1 : 0);
  }
  // Worlds built (validated, coverage drawn) up front, so a bad region fails before any run.
  const std::uint64_t national_seed = derive(seed, 0);
  out.worlds.reserve(regions.size());
  out.population = Eigen::VectorXd::Zero(R);
  out.size = Eigen::VectorXd::Zero(R);
  out.national_share = detail::national_share_multipliers(base, regions, national, po.national_share_sd, seed);
  if (po.test) out.treated.assign(regions.size(), 0);
  std::vector<std::optional<World>> untested(regions.size());  // treated regions without the test (its counterfactual)
  for (std::size_t r = 0; r < regions.size(); ++r) {
    const Eigen::VectorXd share = out.national_share.row(static_cast<Eigen::Index>(r)).transpose();
    const GeoTest* test = detail::test_of(po, regions[r].name);
    out.worlds.emplace_back(
        detail::panel_region_spec(base, regions[r], r, national, po.media_sd, opt.period_days, seed, share, test),
        derive(seed, r + 1), national_seed, po.national_channels);
    for (const auto& a : out.worlds.back().spec().audiences) out.population[static_cast<Eigen::Index>(r)] += a.size;
    out.size[static_cast<Eigen::Index>(r)] = regions[r].size;
    if (test == nullptr) continue;
    out.treated[r] = 1;
    const World& u = untested[r].emplace(
        detail::panel_region_spec(base, regions[r], r, national, po.media_sd, opt.period_days, seed, share),
        derive(seed, r + 1), national_seed, po.national_channels);
    const World& w = out.worlds.back();
    const int c = w.channel_index(test->channel);
    const auto a = w.drive(w.baseline_variant(), T, opt.period_days);
    const auto b = u.drive(u.baseline_variant(), T, opt.period_days);
    if (!((a.spend.col(c) - b.spend.col(c)).cwiseAbs().sum() > 0.0 ||
          (a.impressions.col(c) - b.impressions.col(c)).cwiseAbs().sum() > 0.0))
      fail("the geo test changes nothing in region '", regions[r].name, "': channel '", test->channel,
           "' has no paid spend and no earned reach from PR activities dated in periods [", test->start, ", ", test->end,
           "]");
  }
  const Eigen::MatrixXd z = Eigen::MatrixXd::Zero(R, T);
  out.conversions = out.revenue = out.expected_conversions = out.survey_trusting = out.survey_size = z;
  out.spend.assign(regions.size(), Eigen::MatrixXd());
  out.impressions.assign(regions.size(), Eigen::MatrixXd());
  out.truth.assign(regions.size(), Truth{});
  if (po.test) out.test_incremental = z;
  RunOptions one = opt;
  one.threads = 1;
  one.record_touches = false;
  parallel_for_blocks(R, opt.threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (std::ptrdiff_t r = b; r < e; ++r) {
      const World& w = out.worlds[static_cast<std::size_t>(r)];
      const int S = w.segments();
      const RunResult run = run_segment(w, w.baseline_variant(), one);
      detail::sum_segments(run.conversions, S, out.conversions, r);
      detail::sum_segments(run.revenue, S, out.revenue, r);
      detail::sum_segments(run.expected_conversions, S, out.expected_conversions, r);
      if (po.test && out.treated[static_cast<std::size_t>(r)]) {  // the test's effect: as run - without the test
        const World& u = *untested[static_cast<std::size_t>(r)];
        Eigen::MatrixXd without = Eigen::MatrixXd::Zero(1, T);
        detail::sum_segments(expected_chain(u, u.baseline_variant(), one, detail::full_population(u)).conversions,
                             u.segments(), without, 0);
        out.test_incremental.row(r) = out.expected_conversions.row(r) - without;
      }
      for (int t = 0; t < T; ++t) {
        out.survey_trusting(r, t) = run.survey_trusting[static_cast<std::size_t>(t)];
        out.survey_size(r, t) = run.survey_size[static_cast<std::size_t>(t)];
      }
      out.spend[static_cast<std::size_t>(r)] = run.spend;
      out.impressions[static_cast<std::size_t>(r)] = w.drive(w.baseline_variant(), T, opt.period_days).impressions;
      out.truth[static_cast<std::size_t>(r)] = ground_truth(w, one, detail::full_population(w), po.truth);
    }
  });
  return out;
}

namespace detail {

/// `w` with its campaigns of the channels `channels` cut at period `start` (their spend in
/// earlier periods kept, per period, as World::campaign_spend counts it) and one campaign
/// per channel spending spend(t, k) in period start + t.
inline void apply_schedule(WorldSpec& w, const std::vector<std::string>& channels, const Eigen::MatrixXd& spend, int start,
                           int D) {
  const std::set<std::string> chosen(channels.begin(), channels.end());
  std::set<std::string> names;
  std::vector<Campaign> kept;
  const Date cut = w.start + start * D;
  for (const auto& c : w.campaigns) {
    if (!chosen.contains(c.channel)) {
      kept.push_back(c);
      names.insert(c.name);
      continue;
    }
    if (!(c.start < cut)) continue;  // starts inside or after the schedule: replaced
    if (c.end < cut) {  // wholly before the schedule: as it is
      kept.push_back(c);
      names.insert(c.name);
      continue;
    }
    const std::vector<double> amounts = campaign_periods(w, c, start, D);
    std::vector<ScheduleEntry> entries;
    double budget = 0.0;
    for (int t = 0; t < start; ++t) {
      const double a = amounts[static_cast<std::size_t>(t)];
      if (!(a > 0.0)) continue;
      Date day = w.start + t * D;
      if (day < c.start) day = c.start;
      entries.push_back({day, a});
      budget += a;
    }
    if (entries.empty()) continue;
    const Date end = c.end < cut ? c.end : cut + (-1);
    kept.emplace_back(c.name, c.channel, c.objective, c.start, end, budget, std::move(entries));
    names.insert(c.name);
  }
  for (std::size_t k = 0; k < channels.size(); ++k) {
    std::vector<ScheduleEntry> entries;
    double budget = 0.0;
    for (Eigen::Index t = 0; t < spend.rows(); ++t) {
      const double a = spend(t, static_cast<Eigen::Index>(k));
      if (!(a > 0.0)) continue;
      entries.push_back({cut + static_cast<int>(t) * D, a});
      budget += a;
    }
    if (entries.empty()) continue;
    std::string name = "schedule_" + channels[k];
    while (names.contains(name)) name += '_';
    names.insert(name);
    kept.emplace_back(name, channels[k], Objective::conversion, cut, cut + (static_cast<int>(spend.rows()) * D - 1), budget,
                      std::move(entries));
  }
  w.campaigns = std::move(kept);
}

}  // namespace detail

/// Runs the regional panel of run_geo_panel(base, regions, opt, seed, po) with the paid
/// spend of `schedule`'s channels replaced from period schedule.start on (see the top of
/// this file) and returns each region's exact expected conversions and revenue over
/// opt.periods. With a schedule equal to the drawn spend the expected conversions are
/// run_geo_panel's (up to the rounding of sums). Deterministic for a seed on any thread
/// count (regions in parallel, one thread each).
[[nodiscard]] inline GeoScheduleRun run_geo_panel_schedule(const WorldSpec& base, const std::vector<Region>& regions,
                                                           const RunOptions& opt, std::uint64_t seed,
                                                           const GeoPanelOptions& po, const GeoSpendSchedule& schedule) {
  detail::check_options(opt);
  const std::set<std::string> national = detail::check_panel(base, regions, po);
  const int T = opt.periods;
  const auto R = static_cast<Eigen::Index>(regions.size());
  const auto C = static_cast<Eigen::Index>(base.channels.size());
  if (schedule.channels.empty()) fail("schedule.channels must name at least one regional channel");
  std::set<std::string> known, seen;
  for (const auto& c : base.channels) known.insert(c.channel.name);
  for (const auto& c : schedule.channels) {
    if (!known.contains(c)) fail("schedule.channels names '", c, "', which is not a channel of the world");
    if (national.contains(c))
      fail("schedule.channels names '", c, "', a national channel: only regionally bought channels can be scheduled");
    if (!seen.insert(c).second) fail("schedule.channels lists '", c, "' twice");
  }
  if (schedule.spend.size() != regions.size())
    fail("schedule.spend must hold one matrix per region (", regions.size(), "), got ", schedule.spend.size());
  const Eigen::Index H = schedule.spend.front().rows();
  const auto K = static_cast<Eigen::Index>(schedule.channels.size());
  if (H < 1) fail("schedule.spend must have at least one period (row)");
  if (!(schedule.start >= 0 && schedule.start + H <= T))
    fail("the schedule's periods [start, start + rows) = [", schedule.start, ", ", schedule.start + H,
         ") must lie inside the run's periods [0, ", T, ")");
  for (std::size_t r = 0; r < regions.size(); ++r) {
    const Eigen::MatrixXd& s = schedule.spend[r];
    if (s.rows() != H || s.cols() != K)
      fail("schedule.spend[", r, "] (region '", regions[r].name, "') must be ", H, " x ", K, " (periods x channels), got ",
           s.rows(), " x ", s.cols());
    for (Eigen::Index t = 0; t < H; ++t)
      for (Eigen::Index k = 0; k < K; ++k)
        if (!(std::isfinite(s(t, k)) && s(t, k) >= 0.0))
          fail("schedule.spend[", r, "] (region '", regions[r].name, "'), period ", t, ", channel '",
               schedule.channels[static_cast<std::size_t>(k)], "': spend must be a finite number >= 0, got ", s(t, k));
  }
  require_memory(8.0 * static_cast<double>(R) * (4.0 * T + 2.0 * T * static_cast<double>(C)),
                 "the scheduled geo panel's region tables", "use fewer regions or periods");
  GeoScheduleRun out;
  for (const auto& g : regions) out.regions.push_back(g.name);
  for (const auto& c : base.channels) out.channels.push_back(c.channel.name);
  const std::uint64_t national_seed = derive(seed, 0);
  std::vector<World> worlds;
  worlds.reserve(regions.size());
  const Eigen::MatrixXd share = detail::national_share_multipliers(base, regions, national, po.national_share_sd, seed);
  for (std::size_t r = 0; r < regions.size(); ++r) {
    WorldSpec w = detail::panel_region_spec(base, regions[r], r, national, po.media_sd, opt.period_days, seed,
                                            share.row(static_cast<Eigen::Index>(r)).transpose(),
                                            detail::test_of(po, regions[r].name));
    detail::apply_schedule(w, schedule.channels, schedule.spend[r], schedule.start, opt.period_days);
    worlds.emplace_back(std::move(w), derive(seed, r + 1), national_seed, po.national_channels);
  }
  out.expected_conversions = out.expected_revenue = Eigen::MatrixXd::Zero(R, T);
  out.spend.assign(regions.size(), Eigen::MatrixXd());
  RunOptions one = opt;
  one.threads = 1;
  one.record_touches = false;
  parallel_for_blocks(R, opt.threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (std::ptrdiff_t r = b; r < e; ++r) {
      const World& w = worlds[static_cast<std::size_t>(r)];
      const Variant v = w.baseline_variant();
      const Expected ex = expected_chain(w, v, one, detail::full_population(w));
      detail::sum_segments(ex.conversions, w.segments(), out.expected_conversions, r);
      detail::sum_segments(ex.revenue, w.segments(), out.expected_revenue, r);
      out.spend[static_cast<std::size_t>(r)] = w.drive(v, T, opt.period_days).spend;
    }
  });
  return out;
}

}  // namespace trustmix::simulate
