// Computes an adstocked series and a KPI with the installed library and checks both
// against closed forms; exits non-zero on any mismatch.
#include <trustmix/trustmix.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>

int main() {
  namespace tf = trustmix::transforms;
  // An impulse through unnormalised geometric adstock is alpha^t.
  tf::RowMatrix x = tf::RowMatrix::Zero(6, 1);
  x(0, 0) = 100.0;
  const double alpha = 0.6;
  const auto r = tf::adstock(x, tf::AdstockKind::geometric, {Eigen::VectorXd::Constant(1, alpha)}, 8, false);
  int failures = 0;
  for (int t = 0; t < 6; ++t) {
    const double expected = 100.0 * std::pow(alpha, t);
    if (std::abs(r.values(t, 0) - expected) > 1e-12 * expected) {
      std::printf("adstock[%d] = %.17g, expected %.17g\n", t, r.values(t, 0), expected);
      ++failures;
    }
  }
  // CPM = cost / impressions x 1000.
  Eigen::ArrayXd cost(2), impressions(2);
  cost << 250.0, 10.0;
  impressions << 50000.0, 0.0;
  const Eigen::ArrayXd cpm = trustmix::kpi::cost_per_mille(cost, impressions);
  if (cpm[0] != 5.0 || !std::isnan(cpm[1])) {
    std::printf("cpm = %g, %g; expected 5, nan\n", cpm[0], cpm[1]);
    ++failures;
  }
  std::printf("trustmix %s consumer: adstock half-life %.3f periods, CPM %.2f: %s\n", trustmix::version,
              tf::half_life(alpha), cpm[0], failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
