// Regional panels (trustmix::simulate::run_geo_panel): national channels common and
// apportioned by size, regional paid media bought by region with mean-one multipliers, a
// panel without either equal to geo.hpp's regions, the truth the per-region ground truth,
// deterministic on any thread count, bad options refused by name.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
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

/// press and tv national, the given regional media and national share noise.
GeoPanelOptions national_press_and_tv(double media_sd, double national_share_sd = 0.0) {
  GeoPanelOptions po;
  po.national_channels = {"press", "tv"};
  po.media_sd = media_sd;
  po.national_share_sd = national_share_sd;
  return po;
}

}  // namespace

BOOST_AUTO_TEST_CASE(national_channels_are_common_and_apportioned_by_size_regional_media_vary) {
  const WorldSpec base = panel_world();
  const auto rs = regions(6);
  const GeoPanelOptions po = national_press_and_tv(0.4);
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

namespace {

// Region r's drawn paid spend of `channel` in periods [start, start + H) (instagram has
// no PR costs, so the panel's spend is its paid spend), as a schedule's H x 1 matrix.
GeoSpendSchedule drawn_schedule(const GeoPanelResult& p, const std::string& channel, int start, int H) {
  GeoSpendSchedule s;
  s.start = start;
  s.channels = {channel};
  Eigen::Index c = 0;
  while (p.channels[static_cast<std::size_t>(c)] != channel) ++c;
  for (const auto& sp : p.spend) s.spend.emplace_back(sp.col(c).segment(start, H));
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_schedule_equal_to_the_drawn_spend_reproduces_the_panels_expected_conversions) {
  const WorldSpec base = panel_world();
  const auto rs = regions(4);
  const int T = 45;
  for (const double sd : {0.4, 0.0}) {  // campaigns rewritten per period by the media noise, or as written
    GeoPanelOptions po;
    po.national_channels = {"press", "tv"};
    po.media_sd = sd;
    const GeoPanelResult p = run_geo_panel(base, rs, weekly(T), 11, po);
    const GeoScheduleRun s = run_geo_panel_schedule(base, rs, weekly(T), 11, po, drawn_schedule(p, "instagram", 12, T - 12));
    BOOST_REQUIRE(s.expected_conversions.rows() == 4 && s.expected_conversions.cols() == T);
    for (Eigen::Index r = 0; r < 4; ++r) {
      for (int t = 0; t < T; ++t) BOOST_TEST(rel_close(s.expected_conversions(r, t), p.expected_conversions(r, t), 1e-12));
      BOOST_TEST((s.spend[static_cast<std::size_t>(r)] - p.spend[static_cast<std::size_t>(r)]).cwiseAbs().maxCoeff() <=
                 1e-9 * p.spend[static_cast<std::size_t>(r)].maxCoeff());
      BOOST_TEST(s.expected_revenue.row(r).sum() > s.expected_conversions.row(r).sum());  // 50-80 per conversion
    }
  }
}

BOOST_AUTO_TEST_CASE(a_schedule_replaces_its_channels_spend_from_its_first_period_and_stops_after_it) {
  const WorldSpec base = panel_world();
  const auto rs = regions(3);
  const int T = 45, start = 15, H = 10;
  GeoPanelOptions po;
  po.national_channels = {"press", "tv"};
  const GeoPanelResult p = run_geo_panel(base, rs, weekly(T), 5, po);
  GeoSpendSchedule sch = drawn_schedule(p, "instagram", start, H);
  for (auto& m : sch.spend) m *= 2.0;  // double the drawn spend for 10 weeks, then nothing
  const GeoScheduleRun s = run_geo_panel_schedule(base, rs, weekly(T), 5, po, sch);
  for (std::size_t r = 0; r < rs.size(); ++r) {
    const Eigen::VectorXd ig = s.spend[r].col(1), drawn = p.spend[r].col(1);
    BOOST_TEST((ig.head(start) - drawn.head(start)).cwiseAbs().maxCoeff() <= 1e-9 * drawn.maxCoeff());
    BOOST_TEST((ig.segment(start, H) - 2.0 * drawn.segment(start, H)).cwiseAbs().maxCoeff() <= 1e-9 * drawn.maxCoeff());
    BOOST_TEST(ig.tail(T - start - H).cwiseAbs().maxCoeff() == 0.0);
    BOOST_TEST(drawn.tail(T - start - H).sum() > 0.0);  // the drawn run still spent there
    // tv (national) is untouched; the chain before the schedule is the drawn run's
    BOOST_TEST((s.spend[r].col(2) - p.spend[r].col(2)).cwiseAbs().maxCoeff() == 0.0);
    const auto ri = static_cast<Eigen::Index>(r);
    for (int t = 0; t < start; ++t)
      BOOST_TEST(rel_close(s.expected_conversions(ri, t), p.expected_conversions(ri, t), 1e-12));
    BOOST_TEST(s.expected_conversions.row(ri).segment(start, H).sum() >
               p.expected_conversions.row(ri).segment(start, H).sum());
  }
}

BOOST_AUTO_TEST_CASE(zero_spend_in_one_region_changes_only_that_region) {
  const WorldSpec base = panel_world();
  const auto rs = regions(4);
  const int T = 40, start = 10;
  GeoPanelOptions po;
  po.national_channels = {"press", "tv"};
  const GeoPanelResult p = run_geo_panel(base, rs, weekly(T), 3, po);
  GeoSpendSchedule sch = drawn_schedule(p, "instagram", start, T - start);
  sch.spend[2].setZero();
  const GeoScheduleRun s = run_geo_panel_schedule(base, rs, weekly(T, 3), 3, po, sch);
  for (Eigen::Index r = 0; r < 4; ++r) {
    if (r == 2) continue;
    for (int t = 0; t < T; ++t) BOOST_TEST(rel_close(s.expected_conversions(r, t), p.expected_conversions(r, t), 1e-12));
  }
  for (int t = 0; t < start; ++t) BOOST_TEST(rel_close(s.expected_conversions(2, t), p.expected_conversions(2, t), 1e-12));
  double lost = 0.0;
  for (int t = start; t < T; ++t) {
    BOOST_TEST(s.expected_conversions(2, t) <= p.expected_conversions(2, t) * (1.0 + 1e-12));
    lost += p.expected_conversions(2, t) - s.expected_conversions(2, t);
  }
  BOOST_TEST(lost > 1.0);  // instagram converts: going dark for 30 weeks loses conversions
  // the same on one thread: deterministic on any thread count
  const GeoScheduleRun one = run_geo_panel_schedule(base, rs, weekly(T, 1), 3, po, sch);
  BOOST_TEST((one.expected_conversions - s.expected_conversions).cwiseAbs().maxCoeff() == 0.0);
}

BOOST_AUTO_TEST_CASE(bad_schedules_are_refused_by_name) {
  const WorldSpec base = panel_world();
  const auto rs = regions(2);
  GeoPanelOptions po;
  po.national_channels = {"press", "tv"};
  auto has = [](const std::string& what) {
    return [what](const std::invalid_argument& e) { return std::string(e.what()).find(what) != std::string::npos; };
  };
  GeoSpendSchedule s;
  s.start = 5;
  s.channels = {"instagram"};
  s.spend = {Eigen::MatrixXd::Constant(4, 1, 100.0), Eigen::MatrixXd::Constant(4, 1, 100.0)};
  BOOST_CHECK_NO_THROW((void)run_geo_panel_schedule(base, rs, weekly(10), 1, po, s));
  GeoSpendSchedule b = s;
  b.channels = {"tv"};
  BOOST_CHECK_EXCEPTION((void)run_geo_panel_schedule(base, rs, weekly(10), 1, po, b), std::invalid_argument,
                        has("national channel"));
  b.channels = {"radio"};
  BOOST_CHECK_EXCEPTION((void)run_geo_panel_schedule(base, rs, weekly(10), 1, po, b), std::invalid_argument, has("'radio'"));
  b.channels = {};
  BOOST_CHECK_THROW((void)run_geo_panel_schedule(base, rs, weekly(10), 1, po, b), std::invalid_argument);
  b = s;
  b.spend.pop_back();
  BOOST_CHECK_EXCEPTION((void)run_geo_panel_schedule(base, rs, weekly(10), 1, po, b), std::invalid_argument,
                        has("one matrix per region"));
  b = s;
  b.spend[1] = Eigen::MatrixXd::Constant(3, 1, 100.0);
  BOOST_CHECK_EXCEPTION((void)run_geo_panel_schedule(base, rs, weekly(10), 1, po, b), std::invalid_argument,
                        has("region 'r1'"));
  b = s;
  b.spend[0](2, 0) = -1.0;
  BOOST_CHECK_EXCEPTION((void)run_geo_panel_schedule(base, rs, weekly(10), 1, po, b), std::invalid_argument,
                        has("period 2, channel 'instagram'"));
  b = s;
  b.start = 7;  // 7 + 4 > 10 periods
  BOOST_CHECK_EXCEPTION((void)run_geo_panel_schedule(base, rs, weekly(10), 1, po, b), std::invalid_argument,
                        has("inside the run's periods"));
}

BOOST_AUTO_TEST_CASE(national_share_sd_moves_each_regions_share_of_national_delivery) {
  // national_share_sd: region r gets size_r x m[r, c] of press's reach and tv's paid plan,
  // sum_r size_r m[r, c] = sum_r size_r (the national delivery kept); instagram (regional)
  // keeps multipliers 1; the same draw in the schedule runs
  const WorldSpec base = panel_world();
  const auto rs = regions(6);
  GeoPanelOptions po = national_press_and_tv(0.0, 0.4);
  const int T = 45;
  const GeoPanelResult p = run_geo_panel(base, rs, weekly(T), 11, po);
  const World ref(base, 1);
  const Eigen::MatrixXd plan = ref.drive(ref.baseline_variant(), T, 7).spend;
  double total = 0.0, weighted_press = 0.0, weighted_tv = 0.0;
  for (const auto& g : rs) total += g.size;
  for (std::size_t r = 0; r < rs.size(); ++r) {
    const auto ri = static_cast<Eigen::Index>(r);
    const double s = rs[r].size;
    weighted_press += s * p.national_share(ri, 0) / total;
    weighted_tv += s * p.national_share(ri, 2) / total;
    BOOST_TEST(p.national_share(ri, 1) == 1.0);
    for (int t = 0; t < T; ++t) {
      BOOST_TEST(rel_close(p.impressions[r](t, 0) / (s * p.national_share(ri, 0)),
                           p.impressions[0](t, 0) / (rs[0].size * p.national_share(0, 0)), 1e-12));
      BOOST_TEST(rel_close(p.spend[r](t, 2), s * p.national_share(ri, 2) * plan(t, 2), 1e-12));
    }
  }
  BOOST_TEST(weighted_press == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(weighted_tv == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST((p.national_share.col(0).array() - 1.0).abs().maxCoeff() > 0.1);
  // the regions' truths follow their delivery: the schedule run with the drawn plan is the panel
  const GeoScheduleRun again = run_geo_panel_schedule(base, rs, weekly(T), 11, po,
                                                      drawn_schedule(p, "instagram", 12, T - 12));
  BOOST_TEST((again.expected_conversions - p.expected_conversions).cwiseAbs().maxCoeff() <=
             1e-9 * p.expected_conversions.cwiseAbs().maxCoeff());
  po.national_share_sd = 3.5;
  BOOST_CHECK_EXCEPTION(
      (void)run_geo_panel(base, rs, weekly(10), 1, po), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("national_share_sd must be a finite number in [0, 3]") != std::string::npos;
      });
}

namespace {

/// A test of `channel` in the regions `treated` over weeks [start, end] x multiplier.
GeoTest geo_test(std::vector<std::string> treated, const std::string& channel, int start, int end, double multiplier) {
  GeoTest t;
  t.treated = std::move(treated);
  t.channel = channel;
  t.start = start;
  t.end = end;
  t.spend_multiplier = multiplier;
  return t;
}

/// A holdout (or doubling) of instagram in regions 0 and 2 over weeks [8, 15].
GeoTest instagram_test(const std::vector<Region>& rs, double multiplier) {
  return geo_test({rs[0].name, rs[2].name}, "instagram", 8, 15, multiplier);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_geo_test_in_the_panel_moves_only_the_treated_regions_window_and_its_truth_is_the_chains_difference) {
  const WorldSpec base = panel_world();
  const auto rs = regions(4);
  const int T = 40;
  GeoPanelOptions po = national_press_and_tv(0.3);
  const GeoPanelResult plain = run_geo_panel(base, rs, weekly(T), 7, po);
  po.test = instagram_test(rs, 0.0);
  const GeoPanelResult held = run_geo_panel(base, rs, weekly(T), 7, po);
  BOOST_TEST((held.treated == std::vector<char>{1, 0, 1, 0}));
  BOOST_REQUIRE(held.test_incremental.rows() == 4 && held.test_incremental.cols() == T);
  BOOST_TEST(plain.test_incremental.size() == 0);
  const Eigen::Index ig = 1;  // press, instagram, tv
  for (std::size_t r = 0; r < rs.size(); ++r) {
    const auto ri = static_cast<Eigen::Index>(r);
    const Eigen::MatrixXd& a = held.spend[r];
    const Eigen::MatrixXd& b = plain.spend[r];
    for (int t = 0; t < T; ++t) {
      const bool in = held.treated[r] && t >= 8 && t <= 15;
      // the holdout's cells spend nothing; every other cell (and every other channel) as drawn
      if (in) BOOST_TEST(a(t, ig) == 0.0);
      else BOOST_TEST(rel_close(a(t, ig), b(t, ig), 1e-12));
      BOOST_TEST(a(t, 0) == b(t, 0));
      BOOST_TEST(a(t, 2) == b(t, 2));
    }
    if (!held.treated[r]) {  // a control region is the plain panel's, bit for bit, and the test's effect there is 0
      BOOST_TEST((held.conversions.row(ri).array() == plain.conversions.row(ri).array()).all());
      BOOST_TEST(held.test_incremental.row(ri).cwiseAbs().maxCoeff() == 0.0);
      continue;
    }
    BOOST_TEST(b.col(ig).segment(8, 8).sum() > 0.0);  // the test silenced real spend
    // The test's effect is the difference of the two runs' exact chains (an independent
    // construction: the plain panel is the world without the test).
    for (int t = 0; t < T; ++t)
      BOOST_TEST(rel_close(held.test_incremental(ri, t),
                           held.expected_conversions(ri, t) - plain.expected_conversions(ri, t), 1e-9));
    BOOST_TEST(held.test_incremental.row(ri).head(8).cwiseAbs().maxCoeff() == 0.0);  // nothing before the window
    BOOST_TEST(held.test_incremental.row(ri).segment(8, 8).sum() < 0.0);             // a holdout loses conversions
    BOOST_TEST(held.test_incremental(ri, 16) < 0.0);                                 // and carries over after it
    // the channel's truth in the world as run: removing instagram removes what the test left
    const auto& e = held.truth[r].channels[static_cast<std::size_t>(ig)];
    BOOST_TEST(e.conversions < plain.truth[r].channels[static_cast<std::size_t>(ig)].conversions);
  }
  // Deterministic on any thread count.
  const GeoPanelResult again = run_geo_panel(base, rs, weekly(T, 1), 7, po);
  BOOST_TEST((again.test_incremental.array() == held.test_incremental.array()).all());
  BOOST_TEST((again.conversions.array() == held.conversions.array()).all());
}

BOOST_AUTO_TEST_CASE(without_media_noise_a_panel_test_equals_geo_hpps_experiment) {
  // media_sd = 0 and no national channel: the panel's regions are geo.hpp's, so a test run
  // inside the panel (the flights rewritten per period) must have geo.hpp's exact effect
  // (a spend multiplier on the variant): two different mechanisms, one answer.
  const WorldSpec base = panel_world();
  const auto rs = regions(4);
  const int T = 30;
  for (const double mult : {0.0, 2.0}) {
    GeoPanelOptions po;
    po.media_sd = 0.0;
    po.test = instagram_test(rs, mult);
    const GeoPanelResult p = run_geo_panel(base, rs, weekly(T), 3, po);
    const GeoResult g = run_geo_experiment(base, rs, *po.test, weekly(T), 3);
    for (Eigen::Index r = 0; r < 4; ++r)
      for (int t = 0; t < T; ++t) BOOST_TEST(rel_close(p.test_incremental(r, t), g.incremental_conversions(r, t), 1e-9));
    BOOST_TEST((mult == 0.0 ? g.att < 0.0 : g.att > 0.0));
  }
}

BOOST_AUTO_TEST_CASE(bad_geo_tests_are_refused_by_name) {
  const WorldSpec base = panel_world();
  const auto rs = regions(3);
  const auto fails_with = [&](const GeoPanelOptions& po, const std::string& part, int T = 30) {
    BOOST_CHECK_EXCEPTION((void)run_geo_panel(base, rs, weekly(T), 1, po), std::invalid_argument,
                          [&](const std::invalid_argument& e) {
                            const bool ok = std::string(e.what()).find(part) != std::string::npos;
                            if (!ok) BOOST_TEST_MESSAGE("message: " << e.what());
                            return ok;
                          });
  };
  GeoPanelOptions po = national_press_and_tv(0.3);
  po.test = instagram_test(rs, 0.0);
  po.test->channel = "tv";
  fails_with(po, "'tv' is national");
  po.test->channel = "radio";
  fails_with(po, "'radio' is not a channel");
  po.test = instagram_test(rs, 0.0);
  po.test->treated = {"atlantis"};
  fails_with(po, "'atlantis' is not a region");
  po.test->treated = {rs[0].name, rs[0].name};
  fails_with(po, "twice");
  po.test->treated = {};
  fails_with(po, "at least one region");
  po.test = instagram_test(rs, 1.0);
  fails_with(po, "spend_multiplier");
  po.test = instagram_test(rs, 0.0);
  po.test->end = 35;
  fails_with(po, "must end inside the run's periods");
  po.test->start = 12;
  po.test->end = 10;
  fails_with(po, "0 <= start <= end");
  po.test = instagram_test(rs, 0.0);
  po.test->start = 42;  // instagram's flights end in week 40: nothing to hold out
  po.test->end = 44;
  fails_with(po, "changes nothing", 45);
}

BOOST_AUTO_TEST_CASE(a_geo_test_on_an_earned_channel_scales_its_activities_reach_in_the_window) {
  // press regional (no national channels): the test multiplies the reach of the press
  // interview dated in weeks [10, 12] (interview_0; interview_1 in week 25 is outside) in
  // the treated regions. Each mention keeps its draw, so press impressions are linear in the
  // multiplier: I(2) + I(0) = 2 I(plain), cell by cell, while every other channel is as drawn.
  const WorldSpec base = panel_world();
  const auto rs = regions(4);
  const int T = 40;
  GeoPanelOptions po;
  po.media_sd = 0.3;
  const GeoPanelResult plain = run_geo_panel(base, rs, weekly(T), 11, po);
  const auto tested = [&](double m) {
    GeoPanelOptions q = po;
    q.test = geo_test({rs[1].name, rs[3].name}, "press", 10, 12, m);
    return run_geo_panel(base, rs, weekly(T), 11, q);
  };
  const GeoPanelResult none = tested(0.0), twice = tested(2.0);
  const Eigen::Index press = 0;
  for (std::size_t r = 0; r < rs.size(); ++r) {
    const auto ri = static_cast<Eigen::Index>(r);
    if (!none.treated[r]) {  // controls: the plain panel's, bit for bit
      BOOST_TEST((none.conversions.row(ri).array() == plain.conversions.row(ri).array()).all());
      BOOST_TEST((twice.impressions[r].array() == plain.impressions[r].array()).all());
      continue;
    }
    const Eigen::MatrixXd& a = plain.impressions[r];
    const Eigen::MatrixXd& z = none.impressions[r];
    const Eigen::MatrixXd& d = twice.impressions[r];
    BOOST_TEST(z.col(press).segment(10, 2).sum() < a.col(press).segment(10, 2).sum());  // the interview's reach is gone
    for (int t = 0; t < T; ++t) {
      BOOST_TEST(rel_close(d(t, press) + z(t, press), 2.0 * a(t, press), 1e-12));
      if (t < 10 || t > 15) BOOST_TEST(rel_close(z(t, press), a(t, press), 1e-12));  // interview_1 and organic untouched
      BOOST_TEST(z(t, 1) == a(t, 1));  // instagram as drawn
    }
    // The test's exact effect is the chains' difference; trust built by the interview is
    // lost for months: negative through the rest of the run, largest after the window.
    for (int t = 0; t < T; ++t) {
      BOOST_TEST(rel_close(none.test_incremental(ri, t),
                           none.expected_conversions(ri, t) - plain.expected_conversions(ri, t), 1e-9));
      BOOST_TEST(rel_close(twice.test_incremental(ri, t),
                           twice.expected_conversions(ri, t) - plain.expected_conversions(ri, t), 1e-9));
    }
    BOOST_TEST(none.test_incremental.row(ri).head(10).cwiseAbs().maxCoeff() == 0.0);
    BOOST_TEST(none.test_incremental.row(ri).segment(10, 3).sum() < 0.0);
    BOOST_TEST(none.test_incremental(ri, 24) < 0.0);  // 12 weeks after the window, still lower
    BOOST_TEST(none.test_incremental.row(ri).tail(T - 13).sum() < none.test_incremental.row(ri).segment(10, 3).sum());
    BOOST_TEST(twice.test_incremental.row(ri).segment(10, 30).sum() > 0.0);
  }
  // An earned test with nothing dated in its window changes nothing: refused by region.
  GeoPanelOptions q = po;
  q.test = geo_test({rs[1].name}, "press", 30, 32, 0.0);
  BOOST_CHECK_EXCEPTION((void)run_geo_panel(base, rs, weekly(T), 11, q), std::invalid_argument,
                        [](const std::invalid_argument& e) {
                          return std::string(e.what()).find("no earned reach from PR activities") != std::string::npos;
                        });
}
