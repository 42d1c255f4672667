#pragma once
// Plans for a geo panel fit (issue 20: "The planner gains budgets per geo and per region
// group"): the schedule of geo-bought channels across geos and periods that maximises a
// criterion of the panel model's posterior, under a total budget, per-geo budgets and
// budgets of geo groups (regions). The objective is a plan::DrawObjective, so the
// criteria, risk measures and the solver are the planner's own (objective.hpp,
// optimize.hpp): this file adds the panel's forward model with its exact gradient and turns
// geo and group budgets into the solver's linear constraints.
//
// Decision: s[t, j], t < H periods after the data, column j = k G + g for the k-th planned
// channel (channels[k], bought per geo) and geo g: the spend of that channel in that geo.
// Activity per spend: x[c, g, t] = u[k, g] s[t, j], u the per-capita scaled activity per
// unit of spend in geo g (the caller's: typically the geo's historical activity / spend,
// divided by its last population and the channel's scale). Channels not planned (national
// ones, say) hold `other_activity` (C x G per period, per-capita scaled; default 0) over
// the plan; every channel is zero in the `tail` periods after it.
//
// Forward model per draw (constrained parameters of PanelTrustModel::constrain; notation of
// panel_model.hpp), over the periods t = T - L .. T + H + tail - 1 (L = max_lag; the data's
// last L periods supply the adstock carry into the plan, the stock starts from its value at
// the data's last period S_g[T - 1], from PanelTrustModel::forward):
//   a[c, g, t] = sum_{l=0}^{L} w_l(alpha_cg) x[c, g, t - l],  h = tanh(lam_cg a / 2) (logistic)  (t >= T)
//                (alpha_cg, lam_cg: the geo's own values under per-geo pooling, else alpha_c, lam_c;
//                a Hill channel's h = a^s / (a^s + ec_cg^s), ec in lam's place: the model's curve)
//   national stock: S[t] = delta S[t-1] + (1 - delta) sum_p kappa_p h_p(an[p, t]) (h_p the channel's
//                   curve at lam_p: tanh(lam_p an / 2), or Hill's with ec_p),
//                   an the adstock (weights w(alpha_p)) of xn[p, t] = sum_g w_g x[p, g, t] (w:
//                   the last period's population weights); S_g = S ("national") or
//                   S_g = m_g S ("national+geo", m_g the geo's multiplier); geo stock:
//                   S_g[t] = delta_g S_g[t-1] + (1 - delta_g) sum_p kappa_p h[p, g, t]
//                   bounded form (PanelModelData::trust_form): the national share S[t] =
//                   1 - (1 - m[t]) e[t], 1 - m[t] = (1 - delta)(1 - b) + delta (1 - S[t-1]),
//                   e[t] = exp(-rho u[t]) (the model's own recursion), S_g = m_g S
//   m_g[t] = gamma S_g[t] + sum_s beta[s, g] h[s, g, t] (1 + theta_g S_g[t])
//   Y      = sum_{t >= T} sum_g P_g m_g[t],  P_g = outcome_scale pop[T - 1, g]
// Y is the outcome media and the trust stock produce over the plan and its tail (raw units;
// the baseline, which no plan changes, left out, as the national planner does), including
// the carry-over of the data's own activity (a constant of the plan).
//
// Reverse mode (exact; tested against finite differences): gS_g[t] = P_g (gamma + theta_g
// c_g[t]), gh[s, g, t] = P_g beta[s, g] (1 + theta_g S_g[t]); the stock's adjoint
// lambda[t] = gS[t] + delta lambda[t+1] (national: gS[t] = sum_g m_g gS_g[t], m_g = 1 for
// "national"), gu = (1 - delta) lambda (bounded: lambda[t] = gS[t] + delta e[t+1] lambda[t+1],
// gu = rho e (1 - m) lambda), gh[p, ., t] += kappa_p gu[t] (national: through hn
// and xn to every geo with weight w_g); ga = gh dh/da (logistic: (lam_cg / 2)(1 - h^2)); dY/dx[c, g, t'] =
// sum_l w_l(alpha_cg) ga[c, g, t' + l];
// dY/ds[t, j] = u[k, g] dY/dx[c_k, g, T + t].
//
// Budgets: the total budget B is spent exactly (sum s = B); a geo or group budget
// [lower, upper] on the plan's spend in its geos (equal bounds: spent exactly) becomes the
// solver's group share lower / B <= (spend of the group's columns) / (total spend) <= upper /
// B, which under sum s = B is the budget itself (optimize.hpp's GroupShare).
//
// Cost per evaluation: O(n (L + H + tail) G C L); draws in parallel (parallel_for_blocks),
// each draw's arithmetic the same on every thread count: bit-identical results.
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/mmm/panel_model.hpp"
#include "trustmix/plan/objective.hpp"
#include "trustmix/plan/optimize.hpp"
#include "trustmix/transforms/adstock.hpp"

