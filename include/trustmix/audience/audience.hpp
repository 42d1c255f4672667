#pragma once
// trustmix::audience: personas from survey data (latent class analysis), their reach and
// frequency, and their export to the simulator's Audience (docs/audience.md).
#include "trustmix/audience/latent_class.hpp"
#include "trustmix/audience/personas.hpp"
#include "trustmix/audience/reach.hpp"
#include "trustmix/audience/selection.hpp"
#include "trustmix/audience/three_step.hpp"
