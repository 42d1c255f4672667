#pragma once
// SIMD kernels behind the transforms, with run-time CPU dispatch (header-only).
//
// The default build stays portable (x86-64 baseline SSE2, no -march flags). On x86-64
// with GCC or Clang, the kernels below exist twice: a baseline version and one compiled
// for AVX2 + FMA through function target attributes; `cpu_has_avx2_fma()` (CPUID, read
// once) picks the version at run time (TRUSTMIX_SIMD=baseline in the environment forces
// the baseline). Other platforms use plain loops.
//
// Vector exp and log come from glibc's libmvec (part of glibc >= 2.22 on x86-64, linked
// automatically through libm, which g++ always links): _ZGVdN4v_exp / _ZGVdN4v_log
// (4 lanes, AVX2) and _ZGVbN2v_exp / _ZGVbN2v_log (2 lanes, any x86-64; glibc picks an
// SSE4.1 body or falls back to scalar calls). glibc documents a maximum error of 4 ulp
// for libmvec; tests/cpp/test_transforms.cpp measures them against the scalar libm
// functions (at most 2.3 ulp for exp and 1.3 ulp for log measured on x86-64 with
// glibc 2.36). Each lane is computed independently of its neighbours, so a value does not
// depend on where it sits in a vector. Define TRUSTMIX_NO_LIBMVEC to use std::exp /
// std::log instead (e.g. for a glibc built with --disable-mathvec).
//
// Every output element is computed by the same sequence of operations whichever rows a
// thread gets, so results are bit-identical for any thread count (on one machine: the
// AVX2 path fuses multiply-adds, the baseline path does not, a difference of rounding).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "trustmix/core/cpu_features.hpp"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__)) && !defined(__INTEL_COMPILER)
#include <immintrin.h>
#define TRUSTMIX_TRANSFORMS_X86 1
#if defined(__GLIBC__) && !defined(TRUSTMIX_NO_LIBMVEC)
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 22)
#define TRUSTMIX_TRANSFORMS_LIBMVEC 1
#endif
#endif
#endif

#if defined(TRUSTMIX_TRANSFORMS_LIBMVEC)
// glibc libmvec, x86-64 vector function ABI names (exp and log of each lane).
extern "C" {
__m128d _ZGVbN2v_exp(__m128d);
__m128d _ZGVbN2v_log(__m128d);
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_exp(__m256d);
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_log(__m256d);
}
#endif

namespace trustmix::transforms::detail::simd {

using Index = std::ptrdiff_t;

/// True when the CPU (and OS) support AVX2 and FMA, read once. The environment variable
/// TRUSTMIX_SIMD=baseline turns the AVX2 kernels off (to measure or test the baseline).
[[nodiscard]] inline bool cpu_has_avx2_fma() {
#if defined(TRUSTMIX_TRANSFORMS_X86)
  static const bool has = [] {
    if (const char* env = std::getenv("TRUSTMIX_SIMD"); env != nullptr && std::string_view(env) == "baseline") return false;
    const CpuFeatures& cpu = trustmix::cpu_features();  // the runtime's one detector (src/cpu_features.cpp)
    return cpu.avx2 && cpu.fma;
  }();
  return has;
#else
  return false;
#endif
}

/// Which kernel family runs: "avx2+fma", "sse2" or "scalar" (for benchmarks and docs).
[[nodiscard]] inline const char* kernel_isa() {
  if (cpu_has_avx2_fma()) return "avx2+fma";
#if defined(TRUSTMIX_TRANSFORMS_X86)
  return "sse2";
#else
  return "scalar";
#endif
}

// ---------------------------------------------------------------------------------
// Input checks in one pass: all finite (|v| <= DBL_MAX, which NaN fails), or all finite
// and >= 0. rows x C values with row stride xs. Callers locate the bad cell only when
// the answer is false.

#if defined(TRUSTMIX_TRANSFORMS_X86)
[[gnu::target("avx2,fma")]] inline bool all_in_range_avx2(const double* x, Index xs, Index rows, Index C, double lo) {
  const __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(1.7976931348623157e308);
  __m256d ok = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
  for (Index r = 0; r < rows; ++r) {
    const double* xr = x + r * xs;
    Index c = 0;
    for (; C - c >= 4; c += 4) {
      const __m256d v = _mm256_loadu_pd(xr + c);
      ok = _mm256_and_pd(ok, _mm256_and_pd(_mm256_cmp_pd(v, vlo, _CMP_GE_OQ), _mm256_cmp_pd(v, vhi, _CMP_LE_OQ)));
    }
    for (; c < C; ++c)
      if (!(xr[c] >= lo && xr[c] <= 1.7976931348623157e308)) return false;
  }
  return _mm256_movemask_pd(ok) == 0xF;
}

inline bool all_in_range_sse2(const double* x, Index xs, Index rows, Index C, double lo) {
  const __m128d vlo = _mm_set1_pd(lo), vhi = _mm_set1_pd(1.7976931348623157e308);
  __m128d ok = _mm_cmpeq_pd(vlo, vlo);
  for (Index r = 0; r < rows; ++r) {
    const double* xr = x + r * xs;
    Index c = 0;
    for (; C - c >= 2; c += 2) {
      const __m128d v = _mm_loadu_pd(xr + c);
      ok = _mm_and_pd(ok, _mm_and_pd(_mm_cmpge_pd(v, vlo), _mm_cmple_pd(v, vhi)));
    }
    for (; c < C; ++c)
      if (!(xr[c] >= lo && xr[c] <= 1.7976931348623157e308)) return false;
  }
  return _mm_movemask_pd(ok) == 0x3;
}
#endif

/// True when every value v satisfies lo <= v <= DBL_MAX (false for NaN).
inline bool all_in_range(const double* x, Index xs, Index rows, Index C, double lo) {
#if defined(TRUSTMIX_TRANSFORMS_X86)
  if (cpu_has_avx2_fma()) return all_in_range_avx2(x, xs, rows, C, lo);
  return all_in_range_sse2(x, xs, rows, C, lo);
#else
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < C; ++c)
      if (!(x[r * xs + c] >= lo && x[r * xs + c] <= 1.7976931348623157e308)) return false;
  return true;
#endif
}

