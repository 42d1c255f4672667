#pragma once
// The trust-linked model as a sampler target (trustmix::inference::Target): const,
// thread-safe log density and gradient with one scratch workspace per thread, so several
// NUTS chains share one model.
#include <memory>
#include <string>
#include <vector>

#include "trustmix/mmm/trust_model.hpp"

namespace trustmix::mmm {

class TrustTarget {
 public:
  explicit TrustTarget(std::shared_ptr<const TrustModel> model) : model_(std::move(model)) {
    if (!model_) fail("TrustTarget needs a model");
  }
  explicit TrustTarget(const TrustModel& model) : TrustTarget(std::make_shared<const TrustModel>(model)) {}

  [[nodiscard]] Eigen::Index dimension() const { return model_->dimension(); }
  /// log p(z) up to a constant (with every log-Jacobian) and its gradient at unconstrained z.
  double log_density_gradient(Eigen::Ref<const Vector> z, Eigen::Ref<Vector> gradient) const {
    thread_local TrustModelWorkspace workspace;  // resized on first use by each thread
    return model_->log_density(z, gradient, workspace);
  }
  /// Names of the unconstrained parameters (draws are reported unconstrained; the Python
  /// layer maps them with TrustModel::constrain).
  [[nodiscard]] std::vector<std::string> parameter_names() const { return model_->parameter_names(); }
  [[nodiscard]] const TrustModel& model() const { return *model_; }

 private:
  std::shared_ptr<const TrustModel> model_;
};

}  // namespace trustmix::mmm
