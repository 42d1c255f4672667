#pragma once
// Running a World: the exact expected-value chain, segment mode (multinomial/binomial
// draws over people's states) and agent mode (one record per person), and ground truth
// by counterfactual re-simulation. Equations: see world.hpp and docs/simulate.md.
//
// A person's state is (T, M): trusting or not, and ad memory M in 0..m. Both modes move
// people between these 2(m+1) cells with the same transition probabilities, so
// segment mode is agent mode aggregated: for every period the expected cell counts of
// agent mode equal those of the chain n[t] = n[t-1] P[t] (P exact, computed from the
// probability generating functions of the exposure counts), and so do expected
// conversions sum_cells n_cell[t] p_cell[t].
#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "trustmix/core/parallel.hpp"
#include "trustmix/core/resources.hpp"
#include "trustmix/simulate/rng.hpp"
#include "trustmix/simulate/world.hpp"

namespace trustmix::simulate {

/// Run settings shared by all modes.
struct RunOptions {
  int periods = 104;
  int period_days = 7;
  int threads = 0;              ///< 0 = all hardware threads; results do not depend on it
  double agent_scale = 1.0;     ///< agent mode: simulate round(size * scale) people per segment, same frequencies
  bool record_touches = true;   ///< agent mode: keep the touchpoint and conversion logs
  /// Agent mode: if set, incremented by 1024 for every 1024 people simulated (for a
  /// progress bar polled by another thread); never read by the simulation.
  std::atomic<std::int64_t>* people_done = nullptr;
  /// Agent mode: if set and true, the run stops at its next period (of a chunk of people) and throws
  /// trustmix::Interrupted (set by the Python binding on Ctrl-C).
  const std::atomic<bool>* stop = nullptr;
};

enum class TouchKind : std::uint8_t { impression, earned, click };

/// Touchpoint log (agent mode), one row per impression, earned exposure or click.
struct TouchLog {
  std::vector<std::int64_t> user, second;  ///< second: seconds since the world's start date
  std::vector<std::int32_t> channel, source;  ///< source: campaign k, activity (K + a), organic (K + A)
  std::vector<std::uint8_t> kind;
};
/// Conversion log (agent mode).
struct ConversionLog {
  std::vector<std::int64_t> user, second;
  std::vector<double> value;
};

/// Outputs of a run. Matrices indexed [t * S + s] are T*S long; [(t * S + s) * C + c] are T*S*C.
struct RunResult {
  int periods = 0, segments = 0, channels = 0, period_days = 7;
  std::vector<double> population;                       ///< S: people simulated per segment
  Eigen::MatrixXd spend;                                ///< T x C
  std::vector<double> impressions, reach, clicks, visits;  ///< T*S*C
  std::vector<double> conversions, revenue, trusting;   ///< T*S (realised)
  std::vector<double> expected_conversions, expected_trusting;  ///< T*S from the exact chain
  std::vector<double> mentions, earned_reach, positive_mentions, negative_mentions;  ///< T*C, PR activities' mentions
  std::vector<double> crisis_mentions, news_mentions, competitor_mentions;  ///< T
  std::vector<double> survey_trusting, survey_size;     ///< T: tracker respondents who trust / asked
  TouchLog touches;
  ConversionLog conversion_log;
  std::vector<int> person_segment_start;                ///< S+1 offsets of user ids per segment
};

namespace detail {

/// pmf of impressions K per reachable person: Poisson(f) or negative binomial (mean f,
/// shape k), up to where the remaining tail is below 1e-15 (at most 4000 terms).
inline std::vector<double> impression_pmf(double f, double shape) {
  std::vector<double> p;
  if (f <= 0.0) return {1.0};
  double pk = shape > 0.0 ? std::pow(shape / (shape + f), shape) : std::exp(-f);
  const double ratio_nb = shape > 0.0 ? f / (shape + f) : 0.0;
  double cum = 0.0;
  for (int k = 0; k < 4000; ++k) {
    p.push_back(pk);
    cum += pk;
    if (1.0 - cum < 1e-15 && static_cast<double>(k) > f) break;
    pk *= shape > 0.0 ? (static_cast<double>(k) + shape) / (k + 1.0) * ratio_nb : f / (k + 1.0);
  }
  return p;
}

/// pgf E[z^X] of Poisson(lambda) or NB(mean lambda, shape k).
inline double pgf(double lambda, double shape, double z) {
  if (lambda <= 0.0) return 1.0;
  return shape > 0.0 ? std::pow(1.0 + lambda * (1.0 - z) / shape, -shape) : std::exp(lambda * (z - 1.0));
}

/// Tilted, capped pmf of engaged impressions E of one channel for one person:
/// out[k] = E[z^E 1{E = k}] for k < m and out[m] = E[z^E 1{E >= m}], where the person is
/// reachable with probability r and then E ~ Poisson(lambda) or NB(lambda, shape).
inline std::vector<double> engaged_tilted(double r, double lambda, double shape, double z, int m) {
  std::vector<double> out(static_cast<std::size_t>(m + 1), 0.0);
  double pk = lambda <= 0.0 ? 1.0 : (shape > 0.0 ? std::pow(shape / (shape + lambda), shape) : std::exp(-lambda));
  const double ratio_nb = shape > 0.0 ? lambda / (shape + lambda) : 0.0;
  double zk = 1.0, head = 0.0;
  for (int k = 0; k < m; ++k) {
    out[static_cast<std::size_t>(k)] = r * pk * zk;
    head += pk * zk;
    pk *= lambda <= 0.0 ? 0.0 : (shape > 0.0 ? (k + shape) / (k + 1.0) * ratio_nb : lambda / (k + 1.0));
    zk *= z;
  }
  out[static_cast<std::size_t>(m)] = r * std::max(0.0, pgf(lambda, shape, z) - head);
  out[0] += 1.0 - r;
  return out;
}

/// Convolution capped at m: out[k] = sum_{min(m, i + j) = k} a_i b_j.
inline std::vector<double> convolve_capped(const std::vector<double>& a, const std::vector<double>& b, int m) {
  std::vector<double> out(static_cast<std::size_t>(m + 1), 0.0);
  for (int i = 0; i <= m; ++i) {
    if (a[static_cast<std::size_t>(i)] == 0.0) continue;
    for (int j = 0; j <= m; ++j)
      out[static_cast<std::size_t>(std::min(m, i + j))] += a[static_cast<std::size_t>(i)] * b[static_cast<std::size_t>(j)];
  }
  return out;
}

inline double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double logit(double p) { return std::log(p / (1.0 - p)); }

}  // namespace detail

/// The per-period quantities both modes draw from, for one variant.
class Dynamics {
 public:
  Dynamics(const World& world, const Variant& variant, const RunOptions& opt, std::vector<double> population)
      : world_(world), opt_(opt), drive_(world.drive(variant, opt.periods, opt.period_days)),
        population_(std::move(population)) {
    const auto& spec = world.spec();
    S_ = world.segments();
    C_ = world.channels();
    T_ = opt.periods;
    m_ = spec.memory_cap;
    alpha_ = world.memory_retention(opt.period_days);
    r_ = world.trust_retention(opt.period_days);
    h_ = world.memory_response();
    // Reachable people per channel (in simulated people).
    reachable_.assign(static_cast<std::size_t>(C_), 0.0);
    reach_.assign(static_cast<std::size_t>(S_) * C_, 0.0);
    engage_.assign(static_cast<std::size_t>(S_) * C_, 0.0);
    click_.assign(static_cast<std::size_t>(S_) * C_, 0.0);
    for (int s = 0; s < S_; ++s) {
      const auto& a = spec.audiences[static_cast<std::size_t>(s)];
      for (int c = 0; c < C_; ++c) {
        const auto& p = spec.channels[static_cast<std::size_t>(c)];
        const auto itr = a.reach.find(p.channel.name);
        const auto ita = a.affinity.find(p.channel.name);
        const double r = itr == a.reach.end() ? 0.0 : itr->second;
        const double aff = ita == a.affinity.end() ? 1.0 : ita->second;
        reach_[idx(s, c)] = r;
        engage_[idx(s, c)] = std::min(1.0, p.engagement * aff);
        click_[idx(s, c)] = std::min(1.0, p.ctr * aff);
        reachable_[static_cast<std::size_t>(c)] += r * population_[static_cast<std::size_t>(s)];
      }
    }
    // Agent mode scales impressions with the population so frequencies do not change.
    scale_ = 0.0;
    double full = 0.0, sim = 0.0;
    for (int s = 0; s < S_; ++s) {
      full += spec.audiences[static_cast<std::size_t>(s)].size;
      sim += population_[static_cast<std::size_t>(s)];
    }
    scale_ = full > 0.0 ? sim / full : 1.0;
    // Impressions must land on enough reachable people to be a frequency at all.
    for (int t = 0; t < T_; ++t)
      for (int c = 0; c < C_; ++c)
        if (const double f = frequency(t, c); !(f <= 1e4))
          fail("channel '", spec.channels[static_cast<std::size_t>(c)].channel.name, "': ", f,
               " impressions per reachable person in period ", t,
               " (impressions / sum of size x reach); check the audiences' reach shares and the budget");
    // Memory decay: cdf of Binomial(M, alpha) for M = 0..m.
    decay_cdf_.assign((static_cast<std::size_t>(m_) + 1) * (static_cast<std::size_t>(m_) + 1), 1.0);
    decay_pmf_.assign((static_cast<std::size_t>(m_) + 1) * (static_cast<std::size_t>(m_) + 1), 0.0);
    for (int M = 0; M <= m_; ++M) {
      double cum = 0.0;
      for (int j = 0; j <= M; ++j) {
        const double pj = std::exp(std::lgamma(M + 1.0) - std::lgamma(j + 1.0) - std::lgamma(M - j + 1.0)) *
                          std::pow(alpha_, j) * std::pow(1.0 - alpha_, M - j);
        decay_pmf_[static_cast<std::size_t>(M) * (m_ + 1) + j] = pj;
        cum += pj;
        decay_cdf_[static_cast<std::size_t>(M) * (m_ + 1) + j] = cum;
      }
    }
  }

