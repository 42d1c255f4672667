// Attribution engine: hand-computed cases, axioms, brute force and merge properties.
#include <boost/test/unit_test.hpp>

#include <trustmix/attribution/attribution.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace ta = trustmix::attribution;
namespace tt = boost::test_tools;

namespace {

ta::JourneyStore small_store() {
  // a > b > c: 2 conversions, value 20; b > b: 1 conversion, value 5, 1 null;
  // c: 1 conversion, value 10; a > c: 3 nulls.
  ta::JourneyStore s;
  s.add({"a", "b", "c"}, 2, 20, 0);
  s.add({"b", "b"}, 1, 5, 1);
  s.add({"c"}, 1, 10, 0);
  s.add({"a", "c"}, 0, 0, 3);
  return s;
}

double credit_of(const std::vector<std::string>& channels, const std::vector<double>& credit, const std::string& name) {
  const auto it = std::find(channels.begin(), channels.end(), name);
  BOOST_REQUIRE(it != channels.end());
  return credit[static_cast<std::size_t>(it - channels.begin())];
}

ta::JourneyStore random_store(std::size_t n, int channels, unsigned seed, bool fractional = false) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> ch(0, channels - 1), len(1, 5), cnt(0, 3);
  std::uniform_real_distribution<double> val(0.0, 50.0);
  std::vector<std::string_view> paths_view;
  std::vector<std::string> paths;
  std::vector<double> conv, value, nulls;
  for (std::size_t i = 0; i < n; ++i) {
    std::string p;
    const int L = len(rng);
    for (int t = 0; t < L; ++t) {
      if (t) p += " > ";
      p += "ch" + std::to_string(ch(rng));
    }
    paths.push_back(p);
    double c = cnt(rng);
    if (fractional) c *= 0.37;
    conv.push_back(c);
    value.push_back(c > 0 ? val(rng) : 0.0);
    nulls.push_back(cnt(rng));
  }
  for (const auto& p : paths) paths_view.push_back(p);
  return ta::from_paths(paths_view, conv, value, nulls, ">", {}, 1);
}

ta::JourneyStore slice(const ta::JourneyStore& s, const std::vector<std::size_t>& rows) {
  ta::JourneyStore out;
  for (auto j : rows) {
    std::vector<std::string> p;
    for (auto id : s.path(j)) p.push_back(s.channels[static_cast<std::size_t>(id)]);
    out.add(p, s.conversions[j], s.value[j], s.nulls[j]);
  }
  return out;
}

