"""Result objects of trustmix.evaluate: DataFrames with named columns, summary(), plot(),
_repr_html_ and pickling with a versioned state."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from trustmix._core.evaluate import CausalImpactResult as CoreCausalImpact
    from trustmix._core.evaluate import PowerCurve, StaggeredDidResult, SyntheticControlFit
    from trustmix.evaluate._panel import WidePanel

__all__ = [
    "CausalImpactResult",
    "InferenceWarning",
    "LiftTest",
    "SyntheticControlResult",
    "PowerResult",
    "MarketSelectionResult",
    "DidResult",
]

_STATE_VERSION = 1


class InferenceWarning(UserWarning):
    """Inference that may mislead: an empty interval, a poor pre-period fit, ..."""


def _plt() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - matplotlib is in the plot extra
        raise ImportError("plotting needs matplotlib: pip install 'trustmix[plot]'") from e
    return plt


def _when(v: Any) -> str:
    """A time label for text: dates without a midnight time."""
    if isinstance(v, pd.Timestamp) and v == v.normalize():
        return str(v.date())
    return str(v)


def _html_table(title: str, frame: pd.DataFrame) -> str:
    return f"<div><strong>{title}</strong>{frame.to_html(float_format=lambda v: f'{v:,.6g}')}</div>"


def _panels(
    obj: Any,
    kind: str,
    kinds: tuple[str, ...],
    shape: tuple[int, int],
    size: tuple[float, float],
    single: tuple[float, float],
    ax: Any,
    **subplot_kw: Any,
) -> Any:
    """Shared dispatch of the multi-panel plot() methods: "all" draws every kind into one
    Figure (returned); otherwise the Axes to draw one kind into (None: a new one)."""
    plt = _plt()
    if kind == "all":
        fig, axes = plt.subplots(*shape, figsize=size, **subplot_kw)
        for k, a in zip(kinds, np.ravel(axes), strict=False):
            obj.plot(k, ax=a)
        fig.tight_layout()
        return fig, None
    if kind not in kinds:
        raise ValueError(f"kind must be one of {('all',) + kinds}, got {kind!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=single)
    return None, ax


class _Versioned:
    _fields: tuple[str, ...] = ()

    def __getstate__(self) -> dict[str, Any]:
        return {"version": _STATE_VERSION, **{k: getattr(self, k) for k in self._fields}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        version = state.get("version")
        if version != _STATE_VERSION:
            raise ValueError(
                f"cannot read a {type(self).__name__} pickled with state version {version!r} "
                f"(this trustmix reads version {_STATE_VERSION})"
            )
        for k in self._fields:
            setattr(self, k, state[k])


@dataclass
class LiftTest:
    """A measured lift, for calibrating the media-mix model (``trustmix::evaluate::LiftTest``).

    Attributes: ``channel``; ``units`` (treated units); ``start`` and ``end`` (first and last
    period of changed activity, inclusive, as time labels); ``cooldown`` (periods after the
    window in which carry-over still counts); ``lift`` (incremental outcome summed over
    treated units and the measured periods, outcome units); ``standard_error`` (of lift,
    outcome units: the conformal ATT interval read as a normal one, (upper - lower) /
    (2 z_{1-alpha/2}) x cells); ``relative_lift`` (lift / counterfactual); ``spend``
    (currency, NaN if unknown); ``iroas`` = lift / spend and its standard error;
    ``measured_end`` (the last period the lift was summed over, inclusive: ``end`` when
    the cooldown was not measured, the cooldown's last period when it was; None means
    ``end``). The measured periods are ``start`` .. ``measured_end``: a ``TrustMMM``
    calibrated by this test predicts its lift over exactly those periods.
    ``period_lift`` and ``period_standard_error`` (``as_lift_test(per_period=True)``; None
    otherwise): the lift of each measured period (outcome units, summing to ``lift``) and
    its standard error; a ``TrustMMM`` calibrated by such a test has one term per period.
    """

    channel: str
    units: list[str]
    start: Any
    end: Any
    cooldown: int
    lift: float
    standard_error: float
    relative_lift: float
    spend: float = math.nan
    iroas: float = math.nan
    iroas_standard_error: float = math.nan
    notes: list[str] = field(default_factory=list)
    measured_end: Any = None
    period_lift: list[float] | None = None
    period_standard_error: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-friendly apart from the time labels)."""
        return asdict(self)


