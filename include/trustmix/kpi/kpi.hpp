#pragma once
// KPI definitions of METRICS.md, vectorised over Eigen arrays (element i of every input
// belongs to the same row). Grouped by AMEC stage. Conventions:
//   * a zero denominator gives NaN (never 0, never an exception);
//   * a missing input (NaN) gives NaN;
//   * a negative count or amount is an error naming the argument and the element.
// Percentages are returned as percent (x 100) where METRICS.md says so; CVR and ROI are
// fractions, so the identities CPA = CPC / CVR and CPC = CPM / (1000 * CTR / 100) hold.
#include <Eigen/Core>

#include <cmath>
#include <limits>
#include <string_view>

#include "trustmix/core/error.hpp"

namespace trustmix::kpi {

using Array = Eigen::ArrayXd;
using ConstArrayRef = Eigen::Ref<const Eigen::ArrayXd>;

namespace detail {
inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// Throws if any element is negative or infinite (NaN passes: it means missing).
inline void require_non_negative(const ConstArrayRef& a, std::string_view name) {
  for (Eigen::Index i = 0; i < a.size(); ++i)
    if (a[i] < 0.0 || std::isinf(a[i]))
      fail(name, " must be a finite number >= 0 (a count or amount), element ", i, " is ", a[i]);
}
/// Throws if any element is infinite (NaN passes: it means missing).
inline void require_not_infinite(const ConstArrayRef& a, std::string_view name) {
  for (Eigen::Index i = 0; i < a.size(); ++i)
    if (std::isinf(a[i])) fail(name, " must be finite (NaN for missing), element ", i, " is ", a[i]);
}
/// Throws where a part exceeds its whole (a share above 100%), as NPS does for its counts.
inline void require_part_of(const ConstArrayRef& part, const ConstArrayRef& whole, std::string_view np,
                            std::string_view nw) {
  for (Eigen::Index i = 0; i < part.size(); ++i)
    if (part[i] > whole[i]) fail(np, " (", part[i], ") exceeds ", nw, " (", whole[i], ") at element ", i);
}
/// Throws where finite inputs gave a non-finite ratio (overflow of the quotient).
inline void require_finite_result(const Array& out, const ConstArrayRef& num, const ConstArrayRef& den,
                                  std::string_view what) {
  for (Eigen::Index i = 0; i < out.size(); ++i)
    if (std::isinf(out[i]) && std::isfinite(num[i]) && std::isfinite(den[i]))
      fail(what, " overflows at element ", i, " (", num[i], " / ", den[i], "): rescale the inputs (e.g. to thousands)");
}
inline void require_same_size(const ConstArrayRef& a, const ConstArrayRef& b, std::string_view na, std::string_view nb) {
  if (a.size() != b.size()) fail(na, " has ", a.size(), " elements but ", nb, " has ", b.size());
}
/// scale * num / den, NaN where den == 0; an overflow of finite inputs is an error.
inline Array ratio(const ConstArrayRef& num, const ConstArrayRef& den, double scale) {
  Array out = (den == 0.0).select(Array::Constant(num.size(), nan), scale * num / den);
  require_finite_result(out, num, den, "the ratio");
  return out;
}
/// Ratio of two non-negative quantities with validation.
inline Array count_ratio(const ConstArrayRef& num, const ConstArrayRef& den, double scale, std::string_view nn,
                         std::string_view dn) {
  require_same_size(num, den, nn, dn);
  require_non_negative(num, nn);
  require_non_negative(den, dn);
  return ratio(num, den, scale);
}
}  // namespace detail

// ---- Outputs -----------------------------------------------------------------------
/// frequency = impressions / reach (exposures per reached person).
[[nodiscard]] inline Array frequency(const ConstArrayRef& impressions, const ConstArrayRef& reach) {
  return detail::count_ratio(impressions, reach, 1.0, "impressions", "reach");
}
/// share of voice = brand / category total x 100 (mentions, spend or GRPs), percent;
/// brand <= category_total (the brand is part of its category).
[[nodiscard]] inline Array share_of_voice(const ConstArrayRef& brand, const ConstArrayRef& category_total) {
  detail::require_same_size(brand, category_total, "brand", "category_total");
  detail::require_part_of(brand, category_total, "brand", "category_total");
  return detail::count_ratio(brand, category_total, 100.0, "brand", "category_total");
}
/// ESOV = share of voice - share of market, both in percent; result in percentage points.
[[nodiscard]] inline Array excess_share_of_voice(const ConstArrayRef& share_of_voice_pct,
                                                 const ConstArrayRef& share_of_market_pct) {
  detail::require_same_size(share_of_voice_pct, share_of_market_pct, "share_of_voice", "share_of_market");
  detail::require_non_negative(share_of_voice_pct, "share_of_voice");
  detail::require_non_negative(share_of_market_pct, "share_of_market");
  for (Eigen::Index i = 0; i < share_of_voice_pct.size(); ++i) {
    if (share_of_voice_pct[i] > 100.0)
      fail("share_of_voice is a percent in [0, 100], element ", i, " is ", share_of_voice_pct[i]);
    if (share_of_market_pct[i] > 100.0)
      fail("share_of_market is a percent in [0, 100], element ", i, " is ", share_of_market_pct[i]);
  }
  return share_of_voice_pct - share_of_market_pct;
}
/// net sentiment = (positive - negative) / (positive + negative) x 100, in [-100, 100].
[[nodiscard]] inline Array net_sentiment(const ConstArrayRef& positive, const ConstArrayRef& negative) {
  detail::require_same_size(positive, negative, "positive", "negative");
  detail::require_non_negative(positive, "positive");
  detail::require_non_negative(negative, "negative");
  return detail::ratio(positive - negative, positive + negative, 100.0);
}

// ---- Out-takes ---------------------------------------------------------------------
/// engagement rate = engagements / denominator x 100 (the denominator is reach,
/// followers or impressions; the caller names it).
[[nodiscard]] inline Array engagement_rate(const ConstArrayRef& engagements, const ConstArrayRef& denominator) {
  return detail::count_ratio(engagements, denominator, 100.0, "engagements", "denominator");
}
/// CTR = clicks / impressions x 100, percent.
[[nodiscard]] inline Array click_through_rate(const ConstArrayRef& clicks, const ConstArrayRef& impressions) {
  return detail::count_ratio(clicks, impressions, 100.0, "clicks", "impressions");
}
/// virality rate = shares / impressions x 100, percent.
[[nodiscard]] inline Array virality_rate(const ConstArrayRef& shares, const ConstArrayRef& impressions) {
  return detail::count_ratio(shares, impressions, 100.0, "shares", "impressions");
}
/// amplification rate = shares / followers x 100, percent.
[[nodiscard]] inline Array amplification_rate(const ConstArrayRef& shares, const ConstArrayRef& followers) {
  return detail::count_ratio(shares, followers, 100.0, "shares", "followers");
}
/// follower growth rate = (followers_end - followers_start) / followers_start x 100, percent.
[[nodiscard]] inline Array follower_growth_rate(const ConstArrayRef& followers_start, const ConstArrayRef& followers_end) {
  detail::require_same_size(followers_start, followers_end, "followers_start", "followers_end");
  detail::require_non_negative(followers_start, "followers_start");
  detail::require_non_negative(followers_end, "followers_end");
  return detail::ratio(followers_end - followers_start, followers_start, 100.0);
}

// ---- Outcomes ----------------------------------------------------------------------
/// NPS = (promoters - detractors) / respondents x 100, in [-100, 100].
[[nodiscard]] inline Array net_promoter_score(const ConstArrayRef& promoters, const ConstArrayRef& detractors,
                                              const ConstArrayRef& respondents) {
  detail::require_same_size(promoters, detractors, "promoters", "detractors");
  detail::require_same_size(promoters, respondents, "promoters", "respondents");
  detail::require_non_negative(promoters, "promoters");
  detail::require_non_negative(detractors, "detractors");
  detail::require_non_negative(respondents, "respondents");
  for (Eigen::Index i = 0; i < promoters.size(); ++i)
    if (promoters[i] + detractors[i] > respondents[i])
      fail("promoters + detractors (", promoters[i] + detractors[i], ") exceed respondents (", respondents[i],
           ") at element ", i);
  return detail::ratio(promoters - detractors, respondents, 100.0);
}
/// trust index = respondents who trust (top-box) / respondents x 100, percent;
/// trusting <= respondents.
[[nodiscard]] inline Array trust_index(const ConstArrayRef& trusting, const ConstArrayRef& respondents) {
  detail::require_same_size(trusting, respondents, "trusting", "respondents");
  detail::require_part_of(trusting, respondents, "trusting", "respondents");
  return detail::count_ratio(trusting, respondents, 100.0, "trusting", "respondents");
}
/// share of search = brand searches / category searches x 100, percent;
/// brand_searches <= category_searches.
[[nodiscard]] inline Array share_of_search(const ConstArrayRef& brand_searches, const ConstArrayRef& category_searches) {
  detail::require_same_size(brand_searches, category_searches, "brand_searches", "category_searches");
  detail::require_part_of(brand_searches, category_searches, "brand_searches", "category_searches");
  return detail::count_ratio(brand_searches, category_searches, 100.0, "brand_searches", "category_searches");
}

// ---- Impact ------------------------------------------------------------------------
/// CPM = cost / impressions x 1000 (currency per thousand impressions).
[[nodiscard]] inline Array cost_per_mille(const ConstArrayRef& cost, const ConstArrayRef& impressions) {
  return detail::count_ratio(cost, impressions, 1000.0, "cost", "impressions");
}
/// CPC = cost / clicks (currency per click).
[[nodiscard]] inline Array cost_per_click(const ConstArrayRef& cost, const ConstArrayRef& clicks) {
  return detail::count_ratio(cost, clicks, 1.0, "cost", "clicks");
}
/// CPA = cost / conversions (currency per conversion).
[[nodiscard]] inline Array cost_per_acquisition(const ConstArrayRef& cost, const ConstArrayRef& conversions) {
  return detail::count_ratio(cost, conversions, 1.0, "cost", "conversions");
}
/// CAC = total acquisition cost / new customers (currency per customer).
[[nodiscard]] inline Array customer_acquisition_cost(const ConstArrayRef& acquisition_cost,
                                                     const ConstArrayRef& new_customers) {
  return detail::count_ratio(acquisition_cost, new_customers, 1.0, "acquisition_cost", "new_customers");
}
/// CVR = conversions / denominator (clicks, visits or sessions), a fraction.
[[nodiscard]] inline Array conversion_rate(const ConstArrayRef& conversions, const ConstArrayRef& denominator) {
  return detail::count_ratio(conversions, denominator, 1.0, "conversions", "denominator");
}
/// ROAS = revenue / spend (currency per currency).
[[nodiscard]] inline Array return_on_ad_spend(const ConstArrayRef& revenue, const ConstArrayRef& spend) {
  return detail::count_ratio(revenue, spend, 1.0, "revenue", "spend");
}
/// ROI = (incremental value - cost) / cost, a fraction (0.5 = 50%). Incremental value
/// may be negative.
[[nodiscard]] inline Array return_on_investment(const ConstArrayRef& incremental_value, const ConstArrayRef& cost) {
  detail::require_same_size(incremental_value, cost, "incremental_value", "cost");
  detail::require_not_infinite(incremental_value, "incremental_value");
  detail::require_non_negative(cost, "cost");
  return detail::ratio(incremental_value - cost, cost, 1.0);
}
/// Simple CLV = margin x retention / (1 + discount - retention) (currency per customer);
/// margin per period >= 0, retention in [0, 1], discount rate >= 0.
[[nodiscard]] inline Array customer_lifetime_value(const ConstArrayRef& margin, const ConstArrayRef& retention,
                                                   const ConstArrayRef& discount) {
  detail::require_same_size(margin, retention, "margin", "retention");
  detail::require_same_size(margin, discount, "margin", "discount");
  detail::require_non_negative(margin, "margin");
  detail::require_non_negative(discount, "discount");
  for (Eigen::Index i = 0; i < retention.size(); ++i)
    if (retention[i] < 0.0 || retention[i] > 1.0) fail("retention must be in [0, 1], element ", i, " is ", retention[i]);
  return detail::ratio(margin * retention, 1.0 + discount - retention, 1.0);
}

}  // namespace trustmix::kpi
