// trustmix::evaluate bound to Python. Thin: arguments are converted to C++ structs first,
// the GIL is released around the C++ work, results come back as dicts of numpy arrays;
// the pythonic layer (trustmix.evaluate) builds DataFrames and result objects.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <trustmix/core/resources.hpp>
#include <trustmix/evaluate/evaluate.hpp>

#include <limits>
#include <string>
#include <vector>

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

py::dict fit_to_dict(const ev::SyntheticControlFit& f) {
  py::dict d;
  d["treated"] = f.treated;
  d["donors"] = f.donors;
  d["start"] = f.start;
  d["end"] = f.end;
  d["weights"] = f.weights;
  d["time_weights"] = f.time_weights;
  d["intercept"] = f.intercept;
  d["observed"] = f.observed;
  d["synthetic"] = f.synthetic;
  d["effect"] = f.effect;
  d["att"] = f.att;
  d["lift"] = f.lift;
  d["incremental"] = f.incremental;
  d["l2_imbalance"] = f.l2_imbalance;
  d["scaled_l2_imbalance"] = f.scaled_l2_imbalance;
  d["pre_rmspe"] = f.pre_rmspe;
  d["ridge"] = f.ridge;
  d["kkt_residual"] = f.kkt_residual;
  py::list cells;
  for (const auto& c : f.cells) cells.append(fit_to_dict(c));
  d["cells"] = cells;
  return d;
}

py::dict curve_to_dict(const ev::PowerCurve& c) {
  py::dict d;
  d["treated"] = c.treated;
  d["duration"] = c.duration;
  d["effects"] = c.effects;
  d["power"] = c.power;
  d["estimated_lift"] = c.estimated_lift;
  d["mean_p_value"] = c.mean_p_value;
  d["mde"] = c.mde;
  d["bias_at_zero"] = c.bias_at_zero;
  d["scaled_l2_imbalance"] = c.scaled_l2_imbalance;
  d["att_scale"] = c.att_scale;
  return d;
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

}  // namespace

