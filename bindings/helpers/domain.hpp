#pragma once
// Domain types read from Python dicts, shared by the bindings that take them inside a
// larger spec (core's Audience.from_dict, the simulator's world spec).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <trustmix/core/domain.hpp>

#include <map>
#include <optional>
#include <string>

#include "convert.hpp"

namespace trustmix::bindings::helpers {

/// An Audience from a dict with the constructor's keys: 'name' (required), 'size' (required
/// unless `default_size` is given), 'baseline_trust' (0.5), 'reach', 'affinity', 'tags'
/// (empty), 'trust_sensitivity' (1), 'base_conversion_rate' (0), 'value_per_conversion' (0).
/// The Audience constructor validates the values.
inline Audience audience_from_dict(const pybind11::dict& d, const std::string& where = {},
                                   std::optional<double> default_size = std::nullopt) {
  const auto name = need<std::string>(d, "name", where);
  const double size = default_size ? get_or(d, "size", *default_size, where) : need<double>(d, "size", where);
  return Audience(name, size, get_or(d, "baseline_trust", 0.5, where),
                  get_or(d, "reach", std::map<std::string, double>{}, where),
                  get_or(d, "affinity", std::map<std::string, double>{}, where), get_or(d, "tags", Metadata{}, where),
                  get_or(d, "trust_sensitivity", 1.0, where), get_or(d, "base_conversion_rate", 0.0, where),
                  get_or(d, "value_per_conversion", 0.0, where));
}

}  // namespace trustmix::bindings::helpers
