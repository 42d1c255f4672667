#pragma once
// trustmix::core: the foundation every area builds on. The domain model (Channel,
// Campaign, Audience, Plan), dates, errors with named arguments, resource checks, and the
// compiled runtime's thread pool and CPU feature detector (src/, trustmix::runtime).
#include "trustmix/core/cpu_features.hpp"  // IWYU pragma: export
#include "trustmix/core/date.hpp"          // IWYU pragma: export
#include "trustmix/core/domain.hpp"        // IWYU pragma: export
#include "trustmix/core/error.hpp"         // IWYU pragma: export
#include "trustmix/core/parallel.hpp"      // IWYU pragma: export
#include "trustmix/core/resources.hpp"     // IWYU pragma: export
#include "trustmix/core/runtime.hpp"       // IWYU pragma: export
