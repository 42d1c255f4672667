#pragma once
// The journey store: every attribution model runs on this one compact encoding.
// Channel names are dictionary-encoded (ids index `channels`, which is sorted by name so
// that ids never depend on row order, chunking or thread count); the touches of all
// journeys lie in one contiguous array, journey j owning touches[offsets[j], offsets[j+1]).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"

namespace trustmix::attribution {

using ChannelId = std::int32_t;

/// Customer journeys in columnar form.
///
/// Journey j is the ordered touch sequence touches[offsets[j] .. offsets[j+1]) with
/// weights conversions[j] (may be fractional), value[j] (conversion value, currency) and
/// nulls[j] (number of non-converting journeys with this path). touch_age_days is either
/// empty or holds, for every touch, the time in days from the touch to the end of its
/// journey (the conversion), which time decay needs.
struct JourneyStore {
  std::vector<std::string> channels;  ///< id -> name, sorted ascending
  std::vector<std::int64_t> offsets{0};
  std::vector<ChannelId> touches;
  std::vector<double> touch_age_days;
  std::vector<double> conversions;
  std::vector<double> value;
  std::vector<double> nulls;

  [[nodiscard]] std::size_t size() const { return conversions.size(); }
  [[nodiscard]] std::size_t n_channels() const { return channels.size(); }
  [[nodiscard]] std::size_t n_touches() const { return touches.size(); }
  [[nodiscard]] bool has_times() const { return !touch_age_days.empty(); }
  [[nodiscard]] std::span<const ChannelId> path(std::size_t j) const {
    return {touches.data() + offsets[j], static_cast<std::size_t>(offsets[j + 1] - offsets[j])};
  }
  [[nodiscard]] std::span<const double> ages(std::size_t j) const {
    return {touch_age_days.data() + offsets[j], static_cast<std::size_t>(offsets[j + 1] - offsets[j])};
  }
  [[nodiscard]] double total_conversions() const { return std::accumulate(conversions.begin(), conversions.end(), 0.0); }
  [[nodiscard]] double total_value() const { return std::accumulate(value.begin(), value.end(), 0.0); }
  [[nodiscard]] double total_nulls() const { return std::accumulate(nulls.begin(), nulls.end(), 0.0); }
  /// Id of a channel name, or -1 if absent.
  [[nodiscard]] ChannelId find(std::string_view name) const {
    auto it = std::lower_bound(channels.begin(), channels.end(), name,
                               [](const std::string& a, std::string_view b) { return std::string_view(a) < b; });
    return (it != channels.end() && *it == name) ? static_cast<ChannelId>(it - channels.begin()) : -1;
  }

  /// Appends one journey given by channel names (adds unseen names and re-sorts ids).
  /// For building small stores by hand and in tests; bulk input uses from_paths.
  void add(const std::vector<std::string>& path, double conversions_, double value_ = 0.0, double nulls_ = 0.0,
           const std::vector<double>& ages_days = {});

  /// Checks the invariants (sizes, ids in range, finite non-negative weights).
  void validate() const;
};

/// Column names used in error messages.
struct PathColumns {
  std::string path = "path";
  std::string conversions = "conversions";
  std::string value = "value";
  std::string nulls = "nulls";
};

namespace detail {

/// White space of channel names: ' ' and '\t' '\n' '\v' '\f' '\r' (the C locale's isspace).
inline bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/// `s` without leading and trailing white space (is_space).
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// Channel-name dictionary for parsing: open addressing over slots that hold a token's
/// length, its first eight bytes (zero-padded) and its id, so a short token (the usual
/// case) is found by comparing two integers; names are viewed in the input buffer (no
/// allocation per token).
class TokenDict {
 public:
  TokenDict() : slots_(64) {}
  /// `readable_end`: the end of the memory that may be read (the end of the path), so
  /// that a short token's first eight bytes load as one word when they lie inside it.
  ChannelId find_or_add(std::string_view token, const char* readable_end) {
    const std::size_t len = token.size();
    std::uint64_t head = 0;
    if (std::endian::native == std::endian::little && readable_end - token.data() >= 8) {
      std::memcpy(&head, token.data(), 8);
      if (len < 8) head &= (std::uint64_t{1} << (8 * len)) - 1;  // keep the token's bytes (little endian)
    } else {
      std::memcpy(&head, token.data(), std::min<std::size_t>(len, 8));
    }
    std::uint64_t h = (head ^ (static_cast<std::uint64_t>(len) << 56)) * 0x9E3779B97F4A7C15ULL;
    for (std::size_t i = 8; i < len; ++i) h = (h ^ static_cast<unsigned char>(token[i])) * 1099511628211ULL;
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(h >> 40) & mask;
    while (slots_[i].id >= 0) {
      const Slot& sl = slots_[i];
      if (sl.head == head && sl.len == len &&
          (len <= 8 || std::memcmp(names_[static_cast<std::size_t>(sl.id)].data() + 8, token.data() + 8, len - 8) == 0))
        return sl.id;
      i = (i + 1) & mask;
    }
    const auto id = static_cast<ChannelId>(names_.size());
    names_.push_back(token);
    slots_[i] = Slot{head, h, len, id};
    if (2 * names_.size() > slots_.size()) grow();
    return id;
  }
  [[nodiscard]] const std::vector<std::string_view>& names() const { return names_; }

