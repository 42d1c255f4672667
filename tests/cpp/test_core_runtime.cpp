// The compiled runtime (src/, trustmix::runtime): one thread pool, one "in a block" flag
// per thread and one CPU feature record per process, shared by every shared object that
// includes the headers. A second shared object (runtime_probe.cpp, hidden visibility like
// a Python extension) is loaded with dlopen and must see what this program sees.
#include <boost/test/unit_test.hpp>

#include <trustmix/core/cpu_features.hpp>
#include <trustmix/core/parallel.hpp>
#include <trustmix/core/runtime.hpp>
#include <trustmix/version.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#if defined(__unix__)
#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace {

using PoolIdFn = std::uintptr_t (*)();
using WorkersFn = int (*)();
using LoopFn = int (*)(std::ptrdiff_t, int, double*);

#if defined(__unix__) && defined(TRUSTMIX_RUNTIME_PROBE)
/// The probe, loaded once (RTLD_LOCAL, as Python loads an extension).
struct Probe {
  void* handle = nullptr;
  PoolIdFn pool_id = nullptr;
  WorkersFn workers_started = nullptr;
  LoopFn loop = nullptr;
  PoolIdFn cpu_features_id = nullptr;

  Probe() {
    handle = dlopen(TRUSTMIX_RUNTIME_PROBE, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return;
    pool_id = reinterpret_cast<PoolIdFn>(dlsym(handle, "probe_pool_id"));
    workers_started = reinterpret_cast<WorkersFn>(dlsym(handle, "probe_workers_started"));
    loop = reinterpret_cast<LoopFn>(dlsym(handle, "probe_loop"));
    cpu_features_id = reinterpret_cast<PoolIdFn>(dlsym(handle, "probe_cpu_features_id"));
  }
  [[nodiscard]] bool ok() const { return handle && pool_id && workers_started && loop && cpu_features_id; }
};

Probe& probe() {
  static Probe p;
  return p;
}
#endif

/// Sum of i^2 for i < n, exactly (n small enough for doubles to hold it).
double sum_of_squares(std::ptrdiff_t n) {
  const auto m = static_cast<double>(n - 1);
  return m * (m + 1.0) * (2.0 * m + 1.0) / 6.0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core_runtime)

BOOST_AUTO_TEST_CASE(the_runtime_reports_its_version_and_file) {
  BOOST_TEST(std::string(trustmix::runtime::version()) == TRUSTMIX_VERSION_STRING);
#if defined(__unix__)
  const std::string path = trustmix::runtime::library_path();
  BOOST_TEST(path.find("libtrustmix_runtime") != std::string::npos);
  BOOST_TEST(path.find(TRUSTMIX_VERSION_STRING) != std::string::npos);  // the soname carries the version
#endif
}

BOOST_AUTO_TEST_CASE(pool_id_names_the_pool_parallel_for_blocks_uses) {
  auto& pool = trustmix::detail::parallel::Pool::instance();
  BOOST_TEST(trustmix::runtime::pool_id() == reinterpret_cast<std::uintptr_t>(&pool));
  std::vector<double> out(4000, 0.0);
  trustmix::parallel_for_blocks(4000, 3, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (auto i = b; i < e; ++i) out[static_cast<std::size_t>(i)] = static_cast<double>(i);
  });
  BOOST_TEST(trustmix::runtime::pool_workers_started() == pool.workers_started());
  BOOST_TEST(pool.workers_started() >= 2);  // 3 threads: the caller and two workers
}

BOOST_AUTO_TEST_CASE(cpu_features_match_the_compiler_builtins) {
  const auto& f = trustmix::cpu_features();
  BOOST_TEST(&f == &trustmix::cpu_features());  // one record, detected once
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  BOOST_TEST(f.sse2 == (__builtin_cpu_supports("sse2") != 0));
  BOOST_TEST(f.avx == (__builtin_cpu_supports("avx") != 0));
  BOOST_TEST(f.avx2 == (__builtin_cpu_supports("avx2") != 0));
  BOOST_TEST(f.fma == (__builtin_cpu_supports("fma") != 0));
  BOOST_TEST(f.avx512f == (__builtin_cpu_supports("avx512f") != 0));
#if defined(__x86_64__)
  BOOST_TEST(f.sse2);  // every x86-64 CPU
#endif
#else
  BOOST_TEST(!f.sse2);
  BOOST_TEST(!f.avx);
#endif
}

