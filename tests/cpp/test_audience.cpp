// trustmix::audience: latent classes (anchored on poLCA's published examples), the EM's
// monotone log-likelihood, the score against finite differences, recovery of simulated
// truth, BCH, the bootstrap LRT, personas as Audience, and reach and frequency closed forms.
#include <boost/test/unit_test.hpp>

#include <trustmix/audience/audience.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "check.hpp"

namespace ta = trustmix::audience;

namespace {

/// A survey of binary items from response patterns ("1211212", codes 1/2 as in poLCA)
/// and their counts (as frequency weights).
ta::Survey from_patterns(const std::vector<std::pair<std::string, double>>& patterns) {
  ta::Survey s;
  const auto J = static_cast<Eigen::Index>(patterns.front().first.size());
  s.items.resize(static_cast<Eigen::Index>(patterns.size()), J);
  s.weights.resize(static_cast<Eigen::Index>(patterns.size()));
  for (std::size_t r = 0; r < patterns.size(); ++r) {
    for (Eigen::Index j = 0; j < J; ++j)
      s.items(static_cast<Eigen::Index>(r),
              j) = static_cast<std::uint8_t>(patterns[r].first[static_cast<std::size_t>(j)] - '1');
    s.weights[static_cast<Eigen::Index>(r)] = patterns[r].second;
  }
  s.categories.assign(static_cast<std::size_t>(J), 2);
  return s;
}

/// poLCA's `carcinoma` (Agresti 2002, Table 13.1): 118 slides rated by 7 pathologists,
/// 1 = no, 2 = yes. Built here from Landis & Koch's (1977) 5-point ratings as
/// dichotomised by Agresti (1-2 = no, 3-5 = yes); the file is in tests/data/audience.
ta::Survey carcinoma() {
  return from_patterns({{"1111111", 34}, {"1111211", 2},  {"1211111", 6}, {"1211112", 1},  {"1211211", 4},
                        {"1211212", 5},  {"2111111", 2},  {"2121212", 1}, {"2211111", 2},  {"2211112", 1},
                        {"2211211", 2},  {"2211212", 7},  {"2211222", 1}, {"2212112", 1},  {"2212212", 2},
                        {"2212222", 3},  {"2221212", 13}, {"2221222", 5}, {"2222212", 10}, {"2222222", 16}});
}

/// poLCA's `values` (Stouffer & Toby 1951; Goodman 1974, 2002 Table 4): 216 respondents,
/// four dichotomous items.
ta::Survey values() {
  return from_patterns({{"1111", 42},
                        {"1112", 23},
                        {"1121", 6},
                        {"1122", 25},
                        {"1211", 6},
                        {"1212", 24},
                        {"1221", 7},
                        {"1222", 38},
                        {"2111", 1},
                        {"2112", 4},
                        {"2121", 1},
                        {"2122", 6},
                        {"2211", 2},
                        {"2212", 9},
                        {"2221", 2},
                        {"2222", 20}});
}

ta::LatentClassFit fit(const ta::Survey& s, int K, int starts, std::uint64_t seed = 1, int threads = 0) {
  ta::LatentClassOptions o;
  o.classes = K;
  o.starts = starts;
  o.seed = seed;
  o.threads = threads;
  o.max_iterations = 20000;
  o.tolerance = 1e-12;
  return ta::fit_latent_classes(s, o);
}

/// A 3-class truth with 8 items (2-4 categories), two Gaussian indicators and one covariate.
ta::LatentClassModel mixed_truth(ta::Covariance cov) {
  ta::LatentClassModel m;
  m.classes = 3;
  m.categories = {2, 3, 2, 4, 2, 3, 2, 2};
  m.covariance = cov;
  const double base[3][4] = {{0.8, 0.1, 0.05, 0.05}, {0.2, 0.6, 0.1, 0.1}, {0.1, 0.2, 0.3, 0.4}};
  for (std::size_t j = 0; j < m.categories.size(); ++j) {
    const int C = m.categories[j];
    Eigen::MatrixXd th(3, C);
    for (int k = 0; k < 3; ++k) {
      for (int c = 0; c < C; ++c) th(k, c) = base[(static_cast<std::size_t>(k) + j) % 3][c] + 0.05;
      th.row(k) /= th.row(k).sum();
    }
    m.item_probabilities.push_back(th);
  }
  m.means.resize(3, 2);
  m.means << 0.0, 1.0, 2.0, -1.0, -1.5, 0.5;
  for (int k = 0; k < 3; ++k) {
    Eigen::MatrixXd S(2, 2);
    S << 1.0 + 0.2 * k, cov == ta::Covariance::full ? 0.3 : 0.0, cov == ta::Covariance::full ? 0.3 : 0.0, 0.8;
    m.covariances.push_back(S);
  }
  m.beta = Eigen::MatrixXd::Zero(2, 3);
  m.beta << 0.0, 0.3, -0.2, 0.0, 0.8, -0.6;
  return m;
}

/// n respondents shaped for mixed_truth: a covariate, weights, ~10% answers missing.
ta::Survey mixed_shape(Eigen::Index n, bool missing, std::uint64_t seed) {
  trustmix::inference::ChainRng rng(seed, 99);
  ta::Survey s;
  s.categories = {2, 3, 2, 4, 2, 3, 2, 2};
  s.items = ta::CodeMatrix::Zero(n, 8);
  s.gaussian = ta::RowMatrixXd::Zero(n, 2);
  s.covariates.resize(n, 1);
  s.weights.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    s.covariates(i, 0) = rng.normal();
    s.weights[i] = 0.5 + rng.uniform();
    if (!missing) continue;
    for (Eigen::Index j = 0; j < 8; ++j)
      if (rng.uniform() < 0.1) s.items(i, j) = ta::missing_code;
    if (rng.uniform() < 0.1) s.gaussian(i, 1) = std::nan("");
  }
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(latent_classes)

// poLCA's man/carcinoma.Rd: log-likelihoods -317.2568 (2 classes), -293.705 (3), -289.2858 (4).
BOOST_AUTO_TEST_CASE(polca_carcinoma) {
  const auto s = carcinoma();
  BOOST_TEST(fit(s, 2, 10).log_likelihood == -317.2568, boost::test_tools::tolerance(2e-7));
  BOOST_TEST(fit(s, 3, 20).log_likelihood == -293.705, boost::test_tools::tolerance(2e-6));
  const auto f4 = fit(s, 4, 40);
  BOOST_TEST(f4.log_likelihood == -289.2858, boost::test_tools::tolerance(2e-7));
  BOOST_TEST(f4.starts_at_best >= 2);
}

// poLCA's man/values.Rd (Goodman 2002, Tables 5b, 5c, 6): -543.6498, -504.4677, -503.3011.
BOOST_AUTO_TEST_CASE(polca_values) {
  const auto s = values();
  BOOST_TEST(fit(s, 1, 1).log_likelihood == -543.6498, boost::test_tools::tolerance(2e-7));
  const auto f2 = fit(s, 2, 10);
  BOOST_TEST(f2.log_likelihood == -504.4677, boost::test_tools::tolerance(2e-7));
  BOOST_TEST(fit(s, 3, 20).log_likelihood == -503.3011, boost::test_tools::tolerance(2e-7));
  // Goodman's 2-class model: the larger class (~72%) mostly answers "particularistic".
  BOOST_TEST(f2.class_shares[0] > f2.class_shares[1]);
  BOOST_TEST(f2.class_shares.sum() == 1.0, boost::test_tools::tolerance(1e-12));
  // 4 classes need 4*4 + 3 = 19 parameters; 4 binary items give 15 cells.
  BOOST_CHECK_EXCEPTION(fit(s, 4, 2), std::invalid_argument, [](const std::invalid_argument& e) {
    return std::string(e.what()).find("not identified (use at most 3 classes)") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(em_log_likelihood_never_decreases) {
  const auto truth = mixed_truth(ta::Covariance::diagonal);
  const auto s = ta::simulate_survey(truth, mixed_shape(800, true, 3), 5);
  ta::LatentClassOptions o;
  o.classes = 3;
  o.starts = 4;
  o.seed = 2;
  const auto f = ta::fit_latent_classes(s, o);
  BOOST_REQUIRE(f.log_likelihood_trace.size() > 10);
  for (std::size_t t = 1; t < f.log_likelihood_trace.size(); ++t)
    BOOST_TEST(f.log_likelihood_trace[t] >= f.log_likelihood_trace[t - 1] - 1e-9 * std::abs(f.log_likelihood_trace[t]));
  BOOST_TEST(f.converged);
}

BOOST_AUTO_TEST_CASE(score_matches_finite_differences) {
  for (const auto cov : {ta::Covariance::diagonal, ta::Covariance::full}) {
    const auto truth = mixed_truth(cov);
    const auto s = ta::simulate_survey(truth, mixed_shape(300, cov == ta::Covariance::diagonal, 7), 11);
    // Away from the optimum: the truth itself.
    const Eigen::VectorXd theta = ta::pack_parameters(truth);
    const Eigen::VectorXd g = ta::score(truth, s);
    BOOST_REQUIRE_EQUAL(g.size(), truth.parameters());
    BOOST_REQUIRE_EQUAL(theta.size(), truth.parameters());
    Eigen::VectorXd fd(theta.size());
    for (Eigen::Index p = 0; p < theta.size(); ++p) {
      const double h = 1e-5 * std::max(1.0, std::abs(theta[p]));
      Eigen::VectorXd up = theta, dn = theta;
      up[p] += h;
      dn[p] -= h;
      fd[p] = (ta::log_likelihood(ta::unpack_parameters(truth, up), s, 1) -
               ta::log_likelihood(ta::unpack_parameters(truth, dn), s, 1)) /
              (2.0 * h);
    }
    trustmix::test::check_close(g, fd, 1e-5, 1e-2);
    // At the maximum the score vanishes.
    ta::LatentClassOptions o;
    o.classes = 3;
    o.starts = 6;
    o.seed = 4;
    o.covariance = cov;
    o.tolerance = 1e-14;
    o.max_iterations = 20000;
    const auto f = ta::fit_latent_classes(s, o);
    const Eigen::VectorXd g0 = ta::score(f.model, s);
    BOOST_TEST(g0.cwiseAbs().maxCoeff() < 1e-3, "max |score| at the optimum = " << g0.cwiseAbs().maxCoeff());
  }
}

BOOST_AUTO_TEST_CASE(deterministic_for_every_thread_count) {
  const auto truth = mixed_truth(ta::Covariance::diagonal);
  const auto s = ta::simulate_survey(truth, mixed_shape(9000, true, 1), 2);  // > 2 chunks of 4096
  const auto a = fit(s, 3, 3, 9, 1);
  const auto b = fit(s, 3, 3, 9, 2);
  const auto c = fit(s, 3, 3, 9, 3);
  BOOST_TEST(a.log_likelihood == b.log_likelihood);
  BOOST_TEST(a.log_likelihood == c.log_likelihood);
  BOOST_TEST((ta::pack_parameters(a.model) == ta::pack_parameters(b.model)));
  BOOST_TEST((a.posterior == c.posterior));
  BOOST_TEST(a.start_log_likelihoods == b.start_log_likelihoods);
}

BOOST_AUTO_TEST_CASE(recovers_simulated_truth) {
  // Mixed items, diagonal Gaussians, a covariate, weights and missing answers.
  const auto truth = mixed_truth(ta::Covariance::diagonal);
  auto shape = mixed_shape(6000, true, 21);
  shape.weights = Eigen::VectorXd();  // unit weights: the truth's sampling distribution
  const auto s = ta::simulate_survey(truth, shape, 22);
  const auto f = fit(s, 3, 8, 5);
  // Match classes by their Gaussian means (classes are reordered by share).
  for (Eigen::Index k = 0; k < 3; ++k) {
    Eigen::Index best = 0;
    (f.model.means.rowwise() - truth.means.row(k)).rowwise().squaredNorm().minCoeff(&best);
    BOOST_TEST_CONTEXT("class " << k) {
      BOOST_TEST((f.model.means.row(best) - truth.means.row(k)).cwiseAbs().maxCoeff() < 0.12);
      for (std::size_t j = 0; j < truth.categories.size(); ++j)
        BOOST_TEST((f.model.item_probabilities[j].row(best) - truth.item_probabilities[j].row(k)).cwiseAbs().maxCoeff() <
                   0.06);
      // Slopes relative to class 0 of the truth: compare differences of columns.
    }
  }
  // The covariate slope contrast between the classes with the highest and lowest slope.
  const double true_range = truth.beta.row(1).maxCoeff() - truth.beta.row(1).minCoeff();
  const double est_range = f.model.beta.row(1).maxCoeff() - f.model.beta.row(1).minCoeff();
  BOOST_TEST(std::abs(est_range - true_range) < 0.25);
  BOOST_TEST(f.entropy > 0.5);
  BOOST_TEST(f.entropy <= 1.0);
  BOOST_TEST(f.bic > f.aic);
  BOOST_TEST(f.caic > f.bic);
}

BOOST_AUTO_TEST_CASE(weights_equal_replicated_rows) {
  // Frequency weights give the log-likelihood of the expanded data.
  const auto s = values();
  ta::Survey expanded;
  expanded.categories = s.categories;
  expanded.items.resize(216, 4);
  Eigen::Index r = 0;
  for (Eigen::Index i = 0; i < s.items.rows(); ++i)
    for (int c = 0; c < static_cast<int>(s.weights[i]); ++c) expanded.items.row(r++) = s.items.row(i);
  BOOST_REQUIRE_EQUAL(r, 216);
  const auto f = fit(s, 2, 10);
  BOOST_TEST(ta::log_likelihood(f.model, expanded) == f.log_likelihood, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(fit(expanded, 2, 10).log_likelihood == f.log_likelihood, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(bad_input) {
  auto s = values();
  auto check = [&](const ta::Survey& bad, const std::string& text) {
    BOOST_CHECK_EXCEPTION(fit(bad, 2, 2), std::invalid_argument, [&](const std::invalid_argument& e) {
      const bool ok = std::string(e.what()).find(text) != std::string::npos;
      if (!ok) BOOST_TEST_MESSAGE("message was: " << e.what());
      return ok;
    });
  };
  auto neg = s;
  neg.weights[3] = -1.0;
  check(neg, "row 3: survey weight must be a finite number >= 0");
  auto one = s;
  one.item_names = {"A", "B", "C", "D"};
  for (Eigen::Index i = 0; i < one.items.rows(); ++i) one.items(i, 2) = 1;
  check(one, "C: only 1 category observed");
  auto code = s;
  code.items(5, 1) = 7;
  check(code, "row 5, item 1: code 7 is not one of the item's 2 categories");
  auto none = s;
  for (Eigen::Index i = 0; i < none.items.rows(); ++i) none.items.row(i).setConstant(ta::missing_code);
  check(none, "only 0 category observed");
  // Respondents with every answer missing: kept, warned, left out of N, posterior = prior.
  auto some = s;
  some.items.conservativeResize(some.items.rows() + 1, Eigen::NoChange);
  some.items.row(some.items.rows() - 1).setConstant(ta::missing_code);
  some.weights.conservativeResize(some.weights.size() + 1);
  some.weights[some.weights.size() - 1] = 1.0;
  const auto f = fit(some, 2, 5);
  BOOST_TEST(f.all_missing_rows == 1);
  BOOST_TEST(f.observations == 16.0);
  BOOST_TEST(f.log_likelihood == -504.4677, boost::test_tools::tolerance(2e-7));
  trustmix::test::check_close(Eigen::VectorXd(f.posterior.row(f.posterior.rows() - 1).transpose()), f.class_shares, 1e-9);
  bool warned = false;
  for (const auto& w : f.warnings) warned = warned || w.find("answered nothing") != std::string::npos;
  BOOST_TEST(warned);
}

BOOST_AUTO_TEST_CASE(bch_corrects_classification_error) {
  // Two overlapping classes; outcome mean 0 in class 0 and 1 in class 1.
  ta::LatentClassModel m;
  m.classes = 2;
  m.categories = {2, 2, 2, 2, 2};
  for (int j = 0; j < 5; ++j) {
    Eigen::MatrixXd th(2, 2);
    th << 0.75, 0.25, 0.3, 0.7;
    m.item_probabilities.push_back(th);
  }
  m.means.resize(2, 0);
  m.covariances.assign(2, Eigen::MatrixXd(0, 0));
  m.beta = Eigen::MatrixXd::Zero(1, 2);
  ta::Survey shape;
  shape.categories = m.categories;
  shape.items = ta::CodeMatrix::Zero(20000, 5);
  // Simulate the classes by hand to know them: draw items given a known class.
  trustmix::inference::ChainRng rng(3, 0);
  ta::RowMatrixXd outcome(20000, 1);
  for (Eigen::Index i = 0; i < 20000; ++i) {
    const int z = rng.uniform() < 0.5 ? 0 : 1;
    for (Eigen::Index j = 0; j < 5; ++j) shape.items(i, j) = rng.uniform() < m.item_probabilities[0](z, 1) ? 1 : 0;
    outcome(i, 0) = z + 0.5 * rng.normal();
  }
  const auto r = ta::posterior(m, shape);
  const auto res = ta::bch(r, outcome);
  BOOST_TEST(std::abs(res.means(0, 0) - 0.0) < 4.0 * res.standard_errors(0, 0) + 0.02);
  BOOST_TEST(std::abs(res.means(1, 0) - 1.0) < 4.0 * res.standard_errors(1, 0) + 0.02);
  // Modal assignment attenuates the difference; BCH does not.
  double m0 = 0, m1 = 0, n0 = 0, n1 = 0;
  for (Eigen::Index i = 0; i < 20000; ++i)
    (r(i, 1) > r(i, 0) ? (m1 += outcome(i, 0), n1 += 1) : (m0 += outcome(i, 0), n0 += 1));
  BOOST_TEST(m1 / n1 - m0 / n0 < 0.85);
  BOOST_TEST(res.means(1, 0) - res.means(0, 0) > 0.9);
  BOOST_TEST(res.classification(0, 0) > 0.7);
}

BOOST_AUTO_TEST_CASE(bootstrap_lrt_detects_classes) {
  const auto s = carcinoma();
  ta::LatentClassOptions o;
  o.classes = 2;
  o.starts = 3;
  o.seed = 1;
  const auto t = ta::bootstrap_lrt(s, o, 19);
  BOOST_TEST(t.log_likelihood_alternative == -317.2568, boost::test_tools::tolerance(2e-7));
  BOOST_TEST(t.statistic == 2.0 * (t.log_likelihood_alternative - t.log_likelihood_null),
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(t.p_value == 0.05, boost::test_tools::tolerance(1e-12));  // no replicate reaches the observed statistic
  BOOST_TEST(t.replicates.size() == 19u);
  const auto again = ta::bootstrap_lrt(s, o, 19);
  BOOST_TEST(again.replicates == t.replicates);
}

BOOST_AUTO_TEST_CASE(personas_to_audiences) {
  const auto f = fit(values(), 2, 10);
  ta::PersonaSpec spec;
  spec.population = 1e6;
  spec.names = {"Particular Pat", "Universal Uma"};
  spec.trust = {0, {1}};
  spec.channels = {{"press", {1, {1}}}, {"instagram", {2, {1}}}};
  const auto aud = ta::to_audiences(f.model, f.class_shares, spec);
  BOOST_REQUIRE_EQUAL(aud.size(), 2u);
  BOOST_TEST(aud[0].name == "Particular Pat");
  BOOST_TEST(std::abs(aud[0].size + aud[1].size - 1e6) <= 1.0);
  BOOST_TEST(aud[0].size == std::round(1e6 * f.class_shares[0]));
  BOOST_TEST(aud[0].baseline_trust == f.model.item_probabilities[0](0, 1), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(aud[1].reach.at("instagram") == f.model.item_probabilities[2](1, 1), boost::test_tools::tolerance(1e-12));
  const double avg = f.class_shares[0] * aud[0].reach.at("press") + f.class_shares[1] * aud[1].reach.at("press");
  BOOST_TEST(aud[1].affinity.at("press") == aud[1].reach.at("press") / avg, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(aud[0].tags.at("source") == "latent_classes");
  spec.trust = {9, {1}};
  BOOST_CHECK_THROW((void)ta::to_audiences(f.model, f.class_shares, spec), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reach_and_frequency)

BOOST_AUTO_TEST_CASE(nbd_closed_forms) {
  ta::ReachCurve c{ta::ReachKind::nbd, 1e6, 0.8, 0.7, 1.0};
  const double I = 2e6;
  const double m = I / 8e5;
  BOOST_TEST(c.reach(I) == 8e5 * (1.0 - std::pow(1.0 + m / 0.7, -0.7)), boost::test_tools::tolerance(1e-13));
  const Eigen::VectorXd f = c.frequency(I, 400);
  BOOST_TEST(f.sum() == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(1.0 - f[0] == c.reach(I) / 1e6, boost::test_tools::tolerance(1e-12));
  double mean = 0.0;
  for (Eigen::Index k = 0; k < f.size(); ++k) mean += static_cast<double>(k) * f[k];
  BOOST_TEST(mean * 1e6 == I, boost::test_tools::tolerance(1e-6));
  // P(X = 1) for the negative binomial: k (m/(k+m)) (k/(k+m))^k.
  const double p1 = 0.7 * (m / (0.7 + m)) * std::pow(0.7 / (0.7 + m), 0.7);
  BOOST_TEST(f[1] == 0.8 * p1, boost::test_tools::tolerance(1e-12));
  // Concave and capped by the reachable population.
  BOOST_TEST(c.reach(1e12) <= 8e5);
  BOOST_TEST(c.reach(1e12) > 0.99 * 8e5);
  BOOST_TEST(c.reach(2e6) - c.reach(1e6) < c.reach(1e6) - c.reach(0.0));
}

BOOST_AUTO_TEST_CASE(goerg_one_point) {
  const Eigen::VectorXd I = Eigen::VectorXd::Constant(1, 3e6), R = Eigen::VectorXd::Constant(1, 1.2e6);
  const auto c = ta::fit_reach_curve(ta::ReachKind::goerg, I, R, 5e6);
  BOOST_TEST(c.reach(3e6) == 1.2e6, boost::test_tools::tolerance(1e-12));
  const double kappa = 1.2e6 * 3e6 / (3e6 - 1.2e6);
  BOOST_TEST(c.reachable_people() == kappa, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(c.reach(1e6) == kappa * 1e6 / (kappa + 1e6), boost::test_tools::tolerance(1e-12));
  BOOST_CHECK_THROW((void)ta::fit_reach_curve(ta::ReachKind::goerg, R, I, 5e6), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(frequency_caps) {
  const ta::ReachCurve c{ta::ReachKind::nbd, 1e6, 1.0, 0.5, 1.0};
  const double I = 3e6;
  const auto f = c.frequency_capped(I, 4);
  BOOST_REQUIRE_EQUAL(f.size(), 5);
  BOOST_TEST(f.sum() == 1.0, boost::test_tools::tolerance(1e-12));
  double mean = 0.0;
  for (Eigen::Index k = 0; k < f.size(); ++k) mean += static_cast<double>(k) * f[k];
  BOOST_TEST(mean * 1e6 == I, boost::test_tools::tolerance(1e-9));  // every impression delivered
  BOOST_TEST(c.reach_capped(I, 4) > c.reach(I));                   // spread further
  BOOST_TEST(c.reach_capped(I, 4) == 1e6 * (1.0 - f[0]), boost::test_tools::tolerance(1e-9));
  BOOST_CHECK_THROW((void)c.reach_capped(4e6, 4), std::invalid_argument);  // 4 per person is the most a cap of 4 allows
}

BOOST_AUTO_TEST_CASE(beta_binomial_closed_forms) {
  const ta::ReachCurve c{ta::ReachKind::beta_binomial, 1e6, 1.0, 0.3, 1.2};
  // One insertion reaches the mean probability a / (a + b).
  BOOST_TEST(c.reach(1.0) == 1e6 * 0.3 / 1.5, boost::test_tools::tolerance(1e-12));
  const auto f = c.frequency(6.0, 6);
  BOOST_TEST(f.sum() == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(1.0 - f[0] == c.reach(6.0) / 1e6, boost::test_tools::tolerance(1e-12));
  double mean = 0.0;
  for (Eigen::Index k = 0; k < f.size(); ++k) mean += static_cast<double>(k) * f[k];
  BOOST_TEST(mean == 6.0 * 0.3 / 1.5, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(c.impressions(6.0) == 1e6 * mean, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(fits_recover_noise_free_curves) {
  Eigen::VectorXd I(6), R(6), n(6), Rb(6);
  const ta::ReachCurve nbd{ta::ReachKind::nbd, 2e6, 0.7, 1.7, 1.0};
  const ta::ReachCurve bb{ta::ReachKind::beta_binomial, 2e6, 1.0, 0.4, 2.5};
  for (int t = 0; t < 6; ++t) {
    I[t] = 2e5 * std::pow(2.0, t);
    R[t] = nbd.reach(I[t]);
    n[t] = 1.0 + 2.0 * t;
    Rb[t] = bb.reach(n[t]);
  }
  ta::ReachFitOptions o;
  o.reachable = std::nan("");
  const auto c = ta::fit_reach_curve(ta::ReachKind::nbd, I, R, 2e6, o);
  BOOST_TEST(c.shape == 1.7, boost::test_tools::tolerance(1e-3));
  BOOST_TEST(c.reachable == 0.7, boost::test_tools::tolerance(1e-3));
  const auto b = ta::fit_reach_curve(ta::ReachKind::beta_binomial, n, Rb, 2e6);
  BOOST_TEST(b.reach(20.0) == bb.reach(20.0), boost::test_tools::tolerance(1e-3));
  BOOST_TEST(b.shape / (b.shape + b.shape2) == 0.4 / 2.9, boost::test_tools::tolerance(1e-3));
  // Many curves in parallel give the same curves as one by one.
  Eigen::MatrixXd IM(3, 6), RM(3, 6);
  for (int r = 0; r < 3; ++r) {
    IM.row(r) = I.transpose();
    RM.row(r) = R.transpose() * (1.0 - 0.1 * r);
  }
  const auto many = ta::fit_reach_curves(ta::ReachKind::nbd, IM, RM, Eigen::VectorXd::Constant(3, 2e6), {}, 2);
  const auto one = ta::fit_reach_curve(ta::ReachKind::nbd, IM.row(2).transpose(), RM.row(2).transpose(), 2e6);
  BOOST_TEST(many[2].shape == one.shape);
}

BOOST_AUTO_TEST_CASE(duplication) {
  Eigen::VectorXd r(3);
  r << 0.5, 0.4, 0.2;
  BOOST_TEST(ta::sainsbury(r) == 1.0 - 0.5 * 0.6 * 0.8, boost::test_tools::tolerance(1e-15));
  const auto one = ta::class_duplication(Eigen::VectorXd::Ones(1), r.transpose());
  BOOST_TEST(one.total == ta::sainsbury(r), boost::test_tools::tolerance(1e-15));
  // Two personas who use the channels differently: more duplication than independence.
  Eigen::MatrixXd rk(2, 2);
  rk << 0.9, 0.8, 0.1, 0.0;
  Eigen::VectorXd s(2);
  s << 0.5, 0.5;
  const auto d = ta::class_duplication(s, rk);
  BOOST_TEST(d.total == 0.5 * (1 - 0.1 * 0.2) + 0.5 * 0.1, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(d.pairwise(0, 1) == 0.5 * 0.72, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(d.pairwise(0, 0) == 0.5, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(d.pairwise(0, 1) > d.pairwise(0, 0) * d.pairwise(1, 1));
}

namespace {
/// Simulated three-step data: 2 classes, 6 binary items (P(yes) 0.75 / 0.3: the modal
/// assignment misclassifies ~15%), covariate x ~ N(0, 1) with logit P(class 1 | x) =
/// -0.3 + 1.0 x, distal outcome y | class ~ N((0, 1)_k, 0.5^2) and a 3-category outcome.
struct ThreeStepData {
  ta::RowMatrixXd posterior;
  ta::StructuralData data;
  Eigen::VectorXd categorical;
};
ThreeStepData three_step_data(Eigen::Index n, std::uint64_t seed) {
  ta::LatentClassModel m;
  m.classes = 2;
  m.categories.assign(6, 2);
  for (int j = 0; j < 6; ++j) {
    Eigen::MatrixXd th(2, 2);
    th << 0.25, 0.75, 0.7, 0.3;
    m.item_probabilities.push_back(th);
  }
  m.means.resize(2, 0);
  m.covariances.assign(2, Eigen::MatrixXd(0, 0));
  m.beta = Eigen::MatrixXd::Zero(1, 2);
  ta::Survey s;
  s.categories = m.categories;
  s.items = ta::CodeMatrix::Zero(n, 6);
  ThreeStepData out;
  out.data.covariates.resize(n, 1);
  out.data.outcome.resize(n);
  out.data.outcome_kind = ta::OutcomeKind::gaussian;
  out.categorical.resize(n);
  trustmix::inference::ChainRng rng(seed, 0);
  const double probs[2][3] = {{0.6, 0.3, 0.1}, {0.2, 0.3, 0.5}};
  double share1 = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double x = rng.normal();
    const double p1 = 1.0 / (1.0 + std::exp(-(-0.3 + 1.0 * x)));
    const int z = rng.uniform() < p1 ? 1 : 0;
    share1 += z;
    for (Eigen::Index j = 0; j < 6; ++j) s.items(i, j) = rng.uniform() < m.item_probabilities[0](z, 1) ? 1 : 0;
    out.data.covariates(i, 0) = x;
    out.data.outcome[i] = z + 0.5 * rng.normal();
    const double u = rng.uniform();
    out.categorical[i] = u < probs[z][0] ? 0 : (u < probs[z][0] + probs[z][1] ? 1 : 2);
  }
  // Step 1's measurement model without covariates: shares at their sample value.
  m.beta(0, 1) = std::log(share1 / (static_cast<double>(n) - share1));
  out.posterior = ta::posterior(m, s);
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(three_step_corrections_recover_the_truth) {
  const auto sim = three_step_data(20000, 11);
  for (const auto assignment : {ta::Assignment::modal, ta::Assignment::proportional}) {
    ta::ThreeStepOptions o;
    o.assignment = assignment;
    o.correction = ta::Correction::none;
    const auto naive = ta::three_step(sim.posterior, sim.data, o);
    o.correction = ta::Correction::ml;
    const auto ml = ta::three_step(sim.posterior, sim.data, o);
    o.correction = ta::Correction::bch;
    const auto bch = ta::three_step(sim.posterior, sim.data, o);
    BOOST_TEST(ml.converged);
    // Naive: class difference and slope attenuated well beyond sampling error.
    const double naive_diff = naive.means[1] - naive.means[0];
    BOOST_TEST(naive_diff < 0.85);
    BOOST_TEST(naive.beta(1, 1) < 0.85);
    for (const auto* r : {&ml, &bch}) {
      // Corrected: within 4 standard errors of the truth (mu = 0, 1; beta = -0.3, 1.0; sigma2 = 0.25).
      BOOST_TEST(std::abs(r->means[0] - 0.0) < 4.0 * r->means_se[0]);
      BOOST_TEST(std::abs(r->means[1] - 1.0) < 4.0 * r->means_se[1]);
      BOOST_TEST(std::abs(r->beta(0, 1) + 0.3) < 4.0 * r->beta_se(0, 1));
      BOOST_TEST(std::abs(r->beta(1, 1) - 1.0) < 4.0 * r->beta_se(1, 1));
      BOOST_TEST(std::abs(r->variances[1] - 0.25) < 4.0 * r->variances_se[1] + 0.01);
      BOOST_TEST(r->means_se[1] > 0.0);
      BOOST_TEST(r->means_se[1] < 0.05);
    }
    // D's rows sum to 1 and the diagonal dominates.
    for (Eigen::Index k = 0; k < 2; ++k) {
      BOOST_TEST(ml.classification.row(k).sum() == 1.0, boost::test_tools::tolerance(1e-12));
      BOOST_TEST(ml.classification(k, k) > 0.75);
    }
  }
}

BOOST_AUTO_TEST_CASE(three_step_categorical_outcome) {
  auto sim = three_step_data(20000, 12);
  sim.data.covariates.resize(20000, 0);
  sim.data.outcome = sim.categorical;
  sim.data.outcome_kind = ta::OutcomeKind::categorical;
  sim.data.categories = 3;
  ta::ThreeStepOptions o;
  o.correction = ta::Correction::none;
  const auto naive = ta::three_step(sim.posterior, sim.data, o);
  o.correction = ta::Correction::ml;
  const auto ml = ta::three_step(sim.posterior, sim.data, o);
  const double truth[2][3] = {{0.6, 0.3, 0.1}, {0.2, 0.3, 0.5}};
  for (Eigen::Index k = 0; k < 2; ++k)
    for (Eigen::Index c = 0; c < 3; ++c)
      BOOST_TEST(std::abs(ml.probabilities(k, c) - truth[k][c]) < 4.0 * ml.probabilities_se(k, c) + 1e-3);
  BOOST_TEST(naive.probabilities(1, 2) - naive.probabilities(0, 2) < 0.35);  // truth 0.4
  BOOST_TEST(ml.probabilities.row(1).sum() == 1.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(three_step_gradient_matches_finite_differences) {
  auto sim = three_step_data(500, 13);
  const Eigen::VectorXd th = (Eigen::VectorXd(6) << -0.2, 0.8, 0.1, 0.9, std::log(0.3), std::log(0.2)).finished();
  for (const auto corr : {ta::Correction::none, ta::Correction::bch, ta::Correction::ml})
    for (const auto assignment : {ta::Assignment::modal, ta::Assignment::proportional}) {
      ta::ThreeStepOptions o;
      o.correction = corr;
      o.assignment = assignment;
      const auto [f, g] = ta::three_step_objective(sim.posterior, sim.data, o, th);
      for (Eigen::Index j = 0; j < th.size(); ++j) {
        Eigen::VectorXd tp = th, tm = th;
        tp[j] += 1e-6;
        tm[j] -= 1e-6;
        const double fd = (ta::three_step_objective(sim.posterior, sim.data, o, tp).first -
                           ta::three_step_objective(sim.posterior, sim.data, o, tm).first) /
                          2e-6;
        BOOST_TEST(g[j] == fd, boost::test_tools::tolerance(1e-6));
      }
    }
  // At the ML estimate the gradient vanishes.
  ta::ThreeStepOptions o;
  const auto ml = ta::three_step(sim.posterior, sim.data, o);
  const auto [f, g] = ta::three_step_objective(sim.posterior, sim.data, o, ml.parameters);
  BOOST_TEST(g.lpNorm<Eigen::Infinity>() < 1e-4);
  BOOST_TEST(f == ml.objective, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(three_step_bad_input) {
  auto sim = three_step_data(200, 14);
  ta::StructuralData none;
  BOOST_CHECK_THROW((void)ta::three_step(sim.posterior, none), std::invalid_argument);
  auto bad = sim.data;
  bad.covariates(3, 0) = std::numeric_limits<double>::quiet_NaN();
  BOOST_CHECK_THROW((void)ta::three_step(sim.posterior, bad), std::invalid_argument);
  auto cat = sim.data;
  cat.outcome_kind = ta::OutcomeKind::categorical;
  cat.categories = 3;
  cat.outcome = sim.categorical;
  cat.outcome[5] = 3.0;
  BOOST_CHECK_THROW((void)ta::three_step(sim.posterior, cat), std::invalid_argument);
  // Classes that are not separated: D is singular, BCH refuses.
  ta::RowMatrixXd flat = ta::RowMatrixXd::Constant(200, 2, 0.5);
  ta::ThreeStepOptions o;
  o.correction = ta::Correction::bch;
  BOOST_CHECK_THROW((void)ta::three_step(flat, sim.data, o), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
