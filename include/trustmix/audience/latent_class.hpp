#pragma once
// Latent class analysis (LCA) for survey data: the model of poLCA (Linzer & Lewis 2011,
// J. Stat. Softw. 42(10)) and StepMix (Morin et al. 2025), extended to mixed data.
//
// Respondent i belongs to one of K latent classes; given the class, the indicators are
// independent (local independence):
//   P(y_i) = sum_k pi_k(x_i) prod_j prod_c theta_jkc^[y_ij = c] * prod_g N(z_ig; mu_kg, s2_kg)
// with categorical items y_ij in {0..C_j-1}, Gaussian indicators z_ig (diagonal: one
// variance per class and indicator; full: one covariance matrix per class, as mclust's
// VVV model), and class shares pi_k(x) = softmax(x beta)_k, a multinomial logit in the
// covariates x (intercept first; without covariates pi_k is constant, as poLCA).
// Missing answers (code 255, NaN) drop out of the product: full-information maximum
// likelihood under missing at random, no listwise deletion. Survey weights w_i multiply
// each respondent's log-likelihood (pseudo-maximum likelihood).
//
// Estimation: EM from many random starts (run in parallel, deterministic for a seed on
// every thread count); the covariate coefficients get one Newton step per EM iteration
// with step halving (a generalised EM, so the log-likelihood never decreases).
#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/inference/rng.hpp"

namespace trustmix::audience {

using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using CodeMatrix = Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Code of a missing categorical answer.
inline constexpr std::uint8_t missing_code = 255;
/// Most categories an item may have (codes 0..253; 255 means missing).
inline constexpr int max_categories = 254;
/// Most latent classes.
inline constexpr int max_classes = 64;

/// Covariance structure of the Gaussian indicators within a class.
enum class Covariance : std::uint8_t { diagonal, full };

/// The survey: n respondents' answers, optional weights and covariates.
struct Survey {
  CodeMatrix items;                  ///< n x J categorical answers, 0..categories[j]-1, missing_code if missing
  std::vector<int> categories;       ///< J: number of categories of each item
  RowMatrixXd gaussian;              ///< n x G continuous indicators, NaN if missing (0 columns if none)
  Eigen::VectorXd weights;           ///< n survey weights >= 0, or empty for 1
  RowMatrixXd covariates;            ///< n x P covariates of class membership (an intercept is added), or 0 columns
  std::vector<std::string> item_names, gaussian_names, covariate_names;  ///< for messages (may be empty)

  [[nodiscard]] Eigen::Index rows() const { return std::max(items.rows(), gaussian.rows()); }
  [[nodiscard]] Eigen::Index n_items() const { return items.cols(); }
  [[nodiscard]] Eigen::Index n_gaussian() const { return gaussian.cols(); }
  [[nodiscard]] Eigen::Index n_covariates() const { return covariates.cols(); }
  [[nodiscard]] double weight(Eigen::Index i) const { return weights.size() ? weights[i] : 1.0; }
  [[nodiscard]] std::string item_name(Eigen::Index j) const {
    return static_cast<std::size_t>(j) < item_names.size() ? item_names[static_cast<std::size_t>(j)]
                                                           : "item " + std::to_string(j);
  }
  [[nodiscard]] std::string gaussian_name(Eigen::Index g) const {
    return static_cast<std::size_t>(g) < gaussian_names.size() ? gaussian_names[static_cast<std::size_t>(g)]
                                                               : "indicator " + std::to_string(g);
  }
  [[nodiscard]] std::string covariate_name(Eigen::Index p) const {
    return static_cast<std::size_t>(p) < covariate_names.size() ? covariate_names[static_cast<std::size_t>(p)]
                                                                : "covariate " + std::to_string(p);
  }
  /// True if respondent i answered nothing (every item and indicator missing).
  [[nodiscard]] bool all_missing(Eigen::Index i) const {
    for (Eigen::Index j = 0; j < items.cols(); ++j)
      if (items(i, j) != missing_code) return false;
    for (Eigen::Index g = 0; g < gaussian.cols(); ++g)
      if (!std::isnan(gaussian(i, g))) return false;
    return true;
  }

  /// Checks shapes, codes, weights and covariates; throws std::invalid_argument naming
  /// the row and column. Does not check identification (fit_latent_classes does).
  void validate() const {
    const Eigen::Index n = rows();
    if (n == 0) fail("the survey has no respondents");
    if (items.cols() == 0 && gaussian.cols() == 0) fail("the survey has no items and no Gaussian indicators");
    if (items.cols() > 0 && items.rows() != n) fail("items have ", items.rows(), " rows, the survey has ", n);
    if (gaussian.cols() > 0 && gaussian.rows() != n)
      fail("gaussian indicators have ", gaussian.rows(), " rows, the survey has ", n);
    if (static_cast<Eigen::Index>(categories.size()) != items.cols())
      fail("categories has ", categories.size(), " entries, there are ", items.cols(), " items");
    for (Eigen::Index j = 0; j < items.cols(); ++j) {
      const int c = categories[static_cast<std::size_t>(j)];
      if (c < 1 || c > max_categories) fail(item_name(j), ": categories must be in [1, ", max_categories, "], got ", c);
      for (Eigen::Index i = 0; i < n; ++i) {
        const int y = items(i, j);
        if (y != missing_code && y >= c)
          fail("row ", i, ", ", item_name(j), ": code ", y, " is not one of the item's ", c, " categories (0..", c - 1, ")");
      }
    }
    for (Eigen::Index g = 0; g < gaussian.cols(); ++g)
      for (Eigen::Index i = 0; i < n; ++i)
        if (std::isinf(gaussian(i, g))) fail("row ", i, ", ", gaussian_name(g), ": value is infinite (use NaN for missing)");
    if (weights.size() != 0) {
      if (weights.size() != n) fail("weights have ", weights.size(), " entries, the survey has ", n, " rows");
      double total = 0.0;
      for (Eigen::Index i = 0; i < n; ++i) {
        if (!(weights[i] >= 0.0) || !std::isfinite(weights[i]))
          fail("row ", i, ": survey weight must be a finite number >= 0, got ", weights[i]);
        total += weights[i];
      }
      if (!(total > 0.0)) fail("survey weights sum to 0: no respondent carries weight");
    }
    if (covariates.cols() > 0) {
      if (covariates.rows() != n) fail("covariates have ", covariates.rows(), " rows, the survey has ", n);
      for (Eigen::Index p = 0; p < covariates.cols(); ++p)
        for (Eigen::Index i = 0; i < n; ++i)
          if (!std::isfinite(covariates(i, p)))
            fail("row ", i, ", ", covariate_name(p),
                 ": covariates must be finite (missing covariates cannot be "
                 "integrated out; drop or impute the row), got ",
                 covariates(i, p));
    }
  }
};

/// Parameters of a latent class model with K classes.
struct LatentClassModel {
  int classes = 0;
  std::vector<int> categories;                     ///< J
  std::vector<Eigen::MatrixXd> item_probabilities; ///< J matrices K x C_j: theta_jkc = P(y_j = c | class k)
  Eigen::MatrixXd means;                           ///< K x G class means of the Gaussian indicators
  std::vector<Eigen::MatrixXd> covariances;        ///< K matrices G x G (diagonal ones for Covariance::diagonal)
  Covariance covariance = Covariance::diagonal;
  /// (1 + P) x K multinomial-logit coefficients of class membership (intercept first);
  /// column 0 (the reference class) is zero. pi_k(x) = exp(x b_k) / sum_l exp(x b_l).
  Eigen::MatrixXd beta;

  [[nodiscard]] Eigen::Index n_items() const { return static_cast<Eigen::Index>(categories.size()); }
  [[nodiscard]] Eigen::Index n_gaussian() const { return means.cols(); }
  [[nodiscard]] Eigen::Index n_covariates() const { return beta.rows() - 1; }

