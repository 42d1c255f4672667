#pragma once
// The simulated world: audience segments, channels, paid campaigns, PR activities and
// events, validated on construction. The equations are in docs/simulate.md; in short,
// with D days per period and t = 0..T-1:
//
//   Exposure (segment s, channel c): impressions I[c,t] (paid: 1000 * spend / cpm; earned:
//   sum of the outlet reach of the period's mentions; plus organic_impressions), delivered
//   to the reachable people of every segment alike, frequency f[c,t] = I[c,t] / sum_s N_s r_sc.
//   A person is reachable in a period with probability r_sc (reach[c] of the audience),
//   then sees K ~ Poisson(f) impressions (negative binomial with shape `dispersion` if > 0).
//   Each impression engages independently with probability e_sc = min(1, engagement_c *
//   affinity_sc) and is clicked with probability min(1, ctr_c * affinity_sc). Platforms
//   draw independently (random duplication: combined reach 1 - prod_c (1 - reach_c)).
//
//   Trust: each person trusts the brand (T = 1) or not (T = 0). With retention
//   r = 0.5^(D / trust_half_life_days), g0 = (1 - r) b_s, l0 = (1 - r)(1 - b_s):
//     P(0 -> 1) = 1 - (1 - g0)(1 - nu_t) exp(-u+),  P(1 -> 0) = 1 - (1 - l0)(1 - omega_t) exp(-u-)
//     u+- = sigma_s * sum_{c builds trust} trust_gain_c * max(+-S[c,t], 0) * E_c
//   S = sentiment of the channel's exposure in the period, E_c = engaged impressions,
//   nu_t = positive news, omega_t = crisis severity (softened by a PR response). Without
//   inputs the trusting share G obeys G[t] - b = r (G[t-1] - b) exactly.
//
//   Short-term ad memory (a stochastic geometric adstock): M[t] = min(m, Binomial(M[t-1],
//   alpha) + sum_{c converts} E_c), alpha = 0.5^(D / memory_half_life_days), so
//   E M[t] = alpha E M[t-1] + E[new engaged impressions] below the cap m.
//
//   Conversion in period t: P = logistic(logit(p0_s) + season[t] + gamma T + beta h(M) (1 + theta T)),
//   h a saturation curve from trustmix::transforms (h(0) = 0, h < 1), season[t] =
//   amplitude cos(2 pi (day_mid - peak_day) / 365.25).
#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trustmix/core/date.hpp"
#include "trustmix/core/domain.hpp"
#include "trustmix/core/error.hpp"
#include "trustmix/simulate/rng.hpp"
#include "trustmix/transforms/half_life.hpp"
#include "trustmix/transforms/saturation.hpp"

