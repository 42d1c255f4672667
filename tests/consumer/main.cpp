// Computes an adstocked series and a KPI with the installed library and checks both
// against closed forms; exits non-zero on any mismatch.
#include <trustmix/mmm/analyses.hpp>
#include <trustmix/mmm/fit.hpp>
#include <trustmix/mmm/spec.hpp>
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
  // The trust-linked model from a spec, fitted and analysed without Python: the
  // decomposition sums to the fitted outcome, and ROI = (incremental x value - spend) / spend.
  namespace mm = trustmix::mmm;
  const int T = 80;
  mm::TrustModelSpec spec;
  spec.channels = {"press", "instagram"};
  spec.roles = {mm::Role::trust, mm::Role::conversion};
  spec.media.resize(T, 2);
  spec.outcome.resize(T);
  for (int t = 0; t < T; ++t) {
    spec.media(t, 0) = t % 3 == 0 ? 0.0 : 100.0 + t;
    spec.media(t, 1) = 50.0 + (t % 5);
    spec.outcome[t] = 200.0 + 3.0 * (t % 7) + 0.1 * spec.media(t, 1);
  }
  spec.value_per_outcome = 2.0;
  const mm::BuiltTrustModel b = mm::build(spec);
  const mm::MapResult map = mm::fit_map(b.model, b.model.initial_point());
  const mm::Matrix draws = map.mode.transpose();
  const mm::Decomposition parts = mm::decompose(b.model, draws, b.scales.y_scale);
  const Eigen::VectorXd mu = b.model.forward(map.mode).mu * b.scales.y_scale;
  const Eigen::VectorXd total = parts.base + parts.trust_direct.rowwise().sum() + parts.amplification.rowwise().sum() +
                                parts.own.rowwise().sum();
  if ((total - mu).cwiseAbs().maxCoeff() > 1e-9 * mu.cwiseAbs().maxCoeff()) {
    std::printf("decomposition does not sum to the fitted outcome\n");
    ++failures;
  }
  mm::RoiSettings rs;
  rs.spend = b.spend_in();
  rs.value_per_outcome = spec.value_per_outcome;
  rs.outcome_scale = b.scales.y_scale;
  rs.horizon = 26;
  const mm::RoiDraws roi = mm::roi(b.model, draws, rs);
  const double expected = (roi.incremental_total(0, 1) * 2.0 - rs.spend[1]) / rs.spend[1];
  if (std::abs(roi.roi_total(0, 1) - expected) > 1e-12 * (1.0 + std::abs(expected))) {
    std::printf("roi_total = %.17g, expected %.17g\n", roi.roi_total(0, 1), expected);
    ++failures;
  }
  std::printf("trustmix %s consumer: adstock half-life %.3f periods, CPM %.2f, instagram ROI %.3f: %s\n", trustmix::version,
              tf::half_life(alpha), cpm[0], roi.roi_total(0, 1), failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
