#pragma once
// Mergeable sufficient statistics (ATTRIBUTION.md, "Scale"). Everything the Markov,
// Shapley, role and default rule-based models need is a sum over journeys: transition
// counts per Markov order, counts per channel set, role and heuristic credit per channel,
// ordered-Shapley credit per channel and position. These sums are kept exactly
// (exact.hpp), keyed by channel *name*, so update/merge are associative and commutative
// and a merged state equals a single pass bit for bit.
#include <boost/crc.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trustmix/attribution/exact.hpp"
#include "trustmix/attribution/journeys.hpp"
#include "trustmix/attribution/rule_based.hpp"
#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"

namespace trustmix::attribution {

/// Fields kept per channel (ChannelField::count of them).
enum class ChannelField : std::uint8_t {
  introducer,   ///< conversions-weighted touches that open a converting journey of >= 2 touches
  assist,       ///< ... that lie strictly inside one
  closer,       ///< ... that close one
  sole,         ///< ... that are the only touch of a converting journey
  first_conversions,
  first_value,
  last_conversions,
  last_value,
  linear_conversions,
  linear_value,
  linear_unique_conversions,
  linear_unique_value,
  position_conversions,
  position_value,
  count
};
inline constexpr std::size_t n_channel_fields = static_cast<std::size_t>(ChannelField::count);
inline constexpr std::array<std::string_view, n_channel_fields> channel_field_names{"introducer",
                                                                                    "assist",
                                                                                    "closer",
                                                                                    "sole",
                                                                                    "first_conversions",
                                                                                    "first_value",
                                                                                    "last_conversions",
                                                                                    "last_value",
                                                                                    "linear_conversions",
                                                                                    "linear_value",
                                                                                    "linear_unique_conversions",
                                                                                    "linear_unique_value",
                                                                                    "position_conversions",
                                                                                    "position_value"};

/// Conversions, value and non-converting count of the journeys with one channel set.
struct SetCounts {
  exact_t conversions = 0, value = 0, nulls = 0;
  /// Adds another set's counts field by field (exact sums: the order does not matter).
  SetCounts& operator+=(const SetCounts& o) {
    conversions += o.conversions;
    value += o.value;
    nulls += o.nulls;
    return *this;
  }
  friend bool operator==(const SetCounts&, const SetCounts&) = default;
};

namespace detail {
inline constexpr std::uint16_t key_conversion = 0xFFFF;
inline constexpr std::uint16_t key_null = 0xFFFE;
inline constexpr std::size_t max_channels_in_keys = 0xFFFD;

inline void key_push(std::string& key, std::uint16_t id) {
  key.push_back(static_cast<char>(id & 0xFF));
  key.push_back(static_cast<char>(id >> 8));
}
inline std::uint16_t key_at(std::string_view key, std::size_t i) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(key[2 * i]) |
                                    (static_cast<unsigned>(static_cast<unsigned char>(key[2 * i + 1])) << 8));
}
inline std::size_t key_length(std::string_view key) { return key.size() / 2; }
/// Open-addressing hash map from packed keys (up to four 16-bit lanes, never 0) to V:
/// the hot loop of counting avoids string keys and node allocations for short keys.
template <class V>
class FlatMap {
 public:
  FlatMap() { reset(10); }
  V& operator[](std::uint64_t k) {
    if (2 * (used_ + 1) > keys_.size()) grow();
    return slot(k);
  }
  [[nodiscard]] std::size_t size() const { return used_; }
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] != 0) f(keys_[i], vals_[i]);
  }

 private:
  std::vector<std::uint64_t> keys_;
  std::vector<V> vals_;
  std::size_t used_ = 0;
  int bits_ = 0;
  void reset(int bits) {
    bits_ = bits;
    keys_.assign(std::size_t{1} << bits, 0);
    vals_.assign(std::size_t{1} << bits, V{});
    used_ = 0;
  }
  V& slot(std::uint64_t k) {
    const std::size_t mask = keys_.size() - 1;
    std::size_t i = static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ULL) >> (64 - bits_));
    while (true) {
      if (keys_[i] == k) return vals_[i];
      if (keys_[i] == 0) {
        keys_[i] = k;
        ++used_;
        return vals_[i];
      }
      i = (i + 1) & mask;
    }
  }
  void grow() {
    auto keys = std::move(keys_);
    auto vals = std::move(vals_);
    reset(bits_ + 1);
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] != 0) slot(keys[i]) = vals[i];
  }
};

