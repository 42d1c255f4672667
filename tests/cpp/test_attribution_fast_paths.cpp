// The fast paths of attribution (tokenizer, to_exact, heuristics, Markov counting straight
// from journeys, vectorised Gauss-Seidel) against straightforward reference versions of
// the same computations (the earlier implementations): equal bit for bit.
#include <boost/test/unit_test.hpp>

#include <trustmix/attribution/attribution.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace ta = trustmix::attribution;

namespace {

// ---- references ----------------------------------------------------------------------

/// to_exact through frexp (the earlier implementation).
ta::exact_t reference_to_exact(double x) {
  if (!std::isfinite(x) || std::abs(x) >= 0x1p62) throw std::invalid_argument("out of range");
  if (x == 0.0) return 0;
  int exponent = 0;
  const double fraction = std::frexp(x, &exponent);
  const auto mantissa = static_cast<std::int64_t>(fraction * 0x1p53);
  const int shift = exponent - 53 + 64;
  if (shift >= 0) return static_cast<ta::exact_t>(mantissa) * (static_cast<ta::exact_t>(1) << shift);
  if (shift <= -63) return 0;
  const std::int64_t magnitude = mantissa < 0 ? -mantissa : mantissa;
  const std::int64_t rounded = (magnitude + (std::int64_t{1} << (-shift - 1))) >> (-shift);
  return static_cast<ta::exact_t>(mantissa < 0 ? -rounded : rounded);
}

/// Trims " \t\r\n\v\f" with find_first_not_of / find_last_not_of (the earlier trim).
std::string_view reference_trim(std::string_view s) {
  constexpr std::string_view ws = " \t\r\n\v\f";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

/// Splits on sep with string_view::find and trims each token (the earlier tokenizer).
std::vector<std::string> reference_split(std::string_view p, std::string_view sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t next = p.find(sep, pos);
    out.emplace_back(reference_trim(p.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos)));
    if (next == std::string_view::npos) return out;
    pos = next + sep.size();
  }
}

/// Rule-based credit by per-touch weights, journey by journey (the general path).
ta::Credit reference_rule(const ta::JourneyStore& s, ta::RuleModel model) {
  ta::Credit out;
  const std::size_t C = s.n_channels();
  std::vector<ta::exact_t> conv(C, 0), val(C, 0);
  std::vector<double> w;
  ta::RuleOptions o;
  for (std::size_t j = 0; j < s.size(); ++j) {
    const auto path = s.path(j);
    ta::detail::rule_weights(model, path, {}, -1, o, w);
    std::vector<double> acc(C, 0.0);
    std::vector<ta::ChannelId> touched;
    for (std::size_t t = 0; t < path.size(); ++t) {
      if (w[t] == 0.0) continue;
      const auto id = static_cast<std::size_t>(path[t]);
      if (acc[id] == 0.0) touched.push_back(path[t]);
      acc[id] += w[t];
    }
    std::sort(touched.begin(), touched.end());
    for (auto id : touched) {
      conv[static_cast<std::size_t>(id)] += reference_to_exact(s.conversions[j] * acc[static_cast<std::size_t>(id)]);
      val[static_cast<std::size_t>(id)] += reference_to_exact(s.value[j] * acc[static_cast<std::size_t>(id)]);
      out.journey.push_back(static_cast<std::int64_t>(j));  // per-journey rows: every journey, channels by id
      out.channel.push_back(id);
      out.journey_conversions.push_back(s.conversions[j] * acc[static_cast<std::size_t>(id)]);
      out.journey_value.push_back(s.value[j] * acc[static_cast<std::size_t>(id)]);
    }
  }
  for (std::size_t c = 0; c < C; ++c) {
    out.conversions.push_back(ta::to_double(conv[c]));
    out.value.push_back(ta::to_double(val[c]));
  }
  return out;
}

