// Facts about the loaded runtime library (include/trustmix/core/runtime.hpp).
#include "trustmix/core/runtime.hpp"

#include <cstdint>
#include <string>

#include "trustmix/core/parallel.hpp"
#include "trustmix/version.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#define TRUSTMIX_RUNTIME_HAS_DLADDR 1
#endif

namespace trustmix::runtime {

const char* version() noexcept { return TRUSTMIX_VERSION_STRING; }

const char* library_path() noexcept {
#if defined(TRUSTMIX_RUNTIME_HAS_DLADDR)
  static const std::string path = [] {
    static const int anchor = 0;  // any object of this library names the file it came from
    Dl_info info{};
    if (dladdr(&anchor, &info) != 0 && info.dli_fname != nullptr) return std::string(info.dli_fname);
    return std::string();
  }();
  return path.c_str();
#else
  return "";
#endif
}

std::uintptr_t pool_id() noexcept { return reinterpret_cast<std::uintptr_t>(&detail::parallel::Pool::instance()); }

int pool_workers_started() noexcept { return detail::parallel::Pool::instance().workers_started(); }

}  // namespace trustmix::runtime
