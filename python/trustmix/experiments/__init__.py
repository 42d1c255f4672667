"""Message testing: A/B/n tests that are safe to peek at, and bandits by persona.

::

    res = ab_test(df, arm="framing", metric="converted", segment="persona", method="bayesian")
    res.summary(), res.plot(), res.decision()
    sample_size(0.01, baseline=0.05, method="group_sequential", looks=5)
    bandit = ThompsonSampling(["fun", "easy", "popular"], context="persona", seed=1)
    bandit.allocate(history), bandit.simulate(truth, users_per_batch=2000, batches=28)

Every number comes from the C++ core (``trustmix::experiments``): exact Bayesian
comparisons by quadrature, always-valid and group-sequential inference, bandits and
off-policy evaluation.
"""

from trustmix.experiments._bandits import (
    UCB,
    Bandit,
    BanditRun,
    ThompsonSampling,
    TopTwoThompson,
    off_policy_value,
)
from trustmix.experiments._planning import (
    GroupSequentialDesign,
    adjust_pvalues,
    group_sequential_design,
    sample_ratio_check,
    sample_size,
)
from trustmix.experiments._tests import ABTestResult, InferenceWarning, ab_test, compare_arms, effect_posterior

__all__ = [
    "ABTestResult",
    "Bandit",
    "BanditRun",
    "GroupSequentialDesign",
    "InferenceWarning",
    "ThompsonSampling",
    "TopTwoThompson",
    "UCB",
    "ab_test",
    "adjust_pvalues",
    "compare_arms",
    "effect_posterior",
    "group_sequential_design",
    "off_policy_value",
    "sample_ratio_check",
    "sample_size",
]
