#pragma once
// Argument conversion shared by the binding files: optional dict lookups with a default
// (get_or), required fields (need_str, need_date), dates both ways, lists of dicts, and
// numpy arrays from and to std::vector. Every error names where the value came from
// ("channels[2]: cpm has the wrong type: 'x'"), so the Python user sees the field.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <trustmix/core/date.hpp>

#include <cstring>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace trustmix::bindings::helpers {

namespace py = pybind11;

using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;
using Int64Array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;
using Int32Array = py::array_t<std::int32_t, py::array::c_style | py::array::forcecast>;

/// d[key], or None when the key is absent.
inline py::object get(const py::dict& d, const char* key) {
  return d.contains(key) ? py::object(d[key]) : py::object(py::none());
}

/// d[key] cast to T; `fallback` when the key is absent or None. A value of the wrong type
/// is a ValueError "<where><key> has the wrong type: <repr>".
template <class T>
T get_or(const py::dict& d, const char* key, T fallback, const std::string& where = {}) {
  const py::object v = get(d, key);
  if (v.is_none()) return fallback;
  try {
    return v.cast<T>();
  } catch (const py::cast_error&) {
    throw std::invalid_argument(where + key + " has the wrong type: " + py::repr(v).cast<std::string>());
  }
}

/// d[key] cast to T; ValueError "<where>missing '<key>'" when absent or None and
/// "<where><key> has the wrong type: <repr>" when it does not convert.
template <class T>
T need(const py::dict& d, const char* key, const std::string& where = {}) {
  if (get(d, key).is_none()) throw std::invalid_argument(where + "missing '" + key + "'");
  return get_or<T>(d, key, T{}, where);
}

/// str(d[key]); ValueError "<where>missing '<key>'" when absent or None.
inline std::string need_str(const py::dict& d, const char* key, const std::string& where = {}) {
  const py::object v = get(d, key);
  if (v.is_none()) throw std::invalid_argument(where + "missing '" + key + "'");
  return py::str(v).cast<std::string>();
}

/// A datetime.date (anything with year, month, day) or an ISO string YYYY-MM-DD.
inline Date to_date(const py::handle& obj, const std::string& field) {
  if (py::isinstance<py::str>(obj)) return Date::parse(obj.cast<std::string>(), field);
  if (py::hasattr(obj, "year") && py::hasattr(obj, "month") && py::hasattr(obj, "day"))
    return Date::from_ymd(obj.attr("year").cast<int>(), obj.attr("month").cast<int>(), obj.attr("day").cast<int>());
  throw std::invalid_argument(field + " must be a date or an ISO string YYYY-MM-DD, got " +
                              py::repr(obj).cast<std::string>());
}

/// The date as a datetime.date.
inline py::object from_date(Date d) { return py::module_::import("datetime").attr("date")(d.year(), d.month(), d.day()); }

/// to_date(d[key]); ValueError "<where>missing '<key>'" when absent or None.
inline Date need_date(const py::dict& d, const char* key, const std::string& where = {}) {
  const py::object v = get(d, key);
  if (v.is_none()) throw std::invalid_argument(where + "missing '" + key + "'");
  return to_date(v, where + key);
}

/// d[key] as a list of dicts (empty when absent); a non-dict item is named by its index.
inline std::vector<py::dict> dict_list(const py::dict& d, const char* key) {
  std::vector<py::dict> out;
  const py::object v = get(d, key);
  if (v.is_none()) return out;
  for (auto item : v) {
    if (!py::isinstance<py::dict>(item))
      throw std::invalid_argument(std::string(key) + "[" + std::to_string(out.size()) + "] must be a dict, got " +
                                  py::repr(item).cast<std::string>());
    out.push_back(py::reinterpret_borrow<py::dict>(item));
  }
  return out;
}

/// A new numpy array of `shape` (C order) holding a copy of v; 1-D of v.size() by default.
/// v.size() must equal the product of the shape.
template <class T>
py::array_t<T> to_array(const std::vector<T>& v, std::vector<py::ssize_t> shape = {}) {
  if (shape.empty()) shape.push_back(static_cast<py::ssize_t>(v.size()));
  py::array_t<T> a(shape);
  if (static_cast<std::size_t>(a.size()) != v.size())
    throw std::logic_error("to_array: " + std::to_string(v.size()) + " values for an array of " + std::to_string(a.size()));
  if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(T));
  return a;
}

/// A copy of a (C-contiguous, converted) numpy array's elements.
template <class T>
std::vector<T> to_vector(const py::array_t<T, py::array::c_style | py::array::forcecast>& a) {
  return std::vector<T>(a.data(), a.data() + a.size());
}
/// As to_vector, empty for None.
template <class T>
std::vector<T> to_vector(const std::optional<py::array_t<T, py::array::c_style | py::array::forcecast>>& a) {
  return a ? to_vector<T>(*a) : std::vector<T>{};
}

/// The enum value named `s` in `table`; otherwise ValueError
/// "<what> must be 'a', 'b' or 'c', got '<s>'" listing the names in table order.
template <class E>
E choice(const std::string& s, const char* what, std::initializer_list<std::pair<const char*, E>> table) {
  for (const auto& [name, value] : table)
    if (s == name) return value;
  std::string names;
  std::size_t i = 0;
  for (const auto& entry : table) {
    if (i > 0) names += (i + 1 == table.size()) ? " or " : ", ";
    names += "'" + std::string(entry.first) + "'";
    ++i;
  }
  throw std::invalid_argument(std::string(what) + " must be " + names + ", got '" + s + "'");
}

}  // namespace trustmix::bindings::helpers