/// The lanes' Gauss-Seidel written out in scalars, one lane at a time (the same algorithm
/// as the vector kernel, cyclic/acyclic split included; not the pre-change solver, which
/// markov_from_journeys_equals_markov_from_statistics covers through whole results).
void reference_lanes(std::size_t m, std::size_t cyclic, const std::vector<std::int64_t>& row_start,
                     const std::vector<std::int32_t>& col, const std::vector<double>& val, const std::vector<double>& r,
                     const std::vector<std::uint16_t>& removed, std::size_t lane, std::size_t start, double tolerance,
                     double& out) {
  std::vector<double> h(m, 0.0);
  double prev_delta = 0.0;
  for (int sweep = 0; sweep < 100000; ++sweep) {
    double delta = 0.0, hmax = 0.0;
    auto pass = [&](std::size_t b, std::size_t e) {
      for (std::size_t s = b; s < e; ++s) {
        double v = r[s];
        for (auto k = row_start[s]; k < row_start[s + 1]; ++k)
          v += val[static_cast<std::size_t>(k)] * h[static_cast<std::size_t>(col[static_cast<std::size_t>(k)])];
        if ((removed[s] >> lane) & 1u) v = 0.0;
        delta = std::max(delta, std::abs(v - h[s]));
        hmax = std::max(hmax, v);
        h[s] = v;
      }
    };
    pass(0, cyclic);
    bool stop = delta == 0.0;
    if (!stop && sweep > 0 && prev_delta > 0.0) {
      const double q = delta / prev_delta;
      stop = q < 1.0 && delta * q / (1.0 - q) <= tolerance * hmax;
    }
    prev_delta = delta;
    if (stop) {
      pass(cyclic, m);
      out = h[start];
      return;
    }
  }
  BOOST_FAIL("reference Gauss-Seidel did not converge");
}

// ---- data ----------------------------------------------------------------------------

std::string random_path(std::mt19937_64& rng, const std::vector<std::string>& names, const std::string& sep) {
  std::uniform_int_distribution<int> len(1, 7), pick(0, static_cast<int>(names.size()) - 1), ws(0, 3);
  const std::array<std::string, 4> space{"", " ", "\t ", "  \r"};
  std::string p;
  const int L = len(rng);
  for (int t = 0; t < L; ++t) {
    if (t) p += space[static_cast<std::size_t>(ws(rng))] + sep + space[static_cast<std::size_t>(ws(rng))];
    p += names[static_cast<std::size_t>(pick(rng))];
  }
  return space[static_cast<std::size_t>(ws(rng))] + p + space[static_cast<std::size_t>(ws(rng))];
}

struct PathTable {
  std::vector<std::string> paths;
  std::vector<double> conv, value, nulls;
  [[nodiscard]] std::vector<std::string_view> views() const { return {paths.begin(), paths.end()}; }
};

PathTable random_table(std::size_t n, const std::vector<std::string>& names, const std::string& sep, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> cnt(0, 4);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  PathTable t;
  for (std::size_t i = 0; i < n; ++i) {
    t.paths.push_back(random_path(rng, names, sep));
    const double c = i % 3 == 0 ? cnt(rng) * 0.37 : cnt(rng);  // fractional and integer counts
    t.conv.push_back(c);
    t.value.push_back(c > 0 ? 100.0 * u(rng) : 0.0);
    t.nulls.push_back(cnt(rng));
  }
  return t;
}

const std::vector<std::string> kNames{
    "press", "instagram",   "tiktok", "search",           "a",    "channel_alpha_1", "channel_alpha_2",
    "x y",   "caf\xc3\xa9", "tv",     "channel_alpha_1b", "email"};

}  // namespace

BOOST_AUTO_TEST_SUITE(fast_paths)