class SyntheticControlResult(_Versioned):
    """A synthetic control fit with its inference.

    Attributes
    ----------
    settings : dict
        Method, fixed effects, ridge, aggregation, inference settings.
    treated, donors : list[str]
        Treated and donor units.
    start, end : time labels
        First and last period of the test window (inclusive).
    att : float
        Average effect per treated unit and period, mean over the window of observed -
        synthetic (outcome units).
    lift : float
        Relative lift: sum of effects / sum of the synthetic counterfactual over the window.
    incremental : float
        att x treated units x periods (total extra outcome).
    l2_imbalance, scaled_l2_imbalance : float
        ||pre-period residual||_2 on the matched scale, and divided by the same for uniform
        weights (augsynth's and GeoLift's definitions).
    p_value : float
        Conformal p-value of no effect (NaN without inference).
    lower, upper : float
        The 1 - alpha interval of att from the same test (NaN when empty or not computed).
    weights : DataFrame
        unit, weight (donors, largest first).
    series : DataFrame
        time, observed (mean treated outcome), synthetic, effect, lower, upper (pointwise
        interval of the effect in the window), cumulative_effect (per treated unit, summed
        from the window start), post (bool).
    """

    att: float
    lift: float
    incremental: float
    l2_imbalance: float
    scaled_l2_imbalance: float
    pre_rmspe: float
    _fields = (
        "settings",
        "treated",
        "donors",
        "start",
        "end",
        "att",
        "lift",
        "incremental",
        "l2_imbalance",
        "scaled_l2_imbalance",
        "pre_rmspe",
        "p_value",
        "lower",
        "upper",
        "weights",
        "series",
        "inference",
        "cells",
        "_outcomes",
        "_units",
        "_times",
        "_rows",
    )

    def __init__(
        self,
        fit: SyntheticControlFit,
        inference: dict[str, Any] | None,
        settings: dict[str, Any],
        panel: WidePanel,
        rows: list[int],
        start: int,
        end: int,
    ) -> None:
        self.settings = dict(settings)
        self._outcomes = panel.outcomes
        self._units = list(panel.units)
        self._times = panel.times
        self._rows = (list(rows), int(start), int(end))
        self.treated = [panel.units[i] for i in fit.treated]
        self.donors = [panel.units[i] for i in fit.donors]
        times = panel.times[:end]
        self.start, self.end = times[start], times[end - 1]
        for k in ("att", "lift", "incremental", "l2_imbalance", "scaled_l2_imbalance", "pre_rmspe"):
            setattr(self, k, float(getattr(fit, k)))
        self.weights = (
            pd.DataFrame({"unit": self.donors, "weight": np.asarray(fit.weights)})
            .sort_values("weight", ascending=False, kind="stable")
            .reset_index(drop=True)
        )
        effect = np.asarray(fit.effect)
        post = np.arange(end) >= start
        lower = np.full(end, np.nan)
        upper = np.full(end, np.nan)
        self.inference = dict(inference or {})
        if inference and len(inference.get("pointwise_lower", [])):
            lower[start:] = inference["pointwise_lower"]
            upper[start:] = inference["pointwise_upper"]
        self.p_value = float(self.inference.get("p_value", math.nan))
        self.lower = float(self.inference.get("lower", math.nan))
        self.upper = float(self.inference.get("upper", math.nan))
        self.series = pd.DataFrame(
            {
                "time": times,
                "observed": np.asarray(fit.observed),
                "synthetic": np.asarray(fit.synthetic),
                "effect": effect,
                "lower": lower,
                "upper": upper,
                "cumulative_effect": np.where(post, np.cumsum(np.where(post, effect, 0.0)), 0.0),
                "post": post,
            }
        )
        self.cells = [
            dict(
                unit=panel.units[c.treated[0]],
                att=float(c.att),
                lift=float(c.lift),
                l2_imbalance=float(c.l2_imbalance),
            )
            for c in fit.cells
        ]

    # -- inspection -------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """One row per statistic: value and a description with units."""
        s = self.settings
        rows = [
            ("method", s["method"], "estimator"),
            ("treated", ", ".join(self.treated), "treated units"),
            ("window", f"{_when(self.start)} .. {_when(self.end)}", "test periods (inclusive)"),
            ("att", self.att, "mean effect per treated unit and period (outcome units)"),
            ("lift", self.lift, "sum effect / sum synthetic over the window"),
            ("incremental", self.incremental, "att x treated units x periods (outcome units)"),
            (
                "p_value",
                self.p_value,
                f"conformal, {s.get('statistic')} statistic, {s.get('permutation')} permutations",
            ),
            (
                "lower",
                self.lower,
                f"{1 - s.get('alpha', 0.1):.0%} interval of att "
                + {"jackknife+": "(jackknife+ over time)", "placebo": "(att -+ z x placebo standard error)"}.get(
                    str(s.get("inference")), "(inverted test)"
                ),
            ),
            (
                "upper",
                self.upper,
                f"{1 - s.get('alpha', 0.1):.0%} interval of att (inverted test)"
                + (
                    "; hull of a non-contiguous acceptance set"
                    if self.inference.get("hull") and s.get("inference") == "conformal"
                    else ""
                ),
            ),
            ("l2_imbalance", self.l2_imbalance, "pre-period residual norm (matched scale)"),
            ("scaled_l2_imbalance", self.scaled_l2_imbalance, "l2 imbalance / that of uniform weights"),
            ("pre_rmspe", self.pre_rmspe, "root mean squared pre-period error (outcome units)"),
        ]
        return pd.DataFrame(rows, columns=["statistic", "value", "description"]).set_index("statistic")

    def _repr_html_(self) -> str:
        return (
            f"<div><h4>Synthetic control ({self.settings['method']})</h4>"
            + _html_table("Summary", self.summary()[["value"]].astype(str))
            + _html_table("Weights (top 10)", self.weights.head(10))
            + "</div>"
        )

    def __repr__(self) -> str:
        return (
            f"SyntheticControlResult(method={self.settings['method']!r}, treated={self.treated}, "
            f"att={self.att:.6g}, lift={self.lift:.4%}, p_value={self.p_value:.4g})"
        )

    def plot(self, kind: str = "all", ax: Any = None) -> Any:
        """Observed vs synthetic with pointwise bands ("series"), the pointwise effect
        ("effect"), the cumulative effect ("cumulative"), the donor weights ("weights"), or
        all four ("all", a Figure). Returns the matplotlib Axes (or Figure for "all")."""
        fig, ax = _panels(self, kind, ("series", "effect", "cumulative", "weights"), (2, 2), (12, 7), (8, 4), ax)
        if fig is not None:
            return fig
        s = self.series
        if kind == "series":
            ax.plot(s["time"], s["observed"], label="observed (treated mean)")
            ax.plot(s["time"], s["synthetic"], label="synthetic", linestyle="--")
            post = s[s["post"]]
            if post["lower"].notna().any():
                ax.fill_between(
                    post["time"],
                    post["observed"] - post["upper"],
                    post["observed"] - post["lower"],
                    alpha=0.25,
                    label="counterfactual band",
                )
            ax.axvline(self.start, color="grey", linewidth=0.8)
            ax.set_ylabel("outcome")
            ax.legend()
        elif kind == "effect":
            ax.plot(s["time"], s["effect"], label="effect")
            post = s[s["post"]]
            if post["lower"].notna().any():
                ax.fill_between(post["time"], post["lower"], post["upper"], alpha=0.25, label="pointwise interval")
            ax.axhline(0.0, color="black", linewidth=0.6)
            ax.axvline(self.start, color="grey", linewidth=0.8)
            ax.set_ylabel("observed - synthetic")
            ax.legend()
        elif kind == "cumulative":
            post = s[s["post"]]
            ax.plot(post["time"], post["cumulative_effect"] * len(self.treated))
            ax.set_ylabel("cumulative incremental outcome")
        else:
            w = self.weights[self.weights["weight"].abs() > 1e-6].head(20)
            ax.barh(w["unit"][::-1], w["weight"][::-1])
            ax.set_xlabel("weight")
        ax.set_title(kind)
        return ax

    # -- follow-ups on the same data ---------------------------------------------------
    def _core_args(self) -> tuple[Any, ...]:
        rows, start, end = self._rows
        return self._outcomes, rows, start, end

    def _sc_kwargs(self) -> dict[str, Any]:
        s = self.settings
        return dict(
            units=self._units,
            method=s["method"],
            fixed_effects=s["fixed_effects"],
            ridge=s["ridge"],
            aggregation=s["aggregation"],
            min_pre_periods=s["min_pre_periods"],
        )

    def placebo_in_space(self, threads: int = 0) -> pd.DataFrame:
        """Each donor treated in turn (true treated units left out): unit, att, rmspe_ratio
        (post / pre RMSPE); ``attrs["p_value"]`` = rank p-value of the treated ratio."""
        from trustmix import _core

        r = _core.evaluate.placebo_in_space(*self._core_args(), threads=threads, **self._sc_kwargs())
        out = pd.DataFrame({"unit": [self._units[i] for i in r.units], "att": r.att, "rmspe_ratio": r.rmspe_ratio})
        out.attrs["p_value"] = float(r.p_value)
        out.attrs["treated_ratio"] = float(r.treated_ratio)
        return out

    def placebo_in_time(self) -> dict[str, Any]:
        """The same design moved back by its length: {'att', 'lift', 'p_value', 'start',
        'end'}; a sound design shows no effect there."""
        from trustmix import _core

        s = self.settings
        r = _core.evaluate.placebo_in_time(
            *self._core_args(),
            permutation=s["permutation"],
            n_permutations=s["n_permutations"],
            alpha=s["alpha"],
            seed=s["seed"],
            statistic=s["statistic"],
            **self._sc_kwargs(),
        )
        return {
            "att": float(r.fit.att),
            "lift": float(r.fit.lift),
            "p_value": float(r.p_value),
            "start": self._times[r.fit.start],
            "end": self._times[r.fit.end - 1],
        }

    def jackknife(self, alpha: float | None = None) -> dict[str, Any]:
        """Jackknife+ over time: {'lower', 'upper'} for att and 'pointwise' (DataFrame time,
        lower, upper)."""
        from trustmix import _core

        a = self.settings["alpha"] if alpha is None else alpha
        r = _core.evaluate.jackknife_plus(*self._core_args(), alpha=a, **self._sc_kwargs())
        _, start, end = self._rows
        pw = pd.DataFrame({"time": self._times[start:end], "lower": r.pointwise_lower, "upper": r.pointwise_upper})
        return {"lower": float(r.lower), "upper": float(r.upper), "pointwise": pw}

    def as_lift_test(
        self,
        channel: str,
        *,
        spend: float | None = None,
        cooldown: int = 0,
        cooldown_measured: bool = False,
        per_period: bool = False,
    ) -> LiftTest:
        """The measured lift for calibrating TrustMMM (``trustmix::evaluate::as_lift_test``).

        The lift is summed over this result's window ``start`` .. ``end``. With
        ``cooldown_measured=True`` the window's last ``cooldown`` periods are the cooldown
        (GeoLift style: the treatment, then periods whose carry-over the lift includes):
        the test's ``end`` is the last period of changed activity and ``measured_end`` this
        window's end. Without it the activity changed over the whole window and the
        ``cooldown`` periods after it are not in the lift (``measured_end`` = ``end``).

        The standard error comes from the conformal interval of the ATT under the mean
        statistic (the interval for the average effect); when this result used another
        statistic or inference="jackknife+" the interval is recomputed with the conformal
        "mean" test (noted in ``notes``).

        ``per_period=True`` (``trustmix::evaluate::as_period_lift_test``) also gives the lift
        of each measured period, ``period_lift[j]`` = effect x treated units, with
        ``period_standard_error[j]`` from that period's pointwise conformal interval read as
        a normal one and scaled by k = max(1, standard_error / sqrt(sum_j se_j^2)): a
        synthetic control's errors persist from period to period, so the per-period terms,
        which the model reads as independent, must not know the total better than the test
        does. The pointwise intervals are recomputed (conformal, ``pointwise=True``) when this
        result has none. A calibration by the per-period lift constrains how the channel's
        effect builds and decays over the measured periods, which one total cannot."""
        from trustmix import _core

        notes = []
        lower, upper = self.lower, self.upper
        s = self.settings
        rows, start, end = self._rows
        conformal = s.get("inference") == "conformal"
        pw_lower = np.asarray(self.series["lower"], dtype=float)[start:end]
        pw_upper = np.asarray(self.series["upper"], dtype=float)[start:end]
        # Only a conformal mean-statistic interval is reused; jackknife+ bounds never are
        # (nor, for a per-period test, pointwise intervals that were not computed).
        if (
            not conformal
            or s.get("statistic") != "mean"
            or not (math.isfinite(lower) and math.isfinite(upper))
            or (per_period and not np.isfinite(pw_lower).all())
        ):
            r = _core.evaluate.conformal_inference(
                *self._core_args(),
                permutation=s["permutation"],
                n_permutations=s["n_permutations"],
                alpha=s["alpha"],
                seed=s["seed"],
                pointwise=bool(per_period),
                statistic="mean",
                **self._sc_kwargs(),
            )
            lower, upper = float(r.lower), float(r.upper)
            if per_period:
                pw_lower, pw_upper = np.asarray(r.pointwise_lower), np.asarray(r.pointwise_upper)
            notes.append(
                "standard error from the conformal ATT interval with the mean statistic"
                + (" and the pointwise conformal intervals" if per_period else "")
            )
        spend_value = math.nan if spend is None else float(spend)
        if per_period:
            t = _core.evaluate.as_period_lift_test(
                rows,
                start,
                end,
                self.incremental,
                self.lift,
                np.asarray(self.series["effect"], dtype=float),
                lower,
                upper,
                np.ascontiguousarray(pw_lower),
                np.ascontiguousarray(pw_upper),
                s["alpha"],
                channel=channel,
                spend=spend_value,
                cooldown=int(cooldown),
                cooldown_measured=bool(cooldown_measured),
            )
        else:
            t = _core.evaluate.as_lift_test(
                rows,
                start,
                end,
                self.incremental,
                self.lift,
                lower,
                upper,
                s["alpha"],
                channel=channel,
                spend=spend_value,
                cooldown=int(cooldown),
                cooldown_measured=bool(cooldown_measured),
            )
        last = self._times[int(t.end) - 1]  # the last period of changed activity
        return LiftTest(
            channel=t.channel,
            units=list(self.treated),
            start=self.start,
            end=last,
            cooldown=int(t.cooldown),
            lift=float(t.lift),
            standard_error=float(t.standard_error),
            relative_lift=float(t.relative_lift),
            spend=float(t.spend),
            iroas=float(t.iroas),
            iroas_standard_error=float(t.iroas_standard_error),
            notes=notes,
            measured_end=self._times[int(t.measured_end) - 1],
            period_lift=[float(v) for v in t.period_lift] if per_period else None,
            period_standard_error=[float(v) for v in t.period_standard_error] if per_period else None,
        )


