#pragma once
// The statistics as a long count table: one row per summed quantity, readable by people
// and by any data engine. Exact values travel as two 64-bit words (units of 2^-64).
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trustmix/attribution/statistics.hpp"

namespace trustmix::attribution {

/// Columns of the long count table.
///
/// statistic: "setting" (target "order", "collapse_repeats" or "contents"), "total" (target
/// conversions, value, nulls, n_journeys), "transition" (order = Markov order, key =
/// from-state channels joined by " > " or "(start)", target = next channel,
/// "(conversion)" or "(null)"), "channel_set" (key = channels joined by " + ", target
/// conversions / value / nulls), "channel" (key = channel, target = a ChannelField name),
/// "ordered" (key = channel, position = touch position from 0, target conversions / value).
/// The summed quantity is (units_high * 2^64 + units_low) * 2^-64.
struct CountTable {
  std::vector<std::string> statistic;
  std::vector<std::int32_t> order;
  std::vector<std::int32_t> position;
  std::vector<std::string> key;
  std::vector<std::string> target;
  std::vector<std::int64_t> units_high;
  std::vector<std::uint64_t> units_low;

  [[nodiscard]] std::size_t size() const { return statistic.size(); }
  void push(std::string_view stat, std::int32_t ord, std::int32_t pos, std::string k, std::string t, exact_t units) {
    statistic.emplace_back(stat);
    order.push_back(ord);
    position.push_back(pos);
    key.push_back(std::move(k));
    target.emplace_back(std::move(t));
    units_high.push_back(exact_high(units));
    units_low.push_back(exact_low(units));
  }
};

inline constexpr std::string_view state_separator = " > ";
inline constexpr std::string_view set_separator = " + ";

[[nodiscard]] inline CountTable to_table(const AttributionStats& st) {
  for (const auto& c : st.channels)
    if (c.find(state_separator) != std::string::npos || c.find(set_separator) != std::string::npos || c.front() == '(')
      fail("to_table: channel name '", c, "' contains ' > ' or ' + ' or starts with '(' and cannot be written");
  CountTable t;
  auto gram_name = [&](std::string_view key, std::size_t n) {
    if (n == 0) return std::string("(start)");
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
      if (i) s += state_separator;
      s += st.channels[detail::key_at(key, i)];
    }
    return s;
  };
  for (int k : st.orders) t.push("setting", k, -1, "", "order", to_exact(1.0));
  t.push("setting", 0, -1, "", "collapse_repeats", to_exact(st.collapse_repeats ? 1.0 : 0.0));
  t.push("setting", 0, -1, "", "contents", to_exact(static_cast<double>(st.contents)));
  t.push("total", 0, -1, "", "conversions", st.total_conversions);
  t.push("total", 0, -1, "", "value", st.total_value);
  t.push("total", 0, -1, "", "nulls", st.total_nulls);
  t.push("total", 0, -1, "", "n_journeys", to_exact(static_cast<double>(st.n_journeys)));
  for (std::size_t oi = 0; oi < st.orders.size(); ++oi)
    for (const auto& [k, v] : detail::sorted_items(st.transitions[oi])) {
      const std::size_t n = detail::key_length(k);
      const auto next = detail::key_at(k, n - 1);
      t.push("transition", st.orders[oi], -1, gram_name(k, n - 1),
             next == detail::key_conversion ? "(conversion)"
             : next == detail::key_null     ? "(null)"
                                            : st.channels[next],
             v);
    }
  for (const auto& [k, v] : detail::sorted_items(st.sets)) {
    std::string name;
    for (std::size_t i = 0; i < detail::key_length(k); ++i) {
      if (i) name += set_separator;
      name += st.channels[detail::key_at(k, i)];
    }
    t.push("channel_set", 0, -1, name, "conversions", v.conversions);
    t.push("channel_set", 0, -1, name, "value", v.value);
    t.push("channel_set", 0, -1, name, "nulls", v.nulls);
  }
  for (std::size_t c = 0; c < st.channels.size(); ++c) {
    for (std::size_t f = 0; f < n_channel_fields; ++f)
      t.push("channel", 0, -1, st.channels[c], std::string(channel_field_names[f]), st.per_channel[c][f]);
    for (std::size_t p = 0; p < st.ordered[c].size(); ++p) {
      t.push("ordered", 0, static_cast<std::int32_t>(p), st.channels[c], "conversions", st.ordered[c][p][0]);
      t.push("ordered", 0, static_cast<std::int32_t>(p), st.channels[c], "value", st.ordered[c][p][1]);
    }
  }
  return t;
}

namespace detail {
inline std::vector<std::string> split_names(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    const auto next = s.find(sep, pos);
    out.emplace_back(s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) break;
    pos = next + sep.size();
  }
  return out;
}
}  // namespace detail

