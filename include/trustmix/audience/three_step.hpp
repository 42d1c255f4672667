#pragma once
// The bias-corrected three-step approach for relating latent classes to covariates and
// distal outcomes (Bolck, Croon & Hagenaars 2004; Vermunt 2010; Bakk, Tekle & Vermunt 2013).
//
// Step 1: the measurement model (fit_latent_classes, without the covariates/outcome).
// Step 2: each respondent's class assignment a_is from the posterior r_ik: modal
//   (a_is = [s = argmax_k r_ik]) or proportional (a_is = r_is), and the classification-error
//   matrix D(k, s) = P(assigned s | true class k) = sum_i w_i r_ik a_is / sum_i w_i r_ik.
// Step 3: the structural model, class shares pi_k(x) = softmax(x beta)_k (a multinomial
//   logit in covariates x, intercept first, reference class 0) and/or a distal outcome
//   y | class k ~ N(mu_k, sigma2_k) (Gaussian) or Categorical(theta_k) (categorical):
//   - correction none (the naive three-step): maximise
//       Q(theta; R) = sum_i w_i sum_k R_ik [log pi_k(x_i) + log f_k(y_i)]  with R = a;
//     classification error attenuates class differences towards 0;
//   - correction bch: the same Q with R_ik = sum_s a_is (D^-1)(s, k) (BCH weights; they
//     may be negative, rows sum to 1);
//   - correction ml (Vermunt 2010): maximise the log-likelihood of the assignments
//       L(theta) = sum_i w_i sum_s a_is log sum_k pi_k(x_i) f_k(y_i) D(k, s)
//     by EM (posterior q_iks proportional to pi_k f_k D(k, s), R_ik = sum_s a_is q_iks;
//     the M-step is that of Q: closed forms for the outcome, Newton steps for beta;
//     then Newton steps on L with the Hessian below polish the maximum).
// A missing outcome (NaN) drops out of f (f = 1). D is treated as known (step-1
// uncertainty is ignored, as in the usual three-step standard errors).
// Standard errors: the sandwich H^-1 B H^-1 with B = sum_i g_i g_i' (g_i: respondent i's
// exact gradient of the step-3 objective, by Fisher's identity for ml) and H the Hessian
// of the objective by central differences of the exact gradient; valid for survey
// (sampling) weights. Deterministic (no random numbers, a fixed summation order).
#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/LU>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trustmix/audience/latent_class.hpp"
#include "trustmix/core/error.hpp"

