// Reliability: saved states are validated completely (fuzzed corruptions and truncations
// never reach undefined behaviour), bad inputs get errors that name what was wrong, and
// requests too large for memory are refused before anything is allocated. Run under
// AddressSanitizer and UndefinedBehaviorSanitizer by scripts/test.sh.
#include <boost/test/unit_test.hpp>

#include <trustmix/attribution/attribution.hpp>
#include <trustmix/core/domain.hpp>
#include <trustmix/core/resources.hpp>
#include <trustmix/kpi/kpi.hpp>
#include <trustmix/transforms/transforms.hpp>

#include <Eigen/Core>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace ta = trustmix::attribution;
namespace tk = trustmix::kpi;
namespace tf = trustmix::transforms;

namespace {

/// Five small paths (the issue's reproducer) or a random store of `n` journeys.
ta::JourneyStore five_paths() {
  ta::JourneyStore s;
  s.add({"press", "instagram", "search"}, 2, 30, 1);
  s.add({"instagram", "search"}, 1, 12, 3);
  s.add({"press"}, 0, 0, 4);
  s.add({"tiktok", "instagram", "instagram", "search"}, 1, 9, 0);
  s.add({"search"}, 3, 40, 2);
  return s;
}

ta::JourneyStore random_store(std::size_t n, int channels, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> ch(0, channels - 1), len(1, 6), cnt(0, 3);
  ta::JourneyStore s;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::string> path;
    const int L = len(rng);
    for (int t = 0; t < L; ++t) path.push_back("c" + std::to_string(ch(rng)));
    const double c = cnt(rng) * 0.5;
    s.add(path, c, c * 7.25, cnt(rng));
  }
  return s;
}

