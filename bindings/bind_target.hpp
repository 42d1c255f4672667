#pragma once
// The Python face of an inference target: sample()/map()/laplace_covariance() overloads
// and the shared methods, bound per target type (the sampler is a template, so each
// target gets its own compiled hot loop). Used by bindings/inference.cpp for the built-in
// targets and by the bindings of an area that owns a model (bindings/mmm.cpp registers the
// trust-linked model's target), so that the inference binding knows no model.
#include <pybind11/eigen.h>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <trustmix/inference/inference.hpp>

#include "interruptible.hpp"

#include <atomic>
#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace trustmix::bindings::targets {

namespace py = pybind11;
namespace ti = trustmix::inference;

inline ti::MetricKind metric_kind(const std::string& name) {
  if (name == "diag" || name == "diagonal") return ti::MetricKind::diagonal;
  if (name == "dense") return ti::MetricKind::dense;
  throw std::invalid_argument("metric must be 'diag' or 'dense', got '" + name + "'");
}

/// chains x n array of a per-draw sampler statistic stored chain after chain (r.draws per
/// chain; the first n of each chain), in its own element type (double, int, uint8).
template <class V>
py::array_t<V> chain_draw_array(const ti::SampleResult& r, const std::vector<V>& v, int n) {
  py::array_t<V> out({static_cast<py::ssize_t>(r.chains), static_cast<py::ssize_t>(n)});
  auto o = out.template mutable_unchecked<2>();
  for (int c = 0; c < r.chains; ++c)
    for (int i = 0; i < n; ++i) o(c, i) = v[static_cast<std::size_t>(c * r.draws + i)];
  return out;
}

inline py::dict summary_dict(const std::vector<ti::ParameterSummary>& rows) {
  py::dict d;
  auto column = [&rows](auto member) {
    std::vector<double> v;
    v.reserve(rows.size());
    for (const auto& s : rows) v.push_back(s.*member);
    return py::array_t<double>(static_cast<py::ssize_t>(v.size()), v.data());
  };
  d["mean"] = column(&ti::ParameterSummary::mean);
  d["sd"] = column(&ti::ParameterSummary::sd);
  d["hdi_low"] = column(&ti::ParameterSummary::hdi_low);
  d["hdi_high"] = column(&ti::ParameterSummary::hdi_high);
  d["q05"] = column(&ti::ParameterSummary::q05);
  d["q50"] = column(&ti::ParameterSummary::q50);
  d["q95"] = column(&ti::ParameterSummary::q95);
  d["mcse_mean"] = column(&ti::ParameterSummary::mcse_mean);
  d["mcse_sd"] = column(&ti::ParameterSummary::mcse_sd);
  d["ess_bulk"] = column(&ti::ParameterSummary::ess_bulk);
  d["ess_tail"] = column(&ti::ParameterSummary::ess_tail);
  d["r_hat"] = column(&ti::ParameterSummary::r_hat);
  return d;
}

