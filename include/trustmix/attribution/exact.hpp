#pragma once
// Exact, order-independent accumulation. Every mergeable statistic is a sum of weights
// over journeys; adding doubles in a different order (another thread count, another
// partitioning of the data) changes the last bits. trustmix therefore rounds each
// addend once to a multiple of 2^-64 and adds the results as 128-bit integers, which is
// exact, associative and commutative: a merged state equals a single pass bit for bit.
// The rounding error is at most 2^-65 (about 2.7e-20) per addend, zero for integers and
// dyadic fractions (0.5, 0.25, ...); addends must be below 2^62 and sums below 2^63.
#include <bit>
#include <cmath>
#include <cstdint>
#include <string_view>

#include "trustmix/core/error.hpp"

namespace trustmix::attribution {

/// Signed 128-bit fixed-point number with exact_fraction_bits (64) fractional bits.
__extension__ using exact_t = __int128;
/// Unsigned companion of exact_t.
__extension__ using exact_unsigned_t = unsigned __int128;

inline constexpr int exact_fraction_bits = 64;  // to_double relies on this value

/// Rounds x to the nearest multiple of 2^-64 (ties away from zero) as an exact_t; |x|
/// must be below 2^62. Integer arithmetic on the IEEE-754 fields only: a normal double is
/// x = (-1)^sign * m * 2^(e - 1075) with m = 2^52 + fraction bits, so x * 2^64 =
/// m * 2^(e - 1011), an exact shift of m when e >= 1011 (|x| >= 2^-11) and a rounded
/// right shift below that; subnormals (|x| < 2^-1022) round to 0.
namespace detail {
[[noreturn, gnu::cold, gnu::noinline]] inline void fail_not_exact(double x, std::string_view what) {
  fail(what, " must be finite with |x| < 2^62, got ", x);
}
}  // namespace detail

[[nodiscard, gnu::always_inline]] inline exact_t to_exact(double x, std::string_view what = "weight") {
  const auto bits = std::bit_cast<std::uint64_t>(x);
  const auto e = static_cast<int>((bits >> 52) & 0x7FFu);
  if (e >= 1085) [[unlikely]]
    detail::fail_not_exact(x, what);  // |x| >= 2^62, inf or NaN
  if (e == 0) return 0;  // zero or subnormal
  const auto m = static_cast<std::int64_t>((bits & ((std::uint64_t{1} << 52) - 1)) | (std::uint64_t{1} << 52));
  const int shift = e - 1011;
  exact_t magnitude = 0;
  if (shift >= 0) {
    magnitude = static_cast<exact_t>(m) << shift;
  } else {
    if (shift <= -63) return 0;  // |x| < 2^-64: rounds to zero
    magnitude = (m + (std::int64_t{1} << (-shift - 1))) >> (-shift);  // half away from zero
  }
  return (bits >> 63) ? -magnitude : magnitude;
}

/// The double nearest to an exact_t value.
[[nodiscard]] inline double to_double(exact_t units) {
  return static_cast<double>(units) * 0x1p-64;  // exact_fraction_bits == 64
}

/// High and low 64-bit words of an exact_t (for serialisation).
[[nodiscard]] inline std::int64_t exact_high(exact_t u) { return static_cast<std::int64_t>(u >> 64); }
[[nodiscard]] inline std::uint64_t exact_low(exact_t u) { return static_cast<std::uint64_t>(u); }
[[nodiscard]] inline exact_t exact_from_words(std::int64_t high, std::uint64_t low) {
  return static_cast<exact_t>((static_cast<exact_unsigned_t>(static_cast<std::uint64_t>(high)) << 64) | low);
}

}  // namespace trustmix::attribution
