"""
trustmix::audience: latent classes, reach and frequency (C++ core).
"""

from collections.abc import Sequence
from typing import Any, SupportsFloat, SupportsIndex, SupportsInt, TypeAlias

import numpy as np
import numpy.typing as npt

import trustmix._core.core

_Int: TypeAlias = SupportsInt | SupportsIndex  # what pybind11 converts to a C++ integer
_Float: TypeAlias = SupportsFloat | SupportsIndex  # what pybind11 converts to a C++ double

class Survey:
    def __init__(
        self,
        items: npt.ArrayLike,
        categories: Sequence[_Int],
        gaussian: npt.ArrayLike | None = None,
        weights: npt.ArrayLike | None = None,
        covariates: npt.ArrayLike | None = None,
        item_names: Sequence[str] = ...,
        gaussian_names: Sequence[str] = ...,
        covariate_names: Sequence[str] = ...,
    ) -> None: ...
    @property
    def rows(self) -> int: ...

class ReachCurve:
    def __getstate__(self) -> tuple[int, str, float, float, float, float]: ...
    def __init__(
        self, kind: str, population: _Float, reachable: _Float = 1.0, shape: _Float = 1.0, shape2: _Float = 1.0
    ) -> None: ...
    def __setstate__(self, state: tuple[int, str, float, float, float, float]) -> None: ...
    def frequency(self, exposures: _Float, max_frequency: _Int) -> npt.NDArray[np.float64]: ...
    def frequency_capped(self, impressions: _Float, cap: _Int) -> npt.NDArray[np.float64]: ...
    def impressions(self, exposures: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def reach(self, exposures: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def reach_capped(self, impressions: npt.ArrayLike, cap: _Int) -> npt.NDArray[np.float64]: ...
    @property
    def kind(self) -> str: ...
    @property
    def population(self) -> float: ...
    @property
    def reachable(self) -> float: ...
    @property
    def shape(self) -> float: ...
    @property
    def shape2(self) -> float: ...

def bch(
    posterior: npt.ArrayLike, outcomes: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> dict[str, npt.NDArray[np.float64]]: ...
def bootstrap_lrt(
    survey: Survey,
    *,
    classes: _Int,
    replicates: _Int = 99,
    starts: _Int = 5,
    max_iterations: _Int = 5000,
    tolerance: _Float = 1e-10,
    seed: _Int = 0,
    threads: _Int = 0,
    covariance: str = "diagonal",
) -> dict[str, Any]: ...
def class_duplication(class_shares: npt.ArrayLike, reach: npt.ArrayLike) -> dict[str, Any]: ...
def fit_latent_classes(
    survey: Survey,
    *,
    classes: _Int,
    starts: _Int = 10,
    max_iterations: _Int = 5000,
    tolerance: _Float = 1e-10,
    seed: _Int = 0,
    threads: _Int = 0,
    covariance: str = "diagonal",
    screening_iterations: _Int = 0,
    final_starts: _Int = 0,
    best_tolerance: _Float = 1e-06,
) -> dict[str, Any]: ...
def fit_reach_curve(
    kind: str, exposures: npt.ArrayLike, reach: npt.ArrayLike, population: _Float, *, reachable: _Float = 1.0
) -> ReachCurve: ...
def fit_reach_curves(
    kind: str,
    exposures: npt.ArrayLike,
    reach: npt.ArrayLike,
    population: npt.ArrayLike,
    *,
    reachable: _Float = 1.0,
    threads: _Int = 0,
) -> list[ReachCurve]: ...
def log_likelihood(model: dict[str, Any], survey: Survey) -> float: ...
def pack_parameters(model: dict[str, Any]) -> npt.NDArray[np.float64]: ...
def posterior(model: dict[str, Any], survey: Survey, *, threads: _Int = 0) -> npt.NDArray[np.float64]: ...
def sainsbury(shares: npt.ArrayLike) -> float: ...
def score(model: dict[str, Any], survey: Survey) -> npt.NDArray[np.float64]: ...
def simulate_survey(model: dict[str, Any], survey: Survey, *, seed: _Int = 0) -> dict[str, Any]: ...
def three_step(
    posterior: npt.ArrayLike,
    *,
    covariates: npt.ArrayLike | None = None,
    outcome: npt.ArrayLike | None = None,
    outcome_kind: str = "none",
    categories: _Int = 0,
    weights: npt.ArrayLike | None = None,
    assignment: str = "modal",
    correction: str = "ml",
    max_iterations: _Int = 2000,
    tolerance: _Float = 1e-10,
    covariate_names: Sequence[str] = ...,
    outcome_name: str = "outcome",
) -> dict[str, Any]: ...
def to_audiences(
    model: dict[str, Any],
    shares: npt.ArrayLike,
    population: _Float,
    names: Sequence[str] = ...,
    descriptions: Sequence[str] = ...,
    trust: tuple[_Int, Sequence[_Int]] | None = None,
    sensitivity: tuple[_Int, Sequence[_Int]] | None = None,
    channels: Sequence[tuple[str, _Int, Sequence[_Int]]] = ...,
) -> list[trustmix._core.core.Audience]: ...
def unpack_parameters(model: dict[str, Any], parameters: npt.ArrayLike) -> dict[str, Any]: ...
