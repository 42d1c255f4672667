"""Bayesian inference engine: NUTS, MAP/Laplace, convergence diagnostics.

The sampler is written in C++ (``trustmix::inference``) and runs several chains in
parallel threads; this module is the pythonic layer: it takes a built-in target (an object
from this module or its name), returns a :class:`SampleResult` with numpy draws, a pandas
summary, plain-word warnings, ArviZ export and plots.

Examples
--------
>>> import trustmix.inference as ti
>>> fit = ti.sample("eight_schools", chains=4, draws=1000, seed=1, progress=False)
>>> fit.summary().loc["tau", ["mean", "r_hat"]]          # doctest: +SKIP
>>> fit.warnings                                          # [] when nothing is wrong
"""

from __future__ import annotations

from trustmix import _core
from trustmix.inference._api import (
    TARGETS,
    InferenceWarning,
    MapResult,
    SampleResult,
    ebfmi,
    ess_bulk,
    ess_mean,
    ess_tail,
    hdi,
    make_target,
    map,  # noqa: A004 - the field's word; `find_map` is an alias
    mcse_mean,
    mcse_sd,
    rhat,
    sample,
)

StandardNormal = _core.inference.StandardNormal
CorrelatedGaussian = _core.inference.CorrelatedGaussian
Gamma = _core.inference.Gamma
Beta = _core.inference.Beta
Funnel = _core.inference.Funnel
EightSchools = _core.inference.EightSchools
LogisticRegression = _core.inference.LogisticRegression
PythonTarget = _core.inference.PythonTarget
find_map = map

__all__ = [
    "Beta",
    "CorrelatedGaussian",
    "EightSchools",
    "Funnel",
    "Gamma",
    "InferenceWarning",
    "LogisticRegression",
    "MapResult",
    "PythonTarget",
    "SampleResult",
    "StandardNormal",
    "TARGETS",
    "ebfmi",
    "ess_bulk",
    "ess_mean",
    "ess_tail",
    "find_map",
    "hdi",
    "make_target",
    "map",
    "mcse_mean",
    "mcse_sd",
    "rhat",
    "sample",
]
