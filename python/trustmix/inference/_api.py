"""Pythonic layer over trustmix._core.inference (no arithmetic loops here)."""

from __future__ import annotations

import html
import re
import warnings as _warnings
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core

#: Built-in targets by name, for ``sample("eight_schools")``.
TARGETS: dict[str, type[Any]] = {
    "standard_normal": _core.inference.StandardNormal,
    "correlated_gaussian": _core.inference.CorrelatedGaussian,
    "gamma": _core.inference.Gamma,
    "beta": _core.inference.Beta,
    "funnel": _core.inference.Funnel,
    "eight_schools": _core.inference.EightSchools,
    "logistic_regression": _core.inference.LogisticRegression,
}

_TARGET_TYPES = tuple(TARGETS.values()) + (_core.inference.PythonTarget, _core.inference.TrustTarget)
_TARGET_TYPES += (_core.mmm.PanelTarget,)  # the geo panel model (bindings/panel.cpp, mmm/panel.py)


class InferenceWarning(UserWarning):
    """Inference that may mislead: NUTS diagnostics failed (divergences, R-hat > 1.01, low
    bulk or tail ESS, E-BFMI < 0.3, saturated tree depth) or MAP did not converge. The
    message names the problem and what to try; ``SampleResult.diagnostics()`` tabulates
    the checks."""


# The columns of the compiled ParameterSummaries, in the summary table's order.
_SUMMARY_COLUMNS = (
    "mean",
    "sd",
    "hdi_low",
    "hdi_high",
    "q05",
    "q50",
    "q95",
    "mcse_mean",
    "mcse_sd",
    "ess_bulk",
    "ess_tail",
    "r_hat",
)
_STAT_NAMES = ("lp", "acceptance_rate", "step_size", "tree_depth", "n_steps", "diverging", "energy")


def make_target(name: str, **kwargs: Any) -> Any:
    """Build a built-in target by name.

    Parameters
    ----------
    name : str
        One of ``standard_normal`` (``dimension``), ``correlated_gaussian`` (``mean``,
        ``covariance``), ``gamma`` (``shape``, ``rate``), ``beta`` (``a``, ``b``),
        ``funnel`` (``dimension``, default 10), ``eight_schools``,
        ``logistic_regression`` (``x``, ``y``, ``prior_scale``).
    **kwargs
        Constructor arguments of the target.

    Returns
    -------
    object
        The C++ target (it has ``dimension``, ``parameter_names`` and
        ``log_density_gradient(theta) -> (log p, gradient)``).
    """
    if not isinstance(name, str) or name not in TARGETS:
        raise ValueError(f"target must be one of {sorted(TARGETS)} or a target object, got {name!r}")
    return TARGETS[name](**kwargs)


def _as_target(target: Any, target_args: dict[str, Any]) -> Any:
    if isinstance(target, str):
        return make_target(target, **target_args)
    if target_args:
        raise ValueError(f"target arguments {sorted(target_args)} are only accepted with a target name")
    if not isinstance(target, _TARGET_TYPES):
        raise ValueError(
            "target must be a trustmix.inference target (StandardNormal, CorrelatedGaussian, Gamma, Beta, "
            f"Funnel, EightSchools, LogisticRegression, PythonTarget) or a name, got {type(target).__name__}"
        )
    return target


def _check_seed(seed: Any) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    return int(seed)


