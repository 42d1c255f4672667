#pragma once
// The MAP report the Python fits keep (TrustModel.fit_map, PanelModel.fit_map): an
// inference::MapResult reduced to the mode and the optimiser's report, with the
// gradient's largest absolute component. Registered once, by mmm.cpp.
#include <trustmix/inference/map.hpp>

#include <Eigen/Core>

#include <string>
#include <utility>

namespace trustmix::bindings {

struct MapReport {
  Eigen::VectorXd z;  ///< the unconstrained mode
  double log_density = 0.0, gradient_norm = 0.0;
  int iterations = 0, evaluations = 0, restarts = 0;
  bool converged = false;
  std::string message;
};

inline MapReport map_report(inference::MapResult r) {
  MapReport out;
  out.z = std::move(r.mode);
  out.log_density = r.log_density;
  out.gradient_norm = r.gradient.size() ? r.gradient.cwiseAbs().maxCoeff() : 0.0;
  out.iterations = r.iterations;
  out.evaluations = r.evaluations;
  out.restarts = r.restarts;
  out.converged = r.converged;
  out.message = std::move(r.message);
  return out;
}

}  // namespace trustmix::bindings
