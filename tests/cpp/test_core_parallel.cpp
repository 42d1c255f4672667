// The persistent pool behind parallel_for_blocks: block layout, determinism for every
// thread count, exceptions (lowest block wins), concurrent callers, nested loops, fork.
#include <boost/test/unit_test.hpp>

#include <trustmix/core/parallel.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__unix__)
#include <sys/wait.h>
#include <unistd.h>
#endif

using trustmix::parallel_for_blocks;

namespace {

// A value whose rounding depends on the order of operations inside a block only.
double work(std::ptrdiff_t i) {
  double v = 0.0;
  for (int j = 1; j <= 20; ++j) v += std::sin(static_cast<double>(i) * 0.37 + j) / j;
  return v;
}

std::vector<double> compute(std::ptrdiff_t n, int threads) {
  std::vector<double> out(static_cast<std::size_t>(n), std::nan(""));
  parallel_for_blocks(n, threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (auto i = b; i < e; ++i) out[static_cast<std::size_t>(i)] = work(i);
  });
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(parallel_pool)

BOOST_AUTO_TEST_CASE(blocks_are_the_documented_contiguous_ranges) {
  for (const int threads : {2, 3, 7}) {
    const std::ptrdiff_t n = 1001;
    std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>> seen(static_cast<std::size_t>(threads), {-1, -1});
    std::atomic<int> calls{0};
    parallel_for_blocks(n, threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
      ++calls;
      for (int i = 0; i < threads; ++i)
        if (b == n * i / threads) seen[static_cast<std::size_t>(i)] = {b, e};
    });
    BOOST_TEST(calls.load() == threads);
    for (int i = 0; i < threads; ++i) {
      BOOST_TEST(seen[static_cast<std::size_t>(i)].first == n * i / threads);
      BOOST_TEST(seen[static_cast<std::size_t>(i)].second == n * (i + 1) / threads);
    }
  }
}

BOOST_AUTO_TEST_CASE(same_bits_for_every_thread_count_and_repeated_calls) {
  const auto ref = compute(5000, 1);
  for (const int threads : {2, 3, 4, 8, 16})
    for (int rep = 0; rep < 20; ++rep) {
      const auto r = compute(5000, threads);
      BOOST_TEST((r == ref));
    }
  // min_per_thread caps the blocks: 100 items with 60 per thread run serially.
  std::atomic<int> calls{0};
  parallel_for_blocks(100, 8, 60, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    ++calls;
    BOOST_TEST(b == 0);
    BOOST_TEST(e == 100);
  });
  BOOST_TEST(calls.load() == 1);
}

BOOST_AUTO_TEST_CASE(workers_are_reused_across_calls) {
  (void)compute(1000, 3);
  const int started = trustmix::detail::parallel::Pool::instance().workers_started();
  BOOST_TEST(started >= 2);
  for (int rep = 0; rep < 50; ++rep) (void)compute(1000, 3);
  BOOST_TEST(trustmix::detail::parallel::Pool::instance().workers_started() == started);
}

BOOST_AUTO_TEST_CASE(exception_of_the_lowest_throwing_block_is_rethrown_after_all_blocks) {
  for (int rep = 0; rep < 20; ++rep) {
    std::atomic<int> finished{0};
    try {
      parallel_for_blocks(400, 4, 1, [&](std::ptrdiff_t b, std::ptrdiff_t) {
        if (b >= 100) {  // blocks 1, 2, 3 throw; block 0 finishes normally
          ++finished;
          throw std::runtime_error("block at " + std::to_string(b));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ++finished;
      });
      BOOST_FAIL("no exception");
    } catch (const std::runtime_error& e) {
      BOOST_TEST(std::string(e.what()) == "block at 100");
    }
    BOOST_TEST(finished.load() == 4);
  }
  // The pool still works after a failed loop.
  BOOST_TEST((compute(999, 4) == compute(999, 1)));
}

BOOST_AUTO_TEST_CASE(nested_loops_run_serially_inside_a_block) {
  const auto ref = compute(300, 1);
  std::vector<std::vector<double>> inner(8);
  std::atomic<int> nested_calls{0};
  parallel_for_blocks(8, 4, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (auto i = b; i < e; ++i) {
      std::vector<double> out(300);
      parallel_for_blocks(300, 4, 1, [&](std::ptrdiff_t b2, std::ptrdiff_t e2) {
        ++nested_calls;
        for (auto j = b2; j < e2; ++j) out[static_cast<std::size_t>(j)] = work(j);
      });
      inner[static_cast<std::size_t>(i)] = std::move(out);
    }
  });
  BOOST_TEST(nested_calls.load() == 8);  // one serial block per nested loop
  for (const auto& v : inner) BOOST_TEST((v == ref));
}