/// Open-addressing map from a non-zero 64-bit key to an exact sum, key and sum side by
/// side in one 24-byte slot (an update touches one or two cache lines), filled up to 3/4:
/// a small table matters, as fresh memory costs a page fault per 4 KiB. add() and
/// packed_transitions() are always inlined: without that, markov() of order 1 on 10^6
/// journeys took 14% longer (43.5 ms against 38 ms, one thread), and 4.5% longer when
/// only add() was not inlined.
class ExactCounter {
 public:
  ExactCounter() { reset(12); }
  [[gnu::always_inline]] void add(std::uint64_t key, exact_t w) {
    auto i = static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> (64 - bits_));
    while (true) {
      Slot& sl = slots_[i];
      if (sl.key == key) {
        sl.set(sl.get() + w);
        return;
      }
      if (sl.key == 0) {
        sl.key = key;
        sl.set(w);
        if (4 * ++used_ > 3 * slots_.size()) grow();
        return;
      }
      i = (i + 1) & mask_;
    }
  }
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& sl : slots_)
      if (sl.key != 0) f(sl.key, sl.get());
  }
  [[nodiscard]] std::size_t size() const { return used_; }

 private:
  struct Slot {  // the sum as two 64-bit words: 24 bytes instead of an aligned 32
    std::uint64_t key = 0, low = 0;
    std::int64_t high = 0;
    [[nodiscard]] exact_t get() const { return exact_from_words(high, low); }
    void set(exact_t v) {
      high = exact_high(v);
      low = exact_low(v);
    }
  };
  std::vector<Slot> slots_;
  std::size_t used_ = 0, mask_ = 0;
  int bits_ = 0;
  void reset(int bits) {
    bits_ = bits;
    slots_.assign(std::size_t{1} << bits, Slot{});
    mask_ = slots_.size() - 1;
    used_ = 0;
  }
  void grow() {
    auto old = std::move(slots_);
    reset(bits_ + 1);
    for (const Slot& sl : old)
      if (sl.key != 0) add(sl.key, sl.get());
  }
};

/// Lane value of a key element: channel id + 1, or the conversion / null code itself.
inline std::uint64_t lane_of(std::uint16_t e) { return (e == key_conversion || e == key_null) ? e : e + 1u; }
inline std::uint16_t element_of(std::uint64_t lane) {
  return static_cast<std::uint16_t>(lane >= key_null ? lane : lane - 1u);
}
inline std::string unpack_key(std::uint64_t packed) {
  std::string key;
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t lane = (packed >> (16 * i)) & 0xFFFFu;
    if (lane == 0) break;
    key_push(key, element_of(lane));
  }
  return key;
}

/// Calls add(key, weight) for every transition of an order-k (1 <= k <= 3) chain that one
/// journey makes with a non-zero weight: into each touch (consecutive repeats skipped if
/// `collapse_repeats`) with conversions + nulls, then into (conversion) with `conversions`
/// and into (null) with `nulls`. key: the from-state's channels (id + 1, oldest first) in
/// the 16-bit lanes at bits 48, 32, 16 (unused lanes 0) and the next element's lane value
/// (lane_of) in bits 0-15, so that the integer order of keys is markov()'s edge order.
template <class Add>
[[gnu::always_inline]] inline void packed_transitions(std::span<const ChannelId> path, std::size_t k, bool collapse_repeats,
                                                      exact_t conversions, exact_t nulls, Add&& add) {
  const exact_t through = conversions + nulls;
  const int last_shift = 48 - 16 * static_cast<int>(k - 1);
  std::uint64_t gram = 0;
  std::size_t len = 0;
  ChannelId prev = -1;
  for (const ChannelId id : path) {
    if (collapse_repeats && id == prev) continue;
    prev = id;
    const std::uint64_t lane = static_cast<std::uint64_t>(id) + 1u;
    if (through != 0) add(gram | lane, through);
    if (len < k) gram |= lane << (48 - 16 * static_cast<int>(len++));
    else gram = (gram << 16) | (lane << last_shift);
  }
  if (conversions != 0) add(gram | key_conversion, conversions);
  if (nulls != 0) add(gram | key_null, nulls);
}

/// The string key (from-state ids, then the next element) of a packed_transitions key.
inline std::string unpack_transition_key(std::uint64_t packed) {
  std::string key;
  for (int shift = 48; shift > 0; shift -= 16) {
    const std::uint64_t lane = (packed >> shift) & 0xFFFFu;
    if (lane == 0) break;
    key_push(key, element_of(lane));
  }
  key_push(key, element_of(packed & 0xFFFFu));
  return key;
}

}  // namespace detail

/// What a state counts (bit flags); models say which they need.
enum StatsContent : unsigned {
  content_transitions = 1u,     ///< Markov transitions (markov)
  content_sets = 2u,            ///< channel-set counts (shapley, simplified_shapley)
  content_channels = 4u,        ///< roles and default rule-based credit (roles, rule_based)
  content_ordered = 8u,         ///< ordered-Shapley credit by position (ordered_shapley)
  content_all = 15u,
};

/// The mergeable state. Channel ids in keys index `channels` (sorted by name).
struct AttributionStats {
  /// Serialisation format written by to_bytes(): 2 = format 1 followed by a CRC-32 of
  /// all preceding bytes. from_bytes() reads both (format 1 without the checksum).
  static constexpr std::uint32_t format_version = 2;

  std::vector<std::string> channels;
  std::vector<int> orders{1};   ///< Markov orders whose transitions are counted
  bool collapse_repeats = true; ///< Markov: a channel repeated in a row is one state
  unsigned contents = content_all;  ///< StatsContent flags
  /// transitions[i]: order orders[i]; key = ids of the from-state (0..k channels; empty
  /// is (start)) followed by the next channel id or key_conversion / key_null.
  std::vector<std::unordered_map<std::string, exact_t>> transitions{{}};
  std::unordered_map<std::string, SetCounts> sets;  ///< key = sorted distinct channel ids
  std::vector<std::array<exact_t, n_channel_fields>> per_channel;
  /// ordered[c][t] = {conversions, value}: ordered-Shapley credit of channel c at touch position t.
  std::vector<std::vector<std::array<exact_t, 2>>> ordered;
  exact_t total_conversions = 0, total_value = 0, total_nulls = 0;
  std::int64_t n_journeys = 0;

