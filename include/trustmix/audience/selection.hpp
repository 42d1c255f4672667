#pragma once
// Choosing the number of classes and relating classes to outcomes:
// - simulate_survey: answers drawn from a fitted model (same respondents, weights,
//   covariates and missing-answer pattern as a template survey);
// - bootstrap_lrt: the parametric bootstrap likelihood-ratio test of K-1 against K
//   classes (McLachlan 1987; Nylund, Asparouhov & Muthen 2007);
// - bch: the bias-corrected three-step estimate of class-specific outcome means (Bolck,
//   Croon & Hagenaars 2004; Vermunt 2010), from posterior membership probabilities.
#include <Eigen/Core>
#include <Eigen/LU>

#include <cmath>
#include <cstdint>
#include <exception>
#include <vector>

#include "trustmix/audience/latent_class.hpp"

namespace trustmix::audience {

/// A survey like `shape` (same rows, weights, covariates, missing answers) whose
/// observed answers are drawn from model m: class z_i ~ pi(x_i), y_ij ~ theta_{j z_i},
/// z_ig ~ N(mu_{z_i}, Sigma_{z_i}). Deterministic for (seed, stream).
[[nodiscard]] inline Survey simulate_survey(const LatentClassModel& m, const Survey& shape, std::uint64_t seed,
                                            std::uint64_t stream = 0) {
  shape.validate();
  check_model(m, shape);
  inference::ChainRng rng(seed, stream);
  Survey s = shape;
  const Eigen::Index n = s.rows();
  const Eigen::Index K = m.classes;
  const Eigen::Index G = s.gaussian.cols();
  std::vector<Eigen::MatrixXd> chol(static_cast<std::size_t>(K));
  for (Eigen::Index k = 0; k < K && G > 0; ++k) {
    Eigen::LLT<Eigen::MatrixXd> llt(m.covariances[static_cast<std::size_t>(k)]);
    if (llt.info() != Eigen::Success) fail("class ", k, ": covariance is not positive definite");
    chol[static_cast<std::size_t>(k)] = llt.matrixL();
  }
  auto draw = [&](const auto& probs, Eigen::Index size) {
    const double u = rng.uniform();
    double acc = 0.0;
    for (Eigen::Index c = 0; c < size; ++c) {
      acc += probs[c];
      if (u < acc) return c;
    }
    return size - 1;
  };
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::VectorXd pi = m.shares(s.covariates.cols() ? Eigen::RowVectorXd(s.covariates.row(i))
                                                            : Eigen::RowVectorXd(0));
    const Eigen::Index z = draw(pi, K);
    for (Eigen::Index j = 0; j < s.items.cols(); ++j) {
      if (s.items(i, j) == missing_code) continue;
      const Eigen::RowVectorXd th = m.item_probabilities[static_cast<std::size_t>(j)].row(z);
      s.items(i, j) = static_cast<std::uint8_t>(draw(th, th.size()));
    }
    if (G > 0) {
      Eigen::VectorXd e(G);
      for (Eigen::Index g = 0; g < G; ++g) e[g] = rng.normal();
      const Eigen::VectorXd x = m.means.row(z).transpose() + chol[static_cast<std::size_t>(z)] * e;
      for (Eigen::Index g = 0; g < G; ++g)
        if (!std::isnan(s.gaussian(i, g))) s.gaussian(i, g) = x[g];
    }
  }
  return s;
}

/// Result of the bootstrap likelihood-ratio test of K-1 against K classes.
struct BootstrapLrt {
  int classes = 0;                  ///< K
  double statistic = 0.0;           ///< 2 (LL_K - LL_{K-1}) on the data
  std::vector<double> replicates;   ///< the statistic on each bootstrap sample
  double p_value = 1.0;             ///< (1 + #{replicate >= statistic}) / (B + 1)
  double log_likelihood_null = 0.0, log_likelihood_alternative = 0.0;
};

/// Parametric bootstrap LRT: fits K-1 and K classes (options `o`, o.classes = K), then
/// for each of `replicates` samples drawn from the fitted (K-1)-class model refits both
/// models (with o.starts starts each) and compares the statistics. Replicates run in
/// parallel, each deterministic for (seed, replicate). The p-value is a Monte Carlo
/// estimate: its standard error is about sqrt(p (1 - p) / B).
[[nodiscard]] inline BootstrapLrt bootstrap_lrt(const Survey& s, const LatentClassOptions& o, int replicates) {
  if (o.classes < 2) fail("bootstrap_lrt needs classes >= 2 (it tests K-1 against K), got ", o.classes);
  if (replicates < 1) fail("replicates must be >= 1, got ", replicates);
  LatentClassOptions null_o = o;
  null_o.classes = o.classes - 1;
  const LatentClassFit f0 = fit_latent_classes(s, null_o);
  const LatentClassFit f1 = fit_latent_classes(s, o);
  BootstrapLrt out;
  out.classes = o.classes;
  out.log_likelihood_null = f0.log_likelihood;
  out.log_likelihood_alternative = f1.log_likelihood;
  out.statistic = 2.0 * (f1.log_likelihood - f0.log_likelihood);
  out.replicates.assign(static_cast<std::size_t>(replicates), 0.0);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(replicates));
  parallel_for_blocks(replicates, o.threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (std::ptrdiff_t r = b; r < e; ++r) {
      const auto ru = static_cast<std::uint64_t>(r);
      try {
        const Survey sim = simulate_survey(f0.model, s, o.seed ^ 0x5bd1e995ULL, ru);
        LatentClassOptions a = null_o, bopt = o;
        a.seed = bopt.seed = o.seed + 1000003ULL * (ru + 1);
        a.threads = bopt.threads = 1;
        const double l0 = fit_latent_classes(sim, a).log_likelihood;
        const double l1 = fit_latent_classes(sim, bopt).log_likelihood;
        out.replicates[static_cast<std::size_t>(r)] = 2.0 * (l1 - l0);
      } catch (...) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
      }
    }
  });
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  int exceed = 0;
  for (const double v : out.replicates)
    if (v >= out.statistic) ++exceed;
  out.p_value = (1.0 + exceed) / (replicates + 1.0);
  return out;
}