namespace trustmix::simulate {

/// Kinds of PR activity. They differ only in their default coverage (see presets);
/// the kind is carried into the touchpoint log and the truth tables.
enum class PrKind : std::uint8_t { press_release, interview, event, csr, official_statement };
enum class EventKind : std::uint8_t { crisis, positive_news };

namespace detail {
inline constexpr std::array<std::string_view, 5> pr_kind_names{"press_release", "interview", "event", "csr",
                                                               "official_statement"};
inline constexpr std::array<std::string_view, 2> event_kind_names{"crisis", "positive_news"};
}  // namespace detail
[[nodiscard]] inline std::string_view to_string(PrKind k) { return detail::pr_kind_names[static_cast<std::size_t>(k)]; }
[[nodiscard]] inline std::string_view to_string(EventKind k) {
  return detail::event_kind_names[static_cast<std::size_t>(k)];
}
[[nodiscard]] inline PrKind pr_kind_from_string(std::string_view s, std::string_view field = "kind") {
  return trustmix::detail::enum_from_string<PrKind>(s, detail::pr_kind_names, field);
}
[[nodiscard]] inline EventKind event_kind_from_string(std::string_view s, std::string_view field = "kind") {
  return trustmix::detail::enum_from_string<EventKind>(s, detail::event_kind_names, field);
}

/// How a channel delivers and works. Rates are probabilities per impression.
struct ChannelParams {
  Channel channel;
  double cpm = 10.0;                  ///< currency per 1000 paid impressions (> 0)
  double ctr = 0.01;                  ///< click probability per impression, [0, 1]
  double visit_rate = 0.8;            ///< probability a click becomes a site visit, [0, 1]
  double engagement = 0.1;            ///< probability an impression is noticed (moves memory/trust), [0, 1]
  double trust_gain = 0.0;            ///< trust push per engaged impression at sentiment 1 (>= 0)
  double sentiment = 1.0;             ///< sentiment of non-earned exposure, [-1, 1]
  double dispersion = 0.0;            ///< negative-binomial shape of impressions per person; 0 = Poisson
  double organic_impressions = 0.0;   ///< unpaid impressions per 7 days (>= 0)
};

/// A PR activity producing earned coverage on an (earned) channel. Mentions are Poisson,
/// each mention's outlet reach is log-normal with mean `outlet_reach` and log-sd
/// `reach_sd_log`, its sentiment Normal(sentiment, sentiment_sd) clipped to [-1, 1];
/// a mention appears on a uniformly random day of [date, date + duration_days).
struct PrActivity {
  std::string name;
  std::string channel;
  PrKind kind = PrKind::press_release;
  Date date;
  double mentions = 5.0;        ///< expected mentions (>= 0, <= 700)
  double outlet_reach = 1e5;    ///< expected people reached per mention (>= 0)
  double reach_sd_log = 0.5;    ///< log-sd of outlet reach (>= 0)
  double sentiment = 0.5;       ///< mean sentiment, [-1, 1]
  double sentiment_sd = 0.2;    ///< sd of sentiment per mention (>= 0)
  double cost = 0.0;            ///< currency, booked on `date` as the channel's spend
  int duration_days = 7;        ///< coverage window (>= 1)
};

/// A crisis (share `severity` of trusting people lose trust in the event's period) or
/// positive news (share `severity` of non-trusting people gain it). A crisis may have a
/// PR response: an activity (by name) that, unless removed, multiplies severity by
/// (1 - softening). `mentions` are earned mentions about the event (sentiment -1 for a
/// crisis, +1 for news) that enter share of voice and net sentiment.
struct WorldEvent {
  std::string name;
  EventKind kind = EventKind::crisis;
  Date date;
  double severity = 0.2;         ///< [0, 1]
  double mentions = 0.0;         ///< expected mentions (>= 0, <= 700)
  std::string response;          ///< name of a PR activity, or ""
  double softening = 0.0;        ///< [0, 1]
};

/// Everything that defines a world.
struct WorldSpec {
  Date start = Date::from_ymd(2025, 1, 6);
  std::vector<ChannelParams> channels;
  std::vector<Audience> audiences;
  std::vector<Campaign> campaigns;
  std::vector<PrActivity> pr_activities;
  std::vector<WorldEvent> events;
  std::map<std::string, double> initial_trust;   ///< audience -> trusting share at start (default baseline)
  double trust_half_life_days = 120.0;           ///< half-life of trust's return to baseline
  double trust_effect = 1.0;                     ///< gamma: logit shift when trusting
  double amplification = 1.0;                    ///< theta: SMM effect multiplier (1 + theta) when trusting
  double smm_effect = 1.0;                       ///< beta: logit shift at saturated ad memory
  double memory_half_life_days = 4.0;            ///< half-life of ad memory
  int memory_cap = 10;                           ///< m: largest ad-memory level (1..60)
  transforms::SaturationKind saturation = transforms::SaturationKind::hill;
  std::vector<double> saturation_params{2.0, 1.5};  ///< parameters of `saturation` in memory units
  double season_amplitude = 0.0;                 ///< logit amplitude of annual seasonality
  double season_peak_day = 0.0;                  ///< day of year (0..365) of the peak
  double competitor_mentions = 20.0;             ///< expected competitor mentions per 7 days
  double survey_panel_size = 1000.0;             ///< respondents per period of the trust tracker
  double short_term_lag_days = 28.0;             ///< lag L after a window still counted short-term
};

/// Which parts of the world are switched off or scaled in a (counterfactual) run.
struct Variant {
  std::vector<char> channel_off;  ///< per channel: remove its campaigns' spend, its PR mentions and organic impressions
  std::vector<char> campaign_off;  ///< per campaign
  std::vector<char> activity_off;  ///< per PR activity
  std::vector<double> spend_scale;  ///< per channel multiplier of paid spend (1 = as planned)
  /// Periods [edit_begin, edit_end] (inclusive) in which channel_off and spend_scale act; the
  /// default covers every period (the whole channel). A PR activity counts as in the window
  /// (for the crisis softening it provides and its cost) by the period of its date; its
  /// mentions by their own periods.
  int edit_begin = 0, edit_end = std::numeric_limits<int>::max();
  /// No marketing (paid spend, PR mentions and costs, organic impressions) and no events
  /// after this period: the zero-activity horizon after the data that TrustFit.roi assumes.
  int activity_end = std::numeric_limits<int>::max();
};

/// One earned mention drawn for a PR activity or event.
struct Mention {
  int period = 0;
  int source = 0;  ///< activity index, or -1 - event index for event mentions
  int channel = -1;  ///< channel index (-1 for event mentions)
  double reach = 0.0;  ///< people
  double sentiment = 0.0;  ///< [-1, 1]
};

/// Per-period media inputs of one variant (periods x channels, row-major).
struct Drive {
  int periods = 0;
  Eigen::MatrixXd spend, impressions, sentiment;  ///< T x C
  std::vector<double> severity_loss, severity_gain;  ///< T: omega_t, nu_t
  std::vector<int> first_active, last_active;  ///< per channel period range with activity (-1 if none)
};

namespace detail {
[[nodiscard]] inline std::string_view sat_name_list() { return "hill, logistic, michaelis_menten, tanh"; }
}  // namespace detail

[[nodiscard]] inline transforms::SaturationKind saturation_from_string(std::string_view s) {
  for (auto k : {transforms::SaturationKind::hill, transforms::SaturationKind::logistic,
                 transforms::SaturationKind::michaelis_menten, transforms::SaturationKind::tanh})
    if (transforms::to_string(k) == s) return k;
  fail("saturation must be one of {", detail::sat_name_list(), "}, got '", s, "'");
}

/// A validated world with its coverage draws (which depend on the seed only).
class World {
 public:
  World(WorldSpec spec, std::uint64_t seed) : spec_(std::move(spec)), seed_(seed) {
    validate();
    draw_coverage();
  }
  /// A world whose PR activities on the channels named in `national_channels` draw their
  /// coverage from `national_seed` instead of `seed` (everything else from `seed`): the
  /// regions of a geo panel (geo_panel.hpp) built with one national_seed share the national
  /// channels' mentions (count, days, sentiment, and reach up to the region's scale of
  /// outlet_reach). With no national channel this is World(spec, seed).
  World(WorldSpec spec, std::uint64_t seed, std::uint64_t national_seed, const std::vector<std::string>& national_channels)
      : spec_(std::move(spec)), seed_(seed), national_seed_(national_seed) {
    validate();
    for (const auto& c : national_channels) national_channels_.push_back(plan_.channel_position(c));
    draw_coverage();
  }

