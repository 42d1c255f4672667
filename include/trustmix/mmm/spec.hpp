#pragma once
// The trust-linked model's specification in raw business units, and the one place where
// it becomes the model's scaled data (TrustModelData) and priors (TrustModelPriors):
// scaling of media, outcome and tracker, the baseline design (intercept, trend, Fourier
// seasonality, standardised controls, known events) and the priors stated in business
// terms (a trust half-life range, ROI ranges). Python's TrustMMM converts a DataFrame into
// a TrustModelSpec and calls build(); a C++ user builds exactly the same model.
//
// Scaling (MODEL.md section 1): "mean" divides each channel by the mean of its non-zero
// activity and the outcome by its mean absolute value; "max" divides both by their
// maximum absolute value (PyMC-Marketing's convention). The tracker is standardised over
// its measured periods (population sd). Baseline columns, in order:
//   1 (intercept); t / T (trend, t = 0..T-1); sin(2 pi k t / P), cos(2 pi k t / P) for
//   k = 1..seasonality, P = 365.25 / period_days (one year); each control standardised
//   (v - mean) / sd (population sd, 1 when constant); each event as is.
// Business-term priors: trust_half_life [low, high] (periods) is the central 90% range
// of a LogNormal half-life: median sqrt(low high), sd of ln (ln high - ln low) / (2 z),
// z = 1.6448536269514722. A ROI range [low, high] of a conversion channel (ROI = (value
// - spend) / spend over the data, low > -1) is a LogNormal on 1 + ROI with the same
// conversion, and roi_scale = value_per_outcome y_scale / (the channel's spend over the
// data) (see TrustModelPriors and trust_model.hpp).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/mmm/trust_model.hpp"