 private:
  struct Slot {
    std::uint64_t head = 0, hash = 0;
    std::size_t len = 0;
    ChannelId id = -1;
  };
  std::vector<Slot> slots_;
  std::vector<std::string_view> names_;
  void grow() {
    std::vector<Slot> slots(slots_.size() * 2);
    const std::size_t mask = slots.size() - 1;
    for (const Slot& sl : slots_) {
      if (sl.id < 0) continue;
      std::size_t i = static_cast<std::size_t>(sl.hash >> 40) & mask;
      while (slots[i].id >= 0) i = (i + 1) & mask;
      slots[i] = sl;
    }
    slots_ = std::move(slots);
  }
};

/// Number of bytes equal to `c` in `p`, eight at a time: a byte of x = word ^ (c repeated)
/// is zero exactly where the word has c, and ~(((x & 0x7F..) + 0x7F..) | x | 0x7F..) has
/// the high bit of exactly those bytes set (no carries cross bytes); a multiply adds them up.
inline std::size_t count_byte(std::string_view p, char c) {
  constexpr std::uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  const std::uint64_t pattern = 0x0101010101010101ULL * static_cast<unsigned char>(c);
  std::size_t count = 0, i = 0;
  for (; i + 8 <= p.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p.data() + i, 8);
    const std::uint64_t x = w ^ pattern;
    const std::uint64_t hits = (~(((x & low7) + low7) | x | low7)) >> 7;  // 1 in each matching byte
    count += static_cast<std::size_t>((hits * 0x0101010101010101ULL) >> 56);  // sum of the bytes (at most 8)
  }
  for (; i < p.size(); ++i) count += p[i] == c;
  return count;
}

/// Splits path `p` on `sep` into trimmed tokens, calling emit(token) for each; returns
/// false at the first empty token (then nothing more is emitted). A one-byte separator
/// (the usual ">") is scanned byte by byte, longer ones with string_view::find.
template <class Emit>
bool split_path(std::string_view p, std::string_view sep, Emit&& emit) {
  const char* const end = p.data() + p.size();
  const char* q = p.data();
  if (sep.size() == 1) {
    const char sc = sep[0];
    while (true) {
      while (q != end && *q != sc && is_space(*q)) ++q;  // leading white space
      const char* b = q;
      while (q != end && *q != sc) ++q;
      const char* e = q;
      while (e != b && is_space(e[-1])) --e;
      if (e == b) return false;
      emit(std::string_view(b, static_cast<std::size_t>(e - b)));
      if (q == end) return true;
      ++q;  // past the separator
    }
  }
  std::size_t pos = 0;
  while (true) {
    const std::size_t next = p.find(sep, pos);
    const std::string_view token = trim(p.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (token.empty()) return false;
    emit(token);
    if (next == std::string_view::npos) return true;
    pos = next + sep.size();
  }
}

inline void check_weight(double v, std::size_t row, const std::string& column) {
  if (!std::isfinite(v) || v < 0.0) fail("row ", row, ", column '", column, "': expected a finite number >= 0, got ", v);
}

/// Replaces local ids by the positions of their names in the sorted union of names.
inline std::vector<std::string> sorted_union(const std::vector<std::vector<std::string>>& names) {
  std::vector<std::string> all;
  for (const auto& v : names) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

inline std::vector<ChannelId> remap_to(const std::vector<std::string>& local, const std::vector<std::string>& global) {
  std::vector<ChannelId> map(local.size());
  for (std::size_t i = 0; i < local.size(); ++i)
    map[i] = static_cast<ChannelId>(std::lower_bound(global.begin(), global.end(), local[i]) - global.begin());
  return map;
}

}  // namespace detail

inline void JourneyStore::validate() const {
  const std::size_t n = conversions.size();
  if (value.size() != n || nulls.size() != n || offsets.size() != n + 1)
    fail("JourneyStore: conversions, value, nulls must have one entry per journey and offsets one more, got sizes ",
         conversions.size(), ", ", value.size(), ", ", nulls.size(), ", ", offsets.size());
  if (offsets.front() != 0 || static_cast<std::size_t>(offsets.back()) != touches.size())
    fail("JourneyStore: offsets must start at 0 and end at the number of touches (", touches.size(), ")");
  if (!touch_age_days.empty() && touch_age_days.size() != touches.size())
    fail("JourneyStore: touch_age_days must be empty or have one entry per touch, got ", touch_age_days.size());
  if (!std::is_sorted(channels.begin(), channels.end()) ||
      std::adjacent_find(channels.begin(), channels.end()) != channels.end())
    fail("JourneyStore: channels must be sorted and unique");
  for (std::size_t j = 0; j < n; ++j) {
    if (offsets[j + 1] <= offsets[j]) fail("row ", j, ", column 'path': a journey needs at least one touch");
    detail::check_weight(conversions[j], j, "conversions");
    detail::check_weight(value[j], j, "value");
    detail::check_weight(nulls[j], j, "nulls");
  }
  for (std::size_t t = 0; t < touches.size(); ++t)
    if (touches[t] < 0 || static_cast<std::size_t>(touches[t]) >= channels.size())
      fail("JourneyStore: touch ", t, " has channel id ", touches[t], " outside [0, ", channels.size(), ")");
}

inline void JourneyStore::add(const std::vector<std::string>& path, double conversions_, double value_, double nulls_,
                              const std::vector<double>& ages_days) {
  const std::size_t row = size();
  if (path.empty()) fail("row ", row, ", column 'path': a journey needs at least one touch");
  detail::check_weight(conversions_, row, "conversions");
  detail::check_weight(value_, row, "value");
  detail::check_weight(nulls_, row, "nulls");
  if (!ages_days.empty() && ages_days.size() != path.size())
    fail("row ", row, ": ages_days must have one entry per touch (", path.size(), "), got ", ages_days.size());
  if (!ages_days.empty() && touches.size() > 0 && touch_age_days.empty())
    fail("row ", row, ": ages_days given but earlier journeys have none");
  if (ages_days.empty() && !touch_age_days.empty()) fail("row ", row, ": ages_days missing (earlier journeys have them)");
  for (const auto& name : path)
    if (detail::trim(name).empty()) fail("row ", row, ", column 'path': empty channel name");
  // Merge new names into the sorted dictionary and remap existing ids.
  std::vector<std::string> names = channels;
  for (const auto& name : path) names.emplace_back(detail::trim(name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.size() != channels.size()) {
    const auto map = detail::remap_to(channels, names);
    for (auto& t : touches) t = map[static_cast<std::size_t>(t)];
    channels = std::move(names);
  }
  for (const auto& name : path) touches.push_back(find(detail::trim(name)));
  touch_age_days.insert(touch_age_days.end(), ages_days.begin(), ages_days.end());
  offsets.push_back(static_cast<std::int64_t>(touches.size()));
  conversions.push_back(conversions_);
  value.push_back(value_);
  nulls.push_back(nulls_);
}

/// Builds a store from n path strings given by path_at(i) -> std::string_view (see
/// from_paths); the views must stay valid during the call.
template <class PathAt>
[[nodiscard]] JourneyStore from_paths_with(std::size_t n, PathAt&& path_at, std::span<const double> conversions,
                                           std::span<const double> value, std::span<const double> nulls,
                                           std::string_view sep, const PathColumns& columns, int threads) {
  if (sep.empty()) fail("sep must be a non-empty string");
  if (conversions.size() != n) fail("column '", columns.conversions, "' has ", conversions.size(), " rows, path has ", n);
  if (!value.empty() && value.size() != n) fail("column '", columns.value, "' has ", value.size(), " rows, path has ", n);
  if (!nulls.empty() && nulls.size() != n) fail("column '", columns.nulls, "' has ", nulls.size(), " rows, path has ", n);
  // Three parallel passes over the same row chunks, writing every touch once, in place:
  // (1) tokens per row (separators + 1; exact for every valid row) as chunk-local running
  // counts in offsets[r + 1]; (2) each chunk shifts its offsets by its start and parses its
  // rows into the final touch array with chunk-local ids; (3) local ids become positions
  // in the sorted union of the chunks' names.
  std::vector<std::int64_t> offsets(n + 1, 0);
  struct Chunk {
    std::size_t begin = 0, end = 0;
    std::int64_t touches = 0;
    std::vector<std::string> names;
    std::string error;
  };
  const auto n_chunks = static_cast<std::size_t>(std::max<std::ptrdiff_t>(
      1, std::min<std::ptrdiff_t>(resolve_threads(threads), static_cast<std::ptrdiff_t>(n / 4096 + 1))));
  std::vector<Chunk> chunks(n_chunks);
  for (std::size_t c = 0; c < n_chunks; ++c) {
    chunks[c].begin = n * c / n_chunks;
    chunks[c].end = n * (c + 1) / n_chunks;
  }
  const auto each_chunk = [&](auto&& body) {
    parallel_for_blocks(static_cast<std::ptrdiff_t>(n_chunks), threads, 1, [&](std::ptrdiff_t cb, std::ptrdiff_t ce) {
      for (auto c = static_cast<std::size_t>(cb); c < static_cast<std::size_t>(ce); ++c) body(chunks[c]);
    });
  };
  each_chunk([&](Chunk& ch) {
    std::int64_t total = 0;
    for (std::size_t r = ch.begin; r < ch.end; ++r) {
      const std::string_view p = path_at(r);
      std::int64_t count = 1;
      if (sep.size() == 1) {
        count += static_cast<std::int64_t>(detail::count_byte(p, sep[0]));
      } else {
        for (std::size_t pos = p.find(sep); pos != std::string_view::npos; pos = p.find(sep, pos + sep.size())) ++count;
      }
      total += count;
      offsets[r + 1] = total;
    }
    ch.touches = total;
  });
  JourneyStore s;
  std::vector<std::int64_t> bases(n_chunks + 1, 0);
  for (std::size_t c = 0; c < n_chunks; ++c) bases[c + 1] = bases[c] + chunks[c].touches;
  s.touches.resize(static_cast<std::size_t>(bases[n_chunks]));
  each_chunk([&](Chunk& ch) {
    const std::int64_t shift = bases[static_cast<std::size_t>(&ch - chunks.data())];
    // offsets[ch.begin] belongs to the previous chunk (shifted there, maybe concurrently):
    // this chunk's rows start at `shift` and at its own shifted offsets after that.
    for (std::size_t r = ch.begin; r < ch.end; ++r) offsets[r + 1] += shift;
    detail::TokenDict dict;
    for (std::size_t r = ch.begin; r < ch.end; ++r) {
      const double cv = conversions[r], vv = value.empty() ? 0.0 : value[r], nv = nulls.empty() ? 0.0 : nulls[r];
      if (!std::isfinite(cv) || cv < 0.0) {
        ch.error = format_message("row ", r, ", column '", columns.conversions, "': expected a finite number >= 0, got ",
                                  cv);
        break;
      }
      if (!std::isfinite(vv) || vv < 0.0) {
        ch.error = format_message("row ", r, ", column '", columns.value, "': expected a finite number >= 0, got ", vv);
        break;
      }
      if (!std::isfinite(nv) || nv < 0.0) {
        ch.error = format_message("row ", r, ", column '", columns.nulls, "': expected a finite number >= 0, got ", nv);
        break;
      }
      const std::string_view p = path_at(r);
      // A valid row has exactly offsets[r + 1] - offsets[r] tokens; an invalid one stops at
      // its first empty token, so the writes stay inside the row's range.
      ChannelId* out = s.touches.data() + (r == ch.begin ? shift : offsets[r]);
      const char* const p_end = p.data() + p.size();
      if (!detail::split_path(p, sep, [&](std::string_view token) { *out++ = dict.find_or_add(token, p_end); })) {
        ch.error = detail::trim(p).empty()
                       ? format_message("row ", r, ", column '", columns.path, "': empty path")
                       : format_message("row ", r, ", column '", columns.path, "': empty channel name in '", p, "'");
        break;
      }
    }
    ch.names.assign(dict.names().begin(), dict.names().end());
  });
  for (const auto& ch : chunks)  // chunks are in row order: the first error is the lowest row
    if (!ch.error.empty()) fail(ch.error);
  std::vector<std::vector<std::string>> all_names;
  all_names.reserve(n_chunks);
  for (const auto& ch : chunks) all_names.push_back(ch.names);
  s.channels = detail::sorted_union(all_names);
  each_chunk([&](Chunk& ch) {
    const auto map = detail::remap_to(ch.names, s.channels);
    ChannelId* t = s.touches.data() + offsets[ch.begin];
    ChannelId* const t_end = s.touches.data() + offsets[ch.end];
    for (; t != t_end; ++t) *t = map[static_cast<std::size_t>(*t)];
  });
  s.offsets = std::move(offsets);
  s.conversions.assign(conversions.begin(), conversions.end());
  s.value = value.empty() ? std::vector<double>(n, 0.0) : std::vector<double>(value.begin(), value.end());
  s.nulls = nulls.empty() ? std::vector<double>(n, 0.0) : std::vector<double>(nulls.begin(), nulls.end());
  return s;
}

/// Builds a store from aggregated path strings such as "press > instagram > search".
///
/// Each path is split on `sep`; channel names are trimmed of white space. `value` and
/// `nulls` may be empty (treated as zeros). Parsing runs in parallel chunks with local
/// dictionaries merged by name, so the result is the same for every thread count.
/// Errors name the first offending row and its column: empty path or channel name,
/// negative or non-finite weights.
[[nodiscard]] inline JourneyStore from_paths(std::span<const std::string_view> paths, std::span<const double> conversions,
                                             std::span<const double> value, std::span<const double> nulls,
                                             std::string_view sep = ">", const PathColumns& columns = {}, int threads = 0) {
  return from_paths_with(
      paths.size(), [&](std::size_t i) { return paths[i]; }, conversions, value, nulls, sep, columns, threads);
}

/// Same, for UTF-8 strings stored back to back (Arrow string / large_string layout):
/// path i is data[offsets[i], offsets[i + 1]). No per-row objects are created.
template <class Offset>
[[nodiscard]] JourneyStore from_path_buffer(std::string_view data, std::span<const Offset> offsets,
                                            std::span<const double> conversions, std::span<const double> value,
                                            std::span<const double> nulls, std::string_view sep = ">",
                                            const PathColumns& columns = {}, int threads = 0) {
  if (offsets.empty()) fail("path buffer: offsets must have n + 1 entries");
  const std::size_t n = offsets.size() - 1;
  for (std::size_t i = 0; i < n; ++i)
    if (offsets[i] < 0 || offsets[i + 1] < offsets[i] || static_cast<std::size_t>(offsets[i + 1]) > data.size())
      fail("path buffer: offsets ", offsets[i], "..", offsets[i + 1], " of row ", i, " lie outside the data (", data.size(),
           " bytes)");
  return from_paths_with(
      n,
      [&](std::size_t i) {
        return data.substr(static_cast<std::size_t>(offsets[i]), static_cast<std::size_t>(offsets[i + 1] - offsets[i]));
      },
      conversions, value, nulls, sep, columns, threads);
}

/// The journeys at `rows` (in that order; repeats allowed), with the channel dictionary
/// reduced to the channels they use.
[[nodiscard]] inline JourneyStore take(const JourneyStore& s, std::span<const std::int64_t> rows) {
  JourneyStore out;
  std::vector<char> used(s.n_channels(), 0);
  std::size_t total = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || static_cast<std::size_t>(rows[i]) >= s.size())
      fail("take: rows[", i, "] = ", rows[i], " is outside [0, ", s.size(), ")");
    total += s.path(static_cast<std::size_t>(rows[i])).size();
  }
  out.offsets.reserve(rows.size() + 1);
  out.touches.reserve(total);
  if (s.has_times()) out.touch_age_days.reserve(total);
  for (const auto r : rows) {
    const auto j = static_cast<std::size_t>(r);
    for (const auto id : s.path(j)) {
      out.touches.push_back(id);
      used[static_cast<std::size_t>(id)] = 1;
    }
    if (s.has_times()) {
      const auto a = s.ages(j);
      out.touch_age_days.insert(out.touch_age_days.end(), a.begin(), a.end());
    }
    out.offsets.push_back(static_cast<std::int64_t>(out.touches.size()));
    out.conversions.push_back(s.conversions[j]);
    out.value.push_back(s.value[j]);
    out.nulls.push_back(s.nulls[j]);
  }
  std::vector<ChannelId> map(s.n_channels(), -1);
  for (std::size_t c = 0; c < s.n_channels(); ++c)
    if (used[c]) {
      map[c] = static_cast<ChannelId>(out.channels.size());
      out.channels.push_back(s.channels[c]);  // stays sorted
    }
  for (auto& t : out.touches) t = map[static_cast<std::size_t>(t)];
  return out;
}

/// Journeys built from touch events, with bookkeeping of what the lookback window left out.
struct EventJourneys {
  JourneyStore store;
  std::vector<std::int64_t> user;      ///< user code of each journey
  std::vector<std::int64_t> end_time;  ///< conversion time (or last touch for non-converting journeys)
  std::vector<std::int64_t> conversion_row;  ///< row of the conversion event, -1 for non-converting journeys
  std::int64_t unattributed_conversions = 0;  ///< conversions without any touch inside the lookback window
  double unattributed_value = 0.0;
  std::vector<std::int64_t> unattributed_rows;  ///< their rows in the conversion table
  std::int64_t touches_outside_lookback = 0;    ///< touches older than the lookback before their journey's end
};

/// Builds journeys from touch events and conversion events.
///
/// Touch i is (touch_user[i], touch_time[i], touch_channel[i]) with channel ids indexing
/// channel_names; conversion c is (conversion_user[c], conversion_time[c],
/// conversion_value[c]). Times are integers in any unit, `time_units_per_day` of them per
/// day (86400e9 for nanoseconds). For each user, touches and conversions are ordered by
/// time; a conversion's journey holds the user's touches after the previous conversion
/// and at or before this one, not older than `lookback` time units. Touches after a
/// user's last conversion form one non-converting journey (nulls = 1), again limited to
/// `lookback` before the last of them. A conversion without touches in its window is
/// counted in unattributed_*; it raises unless drop_unattributed is true.
[[nodiscard]] inline EventJourneys from_events(std::span<const std::int64_t> touch_user,
                                               std::span<const std::int64_t> touch_time,
                                               std::span<const ChannelId> touch_channel,
                                               const std::vector<std::string>& channel_names,
                                               std::span<const std::int64_t> conversion_user,
                                               std::span<const std::int64_t> conversion_time,
                                               std::span<const double> conversion_value, std::int64_t lookback,
                                               double time_units_per_day, bool drop_unattributed = false) {
  const std::size_t nt = touch_user.size(), nc = conversion_user.size();
  if (touch_time.size() != nt || touch_channel.size() != nt)
    fail("touches: user, time and channel columns must have equal lengths, got ", nt, ", ", touch_time.size(), ", ",
         touch_channel.size());
  if (conversion_time.size() != nc || (!conversion_value.empty() && conversion_value.size() != nc))
    fail("conversions: user, time and value columns must have equal lengths");
  if (lookback <= 0) fail("lookback must be > 0, got ", lookback);
  trustmix::detail::require_positive(time_units_per_day, "time_units_per_day");
  for (std::size_t i = 0; i < nt; ++i)
    if (touch_channel[i] < 0 || static_cast<std::size_t>(touch_channel[i]) >= channel_names.size())
      fail("touches row ", i, ", column 'channel': channel code ", touch_channel[i], " is not a known channel");
  for (std::size_t c = 0; c < nc; ++c)
    if (!conversion_value.empty() && (!std::isfinite(conversion_value[c]) || conversion_value[c] < 0.0))
      fail("conversions row ", c, ", column 'value': expected a finite number >= 0, got ", conversion_value[c]);
  for (const auto& name : channel_names)
    if (detail::trim(name).empty()) fail("touches: empty channel name");

  std::vector<std::string> sorted_names;
  sorted_names.reserve(channel_names.size());
  for (const auto& name : channel_names) sorted_names.emplace_back(detail::trim(name));
  std::vector<std::vector<std::string>> tmp{sorted_names};
  EventJourneys out;
  out.store.channels = detail::sorted_union(tmp);
  const auto map = detail::remap_to(sorted_names, out.store.channels);

  std::vector<std::size_t> ti(nt), ci(nc);
  std::iota(ti.begin(), ti.end(), std::size_t{0});
  std::iota(ci.begin(), ci.end(), std::size_t{0});
  std::sort(ti.begin(), ti.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(touch_user[a], touch_time[a], a) < std::tie(touch_user[b], touch_time[b], b);
  });
  std::sort(ci.begin(), ci.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(conversion_user[a], conversion_time[a], a) < std::tie(conversion_user[b], conversion_time[b], b);
  });
  auto& s = out.store;
  s.touches.reserve(nt);
  s.touch_age_days.reserve(nt);
  auto emit = [&](std::size_t tb, std::size_t te, std::int64_t end_t, double conv, double val, double nul, std::int64_t user,
                  std::int64_t row) {
    for (std::size_t k = tb; k < te; ++k) {
      const std::size_t i = ti[k];
      s.touches.push_back(map[static_cast<std::size_t>(touch_channel[i])]);
      s.touch_age_days.push_back(static_cast<double>(end_t - touch_time[i]) / time_units_per_day);
    }
    s.offsets.push_back(static_cast<std::int64_t>(s.touches.size()));
    s.conversions.push_back(conv);
    s.value.push_back(val);
    s.nulls.push_back(nul);
    out.user.push_back(user);
    out.end_time.push_back(end_t);
    out.conversion_row.push_back(row);
  };
  std::size_t a = 0, b = 0;  // cursors into sorted touches and conversions
  while (a < nt || b < nc) {
    const std::int64_t user = (b >= nc || (a < nt && touch_user[ti[a]] < conversion_user[ci[b]])) ? touch_user[ti[a]]
                                                                                                  : conversion_user[ci[b]];
    // Conversions of this user, in time order.
    while (b < nc && conversion_user[ci[b]] == user) {
      const std::size_t c = ci[b];
      const std::int64_t t_conv = conversion_time[c];
      std::size_t start = a;
      while (a < nt && touch_user[ti[a]] == user && touch_time[ti[a]] <= t_conv) ++a;
      std::size_t first = start;
      while (first < a && touch_time[ti[first]] < t_conv - lookback) ++first;
      out.touches_outside_lookback += static_cast<std::int64_t>(first - start);
      const double val = conversion_value.empty() ? 0.0 : conversion_value[c];
      if (first == a) {
        ++out.unattributed_conversions;
        out.unattributed_value += val;
        out.unattributed_rows.push_back(static_cast<std::int64_t>(c));
      } else {
        emit(first, a, t_conv, 1.0, val, 0.0, user, static_cast<std::int64_t>(c));
      }
      ++b;
    }
    // Remaining touches of this user: one non-converting journey.
    std::size_t start = a;
    while (a < nt && touch_user[ti[a]] == user) ++a;
    if (a > start) {
      const std::int64_t t_end = touch_time[ti[a - 1]];
      std::size_t first = start;
      while (first < a && touch_time[ti[first]] < t_end - lookback) ++first;
      out.touches_outside_lookback += static_cast<std::int64_t>(first - start);
      emit(first, a, t_end, 0.0, 0.0, 1.0, user, -1);
    }
  }
  if (out.unattributed_conversions > 0 && !drop_unattributed)
    fail(out.unattributed_conversions, " conversion(s) have no touch inside the lookback window (first: conversions row ",
         out.unattributed_rows.front(),
         "); pass drop_unattributed=True to drop them (they are counted in unattributed_conversions)");
  return out;
}

}  // namespace trustmix::attribution