  [[nodiscard]] const WorldSpec& spec() const { return spec_; }
  [[nodiscard]] const Plan& plan() const { return plan_; }
  [[nodiscard]] std::uint64_t seed() const { return seed_; }
  [[nodiscard]] int channels() const { return static_cast<int>(spec_.channels.size()); }
  [[nodiscard]] int segments() const { return static_cast<int>(spec_.audiences.size()); }
  [[nodiscard]] const std::vector<Mention>& mentions() const { return mentions_; }
  [[nodiscard]] int channel_index(std::string_view name) const { return static_cast<int>(plan_.channel_position(name)); }

  /// The variant that changes nothing.
  [[nodiscard]] Variant baseline_variant() const {
    Variant v;
    v.channel_off.assign(spec_.channels.size(), 0);
    v.campaign_off.assign(spec_.campaigns.size(), 0);
    v.activity_off.assign(spec_.pr_activities.size(), 0);
    v.spend_scale.assign(spec_.channels.size(), 1.0);
    return v;
  }
  void check_variant(const Variant& v) const {
    if (v.channel_off.size() != spec_.channels.size() || v.spend_scale.size() != spec_.channels.size() ||
        v.campaign_off.size() != spec_.campaigns.size() || v.activity_off.size() != spec_.pr_activities.size())
      fail("variant sizes must match the world (channels ", spec_.channels.size(), ", campaigns ", spec_.campaigns.size(),
           ", activities ", spec_.pr_activities.size(), ")");
    for (std::size_t c = 0; c < v.spend_scale.size(); ++c)
      trustmix::detail::require_non_negative(v.spend_scale[c], "spend_scale['" + spec_.channels[c].channel.name + "']");
  }

