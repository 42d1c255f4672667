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
// the pybind11 conversion otherwise (list of str, float, int, bool). A `computed(...)`
// row adds a property computed from the struct (not pickled: it derives from members).
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
