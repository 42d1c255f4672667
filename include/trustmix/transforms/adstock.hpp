#pragma once
// Adstock (carry-over) transforms over a T x C array (periods as rows, channels as
// columns), with analytic derivatives. Definitions follow MODEL.md section 1:
//
//   y[t, c] = sum_{l=0}^{min(t, L)} w~[l, c] * x[t - l, c]        (zero before the start)
//   w~[l, c] = w[l, c] / sum_{m=0}^{L} w[m, c]   if normalize, else w[l, c]
//
// Weight families (l = 0..L, L = max_lag, so there are L + 1 weights):
//   geometric    w_l = alpha^l                                   alpha in [0, 1]
//   delayed      w_l = alpha^((l - theta)^2)                     alpha in (0, 1], theta in [0, L]
//   binomial     w_l = (1 - l / (L + 1))^(1/alpha - 1)           alpha in (0, 1]   (Meridian)
//   weibull_cdf  w_l = prod_{j=1}^{l+1} (1 - F(j; k, lambda)) = exp(-sum_{j=1}^{l+1} (j/lambda)^k)
//   weibull_pdf  w_l = f(l + 1; k, lambda) / max_m f(m + 1; k, lambda)   (Robyn's scaling)
// with F, f the Weibull CDF and PDF of shape k > 0 and scale lambda > 0.
//
// Conventions of other libraries: PyMC-Marketing's `l_max` counts weights, so its
// l_max = L + 1; Meridian's `max_lag` equals L. Geometric adstock also has an exact
// infinite-window form (max_lag = infinite_lag): y[t] = x[t] + alpha * y[t-1], scaled by
// (1 - alpha) when normalized, which is the Nerlove-Arrow goodwill recursion.
#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/transforms/simd.hpp"