  [[nodiscard]] int period_of(Date d, int period_days) const {
    const int off = d - spec_.start;
    return off < 0 ? -1 : off / period_days;
  }

  /// Campaign spend per period (T x campaigns): budget/days on each day, or the schedule.
  [[nodiscard]] Eigen::MatrixXd campaign_spend(int periods, int period_days) const {
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(periods, static_cast<Eigen::Index>(spec_.campaigns.size()));
    for (std::size_t k = 0; k < spec_.campaigns.size(); ++k) {
      const auto& c = spec_.campaigns[k];
      auto add = [&](Date d, double a) {
        const int t = period_of(d, period_days);
        if (t >= 0 && t < periods) out(t, static_cast<Eigen::Index>(k)) += a;
      };
      if (c.schedule.empty())
        for (int d = 0; d < c.days(); ++d) add(c.start + d, c.budget / c.days());
      else
        for (const auto& e : c.schedule) add(e.date, e.amount);
    }
    return out;
  }

  /// Media inputs of a variant: spend (campaigns + PR costs), impressions and sentiment
  /// per channel and period, crisis/news severities per period.
  [[nodiscard]] Drive drive(const Variant& v, int periods, int period_days) const {
    check_variant(v);
    const auto C = static_cast<Eigen::Index>(spec_.channels.size());
    Drive d;
    d.periods = periods;
    d.spend = Eigen::MatrixXd::Zero(periods, C);
    d.impressions = Eigen::MatrixXd::Zero(periods, C);
    d.sentiment = Eigen::MatrixXd::Zero(periods, C);
    Eigen::MatrixXd sent_weight = Eigen::MatrixXd::Zero(periods, C);
    const Eigen::MatrixXd camp = campaign_spend(periods, period_days);
    for (std::size_t k = 0; k < spec_.campaigns.size(); ++k) {
      const auto c = static_cast<Eigen::Index>(plan_.channel_position(spec_.campaigns[k].channel));
      if (v.campaign_off[k]) continue;
      const auto& p = spec_.channels[static_cast<std::size_t>(c)];
      for (int t = 0; t < periods; ++t) {
        if (!channel_on(v, static_cast<std::size_t>(c), t)) continue;
        const double s = camp(t, static_cast<Eigen::Index>(k)) * spend_scale_at(v, static_cast<std::size_t>(c), t);
        d.spend(t, c) += s;
        d.impressions(t, c) += 1000.0 * s / p.cpm;
      }
    }
    for (Eigen::Index c = 0; c < C; ++c) {
      const auto& p = spec_.channels[static_cast<std::size_t>(c)];
      for (int t = 0; t < periods; ++t) {
        if (channel_on(v, static_cast<std::size_t>(c), t)) d.impressions(t, c) += p.organic_impressions * period_days / 7.0;
        d.sentiment(t, c) = p.sentiment * d.impressions(t, c);
        sent_weight(t, c) = d.impressions(t, c);
      }
    }
    for (std::size_t a = 0; a < spec_.pr_activities.size(); ++a) {
      const auto& act = spec_.pr_activities[a];
      const int t = period_of(act.date, period_days);
      if (!activity_on(v, a, t)) continue;
      const auto c = static_cast<Eigen::Index>(plan_.channel_position(act.channel));
      if (t >= 0 && t < periods) d.spend(t, c) += act.cost;
    }
    for (const auto& m : mentions_) {
      const int t = m.period / period_days;  // mentions_ hold day offsets
      if (m.source < 0 || t >= periods || !activity_on(v, static_cast<std::size_t>(m.source), t)) continue;
      d.impressions(t, m.channel) += m.reach;
      d.sentiment(t, m.channel) += m.sentiment * m.reach;
      sent_weight(t, m.channel) += m.reach;
    }
    for (int t = 0; t < periods; ++t)
      for (Eigen::Index c = 0; c < C; ++c)
        d.sentiment(t, c) = sent_weight(t, c) > 0.0 ? d.sentiment(t, c) / sent_weight(t, c) : 0.0;
    d.severity_loss.assign(static_cast<std::size_t>(periods), 0.0);
    d.severity_gain.assign(static_cast<std::size_t>(periods), 0.0);
    for (const auto& e : spec_.events) {
      const int t = period_of(e.date, period_days);
      if (t < 0 || t >= periods || t > v.activity_end) continue;
      double sev = e.severity;
      if (e.kind == EventKind::crisis && !e.response.empty() && response_on(v, activity_index(e.response), period_days))
        sev *= 1.0 - e.softening;
      auto& slot = e.kind == EventKind::crisis ? d.severity_loss : d.severity_gain;
      slot[static_cast<std::size_t>(t)] = 1.0 - (1.0 - slot[static_cast<std::size_t>(t)]) * (1.0 - sev);
    }
    d.first_active.assign(static_cast<std::size_t>(C), -1);
    d.last_active.assign(static_cast<std::size_t>(C), -1);
    for (Eigen::Index c = 0; c < C; ++c)
      for (int t = 0; t < periods; ++t)
        if (d.impressions(t, c) > 0.0 || d.spend(t, c) > 0.0) {
          auto& f = d.first_active[static_cast<std::size_t>(c)];
          if (f < 0) f = t;
          d.last_active[static_cast<std::size_t>(c)] = t;
        }
    return d;
  }

