#pragma once
// Counter-based random numbers for the world simulator.
//
// Every random number is a pure function of (seed, entity, period, stream, index):
//
//   key(a, b)  = mix64(a + phi * (b + 1)),          phi = 0x9E3779B97F4A7C15 (golden ratio)
//   base       = key(key(key(seed, domain), entity), period)
//   uniform(j) = (mix64(base + phi * (j + 1)) >> 11) * 2^-53      in [0, 1)
//
// mix64 is the SplitMix64 finaliser (Steele, Lea and Flood 2014, "Fast splittable
// pseudorandom number generators"). Because no number depends on the order in which
// others were drawn, a person's draws are the same whichever thread simulates them and
// whatever else changes in a counterfactual run (common random numbers). The generator
// is statistical, not cryptographic.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace trustmix::simulate {

inline constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ULL;

/// SplitMix64 finaliser: a bijective avalanche mix of 64 bits.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
/// Derives the key of child `b` from parent key `a`.
[[nodiscard]] constexpr std::uint64_t derive(std::uint64_t a, std::uint64_t b) noexcept {
  return mix64(a + golden_gamma * (b + 1));
}
/// The top 53 bits of x as a double in [0, 1).
[[nodiscard]] constexpr double to_unit(std::uint64_t x) noexcept { return static_cast<double>(x >> 11) * 0x1.0p-53; }

/// Domains keep the streams of different kinds of entity apart.
enum class Domain : std::uint64_t { person = 1, segment = 2, coverage = 3, world = 4, survey = 5 };

/// A stream of uniforms indexed by a counter: uniform(j) never depends on other draws.
struct CounterStream {
  std::uint64_t base = 0;
  [[nodiscard]] constexpr double uniform(std::uint64_t j) const noexcept {
    return to_unit(mix64(base + golden_gamma * (j + 1)));
  }
  [[nodiscard]] constexpr CounterStream child(std::uint64_t j) const noexcept { return {derive(base, j)}; }
};

/// The stream of one entity in one period: key(key(key(seed, domain), entity), period).
[[nodiscard]] constexpr CounterStream stream(std::uint64_t seed, Domain domain, std::uint64_t entity,
                                             std::uint64_t period) noexcept {
  return {derive(derive(derive(seed, static_cast<std::uint64_t>(domain)), entity), period)};
}

/// A UniformRandomBitGenerator over a counter stream (SplitMix64 seeded by the key), for
/// the standard library's distributions where inversion would be slow (binomial with
/// millions of trials). Its output is deterministic; the distribution algorithms are
/// those of the C++ standard library in use, so bit-identity across standard libraries
/// is not promised (it is across thread counts and runs).
class CounterEngine {
 public:
  using result_type = std::uint64_t;
  explicit constexpr CounterEngine(std::uint64_t key) noexcept : state_(key) {}
  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }
  constexpr result_type operator()() noexcept {
    state_ += golden_gamma;
    return mix64(state_);
  }
  [[nodiscard]] double uniform() noexcept { return to_unit((*this)()); }

 private:
  std::uint64_t state_;
};

/// Smallest k with cdf[k] > u for a cumulative table (last entry treated as 1).
[[nodiscard]] inline int invert_cdf(const double* cdf, int n, double u) noexcept {
  for (int k = 0; k < n - 1; ++k)
    if (u < cdf[k]) return k;
  return n - 1;
}

/// Binomial(n, p) by inversion from one uniform (n small: used for per-person thinning).
[[nodiscard]] inline int binomial_by_inversion(int n, double p, double u) noexcept {
  if (n <= 0 || p <= 0.0) return 0;
  if (p >= 1.0) return n;
  if (n == 1) return u < p ? 1 : 0;
  const double q = 1.0 - p;
  double pk = q;  // q^n by multiplication: n is a handful of impressions here
  for (int i = 1; i < n; ++i) pk *= q;
  double cdf = pk;
  int k = 0;
  while (u >= cdf && k < n) {
    pk *= (static_cast<double>(n - k) / static_cast<double>(k + 1)) * (p / q);
    ++k;
    cdf += pk;
  }
  return k;
}

/// Poisson(lambda) by inversion from one uniform. Exact for lambda <= 700 (e^-lambda
/// is a normal double); callers validate that bound (PR mentions per activity).
[[nodiscard]] inline long poisson_by_inversion(double lambda, double u) noexcept {
  if (lambda <= 0.0) return 0;
  double pk = std::exp(-lambda);
  double cdf = pk;
  long k = 0;
  while (u >= cdf && pk > 0.0) {
    ++k;
    pk *= lambda / static_cast<double>(k);
    cdf += pk;
  }
  return k;
}

/// Standard normal from two uniforms (Box-Muller).
[[nodiscard]] inline double normal_from_uniforms(double u1, double u2) noexcept {
  constexpr double two_pi = 6.283185307179586476925286766559;
  return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(two_pi * u2);
}

}  // namespace trustmix::simulate
