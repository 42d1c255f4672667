#pragma once
// The planner's forward model and its exact reverse-mode gradient (issue 15).
//
// A schedule s is a H x C matrix of spend (periods of the plan horizon x channels, the
// user's currency). The fitted trust-linked model (trust_model.hpp, MODEL.md) is run,
// for each posterior draw, over the known history (the fit's data, or any T0 x C scaled
// media), then over the horizon with activity x[t, c] = u_c s[t, c] (u_c: the model's
// scaled activity per unit of spend, the fit's own scaling), then over a tail of zero
// activity long enough to count the trust stock's long effect. Per draw, with the
// model's equations (periods t = 0 .. N-1 after the history, N = H + min(L, tail)):
//
//   a[t, c] = carry[t, c] + sum_{l=0}^{min(t, L)} w_l(alpha_c) x[t - l, c]
//             (carry: the history's adstock reaching into the plan, t < L; w the
//             normalised geometric weights alpha^l / sum_{m=0}^{L} alpha^m)
//   h[t, c] = tanh(lam_c a[t, c] / 2)                         logistic saturation
//             (the adstock by its O(1) geometric recursion, as the model's log density)
//   G[t]    = the model's own trust recursion over the inflow u[t] = sum_{p in trust}
//             kappa_p h[t, p] from G[-1] = the stock at the end of the history (its shocks
//             included), run by TrustModel::continue_stock (either trust form, no shocks):
//             linear:  G[t] = delta G[t-1] + (1 - delta) u[t]
//             bounded: G[t] = 1 - (1 - m[t]) exp(-rho u[t]), m[t] = b + delta (G[t-1] - b)
//   c[t]    = sum_{s in conversion} beta_s h[t, s]
//   m[t]    = gamma G[t] + c[t] (1 + theta G[t])  (+ b . B_future[t] when a future
//             baseline design is given)
//   Y       = outcome_scale ( sum_{t < N} r_t m[t] + tail ),  r_t = rho^t
//
// After N periods no channel carries any adstock (the window is L), so the inflow is 0
// and the outcome is gamma G. Linear form: G decays by delta per period, so the tail is
// gamma G[N-1] Q in closed form, Q = rho^(N-1) sum_{k=1}^{tail - L} (rho delta)^k (0 when
// tail <= L). Bounded form: the stock alone is run on by the model's recursion for the
// tail - L periods after the window with zero inflow, and the tail counts the stock's
// distance to its baseline share b (tail = sum_{t=N}^{H+tail-1} r_t gamma (G[t] - b):
// gamma b per period is no schedule's doing and never ends, so counted it would grow with
// the tail; with the present bounded form G[t] - b = delta^k (G[N-1] - b), tested, but
// the planner runs whatever the model's recursion is). rho in (0, 1] is a per-period
// discount factor (1: none). The tail is either a fixed number of periods or, per draw,
// the smallest k with delta^k <= 1 - coverage (coverage 0.99: at least 99% of the trust
// stock's remaining effect, or of its distance to the baseline share b, is counted;
// coverage 1: the infinite tail, Q = rho^(N-1) rho delta / (1 - rho delta), linear form
// only). Y is the outcome the media and the trust stock produce over horizon + tail in
// outcome units: the baseline (intercept, trend, seasonality), which no schedule changes,
// is left out unless a future baseline design is given.
//
// Log link (TrustModelData::link = log, mu = exp(eta)): eta[t] = base[t] + d[t] with
// d[t] = gamma G[t] + c[t] (1 + theta G[t]) the same terms on the log scale, and the
// model's mean mu = exp(eta) (E y = mu for the normal and the lognormal likelihood alike:
// the lognormal's -sigma^2/2 sits in its location). What the media and the stock add is
// mu - exp(base) = exp(base) expm1(d): per period of the window
//   m[t] = e_B expm1(d[t]),  e_B = exp(b . level), level = each baseline column's mean
//          over the last min(T, 52) periods of the fit's data (as the analyses,
//          analyses.hpp: the baseline multiplies every effect, so it cannot be left out)
//   m[t] = exp(b . B_future[t] + d[t])  for t < H when a future baseline design is given
//          (the model's mu itself, as the identity link then counts the baseline)
// and the tail is run period by period for both trust forms (no closed form:
// e_B (exp(gamma G[t]) - exp(gamma b)), b = 0 in the linear form), so tail_coverage = 1
// is refused. Reverse mode: gm[t] above times dm/dd[t] = exp(base + d[t]) = mu[t] (the
// tail's gG[t] = outcome_scale r_t gamma mu[t]); everything below is unchanged. The paths'
// parts (conversion, amplification, trust_direct) are the model's allocation
// (TrustModel::forward_on): each log-scale term x receives x (m[t] - [future] exp(base)) / d.
// Y under the log link is not concave in the schedule (exp of a concave function).
//
// Reverse mode (exact; tested against finite differences): with gm[t] = outcome_scale r_t,
//   gG[t] = gm[t] (gamma + theta c[t]) (+ outcome_scale gamma Q at t = N-1; gm[t] gamma in
//           the bounded form's stock tail),  gc[t] = gm[t] (1 + theta G[t]),
//   gu[t] = dY/du[t] by TrustModel::continue_stock_adjoint (the model's adjoint of its
//           recursion), gh[t, c] = [c trust] kappa_c gu[t] + [c conversion] beta_c gc[t]
//           (TrustModel::trust_inflow_adjoint adds the trust part),
//   ga[t, c] = gh[t, c] (lam_c / 2) (1 - h[t, c]^2),
//   dY/ds[t, c] = u_c sum_{l=0}^{L} w_l ga[t + l, c]   (t + l < N).
// Reach-and-frequency channels (rf.hpp): their adstock input is not u_c s but the model's
// RF response x = r g(f) of the reach and frequency their spend buys through a reach curve
// (the same for every draw up to g), h = Adstock(x) without the logistic saturation, and
// dY/ds[t, c] = w_0 R[t] dx[t, c]/ds[t, c] through the chain.
// Cost per draw: O(N C) (+ O(tail) in the bounded form). The adstock recursions of all
// channels advance period by period on row-major buffers and the saturation runs on
// whole rows with transforms' SIMD kernel. Draws run in parallel (parallel_for_blocks),
// each draw with the same arithmetic as serially, so every result is bit-identical for
// every thread count.
#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/core/resources.hpp"
#include "trustmix/mmm/trust_model.hpp"
#include "trustmix/plan/rf.hpp"
#include "trustmix/transforms/simd.hpp"

