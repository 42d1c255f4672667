#pragma once
// The domain model: channels, campaigns, audience segments and the Plan that holds them.
// Plain, validated value types: every constructor checks its fields and throws
// std::invalid_argument naming the field and the offending value.
#include <Eigen/Core>

#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trustmix/core/date.hpp"
#include "trustmix/core/error.hpp"
#include "trustmix/core/resources.hpp"

namespace trustmix {

/// PESO model of media: paid, earned, shared (social), owned.
enum class Peso : std::uint8_t { paid, earned, shared, owned };
/// What a channel does in the trust-linked model (MODEL.md): feeds the trust stock,
/// converts in the short term, or both.
enum class Role : std::uint8_t { trust, conversion, both };
/// What a campaign is for.
enum class Objective : std::uint8_t { awareness, trust, engagement, conversion };

namespace detail {
template <class E, std::size_t N>
E enum_from_string(std::string_view text, const std::array<std::string_view, N>& names, std::string_view field) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == text) return static_cast<E>(i);
  std::string allowed;
  for (std::size_t i = 0; i < N; ++i) allowed += (i ? ", " : "") + std::string(names[i]);
  fail(field, " must be one of {", allowed, "}, got '", text, "'");
}
inline constexpr std::array<std::string_view, 4> peso_names{"paid", "earned", "shared", "owned"};
inline constexpr std::array<std::string_view, 3> role_names{"trust", "conversion", "both"};
inline constexpr std::array<std::string_view, 4> objective_names{"awareness", "trust", "engagement", "conversion"};
inline void require_name(std::string_view name, std::string_view what) {
  if (name.empty()) fail(what, ".name must be a non-empty string");
}
}  // namespace detail

[[nodiscard]] inline std::string_view to_string(Peso p) { return detail::peso_names[static_cast<std::size_t>(p)]; }
[[nodiscard]] inline std::string_view to_string(Role r) { return detail::role_names[static_cast<std::size_t>(r)]; }
[[nodiscard]] inline std::string_view to_string(Objective o) { return detail::objective_names[static_cast<std::size_t>(o)]; }
[[nodiscard]] inline Peso peso_from_string(std::string_view s, std::string_view field = "peso") {
  return detail::enum_from_string<Peso>(s, detail::peso_names, field);
}
[[nodiscard]] inline Role role_from_string(std::string_view s, std::string_view field = "role") {
  return detail::enum_from_string<Role>(s, detail::role_names, field);
}
[[nodiscard]] inline Objective objective_from_string(std::string_view s, std::string_view field = "objective") {
  return detail::enum_from_string<Objective>(s, detail::objective_names, field);
}

using Metadata = std::map<std::string, std::string>;

/// A communication channel (press, instagram, events, search, ...).
struct Channel {
  std::string name;
  Peso peso = Peso::paid;
  Role role = Role::conversion;
  std::string platform;  ///< optional: instagram, tiktok, youtube, linkedin, press, tv, ...; "" if unset
  Metadata metadata;

  Channel() = default;
  Channel(std::string name_, Peso peso_, Role role_, std::string platform_ = {}, Metadata metadata_ = {})
      : name(std::move(name_)), peso(peso_), role(role_), platform(std::move(platform_)), metadata(std::move(metadata_)) {
    detail::require_name(name, "Channel");
  }
  /// True if the channel feeds the trust stock (role trust or both).
  [[nodiscard]] bool builds_trust() const { return role != Role::conversion; }
  /// True if the channel has a short-term conversion effect (role conversion or both).
  [[nodiscard]] bool converts() const { return role != Role::trust; }
  friend bool operator==(const Channel&, const Channel&) = default;
};

/// One dated amount of a campaign's schedule: `amount` (currency) spent in the period
/// that starts on `date`.
struct ScheduleEntry {
  Date date;
  double amount = 0.0;
  friend bool operator==(const ScheduleEntry&, const ScheduleEntry&) = default;
};

/// A campaign on one channel between two dates (inclusive) with a budget (currency).
/// Without a schedule the budget is spread evenly over the days start..end; with one,
/// the schedule's amounts must lie inside the dates, increase strictly in date, and sum
/// to the budget (relative tolerance 1e-9).
struct Campaign {
  std::string name;
  std::string channel;
  Objective objective = Objective::conversion;
  Date start;
  Date end;
  double budget = 0.0;
  std::vector<ScheduleEntry> schedule;

