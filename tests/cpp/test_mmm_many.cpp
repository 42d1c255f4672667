// Many models at once (include/trustmix/mmm/many.hpp): seeds from (seed, name) only, the
// collection equal to fitting one by one on any thread count and order, a failing model
// reported without stopping the others, interruption.
#include <boost/test/unit_test.hpp>

#include <trustmix/mmm/many.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace trustmix::mmm;

namespace {

// A small national panel: press (trust), instagram (conversion), an outcome with a known
// press and instagram effect plus noise (seeded by k, so each market differs).
TrustModelSpec market(int T, unsigned k) {
  std::mt19937_64 rng(1000 + k);
  std::normal_distribution<double> n(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.5, 1.5);
  TrustModelSpec s;
  s.channels = {"press", "instagram"};
  s.roles = {Role::trust, Role::conversion};
  s.media.resize(T, 2);
  s.outcome.resize(T);
  double stock = 0.0;
  for (int t = 0; t < T; ++t) {
    s.media(t, 0) = t % 3 == 0 ? 0.0 : 100.0 * u(rng);
    s.media(t, 1) = t % 4 == 1 ? 0.0 : 80.0 * u(rng);
    stock = 0.8 * stock + 0.2 * s.media(t, 0) / 100.0;
    s.outcome[t] = 200.0 + 30.0 * stock + 0.2 * s.media(t, 1) + 5.0 * n(rng);
  }
  s.seasonality = 1;
  s.max_lag = 4;
  return s;
}

bool same(const ManyFit& a, const ManyFit& b) {
  if (a.name != b.name || a.seed != b.seed || a.ok != b.ok || a.error != b.error) return false;
  if (!a.ok) return true;
  if (!(a.map.mode.size() == b.map.mode.size() && (a.map.mode.array() == b.map.mode.array()).all() &&
        a.map.log_density == b.map.log_density))
    return false;
  if (a.posterior.has_value() != b.posterior.has_value()) return false;
  return !a.posterior || a.posterior->values == b.posterior->values;
}

}  // namespace

BOOST_AUTO_TEST_CASE(model_seed_is_splitmix_of_the_fnv_hash_of_the_name) {
  // Pinned values (the Python test pins the same numbers for trustmix.mmm.model_seed).
  BOOST_TEST(model_seed(0, "") == 0xef9ead53f3d83e9fULL);
  BOOST_TEST(model_seed(7, "DE") == 0x675c826c296acd63ULL);
  BOOST_TEST(model_seed(~0ULL, "Z\xc3\xbcrich") == 0x64cb98a48c62f755ULL);  // UTF-8 bytes, seed wraps mod 2^64
  BOOST_TEST(model_seed(7, "DE") != model_seed(7, "FR"));
  BOOST_TEST(model_seed(7, "DE") != model_seed(8, "DE"));
  static_assert(model_seed(1, "a") == model_seed(1, "a"));
}

BOOST_AUTO_TEST_CASE(fit_many_equals_fitting_one_by_one_on_every_thread_count_and_order) {
  const int M = 5, T = 60;
  std::vector<std::string> names;
  std::vector<TrustModelSpec> specs;
  for (int k = 0; k < M; ++k) {
    names.push_back("market_" + std::to_string(k));
    specs.push_back(market(T, static_cast<unsigned>(k)));
  }
  FitManyOptions o;
  o.seed = 42;
  o.restarts = 2;
  o.nuts = true;
  o.chains = 2;
  o.draws = 30;
  o.tune = 40;
  o.threads = 1;
  const auto serial = fit_many(names, specs, o);
  o.threads = 2;
  const auto two = fit_many(names, specs, o);
  // Reversed order: the same fits (seeds follow the names, not the positions).
  std::vector<std::string> rn(names.rbegin(), names.rend());
  std::vector<TrustModelSpec> rs(specs.rbegin(), specs.rend());
  const auto reversed = fit_many(rn, rs, o);
  BOOST_REQUIRE(serial.size() == static_cast<std::size_t>(M));
  for (int k = 0; k < M; ++k) {
    const auto one = fit_one(names[k], specs[k], model_seed(42, names[k]), o);
    BOOST_TEST_CONTEXT("model " << k) {
      BOOST_TEST(serial[k].ok);
      BOOST_TEST(serial[k].posterior->values.size() == static_cast<std::size_t>(2 * 30 * serial[k].posterior->dimension));
      BOOST_TEST(same(serial[k], one));
      BOOST_TEST(same(two[k], one));
      BOOST_TEST(same(reversed[static_cast<std::size_t>(M - 1 - k)], one));
      BOOST_TEST(std::isfinite(one.map.log_density));
    }
  }
  // Different names give different seeds and so different draws for the same data.
  const auto renamed = fit_one("other", specs[0], model_seed(42, "other"), o);
  BOOST_TEST(renamed.posterior->values != serial[0].posterior->values);
}