/// Runs body(r0, r1) over rows [b, e) of x (row stride xs, C columns) in chunks of 32
/// rows, each chunk checked first with all_in_range(lo) so its values are in cache when
/// the body reads them. Returns false at the first chunk that fails the check (its body
/// is not run); the caller then locates the bad cell for its message.
template <class Body>
inline bool for_checked_rows(const double* x, Index xs, Index C, Index b, Index e, double lo, Body&& body) {
  constexpr Index chunk = 32;
  for (Index r0 = b; r0 < e; r0 += chunk) {
    const Index r1 = std::min(e, r0 + chunk);
    if (!all_in_range(x + r0 * xs, xs, r1 - r0, C, lo)) return false;
    body(r0, r1);
  }
  return true;
}

// ---------------------------------------------------------------------------------
// Hill curve: y = 1 / (1 + exp(s (ln k - ln x))) = x^s / (x^s + k^s), element-wise on
// rows of C contiguous values; logk[c] = ln k_c, s[c] > 0. x = 0 gives ln x = -inf,
// exp(+inf) = inf and y = 0 exactly; exp overflow gives y = 0, underflow y = 1.
// Optionally also stores ln x and z = exp(s (ln k - ln x)) (for the derivatives).

#if defined(TRUSTMIX_TRANSFORMS_X86)

[[gnu::target("avx2,fma")]] inline __m256i tail_mask_avx2(Index n) {  // first n lanes, 1 <= n <= 3
  return _mm256_set_epi64x(0, n > 2 ? -1 : 0, n > 1 ? -1 : 0, -1);
}