class PowerResult(_Versioned):
    """Power of one design by simulation.

    ``curve``: DataFrame effect (injected relative lift), power (share of simulated windows
    with p <= alpha), estimated_lift (mean), mean_p_value. ``mde``: smallest ``|effect|`` with
    power >= power_target (NaN if none); ``bias_at_zero``: mean estimated lift with nothing
    injected; ``scaled_l2_imbalance``: mean over windows.
    """

    _fields = ("settings", "treated", "duration", "curve", "mde", "bias_at_zero", "scaled_l2_imbalance")

    def __init__(self, d: PowerCurve, units: list[str], settings: dict[str, Any]):
        self.settings = dict(settings)
        self.treated = [units[i] for i in d.treated]
        self.duration = int(d.duration)
        self.curve = pd.DataFrame(
            {
                "effect": d.effects,
                "power": d.power,
                "estimated_lift": d.estimated_lift,
                "mean_p_value": d.mean_p_value,
            }
        )
        self.mde = float(d.mde)
        self.bias_at_zero = float(d.bias_at_zero)
        self.scaled_l2_imbalance = float(d.scaled_l2_imbalance)

    def summary(self) -> pd.DataFrame:
        """The power curve with the design's MDE, bias and imbalance in ``attrs``."""
        out = self.curve.copy()
        out.attrs.update(mde=self.mde, bias_at_zero=self.bias_at_zero, scaled_l2_imbalance=self.scaled_l2_imbalance)
        return out

    def _repr_html_(self) -> str:
        return (
            f"<div><h4>Power: {', '.join(self.treated)} for {self.duration} periods</h4>"
            f"<p>MDE {self.mde:.4g}, bias at zero {self.bias_at_zero:.4g}</p>"
            + _html_table("Power curve", self.curve)
            + "</div>"
        )

    def plot(self, ax: Any = None) -> Any:
        """Power against the injected lift, with the target line. Returns the Axes."""
        plt = _plt()
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.curve["effect"], self.curve["power"], marker="o")
        ax.axhline(self.settings["power_target"], color="grey", linestyle="--", linewidth=0.8)
        ax.set_xlabel("injected relative lift")
        ax.set_ylabel("power")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"{', '.join(self.treated)} ({self.duration} periods)")
        return ax


