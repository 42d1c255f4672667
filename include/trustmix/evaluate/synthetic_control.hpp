#pragma once
// Synthetic control estimators for geo experiments and interventions on a few units:
// - synthetic control with unit fixed effects (Abadie, Diamond and Hainmueller 2010;
//   Doudchenko and Imbens 2016), GeoLift's default: simplex weights on demeaned pre-period
//   outcomes;
// - augmented synthetic control (Ben-Michael, Feller and Rothstein 2021), ridge outcome
//   model: the weights are corrected by a ridge regression of the remaining imbalance;
// - synthetic difference-in-differences (Arkhangelsky et al. 2021): penalised unit
//   weights with an intercept and time weights.
// Several treated units are averaged into one series (as GeoLift and augsynth do) or fitted
// cell by cell and averaged afterwards.
#include "trustmix/core/error.hpp"
#include "trustmix/evaluate/panel.hpp"
#include "trustmix/evaluate/simplex.hpp"

#include <Eigen/Dense>

#include <cmath>
#include <vector>

namespace trustmix::evaluate {

/// Which estimator builds the counterfactual.
enum class Method { synthetic_control, augmented, synthetic_did };
/// How several treated units are combined: their average is matched (GeoLift, augsynth), or
/// each is matched on its own and the cells' counterfactuals averaged.
enum class Aggregation { average, per_unit };

struct SyntheticControlOptions {
  Method method = Method::synthetic_control;
  /// Remove each unit's pre-period mean before matching (GeoLift's default; the
  /// synthetic control then matches shapes and adds the treated level back). Synthetic
  /// DiD always has its intercept.
  bool fixed_effects = true;
  /// Ridge penalty lambda of the augmented method (outcome units squared); < 0 picks the
  /// default trace(Xc'Xc) / J, the mean squared singular value of the donor-centred
  /// pre-period matrix (a heuristic: set it to tune).
  double ridge = -1.0;
  Aggregation aggregation = Aggregation::average;
  /// Fewest pre-periods accepted.
  Eigen::Index min_pre_periods = 3;
};

/// A fitted synthetic control. Series run over periods [0, end); the post-period is
/// [start, end). Outcome units throughout; "per geo-period" means per treated unit and
/// period.
struct SyntheticControlFit {
  std::vector<Eigen::Index> treated, donors;
  Eigen::Index start = 0, end = 0;
  Method method = Method::synthetic_control;
  bool fixed_effects = true;
  Aggregation aggregation = Aggregation::average;
  Eigen::VectorXd weights;       ///< donor weights w_j (sum 1; >= 0 except augmented); per_unit: cells' mean
  Eigen::VectorXd time_weights;  ///< synthetic DiD: weights lambda_t over pre-periods (sum 1); else empty
  double intercept = 0.0;        ///< level added to sum_j w_j Y_jt (fixed effects, DiD offset)
  Eigen::VectorXd observed;      ///< mean treated outcome per period
  Eigen::VectorXd synthetic;     ///< counterfactual: intercept + sum_j w_j Y_jt
  Eigen::VectorXd effect;        ///< observed - synthetic
  double att = 0.0;              ///< mean post-period effect per treated unit and period
  double lift = 0.0;             ///< sum_post effect / sum_post synthetic (relative lift)
  double incremental = 0.0;      ///< att * n_treated * n_post (total extra outcome)
  double l2_imbalance = 0.0;     ///< ||pre-period residual||_2 on the matched (demeaned) scale
  double scaled_l2_imbalance = 0.0;  ///< l2_imbalance / the same for uniform weights 1/J
  double pre_rmspe = 0.0;        ///< sqrt(mean pre-period effect^2)
  double ridge = 0.0;            ///< augmented: lambda used; synthetic DiD: zeta^2 T_pre
  double kkt_residual = 0.0;     ///< worst scaled KKT violation of the simplex solves (about 1e-15)
  std::vector<SyntheticControlFit> cells;  ///< per_unit aggregation: one fit per treated unit
};

namespace detail {

/// One matching problem: a target series x and donor series D (periods x donors) over
/// periods [0, n_fit), with the estimator's penalties; solve() gives weights and the
/// pre-period residuals. Built once and re-solved for other targets (conformal grids).
class MatchProblem {
 public:
  MatchProblem(const Eigen::MatrixXd& D, Eigen::Index n_fit, bool demean, double ridge_w, bool augment,
               double augment_lambda)
      : demean_(demean), augment_(augment) {
    const Eigen::Index J = D.cols();
    donor_mean_ = demean ? Eigen::VectorXd(D.topRows(n_fit).colwise().mean().transpose()) : Eigen::VectorXd::Zero(J);
    A_ = D.topRows(n_fit).rowwise() - donor_mean_.transpose();
    Q_ = A_.transpose() * A_;
    Q_.diagonal().array() += ridge_w;
    if (augment) {
      // Donor-centred pre-period matrix (each period centred across donors): the ridge
      // correction then keeps sum(w) = 1.
      const Eigen::MatrixXd Ac = A_.colwise() - A_.rowwise().mean();
      Eigen::MatrixXd G = Ac.transpose() * Ac;
      lambda_ = augment_lambda >= 0.0 ? augment_lambda : std::max(G.trace() / static_cast<double>(J), 1e-12);
      G.diagonal().array() += lambda_;
      ridge_solve_ = G.ldlt().solve(Ac.transpose());  // (Ac'Ac + lambda I)^{-1} Ac'
    }
  }

