#pragma once
// Result structs bound as Python classes with read-only typed attributes, one line per
// attribute:
//
//   helpers::bind_result<ta::Roles>(sub, "Roles", "Channel roles ...", /*pickle version*/ 1,
//       helpers::member("channels", &ta::Roles::channels, "Channel names."),
//       helpers::member("introducer", &ta::Roles::introducer, "Weighted first touches."));
//
// A member's Python value is a fresh copy: a numpy array for a std::vector of numbers
// (2-d for a rectangular vector of vectors), a numpy array for an Eigen matrix or vector,
// the pybind11 conversion otherwise (list of str, float, int, bool, bound classes). A
// `computed(...)` row adds a property computed from the struct (not pickled: it derives
// from members). A `shaped(...)` row reaches a member through a function (a nested
// struct's field) and, for a flat std::vector of numbers, gives it the shape its function
// computes from the struct (an n-d C-order array; pickled with the members, checked for
// size on loading: list the members the shape reads before it):
//
//   helpers::shaped<RunResult>("conversions", [](auto& r) -> auto& { return r.conversions; },
//       [](const RunResult& r) { return helpers::Shape{r.periods, r.segments}; }, "T x S.");
//
// `nested(...)` is a shaped row with the member's own (1-d) shape, and a `converted(...)`
// row writes and reads a member through two functions (a nested struct crossing as the dict
// the other bound functions take).
// Every result class gets a `__repr__` naming its attributes (arrays by dtype and shape),
// and, with a pickle version > 0, pickling through make_pickle with the members in a dict.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <Eigen/Core>

#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "pickle.hpp"

