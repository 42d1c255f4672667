"""The planner's Python face: :func:`optimize`, :func:`evaluate` and :class:`PlanResult`.

The arithmetic (the model run forward over history + plan + tail for every draw, the
exact gradient, the constrained optimisation) is C++ (``trustmix::plan``); this module
turns a fit, dates and channel names into its inputs and its outputs into DataFrames.
"""

from __future__ import annotations

import html
import logging
import time
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from trustmix import _core

_log = logging.getLogger("trustmix.plan")


GOALS = ("outcome", "value", "net_value")
RISKS = ("mean", "quantile", "cvar", "prob_beat")
#: The optimiser's certificate, copied into a plan result's ``info``.
# The attributes of _core.plan.DrawOptimum, in the order of the draw_optima table.
_DRAW_OPTIMUM = ("draw", "plan_value", "own_value", "regret", "moved_share", "converged")
# The attributes of _core.plan.PlanPaths a PlanResult reads: the outcome and the trust stock
# (draws x periods), the discounted total and the tail's length (per draw). PlanPaths also
# carries the outcome's parts (conversion, amplification, trust_direct, tail_outcome);
# reading an attribute copies it, so only these are read.
_PATH_KEYS = ("outcome", "stock", "total", "tail_periods")


def _path_arrays(pm: Any, spend: np.ndarray, keys: Sequence[str] = _PATH_KEYS) -> dict[str, np.ndarray]:
    """The schedule ``spend`` run forward over every draw (``PlanModel.paths``, typed
    ``PlanPaths``) as numpy arrays by name, for ``keys`` (default: outcome and stock, draws
    x periods, outcome units and the stock's index; total, outcome units, and tail_periods,
    per draw)."""
    paths = pm.paths(spend)
    return {k: np.asarray(getattr(paths, k)) for k in keys}


INFO_KEYS = (
    "converged",
    "status",
    "kkt_residual",
    "active",
    "max_violation",
    "evaluations",
    "starts_agreeing",
    "start_objectives",
    "moved",
    "message",
    "objective",
    "start_objective",
    "concave",
)


# ----------------------------------------------------------------------------- inputs


def _horizon_dates(model: Any, horizon: int) -> pd.DatetimeIndex:
    step = pd.Timedelta(days=int(model.period_days))
    return pd.date_range(model.dates[-1] + step, periods=horizon, freq=step, name=model.dates.name)


def _cost_per_unit(model: Any, cost_per_unit: Mapping[str, float] | None) -> dict[str, float]:
    """Checked ``cost_per_unit``: {channel: currency per unit of the channel's activity column}."""
    out = {}
    for c, v in dict(cost_per_unit or {}).items():
        if c not in model.channels:
            raise ValueError(f"cost_per_unit: {c!r} is not a channel of the fit ({', '.join(model.channels)})")
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, float, np.integer, np.floating))
            or not (np.isfinite(v) and v > 0)
        ):
            raise ValueError(
                f"cost_per_unit[{c!r}] must be a finite number > 0 (currency per unit of activity), got {v!r}"
            )
        out[c] = float(v)
    return out


def _units_per_spend(model: Any, cost_per_unit: Mapping[str, float] | None = None) -> np.ndarray:
    """Scaled model activity per unit of spend, per channel: (activity per spend over the
    data) / media_scale, or 1 / (cost_per_unit[c] media_scale) for a channel given a cost
    per unit of activity. Activity equals spend when the channel column is spend."""
    cost = _cost_per_unit(model, cost_per_unit)
    out = []
    rf_channels = getattr(model, "rf_channels", None) or {}
    for j, c in enumerate(model.channels):
        if c in rf_channels:  # spend becomes reach and frequency by the channel's RF chain (_rf_specs)
            out.append(1.0)
            continue
        if c in cost:
            out.append(1.0 / (cost[c] * float(model.media_scale[j])))
            continue
        act = model.data[c].to_numpy(dtype=float).sum()
        sp = model.data[model.spend_columns[c]].to_numpy(dtype=float).sum()
        if not sp > 0:
            raise ValueError(
                f"channel {c!r} has no spend in the data (column {model.spend_columns[c]!r}), so the planner cannot "
                f"turn spend into its activity: give what one unit of its activity column {c!r} costs, "
                f"cost_per_unit={{{c!r}: ...}} (currency per unit, e.g. the cost of an earned-media activity or "
                "of the PR work behind one unit of coverage), to plan it"
            )
        out.append(act / sp / float(model.media_scale[j]))
    return np.asarray(out)


def _check_horizon(horizon: Any) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be an integer >= 1 (periods), got {horizon!r}")
    return int(horizon)


