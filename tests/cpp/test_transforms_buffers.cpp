// Result buffers: the cache behind large outputs of the bindings (reuse, limits,
// alignment, huge-page rounding) and the *_into entry points that write into them.
#include <boost/test/unit_test.hpp>

#include <trustmix/transforms/buffer_cache.hpp>
#include <trustmix/transforms/transforms.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>

#if defined(__unix__)
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "check.hpp"

namespace tf = trustmix::transforms;
using Vec = Eigen::VectorXd;
using trustmix::test::random_media;

BOOST_AUTO_TEST_SUITE(buffer_cache)

BOOST_AUTO_TEST_CASE(released_buffers_are_reused_for_fitting_sizes_only) {
  tf::BufferCache cache;
  const std::size_t small = 300 << 10;  // 4 KiB pages
  tf::Buffer a = cache.acquire(small);
  BOOST_TEST(a.capacity == small);
  BOOST_TEST(reinterpret_cast<std::uintptr_t>(a.data) % 4096 == 0);
  std::memset(a.data, 1, small);  // writable
  void* const a_data = a.data;
  cache.release(a);
  BOOST_TEST(cache.cached_buffers() == 1u);
  BOOST_TEST(cache.cached_bytes() == small);
  // A request of at most the capacity and at least half of it gets the same memory.
  tf::Buffer b = cache.acquire(small / 2 + 8);
  BOOST_TEST(b.data == a_data);
  BOOST_TEST(cache.reused() == 1u);
  BOOST_TEST(cache.cached_buffers() == 0u);
  cache.release(b);
  // Too large, or less than half: a new buffer; the cached one stays.
  tf::Buffer c = cache.acquire(small + 1);
  BOOST_TEST(c.data != a_data);
  tf::Buffer d = cache.acquire(small / 2 - 4096);
  BOOST_TEST(d.data != a_data);
  BOOST_TEST(cache.cached_buffers() == 1u);
  BOOST_TEST(cache.reused() == 1u);
  cache.release(c);
  cache.release(d);
  BOOST_TEST(cache.cached_buffers() == 3u);
  cache.clear();
  BOOST_TEST(cache.cached_buffers() == 0u);
  BOOST_TEST(cache.cached_bytes() == 0u);
  // After clear() the cache still caches.
  tf::Buffer e = cache.acquire(small);
  cache.release(e);
  BOOST_TEST(cache.cached_buffers() == 1u);
  BOOST_TEST(cache.cached_bytes() == small);
}

BOOST_AUTO_TEST_CASE(smallest_fitting_buffer_is_chosen) {
  tf::BufferCache cache;
  tf::Buffer big = cache.acquire(800 << 10), mid = cache.acquire(600 << 10);
  void* const mid_data = mid.data;
  cache.release(big);
  cache.release(mid);
  tf::Buffer got = cache.acquire(500 << 10);
  BOOST_TEST(got.data == mid_data);
  cache.release(got);
}

BOOST_AUTO_TEST_CASE(large_buffers_are_whole_aligned_huge_pages) {
  tf::BufferCache cache;
  const std::size_t bytes = 3650 * 50 * sizeof(double);  // 1.4 MiB
  tf::Buffer a = cache.acquire(bytes);
  BOOST_TEST(a.capacity == tf::BufferCache::huge_page);
  BOOST_TEST(reinterpret_cast<std::uintptr_t>(a.data) % tf::BufferCache::huge_page == 0);
  std::memset(a.data, 7, a.capacity);
  tf::Buffer b = cache.acquire(5 * tf::BufferCache::huge_page + 1);
  BOOST_TEST(b.capacity == 6 * tf::BufferCache::huge_page);
  std::memset(b.data, 7, b.capacity);
  cache.release(a);
  cache.release(b);
}

