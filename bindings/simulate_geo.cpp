// trustmix::simulate geo experiments and regional panels bound to Python (trustmix.simulate.geo_experiment,
// trustmix.simulate.geo_panel, GeoPanelResult.run_schedule):
// the reference World (already bound), regions as dicts, the test; regions x periods
// numpy arrays back. The simulation runs without the GIL.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <trustmix/simulate/geo.hpp>
#include <trustmix/simulate/geo_panel.hpp>

#include <map>
#include <string>
#include <vector>

#include "helpers/convert.hpp"
#include "helpers/fields.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace trustmix::bindings {
namespace {

using namespace trustmix::simulate;

const auto region_fields = std::make_tuple(helpers::field("size", &Region::size),
                                           helpers::field("conversion_scale", &Region::conversion_scale),
                                           helpers::field("audience_mix", &Region::audience_mix));

// The fields of a geo experiment's result after regions and treated, in the dict's order.
const auto result_fields = std::make_tuple(
    helpers::field("start", &GeoResult::start), helpers::field("end", &GeoResult::end),
    helpers::field("conversions", &GeoResult::conversions), helpers::field("revenue", &GeoResult::revenue),
    helpers::field("expected_conversions", &GeoResult::expected_conversions),
    helpers::field("counterfactual_conversions", &GeoResult::counterfactual_conversions),
    helpers::field("incremental_conversions", &GeoResult::incremental_conversions),
    helpers::field("incremental_revenue", &GeoResult::incremental_revenue),
    helpers::field("realised_incremental_conversions", &GeoResult::realised_incremental_conversions),
    helpers::field("spend", &GeoResult::spend), helpers::field("incremental_spend", &GeoResult::incremental_spend),
    helpers::field("att", &GeoResult::att), helpers::field("att_realised", &GeoResult::att_realised));

std::vector<Region> regions_of(const py::list& items) {
  std::vector<Region> out;
  for (const auto& item : items) {
    const std::string where = "regions[" + std::to_string(out.size()) + "]: ";
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
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

void register_simulate_geo(py::module_& m) {
  auto sub = m.attr("simulate").cast<py::module_>();
  sub.def(
      "run_geo_experiment",
      [](const World& world, const py::list& regions, const std::vector<std::string>& treated, const std::string& channel,
         int start, int end, double spend_multiplier, int periods, int period_days, int threads, std::uint64_t seed) {
        const std::vector<Region> rs = regions_of(regions);
        GeoTest test;
        test.treated = treated;
        test.channel = channel;
        test.start = start;
        test.end = end;
        test.spend_multiplier = spend_multiplier;
        RunOptions o;
        o.periods = periods;
        o.period_days = period_days;
        o.threads = threads;
        o.record_touches = false;
        GeoResult r;
        {
          py::gil_scoped_release release;
          r = run_geo_experiment(world.spec(), rs, test, o, seed);
        }
        py::dict d;
        d["regions"] = r.regions;
        d["treated"] = std::vector<bool>(r.treated.begin(), r.treated.end());
        helpers::write_fields(d, r, result_fields);
        return d;
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
         int lag_periods) {
        const std::vector<Region> rs = regions_of(regions);
        RunOptions o;
        o.periods = periods;
        o.period_days = period_days;
        o.threads = threads;
        o.record_touches = false;
        GeoPanelOptions po;
        po.national_channels = national_channels;
        po.media_sd = media_sd;
        po.truth.window_start = window_start;
        po.truth.window_end = window_end;
        po.truth.horizon = horizon;
        po.truth.lag_periods = lag_periods;
        GeoPanelResult r;
        {
          py::gil_scoped_release release;
          r = run_geo_panel(world.spec(), rs, o, seed, po);
        }
        py::dict d;
        d["regions"] = r.regions;
        d["channels"] = r.channels;
        d["national"] = std::vector<bool>(r.national.begin(), r.national.end());
        d["population"] = r.population;
        d["size"] = r.size;
        d["spend"] = r.spend;
        d["impressions"] = r.impressions;
        d["conversions"] = r.conversions;
        d["revenue"] = r.revenue;
        d["expected_conversions"] = r.expected_conversions;
        d["survey_trusting"] = r.survey_trusting;
        d["survey_size"] = r.survey_size;
        py::list truth;
        for (const auto& tr : r.truth) {
          py::list chans;
          for (const auto& e : tr.channels) {
            py::dict c;
            c["channel"] = e.channel;
            c["cost"] = e.cost;
            c["conversions"] = e.conversions;
            c["revenue"] = e.revenue;
            c["short_term_conversions"] = e.short_conversions;
            c["long_term_conversions"] = e.long_conversions;
            c["short_term_revenue"] = e.short_revenue;
            c["long_term_revenue"] = e.long_revenue;
            c["marginal_roi"] = e.marginal_roi;
            c["window_start"] = e.window_start;
            c["window_end"] = e.window_end;
            chans.append(c);
          }
          py::dict t;
          t["channels"] = chans;
          t["incremental_conversions"] = tr.channel_incremental_conversions;
          t["incremental_revenue"] = tr.channel_incremental_revenue;
          t["lag_periods"] = tr.lag_periods;
          t["horizon"] = tr.horizon;
          truth.append(t);
        }
        d["truth"] = truth;
        py::list worlds;
        for (auto& w : r.worlds) worlds.append(py::cast(std::move(w)));
        d["worlds"] = worlds;
        return d;
      },
      py::arg("world"), py::kw_only(), py::arg("regions"), py::arg("national_channels"), py::arg("media_sd"),
      py::arg("periods"), py::arg("period_days"), py::arg("threads") = 0, py::arg("seed") = 1, py::arg("window_start") = -1,
      py::arg("window_end") = -1, py::arg("horizon") = 0, py::arg("lag_periods") = -1,
      "Runs `world`'s spec in every region as a panel (national channels common, regional paid media bought by "
      "region); per-region arrays and the exact truth per region and channel (trustmix::simulate::run_geo_panel).");
  sub.def(
      "run_geo_panel_schedule",
      [](const World& world, const py::list& regions, const std::vector<std::string>& national_channels, double media_sd,
         int periods, int period_days, int start, const std::vector<std::string>& channels,
         const std::vector<Eigen::MatrixXd>& spend, int threads, std::uint64_t seed) {
        const std::vector<Region> rs = regions_of(regions);
        RunOptions o;
        o.periods = periods;
        o.period_days = period_days;
        o.threads = threads;
        o.record_touches = false;
        GeoPanelOptions po;
        po.national_channels = national_channels;
        po.media_sd = media_sd;
        GeoSpendSchedule sch;
        sch.start = start;
        sch.channels = channels;
        sch.spend = spend;
        GeoScheduleRun r;
        {
          py::gil_scoped_release release;
          r = run_geo_panel_schedule(world.spec(), rs, o, seed, po, sch);
        }
        py::dict d;
        d["regions"] = r.regions;
        d["channels"] = r.channels;
        d["spend"] = r.spend;
        d["expected_conversions"] = r.expected_conversions;
        d["expected_revenue"] = r.expected_revenue;
        return d;
      },
      py::arg("world"), py::kw_only(), py::arg("regions"), py::arg("national_channels"), py::arg("media_sd"),
      py::arg("periods"), py::arg("period_days"), py::arg("start"), py::arg("channels"), py::arg("spend"),
      py::arg("threads") = 0, py::arg("seed") = 1,
      "Runs run_geo_panel's regional worlds with the paid spend of `channels` replaced from period `start` on by "
      "`spend` (one periods x channels matrix per region) and returns each region's exact expected conversions and "
      "revenue (trustmix::simulate::run_geo_panel_schedule).");
}

}  // namespace trustmix::bindings
