// trustmix::attribution bound to Python. Thin: arguments are converted to C++ first,
// the GIL is released around the C++ work, results come back as numpy arrays and result classes
// with typed attributes (helpers/result.hpp).
// The pythonic layer (trustmix.attribution) builds DataFrames and result objects.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <trustmix/attribution/attribution.hpp>

#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "helpers/convert.hpp"
#include "helpers/pickle.hpp"
#include "helpers/result.hpp"
#include "interruptible.hpp"
#include "register.hpp"

namespace py = pybind11;
namespace ta = trustmix::attribution;

namespace trustmix::bindings {
namespace {

/// The JourneyStore's pickle: version 2 is (2, {channels, offsets, touches, touch_age_days,
/// conversions, value, nulls}); version 1 (before make_pickle) was the flat tuple
/// (1, channels, offsets, touches, touch_age_days, conversions, value, nulls) and still loads.
constexpr int store_state_version = 2;

/// The journeys' bookkeeping of JourneyStore.from_events (the store itself is returned
/// beside it): EventJourneys without its store.
struct EventInfo {
  std::vector<std::int64_t> user, end_time, conversion_row;
  std::int64_t unattributed_conversions = 0;
  double unattributed_value = 0.0;
  std::vector<std::int64_t> unattributed_rows;
  std::int64_t touches_outside_lookback = 0;
};

using helpers::DoubleArray;
using helpers::Int32Array;
using helpers::Int64Array;
using helpers::to_array;
using helpers::to_vector;

/// UTF-8 views of n Python str objects, read in place (CPython caches the UTF-8 bytes in
/// each str, so the views live as long as the objects). A non-str item is named by its
/// row and the path column.
std::vector<std::string_view> utf8_views(PyObject* const* items, std::size_t n, const std::string& column) {
  std::vector<std::string_view> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    PyObject* item = items[i];
    if (!PyUnicode_Check(item))
      throw std::invalid_argument("row " + std::to_string(i) + ", column '" + column + "': expected a path string, got " +
                                  std::string(py::repr(item)));
    Py_ssize_t len = 0;
    const char* p = PyUnicode_AsUTF8AndSize(item, &len);
    if (p == nullptr) throw py::error_already_set();
    out[i] = std::string_view(p, static_cast<std::size_t>(len));
  }
  return out;
}

std::span<const double> span_of(const std::optional<DoubleArray>& a) {
  if (!a) return {};
  return {a->data(), static_cast<std::size_t>(a->size())};
}

ta::JourneyStore store_from_arrays(std::vector<std::string> channels, const Int64Array& offsets, const Int32Array& touches,
                                   const DoubleArray& ages, const DoubleArray& conversions, const DoubleArray& value,
                                   const DoubleArray& nulls) {
  ta::JourneyStore s;
  s.channels = std::move(channels);
  s.offsets = to_vector(offsets);
  s.touches = to_vector(touches);
  s.touch_age_days = to_vector(ages);
  s.conversions = to_vector(conversions);
  s.value = to_vector(value);
  s.nulls = to_vector(nulls);
  s.validate();
  return s;
}

using UInt64Array = py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>;

/// A count table of its columns (Statistics.from_table's arguments); the core checks that
/// they have the same length.
ta::CountTable count_table(std::vector<std::string> statistic, const Int32Array& order, const Int32Array& position,
                           std::vector<std::string> key, std::vector<std::string> target, const Int64Array& units_high,
                           const UInt64Array& units_low) {
  ta::CountTable t;
  t.statistic = std::move(statistic);
  t.order = to_vector(order);
  t.position = to_vector(position);
  t.key = std::move(key);
  t.target = std::move(target);
  t.units_high = to_vector(units_high);
  t.units_low.assign(units_low.data(), units_low.data() + units_low.size());
  return t;
}

/// The caller's column names (path, conversions, value, nulls) for error messages; an
/// empty list keeps the default names.
ta::PathColumns path_columns(const std::vector<std::string>& columns) {
  if (columns.empty()) return {};
  if (columns.size() != 4)
    throw std::invalid_argument("columns must name 4 columns (path, conversions, value, nulls), got " +
                                std::to_string(columns.size()));
  return {columns[0], columns[1], columns[2], columns[3]};
}

ta::MarkovSolver markov_solver(const std::string& solver, double tolerance, std::size_t direct_max_states) {
  ta::MarkovSolver sv;
  if (solver == "auto") sv.method = ta::MarkovSolver::Method::automatic;
  else if (solver == "direct") sv.method = ta::MarkovSolver::Method::direct;
  else if (solver == "iterative") sv.method = ta::MarkovSolver::Method::iterative;
  else throw std::invalid_argument("solver must be 'auto', 'direct' or 'iterative', got '" + solver + "'");
  sv.tolerance = tolerance;
  sv.direct_max_states = direct_max_states;
  return sv;
}

}  // namespace

