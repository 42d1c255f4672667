#pragma once
// Built-in targets with known answers, for tests, benchmarks and Python users. Each
// satisfies the Target concept; the ones with constrained parameters also
// ConstrainedTarget.
#include "trustmix/core/error.hpp"
#include "trustmix/inference/constraints.hpp"
#include "trustmix/inference/target_concept.hpp"

#include <Eigen/Dense>

#include <array>
#include <cmath>
#include <string>
#include <vector>

namespace trustmix::inference::targets {

/// Standard normal in d dimensions: log p(x) = -x'x / 2.
class StandardNormal {
 public:
  explicit StandardNormal(Eigen::Index dimension) : d_(dimension) {
    if (d_ < 1) fail("dimension must be >= 1, got ", d_);
  }
  [[nodiscard]] Eigen::Index dimension() const { return d_; }
  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> gradient) const {
    gradient = -x;
    return -0.5 * x.squaredNorm();
  }

 private:
  Eigen::Index d_;
};

/// Multivariate normal N(mean, covariance): log p(x) = -(x - mean)' Sigma^{-1} (x - mean) / 2.
class CorrelatedGaussian {
 public:
  CorrelatedGaussian(Eigen::VectorXd mean, const Eigen::MatrixXd& covariance) : mean_(std::move(mean)) {
    if (covariance.rows() != mean_.size() || covariance.cols() != mean_.size())
      fail("covariance must be ", mean_.size(), " x ", mean_.size(), " to match mean, got ", covariance.rows(), " x ",
           covariance.cols());
    if (mean_.size() < 1) fail("mean must have at least one element");
    if (!mean_.allFinite() || !covariance.allFinite()) fail("mean and covariance must be finite");
    if (!covariance.isApprox(covariance.transpose(), 1e-12)) fail("covariance must be symmetric");
    const Eigen::LLT<Eigen::MatrixXd> llt(covariance);
    if (llt.info() != Eigen::Success) fail("covariance must be positive definite");
    precision_ = llt.solve(Eigen::MatrixXd::Identity(mean_.size(), mean_.size()));
    precision_ = 0.5 * (precision_ + precision_.transpose()).eval();
    precision_mean_ = precision_ * mean_;
  }
  [[nodiscard]] Eigen::Index dimension() const { return mean_.size(); }
  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> gradient) const {
    // P x - P mean: no temporary vector in the hot loop.
    gradient.noalias() = precision_ * x;
    gradient -= precision_mean_;
    const double quadratic = (x - mean_).dot(gradient);
    gradient = -gradient;
    return -0.5 * quadratic;
  }
  /// Exact Hessian of log p: -Sigma^{-1}.
  void log_density_hessian(Eigen::Ref<const Eigen::VectorXd> /*x*/, Eigen::Ref<Eigen::MatrixXd> hessian) const {
    hessian = -precision_;
  }
  [[nodiscard]] const Eigen::VectorXd& mean() const { return mean_; }
  [[nodiscard]] const Eigen::MatrixXd& precision() const { return precision_; }

  /// Covariance with unit variances and correlation rho^|i-j| (AR(1)) scaled by scales.
  [[nodiscard]] static Eigen::MatrixXd ar1_covariance(const Eigen::VectorXd& scales, double rho) {
    trustmix::detail::require_in_range(rho, "rho", -1.0, 1.0, true, true);
    const Eigen::Index d = scales.size();
    Eigen::MatrixXd s(d, d);
    for (Eigen::Index i = 0; i < d; ++i)
      for (Eigen::Index j = 0; j < d; ++j)
        s(i, j) = scales[i] * scales[j] * std::pow(rho, static_cast<double>(i > j ? i - j : j - i));
    return s;
  }

 private:
  Eigen::VectorXd mean_;
  Eigen::MatrixXd precision_;
  Eigen::VectorXd precision_mean_;
};

/// Gamma(shape, rate) on x > 0 sampled as u = log x:
/// log p(u) = shape * u - rate * exp(u) (density (shape-1) log x - rate x plus log|J| = u).
class GammaTarget {
 public:
  GammaTarget(double shape, double rate) : shape_(shape), rate_(rate) {
    trustmix::detail::require_positive(shape, "shape");
    trustmix::detail::require_positive(rate, "rate");
  }
  [[nodiscard]] Eigen::Index dimension() const { return 1; }
  [[nodiscard]] Eigen::Index constrained_dimension() const { return 1; }
  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> u, Eigen::Ref<Eigen::VectorXd> gradient) const {
    const Constrained x = positive(u[0]);
    // d/dx [(shape-1) log x - rate x] = (shape-1)/x - rate.
    gradient[0] = ((shape_ - 1.0) / x.value - rate_) * x.derivative + x.log_jacobian_gradient;
    return (shape_ - 1.0) * std::log(x.value) - rate_ * x.value + x.log_jacobian;
  }
  void constrain(Eigen::Ref<const Eigen::VectorXd> u, Eigen::Ref<Eigen::VectorXd> x) const { x[0] = std::exp(u[0]); }
  [[nodiscard]] std::vector<std::string> parameter_names() const { return {"x"}; }

 private:
  double shape_, rate_;
};