  [[nodiscard]] int cells() const { return 2 * (m_ + 1); }
  [[nodiscard]] static int cell(int trusting, int memory, int m) { return trusting * (m + 1) + memory; }
  [[nodiscard]] const Drive& drive() const { return drive_; }
  [[nodiscard]] double scale() const { return scale_; }
  [[nodiscard]] int memory_cap() const { return m_; }

  /// Frequency (impressions per reachable person) of channel c in period t.
  [[nodiscard]] double frequency(int t, int c) const {
    const double reachable = reachable_[static_cast<std::size_t>(c)];
    return reachable > 0.0 ? drive_.impressions(t, c) * scale_ / reachable : 0.0;
  }
  [[nodiscard]] double reach_prob(int s, int c) const { return reach_[idx(s, c)]; }
  [[nodiscard]] double engage_prob(int s, int c) const { return engage_[idx(s, c)]; }
  [[nodiscard]] double click_prob(int s, int c) const { return click_[idx(s, c)]; }
  [[nodiscard]] double dispersion(int c) const { return world_.spec().channels[static_cast<std::size_t>(c)].dispersion; }
  [[nodiscard]] double visit_rate(int c) const { return world_.spec().channels[static_cast<std::size_t>(c)].visit_rate; }
  /// Trust pushes a+ (gain) and a- (loss) per engaged impression of channel c in segment s.
  [[nodiscard]] double push(int s, int t, int c, bool gain) const {
    const auto& p = world_.spec().channels[static_cast<std::size_t>(c)];
    if (!p.channel.builds_trust()) return 0.0;
    const double sent = drive_.sentiment(t, c);
    const double sens = world_.spec().audiences[static_cast<std::size_t>(s)].trust_sensitivity;
    return sens * p.trust_gain * std::max(gain ? sent : -sent, 0.0);
  }
  /// (1 - g0)(1 - nu_t): probability a non-trusting person stays so without PR exposure.
  [[nodiscard]] double stay_untrusting(int s, int t) const {
    const double b = world_.spec().audiences[static_cast<std::size_t>(s)].baseline_trust;
    return (1.0 - (1.0 - r_) * b) * (1.0 - drive_.severity_gain[static_cast<std::size_t>(t)]);
  }
  /// (1 - l0)(1 - omega_t): probability a trusting person stays so without negative exposure.
  [[nodiscard]] double stay_trusting(int s, int t) const {
    const double b = world_.spec().audiences[static_cast<std::size_t>(s)].baseline_trust;
    return (1.0 - (1.0 - r_) * (1.0 - b)) * (1.0 - drive_.severity_loss[static_cast<std::size_t>(t)]);
  }
  /// Conversion probability of cell (T, M) in segment s and period t.
  [[nodiscard]] double conversion_prob(int s, int t, int trusting, int memory) const {
    const auto& spec = world_.spec();
    const auto& a = spec.audiences[static_cast<std::size_t>(s)];
    if (a.base_conversion_rate <= 0.0) return 0.0;
    if (a.base_conversion_rate >= 1.0) return 1.0;
    // Base rate is per 7 days; per period it is 1 - (1 - p)^(D/7).
    const double p0 = -std::expm1(std::log1p(-a.base_conversion_rate) * opt_.period_days / 7.0);
    constexpr double two_pi = 6.283185307179586476925286766559;
    const double day_mid = day_of_year(t) + 0.5 * opt_.period_days;
    const double season = spec.season_amplitude * std::cos(two_pi * (day_mid - spec.season_peak_day) / 365.25);
    const double eta = detail::logit(p0) + season + spec.trust_effect * trusting +
                       spec.smm_effect * h_[static_cast<std::size_t>(memory)] * (1.0 + spec.amplification * trusting);
    return detail::logistic(eta);
  }
  [[nodiscard]] double initial_trust(int s) const {
    const auto& a = world_.spec().audiences[static_cast<std::size_t>(s)];
    const auto it = world_.spec().initial_trust.find(a.name);
    return it == world_.spec().initial_trust.end() ? a.baseline_trust : it->second;
  }
  [[nodiscard]] const double* decay_cdf(int memory) const {
    return &decay_cdf_[static_cast<std::size_t>(memory) * (m_ + 1)];
  }

