// Domain model bindings: Channel, Campaign, Audience, Plan. Enums cross as strings;
// dates cross as datetime.date (ISO strings accepted). Pickling uses versioned states.
#include <pybind11/eigen.h>
#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include <trustmix/core/domain.hpp>

#include "helpers/convert.hpp"
#include "helpers/domain.hpp"
#include "helpers/pickle.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace trustmix::bindings {
namespace {

using helpers::from_date;
using helpers::get;
using helpers::get_or;
using helpers::make_pickle;
using helpers::need;
using helpers::need_date;
using helpers::to_date;

constexpr int state_version = 1;

std::vector<ScheduleEntry> to_schedule(const py::object& obj, const std::string& campaign) {
  std::vector<ScheduleEntry> out;
  if (obj.is_none()) return out;
  std::size_t i = 0;
  // Accepts a mapping {date: amount} or an iterable of (date, amount) pairs.
  py::iterable items = py::hasattr(obj, "items") ? py::iterable(obj.attr("items")()) : py::iterable(obj);
  for (auto item : items) {
    auto pair = py::reinterpret_borrow<py::sequence>(item);
    if (pair.size() != 2)
      throw std::invalid_argument("Campaign '" + campaign + "': schedule entries must be (date, amount) pairs");
    const std::string where = "Campaign '" + campaign + "': schedule[" + std::to_string(i++) + "]";
    out.push_back({to_date(pair[0], where + ".date"), pair[1].cast<double>()});
  }
  return out;
}

// to_dict()/from_dict(): the domain types' documented JSON-compatible form of their spec (the
// keys of their constructors; Plan's with a 'version' key; trustmix.core's docstring), which
// the pickles carry too. Deliberately dicts, not result classes: the objects themselves are
// the typed classes, and the dict is their exchange format.
py::dict channel_to_dict(const Channel& c) {
  py::dict d;
  d["name"] = c.name;
  d["peso"] = std::string(to_string(c.peso));
  d["role"] = std::string(to_string(c.role));
  d["platform"] = c.platform.empty() ? py::object(py::none()) : py::object(py::str(c.platform));
  d["metadata"] = c.metadata;
  return d;
}
Channel channel_from_dict(const py::dict& d) {
  return Channel(need<std::string>(d, "name"), peso_from_string(need<std::string>(d, "peso")),
                 role_from_string(need<std::string>(d, "role")), get_or<std::string>(d, "platform", ""),
                 get_or(d, "metadata", Metadata{}));
}
py::dict campaign_to_dict(const Campaign& c) {
  py::dict d;
  d["name"] = c.name;
  d["channel"] = c.channel;
  d["objective"] = std::string(to_string(c.objective));
  d["start"] = c.start.iso();
  d["end"] = c.end.iso();
  d["budget"] = c.budget;
  py::list s;
  for (const auto& e : c.schedule) s.append(py::make_tuple(e.date.iso(), e.amount));
  d["schedule"] = s;
  return d;
}
Campaign campaign_from_dict(const py::dict& d) {
  const auto name = need<std::string>(d, "name");
  const std::string who = "Campaign '" + name + "': ";
  return Campaign(name, need<std::string>(d, "channel", who), objective_from_string(need<std::string>(d, "objective", who)),
                  need_date(d, "start", who), need_date(d, "end", who), need<double>(d, "budget", who),
                  to_schedule(get(d, "schedule"), name));
}
py::dict audience_to_dict(const Audience& a) {
  py::dict d;
  d["name"] = a.name;
  d["size"] = a.size;
  d["baseline_trust"] = a.baseline_trust;
  d["reach"] = a.reach;
  d["affinity"] = a.affinity;
  d["tags"] = a.tags;
  d["trust_sensitivity"] = a.trust_sensitivity;
  d["base_conversion_rate"] = a.base_conversion_rate;
  d["value_per_conversion"] = a.value_per_conversion;
  return d;
}
Audience audience_from_dict(const py::dict& d) { return helpers::audience_from_dict(d); }

/// The pandas views of the domain types are written in Python (trustmix/core.py, functions
/// named `_<class>_<method>`); the classes bind them as methods, so that every instance,
/// also one C++ returns, has them and the compiled classes are not patched at import.
auto python_view(const char* function) {
  return [function](const py::object& self, const py::args& args, const py::kwargs& kwargs) {
    return py::module_::import("trustmix.core").attr(function)(self, *args, **kwargs);
  };
}

}  // namespace