/// AVX2 Hill rows. Each row goes through three short passes over chunks of up to 64
/// channels held in an L1 buffer: all logs, then all exps, then the divisions. Calling
/// libmvec's log (or exp) back to back lets the CPU overlap consecutive calls; one pass
/// doing log, exp and division per vector measured about 20% slower. Per lane the
/// operations are the same either way: ln(x, or 1 where x = 0), exp((ln k - ln x) s),
/// 1 / (1 + z), then the exact limits where x = 0 (ln x = -inf, z = inf, y = 0).
[[gnu::target("avx2,fma")]] inline bool hill_rows_avx2(const double* x, Index xs, double* y, Index ys, Index rows, Index C,
                                                       const double* logk, const double* s, double* logx, double* z) {
  constexpr Index chunk = 64;
  alignas(32) double lb[chunk], zb[chunk];
  const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd(), inf = _mm256_set1_pd(HUGE_VAL);
  const __m256d vmax = _mm256_set1_pd(1.7976931348623157e308);
  const __m256i all = _mm256_set1_epi64x(-1);
  __m256d ok = _mm256_castsi256_pd(all);  // every x so far in [0, DBL_MAX] (NaN fails)
  for (Index r = 0; r < rows; ++r) {
    const double* xr = x + r * xs;
    double* yr = y + r * ys;
    double* lr = logx ? logx + r * ys : nullptr;
    double* zr = z ? z + r * ys : nullptr;
    for (Index c0 = 0; c0 < C; c0 += chunk) {
      const Index m = std::min(chunk, C - c0);
      // Lanes past the last channel load 0 (x, ln k, s): they compute ln 1 and exp 0 and
      // are never stored.
      for (Index i = 0; i < m; i += 4) {
        __m256d v = m - i >= 4 ? _mm256_loadu_pd(xr + c0 + i) : _mm256_maskload_pd(xr + c0 + i, tail_mask_avx2(m - i));
        ok = _mm256_and_pd(ok, _mm256_and_pd(_mm256_cmp_pd(v, zero, _CMP_GE_OQ), _mm256_cmp_pd(v, vmax, _CMP_LE_OQ)));
        v = _mm256_blendv_pd(v, one, _mm256_cmp_pd(v, zero, _CMP_EQ_OQ));
#if defined(TRUSTMIX_TRANSFORMS_LIBMVEC)
        _mm256_store_pd(lb + i, _ZGVdN4v_log(v));
#else
        _mm256_store_pd(lb + i, v);
        for (Index j = i; j < i + 4; ++j) lb[j] = std::log(lb[j]);
#endif
      }
      for (Index i = 0; i < m; i += 4) {
        const bool full = m - i >= 4;
        const __m256i mk = full ? all : tail_mask_avx2(m - i);
        const __m256d lk = full ? _mm256_loadu_pd(logk + c0 + i) : _mm256_maskload_pd(logk + c0 + i, mk);
        const __m256d sv = full ? _mm256_loadu_pd(s + c0 + i) : _mm256_maskload_pd(s + c0 + i, mk);
        const __m256d a = _mm256_mul_pd(_mm256_sub_pd(lk, _mm256_load_pd(lb + i)), sv);
#if defined(TRUSTMIX_TRANSFORMS_LIBMVEC)
        _mm256_store_pd(zb + i, _ZGVdN4v_exp(a));
#else
        _mm256_store_pd(zb + i, a);
        for (Index j = i; j < i + 4; ++j) zb[j] = std::exp(zb[j]);
#endif
      }
      for (Index i = 0; i < m; i += 4) {
        const bool full = m - i >= 4;
        const __m256i mk = full ? all : tail_mask_avx2(m - i);
        const __m256d xv = full ? _mm256_loadu_pd(xr + c0 + i) : _mm256_maskload_pd(xr + c0 + i, mk);
        const __m256d is0 = _mm256_cmp_pd(xv, zero, _CMP_EQ_OQ);
        const __m256d zz = _mm256_load_pd(zb + i);
        const __m256d v = _mm256_blendv_pd(_mm256_div_pd(one, _mm256_add_pd(one, zz)), zero, is0);
        const __m256d lv = _mm256_blendv_pd(_mm256_load_pd(lb + i), _mm256_sub_pd(zero, inf), is0);
        const __m256d zv = _mm256_blendv_pd(zz, inf, is0);
        if (full) {  // plain stores: masked stores are slow on some CPUs
          _mm256_storeu_pd(yr + c0 + i, v);
          if (lr) _mm256_storeu_pd(lr + c0 + i, lv);
          if (zr) _mm256_storeu_pd(zr + c0 + i, zv);
        } else {
          _mm256_maskstore_pd(yr + c0 + i, mk, v);
          if (lr) _mm256_maskstore_pd(lr + c0 + i, mk, lv);
          if (zr) _mm256_maskstore_pd(zr + c0 + i, mk, zv);
        }
      }
    }
  }
  return _mm256_movemask_pd(ok) == 0xF;
}

inline __m128d hill_lanes_sse2(__m128d x, __m128d logk, __m128d s, __m128d& lx, __m128d& z) {
  const __m128d one = _mm_set1_pd(1.0), zero = _mm_setzero_pd();
  const __m128d is0 = _mm_cmpeq_pd(x, zero);  // as in the AVX2 version
  x = _mm_or_pd(_mm_andnot_pd(is0, x), _mm_and_pd(is0, one));
#if defined(TRUSTMIX_TRANSFORMS_LIBMVEC)
  lx = _ZGVbN2v_log(x);
  z = _ZGVbN2v_exp(_mm_mul_pd(_mm_sub_pd(logk, lx), s));
#else
  alignas(16) double b[2];
  _mm_store_pd(b, x);
  for (double& v : b) v = std::log(v);
  lx = _mm_load_pd(b);
  _mm_store_pd(b, _mm_mul_pd(_mm_sub_pd(logk, lx), s));
  for (double& v : b) v = std::exp(v);
  z = _mm_load_pd(b);
#endif
  const __m128d inf = _mm_set1_pd(HUGE_VAL);
  lx = _mm_or_pd(_mm_andnot_pd(is0, lx), _mm_and_pd(is0, _mm_sub_pd(zero, inf)));
  z = _mm_or_pd(_mm_andnot_pd(is0, z), _mm_and_pd(is0, inf));
  return _mm_andnot_pd(is0, _mm_div_pd(one, _mm_add_pd(one, z)));
}

