#pragma once
// Umbrella header: the foundation of trustmix (domain model, transforms, KPIs).
#include "trustmix/core/date.hpp"
#include "trustmix/core/domain.hpp"
#include "trustmix/core/error.hpp"
#include "trustmix/core/parallel.hpp"
#include "trustmix/metrics/kpi.hpp"
#include "trustmix/transforms/transforms.hpp"
#include "trustmix/version.hpp"
