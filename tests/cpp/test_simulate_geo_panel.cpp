// Regional panels (trustmix::simulate::run_geo_panel): national channels common and
// apportioned by size, regional paid media bought by region with mean-one multipliers, a
// panel without either equal to geo.hpp's regions, the truth the per-region ground truth,
// deterministic on any thread count, bad options refused by name.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <trustmix/simulate/geo_panel.hpp>
#include <trustmix/simulate/simulate.hpp>

#include "regional_worlds.hpp"

using namespace trustmix;
using namespace trustmix::simulate;

namespace {

using trustmix::test::regions;
using trustmix::test::weekly;

// The two-segment regional world (regional_worlds.hpp) with tv (paid, weeks 5..30:
// national) next to instagram (bought by region), and two press interviews in weeks 10
// and 25 (national PR) whose reach varies (sd of log reach 0.5).
WorldSpec panel_world() {
  WorldSpec w = trustmix::test::two_segment_world(true);
  for (int k = 0; k < 2; ++k) {
    w.pr_activities.push_back(trustmix::test::interview("interview_" + std::to_string(k), w.start + 7 * (10 + 15 * k), 6));
    w.pr_activities.back().reach_sd_log = 0.5;
  }
  return w;
}

bool rel_close(double a, double b, double tol) { return std::abs(a - b) <= tol * std::max({1.0, std::abs(a), std::abs(b)}); }

}  // namespace

BOOST_AUTO_TEST_CASE(national_channels_are_common_and_apportioned_by_size_regional_media_vary) {
  const WorldSpec base = panel_world();
  const auto rs = regions(6);
  GeoPanelOptions po;
  po.national_channels = {"press", "tv"};
  po.media_sd = 0.4;
  const int T = 45;
  const GeoPanelResult p = run_geo_panel(base, rs, weekly(T), 11, po);
  BOOST_REQUIRE(p.regions.size() == 6U);
  BOOST_TEST((p.national == std::vector<char>{1, 0, 1}));
  // The reference world's plan (no coverage involved): tv and instagram spend per period.
  const World ref(base, 1);
  const Eigen::MatrixXd plan = ref.drive(ref.baseline_variant(), T, 7).spend;
  double press_total = 0.0;
  std::vector<double> log_mult;
  for (std::size_t r = 0; r < rs.size(); ++r) {
    const double s = rs[r].size;
    const auto& imp = p.impressions[r];
    const auto& sp = p.spend[r];
    press_total += imp.col(0).sum();
    for (int t = 0; t < T; ++t) {
      // press: the same national mentions in every region, reach x size_r
      BOOST_TEST(rel_close(imp(t, 0) / s, p.impressions[0](t, 0) / rs[0].size, 1e-12));
      // tv: the national plan x size_r
      BOOST_TEST(rel_close(sp(t, 2), s * plan(t, 2), 1e-12));
      // instagram: the plan x size_r x a region-period multiplier
      if (plan(t, 1) > 0.0) {
        BOOST_TEST(sp(t, 1) > 0.0);
        log_mult.push_back(std::log(sp(t, 1) / (s * plan(t, 1))));
      } else {
        BOOST_TEST(sp(t, 1) == 0.0);
      }
    }
  }
  BOOST_TEST(press_total > 0.0);
  // The multipliers are lognormal(-sd^2/2, sd): mean and sd of their logs within 4 standard errors.
  const double n = static_cast<double>(log_mult.size());
  double mean = 0.0, var = 0.0;
  for (double v : log_mult) mean += v / n;
  for (double v : log_mult) var += (v - mean) * (v - mean) / (n - 1);
  BOOST_TEST(n == 6.0 * 38.0);
  BOOST_TEST(std::abs(mean - (-0.08)) < 4.0 * 0.4 / std::sqrt(n));
  BOOST_TEST(std::abs(std::sqrt(var) - 0.4) < 4.0 * 0.4 / std::sqrt(2.0 * n));
  // Population: the region's audiences, rounded to whole people.
  for (std::size_t r = 0; r < rs.size(); ++r) {
    const double young = std::round(60000 * rs[r].size * rs[r].audience_mix.at("young"));
    const double old = std::round(40000 * rs[r].size);
    BOOST_TEST(p.population[static_cast<Eigen::Index>(r)] == young + old);
  }
}

