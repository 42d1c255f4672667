"""Plans for a geo panel fit with budgets per geo and per group of geos (issues 15 and 20):
:func:`optimize_panel`, :func:`evaluate_panel`, :func:`status_quo_panel` and their
:class:`PanelPlanResult`. The forward model, its exact gradient and the solve are C++
(``include/trustmix/plan/panel.hpp``, on the planner's criteria and solver); this module
turns a :class:`~trustmix.mmm.PanelFit`, geo and channel names into their inputs and the
outputs into DataFrames (docs/plan.md, "Geo panels").
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from trustmix import _core
from trustmix.plan._api import GOALS, INFO_KEYS, RISKS, _value

if TYPE_CHECKING:
    from trustmix.mmm.panel import PanelFit, PanelMMM

__all__ = ["PanelPlanResult", "evaluate_panel", "optimize_panel", "status_quo_panel"]

Bounds = float | tuple[float, float]


# ----------------------------------------------------------------------------- inputs


def _check_fit(fit: Any, what: str) -> None:
    from trustmix.mmm.panel import PanelFit

    if not isinstance(fit, PanelFit):
        raise ValueError(
            f"{what} needs a geo panel fit (tm.mmm.PanelMMM(...).fit(...)), got {type(fit).__name__}; "
            "a national fit is planned by tm.plan.optimize / tm.plan.evaluate"
        )


def _check_horizon(horizon: Any) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be an integer >= 1 (periods), got {horizon!r}")
    return int(horizon)


def _horizon_dates(m: PanelMMM, horizon: int) -> pd.DatetimeIndex:
    step = m.dates[-1] - m.dates[-2]
    return pd.DatetimeIndex([m.dates[-1] + step * (i + 1) for i in range(horizon)], name="date")


def _planned(m: PanelMMM, channels: Sequence[str] | None) -> tuple[list[str], list[int]]:
    """The channels to plan (bought per geo) and their model indices."""
    names = list(m.channel_names)
    if channels is None:
        chans = [c for c in names if c not in m.national_channels]
        if not chans:
            raise ValueError("channels: the fit has no geo-bought channel to plan (every channel is national)")
    else:
        if isinstance(channels, str):
            raise ValueError(f"channels must be a sequence of channel names, got the string {channels!r}")
        chans = [str(c) for c in channels]
        if not chans:
            raise ValueError("channels must name at least one geo-bought channel")
        for c in chans:
            if c not in names:
                raise ValueError(f"channels: unknown channel {c!r} (the fit's channels: {', '.join(names)})")
            if c in m.national_channels:
                raise ValueError(
                    f"channels: {c!r} is bought nationally; the panel planner plans geo-bought channels "
                    "(a national channel is held at its status quo level over the plan)"
                )
        if len(set(chans)) != len(chans):
            raise ValueError(f"channels names a channel twice: {chans}")
    return chans, [names.index(c) for c in chans]


def _units_per_spend(m: PanelMMM, idx: Sequence[int]) -> np.ndarray:
    """Per planned channel and geo (K x G): the model's activity (per capita, scaled) per
    unit of spend, u[k, g] = (activity / spend of the geo over the data) / (population of
    the data's last period x the channel's media_scale); a geo that never spent on the
    channel takes the channel's ratio over all geos."""
    scale = np.asarray(m._scales.media_scale, dtype=float)
    pop_last = np.asarray(m.population, dtype=float)[-1]
    out = np.empty((len(idx), len(m.geos)))
    for k, c in enumerate(idx):
        act = np.asarray(m._scales.activity[c], dtype=float).sum(axis=0)
        sp = np.asarray(m.spend_by_geo[c], dtype=float).sum(axis=0)
        if not (sp.sum() > 0 and act.sum() > 0):
            raise ValueError(
                f"channels: {m.channel_names[c]!r} has no spend or no activity in the data, so the planner cannot "
                "turn spend into its activity"
            )
        overall = act.sum() / sp.sum()
        ratio = np.full_like(act, overall)
        ok = (sp > 0) & (act > 0)
        ratio[ok] = act[ok] / sp[ok]
        out[k] = ratio / (pop_last * scale[c])
    return out


def _last_rows(a: np.ndarray, horizon: int) -> np.ndarray:
    """The last ``horizon`` rows of a (T x G), tiled when T is shorter."""
    reps = int(np.ceil(horizon / len(a)))
    return np.vstack([a] * reps)[-horizon:] if reps > 1 else a[-horizon:]


def _other_activity(m: PanelMMM, idx: Sequence[int], horizon: int, others: str) -> np.ndarray:
    """C x G activity (per capita, scaled) of the channels not planned over each plan
    period: 0, or the mean of the data's last ``horizon`` periods (``others="status_quo"``)."""
    C, G = len(m.channel_names), len(m.geos)
    out = np.zeros((C, G))
    if others == "zero":
        return out
    pop = np.asarray(m.population, dtype=float)
    scale = np.asarray(m._scales.media_scale, dtype=float)
    for c in range(C):
        if c in idx:
            continue
        pc = np.asarray(m._scales.activity[c], dtype=float) / pop / scale[c]
        out[c] = _last_rows(pc, horizon).mean(axis=0)
    return out


