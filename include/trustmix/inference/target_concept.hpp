#pragma once
// What the sampler needs from a model: the log density on unconstrained parameters and
// its gradient, written into caller-provided buffers. Checked at compile time by a
// concept, so the sampler's hot loop calls the model directly (no virtual call).
#include <Eigen/Dense>

#include <concepts>
#include <string>
#include <vector>

namespace trustmix::inference {

/// A differentiable log density on R^d (unconstrained parameters).
///
/// `dimension()` returns d. `log_density_gradient(theta, gradient)` returns
/// log p(theta) (up to an additive constant, including any log-Jacobian terms of the
/// transforms to the unconstrained space) and writes d log p / d theta into `gradient`
/// (size d). It must be const and safe to call concurrently from several threads
/// (chains run in parallel on one target object). A non-finite return value marks
/// theta as outside the support; the sampler then rejects the step.
template <class T>
concept Target = requires(const T& t, Eigen::Ref<const Eigen::VectorXd> theta, Eigen::Ref<Eigen::VectorXd> gradient) {
  { t.dimension() } -> std::convertible_to<Eigen::Index>;
  { t.log_density_gradient(theta, gradient) } -> std::convertible_to<double>;
};

/// A target that maps its unconstrained parameters to the constrained ones users read
/// (e.g. tau = exp(u)). Draws are then reported on the constrained scale.
template <class T>
concept ConstrainedTarget = Target<T> && requires(const T& t, Eigen::Ref<const Eigen::VectorXd> theta,
                                                  Eigen::Ref<Eigen::VectorXd> constrained) {
  { t.constrained_dimension() } -> std::convertible_to<Eigen::Index>;
  t.constrain(theta, constrained);
};

/// A target that names its (constrained, if it is a ConstrainedTarget) parameters.
template <class T>
concept NamedTarget = requires(const T& t) {
  { t.parameter_names() } -> std::convertible_to<std::vector<std::string>>;
};

/// Number of reported parameters: the constrained dimension if the target has one.
template <Target T>
[[nodiscard]] Eigen::Index reported_dimension(const T& target) {
  if constexpr (ConstrainedTarget<T>) {
    return static_cast<Eigen::Index>(target.constrained_dimension());
  } else {
    return static_cast<Eigen::Index>(target.dimension());
  }
}

/// Writes the reported (constrained if available) parameters of unconstrained theta.
template <Target T>
void write_reported(const T& target, Eigen::Ref<const Eigen::VectorXd> theta, Eigen::Ref<Eigen::VectorXd> out) {
  if constexpr (ConstrainedTarget<T>) {
    target.constrain(theta, out);
  } else {
    out = theta;
  }
}

/// Parameter names: the target's own, else "x[0]", "x[1]", ...
template <Target T>
[[nodiscard]] std::vector<std::string> parameter_names(const T& target) {
  if constexpr (NamedTarget<T>) {
    return target.parameter_names();
  } else {
    std::vector<std::string> names;
    const Eigen::Index d = reported_dimension(target);
    names.reserve(static_cast<std::size_t>(d));
    for (Eigen::Index i = 0; i < d; ++i) names.push_back("x[" + std::to_string(i) + "]");
    return names;
  }
}

}  // namespace trustmix::inference
