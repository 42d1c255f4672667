#pragma once
// Dicts read and written through a field table: one line per field names its key and the
// member, read_fields() fills a C++ struct from a Python dict with it and write_fields()
// writes the struct's fields into a dict. A missing or
// None key keeps the member's current value (the struct's default); a value of the wrong
// type is a ValueError naming where it was and the key.
//
//   constexpr auto channel_fields = std::make_tuple(field("cpm", &ChannelParams::cpm),
//                                                   field("ctr", &ChannelParams::ctr));
//   read_fields(d, params, "channels[0]: ", channel_fields);
#include <pybind11/pybind11.h>

#include <string>
#include <tuple>

#include "convert.hpp"

namespace trustmix::bindings::helpers {

/// One row of a field table: the dict key and the struct member it sets.
template <class S, class M>
struct Field {
  const char* key;
  M S::* member;
};

/// A row of a field table (deduces the struct and member types).
template <class S, class M>
constexpr Field<S, M> field(const char* key, M S::* member) {
  return {key, member};
}

/// s.*member = get_or(d, key, s.*member, where) for every row of the table (a tuple of
/// field(...) rows), in table order.
template <class S, class... M>
void read_fields(const pybind11::dict& d, S& s, const std::string& where, const std::tuple<Field<S, M>...>& table) {
  std::apply([&](const auto&... f) { ((s.*(f.member) = get_or(d, f.key, s.*(f.member), where)), ...); }, table);
}

/// d[key] = s.*member for every row of the table, in table order (the dict keeps that
/// order, so a DataFrame built from such dicts has the table's column order).
template <class S, class... M>
void write_fields(pybind11::dict& d, const S& s, const std::tuple<Field<S, M>...>& table) {
  std::apply([&](const auto&... f) { ((d[f.key] = s.*(f.member)), ...); }, table);
}

}  // namespace trustmix::bindings::helpers