inline bool hill_rows_sse2(const double* x, Index xs, double* y, Index ys, Index rows, Index C, const double* logk,
                           const double* s, double* logx, double* z) {
  const __m128d zero = _mm_setzero_pd(), vmax = _mm_set1_pd(1.7976931348623157e308);
  __m128d ok = _mm_cmpeq_pd(zero, zero);  // every x so far in [0, DBL_MAX] (NaN fails)
  for (Index r = 0; r < rows; ++r) {
    const double* xr = x + r * xs;
    double* yr = y + r * ys;
    double* lr = logx ? logx + r * ys : nullptr;
    double* zr = z ? z + r * ys : nullptr;
    __m128d lx, zz;
    Index c = 0;
    for (; c + 2 <= C; c += 2) {
      const __m128d xv = _mm_loadu_pd(xr + c);
      ok = _mm_and_pd(ok, _mm_and_pd(_mm_cmpge_pd(xv, zero), _mm_cmple_pd(xv, vmax)));
      const __m128d v = hill_lanes_sse2(xv, _mm_loadu_pd(logk + c), _mm_loadu_pd(s + c), lx, zz);
      _mm_storeu_pd(yr + c, v);
      if (lr) _mm_storeu_pd(lr + c, lx);
      if (zr) _mm_storeu_pd(zr + c, zz);
    }
    if (c < C) {  // last channel: the upper lane holds x = 1 and is dropped
      const __m128d xv = _mm_set_pd(1.0, xr[c]);
      ok = _mm_and_pd(ok, _mm_and_pd(_mm_cmpge_pd(xv, zero), _mm_cmple_pd(xv, vmax)));
      const __m128d v = hill_lanes_sse2(xv, _mm_set_pd(0.0, logk[c]), _mm_set_pd(1.0, s[c]), lx, zz);
      _mm_store_sd(yr + c, v);
      if (lr) _mm_store_sd(lr + c, lx);
      if (zr) _mm_store_sd(zr + c, zz);
    }
  }
  return _mm_movemask_pd(ok) == 0x3;
}

#endif  // TRUSTMIX_TRANSFORMS_X86

inline bool hill_rows_scalar(const double* x, Index xs, double* y, Index ys, Index rows, Index C, const double* logk,
                             const double* s, double* logx, double* z) {
  bool ok = true;
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < C; ++c) {
      const double xv = x[r * xs + c];
      ok = ok && xv >= 0.0 && xv <= 1.7976931348623157e308;
      const double lx = std::log(xv);
      const double zz = std::exp((logk[c] - lx) * s[c]);  // x = 0: lx = -inf, zz = inf, y = 0
      y[r * ys + c] = 1.0 / (1.0 + zz);
      if (logx) logx[r * ys + c] = lx;
      if (z) z[r * ys + c] = zz;
    }
  return ok;
}

/// Hill values of `rows` rows of C channels: y[r, c] = 1 / (1 + exp(s[c] (logk[c] - ln x[r, c]))).
/// Row strides xs, ys (in elements); logx and z (same stride as y) receive ln x and the exp
/// term when not null. Relative error of y: a few ulp of exp and log, times
/// 1 + s |ln(k / x)| (the usual conditioning of x^s). Returns true when every x read was
/// in [0, DBL_MAX] (the input check, done in the same pass; false for a negative, NaN
/// or infinite x, whose outputs are then meaningless).
inline bool hill_rows(const double* x, Index xs, double* y, Index ys, Index rows, Index C, const double* logk,
                      const double* s, double* logx = nullptr, double* z = nullptr) {
#if defined(TRUSTMIX_TRANSFORMS_X86)
  if (cpu_has_avx2_fma()) return hill_rows_avx2(x, xs, y, ys, rows, C, logk, s, logx, z);
  return hill_rows_sse2(x, xs, y, ys, rows, C, logk, s, logx, z);
#else
  return hill_rows_scalar(x, xs, y, ys, rows, C, logk, s, logx, z);
#endif
}

// ---------------------------------------------------------------------------------
// ln of n values with the log the Hill kernel of the running CPU uses, so ln k computed
// here matches ln x inside hill_rows bit for bit and hill(x = k) = 1 / (1 + exp(0)) = 0.5
// exactly.

#if defined(TRUSTMIX_TRANSFORMS_X86)
[[gnu::target("avx2,fma")]] inline void log_values_avx2(const double* in, double* out, Index n) {
  for (Index i = 0; i < n; i += 4) {
    alignas(32) double b[4] = {1.0, 1.0, 1.0, 1.0};
    for (Index j = 0; j < 4 && i + j < n; ++j) b[j] = in[i + j];
#if defined(TRUSTMIX_TRANSFORMS_LIBMVEC)
    _mm256_store_pd(b, _ZGVdN4v_log(_mm256_load_pd(b)));
#else
    for (double& v : b) v = std::log(v);
#endif
    for (Index j = 0; j < 4 && i + j < n; ++j) out[i + j] = b[j];
  }
}

