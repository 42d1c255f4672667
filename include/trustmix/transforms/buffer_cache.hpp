#pragma once
// Memory for large result arrays, with a small cache of recently released buffers.
//
// Writing a fresh 1.4 MiB result costs about 350 page faults (about 1 ms on the test VM,
// more than computing a Hill curve into it). The bindings therefore take the memory of
// large outputs from here and give it back when the numpy array that owns it is freed:
//   * a released buffer is kept (up to max_cached_buffers buffers and max_cached_bytes
//     bytes in total; beyond that the oldest is returned to the OS) and handed out again
//     for a later request of between half its size and its size, so a loop that drops
//     each result reuses memory whose pages are already mapped;
//   * a new buffer of at least 1 MiB is mapped 2 MiB-aligned, rounded up to whole
//     2 MiB, with madvise(MADV_HUGEPAGE) (Linux), so it takes one fault per 2 MiB
//     (about a quarter of the time of 4 KiB faults here) when the kernel has
//     transparent huge pages in "madvise" or "always" mode; smaller buffers are mapped
//     in 4 KiB pages. The rounding costs at most 2 MiB (under 50%) per buffer.
// Reused buffers are not cleared: callers overwrite every element. The environment
// variable TRUSTMIX_BUFFER_CACHE=0 turns the cache off (buffers are unmapped on release).
// Thread-safe; after fork() the child starts with an empty cache (the parent's cached
// buffers stay mapped in the child but are not reused).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string_view>
#include <vector>

#include "trustmix/core/fork_safe_singleton.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define TRUSTMIX_BUFFER_CACHE_MMAP 1
#endif

namespace trustmix::transforms {

/// A block of memory from BufferCache: `data` holds at least the requested bytes, 64-byte
/// aligned; `capacity` is what was mapped.
struct Buffer {
  void* data = nullptr;
  std::size_t capacity = 0;
};

class BufferCache {
 public:
  static constexpr std::size_t max_cached_buffers = 16;
  static constexpr std::size_t max_cached_bytes = std::size_t{64} << 20;
  static constexpr std::size_t huge_page = std::size_t{2} << 20;

  explicit BufferCache(bool enabled = true) : enabled_(enabled) { cached_.reserve(max_cached_buffers + 1); }
  BufferCache(const BufferCache&) = delete;
  BufferCache& operator=(const BufferCache&) = delete;
  ~BufferCache() {
    for (const Buffer& b : cached_) unmap(b);
  }

  /// A buffer of at least `bytes` bytes (> 0): a cached one of capacity in
  /// [bytes, 2 bytes] (the smallest such), else a new mapping. Throws std::bad_alloc.
  [[nodiscard]] Buffer acquire(std::size_t bytes) {
    if (bytes == 0) bytes = 1;
    {
      const std::scoped_lock lock(m_);
      auto best = cached_.end();
      for (auto it = cached_.begin(); it != cached_.end(); ++it)
        if (it->capacity >= bytes && it->capacity / 2 <= bytes && (best == cached_.end() || it->capacity < best->capacity))
          best = it;
      if (best != cached_.end()) {
        const Buffer b = *best;
        cached_bytes_ -= b.capacity;
        cached_.erase(best);
        ++reused_;
        return b;
      }
    }
    return map(bytes);
  }

  /// Gives a buffer from acquire() back: cached for reuse, or unmapped when the cache is
  /// off or full (the oldest cached buffers go first).
  void release(Buffer b) noexcept {
    if (b.data == nullptr) return;
    Buffer drop[max_cached_buffers + 1];
    std::size_t n_drop = 0;
    {
      const std::scoped_lock lock(m_);
      if (!enabled_ || b.capacity > max_cached_bytes || cached_.size() >= cached_.capacity()) {
        drop[n_drop++] = b;
      } else {
        cached_.push_back(b);  // no allocation: capacity reserved in the constructor
        cached_bytes_ += b.capacity;
        while (cached_.size() > max_cached_buffers || cached_bytes_ > max_cached_bytes) {
          drop[n_drop++] = cached_.front();
          cached_bytes_ -= cached_.front().capacity;
          cached_.erase(cached_.begin());
        }
      }
    }
    for (std::size_t i = 0; i < n_drop; ++i) unmap(drop[i]);  // outside the lock
  }

  /// Buffers and bytes held for reuse, and how many requests were served from the cache.
  [[nodiscard]] std::size_t cached_buffers() {
    const std::scoped_lock lock(m_);
    return cached_.size();
  }
  [[nodiscard]] std::size_t cached_bytes() {
    const std::scoped_lock lock(m_);
    return cached_bytes_;
  }
  [[nodiscard]] std::size_t reused() {
    const std::scoped_lock lock(m_);
    return reused_;
  }

  /// Returns every cached buffer to the OS; the cache keeps working afterwards (its
  /// reserved capacity stays, so release() still caches without allocating).
  void clear() {
    std::vector<Buffer> drop;
    {
      const std::scoped_lock lock(m_);
      drop.assign(cached_.begin(), cached_.end());
      cached_.clear();
      cached_bytes_ = 0;
    }
    for (const Buffer& d : drop) unmap(d);
  }

  /// The process-wide cache (a ForkSafeSingleton): never destroyed, since arrays may be
  /// freed during interpreter shutdown; a forked child (forked perhaps while another
  /// thread held the mutex) starts a new, empty cache on first use. TRUSTMIX_BUFFER_CACHE=0
  /// in the environment disables caching.
  static BufferCache& instance() {
    return trustmix::detail::ForkSafeSingleton<BufferCache>::get([] {
      const char* env = std::getenv("TRUSTMIX_BUFFER_CACHE");
      return new BufferCache(!(env != nullptr && std::string_view(env) == "0"));
    });
  }

 private:
#if defined(TRUSTMIX_BUFFER_CACHE_MMAP)
  static Buffer map(std::size_t bytes) {
    const std::size_t page = 4096;
    if (bytes < huge_page / 2) {
      const std::size_t cap = (bytes + page - 1) / page * page;
      void* p = mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      return {p, cap};
    }
    // Map one huge page more than needed and unmap the unaligned head and tail.
    const std::size_t cap = (bytes + huge_page - 1) / huge_page * huge_page;
    void* raw = mmap(nullptr, cap + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    // The offsets are computed on the address, the pointers by arithmetic on `raw`.
    const auto base = reinterpret_cast<std::uintptr_t>(raw);
    const std::size_t head = (base + huge_page - 1) / huge_page * huge_page - base;  // bytes before the aligned start
    char* const start = static_cast<char*>(raw) + head;
    if (head > 0) munmap(raw, head);
    munmap(start + cap, huge_page - head);  // the tail after cap bytes (never empty: head < huge_page)
#if defined(MADV_HUGEPAGE)
    madvise(start, cap, MADV_HUGEPAGE);  // a hint: failure is harmless
#endif
    return {start, cap};
  }
  static void unmap(const Buffer& b) { munmap(b.data, b.capacity); }
#else
  static Buffer map(std::size_t bytes) {
    const std::size_t cap = (bytes + 63) / 64 * 64;
    void* p = ::operator new(cap, std::align_val_t{64});
    return {p, cap};
  }
  static void unmap(const Buffer& b) { ::operator delete(b.data, std::align_val_t{64}); }
#endif

  bool enabled_;
  std::mutex m_;
  std::vector<Buffer> cached_;  // oldest first
  std::size_t cached_bytes_ = 0;
  std::size_t reused_ = 0;
};

}  // namespace trustmix::transforms