  Campaign() = default;
  Campaign(std::string name_, std::string channel_, Objective objective_, Date start_, Date end_, double budget_,
           std::vector<ScheduleEntry> schedule_ = {})
      : name(std::move(name_)), channel(std::move(channel_)), objective(objective_), start(start_), end(end_),
        budget(budget_), schedule(std::move(schedule_)) {
    detail::require_name(name, "Campaign");
    if (channel.empty()) fail("Campaign '", name, "': channel must be a non-empty channel name");
    if (end < start) fail("Campaign '", name, "': end (", end.iso(), ") is before start (", start.iso(), ")");
    detail::require_non_negative(budget, "Campaign '" + name + "': budget");
    double total = 0.0;
    for (std::size_t i = 0; i < schedule.size(); ++i) {
      const auto& e = schedule[i];
      const std::string where = "Campaign '" + name + "': schedule[" + std::to_string(i) + "]";
      detail::require_non_negative(e.amount, where + ".amount");
      if (e.date < start || e.date > end)
        fail(where, ".date ", e.date.iso(), " is outside the campaign's dates ", start.iso(), "..", end.iso());
      if (i > 0 && !(schedule[i - 1].date < e.date))
        fail(where, ".date ", e.date.iso(), " does not come after the previous entry's date");
      total += e.amount;
    }
    if (!schedule.empty() && std::abs(total - budget) > 1e-9 * std::max(1.0, budget))
      fail("Campaign '", name, "': schedule amounts sum to ", total, " but budget is ", budget);
  }
  /// Length in days, both ends included.
  [[nodiscard]] int days() const { return end - start + 1; }
  friend bool operator==(const Campaign&, const Campaign&) = default;
};

/// An audience segment or persona.
struct Audience {
  std::string name;
  double size = 0.0;                    ///< people
  double baseline_trust = 0.5;          ///< share of the segment that trusts the brand, in [0, 1]
  double trust_sensitivity = 1.0;       ///< how strongly trust responds to PR exposure (>= 0, 1 = average)
  double base_conversion_rate = 0.0;    ///< conversions per person per period without media, in [0, 1]
  double value_per_conversion = 0.0;    ///< currency per conversion, >= 0
  std::map<std::string, double> reach;     ///< channel -> share of the segment the channel can reach, [0, 1]
  std::map<std::string, double> affinity;  ///< channel -> relative responsiveness (>= 0, 1 = average)
  Metadata tags;                           ///< demographics / psychographics

  Audience() = default;
  Audience(std::string name_, double size_, double baseline_trust_ = 0.5, std::map<std::string, double> reach_ = {},
           std::map<std::string, double> affinity_ = {}, Metadata tags_ = {}, double trust_sensitivity_ = 1.0,
           double base_conversion_rate_ = 0.0, double value_per_conversion_ = 0.0)
      : name(std::move(name_)), size(size_), baseline_trust(baseline_trust_), trust_sensitivity(trust_sensitivity_),
        base_conversion_rate(base_conversion_rate_), value_per_conversion(value_per_conversion_), reach(std::move(reach_)),
        affinity(std::move(affinity_)), tags(std::move(tags_)) {
    detail::require_name(name, "Audience");
    const std::string who = "Audience '" + name + "': ";
    detail::require_non_negative(size, who + "size");
    detail::require_in_range(baseline_trust, who + "baseline_trust", 0.0, 1.0, false, false);
    detail::require_non_negative(trust_sensitivity, who + "trust_sensitivity");
    detail::require_in_range(base_conversion_rate, who + "base_conversion_rate", 0.0, 1.0, false, false);
    detail::require_non_negative(value_per_conversion, who + "value_per_conversion");
    auto keyed = [&who](std::string_view field, const std::string& key) {  // "Audience 'x': reach['tv']"
      std::string label = who;
      label.append(field).append("['").append(key).append("']");
      return label;
    };
    for (const auto& [ch, r] : reach) detail::require_in_range(r, keyed("reach", ch), 0.0, 1.0, false, false);
    for (const auto& [ch, a] : affinity) detail::require_non_negative(a, keyed("affinity", ch));
  }
  friend bool operator==(const Audience&, const Audience&) = default;
};

/// Channels, campaigns and audiences with lookups by name. Invariants: names are unique
/// within each kind; every campaign's channel and every audience's reach/affinity key
/// is a channel of the plan.
class Plan {
 public:
  Plan() = default;
  Plan(std::vector<Channel> channels, std::vector<Campaign> campaigns, std::vector<Audience> audiences) {
    for (auto& c : channels) add_channel(std::move(c));
    for (auto& c : campaigns) add_campaign(std::move(c));
    for (auto& a : audiences) add_audience(std::move(a));
  }

