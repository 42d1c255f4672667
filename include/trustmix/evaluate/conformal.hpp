#pragma once
// Inference for synthetic controls that agrees with itself: one conformal procedure
// (Chernozhukov, Wuthrich and Zhu 2021, "An exact and robust conformal inference method
// for counterfactual and synthetic controls", JASA) gives the p-value of "no effect" and,
// inverted over nulls h0, the interval: when the accepted set is an interval (no `hull`
// flag), 0 is outside it exactly when the p-value of 0 is at most alpha. Jackknife+ over time (Barber et al. 2021, as in
// augsynth) is offered as an alternative interval; placebo checks in space and time.
#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/evaluate/synthetic_control.hpp"
#include "trustmix/inference/diagnostics.hpp"
#include "trustmix/inference/rng.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

namespace trustmix::evaluate {

/// How residuals are permuted: iid (any reordering; exact enumeration of the post-period
/// positions when there are at most n_permutations of them, else random draws) or moving
/// block (the T cyclic shifts, always exact; keeps serial dependence).
enum class Permutation { iid, moving_block };

/// Test statistic on the post-period residuals u_t of the null refit:
/// absolute: S = (sum |u_t|^q)^(1/q), GeoLift's "Total" (q = 1): rejects when the
///   residuals are large in any way, so a constant-effect null is also rejected when the
///   effect varies over the window (the interval it inverts to can be empty);
/// mean: S = |sum u_t|, tests the average effect only (the interval is one for the ATT).
enum class Statistic { absolute, mean };

struct ConformalOptions {
  Permutation permutation = Permutation::iid;
  /// iid: number of random permutations when the C(T, T_post) distinct ones are more.
  int n_permutations = 1000;
  /// Statistic S(u) = (sum over post periods |u_t|^q)^(1/q) (GeoLift's "Total": q = 1).
  double q = 1.0;
  /// Level of the intervals (1 - alpha coverage).
  double alpha = 0.1;
  std::uint64_t seed = 0;
  /// Also invert the test period by period (pointwise intervals for each post period).
  bool pointwise = true;
  /// Grid points per interval before the end points are refined by bisection.
  int grid_points = 41;
  Statistic statistic = Statistic::absolute;
};

/// Conformal inference for the average effect per treated unit and period.
struct ConformalResult {
  double p_value =
      1.0;  ///< share of permutations with S(permuted) >= S(observed) under h0 = 0 (random draws: (1 + hits) / (1 + draws))
  double statistic = 0.0;  ///< S of the null-refit residuals
  bool exact = false;  ///< every distinct permutation was enumerated
  int n_permutations = 0;  ///< permutations the p-value averages over
  double alpha = 0.1;
  double lower = std::numeric_limits<double>::quiet_NaN();  ///< {h0 : p(h0) > alpha}, lower end (per geo-period)
  double upper = std::numeric_limits<double>::quiet_NaN();
  Eigen::VectorXd pointwise_lower, pointwise_upper, pointwise_p;  ///< per post period (empty if not asked)
  Eigen::VectorXd null_residuals;  ///< residuals of the refit under h0 = 0, periods [0, end)
  /// The smallest attainable p-value (1 / count exact, 1 / (count + 1) random) exceeds alpha:
  /// no h0 can be rejected, the interval is (-inf, inf). More permutations / pre-periods or a
  /// larger alpha are needed.
  bool cannot_reject = false;
  bool pointwise_cannot_reject = false;  ///< the same for the pointwise tests (start + 1 positions)
  /// A rejected h0 lies between lower and upper: [lower, upper] is the hull of the accepted set.
  bool hull = false;
  bool pointwise_hull = false;  ///< the same for some pointwise interval
};

/// An interval for the average effect and per post period (jackknife+ over time).
struct JackknifeResult {
  double alpha = 0.1;
  double lower = 0.0, upper = 0.0;  ///< average effect per geo-period
  Eigen::VectorXd pointwise_lower, pointwise_upper;
  Eigen::VectorXd held_out_errors;  ///< leave-one-pre-period-out prediction errors
};

/// Placebo in space: each donor in turn treated (the true treated units left out).
struct PlaceboSpaceResult {
  std::vector<Eigen::Index> units;  ///< the placebo units (panel rows)
  Eigen::VectorXd att;  ///< their placebo effects
  Eigen::VectorXd rmspe_ratio;  ///< post / pre root mean squared prediction error
  double treated_ratio = 0.0;
  double p_value = 1.0;  ///< (1 + number of placebo ratios >= the treated ratio) / (1 + number of placebos)
};

/// Placebo in time: the same design moved back by its length, where no effect happened.
struct PlaceboTimeResult {
  SyntheticControlFit fit;
  double p_value = 1.0;
};

namespace detail {

/// The residual positions a permutation puts in the post-period: all subsets (exact),
/// random subsets (iid) or cyclic shifts (moving block). Stored once and reused for
/// every null h0, so p(h0) uses common random numbers and the interval is stable.
class PermutationPlan {
 public:
  static constexpr int max_permutations = 1000000;
  PermutationPlan(Eigen::Index n, Eigen::Index n_post, const ConformalOptions& o) : n_(n), n_post_(n_post) {
    if (o.n_permutations < 1) fail("n_permutations must be >= 1, got ", o.n_permutations);
    if (o.n_permutations > max_permutations)
      fail("n_permutations must be <= ", max_permutations, " (memory for the stored permutations), got ", o.n_permutations);
    if (o.permutation == Permutation::moving_block) {
      exact_ = true;
      for (Eigen::Index s = 0; s < n; ++s)
        for (Eigen::Index k = 0; k < n_post; ++k) positions_.push_back((n - n_post + k + s) % n);
      count_ = n;
      return;
    }
    double combos = 1.0;  // C(n, n_post), stopped once above the budget
    for (Eigen::Index k = 0; k < n_post && combos <= o.n_permutations; ++k)
      combos = combos * static_cast<double>(n - k) / static_cast<double>(k + 1);
    if (combos <= o.n_permutations) {
      exact_ = true;
      std::vector<Eigen::Index> pick(static_cast<std::size_t>(n_post));
      std::iota(pick.begin(), pick.end(), Eigen::Index{0});
      for (;;) {
        positions_.insert(positions_.end(), pick.begin(), pick.end());
        ++count_;
        Eigen::Index i = n_post - 1;  // next combination in lexicographic order
        while (i >= 0 && pick[static_cast<std::size_t>(i)] == n - n_post + i) --i;
        if (i < 0) break;
        ++pick[static_cast<std::size_t>(i)];
        for (Eigen::Index j = i + 1; j < n_post; ++j)
          pick[static_cast<std::size_t>(j)] = pick[static_cast<std::size_t>(j - 1)] + 1;
      }
      return;
    }
    inference::ChainRng rng(o.seed, 0x636f6e66U /* "conf" */);
    std::vector<Eigen::Index> idx(static_cast<std::size_t>(n));
    for (int p = 0; p < o.n_permutations; ++p) {
      std::iota(idx.begin(), idx.end(), Eigen::Index{0});
      for (Eigen::Index k = 0; k < n_post; ++k) {  // partial Fisher-Yates: a uniform random subset
        const auto r = k + static_cast<Eigen::Index>(rng.uniform() * static_cast<double>(n - k));
        std::swap(idx[static_cast<std::size_t>(k)], idx[static_cast<std::size_t>(std::min(r, n - 1))]);
        positions_.push_back(idx[static_cast<std::size_t>(k)]);
      }
    }
    count_ = o.n_permutations;
  }

