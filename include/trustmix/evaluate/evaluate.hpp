#pragma once
// trustmix::evaluate: geo experiments and interventions. Synthetic control (fixed
// effects, augmented, synthetic DiD), conformal inference, jackknife+, placebo checks,
// staggered difference-in-differences, power analysis and market selection, lift tests
// for calibrating the media-mix model, causal impact with a structural time series.
#include "trustmix/evaluate/conformal.hpp"
#include "trustmix/evaluate/design.hpp"
#include "trustmix/evaluate/did.hpp"
#include "trustmix/evaluate/lift_test.hpp"
#include "trustmix/evaluate/panel.hpp"
#include "trustmix/evaluate/simplex.hpp"
#include "trustmix/evaluate/structural.hpp"
#include "trustmix/evaluate/synthetic_control.hpp"
