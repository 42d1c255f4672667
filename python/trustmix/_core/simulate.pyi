"""
trustmix::simulate bound to Python (use trustmix.simulate).
"""

from collections.abc import Callable, Sequence
from typing import Any, SupportsFloat, SupportsIndex, SupportsInt, TypeAlias

import numpy as np
import numpy.typing as npt

_Int: TypeAlias = SupportsInt | SupportsIndex  # what pybind11 converts to a C++ integer
_Float: TypeAlias = SupportsFloat | SupportsIndex  # what pybind11 converts to a C++ double

class World:
    def __init__(self, spec: dict[str, Any], seed: _Int) -> None: ...
    def drive(self, *, periods: _Int, period_days: _Int) -> dict[str, Any]: ...
    def realised_increments(
        self, *, periods: _Int, period_days: _Int, threads: _Int = 0, agent_scale: _Float = 1.0
    ) -> npt.NDArray[np.float64]: ...
    def run(
        self,
        mode: str,
        *,
        periods: _Int,
        period_days: _Int,
        threads: _Int = 0,
        agent_scale: _Float = 1.0,
        record_touches: bool = True,
        remove: Sequence[str] = ...,
        remove_campaigns: Sequence[str] = ...,
        remove_activities: Sequence[str] = ...,
        progress: Callable[[int], object] | None = None,
    ) -> dict[str, Any]: ...
    def transition(
        self, *, segment: _Int, period: _Int, periods: _Int, period_days: _Int, population: Sequence[_Float]
    ) -> npt.NDArray[np.float64]: ...
    def truth(
        self,
        *,
        periods: _Int,
        period_days: _Int,
        threads: _Int = 0,
        population: Sequence[_Float] = ...,
        window_start: _Int = -1,
        window_end: _Int = -1,
        horizon: _Int = 0,
        lag_periods: _Int = -1,
    ) -> dict[str, Any]: ...
    @property
    def channel_names(self) -> list[str]: ...
    @property
    def seed(self) -> int: ...
    @property
    def segment_names(self) -> list[str]: ...
    @property
    def source_names(self) -> list[str]: ...

def run_geo_experiment(
    world: World,
    *,
    regions: list[dict[str, Any]],
    treated: Sequence[str],
    channel: str,
    start: _Int,
    end: _Int,
    spend_multiplier: _Float,
    periods: _Int,
    period_days: _Int,
    threads: _Int = 0,
    seed: _Int = 1,
) -> dict[str, Any]: ...
def run_geo_panel(
    world: World,
    *,
    regions: list[dict[str, Any]],
    national_channels: Sequence[str],
    media_sd: _Float,
    periods: _Int,
    period_days: _Int,
    threads: _Int = 0,
    seed: _Int = 1,
    window_start: _Int = -1,
    window_end: _Int = -1,
    horizon: _Int = 0,
    lag_periods: _Int = -1,
) -> dict[str, Any]: ...
def run_geo_panel_schedule(
    world: World,
    *,
    regions: list[dict[str, Any]],
    national_channels: Sequence[str],
    media_sd: _Float,
    periods: _Int,
    period_days: _Int,
    start: _Int,
    channels: Sequence[str],
    spend: Sequence[npt.ArrayLike],
    threads: _Int = 0,
    seed: _Int = 1,
) -> dict[str, Any]: ...
def run_message_test(
    world: World,
    messages: dict[str, Any],
    *,
    periods: _Int,
    period_days: _Int = 7,
    first_period: _Int = 0,
    policy: str = "ab",
    weights: Sequence[_Float] = ...,
    floor: _Float = 0.0,
    prior_a: _Float = 1.0,
    prior_b: _Float = 1.0,
    top_two_beta: _Float = 0.5,
    pooling: _Float = -1.0,
    by_persona: bool = True,
    stream: _Int = 0,
    costs: Sequence[_Float] = ...,
    budget: _Float = ...,
) -> dict[str, Any]: ...
