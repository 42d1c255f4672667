// trustmix::experiments bound to Python. Thin: arguments are converted to C++ first, the
// GIL is released around the C++ work, results come back as numpy arrays in dicts. The
// pythonic layer (trustmix.experiments) builds DataFrames and result objects.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <trustmix/experiments/experiments.hpp>

#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "helpers/convert.hpp"
#include "helpers/policy.hpp"
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
  return helpers::choice<M>(s, "metric_type",
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
      throw std::invalid_argument(std::string(name) + " has " + std::to_string(a->size()) + " values, n has " + std::to_string(k));
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

py::dict sim_to_dict(const te::BanditSimulation& s) {
  py::dict d;
  d["arms"] = s.arms;
  d["personas"] = s.personas;
  d["batches"] = s.batches;
  d["pulls"] = to_array(s.pulls);
  d["shares"] = to_array(s.shares);
  d["cumulative_regret"] = to_array(s.cumulative_regret);
  d["spend"] = to_array(s.spend);
  d["final_prob_best"] = to_array(s.final_prob_best);
  d["total_reward"] = s.total_reward;
  d["total_spend"] = s.total_spend;
  return d;
}

}  // namespace

void register_experiments(pybind11::module_& m) {
  auto sub = m.def_submodule("experiments", "trustmix::experiments bound to Python.");
  const auto none = py::none();

  sub.def(
      "summarize",
      [](const Int64Array& arm, const DoubleArray& y, const std::optional<DoubleArray>& x, std::size_t n_arms,
         double cap) {
        const auto a = to_vector(arm);
        const auto yy = to_vector(y);
        const auto xx = to_vector(x);
        std::vector<te::ArmData> s;
        {
          py::gil_scoped_release release;
          s = te::summarize(a, yy, xx, n_arms, cap);
        }
        py::dict d;
        std::vector<double> n, sum, sq, sx, sx2, sxy;
        for (const auto& v : s) {
          n.push_back(v.n), sum.push_back(v.sum), sq.push_back(v.sum_sq);
          sx.push_back(v.sum_x), sx2.push_back(v.sum_x2), sxy.push_back(v.sum_xy);
        }
        d["n"] = to_array(n), d["sum"] = to_array(sum), d["sum_sq"] = to_array(sq);
        d["sum_x"] = to_array(sx), d["sum_x2"] = to_array(sx2), d["sum_xy"] = to_array(sxy);
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
        std::vector<double> mean, var, unit, users;
        for (const auto& x : e) mean.push_back(x.mean), var.push_back(x.variance), unit.push_back(x.unit_variance), users.push_back(x.n);
        py::dict d;
        d["n"] = to_array(users), d["mean"] = to_array(mean), d["variance"] = to_array(var), d["unit_variance"] = to_array(unit);
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
        py::dict d;
        d["prob_best"] = to_array(c.prob_best);
        d["prob_beat_control"] = to_array(c.prob_beat_control);
        d["expected_loss"] = to_array(c.expected_loss);
        d["loss_vs_control"] = to_array(c.loss_vs_control);
        d["mean"] = to_array(c.mean);
        d["error_bound"] = c.error_bound;
        py::list fams;
        for (const auto& p : post) fams.append(py::make_tuple(family_name(p.family), p.a, p.b, p.loc, p.scale));
        d["posteriors"] = fams;
        return d;
      },
      py::arg("n"), py::arg("sum"), py::arg("sum_sq") = none, py::kw_only(), py::arg("metric"),
      py::arg("prior_a") = none, py::arg("prior_b") = none, py::arg("control") = 0, py::arg("tolerance") = 1e-10,
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
        py::dict d;
        d["prob_best"] = to_array(c.prob_best), d["prob_beat_control"] = to_array(c.prob_beat_control);
        d["expected_loss"] = to_array(c.expected_loss), d["loss_vs_control"] = to_array(c.loss_vs_control);
        d["lower"] = to_array(lo), d["median"] = to_array(med), d["upper"] = to_array(hi), d["density"] = to_array(dens);
        return d;
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
        auto shaped = [&](const std::vector<double>& v) {
          py::array_t<double> a({static_cast<py::ssize_t>(e), static_cast<py::ssize_t>(k)});
          if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(double));
          return a;
        };
        py::dict d;
        d["prob_best"] = shaped(b.prob_best);
        d["prob_beat_control"] = shaped(b.prob_beat_control);
        d["expected_loss"] = shaped(b.expected_loss);
        d["loss_vs_control"] = shaped(b.loss_vs_control);
        return d;
      },
      py::arg("n"), py::arg("sum"), py::arg("sum_sq") = none, py::kw_only(), py::arg("metric"),
      py::arg("prior_a") = none, py::arg("prior_b") = none, py::arg("control") = 0, py::arg("threads") = 0,
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
        py::dict d;
        d["lower"] = iv[0], d["median"] = iv[1], d["upper"] = iv[2];
        d["density"] = to_array(dens);
        return d;
      },
      py::arg("n"), py::arg("sum"), py::arg("sum_sq") = none, py::kw_only(), py::arg("metric"),
      py::arg("prior_a") = none, py::arg("prior_b") = none, py::arg("control") = 0, py::arg("arm") = 1,
      py::arg("level") = 0.95, py::arg("relative") = true, py::arg("grid") = none,
      "Exact credible interval {lower, median, upper} of the lift of `arm` over `control`, and its density on `grid`.");

  sub.def(
      "effect_posterior",
      [](double mean_c, double var_c, double mean_a, double var_a, bool relative, double level, double prior_mean,
         double prior_variance, bool proper) {
        const te::ArmEstimate c{1.0, mean_c, var_c, 0.0};
        const te::ArmEstimate a{1.0, mean_a, var_a, 0.0};
        const auto e = te::effect_posterior(c, a, relative, level, prior_mean, prior_variance, proper);
        py::dict d;
        d["mean"] = e.mean, d["sd"] = e.sd, d["chance_to_win"] = e.chance_to_win, d["ci_lower"] = e.ci_lower;
        d["ci_upper"] = e.ci_upper, d["risk_control"] = e.risk_control, d["risk_treatment"] = e.risk_treatment;
        return d;
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
        const auto t = te::fixed_test(c, a, relative, level, df);
        py::dict d;
        d["estimate"] = t.estimate, d["std_error"] = t.std_error, d["statistic"] = t.statistic, d["df"] = t.df;
        d["p_value"] = t.p_value, d["ci_lower"] = t.ci_lower, d["ci_upper"] = t.ci_upper;
        return d;
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
        std::vector<double> lr, p, lo, hi, rej;
        for (const auto& l : path)
          lr.push_back(l.likelihood_ratio), p.push_back(l.p_value), lo.push_back(l.ci_lower), hi.push_back(l.ci_upper),
              rej.push_back(l.reject ? 1.0 : 0.0);
        py::dict d;
        d["likelihood_ratio"] = to_array(lr), d["p_value"] = to_array(p), d["ci_lower"] = to_array(lo);
        d["ci_upper"] = to_array(hi), d["reject"] = to_array(rej);
        return d;
      },
      py::arg("estimates"), py::arg("variances"), py::arg("tau"), py::arg("alpha") = 0.05,
      "Always-valid (mixture SPRT) p-values and confidence sequence along looks.");

  sub.def(
      "alpha_spent",
      [](double t, double alpha_tail, const std::string& spending) { return te::alpha_spent(t, alpha_tail, spending_of(spending)); },
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
        py::dict d;
        d["fractions"] = to_array(g.fractions), d["bounds"] = to_array(g.bounds), d["drift"] = g.drift;
        d["inflation"] = g.inflation, d["expected_fraction_alternative"] = g.expected_fraction_alternative;
        d["expected_fraction_null"] = g.expected_fraction_null;
        return d;
      },
      py::arg("fractions"), py::arg("alpha") = 0.05, py::arg("power") = 0.8, py::arg("spending") = "obrien_fleming",
      "Group-sequential design: boundaries, drift, inflation, expected sample fractions.");

  sub.def("holm", [](const DoubleArray& p) { return to_array(te::holm(to_vector(p))); }, py::arg("p"),
          "Holm step-down adjusted p-values.");
  sub.def("benjamini_hochberg", [](const DoubleArray& p) { return to_array(te::benjamini_hochberg(to_vector(p))); },
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
        for (std::size_t i = 0; i < k; ++i)
          s[i] = {n.data()[i], sum.data()[i], sum_sq ? sum_sq->data()[i] : sum.data()[i]};
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
        py::dict d;
        d["estimate"] = t.estimate, d["std_error"] = t.std_error, d["statistic"] = t.statistic, d["df"] = t.df;
        d["p_value"] = t.p_value, d["ci_lower"] = t.ci_lower, d["ci_upper"] = t.ci_upper;
        d["control_mean"] = mc.mean, d["arm_mean"] = ma.mean;
        return d;
      },
      py::arg("control"), py::arg("arm"), py::kw_only(), py::arg("trim"), py::arg("relative") = false,
      py::arg("level") = 0.95, "Yuen-Welch test of trimmed means (robust option for heavy-tailed metrics).");

  sub.def(
      "ucb_batch_shares",
      [](const DoubleArray& n, const DoubleArray& sum, const std::optional<DoubleArray>& sum_sq, double batch,
         const std::string& reward, double floor) {
        const auto k = static_cast<std::size_t>(n.size());
        if (static_cast<std::size_t>(sum.size()) != k) throw std::invalid_argument("n and sum differ in length");
        if (sum_sq && static_cast<std::size_t>(sum_sq->size()) != k) throw std::invalid_argument("n and sum_sq differ in length");
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
        for (std::size_t i = 0; i < P * K; ++i) s[i] = {n.data()[i], sum.data()[i], sum_sq ? sum_sq->data()[i] : sum.data()[i]};
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
        py::array_t<double> a({static_cast<py::ssize_t>(P), static_cast<py::ssize_t>(K)});
        std::memcpy(a.mutable_data(), out.data(), out.size() * sizeof(double));
        if (c.reward == te::Reward::gaussian) return py::tuple(py::make_tuple(a, to_array(tau)));
        return py::tuple(py::make_tuple(a, strength));
      },
      py::arg("n"), py::arg("sum"), py::arg("sum_sq") = none, py::kw_only(), py::arg("policy") = "thompson",
      py::arg("reward") = "bernoulli", py::arg("prior_a") = 1.0, py::arg("prior_b") = 1.0, py::arg("top_two_beta") = 0.5,
      py::arg("floor") = 0.0, py::arg("pooling") = -1.0,
      "Exact shares per persona with partial pooling across personas: (shares, pooling strength) for Bernoulli "
      "rewards, (shares, between-persona sd per arm) for Gaussian.");

  sub.def(
      "simulate_bandit",
      [](const DoubleArray& means, std::size_t personas, std::size_t arms, const std::optional<DoubleArray>& sds,
         const std::optional<DoubleArray>& persona_weights, std::size_t users_per_batch, std::size_t batches,
         const std::optional<DoubleArray>& costs, double budget, double delay_mean, bool delay_correction,
         bool contextual, const std::string& policy, const std::string& reward, double prior_a, double prior_b,
         double top_two_beta, double floor, double pooling, std::uint64_t seed, std::uint64_t stream) {
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
        return sim_to_dict(s);
      },
      py::arg("means"), py::kw_only(), py::arg("personas"), py::arg("arms"), py::arg("sds") = none,
      py::arg("persona_weights") = none, py::arg("users_per_batch") = 1, py::arg("batches") = 1, py::arg("costs") = none,
      py::arg("budget") = std::numeric_limits<double>::infinity(), py::arg("delay_mean") = 0.0,
      py::arg("delay_correction") = true, py::arg("contextual") = true, py::arg("policy") = "thompson",
      py::arg("reward") = "bernoulli", py::arg("prior_a") = 1.0, py::arg("prior_b") = 1.0, py::arg("top_two_beta") = 0.5,
      py::arg("floor") = 0.0, py::arg("pooling") = -1.0, py::arg("seed") = 0, py::arg("stream") = 0,
      "Simulates a bandit on known truth (deterministic for the seed).");

  sub.def(
      "lai_robbins_bound", [](const DoubleArray& means, double rounds) { return te::lai_robbins_bound(to_vector(means), rounds); },
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
      return py::make_tuple(e.value, e.std_error);
    };
  };
  sub.def("inverse_propensity", ope(false), py::arg("action"), py::arg("context"), py::arg("reward"),
          py::arg("propensity"), py::arg("target"), py::arg("contexts"), py::arg("arms"),
          "Inverse-propensity estimate (value, standard error) of a target policy.");
  sub.def("doubly_robust", ope(true), py::arg("action"), py::arg("context"), py::arg("reward"), py::arg("propensity"),
          py::arg("target"), py::arg("contexts"), py::arg("arms"),
          "Doubly robust (cross-fitted) estimate (value, standard error) of a target policy.");
}

}  // namespace trustmix::bindings