  struct Result {
    Eigen::VectorXd weights;
    double intercept = 0.0;
    Eigen::VectorXd residual;          ///< b - A w over the fit periods (demeaned scale)
    Eigen::VectorXd uniform_residual;  ///< the same for w = 1/J
    double kkt = 0.0;
  };

  /// Solves for target x (its first n_fit entries are matched).
  Result solve(const Eigen::VectorXd& x, const Eigen::VectorXd* warm = nullptr) const {
    const Eigen::Index n_fit = A_.rows(), J = A_.cols();
    const double target_mean = demean_ ? x.head(n_fit).mean() : 0.0;
    const Eigen::VectorXd b = x.head(n_fit).array() - target_mean;
    const Eigen::VectorXd c = A_.transpose() * b;
    const SimplexSolution s = simplex_least_squares(Q_, c, warm);
    Result r;
    r.weights = s.weights;
    r.kkt = s.kkt_residual;
    if (augment_) r.weights += ridge_solve_ * (b - A_ * s.weights);
    r.residual = b - A_ * r.weights;
    r.uniform_residual = b - A_ * Eigen::VectorXd::Constant(J, 1.0 / static_cast<double>(J));
    r.intercept = target_mean - donor_mean_.dot(r.weights);
    return r;
  }

  [[nodiscard]] double lambda() const { return lambda_; }
  [[nodiscard]] Eigen::Index n_fit() const { return A_.rows(); }

