#pragma once
// Markov chain attribution (Anderl, Becker, von Wangenheim & Schumann 2016, IJRM 33(3)),
// solved exactly as an absorbing chain instead of by simulating walks.
#include <Eigen/OrderingMethods>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "trustmix/attribution/exact.hpp"
#include "trustmix/attribution/statistics.hpp"
#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"

namespace trustmix::attribution {

/// How the absorbing-chain systems are solved.
///
/// direct: sparse LU (Eigen::SparseLU, COLAMD ordering) of each system, exact up to
/// rounding; its fill-in grows quickly with the number of states of higher-order chains.
/// iterative: Gauss-Seidel sweeps from h = 0 (which converge monotonically for an absorbing
/// chain) on the chain and all removal systems together (one pass over the transitions
/// updates four systems), rows ordered longest state first so that the acyclic part of the
/// chain (states shorter than k) is exact after each sweep; each system stops when the
/// geometric tail bound delta * q / (1 - q) of its remaining error (delta = its largest
/// change in the last sweep, q = ratio of the last two) is below `tolerance` times its
/// largest h; a system still running after `max_sweeps` falls back to the direct method.
/// automatic: direct up to `direct_max_states` transient states, iterative above.
struct MarkovSolver {
  enum class Method : std::uint8_t { automatic, direct, iterative } method = Method::automatic;
  double tolerance = 1e-13;
  std::size_t direct_max_states = 1500;
  int max_sweeps = 200000;
};

/// Result of the Markov model of one order.
struct MarkovResult {
  int order = 1;
  std::vector<std::string> channels;
  double conversion_probability = 0.0;    ///< P(conversion) from (start)
  std::vector<double> removal_effects;    ///< RE_c = 1 - P(conv | c removed) / P(conv)
  std::vector<double> conversions;        ///< credit: RE_c / sum RE * total conversions
  std::vector<double> value;              ///< credit: RE_c / sum RE * total value
  /// States: 0 = (start), then transient states (channel k-grams), then (conversion), (null).
  std::vector<std::vector<ChannelId>> states;  ///< channels of each transient state (empty for start)
  std::vector<std::string> state_labels;       ///< "(start)", "a > b", ..., "(conversion)", "(null)"
  std::vector<std::int64_t> from, to;           ///< transitions (state indices)
  std::vector<double> probability, count;       ///< row-normalised probability and summed weight
  bool direct = true;  ///< true if every system was solved by sparse LU
};

namespace detail {

/// P(absorption in (conversion)) from each kept transient state, solving
/// (I - Q) h = r restricted to the kept states (others send their mass to (null)).
inline double absorb_from_start(std::size_t m, const std::vector<std::int64_t>& from, const std::vector<std::int64_t>& to,
                                const std::vector<double>& prob, const std::vector<double>& r_conv,
                                const std::vector<char>& keep) {
  std::vector<std::int64_t> index(m, -1);
  std::int64_t k = 0;
  for (std::size_t s = 0; s < m; ++s)
    if (keep[s]) index[s] = k++;
  if (k == 0) return 0.0;
  std::vector<Eigen::Triplet<double>> trip;
  trip.reserve(from.size() + static_cast<std::size_t>(k));
  for (std::int64_t s = 0; s < k; ++s) trip.emplace_back(s, s, 1.0);
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(k);
  for (std::size_t e = 0; e < from.size(); ++e) {
    const auto a = index[static_cast<std::size_t>(from[e])], b = index[static_cast<std::size_t>(to[e])];
    if (a >= 0 && b >= 0) trip.emplace_back(a, b, -prob[e]);
  }
  for (std::size_t s = 0; s < m; ++s)
    if (index[s] >= 0) rhs[index[s]] = r_conv[s];
  Eigen::SparseMatrix<double> A(k, k);
  A.setFromTriplets(trip.begin(), trip.end());
  A.makeCompressed();
  Eigen::SparseLU<Eigen::SparseMatrix<double>, Eigen::COLAMDOrdering<int>> lu;
  lu.compute(A);
  if (lu.info() != Eigen::Success) fail("Markov: the absorbing-chain system is singular (a closed loop without exit)");
  const Eigen::VectorXd h = lu.solve(rhs);
  return h[index[0]];
}

/// A state of an order-k chain (k <= 8) packed into 128 bits: element i (channel id + 1) in
/// the 16-bit lane i counted from the most significant end, unused lanes 0. Integer order
/// is the lexicographic order of the channel-id sequences, shorter prefixes first, and
/// (start) (no element) is 0.
using packed_gram = exact_unsigned_t;
inline constexpr std::size_t max_packed_order = 8;

inline packed_gram gram_lane(std::size_t i, std::uint16_t id) {
  return static_cast<packed_gram>(static_cast<std::uint32_t>(id) + 1u) << (16 * (max_packed_order - 1 - i));
}
inline std::uint16_t gram_id(packed_gram g, std::size_t i) {
  return static_cast<std::uint16_t>(static_cast<std::uint16_t>(g >> (16 * (max_packed_order - 1 - i))) - 1u);
}
/// The state after `id` follows the state `g` of length `len` (the oldest element drops out at length k).
inline packed_gram gram_next(packed_gram g, std::size_t len, std::size_t k, std::uint16_t id) {
  if (len < k) return g | gram_lane(len, id);
  return (g << 16) | gram_lane(k - 1, id);
}

/// Solves h = r + Q h restricted to the states kept by each of several removal "lanes" at
/// once, by Gauss-Seidel sweeps from h = 0 over the rows of `row_start`/`col`/`val`. Rows
/// [0, cyclic) are the states of full length k (the only ones on cycles: a shorter state is
/// visited once, at its own step) and come first; the sweeps run over them only, and the
/// acyclic rows [cyclic, m), ordered so that every row's successors precede it, are computed
/// from them in one exact pass when a lane stops (an error of at most the cyclic rows' error,
/// as each row's probabilities sum to at most 1). Lane l drops the rows that list it in
/// lanes_of_row[lane_start[s], lane_start[s + 1]) (their h stays 0, as if every transition
/// into them went to (null)). Each lane stops on its own: when the geometric tail bound
/// delta * q / (1 - q) of its remaining error (delta = its largest change in the last
/// sweep, q = ratio of the last two) is at most `tolerance` times its largest h; its value
/// at row `start` is recorded then, so a lane's result does not depend on the other lanes
/// in its block (nor on the thread count). Lanes that do not stop within `max_sweeps`
/// report converged[l] = 0.
template <std::size_t B>
void absorb_lanes(std::size_t m, std::size_t cyclic, const std::vector<std::int64_t>& row_start,
                  const std::vector<std::int32_t>& col, const std::vector<double>& val, const std::vector<double>& r,
                  const std::vector<std::int32_t>& lanes_of_row, const std::vector<std::int64_t>& lane_start,
                  std::size_t first_lane, std::size_t n_lanes, std::size_t start, double tolerance, int max_sweeps,
                  double* out, char* converged) {
  std::vector<double> h(m * B, 0.0);
  std::array<double, B> prev_delta{}, delta{}, hmax{}, v{};
  std::array<char, B> done{};
  std::size_t remaining = 0;
  for (std::size_t l = 0; l < B; ++l) {
    done[l] = l < n_lanes ? 0 : 1;
    remaining += l < n_lanes ? 1 : 0;
  }
  // One Gauss-Seidel update of rows [begin, end); returns nothing, tracks delta and hmax.
  auto pass = [&](std::size_t begin, std::size_t end) {
    for (std::size_t s = begin; s < end; ++s) {
      v.fill(r[s]);
      for (auto e = row_start[s]; e < row_start[s + 1]; ++e) {
        const double q = val[static_cast<std::size_t>(e)];
        const double* ht = h.data() + static_cast<std::size_t>(col[static_cast<std::size_t>(e)]) * B;
        for (std::size_t l = 0; l < B; ++l) v[l] += q * ht[l];
      }
      for (auto i = lane_start[s]; i < lane_start[s + 1]; ++i) {
        const auto l = static_cast<std::size_t>(lanes_of_row[static_cast<std::size_t>(i)]);
        if (l >= first_lane && l < first_lane + B) v[l - first_lane] = 0.0;
      }
      double* hs = h.data() + s * B;
      for (std::size_t l = 0; l < B; ++l) {
        delta[l] = std::max(delta[l], std::abs(v[l] - hs[l]));
        hmax[l] = std::max(hmax[l], v[l]);
        hs[l] = v[l];
      }
    }
  };
  for (int sweep = 0; sweep < max_sweeps && remaining > 0; ++sweep) {
    delta.fill(0.0);
    hmax.fill(0.0);
    pass(0, cyclic);
    std::array<char, B> stop{};
    bool any = false;
    for (std::size_t l = 0; l < B; ++l) {
      if (done[l]) continue;
      stop[l] = delta[l] == 0.0;
      if (!stop[l] && sweep > 0 && prev_delta[l] > 0.0) {
        const double q = delta[l] / prev_delta[l];
        stop[l] = q < 1.0 && delta[l] * q / (1.0 - q) <= tolerance * hmax[l];
      }
      prev_delta[l] = delta[l];
      any = any || stop[l];
    }
    if (!any) continue;
    pass(cyclic, m);  // the acyclic rows from the current cyclic ones
    for (std::size_t l = 0; l < B; ++l)
      if (stop[l]) {
        done[l] = 1;
        --remaining;
        out[l] = h[start * B + l];
        converged[l] = 1;
      }
  }
}

}  // namespace detail

/// Markov chain attribution of order k from counted statistics.
///
/// States are (start), the last min(t, k) channels after t touches (consecutive repeats
/// collapsed when the statistics were counted with collapse_repeats), and the absorbing
/// (conversion) and (null); transient states are ordered by their channel-id sequence
/// ((start) first, shorter prefixes first). Transition probabilities are the
/// row-normalised summed weights. With Q the transient block and r the one-step
/// conversion probabilities, h = (I - Q)^{-1} r and P(conv) = h[(start)]. Removing channel
/// c sends every transition into a state that contains c to (null); the removal effect is
/// RE_c = 1 - P(conv | c removed) / P(conv) (which equals P(path visits c | converts)
/// under the chain), and the credit is RE_c / sum_j RE_j times total conversions (value).
///
/// The 1 + C systems (the chain and each removal, a principal submatrix of I - Q) are solved
/// with a sparse LU (Eigen::SparseLU, exact up to rounding), or, for large state spaces,
/// by Gauss-Seidel on all systems at once (MarkovSolver); in parallel, and the result does
/// not depend on the thread count.
[[nodiscard]] inline MarkovResult markov(const AttributionStats& st, int order = 1, int threads = 0,
                                         const MarkovSolver& solver = {}) {
  trustmix::detail::require_positive(solver.tolerance, "tolerance");
  const auto& tr = st.transitions[st.order_index(order)];
  if (static_cast<std::size_t>(order) > detail::max_packed_order) fail("order must be at most 8, got ", order);
  const auto k = static_cast<std::size_t>(order);
  MarkovResult res;
  res.order = order;
  res.channels = st.channels;
  // Edges (from-state, next element, summed weight), sorted by from-state then next
  // (channels by id, then (null), then (conversion)).
  struct Edge {
    detail::packed_gram from;
    std::uint32_t len;    // elements in `from`
    std::uint32_t next;   // channel id, key_null or key_conversion
    exact_t weight;
  };
  std::vector<Edge> edges;
  edges.reserve(tr.size());
  for (const auto& [key, w] : tr) {
    const std::size_t n = detail::key_length(key);
    if (n == 0 || n - 1 > k) fail("Markov: malformed transition key of length ", n, " for order ", k);
    detail::packed_gram g = 0;
    for (std::size_t i = 0; i + 1 < n; ++i) g |= detail::gram_lane(i, detail::key_at(key, i));
    edges.push_back({g, static_cast<std::uint32_t>(n - 1), detail::key_at(key, n - 1), w});
  }
  std::sort(edges.begin(), edges.end(),
            [](const Edge& a, const Edge& b) { return a.from != b.from ? a.from < b.from : a.next < b.next; });
  auto is_absorbing = [](std::uint32_t next) { return next == detail::key_conversion || next == detail::key_null; };
  // Transient states: (start), every from-state, every state reached (even if never left).
  std::vector<detail::packed_gram> grams;
  grams.reserve(2 * edges.size() + 1);
  grams.push_back(0);
  for (const auto& e : edges) {
    grams.push_back(e.from);
    if (!is_absorbing(e.next)) grams.push_back(detail::gram_next(e.from, e.len, k, static_cast<std::uint16_t>(e.next)));
  }
  std::sort(grams.begin(), grams.end());
  grams.erase(std::unique(grams.begin(), grams.end()), grams.end());
  grams.shrink_to_fit();
  const std::size_t m = grams.size();
  auto index_of = [&](detail::packed_gram g) {
    return static_cast<std::int64_t>(std::lower_bound(grams.begin(), grams.end(), g) - grams.begin());
  };
  const auto conv_state = static_cast<std::int64_t>(m), null_state = static_cast<std::int64_t>(m + 1);
  std::vector<std::int64_t> from(edges.size()), to(edges.size());
  std::vector<double> cnt(edges.size());
  {
    std::int64_t a = -1;
    detail::packed_gram last = 0;
    for (std::size_t e = 0; e < edges.size(); ++e) {
      const auto& ed = edges[e];
      if (a < 0 || ed.from != last) {
        a = index_of(ed.from);
        last = ed.from;
      }
      from[e] = a;
      to[e] = ed.next == detail::key_conversion ? conv_state
              : ed.next == detail::key_null     ? null_state
                                                : index_of(detail::gram_next(ed.from, ed.len, k, static_cast<std::uint16_t>(ed.next)));
      cnt[e] = to_double(ed.weight);
    }
  }
  std::vector<Edge>().swap(edges);
  // Row sums in edge order (deterministic), then probabilities.
  std::vector<double> row_total(m, 0.0);
  for (std::size_t e = 0; e < from.size(); ++e) row_total[static_cast<std::size_t>(from[e])] += cnt[e];
  std::vector<double> prob(from.size());
  std::vector<double> r_conv(m, 0.0);
  for (std::size_t e = 0; e < from.size(); ++e) {
    prob[e] = cnt[e] / row_total[static_cast<std::size_t>(from[e])];
    if (to[e] == conv_state) r_conv[static_cast<std::size_t>(from[e])] += prob[e];
  }
  const std::size_t C = st.channels.size();
  res.states.resize(m);
  std::vector<char> present(C, 0);
  for (std::size_t s = 0; s < m; ++s)
    for (std::size_t i = 0; i < k && detail::gram_id(grams[s], i) != 0xFFFF; ++i) {
      const auto c = detail::gram_id(grams[s], i);
      res.states[s].push_back(static_cast<ChannelId>(c));
      present[c] = 1;
    }
  const bool use_direct = solver.method == MarkovSolver::Method::direct ||
                          (solver.method == MarkovSolver::Method::automatic && m <= solver.direct_max_states);
  // System 0 is the whole chain, system 1 + c the chain without channel c.
  std::vector<double> p_conv(C + 1, 0.0);
  std::vector<char> solved(C + 1, 0);
  std::vector<char> direct_used(C + 1, 0);
  if (!use_direct) {
    // Transient-to-transient edges in CSR, rows in sweep order: longer states first (a
    // state of length t < k leads only to states of length t + 1), then by key.
    std::vector<std::int32_t> order_of(m);
    std::iota(order_of.begin(), order_of.end(), 0);
    std::stable_sort(order_of.begin(), order_of.end(),
                     [&](std::int32_t a, std::int32_t b) { return res.states[static_cast<std::size_t>(a)].size() >
                                                                  res.states[static_cast<std::size_t>(b)].size(); });
    const auto cyclic = static_cast<std::size_t>(
        std::count_if(res.states.begin(), res.states.end(), [&](const auto& st_) { return st_.size() == k; }));
    std::vector<std::int32_t> position(m);
    for (std::size_t p = 0; p < m; ++p) position[static_cast<std::size_t>(order_of[p])] = static_cast<std::int32_t>(p);
    std::vector<std::int64_t> row_start(m + 1, 0);
    for (std::size_t e = 0; e < from.size(); ++e)
      if (to[e] < conv_state) ++row_start[static_cast<std::size_t>(position[static_cast<std::size_t>(from[e])]) + 1];
    for (std::size_t p = 0; p < m; ++p) row_start[p + 1] += row_start[p];
    std::vector<std::int32_t> col(static_cast<std::size_t>(row_start[m]));
    std::vector<double> val(col.size()), r(m);
    {
      std::vector<std::int64_t> fill(row_start.begin(), row_start.end() - 1);
      for (std::size_t e = 0; e < from.size(); ++e) {
        if (to[e] >= conv_state) continue;
        const auto pos = static_cast<std::size_t>(fill[static_cast<std::size_t>(position[static_cast<std::size_t>(from[e])])]++);
        col[pos] = position[static_cast<std::size_t>(to[e])];
        val[pos] = prob[e];
      }
    }
    // Lanes: 0 = the whole chain, then one per channel present in some state.
    std::vector<std::size_t> lane_system{0};
    std::vector<std::int32_t> lane_of_channel(C, -1);
    for (std::size_t c = 0; c < C; ++c)
      if (present[c]) {
        lane_of_channel[c] = static_cast<std::int32_t>(lane_system.size());
        lane_system.push_back(c + 1);
      }
    std::vector<std::int64_t> lane_start(m + 1, 0);
    std::vector<std::int32_t> lanes_of_row;
    lanes_of_row.reserve(m * k);
    for (std::size_t p = 0; p < m; ++p) {
      r[p] = r_conv[static_cast<std::size_t>(order_of[p])];
      for (const auto c : res.states[static_cast<std::size_t>(order_of[p])])
        lanes_of_row.push_back(lane_of_channel[static_cast<std::size_t>(c)]);
      lane_start[p + 1] = static_cast<std::int64_t>(lanes_of_row.size());
    }
    constexpr std::size_t B = 4;  // systems per pass (4 per block balances two threads)
    const std::size_t L = lane_system.size(), blocks = (L + B - 1) / B;
    std::vector<double> lane_out(blocks * B, 0.0);
    std::vector<char> lane_ok(blocks * B, 0);
    const auto start = static_cast<std::size_t>(position[0]);
    parallel_for_blocks(static_cast<std::ptrdiff_t>(blocks), threads, 1, [&](std::ptrdiff_t b0, std::ptrdiff_t b1) {
      for (auto b = static_cast<std::size_t>(b0); b < static_cast<std::size_t>(b1); ++b)
        detail::absorb_lanes<B>(m, cyclic, row_start, col, val, r, lanes_of_row, lane_start, b * B,
                                std::min(B, L - b * B), start, solver.tolerance, solver.max_sweeps,
                                lane_out.data() + b * B, lane_ok.data() + b * B);
    });
    for (std::size_t l = 0; l < L; ++l)
      if (lane_ok[l]) {
        p_conv[lane_system[l]] = lane_out[l];
        solved[lane_system[l]] = 1;
      }
  }
  // Sparse LU for the systems not solved above (all of them on the direct path).
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i <= C; ++i)
    if (!solved[i] && (i == 0 || present[i - 1])) todo.push_back(i);
  std::vector<std::int64_t> tf, tt;
  std::vector<double> tp;
  for (std::size_t e = 0; e < from.size() && !todo.empty(); ++e)
    if (to[e] < conv_state) {
      tf.push_back(from[e]);
      tt.push_back(to[e]);
      tp.push_back(prob[e]);
    }
  parallel_for_blocks(static_cast<std::ptrdiff_t>(todo.size()), threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    std::vector<char> keep(m);
    for (auto t = static_cast<std::size_t>(b); t < static_cast<std::size_t>(e); ++t) {
      const std::size_t i = todo[t];
      for (std::size_t s = 0; s < m; ++s)
        keep[s] = i == 0 || std::find(res.states[s].begin(), res.states[s].end(), static_cast<ChannelId>(i - 1)) ==
                                res.states[s].end();
      p_conv[i] = detail::absorb_from_start(m, tf, tt, tp, r_conv, keep);
      direct_used[i] = 1;
    }
  });
  std::vector<std::int64_t>().swap(tf);
  std::vector<std::int64_t>().swap(tt);
  std::vector<double>().swap(tp);
  res.direct = !todo.empty() && todo.size() == 1 + static_cast<std::size_t>(std::count(present.begin(), present.end(), 1));
  res.conversion_probability = p_conv[0];
  if (!(res.conversion_probability > 0.0)) fail("Markov: the journeys contain no conversions");
  res.removal_effects.assign(C, 0.0);  // a channel without transitions has removal effect 0
  for (std::size_t c = 0; c < C; ++c)
    if (present[c]) res.removal_effects[c] = std::max(0.0, 1.0 - p_conv[c + 1] / res.conversion_probability);
  double total_re = 0.0;
  for (double x : res.removal_effects) total_re += x;
  const double total_conv = to_double(st.total_conversions), total_val = to_double(st.total_value);
  res.conversions.resize(C);
  res.value.resize(C);
  for (std::size_t c = 0; c < C; ++c) {
    res.conversions[c] = total_re > 0.0 ? res.removal_effects[c] / total_re * total_conv : 0.0;
    res.value[c] = total_re > 0.0 ? res.removal_effects[c] / total_re * total_val : 0.0;
  }
  res.state_labels.reserve(m + 2);
  for (std::size_t s = 0; s < m; ++s) {
    std::string label;
    if (res.states[s].empty()) label = "(start)";
    for (std::size_t i = 0; i < res.states[s].size(); ++i) {
      if (i) label += " > ";
      label += st.channels[static_cast<std::size_t>(res.states[s][i])];
    }
    res.state_labels.push_back(std::move(label));
  }
  res.state_labels.emplace_back("(conversion)");
  res.state_labels.emplace_back("(null)");
  res.from = std::move(from);
  res.to = std::move(to);
  res.probability = std::move(prob);
  res.count = std::move(cnt);
  return res;
}