namespace trustmix::audience {

/// Step 2: how respondents are assigned to classes.
enum class Assignment : std::uint8_t { modal, proportional };
/// Step 3: how classification error is handled.
enum class Correction : std::uint8_t { none, bch, ml };
/// The distal outcome's class-specific distribution.
enum class OutcomeKind : std::uint8_t { none, gaussian, categorical };

[[nodiscard]] inline Assignment assignment_from_string(std::string_view s) {
  if (s == "modal") return Assignment::modal;
  if (s == "proportional") return Assignment::proportional;
  fail("assignment must be 'modal' or 'proportional', got '", s, "'");
}
[[nodiscard]] inline Correction correction_from_string(std::string_view s) {
  if (s == "none") return Correction::none;
  if (s == "bch") return Correction::bch;
  if (s == "ml") return Correction::ml;
  fail("correction must be 'none', 'bch' or 'ml', got '", s, "'");
}
[[nodiscard]] inline OutcomeKind outcome_kind_from_string(std::string_view s) {
  if (s == "none") return OutcomeKind::none;
  if (s == "gaussian") return OutcomeKind::gaussian;
  if (s == "categorical") return OutcomeKind::categorical;
  fail("outcome kind must be 'none', 'gaussian' or 'categorical', got '", s, "'");
}

/// Step-3 data: covariates of class membership and/or one distal outcome.
struct StructuralData {
  RowMatrixXd covariates;  ///< n x P covariates (an intercept is added), or 0 columns
  Eigen::VectorXd outcome; ///< n outcome values (NaN = missing; categorical: codes 0..categories-1), or empty
  OutcomeKind outcome_kind = OutcomeKind::none;
  int categories = 0;       ///< categorical outcome: number of categories (>= 2)
  Eigen::VectorXd weights;  ///< n survey weights >= 0, or empty for 1
  std::vector<std::string> covariate_names;
  std::string outcome_name = "outcome";
  [[nodiscard]] double weight(Eigen::Index i) const { return weights.size() ? weights[i] : 1.0; }
  [[nodiscard]] std::string covariate_name(Eigen::Index p) const {
    return static_cast<std::size_t>(p) < covariate_names.size() ? covariate_names[static_cast<std::size_t>(p)]
                                                                : "covariate " + std::to_string(p);
  }
};

/// Settings of three_step.
struct ThreeStepOptions {
  Assignment assignment = Assignment::modal;
  Correction correction = Correction::ml;
  int max_iterations = 2000;  ///< EM iterations (ml) / Newton iterations for beta
  double tolerance = 1e-10;   ///< stop when the objective rises by less than tolerance * max(1, |objective|)
};

/// The step-3 estimates with their standard errors.
struct ThreeStepResult {
  Assignment assignment = Assignment::modal;
  Correction correction = Correction::ml;
  OutcomeKind outcome_kind = OutcomeKind::none;
  Eigen::MatrixXd classification;      ///< K x K: D(k, s) = P(assigned s | true class k)
  Eigen::MatrixXd beta, beta_se;       ///< (1 + P) x K logit coefficients (column 0 = 0, the reference)
  Eigen::VectorXd means, means_se;     ///< K (Gaussian outcome)
  Eigen::VectorXd variances, variances_se;  ///< K (Gaussian outcome)
  Eigen::MatrixXd probabilities, probabilities_se;  ///< K x C (categorical outcome)
  Eigen::VectorXd class_shares;        ///< K: weighted mean of pi_k(x_i)
  double objective = 0.0;              ///< L(theta) for ml, Q(theta; R) otherwise
  Eigen::VectorXd parameters;  ///< packed: beta (k = 1..K-1, 1+P each), then mu, log sigma2 (K each) or eta_kc (c >= 1)
  Eigen::MatrixXd covariance;  ///< sandwich covariance of `parameters`
  int iterations = 0;
  bool converged = false;
  std::vector<std::string> warnings;
};

/// Step 2's classification-error matrix D(k, s) = sum_i w_i r_ik a_is / sum_i w_i r_ik
/// (rows sum to 1) for modal or proportional assignment a. posterior: n x K, rows sum to 1.
[[nodiscard]] inline Eigen::MatrixXd classification_error(const Eigen::Ref<const RowMatrixXd>& posterior,
                                                          const Eigen::VectorXd& weights, Assignment assignment) {
  const Eigen::Index n = posterior.rows();
  const Eigen::Index K = posterior.cols();
  if (K < 1) fail("posterior has no classes");
  if (weights.size() != 0 && weights.size() != n)
    fail("weights have ", weights.size(), " entries, the posterior has ", n, " rows");
  Eigen::MatrixXd D = Eigen::MatrixXd::Zero(K, K);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double w = weights.size() ? weights[i] : 1.0;
    if (!(w >= 0.0) || !std::isfinite(w)) fail("row ", i, ": weight must be a finite number >= 0, got ", w);
    for (Eigen::Index k = 0; k < K; ++k)
      if (!(posterior(i, k) >= 0.0) || !(posterior(i, k) <= 1.0))
        fail("row ", i, ", class ", k, ": posterior probability must be in [0, 1], got ", posterior(i, k));
    if (assignment == Assignment::modal) {
      Eigen::Index s = 0;
      posterior.row(i).maxCoeff(&s);
      for (Eigen::Index k = 0; k < K; ++k) D(k, s) += w * posterior(i, k);
    } else {
      D.noalias() += w * posterior.row(i).transpose() * posterior.row(i);
    }
  }
  for (Eigen::Index k = 0; k < K; ++k) {
    const double tot = D.row(k).sum();
    if (!(tot > 0.0))
      fail("class ", k, " has no members (its posterior probabilities sum to 0): the three-step model is undefined");
    D.row(k) /= tot;
  }
  return D;
}

namespace detail {

/// The step-3 problem: data, assignments, D and the parameter layout.
struct ThreeStep {
  const StructuralData* d = nullptr;
  Eigen::Index n = 0, K = 0, P1 = 1, C = 0;
  RowMatrixXd a;  ///< n x K assignments
  Eigen::MatrixXd D;  ///< K x K
  Eigen::MatrixXd Dinv;
  Correction correction = Correction::ml;

