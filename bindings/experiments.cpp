// trustmix::experiments bound to Python. Thin: arguments are converted to C++ first, the
// GIL is released around the C++ work, results come back as numpy arrays or result classes
// with typed attributes (helpers/result.hpp). The pythonic layer (trustmix.experiments) builds DataFrames and result objects.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <trustmix/experiments/experiments.hpp>

#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "helpers/convert.hpp"
#include "helpers/policy.hpp"
#include "helpers/result.hpp"
#include "register.hpp"

namespace py = pybind11;
namespace te = trustmix::experiments;

namespace trustmix::bindings {
namespace {

using helpers::DoubleArray;
using helpers::Int64Array;
using helpers::to_array;
using helpers::to_vector;

te::Metric metric_of(const std::string& s) {
  using M = te::Metric;
  return helpers::choice<M>(
      s, "metric_type",
      {{"binomial", M::binomial}, {"count", M::count}, {"continuous", M::continuous}, {"ratio", M::ratio}});
}
te::Spending spending_of(const std::string& s) {
  using S = te::Spending;
  return helpers::choice<S>(s, "spending", {{"obrien_fleming", S::obrien_fleming}, {"pocock", S::pocock}});
}
te::Policy policy_of(const std::string& s) { return helpers::bandit_policy(s); }
te::Reward reward_of(const std::string& s) {
  using R = te::Reward;
  return helpers::choice<R>(s, "reward", {{"bernoulli", R::bernoulli}, {"gaussian", R::gaussian}});
}
const char* family_name(te::Family f) {
  switch (f) {
    case te::Family::beta: return "beta";
    case te::Family::gamma: return "gamma";
    case te::Family::student_t: return "student_t";
    case te::Family::normal: return "normal";
  }
  return "normal";
}

/// Arm sums from parallel arrays (n, sum, and optional sum_sq, sum_x, sum_x2, sum_xy).
std::vector<te::ArmData> arms_of(const DoubleArray& n, const DoubleArray& sum, const std::optional<DoubleArray>& sum_sq,
                                 const std::optional<DoubleArray>& sum_x, const std::optional<DoubleArray>& sum_x2,
                                 const std::optional<DoubleArray>& sum_xy) {
  const auto k = static_cast<std::size_t>(n.size());
  auto check = [&](const std::optional<DoubleArray>& a, const char* name) {
    if (a && static_cast<std::size_t>(a->size()) != k)
      throw std::invalid_argument(std::string(name) + " has " + std::to_string(a->size()) + " values, n has " +
                                  std::to_string(k));
  };
  if (static_cast<std::size_t>(sum.size()) != k)
    throw std::invalid_argument("sum has " + std::to_string(sum.size()) + " values, n has " + std::to_string(k));
  check(sum_sq, "sum_sq");
  check(sum_x, "sum_x");
  check(sum_x2, "sum_x2");
  check(sum_xy, "sum_xy");
  std::vector<te::ArmData> out(k);
  for (std::size_t i = 0; i < k; ++i) {
    const auto j = static_cast<py::ssize_t>(i);
    out[i].n = n.at(j);
    out[i].sum = sum.at(j);
    if (sum_sq) out[i].sum_sq = sum_sq->at(j);
    if (sum_x) out[i].sum_x = sum_x->at(j);
    if (sum_x2) out[i].sum_x2 = sum_x2->at(j);
    if (sum_xy) out[i].sum_xy = sum_xy->at(j);
  }
  return out;
}

te::Prior prior_of(const std::string& metric, std::optional<double> a, std::optional<double> b) {
  te::Prior p = te::default_prior(metric_of(metric));
  if (a) p.a = *a;
  if (b) p.b = *b;
  return p;
}

std::vector<te::Posterior> posteriors_of(const std::vector<te::ArmData>& arms, te::Metric metric, te::Prior prior) {
  std::vector<te::Posterior> post;
  post.reserve(arms.size());
  for (std::size_t i = 0; i < arms.size(); ++i) {
    try {
      post.push_back(te::conjugate_posterior(arms[i], metric, prior));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("arm " + std::to_string(i) + ": " + e.what());
    }
  }
  return post;
}

/// Per-arm sums of summarize(), one array per field of te::ArmData.
struct ArmSums {
  std::vector<double> n, sum, sum_sq, sum_x, sum_x2, sum_xy;
};

/// Per-arm estimates of estimate_arms(), one array per field of te::ArmEstimate.
struct ArmEstimates {
  std::vector<double> n, mean, variance, unit_variance;
};

/// compare(): te::BayesComparison and the conjugate posterior of every arm.
struct Comparison {
  std::vector<double> prob_best, prob_beat_control, expected_loss, loss_vs_control, mean;
  double error_bound = 0.0;
  std::vector<std::tuple<std::string, double, double, double, double>> posteriors;
};

/// compare_normal(): compare() and lift() of normal posteriors.
struct NormalComparison {
  std::vector<double> prob_best, prob_beat_control, expected_loss, loss_vs_control;
  std::vector<double> lower, median, upper, density;
};

/// lift(): the credible interval of one arm's lift and its density on the grid.
struct LiftInterval {
  double lower = 0.0, median = 0.0, upper = 0.0;
  std::vector<double> density;
};

/// always_valid_path(): one array per field of te::SequentialLook.
struct AlwaysValidPath {
  std::vector<double> likelihood_ratio, p_value, ci_lower, ci_upper, reject;
};

/// yuen_test(): the test and the two trimmed means.
struct YuenTest {
  te::FixedTest test;
  double control_mean = 0.0, arm_mean = 0.0;
};

/// allocation_by_persona(): exact shares per persona with partial pooling across personas.
struct PersonaAllocation {
  int personas = 0, arms = 0;
  std::vector<double> shares;  ///< personas x arms, row-major
  /// Bernoulli rewards: the pooling strength of the Beta priors (pseudo-users); NaN for Gaussian.
  double pooling_strength = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> between_persona_sd;  ///< Gaussian rewards: per arm; empty for Bernoulli
};

/// A (experiments, arms) array of a flat row-major vector of te::BatchComparison.
py::array_t<double> batch_shaped(const te::BatchComparison& b, const std::vector<double>& v) {
  py::array_t<double> a({static_cast<py::ssize_t>(b.experiments), static_cast<py::ssize_t>(b.arms)});
  if (static_cast<std::size_t>(a.size()) != v.size()) throw std::logic_error("compare_batch: result of the wrong size");
  if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(double));
  return a;
}

void bind_results(py::module_& sub) {
  using helpers::bind_result;
  using helpers::computed;
  using helpers::member;
  bind_result<ArmSums>(sub, "ArmSums", "Per-arm sufficient statistics of summarize(): float64 arrays over the arms.", 1,
                       member("n", &ArmSums::n, "Users (rows) per arm."), member("sum", &ArmSums::sum, "Sum of y."),
                       member("sum_sq", &ArmSums::sum_sq, "Sum of y^2."), member("sum_x", &ArmSums::sum_x, "Sum of x."),
                       member("sum_x2", &ArmSums::sum_x2, "Sum of x^2."), member("sum_xy", &ArmSums::sum_xy, "Sum of x y."));
  bind_result<ArmEstimates>(
      sub, "ArmEstimates", "Per-arm mean and variance of the mean of estimate_arms(): float64 arrays over the arms.", 1,
      member("n", &ArmEstimates::n, "Users per arm."), member("mean", &ArmEstimates::mean, "Mean of the metric."),
      member("variance", &ArmEstimates::variance, "Variance of the mean (delta method for ratios, CUPED-adjusted)."),
      member("unit_variance", &ArmEstimates::unit_variance, "Per-user variance (variance * n)."));
  bind_result<Comparison>(
      sub, "Comparison",
      "Bayesian comparison of conjugate posteriors (compare()): float64 arrays over the arms, quadrature error and "
      "the posteriors.",
      1, member("prob_best", &Comparison::prob_best, "P(arm i has the highest mean)."),
      member("prob_beat_control", &Comparison::prob_beat_control, "P(theta_i > theta_control); 0.5 at the control."),
      member("expected_loss", &Comparison::expected_loss, "E[max_j theta_j - theta_i], metric units."),
      member("loss_vs_control", &Comparison::loss_vs_control, "E[max(theta_c - theta_i, 0)], metric units."),
      member("mean", &Comparison::mean, "E[theta_i]."),
      member("error_bound", &Comparison::error_bound, "Sum of the Gauss-Kronrod error estimates."),
      member("posteriors", &Comparison::posteriors,
             "Per arm (family, a, b, loc, scale) of its posterior: 'beta', 'gamma', 'student_t' or 'normal'."));
  bind_result<NormalComparison>(
      sub, "NormalComparison",
      "compare() and lift() of normal posteriors N(mean, sd^2) (compare_normal()): float64 arrays over the arms; "
      "the control's interval is 0.",
      1, member("prob_best", &NormalComparison::prob_best, "P(arm i has the highest mean)."),
      member("prob_beat_control", &NormalComparison::prob_beat_control, "P(theta_i > theta_control)."),
      member("expected_loss", &NormalComparison::expected_loss, "E[max_j theta_j - theta_i]."),
      member("loss_vs_control", &NormalComparison::loss_vs_control, "E[max(theta_c - theta_i, 0)]."),
      member("lower", &NormalComparison::lower, "Lower end of the lift's credible interval."),
      member("median", &NormalComparison::median, "Median of the lift."),
      member("upper", &NormalComparison::upper, "Upper end of the lift's credible interval."),
      member("density", &NormalComparison::density,
             "Lift density on the grid, the arms other than the control one after the other (empty without grid)."));
  bind_result<LiftInterval>(
      sub, "LiftInterval", "Exact credible interval of the lift of an arm over the control (lift()).", 1,
      member("lower", &LiftInterval::lower, "Lower end."), member("median", &LiftInterval::median, "Median."),
      member("upper", &LiftInterval::upper, "Upper end."),
      member("density", &LiftInterval::density, "float64 lift density on the grid (empty without grid)."));
  bind_result<te::EffectPosterior>(
      sub, "EffectPosterior", "Gaussian lift posterior as GrowthBook's engine defines it (te::EffectPosterior).", 1,
      member("mean", &te::EffectPosterior::mean, "Posterior mean of the lift."),
      member("sd", &te::EffectPosterior::sd, "Posterior sd of the lift."),
      member("chance_to_win", &te::EffectPosterior::chance_to_win, "P(lift > 0)."),
      member("ci_lower", &te::EffectPosterior::ci_lower, "Lower end of the credible interval."),
      member("ci_upper", &te::EffectPosterior::ci_upper, "Upper end of the credible interval."),
      member("risk_control", &te::EffectPosterior::risk_control, "Expected loss of choosing the control."),
      member("risk_treatment", &te::EffectPosterior::risk_treatment, "Expected loss of choosing the arm."));
  bind_result<te::FixedTest>(
      sub, "FixedTest", "Fixed-horizon two-sided test of an arm against the control (te::FixedTest).", 1,
      member("estimate", &te::FixedTest::estimate, "Lift: m_a - m_c (absolute) or m_a / m_c - 1 (relative)."),
      member("std_error", &te::FixedTest::std_error, "Delta-method standard error of the lift."),
      member("statistic", &te::FixedTest::statistic, "estimate / std_error."),
      member("df", &te::FixedTest::df, "Welch degrees of freedom (inf: normal reference)."),
      member("p_value", &te::FixedTest::p_value, "Two-sided p-value."),
      member("ci_lower", &te::FixedTest::ci_lower, "Lower end of the confidence interval."),
      member("ci_upper", &te::FixedTest::ci_upper, "Upper end of the confidence interval."));
  auto yt = [](auto m) { return [m](const YuenTest& y) { return y.test.*m; }; };
  bind_result<YuenTest>(
      sub, "YuenTest", "Yuen-Welch test of trimmed means (yuen_test()): the test's fields and both trimmed means.", 0,
      computed<YuenTest>("estimate", yt(&te::FixedTest::estimate), "Lift of the trimmed means."),
      computed<YuenTest>("std_error", yt(&te::FixedTest::std_error), "Standard error of the lift."),
      computed<YuenTest>("statistic", yt(&te::FixedTest::statistic), "estimate / std_error."),
      computed<YuenTest>("df", yt(&te::FixedTest::df), "Welch degrees of freedom."),
      computed<YuenTest>("p_value", yt(&te::FixedTest::p_value), "Two-sided p-value."),
      computed<YuenTest>("ci_lower", yt(&te::FixedTest::ci_lower), "Lower end of the confidence interval."),
      computed<YuenTest>("ci_upper", yt(&te::FixedTest::ci_upper), "Upper end of the confidence interval."),
      member("control_mean", &YuenTest::control_mean, "Trimmed mean of the control."),
      member("arm_mean", &YuenTest::arm_mean, "Trimmed mean of the arm."));
  bind_result<AlwaysValidPath>(sub, "AlwaysValidPath",
                               "Always-valid (mixture SPRT) results along the looks: float64 arrays over the looks.", 1,
                               member("likelihood_ratio", &AlwaysValidPath::likelihood_ratio, "Mixture likelihood ratio."),
                               member("p_value", &AlwaysValidPath::p_value, "Always-valid p-value."),
                               member("ci_lower", &AlwaysValidPath::ci_lower, "Lower end of the confidence sequence."),
                               member("ci_upper", &AlwaysValidPath::ci_upper, "Upper end of the confidence sequence."),
                               member("reject", &AlwaysValidPath::reject, "1.0 where the null is rejected, else 0.0."));
  bind_result<te::GsDesign>(
      sub, "GsDesign", "Group-sequential design (te::GsDesign).", 1,
      member("fractions", &te::GsDesign::fractions, "float64 information fractions of the looks."),
      member("bounds", &te::GsDesign::bounds, "float64 two-sided boundaries, z scale."),
      member("drift", &te::GsDesign::drift, "Drift giving the requested power."),
      member("inflation", &te::GsDesign::inflation, "Sample size inflation over the fixed design."),
      member("expected_fraction_alternative", &te::GsDesign::expected_fraction_alternative,
             "Expected sample fraction under the alternative."),
      member("expected_fraction_null", &te::GsDesign::expected_fraction_null, "Expected sample fraction under the null."));
  auto bc = [](auto m) { return [m](const te::BatchComparison& b) { return batch_shaped(b, b.*m); }; };
  using BC = te::BatchComparison;
  bind_result<BC>(sub, "BatchComparison",
                  "compare() of many experiments (te::BatchComparison): float64 (experiment, arm) arrays.", 0,
                  member("experiments", &BC::experiments, "Number of experiments (rows)."),
                  member("arms", &BC::arms, "Arms per experiment (columns)."),
                  computed<BC>("prob_best", bc(&BC::prob_best), "P(arm has the highest mean)."),
                  computed<BC>("prob_beat_control", bc(&BC::prob_beat_control), "P(arm beats the control)."),
                  computed<BC>("expected_loss", bc(&BC::expected_loss), "E[max_j theta_j - theta_i]."),
                  computed<BC>("loss_vs_control", bc(&BC::loss_vs_control), "E[max(theta_c - theta_i, 0)]."));
  using PA = PersonaAllocation;
  bind_result<PA>(
      sub, "PersonaAllocation",
      "Exact traffic shares per persona with partial pooling across personas (allocation_by_persona()).", 1,
      member("personas", &PA::personas, "Personas P."), member("arms", &PA::arms, "Arms K."),
      helpers::shaped<PA>(
          "shares", [](auto& a) -> auto& { return a.shares; },
          [](const PA& a) { return helpers::Shape{a.personas, a.arms}; },
          "float64 P x K shares of the next users of each persona (rows sum to 1)."),
      member("pooling_strength", &PA::pooling_strength,
             "Bernoulli rewards: pseudo-users of the pooled Beta prior centred on each arm's pooled rate; NaN for "
             "Gaussian."),
      member("between_persona_sd", &PA::between_persona_sd,
             "Gaussian rewards: float64 between-persona sd per arm (the Normal priors' sd); empty for Bernoulli."));
  using OPE = te::OffPolicyEstimate;
  bind_result<OPE>(sub, "OffPolicyEstimate",
                   "Off-policy estimate of a target policy's mean reward per user (te::OffPolicyEstimate).", 1,
                   member("value", &OPE::value, "Estimated mean reward per user under the target policy."),
                   member("std_error", &OPE::std_error, "Standard error of value."));
  using BS = te::BanditSimulation;
  bind_result<BS>(
      sub, "BanditSimulation", "A bandit simulated on known truth (te::BanditSimulation).", 1,
      member("arms", &BS::arms, "Arms."), member("personas", &BS::personas, "Personas."),
      member("batches", &BS::batches, "Batches."),
      member("pulls", &BS::pulls, "float64 users sent, batch x persona x arm flattened (row-major)."),
      member("shares", &BS::shares, "float64 planned traffic shares, batch x persona x arm flattened."),
      member("cumulative_regret", &BS::cumulative_regret, "float64 per batch: sum of (best mean - pulled mean)."),
      member("spend", &BS::spend, "float64 spend per batch."),
      member("final_prob_best", &BS::final_prob_best, "float64 persona x arm P(best) at the end, flattened."),
      member("total_reward", &BS::total_reward, "Total reward."), member("total_spend", &BS::total_spend, "Total spend."));
}

}  // namespace