/// P(path visits a state containing channel c | converts) by forward iteration of the
/// chain on (state, visited) pairs: a route independent of the removal solves.
std::vector<double> visit_probability(const ta::MarkovResult& r) {
  const std::size_t m = r.state_labels.size() - 2, C = r.channels.size();
  std::vector<double> out(C);
  for (std::size_t c = 0; c < C; ++c) {
    std::vector<char> has(m, 0);
    for (std::size_t s = 0; s < m; ++s)
      for (auto id : r.states[s]) has[s] = has[s] || static_cast<std::size_t>(id) == c;
    // (start), not visited
    Eigen::VectorXd mass = Eigen::VectorXd::Unit(2 * static_cast<Eigen::Index>(m), 0);
    double conv_visited = 0.0, conv_total = 0.0;
    for (int it = 0; it < 100000 && mass.sum() > 1e-15; ++it) {
      Eigen::VectorXd next = Eigen::VectorXd::Zero(mass.size());
      for (std::size_t e = 0; e < r.from.size(); ++e) {
        const auto a = static_cast<Eigen::Index>(r.from[e]);
        for (int flag = 0; flag < 2; ++flag) {
          const double w = mass[a + flag * static_cast<Eigen::Index>(m)] * r.probability[e];
          if (w == 0.0) continue;
          if (static_cast<std::size_t>(r.to[e]) == m) {
            conv_total += w;
            if (flag) conv_visited += w;
          } else if (static_cast<std::size_t>(r.to[e]) < m) {
            const auto b = static_cast<Eigen::Index>(r.to[e]);
            const int nf = flag || has[static_cast<std::size_t>(b)];
            next[b + nf * static_cast<Eigen::Index>(m)] += w;
          }
        }
      }
      mass = next;
    }
    out[c] = conv_visited / conv_total;
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(journeys)

BOOST_AUTO_TEST_CASE(from_paths_trims_and_sorts_the_dictionary) {
  std::vector<std::string_view> p{" press >instagram > search ", "search", "tiktok>press"};
  std::vector<double> c{1, 2, 0}, v{10, 20, 0}, n{0, 1, 4};
  for (int threads : {1, 2, 3}) {
    const auto s = ta::from_paths(p, c, v, n, ">", {}, threads);
    BOOST_TEST((s.channels == std::vector<std::string>{"instagram", "press", "search", "tiktok"}));
    BOOST_TEST((s.touches == std::vector<ta::ChannelId>{1, 0, 2, 2, 3, 1}));
    BOOST_TEST((s.offsets == std::vector<std::int64_t>{0, 3, 4, 6}));
    BOOST_TEST(s.total_conversions() == 3.0);
    BOOST_TEST(s.total_nulls() == 5.0);
  }
}

BOOST_AUTO_TEST_CASE(from_path_buffer_reads_arrow_layouts) {
  const std::string data = "a > bcc>a ";  // rows "a > b", "cc>a" and " " (an empty path)
  const std::vector<std::int32_t> o32{0, 5, 9, 10};
  const std::vector<std::int64_t> o64{0, 5, 9, 10};
  const std::vector<double> c{1, 2, 3};
  BOOST_CHECK_THROW((void)ta::from_path_buffer<std::int32_t>(data, o32, c, {}, {}), std::invalid_argument);
  const std::vector<std::int32_t> ok32{0, 5, 9};
  const std::vector<std::int64_t> ok64{0, 5, 9};
  const std::vector<double> c2{1, 2};
  const auto a = ta::from_path_buffer<std::int32_t>(data, ok32, c2, {}, {}, ">", {}, 2);
  const auto b = ta::from_path_buffer<std::int64_t>(data, ok64, c2, {}, {}, ">", {}, 1);
  BOOST_TEST((a.channels == std::vector<std::string>{"a", "b", "cc"}));
  BOOST_TEST((a.touches == std::vector<ta::ChannelId>{0, 1, 2, 0}));
  BOOST_TEST((a.offsets == std::vector<std::int64_t>{0, 2, 4}));
  BOOST_TEST((b.touches == a.touches));
  const std::vector<std::int64_t> bad{0, 5, 99, 8};
  BOOST_CHECK_THROW((void)ta::from_path_buffer<std::int64_t>(data, bad, c, {}, {}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(from_paths_names_row_and_column) {
  std::vector<std::string_view> p{"a > b", "a >  > b", ""};
  std::vector<double> c{1, 1, 1};
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  ta::PathColumns cols{"path", "conv", "val", "nul"};
  BOOST_TEST(message([&] { (void)ta::from_paths(p, c, {}, {}, ">", cols, 2); }).find("row 1, column 'path'") !=
             std::string::npos);
  std::vector<std::string_view> ok{"a", "b", "c"};
  std::vector<double> bad{1, -1, 1}, nan{1, 1, std::nan("")};
  BOOST_TEST(message([&] { (void)ta::from_paths(ok, bad, {}, {}, ">", cols, 2); }).find("row 1, column 'conv'") !=
             std::string::npos);
  BOOST_TEST(message([&] { (void)ta::from_paths(ok, c, {}, nan, ">", cols, 2); }).find("row 2, column 'nul'") !=
             std::string::npos);
  std::vector<std::string_view> empty{"a", "  ", "c"};
  BOOST_TEST(message([&] {
               (void)ta::from_paths(empty, c, {}, {}, ">", cols, 1);
             }).find("row 1, column 'path': empty path") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(take_keeps_rows_and_reduces_the_dictionary) {
  const auto s = small_store();  // a>b>c, b>b, c, a>c
  const std::vector<std::int64_t> rows{3, 1, 1};
  const auto t = ta::take(s, rows);
  BOOST_TEST((t.channels == std::vector<std::string>{"a", "b", "c"}));
  BOOST_TEST((t.touches == std::vector<ta::ChannelId>{0, 2, 1, 1, 1, 1}));
  BOOST_TEST((t.nulls == std::vector<double>{3, 1, 1}));
  const std::vector<std::int64_t> only_b{1};
  const auto b = ta::take(s, only_b);
  BOOST_TEST((b.channels == std::vector<std::string>{"b"}));
  BOOST_TEST((b.touches == std::vector<ta::ChannelId>{0, 0}));
  const std::vector<std::int64_t> bad{4};
  BOOST_CHECK_THROW((void)ta::take(s, bad), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(from_events_splits_after_conversions_and_applies_lookback) {
  // user 0: x@0, y@5, conversion@6, z@7, conversion@20 (lookback 10: z is at 13 before, outside),
  // w@21 -> null journey. user 1: y@100, conversion@100.
  const std::vector<std::int64_t> tu{0, 0, 0, 0, 1}, tt_{0, 5, 7, 21, 100};
  const std::vector<ta::ChannelId> tc{0, 1, 2, 3, 1};
  const std::vector<std::string> names{"x", "y", "z", "w"};
  const std::vector<std::int64_t> cu{0, 0, 1}, ct{6, 20, 100};
  const std::vector<double> cv{10, 20, 30};
  BOOST_CHECK_THROW((void)ta::from_events(tu, tt_, tc, names, cu, ct, cv, 10, 1.0, false), std::invalid_argument);
  const auto ev = ta::from_events(tu, tt_, tc, names, cu, ct, cv, 10, 1.0, true);
  const auto& s = ev.store;
  BOOST_TEST((s.channels == std::vector<std::string>{"w", "x", "y", "z"}));
  BOOST_TEST(s.size() == 3u);  // user0: (x,y)->conv, (w) null; user1: (y) conv
  BOOST_TEST(ev.unattributed_conversions == 1);
  BOOST_TEST(ev.unattributed_value == 20.0);
  BOOST_TEST(ev.touches_outside_lookback == 1);
  BOOST_TEST((s.touches == std::vector<ta::ChannelId>{1, 2, 0, 2}));
  BOOST_TEST((s.conversions == std::vector<double>{1, 0, 1}));
  BOOST_TEST((s.nulls == std::vector<double>{0, 1, 0}));
  BOOST_TEST((s.value == std::vector<double>{10, 0, 30}));
  BOOST_TEST((s.touch_age_days == std::vector<double>{6, 1, 0, 0}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rule_based)

BOOST_AUTO_TEST_CASE(hand_computed_credits) {
  const auto s = small_store();
  auto check = [&](ta::RuleModel m, std::map<std::string, double> expected_conv, const ta::RuleOptions& o = {}) {
    const auto c = ta::rule_based(s, m, o);
    double total = 0.0;
    for (const auto& [name, x] : expected_conv) {
      BOOST_TEST(credit_of(c.channels, c.conversions, name) == x, tt::tolerance(1e-12));
      total += credit_of(c.channels, c.conversions, name);
    }
    BOOST_TEST(total == 4.0, tt::tolerance(1e-12));
    BOOST_TEST(std::accumulate(c.value.begin(), c.value.end(), 0.0) == 35.0, tt::tolerance(1e-12));
  };
  check(ta::RuleModel::first_touch, {{"a", 2}, {"b", 1}, {"c", 1}});
  check(ta::RuleModel::last_touch, {{"a", 0}, {"b", 1}, {"c", 3}});
  check(ta::RuleModel::linear, {{"a", 2.0 / 3}, {"b", 2.0 / 3 + 1}, {"c", 2.0 / 3 + 1}});
  check(ta::RuleModel::linear_unique, {{"a", 2.0 / 3}, {"b", 2.0 / 3 + 1}, {"c", 2.0 / 3 + 1}});
  check(ta::RuleModel::position_based, {{"a", 0.8}, {"b", 1.4}, {"c", 1.8}});
  ta::RuleOptions o;
  o.first_weight = 0.3;
  o.last_weight = 0.5;
  check(ta::RuleModel::position_based, {{"a", 0.6}, {"b", 0.4 + 1}, {"c", 1.0 + 1}}, o);
  o.excluded_channel = "c";
  check(ta::RuleModel::last_non, {{"a", 0}, {"b", 3}, {"c", 1}}, o);
  // value: first touch gives a 20, b 5, c 10
  const auto c = ta::rule_based(s, ta::RuleModel::first_touch);
  BOOST_TEST(credit_of(c.channels, c.value, "a") == 20.0);
  BOOST_TEST(credit_of(c.channels, c.value, "c") == 10.0);
}

BOOST_AUTO_TEST_CASE(linear_unique_differs_from_linear_with_repeats) {
  ta::JourneyStore s;
  s.add({"a", "a", "a", "b"}, 1);
  const auto lin = ta::rule_based(s, ta::RuleModel::linear);
  const auto uni = ta::rule_based(s, ta::RuleModel::linear_unique);
  BOOST_TEST(lin.conversions[0] == 0.75);
  BOOST_TEST(uni.conversions[0] == 0.5);
}

BOOST_AUTO_TEST_CASE(time_decay_halves_per_half_life) {
  ta::JourneyStore s;
  s.add({"a", "b"}, 3, 30, 0, {7.0, 0.0});
  s.add({"a", "b", "c"}, 1, 0, 0, {14.0, 7.0, 0.0});  // weights 1/4, 1/2, 1 -> /1.75
  const auto c = ta::rule_based(s, ta::RuleModel::time_decay);
  BOOST_TEST(c.conversions[0] == 1.0 + 0.25 / 1.75, tt::tolerance(1e-12));
  BOOST_TEST(c.conversions[1] == 2.0 + 0.5 / 1.75, tt::tolerance(1e-12));
  BOOST_TEST(c.conversions[2] == 1.0 / 1.75, tt::tolerance(1e-12));
  BOOST_TEST(c.value[0] == 10.0, tt::tolerance(1e-12));
  ta::RuleOptions o;
  o.half_life_days = 14.0;  // 2^-0.5
  const auto d = ta::rule_based(s, ta::RuleModel::time_decay, o);
  BOOST_TEST(d.conversions[0] == 3.0 * std::sqrt(0.5) / (1 + std::sqrt(0.5)) + 0.5 / (0.5 + std::sqrt(0.5) + 1),
             tt::tolerance(1e-12));
  BOOST_CHECK_THROW((void)ta::rule_based(small_store(), ta::RuleModel::time_decay), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(totals_equal_inputs_and_do_not_depend_on_threads) {
  const auto s = random_store(20000, 7, 3, true);
  for (auto m : {ta::RuleModel::first_touch, ta::RuleModel::last_touch, ta::RuleModel::linear, ta::RuleModel::linear_unique,
                 ta::RuleModel::position_based, ta::RuleModel::last_non}) {
    ta::RuleOptions o1, o3;
    o1.threads = 1;
    o3.threads = 3;
    const auto a = ta::rule_based(s, m, o1, true), b = ta::rule_based(s, m, o3, true);
    BOOST_TEST(a.conversions == b.conversions);  // bit-identical
    BOOST_TEST(a.value == b.value);
    const double total = std::accumulate(a.conversions.begin(), a.conversions.end(), 0.0);
    BOOST_TEST(total == s.total_conversions(), tt::tolerance(1e-12));
    BOOST_TEST(std::accumulate(a.value.begin(), a.value.end(), 0.0) == s.total_value(), tt::tolerance(1e-12));
    BOOST_TEST(std::accumulate(a.journey_conversions.begin(), a.journey_conversions.end(), 0.0) == s.total_conversions(),
               tt::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(markov)

BOOST_AUTO_TEST_CASE(hand_computed_first_order) {
  // (a,b) 1 conversion; (b) 1 null; (a) 1 conversion + 1 null.
  // P(start->a) = 3/4, P(a->b) = P(a->conv) = P(a->null) = 1/3, P(b->conv) = 1/2.
  // P(conv) = 1/2; without a: 1/8 -> RE_a = 3/4; without b: 1/4 -> RE_b = 1/2.
  ta::JourneyStore s;
  s.add({"a", "b"}, 1, 10);
  s.add({"b"}, 0, 0, 1);
  s.add({"a"}, 1, 30, 1);
  const auto r = ta::markov(ta::count(s), 1);
  BOOST_TEST(r.conversion_probability == 0.5, tt::tolerance(1e-14));
  BOOST_TEST(r.removal_effects[0] == 0.75, tt::tolerance(1e-14));
  BOOST_TEST(r.removal_effects[1] == 0.5, tt::tolerance(1e-14));
  BOOST_TEST(r.conversions[0] == 1.2, tt::tolerance(1e-14));
  BOOST_TEST(r.conversions[1] == 0.8, tt::tolerance(1e-14));
  BOOST_TEST(r.value[0] == 24.0, tt::tolerance(1e-14));
  BOOST_TEST((r.state_labels == std::vector<std::string>{"(start)", "a", "b", "(conversion)", "(null)"}));
  const auto visits = visit_probability(r);
  BOOST_TEST(visits[0] == 0.75, tt::tolerance(1e-12));
  BOOST_TEST(visits[1] == 0.5, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(collapse_repeats_option) {
  ta::JourneyStore s;
  s.add({"a", "a", "b"}, 1);
  s.add({"b"}, 0, 0, 1);
  const auto collapsed = ta::markov(ta::count(s, {1}, true), 1);
  const auto kept = ta::markov(ta::count(s, {1}, false), 1);
  // collapsed: no a->a edge; kept: a->a with probability 1/2.
  bool self_loop = false;
  for (std::size_t e = 0; e < kept.from.size(); ++e)
    if (kept.from[e] == kept.to[e]) {
      self_loop = true;
      BOOST_TEST(kept.probability[e] == 0.5);
    }
  BOOST_TEST(self_loop);
  for (std::size_t e = 0; e < collapsed.from.size(); ++e) BOOST_TEST(collapsed.from[e] != collapsed.to[e]);
  // A self-loop does not change absorption probabilities here: a always leads to b.
  BOOST_TEST(kept.conversion_probability == collapsed.conversion_probability, tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(removal_effect_equals_visit_probability_given_conversion) {
  const auto s = random_store(3000, 5, 11, true);
  for (int order : {1, 2, 3})
    for (bool collapse : {true, false}) {
      const auto st = ta::count(s, {1, 2, 3}, collapse, 2);
      const auto r = ta::markov(st, order, 2);
      const auto visits = visit_probability(r);
      for (std::size_t c = 0; c < r.channels.size(); ++c) BOOST_TEST(r.removal_effects[c] == visits[c], tt::tolerance(1e-9));
      const double total = std::accumulate(r.conversions.begin(), r.conversions.end(), 0.0);
      BOOST_TEST(total == s.total_conversions(), tt::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(order_two_chain_recovers_its_transitions) {
  // Known order-2 chain over {a, b}: the next channel depends on the last two.
  // P(next = a | last two) and P(stop), stop converts with probability 0.4.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto p_a = [](int x, int y) { return x == 0 && y == 0 ? 0.2 : x == 0 && y == 1 ? 0.7 : x == 1 && y == 0 ? 0.5 : 0.9; };
  const double p_stop = 0.3;
  ta::JourneyStore s;
  const std::size_t n = 60000;
  std::map<std::pair<int, int>, std::pair<double, double>> truth_counts;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::string> path;
    int x = u(rng) < 0.5 ? 0 : 1, y = u(rng) < 0.5 ? 0 : 1;
    path = {x ? "b" : "a", y ? "b" : "a"};
    while (u(rng) > p_stop && path.size() < 30) {
      const int z = u(rng) < p_a(x, y) ? 0 : 1;
      path.push_back(z ? "b" : "a");
      x = y;
      y = z;
    }
    const bool conv = u(rng) < 0.4;
    s.add(path, conv ? 1 : 0, 0, conv ? 0 : 1);
  }
  const auto r = ta::markov(ta::count(s, {2}, false), 2);
  int checked = 0;
  for (std::size_t e = 0; e < r.from.size(); ++e) {
    const auto& from = r.states[static_cast<std::size_t>(r.from[e])];
    if (from.size() != 2 || static_cast<std::size_t>(r.to[e]) >= r.states.size()) continue;
    const auto& to = r.states[static_cast<std::size_t>(r.to[e])];
    if (to.back() != 0) continue;  // P(next = a)
    const double truth = (1 - p_stop) * p_a(from[0], from[1]);
    double row = 0.0;
    for (std::size_t f = 0; f < r.from.size(); ++f)
      if (r.from[f] == r.from[e]) row += r.count[f];
    const double se = std::sqrt(truth * (1 - truth) / row);
    BOOST_TEST(std::abs(r.probability[e] - truth) < 5 * se);
    ++checked;
  }
  BOOST_TEST(checked == 4);
}

BOOST_AUTO_TEST_CASE(held_out_log_likelihood_by_hand) {
  // train: a -> conv (1), a -> b -> null (1). Rows: start {a: 2}, a {conv: 1, b: 1}, b {null: 1}.
  ta::JourneyStore train, test;
  train.add({"a"}, 1);
  train.add({"a", "b"}, 0, 0, 1);
  test.add({"a", "a"}, 2);  // collapsed to a -> conv
  test.add({"c"}, 0, 0, 1);  // unseen channel
  const auto r = ta::markov_log_likelihood(ta::count(train), test, 1);
  const double targets = 4.0;  // a, b, (conversion), (null)
  const double a_conv = std::log(3.0 / (2 + targets)) + std::log(2.0 / (2 + targets));
  const double c_null = std::log(1.0 / (2 + targets)) + std::log(1.0 / (0 + targets));
  BOOST_TEST(r.log_likelihood == 2 * a_conv + c_null, tt::tolerance(1e-12));
  BOOST_TEST(r.weight == 3.0);
}

BOOST_AUTO_TEST_CASE(no_conversions_is_an_error) {
  ta::JourneyStore s;
  s.add({"a"}, 0, 0, 2);
  BOOST_CHECK_THROW((void)ta::markov(ta::count(s), 1), std::invalid_argument);
  BOOST_CHECK_THROW((void)ta::markov(ta::count(s), 2), std::invalid_argument);  // order not counted
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(shapley)

double brute_force_shapley(const std::vector<double>& v, int n, int i) {
  std::vector<int> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  double total = 0.0;
  int count = 0;
  do {
    std::uint64_t S = 0;
    for (int p : perm) {
      if (p == i) {
        total += v[S | (std::uint64_t{1} << i)] - v[S];
        break;
      }
      S |= std::uint64_t{1} << p;
    }
    ++count;
  } while (std::next_permutation(perm.begin(), perm.end()));
  return total / count;
}

BOOST_AUTO_TEST_CASE(exact_equals_brute_force_over_permutations) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-1.0, 2.0);
  for (int n : {1, 3, 5, 6}) {
    std::vector<double> v(std::size_t{1} << n);
    for (auto& x : v) x = u(rng);
    v[0] = 0.0;
    const auto phi = ta::shapley_values(v, n, 2);
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
      BOOST_TEST(phi[static_cast<std::size_t>(i)] == brute_force_shapley(v, n, i), tt::tolerance(1e-10));
      sum += phi[static_cast<std::size_t>(i)];
    }
    BOOST_TEST(sum == v.back() - v[0], tt::tolerance(1e-10));  // efficiency
  }
}

BOOST_AUTO_TEST_CASE(zeta_and_moebius_are_inverse) {
  std::vector<double> f{1, 2, 3, 4, 5, 6, 7, 8};
  auto g = f;
  ta::zeta_transform(g, 3);
  BOOST_TEST(g[7] == 36.0);
  BOOST_TEST(g[5] == 1 + 2 + 5 + 6.0);
  ta::moebius_transform(g, 3);
  BOOST_TEST(g == f);
}

BOOST_AUTO_TEST_CASE(count_game_equals_simplified_and_is_efficient) {
  const auto s = random_store(5000, 6, 21, true);
  const auto st = ta::count(s);
  const auto full = ta::shapley(st), simple = ta::simplified_shapley(st);
  for (std::size_t c = 0; c < full.channels.size(); ++c) {
    BOOST_TEST(full.conversions[c] == simple.conversions[c], tt::tolerance(1e-9));
    BOOST_TEST(full.value[c] == simple.value[c], tt::tolerance(1e-9));
  }
  BOOST_TEST(std::accumulate(full.conversions.begin(), full.conversions.end(), 0.0) == s.total_conversions(),
             tt::tolerance(1e-12));
  // ordered Shapley rows add up to simplified Shapley
  const auto od = ta::ordered_shapley(st);
  for (std::size_t c = 0; c < od.channels.size(); ++c)
    BOOST_TEST(std::accumulate(od.conversions[c].begin(), od.conversions[c].end(), 0.0) == simple.conversions[c],
               tt::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(hand_computed_and_axioms) {
  // {a}: 2 conv, {a, b}: 3 conv, {c}: 1 conv; d only in a non-converting journey (dummy);
  // x and y always appear together (symmetric).
  ta::JourneyStore s;
  s.add({"a"}, 2);
  s.add({"a", "b", "a"}, 3);
  s.add({"c"}, 1, 0, 1);
  s.add({"d", "c"}, 0, 0, 4);
  s.add({"x", "y"}, 2, 0, 1);
  s.add({"y", "x", "y"}, 1, 0, 1);
  const auto r = ta::shapley(ta::count(s));
  BOOST_TEST(credit_of(r.channels, r.conversions, "a") == 3.5, tt::tolerance(1e-12));
  BOOST_TEST(credit_of(r.channels, r.conversions, "b") == 1.5, tt::tolerance(1e-12));
  BOOST_TEST(credit_of(r.channels, r.conversions, "c") == 1.0, tt::tolerance(1e-12));
  BOOST_TEST(credit_of(r.channels, r.conversions, "d") == 0.0, tt::tolerance(1e-12));
  BOOST_TEST(credit_of(r.channels, r.conversions, "x") == credit_of(r.channels, r.conversions, "y"), tt::tolerance(1e-12));
  // rate game: v({c}) = 1/2, v({c,d}) = 0, v({x,y}) = 3/5, v({a}) = v({a,b}) = 1, unseen 0.
  ta::ShapleyOptions o;
  o.value_function = ta::ShapleyValue::rate;
  o.unseen = ta::UnseenCoalition::max_subset;
  const auto rate = ta::shapley(ta::count(s), o);
  BOOST_TEST(credit_of(rate.channels, rate.conversions, "x") == credit_of(rate.channels, rate.conversions, "y"),
             tt::tolerance(1e-12));
  BOOST_TEST(std::accumulate(rate.conversions.begin(), rate.conversions.end(), 0.0) == 9.0, tt::tolerance(1e-12));
  // brute force of the same rate game
  const auto st = ta::count(s);
  const int n = static_cast<int>(st.channels.size());
  std::vector<double> v(std::size_t{1} << n, 0.0);
  for (const auto& [k, c] : st.sets) {
    std::uint64_t m = 0;
    for (std::size_t i = 0; i < k.size() / 2; ++i) m |= std::uint64_t{1} << ta::detail::key_at(k, i);
    v[m] = ta::to_double(c.conversions) / (ta::to_double(c.conversions) + ta::to_double(c.nulls));
  }
  for (std::uint64_t S = 0; S < v.size(); ++S)  // max over observed subsets, by enumeration
    for (std::uint64_t T = S; T > 0; T = (T - 1) & S) v[S] = std::max(v[S], v[T]);
  double sum = 0.0;
  std::vector<double> bf(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) sum += bf[static_cast<std::size_t>(i)] = brute_force_shapley(v, n, i);
  for (int i = 0; i < n; ++i)
    BOOST_TEST(rate.conversions[static_cast<std::size_t>(i)] == bf[static_cast<std::size_t>(i)] / sum * 9.0,
               tt::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(too_many_channels_is_a_clear_error) {
  const auto s = random_store(400, 30, 2);
  ta::ShapleyOptions o;
  o.max_channels = 20;
  try {
    (void)ta::shapley(ta::count(s), o);
    BOOST_FAIL("expected an error");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("exceed max_channels = 20") != std::string::npos);
  }
  BOOST_TEST(ta::simplified_shapley(ta::count(s)).conversions.size() == 30u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(statistics)

BOOST_AUTO_TEST_CASE(roles_hand_computed) {
  const auto r = ta::roles(ta::count(small_store()));
  // a > b > c (2): a introducer 2, b assist 2, c closer 2; b > b (1): b introducer 1, closer 1; c (1): sole 1
  BOOST_TEST((r.introducer == std::vector<double>{2, 1, 0}));
  BOOST_TEST((r.assist == std::vector<double>{0, 2, 0}));
  BOOST_TEST((r.closer == std::vector<double>{0, 1, 2}));
  BOOST_TEST((r.sole == std::vector<double>{0, 0, 1}));
}

BOOST_AUTO_TEST_CASE(merged_random_partitions_equal_a_single_pass_bit_for_bit) {
  const auto s = random_store(4000, 8, 99, true);
  const auto single = ta::count(s, {1, 2, 3}, true, 1);
  BOOST_TEST((ta::count(s, {1, 2, 3}, true, 3) == single));
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 4; ++trial) {
    const int parts = 2 + trial;
    std::vector<std::vector<std::size_t>> rows(static_cast<std::size_t>(parts));
    std::uniform_int_distribution<int> pick(0, parts - 1);
    for (std::size_t j = 0; j < s.size(); ++j) rows[static_cast<std::size_t>(pick(rng))].push_back(j);
    std::vector<ta::AttributionStats> st;
    for (const auto& r : rows) st.push_back(ta::count(slice(s, r), {1, 2, 3}, true, 2));
    std::shuffle(st.begin(), st.end(), rng);
    ta::AttributionStats merged({1, 2, 3}, true);
    for (const auto& x : st) merged.merge(x);
    BOOST_TEST((merged == single));
    for (int k : {1, 3}) {
      const auto a = ta::markov(merged, k, 1), b = ta::markov(single, k, 2);
      BOOST_TEST(a.removal_effects == b.removal_effects);
      BOOST_TEST(a.conversions == b.conversions);
    }
    BOOST_TEST(ta::shapley(merged).conversions == ta::shapley(single).conversions);
  }
}

BOOST_AUTO_TEST_CASE(merge_matches_by_channel_name) {
  ta::JourneyStore x, y, both;
  x.add({"b", "c"}, 1);
  y.add({"a", "c"}, 2, 0, 1);
  both.add({"b", "c"}, 1);
  both.add({"a", "c"}, 2, 0, 1);
  auto m = ta::count(x);
  m.merge(ta::count(y));
  BOOST_TEST((m == ta::count(both)));
  auto m2 = ta::count(y);
  m2.merge(ta::count(x));
  BOOST_TEST((m2 == ta::count(both)));
}

BOOST_AUTO_TEST_CASE(merge_into_a_fresh_state_equals_the_key_by_key_merge) {
  // Merging into a fresh state copies (or moves) the other state; the key-by-key merge
  // into a non-fresh state, and a single pass, must give the same sums bit for bit.
  const auto s = random_store(3000, 7, 17, true);
  std::vector<std::size_t> first, second;
  for (std::size_t j = 0; j < s.size(); ++j) (j % 3 == 0 ? first : second).push_back(j);
  const auto a = ta::count(slice(s, first), {1, 2}, true, 1), b = ta::count(slice(s, second), {1, 2}, true, 1);
  const auto single = ta::count(s, {1, 2}, true, 1);
  ta::AttributionStats fresh_copy({1, 2}, true), fresh_move({1, 2}, true);
  BOOST_TEST(fresh_copy.is_fresh());
  fresh_copy.merge(a);
  fresh_move.merge(ta::AttributionStats(a));
  BOOST_TEST(!fresh_copy.is_fresh());
  BOOST_TEST((fresh_copy == a));
  BOOST_TEST((fresh_move == a));
  fresh_copy.merge(b);                       // key by key (const)
  fresh_move.merge(ta::AttributionStats(b));  // key by key (rvalue into a non-fresh state)
  BOOST_TEST((fresh_copy == single));
  BOOST_TEST((fresh_move == single));
  ta::AttributionStats updated({1, 2}, true);
  updated.update(slice(s, first), 2);   // into a fresh state: moved
  updated.update(slice(s, second), 2);  // into a non-fresh one: merged key by key
  BOOST_TEST((updated == single));
  BOOST_TEST(updated.to_bytes() == single.to_bytes());
  // Slices with different channel sets (the shortcut must rename the channels as the
  // key-by-key merge does): the shortcut then a key-by-key merge, against key-by-key
  // merges only (into a non-fresh state, in both orders).
  std::vector<std::size_t> no_first, no_last;
  for (std::size_t j = 0; j < s.size(); ++j) {
    const auto path = s.path(j);
    const bool has_first = std::find(path.begin(), path.end(), ta::ChannelId{0}) != path.end();
    const bool has_last = std::find(path.begin(), path.end(), static_cast<ta::ChannelId>(s.n_channels() - 1)) != path.end();
    if (!has_first) no_first.push_back(j);
    else if (!has_last) no_last.push_back(j);
  }
  const auto c = ta::count(slice(s, no_first), {1, 2}, true, 1), d = ta::count(slice(s, no_last), {1, 2}, true, 1);
  BOOST_TEST(c.channels.size() < s.n_channels());
  BOOST_TEST(d.channels.size() < s.n_channels());
  ta::AttributionStats via_shortcut({1, 2}, true);
  via_shortcut.merge(c);
  via_shortcut.merge(d);
  auto d_then_c = d, c_then_d = c;
  d_then_c.merge(c);
  c_then_d.merge(d);
  BOOST_TEST((via_shortcut == d_then_c));
  BOOST_TEST((via_shortcut == c_then_d));
  BOOST_TEST(via_shortcut.to_bytes() == d_then_c.to_bytes());
  auto unchanged = a;
  unchanged.merge(ta::AttributionStats({1, 2}, true));  // a fresh state adds nothing
  BOOST_TEST((unchanged == a));
  // the settings are checked before the shortcut
  BOOST_CHECK_THROW(ta::AttributionStats({1}, true).merge(a), std::invalid_argument);
  BOOST_CHECK_THROW(ta::AttributionStats({1, 2}, false).merge(ta::AttributionStats(a)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(bytes_and_table_round_trip) {
  const auto st = ta::count(random_store(1000, 6, 4, true), {1, 2}, false);
  const auto bytes = st.to_bytes();
  BOOST_TEST((ta::AttributionStats::from_bytes(bytes) == st));
  BOOST_CHECK_THROW((void)ta::AttributionStats::from_bytes(bytes.substr(0, bytes.size() - 3)), std::invalid_argument);
  auto bad = bytes;
  bad[4] = 9;
  BOOST_CHECK_THROW((void)ta::AttributionStats::from_bytes(bad), std::invalid_argument);
  const auto table = ta::to_table(st);
  BOOST_TEST((ta::from_table(table) == st));
}

BOOST_AUTO_TEST_CASE(exact_accumulation_is_order_independent) {
  const double xs[] = {0.1, 1e6, 0.3, 1.0 / 3.0, 7.25};
  ta::exact_t a = 0, b = 0;
  for (double x : xs) a += ta::to_exact(x);
  for (int i = 4; i >= 0; --i) b += ta::to_exact(xs[i]);
  BOOST_TEST((a == b));
  BOOST_TEST(ta::to_double(ta::to_exact(0.75)) == 0.75);
  BOOST_TEST((ta::exact_from_words(ta::exact_high(-a), ta::exact_low(-a)) == -a));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(solvers)

BOOST_AUTO_TEST_CASE(iterative_agrees_with_direct) {
  const auto s = random_store(6000, 6, 17, true);
  const auto st = ta::count(s, {1, 3}, true, 2, ta::content_transitions);
  for (int order : {1, 3}) {
    ta::MarkovSolver direct, iterative;
    direct.method = ta::MarkovSolver::Method::direct;
    iterative.method = ta::MarkovSolver::Method::iterative;
    iterative.tolerance = 1e-14;
    const auto a = ta::markov(st, order, 2, direct), b = ta::markov(st, order, 1, iterative);
    BOOST_TEST(a.direct);
    BOOST_TEST(!b.direct);
    BOOST_TEST(a.conversion_probability == b.conversion_probability, tt::tolerance(1e-12));
    for (std::size_t c = 0; c < a.channels.size(); ++c)
      BOOST_TEST(a.removal_effects[c] == b.removal_effects[c], tt::tolerance(1e-10));
    // and the iterative result is deterministic across thread counts
    BOOST_TEST(ta::markov(st, order, 3, iterative).removal_effects == b.removal_effects);
  }
}

BOOST_AUTO_TEST_CASE(iterative_removal_effects_equal_visit_probabilities) {
  // 11 channels: the chain and its 11 removal systems run as three blocks of four.
  const auto s = random_store(4000, 11, 23, true);
  const auto st = ta::count(s, {2}, true, 2, ta::content_transitions);
  ta::MarkovSolver iterative;
  iterative.method = ta::MarkovSolver::Method::iterative;
  iterative.tolerance = 1e-14;
  const auto r = ta::markov(st, 2, 2, iterative);
  BOOST_TEST(!r.direct);
  const auto visits = visit_probability(r);
  for (std::size_t c = 0; c < r.channels.size(); ++c) BOOST_TEST(r.removal_effects[c] == visits[c], tt::tolerance(1e-9));
  for (int threads : {1, 3, 5}) BOOST_TEST(ta::markov(st, 2, threads, iterative).removal_effects == r.removal_effects);
  // states are ordered by their channel sequence, (start) first, shorter prefixes first
  for (std::size_t i = 1; i < r.states.size(); ++i) BOOST_TEST((r.states[i - 1] < r.states[i]));
}

BOOST_AUTO_TEST_CASE(to_exact_rounds_to_the_nearest_multiple_of_two_to_the_minus_64) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-1e6, 1e6);
  for (int i = 0; i < 20000; ++i) {
    const double x = i % 3 == 0 ? u(rng) : i % 3 == 1 ? u(rng) * 1e-9 : std::round(u(rng));
    const ta::exact_t e = ta::to_exact(x);
    // |x * 2^64 - e| <= 1/2, checked in long double around e
    const long double diff = std::ldexp(static_cast<long double>(x), 64) - static_cast<long double>(e);
    BOOST_TEST((diff <= 0.5L && diff >= -0.5L));
    if (std::abs(x) >= 0x1p-11) BOOST_TEST(ta::to_double(e) == x);  // then x * 2^64 is an integer: exact
  }
  BOOST_TEST((ta::to_exact(1.0) == (static_cast<ta::exact_t>(1) << 64)));
  BOOST_TEST((ta::to_exact(-0.5) == -(static_cast<ta::exact_t>(1) << 63)));
  BOOST_CHECK_THROW((void)ta::to_exact(0x1p63), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(missing_contents_are_named) {
  const auto st = ta::count(small_store(), {1}, true, 1, ta::content_transitions);
  BOOST_CHECK_THROW((void)ta::shapley(st), std::invalid_argument);
  BOOST_CHECK_THROW((void)ta::roles(st), std::invalid_argument);
  BOOST_CHECK_NO_THROW((void)ta::markov(st, 1));
  BOOST_CHECK_THROW(ta::AttributionStats(st).merge(ta::count(small_store())), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