  /// p-value of residuals u (post-period = the last n_post entries): the share of
  /// permutations whose statistic is at least the observed one.
  double p_value(const Eigen::VectorXd& u, double q, Statistic kind = Statistic::absolute,
                 double* statistic = nullptr) const {
    const bool absolute = kind == Statistic::absolute;
    Eigen::VectorXd a = absolute ? Eigen::VectorXd(u.cwiseAbs()) : u;
    if (absolute && q != 1.0) a = a.array().pow(q).matrix();
    const double observed = absolute ? a.tail(n_post_).sum() : std::abs(a.tail(n_post_).sum());
    if (statistic != nullptr) *statistic = absolute ? std::pow(observed, 1.0 / q) : observed;
    // Rounding in a different summation order counts as a tie.
    const double tie = observed - 1e-12 * (absolute ? observed : a.tail(n_post_).cwiseAbs().sum());
    long hits = 0;
    for (long p = 0; p < count_; ++p) {
      double s = 0.0;
      const Eigen::Index* pos = positions_.data() + p * n_post_;
      for (Eigen::Index k = 0; k < n_post_; ++k) s += a(pos[k]);
      if ((absolute ? s : std::abs(s)) >= tie) ++hits;
    }
    // Enumerations contain the identity, so hits >= 1; random draws get it added (Phipson
    // and Smyth 2010), so a p-value is never 0 and stays valid.
    if (exact_) return static_cast<double>(hits) / static_cast<double>(count_);
    return static_cast<double>(hits + 1) / static_cast<double>(count_ + 1);
  }
  [[nodiscard]] bool exact() const { return exact_; }
  [[nodiscard]] long count() const { return count_; }
  [[nodiscard]] Eigen::Index size() const { return n_; }
  /// The smallest p-value this plan can give (the observed arrangement always counts).
  [[nodiscard]] double min_p_value() const {
    return exact_ ? 1.0 / static_cast<double>(count_) : 1.0 / static_cast<double>(count_ + 1);
  }