void register_experiments(pybind11::module_& m) {
  auto sub = m.def_submodule("experiments", "trustmix::experiments bound to Python.");
  const auto none = py::none();
  bind_results(sub);

  sub.def(
      "summarize",
      [](const Int64Array& arm, const DoubleArray& y, const std::optional<DoubleArray>& x, std::size_t n_arms, double cap) {
        const auto a = to_vector(arm);
        const auto yy = to_vector(y);
        const auto xx = to_vector(x);
        std::vector<te::ArmData> s;
        {
          py::gil_scoped_release release;
          s = te::summarize(a, yy, xx, n_arms, cap);
        }
        ArmSums d;
        for (const auto& v : s) {
          d.n.push_back(v.n), d.sum.push_back(v.sum), d.sum_sq.push_back(v.sum_sq);
          d.sum_x.push_back(v.sum_x), d.sum_x2.push_back(v.sum_x2), d.sum_xy.push_back(v.sum_xy);
        }
        return d;
      },
      py::arg("arm"), py::arg("y"), py::arg("x") = none, py::arg("n_arms"),
      py::arg("cap") = std::numeric_limits<double>::infinity(),
      "Per-arm sums (n, sum, sum_sq, sum_x, sum_x2, sum_xy) from raw rows; y capped at `cap`.");

  sub.def(
      "quantile",
      [](const DoubleArray& v, double q) {
        const auto vv = to_vector(v);
        py::gil_scoped_release release;
        return te::quantile(vv, q);
      },
      py::arg("values"), py::arg("q"), "Quantile with linear interpolation (numpy's default).");

  sub.def(
      "estimate_arms",
      [](const DoubleArray& n, const DoubleArray& sum, const std::optional<DoubleArray>& sum_sq,
         const std::optional<DoubleArray>& sum_x, const std::optional<DoubleArray>& sum_x2,
         const std::optional<DoubleArray>& sum_xy, const std::string& metric, bool cuped) {
        const auto arms = arms_of(n, sum, sum_sq, sum_x, sum_x2, sum_xy);
        const auto mt = metric_of(metric);
        std::vector<te::ArmEstimate> e;
        {
          py::gil_scoped_release release;
          e = te::estimate_arms(arms, mt, cuped);
        }
        ArmEstimates d;
        for (const auto& x : e)
          d.mean.push_back(x.mean), d.variance.push_back(x.variance), d.unit_variance.push_back(x.unit_variance),
              d.n.push_back(x.n);
        return d;
      },
      py::arg("n"), py::arg("sum"), py::arg("sum_sq") = none, py::arg("sum_x") = none, py::arg("sum_x2") = none,
      py::arg("sum_xy") = none, py::kw_only(), py::arg("metric"), py::arg("cuped") = false,
      "Mean and variance of the mean of every arm (delta method for ratios, CUPED on request).");

  sub.def(
      "compare",
      [](const DoubleArray& n, const DoubleArray& sum, const std::optional<DoubleArray>& sum_sq, const std::string& metric,
         std::optional<double> prior_a, std::optional<double> prior_b, std::size_t control, double tolerance) {
        const auto arms = arms_of(n, sum, sum_sq, std::nullopt, std::nullopt, std::nullopt);
        const auto prior = prior_of(metric, prior_a, prior_b);
        te::BayesComparison c;
        std::vector<te::Posterior> post;
        {
          py::gil_scoped_release release;
          post = posteriors_of(arms, metric_of(metric), prior);
          c = te::compare_posteriors(post, control, tolerance);
        }
        Comparison d{std::move(c.prob_best),
                     std::move(c.prob_beat_control),
                     std::move(c.expected_loss),
                     std::move(c.loss_vs_control),
                     std::move(c.mean),
                     c.error_bound,
                     {}};
        for (const auto& p : post) d.posteriors.emplace_back(family_name(p.family), p.a, p.b, p.loc, p.scale);
        return d;
      },
      py::arg("n"), py::arg("sum"), py::arg("sum_sq") = none, py::kw_only(), py::arg("metric"), py::arg("prior_a") = none,
      py::arg("prior_b") = none, py::arg("control") = 0, py::arg("tolerance") = 1e-10,
      "Exact (quadrature) P(best), P(beat control), expected losses of conjugate posteriors.");

  sub.def(
      "compare_normal",
      [](const DoubleArray& means, const DoubleArray& sds, std::size_t control, double level, bool relative,
         const std::optional<DoubleArray>& grid) {
        // Normal posteriors N(mean, sd^2) of each arm's mean (CUPED-adjusted or ratio
        // metrics, where no conjugate model exists: the large-sample approximation).
        const auto k = static_cast<std::size_t>(means.size());
        if (static_cast<std::size_t>(sds.size()) != k) throw std::invalid_argument("means and sds differ in length");
        std::vector<te::Posterior> post(k);
        for (std::size_t i = 0; i < k; ++i) {
          if (!(sds.data()[i] > 0.0)) throw std::invalid_argument("arm " + std::to_string(i) + ": sd must be > 0");
          post[i] = {te::Family::normal, 0.0, 0.0, means.data()[i], sds.data()[i]};
        }
        const auto g = to_vector(grid);
        te::BayesComparison c;
        std::vector<double> lo(k), med(k), hi(k), dens;
        {
          py::gil_scoped_release release;
          c = te::compare_posteriors(post, control);
          for (std::size_t i = 0; i < k; ++i) {
            if (i == control) continue;
            const auto iv = te::lift_interval(post[control], post[i], level, relative);
            lo[i] = iv[0], med[i] = iv[1], hi[i] = iv[2];
            if (!g.empty()) {
              const auto d = te::lift_density(post[control], post[i], g, relative);
              dens.insert(dens.end(), d.begin(), d.end());
            }
          }
        }
        return NormalComparison{std::move(c.prob_best),
                                std::move(c.prob_beat_control),
                                std::move(c.expected_loss),
                                std::move(c.loss_vs_control),
                                std::move(lo),
                                std::move(med),
                                std::move(hi),
                                std::move(dens)};
      },
      py::arg("means"), py::arg("sds"), py::kw_only(), py::arg("control") = 0, py::arg("level") = 0.95,
      py::arg("relative") = true, py::arg("grid") = none,
      "compare() and lift() for normal posteriors given by their means and sds.");

  sub.def(
      "compare_batch",
      [](const DoubleArray& n, const DoubleArray& sum, const std::optional<DoubleArray>& sum_sq, const std::string& metric,
         std::optional<double> prior_a, std::optional<double> prior_b, std::size_t control, int threads) {
        if (n.ndim() != 2) throw std::invalid_argument("n must be a 2-d array experiments x arms");
        const auto e = static_cast<std::size_t>(n.shape(0));
        const auto k = static_cast<std::size_t>(n.shape(1));
        if (sum.size() != n.size() || (sum_sq && sum_sq->size() != n.size()))
          throw std::invalid_argument("n, sum (and sum_sq) must have the same shape experiments x arms");
        std::vector<te::ArmData> data(e * k);
        for (std::size_t i = 0; i < e * k; ++i) {
          data[i].n = n.data()[i];
          data[i].sum = sum.data()[i];
          if (sum_sq) data[i].sum_sq = sum_sq->data()[i];
        }
        const auto prior = prior_of(metric, prior_a, prior_b);
        const auto mt = metric_of(metric);
        te::BatchComparison b;
        {
          py::gil_scoped_release release;
          b = te::compare_batch(data, e, k, mt, prior, control, threads);
        }
        return b;
      },
      py::arg("n"), py::arg("sum"), py::arg("sum_sq") = none, py::kw_only(), py::arg("metric"), py::arg("prior_a") = none,
      py::arg("prior_b") = none, py::arg("control") = 0, py::arg("threads") = 0,
      "compare() for many experiments (rows) at once, in parallel.");

  sub.def(
      "lift",
      [](const DoubleArray& n, const DoubleArray& sum, const std::optional<DoubleArray>& sum_sq, const std::string& metric,
         std::optional<double> prior_a, std::optional<double> prior_b, std::size_t control, std::size_t arm, double level,
         bool relative, const std::optional<DoubleArray>& grid) {
        const auto arms = arms_of(n, sum, sum_sq, std::nullopt, std::nullopt, std::nullopt);
        if (control >= arms.size() || arm >= arms.size()) throw std::invalid_argument("control or arm index out of range");
        const auto prior = prior_of(metric, prior_a, prior_b);
        const auto g = to_vector(grid);
        std::array<double, 3> iv{};
        std::vector<double> dens;
        {
          py::gil_scoped_release release;
          const auto post = posteriors_of(arms, metric_of(metric), prior);
          iv = te::lift_interval(post[control], post[arm], level, relative);
          if (!g.empty()) dens = te::lift_density(post[control], post[arm], g, relative);
        }
        return LiftInterval{iv[0], iv[1], iv[2], std::move(dens)};
      },
      py::arg("n"), py::arg("sum"), py::arg("sum_sq") = none, py::kw_only(), py::arg("metric"), py::arg("prior_a") = none,
      py::arg("prior_b") = none, py::arg("control") = 0, py::arg("arm") = 1, py::arg("level") = 0.95,
      py::arg("relative") = true, py::arg("grid") = none,
      "Exact credible interval {lower, median, upper} of the lift of `arm` over `control`, and its density on `grid`.");

  sub.def(
      "effect_posterior",
      [](double mean_c, double var_c, double mean_a, double var_a, bool relative, double level, double prior_mean,
         double prior_variance, bool proper) {
        const te::ArmEstimate c{1.0, mean_c, var_c, 0.0};
        const te::ArmEstimate a{1.0, mean_a, var_a, 0.0};
        return te::effect_posterior(c, a, relative, level, prior_mean, prior_variance, proper);
      },
      py::arg("mean_control"), py::arg("variance_control"), py::arg("mean_arm"), py::arg("variance_arm"), py::kw_only(),
      py::arg("relative") = true, py::arg("level") = 0.95, py::arg("prior_mean") = 0.0, py::arg("prior_variance") = 1.0,
      py::arg("proper") = false, "Gaussian lift posterior as GrowthBook's engine defines it.");

  sub.def(
      "fixed_test",
      [](double mean_c, double var_c, double n_c, double mean_a, double var_a, double n_a, bool relative, double level,
         bool welch) {
        const te::ArmEstimate c{n_c, mean_c, var_c, var_c * n_c};
        const te::ArmEstimate a{n_a, mean_a, var_a, var_a * n_a};
        const double df = welch ? te::welch_df(c, a) : std::numeric_limits<double>::infinity();
        return te::fixed_test(c, a, relative, level, df);
      },
      py::arg("mean_control"), py::arg("variance_control"), py::arg("n_control"), py::arg("mean_arm"),
      py::arg("variance_arm"), py::arg("n_arm"), py::kw_only(), py::arg("relative") = false, py::arg("level") = 0.95,
      py::arg("welch") = false, "Fixed-horizon two-sided test of arm vs control (z, or Welch t).");

  sub.def("fixed_sample_size", &te::fixed_sample_size, py::arg("effect"), py::arg("sd_control"), py::arg("sd_arm"),
          py::arg("alpha") = 0.05, py::arg("power") = 0.8, "Users per arm of the fixed two-sided z-test.");
  sub.def("fixed_power", &te::fixed_power, py::arg("effect"), py::arg("sd_control"), py::arg("sd_arm"), py::arg("n"),
          py::arg("alpha") = 0.05, "Power of the fixed two-sided z-test with n users per arm.");
  sub.def("mixture_half_width", &te::mixture_half_width, py::arg("variance"), py::arg("tau"), py::arg("alpha"),
          "Half-width of the normal-mixture confidence sequence.");
  sub.def("always_valid_sample_size", &te::always_valid_sample_size, py::arg("effect"), py::arg("sd_control"),
          py::arg("sd_arm"), py::arg("tau"), py::arg("alpha") = 0.05, py::arg("power") = 0.8,
          "Users per arm for the always-valid test (conservative upper bound).");
  sub.def(
      "always_valid_path",
      [](const DoubleArray& est, const DoubleArray& var, double tau, double alpha) {
        const auto e = to_vector(est);
        const auto v = to_vector(var);
        std::vector<te::SequentialLook> path;
        {
          py::gil_scoped_release release;
          path = te::always_valid_path(e, v, tau, alpha);
        }
        AlwaysValidPath d;
        for (const auto& l : path)
          d.likelihood_ratio.push_back(l.likelihood_ratio), d.p_value.push_back(l.p_value), d.ci_lower.push_back(l.ci_lower),
              d.ci_upper.push_back(l.ci_upper), d.reject.push_back(l.reject ? 1.0 : 0.0);
        return d;
      },
      py::arg("estimates"), py::arg("variances"), py::arg("tau"), py::arg("alpha") = 0.05,
      "Always-valid (mixture SPRT) p-values and confidence sequence along looks.");

  sub.def(
      "alpha_spent",
      [](double t, double alpha_tail, const std::string& spending) {
        return te::alpha_spent(t, alpha_tail, spending_of(spending));
      },
      py::arg("t"), py::arg("alpha_tail"), py::arg("spending") = "obrien_fleming", "One-tail alpha spent at fraction t.");
  sub.def(
      "gs_boundaries",
      [](const DoubleArray& t, double alpha, const std::string& spending) {
        const auto tt = to_vector(t);
        const auto sp = spending_of(spending);
        std::vector<double> b;
        {
          py::gil_scoped_release release;
          b = te::gs_boundaries(tt, alpha, sp);
        }
        return to_array(b);
      },
      py::arg("fractions"), py::arg("alpha") = 0.05, py::arg("spending") = "obrien_fleming",
      "Two-sided Lan-DeMets boundaries (z scale) at the information fractions.");
  sub.def(
      "gs_crossing",
      [](const DoubleArray& t, const DoubleArray& b, double theta) {
        const auto tt = to_vector(t);
        const auto bb = to_vector(b);
        std::vector<double> p;
        {
          py::gil_scoped_release release;
          p = te::gs_crossing(tt, bb, theta);
        }
        return to_array(p);
      },
      py::arg("fractions"), py::arg("bounds"), py::arg("drift") = 0.0, "Per-look stopping probabilities.");
  sub.def(
      "gs_design",
      [](const DoubleArray& t, double alpha, double power, const std::string& spending) {
        const auto tt = to_vector(t);
        const auto sp = spending_of(spending);
        te::GsDesign g;
        {
          py::gil_scoped_release release;
          g = te::gs_design(tt, alpha, power, sp);
        }
        return g;
      },
      py::arg("fractions"), py::arg("alpha") = 0.05, py::arg("power") = 0.8, py::arg("spending") = "obrien_fleming",
      "Group-sequential design: boundaries, drift, inflation, expected sample fractions.");

  sub.def(
      "holm", [](const DoubleArray& p) { return to_array(te::holm(to_vector(p))); }, py::arg("p"),
      "Holm step-down adjusted p-values.");
  sub.def(
      "benjamini_hochberg", [](const DoubleArray& p) { return to_array(te::benjamini_hochberg(to_vector(p))); },
      py::arg("p"), "Benjamini-Hochberg adjusted p-values.");
  sub.def(
      "sample_ratio_test",
      [](const DoubleArray& users, const DoubleArray& weights) {
        return te::sample_ratio_test(to_vector(users), to_vector(weights));
      },
      py::arg("users"), py::arg("weights"), "Chi-square sample-ratio-mismatch test: (statistic, p-value).");

  sub.def(
      "allocation",
      [](const DoubleArray& n, const DoubleArray& sum, const std::optional<DoubleArray>& sum_sq, const std::string& policy,
         const std::string& reward, double prior_a, double prior_b, double top_two_beta, double floor) {
        const auto k = static_cast<std::size_t>(n.size());
        if (static_cast<std::size_t>(sum.size()) != k) throw std::invalid_argument("n and sum differ in length");
        std::vector<te::ArmStats> s(k);
        for (std::size_t i = 0; i < k; ++i) s[i] = {n.data()[i], sum.data()[i], sum_sq ? sum_sq->data()[i] : sum.data()[i]};
        te::BanditConfig c;
        c.policy = policy_of(policy), c.reward = reward_of(reward), c.prior_a = prior_a, c.prior_b = prior_b;
        c.top_two_beta = top_two_beta, c.floor = floor;
        std::vector<double> w;
        {
          py::gil_scoped_release release;
          w = te::allocation(s, c);
        }
        return to_array(w);
      },
      py::arg("n"), py::arg("sum"), py::arg("sum_sq") = none, py::kw_only(), py::arg("policy") = "thompson",
      py::arg("reward") = "bernoulli", py::arg("prior_a") = 1.0, py::arg("prior_b") = 1.0, py::arg("top_two_beta") = 0.5,
      py::arg("floor") = 0.0, "Exact traffic shares for the next batch (Thompson-type policies).");

  sub.def(
      "yuen_test",
      [](const DoubleArray& control, const DoubleArray& arm, double trim, bool relative, double level) {
        const auto c = to_vector(control);
        const auto a = to_vector(arm);
        te::FixedTest t;
        te::TrimmedMean mc, ma;
        {
          py::gil_scoped_release release;
          t = te::yuen_test(c, a, trim, relative, level);
          mc = te::trimmed_mean(c, trim);
          ma = te::trimmed_mean(a, trim);
        }
        return YuenTest{t, mc.mean, ma.mean};
      },
      py::arg("control"), py::arg("arm"), py::kw_only(), py::arg("trim"), py::arg("relative") = false,
      py::arg("level") = 0.95, "Yuen-Welch test of trimmed means (robust option for heavy-tailed metrics).");

  sub.def(
      "ucb_batch_shares",
      [](const DoubleArray& n, const DoubleArray& sum, const std::optional<DoubleArray>& sum_sq, double batch,
         const std::string& reward, double floor) {
        const auto k = static_cast<std::size_t>(n.size());
        if (static_cast<std::size_t>(sum.size()) != k) throw std::invalid_argument("n and sum differ in length");
        if (sum_sq && static_cast<std::size_t>(sum_sq->size()) != k)
          throw std::invalid_argument("n and sum_sq differ in length");
        std::vector<te::ArmStats> s(k);
        double t = 0.0;
        for (std::size_t i = 0; i < k; ++i) {
          s[i] = {n.data()[i], sum.data()[i], sum_sq ? sum_sq->data()[i] : sum.data()[i]};
          t += n.data()[i];
        }
        te::BanditConfig c;
        c.floor = floor;
        te::detail::check_config(c, k);
        std::vector<double> w;
        {
          py::gil_scoped_release release;
          w = te::apply_floor(te::ucb_batch_shares(s, batch, reward_of(reward), t), floor);
        }
        return to_array(w);
      },
      py::arg("n"), py::arg("sum"), py::arg("sum_sq") = none, py::kw_only(), py::arg("batch"),
      py::arg("reward") = "bernoulli", py::arg("floor") = 0.0,
      "Batched UCB1 shares of the next `batch` users (pending pulls counted), with the floor applied.");

  sub.def(
      "allocation_by_persona",
      [](const DoubleArray& n, const DoubleArray& sum, const std::optional<DoubleArray>& sum_sq, const std::string& policy,
         const std::string& reward, double prior_a, double prior_b, double top_two_beta, double floor, double pooling) {
        // Personas x arms statistics. Bernoulli: each persona's Beta prior is centred on the
        // arm's pooled rate with the pooling strength; Gaussian: Normal priors from the
        // Normal-Normal moment estimator (pooled_normal_prior). Partial pooling either way.
        if (n.ndim() != 2 || sum.ndim() != 2 || n.shape(0) != sum.shape(0) || n.shape(1) != sum.shape(1))
          throw std::invalid_argument("n and sum must be 2-d arrays personas x arms of the same shape");
        if (sum_sq && (sum_sq->ndim() != 2 || sum_sq->shape(0) != n.shape(0) || sum_sq->shape(1) != n.shape(1)))
          throw std::invalid_argument("sum_sq must be a 2-d array personas x arms like n");
        const auto P = static_cast<std::size_t>(n.shape(0));
        const auto K = static_cast<std::size_t>(n.shape(1));
        te::BanditConfig c;
        c.policy = policy_of(policy), c.reward = reward_of(reward), c.prior_a = prior_a, c.prior_b = prior_b;
        c.top_two_beta = top_two_beta, c.floor = floor;
        if (c.reward == te::Reward::gaussian && !sum_sq)
          throw std::invalid_argument("Gaussian rewards need sum_sq (sums of squared rewards) per persona and arm");
        std::vector<te::ArmStats> s(P * K);
        for (std::size_t i = 0; i < P * K; ++i)
          s[i] = {n.data()[i], sum.data()[i], sum_sq ? sum_sq->data()[i] : sum.data()[i]};
        std::vector<double> out(P * K);
        double strength = 0.0;
        std::vector<double> tau;
        {
          py::gil_scoped_release release;
          std::vector<double> pa(K), pb(K);
          if (c.reward == te::Reward::bernoulli) {
            const auto [rate, st] = te::pooled_prior(s, P, K, pooling);
            strength = st;
            for (std::size_t i = 0; i < K; ++i) pa[i] = prior_a + st * rate[i], pb[i] = prior_b + st * (1.0 - rate[i]);
          } else {
            auto [centre, sd] = te::pooled_normal_prior(s, P, K, pooling);
            pa = centre, pb = sd, tau = sd;
          }
          for (std::size_t p = 0; p < P; ++p) {
            const std::span<const te::ArmStats> arm(s.data() + p * K, K);
            const std::vector<double> w = te::allocation(arm, c, pa, pb);
            std::copy(w.begin(), w.end(), out.begin() + static_cast<std::ptrdiff_t>(p * K));
          }
        }
        PersonaAllocation r;
        r.personas = static_cast<int>(P);
        r.arms = static_cast<int>(K);
        r.shares = std::move(out);
        if (c.reward == te::Reward::gaussian) r.between_persona_sd = std::move(tau);
        else r.pooling_strength = strength;
        return r;
      },
      py::arg("n"), py::arg("sum"), py::arg("sum_sq") = none, py::kw_only(), py::arg("policy") = "thompson",
      py::arg("reward") = "bernoulli", py::arg("prior_a") = 1.0, py::arg("prior_b") = 1.0, py::arg("top_two_beta") = 0.5,
      py::arg("floor") = 0.0, py::arg("pooling") = -1.0,
      "Exact shares per persona with partial pooling across personas: a PersonaAllocation (shares, and the pooling "
      "strength for Bernoulli rewards or the between-persona sd per arm for Gaussian).");

  sub.def(
      "simulate_bandit",
      [](const DoubleArray& means, std::size_t personas, std::size_t arms, const std::optional<DoubleArray>& sds,
         const std::optional<DoubleArray>& persona_weights, std::size_t users_per_batch, std::size_t batches,
         const std::optional<DoubleArray>& costs, double budget, double delay_mean, bool delay_correction, bool contextual,
         const std::string& policy, const std::string& reward, double prior_a, double prior_b, double top_two_beta,
         double floor, double pooling, std::uint64_t seed, std::uint64_t stream) {
        te::BanditWorld w;
        w.means = to_vector(means), w.personas = personas, w.arms = arms, w.sds = to_vector(sds);
        w.persona_weights = to_vector(persona_weights), w.users_per_batch = users_per_batch, w.batches = batches;
        w.costs = to_vector(costs), w.budget = budget, w.delay_mean = delay_mean, w.delay_correction = delay_correction;
        w.contextual = contextual;
        te::BanditConfig c;
        c.policy = policy_of(policy), c.reward = reward_of(reward), c.prior_a = prior_a, c.prior_b = prior_b;
        c.top_two_beta = top_two_beta, c.floor = floor, c.pooling = pooling;
        te::BanditSimulation s;
        {
          py::gil_scoped_release release;
          s = te::simulate_bandit(w, c, seed, stream);
        }
        return s;
      },
      py::arg("means"), py::kw_only(), py::arg("personas"), py::arg("arms"), py::arg("sds") = none,
      py::arg("persona_weights") = none, py::arg("users_per_batch") = 1, py::arg("batches") = 1, py::arg("costs") = none,
      py::arg("budget") = std::numeric_limits<double>::infinity(), py::arg("delay_mean") = 0.0,
      py::arg("delay_correction") = true, py::arg("contextual") = true, py::arg("policy") = "thompson",
      py::arg("reward") = "bernoulli", py::arg("prior_a") = 1.0, py::arg("prior_b") = 1.0, py::arg("top_two_beta") = 0.5,
      py::arg("floor") = 0.0, py::arg("pooling") = -1.0, py::arg("seed") = 0, py::arg("stream") = 0,
      "Simulates a bandit on known truth (deterministic for the seed).");

  sub.def(
      "lai_robbins_bound",
      [](const DoubleArray& means, double rounds) { return te::lai_robbins_bound(to_vector(means), rounds); },
      py::arg("means"), py::arg("rounds"), "Lai-Robbins regret lower bound on Bernoulli arms.");

  auto ope = [](bool dr) {
    return [dr](const Int64Array& action, const std::optional<Int64Array>& context, const DoubleArray& reward,
                const DoubleArray& propensity, const DoubleArray& target, std::size_t contexts, std::size_t arms) {
      const auto a = to_vector(action);
      const auto x = context ? to_vector(*context) : std::vector<std::int64_t>{};
      const auto r = to_vector(reward);
      const auto p = to_vector(propensity);
      const auto t = to_vector(target);
      te::OffPolicyEstimate e;
      {
        py::gil_scoped_release release;
        e = dr ? te::doubly_robust(a, x, r, p, t, contexts, arms) : te::inverse_propensity(a, x, r, p, t, contexts, arms);
      }
      return e;
    };
  };
  sub.def("inverse_propensity", ope(false), py::arg("action"), py::arg("context"), py::arg("reward"), py::arg("propensity"),
          py::arg("target"), py::arg("contexts"), py::arg("arms"),
          "Inverse-propensity estimate of a target policy (an OffPolicyEstimate: value, std_error).");
  sub.def("doubly_robust", ope(true), py::arg("action"), py::arg("context"), py::arg("reward"), py::arg("propensity"),
          py::arg("target"), py::arg("contexts"), py::arg("arms"),
          "Doubly robust (cross-fitted) estimate of a target policy (an OffPolicyEstimate: value, std_error).");
}

}  // namespace trustmix::bindings
