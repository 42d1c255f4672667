#pragma once
// Test data of the trust-linked model (test_mmm*.cpp, test_plan.cpp): four
// channels, press (trust), events (trust), instagram (conversion), tiktok (both), every
// fourth period of each off; an intercept/trend/season baseline; one crisis shock at
// shock_period (default T/2);
// outcome 1 + 0.3 N(0, 1); with a tracker, 0.5 + 0.2 N(0, 1) every 4 periods (NaN
// between). max_lag 6. Seeded: the same data for the same arguments.
// check_gradient(): the model's analytic gradient against central differences.
#include <boost/test/unit_test.hpp>

#include <trustmix/mmm/trust_model.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <string>

namespace trustmix::test {

inline mmm::TrustModelData make_data(int T, bool trust, bool tracker, unsigned seed, int shock_period = -1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 2.0);
  std::normal_distribution<double> n(0.0, 1.0);
  mmm::TrustModelData d;
  d.media.resize(T, 4);
  for (int t = 0; t < T; ++t)
    for (int c = 0; c < 4; ++c) d.media(t, c) = (t + c) % 4 == 0 ? 0.0 : u(rng);
  d.trust = {true, true, false, true};
  d.conversion = {false, false, true, true};
  d.baseline.resize(T, 3);
  for (int t = 0; t < T; ++t) {
    d.baseline(t, 0) = 1.0;
    d.baseline(t, 1) = static_cast<double>(t) / T;
    d.baseline(t, 2) = std::sin(2 * 3.141592653589793 * t / 52.0);
  }
  d.shocks = mmm::Matrix::Zero(T, 1);
  d.shocks(shock_period < 0 ? T / 2 : shock_period, 0) = 1.0;
  d.y.resize(T);
  for (int t = 0; t < T; ++t) d.y[t] = 1.0 + 0.3 * n(rng);
  if (tracker) {
    d.tracker = mmm::Vector::Constant(T, std::nan(""));
    for (int t = 0; t < T; t += 4) d.tracker[t] = 0.5 + 0.2 * n(rng);
  }
  d.max_lag = 6;
  d.trust_enabled = trust;
  return d;
}

/// Agreement of the analytic gradient with central differences at z: relative error
/// 1e-5, plus the differences' own rounding error 10 eps |log p| / h (which dominates for
/// a component much smaller than log p / 1e5).
inline void check_gradient(mmm::TrustModel& m, const mmm::Vector& z, const std::string& label) {
  mmm::Vector g(m.dimension()), scratch(m.dimension());
  const double lp = m.log_density(z, g);
  BOOST_REQUIRE(std::isfinite(lp));
  const double h = 1e-5;
  const double rounding = 10.0 * std::numeric_limits<double>::epsilon() * (1.0 + std::abs(lp)) / h;
  for (int i = 0; i < m.dimension(); ++i) {
    mmm::Vector zp = z, zm = z;
    zp[i] += h;
    zm[i] -= h;
    const double fd = (m.log_density(zp, scratch) - m.log_density(zm, scratch)) / (2 * h);
    BOOST_TEST_CONTEXT(label << " parameter " << m.parameter_names()[static_cast<std::size_t>(i)] << ": analytic " << g[i]
                             << ", central difference " << fd) {
      BOOST_TEST(std::abs(g[i] - fd) <= 1e-5 * std::abs(fd) + rounding);
    }
  }
}

}  // namespace trustmix::test