/// Message of the std::invalid_argument that f throws ("" if it throws nothing).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Every model that reads a state; only std::invalid_argument may escape.
void use_state(const ta::AttributionStats& st) {
  for (int k : st.orders) {
    try {
      (void)ta::markov(st, k, 1);
    } catch (const std::invalid_argument&) {
    }
  }
  auto guarded = [](auto&& f) {
    try {
      f();
    } catch (const std::invalid_argument&) {
    }
  };
  guarded([&] { (void)ta::shapley(st); });
  guarded([&] { (void)ta::simplified_shapley(st); });
  guarded([&] { (void)ta::ordered_shapley(st); });
  guarded([&] { (void)ta::roles(st); });
  guarded([&] { (void)ta::rule_based(st, ta::RuleModel::linear); });
  guarded([&] { (void)ta::to_table(st); });
  guarded([&] {
    ta::AttributionStats twice = st;
    twice.merge(st);
  });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(saved_states)

BOOST_AUTO_TEST_CASE(issue_reproducer_is_rejected) {
  // The issue: orders {1, 2} on five small paths, byte 134 set to 149, then markov.
  const auto st = ta::count(five_paths(), {1, 2});
  auto bytes = st.to_bytes();
  BOOST_REQUIRE(bytes.size() > 134);
  bytes[134] = static_cast<char>(149);
  const auto msg = error_of([&] { use_state(ta::AttributionStats::from_bytes(bytes)); });
  BOOST_TEST(contains(msg, "from_bytes"), msg);
}

BOOST_AUTO_TEST_CASE(round_trip_and_format_1_still_read) {
  const auto st = ta::count(random_store(300, 6, 1), {1, 2, 3});
  const auto bytes = st.to_bytes();
  BOOST_TEST((ta::AttributionStats::from_bytes(bytes) == st));
  // Format 1 is format 2 without the checksum and with version 1: still read (and validated).
  std::string v1 = bytes.substr(0, bytes.size() - 4);
  v1[4] = 1;
  BOOST_TEST((ta::AttributionStats::from_bytes(v1) == st));
}

BOOST_AUTO_TEST_CASE(validation_catches_what_the_checksum_cannot) {
  // A format-1 state (no checksum) corrupted in a count is caught by the exact identities.
  const auto st = ta::count(five_paths(), {1, 2});
  ta::AttributionStats bad = st;
  bad.total_conversions += 1;
  BOOST_TEST(contains(error_of([&] { bad.validate("test"); }), "do not add up"));
  bad = st;
  bad.channels[0].swap(bad.channels[1]);
  BOOST_TEST(contains(error_of([&] { bad.validate("test"); }), "sorted and unique"));
  bad = st;
  std::string key;
  ta::detail::key_push(key, 40);  // channel id 40 of 4 channels
  ta::detail::key_push(key, ta::detail::key_conversion);
  bad.transitions[0][key] = 1;
  BOOST_TEST(contains(error_of([&] { bad.validate("test"); }), "channel id 40"));
  bad = st;
  bad.transitions[1].begin()->second = -5;
  BOOST_TEST(contains(error_of([&] { bad.validate("test"); }), "out of range"));
  BOOST_CHECK_NO_THROW(st.validate("test"));
}

BOOST_AUTO_TEST_CASE(fuzzed_states_never_crash) {
  // Random byte changes, truncations and insertions of real states, with and without the
  // checksum (format 1 relies on validation alone): from_bytes either throws
  // std::invalid_argument or returns a state every model can read. Bounded to ~2 s.
  std::vector<std::string> states;
  for (const auto& orders : {std::vector<int>{1, 2}, std::vector<int>{1, 3, 5}})
    states.push_back(ta::count(random_store(40, 5, 7), orders).to_bytes());
  states.push_back(ta::count(five_paths(), {1, 2}).to_bytes());
  std::mt19937_64 rng(2024);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int trials = 0, accepted_v2_changed = 0;
  for (; trials < 20000 && std::chrono::steady_clock::now() < deadline; ++trials) {
    std::string b = states[static_cast<std::size_t>(trials) % states.size()];
    const bool v1 = trials % 2 == 1;
    if (v1) {
      b.resize(b.size() - 4);
      b[4] = 1;
    }
    const std::string original = b;
    switch (trials % 5) {
      case 0:
      case 1:
      case 2: {  // 1-4 random bytes set to random values (not the magic or version)
        const int n = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < n; ++i) b[8 + rng() % (b.size() - 8)] = static_cast<char>(rng() & 0xFF);
        break;
      }
      case 3: b.resize(rng() % b.size()); break;  // truncated
      case 4: b.insert(8 + rng() % (b.size() - 8), 1, static_cast<char>(rng() & 0xFF)); break;
    }
    try {
      const auto st = ta::AttributionStats::from_bytes(b);
      if (!v1 && b != original) ++accepted_v2_changed;
      use_state(st);
    } catch (const std::invalid_argument&) {
    }
  }
  BOOST_TEST_MESSAGE(trials << " fuzzed states");
  BOOST_TEST(trials >= 500);
  BOOST_TEST(accepted_v2_changed == 0);  // the checksum catches every change
}

BOOST_AUTO_TEST_CASE(from_table_rejects_overflow_and_huge_positions) {
  const auto st = ta::count(five_paths(), {1});
  auto table = ta::to_table(st);
  auto bad = table;
  for (std::size_t i = 0; i < bad.size(); ++i)
    if (bad.statistic[i] == "ordered") {
      bad.position[i] = 2000000000;
      break;
    }
  BOOST_TEST(contains(error_of([&] { (void)ta::from_table(bad); }), "column 'position'"));
  bad = table;
  for (std::size_t i = 0; i < bad.size(); ++i)
    if (bad.statistic[i] == "total" && bad.target[i] == "conversions") bad.units_high[i] = std::int64_t{1} << 62;
  BOOST_TEST(contains(error_of([&] { (void)ta::from_table(bad); }), "column 'units'"));
  bad = table;
  for (std::size_t i = 0; i < bad.size(); ++i)
    if (bad.statistic[i] == "setting" && bad.target[i] == "contents") bad.units_high[i] = 1000;
  BOOST_TEST(contains(error_of([&] { (void)ta::from_table(bad); }), "expected an integer"));
  bad = table;  // a transition row dropped: the chain no longer adds up
  for (std::size_t i = 0; i < bad.size(); ++i)
    if (bad.statistic[i] == "transition") {
      bad.units_high[i] += 1;
      break;
    }
  BOOST_TEST(contains(error_of([&] { (void)ta::from_table(bad); }), "inconsistent count table"));
  BOOST_TEST((ta::from_table(table) == st));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bad_inputs)