namespace trustmix::transforms {

/// Row-major T x C matrix: numpy's C order, so bindings pass arrays without copies.
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixRef = Eigen::Ref<const RowMatrix>;
using ConstVectorRef = Eigen::Ref<const Eigen::VectorXd>;

/// max_lag value that selects the exact infinite-window geometric adstock.
inline constexpr int infinite_lag = -1;

enum class AdstockKind : std::uint8_t { geometric, delayed, binomial, weibull_cdf, weibull_pdf };

[[nodiscard]] inline std::string_view to_string(AdstockKind k) {
  constexpr std::string_view names[] = {"geometric", "delayed", "binomial", "weibull_cdf", "weibull_pdf"};
  return names[static_cast<int>(k)];
}
/// Names of each family's parameters, in the order used by weights and derivatives.
[[nodiscard]] inline std::vector<std::string> adstock_parameter_names(AdstockKind k) {
  switch (k) {
    case AdstockKind::geometric:
    case AdstockKind::binomial: return {"alpha"};
    case AdstockKind::delayed: return {"alpha", "theta"};
    case AdstockKind::weibull_cdf:
    case AdstockKind::weibull_pdf: return {"k", "lambda"};
  }
  return {};
}

/// Lag weights of one channel and their derivatives with respect to each parameter.
struct LagWeights {
  Eigen::VectorXd w;                ///< L + 1 weights (normalised if requested)
  std::vector<Eigen::VectorXd> dw;  ///< dw / d parameter, one vector per parameter
};

namespace detail {

inline void check_params(AdstockKind kind, const double* p, int max_lag, std::string_view where) {
  const std::string at(where);
  switch (kind) {
    case AdstockKind::geometric:
      if (max_lag == infinite_lag) trustmix::detail::require_in_range(p[0], at + "alpha", 0.0, 1.0, false, true);
      else trustmix::detail::require_in_range(p[0], at + "alpha", 0.0, 1.0, false, false);
      break;
    case AdstockKind::delayed:
      trustmix::detail::require_in_range(p[0], at + "alpha", 0.0, 1.0, true, false);
      trustmix::detail::require_in_range(p[1], at + "theta", 0.0, max_lag, false, false);
      break;
    case AdstockKind::binomial: trustmix::detail::require_in_range(p[0], at + "alpha", 0.0, 1.0, true, false); break;
    case AdstockKind::weibull_cdf:
    case AdstockKind::weibull_pdf:
      trustmix::detail::require_positive(p[0], at + "k");
      trustmix::detail::require_positive(p[1], at + "lambda");
      break;
  }
}

/// Refuses a lag window whose weights (and derivatives) for `channels` channels would take
/// more than 1 GiB, before anything is allocated (max_lag = 10^9 would need gigabytes).
inline void check_lag_window(int max_lag, AdstockKind kind, double channels, bool with_derivatives) {
  if (max_lag < 0) return;  // reported by the callers
  const double sets = 1.0 + (with_derivatives ? static_cast<double>(adstock_parameter_names(kind).size()) : 0.0);
  const double bytes = 8.0 * (static_cast<double>(max_lag) + 1.0) * sets * (channels + 1.0);
  if (bytes > 0x1p30)
    fail("max_lag = ", max_lag, " needs about ", std::ceil(bytes / 0x1p30), " GiB for the ", to_string(kind),
         " lag weights (limit 1 GiB): use a smaller max_lag (lags past the data's length only change the "
         "normalisation)",
         kind == AdstockKind::geometric ? ", or max_lag=None, the exact infinite window" : "");
}

}  // namespace detail

// ---------------------------------------------------------------------------------
// Geometric adstock of one series (any indexable vectors: Eigen vectors, matrix columns,
// pointers wrapped in Eigen::Map): the kernels of the trust model's log density, forward
// pass and analyses (mmm/), and of adstock_weights() for the geometric family.

/// Geometric lag weights w_l = alpha^l (l = 0 .. w.size() - 1, by repeated multiplication)
/// and dw_l = d w_l / d alpha = l alpha^(l-1); with normalize, w~_l = w_l / W and
/// d w~_l / d alpha = (dw_l - w_l W' / W) / W, where W = sum_l w_l and W' = sum_l dw_l.
/// w and dw need the same size (>= 1). O(L).
template <class W, class DW>
void geometric_weights_into(double alpha, W&& w, DW&& dw, bool normalize = true) {
  const auto n = w.size();
  double s = 0.0, ds = 0.0, pw = 1.0, pw_prev = 0.0;  // alpha^l, alpha^(l-1)
  for (Eigen::Index l = 0; l < n; ++l) {
    w[l] = pw;
    dw[l] = static_cast<double>(l) * pw_prev;
    s += w[l];
    ds += dw[l];
    pw_prev = pw;
    pw *= alpha;
  }
  if (!normalize) return;
  for (Eigen::Index l = 0; l < n; ++l) {
    dw[l] = (dw[l] - w[l] / s * ds) / s;
    w[l] /= s;
  }
}

/// Direct finite-window convolution of one series: y[t] = sum_{l=0}^{min(t, L)} w[l]
/// x[t - l] (L + 1 = w.size(), x zero before the start), summed in l order. O(T x L).
template <class X, class Wt, class Y>
void convolve_series(const X& x, const Wt& w, Y&& y) {
  const auto T = x.size(), L1 = w.size();
  for (Eigen::Index t = 0; t < T; ++t) {
    double acc = 0.0;
    const Eigen::Index lmax = std::min<Eigen::Index>(t, L1 - 1);
    for (Eigen::Index l = 0; l <= lmax; ++l) acc += w[l] * x[t - l];
    y[t] = acc;
  }
}

/// Normalised geometric adstock a[t] = S[t] / W of one series and its derivative
/// da[t]/dalpha in O(T) (the forward pass with what the reverse-mode gradient wrt alpha
/// needs: dL/dalpha = sum_t dL/da[t] da[t]/dalpha), by the recursions (x[t] = 0 for t < 0)
///   S[t] = sum_{l=0}^{L} alpha^l x[t-l] = alpha S[t-1] + x[t] - alpha^(L+1) x[t-L-1],
///   D[t] = dS[t]/dalpha = alpha D[t-1] + S[t-1] - (L+1) alpha^L x[t-L-1],
/// with W = sum_{l=0}^{L} alpha^l and W' = dW/dalpha: da/dalpha = D/W - S W'/W^2. The
/// subtracted term leaves the window; rounding errors decay by alpha per step, so the
/// result differs from the direct sum (convolve_series) by about 1e-16 x (the largest
/// value that passed through the window recently) / (1 - alpha) in absolute terms: a
/// value far smaller than an earlier spike carries the spike's rounding (the direct sum
/// does not). The trust model's media are scaled to mean 1, so this is ~1e-14 in its
/// likelihood; its forward() and decomposition use the direct sum.
namespace detail {
/// K series' recursions of geometric_adstock_recursive interleaved in one loop (x[k],
/// a[k], da[k]: T contiguous values each). Each series sees the arithmetic of the
/// single-series loop in the same order, so the same bits; interleaved, the K chains of
/// dependent multiply-adds overlap (one chain alone is bound by their latency).
template <int K>
void adstock_recursive_k(const double* const* x, const double* alpha, int L, Eigen::Index T, double* const* a,
                         double* const* da) {
  std::array<double, K> al{}, aL1{}, daL1{}, inv_w{}, dlog_w{}, S{}, D{};
  for (int k = 0; k < K; ++k) {
    double W = 0.0, dW = 0.0, pw = 1.0, pw_prev = 0.0;  // alpha^l, alpha^(l-1)
    for (int l = 0; l <= L; ++l) {
      W += pw;
      dW += l * pw_prev;
      pw_prev = pw;
      pw *= alpha[k];
    }
    al[k] = alpha[k];
    aL1[k] = pw;  // alpha^(L+1) and its derivative
    daL1[k] = (L + 1) * pw_prev;
    inv_w[k] = 1.0 / W;  // multiplications, not divisions, per period
    dlog_w[k] = dW / W;
  }
  for (Eigen::Index t = 0; t < T; ++t) {
    for (int k = 0; k < K; ++k) {
      const double out = t > L ? x[k][t - L - 1] : 0.0;
      D[k] = al[k] * D[k] + S[k] - daL1[k] * out;
      S[k] = al[k] * S[k] + x[k][t] - aL1[k] * out;
      a[k][t] = S[k] * inv_w[k];
      da[k][t] = (D[k] - S[k] * dlog_w[k]) * inv_w[k];
    }
  }
}
}  // namespace detail

/// geometric_adstock_recursive of n series at once (x[k], a[k], da[k]: T contiguous values
/// each; alpha[k]), up to four interleaved in one loop: the same bits as one series at a
/// time, about twice as fast for several series (the panel's per-geo passes).
inline void geometric_adstock_recursive_batch(int n, const double* const* x, const double* alpha, int L, Eigen::Index T,
                                              double* const* a, double* const* da) {
  int k = 0;
  for (; k + 4 <= n; k += 4) detail::adstock_recursive_k<4>(x + k, alpha + k, L, T, a + k, da + k);
  switch (n - k) {
    case 3: detail::adstock_recursive_k<3>(x + k, alpha + k, L, T, a + k, da + k); break;
    case 2: detail::adstock_recursive_k<2>(x + k, alpha + k, L, T, a + k, da + k); break;
    case 1: detail::adstock_recursive_k<1>(x + k, alpha + k, L, T, a + k, da + k); break;
    default: break;
  }
}

/// One series (x, a, da with contiguous storage: vectors, matrix columns).
template <class X, class A, class DA>
void geometric_adstock_recursive(const X& x, double alpha, int L, A&& a, DA&& da) {
  if (x.innerStride() != 1 || a.innerStride() != 1 || da.innerStride() != 1 || a.size() < x.size() || da.size() < x.size())
    fail("geometric_adstock_recursive: x, a and da must be contiguous with a and da at least as long as x");
  const double* xp = x.data();
  double* ap = a.data();
  double* dap = da.data();
  detail::adstock_recursive_k<1>(&xp, &alpha, L, x.size(), &ap, &dap);
}

/// Lag weights w_0..w_L of one family for one channel, with derivatives.
/// `params` holds the family's parameters in adstock_parameter_names(kind) order.
[[nodiscard]] inline LagWeights adstock_weights(AdstockKind kind, const double* params, int max_lag, bool normalize,
                                                bool with_derivatives = true) {
  if (max_lag < 0) fail("max_lag must be >= 0 for ", to_string(kind), " adstock, got ", max_lag);
  detail::check_lag_window(max_lag, kind, 1.0, with_derivatives);
  detail::check_params(kind, params, max_lag, "");
  const int n = max_lag + 1;
  const std::size_t np = adstock_parameter_names(kind).size();
  LagWeights out;
  out.w.resize(n);
  out.dw.assign(with_derivatives ? np : 0, Eigen::VectorXd::Zero(n));
  switch (kind) {
    case AdstockKind::geometric: {
      Eigen::VectorXd dw(n);
      geometric_weights_into(params[0], out.w, dw, normalize);
      if (with_derivatives) out.dw[0] = dw;
      if (normalize) return out;  // W >= w_0 = 1: already normalised, no underflow
      break;
    }
    case AdstockKind::delayed: {
      const double a = params[0], th = params[1];
      for (int l = 0; l < n; ++l) {
        const double e = (l - th) * (l - th);
        out.w[l] = std::pow(a, e);
        if (!with_derivatives) continue;
        out.dw[0][l] = e == 0.0 ? 0.0 : e * std::pow(a, e - 1.0);
        out.dw[1][l] = out.w[l] * std::log(a) * (-2.0 * (l - th));
      }
      break;
    }
    case AdstockKind::binomial: {
      const double a = params[0];
      const double e = 1.0 / a - 1.0;
      for (int l = 0; l < n; ++l) {
        const double b = 1.0 - static_cast<double>(l) / n;
        out.w[l] = std::pow(b, e);
        if (with_derivatives) out.dw[0][l] = out.w[l] * std::log(b) * (-1.0 / (a * a));
      }
      break;
    }
    case AdstockKind::weibull_cdf: {
      const double k = params[0], lam = params[1];
      double s = 0.0, ds_dk = 0.0, ds_dlam = 0.0;
      for (int l = 0; l < n; ++l) {
        const double r = (l + 1) / lam;
        const double rk = std::pow(r, k);
        s += rk;
        out.w[l] = std::exp(-s);
        if (!with_derivatives) continue;
        ds_dk += rk * std::log(r);
        ds_dlam += rk * (-k / lam);
        out.dw[0][l] = -out.w[l] * ds_dk;
        out.dw[1][l] = -out.w[l] * ds_dlam;
      }
      break;
    }
    case AdstockKind::weibull_pdf: {
      const double k = params[0], lam = params[1];
      Eigen::VectorXd lnf(n), dk(n), dlam(n);
      for (int l = 0; l < n; ++l) {
        const double r = (l + 1) / lam;
        const double rk = std::pow(r, k);
        lnf[l] = std::log(k / lam) + (k - 1.0) * std::log(r) - rk;
        dk[l] = 1.0 / k + std::log(r) - rk * std::log(r);
        dlam[l] = (k / lam) * (rk - 1.0);
      }
      Eigen::Index m = 0;
      lnf.maxCoeff(&m);  // first maximum; the scaling is piecewise smooth in (k, lambda)
      for (int l = 0; l < n; ++l) {
        out.w[l] = std::exp(lnf[l] - lnf[m]);
        if (!with_derivatives) continue;
        out.dw[0][l] = out.w[l] * (dk[l] - dk[m]);
        out.dw[1][l] = out.w[l] * (dlam[l] - dlam[m]);
      }
      break;
    }
  }
  if (normalize) {
    const double total = out.w.sum();
    if (!(total > 0.0) || !std::isfinite(total))
      fail(to_string(kind), " adstock weights sum to ", total, " (underflow?) for these parameters");
    out.w /= total;
    for (auto& d : out.dw) d = (d - out.w * d.sum()) / total;
  }
  return out;
}

namespace detail {

/// Row blocks per thread of the transforms' parallel loops: threads claim blocks in turn,
/// so a thread that wakes late or loses its core for a while holds up only its current
/// block (parallel_for_blocks).
inline constexpr int blocks_per_thread = 8;

/// y[t, :] = sum_l W[l, :] .* x[t - l, :], rows split across threads (deterministic: each
/// element is summed in the same order whatever the thread count). The kernel
/// (simd.hpp, AVX2 + FMA when the CPU has it, else SSE2) keeps a tile of 4 rows x 8
/// channels in registers across the lag loop, over the contiguous channel dimension.
/// With check_finite, each block first checks that its rows of x are finite (in
/// parallel); the result is then true when every row was, false otherwise (y is then
/// unspecified).
inline bool convolve_into(const ConstMatrixRef& x, const RowMatrix& w, Eigen::Ref<RowMatrix> y, int threads,
                          bool check_finite = false) {
  const Eigen::Index T = x.rows(), C = x.cols(), L1 = w.rows();
  const Eigen::Index xs = x.outerStride(), ys = y.outerStride();
  const double* xp = x.data();
  const double* wp = w.data();
  double* yp = y.data();
  std::atomic<bool> finite{true};
  parallel_for_blocks(
      T, threads, 16384 / std::max<Eigen::Index>(1, C * L1) + 32,
      [&](std::ptrdiff_t b, std::ptrdiff_t e) {
        if (!check_finite) return simd::convolve_rows(xp, xs, wp, L1, C, yp, ys, b, e);
        // Any split of the rows gives the same bits.
        if (!simd::for_checked_rows(
                xp, xs, C, b, e, -std::numeric_limits<double>::max(),
                [&](std::ptrdiff_t r0, std::ptrdiff_t r1) { simd::convolve_rows(xp, xs, wp, L1, C, yp, ys, r0, r1); }))
          finite.store(false, std::memory_order_relaxed);
      },
      blocks_per_thread);
  return finite.load();
}

/// Checks that x is finite; names the first bad cell.
inline void require_finite_matrix(const ConstMatrixRef& x, std::string_view what) {
  if (simd::all_in_range(x.data(), x.outerStride(), x.rows(), x.cols(), -std::numeric_limits<double>::max())) return;
  for (Eigen::Index t = 0; t < x.rows(); ++t)
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      if (!std::isfinite(x(t, c))) fail(what, " must be finite: row ", t, ", column ", c, " is ", x(t, c));
}

/// Broadcasts a parameter given as 1 value or one per channel to C values.
inline Eigen::VectorXd broadcast(const ConstVectorRef& p, Eigen::Index channels, std::string_view name) {
  if (p.size() == channels) return p;
  if (p.size() == 1) return Eigen::VectorXd::Constant(channels, p[0]);
  fail(name, " must have 1 value or one per channel (", channels, "), got ", p.size());
}

}  // namespace detail

/// Result of an adstock: values and, if requested, derivatives.
struct AdstockResult {
  RowMatrix values;                   ///< T x C
  std::vector<RowMatrix> gradients;   ///< d values / d parameter p (T x C each), in parameter order
  RowMatrix weights;                  ///< (L + 1) x C lag weights w~: d y[t,c] / d x[t-l,c] = weights(l, c)
};

namespace detail {

/// The work of adstock(): values into `values` (T x C), weights and gradients into out.
inline void adstock_compute(const ConstMatrixRef& x, AdstockKind kind, const std::vector<Eigen::VectorXd>& params,
                            int max_lag, bool normalize, bool with_derivatives, int threads, Eigen::Ref<RowMatrix> values,
                            AdstockResult& out) {
  const auto names = adstock_parameter_names(kind);
  if (params.size() != names.size())
    fail(to_string(kind), " adstock takes ", names.size(), " parameter(s), got ", params.size());
  const Eigen::Index T = x.rows(), C = x.cols();
  std::vector<Eigen::VectorXd> p;
  p.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) p.push_back(detail::broadcast(params[i], C, names[i]));

