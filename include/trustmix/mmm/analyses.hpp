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
//
// Log link (TrustModelData::link = log, mu = exp(eta)): diff, short, long, the ROIs,
// marginal ROIs and response curves are the same differences of forward passes, so they
// stay exact. The path split is then an allocation: per period, each path's difference
// on the log scale (gamma dG, theta d(G c), dc, which sum to d eta = eta - eta_cf) takes
// its share of diff[t] = mu_cf (exp(d eta) - 1), i.e. x mu_cf[t] (exp(d eta) - 1) / d eta
// (x mu_cf[t] where d eta = 0), so the three still add up to the total. Past the data the
// baseline is not zero (it would set the outcome's level to exp(0) there) but each
// baseline column held at its mean over the last min(T, 52) periods of the data (a year
// of weekly data: the seasonal terms about cancel, the trend near its end, controls at
// their recent level), since under the log link the baseline's level multiplies every
// effect.
#include <cmath>
#include <cstdint>
#include <cstring>
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
#include "trustmix/transforms/simd.hpp"

namespace trustmix::mmm {

namespace detail {

/// y[t] = sum_{l=0}^{min(t, L)} w[l] x[t - l] for t in [t0, t1), t1 <= T, in the order
/// of TrustModel::convolve: from 0.0, l ascending, one rounding per multiplication and
/// per addition.
inline void convolve_scalar(const double* x, const double* w, Eigen::Index L1, double* y, Eigen::Index t0, Eigen::Index t1) {
  for (Eigen::Index t = t0; t < t1; ++t) {
    double acc = 0.0;
    const Eigen::Index lmax = std::min<Eigen::Index>(t, L1 - 1);
    for (Eigen::Index l = 0; l <= lmax; ++l) acc += w[l] * x[t - l];
    y[t] = acc;
  }
}

#if defined(TRUSTMIX_TRANSFORMS_X86)
/// convolve_scalar for t in [L1 - 1, T) on 16 periods at a time (four AVX registers of
/// sums, each lane one period): the same operations per period in the same order.
/// Compiled for AVX only, without FMA, so that no multiply-add is fused (the baseline
/// build fuses none).
[[gnu::target("avx")]] inline void convolve_avx(const double* x, const double* w, Eigen::Index L1, double* y,
                                                Eigen::Index T) {
  Eigen::Index t = L1 - 1;
  for (; t + 16 <= T; t += 16) {
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    for (Eigen::Index l = 0; l < L1; ++l) {
      const __m256d wl = _mm256_broadcast_sd(w + l);
      const double* xs = x + (t - l);
      a0 = _mm256_add_pd(a0, _mm256_mul_pd(wl, _mm256_loadu_pd(xs)));
      a1 = _mm256_add_pd(a1, _mm256_mul_pd(wl, _mm256_loadu_pd(xs + 4)));
      a2 = _mm256_add_pd(a2, _mm256_mul_pd(wl, _mm256_loadu_pd(xs + 8)));
      a3 = _mm256_add_pd(a3, _mm256_mul_pd(wl, _mm256_loadu_pd(xs + 12)));
    }
    _mm256_storeu_pd(y + t, a0);
    _mm256_storeu_pd(y + t + 4, a1);
    _mm256_storeu_pd(y + t + 8, a2);
    _mm256_storeu_pd(y + t + 12, a3);
  }
  for (; t + 4 <= T; t += 4) {
    __m256d a0 = _mm256_setzero_pd();
    for (Eigen::Index l = 0; l < L1; ++l)
      a0 = _mm256_add_pd(a0, _mm256_mul_pd(_mm256_broadcast_sd(w + l), _mm256_loadu_pd(x + (t - l))));
    _mm256_storeu_pd(y + t, a0);
  }
  convolve_scalar(x, w, L1, y, t, T);
}
#endif

/// The direct normalised adstock sum y[t] = sum_{l=0}^{min(t, L)} w[l] x[t - l] of
/// TrustModel::convolve, with the same additions in the same order for every t (from
/// 0.0, l ascending), so the same bits (tested); several periods at a time (AVX when the
/// CPU has it, transforms' run-time dispatch) instead of one chain of dependent
/// additions per period. x, w and y contiguous; y has x.size() entries, not
/// overlapping x.
template <class X, class W, class Y>
void convolve(const X& x, const W& w, Y&& y) {
  const Eigen::Index T = x.size(), L1 = w.size();
  const double* xp = x.data();
  const double* wp = w.data();
  double* yp = y.data();
  const Eigen::Index head = std::min<Eigen::Index>(L1 - 1, T);  // periods with a shorter window
  convolve_scalar(xp, wp, L1, yp, 0, head);
#if defined(TRUSTMIX_TRANSFORMS_X86)
  if (transforms::detail::simd::cpu_has_avx2_fma()) {
    convolve_avx(xp, wp, L1, yp, T);
    return;
  }
#endif
  // Baseline: l outer, t inner (the compiler vectorises over t).
  for (Eigen::Index t = head; t < T; ++t) yp[t] = 0.0;
  for (Eigen::Index l = 0; l < L1; ++l) {
    const double wl = wp[l];
    for (Eigen::Index t = head; t < T; ++t) yp[t] += wl * xp[t - l];
  }
}

/// The model's kernels for one draw at a time on fixed (possibly extended) inputs, with
/// one channel's activity replaceable: what ROI and response curves evaluate many times
/// per draw. One engine per thread (it holds scratch buffers).
class DrawEngine {
 public:
  /// Scratch buffers of constrain(): sized once, so that constraining a draw allocates
  /// nothing.
  struct ConstrainScratch {
    Vector w, dw, a, h, inflow, G;
    Matrix H;                  ///< T x C saturated activity of the channels constrain() needs
    std::vector<char> done;    ///< per channel: H.col(c) holds the current draw's
  };

