#pragma once
// Validation helpers. Every error names the parameter (or row and column) and the value,
// so a user knows what to fix. std::invalid_argument becomes ValueError in Python.
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace trustmix {

/// Formats any streamable values into one message.
template <class... Args>
[[nodiscard]] std::string format_message(const Args&... args) {
  std::ostringstream os;
  os.precision(17);
  (os << ... << args);
  return os.str();
}

/// Throws std::invalid_argument with a message built from the arguments.
template <class... Args>
[[noreturn]] void fail(const Args&... args) {
  throw std::invalid_argument(format_message(args...));
}

/// Thrown by long loops that were asked to stop (Ctrl-C in Python: the bindings raise
/// KeyboardInterrupt); what() names the interrupted work.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(const std::string& what) : std::runtime_error(what + " was interrupted") {}
};

namespace detail {

inline void require_finite(double v, std::string_view name) {
  if (!std::isfinite(v)) fail(name, " must be a finite number, got ", v);
}
inline void require_positive(double v, std::string_view name) {
  if (!(v > 0.0) || !std::isfinite(v)) fail(name, " must be a finite number > 0, got ", v);
}
inline void require_non_negative(double v, std::string_view name) {
  if (!(v >= 0.0) || !std::isfinite(v)) fail(name, " must be a finite number >= 0, got ", v);
}
/// lo_open/hi_open choose ( versus [ at each end.
inline void require_in_range(double v, std::string_view name, double lo, double hi, bool lo_open, bool hi_open) {
  const bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  if (!ok) fail(name, " must be in ", lo_open ? "(" : "[", lo, ", ", hi, hi_open ? ")" : "]", ", got ", v);
}

}  // namespace detail
}  // namespace trustmix
