#pragma once
// The analyses of a fitted trust-linked model (MODEL.md section 4) over a matrix of
// posterior draws: one unconstrained parameter vector per row (n x dimension; a MAP fit
// passes its mode as the only row). Every analysis runs its draws in parallel
// (trustmix::parallel_for_blocks): each draw is computed by one thread with the same
// arithmetic as serially, and reductions over draws run in a fixed order, so results are
// bit-identical for every thread count.
//
// Units: the model works on scaled media and outcome (see TrustModelData); every result
// below that is an outcome is multiplied by `outcome_scale` (the outcome's scale: the
// Python layer's y_scale), spend and values are in the caller's currency.
//
// Definitions (MODEL.md section 4). For channel c and a window W = [begin, end] of data
// periods, the counterfactual sets x[c, t] = 0 for t in W, keeps everything else, and
// runs the model over the data plus `horizon` periods of zero activity and zero baseline
// (so the trust stock's long tail is counted):
//   diff[t]       = (mu[t] - mu_cf[t]) outcome_scale
//   short         = sum_{t <= end + L} diff[t],  long = sum_{t > end + L} diff[t]
//   via_trust_direct  = gamma sum_t (G[t] - G_cf[t]) outcome_scale
//   via_amplification = theta sum_t (G[t] c[t] - G_cf[t] c_cf[t]) outcome_scale,
//   own               = sum_t (c[t] - c_cf[t]) outcome_scale,   c[t] = sum_s beta_s h[s, t]
//   (short + long = via_trust_direct + via_amplification + own, exactly up to rounding)
//   roi_short = (short v - spend) / spend,  roi_total = ((short + long) v - spend) / spend
//   marginal_roi = (gain v - 0.01 spend) / (0.01 spend), gain = sum_t (mu_up[t] - mu[t])
//     outcome_scale with x[c, t] scaled by 1.01 inside W
//   cost_per_incremental = spend / (short + long) (NaN when the total is <= 0)
// with v the value of one unit of outcome; v = NaN (no value given) leaves the three
// ROIs NaN: a ROI needs a value per outcome.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <boost/random/gamma_distribution.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/core/resources.hpp"
#include "trustmix/inference/diagnostics.hpp"
#include "trustmix/mmm/trust_model.hpp"

namespace trustmix::mmm {

namespace detail {

/// The model's kernels for one draw at a time on fixed (possibly extended) inputs, with
/// one channel's activity replaceable: what ROI and response curves evaluate many times
/// per draw. One engine per thread (it holds scratch buffers).
class DrawEngine {
 public:
  /// Outcome parts of one evaluation (model units, per period).
  struct Parts {
    Vector mu, stock, conversion;  ///< mu[t], G[t], c[t] = sum_s beta_s h[s, t]
  };

  DrawEngine(const TrustModel& m, const Matrix& media, const Matrix& baseline, const Matrix& shocks)
      : m_(m), media_(media), baseline_(baseline), shocks_(shocks), T_(media.rows()) {
    const Eigen::Index C = m_.C_, L1 = m_.d_.max_lag + 1;
    w_.resize(L1, C);
    dw_.resize(L1, C);
    A_.resize(T_, C);
    H_.resize(T_, C);
    a_.resize(T_);
    h_.resize(T_);
    inflow_.resize(T_);
    conv_pos_.assign(static_cast<std::size_t>(C), -1);
    for (int q = 0; q < m_.S_; ++q) conv_pos_[static_cast<std::size_t>(m_.conv_idx_[static_cast<std::size_t>(q)])] = q;
  }

  /// Constrains z and runs adstock and saturation of every channel on the inputs.
  void set_draw(const Eigen::Ref<const Vector>& z) {
    p_ = m_.constrain(z);
    const int T = static_cast<int>(T_);
    for (int c = 0; c < m_.C_; ++c) {
      TrustModel::geometric_weights_into(p_.alpha[c], w_.col(c), dw_.col(c));
      TrustModel::convolve(media_.col(c), w_.col(c), A_.col(c));
      TrustModel::saturate(A_.col(c).data(), 0.5 * p_.lam[c], H_.col(c).data(), T);
    }
    base_.noalias() = baseline_ * p_.b;
    outcome(-1, full_);
  }

  /// The evaluation of the inputs as they are (after set_draw()).
  [[nodiscard]] const Parts& full() const { return full_; }

  [[nodiscard]] const TrustModelParameters& params() const { return p_; }
  [[nodiscard]] const Matrix& media() const { return media_; }

  /// The model with channel j's activity replaced by x (T' values; j < 0: the inputs as
  /// they are). Writes mu, G and c into out.
  void evaluate(int j, const Vector* x, Parts& out) {
    if (j >= 0) {
      TrustModel::convolve(*x, w_.col(j), a_);
      TrustModel::saturate(a_.data(), 0.5 * p_.lam[j], h_.data(), static_cast<int>(T_));
    }
    outcome(j, out);
  }