 private:
  Eigen::Index n_, n_post_;
  std::vector<Eigen::Index> positions_;
  long count_ = 0;
  bool exact_ = false;
};

/// Refits of the estimator under nulls h0 on selected periods: `rows` of D and X (donor and
/// treated series), the last n_post of them post-periods where h0 is subtracted from the
/// treated outcome. Residuals (observed - synthetic, averaged over cells) for any h0.
class NullRefit {
 public:
  NullRefit(const Eigen::MatrixXd& D, const Eigen::MatrixXd& X, const std::vector<Eigen::Index>& rows, Eigen::Index n_post,
            const SyntheticControlOptions& o, double zeta2)
      : n_post_(n_post) {
    const auto n = static_cast<Eigen::Index>(rows.size());
    Eigen::MatrixXd Ds(n, D.cols());
    Eigen::MatrixXd Xs(n, X.cols());
    for (Eigen::Index i = 0; i < n; ++i) {
      Ds.row(i) = D.row(rows[static_cast<std::size_t>(i)]);
      Xs.row(i) = X.row(rows[static_cast<std::size_t>(i)]);
    }
    if (o.aggregation == Aggregation::average || X.cols() == 1) targets_.emplace_back(Xs.rowwise().mean());
    else
      for (Eigen::Index k = 0; k < X.cols(); ++k) targets_.emplace_back(Xs.col(k));
    problems_.push_back(make_problem(Ds, n, o, zeta2));
    warm_.resize(targets_.size());
  }

  Eigen::VectorXd residuals(double h0) {
    Eigen::VectorXd total;
    for (std::size_t k = 0; k < targets_.size(); ++k) {
      Eigen::VectorXd x = targets_[k];
      x.tail(n_post_).array() -= h0;
      const auto r = problems_.front().solve(x, warm_[k].size() ? &warm_[k] : nullptr);
      warm_[k] = simplex_part(r.weights);
      if (k == 0) total = r.residual;
      else total += r.residual;
    }
    return total / static_cast<double>(targets_.size());
  }