  /// The exact transition matrix P[t] of segment s over the 2(m+1) cells (rows: from).
  [[nodiscard]] Eigen::MatrixXd transition(int s, int t) const {
    const int m = m_;
    std::vector<double> q(static_cast<std::size_t>(m + 1), 0.0), v0 = q, v1 = q;
    q[0] = v0[0] = v1[0] = 1.0;
    double scalar0 = 1.0, scalar1 = 1.0;
    for (int c = 0; c < C_; ++c) {
      const auto& p = world_.spec().channels[static_cast<std::size_t>(c)];
      const double r = reach_prob(s, c), f = frequency(t, c);
      if (r <= 0.0 || f <= 0.0) continue;
      const double lam = f * engage_prob(s, c), shape = dispersion(c);
      const double z0 = std::exp(-push(s, t, c, true)), z1 = std::exp(-push(s, t, c, false));
      if (p.channel.converts()) {
        const auto base = detail::engaged_tilted(r, lam, shape, 1.0, m);
        q = detail::convolve_capped(q, base, m);
        v0 = detail::convolve_capped(v0, z0 == 1.0 ? base : detail::engaged_tilted(r, lam, shape, z0, m), m);
        v1 = detail::convolve_capped(v1, z1 == 1.0 ? base : detail::engaged_tilted(r, lam, shape, z1, m), m);
      } else {
        scalar0 *= (1.0 - r) + r * detail::pgf(lam, shape, z0);
        scalar1 *= (1.0 - r) + r * detail::pgf(lam, shape, z1);
      }
    }
    const double g_stay = stay_untrusting(s, t), l_stay = stay_trusting(s, t);
    // Joint law of (next trust, new engaged impressions K) from each trust state.
    std::vector<double> from0_to0(static_cast<std::size_t>(m + 1)), from0_to1 = from0_to0, from1_to1 = from0_to0,
                                                                    from1_to0 = from0_to0;
    for (int k = 0; k <= m; ++k) {
      const auto kk = static_cast<std::size_t>(k);
      from0_to0[kk] = g_stay * scalar0 * v0[kk];
      from0_to1[kk] = std::max(0.0, q[kk] - from0_to0[kk]);
      from1_to1[kk] = l_stay * scalar1 * v1[kk];
      from1_to0[kk] = std::max(0.0, q[kk] - from1_to1[kk]);
    }
    Eigen::MatrixXd P = Eigen::MatrixXd::Zero(cells(), cells());
    for (int T = 0; T <= 1; ++T)
      for (int M = 0; M <= m; ++M) {
        const int from = cell(T, M, m);
        for (int T2 = 0; T2 <= 1; ++T2) {
          const auto& law = T == 0 ? (T2 == 0 ? from0_to0 : from0_to1) : (T2 == 0 ? from1_to0 : from1_to1);
          for (int j = 0; j <= M; ++j) {
            const double pj = decay_pmf_[static_cast<std::size_t>(M) * (m + 1) + j];
            if (pj == 0.0) continue;
            for (int k = 0; k <= m; ++k) P(from, cell(T2, std::min(m, j + k), m)) += pj * law[static_cast<std::size_t>(k)];
          }
        }
      }
    return P;
  }

  [[nodiscard]] double day_of_year(int t) const {
    const Date d = world_.spec().start + t * opt_.period_days;
    return static_cast<double>(d - Date::from_ymd(d.year(), 1, 1));
  }

