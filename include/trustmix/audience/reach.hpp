#pragma once
// Reach and frequency: how many people a number of impressions (or insertions) reaches,
// and how often.
//
// Models (each capped by the reachable population rho N, rho in (0, 1]):
// - nbd: exposures of a reachable person ~ Poisson(lambda), lambda ~ Gamma(shape k,
//   mean m), so X ~ NegativeBinomial(k, p = k / (k + m)) with m = I / (rho N)
//   impressions per reachable person (Ehrenberg 1959; Goodhardt, Ehrenberg & Chatfield
//   1984). Reach = rho N (1 - (1 + m / k)^-k).
// - goerg: the one-point curve (Goerg 2014, "Estimating reach curves from one data
//   point"): the gamma-Poisson with shape 1, reach(I) = kappa I / (kappa + I), where
//   kappa = rho N is the maximum reach; one observed (I1, R1) fixes kappa = R1 I1 / (I1 - R1).
// - beta_binomial: n insertions, each reaching a reachable person with probability
//   p ~ Beta(a, b) (Metheringham 1964): X ~ BetaBinomial(n, a, b), reach =
//   rho N (1 - B(a, b + n) / B(a, b)); the exposure unit is insertions, impressions are
//   rho N n a / (a + b).
// Frequency distributions are exact (Boost.Math's negative binomial; the beta-binomial
// from log-gamma functions). Frequency caps (nbd, goerg): with cap c nobody sees more
// than c impressions, so the same impressions spread further: the uncapped mean m_c solves
// E[min(X, c)] = I / (rho N) (Boost.Math's TOMS 748 root finder).
// Duplication across channels: Sainsbury's independence 1 - prod_c (1 - r_c), and the
// latent-class overlap model sum_k s_k (1 - prod_c (1 - r_kc)) (independence within a
// persona, dependence through the personas).
#include <boost/math/distributions/negative_binomial.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/tools/minima.hpp>
#include <boost/math/tools/roots.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"

namespace trustmix::audience {

enum class ReachKind : std::uint8_t { nbd, goerg, beta_binomial };

[[nodiscard]] inline std::string_view to_string(ReachKind k) {
  switch (k) {
    case ReachKind::nbd: return "nbd";
    case ReachKind::goerg: return "goerg";
    case ReachKind::beta_binomial: return "beta_binomial";
  }
  return "nbd";
}
[[nodiscard]] inline ReachKind reach_kind_from_string(std::string_view s) {
  if (s == "nbd") return ReachKind::nbd;
  if (s == "goerg") return ReachKind::goerg;
  if (s == "beta_binomial") return ReachKind::beta_binomial;
  fail("kind must be one of {nbd, goerg, beta_binomial}, got '", s, "'");
}

/// A reach curve. Units: population and reach in people; exposures in impressions
/// (nbd, goerg) or insertions (beta_binomial).
struct ReachCurve {
  ReachKind kind = ReachKind::nbd;
  double population = 0.0;  ///< N, people
  double reachable = 1.0;   ///< rho: share of N the channel can reach at all, (0, 1]
  double shape = 1.0;       ///< nbd: k; goerg: 1; beta_binomial: a
  double shape2 = 1.0;      ///< beta_binomial: b (unused otherwise)

  void validate() const {
    trustmix::detail::require_positive(population, "population");
    trustmix::detail::require_in_range(reachable, "reachable", 0.0, 1.0, true, false);
    trustmix::detail::require_positive(shape, kind == ReachKind::beta_binomial ? "a" : "shape");
    if (kind == ReachKind::beta_binomial) trustmix::detail::require_positive(shape2, "b");
  }
  [[nodiscard]] double reachable_people() const { return reachable * population; }

  /// Exposures per reachable person: impressions / (rho N) (nbd, goerg), insertions
  /// (beta_binomial).
  [[nodiscard]] double rate(double exposures) const {
    trustmix::detail::require_non_negative(exposures, "exposures");
    return kind == ReachKind::beta_binomial ? exposures : exposures / reachable_people();
  }

  /// P(X = 0) for a reachable person at the given exposures.
  [[nodiscard]] double zero_probability(double exposures) const {
    const double x = rate(exposures);
    if (kind == ReachKind::beta_binomial) {
      using boost::math::lgamma;
      return std::exp(lgamma(shape2 + x) + lgamma(shape + shape2) - lgamma(shape2) - lgamma(shape + shape2 + x));
    }
    return std::exp(-shape * std::log1p(x / shape));
  }

  /// People reached at least once.
  [[nodiscard]] double reach(double exposures) const { return reachable_people() * (1.0 - zero_probability(exposures)); }