namespace trustmix::plan {

/// Settings of PanelPlanModel (see the top of this file).
struct PanelPlanSettings {
  int horizon = 13;           ///< H: periods of the plan
  int tail = 52;              ///< periods after the plan counted (zero activity)
  std::vector<int> channels;  ///< planned channels (model channel indices, bought per geo), >= 1
  Matrix units_per_spend;     ///< channels.size() x G: per-capita scaled activity per unit of spend, > 0
  Matrix other_activity;      ///< C x G: per-capita scaled activity per plan period of the other channels (empty: 0)
  double outcome_scale = 1.0; ///< raw outcome per model unit per head (build_panel's y_scale)
  Matrix population;          ///< T x G raw population (its last row is used); empty: ones
  int threads = 0;            ///< 0: every hardware thread
};

/// The panel model run forward for schedules over every draw (see the top of this file).
class PanelPlanModel final : public DrawObjective {
 public:
  PanelPlanModel(const mmm::PanelTrustModel& model, const Matrix& draws, PanelPlanSettings settings)
      : s_(std::move(settings)) {
    G_ = model.geos();
    C_ = model.channels();
    T_ = model.periods();
    L_ = model.data().max_lag;
    const int K = static_cast<int>(s_.channels.size());
    if (draws.cols() != model.dimension())
      fail("draws must have one column per unconstrained parameter (", model.dimension(), "), got ", draws.cols());
    if (draws.rows() < 1) fail("draws must have at least one row");
    if (!draws.allFinite()) fail("draws must be finite");
    if (s_.horizon < 1) fail("horizon must be >= 1 period, got ", s_.horizon);
    if (s_.tail < 0) fail("tail must be >= 0 periods, got ", s_.tail);
    if (K < 1) fail("channels must name at least one planned channel");
    if (T_ < L_) fail("the data (", T_, " periods) must be at least max_lag (", L_, ") long");
    std::vector<bool> seen(static_cast<std::size_t>(C_), false);
    for (int c : s_.channels) {
      if (c < 0 || c >= C_) fail("channel index ", c, " is out of range [0, ", C_, ")");
      if (seen[static_cast<std::size_t>(c)]) fail("channel index ", c, " is planned twice");
      seen[static_cast<std::size_t>(c)] = true;
    }
    if (s_.units_per_spend.rows() != K || s_.units_per_spend.cols() != G_)
      fail("units_per_spend must be planned channels x geos (", K, " x ", G_, "), got ", s_.units_per_spend.rows(), " x ",
           s_.units_per_spend.cols());
    for (int k = 0; k < K; ++k)
      for (int g = 0; g < G_; ++g)
        if (!(s_.units_per_spend(k, g) > 0.0) || !std::isfinite(s_.units_per_spend(k, g)))
          fail("units_per_spend: planned channel ", k, ", geo ", g, " must be finite and > 0, got ",
               s_.units_per_spend(k, g));
    if (s_.other_activity.size() == 0) s_.other_activity = Matrix::Zero(C_, G_);
    if (s_.other_activity.rows() != C_ || s_.other_activity.cols() != G_ || !s_.other_activity.allFinite() ||
        (s_.other_activity.array() < 0.0).any())
      fail("other_activity must be channels x geos (", C_, " x ", G_, "), finite and >= 0");
    if (!(s_.outcome_scale > 0.0) || !std::isfinite(s_.outcome_scale))
      fail("outcome_scale must be a finite number > 0, got ", s_.outcome_scale);
    Vector pop_last = Vector::Ones(G_);
    if (s_.population.size() != 0) {
      if (s_.population.rows() != T_ || s_.population.cols() != G_)
        fail("population must be periods x geos (", T_, " x ", G_, ") or empty");
      pop_last = s_.population.row(T_ - 1).transpose();
      if (!(pop_last.array() > 0.0).all() || !pop_last.allFinite()) fail("population must be finite and > 0");
    }
    P_ = s_.outcome_scale * pop_last;
    const auto& d = model.data();
    w_last_ = d.weights.row(T_ - 1).transpose();
    level_ = d.trust_level;
    bounded_ = model.bounded();
    trust_idx_ = model.trust_channels();
    for (int c = 0; c < C_; ++c) {
      form_.push_back(model.saturation_form(c));
      slope_.push_back(model.hill_slope(c));
    }
    conv_idx_ = model.conversion_channels();
    N_ = L_ + s_.horizon + s_.tail;
    // the history's last L periods (per-capita scaled), shared by every draw
    hist_.resize(static_cast<std::size_t>(C_));
    for (int c = 0; c < C_; ++c) hist_[static_cast<std::size_t>(c)] = d.media[static_cast<std::size_t>(c)].bottomRows(L_);
    const Eigen::Index n = draws.rows();
    draws_.resize(static_cast<std::size_t>(n));
    parallel_for_blocks(static_cast<std::ptrdiff_t>(n), s_.threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
      for (std::ptrdiff_t i = b; i < e; ++i) {
        const Vector z = draws.row(i).transpose();
        Draw& dr = draws_[static_cast<std::size_t>(i)];
        dr.p = model.constrain(z);
        dr.stock_end = level_ == mmm::TrustLevel::off ? Vector(Vector::Zero(G_))
                                                      : Vector(model.forward(z).stock.row(T_ - 1).transpose());
        dr.w.resize(C_, L_ + 1);
        dr.wg.resize(static_cast<Eigen::Index>(C_) * G_, L_ + 1);
        Vector dw(L_ + 1);  // (the weights' derivatives: not needed here)
        for (int c = 0; c < C_; ++c) {
          transforms::geometric_weights_into(dr.p.alpha[c], dr.w.row(c), dw);
          for (int g = 0; g < G_; ++g)
            transforms::geometric_weights_into(dr.p.alpha_geo(c, g), dr.wg.row(geo_row(c, g)), dw);
        }
      }
    });
  }

