#pragma once
// Calibration of the trust-linked model by lift tests (geo experiments, holdouts): each
// measured lift enters the log posterior as a likelihood term on the model's OWN predicted
// lift, computed through the full dynamics (adstock, saturation at the actual activity,
// the trust stock of the model's form, the amplification of conversion by trust).
//
// Definitions (model units; build() in spec.hpp converts from outcome units). A test on
// media column c changed the channel's activity over periods [start, end) (end exclusive,
// as evaluate::LiftTest); it was measured over M = [start, end + cooldown). Without the
// test the activity would have been
//   x_cf[c, t] = (1 - share) x[c, t]   for t in [start, end),   x_cf = x elsewhere,
// so share = the fraction of the channel's activity in the window that the test added
// (share = 1: all of it, e.g. a national on/off test, or a geo test mapped to a model of
// the treated geos alone; a holdout that darkened a fraction f of the planned activity
// is share = -f / (1 - f) with lift = observed - counterfactual < 0). The predicted lift is
//   pred = sum_{t in M} (mu[t] - mu_cf[t]),
//   mu[t] - mu_cf[t] = gamma (G[t] - G_cf[t]) + sum_s beta_s ((1 + theta G[t]) h[s, t]
//                      - (1 + theta G_cf[t]) h_cf[s, t]),
// (identity link; with the log link, mu = exp(eta), the right-hand side above is
// eta[t] - eta_cf[t] =: d[t], the baseline cancels in it, and the lift is the model's own
// mean function's difference mu[t] - mu_cf[t] = mu[t] (1 - exp(-d[t])): the test's lift
// scales with the baseline and seasonality of its periods, and its gradient reaches the
// baseline's coefficients), where h_cf[c] = saturate(adstock(x_cf[c])) (adstock and
// saturation at the channel's alpha and lam; the saturation curve is evaluated at the actual activity, so a test in a
// heavy period predicts less than one in a light period), h_cf[s] = h[s] for s != c, and
// G_cf is the model's own trust-stock recursion (linear or bounded) run on the inflow
// u_cf = u - kappa_c (h[c] - h_cf[c]) when c feeds the trust stock (else G_cf = G).
// Periods counted: exactly M, the periods over which the lift was measured; carry-over of
// the adstock or the trust stock past end + cooldown is not in the measured lift and is
// not counted (lengthen the cooldown to count more of it; end + cooldown <= T). A
// trustmix::evaluate::LiftTest says which periods its lift was summed over
// ([start, measured_end): the window, or the window and its cooldown) and
// lift_test_spec() sets cooldown = measured_end - end accordingly.
//
// Reach-and-frequency channels (RfForm): the counterfactual scales the channel's REACH in
// the window, r_cf = (1 - share) r, and keeps its frequency f: a geo test or holdout
// removes (or adds) people, the treated geos' audience, while the frequency among the
// people still reached is that of the untreated geos (a test that changed the number of
// exposures per person, a frequency test, is another experiment and not what share
// means). The channel's h = Adstock(r g(f)) is linear in r (no logistic saturation), so
// h_cf = Adstock(x_cf) with x_cf = (1 - share) r g(f) in the window; RF channels only
// convert (the model refuses them as trust channels), so G_cf = G.
//
// Likelihood: a total lift (one observation) or a lift per period of M (|M| observations),
// each
//   lift_obs ~ Normal(pred, sqrt(se^2 + tau^2)),
// with se the test's standard error and tau the transfer standard deviation (how far the
// test generalises to the model's population and period); variance = se^2 + tau^2 is
// what the model stores. Week-by-week lifts constrain the shape of the carry-over, i.e.
// the adstock and the trust decay delta.
//
// The transfer error of a week-by-week test is one error, not one per week: the test's
// population and period differ from the model's once, so every week's lift is off by the
// same factor. With LiftCalibration::transfer = (tau_1 .. tau_M) (lift_test_spec sets it
// for a per-period test under the Normal) the M values are jointly Normal,
//   lift_obs ~ Normal(pred, Sigma),  Sigma = diag(se_m^2) + tau tau^T,
// (each value's own variance still se_m^2 + tau_m^2), evaluated by Sherman-Morrison with
// Dg = diag(variance - tau^2) = diag(se^2), s = tau^T Dg^-1 tau:
//   log density = -(r^T Dg^-1 r - (tau^T Dg^-1 r)^2 / (1 + s)) / 2 - sum ln(2 pi se_m^2) / 2 - ln(1 + s) / 2,
//   d/d pred = Sigma^-1 r = Dg^-1 r - Dg^-1 tau (tau^T Dg^-1 r) / (1 + s),   r = lift_obs - pred.
// Taken as independent, M weekly transfer errors would average out and claim the transfer
// sqrt(M) times better known than the same test's total does (the earlier behaviour, and
// still that of LiftCalibration without `transfer`, and of a Student-t term).
//
// Heavier tails (dof = nu finite): lift_obs ~ StudentT(nu, pred, sqrt(se^2 + tau^2)), the
// Normal above with its variance v scaled by an unknown w ~ InvGamma(nu/2, nu/2)
// marginalised out (an uncertain transfer: the test's whole variance, not only tau, is
// scaled). log density lgamma((nu+1)/2) - lgamma(nu/2) - ln(nu pi v)/2 - (nu+1)/2
// ln(1 + r^2 / (nu v)), r = lift_obs - pred; d/d pred = (nu + 1) r / (nu v + r^2), which
// falls back towards 0 when |r| >> sqrt(nu v): a test far from the model's prediction
// pulls less than under the Normal (whose pull r / v grows without limit).
//
// Cost: per test O(T) (one adstock, saturation and stock path of the counterfactual and
// their adjoints) plus O(|M| x S); nothing at all when there are no lift tests.
#include <Eigen/Core>
#include <boost/math/special_functions/gamma.hpp>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/transforms/adstock.hpp"
#include "trustmix/transforms/simd.hpp"

