#pragma once
// Shapley-value attribution (Zhao, Mahboobi & Bagheri 2018, arXiv:1804.05327) computed
// exactly with subset-sum (zeta) transforms over the 2^n coalitions.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trustmix/attribution/exact.hpp"
#include "trustmix/attribution/statistics.hpp"
#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/core/resources.hpp"

namespace trustmix::attribution {

/// The characteristic function v(S) of the coalition game.
enum class ShapleyValue : std::uint8_t {
  count,  ///< v(S) = sum_{T subset of S} R(T), R(T) = conversions of journeys with channel set exactly T
  rate,   ///< v(S) = conversion rate of journeys with channel set exactly S (Dalessandro et al. 2012)
};
/// How the rate game values a coalition that no journey has.
enum class UnseenCoalition : std::uint8_t {
  zero,        ///< v(S) = 0
  max_subset,  ///< v(S) = max over observed subsets T of S of rate(T) (0 if none)
};

struct ShapleyOptions {
  ShapleyValue value_function = ShapleyValue::count;
  UnseenCoalition unseen = UnseenCoalition::zero;
  int max_channels = 24;  ///< exact computation holds 2^n doubles; larger n raises
  int threads = 0;
};

struct ShapleyResult {
  std::vector<std::string> channels;
  std::vector<double> conversions, value;  ///< credit per channel
  std::vector<double> shapley_values;      ///< phi_i of the game (before any scaling)
};

/// Shapley value of every player of a game given as v over bit masks (size 2^n).
///
/// phi_i = sum_{S not containing i} |S|! (n-|S|-1)! / n! (v(S + i) - v(S)): O(2^n n)
/// operations, parallel over players (each phi_i summed in mask order, so the result does
/// not depend on the thread count).
[[nodiscard]] inline std::vector<double> shapley_values(const std::vector<double>& v, int n, int threads = 0) {
  if (v.size() != (std::size_t{1} << n)) fail("shapley_values: v must have 2^n entries");
  std::vector<double> weight(static_cast<std::size_t>(n));  // |S|!(n-|S|-1)!/n! = 1 / (n * C(n-1, |S|))
  for (int s = 0; s < n; ++s) {
    double binom = 1.0;
    for (int i = 1; i <= s; ++i) binom = binom * static_cast<double>(n - 1 - s + i) / static_cast<double>(i);
    weight[static_cast<std::size_t>(s)] = 1.0 / (static_cast<double>(n) * binom);
  }
  std::vector<double> phi(static_cast<std::size_t>(n), 0.0);
  parallel_for_blocks(n, threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (auto i = b; i < e; ++i) {
      const std::uint64_t bit = std::uint64_t{1} << i;
      double acc = 0.0;
      for (std::uint64_t S = 0; S < v.size(); ++S) {
        if (S & bit) continue;
        acc += weight[static_cast<std::size_t>(std::popcount(S))] * (v[S | bit] - v[S]);
      }
      phi[static_cast<std::size_t>(i)] = acc;
    }
  });
  return phi;
}

/// Subset-sum (zeta) transform in place: f(S) <- sum_{T subset of S} f(T).
inline void zeta_transform(std::vector<double>& f, int n) {
  for (int i = 0; i < n; ++i) {
    const std::uint64_t bit = std::uint64_t{1} << i;
    for (std::uint64_t S = 0; S < f.size(); ++S)
      if (S & bit) f[S] += f[S ^ bit];
  }
}

/// Inverse (Moebius) transform in place: f(S) <- sum_{T subset of S} (-1)^{|S-T|} f(T).
inline void moebius_transform(std::vector<double>& f, int n) {
  for (int i = 0; i < n; ++i) {
    const std::uint64_t bit = std::uint64_t{1} << i;
    for (std::uint64_t S = 0; S < f.size(); ++S)
      if (S & bit) f[S] -= f[S ^ bit];
  }
}