BOOST_AUTO_TEST_CASE(a_failing_model_is_reported_and_the_others_are_fitted) {
  std::vector<TrustModelSpec> specs{market(50, 1), market(50, 2), market(50, 3)};
  specs[1].media.conservativeResize(40, 2);  // 40 rows of media for 50 periods
  FitManyOptions o;
  o.restarts = 1;
  const auto r = fit_many({"a", "b", "c"}, specs, o);
  BOOST_TEST(r[0].ok);
  BOOST_TEST(!r[1].ok);
  BOOST_TEST(r[2].ok);
  BOOST_TEST(r[1].error.find("media") != std::string::npos, r[1].error);
  BOOST_TEST(same(r[2], fit_one("c", specs[2], model_seed(0, "c"), o)));
  BOOST_CHECK_THROW((void)fit_many({"a", "a"}, {specs[0], specs[2]}, o), std::invalid_argument);
  BOOST_CHECK_THROW((void)fit_many({"a"}, {specs[0], specs[2]}, o), std::invalid_argument);
  o.restarts = 0;
  BOOST_CHECK_THROW((void)fit_many({"a"}, {specs[0]}, o), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_set_stop_flag_interrupts_the_collection) {
  std::atomic<bool> stop{true};
  std::atomic<std::int64_t> done{0};
  FitManyOptions o;
  o.stop = &stop;
  o.models_done = &done;
  BOOST_CHECK_THROW((void)fit_many({"a", "b"}, {market(50, 1), market(50, 2)}, o), trustmix::Interrupted);
  BOOST_TEST(done.load() == 0);
  stop = false;
  const auto r = fit_many({"a", "b"}, {market(50, 1), market(50, 2)}, o);
  BOOST_TEST(done.load() == 2);
  BOOST_TEST((r[0].ok && r[1].ok));
}

// The restarts' best mode does not depend on their order or on the scale of the log
// density (the Python rule, TrustMMM._best_mode): at |lp| ~ 1e5 a converged mode 0.05
// nats lower than an unconverged one is a different mode (a relative 1e-6 called it a tie).
BOOST_AUTO_TEST_CASE(best_mode_is_independent_of_the_order_of_the_restarts) {
  auto result = [](double lp, bool converged) {
    MapResult r;
    r.log_density = lp;
    r.converged = converged;
    return r;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // 0: unconverged top; 1: converged 0.05 nats lower (a different mode); 2: converged within
  // 1e-4 nats of the top (the same mode as 0): 2 wins in every order.
  std::vector<MapResult> base{result(-1.0e5, false), result(-1.0e5 - 0.05, true), result(-1.0e5 - 1e-4, true),
                              result(nan, false)};
  std::vector<int> order{0, 1, 2, 3};
  do {
    std::vector<MapResult> rs;
    for (int i : order) rs.push_back(base[static_cast<std::size_t>(i)]);
    const std::size_t k = detail::best_mode(rs);
    BOOST_TEST(rs[k].log_density == -1.0e5 - 1e-4);
    BOOST_TEST(rs[k].converged);
  } while (std::next_permutation(order.begin(), order.end()));
  // two equal results: the earlier restart
  std::vector<MapResult> tie{result(-3.0, true), result(-3.0, true)};
  BOOST_TEST(detail::best_mode(tie) == 0u);
  // nothing finite: the first
  std::vector<MapResult> none{result(nan, false), result(-std::numeric_limits<double>::infinity(), false)};
  BOOST_TEST(detail::best_mode(none) == 0u);
}
