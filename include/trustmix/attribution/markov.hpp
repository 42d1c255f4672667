#pragma once
// Markov chain attribution (Anderl, Becker, von Wangenheim & Schumann 2016, IJRM 33(3)),
// solved exactly as an absorbing chain instead of by simulating walks.
#include <Eigen/OrderingMethods>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>

#include <algorithm>
#include <cmath>
#include <cstdint>
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
/// direct: sparse LU (Eigen::SparseLU, COLAMD ordering), exact up to rounding; its fill-in
/// grows quickly with the number of states of higher-order chains. iterative: Gauss-Seidel
/// sweeps from h = 0 (which converge monotonically for an absorbing chain), stopped when the
/// geometric tail bound delta * q / (1 - q) of the remaining error (delta = largest change
/// of the last sweep, q = ratio of the last two) is below `tolerance` times max h; if
/// `max_sweeps` pass first, the solve falls back to the direct method. automatic: direct up
/// to `direct_max_states` transient states, iterative above.
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

/// Gauss-Seidel for h = r + Q h on the kept states; returns false if it did not converge.
inline bool absorb_iterative(std::size_t m, const std::vector<std::int64_t>& row_start, const std::vector<std::int64_t>& col,
                             const std::vector<double>& val, const std::vector<double>& r_conv,
                             const std::vector<char>& keep, const MarkovSolver& solver, double& out) {
  std::vector<double> h(m, 0.0);
  double prev_delta = 0.0;
  for (int sweep = 0; sweep < solver.max_sweeps; ++sweep) {
    double delta = 0.0, hmax = 0.0;
    for (std::size_t s = 0; s < m; ++s) {
      if (!keep[s]) continue;
      double v = r_conv[s];
      for (auto e = row_start[s]; e < row_start[s + 1]; ++e) {
        const auto c = static_cast<std::size_t>(col[static_cast<std::size_t>(e)]);
        if (keep[c]) v += val[static_cast<std::size_t>(e)] * h[c];
      }
      delta = std::max(delta, std::abs(v - h[s]));
      h[s] = v;
      hmax = std::max(hmax, v);
    }
    if (delta == 0.0) {
      out = h[0];
      return true;
    }
    if (sweep > 0 && prev_delta > 0.0) {
      const double q = delta / prev_delta;
      if (q < 1.0 && delta * q / (1.0 - q) <= solver.tolerance * hmax) {
        out = h[0];
        return true;
      }
    }
    prev_delta = delta;
  }
  return false;
}

}  // namespace detail