class MarketSelectionResult(_Versioned):
    """Candidate designs ranked by MDE, then ``|bias at zero|``, then scaled imbalance.

    ``designs``: DataFrame rank, treated (tuple of units), n_treated, duration, mde,
    bias_at_zero, scaled_l2_imbalance, then power_<effect> for each injected effect.
    """

    _fields = ("settings", "designs", "effects")

    def __init__(self, designs: list[PowerCurve], units: list[str], settings: dict[str, Any]):
        self.settings = dict(settings)
        self.effects = list(settings["effects"])
        rows = []
        for rank, d in enumerate(designs, start=1):
            row = {
                "rank": rank,
                "treated": tuple(units[i] for i in d.treated),
                "n_treated": len(d.treated),
                "duration": int(d.duration),
                "mde": float(d.mde),
                "bias_at_zero": float(d.bias_at_zero),
                "scaled_l2_imbalance": float(d.scaled_l2_imbalance),
            }
            for e, p in zip(d.effects, d.power, strict=True):
                row[f"power_{e:g}"] = float(p)
            rows.append(row)
        self.designs = pd.DataFrame(rows)

    def summary(self, top: int = 10) -> pd.DataFrame:
        """The best ``top`` designs."""
        return self.designs.head(top)

    def _repr_html_(self) -> str:
        return "<div><h4>Market selection</h4>" + _html_table("Best designs", self.summary()) + "</div>"

    def plot(self, top: int = 5, ax: Any = None) -> Any:
        """Power curves of the best ``top`` designs. Returns the Axes."""
        plt = _plt()
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        cols = [c for c in self.designs.columns if c.startswith("power_")]
        for _, row in self.designs.head(top).iterrows():
            ax.plot(
                self.effects,
                [row[c] for c in cols],
                marker="o",
                label=f"{'+'.join(row['treated'])} ({row['duration']})",
            )
        ax.axhline(self.settings["power_target"], color="grey", linestyle="--", linewidth=0.8)
        ax.set_xlabel("injected relative lift")
        ax.set_ylabel("power")
        ax.legend(fontsize="small")
        return ax