/// Beta(a, b) on (0, 1) sampled as u = logit x:
/// log p(u) = (a-1) log x + (b-1) log(1-x) + log x + log(1-x).
class BetaTarget {
 public:
  BetaTarget(double a, double b) : a_(a), b_(b) {
    trustmix::detail::require_positive(a, "a");
    trustmix::detail::require_positive(b, "b");
  }
  [[nodiscard]] Eigen::Index dimension() const { return 1; }
  [[nodiscard]] Eigen::Index constrained_dimension() const { return 1; }
  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> u, Eigen::Ref<Eigen::VectorXd> gradient) const {
    const Constrained x = unit_interval(u[0]);
    const double log_x = log_inv_logit(u[0]);
    const double log_1mx = log_inv_logit(-u[0]);
    // d/dx [(a-1) log x + (b-1) log(1-x)] = (a-1)/x - (b-1)/(1-x); times dx/du = x(1-x).
    gradient[0] = (a_ - 1.0) * (1.0 - x.value) - (b_ - 1.0) * x.value + x.log_jacobian_gradient;
    return (a_ - 1.0) * log_x + (b_ - 1.0) * log_1mx + x.log_jacobian;
  }
  void constrain(Eigen::Ref<const Eigen::VectorXd> u, Eigen::Ref<Eigen::VectorXd> x) const { x[0] = inv_logit(u[0]); }
  [[nodiscard]] std::vector<std::string> parameter_names() const { return {"x"}; }

 private:
  double a_, b_;
};

/// Neal's funnel (Neal 2003): v ~ N(0, 3^2), x_i | v ~ N(0, exp(v)), i = 1..d-1.
/// Centred (default), the sampler moves in (v, x) and
///   log p = -v^2/18 - (d-1) v / 2 - sum x_i^2 exp(-v) / 2,
/// whose narrow neck causes divergences. Non-centred, it moves in (v, z) with
/// x_i = exp(v/2) z_i and log p = -v^2/18 - sum z_i^2 / 2 (an isotropic Gaussian up to
/// scale), the standard cure. Reported parameters are (v, x_1, ...) either way.
class Funnel {
 public:
  explicit Funnel(Eigen::Index dimension = 10, bool non_centred = false) : d_(dimension), non_centred_(non_centred) {
    if (d_ < 2) fail("dimension must be >= 2 for the funnel (v and at least one x), got ", d_);
  }
  [[nodiscard]] Eigen::Index dimension() const { return d_; }
  [[nodiscard]] Eigen::Index constrained_dimension() const { return d_; }
  [[nodiscard]] bool non_centred() const { return non_centred_; }
  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> theta, Eigen::Ref<Eigen::VectorXd> gradient) const {
    const double v = theta[0];
    const auto x = theta.tail(d_ - 1);
    if (non_centred_) {
      gradient[0] = -v / 9.0;
      gradient.tail(d_ - 1) = -x;
      return -v * v / 18.0 - 0.5 * x.squaredNorm();
    }
    const double inv_var = std::exp(-v);
    const double ss = x.squaredNorm();
    const auto k = static_cast<double>(d_ - 1);
    gradient[0] = -v / 9.0 - 0.5 * k + 0.5 * ss * inv_var;
    gradient.tail(d_ - 1) = -inv_var * x;
    return -v * v / 18.0 - 0.5 * k * v - 0.5 * ss * inv_var;
  }
  void constrain(Eigen::Ref<const Eigen::VectorXd> theta, Eigen::Ref<Eigen::VectorXd> out) const {
    out = theta;
    if (non_centred_) out.tail(d_ - 1) *= std::exp(0.5 * theta[0]);
  }
  [[nodiscard]] std::vector<std::string> parameter_names() const {
    std::vector<std::string> names{"v"};
    for (Eigen::Index i = 1; i < d_; ++i) names.push_back("x[" + std::to_string(i - 1) + "]");
    return names;
  }

 private:
  Eigen::Index d_;
  bool non_centred_;
};