/// Inverse of to_table; rows may come in any order (e.g. after a groupby-sum).
[[nodiscard]] inline AttributionStats from_table(const CountTable& t) {
  const std::size_t n = t.size();
  if (t.order.size() != n || t.position.size() != n || t.key.size() != n || t.target.size() != n ||
      t.units_high.size() != n || t.units_low.size() != n)
    fail("from_table: all columns must have the same length");
  // Every count is >= 0 and below 2^126 units, and so is every sum of repeated rows
  // (checked before adding), so no 128-bit sum can overflow.
  constexpr exact_t limit = static_cast<exact_t>(exact_unsigned_t{1} << 126);
  auto units = [&](std::size_t i) {
    const exact_t u = exact_from_words(t.units_high[i], t.units_low[i]);
    if (u < 0 || u >= limit)
      fail("from_table: row ", i, ", column 'units': expected a count in [0, 2^126), got ", to_double(u), " * 2^64");
    return u;
  };
  auto add = [&](exact_t& sum, std::size_t i) {
    const exact_t u = units(i);
    if (sum >= limit - u) fail("from_table: row ", i, ", column 'units': the rows with this key add up to 2^126 or more");
    sum += u;
  };
  // A setting's units hold a small integer (n * 2^64).
  auto small_integer = [&](std::size_t i, double hi) {
    const double v = to_double(units(i));
    if (!(v >= 0.0 && v <= hi && v == std::floor(v)))
      fail("from_table: row ", i, ", target '", t.target[i], "': expected an integer in [0, ", hi, "], got ", v);
    return v;
  };
  std::vector<int> orders;
  bool collapse = true;
  unsigned contents = content_all;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < n; ++i) {
    if (t.statistic[i] == "setting" && t.target[i] == "order") orders.push_back(t.order[i]);
    if (t.statistic[i] == "setting" && t.target[i] == "collapse_repeats") collapse = small_integer(i, 1.0) != 0.0;
    if (t.statistic[i] == "setting" && t.target[i] == "contents")
      contents = static_cast<unsigned>(small_integer(i, static_cast<double>(content_all)));
    if (t.statistic[i] == "channel") names.push_back(t.key[i]);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.size() > detail::max_channels_in_keys)
    fail("from_table: ", names.size(), " channels, at most ", detail::max_channels_in_keys, " are supported");
  AttributionStats st(orders.empty() ? std::vector<int>{1} : orders, collapse, contents);
  st.channels = names;
  st.per_channel.assign(names.size(), {});
  for (auto& a : st.per_channel) a.fill(0);
  st.ordered.assign(names.size(), {});
  auto id_of = [&](const std::string& name, std::size_t row) {
    auto it = std::lower_bound(names.begin(), names.end(), name);
    if (it == names.end() || *it != name) fail("from_table: row ", row, ", column 'key': unknown channel '", name, "'");
    return static_cast<std::uint16_t>(it - names.begin());
  };
  for (std::size_t i = 0; i < n; ++i) {
    const auto& s = t.statistic[i];
    if (s == "setting") continue;
    if (s == "total") {
      if (t.target[i] == "conversions") add(st.total_conversions, i);
      else if (t.target[i] == "value") add(st.total_value, i);
      else if (t.target[i] == "nulls") add(st.total_nulls, i);
      else if (t.target[i] == "n_journeys") {
        const auto add_journeys = static_cast<std::int64_t>(small_integer(i, 0x1p52));
        if (st.n_journeys > (std::int64_t{1} << 53) - add_journeys)
          fail("from_table: row ", i, ": the n_journeys rows add up to more than 2^53");
        st.n_journeys += add_journeys;
      } else fail("from_table: row ", i, ", column 'target': unknown total '", t.target[i], "'");
    } else if (s == "transition") {
      std::string key;
      if (t.key[i] != "(start)")
        for (const auto& name : detail::split_names(t.key[i], state_separator)) detail::key_push(key, id_of(name, i));
      detail::key_push(key, t.target[i] == "(conversion)" ? detail::key_conversion
                            : t.target[i] == "(null)"     ? detail::key_null
                                                          : id_of(t.target[i], i));
      add(st.transitions[st.order_index(t.order[i])][key], i);
    } else if (s == "channel_set") {
      std::vector<std::uint16_t> ids;
      for (const auto& name : detail::split_names(t.key[i], set_separator)) ids.push_back(id_of(name, i));
      std::sort(ids.begin(), ids.end());
      std::string key;
      for (auto id : ids) detail::key_push(key, id);
      auto& c = st.sets[key];
      if (t.target[i] == "conversions") add(c.conversions, i);
      else if (t.target[i] == "value") add(c.value, i);
      else if (t.target[i] == "nulls") add(c.nulls, i);
      else fail("from_table: row ", i, ", column 'target': unknown channel_set field '", t.target[i], "'");
    } else if (s == "channel") {
      std::size_t f = 0;
      while (f < n_channel_fields && channel_field_names[f] != t.target[i]) ++f;
      if (f == n_channel_fields) fail("from_table: row ", i, ", column 'target': unknown channel field '", t.target[i], "'");
      add(st.per_channel[id_of(t.key[i], i)][f], i);
    } else if (s == "ordered") {
      // to_table writes a row for every position of a channel, so positions lie below the row count.
      if (t.position[i] < 0 || static_cast<std::size_t>(t.position[i]) >= n)
        fail("from_table: row ", i, ", column 'position': expected an integer in [0, ", n, "), got ", t.position[i]);
      auto& row = st.ordered[id_of(t.key[i], i)];
      const auto p = static_cast<std::size_t>(t.position[i]);
      if (row.size() <= p) row.resize(p + 1, {0, 0});
      if (t.target[i] == "conversions") add(row[p][0], i);
      else if (t.target[i] == "value") add(row[p][1], i);
      else fail("from_table: row ", i, ", column 'target': unknown ordered field '", t.target[i], "'");
    } else {
      fail("from_table: row ", i, ", column 'statistic': unknown statistic '", s, "'");
    }
  }
  st.validate("from_table: inconsistent count table");
  return st;
}

}  // namespace trustmix::attribution
