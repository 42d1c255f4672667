#pragma once
// MAP fit of the trust-linked model by L-BFGS (LBFGS++, a header-only library packaged
// by Debian as liblbfgspp-dev).
#include <LBFGS.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "trustmix/mmm/trust_model.hpp"

namespace trustmix::mmm {

/// Result of a MAP fit: the mode in unconstrained space and how the optimiser ended.
struct MapResult {
  Vector z;                  ///< unconstrained mode
  double log_density = 0.0;  ///< log posterior at z (up to a constant)
  double gradient_norm = 0.0;
  int iterations = 0;
  bool converged = false;
  std::string message;
};

/// Maximises the log posterior from z0. Converged means the gradient's infinity norm
/// fell below `tolerance` x max(1, |z|) (LBFGS++'s criterion) or the relative change of
/// the objective below 1e-12 over one iteration.
/// Const and re-entrant: the scratch buffers are local to the call, so several threads
/// may fit one model at once.
inline MapResult fit_map(const TrustModel& model, const Vector& z0, int max_iterations = 2000, double tolerance = 1e-7) {
  LBFGSpp::LBFGSParam<double> param;
  param.epsilon = tolerance;
  param.epsilon_rel = tolerance;
  param.past = 1;
  param.delta = 1e-12;
  param.max_iterations = max_iterations;
  param.max_linesearch = 60;
  LBFGSpp::LBFGSSolver<double> solver(param);
  Vector g(model.dimension());
  TrustModelWorkspace workspace;
  auto objective = [&](const Vector& z, Vector& grad) {
    const double lp = model.log_density(z, g, workspace);
    grad = -g;
    return std::isfinite(lp) ? -lp : std::numeric_limits<double>::infinity();
  };
  MapResult r;
  r.z = z0;
  double fx = 0.0;
  try {
    r.iterations = solver.minimize(objective, r.z, fx);
    r.converged = r.iterations < max_iterations;
    r.message = r.converged ? "converged" : "reached the maximum number of iterations";
  } catch (const std::exception& e) {
    // A line search that cannot improve further usually sits at the optimum up to
    // rounding; report it and let the caller judge by the gradient norm.
    r.message = std::string("line search stopped: ") + e.what();
  }
  r.log_density = model.log_density(r.z, g, workspace);
  r.gradient_norm = g.cwiseAbs().maxCoeff();
  if (!r.converged && r.gradient_norm < 1e-4 * std::max(1.0, r.z.norm())) r.converged = true;
  return r;
}

}  // namespace trustmix::mmm
