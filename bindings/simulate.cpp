// trustmix::simulate bound to Python: a World built from a plain dict (the Python layer
// normalises scenario files into it), runs, ground truth and media inputs returned as typed
// result classes (RunResult, Truth with its EffectTruth rows, Drive) of numpy arrays.
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
#include "helpers/result.hpp"
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

/// World.truth(): the ground truth with the run's periods and segments (the shapes of its
/// expected trajectories).
struct TruthResult {
  int periods = 0, segments = 0;
  Truth truth;
};

void bind_results(py::module_& sub) {
  using helpers::member;
  using helpers::nested;
  using helpers::Shape;
  using helpers::shaped;
  using R = RunResult;
  // T x S x C, T x S, T x C and T arrays of a run (row-major, as RunResult stores them).
  const auto tsc = [](const R& r) { return Shape{r.periods, r.segments, r.channels}; };
  const auto ts = [](const R& r) { return Shape{r.periods, r.segments}; };
  const auto tc = [](const R& r) { return Shape{r.periods, r.channels}; };
  const auto t = [](const R& r) { return Shape{r.periods}; };
  helpers::bind_result<R>(
      sub, "RunResult",
      "A run of the world (trustmix::simulate::RunResult): float64 arrays over periods T, segments S and channels C,\n"
      "and the agent mode's logs (empty in segment mode or without record_touches).",
      1, member("periods", &R::periods, "Periods T."), member("segments", &R::segments, "Segments S."),
      member("channels", &R::channels, "Channels C."), member("period_days", &R::period_days, "Days per period."),
      member("population", &R::population, "People simulated per segment (S)."),
      member("spend", &R::spend, "Spend per period and channel (T x C, currency)."),
      shaped<R>(
          "impressions", [](auto& r) -> auto& { return r.impressions; }, tsc, "Impressions (T x S x C)."),
      shaped<R>(
          "reach", [](auto& r) -> auto& { return r.reach; }, tsc, "People reached (T x S x C)."),
      shaped<R>(
          "clicks", [](auto& r) -> auto& { return r.clicks; }, tsc, "Clicks (T x S x C)."),
      shaped<R>(
          "visits", [](auto& r) -> auto& { return r.visits; }, tsc, "Visits (T x S x C)."),
      shaped<R>(
          "conversions", [](auto& r) -> auto& { return r.conversions; }, ts, "Realised conversions (T x S)."),
      shaped<R>(
          "revenue", [](auto& r) -> auto& { return r.revenue; }, ts, "Realised revenue (T x S, currency)."),
      shaped<R>(
          "trusting", [](auto& r) -> auto& { return r.trusting; }, ts, "People who trust, realised (T x S)."),
      shaped<R>(
          "expected_conversions", [](auto& r) -> auto& { return r.expected_conversions; }, ts,
          "Expected conversions from the exact chain (T x S)."),
      shaped<R>(
          "expected_trusting", [](auto& r) -> auto& { return r.expected_trusting; }, ts,
          "Expected people who trust from the exact chain (T x S)."),
      shaped<R>(
          "mentions", [](auto& r) -> auto& { return r.mentions; }, tc, "PR mentions (T x C)."),
      shaped<R>(
          "earned_reach", [](auto& r) -> auto& { return r.earned_reach; }, tc, "Earned reach (T x C, people)."),
      shaped<R>(
          "positive_mentions", [](auto& r) -> auto& { return r.positive_mentions; }, tc, "Positive mentions (T x C)."),
      shaped<R>(
          "negative_mentions", [](auto& r) -> auto& { return r.negative_mentions; }, tc, "Negative mentions (T x C)."),
      shaped<R>(
          "crisis_mentions", [](auto& r) -> auto& { return r.crisis_mentions; }, t, "Crisis mentions (T)."),
      shaped<R>(
          "news_mentions", [](auto& r) -> auto& { return r.news_mentions; }, t, "Good-news mentions (T)."),
      shaped<R>(
          "competitor_mentions", [](auto& r) -> auto& { return r.competitor_mentions; }, t, "Competitors' mentions (T)."),
      shaped<R>(
          "survey_trusting", [](auto& r) -> auto& { return r.survey_trusting; }, t, "Tracker respondents who trust (T)."),
      shaped<R>(
          "survey_size", [](auto& r) -> auto& { return r.survey_size; }, t, "Tracker respondents asked (T)."),
      nested<R>(
          "touch_user", [](auto& r) -> auto& { return r.touches.user; }, "int64 user id of each touch."),
      nested<R>(
          "touch_second", [](auto& r) -> auto& { return r.touches.second; },
          "int64 seconds since the world's start of each touch."),
      nested<R>(
          "touch_channel", [](auto& r) -> auto& { return r.touches.channel; }, "int32 channel index of each touch."),
      nested<R>(
          "touch_source", [](auto& r) -> auto& { return r.touches.source; },
          "int32 source of each touch: campaign k, PR activity K + a, organic K + A."),
      nested<R>(
          "touch_kind", [](auto& r) -> auto& { return r.touches.kind; },
          "uint8 kind of each touch: 0 impression, 1 earned, 2 click."),
      nested<R>(
          "conversion_user", [](auto& r) -> auto& { return r.conversion_log.user; }, "int64 user id of each conversion."),
      nested<R>(
          "conversion_second", [](auto& r) -> auto& { return r.conversion_log.second; },
          "int64 seconds since the world's start of each conversion."),
      nested<R>(
          "conversion_value", [](auto& r) -> auto& { return r.conversion_log.value; },
          "Value of each conversion (currency)."),
      member("person_segment_start", &R::person_segment_start, "int32 S + 1 offsets of the user ids per segment."));

  using E = EffectTruth;
  helpers::bind_result<E>(
      sub, "EffectTruth",
      "The true effect of one channel, campaign or PR activity (trustmix::simulate::EffectTruth): expected\n"
      "incremental conversions and revenue, world minus the world without it, split short/long term.",
      1, member("name", &E::name, "Channel, campaign or PR activity."), member("channel", &E::channel, "Its channel."),
      member("cost", &E::cost, "Its spend in the window (currency)."),
      member("conversions", &E::conversions, "Incremental conversions."),
      member("revenue", &E::revenue, "Incremental revenue (currency)."),
      member("short_conversions", &E::short_conversions, "Conversions up to the window's end + lag."),
      member("long_conversions", &E::long_conversions, "Conversions after the window's end + lag."),
      member("short_revenue", &E::short_revenue, "Revenue up to the window's end + lag."),
      member("long_revenue", &E::long_revenue, "Revenue after the window's end + lag."),
      helpers::computed<E>(
          "roas", [](const E& e) { return e.roas(); }, "revenue / cost (gross); NaN without cost."),
      helpers::computed<E>(
          "roi", [](const E& e) { return e.roi(); }, "(revenue - cost) / cost (net); NaN without cost."),
      member("marginal_roi", &E::marginal_roi, "Net return on the next 1% of paid spend (NaN: no paid spend)."),
      member("window_start", &E::window_start, "First active period (inclusive; -1: never active)."),
      member("window_end", &E::window_end, "Last active period (inclusive; -1: never active)."));

  using G = TruthResult;
  const auto th = [](const G& g) { return Shape{g.periods + g.truth.horizon, g.segments}; };
  helpers::bind_result<G>(
      sub, "Truth",
      "Ground truth of a world (trustmix::simulate::Truth): the effects of every channel, campaign and PR\n"
      "activity, incremental conversions per period and channel, and the world's expected trajectories, over the\n"
      "run's periods T plus the horizon H.",
      1, member("periods", &G::periods, "Periods T of the run."), member("segments", &G::segments, "Segments S."),
      nested<G>(
          "horizon", [](auto& g) -> auto& { return g.truth.horizon; }, "Periods H after the data counted."),
      nested<G>(
          "lag_periods", [](auto& g) -> auto& { return g.truth.lag_periods; },
          "L: periods after a window still counted short-term."),
      nested<G>(
          "channels", [](auto& g) -> auto& { return g.truth.channels; }, "EffectTruth per channel."),
      nested<G>(
          "campaigns", [](auto& g) -> auto& { return g.truth.campaigns; }, "EffectTruth per campaign."),
      nested<G>(
          "activities", [](auto& g) -> auto& { return g.truth.activities; }, "EffectTruth per PR activity."),
      nested<G>(
          "channel_incremental_conversions", [](auto& g) -> auto& { return g.truth.channel_incremental_conversions; },
          "Expected incremental conversions ((T + H) x C)."),
      nested<G>(
          "channel_incremental_revenue", [](auto& g) -> auto& { return g.truth.channel_incremental_revenue; },
          "Expected incremental revenue ((T + H) x C, currency)."),
      shaped<G>(
          "expected_conversions", [](auto& g) -> auto& { return g.truth.baseline.conversions; }, th,
          "Expected conversions of the world as given ((T + H) x S)."),
      shaped<G>(
          "expected_revenue", [](auto& g) -> auto& { return g.truth.baseline.revenue; }, th,
          "Expected revenue of the world as given ((T + H) x S, currency)."),
      shaped<G>(
          "expected_trusting", [](auto& g) -> auto& { return g.truth.baseline.trusting; }, th,
          "Expected people who trust ((T + H) x S)."));

  helpers::bind_result<Drive>(
      sub, "Drive", "Media inputs of a world per period (trustmix::simulate::Drive).", 1,
      member("periods", &Drive::periods, "Periods T."),
      member("spend", &Drive::spend, "Spend per period and channel (T x C, currency)."),
      member("impressions", &Drive::impressions, "Impressions per period and channel (T x C)."),
      member("sentiment", &Drive::sentiment, "Coverage sentiment per period and channel (T x C)."),
      member("severity_loss", &Drive::severity_loss, "omega_t: crisis severity per period (T)."),
      member("severity_gain", &Drive::severity_gain, "nu_t: good-news severity per period (T)."),
      member("first_active", &Drive::first_active, "int32 first period with activity per channel (-1: none)."),
      member("last_active", &Drive::last_active, "int32 last period with activity per channel (-1: none)."));
}

}  // namespace