class DidResult(_Versioned):
    """Staggered difference-in-differences (Callaway and Sant'Anna, never-treated controls).

    ``att``, ``att_se``: overall effect per treated unit and period (outcome units) and its
    standard error; ``cells``: cohort, time, att, se; ``event_study``: event_time (t - g),
    att, se, lower, upper (normal 1 - alpha)."""

    _fields = ("att", "att_se", "cells", "event_study", "alpha")

    def __init__(self, d: StaggeredDidResult, times: pd.Index, alpha: float):
        from statistics import NormalDist

        z = NormalDist().inv_cdf(1 - alpha / 2)
        self.alpha = alpha
        self.att = float(d.att)
        self.att_se = float(d.att_se)
        self.cells = pd.DataFrame(
            {
                "cohort": [times[g] for g in d.cell_cohort],
                "time": [times[t] for t in d.cell_period],
                "att": d.cell_att,
                "se": d.cell_se,
            }
        )
        es = pd.DataFrame({"event_time": np.asarray(d.event_time).astype(int), "att": d.event_att, "se": d.event_se})
        es["lower"] = es["att"] - z * es["se"]
        es["upper"] = es["att"] + z * es["se"]
        self.event_study = es

    def summary(self) -> pd.DataFrame:
        """Overall att, se and the normal interval."""
        from statistics import NormalDist

        z = NormalDist().inv_cdf(1 - self.alpha / 2)
        return pd.DataFrame(
            {"value": [self.att, self.att_se, self.att - z * self.att_se, self.att + z * self.att_se]},
            index=pd.Index(["att", "se", "lower", "upper"], name="statistic"),
        )

    def _repr_html_(self) -> str:
        return "<div><h4>Staggered DiD</h4>" + _html_table("Summary", self.summary()) + "</div>"

    def plot(self, ax: Any = None) -> Any:
        """Event study: att by periods since adoption with its interval. Returns the Axes."""
        plt = _plt()
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        es = self.event_study
        ax.errorbar(es["event_time"], es["att"], yerr=[es["att"] - es["lower"], es["upper"] - es["att"]], fmt="o")
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.axvline(-0.5, color="grey", linewidth=0.8)
        ax.set_xlabel("periods since adoption")
        ax.set_ylabel("effect")
        return ax