  void add_channel(Channel c) {
    detail::require_name(c.name, "Channel");
    if (channel_index_.contains(c.name)) fail("duplicate channel name '", c.name, "'");
    channel_index_.emplace(c.name, channels_.size());
    channels_.push_back(std::move(c));
  }
  void add_campaign(Campaign c) {
    detail::require_name(c.name, "Campaign");
    if (campaign_index_.contains(c.name)) fail("duplicate campaign name '", c.name, "'");
    if (!channel_index_.contains(c.channel))
      fail("Campaign '", c.name, "': unknown channel '", c.channel, "' (plan channels: ", channel_list(), ")");
    campaign_index_.emplace(c.name, campaigns_.size());
    campaigns_.push_back(std::move(c));
  }
  void add_audience(Audience a) {
    detail::require_name(a.name, "Audience");
    if (audience_index_.contains(a.name)) fail("duplicate audience name '", a.name, "'");
    for (const auto* m : {&a.reach, &a.affinity})
      for (const auto& [ch, v] : *m) {
        (void)v;
        if (!channel_index_.contains(ch))
          fail("Audience '", a.name, "': unknown channel '", ch, "' (plan channels: ", channel_list(), ")");
      }
    audience_index_.emplace(a.name, audiences_.size());
    audiences_.push_back(std::move(a));
  }

  [[nodiscard]] const std::vector<Channel>& channels() const { return channels_; }
  [[nodiscard]] const std::vector<Campaign>& campaigns() const { return campaigns_; }
  [[nodiscard]] const std::vector<Audience>& audiences() const { return audiences_; }

  [[nodiscard]] const Channel& channel(std::string_view name) const {
    return channels_[lookup(channel_index_, name, "channel")];
  }
  [[nodiscard]] const Campaign& campaign(std::string_view name) const {
    return campaigns_[lookup(campaign_index_, name, "campaign")];
  }
  [[nodiscard]] const Audience& audience(std::string_view name) const {
    return audiences_[lookup(audience_index_, name, "audience")];
  }
  [[nodiscard]] std::size_t channel_position(std::string_view name) const { return lookup(channel_index_, name, "channel"); }

  /// Spend per period and channel: a (periods x channels) matrix, columns in the plan's
  /// channel order, row t covering days [first + t*period_days, first + (t+1)*period_days).
  /// Unscheduled campaigns spend budget/days() on each of their days; scheduled ones
  /// spend each entry's amount on its date. Spend outside the window is not included
  /// (compare with total_budget() to see how much the window covers).
  [[nodiscard]] Eigen::MatrixXd spend_matrix(Date first, int periods, int period_days = 7) const {
    if (periods < 0) fail("periods must be >= 0, got ", periods);
    if (period_days < 1) fail("period_days must be >= 1, got ", period_days);
    require_memory(8.0 * static_cast<double>(periods) * static_cast<double>(channels_.size()),
                   format_message("a spend matrix of ", periods, " periods x ", channels_.size(), " channels"),
                   "ask for fewer periods (the plan's campaigns end on their end dates)");
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(periods, static_cast<Eigen::Index>(channels_.size()));
    auto add = [&](Date d, Eigen::Index col, double amount) {
      const int offset = d - first;
      if (offset < 0) return;
      const int row = offset / period_days;
      if (row < periods) out(row, col) += amount;
    };
    for (const auto& c : campaigns_) {
      const auto col = static_cast<Eigen::Index>(channel_index_.at(c.channel));
      if (c.schedule.empty()) {
        const double daily = c.budget / c.days();
        for (int d = 0; d < c.days(); ++d) add(c.start + d, col, daily);
      } else {
        for (const auto& e : c.schedule) add(e.date, col, e.amount);
      }
    }
    return out;
  }
  /// Sum of all campaign budgets (currency).
  [[nodiscard]] double total_budget() const {
    double s = 0.0;
    for (const auto& c : campaigns_) s += c.budget;
    return s;
  }

  friend bool operator==(const Plan& a, const Plan& b) {
    return a.channels_ == b.channels_ && a.campaigns_ == b.campaigns_ && a.audiences_ == b.audiences_;
  }

 private:
  using Index = std::unordered_map<std::string, std::size_t>;
  static std::size_t lookup(const Index& idx, std::string_view name, std::string_view kind) {
    auto it = idx.find(std::string(name));
    if (it == idx.end()) fail("no ", kind, " named '", name, "' in the plan");
    return it->second;
  }
  [[nodiscard]] std::string channel_list() const {
    std::string s;
    for (std::size_t i = 0; i < channels_.size(); ++i) s += (i ? ", " : "") + channels_[i].name;
    return s.empty() ? "none" : s;
  }
  std::vector<Channel> channels_;
  std::vector<Campaign> campaigns_;
  std::vector<Audience> audiences_;
  Index channel_index_, campaign_index_, audience_index_;
};

}  // namespace trustmix