  [[nodiscard]] Eigen::Index draws() const override { return static_cast<Eigen::Index>(draws_.size()); }
  [[nodiscard]] Eigen::Index periods() const override { return s_.horizon; }
  [[nodiscard]] Eigen::Index channels() const override { return static_cast<Eigen::Index>(s_.channels.size()) * G_; }
  [[nodiscard]] int geos() const { return G_; }
  [[nodiscard]] const PanelPlanSettings& settings() const { return s_; }
  /// Column of the schedule of the k-th planned channel in geo g.
  [[nodiscard]] Eigen::Index column(int k, int g) const { return static_cast<Eigen::Index>(k) * G_ + g; }

  void evaluate(const Matrix& spend, Vector& values, Matrix* grads) const override {
    check(spend);
    const Eigen::Index n = draws();
    values.resize(n);
    if (grads != nullptr) grads->resize(periods() * channels(), n);
    parallel_for_blocks(static_cast<std::ptrdiff_t>(n), s_.threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
      Scratch sc;
      for (std::ptrdiff_t i = b; i < e; ++i)
        values[i] = run(static_cast<std::size_t>(i), spend, grads != nullptr ? grads->col(i).data() : nullptr, sc);
    });
  }
  double evaluate_draw(Eigen::Index i, const Matrix& spend, double* grad) const override {
    check(spend);
    if (i < 0 || i >= draws()) fail("draw ", i, " is not in 0..", draws() - 1);
    Scratch sc;
    return run(static_cast<std::size_t>(i), spend, grad, sc);
  }

  /// Per draw and geo, the outcome Y_g of a schedule (n x G; Y = the row sums).
  [[nodiscard]] Matrix geo_outcomes(const Matrix& spend) const {
    check(spend);
    const Eigen::Index n = draws();
    Matrix out(n, G_);
    parallel_for_blocks(static_cast<std::ptrdiff_t>(n), s_.threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
      Scratch sc;
      for (std::ptrdiff_t i = b; i < e; ++i) {
        (void)run(static_cast<std::size_t>(i), spend, nullptr, sc);
        out.row(i) = sc.geo.transpose();
      }
    });
    return out;
  }

 private:
  struct Draw {
    mmm::PanelModelParameters p;
    Vector stock_end;  // G: S_g[T - 1]
    Matrix w;          // C x (L + 1) adstock weights of the national series (alpha_c)
    Matrix wg;         // C G x (L + 1) adstock weights per channel and geo (alpha_geo(c, g)), row geo_row(c, g)
  };
  [[nodiscard]] Eigen::Index geo_row(int c, int g) const { return static_cast<Eigen::Index>(c) * G_ + g; }
  /// Channel c's saturation (the model's curve) and its slope dh/da at adstock a, parameter v.
  [[nodiscard]] std::pair<double, double> sat(int c, double v, double a) const {
    return mmm::saturation_point(form_[static_cast<std::size_t>(c)], slope_[static_cast<std::size_t>(c)], v, a);
  }
  struct Scratch {
    std::vector<Matrix> x, h, dh, gh;  // C matrices N x G (dh: dh/da)
    Matrix S, gS;                  // N x G
    Matrix xn, hn, dhn;            // N x P (national stock)
    Matrix gxn;                    // N x C: dY/dxn (national stock)
    Vector geo, u, gu;             // G, N, N
    Vector sn, en, sxn;            // N: bounded national stock S[t], e[t] = exp(-rho u[t]), s[t] = 1
  };

  void check(const Matrix& spend) const {
    if (spend.rows() != periods() || spend.cols() != channels())
      fail("schedule must be ", periods(), " x ", channels(), " (periods x planned channel-geo columns), got ", spend.rows(),
           " x ", spend.cols());
  }

  /// Adstock at t >= L of column x (N values) with weights w (row of Draw::w).
  static double adstock_at(const Eigen::Ref<const Vector>& x, const Eigen::Ref<const Eigen::RowVectorXd>& w, int t) {
    double a = 0.0;
    for (Eigen::Index l = 0; l < w.size(); ++l) a += w[l] * x[t - l];
    return a;
  }

  double run(std::size_t i, const Matrix& spend, double* grad, Scratch& sc) const {
    const Draw& dr = draws_[i];
    const mmm::PanelModelParameters& p = dr.p;
    const int N = N_, L = L_, H = s_.horizon, K = static_cast<int>(s_.channels.size());
    const bool trust = level_ != mmm::TrustLevel::off;
    const bool national = level_ == mmm::TrustLevel::national || level_ == mmm::TrustLevel::national_geo;
    const bool multiplied = level_ == mmm::TrustLevel::national_geo;  // S_g = m_g S
    sc.x.assign(static_cast<std::size_t>(C_), Matrix::Zero(N, G_));
    sc.h.assign(static_cast<std::size_t>(C_), Matrix::Zero(N, G_));
    sc.dh.assign(static_cast<std::size_t>(C_), Matrix::Zero(N, G_));
    for (int c = 0; c < C_; ++c) {
      Matrix& x = sc.x[static_cast<std::size_t>(c)];
      x.topRows(L) = hist_[static_cast<std::size_t>(c)];
      x.middleRows(L, H).rowwise() = s_.other_activity.row(c);
    }
    for (int k = 0; k < K; ++k) {
      Matrix& x = sc.x[static_cast<std::size_t>(s_.channels[static_cast<std::size_t>(k)])];
      for (int g = 0; g < G_; ++g)
        for (int t = 0; t < H; ++t) x(L + t, g) = s_.units_per_spend(k, g) * std::max(spend(t, column(k, g)), 0.0);
    }
    for (int c = 0; c < C_; ++c)
      for (int g = 0; g < G_; ++g)
        for (int t = L; t < N; ++t) {
          const auto [h, dh] = sat(c, p.lam_geo(c, g),
                                   adstock_at(sc.x[static_cast<std::size_t>(c)].col(g), dr.wg.row(geo_row(c, g)), t));
          sc.h[static_cast<std::size_t>(c)](t, g) = h;
          sc.dh[static_cast<std::size_t>(c)](t, g) = dh;
        }
    // stock
    const auto P = static_cast<int>(trust_idx_.size());
    sc.S = Matrix::Zero(N, G_);
    if (national) {
      sc.xn.resize(N, P);
      sc.hn = Matrix::Zero(N, P);
      sc.dhn = Matrix::Zero(N, P);
      sc.u = Vector::Zero(N);
      for (int q = 0; q < P; ++q) {
        const int c = trust_idx_[static_cast<std::size_t>(q)];
        sc.xn.col(q) = sc.x[static_cast<std::size_t>(c)] * w_last_;
        for (int t = L; t < N; ++t) {
          std::tie(sc.hn(t, q), sc.dhn(t, q)) = sat(c, p.lam[c], adstock_at(sc.xn.col(q), dr.w.row(c), t));
          sc.u[t] += p.kappa[q] * sc.hn(t, q);
        }
      }
      if (bounded_) {  // the national share, from its value at the data's end (S_g = m_g S): the model's kernel
        sc.sn = Vector::Zero(N);
        sc.en = Vector::Zero(N);
        sc.sxn = Vector::Ones(N);  // no crises in the plan's future: s[t] = 1
        const Matrix none(N - L, 0);
        mmm::TrustModel::bounded_stock_recursion(p.delta, dr.stock_end[0] / p.stock_multiplier[0], p.trust_base, p.inflow,
                                                 sc.u.segment(L, N - L), p.omega, none, sc.sn.segment(L, N - L),
                                                 sc.en.data() + L, sc.sxn.data() + L);
        for (int t = L; t < N; ++t)
          for (int g = 0; g < G_; ++g) sc.S(t, g) = p.stock_multiplier[g] * sc.sn[t];
      } else if (multiplied) {  // S_g[t] = m_g S[t] = delta S_g[t-1] + (1 - delta) m_g u[t]
        for (int g = 0; g < G_; ++g) {
          double prev = dr.stock_end[g];
          const double m = p.stock_multiplier[g];
          for (int t = L; t < N; ++t) {
            prev = p.delta * prev + (1.0 - p.delta) * (m * sc.u[t]);
            sc.S(t, g) = prev;
          }
        }
      } else {
        double prev = dr.stock_end[0];
        for (int t = L; t < N; ++t) {
          prev = p.delta * prev + (1.0 - p.delta) * sc.u[t];
          sc.S.row(t).setConstant(prev);
        }
      }
    } else if (trust) {
      for (int g = 0; g < G_; ++g) {
        double prev = dr.stock_end[g];
        for (int t = L; t < N; ++t) {
          double u = 0.0;
          for (int q = 0; q < P; ++q)
            u += p.kappa[q] * sc.h[static_cast<std::size_t>(trust_idx_[static_cast<std::size_t>(q)])](t, g);
          prev = p.delta_geo[g] * prev + (1.0 - p.delta_geo[g]) * u;
          sc.S(t, g) = prev;
        }
      }
    }
    const double gamma = trust ? p.gamma : 0.0;
    const auto theta_of = [&](int g) { return trust ? p.theta_geo[g] : 0.0; };
    sc.geo = Vector::Zero(G_);
    for (int g = 0; g < G_; ++g) {
      const double theta = theta_of(g);
      double y = 0.0;
      for (int t = L; t < N; ++t) {
        double conv = 0.0;
        for (std::size_t j = 0; j < conv_idx_.size(); ++j)
          conv += p.beta(static_cast<Eigen::Index>(j), g) * sc.h[static_cast<std::size_t>(conv_idx_[j])](t, g);
        y += gamma * sc.S(t, g) + conv * (1.0 + theta * sc.S(t, g));
      }
      sc.geo[g] = P_[g] * y;
    }
    double total = 0.0;
    for (int g = 0; g < G_; ++g) total += sc.geo[g];
    if (grad == nullptr) return total;
    // ---- reverse mode -------------------------------------------------------------------
    sc.gh.assign(static_cast<std::size_t>(C_), Matrix::Zero(N, G_));
    sc.gS = Matrix::Zero(N, G_);
    for (int g = 0; g < G_; ++g) {
      const double theta = theta_of(g);
      for (int t = L; t < N; ++t) {
        double conv = 0.0;
        for (std::size_t j = 0; j < conv_idx_.size(); ++j) {
          const double bh = p.beta(static_cast<Eigen::Index>(j), g);
          conv += bh * sc.h[static_cast<std::size_t>(conv_idx_[j])](t, g);
          sc.gh[static_cast<std::size_t>(conv_idx_[j])](t, g) += P_[g] * bh * (1.0 + theta * sc.S(t, g));
        }
        sc.gS(t, g) = P_[g] * (gamma + theta * conv);
      }
    }
    if (national) {
      sc.gu = Vector::Zero(N);
      sc.gxn = Matrix::Zero(N, C_);
      for (int t = L; t < N; ++t) {  // dY/dS[t] of the national stock's direct terms (into gu, read below)
        double gs = 0.0;
        for (int g = 0; g < G_; ++g) gs += multiplied ? p.stock_multiplier[g] * sc.gS(t, g) : sc.gS(t, g);
        sc.gu[t] = gs;
      }
      if (bounded_) {  // the model's reverse kernel (each gu[t] is read before it is overwritten with dY/du[t])
        (void)mmm::TrustModel::bounded_stock_reverse(p.delta, dr.stock_end[0] / p.stock_multiplier[0], p.trust_base,
                                                     p.inflow, sc.u.data() + L, sc.sn.data() + L, sc.en.data() + L,
                                                     sc.sxn.data() + L, sc.gu.data() + L, N - L, sc.gu.data() + L, nullptr);
      } else {  // linear: lambda[t] = dY/dS[t] + delta lambda[t+1], dY/du[t] = (1 - delta) lambda[t]
        double lam = 0.0;
        for (int t = N - 1; t >= L; --t) {
          lam = sc.gu[t] + p.delta * lam;
          sc.gu[t] = (1.0 - p.delta) * lam;
        }
      }
      for (int q = 0; q < P; ++q) {
        const int c = trust_idx_[static_cast<std::size_t>(q)];
        Vector ga = Vector::Zero(N);
        for (int t = L; t < N; ++t) ga[t] = p.kappa[q] * sc.gu[t] * sc.dhn(t, q);
        // dY/dxn[t'] for the plan's periods, then to every geo by its weight
        for (int t = L; t < L + H; ++t) {
          double gx = 0.0;
          for (int l = 0; l <= L && t + l < N; ++l) gx += dr.w(c, l) * ga[t + l];
          sc.gxn(t, c) = gx;
        }
      }
    } else if (trust) {
      for (int g = 0; g < G_; ++g) {
        double lam = 0.0;
        for (int t = N - 1; t >= L; --t) {
          lam = sc.gS(t, g) + p.delta_geo[g] * lam;
          const double gu = (1.0 - p.delta_geo[g]) * lam;
          for (int q = 0; q < P; ++q)
            sc.gh[static_cast<std::size_t>(trust_idx_[static_cast<std::size_t>(q)])](t, g) += p.kappa[q] * gu;
        }
      }
    }
    // through saturation and adstock to the planned cells
    for (int k = 0; k < K; ++k) {
      const int c = s_.channels[static_cast<std::size_t>(k)];
      const Matrix& dh = sc.dh[static_cast<std::size_t>(c)];
      const Matrix& gh = sc.gh[static_cast<std::size_t>(c)];
      for (int g = 0; g < G_; ++g) {
        Vector ga = Vector::Zero(N);
        for (int t = L; t < N; ++t) ga[t] = gh(t, g) * dh(t, g);
        const auto wg = dr.wg.row(geo_row(c, g));
        for (int t = 0; t < H; ++t) {
          double gx = 0.0;
          for (int l = 0; l <= L && L + t + l < N; ++l) gx += wg[l] * ga[L + t + l];
          gx += national_gx(c, L + t, g, sc);
          grad[t + static_cast<Eigen::Index>(H) * column(k, g)] = spend(t, column(k, g)) >= 0.0
                                                                      ? s_.units_per_spend(k, g) * gx
                                                                      : 0.0;
        }
      }
    }
    return total;
  }

  // The national stock's gradient reaches a geo's activity through xn = sum_g w_g x[., g]:
  // dY/dx[c, g, t] gets w_g dY/dxn[c, t] (sc.gxn, filled by the national branch of run()).
  [[nodiscard]] double national_gx(int c, int t, int g, const Scratch& sc) const {
    if (level_ != mmm::TrustLevel::national && level_ != mmm::TrustLevel::national_geo) return 0.0;
    return w_last_[g] * sc.gxn(t, c);
  }

  PanelPlanSettings s_;
  int G_ = 0, C_ = 0, T_ = 0, L_ = 0, N_ = 0;
  Vector P_, w_last_;
  mmm::TrustLevel level_ = mmm::TrustLevel::off;
  bool bounded_ = false;  // the model's bounded (share) national stock
  std::vector<int> trust_idx_, conv_idx_;
  std::vector<mmm::SaturationForm> form_;  // C: the model's saturation curves and Hill slopes
  std::vector<double> slope_;
  std::vector<Matrix> hist_;
  std::vector<Draw> draws_;
};

