#pragma once
// Rule-based (heuristic) attribution: each journey's conversions and value are split over
// its touches by fixed weights that sum to one (ATTRIBUTION.md).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "trustmix/attribution/exact.hpp"
#include "trustmix/attribution/journeys.hpp"
#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"

namespace trustmix::attribution {

enum class RuleModel : std::uint8_t { first_touch, last_touch, last_non, linear, linear_unique, time_decay, position_based };

/// Settings of the rule-based models.
struct RuleOptions {
  std::string excluded_channel = "direct";  ///< last_non: the channel skipped (e.g. "direct")
  double half_life_days = 7.0;              ///< time_decay: weight 2^(-age / half_life), days
  double first_weight = 0.4;                ///< position_based: share of the first touch
  double last_weight = 0.4;                 ///< position_based: share of the last touch
  int threads = 0;
};

/// Credit per channel (indexed like JourneyStore::channels), optionally per journey.
struct Credit {
  std::vector<std::string> channels;
  std::vector<double> conversions;  ///< credited conversions per channel
  std::vector<double> value;        ///< credited conversion value per channel
  // Per-journey credit in long form (one row per journey x distinct channel of it).
  std::vector<std::int64_t> journey;
  std::vector<ChannelId> channel;
  std::vector<double> journey_conversions;
  std::vector<double> journey_value;
};

namespace detail {

/// Fills w (one weight per touch, summing to 1) for one journey.
inline void rule_weights(RuleModel model, std::span<const ChannelId> path, std::span<const double> ages, ChannelId excluded,
                         const RuleOptions& o, std::vector<double>& w) {
  const std::size_t L = path.size();
  w.assign(L, 0.0);
  switch (model) {
    case RuleModel::first_touch: w.front() = 1.0; break;
    case RuleModel::last_touch: w.back() = 1.0; break;
    case RuleModel::last_non: {
      std::size_t k = L - 1;  // last touch that is not the excluded channel, else the last touch
      for (std::size_t i = L; i-- > 0;)
        if (path[i] != excluded) {
          k = i;
          break;
        }
      w[k] = 1.0;
      break;
    }
    case RuleModel::linear:
      for (auto& x : w) x = 1.0 / static_cast<double>(L);
      break;
    case RuleModel::linear_unique: {
      // 1/U per distinct channel, placed on its first occurrence.
      std::size_t unique = 0;
      for (std::size_t i = 0; i < L; ++i) {
        bool seen = false;
        for (std::size_t k = 0; k < i; ++k) seen = seen || path[k] == path[i];
        if (!seen) {
          w[i] = 1.0;
          ++unique;
        }
      }
      for (auto& x : w) x /= static_cast<double>(unique);
      break;
    }
    case RuleModel::time_decay: {
      // Relative to the youngest touch so that the weights never underflow together.
      if (ages.size() != L) fail("time_decay needs one age per touch");
      double min_age = ages.front();
      for (double a : ages) min_age = std::min(min_age, a);
      double total = 0.0;
      for (std::size_t i = 0; i < L; ++i) total += (w[i] = std::exp2(-(ages[i] - min_age) / o.half_life_days));
      for (auto& x : w) x /= total;
      break;
    }
    case RuleModel::position_based: {
      if (L == 1) {
        w[0] = 1.0;
      } else if (L == 2) {
        const double s = o.first_weight + o.last_weight;
        w[0] = s > 0.0 ? o.first_weight / s : 0.5;
        w[1] = s > 0.0 ? o.last_weight / s : 0.5;
      } else {
        w[0] = o.first_weight;
        w[L - 1] = o.last_weight;
        const double mid = (1.0 - o.first_weight - o.last_weight) / static_cast<double>(L - 2);
        for (std::size_t i = 1; i + 1 < L; ++i) w[i] = mid;
      }
      break;
    }
  }
}

}  // namespace detail

/// Rule-based credit of a journey store.
///
/// Journey j with touches c_1..c_L and weights w_1..w_L (sum 1) gives channel c the
/// credit conversions_j * sum_{t: c_t = c} w_t (and the same with value_j):
/// first/last touch put w = 1 on c_1 / c_L; last_non on the last touch that is not
/// `excluded_channel` (the last touch if all are); linear w_t = 1/L (repeats count);
/// linear_unique 1/U per distinct channel; time_decay w_t proportional to
/// 2^(-age_t / half_life_days), age in days before the conversion (needs timestamps);
/// position_based first_weight / last_weight on the ends and the rest spread evenly over
/// the middle (two touches: split in the ratio first_weight : last_weight; one touch: 1).
/// Channel totals are summed exactly (exact.hpp), so they do not depend on thread count
/// and add up to total conversions / value within 2^-65 per touch.
[[nodiscard]] inline Credit rule_based(const JourneyStore& s, RuleModel model, const RuleOptions& o = {},
                                       bool per_journey = false) {
  if (model == RuleModel::time_decay) {
    trustmix::detail::require_positive(o.half_life_days, "half_life");
    if (!s.has_times()) fail("time_decay needs touch timestamps: build the journeys from events (from_events)");
  }
  if (model == RuleModel::position_based) {
    trustmix::detail::require_in_range(o.first_weight, "first_weight", 0.0, 1.0, false, false);
    trustmix::detail::require_in_range(o.last_weight, "last_weight", 0.0, 1.0, false, false);
    if (o.first_weight + o.last_weight > 1.0 + 1e-12)
      fail("first_weight + last_weight must be <= 1, got ", o.first_weight, " + ", o.last_weight);
  }
  const ChannelId excluded = s.find(o.excluded_channel);
  const std::size_t n = s.size(), C = s.n_channels();
  const auto n_chunks = static_cast<std::size_t>(std::max<std::ptrdiff_t>(
      1, std::min<std::ptrdiff_t>(resolve_threads(o.threads), static_cast<std::ptrdiff_t>(n / 8192 + 1))));
  struct Part {
    std::vector<exact_t> conv, val;
    std::vector<std::int64_t> journey;
    std::vector<ChannelId> channel;
    std::vector<double> jc, jv;
  };
  std::vector<Part> parts(n_chunks);
  parallel_for_blocks(static_cast<std::ptrdiff_t>(n_chunks), o.threads, 1, [&](std::ptrdiff_t cb, std::ptrdiff_t ce) {
    std::vector<double> w;
    std::vector<double> acc(C, 0.0);
    std::vector<ChannelId> touched;
    for (auto c = static_cast<std::size_t>(cb); c < static_cast<std::size_t>(ce); ++c) {
      Part& p = parts[c];
      p.conv.assign(C, 0);
      p.val.assign(C, 0);
      const std::size_t jb = n * c / n_chunks, je = n * (c + 1) / n_chunks;
      if (!per_journey && (model == RuleModel::first_touch || model == RuleModel::last_touch)) {
        // One touch takes everything: share 1, so cv * share == cv.
        const bool first = model == RuleModel::first_touch;
        for (std::size_t j = jb; j < je; ++j) {
          const double cv = s.conversions[j], vv = s.value[j];
          if (cv == 0.0 && vv == 0.0) continue;
          const auto id = static_cast<std::size_t>(
              s.touches[static_cast<std::size_t>(first ? s.offsets[j] : s.offsets[j + 1] - 1)]);
          p.conv[id] += to_exact(cv);
          p.val[id] += to_exact(vv);
        }
        continue;
      }
      // One loop for every model; linear (every touch weighs 1/L, rule_weights' value) is
      // compiled separately, without filling w or testing for zero weights.
      const auto credit_journeys = [&](auto linear_model) {
        constexpr bool linear = decltype(linear_model)::value;
        for (std::size_t j = jb; j < je; ++j) {
          const double cv = s.conversions[j], vv = s.value[j];
          if (cv == 0.0 && vv == 0.0 && !per_journey) continue;
          const auto path = s.path(j);
          double even = 0.0;
          if constexpr (linear) even = 1.0 / static_cast<double>(path.size());
          else detail::rule_weights(model, path, s.has_times() ? s.ages(j) : std::span<const double>{}, excluded, o, w);
          touched.clear();
          for (std::size_t t = 0; t < path.size(); ++t) {
            const auto id = static_cast<std::size_t>(path[t]);
            const double wt = linear ? even : w[t];
            if (!linear && wt == 0.0) continue;
            if (acc[id] == 0.0) touched.push_back(path[t]);
            acc[id] += wt;
          }
          if (per_journey) std::sort(touched.begin(), touched.end());  // rows by channel id; sums are exact in any order
          for (ChannelId id : touched) {
            const double share = acc[static_cast<std::size_t>(id)];
            acc[static_cast<std::size_t>(id)] = 0.0;
            p.conv[static_cast<std::size_t>(id)] += to_exact(cv * share);
            p.val[static_cast<std::size_t>(id)] += to_exact(vv * share);
            if (per_journey) {
              p.journey.push_back(static_cast<std::int64_t>(j));
              p.channel.push_back(id);
              p.jc.push_back(cv * share);
              p.jv.push_back(vv * share);
            }
          }
        }
      };
      if (model == RuleModel::linear) credit_journeys(std::true_type{});
      else credit_journeys(std::false_type{});
    }
  });
  Credit out;
  out.channels = s.channels;
  std::vector<exact_t> conv(C, 0), val(C, 0);
  for (const auto& p : parts)
    for (std::size_t k = 0; k < C; ++k) {
      conv[k] += p.conv[k];
      val[k] += p.val[k];
    }
  out.conversions.resize(C);
  out.value.resize(C);
  for (std::size_t k = 0; k < C; ++k) {
    out.conversions[k] = to_double(conv[k]);
    out.value[k] = to_double(val[k]);
  }
  if (per_journey)
    for (auto& p : parts) {
      out.journey.insert(out.journey.end(), p.journey.begin(), p.journey.end());
      out.channel.insert(out.channel.end(), p.channel.begin(), p.channel.end());
      out.journey_conversions.insert(out.journey_conversions.end(), p.jc.begin(), p.jc.end());
      out.journey_value.insert(out.journey_value.end(), p.jv.begin(), p.jv.end());
    }
  return out;
}

/// Parses a model name: first_touch, last_touch, last_non, linear, linear_unique,
/// time_decay, position_based.
[[nodiscard]] inline RuleModel rule_model_from_string(std::string_view name) {
  constexpr std::array<std::pair<std::string_view, RuleModel>, 7> names{{{"first_touch", RuleModel::first_touch},
                                                                         {"last_touch", RuleModel::last_touch},
                                                                         {"last_non", RuleModel::last_non},
                                                                         {"linear", RuleModel::linear},
                                                                         {"linear_unique", RuleModel::linear_unique},
                                                                         {"time_decay", RuleModel::time_decay},
                                                                         {"position_based", RuleModel::position_based}}};
  for (const auto& [k, v] : names)
    if (k == name) return v;
  fail("model must be one of first_touch, last_touch, last_non, linear, linear_unique, time_decay, position_based; got '",
       name, "'");
}

}  // namespace trustmix::attribution
