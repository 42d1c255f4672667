#pragma once
// The one place the version is stated. CMake and pyproject (scikit-build-core's regex
// provider) both parse TRUSTMIX_VERSION_STRING from this file; tests check they agree.
#define TRUSTMIX_VERSION_MAJOR 0
#define TRUSTMIX_VERSION_MINOR 1
#define TRUSTMIX_VERSION_PATCH 0
#define TRUSTMIX_VERSION_STRING "0.1.0"

namespace trustmix {
inline constexpr const char* version = TRUSTMIX_VERSION_STRING;
}  // namespace trustmix
