// KPI bindings: 1-D float64 arrays in and out; broadcasting and pandas are done in Python.
#include <pybind11/eigen.h>

#include <trustmix/kpi/kpi.hpp>

#include "register.hpp"

namespace py = pybind11;

namespace trustmix::bindings {

void register_kpi(py::module_& m) {
  auto k = m.def_submodule("kpi", "trustmix::kpi: KPI definitions (METRICS.md).");
  using A = const Eigen::Ref<const Eigen::ArrayXd>&;
#define TRUSTMIX_KPI2(fn, a, b) k.def(#fn, [](A x, A y) { return kpi::fn(x, y); }, py::arg(a), py::arg(b))
  TRUSTMIX_KPI2(frequency, "impressions", "reach");
  TRUSTMIX_KPI2(share_of_voice, "brand", "category_total");
  TRUSTMIX_KPI2(excess_share_of_voice, "share_of_voice", "share_of_market");
  TRUSTMIX_KPI2(net_sentiment, "positive", "negative");
  TRUSTMIX_KPI2(engagement_rate, "engagements", "denominator");
  TRUSTMIX_KPI2(click_through_rate, "clicks", "impressions");
  TRUSTMIX_KPI2(virality_rate, "shares", "impressions");
  TRUSTMIX_KPI2(amplification_rate, "shares", "followers");
  TRUSTMIX_KPI2(follower_growth_rate, "followers_start", "followers_end");
  TRUSTMIX_KPI2(trust_index, "trusting", "respondents");
  TRUSTMIX_KPI2(share_of_search, "brand_searches", "category_searches");
  TRUSTMIX_KPI2(cost_per_mille, "cost", "impressions");
  TRUSTMIX_KPI2(cost_per_click, "cost", "clicks");
  TRUSTMIX_KPI2(cost_per_acquisition, "cost", "conversions");
  TRUSTMIX_KPI2(customer_acquisition_cost, "acquisition_cost", "new_customers");
  TRUSTMIX_KPI2(conversion_rate, "conversions", "denominator");
  TRUSTMIX_KPI2(return_on_ad_spend, "revenue", "spend");
  TRUSTMIX_KPI2(return_on_investment, "incremental_value", "cost");
#undef TRUSTMIX_KPI2
  k.def(
      "net_promoter_score", [](A p, A d, A n) { return kpi::net_promoter_score(p, d, n); }, py::arg("promoters"),
      py::arg("detractors"), py::arg("respondents"));
  k.def(
      "customer_lifetime_value", [](A mg, A r, A d) { return kpi::customer_lifetime_value(mg, r, d); }, py::arg("margin"),
      py::arg("retention"), py::arg("discount"));
}

}  // namespace trustmix::bindings