namespace trustmix::mmm {

/// One lift test in the model's units (the form TrustModelData carries; see the top of
/// this file for the definitions).
struct LiftCalibration {
  int channel = 0;        ///< media column of the tested channel
  int start = 0, end = 0; ///< the activity changed over periods [start, end)
  int cooldown = 0;       ///< measured periods [start, end + cooldown)
  double share = 1.0;     ///< x_cf = (1 - share) x over [start, end); share <= 1, != 0
  /// The measured lift in model units: one value (the total over the measured periods)
  /// or one per measured period (end + cooldown - start values).
  Eigen::VectorXd lift;
  Eigen::VectorXd variance;  ///< se^2 + tau^2 per value of lift, model units squared, > 0
  /// Per-period values only: tau per value (model units, tau^2 < variance), the values'
  /// transfer errors one common error (Sigma = diag(variance - tau^2) + tau tau^T, top of
  /// this file); empty: the values independent. Read only under the Normal (dof infinite).
  Eigen::VectorXd transfer;
  std::string label;         ///< for messages (e.g. "lift test 0 (channel 'tv')")
  /// Degrees of freedom nu of a Student-t likelihood (> 0); infinity: the Normal.
  double dof = std::numeric_limits<double>::infinity();

  [[nodiscard]] int measured_end() const { return end + cooldown; }
  [[nodiscard]] int measured_periods() const { return end + cooldown - start; }
  [[nodiscard]] bool per_period() const { return lift.size() > 1; }
};

/// Scratch buffers of the lift term (part of TrustModelWorkspace; resized on first use).
struct LiftWorkspace {
  Eigen::VectorXd x, a, da, h, gh, ga, G, u, ex, sx, gG, adj, gk, D, gx, w, dw;
  void resize(Eigen::Index T, Eigen::Index P, Eigen::Index L1) {
    if (x.size() == T && gk.size() == P && w.size() == L1) return;
    for (Eigen::VectorXd* v : {&x, &a, &da, &h, &gh, &ga, &G, &u, &ex, &sx, &gG, &adj, &D, &gx}) v->setZero(T);
    gk.setZero(P);
    w.setZero(L1);
    dw.setZero(L1);
  }
};

/// Checks lift tests against a model of T periods and C channels (media the T x C scaled
/// activity, for a reach-and-frequency channel its reach; the third argument, which
/// columns are RF channels, is accepted for the callers and not needed: RF channels are
/// supported, their reach is scaled): std::invalid_argument naming the test and what was
/// expected.
inline void check_lift_tests(const std::vector<LiftCalibration>& tests, const Eigen::MatrixXd& media,
                             const std::vector<bool>& /*reach_frequency*/ = {}) {
  const auto T = media.rows(), C = media.cols();
  for (std::size_t i = 0; i < tests.size(); ++i) {
    const LiftCalibration& t = tests[i];
    const std::string name = t.label.empty() ? "lift test " + std::to_string(i) : t.label;
    if (t.channel < 0 || t.channel >= C)
      fail(name, ": channel index ", t.channel, " is not a media column (0..", C - 1, ")");
    if (t.start < 0 || t.end <= t.start || t.end > T)
      fail(name, ": the test window [start, end) = [", t.start, ", ", t.end, ") must satisfy 0 <= start < end <= ", T,
           " (the data's periods)");
    if (t.cooldown < 0) fail(name, ": cooldown must be >= 0 periods, got ", t.cooldown);
    if (t.measured_end() > T)
      fail(name, ": the measured periods run to ", t.measured_end() - 1, " (end - 1 + cooldown) but the data end at period ",
           T - 1, "; shorten the cooldown or add the later periods to the data");
    if (!std::isfinite(t.share) || t.share > 1.0 || t.share == 0.0)
      fail(name,
           ": share must be a finite number <= 1 and != 0 (the fraction of the channel's activity in the window "
           "that the test added), got ",
           t.share);
    if (!(media.col(t.channel).segment(t.start, t.end - t.start).array() > 0.0).any())
      fail(name,
           ": the channel has no activity in the data over the test window, so the model predicts no lift; a test "
           "that switched the channel on belongs to periods where the data show the activity");
    if (!(t.dof > 0.0)) fail(name, ": dof (the Student-t degrees of freedom) must be > 0 or infinite (Normal), got ", t.dof);
    const auto n = t.lift.size();
    if (n != 1 && n != t.measured_periods())
      fail(name, ": lift needs 1 value (the total) or one per measured period (", t.measured_periods(), "), got ", n);
    if (t.variance.size() != n) fail(name, ": variance needs ", n, " values (one per lift value), got ", t.variance.size());
    for (Eigen::Index k = 0; k < n; ++k) {
      if (!std::isfinite(t.lift[k])) fail(name, ": lift value ", k, " is ", t.lift[k], "; expected a finite number");
      if (!(t.variance[k] > 0.0) || !std::isfinite(t.variance[k]))
        fail(name, ": variance value ", k, " is ", t.variance[k], "; expected a finite number > 0 (standard error > 0)");
    }
    if (t.transfer.size() != 0 && t.transfer.size() != n)
      fail(name, ": transfer needs ", n, " values (one per lift value) or none, got ", t.transfer.size());
    for (Eigen::Index k = 0; k < t.transfer.size(); ++k)
      if (!(t.transfer[k] >= 0.0) || !(t.transfer[k] * t.transfer[k] < t.variance[k]))
        fail(name, ": transfer value ", k, " is ", t.transfer[k],
             "; expected a number >= 0 whose square is below the value's variance (", t.variance[k], ")");
  }
}

/// A lift test in business units (what TrustModelSpec carries; build() converts it into a
/// LiftCalibration). Periods are indices into the data; end is exclusive.
struct LiftTestSpec {
  std::string channel;
  int start = 0, end = 0, cooldown = 0;
  double share = 1.0;
  /// Measured lift in outcome units: the total over [start, end + cooldown) (1 value) or
  /// one per period; empty to give it as iROAS (below).
  Eigen::VectorXd lift;
  Eigen::VectorXd standard_error;  ///< of lift, outcome units, > 0 (same size as lift)
  /// iROAS form (used when lift is empty): lift = iroas x spend, se = iroas_standard_error
  /// x spend, spend the test's spend (currency) and iroas in outcome units per currency.
  double iroas = std::numeric_limits<double>::quiet_NaN();
  double iroas_standard_error = std::numeric_limits<double>::quiet_NaN();
  double spend = std::numeric_limits<double>::quiet_NaN();
  /// Transfer standard deviation tau (outcome units, per lift value); NaN: tau =
  /// transfer_fraction x |lift| per value.
  double transfer_sd = std::numeric_limits<double>::quiet_NaN();
  double transfer_fraction = 0.1;
  /// Degrees of freedom of a Student-t likelihood (> 0; heavier tails: a test far from the
  /// model's prediction pulls less); infinity (default): the Normal.
  double dof = std::numeric_limits<double>::infinity();
};

/// A LiftTestSpec from any lift-test record with channel, start, end, lift and
/// standard_error (e.g. trustmix::evaluate::LiftTest, whose periods must be those of the
/// model's data) and the share of the activity the test moved. The measured periods are
/// the record's own: [start, measured_end) when it has a measured_end (an
/// evaluate::LiftTest: its window, or its window and the cooldown when the lift was
/// measured through it), so the spec's cooldown is measured_end - end; [start, end)
/// without one. A record with a per-period lift (period_lift and period_standard_error,
/// as evaluate::as_period_lift_test makes) gives one value per measured period.
template <class Test>
[[nodiscard]] LiftTestSpec lift_test_spec(const Test& t, double share = 1.0, double transfer_fraction = 0.1) {
  LiftTestSpec s;
  s.channel = t.channel;
  s.start = static_cast<int>(t.start);
  s.end = static_cast<int>(t.end);
  s.cooldown = 0;
  if constexpr (requires { t.measured_end; }) {
    if (t.measured_end < t.end)
      fail("lift test on '", t.channel, "': measured_end (", t.measured_end, ") is before the window's end (", t.end,
           "); the lift must be measured over the whole window");
    s.cooldown = static_cast<int>(t.measured_end - t.end);
  }
  s.share = share;
  s.lift = Eigen::VectorXd::Constant(1, t.lift);
  s.standard_error = Eigen::VectorXd::Constant(1, t.standard_error);
  if constexpr (requires { t.period_lift; }) {  // a per-period record: one term per measured period
    if (t.period_lift.size() > 0) {
      s.lift = t.period_lift;
      s.standard_error = t.period_standard_error;
    }
  }
  s.transfer_fraction = transfer_fraction;
  return s;
}

/// The LiftCalibration of each spec in model units (outcome / y_scale): lift / y_scale and
/// (se^2 + tau^2) / y_scale^2. Throws naming the test for an unknown channel, a missing
/// lift, se <= 0 or a negative transfer setting (the periods are checked by the model).
[[nodiscard]] inline std::vector<LiftCalibration> lift_calibrations(const std::vector<LiftTestSpec>& specs,
                                                                    const std::vector<std::string>& channels,
                                                                    double y_scale) {
  std::vector<LiftCalibration> out;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const LiftTestSpec& s = specs[i];
    const std::string name = "lift test " + std::to_string(i) + " (channel '" + s.channel + "')";
    LiftCalibration c;
    c.label = name;
    std::size_t k = 0;
    while (k < channels.size() && channels[k] != s.channel) ++k;
    if (k == channels.size()) {
      std::string known;
      for (const auto& ch : channels) known += (known.empty() ? "" : ", ") + ch;
      fail(name, ": '", s.channel, "' is not a channel of the model (channels: ", known, ")");
    }
    c.channel = static_cast<int>(k);
    c.start = s.start;
    c.end = s.end;
    c.cooldown = s.cooldown;
    c.share = s.share;
    if (!(s.dof > 0.0)) fail(name, ": dof (the Student-t degrees of freedom) must be > 0 or infinite (Normal), got ", s.dof);
    c.dof = s.dof;
    Eigen::VectorXd lift = s.lift, se = s.standard_error;
    if (lift.size() == 0) {
      if (std::isnan(s.iroas)) fail(name, ": give the lift (outcome units) or its iROAS with the test's spend");
      if (!(s.spend > 0.0) || !std::isfinite(s.spend))
        fail(name, ": an iROAS needs the test's spend (currency, finite and > 0), got ", s.spend);
      lift = Eigen::VectorXd::Constant(1, s.iroas * s.spend);
      se = Eigen::VectorXd::Constant(1, s.iroas_standard_error * s.spend);
    }
    if (se.size() != lift.size())
      fail(name, ": standard_error needs one value per lift value (", lift.size(), "), got ", se.size());
    for (Eigen::Index j = 0; j < se.size(); ++j)
      if (!(se[j] > 0.0) || !std::isfinite(se[j]))
        fail(name, ": standard_error value ", j, " is ", se[j], "; expected a finite number > 0");
    if (!std::isnan(s.transfer_sd) && !(s.transfer_sd >= 0.0 && std::isfinite(s.transfer_sd)))
      fail(name, ": transfer_sd must be a finite number >= 0 (or NaN: a fraction of the lift), got ", s.transfer_sd);
    if (!(s.transfer_fraction >= 0.0) || !std::isfinite(s.transfer_fraction))
      fail(name, ": transfer_fraction must be a finite number >= 0, got ", s.transfer_fraction);
    c.lift = lift / y_scale;
    c.variance.resize(lift.size());
    // week by week under the Normal: the weeks' transfer errors are one (top of this file)
    const bool common = lift.size() > 1 && std::isinf(c.dof);
    if (common) c.transfer.resize(lift.size());
    for (Eigen::Index j = 0; j < lift.size(); ++j) {
      const double tau = std::isnan(s.transfer_sd) ? s.transfer_fraction * std::abs(lift[j]) : s.transfer_sd;
      c.variance[j] = (se[j] * se[j] + tau * tau) / (y_scale * y_scale);
      if (common) c.transfer[j] = tau / y_scale;
    }
    out.push_back(std::move(c));
  }
  return out;
}

