#pragma once
// Per-chain random streams. Each chain owns a std::mt19937_64 seeded through
// std::seed_seq from (seed, chain index); both algorithms are fixed by the C++ standard,
// and the uniform and normal variates below are computed by our own code (not the
// implementation-defined std:: distributions), so a chain's draws are identical on every
// platform, compiler and thread count.
#include <cmath>
#include <cstdint>
#include <random>

namespace trustmix::inference {

/// Random stream of one chain: uniform and standard normal variates.
class ChainRng {
 public:
  /// Stream for chain `chain` of a run seeded with `seed`.
  ChainRng(std::uint64_t seed, std::uint64_t chain) : engine_(seeded_engine(seed, chain)) {}

  /// Uniform on [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11U) * 0x1.0p-53; }

  /// Standard normal variate (Marsaglia's polar method; the second variate is cached).
  double normal() {
    if (has_cached_) {
      has_cached_ = false;
      return cached_;
    }
    double u = 0.0;
    double v = 0.0;
    double s = 0.0;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * std::log(s) / s);
    cached_ = v * factor;
    has_cached_ = true;
    return u * factor;
  }

 private:
  /// The engine seeded from the words of (seed, chain) and a constant tag, through std::seed_seq.
  static std::mt19937_64 seeded_engine(std::uint64_t seed, std::uint64_t chain) {
    std::seed_seq seq{static_cast<std::uint32_t>(seed & 0xffffffffU), static_cast<std::uint32_t>(seed >> 32U),
                      static_cast<std::uint32_t>(chain & 0xffffffffU), static_cast<std::uint32_t>(chain >> 32U),
                      0x74727573U /* "trus" */};
    return std::mt19937_64(seq);
  }

  std::mt19937_64 engine_;
  double cached_ = 0.0;
  bool has_cached_ = false;
};

}  // namespace trustmix::inference
