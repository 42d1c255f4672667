#pragma once
// A measured lift, in the form the media-mix model consumes as a calibration term: which
// channel was tested, over which periods, the incremental outcome and its standard error
// in outcome units, and iROAS when the test's spend is known.
#include "trustmix/core/error.hpp"
#include "trustmix/evaluate/conformal.hpp"
#include "trustmix/evaluate/synthetic_control.hpp"

#include <boost/math/distributions/normal.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace trustmix::evaluate {

struct LiftTest {
  std::string channel;
  std::vector<Eigen::Index> treated;  ///< panel rows of the treated units
  Eigen::Index start = 0;             ///< first test period (the tested activity changed from here)
  Eigen::Index end = 0;               ///< one past the last period of changed activity
  Eigen::Index cooldown = 0;          ///< periods after the window in which carry-over still counts
  /// One past the last period the lift was summed over: the lift is measured over
  /// [start, measured_end), which is the window (measured_end = end: the cooldown was not
  /// measured) or the window and its cooldown (measured_end = end + cooldown).
  Eigen::Index measured_end = 0;
  double lift = 0.0;  ///< incremental outcome, total over treated units and measured periods (outcome units)
  double standard_error = 0.0;  ///< of lift, outcome units
  double relative_lift = 0.0;  ///< lift / counterfactual total
  double spend = std::numeric_limits<double>::quiet_NaN();  ///< test spend (currency); NaN if not given
  double iroas = std::numeric_limits<double>::quiet_NaN();  ///< lift / spend (outcome units per currency unit)
  double iroas_standard_error = std::numeric_limits<double>::quiet_NaN();
  /// The lift period by period over [start, measured_end) (empty unless built by
  /// as_period_lift_test): the effect of each measured period summed over the treated
  /// units (outcome units; the values sum to `lift`), and its standard error.
  Eigen::VectorXd period_lift, period_standard_error;
};

/// The lift test of a fitted synthetic control with its conformal interval. lift =
/// incremental = att * n_treated * n_post; standard_error = (upper - lower) / (2 z_{1 -
/// alpha/2}) * n_treated * n_post: the conformal interval read as a normal one (an
/// approximation, exact only when the interval is symmetric and normal). The lift is
/// measured over the fit's post window [fit.start, fit.end) = [start, measured_end):
/// with cooldown_measured the window's last `cooldown` periods are the cooldown (the
/// activity changed over [fit.start, fit.end - cooldown), GeoLift style: the treatment
/// window, then cooldown periods whose carry-over the measured lift includes); without
/// it the activity changed over the whole window and the cooldown follows it unmeasured.
inline LiftTest as_lift_test(const SyntheticControlFit& fit, const ConformalResult& inference, const std::string& channel,
                             double spend = std::numeric_limits<double>::quiet_NaN(), Eigen::Index cooldown = 0,
                             bool cooldown_measured = false) {
  if (channel.empty()) fail("channel must name the tested channel");
  if (fit.treated.empty()) fail("the lift test needs at least one treated unit");
  if (inference.lower > inference.upper) fail("interval lower ", inference.lower, " is above upper ", inference.upper);
  if (cooldown < 0) fail("cooldown must be >= 0 periods, got ", cooldown);
  if (cooldown_measured && cooldown >= fit.end - fit.start)
    fail("cooldown (", cooldown, " periods) measured inside the fit's post window (", fit.end - fit.start,
         " periods) leaves no period of changed activity; the window must hold the test's periods and the cooldown");
  if (!std::isnan(spend)) trustmix::detail::require_positive(spend, "spend");
  if (!std::isfinite(inference.lower) || !std::isfinite(inference.upper))
    fail("the conformal interval is not a finite interval (lower ", inference.lower, ", upper ", inference.upper,
         ": empty when no null is accepted, unbounded when the design cannot reject at alpha = ", inference.alpha,
         "): no standard error can be derived");
  LiftTest t;
  t.channel = channel;
  t.treated = fit.treated;
  t.start = fit.start;
  t.end = cooldown_measured ? fit.end - cooldown : fit.end;
  t.measured_end = fit.end;
  t.cooldown = cooldown;
  const double cells = static_cast<double>(fit.treated.size()) * static_cast<double>(fit.end - fit.start);
  t.lift = fit.incremental;
  t.relative_lift = fit.lift;
  const double z = boost::math::quantile(boost::math::normal_distribution<double>(), 1.0 - inference.alpha / 2.0);
  t.standard_error = (inference.upper - inference.lower) / (2.0 * z) * cells;
  t.spend = spend;
  if (!std::isnan(spend)) {
    t.iroas = t.lift / spend;
    t.iroas_standard_error = t.standard_error / spend;
  }
  return t;
}

