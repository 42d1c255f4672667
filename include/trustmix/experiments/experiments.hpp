#pragma once
// trustmix::experiments: message testing. A/B/n tests on summaries or raw rows
// (binomial, count, continuous, ratio; CUPED; capping), exact Bayesian comparisons by
// quadrature, fixed, always-valid and group-sequential frequentist tests with planning,
// multiple comparisons and the sample-ratio check; bandits and off-policy evaluation.
#include "trustmix/experiments/bandit.hpp"
#include "trustmix/experiments/bayes.hpp"
#include "trustmix/experiments/frequentist.hpp"
#include "trustmix/experiments/summary.hpp"
