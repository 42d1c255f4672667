"""
trustmix::experiments bound to Python.
"""

from typing import Any, SupportsFloat, SupportsIndex, SupportsInt, TypeAlias

import numpy as np
import numpy.typing as npt

_Int: TypeAlias = SupportsInt | SupportsIndex  # what pybind11 converts to a C++ integer
_Float: TypeAlias = SupportsFloat | SupportsIndex  # what pybind11 converts to a C++ double

def allocation(
    n: npt.ArrayLike,
    sum: npt.ArrayLike,
    sum_sq: npt.ArrayLike | None = None,
    *,
    policy: str = "thompson",
    reward: str = "bernoulli",
    prior_a: _Float = 1.0,
    prior_b: _Float = 1.0,
    top_two_beta: _Float = 0.5,
    floor: _Float = 0.0,
) -> npt.NDArray[np.float64]: ...
def allocation_by_persona(
    n: npt.ArrayLike,
    sum: npt.ArrayLike,
    sum_sq: npt.ArrayLike | None = None,
    *,
    policy: str = "thompson",
    reward: str = "bernoulli",
    prior_a: _Float = 1.0,
    prior_b: _Float = 1.0,
    top_two_beta: _Float = 0.5,
    floor: _Float = 0.0,
    pooling: _Float = -1.0,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64] | float]: ...