BOOST_AUTO_TEST_CASE(cache_keeps_at_most_its_limits_dropping_the_oldest) {
  tf::BufferCache cache;
  std::vector<tf::Buffer> bufs;
  for (std::size_t i = 0; i < tf::BufferCache::max_cached_buffers + 4; ++i) bufs.push_back(cache.acquire(64 << 10));
  void* const newest = bufs.back().data;
  void* const oldest = bufs.front().data;
  for (const auto& b : bufs) cache.release(b);
  BOOST_TEST(cache.cached_buffers() == tf::BufferCache::max_cached_buffers);
  bool has_newest = false, has_oldest = false;
  std::vector<tf::Buffer> again;
  for (std::size_t i = 0; i < tf::BufferCache::max_cached_buffers; ++i) {
    again.push_back(cache.acquire(64 << 10));
    has_newest = has_newest || again.back().data == newest;
    has_oldest = has_oldest || again.back().data == oldest;
  }
  BOOST_TEST(has_newest);
  BOOST_TEST(!has_oldest);
  for (const auto& b : again) cache.release(b);
  // Byte limit: ten buffers of 8 MiB are 80 MiB; the 64 MiB limit keeps the newest eight.
  cache.clear();
  bufs.clear();
  const std::size_t eight = 4 * tf::BufferCache::huge_page;
  for (int i = 0; i < 10; ++i) bufs.push_back(cache.acquire(eight));
  for (const auto& b : bufs) cache.release(b);
  BOOST_TEST(cache.cached_buffers() == tf::BufferCache::max_cached_bytes / eight);
  BOOST_TEST(cache.cached_bytes() == tf::BufferCache::max_cached_bytes);
}

BOOST_AUTO_TEST_CASE(disabled_cache_keeps_nothing) {
  tf::BufferCache cache(false);
  tf::Buffer a = cache.acquire(100 << 10);
  cache.release(a);
  BOOST_TEST(cache.cached_buffers() == 0u);
  tf::Buffer b = cache.acquire(100 << 10);
  BOOST_TEST(cache.reused() == 0u);
  cache.release(b);
}

