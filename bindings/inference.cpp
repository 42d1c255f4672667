// Inference bindings: built-in targets as classes, sample()/map() overloaded on the target
// type (the sampler is a template, so each target gets its own compiled hot loop), and the
// diagnostics on numpy (chain, draw) arrays. Sampling runs on a worker thread with the GIL
// released; the calling thread wakes every 0.1 s to report progress and to check for
// Ctrl-C (PyErr_CheckSignals), which sets the sampler's stop flag so the draws made so far
// are returned. Pandas, plots and ArviZ live in python/trustmix/inference.
#include <pybind11/eigen.h>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <trustmix/inference/inference.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bind_target.hpp"
#include "register.hpp"

namespace py = pybind11;
namespace ti = trustmix::inference;

namespace trustmix::bindings {
namespace {

using targets::bind_target;

using CArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

/// A target whose log density and gradient are a Python callable f(theta) -> (lp, grad).
/// Every call takes the GIL, so chains run one evaluation at a time; use it for
/// prototyping, and a C++ target for speed.
class PythonTarget {
 public:
  PythonTarget(py::function fn, Eigen::Index dimension, std::vector<std::string> names)
      : fn_(std::move(fn)), d_(dimension), names_(std::move(names)) {
    if (d_ < 1) fail("dimension must be >= 1, got ", d_);
    if (!names_.empty() && static_cast<Eigen::Index>(names_.size()) != d_)
      fail("parameter_names has ", names_.size(), " names but dimension is ", d_);
    if (names_.empty())
      for (Eigen::Index i = 0; i < d_; ++i) names_.push_back("x[" + std::to_string(i) + "]");
  }
  [[nodiscard]] Eigen::Index dimension() const { return d_; }
  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> theta, Eigen::Ref<Eigen::VectorXd> gradient) const {
    const py::gil_scoped_acquire gil;
    py::array_t<double> x(d_);
    std::copy(theta.data(), theta.data() + d_, x.mutable_data());
    const py::tuple out = fn_(x);
    if (out.size() != 2) fail("the target function must return (log_density, gradient), got ", out.size(), " items");
    const double lp = out[0].cast<double>();
    const auto g = out[1].cast<CArray>();
    if (g.size() != d_) fail("the target function returned a gradient of size ", g.size(), ", expected ", d_);
    std::copy(g.data(), g.data() + d_, gradient.data());
    return lp;
  }
  [[nodiscard]] std::vector<std::string> parameter_names() const { return names_; }

 private:
  py::function fn_;
  Eigen::Index d_;
  std::vector<std::string> names_;
};

/// (chain, draw) view of an (n draws x m chains) column-major matrix.
Eigen::MatrixXd from_chain_draw(const CArray& x, const char* name) {
  if (x.ndim() != 2) fail(name, " must be a 2-d array of shape (chain, draw), got ", x.ndim(), " dimensions");
  return Eigen::Map<const Eigen::MatrixXd>(x.data(), x.shape(1), x.shape(0));
}

}  // namespace