namespace trustmix::plan {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

/// Settings of the planner's forward model (see the top of this file).
struct ForwardSettings {
  int horizon = 52;             ///< H: periods of the plan
  int tail = -1;                ///< periods counted after the horizon; -1: per draw from tail_coverage
  double tail_coverage = 0.99;  ///< share of the trust stock's remaining effect counted (tail = -1); 1: all
  double discount = 1.0;        ///< rho: per-period discount factor in (0, 1]
  Vector units_per_spend;       ///< C: scaled model activity per unit of spend (> 0)
  double outcome_scale = 1.0;   ///< outcome units per model unit
  Matrix future_baseline;       ///< H x K baseline design of the horizon, or empty (baseline not counted)
  int threads = 0;              ///< 0: every hardware thread
  /// One entry per reach-and-frequency channel of the model (rf.hpp): spend -> impressions
  /// -> reach and frequency by its reach curve -> the model's RF response. Their
  /// units_per_spend are not used (any value > 0).
  std::vector<RfChannel> rf;
};

/// Interface of a planning objective: per draw i a value Y_i(s) of the schedule s (H x C)
/// and its gradient. The solver (optimize.hpp) works on any implementation.
class DrawObjective {
 public:
  virtual ~DrawObjective() = default;
  [[nodiscard]] virtual Eigen::Index draws() const = 0;
  [[nodiscard]] virtual Eigen::Index periods() const = 0;
  [[nodiscard]] virtual Eigen::Index channels() const = 0;
  /// True when every draw's Y_i is certainly concave in the schedule (s >= 0): then a
  /// concave criterion (mean or CVaR, any goal) makes every task a convex problem whose
  /// KKT point is the global optimum, and optimize() needs one start. false: unknown.
  [[nodiscard]] virtual bool concave() const { return false; }
  /// values (n) of every draw; with grads != nullptr also the gradients, one column per
  /// draw, (H C) x n, row t + H c (column-major cell order) holding dY_i / ds[t, c].
  virtual void evaluate(const Matrix& spend, Vector& values, Matrix* grads) const = 0;
  /// The weighted gradient sum_i weight[i] dY_i/ds (H C values, index t + H c) into g,
  /// gradients computed only for draws with weight[i] != 0; with need_values also Y_i of
  /// every draw into values (else values is left as it is). The default runs evaluate()
  /// and sums in draw order; TrustPlanModel sums over fixed chunks of draws in parallel
  /// (the same result for every thread count).
  virtual void evaluate_weighted(const Matrix& spend, const Vector& weight, bool need_values, Vector& values,
                                 Vector& g) const {
    Vector y;
    Matrix grads;
    evaluate(spend, y, &grads);
    if (need_values) values = y;
    g = Vector::Zero(grads.rows());
    for (Eigen::Index i = 0; i < y.size(); ++i)
      if (weight[i] != 0.0) g += weight[i] * grads.col(i);
  }
  /// Y_i of draw i alone and, with grad != nullptr, dY_i/ds (H C values, index t + H c).
  virtual double evaluate_draw(Eigen::Index i, const Matrix& spend, double* grad) const {
    Vector y;
    Matrix g;
    evaluate(spend, y, grad != nullptr ? &g : nullptr);
    if (grad != nullptr) std::copy(g.col(i).data(), g.col(i).data() + g.rows(), grad);
    return y[i];
  }
};

/// One draw of an objective as an objective of its own (a draw's own optimum).
class SingleDraw final : public DrawObjective {
 public:
  SingleDraw(const DrawObjective& parent, Eigen::Index draw) : parent_(parent), draw_(draw) {
    if (draw < 0 || draw >= parent.draws()) fail("draw ", draw, " is not in 0..", parent.draws() - 1);
  }
  [[nodiscard]] Eigen::Index draws() const override { return 1; }
  [[nodiscard]] Eigen::Index periods() const override { return parent_.periods(); }
  [[nodiscard]] Eigen::Index channels() const override { return parent_.channels(); }
  [[nodiscard]] bool concave() const override { return parent_.concave(); }
  void evaluate(const Matrix& spend, Vector& values, Matrix* grads) const override {
    values.resize(1);
    if (grads != nullptr) grads->resize(periods() * channels(), 1);
    values[0] = parent_.evaluate_draw(draw_, spend, grads != nullptr ? grads->data() : nullptr);
  }