// ------------------------------------------------------------------ budgets and solve

/// A budget on the plan's spend in a set of geos (one geo, or a group such as a region):
/// lower <= sum over its geos, planned channels and periods of s <= upper (currency; equal
/// bounds: spent exactly).
struct GeoBudget {
  std::string name;
  std::vector<int> geos;
  double lower = 0.0, upper = unbounded;
};

/// A panel planning problem: the criterion (objective.hpp), the total budget (spent
/// exactly), geo and group budgets, optional per-cell bounds (H x columns).
struct PanelPlanProblem {
  Criterion criterion;
  double budget = std::numeric_limits<double>::quiet_NaN();
  std::vector<GeoBudget> budgets;
  Matrix lower, upper;
};

/// Budgets that no plan can meet, found before the solve (each budget already checked on
/// its own: 0 <= lower <= upper, lower <= B, valid geos). With x_g >= 0 the spend per geo
/// and sum_g x_g = B, a family of budgets on pairwise disjoint geo sets needs the sum of
/// their lower bounds <= B, and, when the family covers every geo, the sum of their upper
/// bounds >= B (one budget covering every geo: its upper bound >= B); a budget inside another (its geos a subset) needs its lower bound <= the
/// outer's upper bound; the budgets of single geos inside a group need their lower bounds
/// together <= the group's upper bound, and, when they cover the group, their upper bounds
/// together >= its lower bound. Checked: every pair of budgets, and the family of all the
/// single-geo budgets (each geo once). A violation fails naming the budgets; tolerance 1e-9 B.
inline void check_budgets_consistent(int G, double B, const std::vector<GeoBudget>& budgets) {
  const double tol = 1e-9 * B;
  const auto n = budgets.size();
  std::vector<std::vector<bool>> in(n, std::vector<bool>(static_cast<std::size_t>(G), false));
  for (std::size_t i = 0; i < n; ++i)
    for (int g : budgets[i].geos) in[i][static_cast<std::size_t>(g)] = true;
  const auto covers_all = [&](const std::vector<bool>& m) {
    return std::all_of(m.begin(), m.end(), [](bool b) { return b; });
  };
  for (std::size_t i = 0; i < n; ++i)
    if (covers_all(in[i]) && budgets[i].upper < B - tol)
      fail("budget '", budgets[i].name, "' is inconsistent with the total budget: it covers every geo and its upper ",
           "bound ", budgets[i].upper, " is below the total ", B);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const GeoBudget &a = budgets[i], &b = budgets[j];
      bool disjoint = true, a_in_b = true, b_in_a = true;
      std::vector<bool> both(static_cast<std::size_t>(G), false);
      for (std::size_t g = 0; g < static_cast<std::size_t>(G); ++g) {
        if (in[i][g] && in[j][g]) disjoint = false;
        if (in[i][g] && !in[j][g]) a_in_b = false;
        if (in[j][g] && !in[i][g]) b_in_a = false;
        both[g] = in[i][g] || in[j][g];
      }
      if (disjoint && a.lower + b.lower > B + tol)
        fail("budgets '", a.name, "' and '", b.name, "' are inconsistent with the total budget: on different geos, ",
             "their lower bounds add up to ", a.lower + b.lower, ", above the total ", B);
      if (disjoint && covers_all(both) && a.upper + b.upper < B - tol)
        fail("budgets '", a.name, "' and '", b.name, "' are inconsistent with the total budget: they cover every geo ",
             "and their upper bounds add up to ", a.upper + b.upper, ", below the total ", B);
      if (a_in_b && a.lower > b.upper + tol)
        fail("budgets '", a.name, "' and '", b.name, "' are inconsistent: '", a.name, "' lies inside '", b.name,
             "' but its lower bound ", a.lower, " is above the upper bound ", b.upper, " of '", b.name, "'");
      if (b_in_a && b.lower > a.upper + tol)
        fail("budgets '", b.name, "' and '", a.name, "' are inconsistent: '", b.name, "' lies inside '", a.name,
             "' but its lower bound ", b.lower, " is above the upper bound ", a.upper, " of '", a.name, "'");
    }
  // single-geo budgets: together, and inside each group
  std::vector<int> single_of(static_cast<std::size_t>(G), -1);
  for (std::size_t i = 0; i < n; ++i)
    if (budgets[i].geos.size() == 1 && single_of[static_cast<std::size_t>(budgets[i].geos[0])] < 0)
      single_of[static_cast<std::size_t>(budgets[i].geos[0])] = static_cast<int>(i);
  const auto singles_in = [&](const std::vector<bool>& m, double& lo, double& hi, bool& cover, std::string& names) {
    lo = hi = 0.0;
    cover = true;
    names.clear();
    for (std::size_t g = 0; g < static_cast<std::size_t>(G); ++g) {
      if (!m[g]) continue;
      const int s = single_of[g];
      if (s < 0) {
        cover = false;
        continue;
      }
      lo += budgets[static_cast<std::size_t>(s)].lower;
      hi += budgets[static_cast<std::size_t>(s)].upper;
      names += (names.empty() ? "'" : ", '") + budgets[static_cast<std::size_t>(s)].name + "'";
    }
  };
  double lo = 0.0, hi = 0.0;
  bool cover = false;
  std::string names;
  singles_in(std::vector<bool>(static_cast<std::size_t>(G), true), lo, hi, cover, names);
  if (lo > B + tol)
    fail("the geo budgets ", names, " are inconsistent with the total budget: their lower bounds add up to ", lo,
         ", above the total ", B);
  if (cover && hi < B - tol)
    fail("the geo budgets ", names, " are inconsistent with the total budget: they cover every geo and their upper ",
         "bounds add up to ", hi, ", below the total ", B);
  for (std::size_t i = 0; i < n; ++i) {
    if (budgets[i].geos.size() < 2) continue;
    singles_in(in[i], lo, hi, cover, names);
    if (lo > budgets[i].upper + tol)
      fail("budget '", budgets[i].name, "' is inconsistent with the geo budgets ", names, " inside it: their lower ",
           "bounds add up to ", lo, ", above its upper bound ", budgets[i].upper);
    if (cover && hi < budgets[i].lower - tol)
      fail("budget '", budgets[i].name, "' is inconsistent with the geo budgets ", names, " that cover it: their ",
           "upper bounds add up to ", hi, ", below its lower bound ", budgets[i].lower);
  }
}