/// The lift test of as_lift_test with its lift period by period, for a calibration with
/// one term per measured period (a week-by-week lift says how the effect builds and decays,
/// which one total over the window cannot). Over the measured periods j of [fit.start,
/// fit.end):
///
///   period_lift[j] = effect[j] x n_treated                      (sums to lift)
///   period_standard_error[j] = k x (upper_j - lower_j) / (2 z_{1-alpha/2}) x n_treated
///   k = max(1, standard_error / sqrt(sum_j se_j^2))
///
/// with [lower_j, upper_j] the pointwise conformal interval of period j (the per-period
/// effect's interval, ConformalOptions::pointwise) read as a normal one. The factor k is
/// the honest part: a synthetic control's errors persist from period to period (a mismatch
/// of the weights stays), so per-period terms read as independent would know the total
/// better than the test does; scaled by k, their independent sum carries at least the
/// standard error of the total (exactly that when k > 1). An approximation, like the
/// total's: the pointwise intervals are read as normal ones and their correlation is
/// replaced by this one inflation.
inline LiftTest as_period_lift_test(const SyntheticControlFit& fit, const ConformalResult& inference,
                                    const std::string& channel, double spend = std::numeric_limits<double>::quiet_NaN(),
                                    Eigen::Index cooldown = 0, bool cooldown_measured = false) {
  LiftTest t = as_lift_test(fit, inference, channel, spend, cooldown, cooldown_measured);
  const Eigen::Index n_post = fit.end - fit.start;
  if (inference.pointwise_lower.size() != n_post || inference.pointwise_upper.size() != n_post)
    fail("a per-period lift needs the pointwise conformal intervals of the ", n_post,
         " measured periods (ConformalOptions::pointwise, `pointwise=True`), got ", inference.pointwise_lower.size());
  if (fit.effect.size() < fit.end)
    fail("the fit's effect series has ", fit.effect.size(), " periods; the measured window ends at period ", fit.end);
  const double z = boost::math::quantile(boost::math::normal_distribution<double>(), 1.0 - inference.alpha / 2.0);
  const auto n_treated = static_cast<double>(fit.treated.size());
  t.period_lift = fit.effect.segment(fit.start, n_post) * n_treated;
  t.period_standard_error.resize(n_post);
  for (Eigen::Index j = 0; j < n_post; ++j) {
    const double lo = inference.pointwise_lower(j), hi = inference.pointwise_upper(j);
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo))
      fail("the pointwise conformal interval of measured period ", j, " (panel period ", fit.start + j, ") is [", lo, ", ",
           hi, "]: not a finite interval of positive width (too few pre-periods for a per-period test at alpha = ",
           inference.alpha, "); use the total lift (as_lift_test) or a larger alpha");
    t.period_standard_error(j) = (hi - lo) / (2.0 * z) * n_treated;
  }
  const double root = std::sqrt(t.period_standard_error.squaredNorm());
  t.period_standard_error *= std::max(1.0, t.standard_error / root);
  return t;
}

}  // namespace trustmix::evaluate