void register_attribution(pybind11::module_& m) {
  auto sub = m.def_submodule("attribution", "trustmix::attribution bound to Python.");

  py::class_<ta::JourneyStore>(sub, "JourneyStore",
                               "Journeys in columnar form: dictionary-encoded channel ids in one contiguous array.")
      .def_static(
          "from_path_buffer",
          [](const py::buffer& data, const py::array& offsets, const DoubleArray& conversions,
             const std::optional<DoubleArray>& value, const std::optional<DoubleArray>& nulls, const std::string& sep,
             const std::vector<std::string>& columns, int threads) {
            // Arrow string (int32 offsets) or large_string (int64) layout, read in place.
            const py::buffer_info info = data.request();
            const std::string_view bytes(static_cast<const char*>(info.ptr),
                                         static_cast<std::size_t>(info.size * info.itemsize));
            const ta::PathColumns cols = path_columns(columns);
            const std::span<const double> conv{conversions.data(), static_cast<std::size_t>(conversions.size())};
            const auto vs = span_of(value), ns = span_of(nulls);
            if (py::isinstance<py::array_t<std::int32_t>>(offsets)) {
              const auto o = offsets.cast<py::array_t<std::int32_t, py::array::c_style | py::array::forcecast>>();
              const std::span<const std::int32_t> os(o.data(), static_cast<std::size_t>(o.size()));
              py::gil_scoped_release release;
              return ta::from_path_buffer(bytes, os, conv, vs, ns, sep, cols, threads);
            }
            const auto o = offsets.cast<Int64Array>();
            const std::span<const std::int64_t> os(o.data(), static_cast<std::size_t>(o.size()));
            py::gil_scoped_release release;
            return ta::from_path_buffer(bytes, os, conv, vs, ns, sep, cols, threads);
          },
          py::arg("data"), py::arg("offsets"), py::arg("conversions"), py::arg("value") = py::none(),
          py::arg("nulls") = py::none(), py::kw_only(), py::arg("sep") = ">",
          py::arg("columns") = std::vector<std::string>{}, py::arg("threads") = 0,
          "Parses UTF-8 path strings stored back to back (Arrow large_string layout).")
      .def_static(
          "from_path_objects",
          [](const py::array& values, const DoubleArray& conversions, const std::optional<DoubleArray>& value,
             const std::optional<DoubleArray>& nulls, const std::string& sep, const std::vector<std::string>& columns,
             int threads) {
            // A one-dimensional numpy object array of str (a pandas object column): the
            // UTF-8 bytes are read in place (CPython caches them in each str object).
            const ta::PathColumns cols = path_columns(columns);
            if (values.dtype().kind() != 'O' || values.ndim() != 1 ||
                (values.size() > 1 && values.strides(0) != static_cast<py::ssize_t>(sizeof(PyObject*))))
              throw std::invalid_argument("from_path_objects expects a contiguous one-dimensional object array");
            const std::vector<std::string_view> paths = utf8_views(static_cast<PyObject* const*>(values.data()),
                                                                   static_cast<std::size_t>(values.size()), cols.path);
            const std::span<const double> conv{conversions.data(), static_cast<std::size_t>(conversions.size())};
            const auto vs = span_of(value), ns = span_of(nulls);
            py::gil_scoped_release release;  // the array (and so its str objects) outlives the call
            return ta::from_paths(paths, conv, vs, ns, sep, cols, threads);
          },
          py::arg("values"), py::arg("conversions"), py::arg("value") = py::none(), py::arg("nulls") = py::none(),
          py::kw_only(), py::arg("sep") = ">", py::arg("columns") = std::vector<std::string>{}, py::arg("threads") = 0,
          "Parses a numpy object array of path strings (read in place).")
      .def_static(
          "from_path_list",
          [](const py::sequence& seq, const DoubleArray& conversions, const std::optional<DoubleArray>& value,
             const std::optional<DoubleArray>& nulls, const std::string& sep, const std::vector<std::string>& columns,
             int threads) {
            const ta::PathColumns cols = path_columns(columns);
            if (!PyList_Check(seq.ptr()) && !PyTuple_Check(seq.ptr()))
              throw std::invalid_argument("from_path_list expects a list or tuple of path strings");
            const std::vector<std::string_view> paths = utf8_views(PySequence_Fast_ITEMS(seq.ptr()),
                                                                   static_cast<std::size_t>(py::len(seq)), cols.path);
            const std::span<const double> conv{conversions.data(), static_cast<std::size_t>(conversions.size())};
            const auto vs = span_of(value), ns = span_of(nulls);
            py::gil_scoped_release release;
            return ta::from_paths(paths, conv, vs, ns, sep, cols, threads);
          },
          py::arg("paths"), py::arg("conversions"), py::arg("value") = py::none(), py::arg("nulls") = py::none(),
          py::kw_only(), py::arg("sep") = ">", py::arg("columns") = std::vector<std::string>{}, py::arg("threads") = 0,
          "Parses a list (or tuple) of path strings.")
      .def_static(
          "from_events",
          [](const Int64Array& touch_user, const Int64Array& touch_time, const Int32Array& touch_channel,
             const std::vector<std::string>& channel_names, const Int64Array& conversion_user,
             const Int64Array& conversion_time, const DoubleArray& conversion_value, std::int64_t lookback,
             double time_units_per_day, bool drop_unattributed) {
            auto sp64 = [](const Int64Array& a) {
              return std::span<const std::int64_t>(a.data(), static_cast<std::size_t>(a.size()));
            };
            const std::span<const ta::ChannelId> ch(touch_channel.data(), static_cast<std::size_t>(touch_channel.size()));
            const std::span<const double> cv(conversion_value.data(), static_cast<std::size_t>(conversion_value.size()));
            ta::EventJourneys ev;
            {
              py::gil_scoped_release release;
              ev = ta::from_events(sp64(touch_user), sp64(touch_time), ch, channel_names, sp64(conversion_user),
                                   sp64(conversion_time), cv, lookback, time_units_per_day, drop_unattributed);
            }
            EventInfo info{std::move(ev.user),          std::move(ev.end_time), std::move(ev.conversion_row),
                           ev.unattributed_conversions, ev.unattributed_value,  std::move(ev.unattributed_rows),
                           ev.touches_outside_lookback};
            return py::make_tuple(std::move(ev.store), std::move(info));
          },
          py::arg("touch_user"), py::arg("touch_time"), py::arg("touch_channel"), py::arg("channel_names"),
          py::arg("conversion_user"), py::arg("conversion_time"), py::arg("conversion_value"), py::kw_only(),
          py::arg("lookback"), py::arg("time_units_per_day"), py::arg("drop_unattributed") = false,
          "Builds journeys from touch and conversion events; returns (store, EventInfo).")
      .def_static("from_arrays", &store_from_arrays, py::arg("channels"), py::arg("offsets"), py::arg("touches"),
                  py::arg("touch_age_days"), py::arg("conversions"), py::arg("value"), py::arg("nulls"))
      .def(
          "take",
          [](const ta::JourneyStore& s, const Int64Array& rows) {
            const std::span<const std::int64_t> r(rows.data(), static_cast<std::size_t>(rows.size()));
            py::gil_scoped_release release;
            return ta::take(s, r);
          },
          py::arg("rows"), "The journeys at `rows`, channel dictionary reduced to the channels they use.")
      .def("__len__", &ta::JourneyStore::size)
      .def_property_readonly("channels", [](const ta::JourneyStore& s) { return s.channels; })
      .def_property_readonly("offsets", [](const ta::JourneyStore& s) { return to_array(s.offsets); })
      .def_property_readonly("touches", [](const ta::JourneyStore& s) { return to_array(s.touches); })
      .def_property_readonly("touch_age_days", [](const ta::JourneyStore& s) { return to_array(s.touch_age_days); })
      .def_property_readonly("conversions", [](const ta::JourneyStore& s) { return to_array(s.conversions); })
      .def_property_readonly("value", [](const ta::JourneyStore& s) { return to_array(s.value); })
      .def_property_readonly("nulls", [](const ta::JourneyStore& s) { return to_array(s.nulls); })
      .def_property_readonly("n_touches", &ta::JourneyStore::n_touches)
      .def_property_readonly("has_times", &ta::JourneyStore::has_times)
      .def("nbytes",
           [](const ta::JourneyStore& s) {
             std::size_t b = s.offsets.size() * 8 + s.touches.size() * 4 + s.touch_age_days.size() * 8 +
                             s.conversions.size() * 24;
             for (const auto& c : s.channels) b += c.size() + 32;
             return b;
           })
      .def(helpers::make_pickle<ta::JourneyStore>(
          "JourneyStore", store_state_version,
          [](const ta::JourneyStore& s) {
            py::dict d;
            d["channels"] = s.channels;
            d["offsets"] = to_array(s.offsets);
            d["touches"] = to_array(s.touches);
            d["touch_age_days"] = to_array(s.touch_age_days);
            d["conversions"] = to_array(s.conversions);
            d["value"] = to_array(s.value);
            d["nulls"] = to_array(s.nulls);
            return d;
          },
          [](const py::dict& d) {
            return store_from_arrays(helpers::need<std::vector<std::string>>(d, "channels"),
                                     helpers::need<Int64Array>(d, "offsets"), helpers::need<Int32Array>(d, "touches"),
                                     helpers::need<DoubleArray>(d, "touch_age_days"),
                                     helpers::need<DoubleArray>(d, "conversions"), helpers::need<DoubleArray>(d, "value"),
                                     helpers::need<DoubleArray>(d, "nulls"));
          },
          [](const py::object& state) {  // version 1: the flat tuple
            if (!py::isinstance<py::tuple>(state) || py::len(state) != 8 || !py::isinstance<py::int_>(state[py::int_(0)]))
              throw std::invalid_argument("expected a (version, dict) tuple");
            const auto t = py::reinterpret_borrow<py::tuple>(state);
            if (t[0].cast<long long>() != 1)
              throw std::runtime_error("cannot unpickle JourneyStore: unsupported state version");
            return store_from_arrays(t[1].cast<std::vector<std::string>>(), t[2].cast<Int64Array>(), t[3].cast<Int32Array>(),
                                     t[4].cast<DoubleArray>(), t[5].cast<DoubleArray>(), t[6].cast<DoubleArray>(),
                                     t[7].cast<DoubleArray>());
          }));

  using helpers::member;
  helpers::bind_result<EventInfo>(
      sub, "EventInfo",
      "Bookkeeping of JourneyStore.from_events: per journey its user code, end time and conversion row, and what "
      "no journey received.",
      1, member("user", &EventInfo::user, "int64 user code of each journey (index into the caller's uniques)."),
      member("end_time", &EventInfo::end_time,
             "int64 end of each journey: its conversion time, or its last touch for a non-converting journey."),
      member("conversion_row", &EventInfo::conversion_row,
             "int64 row of each journey's conversion event, -1 for a non-converting journey."),
      member("unattributed_conversions", &EventInfo::unattributed_conversions,
             "Conversions without any touch inside the lookback window."),
      member("unattributed_value", &EventInfo::unattributed_value, "Value of those conversions."),
      member("unattributed_rows", &EventInfo::unattributed_rows, "int64 rows of those conversions."),
      member("touches_outside_lookback", &EventInfo::touches_outside_lookback,
             "Touches older than the lookback before their journey's end."));

  helpers::bind_result<ta::CountTable>(
      sub, "CountTable",
      "The statistics as a long count table (trustmix::attribution::CountTable), one row per summed quantity: "
      "(units_high * 2^64 + units_low) * 2^-64 (see table.hpp for the statistics and their keys).",
      0, member("statistic", &ta::CountTable::statistic, "Statistic of each row."),
      member("order", &ta::CountTable::order, "int32 Markov order of a transition row."),
      member("position", &ta::CountTable::position, "int32 touch position (from 0) of an ordered row."),
      member("key", &ta::CountTable::key, "Key of each row: a from-state, channel set or channel."),
      member("target", &ta::CountTable::target, "Target of each row: the next state, a total or a field name."),
      member("units_high", &ta::CountTable::units_high, "int64 high word of the exact quantity."),
      member("units_low", &ta::CountTable::units_low, "uint64 low word of the exact quantity."));

  helpers::bind_result<ta::Credit>(
      sub, "Credit",
      "Credit of a rule-based (or proportional) attribution (trustmix::attribution::Credit): per channel, and per "
      "journey in long form when asked for.",
      1, member("channels", &ta::Credit::channels, "Channel names."),
      member("conversions", &ta::Credit::conversions, "float64 credited conversions per channel."),
      member("value", &ta::Credit::value, "float64 credited conversion value per channel."),
      member("journey", &ta::Credit::journey, "int64 journey row of each per-journey credit row (empty unless asked)."),
      member("channel", &ta::Credit::channel, "int32 channel id (index into channels) of each per-journey row."),
      member("journey_conversions", &ta::Credit::journey_conversions, "float64 conversions credited in that row."),
      member("journey_value", &ta::Credit::journey_value, "float64 value credited in that row."));

  helpers::bind_result<ta::MarkovResult>(
      sub, "MarkovResult",
      "Markov-chain attribution (trustmix::attribution::MarkovResult): removal effects, credit and the transition "
      "table over states 0 = (start), the transient channel k-grams, (conversion), (null).",
      1, member("order", &ta::MarkovResult::order, "Order k of the chain."),
      member("channels", &ta::MarkovResult::channels, "Channel names."),
      member("conversion_probability", &ta::MarkovResult::conversion_probability, "P(conversion) from (start)."),
      member("removal_effects", &ta::MarkovResult::removal_effects,
             "float64 RE_c = 1 - P(conversion | c removed) / P(conversion) per channel."),
      member("conversions", &ta::MarkovResult::conversions, "float64 credit RE_c / sum RE * total conversions."),
      member("value", &ta::MarkovResult::value, "float64 credit RE_c / sum RE * total value."),
      member("state_labels", &ta::MarkovResult::state_labels,
             "State names: '(start)', 'a > b', ..., '(conversion)', '(null)'."),
      member("from_state", &ta::MarkovResult::from, "int64 state index each transition leaves (C++ `from`)."),
      member("to_state", &ta::MarkovResult::to, "int64 state index each transition enters (C++ `to`)."),
      member("probability", &ta::MarkovResult::probability, "float64 row-normalised transition probability."),
      member("count", &ta::MarkovResult::count, "float64 summed journey weight of the transition."),
      member("direct", &ta::MarkovResult::direct, "True if every system was solved by sparse LU."));

  helpers::bind_result<ta::ShapleyResult>(
      sub, "ShapleyResult",
      "Shapley-value credit (trustmix::attribution::ShapleyResult): per channel credit and the game's values.", 1,
      member("channels", &ta::ShapleyResult::channels, "Channel names."),
      member("conversions", &ta::ShapleyResult::conversions, "float64 credited conversions per channel."),
      member("value", &ta::ShapleyResult::value, "float64 credited value per channel."),
      member("shapley_values", &ta::ShapleyResult::shapley_values, "float64 phi_i of the game, before any scaling."));

  helpers::bind_result<ta::OrderedShapley>(
      sub, "OrderedShapley",
      "Ordered Shapley credit (trustmix::attribution::OrderedShapley): channel x position tables, positions from 1 "
      "in the columns.",
      1, member("channels", &ta::OrderedShapley::channels, "Channel names."),
      member("conversions", &ta::OrderedShapley::conversions, "float64 (channel, position) credited conversions."),
      member("value", &ta::OrderedShapley::value, "float64 (channel, position) credited value."));

  helpers::bind_result<ta::Roles>(
      sub, "Roles",
      "Channel roles (trustmix::attribution::Roles): weighted touch counts by role in converting journeys, and "
      "first- and last-touch credit.",
      1, member("channels", &ta::Roles::channels, "Channel names."),
      member("introducer", &ta::Roles::introducer, "float64 first touches of converting journeys with >= 2 touches."),
      member("assist", &ta::Roles::assist, "float64 touches between the first and the last."),
      member("closer", &ta::Roles::closer, "float64 last touches of converting journeys with >= 2 touches."),
      member("sole", &ta::Roles::sole, "float64 only touches of one-touch converting journeys."),
      member("first_touch", &ta::Roles::first_touch, "float64 first-touch credit (conversions)."),
      member("last_touch", &ta::Roles::last_touch, "float64 last-touch credit (conversions)."));

  sub.def(
      "rule_based",
      [](const ta::JourneyStore& s, const std::string& model, const std::string& excluded_channel, double half_life,
         double first_weight, double last_weight, bool per_journey, int threads) {
        ta::RuleOptions o;
        o.excluded_channel = excluded_channel;
        o.half_life_days = half_life;
        o.first_weight = first_weight;
        o.last_weight = last_weight;
        o.threads = threads;
        const auto rule_model = ta::rule_model_from_string(model);
        ta::Credit c;
        {
          py::gil_scoped_release release;
          c = ta::rule_based(s, rule_model, o, per_journey);
        }
        return c;
      },
      py::arg("store"), py::arg("model"), py::kw_only(), py::arg("excluded_channel") = "direct", py::arg("half_life") = 7.0,
      py::arg("first_weight") = 0.4, py::arg("last_weight") = 0.4, py::arg("per_journey") = false, py::arg("threads") = 0,
      "Rule-based credit (see rule_based.hpp).");

  sub.def(
      "proportional_per_journey",
      [](const ta::JourneyStore& s, const std::vector<double>& weights) {
        ta::Credit c;
        {
          py::gil_scoped_release release;
          c = ta::proportional_per_journey(s, weights);
        }
        return c;
      },
      py::arg("store"), py::arg("channel_weight"));

  py::class_<ta::AttributionStats>(sub, "Statistics", "Mergeable sufficient statistics (exact sums keyed by channel name).")
      .def(py::init<std::vector<int>, bool, unsigned>(), py::kw_only(), py::arg("orders") = std::vector<int>{1},
           py::arg("collapse_repeats") = true, py::arg("contents") = static_cast<unsigned>(ta::content_all))
      .def(
          "update",
          [](ta::AttributionStats& st, const ta::JourneyStore& s, int threads) {
            py::gil_scoped_release release;
            st.update(s, threads);
          },
          py::arg("store"), py::kw_only(), py::arg("threads") = 0)
      .def(
          "merge",
          [](ta::AttributionStats& st, const ta::AttributionStats& o) {
            py::gil_scoped_release release;
            st.merge(o);
          },
          py::arg("other"))
      .def("copy", [](const ta::AttributionStats& st) { return ta::AttributionStats(st); })
      .def("__eq__", [](const ta::AttributionStats& a, const ta::AttributionStats& b) { return a == b; })
      .def_property_readonly("channels", [](const ta::AttributionStats& s) { return s.channels; })
      .def_property_readonly("orders", [](const ta::AttributionStats& s) { return s.orders; })
      .def_property_readonly("collapse_repeats", [](const ta::AttributionStats& s) { return s.collapse_repeats; })
      .def_property_readonly("contents", [](const ta::AttributionStats& s) { return s.contents; })
      .def_property_readonly("n_journeys", [](const ta::AttributionStats& s) { return s.n_journeys; })
      .def_property_readonly("total_conversions",
                             [](const ta::AttributionStats& s) { return ta::to_double(s.total_conversions); })
      .def_property_readonly("total_value", [](const ta::AttributionStats& s) { return ta::to_double(s.total_value); })
      .def_property_readonly("total_nulls", [](const ta::AttributionStats& s) { return ta::to_double(s.total_nulls); })
      .def("to_bytes", [](const ta::AttributionStats& s) { return py::bytes(s.to_bytes()); })
      .def_static("from_bytes", [](const py::bytes& b) { return ta::AttributionStats::from_bytes(std::string_view(b)); })
      .def("to_table", [](const ta::AttributionStats& s) { return ta::to_table(s); })
      .def_static(
          "from_table",
          [](std::vector<std::string> statistic, const Int32Array& order, const Int32Array& position,
             std::vector<std::string> key, std::vector<std::string> target, const Int64Array& units_high,
             const UInt64Array& units_low) {
            return ta::from_table(count_table(std::move(statistic), order, position, std::move(key), std::move(target),
                                              units_high, units_low));
          },
          py::kw_only(), py::arg("statistic"), py::arg("order"), py::arg("position"), py::arg("key"), py::arg("target"),
          py::arg("units_high"), py::arg("units_low"),
          "Statistics of a count table's columns (the CountTable of to_table(); rows may repeat and come in any "
          "order): int32 order and position, int64 units_high and uint64 units_low (a count in units of 2^-64 is "
          "units_high 2^64 + units_low).")
      .def(helpers::make_pickle<ta::AttributionStats, py::bytes>(
          "Statistics", 1, [](const ta::AttributionStats& s) { return py::bytes(s.to_bytes()); },
          [](const py::bytes& b) { return ta::AttributionStats::from_bytes(std::string_view(b)); }));

  sub.def(
      "count",
      [](const ta::JourneyStore& s, const std::vector<int>& orders, bool collapse_repeats, int threads, unsigned contents) {
        py::gil_scoped_release release;
        return ta::count(s, orders, collapse_repeats, threads, contents);
      },
      py::arg("store"), py::kw_only(), py::arg("orders") = std::vector<int>{1}, py::arg("collapse_repeats") = true,
      py::arg("threads") = 0, py::arg("contents") = static_cast<unsigned>(ta::content_all));
  sub.attr("CONTENT_TRANSITIONS") = static_cast<unsigned>(ta::content_transitions);
  sub.attr("CONTENT_SETS") = static_cast<unsigned>(ta::content_sets);
  sub.attr("CONTENT_CHANNELS") = static_cast<unsigned>(ta::content_channels);
  sub.attr("CONTENT_ORDERED") = static_cast<unsigned>(ta::content_ordered);
  sub.attr("CONTENT_ALL") = static_cast<unsigned>(ta::content_all);

  sub.def(
      "markov",
      [](const ta::AttributionStats& st, int order, int threads, const std::string& solver, double tolerance,
         std::size_t direct_max_states) {
        auto sv = markov_solver(solver, tolerance, direct_max_states);
        ta::MarkovResult r;
        std::atomic<bool> stop{false};  // Ctrl-C stops the solve (KeyboardInterrupt)
        sv.stop = &stop;
        run_interruptible(stop, [&] { r = ta::markov(st, order, threads, sv); }, [] {});
        return r;
      },
      py::arg("statistics"), py::kw_only(), py::arg("order") = 1, py::arg("threads") = 0, py::arg("solver") = "auto",
      py::arg("tolerance") = 1e-13, py::arg("direct_max_states") = std::size_t{1500});

  sub.def(
      "markov_journeys",
      [](const ta::JourneyStore& s, int order, bool collapse_repeats, int threads, const std::string& solver,
         double tolerance, std::size_t direct_max_states) {
        auto sv = markov_solver(solver, tolerance, direct_max_states);
        ta::MarkovResult r;
        std::atomic<bool> stop{false};  // Ctrl-C stops the solve (KeyboardInterrupt)
        sv.stop = &stop;
        run_interruptible(stop, [&] { r = ta::markov(s, order, collapse_repeats, threads, sv); }, [] {});
        return r;
      },
      py::arg("store"), py::kw_only(), py::arg("order") = 1, py::arg("collapse_repeats") = true, py::arg("threads") = 0,
      py::arg("solver") = "auto", py::arg("tolerance") = 1e-13, py::arg("direct_max_states") = std::size_t{1500},
      "Markov attribution counted straight from a journey store (same result as count + markov).");

  sub.def(
      "markov_log_likelihood",
      [](const ta::AttributionStats& train, const ta::JourneyStore& test, int order) {
        ta::HeldOutScore r;
        {
          py::gil_scoped_release release;
          r = ta::markov_log_likelihood(train, test, order);
        }
        return py::make_tuple(r.log_likelihood, r.weight);
      },
      py::arg("train"), py::arg("test"), py::kw_only(), py::arg("order"),
      "Held-out log-likelihood of test journeys under the order-k chain of train (add-one smoothing).");

  sub.def(
      "shapley",
      [](const ta::AttributionStats& st, const std::string& value_function, const std::string& unseen, int max_channels,
         int threads) {
        ta::ShapleyOptions o;
        if (value_function == "count") o.value_function = ta::ShapleyValue::count;
        else if (value_function == "rate") o.value_function = ta::ShapleyValue::rate;
        else throw std::invalid_argument("value_function must be 'count' or 'rate', got '" + value_function + "'");
        if (unseen == "zero") o.unseen = ta::UnseenCoalition::zero;
        else if (unseen == "max_subset") o.unseen = ta::UnseenCoalition::max_subset;
        else throw std::invalid_argument("unseen must be 'zero' or 'max_subset', got '" + unseen + "'");
        o.max_channels = max_channels;
        o.threads = threads;
        ta::ShapleyResult r;
        {
          py::gil_scoped_release release;
          r = ta::shapley(st, o);
        }
        return r;
      },
      py::arg("statistics"), py::kw_only(), py::arg("value_function") = "count", py::arg("unseen") = "zero",
      py::arg("max_channels") = 24, py::arg("threads") = 0);

  sub.def(
      "simplified_shapley", [](const ta::AttributionStats& st) { return ta::simplified_shapley(st); },
      py::arg("statistics"));

  sub.def("ordered_shapley", [](const ta::AttributionStats& st) { return ta::ordered_shapley(st); }, py::arg("statistics"));

  sub.def("roles", [](const ta::AttributionStats& st) { return ta::roles(st); }, py::arg("statistics"));

  sub.def(
      "rule_based_from_statistics",
      [](const ta::AttributionStats& st, const std::string& model) {
        return ta::rule_based(st, ta::rule_model_from_string(model));
      },
      py::arg("statistics"), py::arg("model"));
}

}  // namespace trustmix::bindings