def status_quo(fit: Any, horizon: int, cost_per_unit: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The status quo plan: the last ``horizon`` periods of historical spend repeated
    (tiled when the data are shorter), on the horizon's dates (currency). A channel given
    a ``cost_per_unit`` (currency per unit of its activity) spends its historical
    activity times that cost."""
    horizon = _check_horizon(horizon)
    m = fit.model
    cost = _cost_per_unit(m, cost_per_unit)
    spend = np.column_stack(
        [
            m.data[c].to_numpy(dtype=float) * cost[c] if c in cost else m.data[m.spend_columns[c]].to_numpy(dtype=float)
            for c in m.channels
        ]
    )
    reps = int(np.ceil(horizon / len(spend)))
    block = np.vstack([spend] * reps)[-horizon:] if reps > 1 else spend[-horizon:]
    return pd.DataFrame(block, index=_horizon_dates(m, horizon), columns=pd.Index(m.channels, name="channel"))


def _plan_type() -> type:
    from trustmix.core import Plan

    return Plan


def _as_schedule(fit: Any, schedule: Any, horizon: int | None) -> pd.DataFrame:
    """A schedule DataFrame (dates x channels) from a DataFrame, an array or a tm.Plan."""
    m = fit.model
    from trustmix.core import Plan

    if isinstance(schedule, Plan):
        if horizon is None:
            raise ValueError("evaluating a tm.Plan needs horizon= (periods)")
        freq = "W" if int(m.period_days) == 7 else "D"
        if int(m.period_days) not in (1, 7):
            raise ValueError(
                f"a tm.Plan can be evaluated on weekly or daily fits, this one has {m.period_days}-day periods"
            )
        dates = _horizon_dates(m, horizon)
        sp = schedule.spend(dates[0].date(), horizon, freq)
        unknown = [c for c in sp.columns if c not in m.channels]
        if unknown:
            raise ValueError(
                f"the plan has channel {unknown[0]!r}, which the fit does not know ({', '.join(m.channels)})"
            )
        sp = sp.reindex(columns=m.channels, fill_value=0.0)
        sp.index = dates
        return sp
    if isinstance(schedule, pd.DataFrame):
        missing = [c for c in m.channels if c not in schedule.columns]
        if missing:
            raise ValueError(f"schedule lacks channel column {missing[0]!r} (columns: the fit's channels)")
        out = schedule[m.channels].astype(float)
        if horizon is not None and len(out) != horizon:
            raise ValueError(f"schedule has {len(out)} periods, horizon is {horizon}")
        dates = _horizon_dates(m, len(out))
        out = pd.DataFrame(out.to_numpy(), index=dates, columns=pd.Index(m.channels, name="channel"))
    else:
        arr = np.asarray(schedule, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != len(m.channels):
            raise ValueError(f"schedule must be periods x {len(m.channels)} channels, got shape {arr.shape}")
        out = pd.DataFrame(arr, index=_horizon_dates(m, len(arr)), columns=pd.Index(m.channels, name="channel"))
    v = out.to_numpy()
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        t, c = np.argwhere(bad)[0]
        raise ValueError(
            f"schedule: period {t} ({out.index[t].date()}), channel {m.channels[c]!r} is {v[t, c]}; "
            "spend must be finite and >= 0"
        )
    return out


RF_KEYS = ("curve", "impressions_per_spend", "population", "cap")


def _rf_specs(model: Any, rf: Mapping[str, Mapping[str, Any]] | None) -> list[tuple[int, Any, float, float, int]]:
    """The RF chain of every reach-and-frequency channel of the fit, as the C++ planner's
    (channel, reach curve, impressions per spend, people per unit of the model's reach, cap).

    Per channel, ``rf[channel]`` may give ``curve`` (a :class:`trustmix.audience.ReachCurve`
    of kind nbd or goerg, per period), ``impressions_per_spend``, ``population`` (people,
    for the fitted curve) and ``cap`` (a frequency cap per period by the audience module's
    ``capped_rate``). Defaults from the data's history: impressions = reach x frequency;
    impressions per spend = their total / the spend column's total; the curve fitted to the
    (impressions, reach) of the periods with reach > 0 with the reachable share estimated,
    for the hill form an nbd curve (shape free, :func:`trustmix.audience.reach_curve`), for
    the exposure form the model's own frequency distribution (nbd of shape ``rf_shape``,
    ``_core.plan.rf_model_curve``); ``population`` default: 10 x the largest reach seen
    (the reachable share is estimated below it)."""
    rf_channels = dict(getattr(model, "rf_channels", None) or {})
    given = dict(rf or {})
    for c, opts in given.items():
        if c not in rf_channels:
            raise ValueError(
                f"rf: {c!r} is not a reach-and-frequency channel of the fit ({', '.join(rf_channels) or 'none'})"
            )
        unknown = sorted(set(dict(opts)) - set(RF_KEYS))
        if unknown:
            raise ValueError(f"rf[{c!r}]: unknown key {unknown[0]!r}; known: {', '.join(RF_KEYS)}")
    out: list[tuple[int, Any, float, float, int]] = []
    for c, (reach_col, freq_col) in rf_channels.items():
        j = model.channels.index(c)
        opts = dict(given.get(c, {}))
        reach = model.data[reach_col].to_numpy(dtype=float)
        imp = reach * model.data[freq_col].to_numpy(dtype=float)
        ips = opts.get("impressions_per_spend")
        if ips is None:
            sp = model.data[model.spend_columns[c]].to_numpy(dtype=float).sum()
            if not sp > 0:
                raise ValueError(
                    f"RF channel {c!r} has no spend in the data: give rf={{{c!r}: {{'impressions_per_spend': ...}}}}"
                )
            ips = imp.sum() / sp
        ips = float(ips)
        if not (np.isfinite(ips) and ips > 0):
            raise ValueError(f"rf[{c!r}]['impressions_per_spend'] must be a finite number > 0, got {ips!r}")
        cap = opts.get("cap", 0) or 0
        if isinstance(cap, bool) or not isinstance(cap, (int, np.integer)) or cap < 0:
            raise ValueError(
                f"rf[{c!r}]['cap'] must be an integer >= 1 (impressions per person per period) or None, got {cap!r}"
            )
        curve = opts.get("curve")
        if curve is None:
            keep = reach > 0
            pop = opts.get("population")
            pop = 10.0 * float(reach.max()) if pop is None else float(pop)
            if model.rf_form == "exposure":
                core_curve = _core.plan.rf_model_curve(imp[keep], reach[keep], pop, float(model.rf_shape))
            else:
                from trustmix.audience import reach_curve

                core_curve = reach_curve(imp[keep], pop, "nbd", reach=reach[keep], reachable=None)._c
        else:
            core_curve = getattr(curve, "_c", curve)
            if not isinstance(core_curve, _core.audience.ReachCurve):
                raise ValueError(
                    f"rf[{c!r}]['curve'] must be a trustmix.audience.ReachCurve, got {type(curve).__name__}"
                )
        out.append((j, core_curve, ips, float(model.media_scale[j]), int(cap)))
    return out


# Planner models (_core.plan.TrustPlanModel: the draws run over the history, fixed per fit
# and settings) by id(fit), built once for repeated plans; an entry goes with its fit
# (weakref.finalize: fits are dataclasses, compared by value, so not usable as keys).
_PLANNERS: dict[int, dict[tuple[Any, ...], Any]] = {}
_PLANNERS_PER_FIT = 4


def _planner(
    fit: Any,
    horizon: int,
    tail: Any,
    tail_coverage: float,
    discount: float,
    max_draws: int | None,
    threads: int,
    draws: np.ndarray | None = None,
    cost_per_unit: Mapping[str, float] | None = None,
    rf: Mapping[str, Mapping[str, Any]] | None = None,
) -> Any:
    m = fit.model
    horizon = _check_horizon(horizon)
    if tail == "auto":
        tail_n = -1
    elif isinstance(tail, (int, np.integer)) and not isinstance(tail, bool) and tail >= 0:
        tail_n = int(tail)
    else:
        raise ValueError(
            f"tail must be 'auto' (>= tail_coverage of the trust stock's effect) or periods >= 0, got {tail!r}"
        )
    units = _units_per_spend(m, cost_per_unit)
    key = None
    if draws is None and rf is None:
        # the same fit and settings give the same (immutable) model: several plans on one
        # fit (budgets, scenarios) build it once
        key = (horizon, tail_n, float(tail_coverage), float(discount), max_draws, int(threads), units.tobytes())
        cached = _PLANNERS.get(id(fit), {}).get(key)
        if cached is not None:
            return cached
    if draws is None:
        draws = fit._draw_matrix(max_draws)
    shocks = np.asarray(m._shocks, dtype=float) if m.trust_enabled else np.zeros((len(m.dates), 0))
    pm = _core.plan.TrustPlanModel(
        m._core,
        draws,
        np.asarray(m._media, dtype=float),
        shocks,
        int(horizon),
        tail=tail_n,
        tail_coverage=float(tail_coverage),
        discount=float(discount),
        units_per_spend=units,
        outcome_scale=float(m.y_scale),
        threads=int(threads),
        rf=_rf_specs(m, rf),
    )
    if key is not None:
        per_fit = _PLANNERS.get(id(fit))
        if per_fit is None:
            per_fit = _PLANNERS[id(fit)] = {}
            weakref.finalize(fit, _PLANNERS.pop, id(fit), None)
        if len(per_fit) >= _PLANNERS_PER_FIT:
            per_fit.pop(next(iter(per_fit)))  # the oldest
        per_fit[key] = pm
    return pm


# ----------------------------------------------------------------------------- results


def _column_quantile(x: np.ndarray, q: float) -> np.ndarray:
    """np.nanquantile(x, q, axis=0), with numpy's fast path on the columns without NaN
    (nanquantile goes column by column in Python once any NaN is present)."""
    nan_cols = np.isnan(x).any(axis=0)
    out = np.empty(x.shape[1])
    out[~nan_cols] = np.quantile(x[:, ~nan_cols], q, axis=0)
    if nan_cols.any():
        out[nan_cols] = np.nanquantile(x[:, nan_cols], q, axis=0)
    return out


class PlanResult:
    """A plan (or an evaluated schedule) with its posterior consequences.

    Attributes
    ----------
    schedule : DataFrame
        Spend per period (rows: the horizon's dates) and channel (currency).
    reference : DataFrame
        The plan it is compared with (the status quo by default).
    info : dict
        The optimiser's certificate (``converged``, ``status``, ``kkt_residual``,
        ``active`` constraints, ``max_violation``, ``starts_agreeing``, ``moved``,
        ``message``); empty for :func:`evaluate`.
    draws : DataFrame
        Per posterior draw: ``outcome`` (over horizon + tail), ``short`` (inside the
        horizon), ``long`` (the tail), ``value``, and the same for the reference
        (``ref_*``); outcome units (value: currency).
    """

    _STATE_VERSION = 1

    def __init__(
        self,
        schedule: pd.DataFrame,
        reference: pd.DataFrame,
        paths: dict[str, np.ndarray],
        ref_paths: dict[str, np.ndarray],
        horizon: int,
        value_per_outcome: float,
        outcome: str,
        info: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        name: str = "plan",
        zero_paths: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.schedule = schedule
        self.reference = reference
        self.info = dict(info or {})
        self.settings = dict(settings or {})
        self.name = name
        self.horizon = int(horizon)
        self.value_per_outcome = float(value_per_outcome)
        self.outcome = outcome

        rho = float(self.settings.get("discount", 1.0))

        def per_draw(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            out = np.asarray(p["outcome"])
            short = out[:, :horizon] @ (rho ** np.arange(horizon))  # discounted like the total
            total = np.asarray(p["total"])
            return {"outcome": total, "short": short, "long": total - short}

        a, b = per_draw(paths), per_draw(ref_paths)
        d = pd.DataFrame({k: v for k, v in a.items()})
        for k, v in b.items():
            d[f"ref_{k}"] = v
        d["value"] = d["outcome"] * self.value_per_outcome
        d["ref_value"] = d["ref_outcome"] * self.value_per_outcome
        if zero_paths is not None:
            # what the history alone produces over horizon + tail (adstock carry-over and
            # the trust stock left at the end of the data): the baseline of a plan's ROI
            d["zero_outcome"] = per_draw(zero_paths)["outcome"]
        d.index.name = "draw"
        self.draws = d
        # per-period paths (posterior mean and 90% band) of the plan and the reference
        self.paths = {}
        for key, p in (("plan", paths), ("reference", ref_paths)):
            st, oc = np.asarray(p["stock"]), np.asarray(p["outcome"])
            keep = ~np.isnan(oc).all(axis=0)  # periods some draw runs explicitly (the tail may be shorter than L)
            st, oc = st[:, keep], oc[:, keep]
            self.paths[key] = {
                "stock": np.nanmean(st, axis=0),
                "outcome": np.nanmean(oc, axis=0),
                "outcome_low": _column_quantile(oc, 0.05),
                "outcome_high": _column_quantile(oc, 0.95),
            }

    # -- reporting
    def summary(self, interval: float = 0.9) -> pd.DataFrame:
        """The plan against the reference: one row per quantity, columns ``plan``,
        ``reference``, ``difference`` (posterior means) and the equal-tailed ``interval``
        of the difference (``difference_low``, ``difference_high``).

        Rows: ``spend`` (currency); ``outcome`` (expected outcome the media and trust
        produce over horizon + tail, outcome units), its ``short`` part (inside the horizon)
        and ``long`` part (the tail); ``value`` (outcome x value per outcome); ``incremental``
        (outcome minus that of spending nothing over the horizon, which the history's
        carry-over and trust stock still produce); ``roi`` ((incremental x value per
        outcome - spend) / spend, the definition of ``target_roi``); ``prob_beats_reference``
        (share of draws in which the plan's outcome is higher)."""
        if not 0 < interval < 1:
            raise ValueError(f"interval must be in (0, 1), got {interval}")
        lo, hi = (1 - interval) / 2, 1 - (1 - interval) / 2
        d = self.draws
        sp, rsp = float(self.schedule.to_numpy().sum()), float(self.reference.to_numpy().sum())
        rows = {}
        rows["spend"] = (sp, rsp, np.full(len(d), sp - rsp))
        for k in ("outcome", "short", "long", "value"):
            rows[k] = (d[k].mean(), d[f"ref_{k}"].mean(), (d[k] - d[f"ref_{k}"]).to_numpy())
        if "zero_outcome" in d:
            inc, rinc = d["outcome"] - d["zero_outcome"], d["ref_outcome"] - d["zero_outcome"]
            rows["incremental"] = (inc.mean(), rinc.mean(), (inc - rinc).to_numpy())
            v = self.value_per_outcome
            roi = (v * inc - sp) / sp if sp > 0 else pd.Series(np.nan, index=d.index)
            rroi = (v * rinc - rsp) / rsp if rsp > 0 else pd.Series(np.nan, index=d.index)
            rows["roi"] = (roi.mean(), rroi.mean(), (roi - rroi).to_numpy())
        beat = float((d["outcome"] > d["ref_outcome"]).mean())
        out = pd.DataFrame(
            {
                "plan": [v[0] for v in rows.values()],
                "reference": [v[1] for v in rows.values()],
                "difference": [float(np.mean(v[2])) for v in rows.values()],
                "difference_low": [float(np.quantile(v[2], lo)) for v in rows.values()],
                "difference_high": [float(np.quantile(v[2], hi)) for v in rows.values()],
            },
            index=pd.Index(list(rows), name="quantity"),
        )
        out.loc["prob_beats_reference"] = [beat, np.nan, np.nan, np.nan, np.nan]
        return out

    def shift(self, periods: int | None = None) -> pd.Series:
        """Spend of the plan minus the reference per channel over the first ``periods``
        periods (default: all), currency."""
        n = len(self.schedule) if periods is None else int(periods)
        return (self.schedule.iloc[:n].sum() - self.reference.iloc[:n].sum()).rename("shift")

    def sentence(self, groups: Mapping[str, Sequence[str]] | None = None, quarter: int | None = None) -> str:
        """A closing sentence: what moves between channel groups in the first ``quarter``
        periods (default: the periods within 91 days of the plan's first date, 13 for
        weekly data) and the expected gain over horizon + tail. The amount moved is what
        one group loses and the other gains, min(gain, loss); a change of the total is
        said apart."""
        if quarter is None:
            idx = self.schedule.index
            quarter = int((idx < idx[0] + pd.Timedelta(days=91)).sum()) if isinstance(idx, pd.DatetimeIndex) else 13
        sh = self.shift(quarter)
        if groups:
            g = {k: float(sh[list(v)].sum()) for k, v in groups.items()}
            gain_name, gain = max(g.items(), key=lambda kv: kv[1])
            loss_name, loss = min(g.items(), key=lambda kv: kv[1])
            if gain > 0 and loss < 0:
                moved, net = min(gain, -loss), gain + loss
                extra = (
                    f" and {'adds' if net > 0 else 'cuts'} {abs(net):,.0f} in total"
                    if abs(net) >= 0.005 * max(gain, -loss)
                    else ""
                )
                move = f"the plan moves {moved:,.0f} from {loss_name} to {gain_name} in the first quarter{extra}"
            else:
                move = "the plan keeps the first quarter's mix"
        else:
            move = f"the plan changes the first quarter's spend by {sh.round(0).to_dict()}"
        s = self.summary()
        tail = self.settings.get("tail_periods_mean")
        span = (
            f"{self.horizon} periods plus a {tail:.0f}-period tail" if tail else f"{self.horizon} periods and the tail"
        )
        lo, hi = cast(float, s.loc["outcome", "difference_low"]), cast(float, s.loc["outcome", "difference_high"])
        band = f" (90% interval {lo:,.1f} to {hi:,.1f})" if hi > lo else " (one draw: no interval)"
        gain = cast(float, s.loc["outcome", "difference"])  # summary(): numeric cells
        return f"{move}; expected gain {gain:,.1f} {self.outcome}{band} over {span}."

    def compare(self, *others: PlanResult) -> pd.DataFrame:
        """Several plans side by side: spend, expected outcome (short, long), value, ROI
        and the gain over each one's reference, one column per plan (by name)."""
        cols = {}
        for r in (self, *others):
            s = r.summary()
            name = r.name
            while name in cols:
                name += "'"
            cols[name] = pd.Series(
                {
                    "spend": s.loc["spend", "plan"],
                    "outcome": s.loc["outcome", "plan"],
                    "short": s.loc["short", "plan"],
                    "long": s.loc["long", "plan"],
                    "value": s.loc["value", "plan"],
                    "roi": s.loc["roi", "plan"] if "roi" in s.index else np.nan,
                    "gain_vs_reference": s.loc["outcome", "difference"],
                    "prob_beats_reference": s.loc["prob_beats_reference", "plan"],
                }
            )
        return pd.DataFrame(cols)

    def plot(self, axes: Any = None) -> Any:
        """Three panels: the flighting chart (stacked spend per period and channel), the
        trust stock under the plan and the reference, and the expected outcome per period
        with its 90% band (horizon + the explicit part of the tail)."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=False)
        ax0, ax1, ax2 = axes
        ax0.stackplot(self.schedule.index, self.schedule.to_numpy().T, labels=list(self.schedule.columns))
        ax0.legend(loc="upper right", fontsize="small")
        ax0.set_title(f"{self.name}: spend per period")
        ax0.set_ylabel("spend")
        t = np.arange(len(self.paths["plan"]["stock"]))
        ax1.plot(t, self.paths["plan"]["stock"], label=self.name)
        ax1.plot(t, self.paths["reference"]["stock"], label="reference", linestyle="--")
        ax1.axvline(self.horizon - 0.5, color="grey", linewidth=0.8)
        ax1.set_title("trust stock (posterior mean); the line marks the end of the horizon")
        ax1.legend()
        for key, style in (("plan", "-"), ("reference", "--")):
            p = self.paths[key]
            ax2.plot(t, p["outcome"], linestyle=style, label=self.name if key == "plan" else "reference")
            ax2.fill_between(t, p["outcome_low"], p["outcome_high"], alpha=0.2)
        ax2.set_title(f"{self.outcome} from media and trust per period (90% band)")
        ax2.set_xlabel("periods after the data")
        ax2.legend()
        return axes

    def __repr__(self) -> str:
        s = self.summary()
        conv = self.info.get("message", "evaluated, not optimised")
        spend, plan, ref = (
            cast(float, s.loc[r, c])
            for r, c in (("spend", "plan"), ("outcome", "plan"), ("outcome", "reference"))  # summary(): numeric cells
        )
        return (
            f"PlanResult({self.name!r}: spend {spend:,.0f}, expected {self.outcome} {plan:,.1f} vs {ref:,.1f}; {conv})"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        conv = html.escape(self.info.get("message", "evaluated, not optimised"))
        return (
            f"<h4>Plan {html.escape(self.name)}</h4><p>{conv}</p>"
            + s.to_html(float_format=lambda v: f"{v:,.3f}")
            + "<h5>Spend by channel</h5>"
            + pd.DataFrame({"plan": self.schedule.sum(), "reference": self.reference.sum()}).to_html(
                float_format=lambda v: f"{v:,.0f}"
            )
        )

    def __getstate__(self) -> dict[str, Any]:
        """Versioned state (version 1): the schedules, per-draw results, paths, info."""
        return {"version": self._STATE_VERSION, **{k: v for k, v in self.__dict__.items()}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or state.get("version") != 1:
            raise ValueError(
                f"cannot unpickle PlanResult: unsupported state version "
                f"{state.get('version') if isinstance(state, dict) else state!r}"
            )
        state = dict(state)
        state.pop("version")
        self.__dict__.update(state)


# ----------------------------------------------------------------------------- API


def _value(fit: Any, value_per_outcome: float | None) -> float:
    v = value_per_outcome if value_per_outcome is not None else fit.model.value_per_outcome
    if v is None:
        # outcome units: 'value' is then the outcome itself and 'roi' outcome per unit of
        # spend minus 1, not money: said once, as TrustFit.roi does
        if not getattr(fit.model, "_noted_plan_no_value", False):  # once per model, as TrustFit.roi
            fit.model._noted_plan_no_value = True
            _log.warning(
                "no value_per_outcome given (TrustMMM(..., value_per_outcome=...) or value_per_outcome=...): "
                "the plan's 'value' is in outcome units (a value of 1 per outcome), so 'roi' and a "
                "'net_value' objective compare outcomes with currency; give the value of one outcome to "
                "plan in money. This note is shown once per model."
            )
        return 1.0
    v = float(v)
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"value_per_outcome must be a finite number > 0, got {value_per_outcome}")
    return v


def evaluate(
    fit: Any,
    schedule: Any,
    *,
    horizon: int | None = None,
    reference: Any = None,
    tail: Any = "auto",
    tail_coverage: float = 0.99,
    discount: float = 1.0,
    value_per_outcome: float | None = None,
    max_draws: int | None = 200,
    threads: int = 0,
    cost_per_unit: Mapping[str, float] | None = None,
    rf: Mapping[str, Mapping[str, Any]] | None = None,
    name: str = "plan",
) -> PlanResult:
    """Scores a schedule on a fit: the model run forward over the data, the schedule and a
    tail long enough to count ``tail_coverage`` of the trust stock's remaining effect,
    for every posterior draw (up to ``max_draws``), in C++ (``trustmix::plan``).

    ``schedule``: a DataFrame with one column per channel of the fit (spend, currency,
    one row per period after the data), an array periods x channels, or a
    :class:`trustmix.Plan` (its campaigns' budgets spread over their dates; pass
    ``horizon``). ``reference``: the plan to compare with (default: the status quo, the
    last ``horizon`` periods of historical spend repeated). ``cost_per_unit``: {channel:
    currency per unit of its activity column} for channels without spend in the data
    (earned PR: coverage, events), so that their "spend" in the schedule is the cost of the
    activity. ``rf``: how the spend of each reach-and-frequency channel becomes reach and
    frequency (see :func:`optimize`). Returns a :class:`PlanResult`.
    """
    sched = _as_schedule(fit, schedule, horizon)
    H = len(sched)
    ref = status_quo(fit, H, cost_per_unit) if reference is None else _as_schedule(fit, reference, H)
    pm = _planner(fit, H, tail, tail_coverage, discount, max_draws, threads, cost_per_unit=cost_per_unit, rf=rf)
    v = _value(fit, value_per_outcome)
    p, rp = _path_arrays(pm, sched.to_numpy()), _path_arrays(pm, ref.to_numpy())
    zp = _path_arrays(pm, np.zeros_like(sched.to_numpy()), ("outcome", "total"))
    settings = {
        "tail_periods_mean": float(np.mean(p["tail_periods"])),
        "tail": tail,
        "tail_coverage": tail_coverage,
        "discount": discount,
    }
    return PlanResult(sched, ref, p, rp, H, v, fit.model.outcome, None, settings, name, zero_paths=zp)


def _cell_frame(fit: Any, value: Any, dates: pd.DatetimeIndex, what: str, default: float) -> np.ndarray:
    """A periods x channels array from a scalar, a mapping channel -> scalar or a DataFrame."""
    m = fit.model
    H, C = len(dates), len(m.channels)
    out = np.full((H, C), default)
    if value is None:
        return out
    if isinstance(value, pd.DataFrame):
        f = value.reindex(columns=m.channels)
        if len(f) != H:
            raise ValueError(f"{what} has {len(f)} rows, the horizon {H}")
        return np.where(np.isnan(f.to_numpy(dtype=float)), default, f.to_numpy(dtype=float))
    if isinstance(value, Mapping):
        for c, v in value.items():
            out[:, _channel_index(m, c, what)] = float(v)
        return out
    return np.full((H, C), float(value))


def _channel_index(m: Any, c: str, what: str) -> int:
    if c not in m.channels:
        raise ValueError(f"{what}: unknown channel {c!r} (the fit's channels: {', '.join(m.channels)})")
    return m.channels.index(c)


def _period_index(dates: pd.DatetimeIndex, p: Any, what: str) -> int:
    if isinstance(p, (int, np.integer)) and not isinstance(p, bool):
        if not 0 <= p < len(dates):
            raise ValueError(f"{what}: period {p} is outside the horizon 0..{len(dates) - 1}")
        return int(p)
    ts = pd.Timestamp(p)
    i = int(dates.searchsorted(ts, side="right")) - 1
    if i < 0 or i >= len(dates) or ts >= dates[-1] + (dates[1] - dates[0] if len(dates) > 1 else pd.Timedelta(days=7)):
        raise ValueError(f"{what}: date {ts.date()} is outside the horizon {dates[0].date()}..{dates[-1].date()}")
    return i


def optimize(
    fit: Any,
    budget: float | None = None,
    horizon: int = 52,
    constraints: Mapping[str, Any] | None = None,
    objective: str = "net_value",
    *,
    risk: str = "mean",
    level: float = 0.1,
    value_per_outcome: float | None = None,
    target: float | None = None,
    target_roi: float | None = None,
    marginal_roi: float | None = None,
    granularity: str = "week",
    reference: Any = None,
    start: Any = None,
    tail: Any = "auto",
    tail_coverage: float = 0.99,
    discount: float = 1.0,
    max_draws: int | None = 200,
    starts: int | None = None,
    algorithm: str = "auto",
    max_evaluations: int = 3000,
    seed: int = 0,
    threads: int = 0,
    draw_optima: int = 10,
    presolve_draws: int | None = None,
    cost_per_unit: Mapping[str, float] | None = None,
    rf: Mapping[str, Mapping[str, Any]] | None = None,
    name: str = "plan",
) -> PlanResult:
    """The optimal flighting plan on a fit (``trustmix::plan::optimize``, NLopt SLSQP).

    The decision is the whole schedule (periods x channels of spend) over ``horizon``
    periods after the data, or monthly blocks (``granularity="month"``: one total per
    channel and calendar month, spread evenly over its periods). Every posterior draw
    (up to ``max_draws``) runs the model over the data, the plan and a tail long enough
    to count ``tail_coverage`` of the trust stock's remaining effect, so PR's long payoff
    is counted; the gradient with respect to every cell is exact (reverse mode, C++).

    Parameters
    ----------
    budget : float, optional
        Total spend over the horizon (currency); default: the status quo's total. With
        ``constraints={"budget": "cap"}`` it is a cap (spend at most this), else spent exactly.
    objective : {"net_value", "value", "outcome"}
        What to maximise per draw: value - spend, outcome x value per outcome, or the
        outcome (over horizon + tail). ``target=`` instead minimises spend subject to the
        (risk-measured) outcome reaching the target; ``target_roi=`` maximises value
        subject to (value - value of no spend - spend) / spend >= target_roi (mean).
    marginal_roi : float, optional
        Spend until the marginal ROI reaches this target r > -1 (net, as ROI everywhere):
        ``objective="net_value"`` with the spend counted at 1 + r, value - (1 + r) spend,
        so at the optimum every funded cell returns 1 + r in value per extra unit of spend
        (averaged over the draws by the risk measure). The budget is then an upper limit
        only: give ``constraints={"budget": "cap"}`` (with an exact budget the spend is
        fixed and r changes nothing). Default: r = 0, the break-even margin of net value.
    risk : {"mean", "quantile", "cvar", "prob_beat"}
        How draws are aggregated: the posterior mean; the ``level`` quantile; the mean of
        the worst ``level`` share (CVaR); or the probability of beating the reference
        draw by draw (smoothed with a width of 1% of its mean ``|value|``).
    constraints : mapping, optional
        ``"budget"``: ``"equal"`` (default) or ``"cap"``;
        ``"bounds"``: {channel: (low, high)} spend per period;
        ``"channel_totals"``: {channel: (low, high)} over the horizon;
        ``"period_totals"``: {period index or date: (low, high)};
        ``"groups"``: {name: (channels, low share, high share)}, e.g.
        ``{"SMM": (["instagram", "tiktok"], 0.05, 0.15)}``, ``{"PR": (["press"], 0.4, 1)}``;
        ``"blackout"``: {channel: [periods or dates]} (spend 0 there);
        ``"fixed"``: DataFrame (horizon x channels) of committed spend, NaN where free;
        ``"keep"``: [channels] left as in the reference plan;
        ``"max_change"``: {channel: amount} or one amount: the largest change of a channel's
        spend from one period to the next;
        ``"blocks"``: {name: (channel, first, last)} (periods or dates): one total for the
        channel over those periods, spread evenly (a campaign's budget is decided, not its
        weekly pattern);
        ``"max_frequency"``: {RF channel: F} or {RF channel: (F, [periods or dates])}: the
        average frequency among the reached at most F per period (a bound on the channel's
        spend per period, since the frequency grows with spend);
        ``"reach_targets"``: {RF channel: (k, share)}: at least ``share`` of the reachable
        population exposed k or more times in every period; ``(k, share, [periods or
        dates])`` in those periods; ``(k, share, "horizon")`` over the whole horizon (a
        person's exposures add up over periods under the NBD). Each is a lower bound on the
        channel's spend per period (or its total), since the share grows with spend; one
        that no budget can meet (share 1, k above a cap, more than the budget or a cap
        allows) is a clear error.
    rf : mapping, optional
        Reach-and-frequency channels of the fit (``TrustMMM(rf_channels=...)``): for each,
        how spend becomes reach and frequency, ``{channel: {"curve": ReachCurve,
        "impressions_per_spend": q, "population": N, "cap": c}}``, every key optional. Spend
        buys q impressions per unit (default: the history's impressions, reach x frequency,
        per unit of its spend column); the reach curve (default: fitted to the history's
        impressions and reach; the exposure form: the model's own negative binomial of shape
        ``rf_shape``) turns them into people reached and average frequency; ``cap`` applies
        a frequency cap per period by the audience module's ``capped_rate`` (the same
        impressions spread over more people). The model's RF response (hill or exposure)
        then gives the outcome, with an exact gradient (docs/plan.md).
    algorithm : {"auto", "slsqp", "auglag", "mma"}
        NLopt's algorithm: "auto" takes SLSQP up to 100 decision variables and the
        augmented Lagrangian with L-BFGS (AUGLAG) beyond (SLSQP's dense subproblem makes
        it 9-60x slower from 104 variables; below, its plan is the more reproducible:
        docs/benchmarks.md); "mma" needs a budget cap (no equalities).
    reference : DataFrame, optional
        The plan the result is compared with (default: the status quo: the last
        ``horizon`` periods of historical spend repeated); also the first start.

    starts : int, optional
        Solver starts: the reference plan (or ``start``), then the even plan, then random
        plans. None (default): 1 when the problem is certified concave (a fit without
        trust, or a linear trust form without the trust x SMM interaction, with risk
        "mean" or "cvar": every KKT point is then the global optimum; ``info["concave"]``),
        else 2.
    cost_per_unit : mapping, optional
        {channel: currency per unit of the channel's activity column}: plans a channel that
        has no spend in the data (earned PR measured in coverage or events) by the cost of
        its activity; its reference (status quo) spend is its historical activity times
        that cost. Without it such a channel cannot be planned (a clear error says so).
    presolve_draws : int, optional
        Solve in two stages: first on this many evenly spaced draws (every start), then on
        all ``max_draws`` draws from that plan (one start). The certificate (``converged``,
        ``kkt_residual``, ``active``) is the second stage's, on all draws; ``moved`` and
        ``start_objective`` refer to the first stage's plan; ``info["presolve"]`` has the
        first stage's draws, evaluations and seconds. None (default), or not fewer than
        the draws: one stage.
    draw_optima : int
        For this many evenly spaced draws (0: none; only with more than one draw), the same
        problem solved for the draw alone, started at the plan: ``info["draw_optima"]`` has
        per draw ``plan_value`` and ``own_value`` (the objective under that draw),
        ``regret`` (their difference, >= 0) and ``moved_share`` (share of the budget that
        would move): how far each draw's own optimum lies from the plan.

    Returns
    -------
    PlanResult
        ``.schedule``, ``.summary()``, ``.plot()``, ``.compare()``; ``.info`` holds the
        certificate: ``converged``, ``status``, ``kkt_residual``, ``active``,
        ``max_violation``, ``starts_agreeing``, ``moved``, ``message``, ``draw_optima``.
    """
    if objective not in GOALS:
        raise ValueError(f"objective must be one of {', '.join(GOALS)}, got {objective!r}")
    if risk not in RISKS:
        raise ValueError(f"risk must be one of {', '.join(RISKS)}, got {risk!r}")
    if granularity not in ("week", "period", "month"):
        raise ValueError(f"granularity must be 'week' (every period) or 'month', got {granularity!r}")
    m = fit.model
    horizon = _check_horizon(horizon)
    ref = status_quo(fit, horizon, cost_per_unit) if reference is None else _as_schedule(fit, reference, horizon)
    dates = pd.DatetimeIndex(ref.index)  # the plan's periods (_horizon_dates)
    H, C = len(dates), len(m.channels)
    k = dict(constraints or {})
    known = {
        "budget",
        "bounds",
        "channel_totals",
        "period_totals",
        "groups",
        "blackout",
        "fixed",
        "keep",
        "max_change",
        "blocks",
        "max_frequency",
        "reach_targets",
    }
    unknown = sorted(set(k) - known)
    if unknown:
        raise ValueError(f"unknown constraint {unknown[0]!r}; known: {', '.join(sorted(known))}")
    budget_mode = k.get("budget", "equal")
    if budget_mode not in ("equal", "cap"):
        raise ValueError(f"constraints['budget'] must be 'equal' or 'cap', got {budget_mode!r}")
    B = float(ref.to_numpy().sum()) if budget is None else float(budget)
    if not (np.isfinite(B) and B >= 0):
        raise ValueError(f"budget must be a finite number >= 0 (currency), got {budget!r}")
    lower = np.zeros((H, C))
    upper = np.full((H, C), np.inf)
    for c, (lo, hi) in dict(k.get("bounds", {})).items():
        j = _channel_index(m, c, "bounds")
        lower[:, j], upper[:, j] = float(lo), float(hi)
    fixed = np.full((H, C), np.nan)
    if "fixed" in k:
        f = k["fixed"]
        if not isinstance(f, pd.DataFrame):
            raise ValueError("constraints['fixed'] must be a DataFrame (horizon x channels), NaN where free")
        fixed = _cell_frame(fit, f, dates, "fixed", np.nan)
    for c in k.get("keep", []):
        j = _channel_index(m, c, "keep")
        fixed[:, j] = ref.to_numpy()[:, j]
    for c, periods in dict(k.get("blackout", {})).items():
        j = _channel_index(m, c, "blackout")
        for p in periods:
            fixed[_period_index(dates, p, "blackout"), j] = 0.0
    channel_totals = [
        (_channel_index(m, c, "channel_totals"), float(lo), float(hi))
        for c, (lo, hi) in dict(k.get("channel_totals", {})).items()
    ]
    period_totals = [
        (_period_index(dates, p, "period_totals"), float(lo), float(hi))
        for p, (lo, hi) in dict(k.get("period_totals", {})).items()
    ]
    groups = []
    for gname, spec in dict(k.get("groups", {})).items():
        chans, lo, hi = spec
        groups.append((str(gname), [_channel_index(m, c, f"group {gname!r}") for c in chans], float(lo), float(hi)))
    mc = k.get("max_change")
    max_change = np.zeros(0)
    if mc is not None:
        max_change = np.full(C, np.inf)
        if isinstance(mc, Mapping):
            for c, v in mc.items():
                max_change[_channel_index(m, c, "max_change")] = float(v)
        else:
            max_change[:] = float(mc)
    blocks = []
    if granularity == "month":
        month = dates.to_period("M")
        for j, c in enumerate(m.channels):
            for mo in month.unique():
                cells = [(int(t), j) for t in np.flatnonzero(month == mo) if np.isnan(fixed[t, j])]
                if cells:
                    blocks.append((f"{c} {mo}", cells, np.zeros(0)))
    if isinstance(start, _plan_type()):
        start = _as_schedule(fit, start, H)
    for bname, spec in dict(k.get("blocks", {})).items():  # per-campaign totals: (channel, first, last period)
        if granularity == "month":
            raise ValueError("constraints['blocks'] and granularity='month' cannot be combined")
        c, first, last = spec
        j = _channel_index(m, c, f"block {bname!r}")
        lo_t, hi_t = _period_index(dates, first, f"block {bname!r}"), _period_index(dates, last, f"block {bname!r}")
        if lo_t > hi_t:
            raise ValueError(f"block {bname!r}: its first period comes after its last")
        cells = [(t, j) for t in range(lo_t, hi_t + 1) if np.isnan(fixed[t, j])]
        if cells:
            blocks.append((str(bname), cells, np.zeros(0)))
    rf_set = set(getattr(m, "rf_channels", None) or {})

    def _rf_index(c: str, what: str) -> int:
        if c not in rf_set:
            raise ValueError(
                f"{what}: {c!r} is not a reach-and-frequency channel of the fit ({', '.join(sorted(rf_set)) or 'none'})"
            )
        return _channel_index(m, c, what)

    frequency_caps = []
    for c, spec in dict(k.get("max_frequency", {})).items():
        F, periods = spec if isinstance(spec, tuple) else (spec, None)
        frequency_caps.append(
            (
                _rf_index(c, "max_frequency"),
                float(F),
                [_period_index(dates, p, "max_frequency") for p in (periods or [])],
            )
        )
    reach_targets = []
    for c, spec in dict(k.get("reach_targets", {})).items():
        if not isinstance(spec, tuple) or len(spec) not in (2, 3):
            raise ValueError(
                f"reach_targets[{c!r}] must be (k, share), (k, share, [periods]) or (k, share, 'horizon'), got {spec!r}"
            )
        kk, share = int(spec[0]), float(spec[1])
        where = spec[2] if len(spec) == 3 else None
        horizon_wide = isinstance(where, str)
        if horizon_wide and where != "horizon":
            raise ValueError(
                f"reach_targets[{c!r}]: the third entry must be a list of periods or 'horizon', got {where!r}"
            )
        periods = [] if (where is None or horizon_wide) else [_period_index(dates, p, "reach_targets") for p in where]
        reach_targets.append((_rf_index(c, "reach_targets"), kk, share, not horizon_wide, periods))
    v = _value(fit, value_per_outcome)
    pm = _planner(fit, H, tail, tail_coverage, discount, max_draws, threads, cost_per_unit=cost_per_unit, rf=rf)
    task, tgt, troi = "maximize", float("nan"), float("nan")
    if target is not None and target_roi is not None:
        raise ValueError("give target= or target_roi=, not both")
    if target is not None:
        task, tgt = "min_spend", float(target)
    if target_roi is not None:
        task, troi = "max_with_roi", float(target_roi)
    mroi = 0.0
    if marginal_roi is not None:
        mroi = float(marginal_roi)
        if not (np.isfinite(mroi) and mroi > -1.0):
            raise ValueError(f"marginal_roi must be a finite number > -1 (a net ROI), got {marginal_roi!r}")
        if objective != "net_value" or task != "maximize":
            raise ValueError(
                "marginal_roi weighs the spend in objective='net_value' (value - (1 + r) spend); "
                f"got objective={objective!r}{' with target=/target_roi=' if task != 'maximize' else ''}"
            )
        if budget_mode != "cap":
            raise ValueError(
                "marginal_roi decides how much to spend, so the budget must be a cap: "
                "constraints={'budget': 'cap'} (an exact budget fixes the spend)"
            )
    reference_values = np.zeros(0)
    tau = 1.0
    goal = objective if task != "min_spend" else "outcome"
    if task == "max_with_roi":
        goal = "value"
    if risk == "prob_beat":
        _, _, reference_values = pm.criterion(
            ref.to_numpy(), goal=goal, risk="mean", value_per_outcome=v, marginal_roi=mroi
        )
        tau = max(0.01 * float(np.mean(np.abs(reference_values))), 1e-12)
    st = ref.to_numpy() if start is None else _as_schedule(fit, start, H).to_numpy()
    if isinstance(draw_optima, bool) or not isinstance(draw_optima, (int, np.integer)) or draw_optima < 0:
        raise ValueError(f"draw_optima must be an integer >= 0, got {draw_optima!r}")
    n_draws = pm.draws
    chosen = (
        sorted(set(np.linspace(0, n_draws - 1, min(int(draw_optima), n_draws)).round().astype(int).tolist()))
        if n_draws > 1 and draw_optima > 0
        else []
    )
    common: dict[str, Any] = dict(
        goal=goal,
        risk=risk,
        value_per_outcome=v,
        level=float(level),
        tau=tau,
        task=task,
        target=tgt,
        target_roi=troi,
        budget=B,
        budget_equality=budget_mode == "equal" and task == "maximize",
        lower=lower,
        upper=upper,
        fixed=fixed,
        channel_totals=channel_totals,
        period_totals=period_totals,
        groups=groups,
        max_change=max_change,
        blocks=blocks,
        algorithm=algorithm,
        max_evaluations=int(max_evaluations),
        seed=int(seed),
        frequency_caps=frequency_caps,
        reach_targets=reach_targets,
        marginal_roi=mroi,
    )
    if starts is None:
        starts = 0  # auto (C++): 1 when certified concave, else 2
    elif isinstance(starts, bool) or not isinstance(starts, (int, np.integer)) or starts < 1:
        raise ValueError(f"starts must be an integer >= 1 or None (auto), got {starts!r}")
    presolve = None
    if presolve_draws is not None:
        if isinstance(presolve_draws, bool) or not isinstance(presolve_draws, (int, np.integer)) or presolve_draws < 1:
            raise ValueError(f"presolve_draws must be an integer >= 1 or None, got {presolve_draws!r}")
        if presolve_draws < n_draws:
            # stage 1: evenly spaced draws of the same set, every start
            idx = np.linspace(0, n_draws - 1, int(presolve_draws)).round().astype(int)
            t0 = time.perf_counter()
            sub = _planner(
                fit,
                H,
                tail,
                tail_coverage,
                discount,
                max_draws,
                threads,
                draws=np.ascontiguousarray(fit._draw_matrix(max_draws)[idx]),
                cost_per_unit=cost_per_unit,
                rf=rf,
            )
            r1, _ = _core.plan.optimize(
                sub,
                reference=reference_values[idx] if reference_values.size else reference_values,
                starts=int(starts),
                start=np.ascontiguousarray(st),
                draw_optima=[],
                **common,
            )
            presolve = {
                "draws": int(presolve_draws),
                "evaluations": int(r1.evaluations),
                "seconds": time.perf_counter() - t0,
                "converged": bool(r1.converged),
            }
            st = np.asarray(r1.schedule)
            starts = 1
    r, own = _core.plan.optimize(
        pm, reference=reference_values, starts=int(starts), start=np.ascontiguousarray(st), draw_optima=chosen, **common
    )
    sched = pd.DataFrame(np.asarray(r.schedule), index=dates, columns=pd.Index(m.channels, name="channel"))
    info = {key: getattr(r, key) for key in INFO_KEYS}
    info["presolve"] = presolve
    info["draw_optima"] = pd.DataFrame(
        {k: np.array([getattr(o, k) for o in own], dtype=bool if k == "converged" else None) for k in _DRAW_OPTIMUM}
    ).set_index("draw")
    p, rp = _path_arrays(pm, sched.to_numpy()), _path_arrays(pm, ref.to_numpy())
    zp = _path_arrays(pm, np.zeros_like(sched.to_numpy()), ("outcome", "total"))
    settings = {
        "objective": objective,
        "risk": risk,
        "level": level,
        "budget": B,
        "budget_mode": budget_mode,
        "granularity": granularity,
        "tail": tail,
        "tail_coverage": tail_coverage,
        "discount": discount,
        "tail_periods_mean": float(np.mean(p["tail_periods"])),
        "task": task,
        "marginal_roi": mroi,
    }
    return PlanResult(sched, ref, p, rp, H, v, m.outcome, info, settings, name, zero_paths=zp)