  /// TrustModel::constrain(z) into p, the same numbers to the bit (the same kernels and
  /// the same operations in the same order, tested), faster: the adstock sums are
  /// vectorised over periods (detail::convolve), a channel that is both trust and
  /// conversion is saturated once, and nothing is allocated per draw. For a conversion
  /// channel s: beta_s = exp(z_s) / (k_s sum_t h[s, t]) (k_s: 1/T or the ROI prior's
  /// scale), divided by the amplification at the mean stock unless beta is derived from
  /// a ROI; with trust, the intercept is the free level minus gamma mean(G) and the
  /// tracker's a_q its free level minus b_q mean(G over the observed periods).
  static void constrain(const TrustModel& m, const Eigen::Ref<const Vector>& z, ConstrainScratch& s,
                        TrustModelParameters& p) {
    m.constrain_free_into(z, p);
    const auto& d = m.d_;
    const int T = m.periods(), L1 = d.max_lag + 1;
    if (s.H.rows() != T || s.H.cols() != m.C_ || s.w.size() != L1) {
      s.w.resize(L1);
      s.dw.resize(L1);
      s.a.resize(T);
      s.h.resize(T);
      s.inflow.resize(T);
      s.G.resize(T);
      s.H.resize(T, m.C_);
    }
    s.done.assign(static_cast<std::size_t>(m.C_), 0);
    // h of channel c at the draw's (alpha, lam): TrustModel::saturated_sum's kernels.
    auto saturated = [&](int c) -> const double* {
      if (!s.done[static_cast<std::size_t>(c)] && m.rf_form(c) != RfForm::none) {  // RF: Adstock(r g(f))
        TrustModel::geometric_weights_into(p.alpha[c], s.w, s.dw);
        m.rf_input(c, p.lam[c], p.slope[c], d.media.col(c), s.a);
        convolve(s.a, s.w, s.H.col(c));
        s.done[static_cast<std::size_t>(c)] = 1;
      }
      if (!s.done[static_cast<std::size_t>(c)]) {
        TrustModel::geometric_weights_into(p.alpha[c], s.w, s.dw);
        convolve(d.media.col(c), s.w, s.a);
        TrustModel::saturate(s.a.data(), 0.5 * p.lam[c], s.H.col(c).data(), T);
        s.done[static_cast<std::size_t>(c)] = 1;
      }
      return s.H.col(c).data();
    };
    for (int j = 0; j < m.S_; ++j) {
      const int c = m.conv_idx_[static_cast<std::size_t>(j)];
      // The sum as TrustModel::saturated_sum takes it: Eigen's sum of a Vector of T.
      s.h = Eigen::Map<const Vector>(saturated(c), T);
      p.beta[j] /= m.contribution_scale_[j] * s.h.sum();
    }
    if (d.trust_enabled) {
      // TrustModel::stock_means.
      s.inflow.setZero();
      for (int i = 0; i < m.P_; ++i) {
        const double* hc = saturated(m.trust_idx_[static_cast<std::size_t>(i)]);
        const double k = p.kappa[i];
        for (int t = 0; t < T; ++t) s.inflow[t] += k * hc[t];
      }
      if (m.bounded()) p.inflow /= s.inflow.mean();  // TrustModel::mean_trust_inflow: rho = exp(z) / ubar
      m.stock_path(p, s.inflow, d.shocks, s.G);  // the model's trust form (linear or bounded)
      double sum = 0.0, sum_observed = 0.0;
      for (int t = 0; t < T; ++t) {
        sum += s.G[t];
        if (m.n_tracker_obs_ > 0 && !std::isnan(d.tracker[t])) sum_observed += s.G[t];
      }
      const double all = sum / T, observed = m.n_tracker_obs_ > 0 ? sum_observed / m.n_tracker_obs_ : 0.0;
      const double f = TrustModel::amplification_at_mean(p.theta, all).f;
      for (int j = 0; j < m.S_; ++j)
        if (!m.roi_[static_cast<std::size_t>(j)]) p.beta[j] /= f;
      if (m.intercept_col_ >= 0) p.b[m.intercept_col_] -= p.gamma * all;
      if (m.n_tracker_obs_ > 0) p.tracker_a -= p.tracker_b * observed;  // (tracker_share: b_q = 1)
    }
  }

  /// The constrained parameters of p in the order of TrustModel::constrained_names()
  /// (TrustModel::constrain_into's layout).
  static void flatten(const TrustModel& m, const TrustModelParameters& p, double* out) { m.flatten_into(p, out); }

  /// Outcome parts of one evaluation (model units, per period).
  struct Parts {
    Vector mu, stock, conversion;  ///< mu[t], G[t], c[t] = sum_s beta_s h[s, t]
    Vector eta;                    ///< log link only: the linear predictor, mu = exp(eta)
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
    trust_pos_.assign(static_cast<std::size_t>(C), -1);
    if (m_.d_.trust_enabled)
      for (int q = 0; q < m_.P_; ++q) trust_pos_[static_cast<std::size_t>(m_.trust_idx_[static_cast<std::size_t>(q)])] = q;
  }

  /// Constrains z and runs adstock and saturation of every channel on the inputs.
  void set_draw(const Eigen::Ref<const Vector>& z) {
    constrain(m_, z, cs_, p_);
    const int T = static_cast<int>(T_);
    for (int c = 0; c < m_.C_; ++c) {
      TrustModel::geometric_weights_into(p_.alpha[c], w_.col(c), dw_.col(c));
      if (m_.rf_form(c) != RfForm::none) {  // RF: h = a = Adstock(r g(f))
        m_.rf_input(c, p_.lam[c], p_.slope[c], media_.col(c), a_);
        detail::convolve(a_, w_.col(c), A_.col(c));
        H_.col(c) = A_.col(c);
        continue;
      }
      detail::convolve(media_.col(c), w_.col(c), A_.col(c));
      TrustModel::saturate(A_.col(c).data(), 0.5 * p_.lam[c], H_.col(c).data(), T);
    }
    base_.noalias() = baseline_ * p_.b;
    outcome(-1, full_);
    lift_.resize(0);  // response_increments() builds them for this draw when needed
    reach_.resize(0);
  }

  /// The evaluation of the inputs as they are (after set_draw()).
  [[nodiscard]] const Parts& full() const { return full_; }

  [[nodiscard]] const TrustModelParameters& params() const { return p_; }
  [[nodiscard]] const Matrix& media() const { return media_; }

  /// The model with channel j's activity replaced by x (T' values; j < 0: the inputs as
  /// they are). Writes mu, G and c into out.
  void evaluate(int j, const Vector* x, Parts& out) {
    if (j >= 0 && m_.rf_form(j) != RfForm::none) {  // RF: x is the reach; the frequency stays the data's
      m_.rf_input(j, p_.lam[j], p_.slope[j], *x, h_);
      detail::convolve(h_, w_.col(j), a_);
      h_ = a_;
    } else if (j >= 0) {
      detail::convolve(*x, w_.col(j), a_);
      TrustModel::saturate(a_.data(), 0.5 * p_.lam[j], h_.data(), static_cast<int>(T_));
    }
    outcome(j, out);
  }