#if defined(__unix__)
BOOST_AUTO_TEST_CASE(a_forked_child_gets_a_new_empty_cache) {
  // The process-wide cache is a ForkSafeSingleton: one per process, and a forked child
  // starts a new, empty one (the parent's may be locked by a thread that is gone).
  ::setenv("TRUSTMIX_BUFFER_CACHE", "1", 1);  // caching on (this test is the first user)
  auto& parent = tf::BufferCache::instance();
  BOOST_TEST(&tf::BufferCache::instance() == &parent);
  const std::size_t bytes = std::size_t{300} << 10;
  parent.release(parent.acquire(bytes));
  BOOST_REQUIRE(parent.cached_buffers() == 1u);
  const std::size_t parent_reused = parent.reused();
  const pid_t pid = fork();
  if (pid == 0) {
    // Child: a new cache, empty, kept for later calls, that caches and reuses.
    auto& cache = tf::BufferCache::instance();
    bool ok = &cache != &parent && cache.cached_buffers() == 0 && &tf::BufferCache::instance() == &cache;
    const tf::Buffer b = cache.acquire(bytes);
    std::memset(b.data, 1, bytes);
    cache.release(b);
    ok = ok && cache.cached_buffers() == 1 && cache.acquire(bytes).data == b.data && cache.reused() == 1;
    _exit(ok ? 0 : 1);
  }
  BOOST_REQUIRE(pid > 0);
  int status = 0;
  BOOST_REQUIRE(waitpid(pid, &status, 0) == pid);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  // The parent keeps its cache, and its cached buffer is reused.
  BOOST_TEST(&tf::BufferCache::instance() == &parent);
  BOOST_TEST(parent.cached_buffers() == 1u);
  parent.release(parent.acquire(bytes));
  BOOST_TEST(parent.reused() == parent_reused + 1);
  parent.clear();
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(write_into_given_memory)

BOOST_AUTO_TEST_CASE(adstock_into_and_saturate_into_give_the_same_bits_in_reused_memory) {
  const tf::RowMatrix x = random_media(500, 7, 3);
  tf::BufferCache cache;
  for (int rep = 0; rep < 3; ++rep) {
    // Reused memory holds the previous results (or garbage): every element is overwritten.
    tf::Buffer buf = cache.acquire(500 * 9 * sizeof(double));
    if (rep == 0) std::memset(buf.data, 0xff, buf.capacity);  // NaN pattern
    // Row stride 9 > 7 columns: the into-versions honour the stride.
    Eigen::Map<tf::RowMatrix, 0, Eigen::OuterStride<>> out(static_cast<double*>(buf.data), 500, 7, Eigen::OuterStride<>(9));
    const std::vector<Vec> pa = {Vec::LinSpaced(7, 0.2, 0.9), Vec::LinSpaced(7, 0.0, 3.0)};
    const auto ref = tf::adstock(x, tf::AdstockKind::delayed, pa, 12, true, false, 1);
    const tf::RowMatrix w = tf::adstock_into(x, tf::AdstockKind::delayed, pa, 12, true, out, 2);
    BOOST_TEST((out.array() == ref.values.array()).all());
    BOOST_TEST((w.array() == ref.weights.array()).all());
    const std::vector<Vec> ph = {Vec::LinSpaced(7, 0.5, 2.0), Vec::LinSpaced(7, 0.7, 3.0)};
    const auto sref = tf::saturate(x, tf::SaturationKind::hill, ph, false, 1);
    tf::saturate_into(x, tf::SaturationKind::hill, ph, out, 3);
    BOOST_TEST((out.array() == sref.values.array()).all());
    // Infinite geometric window.
    const auto gref = tf::adstock(x, tf::AdstockKind::geometric, {Vec::Constant(1, 0.6)}, tf::infinite_lag, true);
    (void)tf::adstock_into(x, tf::AdstockKind::geometric, {Vec::Constant(1, 0.6)}, tf::infinite_lag, true, out);
    BOOST_TEST((out.array() == gref.values.array()).all());
    cache.release(buf);
  }
  BOOST_TEST(cache.reused() == 2u);
}

BOOST_AUTO_TEST_CASE(saturate_into_in_place_gives_the_same_bits_and_still_rejects_bad_input) {
  const tf::RowMatrix x = random_media(300, 7, 5);
  const std::vector<Vec> ph = {Vec::LinSpaced(7, 0.5, 2.0), Vec::LinSpaced(7, 0.7, 3.0)};
  for (const auto kind : {tf::SaturationKind::hill, tf::SaturationKind::logistic}) {
    const std::vector<Vec> p = kind == tf::SaturationKind::hill ? ph : std::vector<Vec>{ph[0]};
    const auto ref = tf::saturate(x, kind, p, false, 1);
    tf::RowMatrix y = x;
    tf::saturate_into(y, kind, p, y, 2);
    BOOST_TEST((y.array() == ref.values.array()).all());
    // An inf the in-place output overwrites (Hill maps it to 1) is still an error.
    for (const double bad : {HUGE_VAL, -1.0, std::nan("")}) {
      tf::RowMatrix z = x;
      z(150, 3) = bad;
      BOOST_TEST_INFO("kind " << static_cast<int>(kind) << " bad " << bad);
      BOOST_CHECK_THROW(tf::saturate_into(z, kind, p, z, 2), std::invalid_argument);
    }
  }
}

BOOST_AUTO_TEST_CASE(into_versions_check_the_output_shape) {
  const tf::RowMatrix x = random_media(10, 3, 1);
  tf::RowMatrix wrong(10, 4);
  BOOST_CHECK_THROW((void)tf::adstock_into(x, tf::AdstockKind::geometric, {Vec::Constant(1, 0.5)}, 3, true, wrong),
                    std::invalid_argument);
  BOOST_CHECK_THROW(tf::saturate_into(x, tf::SaturationKind::hill, {Vec::Constant(1, 1.0), Vec::Constant(1, 1.0)}, wrong),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
