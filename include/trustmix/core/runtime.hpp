#pragma once
// The compiled runtime of trustmix (library `trustmix_runtime`, CMake target
// `trustmix::runtime`, sources in src/): the few parts of the core that must exist once
// per process rather than once per shared object that includes a header. Today: the
// thread pool behind parallel_for_blocks and its fork handling (core/parallel.hpp), the
// "inside a parallel block" flag of each thread, and the CPU feature detector
// (core/cpu_features.hpp).
//
// It is a shared library on purpose: the Python extension trustmix._core and a C++
// program (or a second extension) in the same process load one copy of it, so they
// share one pool (a static copy in each would give each its own pool and fork handler).
// Its soname carries the full version (libtrustmix_runtime.so.X.Y.Z), so two different
// versions in one process never share state they would lay out differently.
//
// TRUSTMIX_RUNTIME_API marks what the library exports; everything else in it is hidden.
#include <cstdint>

#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(TRUSTMIX_RUNTIME_BUILDING)
#define TRUSTMIX_RUNTIME_API __declspec(dllexport)
#else
#define TRUSTMIX_RUNTIME_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define TRUSTMIX_RUNTIME_API __attribute__((visibility("default")))
#else
#define TRUSTMIX_RUNTIME_API
#endif

namespace trustmix::runtime {

/// The version of the runtime library that is loaded, "X.Y.Z" (the version of the
/// headers is TRUSTMIX_VERSION_STRING in trustmix/version.hpp; the two must agree).
[[nodiscard]] TRUSTMIX_RUNTIME_API const char* version() noexcept;

/// The file the runtime library was loaded from (absolute path where the platform says;
/// empty when unknown). Lets a test or a user check which copy a process uses.
[[nodiscard]] TRUSTMIX_RUNTIME_API const char* library_path() noexcept;

/// An identifier of this process's thread pool: its address as an integer. Equal from
/// every shared object of one process; a forked child gets a new pool (so a new
/// identifier). Creates the pool if no loop has yet (which starts no thread).
[[nodiscard]] TRUSTMIX_RUNTIME_API std::uintptr_t pool_id() noexcept;

/// Worker threads the pool of this process has started so far (0 before the first
/// parallel loop that used the pool).
[[nodiscard]] TRUSTMIX_RUNTIME_API int pool_workers_started() noexcept;

}  // namespace trustmix::runtime
