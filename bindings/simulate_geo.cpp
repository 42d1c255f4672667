// trustmix::simulate geo experiments and regional panels bound to Python (trustmix.simulate.geo_experiment,
// trustmix.simulate.geo_panel, GeoPanelResult.run_schedule): the reference World (already bound), regions as
// dicts (read once, by one field table), the test; the core's results (GeoResult, GeoPanelResult with a
// RegionTruth per region, GeoScheduleRun) bound as typed classes of regions x periods numpy arrays. The
// simulation runs without the GIL.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <trustmix/simulate/geo.hpp>
#include <trustmix/simulate/geo_panel.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "helpers/convert.hpp"
#include "helpers/fields.hpp"
#include "helpers/result.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace trustmix::bindings {
namespace {

using namespace trustmix::simulate;

const auto region_fields = std::make_tuple(helpers::field("size", &Region::size),
                                           helpers::field("conversion_scale", &Region::conversion_scale),
                                           helpers::field("audience_mix", &Region::audience_mix));

/// What every geo run reads: the regions (dicts with 'name' and region_fields) and the run
/// options (segment mode, no touch log).
struct GeoRun {
  std::vector<Region> regions;
  RunOptions options;
};

GeoRun geo_run(const py::list& items, int periods, int period_days, int threads) {
  GeoRun run;
  for (const auto& item : items) {
    const std::string where = "regions[" + std::to_string(run.regions.size()) + "]: ";
    if (!py::isinstance<py::dict>(item))
      throw std::invalid_argument(where + "must be a dict with 'name' (and 'size', 'audience_mix', 'conversion_scale')");
    const auto d = py::reinterpret_borrow<py::dict>(item);
    for (const auto& kv : d) {
      const auto key = py::str(kv.first).cast<std::string>();
      if (key != "name" && key != "size" && key != "audience_mix" && key != "conversion_scale")
        throw std::invalid_argument(where + "unknown key '" + key + "' (name, size, audience_mix, conversion_scale)");
    }
    Region g;
    g.name = helpers::need_str(d, "name", where);
    helpers::read_fields(d, g, where, region_fields);
    run.regions.push_back(std::move(g));
  }
  run.options.periods = periods;
  run.options.period_days = period_days;
  run.options.threads = threads;
  run.options.record_touches = false;
  return run;
}

GeoPanelOptions panel_options(const std::vector<std::string>& national_channels, double media_sd, double national_share_sd,
                              const std::optional<py::dict>& test) {
  GeoPanelOptions po;
  po.national_channels = national_channels;
  po.media_sd = media_sd;
  po.national_share_sd = national_share_sd;
  if (test) {  // {treated, channel, start, end, spend_multiplier}: a geo test inside the panel
    const py::dict& d = *test;
    for (const auto& kv : d) {
      const auto key = py::str(kv.first).cast<std::string>();
      if (key != "treated" && key != "channel" && key != "start" && key != "end" && key != "spend_multiplier")
        throw std::invalid_argument("test: unknown key '" + key + "' (treated, channel, start, end, spend_multiplier)");
    }
    GeoTest t;
    t.treated = helpers::need<std::vector<std::string>>(d, "treated", "test: ");
    t.channel = helpers::need<std::string>(d, "channel", "test: ");
    t.start = helpers::need<int>(d, "start", "test: ");
    t.end = helpers::need<int>(d, "end", "test: ");
    t.spend_multiplier = helpers::get_or<double>(d, "spend_multiplier", 0.0, "test: ");
    po.test = std::move(t);
  }
  return po;
}

/// A converted row for a per-region or per-channel flag (std::vector<char>): a bool array.
template <class S>
auto flags(const char* name, std::vector<char> S::* member, const char* doc) {
  return helpers::converted<S>(
      name, [member](const S& s) { return helpers::to_python(std::vector<bool>((s.*member).begin(), (s.*member).end())); },
      [member, name](S& s, const py::handle& h) {
        const auto v = helpers::from_python<std::vector<bool>>(h, name);
        s.*member = std::vector<char>(v.begin(), v.end());
      },
      doc);
}

void bind_results(py::module_& sub) {
  using helpers::member;
  using G = GeoResult;
  helpers::bind_result<G>(
      sub, "GeoResult",
      "Outcomes and truth of a geo experiment (trustmix::simulate::GeoResult): regions x periods float64 arrays,\n"
      "the truth from the exact expected-value chain.",
      1, member("regions", &G::regions, "Region names."), flags<G>("treated", &G::treated, "bool per region: treated."),
      member("start", &G::start, "First period of the window (inclusive)."),
      member("end", &G::end, "Last period of the window (inclusive)."),
      member("conversions", &G::conversions, "Realised conversions (treated regions under the test)."),
      member("revenue", &G::revenue, "Realised revenue (currency)."),
      member("expected_conversions", &G::expected_conversions, "Exact chain as run (treated: under the test)."),
      member("counterfactual_conversions", &G::counterfactual_conversions, "Exact chain without the test."),
      member("incremental_conversions", &G::incremental_conversions,
             "expected - counterfactual conversions (0 for controls)."),
      member("incremental_revenue", &G::incremental_revenue, "The same in currency."),
      member("realised_incremental_conversions", &G::realised_incremental_conversions,
             "Realised run - realised run without the test (common random numbers)."),
      member("spend", &G::spend, "Paid spend of the tested channel as run (currency)."),
      member("incremental_spend", &G::incremental_spend, "spend - spend without the test (currency)."),
      member("att", &G::att, "Mean incremental conversions per treated region and window period."),
      member("att_realised", &G::att_realised, "The same from the realised increments."));

  helpers::bind_result<Truth>(
      sub, "RegionTruth",
      "The ground truth of one region of a geo panel (trustmix::simulate::Truth without its baseline trajectories):\n"
      "the effects of every channel, campaign and PR activity and the channels' incremental conversions per period.",
      1, member("channels", &Truth::channels, "EffectTruth per channel."),
      member("campaigns", &Truth::campaigns, "EffectTruth per campaign."),
      member("activities", &Truth::activities, "EffectTruth per PR activity."),
      member("channel_incremental_conversions", &Truth::channel_incremental_conversions,
             "Expected incremental conversions ((T + H) x C)."),
      member("channel_incremental_revenue", &Truth::channel_incremental_revenue,
             "Expected incremental revenue ((T + H) x C, currency)."),
      member("lag_periods", &Truth::lag_periods, "L: periods after a window still counted short-term."),
      member("horizon", &Truth::horizon, "Periods H after the data counted."));

  using P = GeoPanelResult;
  helpers::bind_result<P>(
      sub, "GeoPanelResult",
      "A simulated regional panel and its exact truth (trustmix::simulate::GeoPanelResult): regions R x periods T\n"
      "float64 arrays unless stated.",
      3, member("regions", &P::regions, "Region names (R)."), member("channels", &P::channels, "Channel names (C)."),
      flags<P>("national", &P::national, "bool per channel: bought nationally."),
      member("population", &P::population, "People per region (R, the sum of its audiences)."),
      member("size", &P::size, "The regions' size multipliers (R)."),
      member("national_share", &P::national_share,
             "R x C share multipliers m[r, c] of national channels' delivery (ones elsewhere; national_share_sd)."),
      member("spend", &P::spend, "Per region a T x C array of spend (currency: campaigns + PR costs)."),
      member("impressions", &P::impressions, "Per region a T x C array of impressions (paid, earned reach, organic)."),
      member("conversions", &P::conversions, "Realised conversions (segment mode)."),
      member("revenue", &P::revenue, "Realised revenue (currency)."),
      member("expected_conversions", &P::expected_conversions, "Exact chain."),
      member("survey_trusting", &P::survey_trusting, "Trust tracker respondents who trust."),
      member("survey_size", &P::survey_size, "Trust tracker respondents asked."),
      member("truth", &P::truth, "RegionTruth per region."),
      flags<P>("treated", &P::treated, "bool per region: treated by the geo test (empty without a test)."),
      member("test_incremental", &P::test_incremental,
             "R x T: the geo test's exact effect E conv | as run - E conv | without the test (0 for controls; "
             "0 x 0 without a test)."),
      helpers::computed<P>(
          "worlds", [](const P& p) { return p.worlds; },
          "The regions' Worlds as run (specs, coverage); not pickled (a World does not pickle): empty after "
          "unpickling."));

  using S = GeoScheduleRun;
  helpers::bind_result<S>(
      sub, "GeoScheduleRun",
      "A regional world run under a spend schedule (trustmix::simulate::GeoScheduleRun): regions R x periods T\n"
      "float64 arrays unless stated.",
      1, member("regions", &S::regions, "Region names (R)."), member("channels", &S::channels, "Channel names (C)."),
      member("spend", &S::spend, "Per region a T x C array of spend as run (campaigns + PR costs)."),
      member("expected_conversions", &S::expected_conversions, "Exact chain."),
      member("expected_revenue", &S::expected_revenue, "Exact chain, currency."));
}

}  // namespace

