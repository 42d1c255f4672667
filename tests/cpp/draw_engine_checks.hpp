// The analyses' vectorised constrain (detail::DrawEngine) against TrustModel::constrain, to
// the bit, and constrained_draws() against constrain_into on 1 and 2 threads: one check
// shared by the analyses and reach-and-frequency tests.
#pragma once

#include <boost/test/unit_test.hpp>

#include <trustmix/mmm/analyses.hpp>
#include <trustmix/mmm/trust_model.hpp>

#include <utility>

namespace trustmix::test {

inline void check_constrain_bits(const mmm::TrustModel& m, const Eigen::MatrixXd& z) {
  using mmm::TrustModelParameters;
  mmm::detail::DrawEngine::ConstrainScratch scratch;
  TrustModelParameters p;
  const Eigen::MatrixXd flat = mmm::constrained_draws(m, z, 1);
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    const Eigen::VectorXd zi = z.row(i).transpose();
    const TrustModelParameters ref = m.constrain(zi);
    mmm::detail::DrawEngine::constrain(m, zi, scratch, p);
    for (const auto& [a, b] : {std::pair{&p.alpha, &ref.alpha},
                               {&p.lam, &ref.lam},
                               {&p.kappa, &ref.kappa},
                               {&p.omega, &ref.omega},
                               {&p.beta, &ref.beta},
                               {&p.b, &ref.b},
                               {&p.slope, &ref.slope}})
      BOOST_TEST((a->array() == b->array()).all());
    BOOST_TEST(p.delta == ref.delta);
    BOOST_TEST(p.g0 == ref.g0);
    BOOST_TEST(p.gamma == ref.gamma);
    BOOST_TEST(p.theta == ref.theta);
    BOOST_TEST(p.sigma == ref.sigma);
    BOOST_TEST(p.tracker_a == ref.tracker_a);
    BOOST_TEST(p.tracker_b == ref.tracker_b);
    BOOST_TEST(p.tracker_sigma == ref.tracker_sigma);
    BOOST_TEST(p.trust_base == ref.trust_base);
    BOOST_TEST(p.inflow == ref.inflow);
    Eigen::VectorXd row(m.constrained_dimension());
    m.constrain_into(zi, row);
    BOOST_TEST((flat.row(i).transpose().array() == row.array()).all());
  }
  BOOST_TEST((mmm::constrained_draws(m, z, 2).array() == flat.array()).all());
}

}  // namespace trustmix::test
