// Bindings of the trust-linked model (trustmix::mmm). Arrays in (row-major from numpy are
// copied once into the model's column-major store), the GIL released for the C++ work.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <trustmix/mmm/fit.hpp>
#include <trustmix/mmm/trust_model.hpp>

#include "register.hpp"

namespace py = pybind11;
namespace mm = trustmix::mmm;

namespace trustmix::bindings {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

mm::Likelihood likelihood_from_string(const std::string& s) {
  for (auto l : {mm::Likelihood::normal, mm::Likelihood::lognormal, mm::Likelihood::negative_binomial})
    if (s == mm::to_string(l)) return l;
  throw std::invalid_argument("likelihood must be 'normal', 'lognormal' or 'negative_binomial', got '" + s + "'");
}

mm::TrustModelPriors priors_from_dict(const py::dict& d) {
  mm::TrustModelPriors p;
  const std::map<std::string, double*> fields = {
      {"alpha_a", &p.alpha_a},           {"alpha_b", &p.alpha_b},
      {"lam_shape", &p.lam_shape},       {"lam_rate", &p.lam_rate},
      {"half_life_median", &p.half_life_median}, {"half_life_sd_log", &p.half_life_sd_log},
      {"g0_mean", &p.g0_mean},           {"g0_sd", &p.g0_sd},
      {"omega_sd", &p.omega_sd},         {"gamma_sd", &p.gamma_sd},
      {"theta_sd", &p.theta_sd},         {"beta_sd", &p.beta_sd},
      {"baseline_sd", &p.baseline_sd},   {"sigma_sd", &p.sigma_sd},
      {"tracker_a_sd", &p.tracker_a_sd}, {"tracker_b_sd", &p.tracker_b_sd},
      {"tracker_sigma_sd", &p.tracker_sigma_sd}, {"phi_sd", &p.phi_sd}};
  const std::map<std::string, Eigen::VectorXd*> vectors = {
      {"roi_log_median", &p.roi_log_median}, {"roi_sd_log", &p.roi_sd_log}, {"roi_scale", &p.roi_scale}};
  for (auto item : d) {
    const auto key = item.first.cast<std::string>();
    if (const auto v = vectors.find(key); v != vectors.end()) {
      *v->second = item.second.cast<Eigen::VectorXd>();  // checked by the model
      continue;
    }
    const auto it = fields.find(key);
    if (it == fields.end()) throw std::invalid_argument("unknown prior setting '" + key + "'");
    const double v = item.second.cast<double>();
    if (!std::isfinite(v) || v <= 0.0)
      if (key != "g0_mean") throw std::invalid_argument("prior setting " + key + " must be a finite number > 0, got " + std::to_string(v));
    *it->second = v;
  }
  return p;
}

py::dict params_to_dict(const mm::TrustModelParameters& p) {
  py::dict d;
  d["alpha"] = p.alpha;
  d["lam"] = p.lam;
  d["kappa"] = p.kappa;
  d["omega"] = p.omega;
  d["beta"] = p.beta;
  d["b"] = p.b;
  d["delta"] = p.delta;
  d["g0"] = p.g0;
  d["gamma"] = p.gamma;
  d["theta"] = p.theta;
  d["sigma"] = p.sigma;
  d["tracker_a"] = p.tracker_a;
  d["tracker_b"] = p.tracker_b;
  d["tracker_sigma"] = p.tracker_sigma;
  return d;
}

py::dict forward_to_dict(const mm::TrustModelForward& f) {
  py::dict d;
  d["adstock"] = f.adstock;
  d["saturated"] = f.saturated;
  d["inflow"] = f.inflow;
  d["trust_stock"] = f.trust_stock;
  d["trust_by_channel"] = f.trust_by_channel;
  d["trust_from_shocks"] = f.trust_from_shocks;
  d["trust_from_initial"] = f.trust_from_initial;
  d["base"] = f.base;
  d["trust_direct"] = f.trust_direct;
  d["conversion_own"] = f.conversion_own;
  d["amplification"] = f.amplification;
  d["mu"] = f.mu;
  return d;
}

}  // namespace

