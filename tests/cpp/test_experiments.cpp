// trustmix::experiments: published anchors (GrowthBook's 49/100 vs 51/100, the exact
// probability of being best with Jeffreys priors, the ldbounds O'Brien-Fleming-type
// boundaries), closed forms, algebraic identities and simulations with known truth.
#include <boost/math/special_functions/beta.hpp>
#include <boost/test/unit_test.hpp>

#include <trustmix/experiments/experiments.hpp>
#include <trustmix/inference/rng.hpp>

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace te = trustmix::experiments;
namespace tt = boost::test_tools;

namespace {
double norm_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }
double norm_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi); }

/// Evan Miller's closed form of P(p_B > p_A) for Beta posteriors with integer alpha_B.
double beta_b_beats_a(double aa, double ba, int ab, double bb) {
  double s = 0.0;
  for (int i = 0; i < ab; ++i) {
    const double di = static_cast<double>(i);
    auto lbeta = [](double x, double y) { return std::lgamma(x) + std::lgamma(y) - std::lgamma(x + y); };
    s += std::exp(lbeta(aa + di, ba + bb) - std::log(bb + di) - lbeta(1.0 + di, bb) - lbeta(aa, ba));
  }
  return s;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(bayes)

BOOST_AUTO_TEST_CASE(growthbook_effect_anchor) {
  // 49/100 vs 51/100: relative lift 0.04082, sd 0.14725, chance to win 0.60918.
  const std::vector<te::ArmData> arms{{100, 49, 49, 0, 0, 0}, {100, 51, 51, 0, 0, 0}};
  const auto est = te::estimate_arms(arms, te::Metric::binomial);
  const auto e = te::effect_posterior(est[0], est[1], true);
  BOOST_TEST(e.mean == 0.04082, tt::tolerance(1e-4));
  BOOST_TEST(e.sd == 0.14725, tt::tolerance(1e-4));
  BOOST_TEST(e.chance_to_win == 0.60918, tt::tolerance(1e-5));
  // Risk = E[max(D, 0)] and E[max(-D, 0)] of the normal posterior; their difference is the mean.
  BOOST_TEST(e.risk_control - e.risk_treatment == e.mean, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(prob_best_jeffreys_anchor) {
  // Beta(1/2, 1/2) priors; 80/1500, 80/1200, 50/1000: 0.06542, 0.89335, 0.04123.
  const std::vector<te::ArmData> arms{{1500, 80, 80, 0, 0, 0}, {1200, 80, 80, 0, 0, 0}, {1000, 50, 50, 0, 0, 0}};
  std::vector<te::Posterior> post;
  for (const auto& a : arms) post.push_back(te::conjugate_posterior(a, te::Metric::binomial, {0.5, 0.5}));
  const auto c = te::compare_posteriors(post, 0);
  BOOST_TEST(c.prob_best[0] == 0.06542, tt::tolerance(1e-4));
  BOOST_TEST(c.prob_best[1] == 0.89335, tt::tolerance(1e-5));
  BOOST_TEST(c.prob_best[2] == 0.04123, tt::tolerance(1e-4));
  BOOST_TEST(c.prob_best[0] + c.prob_best[1] + c.prob_best[2] == 1.0, tt::tolerance(1e-10));
  BOOST_TEST(c.error_bound < 1e-9);
}

BOOST_AUTO_TEST_CASE(beta_two_arm_closed_form) {
  // Beta(11, 91) vs Beta(21, 81), and a near-normal pair (shape >= 100) vs the same formula.
  for (const auto& [aa, ba, ab, bb] : std::vector<std::array<double, 4>>{{11, 91, 21, 81}, {151, 1851, 171, 1831}}) {
    const std::vector<te::Posterior> post{{te::Family::beta, aa, ba, 0, 1}, {te::Family::beta, ab, bb, 0, 1}};
    const auto c = te::compare_posteriors(post, 0);
    const double exact = beta_b_beats_a(aa, ba, static_cast<int>(ab), bb);
    BOOST_TEST(c.prob_beat_control[1] == exact, tt::tolerance(1e-9));
    BOOST_TEST(c.prob_best[1] == exact, tt::tolerance(1e-9));
  }
}

BOOST_AUTO_TEST_CASE(gamma_two_arm_closed_form) {
  // X ~ Gamma(a, r1), Y ~ Gamma(b, r2): P(Y > X) = I_{r1 / (r1 + r2)}(a, b).
  const double a = 31, r1 = 200, b = 45, r2 = 240;
  const std::vector<te::Posterior> post{{te::Family::gamma, a, r1, 0, 1}, {te::Family::gamma, b, r2, 0, 1}};
  const auto c = te::compare_posteriors(post, 0);
  BOOST_TEST(c.prob_beat_control[1] == boost::math::ibeta(a, b, r1 / (r1 + r2)), tt::tolerance(1e-9));
  // The count model: Gamma(shape 1 + events, rate 0 + users).
  const auto p = te::conjugate_posterior({200, 30, std::nan(""), 0, 0, 0}, te::Metric::count,
                                         te::default_prior(te::Metric::count));
  BOOST_TEST(p.a == 31.0);
  BOOST_TEST(p.b == 200.0);
}

BOOST_AUTO_TEST_CASE(normal_losses_and_intervals_closed_form) {
  // Normal posteriors: loss vs control E[max(c - a, 0)] = d Phi(d/s) + s phi(d/s), d = mu_c - mu_a;
  // the absolute lift is N(mu_a - mu_c, s^2): its quantiles are closed form.
  const te::Posterior c{te::Family::normal, 0, 0, 1.00, 0.03};
  const te::Posterior a{te::Family::normal, 0, 0, 1.04, 0.04};
  const std::vector<te::Posterior> post{c, a};
  const auto r = te::compare_posteriors(post, 0);
  const double d = -0.04, s = 0.05;
  BOOST_TEST(r.loss_vs_control[1] == d * norm_cdf(d / s) + s * norm_pdf(d / s), tt::tolerance(1e-8));
  BOOST_TEST(r.prob_beat_control[1] == norm_cdf(0.04 / s), tt::tolerance(1e-10));
  // With two arms, the loss vs control and the expected loss over all arms coincide.
  BOOST_TEST(r.expected_loss[1] == r.loss_vs_control[1], tt::tolerance(1e-8));
  const auto iv = te::lift_interval(c, a, 0.95, false);
  BOOST_TEST(iv[0] == 0.04 - 1.959963984540054 * s, tt::tolerance(1e-8));
  BOOST_TEST(iv[1] == 0.04, tt::tolerance(1e-8));
  BOOST_TEST(iv[2] == 0.04 + 1.959963984540054 * s, tt::tolerance(1e-8));
  // The density of the lift integrates to 1 and peaks at its mean.
  std::vector<double> grid;
  for (int i = 0; i <= 600; ++i) grid.push_back(-0.26 + 0.001 * i);
  const auto dens = te::lift_density(c, a, grid, false);
  double mass = 0.0;
  for (std::size_t i = 0; i + 1 < grid.size(); ++i) mass += 0.5 * (dens[i] + dens[i + 1]) * 0.001;
  BOOST_TEST(mass == 1.0, tt::tolerance(1e-4));
  BOOST_TEST(dens[300] == norm_pdf(0.0) / s, tt::tolerance(1e-7));  // the peak, at lift 0.04
}

BOOST_AUTO_TEST_CASE(relative_lift_beta_matches_direct_probability) {
  // P(theta_a / theta_c - 1 <= r) at the interval ends equals the tail probabilities.
  const te::Posterior c{te::Family::beta, 51, 951, 0, 1};
  const te::Posterior a{te::Family::beta, 66, 936, 0, 1};
  const auto iv = te::lift_interval(c, a, 0.9, true);
  BOOST_TEST(te::lift_cdf(c, a, iv[0], true) == 0.05, tt::tolerance(1e-7));
  BOOST_TEST(te::lift_cdf(c, a, iv[2], true) == 0.95, tt::tolerance(1e-7));
  BOOST_TEST(iv[0] < iv[1]);
  BOOST_TEST(iv[1] < iv[2]);
  // Median of the relative lift: P(theta_a <= theta_c) = 1 - P(beat) at r = 0.
  const std::vector<te::Posterior> post{c, a};
  BOOST_TEST(te::lift_cdf(c, a, 0.0, true) == 1.0 - te::compare_posteriors(post).prob_beat_control[1], tt::tolerance(1e-8));
}

BOOST_AUTO_TEST_CASE(student_t_posterior_and_batch_determinism) {
  // Continuous metric: t_{n-1} posterior; batch over experiments equals the one-by-one
  // result and does not depend on the thread count.
  std::vector<te::ArmData> data;
  for (int e = 0; e < 40; ++e)
    for (int j = 0; j < 3; ++j) {
      const double n = 50 + 10 * e + j, mean = 2.0 + 0.01 * (j * e % 7), sd = 1.5;
      data.push_back({n, n * mean, (n - 1) * sd * sd + n * mean * mean, 0, 0, 0});
    }
  const auto b1 = te::compare_batch(data, 40, 3, te::Metric::continuous, {}, 0, 1);
  const auto b2 = te::compare_batch(data, 40, 3, te::Metric::continuous, {}, 0, 2);
  BOOST_TEST(b1.prob_best == b2.prob_best, tt::per_element());
  BOOST_TEST(b1.expected_loss == b2.expected_loss, tt::per_element());
  std::vector<te::Posterior> post;
  for (int j = 0; j < 3; ++j)
    post.push_back(te::conjugate_posterior(data[7 * 3 + static_cast<std::size_t>(j)], te::Metric::continuous, {}));
  BOOST_TEST((post[0].family == te::Family::student_t));
  BOOST_TEST(post[0].a == 119.0);
  const auto one = te::compare_posteriors(post);
  for (std::size_t j = 0; j < 3; ++j) BOOST_TEST(one.prob_best[j] == b1.prob_best[7 * 3 + j]);
}

BOOST_AUTO_TEST_CASE(bad_input_is_named) {
  const std::vector<te::ArmData> arms{{100, 120, 120, 0, 0, 0}, {100, 5, 5, 0, 0, 0}};
  BOOST_CHECK_EXCEPTION(
      static_cast<void>(te::estimate_arms(arms, te::Metric::binomial)), std::invalid_argument,
      [](const std::invalid_argument& e) { return std::string(e.what()).find("arm 0") != std::string::npos; });
  BOOST_CHECK_THROW(static_cast<void>(te::conjugate_posterior({2, 1, 1, 0, 0, 0}, te::Metric::continuous, {})),
                    std::invalid_argument);
  const std::vector<te::Posterior> one{{te::Family::beta, 1, 1, 0, 1}};
  BOOST_CHECK_THROW(static_cast<void>(te::compare_posteriors(one)), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(estimates)

BOOST_AUTO_TEST_CASE(ratio_delta_method_equals_linearised_variance) {
  // Var(r) by the delta method = variance of the linearised values (y - r x) / xbar, over n.
  trustmix::inference::ChainRng rng(7, 0);
  std::vector<std::int64_t> arm;
  std::vector<double> y, x;
  for (int i = 0; i < 500; ++i) {
    const double xi = 1.0 + std::floor(5.0 * rng.uniform());
    arm.push_back(0);
    x.push_back(xi);
    y.push_back(std::floor(xi * 0.3 + rng.uniform() * 2.0));
  }
  const auto sums = te::summarize(arm, y, x, 1);
  const auto est = te::estimate_arms(sums, te::Metric::ratio)[0];
  const double r = sums[0].sum / sums[0].sum_x, xbar = sums[0].sum_x / 500.0;
  double m = 0.0, ss = 0.0;
  std::vector<double> z(500);
  for (int i = 0; i < 500; ++i)
    m += (z[static_cast<std::size_t>(i)] = (y[static_cast<std::size_t>(i)] - r * x[static_cast<std::size_t>(i)]) / xbar) /
         500.0;
  for (double v : z) ss += (v - m) * (v - m);
  BOOST_TEST(est.mean == r, tt::tolerance(1e-14));
  BOOST_TEST(est.variance == ss / 499.0 / 500.0, tt::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(cuped_variance_is_one_minus_rho_squared) {
  // One arm: the CUPED variance equals s_y^2 (1 - rho^2) exactly, and the mean is unchanged
  // (the covariate's arm mean equals its overall mean).
  trustmix::inference::ChainRng rng(11, 0);
  std::vector<std::int64_t> arm(2000, 0);
  std::vector<double> y(2000), x(2000);
  for (std::size_t i = 0; i < 2000; ++i) {
    x[i] = rng.normal();
    y[i] = 3.0 + 0.8 * x[i] + 0.6 * rng.normal();
  }
  const auto sums = te::summarize(arm, y, x, 1);
  const auto raw = te::estimate_arms(sums, te::Metric::continuous)[0];
  const auto cup = te::estimate_arms(sums, te::Metric::continuous, true)[0];
  const double n = 2000.0;
  const double vx = (sums[0].sum_x2 - sums[0].sum_x * sums[0].sum_x / n) / (n - 1);
  const double vy = (sums[0].sum_sq - sums[0].sum * sums[0].sum / n) / (n - 1);
  const double cxy = (sums[0].sum_xy - sums[0].sum_x * sums[0].sum / n) / (n - 1);
  const double rho2 = cxy * cxy / (vx * vy);
  BOOST_TEST(cup.mean == raw.mean, tt::tolerance(1e-12));
  BOOST_TEST(cup.variance == raw.variance * (1.0 - rho2), tt::tolerance(1e-10));
  BOOST_TEST(rho2 > 0.5);  // the simulated truth: rho^2 = 0.64 / 1.0
}

BOOST_AUTO_TEST_CASE(capping_and_quantile) {
  const std::vector<double> v{1, 2, 3, 4, 100};
  BOOST_TEST(te::quantile(v, 0.5) == 3.0);
  BOOST_TEST(te::quantile(v, 0.875) == 4.0 + 0.5 * 96.0);  // numpy "linear"
  const std::vector<std::int64_t> arm{0, 0, 1, 1, 1};
  const auto s = te::summarize(arm, v, {}, 2, 4.0);
  BOOST_TEST(s[1].sum == 3.0 + 4.0 + 4.0);
  BOOST_CHECK_THROW(static_cast<void>(te::summarize(std::vector<std::int64_t>{0, 2}, std::vector<double>{1, 2}, {}, 2)),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(frequentist)

BOOST_AUTO_TEST_CASE(fixed_test_and_sample_size_closed_form) {
  const std::vector<te::ArmData> arms{{100, 49, 49, 0, 0, 0}, {100, 51, 51, 0, 0, 0}};
  const auto est = te::estimate_arms(arms, te::Metric::binomial);
  const auto t = te::fixed_test(est[0], est[1], false);
  const double se = std::sqrt(0.49 * 0.51 / 100 * 2);
  BOOST_TEST(t.std_error == se, tt::tolerance(1e-12));
  BOOST_TEST(t.p_value == std::erfc(0.02 / se / std::numbers::sqrt2), tt::tolerance(1e-12));
  // n = (z_.975 + z_.8)^2 (p1 q1 + p2 q2) / d^2.
  const double n = te::fixed_sample_size(0.02, std::sqrt(0.09), std::sqrt(0.12 * 0.88));
  BOOST_TEST(n == std::pow(1.959963984540054 + 0.8416212335729143, 2) * (0.09 + 0.1056) / 0.0004, tt::tolerance(1e-10));
  BOOST_TEST(te::fixed_power(0.02, 0.3, std::sqrt(0.1056), n) == 0.8, tt::tolerance(1e-4));
}

BOOST_AUTO_TEST_CASE(obrien_fleming_boundaries_anchor) {
  const std::vector<double> t{0.2, 0.4, 0.6, 0.8, 1.0};
  const auto b = te::gs_boundaries(t, 0.05, te::Spending::obrien_fleming);
  const std::vector<double> ldbounds{4.877, 3.357, 2.680, 2.290, 2.031};
  for (std::size_t k = 0; k < 5; ++k) BOOST_TEST(b[k] == ldbounds[k], tt::tolerance(2e-4));
  // Under the null the crossing probabilities add up to alpha.
  const auto p = te::gs_crossing(t, b, 0.0);
  double total = 0.0;
  for (double x : p) total += x;
  BOOST_TEST(total == 0.05, tt::tolerance(1e-6));
  // One look: the fixed design.
  const std::vector<double> one{1.0};
  BOOST_TEST(te::gs_boundaries(one, 0.05)[0] == 1.959963984540054, tt::tolerance(1e-12));
  // (The design counts the far tail's 1e-6 of power too, which the fixed formula ignores.)
  BOOST_TEST(te::gs_design(one, 0.05, 0.8).inflation == 1.0, tt::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(group_sequential_lattice_integration_converges) {
  // The fixed-lattice recursion against the same recursion on a lattice of half the step
  // (O(h^4): the change on halving is 15/16 of the error), for 5, 20 and 1,000 looks,
  // both spending types; the 1,000-look design spends exactly alpha.
  for (std::size_t looks : {5UL, 20UL, 1000UL}) {
    std::vector<double> t(looks);
    for (std::size_t k = 0; k < looks; ++k) t[k] = static_cast<double>(k + 1) / static_cast<double>(looks);
    for (auto spending : {te::Spending::obrien_fleming, te::Spending::pocock}) {
      const double h = te::detail::gs_step_size(t);
      const auto b = te::gs_boundaries(t, 0.05, spending);
      const auto fine = te::gs_boundaries(t, 0.05, spending, 0.5 * h);
      double worst = 0.0;
      for (std::size_t k = 0; k < looks; ++k)
        if (std::isfinite(b[k])) worst = std::max(worst, std::abs(b[k] - fine[k]));
      BOOST_TEST_MESSAGE(looks << " looks: max boundary change on halving the step " << worst);
      BOOST_TEST(worst < 2e-6);
      const auto p = te::gs_crossing(t, b, 0.0);
      double total = 0.0;
      for (double x : p) total += x;
      BOOST_TEST(total == 0.05, tt::tolerance(1e-6));
      // Power at a drift: the same on both lattices.
      const auto q = te::gs_crossing(t, b, 2.8);
      const auto qf = te::gs_crossing(t, b, 2.8, 0.5 * h);
      double pw = 0.0, pwf = 0.0;
      for (std::size_t k = 0; k < looks; ++k) pw += q[k], pwf += qf[k];
      BOOST_TEST(std::abs(pw - pwf) < 2e-6);
    }
  }
}

BOOST_AUTO_TEST_CASE(group_sequential_error_and_power_by_simulation) {
  // Brownian paths at 5 equal looks: the rejection rate under the null is alpha and under
  // the design drift it is the power (4 Monte Carlo standard errors).
  const std::vector<double> t{0.2, 0.4, 0.6, 0.8, 1.0};
  for (auto spending : {te::Spending::obrien_fleming, te::Spending::pocock}) {
    const auto d = te::gs_design(t, 0.05, 0.8, spending);
    trustmix::inference::ChainRng rng(2024, static_cast<std::uint64_t>(spending));
    const int reps = 100000;
    for (double theta : {0.0, d.drift}) {
      int rejected = 0;
      for (int r = 0; r < reps; ++r) {
        double w = 0.0;
        for (std::size_t k = 0; k < 5; ++k) {
          w += theta * 0.2 + std::sqrt(0.2) * rng.normal();
          if (std::abs(w / std::sqrt(t[k])) >= d.bounds[k]) {
            ++rejected;
            break;
          }
        }
      }
      const double rate = rejected / static_cast<double>(reps);
      const double expect = theta == 0.0 ? 0.05 : 0.8;
      BOOST_TEST(std::abs(rate - expect) < 4.0 * std::sqrt(expect * (1 - expect) / reps));
    }
    BOOST_TEST(d.inflation > 1.0);
    BOOST_TEST(d.expected_fraction_alternative < 1.0);
  }
}

BOOST_AUTO_TEST_CASE(always_valid_under_continuous_peeking) {
  // 2,000 null experiments peeked at 200 times each: the always-valid test rejects at most
  // alpha (+ 3 standard errors); the naive repeated z-test rejects far more often.
  trustmix::inference::ChainRng rng(99, 0);
  const int reps = 2000, looks = 200;
  int av = 0, naive = 0;
  std::vector<double> est(looks), var(looks);
  for (int r = 0; r < reps; ++r) {
    double s = 0.0;
    bool naive_hit = false;
    for (int k = 0; k < looks; ++k) {
      s += rng.normal();  // per-look increment of the lift sum, unit variance
      const double n = k + 1.0;
      est[static_cast<std::size_t>(k)] = s / n;
      var[static_cast<std::size_t>(k)] = 1.0 / n;
      naive_hit = naive_hit || std::abs(s / std::sqrt(n)) > 1.959963984540054;
    }
    const auto path = te::always_valid_path(est, var, 0.1);
    av += path.back().reject ? 1 : 0;
    naive += naive_hit ? 1 : 0;
  }
  BOOST_TEST(av / static_cast<double>(reps) <= 0.05 + 3.0 * std::sqrt(0.05 * 0.95 / reps));
  BOOST_TEST(naive / static_cast<double>(reps) > 0.2);
}

BOOST_AUTO_TEST_CASE(always_valid_formulas) {
  const std::vector<double> est{0.3}, var{0.01};
  const auto p = te::always_valid_path(est, var, 0.2, 0.05);
  const double v = 0.01, t2 = 0.04;
  const double lr = std::sqrt(v / (v + t2)) * std::exp(0.09 * t2 / (2 * v * (v + t2)));
  BOOST_TEST(p[0].likelihood_ratio == lr, tt::tolerance(1e-12));
  BOOST_TEST(p[0].p_value == std::min(1.0, 1.0 / lr), tt::tolerance(1e-12));
  const double h = std::sqrt(v * (v + t2) / t2 * (2 * std::log(20.0) + std::log((v + t2) / v)));
  BOOST_TEST(p[0].ci_upper - p[0].ci_lower == 2 * h, tt::tolerance(1e-12));
  // Planning: at the planned n, the single-look rejection probability equals the power.
  const double n = te::always_valid_sample_size(0.02, 0.3, 0.3, 0.02);
  const double vn = 0.18 / n;
  const double b = te::mixture_half_width(vn, 0.02, 0.05);
  BOOST_TEST(1.0 - norm_cdf((b - 0.02) / std::sqrt(vn)) + norm_cdf((-b - 0.02) / std::sqrt(vn)) == 0.8, tt::tolerance(1e-8));
  BOOST_TEST(n > te::fixed_sample_size(0.02, 0.3, 0.3));
}

BOOST_AUTO_TEST_CASE(multiple_comparisons_and_srm) {
  const std::vector<double> p{0.01, 0.04, 0.03, 0.005};
  const auto h = te::holm(p);
  const auto bh = te::benjamini_hochberg(p);
  const std::vector<double> holm_r{0.03, 0.06, 0.06, 0.02}, bh_r{0.02, 0.04, 0.04, 0.02};  // R's p.adjust
  for (std::size_t i = 0; i < 4; ++i) {
    BOOST_TEST(h[i] == holm_r[i], tt::tolerance(1e-12));
    BOOST_TEST(bh[i] == bh_r[i], tt::tolerance(1e-12));
  }
  const std::vector<double> users{5000, 5200}, w{1, 1};
  const auto [chi2, pv] = te::sample_ratio_test(users, w);
  BOOST_TEST(chi2 == 2 * 100.0 * 100.0 / 5100.0, tt::tolerance(1e-12));
  BOOST_TEST(pv == std::erfc(std::sqrt(chi2 / 2)), tt::tolerance(1e-10));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bandits)

BOOST_AUTO_TEST_CASE(thompson_regret_near_lai_robbins) {
  // Bernoulli arms 0.05, 0.07, 0.10; T = 20,000 users one at a time, 16 seeds. Thompson
  // sampling is asymptotically optimal (Kaufmann, Korda and Munos 2012): its regret grows
  // like the Lai-Robbins bound. The mean regret (standard error from the 16 runs) must lie
  // below 2.5 x the bound, and far below uniform allocation's T x mean gap.
  te::BanditWorld w;
  w.arms = 3;
  w.means = {0.05, 0.07, 0.10};
  w.users_per_batch = 1;
  w.batches = 20000;
  te::BanditConfig cfg;
  const double bound = te::lai_robbins_bound(w.means, 20000.0);
  std::vector<double> regret;
  for (std::uint64_t s = 0; s < 16; ++s) regret.push_back(te::simulate_bandit(w, cfg, 5, s).cumulative_regret.back());
  double m = 0.0, ss = 0.0;
  for (double r : regret) m += r / 16.0;
  for (double r : regret) ss += (r - m) * (r - m);
  const double se = std::sqrt(ss / 15.0 / 16.0);
  BOOST_TEST_MESSAGE("TS regret " << m << " +- " << se << ", Lai-Robbins " << bound);
  BOOST_TEST(m + 2.0 * se < 2.5 * bound);
  BOOST_TEST(m > 0.3 * bound);  // no policy beats the bound by this much on average
  BOOST_TEST(m < 0.1 * 20000.0 * (0.05 + 0.03) / 3.0);
  // Same seed, same path.
  BOOST_TEST(te::simulate_bandit(w, cfg, 5, 3).cumulative_regret == te::simulate_bandit(w, cfg, 5, 3).cumulative_regret,
             tt::per_element());
}

BOOST_AUTO_TEST_CASE(batched_policies_floors_and_pacing) {
  te::BanditWorld w;
  w.arms = 3;
  w.means = {0.05, 0.07, 0.10};
  w.users_per_batch = 1000;
  w.batches = 28;
  w.costs = {0.5, 0.5, 0.8};
  w.budget = 12000.0;
  for (auto policy : {te::Policy::thompson, te::Policy::top_two_thompson, te::Policy::ucb}) {
    te::BanditConfig cfg;
    cfg.policy = policy;
    cfg.floor = 0.05;
    const auto sim = te::simulate_bandit(w, cfg, 1, 0);
    BOOST_TEST(sim.total_spend <= w.budget + 1e-9);
    BOOST_TEST(sim.total_spend >= 0.98 * w.budget);  // spend within 2% of budget
    if (policy != te::Policy::ucb)
      for (std::size_t b = 0; b < 28; ++b)
        for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(sim.shares[b * 3 + i] >= 0.05 - 1e-12);
    BOOST_TEST(sim.final_prob_best[2] > 0.9);
  }
}

BOOST_AUTO_TEST_CASE(top_two_weights_and_allocation) {
  const std::vector<double> p{0.7, 0.2, 0.1};
  const auto w = te::top_two_weights(p, 0.5);
  // psi_i = beta p_i + (1 - beta) p_i sum_{j != i} p_j / (1 - p_j), normalised.
  const double r0 = 0.2 / 0.8 + 0.1 / 0.9, r1 = 0.7 / 0.3 + 0.1 / 0.9, r2 = 0.7 / 0.3 + 0.2 / 0.8;
  const double a0 = 0.35 + 0.35 * r0, a1 = 0.1 + 0.1 * r1, a2 = 0.05 + 0.05 * r2, tot = a0 + a1 + a2;
  BOOST_TEST(w[0] == a0 / tot, tt::tolerance(1e-12));
  BOOST_TEST(w[1] == a1 / tot, tt::tolerance(1e-12));
  // Exact Thompson shares equal P(best) of the Beta posteriors (the anchor above).
  const std::vector<te::ArmStats> s{{1500, 80, 80}, {1200, 80, 80}, {1000, 50, 50}};
  te::BanditConfig cfg;
  cfg.prior_a = cfg.prior_b = 0.5;
  const auto sh = te::allocation(s, cfg);
  BOOST_TEST(sh[1] == 0.89335, tt::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(delayed_conversions_and_personas) {
  // Personas prefer different arms; the contextual bandit finds each persona's best arm.
  te::BanditWorld w;
  w.arms = 2;
  w.personas = 2;
  w.means = {0.10, 0.05, 0.04, 0.09};
  w.users_per_batch = 2000;
  w.batches = 14;
  w.delay_mean = 2.0;
  te::BanditConfig cfg;
  const auto sim = te::simulate_bandit(w, cfg, 3, 0);
  BOOST_TEST(sim.final_prob_best[0] > 0.95);
  BOOST_TEST(sim.final_prob_best[3] > 0.95);
  // Too many per-batch records is refused before allocating them.
  te::BanditWorld huge = w;
  huge.batches = 100000000;
  huge.users_per_batch = 1;
  BOOST_CHECK_THROW(static_cast<void>(te::simulate_bandit(huge, cfg, 3, 0)), std::invalid_argument);
  // Without the persona split one arm is chosen for everyone: more regret.
  w.contextual = false;
  const auto pooled = te::simulate_bandit(w, cfg, 3, 0);
  BOOST_TEST(pooled.cumulative_regret.back() > 1.5 * sim.cumulative_regret.back());
}

BOOST_AUTO_TEST_CASE(gaussian_rewards_pooled_across_personas) {
  // Closed form of the Normal-Normal posterior: 1/v = 1/tau^2 + n/s^2.
  const te::ArmStats a{10.0, 20.0, 76.0};  // mean 2, sample variance (76 - 40) / 9 = 4
  const double s2 = 4.0;
  const auto post = te::detail::arm_posterior(a, te::Reward::gaussian, 1.0, 0.5, true);
  const double prec = 1.0 / 0.25 + 10.0 / s2;
  BOOST_TEST(post.loc == (1.0 / 0.25 + 20.0 / s2) / prec, tt::tolerance(1e-12));
  BOOST_TEST(post.scale == std::sqrt(1.0 / prec), tt::tolerance(1e-12));
  // Without the flag the prior is ignored (flat): mean and sd / sqrt(n).
  const auto flat = te::detail::arm_posterior(a, te::Reward::gaussian, 1.0, 0.5);
  BOOST_TEST(flat.loc == 2.0, tt::tolerance(1e-12));
  BOOST_TEST(flat.scale == std::sqrt(s2 / 10.0), tt::tolerance(1e-12));

  // The moment estimator recovers the between-persona sd: 300 personas, persona means of
  // arm 0 ~ N(1, 0.3^2), 400 users each with sd 2 (sampling variance 0.01).
  trustmix::inference::ChainRng rng(77, 0);
  const std::size_t P = 300;
  std::vector<te::ArmStats> st(P * 2);
  for (std::size_t p = 0; p < P; ++p) {
    const double theta = 1.0 + 0.3 * rng.normal();
    for (std::size_t i = 0; i < 2; ++i) {
      te::ArmStats& c = st[p * 2 + i];
      for (int u = 0; u < 400; ++u) {
        const double y = (i == 0 ? theta : 0.5) + 2.0 * rng.normal();
        c.n += 1.0, c.sum += y, c.sum_sq += y * y;
      }
    }
  }
  const auto [m, tau] = te::pooled_normal_prior(st, P, 2, -1.0);
  BOOST_TEST(std::abs(m[0] - 1.0) < 4.0 * std::sqrt(0.09 + 0.01) / std::sqrt(300.0));
  BOOST_TEST(std::abs(tau[0] - 0.3) < 0.04);  // sd of the estimate about 0.013
  BOOST_TEST(tau[1] < 0.05);                   // arm 1 is the same for everyone
  // Given pseudo-users: tau^2 = s^2 / pooling.
  const auto given = te::pooled_normal_prior(st, P, 2, 100.0);
  BOOST_TEST(given.second[0] == std::sqrt(4.0 / 100.0), tt::tolerance(0.05));

  // A contextual Gaussian bandit with many small personas who share the best arm: pooling
  // (estimated) loses less than no pooling (pooling = 0: flat priors per persona).
  te::BanditWorld w;
  w.arms = 3;
  w.personas = 20;
  for (std::size_t p = 0; p < 20; ++p)
    for (double mu : {0.0, 0.15, 0.3}) w.means.push_back(mu + 0.02 * std::sin(static_cast<double>(p)));
  w.sds = {1.0, 1.0, 1.0};
  w.users_per_batch = 200;
  w.batches = 15;
  te::BanditConfig cfg;
  cfg.reward = te::Reward::gaussian;
  double pooled = 0.0, separate = 0.0;
  for (std::uint64_t stream = 0; stream < 6; ++stream) {
    cfg.pooling = -1.0;
    pooled += te::simulate_bandit(w, cfg, 5, stream).cumulative_regret.back();
    cfg.pooling = 0.0;
    separate += te::simulate_bandit(w, cfg, 5, stream).cumulative_regret.back();
  }
  BOOST_TEST_MESSAGE("Gaussian personas: regret pooled " << pooled / 6 << ", separate " << separate / 6);
  BOOST_TEST(pooled < 0.8 * separate);
}

BOOST_AUTO_TEST_CASE(off_policy_estimates_are_unbiased) {
  // Known logging policy mu(a | x) and target pi(a | x) over 2 contexts x 3 arms; the true
  // value is sum_x w_x sum_a pi(a | x) r(x, a). Over 400 replications of 600 logged rows
  // the mean of each estimator is within 4 standard errors of the truth.
  const std::vector<double> r{0.1, 0.3, 0.5, 0.6, 0.2, 0.4};
  const std::vector<double> mu{0.5, 0.3, 0.2, 0.2, 0.3, 0.5};
  const std::vector<double> pi{0.0, 0.2, 0.8, 0.9, 0.1, 0.0};
  const double truth = 0.5 * (0.2 * 0.3 + 0.8 * 0.5) + 0.5 * (0.9 * 0.6 + 0.1 * 0.2);
  trustmix::inference::ChainRng rng(17, 0);
  const int reps = 400, n = 600;
  std::vector<double> ips, dr;
  for (int rep = 0; rep < reps; ++rep) {
    std::vector<std::int64_t> a(n), x(n);
    std::vector<double> y(n), prop(n);
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      x[i] = rng.uniform() < 0.5 ? 0 : 1;
      const double u = rng.uniform();
      const std::size_t base = static_cast<std::size_t>(x[i]) * 3;
      a[i] = u < mu[base] ? 0 : (u < mu[base] + mu[base + 1] ? 1 : 2);
      prop[i] = mu[base + static_cast<std::size_t>(a[i])];
      y[i] = rng.uniform() < r[base + static_cast<std::size_t>(a[i])] ? 1.0 : 0.0;
    }
    ips.push_back(te::inverse_propensity(a, x, y, prop, pi, 2, 3).value);
    dr.push_back(te::doubly_robust(a, x, y, prop, pi, 2, 3).value);
  }
  for (const auto* v : {&ips, &dr}) {
    double m = 0.0, ss = 0.0;
    for (double e : *v) m += e / reps;
    for (double e : *v) ss += (e - m) * (e - m);
    const double se = std::sqrt(ss / (reps - 1) / reps);
    BOOST_TEST(std::abs(m - truth) < 4.0 * se);
  }
}

BOOST_AUTO_TEST_SUITE_END()
