// Message tests in the simulated world (trustmix::simulate::run_message_test) bound to
// Python, in the `simulate` submodule. Thin: the spec dict is converted first, the run
// releases the GIL, the result comes back as a MessageTestRun of numpy arrays (periods,
// segments, variants).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <trustmix/simulate/messages.hpp>

#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "helpers/convert.hpp"
#include "helpers/policy.hpp"
#include "helpers/result.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace trustmix::bindings {
namespace {

using namespace trustmix::simulate;
namespace te = trustmix::experiments;

using helpers::get_or;
using helpers::need_str;

MessageSpec message_spec(const py::dict& d) {
  MessageSpec m;
  if (!d.contains("campaign"))
    throw std::invalid_argument("messages: missing 'campaign' (the campaign that runs the variants)");
  m.campaign = need_str(d, "campaign");
  m.enrolment = get_or(d, "enrolment", m.enrolment, "messages: ");
  if (!d.contains("variants")) throw std::invalid_argument("messages: missing 'variants'");
  std::size_t i = 0;
  for (auto item : d["variants"]) {
    const std::string where = "variants[" + std::to_string(i++) + "]";
    if (!py::isinstance<py::dict>(item)) throw std::invalid_argument(where + " must be a dict with 'name' and 'appeal'");
    const auto v = py::reinterpret_borrow<py::dict>(item);
    MessageVariant mv;
    mv.name = need_str(v, "name", where + ": ");
    if (v.contains("appeal") && !v["appeal"].is_none()) {
      try {
        mv.appeal = v["appeal"].cast<std::map<std::string, double>>();
      } catch (const py::cast_error&) {
        throw std::invalid_argument(where + ": appeal must be a dict {audience: logit shift}, got " +
                                    py::repr(v["appeal"]).cast<std::string>());
      }
    }
    m.variants.push_back(std::move(mv));
  }
  return m;
}

void bind_results(py::module_& sub) {
  using helpers::member;
  using helpers::Shape;
  using helpers::shaped;
  using R = MessageTestRun;
  const auto tsv = [](const R& r) { return Shape{r.periods, r.segments, r.variants}; };
  const auto ts = [](const R& r) { return Shape{r.periods, r.segments}; };
  const auto t = [](const R& r) { return Shape{r.periods}; };
  helpers::bind_result<R>(
      sub, "MessageTestRun",
      "A message test run live on the world's people (trustmix::simulate::MessageTestRun): float64 arrays over\n"
      "the test's periods T, segments S and variants V.",
      1, member("periods", &R::periods, "Test periods T."),
      member("first_period", &R::first_period, "The world's period of the test's first period."),
      member("segments", &R::segments, "Segments S."), member("variants", &R::variants, "Variants V."),
      shaped<R>(
          "users", [](auto& r) -> auto& { return r.users; }, tsv, "Users sent each variant (T x S x V)."),
      shaped<R>(
          "conversions", [](auto& r) -> auto& { return r.conversions; }, tsv, "Realised conversions (T x S x V)."),
      shaped<R>(
          "trusting_users", [](auto& r) -> auto& { return r.trusting_users; }, tsv,
          "Users who trust among them (T x S x V)."),
      shaped<R>(
          "trusting_conversions", [](auto& r) -> auto& { return r.trusting_conversions; }, tsv,
          "Conversions among the trusting users (T x S x V)."),
      shaped<R>(
          "shares", [](auto& r) -> auto& { return r.shares; }, tsv,
          "Planned share of the period's users per variant (T x S x V)."),
      shaped<R>(
          "true_rate", [](auto& r) -> auto& { return r.true_rate; }, tsv, "q: conversion probability per user (T x S x V)."),
      shaped<R>(
          "rate_trusting", [](auto& r) -> auto& { return r.rate_trusting; }, tsv, "q given trust (T x S x V)."),
      shaped<R>(
          "rate_untrusting", [](auto& r) -> auto& { return r.rate_untrusting; }, tsv, "q given no trust (T x S x V)."),
      shaped<R>(
          "trusting_share", [](auto& r) -> auto& { return r.trusting_share; }, ts,
          "g: share of the segment who trust (T x S)."),
      shaped<R>(
          "regret", [](auto& r) -> auto& { return r.regret; }, t, "Cumulative regret: sum of users (max_v q - q_v) (T)."),
      shaped<R>("spend", [](auto& r) -> auto& { return r.spend; }, t, "Cost of the period's users (T, currency)."));
}

}  // namespace

void register_simulate_messages(pybind11::module_& m) {
  py::module_ sub = m.attr("simulate");
  bind_results(sub);
  sub.def(
      "run_message_test",
      [](const World& w, const py::dict& messages, int periods, int period_days, int first_period, const std::string& policy,
         const std::vector<double>& weights, double floor, double prior_a, double prior_b, double top_two_beta,
         double pooling, bool by_persona, std::uint64_t stream, const std::vector<double>& costs, double budget) {
        const MessageSpec spec = message_spec(messages);
        MessageTestOptions o;
        o.periods = periods;
        o.period_days = period_days;
        o.first_period = first_period;
        o.weights = weights;
        o.by_persona = by_persona;
        o.stream = stream;
        o.costs = costs;
        o.budget = budget;
        if (policy == "ab") {
          o.design = MessageDesign::ab;
        } else {
          o.design = MessageDesign::bandit;
          o.bandit.policy = helpers::bandit_policy(policy);
          o.bandit.floor = floor;
          o.bandit.prior_a = prior_a;
          o.bandit.prior_b = prior_b;
          o.bandit.top_two_beta = top_two_beta;
          o.bandit.pooling = pooling;
        }
        MessageTestRun r;
        {
          py::gil_scoped_release release;
          r = run_message_test(w, spec, o);
        }
        return r;
      },
      py::arg("world"), py::arg("messages"), py::kw_only(), py::arg("periods"), py::arg("period_days") = 7,
      py::arg("first_period") = 0, py::arg("policy") = "ab", py::arg("weights") = std::vector<double>{},
      py::arg("floor") = 0.0, py::arg("prior_a") = 1.0, py::arg("prior_b") = 1.0, py::arg("top_two_beta") = 0.5,
      py::arg("pooling") = -1.0, py::arg("by_persona") = true, py::arg("stream") = 0,
      py::arg("costs") = std::vector<double>{}, py::arg("budget") = std::numeric_limits<double>::infinity(),
      "Runs a message test live on the world's people, period by period: policy 'ab' (fixed weights) or a bandit "
      "('thompson', 'top_two_thompson', 'ucb') deciding each period's traffic per variant from the earlier periods. "
      "Returns a MessageTestRun of numpy arrays (test periods, segments, variants).");
}

}  // namespace trustmix::bindings
