// trustmix::simulate bound to Python: a World built from a plain dict (the Python layer
// normalises scenario files into it), runs returning numpy arrays, and ground truth.
// Arguments are converted first; the simulation runs without the GIL.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <trustmix/simulate/simulate.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

#include "helpers/convert.hpp"
#include "helpers/domain.hpp"
#include "helpers/fields.hpp"
#include "interruptible.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace trustmix::bindings {
namespace {

using namespace trustmix::simulate;

using helpers::dict_list;
using helpers::field;
using helpers::get;
using helpers::get_or;
using helpers::need_date;
using helpers::need_str;
using helpers::read_fields;
using helpers::to_array;
using helpers::to_date;

// The numeric fields of each part of the world spec: dict key -> member (the member's
// default applies when the key is absent). Enums, names and dates are read by hand below.
const auto channel_fields = std::make_tuple(
    field("cpm", &ChannelParams::cpm), field("ctr", &ChannelParams::ctr), field("visit_rate", &ChannelParams::visit_rate),
    field("engagement", &ChannelParams::engagement), field("trust_gain", &ChannelParams::trust_gain),
    field("sentiment", &ChannelParams::sentiment), field("dispersion", &ChannelParams::dispersion),
    field("organic_impressions", &ChannelParams::organic_impressions));
const auto activity_fields = std::make_tuple(
    field("mentions", &PrActivity::mentions), field("outlet_reach", &PrActivity::outlet_reach),
    field("reach_sd_log", &PrActivity::reach_sd_log), field("sentiment", &PrActivity::sentiment),
    field("sentiment_sd", &PrActivity::sentiment_sd), field("cost", &PrActivity::cost),
    field("duration_days", &PrActivity::duration_days));
const auto event_fields = std::make_tuple(field("severity", &WorldEvent::severity), field("mentions", &WorldEvent::mentions),
                                          field("response", &WorldEvent::response),
                                          field("softening", &WorldEvent::softening));
const auto world_fields = std::make_tuple(
    field("initial_trust", &WorldSpec::initial_trust), field("trust_half_life_days", &WorldSpec::trust_half_life_days),
    field("trust_effect", &WorldSpec::trust_effect), field("amplification", &WorldSpec::amplification),
    field("smm_effect", &WorldSpec::smm_effect), field("memory_half_life_days", &WorldSpec::memory_half_life_days),
    field("memory_cap", &WorldSpec::memory_cap), field("saturation_params", &WorldSpec::saturation_params),
    field("season_amplitude", &WorldSpec::season_amplitude), field("season_peak_day", &WorldSpec::season_peak_day),
    field("competitor_mentions", &WorldSpec::competitor_mentions), field("survey_panel_size", &WorldSpec::survey_panel_size),
    field("short_term_lag_days", &WorldSpec::short_term_lag_days));

WorldSpec spec_from_dict(const py::dict& d) {
  WorldSpec w;
  if (!get(d, "start").is_none()) w.start = to_date(d["start"], "start");
  std::size_t i = 0;
  for (const auto& c : dict_list(d, "channels")) {
    const std::string where = "channels[" + std::to_string(i++) + "]: ";
    ChannelParams p;
    p.channel = Channel(need_str(c, "name", where), peso_from_string(get_or<std::string>(c, "peso", "paid", where), "peso"),
                        role_from_string(get_or<std::string>(c, "role", "conversion", where), "role"),
                        get_or<std::string>(c, "platform", "", where));
    read_fields(c, p, where, channel_fields);
    w.channels.push_back(p);
  }
  i = 0;
  for (const auto& a : dict_list(d, "audiences")) {
    const std::string where = "audiences[" + std::to_string(i++) + "]: ";
    w.audiences.push_back(helpers::audience_from_dict(a, where, 0.0));
  }
  i = 0;
  for (const auto& c : dict_list(d, "campaigns")) {
    const std::string where = "campaigns[" + std::to_string(i++) + "]: ";
    const std::string name = need_str(c, "name", where);
    w.campaigns.emplace_back(name, need_str(c, "channel", where),
                             objective_from_string(get_or<std::string>(c, "objective", "conversion", where), "objective"),
                             need_date(c, "start", where), need_date(c, "end", where), get_or(c, "budget", 0.0, where));
  }
  i = 0;
  for (const auto& a : dict_list(d, "pr_activities")) {
    const std::string where = "pr_activities[" + std::to_string(i++) + "]: ";
    PrActivity p;
    p.name = need_str(a, "name", where);
    p.channel = need_str(a, "channel", where);
    p.kind = pr_kind_from_string(get_or<std::string>(a, "kind", "press_release", where), where + "kind");
    p.date = need_date(a, "date", where);
    read_fields(a, p, where, activity_fields);
    w.pr_activities.push_back(p);
  }
  i = 0;
  for (const auto& e : dict_list(d, "events")) {
    const std::string where = "events[" + std::to_string(i++) + "]: ";
    WorldEvent ev;
    ev.name = need_str(e, "name", where);
    ev.kind = event_kind_from_string(get_or<std::string>(e, "kind", "crisis", where), where + "kind");
    ev.date = need_date(e, "date", where);
    read_fields(e, ev, where, event_fields);
    w.events.push_back(ev);
  }
  read_fields(d, w, "", world_fields);
  w.saturation = saturation_from_string(get_or<std::string>(d, "saturation", "hill"));
  return w;
}

RunOptions options(int periods, int period_days, int threads, double agent_scale, bool record_touches) {
  RunOptions o;
  o.periods = periods;
  o.period_days = period_days;
  o.threads = threads;
  o.agent_scale = agent_scale;
  o.record_touches = record_touches;
  return o;
}

py::dict result_to_dict(const RunResult& r) {
  const py::ssize_t T = r.periods, S = r.segments, C = r.channels;
  py::dict d;
  d["population"] = to_array(r.population, {S});
  d["spend"] = py::array_t<double>(py::cast(Eigen::MatrixXd(r.spend)));
  d["impressions"] = to_array(r.impressions, {T, S, C});
  d["reach"] = to_array(r.reach, {T, S, C});
  d["clicks"] = to_array(r.clicks, {T, S, C});
  d["visits"] = to_array(r.visits, {T, S, C});
  d["conversions"] = to_array(r.conversions, {T, S});
  d["revenue"] = to_array(r.revenue, {T, S});
  d["trusting"] = to_array(r.trusting, {T, S});
  d["expected_conversions"] = to_array(r.expected_conversions, {T, S});
  d["expected_trusting"] = to_array(r.expected_trusting, {T, S});
  d["mentions"] = to_array(r.mentions, {T, C});
  d["earned_reach"] = to_array(r.earned_reach, {T, C});
  d["positive_mentions"] = to_array(r.positive_mentions, {T, C});
  d["negative_mentions"] = to_array(r.negative_mentions, {T, C});
  d["crisis_mentions"] = to_array(r.crisis_mentions, {T});
  d["news_mentions"] = to_array(r.news_mentions, {T});
  d["competitor_mentions"] = to_array(r.competitor_mentions, {T});
  d["survey_trusting"] = to_array(r.survey_trusting, {T});
  d["survey_size"] = to_array(r.survey_size, {T});
  const auto n = static_cast<py::ssize_t>(r.touches.user.size());
  d["touch_user"] = to_array(r.touches.user, {n});
  d["touch_second"] = to_array(r.touches.second, {n});
  d["touch_channel"] = to_array(r.touches.channel, {n});
  d["touch_source"] = to_array(r.touches.source, {n});
  d["touch_kind"] = to_array(r.touches.kind, {n});
  const auto k = static_cast<py::ssize_t>(r.conversion_log.user.size());
  d["conversion_user"] = to_array(r.conversion_log.user, {k});
  d["conversion_second"] = to_array(r.conversion_log.second, {k});
  d["conversion_value"] = to_array(r.conversion_log.value, {k});
  d["person_segment_start"] = to_array(r.person_segment_start, {static_cast<py::ssize_t>(r.person_segment_start.size())});
  return d;
}

// The fields of an effect's truth, in the order of the dicts (and the DataFrame columns
// built from them): roas and roi (methods) go between the two tables.
const auto effect_fields = std::make_tuple(
    field("name", &EffectTruth::name), field("channel", &EffectTruth::channel), field("cost", &EffectTruth::cost),
    field("conversions", &EffectTruth::conversions), field("revenue", &EffectTruth::revenue),
    field("short_conversions", &EffectTruth::short_conversions), field("long_conversions", &EffectTruth::long_conversions),
    field("short_revenue", &EffectTruth::short_revenue), field("long_revenue", &EffectTruth::long_revenue));
const auto effect_window_fields = std::make_tuple(field("marginal_roi", &EffectTruth::marginal_roi),
                                                  field("window_start", &EffectTruth::window_start),
                                                  field("window_end", &EffectTruth::window_end));

py::list effects_to_list(const std::vector<EffectTruth>& v) {
  py::list out;
  for (const auto& e : v) {
    py::dict d;
    helpers::write_fields(d, e, effect_fields);
    d["roas"] = e.roas();
    d["roi"] = e.roi();
    helpers::write_fields(d, e, effect_window_fields);
    out.append(d);
  }
  return out;
}

}  // namespace

