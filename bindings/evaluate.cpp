// trustmix::evaluate bound to Python. Thin: arguments are converted to C++ structs first,
// the GIL is released around the C++ work, results come back as the core's result structs
// bound as typed classes (SyntheticControlFit, ConformalResult, PowerCurve, ...: read-only
// attributes of numpy arrays and numbers, versioned pickles); the pythonic layer
// (trustmix.evaluate) builds DataFrames and result objects.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <trustmix/core/resources.hpp>
#include <trustmix/evaluate/evaluate.hpp>

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "helpers/result.hpp"
#include "register.hpp"

namespace py = pybind11;
namespace ev = trustmix::evaluate;

namespace trustmix::bindings {
namespace {

using Matrix = Eigen::MatrixXd;

ev::Method method_of(const std::string& s) {
  if (s == "synthetic_control") return ev::Method::synthetic_control;
  if (s == "augmented") return ev::Method::augmented;
  if (s == "synthetic_did") return ev::Method::synthetic_did;
  throw std::invalid_argument("method must be 'synthetic_control', 'augmented' or 'synthetic_did', got '" + s + "'");
}

ev::Aggregation aggregation_of(const std::string& s) {
  if (s == "average") return ev::Aggregation::average;
  if (s == "per_unit") return ev::Aggregation::per_unit;
  throw std::invalid_argument("aggregation must be 'average' or 'per_unit', got '" + s + "'");
}

ev::Panel panel_of(const Matrix& outcomes, const std::vector<std::string>& units) { return ev::Panel{outcomes, units}; }

ev::SyntheticControlOptions sc_options(const std::string& method, bool fixed_effects, double ridge,
                                       const std::string& aggregation, Eigen::Index min_pre_periods) {
  ev::SyntheticControlOptions o;
  o.method = method_of(method);
  o.fixed_effects = fixed_effects;
  o.ridge = ridge;
  o.aggregation = aggregation_of(aggregation);
  o.min_pre_periods = min_pre_periods;
  return o;
}

ev::ConformalOptions conformal_options(const std::string& permutation, int n_permutations, double q, double alpha,
                                       std::uint64_t seed, bool pointwise, const std::string& statistic) {
  ev::ConformalOptions c;
  if (permutation == "iid") c.permutation = ev::Permutation::iid;
  else if (permutation == "moving_block") c.permutation = ev::Permutation::moving_block;
  else throw std::invalid_argument("permutation must be 'iid' or 'moving_block', got '" + permutation + "'");
  if (statistic == "absolute") c.statistic = ev::Statistic::absolute;
  else if (statistic == "mean") c.statistic = ev::Statistic::mean;
  else throw std::invalid_argument("statistic must be 'absolute' or 'mean', got '" + statistic + "'");
  c.n_permutations = n_permutations;
  c.q = q;
  c.alpha = alpha;
  c.seed = seed;
  c.pointwise = pointwise;
  return c;
}

ev::PowerOptions power_options(const std::vector<double>& effects, int n_windows, double alpha, double power_target,
                               const ev::SyntheticControlOptions& sc, const ev::ConformalOptions& c, int threads) {
  ev::PowerOptions o;
  o.effects = effects;
  o.n_windows = n_windows;
  o.alpha = alpha;
  o.power_target = power_target;
  o.synthetic_control = sc;
  o.conformal = c;
  o.conformal.pointwise = false;
  o.threads = threads;
  return o;
}

/// Binds `name`: a function of the arguments every synthetic-control function takes first
/// (the panel, the treated rows, the window [start, end), then keyword-only the unit names
/// and the estimator's options) and of its own arguments `Own` (declared by `own`, after
/// those). The common arguments are converted here; `call(panel, assignment, options,
/// own...)` converts its own, releases the GIL and calls the core.
template <class... Own, class Call, class... OwnArgs>
void def_sc(py::module_& e, const char* name, Call call, const OwnArgs&... own) {
  e.def(
      name,
      [call](const Matrix& outcomes, const std::vector<Eigen::Index>& treated, Eigen::Index start, Eigen::Index end,
             const std::vector<std::string>& units, const std::string& method, bool fixed_effects, double ridge,
             const std::string& aggregation, Eigen::Index min_pre_periods, Own... rest) {
        const ev::Panel p = panel_of(outcomes, units);
        const auto o = sc_options(method, fixed_effects, ridge, aggregation, min_pre_periods);
        return call(p, ev::Assignment{treated, start, end}, o, rest...);
      },
      py::arg("outcomes"), py::arg("treated"), py::arg("start"), py::arg("end"), py::kw_only(),
      py::arg("units") = std::vector<std::string>{}, py::arg("method") = "synthetic_control",
      py::arg("fixed_effects") = true, py::arg("ridge") = -1.0, py::arg("aggregation") = "average",
      py::arg("min_pre_periods") = 3, own...);
}

/// The result classes of trustmix::evaluate (bound before the functions returning them, so
/// their signatures name them).
void bind_results(py::module_& e) {
  using helpers::member;
  using F = ev::SyntheticControlFit;
  helpers::bind_result<F>(
      e, "SyntheticControlFit",
      "A synthetic control fit (trustmix::evaluate::SyntheticControlFit): donor weights, the treated and synthetic\n"
      "series over periods [0, end) and the effect over the window [start, end), outcome units per treated unit.",
      1, member("treated", &F::treated, "int64 panel rows of the treated units."),
      member("donors", &F::donors, "int64 panel rows of the donor units."),
      member("start", &F::start, "First period of the window (index)."),
      member("end", &F::end, "One past the last period of the window (index)."),
      member("weights", &F::weights, "Donor weights w_j (sum 1; >= 0 except augmented); per_unit: the cells' mean."),
      member("time_weights", &F::time_weights, "Synthetic DiD: weights lambda_t over the pre-periods (sum 1); else empty."),
      member("intercept", &F::intercept, "Level added to sum_j w_j Y_jt (fixed effects, DiD offset)."),
      member("observed", &F::observed, "Mean treated outcome per period."),
      member("synthetic", &F::synthetic, "Counterfactual per period: intercept + sum_j w_j Y_jt."),
      member("effect", &F::effect, "observed - synthetic per period."),
      member("att", &F::att, "Mean window effect per treated unit and period (outcome units)."),
      member("lift", &F::lift, "Sum of window effects / sum of the window's synthetic (relative lift)."),
      member("incremental", &F::incremental, "att x treated units x window periods (total extra outcome)."),
      member("l2_imbalance", &F::l2_imbalance, "||pre-period residual||_2 on the matched (demeaned) scale."),
      member("scaled_l2_imbalance", &F::scaled_l2_imbalance, "l2_imbalance / the same for uniform weights 1/J."),
      member("pre_rmspe", &F::pre_rmspe, "sqrt(mean pre-period effect^2) (outcome units)."),
      member("ridge", &F::ridge, "Augmented: the lambda used; synthetic DiD: zeta^2 T_pre; else 0."),
      member("kkt_residual", &F::kkt_residual, "Worst scaled KKT violation of the simplex solves (about 1e-15)."),
      member("cells", &F::cells, "aggregation='per_unit': one SyntheticControlFit per treated unit; else empty."));

  using C = ev::ConformalResult;
  helpers::bind_result<C>(
      e, "ConformalResult",
      "Conformal inference on the average effect per treated unit and period (trustmix::evaluate::ConformalResult,\n"
      "Chernozhukov, Wuthrich and Zhu 2021): the p-value of no effect and, by inverting the test, intervals.",
      1,
      member("p_value", &C::p_value,
             "Share of permutations with S(permuted) >= S(observed) under no effect (random draws: (1 + hits) / "
             "(1 + draws))."),
      member("statistic", &C::statistic, "S of the null-refit residuals."),
      member("exact", &C::exact, "Every distinct permutation was enumerated."),
      member("n_permutations", &C::n_permutations, "Permutations the p-value averages over."),
      member("alpha", &C::alpha, "1 - coverage of the intervals."),
      member("lower", &C::lower, "Lower end of {h0 : p(h0) > alpha} (per treated unit and period; NaN: empty)."),
      member("upper", &C::upper, "Upper end of that set (NaN: empty)."),
      member("pointwise_lower", &C::pointwise_lower, "Per window period: lower end (empty if not asked)."),
      member("pointwise_upper", &C::pointwise_upper, "Per window period: upper end (empty if not asked)."),
      member("pointwise_p", &C::pointwise_p, "Per window period: p-value of no effect (empty if not asked)."),
      member("null_residuals", &C::null_residuals, "Residuals of the refit under no effect, periods [0, end)."),
      member("cannot_reject", &C::cannot_reject,
             "The smallest attainable p-value exceeds alpha: the interval is (-inf, inf)."),
      member("pointwise_cannot_reject", &C::pointwise_cannot_reject, "The same for the pointwise tests."),
      member("hull", &C::hull, "A rejected effect lies between lower and upper: [lower, upper] is the hull."),
      member("pointwise_hull", &C::pointwise_hull, "The same for some pointwise interval."));

  using J = ev::JackknifeResult;
  helpers::bind_result<J>(
      e, "JackknifeResult",
      "Jackknife+ over time (trustmix::evaluate::JackknifeResult): an interval of the average effect per treated\n"
      "unit and period, and per window period.",
      1, member("alpha", &J::alpha, "1 - coverage."), member("lower", &J::lower, "Lower end (outcome units)."),
      member("upper", &J::upper, "Upper end (outcome units)."),
      member("pointwise_lower", &J::pointwise_lower, "Per window period: lower end."),
      member("pointwise_upper", &J::pointwise_upper, "Per window period: upper end."),
      member("held_out_errors", &J::held_out_errors, "Leave-one-pre-period-out prediction errors."));

  using V = ev::PlaceboVarianceResult;
  helpers::bind_result<V>(
      e, "PlaceboVarianceResult",
      "Placebo variance (trustmix::evaluate::PlaceboVarianceResult, Arkhangelsky et al. 2021, Algorithm 4): the\n"
      "standard error of att from placebo assignments and the normal interval att -+ z se.",
      1, member("alpha", &V::alpha, "1 - coverage."),
      member("se", &V::se, "sqrt(mean_b (att_b - mean att)^2), per treated unit and period."),
      member("lower", &V::lower, "att - z_{1 - alpha/2} se."), member("upper", &V::upper, "att + z_{1 - alpha/2} se."),
      member("placebo_att", &V::placebo_att, "att_b of each placebo assignment."));

  using S = ev::PlaceboSpaceResult;
  helpers::bind_result<S>(
      e, "PlaceboSpaceResult",
      "Placebo in space (trustmix::evaluate::PlaceboSpaceResult): each donor treated in turn, the true treated\n"
      "units left out.",
      1, member("units", &S::units, "int64 panel rows of the placebo units."),
      member("att", &S::att, "Their placebo effects (outcome units)."),
      member("rmspe_ratio", &S::rmspe_ratio, "Post / pre root mean squared prediction error of each."),
      member("treated_ratio", &S::treated_ratio, "The same ratio for the treated units."),
      member("p_value", &S::p_value,
             "(1 + placebo ratios >= the treated ratio) / (1 + placebos): rank p-value of the treated ratio."));

  using T = ev::PlaceboTimeResult;
  helpers::bind_result<T>(
      e, "PlaceboTimeResult",
      "Placebo in time (trustmix::evaluate::PlaceboTimeResult): the same design moved back by its length.", 1,
      member("fit", &T::fit, "The SyntheticControlFit of the moved window."),
      member("p_value", &T::p_value, "Conformal p-value of no effect in the moved window."));

  using D = ev::StaggeredDidResult;
  helpers::bind_result<D>(
      e, "StaggeredDidResult",
      "Difference-in-differences with staggered adoption (trustmix::evaluate::StaggeredDidResult, Callaway and\n"
      "Sant'Anna 2021): group-time cells, the overall effect and the event study, per treated unit and period.",
      1, member("cell_cohort", &D::cell_cohort, "int64 adoption period g of each cell."),
      member("cell_period", &D::cell_period, "int64 period t of each cell."),
      member("cell_att", &D::cell_att, "ATT(g, t) of each cell (outcome units)."),
      member("cell_se", &D::cell_se, "Its standard error."),
      member("att", &D::att, "Overall effect per treated unit and period (post cells)."),
      member("att_se", &D::att_se, "Its standard error."), member("event_time", &D::event_time, "e = t - g."),
      member("event_att", &D::event_att, "Effect at each event time."),
      member("event_se", &D::event_se, "Its standard error."));

  using P = ev::PowerCurve;
  helpers::bind_result<P>(
      e, "PowerCurve",
      "Power of one design by simulation on history (trustmix::evaluate::PowerCurve): per injected relative lift\n"
      "the share of windows with p <= alpha.",
      1, member("treated", &P::treated, "int64 panel rows of the treated units."),
      member("duration", &P::duration, "Test length (periods)."), member("effects", &P::effects, "Injected relative lifts."),
      member("power", &P::power, "Share of windows with p <= alpha, per effect."),
      member("estimated_lift", &P::estimated_lift, "Mean estimated relative lift over windows, per effect."),
      member("mean_p_value", &P::mean_p_value, "Mean p-value over windows, per effect."),
      member("mde", &P::mde, "Smallest |effect| with power >= the target (NaN if none)."),
      member("bias_at_zero", &P::bias_at_zero, "Mean estimated lift with nothing injected."),
      member("scaled_l2_imbalance", &P::scaled_l2_imbalance, "Mean over windows."),
      member("att_scale", &P::att_scale, "Mean synthetic outcome per treated unit and period in the windows."));

  using M = ev::MarketSelection;
  helpers::bind_result<M>(
      e, "MarketSelection",
      "Market selection (trustmix::evaluate::MarketSelection): the power curve of every candidate and duration, "
      "best first.",
      1, member("effects", &M::effects, "Injected relative lifts."),
      member("designs", &M::designs, "PowerCurve per (candidate, duration), ranked by mde, |bias_at_zero|, imbalance."));

  using I = ev::CausalImpactResult;
  helpers::bind_result<I>(
      e, "CausalImpactResult",
      "Causal impact by a Bayesian structural time series (trustmix::evaluate::CausalImpactResult): the\n"
      "counterfactual and the effect with their 1 - alpha bands, outcome units.",
      1, member("predicted", &I::predicted, "Posterior mean counterfactual, all periods."),
      member("predicted_lower", &I::predicted_lower, "Its band, lower end."),
      member("predicted_upper", &I::predicted_upper, "Its band, upper end."),
      member("effect", &I::effect, "y - counterfactual (post; pre: the fit residual)."),
      member("effect_lower", &I::effect_lower, "Its band, lower end."),
      member("effect_upper", &I::effect_upper, "Its band, upper end."),
      member("cumulative", &I::cumulative, "Cumulative effect over the post-period."),
      member("cumulative_lower", &I::cumulative_lower, "Its band, lower end."),
      member("cumulative_upper", &I::cumulative_upper, "Its band, upper end."),
      member("average_effect", &I::average_effect, "Mean post effect per period."),
      member("average_lower", &I::average_lower, "Its interval, lower end."),
      member("average_upper", &I::average_upper, "Its interval, upper end."),
      member("relative_effect", &I::relative_effect, "Sum of effects / sum of the counterfactual (post)."),
      member("p_value", &I::p_value, "Posterior tail probability of an effect of the opposite sign or zero."),
      member("beta_mean", &I::beta_mean, "Posterior mean coefficients (outcome units per control unit)."),
      member("inclusion", &I::inclusion, "P(|beta_k| > 0.1 sd_y / sd_x_k): posterior share of a material coefficient."),
      member("max_rhat", &I::max_rhat, "Largest split R-hat."), member("min_ess", &I::min_ess, "Smallest bulk ESS."),
      member("divergences", &I::divergences, "Divergent transitions."),
      member("start", &I::start, "First post period (index)."));

  using L = ev::LiftTest;
  helpers::bind_result<L>(
      e, "LiftTest",
      "A measured lift for calibrating the media-mix model (trustmix::evaluate::LiftTest); periods are indices.", 2,
      member("channel", &L::channel, "The tested channel."),
      member("treated", &L::treated, "int64 panel rows of the treated units."),
      member("start", &L::start, "First test period (the tested activity changed from here)."),
      member("end", &L::end, "One past the last period of changed activity."),
      member("cooldown", &L::cooldown, "Periods after the window in which carry-over still counts."),
      member("measured_end", &L::measured_end, "One past the last period the lift was summed over."),
      member("lift", &L::lift, "Incremental outcome, total over treated units and measured periods."),
      member("standard_error", &L::standard_error, "Of lift (outcome units)."),
      member("relative_lift", &L::relative_lift, "lift / counterfactual total."),
      member("spend", &L::spend, "Test spend (currency; NaN if not given)."),
      member("iroas", &L::iroas, "lift / spend (outcome units per currency unit)."),
      member("iroas_standard_error", &L::iroas_standard_error, "Its standard error."),
      member("period_lift", &L::period_lift,
             "Per measured period: the effect summed over treated units (empty unless per-period; sums to lift)."),
      member("period_standard_error", &L::period_standard_error,
             "Its standard error per period (pointwise conformal intervals, inflated so their root sum of squares "
             "is at least standard_error)."));
}

/// The parts of a synthetic-control fit and of its conformal interval that a lift test
/// reads (the bindings of as_lift_test and as_period_lift_test take them as numbers).
ev::SyntheticControlFit lift_fit(const std::vector<Eigen::Index>& treated, Eigen::Index start, Eigen::Index end,
                                 double incremental, double relative_lift) {
  ev::SyntheticControlFit f;
  f.treated = treated;
  f.start = start;
  f.end = end;
  f.incremental = incremental;
  f.lift = relative_lift;
  return f;
}
ev::ConformalResult lift_interval(double lower, double upper, double alpha) {
  ev::ConformalResult r;
  r.lower = lower;
  r.upper = upper;
  r.alpha = alpha;
  return r;
}

}  // namespace

void register_evaluate(py::module_& m) {
  auto e = m.def_submodule("evaluate", "trustmix::evaluate: synthetic control, conformal inference, design.");
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  bind_results(e);

  using Opts = ev::SyntheticControlOptions;
  using Str = const std::string&;
  def_sc(e, "synthetic_control", [](const ev::Panel& p, const ev::Assignment& a, const Opts& o) {
    py::gil_scoped_release release;
    return ev::synthetic_control(p, a, o);
  });

  e.def(
      "synthetic_control_with_weights",
      [](const Matrix& outcomes, const std::vector<Eigen::Index>& treated, Eigen::Index start, Eigen::Index end,
         const Eigen::VectorXd& weights, const std::vector<std::string>& units, bool fixed_effects,
         Eigen::Index min_pre_periods) {
        const ev::Panel p = panel_of(outcomes, units);
        py::gil_scoped_release release;
        return ev::synthetic_control_with_weights(p, ev::Assignment{treated, start, end}, weights, fixed_effects,
                                                  min_pre_periods);
      },
      py::arg("outcomes"), py::arg("treated"), py::arg("start"), py::arg("end"), py::arg("weights"), py::kw_only(),
      py::arg("units") = std::vector<std::string>{}, py::arg("fixed_effects") = true, py::arg("min_pre_periods") = 3);

  def_sc<Str, int, double, double, std::uint64_t, bool, Str>(
      e, "conformal_inference",
      [](const ev::Panel& p, const ev::Assignment& a, const Opts& o, Str permutation, int n_permutations, double q,
         double alpha, std::uint64_t seed, bool pointwise, Str statistic) {
        const auto c = conformal_options(permutation, n_permutations, q, alpha, seed, pointwise, statistic);
        py::gil_scoped_release release;
        return ev::conformal_inference(p, a, o, c);
      },
      py::arg("permutation") = "iid", py::arg("n_permutations") = 1000, py::arg("q") = 1.0, py::arg("alpha") = 0.1,
      py::arg("seed") = 0, py::arg("pointwise") = true, py::arg("statistic") = "absolute");

  def_sc<double>(
      e, "jackknife_plus",
      [](const ev::Panel& p, const ev::Assignment& a, const Opts& o, double alpha) {
        py::gil_scoped_release release;
        return ev::jackknife_plus(p, a, o, alpha);
      },
      py::arg("alpha") = 0.1);

  def_sc<double, int, std::uint64_t, int>(
      e, "placebo_variance",
      [](const ev::Panel& p, const ev::Assignment& a, const Opts& o, double alpha, int n_placebo, std::uint64_t seed,
         int threads) {
        py::gil_scoped_release release;
        return ev::placebo_variance(p, a, o, alpha, n_placebo, seed, threads);
      },
      py::arg("alpha") = 0.1, py::arg("n_placebo") = 200, py::arg("seed") = 0, py::arg("threads") = 0);

  def_sc<int>(
      e, "placebo_in_space",
      [](const ev::Panel& p, const ev::Assignment& a, const Opts& o, int threads) {
        py::gil_scoped_release release;
        return ev::placebo_in_space(p, a, o, threads);
      },
      py::arg("threads") = 0);

  def_sc<Str, int, double, double, std::uint64_t, Str>(
      e, "placebo_in_time",
      [](const ev::Panel& p, const ev::Assignment& a, const Opts& o, Str permutation, int n_permutations, double q,
         double alpha, std::uint64_t seed, Str statistic) {
        const auto c = conformal_options(permutation, n_permutations, q, alpha, seed, false, statistic);
        py::gil_scoped_release release;
        return ev::placebo_in_time(p, a, o, c);
      },
      py::arg("permutation") = "iid", py::arg("n_permutations") = 1000, py::arg("q") = 1.0, py::arg("alpha") = 0.1,
      py::arg("seed") = 0, py::arg("statistic") = "absolute");

  e.def(
      "staggered_did",
      [](const Matrix& outcomes, const std::vector<Eigen::Index>& adoption, const std::vector<std::string>& units) {
        const ev::Panel p = panel_of(outcomes, units);
        py::gil_scoped_release release;
        return ev::staggered_did(p, adoption);
      },
      py::arg("outcomes"), py::arg("adoption"), py::kw_only(), py::arg("units") = std::vector<std::string>{});

  e.def(
      "power_analysis",
      [](const Matrix& outcomes, const std::vector<Eigen::Index>& treated, Eigen::Index duration,
         const std::vector<std::string>& units, const std::vector<double>& effects, int n_windows, double alpha,
         double power_target, const std::string& method, bool fixed_effects, double ridge, Eigen::Index min_pre_periods,
         const std::string& permutation, int n_permutations, double q, std::uint64_t seed, const std::string& statistic) {
        const ev::Panel p = panel_of(outcomes, units);
        const auto o = power_options(effects, n_windows, alpha, power_target,
                                     sc_options(method, fixed_effects, ridge, "average", min_pre_periods),
                                     conformal_options(permutation, n_permutations, q, alpha, seed, false, statistic), 1);
        py::gil_scoped_release release;
        return ev::power_analysis(p, treated, duration, o);
      },
      py::arg("outcomes"), py::arg("treated"), py::arg("duration"), py::kw_only(),
      py::arg("units") = std::vector<std::string>{}, py::arg("effects") = ev::PowerOptions{}.effects,
      py::arg("n_windows") = 3, py::arg("alpha") = 0.1, py::arg("power_target") = 0.8,
      py::arg("method") = "synthetic_control", py::arg("fixed_effects") = true, py::arg("ridge") = -1.0,
      py::arg("min_pre_periods") = 3, py::arg("permutation") = "iid", py::arg("n_permutations") = 200, py::arg("q") = 1.0,
      py::arg("seed") = 0, py::arg("statistic") = "absolute");

  e.def(
      "market_selection",
      [](const Matrix& outcomes, const std::vector<std::string>& units, const std::vector<Eigen::Index>& sizes,
         const std::vector<Eigen::Index>& durations, const std::vector<std::vector<Eigen::Index>>& candidates,
         const std::vector<Eigen::Index>& exclude, const std::vector<double>& effects, int n_windows, double alpha,
         double power_target, const std::string& method, bool fixed_effects, double ridge, Eigen::Index min_pre_periods,
         const std::string& permutation, int n_permutations, double q, std::uint64_t seed, const std::string& statistic,
         int threads) {
        const ev::Panel p = panel_of(outcomes, units);
        ev::MarketSelectionOptions o;
        o.sizes = sizes;
        o.durations = durations;
        o.candidates = candidates;
        o.exclude = exclude;
        o.power = power_options(effects, n_windows, alpha, power_target,
                                sc_options(method, fixed_effects, ridge, "average", min_pre_periods),
                                conformal_options(permutation, n_permutations, q, alpha, seed, false, statistic), threads);
        py::gil_scoped_release release;
        return ev::market_selection(p, o);
      },
      py::arg("outcomes"), py::kw_only(), py::arg("units") = std::vector<std::string>{},
      py::arg("sizes") = std::vector<Eigen::Index>{2, 3, 4, 5}, py::arg("durations") = std::vector<Eigen::Index>{10, 15},
      py::arg("candidates") = std::vector<std::vector<Eigen::Index>>{}, py::arg("exclude") = std::vector<Eigen::Index>{},
      py::arg("effects") = ev::PowerOptions{}.effects, py::arg("n_windows") = 3, py::arg("alpha") = 0.1,
      py::arg("power_target") = 0.8, py::arg("method") = "synthetic_control", py::arg("fixed_effects") = true,
      py::arg("ridge") = -1.0, py::arg("min_pre_periods") = 3, py::arg("permutation") = "iid",
      py::arg("n_permutations") = 200, py::arg("q") = 1.0, py::arg("seed") = 0, py::arg("statistic") = "absolute",
      py::arg("threads") = 0);

  e.def(
      "causal_impact",
      [](const Eigen::VectorXd& y, const Matrix& controls, Eigen::Index start, bool trend, Eigen::Index season,
         double level_sd, double observation_sd, double slab_scale, double alpha, int chains, int draws, int tune,
         std::uint64_t seed, int threads, double target_accept) {
        ev::StructuralOptions o;
        o.trend = trend;
        o.season = season;
        o.level_sd = level_sd;
        o.observation_sd = observation_sd;
        o.slab_scale = slab_scale;
        o.alpha = alpha;
        o.sampler.chains = chains;
        o.sampler.draws = draws;
        o.sampler.tune = tune;
        o.sampler.seed = seed;
        o.sampler.threads = threads;
        o.sampler.target_accept = target_accept;
        py::gil_scoped_release release;
        return ev::causal_impact(y, controls, start, o);
      },
      py::arg("y"), py::arg("controls"), py::arg("start"), py::kw_only(), py::arg("trend") = false, py::arg("season") = 0,
      py::arg("level_sd") = 0.01, py::arg("observation_sd") = 0.1, py::arg("slab_scale") = 0.1, py::arg("alpha") = 0.05,
      py::arg("chains") = 4, py::arg("draws") = 1000, py::arg("tune") = 1000, py::arg("seed") = 0, py::arg("threads") = 0,
      py::arg("target_accept") = 0.95);

  e.def(
      "require_memory",
      [](double bytes, const std::string& what, const std::string& way_out) {
        trustmix::require_memory(bytes, what, way_out);
      },
      py::arg("bytes"), py::arg("what"), py::arg("way_out"),
      "Raises ValueError when `bytes` exceeds the memory one request may take (TRUSTMIX_MAX_MEMORY, else half of "
      "this machine's memory); the message gives the estimate, the limit and `way_out`.");

  e.def(
      "as_lift_test",
      [](const std::vector<Eigen::Index>& treated, Eigen::Index start, Eigen::Index end, double incremental,
         double relative_lift, double lower, double upper, double alpha, const std::string& channel, double spend,
         Eigen::Index cooldown, bool cooldown_measured) {
        return ev::as_lift_test(lift_fit(treated, start, end, incremental, relative_lift),
                                lift_interval(lower, upper, alpha), channel, spend, cooldown, cooldown_measured);
      },
      py::arg("treated"), py::arg("start"), py::arg("end"), py::arg("incremental"), py::arg("relative_lift"),
      py::arg("lower"), py::arg("upper"), py::arg("alpha"), py::kw_only(), py::arg("channel"), py::arg("spend") = nan,
      py::arg("cooldown") = 0, py::arg("cooldown_measured") = false);

  e.def(
      "as_period_lift_test",
      [](const std::vector<Eigen::Index>& treated, Eigen::Index start, Eigen::Index end, double incremental,
         double relative_lift, const Eigen::VectorXd& effect, double lower, double upper,
         const Eigen::VectorXd& pointwise_lower, const Eigen::VectorXd& pointwise_upper, double alpha,
         const std::string& channel, double spend, Eigen::Index cooldown, bool cooldown_measured) {
        ev::SyntheticControlFit f = lift_fit(treated, start, end, incremental, relative_lift);
        f.effect = effect;
        ev::ConformalResult r = lift_interval(lower, upper, alpha);
        r.pointwise_lower = pointwise_lower;
        r.pointwise_upper = pointwise_upper;
        return ev::as_period_lift_test(f, r, channel, spend, cooldown, cooldown_measured);
      },
      py::arg("treated"), py::arg("start"), py::arg("end"), py::arg("incremental"), py::arg("relative_lift"),
      py::arg("effect"), py::arg("lower"), py::arg("upper"), py::arg("pointwise_lower"), py::arg("pointwise_upper"),
      py::arg("alpha"), py::kw_only(), py::arg("channel"), py::arg("spend") = nan, py::arg("cooldown") = 0,
      py::arg("cooldown_measured") = false,
      "trustmix::evaluate::as_period_lift_test: the lift test with its lift per measured period (effect is the fit's "
      "per-period effect per treated unit over periods 0 .. end - 1; the pointwise intervals cover start .. end - 1).");
}

}  // namespace trustmix::bindings