BOOST_AUTO_TEST_CASE(without_national_channels_or_media_noise_the_panel_is_geo_hpps_regions) {
  const WorldSpec base = panel_world();
  const auto rs = regions(3);
  GeoPanelOptions po;
  po.media_sd = 0.0;
  const int T = 30;
  const GeoPanelResult p = run_geo_panel(base, rs, weekly(T), 5, po);
  for (std::size_t r = 0; r < rs.size(); ++r) {
    const World w(simulate::detail::region_spec(base, rs[r]), derive(5, r + 1));
    const RunResult run = run_segment(w, w.baseline_variant(), weekly(T));
    for (int t = 0; t < T; ++t) {
      double c = 0.0;
      for (int s = 0; s < w.segments(); ++s) c += run.conversions[static_cast<std::size_t>(t * w.segments() + s)];
      BOOST_TEST(p.conversions(static_cast<Eigen::Index>(r), t) == c);
      BOOST_TEST(p.survey_trusting(static_cast<Eigen::Index>(r), t) == run.survey_trusting[static_cast<std::size_t>(t)]);
    }
    BOOST_TEST((p.spend[r].array() == run.spend.array()).all());
  }
}

BOOST_AUTO_TEST_CASE(the_truth_is_each_regions_ground_truth_and_splits_exactly) {
  const WorldSpec base = panel_world();
  const auto rs = regions(4);
  GeoPanelOptions po;
  po.national_channels = {"press"};
  po.truth.window_start = 5;
  po.truth.window_end = 30;
  po.truth.horizon = 20;
  po.truth.lag_periods = 3;
  const int T = 40;
  const GeoPanelResult p = run_geo_panel(base, rs, weekly(T, 2), 9, po);
  const GeoPanelResult p1 = run_geo_panel(base, rs, weekly(T, 1), 9, po);
  BOOST_TEST((p.conversions.array() == p1.conversions.array()).all());
  for (std::size_t r = 0; r < rs.size(); ++r) {
    const World& w = p.worlds[r];
    const Truth direct = ground_truth(w, weekly(T), simulate::detail::full_population(w), po.truth);
    const Truth& tr = p.truth[r];
    BOOST_TEST((tr.channel_incremental_conversions.array() == direct.channel_incremental_conversions.array()).all());
    BOOST_TEST((tr.channel_incremental_conversions.array() == p1.truth[r].channel_incremental_conversions.array()).all());
    BOOST_REQUIRE(tr.channel_incremental_conversions.rows() == T + 20);
    for (std::size_t c = 0; c < tr.channels.size(); ++c) {
      const auto& e = tr.channels[c];
      const auto inc = tr.channel_incremental_conversions.col(static_cast<Eigen::Index>(c));
      BOOST_TEST(rel_close(e.conversions, inc.sum(), 1e-12));
      BOOST_TEST(rel_close(e.short_conversions, inc.head(30 + 3 + 1).sum(), 1e-12));
      BOOST_TEST(rel_close(e.long_conversions, inc.tail(T + 20 - 34).sum(), 1e-9));
      BOOST_TEST(inc.head(5).cwiseAbs().maxCoeff() == 0.0);  // nothing changes before the window
      BOOST_TEST(rel_close(e.cost, p.spend[r].col(static_cast<Eigen::Index>(c)).segment(5, 26).sum(), 1e-12));
    }
    BOOST_TEST(tr.channels[0].conversions > 0.0);  // press builds trust
    BOOST_TEST(tr.channels[1].conversions > 0.0);  // instagram converts
  }
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused_by_name) {
  const WorldSpec base = panel_world();
  GeoPanelOptions po;
  po.national_channels = {"radio"};
  BOOST_CHECK_EXCEPTION(
      (void)run_geo_panel(base, regions(2), weekly(10), 1, po), std::invalid_argument,
      [](const std::invalid_argument& e) { return std::string(e.what()).find("'radio'") != std::string::npos; });
  po.national_channels = {"press", "press"};
  BOOST_CHECK_THROW((void)run_geo_panel(base, regions(2), weekly(10), 1, po), std::invalid_argument);
  po.national_channels = {};
  po.media_sd = -1.0;
  BOOST_CHECK_THROW((void)run_geo_panel(base, regions(2), weekly(10), 1, po), std::invalid_argument);
  po.media_sd = 0.3;
  auto rs = regions(2);
  rs[1].name = rs[0].name;
  BOOST_CHECK_THROW((void)run_geo_panel(base, rs, weekly(10), 1, po), std::invalid_argument);
  BOOST_CHECK_THROW((void)run_geo_panel(base, {}, weekly(10), 1, po), std::invalid_argument);
  WorldSpec bad = base;  // a campaign on an unknown channel: the region's World names it
  bad.campaigns[0].channel = "radio";
  BOOST_CHECK_EXCEPTION(
      (void)run_geo_panel(bad, regions(2), weekly(10), 1, po), std::invalid_argument,
      [](const std::invalid_argument& e) { return std::string(e.what()).find("radio") != std::string::npos; });
}
