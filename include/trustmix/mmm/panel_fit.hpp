#pragma once
// MAP fit and NUTS starting points of the geo panel model (panel_model.hpp): the settings
// PanelMMM.fit uses, in C++ so that a C++ caller gets the same fit. A centred hierarchy
// (PanelModelSpec::centred, "partial_centred") is the same model as the non-centred one in
// other coordinates, but its joint mode is degenerate: as tau -> 0 with every geo's value
// at the location, the density grows without bound (the hierarchy's -G ln tau). Its mode
// is therefore the non-centred twin's (PanelTrustModel::noncentred()), mapped back by
// centred_point(): the same constrained parameters.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>

#include "trustmix/inference/map.hpp"
#include "trustmix/inference/rng.hpp"
#include "trustmix/mmm/fit.hpp"
#include "trustmix/mmm/panel_model.hpp"

namespace trustmix::mmm {

/// The posterior mode of the panel model by L-BFGS (inference::map; no Laplace step) from
/// its initial_point(), gradient tolerance `tolerance` (absolute and relative to |z|), also
/// stopping when the log density's relative change over one iteration is below 1e-12 (the
/// national fit_map's settings). With centred hierarchies (has_centred()) the optimisation
/// runs on noncentred() and result.mode is its mode mapped by centred_point() into this
/// model's coordinates; log_density and gradient are then the twin's at its mode (the two
/// log densities differ by the hierarchies' G ln tau), reported_mode the constrained
/// parameters (the same in both). converged: inference::map's gradient criterion, or
/// L-BFGS stopped by its own tests before max_iterations. A start where the log density is
/// not finite gives log_density = -infinity and converged = false.
[[nodiscard]] inline inference::MapResult fit_panel_map(const PanelTrustModel& model, int max_iterations = 3000,
                                                        double tolerance = 1e-7) {
  if (max_iterations < 1) fail("max_iterations must be >= 1, got ", max_iterations);
  if (!(tolerance > 0.0)) fail("tolerance must be > 0, got ", tolerance);
  const bool centred = model.has_centred();
  std::optional<PanelTrustModel> store;
  const PanelTrustModel& twin = centred ? store.emplace(model.noncentred()) : model;
  // a non-owning target: the model outlives the call
  const PanelTarget target(std::shared_ptr<const PanelTrustModel>(std::shared_ptr<const PanelTrustModel>{}, &twin));
  inference::MapResult r = map_with_fit_settings(target, twin.initial_point(), max_iterations, tolerance);
  if (centred) r.mode = model.centred_point(r.mode);
  r.reported_mode.resize(model.constrained_dimension());
  model.constrain(r.mode, r.reported_mode);
  return r;
}

/// NUTS starting points near a mode: row c = mode + N(0, jitter^2) per coordinate (the
/// stream (seed, kStartStream) of inference::ChainRng, chains in order: not a stream NUTS's
/// chains use, whose indices are 0..chains-1), each step halved toward the
/// mode until the log density is finite (start_inside). Deterministic for a seed.
[[nodiscard]] inline Matrix panel_nuts_starts(const PanelTrustModel& model, const Vector& mode, int chains,
                                              std::uint64_t seed, double jitter = 0.1) {
  if (mode.size() != model.dimension()) fail("mode has ", mode.size(), " values, the model has ", model.dimension());
  if (chains < 1) fail("chains must be >= 1, got ", chains);
  if (!(jitter >= 0.0) || !std::isfinite(jitter)) fail("jitter must be finite and >= 0, got ", jitter);
  inference::ChainRng rng(seed, kStartStream);  // (fit.hpp)
  PanelWorkspace ws;
  Vector g(model.dimension());
  const auto finite = [&](const Vector& z) { return std::isfinite(model.log_density(z, g, ws)); };
  Matrix out(chains, model.dimension());
  for (int c = 0; c < chains; ++c) {
    Vector step(model.dimension());
    for (double& s : step) s = jitter * rng.normal();
    out.row(c) = start_inside(mode, step, finite).transpose();
  }
  return out;
}

}  // namespace trustmix::mmm
