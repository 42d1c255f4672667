#pragma once
// trustmix::mmm: the trust-linked media-mix model (docs/mmm.md): the model and its
// gradient, its specification, its NUTS target, MAP fitting and the analyses over draws.
#include "trustmix/mmm/analyses.hpp"     // IWYU pragma: export
#include "trustmix/mmm/fit.hpp"          // IWYU pragma: export
#include "trustmix/mmm/spec.hpp"         // IWYU pragma: export
#include "trustmix/mmm/target.hpp"       // IWYU pragma: export
#include "trustmix/mmm/trust_model.hpp"  // IWYU pragma: export
