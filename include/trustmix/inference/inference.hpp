#pragma once
// trustmix::inference: NUTS, MAP/Laplace, diagnostics, transforms and built-in targets.
#include "trustmix/inference/builtin_targets.hpp"
#include "trustmix/inference/constraints.hpp"
#include "trustmix/inference/diagnostics.hpp"
#include "trustmix/inference/map.hpp"
#include "trustmix/inference/nuts.hpp"
#include "trustmix/inference/rng.hpp"
#include "trustmix/inference/target_concept.hpp"