  [[nodiscard]] Eigen::Index n_beta() const { return (K - 1) * P1; }
  [[nodiscard]] Eigen::Index n_outcome() const {
    if (d->outcome_kind == OutcomeKind::gaussian) return 2 * K;
    if (d->outcome_kind == OutcomeKind::categorical) return K * (C - 1);
    return 0;
  }
  [[nodiscard]] Eigen::Index size() const { return n_beta() + n_outcome(); }
  [[nodiscard]] double x(Eigen::Index i, Eigen::Index p) const { return p == 0 ? 1.0 : d->covariates(i, p - 1); }
  [[nodiscard]] bool observed(Eigen::Index i) const {
    return d->outcome_kind != OutcomeKind::none && !std::isnan(d->outcome[i]);
  }

  /// log pi_k(x_i) + log f_k(y_i) for all k.
  void log_joint(const Eigen::VectorXd& th, Eigen::Index i, Eigen::VectorXd& out) const {
    out.setZero(K);
    for (Eigen::Index k = 1; k < K; ++k)
      for (Eigen::Index p = 0; p < P1; ++p) out[k] += th[(k - 1) * P1 + p] * x(i, p);
    const double mx = out.maxCoeff();
    out.array() -= mx + std::log((out.array() - mx).exp().sum());
    if (!observed(i)) return;
    const double y = d->outcome[i];
    const Eigen::Index o = n_beta();
    if (d->outcome_kind == OutcomeKind::gaussian) {
      for (Eigen::Index k = 0; k < K; ++k) {
        const double lv = th[o + K + k];
        const double r = y - th[o + k];
        out[k] += -0.5 * (log_2pi + lv + r * r * std::exp(-lv));
      }
    } else {
      const auto c = static_cast<Eigen::Index>(y);
      for (Eigen::Index k = 0; k < K; ++k) {
        double mx2 = 0.0;
        for (Eigen::Index cc = 1; cc < C; ++cc) mx2 = std::max(mx2, th[o + k * (C - 1) + cc - 1]);
        double s = std::exp(-mx2);
        for (Eigen::Index cc = 1; cc < C; ++cc) s += std::exp(th[o + k * (C - 1) + cc - 1] - mx2);
        out[k] += (c == 0 ? 0.0 : th[o + k * (C - 1) + c - 1]) - mx2 - std::log(s);
      }
    }
  }

  /// The class weights R_i (fixed for none/bch; the EM posterior for ml) and respondent
  /// i's contribution to the objective.
  double weights_row(const Eigen::VectorXd& th, Eigen::Index i, Eigen::VectorXd& lj, Eigen::VectorXd& R) const {
    log_joint(th, i, lj);
    R.setZero(K);
    if (correction == Correction::none) {
      R = a.row(i).transpose();
      return R.dot(lj);
    }
    if (correction == Correction::bch) {
      R = (a.row(i) * Dinv).transpose();
      return R.dot(lj);
    }
    double ll = 0.0;
    const double mx = lj.maxCoeff();
    const Eigen::VectorXd e = (lj.array() - mx).exp().matrix();
    for (Eigen::Index s = 0; s < K; ++s) {
      if (a(i, s) == 0.0) continue;
      const Eigen::VectorXd q = e.cwiseProduct(D.col(s));
      const double tot = q.sum();
      ll += a(i, s) * (mx + std::log(std::max(tot, std::numeric_limits<double>::min())));
      if (tot > 0.0) R += a(i, s) * q / tot;
    }
    return ll;
  }

