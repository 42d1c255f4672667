#pragma once
// Test worlds of the regional simulator (test_simulate_geo.cpp, test_simulate_geo_panel.cpp):
// two segments (young 60,000 people, old 40,000), press (earned, trust), instagram (paid,
// conversion; a weekly schedule over weeks 2..39 of 3,000 + 50 (week mod 7) a week),
// optionally tv (paid, awareness, weeks 5..30, 60,000 in total); annual seasonality
// (amplitude 0.3, peak on day 200) so that regions share a common factor; SMM effect 1.5.
// PR activities are the caller's. regions(n): n regions of sizes 0.5..1.3, audience mixes
// and conversion scales that differ by region. weekly(): weekly periods without touches.
#include <trustmix/simulate/simulate.hpp>

#include <map>
#include <string>
#include <vector>

namespace trustmix::test {

inline simulate::WorldSpec two_segment_world(bool with_tv) {
  using namespace trustmix::simulate;
  WorldSpec w;
  w.start = Date::from_ymd(2025, 1, 6);
  ChannelParams press;
  press.channel = Channel("press", Peso::earned, Role::trust);
  press.engagement = 0.5;
  press.trust_gain = 0.9;
  ChannelParams ig;
  ig.channel = Channel("instagram", Peso::paid, Role::conversion);
  ig.cpm = 6.0;
  ig.engagement = 0.2;
  w.channels = {press, ig};
  if (with_tv) {
    ChannelParams tv;
    tv.channel = Channel("tv", Peso::paid, Role::conversion);
    tv.cpm = 12.0;
    tv.engagement = 0.15;
    w.channels.push_back(tv);
  }
  std::vector<ScheduleEntry> sched;
  double budget = 0.0;
  for (int week = 2; week < 40; ++week) {
    sched.push_back({w.start + 7 * week + 1, 3000.0 + 50.0 * (week % 7)});
    budget += sched.back().amount;
  }
  w.campaigns = {Campaign("ig", "instagram", Objective::conversion, w.start, w.start + 7 * 40, budget, sched)};
  std::map<std::string, double> young{{"press", 0.4}, {"instagram", 0.8}};
  std::map<std::string, double> old{{"press", 0.7}, {"instagram", 0.3}};
  if (with_tv) {
    w.campaigns.emplace_back("tv", "tv", Objective::awareness, w.start + 35, w.start + 7 * 30, 60000.0);
    young["tv"] = 0.5;
    old["tv"] = 0.8;
  }
  w.audiences = {Audience("young", 60000, 0.3, young, {}, {}, 1.0, 0.004, 50.0),
                 Audience("old", 40000, 0.5, old, {}, {}, 1.0, 0.006, 80.0)};
  w.season_amplitude = 0.3;
  w.season_peak_day = 200;
  w.smm_effect = 1.5;
  return w;
}

inline simulate::PrActivity interview(const std::string& name, Date date, double mentions) {
  simulate::PrActivity pr;
  pr.name = name;
  pr.channel = "press";
  pr.kind = simulate::PrKind::interview;
  pr.date = date;
  pr.mentions = mentions;
  pr.outlet_reach = 20000;
  return pr;
}

inline std::vector<simulate::Region> regions(int n) {
  std::vector<simulate::Region> out;
  for (int r = 0; r < n; ++r) {
    simulate::Region g;
    g.name = "r" + std::to_string(r);
    g.size = 0.5 + 0.1 * (r % 9);  // 0.5 .. 1.3, whole people: sizes are multiples of 10,000 x 0.1
    g.audience_mix = {{"young", 0.7 + 0.05 * (r % 11)}};
    g.conversion_scale = 0.9 + 0.02 * (r % 7);
    out.push_back(g);
  }
  return out;
}

inline simulate::RunOptions weekly(int periods, int threads = 1) {
  simulate::RunOptions o;
  o.periods = periods;
  o.period_days = 7;
  o.threads = threads;
  o.record_touches = false;
  return o;
}

}  // namespace trustmix::test