namespace trustmix::mmm {

/// What a channel does (MODEL.md): feeds the trust stock, converts short-term, or both.
enum class Role : std::uint8_t { trust, conversion, both };
/// How media and outcome are made unit-free (see the top of this file).
enum class Scaling : std::uint8_t { mean, max };

/// A ROI prior in business terms: the channel's ROI lies in [low, high] with 90% prior
/// probability.
struct RoiPrior {
  std::string channel;
  double low = 0.0, high = 1.0;
};

/// Everything that defines a trust-linked model, in raw units; T periods, C channels.
struct TrustModelSpec {
  std::vector<std::string> channels;  ///< C names
  std::vector<Role> roles;            ///< C roles
  Matrix media;                       ///< T x C activity (spend, impressions, mentions), >= 0
  Matrix spend;                       ///< T x C spend for ROI (0 columns: the media themselves)
  Vector outcome;                     ///< T outcome, finite
  double period_days = 7.0;           ///< days per period (7 weekly, 1 daily)
  Vector tracker;                     ///< T trust tracker, NaN where unmeasured; empty for none
  /// T survey panel sizes of a tracker that is a share (values in [0, 1]), or empty: then
  /// each measured period has the known binomial sampling error sqrt(p (1 - p) / n), p the
  /// measured share clamped to [0.5 / n, 1 - 0.5 / n], and sigma_q is the error beyond it.
  Vector tracker_n;
  /// The tracker measures the share of trusting people itself (bounded trust form only):
  /// it is fitted unscaled as q = G + a_q + noise (TrustModelData::tracker_share), not
  /// standardised as an index a_q + b_q G.
  bool tracker_share = false;
  Matrix controls;                    ///< T x J other regressors (standardised)
  std::vector<std::string> control_names;
  Matrix events;                      ///< T x V known baseline events (unscaled)
  std::vector<std::string> event_names;
  Matrix shocks;                      ///< T x E crisis indicators (>= 0) lowering the trust stock
  std::vector<std::string> shock_names;
  int seasonality = 2;                ///< Fourier order, period one year
  bool trend = true;
  int max_lag = 12;                   ///< adstock lag window L
  bool trust_enabled = true;          ///< false: a standard MMM, every channel converts
  Scaling scaling = Scaling::mean;
  Likelihood likelihood = Likelihood::normal;
  /// Residuals' time structure (trust_model.hpp): unset (the default) means AR(1) for the
  /// normal and lognormal likelihoods and iid for the negative binomial (AR(1) residuals
  /// raised the 90% coverage of channel totals on the 40 validation worlds from 0.620 to
  /// 0.719, docs/validation.md); set Noise::iid for independent residuals.
  std::optional<Noise> noise;
  TrustForm trust_form = TrustForm::linear;  ///< the trust-stock recursion (trust_model.hpp)
  /// Link of the outcome's mean (trust_model.hpp): identity mu = eta (default) or log
  /// mu = exp(eta), eta = baseline + gamma G + sum_s beta_s h_s (1 + theta G) on the log
  /// scale of the scaled outcome (priors unchanged in number; docs/mmm.md, "The log link").
  Link link = Link::identity;
  /// Value of one unit of outcome (currency); NaN: none (ROIs are then undefined).
  double value_per_outcome = std::numeric_limits<double>::quiet_NaN();
  TrustModelPriors priors;            ///< raw-parameter priors (the ROI fields are set by build())
  double trust_half_life_low = std::numeric_limits<double>::quiet_NaN();  ///< business-term prior, periods
  double trust_half_life_high = std::numeric_limits<double>::quiet_NaN();
  /// Business-term prior on the market's own growth (the baseline's trend): a 90% range
  /// (low, high) of the outcome's change per year that marketing does not explain, as a
  /// fraction of its mean level (e.g. -0.02, 0.02: "flat within 2% a year"). The trend
  /// coefficient b_trend (its column is t / T, so b_trend is the change over the data) gets
  /// Normal(m, s) with m = (low + high) / 2 x Y x L, s = (high - low) / (2 z_0.95) x Y x L,
  /// Y the years of data (T period_days / 365.25), L the outcome's mean in model units;
  /// with the log link the same on ln(1 + growth) x Y. NaN: the default Normal(0,
  /// baseline_sd). Needs trend = true. Why: a trust stock that PR builds over years rises
  /// slowly like a trend, and the data alone split the rise between them poorly
  /// (docs/validation.md, "Where press's bias comes from: the trend").
  double market_growth_low = std::numeric_limits<double>::quiet_NaN();
  double market_growth_high = std::numeric_limits<double>::quiet_NaN();
  std::vector<RoiPrior> roi_priors;
  /// Lift tests that calibrate the model (calibration.hpp; outcome units, periods of the data).
  std::vector<LiftTestSpec> lift_tests;
  /// Reach-and-frequency channels (trust_model.hpp, RfForm): one form per channel, or
  /// empty for none. An RF channel's media column is its reach (people reached at least
  /// once per period; scaled like any activity) and `frequency` its average frequency
  /// among the reached (T x C, read for RF channels only, unscaled); its spend column is
  /// needed for a ROI. RF channels convert only (role conversion, or trust off).
  std::vector<RfForm> rf;
  Matrix frequency;
  double rf_shape = 1.0;  ///< exposure form: negative binomial shape of the exposures
};

/// What build() derived from the spec: the scales that turn model units back into
/// business units, and the names of the model's parts.
struct TrustModelScales {
  Vector media_scale;   ///< C: activity per scaled unit
  double y_scale = 1.0; ///< outcome per model unit
  double tracker_mean = 0.0, tracker_sd = 1.0;
  Vector control_mean, control_sd;
  std::vector<std::string> baseline_names;       ///< K baseline columns
  std::vector<std::string> trust_channels;       ///< P (empty without trust)
  std::vector<std::string> conversion_channels;  ///< S
  Matrix spend;                                  ///< T x C spend (currency)
};

/// A model built from a spec: the model, its scales and the spec itself.
struct BuiltTrustModel {
  TrustModelSpec spec;
  TrustModelScales scales;
  TrustModel model;