  /// Respondent i's gradient (times its weight) given R_i: d/dtheta sum_k R_ik log(pi_k f_k).
  void gradient_row(const Eigen::VectorXd& th, Eigen::Index i, const Eigen::VectorXd& R,
                    Eigen::Ref<Eigen::VectorXd> g) const {
    g.setZero();
    const double w = d->weight(i);
    Eigen::VectorXd eta = Eigen::VectorXd::Zero(K);
    for (Eigen::Index k = 1; k < K; ++k)
      for (Eigen::Index p = 0; p < P1; ++p) eta[k] += th[(k - 1) * P1 + p] * x(i, p);
    const double mx = eta.maxCoeff();
    Eigen::VectorXd pi = (eta.array() - mx).exp().matrix();
    pi /= pi.sum();
    const double rs = R.sum();  // 1, except BCH rounding
    for (Eigen::Index k = 1; k < K; ++k)
      for (Eigen::Index p = 0; p < P1; ++p) g[(k - 1) * P1 + p] = w * (R[k] - rs * pi[k]) * x(i, p);
    if (!observed(i)) return;
    const double y = d->outcome[i];
    const Eigen::Index o = n_beta();
    if (d->outcome_kind == OutcomeKind::gaussian) {
      for (Eigen::Index k = 0; k < K; ++k) {
        const double iv = std::exp(-th[o + K + k]);
        const double r = y - th[o + k];
        g[o + k] = w * R[k] * r * iv;
        g[o + K + k] = w * R[k] * 0.5 * (r * r * iv - 1.0);
      }
    } else {
      const auto c = static_cast<Eigen::Index>(y);
      for (Eigen::Index k = 0; k < K; ++k) {
        const Eigen::VectorXd p = probabilities(th, k);
        for (Eigen::Index cc = 1; cc < C; ++cc) g[o + k * (C - 1) + cc - 1] = w * R[k] * ((c == cc ? 1.0 : 0.0) - p[cc]);
      }
    }
  }

  [[nodiscard]] Eigen::VectorXd probabilities(const Eigen::VectorXd& th, Eigen::Index k) const {
    const Eigen::Index o = n_beta();
    Eigen::VectorXd p(C);
    p[0] = 0.0;
    for (Eigen::Index c = 1; c < C; ++c) p[c] = th[o + k * (C - 1) + c - 1];
    const double mx = p.maxCoeff();
    p = (p.array() - mx).exp().matrix();
    return p / p.sum();
  }

  /// Objective and the R matrix (n x K) at th.
  double objective(const Eigen::VectorXd& th, RowMatrixXd* Rall) const {
    Eigen::VectorXd lj(K), R(K);
    double tot = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double w = d->weight(i);
      if (w == 0.0) {
        if (Rall) Rall->row(i).setZero();
        continue;
      }
      tot += w * weights_row(th, i, lj, R);
      if (Rall) Rall->row(i) = R.transpose();
    }
    return tot;
  }

  [[nodiscard]] Eigen::VectorXd gradient(const Eigen::VectorXd& th) const {
    Eigen::VectorXd g = Eigen::VectorXd::Zero(size()), gi(size()), lj(K), R(K);
    for (Eigen::Index i = 0; i < n; ++i) {
      if (d->weight(i) == 0.0) continue;
      (void)weights_row(th, i, lj, R);
      gradient_row(th, i, R, gi);
      g += gi;
    }
    return g;
  }

