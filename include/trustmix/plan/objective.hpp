#pragma once
// Planning criteria over posterior draws and their exact gradients (issue 15), and a
// response-curve objective without carry-over (closed-form checks, quick what-ifs).
//
// Per draw i the planner's model gives Y_i(s) (evaluator.hpp: outcome units over horizon +
// tail). A goal turns it into V_i(s):
//   outcome:    V_i = Y_i
//   value:      V_i = v Y_i                        (v: value of one unit of outcome)
//   net_value:  V_i = v Y_i - (1 + r) sum_{t,c} s[t, c]   (value minus the plan's spend;
//               r = Criterion::marginal_roi, default 0: at an optimum where spend is free
//               to vary, every funded cell's marginal value v dY_i/ds is 1 + r on average
//               over the draws, i.e. its marginal ROI (net, as ROI everywhere) is r)
// and a risk measure aggregates over the n draws (order statistics V_(1) <= ... <= V_(n)):
//   mean:       R = (1/n) sum_i V_i
//   quantile:   R = the level-q quantile, linear interpolation between order statistics
//               (numpy's default): h = (n - 1) q, R = V_(floor h) + (h - floor h)(V_(floor h + 1) - V_(floor h))
//   cvar:       R = the mean of the worst share q of the draws (lower tail):
//               k = q n, R = (sum_{j < floor k} V_(j) + (k - floor k) V_(floor k)) / k
//   prob_beat:  R = (1/n) sum_i sigmoid((V_i - V_i^ref) / tau): the probability that the
//               plan beats a reference plan (the status quo) draw by draw, smoothed with
//               the width tau (outcome or value units) so that it has a gradient; tau -> 0
//               is the step function.
// The gradient of each is the same weighted sum of the per-draw gradients (weights from
// the order statistics or the sigmoid's slope); quantile and CVaR are differentiable where
// no two draws tie. Reductions over draws run serially in draw order: results are
// bit-identical for every thread count.
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/plan/evaluator.hpp"