  /// The model with channel j's adstock scaled by k: the activity x[j, t] times k on
  /// every period when the inputs carry no activity of j after the data (the extended
  /// inputs of roi() and response_curves()): adstock is linear in x.
  void evaluate_scaled(int j, double k, Parts& out) {
    a_ = k * A_.col(j);
    TrustModel::saturate(a_.data(), 0.5 * p_.lam[j], h_.data(), static_cast<int>(T_));
    outcome(j, out);
  }

 private:
  /// mu, G and c with channel j's saturated activity taken from h_ (j < 0: none).
  void outcome(int j, Parts& out) {
    const int T = static_cast<int>(T_);
    if (j >= 0 && !(m_.d_.trust_enabled && m_.d_.trust[static_cast<std::size_t>(j)])) {
      // j does not feed the stock: G is that of the inputs and only j's own term changes,
      // c' = c + beta_j (h' - h) and mu' = mu + beta_j (h' - h) (1 + theta G).
      out.stock = full_.stock;
      out.conversion = full_.conversion;
      out.mu = full_.mu;
      const int s = conv_pos_[static_cast<std::size_t>(j)];
      if (s < 0) return;
      const double beta = p_.beta[s];
      const double* hj = H_.col(j).data();
      for (int t = 0; t < T; ++t) {
        const double dc = beta * (h_[t] - hj[t]);
        out.conversion[t] += dc;
        out.mu[t] += dc * (1.0 + p_.theta * out.stock[t]);
      }
      return;
    }
    auto h = [&](int c) -> const double* { return c == j ? h_.data() : H_.col(c).data(); };
    out.mu.resize(T_);
    out.stock.setZero(T_);
    out.conversion.setZero(T_);
    if (m_.d_.trust_enabled) {
      inflow_.setZero();
      for (int i = 0; i < m_.P_; ++i) {
        const double* hc = h(m_.trust_idx_[static_cast<std::size_t>(i)]);
        for (int t = 0; t < T; ++t) inflow_[t] += p_.kappa[i] * hc[t];
      }
      m_.stock_path(p_, inflow_, shocks_, out.stock);  // the model's trust form
    }
    for (int s = 0; s < m_.S_; ++s) {
      const double* hc = h(m_.conv_idx_[static_cast<std::size_t>(s)]);
      for (int t = 0; t < T; ++t) out.conversion[t] += p_.beta[s] * hc[t];
    }
    for (int t = 0; t < T; ++t)
      out.mu[t] = base_[t] + p_.gamma * out.stock[t] + out.conversion[t] + p_.theta * out.stock[t] * out.conversion[t];
  }