inline void log_values_sse2(const double* in, double* out, Index n) {
  for (Index i = 0; i < n; i += 2) {
    alignas(16) double b[2] = {1.0, 1.0};
    for (Index j = 0; j < 2 && i + j < n; ++j) b[j] = in[i + j];
#if defined(TRUSTMIX_TRANSFORMS_LIBMVEC)
    _mm_store_pd(b, _ZGVbN2v_log(_mm_load_pd(b)));
#else
    for (double& v : b) v = std::log(v);
#endif
    for (Index j = 0; j < 2 && i + j < n; ++j) out[i + j] = b[j];
  }
}
#endif

/// out[i] = ln in[i] for i < n, computed as inside hill_rows on this CPU.
inline void log_values(const double* in, double* out, Index n) {
#if defined(TRUSTMIX_TRANSFORMS_X86)
  if (cpu_has_avx2_fma()) return log_values_avx2(in, out, n);
  return log_values_sse2(in, out, n);
#else
  for (Index i = 0; i < n; ++i) out[i] = std::log(in[i]);
#endif
}

// ---------------------------------------------------------------------------------
// Finite-window convolution along rows (adstock): for t in [t0, t1),
//   y[t, c] = w[0, c] x[t, c] + sum_{l=1}^{min(t, L)} w[l, c] x[t - l, c]
// accumulated in this order for every element (so any split of rows gives the same bits).
// w is (L + 1) x C, row-major with stride C.

#if defined(TRUSTMIX_TRANSFORMS_X86)

/// R consecutive rows starting at row t (xt = &x[t, 0], yt = &y[t, 0]), each using lags
/// 0..lmax (the caller guarantees t >= lmax). Channels in blocks of 8, then 4, then a
/// masked tail; R x 8 accumulators stay in registers across the lag loop.
template <int R>
[[gnu::target("avx2,fma")]] inline void convolve_tile_avx2(const double* xt, Index xs, const double* w, Index C, Index lmax,
                                                           double* yt, Index ys) {
  Index c = 0;
  for (; c + 8 <= C; c += 8) {
    __m256d a[R][2];
    const __m256d w0a = _mm256_loadu_pd(w + c), w0b = _mm256_loadu_pd(w + c + 4);
#pragma GCC unroll 8
    for (int j = 0; j < R; ++j) {
      a[j][0] = _mm256_mul_pd(w0a, _mm256_loadu_pd(xt + j * xs + c));
      a[j][1] = _mm256_mul_pd(w0b, _mm256_loadu_pd(xt + j * xs + c + 4));
    }
    for (Index l = 1; l <= lmax; ++l) {
      const __m256d wa = _mm256_loadu_pd(w + l * C + c), wb = _mm256_loadu_pd(w + l * C + c + 4);
      const double* xl = xt - l * xs + c;
#pragma GCC unroll 8
      for (int j = 0; j < R; ++j) {
        a[j][0] = _mm256_fmadd_pd(wa, _mm256_loadu_pd(xl + j * xs), a[j][0]);
        a[j][1] = _mm256_fmadd_pd(wb, _mm256_loadu_pd(xl + j * xs + 4), a[j][1]);
      }
    }
#pragma GCC unroll 8
    for (int j = 0; j < R; ++j) {
      _mm256_storeu_pd(yt + j * ys + c, a[j][0]);
      _mm256_storeu_pd(yt + j * ys + c + 4, a[j][1]);
    }
  }
  for (; c < C; c += 4) {
    const bool full = c + 4 <= C;
    const __m256i m = full ? _mm256_set1_epi64x(-1) : tail_mask_avx2(C - c);
    __m256d a[R];
    const __m256d w0 = _mm256_maskload_pd(w + c, m);
#pragma GCC unroll 8
    for (int j = 0; j < R; ++j) a[j] = _mm256_mul_pd(w0, _mm256_maskload_pd(xt + j * xs + c, m));
    for (Index l = 1; l <= lmax; ++l) {
      const __m256d wl = _mm256_maskload_pd(w + l * C + c, m);
      const double* xl = xt - l * xs + c;
#pragma GCC unroll 8
      for (int j = 0; j < R; ++j) a[j] = _mm256_fmadd_pd(wl, _mm256_maskload_pd(xl + j * xs, m), a[j]);
    }
#pragma GCC unroll 8
    for (int j = 0; j < R; ++j) _mm256_maskstore_pd(yt + j * ys + c, m, a[j]);
  }
}

