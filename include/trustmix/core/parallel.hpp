#pragma once
// A deterministic parallel loop: [0, n) is cut into contiguous blocks (one per thread,
// or a few per thread that the threads claim in turn).
// Each index is computed by exactly one thread with the same arithmetic as serially,
// so results are bit-identical for every thread count.
//
// The blocks run on a process-wide pool of persistent worker threads (started on first
// use, grown on demand, never stopped), so a call costs a wake-up instead of a thread
// start. The pool serves one loop at a time: a loop that finds it busy (another thread's
// loop is running) starts its own threads for that call, as before the pool existed.
// A loop started from inside a block (a nested call, on a worker or on the calling
// thread) runs serially, which avoids oversubscription and cannot deadlock. After
// fork() the child starts a fresh pool on first use (the parent's workers do not exist
// in the child). None of this changes which indices a block holds or how they are
// computed.
//
// The pool, its fork handling and the per-thread "inside a block" flag are compiled once,
// in the runtime library (src/parallel.cpp, CMake target trustmix::runtime), so the Python
// extension and a C++ program in one process share one pool; the loop itself (block
// layout, exceptions, the fallback threads) stays here, inline.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "trustmix/core/runtime.hpp"

namespace trustmix {

/// Number of threads to use: `requested` if > 0, else the hardware concurrency.
[[nodiscard]] inline int resolve_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

namespace detail::parallel {

/// True on a thread that is running a block of a parallel loop (pool workers, threads
/// started for a loop, and the calling thread while its loop runs). One flag per thread
/// and process (it lives in the compiled runtime), so a loop nested in a block runs
/// serially whichever shared object started either loop.
[[nodiscard]] TRUSTMIX_RUNTIME_API bool& in_parallel_region() noexcept;

/// Sets in_parallel_region() for the lifetime of the object, restoring the old value.
class RegionGuard {
 public:
  RegionGuard() : old_(in_parallel_region()) { in_parallel_region() = true; }
  ~RegionGuard() { in_parallel_region() = old_; }
  RegionGuard(const RegionGuard&) = delete;
  RegionGuard& operator=(const RegionGuard&) = delete;

 private:
  bool old_;
};

/// One loop: `count` blocks; `run(ctx, i)` runs block i and never throws (the caller
/// wraps the body). Lives on the calling thread's stack while the loop runs.
struct Job {
  void (*run)(void* ctx, std::ptrdiff_t block) = nullptr;
  void* ctx = nullptr;
  std::ptrdiff_t count = 0;
  std::atomic<std::ptrdiff_t> next{0};  // next block to claim

  /// Claims and runs blocks until none is left.
  void work() {
    for (std::ptrdiff_t i = next.fetch_add(1, std::memory_order_relaxed); i < count;
         i = next.fetch_add(1, std::memory_order_relaxed))
      run(ctx, i);
  }
};

/// Persistent workers that run the blocks of one Job at a time. Defined in the compiled
/// runtime (src/parallel.cpp): one pool per process, whichever shared objects use it.
class TRUSTMIX_RUNTIME_API Pool {
 public:
  /// Most workers a pool keeps (max(8, 4 x hardware threads)): loops that want more
  /// threads start their own.
  static int max_workers();

  /// Runs job with up to `helpers` workers joining the calling thread. Returns false
  /// (and runs nothing) when the pool is busy with another loop or `helpers` is more
  /// than the pool may hold.
  bool try_run(Job& job, int helpers);

  /// Threads the pool has started so far (for tests).
  int workers_started();

  /// The process-wide pool (a ForkSafeSingleton in the runtime): never destroyed, so
  /// detached workers never see a destroyed mutex at exit; a forked child, where the
  /// parent's workers do not exist, starts a new one on first use.
  static Pool& instance();

  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

 private:
  Pool() = default;

  void worker_loop();

  std::mutex owner_;  // held by the thread whose loop the pool runs
  std::mutex m_;      // guards everything below
  std::condition_variable work_cv_, done_cv_;
  Job* job_ = nullptr;
  std::uint64_t generation_ = 0;
  std::atomic<int> active_{0};  // workers holding job_ (changed under m_; read by the spinning caller)
  int started_ = 0;  // workers started (all idle between loops)
};

}  // namespace detail::parallel

/// Calls body(begin, end) on contiguous blocks covering [0, n) with t threads. With
/// k = blocks_per_thread (default 1) there are b = min(t k, n / min_per_thread) blocks,
/// block i = [n i / b, n (i + 1) / b), and each thread claims the next unclaimed block
/// when it finishes one; so with k > 1 a thread that starts late or is descheduled by
/// the OS leaves its share to the others instead of holding up the loop. Which thread
/// runs a block never changes what the block computes. Runs serially (one block) when
/// n < min_per_thread * 2, when threads == 1, or when called from inside another
/// parallel loop's block. If blocks throw, the exception of the lowest-numbered throwing
/// block is rethrown on the calling thread after all blocks finish.
template <class Body>
void parallel_for_blocks(std::ptrdiff_t n, int threads, std::ptrdiff_t min_per_thread, Body&& body,
                         int blocks_per_thread = 1) {
  if (n <= 0) return;
  const std::ptrdiff_t max_useful = std::max<std::ptrdiff_t>(1, n / std::max<std::ptrdiff_t>(1, min_per_thread));
  const auto nthreads = static_cast<std::ptrdiff_t>(std::min<std::ptrdiff_t>(resolve_threads(threads), max_useful));
  const std::ptrdiff_t blocks = nthreads <= 1
                                    ? 1
                                    : std::min<std::ptrdiff_t>(nthreads * std::max(1, blocks_per_thread), max_useful);
  if (blocks <= 1 || detail::parallel::in_parallel_region()) {
    body(std::ptrdiff_t{0}, n);
    return;
  }
  struct Context {
    Body* body;
    std::ptrdiff_t n, blocks;
    std::vector<std::exception_ptr> errors;  // one slot per block, each written by its block only
  } ctx{&body, n, blocks, std::vector<std::exception_ptr>(static_cast<std::size_t>(blocks))};
  detail::parallel::Job job;
  job.count = blocks;
  job.ctx = &ctx;
  job.run = [](void* p, std::ptrdiff_t i) {
    auto& c = *static_cast<Context*>(p);
    try {
      (*c.body)(c.n* i / c.blocks, c.n * (i + 1) / c.blocks);
    } catch (...) {
      c.errors[static_cast<std::size_t>(i)] = std::current_exception();
    }
  };
  {
    const detail::parallel::RegionGuard guard;
    if (!detail::parallel::Pool::instance().try_run(job, static_cast<int>(nthreads - 1))) {
      // The pool is busy (a loop of another thread): threads of our own for this call.
      std::vector<std::jthread> own;
      own.reserve(static_cast<std::size_t>(nthreads - 1));
      for (std::ptrdiff_t i = 1; i < nthreads; ++i)
        own.emplace_back([&job] {
          detail::parallel::in_parallel_region() = true;
          job.work();
        });
      job.work();
      own.clear();  // joins
    }
  }
  for (const auto& e : ctx.errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace trustmix
