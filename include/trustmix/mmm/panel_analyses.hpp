#pragma once
// Geo-level results of a fitted geo panel model (panel_model.hpp; issue 20, "Geo-level
// results"): incremental outcome short vs long term with its exact path split, ROI,
// marginal ROI and cost per incremental outcome, and response curves, per geo and rolled
// up, for every posterior draw (rows of an n x dimension matrix of unconstrained draws; a
// MAP fit passes its mode as the only row). Only the model's public API is used:
// PanelTrustModel::forward(z, media, baseline) on the data extended by a horizon.
//
// Units. The model works on per-capita scaled outcome; a geo's outcome in raw units is the
// model's value x outcome_scale x the geo's population in that period (past the data: the
// last period's population). Spend is in the caller's currency, per (channel, geo).
//
// Definitions: the national model's (analyses.hpp), per geo. For channel c and a window
// W = [begin, end] of data periods the counterfactual sets the channel's activity to 0
// in W in every geo, keeps everything else, and runs the model over the data plus
// `horizon` periods of zero activity (and a zero baseline, which cancels), so the trust
// stock's long tail is counted. For geo g (P[t, g] = outcome_scale pop[t, g]):
//   diff_g[t]      = (mu[t, g] - mu_cf[t, g]) P[t, g]
//   short_g        = sum_{t <= end + L} diff_g[t],  long_g = sum_{t > end + L} diff_g[t]
//                    (L = max_lag, the adstock window)
//   via_trust_direct_g  = sum_t gamma (S_g[t] - S_cf,g[t]) P[t, g]
//   via_amplification_g = sum_t theta (S_g[t] c_g[t] - S_cf,g[t] c_cf,g[t]) P[t, g]
//   own_g               = sum_t (c_g[t] - c_cf,g[t]) P[t, g],  c_g[t] = sum_s beta[s, g] h[s, g, t]
//   (short_g + long_g = via_trust_direct_g + via_amplification_g + own_g up to rounding)
//   roi_short_g = (short_g v - spend_g) / spend_g,  roi_total_g = ((short_g + long_g) v - spend_g) / spend_g
//   marginal_roi_g = (gain_g v - 0.01 spend_g) / (0.01 spend_g), gain_g = sum_t (mu_up - mu)[t, g] P[t, g]
//                    with the channel's activity in W scaled by 1.01 in every geo
//   cost_per_incremental_g = spend_g / (short_g + long_g) (NaN when the total is <= 0)
// with v the value of one unit of outcome (NaN: no value, the three ROIs are NaN), and
// spend_g of a national channel with an uncertain share (PanelModelData::share_sd) times the
// draw's multiplier m[c, g]: the geo's true share of the spend moves with its activity. The
// rolled-up figures ("total") are the sums over geos (in geo order) of short, long, the
// paths, gain and spend, and the ratios of those sums: the same counterfactual (the
// channel off in every geo at once), so geo figures add up to the rolled-up one exactly up
// to rounding. With a national trust stock one geo's activity moves every geo's outcome;
// a geo's figures are the outcome in that geo (not the outcome caused by that geo's own
// spend).
//
// Response curves: channel c's activity over the whole data times k in every geo (zero
// after the data), against the same run with the channel at zero:
//   inc_g(c, k) = sum_t (mu_k[t, g] - mu_0[t, g]) P[t, g],   rolled up: sum_g inc_g(c, k)
// so inc_g(c, 1) is the total incremental outcome of roi() with W = the whole data.
//
// Computation: draws in parallel on trustmix::parallel_for_blocks, each draw on one thread
// with the arithmetic of a serial run (forward() itself runs no parallel loop), sums in a
// fixed order: bit-identical for every thread count. Cost per draw: (1 + 2C) forward
// passes for roi(), C (K + 1) for K multipliers of response_curves(), each O((T + horizon)
// G C L). Interruptible through `stop` (checked before every draw; throws
// trustmix::Interrupted).
#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/core/resources.hpp"
#include "trustmix/mmm/panel_model.hpp"