namespace detail {

/// Jointly Normal lift values with one common transfer error (top of this file): for
/// residuals r (n values), variances v (se^2 + tau^2) and transfers tau, returns
/// -(r^T Dg^-1 r - (tau^T Dg^-1 r)^2 / (1 + s)) / 2 - ln(1 + s) / 2, Dg = diag(v - tau^2),
/// s = tau^T Dg^-1 tau (without the constant -sum ln(2 pi Dg) / 2), and writes
/// Sigma^-1 r = d/d pred to q (which may alias r).
inline double common_transfer_normal(const double* r, const double* v, const double* tau, std::size_t n, double* q) {
  double quad = 0.0, tr = 0.0, s = 0.0;
  for (std::size_t k = 0; k < n; ++k) {
    const double dg = v[k] - tau[k] * tau[k];
    quad += r[k] * r[k] / dg;
    tr += tau[k] * r[k] / dg;
    s += tau[k] * tau[k] / dg;
  }
  const double c = tr / (1.0 + s);
  for (std::size_t k = 0; k < n; ++k) q[k] = (r[k] - tau[k] * c) / (v[k] - tau[k] * tau[k]);
  return -0.5 * (quad - tr * c) - 0.5 * std::log1p(s);
}

/// The lift term of TrustModel::log_density (a friend of TrustModel: it reads the model's
/// layout and runs its own recursions and adjoints). Called from the backward pass once
/// the outcome's adjoints are in the workspace: adds the term's log density and its exact
/// gradient (into ws.gH, ws.gG, ws.gbeta for the model's own chain rule, and into grad).
struct LiftTerm {
  template <class Model, class Params, class Workspace, class Grad>
  static double add(const Model& m, const Params& p, Workspace& ws, Grad& grad) {
    const int T = m.periods(), P = m.P_, S = m.S_;
    const bool trust = m.d_.trust_enabled;
    LiftWorkspace& L = ws.lift;
    L.resize(T, P, m.d_.max_lag + 1);
    using Rf = decltype(m.rf_form(0));  // RfForm (declared after this header)
    double lp = 0.0;
    for (const LiftCalibration& test : m.d_.lift_tests) {
      const int c = test.channel, s0 = test.start, s1 = test.measured_end();
      int it = -1, jc = -1;  // the channel's trust and conversion indices (-1: none)
      for (int i = 0; i < P && trust; ++i)
        if (m.trust_idx_[static_cast<std::size_t>(i)] == c) it = i;
      for (int j = 0; j < S; ++j)
        if (m.conv_idx_[static_cast<std::size_t>(j)] == c) jc = j;
      // ---- forward: the counterfactual activity, adstock and saturation of channel c
      // (an RF channel: its input x = r g(f) of the forward pass with the reach scaled,
      // and no logistic saturation, as in the model's own forward pass)
      const bool rf = m.rf_form(c) != Rf::none;
      if (rf) L.x = ws.X.col(c);
      else L.x = m.d_.media.col(c);
      L.x.segment(s0, test.end - s0) *= 1.0 - test.share;
      transforms::geometric_adstock_recursive(L.x, p.alpha[c], m.d_.max_lag, L.a, L.da);
      if (rf) L.h = L.a;
      else Model::saturate(L.a.data(), 0.5 * p.lam[c], L.h.data(), T);
      // ---- forward: the counterfactual trust stock (the model's own recursion)
      const bool stock_moves = it >= 0;
      if (stock_moves) {
        L.u = ws.inflow + p.kappa[it] * (L.h - ws.H.col(c));
        if (m.bounded())
          Model::bounded_stock_recursion(p.delta, p.g0, p.trust_base, p.inflow, L.u, p.omega, m.d_.shocks, L.G, L.ex.data(),
                                         L.sx.data());
        else Model::trust_stock_recursion(p.delta, p.g0, L.u, p.omega, m.d_.shocks, L.G);
      }
      const double gamma = trust ? p.gamma : 0.0, theta = trust ? p.theta : 0.0;
      auto stock = [&](int t) { return trust ? ws.G[t] : 0.0; };
      auto stock_cf = [&](int t) { return stock_moves ? L.G[t] : stock(t); };
      auto conv_cf = [&](int t) { return ws.conv_sum[t] + (jc >= 0 ? p.beta[jc] * (L.h[t] - ws.H(t, c)) : 0.0); };
      // ---- the predicted lift and the likelihood; D[t] = dL/d(mu[t] - mu_cf[t]) on M.
      // eta[t] - eta_cf[t] = diff below (the baseline cancels); identity link: the lift is
      // diff; log link: mu[t] - mu_cf[t] = mu[t] (1 - exp(-diff)), mu[t] = ws.mu[t] = exp(eta[t]).
      const bool log_link = m.log_link();
      double total = 0.0;
      const bool per = test.per_period();
      for (int t = s0; t < s1; ++t) {
        const double g = stock(t), gc = stock_cf(t), cs = ws.conv_sum[t], cc = conv_cf(t);
        const double eta_diff = gamma * (g - gc) + cs * (1.0 + theta * g) - cc * (1.0 + theta * gc);
        const double diff = log_link ? -ws.mu[t] * std::expm1(-eta_diff) : eta_diff;
        if (per && test.transfer.size() != 0) L.D[t] = test.lift[t - s0] - diff;  // the residual, for below
        else if (per) lp += observation(test.lift[t - s0] - diff, test.variance[t - s0], test.dof, L.D[t]);
        else total += diff;
      }
      if (per && test.transfer.size() != 0) {  // one common transfer error: D <- Sigma^-1 r
        const auto n = static_cast<std::size_t>(s1 - s0);
        lp += common_transfer_normal(L.D.data() + s0, test.variance.data(), test.transfer.data(), n, L.D.data() + s0);
        lp -= 0.5 * static_cast<double>(n) * std::log(2.0 * std::numbers::pi);
        for (Eigen::Index k = 0; k < test.variance.size(); ++k)
          lp -= 0.5 * std::log(test.variance[k] - test.transfer[k] * test.transfer[k]);
      }
      if (!per) {
        double D = 0.0;
        lp += observation(test.lift[0] - total, test.variance[0], test.dof, D);
        for (int t = s0; t < s1; ++t) L.D[t] = D;
      }
      // ---- backward: the actual path's quantities and the counterfactual's adjoints
      L.gh.setZero();
      if (stock_moves) L.gG.setZero();
      double g_gamma = 0.0, g_theta = 0.0;
      if (log_link) {
        // mu - mu_cf = exp(eta) - exp(eta_cf): the actual path's eta[t] has the adjoint
        // Da = D mu[t], the counterfactual's eta_cf[t] the adjoint -Dc, Dc = D mu_cf[t];
        // the baseline no longer cancels: dL/dbase[t] = Da - Dc = D (mu[t] - mu_cf[t]).
        double gb0 = 0.0;  // sum_t dL/dbase[t]: to the intercept's level shear below
        for (int t = s0; t < s1; ++t) {
          const double g = stock(t), gc = stock_cf(t), cs = ws.conv_sum[t], cc = conv_cf(t);
          const double amp = 1.0 + theta * g, amp_cf = 1.0 + theta * gc;
          const double eta_diff = gamma * (g - gc) + cs * amp - cc * amp_cf;
          const double mu = ws.mu[t], mu_cf = mu * std::exp(-eta_diff);
          const double Da = L.D[t] * mu, Dc = L.D[t] * mu_cf, Db = Da - Dc;
          for (int k = 0; k < m.K_; ++k) grad[m.o_b_ + k] += Db * m.d_.baseline(t, k);
          gb0 += Db;
          for (int j = 0; j < S; ++j) {
            const int cj = m.conv_idx_[static_cast<std::size_t>(j)];
            const double hs = ws.H(t, cj), hs_cf = j == jc ? L.h[t] : hs;
            ws.gbeta[j] += Da * amp * hs - Dc * amp_cf * hs_cf;
            ws.gH(t, cj) += p.beta[j] * (j == jc ? Da * amp : Da * amp - Dc * amp_cf);
          }
          if (jc >= 0) L.gh[t] -= Dc * p.beta[jc] * amp_cf;
          if (trust) {
            g_gamma += Da * g - Dc * gc;
            g_theta += Da * g * cs - Dc * gc * cc;
            ws.gG[t] += Da * (gamma + theta * cs);
            const double gcf = -Dc * (gamma + theta * cc);
            if (stock_moves) L.gG[t] = gcf;
            else ws.gG[t] += gcf;  // G_cf = G
          }
        }
        if (trust && m.intercept_col_ >= 0) {
          // b_0 = level - gamma Gbar (the model's free intercept level; Gbar = mean_t G[t]):
          // dL/db_0 also reaches gamma and every G[t], as in the model's own backward pass
          const double gbar = ws.G.mean();
          g_gamma -= gb0 * gbar;
          ws.gG.array() -= gb0 * gamma / T;
        }
      } else {
        for (int t = s0; t < s1; ++t) {
          const double D = L.D[t], g = stock(t), gc = stock_cf(t), cs = ws.conv_sum[t], cc = conv_cf(t);
          const double amp = 1.0 + theta * g, amp_cf = 1.0 + theta * gc;
          for (int j = 0; j < S; ++j) {
            const int cj = m.conv_idx_[static_cast<std::size_t>(j)];
            const double hs = ws.H(t, cj), hs_cf = j == jc ? L.h[t] : hs;
            ws.gbeta[j] += D * (amp * hs - amp_cf * hs_cf);
            // h[s] enters mu and, for s != c, mu_cf too (h_cf[s] = h[s])
            ws.gH(t, cj) += D * p.beta[j] * (j == jc ? amp : amp - amp_cf);
          }
          if (jc >= 0) L.gh[t] -= D * p.beta[jc] * amp_cf;
          if (trust) {
            g_gamma += D * (g - gc);
            g_theta += D * (g * cs - gc * cc);
            ws.gG[t] += D * (gamma + theta * cs);
            const double gcf = -D * (gamma + theta * cc);
            if (stock_moves) L.gG[t] = gcf;
            else ws.gG[t] += gcf;  // G_cf = G
          }
        }
      }
      if (trust) {
        grad[m.o_gamma_] += g_gamma * gamma;  // on ln gamma (the model's shears follow)
        grad[m.o_theta_] += g_theta * theta;
      }
      if (stock_moves) {
        double uf = 1.0;  // adj = dL/du_cf / uf
        if (m.bounded()) {
          // The model's own adjoint on the counterfactual path's buffers (swapped in and back).
          swap_path(ws, L);
          m.bounded_stock_adjoint(p, ws, grad);
          swap_path(ws, L);
        } else {
          // Linear form: lambda[t] = gG[t] + delta lambda[t+1] (lambda = 0 after M),
          // dL/d delta = sum_t lambda[t] (G[t-1] - u[t]), dL/dg0 = delta lambda[0],
          // dL/d omega_e = -sum_t lambda[t] d[t, e], dL/du[t] = (1 - delta) lambda[t].
          uf = 1.0 - p.delta;
          double lam_next = 0.0, gdelta = 0.0;
          L.adj.segment(s1, T - s1).setZero();
          for (int t = s1 - 1; t >= 0; --t) {
            const double lam_t = L.gG[t] + p.delta * lam_next;
            L.adj[t] = lam_t;
            gdelta += lam_t * ((t > 0 ? L.G[t - 1] : p.g0) - L.u[t]);
            lam_next = lam_t;
          }
          grad[m.o_g0_] += p.delta * L.adj[0];
          grad[m.o_delta_] += gdelta * p.delta * (1.0 - p.delta);
          for (int e = 0; e < m.E_; ++e) grad[m.o_omega_ + e] += -L.adj.dot(m.d_.shocks.col(e)) * p.omega[e];
        }
        // u_cf = sum_p kappa_p h_cf[p]: to kappa (softmax of the isometric log-ratios), to
        // the actual h of the other trust channels and to h_cf of channel c.
        for (int i = 0; i < P; ++i) {
          const int ci = m.trust_idx_[static_cast<std::size_t>(i)];
          if (i == it) {
            L.gk[i] = uf * L.adj.dot(L.h);
            L.gh += uf * p.kappa[i] * L.adj;
          } else {
            L.gk[i] = uf * L.adj.dot(ws.H.col(ci));
            ws.gH.col(ci) += uf * p.kappa[i] * L.adj;
          }
        }
        const double kg = p.kappa.dot(L.gk);
        L.gk = p.kappa.cwiseProduct((L.gk.array() - kg).matrix());
        grad.segment(m.o_kappa_, P - 1).noalias() += m.helmert_.transpose() * L.gk;
      }
      // ---- backward: saturation and adstock of the counterfactual activity
      if (rf) {
        // h_cf = a_cf = sum_l w_l x_cf[t - l]: dL/dalpha from da; the input's adjoint
        // gx[s] = sum_l w_l gh[s + l] to ln lam (ln ec or ln rate) and ln slope through
        // dx_cf/dz = (1 - share) dx/dz in the window, dx/dz elsewhere.
        grad[m.o_alpha_ + c] += L.gh.dot(L.da) * p.alpha[c] * (1.0 - p.alpha[c]);
        Model::geometric_weights_into(p.alpha[c], L.w, L.dw);
        const int L1 = m.d_.max_lag + 1;
        for (int s = 0; s < T; ++s) {
          double acc = 0.0;
          const int lmax = std::min(L1, T - s);
          for (int l = 0; l < lmax; ++l) acc += L.w[l] * L.gh[s + l];
          L.gx[s] = acc;
        }
        L.gx.segment(s0, test.end - s0) *= 1.0 - test.share;
        grad[m.o_lam_ + c] += L.gx.dot(ws.dX1.col(c));
        if (m.rf_form(c) == Rf::hill)
          grad[m.o_slope_ + m.rf_slope_pos_[static_cast<std::size_t>(c)]] += L.gx.dot(ws.dX2.col(c));
        continue;
      }
      const double glam = transforms::detail::simd::logistic_series_adjoint(L.a.data(), L.h.data(), L.gh.data(),
                                                                            0.5 * p.lam[c], L.ga.data(), T);
      grad[m.o_lam_ + c] += glam * p.lam[c];
      grad[m.o_alpha_ + c] += L.ga.dot(L.da) * p.alpha[c] * (1.0 - p.alpha[c]);
    }
    return lp;
  }