  AttributionStats() = default;
  explicit AttributionStats(std::vector<int> orders_, bool collapse_repeats_ = true, unsigned contents_ = content_all)
      : orders(std::move(orders_)), collapse_repeats(collapse_repeats_), contents(contents_) {
    if (contents == 0 || contents > content_all)
      fail("contents must be a non-empty combination of StatsContent flags, got ", contents);
    if (orders.empty()) fail("orders must list at least one Markov order");
    std::sort(orders.begin(), orders.end());
    orders.erase(std::unique(orders.begin(), orders.end()), orders.end());
    for (int k : orders)
      if (k < 1 || k > 8) fail("order must be in [1, 8], got ", k);
    transitions.assign(orders.size(), {});
  }

  /// Throws unless every flag of `need` was counted; `model` names the caller.
  void require(unsigned need, std::string_view model) const {
    if ((contents & need) == need) return;
    auto names = [](unsigned flags) {
      constexpr std::array<std::string_view, 4> n{"transitions", "sets", "channels", "ordered"};
      std::string out;
      for (std::size_t i = 0; i < n.size(); ++i)
        if (flags & (1u << i)) out += (out.empty() ? "" : ", ") + std::string(n[i]);
      return out;
    };
    fail(model, " needs statistics counted with contents {", names(need), "}; these have {", names(contents), "}");
  }

  [[nodiscard]] std::size_t order_index(int k) const {
    require(content_transitions, "markov");
    for (std::size_t i = 0; i < orders.size(); ++i)
      if (orders[i] == k) return i;
    std::string have;
    for (int o : orders) have += (have.empty() ? "" : ", ") + std::to_string(o);
    fail("order ", k, " was not counted; these statistics hold orders {", have, "}");
  }

  /// Adds the journeys of a store (counted in parallel chunks, merged exactly).
  void update(const JourneyStore& s, int threads = 0);
  /// Adds another state; channels are matched by name. Into a fresh state (is_fresh())
  /// the other state is copied (moved, for an rvalue) instead of summed key by key: the
  /// same result, as every sum is exact and 0 + x == x.
  void merge(const AttributionStats& other);
  void merge(AttributionStats&& other);
  /// True if nothing has been counted or merged in yet (no channels, keys or sums).
  [[nodiscard]] bool is_fresh() const {
    return channels.empty() && n_journeys == 0 && total_conversions == 0 && total_value == 0 && total_nulls == 0 &&
           sets.empty() && per_channel.empty() && ordered.empty() &&
           std::all_of(transitions.begin(), transitions.end(), [](const auto& t) { return t.empty(); });
  }
  /// Same settings, same sums (bit for bit).
  [[nodiscard]] bool operator==(const AttributionStats& o) const {
    return channels == o.channels && orders == o.orders && collapse_repeats == o.collapse_repeats &&
           contents == o.contents && transitions == o.transitions && sets == o.sets && per_channel == o.per_channel &&
           ordered == o.ordered && total_conversions == o.total_conversions && total_value == o.total_value &&
           total_nulls == o.total_nulls && n_journeys == o.n_journeys;
  }

  /// Renames channel ids to the sorted union `names` (a superset of channels).
  void remap(const std::vector<std::string>& names);

 private:
  void check_mergeable(const AttributionStats& other) const;
  /// merge() into a fresh state: takes `other` over, in the form the key-by-key merge
  /// gives (channels sorted and unique, one per-channel row and one ordered row per channel).
  void adopt(AttributionStats&& other);

 public:
  /// Versioned binary serialisation (little-endian words).
  [[nodiscard]] std::string to_bytes() const;
  /// Reads a to_bytes() state and checks it completely (validate()) before returning it:
  /// a truncated or corrupted state throws std::invalid_argument naming what is wrong.
  [[nodiscard]] static AttributionStats from_bytes(std::string_view bytes);

  /// Throws std::invalid_argument (message prefixed by `where`) unless the state is one
  /// that counting and merging can produce, so that no model reads out of bounds on it:
  /// channels sorted, unique and non-empty; orders sorted, unique, in [1, 8]; every key
  /// well formed (channel ids below the number of channels, set keys sorted and distinct,
  /// transition keys of 1..k+1 elements whose from-state has no collapsed repeat); every
  /// sum in [0, 2^126) units (weights > 0); only the contents' parts filled; and the
  /// exact identities of counting hold: per order, the transitions out of (start) sum to
  /// total_conversions + total_nulls, those into (conversion) / (null) to
  /// total_conversions / total_nulls, and every transient state's inflow equals its
  /// outflow; the channel sets sum to the three totals.
  void validate(std::string_view where = "AttributionStats") const;
};

namespace detail {

/// Counts with short keys (Markov orders <= 3 as packed_transitions keys, channel sets of
/// at most four channels), kept in flat maps until they are flushed into string-keyed maps.
struct FastCounts {
  std::vector<ExactCounter> transitions;
  FlatMap<SetCounts> sets;

