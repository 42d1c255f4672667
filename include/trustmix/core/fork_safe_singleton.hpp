#pragma once
// A process-wide object that is never destroyed and that a forked child replaces: the
// pattern of the thread pool (src/parallel.cpp) and the result-buffer cache
// (transforms/buffer_cache.hpp), written once.
//
// Never destroyed: detached worker threads, and numpy arrays freed during interpreter
// shutdown, may still use the object after static destructors have run.
// Replaced after fork(): the child has only the forking thread, and the parent's object
// may hold mutexes locked by threads that do not exist in the child, so the child
// abandons it (leaks it, never touching it again) and creates a new one on first use.
#include <atomic>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define TRUSTMIX_HAS_PTHREAD_ATFORK 1
#endif

namespace trustmix::detail {

/// The process-wide instance of T (see the file comment). Thread-safe.
template <class T>
class ForkSafeSingleton {
 public:
  /// The instance, created on first use (in this process) by make(), a callable that
  /// returns a new T* (so that T may keep its constructors private: a lambda in a member
  /// of T may call them). When threads race on the first use, one object is kept and the
  /// others are deleted, so make() must have no other effect.
  template <class Make>
  static T& get(Make&& make) {
    T* p = slot().load(std::memory_order_acquire);
    if (p != nullptr) return *p;
    T* fresh = make();
    if (slot().compare_exchange_strong(p, fresh, std::memory_order_acq_rel)) {
      register_fork_reset();
      return *fresh;
    }
    delete fresh;  // another thread installed its object first; p holds it
    return *p;
  }

 private:
  static std::atomic<T*>& slot() {
    static std::atomic<T*> instance{nullptr};
    return instance;
  }

  /// Makes a forked child forget the parent's object (the slot becomes empty, so get()
  /// creates a new one). Registered once per T and process, whatever the call sites of
  /// get(); a child inherits the registration.
  static void register_fork_reset() {
#if defined(TRUSTMIX_HAS_PTHREAD_ATFORK)
    static const bool registered = pthread_atfork(nullptr, nullptr,
                                                  [] { slot().store(nullptr, std::memory_order_release); }) == 0;
    (void)registered;
#endif
  }
};

}  // namespace trustmix::detail
