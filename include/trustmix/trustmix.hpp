#pragma once
// Umbrella header: every area of trustmix. Each area also has its own umbrella,
// trustmix/<area>/<area>.hpp, for a translation unit that needs only that area.
#include "trustmix/attribution/attribution.hpp"  // IWYU pragma: export
#include "trustmix/audience/audience.hpp"        // IWYU pragma: export
#include "trustmix/core/core.hpp"                // IWYU pragma: export
#include "trustmix/evaluate/evaluate.hpp"        // IWYU pragma: export
#include "trustmix/experiments/experiments.hpp"  // IWYU pragma: export
#include "trustmix/inference/inference.hpp"      // IWYU pragma: export
#include "trustmix/kpi/kpi.hpp"                  // IWYU pragma: export
#include "trustmix/mmm/mmm.hpp"                  // IWYU pragma: export
#include "trustmix/plan/plan.hpp"                // IWYU pragma: export
#include "trustmix/simulate/simulate.hpp"        // IWYU pragma: export
#include "trustmix/transforms/transforms.hpp"    // IWYU pragma: export
#include "trustmix/version.hpp"                  // IWYU pragma: export
