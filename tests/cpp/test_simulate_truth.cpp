// Tests of the simulator's ground truth with the estimand of TrustFit.roi (TruthOptions:
// one window for every channel, a zero-activity horizon after the data, the lag in
// periods), against hand computations and independent constructions.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <trustmix/simulate/simulate.hpp>

using namespace trustmix;
using namespace trustmix::simulate;

namespace {

// One segment of 50 000 people, a press channel (trust) and a paid instagram channel
// whose spend is an explicit schedule of weekly amounts (so a counterfactual can also be
// written by editing the schedule).
WorldSpec truth_world(bool with_instagram) {
  WorldSpec w;
  w.start = Date::from_ymd(2025, 1, 6);
  ChannelParams press;
  press.channel = Channel("press", Peso::earned, Role::trust);
  press.engagement = 0.5;
  press.trust_gain = 0.9;
  w.channels = {press};
  std::map<std::string, double> reach{{"press", 0.6}};
  if (with_instagram) {
    ChannelParams ig;
    ig.channel = Channel("instagram", Peso::paid, Role::conversion);
    ig.cpm = 6.0;
    ig.engagement = 0.2;
    w.channels.push_back(ig);
    reach["instagram"] = 0.7;
    std::vector<ScheduleEntry> sched;
    double budget = 0.0;
    for (int week = 2; week < 20; ++week) {
      sched.push_back({w.start + 7 * week + 1, 2000.0 + 150.0 * week});
      budget += sched.back().amount;
    }
    w.campaigns = {Campaign("ig", "instagram", Objective::conversion, w.start, Date::from_ymd(2025, 6, 29), budget, sched)};
  }
  w.audiences = {Audience("all", 50000, 0.3, reach, {}, {}, 1.0, 0.004, 50.0)};
  PrActivity pr;
  pr.name = "interview";
  pr.channel = "press";
  pr.kind = PrKind::interview;
  pr.date = w.start + 7 * 3;
  pr.mentions = 5;
  pr.outlet_reach = 20000;
  pr.sentiment = 0.7;
  pr.duration_days = 1;  // every mention in the activity's own period
  w.pr_activities = {pr};
  w.trust_half_life_days = 84.0;
  w.trust_effect = 0.9;
  w.amplification = 1.2;
  w.smm_effect = 1.1;
  w.memory_cap = 6;
  return w;
}

const std::vector<double> kPop{50000.0};

// Truth over `periods` data periods with TruthOptions{w0, w1, horizon, lag}; `ext` gets
// the run options over the data plus the horizon, and `stop` a variant of `world` with
// no activity after the data (the truth's own world), for independent chains.
Truth windowed_truth(const World& world, int periods, int w0, int w1, int horizon, int lag, RunOptions& ext, Variant& stop) {
  RunOptions opt;
  opt.periods = periods;
  TruthOptions to;
  to.window_start = w0;
  to.window_end = w1;
  to.horizon = horizon;
  to.lag_periods = lag;
  ext = opt;
  ext.periods = periods + horizon;
  stop = world.baseline_variant();
  stop.activity_end = periods - 1;
  return ground_truth(world, opt, kPop, to);
}

double total(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(horizon_tail_of_a_pr_burst_is_the_geometric_series_of_trust) {
  // No conversion channel and no seasonality: ad memory stays 0, so a person converts with
  // p0 or p1 = logistic(logit p0 + gamma) by trust alone and the increment is
  // N (p1 - p0) dG[t]. After the burst (period 3) there is no input, so E G - b decays by r
  // per period in both worlds and dG[t] = dG[3] r^(t - 3): the horizon's tail is a
  // geometric series, summed here by hand.
  const World w(truth_world(false), 5);
  RunOptions ext;
  Variant stop;
  const Truth tr = windowed_truth(w, 20, -1, -1, 60, 2, ext, stop);
  BOOST_REQUIRE(tr.channel_incremental_conversions.rows() == 80);
  const auto& inc = tr.channel_incremental_conversions;
  const double r = std::pow(0.5, 7.0 / 84.0);
  const double p0 = 0.004, p1 = 1.0 / (1.0 + std::exp(-(std::log(p0 / (1.0 - p0)) + 0.9)));
  for (int t = 0; t < 3; ++t) BOOST_TEST(inc(t, 0) == 0.0);
  BOOST_REQUIRE(inc(3, 0) > 0.0);
  for (int t = 4; t < 80; ++t) BOOST_TEST(inc(t, 0) / inc(t - 1, 0) == r, boost::test_tools::tolerance(1e-9));
  // The press increment in period 3 is N (p1 - p0) times the trusting share it added.
  Variant off = w.baseline_variant();
  off.channel_off[0] = 1;
  const Expected base = expected_chain(w, w.baseline_variant(), ext, kPop), cf = expected_chain(w, off, ext, kPop);
  BOOST_TEST(inc(3, 0) == (p1 - p0) * (base.trusting[3] - cf.trusting[3]), boost::test_tools::tolerance(1e-9));
  const auto& e = tr.channels[0];
  BOOST_TEST(e.window_start == 3);
  BOOST_TEST(e.window_end == 3);
  // short = periods 3..3 + L, long = the rest of the geometric series up to period 79.
  const double a = inc(3, 0);
  BOOST_TEST(e.short_conversions == a * (1.0 - std::pow(r, 3)) / (1.0 - r), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(e.long_conversions == a * (std::pow(r, 3) - std::pow(r, 77)) / (1.0 - r), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(e.conversions == e.short_conversions + e.long_conversions, boost::test_tools::tolerance(1e-12));
  // Without a horizon the data's 20 periods only: the same series cut at period 19.
  RunOptions data = ext;
  data.periods = 20;
  const Truth tr0 = ground_truth(w, data, kPop);
  BOOST_TEST(tr0.channels[0].conversions == a * (1.0 - std::pow(r, 17)) / (1.0 - r), boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(window_removal_equals_the_world_with_that_spend_taken_out_of_the_schedule) {
  // Removing instagram's activity in W = periods [6, 11] must equal the world whose
  // schedule has no payment in W (an independent construction of the counterfactual),
  // with everything else (PR coverage draws included) unchanged.
  const WorldSpec spec = truth_world(true);
  const World w(spec, 11);
  WorldSpec cut = spec;
  std::vector<ScheduleEntry> sched;
  double kept = 0.0;
  for (const auto& e : spec.campaigns[0].schedule)
    if (const int t = (e.date - spec.start) / 7; t < 6 || t > 11) {
      sched.push_back(e);
      kept += e.amount;
    }
  BOOST_REQUIRE(sched.size() == spec.campaigns[0].schedule.size() - 6);
  const auto& c0 = spec.campaigns[0];
  cut.campaigns[0] = Campaign(c0.name, c0.channel, c0.objective, c0.start, c0.end, kept, sched);
  const World w_cut(cut, 11);
  RunOptions ext;
  Variant stop;
  const Truth tr = windowed_truth(w, 30, 6, 11, 26, 4, ext, stop);
  Variant stop_cut = w_cut.baseline_variant();
  stop_cut.activity_end = 29;
  const Expected a = expected_chain(w, stop, ext, kPop), b = expected_chain(w_cut, stop_cut, ext, kPop);
  double shrt = 0.0, lng = 0.0;
  for (int t = 0; t < 56; ++t) {
    const double d = a.conversions[static_cast<std::size_t>(t)] - b.conversions[static_cast<std::size_t>(t)];
    BOOST_TEST(tr.channel_incremental_conversions(t, 1) == d, boost::test_tools::tolerance(1e-9));
    (t <= 11 + 4 ? shrt : lng) += d;
    if (t < 6) BOOST_TEST(d == 0.0);  // nothing changes before the window
  }
  const auto& ig = tr.channels[1];
  BOOST_TEST(ig.short_conversions == shrt, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(ig.long_conversions == lng, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(ig.conversions > 0.0);
  double cost = 0.0;
  for (const auto& e : spec.campaigns[0].schedule)
    if (const int t = (e.date - spec.start) / 7; t >= 6 && t <= 11) cost += e.amount;
  BOOST_TEST(ig.cost == cost, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(ig.window_start == 6);
  BOOST_TEST(ig.window_end == 11);
  // Press's activity (period 3) lies outside W: removing press in W changes nothing.
  BOOST_TEST(tr.channels[0].conversions == 0.0);
  BOOST_TEST(tr.channel_incremental_conversions.col(0).cwiseAbs().maxCoeff() == 0.0);
}

BOOST_AUTO_TEST_CASE(window_over_a_pr_activity_equals_removing_the_activity) {
  // The interview's mentions all fall in period 3: removing press in W = [2, 5] is the
  // activity removed (the pre-existing activity_off path), coverage draws kept.
  const World w(truth_world(true), 3);
  RunOptions ext;
  Variant base;
  const Truth tr = windowed_truth(w, 25, 2, 5, 10, -1, ext, base);
  Variant off = base;
  off.activity_off[0] = 1;
  const double expect = total(expected_chain(w, base, ext, kPop).conversions) -
                        total(expected_chain(w, off, ext, kPop).conversions);
  BOOST_TEST(expect > 0.0);
  BOOST_TEST(tr.channels[0].conversions == expect, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(tr.lag_periods == 4);  // default: ceil(28 days / 7)
}

BOOST_AUTO_TEST_CASE(horizon_without_later_activity_equals_a_longer_run) {
  // All activity ends before period 20, so counting 15 horizon periods is the same as
  // simulating 35 periods (default truth: each channel's own window).
  const World w(truth_world(true), 8);
  RunOptions ext;
  Variant stop;
  const Truth a = windowed_truth(w, 20, -1, -1, 15, -1, ext, stop);
  const Truth b = ground_truth(w, ext, kPop);  // 35 periods, no horizon
  for (std::size_t c = 0; c < 2; ++c) {
    BOOST_TEST(a.channels[c].conversions == b.channels[c].conversions, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(a.channels[c].short_conversions == b.channels[c].short_conversions, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(a.channels[c].cost == b.channels[c].cost);
  }
}

BOOST_AUTO_TEST_CASE(truth_options_are_validated) {
  const World w(truth_world(true), 1);
  RunOptions opt;
  opt.periods = 10;
  auto throws = [&](TruthOptions to, const std::string& what) {
    try {
      (void)ground_truth(w, opt, kPop, to);
      BOOST_FAIL("no error for " << what);
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string(e.what()).find(what) != std::string::npos, e.what());
    }
  };
  TruthOptions to;
  to.window_start = 3;
  to.window_end = 10;
  throws(to, "truth window");
  to.window_start = 5;
  to.window_end = 4;
  throws(to, "truth window");
  to = {};
  to.horizon = -1;
  throws(to, "truth horizon");
  to = {};
  to.lag_periods = -2;
  throws(to, "lag_periods");
}
