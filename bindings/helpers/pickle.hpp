#pragma once
// A generic versioned pickle for bound classes. The state is a (version, payload) tuple:
// `save` turns the object into the payload (a dict for the domain types, a bytes object or
// arrays elsewhere) and `load` rebuilds it. Loading checks the tuple's shape and version
// and reports any malformed state (a missing key, a value of the wrong type, a payload
// the class's own validation refuses) as ValueError "cannot unpickle <Class>: ...", never
// a bare KeyError or cast error. A class whose state layout changes raises its version
// and teaches `load` the older one.
//
//   cls.def(make_pickle<Channel>("Channel", 1, &channel_to_dict, [](const py::dict& d) {
//     return channel_from_dict(d); }));
#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace trustmix::bindings::helpers {

namespace py = pybind11;

template <class Payload>
const char* payload_name() {
  if constexpr (std::is_same_v<Payload, py::dict>) return "dict";
  else if constexpr (std::is_same_v<Payload, py::bytes>) return "bytes";
  else return "tuple";
}

/// The payload of a (version, payload) pickle state, cast to Payload; ValueError
/// "cannot unpickle <what>: ..." when the state is not such a tuple, and RuntimeError
/// "... unsupported state version" when its version is not `version`.
template <class Payload>
Payload unversion(const py::object& state, const char* what, int version) {
  const std::string head = std::string("cannot unpickle ") + what + ": ";
  if (!py::isinstance<py::tuple>(state) || py::len(state) != 2 || !py::isinstance<py::int_>(state[py::int_(0)]) ||
      !py::isinstance<Payload>(state[py::int_(1)]))
    throw std::invalid_argument(head + "expected a (version, " + payload_name<Payload>() + ") tuple");
  if (state[py::int_(0)].cast<long long>() != version) throw std::runtime_error(head + "unsupported state version");
  return state[py::int_(1)].cast<Payload>();
}

/// load(payload), with a malformed payload reported as ValueError naming the class.
template <class Payload, class Load>
auto load_payload(const Payload& payload, const char* what, Load&& load) {
  try {
    return load(payload);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("cannot unpickle ") + what + ": " + e.what());
  } catch (const py::error_already_set& e) {
    throw std::invalid_argument(std::string("cannot unpickle ") + what + ": malformed state (" + e.what() + ")");
  } catch (const py::cast_error& e) {
    throw std::invalid_argument(std::string("cannot unpickle ") + what + ": malformed state (" + e.what() + ")");
  }
}

/// py::pickle for class T with state (version, save(obj)); `load(payload)` returns a T.
/// Payload is the Python type of the saved payload (py::dict, py::bytes, py::tuple).
template <class T, class Payload = py::dict, class Save, class Load>
auto make_pickle(const char* what, int version, Save save, Load load) {
  return py::pickle([save, version](const T& obj) { return py::make_tuple(version, Payload(save(obj))); },
                    [load, what, version](const py::object& state) -> T {
                      return load_payload(unversion<Payload>(state, what, version), what, load);
                    });
}

/// As make_pickle, for a class whose state had an older layout before this versioned one:
/// a state that is not a (version, Payload) tuple, or has another version, goes to
/// `load_old(state)`, which returns the T rebuilt from that older state or throws (a
/// ValueError "cannot unpickle <what>: ..." for a state it does not know).
template <class T, class Payload = py::dict, class Save, class Load, class LoadOld>
auto make_pickle(const char* what, int version, Save save, Load load, LoadOld load_old) {
  return py::pickle([save, version](const T& obj) { return py::make_tuple(version, Payload(save(obj))); },
                    [load, load_old, what, version](const py::object& state) -> T {
                      const bool current = py::isinstance<py::tuple>(state) && py::len(state) == 2 &&
                                           py::isinstance<py::int_>(state[py::int_(0)]) &&
                                           state[py::int_(0)].cast<long long>() == version;
                      if (!current) return load_payload(state, what, load_old);
                      return load_payload(unversion<Payload>(state, what, version), what, load);
                    });
}

}  // namespace trustmix::bindings::helpers