void register_simulate_geo(py::module_& m) {
  auto sub = m.attr("simulate").cast<py::module_>();
  bind_results(sub);
  sub.def(
      "run_geo_experiment",
      [](const World& world, const py::list& regions, const std::vector<std::string>& treated, const std::string& channel,
         int start, int end, double spend_multiplier, int periods, int period_days, int threads, std::uint64_t seed) {
        const GeoRun run = geo_run(regions, periods, period_days, threads);
        GeoTest test;
        test.treated = treated;
        test.channel = channel;
        test.start = start;
        test.end = end;
        test.spend_multiplier = spend_multiplier;
        py::gil_scoped_release release;
        return run_geo_experiment(world.spec(), run.regions, test, run.options, seed);
      },
      py::arg("world"), py::kw_only(), py::arg("regions"), py::arg("treated"), py::arg("channel"), py::arg("start"),
      py::arg("end"), py::arg("spend_multiplier"), py::arg("periods"), py::arg("period_days"), py::arg("threads") = 0,
      py::arg("seed") = 1,
      "Runs `world`'s spec in every region (segment mode), the treated regions with `channel`'s paid spend x "
      "spend_multiplier over periods [start, end]; regions x periods arrays of outcomes and the exact true effect.");
  sub.def(
      "run_geo_panel",
      [](const World& world, const py::list& regions, const std::vector<std::string>& national_channels, double media_sd,
         int periods, int period_days, int threads, std::uint64_t seed, int window_start, int window_end, int horizon,
         int lag_periods, double national_share_sd, const std::optional<py::dict>& test) {
        const GeoRun run = geo_run(regions, periods, period_days, threads);
        GeoPanelOptions po = panel_options(national_channels, media_sd, national_share_sd, test);
        po.truth.window_start = window_start;
        po.truth.window_end = window_end;
        po.truth.horizon = horizon;
        po.truth.lag_periods = lag_periods;
        py::gil_scoped_release release;
        return run_geo_panel(world.spec(), run.regions, run.options, seed, po);
      },
      py::arg("world"), py::kw_only(), py::arg("regions"), py::arg("national_channels"), py::arg("media_sd"),
      py::arg("periods"), py::arg("period_days"), py::arg("threads") = 0, py::arg("seed") = 1, py::arg("window_start") = -1,
      py::arg("window_end") = -1, py::arg("horizon") = 0, py::arg("lag_periods") = -1, py::arg("national_share_sd") = 0.0,
      py::arg("test") = py::none(),
      "Runs `world`'s spec in every region as a panel (national channels common, regional paid media bought by "
      "region); per-region arrays and the exact truth per region and channel (trustmix::simulate::run_geo_panel). "
      "`test`: None or a dict {treated: region names, channel, start, end (periods, inclusive), spend_multiplier "
      "(default 0, a holdout)}: a geo test run inside the panel, its exact effect in test_incremental.");
  sub.def(
      "run_geo_panel_schedule",
      [](const World& world, const py::list& regions, const std::vector<std::string>& national_channels, double media_sd,
         int periods, int period_days, int start, const std::vector<std::string>& channels,
         const std::vector<Eigen::MatrixXd>& spend, int threads, std::uint64_t seed, double national_share_sd,
         const std::optional<py::dict>& test) {
        const GeoRun run = geo_run(regions, periods, period_days, threads);
        const GeoPanelOptions po = panel_options(national_channels, media_sd, national_share_sd, test);
        GeoSpendSchedule sch;
        sch.start = start;
        sch.channels = channels;
        sch.spend = spend;
        py::gil_scoped_release release;
        return run_geo_panel_schedule(world.spec(), run.regions, run.options, seed, po, sch);
      },
      py::arg("world"), py::kw_only(), py::arg("regions"), py::arg("national_channels"), py::arg("media_sd"),
      py::arg("periods"), py::arg("period_days"), py::arg("start"), py::arg("channels"), py::arg("spend"),
      py::arg("threads") = 0, py::arg("seed") = 1, py::arg("national_share_sd") = 0.0, py::arg("test") = py::none(),
      "Runs run_geo_panel's regional worlds with the paid spend of `channels` replaced from period `start` on by "
      "`spend` (one periods x channels matrix per region) and returns each region's exact expected conversions and "
      "revenue (trustmix::simulate::run_geo_panel_schedule).");
}

}  // namespace trustmix::bindings