BOOST_AUTO_TEST_CASE(to_exact_equals_the_frexp_version) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> mant(-1.0, 1.0);
  std::uniform_int_distribution<int> expo(-1080, 62);
  for (int i = 0; i < 200000; ++i) {
    const double x = std::ldexp(mant(rng), expo(rng));
    if (std::abs(x) >= 0x1p62) continue;
    BOOST_TEST((ta::to_exact(x) == reference_to_exact(x)));
  }
  // ties and the edges of each branch
  for (double x : {0x1p-65, 0x1.8p-64, 0x1p-64, 0x1.8p-63, 0x1p-11, 0x1.fffffffffffffp-12, 0x1.fffffffffffffp61, -0x1p-64,
                   -0x1.8p-63, 5e-324, -0.0, 0.0, 1.0, 0.1, 2.5e-20})
    BOOST_TEST((ta::to_exact(x) == reference_to_exact(x)));
  constexpr double inf = std::numeric_limits<double>::infinity();
  for (double x : {0x1p62, -0x1p62, inf, -inf, std::numeric_limits<double>::quiet_NaN()})
    BOOST_CHECK_THROW((void)ta::to_exact(x), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(tokenizer_equals_find_and_trim_on_random_paths) {
  for (const std::string sep : {">", " > ", "->", ",", "|"}) {
    const auto t = random_table(9000, kNames, sep, 5);  // 9000 rows: up to three parsing chunks
    // one-byte separators (">", ",", "|") take the byte scanner, longer ones string_view::find
    const auto s = ta::from_paths(t.views(), t.conv, t.value, t.nulls, sep, {}, 1);
    BOOST_TEST_REQUIRE(s.size() == t.paths.size());
    for (std::size_t j = 0; j < s.size(); ++j) {
      const auto want = reference_split(t.paths[j], sep);
      const auto got = s.path(j);
      BOOST_TEST_REQUIRE(got.size() == want.size());
      for (std::size_t i = 0; i < want.size(); ++i) BOOST_TEST(s.channels[static_cast<std::size_t>(got[i])] == want[i]);
    }
    for (int threads : {2, 3, 7}) {
      const auto p = ta::from_paths(t.views(), t.conv, t.value, t.nulls, sep, {}, threads);
      BOOST_TEST(p.channels == s.channels);
      BOOST_TEST(p.touches == s.touches);
      BOOST_TEST(p.offsets == s.offsets);
    }
  }
}

BOOST_AUTO_TEST_CASE(trim_and_is_space_equal_the_find_first_not_of_version) {
  // every byte value alone, and random short strings over white space, NUL, 'a' and high bytes
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const bool space = std::string_view(" \t\r\n\v\f").find(ch) != std::string_view::npos;
    BOOST_TEST(ta::detail::is_space(ch) == space, "byte " << c);
    const std::string one(1, ch);
    BOOST_TEST(ta::detail::trim(one) == reference_trim(one), "byte " << c);
  }
  constexpr std::array<char, 10> alphabet{' ', '\t', '\n', '\v', '\f', '\r', '\0', 'a', '\x85', '\xA0'};
  std::mt19937_64 rng(12);
  for (int trial = 0; trial < 20000; ++trial) {
    std::string p(rng() % 9, ' ');
    for (auto& ch : p) ch = alphabet[rng() % alphabet.size()];
    const auto got = ta::detail::trim(p), want = reference_trim(p);
    BOOST_TEST_REQUIRE(got == want);
    BOOST_TEST_REQUIRE((got.empty() || got.data() == want.data()));  // a view into p, at the same place
  }
}

BOOST_AUTO_TEST_CASE(count_byte_equals_a_byte_loop) {
  std::mt19937_64 rng(8);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string p(rng() % 40, ' ');
    for (auto& ch : p) ch = static_cast<char>(rng() % 4 == 0 ? '>' : static_cast<char>(rng() % 256));
    const char c = trial % 3 == 0 ? static_cast<char>(0x80 | (rng() % 128)) : '>';
    BOOST_TEST(ta::detail::count_byte(p, c) == static_cast<std::size_t>(std::count(p.begin(), p.end(), c)));
  }
}