  /// Class shares for covariate row x (without intercept); size K, sums to 1.
  [[nodiscard]] Eigen::VectorXd shares(const Eigen::Ref<const Eigen::RowVectorXd>& x) const {
    Eigen::VectorXd eta = beta.row(0).transpose();
    for (Eigen::Index p = 0; p < x.size(); ++p) eta += x[p] * beta.row(p + 1).transpose();
    const double mx = eta.maxCoeff();
    Eigen::VectorXd e = (eta.array() - mx).exp();
    return e / e.sum();
  }

  /// Number of free parameters: (K-1)(1+P) + K sum_j (C_j - 1) + K G (means) + K G
  /// (diagonal) or K G (G+1)/2 (full) variances.
  [[nodiscard]] Eigen::Index parameters() const {
    const Eigen::Index K = classes;
    Eigen::Index p = (K - 1) * beta.rows();
    for (const int c : categories) p += K * (c - 1);
    const Eigen::Index G = n_gaussian();
    p += K * G;
    p += covariance == Covariance::full ? K * G * (G + 1) / 2 : K * G;
    return p;
  }
};

/// Settings of fit_latent_classes.
struct LatentClassOptions {
  int classes = 2;                 ///< K
  int starts = 10;                 ///< random starts
  int max_iterations = 5000;       ///< EM iterations per start
  double tolerance = 1e-10;        ///< stop when the log-likelihood rises by less than tolerance * |LL|
  std::uint64_t seed = 0;
  int threads = 0;                 ///< 0 = all cores
  Covariance covariance = Covariance::diagonal;
  /// Two-stage starts (as Mplus's STARTS = s f): every start first runs this many
  /// iterations, then the best `final_starts` continue to convergence. 0 = every start
  /// runs to convergence.
  int screening_iterations = 0;
  int final_starts = 0;
  /// Starts whose log-likelihood is within this of the best (relative to max(1, |LL|))
  /// count as having reached the best.
  double best_tolerance = 1e-6;
};

/// A fitted latent class model with its fit statistics.
struct LatentClassFit {
  LatentClassModel model;
  double log_likelihood = 0.0;
  Eigen::Index parameters = 0;
  double observations = 0.0;  ///< respondents with at least one answer (N in the criteria)
  double aic = 0.0, bic = 0.0, sabic = 0.0, caic = 0.0;
  double entropy = 1.0;  ///< relative entropy 1 - sum_i sum_k -r_ik log r_ik / (N log K), in [0, 1]
  RowMatrixXd posterior;  ///< n x K membership probabilities P(class k | answers_i, x_i)
  Eigen::VectorXd class_shares;  ///< K: weighted mean of pi_k(x_i) (the class sizes as shares)
  std::vector<double> start_log_likelihoods;  ///< final LL of every start (-inf: degenerate start)
  int best_start = 0;
  int starts_at_best = 0;  ///< starts that reached the best LL (within best_tolerance)
  int iterations = 0;      ///< EM iterations of the best start
  bool converged = false;
  std::vector<double> log_likelihood_trace;  ///< LL after every iteration of the best start
  Eigen::Index all_missing_rows = 0;         ///< respondents who answered nothing (posterior = prior shares)
  std::vector<std::string> warnings;         ///< inference that may mislead (empty classes, boundary variances)
};

namespace detail {

inline constexpr double log_2pi = 1.8378770664093454836;  // log(2 pi)

/// Sufficient statistics of one E-step (summed over respondents in a fixed chunk order).
struct Stats {
  double log_likelihood = 0.0;
  std::vector<double>
      item_counts;  ///< (sum_j (C_j + 1)) x K: weighted posterior counts per category (last row of an item: missing)
  std::vector<double> class_weight; ///< K
  std::vector<double> g0, g1, g2;   ///< diagonal: G x K observed weight, sum r z, sum r z^2; full: K, K x G, K x G x G
  double entropy = 0.0;             ///< sum_i w_i sum_k -r log r
  void reset(std::size_t cat_rows, int K, Eigen::Index G, Covariance cov) {
    log_likelihood = 0.0;
    entropy = 0.0;
    const auto k = static_cast<std::size_t>(K);
    const auto g = static_cast<std::size_t>(G);
    item_counts.assign(cat_rows * k, 0.0);
    class_weight.assign(k, 0.0);
    if (cov == Covariance::diagonal) {
      g0.assign(g * k, 0.0);
      g1.assign(g * k, 0.0);
      g2.assign(g * k, 0.0);
    } else {
      g0.assign(k, 0.0);
      g1.assign(k * g, 0.0);
      g2.assign(k * g * g, 0.0);
    }
  }
  void add(const Stats& o) {
    log_likelihood += o.log_likelihood;
    entropy += o.entropy;
    for (std::size_t i = 0; i < item_counts.size(); ++i) item_counts[i] += o.item_counts[i];
    for (std::size_t i = 0; i < class_weight.size(); ++i) class_weight[i] += o.class_weight[i];
    for (std::size_t i = 0; i < g0.size(); ++i) g0[i] += o.g0[i];
    for (std::size_t i = 0; i < g1.size(); ++i) g1[i] += o.g1[i];
    for (std::size_t i = 0; i < g2.size(); ++i) g2[i] += o.g2[i];
  }
};

/// The model in the form the E-step reads: log tables and Cholesky factors.
struct Compiled {
  int K = 0;
  std::vector<std::size_t> offset;  ///< J + 1: first row of each item in the log table (C_j + 1 rows each)
  std::vector<double> log_theta;    ///< rows x K; the last row of each item (missing) is 0
  std::vector<double> log_share;    ///< K (without covariates)
  // diagonal Gaussian: G x K
  std::vector<double> mean, inv_var, log_norm;
  // full Gaussian: per class
  std::vector<Eigen::MatrixXd> chol;  ///< lower Cholesky factors L_k
  std::vector<double> full_log_norm;  ///< -0.5 (G log 2pi + log det Sigma_k)
  bool ok = true;                     ///< false if a covariance is not positive definite
};

inline std::vector<std::size_t> category_offsets(const std::vector<int>& categories) {
  std::vector<std::size_t> off(categories.size() + 1, 0);
  for (std::size_t j = 0; j < categories.size(); ++j) off[j + 1] = off[j] + static_cast<std::size_t>(categories[j]) + 1;
  return off;
}

inline Compiled compile(const LatentClassModel& m) {
  Compiled c;
  const int K = m.classes;
  const auto k = static_cast<std::size_t>(K);
  c.K = K;
  c.offset = category_offsets(m.categories);
  c.log_theta.assign(c.offset.back() * k, 0.0);
  for (std::size_t j = 0; j < m.categories.size(); ++j) {
    const auto& th = m.item_probabilities[j];
    for (Eigen::Index cat = 0; cat < th.cols(); ++cat)
      for (int kk = 0; kk < K; ++kk)
        c.log_theta[(c.offset[j] + static_cast<std::size_t>(cat)) * k + static_cast<std::size_t>(kk)] = std::log(
            std::max(th(kk, cat), std::numeric_limits<double>::min()));
  }
  if (m.beta.rows() == 1) {
    const Eigen::VectorXd s = m.shares(Eigen::RowVectorXd(0));
    c.log_share.resize(k);
    for (int kk = 0; kk < K; ++kk)
      c.log_share[static_cast<std::size_t>(kk)] = std::log(std::max(s[kk], std::numeric_limits<double>::min()));
  }
  const Eigen::Index G = m.n_gaussian();
  if (G > 0) {
    if (m.covariance == Covariance::diagonal) {
      const auto g = static_cast<std::size_t>(G);
      c.mean.resize(g * k);
      c.inv_var.resize(g * k);
      c.log_norm.resize(g * k);
      for (Eigen::Index gg = 0; gg < G; ++gg)
        for (int kk = 0; kk < K; ++kk) {
          const double v = m.covariances[static_cast<std::size_t>(kk)](gg, gg);
          if (!(v > 0.0) || !std::isfinite(v)) c.ok = false;
          const std::size_t at = static_cast<std::size_t>(gg) * k + static_cast<std::size_t>(kk);
          c.mean[at] = m.means(kk, gg);
          c.inv_var[at] = 1.0 / v;
          c.log_norm[at] = -0.5 * (log_2pi + std::log(v));
        }
    } else {
      c.chol.resize(k);
      c.full_log_norm.resize(k);
      for (int kk = 0; kk < K; ++kk) {
        Eigen::LLT<Eigen::MatrixXd> llt(m.covariances[static_cast<std::size_t>(kk)]);
        if (llt.info() != Eigen::Success) {
          c.ok = false;
          continue;
        }
        c.chol[static_cast<std::size_t>(kk)] = llt.matrixL();
        const double logdet = 2.0 * c.chol[static_cast<std::size_t>(kk)].diagonal().array().log().sum();
        if (!std::isfinite(logdet)) c.ok = false;
        c.full_log_norm[static_cast<std::size_t>(kk)] = -0.5 * (static_cast<double>(G) * log_2pi + logdet);
      }
    }
  }
  return c;
}

/// Respondents per chunk: the E-step sums chunk statistics in chunk order, so results do
/// not depend on the number of threads.
inline constexpr Eigen::Index chunk_rows = 4096;

/// Log of the joint density of respondent i's answers and class k, for every k, into lp.
inline void joint_log_density(const LatentClassModel& m, const Compiled& c, const Survey& s, Eigen::Index i, double* lp) {
  const int K = c.K;
  const auto k = static_cast<std::size_t>(K);
  if (!c.log_share.empty()) {
    for (std::size_t kk = 0; kk < k; ++kk) lp[kk] = c.log_share[kk];
  } else {
    const Eigen::VectorXd sh = m.shares(s.covariates.row(i));
    for (std::size_t kk = 0; kk < k; ++kk)
      lp[kk] = std::log(std::max(sh[static_cast<Eigen::Index>(kk)], std::numeric_limits<double>::min()));
  }
  const Eigen::Index J = s.items.cols();
  const std::uint8_t* y = J ? s.items.data() + i * J : nullptr;
  for (Eigen::Index j = 0; j < J; ++j) {
    const std::size_t code = y[j] == missing_code ? static_cast<std::size_t>(m.categories[static_cast<std::size_t>(j)])
                                                  : y[j];
    const double* row = c.log_theta.data() + (c.offset[static_cast<std::size_t>(j)] + code) * k;
    for (std::size_t kk = 0; kk < k; ++kk) lp[kk] += row[kk];
  }
  const Eigen::Index G = s.gaussian.cols();
  if (G == 0) return;
  if (m.covariance == Covariance::diagonal) {
    for (Eigen::Index g = 0; g < G; ++g) {
      const double z = s.gaussian(i, g);
      if (std::isnan(z)) continue;
      const std::size_t base = static_cast<std::size_t>(g) * k;
      for (std::size_t kk = 0; kk < k; ++kk) {
        const double d = z - c.mean[base + kk];
        lp[kk] += c.log_norm[base + kk] - 0.5 * d * d * c.inv_var[base + kk];
      }
    }
  } else {
    const Eigen::RowVectorXd z = s.gaussian.row(i);
    for (std::size_t kk = 0; kk < k; ++kk) {
      const Eigen::VectorXd d = (z - m.means.row(static_cast<Eigen::Index>(kk))).transpose();
      const Eigen::VectorXd u = c.chol[kk].triangularView<Eigen::Lower>().solve(d);
      lp[kk] += c.full_log_norm[kk] - 0.5 * u.squaredNorm();
    }
  }
}

/// The E-step over rows [begin, end) for categorical items only, without covariates and
/// without storing the posterior, with K fixed at compile time (the hot loop of large
/// surveys). Same arithmetic, in the same order, as the generic loop in e_step.
template <int KK>
void categorical_rows(const LatentClassModel& m, const Compiled& c, const Survey& s, Eigen::Index begin, Eigen::Index end,
                      Stats& st) {
  constexpr auto k = static_cast<std::size_t>(KK);
  const Eigen::Index J = s.items.cols();
  const double* lt = c.log_theta.data();
  std::array<double, k> lp{}, r{};
  for (Eigen::Index i = begin; i < end; ++i) {
    for (std::size_t kk = 0; kk < k; ++kk) lp[kk] = c.log_share[kk];
    const std::uint8_t* y = s.items.data() + i * J;
    for (Eigen::Index j = 0; j < J; ++j) {
      const std::size_t code = y[j] == missing_code ? static_cast<std::size_t>(m.categories[static_cast<std::size_t>(j)])
                                                    : y[j];
      const double* row = lt + (c.offset[static_cast<std::size_t>(j)] + code) * k;
      for (std::size_t kk = 0; kk < k; ++kk) lp[kk] += row[kk];
    }
    double mx = lp[0];
    for (std::size_t kk = 1; kk < k; ++kk) mx = std::max(mx, lp[kk]);
    double sum = 0.0;
    for (std::size_t kk = 0; kk < k; ++kk) sum += (r[kk] = std::exp(lp[kk] - mx));
    const double w = s.weight(i);
    st.log_likelihood += w * (mx + std::log(sum));
    const double scale = w / sum;
    for (std::size_t kk = 0; kk < k; ++kk) {
      r[kk] *= scale;
      st.class_weight[kk] += r[kk];
    }
    for (Eigen::Index j = 0; j < J; ++j) {
      const std::size_t code = y[j] == missing_code ? static_cast<std::size_t>(m.categories[static_cast<std::size_t>(j)])
                                                    : y[j];
      double* row = st.item_counts.data() + (c.offset[static_cast<std::size_t>(j)] + code) * k;
      for (std::size_t kk = 0; kk < k; ++kk) row[kk] += r[kk];
    }
  }
}

/// One E-step: log-likelihood, sufficient statistics and (optionally) the posterior.
/// The entropy term (sum w r log r) is accumulated only when `entropy` is true.
inline Stats e_step(const LatentClassModel& m, const Compiled& c, const Survey& s, int threads, RowMatrixXd* posterior,
                    bool entropy = false) {
  const Eigen::Index n = s.rows();
  const int K = c.K;
  const auto k = static_cast<std::size_t>(K);
  const Eigen::Index G = s.gaussian.cols();
  const auto g = static_cast<std::size_t>(G);
  const std::size_t n_chunks = static_cast<std::size_t>((n + chunk_rows - 1) / chunk_rows);
  std::vector<Stats> chunk_stats(n_chunks);
  parallel_for_blocks(static_cast<std::ptrdiff_t>(n_chunks), threads, 1, [&](std::ptrdiff_t cb, std::ptrdiff_t ce) {
    std::vector<double> lp(k), r(k);
    for (auto ch = static_cast<std::size_t>(cb); ch < static_cast<std::size_t>(ce); ++ch) {
      Stats& st = chunk_stats[ch];
      st.reset(c.offset.back(), K, G, m.covariance);
      const Eigen::Index begin = static_cast<Eigen::Index>(ch) * chunk_rows;
      const Eigen::Index end = std::min(n, begin + chunk_rows);
      if (G == 0 && !c.log_share.empty() && posterior == nullptr && !entropy && K >= 2 && K <= 8) {
        switch (K) {
          case 2: categorical_rows<2>(m, c, s, begin, end, st); break;
          case 3: categorical_rows<3>(m, c, s, begin, end, st); break;
          case 4: categorical_rows<4>(m, c, s, begin, end, st); break;
          case 5: categorical_rows<5>(m, c, s, begin, end, st); break;
          case 6: categorical_rows<6>(m, c, s, begin, end, st); break;
          case 7: categorical_rows<7>(m, c, s, begin, end, st); break;
          default: categorical_rows<8>(m, c, s, begin, end, st); break;
        }
        continue;
      }
      for (Eigen::Index i = begin; i < end; ++i) {
        joint_log_density(m, c, s, i, lp.data());
        double mx = lp[0];
        for (std::size_t kk = 1; kk < k; ++kk) mx = std::max(mx, lp[kk]);
        double sum = 0.0;
        for (std::size_t kk = 0; kk < k; ++kk) sum += (r[kk] = std::exp(lp[kk] - mx));
        const double inv = 1.0 / sum;
        for (std::size_t kk = 0; kk < k; ++kk) r[kk] *= inv;
        const double w = s.weight(i);
        st.log_likelihood += w * (mx + std::log(sum));
        if (posterior)
          for (std::size_t kk = 0; kk < k; ++kk) (*posterior)(i, static_cast<Eigen::Index>(kk)) = r[kk];
        if (w == 0.0) continue;
        for (std::size_t kk = 0; kk < k; ++kk) {
          st.class_weight[kk] += w * r[kk];
          if (entropy && r[kk] > 0.0) st.entropy -= w * r[kk] * std::log(r[kk]);
        }
        const Eigen::Index J = s.items.cols();
        const std::uint8_t* y = J ? s.items.data() + i * J : nullptr;
        for (Eigen::Index j = 0; j < J; ++j) {
          const std::size_t code = y[j] == missing_code ? static_cast<std::size_t>(m.categories[static_cast<std::size_t>(j)])
                                                        : y[j];
          double* row = st.item_counts.data() + (c.offset[static_cast<std::size_t>(j)] + code) * k;
          for (std::size_t kk = 0; kk < k; ++kk) row[kk] += w * r[kk];
        }
        if (G == 0) continue;
        if (m.covariance == Covariance::diagonal) {
          for (Eigen::Index gg = 0; gg < G; ++gg) {
            const double z = s.gaussian(i, gg);
            if (std::isnan(z)) continue;
            const std::size_t base = static_cast<std::size_t>(gg) * k;
            for (std::size_t kk = 0; kk < k; ++kk) {
              const double wr = w * r[kk];
              st.g0[base + kk] += wr;
              st.g1[base + kk] += wr * z;
              st.g2[base + kk] += wr * z * z;
            }
          }
        } else {
          for (std::size_t kk = 0; kk < k; ++kk) {
            const double wr = w * r[kk];
            st.g0[kk] += wr;
            for (std::size_t a = 0; a < g; ++a) {
              const double za = s.gaussian(i, static_cast<Eigen::Index>(a));
              st.g1[kk * g + a] += wr * za;
              for (std::size_t b = 0; b <= a; ++b)
                st.g2[(kk * g + a) * g + b] += wr * za * s.gaussian(i, static_cast<Eigen::Index>(b));
            }
          }
        }
      }
    }
  });
  Stats total;
  total.reset(c.offset.back(), K, G, m.covariance);
  for (const auto& st : chunk_stats) total.add(st);
  return total;
}

/// Q(beta) = sum_i w_i sum_k r_ik log pi_ik(beta): the part of the EM objective that
/// depends on the membership coefficients.
inline double membership_objective(const Eigen::MatrixXd& beta, const Survey& s, const RowMatrixXd& r) {
  const Eigen::Index n = s.rows();
  const Eigen::Index K = beta.cols();
  double q = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double w = s.weight(i);
    if (w == 0.0) continue;
    Eigen::VectorXd eta = beta.row(0).transpose();
    for (Eigen::Index p = 0; p < s.covariates.cols(); ++p) eta += s.covariates(i, p) * beta.row(p + 1).transpose();
    const double mx = eta.maxCoeff();
    const double lse = mx + std::log((eta.array() - mx).exp().sum());
    for (Eigen::Index k = 0; k < K; ++k) q += w * r(i, k) * (eta[k] - lse);
  }
  return q;
}

/// One Newton step with step halving on Q(beta) (poLCA's M-step for covariates).
inline void newton_membership(Eigen::MatrixXd& beta, const Survey& s, const RowMatrixXd& r) {
  const Eigen::Index n = s.rows();
  const Eigen::Index K = beta.cols();
  const Eigen::Index P1 = beta.rows();
  const Eigen::Index D = P1 * (K - 1);
  Eigen::VectorXd grad = Eigen::VectorXd::Zero(D);
  Eigen::MatrixXd info = Eigen::MatrixXd::Zero(D, D);  // -Hessian
  Eigen::VectorXd x = Eigen::VectorXd::Ones(P1);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double w = s.weight(i);
    if (w == 0.0) continue;
    for (Eigen::Index p = 1; p < P1; ++p) x[p] = s.covariates(i, p - 1);
    Eigen::VectorXd eta = (x.transpose() * beta).transpose();
    const double mx = eta.maxCoeff();
    Eigen::VectorXd pi = (eta.array() - mx).exp();
    pi /= pi.sum();
    for (Eigen::Index k = 1; k < K; ++k) {
      grad.segment((k - 1) * P1, P1) += w * (r(i, k) - pi[k]) * x;
      for (Eigen::Index l = 1; l < K; ++l) {
        const double h = w * pi[k] * ((k == l ? 1.0 : 0.0) - pi[l]);
        info.block((k - 1) * P1, (l - 1) * P1, P1, P1).noalias() += h * (x * x.transpose());
      }
    }
  }
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(info);
  if (ldlt.info() != Eigen::Success) return;
  const Eigen::VectorXd step = ldlt.solve(grad);
  if (!step.allFinite()) return;
  const double q0 = membership_objective(beta, s, r);
  double t = 1.0;
  for (int h = 0; h < 30; ++h, t *= 0.5) {
    Eigen::MatrixXd trial = beta;
    for (Eigen::Index k = 1; k < K; ++k) trial.col(k) += t * step.segment((k - 1) * P1, P1);
    if (membership_objective(trial, s, r) >= q0) {
      beta = std::move(trial);
      return;
    }
  }
}