 private:
  [[nodiscard]] std::size_t idx(int s, int c) const { return static_cast<std::size_t>(s) * C_ + c; }
  const World& world_;
  RunOptions opt_;
  Drive drive_;
  std::vector<double> population_;
  int S_ = 0, C_ = 0, T_ = 0, m_ = 0;
  double alpha_ = 0.0, r_ = 0.0, scale_ = 1.0;
  std::vector<double> h_, reachable_, reach_, engage_, click_, decay_cdf_, decay_pmf_;
};

/// Expected trajectories of the exact chain: conversions and trusting people per
/// period and segment (T*S, index t*S + s).
struct Expected {
  std::vector<double> conversions, revenue, trusting;
};

/// The exact expected-value chain n[t] = n[t-1] P[t], E conversions[t] = n[t] . p[t].
[[nodiscard]] inline Expected expected_chain(const World& world, const Variant& variant, const RunOptions& opt,
                                             const std::vector<double>& population) {
  const Dynamics dyn(world, variant, opt, population);
  const int S = world.segments(), T = opt.periods, m = dyn.memory_cap(), K = dyn.cells();
  Expected out;
  out.conversions.assign(static_cast<std::size_t>(T) * S, 0.0);
  out.revenue = out.trusting = out.conversions;
  parallel_for_blocks(S, opt.threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (auto s = static_cast<int>(b); s < e; ++s) {
      Eigen::RowVectorXd n = Eigen::RowVectorXd::Zero(K);
      const double N = population[static_cast<std::size_t>(s)], g = dyn.initial_trust(s);
      n(Dynamics::cell(1, 0, m)) = N * g;
      n(Dynamics::cell(0, 0, m)) = N * (1.0 - g);
      const double value = world.spec().audiences[static_cast<std::size_t>(s)].value_per_conversion;
      for (int t = 0; t < T; ++t) {
        n = n * dyn.transition(s, t);
        double conv = 0.0, trusting = 0.0;
        for (int T2 = 0; T2 <= 1; ++T2)
          for (int M = 0; M <= m; ++M) {
            const double x = n(Dynamics::cell(T2, M, m));
            conv += x * dyn.conversion_prob(s, t, T2, M);
            if (T2 == 1) trusting += x;
          }
        const auto i = static_cast<std::size_t>(t) * S + s;
        out.conversions[i] = conv;
        out.revenue[i] = conv * value;
        out.trusting[i] = trusting;
      }
    }
  });
  return out;
}

namespace detail {

inline std::int64_t binomial_draw(std::int64_t n, double p, std::uint64_t key) {
  if (n <= 0 || p <= 0.0) return 0;
  if (p >= 1.0) return n;
  CounterEngine eng(key);
  std::binomial_distribution<std::int64_t> dist(n, p);
  return dist(eng);
}

inline std::vector<double> full_population(const World& w) {
  std::vector<double> p;
  for (const auto& a : w.spec().audiences) p.push_back(a.size);
  return p;
}

// Earned-media observations shared by both modes (they do not depend on the mode).
inline void fill_earned(const World& world, const Variant& v, const RunOptions& opt, RunResult& out) {
  const int T = opt.periods, C = world.channels();
  out.mentions.assign(static_cast<std::size_t>(T) * C, 0.0);
  out.earned_reach = out.positive_mentions = out.negative_mentions = out.mentions;
  out.crisis_mentions.assign(static_cast<std::size_t>(T), 0.0);
  out.news_mentions = out.competitor_mentions = out.crisis_mentions;
  for (const auto& mnt : world.mentions_by_period(opt.period_days)) {
    if (mnt.period >= T) continue;
    if (mnt.source >= 0) {
      if (!world.activity_on(v, static_cast<std::size_t>(mnt.source), mnt.period)) continue;
      const auto i = static_cast<std::size_t>(mnt.period) * C + mnt.channel;
      out.mentions[i] += 1.0;
      out.earned_reach[i] += mnt.reach * 1.0;
      if (mnt.sentiment > 0.0) out.positive_mentions[i] += 1.0;
      if (mnt.sentiment < 0.0) out.negative_mentions[i] += 1.0;
    } else {
      (mnt.sentiment < 0.0 ? out.crisis_mentions : out.news_mentions)[static_cast<std::size_t>(mnt.period)] += 1.0;
    }
  }
  const double lam = world.spec().competitor_mentions * opt.period_days / 7.0;
  for (int t = 0; t < T; ++t) {
    CounterEngine eng(stream(world.seed(), Domain::world, 1, static_cast<std::uint64_t>(t)).base);
    std::poisson_distribution<long> dist(lam);
    out.competitor_mentions[static_cast<std::size_t>(t)] = lam > 0.0 ? static_cast<double>(dist(eng)) : 0.0;
  }
}

inline void fill_survey(const World& world, const RunOptions& opt, RunResult& out) {
  const int T = opt.periods, S = world.segments();
  out.survey_trusting.assign(static_cast<std::size_t>(T), 0.0);
  out.survey_size.assign(static_cast<std::size_t>(T), 0.0);
  double pop = 0.0;
  for (double n : out.population) pop += n;
  const auto n = static_cast<std::int64_t>(std::llround(world.spec().survey_panel_size));
  for (int t = 0; t < T; ++t) {
    double trusting = 0.0;
    for (int s = 0; s < S; ++s) trusting += out.trusting[static_cast<std::size_t>(t) * S + s];
    const double share = pop > 0.0 ? trusting / pop : 0.0;
    out.survey_size[static_cast<std::size_t>(t)] = static_cast<double>(n);
    out.survey_trusting[static_cast<std::size_t>(t)] = static_cast<double>(
        binomial_draw(n, share, stream(world.seed(), Domain::survey, 0, static_cast<std::uint64_t>(t)).base));
  }
}

inline void init_result(const World& world, const RunOptions& opt, const Dynamics& dyn, RunResult& out,
                        std::vector<double> population) {
  out.periods = opt.periods;
  out.segments = world.segments();
  out.channels = world.channels();
  out.period_days = opt.period_days;
  out.population = std::move(population);
  out.spend = dyn.drive().spend * dyn.scale();
  const auto n3 = static_cast<std::size_t>(out.periods) * out.segments * out.channels;
  out.impressions.assign(n3, 0.0);
  out.reach = out.clicks = out.visits = out.impressions;
  const auto n2 = static_cast<std::size_t>(out.periods) * out.segments;
  out.conversions.assign(n2, 0.0);
  out.revenue = out.trusting = out.conversions;
}

inline void check_options(const RunOptions& opt) {
  if (opt.periods < 1) fail("periods must be >= 1, got ", opt.periods);
  if (opt.period_days != 1 && opt.period_days != 7)
    fail("period_days must be 1 (daily) or 7 (weekly), got ", opt.period_days);
  trustmix::detail::require_in_range(opt.agent_scale, "agent_scale", 0.0, 1.0, true, false);
}

/// Agent mode's single-core time per person, period and (channel + 1), in seconds,
/// measured on the reference scenario (docs/benchmarks.md, "Reliability"); used only to
/// refuse runs that would take hours.
inline constexpr double agent_seconds_per_draw = 2e-8;

/// Refuses, before anything is allocated, a run whose tables do not fit in memory or
/// whose agent-mode work would take hours: the outputs hold periods x segments x channels
/// numbers (several per cell, more per thread in agent mode), and agent mode draws for
/// every person, period and channel.
inline void check_run_size(const World& world, const RunOptions& opt, bool agent) {
  check_options(opt);
  const double T = opt.periods, S = world.segments(), C = world.channels();
  const double m = world.spec().memory_cap, threads = resolve_threads(opt.threads);
  const double per_cell = agent ? 8.0 * 5 + 64.0 + 32.0 * threads : 8.0 * 5;
  const double bytes = T * S * (C * per_cell + 8.0 * (3 + 2 * (m + 1))) + T * C * 8.0 * 6;
  require_memory(bytes,
                 format_message("a ", agent ? "agent" : "segment", "-mode run of ", opt.periods, " periods x ",
                                world.segments(), " segments x ", world.channels(), " channels"),
                 "simulate fewer periods (or weekly instead of daily periods)");
  if (!agent) return;
  double people = 0.0;
  for (const auto& a : world.spec().audiences) people += static_cast<double>(std::llround(a.size * opt.agent_scale));
  if (people > 2147483647.0)
    fail("agent mode simulates every person: ", people,
         " people exceed 2^31 - 1; use mode='segment' (any population "
         "size) or agents=N (a scaled world of N people)");
  // Measured: about agent_seconds_per_draw per person, period and channel on one core.
  const double seconds = people * T * (C + 1.0) * agent_seconds_per_draw / threads;
  if (seconds > 3600.0)
    fail("agent mode would take about ", std::ceil(seconds / 3600.0), " hours (", people, " people x ", opt.periods,
         " periods x ", world.channels(), " channels on ", threads,
         " thread(s)); use mode='segment' (any population "
         "size, seconds) or agents=N (a scaled world of N people)");
}

}  // namespace detail