def _tail(fit: PanelFit, draws: np.ndarray, tail: Any, tail_coverage: float) -> int:
    """Periods after the plan counted: ``tail`` periods, or (``"auto"``) max_lag plus the
    periods after which at most 1 - ``tail_coverage`` of the trust stock's effect remains
    under the slowest draw (delta^t <= 1 - coverage); max_lag without a trust stock."""
    m = fit.model
    L = int(m._args["max_lag"])
    if not isinstance(tail, str):
        if isinstance(tail, bool) or not isinstance(tail, (int, np.integer)) or tail < 0:
            raise ValueError(f"tail must be 'auto' or an integer >= 0 (periods), got {tail!r}")
        return int(tail)
    if tail != "auto":
        raise ValueError(f"tail must be 'auto' or an integer >= 0 (periods), got {tail!r}")
    if not (0 < tail_coverage < 1):
        raise ValueError(f"tail_coverage must be in (0, 1), got {tail_coverage!r}")
    if m.trust == "off":
        return L
    names = list(m._core.constrained_names)
    cols = [i for i, n in enumerate(names) if n == "delta" or n.startswith("delta[")]
    delta = float(np.max(np.asarray(m._core.constrain_draws(draws))[:, cols])) if cols else 0.0
    if not (0 < delta < 1):
        return L
    return L + int(math.ceil(math.log(1.0 - tail_coverage) / math.log(delta)))


def _cell_name(text: str, chans: Sequence[str], geos: Sequence[str], dates: pd.DatetimeIndex | None) -> str:
    """The solver's ``cell[t, j]`` (j = k G + g) as ``cell[channel, geo, date]``."""

    def name(m: re.Match[str]) -> str:
        t, j = int(m[1]), int(m[2])
        k, g = divmod(j, len(geos))
        if k >= len(chans) or dates is None or t >= len(dates):
            return m[0]
        return f"cell[{chans[k]}, {geos[g]}, {dates[t].date()}]"

    return re.sub(r"cell\[(\d+), (\d+)\]", name, text)


