#pragma once
// Bandits for message testing: Thompson sampling, top-two Thompson sampling and UCB on
// Bernoulli or Gaussian rewards; batch (daily) updates with exact allocation
// probabilities; traffic floors; spend pacing; delayed conversions; contextual by persona
// with partial pooling; off-policy evaluation of a logged test (IPS, doubly robust).
//
// References: Thompson (1933); Russo (2020), "Simple Bayesian algorithms for best-arm
// identification" (top-two Thompson sampling); Auer, Cesa-Bianchi and Fischer (2002)
// (UCB1); Lai and Robbins (1985) (regret lower bound); Chapelle (2014), "Modeling delayed
// feedback in display advertising"; Dudik, Langford and Li (2011), "Doubly robust policy
// evaluation and learning".
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/experiments/bayes.hpp"
#include "trustmix/inference/rng.hpp"

namespace trustmix::experiments {

/// Allocation rule.
///  thompson: P(arm i is best) under the posterior (exact, by quadrature, for a batch;
///   one posterior draw per user when the batch is 1);
///  top_two_thompson: psi_i = beta p_i + (1 - beta) p_i sum_{j != i} p_j / (1 - p_j)
///   (Russo 2020: the leader with probability beta, else the best of a redraw that
///   differs from the leader);
///  ucb: UCB1, argmax_i mean_i + sd_i sqrt(2 log t / n_i), sd_i = 1/2 for Bernoulli
///   (Hoeffding) or the sample sd for Gaussian; within a batch each user goes to the
///   current argmax with the pending pulls counted (batched UCB).
enum class Policy { thompson, top_two_thompson, ucb };

/// Reward model: Bernoulli (Beta posterior) or Gaussian (Normal posterior of the mean with
/// the arm's sample variance, flat prior).
enum class Reward { bernoulli, gaussian };

/// Settings of a bandit.
struct BanditConfig {
  Policy policy = Policy::thompson;
  Reward reward = Reward::bernoulli;
  double prior_a = 1.0;        ///< Beta prior (Bernoulli)
  double prior_b = 1.0;
  double top_two_beta = 0.5;   ///< leader probability of top-two Thompson sampling
  double floor = 0.0;          ///< minimum share of traffic per arm, in [0, 1/K]
  double pooling = -1.0;       ///< persona pooling strength (pseudo-users); < 0: estimated
};

/// Running statistics of one arm (users, sum of rewards, sum of squared rewards).
struct ArmStats {
  double n = 0.0;
  double sum = 0.0;
  double sum_sq = 0.0;
};

namespace detail {

inline void check_config(const BanditConfig& c, std::size_t k) {
  if (k < 2) fail("bandit: need at least 2 arms, got ", k);
  if (!(c.prior_a > 0.0 && c.prior_b > 0.0)) fail("prior_a and prior_b must be > 0, got ", c.prior_a, ", ", c.prior_b);
  trustmix::detail::require_in_range(c.top_two_beta, "top_two_beta", 0.0, 1.0, true, true);
  if (!(c.floor >= 0.0 && c.floor * static_cast<double>(k) <= 1.0))
    fail("floor must be in [0, 1/K] = [0, ", 1.0 / static_cast<double>(k), "], got ", c.floor);
}

/// Posterior of an arm's mean given its statistics. Bernoulli: Beta(prior_a + sum,
/// prior_b + n - sum) (a Beta prior centred on a pooled rate when pooling). Gaussian: flat
/// prior, Normal(mean, sd / sqrt(n)) with the sample variance (before two users, a wide
/// stand-in sd 1e3); with `gaussian_prior` and a finite prior_b > 0, the Normal prior
/// N(prior_a, prior_b^2) of partial pooling across personas, combined by precision:
///   1 / v = 1 / prior_b^2 + n / s^2,   mean = v (prior_a / prior_b^2 + sum / s^2)
/// (s^2 the arm's sample variance; before two users, the prior itself).
inline Posterior arm_posterior(const ArmStats& s, Reward reward, double prior_a, double prior_b,
                               bool gaussian_prior = false) {
  if (reward == Reward::bernoulli) return {Family::beta, prior_a + s.sum, prior_b + std::max(0.0, s.n - s.sum), 0.0, 1.0};
  const bool informative = gaussian_prior && prior_b > 0.0 && std::isfinite(prior_b);
  if (s.n < 2.0) {
    if (informative) return {Family::normal, 0.0, 0.0, prior_a, prior_b};
    return {Family::normal, 0.0, 0.0, s.n > 0.0 ? s.sum / s.n : 0.0, 1e3};
  }
  const double var = std::max(1e-12, (s.sum_sq - s.sum * s.sum / s.n) / (s.n - 1.0));
  if (!informative) return {Family::normal, 0.0, 0.0, s.sum / s.n, std::sqrt(var / s.n)};
  const double prec = 1.0 / (prior_b * prior_b) + s.n / var;
  return {Family::normal, 0.0, 0.0, (prior_a / (prior_b * prior_b) + s.sum / var) / prec, std::sqrt(1.0 / prec)};
}

/// Gamma(shape, 1) variate by Marsaglia and Tsang (2000); shape < 1 by the boost
/// G(shape + 1) U^(1 / shape).
inline double gamma_variate(double shape, trustmix::inference::ChainRng& rng) {
  if (shape < 1.0) {
    const double u = rng.uniform();
    return gamma_variate(shape + 1.0, rng) * std::pow(u > 0.0 ? u : 0x1.0p-53, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0.0;
    double v = 0.0;
    do {
      x = rng.normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

inline double posterior_draw(const Posterior& p, trustmix::inference::ChainRng& rng) {
  if (p.family == Family::beta) {
    const double x = gamma_variate(p.a, rng);
    const double y = gamma_variate(p.b, rng);
    return x / (x + y);
  }
  return p.loc + p.scale * rng.normal();
}

}  // namespace detail

/// Applies the traffic floor: w_i <- floor + (1 - K floor) w_i (shares still sum to 1).
[[nodiscard]] inline std::vector<double> apply_floor(std::vector<double> w, double floor) {
  const double k = static_cast<double>(w.size());
  for (double& x : w) x = floor + (1.0 - k * floor) * x;
  return w;
}

/// Top-two Thompson allocation from the probabilities of being best p (see Policy).
[[nodiscard]] inline std::vector<double> top_two_weights(std::span<const double> p, double beta) {
  std::vector<double> w(p.size());
  double s = 0.0;
  for (const double pj : p) s += pj < 1.0 ? pj / (1.0 - pj) : 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double others = s - (p[i] < 1.0 ? p[i] / (1.0 - p[i]) : 0.0);
    w[i] = beta * p[i] + (1.0 - beta) * p[i] * others;
  }
  double total = 0.0;
  for (double x : w) total += x;
  if (total > 0.0)
    for (double& x : w) x /= total;
  return w;
}

/// Shares of the next batch for each arm under a Thompson-type policy, exact (quadrature
/// of P(best)), with the floor applied. `prior_a`, `prior_b` per arm (Bernoulli).
[[nodiscard]] inline std::vector<double> allocation(std::span<const ArmStats> stats, const BanditConfig& config,
                                                    std::span<const double> prior_a = {},
                                                    std::span<const double> prior_b = {}) {
  const std::size_t k = stats.size();
  detail::check_config(config, k);
  if (config.policy == Policy::ucb) fail("allocation: UCB is deterministic; use simulate_bandit or ucb_index");
  // Gaussian rewards: per-arm spans are the Normal prior (mean, sd) of partial pooling.
  const bool gaussian_prior = config.reward == Reward::gaussian && !prior_a.empty() && !prior_b.empty();
  if ((!prior_a.empty() && prior_a.size() != k) || (!prior_b.empty() && prior_b.size() != k))
    fail("allocation: per-arm priors must have one value per arm (", k, ")");
  std::vector<Posterior> post(k);
  for (std::size_t i = 0; i < k; ++i)
    post[i] = detail::arm_posterior(stats[i], config.reward, prior_a.empty() ? config.prior_a : prior_a[i],
                                    prior_b.empty() ? config.prior_b : prior_b[i], gaussian_prior);
  std::vector<double> p = compare_posteriors(post, 0, 1e-9).prob_best;
  if (config.policy == Policy::top_two_thompson) p = top_two_weights(p, config.top_two_beta);
  return apply_floor(std::move(p), config.floor);
}

/// UCB1 index of an arm after t pulls in all: mean + sd sqrt(2 log t / n) (infinite for
/// an arm never pulled).
[[nodiscard]] inline double ucb_index(const ArmStats& s, double t, Reward reward) {
  if (s.n <= 0.0) return std::numeric_limits<double>::infinity();
  const double mean = s.sum / s.n;
  double sd = 0.5;
  if (reward == Reward::gaussian) sd = s.n >= 2.0 ? std::sqrt(std::max(0.0, (s.sum_sq - s.sum * mean) / (s.n - 1.0))) : 1.0;
  return mean + sd * std::sqrt(2.0 * std::log(std::max(t, 1.0)) / s.n);
}

/// Batched UCB1 shares: `batch` users assigned one at a time to the arm with the highest
/// ucb_index, each assignment counted as a pending pull (n + 1, observed mean and mean
/// square unchanged: its reward is not seen before the batch ends), after `t` pulls in
/// all (t + j for the j-th user of the batch). Returns users per arm / batch. An arm never
/// pulled has an infinite index, so it gets the first users. `batch` is rounded to a whole
/// number of users in [1, 1e8].
[[nodiscard]] inline std::vector<double> ucb_batch_shares(std::span<const ArmStats> stats, double batch, Reward reward,
                                                          double t) {
  if (stats.size() < 2) fail("ucb_batch_shares: need at least 2 arms, got ", stats.size());
  if (!(batch >= 1.0 && batch <= 1e8)) fail("ucb_batch_shares: batch must be in [1, 1e8] users, got ", batch);
  if (!(t >= 0.0) || !std::isfinite(t)) fail("ucb_batch_shares: t (pulls so far) must be >= 0, got ", t);
  for (std::size_t i = 0; i < stats.size(); ++i)
    if (!(stats[i].n >= 0.0) || !std::isfinite(stats[i].n) || !std::isfinite(stats[i].sum) ||
        !std::isfinite(stats[i].sum_sq))
      fail("ucb_batch_shares: arm ", i, " has invalid statistics (n ", stats[i].n, ", sum ", stats[i].sum, ")");
  std::vector<ArmStats> pend(stats.begin(), stats.end());
  std::vector<double> count(stats.size(), 0.0);
  const auto users = static_cast<std::int64_t>(std::llround(batch));
  for (std::int64_t j = 0; j < users; ++j) {
    std::size_t arm = 0;
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < pend.size(); ++i) {
      const double v = ucb_index(pend[i], t + static_cast<double>(j) + 1.0, reward);
      if (v > top) top = v, arm = i;
    }
    ArmStats& pa = pend[arm];
    const double mean = pa.n > 0.0 ? pa.sum / pa.n : 0.0;
    const double mean_sq = pa.n > 0.0 ? pa.sum_sq / pa.n : 0.0;
    pa.n += 1.0;
    pa.sum = mean * pa.n;
    pa.sum_sq = mean_sq * pa.n;
    count[arm] += 1.0;
  }
  for (double& x : count) x /= static_cast<double>(users);
  return count;
}

/// Empirical-Bayes Beta prior per arm for persona pooling: every persona's arm-i rate
/// shrinks towards the arm's pooled rate m_i with strength `pooling` pseudo-users,
///   prior_i = Beta(pooling m_i, pooling (1 - m_i)).
/// When `pooling` < 0 it is estimated by moments from the spread of the personas' rates
/// around m_i: strength = mean(m (1 - m)) / var_between - 1, kept in [2, 1e4].
/// `stats` is personas x arms row-major.
[[nodiscard]] inline std::pair<std::vector<double>, double> pooled_prior(std::span<const ArmStats> stats,
                                                                         std::size_t personas, std::size_t arms,
                                                                         double pooling) {
  std::vector<double> m(arms, 0.0);
  double binom = 0.0;
  double between = 0.0;
  double weight = 0.0;
  for (std::size_t i = 0; i < arms; ++i) {
    double n = 0.0;
    double s = 0.0;
    for (std::size_t p = 0; p < personas; ++p) {
      n += stats[p * arms + i].n;
      s += stats[p * arms + i].sum;
    }
    m[i] = (s + 1.0) / (n + 2.0);
    for (std::size_t p = 0; p < personas; ++p) {
      const ArmStats& a = stats[p * arms + i];
      if (a.n < 1.0) continue;
      const double r = a.sum / a.n;
      // Between-persona variance, less the binomial noise of each persona's rate.
      between += a.n * ((r - m[i]) * (r - m[i]) - m[i] * (1.0 - m[i]) / a.n);
      binom += a.n * m[i] * (1.0 - m[i]);
      weight += a.n;
    }
  }
  double strength = pooling;
  if (strength < 0.0) {
    strength = 1e4;
    if (weight > 0.0 && between > 0.0) strength = std::clamp(binom / between - 1.0, 2.0, 1e4);
  }
  return {m, strength};
}

/// Empirical-Bayes Normal prior per arm for persona pooling of Gaussian rewards (the
/// Normal-Normal model: persona p's mean of arm i is theta_pi ~ N(m_i, tau_i^2), its
/// sample mean ybar_pi ~ N(theta_pi, s_pi^2 / n_pi)). Over the personas with at least two
/// users on arm i (P_i of them), by moments (DerSimonian and Laird 1986, unweighted):
///   m_i = mean_p ybar_pi,   tau_i^2 = max(0, sum_p (ybar_pi - m_i)^2 / (P_i - 1) - mean_p s_pi^2 / n_pi),
/// kept >= s_i^2 / 1e4 (s_i^2 the mean within-persona variance: at most 1e4 pseudo-users);
/// with `pooling` >= 0 pseudo-users given, tau_i^2 = s_i^2 / pooling instead. Fewer than two
/// personas with data: no pooling (sd = +inf, a flat prior). Returns (m, tau) per arm.
/// `stats` is personas x arms row-major.
[[nodiscard]] inline std::pair<std::vector<double>, std::vector<double>> pooled_normal_prior(std::span<const ArmStats> stats,
                                                                                             std::size_t personas,
                                                                                             std::size_t arms,
                                                                                             double pooling) {
  if (stats.size() != personas * arms) fail("pooled_normal_prior: expected personas x arms = ", personas * arms, " cells");
  std::vector<double> m(arms, 0.0), tau(arms, std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < arms; ++i) {
    double count = 0.0, sum_mean = 0.0, sum_v = 0.0, sum_s2 = 0.0;
    for (std::size_t p = 0; p < personas; ++p) {
      const ArmStats& a = stats[p * arms + i];
      if (a.n < 2.0) continue;
      const double s2 = std::max(1e-12, (a.sum_sq - a.sum * a.sum / a.n) / (a.n - 1.0));
      count += 1.0;
      sum_mean += a.sum / a.n;
      sum_v += s2 / a.n;
      sum_s2 += s2;
    }
    if (count < 2.0) continue;
    m[i] = sum_mean / count;
    double q = 0.0;
    for (std::size_t p = 0; p < personas; ++p) {
      const ArmStats& a = stats[p * arms + i];
      if (a.n < 2.0) continue;
      q += (a.sum / a.n - m[i]) * (a.sum / a.n - m[i]);
    }
    const double s2 = sum_s2 / count;
    double t2 = pooling >= 0.0 ? (pooling > 0.0 ? s2 / pooling : std::numeric_limits<double>::infinity())
                               : std::max(q / (count - 1.0) - sum_v / count, s2 / 1e4);
    tau[i] = std::sqrt(t2);
  }
  return {m, tau};
}

/// A simulated bandit run on known truth, for planning and benchmarks.
struct BanditSimulation {
  std::size_t arms = 0;
  std::size_t personas = 1;
  std::size_t batches = 0;
  std::vector<double> pulls;          ///< batches x personas x arms: users sent in each batch
  std::vector<double> shares;         ///< batches x personas x arms: planned traffic shares
  std::vector<double> cumulative_regret;  ///< per batch: sum of (best mean - pulled mean)
  std::vector<double> spend;          ///< per batch
  std::vector<double> final_prob_best;  ///< personas x arms at the end (Thompson-type)
  double total_reward = 0.0;
  double total_spend = 0.0;
};

/// Truth and traffic for simulate_bandit.
///  means: personas x arms true mean reward (conversion rate for Bernoulli);
///  sds: per-arm reward sd (Gaussian only; empty: 1);
///  persona_weights: share of users of each persona (empty: equal);
///  users_per_batch, batches; costs per user by arm (empty: 0) and a total budget
///  (infinite: no pacing; else each batch may spend the remaining budget divided by the
///  remaining batches, which paces spend evenly);
///  delay_mean: mean delay of a conversion in batches (geometric; 0 = immediate). With
///  delay_correction the Beta posterior counts each past user as the probability that
///  its conversion would have been seen by now (Chapelle 2014), so late conversions do
///  not bias arms that grew recently.
struct BanditWorld {
  std::vector<double> means;
  std::size_t personas = 1;
  std::size_t arms = 0;
  std::vector<double> sds;
  std::vector<double> persona_weights;
  std::size_t users_per_batch = 1;
  std::size_t batches = 1;
  std::vector<double> costs;
  double budget = std::numeric_limits<double>::infinity();
  double delay_mean = 0.0;
  bool delay_correction = true;
  bool contextual = true;  ///< personas analysed separately (pooled) or as one
};

namespace detail {

inline void check_world(const BanditWorld& w) {
  if (w.arms < 2) fail("arms must be >= 2, got ", w.arms);
  if (w.personas < 1) fail("personas must be >= 1");
  if (w.means.size() != w.personas * w.arms)
    fail("means: expected personas x arms = ", w.personas * w.arms, " values, got ", w.means.size());
  if (!w.sds.empty() && w.sds.size() != w.arms) fail("sds: expected ", w.arms, " values, got ", w.sds.size());
  if (!w.persona_weights.empty() && w.persona_weights.size() != w.personas)
    fail("persona_weights: expected ", w.personas, " values, got ", w.persona_weights.size());
  if (!w.costs.empty() && w.costs.size() != w.arms) fail("costs: expected ", w.arms, " values, got ", w.costs.size());
  if (w.users_per_batch < 1 || w.batches < 1) fail("users_per_batch and batches must be >= 1");
  if (static_cast<double>(w.users_per_batch) * static_cast<double>(w.batches) * static_cast<double>(w.arms) > 1e12)
    fail("users_per_batch x batches x arms too large (> 1e12)");
  // Records per batch x persona x arm (pulls, shares, delayed conversions): checked before
  // allocating them.
  const double cells = static_cast<double>(w.batches) * static_cast<double>(w.personas) * static_cast<double>(w.arms);
  if (cells > 5e7)
    fail("batches x personas x arms = ", cells,
         " exceeds 5e7 (the per-batch records would need more than 1.6 GB); "
         "use fewer, larger batches");
  if (!(w.delay_mean >= 0.0) || !std::isfinite(w.delay_mean)) fail("delay_mean must be >= 0, got ", w.delay_mean);
  if (!(w.budget > 0.0)) fail("budget must be > 0, got ", w.budget);
  for (double c : w.costs)
    if (!(c >= 0.0) || !std::isfinite(c)) fail("costs must be finite and >= 0, got ", c);
}

inline std::size_t draw_index(std::span<const double> cumulative, double u) {
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u * cumulative.back());
  return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

}  // namespace detail

/// Simulates a bandit on `world` with `config`, deterministic for `seed` (one ChainRng
/// stream; the same numbers on every platform and thread count).
/// Batch of 1 with Thompson sampling: one posterior draw per arm per user (classic TS);
/// larger batches: exact shares from the posteriors at the start of the batch, then users
/// assigned by those shares. Regret is measured against the best arm of each user's
/// persona in expectation: sum over users of (max_i mu_{p,i} - mu_{p,a}).
[[nodiscard]] inline BanditSimulation simulate_bandit(const BanditWorld& world, const BanditConfig& config,
                                                      std::uint64_t seed, std::uint64_t stream = 0) {
  detail::check_world(world);
  detail::check_config(config, world.arms);
  const std::size_t K = world.arms;
  const std::size_t P = world.personas;
  const std::size_t groups = world.contextual ? P : 1;
  if (config.reward == Reward::bernoulli)
    for (double m : world.means)
      if (!(m >= 0.0 && m <= 1.0)) fail("means: Bernoulli rates must be in [0, 1], got ", m);
  trustmix::inference::ChainRng rng(seed, stream);
  BanditSimulation out;
  out.arms = K;
  out.personas = P;
  out.batches = world.batches;
  out.pulls.assign(world.batches * P * K, 0.0);
  out.shares.assign(world.batches * P * K, 0.0);
  out.cumulative_regret.assign(world.batches, 0.0);
  out.spend.assign(world.batches, 0.0);
  std::vector<double> persona_cum(P);
  for (std::size_t p = 0; p < P; ++p)
    persona_cum[p] = (p ? persona_cum[p - 1] : 0.0) + (world.persona_weights.empty() ? 1.0 : world.persona_weights[p]);
  std::vector<double> best(P, -std::numeric_limits<double>::infinity());
  for (std::size_t p = 0; p < P; ++p)
    for (std::size_t i = 0; i < K; ++i) best[p] = std::max(best[p], world.means[p * K + i]);
  // Observed statistics per analysis group and arm; for delays, conversions wait in a
  // per-batch queue and exposures are kept per batch for the correction.
  std::vector<ArmStats> stats(groups * K);
  std::vector<double> pending(groups * K * world.batches, 0.0);  // conversions by arrival batch
  std::vector<double> exposed(groups * K * world.batches, 0.0);  // users by batch sent
  const double q = world.delay_mean > 0.0 ? 1.0 / (1.0 + world.delay_mean) : 1.0;  // geometric success prob
  double regret = 0.0;
  double spent = 0.0;
  std::vector<double> share(groups * K, 1.0 / static_cast<double>(K));
  std::vector<double> cum(K);
  std::vector<ArmStats> work(K);
  std::vector<Posterior> post(K);
  std::vector<double> prior_a(K, config.prior_a);
  std::vector<double> prior_b(K, config.prior_b);
  // Gaussian rewards by persona: Normal priors pooled across personas (prior_a, prior_b
  // then hold each arm's prior mean and sd).
  const bool gauss_pool = groups > 1 && config.reward == Reward::gaussian;
  const std::span<const double> span_a = config.reward == Reward::gaussian && !gauss_pool ? std::span<const double>{}
                                                                                          : std::span<const double>(prior_a);
  const std::span<const double> span_b = config.reward == Reward::gaussian && !gauss_pool ? std::span<const double>{}
                                                                                          : std::span<const double>(prior_b);
  double t_all = 0.0;
  for (std::size_t b = 0; b < world.batches; ++b) {
    // Conversions that arrive now become visible.
    if (world.delay_mean > 0.0)
      for (std::size_t g = 0; g < groups * K; ++g) {
        stats[g].sum += pending[g * world.batches + b];
        stats[g].sum_sq += pending[g * world.batches + b];
      }
    // Effective exposures under delay: users of batch s count P(delay <= b - 1 - s).
    std::vector<ArmStats> seen = stats;
    if (world.delay_mean > 0.0 && world.delay_correction && config.reward == Reward::bernoulli)
      for (std::size_t g = 0; g < groups * K; ++g) {
        double n_eff = 0.0;
        for (std::size_t s = 0; s < b; ++s)
          n_eff += exposed[g * world.batches + s] * (1.0 - std::pow(1.0 - q, static_cast<double>(b - s)));
        seen[g].n = n_eff;
      }
    // Pooling prior across personas.
    if (groups > 1 && config.reward == Reward::bernoulli) {
      const auto [m, strength] = pooled_prior(seen, groups, K, config.pooling);
      for (std::size_t i = 0; i < K; ++i) {
        prior_a[i] = config.prior_a + strength * m[i];
        prior_b[i] = config.prior_b + strength * (1.0 - m[i]);
      }
    }
    if (gauss_pool) {
      const auto [m, tau] = pooled_normal_prior(seen, groups, K, config.pooling);
      std::copy(m.begin(), m.end(), prior_a.begin());  // in place: span_a and span_b view these
      std::copy(tau.begin(), tau.end(), prior_b.begin());
    }
    // Batch shares (Thompson-type with batches > 1).
    const bool per_user_ts = world.users_per_batch == 1 && config.policy != Policy::ucb;
    if (!per_user_ts && config.policy != Policy::ucb)
      for (std::size_t g = 0; g < groups; ++g) {
        const auto w = allocation(std::span<const ArmStats>(seen.data() + g * K, K), config, span_a, span_b);
        for (std::size_t i = 0; i < K; ++i) share[g * K + i] = w[i];
      }
    // Pacing: users this batch limited by the budget left over the batches left.
    std::size_t users = world.users_per_batch;
    if (std::isfinite(world.budget) && !world.costs.empty()) {
      const double allowance = (world.budget - spent) / static_cast<double>(world.batches - b);
      double expected_cost = 0.0;
      for (std::size_t g = 0; g < groups; ++g)
        for (std::size_t i = 0; i < K; ++i) expected_cost += share[g * K + i] * world.costs[i] / static_cast<double>(groups);
      if (config.policy == Policy::ucb || per_user_ts) {
        expected_cost = 0.0;
        for (double c : world.costs) expected_cost = std::max(expected_cost, c);
      }
      if (expected_cost > 0.0)
        users = std::min(users, static_cast<std::size_t>(std::max(0.0, std::floor(allowance / expected_cost))));
    }
    for (std::size_t g = 0; g < groups; ++g)
      for (std::size_t i = 0; i < K; ++i) out.shares[(b * P + (world.contextual ? g : 0)) * K + i] = share[g * K + i];
    std::vector<ArmStats> pend_ucb;
    if (config.policy == Policy::ucb) pend_ucb = seen;
    for (std::size_t u = 0; u < users; ++u) {
      const std::size_t p = detail::draw_index(persona_cum, rng.uniform());
      const std::size_t g = world.contextual ? p : 0;
      std::size_t arm = 0;
      if (config.policy == Policy::ucb) {
        double top = -std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < K; ++i) {
          const double v = ucb_index(pend_ucb[g * K + i], t_all + 1.0, config.reward);
          if (v > top) top = v, arm = i;
        }
        // A pending pull: n grows, the observed mean stays (its reward is unseen).
        ArmStats& pa = pend_ucb[g * K + arm];
        const double mean = pa.n > 0.0 ? pa.sum / pa.n : 0.0;
        const double mean_sq = pa.n > 0.0 ? pa.sum_sq / pa.n : 0.0;
        pa.n += 1.0;
        pa.sum = mean * pa.n;
        pa.sum_sq = mean_sq * pa.n;
      } else if (per_user_ts) {
        double top = -std::numeric_limits<double>::infinity();
        const bool floor_draw = config.floor > 0.0 && rng.uniform() < config.floor * static_cast<double>(K);
        if (floor_draw) {
          arm = std::min<std::size_t>(static_cast<std::size_t>(rng.uniform() * static_cast<double>(K)), K - 1);
        } else {
          for (std::size_t i = 0; i < K; ++i) {
            const double x = detail::posterior_draw(
                detail::arm_posterior(seen[g * K + i], config.reward, prior_a[i], prior_b[i], gauss_pool), rng);
            if (x > top) top = x, arm = i;
          }
          if (config.policy == Policy::top_two_thompson && rng.uniform() >= config.top_two_beta) {
            const std::size_t leader = arm;
            for (int tries = 0; tries < 1000 && arm == leader; ++tries) {
              top = -std::numeric_limits<double>::infinity();
              for (std::size_t i = 0; i < K; ++i) {
                const double x = detail::posterior_draw(
                    detail::arm_posterior(seen[g * K + i], config.reward, prior_a[i], prior_b[i], gauss_pool), rng);
                if (x > top) top = x, arm = i;
              }
            }
          }
        }
      } else {
        for (std::size_t i = 0; i < K; ++i) cum[i] = (i ? cum[i - 1] : 0.0) + share[g * K + i];
        arm = detail::draw_index(cum, rng.uniform());
      }
      const double cost = world.costs.empty() ? 0.0 : world.costs[arm];
      if (spent + cost > world.budget) break;  // the budget is a hard cap
      const double mu = world.means[p * K + arm];
      double reward = 0.0;
      if (config.reward == Reward::bernoulli) {
        reward = rng.uniform() < mu ? 1.0 : 0.0;
      } else {
        reward = mu + (world.sds.empty() ? 1.0 : world.sds[arm]) * rng.normal();
      }
      regret += best[p] - mu;
      out.total_reward += reward;
      spent += cost;
      out.spend[b] += cost;
      out.pulls[(b * P + p) * K + arm] += 1.0;
      ArmStats& s = stats[g * K + arm];
      s.n += 1.0;
      exposed[(g * K + arm) * world.batches + b] += 1.0;
      if (reward != 0.0 && world.delay_mean > 0.0) {
        // Geometric delay in whole batches (>= 1: seen from the next batch on).
        const double ud = rng.uniform();
        const double delay = 1.0 + std::floor(std::log1p(-ud) / std::log1p(-q));
        const double arrive = static_cast<double>(b) + delay;
        if (arrive < static_cast<double>(world.batches))
          pending[(g * K + arm) * world.batches + static_cast<std::size_t>(arrive)] += reward;
      } else {
        s.sum += reward;
        s.sum_sq += reward * reward;
      }
      if (per_user_ts) seen[g * K + arm] = s;  // one user per batch: update at once
      t_all += 1.0;
    }
    out.cumulative_regret[b] = regret;
  }
  out.total_spend = spent;
  // Final probabilities of being best per persona (or pooled), for best-arm error rates.
  out.final_prob_best.assign(P * K, 0.0);
  for (std::size_t p = 0; p < P; ++p) {
    const std::size_t g = world.contextual ? p : 0;
    for (std::size_t i = 0; i < K; ++i)
      post[i] = detail::arm_posterior(stats[g * K + i], config.reward, prior_a[i], prior_b[i], gauss_pool);
    const auto pb = compare_posteriors(post, 0, 1e-9).prob_best;
    for (std::size_t i = 0; i < K; ++i) out.final_prob_best[p * K + i] = pb[i];
  }
  return out;
}

/// Lai-Robbins asymptotic lower bound on the regret of any consistent policy on Bernoulli
/// arms: log(T) sum_{i: mu_i < mu*} (mu* - mu_i) / KL(mu_i, mu*), with KL the Bernoulli
/// Kullback-Leibler divergence.
[[nodiscard]] inline double lai_robbins_bound(std::span<const double> means, double rounds) {
  double best = 0.0;
  for (double m : means) {
    if (!(m > 0.0 && m < 1.0)) fail("means: Bernoulli rates must be in (0, 1), got ", m);
    best = std::max(best, m);
  }
  double c = 0.0;
  for (double m : means) {
    if (m >= best) continue;
    const double kl = m * std::log(m / best) + (1.0 - m) * std::log((1.0 - m) / (1.0 - best));
    c += (best - m) / kl;
  }
  return c * std::log(rounds);
}

// ---------------------------------------------------------------------------------------
// Off-policy evaluation of a logged test
// ---------------------------------------------------------------------------------------

/// An off-policy estimate of the mean reward a target policy would have had.
struct OffPolicyEstimate {
  double value = 0.0;
  double std_error = 0.0;
};

namespace detail {
inline void check_logged(std::span<const std::int64_t> action, std::span<const std::int64_t> context,
                         std::span<const double> reward, std::span<const double> propensity, std::span<const double> target,
                         std::size_t contexts, std::size_t arms) {
  const std::size_t n = action.size();
  if (n == 0) fail("logged data: no rows");
  if (reward.size() != n || propensity.size() != n || (!context.empty() && context.size() != n))
    fail("logged data: action, reward, propensity (and context) must have the same length ", n);
  if (target.size() != contexts * arms)
    fail("target policy: expected contexts x arms = ", contexts * arms, " probabilities, got ", target.size());
  for (std::size_t r = 0; r < n; ++r) {
    if (action[r] < 0 || static_cast<std::size_t>(action[r]) >= arms)
      fail("row ", r, ": action ", action[r], " outside [0, ", arms, ")");
    if (!context.empty() && (context[r] < 0 || static_cast<std::size_t>(context[r]) >= contexts))
      fail("row ", r, ": context ", context[r], " outside [0, ", contexts, ")");
    if (!(propensity[r] > 0.0 && propensity[r] <= 1.0))
      fail("row ", r, ": propensity must be in (0, 1], got ", propensity[r]);
    if (!std::isfinite(reward[r])) fail("row ", r, ": reward must be finite, got ", reward[r]);
  }
}
inline OffPolicyEstimate mean_and_se(const std::vector<double>& v) {
  const double n = static_cast<double>(v.size());
  double s = 0.0;
  for (double x : v) s += x;
  const double m = s / n;
  double ss = 0.0;
  for (double x : v) ss += (x - m) * (x - m);
  return {m, n > 1.0 ? std::sqrt(ss / (n - 1.0) / n) : 0.0};
}
}  // namespace detail

/// Inverse-propensity estimate of the target policy's mean reward:
///   V = (1/n) sum_r pi(a_r | x_r) / mu_r * reward_r,
/// with mu_r the logging propensity of the logged action; unbiased when mu_r > 0 wherever
/// pi > 0. `target` is contexts x arms (row-major) probabilities; an empty context means 1.
[[nodiscard]] inline OffPolicyEstimate inverse_propensity(std::span<const std::int64_t> action,
                                                          std::span<const std::int64_t> context,
                                                          std::span<const double> reward, std::span<const double> propensity,
                                                          std::span<const double> target, std::size_t contexts,
                                                          std::size_t arms) {
  detail::check_logged(action, context, reward, propensity, target, contexts, arms);
  std::vector<double> v(action.size());
  for (std::size_t r = 0; r < v.size(); ++r) {
    const std::size_t x = context.empty() ? 0 : static_cast<std::size_t>(context[r]);
    v[r] = target[x * arms + static_cast<std::size_t>(action[r])] / propensity[r] * reward[r];
  }
  return detail::mean_and_se(v);
}

/// Doubly robust estimate (Dudik, Langford and Li 2011) with two-fold cross-fitting:
///   V = (1/n) sum_r [ sum_a pi(a | x_r) q(x_r, a) + pi(a_r | x_r) / mu_r (reward_r - q(x_r, a_r)) ],
/// where q(x, a) is the mean logged reward of (x, a) in the other fold (rows alternate
/// folds by index), so q is independent of the row it corrects and V stays unbiased.
[[nodiscard]] inline OffPolicyEstimate doubly_robust(std::span<const std::int64_t> action,
                                                     std::span<const std::int64_t> context, std::span<const double> reward,
                                                     std::span<const double> propensity, std::span<const double> target,
                                                     std::size_t contexts, std::size_t arms) {
  detail::check_logged(action, context, reward, propensity, target, contexts, arms);
  const std::size_t n = action.size();
  std::vector<double> sum(2 * contexts * arms, 0.0);
  std::vector<double> cnt(2 * contexts * arms, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t x = context.empty() ? 0 : static_cast<std::size_t>(context[r]);
    const std::size_t cell = (r % 2) * contexts * arms + x * arms + static_cast<std::size_t>(action[r]);
    sum[cell] += reward[r];
    cnt[cell] += 1.0;
  }
  std::vector<double> v(n);
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t x = context.empty() ? 0 : static_cast<std::size_t>(context[r]);
    const std::size_t other = ((r + 1) % 2) * contexts * arms + x * arms;
    double direct = 0.0;
    for (std::size_t a = 0; a < arms; ++a) {
      const double q = cnt[other + a] > 0.0 ? sum[other + a] / cnt[other + a] : 0.0;
      direct += target[x * arms + a] * q;
    }
    const std::size_t a = static_cast<std::size_t>(action[r]);
    const double q = cnt[other + a] > 0.0 ? sum[other + a] / cnt[other + a] : 0.0;
    v[r] = direct + target[x * arms + a] / propensity[r] * (reward[r] - q);
  }
  return detail::mean_and_se(v);
}

}  // namespace trustmix::experiments
