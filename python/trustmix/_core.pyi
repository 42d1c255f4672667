"""Type stubs for the compiled module trustmix._core (hand-written, kept with the bindings)."""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str

_Array = npt.NDArray[np.float64]
_DateLike = datetime.date | str

class core:
    class Channel:
        name: str
        peso: str
        role: str
        platform: str | None
        metadata: dict[str, str]
        builds_trust: bool
        converts: bool
        def __init__(self, name: str, *, peso: str = "paid", role: str = "conversion", platform: str | None = None,
                     metadata: Mapping[str, str] = ...) -> None: ...
        def to_dict(self) -> dict[str, Any]: ...
        @staticmethod
        def from_dict(data: Mapping[str, Any]) -> core.Channel: ...

    class Campaign:
        name: str
        channel: str
        objective: str
        start: datetime.date
        end: datetime.date
        budget: float
        schedule: list[tuple[datetime.date, float]]
        days: int
        def __init__(self, name: str, *, channel: str, objective: str = "conversion", start: _DateLike,
                     end: _DateLike, budget: float,
                     schedule: Mapping[Any, float] | Iterable[tuple[Any, float]] | None = None) -> None: ...
        def to_dict(self) -> dict[str, Any]: ...
        @staticmethod
        def from_dict(data: Mapping[str, Any]) -> core.Campaign: ...

    class Audience:
        name: str
        size: float
        baseline_trust: float
        reach: dict[str, float]
        affinity: dict[str, float]
        tags: dict[str, str]
        trust_sensitivity: float
        base_conversion_rate: float
        value_per_conversion: float
        def __init__(self, name: str, *, size: float, baseline_trust: float = 0.5, reach: Mapping[str, float] = ...,
                     affinity: Mapping[str, float] = ..., tags: Mapping[str, str] = ..., trust_sensitivity: float = 1.0,
                     base_conversion_rate: float = 0.0, value_per_conversion: float = 0.0) -> None: ...
        def to_dict(self) -> dict[str, Any]: ...
        @staticmethod
        def from_dict(data: Mapping[str, Any]) -> core.Audience: ...

    class Plan:
        channels: list[core.Channel]
        campaigns: list[core.Campaign]
        audiences: list[core.Audience]
        def __init__(self, *, channels: Sequence[core.Channel] = ..., campaigns: Sequence[core.Campaign] = ...,
                     audiences: Sequence[core.Audience] = ...) -> None: ...
        def add_channel(self, channel: core.Channel) -> None: ...
        def add_campaign(self, campaign: core.Campaign) -> None: ...
        def add_audience(self, audience: core.Audience) -> None: ...
        def channel(self, name: str) -> core.Channel: ...
        def campaign(self, name: str) -> core.Campaign: ...
        def audience(self, name: str) -> core.Audience: ...
        def total_budget(self) -> float: ...
        def spend_matrix(self, first: _DateLike, periods: int, period_days: int = 7) -> _Array: ...
        def to_dict(self) -> dict[str, Any]: ...
        @staticmethod
        def from_dict(data: Mapping[str, Any]) -> core.Plan: ...

class transforms:
    infinite_lag: int
    @staticmethod
    def adstock(x: _Array, kind: str, params: Sequence[_Array], max_lag: int, normalize: bool,
                with_derivatives: bool = False, threads: int = 0) -> tuple[_Array, list[_Array], _Array]: ...
    @staticmethod
    def saturate(x: _Array, kind: str, params: Sequence[_Array], with_derivatives: bool = False,
                 threads: int = 0) -> tuple[_Array, list[_Array], _Array]: ...
    @staticmethod
    def adstock_weights(kind: str, params: Sequence[float], max_lag: int,
                        normalize: bool) -> tuple[_Array, list[_Array]]: ...
    @staticmethod
    def adstock_transpose(g: _Array, weights: _Array) -> _Array: ...
    @staticmethod
    def adstock_parameter_names(kind: str) -> list[str]: ...
    @staticmethod
    def saturation_parameter_names(kind: str) -> list[str]: ...
    @staticmethod
    def scale_by_mean_nonzero(x: _Array) -> tuple[_Array, _Array]: ...
    @staticmethod
    def half_life(rate: float) -> float: ...
    @staticmethod
    def rate_from_half_life(half_life: float) -> float: ...
    @staticmethod
    def duration_90(rate: float) -> float: ...
    @staticmethod
    def rate_from_duration_90(duration_90: float) -> float: ...
    @staticmethod
    def convert_rate(rate: float, from_days: float, to_days: float) -> float: ...

class kpi:
    @staticmethod
    def __getattr__(name: str) -> Any: ...

class attribution:
    @staticmethod
    def __getattr__(name: str) -> Any: ...

class inference:
    @staticmethod
    def __getattr__(name: str) -> Any: ...

class simulate:
    @staticmethod
    def __getattr__(name: str) -> Any: ...
