"""
trustmix::inference: NUTS, MAP/Laplace, diagnostics, built-in targets.
"""

from collections.abc import Callable, Sequence
from typing import Any, SupportsFloat, SupportsIndex, SupportsInt, TypeAlias, overload

import numpy as np
import numpy.typing as npt

import trustmix._core.mmm
from trustmix._core.mmm import TrustTarget as TrustTarget

_Int: TypeAlias = SupportsInt | SupportsIndex  # what pybind11 converts to a C++ integer
_Float: TypeAlias = SupportsFloat | SupportsIndex  # what pybind11 converts to a C++ double

class SamplerDefaults:
    def __getstate__(self) -> tuple[int, dict[str, Any]]: ...
    def __repr__(self) -> str: ...
    def __setstate__(self, state: tuple[int, dict[str, Any]]) -> None: ...
    @property
    def base_window(self) -> int: ...
    @property
    def chains(self) -> int: ...
    @property
    def draws(self) -> int: ...
    @property
    def init_buffer(self) -> int: ...
    @property
    def init_radius(self) -> float: ...
    @property
    def init_step_size(self) -> float: ...
    @property
    def max_tree_depth(self) -> int: ...
    @property
    def target_accept(self) -> float: ...
    @property
    def term_buffer(self) -> int: ...
    @property
    def tune(self) -> int: ...

class ParameterSummaries:
    def __repr__(self) -> str: ...
    @property
    def ess_bulk(self) -> npt.NDArray[np.float64]: ...
    @property
    def ess_tail(self) -> npt.NDArray[np.float64]: ...
    @property
    def hdi_high(self) -> npt.NDArray[np.float64]: ...
    @property
    def hdi_low(self) -> npt.NDArray[np.float64]: ...
    @property
    def mcse_mean(self) -> npt.NDArray[np.float64]: ...
    @property
    def mcse_sd(self) -> npt.NDArray[np.float64]: ...
    @property
    def mean(self) -> npt.NDArray[np.float64]: ...
    @property
    def q05(self) -> npt.NDArray[np.float64]: ...
    @property
    def q50(self) -> npt.NDArray[np.float64]: ...
    @property
    def q95(self) -> npt.NDArray[np.float64]: ...
    @property
    def r_hat(self) -> npt.NDArray[np.float64]: ...
    @property
    def sd(self) -> npt.NDArray[np.float64]: ...

class SampleOutput:
    @property
    def acceptance_rate(self) -> npt.NDArray[np.float64]: ...
    @property
    def adapted_step_size(self) -> list[float]: ...
    @property
    def completed_draws(self) -> list[int]: ...
    @property
    def completed_tune(self) -> list[int]: ...
    @property
    def divergences(self) -> int: ...
    @property
    def diverging(self) -> npt.NDArray[np.bool_]: ...
    @property
    def draws(self) -> npt.NDArray[np.float64]: ...
    @property
    def ebfmi(self) -> list[float]: ...
    @property
    def energy(self) -> npt.NDArray[np.float64]: ...
    @property
    def gradient_evaluations(self) -> list[int]: ...
    @property
    def interrupted(self) -> bool: ...
    @property
    def inverse_metric(self) -> list[npt.NDArray[np.float64]]: ...
    @property
    def keyboard_interrupt(self) -> bool: ...
    @property
    def lp(self) -> npt.NDArray[np.float64]: ...
    @property
    def max_tree_depth_hits(self) -> int: ...
    @property
    def n_steps(self) -> npt.NDArray[np.int32]: ...
    @property
    def parameter_names(self) -> list[str]: ...
    @property
    def seconds(self) -> float: ...
    @property
    def step_size(self) -> npt.NDArray[np.float64]: ...
    @property
    def summary(self) -> ParameterSummaries: ...
    @property
    def tree_depth(self) -> npt.NDArray[np.int32]: ...
    @property
    def warmup_divergences(self) -> list[int]: ...
    @property
    def warnings(self) -> list[str]: ...

