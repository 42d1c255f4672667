"""Evaluation of campaigns and interventions: geo experiments and causal impact.

Long DataFrames (unit, time, outcome) in, result objects out; every number comes from the
C++ core (``trustmix::evaluate``)::

    lift = synthetic_control(panel, unit="location", time="date", outcome="Y",
                             treated=["chicago", "portland"], start="2021-04-01")
    lift.summary(), lift.plot(), lift.weights, lift.series
    lift.placebo_in_space(), lift.placebo_in_time(), lift.jackknife()
    lift.as_lift_test(channel="instagram", spend=50_000)   # for TrustMMM calibration
    power_analysis(...), market_selection(...), staggered_did(...)
    causal_impact(series, time="date", outcome="sales", controls=[...], start="2024-05-01")
"""

from trustmix.evaluate._api import (
    causal_impact,
    market_selection,
    power_analysis,
    staggered_did,
    synthetic_control,
    synthetic_did,
)
from trustmix.evaluate._panel import WidePanel, to_panel
from trustmix.evaluate._results import (
    CausalImpactResult,
    DidResult,
    InferenceWarning,
    LiftTest,
    MarketSelectionResult,
    PowerResult,
    SyntheticControlResult,
)

__all__ = [
    "CausalImpactResult",
    "DidResult",
    "InferenceWarning",
    "LiftTest",
    "MarketSelectionResult",
    "PowerResult",
    "SyntheticControlResult",
    "WidePanel",
    "causal_impact",
    "market_selection",
    "power_analysis",
    "staggered_did",
    "synthetic_control",
    "synthetic_did",
    "to_panel",
]