  /// Spend of every channel over periods [begin, end] (inclusive; -1: the last).
  [[nodiscard]] Vector spend_in(int begin = 0, int end = -1) const {
    const auto T = static_cast<int>(scales.spend.rows());
    const int hi = end == -1 ? T - 1 : end;  // -1: the last period
    if (begin < 0 || hi >= T || begin > hi)
      fail("window must satisfy 0 <= begin <= end < ", T, ", got [", begin, ", ", hi, "]");
    return scales.spend.middleRows(begin, hi - begin + 1).colwise().sum().transpose();
  }
};

/// Whether a tracker reads as a survey share of trusting people: at least two measured
/// (non-NaN) values and every one of them in [0, 1]. An index tracker is standardised (it
/// has negative values) or on another scale (0-100, a score). TrustMMM's default form
/// follows it (docs/mmm.md, "The default form follows the tracker"): a tracker that reads
/// as a share, or has panel sizes, gives the bounded share the survey measures
/// (TrustForm::bounded with tracker_share); otherwise the linear index (default_trust_form
/// below holds the whole rule).
[[nodiscard]] inline bool tracker_reads_as_share(const Eigen::Ref<const Vector>& tracker) noexcept {
  Eigen::Index measured = 0;
  for (const double q : tracker) {
    if (std::isnan(q)) continue;
    if (!(q >= 0.0 && q <= 1.0)) return false;  // also +-inf
    ++measured;
  }
  return measured >= 2;
}

/// A trust form and how the tracker is read: TrustModelSpec::trust_form and TrustModelSpec::tracker_share.
struct TrustFormChoice {
  TrustForm form = TrustForm::linear;
  bool tracker_share = false;
};

/// The default trust form (the rule TrustMMM applies when `trust_form` is not given; docs/mmm.md,
/// "The default form follows the tracker"). With a tracker (non-empty), trust on and
/// tracker_share not false, the survey share is chosen, {bounded, true}, when tracker_share is
/// true, or panel sizes are given, or the tracker reads as a share (tracker_reads_as_share);
/// otherwise the linear index, {linear, tracker_share.value_or(false)}. An explicit
/// tracker_share is kept as given (true alone implies the bounded form; false keeps the
/// linear one).
[[nodiscard]] inline TrustFormChoice default_trust_form(const Eigen::Ref<const Vector>& tracker, bool has_tracker_n,
                                                        bool trust_enabled,
                                                        std::optional<bool> tracker_share = std::nullopt) noexcept {
  const bool share = tracker.size() != 0 && trust_enabled && tracker_share != false &&
                     (tracker_share == true || has_tracker_n || tracker_reads_as_share(tracker));
  return share ? TrustFormChoice{TrustForm::bounded, tracker_share.value_or(true)}
               : TrustFormChoice{TrustForm::linear, tracker_share.value_or(false)};
}

/// default_trust_form of a spec's own tracker, panel sizes and trust switch; apply it with
/// `auto c = default_trust_form(spec); spec.trust_form = c.form; spec.tracker_share = c.tracker_share;`.
[[nodiscard]] inline TrustFormChoice default_trust_form(const TrustModelSpec& spec,
                                                        std::optional<bool> tracker_share = std::nullopt) noexcept {
  return default_trust_form(spec.tracker, spec.tracker_n.size() != 0, spec.trust_enabled, tracker_share);
}

namespace detail {

inline constexpr double z90 = 1.6448536269514722;  // standard normal 95% quantile

/// (ln median, sd of ln) of the LogNormal whose central 90% interval is [low, high].
inline std::pair<double, double> interval_to_lognormal(const std::string& name, double low, double high) {
  if (!(std::isfinite(low) && std::isfinite(high) && 0.0 < low && low < high))
    fail("prior ", name, ": the 90% range must be two finite numbers 0 < low < high, got (", low, ", ", high, ")");
  return {0.5 * (std::log(low) + std::log(high)), (std::log(high) - std::log(low)) / (2.0 * z90)};
}

/// The business-term prior market_growth (low, high) (TrustModelSpec, PanelModelSpec): the
/// trend's column (1, after the intercept) of K baseline columns gets Normal(m, s), m = (a +
/// b) / 2 x years x level, s = (b - a) / (2 z_0.95) x years x level, with (a, b) = (low,
/// high), or (ln(1 + low), ln(1 + high)) on the log link (level 1 there); the other columns
/// keep Normal(0, baseline_sd).
inline void set_market_growth_prior(TrustModelPriors& pr, double low, double high, bool trend, double years, double level,
                                    bool log_link, Eigen::Index K) {
  if (!(std::isfinite(low) && std::isfinite(high) && low < high && low > -1.0))
    fail(
        "prior market_growth: the 90% range must be two finite numbers -1 < low < high (growth per year as a "
        "fraction of the outcome's mean), got (",
        low, ", ", high, ")");
  if (!trend) fail("prior market_growth needs the baseline's trend (trend = true)");
  if (!(level > 0.0) || !std::isfinite(level))
    fail("prior market_growth: the outcome's mean is ", level,
         " (model units); growth as a fraction of it needs a mean > 0");
  const double a = log_link ? std::log1p(low) : low, b = log_link ? std::log1p(high) : high;
  pr.baseline_mean = Vector::Zero(K);
  pr.baseline_sd_k = Vector::Constant(K, pr.baseline_sd);
  pr.baseline_mean[1] = 0.5 * (a + b) * years * level;
  pr.baseline_sd_k[1] = (b - a) / (2.0 * z90) * years * level;
}

inline void check_matrix(const Matrix& m, Eigen::Index T, const std::vector<std::string>& names, const char* what,
                         bool nonnegative) {
  if (m.cols() == 0) return;
  if (m.rows() != T) fail(what, " have ", m.rows(), " rows, the outcome has ", T);
  if (static_cast<Eigen::Index>(names.size()) != m.cols())
    fail(what, ": ", m.cols(), " columns but ", names.size(), " names");
  for (Eigen::Index c = 0; c < m.cols(); ++c)
    for (Eigen::Index t = 0; t < T; ++t)
      if (!std::isfinite(m(t, c)) || (nonnegative && m(t, c) < 0.0))
        fail(what, " '", names[static_cast<std::size_t>(c)], "': row ", t, " is ", m(t, c), "; expected a finite number",
             nonnegative ? " >= 0" : "");
}

}  // namespace detail

/// Builds the model of a spec (definitions at the top of this file). Throws
/// std::invalid_argument naming the row, column or setting at fault.
[[nodiscard]] inline BuiltTrustModel build(TrustModelSpec spec) {
  const Eigen::Index T = spec.outcome.size(), C = spec.media.cols();
  if (C == 0) fail("the model needs at least one channel");
  if (static_cast<Eigen::Index>(spec.channels.size()) != C || static_cast<Eigen::Index>(spec.roles.size()) != C)
    fail("channels and roles need one entry per media column (", C, "), got ", spec.channels.size(), " and ",
         spec.roles.size());
  const Eigen::Index min_periods = std::max<Eigen::Index>(10, 2 * (Eigen::Index{spec.seasonality} * 2 + 2));
  if (spec.seasonality < 0) fail("seasonality must be >= 0, got ", spec.seasonality);
  if (T < min_periods) fail("the data has ", T, " periods; the model needs at least ", min_periods);
  if (spec.max_lag < 0 || spec.max_lag >= T)
    fail("max_lag must be between 0 and the number of periods - 1 (", T - 1, "), got ", spec.max_lag,
         ": a lag window as long as the data cannot be estimated");
  if (!(spec.period_days > 0.0) || !std::isfinite(spec.period_days))
    fail("period_days must be finite and > 0, got ", spec.period_days);
  for (Eigen::Index t = 0; t < T; ++t)
    if (!std::isfinite(spec.outcome[t])) fail("outcome: row ", t, " is ", spec.outcome[t], "; the outcome must be finite");
  if (!std::isfinite(spec.outcome.cwiseAbs().sum()))  // the outcome's scale (and summaries) would be inf
    fail("outcome: values up to ", spec.outcome.cwiseAbs().maxCoeff(),
         " overflow a double when summed (the outcome's scale would be inf); express the outcome in larger units");
  detail::check_matrix(spec.media, T, spec.channels, "media column", true);
  if (!spec.rf.empty()) {  // reach-and-frequency channels: named errors before the model's own checks
    if (static_cast<Eigen::Index>(spec.rf.size()) != C)
      fail("rf needs one form per channel (", C, "), got ", spec.rf.size());
    if (spec.frequency.rows() != T || spec.frequency.cols() != C)
      fail("frequency must be ", T, " x ", C, " (one column per channel; read for RF channels), got ", spec.frequency.rows(),
           " x ", spec.frequency.cols());
    for (Eigen::Index c = 0; c < C; ++c) {
      const auto i = static_cast<std::size_t>(c);
      if (spec.rf[i] == RfForm::none) continue;
      if (spec.trust_enabled && spec.roles[i] != Role::conversion)
        fail("channel '", spec.channels[i],
             "' is a reach-and-frequency channel with a trust role: an RF channel can only "
             "convert (the trust stock's inflow is saturated activity per period; reach that accumulates people over "
             "periods is not that). Give it role 'conversion' or switch trust off");
      for (Eigen::Index t = 0; t < T; ++t)
        if (!(spec.frequency(t, c) >= 0.0) || !std::isfinite(spec.frequency(t, c)))
          fail("frequency of channel '", spec.channels[i], "': row ", t, " is ", spec.frequency(t, c),
               "; expected a finite number >= 0");
    }
  }
  for (Eigen::Index c = 0; c < C; ++c)
    if (!(spec.media.col(c).array() > 0.0).any())
      fail("channel '", spec.channels[static_cast<std::size_t>(c)], "' is all zeros: there is nothing to estimate");
  if (spec.spend.cols() == 0) spec.spend = spec.media;
  if (spec.spend.cols() != C) fail("spend must have one column per channel (", C, "), got ", spec.spend.cols());
  detail::check_matrix(spec.spend, T, spec.channels, "spend column", true);
  detail::check_matrix(spec.controls, T, spec.control_names, "control", false);
  detail::check_matrix(spec.events, T, spec.event_names, "event", false);
  detail::check_matrix(spec.shocks, T, spec.shock_names, "shock", true);
  for (Eigen::Index e = 0; e < spec.events.cols(); ++e)
    if ((spec.events.col(e).array() == 0.0).all())
      fail("event '", spec.event_names[static_cast<std::size_t>(e)],
           "' is zero in every period: there is nothing to estimate");
  if (spec.tracker.size() != 0 && spec.tracker.size() != T)
    fail("tracker has ", spec.tracker.size(), " values, the outcome has ", T);
  for (Eigen::Index t = 0; t < spec.tracker.size(); ++t)
    if (std::isinf(spec.tracker[t])) fail("tracker: row ", t, " is ", spec.tracker[t], "; use NaN for an unmeasured period");
  const double v = spec.value_per_outcome;
  if (!std::isnan(v) && (!(v > 0.0) || !std::isfinite(v)))
    fail("value_per_outcome must be a finite number > 0 (or NaN for none), got ", v);

  TrustModelScales sc;
  TrustModelData d;
  // Scaling.
  sc.media_scale.resize(C);
  for (Eigen::Index c = 0; c < C; ++c) {
    if (spec.scaling == Scaling::mean) {
      double sum = 0.0;
      Eigen::Index n = 0;
      for (Eigen::Index t = 0; t < T; ++t)
        if (spec.media(t, c) > 0.0) {
          sum += spec.media(t, c);
          ++n;
        }
      sc.media_scale[c] = sum / static_cast<double>(n);
    } else {
      sc.media_scale[c] = spec.media.col(c).maxCoeff();
    }
  }
  const double y_abs = spec.scaling == Scaling::mean ? spec.outcome.cwiseAbs().mean() : spec.outcome.cwiseAbs().maxCoeff();
  sc.y_scale = y_abs != 0.0 ? y_abs : 1.0;
  d.media = spec.media.array().rowwise() / sc.media_scale.transpose().array();
  const bool counts = spec.likelihood == Likelihood::negative_binomial;
  d.y = counts ? spec.outcome : Vector(spec.outcome / sc.y_scale);
  d.outcome_scale = counts ? sc.y_scale : 1.0;
  d.likelihood = spec.likelihood;
  d.noise = spec.noise.value_or(spec.likelihood == Likelihood::negative_binomial ? Noise::iid : Noise::ar1);
  d.max_lag = spec.max_lag;
  d.trust_enabled = spec.trust_enabled;
  d.trust_form = spec.trust_form;
  d.link = spec.link;
  d.tracker_share = spec.tracker_share;
  if (!spec.rf.empty()) {
    d.rf = spec.rf;
    d.frequency = spec.frequency;
    d.rf_shape = spec.rf_shape;
  }
  // Roles.
  d.trust.resize(static_cast<std::size_t>(C));
  d.conversion.resize(static_cast<std::size_t>(C));
  for (Eigen::Index c = 0; c < C; ++c) {
    const auto i = static_cast<std::size_t>(c);
    const Role r = spec.trust_enabled ? spec.roles[i] : Role::conversion;
    d.trust[i] = r == Role::trust || r == Role::both;
    d.conversion[i] = r == Role::conversion || r == Role::both;
    if (d.trust[i] && spec.trust_enabled) sc.trust_channels.push_back(spec.channels[i]);
    if (d.conversion[i]) sc.conversion_channels.push_back(spec.channels[i]);
  }
  if (spec.trust_enabled && sc.trust_channels.empty())
    fail("the trust stock needs at least one channel with role 'trust' or 'both' (or trust_enabled = false)");
  // Baseline design.
  const Eigen::Index J = spec.controls.cols(), V = spec.events.cols();
  const Eigen::Index K = 1 + (spec.trend ? 1 : 0) + 2 * spec.seasonality + J + V;
  d.baseline.resize(T, K);
  Eigen::Index k = 0;
  d.baseline.col(k++).setOnes();
  sc.baseline_names.emplace_back("intercept");
  if (spec.trend) {
    for (Eigen::Index t = 0; t < T; ++t) d.baseline(t, k) = static_cast<double>(t) / static_cast<double>(T);
    ++k;
    sc.baseline_names.emplace_back("trend");
  }
  const double period = 365.25 / spec.period_days;
  for (int f = 1; f <= spec.seasonality; ++f) {
    for (Eigen::Index t = 0; t < T; ++t) {
      const double arg = 2.0 * std::numbers::pi * f * static_cast<double>(t) / period;
      d.baseline(t, k) = std::sin(arg);
      d.baseline(t, k + 1) = std::cos(arg);
    }
    k += 2;
    sc.baseline_names.push_back("sin_" + std::to_string(f));
    sc.baseline_names.push_back("cos_" + std::to_string(f));
  }
  sc.control_mean.resize(J);
  sc.control_sd.resize(J);
  for (Eigen::Index j = 0; j < J; ++j) {
    const double mean = spec.controls.col(j).mean();
    double sd = std::sqrt((spec.controls.col(j).array() - mean).square().mean());
    if (sd == 0.0) sd = 1.0;
    sc.control_mean[j] = mean;
    sc.control_sd[j] = sd;
    d.baseline.col(k++) = (spec.controls.col(j).array() - mean) / sd;
    sc.baseline_names.push_back(spec.control_names[static_cast<std::size_t>(j)]);
  }
  for (Eigen::Index e = 0; e < V; ++e) {
    d.baseline.col(k++) = spec.events.col(e);
    sc.baseline_names.push_back(spec.event_names[static_cast<std::size_t>(e)]);
  }
  d.shocks = spec.shocks.cols() > 0 ? spec.shocks : Matrix(T, 0);
  // Tracker, standardised over its measured periods.
  if (spec.tracker.size() != 0) {
    double sum = 0.0;
    Eigen::Index n = 0;
    for (Eigen::Index t = 0; t < T; ++t)
      if (!std::isnan(spec.tracker[t])) {
        sum += spec.tracker[t];
        ++n;
      }
    if (n < 2) fail("the tracker has ", n, " measured periods; it needs at least 2");
    const double mean = sum / static_cast<double>(n);
    double ss = 0.0;
    for (Eigen::Index t = 0; t < T; ++t)
      if (!std::isnan(spec.tracker[t])) ss += (spec.tracker[t] - mean) * (spec.tracker[t] - mean);
    double sd = std::sqrt(ss / static_cast<double>(n));
    if (sd == 0.0) sd = 1.0;
    if (spec.tracker_share) {  // the share itself, in its own units (the model checks it is in [0, 1])
      sc.tracker_mean = 0.0;
      sc.tracker_sd = sd = 1.0;
    } else {
      sc.tracker_mean = mean;
      sc.tracker_sd = sd;
    }
    d.tracker = (spec.tracker.array() - sc.tracker_mean) / sd;  // NaN stays NaN
    if (spec.tracker_n.size() != 0) {
      if (spec.tracker_n.size() != T) fail("tracker_n has ", spec.tracker_n.size(), " values, the outcome has ", T);
      d.tracker_se = Vector::Zero(T);
      for (Eigen::Index t = 0; t < T; ++t) {
        const double q = spec.tracker[t], n_t = spec.tracker_n[t];
        if (std::isnan(q)) continue;
        if (!(q >= 0.0 && q <= 1.0))
          fail("tracker: row ", t, " is ", q, "; with tracker_n the tracker must be a share in [0, 1]");
        if (!(n_t >= 1.0) || !std::isfinite(n_t))
          fail("tracker_n: row ", t, " is ", n_t, "; a measured period needs a panel size >= 1");
        const double pc = std::clamp(q, 0.5 / n_t, 1.0 - 0.5 / n_t);
        d.tracker_se[t] = std::sqrt(pc * (1.0 - pc) / n_t) / sd;
      }
    }
  }
  // Business-term priors.
  TrustModelPriors pr = spec.priors;
  if (!std::isnan(spec.trust_half_life_low) || !std::isnan(spec.trust_half_life_high)) {
    const auto [m, s] = detail::interval_to_lognormal("trust_half_life", spec.trust_half_life_low,
                                                      spec.trust_half_life_high);
    pr.half_life_median = std::exp(m);
    pr.half_life_sd_log = s;
  }
  if (!std::isnan(spec.market_growth_low) || !std::isnan(spec.market_growth_high)) {
    const bool log_link = spec.link == Link::log;
    detail::set_market_growth_prior(pr, spec.market_growth_low, spec.market_growth_high, spec.trend,
                                    static_cast<double>(T) * spec.period_days / 365.25,
                                    log_link ? 1.0 : d.y.mean() / d.outcome_scale, log_link, d.baseline.cols());
  }
  if (!spec.roi_priors.empty()) {
    const auto S = static_cast<Eigen::Index>(sc.conversion_channels.size());
    pr.roi_log_median = Vector::Constant(S, std::numeric_limits<double>::quiet_NaN());
    pr.roi_sd_log = Vector::Ones(S);
    pr.roi_scale = Vector::Ones(S);
    for (const RoiPrior& r : spec.roi_priors) {
      const auto it = std::find(sc.conversion_channels.begin(), sc.conversion_channels.end(), r.channel);
      if (it == sc.conversion_channels.end()) fail("prior 'roi' names '", r.channel, "', which is not a conversion channel");
      if (!(r.low > -1.0)) fail("prior 'roi' [", r.channel, "]: low must be > -1 (ROI -100% loses all spend), got ", r.low);
      const auto j = static_cast<Eigen::Index>(it - sc.conversion_channels.begin());
      const auto [m, s] = detail::interval_to_lognormal("roi [" + r.channel + "] (as 1 + ROI)", 1.0 + r.low, 1.0 + r.high);
      const auto c = static_cast<Eigen::Index>(std::find(spec.channels.begin(), spec.channels.end(), r.channel) -
                                               spec.channels.begin());
      const double total = spec.spend.col(c).sum();
      if (!(total > 0.0)) fail("prior 'roi' [", r.channel, "]: its spend sums to ", total, "; a ROI needs spend > 0");
      if (std::isnan(v))
        fail("prior 'roi' [", r.channel,
             "]: a ROI needs the value of one unit of outcome (value_per_outcome; 1 when the "
             "outcome is revenue)");
      pr.roi_log_median[j] = m;
      pr.roi_sd_log[j] = s;
      pr.roi_scale[j] = v * sc.y_scale / total;
    }
  }
  sc.spend = spec.spend;
  d.lift_tests = lift_calibrations(spec.lift_tests, spec.channels, sc.y_scale);  // model units (calibration.hpp)
  TrustModel model(std::move(d), pr);
  return BuiltTrustModel{std::move(spec), std::move(sc), std::move(model)};
}

}  // namespace trustmix::mmm
