#pragma once
// Convergence diagnostics of Vehtari, Gelman, Simpson, Carpenter & Buerkner (2021),
// "Rank-normalization, folding, and localization: an improved R-hat for assessing
// convergence of MCMC", Bayesian Analysis 16(2), and the HMC-specific checks (divergences,
// tree-depth saturation, E-BFMI of Betancourt 2016). Input draws of one quantity are an
// (n draws x m chains) matrix, one column per chain.
#include "trustmix/core/error.hpp"
#include "trustmix/inference/nuts.hpp"

#include <Eigen/Dense>
#include <boost/math/special_functions/erf.hpp>
#include <unsupported/Eigen/FFT>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace trustmix::inference {

namespace detail {

inline void require_draws(const Eigen::MatrixXd& x, Eigen::Index min_draws, const char* what) {
  if (x.cols() < 1) fail(what, " needs at least one chain, got 0");
  if (x.rows() < min_draws) fail(what, " needs at least ", min_draws, " draws per chain, got ", x.rows());
}

/// Splits each chain into its first and last halves (the middle draw of an odd-length
/// chain is dropped): n x m -> floor(n/2) x 2m.
inline Eigen::MatrixXd split_chains(const Eigen::MatrixXd& x) {
  const Eigen::Index half = x.rows() / 2;
  Eigen::MatrixXd out(half, 2 * x.cols());
  for (Eigen::Index c = 0; c < x.cols(); ++c) {
    out.col(2 * c) = x.col(c).head(half);
    out.col(2 * c + 1) = x.col(c).tail(half);
  }
  return out;
}

/// Inverse standard normal CDF.
inline double normal_quantile(double p) { return -std::numbers::sqrt2 * boost::math::erfc_inv(2.0 * p); }

/// The rank normalisation's normal scores of the ranks 1..S: entry r - 1 is
/// normal_quantile((r - 3/8) / (S + 1/4)), the same expression z_scale evaluates for an
/// untied draw of rank r (so the same bits). Built once by a caller that rank-normalises
/// several arrays of S draws (no global cache: the table is the caller's).
inline std::vector<double> rank_normal_scores(Eigen::Index s) {
  std::vector<double> scores(static_cast<std::size_t>(s));
  const auto total = static_cast<double>(s);
  for (std::size_t r = 0; r < scores.size(); ++r) {
    const double rank = static_cast<double>(r) + 1.0;
    scores[r] = normal_quantile((rank - 0.375) / (total + 0.25));
  }
  return scores;
}

/// Rank normalisation: z = Phi^{-1}((r - 3/8) / (S + 1/4)) with r the average rank of
/// each draw among all S pooled draws (Blom's offset, Vehtari et al. eq. 14). `scores`:
/// rank_normal_scores(S), looked up for untied draws (ties' average ranks are computed
/// directly), or empty to compute every value directly; the result is the same to the bit.
inline Eigen::MatrixXd z_scale(const Eigen::MatrixXd& x, const std::vector<double>& scores) {
  const Eigen::Index s = x.size();
  const bool use_table = !scores.empty();
  if (use_table && scores.size() != static_cast<std::size_t>(s))
    fail("z_scale: a table of ", scores.size(), " normal scores for ", s, " draws");
  std::vector<Eigen::Index> order(static_cast<std::size_t>(s));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  const double* data = x.data();
  std::stable_sort(order.begin(), order.end(), [data](Eigen::Index a, Eigen::Index b) { return data[a] < data[b]; });
  Eigen::MatrixXd z(x.rows(), x.cols());
  const auto total = static_cast<double>(s);
  std::size_t i = 0;
  while (i < order.size()) {
    std::size_t j = i;
    while (j + 1 < order.size() && data[order[j + 1]] == data[order[i]]) ++j;
    if (use_table && j == i) {
      z.data()[order[i]] = scores[i];  // untied: rank i + 1
    } else {
      const double rank = 0.5 * (static_cast<double>(i) + static_cast<double>(j)) + 1.0;  // average rank, 1-based
      const double value = normal_quantile((rank - 0.375) / (total + 0.25));
      for (std::size_t k = i; k <= j; ++k) z.data()[order[k]] = value;
    }
    i = j + 1;
  }
  return z;
}

inline Eigen::MatrixXd z_scale(const Eigen::MatrixXd& x) { return z_scale(x, std::vector<double>{}); }

/// Number of draws of split_chains(x) for x of `rows` draws per chain and `cols` chains.
inline Eigen::Index split_size(Eigen::Index rows, Eigen::Index cols) { return (rows / 2) * 2 * cols; }

/// Sample quantile with linear interpolation between order statistics (Hyndman & Fan
/// type 7, numpy's default).
inline double quantile_sorted(const std::vector<double>& sorted, double prob) {
  const double h = (static_cast<double>(sorted.size()) - 1.0) * prob;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

inline std::vector<double> sorted_values(const Eigen::MatrixXd& x) {
  std::vector<double> v(x.data(), x.data() + x.size());
  std::sort(v.begin(), v.end());
  return v;
}

/// Classic potential scale reduction on the given columns (no splitting):
/// R = sqrt(((n-1)/n W + B/n) / W), B/n the variance of chain means, W the mean of
/// within-chain variances.
inline double rhat_columns(const Eigen::MatrixXd& x) {
  const auto n = static_cast<double>(x.rows());
  const Eigen::Index m = x.cols();
  const Eigen::VectorXd means = x.colwise().mean().transpose();
  double within = 0.0;
  for (Eigen::Index c = 0; c < m; ++c) within += (x.col(c).array() - means[c]).square().sum() / (n - 1.0);
  within /= static_cast<double>(m);
  const double between_over_n = (means.array() - means.mean()).square().sum() / static_cast<double>(m - 1);
  return std::sqrt(((n - 1.0) / n * within + between_over_n) / within);
}

/// Mean over columns of the biased autocovariances (1/n) sum_i x_i x_{i+t}, t = 0..n-1, of
/// centred columns, by FFT with zero padding to a power of two >= 2n (no wrap-around).
inline Eigen::VectorXd mean_autocovariance_fft(const Eigen::MatrixXd& centred) {
  const Eigen::Index n = centred.rows();
  Eigen::Index size = 1;
  while (size < 2 * n) size *= 2;
  Eigen::FFT<double> fft;
  Eigen::VectorXd padded = Eigen::VectorXd::Zero(size);
  Eigen::VectorXcd spectrum;
  Eigen::VectorXd back;
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(n);
  for (Eigen::Index c = 0; c < centred.cols(); ++c) {
    padded.head(n) = centred.col(c);
    fft.fwd(spectrum, padded);
    spectrum = spectrum.cwiseAbs2().cast<std::complex<double>>();
    fft.inv(back, spectrum);
    sum += back.head(n);
  }
  return sum / (static_cast<double>(n) * static_cast<double>(centred.cols()));
}

/// ESS of the given columns (Vehtari et al. 2021 eqs. 10-11; Geyer's initial positive and
/// initial monotone sequences), with autocovariances computed directly and only as far
/// as Geyer's truncation needs them.
inline double ess_columns(const Eigen::MatrixXd& x) {
  const Eigen::Index n = x.rows();
  const Eigen::Index m = x.cols();
  const auto nd = static_cast<double>(n);
  if (n < 4 || m < 1 || !x.allFinite()) return std::numeric_limits<double>::quiet_NaN();
  Eigen::MatrixXd centred = x;
  const Eigen::VectorXd means = x.colwise().mean().transpose();
  for (Eigen::Index c = 0; c < m; ++c) centred.col(c).array() -= means[c];
  // Mean over chains of the biased autocovariance at lag t: (1/n) sum_i x_i x_{i+t}.
  // Short lags (all that well-mixing chains need) are direct sums; once Geyer's sequence
  // runs past 64 lags, all lags are computed at once by FFT (O(m n log n) instead of
  // O(m n^2) for a badly mixing chain).
  Eigen::VectorXd all_lags;
  auto mean_acov = [&](Eigen::Index t) {
    if (t > 64 && all_lags.size() == 0) all_lags = detail::mean_autocovariance_fft(centred);
    if (all_lags.size() != 0) return all_lags[t];
    double s = 0.0;
    for (Eigen::Index c = 0; c < m; ++c) s += centred.col(c).head(n - t).dot(centred.col(c).tail(n - t));
    return s / (nd * static_cast<double>(m));
  };
  const double acov0 = mean_acov(0);
  const double mean_var = acov0 * nd / (nd - 1.0);
  double var_plus = mean_var * (nd - 1.0) / nd;
  if (m > 1) var_plus += (means.array() - means.mean()).square().sum() / static_cast<double>(m - 1);
  if (!(var_plus > 0.0)) return std::numeric_limits<double>::quiet_NaN();  // constant draws
  // Two spare entries: Geyer's truncation may write rho[max_t + 1] with max_t + 1 = n - 1.
  Eigen::VectorXd rho = Eigen::VectorXd::Zero(n + 2);
  double rho_even = 1.0;
  double rho_odd = 1.0 - (mean_var - mean_acov(1)) / var_plus;
  rho[0] = rho_even;
  rho[1] = rho_odd;
  Eigen::Index t = 1;
  while (t < n - 3 && rho_even + rho_odd > 0.0) {
    rho_even = 1.0 - (mean_var - mean_acov(t + 1)) / var_plus;
    rho_odd = 1.0 - (mean_var - mean_acov(t + 2)) / var_plus;
    if (rho_even + rho_odd >= 0.0) {
      rho[t + 1] = rho_even;
      rho[t + 2] = rho_odd;
    }
    t += 2;
  }
  const Eigen::Index max_t = t - 2;
  if (rho_even > 0.0) rho[max_t + 1] = rho_even;
  // Initial monotone sequence.
  for (Eigen::Index k = 1; k <= max_t - 2; k += 2) {
    const Eigen::Index i = k;
    if (rho[i + 1] + rho[i + 2] > rho[i - 1] + rho[i]) {
      rho[i + 1] = 0.5 * (rho[i - 1] + rho[i]);
      rho[i + 2] = rho[i + 1];
    }
  }
  const double total = nd * static_cast<double>(m);
  double tau = -1.0;
  for (Eigen::Index k = 0; k <= max_t; ++k) tau += 2.0 * rho[k];
  tau += rho[max_t + 1];
  tau = std::max(tau, 1.0 / std::log10(total));
  return total / tau;
}

}  // namespace detail

namespace detail {

/// rhat (below) with the normal scores of split_size(draws.rows(), draws.cols()) ranks
/// given (rank_normal_scores), or empty to compute them directly.
inline double rhat_scored(const Eigen::MatrixXd& draws, const std::vector<double>& scores) {
  require_draws(draws, 4, "rhat");
  const Eigen::MatrixXd split = split_chains(draws);
  const double bulk = rhat_columns(z_scale(split, scores));
  // The median is that of the split draws (for odd chain lengths the middle draws are
  // left out), as ArviZ does.
  const double median = quantile_sorted(sorted_values(split), 0.5);
  const Eigen::MatrixXd folded = (split.array() - median).abs().matrix();
  const double tail = rhat_columns(z_scale(folded, scores));
  return std::max(bulk, tail);
}

/// ess_bulk (below) with the normal scores given, as rhat_scored.
inline double ess_bulk_scored(const Eigen::MatrixXd& draws, const std::vector<double>& scores) {
  require_draws(draws, 4, "ess_bulk");
  return ess_columns(z_scale(split_chains(draws), scores));
}

}  // namespace detail

/// Rank-normalised split R-hat (Vehtari et al. 2021, sec. 4.2): the larger of the bulk
/// R-hat (split chains, rank-normalised) and the tail R-hat (the same on |x - median|, folded split chains).
/// Values above 1.01 indicate that the chains have not mixed. Needs >= 4 draws per chain.
/// The bulk and folded rank normalisations share one table of normal scores.
[[nodiscard]] inline double rhat(const Eigen::MatrixXd& draws) {
  detail::require_draws(draws, 4, "rhat");
  return detail::rhat_scored(draws, detail::rank_normal_scores(detail::split_size(draws.rows(), draws.cols())));
}

/// Bulk effective sample size: ESS of the rank-normalised split chains (Vehtari et al.
/// 2021, sec. 4.3). Units: number of independent draws. Needs >= 4 draws per chain.
[[nodiscard]] inline double ess_bulk(const Eigen::MatrixXd& draws) {
  return detail::ess_bulk_scored(draws, std::vector<double>{});
}

/// Tail effective sample size: the smaller ESS of the indicators I(x <= q05) and
/// I(x <= q95) on split chains (Vehtari et al. 2021, sec. 4.3).
[[nodiscard]] inline double ess_tail(const Eigen::MatrixXd& draws) {
  detail::require_draws(draws, 4, "ess_tail");
  const std::vector<double> sorted = detail::sorted_values(draws);
  const double q05 = detail::quantile_sorted(sorted, 0.05);
  const double q95 = detail::quantile_sorted(sorted, 0.95);
  const Eigen::MatrixXd i05 = (draws.array() <= q05).cast<double>().matrix();
  const Eigen::MatrixXd i95 = (draws.array() <= q95).cast<double>().matrix();
  return std::min(detail::ess_columns(detail::split_chains(i05)), detail::ess_columns(detail::split_chains(i95)));
}

/// ESS for the mean: ESS of the split chains without rank normalisation.
[[nodiscard]] inline double ess_mean(const Eigen::MatrixXd& draws) {
  detail::require_draws(draws, 4, "ess_mean");
  return detail::ess_columns(detail::split_chains(draws));
}

/// Monte Carlo standard error of the posterior mean: sd / sqrt(ESS_mean), in the units
/// of the parameter.
[[nodiscard]] inline double mcse_mean(const Eigen::MatrixXd& draws) {
  const double n = static_cast<double>(draws.size());
  const double mean = draws.mean();
  const double sd = std::sqrt((draws.array() - mean).square().sum() / (n - 1.0));
  return sd / std::sqrt(ess_mean(draws));
}

/// Monte Carlo standard error of the posterior sd, by the delta method on the second
/// central moment: with s2_i = (x_i - mean)^2 over all draws, Var(var) ~ (mean(s2^2) -
/// mean(s2)^2) / ESS_mean(s2) and mcse_sd = sqrt(Var(var) / mean(s2) / 4) (as ArviZ).
[[nodiscard]] inline double mcse_sd(const Eigen::MatrixXd& draws) {
  detail::require_draws(draws, 4, "mcse_sd");
  const Eigen::MatrixXd sq = (draws.array() - draws.mean()).square().matrix();
  const double ess = ess_mean(sq);
  const double evar = sq.mean();
  const double varvar = ((sq.array().square()).mean() - evar * evar) / ess;
  return std::sqrt(varvar / evar / 4.0);
}

/// Highest-density interval of probability mass `prob` from the S pooled draws: the
/// shortest interval [v_i, v_{i+k}] between sorted draws with k = floor(prob * S) (as
/// ArviZ). Returns (low, high) in the parameter's units.
[[nodiscard]] inline std::pair<double, double> hdi(const Eigen::MatrixXd& draws, double prob = 0.94) {
  trustmix::detail::require_in_range(prob, "prob", 0.0, 1.0, true, true);
  if (draws.size() < 2) fail("hdi needs at least 2 draws, got ", draws.size());
  const std::vector<double> v = detail::sorted_values(draws);
  const auto n = v.size();
  const auto keep = static_cast<std::size_t>(std::floor(prob * static_cast<double>(n)));
  const std::size_t count = n - keep;
  std::size_t best = 0;
  double width = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < count; ++i) {
    const double w = v[i + keep] - v[i];
    if (w < width) {
      width = w;
      best = i;
    }
  }
  return {v[best], v[best + keep]};
}

