#pragma once
// Saturation (diminishing returns) curves applied element-wise to a T x C array of
// non-negative media activity, with analytic derivatives (MODEL.md section 1):
//
//   hill               y = x^s / (x^s + k^s)            k > 0 (half-saturation), s > 0 (shape)
//   logistic           y = (1 - e^(-lambda x)) / (1 + e^(-lambda x)) = tanh(lambda x / 2),  lambda > 0
//   michaelis_menten   y = x / (k + x)                  k > 0
//   tanh               y = tanh(x / c)                  c > 0
//
// All map [0, inf) onto [0, 1). Conventions elsewhere: PyMC-Marketing's
// logistic_saturation(x, lam) is the same logistic; its michaelis_menten(x, alpha, lam)
// equals alpha * ours with k = lam; its tanh_saturation(x, b, c) equals b * tanh(x/(b c)),
// i.e. b * ours with c_ours = b * c.
#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/transforms/adstock.hpp"

namespace trustmix::transforms {

enum class SaturationKind : std::uint8_t { hill, logistic, michaelis_menten, tanh };

[[nodiscard]] inline std::string_view to_string(SaturationKind k) {
  constexpr std::string_view names[] = {"hill", "logistic", "michaelis_menten", "tanh"};
  return names[static_cast<int>(k)];
}
[[nodiscard]] inline std::vector<std::string> saturation_parameter_names(SaturationKind k) {
  switch (k) {
    case SaturationKind::hill: return {"k", "s"};
    case SaturationKind::logistic: return {"lambda"};
    case SaturationKind::michaelis_menten: return {"k"};
    case SaturationKind::tanh: return {"c"};
  }
  return {};
}

/// Values and (optionally) derivatives of a saturation curve.
struct SaturationResult {
  RowMatrix values;                  ///< T x C
  std::vector<RowMatrix> gradients;  ///< d values / d parameter p, in parameter order
  RowMatrix dx;                      ///< d values / d x (element-wise), if derivatives were asked
};

namespace detail {

inline void require_media(const ConstMatrixRef& x, std::string_view what) {
  if (detail::simd::all_in_range(x.data(), x.outerStride(), x.rows(), x.cols(), 0.0)) return;
  for (Eigen::Index t = 0; t < x.rows(); ++t)
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      if (!(x(t, c) >= 0.0) || !std::isfinite(x(t, c)))
        fail(what, " must be finite and >= 0: row ", t, ", column ", c, " is ", x(t, c));
}

}  // namespace detail

namespace detail {

/// The work of saturate(): values into `values` (T x C), derivatives into out if asked.
inline void saturate_compute(const ConstMatrixRef& x, SaturationKind kind, const std::vector<Eigen::VectorXd>& params,
                             bool with_derivatives, int threads, Eigen::Ref<RowMatrix> values, SaturationResult& out) {
  const auto names = saturation_parameter_names(kind);
  if (params.size() != names.size())
    fail(to_string(kind), " saturation takes ", names.size(), " parameter(s), got ", params.size());
  const Eigen::Index T = x.rows(), C = x.cols();
  std::vector<Eigen::ArrayXd> p;
  for (std::size_t i = 0; i < names.size(); ++i) {
    p.emplace_back(detail::broadcast(params[i], C, names[i]).array());
    for (Eigen::Index c = 0; c < C; ++c)
      if (!(p[i][c] > 0.0) || !std::isfinite(p[i][c]))
        fail(names[i], " must be a finite number > 0, got ", p[i][c], " for channel ", c);
  }
  if (values.rows() != T || values.cols() != C)
    fail("saturation output has shape (", values.rows(), ", ", values.cols(), "), expected (", T, ", ", C, ")");
  if (with_derivatives) {
    out.dx.resize(T, C);
    out.gradients.assign(names.size(), RowMatrix(T, C));
  }
  // Per-channel constants, computed once. Hill: ln k with the kernel's own log, so
  // hill(k) = 1 / (1 + exp(0)) = 0.5 exactly.
  Eigen::ArrayXd logk, s, s_over_k, half, inv;
  switch (kind) {
    case SaturationKind::hill:
      logk.resize(C);
      detail::simd::log_values(p[0].data(), logk.data(), C);
      s = p[1];
      s_over_k = p[1] / p[0];
      break;
    case SaturationKind::logistic: half = 0.5 * p[0]; break;
    case SaturationKind::tanh: inv = p[0].inverse(); break;
    case SaturationKind::michaelis_menten: break;
  }
  std::atomic<bool> media{true};  // every x checked so far in [0, DBL_MAX]
  using Block = Eigen::Array<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  // Rows [r0, r1): values, and derivatives if asked. Every element gets the same
  // operations whichever rows a call holds, so any split of the rows gives the same bits.
  const auto compute = [&](Eigen::Index r0, Eigen::Index r1) {
    const Eigen::Index rows = r1 - r0;
    auto X = x.middleRows(r0, rows).array();
    auto Y = values.middleRows(r0, rows).array();
    switch (kind) {
      case SaturationKind::hill: {
        // y = 1 / (1 + z), z = exp(s (ln k - ln x)) = (k / x)^s; x = 0 gives z = inf and y = 0
        // exactly. Vector exp and log (simd.hpp: glibc libmvec, at most 4 ulp each) over
        // contiguous rows; the relative error of y is a few ulp times 1 + s |ln(k / x)|.
        if (!with_derivatives) {  // the kernel checks x itself (below)
          if (!detail::simd::hill_rows(x.data() + r0 * x.outerStride(), x.outerStride(),
                                       values.data() + r0 * values.outerStride(), values.outerStride(), rows, C, logk.data(),
                                       s.data()))
            media.store(false, std::memory_order_relaxed);
          break;
        }
        Eigen::ArrayXd logx(C), z(C);
        for (Eigen::Index t = r0; t < r1; ++t) {
          const Eigen::Map<const Eigen::ArrayXd> xr(x.row(t).data(), C);
          Eigen::Map<Eigen::ArrayXd> yr(values.row(t).data(), C);
          detail::simd::hill_rows(xr.data(), C, yr.data(), C, 1, C, logk.data(), s.data(), logx.data(), z.data());
          Eigen::Map<Eigen::ArrayXd> dx(out.dx.row(t).data(), C), dk(out.gradients[0].row(t).data(), C),
              ds(out.gradients[1].row(t).data(), C);
          // y (1 - y) with 1 - y = z y (accurate when y is small) or 1 - y (when z is huge).
          const Eigen::ArrayXd yy = yr * (z > 1.0).select(1.0 - yr, z * yr);
          dx = yy * s / xr;
          dk = -yy * s_over_k;
          ds = yy * (logx - logk);
          for (Eigen::Index c = 0; c < C; ++c)
            if (xr[c] == 0.0) {  // limits at x = 0
              dx[c] = s[c] < 1.0 ? std::numeric_limits<double>::infinity() : (s[c] == 1.0 ? 1.0 / p[0][c] : 0.0);
              ds[c] = 0.0;
              dk[c] = 0.0;
            }
        }
        break;
      }
      case SaturationKind::logistic: {
        // tanh(lambda x / 2) by the kernel the trust model uses (simd.hpp: a series for
        // small u, else exp; AVX2 lanes with libmvec's exp where the CPU has them).
        detail::simd::logistic_rows(x.data() + r0 * x.outerStride(), x.outerStride(),
                                    values.data() + r0 * values.outerStride(), values.outerStride(), rows, C, half.data());
        if (with_derivatives) {
          const Block sech2 = 1.0 - Y.square();
          out.dx.middleRows(r0, rows).array() = sech2.rowwise() * half.transpose();
          out.gradients[0].middleRows(r0, rows).array() = 0.5 * X * sech2;
        }
        break;
      }
      case SaturationKind::michaelis_menten: {
        const Block den = X.rowwise() + p[0].transpose();
        Y = X / den;
        if (with_derivatives) {
          out.dx.middleRows(r0, rows).array() = (1.0 / den.square()).rowwise() * p[0].transpose();
          out.gradients[0].middleRows(r0, rows).array() = -X / den.square();
        }
        break;
      }
      case SaturationKind::tanh: {
        Y = (X.rowwise() * inv.transpose()).tanh();
        if (with_derivatives) {
          const Block sech2 = 1.0 - Y.square();
          out.dx.middleRows(r0, rows).array() = sech2.rowwise() * inv.transpose();
          out.gradients[0].middleRows(r0, rows).array() = (X * sech2).rowwise() * (-inv.square()).transpose();
        }
        break;
      }
    }
  };
  // Row blocks are independent; each block checks its rows of x: the Hill kernel while
  // it reads them, otherwise 32 rows at a time just before computing them. A bad cell is
  // then located by a serial scan for the message.
  const bool kernel_checks = kind == SaturationKind::hill && !with_derivatives;
  parallel_for_blocks(
      T, threads, 2048 / std::max<Eigen::Index>(1, C) + 16,
      [&](std::ptrdiff_t b, std::ptrdiff_t e) {
        if (kernel_checks) compute(b, e);
        else if (!detail::simd::for_checked_rows(x.data(), x.outerStride(), C, b, e, 0.0, compute))
          media.store(false, std::memory_order_relaxed);
      },
      detail::blocks_per_thread);
  if (!media.load()) {
    detail::require_media(x, "saturation input x");  // names the bad cell
    // Not found: the output overlaps x (in-place Hill) and overwrote the bad value.
    fail("saturation input x must be finite and >= 0; a bad value was overwritten by the output, which overlaps x");
  }
}

}  // namespace detail

/// Applies a saturation curve to every element of x; params[p] holds 1 or C values.
[[nodiscard]] inline SaturationResult saturate(const ConstMatrixRef& x, SaturationKind kind,
                                               const std::vector<Eigen::VectorXd>& params, bool with_derivatives = false,
                                               int threads = 0) {
  SaturationResult out;
  out.values.resize(x.rows(), x.cols());
  detail::saturate_compute(x, kind, params, with_derivatives, threads, out.values, out);
  return out;
}

/// saturate() without derivatives, writing the values into `values` (T x C, any row
/// stride; e.g. memory the caller owns) with the same bits as saturate(). `values` may
/// be x itself (in place); a bad x is then still reported, without its cell when the
/// output has overwritten it.
inline void saturate_into(const ConstMatrixRef& x, SaturationKind kind, const std::vector<Eigen::VectorXd>& params,
                          Eigen::Ref<RowMatrix> values, int threads = 0) {
  SaturationResult out;
  detail::saturate_compute(x, kind, params, false, threads, values, out);
}

/// Divides each column by its mean over non-zero entries (MODEL.md: priors become
/// unit-free). Returns the scaled matrix and the scales; an all-zero column keeps scale 1.
struct ScaledMedia {
  RowMatrix values;
  Eigen::VectorXd scale;
};
[[nodiscard]] inline ScaledMedia scale_by_mean_nonzero(const ConstMatrixRef& x) {
  detail::require_media(x, "media input x");
  ScaledMedia out{RowMatrix(x.rows(), x.cols()), Eigen::VectorXd::Ones(x.cols())};
  for (Eigen::Index c = 0; c < x.cols(); ++c) {
    const auto col = x.col(c).array();
    const auto nz = static_cast<double>((col != 0.0).count());
    if (nz > 0) out.scale[c] = col.sum() / nz;
    if (!std::isfinite(out.scale[c])) {  // the sum overflowed (values near 1e308): sum x / max instead
      const double top = col.maxCoeff();
      out.scale[c] = top * ((col / top).sum() / nz);
    }
    out.values.col(c) = x.col(c) / out.scale[c];
  }
  return out;
}

}  // namespace trustmix::transforms