BOOST_AUTO_TEST_CASE(kpi_rejects_infinite_counts_and_parts_above_the_whole) {
  const Eigen::ArrayXd inf = Eigen::ArrayXd::Constant(1, std::numeric_limits<double>::infinity());
  const Eigen::ArrayXd ten = Eigen::ArrayXd::Constant(1, 10.0), five = Eigen::ArrayXd::Constant(1, 5.0);
  BOOST_TEST(contains(error_of([&] { (void)tk::click_through_rate(inf, ten); }), "clicks must be a finite number"));
  BOOST_TEST(contains(error_of([&] { (void)tk::trust_index(ten, five); }), "trusting (10) exceeds respondents (5)"));
  BOOST_TEST(contains(error_of([&] { (void)tk::share_of_voice(ten, five); }), "brand (10) exceeds category_total"));
  BOOST_TEST(contains(error_of([&] { (void)tk::share_of_search(ten, five); }), "brand_searches (10) exceeds"));
  BOOST_TEST(contains(error_of([&] { (void)tk::return_on_investment(inf, ten); }), "incremental_value must be finite"));
  const Eigen::ArrayXd big = Eigen::ArrayXd::Constant(1, 1e308), tiny = Eigen::ArrayXd::Constant(1, 1e-10);
  BOOST_TEST(contains(error_of([&] { (void)tk::cost_per_click(big, tiny); }), "overflows at element 0"));
  // The same inputs the right way round are fine: 5 of 10 is 50%.
  BOOST_TEST(tk::trust_index(five, ten)[0] == 50.0);
  BOOST_TEST(tk::share_of_voice(five, ten)[0] == 50.0);
  BOOST_TEST(std::isnan(tk::click_through_rate(five, Eigen::ArrayXd::Zero(1))[0]));  // zero denominator: NaN
}

BOOST_AUTO_TEST_CASE(adstock_max_lag_too_large_names_max_lag) {
  const tf::RowMatrix x = tf::RowMatrix::Ones(10, 2);
  const std::vector<Eigen::VectorXd> alpha{Eigen::VectorXd::Constant(1, 0.5)};
  const auto msg = error_of([&] { (void)tf::adstock(x, tf::AdstockKind::geometric, alpha, 1000000000, true, false); });
  BOOST_TEST(contains(msg, "max_lag = 1000000000 needs about"), msg);
  BOOST_TEST(contains(msg, "max_lag=None"), msg);
  const double a = 0.5;
  BOOST_TEST(contains(error_of([&] { (void)tf::adstock_weights(tf::AdstockKind::geometric, &a, 2147483646, true); }),
                      "max_lag = 2147483646"));
  // An ordinary window still works.
  BOOST_CHECK_NO_THROW((void)tf::adstock(x, tf::AdstockKind::geometric, alpha, 12, true, false));
}