 private:
  /// log density of one lift value with residual r = observed - predicted and variance v
  /// (Normal, or Student-t with nu = dof finite; see the top of this file); D receives
  /// d log density / d predicted.
  static double observation(double r, double v, double dof, double& D) {
    if (std::isinf(dof)) {
      D = r / v;
      return -0.5 * r * r / v - 0.5 * std::log(2.0 * std::numbers::pi * v);
    }
    const double q = dof * v + r * r;
    D = (dof + 1.0) * r / q;
    return boost::math::lgamma(0.5 * (dof + 1.0)) - boost::math::lgamma(0.5 * dof) -
           0.5 * std::log(dof * std::numbers::pi * v) - 0.5 * (dof + 1.0) * std::log1p(r * r / (dof * v));
  }

  template <class Workspace>
  static void swap_path(Workspace& ws, LiftWorkspace& L) {
    ws.G.swap(L.G);
    ws.inflow.swap(L.u);
    ws.ex.swap(L.ex);
    ws.sx.swap(L.sx);
    ws.gG.swap(L.gG);
    ws.adj.swap(L.adj);
  }
};

}  // namespace detail
}  // namespace trustmix::mmm

namespace trustmix::mmm {

/// The model's predicted lift of every lift-test value at unconstrained z, in model units
/// x outcome_scale (pass the outcome's scale for outcome units): the tests in order, one
/// value for a total lift and one per measured period for a per-period lift. Computed by
/// two forward passes per test (Model::forward and Model::forward_with_media on the
/// counterfactual activity), independently of the log density's own computation.
template <class Model>
[[nodiscard]] Eigen::VectorXd predicted_lifts(const Model& m, const Eigen::Ref<const Eigen::VectorXd>& z,
                                              double outcome_scale = 1.0) {
  const auto& tests = m.data().lift_tests;
  Eigen::Index n = 0;
  for (const LiftCalibration& t : tests) n += t.lift.size();
  Eigen::VectorXd out(n);
  if (n == 0) return out;
  const Eigen::VectorXd mu = m.forward(z).mu;
  Eigen::MatrixXd media = m.data().media;
  Eigen::Index k = 0;
  for (const LiftCalibration& t : tests) {
    media.col(t.channel).segment(t.start, t.end - t.start) *= 1.0 - t.share;
    const Eigen::VectorXd diff = (mu - m.forward_with_media(z, media).mu).segment(t.start, t.measured_periods());
    media.col(t.channel) = m.data().media.col(t.channel);
    if (t.per_period())
      for (const double v : diff) out[k++] = v * outcome_scale;
    else out[k++] = diff.sum() * outcome_scale;
  }
  return out;
}

/// predicted_lifts() for every row of draws (draws x dimension): draws x values. The draws
/// run in blocks on `threads` threads of the process-wide pool (core/parallel.hpp; 0: the
/// hardware's), each row computed by one thread with the serial arithmetic, so the result
/// is bit-identical for every thread count. `stop` (optional) is read before every draw:
/// once set, the call throws trustmix::Interrupted.
template <class Model>
[[nodiscard]] Eigen::MatrixXd predicted_lift_draws(const Model& m, const Eigen::MatrixXd& draws, double outcome_scale = 1.0,
                                                   int threads = 0, const std::atomic<bool>* stop = nullptr) {
  if (draws.cols() != m.dimension()) fail("draws must have ", m.dimension(), " columns, got ", draws.cols());
  Eigen::Index n = 0;
  for (const LiftCalibration& t : m.data().lift_tests) n += t.lift.size();
  Eigen::MatrixXd out(draws.rows(), n);
  parallel_for_blocks(
      static_cast<std::ptrdiff_t>(draws.rows()), threads, 1,
      [&](std::ptrdiff_t begin, std::ptrdiff_t end) {
        for (std::ptrdiff_t r = begin; r < end; ++r) {
          if (stop != nullptr && stop->load(std::memory_order_relaxed)) throw Interrupted("predicted lifts");
          const auto row = static_cast<Eigen::Index>(r);
          out.row(row) = predicted_lifts(m, draws.row(row).transpose(), outcome_scale).transpose();
        }
      },
      4);
  return out;
}

}  // namespace trustmix::mmm
