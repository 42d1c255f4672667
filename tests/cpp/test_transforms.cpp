// Adstock and saturation: closed forms, other libraries' conventions, analytic
// derivatives against central finite differences, determinism across thread counts.
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <trustmix/transforms/transforms.hpp>

#include <cmath>
#include <random>

#include "check.hpp"

namespace tf = trustmix::transforms;
namespace bdata = boost::unit_test::data;
using trustmix::test::check_close;
using trustmix::test::random_media;
using Vec = Eigen::VectorXd;

namespace {

Vec v(double a) { return Vec::Constant(1, a); }


tf::RowMatrix impulse(Eigen::Index T) {
  tf::RowMatrix x = tf::RowMatrix::Zero(T, 1);
  x(0, 0) = 1.0;
  return x;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(adstock_closed_forms)

BOOST_AUTO_TEST_CASE(geometric_impulse_is_alpha_power) {
  const double a = 0.7;
  const int L = 6;
  const auto raw = tf::adstock(impulse(10), tf::AdstockKind::geometric, {v(a)}, L, false);
  const auto norm = tf::adstock(impulse(10), tf::AdstockKind::geometric, {v(a)}, L, true);
  const double total = (1.0 - std::pow(a, L + 1)) / (1.0 - a);  // geometric series
  for (int t = 0; t < 10; ++t) {
    const double expected = t <= L ? std::pow(a, t) : 0.0;
    BOOST_TEST(raw.values(t, 0) == expected, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(norm.values(t, 0) == expected / total, boost::test_tools::tolerance(1e-14));
  }
}

BOOST_AUTO_TEST_CASE(normalised_steady_state_equals_input) {
  // A constant input is returned unchanged once the window is full, for every family.
  const tf::RowMatrix x = tf::RowMatrix::Constant(30, 1, 4.2);
  const std::vector<std::pair<tf::AdstockKind, std::vector<Vec>>> cases = {{tf::AdstockKind::geometric, {v(0.6)}},
                                                                           {tf::AdstockKind::delayed, {v(0.5), v(2.0)}},
                                                                           {tf::AdstockKind::binomial, {v(0.3)}},
                                                                           {tf::AdstockKind::weibull_cdf, {v(1.5), v(3.0)}},
                                                                           {tf::AdstockKind::weibull_pdf, {v(2.0), v(4.0)}}};
  for (const auto& [kind, p] : cases) {
    const auto r = tf::adstock(x, kind, p, 8, true);
    for (int t = 8; t < 30; ++t) BOOST_TEST(r.values(t, 0) == 4.2, boost::test_tools::tolerance(1e-13));
  }
}

BOOST_AUTO_TEST_CASE(infinite_geometric_matches_recursion_and_long_window) {
  const double a = 0.8;
  const auto inf = tf::adstock(impulse(40), tf::AdstockKind::geometric, {v(a)}, tf::infinite_lag, true);
  for (int t = 0; t < 40; ++t)
    BOOST_TEST(inf.values(t, 0) == (1.0 - a) * std::pow(a, t), boost::test_tools::tolerance(1e-13));
  // Steady state of a constant input approaches the input: 1 - a^(t+1).
  const auto step = tf::adstock(tf::RowMatrix::Ones(40, 1), tf::AdstockKind::geometric, {v(a)}, tf::infinite_lag, true);
  for (int t = 0; t < 40; ++t)
    BOOST_TEST(step.values(t, 0) == 1.0 - std::pow(a, t + 1), boost::test_tools::tolerance(1e-13));
  // A window longer than the series gives the same unnormalised values.
  const auto raw_inf = tf::adstock(impulse(40), tf::AdstockKind::geometric, {v(a)}, tf::infinite_lag, false);
  const auto raw_win = tf::adstock(impulse(40), tf::AdstockKind::geometric, {v(a)}, 60, false);
  check_close(raw_inf.values, raw_win.values, 1e-13);
}

BOOST_AUTO_TEST_CASE(half_life_identities) {
  // alpha = 0.5^(1/h): the weight at lag h is half the weight at lag 0.
  const double h = 4.0;
  const double a = tf::rate_from_half_life(h);
  BOOST_TEST(tf::half_life(a) == h, boost::test_tools::tolerance(1e-14));
  const auto w = tf::adstock_weights(tf::AdstockKind::geometric, &a, 10, false);
  BOOST_TEST(w.w[4] / w.w[0] == 0.5, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(tf::half_life(0.5) == 1.0, boost::test_tools::tolerance(1e-15));
  // 90% duration: 1 - r^d = 0.9.
  const double d = tf::duration_90(0.93);
  BOOST_TEST(1.0 - std::pow(0.93, d) == 0.9, boost::test_tools::tolerance(1e-13));
  BOOST_TEST(tf::rate_from_duration_90(d) == 0.93, boost::test_tools::tolerance(1e-14));
  // Weekly 0.5 is daily 0.5^(1/7).
  BOOST_TEST(tf::convert_rate(0.5, 7.0, 1.0) == std::pow(0.5, 1.0 / 7.0), boost::test_tools::tolerance(1e-15));
  BOOST_CHECK_THROW((void)tf::half_life(1.0), std::invalid_argument);
  BOOST_CHECK_THROW((void)tf::rate_from_half_life(-2.0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(family_shapes) {
  // delayed peaks at theta; binomial alpha = 1 is uniform; Weibull PDF with k = 1 is the
  // exponential, i.e. geometric with alpha = exp(-1/lambda); Weibull CDF with k = 1 has
  // w_l = exp(-(l+1)(l+2) / (2 lambda)).
  const double dp[] = {0.4, 3.0};
  const auto d = tf::adstock_weights(tf::AdstockKind::delayed, dp, 8, true);
  Eigen::Index peak = 0;
  d.w.maxCoeff(&peak);
  BOOST_TEST(peak == 3);
  const double one = 1.0;
  const auto b = tf::adstock_weights(tf::AdstockKind::binomial, &one, 5, true);
  check_close(b.w, Vec::Constant(6, 1.0 / 6.0), 1e-15);
  const double lam = 2.5;
  const double wp[] = {1.0, lam};
  const auto pdf = tf::adstock_weights(tf::AdstockKind::weibull_pdf, wp, 7, false);
  const double alpha = std::exp(-1.0 / lam);
  const auto geo = tf::adstock_weights(tf::AdstockKind::geometric, &alpha, 7, false);
  check_close(pdf.w, geo.w, 1e-14);
  const auto cdf = tf::adstock_weights(tf::AdstockKind::weibull_cdf, wp, 7, false);
  for (int l = 0; l <= 7; ++l)
    BOOST_TEST(cdf.w[l] == std::exp(-(l + 1.0) * (l + 2.0) / (2.0 * lam)), boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(pymc_marketing_convention_values) {
  // PyMC-Marketing geometric_adstock(x, alpha=0.5, l_max=3, normalize=False) is our
  // max_lag = 2: y_t = x_t + 0.5 x_{t-1} + 0.25 x_{t-2}.
  tf::RowMatrix x(5, 1);
  x << 1, 2, 3, 4, 5;
  const auto r = tf::adstock(x, tf::AdstockKind::geometric, {v(0.5)}, 2, false);
  Eigen::VectorXd expected(5);
  expected << 1.0, 2.5, 4.25, 6.0, 7.75;
  check_close(r.values.col(0), expected, 1e-15);
  // Meridian binomial weights with max_lag = 3, alpha = 0.5: (1 - l/4)^1 = 1, .75, .5, .25.
  const double a = 0.5;
  const auto w = tf::adstock_weights(tf::AdstockKind::binomial, &a, 3, false);
  Eigen::VectorXd ew(4);
  ew << 1.0, 0.75, 0.5, 0.25;
  check_close(w.w, ew, 1e-15);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(adstock_derivatives)

const std::vector<std::pair<tf::AdstockKind, std::vector<double>>> adstock_cases = {
    {tf::AdstockKind::geometric, {0.65}},
    {tf::AdstockKind::delayed, {0.55, 2.3}},
    {tf::AdstockKind::binomial, {0.35}},
    {tf::AdstockKind::weibull_cdf, {1.7, 3.2}},
    {tf::AdstockKind::weibull_pdf, {2.2, 3.5}}};

BOOST_DATA_TEST_CASE(parameter_gradients_match_finite_differences, bdata::xrange(5) * bdata::make({true, false}), which,
                     normalize) {
  const auto& [kind, base] = adstock_cases[static_cast<std::size_t>(which)];
  const tf::RowMatrix x = random_media(40, 3, 7);
  std::vector<Vec> p;
  for (double b : base) p.push_back(v(b));
  const int L = 9;
  const auto r = tf::adstock(x, kind, p, L, normalize, true);
  BOOST_REQUIRE_EQUAL(r.gradients.size(), base.size());
  for (std::size_t i = 0; i < base.size(); ++i) {
    auto f = [&](double val) {
      auto q = p;
      q[i] = v(val);
      return tf::adstock(x, kind, q, L, normalize).values;
    };
    const auto fd = trustmix::test::central_difference(f, base[i], 1e-6 * std::max(1.0, base[i]));
    BOOST_TEST_CONTEXT(tf::to_string(kind) << " parameter " << i << " normalize " << normalize) {
      check_close(r.gradients[i], fd, 1e-6, 1e-3);
    }
  }
}

BOOST_AUTO_TEST_CASE(infinite_geometric_gradient) {
  const tf::RowMatrix x = random_media(50, 2, 3);
  for (bool normalize : {true, false}) {
    const auto r = tf::adstock(x, tf::AdstockKind::geometric, {v(0.8)}, tf::infinite_lag, normalize, true);
    auto f = [&](double a) {
      return tf::adstock(x, tf::AdstockKind::geometric, {v(a)}, tf::infinite_lag, normalize).values;
    };
    check_close(r.gradients[0], trustmix::test::central_difference(f, 0.8, 1e-6), 1e-6, 1e-3);
  }
}

BOOST_AUTO_TEST_CASE(input_derivative_is_lag_weights_and_transpose_is_adjoint) {
  const tf::RowMatrix x = random_media(20, 2, 11);
  const int L = 4;
  const auto r = tf::adstock(x, tf::AdstockKind::weibull_cdf, {Vec::Constant(2, 1.3), Vec::Constant(2, 2.0)}, L, true, true);
  // Perturb x[5, 1]: y[5 + l, 1] moves by weights(l, 1) * h, nothing else moves.
  const double h = 1e-3;
  tf::RowMatrix xp = x;
  xp(5, 1) += h;
  const auto rp = tf::adstock(xp, tf::AdstockKind::weibull_cdf, {Vec::Constant(2, 1.3), Vec::Constant(2, 2.0)}, L, true);
  const tf::RowMatrix dy = (rp.values - r.values) / h;
  for (int t = 0; t < 20; ++t) {
    const double expected = (t >= 5 && t <= 5 + L) ? r.weights(t - 5, 1) : 0.0;
    BOOST_TEST(dy(t, 1) == expected, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(dy(t, 0) == 0.0);
  }
  // <A x, g> = <x, A^T g> for the adstock operator A.
  const tf::RowMatrix g = random_media(20, 2, 12);
  const tf::RowMatrix at = tf::adstock_transpose(g, r.weights);
  BOOST_TEST((r.values.array() * g.array()).sum() == (x.array() * at.array()).sum(), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(saturation)

BOOST_AUTO_TEST_CASE(closed_forms) {
  tf::RowMatrix x(1, 4);
  x << 0.0, 0.8, 2.0, 5.0;
  const auto hill = tf::saturate(x, tf::SaturationKind::hill, {v(2.0), v(1.7)});
  BOOST_TEST(hill.values(0, 0) == 0.0);
  BOOST_TEST(hill.values(0, 2) == 0.5, boost::test_tools::tolerance(1e-15));  // x = k
  BOOST_TEST(hill.values(0, 3) == std::pow(5.0, 1.7) / (std::pow(5.0, 1.7) + std::pow(2.0, 1.7)),
             boost::test_tools::tolerance(1e-14));
  const auto mm = tf::saturate(x, tf::SaturationKind::michaelis_menten, {v(2.0)});
  BOOST_TEST(mm.values(0, 2) == 0.5, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(mm.values(0, 1) == 0.8 / 2.8, boost::test_tools::tolerance(1e-15));
  const auto lg = tf::saturate(x, tf::SaturationKind::logistic, {v(1.3)});
  for (int c = 0; c < 4; ++c) {
    const double e = std::exp(-1.3 * x(0, c));
    BOOST_TEST(lg.values(0, c) == (1.0 - e) / (1.0 + e), boost::test_tools::tolerance(1e-14));
  }
  const auto th = tf::saturate(x, tf::SaturationKind::tanh, {v(2.0)});
  BOOST_TEST(th.values(0, 2) == std::tanh(1.0), boost::test_tools::tolerance(1e-15));
}

BOOST_DATA_TEST_CASE(gradients_match_finite_differences, bdata::xrange(4), which) {
  const auto kind = static_cast<tf::SaturationKind>(which);
  const std::vector<std::vector<double>> params = {{1.4, 2.2}, {0.9}, {1.1}, {1.6}};
  tf::RowMatrix x = random_media(30, 3, 5).array() + 0.05;  // away from 0 for the x derivative
  std::vector<Vec> p;
  for (double b : params[static_cast<std::size_t>(which)]) p.push_back(v(b));
  const auto r = tf::saturate(x, kind, p, true);
  for (std::size_t i = 0; i < p.size(); ++i) {
    auto f = [&](double val) {
      auto q = p;
      q[i] = v(val);
      return tf::saturate(x, kind, q).values;
    };
    check_close(r.gradients[i], trustmix::test::central_difference(f, p[i][0], 1e-6), 1e-6, 1e-4);
  }
  tf::RowMatrix fdx(x.rows(), x.cols());
  const double h = 1e-6;
  const auto up = tf::saturate((x.array() + h).matrix(), kind, p).values;
  const auto down = tf::saturate((x.array() - h).matrix(), kind, p).values;
  check_close(r.dx, ((up - down) / (2 * h)).eval(), 1e-6, 1e-4);
}

BOOST_AUTO_TEST_CASE(hill_limits_at_zero) {
  tf::RowMatrix x = tf::RowMatrix::Zero(1, 3);
  const auto r = tf::saturate(x, tf::SaturationKind::hill, {v(2.0), (Vec(3) << 0.5, 1.0, 2.0).finished()}, true);
  BOOST_TEST(std::isinf(r.dx(0, 0)));
  BOOST_TEST(r.dx(0, 1) == 0.5);  // s = 1: 1/k
  BOOST_TEST(r.dx(0, 2) == 0.0);
  BOOST_TEST(r.gradients[0].cwiseAbs().maxCoeff() == 0.0);
  BOOST_TEST(r.gradients[1].cwiseAbs().maxCoeff() == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(determinism_and_errors)

BOOST_AUTO_TEST_CASE(bit_identical_for_any_thread_count) {
  const tf::RowMatrix x = random_media(3000, 17, 9);
  const auto a1 = tf::adstock(x, tf::AdstockKind::weibull_pdf, {v(2.0), v(3.0)}, 13, true, true, 1);
  const auto a2 = tf::adstock(x, tf::AdstockKind::weibull_pdf, {v(2.0), v(3.0)}, 13, true, true, 2);
  const auto a4 = tf::adstock(x, tf::AdstockKind::weibull_pdf, {v(2.0), v(3.0)}, 13, true, true, 4);
  BOOST_TEST((a1.values.array() == a2.values.array()).all());
  BOOST_TEST((a1.values.array() == a4.values.array()).all());
  BOOST_TEST((a1.gradients[1].array() == a4.gradients[1].array()).all());
  const auto s1 = tf::saturate(a1.values, tf::SaturationKind::hill, {v(0.7), v(1.5)}, true, 1);
  const auto s3 = tf::saturate(a1.values, tf::SaturationKind::hill, {v(0.7), v(1.5)}, true, 3);
  BOOST_TEST((s1.values.array() == s3.values.array()).all());
  BOOST_TEST((s1.gradients[0].array() == s3.gradients[0].array()).all());
}

BOOST_AUTO_TEST_CASE(errors_name_the_parameter_and_the_cell) {
  tf::RowMatrix x = tf::RowMatrix::Ones(4, 2);
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  BOOST_TEST(message([&] {
               (void)tf::adstock(x, tf::AdstockKind::geometric, {v(1.5)}, 3, true);
             }).find("alpha must be in [0, 1], got 1.5") != std::string::npos);
  BOOST_TEST(message([&] {
               (void)tf::adstock(x, tf::AdstockKind::geometric, {Vec::Constant(3, 0.5)}, 3, true);
             }).find("one per channel (2), got 3") != std::string::npos);
  BOOST_TEST(message([&] {
               (void)tf::adstock(x, tf::AdstockKind::delayed, {v(0.5), v(5.0)}, 3, true);
             }).find("theta must be in [0, 3]") != std::string::npos);
  BOOST_TEST(message([&] {
               (void)tf::adstock(x, tf::AdstockKind::binomial, {v(0.5)}, tf::infinite_lag, true);
             }).find("only defined for geometric") != std::string::npos);
  x(2, 1) = std::nan("");
  BOOST_TEST(message([&] { (void)tf::adstock(x, tf::AdstockKind::geometric, {v(0.5)}, 3, true); }).find("row 2, column 1") !=
             std::string::npos);
  x(2, 1) = -1.0;
  BOOST_TEST(message([&] {
               (void)tf::saturate(x, tf::SaturationKind::hill, {v(1.0), v(1.0)});
             }).find("row 2, column 1 is -1") != std::string::npos);
  x(2, 1) = 1.0;
  BOOST_TEST(message([&] {
               (void)tf::saturate(x, tf::SaturationKind::tanh, {v(0.0)});
             }).find("c must be a finite number > 0") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// The SIMD kernels (simd.hpp) against the formulas evaluated directly in long double:
// every path the machine can run (AVX2 + FMA if present, SSE2, plain loops), odd
// channel counts (masked tails), short series (window not full), several thread counts.
BOOST_AUTO_TEST_SUITE(simd_kernels)

namespace simd = tf::detail::simd;

// Direct sum y[t, c] = sum_{l <= min(t, L)} w[l, c] x[t - l, c] in long double, and the
// bound on the rounding error of any summation order: (L + 2) eps sum |w x|.
std::pair<tf::RowMatrix, tf::RowMatrix> direct_convolution(const tf::RowMatrix& x, const tf::RowMatrix& w) {
  const Eigen::Index T = x.rows(), C = x.cols(), L = w.rows() - 1;
  tf::RowMatrix y(T, C), bound(T, C);
  for (Eigen::Index t = 0; t < T; ++t)
    for (Eigen::Index c = 0; c < C; ++c) {
      long double s = 0.0L, a = 0.0L;
      for (Eigen::Index l = 0; l <= std::min(t, L); ++l) {
        s += static_cast<long double>(w(l, c)) * x(t - l, c);
        a += std::abs(static_cast<long double>(w(l, c)) * x(t - l, c));
      }
      y(t, c) = static_cast<double>(s);
      bound(t, c) = static_cast<double>(a) * static_cast<double>(L + 2) * 2.3e-16 + 1e-300;
    }
  return {y, bound};
}

using ConvKernel = void (*)(const double*, std::ptrdiff_t, const double*, std::ptrdiff_t, std::ptrdiff_t, double*,
                            std::ptrdiff_t, std::ptrdiff_t, std::ptrdiff_t);
std::vector<std::pair<std::string, ConvKernel>> conv_kernels() {
  std::vector<std::pair<std::string, ConvKernel>> k = {{"dispatched", &simd::convolve_rows},
                                                       {"portable", &simd::convolve_rows_portable}};
#if defined(TRUSTMIX_TRANSFORMS_X86)
  k.emplace_back("sse2", &simd::convolve_rows_sse2);
  if (simd::cpu_has_avx2_fma()) k.emplace_back("avx2", &simd::convolve_rows_avx2);
#endif
  return k;
}

BOOST_AUTO_TEST_CASE(convolution_equals_direct_sum) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-2.0, 3.0);
  for (const Eigen::Index C : {1, 2, 3, 4, 5, 7, 8, 9, 13, 50})
    for (const Eigen::Index L : {0, 1, 3, 30})
      for (const Eigen::Index T : {1, 5, 40, 97}) {
        tf::RowMatrix x(T, C), w(L + 1, C);
        for (auto& e : x.reshaped()) e = u(rng);
        for (auto& e : w.reshaped()) e = u(rng);
        x(T / 2, C - 1) = 1e300;  // huge values do not disturb their neighbours
        if (T > 3) x(3, 0) = -1e-300;
        const auto [ref, bound] = direct_convolution(x, w);
        for (const auto& [name, kernel] : conv_kernels()) {
          tf::RowMatrix y = tf::RowMatrix::Constant(T, C, std::nan(""));
          kernel(x.data(), C, w.data(), L + 1, C, y.data(), C, 0, T);
          // in pieces of 3 rows: the same bits as in one piece
          tf::RowMatrix y3(T, C);
          for (Eigen::Index t0 = 0; t0 < T; t0 += 3)
            kernel(x.data(), C, w.data(), L + 1, C, y3.data(), C, t0, std::min(T, t0 + 3));
          BOOST_TEST_INFO(name << " T=" << T << " C=" << C << " L=" << L);
          BOOST_TEST(((y - ref).cwiseAbs().array() <= bound.array()).all());
          BOOST_TEST((y.array() == y3.array()).all());
        }
      }
}

BOOST_AUTO_TEST_CASE(adstock_equals_direct_sum_and_ignores_thread_count) {
  const tf::RowMatrix x = random_media(731, 50, 21);
  Vec alpha(50);
  for (int c = 0; c < 50; ++c) alpha[c] = c / 49.0;  // includes alpha = 0 and alpha = 1
  for (const int L : {0, 1, 30}) {
    const auto r1 = tf::adstock(x, tf::AdstockKind::geometric, {alpha}, L, true, false, 1);
    const auto [ref, bound] = direct_convolution(x, r1.weights);
    BOOST_TEST(((r1.values - ref).cwiseAbs().array() <= bound.array()).all());
    for (const int threads : {2, 3, 7}) {
      const auto rt = tf::adstock(x, tf::AdstockKind::geometric, {alpha}, L, true, false, threads);
      BOOST_TEST((rt.values.array() == r1.values.array()).all());
    }
    // alpha = 0 and L = 0 return x itself; alpha = 1 is the moving average of L + 1 periods
    BOOST_TEST((r1.values.col(0).array() == x.col(0).array()).all());
    if (L == 0) BOOST_TEST((r1.values.array() == x.array()).all());
    for (Eigen::Index t = L; t < x.rows(); ++t)
      BOOST_TEST(r1.values(t, 49) == x.col(49).segment(t - L, L + 1).mean(), boost::test_tools::tolerance(1e-14));
  }
}

// Reference Hill value 1 / (1 + (k / x)^s) in long double.
long double hill_ref(double x, double k, double s) {
  if (x == 0.0) return 0.0L;
  return 1.0L / (1.0L + std::exp(static_cast<long double>(s) *
                                 (std::log(static_cast<long double>(k)) - std::log(static_cast<long double>(x)))));
}

using HillKernel = bool (*)(const double*, std::ptrdiff_t, double*, std::ptrdiff_t, std::ptrdiff_t, std::ptrdiff_t,
                            const double*, const double*, double*, double*);
std::vector<std::pair<std::string, HillKernel>> hill_kernels() {
  std::vector<std::pair<std::string, HillKernel>> k = {{"scalar", &simd::hill_rows_scalar}};
#if defined(TRUSTMIX_TRANSFORMS_X86)
  k.emplace_back("sse2", &simd::hill_rows_sse2);
  if (simd::cpu_has_avx2_fma()) k.emplace_back("avx2", &simd::hill_rows_avx2);
#endif
  return k;
}

BOOST_AUTO_TEST_CASE(hill_equals_direct_formula) {
  // x over 600 decades, 0 and subnormals; non-integer shapes; k from 1e-3 to 1e3.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const Eigen::Index T = 200;
  for (const Eigen::Index C : {1, 2, 3, 5, 8, 11}) {
    tf::RowMatrix x(T, C);
    Vec k(C), s(C), logk(C);
    for (Eigen::Index c = 0; c < C; ++c) {
      k[c] = std::pow(10.0, -3.0 + 6.0 * u(rng));
      s[c] = 0.1 + 4.0 * u(rng);
      logk[c] = std::log(k[c]);
    }
    for (Eigen::Index t = 0; t < T; ++t)
      for (Eigen::Index c = 0; c < C; ++c)
        x(t, c) = t % 7 == 0
                      ? 0.0
                      : (t % 11 == 0 ? 4.9e-324 * static_cast<double>(1 + t) : std::pow(10.0, -300.0 + 600.0 * u(rng)));
    x(1, 0) = 1.7976931348623157e308;
    for (const auto& [name, kernel] : hill_kernels()) {
      tf::RowMatrix y(T, C), lx(T, C), z(T, C);
      BOOST_TEST(
          kernel(x.data(), C, y.data(), C, T, C, logk.data(), s.data(), lx.data(), z.data()));  // x all in [0, DBL_MAX]
      for (Eigen::Index t = 0; t < T; ++t)
        for (Eigen::Index c = 0; c < C; ++c) {
          const long double ref = hill_ref(x(t, c), k[c], s[c]);
          // rounding of ln k, ln x and their difference, amplified by s, then exp and 1 / (1 + z)
          const double tol = 2.3e-16 * (16.0 + 4.0 * s[c] * (std::abs(logk[c]) + std::abs(std::log(x(t, c)))));
          BOOST_TEST_INFO(name << " x=" << x(t, c) << " k=" << k[c] << " s=" << s[c] << " y=" << y(t, c));
          if (ref < 1e-290L)  // z near or beyond overflow: y is 0 or denormal
            BOOST_TEST(std::abs(y(t, c) - static_cast<double>(ref)) <= 1e-290);
          else BOOST_TEST(std::abs(y(t, c) - ref) / ref <= tol);
          if (x(t, c) == 0.0) {
            BOOST_TEST(y(t, c) == 0.0);
            BOOST_TEST((std::isinf(lx(t, c)) && lx(t, c) < 0.0));
            BOOST_TEST((std::isinf(z(t, c)) && z(t, c) > 0.0));
          }
        }
    }
  }
}

BOOST_AUTO_TEST_CASE(vector_exp_and_log_within_4_ulp) {
  // With x = 1 and s = 1 the kernel's z is exp(ln k) of the given ln k; ln x is returned.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const Eigen::Index n = 4001;
  tf::RowMatrix ones = tf::RowMatrix::Ones(1, n), xs(1, n);
  Vec arg(n), unit = Vec::Ones(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    arg[i] = -745.0 + 1454.0 * u(rng);
    xs(0, i) = std::pow(2.0, -1074.0 + 2097.0 * u(rng));
  }
  auto ulps = [](double a, long double ref) {
    const double r = static_cast<double>(ref);
    if (a == r) return 0.0;
    const double gap = std::nextafter(std::abs(r), HUGE_VAL) - std::abs(r);
    return static_cast<double>(std::abs(static_cast<long double>(a) - ref) / gap);
  };
  for (const auto& [name, kernel] : hill_kernels()) {
    tf::RowMatrix y(1, n), lx(1, n), z(1, n);
    kernel(ones.data(), n, y.data(), n, 1, n, arg.data(), unit.data(), lx.data(), z.data());
    double worst_exp = 0.0, worst_log = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const long double e = std::exp(static_cast<long double>(arg[i]));
      if (e > 2.3e-308L) worst_exp = std::max(worst_exp, ulps(z(0, i), e));  // normal results
    }
    kernel(xs.data(), n, y.data(), n, 1, n, arg.data(), unit.data(), lx.data(), z.data());
    for (Eigen::Index i = 0; i < n; ++i)
      worst_log = std::max(worst_log, ulps(lx(0, i), std::log(static_cast<long double>(xs(0, i)))));
    BOOST_TEST_MESSAGE(name << ": worst exp error " << worst_exp << " ulp, worst log error " << worst_log << " ulp");
    BOOST_TEST_INFO(name);
    BOOST_TEST(worst_exp <= 4.0);
    BOOST_TEST(worst_log <= 4.0);
  }
}

BOOST_AUTO_TEST_CASE(hill_kernels_report_any_x_outside_zero_to_dbl_max) {
  // The kernels check x in the pass that reads it: every position (vector body and tail
  // lanes, first and last row) and every kind of bad value must be reported.
  const double bad[] = {-1e-300, -1.0, std::nan(""), HUGE_VAL, -HUGE_VAL};
  for (const Eigen::Index C : {1, 3, 5, 8, 11, 67}) {
    const Eigen::Index T = 9;
    tf::RowMatrix x = random_media(T, C, 4), y(T, C), lx(T, C), z(T, C);
    const Vec logk = Vec::Zero(C), s = Vec::Ones(C);
    for (const auto& [name, kernel] : hill_kernels()) {
      BOOST_TEST_INFO(name << " C=" << C);
      BOOST_TEST(kernel(x.data(), C, y.data(), C, T, C, logk.data(), s.data(), nullptr, nullptr));
      for (const Eigen::Index t : {Eigen::Index{0}, T / 2, T - 1})
        for (Eigen::Index c = 0; c < C; ++c)
          for (const double v : bad) {
            tf::RowMatrix xb = x;
            xb(t, c) = v;
            BOOST_TEST_INFO(name << " C=" << C << " x(" << t << ", " << c << ") = " << v);
            BOOST_TEST(!kernel(xb.data(), C, y.data(), C, T, C, logk.data(), s.data(), lx.data(), z.data()));
          }
      tf::RowMatrix edge = x;  // 0, -0 and DBL_MAX are valid
      edge(0, 0) = 0.0;
      edge(T - 1, C - 1) = -0.0;
      edge(T / 2, C / 2) = 1.7976931348623157e308;
      BOOST_TEST(kernel(edge.data(), C, y.data(), C, T, C, logk.data(), s.data(), nullptr, nullptr));
    }
  }
}

BOOST_AUTO_TEST_CASE(hill_same_bits_with_and_without_derivatives_and_threads) {
  tf::RowMatrix x = random_media(1001, 13, 8);
  x(5, 12) = 1e300;
  x(6, 12) = 1e-300;
  const Vec k = Vec::LinSpaced(13, 0.3, 3.0), s = Vec::LinSpaced(13, 0.4, 3.3);
  const auto r1 = tf::saturate(x, tf::SaturationKind::hill, {k, s}, false, 1);
  const auto rd = tf::saturate(x, tf::SaturationKind::hill, {k, s}, true, 1);
  BOOST_TEST((r1.values.array() == rd.values.array()).all());
  for (const int threads : {2, 5}) {
    const auto rt = tf::saturate(x, tf::SaturationKind::hill, {k, s}, false, threads);
    BOOST_TEST((rt.values.array() == r1.values.array()).all());
  }
  BOOST_TEST(r1.values(5, 12) == 1.0);
  BOOST_TEST(r1.values(6, 12) == 0.0);
}

BOOST_AUTO_TEST_CASE(hill_is_exactly_one_half_at_k) {
  // ln k is computed by the kernel's own log, so x = k gives z = exp(0) = 1 exactly.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const Eigen::Index C = 37;
  Vec k(C), s(C);
  for (Eigen::Index c = 0; c < C; ++c) {
    k[c] = std::pow(10.0, -200.0 + 400.0 * u(rng));
    s[c] = 0.05 + 6.0 * u(rng);
  }
  k[0] = 4.9e-324;  // subnormal
  k[1] = 1.7976931348623157e308;
  tf::RowMatrix x(3, C);
  x.row(0) = k.transpose();
  x.row(1) = k.transpose();
  x.row(2) = k.transpose();
  for (const int threads : {1, 2}) {
    const auto r = tf::saturate(x, tf::SaturationKind::hill, {k, s}, false, threads);
    BOOST_TEST((r.values.array() == 0.5).all());
    const auto rd = tf::saturate(x, tf::SaturationKind::hill, {k, s}, true, threads);
    BOOST_TEST((rd.values.array() == 0.5).all());
    BOOST_TEST((rd.gradients[1].array() == 0.0).all());  // d y / d s = y (1 - y) ln(x / k) = 0
  }
}

BOOST_AUTO_TEST_SUITE_END()

// The kernels the trust model (mmm/) shares with the transforms API: the O(T) geometric
// adstock recursion with its alpha derivative, the direct convolution, the logistic
// kernel and its adjoint.
BOOST_AUTO_TEST_SUITE(model_kernels)

namespace simd = tf::detail::simd;

namespace {
// The recursion (a, da) and the direct sum of the normalised weights (direct).
void adstock_both_ways(const Vec& x, double alpha, int L, Vec& a, Vec& da, Vec& direct) {
  a.resize(x.size());
  da.resize(x.size());
  direct.resize(x.size());
  tf::geometric_adstock_recursive(x, alpha, L, a, da);
  Vec w(L + 1), dw(L + 1);
  tf::geometric_weights_into(alpha, w, dw);
  tf::convolve_series(x, w, direct);
}
}  // namespace

BOOST_AUTO_TEST_CASE(recursive_adstock_equals_the_direct_sum) {
  std::mt19937_64 rng(41);
  std::uniform_real_distribution<double> u(0.0, 3.0);
  Vec x(200);
  for (int t = 0; t < 200; ++t) x[t] = t % 5 == 0 ? 0.0 : u(rng);
  for (double alpha : {0.0, 1e-3, 0.3, 0.9, 0.99, 0.999})
    for (int L : {0, 1, 12, 60, 250}) {
      Vec a, da, direct;
      adstock_both_ways(x, alpha, L, a, da, direct);
      BOOST_TEST_CONTEXT("alpha " << alpha << " L " << L) {
        BOOST_TEST((a - direct).cwiseAbs().maxCoeff() <= 1e-13 * std::max(1.0, direct.cwiseAbs().maxCoeff()));
        if (alpha > 0.0 && alpha < 0.999) {  // derivative against central differences
          const double h = 1e-6;
          Vec ap, am, dd, dir;
          adstock_both_ways(x, alpha + h, L, ap, dd, dir);
          adstock_both_ways(x, alpha - h, L, am, dd, dir);
          const Vec fd = (ap - am) / (2 * h);
          BOOST_TEST((fd - da).cwiseAbs().maxCoeff() <= 1e-6 * std::max(1.0, da.cwiseAbs().maxCoeff()));
        }
      }
    }
}

BOOST_AUTO_TEST_CASE(batched_recursive_adstock_is_the_single_series_bit_for_bit) {
  // Up to four recursions interleaved in one loop (the panel's and the national model's
  // channels): every series equals the one-series result exactly, for 1..9 series (groups of
  // four and every remainder), different alphas and windows.
  std::mt19937_64 rng(43);
  std::uniform_real_distribution<double> u(0.0, 3.0);
  const int T = 157;
  for (int L : {0, 3, 12}) {
    for (int n = 1; n <= 9; ++n) {
      Eigen::MatrixXd X(T, n), A(T, n), dA(T, n);
      for (int k = 0; k < n; ++k)
        for (int t = 0; t < T; ++t) X(t, k) = (t + k) % 4 == 0 ? 0.0 : u(rng);
      std::vector<const double*> xs;
      std::vector<double*> as, das;
      std::vector<double> al;
      for (int k = 0; k < n; ++k) {
        xs.push_back(X.col(k).data());
        as.push_back(A.col(k).data());
        das.push_back(dA.col(k).data());
        al.push_back(0.05 + 0.1 * k);
      }
      tf::geometric_adstock_recursive_batch(n, xs.data(), al.data(), L, T, as.data(), das.data());
      for (int k = 0; k < n; ++k) {
        Vec a(T), da(T);
        tf::geometric_adstock_recursive(Vec(X.col(k)), al[static_cast<std::size_t>(k)], L, a, da);
        BOOST_TEST_CONTEXT("L " << L << " n " << n << " series " << k) {
          BOOST_TEST((A.col(k) - a).cwiseAbs().maxCoeff() == 0.0);
          BOOST_TEST((dA.col(k) - da).cwiseAbs().maxCoeff() == 0.0);
        }
      }
    }
  }
  // a strided input (a matrix row) is refused, not read wrongly
  Eigen::MatrixXd M = Eigen::MatrixXd::Ones(3, 10);
  Vec a(10), da(10);
  BOOST_CHECK_EXCEPTION(
      tf::geometric_adstock_recursive(M.row(0), 0.5, 2, a, da), std::invalid_argument,
      [](const std::invalid_argument& e) { return std::string(e.what()).find("contiguous") != std::string::npos; });
}

BOOST_AUTO_TEST_CASE(saturation_kernel_is_tanh_to_the_last_digits) {
  // (1 - e^(-lam a)) / (1 + e^(-lam a)) = tanh(lam a / 2): compared with long-double tanh
  // on both sides of the series/exponential switch at u = 1/8 and far into saturation.
  double worst = 0.0;
  for (int i = 0; i <= 200000; ++i) {
    const double u = i < 100000 ? i * 2.5e-6 : std::pow(10.0, -12.0 + (i - 100000) * 1.4e-4);
    const long double ref = std::tanh(static_cast<long double>(u));
    const double got = simd::logistic_saturation(u);
    if (ref != 0.0L) worst = std::max(worst, static_cast<double>(std::abs((got - ref) / ref)));
    else BOOST_TEST(got == 0.0);
  }
  BOOST_TEST(worst < 5e-16);
  // The column kernel (AVX2 lanes with libmvec's exp where the CPU has them, else the
  // scalar function) on the same grid, in 7-element columns (4 lanes and a scalar tail).
  worst = 0.0;
  for (int i = 0; i <= 200000; i += 7) {
    double a[7], h[7];
    for (int k = 0; k < 7; ++k) {
      const int j = i + k;
      a[k] = j < 100000 ? j * 2.5e-6 : std::pow(10.0, -12.0 + (j - 100000) * 1.4e-4);
    }
    simd::logistic_series(a, 1.0, h, 7);
    for (int k = 0; k < 7; ++k) {
      const long double ref = std::tanh(static_cast<long double>(a[k]));
      if (ref != 0.0L) worst = std::max(worst, static_cast<double>(std::abs((h[k] - ref) / ref)));
      else BOOST_TEST(h[k] == 0.0);
    }
  }
  BOOST_TEST(worst < 2e-15);
}

BOOST_AUTO_TEST_CASE(geometric_weights_match_the_api_and_their_derivative) {
  // The shared weights are adstock_weights()' geometric family, normalised or not, and
  // their derivative matches central differences.
  for (bool normalize : {false, true})
    for (double alpha : {0.0, 0.35, 0.9}) {
      Vec w(9), dw(9);
      tf::geometric_weights_into(alpha, w, dw, normalize);
      const auto api = tf::adstock_weights(tf::AdstockKind::geometric, &alpha, 8, normalize);
      BOOST_TEST((w - api.w).cwiseAbs().maxCoeff() == 0.0);
      BOOST_TEST((dw - api.dw[0]).cwiseAbs().maxCoeff() == 0.0);
      for (int l = 0; l <= 8; ++l) {
        const double raw = std::pow(alpha, l),
                     total = normalize ? (alpha == 0.0 ? 1.0 : (1.0 - std::pow(alpha, 9)) / (1.0 - alpha)) : 1.0;
        BOOST_TEST(w[l] == raw / total, boost::test_tools::tolerance(1e-14));
      }
      if (alpha > 0.0) {
        const double h = 1e-6;
        Vec wp(9), wm(9), tmp(9);
        tf::geometric_weights_into(alpha + h, wp, tmp, normalize);
        tf::geometric_weights_into(alpha - h, wm, tmp, normalize);
        BOOST_TEST(((wp - wm) / (2 * h) - dw).cwiseAbs().maxCoeff() < 1e-8);
      }
    }
}

BOOST_AUTO_TEST_CASE(logistic_adjoint_matches_finite_differences) {
  // L = sum_t g[t] h[t], h[t] = tanh(lambda a[t] / 2): dL/da[t] and dL/dlambda from the
  // adjoint against central differences of the forward kernel.
  const int n = 11;
  Vec a(n), g(n), h(n), ga(n);
  for (int t = 0; t < n; ++t) {
    a[t] = 0.05 + 0.37 * t;
    g[t] = std::sin(1.0 + t);
  }
  const double lam = 1.3;
  simd::logistic_series(a.data(), 0.5 * lam, h.data(), n);
  const double glam = simd::logistic_series_adjoint(a.data(), h.data(), g.data(), 0.5 * lam, ga.data(), n);
  auto loss = [&](const Vec& av, double l) {
    Vec hv(n);
    simd::logistic_series(av.data(), 0.5 * l, hv.data(), n);
    return g.dot(hv);
  };
  const double e = 1e-6;
  BOOST_TEST(glam == (loss(a, lam + e) - loss(a, lam - e)) / (2 * e), boost::test_tools::tolerance(1e-8));
  for (int t = 0; t < n; ++t) {
    Vec ap = a, am = a;
    ap[t] += e;
    am[t] -= e;
    BOOST_TEST(ga[t] == (loss(ap, lam) - loss(am, lam)) / (2 * e), boost::test_tools::tolerance(1e-7));
  }
  // The API's logistic values are the kernel's: 4 channels take the same lanes as the
  // series' first 8 periods (bit for bit), one channel the scalar function (within 4e-16
  // of tanh each, so within 1e-15 of the lanes).
  tf::RowMatrix x4(2, 4), x1(n, 1);
  for (int t = 0; t < 8; ++t) x4(t / 4, t % 4) = a[t];
  x1.col(0) = a;
  const auto api4 = tf::saturate(x4, tf::SaturationKind::logistic, {v(lam)});
  const auto api1 = tf::saturate(x1, tf::SaturationKind::logistic, {v(lam)});
  for (int t = 0; t < 8; ++t) BOOST_TEST(api4.values(t / 4, t % 4) == h[t]);
  for (int t = 0; t < n; ++t) BOOST_TEST(api1.values(t, 0) == h[t], boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_SUITE_END()