BOOST_AUTO_TEST_CASE(scale_by_mean_nonzero_near_the_largest_double) {
  tf::RowMatrix x(3, 1);
  x << 1e308, 1e308, 1.0;
  const auto r = tf::scale_by_mean_nonzero(x);
  // mean over non-zero entries = (2e308 + 1) / 3, computed without overflow
  BOOST_TEST(r.scale[0] == 1e308 * (2.0 / 3.0), boost::test_tools::tolerance(1e-15));
  BOOST_TEST(r.values(0, 0) == 1.5, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(std::isfinite(r.values(2, 0)));
}

BOOST_AUTO_TEST_CASE(requests_too_large_for_memory_are_refused_up_front) {
  setenv("TRUSTMIX_MAX_MEMORY", "1e9", 1);  // 1 GB for this test, whatever the machine
  BOOST_TEST(trustmix::memory_limit_bytes() == 1e9);
  // Full Shapley over 30 channels: 2^30 coalitions x 8 bytes = 8 GiB.
  ta::JourneyStore s;
  std::vector<std::string> all;
  for (int c = 0; c < 30; ++c) all.push_back(std::string(c < 10 ? "ch0" : "ch") + std::to_string(c));
  s.add(all, 1, 1, 0);
  const auto st = ta::count(s, {1}, true, 1, ta::content_sets);
  ta::ShapleyOptions o;
  o.max_channels = 30;
  const auto msg = error_of([&] { (void)ta::shapley(st, o); });
  BOOST_TEST(contains(msg, "full Shapley over 30 channels"), msg);
  BOOST_TEST(contains(msg, "8 GiB"), msg);
  BOOST_TEST(contains(msg, "simplified Shapley"), msg);
  // A spend matrix of 10^9 periods.
  trustmix::Plan plan;
  plan.add_channel(trustmix::Channel("tv", trustmix::Peso::paid, trustmix::Role::conversion));
  const auto spend = error_of([&] { (void)plan.spend_matrix(trustmix::Date::from_ymd(2024, 1, 1), 1000000000, 7); });
  BOOST_TEST(contains(spend, "spend matrix of 1000000000 periods"), spend);
  unsetenv("TRUSTMIX_MAX_MEMORY");
}

BOOST_AUTO_TEST_CASE(markov_solve_stops_when_asked) {
  const auto st = ta::count(random_store(200, 6, 3), {2});
  std::atomic<bool> stop{true};
  ta::MarkovSolver sv;
  sv.stop = &stop;
  BOOST_CHECK_THROW((void)ta::markov(st, 2, 1, sv), trustmix::Interrupted);
  stop = false;
  BOOST_CHECK_NO_THROW((void)ta::markov(st, 2, 1, sv));
}

BOOST_AUTO_TEST_CASE(markov_on_a_path_of_10000_distinct_channels_is_fast_and_exact) {
  // Issue 14: one journey through 10,000 distinct channels (in an order unrelated to their
  // names) ran for 8 minutes, as each Gauss-Seidel sweep moved the answer one step along
  // the path. With the rows in sink-first component order one sweep is exact. The chain
  // is start -> c_1 -> ... -> c_N -> (conversion) or (null), each with weight 1: P(conv) =
  // 1/2, removing any channel cuts the path, so every removal effect is 1 and each channel
  // gets 1/N of the one conversion (and 2/N of its value 2).
  constexpr int N = 10000;
  std::vector<std::string> path;
  for (int c = 0; c < N; ++c) path.push_back("c" + std::to_string(c * 7919 % N));  // a permutation
  ta::JourneyStore s;
  s.add(path, 1, 2, 1);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = ta::markov(s, 1, true, 2);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST(!r.direct);  // the iterative solver (10,001 states > direct_max_states)
  BOOST_TEST(r.conversion_probability == 0.5);
  BOOST_TEST(r.removal_effects.size() == static_cast<std::size_t>(N));
  for (std::size_t c = 0; c < static_cast<std::size_t>(N); ++c) {
    BOOST_TEST(r.removal_effects[c] == 1.0);
    BOOST_TEST(r.conversions[c] == 1.0 / N, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(r.value[c] == 2.0 / N, boost::test_tools::tolerance(1e-12));
  }
  BOOST_TEST(seconds < 60.0, seconds);  // about 1 s optimised on a busy machine (was 8 minutes)
  // The components of a cycle a <-> b with an exit b -> c -> d (states 0..3): sinks first.
  const std::vector<std::int64_t> adj_start{0, 1, 3, 4, 4};
  const std::vector<std::int32_t> adj{1, 0, 2, 3};
  const auto comp = ta::detail::components_sinks_first(4, adj_start, adj);
  BOOST_TEST(comp[0] == comp[1]);
  BOOST_TEST(comp[3] < comp[2]);
  BOOST_TEST(comp[2] < comp[0]);
  BOOST_TEST(comp[3] == 0);
}

BOOST_AUTO_TEST_SUITE_END()
