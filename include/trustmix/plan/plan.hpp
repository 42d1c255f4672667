#pragma once
// trustmix::plan: budget and flighting plans over a horizon on a fitted trust-linked
// model, aware of the trust stock's long tail (issue 15; docs/plan.md).
//   evaluator.hpp  the model run forward over history + plan + tail, exact gradients
//   objective.hpp  goals and risk measures over draws; response-curve objectives
//   optimize.hpp   constraints, blocks, NLopt (SLSQP / MMA / AUGLAG), the certificate
//   rf.hpp         reach-and-frequency channels: spend -> impressions -> reach, frequency
//   rf_constraints.hpp  frequency caps and reach targets as bounds on spend
#include "trustmix/plan/evaluator.hpp"
#include "trustmix/plan/objective.hpp"
#include "trustmix/plan/optimize.hpp"
#include "trustmix/plan/rf_constraints.hpp"
