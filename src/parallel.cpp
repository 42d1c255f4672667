// The process-wide thread pool behind trustmix::parallel_for_blocks (declared in
// include/trustmix/core/parallel.hpp) and its fork handling: compiled once, into the
// runtime library, so every shared object of a process uses the same pool.
#include "trustmix/core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

#include "trustmix/core/fork_safe_singleton.hpp"

namespace trustmix::detail::parallel {

namespace {

/// A hint to the CPU that this thread is spinning (x86 `pause`), else a yield.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

}  // namespace

bool& in_parallel_region() noexcept {
  thread_local bool flag = false;
  return flag;
}

int Pool::max_workers() {
  static const int n = std::max(8, 4 * resolve_threads(0));  // hardware_concurrency() once
  return n;
}

bool Pool::try_run(Job& job, int helpers) {
  if (helpers > max_workers()) return false;
  std::unique_lock<std::mutex> owner(owner_, std::try_to_lock);
  if (!owner.owns_lock()) return false;
  {
    std::unique_lock<std::mutex> lk(m_);
    for (; started_ < helpers; ++started_)
      std::thread([this] { worker_loop(); }).detach();  // the pool is never destroyed (see instance())
    job_ = &job;
    ++generation_;
  }
  for (int i = 0; i < helpers; ++i) work_cv_.notify_one();
  job.work();  // the calling thread claims blocks too
  {
    const std::scoped_lock lk(m_);
    job_ = nullptr;  // workers that wake from now on find no job
  }
  // Wait until no worker holds the job (it lives on the caller's stack). A worker
  // usually finishes its last block within microseconds of the caller: spin for up to
  // 100 us before sleeping, which saves a futex wake-up (10-30 us on a VM) per loop.
  const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
  for (int i = 1; active_.load(std::memory_order_acquire) != 0; ++i) {
    cpu_relax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() > spin_until) break;
  }
  std::unique_lock<std::mutex> lk(m_);
  done_cv_.wait(lk, [this] { return active_.load(std::memory_order_relaxed) == 0; });
  return true;
}

int Pool::workers_started() {
  const std::scoped_lock lk(m_);
  return started_;
}

Pool& Pool::instance() {
  return ForkSafeSingleton<Pool>::get([] { return new Pool(); });
}

void Pool::worker_loop() {
  in_parallel_region() = true;  // nested loops inside a block run serially
  std::uint64_t seen = 0;
  std::unique_lock<std::mutex> lk(m_);
  for (;;) {
    work_cv_.wait(lk, [&] { return job_ != nullptr && generation_ != seen; });
    seen = generation_;
    Job* job = job_;
    active_.fetch_add(1, std::memory_order_relaxed);
    lk.unlock();
    job->work();
    lk.lock();
    if (active_.fetch_sub(1, std::memory_order_release) == 1) done_cv_.notify_all();
  }
}

}  // namespace trustmix::detail::parallel
