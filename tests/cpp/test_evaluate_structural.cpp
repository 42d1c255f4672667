// trustmix::evaluate causal impact: the structural time-series target (gradient against
// finite differences) and recovery of a known injected effect.
#include <boost/test/unit_test.hpp>

#include <trustmix/evaluate/structural.hpp>

#include <cmath>
#include <random>

namespace ev = trustmix::evaluate;
using Eigen::Index;

namespace {

void check_gradient(const ev::StructuralTarget& target, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 0.5);
  Eigen::VectorXd th(target.dimension());
  for (Index i = 0; i < th.size(); ++i) th(i) = z(rng);
  Eigen::VectorXd g(th.size()), scratch(th.size());
  (void)target.log_density_gradient(th, g);
  const double h = 1e-6;
  double worst = 0.0;
  for (Index i = 0; i < th.size(); ++i) {
    Eigen::VectorXd up = th, down = th;
    up(i) += h;
    down(i) -= h;
    const double fd = (target.log_density_gradient(up, scratch) - target.log_density_gradient(down, scratch)) / (2 * h);
    worst = std::max(worst, std::abs(fd - g(i)) / std::max(1.0, std::abs(fd)));
  }
  BOOST_TEST(worst < 1e-5);
}

}  // namespace

BOOST_AUTO_TEST_CASE(gradient_matches_finite_differences) {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> z(0.0, 1.0);
  const Index T = 30, K = 3;
  Eigen::VectorXd y(T);
  Eigen::MatrixXd X(T, K);
  for (Index t = 0; t < T; ++t) {
    y(t) = z(rng);
    for (Index k = 0; k < K; ++k) X(t, k) = z(rng);
  }
  ev::StructuralOptions o;
  check_gradient(ev::StructuralTarget(y, X, o), 1);  // local level + regression
  o.trend = true;
  o.season = 7;
  check_gradient(ev::StructuralTarget(y, X, o), 2);  // + trend + weekly seasonality
  check_gradient(ev::StructuralTarget(y, Eigen::MatrixXd(T, 0), o), 3);  // no controls
}

// y = 2 x1 + local level + noise, a +5 step from period 80 on: the counterfactual comes
// from the control, the effect is found, the interval covers it, the irrelevant controls
// get small coefficients.
BOOST_AUTO_TEST_CASE(recovers_injected_effect) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> z(0.0, 1.0);
  const Index T = 100, start = 80, K = 3;
  Eigen::MatrixXd X(T, K);
  Eigen::VectorXd y(T);
  double level = 50.0, x1 = 20.0;
  for (Index t = 0; t < T; ++t) {
    x1 += z(rng);
    level += 0.1 * z(rng);
    X(t, 0) = x1;
    X(t, 1) = 10.0 + z(rng);
    X(t, 2) = 5.0 + 2.0 * z(rng);
    y(t) = level + 2.0 * x1 + 0.5 * z(rng) + (t >= start ? 5.0 : 0.0);
  }
  ev::StructuralOptions o;
  o.sampler.chains = 2;
  o.sampler.draws = 400;
  o.sampler.tune = 400;
  o.sampler.seed = 3;
  o.sampler.threads = 2;
  const auto r = ev::causal_impact(y, X, start, o);
  BOOST_TEST(r.average_effect == 5.0, boost::test_tools::tolerance(0.25));
  BOOST_TEST(r.average_lower < 5.0);
  BOOST_TEST(r.average_upper > 5.0);
  BOOST_TEST(r.average_lower > 0.0);
  BOOST_TEST(r.p_value < 0.01);
  // Every draw of the total effect is positive: the tail area gets the Monte Carlo +1.
  BOOST_TEST(r.p_value == 1.0 / 801.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.beta_mean(0) == 2.0, boost::test_tools::tolerance(0.1));
  BOOST_TEST(std::abs(r.beta_mean(1)) < 0.3);
  BOOST_TEST(r.cumulative.size() == 20);
  BOOST_TEST(r.max_rhat < 1.1);
  // Deterministic for a seed, whatever the thread count.
  o.sampler.threads = 1;
  const auto again = ev::causal_impact(y, X, start, o);
  BOOST_TEST(again.average_effect == r.average_effect);
}

BOOST_AUTO_TEST_CASE(bad_input_is_named) {
  const Eigen::VectorXd y = Eigen::VectorXd::LinSpaced(20, 0.0, 19.0);
  BOOST_CHECK_THROW(ev::causal_impact(y, Eigen::MatrixXd(20, 0), 2), std::invalid_argument);
  BOOST_CHECK_THROW(ev::causal_impact(y, Eigen::MatrixXd(20, 0), 20), std::invalid_argument);
  BOOST_CHECK_THROW(ev::causal_impact(Eigen::VectorXd::Constant(20, 1.0), Eigen::MatrixXd(20, 0), 10),
                    std::invalid_argument);
  BOOST_CHECK_THROW(ev::causal_impact(y, Eigen::MatrixXd::Zero(19, 1), 10), std::invalid_argument);
}

// No controls: an empty matrix of any row count is read as T x 0.
BOOST_AUTO_TEST_CASE(no_controls_any_rows) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> z(0.0, 1.0);
  Eigen::VectorXd y(30);
  for (Index t = 0; t < 30; ++t) y(t) = 10.0 + z(rng) + (t >= 20 ? 3.0 : 0.0);
  ev::StructuralOptions o;
  o.sampler.chains = 1;
  o.sampler.draws = 100;
  o.sampler.tune = 100;
  o.sampler.threads = 1;
  const auto a = ev::causal_impact(y, Eigen::MatrixXd(), 20, o);
  const auto b = ev::causal_impact(y, Eigen::MatrixXd(30, 0), 20, o);
  BOOST_TEST(a.average_effect == b.average_effect);
  BOOST_TEST(a.p_value > 0.0);
}