namespace trustmix::plan {

enum class Goal : std::uint8_t { outcome, value, net_value };
enum class Measure : std::uint8_t { mean, quantile, cvar, prob_beat };

[[nodiscard]] inline const char* to_string(Goal g) {
  switch (g) {
    case Goal::outcome: return "outcome";
    case Goal::value: return "value";
    case Goal::net_value: return "net_value";
  }
  return "?";
}
[[nodiscard]] inline const char* to_string(Measure m) {
  switch (m) {
    case Measure::mean: return "mean";
    case Measure::quantile: return "quantile";
    case Measure::cvar: return "cvar";
    case Measure::prob_beat: return "prob_beat";
  }
  return "?";
}

/// What a plan is judged by (see the top of this file).
struct Criterion {
  Goal goal = Goal::net_value;
  Measure measure = Measure::mean;
  double value_per_outcome = 1.0;  ///< v (currency per unit of outcome)
  double level = 0.1;              ///< quantile level q, or the CVaR's tail share q, in (0, 1)
  double tau = 1.0;                ///< prob_beat: smoothing width (units of V)
  double marginal_roi = 0.0;       ///< net_value: spend counted at 1 + r; the target marginal ROI r > -1
  Vector reference;                ///< prob_beat: V_i of the reference plan, one per draw
};

inline void check_criterion(const Criterion& k, Eigen::Index n) {
  if (!(k.value_per_outcome > 0.0) || !std::isfinite(k.value_per_outcome))
    fail("value_per_outcome must be finite and > 0, got ", k.value_per_outcome);
  if (!(k.marginal_roi > -1.0) || !std::isfinite(k.marginal_roi))
    fail("marginal_roi (the target marginal ROI, net) must be finite and > -1, got ", k.marginal_roi);
  if ((k.measure == Measure::quantile || k.measure == Measure::cvar) && !(k.level > 0.0 && k.level < 1.0))
    fail("level (the quantile or the CVaR's tail share) must be in (0, 1), got ", k.level);
  if (k.measure == Measure::prob_beat) {
    if (!(k.tau > 0.0) || !std::isfinite(k.tau))
      fail("tau (prob_beat's smoothing width) must be finite and > 0, got ", k.tau);
    if (k.reference.size() != n)
      fail("prob_beat needs the reference plan's value for each of the ", n, " draws, got ", k.reference.size());
  }
}

/// Per-draw V_i of a goal from Y_i (and the schedule's total spend).
[[nodiscard]] inline Vector goal_values(const Criterion& k, const Vector& y, double total_spend) {
  // Plain loops: GCC 12's -Warray-bounds misreads Eigen's packet path as reading past the
  // vector when the planner runs on a single draw (size 1, constant-propagated).
  Vector v(y.size());
  switch (k.goal) {
    case Goal::outcome: v = y; break;
    case Goal::value:
      for (Eigen::Index i = 0; i < y.size(); ++i) v[i] = k.value_per_outcome * y[i];
      break;
    case Goal::net_value:
      for (Eigen::Index i = 0; i < y.size(); ++i) v[i] = k.value_per_outcome * y[i] - (1.0 + k.marginal_roi) * total_spend;
      break;
  }
  return v;
}

/// The weights of the draws in the risk measure's gradient, dR/dV_i, and R itself.
[[nodiscard]] inline double risk(const Criterion& k, const Vector& v, Vector& weight) {
  const Eigen::Index n = v.size();
  weight = Vector::Zero(n);
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  auto sorted = [&] {
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return v[a] < v[b]; });
  };
  switch (k.measure) {
    case Measure::mean: {
      weight.setConstant(1.0 / static_cast<double>(n));
      double s = 0.0;
      for (Eigen::Index i = 0; i < n; ++i) s += v[i];
      return s / static_cast<double>(n);
    }
    case Measure::quantile: {
      sorted();
      const double h = static_cast<double>(n - 1) * k.level;
      const auto lo = static_cast<Eigen::Index>(std::floor(h));
      const Eigen::Index hi = std::min(lo + 1, n - 1);
      const double f = h - static_cast<double>(lo);
      const auto a = order[static_cast<std::size_t>(lo)], b = order[static_cast<std::size_t>(hi)];
      weight[a] += 1.0 - f;
      weight[b] += f;
      return v[a] + f * (v[b] - v[a]);
    }
    case Measure::cvar: {
      sorted();
      const double kk = k.level * static_cast<double>(n);
      const auto whole = static_cast<Eigen::Index>(std::floor(kk));
      double s = 0.0;
      for (Eigen::Index j = 0; j < whole && j < n; ++j) {
        s += v[order[static_cast<std::size_t>(j)]];
        weight[order[static_cast<std::size_t>(j)]] = 1.0 / kk;
      }
      const double f = kk - static_cast<double>(whole);
      if (f > 0.0 && whole < n) {
        s += f * v[order[static_cast<std::size_t>(whole)]];
        weight[order[static_cast<std::size_t>(whole)]] = f / kk;
      }
      return s / kk;
    }
    case Measure::prob_beat: {
      double s = 0.0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const double x = (v[i] - k.reference[i]) / k.tau;
        const double p = x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
        s += p;
        weight[i] = p * (1.0 - p) / (k.tau * static_cast<double>(n));
      }
      return s / static_cast<double>(n);
    }
  }
  return 0.0;
}

/// R(s) of a criterion on an objective; with grad != nullptr, dR/ds (H x C).
/// per_draw (optional) receives the V_i.
[[nodiscard]] inline double evaluate_criterion(const DrawObjective& obj, const Criterion& k, const Matrix& spend,
                                               Matrix* grad = nullptr, Vector* per_draw = nullptr) {
  const Eigen::Index n = obj.draws(), H = obj.periods(), C = obj.channels();
  check_criterion(k, n);
  const double a = k.goal == Goal::outcome ? 1.0 : k.value_per_outcome;
  // The gradient is sum_i a w_i dY_i/ds (w_i = dR/dV_i): for the mean the weights are
  // known before the values (one pass); for the others the values come first, then the
  // gradients of the draws with w_i != 0 (quantile: 2 draws, CVaR: the worst share).
  // (prob_beat weighs every draw: one pass with every draw's gradient.)
  Vector y, g, w;
  Matrix grads;
  if (grad != nullptr && k.measure == Measure::mean) {
    obj.evaluate_weighted(spend, Vector::Constant(n, a / static_cast<double>(n)), true, y, g);
  } else {
    obj.evaluate(spend, y, grad != nullptr && k.measure == Measure::prob_beat ? &grads : nullptr);
  }
  const Vector v = goal_values(k, y, spend.sum());
  const double r = risk(k, v, w);
  if (per_draw != nullptr) *per_draw = v;
  if (grad != nullptr) {
    if (k.measure == Measure::prob_beat) {
      g = Vector::Zero(H * C);
      for (Eigen::Index i = 0; i < n; ++i)  // serial, draw order
        if (w[i] != 0.0) g += (a * w[i]) * grads.col(i);
    } else if (k.measure != Measure::mean) {
      Vector unused;
      obj.evaluate_weighted(spend, a * w, false, unused, g);
    }
    grad->resize(H, C);
    for (Eigen::Index c = 0; c < C; ++c) grad->col(c) = g.segment(H * c, H);
    if (k.goal == Goal::net_value) grad->array() -= (1.0 + k.marginal_roi) * w.sum();
  }
  return r;
}