/// Runs the sampler on a worker thread; the calling thread polls for Ctrl-C and progress.
template <class T>
py::dict run_sample(const T& target, int chains, int draws, int tune, std::uint64_t seed, double target_accept,
                    int max_tree_depth, const std::string& metric, double init_step_size, double init_radius,
                    int threads, const std::optional<Eigen::MatrixXd>& initial_values, double hdi_prob,
                    const std::optional<py::function>& progress,
                    const std::optional<Eigen::MatrixXd>& initial_inverse_metric, int init_buffer, int term_buffer,
                    int base_window) {
  ti::SamplerOptions o;
  o.chains = chains;
  o.draws = draws;
  o.tune = tune;
  o.seed = seed;
  o.target_accept = target_accept;
  o.max_tree_depth = max_tree_depth;
  o.metric = metric_kind(metric);
  o.init_step_size = init_step_size;
  o.init_radius = init_radius;
  o.threads = threads;
  if (initial_values) o.initial_values = *initial_values;
  if (initial_inverse_metric) o.initial_inverse_metric = *initial_inverse_metric;
  o.init_buffer = init_buffer;
  o.term_buffer = term_buffer;
  o.base_window = base_window;
  trustmix::detail::require_in_range(hdi_prob, "hdi_prob", 0.0, 1.0, true, true);
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> done{0};
  o.stop = &stop;
  o.iterations_done = &done;

  ti::SampleResult r;
  std::vector<ti::ParameterSummary> rows;
  std::vector<std::string> warnings;
  ti::SamplerChecks checks;
  bool keyboard_interrupt = false;
  std::int64_t reported = 0;
  run_interruptible(
      stop,
      [&] {
        r = ti::sample(target, o);
        checks = ti::check_sampler(r);
        if (r.usable_draws() >= 4) {
          try {
            rows = ti::summarize(r, hdi_prob, &stop);
            warnings = ti::diagnose(r, rows, checks);
          } catch (const trustmix::Interrupted&) {  // Ctrl-C during sampling or diagnostics: keep the draws
            rows.clear();
            warnings.push_back("The diagnostics were interrupted (Ctrl-C): no summary, R-hat or ESS was computed; "
                               "the draws are complete (compute them with trustmix.inference.rhat, ess_bulk, ...).");
          }
        } else {
          warnings.push_back(format_message("Only ", r.usable_draws(),
                                            " draws per chain were made; at least 4 are needed for diagnostics."));
        }
      },
      [&] {
        if (!progress) return;
        const std::int64_t now = done.load();
        if (now != reported) (*progress)(now);
        reported = now;
      },
      &keyboard_interrupt);  // Ctrl-C keeps the draws so far; other signal exceptions are raised
  if (progress) (*progress)(done.load());

  const int n = r.usable_draws();
  py::array_t<double> values({static_cast<py::ssize_t>(r.chains), static_cast<py::ssize_t>(n),
                              static_cast<py::ssize_t>(r.dimension)});
  auto v = values.mutable_unchecked<3>();
  for (int c = 0; c < r.chains; ++c)
    for (int i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < r.dimension; ++j) v(c, i, j) = r.value(c, i, j);
  py::dict out;
  out["draws"] = values;
  out["parameter_names"] = r.parameter_names;
  out["lp"] = chain_draw_array(r, r.log_density, n);
  out["acceptance_rate"] = chain_draw_array(r, r.accept_stat, n);
  out["step_size"] = chain_draw_array(r, r.step_size, n);
  out["tree_depth"] = chain_draw_array(r, r.tree_depth, n);
  out["n_steps"] = chain_draw_array(r, r.n_leapfrog, n);
  out["diverging"] = chain_draw_array(r, r.divergent, n).attr("astype")("bool");
  out["energy"] = chain_draw_array(r, r.energy, n);
  out["adapted_step_size"] = r.adapted_step_size;
  out["inverse_metric"] = r.inverse_metric;
  out["gradient_evaluations"] = r.gradient_evaluations;
  out["completed_draws"] = r.completed_draws;
  out["completed_tune"] = r.completed_tune;
  out["warmup_divergences"] = r.warmup_divergences;
  out["interrupted"] = r.interrupted;
  out["keyboard_interrupt"] = keyboard_interrupt;
  out["seconds"] = r.seconds;
  out["summary"] = summary_dict(rows);
  out["warnings"] = warnings;
  out["divergences"] = checks.divergences;
  out["max_tree_depth_hits"] = checks.max_tree_depth_hits;
  out["ebfmi"] = checks.ebfmi;
  return out;
}

template <class T>
py::dict run_map(const T& target, int max_iterations, double gradient_tolerance,
                 const std::optional<Eigen::VectorXd>& initial_values, bool laplace, double fd_step, int laplace_draws,
                 std::uint64_t seed) {
  ti::MapOptions o;
  o.max_iterations = max_iterations;
  o.gradient_tolerance = gradient_tolerance;
  if (initial_values) o.initial_values = *initial_values;
  o.laplace = laplace;
  o.fd_step = fd_step;
  o.laplace_draws = laplace_draws;
  o.seed = seed;
  ti::MapResult r;
  {
    const py::gil_scoped_release release;
    r = ti::map(target, o);
  }
  py::dict out;
  out["parameter_names"] = r.parameter_names;
  out["mode"] = r.mode;
  out["reported_mode"] = r.reported_mode;
  out["log_density"] = r.log_density;
  out["gradient"] = r.gradient;
  out["iterations"] = r.iterations;
  out["evaluations"] = r.evaluations;
  out["converged"] = r.converged;
  out["message"] = r.message;
  out["laplace_ok"] = r.laplace_ok;
  out["exact_hessian"] = r.exact_hessian;
  out["hessian"] = r.hessian;
  out["covariance"] = r.covariance;
  out["draws"] = r.draws;
  return out;
}

