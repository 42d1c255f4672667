"""Geo experiments and holdouts in the simulated world, with their true effect.

The arithmetic is in C++ (``trustmix::simulate::run_geo_experiment``, include/trustmix/
simulate/geo.hpp); this module turns regions and dates into its arguments and its arrays
into long DataFrames that ``trustmix.evaluate`` reads directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core

from ._world import _FREQ_DAYS, World

__all__ = ["GeoExperimentResult", "geo_experiment", "make_regions"]

_STATE_VERSION = 1


def make_regions(
    n: int,
    *,
    seed: int = 0,
    size_sd: float = 0.5,
    mix_sd: float = 0.3,
    conversion_sd: float = 0.1,
    audiences: Sequence[str] = (),
    prefix: str = "region",
) -> list[dict[str, Any]]:
    """``n`` heterogeneous regions for :func:`geo_experiment`, drawn from ``seed``.

    Region i: ``size`` = exp(size_sd z_i) / mean (population and media multiplier, mean 1),
    ``conversion_scale`` = exp(conversion_sd z'_i) (multiplier of base conversion rates),
    and for each name in ``audiences`` an ``audience_mix`` multiplier exp(mix_sd z''_ia)
    (the region's over- or under-representation of that audience); z standard normal.
    """
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2 (regions), got {n!r}")
    for name, v in (("size_sd", size_sd), ("mix_sd", mix_sd), ("conversion_sd", conversion_sd)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    rng = np.random.default_rng(seed)
    size = np.exp(size_sd * rng.standard_normal(n))
    size /= size.mean()
    conv = np.exp(conversion_sd * rng.standard_normal(n))
    mix = np.exp(mix_sd * rng.standard_normal((n, len(audiences))))
    width = len(str(n - 1))
    return [
        {
            "name": f"{prefix}_{i:0{width}d}",
            "size": float(size[i]),
            "conversion_scale": float(conv[i]),
            "audience_mix": {a: float(mix[i, k]) for k, a in enumerate(audiences)},
        }
        for i in range(n)
    ]


def _period(world_start: pd.Timestamp, days: int, when: Any, name: str, periods: int) -> int:
    if isinstance(when, (int, np.integer)) and not isinstance(when, (bool, np.bool_)):
        t = int(when)
    else:
        try:
            ts = pd.Timestamp(when)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{name} must be a period index or a date, got {when!r}") from e
        t = (ts - world_start).days // days
    if not 0 <= t < periods:
        raise ValueError(f"{name} {when!r} is period {t}, outside the run's periods 0..{periods - 1}")
    return t


def geo_experiment(
    world: World,
    *,
    regions: int | Sequence[dict[str, Any]] = 20,
    treated: Sequence[str] | int,
    channel: str,
    start: Any,
    end: Any,
    spend_multiplier: float = 0.0,
    periods: int = 104,
    freq: str = "W",
    threads: int = 0,
    seed: int = 1,
) -> GeoExperimentResult:
    """Runs ``world`` in several regions and a geo test in some of them, with the truth.

    Every region is the world's scenario scaled by its ``size`` (audiences, budgets, PR
    reach and costs, organic impressions: frequencies unchanged), its ``audience_mix`` and
    ``conversion_scale``; dated activity (flights, PR, crises, seasonality) is common,
    coverage and people's draws are the region's own. In the ``treated`` regions the paid
    spend of ``channel`` is multiplied by ``spend_multiplier`` over periods ``start`` ..
    ``end`` (inclusive; indices or dates): 0 is a holdout (the channel goes dark), 2 doubles
    it. Segment mode.

    Truth (exact expected-value chain, no sampling noise): ``incremental[r, t] = E
    conversions[r, t | test] - E conversions[r, t | no test]``; ``att`` = its mean over
    treated regions and window periods (conversions per region and period).

    Parameters
    ----------
    regions : int or list of dicts
        A number (``make_regions(n, seed=seed, audiences=<the world's audiences>)``) or
        dicts with ``name``, ``size``, ``audience_mix``, ``conversion_scale``.
    treated : list of region names, or an int k (the first k regions)
    """
    if not isinstance(world, World):
        raise ValueError(f"world must be a trustmix.simulate.World, got {type(world).__name__}")
    if freq not in _FREQ_DAYS:
        raise ValueError(f"freq must be 'W' or 'D', got {freq!r}")
    if isinstance(periods, (bool, np.bool_)) or not isinstance(periods, (int, np.integer)) or not 1 <= periods < 2**31:
        raise ValueError(f"periods must be an integer in [1, 2**31), got {periods!r}")
    days = _FREQ_DAYS[freq]
    if isinstance(regions, (bool, np.bool_)):
        raise ValueError(f"regions must be a number of regions or a list of dicts, got {regions!r}")
    if isinstance(regions, (int, np.integer)):
        regions = make_regions(int(regions), seed=seed, audiences=world.segments)
    regions = [dict(r) for r in regions]
    names = [str(r.get("name")) for r in regions]
    if isinstance(treated, (bool, np.bool_)):
        raise ValueError(f"treated must be region names or a number of regions, got {treated!r}")
    if isinstance(treated, (int, np.integer)):
        if not 1 <= treated < len(names):
            raise ValueError(f"treated = {treated} regions: must be in [1, {len(names) - 1}]")
        treated = names[: int(treated)]
    treated = [str(t) for t in ([treated] if isinstance(treated, str) else treated)]
    w0 = pd.Timestamp(world.to_dict().get("start", "2025-01-06"))
    s = _period(w0, days, start, "start", periods)
    e = _period(w0, days, end, "end", periods)
    raw = _core.simulate.run_geo_experiment(
        world._core,
        regions=regions,
        treated=treated,
        channel=str(channel),
        start=s,
        end=e,
        spend_multiplier=float(spend_multiplier),
        periods=int(periods),
        period_days=days,
        threads=int(threads),
        seed=int(seed),
    )
    dates = pd.DatetimeIndex([w0 + pd.Timedelta(days=days * t) for t in range(periods)], name="date")
    settings = dict(
        channel=str(channel),
        spend_multiplier=float(spend_multiplier),
        periods=int(periods),
        freq=freq,
        seed=int(seed),
        world_seed=world.seed,
        regions=regions,
    )
    return GeoExperimentResult(raw, dates, settings)


class GeoExperimentResult:
    """Outcomes of a simulated geo experiment and its true effect.

    Attributes
    ----------
    panel : DataFrame
        Long table, one row per region and period: region, date, conversions, revenue
        (realised), spend (of the tested channel, as run), treated (bool), post (bool: in
        the window). Ready for ``tm.evaluate.synthetic_control(panel, unit="region",
        time="date", outcome="conversions", treated=result.treated, start=result.start,
        end=result.end)``.
    truth : DataFrame
        region, date, incremental_conversions (exact), incremental_revenue,
        realised_incremental_conversions (common random numbers), incremental_spend,
        counterfactual_conversions (exact chain without the test).
    att : float
        True mean incremental conversions per treated region and window period.
    att_realised : float
        The same from the realised increments.
    treated, regions : list[str]
    start, end : Timestamp
        First and last period of the window.
    """

    def __init__(self, raw: _core.simulate.GeoResult, dates: pd.DatetimeIndex, settings: dict[str, Any]):
        self.settings = settings
        self.regions = list(raw.regions)
        flags = np.asarray(raw.treated, dtype=bool)
        self.treated = [r for r, f in zip(self.regions, flags, strict=True) if f]
        s, e = int(raw.start), int(raw.end)
        self.start, self.end = dates[s], dates[e]
        self.att = float(raw.att)
        self.att_realised = float(raw.att_realised)
        R, T = len(self.regions), len(dates)
        region = np.repeat(np.array(self.regions, dtype=object), T)
        date = np.tile(dates.to_numpy(), R)
        post = np.tile((np.arange(T) >= s) & (np.arange(T) <= e), R)
        self.panel = pd.DataFrame(
            {
                "region": region,
                "date": date,
                "conversions": np.asarray(raw.conversions).ravel(),
                "revenue": np.asarray(raw.revenue).ravel(),
                "spend": np.asarray(raw.spend).ravel(),
                "treated": np.repeat(flags, T),
                "post": post,
            }
        )
        self.truth = pd.DataFrame(
            {
                "region": region,
                "date": date,
                **{
                    k: np.asarray(getattr(raw, k)).ravel()
                    for k in (
                        "incremental_conversions",
                        "incremental_revenue",
                        "realised_incremental_conversions",
                        "incremental_spend",
                        "counterfactual_conversions",
                    )
                },
            }
        )

    @property
    def incremental_spend(self) -> float:
        """Total change of the tested channel's spend (currency; negative for a holdout)."""
        return float(self.truth["incremental_spend"].sum())

    @property
    def incremental_conversions(self) -> float:
        """True total incremental conversions over the window (treated regions)."""
        t = self.truth
        window = (t["date"] >= self.start) & (t["date"] <= self.end)
        return float(t.loc[window, "incremental_conversions"].sum())

    def summary(self) -> pd.DataFrame:
        """One row per statistic with a description."""
        rows = [
            ("channel", self.settings["channel"], "tested channel"),
            ("spend_multiplier", self.settings["spend_multiplier"], "paid spend x this in treated regions (0: dark)"),
            ("treated", ", ".join(self.treated), "treated regions"),
            ("window", f"{self.start.date()} .. {self.end.date()}", "test periods (inclusive)"),
            ("att", self.att, "true mean incremental conversions per treated region and period"),
            ("att_realised", self.att_realised, "the same from the realised runs (common random numbers)"),
            ("incremental_conversions", self.incremental_conversions, "true total over the window"),
            ("incremental_spend", self.incremental_spend, "change of the channel's spend (currency)"),
        ]
        return pd.DataFrame(rows, columns=["statistic", "value", "description"]).set_index("statistic")

    def _repr_html_(self) -> str:
        return "<div><h4>Simulated geo experiment</h4>" + self.summary()[["value"]].astype(str).to_html() + "</div>"

    def __repr__(self) -> str:
        return f"GeoExperimentResult(channel={self.settings['channel']!r}, treated={self.treated}, att={self.att:.6g})"

    def plot(self, ax: Any = None) -> Any:
        """Mean conversions of treated and control regions per period, window shaded."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4))
        p = self.panel
        for flag, label in ((True, "treated (mean)"), (False, "control (mean)")):
            m = p[p["treated"] == flag].groupby("date")["conversions"].mean()
            ax.plot(m.index, m.to_numpy(), label=label)
        ax.axvspan(self.start, self.end, color="grey", alpha=0.2)
        ax.set_ylabel("conversions per region")
        ax.legend()
        return ax

    def __getstate__(self) -> dict[str, Any]:
        return {"version": _STATE_VERSION, **self.__dict__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version") != _STATE_VERSION:
            raise ValueError(f"cannot read a GeoExperimentResult pickled with state version {state.get('version')!r}")
        state = dict(state)
        state.pop("version")
        self.__dict__.update(state)
