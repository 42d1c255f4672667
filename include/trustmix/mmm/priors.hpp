#pragma once
// Prior terms shared by the national trust-linked model (trust_model.hpp) and the geo panel
// model (panel_model.hpp), each on the model's unconstrained coordinate and with its
// log-Jacobian (MODEL.md section 5). Every function returns the log density term (up to an
// additive constant) and its derivative with respect to the free coordinate, so the two
// models add exactly the same numbers.
#include <cmath>
#include <numbers>

namespace trustmix::mmm::priors {

/// A log density term and its derivative with respect to the free coordinate.
struct LogTerm {
  double value = 0.0;     ///< log density (+ log-Jacobian), up to a constant
  double gradient = 0.0;  ///< d value / d free coordinate
};

/// value ~ HalfNormal(sd), free coordinate z = ln value (log-Jacobian ln value):
///   -value^2 / (2 sd^2) + ln value,  d/dz = -value^2 / sd^2 + 1.
[[nodiscard]] inline LogTerm half_normal_on_log(double value, double sd) {
  return {-0.5 * value * value / (sd * sd) + std::log(value), -value * value / (sd * sd) + 1.0};
}

/// Adstock alpha ~ Beta(a, b), free coordinate z = logit alpha (log-Jacobian
/// ln alpha + ln(1 - alpha)): a ln alpha + b ln(1 - alpha) (+ const),
///   d/dz = a (1 - alpha) - b alpha.
[[nodiscard]] inline LogTerm beta_on_logit(double alpha, double a, double b) {
  return {a * std::log(alpha) + b * std::log1p(-alpha), a * (1.0 - alpha) - b * alpha};
}

/// Saturation lam ~ Gamma(shape, rate), free coordinate z = ln lam (log-Jacobian z):
///   shape z - rate lam (+ const),  d/dz = shape - rate lam.
[[nodiscard]] inline LogTerm gamma_on_log(double z, double lam, double shape, double rate) {
  return {shape * z - rate * lam, shape - rate * lam};
}

/// Trust retention delta through a LogNormal(ln median, sd_log) prior on the half-life
/// h = ln 2 / u, u = -ln delta (periods), free coordinate z = logit delta. With the
/// Jacobians |dh/d delta| and delta (1 - delta):
///   -ln u - (ln h - m)^2 / (2 s^2) + ln(1 - delta)   (+ const), m = ln median, s = sd_log;
///   d/dz = (-1/u + (ln h - m) / (s^2 u)) (-(1 - delta)) - delta.
[[nodiscard]] inline LogTerm half_life_on_logit(double delta, double median, double sd_log) {
  const double u = -std::log(delta);
  const double lh = std::log(std::numbers::ln2) - std::log(u);
  const double m = std::log(median), s2 = sd_log * sd_log;
  const double df_du = -1.0 / u + (lh - m) / (s2 * u);
  return {-std::log(u) - 0.5 * (lh - m) * (lh - m) / s2 + std::log1p(-delta), df_du * (-(1.0 - delta)) - delta};
}

}  // namespace trustmix::mmm::priors
