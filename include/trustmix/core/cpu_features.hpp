#pragma once
// CPU features for run-time dispatch, detected once per process by the compiled runtime
// (src/cpu_features.cpp), so every kernel family asks one detector. Each flag is true
// when the CPU has the instruction set and the operating system saves its registers
// (what GCC/Clang's __builtin_cpu_supports reports). Policies such as the environment
// variable TRUSTMIX_SIMD=baseline belong to the kernels that honour them, not here.
#include "trustmix/core/runtime.hpp"

namespace trustmix {

/// The instruction sets run-time dispatch may choose from (x86-64 only; all false on other
/// architectures, whose kernels use plain loops).
struct CpuFeatures {
  bool sse2 = false;     ///< SSE2 (every x86-64 CPU)
  bool avx = false;      ///< AVX: 256-bit double vectors
  bool avx2 = false;     ///< AVX2: 256-bit integer vectors, gathers
  bool fma = false;      ///< FMA3: fused multiply-add (one rounding)
  bool avx512f = false;  ///< AVX-512 Foundation
};

/// The features of the CPU this process runs on, detected on first call. Thread-safe.
[[nodiscard]] TRUSTMIX_RUNTIME_API const CpuFeatures& cpu_features() noexcept;

}  // namespace trustmix
