"""Prints a digest of seeded results that go through every header-only dependency:
Boost.Random (the simulator's draws), Boost.Math and Eigen's FFT (the MCMC diagnostics),
LBFGS++ (the MAP fit of the trust-linked model) and Eigen throughout. scripts/test.sh runs
it with the wheel built against the system's copies and with the one built from the sdist
without them (third_party/ and PyPI's boost-headers): the digests must match, i.e. the
pip-only build gives the same numbers bit for bit."""
import hashlib

import numpy as np

import trustmix as tm
from trustmix import _core
from trustmix.mmm import simulate_trust_data

SPEC = {
    "start": "2025-01-06",
    "trust": {"half_life_days": 70.0, "effect": 1.0, "amplification": 1.0},
    "smm": {"memory_half_life_days": 4.0, "effect": 1.5, "memory_cap": 8},
    "channels": [
        {"name": "press", "peso": "earned", "role": "trust", "engagement": 0.5, "trust_gain": 0.8},
        {"name": "instagram", "peso": "paid", "role": "conversion", "cpm": 6.0, "ctr": 0.01, "engagement": 0.2},
    ],
    "audiences": [
        {"name": "Sam", "size": 6000, "baseline_trust": 0.2, "trust_sensitivity": 0.8,
         "base_conversion_rate": 0.02, "value_per_conversion": 50.0, "reach": {"press": 0.5, "instagram": 0.6}},
    ],
    "campaigns": [{"name": "ig", "channel": "instagram", "start": "2025-02-03", "end": "2025-04-27",
                   "budget": 4000.0}],
}

digest = hashlib.sha256()


def add(name: str, values) -> None:
    arr = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
    digest.update(name.encode())
    digest.update(arr.tobytes())
    print(f"{name}: {arr.size} values, sum {arr.sum()!r}")


world = tm.simulate.World(SPEC, seed=1).run(periods=20, threads=1, truth=False)
add("simulate", world.segment_panel.select_dtypes("number").to_numpy())
add("outcomes", world.outcomes.select_dtypes("number").to_numpy())
x = np.sin(np.arange(4000.0) * 0.731).reshape(4, 1000)
add("diagnostics", [_core.inference.rhat(x), _core.inference.ess_bulk(x), _core.inference.ess_tail(x)])
data, _ = simulate_trust_data(104, seed=3)
roles = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}
fit = tm.TrustMMM(data, date="week", outcome="conversions", channels=roles).fit("map", seed=1, progress=False)
add("map", fit.summary().select_dtypes("number").to_numpy())
add("predictive", fit.sample_posterior_predictive(max_draws=20, seed=2).select_dtypes("number").to_numpy())
ab = _core.experiments.compare(np.array([1000.0, 1000.0]), np.array([100.0, 121.0]), metric="binomial")
bayes_fields = ("error_bound", "expected_loss", "loss_vs_control", "mean", "prob_beat_control", "prob_best")
add("bayes", np.concatenate([np.ravel(np.asarray(getattr(ab, k), dtype=np.float64)) for k in bayes_fields]))
print("digest", digest.hexdigest())
