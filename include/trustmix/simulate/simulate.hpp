#pragma once
// trustmix::simulate: a world simulator with ground truth (issue 4, docs/simulate.md).
#include "trustmix/simulate/engine.hpp"  // IWYU pragma: export
#include "trustmix/simulate/geo.hpp"     // IWYU pragma: export
#include "trustmix/simulate/messages.hpp"  // IWYU pragma: export
#include "trustmix/simulate/rng.hpp"     // IWYU pragma: export
#include "trustmix/simulate/truth.hpp"   // IWYU pragma: export
#include "trustmix/simulate/world.hpp"   // IWYU pragma: export
