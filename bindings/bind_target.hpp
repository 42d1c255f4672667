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

#include "helpers/result.hpp"
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

/// The summary rows of a sample, bound as ParameterSummaries: one float64 array over the
/// parameters per column of ti::ParameterSummary.
struct SummaryTable {
  std::vector<ti::ParameterSummary> rows;
};

/// A column of the summary rows as a float64 array.
template <class M>
auto summary_column(M member) {
  return [member](const SummaryTable& t) {
    std::vector<double> v;
    v.reserve(t.rows.size());
    for (const auto& s : t.rows) v.push_back(s.*member);
    return helpers::to_array(v);
  };
}

/// What sample() returns: the sampler's result with its checks, summary rows and warnings.
/// Bound as trustmix._core.inference.SampleOutput with typed read-only attributes (arrays
/// are made on access); trustmix.inference.sample wraps it in a Posterior.
struct SampleOutput {
  ti::SampleResult result;
  ti::SamplerChecks checks;
  std::vector<ti::ParameterSummary> summary;
  std::vector<std::string> warnings;
  bool keyboard_interrupt = false;
};

/// Runs the sampler on a worker thread; the calling thread polls for Ctrl-C and progress.
template <class T>
SampleOutput run_sample(const T& target, int chains, int draws, int tune, std::uint64_t seed, double target_accept,
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
            warnings.push_back(
                "The diagnostics were interrupted (Ctrl-C): no summary, R-hat or ESS was computed; "
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

  return {std::move(r), std::move(checks), std::move(rows), std::move(warnings), keyboard_interrupt};
}

template <class T>
ti::MapResult run_map(const T& target, int max_iterations, double gradient_tolerance,
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
  return r;
}

/// Registers SampleOutput and MapResult (what sample() and map() return) in the inference
/// submodule; called once by bindings/inference.cpp before any target is bound.
inline void bind_results(py::module_& sub) {
  using PS = ti::ParameterSummary;
  using helpers::computed;
  helpers::bind_result<SummaryTable>(
      sub, "ParameterSummaries",
      "Posterior summary of every reported parameter (trustmix::inference::ParameterSummary rows): one float64 "
      "array over the parameters per column.",
      0, computed<SummaryTable>("mean", summary_column(&PS::mean), "Posterior mean."),
      computed<SummaryTable>("sd", summary_column(&PS::sd), "Posterior standard deviation."),
      computed<SummaryTable>("hdi_low", summary_column(&PS::hdi_low), "Lower end of the highest-density interval."),
      computed<SummaryTable>("hdi_high", summary_column(&PS::hdi_high), "Upper end of the highest-density interval."),
      computed<SummaryTable>("q05", summary_column(&PS::q05), "5% quantile."),
      computed<SummaryTable>("q50", summary_column(&PS::q50), "Median."),
      computed<SummaryTable>("q95", summary_column(&PS::q95), "95% quantile."),
      computed<SummaryTable>("mcse_mean", summary_column(&PS::mcse_mean), "Monte Carlo standard error of the mean."),
      computed<SummaryTable>("mcse_sd", summary_column(&PS::mcse_sd), "Monte Carlo standard error of the sd."),
      computed<SummaryTable>("ess_bulk", summary_column(&PS::ess_bulk), "Bulk effective sample size."),
      computed<SummaryTable>("ess_tail", summary_column(&PS::ess_tail), "Tail effective sample size."),
      computed<SummaryTable>("r_hat", summary_column(&PS::r_hat), "Rank-normalised split R-hat."));
  using SO = SampleOutput;
  auto n_of = [](const SO& o) { return o.result.usable_draws(); };
  py::class_<SO>(sub, "SampleOutput",
                 "NUTS output of trustmix._core.inference.sample: draws and per-draw statistics as (chain, draw) "
                 "arrays over the usable draws (the fewest any chain completed), per-chain adaptation results, "
                 "the summary columns and the diagnostics' warnings. trustmix.inference.sample wraps it in a "
                 "Posterior.")
      .def_property_readonly(
          "draws",
          [n_of](const SO& o) {
            const auto& r = o.result;
            const int n = n_of(o);
            py::array_t<double> values(
                {static_cast<py::ssize_t>(r.chains), static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(r.dimension)});
            auto v = values.mutable_unchecked<3>();
            for (int c = 0; c < r.chains; ++c)
              for (int i = 0; i < n; ++i)
                for (Eigen::Index j = 0; j < r.dimension; ++j) v(c, i, j) = r.value(c, i, j);
            return values;
          },
          "(chain, draw, parameter) float64 array of the reported (constrained) draws.")
      .def_property_readonly(
          "parameter_names", [](const SO& o) { return o.result.parameter_names; }, "Names of the reported parameters.")
      .def_property_readonly(
          "lp", [n_of](const SO& o) { return chain_draw_array(o.result, o.result.log_density, n_of(o)); },
          "(chain, draw) log density of each draw.")
      .def_property_readonly(
          "acceptance_rate", [n_of](const SO& o) { return chain_draw_array(o.result, o.result.accept_stat, n_of(o)); },
          "(chain, draw) mean Metropolis acceptance statistic of the trajectory, in [0, 1].")
      .def_property_readonly(
          "step_size", [n_of](const SO& o) { return chain_draw_array(o.result, o.result.step_size, n_of(o)); },
          "(chain, draw) leapfrog step size.")
      .def_property_readonly(
          "tree_depth", [n_of](const SO& o) { return chain_draw_array(o.result, o.result.tree_depth, n_of(o)); },
          "(chain, draw) int tree depth.")
      .def_property_readonly(
          "n_steps", [n_of](const SO& o) { return chain_draw_array(o.result, o.result.n_leapfrog, n_of(o)); },
          "(chain, draw) int leapfrog steps.")
      .def_property_readonly(
          "diverging",
          [n_of](const SO& o) { return chain_draw_array(o.result, o.result.divergent, n_of(o)).attr("astype")("bool"); },
          "(chain, draw) bool: the trajectory diverged.")
      .def_property_readonly(
          "energy", [n_of](const SO& o) { return chain_draw_array(o.result, o.result.energy, n_of(o)); },
          "(chain, draw) Hamiltonian at the selected state (for E-BFMI).")
      .def_property_readonly(
          "adapted_step_size", [](const SO& o) { return o.result.adapted_step_size; }, "Per chain: step size after warm-up.")
      .def_property_readonly(
          "inverse_metric", [](const SO& o) { return o.result.inverse_metric; },
          "Per chain: adapted inverse metric, d x 1 (diagonal) or d x d (dense).")
      .def_property_readonly(
          "gradient_evaluations", [](const SO& o) { return o.result.gradient_evaluations; },
          "Per chain: gradient evaluations, warm-up included.")
      .def_property_readonly(
          "completed_draws", [](const SO& o) { return o.result.completed_draws; }, "Per chain: kept draws actually made.")
      .def_property_readonly(
          "completed_tune", [](const SO& o) { return o.result.completed_tune; }, "Per chain: warm-up iterations made.")
      .def_property_readonly(
          "warmup_divergences", [](const SO& o) { return o.result.warmup_divergences; },
          "Per chain: divergences during warm-up.")
      .def_property_readonly(
          "interrupted", [](const SO& o) { return o.result.interrupted; },
          "True when the stop flag (Ctrl-C) ended the run early.")
      .def_readonly("keyboard_interrupt", &SO::keyboard_interrupt, "True when Ctrl-C ended the run.")
      .def_property_readonly(
          "seconds", [](const SO& o) { return o.result.seconds; }, "Wall time of the run (s).")
      .def_property_readonly(
          "summary", [](const SO& o) { return SummaryTable{o.summary}; },
          "The summary columns (a ParameterSummaries); empty arrays when the diagnostics did not "
          "run.")
      .def_readonly("warnings", &SO::warnings, "Diagnostic warnings, one sentence each with its remedy.")
      .def_property_readonly(
          "divergences", [](const SO& o) { return o.checks.divergences; }, "Kept iterations that diverged (all chains).")
      .def_property_readonly(
          "max_tree_depth_hits", [](const SO& o) { return o.checks.max_tree_depth_hits; },
          "Kept iterations that stopped at the maximum tree depth.")
      .def_property_readonly("ebfmi", [](const SO& o) { return o.checks.ebfmi; }, "Per chain: E-BFMI.");

  using MR = ti::MapResult;
  py::class_<MR>(sub, "MapResult",
                 "MAP output of trustmix._core.inference.map (trustmix::inference::MapResult): the mode, the "
                 "optimiser's report and the Laplace approximation. trustmix.inference.map wraps it in a MapFit.")
      .def_readonly("parameter_names", &MR::parameter_names, "Names of the reported parameters.")
      .def_property_readonly(
          "mode", [](const MR& r) { return Eigen::VectorXd(r.mode); }, "Unconstrained mode theta_map.")
      .def_property_readonly(
          "reported_mode", [](const MR& r) { return Eigen::VectorXd(r.reported_mode); },
          "The mode on the reported (constrained) scale.")
      .def_readonly("log_density", &MR::log_density, "log p(theta_map), up to the target's constant.")
      .def_property_readonly(
          "gradient", [](const MR& r) { return Eigen::VectorXd(r.gradient); },
          "Gradient of log p at the mode (about 0 at a mode).")
      .def_readonly("iterations", &MR::iterations, "L-BFGS iterations.")
      .def_readonly("evaluations", &MR::evaluations, "Log density and gradient evaluations.")
      .def_readonly("converged", &MR::converged, "True when the optimiser's convergence criterion was met.")
      .def_readonly("message", &MR::message, "Why the optimiser stopped.")
      .def_readonly("laplace_ok", &MR::laplace_ok, "True when -Hessian is positive definite at the mode.")
      .def_readonly("exact_hessian", &MR::exact_hessian,
                    "True when the Hessian is the target's own, not finite differences.")
      .def_property_readonly(
          "hessian", [](const MR& r) { return Eigen::MatrixXd(r.hessian); },
          "-d2 log p at the mode (the precision), unconstrained scale.")
      .def_property_readonly(
          "covariance", [](const MR& r) { return Eigen::MatrixXd(r.covariance); },
          "Laplace covariance (inverse of hessian), unconstrained scale.")
      .def_property_readonly(
          "draws", [](const MR& r) { return Eigen::MatrixXd(r.draws); },
          "laplace_draws x reported dimension: draws of the Laplace approximation, reported scale.");
}

/// Methods every bound target shares, and its sample/map overloads.
template <class T>
void bind_target(py::module_& sub, py::class_<T>& cls) {
  cls.def_property_readonly(
         "dimension", [](const T& t) { return static_cast<Eigen::Index>(t.dimension()); },
         "Number of unconstrained parameters.")
      .def_property_readonly(
          "parameter_names", [](const T& t) { return ti::parameter_names(t); }, "Names of the reported parameters.")
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
          py::arg("base_window") = d.base_window, "NUTS on the target; returns a SampleOutput.");
  sub.def("map", &run_map<T>, py::arg("target"), py::kw_only(), py::arg("max_iterations") = 1000,
          py::arg("gradient_tolerance") = 1e-8, py::arg("initial_values") = py::none(), py::arg("laplace") = true,
          py::arg("fd_step") = 1e-5, py::arg("laplace_draws") = 0, py::arg("seed") = 0,
          "MAP by L-BFGS and the Laplace approximation; returns a MapResult.");
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
