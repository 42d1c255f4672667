#pragma once
// Markov chain attribution (Anderl, Becker, von Wangenheim & Schumann 2016, IJRM 33(3)),
// solved exactly as an absorbing chain instead of by simulating walks.
#include <Eigen/OrderingMethods>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "trustmix/attribution/exact.hpp"
#include "trustmix/attribution/statistics.hpp"
#include "trustmix/core/cpu_features.hpp"
#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"

namespace trustmix::attribution {

/// How the absorbing-chain systems are solved.
///
/// direct: sparse LU (Eigen::SparseLU, COLAMD ordering) of each system, exact up to
/// rounding; its fill-in grows quickly with the number of states of higher-order chains.
/// iterative: Gauss-Seidel sweeps from h = 0 (which converge monotonically for an absorbing
/// chain) on the chain and all removal systems together (one pass over the transitions
/// updates up to 16 systems held in vector lanes; see absorb_lanes_body), rows ordered
/// longest state first so that the acyclic part of the
/// chain (states shorter than k) is exact after each sweep, and the states of length k by
/// strongly connected component, sinks first, so that a chain without cycles (one long
/// path of distinct channels) is exact after one sweep; each system stops when the
/// geometric tail bound delta * q / (1 - q) of its remaining error (delta = its largest
/// change in the last sweep, q = ratio of the last two) is below `tolerance` times its
/// largest h; a system still running after `max_sweeps` falls back to the direct method.
/// automatic: direct up to `direct_max_states` transient states, iterative above.
struct MarkovSolver {
  enum class Method : std::uint8_t { automatic, direct, iterative } method = Method::automatic;
  double tolerance = 1e-13;
  std::size_t direct_max_states = 1500;
  int max_sweeps = 200000;
  /// If set and true, the solve stops at its next system (or block of systems) and throws
  /// trustmix::Interrupted (the Python binding sets it on Ctrl-C).
  const std::atomic<bool>* stop = nullptr;
  void check_stop() const {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) throw Interrupted("Markov solve");
  }
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
/// Number of elements of the state `g` (its used lanes, counted from the most significant end).
inline std::size_t gram_length(packed_gram g) {
  const auto low = static_cast<std::uint64_t>(g), high = static_cast<std::uint64_t>(g >> 64);
  const int zeros = low != 0 ? std::countr_zero(low) : high != 0 ? 64 + std::countr_zero(high) : 128;
  return max_packed_order - static_cast<std::size_t>(zeros) / 16;
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
/// as each row's probabilities sum to at most 1). The block holds 4 G lanes (G groups of
/// four, one vector each; lanes past n_lanes are padding); lane l drops the rows whose
/// removed[s] has bit l set (their h stays 0, as if every transition into them went to
/// (null)). Each lane stops on its own: when the geometric tail bound delta * q / (1 - q)
/// of its remaining error (delta = its largest change in the last sweep, q = ratio of the
/// last two) is at most `tolerance` times its largest h; its value at row `start` is
/// recorded then. Every lane does the same floating-point operations in the same order
/// whatever the block size, so a lane's result depends neither on the other lanes of its
/// block nor on the thread count. Lanes that do not stop within `max_sweeps` report
/// converged[l] = 0. If `stop_flag` is set and true at the start of a sweep, throws
/// trustmix::Interrupted (Ctrl-C in Python).
template <class Vec, class Bits, std::size_t NV>
[[gnu::always_inline]] inline void absorb_lanes_body(std::size_t m, std::size_t cyclic,
                                                     const std::vector<std::int64_t>& row_start,
                                                     const std::vector<std::int32_t>& col, const std::vector<double>& val,
                                                     const std::vector<double>& r, const std::vector<std::uint16_t>& removed,
                                                     std::size_t n_lanes, std::size_t start, double tolerance,
                                                     int max_sweeps, const std::atomic<bool>* stop_flag, double* out,
                                                     char* converged) {
  constexpr std::size_t W = sizeof(Vec) / sizeof(double), B = W * NV;  // lanes per vector, per block
  static_assert(B <= 16, "at most 16 lanes per block (16-bit removal masks)");
  static_assert(sizeof(Bits) == sizeof(Vec), "Bits: the lanes of Vec as 64-bit integers");
  // keep[b]: lane i all ones unless bit i of b is set (a removed state of that lane).
  // Plain arrays and an explicitly aligned buffer: template arguments (std::vector<Vec>,
  // std::array<Vec, n>) would drop the alignment attribute of the vector types.
  Bits keep[1u << W];
  for (std::size_t b = 0; b < (1u << W); ++b)
    for (std::size_t i = 0; i < W; ++i) keep[b][i] = ((b >> i) & 1u) ? 0 : ~std::uint64_t{0};
  Bits abs_mask{};
  for (std::size_t i = 0; i < W; ++i) abs_mask[i] = ~(std::uint64_t{1} << 63);
  std::vector<double> storage(m * B + sizeof(Vec) / sizeof(double), 0.0);
  const auto misalign = reinterpret_cast<std::uintptr_t>(storage.data()) % sizeof(Vec);
  Vec* const h = reinterpret_cast<Vec*>(storage.data() + (misalign ? (sizeof(Vec) - misalign) / sizeof(double) : 0));
  Vec delta[NV], hmax[NV];
  std::array<double, B> prev_delta{};
  std::array<char, B> done{};
  std::size_t remaining = 0;
  for (std::size_t l = 0; l < B; ++l) {
    done[l] = l < n_lanes ? 0 : 1;
    remaining += l < n_lanes ? 1 : 0;
  }
  // One Gauss-Seidel update of rows [begin, end), tracking each lane's largest change and value.
  const auto pass = [&](std::size_t begin, std::size_t end) __attribute__((always_inline)) {
    for (std::size_t s = begin; s < end; ++s) {
      Vec v[NV];
      const Vec rs = Vec{} + r[s];
      for (std::size_t g = 0; g < NV; ++g) v[g] = rs;
      for (auto e = row_start[s]; e < row_start[s + 1]; ++e) {
        const Vec q = Vec{} + val[static_cast<std::size_t>(e)];
        const Vec* ht = h + static_cast<std::size_t>(col[static_cast<std::size_t>(e)]) * NV;
        for (std::size_t g = 0; g < NV; ++g) v[g] += q * ht[g];
      }
      if (const unsigned mask = removed[s]; mask != 0)
        for (std::size_t g = 0; g < NV; ++g)
          v[g] = reinterpret_cast<Vec>(reinterpret_cast<Bits>(v[g]) & keep[(mask >> (W * g)) & ((1u << W) - 1)]);
      Vec* hs = h + s * NV;
      for (std::size_t g = 0; g < NV; ++g) {
        const Vec d = reinterpret_cast<Vec>(reinterpret_cast<Bits>(v[g] - hs[g]) & abs_mask);
        delta[g] = delta[g] < d ? d : delta[g];
        hmax[g] = hmax[g] < v[g] ? v[g] : hmax[g];
        hs[g] = v[g];
      }
    }
  };
  for (int sweep = 0; sweep < max_sweeps && remaining > 0; ++sweep) {
    if (stop_flag != nullptr && stop_flag->load(std::memory_order_relaxed)) throw Interrupted("Markov solve");
    for (std::size_t g = 0; g < NV; ++g) delta[g] = hmax[g] = Vec{} * 0.0;
    pass(0, cyclic);
    std::array<char, B> stop{};
    bool any = false;
    for (std::size_t l = 0; l < B; ++l) {
      if (done[l]) continue;
      const double dl = delta[l / W][l % W], hl = hmax[l / W][l % W];
      stop[l] = dl == 0.0;
      if (!stop[l] && sweep > 0 && prev_delta[l] > 0.0) {
        const double q = dl / prev_delta[l];
        stop[l] = q < 1.0 && dl * q / (1.0 - q) <= tolerance * hl;
      }
      prev_delta[l] = dl;
      any = any || stop[l];
    }
    if (!any) continue;
    pass(cyclic, m);  // the acyclic rows from the current cyclic ones
    for (std::size_t l = 0; l < B; ++l)
      if (stop[l]) {
        done[l] = 1;
        --remaining;
        out[l] = h[start * NV + l / W][l % W];
        converged[l] = 1;
      }
  }
}

using lanes2 = double __attribute__((vector_size(16)));  // two lanes (SSE2, NEON)
using lanes2_bits = std::uint64_t __attribute__((vector_size(16)));
/// absorb_lanes_body for 4 G lanes in two-lane vectors (any target).
template <std::size_t G>
void absorb_lanes(std::size_t m, std::size_t cyclic, const std::vector<std::int64_t>& row_start,
                  const std::vector<std::int32_t>& col, const std::vector<double>& val, const std::vector<double>& r,
                  const std::vector<std::uint16_t>& removed, std::size_t n_lanes, std::size_t start, double tolerance,
                  int max_sweeps, const std::atomic<bool>* stop_flag, double* out, char* converged) {
  absorb_lanes_body<lanes2, lanes2_bits, 2 * G>(m, cyclic, row_start, col, val, r, removed, n_lanes, start, tolerance,
                                                max_sweeps, stop_flag, out, converged);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define TRUSTMIX_MARKOV_AVX 1
using lanes4 = double __attribute__((vector_size(32), aligned(32)));  // four lanes (AVX); alignment stated, as
// a 32-byte vector type is only 16-byte aligned when declared outside AVX code
using lanes4_bits = std::uint64_t __attribute__((vector_size(32), aligned(32)));
/// The same in four-lane AVX vectors: the same operations lane by lane (AVX without FMA,
/// so every multiply and add rounds as in the two-lane version), twice as many per instruction.
template <std::size_t G>
__attribute__((target("avx"))) void absorb_lanes_avx(std::size_t m, std::size_t cyclic,
                                                     const std::vector<std::int64_t>& row_start,
                                                     const std::vector<std::int32_t>& col, const std::vector<double>& val,
                                                     const std::vector<double>& r, const std::vector<std::uint16_t>& removed,
                                                     std::size_t n_lanes, std::size_t start, double tolerance,
                                                     int max_sweeps, const std::atomic<bool>* stop_flag, double* out,
                                                     char* converged) {
  absorb_lanes_body<lanes4, lanes4_bits, G>(m, cyclic, row_start, col, val, r, removed, n_lanes, start, tolerance,
                                            max_sweeps, stop_flag, out, converged);
}
inline bool cpu_has_avx() { return trustmix::cpu_features().avx; }  // the runtime's detector
#endif

/// Runs the block of 4 G lanes (G = 1..4) with the widest vectors the CPU has.
inline void absorb_block(std::size_t G, std::size_t m, std::size_t cyclic, const std::vector<std::int64_t>& row_start,
                         const std::vector<std::int32_t>& col, const std::vector<double>& val, const std::vector<double>& r,
                         const std::vector<std::uint16_t>& removed, std::size_t n_lanes, std::size_t start, double tolerance,
                         int max_sweeps, const std::atomic<bool>* stop_flag, double* out, char* converged) {
#define TRUSTMIX_LANES_CALL(fn, g) \
  fn<g>(m, cyclic, row_start, col, val, r, removed, n_lanes, start, tolerance, max_sweeps, stop_flag, out, converged)
#ifdef TRUSTMIX_MARKOV_AVX
  if (cpu_has_avx()) {
    switch (G) {
      case 1: TRUSTMIX_LANES_CALL(absorb_lanes_avx, 1); return;
      case 2: TRUSTMIX_LANES_CALL(absorb_lanes_avx, 2); return;
      case 3: TRUSTMIX_LANES_CALL(absorb_lanes_avx, 3); return;
      default: TRUSTMIX_LANES_CALL(absorb_lanes_avx, 4); return;
    }
  }
#endif
  switch (G) {
    case 1: TRUSTMIX_LANES_CALL(absorb_lanes, 1); return;
    case 2: TRUSTMIX_LANES_CALL(absorb_lanes, 2); return;
    case 3: TRUSTMIX_LANES_CALL(absorb_lanes, 3); return;
    default: TRUSTMIX_LANES_CALL(absorb_lanes, 4); return;
  }
#undef TRUSTMIX_LANES_CALL
}

}  // namespace detail

namespace detail {

/// Strongly connected components of the directed graph on vertices [0, m) whose edges are
/// v -> adj[e] for e in [adj_start[v], adj_start[v + 1]), numbered in the order in which
/// Tarjan's algorithm completes them (iteratively: no recursion, any depth). Every edge
/// between two components goes to the one with the smaller number (sinks first), so solving
/// rows in increasing component order computes every other component's successors first.
inline std::vector<std::int32_t> components_sinks_first(std::size_t m, const std::vector<std::int64_t>& adj_start,
                                                        const std::vector<std::int32_t>& adj) {
  constexpr std::int32_t unvisited = -1;
  std::vector<std::int32_t> index(m, unvisited), low(m, 0), component(m, -1), stack;
  std::vector<char> on_stack(m, 0);
  struct Frame {
    std::int32_t v;
    std::int64_t next_edge;
  };
  std::vector<Frame> call;
  std::int32_t next_index = 0, next_component = 0;
  const auto visit = [&](std::int32_t v) {
    const auto u = static_cast<std::size_t>(v);
    index[u] = low[u] = next_index++;
    stack.push_back(v);
    on_stack[u] = 1;
    call.push_back({v, adj_start[u]});
  };
  for (std::size_t root = 0; root < m; ++root) {
    if (index[root] != unvisited) continue;
    visit(static_cast<std::int32_t>(root));
    while (!call.empty()) {
      const std::int32_t v = call.back().v;
      const auto u = static_cast<std::size_t>(v);
      if (call.back().next_edge < adj_start[u + 1]) {
        const std::int32_t w = adj[static_cast<std::size_t>(call.back().next_edge++)];
        const auto x = static_cast<std::size_t>(w);
        if (index[x] == unvisited) visit(w);
        else if (on_stack[x]) low[u] = std::min(low[u], index[x]);
        continue;
      }
      call.pop_back();
      if (!call.empty()) {
        const auto parent = static_cast<std::size_t>(call.back().v);
        low[parent] = std::min(low[parent], low[u]);
      }
      if (low[u] == index[u]) {
        std::int32_t w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[static_cast<std::size_t>(w)] = 0;
          component[static_cast<std::size_t>(w)] = next_component;
        } while (w != v);
        ++next_component;
      }
    }
  }
  return component;
}

/// Open-addressing map from packed states to an index (the states of a chain).
class GramIndex {
 public:
  GramIndex() : slots_(1024) {}
  void insert(packed_gram g) {
    Slot& sl = find(g);
    if (sl.used) return;
    sl = Slot{g, 0, true};
    if (2 * ++used_ > slots_.size()) grow();
  }
  void set(packed_gram g, std::int64_t index) { find(g).index = index; }
  [[nodiscard]] std::int64_t at(packed_gram g) { return find(g).index; }
  [[nodiscard]] std::vector<packed_gram> keys() const {
    std::vector<packed_gram> out;
    out.reserve(used_);
    for (const Slot& sl : slots_)
      if (sl.used) out.push_back(sl.gram);
    return out;
  }

 private:
  struct Slot {
    packed_gram gram = 0;
    std::int64_t index = 0;
    bool used = false;
  };
  std::vector<Slot> slots_;
  std::size_t used_ = 0;
  Slot& find(packed_gram g) {
    const std::size_t mask = slots_.size() - 1;
    std::uint64_t x = static_cast<std::uint64_t>(g >> 64) ^ (static_cast<std::uint64_t>(g) * 0x9E3779B97F4A7C15ULL);
    x = (x ^ (x >> 33)) * 0xFF51AFD7ED558CCDULL;  // MurmurHash3's 64-bit finaliser
    x = (x ^ (x >> 33)) * 0xC4CEB9FE1A85EC53ULL;
    std::size_t i = static_cast<std::size_t>(x ^ (x >> 33)) & mask;
    while (slots_[i].used && slots_[i].gram != g) i = (i + 1) & mask;
    return slots_[i];
  }
  void grow() {
    auto old = std::move(slots_);
    slots_.assign(old.size() * 2, Slot{});
    used_ = 0;
    for (const Slot& sl : old)
      if (sl.used) {
        Slot& dst = find(sl.gram);
        dst = sl;
        ++used_;
      }
  }
};

/// One counted transition of an order-k chain: from-state (packed; gram_length(from)
/// elements), the next element (channel id, key_null or key_conversion) and the summed weight.
struct ChainEdge {
  packed_gram from;
  std::uint32_t next;
  exact_t weight;
};

/// The order of markov()'s edges: by from-state (packed order), then next element
/// (channels by id, then (null), then (conversion)).
inline bool chain_edge_less(const ChainEdge& a, const ChainEdge& b) {
  return a.from != b.from ? a.from < b.from : a.next < b.next;
}

MarkovResult markov_from_edges(std::vector<ChainEdge>&& edges, std::size_t k, const std::vector<std::string>& channels,
                               exact_t total_conversions, exact_t total_value, int threads, const MarkovSolver& solver);

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
  const auto& tr = st.transitions[st.order_index(order)];  // statistics hold orders <= max_packed_order only
  const auto k = static_cast<std::size_t>(order);
  std::vector<detail::ChainEdge> edges;
  edges.reserve(tr.size());
  for (const auto& [key, w] : tr) {
    const std::size_t n = detail::key_length(key);
    if (n == 0 || n - 1 > k) fail("Markov: malformed transition key of length ", n, " for order ", k);
    detail::packed_gram g = 0;
    for (std::size_t i = 0; i + 1 < n; ++i) g |= detail::gram_lane(i, detail::key_at(key, i));
    edges.push_back({g, detail::key_at(key, n - 1), w});
  }
  std::sort(edges.begin(), edges.end(), detail::chain_edge_less);
  return detail::markov_from_edges(std::move(edges), k, st.channels, st.total_conversions, st.total_value, threads, solver);
}

namespace detail {

/// Sorts (key, value) pairs by key: least-significant-digit radix sort on bytes, skipping
/// the bytes that are equal in every key.
template <class Pair>
void radix_sort_by_key(std::vector<Pair>& v) {
  if (v.size() < 2) return;
  std::uint64_t all_or = 0, all_and = ~std::uint64_t{0};
  for (const auto& x : v) {
    all_or |= x.key;
    all_and &= x.key;
  }
  std::vector<Pair> tmp(v.size());
  for (int shift = 0; shift < 64; shift += 8) {
    if (((all_or ^ all_and) >> shift & 0xFFu) == 0) continue;  // this byte is the same everywhere
    std::array<std::size_t, 257> count{};
    for (const auto& x : v) ++count[((x.key >> shift) & 0xFFu) + 1];
    for (std::size_t b = 0; b < 256; ++b) count[b + 1] += count[b];
    for (const auto& x : v) tmp[count[(x.key >> shift) & 0xFFu]++] = x;
    v.swap(tmp);
  }
}

/// Counts the order-k (k <= 3) transitions of a store straight into ChainEdges, sorted as
/// markov() sorts them, with the same exact sums as AttributionStats would hold (so the
/// chain is the same bit for bit): the per-journey counting and the table are those of
/// AttributionStats::update (packed_transitions keys, whose integer order is markov()'s
/// edge order, summed in an ExactCounter).
inline std::vector<ChainEdge> count_chain_edges(const JourneyStore& s, std::size_t k, bool collapse_repeats, int threads,
                                                exact_t& total_conversions, exact_t& total_value) {
  const std::size_t n = s.size();
  // Each chunk fills a table of its own (fresh memory: a page fault per 4 KiB), so chunks
  // are large: one below 2^18 journeys.
  const auto n_chunks = static_cast<std::size_t>(std::max<std::ptrdiff_t>(
      1, std::min<std::ptrdiff_t>(resolve_threads(threads), static_cast<std::ptrdiff_t>(n / 262144 + 1))));
  struct Part {
    ExactCounter counts;
    exact_t conversions = 0, value = 0;
  };
  std::vector<Part> parts(n_chunks);
  parallel_for_blocks(static_cast<std::ptrdiff_t>(n_chunks), threads, 1, [&](std::ptrdiff_t cb, std::ptrdiff_t ce) {
    for (auto c = static_cast<std::size_t>(cb); c < static_cast<std::size_t>(ce); ++c) {
      Part& part = parts[c];
      for (std::size_t j = n * c / n_chunks; j < n * (c + 1) / n_chunks; ++j) {
        const exact_t cv = to_exact(s.conversions[j]), nv = to_exact(s.nulls[j]);
        part.conversions += cv;
        part.value += to_exact(s.value[j]);
        packed_transitions(s.path(j), k, collapse_repeats, cv, nv,
                           [&](std::uint64_t key, exact_t w) { part.counts.add(key, w); });
      }
    }
  });
  struct KeyWeight {
    std::uint64_t key;
    exact_t weight;
  };
  std::vector<KeyWeight> all;
  std::size_t total = 0;
  for (const auto& part : parts) total += part.counts.size();
  all.reserve(total);
  total_conversions = 0;
  total_value = 0;
  for (auto& part : parts) {
    part.counts.for_each([&](std::uint64_t key, exact_t w) { all.push_back({key, w}); });
    total_conversions += part.conversions;
    total_value += part.value;
    part.counts = ExactCounter();
  }
  radix_sort_by_key(all);
  std::vector<ChainEdge> edges;
  edges.reserve(all.size());
  for (std::size_t i = 0; i < all.size();) {
    const std::uint64_t key = all[i].key;
    exact_t w = 0;
    for (; i < all.size() && all[i].key == key; ++i) w += all[i].weight;  // the same key from several chunks
    edges.push_back({static_cast<packed_gram>(key & ~std::uint64_t{0xFFFF}) << 64, element_of(key & 0xFFFFu), w});
  }
  return edges;
}

}  // namespace detail

/// Markov chain attribution of order k straight from journeys: the same chain and result
/// as markov(count(s, {order}, collapse_repeats, threads, content_transitions), order,
/// threads, solver), bit for bit, without building the string-keyed statistics (orders up
/// to 3 count into packed 64-bit keys; higher orders go through count()).
[[nodiscard]] inline MarkovResult markov(const JourneyStore& s, int order, bool collapse_repeats = true, int threads = 0,
                                         const MarkovSolver& solver = {}) {
  trustmix::detail::require_positive(solver.tolerance, "tolerance");
  if (order < 1 || static_cast<std::size_t>(order) > detail::max_packed_order)
    fail("order must be in [1, ", detail::max_packed_order, "], got ", order);
  if (order > 3) return markov(count(s, {order}, collapse_repeats, threads, content_transitions), order, threads, solver);
  if (s.n_channels() > detail::max_channels_in_keys)
    fail("at most ", detail::max_channels_in_keys, " channels are supported, got ", s.n_channels());
  exact_t conv = 0, val = 0;
  auto edges = detail::count_chain_edges(s, static_cast<std::size_t>(order), collapse_repeats, threads, conv, val);
  return detail::markov_from_edges(std::move(edges), static_cast<std::size_t>(order), s.channels, conv, val, threads,
                                   solver);
}

inline MarkovResult detail::markov_from_edges(std::vector<ChainEdge>&& edges, std::size_t k,
                                              const std::vector<std::string>& channels, exact_t total_conversions,
                                              exact_t total_value, int threads, const MarkovSolver& solver) {
  // (solver.tolerance is checked by the public markov() overloads before any counting)
  using Edge = ChainEdge;
  MarkovResult res;
  res.order = static_cast<int>(k);
  res.channels = channels;
  auto is_absorbing = [](std::uint32_t next) { return next == key_conversion || next == key_null; };
  // Transient states: (start), every from-state, every state reached (even if never left),
  // gathered in a hash set and then sorted (their index is their rank).
  GramIndex seen;
  seen.insert(0);
  std::size_t len = 0;  // of the current from-state
  for (std::size_t e = 0; e < edges.size(); ++e) {
    const auto& ed = edges[e];
    if (e == 0 || ed.from != edges[e - 1].from) {
      seen.insert(ed.from);
      len = gram_length(ed.from);
    }
    if (!is_absorbing(ed.next)) seen.insert(gram_next(ed.from, len, k, static_cast<std::uint16_t>(ed.next)));
  }
  std::vector<packed_gram> grams = seen.keys();
  std::sort(grams.begin(), grams.end());
  for (std::size_t i = 0; i < grams.size(); ++i) seen.set(grams[i], static_cast<std::int64_t>(i));
  const std::size_t m = grams.size();
  const auto conv_state = static_cast<std::int64_t>(m), null_state = static_cast<std::int64_t>(m + 1);
  std::vector<std::int64_t> from(edges.size()), to(edges.size());
  std::vector<double> cnt(edges.size());
  {
    std::int64_t a = -1;
    for (std::size_t e = 0; e < edges.size(); ++e) {
      const auto& ed = edges[e];
      if (e == 0 || ed.from != edges[e - 1].from) {
        a = seen.at(ed.from);
        len = gram_length(ed.from);
      }
      from[e] = a;
      to[e] = ed.next == key_conversion ? conv_state
              : ed.next == key_null     ? null_state
                                        : seen.at(gram_next(ed.from, len, k, static_cast<std::uint16_t>(ed.next)));
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
  const std::size_t C = channels.size();
  res.states.resize(m);
  std::vector<char> present(C, 0);
  for (std::size_t s = 0; s < m; ++s)
    for (std::size_t i = 0, n = gram_length(grams[s]); i < n; ++i) {
      const auto c = gram_id(grams[s], i);
      res.states[s].push_back(static_cast<ChannelId>(c));
      present[c] = 1;
    }
  const bool use_direct = solver.method == MarkovSolver::Method::direct ||
                          (solver.method == MarkovSolver::Method::automatic && m <= solver.direct_max_states);
  // System 0 is the whole chain, system 1 + c the chain without channel c.
  std::vector<double> p_conv(C + 1, 0.0);
  std::vector<char> solved(C + 1, 0);
  if (!use_direct) {
    // Transient-to-transient edges in CSR, rows in sweep order: longer states first (a
    // state of length t < k leads only to states of length t + 1); the states of length k
    // by strongly connected component, sinks first (so a chain without cycles, such as one
    // long path of distinct channels, is exact after one sweep instead of one sweep per
    // step), then by key.
    std::vector<std::int32_t> component;
    {
      std::vector<std::int64_t> adj_start(m + 1, 0);
      for (std::size_t e = 0; e < from.size(); ++e)
        if (to[e] < conv_state) ++adj_start[static_cast<std::size_t>(from[e]) + 1];
      for (std::size_t s = 0; s < m; ++s) adj_start[s + 1] += adj_start[s];
      std::vector<std::int32_t> adj(static_cast<std::size_t>(adj_start[m]));
      std::vector<std::int64_t> fill(adj_start.begin(), adj_start.end() - 1);
      for (std::size_t e = 0; e < from.size(); ++e)
        if (to[e] < conv_state)
          adj[static_cast<std::size_t>(fill[static_cast<std::size_t>(from[e])]++)] = static_cast<std::int32_t>(to[e]);
      component = components_sinks_first(m, adj_start, adj);
    }
    std::vector<std::int32_t> order_of(m);
    std::iota(order_of.begin(), order_of.end(), 0);
    std::stable_sort(order_of.begin(), order_of.end(), [&](std::int32_t a, std::int32_t b) {
      const auto la = res.states[static_cast<std::size_t>(a)].size(), lb = res.states[static_cast<std::size_t>(b)].size();
      if (la != lb) return la > lb;
      return la == k && component[static_cast<std::size_t>(a)] < component[static_cast<std::size_t>(b)];
    });
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
        const auto pos = static_cast<std::size_t>(
            fill[static_cast<std::size_t>(position[static_cast<std::size_t>(from[e])])]++);
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
    for (std::size_t p = 0; p < m; ++p) r[p] = r_conv[static_cast<std::size_t>(order_of[p])];
    // Lanes go in groups of four (one vector), up to four groups per block, the blocks
    // shared evenly by the threads (any split gives the same numbers).
    const std::size_t L = lane_system.size(), groups = (L + 3) / 4;
    const auto T = static_cast<std::size_t>(std::max(1, resolve_threads(threads)));
    const std::size_t per_block = std::min<std::size_t>(4, (groups + T - 1) / T);
    const std::size_t blocks = (groups + per_block - 1) / per_block;
    std::vector<double> lane_out(groups * 4, 0.0);
    std::vector<char> lane_ok(groups * 4, 0);
    const auto start = static_cast<std::size_t>(position[0]);
    parallel_for_blocks(static_cast<std::ptrdiff_t>(blocks), threads, 1, [&](std::ptrdiff_t b0, std::ptrdiff_t b1) {
      std::vector<std::uint16_t> removed(m);
      for (auto b = static_cast<std::size_t>(b0); b < static_cast<std::size_t>(b1); ++b) {
        solver.check_stop();
        const std::size_t first = b * per_block * 4, G = std::min(per_block, groups - b * per_block);
        const std::size_t n_lanes = std::min(4 * G, L - first);
        for (std::size_t p = 0; p < m; ++p) {  // row p drops out of the lanes of its state's channels
          unsigned mask = 0;
          for (const auto c : res.states[static_cast<std::size_t>(order_of[p])]) {
            const auto l = static_cast<std::size_t>(lane_of_channel[static_cast<std::size_t>(c)]);
            if (l >= first && l < first + 4 * G) mask |= 1u << (l - first);
          }
          removed[p] = static_cast<std::uint16_t>(mask);
        }
        double* o = lane_out.data() + first;
        char* ok = lane_ok.data() + first;
        absorb_block(G, m, cyclic, row_start, col, val, r, removed, n_lanes, start, solver.tolerance, solver.max_sweeps,
                     solver.stop, o, ok);
      }
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
      solver.check_stop();
      const std::size_t i = todo[t];
      for (std::size_t s = 0; s < m; ++s)
        keep[s] = i == 0 || std::find(res.states[s].begin(), res.states[s].end(), static_cast<ChannelId>(i - 1)) ==
                                res.states[s].end();
      p_conv[i] = absorb_from_start(m, tf, tt, tp, r_conv, keep);
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
  const double total_conv = to_double(total_conversions), total_val = to_double(total_value);
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
      label += channels[static_cast<std::size_t>(res.states[s][i])];
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
[[nodiscard]] inline HeldOutScore markov_log_likelihood(const AttributionStats& train, const JourneyStore& test, int order) {
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
