#pragma once
// Maximum a posteriori (MAP) estimation by L-BFGS (LBFGS++, Yixuan Qiu's header-only
// implementation of Nocedal & Wright's algorithm 7.5 with a More-Thuente line search)
// and the Laplace approximation around the mode:
//   p(theta | y) ~ N(theta_map, H^{-1}),  H = -d^2 log p / d theta^2 at theta_map,
// on the unconstrained scale. H is exact when the target provides its Hessian (concept
// HessianTarget), else central differences of the analytic gradient with step
// h_j = fd_step * max(1, |theta_j|) (truncation error O(h^2) times the third derivative).
//
// The mode is that of the target's log density as written, i.e. on the unconstrained
// scale with the Jacobian terms of the transforms included.
#include "trustmix/core/error.hpp"
#include "trustmix/inference/rng.hpp"
#include "trustmix/inference/target_concept.hpp"

#include <LBFGS.h>
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace trustmix::inference {

/// A target that can also write the exact Hessian of its log density.
template <class T>
concept HessianTarget = Target<T> &&
                        requires(const T& t, Eigen::Ref<const Eigen::VectorXd> theta, Eigen::Ref<Eigen::MatrixXd> hessian) {
                          t.log_density_hessian(theta, hessian);
                        };

/// Settings of map().
struct MapOptions {
  /// L-BFGS iterations of the whole run: one budget shared by the first run and every
  /// restart after a line-search stop (a stopped run spends its evaluations, an upper
  /// bound on its iterations)
  int max_iterations = 1000;
  double gradient_tolerance = 1e-8;  ///< stop when ||grad|| < max(tol, tol * ||theta||)
  Eigen::VectorXd initial_values{};  ///< unconstrained start; empty = all zeros
  bool laplace = true;               ///< compute the Hessian and covariance at the mode
  double fd_step = 1e-5;             ///< relative step of the finite-difference Hessian
  int laplace_draws = 0;             ///< draws from the Laplace approximation (reported scale)
  std::uint64_t seed = 0;            ///< seed of the Laplace draws
  /// Also stop when the objective's relative change over the last `past` iterations is
  /// below `delta` (LBFGS++'s past/delta test; past = 0, the default, turns it off).
  int past = 0;
  double delta = 0.0;
  int max_linesearch = 64;           ///< line-search trials per iteration
  /// Restarts after a line-search stop away from a mode (see map()): each from the best
  /// point so far, with fresh L-BFGS memory and a Wolfe line search.
  int line_search_restarts = 5;
};

/// Result of map(). Vectors on the unconstrained scale unless said otherwise.
struct MapResult {
  std::vector<std::string> parameter_names;  ///< reported parameters
  Eigen::VectorXd mode;                       ///< unconstrained mode theta_map
  Eigen::VectorXd reported_mode;              ///< mode on the reported (constrained) scale
  double log_density = 0.0;                   ///< log p(theta_map) (up to the target's constant)
  Eigen::VectorXd gradient;                   ///< gradient at the mode (should be ~0)
  int iterations =
      0;  ///< L-BFGS iterations of the runs that ended normally (a run the line search stopped is not counted); all runs together stay within max_iterations
  int restarts = 0;  ///< restarts after a line-search stop away from a mode
  int evaluations = 0;  ///< log density + gradient evaluations
  bool converged = false;  ///< see map() for the criterion
  bool solver_stopped = false;  ///< L-BFGS stopped by its own test (gradient or past/delta) before max_iterations
  std::string message;  ///< why the optimiser stopped
  bool laplace_ok = false;  ///< Hessian negative definite at the mode
  bool exact_hessian = false;  ///< from the target, not finite differences
  Eigen::MatrixXd hessian;  ///< -d^2 log p at the mode (precision)
  Eigen::MatrixXd covariance;  ///< H^{-1}, Laplace covariance
  Eigen::MatrixXd draws;  ///< laplace_draws x reported dimension
};

/// Negative Hessian of log p at theta: exact if available, else central differences.
template <Target T>
[[nodiscard]] Eigen::MatrixXd negative_hessian(const T& target, const Eigen::VectorXd& theta, double fd_step,
                                               bool* exact = nullptr) {
  const Eigen::Index d = theta.size();
  Eigen::MatrixXd h(d, d);
  if constexpr (HessianTarget<T>) {
    target.log_density_hessian(theta, h);
    h = -h;
    if (exact != nullptr) *exact = true;
  } else {
    Eigen::VectorXd x = theta;
    Eigen::VectorXd g_plus(d), g_minus(d);
    for (Eigen::Index j = 0; j < d; ++j) {
      const double step = fd_step * std::max(1.0, std::abs(theta[j]));
      x[j] = theta[j] + step;
      (void)target.log_density_gradient(x, g_plus);
      x[j] = theta[j] - step;
      (void)target.log_density_gradient(x, g_minus);
      x[j] = theta[j];
      h.col(j) = -(g_plus - g_minus) / (2.0 * step);
    }
    if (exact != nullptr) *exact = false;
  }
  return 0.5 * (h + h.transpose());
}

/// Cholesky factor L L' = h of a negative Hessian, or nothing when h is not finite and
/// positive definite (not a strict mode). The Laplace covariance is h^{-1}.
[[nodiscard]] inline std::optional<Eigen::LLT<Eigen::MatrixXd>> laplace_factor(const Eigen::MatrixXd& h) {
  if (!h.allFinite()) return std::nullopt;
  Eigen::LLT<Eigen::MatrixXd> llt(h);
  if (llt.info() != Eigen::Success) return std::nullopt;
  return llt;
}

/// Laplace covariance H^{-1} at theta, H = negative_hessian(target, theta, fd_step) (the
/// unconstrained scale); empty when H is not finite and positive definite (theta is not a
/// strict mode). Used, e.g., as the starting metric of NUTS warm-up.
template <Target T>
[[nodiscard]] Eigen::MatrixXd laplace_covariance(const T& target, const Eigen::VectorXd& theta, double fd_step = 1e-5) {
  const Eigen::MatrixXd h = negative_hessian(target, theta, fd_step);
  const auto llt = laplace_factor(h);
  if (!llt) return {};
  return llt->solve(Eigen::MatrixXd::Identity(h.rows(), h.cols()));
}

/// Posterior mode by L-BFGS and the Laplace approximation around it.
template <Target T>
[[nodiscard]] MapResult map(const T& target, const MapOptions& options = {}) {
  const auto d = static_cast<Eigen::Index>(target.dimension());
  if (d < 1) fail("target dimension must be >= 1, got ", d);
  if (options.max_iterations < 1) fail("max_iterations must be >= 1, got ", options.max_iterations);
  trustmix::detail::require_positive(options.gradient_tolerance, "gradient_tolerance");
  trustmix::detail::require_positive(options.fd_step, "fd_step");
  if (options.laplace_draws < 0) fail("laplace_draws must be >= 0, got ", options.laplace_draws);
  if (options.past < 0 || !(options.delta >= 0.0))
    fail("past and delta must be >= 0, got ", options.past, " and ", options.delta);
  if (options.max_linesearch < 1) fail("max_linesearch must be >= 1, got ", options.max_linesearch);
  if (options.line_search_restarts < 0) fail("line_search_restarts must be >= 0, got ", options.line_search_restarts);
  if (options.initial_values.size() != 0 && options.initial_values.size() != d)
    fail("initial_values must have ", d, " elements, got ", options.initial_values.size());
  MapResult out;
  out.parameter_names = parameter_names(target);
  Eigen::VectorXd x = options.initial_values.size() != 0 ? options.initial_values : Eigen::VectorXd::Zero(d);
  Eigen::VectorXd g(d);
  const double lp0 = target.log_density_gradient(x, g);
  if (!std::isfinite(lp0) || !g.allFinite()) fail("log density or gradient is not finite at the initial values");

  LBFGSpp::LBFGSParam<double> param;
  param.epsilon = options.gradient_tolerance;
  param.epsilon_rel = options.gradient_tolerance;
  param.max_iterations = options.max_iterations;
  param.max_linesearch = options.max_linesearch;
  param.past = options.past;
  param.delta = options.delta;
  LBFGSpp::LBFGSSolver<double> solver(param);
  // The best point evaluated: LBFGS++ leaves x at its last trial point when a line search
  // fails (or ends on a trial outside the support), which need not be the best one.
  Eigen::VectorXd best_x = x;
  double best_lp = lp0;
  auto objective = [&target, &out, &best_x, &best_lp](const Eigen::VectorXd& theta, Eigen::VectorXd& grad) {
    ++out.evaluations;
    const double lp = target.log_density_gradient(theta, grad);
    grad = -grad;
    if (std::isfinite(lp) && grad.allFinite() && lp > best_lp) {
      best_lp = lp;
      best_x = theta;
    }
    // Outside the support: an infinite objective makes the line search step back.
    return std::isfinite(lp) ? -lp : std::numeric_limits<double>::infinity();
  };
  double fx = 0.0;
  bool thrown = false;
  // max_iterations is one budget for the whole run, restarts included. A run that ends
  // normally spends its iterations; a run the line search stops (LBFGS++ throws and does
  // not say how many iterations it made) spends its evaluations, an upper bound (every
  // iteration evaluates at least once). `runs` describes every run for the message.
  int spent = 0;
  std::string runs;
  auto note_run = [&runs](const std::string& what) { runs += (runs.empty() ? "" : "; ") + what; };
  int evals_before = out.evaluations;
  try {
    out.iterations = solver.minimize(objective, x, fx);
    spent = out.iterations;
    out.solver_stopped = out.iterations < options.max_iterations;
    out.message = out.solver_stopped ? "gradient tolerance reached" : "maximum number of iterations reached";
  } catch (const std::exception& e) {
    // LBFGS++ throws when the line search cannot make progress (std::runtime_error) or a
    // search direction does not descend (std::logic_error), which at a mode within
    // rounding error is expected; convergence is judged from the gradient below.
    out.message = std::string("line search stopped: ") + e.what();
    spent = out.evaluations - evals_before;
    thrown = true;
  }
  note_run("run 1: " + out.message);
  // LBFGS++'s default backtracking line search accepts a step on the Armijo condition
  // alone, so a correction pair can have s'y <= 0; the L-BFGS direction after it need not
  // descend and LBFGS++ throws far from a mode (the bounded trust form did so within its
  // first iterations from the default start, leaving MAP, and NUTS's start, at a point
  // with a large gradient). Then restart from the best point so far, with fresh memory
  // and a line search that also asks for the strong Wolfe curvature condition (which
  // keeps s'y > 0), while the gradient there is not small.
  std::string whole_run;  // with restarts: the description of every run, appended to the message
  {
    Eigen::VectorXd gb(d);
    auto small = [&](const Eigen::VectorXd& at) {
      const double lp = target.log_density_gradient(at, gb);
      return std::isfinite(lp) && gb.norm() <= std::sqrt(options.gradient_tolerance) * std::max(1.0, at.norm());
    };
    LBFGSpp::LBFGSParam<double> wolfe = param;
    wolfe.linesearch = LBFGSpp::LBFGS_LINESEARCH_BACKTRACKING_STRONG_WOLFE;
    bool budget_spent = false;
    while (thrown && out.restarts < options.line_search_restarts && !small(best_x)) {
      const int left = options.max_iterations - spent;
      if (left < 1) {
        budget_spent = true;
        break;
      }
      ++out.restarts;
      x = best_x;
      thrown = false;
      wolfe.max_iterations = left;
      LBFGSpp::LBFGSSolver<double> careful(wolfe);
      evals_before = out.evaluations;
      try {
        const int k = careful.minimize(objective, x, fx);
        out.iterations += k;
        spent += k;
        out.solver_stopped = k < left;
        out.message = out.solver_stopped ? "gradient tolerance reached" : "maximum number of iterations reached";
      } catch (const std::exception& e) {
        out.message = std::string("line search stopped: ") + e.what();
        spent += out.evaluations - evals_before;
        thrown = true;
      }
      note_run("run " + std::to_string(out.restarts + 1) + ": " + out.message);
    }
    if (out.restarts > 0 || budget_spent) {
      // the whole run: how it ended, every run's ending, and the budget
      if (budget_spent)
        out.message = "iteration budget spent (" + std::to_string(options.max_iterations) +
                      " L-BFGS iterations over all runs) after a line-search stop";
      whole_run = " (" + std::to_string(out.restarts + 1) + " run(s), " + std::to_string(out.restarts) +
                  " restart(s) from a line-search stop, at most " + std::to_string(std::min(spent, options.max_iterations)) +
                  " of " + std::to_string(options.max_iterations) + " iterations spent; " + runs + ")";
      out.message += whole_run;
    }
  }
  out.gradient.resize(d);
  out.log_density = target.log_density_gradient(x, out.gradient);
  // LBFGS++ stops on its gradient test, or (past > 0) when the objective's relative change
  // over `past` iterations falls below `delta`: say which.
  if (out.solver_stopped && out.gradient.norm() > std::max(param.epsilon, param.epsilon_rel * x.norm()))
    out.message = "objective change below delta" + whole_run;
  if (!(out.log_density >= best_lp)) {  // also when not finite
    x = best_x;
    out.log_density = target.log_density_gradient(x, out.gradient);
  }
  out.mode = x;
  const double gnorm = out.gradient.norm();
  // Converged: finite and ||grad|| <= sqrt(gradient_tolerance) * max(1, ||theta||), a looser
  // bound than the solver's own so that a line-search stop at the mode still counts.
  out.converged = std::isfinite(out.log_density) && gnorm <= std::sqrt(options.gradient_tolerance) * std::max(1.0, x.norm());
  if (!out.converged && out.message.empty()) out.message = "gradient not small at the end";
  out.reported_mode.resize(reported_dimension(target));
  write_reported(target, x, out.reported_mode);

  if (options.laplace) {
    out.hessian = negative_hessian(target, x, options.fd_step, &out.exact_hessian);
    const auto llt = laplace_factor(out.hessian);
    out.laplace_ok = llt.has_value();
    if (out.laplace_ok) {
      out.covariance = llt->solve(Eigen::MatrixXd::Identity(d, d));
      if (options.laplace_draws > 0) {
        // theta = mode + L^{-T} z has covariance (L L')^{-1} = H^{-1}.
        const Eigen::MatrixXd lower = llt->matrixL();
        ChainRng rng(options.seed, 0);
        out.draws.resize(options.laplace_draws, out.reported_mode.size());
        Eigen::VectorXd z(d), theta(d), reported(out.reported_mode.size());
        for (int i = 0; i < options.laplace_draws; ++i) {
          for (Eigen::Index k = 0; k < d; ++k) z[k] = rng.normal();
          theta = x + lower.transpose().triangularView<Eigen::Upper>().solve(z);
          write_reported(target, theta, reported);
          out.draws.row(i) = reported.transpose();
        }
      }
    }
  }
  return out;
}

}  // namespace trustmix::inference
