// KPIs: definitions, NaN on zero denominators, errors on negative counts, identities.
#include <boost/test/unit_test.hpp>

#include <trustmix/kpi/kpi.hpp>

#include <cmath>

#include "check.hpp"

namespace kpi = trustmix::kpi;
using A = Eigen::ArrayXd;

namespace {
A a(std::initializer_list<double> v) {
  A out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double x : v) out[i++] = x;
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(definitions) {
  BOOST_TEST(kpi::click_through_rate(a({25}), a({5000}))[0] == 0.5);
  BOOST_TEST(kpi::cost_per_mille(a({250}), a({50000}))[0] == 5.0);
  BOOST_TEST(kpi::cost_per_click(a({250}), a({125}))[0] == 2.0);
  BOOST_TEST(kpi::engagement_rate(a({30}), a({1200}))[0] == 2.5);
  BOOST_TEST(kpi::net_sentiment(a({30}), a({10}))[0] == 50.0);
  BOOST_TEST(kpi::net_promoter_score(a({50}), a({20}), a({100}))[0] == 30.0);
  BOOST_TEST(kpi::share_of_voice(a({30}), a({120}))[0] == 25.0);
  BOOST_TEST(kpi::excess_share_of_voice(a({25}), a({18}))[0] == 7.0);
  BOOST_TEST(kpi::frequency(a({9000}), a({3000}))[0] == 3.0);
  BOOST_TEST(kpi::return_on_ad_spend(a({500}), a({100}))[0] == 5.0);
  BOOST_TEST(kpi::return_on_investment(a({150}), a({100}))[0] == 0.5);
  BOOST_TEST(kpi::return_on_investment(a({50}), a({100}))[0] == -0.5);
  BOOST_TEST(kpi::follower_growth_rate(a({1000}), a({1100}))[0] == 10.0, boost::test_tools::tolerance(1e-14));
  // CLV = m r / (1 + d - r) = 100 * 0.8 / 0.3.
  BOOST_TEST(kpi::customer_lifetime_value(a({100}), a({0.8}), a({0.1}))[0] == 80.0 / 0.3,
             boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(zero_denominators_are_nan_missing_stays_missing) {
  const A r = kpi::click_through_rate(a({1, 0, NAN}), a({0, 0, 10}));
  BOOST_TEST(std::isnan(r[0]));
  BOOST_TEST(std::isnan(r[1]));
  BOOST_TEST(std::isnan(r[2]));
  BOOST_TEST(std::isnan(kpi::net_sentiment(a({0}), a({0}))[0]));
  BOOST_TEST(std::isnan(kpi::return_on_investment(a({10}), a({0}))[0]));
}

BOOST_AUTO_TEST_CASE(negative_counts_are_errors) {
  BOOST_CHECK_EXCEPTION(
      (void)kpi::click_through_rate(a({1, -2}), a({10, 10})), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()) == "clicks must be a finite number >= 0 (a count or amount), element 1 is -2";
      });
  BOOST_CHECK_THROW((void)kpi::cost_per_mille(a({1}), a({1, 2})), std::invalid_argument);
  BOOST_CHECK_THROW((void)kpi::net_promoter_score(a({60}), a({50}), a({100})), std::invalid_argument);
  BOOST_CHECK_THROW((void)kpi::customer_lifetime_value(a({1}), a({1.2}), a({0.1})), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(identities) {
  // CPA = CPC / CVR and CPC = CPM / (1000 * CTR/100) on arbitrary data.
  const A cost = a({120.0, 75.5, 3000.0}), impressions = a({40000, 12000, 900000}), clicks = a({300, 41, 5200}),
          conversions = a({12, 3, 260});
  const A cpa = kpi::cost_per_acquisition(cost, conversions);
  const A cpc = kpi::cost_per_click(cost, clicks);
  const A cvr = kpi::conversion_rate(conversions, clicks);
  const A cpm = kpi::cost_per_mille(cost, impressions);
  const A ctr = kpi::click_through_rate(clicks, impressions);
  trustmix::test::check_close(cpa.matrix(), (cpc / cvr).matrix(), 1e-14);
  trustmix::test::check_close(cpc.matrix(), (cpm / (10.0 * ctr)).matrix(), 1e-14);
}