  /// The model with channel j's adstock scaled by k: the activity x[j, t] times k on
  /// every period when the inputs carry no activity of j after the data (the extended
  /// inputs of roi() and response_curves()): adstock is linear in x.
  void evaluate_scaled(int j, double k, Parts& out) {
    a_ = k * A_.col(j);
    saturate_channel(j, T_);
    outcome(j, out);
  }

  /// sum_t (mu_k[t] - mu_0[t]) for each multiplier k of ks: channel j's activity times k
  /// against j at zero, every other input as it is (after set_draw(); inputs that carry
  /// no activity of j after the data, as evaluate_scaled()). With h_k = h(k a_j), the
  /// adstock being linear in x, and the stock recursion linear in its inflow:
  /// - j feeds no stock: mu_k - mu_0 = beta_j h_k[t] (1 + theta G[t]), G the stock of the
  ///   inputs (which j does not change);
  /// - j feeds the stock only: the stock moves by dG_k[t] = sum_{s <= t} delta^(t-s)
  ///   (1 - delta) kappa_j h_k[s] and c = sum_s beta_s h_s does not move, so
  ///   sum_t (gamma + theta c[t]) dG_k[t] = (1 - delta) kappa_j sum_s h_k[s] W[s] with
  ///   W[s] = (gamma + theta c[s]) + delta W[s + 1] (one backward pass per draw);
  /// - j feeds both: the stock change dG_k by its recursion and c_k = c_0 + beta_j h_k,
  ///   mu_k - mu_0 = gamma dG_k + (c_k - c_0) + theta (G_k c_k - G_0 c_0), with G_0, c_0
  ///   the run with j at zero.
  /// Algebraically the difference of the two runs' sums, without its cancellation; one
  /// saturation and one pass over the periods per multiplier. Model units.
  void response_increments(int j, const Vector& ks, Eigen::Ref<Vector> out) {
    const int T = static_cast<int>(T_);
    const int s = conv_pos_[static_cast<std::size_t>(j)], q = trust_pos_[static_cast<std::size_t>(j)];
    const double beta = s >= 0 ? p_.beta[s] : 0.0;
    if (q < 0 && s < 0) {  // j reaches neither the stock nor the outcome
      out.setZero();
      return;
    }
    if (m_.log_link() || (q >= 0 && m_.bounded())) {
      // The bounded stock is not linear in its inflow, and under the log link mu is not
      // linear in anything: the difference of the two runs of the model itself (no
      // shortcut; the sums are of the differences per period).
      Parts zero, run;
      evaluate_scaled(j, 0.0, zero);
      for (Eigen::Index k = 0; k < ks.size(); ++k) {
        if (ks[k] == 0.0) {
          out[k] = 0.0;
          continue;
        }
        evaluate_scaled(j, ks[k], run);
        out[k] = (run.mu - zero.mu).sum();
      }
      return;
    }
    if (q < 0 && lift_.size() != T_) {
      lift_.resize(T_);
      for (int t = 0; t < T; ++t) lift_[t] = 1.0 + p_.theta * full_.stock[t];
    }
    if (q >= 0 && s < 0 && reach_.size() != T_) {
      reach_.resize(T_);
      double w = 0.0;
      for (int t = T - 1; t >= 0; --t) {
        w = (p_.gamma + p_.theta * full_.conversion[t]) + p_.delta * w;
        reach_[t] = w;
      }
    }
    Parts zero;
    if (q >= 0 && s >= 0) {
      evaluate_scaled(j, 0.0, zero);
      g_.resize(T_);
    }
    const double inflow = q >= 0 ? (1.0 - p_.delta) * p_.kappa[q] : 0.0;
    for (Eigen::Index k = 0; k < ks.size(); ++k) {
      if (ks[k] == 0.0) {  // h_0 = 0: no change
        out[k] = 0.0;
        continue;
      }
      a_ = ks[k] * A_.col(j);
      saturate_channel(j, T);
      double sum = 0.0;
      if (q < 0) {
        for (int t = 0; t < T; ++t) sum += h_[t] * lift_[t];
        sum *= beta;
      } else if (s < 0) {
        for (int t = 0; t < T; ++t) sum += h_[t] * reach_[t];
        sum *= inflow;
      } else {
        double dg = 0.0;
        for (int t = 0; t < T; ++t) {
          dg = p_.delta * dg + inflow * h_[t];
          const double dc = beta * h_[t];
          sum += p_.gamma * dg + dc + p_.theta * (dg * zero.conversion[t] + zero.stock[t] * dc + dg * dc);
        }
      }
      out[k] = sum;
    }
  }

 private:
  /// h_ from the adstock a_ of channel j: the logistic saturation, or for an RF channel
  /// a_ itself (its response is inside the adstock: scaling a_ scales the reach at the
  /// data's frequency).
  void saturate_channel(int j, Eigen::Index T) {
    if (m_.rf_form(j) != RfForm::none) h_ = a_;
    else TrustModel::saturate(a_.data(), 0.5 * p_.lam[j], h_.data(), static_cast<int>(T));
  }