void register_simulate(pybind11::module_& m) {
  auto sub = m.def_submodule("simulate", "trustmix::simulate bound to Python (use trustmix.simulate).");
  py::class_<World>(sub, "World", "A validated world with its PR coverage drawn from the seed.")
      .def(py::init([](const py::dict& spec, std::uint64_t seed) { return World(spec_from_dict(spec), seed); }),
           py::arg("spec"), py::arg("seed"))
      .def_property_readonly("seed", &World::seed)
      .def_property_readonly("channel_names",
                             [](const World& w) {
                               std::vector<std::string> v;
                               for (const auto& c : w.spec().channels) v.push_back(c.channel.name);
                               return v;
                             })
      .def_property_readonly("segment_names",
                             [](const World& w) {
                               std::vector<std::string> v;
                               for (const auto& a : w.spec().audiences) v.push_back(a.name);
                               return v;
                             })
      .def_property_readonly("source_names",
                             [](const World& w) {
                               std::vector<std::string> v;
                               for (const auto& c : w.spec().campaigns) v.push_back(c.name);
                               for (const auto& a : w.spec().pr_activities) v.push_back(a.name);
                               v.emplace_back("organic");
                               return v;
                             })
      .def(
          "run",
          [](const World& w, const std::string& mode, int periods, int period_days, int threads, double agent_scale,
             bool record_touches, const std::vector<std::string>& remove, const std::vector<std::string>& remove_campaigns,
             const std::vector<std::string>& remove_activities, const py::object& progress) {
            RunOptions o = options(periods, period_days, threads, agent_scale, record_touches);
            Variant v = w.baseline_variant();
            for (const auto& name : remove) v.channel_off[static_cast<std::size_t>(w.channel_index(name))] = 1;
            for (const auto& name : remove_campaigns) {
              const auto& cs = w.spec().campaigns;
              const auto it = std::find_if(cs.begin(), cs.end(), [&](const Campaign& c) { return c.name == name; });
              if (it == cs.end()) throw std::invalid_argument("remove_campaigns: no campaign named '" + name + "'");
              v.campaign_off[static_cast<std::size_t>(it - cs.begin())] = 1;
            }
            for (const auto& name : remove_activities) v.activity_off[w.activity_index(name)] = 1;
            if (mode != "segment" && mode != "agent")
              throw std::invalid_argument("mode must be 'segment' or 'agent', got '" + mode + "'");
            RunResult r;
            if (mode == "agent") {
              // On a worker thread: this thread reports progress(people_done) and stops the
              // run on Ctrl-C (KeyboardInterrupt within about a second).
              std::atomic<std::int64_t> done{0};
              std::atomic<bool> stop{false};
              o.people_done = &done;
              o.stop = &stop;
              std::int64_t reported = 0;
              run_interruptible(
                  stop, [&] { r = run_agent(w, v, o); },
                  [&] {
                    const std::int64_t now = done.load();
                    if (now != reported && !progress.is_none()) progress(now - reported);
                    reported = now;
                  });
              double total = 0.0;
              for (double n : r.population) total += n;
              if (!progress.is_none() && static_cast<std::int64_t>(total) > reported)
                progress(static_cast<std::int64_t>(total) - reported);
            } else {
              py::gil_scoped_release release;
              r = run_segment(w, v, o);
            }
            return result_to_dict(r);
          },
          py::arg("mode"), py::kw_only(), py::arg("periods"), py::arg("period_days"), py::arg("threads") = 0,
          py::arg("agent_scale") = 1.0, py::arg("record_touches") = true, py::arg("remove") = std::vector<std::string>{},
          py::arg("remove_campaigns") = std::vector<std::string>{},
          py::arg("remove_activities") = std::vector<std::string>{}, py::arg("progress") = py::none(),
          "Runs the world; returns a dict of numpy arrays (shapes (T,S,C), (T,S), (T,C), (T,) and logs). "
          "Agent mode calls progress(n) from the calling thread as n more people are done.")
      .def(
          "truth",
          [](const World& w, int periods, int period_days, int threads, const std::vector<double>& population,
             int window_start, int window_end, int horizon, int lag_periods) {
            const RunOptions o = options(periods, period_days, threads, 1.0, false);
            if (population.size() != static_cast<std::size_t>(w.segments()))
              throw std::invalid_argument("population must have one entry per segment");
            TruthOptions to;
            to.window_start = window_start;
            to.window_end = window_end;
            to.horizon = horizon;
            to.lag_periods = lag_periods;
            Truth tr;
            {
              py::gil_scoped_release release;
              tr = ground_truth(w, o, population, to);
            }
            py::dict d;
            d["channels"] = effects_to_list(tr.channels);
            d["campaigns"] = effects_to_list(tr.campaigns);
            d["activities"] = effects_to_list(tr.activities);
            d["channel_incremental_conversions"] = tr.channel_incremental_conversions;
            d["channel_incremental_revenue"] = tr.channel_incremental_revenue;
            const py::ssize_t T = periods + tr.horizon, S = w.segments();
            d["expected_conversions"] = to_array(tr.baseline.conversions, {T, S});
            d["expected_revenue"] = to_array(tr.baseline.revenue, {T, S});
            d["expected_trusting"] = to_array(tr.baseline.trusting, {T, S});
            d["lag_periods"] = tr.lag_periods;
            d["horizon"] = tr.horizon;
            return d;
          },
          py::kw_only(), py::arg("periods"), py::arg("period_days"), py::arg("threads") = 0, py::arg("population"),
          py::arg("window_start") = -1, py::arg("window_end") = -1, py::arg("horizon") = 0, py::arg("lag_periods") = -1,
          "Ground truth from the exact expected-value chain with each channel, campaign and PR activity removed; "
          "window_start/window_end (periods, inclusive; -1 = each channel's whole activity), horizon (periods after "
          "the data with no marketing and no events) and lag_periods (-1 = short_term_lag_days) as in TruthOptions.")
      .def(
          "realised_increments",
          [](const World& w, int periods, int period_days, int threads, double agent_scale) {
            const RunOptions o = options(periods, period_days, threads, agent_scale, false);
            Eigen::MatrixXd out;
            {
              py::gil_scoped_release release;
              const RunResult base = run_agent(w, w.baseline_variant(), o);
              out = realised_channel_increments(w, o, base);
            }
            return out;
          },
          py::kw_only(), py::arg("periods"), py::arg("period_days"), py::arg("threads") = 0, py::arg("agent_scale") = 1.0,
          "Agent-mode incremental conversions (T x C) by re-running without each channel, common random numbers.")
      .def(
          "transition",
          [](const World& w, int segment, int period, int periods, int period_days, const std::vector<double>& population) {
            const RunOptions o = options(periods, period_days, 1, 1.0, false);
            const Dynamics dyn(w, w.baseline_variant(), o, population);
            return dyn.transition(segment, period);
          },
          py::kw_only(), py::arg("segment"), py::arg("period"), py::arg("periods"), py::arg("period_days"),
          py::arg("population"),
          "The exact transition matrix over the 2(m+1) (trust, memory) cells of one segment and period.")
      .def(
          "drive",
          [](const World& w, int periods, int period_days) {
            const Drive dr = w.drive(w.baseline_variant(), periods, period_days);
            py::dict d;
            d["spend"] = dr.spend;
            d["impressions"] = dr.impressions;
            d["sentiment"] = dr.sentiment;
            d["severity_loss"] = dr.severity_loss;
            d["severity_gain"] = dr.severity_gain;
            return d;
          },
          py::kw_only(), py::arg("periods"), py::arg("period_days"),
          "Media inputs per period and channel: spend, impressions, sentiment; crisis/news severities.");
}
}  // namespace trustmix::bindings