 private:
  // A warm start must be on the simplex (the augmented weights may not be).
  static Eigen::VectorXd simplex_part(const Eigen::VectorXd& w) {
    if ((w.array() >= 0.0).all() && std::abs(w.sum() - 1.0) < 1e-9) return w;
    return {};
  }
  Eigen::Index n_post_;
  std::vector<Eigen::VectorXd> targets_;
  std::vector<MatchProblem> problems_;
  std::vector<Eigen::VectorXd> warm_;
};

/// The accepted set {h0 : p(h0) > alpha} as reported: its lowest and highest point.
struct Inverted {
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
  bool hull = false;  ///< a rejected point lies between lower and upper: [lower, upper] is the hull
};

/// {h0 : p(h0) > alpha} on a grid around `center` (half-width `scale` * 4, widened while
/// an end is accepted), its ends refined by bisection. An end still accepted at the edge of
/// the widest grid is infinite (the test cannot bound it). When no grid point is accepted,
/// p is evaluated on a dense grid around the best grid point and at `also` (e.g. the
/// median post-period effect) before the set is declared empty (NaN ends).
template <class P>
Inverted invert(P&& p_of, double center, double scale, double alpha, int grid_points, double also) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const int g = std::max(grid_points, 5);
  double half = 4.0 * scale;
  auto refine = [&](double in, double out) {
    for (int it = 0; it < 30; ++it) {
      const double mid = 0.5 * (in + out);
      (p_of(mid) > alpha ? in : out) = mid;
    }
    return in;
  };
  // Accepted run of a sorted grid: ends refined against their rejected neighbours.
  auto ends_of = [&](const std::vector<double>& h, const std::vector<double>& p, bool last) {
    Inverted r;
    const auto n = static_cast<int>(h.size());
    int lo = -1, hi = -1;
    for (int i = 0; i < n; ++i)
      if (p[static_cast<std::size_t>(i)] > alpha) {
        if (lo < 0) lo = i;
        hi = i;
      }
    if (lo < 0) return std::pair<Inverted, bool>{r, false};
    for (int i = lo; i <= hi; ++i)
      if (!(p[static_cast<std::size_t>(i)] > alpha)) r.hull = true;
    const auto ul = static_cast<std::size_t>(lo), uh = static_cast<std::size_t>(hi);
    r.lower = lo == 0 ? (last ? -inf : h.front()) : refine(h[ul], h[ul - 1]);
    r.upper = hi == n - 1 ? (last ? inf : h.back()) : refine(h[uh], h[uh + 1]);
    return std::pair<Inverted, bool>{r, lo == 0 || hi == n - 1};
  };
  for (int widen = 0; widen < 6; ++widen, half *= 3.0) {
    std::vector<double> h(static_cast<std::size_t>(g)), p(static_cast<std::size_t>(g));
    for (int i = 0; i < g; ++i) {
      h[static_cast<std::size_t>(i)] = center - half + 2.0 * half * i / (g - 1);
      p[static_cast<std::size_t>(i)] = p_of(h[static_cast<std::size_t>(i)]);
    }
    const bool last = widen == 5;
    auto [r, at_edge] = ends_of(h, p, last);
    if (!std::isnan(r.lower)) {
      if (at_edge && !last) continue;
      return r;
    }
    // The grid rejected everything: search densely around its best point before giving up.
    const auto best = static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
    const double step = 2.0 * half / (g - 1);
    constexpr int dense = 201;
    std::vector<double> hd, pd;
    for (int i = 0; i < dense; ++i) hd.push_back(h[best] - step + 2.0 * step * i / (dense - 1));
    if (std::isfinite(also)) {
      hd.push_back(also);
      std::sort(hd.begin(), hd.end());
    }
    for (const double x : hd) pd.push_back(p_of(x));
    auto [rd, edge_d] = ends_of(hd, pd, false);
    (void)edge_d;
    return rd;  // NaN ends: no h0 accepted on either grid
  }
  return {};
}

inline std::vector<Eigen::Index> range_rows(Eigen::Index n) {
  std::vector<Eigen::Index> r(static_cast<std::size_t>(n));
  std::iota(r.begin(), r.end(), Eigen::Index{0});
  return r;
}

/// R's default (type 7) quantile of v at probability prob (sorts its copy).
inline double quantile(std::vector<double> v, double prob) {
  std::sort(v.begin(), v.end());
  return inference::detail::quantile_sorted(v, prob);
}

/// A fitted design and what the inference procedures refit from: the donor and treated
/// series over [0, end) and synthetic DiD's penalty.
struct FittedDesign {
  SyntheticControlFit fit;
  Eigen::MatrixXd D, X;
  double zeta2 = 0.0;
  FittedDesign(const Panel& panel, const Assignment& assignment, const SyntheticControlOptions& options)
      : fit(synthetic_control(panel, assignment, options)), D(series_of(panel, fit.donors, fit.end)),
        X(series_of(panel, fit.treated, fit.end)) {
    // Synthetic DiD's penalty as the fit used it: per cell (one treated unit) when the
    // treated units are fitted one by one.
    if (options.method == Method::synthetic_did)
      zeta2 = sdid_zeta2(D, fit.start, fit.end - fit.start, cells() > 1 ? std::size_t{1} : fit.treated.size());
  }
  /// Treated series fitted separately: one per treated unit under per_unit aggregation,
  /// else one (their average).
  [[nodiscard]] Eigen::Index cells() const {
    return fit.aggregation == Aggregation::per_unit && X.cols() > 1 ? X.cols() : 1;
  }
};

inline void check_conformal(const ConformalOptions& o) {
  trustmix::detail::require_in_range(o.alpha, "alpha", 0.0, 1.0, true, true);
  trustmix::detail::require_positive(o.q, "q");
  if (o.n_permutations < 1) fail("n_permutations must be >= 1, got ", o.n_permutations);
  if (o.n_permutations > PermutationPlan::max_permutations)
    fail("n_permutations must be <= ", PermutationPlan::max_permutations, ", got ", o.n_permutations);
}

}  // namespace detail