  [[nodiscard]] std::size_t activity_index(std::string_view name) const {
    auto it = activity_index_.find(std::string(name));
    if (it == activity_index_.end()) fail("no PR activity named '", name, "'");
    return it->second;
  }
  /// Whether channel c's activity in period t is present in variant v.
  [[nodiscard]] static bool channel_on(const Variant& v, std::size_t c, int t) {
    return t <= v.activity_end && !(v.channel_off[c] && t >= v.edit_begin && t <= v.edit_end);
  }
  /// Paid-spend multiplier of channel c in period t (spend_scale inside the edit window).
  [[nodiscard]] static double spend_scale_at(const Variant& v, std::size_t c, int t) {
    return t >= v.edit_begin && t <= v.edit_end ? v.spend_scale[c] : 1.0;
  }
  /// Whether PR activity a's coverage in period t is present in variant v.
  [[nodiscard]] bool activity_on(const Variant& v, std::size_t a, int t) const {
    const auto c = plan_.channel_position(spec_.pr_activities[a].channel);
    return !v.activity_off[a] && channel_on(v, c, t);
  }
  /// Whether a crisis response (PR activity a) is present: by the period of its date.
  [[nodiscard]] bool response_on(const Variant& v, std::size_t a, int period_days) const {
    return activity_on(v, a, std::max(0, period_of(spec_.pr_activities[a].date, period_days)));
  }

  /// Ad-memory retention per period: 0.5^(D / memory_half_life_days).
  [[nodiscard]] double memory_retention(int period_days) const {
    return transforms::rate_from_half_life(spec_.memory_half_life_days / period_days);
  }
  /// Trust retention per period r: 0.5^(D / trust_half_life_days).
  [[nodiscard]] double trust_retention(int period_days) const {
    return transforms::rate_from_half_life(spec_.trust_half_life_days / period_days);
  }
  /// h(M) for M = 0..m from the chosen transforms:: saturation curve.
  [[nodiscard]] std::vector<double> memory_response() const {
    const int m = spec_.memory_cap;
    transforms::RowMatrix x(m + 1, 1);
    for (int k = 0; k <= m; ++k) x(k, 0) = k;
    std::vector<Eigen::VectorXd> params;
    params.reserve(spec_.saturation_params.size());
    for (double p : spec_.saturation_params) params.emplace_back(Eigen::VectorXd::Constant(1, p));
    const auto r = transforms::saturate(x, spec_.saturation, params);
    std::vector<double> h(static_cast<std::size_t>(m + 1));
    for (int k = 0; k <= m; ++k) h[static_cast<std::size_t>(k)] = r.values(k, 0);
    return h;
  }