def _bounds(v: Any, what: str) -> tuple[float, float]:
    """An amount (spent exactly) or (lower, upper), checked: 0 <= lower <= upper; None in a
    pair is an open side (lower 0, upper infinity)."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{what} must be an amount or a (lower, upper) pair, got {v!r}")
        lo, hi = v
        lo = 0.0 if lo is None else lo
        hi = math.inf if hi is None else hi
    else:
        lo = hi = v
    for x in (lo, hi):
        if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
            raise ValueError(f"{what} must be an amount or a (lower, upper) pair of numbers, got {v!r}")
    lo, hi = float(lo), float(hi)
    if not (lo >= 0 and hi >= lo and not math.isnan(hi) and math.isfinite(lo)):
        raise ValueError(f"{what} must satisfy 0 <= lower <= upper (currency), got {v!r}")
    return lo, hi


def _budgets(
    m: PanelMMM, geo_budgets: Mapping[str, Bounds] | None, groups: Mapping[str, Any] | None
) -> list[tuple[str, str, list[str], float, float]]:
    """(name, kind "geo" or "group", geos, lower, upper) of every budget, checked."""
    out: list[tuple[str, str, list[str], float, float]] = []
    known = ", ".join(m.geos)
    for g, b in dict(geo_budgets or {}).items():
        if str(g) not in m.geos:
            raise ValueError(f"geo_budgets: {g!r} is not a geo of the fit ({known})")
        lo, hi = _bounds(b, f"geo_budgets[{g!r}]")
        out.append((str(g), "geo", [str(g)], lo, hi))
    for name, spec in dict(groups or {}).items():
        if (
            not isinstance(spec, (tuple, list))
            or len(spec) != 2
            or isinstance(spec[0], str)
            or not isinstance(spec[0], Sequence)
        ):
            raise ValueError(f"groups[{name!r}] must be (geos, amount or (lower, upper)), got {spec!r}")
        members = [str(g) for g in spec[0]]
        if not members:
            raise ValueError(f"groups[{name!r}] names no geo")
        for g in members:
            if g not in m.geos:
                raise ValueError(f"groups[{name!r}]: {g!r} is not a geo of the fit ({known})")
        if len(set(members)) != len(members):
            raise ValueError(f"groups[{name!r}] names a geo twice: {members}")
        if str(name) in {b[0] for b in out}:
            raise ValueError(f"groups: the name {name!r} is already a geo budget's; give the group another name")
        lo, hi = _bounds(spec[1], f"groups[{name!r}]")
        out.append((str(name), "group", members, lo, hi))
    return out


def _long(cube: np.ndarray, dates: pd.DatetimeIndex, chans: Sequence[str], geos: Sequence[str]) -> pd.DataFrame:
    """A long frame (geo, date, channel, spend) from an H x K x G array."""
    H, K, G = cube.shape
    return pd.DataFrame(
        {
            "geo": np.tile(np.array(geos, dtype=object), H * K),
            "date": np.repeat(dates, K * G),
            "channel": np.tile(np.repeat(np.array(chans, dtype=object), G), H),
            "spend": cube.reshape(-1),
        }
    )


def _cube(frame: pd.DataFrame, dates: pd.DatetimeIndex, chans: Sequence[str], geos: Sequence[str]) -> np.ndarray:
    """The H x K x G array of a long frame (geo, date, channel, spend)."""
    H, K, G = len(dates), len(chans), len(geos)
    return np.asarray(frame["spend"], dtype=float).reshape(H, K, G)


def status_quo_panel(fit: PanelFit, horizon: int, channels: Sequence[str] | None = None) -> pd.DataFrame:
    """The status quo panel plan: each geo's spend on each planned channel over the data's
    last ``horizon`` periods, repeated (tiled when the data are shorter), on the horizon's
    dates. Long: ``geo``, ``date``, ``channel``, ``spend`` (currency)."""
    _check_fit(fit, "status_quo_panel")
    m = fit.model
    H = _check_horizon(horizon)
    chans, idx = _planned(m, channels)
    cube = np.stack([_last_rows(np.asarray(m.spend_by_geo[c], dtype=float), H) for c in idx], axis=1)
    return _long(cube, _horizon_dates(m, H), chans, m.geos)


def _as_cube(
    fit: PanelFit, schedule: Any, horizon: int | None, chans: Sequence[str], what: str = "schedule"
) -> np.ndarray:
    """H x K x G spend of a schedule: a long DataFrame (geo, channel, spend and date or
    period; every cell once) or an array periods x channels x geos."""
    m = fit.model
    K, G = len(chans), len(m.geos)
    if isinstance(schedule, pd.DataFrame):
        missing = [c for c in ("geo", "channel", "spend") if c not in schedule.columns]
        when = "date" if "date" in schedule.columns else "period" if "period" in schedule.columns else None
        if missing or when is None:
            need = missing + ([] if when else ["date or period"])
            raise ValueError(f"{what} lacks column(s) {', '.join(need)} (a long frame: geo, date, channel, spend)")
        f = schedule.copy()
        unknown = sorted(set(map(str, f["geo"])) - set(m.geos))
        if unknown:
            raise ValueError(f"{what}: {unknown[0]!r} is not a geo of the fit ({', '.join(m.geos)})")
        unknown = sorted(set(map(str, f["channel"])) - set(chans))
        if unknown:
            raise ValueError(f"{what}: channel {unknown[0]!r} is not planned (planned: {', '.join(chans)})")
        keys = pd.Index(f[when])
        periods = keys.unique().sort_values()
        H = len(periods) if horizon is None else horizon
        if len(periods) != H:
            raise ValueError(f"{what} has {len(periods)} periods, horizon is {H}")
        if when == "date":
            want = _horizon_dates(m, H)
            if not pd.DatetimeIndex(periods).equals(want):
                raise ValueError(
                    f"{what}: dates must be the {H} periods after the data ({want[0].date()} .. {want[-1].date()})"
                )
        cube = np.full((H, K, G), np.nan)
        ti = periods.get_indexer(keys)
        ki = f["channel"].astype(str).map({c: i for i, c in enumerate(chans)}).to_numpy()
        gi = f["geo"].astype(str).map({g: i for i, g in enumerate(m.geos)}).to_numpy()
        if f.duplicated(["geo", "channel", when]).any():
            row = f[f.duplicated(["geo", "channel", when])].iloc[0]
            raise ValueError(f"{what}: geo {row['geo']!r}, channel {row['channel']!r}, {when} {row[when]} twice")
        cube[ti, ki, gi] = f["spend"].to_numpy(dtype=float)
        if np.isnan(cube).any():
            t, k, g = np.argwhere(np.isnan(cube))[0]
            raise ValueError(f"{what}: no spend for geo {m.geos[g]!r}, channel {chans[k]!r}, period {t}")
    else:
        cube = np.asarray(schedule, dtype=float)
        if cube.ndim != 3 or cube.shape[1:] != (K, G):
            raise ValueError(f"{what} must be periods x {K} channels x {G} geos, got shape {cube.shape}")
        if horizon is not None and len(cube) != horizon:
            raise ValueError(f"{what} has {len(cube)} periods, horizon is {horizon}")
    bad = ~np.isfinite(cube) | (cube < 0)
    if bad.any():
        t, k, g = np.argwhere(bad)[0]
        raise ValueError(
            f"{what}: geo {m.geos[g]!r}, channel {chans[k]!r}, period {t} is {cube[t, k, g]}; spend must be "
            "finite and >= 0"
        )
    return cube


def _matrix(cube: np.ndarray) -> np.ndarray:
    """The C++ schedule (H x K G, column k G + g) of an H x K x G array."""
    H, K, G = cube.shape
    return np.ascontiguousarray(cube.reshape(H, K * G))


# ----------------------------------------------------------------------------- results


class PanelPlanResult:
    """A panel plan (or an evaluated panel schedule) with its posterior consequences,
    per geo and in total, against a reference plan (the status quo by default).

    Outcomes are what media and the trust stock produce in each geo over the plan and its
    tail (raw outcome units: per-capita model units x the geo's population x the outcome's
    scale; the baseline, which no plan changes, left out), per posterior draw.

    Attributes
    ----------
    schedule, reference : DataFrame
        Long: ``geo``, ``date`` (the periods after the data), ``channel``, ``spend``
        (currency): the plan and the plan it is compared with.
    geo_outcomes, reference_geo_outcomes, zero_geo_outcomes : ndarray
        Per draw (rows) and geo (columns): the outcome of the plan, of the reference, and of
        spending nothing on the planned channels (the history's carry-over alone).
    draws : DataFrame
        Per draw: ``outcome``, ``ref_outcome``, ``zero_outcome`` (totals over geos),
        ``value`` and ``ref_value`` (x value per outcome).
    info : dict
        The optimiser's certificate (``converged``, ``status``, ``kkt_residual``,
        ``active``, ``max_violation``, ``starts_agreeing``, ``moved``, ``message``,
        ``objective``); empty for :func:`evaluate_panel`.
    solution : trustmix._core.plan.PlanSolution or None
        The C++ solver's typed result (schedule as periods x channel-geo columns k G + g).
    budgets_given : list
        The geo and group budgets: (name, "geo" or "group", geos, lower, upper).
    """

    _STATE_VERSION = 1

    def __init__(
        self,
        schedule: pd.DataFrame,
        reference: pd.DataFrame,
        geo_outcomes: np.ndarray,
        reference_geo_outcomes: np.ndarray,
        zero_geo_outcomes: np.ndarray,
        geos: Sequence[str],
        channels: Sequence[str],
        value_per_outcome: float,
        outcome: str,
        budgets: Sequence[tuple[str, str, list[str], float, float]] = (),
        solution: Any = None,
        settings: Mapping[str, Any] | None = None,
        name: str = "plan",
    ) -> None:
        self.schedule = schedule
        self.reference = reference
        self.geo_outcomes = np.asarray(geo_outcomes, dtype=float)
        self.reference_geo_outcomes = np.asarray(reference_geo_outcomes, dtype=float)
        self.zero_geo_outcomes = np.asarray(zero_geo_outcomes, dtype=float)
        self.geos = list(geos)
        self.channels = list(channels)
        self.value_per_outcome = float(value_per_outcome)
        self.outcome = outcome
        self.budgets_given = [(n, k, list(g), float(lo), float(hi)) for n, k, g, lo, hi in budgets]
        self.solution = solution
        self.info: dict[str, Any] = {} if solution is None else {k: getattr(solution, k) for k in INFO_KEYS}
        if "active" in self.info:  # the solver's cell[t, k G + g] named by channel, geo and date
            dates = pd.DatetimeIndex(sorted(pd.unique(schedule["date"]))) if len(schedule) else None
            self.info["active"] = [_cell_name(str(a), self.channels, self.geos, dates) for a in self.info["active"]]
        self.settings = dict(settings or {})
        self.name = name
        d = pd.DataFrame(
            {
                "outcome": self.geo_outcomes.sum(axis=1),
                "ref_outcome": self.reference_geo_outcomes.sum(axis=1),
                "zero_outcome": self.zero_geo_outcomes.sum(axis=1),
            }
        )
        d["value"] = d["outcome"] * self.value_per_outcome
        d["ref_value"] = d["ref_outcome"] * self.value_per_outcome
        d.index.name = "draw"
        self.draws = d

    @property
    def objective(self) -> float:
        """The criterion at the plan (goal and risk measure of ``settings``); NaN when evaluated."""
        return float(self.info.get("objective", float("nan")))

    # -- tables
    def allocation(self, reference: bool = False) -> pd.DataFrame:
        """Spend over the plan per geo (rows, in the fit's order) and channel (columns),
        currency; ``reference=True``: the reference plan's."""
        f = self.reference if reference else self.schedule
        t = f.pivot_table(index="geo", columns="channel", values="spend", aggfunc="sum", sort=False)
        return t.reindex(index=self.geos, columns=self.channels).rename_axis(index="geo", columns="channel")

    def by_geo(self, interval: float = 0.9) -> pd.DataFrame:
        """Per geo: ``spend`` and ``reference_spend`` over the plan (currency), ``share`` of
        the plan's spend; ``outcome`` (posterior mean over plan + tail) with the
        equal-tailed ``interval`` (``outcome_low``, ``outcome_high``); ``reference_outcome``;
        ``difference`` (plan - reference, posterior mean) with its interval; and
        ``prob_beats_reference`` (share of draws where the geo's outcome is higher)."""
        lo, hi = _interval(interval)
        sp = self.allocation().sum(axis=1)
        rsp = self.allocation(reference=True).sum(axis=1)
        y, r = self.geo_outcomes, self.reference_geo_outcomes
        out = pd.DataFrame(index=pd.Index(self.geos, name="geo"))
        out["spend"] = sp.to_numpy()
        out["reference_spend"] = rsp.to_numpy()
        total = float(sp.sum())
        out["share"] = sp.to_numpy() / total if total > 0 else np.nan
        out["outcome"] = y.mean(axis=0)
        out["outcome_low"] = np.quantile(y, lo, axis=0)
        out["outcome_high"] = np.quantile(y, hi, axis=0)
        out["reference_outcome"] = r.mean(axis=0)
        out["difference"] = (y - r).mean(axis=0)
        out["difference_low"] = np.quantile(y - r, lo, axis=0)
        out["difference_high"] = np.quantile(y - r, hi, axis=0)
        out["prob_beats_reference"] = (y > r).mean(axis=0)
        return out

    def summary(self, interval: float = 0.9) -> pd.DataFrame:
        """The plan against the reference over all geos, as the national
        :meth:`PlanResult.summary <trustmix.plan.PlanResult.summary>`: one row per quantity,
        columns ``plan``, ``reference``, ``difference`` (posterior means) and the
        equal-tailed ``interval`` of the difference (``difference_low``,
        ``difference_high``). Rows: ``spend`` (currency); ``outcome`` (media and trust over
        plan + tail, outcome units); ``value`` (x value per outcome); ``incremental``
        (outcome minus that of spending nothing on the planned channels); ``roi``
        ((incremental x value per outcome - spend) / spend); ``prob_beats_reference``."""
        lo, hi = _interval(interval)
        d = self.draws
        sp, rsp = float(self.schedule["spend"].sum()), float(self.reference["spend"].sum())
        rows: dict[str, tuple[float, float, np.ndarray]] = {"spend": (sp, rsp, np.full(len(d), sp - rsp))}
        for k in ("outcome", "value"):
            rows[k] = (float(d[k].mean()), float(d[f"ref_{k}"].mean()), (d[k] - d[f"ref_{k}"]).to_numpy())
        inc, rinc = d["outcome"] - d["zero_outcome"], d["ref_outcome"] - d["zero_outcome"]
        rows["incremental"] = (float(inc.mean()), float(rinc.mean()), (inc - rinc).to_numpy())
        v = self.value_per_outcome
        roi = (v * inc - sp) / sp if sp > 0 else pd.Series(np.nan, index=d.index)
        rroi = (v * rinc - rsp) / rsp if rsp > 0 else pd.Series(np.nan, index=d.index)
        rows["roi"] = (float(roi.mean()), float(rroi.mean()), (roi - rroi).to_numpy())
        out = pd.DataFrame(
            {
                "plan": [x[0] for x in rows.values()],
                "reference": [x[1] for x in rows.values()],
                "difference": [float(np.mean(x[2])) for x in rows.values()],
                "difference_low": [float(np.quantile(x[2], lo)) for x in rows.values()],
                "difference_high": [float(np.quantile(x[2], hi)) for x in rows.values()],
            },
            index=pd.Index(list(rows), name="quantity"),
        )
        out.loc["prob_beats_reference"] = [float((d["outcome"] > d["ref_outcome"]).mean()), *[np.nan] * 4]
        return out

    def budgets(self) -> pd.DataFrame:
        """Each geo or group budget: ``kind``, ``geos``, ``lower``, ``upper`` (currency),
        the plan's ``spend`` there and whether a bound is ``binding`` (within 1e-6 of the
        total spend), then the ``total`` row."""
        spend = self.schedule.groupby("geo", sort=False)["spend"].sum()
        total = float(self.schedule["spend"].sum())
        tol = 1e-6 * max(total, 1.0)
        rows = []
        for n, kind, geos, lo, hi in self.budgets_given:
            s = float(spend[geos].sum())
            rows.append(
                {
                    "budget": n,
                    "kind": kind,
                    "geos": ", ".join(geos),
                    "lower": lo,
                    "upper": hi,
                    "spend": s,
                    "binding": bool(abs(s - lo) <= tol or abs(s - hi) <= tol),
                }
            )
        B = float(self.settings.get("budget", total))
        rows.append(
            {
                "budget": "total",
                "kind": "total",
                "geos": ", ".join(self.geos),
                "lower": B,
                "upper": B,
                "spend": total,
                "binding": True,
            }
        )
        return pd.DataFrame(rows).set_index("budget")

    def compare(self, *others: PanelPlanResult) -> pd.DataFrame:
        """Several panel plans side by side (one column per plan, by name): spend, expected
        outcome, value, ROI, the gain over each one's reference and the probability of
        beating it."""
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
                    "value": s.loc["value", "plan"],
                    "roi": s.loc["roi", "plan"],
                    "gain_vs_reference": s.loc["outcome", "difference"],
                    "prob_beats_reference": s.loc["prob_beats_reference", "plan"],
                }
            )
        return pd.DataFrame(cols)

    # -- plots and display
    def plot(self, axes: Any = None, interval: float = 0.9) -> Any:
        """Two panels: the plan's spend per geo stacked by channel (the reference's total
        per geo as a marker), and each geo's expected outcome under the plan and the
        reference with the posterior ``interval`` as error bars."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(2, 1, figsize=(max(6.0, 0.5 * len(self.geos) + 3), 7))
        ax0, ax1 = axes
        a = self.allocation()
        x = np.arange(len(self.geos))
        bottom = np.zeros(len(x))
        for j, c in enumerate(a.columns):
            ax0.bar(x, a[c].to_numpy(), bottom=bottom, color=f"C{j}", label=str(c))
            bottom += a[c].to_numpy()
        ax0.plot(x, self.allocation(reference=True).sum(axis=1).to_numpy(), "k_", markersize=14, label="reference")
        ax0.set_xticks(x, self.geos, rotation=45, ha="right")
        ax0.set_ylabel("spend over the plan")
        ax0.set_title(f"{self.name}: spend per geo and channel")
        ax0.legend(fontsize="small")
        g = self.by_geo(interval)
        w = 0.38
        for off, key, label in ((-w / 2, "outcome", self.name), (w / 2, "reference_outcome", "reference")):
            y = self.geo_outcomes if key == "outcome" else self.reference_geo_outcomes
            lo, hi = _interval(interval)
            err = np.vstack([g[key] - np.quantile(y, lo, axis=0), np.quantile(y, hi, axis=0) - g[key]])
            ax1.bar(x + off, g[key].to_numpy(), width=w, yerr=err, capsize=2, label=label)
        ax1.set_xticks(x, self.geos, rotation=45, ha="right")
        ax1.set_ylabel(f"{self.outcome} (plan + tail)")
        ax1.set_title(f"expected {self.outcome} from media and trust per geo ({interval:.0%} interval)")
        ax1.legend(fontsize="small")
        return axes

    def __repr__(self) -> str:
        s = self.summary()
        conv = self.info.get("message", "evaluated, not optimised")
        spend, plan, ref = (
            cast(float, s.loc[r, c]) for r, c in (("spend", "plan"), ("outcome", "plan"), ("outcome", "reference"))
        )
        return (
            f"PanelPlanResult({self.name!r}: {len(self.geos)} geos, spend {spend:,.0f}, expected {self.outcome} "
            f"{plan:,.1f} vs {ref:,.1f}; {conv})"
        )

    def _repr_html_(self) -> str:
        conv = html.escape(str(self.info.get("message", "evaluated, not optimised")))
        parts = [
            f"<h4>PanelPlanResult {html.escape(self.name)}</h4><p>{conv}</p>",
            self.summary().to_html(float_format=lambda v: f"{v:,.3f}"),
            "<h5>Per geo</h5>",
            self.by_geo()[["spend", "reference_spend", "outcome", "reference_outcome", "difference"]].to_html(
                float_format=lambda v: f"{v:,.1f}"
            ),
        ]
        if self.budgets_given:
            parts += ["<h5>Budgets</h5>", self.budgets().to_html(float_format=lambda v: f"{v:,.0f}")]
        return "".join(parts)

    def __getstate__(self) -> dict[str, Any]:
        """Versioned state (version 1): frames, arrays, settings and the typed solution."""
        return {"version": self._STATE_VERSION, **self.__dict__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or state.get("version") != 1:
            raise ValueError(
                "cannot unpickle PanelPlanResult: unsupported state version "
                f"{state.get('version') if isinstance(state, dict) else state!r}"
            )
        state = dict(state)
        state.pop("version")
        self.__dict__.update(state)


def _interval(interval: float) -> tuple[float, float]:
    if not 0 < interval < 1:
        raise ValueError(f"interval must be in (0, 1), got {interval}")
    return (1 - interval) / 2, 1 - (1 - interval) / 2


# ----------------------------------------------------------------------------- API


def _model(
    fit: PanelFit,
    idx: Sequence[int],
    H: int,
    tail: Any,
    tail_coverage: float,
    others: str,
    max_draws: int | None,
    threads: int,
) -> tuple[Any, int]:
    m = fit.model
    if others not in ("status_quo", "zero"):
        raise ValueError(f"others must be 'status_quo' or 'zero', got {others!r}")
    draws = np.ascontiguousarray(fit.draws(max_draws), dtype=float)
    t = _tail(fit, draws, tail, tail_coverage)
    pm = _core.plan.PanelPlanModel(
        m._core,
        draws,
        horizon=H,
        tail=t,
        channels=list(idx),
        units_per_spend=_units_per_spend(m, idx),
        other_activity=_other_activity(m, idx, H, others),
        outcome_scale=float(m._scales.y_scale),
        population=np.asarray(m.population, dtype=float),
        threads=int(threads),
    )
    return pm, t


def evaluate_panel(
    fit: PanelFit,
    schedule: Any,
    *,
    horizon: int | None = None,
    reference: Any = None,
    channels: Sequence[str] | None = None,
    tail: Any = "auto",
    tail_coverage: float = 0.99,
    others: str = "status_quo",
    value_per_outcome: float | None = None,
    max_draws: int | None = 200,
    threads: int = 0,
    name: str = "plan",
) -> PanelPlanResult:
    """Scores a panel schedule on a :class:`~trustmix.mmm.PanelFit`: every posterior draw
    (up to ``max_draws``) runs the panel model over the data's last ``max_lag`` periods, the
    schedule and a tail (``"auto"``: long enough to count ``tail_coverage`` of the trust
    stock's remaining effect), in C++ (``trustmix::plan::PanelPlanModel``).

    ``schedule``: a long DataFrame (``geo``, ``channel``, ``spend`` and ``date`` or
    ``period``; every planned channel x geo x period once), or an array periods x channels
    x geos (the order of ``channels``, default every geo-bought channel, and of the fit's
    geos). ``reference``: the plan to compare with (default: :func:`status_quo_panel`).
    ``others``: the channels not planned (national ones) over the plan: ``"status_quo"``
    (their mean activity of the data's last ``horizon`` periods) or ``"zero"``.
    Returns a :class:`PanelPlanResult`.
    """
    _check_fit(fit, "evaluate_panel")
    m = fit.model
    chans, idx = _planned(m, channels)
    cube = _as_cube(fit, schedule, None if horizon is None else _check_horizon(horizon), chans)
    H = len(cube)
    ref = _cube(status_quo_panel(fit, H, chans), _horizon_dates(m, H), chans, m.geos)
    if reference is not None:
        ref = _as_cube(fit, reference, H, chans, "reference")
    pm, t = _model(fit, idx, H, tail, tail_coverage, others, max_draws, threads)
    v = _value(fit, value_per_outcome)
    dates = _horizon_dates(m, H)
    settings = {"horizon": H, "tail": t, "tail_coverage": tail_coverage, "others": others, "draws": pm.draws}
    return PanelPlanResult(
        _long(cube, dates, chans, m.geos),
        _long(ref, dates, chans, m.geos),
        pm.geo_outcomes(_matrix(cube)),
        pm.geo_outcomes(_matrix(ref)),
        pm.geo_outcomes(np.zeros((H, len(chans) * len(m.geos)))),
        m.geos,
        chans,
        v,
        m.outcome,
        settings=settings,
        name=name,
    )


def optimize_panel(
    fit: PanelFit,
    budget: float | None = None,
    horizon: int = 13,
    *,
    geo_budgets: Mapping[str, Bounds] | None = None,
    groups: Mapping[str, tuple[Sequence[str], Bounds]] | None = None,
    channels: Sequence[str] | None = None,
    objective: str = "net_value",
    risk: str = "mean",
    level: float = 0.1,
    value_per_outcome: float | None = None,
    reference: Any = None,
    tail: Any = "auto",
    tail_coverage: float = 0.99,
    others: str = "status_quo",
    max_draws: int | None = 200,
    starts: int | None = None,
    algorithm: str = "auto",
    max_evaluations: int = 3000,
    seed: int = 0,
    threads: int = 0,
    name: str = "plan",
) -> PanelPlanResult:
    """The spend of the geo-bought channels across geos and periods that maximises a
    criterion of a :class:`~trustmix.mmm.PanelFit`'s posterior under a total budget and
    budgets per geo and per group of geos (``trustmix::plan::optimize_panel``;
    docs/plan.md, "Geo panels").

    The decision is s[t, k, g], the spend on planned channel k in geo g in plan period t.
    Each posterior draw (up to ``max_draws``) runs the panel model over the data's last
    ``max_lag`` periods (their adstock carries into the plan), the ``horizon`` plan periods
    and a ``tail`` after them with no activity, from the trust stock at the data's end. A
    geo's spend becomes activity at the geo's own historical activity per spend, per
    capita. The outcome counted is what media and the stock produce in every geo over plan
    and tail (raw units; the baseline left out). The gradient is exact (reverse mode) and
    the criteria and solver (NLopt SLSQP / AUGLAG with its certificate) are the national
    planner's (:func:`trustmix.plan.optimize`).

    Parameters
    ----------
    budget : float, optional
        Total spend over the plan (currency), spent exactly; default: the status quo's total.
    horizon : int
        Plan periods after the data.
    geo_budgets : mapping, optional
        Geo -> amount (spent exactly in that geo over the plan) or (lower, upper), currency;
        ``None`` leaves a side open: ``(1e5, None)`` at least 1e5, ``(None, 2e5)`` at most 2e5.
    groups : mapping, optional
        Group name -> (geos, amount or (lower, upper)), e.g. regions:
        ``{"north": (["g0", "g1"], (0, 4e5))}``. Budgets no plan can meet (lower bounds
        above the total, disjoint budgets that need more than the total, a geo budget above
        its group's cap, ...) are a ValueError naming them.
    channels : sequence of str, optional
        Channels to plan (bought per geo); default every geo channel of the fit.
    objective : {"net_value", "value", "outcome"}
        Per draw: value - spend, outcome x value per outcome, or the outcome (plan + tail).
    risk : {"mean", "quantile", "cvar", "prob_beat"}
        How draws are aggregated: the mean, the ``level`` quantile, the mean of the worst
        ``level`` share (CVaR), or the probability of beating the reference draw by draw
        (smoothed with a width of 1% of its mean ``|value|``).
    value_per_outcome : float, optional
        Default: the model's (a value of 1 per outcome, with a note, when it has none).
    reference : DataFrame or array, optional
        The plan the result is compared with and the solver's first start (default: the
        status quo, :func:`status_quo_panel`).
    tail, tail_coverage : "auto" or int, float
        Periods counted after the plan: "auto" counts ``tail_coverage`` of the trust
        stock's remaining effect under the slowest draw (plus max_lag).
    others : {"status_quo", "zero"}
        Channels not planned (national ones) over the plan: their mean activity of the
        data's last ``horizon`` periods, or zero.
    starts : int, optional
        Solver starts (the reference, the even plan, random plans); None: the planner's
        automatic choice (2, or 1 when certified concave).

    Returns
    -------
    PanelPlanResult
        ``.schedule`` (geo x date x channel, long), ``.allocation()``, ``.by_geo()``,
        ``.summary()``, ``.budgets()``, ``.plot()``; ``.info`` the certificate.
    """
    _check_fit(fit, "optimize_panel")
    m = fit.model
    if objective not in GOALS:
        raise ValueError(f"objective must be one of {', '.join(GOALS)}, got {objective!r}")
    if risk not in RISKS:
        raise ValueError(f"risk must be one of {', '.join(RISKS)}, got {risk!r}")
    H = _check_horizon(horizon)
    chans, idx = _planned(m, channels)
    dates = _horizon_dates(m, H)
    ref = _cube(status_quo_panel(fit, H, chans), dates, chans, m.geos)
    if reference is not None:
        ref = _as_cube(fit, reference, H, chans, "reference")
    if budget is None:
        B = float(ref.sum())
        if not B > 0:
            raise ValueError("budget: the status quo spends nothing on the planned channels; give budget= (currency)")
    else:
        if isinstance(budget, bool) or not isinstance(budget, (int, float, np.integer, np.floating)):
            raise ValueError(f"budget must be a finite number > 0 (currency), got {budget!r}")
        B = float(budget)
        if not (math.isfinite(B) and B > 0):
            raise ValueError(f"budget must be a finite number > 0 (currency), got {budget!r}")
    budgets = _budgets(m, geo_budgets, groups)
    if starts is not None and (isinstance(starts, bool) or not isinstance(starts, (int, np.integer)) or starts < 1):
        raise ValueError(f"starts must be an integer >= 1 or None (auto), got {starts!r}")
    v = _value(fit, value_per_outcome)
    pm, t = _model(fit, idx, H, tail, tail_coverage, others, max_draws, threads)
    tau, reference_values = 1.0, np.zeros(0)
    if risk == "prob_beat":
        _, _, reference_values = pm.criterion(_matrix(ref), goal=objective, risk="mean", value_per_outcome=v)
        tau = max(0.01 * float(np.mean(np.abs(reference_values))), 1e-12)
    geo_of = {g: i for i, g in enumerate(m.geos)}
    try:
        sol = _core.plan.optimize_panel(
            pm,
            goal=objective,
            risk=risk,
            value_per_outcome=v,
            level=float(level),
            tau=tau,
            reference=reference_values,
            budget=B,
            budgets=[(n, [geo_of[g] for g in gs], lo, hi) for n, _, gs, lo, hi in budgets],
            algorithm=algorithm,
            starts=0 if starts is None else int(starts),
            max_evaluations=int(max_evaluations),
            seed=int(seed),
            start=_matrix(ref) if ref.sum() > 0 else np.zeros((0, 0)),
        )
    except ValueError as e:
        if str(e).startswith("budget") or "inconsistent" in str(e):
            raise ValueError(f"geo_budgets / groups: {e}") from None
        raise
    cube = np.asarray(sol.schedule, dtype=float).reshape(H, len(idx), len(m.geos))
    settings = {
        "objective": objective,
        "risk": risk,
        "level": float(level),
        "budget": B,
        "horizon": H,
        "tail": t,
        "tail_coverage": tail_coverage,
        "others": others,
        "draws": pm.draws,
    }
    return PanelPlanResult(
        _long(cube, dates, chans, m.geos),
        _long(ref, dates, chans, m.geos),
        pm.geo_outcomes(_matrix(cube)),
        pm.geo_outcomes(_matrix(ref)),
        pm.geo_outcomes(np.zeros((H, len(idx) * len(m.geos)))),
        m.geos,
        chans,
        v,
        m.outcome,
        budgets,
        sol,
        settings,
        name,
    )