 private:
  const DrawObjective& parent_;
  Eigen::Index draw_;
};

/// What the trust-linked model makes of a schedule, per draw and per period of the plan
/// window (N = H + min(L, tail) periods after the history): n_draws x N each, outcome
/// units except the stock (trust index units).
struct PlanPaths {
  Matrix outcome;      ///< m[t] outcome_scale (baseline only when a future design is given)
  Matrix stock;        ///< G[t]
  Matrix conversion;   ///< c[t] outcome_scale: the conversion channels' own terms
  Matrix amplification;///< theta G[t] c[t] outcome_scale
  Matrix trust_direct; ///< gamma G[t] outcome_scale
  Vector tail_outcome; ///< n: the rest of the tail after the window (discounted, outcome units): gamma G[N-1] Q
                       ///< outcome_scale (linear form), or the run tail (bounded form, log link)
  Vector total;        ///< n: Y
  Vector tail_periods; ///< n: periods counted after the horizon
};

/// The trust-linked model run forward for schedules over every draw (see the top of this
/// file). Construction precomputes, per draw, the constrained parameters, the history's
/// adstock carry into the plan and the trust stock at the end of the history; evaluate()
/// then costs O(n N C).
class TrustPlanModel final : public DrawObjective {
 public:
  /// model: the fitted model (copied: the planner does not need it to outlive it); draws:
  /// n x dimension unconstrained draws; history_media: T0 x C scaled media (the model's
  /// units) and history_shocks T0 x E (0 columns: none) of the known past; s: settings.
  TrustPlanModel(const mmm::TrustModel& model, const Matrix& draws, const Matrix& history_media,
                 const Matrix& history_shocks, ForwardSettings s)
      : model_(model), s_(std::move(s)) {
    const auto& d = model.data();
    C_ = d.media.cols();
    L_ = d.max_lag;
    H_ = s_.horizon;
    if (H_ < 1) fail("horizon must be >= 1 period, got ", H_);
    bounded_ = model.bounded();
    rf_of_.assign(static_cast<std::size_t>(C_), -1);
    for (std::size_t q = 0; q < s_.rf.size(); ++q) {
      const RfChannel& ch = s_.rf[q];
      ch.validate(C_);
      if (model.rf_form(ch.channel) == mmm::RfForm::none)
        fail("settings.rf[", q, "]: channel ", ch.channel, " is not a reach-and-frequency channel of the model");
      if (rf_of_[static_cast<std::size_t>(ch.channel)] >= 0) fail("settings.rf: channel ", ch.channel, " is given twice");
      rf_of_[static_cast<std::size_t>(ch.channel)] = static_cast<int>(q);
    }
    for (Eigen::Index c = 0; c < C_; ++c)
      if (model.rf_form(static_cast<int>(c)) != mmm::RfForm::none && rf_of_[static_cast<std::size_t>(c)] < 0)
        fail("channel ", c,
             " is a reach-and-frequency channel: the planner needs how its spend becomes reach and "
             "frequency (settings.rf: a reach curve and impressions per unit of spend)");
    rf_shape_ = model.data().rf_shape;
    log_link_ = model.log_link();
    if (draws.cols() != model.dimension())
      fail("draws must have one column per unconstrained parameter (", model.dimension(), "), got ", draws.cols());
    if (draws.rows() < 1) fail("draws must have at least one row");
    if (!draws.allFinite()) fail("draws must be finite");
    if (history_media.cols() != C_) fail("history_media must have ", C_, " columns (channels), got ", history_media.cols());
    if (history_media.rows() < 1) fail("history_media must have at least one period");
    for (Eigen::Index c = 0; c < C_; ++c)
      for (Eigen::Index t = 0; t < history_media.rows(); ++t)
        if (!(history_media(t, c) >= 0.0) || !std::isfinite(history_media(t, c)))
          fail("history_media: row ", t, ", column ", c, " is ", history_media(t, c), "; expected a finite number >= 0");
    const Eigen::Index E = d.trust_enabled ? d.shocks.cols() : 0;
    if (history_shocks.cols() != 0 && (history_shocks.cols() != E || history_shocks.rows() != history_media.rows()))
      fail("history_shocks must be ", history_media.rows(), " x ", E, " (or have 0 columns), got ", history_shocks.rows(),
           " x ", history_shocks.cols());
    if (s_.units_per_spend.size() != C_)
      fail("units_per_spend needs one value per channel (", C_, "), got ", s_.units_per_spend.size());
    for (Eigen::Index c = 0; c < C_; ++c)
      if (!(s_.units_per_spend[c] > 0.0) || !std::isfinite(s_.units_per_spend[c]))
        fail("units_per_spend[", c, "] must be finite and > 0, got ", s_.units_per_spend[c]);
    if (!(s_.outcome_scale > 0.0) || !std::isfinite(s_.outcome_scale))
      fail("outcome_scale must be finite and > 0, got ", s_.outcome_scale);
    if (!(s_.discount > 0.0 && s_.discount <= 1.0)) fail("discount must be in (0, 1], got ", s_.discount);
    if (s_.tail < -1) fail("tail must be >= 0 periods, or -1 (from tail_coverage), got ", s_.tail);
    if (s_.tail == -1 && !(s_.tail_coverage > 0.0 && s_.tail_coverage <= 1.0))
      fail("tail_coverage must be in (0, 1], got ", s_.tail_coverage);
    if (bounded_ && s_.tail == -1 && s_.tail_coverage >= 1.0)
      fail(
          "tail_coverage = 1 (the infinite tail, in closed form) is for trust_form = 'linear' only: the bounded "
          "form's tail is run period by period; use tail_coverage < 1 (e.g. 0.99) or a fixed tail");
    if (log_link_ && d.trust_enabled && s_.tail == -1 && s_.tail_coverage >= 1.0)
      fail(
          "tail_coverage = 1 (the infinite tail, in closed form) is for link = 'identity' only: under the log "
          "link the tail is run period by period; use tail_coverage < 1 (e.g. 0.99) or a fixed tail");
    const Eigen::Index K = d.baseline.cols();
    if (s_.future_baseline.size() != 0 && (s_.future_baseline.rows() != H_ || s_.future_baseline.cols() != K))
      fail("future_baseline must be ", H_, " x ", K, " (horizon x baseline columns) or empty, got ",
           s_.future_baseline.rows(), " x ", s_.future_baseline.cols());
    if (!s_.future_baseline.allFinite()) fail("future_baseline must be finite");
    trust_enabled_ = d.trust_enabled;
    const Eigen::Index n = draws.rows();
    // Log link: the baseline's level after the data, each column's mean over the last
    // min(T, 52) periods of the fit's data (as the analyses, analyses.hpp: under the log
    // link the baseline multiplies every effect, so it cannot be left out).
    Eigen::RowVectorXd base_level;
    if (log_link_) base_level = d.baseline.bottomRows(std::min<Eigen::Index>(d.baseline.rows(), 52)).colwise().mean();
    require_memory(8.0 * static_cast<double>(n) * static_cast<double>((L_ + 1) * C_ * 2 + L_ * C_ + 8 * C_ + H_ + 64),
                   "the planner's per-draw state", "plan on fewer draws");
    const Eigen::Index T0 = history_media.rows();
    draw_.resize(static_cast<std::size_t>(n));
    const Matrix zero_baseline = Matrix::Zero(T0, K);
    const Matrix shocks = history_shocks.cols() == 0 ? Matrix::Zero(T0, E) : history_shocks;
    std::atomic<bool> too_long{false};
    parallel_for_blocks(
        static_cast<std::ptrdiff_t>(n), s_.threads, 1,
        [&](std::ptrdiff_t b, std::ptrdiff_t e) {
          for (auto i = b; i < e; ++i) {
            Draw& dr = draw_[static_cast<std::size_t>(i)];
            const Vector z = draws.row(i).transpose();
            const mmm::TrustModelParameters p = model.constrain(z);
            dr.p = p;
            dr.w.resize(L_ + 1, C_);
            dr.half.resize(C_);
            dr.alpha.resize(C_);
            dr.alpha_l1.resize(C_);
            dr.w0u.resize(C_);
            dr.coef_conv = Vector::Zero(C_);
            int ks = 0;
            for (Eigen::Index c = 0; c < C_; ++c) {
              weights(p.alpha[c], dr.w.col(c));
              dr.alpha[c] = p.alpha[c];
              dr.alpha_l1[c] = std::pow(p.alpha[c], static_cast<double>(L_ + 1));
              dr.half[c] = 0.5 * p.lam[c];
              dr.w0u[c] = dr.w(0, c) * (rf_of_[static_cast<std::size_t>(c)] >= 0 ? 1.0 : s_.units_per_spend[c]);
              if (d.conversion[static_cast<std::size_t>(c)]) dr.coef_conv[c] = p.beta[ks++];
            }
            dr.delta = trust_enabled_ ? p.delta : 0.0;
            dr.gamma = trust_enabled_ ? p.gamma : 0.0;
            dr.theta = trust_enabled_ ? p.theta : 0.0;
            if (s_.future_baseline.size() != 0) dr.base = s_.future_baseline * p.b;
            dr.exp_level = log_link_ ? std::exp(K > 0 ? base_level.dot(p.b) : 0.0) : 1.0;
            // The history: adstock carry into the plan (row-major, L x C) and the stock at its end.
            dr.carry = RowMatrix::Zero(L_, C_);
            for (Eigen::Index c = 0; c < C_; ++c) {
              // an RF channel's adstock input is the model's r g(f) of the history
              Vector rf_x;
              const bool is_rf = rf_of_[static_cast<std::size_t>(c)] >= 0;
              if (is_rf) {
                rf_x.resize(T0);
                model.rf_input(static_cast<int>(c), p.lam[c], p.slope[c], history_media.col(c), rf_x);
              }
              for (Eigen::Index t = 0; t < L_; ++t) {
                double acc = 0.0;
                for (Eigen::Index l = t + 1; l <= L_; ++l) {
                  const Eigen::Index src = T0 + t - l;
                  if (src >= 0) acc += dr.w(l, c) * (is_rf ? rf_x[src] : history_media(src, c));
                }
                dr.carry(t, c) = acc;
              }
            }
            dr.g_end = 0.0;
            if (trust_enabled_) {
              const mmm::TrustModelForward f = model.forward_on(z, history_media, zero_baseline, shocks);
              dr.g_end = f.trust_stock[T0 - 1];
            }
            // The tail: explicit window N = H + min(L, tail). The rest: in closed form
            // (linear form), or the stock alone run on for tail - L more periods of zero
            // inflow by the model's own recursion (bounded form).
            const double rho = s_.discount;
            int tail = s_.tail;
            bool infinite = false;
            if (tail == -1) {
              if (!trust_enabled_ || dr.delta <= 0.0) {
                tail = static_cast<int>(L_);
              } else if (s_.tail_coverage >= 1.0) {
                infinite = true;
                tail = std::numeric_limits<int>::max();
              } else {
                const double k = std::ceil(std::log(1.0 - s_.tail_coverage) / std::log(dr.delta) - 1e-12);
                tail = static_cast<int>(std::min(std::max(k, static_cast<double>(L_)), 1e9));
              }
            }
            dr.tail = tail;
            dr.explicit_periods = H_ + std::min<Eigen::Index>(L_, tail);
            dr.q = 0.0;
            dr.stock_tail = 0;
            if (trust_enabled_ && tail > L_ && (bounded_ || log_link_)) {
              if (tail - L_ > max_stock_tail) {
                too_long = true;
                continue;
              }
              dr.stock_tail = tail - L_;
            } else if (trust_enabled_ && tail > L_) {
              const double rd = rho * dr.delta;
              const double lead = std::pow(rho, static_cast<double>(dr.explicit_periods - 1));
              dr.q = infinite ? lead * rd / (1.0 - rd)
                              : lead * rd * (1.0 - std::pow(rd, static_cast<double>(tail - L_))) / (1.0 - rd);
            }
          }
        },
        4);
    if (too_long)
      fail("the bounded form's tail is run period by period and some draw needs more than ", max_stock_tail,
           " periods of it (a trust half-life near infinity): set a fixed tail or a lower tail_coverage");
    N_max_ = H_ + L_;
    for (const Draw& dr : draw_) K_max_ = std::max(K_max_, dr.stock_tail);
    rpow_.resize(N_max_ + K_max_);
    for (Eigen::Index t = 0; t < N_max_ + K_max_; ++t) rpow_[t] = std::pow(s_.discount, static_cast<double>(t));
  }

