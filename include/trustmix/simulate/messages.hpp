#pragma once
// Message variants in the simulated world, and message tests run live on its people
// (issue 16, docs/simulate.md "Message tests").
//
// A campaign runs K message variants (framings, creatives). Variant v has an appeal a_{v,s}
// for persona (segment) s: a logit shift of the conversion probability of a person who
// sees it. In period t the test enrols people of segment s reached by the campaign,
//
//   users_{t,s} ~ Binomial(N_s, e r_{s,c} (1 - G_c(w_t f_{t,c}; 0))),
//
// with N_s the segment's size, e the enrolment share, r_{s,c} the reach of the campaign's
// channel c, f_{t,c} its frequency, w_t the campaign's share of the channel's impressions
// and G_c the probability generating function of impressions per reachable person
// (Poisson, or negative binomial with the channel's dispersion; thinning keeps the family),
// so users are the people with at least one impression of the campaign. An enrolled user
// is a random member of the segment: trusting with the world's trusting share g_{t,s} and
// with ad memory M in the world's proportions (the exact chain of engine.hpp), and converts
// in the period with probability
//
//   q_{t,s,v} = sum_{T,M} n_{t,s}(T, M) logistic(eta_{t,s}(T, M) + a_{v,s}) / N_s,
//
// eta the world's linear predictor (trust, ad memory, season; world.hpp). Messages change
// who converts among the enrolled users only, not reach, trust or memory (the world's own
// trajectories and panel are those of World runs). The allocation of period t's users to
// variants is fixed (an A/B/n test) or decided by a bandit from the data of periods < t;
// users are split by a multinomial draw and conversions drawn per trust state,
// Binomial(users_T, q_T), with counter-based random numbers keyed by (seed, stream,
// period, segment, variant): the same numbers on every thread count and platform whose
// standard library draws the same binomials (rng.hpp).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "trustmix/core/error.hpp"
#include "trustmix/experiments/bandit.hpp"
#include "trustmix/simulate/engine.hpp"
#include "trustmix/simulate/rng.hpp"
#include "trustmix/simulate/world.hpp"