/// Segment mode: people in each segment are counts over the 2(m+1) cells; each period
/// every cell's count moves by a multinomial draw with the chain's transition row, and
/// conversions of a cell are Binomial(count, p_cell). Draws are keyed by (seed, segment,
/// period, cell), so results do not depend on the thread count.
[[nodiscard]] inline RunResult run_segment(const World& world, const Variant& variant, const RunOptions& opt) {
  detail::check_run_size(world, opt, false);
  const auto population = detail::full_population(world);
  const Dynamics dyn(world, variant, opt, population);
  RunResult out;
  detail::init_result(world, opt, dyn, out, population);
  const int S = world.segments(), C = world.channels(), T = opt.periods, m = dyn.memory_cap(), K = dyn.cells();
  const auto seed = world.seed();
  parallel_for_blocks(S, opt.threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (auto s = static_cast<int>(b); s < e; ++s) {
      const auto N = static_cast<std::int64_t>(population[static_cast<std::size_t>(s)]);
      const double value = world.spec().audiences[static_cast<std::size_t>(s)].value_per_conversion;
      std::vector<std::int64_t> n(static_cast<std::size_t>(K), 0), next = n;
      const std::int64_t n1 = detail::binomial_draw(
          N, dyn.initial_trust(s), stream(seed, Domain::segment, static_cast<std::uint64_t>(s), 1ULL << 32).base);
      n[static_cast<std::size_t>(Dynamics::cell(1, 0, m))] = n1;
      n[static_cast<std::size_t>(Dynamics::cell(0, 0, m))] = N - n1;
      for (int t = 0; t < T; ++t) {
        const CounterStream st = stream(seed, Domain::segment, static_cast<std::uint64_t>(s), static_cast<std::uint64_t>(t));
        const Eigen::MatrixXd P = dyn.transition(s, t);
        std::fill(next.begin(), next.end(), 0);
        for (int from = 0; from < K; ++from) {
          std::int64_t left = n[static_cast<std::size_t>(from)];
          double mass = 1.0;
          for (int to = 0; to < K && left > 0; ++to) {
            const double p = P(from, to);
            std::int64_t x;
            if (to == K - 1 || mass <= p) {
              x = left;
            } else {
              x = detail::binomial_draw(left, std::clamp(p / mass, 0.0, 1.0),
                                        derive(st.base, static_cast<std::uint64_t>(from) * K + to));
            }
            next[static_cast<std::size_t>(to)] += x;
            left -= x;
            mass -= p;
          }
        }
        n.swap(next);
        double conv = 0.0, trusting = 0.0;
        for (int T2 = 0; T2 <= 1; ++T2)
          for (int M = 0; M <= m; ++M) {
            const int k = Dynamics::cell(T2, M, m);
            const auto cnt = n[static_cast<std::size_t>(k)];
            conv += static_cast<double>(detail::binomial_draw(cnt, dyn.conversion_prob(s, t, T2, M),
                                                              derive(st.base, 100000ULL + static_cast<std::uint64_t>(k))));
            if (T2 == 1) trusting += static_cast<double>(cnt);
          }
        const auto i2 = static_cast<std::size_t>(t) * S + s;
        out.conversions[i2] = conv;
        out.revenue[i2] = conv * value;
        out.trusting[i2] = trusting;
        for (int c = 0; c < C; ++c) {
          const auto i3 = (static_cast<std::size_t>(t) * S + s) * C + c;
          const double r = dyn.reach_prob(s, c), f = dyn.frequency(t, c);
          const double impressions = r * f * static_cast<double>(N);
          const double p_any = r * (1.0 - detail::pgf(f, dyn.dispersion(c), 0.0));
          out.impressions[i3] = impressions;
          out.reach[i3] = static_cast<double>(
              detail::binomial_draw(N, p_any, derive(st.base, 200000ULL + 4ULL * static_cast<std::uint64_t>(c))));
          const auto clicks = detail::binomial_draw(std::llround(impressions), dyn.click_prob(s, c),
                                                    derive(st.base, 200001ULL + 4ULL * static_cast<std::uint64_t>(c)));
          out.clicks[i3] = static_cast<double>(clicks);
          out.visits[i3] = static_cast<double>(detail::binomial_draw(
              clicks, dyn.visit_rate(c), derive(st.base, 200002ULL + 4ULL * static_cast<std::uint64_t>(c))));
        }
      }
    }
  });
  const Expected ex = expected_chain(world, variant, opt, population);
  out.expected_conversions = ex.conversions;
  out.expected_trusting = ex.trusting;
  detail::fill_earned(world, variant, opt, out);
  detail::fill_survey(world, opt, out);
  return out;
}