  const TrustModel& m_;
  const Matrix& media_;
  const Matrix& baseline_;
  const Matrix& shocks_;
  Eigen::Index T_;
  TrustModelParameters p_;
  Matrix w_, dw_, A_, H_;
  Vector a_, h_, inflow_, base_;
  std::vector<int> conv_pos_;  // per channel: its position among the conversion channels, or -1
  Parts full_;
};

/// Checks a draws matrix: one column per unconstrained parameter, >= 1 row, finite.
inline void check_draws(const TrustModel& m, const Matrix& draws) {
  if (draws.cols() != m.dimension())
    fail("draws must have one column per unconstrained parameter (", m.dimension(), "), got ", draws.cols());
  if (draws.rows() < 1) fail("draws must have at least one row (one draw)");
  for (Eigen::Index j = 0; j < draws.cols(); ++j)
    for (Eigen::Index i = 0; i < draws.rows(); ++i)
      if (!std::isfinite(draws(i, j))) fail("draws: row ", i, ", column ", j, " is ", draws(i, j), "; draws must be finite");
}

inline void check_scale(double outcome_scale) {
  if (!(outcome_scale > 0.0) || !std::isfinite(outcome_scale))
    fail("outcome_scale must be a finite number > 0, got ", outcome_scale);
}

/// Runs body(i, engine-free) for every draw i in [0, n): blocks of draws on `threads`
/// threads; make(...) is called once per block for its scratch state.
template <class Make, class Body>
void for_each_draw(Eigen::Index n, int threads, Make&& make, Body&& body) {
  parallel_for_blocks(
      static_cast<std::ptrdiff_t>(n), threads, 1,
      [&](std::ptrdiff_t begin, std::ptrdiff_t end) {
        auto state = make();
        for (std::ptrdiff_t i = begin; i < end; ++i) body(static_cast<Eigen::Index>(i), state);
      },
      4);
}

/// The model's data extended by `horizon` periods of zero media, zero baseline and no
/// shocks (the trust stock then decays freely).
struct Extended {
  Matrix media, baseline, shocks;
  Extended(const TrustModel& m, int horizon) {
    if (horizon < 0) fail("horizon must be >= 0 periods, got ", horizon);
    const auto& d = m.data();
    const Eigen::Index T = d.media.rows(), Tn = T + horizon;
    // The analyses keep a few (T + horizon) x (channels + baseline + shocks + 4) matrices
    // per thread (counted as 8 in all); refuse a horizon that cannot fit before allocating.
    require_memory(8.0 * 8.0 * static_cast<double>(Tn) *
                       static_cast<double>(d.media.cols() + d.baseline.cols() + d.shocks.cols() + 4),
                   "the analyses over the data plus the horizon",
                   "pass a shorter horizon (the trust stock's effect is counted when it has decayed: a few "
                   "half-lives suffice)");
    media = Matrix::Zero(Tn, d.media.cols());
    media.topRows(T) = d.media;
    baseline = Matrix::Zero(Tn, d.baseline.cols());
    baseline.topRows(T) = d.baseline;
    shocks = Matrix::Zero(Tn, d.trust_enabled ? d.shocks.cols() : 0);
    if (d.trust_enabled) shocks.topRows(T) = d.shocks;
  }
};

inline double ratio_or_nan(double num, double den) {
  return den > 0.0 ? num / den : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace detail

// ---------------------------------------------------------------------------- ROI

/// Settings of roi().
struct RoiSettings {
  int horizon = 104;      ///< periods after the data, zero activity, over which effects are counted
  int window_begin = 0;   ///< first period of the window W (0-based, inclusive)
  int window_end = -1;    ///< last period of W (inclusive); -1: the last period of the data
  Vector spend;           ///< spend of each channel inside W (currency), one per media column
  /// Value of one unit of outcome; NaN (default): no value, the ROIs are NaN and only
  /// cost_per_incremental is reported.
  double value_per_outcome = std::numeric_limits<double>::quiet_NaN();
  double outcome_scale = 1.0;  ///< outcome units per model unit
  int threads = 0;             ///< 0: every hardware thread
};

/// roi() per draw: each member is n_draws x channels (outcome units, currency ratios).
struct RoiDraws {
  Matrix incremental_short, incremental_long, incremental_total;
  Matrix via_trust_direct, via_amplification, own;
  Matrix roi_short, roi_total, marginal_roi, cost_per_incremental;
};

/// Incremental outcome, its short/long and exact path split, ROI, marginal ROI and cost
/// per incremental outcome of every channel for every draw (definitions at the top of
/// this file). Cost per draw: O(T' C (L + P + S)), T' = periods + horizon.
[[nodiscard]] inline RoiDraws roi(const TrustModel& model, const Matrix& draws, const RoiSettings& s) {
  detail::check_draws(model, draws);
  detail::check_scale(s.outcome_scale);
  const int T = model.periods();
  const int C = static_cast<int>(model.data().media.cols());
  const int lo = s.window_begin, hi = s.window_end == -1 ? T - 1 : s.window_end;  // -1: the last period
  if (lo < 0 || hi >= T || lo > hi)
    fail("window must satisfy 0 <= begin <= end < ", T, " (periods of the data), got [", lo, ", ", hi, "]");
  if (s.spend.size() != C) fail("spend needs one value per channel (", C, "), got ", s.spend.size());
  for (int c = 0; c < C; ++c)
    if (!(s.spend[c] >= 0.0) || !std::isfinite(s.spend[c])) fail("spend[", c, "] must be finite and >= 0, got ", s.spend[c]);
  const double v = s.value_per_outcome;
  if (!std::isnan(v) && (!(v > 0.0) || !std::isfinite(v)))
    fail("value_per_outcome must be a finite number > 0 (or NaN for none), got ", v);
  const detail::Extended ext(model, s.horizon);
  const Eigen::Index n = draws.rows();
  RoiDraws r;
  for (Matrix* mtx : {&r.incremental_short, &r.incremental_long, &r.incremental_total, &r.via_trust_direct,
                      &r.via_amplification, &r.own, &r.roi_short, &r.roi_total, &r.marginal_roi, &r.cost_per_incremental})
    mtx->resize(n, C);
  const double ys = s.outcome_scale;
  const Eigen::Index cut = std::min<Eigen::Index>(hi + 1 + model.data().max_lag, ext.media.rows());
  struct State {
    detail::DrawEngine engine;
    detail::DrawEngine::Parts full, cf, up;
    Vector x;
  };
  detail::for_each_draw(
      n, s.threads, [&] { return State{detail::DrawEngine(model, ext.media, ext.baseline, ext.shocks), {}, {}, {}, {}}; },
      [&](Eigen::Index i, State& st) {
        st.engine.set_draw(draws.row(i).transpose());
        const auto& p = st.engine.params();
        st.full = st.engine.full();
        const double amp_full = p.theta * st.full.stock.cwiseProduct(st.full.conversion).sum();
        const double own_full = st.full.conversion.sum();
        for (int c = 0; c < C; ++c) {
          st.x = ext.media.col(c);
          st.x.segment(lo, hi - lo + 1).setZero();
          st.engine.evaluate(c, &st.x, st.cf);
          double short_sum = 0.0, long_sum = 0.0;
          for (Eigen::Index t = 0; t < st.full.mu.size(); ++t) {
            const double d = (st.full.mu[t] - st.cf.mu[t]) * ys;
            (t < cut ? short_sum : long_sum) += d;
          }
          const double total = short_sum + long_sum;
          r.incremental_short(i, c) = short_sum;
          r.incremental_long(i, c) = long_sum;
          r.incremental_total(i, c) = total;
          r.via_trust_direct(i, c) = p.gamma * (st.full.stock - st.cf.stock).sum() * ys;
          r.via_amplification(i, c) = (amp_full - p.theta * st.cf.stock.cwiseProduct(st.cf.conversion).sum()) * ys;
          r.own(i, c) = (own_full - st.cf.conversion.sum()) * ys;
          st.x = ext.media.col(c);
          st.x.segment(lo, hi - lo + 1) *= 1.01;
          st.engine.evaluate(c, &st.x, st.up);
          const double gain = (st.up.mu - st.full.mu).sum() * ys;
          const double sp = s.spend[c];
          r.roi_short(i, c) = detail::ratio_or_nan(short_sum * v - sp, sp);
          r.roi_total(i, c) = detail::ratio_or_nan(total * v - sp, sp);
          r.marginal_roi(i, c) = detail::ratio_or_nan(gain * v - 0.01 * sp, 0.01 * sp);
          r.cost_per_incremental(i, c) = total > 0.0 ? sp / total : std::numeric_limits<double>::quiet_NaN();
        }
      });
  return r;
}

// ------------------------------------------------------------------ response curves

/// Settings of response_curves().
struct ResponseCurveSettings {
  int horizon = 104;          ///< periods after the data counted (zero activity)
  std::vector<int> channels;  ///< media columns (empty: every channel)
  Vector multipliers;         ///< k >= 0: the channel's activity over the data times k
  double outcome_scale = 1.0;
  int threads = 0;
};

/// Incremental outcome of scaling channel c's activity over the whole data by k, against
/// the same run with the channel at zero, over the data plus `horizon` periods:
///   inc(c, k) = (sum_t mu_k[t] - sum_t mu_0[t]) outcome_scale.
/// One n_draws x multipliers matrix per requested channel (in the order of `channels`).
[[nodiscard]] inline std::vector<Matrix> response_curves(const TrustModel& model, const Matrix& draws,
                                                         ResponseCurveSettings s) {
  detail::check_draws(model, draws);
  detail::check_scale(s.outcome_scale);
  const int C = static_cast<int>(model.data().media.cols());
  if (s.channels.empty())
    for (int c = 0; c < C; ++c) s.channels.push_back(c);
  for (int c : s.channels)
    if (c < 0 || c >= C) fail("channel index ", c, " is out of range [0, ", C, ")");
  for (Eigen::Index k = 0; k < s.multipliers.size(); ++k)
    if (!(s.multipliers[k] >= 0.0) || !std::isfinite(s.multipliers[k]))
      fail("multipliers[", k, "] must be finite and >= 0, got ", s.multipliers[k]);
  const detail::Extended ext(model, s.horizon);
  const Eigen::Index n = draws.rows(), K = s.multipliers.size();
  std::vector<Matrix> out(s.channels.size(), Matrix(n, K));
  struct State {
    detail::DrawEngine engine;
    detail::DrawEngine::Parts parts;
  };
  detail::for_each_draw(
      n, s.threads, [&] { return State{detail::DrawEngine(model, ext.media, ext.baseline, ext.shocks), {}}; },
      [&](Eigen::Index i, State& st) {
        st.engine.set_draw(draws.row(i).transpose());
        for (std::size_t q = 0; q < s.channels.size(); ++q) {
          const int c = s.channels[q];
          // The channel's activity over the data times k; it is zero after the data, so
          // its adstock is k times the actual adstock on the data and the part of the
          // actual adstock that carries over past the end times k (adstock is linear).
          st.engine.evaluate_scaled(c, 0.0, st.parts);
          const double zero_sum = st.parts.mu.sum();
          for (Eigen::Index k = 0; k < K; ++k) {
            st.engine.evaluate_scaled(c, s.multipliers[k], st.parts);
            out[q](i, k) = (st.parts.mu.sum() - zero_sum) * s.outcome_scale;
          }
        }
      });
  return out;
}

// ------------------------------------------------------------------- decomposition

/// Posterior mean of the additive decomposition of mu (outcome units), per period:
///   mu = base + sum_k trust_direct[:, k] + sum_k amplification[:, k] + sum_s own[:, s]
/// with k over the trust channels, then shocks, then the initial stock: trust_direct_k =
/// gamma G share_k and amplification_k = theta G (sum_s beta_s h_s) share_k, share_k =
/// G^(k) / G (0 where G = 0), the exact split of the linear stock recursion (for the
/// bounded trust form, G^(k) is channel k's Shapley value over the trust channels, see
/// TrustModel::bounded_split; the parts still add up to G exactly); own_s = beta_s h_s. Without trust the trust columns are 0 (P + 2 columns still).
struct Decomposition {
  Vector base;          ///< T
  Matrix trust_direct;  ///< T x (P + 2)
  Matrix amplification; ///< T x (P + 2)
  Matrix own;           ///< T x S
};

/// The decomposition of every draw, averaged: sum over draws (in fixed blocks of 32
/// draws, summed in order, so the result does not depend on the thread count) / n.
[[nodiscard]] inline Decomposition decompose(const TrustModel& model, const Matrix& draws, double outcome_scale = 1.0,
                                             int threads = 0) {
  detail::check_draws(model, draws);
  detail::check_scale(outcome_scale);
  const auto& d = model.data();
  const Eigen::Index T = model.periods(), n = draws.rows();
  const Eigen::Index S = model.conversion_count(), P2 = model.trust_count() + 2;
  constexpr Eigen::Index chunk = 32;
  const Eigen::Index chunks = (n + chunk - 1) / chunk;
  std::vector<Decomposition> part(static_cast<std::size_t>(chunks));
  const double ys = outcome_scale;
  parallel_for_blocks(static_cast<std::ptrdiff_t>(chunks), threads, 1, [&](std::ptrdiff_t b0, std::ptrdiff_t b1) {
    for (std::ptrdiff_t b = b0; b < b1; ++b) {
      Decomposition& acc = part[static_cast<std::size_t>(b)];
      acc.base = Vector::Zero(T);
      acc.trust_direct = Matrix::Zero(T, P2);
      acc.amplification = Matrix::Zero(T, P2);
      acc.own = Matrix::Zero(T, S);
      for (Eigen::Index i = b * chunk; i < std::min(n, (b + 1) * chunk); ++i) {
        const TrustModelForward f = model.forward_on(draws.row(i).transpose(), d.media, d.baseline, d.shocks);
        acc.base += f.base * ys;
        if (d.trust_enabled) {
          const Eigen::Index P = P2 - 2;
          for (Eigen::Index t = 0; t < T; ++t) {
            const double g = f.trust_stock[t], amp_total = f.amplification.row(t).sum();
            for (Eigen::Index k = 0; k < P2; ++k) {
              const double part_k = k < P ? f.trust_by_channel(t, k) : (k == P ? f.trust_from_shocks[t] : f.trust_from_initial[t]);
              const double share = g != 0.0 ? part_k / g : 0.0;
              acc.trust_direct(t, k) += f.trust_direct[t] * share * ys;
              acc.amplification(t, k) += amp_total * share * ys;
            }
          }
        }
        acc.own += f.conversion_own * ys;
      }
    }
  });
  Decomposition out = part[0];
  for (std::size_t b = 1; b < part.size(); ++b) {
    out.base += part[b].base;
    out.trust_direct += part[b].trust_direct;
    out.amplification += part[b].amplification;
    out.own += part[b].own;
  }
  const double inv = 1.0 / static_cast<double>(n);
  out.base *= inv;
  out.trust_direct *= inv;
  out.amplification *= inv;
  out.own *= inv;
  return out;
}

// --------------------------------------------------------------- per-draw quantities

/// The fitted mean mu[t] of every draw on the data: n_draws x T, outcome units.
[[nodiscard]] inline Matrix mean_draws(const TrustModel& model, const Matrix& draws, double outcome_scale = 1.0,
                                       int threads = 0) {
  detail::check_draws(model, draws);
  detail::check_scale(outcome_scale);
  const auto& d = model.data();
  Matrix out(draws.rows(), model.periods());
  detail::for_each_draw(
      draws.rows(), threads, [] { return 0; },
      [&](Eigen::Index i, int&) {
        out.row(i) = model.forward_on(draws.row(i).transpose(), d.media, d.baseline, d.shocks).mu.transpose() * outcome_scale;
      });
  return out;
}

/// The constrained parameters of every draw: n_draws x constrained_dimension(), in the
/// order of TrustModel::constrained_names().
[[nodiscard]] inline Matrix constrained_draws(const TrustModel& model, const Matrix& draws, int threads = 0) {
  detail::check_draws(model, draws);
  Matrix out(draws.rows(), model.constrained_dimension());
  detail::for_each_draw(
      draws.rows(), threads, [&] { return Vector(model.constrained_dimension()); },
      [&](Eigen::Index i, Vector& row) {
        model.constrain_into(draws.row(i).transpose(), row);
        out.row(i) = row.transpose();
      });
  return out;
}

/// Settings of posterior_predictive().
struct PredictiveSettings {
  double outcome_scale = 1.0;  ///< outcome units per model unit (every likelihood, the negative binomial too: its mean is outcome_scale mu); pass model.data().outcome_scale
  std::uint64_t seed = 0;
  int threads = 0;
};

/// Posterior predictive draws y_rep ~ p(y | theta_i), one per row of draws (repeat a
/// row for several replicates at one point): n_draws x T, outcome units. Normal:
/// mu + sigma e; lognormal: mu exp(sigma e - sigma^2 / 2); negative binomial:
/// Poisson(Gamma(shape phi, scale mu / phi)) counts (mean mu, variance mu + mu^2 / phi);
/// e ~ N(0, 1). Draw i has its own stream, std::mt19937_64 seeded by std::seed_seq from
/// (seed, i), and Boost.Random's distributions (fixed algorithms), so the result is the
/// same on every run and for every thread count.
[[nodiscard]] inline Matrix posterior_predictive(const TrustModel& model, const Matrix& draws, const PredictiveSettings& s) {
  detail::check_draws(model, draws);
  detail::check_scale(s.outcome_scale);
  const auto& d = model.data();
  const Eigen::Index T = model.periods();
  Matrix out(draws.rows(), T);
  detail::for_each_draw(
      draws.rows(), s.threads, [] { return 0; },
      [&](Eigen::Index i, int&) {
        const Vector z = draws.row(i).transpose();
        const Vector mu = model.forward_on(z, d.media, d.baseline, d.shocks).mu * s.outcome_scale;
        const double noise = model.constrain(z).sigma;
        const auto ii = static_cast<std::uint64_t>(i);
        std::seed_seq seq{static_cast<std::uint32_t>(s.seed & 0xffffffffU), static_cast<std::uint32_t>(s.seed >> 32U),
                          static_cast<std::uint32_t>(ii & 0xffffffffU), static_cast<std::uint32_t>(ii >> 32U),
                          0x70706364U /* "ppcd" */};
        std::mt19937_64 rng(seq);
        boost::random::normal_distribution<double> normal(0.0, 1.0);
        for (Eigen::Index t = 0; t < T; ++t) {
          switch (d.likelihood) {
            case Likelihood::normal: out(i, t) = mu[t] + noise * s.outcome_scale * normal(rng); break;
            case Likelihood::lognormal: out(i, t) = mu[t] * std::exp(noise * normal(rng) - 0.5 * noise * noise); break;
            case Likelihood::negative_binomial: {
              const double m = std::max(mu[t], 1e-300);
              const double rate = boost::random::gamma_distribution<double>(noise, m / noise)(rng);
              out(i, t) = rate > 0.0 ? static_cast<double>(boost::random::poisson_distribution<std::int64_t, double>(rate)(rng))
                                     : 0.0;
              break;
            }
          }
        }
      });
  return out;
}

/// Per-draw values behind a summary table, in outcome units where the quantity is an
/// outcome amount (times outcome_scale): per channel c: alpha, adstock half-life
/// ln 0.5 / ln alpha (periods), lam; per conversion channel: beta outcome_scale; with
/// trust: delta, trust half-life ln 0.5 / ln delta, kappa per trust channel, gamma
/// outcome_scale, theta, omega per shock; per baseline column b outcome_scale; the noise
/// (normal: sigma outcome_scale; lognormal: sigma; negative binomial: phi). `keys[q]`
/// and `index[q]` name column q (index: channel, conversion channel, trust channel,
/// shock or baseline column; -1 for scalars).
struct SummaryValues {
  Matrix values;  ///< n_draws x quantities
  std::vector<std::string> keys;
  std::vector<int> index;
};

[[nodiscard]] inline SummaryValues summary_values(const TrustModel& model, const Matrix& draws, double outcome_scale = 1.0,
                                                  int threads = 0) {
  detail::check_draws(model, draws);
  detail::check_scale(outcome_scale);
  const auto& d = model.data();
  const int C = static_cast<int>(d.media.cols()), S = model.conversion_count(), P = model.trust_count();
  const int E = d.trust_enabled ? static_cast<int>(d.shocks.cols()) : 0, K = static_cast<int>(d.baseline.cols());
  SummaryValues out;
  auto add = [&](const char* key, int count, bool scalar = false) {
    for (int i = 0; i < count; ++i) {
      out.keys.emplace_back(key);
      out.index.push_back(scalar ? -1 : i);
    }
  };
  for (int c = 0; c < C; ++c) {
    out.keys.insert(out.keys.end(), {"alpha", "adstock_half_life", "lam"});
    out.index.insert(out.index.end(), {c, c, c});
  }
  add("beta", S);
  if (d.trust_enabled) {
    add("delta", 1, true);
    add("trust_half_life", 1, true);
    add("kappa", P);
    add("gamma", 1, true);
    add("theta", 1, true);
    add("omega", E);
  }
  add("b", K);
  add("sigma", 1, true);
  if (model.bounded()) {  // bounded trust form: baseline share b, inflow strength rho (appended)
    add("trust_base", 1, true);
    add("trust_inflow", 1, true);
  }
  const double ys = outcome_scale;
  const auto half_life = [](double rate) {
    return rate > 0.0 && rate < 1.0 ? std::log(0.5) / std::log(rate) : std::numeric_limits<double>::quiet_NaN();
  };
  out.values.resize(draws.rows(), static_cast<Eigen::Index>(out.keys.size()));
  detail::for_each_draw(
      draws.rows(), threads, [] { return 0; },
      [&](Eigen::Index i, int&) {
        const TrustModelParameters p = model.constrain(draws.row(i).transpose());
        Eigen::Index q = 0;
        for (int c = 0; c < C; ++c) {
          out.values(i, q++) = p.alpha[c];
          out.values(i, q++) = half_life(p.alpha[c]);
          out.values(i, q++) = p.lam[c];
        }
        for (int j = 0; j < S; ++j) out.values(i, q++) = p.beta[j] * ys;
        if (d.trust_enabled) {
          out.values(i, q++) = p.delta;
          out.values(i, q++) = half_life(p.delta);
          for (int j = 0; j < P; ++j) out.values(i, q++) = p.kappa[j];
          out.values(i, q++) = p.gamma * ys;
          out.values(i, q++) = p.theta;
          for (int e = 0; e < E; ++e) out.values(i, q++) = p.omega[e];
        }
        for (int k = 0; k < K; ++k) out.values(i, q++) = p.b[k] * ys;
        out.values(i, q++) = d.likelihood == Likelihood::normal ? p.sigma * ys : p.sigma;
        if (model.bounded()) {
          out.values(i, q++) = p.trust_base;
          out.values(i, q++) = p.inflow;
        }
      });
  return out;
}

/// The posterior summary of every quantity of summary_values(): draws come as `chains`
/// consecutive blocks of equal length (rows of `draws`, chain after chain). Per quantity:
/// mean; sd (n - 1 in the denominator); the equal-tailed `interval` bounds low/high
/// (linear interpolation between order statistics, numpy's default); r_hat (rank-
/// normalised split R-hat) and ess_bulk (trustmix::inference), NaN when a value is not
/// finite or all draws are equal. Quantities run in parallel.
struct SummaryTable {
  std::vector<std::string> keys;
  std::vector<int> index;
  Vector mean, sd, low, high, r_hat, ess_bulk;
};

[[nodiscard]] inline SummaryTable summary_table(const TrustModel& model, const Matrix& draws, int chains,
                                                double outcome_scale = 1.0, double interval = 0.9, int threads = 0) {
  if (chains < 1 || draws.rows() % chains != 0)
    fail("chains must divide the number of draws (", draws.rows(), "), got ", chains);
  if (!(interval > 0.0 && interval < 1.0)) fail("interval must be in (0, 1), got ", interval);
  const SummaryValues sv = summary_values(model, draws, outcome_scale, threads);
  const Eigen::Index Q = sv.values.cols(), n = draws.rows(), per_chain = n / chains;
  SummaryTable out{sv.keys, sv.index, Vector(Q), Vector(Q), Vector(Q), Vector(Q), Vector(Q), Vector(Q)};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double lo = (1.0 - interval) / 2.0, hi = 1.0 - lo;
  // The normal scores of the ranks 1..S of the split draws, shared (read-only) by every
  // quantity's rank normalisations (the same bits as computing them per quantity).
  const std::vector<double> scores =
      per_chain >= 4 && Q > 0 ? inference::detail::rank_normal_scores(inference::detail::split_size(per_chain, chains))
                              : std::vector<double>{};
  parallel_for_blocks(static_cast<std::ptrdiff_t>(Q), threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (auto qq = b; qq < e; ++qq) {
      const auto q = static_cast<Eigen::Index>(qq);
      const Vector x = sv.values.col(q);
      const double mean = x.mean();
      out.mean[q] = mean;
      out.sd[q] = n > 1 ? std::sqrt((x.array() - mean).square().sum() / static_cast<double>(n - 1)) : nan;
      std::vector<double> sorted(x.data(), x.data() + n);
      std::sort(sorted.begin(), sorted.end());
      out.low[q] = inference::detail::quantile_sorted(sorted, lo);
      out.high[q] = inference::detail::quantile_sorted(sorted, hi);
      const bool usable = x.allFinite() && sorted.front() != sorted.back() && per_chain >= 4;
      if (usable) {
        // inference::rhat and inference::ess_bulk, step by step so that the rank-normalised
        // split chains they share are computed once (the same numbers: tested).
        namespace id = inference::detail;
        const Matrix split = id::split_chains(Eigen::Map<const Matrix>(x.data(), per_chain, chains));
        const Matrix z = id::z_scale(split, scores);
        const double median = id::quantile_sorted(id::sorted_values(split), 0.5);
        const double tail = id::rhat_columns(id::z_scale((split.array() - median).abs().matrix(), scores));
        out.r_hat[q] = std::max(id::rhat_columns(z), tail);
        out.ess_bulk[q] = id::ess_columns(z);
      } else {
        out.r_hat[q] = nan;
        out.ess_bulk[q] = nan;
      }
    }
  });
  return out;
}

/// Where each channel saturates, per draw (n_draws x C each). The logistic curve
/// h(a) = tanh(lam a / 2) of adstocked activity a reaches share q of its maximum at
/// a_q = 2 artanh(q) / lam; times media_scale[c] in activity units. mean_adstock: mean
/// adstocked activity over the periods where the channel is active (x > 0), activity
/// units; saturation_at_mean: h there (0..1).
struct SaturationPoints {
  Matrix half_saturation, saturation_90, mean_adstock, saturation_at_mean;
};

[[nodiscard]] inline SaturationPoints saturation_points(const TrustModel& model, const Matrix& draws,
                                                        const Vector& media_scale, int threads = 0) {
  detail::check_draws(model, draws);
  const auto& d = model.data();
  const Eigen::Index C = d.media.cols(), T = model.periods();
  if (media_scale.size() != C) fail("media_scale needs one value per channel (", C, "), got ", media_scale.size());
  for (Eigen::Index c = 0; c < C; ++c)
    if (!(media_scale[c] > 0.0) || !std::isfinite(media_scale[c]))
      fail("media_scale[", c, "] must be finite and > 0, got ", media_scale[c]);
  SaturationPoints out;
  for (Matrix* m : {&out.half_saturation, &out.saturation_90, &out.mean_adstock, &out.saturation_at_mean})
    m->resize(draws.rows(), C);
  detail::for_each_draw(
      draws.rows(), threads, [] { return 0; },
      [&](Eigen::Index i, int&) {
        const TrustModelForward f = model.forward_on(draws.row(i).transpose(), d.media, d.baseline, d.shocks);
        const TrustModelParameters p = model.constrain(draws.row(i).transpose());
        for (Eigen::Index c = 0; c < C; ++c) {
          double sum = 0.0;
          Eigen::Index active = 0;
          for (Eigen::Index t = 0; t < T; ++t)
            if (d.media(t, c) > 0.0) {
              sum += f.adstock(t, c);
              ++active;
            }
          const double mean_a = sum / static_cast<double>(active);
          out.half_saturation(i, c) = 2.0 * std::atanh(0.5) / p.lam[c] * media_scale[c];
          out.saturation_90(i, c) = 2.0 * std::atanh(0.9) / p.lam[c] * media_scale[c];
          out.mean_adstock(i, c) = mean_a * media_scale[c];
          out.saturation_at_mean(i, c) = std::tanh(p.lam[c] * mean_a / 2.0);
        }
      });
  return out;
}

// ------------------------------------------------------------------ counterfactual

/// The outcome under other media at one parameter vector z (outcome units per period):
/// predicted (actual media), counterfactual, difference = predicted - counterfactual and
/// its exact path split difference_trust_direct = gamma (G - G_cf), difference_
/// amplification = theta (G c - G_cf c_cf), difference_own = c - c_cf (c = sum_s beta_s h_s).
struct Counterfactual {
  Vector predicted, counterfactual, difference, difference_trust_direct, difference_amplification, difference_own;
};

/// media: T x C scaled activity (the model's units), >= 0 and finite.
[[nodiscard]] inline Counterfactual counterfactual(const TrustModel& model, const Eigen::Ref<const Vector>& z,
                                                   const Matrix& media, double outcome_scale = 1.0) {
  detail::check_scale(outcome_scale);
  const auto& d = model.data();
  if (media.rows() != d.media.rows() || media.cols() != d.media.cols())
    fail("media must be ", d.media.rows(), " x ", d.media.cols(), ", got ", media.rows(), " x ", media.cols());
  for (Eigen::Index c = 0; c < media.cols(); ++c)
    for (Eigen::Index t = 0; t < media.rows(); ++t)
      if (!(media(t, c) >= 0.0) || !std::isfinite(media(t, c)))
        fail("media: row ", t, ", column ", c, " is ", media(t, c), "; media must be finite and >= 0");
  const TrustModelForward f0 = model.forward_on(z, d.media, d.baseline, d.shocks);
  const TrustModelForward f1 = model.forward_on(z, media, d.baseline, d.shocks);
  const TrustModelParameters p = model.constrain(z);
  const double ys = outcome_scale;
  Counterfactual out;
  out.predicted = f0.mu * ys;
  out.counterfactual = f1.mu * ys;
  out.difference = out.predicted - out.counterfactual;
  out.difference_trust_direct = d.trust_enabled ? Vector(p.gamma * (f0.trust_stock - f1.trust_stock) * ys)
                                                : Vector(Vector::Zero(model.periods()));
  out.difference_amplification = (f0.amplification.rowwise().sum() - f1.amplification.rowwise().sum()) * ys;
  out.difference_own = (f0.conversion_own.rowwise().sum() - f1.conversion_own.rowwise().sum()) * ys;
  return out;
}

}  // namespace trustmix::mmm