/// Full Shapley attribution from counted statistics.
///
/// count game: v(S) = sum_{T subset S} R(T) with R(T) the conversions (value) of journeys
/// whose distinct channels are exactly T; credits are the Shapley values (they add up to
/// total conversions: efficiency). Each R(T) is a unanimity game, so the result equals
/// simplified Shapley exactly. rate game: v(S) = conversions / (conversions + nulls) of
/// journeys with channel set exactly S, unseen coalitions valued per `unseen`; the
/// Shapley values are scaled to total conversions (value). Exact in 2^n memory and
/// O(2^n n) time: n = number of channels must not exceed max_channels (at most 30).
[[nodiscard]] inline ShapleyResult shapley(const AttributionStats& st, const ShapleyOptions& o = {}) {
  st.require(content_sets, "shapley");
  const auto n = static_cast<int>(st.channels.size());
  if (o.max_channels > 30) fail("max_channels must be <= 30 (2^30 coalitions), got ", o.max_channels);
  if (n > o.max_channels)
    fail("full Shapley is exact over 2^n coalitions: ", n, " channels exceed max_channels = ", o.max_channels,
         "; use simplified Shapley (equal to full Shapley for the count game), or group rare channels");
  ShapleyResult res;
  res.channels = st.channels;
  if (n == 0) return res;
  const std::size_t N = std::size_t{1} << n;
  // v over the 2^n coalitions (8 bytes) and, for the rate game, the seen flags (1 byte);
  // the n sums over 2^n coalitions take about n 2^n / 10^9 s on one core.
  require_memory(static_cast<double>(N) * (o.value_function == ShapleyValue::count ? 8.0 : 9.0),
                 format_message("full Shapley over ", n, " channels (2^", n, " coalitions, about ",
                                std::ceil(static_cast<double>(n) * static_cast<double>(N) * 1e-9), " s of work)"),
                 "use simplified Shapley (equal to full Shapley for the count game) or group rare channels");
  auto mask_of = [](const std::string& key) {
    std::uint64_t m = 0;
    for (std::size_t i = 0; i < detail::key_length(key); ++i) m |= std::uint64_t{1} << detail::key_at(key, i);
    return m;
  };
  const double total_conv = to_double(st.total_conversions), total_val = to_double(st.total_value);
  if (o.value_function == ShapleyValue::count) {
    for (int pass = 0; pass < 2; ++pass) {
      std::vector<double> v(N, 0.0);
      for (const auto& [k, c] : detail::sorted_items(st.sets))
        v[mask_of(k)] = to_double(pass == 0 ? c.conversions : c.value);
      zeta_transform(v, n);
      auto phi = shapley_values(v, n, o.threads);
      if (pass == 0) {
        res.shapley_values = phi;
        res.conversions = std::move(phi);
      } else {
        res.value = std::move(phi);
      }
    }
    return res;
  }
  std::vector<double> v(N, 0.0);
  std::vector<char> seen(N, 0);
  for (const auto& [k, c] : detail::sorted_items(st.sets)) {
    const double conv = to_double(c.conversions), total = conv + to_double(c.nulls);
    if (total > 0.0) {
      v[mask_of(k)] = conv / total;
      seen[mask_of(k)] = 1;
    }
  }
  if (o.unseen == UnseenCoalition::max_subset) {
    for (std::size_t S = 0; S < N; ++S)
      if (!seen[S]) v[S] = 0.0;
    for (int i = 0; i < n; ++i) {  // max-zeta transform
      const std::uint64_t bit = std::uint64_t{1} << i;
      for (std::uint64_t S = 0; S < N; ++S)
        if (S & bit) v[S] = std::max(v[S], v[S ^ bit]);
    }
  }
  res.shapley_values = shapley_values(v, n, o.threads);
  double sum = 0.0;
  for (double x : res.shapley_values) sum += x;
  if (!(sum > 0.0))
    fail("rate-based Shapley values sum to ", sum, " (v(all channels) - v(none) <= 0); they cannot be scaled to ",
         "total conversions: try unseen='max_subset' or the count game");
  res.conversions.resize(static_cast<std::size_t>(n));
  res.value.resize(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    res.conversions[i] = res.shapley_values[i] / sum * total_conv;
    res.value[i] = res.shapley_values[i] / sum * total_val;
  }
  return res;
}

/// Simplified Shapley: phi_j = sum_{S containing j} R(S) / |S| (each journey's
/// conversions split equally over its distinct channels). Any number of channels.
[[nodiscard]] inline ShapleyResult simplified_shapley(const AttributionStats& st) {
  st.require(content_sets, "simplified_shapley");
  const std::size_t C = st.channels.size();
  ShapleyResult res;
  res.channels = st.channels;
  std::vector<exact_t> conv(C, 0), val(C, 0);
  for (const auto& [k, c] : st.sets) {
    const auto U = static_cast<double>(detail::key_length(k));
    const exact_t cs = to_exact(to_double(c.conversions) / U), vs = to_exact(to_double(c.value) / U);
    for (std::size_t i = 0; i < detail::key_length(k); ++i) {
      conv[detail::key_at(k, i)] += cs;
      val[detail::key_at(k, i)] += vs;
    }
  }
  res.conversions.resize(C);
  res.value.resize(C);
  for (std::size_t c = 0; c < C; ++c) {
    res.conversions[c] = to_double(conv[c]);
    res.value[c] = to_double(val[c]);
  }
  res.shapley_values = res.conversions;
  return res;
}

