#pragma once
// Conversions between a per-period retention (decay) rate r in (0, 1) and the ways
// people state carry-over. Apply to geometric adstock alpha and trust retention delta.
//
//   half_life(r)   = ln 0.5 / ln r     periods until an impulse's effect has halved
//   duration_90(r) = ln 0.1 / ln r     periods until 90% of its total effect is delivered
//                                      (1 - r^n = 0.9)
// and their inverses r = 0.5^(1/h), r = 0.1^(1/d).
#include <cmath>

#include "trustmix/core/error.hpp"

namespace trustmix::transforms {

[[nodiscard]] inline double half_life(double rate) {
  trustmix::detail::require_in_range(rate, "rate", 0.0, 1.0, true, true);
  return std::log(0.5) / std::log(rate);
}
[[nodiscard]] inline double rate_from_half_life(double half_life_periods) {
  trustmix::detail::require_positive(half_life_periods, "half_life");
  return std::pow(0.5, 1.0 / half_life_periods);
}
[[nodiscard]] inline double duration_90(double rate) {
  trustmix::detail::require_in_range(rate, "rate", 0.0, 1.0, true, true);
  return std::log(0.1) / std::log(rate);
}
[[nodiscard]] inline double rate_from_duration_90(double periods) {
  trustmix::detail::require_positive(periods, "duration_90");
  return std::pow(0.1, 1.0 / periods);
}
/// Converts a rate per period of `from_days` days to the same decay per period of `to_days`.
[[nodiscard]] inline double convert_rate(double rate, double from_days, double to_days) {
  trustmix::detail::require_in_range(rate, "rate", 0.0, 1.0, false, false);
  trustmix::detail::require_positive(from_days, "from_days");
  trustmix::detail::require_positive(to_days, "to_days");
  return std::pow(rate, to_days / from_days);
}

}  // namespace trustmix::transforms