 private:
  bool demean_, augment_;
  Eigen::VectorXd donor_mean_;
  Eigen::MatrixXd A_, Q_, ridge_solve_;
  double lambda_ = 0.0;
};

/// Rows `rows` of the panel over periods [0, n) as a periods x rows matrix.
inline Eigen::MatrixXd series_of(const Panel& panel, const std::vector<Eigen::Index>& rows, Eigen::Index n) {
  Eigen::MatrixXd out(n, static_cast<Eigen::Index>(rows.size()));
  for (std::size_t k = 0; k < rows.size(); ++k)
    out.col(static_cast<Eigen::Index>(k)) = panel.outcomes.row(rows[k]).head(n).transpose();
  return out;
}

/// Noise level of synthetic DiD: the standard deviation of first differences of the donors'
/// pre-period outcomes (Arkhangelsky et al. 2021, sec. 2.2).
inline double first_difference_sd(const Eigen::MatrixXd& donors_pre) {
  const Eigen::Index T0 = donors_pre.rows();
  if (T0 < 2) return 0.0;
  const Eigen::MatrixXd d = donors_pre.bottomRows(T0 - 1) - donors_pre.topRows(T0 - 1);
  const double mean = d.mean();
  return std::sqrt((d.array() - mean).square().sum() / static_cast<double>(std::max<Eigen::Index>(d.size() - 1, 1)));
}

/// The estimator's matching problem for a window ending at n_fit periods (the pre-period
/// for estimation, all periods for a conformal null refit). zeta2 is synthetic DiD's
/// penalty per period (zeta^2), ignored by the other methods.
inline MatchProblem make_problem(const Eigen::MatrixXd& D, Eigen::Index n_fit, const SyntheticControlOptions& o,
                                 double zeta2) {
  switch (o.method) {
    case Method::synthetic_control: return MatchProblem(D, n_fit, o.fixed_effects, 0.0, false, 0.0);
    case Method::augmented: return MatchProblem(D, n_fit, o.fixed_effects, 0.0, true, o.ridge);
    case Method::synthetic_did: return MatchProblem(D, n_fit, true, zeta2 * static_cast<double>(n_fit), false, 0.0);
  }
  return MatchProblem(D, n_fit, o.fixed_effects, 0.0, false, 0.0);
}

/// Synthetic DiD's zeta^2 = sqrt(N_treated T_post) sigma^2 (Arkhangelsky et al. 2021, eq. 2.3).
inline double sdid_zeta2(const Eigen::MatrixXd& D, Eigen::Index start, Eigen::Index n_post, std::size_t n_treated) {
  const double sigma = first_difference_sd(D.topRows(start));
  return std::sqrt(static_cast<double>(n_treated) * static_cast<double>(n_post)) * sigma * sigma;
}

/// Fits one treated series x (length end) against donors D (end x J).
inline SyntheticControlFit fit_series(const Eigen::MatrixXd& D, const Eigen::VectorXd& x, Eigen::Index start,
                                      Eigen::Index end, std::size_t n_treated, const SyntheticControlOptions& o) {
  SyntheticControlFit f;
  f.start = start;
  f.end = end;
  f.method = o.method;
  f.fixed_effects = o.method == Method::synthetic_did ? true : o.fixed_effects;
  f.aggregation = Aggregation::average;
  const double zeta2 = o.method == Method::synthetic_did ? sdid_zeta2(D, start, end - start, n_treated) : 0.0;
  const MatchProblem problem = make_problem(D, start, o, zeta2);
  const MatchProblem::Result r = problem.solve(x);
  f.weights = r.weights;
  f.kkt_residual = r.kkt;
  f.ridge = o.method == Method::augmented ? problem.lambda() : zeta2 * static_cast<double>(start);
  f.observed = x;
  f.intercept = r.intercept;
  if (o.method == Method::synthetic_did) {
    // Time weights: donors' mean post outcome regressed on their pre-period outcomes with
    // an intercept, simplex weights and penalty zeta_lambda = 1e-6 sigma (their eq. 2.4).
    const Eigen::MatrixXd pre = D.topRows(start).transpose();  // donors x pre-periods
    const Eigen::VectorXd post_mean = D.middleRows(start, end - start).colwise().mean().transpose();
    const double sigma = first_difference_sd(D.topRows(start));
    const double zeta_lambda2 = 1e-12 * sigma * sigma;
    const MatchProblem time_problem(pre, pre.rows(), true, zeta_lambda2 * static_cast<double>(pre.rows()), false, 0.0);
    const MatchProblem::Result tr = time_problem.solve(post_mean);
    f.time_weights = tr.weights;
    f.kkt_residual = std::max(f.kkt_residual, tr.kkt);
    // Offset so that the time-weighted pre-period gap is zero: the effect is then the DiD
    // estimate tau = (ybar_post - lambda'y_pre) - w'(Ybar_post - Y_pre lambda).
    const Eigen::VectorXd gap = x.head(start) - D.topRows(start) * f.weights;
    f.intercept = f.time_weights.dot(gap);
  }
  f.synthetic = (D * f.weights).array() + f.intercept;
  f.effect = f.observed - f.synthetic;
  f.l2_imbalance = r.residual.norm();
  const double uniform = r.uniform_residual.norm();
  f.scaled_l2_imbalance = uniform > 0.0 ? f.l2_imbalance / uniform : 0.0;
  return f;
}

/// Fills att, lift, incremental and pre_rmspe from observed/synthetic.
inline void summarise(SyntheticControlFit& f) {
  const Eigen::Index n_post = f.end - f.start;
  const auto post_effect = f.effect.segment(f.start, n_post);
  f.att = post_effect.mean();
  const double synthetic_post = f.synthetic.segment(f.start, n_post).sum();
  f.lift = synthetic_post != 0.0 ? post_effect.sum() / synthetic_post : 0.0;
  f.incremental = f.att * static_cast<double>(f.treated.size()) * static_cast<double>(n_post);
  f.pre_rmspe = std::sqrt(f.effect.head(f.start).squaredNorm() / static_cast<double>(f.start));
}

}  // namespace detail

/// Fits a synthetic control for `assignment` on `panel`.
///
/// Counterfactual of the (mean) treated unit: synthetic_t = intercept + sum_j w_j Y_jt with
/// w on the simplex minimising the pre-period imbalance
///   ||(x - xbar) - (Y0 - Ybar0) w||^2            (fixed effects, GeoLift's default)
/// or ||x - Y0 w||^2 without; augmented: w + (Xc'Xc + lambda I)^{-1} Xc'(residual); synthetic
/// DiD: + zeta^2 T_pre ||w||^2 and time weights. att = mean over post of observed -
/// synthetic (outcome units per treated unit and period).
inline SyntheticControlFit synthetic_control(const Panel& panel, const Assignment& assignment,
                                             const SyntheticControlOptions& options = {}) {
  detail::validate(panel, assignment, options.min_pre_periods);
  if (options.method == Method::augmented && options.ridge >= 0.0 && !std::isfinite(options.ridge))
    fail("ridge must be finite, got ", options.ridge);
  const Eigen::Index end = detail::window_end(panel, assignment), start = assignment.start;
  const std::vector<Eigen::Index> donors = detail::donors_of(panel, assignment.treated);
  const Eigen::MatrixXd D = detail::series_of(panel, donors, end);
  const Eigen::MatrixXd X = detail::series_of(panel, assignment.treated, end);
  const std::size_t n_treated = assignment.treated.size();
  SyntheticControlFit f;
  if (options.aggregation == Aggregation::average || n_treated == 1) {
    f = detail::fit_series(D, X.rowwise().mean(), start, end, n_treated, options);
  } else {
    f.cells.reserve(n_treated);
    for (std::size_t k = 0; k < n_treated; ++k) {
      f.cells.push_back(detail::fit_series(D, X.col(static_cast<Eigen::Index>(k)), start, end, 1, options));
      auto& cell = f.cells.back();
      cell.treated = {assignment.treated[k]};
      cell.donors = donors;
      detail::summarise(cell);
    }
    const auto n = static_cast<double>(n_treated);
    f.start = start;
    f.end = end;
    f.method = options.method;
    f.fixed_effects = f.cells.front().fixed_effects;
    f.weights = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(donors.size()));
    f.observed = f.synthetic = Eigen::VectorXd::Zero(end);
    Eigen::VectorXd residual = Eigen::VectorXd::Zero(start);
    for (const auto& c : f.cells) {
      f.weights += c.weights / n;
      f.observed += c.observed / n;
      f.synthetic += c.synthetic / n;
      f.intercept += c.intercept / n;
      f.ridge += c.ridge / n;
      f.kkt_residual = std::max(f.kkt_residual, c.kkt_residual);
    }
    f.effect = f.observed - f.synthetic;
    // Imbalance of the averaged counterfactual, on the demeaned scale when fixed effects
    // are on; the uniform-weight reference is built the same way.
    const Eigen::VectorXd pre_gap = f.effect.head(start);
    f.l2_imbalance = (f.fixed_effects ? Eigen::VectorXd(pre_gap.array() - pre_gap.mean()) : pre_gap).norm();
    const Eigen::VectorXd uniform_synth = D.topRows(start).rowwise().mean();
    Eigen::VectorXd uniform_gap = f.observed.head(start) - uniform_synth;
    if (f.fixed_effects) uniform_gap.array() -= uniform_gap.mean();
    f.scaled_l2_imbalance = uniform_gap.norm() > 0.0 ? f.l2_imbalance / uniform_gap.norm() : 0.0;
  }
  f.aggregation = options.aggregation;
  f.treated = assignment.treated;
  f.donors = donors;
  detail::summarise(f);
  return f;
}