/// People simulated per segment in agent mode: round(size * agent_scale).
[[nodiscard]] inline std::vector<double> agent_population(const World& world, double agent_scale) {
  std::vector<double> p;
  for (const auto& a : world.spec().audiences) p.push_back(static_cast<double>(std::llround(a.size * agent_scale)));
  return p;
}

/// Agent mode: every person carries (T, M); each period and channel a person is
/// reachable with probability r_sc and then sees K impressions (Poisson/NB, inverted from
/// one uniform), of which Binomial(K, e_sc) engage and Binomial(K, ctr_sc) are clicked.
/// Uniforms are keyed by (seed, person, period, stream): bit-identical for any thread
/// count, and common to counterfactual runs.
[[nodiscard]] inline RunResult run_agent(const World& world, const Variant& variant, const RunOptions& opt) {
  detail::check_run_size(world, opt, true);
  const auto population = agent_population(world, opt.agent_scale);
  const Dynamics dyn(world, variant, opt, population);
  RunResult out;
  detail::init_result(world, opt, dyn, out, population);
  const auto& spec = world.spec();
  const int S = world.segments(), C = world.channels(), T = opt.periods, m = dyn.memory_cap();
  const int D = opt.period_days;
  const auto seed = world.seed();
  const int n_campaigns = static_cast<int>(spec.campaigns.size());
  const int n_activities = static_cast<int>(spec.pr_activities.size());

  // Per (t, s, c): exposure probability, conditional cdf of K >= 1, trust pushes.
  struct Exposure {
    double p_any = 0.0, engage = 0.0, click = 0.0, visit = 0.0, gain = 0.0, loss = 0.0;
    std::size_t cdf_offset = 0;
    int cdf_len = 0;
  };
  std::vector<Exposure> expo(static_cast<std::size_t>(T) * S * C);
  std::vector<double> cdfs;
  std::vector<double> stay0(static_cast<std::size_t>(T) * S), stay1 = stay0;
  std::vector<double> conv_p(static_cast<std::size_t>(T * S * 2 * (m + 1)));
  for (int t = 0; t < T; ++t)
    for (int s = 0; s < S; ++s) {
      stay0[static_cast<std::size_t>(t) * S + s] = dyn.stay_untrusting(s, t);
      stay1[static_cast<std::size_t>(t) * S + s] = dyn.stay_trusting(s, t);
      for (int k = 0; k < 2 * (m + 1); ++k)
        conv_p[(static_cast<std::size_t>(t) * S + s) * 2 * (m + 1) + k] = dyn.conversion_prob(s, t, k / (m + 1),
                                                                                              k % (m + 1));
      for (int c = 0; c < C; ++c) {
        auto& x = expo[(static_cast<std::size_t>(t) * S + s) * C + c];
        const double r = dyn.reach_prob(s, c), f = dyn.frequency(t, c);
        if (r <= 0.0 || f <= 0.0) continue;
        const auto pmf = detail::impression_pmf(f, dyn.dispersion(c));
        x.p_any = r * (1.0 - pmf[0]);
        x.engage = dyn.engage_prob(s, c);
        x.click = dyn.click_prob(s, c);
        x.visit = dyn.visit_rate(c);
        x.gain = dyn.push(s, t, c, true);
        x.loss = dyn.push(s, t, c, false);
        x.cdf_offset = cdfs.size();
        double tail = 1.0 - pmf[0], cum = 0.0;
        for (std::size_t k = 1; k < pmf.size(); ++k) {
          cum += pmf[k];
          cdfs.push_back(std::min(1.0, cum / tail));
        }
        if (pmf.size() == 1) cdfs.push_back(1.0);
        x.cdf_len = static_cast<int>(cdfs.size() - x.cdf_offset);
      }
    }
  // Which campaign, activity or organic flow an impression of (t, c) came from.
  std::vector<std::vector<std::pair<double, int>>> sources(static_cast<std::size_t>(T) * C);
  {
    const Eigen::MatrixXd camp = world.campaign_spend(T, D);
    const auto mentions = world.mentions_by_period(D);
    for (int t = 0; t < T; ++t)
      for (int c = 0; c < C; ++c) {
        const double total = dyn.drive().impressions(t, c);
        if (total <= 0.0) continue;
        auto& list = sources[static_cast<std::size_t>(t) * C + c];
        std::vector<double> w(static_cast<std::size_t>(n_campaigns + n_activities + 1), 0.0);
        for (int k = 0; k < n_campaigns; ++k) {
          const auto& cp = spec.campaigns[static_cast<std::size_t>(k)];
          if (world.plan().channel_position(cp.channel) != static_cast<std::size_t>(c) ||
              variant.campaign_off[static_cast<std::size_t>(k)] ||
              !World::channel_on(variant, static_cast<std::size_t>(c), t))
            continue;
          w[static_cast<std::size_t>(k)] = 1000.0 * camp(t, k) *
                                           World::spend_scale_at(variant, static_cast<std::size_t>(c), t) /
                                           spec.channels[static_cast<std::size_t>(c)].cpm;
        }
        for (const auto& mn : mentions)
          if (mn.source >= 0 && mn.period == t && mn.channel == c &&
              world.activity_on(variant, static_cast<std::size_t>(mn.source), t))
            w[static_cast<std::size_t>(n_campaigns) + mn.source] += mn.reach;
        if (World::channel_on(variant, static_cast<std::size_t>(c), t))
          w.back() = spec.channels[static_cast<std::size_t>(c)].organic_impressions * D / 7.0;
        double cum = 0.0, sum = 0.0;
        for (double x : w) sum += x;
        for (std::size_t k = 0; k < w.size(); ++k)
          if (w[k] > 0.0) {
            cum += w[k] / sum;
            list.emplace_back(cum, static_cast<int>(k));
          }
        list.back().first = 1.0;
      }
  }
  std::vector<int> seg_start(static_cast<std::size_t>(S + 1), 0);
  for (int s = 0; s < S; ++s)
    seg_start[static_cast<std::size_t>(s) + 1] = seg_start[static_cast<std::size_t>(s)] +
                                                 static_cast<int>(population[static_cast<std::size_t>(s)]);
  out.person_segment_start = seg_start;
  const std::ptrdiff_t people = seg_start.back();
  const int threads = resolve_threads(opt.threads);
  constexpr std::ptrdiff_t chunk_size = 256;  // people simulated period by period together (cache reuse)
  const std::ptrdiff_t blocks = std::max<std::ptrdiff_t>(1, std::min<std::ptrdiff_t>(threads, people / 1024));
  auto block_edge = [&](std::ptrdiff_t k) { return k >= blocks ? people : (people * k / blocks) / chunk_size * chunk_size; };

  struct Partial {
    std::vector<std::int64_t> impressions, reach, clicks, visits, conversions, trusting;
    TouchLog touches;
    ConversionLog conv;
  };
  std::vector<Partial> partial(static_cast<std::size_t>(blocks));
  constexpr std::int64_t day_seconds = 86400;
  // Blocks are cut by person id and merged in block order, and integer counters sum
  // exactly, so results are the same for every thread count.
  parallel_for_blocks(blocks, threads, 1, [&](std::ptrdiff_t bb, std::ptrdiff_t be) {
    for (std::ptrdiff_t blk = bb; blk < be; ++blk) {
      auto& P = partial[static_cast<std::size_t>(blk)];
      const auto n3 = static_cast<std::size_t>(T) * S * C;
      P.impressions.assign(n3, 0);
      P.reach = P.clicks = P.visits = P.impressions;
      P.conversions.assign(static_cast<std::size_t>(T) * S, 0);
      P.trusting = P.conversions;
      // Block edges fall on multiples of the chunk size, so chunks (and the order of the
      // logs: chunk, then period, then person) are the same for every thread count.
      const std::ptrdiff_t p_begin = block_edge(blk), p_end = block_edge(blk + 1);
      struct Pending {
        int channel, source;
        TouchKind kind;
        double u;
      };
      std::vector<Pending> pending;
      std::vector<int> seg_of(chunk_size), trust_of(chunk_size), memory_of(chunk_size);
      std::vector<std::uint64_t> key_of(chunk_size);
      int s_cursor = 0;
      for (std::ptrdiff_t c0 = p_begin; c0 < p_end; c0 += chunk_size) {
        const auto n_chunk = static_cast<std::size_t>(std::min<std::ptrdiff_t>(chunk_size, p_end - c0));
        for (std::size_t i = 0; i < n_chunk; ++i) {
          const std::ptrdiff_t pid = c0 + static_cast<std::ptrdiff_t>(i);
          while (pid >= seg_start[static_cast<std::size_t>(s_cursor) + 1]) ++s_cursor;
          seg_of[i] = s_cursor;
          key_of[i] = derive(
              derive(derive(seed, static_cast<std::uint64_t>(Domain::person)), static_cast<std::uint64_t>(pid)), 0);
          trust_of[i] = CounterStream{key_of[i]}.uniform(0) < dyn.initial_trust(s_cursor) ? 1 : 0;
          memory_of[i] = 0;
        }
        for (int t = 0; t < T; ++t) {
          if (opt.stop != nullptr && opt.stop->load(std::memory_order_relaxed)) throw Interrupted("agent simulation");
          for (std::size_t person = 0; person < n_chunk; ++person) {
            const std::ptrdiff_t pid = c0 + static_cast<std::ptrdiff_t>(person);
            const int s = seg_of[person];
            const std::uint64_t pkey = key_of[person];
            int& trusting = trust_of[person];
            int& memory = memory_of[person];
            const double value = spec.audiences[static_cast<std::size_t>(s)].value_per_conversion;
            const CounterStream st{derive(pkey, static_cast<std::uint64_t>(t) + 1)};
            const std::size_t ts = static_cast<std::size_t>(t) * S + s;
            double up = 0.0, down = 0.0;
            int engaged_conv = 0;
            pending.clear();
            for (int c = 0; c < C; ++c) {
              const auto& x = expo[ts * static_cast<std::size_t>(C) + static_cast<std::size_t>(c)];
              if (x.p_any <= 0.0) continue;  // skipping a draw shifts no other: uniforms are indexed
              const double u = st.uniform(8 + static_cast<std::uint64_t>(c));
              if (!(u < x.p_any)) continue;
              const int K = 1 + invert_cdf(&cdfs[x.cdf_offset], x.cdf_len, u / x.p_any);
              const CounterStream cs = st.child(1000 + static_cast<std::uint64_t>(c));
              const int E = binomial_by_inversion(K, x.engage, cs.uniform(0));
              const int clicks = binomial_by_inversion(K, x.click, cs.uniform(1));
              const int visits = binomial_by_inversion(clicks, x.visit, cs.uniform(2));
              const std::size_t i3 = ts * static_cast<std::size_t>(C) + static_cast<std::size_t>(c);
              P.impressions[i3] += K;
              P.reach[i3] += 1;
              P.clicks[i3] += clicks;
              P.visits[i3] += visits;
              const auto& p = spec.channels[static_cast<std::size_t>(c)];
              if (p.channel.converts()) engaged_conv += E;
              if (E > 0 && p.channel.builds_trust()) {
                up += x.gain * E;
                down += x.loss * E;
              }
              if (opt.record_touches) {
                const auto& list = sources[static_cast<std::size_t>(t) * C + c];
                for (int i = 0; i < K; ++i) {
                  const double us = cs.uniform(10 + 2 * static_cast<std::uint64_t>(i));
                  int src = list.back().second;
                  for (const auto& [cum, id] : list)
                    if (us < cum) {
                      src = id;
                      break;
                    }
                  const TouchKind kind = (src >= n_campaigns && src < n_campaigns + n_activities) ? TouchKind::earned
                                                                                                  : TouchKind::impression;
                  const double ut = cs.uniform(11 + 2 * static_cast<std::uint64_t>(i));
                  pending.push_back({c, src, kind, ut});
                  if (i < clicks) pending.push_back({c, src, TouchKind::click, std::min(1.0, ut + 1e-9)});
                }
              }
            }
            // Trust: stay with probability stay * exp(-push), else switch.
            const double ut = st.uniform(0);
            if (trusting == 0) {
              if (ut >= stay0[ts] * (up > 0.0 ? std::exp(-up) : 1.0)) trusting = 1;
            } else {
              if (ut >= stay1[ts] * (down > 0.0 ? std::exp(-down) : 1.0)) trusting = 0;
            }
            if (memory > 0) memory = invert_cdf(dyn.decay_cdf(memory), memory + 1, st.uniform(1));
            memory = std::min(m, memory + engaged_conv);
            const bool converted =
                st.uniform(2) <
                conv_p[ts * static_cast<std::size_t>(2 * (m + 1)) + static_cast<std::size_t>(trusting * (m + 1) + memory)];
            P.trusting[ts] += trusting;
            const std::int64_t period_start = static_cast<std::int64_t>(t) * D * day_seconds;
            const double span = static_cast<double>(D * day_seconds);
            double conv_at = span;
            if (converted) {
              P.conversions[ts] += 1;
              conv_at = std::floor(st.uniform(3) * span);
              if (opt.record_touches) {
                P.conv.user.push_back(pid);
                P.conv.second.push_back(period_start + static_cast<std::int64_t>(conv_at));
                P.conv.value.push_back(value);
              }
            }
            // A converting person's touches of the period come before the conversion.
            for (const auto& pd : pending) {
              P.touches.user.push_back(pid);
              P.touches.second.push_back(period_start + static_cast<std::int64_t>(std::floor(pd.u * conv_at)));
              P.touches.channel.push_back(pd.channel);
              P.touches.source.push_back(pd.source);
              P.touches.kind.push_back(static_cast<std::uint8_t>(pd.kind));
            }
          }
        }
        if (opt.people_done != nullptr)
          opt.people_done->fetch_add(static_cast<std::int64_t>(n_chunk), std::memory_order_relaxed);
      }
    }
  });
  for (const auto& P : partial) {
    for (std::size_t i = 0; i < out.impressions.size(); ++i) {
      out.impressions[i] += static_cast<double>(P.impressions[i]);
      out.reach[i] += static_cast<double>(P.reach[i]);
      out.clicks[i] += static_cast<double>(P.clicks[i]);
      out.visits[i] += static_cast<double>(P.visits[i]);
    }
    for (std::size_t i = 0; i < out.conversions.size(); ++i) {
      out.conversions[i] += static_cast<double>(P.conversions[i]);
      out.trusting[i] += static_cast<double>(P.trusting[i]);
    }
    auto append = [](auto& dst, const auto& src) { dst.insert(dst.end(), src.begin(), src.end()); };
    append(out.touches.user, P.touches.user);
    append(out.touches.second, P.touches.second);
    append(out.touches.channel, P.touches.channel);
    append(out.touches.source, P.touches.source);
    append(out.touches.kind, P.touches.kind);
    append(out.conversion_log.user, P.conv.user);
    append(out.conversion_log.second, P.conv.second);
    append(out.conversion_log.value, P.conv.value);
  }
  for (int t = 0; t < T; ++t)
    for (int s2 = 0; s2 < S; ++s2)
      out.revenue[static_cast<std::size_t>(t) * S + s2] = out.conversions[static_cast<std::size_t>(t) * S + s2] *
                                                          spec.audiences[static_cast<std::size_t>(s2)].value_per_conversion;
  const Expected ex = expected_chain(world, variant, opt, population);
  out.expected_conversions = ex.conversions;
  out.expected_trusting = ex.trusting;
  detail::fill_earned(world, variant, opt, out);
  detail::fill_survey(world, opt, out);
  return out;
}

}  // namespace trustmix::simulate