  [[nodiscard]] Eigen::Index draws() const override { return static_cast<Eigen::Index>(draw_.size()); }
  [[nodiscard]] Eigen::Index periods() const override { return H_; }
  [[nodiscard]] Eigen::Index channels() const override { return C_; }
  [[nodiscard]] const ForwardSettings& settings() const { return s_; }
  /// Concave in the schedule: the adstock is linear with weights >= 0 and the saturation
  /// tanh(lam a / 2) concave for a >= 0, so every h is concave; the linear trust stock is
  /// a sum of h with weights >= 0, so gamma G and beta h are concave (gamma, beta >= 0).
  /// The amplification c (1 + theta G) is a product of concave functions, not concave,
  /// and the bounded stock is not either: true only without trust, or in the linear form
  /// with theta = 0 in every draw. Under the log link the outcome is exp of a concave
  /// function, not concave: false.
  [[nodiscard]] bool concave() const override {
    if (!s_.rf.empty() || log_link_) return false;  // RF: the hill form is S-shaped in frequency; not certified
    if (!trust_enabled_) return true;
    if (bounded_) return false;
    for (const Draw& dr : draw_)
      if (dr.theta != 0.0) return false;
    return true;
  }
  /// Periods counted after the horizon for draw i (the tail).
  [[nodiscard]] int tail_periods(Eigen::Index i) const { return draw_[static_cast<std::size_t>(i)].tail; }
  /// Longest tail the bounded form runs period by period (beyond the adstock window).
  static constexpr Eigen::Index max_stock_tail = 100000;