  /// M-step given R: closed forms for the outcome, Newton (with step halving) for beta.
  /// A variance or probability that BCH weights make non-positive is floored (with a warning).
  void m_step(Eigen::VectorXd& th, const RowMatrixXd& R, int newton_steps, std::vector<std::string>* warnings) const {
    const Eigen::Index o = n_beta();
    if (d->outcome_kind == OutcomeKind::gaussian) {
      for (Eigen::Index k = 0; k < K; ++k) {
        double s0 = 0.0, s1 = 0.0;
        for (Eigen::Index i = 0; i < n; ++i)
          if (observed(i)) {
            s0 += d->weight(i) * R(i, k);
            s1 += d->weight(i) * R(i, k) * d->outcome[i];
          }
        if (!(s0 > 0.0))
          fail("class ", k, ": its weight among respondents with an observed ", d->outcome_name, " is ", s0,
               " (not > 0): the class-specific mean is undefined");
        const double mu = s1 / s0;
        double s2 = 0.0;
        for (Eigen::Index i = 0; i < n; ++i)
          if (observed(i)) s2 += d->weight(i) * R(i, k) * (d->outcome[i] - mu) * (d->outcome[i] - mu);
        double var = s2 / s0;
        if (!(var > 0.0)) {
          if (warnings)
            warnings->push_back(format_message("class ", k, ": the ", d->outcome_name, " variance estimate is ", var,
                                               " (BCH weights can make it <= 0); floored at 1e-8"));
          var = 1e-8;
        }
        th[o + k] = mu;
        th[o + K + k] = std::log(var);
      }
    } else if (d->outcome_kind == OutcomeKind::categorical) {
      for (Eigen::Index k = 0; k < K; ++k) {
        Eigen::VectorXd cnt = Eigen::VectorXd::Zero(C);
        for (Eigen::Index i = 0; i < n; ++i)
          if (observed(i)) cnt[static_cast<Eigen::Index>(d->outcome[i])] += d->weight(i) * R(i, k);
        const double tot = cnt.sum();
        if (!(tot > 0.0))
          fail("class ", k, ": its weight among respondents with an observed ", d->outcome_name, " is ", tot,
               " (not > 0): the class-specific probabilities are undefined");
        cnt /= tot;
        for (Eigen::Index c = 0; c < C; ++c)
          if (!(cnt[c] > 1e-12)) {
            if (warnings && cnt[c] < 0.0)
              warnings->push_back(format_message("class ", k, ", ", d->outcome_name, " category ", c,
                                                 ": probability estimate ", cnt[c],
                                                 " < 0 (BCH weights can make it negative); floored at 1e-12"));
            cnt[c] = 1e-12;
          }
        for (Eigen::Index c = 1; c < C; ++c) th[o + k * (C - 1) + c - 1] = std::log(cnt[c] / cnt[0]);
      }
    }
    if (K > 1 && newton_steps > 0) {
      // Q_beta(b) = sum_i w_i sum_k R_ik log pi_k(x_i): concave (its Hessian does not depend on R).
      auto qb = [&](const Eigen::VectorXd& t) {
        double q = 0.0;
        Eigen::VectorXd eta(K);
        for (Eigen::Index i = 0; i < n; ++i) {
          const double w = d->weight(i);
          if (w == 0.0) continue;
          eta.setZero();
          for (Eigen::Index k = 1; k < K; ++k)
            for (Eigen::Index p = 0; p < P1; ++p) eta[k] += t[(k - 1) * P1 + p] * x(i, p);
          const double mx = eta.maxCoeff();
          const double lse = mx + std::log((eta.array() - mx).exp().sum());
          for (Eigen::Index k = 0; k < K; ++k) q += w * R(i, k) * (eta[k] - lse);
        }
        return q;
      };
      const Eigen::Index B = o;
      for (int it = 0; it < newton_steps; ++it) {
        Eigen::VectorXd g = Eigen::VectorXd::Zero(B);
        Eigen::MatrixXd info = Eigen::MatrixXd::Zero(B, B);
        Eigen::VectorXd xi(P1), eta(K);
        for (Eigen::Index i = 0; i < n; ++i) {
          const double w = d->weight(i);
          if (w == 0.0) continue;
          for (Eigen::Index p = 0; p < P1; ++p) xi[p] = x(i, p);
          eta.setZero();
          for (Eigen::Index k = 1; k < K; ++k) eta[k] = th.segment((k - 1) * P1, P1).dot(xi);
          const double mx = eta.maxCoeff();
          Eigen::VectorXd pi = (eta.array() - mx).exp().matrix();
          pi /= pi.sum();
          const double rs = R.row(i).sum();
          for (Eigen::Index k = 1; k < K; ++k) {
            g.segment((k - 1) * P1, P1) += w * (R(i, k) - rs * pi[k]) * xi;
            for (Eigen::Index l = 1; l < K; ++l)
              info.block((k - 1) * P1, (l - 1) * P1, P1, P1).noalias() += w * rs * pi[k] * ((k == l ? 1.0 : 0.0) - pi[l]) *
                                                                          (xi * xi.transpose());
          }
        }
        const Eigen::LDLT<Eigen::MatrixXd> ldlt(info);
        if (ldlt.info() != Eigen::Success) fail("the covariates' information matrix is singular (collinear covariates?)");
        const Eigen::VectorXd step = ldlt.solve(g);
        if (!step.allFinite()) fail("the membership logit diverged (covariates that separate the classes perfectly?)");
        const double q0 = qb(th.head(B));
        double t = 1.0;
        bool moved = false;
        for (int h = 0; h < 40; ++h, t *= 0.5) {
          const Eigen::VectorXd trial = th.head(B) + t * step;
          const double q1 = qb(trial);
          if (q1 >= q0) {
            th.head(B) = trial;
            moved = q1 - q0 > 1e-13 * std::max(1.0, std::abs(q0));
            break;
          }
        }
        if (!moved || step.lpNorm<Eigen::Infinity>() < 1e-12) break;
      }
    }
  }
};

}  // namespace detail