namespace trustmix::mmm {

namespace panel_detail {

inline void check_draws(const PanelTrustModel& m, const Matrix& draws) {
  if (draws.cols() != m.dimension())
    fail("draws must have one column per unconstrained parameter (", m.dimension(), "), got ", draws.cols());
  if (draws.rows() < 1) fail("draws must have at least one row (one draw)");
  for (Eigen::Index j = 0; j < draws.cols(); ++j)
    for (Eigen::Index i = 0; i < draws.rows(); ++i)
      if (!std::isfinite(draws(i, j))) fail("draws: row ", i, ", column ", j, " is ", draws(i, j), "; draws must be finite");
}

/// The data extended by `horizon` periods of zero activity, a zero baseline (it cancels in
/// every difference) and the weights P[t, g] = outcome_scale pop[min(t, T - 1), g].
struct PanelExtended {
  std::vector<Matrix> media, baseline;
  Matrix weight;
  PanelExtended(const PanelTrustModel& m, int horizon, const Matrix& population, double outcome_scale) {
    if (horizon < 0) fail("horizon must be >= 0 periods, got ", horizon);
    if (!(outcome_scale > 0.0) || !std::isfinite(outcome_scale))
      fail("outcome_scale must be a finite number > 0, got ", outcome_scale);
    const int T = m.periods(), G = m.geos(), C = m.channels();
    const Eigen::Index Tn = static_cast<Eigen::Index>(T) + horizon;
    // forward() keeps about 4 C + 6 matrices Tn x G per pass; the engine 2 C more per thread
    require_memory(8.0 * 8.0 * static_cast<double>(Tn) * G * (6.0 * C + 8.0),
                   "the panel analyses over the data plus the horizon",
                   "pass a shorter horizon (a few half-lives of the trust stock suffice)");
    Matrix pop = population;
    if (pop.size() == 0) pop = Matrix::Ones(T, G);
    if (pop.rows() != T || pop.cols() != G)
      fail("population must be periods x geos (", T, " x ", G, ") or empty, got ", pop.rows(), " x ", pop.cols());
    for (Eigen::Index g = 0; g < G; ++g)
      for (Eigen::Index t = 0; t < T; ++t)
        if (!(pop(t, g) > 0.0) || !std::isfinite(pop(t, g)))
          fail("population: geo ", g, ", period ", t, " is ", pop(t, g), "; expected a finite number > 0");
    media.resize(static_cast<std::size_t>(C));
    for (int c = 0; c < C; ++c) {
      auto& x = media[static_cast<std::size_t>(c)];
      x = Matrix::Zero(Tn, G);
      x.topRows(T) = m.data().media[static_cast<std::size_t>(c)];
    }
    const auto K = m.data().baseline.empty() ? Eigen::Index{0} : m.data().baseline[0].cols();
    baseline.assign(static_cast<std::size_t>(G), Matrix::Zero(Tn, K));
    weight.resize(Tn, G);
    for (Eigen::Index t = 0; t < Tn; ++t) weight.row(t) = outcome_scale * pop.row(std::min<Eigen::Index>(t, T - 1));
  }
};

/// Runs body(i, state) for every draw on `threads` threads, state = make() once per block,
/// checking `stop` before every draw.
template <class Make, class Body>
void for_each_panel_draw(Eigen::Index n, int threads, const std::atomic<bool>* stop, const char* what, Make&& make,
                         Body&& body) {
  parallel_for_blocks(
      static_cast<std::ptrdiff_t>(n), threads, 1,
      [&](std::ptrdiff_t begin, std::ptrdiff_t end) {
        auto state = make();
        for (std::ptrdiff_t i = begin; i < end; ++i) {
          if (stop != nullptr && stop->load(std::memory_order_relaxed)) throw Interrupted(what);
          body(static_cast<Eigen::Index>(i), state);
        }
      },
      4);
}

/// sum_t a[t, g] P[t, g] per geo, t ascending.
inline void weighted_sums(const Matrix& a, const Matrix& weight, Eigen::Ref<Vector> out) {
  for (Eigen::Index g = 0; g < a.cols(); ++g) {
    double s = 0.0;
    for (Eigen::Index t = 0; t < a.rows(); ++t) s += a(t, g) * weight(t, g);
    out[g] = s;
  }
}

/// The conversion part c = sum_s own_s and the amplification sum_s amp_s of a forward pass.
inline void conversion_parts(const PanelForward& f, Matrix& own, Matrix& amp) {
  own = Matrix::Zero(f.mu.rows(), f.mu.cols());
  amp = own;
  for (const auto& m : f.conversion_own) own += m;
  for (const auto& m : f.amplification) amp += m;
}

inline double ratio_or_nan(double num, double den) {
  return den > 0.0 ? num / den : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace panel_detail

// ---------------------------------------------------------------------------- ROI

/// Settings of panel_roi().
struct PanelRoiSettings {
  int horizon = 104;     ///< periods after the data, zero activity, over which effects are counted
  int window_begin = 0;  ///< first period of W (0-based, inclusive)
  int window_end = -1;   ///< last period of W (inclusive); -1: the last period of the data
  Matrix spend;          ///< C x G spend of each channel in each geo inside W (currency)
  /// Value of one unit of outcome; NaN (default): no value, the ROIs are NaN and only
  /// cost_per_incremental is reported (the national model's rule).
  double value_per_outcome = std::numeric_limits<double>::quiet_NaN();
  double outcome_scale = 1.0;  ///< raw outcome per model unit per head (build_panel's y_scale)
  Matrix population;           ///< T x G (build_panel's scales.population); empty: ones
  int threads = 0;             ///< 0: every hardware thread
  const std::atomic<bool>* stop = nullptr;  ///< set to stop (throws trustmix::Interrupted)
};

/// panel_roi() per draw: each member is n_draws x (C (G + 1)), column c (G + 1) + g for
/// channel c and geo g < G, column c (G + 1) + G the rolled-up figure (definitions at the
/// top of this file).
struct PanelRoiDraws {
  int channels = 0, geos = 0;
  Matrix incremental_short, incremental_long, incremental_total;
  Matrix via_trust_direct, via_amplification, own;
  Matrix roi_short, roi_total, marginal_roi, cost_per_incremental;
  [[nodiscard]] Eigen::Index column(int c, int g) const { return static_cast<Eigen::Index>(c) * (geos + 1) + g; }
};

/// Incremental outcome short and long term, its exact path split, ROI, marginal ROI and
/// cost per incremental outcome of every channel, per geo and rolled up, for every draw.
[[nodiscard]] inline PanelRoiDraws panel_roi(const PanelTrustModel& model, const Matrix& draws, const PanelRoiSettings& s) {
  panel_detail::check_draws(model, draws);
  const int T = model.periods(), G = model.geos(), C = model.channels();
  const int lo = s.window_begin, hi = s.window_end == -1 ? T - 1 : s.window_end;
  if (lo < 0 || hi >= T || lo > hi)
    fail("window must satisfy 0 <= begin <= end < ", T, " (periods of the data), got [", lo, ", ", hi, "]");
  if (s.spend.rows() != C || s.spend.cols() != G)
    fail("spend must be channels x geos (", C, " x ", G, "), got ", s.spend.rows(), " x ", s.spend.cols());
  for (int c = 0; c < C; ++c)
    for (int g = 0; g < G; ++g)
      if (!(s.spend(c, g) >= 0.0) || !std::isfinite(s.spend(c, g)))
        fail("spend: channel ", c, ", geo ", g, " must be finite and >= 0, got ", s.spend(c, g));
  const double v = s.value_per_outcome;
  if (!std::isnan(v) && (!(v > 0.0) || !std::isfinite(v)))
    fail("value_per_outcome must be a finite number > 0 (or NaN for none), got ", v);
  const panel_detail::PanelExtended ext(model, s.horizon, s.population, s.outcome_scale);
  const Eigen::Index n = draws.rows(), Tn = ext.weight.rows();
  const Eigen::Index cut = std::min<Eigen::Index>(static_cast<Eigen::Index>(hi) + 1 + model.data().max_lag, Tn);
  PanelRoiDraws r;
  r.channels = C;
  r.geos = G;
  for (Matrix* m : {&r.incremental_short, &r.incremental_long, &r.incremental_total, &r.via_trust_direct,
                    &r.via_amplification, &r.own, &r.roi_short, &r.roi_total, &r.marginal_roi, &r.cost_per_incremental})
    m->resize(n, static_cast<Eigen::Index>(C) * (G + 1));
  struct State {
    std::vector<Matrix> X;
    Matrix keep, own_full, amp_full, own_cf, amp_cf;
    Vector a, b;
  };
  panel_detail::for_each_panel_draw(
      n, s.threads, s.stop, "the panel ROI",
      [&] { return State{ext.media, Matrix(), Matrix(), Matrix(), Matrix(), Matrix(), Vector(G), Vector(G)}; },
      [&](Eigen::Index i, State& st) {
        const Vector z = draws.row(i).transpose();
        const PanelForward full = model.forward(z, &st.X, &ext.baseline);
        panel_detail::conversion_parts(full, st.own_full, st.amp_full);
        // an uncertain share moves a national channel's spend between geos with its activity
        const Matrix share_m = model.share_channels().empty() ? Matrix() : model.constrain(z).share_multiplier;
        for (int c = 0; c < C; ++c) {
          Matrix& x = st.X[static_cast<std::size_t>(c)];
          st.keep = x;
          x.middleRows(lo, hi - lo + 1).setZero();
          const PanelForward cf = model.forward(z, &st.X, &ext.baseline);
          x.middleRows(lo, hi - lo + 1) = st.keep.middleRows(lo, hi - lo + 1) * 1.01;
          const PanelForward up = model.forward(z, &st.X, &ext.baseline);
          x = st.keep;
          panel_detail::conversion_parts(cf, st.own_cf, st.amp_cf);
          std::array<double, 7> sums{};  // short, long, direct, amp, own, gain, spend over geos
          for (int g = 0; g < G; ++g) {
            double sh = 0.0, lg = 0.0, vd = 0.0, va = 0.0, vo = 0.0, gain = 0.0;
            for (Eigen::Index t = 0; t < Tn; ++t) {
              const double w = ext.weight(t, g);
              const double d = (full.mu(t, g) - cf.mu(t, g)) * w;
              (t < cut ? sh : lg) += d;
              vd += (full.trust_direct(t, g) - cf.trust_direct(t, g)) * w;
              va += (st.amp_full(t, g) - st.amp_cf(t, g)) * w;
              vo += (st.own_full(t, g) - st.own_cf(t, g)) * w;
              gain += (up.mu(t, g) - full.mu(t, g)) * w;
            }
            const double sp = share_m.size() == 0 ? s.spend(c, g) : s.spend(c, g) * share_m(c, g);
            const Eigen::Index col = r.column(c, g);
            const std::array<double, 7> vals{sh, lg, vd, va, vo, gain, sp};
            for (std::size_t k = 0; k < vals.size(); ++k) sums[k] += vals[k];
            const auto put = [&](Eigen::Index cc, double shv, double lgv, double vdv, double vav, double vov, double gv,
                                 double spv) {
              const double total = shv + lgv;
              r.incremental_short(i, cc) = shv;
              r.incremental_long(i, cc) = lgv;
              r.incremental_total(i, cc) = total;
              r.via_trust_direct(i, cc) = vdv;
              r.via_amplification(i, cc) = vav;
              r.own(i, cc) = vov;
              r.roi_short(i, cc) = panel_detail::ratio_or_nan(shv * v - spv, spv);
              r.roi_total(i, cc) = panel_detail::ratio_or_nan(total * v - spv, spv);
              r.marginal_roi(i, cc) = panel_detail::ratio_or_nan(gv * v - 0.01 * spv, 0.01 * spv);
              r.cost_per_incremental(i, cc) = total > 0.0 ? spv / total : std::numeric_limits<double>::quiet_NaN();
            };
            put(col, sh, lg, vd, va, vo, gain, sp);
            if (g == G - 1) put(r.column(c, G), sums[0], sums[1], sums[2], sums[3], sums[4], sums[5], sums[6]);
          }
        }
      });
  return r;
}

// ------------------------------------------------------------------ response curves

/// Settings of panel_response_curves().
struct PanelResponseSettings {
  int horizon = 104;          ///< periods after the data counted (zero activity)
  std::vector<int> channels;  ///< channels (empty: every channel)
  Vector multipliers;         ///< k >= 0: the channel's activity over the data times k, every geo
  double outcome_scale = 1.0;
  Matrix population;          ///< T x G; empty: ones
  int threads = 0;
  const std::atomic<bool>* stop = nullptr;
};

/// inc_g(c, k) of the top of this file for every draw: n_draws x (Q K (G + 1)), column
/// (q K + k) (G + 1) + g for the q-th requested channel, multiplier k and geo g < G;
/// g = G the rolled-up sum over geos.
[[nodiscard]] inline Matrix panel_response_curves(const PanelTrustModel& model, const Matrix& draws,
                                                  PanelResponseSettings s) {
  panel_detail::check_draws(model, draws);
  const int G = model.geos(), C = model.channels(), T = model.periods();
  if (s.channels.empty())
    for (int c = 0; c < C; ++c) s.channels.push_back(c);
  for (int c : s.channels)
    if (c < 0 || c >= C) fail("channel index ", c, " is out of range [0, ", C, ")");
  if (s.multipliers.size() < 1) fail("multipliers must hold at least one value");
  for (Eigen::Index k = 0; k < s.multipliers.size(); ++k)
    if (!(s.multipliers[k] >= 0.0) || !std::isfinite(s.multipliers[k]))
      fail("multipliers[", k, "] must be finite and >= 0, got ", s.multipliers[k]);
  const panel_detail::PanelExtended ext(model, s.horizon, s.population, s.outcome_scale);
  const Eigen::Index n = draws.rows(), K = s.multipliers.size(), Tn = ext.weight.rows();
  const auto Q = static_cast<Eigen::Index>(s.channels.size());
  Matrix out(n, Q * K * (G + 1));
  struct State {
    std::vector<Matrix> X;
    Matrix keep;
  };
  panel_detail::for_each_panel_draw(
      n, s.threads, s.stop, "the panel response curves", [&] { return State{ext.media, Matrix()}; },
      [&](Eigen::Index i, State& st) {
        const Vector z = draws.row(i).transpose();
        for (Eigen::Index q = 0; q < Q; ++q) {
          Matrix& x = st.X[static_cast<std::size_t>(s.channels[static_cast<std::size_t>(q)])];
          st.keep = x;
          x.topRows(T).setZero();
          const Matrix zero = model.forward(z, &st.X, &ext.baseline).mu;
          for (Eigen::Index k = 0; k < K; ++k) {
            x.topRows(T) = st.keep.topRows(T) * s.multipliers[k];
            const Matrix mu = model.forward(z, &st.X, &ext.baseline).mu;
            double total = 0.0;
            for (int g = 0; g < G; ++g) {
              double sum = 0.0;
              for (Eigen::Index t = 0; t < Tn; ++t) sum += (mu(t, g) - zero(t, g)) * ext.weight(t, g);
              out(i, (q * K + k) * (G + 1) + g) = sum;
              total += sum;
            }
            out(i, (q * K + k) * (G + 1) + G) = total;
          }
          x = st.keep;
        }
      });
  return out;
}

}  // namespace trustmix::mmm