  void evaluate(const Matrix& spend, Vector& values, Matrix* grads) const override {
    const RowMatrix xr = check_spend(spend);
    const RfState rs = rf_state(xr);
    const Eigen::Index n = draws();
    values.resize(n);
    if (grads != nullptr) grads->resize(H_ * C_, n);
    parallel_for_blocks(
        static_cast<std::ptrdiff_t>(n), s_.threads, 8,
        [&](std::ptrdiff_t b, std::ptrdiff_t e) {
          Work w(N_max_, K_max_, C_);
          for (auto i = b; i < e; ++i) {
            const auto ii = static_cast<Eigen::Index>(i);
            values[ii] = run(draw_[static_cast<std::size_t>(i)], xr, rs, w,
                             grads != nullptr ? grads->col(ii).data() : nullptr, nullptr, ii);
          }
        },
        4);
  }

  /// The weighted gradient (DrawObjective::evaluate_weighted): draws in fixed chunks of
  /// 16, each chunk's sum_i weight[i] dY_i/ds in draw order, the chunks' sums added in
  /// chunk order: the same result for every thread count, without the (H C) x n matrix.
  void evaluate_weighted(const Matrix& spend, const Vector& weight, bool need_values, Vector& values,
                         Vector& g) const override {
    const RowMatrix xr = check_spend(spend);
    const RfState rs = rf_state(xr);
    const Eigen::Index n = draws(), HC = H_ * C_, chunk = 16, nc = (n + chunk - 1) / chunk;
    if (weight.size() != n) fail("weight needs one value per draw (", n, "), got ", weight.size());
    if (need_values) values.resize(n);
    Matrix part = Matrix::Zero(HC, nc);
    parallel_for_blocks(
        static_cast<std::ptrdiff_t>(nc), s_.threads, 1,
        [&](std::ptrdiff_t b, std::ptrdiff_t e) {
          Work w(N_max_, K_max_, C_);
          Vector gi(HC);
          for (auto k = b; k < e; ++k) {
            const auto kk = static_cast<Eigen::Index>(k);
            for (Eigen::Index i = kk * chunk; i < std::min(n, (kk + 1) * chunk); ++i) {
              const Draw& dr = draw_[static_cast<std::size_t>(i)];
              if (weight[i] != 0.0) {
                const double y = run(dr, xr, rs, w, gi.data(), nullptr, i);
                if (need_values) values[i] = y;
                part.col(kk) += weight[i] * gi;
              } else if (need_values) {
                values[i] = run(dr, xr, rs, w, nullptr, nullptr, i);
              }
            }
          }
        },
        1);
    g = Vector::Zero(HC);
    for (Eigen::Index k = 0; k < nc; ++k) g += part.col(k);
  }

