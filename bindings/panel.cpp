// Bindings of the geo panel trust-linked model (trustmix::mmm, panel_model.hpp): the spec
// in raw units -> the model, its log density, forward pass and counterfactual increments
// over posterior draws, and its NUTS/MAP target. Thin: the GIL released for C++ work.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <trustmix/mmm/panel_fit.hpp>
#include <trustmix/mmm/panel_model.hpp>

#include "bind_target.hpp"
#include "helpers/result.hpp"
#include "map_report.hpp"
#include "register.hpp"

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace py = pybind11;
namespace mm = trustmix::mmm;

namespace trustmix::bindings {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The panel model as a target whose draws are reported unconstrained (the Python layer
/// maps them with PanelModel.constrain), as TrustTarget does for the national model.
class PanelUnconstrainedTarget {
 public:
  explicit PanelUnconstrainedTarget(const mm::PanelTrustModel& m) : target_(m) {}
  [[nodiscard]] Eigen::Index dimension() const { return target_.dimension(); }
  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> z, Eigen::Ref<Eigen::VectorXd> g) const {
    return target_.log_density_gradient(z, g);
  }
  [[nodiscard]] std::vector<std::string> parameter_names() const { return target_.model().parameter_names(); }
  [[nodiscard]] const mm::PanelTrustModel& model() const { return target_.model(); }

 private:
  mm::PanelTarget target_;
};

mm::Pooling pooling_from_string(const std::string& s, const std::string& what) {
  for (auto p : {mm::Pooling::none, mm::Pooling::partial, mm::Pooling::complete})
    if (s == mm::to_string(p)) return p;
  throw std::invalid_argument("pooling of " + what + " must be 'none', 'partial' or 'complete', got '" + s + "'");
}

mm::Role role_from_string(const std::string& s) {
  if (s == "trust") return mm::Role::trust;
  if (s == "conversion") return mm::Role::conversion;
  if (s == "both") return mm::Role::both;
  throw std::invalid_argument("role must be 'trust', 'conversion' or 'both', got '" + s + "'");
}

mm::TrustLevel trust_level_from_string(const std::string& s) {
  for (auto l : {mm::TrustLevel::off, mm::TrustLevel::national, mm::TrustLevel::geo, mm::TrustLevel::national_geo})
    if (s == mm::to_string(l)) return l;
  throw std::invalid_argument("trust must be 'national', 'geo', 'national+geo' or 'off', got '" + s + "'");
}

mm::PanelModelPriors panel_priors(const py::dict& d) {
  mm::PanelModelPriors p;
  mm::TrustModelPriors& b = p.base;
  const std::map<std::string, double*> fields = {{"alpha_a", &b.alpha_a},
                                                 {"alpha_b", &b.alpha_b},
                                                 {"lam_shape", &b.lam_shape},
                                                 {"lam_rate", &b.lam_rate},
                                                 {"half_life_median", &b.half_life_median},
                                                 {"half_life_sd_log", &b.half_life_sd_log},
                                                 {"g0_mean", &b.g0_mean},
                                                 {"g0_sd", &b.g0_sd},
                                                 {"gamma_sd", &b.gamma_sd},
                                                 {"theta_sd", &b.theta_sd},
                                                 {"beta_sd", &b.beta_sd},
                                                 {"baseline_sd", &b.baseline_sd},
                                                 {"sigma_sd", &b.sigma_sd},
                                                 {"tracker_a_sd", &b.tracker_a_sd},
                                                 {"tracker_b_sd", &b.tracker_b_sd},
                                                 {"tracker_sigma_sd", &b.tracker_sigma_sd},
                                                 {"ar1_sd", &b.ar1_sd},
                                                 {"tracker_bias_sd", &b.tracker_bias_sd},
                                                 {"omega_sd", &b.omega_sd},
                                                 {"tracker_share_sigma_sd", &b.tracker_share_sigma_sd},
                                                 {"trust_base_logit_mean", &b.trust_base_logit_mean},
                                                 {"trust_base_logit_sd", &b.trust_base_logit_sd},
                                                 {"g0_logit_sd", &b.g0_logit_sd},
                                                 {"inflow_sd", &b.inflow_sd},
                                                 {"effect_pool_sd", &p.effect_pool_sd},
                                                 {"baseline_pool_sd", &p.baseline_pool_sd},
                                                 {"adstock_pool_sd", &p.adstock_pool_sd},
                                                 {"saturation_pool_sd", &p.saturation_pool_sd},
                                                 {"half_life_pool_sd", &p.half_life_pool_sd},
                                                 {"amplification_pool_sd", &p.amplification_pool_sd},
                                                 {"stock_deviation_sd", &p.stock_deviation_sd},
                                                 {"hill_ec_log_median", &p.hill_ec_log_median},
                                                 {"hill_ec_sd_log", &p.hill_ec_sd_log},
                                                 {"hill_ec_mean", &p.hill_ec_mean},
                                                 {"hill_ec_sd", &p.hill_ec_sd},
                                                 {"period_effect_sd", &p.period_effect_sd}};
  for (auto item : d) {
    const auto key = item.first.cast<std::string>();
    const auto f = fields.find(key);
    if (f == fields.end()) {
      std::string known;
      for (const auto& [k, v] : fields) known += (known.empty() ? "" : ", ") + k;
      throw std::invalid_argument("unknown panel prior '" + key + "'; known: " + known);
    }
    *f->second = item.second.cast<double>();
  }
  return p;
}

py::tuple build(std::vector<std::string> geos, std::vector<std::string> channels, const std::vector<std::string>& roles,
                std::vector<bool> national, const std::vector<RowMatrix>& media, const std::vector<RowMatrix>& share,
                const RowMatrix& population, const RowMatrix& outcome, const std::vector<RowMatrix>& controls,
                std::vector<std::string> control_names, double period_days, int seasonality, bool trend, int max_lag,
                const std::string& trust, const RowMatrix& tracker, const std::map<std::string, std::string>& pooling,
                const std::vector<std::string>& channel_pooling, const py::dict& priors, int threads,
                const RowMatrix& tracker_n, const std::string& noise,
                const std::optional<std::pair<double, double>>& market_growth,
                const std::vector<std::tuple<std::string, double, double>>& roi, const Eigen::VectorXd& spend_total,
                double value_per_outcome, const std::vector<std::string>& saturation, const Eigen::VectorXd& hill_slope,
                const std::vector<std::string>& control_pooling, const Eigen::VectorXd& share_sd, bool period_effects,
                const std::string& trust_form, bool tracker_share, const RowMatrix& shocks,
                const std::vector<py::dict>& lift_tests) {
  mm::PanelModelSpec s;
  s.geos = std::move(geos);
  s.channels = std::move(channels);
  for (const auto& r : roles) s.roles.push_back(role_from_string(r));
  s.national = std::move(national);
  for (const auto& m : media) s.media.emplace_back(m);
  for (const auto& m : share) s.share.emplace_back(m);
  s.population = population;
  s.outcome = outcome;
  for (const auto& m : controls) s.controls.emplace_back(m);
  s.control_names = std::move(control_names);
  s.period_days = period_days;
  s.seasonality = seasonality;
  s.trend = trend;
  s.max_lag = max_lag;
  s.trust = trust_level_from_string(trust);
  s.tracker = tracker;
  s.tracker_n = tracker_n;
  if (market_growth) {
    s.market_growth_low = market_growth->first;
    s.market_growth_high = market_growth->second;
  }
  if (noise == "ar1") s.noise = mm::Noise::ar1;
  else if (noise != "iid") throw std::invalid_argument("noise must be 'iid' or 'ar1', got '" + noise + "'");
  for (const auto& [k, v] : pooling) {
    // "partial_centred": partial pooling, the centred hierarchy (baseline groups only)
    const bool centred = v == "partial_centred";
    if (centred && k != "intercept" && k != "trend" && k != "seasonality" && k != "controls" && k != "effects")
      throw std::invalid_argument("pooling of " + k +
                                  ": 'partial_centred' applies to the baseline groups (intercept, trend, seasonality, "
                                  "controls), effects, controls and channels");
    if (centred) s.centred.push_back(k);
    const mm::Pooling p = centred ? mm::Pooling::partial : pooling_from_string(v, k);
    if (k == "intercept") s.intercept_pooling = p;
    else if (k == "trend") s.trend_pooling = p;
    else if (k == "seasonality") s.seasonality_pooling = p;
    else if (k == "controls") s.control_pooling = p;
    else if (k == "effects") s.effect_pooling = p;
    else if (k == "adstock") s.adstock_pooling = p;
    else if (k == "saturation") s.saturation_pooling = p;
    else if (k == "trust_half_life") s.half_life_pooling = p;
    else if (k == "amplification") s.amplification_pooling = p;
    else
      throw std::invalid_argument("pooling: unknown group '" + k +
                                  "' (intercept, trend, seasonality, controls, effects, adstock, saturation, "
                                  "trust_half_life, amplification)");
  }
  for (std::size_t c = 0; c < channel_pooling.size(); ++c) {
    const bool centred = channel_pooling[c] == "partial_centred";
    if (centred && c < s.channels.size()) s.centred.push_back(s.channels[c]);
    s.channel_pooling.push_back(centred ? mm::Pooling::partial
                                        : pooling_from_string(channel_pooling[c], "channel " + std::to_string(c)));
  }
  for (std::size_t j = 0; j < control_pooling.size(); ++j) {
    const bool centred = control_pooling[j] == "partial_centred";
    if (centred && j < s.control_names.size()) s.centred.push_back(s.control_names[j]);
    s.per_control_pooling.push_back(centred ? mm::Pooling::partial
                                            : pooling_from_string(control_pooling[j], "control " + std::to_string(j)));
  }
  s.priors = panel_priors(priors);
  for (const auto& [c, lo, hi] : roi) s.roi_priors.push_back({c, lo, hi});
  s.spend_total = spend_total;
  s.value_per_outcome = value_per_outcome;
  for (std::size_t c = 0; c < saturation.size(); ++c) {
    if (saturation[c] == "hill") s.saturation.push_back(mm::SaturationForm::hill);
    else if (saturation[c] == "logistic") s.saturation.push_back(mm::SaturationForm::logistic);
    else
      throw std::invalid_argument("saturation of channel " + std::to_string(c) + " must be 'logistic' or 'hill', got '" +
                                  saturation[c] + "'");
  }
  s.hill_slope = hill_slope;
  s.share_sd = share_sd;
  s.period_effects = period_effects;
  if (trust_form == "bounded") s.trust_form = mm::TrustForm::bounded;
  else if (trust_form != "linear")
    throw std::invalid_argument("trust_form must be 'linear' or 'bounded', got '" + trust_form + "'");
  s.tracker_share = tracker_share;
  s.shocks = shocks;
  for (std::size_t k = 0; k < lift_tests.size(); ++k) {
    const py::dict& d = lift_tests[k];
    mm::PanelLiftTestSpec t;
    for (auto item : d) {
      const auto key = item.first.cast<std::string>();
      if (key == "channel") t.channel = item.second.cast<std::string>();
      else if (key == "geos") t.geos = item.second.cast<std::vector<std::string>>();
      else if (key == "start") t.start = item.second.cast<int>();
      else if (key == "end") t.end = item.second.cast<int>();
      else if (key == "measured_end") t.measured_end = item.second.cast<int>();
      else if (key == "lift") t.lift = item.second.cast<double>();
      else if (key == "standard_error") t.standard_error = item.second.cast<double>();
      else if (key == "transfer_sd") t.transfer_sd = item.second.cast<double>();
      else if (key == "transfer_fraction") t.transfer_fraction = item.second.cast<double>();
      else if (key == "counterfactual") t.counterfactual = item.second.cast<RowMatrix>();
      else if (key == "period_lift") t.period_lift = item.second.cast<Eigen::VectorXd>();
      else if (key == "period_standard_error") t.period_standard_error = item.second.cast<Eigen::VectorXd>();
      else
        throw std::invalid_argument("lift_tests[" + std::to_string(k) + "]: unknown key '" + key +
                                    "' (channel, geos, start, end, measured_end, lift, standard_error, transfer_sd, "
                                    "transfer_fraction, counterfactual, period_lift, period_standard_error)");
    }
    s.lift_tests.push_back(std::move(t));
  }
  s.threads = threads;
  mm::BuiltPanelModel b = [&] {
    py::gil_scoped_release release;
    return mm::build_panel(std::move(s));
  }();
  return py::make_tuple(std::move(b.model), std::move(b.scales));
}

/// The result classes of the panel model (helpers::bind_result: read-only typed attributes,
/// __repr__, versioned pickle); registered before the functions that return them.
void bind_panel_results(py::module_& sub) {
  using helpers::bind_result, helpers::member;
  using F = mm::PanelForward;
  bind_result<F>(sub, "PanelForward",
                 "Every intermediate of one panel forward pass (trustmix::mmm::PanelForward), per-capita scaled\n"
                 "units: T x G arrays, lists of them per channel.",
                 1, member("saturated", &F::saturated, "Per channel (C): T x G saturated adstock h."),
                 member("stock", &F::stock, "T x G: the trust stock S_g[t]."),
                 member("base", &F::base, "T x G: the baseline part of mu."),
                 member("trust_direct", &F::trust_direct, "T x G: the stock's direct effect."),
                 member("mu", &F::mu, "T x G: the mean outcome."),
                 member("conversion_own", &F::conversion_own, "Per conversion channel (S): T x G beta h."),
                 member("amplification", &F::amplification, "Per conversion channel (S): T x G beta theta S h."));
  using S = mm::PanelScales;
  bind_result<S>(sub, "PanelScales",
                 "What build_panel derived from the spec (trustmix::mmm::PanelScales): scales and the apportioned\n"
                 "raw activity; T periods, G geos, C channels.",
                 1, member("media_scale", &S::media_scale, "C: mean non-zero per-capita activity."),
                 member("y_scale", &S::y_scale, "Mean absolute per-capita outcome."),
                 member("population", &S::population, "T x G (ones without per-capita scaling)."),
                 member("activity", &S::activity, "Per channel (C): T x G raw activity per geo (national apportioned)."),
                 member("baseline_names", &S::baseline_names, "Baseline columns."),
                 member("control_mean", &S::control_mean, "Per control: its mean."),
                 member("control_sd", &S::control_sd, "Per control: its sd."),
                 member("tracker_mean", &S::tracker_mean, "Mean of the raw tracker."),
                 member("tracker_sd", &S::tracker_sd, "Sd of the raw tracker."));
}

}  // namespace