  /// Adds another chunk's counts (exact sums: the order of merging does not matter).
  void merge(const FastCounts& o) {
    for (std::size_t oi = 0; oi < transitions.size(); ++oi)
      o.transitions[oi].for_each([&](std::uint64_t k, exact_t v) { transitions[oi].add(k, v); });
    o.sets.for_each([&](std::uint64_t k, const SetCounts& v) { sets[k] += v; });
  }
};

/// Adds flat-map counts into the string-keyed maps of `st`.
template <class Stats>
void flush_fast(const FastCounts& fast, Stats& st) {
  for (std::size_t oi = 0; oi < fast.transitions.size(); ++oi) {
    auto& tr = st.transitions[oi];
    tr.reserve(tr.size() + fast.transitions[oi].size());
    fast.transitions[oi].for_each([&](std::uint64_t k, exact_t v) { tr[unpack_transition_key(k)] += v; });
  }
  st.sets.reserve(st.sets.size() + fast.sets.size());
  fast.sets.for_each([&](std::uint64_t k, const SetCounts& v) { st.sets[unpack_key(k)] += v; });
}

/// Counts one chunk of journeys into `st` (which has the store's dictionary); short keys
/// go to `fast` (see FastCounts), the rest straight into `st`.
inline void count_journeys(const JourneyStore& s, std::size_t begin, std::size_t end, AttributionStats& st,
                           FastCounts& fast) {
  const std::size_t C = s.n_channels();
  std::vector<double> w;
  std::vector<ChannelId> distinct;
  std::vector<int> occurrences(C, 0);
  std::string key, gram;
  if (fast.transitions.size() != st.orders.size()) fast.transitions.assign(st.orders.size(), ExactCounter{});
  auto& fast_transitions = fast.transitions;
  auto& fast_sets = fast.sets;
  RuleOptions position_default;  // 40/20/40
  constexpr std::array<std::pair<RuleModel, ChannelField>, 5> heuristics{
      {{RuleModel::first_touch, ChannelField::first_conversions},
       {RuleModel::last_touch, ChannelField::last_conversions},
       {RuleModel::linear, ChannelField::linear_conversions},
       {RuleModel::linear_unique, ChannelField::linear_unique_conversions},
       {RuleModel::position_based, ChannelField::position_conversions}}};
  for (std::size_t j = begin; j < end; ++j) {
    const auto path = s.path(j);
    const double cv = s.conversions[j], vv = s.value[j], nv = s.nulls[j];
    const std::size_t L = path.size();
    ++st.n_journeys;
    // Distinct channels (sorted).
    if (st.contents & (content_sets | content_ordered)) {
      distinct.assign(path.begin(), path.end());
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    }
    const exact_t cv_exact = to_exact(cv), vv_exact = to_exact(vv), nv_exact = to_exact(nv);
    st.total_conversions += cv_exact;
    st.total_value += vv_exact;
    st.total_nulls += nv_exact;
    if (st.contents & content_sets) {
      SetCounts* target = nullptr;
      if (distinct.size() <= 4) {
        std::uint64_t packed = 0;
        for (std::size_t i = 0; i < distinct.size(); ++i)
          packed |= lane_of(static_cast<std::uint16_t>(distinct[i])) << (16 * i);
        target = &fast_sets[packed];
      } else {
        key.clear();
        for (auto id : distinct) key_push(key, static_cast<std::uint16_t>(id));
        target = &st.sets[key];
      }
      *target += SetCounts{cv_exact, vv_exact, nv_exact};
    }
    // Markov transitions for every order.
    const exact_t through = cv_exact + nv_exact;
    for (std::size_t oi = 0; oi < st.orders.size() && (st.contents & content_transitions); ++oi) {
      const auto k = static_cast<std::size_t>(st.orders[oi]);
      if (k <= 3) {
        auto& tr = fast_transitions[oi];
        packed_transitions(path, k, st.collapse_repeats, cv_exact, nv_exact,
                           [&](std::uint64_t packed, exact_t weight) { tr.add(packed, weight); });
        continue;
      }
      ChannelId prev = -1;
      auto& tr = st.transitions[oi];
      gram.clear();  // (start)
      auto add = [&](std::uint16_t next, exact_t weight) {
        if (weight == 0) return;
        key = gram;
        key_push(key, next);
        tr[key] += weight;
      };
      for (std::size_t t = 0; t < L; ++t) {
        if (st.collapse_repeats && path[t] == prev) continue;
        add(static_cast<std::uint16_t>(path[t]), through);
        key_push(gram, static_cast<std::uint16_t>(path[t]));
        if (key_length(gram) > k) gram.erase(0, 2);
        prev = path[t];
      }
      add(key_conversion, cv_exact);
      add(key_null, nv_exact);
    }
    if (cv == 0.0 && vv == 0.0) continue;
    if (st.contents & content_channels) {
      // Roles (touch positions in converting journeys).
      for (std::size_t t = 0; t < L; ++t) {
        const ChannelField f = L == 1       ? ChannelField::sole
                               : t == 0     ? ChannelField::introducer
                               : t + 1 == L ? ChannelField::closer
                                            : ChannelField::assist;
        st.per_channel[static_cast<std::size_t>(path[t])][static_cast<std::size_t>(f)] += cv_exact;
      }
      // Default rule-based credits.
      for (const auto& [model, field] : heuristics) {
        rule_weights(model, path, {}, -1, position_default, w);
        for (std::size_t t = 0; t < L; ++t) {
          if (w[t] == 0.0) continue;
          auto& pc = st.per_channel[static_cast<std::size_t>(path[t])];
          pc[static_cast<std::size_t>(field)] += to_exact(cv * w[t]);
          pc[static_cast<std::size_t>(field) + 1] += to_exact(vv * w[t]);
        }
      }
    }
    if (!(st.contents & content_ordered)) continue;
    // Ordered Shapley: 1/U per distinct channel, split evenly over its occurrences.
    for (auto id : path) ++occurrences[static_cast<std::size_t>(id)];
    const auto U = static_cast<double>(distinct.size());
    for (std::size_t t = 0; t < L; ++t) {
      const auto id = static_cast<std::size_t>(path[t]);
      auto& row = st.ordered[id];
      if (row.size() <= t) row.resize(t + 1, {0, 0});
      const double share = 1.0 / (U * occurrences[id]);
      row[t][0] += to_exact(cv * share);
      row[t][1] += to_exact(vv * share);
    }
    for (auto id : path) occurrences[static_cast<std::size_t>(id)] = 0;
  }
}

inline std::string remap_key(std::string_view key, const std::vector<std::uint16_t>& map, bool is_set, bool has_next) {
  const std::size_t n = key_length(key);
  std::vector<std::uint16_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto id = key_at(key, i);
    ids[i] = (has_next && i + 1 == n && (id == key_conversion || id == key_null)) ? id : map[id];
  }
  if (is_set) std::sort(ids.begin(), ids.end());
  std::string out;
  out.reserve(key.size());
  for (auto id : ids) key_push(out, id);
  return out;
}

}  // namespace detail