/// Conformal p-value of "no effect" and the interval for the average effect per treated
/// unit and period, by inverting the same test (Chernozhukov, Wuthrich and Zhu 2021).
///
/// For a null h0 (a constant effect in the post-period), the estimator is refit on all
/// periods [0, end) with h0 subtracted from the treated post-period outcome; u_t are the
/// residuals (observed - synthetic). p(h0) = share of permutations pi with
/// S(u_pi) >= S(u), S(u) = (sum_post |u_t|^q)^(1/q). Interval: {h0 : p(h0) > alpha}.
/// Pointwise: for each post period j, the refit uses the pre-period and period j only.
inline ConformalResult conformal_inference(const Panel& panel, const Assignment& assignment,
                                           const SyntheticControlOptions& options = {},
                                           const ConformalOptions& conformal = {}) {
  detail::check_conformal(conformal);
  const detail::FittedDesign design(panel, assignment, options);
  const SyntheticControlFit& fit = design.fit;
  const Eigen::MatrixXd &D = design.D, &X = design.X;
  const double zeta2 = design.zeta2;
  const Eigen::Index start = fit.start, end = fit.end, n_post = end - start;
  ConformalResult out;
  out.alpha = conformal.alpha;
  const detail::PermutationPlan plan(end, n_post, conformal);
  out.exact = plan.exact();
  out.n_permutations = static_cast<int>(plan.count());
  detail::NullRefit refit(D, X, detail::range_rows(end), n_post, options, zeta2);
  out.null_residuals = refit.residuals(0.0);
  out.p_value = plan.p_value(out.null_residuals, conformal.q, conformal.statistic, &out.statistic);
  const auto post = fit.effect.tail(n_post);
  const double scale = std::max(
      {std::sqrt(post.squaredNorm() / static_cast<double>(n_post)), fit.pre_rmspe, 1e-9 * (1.0 + std::abs(fit.att))});
  std::vector<double> sorted_post(post.data(), post.data() + n_post);
  std::sort(sorted_post.begin(), sorted_post.end());
  const auto mid = static_cast<std::size_t>(n_post / 2);
  const double median = n_post % 2 == 1 ? sorted_post[mid] : 0.5 * (sorted_post[mid - 1] + sorted_post[mid]);
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (plan.min_p_value() > conformal.alpha) {
    out.cannot_reject = true;
    out.lower = -inf;
    out.upper = inf;
  } else {
    const auto ends = detail::invert(
        [&](double h0) { return plan.p_value(refit.residuals(h0), conformal.q, conformal.statistic); }, fit.att, scale,
        conformal.alpha, conformal.grid_points, median);
    out.lower = ends.lower;
    out.upper = ends.upper;
    out.hull = ends.hull;
  }
  if (conformal.pointwise) {
    out.pointwise_lower.resize(n_post);
    out.pointwise_upper.resize(n_post);
    out.pointwise_p.resize(n_post);
    const detail::PermutationPlan one(start + 1, 1, conformal);
    out.pointwise_cannot_reject = one.min_p_value() > conformal.alpha;
    for (Eigen::Index j = 0; j < n_post; ++j) {
      std::vector<Eigen::Index> rows = detail::range_rows(start);
      rows.push_back(start + j);
      detail::NullRefit pr(D, X, rows, 1, options, zeta2);
      out.pointwise_p(j) = one.p_value(pr.residuals(0.0), conformal.q, conformal.statistic);
      if (out.pointwise_cannot_reject) {
        out.pointwise_lower(j) = -inf;
        out.pointwise_upper(j) = inf;
        continue;
      }
      const auto e = detail::invert(
          [&](double h0) { return one.p_value(pr.residuals(h0), conformal.q, conformal.statistic); }, fit.effect(start + j),
          scale, conformal.alpha, conformal.grid_points, fit.effect(start + j));
      out.pointwise_lower(j) = e.lower;
      out.pointwise_upper(j) = e.upper;
      out.pointwise_hull = out.pointwise_hull || e.hull;
    }
  }
  return out;
}

