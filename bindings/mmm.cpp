// Bindings of the trust-linked model (trustmix::mmm). Arrays in (row-major from numpy are
// copied once into the model's column-major store), the GIL released for the C++ work.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <trustmix/mmm/analyses.hpp>
#include <trustmix/mmm/fit.hpp>
#include <trustmix/mmm/spec.hpp>
#include <trustmix/mmm/target.hpp>
#include <trustmix/mmm/trust_model.hpp>

#include <algorithm>
#include <utility>
#include <vector>

#include "bind_target.hpp"
#include "helpers/result.hpp"
#include "interruptible.hpp"
#include "map_report.hpp"
#include "register.hpp"

namespace py = pybind11;
namespace mm = trustmix::mmm;

namespace trustmix::bindings {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// What _core.mmm.build returns next to the model: build()'s scales and names
/// (mm::TrustModelScales, without the spend) and the scaled data the model holds.
struct BuiltScales {
  mm::TrustModelScales scales;
  mm::Matrix media, baseline, shocks;  ///< T x C, T x K, T x shocks (model units)
  mm::Vector y, tracker, tracker_se;   ///< T (model units; the tracker standardised)
};

mm::Likelihood likelihood_from_string(const std::string& s) {
  for (auto l : {mm::Likelihood::normal, mm::Likelihood::lognormal, mm::Likelihood::negative_binomial})
    if (s == mm::to_string(l)) return l;
  throw std::invalid_argument("likelihood must be 'normal', 'lognormal' or 'negative_binomial', got '" + s + "'");
}

mm::Link link_from_string(const std::string& s) {
  for (auto l : {mm::Link::identity, mm::Link::log})
    if (s == mm::to_string(l)) return l;
  throw std::invalid_argument("link must be 'identity' or 'log', got '" + s + "'");
}

mm::TrustForm trust_form_from_string(const std::string& s) {
  for (auto f : {mm::TrustForm::linear, mm::TrustForm::bounded})
    if (s == mm::to_string(f)) return f;
  throw std::invalid_argument("trust_form must be 'linear' or 'bounded', got '" + s + "'");
}

mm::Noise noise_from_string(const std::string& s) {
  for (auto n : {mm::Noise::iid, mm::Noise::ar1})
    if (s == mm::to_string(n)) return n;
  throw std::invalid_argument("noise must be 'iid' or 'ar1', got '" + s + "'");
}

using Priors = mm::TrustModelPriors;

/// The scalar settings of TrustModelPriors by their Python names, in the order
/// TrustModel.priors lists them (priors_from_dict reads the same names).
const std::vector<std::pair<std::string, double Priors::*>>& prior_scalars() {
  static const std::vector<std::pair<std::string, double Priors::*>> fields = {
      {"alpha_a", &Priors::alpha_a},
      {"alpha_b", &Priors::alpha_b},
      {"lam_shape", &Priors::lam_shape},
      {"lam_rate", &Priors::lam_rate},
      {"half_life_median", &Priors::half_life_median},
      {"half_life_sd_log", &Priors::half_life_sd_log},
      {"g0_mean", &Priors::g0_mean},
      {"g0_sd", &Priors::g0_sd},
      {"omega_sd", &Priors::omega_sd},
      {"gamma_sd", &Priors::gamma_sd},
      {"theta_sd", &Priors::theta_sd},
      {"beta_sd", &Priors::beta_sd},
      {"baseline_sd", &Priors::baseline_sd},
      {"sigma_sd", &Priors::sigma_sd},
      {"tracker_a_sd", &Priors::tracker_a_sd},
      {"tracker_b_sd", &Priors::tracker_b_sd},
      {"tracker_sigma_sd", &Priors::tracker_sigma_sd},
      {"phi_sd", &Priors::phi_sd},
      {"ar1_sd", &Priors::ar1_sd},
      {"trust_base_logit_mean", &Priors::trust_base_logit_mean},
      {"trust_base_logit_sd", &Priors::trust_base_logit_sd},
      {"g0_logit_sd", &Priors::g0_logit_sd},
      {"inflow_sd", &Priors::inflow_sd},
      {"tracker_bias_sd", &Priors::tracker_bias_sd},
      {"tracker_share_sigma_sd", &Priors::tracker_share_sigma_sd},
      {"rf_ec_log_mean", &Priors::rf_ec_log_mean},
      {"rf_ec_sd_log", &Priors::rf_ec_sd_log},
      {"rf_slope_log_mean", &Priors::rf_slope_log_mean},
      {"rf_slope_sd_log", &Priors::rf_slope_sd_log},
      {"rf_rate_shape", &Priors::rf_rate_shape},
      {"rf_rate_rate", &Priors::rf_rate_rate}};
  return fields;
}

/// The per-column settings (roi_*: per channel; baseline_*: per baseline column).
const std::vector<std::pair<std::string, Eigen::VectorXd Priors::*>>& prior_vectors() {
  static const std::vector<std::pair<std::string, Eigen::VectorXd Priors::*>> fields = {
      {"roi_log_median", &Priors::roi_log_median},
      {"roi_sd_log", &Priors::roi_sd_log},
      {"roi_scale", &Priors::roi_scale},
      {"baseline_mean", &Priors::baseline_mean},
      {"baseline_sd_k", &Priors::baseline_sd_k}};
  return fields;
}

mm::TrustModelPriors priors_from_dict(const py::dict& d) {
  mm::TrustModelPriors p;
  for (auto item : d) {
    const auto key = item.first.cast<std::string>();
    const auto named = [&](const auto& f) { return f.first == key; };
    const auto& vectors = prior_vectors();
    if (const auto v = std::find_if(vectors.begin(), vectors.end(), named); v != vectors.end()) {
      p.*(v->second) = item.second.cast<Eigen::VectorXd>();  // checked by the model
      continue;
    }
    const auto& fields = prior_scalars();
    const auto it = std::find_if(fields.begin(), fields.end(), named);
    if (it == fields.end()) throw std::invalid_argument("unknown prior setting '" + key + "'");
    const double v = item.second.cast<double>();
    if (!std::isfinite(v) || v <= 0.0)
      if (key != "g0_mean" && key != "trust_base_logit_mean" && key != "rf_ec_log_mean" && key != "rf_slope_log_mean")
        throw std::invalid_argument("prior setting " + key + " must be a finite number > 0, got " + std::to_string(v));
    p.*(it->second) = v;
  }
  return p;
}

/// TrustModel.priors: the scalar settings, then roi_* when set and baseline_* when set.
py::dict priors_to_dict(const mm::TrustModelPriors& p) {
  py::dict d;
  for (const auto& [name, field] : prior_scalars()) d[name.c_str()] = p.*field;
  const bool roi = p.roi_log_median.size() != 0;
  const bool baseline = p.baseline_mean.size() != 0 || p.baseline_sd_k.size() != 0;  // market_growth
  for (const auto& [name, field] : prior_vectors())
    if (name.rfind("roi_", 0) == 0 ? roi : baseline) d[name.c_str()] = p.*field;
  return d;
}

mm::Role role_from_string(const std::string& s, const std::string& channel) {
  if (s == "trust") return mm::Role::trust;
  if (s == "conversion") return mm::Role::conversion;
  if (s == "both") return mm::Role::both;
  throw std::invalid_argument("channel '" + channel + "': role must be one of trust, conversion, both, got '" + s + "'");
}

/// A LiftTestSpec (calibration.hpp) from a dict with channel, start, end (exclusive),
/// cooldown, share, lift and standard_error (arrays, may be empty), iroas,
/// iroas_standard_error, spend, transfer_sd, transfer_fraction, dof (missing: the defaults).
mm::LiftTestSpec lift_test_from_dict(const py::dict& d) {
  mm::LiftTestSpec t;
  t.channel = d["channel"].cast<std::string>();
  t.start = d["start"].cast<int>();
  t.end = d["end"].cast<int>();
  auto num = [&](const char* key, double& out) {
    if (d.contains(key)) out = d[key].cast<double>();
  };
  if (d.contains("cooldown")) t.cooldown = d["cooldown"].cast<int>();
  num("share", t.share);
  if (d.contains("lift")) t.lift = d["lift"].cast<Eigen::VectorXd>();
  if (d.contains("standard_error")) t.standard_error = d["standard_error"].cast<Eigen::VectorXd>();
  num("iroas", t.iroas);
  num("iroas_standard_error", t.iroas_standard_error);
  num("spend", t.spend);
  num("transfer_sd", t.transfer_sd);
  num("transfer_fraction", t.transfer_fraction);
  num("dof", t.dof);
  return t;
}

/// trustmix::mmm::build from arrays: (TrustModel, BuiltScales).
py::tuple build_model(std::vector<std::string> channels, const std::vector<std::string>& roles, const RowMatrix& media,
                      const RowMatrix& spend, const Eigen::VectorXd& outcome, double period_days,
                      const Eigen::VectorXd& tracker, const RowMatrix& controls, std::vector<std::string> control_names,
                      const RowMatrix& events, std::vector<std::string> event_names, const RowMatrix& shocks,
                      std::vector<std::string> shock_names, int seasonality, bool trend, int max_lag, bool trust_enabled,
                      const std::string& scaling, const std::string& likelihood, double value_per_outcome,
                      const py::dict& priors, const std::optional<std::pair<double, double>>& trust_half_life,
                      const std::vector<std::tuple<std::string, double, double>>& roi, const std::string& trust_form,
                      const Eigen::VectorXd& tracker_n, const std::vector<std::string>& rf, const RowMatrix& frequency,
                      double rf_shape, const py::list& lift_tests, bool tracker_share, const std::string& link,
                      const std::string& noise, const std::optional<std::pair<double, double>>& market_growth) {
  mm::TrustModelSpec spec;
  for (const auto& item : lift_tests) spec.lift_tests.push_back(lift_test_from_dict(item.cast<py::dict>()));
  if (roles.size() != channels.size())
    throw std::invalid_argument("roles need one entry per channel (" + std::to_string(channels.size()) + ")");
  for (std::size_t i = 0; i < roles.size(); ++i) spec.roles.push_back(role_from_string(roles[i], channels[i]));
  spec.channels = std::move(channels);
  spec.media = media;
  spec.spend = spend;
  spec.outcome = outcome;
  spec.period_days = period_days;
  spec.tracker = tracker;
  spec.tracker_n = tracker_n;
  spec.tracker_share = tracker_share;
  spec.controls = controls;
  spec.control_names = std::move(control_names);
  spec.events = events;
  spec.event_names = std::move(event_names);
  spec.shocks = shocks;
  spec.shock_names = std::move(shock_names);
  spec.seasonality = seasonality;
  spec.trend = trend;
  spec.max_lag = max_lag;
  spec.trust_enabled = trust_enabled;
  if (scaling != "mean" && scaling != "max")
    throw std::invalid_argument("scaling must be 'mean' or 'max', got '" + scaling + "'");
  spec.scaling = scaling == "mean" ? mm::Scaling::mean : mm::Scaling::max;
  spec.likelihood = likelihood_from_string(likelihood);
  spec.noise = noise_from_string(noise);
  spec.trust_form = trust_form_from_string(trust_form);
  spec.link = link_from_string(link);
  spec.value_per_outcome = value_per_outcome;
  spec.priors = priors_from_dict(priors);
  if (trust_half_life) {
    spec.trust_half_life_low = trust_half_life->first;
    spec.trust_half_life_high = trust_half_life->second;
  }
  if (market_growth) {
    spec.market_growth_low = market_growth->first;
    spec.market_growth_high = market_growth->second;
  }
  for (const auto& [c, lo, hi] : roi) spec.roi_priors.push_back({c, lo, hi});
  if (!rf.empty()) {  // reach-and-frequency forms per channel: "", "hill" or "exposure"
    for (std::size_t i = 0; i < rf.size(); ++i) {
      if (rf[i].empty() || rf[i] == "none") spec.rf.push_back(mm::RfForm::none);
      else if (rf[i] == "hill") spec.rf.push_back(mm::RfForm::hill);
      else if (rf[i] == "exposure") spec.rf.push_back(mm::RfForm::exposure);
      else
        throw std::invalid_argument("rf form of channel " + std::to_string(i) + " must be 'hill' or 'exposure', got '" +
                                    rf[i] + "'");
    }
    spec.frequency = frequency;
    spec.rf_shape = rf_shape;
  }
  mm::BuiltTrustModel b = [&] {
    py::gil_scoped_release release;
    return mm::build(std::move(spec));
  }();
  BuiltScales out;
  out.scales = std::move(b.scales);
  out.scales.spend = mm::Matrix();  // not reported (the Python model keeps the raw spend)
  const mm::TrustModelData& data = b.model.data();
  out.media = data.media;
  out.y = data.y;
  out.baseline = data.baseline;
  out.shocks = data.shocks;
  out.tracker = data.tracker;
  out.tracker_se = data.tracker_se;
  return py::make_tuple(py::cast(std::move(b.model)), std::move(out));
}

/// The analyses of analyses.hpp over a (draw, parameter) array: thin wrappers that copy
/// the draws once, release the GIL and return the core's result structs (bound below).
void register_mmm_analyses(py::module_& sub) {
  sub.def(
      "roi",
      [](const mm::TrustModel& model, const RowMatrix& draws, int horizon, int window_begin, int window_end,
         const Eigen::VectorXd& spend, double value_per_outcome, double outcome_scale, int threads) {
        mm::RoiSettings s;
        s.horizon = horizon;
        s.window_begin = window_begin;
        s.window_end = window_end;
        s.spend = spend;
        s.value_per_outcome = value_per_outcome;
        s.outcome_scale = outcome_scale;
        s.threads = threads;
        const mm::Matrix z = draws;
        mm::RoiDraws r;
        {
          py::gil_scoped_release release;
          r = mm::roi(model, z, s);
        }
        return r;
      },
      py::arg("model"), py::arg("draws"), py::arg("horizon") = 104, py::arg("window_begin") = 0, py::arg("window_end") = -1,
      py::arg("spend"), py::arg("value_per_outcome") = std::nan(""), py::arg("outcome_scale") = 1.0, py::arg("threads") = 0,
      "trustmix::mmm::roi: per draw (rows) and channel (columns) incremental outcome, its short/long and path "
      "split, ROI, marginal ROI and cost per incremental outcome.");
  sub.def(
      "rf_frequency_curves",
      [](const mm::TrustModel& model, const RowMatrix& draws, int channel, const Eigen::VectorXd& values,
         bool fixed_impressions, int horizon, double outcome_scale, int threads) {
        mm::RfFrequencySettings s;
        s.channel = channel;
        s.values = values;
        s.fixed_impressions = fixed_impressions;
        s.horizon = horizon;
        s.outcome_scale = outcome_scale;
        s.threads = threads;
        const mm::Matrix z = draws;
        py::gil_scoped_release release;
        return mm::rf_frequency_curves(model, z, s);
      },
      py::arg("model"), py::arg("draws"), py::arg("channel"), py::arg("values"), py::arg("fixed_impressions") = false,
      py::arg("horizon") = 104, py::arg("outcome_scale") = 1.0, py::arg("threads") = 0,
      "trustmix::mmm::rf_frequency_curves: per draw and value, the incremental outcome of an RF channel at scaled\n"
      "frequency (fixed reach) or at a target frequency with the same impressions.");
  sub.def(
      "response_curves",
      [](const mm::TrustModel& model, const RowMatrix& draws, std::vector<int> channels, const Eigen::VectorXd& multipliers,
         int horizon, double outcome_scale, int threads) {
        mm::ResponseCurveSettings s;
        s.channels = std::move(channels);
        s.multipliers = multipliers;
        s.horizon = horizon;
        s.outcome_scale = outcome_scale;
        s.threads = threads;
        const mm::Matrix z = draws;
        std::vector<mm::Matrix> r;
        {
          py::gil_scoped_release release;
          r = mm::response_curves(model, z, s);
        }
        return r;
      },
      py::arg("model"), py::arg("draws"), py::arg("channels"), py::arg("multipliers"), py::arg("horizon") = 104,
      py::arg("outcome_scale") = 1.0, py::arg("threads") = 0,
      "trustmix::mmm::response_curves: one (draw, multiplier) array of incremental outcome per channel.");
  sub.def(
      "decompose",
      [](const mm::TrustModel& model, const RowMatrix& draws, double outcome_scale, int threads) {
        const mm::Matrix z = draws;
        mm::Decomposition r;
        {
          py::gil_scoped_release release;
          r = mm::decompose(model, z, outcome_scale, threads);
        }
        return r;
      },
      py::arg("model"), py::arg("draws"), py::arg("outcome_scale") = 1.0, py::arg("threads") = 0,
      "trustmix::mmm::decompose: the posterior mean of the additive decomposition.");
  sub.def(
      "mean_draws",
      [](const mm::TrustModel& model, const RowMatrix& draws, double outcome_scale, int threads) {
        const mm::Matrix z = draws;
        py::gil_scoped_release release;
        return mm::mean_draws(model, z, outcome_scale, threads);
      },
      py::arg("model"), py::arg("draws"), py::arg("outcome_scale") = 1.0, py::arg("threads") = 0,
      "trustmix::mmm::mean_draws: mu per draw (rows) and period (columns).");
  sub.def(
      "constrained_draws",
      [](const mm::TrustModel& model, const RowMatrix& draws, int threads) {
        const mm::Matrix z = draws;
        py::gil_scoped_release release;
        return mm::constrained_draws(model, z, threads);
      },
      py::arg("model"), py::arg("draws"), py::arg("threads") = 0,
      "trustmix::mmm::constrained_draws: constrained parameters per draw (TrustModel.constrained_names order).");
  sub.def(
      "posterior_predictive",
      [](const mm::TrustModel& model, const RowMatrix& draws, double outcome_scale, std::uint64_t seed, int threads) {
        mm::PredictiveSettings s;
        s.outcome_scale = outcome_scale;
        s.seed = seed;
        s.threads = threads;
        const mm::Matrix z = draws;
        py::gil_scoped_release release;
        return mm::posterior_predictive(model, z, s);
      },
      py::arg("model"), py::arg("draws"), py::arg("outcome_scale") = 1.0, py::arg("seed") = 0, py::arg("threads") = 0,
      "trustmix::mmm::posterior_predictive: one replicated outcome per draw (rows) and period (columns).");
  sub.def(
      "summary_values",
      [](const mm::TrustModel& model, const RowMatrix& draws, double outcome_scale, int threads) {
        const mm::Matrix z = draws;
        mm::SummaryValues r;
        {
          py::gil_scoped_release release;
          r = mm::summary_values(model, z, outcome_scale, threads);
        }
        return r;
      },
      py::arg("model"), py::arg("draws"), py::arg("outcome_scale") = 1.0, py::arg("threads") = 0,
      "trustmix::mmm::summary_values: the per-draw values behind a summary table.");
  sub.def(
      "summary_table",
      [](const mm::TrustModel& model, const RowMatrix& draws, int chains, double outcome_scale, double interval,
         int threads) {
        const mm::Matrix z = draws;
        mm::SummaryTable r;
        {
          py::gil_scoped_release release;
          r = mm::summary_table(model, z, chains, outcome_scale, interval, threads);
        }
        return r;
      },
      py::arg("model"), py::arg("draws"), py::arg("chains"), py::arg("outcome_scale") = 1.0, py::arg("interval") = 0.9,
      py::arg("threads") = 0,
      "trustmix::mmm::summary_table: mean, sd, interval, R-hat and bulk ESS of every summary quantity (draws chain "
      "after chain).");
  sub.def(
      "summarize_columns",
      [](const RowMatrix& x, double lo, double hi, bool skip_nan, int threads) {
        const mm::Matrix v = x;
        mm::ColumnSummary r;
        {
          py::gil_scoped_release release;
          r = mm::summarize_columns(v, lo, hi, skip_nan, threads);
        }
        return r;
      },
      py::arg("x"), py::arg("lo"), py::arg("hi"), py::arg("skip_nan") = false, py::arg("threads") = 0,
      "trustmix::mmm::summarize_columns: per column of a (draw, quantity) array its mean and the quantiles at lo\n"
      "and hi (numpy's linear quantile, to the bit; skip_nan: numpy's nanquantile).");
  sub.def(
      "saturation_points",
      [](const mm::TrustModel& model, const RowMatrix& draws, const Eigen::VectorXd& media_scale, int threads) {
        const mm::Matrix z = draws;
        mm::SaturationPoints r;
        {
          py::gil_scoped_release release;
          r = mm::saturation_points(model, z, media_scale, threads);
        }
        return r;
      },
      py::arg("model"), py::arg("draws"), py::arg("media_scale"), py::arg("threads") = 0,
      "trustmix::mmm::saturation_points: per draw and channel, in activity units.");
  sub.def(
      "counterfactual",
      [](const mm::TrustModel& model, const Eigen::VectorXd& z, const RowMatrix& media, double outcome_scale) {
        const mm::Matrix med = media;
        mm::Counterfactual r;
        {
          py::gil_scoped_release release;
          r = mm::counterfactual(model, z, med, outcome_scale);
        }
        return r;
      },
      py::arg("model"), py::arg("z"), py::arg("media"), py::arg("outcome_scale") = 1.0,
      "trustmix::mmm::counterfactual: the outcome under other (scaled) media at z and its exact path split.");
}

/// The result classes of the functions above (helpers::bind_result: read-only typed
/// attributes, __repr__, versioned pickle); registered before the functions that return them.
void bind_mmm_results(py::module_& sub) {
  using helpers::bind_result, helpers::member, helpers::nested;
  using P = mm::TrustModelParameters;
  bind_result<P>(sub, "TrustModelParameters",
                 "Constrained parameters of the trust-linked model at one point (trustmix::mmm::TrustModelParameters),\n"
                 "scaled units (TrustModel.constrain).",
                 1, member("alpha", &P::alpha, "Per channel: adstock parameter alpha."),
                 member("lam", &P::lam, "Per channel: saturation rate lambda (RF channels: ec or the per-exposure rate)."),
                 member("kappa", &P::kappa, "Per trust channel: the trust inflow's weights (simplex)."),
                 member("omega", &P::omega, "Per shock: its effect on the trust stock."),
                 member("beta", &P::beta, "Per conversion channel: its effect."),
                 member("b", &P::b, "Per baseline column: its coefficient."),
                 member("delta", &P::delta, "Trust stock decay per period."), member("g0", &P::g0, "Initial trust stock."),
                 member("gamma", &P::gamma, "Direct effect of the trust stock."),
                 member("theta", &P::theta, "Amplification of the conversion channels by the trust stock."),
                 member("sigma", &P::sigma, "Noise scale (negative binomial: its size phi)."),
                 member("tracker_a", &P::tracker_a, "Tracker intercept (standardised tracker units)."),
                 member("tracker_b", &P::tracker_b, "Tracker slope on the trust stock."),
                 member("tracker_sigma", &P::tracker_sigma, "Tracker noise sd (standardised units)."),
                 member("trust_base", &P::trust_base, "Bounded trust form: the base level b (0 otherwise)."),
                 member("trust_inflow", &P::inflow, "Bounded trust form: the inflow rho (0 otherwise)."),
                 member("slope", &P::slope, "Per channel: the Hill slope of an RF channel of the hill form (else 0)."),
                 member("ar1_phi", &P::ar1, "AR(1) coefficient phi of the residuals (0 for iid noise)."));
  using F = mm::TrustModelForward;
  bind_result<F>(
      sub, "TrustModelForward",
      "Every intermediate of one forward pass (trustmix::mmm::TrustModelForward), model units: T periods,\n"
      "C channels, P trust channels, S conversion channels (TrustModel.forward).",
      1, member("adstock", &F::adstock, "T x C: adstocked media."),
      member("saturated", &F::saturated, "T x C: saturated adstock h."),
      member("inflow", &F::inflow, "T: the trust stock's inflow."),
      member("trust_stock", &F::trust_stock, "T: the trust stock G."),
      member("trust_by_channel", &F::trust_by_channel,
             "T x P: the stock built by each trust channel (bounded form: its Shapley value)."),
      member("trust_from_shocks", &F::trust_from_shocks, "T: the stock built by the shocks."),
      member("trust_from_initial", &F::trust_from_initial, "T: what is left of the initial stock."),
      member("base", &F::base, "T: the baseline part of mu."), member("trust_direct", &F::trust_direct, "T: gamma G."),
      member("conversion_own", &F::conversion_own, "T x S: beta_s h_s."),
      member("amplification", &F::amplification, "T x S: beta_s theta G h_s."), member("mu", &F::mu, "T: the mean outcome."),
      member("eta", &F::eta, "T: the linear predictor (mu with the identity link, ln mu with the log link)."));
  bind_result<MapReport>(sub, "MapReport",
                         "The MAP report of TrustModel.fit_map (trustmix::mmm::fit_map's MapResult, reduced).", 1,
                         member("z", &MapReport::z, "The unconstrained mode."),
                         member("log_density", &MapReport::log_density, "Log posterior at the mode (up to a constant)."),
                         member("gradient_norm", &MapReport::gradient_norm, "Largest absolute gradient component there."),
                         member("iterations", &MapReport::iterations, "L-BFGS iterations."),
                         member("evaluations", &MapReport::evaluations, "Log density and gradient evaluations."),
                         member("restarts", &MapReport::restarts, "Restarts after a line-search stop."),
                         member("converged", &MapReport::converged, "True when the convergence criterion was met."),
                         member("message", &MapReport::message, "Why the optimiser stopped."));
  using B = BuiltScales;
  bind_result<B>(
      sub, "BuiltScales",
      "What _core.mmm.build derived from the spec (trustmix::mmm::TrustModelScales) and the scaled data of\n"
      "the model: T periods, C channels, K baseline columns.",
      1,
      nested<B>(
          "media_scale", [](auto& s) -> auto& { return s.scales.media_scale; }, "C: activity per scaled unit."),
      nested<B>(
          "y_scale", [](auto& s) -> auto& { return s.scales.y_scale; }, "Outcome per model unit."),
      nested<B>(
          "tracker_mean", [](auto& s) -> auto& { return s.scales.tracker_mean; }, "Mean of the raw tracker."),
      nested<B>(
          "tracker_sd", [](auto& s) -> auto& { return s.scales.tracker_sd; }, "Sd of the raw tracker."),
      nested<B>(
          "control_mean", [](auto& s) -> auto& { return s.scales.control_mean; }, "Per control: its mean."),
      nested<B>(
          "control_sd", [](auto& s) -> auto& { return s.scales.control_sd; }, "Per control: its sd."),
      nested<B>(
          "baseline_names", [](auto& s) -> auto& { return s.scales.baseline_names; }, "K baseline columns."),
      nested<B>(
          "trust_channels", [](auto& s) -> auto& { return s.scales.trust_channels; },
          "Trust channels (empty without trust)."),
      nested<B>(
          "conversion_channels", [](auto& s) -> auto& { return s.scales.conversion_channels; }, "Conversion channels."),
      member("media", &B::media, "T x C: scaled media."), member("y", &B::y, "T: scaled outcome."),
      member("baseline", &B::baseline, "T x K: the baseline design."), member("shocks", &B::shocks, "T x shocks."),
      member("tracker", &B::tracker, "T: standardised tracker (empty without one)."),
      member("tracker_se", &B::tracker_se, "T: the tracker's standard errors (standardised; may be empty)."));
  using R = mm::RoiDraws;
  bind_result<R>(sub, "RoiDraws",
                 "roi() per draw (trustmix::mmm::RoiDraws): every array is draws x channels (outcome units,\n"
                 "currency ratios).",
                 1, member("incremental_short", &R::incremental_short, "Incremental outcome inside the window."),
                 member("incremental_long", &R::incremental_long, "Incremental outcome after the window (horizon)."),
                 member("incremental_total", &R::incremental_total, "Short + long incremental outcome."),
                 member("via_trust_direct", &R::via_trust_direct, "Path: the stock's direct effect."),
                 member("via_amplification", &R::via_amplification, "Path: the stock's amplification."),
                 member("own", &R::own, "Path: the channel's own effect."),
                 member("roi_short", &R::roi_short, "(short x value - spend) / spend."),
                 member("roi_total", &R::roi_total, "(total x value - spend) / spend."),
                 member("marginal_roi", &R::marginal_roi, "ROI of the next 1% of spend."),
                 member("cost_per_incremental", &R::cost_per_incremental, "Spend / total incremental outcome."));
  using D = mm::Decomposition;
  bind_result<D>(sub, "Decomposition",
                 "Posterior mean of the additive decomposition of mu (trustmix::mmm::Decomposition), outcome units.", 1,
                 member("base", &D::base, "T: the baseline."),
                 member("trust_direct", &D::trust_direct, "T x (P + 2): trust channels, shocks, initial trust."),
                 member("amplification", &D::amplification, "T x (P + 2): as trust_direct."),
                 member("own", &D::own, "T x S: each conversion channel's own term."));
  using V = mm::SummaryValues;
  bind_result<V>(sub, "SummaryValues", "The per-draw values behind a summary table (trustmix::mmm::SummaryValues).", 1,
                 member("values", &V::values, "draws x quantities."), member("keys", &V::keys, "Per quantity: its key."),
                 member("index", &V::index, "Per quantity: its index within its key (int32)."));
  using ST = mm::SummaryTable;
  bind_result<ST>(sub, "SummaryTable",
                  "Mean, sd, interval, R-hat and bulk ESS of every summary quantity (trustmix::mmm::SummaryTable).", 1,
                  member("keys", &ST::keys, "Per quantity: its key."),
                  member("index", &ST::index, "Per quantity: its index within its key (int32)."),
                  member("mean", &ST::mean, "Posterior mean."), member("sd", &ST::sd, "Posterior sd."),
                  member("low", &ST::low, "Lower interval bound."), member("high", &ST::high, "Upper interval bound."),
                  member("r_hat", &ST::r_hat, "Rank-normalised split R-hat."),
                  member("ess_bulk", &ST::ess_bulk, "Bulk effective sample size."));
  using CS = mm::ColumnSummary;
  bind_result<CS>(sub, "ColumnSummary",
                  "Per column of a (draw, quantity) array: its mean and two quantiles (trustmix::mmm::ColumnSummary).", 1,
                  member("mean", &CS::mean, "Column means."), member("low", &CS::low, "Quantile at lo."),
                  member("high", &CS::high, "Quantile at hi."));
  using SP = mm::SaturationPoints;
  bind_result<SP>(sub, "SaturationPoints",
                  "Per draw (rows) and channel (columns), in activity units (trustmix::mmm::SaturationPoints).", 1,
                  member("half_saturation", &SP::half_saturation, "Adstocked activity where h = 1/2."),
                  member("saturation_90", &SP::saturation_90, "Adstocked activity where h = 0.9."),
                  member("mean_adstock", &SP::mean_adstock, "Mean adstocked activity over periods with activity."),
                  member("saturation_at_mean", &SP::saturation_at_mean, "h at mean_adstock (0..1)."));
  using CF = mm::Counterfactual;
  bind_result<CF>(sub, "Counterfactual",
                  "The outcome under other media and its exact path split per period (trustmix::mmm::Counterfactual),\n"
                  "outcome units.",
                  1, member("predicted", &CF::predicted, "T: the outcome with the model's media."),
                  member("counterfactual", &CF::counterfactual, "T: the outcome with the other media."),
                  member("difference", &CF::difference, "T: predicted - counterfactual."),
                  member("difference_trust_direct", &CF::difference_trust_direct, "T: its trust-direct part."),
                  member("difference_amplification", &CF::difference_amplification, "T: its amplification part."),
                  member("difference_own", &CF::difference_own, "T: its own-effect part."));
}

}  // namespace