  /// mu, G and c with channel j's saturated activity taken from h_ (j < 0: none).
  void outcome(int j, Parts& out) {
    const int T = static_cast<int>(T_);
    const bool log_link = m_.log_link();
    if (j >= 0 && !(m_.d_.trust_enabled && m_.d_.trust[static_cast<std::size_t>(j)])) {
      // j does not feed the stock: G is that of the inputs and only j's own term changes,
      // c' = c + beta_j (h' - h) and eta' = eta + beta_j (h' - h) (1 + theta G) (mu = eta,
      // or exp(eta) under the log link).
      out.stock = full_.stock;
      out.conversion = full_.conversion;
      out.mu = full_.mu;
      if (log_link) out.eta = full_.eta;
      const int s = conv_pos_[static_cast<std::size_t>(j)];
      if (s < 0) return;
      const double beta = p_.beta[s];
      const double* hj = H_.col(j).data();
      for (int t = 0; t < T; ++t) {
        const double dc = beta * (h_[t] - hj[t]);
        out.conversion[t] += dc;
        if (log_link) {
          out.eta[t] += dc * (1.0 + p_.theta * out.stock[t]);
          out.mu[t] = std::exp(out.eta[t]);
        } else {
          out.mu[t] += dc * (1.0 + p_.theta * out.stock[t]);
        }
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
    if (log_link) {  // mu = exp(eta)
      out.eta = out.mu;
      for (int t = 0; t < T; ++t) out.mu[t] = std::exp(out.eta[t]);
    }
  }

  const TrustModel& m_;
  const Matrix& media_;
  const Matrix& baseline_;
  const Matrix& shocks_;
  Eigen::Index T_;
  TrustModelParameters p_;
  ConstrainScratch cs_;
  Matrix w_, dw_, A_, H_;
  Vector a_, h_, inflow_, base_;
  std::vector<int> conv_pos_;  // per channel: its position among the conversion channels, or -1
  std::vector<int> trust_pos_;  // per channel: its position among the trust channels, or -1 (also without trust)
  Vector lift_, reach_, g_;     // response_increments(): 1 + theta G[t], W[t] and the stock change
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
    require_memory(
        8.0 * 8.0 * static_cast<double>(Tn) * static_cast<double>(d.media.cols() + d.baseline.cols() + d.shocks.cols() + 4),
        "the analyses over the data plus the horizon",
        "pass a shorter horizon (the trust stock's effect is counted when it has decayed: a few "
        "half-lives suffice)");
    media = Matrix::Zero(Tn, d.media.cols());
    media.topRows(T) = d.media;
    baseline = Matrix::Zero(Tn, d.baseline.cols());
    baseline.topRows(T) = d.baseline;
    shocks = Matrix::Zero(Tn, d.trust_enabled ? d.shocks.cols() : 0);
    if (d.trust_enabled) shocks.topRows(T) = d.shocks;
    if (m.log_link() && horizon > 0) {  // the baseline's recent level (see the top of this file)
      const Eigen::Index recent = std::min<Eigen::Index>(T, 52);
      const Eigen::RowVectorXd level = d.baseline.bottomRows(recent).colwise().mean();
      baseline.bottomRows(horizon).rowwise() = level;
    }
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
          if (model.log_link()) {
            // The allocation of the top of this file: each path's log-scale difference
            // times mu_cf (exp(d eta) - 1) / d eta, period by period.
            double vd = 0.0, va = 0.0, vo = 0.0;
            for (Eigen::Index t = 0; t < st.full.mu.size(); ++t) {
              const double de = st.full.eta[t] - st.cf.eta[t];
              const double rate = de != 0.0 ? st.cf.mu[t] * std::expm1(de) / de : st.cf.mu[t];
              vd += rate * p.gamma * (st.full.stock[t] - st.cf.stock[t]);
              va += rate * p.theta * (st.full.stock[t] * st.full.conversion[t] - st.cf.stock[t] * st.cf.conversion[t]);
              vo += rate * (st.full.conversion[t] - st.cf.conversion[t]);
            }
            r.via_trust_direct(i, c) = vd * ys;
            r.via_amplification(i, c) = va * ys;
            r.own(i, c) = vo * ys;
          } else {
            r.via_trust_direct(i, c) = p.gamma * (st.full.stock - st.cf.stock).sum() * ys;
            r.via_amplification(i, c) = (amp_full - p.theta * st.cf.stock.cwiseProduct(st.cf.conversion).sum()) * ys;
            r.own(i, c) = (own_full - st.cf.conversion.sum()) * ys;
          }
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
///   inc(c, k) = (sum_t mu_k[t] - sum_t mu_0[t]) outcome_scale
/// (computed as the sum of the differences, DrawEngine::response_increments).
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
    Vector inc;
  };
  detail::for_each_draw(
      n, s.threads, [&] { return State{detail::DrawEngine(model, ext.media, ext.baseline, ext.shocks), Vector(K)}; },
      [&](Eigen::Index i, State& st) {
        st.engine.set_draw(draws.row(i).transpose());
        for (std::size_t q = 0; q < s.channels.size(); ++q) {
          const int c = s.channels[q];
          // The channel's activity over the data times k; it is zero after the data, so
          // its adstock is k times the actual adstock on the data and the part of the
          // actual adstock that carries over past the end times k (adstock is linear).
          st.engine.response_increments(c, s.multipliers, st.inc);
          for (Eigen::Index k = 0; k < K; ++k) out[q](i, k) = st.inc[k] * s.outcome_scale;
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
/// Log link (mu = exp(eta)): the parts are TrustModel::forward_on's allocation, base =
/// exp(baseline terms) and each log-scale term x receiving x (mu - base) / (eta - base);
/// they still add up to mu exactly, but it is an allocation, not a unique split (the
/// effect of a product of factors has no unique additive split).
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
              const double part_k = k < P ? f.trust_by_channel(t, k)
                                          : (k == P ? f.trust_from_shocks[t] : f.trust_from_initial[t]);
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
        out.row(i) = model.forward_on(draws.row(i).transpose(), d.media, d.baseline, d.shocks).mu.transpose() *
                     outcome_scale;
      });
  return out;
}

/// The constrained parameters of every draw: n_draws x constrained_dimension(), in the
/// order of TrustModel::constrained_names().
[[nodiscard]] inline Matrix constrained_draws(const TrustModel& model, const Matrix& draws, int threads = 0) {
  detail::check_draws(model, draws);
  const Eigen::Index D = model.constrained_dimension();
  Matrix out(draws.rows(), D);
  struct State {
    detail::DrawEngine::ConstrainScratch scratch;
    TrustModelParameters p;
    Vector z, row;
  };
  detail::for_each_draw(
      draws.rows(), threads, [&] { return State{{}, {}, Vector(draws.cols()), Vector(D)}; },
      [&](Eigen::Index i, State& st) {
        st.z = draws.row(i).transpose();
        detail::DrawEngine::constrain(model, st.z, st.scratch, st.p);
        detail::DrawEngine::flatten(model, st.p, st.row.data());
        out.row(i) = st.row.transpose();
      });
  return out;
}

/// Settings of posterior_predictive().
struct PredictiveSettings {
  double outcome_scale =
      1.0;  ///< outcome units per model unit (every likelihood, the negative binomial too: its mean is outcome_scale mu); pass model.data().outcome_scale
  std::uint64_t seed = 0;
  int threads = 0;
};

/// Posterior predictive draws y_rep ~ p(y | theta_i), one per row of draws (repeat a
/// row for several replicates at one point): n_draws x T, outcome units. Normal:
/// mu + sigma e; lognormal: mu exp(sigma e - sigma^2 / 2); negative binomial:
/// Poisson(Gamma(shape phi, scale mu / phi)) counts (mean mu, variance mu + mu^2 / phi);
/// e ~ N(0, 1). With AR(1) residuals (Noise::ar1, coefficient phi, q = 1 - phi^2): the
/// residual path r[0] = sigma e[0] / sqrt(q), r[t] = phi r[t-1] + sigma e[t] (stationary),
/// and y = mu + r (normal) or mu exp(r - sigma^2 / (2 q)) (lognormal). Draw i has its own stream, std::mt19937_64 seeded by std::seed_seq from
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
        if (model.ar1()) {  // AR(1) residuals: a stationary path (normal or lognormal; the model refuses NB)
          const double phi = model.constrain(z).ar1, q = (1.0 - phi) * (1.0 + phi);
          double r = noise * normal(rng) / std::sqrt(q);
          for (Eigen::Index t = 0; t < T; ++t) {
            if (t > 0) r = phi * r + noise * normal(rng);
            out(i, t) = d.likelihood == Likelihood::lognormal ? mu[t] * std::exp(r - 0.5 * noise * noise / q)
                                                              : mu[t] + r * s.outcome_scale;
          }
          return;
        }
        for (Eigen::Index t = 0; t < T; ++t) {
          switch (d.likelihood) {
            case Likelihood::normal: out(i, t) = mu[t] + noise * s.outcome_scale * normal(rng); break;
            case Likelihood::lognormal: out(i, t) = mu[t] * std::exp(noise * normal(rng) - 0.5 * noise * noise); break;
            case Likelihood::negative_binomial: {
              const double m = std::max(mu[t], 1e-300);
              const double rate = boost::random::gamma_distribution<double>(noise, m / noise)(rng);
              out(i, t) = rate > 0.0
                              ? static_cast<double>(boost::random::poisson_distribution<std::int64_t, double>(rate)(rng))
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
/// (normal: sigma outcome_scale; lognormal: sigma; negative binomial: phi); with AR(1)
/// residuals last their coefficient phi ("ar1_phi"). `keys[q]`
/// and `index[q]` name column q (index: channel, conversion channel, trust channel,
/// shock or baseline column; -1 for scalars). Log link: beta, gamma and the baseline
/// coefficients are on the log scale and unit-free (not times outcome_scale), except the
/// intercept (the baseline's column of ones), which is ln of the outcome's level: b_0 +
/// ln(outcome_scale).
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
  if (model.ar1()) add("ar1_phi", 1, true);  // AR(1) residuals (appended)
  const double ys = outcome_scale;
  const bool log_link = model.log_link();
  const double ls = log_link ? 1.0 : ys;  // log link: log-scale coefficients are unit-free
  int ones_col = -1;  // log link: the intercept, shifted by ln(outcome_scale)
  if (log_link)
    for (int k = 0; k < K && ones_col < 0; ++k)
      if ((d.baseline.col(k).array() == 1.0).all()) ones_col = k;
  const auto half_life = [](double rate) {
    return rate > 0.0 && rate < 1.0 ? std::log(0.5) / std::log(rate) : std::numeric_limits<double>::quiet_NaN();
  };
  out.values.resize(draws.rows(), static_cast<Eigen::Index>(out.keys.size()));
  struct State {
    detail::DrawEngine::ConstrainScratch scratch;
    TrustModelParameters p;
    Vector z;
  };
  detail::for_each_draw(
      draws.rows(), threads, [&] { return State{{}, {}, Vector(draws.cols())}; },
      [&](Eigen::Index i, State& st) {
        st.z = draws.row(i).transpose();
        detail::DrawEngine::constrain(model, st.z, st.scratch, st.p);
        const TrustModelParameters& p = st.p;
        Eigen::Index q = 0;
        for (int c = 0; c < C; ++c) {
          out.values(i, q++) = p.alpha[c];
          out.values(i, q++) = half_life(p.alpha[c]);
          out.values(i, q++) = p.lam[c];
        }
        for (int j = 0; j < S; ++j) out.values(i, q++) = p.beta[j] * ls;
        if (d.trust_enabled) {
          out.values(i, q++) = p.delta;
          out.values(i, q++) = half_life(p.delta);
          for (int j = 0; j < P; ++j) out.values(i, q++) = p.kappa[j];
          out.values(i, q++) = p.gamma * ls;
          out.values(i, q++) = p.theta;
          for (int e = 0; e < E; ++e) out.values(i, q++) = p.omega[e];
        }
        for (int k = 0; k < K; ++k) out.values(i, q++) = k == ones_col ? p.b[k] + std::log(ys) : p.b[k] * ls;
        out.values(i, q++) = d.likelihood == Likelihood::normal ? p.sigma * ys : p.sigma;
        if (model.bounded()) {
          out.values(i, q++) = p.trust_base;
          out.values(i, q++) = p.inflow;
        }
        if (model.ar1()) out.values(i, q++) = p.ar1;
      });
  return out;
}

namespace detail {

/// Scratch of quantity_diagnostics(), one per thread.
struct RankScratch {
  std::vector<std::pair<double, Eigen::Index>> order, folded, buffer;
  std::vector<double> values;
};

/// An unsigned key with the order of the doubles (not NaN): sign bit flipped for
/// v >= 0, all bits flipped for v < 0; -0 and +0 get the same key (they compare equal).
inline std::uint64_t order_key(double v) {
  if (v == 0.0) v = 0.0;
  std::uint64_t u = 0;
  std::memcpy(&u, &v, sizeof u);
  constexpr std::uint64_t sign = std::uint64_t{1} << 63U;
  return (u & sign) != 0 ? ~u : (u | sign);
}

/// Sorts (value, position) pairs, listed in ascending position, by value and, among
/// equal values, by position: the order std::sort gives them, by a stable least-
/// significant-digit radix sort on order_key (8 passes of 8 bits; a pass whose digit is
/// the same for every key is skipped). No NaN.
inline void sort_by_value(std::vector<std::pair<double, Eigen::Index>>& a,
                          std::vector<std::pair<double, Eigen::Index>>& buffer) {
  const std::size_t n = a.size();
  buffer.resize(n);
  for (unsigned shift = 0; shift < 64; shift += 8) {
    std::size_t count[257] = {};
    for (const auto& e : a) ++count[((order_key(e.first) >> shift) & 0xFFU) + 1];
    bool constant = false;
    for (std::size_t d = 1; d <= 256; ++d) constant = constant || count[d] == n;
    if (constant) continue;
    for (std::size_t d = 1; d <= 256; ++d) count[d] += count[d - 1];
    for (const auto& e : a) buffer[count[(order_key(e.first) >> shift) & 0xFFU]++] = e;
    a.swap(buffer);
  }
}

/// Linear interpolation a + t (b - a) between neighbouring order statistics as numpy
/// evaluates it (numpy's _lerp: b - (b - a)(1 - t) when t >= 1/2), so that quantiles
/// are numpy's to the bit.
inline double lerp_numpy(double a, double b, double t) {
  const double d = b - a;
  return t >= 0.5 ? b - d * (1.0 - t) : a + d * t;
}

/// numpy.quantile(values, prob) (method "linear", Hyndman & Fan type 7) of sorted values.
inline double quantile_sorted_numpy(const std::vector<double>& sorted, double prob) {
  const double h = (static_cast<double>(sorted.size()) - 1.0) * prob;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return lerp_numpy(sorted[lo], sorted[hi], h - static_cast<double>(lo));
}

/// numpy.quantile(x, prob) (type 7: linear interpolation between order statistics) by
/// selection on a copy instead of a full sort: std::nth_element for the lower order
/// statistic, the smallest value above it for the upper one (the same order statistics
/// as a full sort, so the same bits as quantile_sorted_numpy). NaN when x has a NaN (as
/// numpy). x has at least one value.
inline double quantile_select(const Eigen::Ref<const Vector>& x, double prob, std::vector<double>& work) {
  work.assign(x.data(), x.data() + x.size());
  for (double v : work)
    if (std::isnan(v)) return std::numeric_limits<double>::quiet_NaN();
  const double h = (static_cast<double>(work.size()) - 1.0) * prob;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, work.size() - 1);
  std::nth_element(work.begin(), work.begin() + static_cast<std::ptrdiff_t>(lo), work.end());
  const double a = work[lo];
  const double b = hi == lo ? a : *std::min_element(work.begin() + static_cast<std::ptrdiff_t>(hi), work.end());
  return lerp_numpy(a, b, h - static_cast<double>(lo));
}

/// Rank normalisation of the values listed in ascending order by `sorted` (value,
/// position): writes z[position] = Phi^{-1}((r - 3/8) / (S + 1/4)) with r the average
/// rank of the value's ties, the table `scores` for untied values: what
/// inference::detail::z_scale computes from its own (stable) sort, whose ties' order
/// does not change the result.
inline void z_scale_sorted(const std::vector<std::pair<double, Eigen::Index>>& sorted, const std::vector<double>& scores,
                           Matrix& z) {
  const std::size_t S = sorted.size();
  const auto total = static_cast<double>(S);
  std::size_t i = 0;
  while (i < S) {
    std::size_t j = i;
    while (j + 1 < S && sorted[j + 1].first == sorted[i].first) ++j;
    if (j == i) {
      z.data()[sorted[i].second] = scores[i];
    } else {
      const double rank = 0.5 * (static_cast<double>(i) + static_cast<double>(j)) + 1.0;
      const double value = inference::detail::normal_quantile((rank - 0.375) / (total + 0.25));
      for (std::size_t k = i; k <= j; ++k) z.data()[sorted[k].second] = value;
    }
    i = j + 1;
  }
}

struct QuantityDiagnostics {
  double low, high, r_hat, ess_bulk;
};

/// The interval bounds, rank-normalised split R-hat and bulk ESS of one quantity's draws
/// x (`chains` consecutive blocks of per_chain draws), the same numbers to the bit as
/// numpy.quantile (quantile_sorted_numpy), inference::rhat and inference::ess_bulk
/// (tested), with one sort instead of five: the split draws are
/// sorted once with their positions; that order gives the bulk ranks, the median and,
/// merged from the median outwards, the order of |x - median| (fl(x - m) is monotone in
/// x) for the folded ranks. With an even chain length the split draws are all the draws,
/// whose order then also gives the interval; otherwise the interval selects its order
/// statistics (quantile_select). `scores`: inference::detail::rank_normal_scores of the
/// split size. R-hat and ESS are NaN when x is not finite, constant, or per_chain < 4.
inline QuantityDiagnostics quantity_diagnostics(const Vector& x, Eigen::Index per_chain, int chains, double lo, double hi,
                                                const std::vector<double>& scores, RankScratch& s) {
  namespace id = inference::detail;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  QuantityDiagnostics out{nan, nan, nan, nan};
  const bool finite = x.allFinite();
  const bool any_nan = !finite && x.array().isNaN().any();
  const bool usable = finite && per_chain >= 4 && x.minCoeff() != x.maxCoeff();
  const bool even = per_chain % 2 == 0;
  if (!usable || !even) {
    if (!any_nan) {
      out.low = quantile_select(x, lo, s.values);
      out.high = quantile_select(x, hi, s.values);
    }
    if (!usable) return out;
  }
  const Matrix split = id::split_chains(Eigen::Map<const Matrix>(x.data(), per_chain, chains));
  const auto S = static_cast<std::size_t>(split.size());
  s.order.resize(S);
  for (std::size_t k = 0; k < S; ++k) s.order[k] = {split.data()[k], static_cast<Eigen::Index>(k)};
  sort_by_value(s.order, s.buffer);
  s.values.resize(S);
  for (std::size_t k = 0; k < S; ++k) s.values[k] = s.order[k].first;
  if (even) {  // the split draws are all the draws: their order gives the interval
    out.low = quantile_sorted_numpy(s.values, lo);
    out.high = quantile_sorted_numpy(s.values, hi);
  }
  Matrix z(split.rows(), split.cols());
  z_scale_sorted(s.order, scores, z);
  const double median = id::quantile_sorted(s.values, 0.5);
  // |x - median| in ascending order: below the median from the median down, above it up.
  const auto mid = static_cast<std::size_t>(std::lower_bound(s.values.begin(), s.values.end(), median) - s.values.begin());
  s.folded.resize(S);
  std::size_t left = mid, right = mid, k = 0;
  while (left > 0 || right < S) {
    const double dl = left > 0 ? std::abs(s.order[left - 1].first - median) : std::numeric_limits<double>::infinity();
    const double dr = right < S ? std::abs(s.order[right].first - median) : std::numeric_limits<double>::infinity();
    if (right < S && (left == 0 || dr <= dl)) {
      s.folded[k++] = {dr, s.order[right].second};
      ++right;
    } else {
      s.folded[k++] = {dl, s.order[left - 1].second};
      --left;
    }
  }
  Matrix zf(split.rows(), split.cols());
  z_scale_sorted(s.folded, scores, zf);
  out.r_hat = std::max(id::rhat_columns(z), id::rhat_columns(zf));
  out.ess_bulk = id::ess_columns(z);
  return out;
}

}  // namespace detail

/// The posterior summary of every quantity of summary_values(): draws come as `chains`
/// consecutive blocks of equal length (rows of `draws`, chain after chain). Per quantity:
/// mean; sd (n - 1 in the denominator); the equal-tailed `interval` bounds low/high
/// (numpy.quantile to the bit: linear interpolation between order statistics); r_hat
/// (rank-normalised split R-hat) and ess_bulk (trustmix::inference's, to the bit), NaN
/// when a value is not finite or all draws are equal. Quantities run in parallel, each
/// with one sort of its split draws (detail::quantity_diagnostics).
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
  const std::vector<double> scores = per_chain >= 4 && Q > 0 ? inference::detail::rank_normal_scores(
                                                                   inference::detail::split_size(per_chain, chains))
                                                             : std::vector<double>{};
  parallel_for_blocks(static_cast<std::ptrdiff_t>(Q), threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    detail::RankScratch scratch;
    for (auto qq = b; qq < e; ++qq) {
      const auto q = static_cast<Eigen::Index>(qq);
      const Vector x = sv.values.col(q);
      const double mean = x.mean();
      out.mean[q] = mean;
      out.sd[q] = n > 1 ? std::sqrt((x.array() - mean).square().sum() / static_cast<double>(n - 1)) : nan;
      const detail::QuantityDiagnostics dq = detail::quantity_diagnostics(x, per_chain, chains, lo, hi, scores, scratch);
      out.low[q] = dq.low;
      out.high[q] = dq.high;
      out.r_hat[q] = dq.r_hat;
      out.ess_bulk[q] = dq.ess_bulk;
    }
  });
  return out;
}

/// Where each channel saturates, per draw (n_draws x C each). The logistic curve
/// h(a) = tanh(lam a / 2) of adstocked activity a reaches share q of its maximum at
/// a_q = 2 artanh(q) / lam; times media_scale[c] in activity units. mean_adstock: mean
/// adstocked activity over the periods where the channel is active (x > 0), activity
/// units; saturation_at_mean: h there (0..1). Reach-and-frequency channels have no
/// logistic curve: NaN in half_saturation, saturation_90 and saturation_at_mean (their
/// mean_adstock is that of r g(f)).
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
          if (model.rf_form(static_cast<int>(c)) != RfForm::none) {  // RF: no logistic curve in activity
            const double nan = std::numeric_limits<double>::quiet_NaN();
            out.half_saturation(i, c) = nan;
            out.saturation_90(i, c) = nan;
            out.saturation_at_mean(i, c) = nan;
          }
        }
      });
  return out;
}