  double evaluate_draw(Eigen::Index i, const Matrix& spend, double* grad) const override {
    const RowMatrix xr = check_spend(spend);
    if (i < 0 || i >= draws()) fail("draw ", i, " is not in 0..", draws() - 1);
    const RfState rs = rf_state(xr);
    Work w(N_max_, K_max_, C_);
    return run(draw_[static_cast<std::size_t>(i)], xr, rs, w, grad, nullptr, 0);
  }

  /// Per-draw, per-period paths of a schedule (see PlanPaths).
  [[nodiscard]] PlanPaths paths(const Matrix& spend) const {
    const RowMatrix xr = check_spend(spend);
    const RfState rs = rf_state(xr);
    const Eigen::Index n = draws();
    PlanPaths out;
    for (Matrix* m : {&out.outcome, &out.stock, &out.conversion, &out.amplification, &out.trust_direct})
      m->setConstant(n, N_max_, std::numeric_limits<double>::quiet_NaN());
    out.tail_outcome.resize(n);
    out.total.resize(n);
    out.tail_periods.resize(n);
    parallel_for_blocks(
        static_cast<std::ptrdiff_t>(n), s_.threads, 8,
        [&](std::ptrdiff_t b, std::ptrdiff_t e) {
          Work w(N_max_, K_max_, C_);
          for (auto i = b; i < e; ++i) {
            const auto ii = static_cast<Eigen::Index>(i);
            out.total[ii] = run(draw_[static_cast<std::size_t>(i)], xr, rs, w, nullptr, &out, ii);
            out.tail_periods[ii] = draw_[static_cast<std::size_t>(i)].tail;
          }
        },
        4);
    return out;
  }

 private:
  using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  struct Draw {
    mmm::TrustModelParameters p;  // the constrained parameters (the model's trust dynamics run on them)
    Matrix w;                 // (L+1) x C adstock weights
    Vector half;              // lam / 2
    Vector alpha, alpha_l1;   // alpha and alpha^(L+1)
    Vector w0u;               // w_0 u_c: activity of one unit of spend in its own period
    Vector coef_conv;         // beta (0 for other channels)
    Vector base;              // H: b . B_future[t] (empty: none)
    double exp_level = 1.0;   // log link: exp(b . level), the baseline's multiplier after the data
    RowMatrix carry;          // L x C
    double delta = 0, gamma = 0, theta = 0, g_end = 0, q = 0;
    int tail = 0;
    Eigen::Index explicit_periods = 0;
    Eigen::Index stock_tail = 0;  // bounded form: periods of the stock alone after the window
  };
  /// Work buffers of one block of draws: row-major N x C (one period's channels
  /// contiguous: the adstock recursions of all channels advance together and the
  /// saturation runs on vectors), and the stock's series over N + K periods.
  struct Work {
    RowMatrix a, h, ga;
    Vector u, G, gG, gu, conv, gc, S, zero, mu;  // mu: log link, d m[t] / d eta[t] = exp(eta[t])
    RowMatrix xin, dx;  // RF channels: the schedule with RF columns as the model's r g(f), and dx/ds
    Work(Eigen::Index N, Eigen::Index K, Eigen::Index C)
        : a(N, C), h(N, C), ga(N, C), u(N + K), G(N + K), gG(N + K), gu(N + K), conv(N), gc(N), S(C), zero(Vector::Zero(C)),
          mu(N + K) {}
  };
  /// The schedule-only part of the RF chain (rf.hpp), per RF channel q: H values each of
  /// r, dr/ds, v (hill: the frequency f; exposure: the untruncated mean m of the model's
  /// zero-truncated exposures with mean f) and dv/ds.
  struct RfState {
    std::vector<Vector> r, dr, v, dv;
  };
  RfState rf_state(const RowMatrix& xr) const {
    RfState st;
    const std::size_t nq = s_.rf.size();
    st.r.resize(nq);
    st.dr.resize(nq);
    st.v.resize(nq);
    st.dv.resize(nq);
    for (std::size_t q = 0; q < nq; ++q) {
      const RfChannel& ch = s_.rf[q];
      const bool exposure = model_.rf_form(ch.channel) == mmm::RfForm::exposure;
      for (Vector* x : {&st.r[q], &st.dr[q], &st.v[q], &st.dv[q]}) x->resize(H_);
      for (Eigen::Index t = 0; t < H_; ++t) {
        const RfPoint pt = rf_point(ch, xr(t, ch.channel));
        st.r[q][t] = pt.r;
        st.dr[q][t] = pt.dr;
        if (exposure) {
          double dm = 0.0;
          st.v[q][t] = exposure_mean(pt.f, rf_shape_, dm);
          st.dv[q][t] = dm * pt.df;
        } else {
          st.v[q][t] = pt.f;
          st.dv[q][t] = pt.df;
        }
      }
    }
    return st;
  }

  template <class W>
  static void weights(double alpha, W&& w) {  // alpha^l / sum_m alpha^m, as trust_model.hpp
    double s = 0.0, pw = 1.0;
    for (Eigen::Index l = 0; l < w.size(); ++l) {
      w[l] = pw;
      s += pw;
      pw *= alpha;
    }
    for (Eigen::Index l = 0; l < w.size(); ++l) w[l] /= s;
  }

