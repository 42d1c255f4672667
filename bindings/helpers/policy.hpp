#pragma once
// The bandit policy names shared by the experiments and the simulator's message tests.
#include <trustmix/experiments/bandit.hpp>

#include <string>

#include "convert.hpp"

namespace trustmix::bindings::helpers {

/// 'thompson', 'top_two_thompson' or 'ucb' as trustmix::experiments::Policy.
inline experiments::Policy bandit_policy(const std::string& s) {
  using P = experiments::Policy;
  return choice<P>(s, "policy", {{"thompson", P::thompson}, {"top_two_thompson", P::top_two_thompson}, {"ucb", P::ucb}});
}

}  // namespace trustmix::bindings::helpers