  if (values.rows() != T || values.cols() != C)
    fail("adstock output has shape (", values.rows(), ", ", values.cols(), "), expected (", T, ", ", C, ")");
  if (max_lag == infinite_lag) {
    detail::require_finite_matrix(x, "adstock input x");
    if (kind != AdstockKind::geometric) fail("an infinite lag window is only defined for geometric adstock");
    for (Eigen::Index c = 0; c < C; ++c)
      detail::check_params(kind, &p[0][c], max_lag, "channel " + std::to_string(c) + ": ");
    const Eigen::ArrayXd a = p[0].array();
    RowMatrix d;
    if (with_derivatives) d.resize(T, C);
    for (Eigen::Index t = 0; t < T; ++t) {
      if (t == 0) {
        values.row(0) = x.row(0);
        if (with_derivatives) d.row(0).setZero();
      } else {
        if (with_derivatives) d.row(t) = (values.row(t - 1).array() + a.transpose() * d.row(t - 1).array()).matrix();
        values.row(t) = (x.row(t).array() + a.transpose() * values.row(t - 1).array()).matrix();
      }
    }
    if (normalize) {
      if (with_derivatives) d = ((d.array().rowwise() * (1.0 - a).transpose()) - values.array()).matrix();
      values = (values.array().rowwise() * (1.0 - a).transpose()).matrix();
    }
    if (with_derivatives) out.gradients.push_back(std::move(d));
    return;
  }

