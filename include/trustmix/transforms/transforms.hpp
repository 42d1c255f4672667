#pragma once
#include "trustmix/transforms/adstock.hpp"
#include "trustmix/transforms/half_life.hpp"
#include "trustmix/transforms/saturation.hpp"
