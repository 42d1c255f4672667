"""
trustmix::mmm: the trust-linked response model.
"""

from collections.abc import Sequence
from typing import Any, SupportsFloat, SupportsIndex, SupportsInt, TypeAlias

import numpy as np
import numpy.typing as npt

_Int: TypeAlias = SupportsInt | SupportsIndex  # what pybind11 converts to a C++ integer
_Float: TypeAlias = SupportsFloat | SupportsIndex  # what pybind11 converts to a C++ double

class TrustModel:
    def __init__(
        self,
        media: npt.ArrayLike,
        trust: Sequence[bool],
        conversion: Sequence[bool],
        baseline: npt.ArrayLike,
        shocks: npt.ArrayLike,
        y: npt.ArrayLike,
        tracker: npt.ArrayLike,
        max_lag: _Int = 12,
        trust_enabled: bool = True,
        priors: dict[str, Any] = ...,
        likelihood: str = "normal",
        outcome_scale: _Float = 1.0,
        trust_form: str = "linear",
        tracker_se: npt.ArrayLike = ...,
        tracker_share: bool = False,
        link: str = "identity",
        noise: str = "iid",
    ) -> None: ...
    def constrain(self, z: npt.ArrayLike) -> dict[str, Any]: ...
    def fit_map(self, z0: npt.ArrayLike, max_iterations: _Int = 2000, tolerance: _Float = 1e-07) -> dict[str, Any]: ...
    def forward(
        self,
        z: npt.ArrayLike,
        media: npt.ArrayLike | None = None,
        baseline: npt.ArrayLike | None = None,
        shocks: npt.ArrayLike | None = None,
    ) -> dict[str, npt.NDArray[np.float64]]: ...
    def initial_point(self) -> npt.NDArray[np.float64]: ...
    def log_density(self, z: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]: ...
    @property
    def constrained_names(self) -> list[str]: ...
    @property
    def dimension(self) -> int: ...
    @property
    def likelihood(self) -> str: ...
    @property
    def link(self) -> str: ...
    @property
    def noise(self) -> str: ...
    @property
    def parameter_names(self) -> list[str]: ...
    @property
    def priors(self) -> dict[str, Any]: ...
    @property
    def rf_forms(self) -> list[str]: ...
    @property
    def trust_form(self) -> str: ...