/// Eight schools (Rubin 1981), non-centred:
/// mu ~ N(0, 5^2), tau ~ HalfCauchy(5), eta_j ~ N(0, 1), theta_j = mu + tau eta_j,
/// y_j ~ N(theta_j, sigma_j^2). Unconstrained parameters (mu, log tau, eta_1..eta_8);
/// reported parameters (mu, tau, eta_1..eta_8).
class EightSchools {
 public:
  static constexpr std::array<double, 8> y{28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0};
  static constexpr std::array<double, 8> sigma{15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0};
  [[nodiscard]] Eigen::Index dimension() const { return 10; }
  [[nodiscard]] Eigen::Index constrained_dimension() const { return 10; }
  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> theta, Eigen::Ref<Eigen::VectorXd> gradient) const {
    const double mu = theta[0];
    const Constrained tau = positive(theta[1]);
    const double t = tau.value;
    // Half-Cauchy(5): log p(tau) = -log(1 + (tau/5)^2) + const.
    double lp = -mu * mu / 50.0 - std::log1p(t * t / 25.0) + tau.log_jacobian;
    double d_mu = -mu / 25.0;
    double d_tau = -(2.0 * t / 25.0) / (1.0 + t * t / 25.0);
    for (std::size_t j = 0; j < 8; ++j) {
      const auto k = static_cast<Eigen::Index>(j);
      const double eta = theta[k + 2];
      const double r = (y[j] - mu - t * eta) / sigma[j];
      lp += -0.5 * eta * eta - 0.5 * r * r;
      d_mu += r / sigma[j];
      d_tau += r * eta / sigma[j];
      gradient[k + 2] = -eta + r * t / sigma[j];
    }
    gradient[0] = d_mu;
    gradient[1] = d_tau * tau.derivative + tau.log_jacobian_gradient;
    return lp;
  }
  void constrain(Eigen::Ref<const Eigen::VectorXd> theta, Eigen::Ref<Eigen::VectorXd> out) const {
    out = theta;
    out[1] = std::exp(theta[1]);
  }
  [[nodiscard]] std::vector<std::string> parameter_names() const {
    std::vector<std::string> names{"mu", "tau"};
    for (int j = 0; j < 8; ++j) names.push_back("eta[" + std::to_string(j) + "]");
    return names;
  }
};

/// Bayesian logistic regression: y_i ~ Bernoulli(1/(1+exp(-x_i' beta))), beta_k ~ N(0, s^2).
/// log p = sum_i [y_i eta_i - log(1 + exp(eta_i))] - beta'beta / (2 s^2), eta = X beta.
class LogisticRegression {
 public:
  LogisticRegression(Eigen::MatrixXd x, Eigen::VectorXd y, double prior_scale = 10.0)
      : x_(std::move(x)), y_(std::move(y)), prior_scale_(prior_scale) {
    if (x_.rows() != y_.size()) fail("X has ", x_.rows(), " rows but y has ", y_.size(), " elements");
    if (x_.cols() < 1) fail("X must have at least one column");
    if (!x_.allFinite()) fail("X must be finite");
    for (Eigen::Index i = 0; i < y_.size(); ++i)
      if (y_[i] != 0.0 && y_[i] != 1.0) fail("y[", i, "] must be 0 or 1, got ", y_[i]);
    trustmix::detail::require_positive(prior_scale, "prior_scale");
  }
  [[nodiscard]] Eigen::Index dimension() const { return x_.cols(); }
  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> beta, Eigen::Ref<Eigen::VectorXd> gradient) const {
    const Eigen::VectorXd eta = x_ * beta;
    double lp = -0.5 * beta.squaredNorm() / (prior_scale_ * prior_scale_);
    Eigen::VectorXd residual(eta.size());
    for (Eigen::Index i = 0; i < eta.size(); ++i) {
      // log(1 + exp(eta)) = -log_inv_logit(-eta), stable for large |eta|.
      lp += y_[i] * eta[i] + log_inv_logit(-eta[i]);
      residual[i] = y_[i] - inv_logit(eta[i]);
    }
    gradient.noalias() = x_.transpose() * residual;
    gradient -= beta / (prior_scale_ * prior_scale_);
    return lp;
  }
  /// Exact Hessian of log p: -X' diag(p_i (1 - p_i)) X - I / s^2.
  void log_density_hessian(Eigen::Ref<const Eigen::VectorXd> beta, Eigen::Ref<Eigen::MatrixXd> hessian) const {
    const Eigen::VectorXd eta = x_ * beta;
    Eigen::VectorXd w(eta.size());
    for (Eigen::Index i = 0; i < eta.size(); ++i) {
      const double p = inv_logit(eta[i]);
      w[i] = p * (1.0 - p);
    }
    hessian.noalias() = -(x_.transpose() * w.asDiagonal() * x_);
    hessian.diagonal().array() -= 1.0 / (prior_scale_ * prior_scale_);
  }
  [[nodiscard]] std::vector<std::string> parameter_names() const {
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(x_.cols()));
    for (Eigen::Index k = 0; k < x_.cols(); ++k) names.push_back("beta[" + std::to_string(k) + "]");
    return names;
  }

 private:
  Eigen::MatrixXd x_;
  Eigen::VectorXd y_;
  double prior_scale_;
};

}  // namespace trustmix::inference::targets
