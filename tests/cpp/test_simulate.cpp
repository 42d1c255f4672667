// Tests of the world simulator: closed forms, exact chain vs agents vs segments,
// common random numbers, determinism across threads, validation messages.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <stdexcept>
#include <string>

#include <trustmix/simulate/simulate.hpp>

using namespace trustmix;
using namespace trustmix::simulate;

namespace {

ChannelParams channel(const std::string& name, Peso peso, Role role, double trust_gain = 0.0) {
  ChannelParams p;
  p.channel = Channel(name, peso, role);
  p.cpm = 8.0;
  p.ctr = 0.02;
  p.engagement = 0.3;
  p.trust_gain = trust_gain;
  return p;
}

// Two segments, press (trust), instagram (conversion), tiktok (both, NB exposure).
WorldSpec small_world(bool media = true) {
  WorldSpec w;
  w.start = Date::from_ymd(2025, 1, 6);
  w.channels = {channel("press", Peso::earned, Role::trust, 0.8), channel("instagram", Peso::paid, Role::conversion),
                channel("tiktok", Peso::paid, Role::both, 0.2)};
  w.channels[2].dispersion = 1.5;
  w.audiences = {Audience("sam", 20000, 0.2, {{"press", 0.6}, {"instagram", 0.5}, {"tiktok", 0.3}}, {{"press", 0.5}}, {},
                          0.7, 0.01, 50.0),
                 Audience("lena", 10000, 0.7, {{"press", 0.4}, {"instagram", 0.7}, {"tiktok", 0.6}}, {{"instagram", 1.5}},
                          {}, 1.2, 0.03, 80.0)};
  if (media) {
    w.campaigns = {Campaign("ig_spring", "instagram", Objective::conversion, Date::from_ymd(2025, 2, 3),
                            Date::from_ymd(2025, 3, 30), 3000.0),
                   Campaign("tt_launch", "tiktok", Objective::awareness, Date::from_ymd(2025, 1, 20),
                            Date::from_ymd(2025, 2, 16), 1500.0)};
    PrActivity pr;
    pr.name = "interview";
    pr.channel = "press";
    pr.kind = PrKind::interview;
    pr.date = Date::from_ymd(2025, 1, 13);
    pr.mentions = 6;
    pr.outlet_reach = 8000;
    pr.sentiment = 0.6;
    pr.cost = 2000;
    w.pr_activities = {pr};
    WorldEvent crisis;
    crisis.name = "recall";
    crisis.date = Date::from_ymd(2025, 4, 7);
    crisis.severity = 0.3;
    crisis.mentions = 10;
    crisis.response = "interview";
    crisis.softening = 0.5;
    w.events = {crisis};
  }
  w.trust_half_life_days = 70.0;
  w.trust_effect = 0.8;
  w.amplification = 1.0;
  w.smm_effect = 1.2;
  w.memory_cap = 8;
  w.season_amplitude = 0.2;
  w.season_peak_day = 150;
  return w;
}

template <class V>
void require_equal_vectors(const V& a, const V& b, const std::string& what) {
  BOOST_REQUIRE_MESSAGE(a.size() == b.size(), what << ": sizes differ");
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i])) BOOST_FAIL(what << "[" << i << "] differs: " << a[i] << " vs " << b[i]);
}

