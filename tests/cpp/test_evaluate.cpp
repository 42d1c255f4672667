// trustmix::evaluate: synthetic control, conformal inference, placebo checks, staggered
// DiD, power analysis and market selection, lift tests.
// Data: /work/shared/data/geolift_test.csv and geolift_pretest.csv are GeoLift's bundled
// examples (Meta, MIT licence: data/GeoLift_Test.rda and GeoLift_PreTest.rda, converted to
// CSV), 40 US cities x 105 (90) days.
#include <boost/test/unit_test.hpp>

#include <trustmix/evaluate/evaluate.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "check.hpp"

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace ev = trustmix::evaluate;
using Eigen::Index;

namespace {

/// The shared data folder sits beside the checkout (<root>/../shared/data): looked for
/// above the working directory and above the test executable; TRUSTMIX_SHARED_DATA wins.
std::string data_path(const std::string& name) {
  namespace fs = std::filesystem;
  if (const char* root = std::getenv("TRUSTMIX_SHARED_DATA"); root != nullptr && fs::exists(fs::path(root) / name))
    return (fs::path(root) / name).string();
  std::error_code ec;
  for (fs::path start : {fs::current_path(ec), fs::read_symlink("/proc/self/exe", ec).parent_path()})
    for (fs::path dir = start; !dir.empty(); dir = dir.parent_path()) {
      if (fs::exists(dir / "shared" / "data" / name)) return (dir / "shared" / "data" / name).string();
      if (dir == dir.parent_path()) break;
    }
  return "";
}

/// Reads GeoLift's long CSV (location, Y, date) into a panel, units in order of appearance.
ev::Panel read_geolift(const std::string& name) {
  const std::string path = data_path(name);
  BOOST_TEST_REQUIRE(!path.empty(), "shared data file " << name << " not found (set TRUSTMIX_SHARED_DATA)");
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::map<std::string, std::vector<double>> series;
  std::vector<std::string> order;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string loc, y;
    std::getline(ss, loc, ',');
    std::getline(ss, y, ',');
    if (!series.count(loc)) order.push_back(loc);
    series[loc].push_back(std::stod(y));
  }
  ev::Panel p;
  p.units = order;
  p.outcomes.resize(static_cast<Index>(order.size()), static_cast<Index>(series[order[0]].size()));
  for (std::size_t i = 0; i < order.size(); ++i)
    for (std::size_t t = 0; t < series[order[i]].size(); ++t)
      p.outcomes(static_cast<Index>(i), static_cast<Index>(t)) = series[order[i]][t];
  return p;
}

Index row_of(const ev::Panel& p, const std::string& name) {
  const auto it = std::find(p.units.begin(), p.units.end(), name);
  BOOST_TEST_REQUIRE((it != p.units.end()), "unit " << name << " missing");
  return static_cast<Index>(it - p.units.begin());
}

double weight_of(const ev::Panel& p, const ev::SyntheticControlFit& f, const std::string& name) {
  const Index r = row_of(p, name);
  for (std::size_t k = 0; k < f.donors.size(); ++k)
    if (f.donors[k] == r) return f.weights(static_cast<Index>(k));
  return -1.0;
}

ev::Assignment geolift_design(const ev::Panel& p) {
  // GeoLift's walkthrough: chicago and portland treated on days 91-105 (0-based 90..104).
  return ev::Assignment{{row_of(p, "chicago"), row_of(p, "portland")}, 90, 105};
}

/// A factor-model panel: n units x T periods, unit 0 is an exact convex combination of
/// units 1..3 (weights 0.5, 0.3, 0.2) plus `level` and plus `effect` from period t0 on.
ev::Panel factor_panel(Index n, Index T, Index t0, double effect, double level, unsigned seed, double treated_noise = 0.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  Eigen::MatrixXd f(T, 3);
  for (Index t = 0; t < T; ++t) {
    const double td = static_cast<double>(t);
    f(t, 0) = 1.0;
    f(t, 1) = std::sin(td / 5.0);
    f(t, 2) = std::cos(td / 9.0) + 0.01 * td;
  }
  ev::Panel p;
  p.outcomes.resize(n, T);
  for (Index i = 1; i < n; ++i) {
    Eigen::Vector3d load(100.0 + 10.0 * z(rng), 5.0 * z(rng), 5.0 * z(rng));
    p.outcomes.row(i) = (f * load).transpose();
    for (Index t = 0; t < T; ++t) p.outcomes(i, t) += 0.5 * z(rng);
  }
  p.outcomes.row(0) = 0.5 * p.outcomes.row(1) + 0.3 * p.outcomes.row(2) + 0.2 * p.outcomes.row(3);
  p.outcomes.row(0).array() += level;
  for (Index t = 0; t < T; ++t) p.outcomes(0, t) += treated_noise * z(rng);
  for (Index t = t0; t < T; ++t) p.outcomes(0, t) += effect;
  return p;
}