/// Class-specific outcome means by the BCH three-step method.
struct BchResult {
  Eigen::MatrixXd means;            ///< K x M: mean of each outcome column in each class
  Eigen::MatrixXd standard_errors;  ///< K x M (sandwich, treating the step-1 model as known)
  Eigen::MatrixXd classification;   ///< K x K: D(k, s) = P(modal class s | true class k)
};

/// BCH (Bolck, Croon & Hagenaars 2004; Vermunt 2010): with modal assignments s_i and
/// D(k, s) = sum_i w_i r_ik [s_i = s] / sum_i w_i r_ik, each respondent gets class weights
/// d_ik = (D^-1)(s_i, k), and mu_k = sum_i w_i d_ik y_i / sum_i w_i d_ik (per outcome
/// column, over respondents whose outcome is not NaN). Unlike averaging y over modal
/// classes, this corrects the attenuation from classification error. Standard errors
/// use the sandwich sum_i (w_i d_ik)^2 (y_i - mu_k)^2 / (sum_i w_i d_ik)^2, which ignores
/// the uncertainty of the step-1 model. For a categorical outcome pass its indicator
/// columns: the means are class-specific proportions.
[[nodiscard]] inline BchResult bch(const Eigen::Ref<const RowMatrixXd>& posterior,
                                   const Eigen::Ref<const RowMatrixXd>& outcomes,
                                   const Eigen::VectorXd& weights = Eigen::VectorXd()) {
  const Eigen::Index n = posterior.rows();
  const Eigen::Index K = posterior.cols();
  const Eigen::Index M = outcomes.cols();
  if (K < 1) fail("posterior has no classes");
  if (outcomes.rows() != n) fail("outcomes have ", outcomes.rows(), " rows, the posterior has ", n);
  if (weights.size() != 0 && weights.size() != n)
    fail("weights have ", weights.size(), " entries, the posterior has ", n, " rows");
  auto w = [&](Eigen::Index i) { return weights.size() ? weights[i] : 1.0; };
  std::vector<Eigen::Index> modal(static_cast<std::size_t>(n));
  Eigen::MatrixXd D = Eigen::MatrixXd::Zero(K, K);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!(w(i) >= 0.0) || !std::isfinite(w(i))) fail("row ", i, ": weight must be a finite number >= 0, got ", w(i));
    Eigen::Index s = 0;
    posterior.row(i).maxCoeff(&s);
    modal[static_cast<std::size_t>(i)] = s;
    for (Eigen::Index k = 0; k < K; ++k) D(k, s) += w(i) * posterior(i, k);
  }
  for (Eigen::Index k = 0; k < K; ++k) {
    const double tot = D.row(k).sum();
    if (!(tot > 0.0)) fail("class ", k, " has no members: BCH weights are undefined");
    D.row(k) /= tot;
  }
  const Eigen::FullPivLU<Eigen::MatrixXd> lu(D);
  if (!lu.isInvertible()) fail("the classification-error matrix is singular: classes are not separated enough for BCH");
  const Eigen::MatrixXd Dinv = lu.inverse();
  BchResult out;
  out.classification = D;
  out.means = Eigen::MatrixXd::Zero(K, M);
  out.standard_errors = Eigen::MatrixXd::Zero(K, M);
  for (Eigen::Index m = 0; m < M; ++m)
    for (Eigen::Index k = 0; k < K; ++k) {
      double sw = 0.0, swy = 0.0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const double y = outcomes(i, m);
        if (std::isnan(y)) continue;
        const double d = w(i) * Dinv(modal[static_cast<std::size_t>(i)], k);
        sw += d;
        swy += d * y;
      }
      if (sw == 0.0) fail("class ", k, ", outcome ", m, ": BCH weights sum to 0");
      const double mu = swy / sw;
      double v = 0.0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const double y = outcomes(i, m);
        if (std::isnan(y)) continue;
        const double d = w(i) * Dinv(modal[static_cast<std::size_t>(i)], k);
        v += d * d * (y - mu) * (y - mu);
      }
      out.means(k, m) = mu;
      out.standard_errors(k, m) = std::sqrt(v) / std::abs(sw);
    }
  return out;
}

}  // namespace trustmix::audience