  /// Impressions delivered (for beta_binomial: rho N n a / (a + b); else the input).
  [[nodiscard]] double impressions(double exposures) const {
    return kind == ReachKind::beta_binomial ? reachable_people() * exposures * shape / (shape + shape2) : exposures;
  }

  /// Frequency distribution over the whole population: entry f (f = 0..max_frequency-1)
  /// is the share of N exposed exactly f times; the last entry (index max_frequency) is
  /// the share exposed max_frequency times or more. Sums to 1. beta_binomial needs a
  /// whole number of insertions.
  [[nodiscard]] Eigen::VectorXd frequency(double exposures, int max_frequency) const {
    if (max_frequency < 1) fail("max_frequency must be >= 1, got ", max_frequency);
    const double x = rate(exposures);
    Eigen::VectorXd p = Eigen::VectorXd::Zero(max_frequency + 1);
    if (kind == ReachKind::beta_binomial) {
      if (std::abs(x - std::round(x)) > 1e-9) fail("beta_binomial frequency needs a whole number of insertions, got ", x);
      const auto n = static_cast<long long>(std::round(x));
      using boost::math::lgamma;
      const double lb = lgamma(shape) + lgamma(shape2) - lgamma(shape + shape2);
      for (long long f = 0; f <= n; ++f) {
        const double fd = static_cast<double>(f), nd = static_cast<double>(n);
        const double lp = lgamma(nd + 1.0) - lgamma(fd + 1.0) - lgamma(nd - fd + 1.0) + lgamma(fd + shape) +
                          lgamma(nd - fd + shape2) - lgamma(nd + shape + shape2) - lb;
        p[static_cast<Eigen::Index>(std::min<long long>(f, max_frequency))] += std::exp(lp);
      }
    } else if (x == 0.0) {
      p[0] = 1.0;
    } else {
      const boost::math::negative_binomial_distribution<double> nb(shape, shape / (shape + x));
      for (int f = 0; f < max_frequency; ++f) p[f] = boost::math::pdf(nb, f);
      p[max_frequency] = boost::math::cdf(boost::math::complement(nb, max_frequency - 1));
    }
    p *= reachable;
    p[0] += 1.0 - reachable;
    return p;
  }

  /// E[min(X, cap)] for a reachable person whose uncapped mean is m (nbd, goerg).
  [[nodiscard]] double capped_mean(double m, int cap) const {
    if (m <= 0.0) return 0.0;
    const boost::math::negative_binomial_distribution<double> nb(shape, shape / (shape + m));
    double e = 0.0;
    for (int f = 0; f < cap; ++f) e += boost::math::cdf(boost::math::complement(nb, f));  // P(X > f)
    return e;
  }

  /// The uncapped mean exposures per reachable person that deliver `impressions` under a
  /// frequency cap: solves E[min(X, cap)] = impressions / (rho N).
  [[nodiscard]] double capped_rate(double impressions, int cap) const {
    if (kind == ReachKind::beta_binomial) fail("frequency caps need kind 'nbd' or 'goerg'");
    if (cap < 1) fail("frequency cap must be >= 1, got ", cap);
    const double target = rate(impressions);
    if (target == 0.0) return 0.0;
    if (!(target < static_cast<double>(cap)))
      fail("impressions ", impressions, " need ", target, " per reachable person, more than the cap of ", cap,
           " allows (at most ", static_cast<double>(cap) * reachable_people(), " impressions)");
    const auto f = [&](double m) { return capped_mean(m, cap) - target; };
    double hi = std::max(2.0 * target, 1.0);
    while (f(hi) < 0.0) {
      hi *= 2.0;
      if (hi > 1e15) fail("frequency cap ", cap, ": cannot deliver ", impressions, " impressions");
    }
    std::uintmax_t iters = 200;
    const auto r = boost::math::tools::toms748_solve(f, target, hi, boost::math::tools::eps_tolerance<double>(50), iters);
    return 0.5 * (r.first + r.second);
  }

  /// Reach under a frequency cap (people).
  [[nodiscard]] double reach_capped(double impressions, int cap) const {
    const double m = capped_rate(impressions, cap);
    return reachable_people() * (1.0 - std::exp(-shape * std::log1p(m / shape)));
  }