 private:
  void validate() {
    std::vector<Channel> chans;
    for (const auto& p : spec_.channels) {
      const std::string who = "channel '" + p.channel.name + "': ";
      trustmix::detail::require_positive(p.cpm, who + "cpm");
      trustmix::detail::require_in_range(p.ctr, who + "ctr", 0.0, 1.0, false, false);
      trustmix::detail::require_in_range(p.visit_rate, who + "visit_rate", 0.0, 1.0, false, false);
      trustmix::detail::require_in_range(p.engagement, who + "engagement", 0.0, 1.0, false, false);
      trustmix::detail::require_non_negative(p.trust_gain, who + "trust_gain");
      trustmix::detail::require_in_range(p.sentiment, who + "sentiment", -1.0, 1.0, false, false);
      trustmix::detail::require_non_negative(p.dispersion, who + "dispersion");
      trustmix::detail::require_non_negative(p.organic_impressions, who + "organic_impressions");
      chans.push_back(p.channel);
    }
    plan_ = Plan(std::move(chans), spec_.campaigns, spec_.audiences);  // unknown channels, duplicates
    for (std::size_t a = 0; a < spec_.pr_activities.size(); ++a) {
      const auto& act = spec_.pr_activities[a];
      trustmix::detail::require_name(act.name, "PrActivity");
      const std::string who = "PR activity '" + act.name + "': ";
      if (activity_index_.contains(act.name)) fail("duplicate PR activity name '", act.name, "'");
      activity_index_.emplace(act.name, a);
      if (act.channel.empty()) fail(who, "channel must be a channel name");
      try {
        (void)plan_.channel(act.channel);
      } catch (const std::invalid_argument&) {
        fail(who, "unknown channel '", act.channel, "'");
      }
      trustmix::detail::require_in_range(act.mentions, who + "mentions", 0.0, 700.0, false, false);
      trustmix::detail::require_non_negative(act.outlet_reach, who + "outlet_reach");
      trustmix::detail::require_non_negative(act.reach_sd_log, who + "reach_sd_log");
      trustmix::detail::require_in_range(act.sentiment, who + "sentiment", -1.0, 1.0, false, false);
      trustmix::detail::require_non_negative(act.sentiment_sd, who + "sentiment_sd");
      trustmix::detail::require_non_negative(act.cost, who + "cost");
      if (act.duration_days < 1) fail(who, "duration_days must be >= 1, got ", act.duration_days);
    }
    for (const auto& e : spec_.events) {
      trustmix::detail::require_name(e.name, "WorldEvent");
      const std::string who = "event '" + e.name + "': ";
      trustmix::detail::require_in_range(e.severity, who + "severity", 0.0, 1.0, false, false);
      trustmix::detail::require_in_range(e.mentions, who + "mentions", 0.0, 700.0, false, false);
      trustmix::detail::require_in_range(e.softening, who + "softening", 0.0, 1.0, false, false);
      if (!e.response.empty() && !activity_index_.contains(e.response))
        fail(who, "response names unknown PR activity '", e.response, "'");
    }
    for (const auto& [name, v] : spec_.initial_trust) {
      (void)plan_.audience(name);
      trustmix::detail::require_in_range(v, "initial_trust['" + name + "']", 0.0, 1.0, false, false);
    }
    trustmix::detail::require_positive(spec_.trust_half_life_days, "trust_half_life_days");
    trustmix::detail::require_finite(spec_.trust_effect, "trust_effect");
    trustmix::detail::require_non_negative(spec_.amplification, "amplification");
    trustmix::detail::require_finite(spec_.smm_effect, "smm_effect");
    trustmix::detail::require_positive(spec_.memory_half_life_days, "memory_half_life_days");
    if (spec_.memory_cap < 1 || spec_.memory_cap > 60) fail("memory_cap must be in [1, 60], got ", spec_.memory_cap);
    trustmix::detail::require_finite(spec_.season_amplitude, "season_amplitude");
    trustmix::detail::require_finite(spec_.season_peak_day, "season_peak_day");
    trustmix::detail::require_non_negative(spec_.competitor_mentions, "competitor_mentions");
    trustmix::detail::require_non_negative(spec_.survey_panel_size, "survey_panel_size");
    trustmix::detail::require_non_negative(spec_.short_term_lag_days, "short_term_lag_days");
    (void)memory_response();  // validates the saturation parameters
    for (const auto& a : spec_.audiences)
      if (a.size != std::floor(a.size) || a.size > 9e15)
        fail("Audience '", a.name, "': size must be a whole number of people <= 9e15, got ", a.size);
  }