  /// Checks the schedule (H x C, finite, >= 0) and returns it row-major. A cell below 0
  /// by no more than 1e-9 of the largest |cell| (an optimiser's rounding step just outside
  /// its bound) counts as 0; below that it is an error.
  RowMatrix check_spend(const Matrix& spend) const {
    if (spend.rows() != H_ || spend.cols() != C_)
      fail("schedule must be ", H_, " x ", C_, " (periods x channels), got ", spend.rows(), " x ", spend.cols());
    if (!spend.allFinite())
      for (Eigen::Index c = 0; c < C_; ++c)
        for (Eigen::Index t = 0; t < H_; ++t)
          if (!std::isfinite(spend(t, c)))
            fail("schedule: period ", t, ", channel ", c, " is ", spend(t, c), "; expected a finite number >= 0");
    RowMatrix xr = spend;
    if ((xr.array() < 0.0).any()) {
      const double tol = 1e-9 * xr.cwiseAbs().maxCoeff();
      for (Eigen::Index c = 0; c < C_; ++c)
        for (Eigen::Index t = 0; t < H_; ++t)
          if (xr(t, c) < 0.0) {
            if (xr(t, c) < -tol)
              fail("schedule: period ", t, ", channel ", c, " is ", xr(t, c), "; expected a finite number >= 0");
            xr(t, c) = 0.0;
          }
    }
    return xr;
  }