/// Markov chain attribution of order k from counted statistics.
///
/// States are (start), the last min(t, k) channels after t touches (consecutive repeats
/// collapsed when the statistics were counted with collapse_repeats), and the absorbing
/// (conversion) and (null). Transition probabilities are the row-normalised summed
/// weights. With Q the transient block and r the one-step conversion probabilities,
/// h = (I - Q)^{-1} r is solved with a sparse LU (Eigen::SparseLU, exact up to floating
/// point) and P(conv) = h[(start)]. Removing channel c sends every transition into a
/// state that contains c to (null); the removal effect is RE_c = 1 - P(conv | c removed)
/// / P(conv) (which equals P(path visits c | converts) under the chain), and the credit
/// is RE_c / sum_j RE_j times total conversions (value). One solve per channel (sparse LU,
/// or Gauss-Seidel for large state spaces: see MarkovSolver), in parallel; the result does
/// not depend on the thread count.
[[nodiscard]] inline MarkovResult markov(const AttributionStats& st, int order = 1, int threads = 0,
                                         const MarkovSolver& solver = {}) {
  trustmix::detail::require_positive(solver.tolerance, "tolerance");
  const auto& tr = st.transitions[st.order_index(order)];
  MarkovResult res;
  res.order = order;
  res.channels = st.channels;
  const auto items = detail::sorted_items(tr);
  // Transient states: every from-state, sorted by key; (start) (empty key) sorts first.
  std::vector<std::string> grams;
  grams.reserve(items.size());
  grams.emplace_back();
  for (const auto& [k, v] : items) grams.emplace_back(k.substr(0, k.size() - 2));
  std::sort(grams.begin(), grams.end());
  grams.erase(std::unique(grams.begin(), grams.end()), grams.end());
  auto next_gram = [&](const std::string& g, std::uint16_t c) {
    std::string n = g;
    detail::key_push(n, c);
    if (detail::key_length(n) > static_cast<std::size_t>(order)) n.erase(0, 2);
    return n;
  };
  {  // a state reached but never left (zero weight) still needs an index
    std::vector<std::string> extra;
    for (const auto& [k, v] : items) {
      const auto c = detail::key_at(k, detail::key_length(k) - 1);
      if (c == detail::key_conversion || c == detail::key_null) continue;
      auto g = next_gram(k.substr(0, k.size() - 2), c);
      if (!std::binary_search(grams.begin(), grams.end(), g)) extra.push_back(std::move(g));
    }
    grams.insert(grams.end(), extra.begin(), extra.end());
    std::sort(grams.begin(), grams.end());
    grams.erase(std::unique(grams.begin(), grams.end()), grams.end());
  }
  const std::size_t m = grams.size();
  auto index_of = [&](const std::string& g) {
    return static_cast<std::int64_t>(std::lower_bound(grams.begin(), grams.end(), g) - grams.begin());
  };
  const auto conv_state = static_cast<std::int64_t>(m), null_state = static_cast<std::int64_t>(m + 1);
  std::vector<double> row_total(m, 0.0);
  std::vector<std::int64_t> from, to;
  std::vector<double> cnt;
  for (const auto& [k, v] : items) {
    const std::string g = k.substr(0, k.size() - 2);
    const auto c = detail::key_at(k, detail::key_length(k) - 1);
    const auto a = index_of(g);
    const auto b = c == detail::key_conversion ? conv_state : c == detail::key_null ? null_state : index_of(next_gram(g, c));
    from.push_back(a);
    to.push_back(b);
    cnt.push_back(to_double(v));
  }
  // Row sums in key order (deterministic), then probabilities.
  for (std::size_t e = 0; e < from.size(); ++e) row_total[static_cast<std::size_t>(from[e])] += cnt[e];
  std::vector<double> prob(from.size());
  std::vector<double> r_conv(m, 0.0);
  for (std::size_t e = 0; e < from.size(); ++e) {
    prob[e] = cnt[e] / row_total[static_cast<std::size_t>(from[e])];
    if (to[e] == conv_state) r_conv[static_cast<std::size_t>(from[e])] += prob[e];
  }
  // Transient-to-transient edges only for the solves.
  std::vector<std::int64_t> tf, tt;
  std::vector<double> tp;
  for (std::size_t e = 0; e < from.size(); ++e)
    if (to[e] < conv_state) {
      tf.push_back(from[e]);
      tt.push_back(to[e]);
      tp.push_back(prob[e]);
    }
  const std::size_t C = st.channels.size();
  // CSR of Q for the iterative solver (edges are already grouped by from-state in key order).
  std::vector<std::int64_t> row_start(m + 1, 0);
  for (auto f : tf) ++row_start[static_cast<std::size_t>(f) + 1];
  for (std::size_t s = 0; s < m; ++s) row_start[s + 1] += row_start[s];
  std::vector<std::int64_t> csr_col(tf.size());
  std::vector<double> csr_val(tf.size());
  {
    std::vector<std::int64_t> fill(row_start.begin(), row_start.end() - 1);
    for (std::size_t e = 0; e < tf.size(); ++e) {
      const auto pos = static_cast<std::size_t>(fill[static_cast<std::size_t>(tf[e])]++);
      csr_col[pos] = tt[e];
      csr_val[pos] = tp[e];
    }
  }
  const bool use_direct = solver.method == MarkovSolver::Method::direct ||
                          (solver.method == MarkovSolver::Method::automatic && m <= solver.direct_max_states);
  std::vector<char> direct_used(C + 1, use_direct ? 1 : 0);
  auto solve = [&](const std::vector<char>& kp, std::size_t slot) {
    double p = 0.0;
    if (!use_direct && detail::absorb_iterative(m, row_start, csr_col, csr_val, r_conv, kp, solver, p)) return p;
    direct_used[slot] = 1;
    return detail::absorb_from_start(m, tf, tt, tp, r_conv, kp);
  };
  std::vector<char> keep(m, 1);
  res.conversion_probability = solve(keep, C);
  if (!(res.conversion_probability > 0.0)) fail("Markov: the journeys contain no conversions");
  // Which states contain which channel.
  std::vector<std::vector<char>> contains(C, std::vector<char>(m, 0));
  res.states.resize(m);
  for (std::size_t s = 0; s < m; ++s)
    for (std::size_t i = 0; i < detail::key_length(grams[s]); ++i) {
      const auto c = detail::key_at(grams[s], i);
      contains[c][s] = 1;
      res.states[s].push_back(static_cast<ChannelId>(c));
    }
  res.removal_effects.assign(C, 0.0);
  parallel_for_blocks(static_cast<std::ptrdiff_t>(C), threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (auto c = static_cast<std::size_t>(b); c < static_cast<std::size_t>(e); ++c) {
      bool present = false;
      std::vector<char> kc(m);
      for (std::size_t s = 0; s < m; ++s) {
        kc[s] = contains[c][s] ? 0 : 1;
        present = present || contains[c][s];
      }
      if (!present) continue;  // a channel without transitions has removal effect 0
      const double p = solve(kc, c);
      res.removal_effects[c] = std::max(0.0, 1.0 - p / res.conversion_probability);
    }
  });
  res.direct = std::all_of(direct_used.begin(), direct_used.end(), [](char x) { return x != 0; });
  double total_re = 0.0;
  for (double x : res.removal_effects) total_re += x;
  const double total_conv = to_double(st.total_conversions), total_val = to_double(st.total_value);
  res.conversions.resize(C);
  res.value.resize(C);
  for (std::size_t c = 0; c < C; ++c) {
    res.conversions[c] = total_re > 0.0 ? res.removal_effects[c] / total_re * total_conv : 0.0;
    res.value[c] = total_re > 0.0 ? res.removal_effects[c] / total_re * total_val : 0.0;
  }
  for (std::size_t s = 0; s < m; ++s) {
    std::string label;
    if (s == 0 && grams[s].empty()) label = "(start)";
    for (std::size_t i = 0; i < detail::key_length(grams[s]); ++i) {
      if (i) label += " > ";
      label += st.channels[detail::key_at(grams[s], i)];
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