def alpha_spent(t: _Float, alpha_tail: _Float, spending: str = "obrien_fleming") -> float: ...
def always_valid_path(
    estimates: npt.ArrayLike, variances: npt.ArrayLike, tau: _Float, alpha: _Float = 0.05
) -> dict[str, npt.NDArray[np.float64]]: ...
def always_valid_sample_size(
    effect: _Float, sd_control: _Float, sd_arm: _Float, tau: _Float, alpha: _Float = 0.05, power: _Float = 0.8
) -> float: ...
def benjamini_hochberg(p: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
def compare(
    n: npt.ArrayLike,
    sum: npt.ArrayLike,
    sum_sq: npt.ArrayLike | None = None,
    *,
    metric: str,
    prior_a: _Float | None = None,
    prior_b: _Float | None = None,
    control: _Int = 0,
    tolerance: _Float = 1e-10,
) -> dict[str, Any]: ...
def compare_batch(
    n: npt.ArrayLike,
    sum: npt.ArrayLike,
    sum_sq: npt.ArrayLike | None = None,
    *,
    metric: str,
    prior_a: _Float | None = None,
    prior_b: _Float | None = None,
    control: _Int = 0,
    threads: _Int = 0,
) -> dict[str, npt.NDArray[np.float64]]: ...
def compare_normal(
    means: npt.ArrayLike,
    sds: npt.ArrayLike,
    *,
    control: _Int = 0,
    level: _Float = 0.95,
    relative: bool = True,
    grid: npt.ArrayLike | None = None,
) -> dict[str, Any]: ...
def doubly_robust(
    action: npt.ArrayLike,
    context: npt.ArrayLike | None,
    reward: npt.ArrayLike,
    propensity: npt.ArrayLike,
    target: npt.ArrayLike,
    contexts: _Int,
    arms: _Int,
) -> tuple[float, float]: ...
def effect_posterior(
    mean_control: _Float,
    variance_control: _Float,
    mean_arm: _Float,
    variance_arm: _Float,
    *,
    relative: bool = True,
    level: _Float = 0.95,
    prior_mean: _Float = 0.0,
    prior_variance: _Float = 1.0,
    proper: bool = False,
) -> dict[str, float]: ...
def estimate_arms(
    n: npt.ArrayLike,
    sum: npt.ArrayLike,
    sum_sq: npt.ArrayLike | None = None,
    sum_x: npt.ArrayLike | None = None,
    sum_x2: npt.ArrayLike | None = None,
    sum_xy: npt.ArrayLike | None = None,
    *,
    metric: str,
    cuped: bool = False,
) -> dict[str, npt.NDArray[np.float64]]: ...
def fixed_power(effect: _Float, sd_control: _Float, sd_arm: _Float, n: _Float, alpha: _Float = 0.05) -> float: ...
def fixed_sample_size(
    effect: _Float, sd_control: _Float, sd_arm: _Float, alpha: _Float = 0.05, power: _Float = 0.8
) -> float: ...
def fixed_test(
    mean_control: _Float,
    variance_control: _Float,
    n_control: _Float,
    mean_arm: _Float,
    variance_arm: _Float,
    n_arm: _Float,
    *,
    relative: bool = False,
    level: _Float = 0.95,
    welch: bool = False,
) -> dict[str, float]: ...
def gs_boundaries(
    fractions: npt.ArrayLike, alpha: _Float = 0.05, spending: str = "obrien_fleming"
) -> npt.NDArray[np.float64]: ...
def gs_crossing(fractions: npt.ArrayLike, bounds: npt.ArrayLike, drift: _Float = 0.0) -> npt.NDArray[np.float64]: ...
def gs_design(
    fractions: npt.ArrayLike, alpha: _Float = 0.05, power: _Float = 0.8, spending: str = "obrien_fleming"
) -> dict[str, Any]: ...
def holm(p: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
def inverse_propensity(
    action: npt.ArrayLike,
    context: npt.ArrayLike | None,
    reward: npt.ArrayLike,
    propensity: npt.ArrayLike,
    target: npt.ArrayLike,
    contexts: _Int,
    arms: _Int,
) -> tuple[float, float]: ...
def lai_robbins_bound(means: npt.ArrayLike, rounds: _Float) -> float: ...
def lift(
    n: npt.ArrayLike,
    sum: npt.ArrayLike,
    sum_sq: npt.ArrayLike | None = None,
    *,
    metric: str,
    prior_a: _Float | None = None,
    prior_b: _Float | None = None,
    control: _Int = 0,
    arm: _Int = 1,
    level: _Float = 0.95,
    relative: bool = True,
    grid: npt.ArrayLike | None = None,
) -> dict[str, Any]: ...
def mixture_half_width(variance: _Float, tau: _Float, alpha: _Float) -> float: ...
def quantile(values: npt.ArrayLike, q: _Float) -> float: ...
def sample_ratio_test(users: npt.ArrayLike, weights: npt.ArrayLike) -> tuple[float, float]: ...
def simulate_bandit(
    means: npt.ArrayLike,
    *,
    personas: _Int,
    arms: _Int,
    sds: npt.ArrayLike | None = None,
    persona_weights: npt.ArrayLike | None = None,
    users_per_batch: _Int = 1,
    batches: _Int = 1,
    costs: npt.ArrayLike | None = None,
    budget: _Float = ...,
    delay_mean: _Float = 0.0,
    delay_correction: bool = True,
    contextual: bool = True,
    policy: str = "thompson",
    reward: str = "bernoulli",
    prior_a: _Float = 1.0,
    prior_b: _Float = 1.0,
    top_two_beta: _Float = 0.5,
    floor: _Float = 0.0,
    pooling: _Float = -1.0,
    seed: _Int = 0,
    stream: _Int = 0,
) -> dict[str, Any]: ...
def summarize(
    arm: npt.ArrayLike, y: npt.ArrayLike, x: npt.ArrayLike | None, n_arms: _Int, cap: _Float = ...
) -> dict[str, npt.NDArray[np.float64]]: ...
def ucb_batch_shares(
    n: npt.ArrayLike,
    sum: npt.ArrayLike,
    sum_sq: npt.ArrayLike | None = None,
    *,
    batch: _Float,
    reward: str = "bernoulli",
    floor: _Float = 0.0,
) -> npt.NDArray[np.float64]: ...
def yuen_test(
    control: npt.ArrayLike, arm: npt.ArrayLike, *, trim: _Float, relative: bool = False, level: _Float = 0.95
) -> dict[str, float]: ...
