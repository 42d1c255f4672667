#pragma once
// trustmix::attribution: journeys in, credit per channel out (ATTRIBUTION.md).
#include "trustmix/attribution/exact.hpp"
#include "trustmix/attribution/journeys.hpp"
#include "trustmix/attribution/markov.hpp"
#include "trustmix/attribution/rule_based.hpp"
#include "trustmix/attribution/shapley.hpp"
#include "trustmix/attribution/statistics.hpp"
#include "trustmix/attribution/table.hpp"