/// Methods every bound target shares, and its sample/map overloads.
template <class T>
void bind_target(py::module_& sub, py::class_<T>& cls) {
  cls.def_property_readonly("dimension", [](const T& t) { return static_cast<Eigen::Index>(t.dimension()); },
                            "Number of unconstrained parameters.")
      .def_property_readonly("parameter_names", [](const T& t) { return ti::parameter_names(t); },
                             "Names of the reported parameters.")
      .def(
          "log_density_gradient",
          [](const T& t, const Eigen::VectorXd& theta) {
            if (theta.size() != static_cast<Eigen::Index>(t.dimension()))
              fail("theta must have ", t.dimension(), " elements, got ", theta.size());
            Eigen::VectorXd g(theta.size());
            const double lp = t.log_density_gradient(theta, g);
            return py::make_tuple(lp, g);
          },
          py::arg("theta"), "Returns (log density, gradient) at unconstrained theta.")
      .def(
          "constrain",
          [](const T& t, const Eigen::VectorXd& theta) {
            if (theta.size() != static_cast<Eigen::Index>(t.dimension()))
              fail("theta must have ", t.dimension(), " elements, got ", theta.size());
            Eigen::VectorXd out(ti::reported_dimension(t));
            ti::write_reported(t, theta, out);
            return out;
          },
          py::arg("theta"), "Reported (constrained) parameters of unconstrained theta.");
  const ti::SamplerOptions d;  // the defaults, stated once in nuts.hpp
  sub.def("sample", &run_sample<T>, py::arg("target"), py::kw_only(), py::arg("chains") = d.chains,
          py::arg("draws") = d.draws, py::arg("tune") = d.tune, py::arg("seed") = d.seed,
          py::arg("target_accept") = d.target_accept, py::arg("max_tree_depth") = d.max_tree_depth,
          py::arg("metric") = "diag", py::arg("init_step_size") = d.init_step_size, py::arg("init_radius") = d.init_radius,
          py::arg("threads") = d.threads, py::arg("initial_values") = py::none(), py::arg("hdi_prob") = 0.94,
          py::arg("progress") = py::none(), py::arg("initial_inverse_metric") = py::none(),
          py::arg("init_buffer") = d.init_buffer, py::arg("term_buffer") = d.term_buffer,
          py::arg("base_window") = d.base_window, "NUTS on the target; returns a dict of numpy arrays, summary and warnings.");
  sub.def("map", &run_map<T>, py::arg("target"), py::kw_only(), py::arg("max_iterations") = 1000,
          py::arg("gradient_tolerance") = 1e-8, py::arg("initial_values") = py::none(), py::arg("laplace") = true,
          py::arg("fd_step") = 1e-5, py::arg("laplace_draws") = 0, py::arg("seed") = 0,
          "MAP by L-BFGS and the Laplace approximation; returns a dict.");
  sub.def(
      "laplace_covariance",
      [](const T& target, const Eigen::VectorXd& theta, double fd_step) -> std::optional<Eigen::MatrixXd> {
        if (theta.size() != static_cast<Eigen::Index>(target.dimension()))
          fail("theta must have ", target.dimension(), " elements, got ", theta.size());
        trustmix::detail::require_positive(fd_step, "fd_step");
        Eigen::MatrixXd cov;
        {
          py::gil_scoped_release release;
          cov = ti::laplace_covariance(target, theta, fd_step);
        }
        if (cov.size() == 0) return std::nullopt;
        return cov;
      },
      py::arg("target"), py::arg("theta"), py::arg("fd_step") = 1e-5,
      "Laplace covariance (inverse negative Hessian, central differences of the gradient) at "
      "unconstrained theta; None when that Hessian is not positive definite.");
}

}  // namespace trustmix::bindings::targets
