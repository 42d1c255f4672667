// Message variants in the simulated world (issue 16): the true conversion rates against
// the exact chain and closed forms, an A/B test recovering the simulated truth, a live
// Thompson bandit putting traffic on each persona's best variant, determinism, and input
// checks.
#include <boost/test/unit_test.hpp>

#include <trustmix/simulate/messages.hpp>
#include <trustmix/simulate/simulate.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

using namespace trustmix;
using namespace trustmix::simulate;
namespace ex = trustmix::experiments;

namespace {

// Four personas of 200,000 people, one Instagram campaign over the first 12 weeks.
WorldSpec message_world(bool smm = true) {
  WorldSpec w;
  w.start = Date::from_ymd(2025, 1, 6);
  ChannelParams ig;
  ig.channel = Channel("instagram", Peso::paid, Role::conversion);
  ig.cpm = 6.0;
  ig.engagement = 0.2;
  w.channels = {ig};
  const char* names[] = {"skeptic", "enthusiast", "pragmatist", "newcomer"};
  const double trust[] = {0.15, 0.7, 0.4, 0.3};
  const double base[] = {0.01, 0.03, 0.02, 0.015};
  for (int s = 0; s < 4; ++s)
    w.audiences.emplace_back(names[s], 200000.0, trust[s], std::map<std::string, double>{{"instagram", 0.6}},
                             std::map<std::string, double>{}, Metadata{}, 1.0, base[s], 50.0);
  w.campaigns = {Campaign("ig_test", "instagram", Objective::conversion, Date::from_ymd(2025, 1, 6),
                          Date::from_ymd(2025, 3, 30), 12 * 4000.0)};
  w.trust_effect = 1.0;
  w.smm_effect = smm ? 1.0 : 0.0;
  w.season_amplitude = smm ? 0.2 : 0.0;
  return w;
}

// Plain, fun, easy, popular: fun wins for enthusiasts, easy for pragmatists and
// newcomers, popular for skeptics.
MessageSpec framings() {
  MessageSpec m;
  m.campaign = "ig_test";
  m.variants = {{"plain", {}},
                {"fun", {{"enthusiast", 0.4}, {"skeptic", -0.1}}},
                {"easy", {{"pragmatist", 0.35}, {"newcomer", 0.4}, {"enthusiast", 0.05}}},
                {"popular", {{"skeptic", 0.3}, {"newcomer", 0.15}}}};
  return m;
}
const std::size_t best_variant[] = {3, 1, 2, 2};

MessageTestOptions options(MessageDesign design, int periods = 12) {
  MessageTestOptions o;
  o.periods = periods;
  o.design = design;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(true_rates_match_the_exact_chain_and_closed_forms) {
  // Without appeal every variant's rate is the world's own: expected conversions / N.
  const World world(message_world(), 5);
  MessageSpec flat = framings();
  for (auto& v : flat.variants) v.appeal.clear();
  const auto run = run_message_test(world, flat, options(MessageDesign::ab, 6));
  RunOptions ro;
  ro.periods = 6;
  const Expected e = expected_chain(world, world.baseline_variant(), ro, simulate::detail::full_population(world));
  for (int t = 0; t < 6; ++t)
    for (int s = 0; s < 4; ++s)
      for (int v = 0; v < 4; ++v)
        BOOST_TEST(run.true_rate[static_cast<std::size_t>((t * 4 + s) * 4 + v)] ==
                       e.conversions[static_cast<std::size_t>(t * 4 + s)] / 200000.0,
                   boost::test_tools::tolerance(1e-12));
  // Without ad memory and season the rate of a trust state is one logistic: q_T =
  // logistic(logit(p0) + gamma T + a).
  const World plain(message_world(false), 5);
  const auto r2 = run_message_test(plain, framings(), options(MessageDesign::ab, 3));
  const double p0 = 0.02;  // pragmatist, per 7 days = per period
  const double eta = std::log(p0 / (1 - p0));
  for (int t = 0; t < 3; ++t) {
    const auto i = static_cast<std::size_t>((t * 4 + 2) * 4 + 2);  // pragmatist, easy
    BOOST_TEST(r2.rate_untrusting[i] == 1.0 / (1.0 + std::exp(-(eta + 0.35))), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(r2.rate_trusting[i] == 1.0 / (1.0 + std::exp(-(eta + 1.0 + 0.35))), boost::test_tools::tolerance(1e-12));
    const double g = r2.trusting_share[static_cast<std::size_t>(t * 4 + 2)];
    BOOST_TEST(r2.true_rate[i] == g * r2.rate_trusting[i] + (1 - g) * r2.rate_untrusting[i],
               boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(enrolled_users_follow_the_campaign_reach) {
  // users ~ Binomial(N, e r (1 - exp(-f))): Poisson exposure, the campaign alone on its channel.
  const World world(message_world(), 5);
  MessageSpec m = framings();
  m.enrolment = 0.5;
  const auto run = run_message_test(world, m, options(MessageDesign::ab, 12));
  RunOptions ro;
  ro.periods = 12;
  const Dynamics dyn(world, world.baseline_variant(), ro, simulate::detail::full_population(world));
  double z2 = 0.0;
  for (int t = 0; t < 12; ++t)
    for (int s = 0; s < 4; ++s) {
      double users = 0.0;
      for (int v = 0; v < 4; ++v) users += run.users[static_cast<std::size_t>((t * 4 + s) * 4 + v)];
      const double p = 0.5 * 0.6 * (1.0 - std::exp(-dyn.frequency(t, 0)));
      const double z = (users - 200000.0 * p) / std::sqrt(200000.0 * p * (1 - p));
      z2 += z * z;
    }
  // 48 independent binomials: chi-square with 48 df, below its 99.9% quantile (84.0).
  BOOST_TEST(z2 < 84.0);
  BOOST_TEST(z2 > 22.0);  // above its 0.1% quantile
}

BOOST_AUTO_TEST_CASE(ab_test_recovers_the_simulated_truth) {
  const World world(message_world(), 11);
  const auto run = run_message_test(world, framings(), options(MessageDesign::ab, 12));
  double z2 = 0.0;
  for (int s = 0; s < 4; ++s) {
    std::vector<double> est(4), truth(4);
    for (int v = 0; v < 4; ++v) {
      double n = 0.0, y = 0.0, q = 0.0;
      for (int t = 0; t < 12; ++t) {
        const auto i = static_cast<std::size_t>((t * 4 + s) * 4 + v);
        n += run.users[i];
        y += run.conversions[i];
        q += run.users[i] * run.true_rate[i];
        BOOST_TEST(run.shares[i] == 0.25);
      }
      est[static_cast<std::size_t>(v)] = y / n;
      truth[static_cast<std::size_t>(v)] = q / n;
      const double z = (y - q) / std::sqrt(q * (1 - q / n));
      z2 += z * z;
    }
    // The test finds each persona's best framing ...
    BOOST_TEST(static_cast<std::size_t>(std::max_element(est.begin(), est.end()) - est.begin()) == best_variant[s]);
    BOOST_TEST(static_cast<std::size_t>(std::max_element(truth.begin(), truth.end()) - truth.begin()) == best_variant[s]);
    // ... and the lift of the best over plain within 4 standard errors.
    const std::size_t b = best_variant[s];
    double nb = 0.0, n0 = 0.0;
    for (int t = 0; t < 12; ++t) {
      nb += run.users[static_cast<std::size_t>((t * 4 + s) * 4) + b];
      n0 += run.users[static_cast<std::size_t>((t * 4 + s) * 4)];
    }
    const double se = std::sqrt(est[b] * (1 - est[b]) / nb + est[0] * (1 - est[0]) / n0);
    BOOST_TEST(std::abs((est[b] - est[0]) - (truth[b] - truth[0])) < 4.0 * se);
    BOOST_TEST((est[b] - est[0]) / se > 4.0);  // a big enough sample: clearly significant
  }
  // 16 persona x variant rates: chi-square with 16 df below its 99.9% quantile.
  BOOST_TEST(z2 < 39.3);
}

BOOST_AUTO_TEST_CASE(live_thompson_bandit_moves_traffic_to_each_personas_best) {
  const World world(message_world(), 11);
  MessageTestOptions o = options(MessageDesign::bandit, 12);
  o.bandit.policy = ex::Policy::thompson;
  o.bandit.floor = 0.02;
  const auto run = run_message_test(world, framings(), o);
  const auto ab = run_message_test(world, framings(), options(MessageDesign::ab, 12));
  for (int s = 0; s < 4; ++s) {
    double total = 0.0, on_best = 0.0;
    for (int t = 0; t < 12; ++t)
      for (int v = 0; v < 4; ++v) {
        const auto i = static_cast<std::size_t>((t * 4 + s) * 4 + v);
        total += run.users[i];
        if (static_cast<std::size_t>(v) == best_variant[s]) on_best += run.users[i];
      }
    BOOST_TEST_MESSAGE("persona " << s << ": share of users on the best variant " << on_best / total);
    BOOST_TEST(on_best / total > 0.5);
    // First period: no data yet, equal shares; last period: most traffic on the best.
    BOOST_TEST(run.shares[static_cast<std::size_t>(s * 4) + best_variant[s]] == 0.25, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(run.shares[static_cast<std::size_t>((11 * 4 + s) * 4) + best_variant[s]] > 0.8);
  }
  BOOST_TEST(run.regret.back() < 0.5 * ab.regret.back());
  // Batched UCB and top-two Thompson run live too, and also beat the uniform split.
  o.bandit.policy = ex::Policy::ucb;
  BOOST_TEST(run_message_test(world, framings(), o).regret.back() < ab.regret.back());
  o.bandit.policy = ex::Policy::top_two_thompson;
  BOOST_TEST(run_message_test(world, framings(), o).regret.back() < ab.regret.back());
}

BOOST_AUTO_TEST_CASE(message_tests_are_deterministic_and_checked) {
  const World world(message_world(), 3);
  MessageTestOptions o = options(MessageDesign::bandit, 6);
  const auto a = run_message_test(world, framings(), o);
  const auto b = run_message_test(world, framings(), o);
  BOOST_TEST(a.users == b.users, boost::test_tools::per_element());
  BOOST_TEST(a.conversions == b.conversions, boost::test_tools::per_element());
  o.stream = 1;
  BOOST_TEST(run_message_test(world, framings(), o).users != a.users);
  o.first_period = 2;
  const auto late = run_message_test(world, framings(), o);
  BOOST_TEST(late.periods == 4);
  BOOST_TEST(late.true_rate[0] == a.true_rate[static_cast<std::size_t>(2 * 16)], boost::test_tools::tolerance(1e-12));

  auto throws_with = [&](MessageSpec m, MessageTestOptions opt, const std::string& needle) {
    try {
      (void)run_message_test(world, m, opt);
    } catch (const std::invalid_argument& e) {
      BOOST_TEST_MESSAGE(e.what());
      BOOST_TEST(std::string(e.what()).find(needle) != std::string::npos);
      return;
    }
    BOOST_FAIL("no error for " << needle);
  };
  MessageSpec m = framings();
  m.campaign = "nope";
  throws_with(m, options(MessageDesign::ab), "no campaign named 'nope' (campaigns: ig_test)");
  m = framings();
  m.variants[1].appeal["martian"] = 0.1;
  throws_with(m, options(MessageDesign::ab), "unknown audience 'martian'");
  m = framings();
  m.variants[2].name = "fun";
  throws_with(m, options(MessageDesign::ab), "variant 'fun' is given twice");
  m = framings();
  m.variants.resize(1);
  throws_with(m, options(MessageDesign::ab), "at least 2 variants");
  MessageTestOptions w = options(MessageDesign::ab);
  w.weights = {1, 1};
  throws_with(framings(), w, "weights: expected one per variant (4)");
  w = options(MessageDesign::ab);
  w.first_period = 12;
  throws_with(framings(), w, "first_period must be in [0, periods)");
  m = framings();
  m.enrolment = 0.0;
  throws_with(m, options(MessageDesign::ab), "enrolment");
}

BOOST_AUTO_TEST_CASE(ucb_batch_shares_closed_forms) {
  // Two equal arms share a batch equally; an arm never pulled gets the first user.
  const std::vector<ex::ArmStats> equal{{100, 10, 10}, {100, 10, 10}};
  const auto w = ex::ucb_batch_shares(equal, 1000, ex::Reward::bernoulli, 200);
  BOOST_TEST(w[0] == 0.5);
  BOOST_TEST(w[1] == 0.5);
  const std::vector<ex::ArmStats> fresh{{100, 10, 10}, {0, 0, 0}, {50, 2, 2}};
  const auto one = ex::ucb_batch_shares(fresh, 1, ex::Reward::bernoulli, 150);
  BOOST_TEST(one[1] == 1.0);
  // A batch of one goes to the argmax of the UCB1 index.
  const std::vector<ex::ArmStats> s{{100, 10, 10}, {30, 2, 2}, {400, 50, 50}};
  const auto first = ex::ucb_batch_shares(s, 1, ex::Reward::bernoulli, 530);
  std::size_t arg = 0;
  for (std::size_t i = 1; i < 3; ++i)
    if (ex::ucb_index(s[i], 531, ex::Reward::bernoulli) > ex::ucb_index(s[arg], 531, ex::Reward::bernoulli)) arg = i;
  BOOST_TEST(first[arg] == 1.0);
  BOOST_CHECK_THROW((void)ex::ucb_batch_shares(s, 0.0, ex::Reward::bernoulli, 1), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(spend_is_paced_to_the_budget) {
  const World world(message_world(), 11);
  MessageTestOptions o = options(MessageDesign::bandit, 12);
  o.costs = {0.02, 0.02, 0.03, 0.05};
  const auto free = run_message_test(world, framings(), o);
  double cost = 0.0;
  for (std::size_t i = 0; i < free.users.size(); ++i) cost += free.users[i] * o.costs[i % 4];
  double spent = 0.0;
  for (double x : free.spend) spent += x;
  BOOST_TEST(spent == cost, boost::test_tools::tolerance(1e-12));
  // A budget above the cost changes nothing; half of it is met within 2%, evenly paced.
  o.budget = 2.0 * cost;
  const auto same = run_message_test(world, framings(), o);
  BOOST_TEST(same.users == free.users, boost::test_tools::per_element());
  o.budget = 0.5 * cost;
  const auto paced = run_message_test(world, framings(), o);
  double total = 0.0;
  for (double x : paced.spend) total += x;
  BOOST_TEST_MESSAGE("paced spend " << total << " of budget " << o.budget);
  BOOST_TEST(std::abs(total / o.budget - 1.0) < 0.02);
  for (double x : paced.spend) BOOST_TEST(std::abs(x / (o.budget / 12.0) - 1.0) < 0.2);
  o.costs = {1.0};
  BOOST_CHECK_THROW((void)run_message_test(world, framings(), o), std::invalid_argument);
}
