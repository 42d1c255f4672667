#pragma once
// Maps from the unconstrained real line to constrained parameters, with the log-Jacobian
// term the density needs and the derivatives the chain rule needs.
//
// If x = g(u) and the model's density is p_x(x), the density of u is
//   log p_u(u) = log p_x(g(u)) + log|g'(u)|,
// and d log p_u / du = (d log p_x / dx) g'(u) + d log|g'(u)| / du.
// Each helper returns g(u), g'(u), log|g'(u)| and its derivative in u, so a target writes
//   lp += log_jacobian; grad_u = grad_x * derivative + log_jacobian_gradient.
#include "trustmix/core/error.hpp"

#include <cmath>

namespace trustmix::inference {

/// A constrained value x = g(u) with the pieces of the change of variables.
struct Constrained {
  double value = 0.0;                  ///< x = g(u)
  double derivative = 0.0;             ///< g'(u) = dx/du
  double log_jacobian = 0.0;           ///< log|g'(u)|
  double log_jacobian_gradient = 0.0;  ///< d log|g'(u)| / du
};

/// Numerically stable logistic function 1 / (1 + exp(-u)).
[[nodiscard]] inline double inv_logit(double u) {
  if (u >= 0.0) return 1.0 / (1.0 + std::exp(-u));
  const double e = std::exp(u);
  return e / (1.0 + e);
}

/// log(1 / (1 + exp(-u))) without overflow.
[[nodiscard]] inline double log_inv_logit(double u) {
  return u >= 0.0 ? -std::log1p(std::exp(-u)) : u - std::log1p(std::exp(u));
}

/// Positive parameter x = lower + exp(u) (x > lower); log|J| = u, d log|J|/du = 1.
[[nodiscard]] inline Constrained positive(double u, double lower = 0.0) {
  const double e = std::exp(u);
  return {lower + e, e, u, 1.0};
}

/// Inverse of positive(): u = log(x - lower). Requires x > lower.
[[nodiscard]] inline double positive_unconstrain(double x, double lower = 0.0) {
  if (!(x > lower)) fail("x must be > ", lower, " for the log transform, got ", x);
  return std::log(x - lower);
}

/// Unit-interval parameter x = 1/(1+exp(-u)) in (0, 1);
/// log|J| = log x + log(1 - x), d log|J|/du = 1 - 2x.
[[nodiscard]] inline Constrained unit_interval(double u) {
  const double x = inv_logit(u);
  return {x, x * (1.0 - x), log_inv_logit(u) + log_inv_logit(-u), 1.0 - 2.0 * x};
}

/// Inverse of unit_interval(): u = log(x / (1 - x)). Requires 0 < x < 1.
[[nodiscard]] inline double unit_interval_unconstrain(double x) {
  if (!(x > 0.0 && x < 1.0)) fail("x must be in (0, 1) for the logit transform, got ", x);
  return std::log(x) - std::log1p(-x);
}

/// Bounded parameter x = a + (b - a) / (1 + exp(-u)) in (a, b);
/// log|J| = log(b - a) + log s + log(1 - s) with s = inv_logit(u), d log|J|/du = 1 - 2s.
[[nodiscard]] inline Constrained bounded(double u, double a, double b) {
  const double s = inv_logit(u);
  const double width = b - a;
  return {a + width * s, width * s * (1.0 - s), std::log(width) + log_inv_logit(u) + log_inv_logit(-u), 1.0 - 2.0 * s};
}

/// Inverse of bounded(): u = logit((x - a) / (b - a)). Requires a < x < b.
[[nodiscard]] inline double bounded_unconstrain(double x, double a, double b) {
  if (!(a < b)) fail("bounds must satisfy a < b, got a = ", a, ", b = ", b);
  if (!(x > a && x < b)) fail("x must be in (", a, ", ", b, "), got ", x);
  return unit_interval_unconstrain((x - a) / (b - a));
}

}  // namespace trustmix::inference