/// E-BFMI of one chain's energies (Betancourt 2016): sum (E_i - E_{i-1})^2 / sum
/// (E_i - mean E)^2. Values below 0.3 mean the momentum resampling explores the energy
/// distribution poorly (heavy tails, bad metric).
[[nodiscard]] inline double ebfmi(const Eigen::VectorXd& energy) {
  if (energy.size() < 3) fail("ebfmi needs at least 3 energies, got ", energy.size());
  const Eigen::Index n = energy.size();
  const double num = (energy.tail(n - 1) - energy.head(n - 1)).squaredNorm();
  const double den = (energy.array() - energy.mean()).square().sum();
  return num / den;
}

/// One row of the summary table.
struct ParameterSummary {
  std::string name;
  double mean = 0.0, sd = 0.0;
  double hdi_low = 0.0, hdi_high = 0.0;  ///< 94% HDI
  double q05 = 0.0, q50 = 0.0, q95 = 0.0;
  double mcse_mean = 0.0, mcse_sd = 0.0;
  double ess_bulk = 0.0, ess_tail = 0.0, r_hat = 0.0;
};

/// HMC checks of a run.
struct SamplerChecks {
  int divergences = 0;          ///< kept iterations that diverged
  int max_tree_depth_hits = 0;  ///< kept iterations that stopped at the maximum depth
  int draws = 0;                ///< kept iterations examined (all chains)
  std::vector<double> ebfmi;    ///< per chain
};