def _check_int(value: Any, name: str, minimum: int) -> int:
    """``value`` as an int if it is an integer (not a bool) in [minimum, 2**31 - 1] (the core's int)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if int(value) > 2**31 - 1:
        raise ValueError(f"{name} must be an integer <= 2**31 - 1, got {value!r}")
    return int(value)


def _inverse_metric(m: Any) -> np.ndarray | None:
    """A (d,) or (d, d) inverse metric as a float column or matrix for the core."""
    if m is None:
        return None
    a = np.asarray(m, dtype=float)
    if a.ndim == 1:
        return a[:, None]
    if a.ndim != 2:
        raise ValueError(
            f"initial_inverse_metric must have shape (dimension,) or (dimension, dimension), got {a.shape}"
        )
    return a


def sample(
    target: Any,
    *,
    chains: int = 4,
    draws: int = 1000,
    tune: int = 1000,
    seed: int = 0,
    target_accept: float = 0.8,
    max_tree_depth: int = 10,
    metric: str = "diag",
    init_step_size: float = 1.0,
    init_radius: float = 2.0,
    threads: int | None = None,
    initial_values: Any = None,
    hdi_prob: float = 0.94,
    progress: bool = True,
    initial_inverse_metric: Any = None,
    init_buffer: int = 75,
    term_buffer: int = 50,
    base_window: int = 25,
    **target_args: Any,
) -> SampleResult:
    """Draw from a target's posterior with the No-U-Turn Sampler (NUTS) as in Stan.

    Each iteration simulates Hamiltonian dynamics for H(q, p) = -log p(q) + p' M^{-1} p / 2
    with leapfrog steps, doubling the trajectory until it makes a U-turn (generalised
    criterion) or reaches ``2**max_tree_depth`` steps, and picks the next draw from the
    trajectory with probability proportional to exp(-H). During the ``tune`` warm-up
    iterations the step size is adapted by dual averaging so that the mean acceptance
    statistic is ``target_accept``, and the inverse mass matrix M^{-1} is set to the
    regularised posterior (co)variance estimated in Stan's expanding windows. Warm-up
    draws are discarded.

    Parameters
    ----------
    target : str or target object
        A built-in target (``trustmix.inference.EightSchools()``, ...), a ``PythonTarget``,
        or a name from :data:`TARGETS` whose constructor arguments are passed as keywords.
    chains, draws, tune : int
        Number of chains, kept draws per chain, warm-up iterations per chain.
    seed : int
        Seed of the run; chain c uses its own stream derived from (seed, c), so results
        are identical bit for bit for any number of threads.
    target_accept : float
        Target of the step-size adaptation in (0, 1); raise to 0.95-0.99 on divergences.
    max_tree_depth : int
        At most ``2**max_tree_depth`` leapfrog steps (gradient evaluations) per draw.
    metric : {"diag", "dense"}
        Diagonal or dense inverse mass matrix; dense helps strongly correlated posteriors.
    init_step_size, init_radius : float
        First step size; random initial values are uniform in (-r, r) on the
        unconstrained scale.
    threads : int, optional
        Worker threads (default: one per core, at most one per chain).
    initial_values : array_like, optional
        Unconstrained starting points, shape (chains, dimension).
    hdi_prob : float
        Mass of the highest-density interval in the summary.
    progress : bool
        Show a tqdm progress bar for runs longer than about a second. Ctrl-C stops the run
        and returns the draws made so far (with a warning).
    initial_inverse_metric : array_like, optional
        Starting inverse mass matrix M^{-1} on the unconstrained scale, shape (dimension,)
        (diagonal) or (dimension, dimension) (dense; a diagonal metric keeps its
        diagonal), used instead of the identity until the first adaptation window closes.
        A posterior covariance estimate such as the Laplace covariance at the mode
        (``map(...).covariance``) shortens the early warm-up trajectories.
    init_buffer, term_buffer, base_window : int
        Stan's windowed adaptation: ``init_buffer`` iterations of step-size adaptation
        only, then metric windows starting at ``base_window`` iterations and doubling,
        then ``term_buffer`` iterations of step-size adaptation with the final metric.

    Returns
    -------
    SampleResult
        Draws (chain, draw, parameter), sampler statistics, summary and warnings.
    """
    tgt = _as_target(target, target_args)
    chains = _check_int(chains, "chains", 1)
    draws = _check_int(draws, "draws", 0)
    tune = _check_int(tune, "tune", 0)
    seed = _check_seed(seed)
    threads = 0 if threads is None else _check_int(threads, "threads", 1)
    if not isinstance(metric, str) or metric not in ("diag", "dense"):
        raise ValueError(f"metric must be 'diag' or 'dense', got {metric!r}")
    if initial_values is not None:
        initial_values = np.asarray(initial_values, dtype=float)
        if initial_values.ndim == 1:
            initial_values = np.tile(initial_values, (chains, 1))
    total = chains * (tune + draws)
    bar = None
    callback = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=f"NUTS ({chains} chains)", unit="it", delay=1.0, leave=True)

        def callback(done: int) -> None:
            bar.update(done - bar.n)

    try:
        raw = _core.inference.sample(
            tgt,
            chains=chains,
            draws=draws,
            tune=tune,
            seed=seed,
            target_accept=float(target_accept),
            max_tree_depth=_check_int(max_tree_depth, "max_tree_depth", 1),
            metric=metric,
            init_step_size=float(init_step_size),
            init_radius=float(init_radius),
            threads=threads,
            initial_values=initial_values,
            hdi_prob=float(hdi_prob),
            progress=callback,
            initial_inverse_metric=_inverse_metric(initial_inverse_metric),
            init_buffer=_check_int(init_buffer, "init_buffer", 0),
            term_buffer=_check_int(term_buffer, "term_buffer", 0),
            base_window=_check_int(base_window, "base_window", 1),
        )
    finally:
        if bar is not None:
            bar.close()
    settings = dict(
        target=target if isinstance(target, str) else type(tgt).__name__,
        chains=chains,
        draws=draws,
        tune=tune,
        seed=seed,
        target_accept=float(target_accept),
        max_tree_depth=int(max_tree_depth),
        metric=metric,
        hdi_prob=float(hdi_prob),
        initial_inverse_metric=initial_inverse_metric is not None,
        init_buffer=int(init_buffer),
        term_buffer=int(term_buffer),
        base_window=int(base_window),
    )
    result = SampleResult(raw, settings)
    if raw.keyboard_interrupt:
        skipped = "" if result._summary["mean"].size else "; the diagnostics were not computed (see .warnings)"
        _warnings.warn(
            f"Sampling was interrupted (Ctrl-C); keeping {result.n_draws} draws per chain{skipped}.",
            RuntimeWarning,
            stacklevel=2,
        )
    for message in result.warnings:
        if raw.keyboard_interrupt and message.startswith(
            ("The run was interrupted", "The diagnostics were interrupted")
        ):
            continue  # said above
        _warnings.warn(message, InferenceWarning, stacklevel=2)
    return result


class SampleResult:
    """Draws and diagnostics of a NUTS run.

    Attributes
    ----------
    draws : numpy.ndarray
        Posterior draws, shape (chain, draw, parameter), on the reported (constrained)
        scale of each parameter.
    parameter_names : list of str
        Names of the parameters, in the order of the last axis of ``draws``.
    sample_stats : dict of numpy.ndarray
        Per-iteration sampler statistics, shape (chain, draw): ``lp`` (log density),
        ``acceptance_rate`` (mean Metropolis acceptance over the trajectory),
        ``step_size``, ``tree_depth``, ``n_steps`` (leapfrog steps = gradient evaluations),
        ``diverging``, ``energy`` (Hamiltonian, for E-BFMI).
    warnings : list of str
        Plain-word problems with what to try; empty when every check passed.
    seconds : float
        Wall time of the C++ run (warm-up and sampling).
    gradient_evaluations : numpy.ndarray
        Gradient evaluations per chain, warm-up included.
    adapted_step_size : numpy.ndarray
        Step size per chain after warm-up.
    inverse_metric : list of numpy.ndarray
        Adapted inverse mass matrix per chain (vector if diagonal, matrix if dense).
    settings : dict
        The arguments of the run (target, chains, draws, tune, seed, ...).
    """

    def __init__(self, raw: _core.inference.SampleOutput, settings: dict[str, Any]) -> None:
        self.draws: np.ndarray = np.asarray(raw.draws)
        self.parameter_names: list[str] = list(raw.parameter_names)
        self.sample_stats: dict[str, np.ndarray] = {k: np.asarray(getattr(raw, k)) for k in _STAT_NAMES}
        self.warnings: list[str] = list(raw.warnings)
        self.seconds: float = float(raw.seconds)
        self.gradient_evaluations = np.asarray(raw.gradient_evaluations, dtype=np.int64)
        self.adapted_step_size = np.asarray(raw.adapted_step_size, dtype=float)
        self.inverse_metric = [
            np.asarray(m).squeeze(-1)
            if np.asarray(m).shape[-1:] == (1,) and settings["metric"] != "dense"
            else np.asarray(m)
            for m in raw.inverse_metric
        ]
        self.interrupted: bool = bool(raw.interrupted)
        self.divergences: int = int(raw.divergences)
        self.max_tree_depth_hits: int = int(raw.max_tree_depth_hits)
        self.ebfmi = np.asarray(raw.ebfmi, dtype=float)
        self.warmup_divergences = np.asarray(raw.warmup_divergences, dtype=np.int64)
        self.settings: dict[str, Any] = dict(settings)
        self._summary = {k: np.asarray(getattr(raw.summary, k)) for k in _SUMMARY_COLUMNS}

    # -- diagnostics -------------------------------------------------------------------
    def diagnostics(self) -> pd.DataFrame:
        """The convergence checks of the run, one row each, with what to try when one fails.

        Rows: ``divergences`` (kept draws whose trajectory diverged; must be 0),
        ``max_tree_depth_hits`` (kept draws stopped at ``2**max_tree_depth`` steps; 0),
        ``min_ebfmi`` (smallest E-BFMI over chains; >= 0.3), ``max_r_hat`` (largest
        rank-normalised split R-hat over parameters; <= 1.01), ``min_ess_bulk`` and
        ``min_ess_tail`` (smallest bulk / tail ESS; >= 100 per chain). Columns: ``value``,
        ``threshold``, ``ok`` and ``remedy``. A check that cannot be computed (fewer than 4
        draws per chain) has value NaN and ``ok`` False.
        """
        s = self._summary
        have = s["mean"].size > 0
        min_ess = 100.0 * self.n_chains
        rows = [
            (
                "divergences",
                float(self.divergences),
                0.0,
                self.divergences == 0,
                "target_accept=0.95 or 0.99; if divergences remain, reparameterise (e.g. non-centred)",
            ),
            (
                "max_tree_depth_hits",
                float(self.max_tree_depth_hits),
                0.0,
                self.max_tree_depth_hits == 0,
                "a larger max_tree_depth, a dense metric, or parameters rescaled to unit scale",
            ),
            (
                "min_ebfmi",
                float(np.min(self.ebfmi)) if self.ebfmi.size else np.nan,
                0.3,
                bool(self.ebfmi.size and np.min(self.ebfmi) >= 0.3),
                "a reparameterisation (e.g. non-centred) or more warm-up (tune)",
            ),
            (
                "max_r_hat",
                float(np.max(s["r_hat"])) if have else np.nan,
                1.01,
                bool(have and np.all(s["r_hat"] <= 1.01)),
                "more tune and draws; look for multimodality or divergences",
            ),
            (
                "min_ess_bulk",
                float(np.min(s["ess_bulk"])) if have else np.nan,
                min_ess,
                bool(have and np.all(s["ess_bulk"] >= min_ess)),
                "more draws",
            ),
            (
                "min_ess_tail",
                float(np.min(s["ess_tail"])) if have else np.nan,
                min_ess,
                bool(have and np.all(s["ess_tail"] >= min_ess)),
                "more draws",
            ),
        ]
        return pd.DataFrame(rows, columns=["check", "value", "threshold", "ok", "remedy"]).set_index("check")

    # -- shape -------------------------------------------------------------------------
    @property
    def n_chains(self) -> int:
        """Number of chains."""
        return int(self.draws.shape[0])

    @property
    def n_draws(self) -> int:
        """Kept draws per chain (fewer than requested if the run was interrupted)."""
        return int(self.draws.shape[1])

    @property
    def ok(self) -> bool:
        """True when no diagnostic raised a warning."""
        return not self.warnings

    def __getitem__(self, name: str) -> np.ndarray:
        """Draws of one parameter, shape (chain, draw)."""
        try:
            j = self.parameter_names.index(name)
        except ValueError:
            raise KeyError(f"no parameter {name!r}; parameters are {self.parameter_names}") from None
        return self.draws[:, :, j]

    # -- tables ------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Posterior summary, one row per parameter.

        Columns: ``mean``, ``sd``, ``hdi_<low>%`` and ``hdi_<high>%`` (highest-density
        interval of mass ``hdi_prob``), ``q5%``, ``q50%``, ``q95%`` (quantiles),
        ``mcse_mean``, ``mcse_sd`` (Monte Carlo standard errors), ``ess_bulk``, ``ess_tail``
        (effective sample sizes, Vehtari et al. 2021) and ``r_hat`` (rank-normalised split
        R-hat; values above 1.01 mean the chains have not converged).
        """
        if self._summary["mean"].size == 0:
            if self.n_draws >= 4:
                raise ValueError(
                    "no summary: the diagnostics were interrupted (Ctrl-C); the draws are complete "
                    "(trustmix.inference.rhat, ess_bulk, ... compute the diagnostics from them)"
                )
            raise ValueError(f"too few draws for a summary ({self.n_draws} per chain; at least 4 are needed)")
        p = self.settings["hdi_prob"]
        lo, hi = f"hdi_{100 * (1 - p) / 2:g}%", f"hdi_{100 * (1 + p) / 2:g}%"
        s = self._summary
        return pd.DataFrame(
            {
                "mean": s["mean"],
                "sd": s["sd"],
                lo: s["hdi_low"],
                hi: s["hdi_high"],
                "q5%": s["q05"],
                "q50%": s["q50"],
                "q95%": s["q95"],
                "mcse_mean": s["mcse_mean"],
                "mcse_sd": s["mcse_sd"],
                "ess_bulk": s["ess_bulk"],
                "ess_tail": s["ess_tail"],
                "r_hat": s["r_hat"],
            },
            index=pd.Index(self.parameter_names, name="parameter"),
        )

    def to_frame(self) -> pd.DataFrame:
        """Draws as a wide DataFrame: columns ``chain``, ``draw`` and one per parameter."""
        c, n, d = self.draws.shape
        frame = pd.DataFrame(self.draws.reshape(c * n, d), columns=self.parameter_names)
        frame.insert(0, "draw", np.tile(np.arange(n), c))
        frame.insert(0, "chain", np.repeat(np.arange(c), n))
        return frame

    def efficiency(self) -> pd.Series:
        """Sampling efficiency: the smallest bulk ESS per second and per gradient evaluation.

        ``min_ess_bulk_per_second`` divides by the whole wall time (warm-up included);
        ``min_ess_bulk_per_gradient`` divides by all gradient evaluations (warm-up
        included).
        """
        ess = float(np.min(self._summary["ess_bulk"]))
        grads = float(self.gradient_evaluations.sum())
        return pd.Series(
            {
                "min_ess_bulk": ess,
                "seconds": self.seconds,
                "gradient_evaluations": grads,
                "min_ess_bulk_per_second": ess / self.seconds if self.seconds > 0 else np.inf,
                "min_ess_bulk_per_gradient": ess / grads,
            }
        )

    # -- ArviZ -------------------------------------------------------------------------
    def _grouped(self) -> dict[str, np.ndarray]:
        """Parameters named ``eta[0]``, ``eta[1]``, ... become one array ``eta`` (chain, draw, k)."""
        groups: dict[str, list[tuple[int, int]]] = {}
        out: dict[str, np.ndarray] = {}
        for j, name in enumerate(self.parameter_names):
            m = re.fullmatch(r"(.+)\[(\d+)\]", name)
            if m:
                groups.setdefault(m.group(1), []).append((int(m.group(2)), j))
            else:
                out[name] = self.draws[:, :, j]
        for base, members in groups.items():
            members.sort()
            if base in out or [k for k, _ in members] != list(range(len(members))):
                for k, j in members:
                    out[f"{base}[{k}]"] = self.draws[:, :, j]
            else:
                out[base] = self.draws[:, :, [j for _, j in members]]
        return out

    def to_arviz(self) -> Any:
        """Export to an ArviZ ``InferenceData`` (groups ``posterior`` and ``sample_stats``).

        Vector parameters ``name[k]`` become one variable ``name`` with an extra
        dimension. Requires ``pip install trustmix[arviz]``.
        """
        try:
            with _warnings.catch_warnings():
                _warnings.simplefilter("ignore", FutureWarning)  # ArviZ announces its refactor on import
                import arviz as az
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_arviz() needs ArviZ: pip install trustmix[arviz] (or pip install arviz)") from exc
        stats = dict(self.sample_stats)
        stats["n_steps"] = stats["n_steps"].astype(float)
        return az.from_dict(
            posterior=self._grouped(),
            sample_stats=stats,
            attrs={"inference_library": "trustmix", "sampling_time": self.seconds},
        )

    # -- display -----------------------------------------------------------------------
    def __repr__(self) -> str:
        state = "ok" if self.ok else f"{len(self.warnings)} warning(s)"
        return (
            f"<SampleResult {self.settings['target']}: {self.n_chains} chains x {self.n_draws} draws, "
            f"{len(self.parameter_names)} parameters, {self.seconds:.2f} s, {state}>"
        )

    def _repr_html_(self) -> str:
        head = html.escape(repr(self))
        parts = [f"<p><b>{head}</b></p>"]
        if self.warnings:
            items = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
            parts.append(f"<p style='color:#b00'>Warnings:</p><ul>{items}</ul>")
        if self._summary["mean"].size:
            parts.append(self.summary().head(30).to_html(float_format=lambda v: f"{v:.3g}"))
        return "".join(parts)

    # -- plots -------------------------------------------------------------------------
    def plot_trace(self, parameters: list[str] | None = None, *, max_parameters: int = 8) -> Any:
        """Trace plot: per parameter, a histogram per chain (left) and the draws (right).

        Returns the matplotlib Figure. Divergent draws are marked with ticks on the trace.
        """
        import matplotlib.pyplot as plt

        names = list(parameters) if parameters is not None else self.parameter_names[:max_parameters]
        fig, axes = plt.subplots(len(names), 2, figsize=(10, 2.0 * len(names)), squeeze=False)
        div = self.sample_stats["diverging"]
        for row, name in enumerate(names):
            x = self[name]
            for c in range(self.n_chains):
                axes[row, 0].hist(x[c], bins=40, histtype="step", density=True, label=f"chain {c}")
                axes[row, 1].plot(x[c], lw=0.5, alpha=0.8)
                idx = np.flatnonzero(div[c])
                if idx.size:
                    axes[row, 1].plot(idx, x[c, idx], "|", color="red", ms=8)
            axes[row, 0].set_ylabel(name)
        axes[0, 0].legend(fontsize="small")
        axes[-1, 1].set_xlabel("draw")
        fig.tight_layout()
        return fig

    def plot_energy(self, ax: Any = None) -> Any:
        """Energy plot: histogram of the centred energy and of its draw-to-draw changes.

        When the change histogram is much narrower than the energy histogram (E-BFMI
        < 0.3), the sampler explores the energy distribution poorly. Returns the Axes.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        e = self.sample_stats["energy"]
        ax.hist((e - e.mean(axis=1, keepdims=True)).ravel(), bins=50, density=True, alpha=0.6, label="energy")
        ax.hist(np.diff(e, axis=1).ravel(), bins=50, density=True, alpha=0.6, label="energy change")
        ax.set_title("E-BFMI per chain: " + ", ".join(f"{v:.2f}" for v in self.ebfmi))
        ax.legend()
        return ax


def map(  # noqa: A001 - the field's word
    target: Any,
    *,
    max_iterations: int = 1000,
    gradient_tolerance: float = 1e-8,
    initial_values: Any = None,
    laplace: bool = True,
    fd_step: float = 1e-5,
    laplace_draws: int = 0,
    seed: int = 0,
    **target_args: Any,
) -> MapResult:
    """Maximum a posteriori estimate by L-BFGS, with a Laplace approximation.

    Maximises the target's log density on the unconstrained scale (Jacobian terms of
    the transforms included) with LBFGS++ and approximates the posterior by
    N(mode, H^{-1}) with H = -d^2 log p / d theta^2 at the mode: exact when the target has
    an analytic Hessian, else central differences of the analytic gradient with relative
    step ``fd_step`` (error O(fd_step^2)).

    Parameters
    ----------
    target : str or target object
        As for :func:`sample`.
    max_iterations : int
        L-BFGS iterations.
    gradient_tolerance : float
        Stop when ||gradient|| < max(tol, tol * ||theta||).
    initial_values : array_like, optional
        Unconstrained start (default zeros).
    laplace : bool
        Compute the Hessian and covariance at the mode.
    fd_step : float
        Relative finite-difference step of the Hessian.
    laplace_draws : int
        Draws from the Laplace approximation, mapped to the reported scale.
    seed : int
        Seed of the Laplace draws.

    Returns
    -------
    MapResult
    """
    tgt = _as_target(target, target_args)
    raw = _core.inference.map(
        tgt,
        max_iterations=_check_int(max_iterations, "max_iterations", 1),
        gradient_tolerance=float(gradient_tolerance),
        initial_values=None if initial_values is None else np.asarray(initial_values, dtype=float),
        laplace=bool(laplace),
        fd_step=float(fd_step),
        laplace_draws=_check_int(laplace_draws, "laplace_draws", 0),
        seed=_check_seed(seed),
    )
    result = MapResult(raw, target if isinstance(target, str) else type(tgt).__name__)
    if not result.converged:
        _warn_map_not_converged(result.iterations, result.message, float(np.linalg.norm(result.gradient)))
    elif laplace and result.covariance is None:
        _warnings.warn(
            "The Laplace covariance is unavailable: -d2 log p at the mode is not positive definite (not a strict "
            "mode, or a flat direction), so there is no uncertainty estimate. Check the model's identifiability or "
            "use sample().",
            InferenceWarning,
            stacklevel=2,
        )
    return result


def _warn_map_not_converged(iterations: int, message: str, gradient_norm: float, stacklevel: int = 2) -> None:
    """The InferenceWarning of a MAP optimisation that stopped before converging (also for
    callers that run L-BFGS themselves, such as TrustMMM.fit)."""
    _warnings.warn(
        f"MAP did not converge after {iterations} iterations ({message}; gradient norm {gradient_norm:.3g}): the "
        "mode is not reliable. Raise max_iterations, loosen gradient_tolerance, or start from other initial_values.",
        InferenceWarning,
        stacklevel=stacklevel + 1,
    )


class MapResult:
    """Posterior mode and Laplace approximation.

    Attributes
    ----------
    mode : pandas.Series
        The mode mapped to the reported (constrained) scale, indexed by parameter name.
    unconstrained_mode : numpy.ndarray
        The mode on the unconstrained scale, where the optimisation happens.
    log_density : float
        Log density at the mode (up to the target's constant).
    converged : bool
        Whether ||gradient|| at the end is below sqrt(gradient_tolerance) * max(1, ||mode||).
    message : str
        Why the optimiser stopped.
    covariance : pandas.DataFrame or None
        Laplace covariance H^{-1} on the unconstrained scale (None if H is not positive
        definite at the mode).
    draws : numpy.ndarray
        Laplace draws on the reported scale, shape (laplace_draws, parameter).
    """

    def __init__(self, raw: _core.inference.MapResult, target: str) -> None:
        names = list(raw.parameter_names)
        self.target = target
        self.parameter_names = names
        self.mode = pd.Series(np.asarray(raw.reported_mode), index=pd.Index(names, name="parameter"), name="mode")
        self.unconstrained_mode = np.asarray(raw.mode)
        self.log_density = float(raw.log_density)
        self.gradient = np.asarray(raw.gradient)
        self.iterations = int(raw.iterations)
        self.evaluations = int(raw.evaluations)
        self.converged = bool(raw.converged)
        self.message = str(raw.message)
        self.exact_hessian = bool(raw.exact_hessian)
        self.hessian = np.asarray(raw.hessian)
        cov = np.asarray(raw.covariance)
        self.covariance = pd.DataFrame(cov) if raw.laplace_ok else None
        self.draws = np.asarray(raw.draws)

    def summary(self) -> pd.DataFrame:
        """One row per parameter: ``mode`` (reported scale), ``mode_unconstrained`` and
        ``sd_unconstrained`` (Laplace sd on the unconstrained scale); with Laplace draws
        also ``mean``, ``sd``, ``q5%``, ``q95%`` of the draws on the reported scale."""
        out = pd.DataFrame({"mode": self.mode})
        if self.unconstrained_mode.size == self.mode.size:
            out["mode_unconstrained"] = self.unconstrained_mode
            if self.covariance is not None:
                out["sd_unconstrained"] = np.sqrt(np.diag(self.covariance.to_numpy()))
        if self.draws.size:
            out["mean"] = self.draws.mean(axis=0)
            out["sd"] = self.draws.std(axis=0, ddof=1)
            out["q5%"] = np.quantile(self.draws, 0.05, axis=0)
            out["q95%"] = np.quantile(self.draws, 0.95, axis=0)
        return out

    def __repr__(self) -> str:
        return (
            f"<MapResult {self.target}: log density {self.log_density:.4g}, "
            f"{'converged' if self.converged else 'NOT converged'} ({self.message})>"
        )

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(repr(self))}</b></p>" + self.summary().to_html(float_format=lambda v: f"{v:.4g}")


# -- diagnostics on arrays -------------------------------------------------------------
def _chain_draw(x: Any, name: str = "x") -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim == 1:
        a = a[np.newaxis, :]
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (chain, draw) or (draw,), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(f"{name} must be finite; found {a[tuple(bad)]} at chain {bad[0]}, draw {bad[1]}")
    return np.ascontiguousarray(a)


def rhat(x: Any) -> float:
    """Rank-normalised split R-hat (Vehtari et al. 2021) of draws shaped (chain, draw).

    The larger of the bulk R-hat (split chains, ranks mapped to normal scores) and the
    tail R-hat (the same on ``|x - median|``). Values above 1.01 mean non-convergence.
    """
    return float(_core.inference.rhat(_chain_draw(x)))


def ess_bulk(x: Any) -> float:
    """Bulk effective sample size (rank-normalised split chains), draws shaped (chain, draw)."""
    return float(_core.inference.ess_bulk(_chain_draw(x)))


def ess_tail(x: Any) -> float:
    """Tail effective sample size: min ESS of I(x <= q5%) and I(x <= q95%), split chains."""
    return float(_core.inference.ess_tail(_chain_draw(x)))


def ess_mean(x: Any) -> float:
    """Effective sample size for the mean (split chains, no rank normalisation)."""
    return float(_core.inference.ess_mean(_chain_draw(x)))


def mcse_mean(x: Any) -> float:
    """Monte Carlo standard error of the mean: sd / sqrt(ess_mean), in the units of x."""
    return float(_core.inference.mcse_mean(_chain_draw(x)))


def mcse_sd(x: Any) -> float:
    """Monte Carlo standard error of the standard deviation, in the units of x."""
    return float(_core.inference.mcse_sd(_chain_draw(x)))


def hdi(x: Any, prob: float = 0.94) -> tuple[float, float]:
    """Highest-density interval of mass ``prob``: the shortest interval between sorted
    pooled draws containing floor(prob * S) + 1 of them. Returns (low, high)."""
    lo, hi = _core.inference.hdi(_chain_draw(x), float(prob))
    return float(lo), float(hi)


def ebfmi(energy: Any) -> np.ndarray:
    """E-BFMI per chain of energies shaped (chain, draw): sum (E_i - E_{i-1})^2 /
    sum (E_i - mean E)^2 (Betancourt 2016). Below 0.3 signals poor energy exploration."""
    e = _chain_draw(energy, "energy")
    return np.array([_core.inference.ebfmi(row) for row in e])


def _sample_result_from_state(state: dict[str, Any] | None) -> SampleResult | None:
    """A SampleResult rebuilt from the attribute dict a fit pickles (``dict(result.__dict__)``),
    or None: the one restore path of TrustFit and PanelFit states."""
    if state is None:
        return None
    post = SampleResult.__new__(SampleResult)
    post.__dict__.update(state)
    return post