namespace trustmix::bindings::helpers {

namespace py = pybind11;

/// A row of a result table: the attribute's name, the struct member and its docstring.
template <class S, class M>
struct Member {
  const char* name;
  M S::* ptr;
  const char* doc;
};

/// A row of a result table: an attribute computed from the struct by `get(const S&)`.
template <class S, class F>
struct Computed {
  const char* name;
  F get;
  const char* doc;
};

/// The shape of an n-d array, C order.
using Shape = std::vector<py::ssize_t>;

/// A row of a result table: a member reached by `ref(s)` (an lvalue reference into the
/// struct, const or not) and, for a flat vector of numbers, its array shape `shape(s)`
/// (empty: 1-d).
template <class S, class Ref, class ShapeFn>
struct Shaped {
  const char* name;
  Ref ref;
  ShapeFn shape;
  const char* doc;
};

/// A row of a result table: an attribute written by `get(const S&)` (a py::object) and,
/// on unpickling, read back by `set(S&, py::handle)`: a member whose Python form is not the
/// plain conversion (a nested struct given as the dict the other functions take).
template <class S, class Get, class Set>
struct Converted {
  const char* name;
  Get get;
  Set set;
  const char* doc;
};

/// A converted row for struct S.
template <class S, class Get, class Set>
Converted<S, Get, Set> converted(const char* name, Get get, Set set, const char* doc) {
  return {name, std::move(get), std::move(set), doc};
}

/// A member row (deduces the struct and member types).
template <class S, class M>
Member<S, M> member(const char* name, M S::* ptr, const char* doc) {
  return {name, ptr, doc};
}

/// A computed row for struct S.
template <class S, class F>
Computed<S, F> computed(const char* name, F get, const char* doc) {
  return {name, std::move(get), doc};
}

/// A shaped row for struct S: ref is a generic lambda `[](auto& s) -> auto& { return s.x; }`.
template <class S, class Ref, class ShapeFn>
Shaped<S, Ref, ShapeFn> shaped(const char* name, Ref ref, ShapeFn shape, const char* doc) {
  return {name, std::move(ref), std::move(shape), doc};
}

/// A row for a member reached through `ref` (a nested struct's field), with its own shape:
/// 1-d for a vector of numbers, as member() otherwise.
template <class S, class Ref>
auto nested(const char* name, Ref ref, const char* doc) {
  return shaped<S>(name, std::move(ref), [](const S&) { return Shape{}; }, doc);
}

template <class T>
struct is_std_vector : std::false_type {};
template <class T, class A>
struct is_std_vector<std::vector<T, A>> : std::true_type {};

template <class T>
constexpr bool is_number_v = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;

/// std::vector of numbers (not bool).
template <class T>
struct is_number_vector : std::false_type {};
template <class T, class A>
struct is_number_vector<std::vector<T, A>> : std::bool_constant<is_number_v<T>> {};

/// The Python value of a member (a copy; see the file comment).
template <class M>
py::object to_python(const M& v) {
  if constexpr (is_std_vector<M>::value) {
    using T = typename M::value_type;
    if constexpr (is_number_v<T>) {
      return to_array(v);
    } else if constexpr (std::is_same_v<T, bool>) {
      py::array_t<bool> a(static_cast<py::ssize_t>(v.size()));
      for (std::size_t i = 0; i < v.size(); ++i) a.mutable_data()[i] = v[i];
      return a;
    } else if constexpr (is_number_vector<T>::value) {
      using E = typename T::value_type;
      const std::size_t cols = v.empty() ? 0 : v.front().size();
      py::array_t<E> a({static_cast<py::ssize_t>(v.size()), static_cast<py::ssize_t>(cols)});
      for (std::size_t r = 0; r < v.size(); ++r) {
        if (v[r].size() != cols) throw std::logic_error("to_python: ragged rows for a 2-d array");
        if (cols > 0) std::memcpy(a.mutable_data() + r * cols, v[r].data(), cols * sizeof(E));
      }
      return a;
    } else {
      return py::cast(v);
    }
  } else if constexpr (std::is_base_of_v<Eigen::EigenBase<M>, M>) {
    return py::cast(typename M::PlainObject(v));
  } else {
    return py::cast(v);
  }
}

/// A member from its Python value (what to_python wrote, or a list); a value that does
/// not convert is a ValueError naming the attribute.
template <class M>
M from_python(const py::handle& h, const char* name) {
  try {
    if constexpr (is_number_vector<M>::value) {
      using T = typename M::value_type;  // any array-like, read in C order
      const auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(h);
      if (!a) throw py::cast_error("not an array of numbers");
      return M(a.data(), a.data() + a.size());
    } else if constexpr (!std::is_base_of_v<Eigen::EigenBase<M>, M>) {
      if (py::isinstance<py::array>(h)) return h.attr("tolist")().template cast<M>();
    }
    return h.template cast<M>();
  } catch (const py::cast_error&) {
    throw std::invalid_argument(std::string(name) + " has the wrong type: " + py::repr(h).cast<std::string>());
  }
}

/// repr of an attribute value in one short piece: arrays as <dtype array (shape)>, long
/// lists as <list of n>.
inline std::string short_repr(const py::handle& v) {
  if (py::isinstance<py::array>(v)) {
    const auto a = py::reinterpret_borrow<py::array>(v);
    std::string shape;
    for (py::ssize_t i = 0; i < a.ndim(); ++i) shape += (i ? ", " : "") + std::to_string(a.shape(i));
    if (a.ndim() == 1) shape += ",";
    return "<" + py::str(a.dtype()).cast<std::string>() + " array (" + shape + ")>";
  }
  if (py::isinstance<py::list>(v) && py::len(v) > 6) return "<list of " + std::to_string(py::len(v)) + ">";
  return py::repr(v).cast<std::string>();
}

template <class S, class M>
void def_row(py::class_<S>& cls, const Member<S, M>& m) {
  cls.def_property_readonly(m.name, [p = m.ptr](const S& s) { return to_python(s.*p); }, m.doc);
}
template <class S, class F>
void def_row(py::class_<S>& cls, const Computed<S, F>& c) {
  cls.def_property_readonly(c.name, c.get, c.doc);
}
/// The Python value of a shaped row: the member, as an array of its shape when it is a flat
/// vector of numbers and the shape is not empty.
template <class S, class Ref, class ShapeFn>
py::object shaped_value(const S& s, const Shaped<S, Ref, ShapeFn>& r) {
  const auto& v = r.ref(s);
  using M = std::decay_t<decltype(v)>;
  if constexpr (is_number_vector<M>::value) {
    Shape shape = r.shape(s);
    if (!shape.empty()) return to_array(v, std::move(shape));
  }
  return to_python(v);
}
template <class S, class Ref, class ShapeFn>
void def_row(py::class_<S>& cls, const Shaped<S, Ref, ShapeFn>& r) {
  cls.def_property_readonly(r.name, [r](const S& s) { return shaped_value(s, r); }, r.doc);
}
template <class S, class Ref, class ShapeFn>
void save_row(py::dict& d, const S& s, const Shaped<S, Ref, ShapeFn>& r) {
  d[r.name] = shaped_value(s, r);
}
template <class S, class Ref, class ShapeFn>
void load_row(const py::dict& d, S& s, const Shaped<S, Ref, ShapeFn>& r) {
  if (!d.contains(r.name)) throw std::invalid_argument(std::string("missing '") + r.name + "'");
  auto& v = r.ref(s);
  using M = std::decay_t<decltype(v)>;
  v = from_python<M>(d[r.name], r.name);
  if constexpr (is_number_vector<M>::value) {
    const Shape shape = r.shape(s);
    if (!shape.empty()) {
      std::size_t n = 1;
      for (const auto k : shape) n *= static_cast<std::size_t>(k < 0 ? 0 : k);
      if (v.size() != n)
        throw std::invalid_argument(std::string(r.name) + " has " + std::to_string(v.size()) + " values, expected " +
                                    std::to_string(n));
    }
  }
}

template <class S, class Get, class Set>
void def_row(py::class_<S>& cls, const Converted<S, Get, Set>& c) {
  cls.def_property_readonly(c.name, [get = c.get](const S& s) { return py::object(get(s)); }, c.doc);
}
template <class S, class Get, class Set>
void save_row(py::dict& d, const S& s, const Converted<S, Get, Set>& c) {
  d[c.name] = c.get(s);
}
template <class S, class Get, class Set>
void load_row(const py::dict& d, S& s, const Converted<S, Get, Set>& c) {
  if (!d.contains(c.name)) throw std::invalid_argument(std::string("missing '") + c.name + "'");
  c.set(s, d[c.name]);
}

template <class S, class M>
void save_row(py::dict& d, const S& s, const Member<S, M>& m) {
  d[m.name] = to_python(s.*(m.ptr));
}
template <class S, class F>
void save_row(py::dict&, const S&, const Computed<S, F>&) {}
template <class S, class M>
void load_row(const py::dict& d, S& s, const Member<S, M>& m) {
  if (!d.contains(m.name)) throw std::invalid_argument(std::string("missing '") + m.name + "'");
  s.*(m.ptr) = from_python<M>(d[m.name], m.name);
}
template <class S, class F>
void load_row(const py::dict&, S&, const Computed<S, F>&) {}

/// Binds result struct S as class `name` in `scope`: one read-only property per row,
/// `__repr__` "name(attr=value, ...)" and, when pickle_version > 0, pickling of the
/// members (state (pickle_version, {name: value})). Returns the class for more methods.
template <class S, class... Rows>
py::class_<S> bind_result(py::handle scope, const char* name, const char* doc, int pickle_version, const Rows&... rows) {
  py::class_<S> cls(scope, name, doc);
  (def_row(cls, rows), ...);
  std::vector<std::string> names{rows.name...};
  cls.def("__repr__", [name, names](const py::object& self) {
    std::string out = std::string(name) + "(";
    for (std::size_t i = 0; i < names.size(); ++i)
      out += (i ? ", " : "") + names[i] + "=" + short_repr(self.attr(names[i].c_str()));
    return out + ")";
  });
  if (pickle_version > 0) {
    cls.def(make_pickle<S>(
        name, pickle_version,
        [rows...](const S& s) {
          py::dict d;
          (save_row(d, s, rows), ...);
          return d;
        },
        [rows...](const py::dict& d) {
          S s{};
          (load_row(d, s, rows), ...);
          return s;
        }));
  }
  return cls;
}

}  // namespace trustmix::bindings::helpers
