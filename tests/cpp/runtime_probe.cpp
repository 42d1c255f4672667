// A second shared object for test_core_runtime, built like a Python extension (hidden
// visibility, loaded with dlopen(RTLD_LOCAL)): it includes the headers as any user does,
// and reports what it sees of the process's pool. Before the pool moved into the runtime
// library, this object had a pool (and a fork handler, and an "in a block" flag) of its own.
#include <trustmix/core/cpu_features.hpp>
#include <trustmix/core/parallel.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#define TRUSTMIX_PROBE_API extern "C" __attribute__((visibility("default")))

/// The address of the pool this object's parallel loops use.
TRUSTMIX_PROBE_API std::uintptr_t probe_pool_id() {
  return reinterpret_cast<std::uintptr_t>(&trustmix::detail::parallel::Pool::instance());
}

/// Workers started by the pool this object uses.
TRUSTMIX_PROBE_API int probe_workers_started() { return trustmix::detail::parallel::Pool::instance().workers_started(); }

/// Runs a parallel loop over [0, n) with `threads` threads and min_per_thread 1; returns
/// how many blocks ran (1 when the loop ran serially) and writes sum of i^2 to *sum.
TRUSTMIX_PROBE_API int probe_loop(std::ptrdiff_t n, int threads, double* sum) {
  std::atomic<int> blocks{0};
  std::vector<double> part(static_cast<std::size_t>(n), 0.0);
  trustmix::parallel_for_blocks(n, threads, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    blocks.fetch_add(1);
    for (auto i = b; i < e; ++i) part[static_cast<std::size_t>(i)] = static_cast<double>(i) * static_cast<double>(i);
  });
  double s = 0.0;
  for (const double v : part) s += v;
  *sum = s;
  return blocks.load();
}

/// The address of the CPU feature record this object reads.
TRUSTMIX_PROBE_API std::uintptr_t probe_cpu_features_id() {
  return reinterpret_cast<std::uintptr_t>(&trustmix::cpu_features());
}