BOOST_AUTO_TEST_CASE(concurrent_callers_get_correct_results) {
  const auto ref = compute(3000, 1);
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 6; ++c)
    callers.emplace_back([&, c] {
      for (int rep = 0; rep < 30; ++rep)
        if (compute(3000, 2 + (c + rep) % 4) != ref) ++wrong;
    });
  for (auto& t : callers) t.join();
  BOOST_TEST(wrong.load() == 0);
}

BOOST_AUTO_TEST_CASE(several_blocks_per_thread_are_the_documented_ranges) {
  // b = min(t k, n / min_per_thread) blocks, block i = [n i / b, n (i + 1) / b).
  struct Case {
    std::ptrdiff_t n, min_per_thread;
    int threads, per_thread;
    std::ptrdiff_t blocks;
  };
  for (const Case c : {Case{1001, 1, 2, 8, 16}, Case{1001, 1, 3, 4, 12}, Case{100, 10, 4, 8, 10}, Case{1001, 1, 1, 8, 1}}) {
    std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>> got;
    std::mutex m;
    parallel_for_blocks(
        c.n, c.threads, c.min_per_thread,
        [&](std::ptrdiff_t b, std::ptrdiff_t e) {
          const std::lock_guard<std::mutex> lk(m);
          got.emplace_back(b, e);
        },
        c.per_thread);
    std::sort(got.begin(), got.end());
    BOOST_TEST(static_cast<std::ptrdiff_t>(got.size()) == c.blocks);
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(got.size()); ++i) {
      BOOST_TEST(got[static_cast<std::size_t>(i)].first == c.n * i / c.blocks);
      BOOST_TEST(got[static_cast<std::size_t>(i)].second == c.n * (i + 1) / c.blocks);
    }
  }
  // and the same bits as one thread
  const auto ref = compute(2000, 1);
  for (const int per_thread : {2, 8, 64}) {
    std::vector<double> out(2000, std::nan(""));
    parallel_for_blocks(
        2000, 2, 1,
        [&](std::ptrdiff_t b, std::ptrdiff_t e) {
          for (auto i = b; i < e; ++i) out[static_cast<std::size_t>(i)] = work(i);
        },
        per_thread);
    BOOST_TEST((out == ref));
  }
}

#if defined(__unix__)
BOOST_AUTO_TEST_CASE(a_forked_child_gets_a_working_pool) {
  const auto ref = compute(2000, 1);
  BOOST_TEST((compute(2000, 3) == ref));  // the parent's pool has workers now
  auto& parent_pool = trustmix::detail::parallel::Pool::instance();
  BOOST_TEST(parent_pool.workers_started() > 0);
  const pid_t pid = fork();
  if (pid == 0) {
    // Child: the parent's workers do not exist here; a new pool (no workers yet) must
    // start, and work.
    auto& pool = trustmix::detail::parallel::Pool::instance();
    const bool fresh = &pool != &parent_pool && pool.workers_started() == 0;
    const bool ok = compute(2000, 3) == ref && compute(2000, 2) == ref;
    _exit(fresh && ok ? 0 : 1);
  }
  BOOST_REQUIRE(pid > 0);
  int status = 0;
  BOOST_REQUIRE(waitpid(pid, &status, 0) == pid);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  BOOST_TEST((compute(2000, 3) == ref));  // and the parent's pool still works
}
#endif

BOOST_AUTO_TEST_SUITE_END()