// ------------------------------------------------------- summaries over draws

/// Posterior mean and equal-tailed interval of every column of x (draws x quantities):
/// mean[c] = (sum_i x(i, c), added in row order) / n (NaN when a value is NaN), and
/// low[c], high[c] the type-7 quantiles at probabilities lo and hi (linear interpolation
/// between order statistics, numpy's default), by selection on a copy of the column
/// (std::nth_element: the same order statistics as a full sort, so the same numbers).
/// skip_nan: the quantiles of the column's non-NaN values (numpy's nanquantile; NaN when
/// every value is NaN); otherwise a NaN in the column makes its quantiles NaN
/// (numpy's quantile). Columns run in parallel, each on one thread: the same bits for
/// every thread count.
struct ColumnSummary {
  Vector mean, low, high;
};

[[nodiscard]] inline ColumnSummary summarize_columns(const Matrix& x, double lo, double hi, bool skip_nan = false,
                                                     int threads = 0) {
  if (!(lo >= 0.0 && lo <= 1.0) || !(hi >= 0.0 && hi <= 1.0))
    fail("quantile probabilities must be in [0, 1], got ", lo, " and ", hi);
  if (x.rows() < 1) fail("summarize_columns needs at least one row (draw), got 0");
  const Eigen::Index n = x.rows(), Q = x.cols();
  ColumnSummary out{Vector(Q), Vector(Q), Vector(Q)};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  parallel_for_blocks(static_cast<std::ptrdiff_t>(Q), threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    std::vector<double> work;
    Vector kept;
    for (auto qq = b; qq < e; ++qq) {
      const auto q = static_cast<Eigen::Index>(qq);
      const auto col = x.col(q);
      double sum = 0.0;
      for (Eigen::Index i = 0; i < n; ++i) sum += col[i];
      out.mean[q] = sum / static_cast<double>(n);
      Eigen::Index m = 0;
      kept.resize(n);
      for (Eigen::Index i = 0; i < n; ++i)
        if (!skip_nan || !std::isnan(col[i])) kept[m++] = col[i];
      if (m == 0) {
        out.low[q] = out.high[q] = nan;
        continue;
      }
      out.low[q] = detail::quantile_select(kept.head(m), lo, work);
      out.high[q] = detail::quantile_select(kept.head(m), hi, work);
    }
  });
  return out;
}