  /// One draw: Y; with grad != nullptr also dY/ds (H C values, index t + H c); with
  /// paths != nullptr its row `row` of the paths. xr: the schedule, row-major H x C.
  double run(const Draw& dr, const RowMatrix& xr_spend, const RfState& rs, Work& w, double* grad, PlanPaths* paths,
             Eigen::Index row) const {
    const Eigen::Index N = dr.explicit_periods, H = H_, L = L_, C = C_, NS = N + dr.stock_tail;
    // RF channels: their adstock input is the model's response x = r g(v) of this draw
    // (rf.hpp), with dx/ds for the reverse pass; other channels: the spend as it is.
    const bool has_rf = !s_.rf.empty();
    if (has_rf) {
      w.xin = xr_spend;
      w.dx.resize(H, C);
      for (std::size_t q = 0; q < s_.rf.size(); ++q) {
        const int c = s_.rf[q].channel;
        const mmm::RfForm form = model_.rf_form(c);
        for (Eigen::Index t = 0; t < H; ++t) {
          double dg = 0.0;
          const double g = rf_response(form, rs.v[q][t], dr.p.lam[c], dr.p.slope[c], rf_shape_, dg);
          w.xin(t, c) = rs.r[q][t] * g;
          w.dx(t, c) = rs.dr[q][t] * g + rs.r[q][t] * dg * rs.dv[q][t];
        }
      }
    }
    const RowMatrix& xr = has_rf ? w.xin : xr_spend;
    const double ys = s_.outcome_scale;
    const Eigen::Index counted = std::min<Eigen::Index>(N, H + static_cast<Eigen::Index>(std::min(dr.tail, 1 << 30)));
    // forward: adstock of every channel by its O(1) geometric recursion, period by period
    // (S[t] = alpha S[t-1] + x[t] - alpha^(L+1) x[t-L-1], a = carry + S w_0 u), then the
    // logistic saturation h = tanh(lam a / 2) on whole rows (transforms' SIMD kernel)
    double* S = w.S.data();
    for (Eigen::Index c = 0; c < C; ++c) S[c] = 0.0;
    const double* zero = w.zero.data();
    const double *alpha = dr.alpha.data(), *aL1 = dr.alpha_l1.data(), *w0u = dr.w0u.data();
    for (Eigen::Index t = 0; t < N; ++t) {
      const double* in = t < H ? xr.data() + t * C : zero;
      const double* out = t > L && t - L - 1 < H ? xr.data() + (t - L - 1) * C : zero;
      const double* carry = t < L ? dr.carry.data() + t * C : zero;
      double* ar = w.a.data() + t * C;
      for (Eigen::Index c = 0; c < C; ++c) {
        S[c] = alpha[c] * S[c] + in[c] - aL1[c] * out[c];
        ar[c] = carry[c] + w0u[c] * S[c];
      }
    }
    transforms::detail::simd::logistic_rows(w.a.data(), C, w.h.data(), C, N, C, dr.half.data());
    if (has_rf)  // RF channels: h = Adstock(x), no logistic saturation (the response is inside)
      for (const RfChannel& ch : s_.rf)
        for (Eigen::Index t = 0; t < N; ++t) w.h(t, ch.channel) = w.a(t, ch.channel);
    // trust stock by the model's own dynamics (either form): inflow over the window, zero
    // inflow over the bounded form's stock tail
    const Eigen::Map<const RowMatrix> h(w.h.data(), N, C);
    model_.trust_inflow(dr.p, h, w.u.data());
    for (Eigen::Index t = N; t < NS; ++t) w.u[t] = 0.0;
    model_.continue_stock(dr.p, dr.g_end, w.u.data(), NS, w.G.data());
    // conversion and outcome
    double y = 0.0;
    const double* beta = dr.coef_conv.data();
    for (Eigen::Index t = 0; t < N; ++t) {
      const double* hr = w.h.data() + t * C;
      double conv = 0.0;
      for (Eigen::Index c = 0; c < C; ++c) conv += beta[c] * hr[c];
      const double stock = w.G[t];
      w.conv[t] = conv;
      const double eta = dr.gamma * stock + conv * (1.0 + dr.theta * stock);  // the media's and the stock's part
      double m = eta, part = 1.0;  // part: outcome per unit of a log-scale term (the allocation of forward_on)
      if (!log_link_) {
        if (dr.base.size() != 0 && t < H) m += dr.base[t];
      } else if (dr.base.size() != 0 && t < H) {  // log link with the future baseline: the model's mu
        const double eb = std::exp(dr.base[t]);
        m = std::exp(dr.base[t] + eta);
        w.mu[t] = m;
        part = eta != 0.0 ? eb * std::expm1(eta) / eta : eb;
      } else {  // log link: mu - exp(baseline), the outcome the media and the stock add to the baseline's
        m = dr.exp_level * std::expm1(eta);
        w.mu[t] = dr.exp_level * std::exp(eta);
        part = eta != 0.0 ? m / eta : dr.exp_level;
      }
      if (t < counted) y += rpow_[t] * m;
      if (paths != nullptr) {
        paths->outcome(row, t) = m * ys;
        paths->stock(row, t) = stock;
        paths->conversion(row, t) = conv * part * ys;
        paths->amplification(row, t) = dr.theta * stock * conv * part * ys;
        paths->trust_direct(row, t) = dr.gamma * stock * part * ys;
      }
    }
    double tail_part = dr.gamma * w.G[N - 1] * dr.q;  // linear form: the closed-form rest of the tail
    // Bounded form: run; the tail counts the stock's distance to its baseline share b,
    // gamma (G - b), since gamma b per period is no schedule's doing and never ends (counted,
    // it would make Y grow with the tail's length, draw by draw).
    const double gb = bounded_ ? dr.gamma * dr.p.trust_base : 0.0;
    if (!log_link_) {
      for (Eigen::Index t = N; t < NS; ++t) tail_part += rpow_[t] * (dr.gamma * w.G[t] - gb);
    } else {  // log link: exp(level) (exp(gamma G) - exp(gamma b)), b = 0 in the linear form
      const double egb = dr.exp_level * std::exp(gb);
      for (Eigen::Index t = N; t < NS; ++t) {
        w.mu[t] = dr.exp_level * std::exp(dr.gamma * w.G[t]);
        tail_part += rpow_[t] * egb * std::expm1(dr.gamma * w.G[t] - gb);
      }
    }
    if (paths != nullptr) paths->tail_outcome[row] = tail_part * ys;
    y = (y + tail_part) * ys;
    if (grad == nullptr) return y;
    // reverse: outcome -> stock (the model's adjoint) and conversion -> saturation ->
    // adstock -> spend
    for (Eigen::Index t = N; t < NS; ++t) w.gG[t] = ys * rpow_[t] * dr.gamma * (log_link_ ? w.mu[t] : 1.0);
    for (Eigen::Index t = N - 1; t >= 0; --t) {
      double gm = t < counted ? ys * rpow_[t] : 0.0;
      if (log_link_) gm *= w.mu[t];  // d m / d eta = exp(eta) (times the baseline's factor)
      double gG = gm * (dr.gamma + dr.theta * w.conv[t]);
      if (t == N - 1) gG += ys * dr.gamma * dr.q;
      w.gG[t] = gG;
      w.gc[t] = gm * (1.0 + dr.theta * w.G[t]);
    }
    (void)model_.continue_stock_adjoint(dr.p, dr.g_end, w.u.data(), w.G.data(), w.gG.data(), NS, w.gu.data());
    for (Eigen::Index t = 0; t < N; ++t) {
      double* gr = w.ga.data() + t * C;
      for (Eigen::Index c = 0; c < C; ++c) gr[c] = beta[c] * w.gc[t];
    }
    Eigen::Map<RowMatrix> ga(w.ga.data(), N, C);
    model_.trust_inflow_adjoint(dr.p, w.gu.data(), N, ga);
    const double* half = dr.half.data();
    for (Eigen::Index t = 0; t < N; ++t) {
      double* gr = w.ga.data() + t * C;
      const double* hr = w.h.data() + t * C;
      if (!has_rf) {
        for (Eigen::Index c = 0; c < C; ++c) gr[c] = gr[c] * half[c] * (1.0 - hr[c] * hr[c]);
      } else {
        for (Eigen::Index c = 0; c < C; ++c)
          if (rf_of_[static_cast<std::size_t>(c)] < 0) gr[c] = gr[c] * half[c] * (1.0 - hr[c] * hr[c]);
      }
    }
    // adjoint of the adstock: dY/dx[t] = sum_{l=0}^{L} w_l ga[t + l] = w_0 R[t] with
    // R[t] = ga[t] + alpha R[t+1] - alpha^(L+1) ga[t+L+1] (ga = 0 beyond N)
    double* R = w.S.data();
    for (Eigen::Index c = 0; c < C; ++c) R[c] = 0.0;
    for (Eigen::Index t = N - 1; t >= 0; --t) {
      const double* gr = w.ga.data() + t * C;
      const double* go = t + L + 1 < N ? w.ga.data() + (t + L + 1) * C : zero;
      for (Eigen::Index c = 0; c < C; ++c) R[c] = alpha[c] * R[c] + gr[c] - aL1[c] * go[c];
      if (t < H)
        for (Eigen::Index c = 0; c < C; ++c) grad[t + H * c] = w0u[c] * R[c];
    }
    if (has_rf)  // dY/ds = dY/dx dx/ds for the RF channels
      for (const RfChannel& ch : s_.rf)
        for (Eigen::Index t = 0; t < H; ++t) grad[t + H * ch.channel] *= w.dx(t, ch.channel);
    return y;
  }

  const mmm::TrustModel model_;  // a copy: its trust dynamics are what the plan runs
  Vector rpow_;                  // rho^t, t < H + L + the longest stock tail
  const ForwardSettings s_;
  Eigen::Index C_ = 0, L_ = 0, H_ = 0, N_max_ = 0, K_max_ = 0;
  bool trust_enabled_ = false, bounded_ = false, log_link_ = false;
  std::vector<Draw> draw_;
  std::vector<int> rf_of_;   // per channel: its entry in s_.rf, or -1
  double rf_shape_ = 1.0;    // the model's exposure-form shape
};

}  // namespace trustmix::plan