class TrustTarget:
    def __init__(self, model: TrustModel) -> None: ...
    def constrain(self, theta: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def log_density_gradient(self, theta: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]: ...
    @property
    def dimension(self) -> int: ...
    @property
    def parameter_names(self) -> list[str]: ...

def build(
    channels: Sequence[str],
    roles: Sequence[str],
    media: npt.ArrayLike,
    spend: npt.ArrayLike,
    outcome: npt.ArrayLike,
    period_days: _Float = 7.0,
    tracker: npt.ArrayLike = ...,
    controls: npt.ArrayLike = ...,
    control_names: Sequence[str] = ...,
    events: npt.ArrayLike = ...,
    event_names: Sequence[str] = ...,
    shocks: npt.ArrayLike = ...,
    shock_names: Sequence[str] = ...,
    seasonality: _Int = 2,
    trend: bool = True,
    max_lag: _Int = 12,
    trust_enabled: bool = True,
    scaling: str = "mean",
    likelihood: str = "normal",
    value_per_outcome: _Float = ...,
    priors: dict[str, Any] = ...,
    trust_half_life: tuple[_Float, _Float] | None = None,
    roi: Sequence[tuple[str, _Float, _Float]] = ...,
    trust_form: str = "linear",
    tracker_n: npt.ArrayLike = ...,
    rf: Sequence[str] = ...,
    frequency: npt.ArrayLike = ...,
    rf_shape: _Float = 1.0,
    lift_tests: list[dict[str, Any]] = ...,
    tracker_share: bool = False,
    link: str = "identity",
    noise: str = "iid",
    market_growth: tuple[_Float, _Float] | None = None,
) -> tuple[TrustModel, dict[str, Any]]: ...
def constrained_draws(model: TrustModel, draws: npt.ArrayLike, threads: _Int = 0) -> npt.NDArray[np.float64]: ...
def counterfactual(
    model: TrustModel, z: npt.ArrayLike, media: npt.ArrayLike, outcome_scale: _Float = 1.0
) -> dict[str, npt.NDArray[np.float64]]: ...
def decompose(
    model: TrustModel, draws: npt.ArrayLike, outcome_scale: _Float = 1.0, threads: _Int = 0
) -> dict[str, npt.NDArray[np.float64]]: ...
def mean_draws(
    model: TrustModel, draws: npt.ArrayLike, outcome_scale: _Float = 1.0, threads: _Int = 0
) -> npt.NDArray[np.float64]: ...
def posterior_predictive(
    model: TrustModel, draws: npt.ArrayLike, outcome_scale: _Float = 1.0, seed: _Int = 0, threads: _Int = 0
) -> npt.NDArray[np.float64]: ...
def predicted_lifts(
    model: TrustModel, draws: npt.ArrayLike, outcome_scale: _Float = 1.0, threads: _Int = 0
) -> npt.NDArray[np.float64]: ...
def response_curves(
    model: TrustModel,
    draws: npt.ArrayLike,
    channels: Sequence[_Int],
    multipliers: npt.ArrayLike,
    horizon: _Int = 104,
    outcome_scale: _Float = 1.0,
    threads: _Int = 0,
) -> list[npt.NDArray[np.float64]]: ...
def rf_frequency_curves(
    model: TrustModel,
    draws: npt.ArrayLike,
    channel: _Int,
    values: npt.ArrayLike,
    fixed_impressions: bool = False,
    horizon: _Int = 104,
    outcome_scale: _Float = 1.0,
    threads: _Int = 0,
) -> npt.NDArray[np.float64]: ...
def roi(
    model: TrustModel,
    draws: npt.ArrayLike,
    horizon: _Int = 104,
    window_begin: _Int = 0,
    window_end: _Int = -1,
    spend: npt.ArrayLike = ...,
    value_per_outcome: _Float = ...,
    outcome_scale: _Float = 1.0,
    threads: _Int = 0,
) -> dict[str, npt.NDArray[np.float64]]: ...
def saturation_points(
    model: TrustModel, draws: npt.ArrayLike, media_scale: npt.ArrayLike, threads: _Int = 0
) -> dict[str, npt.NDArray[np.float64]]: ...
def summarize_columns(
    x: npt.ArrayLike, lo: _Float, hi: _Float, skip_nan: bool = False, threads: _Int = 0
) -> dict[str, npt.NDArray[np.float64]]: ...
def summary_table(
    model: TrustModel,
    draws: npt.ArrayLike,
    chains: _Int,
    outcome_scale: _Float = 1.0,
    interval: _Float = 0.9,
    threads: _Int = 0,
) -> dict[str, Any]: ...
def summary_values(
    model: TrustModel, draws: npt.ArrayLike, outcome_scale: _Float = 1.0, threads: _Int = 0
) -> dict[str, Any]: ...

# The geo panel model (bindings/panel.cpp, include/trustmix/mmm/panel_model.hpp)
class PanelModel:
    @property
    def dimension(self) -> int: ...
    @property
    def parameter_names(self) -> list[str]: ...
    @property
    def constrained_names(self) -> list[str]: ...
    @property
    def geos(self) -> int: ...
    @property
    def periods(self) -> int: ...
    @property
    def conversion_channels(self) -> list[int]: ...
    @property
    def trust_channels(self) -> list[int]: ...
    def initial_point(self) -> npt.NDArray[np.float64]: ...
    def log_density(self, z: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]: ...
    def constrain_draws(self, draws: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def forward(self, z: npt.ArrayLike, media: Sequence[npt.ArrayLike] | None = None) -> dict[str, Any]: ...
    def forward_mean(self, draws: npt.ArrayLike) -> dict[str, Any]: ...

class PanelTarget:
    def __init__(self, model: PanelModel) -> None: ...
    def constrain(self, theta: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def log_density_gradient(self, theta: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]: ...
    @property
    def dimension(self) -> int: ...
    @property
    def parameter_names(self) -> list[str]: ...

def build_panel(
    geos: Sequence[str],
    channels: Sequence[str],
    roles: Sequence[str],
    national: Sequence[bool],
    media: Sequence[npt.ArrayLike],
    share: Sequence[npt.ArrayLike],
    population: npt.ArrayLike,
    outcome: npt.ArrayLike,
    controls: Sequence[npt.ArrayLike],
    control_names: Sequence[str],
    period_days: _Float = 7.0,
    seasonality: _Int = 2,
    trend: bool = True,
    max_lag: _Int = 12,
    trust: str = "national",
    tracker: npt.ArrayLike = ...,
    pooling: dict[str, str] = ...,
    channel_pooling: Sequence[str] = ...,
    priors: dict[str, Any] = ...,
    threads: _Int = 1,
    tracker_n: npt.ArrayLike = ...,
    noise: str = "iid",
    market_growth: tuple[_Float, _Float] | None = None,
) -> tuple[PanelModel, dict[str, Any]]: ...

class PanelRoiDraws:
    def __repr__(self) -> str: ...
    @property
    def channels(self) -> int: ...
    @property
    def geos(self) -> int: ...
    @property
    def incremental_short(self) -> npt.NDArray[np.float64]: ...
    @property
    def incremental_long(self) -> npt.NDArray[np.float64]: ...
    @property
    def incremental_total(self) -> npt.NDArray[np.float64]: ...
    @property
    def via_trust_direct(self) -> npt.NDArray[np.float64]: ...
    @property
    def via_amplification(self) -> npt.NDArray[np.float64]: ...
    @property
    def own(self) -> npt.NDArray[np.float64]: ...
    @property
    def roi_short(self) -> npt.NDArray[np.float64]: ...
    @property
    def roi_total(self) -> npt.NDArray[np.float64]: ...
    @property
    def marginal_roi(self) -> npt.NDArray[np.float64]: ...
    @property
    def cost_per_incremental(self) -> npt.NDArray[np.float64]: ...

def panel_roi(
    model: PanelModel,
    draws: npt.ArrayLike,
    spend: npt.ArrayLike,
    horizon: _Int = 104,
    window_begin: _Int = 0,
    window_end: _Int = -1,
    value_per_outcome: _Float = ...,
    outcome_scale: _Float = 1.0,
    population: npt.ArrayLike = ...,
    threads: _Int = 0,
) -> PanelRoiDraws: ...
def panel_response_curves(
    model: PanelModel,
    draws: npt.ArrayLike,
    channels: Sequence[_Int],
    multipliers: npt.ArrayLike,
    horizon: _Int = 104,
    outcome_scale: _Float = 1.0,
    population: npt.ArrayLike = ...,
    threads: _Int = 0,
) -> npt.NDArray[np.float64]: ...
