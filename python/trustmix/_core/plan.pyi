"""
trustmix::plan: budget and flighting plans on a fitted model.
"""

from collections.abc import Sequence
from typing import Any, SupportsFloat, SupportsIndex, SupportsInt, TypeAlias

import numpy as np
import numpy.typing as npt

import trustmix._core.audience
import trustmix._core.mmm

_Int: TypeAlias = SupportsInt | SupportsIndex  # what pybind11 converts to a C++ integer
_Float: TypeAlias = SupportsFloat | SupportsIndex  # what pybind11 converts to a C++ double
# an RF channel's chain: (channel, reach curve, impressions per spend, people per unit, cap)
_Rf: TypeAlias = tuple[_Int, trustmix._core.audience.ReachCurve, _Float, _Float, _Int]

class DrawObjective:
    def criterion(
        self,
        spend: npt.ArrayLike,
        goal: str = "outcome",
        risk: str = "mean",
        value_per_outcome: _Float = 1.0,
        level: _Float = 0.1,
        tau: _Float = 1.0,
        reference: npt.ArrayLike = ...,
        marginal_roi: _Float = 0.0,
    ) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    def evaluate(
        self, spend: npt.ArrayLike, gradient: bool = False
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    @property
    def channels(self) -> int: ...
    @property
    def draws(self) -> int: ...
    @property
    def periods(self) -> int: ...

class TrustPlanModel(DrawObjective):
    def __init__(
        self,
        model: trustmix._core.mmm.TrustModel,
        draws: npt.ArrayLike,
        history_media: npt.ArrayLike,
        history_shocks: npt.ArrayLike,
        horizon: _Int,
        tail: _Int = -1,
        tail_coverage: _Float = 0.99,
        discount: _Float = 1.0,
        units_per_spend: npt.ArrayLike = ...,
        outcome_scale: _Float = 1.0,
        future_baseline: npt.ArrayLike = ...,
        threads: _Int = 0,
        rf: Sequence[_Rf] = ...,
    ) -> None: ...
    def paths(self, spend: npt.ArrayLike) -> PlanPaths: ...
    def tail_periods(self, draw: _Int) -> int: ...

class CurveObjective(DrawObjective):
    def __init__(
        self, curve: str, beta: npt.ArrayLike, k: npt.ArrayLike, shape: npt.ArrayLike = ..., periods: _Int = 1
    ) -> None: ...

def optimize(
    objective: DrawObjective,
    *,
    goal: str = "net_value",
    risk: str = "mean",
    value_per_outcome: _Float = 1.0,
    level: _Float = 0.1,
    tau: _Float = 1.0,
    reference: npt.ArrayLike = ...,
    task: str = "maximize",
    target: _Float = ...,
    target_roi: _Float = ...,
    budget: _Float = ...,
    budget_equality: bool = True,
    lower: npt.ArrayLike = ...,
    upper: npt.ArrayLike = ...,
    fixed: npt.ArrayLike = ...,
    channel_totals: Sequence[tuple[_Int, _Float, _Float]] = ...,
    period_totals: Sequence[tuple[_Int, _Float, _Float]] = ...,
    groups: Sequence[tuple[str, Sequence[_Int], _Float, _Float]] = ...,
    max_change: npt.ArrayLike = ...,
    blocks: Sequence[tuple[str, Sequence[tuple[_Int, _Int]], npt.ArrayLike]] = ...,
    algorithm: str = "auto",
    starts: _Int = 2,
    max_evaluations: _Int = 3000,
    ftol_rel: _Float = 1e-12,
    xtol_rel: _Float = 1e-10,
    seed: _Int = 0,
    start: npt.ArrayLike = ...,
    draw_optima: Sequence[_Int] = ...,
    frequency_caps: Sequence[tuple[_Int, _Float, Sequence[_Int]]] = ...,
    reach_targets: Sequence[tuple[_Int, _Int, _Float, bool, Sequence[_Int]]] = ...,
    marginal_roi: _Float = 0.0,
) -> tuple[PlanSolution, list[DrawOptimum]]: ...
def rf_chain(rf: _Rf, spend: npt.ArrayLike) -> RfChain: ...
def rf_spend_for_reach_share(rf: _Rf, k: _Int, share: _Float, per_period: bool = True) -> float: ...
def rf_spend_for_max_frequency(rf: _Rf, max_frequency: _Float) -> float: ...
def rf_reached_share(rf: _Rf, k: _Int, spend: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
def rf_model_curve(
    impressions: npt.ArrayLike, reach: npt.ArrayLike, population: _Float, shape: _Float
) -> trustmix._core.audience.ReachCurve: ...

class PlanPaths:
    def __getstate__(self) -> tuple[int, dict[str, Any]]: ...
    def __repr__(self) -> str: ...
    def __setstate__(self, state: tuple[int, dict[str, Any]]) -> None: ...
    @property
    def amplification(self) -> npt.NDArray[np.float64]: ...
    @property
    def conversion(self) -> npt.NDArray[np.float64]: ...
    @property
    def outcome(self) -> npt.NDArray[np.float64]: ...
    @property
    def stock(self) -> npt.NDArray[np.float64]: ...
    @property
    def tail_outcome(self) -> npt.NDArray[np.float64]: ...
    @property
    def tail_periods(self) -> npt.NDArray[np.float64]: ...
    @property
    def total(self) -> npt.NDArray[np.float64]: ...
    @property
    def trust_direct(self) -> npt.NDArray[np.float64]: ...

class DrawOptimum:
    def __getstate__(self) -> tuple[int, dict[str, Any]]: ...
    def __repr__(self) -> str: ...
    def __setstate__(self, state: tuple[int, dict[str, Any]]) -> None: ...
    @property
    def converged(self) -> bool: ...
    @property
    def draw(self) -> int: ...
    @property
    def moved_share(self) -> float: ...
    @property
    def own_value(self) -> float: ...
    @property
    def plan_value(self) -> float: ...
    @property
    def regret(self) -> float: ...

class RfChain:
    def __getstate__(self) -> tuple[int, dict[str, Any]]: ...
    def __repr__(self) -> str: ...
    def __setstate__(self, state: tuple[int, dict[str, Any]]) -> None: ...
    @property
    def frequency(self) -> npt.NDArray[np.float64]: ...
    @property
    def impressions(self) -> npt.NDArray[np.float64]: ...
    @property
    def model_reach(self) -> npt.NDArray[np.float64]: ...
    @property
    def reach(self) -> npt.NDArray[np.float64]: ...

class PlanSolution:
    def __getstate__(self) -> tuple[int, dict[str, Any]]: ...
    def __repr__(self) -> str: ...
    def __setstate__(self, state: tuple[int, dict[str, Any]]) -> None: ...
    @property
    def active(self) -> list[str]: ...
    @property
    def concave(self) -> bool: ...
    @property
    def converged(self) -> bool: ...
    @property
    def evaluations(self) -> int: ...
    @property
    def kkt_residual(self) -> float: ...
    @property
    def max_violation(self) -> float: ...
    @property
    def message(self) -> str: ...
    @property
    def moved(self) -> bool: ...
    @property
    def objective(self) -> float: ...
    @property
    def per_draw(self) -> npt.NDArray[np.float64]: ...
    @property
    def schedule(self) -> npt.NDArray[np.float64]: ...
    @property
    def start(self) -> npt.NDArray[np.float64]: ...
    @property
    def start_objective(self) -> float: ...
    @property
    def start_objectives(self) -> npt.NDArray[np.float64]: ...
    @property
    def start_schedules(self) -> list[npt.NDArray[np.float64]]: ...
    @property
    def starts_agreeing(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def total_spend(self) -> float: ...

class PanelPlanModel(DrawObjective):
    def __init__(
        self,
        model: trustmix._core.mmm.PanelModel,
        draws: npt.ArrayLike,
        horizon: _Int,
        tail: _Int,
        channels: Sequence[_Int],
        units_per_spend: npt.ArrayLike,
        other_activity: npt.ArrayLike = ...,
        outcome_scale: _Float = 1.0,
        population: npt.ArrayLike = ...,
        threads: _Int = 0,
    ) -> None: ...
    def column(self, k: _Int, g: _Int) -> int: ...
    def geo_outcomes(self, spend: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    @property
    def geos(self) -> int: ...

def optimize_panel(
    model: PanelPlanModel,
    *,
    goal: str = "net_value",
    risk: str = "mean",
    value_per_outcome: _Float = 1.0,
    level: _Float = 0.1,
    tau: _Float = 1.0,
    reference: npt.ArrayLike = ...,
    budget: _Float,
    budgets: Sequence[tuple[str, Sequence[_Int], _Float, _Float]] = ...,
    lower: npt.ArrayLike = ...,
    upper: npt.ArrayLike = ...,
    algorithm: str = "auto",
    starts: _Int = 0,
    max_evaluations: _Int = 3000,
    ftol_rel: _Float = 1e-12,
    xtol_rel: _Float = 1e-10,
    seed: _Int = 0,
    start: npt.ArrayLike = ...,
) -> PlanSolution: ...
