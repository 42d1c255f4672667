#pragma once
// A deterministic parallel loop: [0, n) is cut into contiguous blocks, one per thread.
// Each index is computed by exactly one thread with the same arithmetic as serially,
// so results are bit-identical for every thread count.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace trustmix {

/// Number of threads to use: `requested` if > 0, else the hardware concurrency.
[[nodiscard]] inline int resolve_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

/// Calls body(begin, end) on contiguous blocks covering [0, n). Runs serially when
/// n < min_per_thread * 2 or threads == 1. The first exception thrown by any block is
/// rethrown on the calling thread after all blocks finish.
template <class Body>
void parallel_for_blocks(std::ptrdiff_t n, int threads, std::ptrdiff_t min_per_thread, Body&& body) {
  if (n <= 0) return;
  const std::ptrdiff_t max_useful = std::max<std::ptrdiff_t>(1, n / std::max<std::ptrdiff_t>(1, min_per_thread));
  const auto t = static_cast<std::ptrdiff_t>(std::min<std::ptrdiff_t>(resolve_threads(threads), max_useful));
  if (t <= 1) {
    body(std::ptrdiff_t{0}, n);
    return;
  }
  std::exception_ptr error;
  std::mutex error_mutex;
  std::vector<std::jthread> pool;
  pool.reserve(static_cast<std::size_t>(t - 1));
  auto run = [&](std::ptrdiff_t b, std::ptrdiff_t e) {
    try {
      body(b, e);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  for (std::ptrdiff_t i = 1; i < t; ++i) pool.emplace_back(run, n * i / t, n * (i + 1) / t);
  run(0, n / t);
  pool.clear();  // joins
  if (error) std::rethrow_exception(error);
}

}  // namespace trustmix