/// M-step: new parameters from the statistics (and the posterior, for covariates).
/// Variances are floored at var_floor (per indicator) to keep the likelihood bounded.
inline void m_step(LatentClassModel& m, const Stats& st, const Survey& s, const RowMatrixXd* posterior,
                   const std::vector<double>& var_floor) {
  const int K = m.classes;
  const auto k = static_cast<std::size_t>(K);
  const auto off = category_offsets(m.categories);
  for (std::size_t j = 0; j < m.categories.size(); ++j) {
    auto& th = m.item_probabilities[j];
    const auto C = static_cast<std::size_t>(m.categories[j]);
    for (std::size_t kk = 0; kk < k; ++kk) {
      double den = 0.0;
      for (std::size_t cat = 0; cat < C; ++cat) den += st.item_counts[(off[j] + cat) * k + kk];
      if (!(den > 0.0)) continue;  // no observed answer in this class: keep the old probabilities
      for (std::size_t cat = 0; cat < C; ++cat)
        th(static_cast<Eigen::Index>(kk), static_cast<Eigen::Index>(cat)) = st.item_counts[(off[j] + cat) * k + kk] / den;
    }
  }
  if (m.beta.rows() == 1) {
    double total = 0.0;
    for (const double v : st.class_weight) total += v;
    const double ref = std::max(st.class_weight[0], std::numeric_limits<double>::min());
    for (std::size_t kk = 0; kk < k; ++kk)
      m.beta(0, static_cast<Eigen::Index>(kk)) = std::log(
          std::max(st.class_weight[kk], std::numeric_limits<double>::min() * total) / ref);
  } else if (posterior) {
    newton_membership(m.beta, s, *posterior);
  }
  const Eigen::Index G = m.n_gaussian();
  const auto g = static_cast<std::size_t>(G);
  if (G == 0) return;
  if (m.covariance == Covariance::diagonal) {
    for (std::size_t gg = 0; gg < g; ++gg)
      for (std::size_t kk = 0; kk < k; ++kk) {
        const std::size_t at = gg * k + kk;
        if (!(st.g0[at] > 0.0)) continue;
        const double mu = st.g1[at] / st.g0[at];
        const double var = st.g2[at] / st.g0[at] - mu * mu;
        m.means(static_cast<Eigen::Index>(kk), static_cast<Eigen::Index>(gg)) = mu;
        m.covariances[kk](static_cast<Eigen::Index>(gg), static_cast<Eigen::Index>(gg)) = std::max(var, var_floor[gg]);
      }
  } else {
    for (std::size_t kk = 0; kk < k; ++kk) {
      if (!(st.g0[kk] > 0.0)) continue;
      Eigen::VectorXd mu(G);
      for (std::size_t a = 0; a < g; ++a) mu[static_cast<Eigen::Index>(a)] = st.g1[kk * g + a] / st.g0[kk];
      Eigen::MatrixXd cov(G, G);
      for (std::size_t a = 0; a < g; ++a)
        for (std::size_t b = 0; b <= a; ++b) {
          const double v = st.g2[(kk * g + a) * g + b] / st.g0[kk] -
                           mu[static_cast<Eigen::Index>(a)] * mu[static_cast<Eigen::Index>(b)];
          cov(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = v;
          cov(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(a)) = v;
        }
      m.means.row(static_cast<Eigen::Index>(kk)) = mu.transpose();
      m.covariances[kk] = cov;
    }
  }
}

/// Per-indicator variance floor: 1e-8 of the indicator's overall variance.
inline std::vector<double> variance_floor(const Survey& s) {
  std::vector<double> floor(static_cast<std::size_t>(s.gaussian.cols()), 0.0);
  for (Eigen::Index g = 0; g < s.gaussian.cols(); ++g) {
    double n = 0.0, sum = 0.0, sum2 = 0.0;
    for (Eigen::Index i = 0; i < s.rows(); ++i) {
      const double z = s.gaussian(i, g);
      if (std::isnan(z)) continue;
      n += 1.0;
      sum += z;
      sum2 += z * z;
    }
    const double var = n > 0.0 ? sum2 / n - (sum / n) * (sum / n) : 0.0;
    floor[static_cast<std::size_t>(g)] = 1e-8 * std::max(var, 0.0);
  }
  return floor;
}

/// A random starting model: item probabilities uniform on the simplex (Dirichlet(1)),
/// equal shares, Gaussian means at a random respondent's answers (column means where
/// missing), covariances at the overall (co)variance.
inline LatentClassModel random_start(const Survey& s, int K, Covariance cov, std::uint64_t seed, std::uint64_t start) {
  inference::ChainRng rng(seed, start);
  LatentClassModel m;
  m.classes = K;
  m.categories = s.categories;
  m.covariance = cov;
  m.item_probabilities.resize(s.categories.size());
  for (std::size_t j = 0; j < s.categories.size(); ++j) {
    Eigen::MatrixXd th(K, s.categories[j]);
    for (Eigen::Index k = 0; k < K; ++k) {
      for (Eigen::Index c = 0; c < th.cols(); ++c) th(k, c) = -std::log(1.0 - rng.uniform());
      th.row(k) /= th.row(k).sum();
    }
    m.item_probabilities[j] = th;
  }
  m.beta = Eigen::MatrixXd::Zero(1 + s.covariates.cols(), K);
  const Eigen::Index G = s.gaussian.cols();
  m.means = Eigen::MatrixXd::Zero(K, G);
  m.covariances.assign(static_cast<std::size_t>(K), Eigen::MatrixXd::Zero(G, G));
  if (G > 0) {
    Eigen::VectorXd mean = Eigen::VectorXd::Zero(G), count = Eigen::VectorXd::Zero(G);
    for (Eigen::Index i = 0; i < s.rows(); ++i)
      for (Eigen::Index g = 0; g < G; ++g)
        if (!std::isnan(s.gaussian(i, g))) {
          mean[g] += s.gaussian(i, g);
          count[g] += 1.0;
        }
    mean = mean.cwiseQuotient(count.cwiseMax(1.0));
    Eigen::MatrixXd overall = Eigen::MatrixXd::Zero(G, G);
    Eigen::MatrixXd pairs = Eigen::MatrixXd::Zero(G, G);
    for (Eigen::Index i = 0; i < s.rows(); ++i)
      for (Eigen::Index a = 0; a < G; ++a) {
        const double za = s.gaussian(i, a);
        if (std::isnan(za)) continue;
        for (Eigen::Index b = 0; b < G; ++b) {
          const double zb = s.gaussian(i, b);
          if (std::isnan(zb)) continue;
          overall(a, b) += (za - mean[a]) * (zb - mean[b]);
          pairs(a, b) += 1.0;
        }
      }
    overall = overall.cwiseQuotient(pairs.cwiseMax(1.0));
    if (cov == Covariance::diagonal) overall = Eigen::MatrixXd(overall.diagonal().asDiagonal());
    const Eigen::Index n = s.rows();
    for (Eigen::Index k = 0; k < K; ++k) {
      const auto i = std::min<Eigen::Index>(n - 1, static_cast<Eigen::Index>(rng.uniform() * static_cast<double>(n)));
      for (Eigen::Index g = 0; g < G; ++g) m.means(k, g) = std::isnan(s.gaussian(i, g)) ? mean[g] : s.gaussian(i, g);
      m.covariances[static_cast<std::size_t>(k)] = overall;
    }
  }
  return m;
}

/// State of one EM run.
struct Run {
  LatentClassModel model;
  double log_likelihood = -std::numeric_limits<double>::infinity();
  int iterations = 0;
  bool converged = false;
  bool degenerate = false;
  std::vector<double> trace;
};

/// Runs EM from run.model for up to `iterations` more iterations. On return run.model
/// is the model whose log-likelihood is run.log_likelihood (the last E-step's).
inline void em(Run& run, const Survey& s, int iterations, double tolerance, int threads,
               const std::vector<double>& var_floor, bool keep_trace) {
  const bool covariates = run.model.beta.rows() > 1;
  RowMatrixXd posterior;
  if (covariates) posterior.resize(s.rows(), run.model.classes);
  double previous = run.log_likelihood;
  for (int it = 0; it < iterations; ++it) {
    const Compiled c = compile(run.model);
    if (!c.ok) {
      run.degenerate = true;
      run.log_likelihood = -std::numeric_limits<double>::infinity();
      return;
    }
    const Stats st = e_step(run.model, c, s, threads, covariates ? &posterior : nullptr);
    if (!std::isfinite(st.log_likelihood)) {
      run.degenerate = true;
      run.log_likelihood = -std::numeric_limits<double>::infinity();
      return;
    }
    // A class holding fewer respondents than a full covariance needs (G + 1) sits on a
    // singular covariance: its likelihood is spurious (unbounded in the limit), so the
    // start counts as degenerate.
    if (run.model.covariance == Covariance::full && s.gaussian.cols() > 0) {
      double total = 0.0;
      for (const double v : st.class_weight) total += v;
      for (const double v : st.class_weight)
        if (v / total * static_cast<double>(s.rows()) < static_cast<double>(s.gaussian.cols()) + 1.0) {
          run.degenerate = true;
          run.log_likelihood = -std::numeric_limits<double>::infinity();
          return;
        }
    }
    run.log_likelihood = st.log_likelihood;
    if (keep_trace) run.trace.push_back(st.log_likelihood);
    if (std::isfinite(previous) && st.log_likelihood - previous <= tolerance * std::abs(st.log_likelihood)) {
      run.converged = true;
      return;
    }
    m_step(run.model, st, s, covariates ? &posterior : nullptr, var_floor);
    ++run.iterations;
    previous = st.log_likelihood;
  }
}

/// A survey with identical rows merged (first-occurrence order, weights summed).
struct Compressed {
  bool used = false;
  Survey survey;
};

/// Merges identical rows of a survey with categorical items only and no covariates when
/// that at least halves the rows; otherwise returns used = false.
inline Compressed compress(const Survey& s) {
  Compressed out;
  if (s.gaussian.cols() > 0 || s.covariates.cols() > 0 || s.items.cols() == 0) return out;
  const Eigen::Index n = s.rows();
  const auto J = static_cast<std::size_t>(s.items.cols());
  std::unordered_map<std::string_view, Eigen::Index> seen;
  seen.reserve(static_cast<std::size_t>(std::min<Eigen::Index>(n, 1 << 20)));
  std::vector<Eigen::Index> first;
  std::vector<double> weight;
  const auto* base = reinterpret_cast<const char*>(s.items.data());
  for (Eigen::Index i = 0; i < n; ++i) {
    const std::string_view key(base + static_cast<std::size_t>(i) * J, J);
    const auto [it, inserted] = seen.try_emplace(key, static_cast<Eigen::Index>(first.size()));
    if (inserted) {
      first.push_back(i);
      weight.push_back(s.weight(i));
      if (static_cast<Eigen::Index>(first.size()) * 2 > n) return out;  // not worth it
    } else {
      weight[static_cast<std::size_t>(it->second)] += s.weight(i);
    }
  }
  out.used = true;
  out.survey.categories = s.categories;
  out.survey.item_names = s.item_names;
  const auto u = static_cast<Eigen::Index>(first.size());
  out.survey.items.resize(u, s.items.cols());
  out.survey.weights.resize(u);
  out.survey.gaussian.resize(u, 0);
  out.survey.covariates.resize(u, 0);
  for (Eigen::Index r = 0; r < u; ++r) {
    out.survey.items.row(r) = s.items.row(first[static_cast<std::size_t>(r)]);
    out.survey.weights[r] = weight[static_cast<std::size_t>(r)];
  }
  return out;
}

/// Reorders classes by decreasing share (ties keep their order); the reference class of
/// beta becomes the new class 0.
inline void order_classes(LatentClassModel& m, const Eigen::VectorXd& shares) {
  const int K = m.classes;
  std::vector<int> order(static_cast<std::size_t>(K));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return shares[a] > shares[b]; });
  LatentClassModel out = m;
  for (int k = 0; k < K; ++k) {
    const int from = order[static_cast<std::size_t>(k)];
    for (std::size_t j = 0; j < m.item_probabilities.size(); ++j)
      out.item_probabilities[j].row(k) = m.item_probabilities[j].row(from);
    if (m.means.cols() > 0) out.means.row(k) = m.means.row(from);
    out.covariances[static_cast<std::size_t>(k)] = m.covariances[static_cast<std::size_t>(from)];
    out.beta.col(k) = m.beta.col(from) - m.beta.col(order[0]);
  }
  m = std::move(out);
}

