#pragma once
// Up-front resource checks: a request whose memory estimate exceeds what this machine can
// give is refused before anything is allocated, with the estimate and a way out, instead
// of growing to gigabytes and failing with std::bad_alloc (or being killed).
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include "trustmix/core/error.hpp"

namespace trustmix {

/// Physical memory of this machine in bytes (8 GiB if the system does not say).
[[nodiscard]] inline double physical_memory_bytes() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGE_SIZE)
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) return static_cast<double>(pages) * static_cast<double>(page);
#endif
  return 0x1p33;
}

/// "1.5 GiB", "954 MiB", ...: bytes in binary units, 3 significant digits.
[[nodiscard]] inline std::string format_bytes(double bytes) {
  constexpr const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 6) {
    bytes /= 1024.0;
    ++u;
  }
  std::ostringstream os;
  os.precision(3);
  os << bytes << " " << units[u];
  return os.str();
}

/// The memory one request may take, in bytes: the environment variable
/// TRUSTMIX_MAX_MEMORY (a number of bytes, e.g. 4e9) if set to a positive number, else
/// half of this machine's physical memory (room for the caller's own data).
[[nodiscard]] inline double memory_limit_bytes() {
  if (const char* env = std::getenv("TRUSTMIX_MAX_MEMORY")) {
    char* end = nullptr;
    const double v = std::strtod(env, &end);
    if (end != env && std::isfinite(v) && v > 0.0) return v;
  }
  return 0.5 * physical_memory_bytes();
}

/// Throws std::invalid_argument when `bytes` (an estimate of what `what` will allocate)
/// exceeds memory_limit_bytes(); the message gives the estimate, the limit and `way_out`
/// (what to do instead).
inline void require_memory(double bytes, std::string_view what, std::string_view way_out) {
  const double limit = memory_limit_bytes();
  if (!(bytes <= limit))
    fail(what, " needs about ", format_bytes(bytes), " of memory, above the limit of ", format_bytes(limit),
         " (half of this machine's memory, or TRUSTMIX_MAX_MEMORY): ", way_out);
}

}  // namespace trustmix