inline void AttributionStats::remap(const std::vector<std::string>& names) {
  if (names.size() > detail::max_channels_in_keys)
    fail("at most ", detail::max_channels_in_keys, " channels are supported, got ", names.size());
  if (names == channels) return;
  std::vector<std::uint16_t> map(channels.size());
  for (std::size_t i = 0; i < channels.size(); ++i) {
    auto it = std::lower_bound(names.begin(), names.end(), channels[i]);
    if (it == names.end() || *it != channels[i]) fail("remap: channel '", channels[i], "' missing from the new dictionary");
    map[i] = static_cast<std::uint16_t>(it - names.begin());
  }
  for (auto& tr : transitions) {
    std::unordered_map<std::string, exact_t> next;
    next.reserve(tr.size());
    for (const auto& [k, v] : tr) next[detail::remap_key(k, map, false, true)] += v;
    tr = std::move(next);
  }
  std::unordered_map<std::string, SetCounts> ns;
  ns.reserve(sets.size());
  for (const auto& [k, v] : sets) ns[detail::remap_key(k, map, true, false)] = v;
  sets = std::move(ns);
  std::vector<std::array<exact_t, n_channel_fields>> pc(names.size());
  for (auto& a : pc) a.fill(0);
  std::vector<std::vector<std::array<exact_t, 2>>> od(names.size());
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (!per_channel.empty()) pc[map[i]] = per_channel[i];
    if (!ordered.empty()) od[map[i]] = ordered[i];
  }
  per_channel = std::move(pc);
  ordered = std::move(od);
  channels = names;
}

inline void AttributionStats::check_mergeable(const AttributionStats& other) const {
  if (other.orders != orders || other.collapse_repeats != collapse_repeats || other.contents != contents)
    fail("merge: statistics must count the same Markov orders, collapse_repeats setting and contents");
}

inline void AttributionStats::adopt(AttributionStats&& other) {
  const auto names = detail::sorted_union({other.channels});
  *this = std::move(other);
  remap(names);
  per_channel.resize(channels.size(), {});
  ordered.resize(channels.size());
}

inline void AttributionStats::merge(AttributionStats&& other) {
  check_mergeable(other);
  if (is_fresh()) adopt(std::move(other));
  else merge(std::as_const(other));
}

inline void AttributionStats::merge(const AttributionStats& other) {
  check_mergeable(other);
  if (is_fresh()) {
    adopt(AttributionStats(other));
    return;
  }
  const std::vector<std::vector<std::string>> both{channels, other.channels};
  const auto names = detail::sorted_union(both);
  remap(names);
  const AttributionStats* src = &other;
  AttributionStats tmp;
  if (other.channels != names) {
    tmp = other;
    tmp.remap(names);
    src = &tmp;
  }
  for (std::size_t i = 0; i < transitions.size(); ++i)
    for (const auto& [k, v] : src->transitions[i]) transitions[i][k] += v;
  for (const auto& [k, v] : src->sets) sets[k] += v;
  per_channel.resize(channels.size(), {});
  ordered.resize(channels.size());
  for (std::size_t c = 0; c < channels.size(); ++c) {
    if (c < src->per_channel.size())
      for (std::size_t f = 0; f < n_channel_fields; ++f) per_channel[c][f] += src->per_channel[c][f];
    if (c < src->ordered.size()) {
      auto& row = ordered[c];
      const auto& srow = src->ordered[c];
      if (row.size() < srow.size()) row.resize(srow.size(), {0, 0});
      for (std::size_t t = 0; t < srow.size(); ++t) {
        row[t][0] += srow[t][0];
        row[t][1] += srow[t][1];
      }
    }
  }
  total_conversions += src->total_conversions;
  total_value += src->total_value;
  total_nulls += src->total_nulls;
  n_journeys += src->n_journeys;
}