void register_mmm(py::module_& m) {
  auto sub = m.def_submodule("mmm", "trustmix::mmm: the trust-linked response model.");
  bind_mmm_results(sub);
  py::class_<mm::TrustModel>(sub, "TrustModel",
                             "Log posterior, gradient, forward pass and MAP of the trust-linked model (MODEL.md).")
      .def(py::init([](const RowMatrix& media, std::vector<bool> trust, std::vector<bool> conversion,
                       const RowMatrix& baseline, const RowMatrix& shocks, const Eigen::VectorXd& y,
                       const Eigen::VectorXd& tracker, int max_lag, bool trust_enabled, const py::dict& priors,
                       const std::string& likelihood, double outcome_scale, const std::string& trust_form,
                       const Eigen::VectorXd& tracker_se, bool tracker_share, const std::string& link,
                       const std::string& noise) {
             mm::TrustModelData d;
             d.media = media;
             d.trust = std::move(trust);
             d.conversion = std::move(conversion);
             d.baseline = baseline;
             d.shocks = shocks;
             d.y = y;
             d.tracker = tracker;
             d.max_lag = max_lag;
             d.trust_enabled = trust_enabled;
             d.likelihood = likelihood_from_string(likelihood);
             d.outcome_scale = outcome_scale;
             d.trust_form = trust_form_from_string(trust_form);
             d.tracker_se = tracker_se;
             d.tracker_share = tracker_share;
             d.link = link_from_string(link);
             d.noise = noise_from_string(noise);
             return mm::TrustModel(std::move(d), priors_from_dict(priors));
           }),
           py::arg("media"), py::arg("trust"), py::arg("conversion"), py::arg("baseline"), py::arg("shocks"), py::arg("y"),
           py::arg("tracker"), py::arg("max_lag") = 12, py::arg("trust_enabled") = true, py::arg("priors") = py::dict(),
           py::arg("likelihood") = "normal", py::arg("outcome_scale") = 1.0, py::arg("trust_form") = "linear",
           py::arg("tracker_se") = Eigen::VectorXd(), py::arg("tracker_share") = false, py::arg("link") = "identity",
           py::arg("noise") = "iid")
      .def_property_readonly("dimension", &mm::TrustModel::dimension)
      .def_property_readonly("parameter_names", &mm::TrustModel::parameter_names)
      .def_property_readonly("constrained_names", &mm::TrustModel::constrained_names)
      .def_property_readonly("likelihood",
                             [](const mm::TrustModel& self) { return std::string(mm::to_string(self.data().likelihood)); })
      .def_property_readonly("trust_form",
                             [](const mm::TrustModel& self) { return std::string(mm::to_string(self.data().trust_form)); })
      .def_property_readonly("link", [](const mm::TrustModel& self) { return std::string(mm::to_string(self.data().link)); })
      .def_property_readonly("noise",
                             [](const mm::TrustModel& self) { return std::string(mm::to_string(self.data().noise)); })
      .def("initial_point", &mm::TrustModel::initial_point)
      .def_property_readonly(
          "rf_forms",
          [](const mm::TrustModel& self) {
            std::vector<std::string> out;
            for (int c = 0; c < static_cast<int>(self.data().media.cols()); ++c)
              out.emplace_back(mm::to_string(self.rf_form(c)));
            return out;
          },
          "Per channel: 'none', or the reach-and-frequency form ('hill', 'exposure').")
      .def_property_readonly("priors", [](const mm::TrustModel& self) { return priors_to_dict(self.priors()); })
      .def(
          "log_density",
          [](const mm::TrustModel& self, const Eigen::VectorXd& z) {
            Eigen::VectorXd g(self.dimension());
            double lp = 0.0;
            {
              py::gil_scoped_release release;
              thread_local mm::TrustModelWorkspace workspace;  // one per thread: several threads may evaluate one model
              lp = self.log_density(z, g, workspace);
            }
            return py::make_tuple(lp, g);
          },
          py::arg("z"), "(log posterior up to a constant, gradient) at unconstrained z.")
      .def(
          "constrain", [](const mm::TrustModel& self, const Eigen::VectorXd& z) { return self.constrain(z); }, py::arg("z"),
          "The constrained parameters at unconstrained z (TrustModelParameters).")
      .def(
          "forward",
          [](const mm::TrustModel& self, const Eigen::VectorXd& z, const std::optional<RowMatrix>& media,
             const std::optional<RowMatrix>& baseline, const std::optional<RowMatrix>& shocks) {
            if (!media) return self.forward(z);
            const mm::Matrix med = *media;
            const mm::Matrix base = baseline ? mm::Matrix(*baseline) : self.data().baseline;
            const mm::Matrix sh = shocks ? mm::Matrix(*shocks) : mm::Matrix(med.rows(), 0);
            mm::TrustModelForward f;
            {
              py::gil_scoped_release release;
              f = self.forward_on(z, med, base, sh);
            }
            return f;
          },
          py::arg("z"), py::arg("media") = py::none(), py::arg("baseline") = py::none(), py::arg("shocks") = py::none(),
          "The forward pass at z (TrustModelForward); with media (T' x C, scaled) on those, with baseline (default:\n"
          "the model's) and shocks (default: none).")
      .def(
          "fit_map",
          [](const mm::TrustModel& self, const Eigen::VectorXd& z0, int max_iterations, double tolerance) {
            mm::MapResult r;
            {
              py::gil_scoped_release release;
              r = mm::fit_map(self, z0, max_iterations, tolerance);
            }
            return map_report(std::move(r));
          },
          py::arg("z0"), py::arg("max_iterations") = 2000, py::arg("tolerance") = 1e-7,
          "trustmix::mmm::fit_map from z0: the mode and the optimiser's report (MapReport).");
  register_mmm_analyses(sub);
  sub.def(
      "predicted_lifts",
      [](const mm::TrustModel& model, const RowMatrix& draws, double outcome_scale, int threads) {
        const mm::Matrix z = draws;
        mm::Matrix out;
        std::atomic<bool> stop{false};
        run_interruptible(stop, [&] { out = mm::predicted_lift_draws(model, z, outcome_scale, threads, &stop); }, [] {});
        return out;
      },
      py::arg("model"), py::arg("draws"), py::arg("outcome_scale") = 1.0, py::arg("threads") = 0,
      "trustmix::mmm::predicted_lift_draws: the model's predicted lift of every lift-test value (columns, tests in\n"
      "order; a per-period test gives one column per measured period) per draw (rows), x outcome_scale; draws in\n"
      "parallel on `threads` threads (0: all; bit-identical for every count), interruptible by Ctrl-C.");
  // The model's NUTS/MAP target, registered here (the inference binding knows no model):
  // the class lives in trustmix._core.mmm, its sample/map/laplace_covariance overloads join
  // those of trustmix._core.inference (registered before this module, see module.cpp).
  auto inference = m.attr("inference").cast<py::module_>();
  py::class_<mm::TrustTarget> trust_target(
      sub, "TrustTarget",
      "The trust-linked model (TrustModel) as a trustmix.inference target; draws are reported on the\n"
      "unconstrained scale (names as in TrustModel.parameter_names). Thread-safe: one workspace per thread.");
  trust_target.def(py::init<const mm::TrustModel&>(), py::arg("model"));
  targets::bind_target(inference, trust_target);
  inference.attr("TrustTarget") = trust_target;  // the name trustmix.inference has always offered
  sub.def(
      "tracker_reads_as_share", [](const Eigen::VectorXd& tracker) { return mm::tracker_reads_as_share(tracker); },
      py::arg("tracker"),
      "Whether a tracker reads as a survey share of trusting people: at least two measured (non-NaN)\n"
      "values, every one in [0, 1]. TrustMMM's default trust form follows it (docs/mmm.md).");
  sub.def(
      "default_trust_form",
      [](const Eigen::VectorXd& tracker, bool has_tracker_n, bool trust, std::optional<bool> tracker_share) {
        const auto c = mm::default_trust_form(tracker, has_tracker_n, trust, tracker_share);
        return py::make_tuple(std::string(mm::to_string(c.form)), c.tracker_share);
      },
      py::arg("tracker"), py::arg("has_tracker_n"), py::arg("trust"), py::arg("tracker_share") = py::none(),
      "(trust_form, tracker_share) that TrustMMM uses when trust_form is not given: the survey share\n"
      "('bounded', True) for a tracker (non-empty) with trust on and tracker_share not False that is\n"
      "given as a share (tracker_share=True), has panel sizes or reads as a share; else ('linear',\n"
      "tracker_share or False). Core: trustmix::mmm::default_trust_form (spec.hpp).");
  sub.def("build", &build_model, py::arg("channels"), py::arg("roles"), py::arg("media"), py::arg("spend"),
          py::arg("outcome"), py::arg("period_days") = 7.0, py::arg("tracker"), py::arg("controls"),
          py::arg("control_names"), py::arg("events"), py::arg("event_names"), py::arg("shocks"), py::arg("shock_names"),
          py::arg("seasonality") = 2, py::arg("trend") = true, py::arg("max_lag") = 12, py::arg("trust_enabled") = true,
          py::arg("scaling") = "mean", py::arg("likelihood") = "normal", py::arg("value_per_outcome") = std::nan(""),
          py::arg("priors") = py::dict(), py::arg("trust_half_life") = py::none(),
          py::arg("roi") = std::vector<std::tuple<std::string, double, double>>{}, py::arg("trust_form") = "linear",
          py::arg("tracker_n") = Eigen::VectorXd(), py::arg("rf") = std::vector<std::string>{},
          py::arg("frequency") = RowMatrix(), py::arg("rf_shape") = 1.0, py::arg("lift_tests") = py::list(),
          py::arg("tracker_share") = false, py::arg("link") = "identity", py::arg("noise") = "iid",
          py::arg("market_growth") = py::none(),
          "trustmix::mmm::build: the model of a spec in raw units (scaling, baseline design, business-term priors);\n"
          "returns (TrustModel, BuiltScales: scales, names and the scaled data).");
}

}  // namespace trustmix::bindings
