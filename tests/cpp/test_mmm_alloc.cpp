// The trust model's log density + gradient is the sampler's hot loop: once a workspace
// has its sizes, an evaluation must not allocate. Counted by interposing malloc in this
// test executable (glibc: the program's malloc wins, __libc_malloc is the real one).
#include <boost/test/unit_test.hpp>

#include <trustmix/mmm/target.hpp>
#include <trustmix/mmm/trust_model.hpp>

#include <cstddef>
#include <random>

extern "C" void* __libc_malloc(std::size_t size);  // NOLINT: glibc's own allocator

namespace {
bool counting = false;
long mallocs = 0;
}  // namespace

extern "C" void* malloc(std::size_t size) {  // NOLINT: interposed for counting
  if (counting) ++mallocs;
  return __libc_malloc(size);
}

using namespace trustmix::mmm;

BOOST_AUTO_TEST_CASE(log_density_does_not_allocate) {
  const int T = 80;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 2.0);
  for (auto lik : {Likelihood::normal, Likelihood::lognormal, Likelihood::negative_binomial}) {
    TrustModelData d;
    d.media.resize(T, 4);
    for (int t = 0; t < T; ++t)
      for (int c = 0; c < 4; ++c) d.media(t, c) = (t + c) % 3 == 0 ? 0.0 : u(rng);
    d.trust = {true, true, false, true};
    d.conversion = {false, false, true, true};
    d.baseline = Matrix::Ones(T, 2);
    for (int t = 0; t < T; ++t) d.baseline(t, 1) = static_cast<double>(t) / T;
    d.shocks = Matrix::Zero(T, 1);
    d.shocks(T / 2, 0) = 1.0;
    d.y.resize(T);
    for (int t = 0; t < T; ++t) d.y[t] = std::round(20.0 + 10.0 * u(rng));
    d.tracker = Vector::Constant(T, std::nan(""));
    for (int t = 0; t < T; t += 4) d.tracker[t] = u(rng);
    d.likelihood = lik;
    d.outcome_scale = 20.0;
    if (lik != Likelihood::negative_binomial) d.y /= 20.0;
    TrustModelPriors pr;
    pr.roi_log_median = Vector::Constant(2, std::nan(""));
    pr.roi_log_median[1] = 0.5;  // one channel with a ROI prior, one without
    pr.roi_sd_log = Vector::Constant(2, 0.3);
    pr.roi_scale = Vector::Constant(2, 0.01);
    const TrustModel m(d, pr);
    TrustModelWorkspace ws;
    Vector z = m.initial_point(), g(m.dimension());
    const double first = m.log_density(z, g, ws);  // sizes the workspace
    BOOST_TEST(std::isfinite(first));
    mallocs = 0;
    counting = true;
    double sum = 0.0;
    for (int i = 0; i < 50; ++i) {
      z[i % z.size()] += 1e-3;
      sum += m.log_density(z, g, ws);
    }
    counting = false;
    BOOST_TEST_CONTEXT("likelihood " << to_string(lik)) {
      BOOST_TEST(std::isfinite(sum));
      BOOST_TEST(mallocs == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_counter_counts) {
  // The interposition works: an Eigen allocation is seen (else the test above proves nothing).
  mallocs = 0;
  counting = true;
  Vector v(1000);
  v.setZero();
  counting = false;
  BOOST_TEST(mallocs >= 1);
  BOOST_TEST(v.sum() == 0.0);
}