/// R consecutive full-window rows starting at row t, channels c..c+3 (with full = false,
/// the first n < 4 of them, masked). The R input rows a lag needs overlap with the previous lag's
/// by R - 1, so they are kept in registers as a sliding window: each lag loads one new
/// input row and one weight vector for R multiply-adds (the 4 x 8 tile loads 10 vectors
/// for 8). The same operations per element as convolve_tile_avx2: w0 x[t], then one
/// fused multiply-add per lag, l = 1..L in order.
template <int R, bool full>
[[gnu::target("avx2,fma")]] inline void convolve_slide_avx2(const double* xt, Index xs, const double* w, Index C, Index L,
                                                            double* yt, Index ys, Index c, Index n) {
  const __m256i m = full ? _mm256_set1_epi64x(-1) : tail_mask_avx2(n);
  __m256d acc[R], win[R];  // win[j] = x[t + j - l, c..c+3] at lag l
  const __m256d w0 = full ? _mm256_loadu_pd(w + c) : _mm256_maskload_pd(w + c, m);
#pragma GCC unroll 16
  for (int j = 0; j < R; ++j) {
    win[j] = full ? _mm256_loadu_pd(xt + j * xs + c) : _mm256_maskload_pd(xt + j * xs + c, m);
    acc[j] = _mm256_mul_pd(w0, win[j]);
  }
  for (Index l = 1; l <= L; ++l) {
#pragma GCC unroll 16
    for (int j = R - 1; j > 0; --j) win[j] = win[j - 1];
    win[0] = full ? _mm256_loadu_pd(xt - l * xs + c) : _mm256_maskload_pd(xt - l * xs + c, m);
    const __m256d wl = full ? _mm256_loadu_pd(w + l * C + c) : _mm256_maskload_pd(w + l * C + c, m);
#pragma GCC unroll 16
    for (int j = 0; j < R; ++j) acc[j] = _mm256_fmadd_pd(wl, win[j], acc[j]);
  }
#pragma GCC unroll 16
  for (int j = 0; j < R; ++j) {
    if (full) _mm256_storeu_pd(yt + j * ys + c, acc[j]);
    else _mm256_maskstore_pd(yt + j * ys + c, m, acc[j]);
  }
}

[[gnu::target("avx2,fma")]] inline void convolve_rows_avx2(const double* x, Index xs, const double* w, Index L1, Index C,
                                                           double* y, Index ys, Index t0, Index t1) {
  const Index L = L1 - 1;
  const double* xt = x + t0 * xs;
  double* yt = y + t0 * ys;
  Index t = t0;
  for (; t < t1 && t < L; ++t, xt += xs, yt += ys) convolve_tile_avx2<1>(xt, xs, w, C, t, yt, ys);  // window not full yet
  for (; t1 - t >= 8; t += 8, xt += 8 * xs, yt += 8 * ys) {
    Index c = 0;
    for (; c + 4 <= C; c += 4) convolve_slide_avx2<8, true>(xt, xs, w, C, L, yt, ys, c, 4);
    if (c < C) convolve_slide_avx2<8, false>(xt, xs, w, C, L, yt, ys, c, C - c);
  }
  for (; t1 - t >= 4; t += 4, xt += 4 * xs, yt += 4 * ys) convolve_tile_avx2<4>(xt, xs, w, C, L, yt, ys);
  for (; t < t1; ++t, xt += xs, yt += ys) convolve_tile_avx2<1>(xt, xs, w, C, L, yt, ys);
}

/// Baseline (SSE2) version of the tile: the same order of operations, multiply then add.
template <int R>
inline void convolve_tile_sse2(const double* xt, Index xs, const double* w, Index C, Index lmax, double* yt, Index ys) {
  Index c = 0;
  for (; c + 4 <= C; c += 4) {
    __m128d a[R][2];
    const __m128d w0a = _mm_loadu_pd(w + c), w0b = _mm_loadu_pd(w + c + 2);
#pragma GCC unroll 8
    for (int j = 0; j < R; ++j) {
      a[j][0] = _mm_mul_pd(w0a, _mm_loadu_pd(xt + j * xs + c));
      a[j][1] = _mm_mul_pd(w0b, _mm_loadu_pd(xt + j * xs + c + 2));
    }
    for (Index l = 1; l <= lmax; ++l) {
      const __m128d wa = _mm_loadu_pd(w + l * C + c), wb = _mm_loadu_pd(w + l * C + c + 2);
      const double* xl = xt - l * xs + c;
#pragma GCC unroll 8
      for (int j = 0; j < R; ++j) {
        a[j][0] = _mm_add_pd(a[j][0], _mm_mul_pd(wa, _mm_loadu_pd(xl + j * xs)));
        a[j][1] = _mm_add_pd(a[j][1], _mm_mul_pd(wb, _mm_loadu_pd(xl + j * xs + 2)));
      }
    }
#pragma GCC unroll 8
    for (int j = 0; j < R; ++j) {
      _mm_storeu_pd(yt + j * ys + c, a[j][0]);
      _mm_storeu_pd(yt + j * ys + c + 2, a[j][1]);
    }
  }
  for (; c < C; c += 2) {
    const bool full = c + 2 <= C;  // else one channel, in the low lane
    __m128d a[R];
    const __m128d w0 = full ? _mm_loadu_pd(w + c) : _mm_load_sd(w + c);
#pragma GCC unroll 8
    for (int j = 0; j < R; ++j) a[j] = _mm_mul_pd(w0, full ? _mm_loadu_pd(xt + j * xs + c) : _mm_load_sd(xt + j * xs + c));
    for (Index l = 1; l <= lmax; ++l) {
      const __m128d wl = full ? _mm_loadu_pd(w + l * C + c) : _mm_load_sd(w + l * C + c);
      const double* xl = xt - l * xs + c;
#pragma GCC unroll 8
      for (int j = 0; j < R; ++j)
        a[j] = _mm_add_pd(a[j], _mm_mul_pd(wl, full ? _mm_loadu_pd(xl + j * xs) : _mm_load_sd(xl + j * xs)));
    }
#pragma GCC unroll 8
    for (int j = 0; j < R; ++j) {
      if (full) _mm_storeu_pd(yt + j * ys + c, a[j]);
      else _mm_store_sd(yt + j * ys + c, a[j]);
    }
  }
}