void register_mmm(py::module_& m) {
  auto sub = m.def_submodule("mmm", "trustmix::mmm: the trust-linked response model.");
  py::class_<mm::TrustModel>(sub, "TrustModel",
                             "Log posterior, gradient, forward pass and MAP of the trust-linked model (MODEL.md).")
      .def(py::init([](const RowMatrix& media, std::vector<bool> trust, std::vector<bool> conversion,
                       const RowMatrix& baseline, const RowMatrix& shocks, const Eigen::VectorXd& y,
                       const Eigen::VectorXd& tracker, int max_lag, bool trust_enabled, const py::dict& priors,
                       const std::string& likelihood, double outcome_scale) {
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
             return mm::TrustModel(std::move(d), priors_from_dict(priors));
           }),
           py::arg("media"), py::arg("trust"), py::arg("conversion"), py::arg("baseline"), py::arg("shocks"),
           py::arg("y"), py::arg("tracker"), py::arg("max_lag") = 12, py::arg("trust_enabled") = true,
           py::arg("priors") = py::dict(), py::arg("likelihood") = "normal", py::arg("outcome_scale") = 1.0)
      .def_property_readonly("dimension", &mm::TrustModel::dimension)
      .def_property_readonly("parameter_names", &mm::TrustModel::parameter_names)
      .def_property_readonly("constrained_names", &mm::TrustModel::constrained_names)
      .def_property_readonly("likelihood", [](const mm::TrustModel& self) { return std::string(mm::to_string(self.data().likelihood)); })
      .def("initial_point", &mm::TrustModel::initial_point)
      .def(
          "log_density",
          [](mm::TrustModel& self, const Eigen::VectorXd& z) {
            Eigen::VectorXd g(self.dimension());
            double lp = 0.0;
            {
              py::gil_scoped_release release;
              lp = self.log_density(z, g);
            }
            return py::make_tuple(lp, g);
          },
          py::arg("z"), "(log posterior up to a constant, gradient) at unconstrained z.")
      .def("constrain", [](const mm::TrustModel& self, const Eigen::VectorXd& z) { return params_to_dict(self.constrain(z)); },
           py::arg("z"))
      .def(
          "forward",
          [](const mm::TrustModel& self, const Eigen::VectorXd& z, const std::optional<RowMatrix>& media,
             const std::optional<RowMatrix>& baseline, const std::optional<RowMatrix>& shocks) {
            if (!media) return forward_to_dict(self.forward(z));
            const mm::Matrix med = *media;
            const mm::Matrix base = baseline ? mm::Matrix(*baseline) : self.data().baseline;
            const mm::Matrix sh = shocks ? mm::Matrix(*shocks) : mm::Matrix(med.rows(), 0);
            mm::TrustModelForward f;
            {
              py::gil_scoped_release release;
              f = self.forward_on(z, med, base, sh);
            }
            return forward_to_dict(f);
          },
          py::arg("z"), py::arg("media") = py::none(), py::arg("baseline") = py::none(), py::arg("shocks") = py::none())
      .def(
          "fit_map",
          [](mm::TrustModel& self, const Eigen::VectorXd& z0, int max_iterations, double tolerance) {
            mm::MapResult r;
            {
              py::gil_scoped_release release;
              r = mm::fit_map(self, z0, max_iterations, tolerance);
            }
            py::dict d;
            d["z"] = r.z;
            d["log_density"] = r.log_density;
            d["gradient_norm"] = r.gradient_norm;
            d["iterations"] = r.iterations;
            d["converged"] = r.converged;
            d["message"] = r.message;
            return d;
          },
          py::arg("z0"), py::arg("max_iterations") = 2000, py::arg("tolerance") = 1e-7);
}

}  // namespace trustmix::bindings