void register_inference(py::module_& m) {
  auto sub = m.def_submodule("inference", "trustmix::inference: NUTS, MAP/Laplace, diagnostics, built-in targets.");
  namespace tg = ti::targets;
  targets::bind_results(sub);

  using SO = ti::SamplerOptions;
  helpers::bind_result<SO>(
      sub, "SamplerDefaults",
      "The C++ sampler's default settings (trustmix::inference::SamplerOptions, nuts.hpp), which the Python\n"
      "signature of trustmix.inference.sample repeats.",
      1, helpers::member("chains", &SO::chains, "Independent chains."),
      helpers::member("draws", &SO::draws, "Kept iterations per chain."),
      helpers::member("tune", &SO::tune, "Warm-up (adaptation) iterations per chain."),
      helpers::member("target_accept", &SO::target_accept, "Dual-averaging target of the acceptance statistic."),
      helpers::member("max_tree_depth", &SO::max_tree_depth, "At most 2^max_tree_depth leapfrog steps per iteration."),
      helpers::member("init_step_size", &SO::init_step_size, "First step size before the doubling/halving heuristic."),
      helpers::member("init_radius", &SO::init_radius, "Random inits uniform in (-r, r), unconstrained scale."),
      helpers::member("init_buffer", &SO::init_buffer, "Windowed adaptation: fast initial interval (iterations)."),
      helpers::member("term_buffer", &SO::term_buffer, "Final fast interval, step size only (iterations)."),
      helpers::member("base_window", &SO::base_window, "First slow window; later windows double (iterations)."));
  sub.def(
      "sampler_defaults", [] { return SO{}; },
      "The C++ sampler's default settings (a SamplerDefaults), which the Python signature repeats.");

  py::class_<tg::StandardNormal> standard_normal(sub, "StandardNormal", "Standard normal in d dimensions.");
  standard_normal.def(py::init<Eigen::Index>(), py::arg("dimension"));
  bind_target(sub, standard_normal);

  py::class_<tg::CorrelatedGaussian> gaussian(sub, "CorrelatedGaussian", "N(mean, covariance).");
  gaussian.def(py::init<Eigen::VectorXd, const Eigen::MatrixXd&>(), py::arg("mean"), py::arg("covariance"))
      .def_static("ar1_covariance", &tg::CorrelatedGaussian::ar1_covariance, py::arg("scales"), py::arg("rho"));
  bind_target(sub, gaussian);

  py::class_<tg::GammaTarget> gamma(sub, "Gamma", "Gamma(shape, rate) sampled on the log scale.");
  gamma.def(py::init<double, double>(), py::arg("shape"), py::arg("rate"));
  bind_target(sub, gamma);

  py::class_<tg::BetaTarget> beta(sub, "Beta", "Beta(a, b) sampled on the logit scale.");
  beta.def(py::init<double, double>(), py::arg("a"), py::arg("b"));
  bind_target(sub, beta);

  py::class_<tg::Funnel> funnel(sub, "Funnel",
                                "Neal's funnel: v ~ N(0, 9), x_i | v ~ N(0, exp(v)); non_centred samples z = x exp(-v/2).");
  funnel.def(py::init<Eigen::Index, bool>(), py::arg("dimension") = 10, py::arg("non_centred") = false);
  bind_target(sub, funnel);

  py::class_<tg::EightSchools> schools(sub, "EightSchools", "Eight schools, non-centred.");
  schools.def(py::init<>());
  bind_target(sub, schools);

  py::class_<tg::LogisticRegression> logistic(sub, "LogisticRegression", "Bayesian logistic regression.");
  logistic.def(py::init<Eigen::MatrixXd, Eigen::VectorXd, double>(), py::arg("x"), py::arg("y"),
               py::arg("prior_scale") = 10.0);
  bind_target(sub, logistic);


  py::class_<PythonTarget> python_target(sub, "PythonTarget",
                                         "A target from a Python callable f(theta) -> (log_density, gradient).");
  python_target.def(py::init<py::function, Eigen::Index, std::vector<std::string>>(), py::arg("function"),
                    py::arg("dimension"), py::arg("parameter_names") = std::vector<std::string>{});
  bind_target(sub, python_target);

  sub.def(
      "rhat", [](const CArray& x) { return ti::rhat(from_chain_draw(x, "x")); }, py::arg("x"),
      "Rank-normalised split R-hat of a (chain, draw) array.");
  sub.def(
      "ess_bulk", [](const CArray& x) { return ti::ess_bulk(from_chain_draw(x, "x")); }, py::arg("x"),
      "Bulk ESS of a (chain, draw) array.");
  sub.def(
      "ess_tail", [](const CArray& x) { return ti::ess_tail(from_chain_draw(x, "x")); }, py::arg("x"),
      "Tail ESS of a (chain, draw) array.");
  sub.def(
      "ess_mean", [](const CArray& x) { return ti::ess_mean(from_chain_draw(x, "x")); }, py::arg("x"),
      "ESS of the mean of a (chain, draw) array.");
  sub.def(
      "mcse_mean", [](const CArray& x) { return ti::mcse_mean(from_chain_draw(x, "x")); }, py::arg("x"),
      "Monte Carlo standard error of the mean.");
  sub.def(
      "mcse_sd", [](const CArray& x) { return ti::mcse_sd(from_chain_draw(x, "x")); }, py::arg("x"),
      "Monte Carlo standard error of the sd.");
  sub.def(
      "hdi", [](const CArray& x, double prob) { return ti::hdi(from_chain_draw(x, "x"), prob); }, py::arg("x"),
      py::arg("prob") = 0.94, "Highest-density interval (low, high).");
  sub.def("ebfmi", [](const Eigen::VectorXd& e) { return ti::ebfmi(e); }, py::arg("energy"), "E-BFMI of one chain.");
}

}  // namespace trustmix::bindings