inline void convolve_rows_sse2(const double* x, Index xs, const double* w, Index L1, Index C, double* y, Index ys, Index t0,
                               Index t1) {
  const Index L = L1 - 1;
  const double* xt = x + t0 * xs;
  double* yt = y + t0 * ys;
  Index t = t0;
  for (; t < t1 && t < L; ++t, xt += xs, yt += ys) convolve_tile_sse2<1>(xt, xs, w, C, t, yt, ys);
  for (; t1 - t >= 4; t += 4, xt += 4 * xs, yt += 4 * ys) convolve_tile_sse2<4>(xt, xs, w, C, L, yt, ys);
  for (; t < t1; ++t, xt += xs, yt += ys) convolve_tile_sse2<1>(xt, xs, w, C, L, yt, ys);
}

#endif  // TRUSTMIX_TRANSFORMS_X86

/// Plain loops (non-x86 platforms, and the reference in tests): the same order of
/// operations as the SSE2 kernel, which the compiler vectorises for its target.
inline void convolve_rows_portable(const double* x, Index xs, const double* w, Index L1, Index C, double* y, Index ys,
                                   Index t0, Index t1) {
  for (Index t = t0; t < t1; ++t) {
    double* __restrict yr = y + t * ys;
    const double* __restrict x0 = x + t * xs;
    for (Index c = 0; c < C; ++c) yr[c] = w[c] * x0[c];
    const Index lmax = t < L1 - 1 ? t : L1 - 1;
    for (Index l = 1; l <= lmax; ++l) {
      const double* __restrict wl = w + l * C;
      const double* __restrict xl = x + (t - l) * xs;
      for (Index c = 0; c < C; ++c) yr[c] += wl[c] * xl[c];
    }
  }
}

/// Rows [t0, t1) of the convolution; the input rows t0 - L .. t1 - 1 are read.
inline void convolve_rows(const double* x, Index xs, const double* w, Index L1, Index C, double* y, Index ys, Index t0,
                          Index t1) {
#if defined(TRUSTMIX_TRANSFORMS_X86)
  if (cpu_has_avx2_fma()) return convolve_rows_avx2(x, xs, w, L1, C, y, ys, t0, t1);
  return convolve_rows_sse2(x, xs, w, L1, C, y, ys, t0, t1);
#else
  return convolve_rows_portable(x, xs, w, L1, C, y, ys, t0, t1);
#endif
}

// ---------------------------------------------------------------------------------
// Logistic saturation h = (1 - e^(-2u)) / (1 + e^(-2u)) = tanh(u), u = (lambda / 2) x >= 0,
// and its adjoint: the one implementation behind transforms' logistic saturation and the
// trust model (mmm/trust_model.hpp, mmm/analyses.hpp).

/// tanh(u) for u >= 0. For u < 1/8 its Taylor series to u^15 (truncation below 4e-17
/// relative), else from one exp(-2u), whose cancellation costs at most 4.5 ulp at
/// u = 1/8: within 4e-16 of tanh everywhere (tested), and twice as fast as expm1.
/// (Only for u >= 0: a negative u below -1/8 would take the series.)
inline double logistic_saturation(double u) {
  if (u < 0.125) {
    const double v = u * u;
    return u * (1.0 +
                v * (-1.0 / 3 +
                     v * (2.0 / 15 + v * (-17.0 / 315 +
                                          v * (62.0 / 2835 + v * (-1382.0 / 155925 + v * (21844.0 / 6081075 +
                                                                                          v * (-929569.0 / 638512875))))))));
  }
  const double e = std::exp(-2.0 * u);
  return (1.0 - e) / (1.0 + e);
}