class CausalImpactResult(_Versioned):
    """Interrupted time series by a Bayesian structural time series (CausalImpact's model
    with a Cauchy shrinkage prior on the coefficients, sampled by trustmix's NUTS).

    ``series``: DataFrame time, observed, predicted (posterior mean counterfactual),
    predicted_lower/upper, effect, effect_lower/upper, cumulative_effect (+ bounds, post
    only), post. ``average_effect`` (per period, outcome units) with ``average_lower`` and
    ``average_upper``; ``cumulative_effect`` (total over the post-period);
    ``relative_effect`` = total effect / total counterfactual; ``p_value``: posterior tail
    probability of no effect or one of the opposite sign; ``coefficients``: control,
    coefficient (outcome units per control unit), inclusion (posterior share of a material
    coefficient, ``|beta|`` > 0.1 sd_y / sd_x); ``diagnostics``: max R-hat, min bulk ESS,
    divergences (a warning is raised when they are not clean).
    """

    average_effect: float
    average_lower: float
    average_upper: float
    relative_effect: float
    p_value: float
    _fields = (
        "settings",
        "series",
        "average_effect",
        "average_lower",
        "average_upper",
        "cumulative_effect",
        "cumulative_lower",
        "cumulative_upper",
        "relative_effect",
        "p_value",
        "coefficients",
        "diagnostics",
        "start",
    )

    def __init__(
        self,
        d: CoreCausalImpact,
        y: npt.NDArray[Any],
        times: pd.Index,
        start: int,
        controls: list[str],
        settings: dict[str, Any],
    ) -> None:
        self.settings = dict(settings)
        self.start = times[start]
        n = len(y)
        post = np.arange(n) >= start
        cum = np.full(n, np.nan)
        cum_lo = np.full(n, np.nan)
        cum_hi = np.full(n, np.nan)
        cum[start:], cum_lo[start:], cum_hi[start:] = d.cumulative, d.cumulative_lower, d.cumulative_upper
        self.series = pd.DataFrame(
            {
                "time": times,
                "observed": y,
                "predicted": d.predicted,
                "predicted_lower": d.predicted_lower,
                "predicted_upper": d.predicted_upper,
                "effect": d.effect,
                "effect_lower": d.effect_lower,
                "effect_upper": d.effect_upper,
                "cumulative_effect": cum,
                "cumulative_lower": cum_lo,
                "cumulative_upper": cum_hi,
                "post": post,
            }
        )
        for k in ("average_effect", "average_lower", "average_upper", "relative_effect", "p_value"):
            setattr(self, k, float(getattr(d, k)))
        self.cumulative_effect = float(d.cumulative[-1])
        self.cumulative_lower = float(d.cumulative_lower[-1])
        self.cumulative_upper = float(d.cumulative_upper[-1])
        self.coefficients = pd.DataFrame(
            {"control": controls, "coefficient": np.asarray(d.beta_mean), "inclusion": np.asarray(d.inclusion)}
        )
        self.diagnostics = {
            "max_rhat": float(d.max_rhat),
            "min_ess_bulk": float(d.min_ess),
            "divergences": int(d.divergences),
        }

    def summary(self) -> pd.DataFrame:
        """Average (per period) and cumulative effect with their intervals, relative effect,
        p-value."""
        a = self.settings["alpha"]
        return pd.DataFrame(
            {
                "estimate": [self.average_effect, self.cumulative_effect, self.relative_effect, self.p_value],
                "lower": [self.average_lower, self.cumulative_lower, math.nan, math.nan],
                "upper": [self.average_upper, self.cumulative_upper, math.nan, math.nan],
            },
            index=pd.Index(["average", "cumulative", "relative", "p_value"], name=f"effect ({1 - a:.0%} interval)"),
        )

    def _repr_html_(self) -> str:
        return (
            "<div><h4>Causal impact (structural time series, NUTS)</h4>"
            + _html_table("Summary", self.summary())
            + _html_table("Controls", self.coefficients)
            + "</div>"
        )

    def plot(self, kind: str = "all", ax: Any = None) -> Any:
        """CausalImpact's three panels: "original" (observed and counterfactual band),
        "pointwise" and "cumulative" effects; "all" returns the Figure."""
        fig, ax = _panels(self, kind, ("original", "pointwise", "cumulative"), (3, 1), (9, 8), (9, 3), ax, sharex=True)
        if fig is not None:
            return fig
        s = self.series
        if kind == "original":
            ax.plot(s["time"], s["observed"], color="black", label="observed")
            ax.plot(s["time"], s["predicted"], linestyle="--", label="counterfactual")
            ax.fill_between(s["time"], s["predicted_lower"], s["predicted_upper"], alpha=0.25)
        elif kind == "pointwise":
            ax.plot(s["time"], s["effect"], linestyle="--")
            ax.fill_between(s["time"], s["effect_lower"], s["effect_upper"], alpha=0.25)
            ax.axhline(0.0, color="black", linewidth=0.6)
        else:
            ax.plot(s["time"], s["cumulative_effect"], linestyle="--")
            ax.fill_between(s["time"], s["cumulative_lower"], s["cumulative_upper"], alpha=0.25)
            ax.axhline(0.0, color="black", linewidth=0.6)
        ax.axvline(self.start, color="grey", linewidth=0.8)
        ax.set_title(kind)
        if kind == "original":
            ax.legend()
        return ax