void register_simulate(pybind11::module_& m) {
  auto sub = m.def_submodule("simulate", "trustmix::simulate bound to Python (use trustmix.simulate).");
  bind_results(sub);
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
            return r;
          },
          py::arg("mode"), py::kw_only(), py::arg("periods"), py::arg("period_days"), py::arg("threads") = 0,
          py::arg("agent_scale") = 1.0, py::arg("record_touches") = true, py::arg("remove") = std::vector<std::string>{},
          py::arg("remove_campaigns") = std::vector<std::string>{},
          py::arg("remove_activities") = std::vector<std::string>{}, py::arg("progress") = py::none(),
          "Runs the world; returns a RunResult (numpy arrays of shapes (T,S,C), (T,S), (T,C), (T,) and logs). "
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
            TruthResult tr;
            tr.periods = periods;
            tr.segments = w.segments();
            {
              py::gil_scoped_release release;
              tr.truth = ground_truth(w, o, population, to);
            }
            return tr;
          },
          py::kw_only(), py::arg("periods"), py::arg("period_days"), py::arg("threads") = 0, py::arg("population"),
          py::arg("window_start") = -1, py::arg("window_end") = -1, py::arg("horizon") = 0, py::arg("lag_periods") = -1,
          "Ground truth (a Truth) from the exact expected-value chain with each channel, campaign and PR activity removed; "
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
          [](const World& w, int periods, int period_days) { return w.drive(w.baseline_variant(), periods, period_days); },
          py::kw_only(), py::arg("periods"), py::arg("period_days"),
          "Media inputs per period and channel (a Drive): spend, impressions, sentiment; crisis/news severities.");
}
}  // namespace trustmix::bindings