/// Held-out log-likelihood of journeys under an order-k chain estimated from `train`.
struct HeldOutScore {
  double log_likelihood = 0.0;  ///< sum over journeys of weight * log P(state sequence and outcome)
  double weight = 0.0;          ///< sum of conversions + nulls of the scored journeys
};

/// Scores `test` under the order-k chain counted in `train`: each journey contributes
/// conversions * log P(path, (conversion)) + nulls * log P(path, (null)), the path's states
/// built as in markov() (repeats collapsed if `train` collapsed them). Transition
/// probabilities use add-one (Laplace) smoothing over the C + 2 possible targets of a row,
/// (count + 1) / (row total + C + 2), so unseen transitions and channels have finite cost.
/// Channels are matched by name; channels unknown to `train` act as one unseen channel.
[[nodiscard]] inline HeldOutScore markov_log_likelihood(const AttributionStats& train, const JourneyStore& test,
                                                        int order) {
  const auto& tr = train.transitions[train.order_index(order)];
  std::unordered_map<std::string, double> row;
  for (const auto& [k, v] : detail::sorted_items(tr)) row[k.substr(0, k.size() - 2)] += to_double(v);
  const double targets = static_cast<double>(train.channels.size()) + 2.0;
  std::vector<std::uint16_t> to_train(test.n_channels());
  for (std::size_t c = 0; c < test.n_channels(); ++c) {
    auto it = std::lower_bound(train.channels.begin(), train.channels.end(), test.channels[c]);
    to_train[c] = (it != train.channels.end() && *it == test.channels[c])
                      ? static_cast<std::uint16_t>(it - train.channels.begin())
                      : static_cast<std::uint16_t>(detail::max_channels_in_keys);
  }
  auto log_p = [&](const std::string& gram, std::uint16_t next) {
    std::string key = gram;
    detail::key_push(key, next);
    const auto c = tr.find(key);
    const auto r = row.find(gram);
    const double count = c == tr.end() ? 0.0 : to_double(c->second);
    const double total = r == row.end() ? 0.0 : r->second;
    return std::log((count + 1.0) / (total + targets));
  };
  HeldOutScore out;
  std::string gram;
  for (std::size_t j = 0; j < test.size(); ++j) {
    const double cv = test.conversions[j], nv = test.nulls[j];
    if (cv + nv == 0.0) continue;
    gram.clear();
    double lp = 0.0;
    std::uint16_t prev = 0xFFFF;
    for (const auto id : test.path(j)) {
      const std::uint16_t c = to_train[static_cast<std::size_t>(id)];
      if (train.collapse_repeats && c == prev) continue;
      lp += log_p(gram, c);
      detail::key_push(gram, c);
      if (detail::key_length(gram) > static_cast<std::size_t>(order)) gram.erase(0, 2);
      prev = c;
    }
    if (cv > 0.0) out.log_likelihood += cv * (lp + log_p(gram, detail::key_conversion));
    if (nv > 0.0) out.log_likelihood += nv * (lp + log_p(gram, detail::key_null));
    out.weight += cv + nv;
  }
  return out;
}

}  // namespace trustmix::attribution
