// Domain model: validation messages, lookups, spend matrix totals, dates, parallel loop.
#include <boost/test/unit_test.hpp>

#include <trustmix/core/domain.hpp>
#include <trustmix/core/parallel.hpp>

#include <atomic>
#include <string>

using namespace trustmix;

namespace {
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Plan example_plan() {
  Plan p;
  p.add_channel({"press", Peso::earned, Role::trust, "press"});
  p.add_channel({"instagram", Peso::paid, Role::conversion, "instagram"});
  p.add_campaign({"pr push", "press", Objective::trust, Date::parse("2025-03-03"), Date::parse("2025-03-16"), 1400.0});
  p.add_campaign({"insta",
                  "instagram",
                  Objective::conversion,
                  Date::parse("2025-03-10"),
                  Date::parse("2025-03-23"),
                  700.0,
                  {{Date::parse("2025-03-10"), 500.0}, {Date::parse("2025-03-17"), 200.0}}});
  p.add_audience({"Skeptical Sam", 1e5, 0.2, {{"press", 0.3}}, {{"instagram", 0.8}}});
  return p;
}
}  // namespace

BOOST_AUTO_TEST_CASE(dates_round_trip_and_validate) {
  BOOST_TEST(Date::parse("1970-01-01").days == 0);
  BOOST_TEST(Date::parse("2024-02-29").iso() == "2024-02-29");
  BOOST_TEST(Date::parse("2025-03-01") - Date::parse("2025-02-01") == 28);
  BOOST_TEST(contains(error_of([] { (void)Date::parse("2025-02-29"); }), "invalid calendar date 2025-2-29"));
  BOOST_TEST(contains(error_of([] { (void)Date::parse("03/01/2025", "start"); }), "start must be an ISO date"));
}

BOOST_AUTO_TEST_CASE(validation_names_field_and_value) {
  BOOST_TEST(contains(
      error_of([] { Campaign("c", "press", Objective::trust, Date::parse("2025-03-02"), Date::parse("2025-03-01"), 1.0); }),
      "end (2025-03-01) is before start (2025-03-02)"));
  BOOST_TEST(contains(
      error_of([] { Campaign("c", "press", Objective::trust, Date::parse("2025-03-01"), Date::parse("2025-03-02"), -5.0); }),
      "budget must be a finite number >= 0, got -5"));
  BOOST_TEST(
      contains(error_of([] { Audience("a", std::nan("")); }), "Audience 'a': size must be a finite number >= 0, got nan"));
  BOOST_TEST(contains(error_of([] { Audience("a", 10.0, 1.5); }), "baseline_trust must be in [0, 1], got 1.5"));
  BOOST_TEST(
      contains(error_of([] { Audience("a", 10.0, 0.5, {{"press", 2.0}}); }), "reach['press'] must be in [0, 1], got 2"));
  BOOST_TEST(contains(error_of([] { (void)peso_from_string("social"); }),
                      "peso must be one of {paid, earned, shared, owned}, got 'social'"));
  BOOST_TEST(contains(error_of([] {
                        Campaign("c", "press", Objective::trust, Date::parse("2025-03-01"), Date::parse("2025-03-31"), 10.0,
                                 {{Date::parse("2025-03-01"), 4.0}});
                      }),
                      "schedule amounts sum to 4 but budget is 10"));
  Plan p = example_plan();
  BOOST_TEST(
      contains(error_of([&] { p.add_channel({"press", Peso::owned, Role::both}); }), "duplicate channel name 'press'"));
  BOOST_TEST(contains(error_of([&] {
                        p.add_campaign({"x", "tiktok", Objective::conversion, Date::parse("2025-01-01"),
                                        Date::parse("2025-01-02"), 1.0});
                      }),
                      "unknown channel 'tiktok' (plan channels: press, instagram)"));
  BOOST_TEST(contains(error_of([&] { p.add_audience({"y", 1.0, 0.5, {{"radio", 0.5}}}); }),
                      "Audience 'y': unknown channel 'radio'"));
  BOOST_TEST(contains(error_of([&] { (void)p.channel("radio"); }), "no channel named 'radio'"));
}

BOOST_AUTO_TEST_CASE(lookups_and_spend_matrix) {
  const Plan p = example_plan();
  BOOST_TEST(p.channel("instagram").converts());
  BOOST_TEST(!p.channel("press").converts());
  BOOST_TEST(p.channel("press").builds_trust());
  BOOST_TEST(p.channel_position("instagram") == 1u);
  BOOST_TEST(p.audience("Skeptical Sam").reach.at("press") == 0.3);
  BOOST_TEST(p.total_budget() == 2100.0);
  // Weekly from 2025-03-03: press 100/day for 14 days = 700, 700; instagram 500 in week
  // 2, 200 in week 3.
  const Eigen::MatrixXd s = p.spend_matrix(Date::parse("2025-03-03"), 4, 7);
  BOOST_TEST(s(0, 0) == 700.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s(1, 0) == 700.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s(1, 1) == 500.0);
  BOOST_TEST(s(2, 1) == 200.0);
  BOOST_TEST(s.sum() == p.total_budget(), boost::test_tools::tolerance(1e-12));
  // A window that starts late leaves the first week's spend out, by definition.
  BOOST_TEST(p.spend_matrix(Date::parse("2025-03-10"), 4, 7).sum() == 1400.0, boost::test_tools::tolerance(1e-12));
  // Daily periods sum to the same total.
  BOOST_TEST(p.spend_matrix(Date::parse("2025-03-03"), 30, 1).sum() == 2100.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST((Plan(p.channels(), p.campaigns(), p.audiences()) == p));
}

BOOST_AUTO_TEST_CASE(parallel_loop_covers_each_index_once_and_rethrows) {
  for (int threads : {1, 2, 3, 8}) {
    std::vector<std::atomic<int>> hits(1000);
    parallel_for_blocks(1000, threads, 10, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
      for (auto i = b; i < e; ++i) hits[static_cast<std::size_t>(i)]++;
    });
    for (auto& h : hits) BOOST_TEST(h.load() == 1);
  }
  BOOST_CHECK_THROW(parallel_for_blocks(1000, 4, 10,
                                        [](std::ptrdiff_t b, std::ptrdiff_t) {
                                          if (b > 0) throw std::invalid_argument("block failed");
                                        }),
                    std::invalid_argument);
}