  // Coverage is drawn once from the seed with every mention keyed by (activity, index), so
  // every run and counterfactual of this world sees the same coverage.
  void draw_coverage() {
    for (std::size_t a = 0; a < spec_.pr_activities.size(); ++a) {
      const auto& act = spec_.pr_activities[a];
      const auto ch = plan_.channel_position(act.channel);
      const bool national = std::find(national_channels_.begin(), national_channels_.end(), ch) != national_channels_.end();
      const CounterStream s = stream(national ? national_seed_ : seed_, Domain::coverage, a, 0);
      const long n = poisson_by_inversion(act.mentions, s.uniform(0));
      const double mu_log = std::log(std::max(act.outlet_reach, 1e-300)) - 0.5 * act.reach_sd_log * act.reach_sd_log;
      for (long i = 0; i < n; ++i) {
        const CounterStream m = s.child(static_cast<std::uint64_t>(i));
        Mention x;
        const int day = static_cast<int>(m.uniform(0) * act.duration_days);
        x.period = day_to_period(act.date + day);
        x.source = static_cast<int>(a);
        x.channel = static_cast<int>(plan_.channel_position(act.channel));
        x.reach = act.outlet_reach > 0.0
                      ? std::exp(mu_log + act.reach_sd_log * normal_from_uniforms(m.uniform(1), m.uniform(2)))
                      : 0.0;
        x.sentiment = std::clamp(act.sentiment + act.sentiment_sd * normal_from_uniforms(m.uniform(3), m.uniform(4)), -1.0,
                                 1.0);
        if (x.period >= 0) mentions_.push_back(x);
      }
    }
    for (std::size_t e = 0; e < spec_.events.size(); ++e) {
      const auto& ev = spec_.events[e];
      const CounterStream s = stream(seed_, Domain::coverage, (1ULL << 40) + e, 0);
      const long n = poisson_by_inversion(ev.mentions, s.uniform(0));
      for (long i = 0; i < n; ++i) {
        Mention x;
        x.period = day_to_period(ev.date + static_cast<int>(s.child(static_cast<std::uint64_t>(i)).uniform(0) * 7));
        x.source = -1 - static_cast<int>(e);
        x.sentiment = ev.kind == EventKind::crisis ? -1.0 : 1.0;
        if (x.period >= 0) mentions_.push_back(x);
      }
    }
  }
  // Mentions store the day offset; periods are assigned per run by period_days.
  [[nodiscard]] int day_to_period(Date d) const { return d - spec_.start; }

 public:
  /// Mentions with `period` converted from day offsets to periods of `period_days`.
  [[nodiscard]] std::vector<Mention> mentions_by_period(int period_days) const {
    std::vector<Mention> out = mentions_;
    for (auto& m : out) m.period /= period_days;
    return out;
  }

 private:
  WorldSpec spec_;
  std::uint64_t seed_;
  std::uint64_t national_seed_ = 0;
  std::vector<std::size_t> national_channels_;  // channel positions whose coverage uses national_seed_
  Plan plan_;
  std::vector<Mention> mentions_;  // period field holds the day offset from start
  std::unordered_map<std::string, std::size_t> activity_index_;
};

}  // namespace trustmix::simulate