/// Jackknife+ over time (Barber et al. 2021, as augsynth's time_jackknife_plus): for each
/// pre-period t, refit without t; its held-out error e_t and its post-period prediction
/// yhat_{-t}. Counterfactual band [q_{alpha/2}(yhat_{-t} - |e_t|), q_{1-alpha/2}(yhat_{-t} +
/// |e_t|)], turned into effect bounds by subtracting from the observed outcome.
///
/// Several treated units under per_unit aggregation: the estimator of the mean treated
/// series is the average of the cells' fits, so each leave-one-out refit fits every cell
/// on its own (as synthetic_control does) and yhat_{-t}, e_t are the cells' averages;
/// under average aggregation the averaged series is fitted once.
inline JackknifeResult jackknife_plus(const Panel& panel, const Assignment& assignment,
                                      const SyntheticControlOptions& options = {}, double alpha = 0.1) {
  trustmix::detail::require_in_range(alpha, "alpha", 0.0, 1.0, true, true);
  const detail::FittedDesign design(panel, assignment, options);
  const SyntheticControlFit& fit = design.fit;
  const Eigen::MatrixXd &D = design.D, &X = design.X;
  const double zeta2 = design.zeta2;
  const Eigen::Index start = fit.start, n_post = fit.end - start, n_cells = design.cells();
  // The fitted series: each treated unit (per_unit) or their mean.
  const Eigen::MatrixXd targets = n_cells > 1 ? X : Eigen::MatrixXd(X.rowwise().mean());
  std::vector<std::vector<double>> low(static_cast<std::size_t>(n_post + 1)), high(static_cast<std::size_t>(n_post + 1));
  JackknifeResult out;
  out.alpha = alpha;
  out.held_out_errors.resize(start);
  for (Eigen::Index t = 0; t < start; ++t) {
    Eigen::MatrixXd Dt(start - 1, D.cols());
    for (Eigen::Index s = 0, k = 0; s < start; ++s)
      if (s != t) Dt.row(k++) = D.row(s);
    const detail::MatchProblem problem = detail::make_problem(Dt, start - 1, options, zeta2);
    double err = 0.0;
    Eigen::VectorXd pred = Eigen::VectorXd::Zero(n_post);
    for (Eigen::Index cell = 0; cell < n_cells; ++cell) {
      Eigen::VectorXd xt(start - 1);
      for (Eigen::Index s = 0, k = 0; s < start; ++s)
        if (s != t) xt(k++) = targets(s, cell);
      const auto r = problem.solve(xt);
      err += (targets(t, cell) - (r.intercept + D.row(t).dot(r.weights))) / static_cast<double>(n_cells);
      pred += ((D.middleRows(start, n_post) * r.weights).array() + r.intercept).matrix() / static_cast<double>(n_cells);
    }
    out.held_out_errors(t) = err;
    for (Eigen::Index j = 0; j <= n_post; ++j) {
      const double p = j < n_post ? pred(j) : pred.mean();
      low[static_cast<std::size_t>(j)].push_back(p - std::abs(err));
      high[static_cast<std::size_t>(j)].push_back(p + std::abs(err));
    }
  }
  out.pointwise_lower.resize(n_post);
  out.pointwise_upper.resize(n_post);
  for (Eigen::Index j = 0; j <= n_post; ++j) {
    const double y1 = j < n_post ? fit.observed(start + j) : fit.observed.tail(n_post).mean();
    const double lo = y1 - detail::quantile(high[static_cast<std::size_t>(j)], 1.0 - alpha / 2.0);
    const double hi = y1 - detail::quantile(low[static_cast<std::size_t>(j)], alpha / 2.0);
    if (j < n_post) out.pointwise_lower(j) = lo, out.pointwise_upper(j) = hi;
    else out.lower = lo, out.upper = hi;
  }
  return out;
}