// ------------------------------------------------------------------ counterfactual

/// The outcome under other media at one parameter vector z (outcome units per period):
/// predicted (actual media), counterfactual, difference = predicted - counterfactual and
/// its exact path split difference_trust_direct = gamma (G - G_cf), difference_
/// amplification = theta (G c - G_cf c_cf), difference_own = c - c_cf (c = sum_s beta_s h_s).
/// Log link: the path split is roi()'s allocation (the top of this file), adding up to the
/// difference; predicted, counterfactual and difference are exact.
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
  if (model.log_link()) {
    // The allocation of roi() (the top of this file): each path's log-scale difference
    // times mu_cf (exp(d eta) - 1) / d eta, so the three add up to the difference.
    const Eigen::Index T = model.periods();
    Vector c0 = Vector::Zero(T), c1 = Vector::Zero(T);
    for (Eigen::Index c = 0, j = 0; c < d.media.cols(); ++c)
      if (d.conversion[static_cast<std::size_t>(c)]) {
        c0 += p.beta[j] * f0.saturated.col(c);
        c1 += p.beta[j] * f1.saturated.col(c);
        ++j;
      }
    const Vector G0 = d.trust_enabled ? f0.trust_stock : Vector(Vector::Zero(T));
    const Vector G1 = d.trust_enabled ? f1.trust_stock : Vector(Vector::Zero(T));
    out.difference_trust_direct.resize(T);
    out.difference_amplification.resize(T);
    out.difference_own.resize(T);
    for (Eigen::Index t = 0; t < T; ++t) {
      const double de = f0.eta[t] - f1.eta[t];
      const double rate = (de != 0.0 ? f1.mu[t] * std::expm1(de) / de : f1.mu[t]) * ys;
      out.difference_trust_direct[t] = rate * p.gamma * (G0[t] - G1[t]);
      out.difference_amplification[t] = rate * p.theta * (G0[t] * c0[t] - G1[t] * c1[t]);
      out.difference_own[t] = rate * (c0[t] - c1[t]);
    }
    return out;
  }
  out.difference_trust_direct = d.trust_enabled ? Vector(p.gamma * (f0.trust_stock - f1.trust_stock) * ys)
                                                : Vector(Vector::Zero(model.periods()));
  out.difference_amplification = (f0.amplification.rowwise().sum() - f1.amplification.rowwise().sum()) * ys;
  out.difference_own = (f0.conversion_own.rowwise().sum() - f1.conversion_own.rowwise().sum()) * ys;
  return out;
}