// ------------------------------------------------------------------ response curves

/// Saturation curves of CurveObjective: f(x) for spend x >= 0 and scale k > 0 (shape s).
enum class Curve : std::uint8_t {
  michaelis_menten,  ///< x / (k + x)
  exponential,       ///< 1 - exp(-x / k)
  hill,              ///< x^s / (x^s + k^s)   (S-shaped for s > 1)
  logistic,          ///< tanh(x / (2 k))     (the trust model's saturation with lam = 1 / k)
};

/// A separable response without carry-over: per draw i,
///   Y_i(s) = sum_{t, c} beta[i, c] f_c(s[t, c]; k[i, c], shape[c]),
/// the textbook setting in which equal marginal returns give the optimum in closed form
/// (Michaelis-Menten, exponential) and in which a concave curve favours even spend and an
/// S-shaped one pulses. beta, k: n_draws x C; shape: C (Hill only).
class CurveObjective final : public DrawObjective {
 public:
  CurveObjective(Curve curve, Matrix beta, Matrix k, Vector shape, Eigen::Index periods)
      : curve_(curve), beta_(std::move(beta)), k_(std::move(k)), shape_(std::move(shape)), H_(periods) {
    if (beta_.rows() < 1 || beta_.cols() < 1) fail("beta must be n_draws x channels with n_draws, channels >= 1");
    if (k_.rows() != beta_.rows() || k_.cols() != beta_.cols()) fail("k must have the shape of beta");
    if (shape_.size() == 0) shape_ = Vector::Ones(beta_.cols());
    if (shape_.size() != beta_.cols()) fail("shape needs one value per channel");
    if (H_ < 1) fail("periods must be >= 1");
    if (!((k_.array() > 0.0).all() && k_.allFinite() && beta_.allFinite() && (shape_.array() > 0.0).all()))
      fail("k and shape must be finite and > 0, beta finite");
  }
  [[nodiscard]] Eigen::Index draws() const override { return beta_.rows(); }
  [[nodiscard]] Eigen::Index periods() const override { return H_; }
  [[nodiscard]] Eigen::Index channels() const override { return beta_.cols(); }
  /// Concave when every beta >= 0 and every curve is concave on x >= 0: Michaelis-Menten,
  /// exponential, logistic, and Hill with shape <= 1.
  [[nodiscard]] bool concave() const override {
    if ((beta_.array() < 0.0).any()) return false;
    return curve_ != Curve::hill || (shape_.array() <= 1.0).all();
  }
  void evaluate(const Matrix& spend, Vector& values, Matrix* grads) const override {
    const Eigen::Index n = draws(), C = channels();
    if (spend.rows() != H_ || spend.cols() != C)
      fail("schedule must be ", H_, " x ", C, ", got ", spend.rows(), " x ", spend.cols());
    values.resize(n);
    if (grads != nullptr) grads->resize(H_ * C, n);
    for (Eigen::Index i = 0; i < n; ++i) {
      double y = 0.0;
      for (Eigen::Index c = 0; c < C; ++c)
        for (Eigen::Index t = 0; t < H_; ++t) {
          double d = 0.0;
          y += beta_(i, c) * f(std::max(spend(t, c), 0.0), k_(i, c), shape_[c], d);
          if (grads != nullptr) (*grads)(t + H_ * c, i) = beta_(i, c) * d;
        }
      values[i] = y;
    }
  }
  /// f(x) and its derivative df/dx.
  [[nodiscard]] double f(double x, double k, double s, double& d) const {
    switch (curve_) {
      case Curve::michaelis_menten: d = k / ((k + x) * (k + x)); return x / (k + x);
      case Curve::exponential: {
        const double e = std::exp(-x / k);
        d = e / k;
        return -std::expm1(-x / k);
      }
      case Curve::hill: {
        if (x <= 0.0) {
          d = s == 1.0 ? 1.0 / k : 0.0;
          return 0.0;
        }
        const double r = std::pow(x / k, s);
        d = s * r / (x * (1.0 + r) * (1.0 + r));
        return r / (1.0 + r);
      }
      case Curve::logistic: {
        const double h = std::tanh(x / (2.0 * k));
        d = (1.0 - h * h) / (2.0 * k);
        return h;
      }
    }
    d = 0.0;
    return 0.0;
  }

 private:
  Curve curve_;
  Matrix beta_, k_;
  Vector shape_;
  Eigen::Index H_;
};

}  // namespace trustmix::plan