BOOST_AUTO_TEST_CASE(tokenizer_keeps_names_that_share_eight_bytes_apart) {
  // 9+ byte names equal in their first 8 bytes, an embedded NUL and a name of exactly 8 bytes
  const std::string nul("ab\0cd", 5);
  std::vector<std::string> paths{"channel_1 > channel_2", "channel_2>channel_1>channel_", "12345678 > channel_1",
                                 nul + " > ab", "ab > " + nul};
  const std::vector<std::string_view> views(paths.begin(), paths.end());
  const std::vector<double> conv(paths.size(), 1.0);
  const auto s = ta::from_paths(views, conv, {}, {}, ">", {}, 1);
  const std::vector<std::string> want{"12345678", "ab", nul, "channel_", "channel_1", "channel_2"};
  BOOST_TEST(s.channels == want);
  BOOST_TEST((s.touches == std::vector<ta::ChannelId>{4, 5, 5, 4, 3, 0, 4, 2, 1, 1, 2}));
}

BOOST_AUTO_TEST_CASE(tokenizer_errors_name_the_first_bad_row) {
  const std::vector<double> conv(6, 1.0);
  auto message = [&](std::vector<std::string> paths, int threads) {
    const std::vector<std::string_view> views(paths.begin(), paths.end());
    try {
      (void)ta::from_paths(views, conv, {}, {}, ">", {}, threads);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  for (int threads : {1, 4}) {
    BOOST_TEST(message({"a", "b", " \t ", "c", "", "d"}, threads) == "row 2, column 'path': empty path");
    BOOST_TEST(message({"a", "b", "c", "a >> b", "", "d"}, threads) ==
               "row 3, column 'path': empty channel name in 'a >> b'");
    BOOST_TEST(message({"a", "b >", "c", "d", "e", "f"}, threads) == "row 1, column 'path': empty channel name in 'b >'");
    BOOST_TEST(message({"a", "b", "c", "d", "e", " > f"}, threads) == "row 5, column 'path': empty channel name in ' > f'");
  }
  // errors in several chunks: the lowest row wins whatever the thread count
  std::vector<std::string> many;
  std::vector<double> ones;
  for (std::size_t i = 0; i < 12000; ++i) {
    many.emplace_back(i == 9500 ? "" : i == 5000 ? "c >" : "a > b");
    ones.push_back(i == 7000 ? -1.0 : 1.0);
  }
  const std::vector<std::string_view> views(many.begin(), many.end());
  for (int threads : {1, 2, 3}) {
    try {
      (void)ta::from_paths(views, ones, {}, {}, ">", {}, threads);
      BOOST_FAIL("no error");
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string(e.what()) == "row 5000, column 'path': empty channel name in 'c >'");
    }
  }
}

BOOST_AUTO_TEST_CASE(heuristics_equal_the_general_weight_path) {
  const auto t = random_table(5000, kNames, ">", 9);
  const auto s = ta::from_paths(t.views(), t.conv, t.value, t.nulls, ">", {}, 1);
  for (auto model : {ta::RuleModel::first_touch, ta::RuleModel::last_touch, ta::RuleModel::linear,
                     ta::RuleModel::position_based, ta::RuleModel::linear_unique}) {
    const auto want = reference_rule(s, model);
    for (int threads : {1, 2, 5}) {
      ta::RuleOptions o;
      o.threads = threads;
      const auto got = ta::rule_based(s, model, o);
      BOOST_TEST(got.conversions == want.conversions);
      BOOST_TEST(got.value == want.value);
      const auto rows = ta::rule_based(s, model, o, true);  // per journey: the general loop for every model
      BOOST_TEST(rows.conversions == want.conversions);
      BOOST_TEST(rows.value == want.value);
      BOOST_TEST(rows.journey == want.journey);
      BOOST_TEST(rows.channel == want.channel);
      BOOST_TEST(rows.journey_conversions == want.journey_conversions);
      BOOST_TEST(rows.journey_value == want.journey_value);
    }
  }
}

BOOST_AUTO_TEST_CASE(radix_sort_orders_keys_like_std_sort) {
  struct KV {
    std::uint64_t key;
    ta::exact_t weight;
  };
  std::mt19937_64 rng(3);
  std::vector<KV> v;
  for (int i = 0; i < 20000; ++i) v.push_back({(rng() % 50) << (8 * (rng() % 8)) | 1u, static_cast<ta::exact_t>(i)});
  auto want = v;
  std::stable_sort(want.begin(), want.end(), [](const KV& a, const KV& b) { return a.key < b.key; });
  ta::detail::radix_sort_by_key(v);
  for (std::size_t i = 0; i < v.size(); ++i) {
    BOOST_TEST(v[i].key == want[i].key);
    BOOST_TEST((v[i].weight == want[i].weight));  // LSD radix sort is stable
  }
}

BOOST_AUTO_TEST_CASE(statistics_transitions_equal_a_string_key_count) {
  // Reference: each journey's order-k transitions keyed as strings (from-state ids, oldest
  // first, then the next element), summed exactly; orders <= 3 are counted packed.
  const auto t = random_table(6000, kNames, ">", 23);
  const auto s = ta::from_paths(t.views(), t.conv, t.value, t.nulls, ">", {}, 2);
  for (bool collapse : {true, false}) {
    const std::vector<int> orders{1, 2, 3, 4};
    std::vector<std::unordered_map<std::string, ta::exact_t>> want(orders.size());
    for (std::size_t j = 0; j < s.size(); ++j) {
      std::vector<std::uint16_t> states;
      for (const auto id : s.path(j))
        if (!collapse || states.empty() || states.back() != static_cast<std::uint16_t>(id))
          states.push_back(static_cast<std::uint16_t>(id));
      const ta::exact_t cv = reference_to_exact(s.conversions[j]), nv = reference_to_exact(s.nulls[j]);
      for (std::size_t oi = 0; oi < orders.size(); ++oi) {
        const auto k = static_cast<std::size_t>(orders[oi]);
        auto add = [&](std::size_t t_end, std::uint16_t next, ta::exact_t w) {  // from-state: states[.. t_end)
          if (w == 0) return;
          std::string key;
          for (std::size_t i = t_end > k ? t_end - k : 0; i < t_end; ++i) ta::detail::key_push(key, states[i]);
          ta::detail::key_push(key, next);
          want[oi][key] += w;
        };
        for (std::size_t i = 0; i < states.size(); ++i) add(i, states[i], cv + nv);
        add(states.size(), ta::detail::key_conversion, cv);
        add(states.size(), ta::detail::key_null, nv);
      }
    }
    for (int threads : {1, 3}) {
      const auto st = ta::count(s, orders, collapse, threads, ta::content_transitions);
      for (std::size_t oi = 0; oi < orders.size(); ++oi)
        BOOST_TEST((st.transitions[oi] == want[oi]), "order " << orders[oi]);
    }
  }
}

BOOST_AUTO_TEST_CASE(markov_from_journeys_equals_markov_from_statistics) {
  const auto t = random_table(6000, kNames, ">", 13);
  const auto s = ta::from_paths(t.views(), t.conv, t.value, t.nulls, ">", {}, 2);
  for (bool collapse : {true, false})
    for (int order : {1, 2, 3, 4}) {  // order 4 goes through count() itself: checks the delegation and threads
      const auto want = ta::markov(ta::count(s, {order}, collapse, 1, ta::content_transitions), order, 1);
      for (int threads : {1, 2, 3}) {
        const auto got = ta::markov(s, order, collapse, threads);
        BOOST_TEST(got.conversion_probability == want.conversion_probability);
        BOOST_TEST(got.removal_effects == want.removal_effects);
        BOOST_TEST(got.conversions == want.conversions);
        BOOST_TEST(got.value == want.value);
        BOOST_TEST(got.state_labels == want.state_labels);
        BOOST_TEST(got.from == want.from);
        BOOST_TEST(got.to == want.to);
        BOOST_TEST(got.probability == want.probability);
        BOOST_TEST(got.count == want.count);
        BOOST_TEST(got.direct == want.direct);
      }
    }
  BOOST_CHECK_THROW((void)ta::markov(s, 9, true), std::invalid_argument);
  BOOST_CHECK_THROW((void)ta::markov(s, 0, true), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(markov_counting_in_several_chunks_merges_exactly) {
  // Above 2^18 journeys the transitions are counted in one table per thread and merged by
  // key; the chain must not change.
  const auto t = random_table((std::size_t{1} << 18) + 5000, {"a", "b", "c", "d", "e", "f"}, ">", 17);
  const auto s = ta::from_paths(t.views(), t.conv, t.value, t.nulls, ">", {}, 2);
  for (int order : {1, 3}) {
    const auto want = ta::markov(ta::count(s, {order}, true, 1, ta::content_transitions), order, 1);
    for (int threads : {1, 2, 3}) {
      const auto got = ta::markov(s, order, true, threads);
      BOOST_TEST(got.count == want.count);
      BOOST_TEST(got.removal_effects == want.removal_effects);
      BOOST_TEST(got.conversion_probability == want.conversion_probability);
    }
  }
}

BOOST_AUTO_TEST_CASE(vector_lanes_equal_scalar_gauss_seidel_bit_for_bit) {
  // The kernel runs directly on a random sub-stochastic system with cyclic and acyclic rows.
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::size_t m = 700, cyclic = 600, start = m - 1;
  std::vector<std::int64_t> row_start{0};
  std::vector<std::int32_t> col;
  std::vector<double> val, r(m);
  for (std::size_t s = 0; s < m; ++s) {
    const int deg = 1 + static_cast<int>(rng() % 8);
    double left = 0.85;  // the rest absorbs
    for (int d = 0; d < deg; ++d) {
      // cyclic rows lead to cyclic rows; acyclic row s to rows before it
      const auto target = static_cast<std::int32_t>(s < cyclic ? rng() % cyclic : rng() % s);
      const double p = left * u(rng) * 0.6;
      left -= p;
      col.push_back(target);
      val.push_back(p);
    }
    r[s] = left * u(rng);
    row_start.push_back(static_cast<std::int64_t>(col.size()));
  }
  std::vector<std::uint16_t> removed(m);
  for (auto& x : removed) x = static_cast<std::uint16_t>(rng() & rng() & 0xFFFF);  // a quarter of the rows per lane
  removed[start] = 0;
  std::vector<double> want(16);
  for (std::size_t l = 0; l < 16; ++l) reference_lanes(m, cyclic, row_start, col, val, r, removed, l, start, 1e-13, want[l]);
  auto check = [&](auto kernel, std::size_t lanes) {
    std::vector<double> out(16, -1.0);
    std::vector<char> ok(16, 0);
    kernel(m, cyclic, row_start, col, val, r, removed, lanes, start, 1e-13, 100000, nullptr, out.data(), ok.data());
    for (std::size_t l = 0; l < lanes; ++l) {
      BOOST_TEST(ok[l] == 1);
      BOOST_TEST(out[l] == want[l]);
    }
  };
  check(ta::detail::absorb_lanes<4>, 16);
  check(ta::detail::absorb_lanes<4>, 13);  // padding lanes
  check(ta::detail::absorb_lanes<1>, 4);
#ifdef TRUSTMIX_MARKOV_AVX
  if (ta::detail::cpu_has_avx()) {
    check(ta::detail::absorb_lanes_avx<4>, 16);
    check(ta::detail::absorb_lanes_avx<3>, 11);
    check(ta::detail::absorb_lanes_avx<1>, 4);
  }
#endif
}

BOOST_AUTO_TEST_SUITE_END()