/// The panel without row `drop` (names kept).
ev::Panel without_unit(const ev::Panel& p, Index drop) {
  ev::Panel out;
  out.outcomes.resize(p.n_units() - 1, p.n_periods());
  for (Index i = 0, k = 0; i < p.n_units(); ++i) {
    if (i == drop) continue;
    out.outcomes.row(k++) = p.outcomes.row(i);
    out.units.push_back(p.units[static_cast<std::size_t>(i)]);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(simplex)

// Against brute force: every support S, the equality-constrained optimum on S if it is
// positive; the best of those is the exact simplex optimum.
BOOST_AUTO_TEST_CASE(matches_enumeration_of_supports) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> z(0.0, 1.0);
  for (int rep = 0; rep < 20; ++rep) {
    const Index J = 5, T = rep % 2 == 0 ? 12 : 3;  // odd reps: singular Q (T < J)
    Eigen::MatrixXd A(T, J);
    Eigen::VectorXd b(T);
    for (Index i = 0; i < T; ++i) {
      b(i) = z(rng);
      for (Index j = 0; j < J; ++j) A(i, j) = z(rng);
    }
    const Eigen::MatrixXd Q = A.transpose() * A;
    const Eigen::VectorXd c = A.transpose() * b;
    const auto s = ev::detail::simplex_least_squares(Q, c);
    double best = 1e300;
    for (unsigned mask = 1; mask < (1U << J); ++mask) {
      std::vector<Index> S;
      for (Index j = 0; j < J; ++j)
        if (mask & (1U << j)) S.push_back(j);
      const auto m = static_cast<Index>(S.size());
      Eigen::MatrixXd K = Eigen::MatrixXd::Zero(m + 1, m + 1);
      Eigen::VectorXd r(m + 1);
      for (Index a = 0; a < m; ++a) {
        for (Index bb = 0; bb < m; ++bb) K(a, bb) = Q(S[static_cast<std::size_t>(a)], S[static_cast<std::size_t>(bb)]);
        K(a, m) = K(m, a) = 1.0;
        r(a) = c(S[static_cast<std::size_t>(a)]);
      }
      r(m) = 1.0;
      const Eigen::VectorXd x = K.completeOrthogonalDecomposition().solve(r);
      if ((x.head(m).array() < -1e-12).any()) continue;
      Eigen::VectorXd w = Eigen::VectorXd::Zero(J);
      for (Index a = 0; a < m; ++a) w(S[static_cast<std::size_t>(a)]) = x(a);
      best = std::min(best, (A * w - b).squaredNorm());
    }
    const double got = (A * s.weights - b).squaredNorm();
    BOOST_TEST(std::abs(got - best) <= 1e-10 * (1.0 + best));
    BOOST_TEST(std::abs(s.weights.sum() - 1.0) <= 1e-12);
    BOOST_TEST(s.weights.minCoeff() >= 0.0);
    BOOST_TEST(s.kkt_residual <= 1e-10);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(synthetic_control)

// GeoLift's walkthrough (plain synthetic control with fixed effects): ATT 155.556 per
// geo-day, lift 5.4% (0.054232), incremental 4,667, L2 imbalance 909.489, scaled 0.1636, and
// the weights below. GeoLift solves with OSQP (through augsynth); we solve exactly.
BOOST_AUTO_TEST_CASE(geolift_walkthrough) {
  const ev::Panel p = read_geolift("geolift_test.csv");
  BOOST_TEST(p.n_units() == 40);
  BOOST_TEST(p.n_periods() == 105);
  const auto f = ev::synthetic_control(p, geolift_design(p));
  BOOST_TEST(f.att == 155.556, boost::test_tools::tolerance(5e-6));
  BOOST_TEST(f.lift == 0.054232, boost::test_tools::tolerance(5e-5));
  BOOST_TEST(std::abs(f.incremental - 4667.0) < 0.5);
  BOOST_TEST(f.l2_imbalance == 909.489, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(std::abs(f.scaled_l2_imbalance - 0.1636) < 5e-5);
  BOOST_TEST(f.kkt_residual < 1e-12);
  BOOST_TEST(std::abs(f.weights.sum() - 1.0) < 1e-12);
  const std::map<std::string, double> published{{"cincinnati", 0.2272},  {"miami", 0.2028},  {"baton rouge", 0.1335},
                                                {"minneapolis", 0.0900}, {"dallas", 0.0739}, {"nashville", 0.0685},
                                                {"honolulu", 0.0673},    {"austin", 0.0465}, {"san diego", 0.0451}};
  for (const auto& [name, w] : published) BOOST_TEST(std::abs(weight_of(p, f, name) - w) < 5e-5, name);
  // The fit given its own weights reproduces itself (the weights-in path).
  const auto g = ev::synthetic_control_with_weights(p, geolift_design(p), f.weights);
  BOOST_TEST(g.att == f.att, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(g.l2_imbalance == f.l2_imbalance, boost::test_tools::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(recovers_exact_convex_combination_and_effect) {
  const ev::Panel p = factor_panel(12, 60, 45, 7.5, 30.0, 3);
  const auto f = ev::synthetic_control(p, ev::Assignment{{0}, 45, 60});
  BOOST_TEST(f.att == 7.5, boost::test_tools::tolerance(1e-7));
  BOOST_TEST(f.l2_imbalance < 1e-7);
  BOOST_TEST(f.weights(0) == 0.5, boost::test_tools::tolerance(1e-7));
  BOOST_TEST(f.weights(1) == 0.3, boost::test_tools::tolerance(1e-7));
  BOOST_TEST(f.weights(2) == 0.2, boost::test_tools::tolerance(1e-7));
  BOOST_TEST(f.intercept == 30.0, boost::test_tools::tolerance(1e-7));
  // Without fixed effects the level shift of 30 cannot be matched by a convex combination.
  ev::SyntheticControlOptions o;
  o.fixed_effects = false;
  const auto g = ev::synthetic_control(p, ev::Assignment{{0}, 45, 60}, o);
  BOOST_TEST(g.l2_imbalance > 1.0);
}

BOOST_AUTO_TEST_CASE(augmented_limits) {
  const ev::Panel p = read_geolift("geolift_test.csv");
  ev::SyntheticControlOptions o;
  o.method = ev::Method::augmented;
  o.ridge = 1e14;  // lambda -> infinity: no correction, plain synthetic control
  const auto plain = ev::synthetic_control(p, geolift_design(p));
  const auto big = ev::synthetic_control(p, geolift_design(p), o);
  BOOST_TEST(big.att == plain.att, boost::test_tools::tolerance(1e-4));
  o.ridge = -1.0;  // default: the correction lowers the imbalance, weights still sum to 1
  const auto aug = ev::synthetic_control(p, geolift_design(p), o);
  BOOST_TEST(aug.l2_imbalance < plain.l2_imbalance);
  BOOST_TEST(std::abs(aug.weights.sum() - 1.0) < 1e-10);
  BOOST_TEST(aug.ridge > 0.0);
}

// Additive unit and time effects plus a constant effect tau: synthetic DiD (and DiD) find
// tau exactly, whatever the weights.
// Synthetic DiD's unit and time weights against closed forms. Two donors and two
// pre-periods: each problem is one-dimensional on the simplex, w = (a, 1 - a) minimising
// ||r - a d||^2 + P (a^2 + (1 - a)^2) gives a = (d'r + P) / (d'd + 2P). Trends are not
// parallel, so other weights give another estimate (which the old parallel-trends test
// could not see).
BOOST_AUTO_TEST_CASE(synthetic_did_weights_match_closed_form) {
  ev::Panel p;
  p.outcomes.resize(3, 4);
  p.outcomes << 13, 16, 20, 24,  // treated
      10, 14, 15, 17,            // donor 1
      20, 21, 25, 26;            // donor 2
  ev::SyntheticControlOptions o;
  o.method = ev::Method::synthetic_did;
  o.min_pre_periods = 2;
  const auto f = ev::synthetic_control(p, ev::Assignment{{0}, 2, 4}, o);
  // Unit weights: pre-period demeaned over time, penalty zeta^2 T0 with zeta^2 =
  // sqrt(N_tr T_post) sigma^2, sigma the sd of the donors' first differences {4, 1}.
  const Eigen::Vector2d A1(-2.0, 2.0), A2(-0.5, 0.5), bx(-1.5, 1.5);
  const double sigma2 = 4.5;  // var of {4, 1}
  const double P = std::sqrt(2.0) * sigma2 * 2.0;
  const Eigen::Vector2d d = A1 - A2, r = bx - A2;
  const double a = (d.dot(r) + P) / (d.dot(d) + 2.0 * P);
  BOOST_TEST_REQUIRE(f.weights.size() == 2);
  BOOST_TEST(f.weights(0) == a, boost::test_tools::tolerance(1e-8));
  BOOST_TEST(f.weights(1) == 1.0 - a, boost::test_tools::tolerance(1e-8));
  BOOST_TEST(std::abs(a - d.dot(r) / d.dot(d)) > 0.1);  // the penalty matters here
  // Time weights: donors' pre-period outcomes demeaned over donors against their mean
  // post outcome (16, 25.5), penalty 1e-12 sigma^2 N_donors.
  const Eigen::Vector2d B1(-5.0, 5.0), B2(-3.5, 3.5), m(-4.75, 4.75);
  const double Pl = 1e-12 * sigma2 * 2.0;
  const Eigen::Vector2d e = B1 - B2, s = m - B2;
  const double c = (e.dot(s) + Pl) / (e.dot(e) + 2.0 * Pl);
  BOOST_TEST_REQUIRE(f.time_weights.size() == 2);
  BOOST_TEST(f.time_weights(0) == c, boost::test_tools::tolerance(1e-8));
  BOOST_TEST(f.time_weights(1) == 1.0 - c, boost::test_tools::tolerance(1e-8));
  // tau = (ybar_post - lambda'y_pre) - w'(Ybar_post - Y_pre lambda).
  const Eigen::Vector2d w(a, 1.0 - a), lambda(c, 1.0 - c);
  const double tau = (22.0 - lambda.dot(Eigen::Vector2d(13, 16))) -
                     w.dot(Eigen::Vector2d(16.0 - lambda.dot(Eigen::Vector2d(10, 14)),
                                           25.5 - lambda.dot(Eigen::Vector2d(20, 21))));
  BOOST_TEST(f.att == tau, boost::test_tools::tolerance(1e-8));
  BOOST_TEST(f.att == 19.0 / 6.0, boost::test_tools::tolerance(1e-8));
  BOOST_TEST(f.ridge == P, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(per_unit_cells_average) {
  const ev::Panel p = read_geolift("geolift_test.csv");
  ev::SyntheticControlOptions o;
  o.aggregation = ev::Aggregation::per_unit;
  const auto f = ev::synthetic_control(p, geolift_design(p), o);
  BOOST_TEST_REQUIRE(f.cells.size() == 2U);
  BOOST_TEST(f.att == 0.5 * (f.cells[0].att + f.cells[1].att), boost::test_tools::tolerance(1e-10));
  const auto chicago = ev::synthetic_control(p, ev::Assignment{{row_of(p, "chicago")}, 90, 105});
  BOOST_TEST(f.cells[0].observed.isApprox(chicago.observed));
  // The cell is a lone fit of chicago on the same donor pool (every treated unit left
  // out), and its weights differ from the fit of the averaged treated series.
  ev::Panel without = p;
  const Index portland = row_of(p, "portland");
  std::vector<Index> keep;
  for (Index i = 0; i < p.n_units(); ++i)
    if (i != portland) keep.push_back(i);
  without.outcomes.resize(static_cast<Index>(keep.size()), p.n_periods());
  without.units.clear();
  for (std::size_t k = 0; k < keep.size(); ++k) {
    without.outcomes.row(static_cast<Index>(k)) = p.outcomes.row(keep[k]);
    without.units.push_back(p.units[static_cast<std::size_t>(keep[k])]);
  }
  const auto lone = ev::synthetic_control(without, ev::Assignment{{row_of(without, "chicago")}, 90, 105});
  BOOST_TEST_REQUIRE(lone.weights.size() == f.cells[0].weights.size());
  BOOST_TEST((lone.weights - f.cells[0].weights).cwiseAbs().maxCoeff() < 1e-8);
  BOOST_TEST(f.cells[0].att == lone.att, boost::test_tools::tolerance(1e-8));
  const auto averaged = ev::synthetic_control(p, geolift_design(p));
  BOOST_TEST((averaged.weights - f.cells[0].weights).cwiseAbs().maxCoeff() > 1e-3);
}

BOOST_AUTO_TEST_CASE(bad_input_is_named) {
  ev::Panel p = factor_panel(6, 20, 15, 0.0, 0.0, 1);
  p.units = {"a", "b", "c", "d", "e", "f"};
  auto message = [&](const ev::Panel& q, const ev::Assignment& a) {
    try {
      (void)ev::synthetic_control(q, a);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  BOOST_TEST(message(p, {{0}, 2, 20}).find("too few pre-periods") != std::string::npos);
  BOOST_TEST(message(p, {{9}, 15, 20}).find("not a row") != std::string::npos);
  BOOST_TEST(message(p, {{0, 0}, 15, 20}).find("twice") != std::string::npos);
  BOOST_TEST(message(p, {{0}, 15, 15}).find("no post-period") != std::string::npos);
  ev::Panel c = p;
  c.outcomes.row(3).setConstant(5.0);
  BOOST_TEST(message(c, {{0}, 15, 20}).find("'d' is constant") != std::string::npos);
  c = p;
  c.outcomes(2, 4) = std::nan("");
  BOOST_TEST(message(c, {{0}, 15, 20}).find("'c' in period 4") != std::string::npos);
}

// An empty pre-period block is refused, whatever min_pre_periods says.
BOOST_AUTO_TEST_CASE(pre_period_bounds) {
  const ev::Panel p = factor_panel(6, 20, 15, 0.0, 0.0, 1);
  auto message = [&](const ev::Assignment& a, Index min_pre) {
    ev::SyntheticControlOptions o;
    o.min_pre_periods = min_pre;
    try {
      (void)ev::synthetic_control(p, a, o);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  BOOST_TEST(message({{0}, 0, 20}, 0).find("min_pre_periods must be >= 2") != std::string::npos);
  BOOST_TEST(message({{0}, 15, 20}, 1).find("min_pre_periods must be >= 2") != std::string::npos);
  BOOST_TEST(message({{0}, -1, 20}, 3).find("start must be >= 0") != std::string::npos);
  BOOST_TEST(message({{0}, 2, 20}, 2).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(conformal)

BOOST_AUTO_TEST_CASE(permutation_plans) {
  ev::ConformalOptions o;
  o.n_permutations = 1000;
  const ev::detail::PermutationPlan exact(10, 3, o);  // C(10, 3) = 120 <= 1000: enumerated
  BOOST_TEST(exact.exact());
  BOOST_TEST(exact.count() == 120);
  // u = 1..10: the post residuals are the largest three, only the identity ties.
  Eigen::VectorXd u = Eigen::VectorXd::LinSpaced(10, 1.0, 10.0);
  BOOST_TEST(exact.p_value(u, 1.0) == 1.0 / 120.0, boost::test_tools::tolerance(1e-14));
  o.permutation = ev::Permutation::moving_block;
  const ev::detail::PermutationPlan block(10, 3, o);
  BOOST_TEST(block.count() == 10);
  // Cyclic windows of 3 in 1..10: sums 27 (identity), 19+... only the identity reaches 27.
  BOOST_TEST(block.p_value(u, 1.0) == 0.1, boost::test_tools::tolerance(1e-14));
  o.permutation = ev::Permutation::iid;
  o.n_permutations = 50;
  const ev::detail::PermutationPlan sampled(30, 5, o);
  BOOST_TEST(!sampled.exact());
  BOOST_TEST(sampled.count() == 50);
}

// GeoLift reports a conformal p-value of about 0.012-0.014 (iid permutations of the
// null-refit residuals, statistic sum |u|).
// An end still accepted at the widest grid is unbounded, not the grid's edge.
BOOST_AUTO_TEST_CASE(invert_open_end_is_infinite) {
  const auto r = ev::detail::invert([](double h) { return h > 0.0 ? 0.5 : 0.01; }, 1.0, 1.0, 0.1, 41, 1.0);
  BOOST_TEST(std::isinf(r.upper));
  BOOST_TEST(r.upper > 0.0);
  BOOST_TEST(std::abs(r.lower) < 1e-6);
  BOOST_TEST(!r.hull);
}

// A narrow accepted band between two grid points is found by the dense search around the
// best grid point; one far from the grid by trying the given extra point (the median).
BOOST_AUTO_TEST_CASE(invert_dense_search_before_empty) {
  auto band = [](double h) { return 0.12 - 0.5 * std::abs(h - 0.3); };  // accepted on (0.26, 0.34)
  const auto r = ev::detail::invert(band, 0.0, 1.0, 0.1, 41, std::nan(""));
  BOOST_TEST_REQUIRE(std::isfinite(r.lower));
  BOOST_TEST(r.lower == 0.26, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(r.upper == 0.34, boost::test_tools::tolerance(1e-6));
  auto far = [](double h) { return std::abs(h - 3.1) < 0.01 ? 0.5 : 0.05; };  // between grid points 3.0 and 3.2
  BOOST_TEST(std::isnan(ev::detail::invert(far, 0.0, 1.0, 0.1, 41, std::nan("")).lower));
  const auto m = ev::detail::invert(far, 0.0, 1.0, 0.1, 41, 3.1);
  BOOST_TEST(m.lower == 3.09, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(m.upper >= 3.1);
}

// Accepted points with a rejected one between them: the hull is reported and flagged.
BOOST_AUTO_TEST_CASE(invert_flags_hull) {
  auto two = [](double h) { return std::abs(std::abs(h) - 0.75) <= 0.25 ? 0.5 : 0.05; };
  const auto r = ev::detail::invert(two, 0.0, 0.5, 0.1, 41, 0.0);
  BOOST_TEST(r.hull);
  BOOST_TEST(r.lower == -1.0, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(r.upper == 1.0, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(!ev::detail::invert([](double h) { return std::abs(h) < 1.0 ? 0.5 : 0.05; }, 0.0, 0.5, 0.1, 41, 0.0).hull);
}

// Too few permutations to reach alpha: (-inf, inf) and flagged, overall and pointwise;
// as_lift_test refuses the unbounded interval.
BOOST_AUTO_TEST_CASE(design_that_cannot_reject) {
  const ev::Panel p = factor_panel(8, 8, 5, 3.0, 10.0, 5, 0.3);
  ev::ConformalOptions c;
  c.alpha = 0.1;
  c.permutation = ev::Permutation::moving_block;  // 8 cyclic shifts: p >= 1/8 > 0.1
  const auto r = ev::conformal_inference(p, ev::Assignment{{0}, 5, 8}, {}, c);
  BOOST_TEST(r.cannot_reject);
  BOOST_TEST(std::isinf(r.lower));
  BOOST_TEST(r.lower < 0.0);
  BOOST_TEST(std::isinf(r.upper));
  BOOST_TEST(r.upper > 0.0);
  BOOST_TEST(r.pointwise_cannot_reject);  // start + 1 = 6 positions: p >= 1/6
  BOOST_TEST(std::isinf(r.pointwise_lower(0)));
  BOOST_TEST(std::isinf(r.pointwise_upper(2)));
  const auto f = ev::synthetic_control(p, ev::Assignment{{0}, 5, 8});
  try {
    (void)ev::as_lift_test(f, r, "tv");
    BOOST_ERROR("an unbounded interval was accepted");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("cannot reject") != std::string::npos);
  }
  c.permutation = ev::Permutation::iid;  // C(8, 3) = 56 enumerated: the overall test can reject
  const auto i = ev::conformal_inference(p, ev::Assignment{{0}, 5, 8}, {}, c);
  BOOST_TEST(!i.cannot_reject);
  BOOST_TEST(i.pointwise_cannot_reject);
}

BOOST_AUTO_TEST_CASE(geolift_p_value_and_consistent_interval) {
  const ev::Panel p = read_geolift("geolift_test.csv");
  ev::ConformalOptions c;
  c.n_permutations = 4000;
  c.seed = 1;
  c.pointwise = false;
  const auto r = ev::conformal_inference(p, geolift_design(p), {}, c);
  BOOST_TEST(r.p_value >= 0.011);
  BOOST_TEST(r.p_value <= 0.016);
  BOOST_TEST(!r.exact);
  // Inverting sum |u| over constant effects rejects every one at alpha = 0.1 here: the
  // post-period residuals stay large whatever constant is removed (the effect varies over
  // the window), so the interval is empty, as the same test says.
  BOOST_TEST(std::isnan(r.lower));
  // The mean statistic tests the average effect: its interval contains 0 exactly when
  // its p-value of 0 is above alpha, and contains the estimate.
  c.statistic = ev::Statistic::mean;
  const auto m = ev::conformal_inference(p, geolift_design(p), {}, c);
  const auto f = ev::synthetic_control(p, geolift_design(p));
  BOOST_TEST_REQUIRE(std::isfinite(m.lower));
  BOOST_TEST((m.p_value > 0.1) == (m.lower <= 0.0 && m.upper >= 0.0));
  BOOST_TEST(m.lower < f.att);
  BOOST_TEST(m.upper > f.att);
  c.alpha = 0.3;
  const auto narrow = ev::conformal_inference(p, geolift_design(p), {}, c);
  BOOST_TEST(narrow.lower > m.lower);
  BOOST_TEST(narrow.upper < m.upper);
  BOOST_TEST((narrow.p_value > 0.3) == (narrow.lower <= 0.0 && narrow.upper >= 0.0));
}

// Moving-block permutations are the T cyclic shifts (exact); per-unit cells refit each
// treated unit under the null and average the residuals. Either way the p-value and the
// interval come from one test: 0 is inside exactly when p(0) > alpha.
BOOST_AUTO_TEST_CASE(block_permutations_and_per_unit_cells_agree_with_themselves) {
  const ev::Panel p = read_geolift("geolift_test.csv");
  ev::ConformalOptions c;
  c.permutation = ev::Permutation::moving_block;
  c.statistic = ev::Statistic::mean;
  c.pointwise = false;
  const auto block = ev::conformal_inference(p, geolift_design(p), {}, c);
  BOOST_TEST(block.exact);
  BOOST_TEST(block.n_permutations == 105);
  BOOST_TEST(block.p_value * 105.0 == std::round(block.p_value * 105.0), boost::test_tools::tolerance(1e-9));
  BOOST_TEST_REQUIRE(std::isfinite(block.lower));
  BOOST_TEST((block.p_value > 0.1) == (block.lower <= 0.0 && block.upper >= 0.0));
  ev::SyntheticControlOptions o;
  o.aggregation = ev::Aggregation::per_unit;
  c.permutation = ev::Permutation::iid;
  const auto cells = ev::conformal_inference(p, geolift_design(p), o, c);
  const auto fit = ev::synthetic_control(p, geolift_design(p), o);
  BOOST_TEST_REQUIRE(std::isfinite(cells.lower));
  BOOST_TEST(cells.lower < fit.att);
  BOOST_TEST(cells.upper > fit.att);
  BOOST_TEST((cells.p_value > 0.1) == (cells.lower <= 0.0 && cells.upper >= 0.0));
}

BOOST_AUTO_TEST_CASE(pointwise_and_jackknife_cover_a_known_effect) {
  const ev::Panel p = factor_panel(15, 50, 40, 3.0, 10.0, 5, 0.3);
  ev::ConformalOptions c;
  c.alpha = 0.1;
  c.statistic = ev::Statistic::mean;
  const auto r = ev::conformal_inference(p, ev::Assignment{{0}, 40, 50}, {}, c);
  BOOST_TEST_REQUIRE(r.pointwise_lower.size() == 10);
  for (Index j = 0; j < 10; ++j) {
    BOOST_TEST(r.pointwise_lower(j) <= 3.0 + 1e-6);
    BOOST_TEST(r.pointwise_upper(j) >= 3.0 - 1e-6);
  }
  BOOST_TEST(r.lower <= 3.0 + 1e-6);
  BOOST_TEST(r.upper >= 3.0 - 1e-6);
  BOOST_TEST(r.p_value <= 0.1);
  const auto j = ev::jackknife_plus(p, ev::Assignment{{0}, 40, 50});
  BOOST_TEST(j.lower <= 3.0 + 1e-6);
  BOOST_TEST(j.upper >= 3.0 - 1e-6);
  BOOST_TEST(j.held_out_errors.size() == 40);
}

// jackknife+ under per_unit aggregation refits each treated unit on its own (as the point
// estimate does): its leave-one-out errors are the mean of each unit's lone jackknife+ on
// the same donor pool, not the errors of the averaged series (which it used to return
// whatever the aggregation).
BOOST_AUTO_TEST_CASE(jackknife_plus_honours_per_unit) {
  const ev::Panel p = read_geolift("geolift_test.csv");
  ev::SyntheticControlOptions per_unit;
  per_unit.aggregation = ev::Aggregation::per_unit;
  const auto jp = ev::jackknife_plus(p, geolift_design(p), per_unit);
  const auto ja = ev::jackknife_plus(p, geolift_design(p));
  const ev::Panel no_portland = without_unit(p, row_of(p, "portland"));
  const ev::Panel no_chicago = without_unit(p, row_of(p, "chicago"));
  const auto jc = ev::jackknife_plus(no_portland, ev::Assignment{{row_of(no_portland, "chicago")}, 90, 105});
  const auto jo = ev::jackknife_plus(no_chicago, ev::Assignment{{row_of(no_chicago, "portland")}, 90, 105});
  BOOST_TEST_REQUIRE(jp.held_out_errors.size() == 90);
  trustmix::test::check_close(jp.held_out_errors, (0.5 * (jc.held_out_errors + jo.held_out_errors)).eval(), 1e-9, 1e-6);
  BOOST_TEST((jp.held_out_errors - ja.held_out_errors).cwiseAbs().maxCoeff() > 1.0);
  const auto fit = ev::synthetic_control(p, geolift_design(p), per_unit);
  BOOST_TEST(jp.lower < fit.att);
  BOOST_TEST(fit.att < jp.upper);
  BOOST_TEST(std::abs(jp.lower - ja.lower) + std::abs(jp.upper - ja.upper) > 1e-3);
  // One treated unit: per_unit and average are the same estimator.
  const auto one_a = ev::jackknife_plus(p, ev::Assignment{{row_of(p, "chicago")}, 90, 105});
  const auto one_p = ev::jackknife_plus(p, ev::Assignment{{row_of(p, "chicago")}, 90, 105}, per_unit);
  BOOST_TEST(one_a.lower == one_p.lower);
  BOOST_TEST(one_a.upper == one_p.upper);
}

// Placebo variance with one treated unit: every placebo effect is one donor's placebo-in-
// space effect (the same fit on the donor pool), se is their spread (divisor B), the
// interval att -+ z se, and the draws do not depend on the thread count.
BOOST_AUTO_TEST_CASE(placebo_variance_draws_donors_as_placebos) {
  const ev::Panel p = read_geolift("geolift_test.csv");
  const ev::Assignment a{{row_of(p, "chicago")}, 90, 105};
  ev::SyntheticControlOptions o;
  o.method = ev::Method::synthetic_did;
  const auto r1 = ev::placebo_variance(p, a, o, 0.1, 60, 5, 1);
  const auto r2 = ev::placebo_variance(p, a, o, 0.1, 60, 5, 2);
  BOOST_TEST((r1.placebo_att.array() == r2.placebo_att.array()).all());
  const auto space = ev::placebo_in_space(p, a, o, 1);
  for (Index b = 0; b < r1.placebo_att.size(); ++b) {
    double nearest = 1e300;
    for (Index k = 0; k < space.att.size(); ++k) nearest = std::min(nearest, std::abs(space.att(k) - r1.placebo_att(b)));
    BOOST_TEST(nearest < 1e-9);
  }
  const double m = r1.placebo_att.mean();
  BOOST_TEST(r1.se == std::sqrt((r1.placebo_att.array() - m).square().mean()), boost::test_tools::tolerance(1e-12));
  const auto fit = ev::synthetic_control(p, a, o);
  BOOST_TEST(r1.upper - fit.att == 1.6448536269514722 * r1.se, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(fit.att - r1.lower == 1.6448536269514722 * r1.se, boost::test_tools::tolerance(1e-9));
  ev::Panel small = factor_panel(3, 20, 15, 0.0, 0.0, 1);
  BOOST_CHECK_THROW((void)ev::placebo_variance(small, ev::Assignment{{0, 1}, 15, 20}), std::invalid_argument);
  BOOST_CHECK_THROW((void)ev::placebo_variance(p, a, o, 0.1, 1), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(placebos) {
  const ev::Panel p = read_geolift("geolift_test.csv");
  const auto s1 = ev::placebo_in_space(p, geolift_design(p), {}, 1);
  const auto s2 = ev::placebo_in_space(p, geolift_design(p), {}, 2);
  BOOST_TEST(s1.att.size() == 38);
  BOOST_TEST((s1.att.array() == s2.att.array()).all());  // identical for any thread count
  BOOST_TEST(s1.p_value > 0.0);
  BOOST_TEST(s1.p_value <= 1.0);
  const auto t = ev::placebo_in_time(p, geolift_design(p));
  BOOST_TEST(t.fit.start == 75);
  BOOST_TEST(t.fit.end == 90);
  BOOST_TEST(std::abs(t.fit.lift) < 0.03);  // no effect before the test
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(did)

BOOST_AUTO_TEST_CASE(staggered_recovers_cohort_effects) {
  std::mt19937_64 rng(2);
  std::normal_distribution<double> z(0.0, 1.0);
  const Index n = 12, T = 10;
  ev::Panel p;
  p.outcomes.resize(n, T);
  std::vector<Index> adoption(static_cast<std::size_t>(n), -1);
  for (Index i = 0; i < 4; ++i) adoption[static_cast<std::size_t>(i)] = 4;
  for (Index i = 4; i < 7; ++i) adoption[static_cast<std::size_t>(i)] = 7;
  for (Index i = 0; i < n; ++i) {
    const double u = 10.0 * z(rng);
    for (Index t = 0; t < T; ++t) {
      p.outcomes(i, t) = u + 0.7 * static_cast<double>(t);
      const Index g = adoption[static_cast<std::size_t>(i)];
      if (g >= 0 && t >= g) p.outcomes(i, t) += g == 4 ? 2.0 : 5.0;
    }
  }
  const auto r = ev::staggered_did(p, adoption);
  // Post cells: cohort 4 has 6 periods x 4 units, cohort 7 has 3 x 3: weights by size.
  const double expected = (6 * 4 * 2.0 + 3 * 3 * 5.0) / (6 * 4 + 3 * 3);
  BOOST_TEST(r.att == expected, boost::test_tools::tolerance(1e-10));
  BOOST_TEST(r.att_se < 1e-9);  // no noise
  for (Index k = 0; k < r.event_time.size(); ++k)
    if (r.event_time(k) < 0) BOOST_TEST(std::abs(r.event_att(k)) < 1e-10);
}

// One cohort, one post period: the standard error is the two-sample formula with the
// population variances, sqrt(s_g^2 / n_g + s_c^2 / n_c).
BOOST_AUTO_TEST_CASE(two_by_two_standard_error) {
  ev::Panel p;
  p.outcomes.resize(5, 2);
  p.outcomes << 0, 1, 0, 3, 0, 0, 0, 2, 0, 7;
  const auto r = ev::staggered_did(p, {1, 1, -1, -1, -1});
  BOOST_TEST(r.att == 2.0 - 3.0, boost::test_tools::tolerance(1e-12));
  const double vg = (1.0 + 1.0) / 2.0, vc = (9.0 + 1.0 + 16.0) / 3.0;
  BOOST_TEST(r.att_se == std::sqrt(vg / 2.0 + vc / 3.0), boost::test_tools::tolerance(1e-12));
}

// The influence functions are recomputed per aggregate instead of stored: the standard
// errors equal those of the dense influence matrix built here from the formula
// psi_i = (d_i - mean_G d) / |G| (cohort), -(d_i - mean_C d) / |C| (never treated).
BOOST_AUTO_TEST_CASE(streamed_influence_matches_dense) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> z(0.0, 1.0);
  const Index n = 17, T = 9;
  ev::Panel p;
  p.outcomes.resize(n, T);
  std::vector<Index> adoption(static_cast<std::size_t>(n), -1);
  for (Index i = 0; i < n; ++i) {
    adoption[static_cast<std::size_t>(i)] = i < 3 ? 3 : i < 8 ? 5 : i < 10 ? 8 : -1;
    for (Index t = 0; t < T; ++t) p.outcomes(i, t) = 5.0 * z(rng) + 0.3 * static_cast<double>(t) + z(rng);
  }
  const auto r = ev::staggered_did(p, adoption);
  const auto m = static_cast<Index>(r.cell_att.size());
  BOOST_TEST_REQUIRE(m == 3 * (T - 1));
  Eigen::MatrixXd Psi = Eigen::MatrixXd::Zero(n, m);
  Eigen::VectorXd size(m);
  for (Index c = 0; c < m; ++c) {
    const Index g = r.cell_cohort[static_cast<std::size_t>(c)], t = r.cell_period[static_cast<std::size_t>(c)];
    std::vector<Index> G, C;
    for (Index i = 0; i < n; ++i) {
      const Index a = adoption[static_cast<std::size_t>(i)];
      if (a == g) G.push_back(i);
      if (a < 0) C.push_back(i);
    }
    auto mean = [&](const std::vector<Index>& s) {
      double v = 0.0;
      for (auto i : s) v += p.outcomes(i, t) - p.outcomes(i, g - 1);
      return v / static_cast<double>(s.size());
    };
    const double mg = mean(G), mc = mean(C);
    for (auto i : G) Psi(i, c) = (p.outcomes(i, t) - p.outcomes(i, g - 1) - mg) / static_cast<double>(G.size());
    for (auto i : C) Psi(i, c) = -(p.outcomes(i, t) - p.outcomes(i, g - 1) - mc) / static_cast<double>(C.size());
    BOOST_TEST(r.cell_att(c) == mg - mc, boost::test_tools::tolerance(1e-12));
    size(c) = static_cast<double>(G.size());
  }
  trustmix::test::check_close(r.cell_se, Eigen::VectorXd(Psi.colwise().norm().transpose()), 1e-12);
  auto weights = [&](auto&& keep) {
    Eigen::VectorXd w = Eigen::VectorXd::Zero(m);
    for (Index c = 0; c < m; ++c)
      if (keep(r.cell_period[static_cast<std::size_t>(c)] - r.cell_cohort[static_cast<std::size_t>(c)])) w(c) = size(c);
    return Eigen::VectorXd(w / w.sum());
  };
  const Eigen::VectorXd w_post = weights([](Index e) { return e >= 0; });
  BOOST_TEST(r.att == w_post.dot(r.cell_att), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.att_se == (Psi * w_post).norm(), boost::test_tools::tolerance(1e-12));
  for (Index k = 0; k < r.event_time.size(); ++k) {
    const auto e = static_cast<Index>(r.event_time(k));
    const Eigen::VectorXd w = weights([e](Index x) { return x == e; });
    BOOST_TEST(r.event_att(k) == w.dot(r.cell_att), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(r.event_se(k) == (Psi * w).norm(), boost::test_tools::tolerance(1e-12));
  }
}

#if defined(__linux__)
// 6,000 units, 120 periods, 60 adoption dates: a dense influence matrix (units x 7,140
// cells) would take 343 MB (twice that while it was built from per-cell vectors). Run in a
// child process whose address space may grow by 150 MB only: the streamed computation fits.
BOOST_AUTO_TEST_CASE(memory_is_linear_in_units_and_cells) {
  const Index n = 6000, T = 120;
  ev::Panel p;
  p.outcomes.resize(n, T);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<Index> adoption(static_cast<std::size_t>(n), -1);
  for (Index i = 0; i < n; ++i) {
    if (i < 3000) adoption[static_cast<std::size_t>(i)] = 1 + i / 50;  // cohorts 1..60, 50 units each
    const double u = z(rng);
    for (Index t = 0; t < T; ++t) p.outcomes(i, t) = u + 0.01 * static_cast<double>(t) + 0.1 * z(rng);
  }
  const pid_t child = fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    long pages = 0;
    {
      std::ifstream statm("/proc/self/statm");
      statm >> pages;
    }
    const rlim_t vm = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGE_SIZE));
    const rlimit cap{vm + (150UL << 20), vm + (150UL << 20)};
    setrlimit(RLIMIT_AS, &cap);
    int code = 1;
    try {
      const auto r = ev::staggered_did(p, adoption);
      code = (r.cell_att.size() == 60 * (T - 1) && std::isfinite(r.att_se) && r.att_se > 0.0) ? 0 : 2;
    } catch (const std::bad_alloc&) {
      code = 3;
    } catch (...) {
      code = 4;
    }
    _exit(code);
  }
  int status = 0;
  waitpid(child, &status, 0);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0, "child exit " << WEXITSTATUS(status) << " (3: out of memory)");
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(design)

BOOST_AUTO_TEST_CASE(power_is_deterministic_and_sensible) {
  const ev::Panel p = read_geolift("geolift_pretest.csv");
  ev::PowerOptions o;
  o.effects = {0.0, 0.05, 0.3};
  o.n_windows = 3;
  const std::vector<Index> treated{row_of(p, "chicago"), row_of(p, "portland")};
  const auto c = ev::power_analysis(p, treated, 15, o);
  BOOST_TEST(c.power(2) == 1.0);  // a 30% lift is always found
  BOOST_TEST(c.power(0) <= 1.0 / 3.0 + 1e-12);
  BOOST_TEST(std::abs(c.bias_at_zero) < 0.05);
  BOOST_TEST(c.estimated_lift(2) - c.estimated_lift(0) > 0.29);
  BOOST_TEST(std::isfinite(c.mde));
  ev::MarketSelectionOptions m;
  m.sizes = {2, 3};
  m.durations = {10};
  m.power = o;
  m.power.threads = 1;
  const auto a = ev::market_selection(p, m);
  m.power.threads = 2;
  const auto b = ev::market_selection(p, m);
  BOOST_TEST_REQUIRE(a.designs.size() == b.designs.size());
  for (std::size_t k = 0; k < a.designs.size(); ++k) {
    BOOST_TEST((a.designs[k].treated == b.designs[k].treated));
    BOOST_TEST((a.designs[k].power.array() == b.designs[k].power.array()).all());
  }
  for (std::size_t k = 1; k < a.designs.size(); ++k)
    if (std::isfinite(a.designs[k].mde)) BOOST_TEST(a.designs[k - 1].mde <= a.designs[k].mde);
}

// Power's estimated lift is the point estimator's: for synthetic DiD with its time weights.
BOOST_AUTO_TEST_CASE(power_uses_the_point_estimator) {
  const ev::Panel p = factor_panel(10, 40, 30, 0.0, 5.0, 7, 0.5);
  for (const auto method : {ev::Method::synthetic_control, ev::Method::synthetic_did}) {
    ev::PowerOptions o;
    o.effects = {0.0};
    o.n_windows = 1;
    o.synthetic_control.method = method;
    const auto c = ev::power_analysis(p, {0}, 6, o);
    const auto f = ev::synthetic_control(p, ev::Assignment{{0}, 34, 40}, o.synthetic_control);
    BOOST_TEST(c.bias_at_zero == f.lift, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(c.estimated_lift(0) == f.lift, boost::test_tools::tolerance(1e-9));
  }
}

// Relative lifts need a positive synthetic total: a non-positive one is refused by name
// (it made bias_at_zero NaN and broke the ordering of market_selection).
BOOST_AUTO_TEST_CASE(power_refuses_non_positive_synthetic) {
  ev::Panel p = factor_panel(8, 40, 30, 0.0, 0.0, 3);
  p.outcomes.array() -= 1000.0;  // every unit negative
  ev::PowerOptions o;
  o.effects = {0.0, 0.1};
  o.n_windows = 2;
  try {
    (void)ev::power_analysis(p, {0}, 5, o);
    BOOST_ERROR("a negative synthetic total was accepted");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("relative lifts need positive outcomes") != std::string::npos);
  }
  ev::MarketSelectionOptions m;
  m.sizes = {1};
  m.durations = {5};
  m.power = o;
  m.power.threads = 1;
  BOOST_CHECK_THROW((void)ev::market_selection(p, m), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lift_test)

BOOST_AUTO_TEST_CASE(export_for_calibration) {
  const ev::Panel p = read_geolift("geolift_test.csv");
  const auto f = ev::synthetic_control(p, geolift_design(p));
  ev::ConformalOptions c;
  c.pointwise = false;
  c.statistic = ev::Statistic::mean;
  const auto r = ev::conformal_inference(p, geolift_design(p), {}, c);
  const auto t = ev::as_lift_test(f, r, "instagram", 10000.0, 7);
  BOOST_TEST(t.lift == f.incremental);
  BOOST_TEST(t.standard_error == (r.upper - r.lower) / (2.0 * 1.6448536269514722) * 30.0,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(t.iroas == f.incremental / 10000.0, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(t.cooldown == 7);
  BOOST_CHECK_THROW(ev::as_lift_test(f, r, ""), std::invalid_argument);
  BOOST_CHECK_THROW(ev::as_lift_test(f, r, "tv", -1.0), std::invalid_argument);
  ev::ConformalResult reversed = r;
  std::swap(reversed.lower, reversed.upper);
  BOOST_CHECK_THROW(ev::as_lift_test(f, reversed, "tv"), std::invalid_argument);
  ev::SyntheticControlFit none = f;
  none.treated.clear();
  BOOST_CHECK_THROW(ev::as_lift_test(none, r, "tv"), std::invalid_argument);
}

// The per-period lift test on GeoLift's walkthrough: the periods' lifts are the fit's
// effects x 2 treated units and sum to the total; each standard error is its pointwise
// conformal interval read as a normal one, x 2 units, scaled by k = max(1, se / sqrt(sum
// se_j^2)), so that their independent sum carries at least the total's standard error.
BOOST_AUTO_TEST_CASE(per_period_export_for_calibration) {
  const ev::Panel p = read_geolift("geolift_test.csv");
  const auto f = ev::synthetic_control(p, geolift_design(p));
  ev::ConformalOptions c;
  c.pointwise = true;
  c.statistic = ev::Statistic::mean;
  const auto r = ev::conformal_inference(p, geolift_design(p), {}, c);
  const auto t = ev::as_period_lift_test(f, r, "instagram", 10000.0, 7, true);
  const auto total = ev::as_lift_test(f, r, "instagram", 10000.0, 7, true);
  BOOST_TEST(t.lift == total.lift);
  BOOST_TEST(t.standard_error == total.standard_error);
  BOOST_TEST(t.end == total.end);
  BOOST_TEST(t.measured_end == total.measured_end);
  BOOST_REQUIRE(t.period_lift.size() == 15);
  BOOST_REQUIRE(t.period_standard_error.size() == 15);
  BOOST_TEST(t.period_lift.sum() == f.incremental, boost::test_tools::tolerance(1e-10));
  const double z = 1.6448536269514722;
  double ss = 0.0;
  for (Eigen::Index j = 0; j < 15; ++j) {
    BOOST_TEST(t.period_lift(j) == 2.0 * f.effect(f.start + j), boost::test_tools::tolerance(1e-12));
    const double raw = (r.pointwise_upper(j) - r.pointwise_lower(j)) / (2.0 * z) * 2.0;
    ss += raw * raw;
  }
  const double k = std::max(1.0, total.standard_error / std::sqrt(ss));
  for (Eigen::Index j = 0; j < 15; ++j) {
    const double raw = (r.pointwise_upper(j) - r.pointwise_lower(j)) / (2.0 * z) * 2.0;
    BOOST_TEST(t.period_standard_error(j) == k * raw, boost::test_tools::tolerance(1e-12));
  }
  BOOST_TEST(std::sqrt(t.period_standard_error.squaredNorm()) >= total.standard_error * (1.0 - 1e-12));
  // the plain export carries no per-period values
  BOOST_TEST(total.period_lift.size() == 0);
  // without pointwise intervals, or with an unbounded one, the per-period test is refused
  ev::ConformalResult none = r;
  none.pointwise_lower.resize(0);
  none.pointwise_upper.resize(0);
  BOOST_CHECK_THROW((void)ev::as_period_lift_test(f, none, "instagram"), std::invalid_argument);
  ev::ConformalResult open = r;
  open.pointwise_upper(3) = std::numeric_limits<double>::infinity();
  BOOST_CHECK_EXCEPTION(
      (void)ev::as_period_lift_test(f, open, "instagram"), std::invalid_argument,
      [](const std::invalid_argument& e) { return std::string(e.what()).find("measured period 3") != std::string::npos; });
}

BOOST_AUTO_TEST_CASE(permutation_budget_is_capped) {
  ev::ConformalOptions o;
  o.n_permutations = ev::detail::PermutationPlan::max_permutations + 1;
  BOOST_CHECK_THROW(ev::detail::PermutationPlan(100, 10, o), std::invalid_argument);
  const ev::Panel p = factor_panel(6, 20, 15, 0.0, 0.0, 1);
  BOOST_CHECK_THROW((void)ev::conformal_inference(p, ev::Assignment{{0}, 15, 20}, {}, o), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
