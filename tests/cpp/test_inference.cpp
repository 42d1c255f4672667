// Tests of trustmix::inference on targets with known answers.
#include <boost/test/unit_test.hpp>

#include <trustmix/inference/inference.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ti = trustmix::inference;
namespace tt = boost::test_tools;

namespace {

// Largest |analytic - central difference| over the components of the gradient.
template <class T>
double gradient_error(const T& target, const Eigen::VectorXd& theta) {
  const Eigen::Index d = theta.size();
  Eigen::VectorXd g(d), scratch(d);
  (void)target.log_density_gradient(theta, g);
  double worst = 0.0;
  for (Eigen::Index j = 0; j < d; ++j) {
    const double h = 1e-6 * std::max(1.0, std::abs(theta[j]));
    Eigen::VectorXd xp = theta, xm = theta;
    xp[j] += h;
    xm[j] -= h;
    const double fd = (target.log_density_gradient(xp, scratch) - target.log_density_gradient(xm, scratch)) / (2.0 * h);
    worst = std::max(worst, std::abs(fd - g[j]) / std::max(1.0, std::abs(g[j])));
  }
  return worst;
}

Eigen::VectorXd random_point(Eigen::Index d, std::uint64_t seed, double scale = 1.0) {
  ti::ChainRng rng(seed, 99);
  Eigen::VectorXd x(d);
  for (Eigen::Index i = 0; i < d; ++i) x[i] = scale * rng.normal();
  return x;
}

ti::SampleResult run(const auto& target, int draws, int tune, std::uint64_t seed,
                     ti::MetricKind metric = ti::MetricKind::diagonal, int threads = 2, double target_accept = 0.8) {
  ti::SamplerOptions o;
  o.draws = draws;
  o.tune = tune;
  o.seed = seed;
  o.metric = metric;
  o.threads = threads;
  o.target_accept = target_accept;
  return ti::sample(target, o);
}

double pooled_var(const Eigen::MatrixXd& x) {
  return (x.array() - x.mean()).square().sum() / static_cast<double>(x.size() - 1);
}

// Sampling-phase gradient evaluations (leapfrog steps of kept iterations).
double sampling_gradients(const ti::SampleResult& r) {
  return std::accumulate(r.n_leapfrog.begin(), r.n_leapfrog.end(), 0.0);
}

// AR(1) chains x_t = phi x_{t-1} + sqrt(1 - phi^2) e_t, for diagnostics with known ESS.
Eigen::MatrixXd ar1_chains(int n, int m, double phi, std::uint64_t seed, double shift_per_chain = 0.0) {
  Eigen::MatrixXd x(n, m);
  for (int c = 0; c < m; ++c) {
    ti::ChainRng rng(seed, static_cast<std::uint64_t>(c));
    double v = rng.normal();
    for (int i = 0; i < n; ++i) {
      v = phi * v + std::sqrt(1.0 - phi * phi) * rng.normal();
      x(i, c) = v + shift_per_chain * c;
    }
  }
  return x;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(constraints)

BOOST_AUTO_TEST_CASE(transforms_match_finite_differences) {
  for (double u : {-3.0, -0.4, 0.0, 0.7, 2.5}) {
    const double h = 1e-6;
    auto check = [&](auto g) {
      const ti::Constrained c = g(u);
      const double dx = (g(u + h).value - g(u - h).value) / (2.0 * h);
      const double dlj = (g(u + h).log_jacobian - g(u - h).log_jacobian) / (2.0 * h);
      BOOST_TEST(c.derivative == dx, tt::tolerance(1e-7));
      BOOST_TEST(std::exp(c.log_jacobian) == std::abs(c.derivative), tt::tolerance(1e-12));
      BOOST_TEST(c.log_jacobian_gradient == dlj, tt::tolerance(1e-6));
    };
    check([](double v) { return ti::positive(v); });
    check([](double v) { return ti::positive(v, 2.0); });
    check([](double v) { return ti::unit_interval(v); });
    check([](double v) { return ti::bounded(v, -1.5, 4.0); });
  }
}

BOOST_AUTO_TEST_CASE(inverse_transforms_round_trip) {
  BOOST_TEST(ti::positive(ti::positive_unconstrain(3.5, 1.0), 1.0).value == 3.5, tt::tolerance(1e-14));
  BOOST_TEST(ti::unit_interval(ti::unit_interval_unconstrain(0.2)).value == 0.2, tt::tolerance(1e-14));
  BOOST_TEST(ti::bounded(ti::bounded_unconstrain(3.0, -1.5, 4.0), -1.5, 4.0).value == 3.0, tt::tolerance(1e-14));
  // Stable far in the tails: log|J| of the logit at u = -800 is about -800, not -inf.
  BOOST_TEST(ti::unit_interval(-800.0).log_jacobian == -800.0, tt::tolerance(1e-12));
  BOOST_CHECK_THROW((void)ti::positive_unconstrain(0.0), std::invalid_argument);
  BOOST_CHECK_THROW((void)ti::unit_interval_unconstrain(1.0), std::invalid_argument);
  BOOST_CHECK_THROW((void)ti::bounded_unconstrain(0.0, 1.0, 1.0), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(targets)

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  const Eigen::VectorXd scales = Eigen::VectorXd::LinSpaced(6, 0.5, 3.0);
  const ti::targets::CorrelatedGaussian gauss(Eigen::VectorXd::LinSpaced(6, -1.0, 1.0),
                                              ti::targets::CorrelatedGaussian::ar1_covariance(scales, 0.7));
  Eigen::MatrixXd x = Eigen::MatrixXd::Ones(30, 3);
  x.col(1) = random_point(30, 5);
  x.col(2) = random_point(30, 6);
  Eigen::VectorXd y(30);
  for (int i = 0; i < 30; ++i) y[i] = (x(i, 1) + 0.3 * x(i, 2) > 0.1) == (i % 7 != 0) ? 1.0 : 0.0;
  const ti::targets::LogisticRegression logistic(x, y, 2.5);
  for (std::uint64_t seed : {1U, 2U, 3U}) {
    BOOST_TEST(gradient_error(ti::targets::StandardNormal(7), random_point(7, seed)) < 1e-7);
    BOOST_TEST(gradient_error(gauss, random_point(6, seed)) < 1e-7);
    BOOST_TEST(gradient_error(ti::targets::GammaTarget(2.5, 1.5), random_point(1, seed)) < 1e-7);
    BOOST_TEST(gradient_error(ti::targets::BetaTarget(2.0, 5.0), random_point(1, seed)) < 1e-7);
    BOOST_TEST(gradient_error(ti::targets::Funnel(5), random_point(5, seed)) < 1e-6);
    BOOST_TEST(gradient_error(ti::targets::Funnel(5, true), random_point(5, seed)) < 1e-7);
    BOOST_TEST(gradient_error(ti::targets::EightSchools{}, random_point(10, seed)) < 1e-6);
    BOOST_TEST(gradient_error(logistic, random_point(3, seed)) < 1e-7);
  }
}

BOOST_AUTO_TEST_CASE(exact_hessians_match_finite_differences) {
  Eigen::MatrixXd x = Eigen::MatrixXd::Ones(20, 2);
  x.col(1) = random_point(20, 8);
  Eigen::VectorXd y(20);
  for (int i = 0; i < 20; ++i) y[i] = i % 3 == 0 ? 1.0 : 0.0;
  const ti::targets::LogisticRegression logistic(x, y, 3.0);
  // A wrapper without log_density_hessian forces the finite-difference path.
  struct GradientOnly {
    const ti::targets::LogisticRegression& t;
    [[nodiscard]] Eigen::Index dimension() const { return t.dimension(); }
    double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> b, Eigen::Ref<Eigen::VectorXd> g) const {
      return t.log_density_gradient(b, g);
    }
  };
  static_assert(ti::HessianTarget<ti::targets::LogisticRegression>);
  static_assert(!ti::HessianTarget<GradientOnly>);
  const Eigen::VectorXd beta = random_point(2, 4);
  bool exact = false;
  const Eigen::MatrixXd h_exact = ti::negative_hessian(logistic, beta, 1e-5, &exact);
  BOOST_TEST(exact);
  const Eigen::MatrixXd h_fd = ti::negative_hessian(GradientOnly{logistic}, beta, 1e-5, &exact);
  BOOST_TEST(!exact);
  BOOST_TEST((h_exact - h_fd).cwiseAbs().maxCoeff() < 1e-6 * h_exact.cwiseAbs().maxCoeff());
}

BOOST_AUTO_TEST_CASE(bad_arguments_name_the_parameter) {
  BOOST_CHECK_THROW(ti::targets::StandardNormal(0), std::invalid_argument);
  BOOST_CHECK_THROW(ti::targets::GammaTarget(-1.0, 1.0), std::invalid_argument);
  BOOST_CHECK_THROW(ti::targets::BetaTarget(1.0, 0.0), std::invalid_argument);
  BOOST_CHECK_THROW(ti::targets::Funnel(1), std::invalid_argument);
  Eigen::MatrixXd not_pd(2, 2);
  not_pd << 1.0, 2.0, 2.0, 1.0;
  BOOST_CHECK_THROW(ti::targets::CorrelatedGaussian(Eigen::VectorXd::Zero(2), not_pd), std::invalid_argument);
  BOOST_CHECK_THROW(ti::targets::LogisticRegression(Eigen::MatrixXd::Ones(3, 1), Eigen::VectorXd::Constant(3, 2.0)),
                    std::invalid_argument);
  try {
    (void)ti::targets::GammaTarget(2.0, -3.0);
    BOOST_FAIL("expected std::invalid_argument");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("rate") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(diagnostics)

BOOST_AUTO_TEST_CASE(ess_of_ar1_chains_matches_theory) {
  // ESS of an AR(1) chain is n (1 - phi) / (1 + phi).
  const Eigen::MatrixXd iid = ar1_chains(2000, 4, 0.0, 11);
  BOOST_TEST(ti::ess_bulk(iid) / 8000.0 == 1.0, tt::tolerance(0.1));
  BOOST_TEST(ti::ess_mean(iid) / 8000.0 == 1.0, tt::tolerance(0.1));
  const Eigen::MatrixXd ar = ar1_chains(4000, 4, 0.8, 12);
  const double expected = 16000.0 * 0.2 / 1.8;
  BOOST_TEST(ti::ess_bulk(ar) / expected == 1.0, tt::tolerance(0.15));
  BOOST_TEST(ti::ess_tail(ar) < ti::ess_tail(iid));
  BOOST_TEST(ti::rhat(ar) < 1.01);
  // The mcse of the mean is sd / sqrt(ESS).
  BOOST_TEST(ti::mcse_mean(ar) == std::sqrt(pooled_var(ar) / ti::ess_mean(ar)), tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(fft_autocovariance_matches_direct_sums) {
  Eigen::MatrixXd x = ar1_chains(777, 3, 0.99, 15);
  for (Eigen::Index c = 0; c < 3; ++c) x.col(c).array() -= x.col(c).mean();
  const Eigen::VectorXd fft = ti::detail::mean_autocovariance_fft(x);
  for (Eigen::Index t : {0, 1, 2, 65, 400, 776}) {
    double direct = 0.0;
    for (Eigen::Index c = 0; c < 3; ++c) direct += x.col(c).head(777 - t).dot(x.col(c).tail(777 - t));
    direct /= 3.0 * 777.0;
    BOOST_TEST(std::abs(fft[t] - direct) < 1e-12 * fft[0]);
  }
}

BOOST_AUTO_TEST_CASE(rhat_flags_chains_that_disagree) {
  const Eigen::MatrixXd shifted = ar1_chains(500, 4, 0.3, 13, 0.5);
  BOOST_TEST(ti::rhat(shifted) > 1.05);
  // Same location, different scale: only the folded (tail) R-hat sees it.
  Eigen::MatrixXd scaled = ar1_chains(1000, 4, 0.0, 14);
  scaled.col(0) *= 4.0;
  BOOST_TEST(ti::rhat(scaled) > 1.05);
}

BOOST_AUTO_TEST_CASE(rank_normalisation_and_split_by_hand) {
  Eigen::MatrixXd x(5, 1);
  x << 3.0, 1.0, 2.0, 2.0, 5.0;
  const Eigen::MatrixXd z = ti::detail::z_scale(x);
  // Ranks 4, 1, 2.5, 2.5, 5 -> Phi^{-1}((r - 3/8) / 5.25).
  BOOST_TEST(z(0, 0) == ti::detail::normal_quantile((4.0 - 0.375) / 5.25), tt::tolerance(1e-14));
  BOOST_TEST(z(2, 0) == z(3, 0));
  BOOST_TEST(z(1, 0) == ti::detail::normal_quantile(0.625 / 5.25), tt::tolerance(1e-14));
  BOOST_TEST(ti::detail::normal_quantile(0.975) == 1.959963984540054, tt::tolerance(1e-13));
  const Eigen::MatrixXd s = ti::detail::split_chains(x);
  BOOST_TEST(s.rows() == 2);
  BOOST_TEST(s.cols() == 2);
  BOOST_TEST(s(1, 1) == 5.0);
  Eigen::MatrixXd e(4, 1);
  e << 1.0, 3.0, 2.0, 6.0;
  // (4 + 1 + 16) / ((1-3)^2 + 0 + 1 + 9) = 21 / 14.
  BOOST_TEST(ti::ebfmi(e.col(0)) == 21.0 / 14.0, tt::tolerance(1e-14));
  const auto interval = ti::hdi(x, 0.5);  // k = floor(2.5) = 2: narrowest of [1,2], [2,3], [2,5]
  BOOST_TEST(interval.first == 1.0);
  BOOST_TEST(interval.second == 2.0);
  BOOST_CHECK_THROW((void)ti::rhat(Eigen::MatrixXd::Zero(3, 2)), std::invalid_argument);
}

namespace {

// The rank normalisation as it was before the table of normal scores: one normal
// quantile per distinct value, kept here as the reference the table must match exactly.
Eigen::MatrixXd reference_z_scale(const Eigen::MatrixXd& x) {
  const Eigen::Index s = x.size();
  std::vector<Eigen::Index> order(static_cast<std::size_t>(s));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  const double* data = x.data();
  std::stable_sort(order.begin(), order.end(), [data](Eigen::Index a, Eigen::Index b) { return data[a] < data[b]; });
  Eigen::MatrixXd z(x.rows(), x.cols());
  const auto total = static_cast<double>(s);
  std::size_t i = 0;
  while (i < order.size()) {
    std::size_t j = i;
    while (j + 1 < order.size() && data[order[j + 1]] == data[order[i]]) ++j;
    const double rank = 0.5 * (static_cast<double>(i) + static_cast<double>(j)) + 1.0;
    const double value = ti::detail::normal_quantile((rank - 0.375) / (total + 0.25));
    for (std::size_t k = i; k <= j; ++k) z.data()[order[k]] = value;
    i = j + 1;
  }
  return z;
}

double reference_rhat(const Eigen::MatrixXd& draws) {
  namespace td = ti::detail;
  const Eigen::MatrixXd split = td::split_chains(draws);
  const double bulk = td::rhat_columns(reference_z_scale(split));
  const double median = td::quantile_sorted(td::sorted_values(split), 0.5);
  const Eigen::MatrixXd folded = (split.array() - median).abs().matrix();
  return std::max(bulk, td::rhat_columns(reference_z_scale(folded)));
}

double reference_ess_bulk(const Eigen::MatrixXd& draws) {
  return ti::detail::ess_columns(reference_z_scale(ti::detail::split_chains(draws)));
}

}  // namespace

BOOST_AUTO_TEST_CASE(rank_normal_scores_table_is_bit_identical) {
  namespace td = ti::detail;
  // Without ties, with a few ties (rounded draws), with many ties (integers), odd chain
  // length (the split drops middle draws), and a badly mixing pair of chains.
  const Eigen::MatrixXd smooth = ar1_chains(1000, 4, 0.3, 21);
  const Eigen::MatrixXd some_ties = (ar1_chains(1000, 4, 0.3, 22).array() * 100.0).round().matrix();
  const Eigen::MatrixXd many_ties = (ar1_chains(999, 4, 0.5, 23).array() * 2.0).round().matrix();
  const Eigen::MatrixXd odd = ar1_chains(257, 3, 0.9, 24, 0.5);
  for (const Eigen::MatrixXd* x : {&smooth, &some_ties, &many_ties, &odd}) {
    const std::vector<double> table = td::rank_normal_scores(x->size());
    BOOST_TEST(table.size() == static_cast<std::size_t>(x->size()));
    const Eigen::MatrixXd expected = reference_z_scale(*x);
    const Eigen::MatrixXd with_table = td::z_scale(*x, table);
    const Eigen::MatrixXd without_table = td::z_scale(*x);
    BOOST_TEST((with_table.array() == expected.array()).all());
    BOOST_TEST((without_table.array() == expected.array()).all());
    const double rhat_ref = reference_rhat(*x);
    const double ess_ref = reference_ess_bulk(*x);
    BOOST_TEST(ti::rhat(*x) == rhat_ref);
    BOOST_TEST(ti::ess_bulk(*x) == ess_ref);
    const std::vector<double> split_table = td::rank_normal_scores(td::split_size(x->rows(), x->cols()));
    BOOST_TEST(td::rhat_scored(*x, split_table) == rhat_ref);
    BOOST_TEST(td::ess_bulk_scored(*x, split_table) == ess_ref);
  }
  // The table's length must be the number of draws.
  BOOST_CHECK_THROW((void)td::z_scale(smooth, td::rank_normal_scores(10)), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(nuts)

BOOST_AUTO_TEST_CASE(standard_normal_in_1_10_100_dimensions) {
  for (Eigen::Index d : {1, 10, 100}) {
    const ti::SampleResult r = run(ti::targets::StandardNormal(d), 1000, 1000, static_cast<std::uint64_t>(d));
    BOOST_TEST(r.usable_draws() == 1000);
    const auto rows = ti::summarize(r);
    for (const auto& s : rows) {
      BOOST_TEST(std::abs(s.mean) < 5.0 * s.mcse_mean);
      BOOST_TEST(s.mcse_mean < 0.03);
      BOOST_TEST(s.sd * s.sd == 1.0, tt::tolerance(0.1));
      BOOST_TEST(s.r_hat < 1.01);
      BOOST_TEST(s.ess_bulk > 1000.0);  // 4000 draws; NUTS is near-independent here
      BOOST_TEST(s.ess_tail > 1000.0);
    }
    const auto checks = ti::check_sampler(r);
    BOOST_TEST(checks.divergences == 0);
    BOOST_TEST(ti::diagnose(r, rows, checks).empty());
    double accept = 0.0;
    for (double a : r.accept_stat) accept += a;
    BOOST_TEST(accept / static_cast<double>(r.accept_stat.size()) > 0.7);
  }
}

BOOST_AUTO_TEST_CASE(correlated_gaussian_covariance_and_dense_metric) {
  const Eigen::Index d = 10;
  const Eigen::VectorXd scales = Eigen::VectorXd::LinSpaced(d, 0.5, 5.0);
  const Eigen::MatrixXd cov = ti::targets::CorrelatedGaussian::ar1_covariance(scales, 0.9);
  const Eigen::VectorXd mean = Eigen::VectorXd::LinSpaced(d, -2.0, 2.0);
  const ti::targets::CorrelatedGaussian target(mean, cov);
  const ti::SampleResult dense = run(target, 1000, 1000, 21, ti::MetricKind::dense);
  const ti::SampleResult diag = run(target, 1000, 1000, 21, ti::MetricKind::diagonal);
  // Sample covariance of the pooled dense-metric draws.
  const int n = dense.usable_draws() * dense.chains;
  Eigen::MatrixXd all(n, d);
  for (Eigen::Index j = 0; j < d; ++j) all.col(j) = dense.parameter_draws(j).reshaped();
  const Eigen::RowVectorXd m = all.colwise().mean();
  const Eigen::MatrixXd centred = all.rowwise() - m;
  const Eigen::MatrixXd sample_cov = centred.transpose() * centred / static_cast<double>(n - 1);
  for (Eigen::Index i = 0; i < d; ++i) {
    BOOST_TEST(std::abs(m[i] - mean[i]) < 0.1 * scales[i]);
    for (Eigen::Index j = 0; j < d; ++j) BOOST_TEST(std::abs(sample_cov(i, j) - cov(i, j)) < 0.1 * scales[i] * scales[j]);
  }
  auto min_ess_per_gradient = [](const ti::SampleResult& r) {
    double worst = 1e300;
    for (const auto& s : ti::summarize(r)) worst = std::min(worst, s.ess_bulk);
    return worst / sampling_gradients(r);
  };
  const double dense_eff = min_ess_per_gradient(dense);
  const double diag_eff = min_ess_per_gradient(diag);
  BOOST_TEST_MESSAGE("min ESS per gradient: dense " << dense_eff << ", diagonal " << diag_eff);
  BOOST_TEST(dense_eff > 2.0 * diag_eff);
  for (const auto& s : ti::summarize(dense)) BOOST_TEST(s.r_hat < 1.01);
  // The adapted dense inverse metric approximates the covariance.
  BOOST_TEST((dense.inverse_metric[0] - cov).norm() / cov.norm() < 0.25);
}

BOOST_AUTO_TEST_CASE(merged_subtree_checks_do_not_cut_trajectories_short) {
  // Regression: comparing the wrong end momenta across merged sub-trees stopped
  // trajectories early; on this target that gave min bulk ESS 450-800 of 4000 draws
  // (seeds 10-12), the correct bookkeeping (Stan's) gives 940-1000.
  const ti::targets::CorrelatedGaussian target(
      Eigen::VectorXd::Zero(10), ti::targets::CorrelatedGaussian::ar1_covariance(Eigen::VectorXd::Ones(10), 0.9));
  for (std::uint64_t seed : {10U, 11U, 12U}) {
    const ti::SampleResult r = run(target, 1000, 1000, seed);
    double worst = 1e300;
    for (const auto& s : ti::summarize(r)) worst = std::min(worst, s.ess_bulk);
    BOOST_TEST(worst > 880.0);
  }
}

BOOST_AUTO_TEST_CASE(gamma_and_beta_moments_through_transforms) {
  {
    const double a = 2.5, b = 1.5;  // mean a/b, variance a/b^2
    const ti::SampleResult r = run(ti::targets::GammaTarget(a, b), 2000, 1000, 31);
    const auto s = ti::summarize(r)[0];
    BOOST_TEST(std::abs(s.mean - a / b) < 5.0 * s.mcse_mean);
    BOOST_TEST(s.sd * s.sd == a / (b * b), tt::tolerance(0.08));
    BOOST_TEST(s.r_hat < 1.01);
    BOOST_TEST(r.parameter_draws(0).minCoeff() > 0.0);
  }
  {
    const double a = 2.0, b = 5.0;  // mean a/(a+b), variance ab/((a+b)^2 (a+b+1))
    const ti::SampleResult r = run(ti::targets::BetaTarget(a, b), 2000, 1000, 32);
    const auto s = ti::summarize(r)[0];
    BOOST_TEST(std::abs(s.mean - a / (a + b)) < 5.0 * s.mcse_mean);
    BOOST_TEST(s.sd * s.sd == a * b / ((a + b) * (a + b) * (a + b + 1.0)), tt::tolerance(0.08));
    const Eigen::MatrixXd x = r.parameter_draws(0);
    BOOST_TEST(x.minCoeff() > 0.0);
    BOOST_TEST(x.maxCoeff() < 1.0);
  }
}

BOOST_AUTO_TEST_CASE(funnel_reports_divergences_and_warns) {
  const ti::SampleResult r = run(ti::targets::Funnel(10), 1000, 1000, 41);
  const auto rows = ti::summarize(r);
  const auto checks = ti::check_sampler(r);
  BOOST_TEST(checks.divergences > 0);
  const auto warnings = ti::diagnose(r, rows, checks);
  bool divergence_warning = false;
  for (const auto& w : warnings) divergence_warning |= w.find("divergent") != std::string::npos;
  BOOST_TEST(divergence_warning);
  // The non-centred parameterisation removes the divergences and recovers v ~ N(0, 3^2).
  const ti::SampleResult nc = run(ti::targets::Funnel(10, true), 1000, 1000, 41);
  BOOST_TEST(ti::check_sampler(nc).divergences == 0);
  const auto v = ti::summarize(nc)[0];
  BOOST_TEST(std::abs(v.mean) < 5.0 * v.mcse_mean);
  BOOST_TEST(v.sd == 3.0, tt::tolerance(0.1));
  BOOST_TEST(v.r_hat < 1.01);
}

BOOST_AUTO_TEST_CASE(eight_schools_non_centred) {
  const ti::SampleResult r = run(ti::targets::EightSchools{}, 1000, 1000, 51, ti::MetricKind::diagonal, 2, 0.9);
  const auto rows = ti::summarize(r);
  // Reference posterior means (long Stan runs of this model): mu ~ 4.4, tau ~ 3.6.
  BOOST_TEST(std::abs(rows[0].mean - 4.4) < 5.0 * rows[0].mcse_mean + 0.1);
  BOOST_TEST(std::abs(rows[1].mean - 3.6) < 5.0 * rows[1].mcse_mean + 0.1);
  for (const auto& s : rows) BOOST_TEST(s.r_hat < 1.01);
}

BOOST_AUTO_TEST_CASE(bit_identical_for_any_thread_count) {
  const ti::targets::EightSchools target;
  const ti::SampleResult one = run(target, 200, 200, 61, ti::MetricKind::diagonal, 1);
  const ti::SampleResult three = run(target, 200, 200, 61, ti::MetricKind::diagonal, 3);
  const ti::SampleResult four = run(target, 200, 200, 61, ti::MetricKind::diagonal, 4);
  BOOST_TEST((one.values == three.values));
  BOOST_TEST((one.values == four.values));
  BOOST_TEST((one.energy == four.energy));
  BOOST_TEST((one.n_leapfrog == four.n_leapfrog));
  const ti::SampleResult other_seed = run(target, 200, 200, 62, ti::MetricKind::diagonal, 1);
  BOOST_TEST((one.values != other_seed.values));
}

BOOST_AUTO_TEST_CASE(stop_flag_keeps_draws_so_far) {
  ti::SamplerOptions o;
  o.draws = 1'000'000;
  o.tune = 100;
  o.chains = 1;
  o.seed = 71;
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> done{0};
  o.stop = &stop;
  o.iterations_done = &done;
  std::thread stopper([&] {
    while (done.load() < 1000) std::this_thread::yield();
    stop.store(true);
  });
  const ti::SampleResult r = ti::sample(ti::targets::StandardNormal(3), o);
  stopper.join();
  BOOST_TEST(r.interrupted);
  BOOST_TEST(r.usable_draws() > 0);
  BOOST_TEST(r.usable_draws() < 1'000'000);
  BOOST_TEST(std::isfinite(r.parameter_draws(0).sum()));
}

// A model defined outside the library, as the trust-linked MMM will define its own:
// sigma ~ LogNormal(0, 0.5) sampled as log sigma through the positive() transform.
struct UserLogNormal {
  [[nodiscard]] Eigen::Index dimension() const { return 1; }
  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> u, Eigen::Ref<Eigen::VectorXd> g) const {
    const ti::Constrained sigma = ti::positive(u[0]);
    const double log_sigma = std::log(sigma.value);
    // log p(sigma) = -log sigma - (log sigma)^2 / (2 * 0.25); d/dsigma = -(1 + 4 log sigma) / sigma.
    g[0] = -(1.0 + 4.0 * log_sigma) / sigma.value * sigma.derivative + sigma.log_jacobian_gradient;
    return -log_sigma - 2.0 * log_sigma * log_sigma + sigma.log_jacobian;
  }
  [[nodiscard]] Eigen::Index constrained_dimension() const { return 1; }
  void constrain(Eigen::Ref<const Eigen::VectorXd> u, Eigen::Ref<Eigen::VectorXd> out) const { out[0] = std::exp(u[0]); }
  [[nodiscard]] std::vector<std::string> parameter_names() const { return {"sigma"}; }
};

BOOST_AUTO_TEST_CASE(user_defined_target_plugs_in) {
  static_assert(ti::Target<UserLogNormal> && ti::ConstrainedTarget<UserLogNormal> && ti::NamedTarget<UserLogNormal>);
  BOOST_TEST(gradient_error(UserLogNormal{}, random_point(1, 3)) < 1e-7);
  const ti::SampleResult r = ti::sample(UserLogNormal{}, {.chains = 4, .draws = 2000, .seed = 5});
  const auto s = ti::summarize(r)[0];
  BOOST_TEST(s.name == "sigma");
  // LogNormal(0, 0.5): mean exp(0.125), median 1.
  BOOST_TEST(std::abs(s.mean - std::exp(0.125)) < 5.0 * s.mcse_mean);
  BOOST_TEST(s.q50 == 1.0, tt::tolerance(0.03));
}

BOOST_AUTO_TEST_CASE(bad_options_are_rejected) {
  ti::SamplerOptions o;
  o.chains = 0;
  BOOST_CHECK_THROW((void)ti::sample(ti::targets::StandardNormal(2), o), std::invalid_argument);
  o.chains = 2;
  o.target_accept = 1.0;
  BOOST_CHECK_THROW((void)ti::sample(ti::targets::StandardNormal(2), o), std::invalid_argument);
  o.target_accept = 0.8;
  o.initial_values = Eigen::MatrixXd::Zero(3, 2);
  BOOST_CHECK_THROW((void)ti::sample(ti::targets::StandardNormal(2), o), std::invalid_argument);
  o.initial_values = Eigen::MatrixXd();
  o.initial_inverse_metric = Eigen::VectorXd::Ones(3);  // wrong dimension
  BOOST_CHECK_THROW((void)ti::sample(ti::targets::StandardNormal(2), o), std::invalid_argument);
  o.initial_inverse_metric = Eigen::Vector2d(1.0, 0.0);  // not positive
  BOOST_CHECK_THROW((void)ti::sample(ti::targets::StandardNormal(2), o), std::invalid_argument);
  o.initial_inverse_metric = Eigen::Matrix2d{{1.0, 0.5}, {0.4, 1.0}};  // not symmetric
  BOOST_CHECK_THROW((void)ti::sample(ti::targets::StandardNormal(2), o), std::invalid_argument);
  o.metric = ti::MetricKind::dense;
  o.initial_inverse_metric = Eigen::Matrix2d{{1.0, 2.0}, {2.0, 1.0}};  // not positive definite
  BOOST_CHECK_THROW((void)ti::sample(ti::targets::StandardNormal(2), o), std::invalid_argument);
  o.initial_inverse_metric = Eigen::MatrixXd();
  o.term_buffer = -1;
  BOOST_CHECK_THROW((void)ti::sample(ti::targets::StandardNormal(2), o), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(initial_inverse_metric_is_used_and_adapted) {
  // A warm-up shorter than 20 iterations adapts the step size only: the metric stays what
  // was given (diagonal: a vector or a matrix's diagonal, reported as a column; dense:
  // the matrix), and the draws have the target's moments.
  const Eigen::VectorXd mean = Eigen::VectorXd::LinSpaced(3, -1.0, 1.0);
  const Eigen::MatrixXd cov = ti::targets::CorrelatedGaussian::ar1_covariance(Eigen::Vector3d(0.5, 2.0, 8.0), 0.5);
  const ti::targets::CorrelatedGaussian target(mean, cov);
  ti::SamplerOptions o{.chains = 2, .draws = 3000, .tune = 19, .seed = 11};
  o.initial_inverse_metric = cov;
  for (const auto kind : {ti::MetricKind::diagonal, ti::MetricKind::dense}) {
    o.metric = kind;
    const ti::SampleResult r = ti::sample(target, o);
    const Eigen::MatrixXd want = kind == ti::MetricKind::dense ? cov : Eigen::MatrixXd(cov.diagonal());
    for (int c = 0; c < 2; ++c)
      BOOST_TEST((r.inverse_metric[static_cast<std::size_t>(c)] - want).cwiseAbs().maxCoeff() == 0.0);
    const auto rows = ti::summarize(r);
    for (Eigen::Index i = 0; i < 3; ++i) {
      const auto& s = rows[static_cast<std::size_t>(i)];
      BOOST_TEST(std::abs(s.mean - mean[i]) < 5.0 * s.mcse_mean);
      BOOST_TEST(s.sd == std::sqrt(cov(i, i)), tt::tolerance(0.1));
    }
  }
  // With a full warm-up the windows replace it by the estimated covariance.
  o.metric = ti::MetricKind::diagonal;
  o.tune = 500;
  o.initial_inverse_metric = Eigen::VectorXd::Constant(3, 1e4);  // 150-40000 times too wide
  const ti::SampleResult r = ti::sample(target, o);
  for (Eigen::Index i = 0; i < 3; ++i) {  // the last window's estimate, within sampling error
    BOOST_TEST(r.inverse_metric[0](i, 0) > 0.5 * cov(i, i));
    BOOST_TEST(r.inverse_metric[0](i, 0) < 2.0 * cov(i, i));
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(map_laplace)

BOOST_AUTO_TEST_CASE(quadratic_mode_and_covariance_are_exact) {
  const Eigen::VectorXd mean = Eigen::VectorXd::LinSpaced(5, -3.0, 7.0);
  const Eigen::MatrixXd cov = ti::targets::CorrelatedGaussian::ar1_covariance(Eigen::VectorXd::LinSpaced(5, 1.0, 3.0), 0.6);
  const ti::MapResult r = ti::map(ti::targets::CorrelatedGaussian(mean, cov));
  BOOST_TEST(r.converged);
  BOOST_TEST((r.mode - mean).cwiseAbs().maxCoeff() < 1e-6);
  BOOST_TEST(r.exact_hessian);
  BOOST_TEST((r.covariance - cov).cwiseAbs().maxCoeff() < 1e-10);
}

BOOST_AUTO_TEST_CASE(logistic_regression_matches_newton_reference) {
  const int n = 200;
  Eigen::MatrixXd x(n, 3);
  Eigen::VectorXd y(n);
  ti::ChainRng rng(81, 0);
  const Eigen::Vector3d truth(-0.5, 1.2, -0.8);
  for (int i = 0; i < n; ++i) {
    x.row(i) << 1.0, rng.normal(), rng.normal();
    y[i] = rng.uniform() < ti::inv_logit(x.row(i).dot(truth)) ? 1.0 : 0.0;
  }
  const double s = 5.0;
  // Reference: Newton-Raphson on the penalised log likelihood, written out here.
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(3);
  for (int it = 0; it < 50; ++it) {
    const Eigen::VectorXd p = (x * beta).unaryExpr([](double e) { return ti::inv_logit(e); });
    const Eigen::VectorXd g = x.transpose() * (y - p) - beta / (s * s);
    Eigen::MatrixXd h = x.transpose() * (p.array() * (1.0 - p.array())).matrix().asDiagonal() * x;
    h.diagonal().array() += 1.0 / (s * s);
    beta += h.ldlt().solve(g);
  }
  ti::MapOptions options;
  options.laplace_draws = 4000;
  options.seed = 3;
  const ti::MapResult r = ti::map(ti::targets::LogisticRegression(x, y, s), options);
  BOOST_TEST(r.converged);
  BOOST_TEST((r.mode - beta).cwiseAbs().maxCoeff() < 1e-6);
  // Laplace draws have the Laplace covariance (sampling error ~ sqrt(2/4000) relative).
  const Eigen::RowVectorXd m = r.draws.colwise().mean();
  const Eigen::MatrixXd c = r.draws.rowwise() - m;
  const Eigen::MatrixXd draw_cov = c.transpose() * c / 3999.0;
  for (Eigen::Index i = 0; i < 3; ++i) {
    BOOST_TEST(std::abs(m[i] - beta[i]) < 4.0 * std::sqrt(r.covariance(i, i) / 4000.0));
    BOOST_TEST(draw_cov(i, i) == r.covariance(i, i), tt::tolerance(0.1));
  }
}

namespace {
/// log p(x) = x on x < 1, -infinity beyond: the supremum is not attained, so the line
/// search keeps running into the edge of the support.
struct EdgeTarget {
  [[nodiscard]] Eigen::Index dimension() const { return 1; }
  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> g) const {
    g[0] = 1.0;
    return x[0] < 1.0 ? x[0] : -std::numeric_limits<double>::infinity();
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(map_returns_the_best_point_inside_the_support) {
  ti::MapOptions options;
  options.laplace = false;
  const ti::MapResult r = ti::map(EdgeTarget{}, options);
  BOOST_TEST(std::isfinite(r.log_density));
  BOOST_TEST(r.mode[0] < 1.0);
  BOOST_TEST(r.log_density == r.mode[0]);
  BOOST_TEST(!r.converged);  // the gradient is 1 everywhere
}

BOOST_AUTO_TEST_CASE(laplace_covariance_at_a_point) {
  // Gaussian: the Laplace covariance is the covariance at any point; the logistic
  // regression's equals map()'s at its mode; a flat direction has none.
  const Eigen::VectorXd mean = Eigen::VectorXd::LinSpaced(4, -1.0, 2.0);
  const Eigen::MatrixXd cov = ti::targets::CorrelatedGaussian::ar1_covariance(Eigen::VectorXd::LinSpaced(4, 0.5, 2.0), 0.7);
  const ti::targets::CorrelatedGaussian g(mean, cov);
  BOOST_TEST((ti::laplace_covariance(g, Eigen::VectorXd::Constant(4, 0.3)) - cov).cwiseAbs().maxCoeff() < 1e-6);
  ti::ChainRng rng(5, 0);
  Eigen::MatrixXd x(50, 2);
  Eigen::VectorXd y(50);
  for (int i = 0; i < 50; ++i) {
    x.row(i) << 1.0, rng.normal();
    y[i] = rng.uniform() < ti::inv_logit(0.3 + x(i, 1)) ? 1.0 : 0.0;
  }
  const ti::targets::LogisticRegression lr(x, y, 3.0);
  const ti::MapResult r = ti::map(lr);
  BOOST_TEST((ti::laplace_covariance(lr, r.mode) - r.covariance).cwiseAbs().maxCoeff() < 1e-12);
  BOOST_TEST(ti::laplace_covariance(EdgeTarget{}, Eigen::VectorXd::Zero(1)).size() == 0);
}

BOOST_AUTO_TEST_CASE(gamma_mode_on_unconstrained_scale) {
  // log p(u) = a u - b e^u has its mode at u = log(a / b) and -d2/du2 = a there.
  const ti::MapResult r = ti::map(ti::targets::GammaTarget(3.0, 2.0));
  BOOST_TEST(r.converged);
  BOOST_TEST(r.mode[0] == std::log(1.5), tt::tolerance(1e-7));
  BOOST_TEST(r.reported_mode[0] == 1.5, tt::tolerance(1e-7));
  BOOST_TEST(!r.exact_hessian);
  BOOST_TEST(r.hessian(0, 0) == 3.0, tt::tolerance(1e-6));
}

BOOST_AUTO_TEST_SUITE_END()

namespace {
/// log p(x) = -sum_i ln(1 + x_i^2): one mode at 0, concave only for |x_i| < 1.
struct CauchyLike {
  [[nodiscard]] Eigen::Index dimension() const { return 2; }
  double log_density_gradient(Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<Eigen::VectorXd> g) const {
    double lp = 0.0;
    for (Eigen::Index i = 0; i < 2; ++i) {
      lp -= std::log1p(x[i] * x[i]);
      g[i] = -2.0 * x[i] / (1.0 + x[i] * x[i]);
    }
    return lp;
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(map_restarts_after_a_line_search_stop) {
  // From x = (3, 3) LBFGS++'s first step (length 1 along the gradient) reaches (2.29, 2.29):
  // the Armijo condition holds but -log p is concave there, so s'y < 0, the L-BFGS
  // direction that follows points uphill and LBFGS++ throws ("the moving direction
  // increases the objective function value"). Without restarts map() stops there; with
  // them (the default) it restarts with a strong Wolfe line search and reaches the mode 0.
  ti::MapOptions o;
  o.initial_values = Eigen::VectorXd::Constant(2, 3.0);
  o.laplace = false;
  o.line_search_restarts = 0;
  const auto stuck = ti::map(CauchyLike{}, o);
  BOOST_TEST(!stuck.converged);
  BOOST_TEST(stuck.message.find("line search stopped") != std::string::npos);
  BOOST_TEST(stuck.restarts == 0);
  o.line_search_restarts = 5;
  const auto r = ti::map(CauchyLike{}, o);
  BOOST_TEST(r.converged, r.message);
  BOOST_TEST(r.restarts >= 1);
  BOOST_TEST(r.mode.cwiseAbs().maxCoeff() < 1e-3);
  BOOST_TEST(r.message.find("restart") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(max_iterations_is_one_budget_over_the_restarts) {
  // From (3, 3) the first run stops in its line search after 2 evaluations (which count
  // as 2 iterations, an upper bound); with max_iterations = 3 the restart gets the 1
  // iteration that is left (each run got the full limit before: up to 6 x the limit).
  ti::MapOptions o;
  o.initial_values = Eigen::VectorXd::Constant(2, 3.0);
  o.laplace = false;
  o.max_iterations = 3;
  const auto r = ti::map(CauchyLike{}, o);
  BOOST_TEST(r.restarts == 1);
  BOOST_TEST(r.iterations == 1);
  BOOST_TEST(!r.converged);
  // the message describes the whole run, not only the last one
  BOOST_TEST(r.message.find("2 run(s)") != std::string::npos, r.message);
  BOOST_TEST(r.message.find("run 1: line search stopped") != std::string::npos, r.message);
  BOOST_TEST(r.message.find("run 2: maximum number of iterations reached") != std::string::npos, r.message);
  BOOST_TEST(r.message.find("at most 3 of 3 iterations spent") != std::string::npos, r.message);
  // A target whose every line search stops at once (one trial allowed): each run spends
  // 2 evaluations, so a budget of 10 allows 5 runs and 10 evaluations, not 6 runs and 12.
  ti::MapOptions e;
  e.laplace = false;
  e.max_iterations = 10;
  e.max_linesearch = 1;
  const auto s = ti::map(map_laplace::EdgeTarget{}, e);
  BOOST_TEST(s.evaluations <= e.max_iterations);
  BOOST_TEST(s.restarts == 4);
  BOOST_TEST(s.message.find("iteration budget spent") != std::string::npos, s.message);
  BOOST_TEST(s.message.find("5 run(s)") != std::string::npos, s.message);
  // With budget to spare the restarts still reach the mode (the test above).
  o.max_iterations = 100;
  const auto ok = ti::map(CauchyLike{}, o);
  BOOST_TEST(ok.converged, ok.message);
  BOOST_TEST(ok.message.find("at most 7 of 100 iterations spent") != std::string::npos, ok.message);
}