  if (max_lag < 0) fail("max_lag must be >= 0 (or infinite for geometric), got ", max_lag);
  detail::check_lag_window(max_lag, kind, static_cast<double>(C), with_derivatives);
  const Eigen::Index L1 = max_lag + 1;
  out.weights.resize(L1, C);
  std::vector<RowMatrix> dweights(names.size(), RowMatrix(L1, C));
  std::vector<double> pc(names.size());
  for (Eigen::Index c = 0; c < C; ++c) {
    for (std::size_t i = 0; i < names.size(); ++i) pc[i] = p[i][c];
    try {
      detail::check_params(kind, pc.data(), max_lag, "");
    } catch (const std::invalid_argument& e) {
      fail("channel ", c, ": ", e.what());
    }
    const LagWeights lw = adstock_weights(kind, pc.data(), max_lag, normalize, with_derivatives);
    out.weights.col(c) = lw.w;
    if (with_derivatives)
      for (std::size_t i = 0; i < names.size(); ++i) dweights[i].col(c) = lw.dw[i];
  }
  // x is checked inside the parallel loop (each block its rows); a bad cell is then
  // located by a serial scan for the message.
  if (!detail::convolve_into(x, out.weights, values, threads, true)) {
    detail::require_finite_matrix(x, "adstock input x");  // names the bad cell
    fail("adstock input x must be finite; a bad value was overwritten by the output, which overlaps x");
  }
  if (with_derivatives) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      RowMatrix g(T, C);
      detail::convolve_into(x, dweights[i], g, threads);
      out.gradients.push_back(std::move(g));
    }
  }
}

}  // namespace detail

