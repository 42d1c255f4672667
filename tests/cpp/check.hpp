#pragma once
// Test helpers: Eigen comparisons that print both matrices on failure, and central
// finite differences.
#include <boost/test/unit_test.hpp>

#include <Eigen/Core>

#include <cmath>
#include <functional>
#include <random>
#include <sstream>

namespace trustmix::test {

/// T x C media for the transform tests: uniform(0, 3), every row with t % 5 == 3 zero
/// (flighting), seeded; row-major like numpy's default.
inline Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> random_media(Eigen::Index T, Eigen::Index C,
                                                                                           unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 3.0);
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> x(T, C);
  for (Eigen::Index t = 0; t < T; ++t)
    for (Eigen::Index c = 0; c < C; ++c) x(t, c) = (t % 5 == 3) ? 0.0 : u(rng);
  return x;
}

/// Max over elements of |a - b| / max(|b|, floor); fails with both matrices printed.
template <class A, class B>
void check_close(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b, double rel, double floor = 1e-12) {
  BOOST_REQUIRE_EQUAL(a.rows(), b.rows());
  BOOST_REQUIRE_EQUAL(a.cols(), b.cols());
  double worst = 0.0;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) {
      const double bb = b(i, j);
      const double err = std::abs(a(i, j) - bb) / std::max(std::abs(bb), floor);
      if (!(err <= worst)) worst = err;  // NaN propagates as failure
    }
  if (!(worst <= rel)) {
    std::ostringstream os;
    os << "matrices differ (worst relative error " << worst << " > " << rel << ")\nactual:\n" << a << "\nexpected:\n" << b;
    BOOST_ERROR(os.str());
  }
}

/// Central difference of a matrix-valued function of one scalar.
template <class F>
auto central_difference(F&& f, double at, double h) {
  auto up = f(at + h);
  auto down = f(at - h);
  return ((up - down) / (2.0 * h)).eval();
}

}  // namespace trustmix::test
