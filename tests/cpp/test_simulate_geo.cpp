// Geo experiments in the simulated world (trustmix::simulate::run_geo_experiment): the
// truth is the exact difference of the expected-value chains, regions scale as documented,
// bad tests are refused by name, and a synthetic control recovers the true effect.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <trustmix/evaluate/evaluate.hpp>
#include <trustmix/simulate/simulate.hpp>

#include "regional_worlds.hpp"

using namespace trustmix;
using namespace trustmix::simulate;

namespace {

using trustmix::test::regions;
using trustmix::test::weekly;

// The two-segment regional world (regional_worlds.hpp) without tv and, optionally, one
// press interview in week 10.
WorldSpec geo_world(bool with_pr) {
  WorldSpec w = trustmix::test::two_segment_world(false);
  if (with_pr) w.pr_activities = {trustmix::test::interview("interview", w.start + 7 * 10, 5)};
  return w;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(geo)

BOOST_AUTO_TEST_CASE(truth_is_the_exact_difference_of_the_chains) {
  const WorldSpec w = geo_world(true);
  const std::vector<Region> rs = regions(6);
  GeoTest test{{"r1", "r4"}, "instagram", 20, 25, 2.0};
  const GeoResult g = run_geo_experiment(w, rs, test, weekly(45), 7);
  BOOST_TEST_REQUIRE(g.conversions.rows() == 6);
  BOOST_TEST_REQUIRE(g.conversions.cols() == 45);
  double sum = 0.0;
  for (Eigen::Index r = 0; r < 6; ++r) {
    const bool treated = r == 1 || r == 4;
    BOOST_TEST(static_cast<bool>(g.treated[static_cast<std::size_t>(r)]) == treated);
    if (!treated) {
      BOOST_TEST(g.incremental_conversions.row(r).cwiseAbs().maxCoeff() == 0.0);
      BOOST_TEST(g.incremental_spend.row(r).cwiseAbs().maxCoeff() == 0.0);
      continue;
    }
    // Nothing differs before the window; the doubled spend is the region's own schedule
    // (budget x size) over the window; conversions rise in the window and carry over after.
    BOOST_TEST(g.incremental_conversions.row(r).head(20).cwiseAbs().maxCoeff() == 0.0);
    double window_spend = 0.0;
    for (int week = 20; week <= 25; ++week) window_spend += 3000.0 + 50.0 * (week % 7);
    BOOST_TEST(g.incremental_spend.row(r).sum() == window_spend * rs[static_cast<std::size_t>(r)].size,
               boost::test_tools::tolerance(1e-9));
    BOOST_TEST(g.spend.row(r).segment(20, 6).sum() == 2.0 * window_spend * rs[static_cast<std::size_t>(r)].size,
               boost::test_tools::tolerance(1e-9));
    BOOST_TEST((g.incremental_conversions.row(r).segment(20, 6).array() > 0.0).all());
    BOOST_TEST(g.incremental_conversions(r, 26) > 0.0);
    // The same difference from the expected chains of the region's world, built here.
    const World world(simulate::detail::region_spec(w, rs[static_cast<std::size_t>(r)]),
                      derive(7, static_cast<std::uint64_t>(r) + 1));
    Variant v = world.baseline_variant();
    v.spend_scale[1] = 2.0;
    v.edit_begin = 20;
    v.edit_end = 25;
    const auto pop = simulate::detail::full_population(world);
    const Expected a = expected_chain(world, v, weekly(45), pop),
                   b = expected_chain(world, world.baseline_variant(), weekly(45), pop);
    for (int t = 0; t < 45; ++t) {
      const double d = a.conversions[static_cast<std::size_t>(2 * t)] + a.conversions[static_cast<std::size_t>(2 * t + 1)] -
                       b.conversions[static_cast<std::size_t>(2 * t)] - b.conversions[static_cast<std::size_t>(2 * t + 1)];
      // Up to rounding of the two sums (the increment after the carry-over is ~1e-7 of the level).
      const double level = b.conversions[static_cast<std::size_t>(2 * t)] +
                           b.conversions[static_cast<std::size_t>(2 * t + 1)];
      BOOST_TEST(std::abs(g.incremental_conversions(r, t) - d) <= 1e-12 * level);
    }
    sum += g.incremental_conversions.row(r).segment(20, 6).sum();
  }
  BOOST_TEST(g.att == sum / 12.0, boost::test_tools::tolerance(1e-12));
  // The realised increment (common random numbers) is near the expected one.
  BOOST_TEST(std::abs(g.att_realised - g.att) < 0.5 * g.att);
  // A holdout: the channel goes dark, the effect is negative.
  test.spend_multiplier = 0.0;
  const GeoResult dark = run_geo_experiment(w, rs, test, weekly(45), 7);
  BOOST_TEST(dark.att < 0.0);
  BOOST_TEST(dark.incremental_spend.row(1).sum() == -(g.incremental_spend.row(1).sum()), boost::test_tools::tolerance(1e-9));
}

// Without PR (so no region-specific coverage draws) a region twice the size with the same
// mix has exactly twice the expected conversions: frequencies are unchanged.
BOOST_AUTO_TEST_CASE(regions_scale_population_and_media_together) {
  const WorldSpec w = geo_world(false);
  std::vector<Region> rs(3);
  rs[0].name = "one";
  rs[1].name = "two";
  rs[1].size = 2.0;
  rs[2].name = "half_rate";
  rs[2].conversion_scale = 0.5;
  const GeoResult g = run_geo_experiment(w, rs, GeoTest{{"one"}, "instagram", 10, 12, 0.0}, weekly(30), 3);
  for (int t = 0; t < 30; ++t) {
    BOOST_TEST(g.expected_conversions(1, t) == 2.0 * g.counterfactual_conversions(0, t),
               boost::test_tools::tolerance(1e-10));
    BOOST_TEST(g.expected_conversions(2, t) < g.counterfactual_conversions(0, t));
  }
  // Deterministic for any thread count.
  const GeoResult g2 = run_geo_experiment(w, rs, GeoTest{{"one"}, "instagram", 10, 12, 0.0}, weekly(30, 2), 3);
  BOOST_TEST((g.conversions.array() == g2.conversions.array()).all());
  BOOST_TEST(g.att == g2.att);
}

BOOST_AUTO_TEST_CASE(bad_tests_are_named) {
  const WorldSpec w = geo_world(false);
  const std::vector<Region> rs = regions(4);
  auto message = [&](const GeoTest& t, std::vector<Region> r = {}) {
    try {
      (void)run_geo_experiment(w, r.empty() ? rs : r, t, weekly(30), 1);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto has = [](const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; };
  BOOST_TEST(has(message({{"nowhere"}, "instagram", 10, 12, 0.0}), "treated region 'nowhere'"));
  BOOST_TEST(has(message({{"r0", "r1", "r2", "r3"}, "instagram", 10, 12, 0.0}), "every region is treated"));
  BOOST_TEST(has(message({{"r0"}, "instagram", 10, 12, 1.0}), "spend_multiplier"));
  BOOST_TEST(has(message({{"r0"}, "tv", 10, 12, 0.0}), "channel 'tv'"));
  BOOST_TEST(has(message({{"r0"}, "instagram", 12, 40, 0.0}), "0 <= start <= end < periods"));
  BOOST_TEST(has(message({{"r0"}, "press", 10, 12, 0.0}), "has no paid spend"));
  std::vector<Region> dup = rs;
  dup[1].name = "r0";
  BOOST_TEST(has(message({{"r0"}, "instagram", 10, 12, 0.0}, dup), "region 'r0' is listed twice"));
  std::vector<Region> bad = rs;
  bad[2].audience_mix["nobody"] = 1.0;
  BOOST_TEST(has(message({{"r0"}, "instagram", 10, 12, 0.0}, bad), "unknown audience 'nobody'"));
}

// A synthetic control on the realised conversions of 16 regions recovers the true effect
// of tripled instagram spend in 3 regions (weeks 26-33) within its conformal interval.
BOOST_AUTO_TEST_CASE(synthetic_control_recovers_the_true_effect) {
  const WorldSpec w = geo_world(true);
  const std::vector<Region> rs = regions(16);
  const GeoTest test{{"r0", "r5", "r10"}, "instagram", 26, 33, 3.0};
  const GeoResult g = run_geo_experiment(w, rs, test, weekly(34), 11);
  namespace ev = trustmix::evaluate;
  ev::Panel p;
  p.outcomes = g.conversions;
  p.units = g.regions;
  const ev::Assignment a{{0, 5, 10}, 26, 34};
  const auto fit = ev::synthetic_control(p, a);
  ev::ConformalOptions c;
  c.statistic = ev::Statistic::mean;
  c.pointwise = false;
  const auto inf = ev::conformal_inference(p, a, {}, c);
  BOOST_TEST_MESSAGE("true att " << g.att << ", estimated " << fit.att << " [" << inf.lower << ", " << inf.upper << "]");
  BOOST_TEST(g.att > 0.0);
  BOOST_TEST(inf.lower <= g.att);
  BOOST_TEST(g.att <= inf.upper);
  BOOST_TEST(std::abs(fit.att - g.att) < 0.5 * g.att);
}

BOOST_AUTO_TEST_SUITE_END()