/// The bias-corrected three-step estimates (see the header comment for the model, the
/// corrections and the standard errors). posterior: step 1's n x K membership
/// probabilities; data: covariates and/or one distal outcome on the same n rows.
/// Throws std::invalid_argument for bad input (naming the row/column), for a singular
/// classification-error matrix under bch, and for classes without members.
[[nodiscard]] inline ThreeStepResult three_step(const Eigen::Ref<const RowMatrixXd>& posterior, const StructuralData& data,
                                                const ThreeStepOptions& o = {}) {
  const Eigen::Index n = posterior.rows();
  const Eigen::Index K = posterior.cols();
  if (K < 2) fail("the three-step approach needs at least 2 classes, got ", K);
  if (o.max_iterations < 1) fail("max_iterations must be >= 1, got ", o.max_iterations);
  if (!(o.tolerance >= 0.0) || !std::isfinite(o.tolerance))
    fail("tolerance must be a finite number >= 0, got ", o.tolerance);
  if (data.covariates.cols() > 0 && data.covariates.rows() != n)
    fail("covariates have ", data.covariates.rows(), " rows, the posterior has ", n);
  for (Eigen::Index p = 0; p < data.covariates.cols(); ++p)
    for (Eigen::Index i = 0; i < n; ++i)
      if (!std::isfinite(data.covariates(i, p)))
        fail("row ", i, ", ", data.covariate_name(p), ": covariates must be finite, got ", data.covariates(i, p));
  if (data.outcome_kind == OutcomeKind::none) {
    if (data.covariates.cols() == 0) fail("give covariates, an outcome or both: there is no structural model to estimate");
  } else {
    if (data.outcome.size() != n)
      fail(data.outcome_name, " has ", data.outcome.size(), " entries, the posterior has ", n, " rows");
    if (data.outcome_kind == OutcomeKind::categorical) {
      if (data.categories < 2)
        fail(data.outcome_name, ": a categorical outcome needs categories >= 2, got ", data.categories);
      for (Eigen::Index i = 0; i < n; ++i) {
        const double y = data.outcome[i];
        if (!std::isnan(y) && (y < 0.0 || y >= data.categories || y != std::floor(y)))
          fail("row ", i, ", ", data.outcome_name, ": code ", y, " is not one of the ", data.categories, " categories (0..",
               data.categories - 1, ")");
      }
    } else {
      for (Eigen::Index i = 0; i < n; ++i)
        if (std::isinf(data.outcome[i]))
          fail("row ", i, ", ", data.outcome_name, ": value is infinite (use NaN for missing)");
    }
  }
  detail::ThreeStep ts;
  ts.d = &data;
  ts.n = n;
  ts.K = K;
  ts.P1 = 1 + data.covariates.cols();
  ts.C = data.outcome_kind == OutcomeKind::categorical ? data.categories : 0;
  ts.correction = o.correction;
  ts.D = classification_error(posterior, data.weights, o.assignment);
  ts.a.resize(n, K);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (o.assignment == Assignment::modal) {
      Eigen::Index s = 0;
      posterior.row(i).maxCoeff(&s);
      ts.a.row(i).setZero();
      ts.a(i, s) = 1.0;
    } else {
      ts.a.row(i) = posterior.row(i);
    }
  }
  ThreeStepResult out;
  out.assignment = o.assignment;
  out.correction = o.correction;
  out.outcome_kind = data.outcome_kind;
  out.classification = ts.D;
  {
    const Eigen::FullPivLU<Eigen::MatrixXd> lu(ts.D);
    if (o.correction == Correction::bch && (!lu.isInvertible() || lu.rcond() < 1e-10))
      fail("the classification-error matrix is singular: classes are not separated enough for BCH (use correction='ml')");
    ts.Dinv = lu.isInvertible() ? Eigen::MatrixXd(lu.inverse()) : Eigen::MatrixXd::Zero(K, K);
  }
  for (Eigen::Index k = 0; k < K; ++k) {
    double tot = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) tot += data.weight(i) * ts.a(i, k);
    if (!(tot > 0.0)) {
      if (o.correction == Correction::none)
        fail("no respondent is assigned to class ", k, ": the naive three-step estimate is undefined for it");
      out.warnings.push_back(format_message("no respondent is assigned to class ", k, " (modal assignment)"));
    }
  }
  // Start (and, for none/bch, finish) with one M-step at the fixed R.
  Eigen::VectorXd th = Eigen::VectorXd::Zero(ts.size());
  RowMatrixXd R(n, K);
  {
    detail::ThreeStep fixed = ts;
    fixed.correction = o.correction == Correction::ml ? Correction::none : o.correction;
    (void)fixed.objective(th, &R);
    bool any_empty = false;
    for (Eigen::Index k = 0; k < K; ++k) any_empty = any_empty || !(R.col(k).sum() > 0.0);
    if (any_empty) R = posterior;  // ml start when a class has no modal members
    fixed.m_step(th, R, o.max_iterations, o.correction == Correction::ml ? nullptr : &out.warnings);
  }
  out.iterations = 1;
  out.converged = true;
  if (o.correction == Correction::ml) {
    out.converged = false;
    double prev = ts.objective(th, &R);
    for (int it = 0; it < o.max_iterations; ++it) {
      ts.m_step(th, R, 5, nullptr);
      const double cur = ts.objective(th, &R);
      out.iterations = it + 1;
      if (cur - prev <= o.tolerance * std::max(1.0, std::abs(cur))) {
        out.converged = true;
        break;
      }
      prev = cur;
    }
    if (!out.converged)
      out.warnings.push_back(format_message("the ML three-step EM did not converge in ", o.max_iterations, " iterations"));
  }
  const Eigen::Index np = ts.size();
  auto hessian = [&](const Eigen::VectorXd& at) {
    Eigen::MatrixXd Hm(np, np);
    for (Eigen::Index j = 0; j < np; ++j) {
      const double h = 1e-5 * std::max(1.0, std::abs(at[j]));
      Eigen::VectorXd tp = at, tm = at;
      tp[j] += h;
      tm[j] -= h;
      Hm.col(j) = (ts.gradient(tp) - ts.gradient(tm)) / (2.0 * h);
    }
    return Eigen::MatrixXd(0.5 * (Hm + Hm.transpose()));
  };
  if (o.correction == Correction::ml) {
    // EM converges linearly; a few Newton steps (accepted only if L rises) polish the
    // maximum so that the gradient is ~0.
    double cur = ts.objective(th, nullptr);
    for (int it = 0; it < 10; ++it) {
      const Eigen::VectorXd g = ts.gradient(th);
      if (g.lpNorm<Eigen::Infinity>() < 1e-9 * std::max(1.0, std::abs(cur))) break;
      const Eigen::LDLT<Eigen::MatrixXd> ldlt(-hessian(th));
      if (ldlt.info() != Eigen::Success || !ldlt.isPositive()) break;
      const Eigen::VectorXd step = ldlt.solve(g);
      if (!step.allFinite()) break;
      const Eigen::VectorXd trial = th + step;
      const double next = ts.objective(trial, nullptr);
      if (!(next >= cur - 1e-12 * std::max(1.0, std::abs(cur)))) break;
      th = trial;
      cur = next;
    }
  }
  out.objective = ts.objective(th, nullptr);
  out.parameters = th;
  // Sandwich covariance.
  Eigen::MatrixXd B = Eigen::MatrixXd::Zero(np, np);
  {
    Eigen::VectorXd lj(K), Ri(K), gi(np);
    for (Eigen::Index i = 0; i < n; ++i) {
      if (data.weight(i) == 0.0) continue;
      (void)ts.weights_row(th, i, lj, Ri);
      ts.gradient_row(th, i, Ri, gi);
      B.noalias() += gi * gi.transpose();
    }
  }
  const Eigen::MatrixXd H = hessian(th);
  const Eigen::FullPivLU<Eigen::MatrixXd> hlu(H);
  if (hlu.isInvertible()) {
    const Eigen::MatrixXd Hi = hlu.inverse();
    out.covariance = Hi * B * Hi;
  } else {
    out.covariance = Eigen::MatrixXd::Constant(np, np, std::numeric_limits<double>::quiet_NaN());
    out.warnings.emplace_back(
        "the step-3 Hessian is singular: standard errors are not available (a parameter is not identified)");
  }
  auto se = [&](Eigen::Index j) { return std::sqrt(std::max(0.0, out.covariance(j, j))); };
  const Eigen::Index P1 = ts.P1;
  out.beta = Eigen::MatrixXd::Zero(P1, K);
  out.beta_se = Eigen::MatrixXd::Zero(P1, K);
  for (Eigen::Index k = 1; k < K; ++k)
    for (Eigen::Index p = 0; p < P1; ++p) {
      out.beta(p, k) = th[(k - 1) * P1 + p];
      out.beta_se(p, k) = se((k - 1) * P1 + p);
    }
  const Eigen::Index off = ts.n_beta();
  if (data.outcome_kind == OutcomeKind::gaussian) {
    out.means = th.segment(off, K);
    out.variances = th.segment(off + K, K).array().exp().matrix();
    out.means_se.resize(K);
    out.variances_se.resize(K);
    for (Eigen::Index k = 0; k < K; ++k) {
      out.means_se[k] = se(off + k);
      out.variances_se[k] = out.variances[k] * se(off + K + k);  // delta method from log sigma2
    }
  } else if (data.outcome_kind == OutcomeKind::categorical) {
    const Eigen::Index C = ts.C;
    out.probabilities.resize(K, C);
    out.probabilities_se.resize(K, C);
    for (Eigen::Index k = 0; k < K; ++k) {
      const Eigen::VectorXd p = ts.probabilities(th, k);
      out.probabilities.row(k) = p.transpose();
      // Delta method: dp_c/deta_c' = p_c ([c = c'] - p_c'), c' = 1..C-1.
      Eigen::MatrixXd J(C, C - 1);
      for (Eigen::Index c = 0; c < C; ++c)
        for (Eigen::Index c2 = 1; c2 < C; ++c2) J(c, c2 - 1) = p[c] * ((c == c2 ? 1.0 : 0.0) - p[c2]);
      const Eigen::MatrixXd V = J * out.covariance.block(off + k * (C - 1), off + k * (C - 1), C - 1, C - 1) * J.transpose();
      for (Eigen::Index c = 0; c < C; ++c) out.probabilities_se(k, c) = std::sqrt(std::max(0.0, V(c, c)));
    }
  }
  out.class_shares = Eigen::VectorXd::Zero(K);
  double wsum = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double w = data.weight(i);
    if (w == 0.0) continue;
    Eigen::VectorXd eta = Eigen::VectorXd::Zero(K);
    for (Eigen::Index k = 1; k < K; ++k)
      for (Eigen::Index p = 0; p < P1; ++p) eta[k] += out.beta(p, k) * ts.x(i, p);
    const double mx = eta.maxCoeff();
    Eigen::VectorXd pi = (eta.array() - mx).exp().matrix();
    out.class_shares += w * pi / pi.sum();
    wsum += w;
  }
  out.class_shares /= wsum;
  return out;
}