/// The counterfactual for given donor weights (one per donor, in row order of the units
/// not treated): synthetic_t = intercept + sum_j w_j Y_jt with intercept = xbar_pre -
/// sum_j w_j Ybar_j,pre under fixed effects, else 0. For comparing with another tool's
/// weights (e.g. GeoLift's) or re-using weights fitted elsewhere.
inline SyntheticControlFit synthetic_control_with_weights(const Panel& panel, const Assignment& assignment,
                                                          const Eigen::VectorXd& weights, bool fixed_effects = true,
                                                          Eigen::Index min_pre_periods = 3) {
  detail::validate(panel, assignment, min_pre_periods);
  const Eigen::Index end = detail::window_end(panel, assignment), start = assignment.start;
  SyntheticControlFit f;
  f.donors = detail::donors_of(panel, assignment.treated);
  if (weights.size() != static_cast<Eigen::Index>(f.donors.size()))
    fail("weights has ", weights.size(), " entries for ", f.donors.size(), " donors");
  if (!weights.allFinite()) fail("weights must be finite");
  const Eigen::MatrixXd D = detail::series_of(panel, f.donors, end);
  f.treated = assignment.treated;
  f.start = start;
  f.end = end;
  f.fixed_effects = fixed_effects;
  f.weights = weights;
  f.observed = detail::series_of(panel, assignment.treated, end).rowwise().mean();
  f.intercept = fixed_effects ? f.observed.head(start).mean() - D.topRows(start).colwise().mean().dot(weights) : 0.0;
  f.synthetic = (D * weights).array() + f.intercept;
  f.effect = f.observed - f.synthetic;
  Eigen::VectorXd gap = f.effect.head(start), uniform = f.observed.head(start) - D.topRows(start).rowwise().mean();
  if (fixed_effects) gap.array() -= gap.mean(), uniform.array() -= uniform.mean();
  f.l2_imbalance = gap.norm();
  f.scaled_l2_imbalance = uniform.norm() > 0.0 ? f.l2_imbalance / uniform.norm() : 0.0;
  detail::summarise(f);
  return f;
}

}  // namespace trustmix::evaluate