void register_evaluate(py::module_& m) {
  auto e = m.def_submodule("evaluate", "trustmix::evaluate: synthetic control, conformal inference, design.");
  const auto nan = std::numeric_limits<double>::quiet_NaN();

  e.def(
      "synthetic_control",
      [](const Matrix& outcomes, const std::vector<Eigen::Index>& treated, Eigen::Index start, Eigen::Index end,
         const std::vector<std::string>& units, const std::string& method, bool fixed_effects, double ridge,
         const std::string& aggregation, Eigen::Index min_pre_periods) {
        const ev::Panel p = panel_of(outcomes, units);
        const auto o = sc_options(method, fixed_effects, ridge, aggregation, min_pre_periods);
        ev::SyntheticControlFit f;
        {
          py::gil_scoped_release release;
          f = ev::synthetic_control(p, ev::Assignment{treated, start, end}, o);
        }
        return fit_to_dict(f);
      },
      py::arg("outcomes"), py::arg("treated"), py::arg("start"), py::arg("end"), py::kw_only(),
      py::arg("units") = std::vector<std::string>{}, py::arg("method") = "synthetic_control",
      py::arg("fixed_effects") = true, py::arg("ridge") = -1.0, py::arg("aggregation") = "average",
      py::arg("min_pre_periods") = 3);

  e.def(
      "synthetic_control_with_weights",
      [](const Matrix& outcomes, const std::vector<Eigen::Index>& treated, Eigen::Index start, Eigen::Index end,
         const Eigen::VectorXd& weights, const std::vector<std::string>& units, bool fixed_effects,
         Eigen::Index min_pre_periods) {
        const ev::Panel p = panel_of(outcomes, units);
        ev::SyntheticControlFit f;
        {
          py::gil_scoped_release release;
          f = ev::synthetic_control_with_weights(p, ev::Assignment{treated, start, end}, weights, fixed_effects,
                                                 min_pre_periods);
        }
        return fit_to_dict(f);
      },
      py::arg("outcomes"), py::arg("treated"), py::arg("start"), py::arg("end"), py::arg("weights"), py::kw_only(),
      py::arg("units") = std::vector<std::string>{}, py::arg("fixed_effects") = true, py::arg("min_pre_periods") = 3);

  e.def(
      "conformal_inference",
      [](const Matrix& outcomes, const std::vector<Eigen::Index>& treated, Eigen::Index start, Eigen::Index end,
         const std::vector<std::string>& units, const std::string& method, bool fixed_effects, double ridge,
         const std::string& aggregation, Eigen::Index min_pre_periods, const std::string& permutation, int n_permutations,
         double q, double alpha, std::uint64_t seed, bool pointwise, const std::string& statistic) {
        const ev::Panel p = panel_of(outcomes, units);
        const auto o = sc_options(method, fixed_effects, ridge, aggregation, min_pre_periods);
        const auto c = conformal_options(permutation, n_permutations, q, alpha, seed, pointwise, statistic);
        ev::ConformalResult r;
        {
          py::gil_scoped_release release;
          r = ev::conformal_inference(p, ev::Assignment{treated, start, end}, o, c);
        }
        py::dict d;
        d["p_value"] = r.p_value;
        d["statistic"] = r.statistic;
        d["exact"] = r.exact;
        d["n_permutations"] = r.n_permutations;
        d["alpha"] = r.alpha;
        d["lower"] = r.lower;
        d["upper"] = r.upper;
        d["pointwise_lower"] = r.pointwise_lower;
        d["pointwise_upper"] = r.pointwise_upper;
        d["pointwise_p"] = r.pointwise_p;
        d["null_residuals"] = r.null_residuals;
        d["cannot_reject"] = r.cannot_reject;
        d["pointwise_cannot_reject"] = r.pointwise_cannot_reject;
        d["hull"] = r.hull;
        d["pointwise_hull"] = r.pointwise_hull;
        return d;
      },
      py::arg("outcomes"), py::arg("treated"), py::arg("start"), py::arg("end"), py::kw_only(),
      py::arg("units") = std::vector<std::string>{}, py::arg("method") = "synthetic_control",
      py::arg("fixed_effects") = true, py::arg("ridge") = -1.0, py::arg("aggregation") = "average",
      py::arg("min_pre_periods") = 3, py::arg("permutation") = "iid", py::arg("n_permutations") = 1000, py::arg("q") = 1.0,
      py::arg("alpha") = 0.1, py::arg("seed") = 0, py::arg("pointwise") = true, py::arg("statistic") = "absolute");

  e.def(
      "jackknife_plus",
      [](const Matrix& outcomes, const std::vector<Eigen::Index>& treated, Eigen::Index start, Eigen::Index end,
         const std::vector<std::string>& units, const std::string& method, bool fixed_effects, double ridge,
         const std::string& aggregation, Eigen::Index min_pre_periods, double alpha) {
        const ev::Panel p = panel_of(outcomes, units);
        const auto o = sc_options(method, fixed_effects, ridge, aggregation, min_pre_periods);
        ev::JackknifeResult r;
        {
          py::gil_scoped_release release;
          r = ev::jackknife_plus(p, ev::Assignment{treated, start, end}, o, alpha);
        }
        py::dict d;
        d["alpha"] = r.alpha;
        d["lower"] = r.lower;
        d["upper"] = r.upper;
        d["pointwise_lower"] = r.pointwise_lower;
        d["pointwise_upper"] = r.pointwise_upper;
        d["held_out_errors"] = r.held_out_errors;
        return d;
      },
      py::arg("outcomes"), py::arg("treated"), py::arg("start"), py::arg("end"), py::kw_only(),
      py::arg("units") = std::vector<std::string>{}, py::arg("method") = "synthetic_control",
      py::arg("fixed_effects") = true, py::arg("ridge") = -1.0, py::arg("aggregation") = "average",
      py::arg("min_pre_periods") = 3, py::arg("alpha") = 0.1);

  e.def(
      "placebo_variance",
      [](const Matrix& outcomes, const std::vector<Eigen::Index>& treated, Eigen::Index start, Eigen::Index end,
         const std::vector<std::string>& units, const std::string& method, bool fixed_effects, double ridge,
         const std::string& aggregation, Eigen::Index min_pre_periods, double alpha, int n_placebo, std::uint64_t seed,
         int threads) {
        const ev::Panel p = panel_of(outcomes, units);
        const auto o = sc_options(method, fixed_effects, ridge, aggregation, min_pre_periods);
        ev::PlaceboVarianceResult r;
        {
          py::gil_scoped_release release;
          r = ev::placebo_variance(p, ev::Assignment{treated, start, end}, o, alpha, n_placebo, seed, threads);
        }
        py::dict d;
        d["alpha"] = r.alpha;
        d["se"] = r.se;
        d["lower"] = r.lower;
        d["upper"] = r.upper;
        d["placebo_att"] = r.placebo_att;
        return d;
      },
      py::arg("outcomes"), py::arg("treated"), py::arg("start"), py::arg("end"), py::kw_only(),
      py::arg("units") = std::vector<std::string>{}, py::arg("method") = "synthetic_control",
      py::arg("fixed_effects") = true, py::arg("ridge") = -1.0, py::arg("aggregation") = "average",
      py::arg("min_pre_periods") = 3, py::arg("alpha") = 0.1, py::arg("n_placebo") = 200, py::arg("seed") = 0,
      py::arg("threads") = 0);

  e.def(
      "placebo_in_space",
      [](const Matrix& outcomes, const std::vector<Eigen::Index>& treated, Eigen::Index start, Eigen::Index end,
         const std::vector<std::string>& units, const std::string& method, bool fixed_effects, double ridge,
         const std::string& aggregation, Eigen::Index min_pre_periods, int threads) {
        const ev::Panel p = panel_of(outcomes, units);
        const auto o = sc_options(method, fixed_effects, ridge, aggregation, min_pre_periods);
        ev::PlaceboSpaceResult r;
        {
          py::gil_scoped_release release;
          r = ev::placebo_in_space(p, ev::Assignment{treated, start, end}, o, threads);
        }
        py::dict d;
        d["units"] = r.units;
        d["att"] = r.att;
        d["rmspe_ratio"] = r.rmspe_ratio;
        d["treated_ratio"] = r.treated_ratio;
        d["p_value"] = r.p_value;
        return d;
      },
      py::arg("outcomes"), py::arg("treated"), py::arg("start"), py::arg("end"), py::kw_only(),
      py::arg("units") = std::vector<std::string>{}, py::arg("method") = "synthetic_control",
      py::arg("fixed_effects") = true, py::arg("ridge") = -1.0, py::arg("aggregation") = "average",
      py::arg("min_pre_periods") = 3, py::arg("threads") = 0);

  e.def(
      "placebo_in_time",
      [](const Matrix& outcomes, const std::vector<Eigen::Index>& treated, Eigen::Index start, Eigen::Index end,
         const std::vector<std::string>& units, const std::string& method, bool fixed_effects, double ridge,
         const std::string& aggregation, Eigen::Index min_pre_periods, const std::string& permutation, int n_permutations,
         double q, double alpha, std::uint64_t seed, const std::string& statistic) {
        const ev::Panel p = panel_of(outcomes, units);
        const auto o = sc_options(method, fixed_effects, ridge, aggregation, min_pre_periods);
        const auto c = conformal_options(permutation, n_permutations, q, alpha, seed, false, statistic);
        ev::PlaceboTimeResult r;
        {
          py::gil_scoped_release release;
          r = ev::placebo_in_time(p, ev::Assignment{treated, start, end}, o, c);
        }
        py::dict d = fit_to_dict(r.fit);
        d["p_value"] = r.p_value;
        return d;
      },
      py::arg("outcomes"), py::arg("treated"), py::arg("start"), py::arg("end"), py::kw_only(),
      py::arg("units") = std::vector<std::string>{}, py::arg("method") = "synthetic_control",
      py::arg("fixed_effects") = true, py::arg("ridge") = -1.0, py::arg("aggregation") = "average",
      py::arg("min_pre_periods") = 3, py::arg("permutation") = "iid", py::arg("n_permutations") = 1000, py::arg("q") = 1.0,
      py::arg("alpha") = 0.1, py::arg("seed") = 0, py::arg("statistic") = "absolute");

  e.def(
      "staggered_did",
      [](const Matrix& outcomes, const std::vector<Eigen::Index>& adoption, const std::vector<std::string>& units) {
        const ev::Panel p = panel_of(outcomes, units);
        ev::StaggeredDidResult r;
        {
          py::gil_scoped_release release;
          r = ev::staggered_did(p, adoption);
        }
        py::dict d;
        d["cell_cohort"] = r.cell_cohort;
        d["cell_period"] = r.cell_period;
        d["cell_att"] = r.cell_att;
        d["cell_se"] = r.cell_se;
        d["att"] = r.att;
        d["att_se"] = r.att_se;
        d["event_time"] = r.event_time;
        d["event_att"] = r.event_att;
        d["event_se"] = r.event_se;
        return d;
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
        ev::PowerCurve c;
        {
          py::gil_scoped_release release;
          c = ev::power_analysis(p, treated, duration, o);
        }
        return curve_to_dict(c);
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
        ev::MarketSelection r;
        {
          py::gil_scoped_release release;
          r = ev::market_selection(p, o);
        }
        py::list designs;
        for (const auto& c : r.designs) designs.append(curve_to_dict(c));
        return designs;
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
        ev::CausalImpactResult r;
        {
          py::gil_scoped_release release;
          r = ev::causal_impact(y, controls, start, o);
        }
        py::dict d;
        d["predicted"] = r.predicted;
        d["predicted_lower"] = r.predicted_lower;
        d["predicted_upper"] = r.predicted_upper;
        d["effect"] = r.effect;
        d["effect_lower"] = r.effect_lower;
        d["effect_upper"] = r.effect_upper;
        d["cumulative"] = r.cumulative;
        d["cumulative_lower"] = r.cumulative_lower;
        d["cumulative_upper"] = r.cumulative_upper;
        d["average_effect"] = r.average_effect;
        d["average_lower"] = r.average_lower;
        d["average_upper"] = r.average_upper;
        d["relative_effect"] = r.relative_effect;
        d["p_value"] = r.p_value;
        d["beta_mean"] = r.beta_mean;
        d["inclusion"] = r.inclusion;
        d["max_rhat"] = r.max_rhat;
        d["min_ess"] = r.min_ess;
        d["divergences"] = r.divergences;
        return d;
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
        ev::SyntheticControlFit f;
        f.treated = treated;
        f.start = start;
        f.end = end;
        f.incremental = incremental;
        f.lift = relative_lift;
        ev::ConformalResult r;
        r.lower = lower;
        r.upper = upper;
        r.alpha = alpha;
        const ev::LiftTest t = ev::as_lift_test(f, r, channel, spend, cooldown, cooldown_measured);
        py::dict d;
        d["channel"] = t.channel;
        d["treated"] = t.treated;
        d["start"] = t.start;
        d["end"] = t.end;
        d["cooldown"] = t.cooldown;
        d["measured_end"] = t.measured_end;
        d["lift"] = t.lift;
        d["standard_error"] = t.standard_error;
        d["relative_lift"] = t.relative_lift;
        d["spend"] = t.spend;
        d["iroas"] = t.iroas;
        d["iroas_standard_error"] = t.iroas_standard_error;
        return d;
      },
      py::arg("treated"), py::arg("start"), py::arg("end"), py::arg("incremental"), py::arg("relative_lift"),
      py::arg("lower"), py::arg("upper"), py::arg("alpha"), py::kw_only(), py::arg("channel"), py::arg("spend") = nan,
      py::arg("cooldown") = 0, py::arg("cooldown_measured") = false);
}

}  // namespace trustmix::bindings