// --------------------------------------------------- reach-and-frequency channels

/// Settings of rf_frequency_curves().
struct RfFrequencySettings {
  int channel = -1;  ///< media column of an RF channel
  /// scale: multipliers k >= 0 of the frequency at the data's reach (f' = k f; for the
  /// exposure form max(k f, 1) where the reach is > 0: a reached person sees >= 1);
  /// fixed_impressions: target frequencies f* > 0 (>= 1 for the exposure form), every
  /// reached period at f* with its reach r' = r f / f* (the same impressions r f):
  /// Meridian's optimal-frequency question, how to spend the same impressions.
  Vector values;
  bool fixed_impressions = false;
  int horizon = 104;  ///< periods after the data counted (zero reach)
  double outcome_scale = 1.0;
  int threads = 0;
};

/// Incremental outcome of an RF channel at other frequencies, per draw (rows) and value
/// (columns): inc(v) = outcome_scale sum_{t < T + horizon} beta h_v[t] (1 + theta G[t]),
/// h_v = Adstock(r' g(f'; lam, slope)) at the draw's parameters (beta from the data as
/// fitted), G the trust stock of the data (an RF channel does not feed it), against the
/// channel at zero; r', f' of the settings. Outcome units. O(draws x values x T L).
[[nodiscard]] inline Matrix rf_frequency_curves(const TrustModel& model, const Matrix& draws, const RfFrequencySettings& s) {
  detail::check_draws(model, draws);
  detail::check_scale(s.outcome_scale);
  const auto& d = model.data();
  const int C = static_cast<int>(d.media.cols()), T = model.periods(), c = s.channel;
  if (c < 0 || c >= C) fail("channel index ", c, " is out of range [0, ", C, ")");
  const RfForm form = model.rf_form(c);
  if (form == RfForm::none) fail("channel ", c, " is not a reach-and-frequency channel");
  const detail::Extended ext(model, s.horizon);
  const Eigen::Index K = s.values.size(), Tn = ext.media.rows();
  // One model per value: the data's frequency (and for fixed impressions its reach)
  // replaced; its rf_input() evaluates g at the new frequency.
  std::vector<TrustModel> models;
  std::vector<Vector> reach;
  models.reserve(static_cast<std::size_t>(K));
  for (Eigen::Index k = 0; k < K; ++k) {
    const double v = s.values[k];
    if (!(v >= 0.0) || !std::isfinite(v)) fail("values[", k, "] must be finite and >= 0, got ", v);
    if (s.fixed_impressions && !(v >= (form == RfForm::exposure ? 1.0 : 0.0) && v > 0.0))
      fail("values[", k, "] is ", v, ": a target frequency must be > 0", form == RfForm::exposure ? " and >= 1" : "");
    TrustModelData dv = d;
    Vector r = ext.media.col(c);
    for (int t = 0; t < T; ++t) {
      const double f = d.frequency(t, c);
      if (d.media(t, c) <= 0.0) continue;
      if (s.fixed_impressions) {
        r[t] = d.media(t, c) * f / v;
        dv.frequency(t, c) = v;
      } else {
        dv.frequency(t, c) = form == RfForm::exposure ? std::max(v * f, 1.0) : v * f;
      }
    }
    dv.media.col(c) = r.head(T);
    models.emplace_back(std::move(dv), model.priors());
    reach.push_back(std::move(r));
  }
  int j = -1;  // position among the conversion channels
  for (int q = 0, n = 0; q <= c; ++q)
    if (d.conversion[static_cast<std::size_t>(q)]) j = n++;
  Matrix out(draws.rows(), K);
  detail::for_each_draw(
      draws.rows(), s.threads, [] { return 0; },
      [&](Eigen::Index i, int&) {
        const Vector z = draws.row(i).transpose();
        const TrustModelParameters p = model.constrain(z);
        const Vector G = model.forward_on(z, ext.media, ext.baseline, ext.shocks).trust_stock;
        Vector w(d.max_lag + 1), dw(d.max_lag + 1), x(Tn), h(Tn);
        transforms::geometric_weights_into(p.alpha[c], w, dw);
        for (Eigen::Index k = 0; k < K; ++k) {
          models[static_cast<std::size_t>(k)].rf_input(c, p.lam[c], p.slope[c], reach[static_cast<std::size_t>(k)], x);
          transforms::convolve_series(x, w, h);
          double sum = 0.0;
          for (Eigen::Index t = 0; t < Tn; ++t) sum += h[t] * (1.0 + p.theta * G[t]);
          out(i, k) = p.beta[j] * sum * s.outcome_scale;
        }
      });
  return out;
}

}  // namespace trustmix::mmm