inline void AttributionStats::update(const JourneyStore& s, int threads) {
  if (s.n_channels() > detail::max_channels_in_keys)
    fail("at most ", detail::max_channels_in_keys, " channels are supported, got ", s.n_channels());
  const std::size_t n = s.size();
  const auto n_chunks = static_cast<std::size_t>(std::max<std::ptrdiff_t>(
      1, std::min<std::ptrdiff_t>(resolve_threads(threads), static_cast<std::ptrdiff_t>(n / 16384 + 1))));
  std::vector<AttributionStats> parts(n_chunks, AttributionStats(orders, collapse_repeats, contents));
  std::vector<detail::FastCounts> fast(n_chunks);
  parallel_for_blocks(static_cast<std::ptrdiff_t>(n_chunks), threads, 1, [&](std::ptrdiff_t cb, std::ptrdiff_t ce) {
    for (auto c = static_cast<std::size_t>(cb); c < static_cast<std::size_t>(ce); ++c) {
      auto& p = parts[c];
      p.channels = s.channels;
      p.per_channel.assign(s.n_channels(), {});
      for (auto& a : p.per_channel) a.fill(0);
      p.ordered.assign(s.n_channels(), {});
      detail::count_journeys(s, n * c / n_chunks, n * (c + 1) / n_chunks, p, fast[c]);
    }
  });
  // Combine the chunks (exact sums, so the grouping does not matter): flat maps first,
  // then one flush into string keys, then the rest of each part.
  auto& whole = parts[0];
  for (std::size_t c = 1; c < n_chunks; ++c) {
    fast[0].merge(fast[c]);
    fast[c] = detail::FastCounts();
    whole.merge(parts[c]);
    parts[c] = AttributionStats();
  }
  detail::flush_fast(fast[0], whole);
  fast.clear();
  merge(std::move(whole));
}