#if defined(TRUSTMIX_TRANSFORMS_X86) && defined(TRUSTMIX_TRANSFORMS_LIBMVEC)
/// logistic_saturation on 4 lanes (AVX2 + FMA, libmvec exp): both branches computed and
/// blended by u < 1/8. Within 2e-15 of tanh (libmvec's exp is within 4 ulp; tested).
[[gnu::target("avx2,fma")]] inline __m256d logistic_lanes_avx2(__m256d u) {
  const __m256d cut = _mm256_set1_pd(0.125), one = _mm256_set1_pd(1.0), m2 = _mm256_set1_pd(-2.0);
  const __m256d e = _ZGVdN4v_exp(_mm256_mul_pd(m2, u));
  const __m256d big = _mm256_div_pd(_mm256_sub_pd(one, e), _mm256_add_pd(one, e));
  const __m256d v = _mm256_mul_pd(u, u);
  __m256d q = _mm256_set1_pd(-929569.0 / 638512875);
  q = _mm256_fmadd_pd(q, v, _mm256_set1_pd(21844.0 / 6081075));
  q = _mm256_fmadd_pd(q, v, _mm256_set1_pd(-1382.0 / 155925));
  q = _mm256_fmadd_pd(q, v, _mm256_set1_pd(62.0 / 2835));
  q = _mm256_fmadd_pd(q, v, _mm256_set1_pd(-17.0 / 315));
  q = _mm256_fmadd_pd(q, v, _mm256_set1_pd(2.0 / 15));
  q = _mm256_fmadd_pd(q, v, _mm256_set1_pd(-1.0 / 3));
  q = _mm256_fmadd_pd(q, v, one);
  const __m256d small = _mm256_mul_pd(u, q);
  return _mm256_blendv_pd(big, small, _mm256_cmp_pd(u, cut, _CMP_LT_OQ));
}

[[gnu::target("avx2,fma")]] inline void logistic_series_avx2(const double* a, double half, double* h, Index n) {
  const __m256d vh = _mm256_set1_pd(half);
  Index t = 0;
  for (; t + 4 <= n; t += 4) _mm256_storeu_pd(h + t, logistic_lanes_avx2(_mm256_mul_pd(vh, _mm256_loadu_pd(a + t))));
  for (; t < n; ++t) h[t] = logistic_saturation(half * a[t]);
}

[[gnu::target("avx2,fma")]] inline void logistic_rows_avx2(const double* x, Index xs, double* y, Index ys, Index rows,
                                                           Index C, const double* half) {
  for (Index r = 0; r < rows; ++r) {
    const double* xr = x + r * xs;
    double* yr = y + r * ys;
    Index c = 0;
    for (; c + 4 <= C; c += 4)
      _mm256_storeu_pd(yr + c, logistic_lanes_avx2(_mm256_mul_pd(_mm256_loadu_pd(half + c), _mm256_loadu_pd(xr + c))));
    for (; c < C; ++c) yr[c] = logistic_saturation(half[c] * xr[c]);
  }
}
#endif

/// h[t] = logistic_saturation(half a[t]) for t < n (one contiguous series, half =
/// lambda / 2): the AVX2 kernel when the CPU has it (TRUSTMIX_SIMD=baseline turns it
/// off), else scalar. The lanes and the scalar tail (the last n mod 4 values) agree to
/// rounding (both within 2e-15 of tanh), not bit for bit.
inline void logistic_series(const double* a, double half, double* h, Index n) {
#if defined(TRUSTMIX_TRANSFORMS_X86) && defined(TRUSTMIX_TRANSFORMS_LIBMVEC)
  if (cpu_has_avx2_fma()) return logistic_series_avx2(a, half, h, n);
#endif
  for (Index t = 0; t < n; ++t) h[t] = logistic_saturation(half * a[t]);
}

/// Logistic values of `rows` rows of C channels: y[r, c] = logistic_saturation(half[c]
/// x[r, c]), half[c] = lambda_c / 2, row strides xs and ys (in elements). Every element
/// gets the same operations whichever rows a call holds.
inline void logistic_rows(const double* x, Index xs, double* y, Index ys, Index rows, Index C, const double* half) {
#if defined(TRUSTMIX_TRANSFORMS_X86) && defined(TRUSTMIX_TRANSFORMS_LIBMVEC)
  if (cpu_has_avx2_fma()) return logistic_rows_avx2(x, xs, y, ys, rows, C, half);
#endif
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < C; ++c) y[r * ys + c] = logistic_saturation(half[c] * x[r * xs + c]);
}

/// Reverse mode of h[t] = tanh(half a[t]) over one series (half = lambda / 2), from the
/// forward values a and h and the adjoint gh = dL/dh: writes ga[t] = dL/da[t] =
/// gh[t] half (1 - h[t]^2) and returns dL/dlambda = sum_t gh[t] (a[t] / 2) (1 - h[t]^2),
/// summed in t order. O(n).
inline double logistic_series_adjoint(const double* a, const double* h, const double* gh, double half, double* ga, Index n) {
  double glam = 0.0;
  for (Index t = 0; t < n; ++t) {
    const double sech2 = 1.0 - h[t] * h[t];
    glam += gh[t] * 0.5 * a[t] * sech2;
    ga[t] = gh[t] * half * sech2;
  }
  return glam;
}

}  // namespace trustmix::transforms::detail::simd