/// Per-parameter summary of the usable draws (needs >= 4 draws per chain). If `stop` is
/// set and becomes true, throws trustmix::Interrupted before the next parameter (the
/// Python binding sets it on Ctrl-C, so long post-run diagnostics stop within a second).
[[nodiscard]] inline std::vector<ParameterSummary> summarize(const SampleResult& r, double hdi_prob = 0.94,
                                                             const std::atomic<bool>* stop = nullptr) {
  std::vector<ParameterSummary> rows;
  rows.reserve(static_cast<std::size_t>(r.dimension));
  // Every parameter has the same number of draws: one table of normal scores serves the
  // rank normalisations of all of them (bulk ESS, bulk and folded R-hat).
  std::vector<double> scores;
  for (Eigen::Index j = 0; j < r.dimension; ++j) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) throw Interrupted("the post-run diagnostics");
    const Eigen::MatrixXd x = r.parameter_draws(j);
    detail::require_draws(x, 4, "summary");
    ParameterSummary s;
    s.name = r.parameter_names[static_cast<std::size_t>(j)];
    const auto n = static_cast<double>(x.size());
    s.mean = x.mean();
    s.sd = std::sqrt((x.array() - s.mean).square().sum() / (n - 1.0));
    const auto interval = hdi(x, hdi_prob);
    s.hdi_low = interval.first;
    s.hdi_high = interval.second;
    const std::vector<double> sorted = detail::sorted_values(x);
    s.q05 = detail::quantile_sorted(sorted, 0.05);
    s.q50 = detail::quantile_sorted(sorted, 0.5);
    s.q95 = detail::quantile_sorted(sorted, 0.95);
    s.mcse_mean = mcse_mean(x);
    s.mcse_sd = mcse_sd(x);
    if (scores.empty()) scores = detail::rank_normal_scores(detail::split_size(x.rows(), x.cols()));
    s.ess_bulk = detail::ess_bulk_scored(x, scores);
    s.ess_tail = ess_tail(x);
    s.r_hat = detail::rhat_scored(x, scores);
    rows.push_back(std::move(s));
  }
  return rows;
}