  /// Frequency distribution under a cap: like frequency(), with every exposure above the
  /// cap removed (the last entry, index cap, is the share exposed exactly cap times).
  [[nodiscard]] Eigen::VectorXd frequency_capped(double impressions, int cap) const {
    const double m = capped_rate(impressions, cap);
    return frequency(m * reachable_people(), cap);
  }
};

/// Sainsbury's formula: combined reach share of channels reached independently,
/// 1 - prod_c (1 - r_c) (r_c: shares in [0, 1]).
[[nodiscard]] inline double sainsbury(const Eigen::Ref<const Eigen::VectorXd>& shares) {
  double miss = 1.0;
  for (const double share : shares) {
    trustmix::detail::require_in_range(share, "reach share", 0.0, 1.0, false, false);
    miss *= 1.0 - share;
  }
  return 1.0 - miss;
}

/// Duplication under the latent-class overlap model.
struct Duplication {
  double total = 0.0;          ///< share reached by at least one channel
  Eigen::MatrixXd pairwise;    ///< C x C: share reached by both c and d (diagonal: by c)
  Eigen::VectorXd by_class;    ///< K: share of each class reached by at least one channel
};

/// Overlap of C channels when reach within each persona k (share s_k) is independent:
/// total = sum_k s_k (1 - prod_c (1 - r_kc)); pairwise(c, d) = sum_k s_k r_kc r_kd.
/// With one class this is Sainsbury's formula.
[[nodiscard]] inline Duplication class_duplication(const Eigen::Ref<const Eigen::VectorXd>& class_shares,
                                                   const Eigen::Ref<const Eigen::MatrixXd>& reach) {
  const Eigen::Index K = class_shares.size();
  if (reach.rows() != K) fail("reach has ", reach.rows(), " rows, there are ", K, " class shares");
  double tot = 0.0;
  for (Eigen::Index k = 0; k < K; ++k) {
    trustmix::detail::require_in_range(class_shares[k], "class share", 0.0, 1.0, false, false);
    tot += class_shares[k];
  }
  if (std::abs(tot - 1.0) > 1e-9) fail("class shares must sum to 1, got ", tot);
  Duplication d;
  d.by_class.resize(K);
  d.pairwise = Eigen::MatrixXd::Zero(reach.cols(), reach.cols());
  for (Eigen::Index k = 0; k < K; ++k) {
    d.by_class[k] = sainsbury(reach.row(k).transpose());
    d.total += class_shares[k] * d.by_class[k];
    d.pairwise.noalias() += class_shares[k] * (reach.row(k).transpose() * reach.row(k));
  }
  for (Eigen::Index c = 0; c < reach.cols(); ++c) d.pairwise(c, c) = (class_shares.array() * reach.col(c).array()).sum();
  return d;
}

/// Options of fit_reach_curve.
struct ReachFitOptions {
  /// Fixed rho in (0, 1]; NaN estimates it (nbd, beta_binomial; goerg always estimates kappa).
  double reachable = 1.0;
};

namespace detail {
/// Brent minimisation on [lo, hi] (Boost.Math), returning the argmin.
template <class F>
double brent_argmin(F&& f, double lo, double hi) {
  std::uintmax_t iters = 200;
  return boost::math::tools::brent_find_minima(f, lo, hi, 40, iters).first;
}
}  // namespace detail

/// Fits a reach curve to observed (exposures, reach) points by least squares on the reach
/// share of the population: min sum_t (R_t - reach(x_t))^2 / N^2. goerg with one point is
/// exact (kappa = R I / (I - R)); kappa above the population is capped at N. Parameters
/// are found by Brent's method (Boost.Math) on log scales: nbd log k in [-7, 7]; goerg
/// log kappa; beta_binomial log(a + b) in [-7, 9] profiling the mean a / (a + b).
[[nodiscard]] inline ReachCurve fit_reach_curve(ReachKind kind, const Eigen::Ref<const Eigen::VectorXd>& exposures,
                                                const Eigen::Ref<const Eigen::VectorXd>& reach, double population,
                                                const ReachFitOptions& o = {}) {
  trustmix::detail::require_positive(population, "population");
  const Eigen::Index T = exposures.size();
  if (T == 0) fail("no (exposures, reach) points to fit");
  if (reach.size() != T) fail("reach has ", reach.size(), " points, exposures ", T);
  double max_reach = 0.0;
  for (Eigen::Index t = 0; t < T; ++t) {
    if (!(exposures[t] >= 0.0) || !std::isfinite(exposures[t]))
      fail("point ", t, ": exposures must be finite and >= 0, got ", exposures[t]);
    if (!(reach[t] >= 0.0) || !(reach[t] <= population))
      fail("point ", t, ": reach must be in [0, population = ", population, "], got ", reach[t]);
    if (kind != ReachKind::beta_binomial && reach[t] > exposures[t])
      fail("point ", t, ": reach ", reach[t], " exceeds the impressions ", exposures[t],
           " (each person reached needs an impression)");
    max_reach = std::max(max_reach, reach[t]);
  }
  if (!(max_reach > 0.0)) fail("every reach point is 0: nothing to fit");
  const bool free_rho = std::isnan(o.reachable);
  if (!free_rho) trustmix::detail::require_in_range(o.reachable, "reachable", 0.0, 1.0, true, false);
  ReachCurve c;
  c.kind = kind;
  c.population = population;
  auto sse = [&](const ReachCurve& cur) {
    double s = 0.0;
    for (Eigen::Index t = 0; t < T; ++t) {
      const double e = (reach[t] - cur.reach(exposures[t])) / population;
      s += e * e;
    }
    return s;
  };
  const double rho_lo = std::max(max_reach / population, 1e-9);
  if (kind == ReachKind::goerg) {
    c.shape = 1.0;
    double kappa;
    if (T == 1) {
      if (!(exposures[0] > reach[0]))
        fail("goerg: one point needs impressions > reach (average frequency > 1), got ", exposures[0], " <= ", reach[0]);
      kappa = reach[0] * exposures[0] / (exposures[0] - reach[0]);
    } else {
      const double lk = detail::brent_argmin(
          [&](double v) {
            ReachCurve cur = c;
            cur.reachable = std::min(1.0, std::exp(v) / population);
            return sse(cur);
          },
          std::log(max_reach), std::log(population));
      kappa = std::exp(lk);
    }
    c.reachable = std::min(1.0, kappa / population);
    return c;
  }
  auto fit_given_shape = [&](ReachCurve cur) {
    if (!free_rho) {
      cur.reachable = o.reachable;
      return cur;
    }
    const double lr = detail::brent_argmin(
        [&](double v) {
          ReachCurve t = cur;
          t.reachable = std::exp(v);
          return sse(t);
        },
        std::log(rho_lo), 0.0);
    cur.reachable = std::exp(lr);
    return cur;
  };
  if (kind == ReachKind::nbd) {
    const double lk = detail::brent_argmin(
        [&](double v) {
          ReachCurve cur = c;
          cur.shape = std::exp(v);
          return sse(fit_given_shape(cur));
        },
        -7.0, 7.0);
    c.shape = std::exp(lk);
    return fit_given_shape(c);
  }
  // beta_binomial: profile the mean mu = a / (a + b) for each concentration a + b.
  auto with = [&](double lsum, double mu) {
    ReachCurve cur = c;
    const double sum = std::exp(lsum);
    cur.shape = mu * sum;
    cur.shape2 = (1.0 - mu) * sum;
    return cur;
  };
  auto best_mu = [&](double lsum) {
    const double z = detail::brent_argmin(
        [&](double v) { return sse(fit_given_shape(with(lsum, 1.0 / (1.0 + std::exp(-v))))); }, -12.0, 12.0);
    return 1.0 / (1.0 + std::exp(-z));
  };
  const double ls = detail::brent_argmin([&](double v) { return sse(fit_given_shape(with(v, best_mu(v)))); }, -7.0, 9.0);
  return fit_given_shape(with(ls, best_mu(ls)));
}

/// Fits many curves (one per row of exposures/reach, e.g. channel x persona) in parallel;
/// each fit is independent, so results do not depend on the thread count.
[[nodiscard]] inline std::vector<ReachCurve> fit_reach_curves(ReachKind kind,
                                                              const Eigen::Ref<const Eigen::MatrixXd>& exposures,
                                                              const Eigen::Ref<const Eigen::MatrixXd>& reach,
                                                              const Eigen::Ref<const Eigen::VectorXd>& population,
                                                              const ReachFitOptions& o = {}, int threads = 0) {
  if (reach.rows() != exposures.rows() || reach.cols() != exposures.cols())
    fail("reach is ", reach.rows(), " x ", reach.cols(), ", exposures ", exposures.rows(), " x ", exposures.cols());
  if (population.size() != exposures.rows())
    fail("population has ", population.size(), " entries, there are ", exposures.rows(), " curves");
  std::vector<ReachCurve> out(static_cast<std::size_t>(exposures.rows()));
  parallel_for_blocks(exposures.rows(), threads, 8, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (std::ptrdiff_t r = b; r < e; ++r) {
      try {
        out[static_cast<std::size_t>(r)] = fit_reach_curve(kind, exposures.row(r).transpose(), reach.row(r).transpose(),
                                                           population[r], o);
      } catch (const std::invalid_argument& err) {
        fail("curve ", r, ": ", err.what());
      }
    }
  });
  return out;
}

}  // namespace trustmix::audience
