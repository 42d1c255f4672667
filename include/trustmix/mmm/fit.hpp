#pragma once
// MAP fit of the trust-linked model: trustmix::inference::map (L-BFGS by LBFGS++, a
// header-only library packaged by Debian as liblbfgspp-dev) on the model's target, with
// the settings the model has always used. One MAP engine and one MapResult for the
// library.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>

#include "trustmix/inference/map.hpp"
#include "trustmix/mmm/target.hpp"
#include "trustmix/mmm/trust_model.hpp"

namespace trustmix::mmm {

/// inference::ChainRng streams of the fits' random starting points: NUTS chain starts
/// (kStartStream) and MAP restarts (kRestartStream). No NUTS chain uses them (a chain's
/// stream is its index 0..chains-1), so a chain's momenta never repeat a start's jitter.
inline constexpr std::uint64_t kStartStream = 0x7374617274ULL;  // "start"
inline constexpr std::uint64_t kRestartStream = kStartStream + 1;


using MapResult = inference::MapResult;

/// inference::map on `target` from z0 with the settings of every model fit (fit_map below,
/// fit_panel_map): no Laplace step, past = 1 and delta = 1e-12, up to 60 line-search steps;
/// converged also when L-BFGS stopped by its own tests; a start where the log density or
/// its gradient is not finite gives log_density = -infinity instead of an exception.
template <class Target>
[[nodiscard]] MapResult map_with_fit_settings(const Target& target, const Vector& z0, int max_iterations, double tolerance) {
  Vector g(z0.size());
  const double lp0 = target.log_density_gradient(z0, g);
  if (!std::isfinite(lp0) || !g.allFinite()) {
    MapResult r;
    r.parameter_names = target.parameter_names();
    r.mode = z0;
    r.reported_mode = z0;
    r.gradient = g;
    r.log_density = -std::numeric_limits<double>::infinity();
    r.message = "the log density or its gradient is not finite at the start";
    return r;
  }
  inference::MapOptions o;
  o.max_iterations = max_iterations;
  o.gradient_tolerance = tolerance;
  o.initial_values = z0;
  o.laplace = false;
  o.past = 1;
  o.delta = 1e-12;
  o.max_linesearch = 60;
  MapResult r = inference::map(target, o);
  if (r.solver_stopped && std::isfinite(r.log_density)) r.converged = true;
  return r;
}

/// Maximises the log posterior of `model` from z0 (unconstrained) by
/// trustmix::inference::map: L-BFGS with the gradient tolerance `tolerance` (absolute and
/// relative to |z|), also stopping when the log density's relative change over one
/// iteration falls below 1e-12; no Laplace step (NUTS warm-up computes its own). The mode
/// is result.mode, the log density there result.log_density. converged: inference::map's
/// gradient criterion, or L-BFGS stopped by its own tests before max_iterations (this
/// posterior has flat directions along which the objective stops changing before the
/// gradient is small; what the model has always called converged). A start where the log
/// density is not finite gives log_density = -infinity and converged = false (a jittered
/// restart outside the support) instead of an exception. Const and re-entrant: several
/// threads may fit one model at once (the target keeps one workspace per thread).
inline MapResult fit_map(const TrustModel& model, const Vector& z0, int max_iterations = 2000, double tolerance = 1e-7) {
  if (z0.size() != model.dimension()) fail("z0 has ", z0.size(), " values, the model has ", model.dimension());
  // A non-owning target: the model outlives the call.
  const TrustTarget target(std::shared_ptr<const TrustModel>(std::shared_ptr<const TrustModel>{}, &model));
  return map_with_fit_settings(target, z0, max_iterations, tolerance);
}

/// centre + step, the step halved until `finite(z)` holds at z (centre after 60 halvings):
/// a jittered start kept inside the support. finite(z) is true where the model's log
/// density is finite.
template <class Finite>
[[nodiscard]] Vector start_inside(const Vector& centre, const Vector& step, const Finite& finite) {
  for (int k = 0; k < 60; ++k) {
    Vector z = centre + step * std::ldexp(1.0, -k);
    if (finite(z)) return z;
  }
  return centre;
}

}  // namespace trustmix::mmm