/// The largest number of free parameters the categorical items can identify (number of
/// answer patterns - 1), or infinity when Gaussian indicators or covariates are present.
inline double identifiable_parameters(const Survey& s) {
  if (s.gaussian.cols() > 0 || s.covariates.cols() > 0) return std::numeric_limits<double>::infinity();
  double cells = 1.0;
  for (const int c : s.categories) cells *= static_cast<double>(c);
  return cells - 1.0;
}

}  // namespace detail

/// Parameters of a K-class model for the survey's shape (for parameters() before fitting).
[[nodiscard]] inline Eigen::Index count_parameters(const Survey& s, int K, Covariance cov) {
  LatentClassModel m;
  m.classes = K;
  m.categories = s.categories;
  m.covariance = cov;
  m.means = Eigen::MatrixXd::Zero(K, s.gaussian.cols());
  m.beta = Eigen::MatrixXd::Zero(1 + s.covariates.cols(), K);
  return m.parameters();
}

/// Checks a model against a survey's shape; throws naming the mismatch.
inline void check_model(const LatentClassModel& m, const Survey& s) {
  if (m.classes < 1) fail("model has ", m.classes, " classes");
  if (m.categories != s.categories) fail("the model's item categories do not match the survey's");
  if (m.n_gaussian() != s.gaussian.cols())
    fail("the model has ", m.n_gaussian(), " Gaussian indicators, the survey ", s.gaussian.cols());
  if (m.n_covariates() != s.covariates.cols())
    fail("the model has ", m.n_covariates(), " covariates, the survey ", s.covariates.cols());
}

