"""Smoke test of an installed wheel (run by scripts/test.sh in a fresh venv, outside the
source tree, so a file missing from the wheel shows up here)."""
import importlib.metadata
import sys

import numpy as np

import trustmix as tm

expected = sys.argv[1]
assert tm.__version__ == expected == importlib.metadata.version("trustmix"), (tm.__version__, expected)
# Unnormalised geometric adstock of an impulse is alpha^t (closed form).
y = tm.transforms.geometric_adstock(np.array([1.0, 0, 0, 0]), alpha=0.5, max_lag=3, normalize=False)
assert np.allclose(y, [1, 0.5, 0.25, 0.125], rtol=0, atol=1e-15), y
assert abs(tm.transforms.hill(np.array([2.0]), k=2.0, s=1.7)[0] - 0.5) < 1e-15
assert tm.kpi.ctr(5, 1000) == 0.5
print("smoke ok", tm.__version__, tm.__file__)