/// Divergences, tree-depth saturation and E-BFMI of the usable draws.
[[nodiscard]] inline SamplerChecks check_sampler(const SampleResult& r) {
  SamplerChecks out;
  const int n = r.usable_draws();
  out.draws = n * r.chains;
  for (int c = 0; c < r.chains; ++c) {
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(c) * r.draws + i;
      out.divergences += r.divergent[k] != 0 ? 1 : 0;
      out.max_tree_depth_hits += r.tree_depth[k] >= r.max_tree_depth ? 1 : 0;
    }
    if (n >= 3) {
      Eigen::VectorXd e(n);
      for (int i = 0; i < n; ++i) e[i] = r.energy[static_cast<std::size_t>(c) * r.draws + i];
      out.ebfmi.push_back(ebfmi(e));
    }
  }
  return out;
}

/// Plain-word warnings about a run, each with what to try. Empty when nothing is wrong.
/// Thresholds: R-hat > 1.01, ESS < 100 per chain, any divergence, any iteration at the
/// maximum tree depth, E-BFMI < 0.3 (Vehtari et al. 2021; Betancourt 2017).
[[nodiscard]] inline std::vector<std::string> diagnose(const SampleResult& r, const std::vector<ParameterSummary>& rows,
                                                       const SamplerChecks& checks) {
  std::vector<std::string> out;
  auto join_worst = [&](auto bad) {
    std::ostringstream os;
    int shown = 0;
    for (const auto& s : rows) {
      if (bad(s)) {
        if (shown < 5) os << (shown > 0 ? ", " : "") << s.name;
        ++shown;
      }
    }
    if (shown > 5) os << " and " << (shown - 5) << " more";
    return std::make_pair(shown, os.str());
  };
  if (r.interrupted)
    out.push_back(format_message("The run was interrupted: only ", r.usable_draws(), " of ", r.draws,
                                 " draws per chain were made. Results use those draws only."));
  if (checks.divergences > 0)
    out.push_back(format_message(
        checks.divergences, " of ", checks.draws, " draws ended in a divergent trajectory: the sampler met curvature ",
        "it could not follow (e.g. a funnel), so the draws are likely biased and must not be trusted. Try "
        "target_accept=0.95 or 0.99 (smaller steps); if divergences remain, reparameterise the model (e.g. a "
        "non-centred hierarchy)."));
  if (checks.max_tree_depth_hits > 0)
    out.push_back(format_message(checks.max_tree_depth_hits, " of ", checks.draws,
                                 " draws stopped at the maximum tree depth (", r.max_tree_depth,
                                 "): trajectories were cut short, which makes sampling slow and less efficient. "
                                 "Try max_tree_depth=",
                                 r.max_tree_depth + 2, ", a dense metric, or rescaling parameters to unit scale."));
  {
    std::ostringstream low;
    int n_low = 0;
    for (std::size_t c = 0; c < checks.ebfmi.size(); ++c) {
      if (checks.ebfmi[c] < 0.3) {
        low << (n_low > 0 ? ", " : "") << "chain " << c << ": " << std::round(checks.ebfmi[c] * 1000.0) / 1000.0;
        ++n_low;
      }
    }
    if (n_low > 0)
      out.push_back(format_message("E-BFMI below 0.3 (", low.str(),
                                   "): the energy distribution has heavy tails and momentum resampling explores it "
                                   "poorly, so the sampler may miss parts of the posterior. Try a "
                                   "reparameterisation (e.g. non-centred) or more warm-up (tune)."));
  }
  const auto [n_rhat, rhat_names] = join_worst([](const ParameterSummary& s) { return !(s.r_hat <= 1.01); });
  if (n_rhat > 0)
    out.push_back(format_message(n_rhat, " parameter(s) have R-hat > 1.01 (", rhat_names,
                                 "): the chains disagree, so they have not converged to the same distribution. "
                                 "Do not use these results; run longer (more tune and draws), and look for "
                                 "multimodality or divergences."));
  const double min_ess = 100.0 * r.chains;
  const auto [n_ess, ess_names] = join_worst(
      [min_ess](const ParameterSummary& s) { return !(s.ess_bulk >= min_ess) || !(s.ess_tail >= min_ess); });
  if (n_ess > 0)
    out.push_back(format_message(n_ess, " parameter(s) have bulk or tail ESS below ", min_ess, " (100 per chain) (",
                                 ess_names, "): means, quantiles and R-hat are unreliable. Run more draws."));
  return out;
}

}  // namespace trustmix::inference