namespace trustmix::simulate {

/// One message variant: its name and appeal per audience (logit shift of the conversion
/// probability of a person who sees it; audiences not named get 0).
struct MessageVariant {
  std::string name;
  std::map<std::string, double> appeal;
};

/// The variants a campaign runs.
struct MessageSpec {
  std::string campaign;                   ///< the campaign whose reached people see the messages
  std::vector<MessageVariant> variants;   ///< at least 2, unique names
  double enrolment = 1.0;                 ///< share of reached people in the test, (0, 1]
};

/// How traffic is split: a fixed A/B/n test or a bandit.
enum class MessageDesign { ab, bandit };

/// Settings of a live message test.
struct MessageTestOptions {
  int periods = 8;          ///< periods of the world simulated (the test runs in [first_period, periods))
  int period_days = 7;
  int first_period = 0;     ///< first period of the test
  MessageDesign design = MessageDesign::ab;
  std::vector<double> weights;                 ///< A/B/n planned shares (empty: equal)
  experiments::BanditConfig bandit;            ///< policy, floor, priors, pooling (Bernoulli rewards)
  bool by_persona = true;   ///< bandit: one allocation per persona (pooled priors) or one for all
  std::uint64_t stream = 0; ///< random-number stream (different tests on the same world)
  /// Cost per enrolled user by variant (empty: 0) and a total budget (infinite: none).
  /// Pacing: each period may spend (budget - spent) / (test periods left); when the
  /// period's enrolled users would cost more in expectation (sum_s users_s sum_v share_v
  /// cost_v), each segment's users are thinned by the same binomial fraction.
  std::vector<double> costs;
  double budget = std::numeric_limits<double>::infinity();
};

/// A live message test. Arrays of test periods x segments x variants are indexed
/// [(t * S + s) * V + v] with t counted from first_period.
struct MessageTestRun {
  int periods = 0, first_period = 0, segments = 0, variants = 0;
  std::vector<double> users, conversions;                ///< realised
  std::vector<double> trusting_users, trusting_conversions;  ///< realised, among trusting users
  std::vector<double> shares;                            ///< planned share of the period's users
  std::vector<double> true_rate;                         ///< q_{t,s,v}: conversion probability per user
  std::vector<double> trusting_share;                    ///< T x S: g_{t,s}
  std::vector<double> rate_trusting, rate_untrusting;    ///< T x S x V: q given trust state
  std::vector<double> regret;                            ///< T: cumulative sum users (max_v q - q_v)
  std::vector<double> spend;                             ///< T: cost of the period's users
};

namespace detail {

/// Index of the campaign named `name` (fails naming the campaigns there are).
inline std::size_t campaign_index(const World& world, const std::string& name) {
  const auto& cs = world.spec().campaigns;
  for (std::size_t k = 0; k < cs.size(); ++k)
    if (cs[k].name == name) return k;
  std::string known;
  for (const auto& c : cs) known += (known.empty() ? "" : ", ") + c.name;
  fail("message test: no campaign named '", name, "' (campaigns: ", known.empty() ? "none" : known, ")");
}

/// Appeal matrix S x V from the spec, validated.
inline std::vector<double> appeal_matrix(const World& world, const MessageSpec& spec) {
  const auto& aud = world.spec().audiences;
  const std::size_t V = spec.variants.size();
  if (V < 2) fail("message test: need at least 2 variants, got ", V);
  std::set<std::string> names;
  for (const auto& v : spec.variants) {
    if (v.name.empty()) fail("message test: a variant has an empty name");
    if (!names.insert(v.name).second) fail("message test: variant '", v.name, "' is given twice");
  }
  trustmix::detail::require_in_range(spec.enrolment, "enrolment", 0.0, 1.0, true, false);
  std::vector<double> a(aud.size() * V, 0.0);
  for (std::size_t v = 0; v < V; ++v)
    for (const auto& [who, x] : spec.variants[v].appeal) {
      std::size_t s = aud.size();
      for (std::size_t i = 0; i < aud.size(); ++i)
        if (aud[i].name == who) s = i;
      if (s == aud.size()) fail("variant '", spec.variants[v].name, "': appeal names unknown audience '", who, "'");
      if (!(std::abs(x) <= 20.0))
        fail("variant '", spec.variants[v].name, "': appeal['", who, "'] must be a logit shift in [-20, 20], got ", x);
      a[s * V + v] = x;
    }
  return a;
}

}  // namespace detail

/// Runs a message test live on the world's people, period by period (see the header
/// comment for the equations). A/B/n: shares = opt.weights (normalised). Bandit: at the
/// start of each period the Thompson-type shares (experiments::allocation, exact P(best);
/// per persona with Beta priors pooled across personas, experiments::pooled_prior) or
/// batched UCB shares (experiments::ucb_batch_shares over a batch as large as the group's
/// previous period, at most 1e5 users) from all users and conversions of the earlier
/// periods decide the period's traffic per variant.
[[nodiscard]] inline MessageTestRun run_message_test(const World& world, const MessageSpec& spec,
                                                     const MessageTestOptions& opt) {
  namespace ex = trustmix::experiments;
  RunOptions ro;
  ro.periods = opt.periods;
  ro.period_days = opt.period_days;
  ro.threads = 1;
  detail::check_run_size(world, ro, false);
  if (opt.first_period < 0 || opt.first_period >= opt.periods)
    fail("first_period must be in [0, periods) = [0, ", opt.periods, "), got ", opt.first_period);
  const std::size_t k_camp = detail::campaign_index(world, spec.campaign);
  const std::vector<double> appeal = detail::appeal_matrix(world, spec);
  const int S = world.segments();
  const auto V = static_cast<int>(spec.variants.size());
  const auto Vs = static_cast<std::size_t>(V);
  std::vector<double> weights(Vs, 1.0 / V);
  if (opt.design == MessageDesign::ab && !opt.weights.empty()) {
    if (opt.weights.size() != Vs) fail("weights: expected one per variant (", V, "), got ", opt.weights.size());
    double sum = 0.0;
    for (double w : opt.weights) {
      if (!(w >= 0.0) || !std::isfinite(w)) fail("weights must be finite and >= 0, got ", w);
      sum += w;
    }
    if (!(sum > 0.0)) fail("weights must not all be 0");
    for (std::size_t v = 0; v < Vs; ++v) weights[v] = opt.weights[v] / sum;
  }
  if (!opt.costs.empty() && opt.costs.size() != Vs)
    fail("costs: expected one per variant (", V, "), got ", opt.costs.size());
  for (double x : opt.costs)
    if (!(x >= 0.0) || !std::isfinite(x)) fail("costs must be finite and >= 0, got ", x);
  if (!(opt.budget > 0.0)) fail("budget must be > 0, got ", opt.budget);
  if (opt.design == MessageDesign::bandit) {
    if (opt.bandit.reward != ex::Reward::bernoulli) fail("message test: conversions are Bernoulli rewards");
    ex::detail::check_config(opt.bandit, Vs);
  }

  const std::vector<double> population = detail::full_population(world);
  const Variant base = world.baseline_variant();
  const Dynamics dyn(world, base, ro, population);
  const int m = dyn.memory_cap();
  const int c = static_cast<int>(world.plan().channel_position(world.spec().campaigns[k_camp].channel));
  const Eigen::MatrixXd camp = world.campaign_spend(opt.periods, opt.period_days);
  const double cpm = world.spec().channels[static_cast<std::size_t>(c)].cpm;

  const int T = opt.periods - opt.first_period;
  MessageTestRun out;
  out.periods = T;
  out.first_period = opt.first_period;
  out.segments = S;
  out.variants = V;
  const auto n3 = static_cast<std::size_t>(T) * S * V;
  out.users.assign(n3, 0.0);
  out.conversions = out.trusting_users = out.trusting_conversions = out.shares = out.true_rate = out.users;
  out.rate_trusting = out.rate_untrusting = out.users;
  out.trusting_share.assign(static_cast<std::size_t>(T) * S, 0.0);
  out.regret.assign(static_cast<std::size_t>(T), 0.0);
  out.spend.assign(static_cast<std::size_t>(T), 0.0);

  // The exact chain per segment: cell counts n[t] after period t's transition.
  std::vector<Eigen::RowVectorXd> cells(static_cast<std::size_t>(S));
  for (int s = 0; s < S; ++s) {
    Eigen::RowVectorXd n = Eigen::RowVectorXd::Zero(dyn.cells());
    const double g = dyn.initial_trust(s);
    n(Dynamics::cell(1, 0, m)) = population[static_cast<std::size_t>(s)] * g;
    n(Dynamics::cell(0, 0, m)) = population[static_cast<std::size_t>(s)] * (1.0 - g);
    cells[static_cast<std::size_t>(s)] = n;
  }

  const std::size_t groups = (opt.design == MessageDesign::bandit && opt.by_persona) ? static_cast<std::size_t>(S) : 1;
  std::vector<ex::ArmStats> stats(groups * Vs);
  const std::uint64_t seed = world.seed();
  const CounterStream root = stream(seed, Domain::world, (1ULL << 48) + opt.stream, 0);
  double regret = 0.0;
  double spent = 0.0;
  const bool paced = std::isfinite(opt.budget) && !opt.costs.empty();
  std::vector<double> share(groups * Vs);
  std::vector<double> last_users(groups, 0.0);  // users per group in the previous test period
  for (int t = 0; t < opt.periods; ++t) {
    for (int s = 0; s < S; ++s)
      cells[static_cast<std::size_t>(s)] = cells[static_cast<std::size_t>(s)] * dyn.transition(s, t);
    if (t < opt.first_period) continue;
    const int tt = t - opt.first_period;
    // Traffic shares of this period.
    if (opt.design == MessageDesign::ab) {
      for (std::size_t g = 0; g < groups; ++g)
        std::copy(weights.begin(), weights.end(), share.begin() + static_cast<std::ptrdiff_t>(g * Vs));
    } else {
      std::vector<double> pa(Vs, opt.bandit.prior_a), pb(Vs, opt.bandit.prior_b);
      if (groups > 1 && opt.bandit.policy != ex::Policy::ucb) {
        const auto [mean, strength] = ex::pooled_prior(stats, groups, Vs, opt.bandit.pooling);
        for (std::size_t v = 0; v < Vs; ++v) {
          pa[v] = opt.bandit.prior_a + strength * mean[v];
          pb[v] = opt.bandit.prior_b + strength * (1.0 - mean[v]);
        }
      }
      for (std::size_t g = 0; g < groups; ++g) {
        const std::span<const ex::ArmStats> arm_stats(stats.data() + g * Vs, Vs);
        std::vector<double> w;
        if (opt.bandit.policy == ex::Policy::ucb) {
          // Batched UCB: this period's users are assumed as many as the group's last
          // period's (capped at 1e5; 1,000 in the first period), t = the group's pulls so far.
          double pulls = 0.0;
          for (std::size_t v = 0; v < Vs; ++v) pulls += arm_stats[v].n;
          const double batch = tt == 0 ? 1000.0 : std::clamp(last_users[g], 1.0, 1e5);
          w = ex::apply_floor(ex::ucb_batch_shares(arm_stats, batch, ex::Reward::bernoulli, pulls), opt.bandit.floor);
        } else {
          w = ex::allocation(arm_stats, opt.bandit, pa, pb);
        }
        std::copy(w.begin(), w.end(), share.begin() + static_cast<std::ptrdiff_t>(g * Vs));
      }
    }
    std::fill(last_users.begin(), last_users.end(), 0.0);
    // Campaign reach among the channel's impressions this period.
    const double chan_imp = dyn.drive().impressions(t, c);
    const double camp_imp = 1000.0 * camp(t, static_cast<Eigen::Index>(k_camp)) / cpm;
    const double w_camp = chan_imp > 0.0 ? std::min(1.0, camp_imp / chan_imp) : 0.0;
    const double f = dyn.frequency(t, c) * w_camp;
    std::vector<std::int64_t> enrolled(static_cast<std::size_t>(S));
    double expected_cost = 0.0;
    for (int s = 0; s < S; ++s) {
      const auto su = static_cast<std::size_t>(s);
      const CounterStream st = root.child(static_cast<std::uint64_t>(t)).child(su);
      const double p_reach = spec.enrolment * dyn.reach_prob(s, c) * (1.0 - detail::pgf(f, dyn.dispersion(c), 0.0));
      const auto N = static_cast<std::int64_t>(population[su]);
      enrolled[su] = detail::binomial_draw(N, std::clamp(p_reach, 0.0, 1.0), st.child(0).base);
      if (paced) {
        const std::size_t g = groups > 1 ? su : 0;
        for (std::size_t v = 0; v < Vs; ++v)
          expected_cost += static_cast<double>(enrolled[su]) * share[g * Vs + v] * opt.costs[v];
      }
    }
    if (paced) {
      const double allowance = std::max(0.0, (opt.budget - spent) / static_cast<double>(T - tt));
      if (expected_cost > allowance) {
        const double keep = allowance / expected_cost;
        for (int s = 0; s < S; ++s) {
          const auto su = static_cast<std::size_t>(s);
          const CounterStream st = root.child(static_cast<std::uint64_t>(t)).child(su);
          enrolled[su] = detail::binomial_draw(enrolled[su], keep, st.child(1ULL << 20).base);
        }
      }
    }
    for (int s = 0; s < S; ++s) {
      const auto su = static_cast<std::size_t>(s);
      const CounterStream st = root.child(static_cast<std::uint64_t>(t)).child(su);
      const std::int64_t users = enrolled[su];
      // Per-variant conversion probability by trust state, exact over the memory cells.
      const Eigen::RowVectorXd& n = cells[su];
      double n1 = 0.0, n0 = 0.0;
      for (int M = 0; M <= m; ++M) {
        n1 += n(Dynamics::cell(1, M, m));
        n0 += n(Dynamics::cell(0, M, m));
      }
      const double g_share = (n0 + n1) > 0.0 ? n1 / (n0 + n1) : 0.0;
      out.trusting_share[static_cast<std::size_t>(tt) * S + s] = g_share;
      double best = 0.0;
      std::vector<double> q1(Vs), q0(Vs), q(Vs);
      for (std::size_t v = 0; v < Vs; ++v) {
        double c1 = 0.0, c0 = 0.0;
        for (int M = 0; M <= m; ++M) {
          const double a = appeal[su * Vs + v];
          auto shifted = [&](int trusting) {
            const double p = dyn.conversion_prob(s, t, trusting, M);
            if (p <= 0.0 || p >= 1.0) return p;
            return detail::logistic(detail::logit(p) + a);
          };
          c1 += n(Dynamics::cell(1, M, m)) * shifted(1);
          c0 += n(Dynamics::cell(0, M, m)) * shifted(0);
        }
        q1[v] = n1 > 0.0 ? c1 / n1 : 0.0;
        q0[v] = n0 > 0.0 ? c0 / n0 : 0.0;
        q[v] = g_share * q1[v] + (1.0 - g_share) * q0[v];
        best = std::max(best, q[v]);
      }
      // Multinomial split of the users by the shares, then trust states and conversions.
      const std::size_t g = groups > 1 ? su : 0;
      std::int64_t left = users;
      double mass = 1.0;
      for (std::size_t v = 0; v < Vs; ++v) {
        const double p = share[g * Vs + v];
        std::int64_t x = left;
        if (v + 1 < Vs)
          x = mass > p ? detail::binomial_draw(left, std::clamp(p / mass, 0.0, 1.0), st.child(1 + 4 * v).base) : left;
        left -= x;
        mass -= p;
        const std::int64_t x1 = detail::binomial_draw(x, g_share, st.child(2 + 4 * v).base);
        const std::int64_t y1 = detail::binomial_draw(x1, q1[v], st.child(3 + 4 * v).base);
        const std::int64_t y0 = detail::binomial_draw(x - x1, q0[v], st.child(4 + 4 * v).base);
        const auto i = static_cast<std::size_t>((tt * S + s) * V) + v;
        out.users[i] = static_cast<double>(x);
        out.conversions[i] = static_cast<double>(y1 + y0);
        out.trusting_users[i] = static_cast<double>(x1);
        out.trusting_conversions[i] = static_cast<double>(y1);
        out.shares[i] = p;
        out.true_rate[i] = q[v];
        out.rate_trusting[i] = q1[v];
        out.rate_untrusting[i] = q0[v];
        regret += static_cast<double>(x) * (best - q[v]);
        last_users[g] += static_cast<double>(x);
        if (!opt.costs.empty()) {
          const double cost = static_cast<double>(x) * opt.costs[v];
          spent += cost;
          out.spend[static_cast<std::size_t>(tt)] += cost;
        }
        ex::ArmStats& a = stats[g * Vs + v];
        a.n += static_cast<double>(x);
        a.sum += static_cast<double>(y1 + y0);
        a.sum_sq += static_cast<double>(y1 + y0);
      }
    }
    out.regret[static_cast<std::size_t>(tt)] = regret;
  }
  return out;
}

}  // namespace trustmix::simulate