class MapResult:
    @property
    def converged(self) -> bool: ...
    @property
    def covariance(self) -> npt.NDArray[np.float64]: ...
    @property
    def draws(self) -> npt.NDArray[np.float64]: ...
    @property
    def evaluations(self) -> int: ...
    @property
    def exact_hessian(self) -> bool: ...
    @property
    def gradient(self) -> npt.NDArray[np.float64]: ...
    @property
    def hessian(self) -> npt.NDArray[np.float64]: ...
    @property
    def iterations(self) -> int: ...
    @property
    def laplace_ok(self) -> bool: ...
    @property
    def log_density(self) -> float: ...
    @property
    def message(self) -> str: ...
    @property
    def mode(self) -> npt.NDArray[np.float64]: ...
    @property
    def parameter_names(self) -> list[str]: ...
    @property
    def reported_mode(self) -> npt.NDArray[np.float64]: ...

class StandardNormal:
    def __init__(self, dimension: _Int) -> None: ...
    def constrain(self, theta: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def log_density_gradient(self, theta: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]: ...
    @property
    def dimension(self) -> int: ...
    @property
    def parameter_names(self) -> list[str]: ...

class CorrelatedGaussian:
    @staticmethod
    def ar1_covariance(scales: npt.ArrayLike, rho: _Float) -> npt.NDArray[np.float64]: ...
    def __init__(self, mean: npt.ArrayLike, covariance: npt.ArrayLike) -> None: ...
    def constrain(self, theta: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def log_density_gradient(self, theta: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]: ...
    @property
    def dimension(self) -> int: ...
    @property
    def parameter_names(self) -> list[str]: ...

class Gamma:
    def __init__(self, shape: _Float, rate: _Float) -> None: ...
    def constrain(self, theta: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def log_density_gradient(self, theta: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]: ...
    @property
    def dimension(self) -> int: ...
    @property
    def parameter_names(self) -> list[str]: ...

class Beta:
    def __init__(self, a: _Float, b: _Float) -> None: ...
    def constrain(self, theta: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def log_density_gradient(self, theta: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]: ...
    @property
    def dimension(self) -> int: ...
    @property
    def parameter_names(self) -> list[str]: ...

class Funnel:
    def __init__(self, dimension: _Int = 10, non_centred: bool = False) -> None: ...
    def constrain(self, theta: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def log_density_gradient(self, theta: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]: ...
    @property
    def dimension(self) -> int: ...
    @property
    def parameter_names(self) -> list[str]: ...

class EightSchools:
    def __init__(self) -> None: ...
    def constrain(self, theta: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def log_density_gradient(self, theta: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]: ...
    @property
    def dimension(self) -> int: ...
    @property
    def parameter_names(self) -> list[str]: ...

class LogisticRegression:
    def __init__(self, x: npt.ArrayLike, y: npt.ArrayLike, prior_scale: _Float = 10.0) -> None: ...
    def constrain(self, theta: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def log_density_gradient(self, theta: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]: ...
    @property
    def dimension(self) -> int: ...
    @property
    def parameter_names(self) -> list[str]: ...

class PythonTarget:
    def __init__(
        self,
        function: Callable[[npt.NDArray[np.float64]], tuple[float, npt.ArrayLike]],
        dimension: _Int,
        parameter_names: Sequence[str] = ...,
    ) -> None: ...
    def constrain(self, theta: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def log_density_gradient(self, theta: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]: ...
    @property
    def dimension(self) -> int: ...
    @property
    def parameter_names(self) -> list[str]: ...

def ebfmi(energy: npt.ArrayLike) -> float: ...
def ess_bulk(x: npt.ArrayLike) -> float: ...
def ess_mean(x: npt.ArrayLike) -> float: ...
def ess_tail(x: npt.ArrayLike) -> float: ...
def hdi(x: npt.ArrayLike, prob: _Float = 0.94) -> tuple[float, float]: ...
@overload
def laplace_covariance(
    target: StandardNormal, theta: npt.ArrayLike, fd_step: _Float = 1e-05
) -> npt.NDArray[np.float64] | None: ...
@overload
def laplace_covariance(
    target: CorrelatedGaussian, theta: npt.ArrayLike, fd_step: _Float = 1e-05
) -> npt.NDArray[np.float64] | None: ...
@overload
def laplace_covariance(
    target: Gamma, theta: npt.ArrayLike, fd_step: _Float = 1e-05
) -> npt.NDArray[np.float64] | None: ...
@overload
def laplace_covariance(
    target: Beta, theta: npt.ArrayLike, fd_step: _Float = 1e-05
) -> npt.NDArray[np.float64] | None: ...
@overload
def laplace_covariance(
    target: Funnel, theta: npt.ArrayLike, fd_step: _Float = 1e-05
) -> npt.NDArray[np.float64] | None: ...
@overload
def laplace_covariance(
    target: EightSchools, theta: npt.ArrayLike, fd_step: _Float = 1e-05
) -> npt.NDArray[np.float64] | None: ...
@overload
def laplace_covariance(
    target: LogisticRegression, theta: npt.ArrayLike, fd_step: _Float = 1e-05
) -> npt.NDArray[np.float64] | None: ...
@overload
def laplace_covariance(
    target: PythonTarget, theta: npt.ArrayLike, fd_step: _Float = 1e-05
) -> npt.NDArray[np.float64] | None: ...
@overload
def laplace_covariance(
    target: trustmix._core.mmm.TrustTarget, theta: npt.ArrayLike, fd_step: _Float = 1e-05
) -> npt.NDArray[np.float64] | None: ...
@overload
def map(
    target: StandardNormal,
    *,
    max_iterations: _Int = 1000,
    gradient_tolerance: _Float = 1e-08,
    initial_values: npt.ArrayLike | None = None,
    laplace: bool = True,
    fd_step: _Float = 1e-05,
    laplace_draws: _Int = 0,
    seed: _Int = 0,
) -> MapResult: ...
@overload
def map(
    target: CorrelatedGaussian,
    *,
    max_iterations: _Int = 1000,
    gradient_tolerance: _Float = 1e-08,
    initial_values: npt.ArrayLike | None = None,
    laplace: bool = True,
    fd_step: _Float = 1e-05,
    laplace_draws: _Int = 0,
    seed: _Int = 0,
) -> MapResult: ...
@overload
def map(
    target: Gamma,
    *,
    max_iterations: _Int = 1000,
    gradient_tolerance: _Float = 1e-08,
    initial_values: npt.ArrayLike | None = None,
    laplace: bool = True,
    fd_step: _Float = 1e-05,
    laplace_draws: _Int = 0,
    seed: _Int = 0,
) -> MapResult: ...
@overload
def map(
    target: Beta,
    *,
    max_iterations: _Int = 1000,
    gradient_tolerance: _Float = 1e-08,
    initial_values: npt.ArrayLike | None = None,
    laplace: bool = True,
    fd_step: _Float = 1e-05,
    laplace_draws: _Int = 0,
    seed: _Int = 0,
) -> MapResult: ...
@overload
def map(
    target: Funnel,
    *,
    max_iterations: _Int = 1000,
    gradient_tolerance: _Float = 1e-08,
    initial_values: npt.ArrayLike | None = None,
    laplace: bool = True,
    fd_step: _Float = 1e-05,
    laplace_draws: _Int = 0,
    seed: _Int = 0,
) -> MapResult: ...
@overload
def map(
    target: EightSchools,
    *,
    max_iterations: _Int = 1000,
    gradient_tolerance: _Float = 1e-08,
    initial_values: npt.ArrayLike | None = None,
    laplace: bool = True,
    fd_step: _Float = 1e-05,
    laplace_draws: _Int = 0,
    seed: _Int = 0,
) -> MapResult: ...
@overload
def map(
    target: LogisticRegression,
    *,
    max_iterations: _Int = 1000,
    gradient_tolerance: _Float = 1e-08,
    initial_values: npt.ArrayLike | None = None,
    laplace: bool = True,
    fd_step: _Float = 1e-05,
    laplace_draws: _Int = 0,
    seed: _Int = 0,
) -> MapResult: ...
@overload
def map(
    target: PythonTarget,
    *,
    max_iterations: _Int = 1000,
    gradient_tolerance: _Float = 1e-08,
    initial_values: npt.ArrayLike | None = None,
    laplace: bool = True,
    fd_step: _Float = 1e-05,
    laplace_draws: _Int = 0,
    seed: _Int = 0,
) -> MapResult: ...
@overload
def map(
    target: trustmix._core.mmm.TrustTarget,
    *,
    max_iterations: _Int = 1000,
    gradient_tolerance: _Float = 1e-08,
    initial_values: npt.ArrayLike | None = None,
    laplace: bool = True,
    fd_step: _Float = 1e-05,
    laplace_draws: _Int = 0,
    seed: _Int = 0,
) -> MapResult: ...
def mcse_mean(x: npt.ArrayLike) -> float: ...
def mcse_sd(x: npt.ArrayLike) -> float: ...
def rhat(x: npt.ArrayLike) -> float: ...
@overload
def sample(
    target: StandardNormal,
    *,
    chains: _Int = 4,
    draws: _Int = 1000,
    tune: _Int = 1000,
    seed: _Int = 0,
    target_accept: _Float = 0.8,
    max_tree_depth: _Int = 10,
    metric: str = "diag",
    init_step_size: _Float = 1.0,
    init_radius: _Float = 2.0,
    threads: _Int = 0,
    initial_values: npt.ArrayLike | None = None,
    hdi_prob: _Float = 0.94,
    progress: Callable[[int], object] | None = None,
    initial_inverse_metric: npt.ArrayLike | None = None,
    init_buffer: _Int = 75,
    term_buffer: _Int = 50,
    base_window: _Int = 25,
) -> SampleOutput: ...
@overload
def sample(
    target: CorrelatedGaussian,
    *,
    chains: _Int = 4,
    draws: _Int = 1000,
    tune: _Int = 1000,
    seed: _Int = 0,
    target_accept: _Float = 0.8,
    max_tree_depth: _Int = 10,
    metric: str = "diag",
    init_step_size: _Float = 1.0,
    init_radius: _Float = 2.0,
    threads: _Int = 0,
    initial_values: npt.ArrayLike | None = None,
    hdi_prob: _Float = 0.94,
    progress: Callable[[int], object] | None = None,
    initial_inverse_metric: npt.ArrayLike | None = None,
    init_buffer: _Int = 75,
    term_buffer: _Int = 50,
    base_window: _Int = 25,
) -> SampleOutput: ...
@overload
def sample(
    target: Gamma,
    *,
    chains: _Int = 4,
    draws: _Int = 1000,
    tune: _Int = 1000,
    seed: _Int = 0,
    target_accept: _Float = 0.8,
    max_tree_depth: _Int = 10,
    metric: str = "diag",
    init_step_size: _Float = 1.0,
    init_radius: _Float = 2.0,
    threads: _Int = 0,
    initial_values: npt.ArrayLike | None = None,
    hdi_prob: _Float = 0.94,
    progress: Callable[[int], object] | None = None,
    initial_inverse_metric: npt.ArrayLike | None = None,
    init_buffer: _Int = 75,
    term_buffer: _Int = 50,
    base_window: _Int = 25,
) -> SampleOutput: ...
@overload
def sample(
    target: Beta,
    *,
    chains: _Int = 4,
    draws: _Int = 1000,
    tune: _Int = 1000,
    seed: _Int = 0,
    target_accept: _Float = 0.8,
    max_tree_depth: _Int = 10,
    metric: str = "diag",
    init_step_size: _Float = 1.0,
    init_radius: _Float = 2.0,
    threads: _Int = 0,
    initial_values: npt.ArrayLike | None = None,
    hdi_prob: _Float = 0.94,
    progress: Callable[[int], object] | None = None,
    initial_inverse_metric: npt.ArrayLike | None = None,
    init_buffer: _Int = 75,
    term_buffer: _Int = 50,
    base_window: _Int = 25,
) -> SampleOutput: ...
@overload
def sample(
    target: Funnel,
    *,
    chains: _Int = 4,
    draws: _Int = 1000,
    tune: _Int = 1000,
    seed: _Int = 0,
    target_accept: _Float = 0.8,
    max_tree_depth: _Int = 10,
    metric: str = "diag",
    init_step_size: _Float = 1.0,
    init_radius: _Float = 2.0,
    threads: _Int = 0,
    initial_values: npt.ArrayLike | None = None,
    hdi_prob: _Float = 0.94,
    progress: Callable[[int], object] | None = None,
    initial_inverse_metric: npt.ArrayLike | None = None,
    init_buffer: _Int = 75,
    term_buffer: _Int = 50,
    base_window: _Int = 25,
) -> SampleOutput: ...
@overload
def sample(
    target: EightSchools,
    *,
    chains: _Int = 4,
    draws: _Int = 1000,
    tune: _Int = 1000,
    seed: _Int = 0,
    target_accept: _Float = 0.8,
    max_tree_depth: _Int = 10,
    metric: str = "diag",
    init_step_size: _Float = 1.0,
    init_radius: _Float = 2.0,
    threads: _Int = 0,
    initial_values: npt.ArrayLike | None = None,
    hdi_prob: _Float = 0.94,
    progress: Callable[[int], object] | None = None,
    initial_inverse_metric: npt.ArrayLike | None = None,
    init_buffer: _Int = 75,
    term_buffer: _Int = 50,
    base_window: _Int = 25,
) -> SampleOutput: ...
@overload
def sample(
    target: LogisticRegression,
    *,
    chains: _Int = 4,
    draws: _Int = 1000,
    tune: _Int = 1000,
    seed: _Int = 0,
    target_accept: _Float = 0.8,
    max_tree_depth: _Int = 10,
    metric: str = "diag",
    init_step_size: _Float = 1.0,
    init_radius: _Float = 2.0,
    threads: _Int = 0,
    initial_values: npt.ArrayLike | None = None,
    hdi_prob: _Float = 0.94,
    progress: Callable[[int], object] | None = None,
    initial_inverse_metric: npt.ArrayLike | None = None,
    init_buffer: _Int = 75,
    term_buffer: _Int = 50,
    base_window: _Int = 25,
) -> SampleOutput: ...
@overload
def sample(
    target: PythonTarget,
    *,
    chains: _Int = 4,
    draws: _Int = 1000,
    tune: _Int = 1000,
    seed: _Int = 0,
    target_accept: _Float = 0.8,
    max_tree_depth: _Int = 10,
    metric: str = "diag",
    init_step_size: _Float = 1.0,
    init_radius: _Float = 2.0,
    threads: _Int = 0,
    initial_values: npt.ArrayLike | None = None,
    hdi_prob: _Float = 0.94,
    progress: Callable[[int], object] | None = None,
    initial_inverse_metric: npt.ArrayLike | None = None,
    init_buffer: _Int = 75,
    term_buffer: _Int = 50,
    base_window: _Int = 25,
) -> SampleOutput: ...
@overload
def sample(
    target: trustmix._core.mmm.TrustTarget,
    *,
    chains: _Int = 4,
    draws: _Int = 1000,
    tune: _Int = 1000,
    seed: _Int = 0,
    target_accept: _Float = 0.8,
    max_tree_depth: _Int = 10,
    metric: str = "diag",
    init_step_size: _Float = 1.0,
    init_radius: _Float = 2.0,
    threads: _Int = 0,
    initial_values: npt.ArrayLike | None = None,
    hdi_prob: _Float = 0.94,
    progress: Callable[[int], object] | None = None,
    initial_inverse_metric: npt.ArrayLike | None = None,
    init_buffer: _Int = 75,
    term_buffer: _Int = 50,
    base_window: _Int = 25,
) -> SampleOutput: ...
def sampler_defaults() -> SamplerDefaults: ...