void register_panel(py::module_& m) {
  auto sub = m.attr("mmm").cast<py::module_>();
  bind_panel_results(sub);
  py::class_<mm::PanelTrustModel>(sub, "PanelModel",
                                  "trustmix::mmm::PanelTrustModel: the geo panel trust-linked model (panel_model.hpp).")
      .def_property_readonly("dimension", &mm::PanelTrustModel::dimension, "Number of unconstrained parameters.")
      .def_property_readonly("parameter_names", &mm::PanelTrustModel::parameter_names, "Unconstrained parameter names.")
      .def_property_readonly("constrained_names", &mm::PanelTrustModel::constrained_names,
                             "Constrained parameter names (order of constrain()).")
      .def_property_readonly("geos", &mm::PanelTrustModel::geos)
      .def_property_readonly("periods", &mm::PanelTrustModel::periods)
      .def_property_readonly("conversion_channels", &mm::PanelTrustModel::conversion_channels)
      .def_property_readonly("trust_channels", &mm::PanelTrustModel::trust_channels)
      .def_property_readonly("share_channels", &mm::PanelTrustModel::share_channels,
                             "Channels whose apportioning share is uncertain (share_sd > 0), in channel order.")
      .def_property_readonly("roi_prior_count", &mm::PanelTrustModel::roi_prior_count,
                             "Conversion channels whose effect has a ROI prior (free coordinate log_roi[c]).")
      .def_property_readonly(
          "saturation_forms",
          [](const mm::PanelTrustModel& self) {
            std::vector<std::string> out;
            for (int c = 0; c < self.channels(); ++c) out.emplace_back(mm::to_string(self.saturation_form(c)));
            return out;
          },
          "Per channel: 'logistic' (parameter lam) or 'hill' (parameter ec).")
      .def("initial_point", &mm::PanelTrustModel::initial_point, "A starting point (unconstrained).")
      .def(
          "predicted_lift_draws",
          [](const mm::PanelTrustModel& self, const RowMatrix& draws) {
            if (draws.cols() != self.dimension())
              throw std::invalid_argument("draws need " + std::to_string(self.dimension()) + " columns, got " +
                                          std::to_string(draws.cols()));
            const auto K = static_cast<Eigen::Index>(self.data().lift_tests.size());
            RowMatrix out(draws.rows(), K);
            {
              py::gil_scoped_release release;
              for (Eigen::Index i = 0; i < draws.rows(); ++i) out.row(i) = self.predicted_lift(draws.row(i).transpose());
            }
            return out;
          },
          py::arg("draws"),
          "The model's predicted lift of each lift test (columns) at each draw (rows, unconstrained), in the\n"
          "tests' model units (outcome / y_scale): the difference of two forward passes over the measured periods.")
      .def_property_readonly("lift_test_count",
                             [](const mm::PanelTrustModel& self) { return self.data().lift_tests.size(); })
      .def_property_readonly("bounded", &mm::PanelTrustModel::bounded,
                             "True for the bounded trust form (the national stock a share in [0, 1]).")
      .def_property_readonly("tracker_share", &mm::PanelTrustModel::tracker_share,
                             "True when the tracker (national or per geo) measures the bounded stock's share itself.")
      .def(
          "fit_map",
          [](const mm::PanelTrustModel& self, int max_iterations, double tolerance) {
            mm::MapResult r;
            {
              py::gil_scoped_release release;
              r = mm::fit_panel_map(self, max_iterations, tolerance);
            }
            return map_report(std::move(r));
          },
          py::arg("max_iterations") = 3000, py::arg("tolerance") = 1e-7,
          "trustmix::mmm::fit_panel_map: the posterior mode from initial_point() (with centred hierarchies the\n"
          "non-centred twin's mode mapped by centred_point()) and the optimiser's report (MapReport).")
      .def(
          "nuts_starts",
          [](const mm::PanelTrustModel& self, const Eigen::VectorXd& mode, int chains, std::uint64_t seed, double jitter) {
            py::gil_scoped_release release;
            return mm::panel_nuts_starts(self, mode, chains, seed, jitter);
          },
          py::arg("mode"), py::arg("chains"), py::arg("seed"), py::arg("jitter") = 0.1,
          "trustmix::mmm::panel_nuts_starts: chains x dimension starting points, mode + N(0, jitter^2) per\n"
          "coordinate (seeded), each step halved toward the mode until the log density is finite.")
      .def_property_readonly("has_centred", &mm::PanelTrustModel::has_centred,
                             "Whether a baseline block uses the centred hierarchy ('partial_centred').")
      .def(
          "noncentred", [](const mm::PanelTrustModel& self) { return self.noncentred(); },
          "The same model with every hierarchy non-centred (modes are found on it: a centred hierarchy's joint\n"
          "mode is degenerate at tau = 0).")
      .def(
          "centred_point",
          [](const mm::PanelTrustModel& self, const Eigen::VectorXd& z) { return Eigen::VectorXd(self.centred_point(z)); },
          py::arg("z"), "This model's point at the constrained parameters of noncentred()'s point z.")
      .def(
          "log_density",
          [](const mm::PanelTrustModel& self, const Eigen::VectorXd& z) {
            Eigen::VectorXd g(self.dimension());
            mm::PanelWorkspace ws;
            const double lp = self.log_density(z, g, ws);
            return py::make_tuple(lp, g);
          },
          py::arg("z"), "(log density, gradient) at unconstrained z.")
      .def(
          "constrain_draws",
          [](const mm::PanelTrustModel& self, const RowMatrix& z) {
            RowMatrix out(z.rows(), self.constrained_dimension());
            py::gil_scoped_release release;
            Eigen::VectorXd row(self.constrained_dimension());
            for (Eigen::Index i = 0; i < z.rows(); ++i) {
              self.constrain(z.row(i).transpose(), row);
              out.row(i) = row.transpose();
            }
            return out;
          },
          py::arg("draws"), "Constrained parameters (rows) of unconstrained draws (rows).")
      .def(
          "forward",
          [](const mm::PanelTrustModel& self, const Eigen::VectorXd& z,
             const std::optional<std::vector<Eigen::MatrixXd>>& media) {
            if (!media) return self.forward(z);
            // other media (C matrices T' x G, per-capita scaled) with a zero baseline: mu is
            // the media and trust part plus the period effects, if any, in the data's periods
            const auto Tn = media->empty() ? Eigen::Index{0} : media->front().rows();
            const std::vector<Eigen::MatrixXd> base(static_cast<std::size_t>(self.geos()),
                                                    Eigen::MatrixXd::Zero(Tn, self.data().baseline[0].cols()));
            return self.forward(z, &*media, &base);
          },
          py::arg("z"), py::arg("media") = py::none(),
          "The forward pass with the decomposition (T x G arrays; lists per channel); with media (C arrays\n"
          "T' x G, per-capita scaled) the model run on those with a zero baseline (mu: media and trust, plus the\n"
          "period effects tau[t] in the data's periods t < T when the model has them; base holds tau).")
      .def(
          "forward_mean",
          [](const mm::PanelTrustModel& self, const RowMatrix& z) {
            // means over draws of each decomposition part, per period and geo
            const int T = self.periods(), G = self.geos();
            const auto S = self.conversion_channels().size();
            Eigen::MatrixXd base = Eigen::MatrixXd::Zero(T, G), direct = base, mu = base, stock = base;
            std::vector<Eigen::MatrixXd> own(S, base), amp(S, base);
            {
              py::gil_scoped_release release;
              for (Eigen::Index i = 0; i < z.rows(); ++i) {
                const mm::PanelForward f = self.forward(z.row(i).transpose());
                base += f.base;
                direct += f.trust_direct;
                mu += f.mu;
                stock += f.stock;
                for (std::size_t j = 0; j < S; ++j) {
                  own[j] += f.conversion_own[j];
                  amp[j] += f.amplification[j];
                }
              }
            }
            const double n = static_cast<double>(std::max<Eigen::Index>(z.rows(), 1));
            mm::PanelForward f;
            f.base = base / n;
            f.trust_direct = direct / n;
            f.mu = mu / n;
            f.stock = stock / n;
            for (std::size_t j = 0; j < S; ++j) {
              f.conversion_own.push_back(own[j] / n);
              f.amplification.push_back(amp[j] / n);
            }
            return f;
          },
          py::arg("draws"), "Posterior means of the forward pass's parts over draws (rows, unconstrained).");
  sub.def(
      "build_panel", &build, py::arg("geos"), py::arg("channels"), py::arg("roles"), py::arg("national"), py::arg("media"),
      py::arg("share"), py::arg("population"), py::arg("outcome"), py::arg("controls"), py::arg("control_names"),
      py::arg("period_days") = 7.0, py::arg("seasonality") = 2, py::arg("trend") = true, py::arg("max_lag") = 12,
      py::arg("trust") = "national", py::arg("tracker") = RowMatrix(),
      py::arg("pooling") = std::map<std::string, std::string>{}, py::arg("channel_pooling") = std::vector<std::string>{},
      py::arg("priors") = py::dict(), py::arg("threads") = 1, py::arg("tracker_n") = RowMatrix(), py::arg("noise") = "iid",
      py::arg("market_growth") = py::none(), py::arg("roi") = std::vector<std::tuple<std::string, double, double>>{},
      py::arg("spend_total") = Eigen::VectorXd(), py::arg("value_per_outcome") = std::numeric_limits<double>::quiet_NaN(),
      py::arg("saturation") = std::vector<std::string>{}, py::arg("hill_slope") = Eigen::VectorXd(),
      py::arg("control_pooling") = std::vector<std::string>{}, py::arg("share_sd") = Eigen::VectorXd(),
      py::arg("period_effects") = false, py::arg("trust_form") = "linear", py::arg("tracker_share") = false,
      py::arg("shocks") = RowMatrix(), py::arg("lift_tests") = std::vector<py::dict>{},
      "trustmix::mmm::build_panel: the panel model of a spec in raw units; returns (PanelModel, PanelScales).\n"
      "roi: (channel, low, high) ROI priors (90% range of (value - spend) / spend over the data), with\n"
      "spend_total (each channel's spend over all geos and periods) and value_per_outcome.\n"
      "saturation: per channel 'logistic' (tanh(lam a / 2)) or 'hill' (a^s / (a^s + ec^s), s the channel's\n"
      "hill_slope >= 1, default 1), or empty: logistic for all.\n"
      "control_pooling: per control 'none', 'partial', 'partial_centred' or 'complete' (overrides\n"
      "pooling['controls']), or empty. 'partial_centred' (baseline groups, effects, controls, channels):\n"
      "partial pooling with the centred hierarchy.\n"
      "share_sd: per channel the sd of ln (true share / given share) of a national channel's apportioning\n"
      "(0: known; geo channels 0), or empty: every share known. Each such channel gets a share multiplier\n"
      "per geo, conserving the national activity.\n"
      "period_effects: one effect per period shared by the geos (tau[0] = 0), prior Normal(0, period_effect_sd).\n"
      "trust_form: 'linear' (an index) or 'bounded' (the national stock a share of people in [0, 1]; trust\n"
      "'national' or 'national+geo'). tracker_share: the tracker (national or per geo) is that share (bounded only;\n"
      "fitted unscaled, values in [0, 1]).\n"
      "shocks: T x E crisis intensities (>= 0) that damage every trust stock (omega_e per crisis), or empty.\n"
      "lift_tests: dicts with channel, geos (names), start, end (the window [start, end) in periods),\n"
      "measured_end (default end), lift and standard_error (outcome units, summed over the geos and\n"
      "measured periods), transfer_sd or transfer_fraction (default 0.1 x |lift|), counterfactual (window\n"
      "periods x treated geos raw activity; default 0: the activity removed), period_lift and\n"
      "period_standard_error (week by week: one value per measured period, each its own term).");
  auto inference = m.attr("inference").cast<py::module_>();
  py::class_<PanelUnconstrainedTarget> target(
      sub, "PanelTarget",
      "The panel model as a trustmix.inference target; draws reported unconstrained (PanelModel.constrain_draws).");
  target.def(py::init<const mm::PanelTrustModel&>(), py::arg("model"));
  targets::bind_target(inference, target);
}

}  // namespace trustmix::bindings