/// Placebo standard error of the effect (Arkhangelsky et al. 2021, Algorithm 4; synthdid's
/// vcov(method = "placebo")), for synthetic DiD in particular, whose conformal null refit
/// lacks the time weights.
struct PlaceboVarianceResult {
  double alpha = 0.1;
  double se = 0.0;  ///< sqrt(mean_b (att_b - mean att)^2), per geo-period
  double lower = 0.0, upper = 0.0;  ///< att -+ z_{1 - alpha/2} se
  Eigen::VectorXd placebo_att;  ///< att_b of each placebo assignment
};

/// Placebo variance: `n_placebo` times, N1 (= number of treated) donors drawn without
/// replacement play the treated units on the donor pool alone (the true treated units
/// left out), with the same window and estimator; se^2 is the variance (divisor B) of those
/// placebo effects, and the interval att -+ z_{1-alpha/2} se. Needs more donors than
/// treated units (the paper's placebo requires N0 > N1). Draw b uses its own random stream
/// (seed, b): results do not depend on `threads`.
inline PlaceboVarianceResult placebo_variance(const Panel& panel, const Assignment& assignment,
                                              const SyntheticControlOptions& options = {}, double alpha = 0.1,
                                              int n_placebo = 200, std::uint64_t seed = 0, int threads = 0) {
  trustmix::detail::require_in_range(alpha, "alpha", 0.0, 1.0, true, true);
  if (n_placebo < 2 || n_placebo > 100000) fail("n_placebo must be in [2, 100000], got ", n_placebo);
  const SyntheticControlFit fit = synthetic_control(panel, assignment, options);
  const auto J = static_cast<Eigen::Index>(fit.donors.size());
  const auto N1 = static_cast<Eigen::Index>(fit.treated.size());
  if (J < N1 + 1) fail("placebo_variance needs more donors than treated units (", J, " donors, ", N1, " treated)");
  Panel sub;
  sub.outcomes = detail::series_of(panel, fit.donors, panel.n_periods()).transpose();
  for (const auto d : fit.donors) sub.units.push_back(panel.label(d));
  PlaceboVarianceResult out;
  out.alpha = alpha;
  out.placebo_att.resize(n_placebo);
  parallel_for_blocks(n_placebo, threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    std::vector<Eigen::Index> idx(static_cast<std::size_t>(J));
    for (std::ptrdiff_t k = b; k < e; ++k) {
      inference::ChainRng rng(seed, 0x706c6163ULL /* "plac" */ + static_cast<std::uint64_t>(k));
      std::iota(idx.begin(), idx.end(), Eigen::Index{0});
      for (Eigen::Index i = 0; i < N1; ++i) {
        const auto r = i + static_cast<Eigen::Index>(rng.uniform() * static_cast<double>(J - i));
        std::swap(idx[static_cast<std::size_t>(i)], idx[static_cast<std::size_t>(std::min(r, J - 1))]);
      }
      const Assignment a{std::vector<Eigen::Index>(idx.begin(), idx.begin() + N1), fit.start, fit.end};
      out.placebo_att(k) = synthetic_control(sub, a, options).att;
    }
  });
  const double mean = out.placebo_att.mean();
  out.se = std::sqrt((out.placebo_att.array() - mean).square().mean());
  const double z = inference::detail::normal_quantile(1.0 - alpha / 2.0);
  out.lower = fit.att - z * out.se;
  out.upper = fit.att + z * out.se;
  return out;
}