/// The step-3 objective at packed parameters th (L for ml, Q for none/bch) and its exact
/// gradient (for tests against finite differences).
[[nodiscard]] inline std::pair<double, Eigen::VectorXd> three_step_objective(const Eigen::Ref<const RowMatrixXd>& posterior,
                                                                             const StructuralData& data,
                                                                             const ThreeStepOptions& o,
                                                                             const Eigen::VectorXd& th) {
  detail::ThreeStep ts;
  ts.d = &data;
  ts.n = posterior.rows();
  ts.K = posterior.cols();
  ts.P1 = 1 + data.covariates.cols();
  ts.C = data.outcome_kind == OutcomeKind::categorical ? data.categories : 0;
  ts.correction = o.correction;
  ts.D = classification_error(posterior, data.weights, o.assignment);
  ts.Dinv = ts.D.inverse();
  ts.a.resize(ts.n, ts.K);
  for (Eigen::Index i = 0; i < ts.n; ++i) {
    if (o.assignment == Assignment::modal) {
      Eigen::Index s = 0;
      posterior.row(i).maxCoeff(&s);
      ts.a.row(i).setZero();
      ts.a(i, s) = 1.0;
    } else {
      ts.a.row(i) = posterior.row(i);
    }
  }
  if (th.size() != ts.size()) fail("parameters have ", th.size(), " entries, the model needs ", ts.size());
  return {ts.objective(th, nullptr), ts.gradient(th)};
}

}  // namespace trustmix::audience