#if defined(__unix__) && defined(TRUSTMIX_RUNTIME_PROBE)
BOOST_AUTO_TEST_CASE(a_second_shared_object_uses_the_same_pool) {
  BOOST_REQUIRE_MESSAGE(probe().ok(), "could not load " << TRUSTMIX_RUNTIME_PROBE << ": " << dlerror());
  BOOST_TEST(probe().pool_id() == trustmix::runtime::pool_id());
  BOOST_TEST(probe().cpu_features_id() == reinterpret_cast<std::uintptr_t>(&trustmix::cpu_features()));
  // Warm the pool from this program, then run a loop from the probe: it finds the
  // workers already started (a pool of its own would start new ones).
  std::vector<double> out(6000, 0.0);
  trustmix::parallel_for_blocks(6000, 3, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (auto i = b; i < e; ++i) out[static_cast<std::size_t>(i)] = static_cast<double>(i);
  });
  const int started = trustmix::runtime::pool_workers_started();
  BOOST_TEST(started >= 2);
  double sum = 0.0;
  const int blocks = probe().loop(6000, 3, &sum);
  BOOST_TEST(blocks == 3);
  BOOST_TEST(sum == sum_of_squares(6000));  // exact: every partial sum is an integer below 2^53
  BOOST_TEST(probe().workers_started() == started);
  BOOST_TEST(trustmix::runtime::pool_workers_started() == started);
}

BOOST_AUTO_TEST_CASE(a_loop_nested_across_shared_objects_runs_serially) {
  BOOST_REQUIRE(probe().ok());
  // A block of this program's loop calls the probe's loop: the "inside a block" flag is
  // one per thread and process, so the inner loop runs as one block (serially) on every
  // thread, whichever object started the outer loop.
  std::atomic<int> inner_blocks{0}, inner_calls{0};
  std::vector<double> sums(4, 0.0);
  trustmix::parallel_for_blocks(4, 4, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    for (auto i = b; i < e; ++i) {
      double s = 0.0;
      inner_blocks.fetch_add(probe().loop(1000, 4, &s));
      inner_calls.fetch_add(1);
      sums[static_cast<std::size_t>(i)] = s;
    }
  });
  BOOST_TEST(inner_calls.load() == 4);
  BOOST_TEST(inner_blocks.load() == 4);  // one block per inner loop
  for (const double s : sums) BOOST_TEST(s == sum_of_squares(1000));
}

BOOST_AUTO_TEST_CASE(a_forked_child_gets_one_new_pool_for_both_objects) {
  BOOST_REQUIRE(probe().ok());
  double sum = 0.0;
  probe().loop(3000, 3, &sum);  // the parent's pool has workers
  const std::uintptr_t parent = trustmix::runtime::pool_id();
  const pid_t pid = fork();
  if (pid == 0) {
    // Child: the probe's first loop creates the child's pool; this program must see the
    // same new pool, with the workers that loop started.
    double s = 0.0;
    const int blocks = probe().loop(3000, 3, &s);
    const std::uintptr_t child = probe().pool_id();
    const bool ok = blocks == 3 && s == sum_of_squares(3000) && child != parent && trustmix::runtime::pool_id() == child &&
                    trustmix::runtime::pool_workers_started() >= 2 &&
                    probe().workers_started() == trustmix::runtime::pool_workers_started();
    _exit(ok ? 0 : 1);
  }
  BOOST_REQUIRE(pid > 0);
  int status = 0;
  BOOST_REQUIRE(waitpid(pid, &status, 0) == pid);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  BOOST_TEST(trustmix::runtime::pool_id() == parent);
  BOOST_TEST(probe().loop(3000, 3, &sum) == 3);
  BOOST_TEST(sum == sum_of_squares(3000));
}
#endif

BOOST_AUTO_TEST_SUITE_END()