/// The solver's constraints of a panel problem (see the top of this file): the total
/// budget as an equality, each geo/group budget as a group share of its columns.
[[nodiscard]] inline Constraints panel_constraints(const PanelPlanModel& m, const PanelPlanProblem& pb) {
  const double B = pb.budget;
  if (!(B > 0.0) || !std::isfinite(B)) fail("budget must be a finite number > 0, got ", B);
  Constraints k;
  k.budget = B;
  k.budget_equality = true;
  k.lower = pb.lower;
  k.upper = pb.upper;
  const int G = m.geos();
  const auto K = static_cast<int>(m.settings().channels.size());
  for (const GeoBudget& gb : pb.budgets) {
    if (gb.geos.empty()) fail("budget '", gb.name, "' names no geo");
    if (!(gb.lower >= 0.0) || !(gb.upper >= gb.lower) || std::isnan(gb.upper))
      fail("budget '", gb.name, "' must satisfy 0 <= lower <= upper, got [", gb.lower, ", ", gb.upper, "]");
    if (gb.lower > B * (1.0 + 1e-12))
      fail("budget '", gb.name, "': its lower bound ", gb.lower, " exceeds the total budget ", B);
    GroupShare gs;
    gs.name = gb.name;
    std::vector<bool> seen(static_cast<std::size_t>(G), false);
    for (int g : gb.geos) {
      if (g < 0 || g >= G) fail("budget '", gb.name, "': geo index ", g, " is out of range [0, ", G, ")");
      if (seen[static_cast<std::size_t>(g)]) fail("budget '", gb.name, "' names geo ", g, " twice");
      seen[static_cast<std::size_t>(g)] = true;
      for (int kk = 0; kk < K; ++kk) gs.channels.push_back(static_cast<int>(m.column(kk, g)));
    }
    gs.lower = gb.lower / B;
    gs.upper = std::isinf(gb.upper) ? 1.0 : std::min(1.0, gb.upper / B);
    k.groups.push_back(std::move(gs));
  }
  check_budgets_consistent(G, B, pb.budgets);
  return k;
}

/// The optimal panel schedule (optimize.hpp's solver and certificate on PanelPlanModel).
[[nodiscard]] inline PlanResult optimize_panel(const PanelPlanModel& m, const PanelPlanProblem& pb,
                                               const SolverSettings& st = {}) {
  PlanProblem p;
  p.criterion = pb.criterion;
  p.constraints = panel_constraints(m, pb);
  p.task = Task::maximize;
  return optimize(m, p, st);
}

}  // namespace trustmix::plan