/// Log-likelihood sum_i w_i log P(answers_i | x_i) of the model on the survey.
[[nodiscard]] inline double log_likelihood(const LatentClassModel& m, const Survey& s, int threads = 0) {
  s.validate();
  check_model(m, s);
  const auto c = detail::compile(m);
  if (!c.ok) fail("a class covariance is not positive definite");
  return detail::e_step(m, c, s, threads, nullptr).log_likelihood;
}

/// Posterior membership probabilities P(class k | answers_i, x_i): n x K, rows sum to 1.
/// Respondents who answered nothing get their prior shares pi_k(x_i).
[[nodiscard]] inline RowMatrixXd posterior(const LatentClassModel& m, const Survey& s, int threads = 0) {
  s.validate();
  check_model(m, s);
  const auto c = detail::compile(m);
  if (!c.ok) fail("a class covariance is not positive definite");
  RowMatrixXd r(s.rows(), m.classes);
  (void)detail::e_step(m, c, s, threads, &r);
  return r;
}

/// The free parameters as one vector, in the order of score():
/// beta (columns 1..K-1, each 1+P entries), then for every item j and class k the
/// logits eta_jkc = log(theta_jkc / theta_jk0), c = 1..C_j-1; then the Gaussian means
/// (class-major, K x G), then the variances (diagonal: K x G) or, for full covariances,
/// the lower triangle Sigma_k(a, b), a >= b, row by row for each class.
[[nodiscard]] inline Eigen::VectorXd pack_parameters(const LatentClassModel& m) {
  std::vector<double> v;
  for (Eigen::Index k = 1; k < m.classes; ++k)
    for (Eigen::Index p = 0; p < m.beta.rows(); ++p) v.push_back(m.beta(p, k));
  for (const auto& th : m.item_probabilities)
    for (Eigen::Index k = 0; k < m.classes; ++k)
      for (Eigen::Index c = 1; c < th.cols(); ++c) v.push_back(std::log(th(k, c) / th(k, 0)));
  const Eigen::Index G = m.n_gaussian();
  for (Eigen::Index k = 0; k < m.classes; ++k)
    for (Eigen::Index g = 0; g < G; ++g) v.push_back(m.means(k, g));
  for (Eigen::Index k = 0; k < m.classes; ++k) {
    const auto& S = m.covariances[static_cast<std::size_t>(k)];
    if (m.covariance == Covariance::diagonal) {
      for (Eigen::Index g = 0; g < G; ++g) v.push_back(S(g, g));
    } else {
      for (Eigen::Index a = 0; a < G; ++a)
        for (Eigen::Index b = 0; b <= a; ++b) v.push_back(S(a, b));
    }
  }
  return Eigen::Map<Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

/// The inverse of pack_parameters: `shape` supplies K, categories and covariance type.
[[nodiscard]] inline LatentClassModel unpack_parameters(const LatentClassModel& shape,
                                                        const Eigen::Ref<const Eigen::VectorXd>& v) {
  LatentClassModel m = shape;
  Eigen::Index at = 0;
  auto next = [&]() {
    if (at >= v.size()) fail("parameter vector has ", v.size(), " entries, the model needs more");
    return v[at++];
  };
  m.beta.col(0).setZero();
  for (Eigen::Index k = 1; k < m.classes; ++k)
    for (Eigen::Index p = 0; p < m.beta.rows(); ++p) m.beta(p, k) = next();
  for (auto& th : m.item_probabilities)
    for (Eigen::Index k = 0; k < m.classes; ++k) {
      std::vector<double> eta(static_cast<std::size_t>(th.cols()), 0.0);
      double mx = 0.0;
      for (std::size_t c = 1; c < eta.size(); ++c) mx = std::max(mx, eta[c] = next());
      double sum = 0.0;
      for (double& e : eta) sum += (e = std::exp(e - mx));
      for (Eigen::Index c = 0; c < th.cols(); ++c) th(k, c) = eta[static_cast<std::size_t>(c)] / sum;
    }
  const Eigen::Index G = m.n_gaussian();
  for (Eigen::Index k = 0; k < m.classes; ++k)
    for (Eigen::Index g = 0; g < G; ++g) m.means(k, g) = next();
  for (Eigen::Index k = 0; k < m.classes; ++k) {
    auto& S = m.covariances[static_cast<std::size_t>(k)];
    if (m.covariance == Covariance::diagonal) {
      for (Eigen::Index g = 0; g < G; ++g) S(g, g) = next();
    } else {
      for (Eigen::Index a = 0; a < G; ++a)
        for (Eigen::Index b = 0; b <= a; ++b) S(a, b) = S(b, a) = next();
    }
  }
  if (at != v.size()) fail("parameter vector has ", v.size(), " entries, the model needs ", at);
  return m;
}

/// Gradient of log_likelihood with respect to pack_parameters(m), computed by Fisher's
/// identity (the expected complete-data score under the posterior):
///   d/d beta_pk   = sum_i w_i x_ip (r_ik - pi_ik)
///   d/d eta_jkc   = sum_{i: y_ij observed} w_i r_ik ([y_ij = c] - theta_jkc)
///   d/d mu_k      = sum_i w_i r_ik Sigma_k^-1 (z_i - mu_k)
///   d/d Sigma_k   = 1/2 sum_i w_i r_ik (Sigma_k^-1 d d' Sigma_k^-1 - Sigma_k^-1)  (x2 off the diagonal)
/// At a maximum of the likelihood it is zero.
[[nodiscard]] inline Eigen::VectorXd score(const LatentClassModel& m, const Survey& s) {
  const RowMatrixXd r = posterior(m, s, 1);
  const Eigen::Index n = s.rows();
  const Eigen::Index K = m.classes;
  const Eigen::Index P1 = m.beta.rows();
  const Eigen::Index G = m.n_gaussian();
  std::vector<double> v;
  // beta
  Eigen::MatrixXd gb = Eigen::MatrixXd::Zero(P1, K);
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::RowVectorXd x = Eigen::RowVectorXd::Ones(P1);
    for (Eigen::Index p = 1; p < P1; ++p) x[p] = s.covariates(i, p - 1);
    const Eigen::VectorXd pi = m.shares(s.covariates.cols() ? Eigen::RowVectorXd(s.covariates.row(i))
                                                            : Eigen::RowVectorXd(0));
    for (Eigen::Index k = 0; k < K; ++k) gb.col(k) += s.weight(i) * (r(i, k) - pi[k]) * x.transpose();
  }
  for (Eigen::Index k = 1; k < K; ++k)
    for (Eigen::Index p = 0; p < P1; ++p) v.push_back(gb(p, k));
  for (Eigen::Index j = 0; j < s.items.cols(); ++j) {
    const auto& th = m.item_probabilities[static_cast<std::size_t>(j)];
    Eigen::MatrixXd gj = Eigen::MatrixXd::Zero(K, th.cols());
    for (Eigen::Index i = 0; i < n; ++i) {
      const int y = s.items(i, j);
      if (y == missing_code) continue;
      for (Eigen::Index k = 0; k < K; ++k) {
        const double wr = s.weight(i) * r(i, k);
        gj.row(k) -= wr * th.row(k);
        gj(k, y) += wr;
      }
    }
    for (Eigen::Index k = 0; k < K; ++k)
      for (Eigen::Index c = 1; c < th.cols(); ++c) v.push_back(gj(k, c));
  }
  if (G > 0) {
    Eigen::MatrixXd gm = Eigen::MatrixXd::Zero(K, G);
    std::vector<Eigen::MatrixXd> gs(static_cast<std::size_t>(K), Eigen::MatrixXd::Zero(G, G));
    for (Eigen::Index k = 0; k < K; ++k) {
      const auto& S = m.covariances[static_cast<std::size_t>(k)];
      if (m.covariance == Covariance::diagonal) {
        for (Eigen::Index i = 0; i < n; ++i)
          for (Eigen::Index g = 0; g < G; ++g) {
            const double z = s.gaussian(i, g);
            if (std::isnan(z)) continue;
            const double wr = s.weight(i) * r(i, k);
            const double d = z - m.means(k, g);
            gm(k, g) += wr * d / S(g, g);
            gs[static_cast<std::size_t>(k)](g, g) += wr * 0.5 * (d * d / (S(g, g) * S(g, g)) - 1.0 / S(g, g));
          }
      } else {
        const Eigen::MatrixXd Si = S.inverse();
        for (Eigen::Index i = 0; i < n; ++i) {
          const double wr = s.weight(i) * r(i, k);
          const Eigen::VectorXd d = (s.gaussian.row(i) - m.means.row(k)).transpose();
          const Eigen::VectorXd u = Si * d;
          gm.row(k) += wr * u.transpose();
          gs[static_cast<std::size_t>(k)] += wr * 0.5 * (u * u.transpose() - Si);
        }
      }
    }
    for (Eigen::Index k = 0; k < K; ++k)
      for (Eigen::Index g = 0; g < G; ++g) v.push_back(gm(k, g));
    for (Eigen::Index k = 0; k < K; ++k) {
      const auto& gk = gs[static_cast<std::size_t>(k)];
      if (m.covariance == Covariance::diagonal) {
        for (Eigen::Index g = 0; g < G; ++g) v.push_back(gk(g, g));
      } else {
        for (Eigen::Index a = 0; a < G; ++a)
          for (Eigen::Index b = 0; b <= a; ++b) v.push_back(a == b ? gk(a, b) : 2.0 * gk(a, b));
      }
    }
  }
  return Eigen::Map<Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

/// Fits a K-class model by EM from `starts` random starts and keeps the start with the
/// highest log-likelihood (ties: the lowest start index). Classes are ordered by
/// decreasing share. Fit statistics, with N the respondents who answered something and
/// p the free parameters:
///   AIC = -2 LL + 2 p;  BIC = -2 LL + p log N;  SABIC = -2 LL + p log((N + 2) / 24);
///   CAIC = -2 LL + p (log N + 1);  entropy = 1 - sum_i w_i sum_k -r_ik log r_ik / (W log K)
/// (W = the weights' sum over those respondents; entropy = 1 for K = 1).
/// Throws std::invalid_argument for bad input or a model the data cannot identify.
[[nodiscard]] inline LatentClassFit fit_latent_classes(const Survey& s, const LatentClassOptions& o) {
  s.validate();
  const int K = o.classes;
  if (K < 1 || K > max_classes) fail("classes must be in [1, ", max_classes, "], got ", K);
  if (o.starts < 1) fail("starts must be >= 1, got ", o.starts);
  if (o.max_iterations < 1) fail("max_iterations must be >= 1, got ", o.max_iterations);
  if (!(o.tolerance >= 0.0) || !std::isfinite(o.tolerance))
    fail("tolerance must be a finite number >= 0, got ", o.tolerance);
  if (o.screening_iterations < 0) fail("screening_iterations must be >= 0, got ", o.screening_iterations);
  if (o.final_starts < 0) fail("final_starts must be >= 0, got ", o.final_starts);
  if (o.covariance == Covariance::full)
    for (Eigen::Index i = 0; i < s.rows(); ++i)
      for (Eigen::Index g = 0; g < s.gaussian.cols(); ++g)
        if (std::isnan(s.gaussian(i, g)))
          fail("row ", i, ", ", s.gaussian_name(g),
               ": missing value; covariance='full' needs every Gaussian indicator "
               "observed (use covariance='diagonal', which integrates missing values out)");
  const Eigen::Index n = s.rows();
  // Items must vary; Gaussian indicators must vary.
  for (Eigen::Index j = 0; j < s.items.cols(); ++j) {
    std::vector<char> seen(static_cast<std::size_t>(s.categories[static_cast<std::size_t>(j)]), 0);
    int distinct = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const int y = s.items(i, j);
      if (y != missing_code && s.weight(i) > 0.0 && !seen[static_cast<std::size_t>(y)]) {
        seen[static_cast<std::size_t>(y)] = 1;
        ++distinct;
      }
    }
    if (distinct < 2)
      fail(s.item_name(j), ": only ", distinct,
           " category observed; an item without variation carries no "
           "information about the classes (drop it)");
  }
  const auto var_floor = detail::variance_floor(s);
  for (Eigen::Index g = 0; g < s.gaussian.cols(); ++g)
    if (!(var_floor[static_cast<std::size_t>(g)] > 0.0))
      fail(s.gaussian_name(g), ": no variation among the observed values (drop the indicator)");
  Eigen::Index answered = 0;
  Eigen::Index all_missing = 0;
  double answered_weight = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    if (s.all_missing(i)) {
      ++all_missing;
    } else {
      ++answered;
      answered_weight += s.weight(i);
    }
  }
  if (answered == 0) fail("every respondent's answers are missing");
  const Eigen::Index npar = count_parameters(s, K, o.covariance);
  const double max_par = detail::identifiable_parameters(s);
  if (static_cast<double>(npar) > max_par) {
    int kmax = K;
    while (kmax > 1 && static_cast<double>(count_parameters(s, kmax, o.covariance)) > max_par) --kmax;
    fail("classes=", K, " has ", npar, " free parameters but the items' ", static_cast<long long>(max_par + 1.0),
         " answer patterns identify at most ", static_cast<long long>(max_par),
         ": the model is not identified (use at most ", kmax, " classes)");
  }
  if (static_cast<double>(npar) >= std::max(static_cast<double>(answered), answered_weight))
    fail("classes=", K, " has ", npar, " free parameters but only ", answered,
         " respondents answered: more classes than the data can identify");

  // Identical answer patterns (categorical items only, no covariates) are fitted once
  // with their summed weights, as poLCA does: the log-likelihood is the same sum.
  const detail::Compressed packed = detail::compress(s);
  const Survey& fs = packed.used ? packed.survey : s;
  const int starts = o.starts;
  std::vector<detail::Run> runs(static_cast<std::size_t>(starts));
  const bool screening = o.screening_iterations > 0 && o.screening_iterations < o.max_iterations;
  const int first_stage = screening ? o.screening_iterations : o.max_iterations;
  parallel_for_blocks(starts, o.threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (std::ptrdiff_t st = b; st < e; ++st) {
      auto& run = runs[static_cast<std::size_t>(st)];
      run.model = detail::random_start(fs, K, o.covariance, o.seed, static_cast<std::uint64_t>(st));
      detail::em(run, fs, first_stage, o.tolerance, o.threads, var_floor, true);
    }
  });
  if (screening) {
    std::vector<int> order(static_cast<std::size_t>(starts));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return runs[static_cast<std::size_t>(a)].log_likelihood > runs[static_cast<std::size_t>(b)].log_likelihood;
    });
    const int finals = o.final_starts > 0 ? std::min(o.final_starts, starts) : std::max(1, starts / 4);
    order.resize(static_cast<std::size_t>(finals));
    std::sort(order.begin(), order.end());
    parallel_for_blocks(finals, o.threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
      for (std::ptrdiff_t f = b; f < e; ++f) {
        auto& run = runs[static_cast<std::size_t>(order[static_cast<std::size_t>(f)])];
        if (!run.converged && !run.degenerate)
          detail::em(run, fs, o.max_iterations - o.screening_iterations, o.tolerance, o.threads, var_floor, true);
      }
    });
  }
  LatentClassFit fit;
  int best = -1;
  for (int st = 0; st < starts; ++st) {
    const double ll = runs[static_cast<std::size_t>(st)].log_likelihood;
    fit.start_log_likelihoods.push_back(ll);
    if (std::isfinite(ll) && (best < 0 || ll > runs[static_cast<std::size_t>(best)].log_likelihood)) best = st;
  }
  if (best < 0)
    fail("every one of the ", starts, " starts degenerated (a class covariance became singular): the ", K,
         "-class model does not fit these data; use fewer classes or covariance='diagonal'");
  auto& run = runs[static_cast<std::size_t>(best)];
  fit.best_start = best;
  for (const double ll : fit.start_log_likelihoods)
    if (std::isfinite(ll) && run.log_likelihood - ll <= o.best_tolerance * std::max(1.0, std::abs(run.log_likelihood)))
      ++fit.starts_at_best;
  fit.iterations = run.iterations;
  fit.converged = run.converged;
  fit.log_likelihood_trace = run.trace;
  // Shares, then classes in order of decreasing share, then the posterior.
  {
    Eigen::VectorXd shares = Eigen::VectorXd::Zero(K);
    double wsum = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double w = s.weight(i);
      shares += w * run.model.shares(s.covariates.cols() ? Eigen::RowVectorXd(s.covariates.row(i)) : Eigen::RowVectorXd(0));
      wsum += w;
    }
    shares /= wsum;
    detail::order_classes(run.model, shares);
  }
  fit.model = run.model;
  const auto c = detail::compile(fit.model);
  fit.posterior.resize(n, K);
  const auto st = detail::e_step(fit.model, c, s, o.threads, &fit.posterior);
  fit.log_likelihood = st.log_likelihood;
  fit.class_shares = Eigen::VectorXd::Zero(K);
  double wsum = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    fit.class_shares += s.weight(i) * fit.model.shares(s.covariates.cols() ? Eigen::RowVectorXd(s.covariates.row(i))
                                                                           : Eigen::RowVectorXd(0));
    wsum += s.weight(i);
  }
  fit.class_shares /= wsum;
  fit.parameters = npar;
  fit.observations = static_cast<double>(answered);
  fit.all_missing_rows = all_missing;
  const double N = fit.observations;
  const double p = static_cast<double>(npar);
  const double dev = -2.0 * fit.log_likelihood;
  fit.aic = dev + 2.0 * p;
  fit.bic = dev + p * std::log(N);
  fit.sabic = dev + p * std::log((N + 2.0) / 24.0);
  fit.caic = dev + p * (std::log(N) + 1.0);
  // Respondents who answered nothing have r = prior; their entropy is not classification
  // uncertainty from the answers, so it is left out (their weight too).
  double ent = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    if (s.all_missing(i)) continue;
    for (Eigen::Index k = 0; k < K; ++k) {
      const double rk = fit.posterior(i, k);
      if (rk > 0.0) ent -= s.weight(i) * rk * std::log(rk);
    }
  }
  fit.entropy = K == 1 ? 1.0 : 1.0 - ent / (answered_weight * std::log(static_cast<double>(K)));
  // Warnings: inference that may mislead.
  for (Eigen::Index k = 0; k < K; ++k) {
    const double expected = fit.class_shares[k] * N;
    if (expected < 1.0)
      fit.warnings.push_back(format_message("class ", k, " is empty (expected ", expected, " respondents): the ", K,
                                            "-class solution is degenerate; prefer fewer classes"));
  }
  if (fit.model.covariance == Covariance::full)
    for (Eigen::Index k = 0; k < K; ++k) {
      const double expected = fit.class_shares[k] * N;
      if (expected >= 1.0 && expected < 2.0 * static_cast<double>(s.gaussian.cols() + 1))
        fit.warnings.push_back(format_message("class ", k, " holds only ", expected, " respondents for a full ",
                                              s.gaussian.cols(), "x", s.gaussian.cols(),
                                              " covariance: possibly a spurious maximum of the likelihood"));
    }
  if (!fit.converged)
    fit.warnings.push_back(
        format_message("the best start did not converge in ", o.max_iterations, " iterations: raise max_iterations"));
  if (fit.starts_at_best < 2 && starts > 1)
    fit.warnings.push_back(format_message("only 1 of ", starts, " starts reached the best log-likelihood ",
                                          fit.log_likelihood, ": it may be a local maximum; use more starts"));
  if (fit.model.covariance == Covariance::diagonal)
    for (Eigen::Index g = 0; g < s.gaussian.cols(); ++g)
      for (Eigen::Index k = 0; k < K; ++k)
        if (fit.model.covariances[static_cast<std::size_t>(k)](g, g) <=
            var_floor[static_cast<std::size_t>(g)] * (1.0 + 1e-9))
          fit.warnings.push_back(format_message("class ", k, ", ", s.gaussian_name(g),
                                                ": variance at its floor (a class collapsed on one value)"));
  if (all_missing > 0)
    fit.warnings.push_back(format_message(all_missing,
                                          " respondents answered nothing: they carry no information, are "
                                          "left out of N, and get their prior shares as posterior"));
  return fit;
}

}  // namespace trustmix::audience