/// Ordered Shapley: credit of channel j at touch position t (from 0): each converting
/// journey gives 1/U of its conversions (value) to each of its U distinct channels, split
/// evenly over that channel's occurrences. Rows channels, columns positions; the row
/// sums are the simplified-Shapley credits.
struct OrderedShapley {
  std::vector<std::string> channels;
  std::vector<std::vector<double>> conversions, value;  ///< [channel][position]
};
[[nodiscard]] inline OrderedShapley ordered_shapley(const AttributionStats& st) {
  st.require(content_ordered, "ordered_shapley");
  OrderedShapley r;
  r.channels = st.channels;
  std::size_t T = 0;
  for (const auto& row : st.ordered) T = std::max(T, row.size());
  r.conversions.assign(st.channels.size(), std::vector<double>(T, 0.0));
  r.value = r.conversions;
  for (std::size_t c = 0; c < st.ordered.size(); ++c)
    for (std::size_t t = 0; t < st.ordered[c].size(); ++t) {
      r.conversions[c][t] = to_double(st.ordered[c][t][0]);
      r.value[c][t] = to_double(st.ordered[c][t][1]);
    }
  return r;
}

/// Channel roles: conversions-weighted touch counts by position in converting journeys.
struct Roles {
  std::vector<std::string> channels;
  std::vector<double> introducer, assist, closer, sole;  ///< weighted touch counts
  std::vector<double> first_touch, last_touch;           ///< first- and last-touch credit (conversions)
};
/// introducer: first touch of a converting journey with >= 2 touches; closer: its last
/// touch; assist: any touch in between; sole: the only touch. Each touch counts with its
/// journey's conversions.
[[nodiscard]] inline Roles roles(const AttributionStats& st) {
  st.require(content_channels, "roles");
  Roles r;
  r.channels = st.channels;
  for (const auto& pc : st.per_channel) {
    r.introducer.push_back(to_double(pc[static_cast<std::size_t>(ChannelField::introducer)]));
    r.assist.push_back(to_double(pc[static_cast<std::size_t>(ChannelField::assist)]));
    r.closer.push_back(to_double(pc[static_cast<std::size_t>(ChannelField::closer)]));
    r.sole.push_back(to_double(pc[static_cast<std::size_t>(ChannelField::sole)]));
    r.first_touch.push_back(to_double(pc[static_cast<std::size_t>(ChannelField::first_conversions)]));
    r.last_touch.push_back(to_double(pc[static_cast<std::size_t>(ChannelField::last_conversions)]));
  }
  return r;
}

/// Rule-based credit with default settings read from the statistics (first_touch,
/// last_touch, linear, linear_unique, position_based 40/20/40): what a distributed run
/// needs without the journeys.
[[nodiscard]] inline Credit rule_based(const AttributionStats& st, RuleModel model) {
  st.require(content_channels, "rule_based");
  ChannelField f{};
  switch (model) {
    case RuleModel::first_touch: f = ChannelField::first_conversions; break;
    case RuleModel::last_touch: f = ChannelField::last_conversions; break;
    case RuleModel::linear: f = ChannelField::linear_conversions; break;
    case RuleModel::linear_unique: f = ChannelField::linear_unique_conversions; break;
    case RuleModel::position_based: f = ChannelField::position_conversions; break;
    default:
      fail("from statistics only first_touch, last_touch, linear, linear_unique and position_based (40/20/40) ",
           "are available; last_non and time_decay need the journeys");
  }
  Credit c;
  c.channels = st.channels;
  for (const auto& pc : st.per_channel) {
    c.conversions.push_back(to_double(pc[static_cast<std::size_t>(f)]));
    c.value.push_back(to_double(pc[static_cast<std::size_t>(f) + 1]));
  }
  return c;
}

/// Per-journey credit for models defined on channels (Markov, Shapley): journey j's
/// conversions (value) are split over its distinct channels in proportion to
/// channel_weight (e.g. removal effects; equal weights give the exact per-journey
/// decomposition of simplified / count-game Shapley). A journey whose channels all have
/// weight 0 splits equally.
[[nodiscard]] inline Credit proportional_per_journey(const JourneyStore& s, const std::vector<double>& channel_weight) {
  if (channel_weight.size() != s.n_channels()) fail("channel_weight must have one entry per channel");
  Credit out;
  out.channels = s.channels;
  out.conversions.assign(s.n_channels(), 0.0);
  out.value.assign(s.n_channels(), 0.0);
  std::vector<ChannelId> distinct;
  for (std::size_t j = 0; j < s.size(); ++j) {
    const auto path = s.path(j);
    distinct.assign(path.begin(), path.end());
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    double total = 0.0;
    for (auto id : distinct) total += channel_weight[static_cast<std::size_t>(id)];
    for (auto id : distinct) {
      const double share = total > 0.0 ? channel_weight[static_cast<std::size_t>(id)] / total
                                       : 1.0 / static_cast<double>(distinct.size());
      out.journey.push_back(static_cast<std::int64_t>(j));
      out.channel.push_back(id);
      out.journey_conversions.push_back(s.conversions[j] * share);
      out.journey_value.push_back(s.value[j] * share);
    }
  }
  return out;
}

}  // namespace trustmix::attribution