void require_identical(const RunResult& a, const RunResult& b) {
  require_equal_vectors(a.conversions, b.conversions, "conversions");
  require_equal_vectors(a.trusting, b.trusting, "trusting");
  require_equal_vectors(a.impressions, b.impressions, "impressions");
  require_equal_vectors(a.reach, b.reach, "reach");
  require_equal_vectors(a.clicks, b.clicks, "clicks");
  require_equal_vectors(a.visits, b.visits, "visits");
  require_equal_vectors(a.survey_trusting, b.survey_trusting, "survey");
  require_equal_vectors(a.touches.user, b.touches.user, "touch user");
  require_equal_vectors(a.touches.second, b.touches.second, "touch second");
  require_equal_vectors(a.touches.source, b.touches.source, "touch source");
  require_equal_vectors(a.touches.kind, b.touches.kind, "touch kind");
  require_equal_vectors(a.conversion_log.user, b.conversion_log.user, "conversion user");
  require_equal_vectors(a.conversion_log.second, b.conversion_log.second, "conversion second");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(simulate_world)

BOOST_AUTO_TEST_CASE(trust_decays_to_baseline_with_the_stated_half_life) {
  WorldSpec spec = small_world(false);
  spec.initial_trust = {{"sam", 0.9}, {"lena", 0.1}};
  const World w(spec, 7);
  RunOptions opt;
  opt.periods = 30;
  opt.period_days = 7;
  const auto ex = expected_chain(w, w.baseline_variant(), opt, {20000.0, 10000.0});
  const double r = std::pow(0.5, 7.0 / 70.0);
  for (int t = 0; t < opt.periods; ++t) {
    // G[t] - b = r^(t+1) (G[-1] - b): the state after period t's transition.
    const double sam = 0.2 + std::pow(r, t + 1) * (0.9 - 0.2);
    const double lena = 0.7 + std::pow(r, t + 1) * (0.1 - 0.7);
    BOOST_TEST(ex.trusting[static_cast<std::size_t>(2 * t)] / 20000.0 == sam, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(ex.trusting[static_cast<std::size_t>(2 * t + 1)] / 10000.0 == lena, boost::test_tools::tolerance(1e-12));
  }
  // After 70 days = 10 weeks the gap to baseline has halved.
  BOOST_TEST((ex.trusting[2 * 9] / 20000.0 - 0.2) == 0.35, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(transition_rows_are_probability_distributions) {
  const World w(small_world(), 3);
  RunOptions opt;
  opt.periods = 12;
  const Dynamics dyn(w, w.baseline_variant(), opt, {20000.0, 10000.0});
  for (int s = 0; s < 2; ++s)
    for (int t = 0; t < opt.periods; ++t) {
      const Eigen::MatrixXd P = dyn.transition(s, t);
      BOOST_TEST(P.minCoeff() >= 0.0);
      for (Eigen::Index i = 0; i < P.rows(); ++i) BOOST_TEST(P.row(i).sum() == 1.0, boost::test_tools::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(agent_and_segment_modes_agree_with_the_exact_chain) {
  // Per period, realised counts are sums of independent Bernoulli variables over people,
  // so |realised - expected| <= 5 sqrt(variance) with variance <= expected (conversions)
  // or <= N/4 (trusting). Both modes are checked against the chain and against each other.
  const World w(small_world(), 11);
  RunOptions opt;
  opt.periods = 26;
  opt.threads = 2;
  const RunResult agent = run_agent(w, w.baseline_variant(), opt);
  const RunResult seg = run_segment(w, w.baseline_variant(), opt);
  double total_agent = 0.0, total_expected = 0.0;
  for (std::size_t i = 0; i < agent.conversions.size(); ++i) {
    const double e = agent.expected_conversions[i];
    BOOST_TEST(seg.expected_conversions[i] == e, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(std::abs(agent.conversions[i] - e) <= 5.0 * std::sqrt(e));
    BOOST_TEST(std::abs(seg.conversions[i] - e) <= 5.0 * std::sqrt(e));
    BOOST_TEST(std::abs(agent.conversions[i] - seg.conversions[i]) <= 5.0 * std::sqrt(2.0 * e));
    const double n = agent.population[i % 2];
    BOOST_TEST(std::abs(agent.trusting[i] - agent.expected_trusting[i]) <= 5.0 * std::sqrt(n / 4.0));
    BOOST_TEST(std::abs(seg.trusting[i] - agent.expected_trusting[i]) <= 5.0 * std::sqrt(n / 4.0));
    total_agent += agent.conversions[i];
    total_expected += e;
  }
  BOOST_TEST(total_expected > 2000.0);  // the test has power: thousands of conversions
  BOOST_TEST(std::abs(total_agent / total_expected - 1.0) < 0.05);
}

BOOST_AUTO_TEST_CASE(daily_agents_agree_with_the_chain) {
  // Daily periods: small per-period probabilities, so the check is on 10-day sums
  // (sums over people of independent variables per person; per person the 10 daily
  // indicators are dependent, so the variance bound uses 10 x mean).
  const World w(small_world(), 21);
  RunOptions opt;
  opt.periods = 120;
  opt.period_days = 1;
  const RunResult agent = run_agent(w, w.baseline_variant(), opt);
  for (int b = 0; b < 12; ++b) {
    double real = 0.0, expected = 0.0;
    for (int t = 10 * b; t < 10 * b + 10; ++t)
      for (int s = 0; s < 2; ++s) {
        real += agent.conversions[static_cast<std::size_t>(t * 2 + s)];
        expected += agent.expected_conversions[static_cast<std::size_t>(t * 2 + s)];
      }
    BOOST_TEST_CONTEXT("days " << 10 * b << "..") {
      BOOST_TEST(expected > 100.0);
      BOOST_TEST(std::abs(real - expected) <= 5.0 * std::sqrt(10.0 * expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(agent_impressions_match_the_planned_delivery) {
  // Expected impressions of the agents equal spend / cpm * 1000 (+ earned reach).
  const World w(small_world(), 5);
  RunOptions opt;
  opt.periods = 12;
  const RunResult agent = run_agent(w, w.baseline_variant(), opt);
  const Drive d = w.drive(w.baseline_variant(), opt.periods, 7);
  for (int c = 0; c < 3; ++c) {
    double realised = 0.0, planned = 0.0;
    for (int t = 0; t < opt.periods; ++t) {
      planned += d.impressions(t, c);
      for (int s = 0; s < 2; ++s) realised += agent.impressions[static_cast<std::size_t>((t * 2 + s) * 3 + c)];
    }
    BOOST_TEST_CONTEXT("channel " << c) {
      BOOST_TEST(planned > 1000.0);
      BOOST_TEST(std::abs(realised - planned) <= 6.0 * std::sqrt(planned * 4.0));  // NB/Poisson overdispersion bound
    }
  }
}

BOOST_AUTO_TEST_CASE(bit_identical_for_every_thread_count) {
  const World w(small_world(), 42);
  RunOptions opt;
  opt.periods = 20;
  opt.threads = 1;
  const RunResult a1 = run_agent(w, w.baseline_variant(), opt);
  const RunResult s1 = run_segment(w, w.baseline_variant(), opt);
  for (int threads : {2, 3, 4}) {
    opt.threads = threads;
    require_identical(a1, run_agent(w, w.baseline_variant(), opt));
    require_identical(s1, run_segment(w, w.baseline_variant(), opt));
  }
  BOOST_TEST(a1.touches.user.size() > 1000U);
  // Another seed gives other numbers.
  const World w2(small_world(), 43);
  opt.threads = 1;
  BOOST_TEST(run_agent(w2, w2.baseline_variant(), opt).conversions != a1.conversions);
}

BOOST_AUTO_TEST_CASE(common_random_numbers_make_a_zero_change_counterfactual_exactly_equal) {
  WorldSpec spec = small_world();
  spec.channels.push_back(channel("linkedin", Peso::paid, Role::conversion));  // no campaigns: removing it changes nothing
  const World w(spec, 9);
  RunOptions opt;
  opt.periods = 16;
  Variant v = w.baseline_variant();
  v.channel_off[3] = 1;
  require_identical(run_agent(w, w.baseline_variant(), opt), run_agent(w, v, opt));
  require_identical(run_segment(w, w.baseline_variant(), opt), run_segment(w, v, opt));
  // A real removal changes only periods from the channel's first activity on.
  Variant ig = w.baseline_variant();
  ig.channel_off[1] = 1;
  const RunResult base = run_agent(w, w.baseline_variant(), opt), cf = run_agent(w, ig, opt);
  const int first = w.drive(w.baseline_variant(), opt.periods, 7).first_active[1];
  BOOST_TEST(first == 4);
  for (int t = 0; t < first; ++t)
    for (int s = 0; s < 2; ++s)
      BOOST_TEST(base.conversions[static_cast<std::size_t>(t * 2 + s)] ==
                 cf.conversions[static_cast<std::size_t>(t * 2 + s)]);
}

BOOST_AUTO_TEST_CASE(removing_all_media_gives_zero_incremental_effect) {
  const World w(small_world(false), 2);
  RunOptions opt;
  opt.periods = 20;
  const Truth tr = ground_truth(w, opt, {20000.0, 10000.0});
  for (const auto& e : tr.channels) {
    BOOST_TEST(e.conversions == 0.0);
    BOOST_TEST(e.revenue == 0.0);
    BOOST_TEST(e.window_start == -1);
  }
  const RunResult base = run_agent(w, w.baseline_variant(), opt);
  BOOST_TEST(realised_channel_increments(w, opt, base).cwiseAbs().maxCoeff() == 0.0);
  // And a world whose media are all switched off equals the world without media
  // (events are not media: the crisis is dropped from both).
  WorldSpec media_spec = small_world(true);
  media_spec.events.clear();
  const World with(media_spec, 2);
  Variant off = with.baseline_variant();
  for (auto& c : off.channel_off) c = 1;
  const auto a = expected_chain(with, off, opt, {20000.0, 10000.0});
  const auto b = expected_chain(w, w.baseline_variant(), opt, {20000.0, 10000.0});
  BOOST_TEST(a.conversions == b.conversions, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ground_truth_splits_short_and_long_term) {
  const World w(small_world(), 4);
  RunOptions opt;
  opt.periods = 52;
  const Truth tr = ground_truth(w, opt, {20000.0, 10000.0});
  const auto& press = tr.channels[0];
  const auto& ig = tr.channels[1];
  BOOST_TEST(press.conversions > 0.0);
  BOOST_TEST(ig.conversions > 0.0);
  for (const auto& e : tr.channels) {
    BOOST_TEST(e.short_conversions + e.long_conversions == e.conversions, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(tr.channel_incremental_conversions.col(&e - tr.channels.data()).sum() == e.conversions,
               boost::test_tools::tolerance(1e-9));
  }
  // PR builds trust that outlasts the campaign: a large share of its effect is long-term,
  // while instagram (no trust role) ends within its window + lag up to the memory's tail.
  BOOST_TEST(press.long_conversions / press.conversions > 0.3);
  BOOST_TEST(ig.long_conversions / ig.conversions < press.long_conversions / press.conversions);
  BOOST_TEST(ig.cost == 3000.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(press.cost == 2000.0);
  BOOST_TEST(std::isfinite(ig.marginal_roi));
  BOOST_TEST(ig.marginal_roi > -1.0);  // the next 1% of spend brings some revenue back
  BOOST_TEST(ig.marginal_roi < ig.roi());  // diminishing returns
  // roas is gross (revenue per unit of cost), roi net of the cost: TrustFit.roi's roi_total
  BOOST_TEST(ig.roas() == ig.revenue / 3000.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(ig.roi() == (ig.revenue - ig.cost) / ig.cost, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(ig.roi() == ig.roas() - 1.0, boost::test_tools::tolerance(1e-12));
  // Agents with common random numbers: the realised increment tracks the expected one.
  opt.periods = 30;
  const RunResult base = run_agent(w, w.baseline_variant(), opt);
  const Eigen::MatrixXd real = realised_channel_increments(w, opt, base);
  const Truth tr30 = ground_truth(w, opt, {20000.0, 10000.0});
  const double expected_ig = tr30.channels[1].conversions, realised_ig = real.col(1).sum();
  BOOST_TEST(std::abs(realised_ig - expected_ig) <= 5.0 * std::sqrt(expected_ig + 1.0) + 0.25 * expected_ig);
}

BOOST_AUTO_TEST_CASE(crisis_response_softens_the_trust_shock) {
  const World w(small_world(), 8);
  RunOptions opt;
  opt.periods = 20;
  Variant no_response = w.baseline_variant();
  no_response.activity_off[0] = 1;
  const auto a = expected_chain(w, w.baseline_variant(), opt, {20000.0, 10000.0});
  const auto b = expected_chain(w, no_response, opt, {20000.0, 10000.0});
  const int crisis = w.period_of(Date::from_ymd(2025, 4, 7), 7);
  // The shock in the crisis period: softened by half with the response.
  const double before_a = a.trusting[static_cast<std::size_t>(2 * (crisis - 1))];
  const double after_a = a.trusting[static_cast<std::size_t>(2 * crisis)];
  const double before_b = b.trusting[static_cast<std::size_t>(2 * (crisis - 1))];
  const double after_b = b.trusting[static_cast<std::size_t>(2 * crisis)];
  BOOST_TEST(after_a - before_a > after_b - before_b);
  BOOST_TEST(after_b < before_b);
}

BOOST_AUTO_TEST_CASE(validation_errors_name_field_and_value) {
  auto message = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  };
  WorldSpec bad = small_world();
  bad.channels[1].ctr = 1.5;
  std::string msg = message([&] { World(bad, 1); });
  BOOST_TEST(msg.find("channel 'instagram': ctr") != std::string::npos, msg);
  BOOST_TEST(msg.find("1.5") != std::string::npos, msg);
  msg = message([] { Audience("x", -5.0); });
  BOOST_TEST(msg.find("size") != std::string::npos, msg);
  BOOST_TEST(msg.find("-5") != std::string::npos, msg);
  bad = small_world();
  bad.campaigns[0].channel = "snapchat";
  msg = message([&] { World(bad, 1); });
  BOOST_TEST(msg.find("unknown channel 'snapchat'") != std::string::npos, msg);
  bad = small_world();
  bad.pr_activities[0].channel = "radio";
  msg = message([&] { World(bad, 1); });
  BOOST_TEST(msg.find("PR activity 'interview': unknown channel 'radio'") != std::string::npos, msg);
  bad = small_world();
  bad.events[0].severity = -0.1;
  msg = message([&] { World(bad, 1); });
  BOOST_TEST(msg.find("event 'recall': severity") != std::string::npos, msg);
  bad = small_world();
  bad.audiences[0].size = 10.5;
  msg = message([&] { World(bad, 1); });
  BOOST_TEST(msg.find("whole number") != std::string::npos, msg);
  const World w(small_world(), 1);
  RunOptions opt;
  opt.period_days = 3;
  msg = message([&] { (void)run_segment(w, w.baseline_variant(), opt); });
  BOOST_TEST(msg.find("period_days") != std::string::npos, msg);
}

BOOST_AUTO_TEST_CASE(counter_rng_is_uniform_and_keyed) {
  // Mean and variance of 2e5 uniforms (sd of the mean 6.5e-4) and distinct keys.
  const CounterStream s = stream(1, Domain::person, 5, 3);
  double sum = 0.0, sum2 = 0.0;
  const int n = 200000;
  for (int j = 0; j < n; ++j) {
    const double u = s.uniform(static_cast<std::uint64_t>(j));
    sum += u;
    sum2 += u * u;
  }
  BOOST_TEST(std::abs(sum / n - 0.5) < 0.004);
  BOOST_TEST(std::abs(sum2 / n - sum * sum / n / n - 1.0 / 12.0) < 0.002);
  BOOST_TEST(stream(1, Domain::person, 5, 3).base != stream(1, Domain::person, 6, 3).base);
  BOOST_TEST(stream(1, Domain::person, 5, 3).base != stream(2, Domain::person, 5, 3).base);
  BOOST_TEST(binomial_by_inversion(10, 0.0, 0.5) == 0);
  BOOST_TEST(binomial_by_inversion(10, 1.0, 0.5) == 10);
  // Inversion: Binomial(3, 0.5) cdf = 1/8, 1/2, 7/8, 1.
  BOOST_TEST(binomial_by_inversion(3, 0.5, 0.1) == 0);
  BOOST_TEST(binomial_by_inversion(3, 0.5, 0.3) == 1);
  BOOST_TEST(binomial_by_inversion(3, 0.5, 0.8) == 2);
  BOOST_TEST(binomial_by_inversion(3, 0.5, 0.9) == 3);
}

BOOST_AUTO_TEST_SUITE_END()