/// Placebo in space (Abadie, Diamond and Hainmueller 2010): every donor treated in turn,
/// the true treated units removed from the pool; the ratio of post- to pre-period RMSPE of
/// the treated fit is ranked among the placebos'. Runs on `threads` threads
/// (deterministic: each placebo is one independent fit).
inline PlaceboSpaceResult placebo_in_space(const Panel& panel, const Assignment& assignment,
                                           const SyntheticControlOptions& options = {}, int threads = 0) {
  const SyntheticControlFit fit = synthetic_control(panel, assignment, options);
  const Eigen::Index n_post = fit.end - fit.start;
  auto ratio = [&](const SyntheticControlFit& f) {
    const double post = std::sqrt(f.effect.tail(n_post).squaredNorm() / static_cast<double>(n_post));
    return f.pre_rmspe > 0.0 ? post / f.pre_rmspe : std::numeric_limits<double>::infinity();
  };
  PlaceboSpaceResult out;
  out.treated_ratio = ratio(fit);
  out.units = fit.donors;
  const auto n = static_cast<Eigen::Index>(fit.donors.size());
  if (n < 2) fail("placebo_in_space needs at least 2 donors, got ", n);
  Panel sub;
  sub.outcomes = detail::series_of(panel, fit.donors, panel.n_periods()).transpose();
  for (const auto d : fit.donors) sub.units.push_back(panel.label(d));
  out.att.resize(n);
  out.rmspe_ratio.resize(n);
  SyntheticControlOptions o = options;
  o.aggregation = Aggregation::average;
  parallel_for_blocks(n, threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (std::ptrdiff_t i = b; i < e; ++i) {
      const Assignment a{{static_cast<Eigen::Index>(i)}, fit.start, fit.end};
      const SyntheticControlFit pf = synthetic_control(sub, a, o);
      out.att(i) = pf.att;
      out.rmspe_ratio(i) = ratio(pf);
    }
  });
  const auto at_least = (out.rmspe_ratio.array() >= out.treated_ratio).count();
  out.p_value = (1.0 + static_cast<double>(at_least)) / (1.0 + static_cast<double>(n));
  return out;
}

/// Placebo in time: the design moved back by its own length (post-period [start - L,
/// start)), fitted on data before the real treatment; a sound design finds no effect there.
inline PlaceboTimeResult placebo_in_time(const Panel& panel, const Assignment& assignment,
                                         const SyntheticControlOptions& options = {},
                                         const ConformalOptions& conformal = {}) {
  const Eigen::Index end = detail::window_end(panel, assignment), length = end - assignment.start;
  const Assignment shifted{assignment.treated, assignment.start - length, assignment.start};
  if (shifted.start < options.min_pre_periods)
    fail("placebo_in_time: moving the ", length, "-period window back leaves ", shifted.start, " pre-periods, at least ",
         options.min_pre_periods, " are needed");
  PlaceboTimeResult out;
  out.fit = synthetic_control(panel, shifted, options);
  ConformalOptions c = conformal;
  c.pointwise = false;
  out.p_value = conformal_inference(panel, shifted, options, c).p_value;
  return out;
}

}  // namespace trustmix::evaluate