namespace detail {
struct Writer {
  std::string out;
  template <class T>
  void put(T v) {
    char buf[sizeof(T)];
    std::memcpy(buf, &v, sizeof(T));
    out.append(buf, sizeof(T));
  }
  void put_exact(exact_t v) {
    put(exact_high(v));
    put(exact_low(v));
  }
  void put_string(std::string_view s) {
    put(static_cast<std::uint64_t>(s.size()));
    out.append(s);
  }
};
struct Reader {
  std::string_view in;
  std::size_t pos = 0;
  template <class T>
  T get() {
    if (pos + sizeof(T) > in.size()) fail("AttributionStats.from_bytes: truncated state at byte ", pos);
    T v;
    std::memcpy(&v, in.data() + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  exact_t get_exact() {
    const auto hi = get<std::int64_t>();
    const auto lo = get<std::uint64_t>();
    return exact_from_words(hi, lo);
  }
  std::string get_string() {
    const auto n = get<std::uint64_t>();
    if (n > in.size() - pos) fail("AttributionStats.from_bytes: truncated string at byte ", pos);
    std::string s(in.substr(pos, n));
    pos += n;
    return s;
  }
};
/// CRC-32 (Boost.CRC) of a serialised state, stored after it by to_bytes().
inline std::uint32_t state_checksum(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return static_cast<std::uint32_t>(crc.checksum());
}
// Sorted copies so that the bytes do not depend on hash-map iteration order.
template <class V>
std::vector<std::pair<std::string, V>> sorted_items(const std::unordered_map<std::string, V>& m) {
  std::vector<std::pair<std::string, V>> v(m.begin(), m.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return v;
}
}  // namespace detail

inline std::string AttributionStats::to_bytes() const {
  detail::Writer w;
  w.out.append("TMAS");
  w.put(format_version);
  w.put(static_cast<std::uint64_t>(channels.size()));
  for (const auto& c : channels) w.put_string(c);
  w.put(static_cast<std::uint64_t>(orders.size()));
  for (int k : orders) w.put(static_cast<std::int32_t>(k));
  w.put(static_cast<std::uint8_t>(collapse_repeats));
  w.put(static_cast<std::uint8_t>(contents));
  for (const auto& tr : transitions) {
    const auto items = detail::sorted_items(tr);
    w.put(static_cast<std::uint64_t>(items.size()));
    for (const auto& [k, v] : items) {
      w.put_string(k);
      w.put_exact(v);
    }
  }
  const auto set_items = detail::sorted_items(sets);
  w.put(static_cast<std::uint64_t>(set_items.size()));
  for (const auto& [k, v] : set_items) {
    w.put_string(k);
    w.put_exact(v.conversions);
    w.put_exact(v.value);
    w.put_exact(v.nulls);
  }
  for (std::size_t c = 0; c < channels.size(); ++c) {
    for (std::size_t f = 0; f < n_channel_fields; ++f) w.put_exact(c < per_channel.size() ? per_channel[c][f] : 0);
    const auto& row = c < ordered.size() ? ordered[c] : std::vector<std::array<exact_t, 2>>{};
    w.put(static_cast<std::uint64_t>(row.size()));
    for (const auto& x : row) {
      w.put_exact(x[0]);
      w.put_exact(x[1]);
    }
  }
  w.put_exact(total_conversions);
  w.put_exact(total_value);
  w.put_exact(total_nulls);
  w.put(n_journeys);
  w.put(detail::state_checksum(w.out));
  return w.out;
}

inline AttributionStats AttributionStats::from_bytes(std::string_view bytes) {
  if (bytes.size() < 8 || !bytes.starts_with("TMAS")) fail("AttributionStats.from_bytes: not a trustmix state");
  detail::Reader r{bytes, 4};
  const auto version = r.get<std::uint32_t>();
  if (version != 1 && version != 2)
    fail("AttributionStats.from_bytes: unknown format version ", version, " (this build reads 1 and 2)");
  if (version == 2) {  // the checksum first: a damaged state fails here, whatever byte was hit
    if (bytes.size() < 12) fail("AttributionStats.from_bytes: truncated state (", bytes.size(), " bytes)");
    std::uint32_t stored = 0;
    std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
    bytes.remove_suffix(4);
    r.in = bytes;
    if (detail::state_checksum(bytes) != stored)
      fail("AttributionStats.from_bytes: corrupted or truncated state (checksum mismatch over ", bytes.size(), " bytes)");
  }
  AttributionStats s;
  const auto nc = r.get<std::uint64_t>();
  if (nc > detail::max_channels_in_keys) fail("AttributionStats.from_bytes: bad channel count ", nc);
  for (std::uint64_t i = 0; i < nc; ++i) s.channels.push_back(r.get_string());
  const auto no = r.get<std::uint64_t>();
  if (no == 0 || no > 8) fail("AttributionStats.from_bytes: bad number of orders ", no);
  s.orders.clear();
  for (std::uint64_t i = 0; i < no; ++i) s.orders.push_back(r.get<std::int32_t>());
  s.collapse_repeats = r.get<std::uint8_t>() != 0;
  s.contents = r.get<std::uint8_t>();
  if (s.contents == 0 || s.contents > content_all) fail("AttributionStats.from_bytes: bad contents ", s.contents);
  s.transitions.assign(no, {});
  for (auto& tr : s.transitions) {
    const auto n = r.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < n; ++i) {
      auto k = r.get_string();
      tr[std::move(k)] = r.get_exact();
    }
  }
  const auto ns = r.get<std::uint64_t>();
  for (std::uint64_t i = 0; i < ns; ++i) {
    auto k = r.get_string();
    SetCounts c;
    c.conversions = r.get_exact();
    c.value = r.get_exact();
    c.nulls = r.get_exact();
    s.sets[std::move(k)] = c;
  }
  s.per_channel.resize(nc);
  s.ordered.resize(nc);
  for (std::uint64_t c = 0; c < nc; ++c) {
    for (std::size_t f = 0; f < n_channel_fields; ++f) s.per_channel[c][f] = r.get_exact();
    const auto len = r.get<std::uint64_t>();
    if (len > (bytes.size() - r.pos) / 32) fail("AttributionStats.from_bytes: bad position count ", len, " at byte ", r.pos);
    s.ordered[c].resize(len);
    for (auto& x : s.ordered[c]) {
      x[0] = r.get_exact();
      x[1] = r.get_exact();
    }
  }
  s.total_conversions = r.get_exact();
  s.total_value = r.get_exact();
  s.total_nulls = r.get_exact();
  s.n_journeys = r.get<std::int64_t>();
  if (r.pos != bytes.size()) fail("AttributionStats.from_bytes: ", bytes.size() - r.pos, " trailing bytes");
  s.validate("AttributionStats.from_bytes: corrupted state");
  return s;
}

inline void AttributionStats::validate(std::string_view where) const {
  const std::size_t nc = channels.size();
  if (nc > detail::max_channels_in_keys) fail(where, ": ", nc, " channels, at most ", detail::max_channels_in_keys);
  for (std::size_t i = 0; i < nc; ++i) {
    if (channels[i].empty()) fail(where, ": channel ", i, " has an empty name");
    if (i > 0 && !(channels[i - 1] < channels[i]))
      fail(where, ": channel names must be sorted and unique ('", channels[i - 1], "' before '", channels[i], "')");
  }
  if (orders.empty() || orders.size() > std::size_t{8}) fail(where, ": bad number of Markov orders ", orders.size());
  for (std::size_t i = 0; i < orders.size(); ++i) {
    if (orders[i] < 1 || orders[i] > 8) fail(where, ": Markov order ", orders[i], " outside [1, 8]");
    if (i > 0 && orders[i - 1] >= orders[i]) fail(where, ": Markov orders must be sorted and unique");
  }
  if (contents == 0 || contents > content_all) fail(where, ": bad contents flags ", contents);
  if (transitions.size() != orders.size())
    fail(where, ": ", transitions.size(), " transition tables for ", orders.size(), " orders");
  // Every sum is >= 0 (weights are finite and >= 0) and below 2^126 units, so that the
  // sum of two states cannot overflow the 128-bit integers.
  constexpr exact_t limit = static_cast<exact_t>(exact_unsigned_t{1} << 126);
  auto check_sum = [&](exact_t v, auto&&... what) {
    if (v < 0 || v >= limit) fail(where, ": ", what..., " is out of range (", to_double(v), ")");
  };
  check_sum(total_conversions, "total_conversions");
  check_sum(total_value, "total_value");
  check_sum(total_nulls, "total_nulls");
  if (n_journeys < 0) fail(where, ": n_journeys is negative (", n_journeys, ")");
  auto is_absorbing = [](std::uint16_t e) { return e == detail::key_conversion || e == detail::key_null; };
  for (std::size_t oi = 0; oi < transitions.size(); ++oi) {
    const auto& tr = transitions[oi];
    if (!(contents & content_transitions) && !tr.empty()) fail(where, ": transitions held without content 'transitions'");
    if (tr.empty()) continue;
    const auto k = static_cast<std::size_t>(orders[oi]);
    // balance[state] = inflow - outflow; (start) receives every journey that moves.
    std::unordered_map<std::string, exact_t> balance;
    exact_t into_conversion = 0, into_null = 0, out_of_start = 0, flow = 0;  // flow bounds every balance
    std::string to_state;
    for (const auto& [key, w] : tr) {
      const std::size_t n = detail::key_length(key);
      if (key.size() % 2 != 0 || n == 0 || n > k + 1)
        fail(where, ": malformed order-", k, " transition key of ", key.size(), " bytes");
      check_sum(w, "an order-", k, " transition count");
      if (w == 0) fail(where, ": an order-", k, " transition has weight 0");
      flow += w;
      check_sum(flow, "the order-", k, " transitions' total weight");
      for (std::size_t i = 0; i < n; ++i) {
        const auto e = detail::key_at(key, i);
        if (i + 1 == n && is_absorbing(e)) break;
        if (e >= nc) fail(where, ": an order-", k, " transition names channel id ", e, " of ", nc, " channels");
        if (collapse_repeats && i > 0 && detail::key_at(key, i - 1) == e)
          fail(where, ": an order-", k, " transition repeats a channel although repeats are collapsed");
      }
      const std::string_view from = std::string_view(key).substr(0, key.size() - 2);
      const auto next = detail::key_at(key, n - 1);
      balance[std::string(from)] -= w;
      if (n == 1) out_of_start += w;
      if (next == detail::key_conversion) into_conversion += w;
      else if (next == detail::key_null) into_null += w;
      else {
        to_state.assign(from);
        detail::key_push(to_state, next);
        if (detail::key_length(to_state) > k) to_state.erase(0, 2);
        balance[to_state] += w;
      }
    }
    if (into_conversion != total_conversions || into_null != total_nulls || out_of_start != total_conversions + total_nulls)
      fail(where, ": the order-", k, " transitions do not add up to the total conversions and nulls");
    balance[std::string()] += out_of_start;
    for (const auto& [state, b] : balance)
      if (b != 0) fail(where, ": an order-", k, " state's inflow differs from its outflow");
  }
  if (!(contents & content_sets) && !sets.empty()) fail(where, ": channel sets held without content 'sets'");
  SetCounts set_total;
  for (const auto& [key, v] : sets) {
    const std::size_t n = detail::key_length(key);
    if (key.size() % 2 != 0 || n == 0) fail(where, ": malformed channel-set key of ", key.size(), " bytes");
    for (std::size_t i = 0; i < n; ++i) {
      const auto e = detail::key_at(key, i);
      if (e >= nc) fail(where, ": a channel set names channel id ", e, " of ", nc, " channels");
      if (i > 0 && detail::key_at(key, i - 1) >= e) fail(where, ": a channel-set key is not sorted and distinct");
    }
    check_sum(v.conversions, "a channel set's conversions");
    check_sum(v.value, "a channel set's value");
    check_sum(v.nulls, "a channel set's nulls");
    set_total += v;
    check_sum(set_total.conversions, "the channel sets' conversions");
    check_sum(set_total.value, "the channel sets' value");
    check_sum(set_total.nulls, "the channel sets' nulls");
  }
  if ((contents & content_sets) &&
      (set_total.conversions != total_conversions || set_total.value != total_value || set_total.nulls != total_nulls))
    fail(where, ": the channel sets do not add up to the total conversions, value and nulls");
  if (per_channel.size() > nc || ordered.size() > nc)
    fail(where, ": per-channel rows (", per_channel.size(), ", ", ordered.size(), ") for ", nc, " channels");
  for (std::size_t c = 0; c < per_channel.size(); ++c)
    for (std::size_t f = 0; f < n_channel_fields; ++f) {
      check_sum(per_channel[c][f], "channel '", channels[c], "' field '", channel_field_names[f], "'");
      if (!(contents & content_channels) && per_channel[c][f] != 0)
        fail(where, ": per-channel credit held without content 'channels'");
    }
  for (std::size_t c = 0; c < ordered.size(); ++c) {
    if (!(contents & content_ordered) && !ordered[c].empty())
      fail(where, ": ordered-Shapley credit held without content 'ordered'");
    for (const auto& x : ordered[c]) {
      check_sum(x[0], "channel '", channels[c], "' ordered conversions");
      check_sum(x[1], "channel '", channels[c], "' ordered value");
    }
  }
}

/// Counts a store into fresh statistics.
[[nodiscard]] inline AttributionStats count(const JourneyStore& s, std::vector<int> orders = {1},
                                            bool collapse_repeats = true, int threads = 0, unsigned contents = content_all) {
  AttributionStats st(std::move(orders), collapse_repeats, contents);
  st.update(s, threads);
  return st;
}

}  // namespace trustmix::attribution