/// Adstock of every column of x. `params[p]` holds parameter p (1 value or C values).
/// max_lag = L >= 0; infinite_lag is allowed for geometric only. `threads` <= 0 uses
/// every core; the result does not depend on it.
[[nodiscard]] inline AdstockResult adstock(const ConstMatrixRef& x, AdstockKind kind,
                                           const std::vector<Eigen::VectorXd>& params, int max_lag, bool normalize,
                                           bool with_derivatives = false, int threads = 0) {
  AdstockResult out;
  out.values.resize(x.rows(), x.cols());
  detail::adstock_compute(x, kind, params, max_lag, normalize, with_derivatives, threads, out.values, out);
  return out;
}

/// adstock() without derivatives, writing the values into `values` (T x C, any row
/// stride; e.g. memory the caller owns) with the same bits as adstock(). `values` must not
/// overlap x (each output row reads earlier input rows). Returns the
/// (L + 1) x C lag weights (empty for the infinite window).
inline RowMatrix adstock_into(const ConstMatrixRef& x, AdstockKind kind, const std::vector<Eigen::VectorXd>& params,
                              int max_lag, bool normalize, Eigen::Ref<RowMatrix> values, int threads = 0) {
  AdstockResult out;
  detail::adstock_compute(x, kind, params, max_lag, normalize, false, threads, values, out);
  return std::move(out.weights);
}

/// Reverse mode through a finite-window adstock: given g = dLoss/dy (T x C), returns
/// dLoss/dx[s, c] = sum_l weights(l, c) * g[s + l, c].
[[nodiscard]] inline RowMatrix adstock_transpose(const ConstMatrixRef& g, const RowMatrix& weights) {
  const Eigen::Index T = g.rows(), L1 = weights.rows();
  if (weights.cols() != g.cols()) fail("weights have ", weights.cols(), " columns but g has ", g.cols());
  RowMatrix out(T, g.cols());
  for (Eigen::Index s = 0; s < T; ++s) {
    auto o = out.row(s).array();
    o = weights.row(0).array() * g.row(s).array();
    const Eigen::Index lmax = std::min<Eigen::Index>(L1 - 1, T - 1 - s);
    for (Eigen::Index l = 1; l <= lmax; ++l) o += weights.row(l).array() * g.row(s + l).array();
  }
  return out;
}

}  // namespace trustmix::transforms