void register_core(py::module_& m) {
  auto core = m.def_submodule("core", "trustmix::core: the domain model.");

  py::class_<Channel>(core, "Channel",
                      "A communication channel.\n\n"
                      "Parameters\n----------\n"
                      "name : str\n    Unique name within a plan.\n"
                      "peso : {'paid', 'earned', 'shared', 'owned'}\n    PESO media category.\n"
                      "role : {'trust', 'conversion', 'both'}\n    'trust' feeds the trust stock (PR), "
                      "'conversion' converts in the short term (SMM), 'both' does both.\n"
                      "platform : str, optional\n    instagram, tiktok, youtube, linkedin, facebook, press, tv, "
                      "events, search, email, ...\nmetadata : dict[str, str], optional\n    Free-form tags.")
      .def(py::init([](std::string name, const std::string& peso, const std::string& role, const py::object& platform,
                       Metadata metadata) {
             return Channel(std::move(name), peso_from_string(peso), role_from_string(role),
                            platform.is_none() ? std::string{} : platform.cast<std::string>(), std::move(metadata));
           }),
           py::arg("name"), py::kw_only(), py::arg("peso") = "paid", py::arg("role") = "conversion",
           py::arg("platform") = py::none(), py::arg("metadata") = Metadata{})
      .def_readonly("name", &Channel::name)
      .def_property_readonly("peso", [](const Channel& c) { return std::string(to_string(c.peso)); })
      .def_property_readonly("role", [](const Channel& c) { return std::string(to_string(c.role)); })
      .def_property_readonly(
          "platform",
          [](const Channel& c) { return c.platform.empty() ? py::object(py::none()) : py::object(py::str(c.platform)); })
      .def_readonly("metadata", &Channel::metadata)
      .def_property_readonly("builds_trust", &Channel::builds_trust, "True for role 'trust' or 'both'.")
      .def_property_readonly("converts", &Channel::converts, "True for role 'conversion' or 'both'.")
      .def("to_dict", &channel_to_dict, "JSON-compatible dict of the fields.")
      .def_static("from_dict", &channel_from_dict, py::arg("data"))
      .def(py::self == py::self)
      .def("__repr__",
           [](const Channel& c) {
             return "Channel('" + c.name + "', peso='" + std::string(to_string(c.peso)) + "', role='" +
                    std::string(to_string(c.role)) + "'" + (c.platform.empty() ? "" : ", platform='" + c.platform + "'") +
                    ")";
           })
      .def(make_pickle<Channel>("Channel", state_version, &channel_to_dict, &channel_from_dict));

  py::class_<Campaign>(core, "Campaign",
                       "A campaign on one channel between two dates (both included).\n\n"
                       "Parameters\n----------\n"
                       "name : str\nchannel : str\n    Name of a channel of the plan.\n"
                       "objective : {'awareness', 'trust', 'engagement', 'conversion'}\n"
                       "start, end : datetime.date or 'YYYY-MM-DD'\n"
                       "budget : float\n    Total spend (currency), >= 0.\n"
                       "schedule : mapping date -> amount or list of (date, amount), optional\n"
                       "    Amount spent in the period starting on each date; must lie within the dates and sum\n"
                       "    to the budget. Without it the budget is spread evenly over the days.")
      .def(py::init([](std::string name, std::string channel, const std::string& objective, const py::object& start,
                       const py::object& end, double budget, const py::object& schedule) {
             const std::string who = "Campaign '" + name + "': ";
             auto sched = to_schedule(schedule, name);
             return Campaign(std::move(name), std::move(channel), objective_from_string(objective),
                             to_date(start, who + "start"), to_date(end, who + "end"), budget, std::move(sched));
           }),
           py::arg("name"), py::kw_only(), py::arg("channel"), py::arg("objective") = "conversion", py::arg("start"),
           py::arg("end"), py::arg("budget"), py::arg("schedule") = py::none())
      .def_readonly("name", &Campaign::name)
      .def_readonly("channel", &Campaign::channel)
      .def_property_readonly("objective", [](const Campaign& c) { return std::string(to_string(c.objective)); })
      .def_property_readonly("start", [](const Campaign& c) { return from_date(c.start); })
      .def_property_readonly("end", [](const Campaign& c) { return from_date(c.end); })
      .def_readonly("budget", &Campaign::budget)
      .def_property_readonly("schedule",
                             [](const Campaign& c) {
                               py::list s;
                               for (const auto& e : c.schedule) s.append(py::make_tuple(from_date(e.date), e.amount));
                               return s;
                             })
      .def_property_readonly("days", &Campaign::days, "Length in days, both ends included.")
      .def("to_dict", &campaign_to_dict)
      .def_static("from_dict", &campaign_from_dict, py::arg("data"))
      .def(py::self == py::self)
      .def("__repr__",
           [](const Campaign& c) {
             return "Campaign('" + c.name + "', channel='" + c.channel + "', " + c.start.iso() + ".." + c.end.iso() +
                    ", budget=" + format_message(c.budget) + ")";
           })
      .def(make_pickle<Campaign>("Campaign", state_version, &campaign_to_dict, &campaign_from_dict))
      .def("spend", python_view("_campaign_spend"),
           "spend(freq='D') -> pandas.Series\n\n"
           "Spend of this campaign per period from its start to its end (currency);\n"
           "freq 'D' (days) or 'W' (7-day periods).");

  py::class_<Audience>(core, "Audience",
                       "An audience segment or persona.\n\n"
                       "Parameters\n----------\n"
                       "name : str\nsize : float\n    People in the segment, >= 0.\n"
                       "baseline_trust : float\n    Share trusting the brand, in [0, 1].\n"
                       "reach : dict[str, float]\n    Channel -> share of the segment the channel can reach, [0, 1].\n"
                       "affinity : dict[str, float]\n    Channel -> relative responsiveness (1 = average), >= 0.\n"
                       "tags : dict[str, str]\n    Demographics and psychographics.\n"
                       "trust_sensitivity : float\n    Response of trust to PR exposure (1 = average), >= 0.\n"
                       "base_conversion_rate : float\n    Conversions per person per period without media, [0, 1].\n"
                       "value_per_conversion : float\n    Currency per conversion, >= 0.")
      .def(py::init<std::string, double, double, std::map<std::string, double>, std::map<std::string, double>, Metadata,
                    double, double, double>(),
           py::arg("name"), py::kw_only(), py::arg("size"), py::arg("baseline_trust") = 0.5,
           py::arg("reach") = std::map<std::string, double>{}, py::arg("affinity") = std::map<std::string, double>{},
           py::arg("tags") = Metadata{}, py::arg("trust_sensitivity") = 1.0, py::arg("base_conversion_rate") = 0.0,
           py::arg("value_per_conversion") = 0.0)
      .def_readonly("name", &Audience::name)
      .def_readonly("size", &Audience::size)
      .def_readonly("baseline_trust", &Audience::baseline_trust)
      .def_readonly("reach", &Audience::reach)
      .def_readonly("affinity", &Audience::affinity)
      .def_readonly("tags", &Audience::tags)
      .def_readonly("trust_sensitivity", &Audience::trust_sensitivity)
      .def_readonly("base_conversion_rate", &Audience::base_conversion_rate)
      .def_readonly("value_per_conversion", &Audience::value_per_conversion)
      .def("to_dict", &audience_to_dict)
      .def_static("from_dict", &audience_from_dict, py::arg("data"))
      .def(py::self == py::self)
      .def("__repr__",
           [](const Audience& a) {
             return "Audience('" + a.name + "', size=" + format_message(a.size) +
                    ", baseline_trust=" + format_message(a.baseline_trust) + ")";
           })
      .def(make_pickle<Audience>("Audience", state_version, &audience_to_dict, &audience_from_dict));

  auto plan_to_dict = [](const Plan& p) {
    py::dict d;
    py::list ch, ca, au;
    for (const auto& c : p.channels()) ch.append(channel_to_dict(c));
    for (const auto& c : p.campaigns()) ca.append(campaign_to_dict(c));
    for (const auto& a : p.audiences()) au.append(audience_to_dict(a));
    d["version"] = state_version;
    d["channels"] = ch;
    d["campaigns"] = ca;
    d["audiences"] = au;
    return d;
  };
  auto plan_from_dict = [](const py::dict& d) {
    if (d.contains("version") && d["version"].cast<int>() > state_version)
      throw std::invalid_argument("Plan dict has version " + py::str(d["version"]).cast<std::string>() +
                                  ", newer than this trustmix understands (" + std::to_string(state_version) + ")");
    Plan p;
    auto list = [&](const char* key) { return d.contains(key) ? d[key].cast<py::list>() : py::list(); };
    for (auto c : list("channels")) p.add_channel(channel_from_dict(c.cast<py::dict>()));
    for (auto c : list("campaigns")) p.add_campaign(campaign_from_dict(c.cast<py::dict>()));
    for (auto a : list("audiences")) p.add_audience(audience_from_dict(a.cast<py::dict>()));
    return p;
  };

  py::class_<Plan>(core, "Plan",
                   "Channels, campaigns and audiences, with lookups by name.\n\n"
                   "Names are unique within each kind; every campaign's channel and every audience's\n"
                   "reach/affinity key must be a channel of the plan (ValueError otherwise).")
      .def(py::init<std::vector<Channel>, std::vector<Campaign>, std::vector<Audience>>(), py::kw_only(),
           py::arg("channels") = std::vector<Channel>{}, py::arg("campaigns") = std::vector<Campaign>{},
           py::arg("audiences") = std::vector<Audience>{})
      .def("add_channel", &Plan::add_channel, py::arg("channel"))
      .def("add_campaign", &Plan::add_campaign, py::arg("campaign"))
      .def("add_audience", &Plan::add_audience, py::arg("audience"))
      .def_property_readonly("channels", &Plan::channels)
      .def_property_readonly("campaigns", &Plan::campaigns)
      .def_property_readonly("audiences", &Plan::audiences)
      .def("channel", &Plan::channel, py::arg("name"), "The channel with this name (ValueError if none).")
      .def("campaign", &Plan::campaign, py::arg("name"))
      .def("audience", &Plan::audience, py::arg("name"))
      .def("total_budget", &Plan::total_budget, "Sum of campaign budgets (currency).")
      .def(
          "spend_matrix",
          [](const Plan& p, const py::object& first, int periods, int period_days) {
            return p.spend_matrix(to_date(first, "first"), periods, period_days);
          },
          py::arg("first"), py::arg("periods"), py::arg("period_days") = 7,
          "Spend per period (rows) and channel (columns, plan order); row t covers days\n"
          "[first + t*period_days, first + (t+1)*period_days). Unscheduled campaigns spend\n"
          "budget/days per day; spend outside the window is not included.")
      .def("to_dict", plan_to_dict, "JSON-compatible dict with a 'version' key.")
      .def_static("from_dict", plan_from_dict, py::arg("data"))
      .def(py::self == py::self)
      .def(make_pickle<Plan>("Plan", state_version, plan_to_dict, plan_from_dict))
      .def("spend", python_view("_plan_spend"),
           "spend(start, periods, freq='W') -> pandas.DataFrame\n\n"
           "Spend per period and channel (currency): index the period start dates (name\n"
           "'period'), one column per channel in plan order; freq 'W' (7-day) or 'D'.\n"
           "Unscheduled campaigns spend budget / days per day; spend outside the window\n"
           "is not included.")
      .def("channels_frame", python_view("_plan_channels_frame"),
           "channels_frame() -> pandas.DataFrame\n\n"
           "Channels: name, peso, role, platform (one row per channel).")
      .def("campaigns_frame", python_view("_plan_campaigns_frame"),
           "campaigns_frame() -> pandas.DataFrame\n\n"
           "Campaigns: name, channel, objective, start, end, days, budget.")
      .def("audiences_frame", python_view("_plan_audiences_frame"),
           "audiences_frame() -> pandas.DataFrame\n\n"
           "Audiences: name, size, baseline_trust and the other scalar fields.")
      .def("__repr__", python_view("_plan_repr"), "Plan(n channels, n campaigns, n audiences, total budget x).")
      .def("_repr_html_", python_view("_plan_repr_html"), "The plan's tables as HTML (Jupyter).");
}

}  // namespace trustmix::bindings
