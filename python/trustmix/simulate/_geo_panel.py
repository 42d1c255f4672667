"""Regional panel worlds with the exact truth per region and channel, for the recovery
checks of a geo panel model (docs/simulate.md, "Regional panels").

The arithmetic is in C++ (``trustmix::simulate::run_geo_panel``, include/trustmix/simulate/
geo_panel.hpp); this module turns regions, dates and the truth window into its arguments
and its arrays into long DataFrames.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core

from ._geo import _period, make_regions
from ._world import _FREQ_DAYS, World
from .presets import scenario

__all__ = ["GeoPanelResult", "geo_panel"]

_STATE_VERSION = 2  # 2: the reference world kept (run_schedule)


def _world_of(spec: World | dict[str, Any] | str, seed: int) -> World:
    if isinstance(spec, World):
        return spec
    if isinstance(spec, str):
        return World(scenario(spec), seed=seed)
    if isinstance(spec, dict):
        return World(spec, seed=seed)
    raise ValueError(
        f"spec must be a trustmix.simulate.World, a scenario dict or a scenario name, got {type(spec).__name__}"
    )


def geo_panel(
    spec: World | dict[str, Any] | str,
    regions: int | Sequence[dict[str, Any]] = 10,
    *,
    periods: int = 104,
    seed: int = 1,
    national_channels: Sequence[str] = (),
    media_sd: float = 0.3,
    freq: str = "W",
    window: tuple[Any, Any] | None = None,
    horizon: int = 0,
    lag: int | None = None,
    threads: int = 0,
    national_share_sd: float = 0.0,
    test: dict[str, Any] | None = None,
) -> GeoPanelResult:
    """A regional panel of one world, with the exact truth per region and channel.

    The world (``spec``: a :class:`World`, a scenario dict or a scenario name) is run in
    every region scaled by the region's ``size`` (audiences, budgets, PR reach and costs,
    organic impressions), ``audience_mix`` and ``conversion_scale``, as
    :func:`geo_experiment` does. Channels in ``national_channels`` are national: their PR
    coverage is drawn once for the country (every region sees the same mentions on the
    same days, reach apportioned by size) and their paid spend is the national plan x size.
    Every other channel's paid media are bought by region: spend in region r and period t
    is the plan x size_r x exp(s z - s^2 / 2) with s = ``media_sd`` and z standard normal
    per (region, channel, period). Segment mode. With ``national_share_sd`` = sd > 0 a
    region's delivery of each national channel (its PR outlet reach and paid budget) is
    size_r x m[r, c] instead of size_r, m[r, c] = exp(sd z) normalised so that the national
    delivery is kept (``national_share``): the regions' true shares are not their population
    shares, as for a TV buy or a PR story that lands unevenly.

    Truth (per region r and channel c, the estimand of ``TrustFit.roi`` and
    :meth:`SimulationResult.truth_for`): ``incremental[r, c, t] = E conv[r, t | world] -
    E conv[r, t | world without c's activity in W]`` over the data plus ``horizon``
    periods without marketing; ``short_term`` sums t <= end(W) + ``lag``, ``long_term`` the
    rest. W = ``window`` (dates, inclusive; default each channel's own active periods).
    Regions do not interact, so a national channel removed nationally changes each region
    by its regional truth, and its national truth is the sum over regions
    (:meth:`GeoPanelResult.truth_national`).

    Parameters
    ----------
    regions : int or list of dicts
        A number (``make_regions(n, seed=seed, audiences=<the world's audiences>)``) or
        dicts with ``name``, ``size``, ``audience_mix``, ``conversion_scale``.
    national_channels : channel names
    media_sd : float
        Sd of the log of regional paid spend's multiplier, in [0, 3].
    national_share_sd : float
        Sd of the log of each region's share multiplier of a national channel, in [0, 3]
        (0: apportioned by size, the default).
    lag : int, optional
        Short-term lag L in periods (default the world's ``short_term_lag_days``); pass a
        model's ``max_lag`` to match its ROI split.
    test : dict, optional
        A geo experiment run inside the panel: ``treated`` (region names), ``channel`` (a
        regional channel, not in ``national_channels``), ``start`` and ``end`` (dates,
        inclusive) and ``spend_multiplier`` (default 0: a holdout, the channel dark in the
        treated regions; 2: doubled). It multiplies the channel's paid spend in the window
        and the outlet reach and cost of its PR activities dated in it (an earned channel's
        test: e.g. an event tour held out of two regions; each mention keeps its draw, with
        that multiple of its reach; its mentions still count in share of voice). The
        panel, its truth and its worlds are the world as run, test included; the test's
        exact effect per treated region and period, E conv | as run - E conv | the same
        world without the test, is :attr:`GeoPanelResult.test_truth`
        (:meth:`GeoPanelResult.test_lift` sums it). The panel gains a bool ``treated``
        column.
    """
    world = _world_of(spec, seed)
    if freq not in _FREQ_DAYS:
        raise ValueError(f"freq must be 'W' or 'D', got {freq!r}")
    if isinstance(periods, (bool, np.bool_)) or not isinstance(periods, (int, np.integer)) or not 1 <= periods < 2**31:
        raise ValueError(f"periods must be an integer in [1, 2**31), got {periods!r}")
    if isinstance(horizon, (bool, np.bool_)) or not isinstance(horizon, (int, np.integer)) or horizon < 0:
        raise ValueError(f"horizon must be an integer >= 0 (periods after the data), got {horizon!r}")
    if lag is not None and (isinstance(lag, (bool, np.bool_)) or not isinstance(lag, (int, np.integer)) or lag < 0):
        raise ValueError(f"lag must be an integer >= 0 (periods) or None, got {lag!r}")
    if isinstance(national_channels, str):
        national_channels = [national_channels]
    days = _FREQ_DAYS[freq]
    items: Sequence[dict[str, Any]]
    if isinstance(regions, (int, np.integer)) and not isinstance(regions, (bool, np.bool_)):
        if regions < 1:
            raise ValueError(f"regions must be >= 1 (a number of regions or a list of dicts), got {regions}")
        items = (
            make_regions(int(regions), seed=seed, audiences=world.segments)
            if regions >= 2
            else [{"name": "region_0", "size": 1.0}]
        )
    elif isinstance(regions, Sequence) and not isinstance(regions, str):
        items = regions
    else:
        raise ValueError(f"regions must be a number of regions or a list of dicts, got {type(regions).__name__}")
    region_list = [dict(r) for r in items]
    w0 = pd.Timestamp(world.to_dict().get("start", "2025-01-06"))
    lo = hi = -1
    if window is not None:
        lo = _period(w0, days, window[0], "window start", periods)
        hi = _period(w0, days, window[1], "window end", periods)
        if lo > hi:
            raise ValueError(f"window {window!r}: its start comes after its end")
    national = [str(c) for c in national_channels]
    core_test = _core_test(test, w0, days, periods)
    raw = _core.simulate.run_geo_panel(
        world._core,
        regions=region_list,
        national_channels=national,
        media_sd=float(media_sd),
        periods=int(periods),
        period_days=days,
        threads=int(threads),
        seed=int(seed),
        window_start=lo,
        window_end=hi,
        horizon=int(horizon),
        lag_periods=-1 if lag is None else int(lag),
        national_share_sd=float(national_share_sd),
        test=core_test,
    )
    dates = pd.DatetimeIndex([w0 + pd.Timedelta(days=days * t) for t in range(periods + int(horizon))], name="date")
    settings = dict(
        periods=int(periods),
        freq=freq,
        seed=int(seed),
        world_seed=world.seed,
        regions=region_list,
        national_channels=national,
        media_sd=float(media_sd),
        national_share_sd=float(national_share_sd),
        window=window,
        horizon=int(horizon),
        lag=lag,
        test=core_test,
    )
    return GeoPanelResult(raw, dates, settings, world)


def _core_test(test: dict[str, Any] | None, w0: pd.Timestamp, days: int, periods: int) -> dict[str, Any] | None:
    """The core's form of ``geo_panel``'s ``test`` (dates to periods), checked."""
    if test is None:
        return None
    if not isinstance(test, dict):
        raise ValueError(
            f"test must be a dict (treated, channel, start, end, spend_multiplier), got {type(test).__name__}"
        )
    known = {"treated", "channel", "start", "end", "spend_multiplier"}
    unknown = sorted(set(test) - known)
    if unknown:
        raise ValueError(f"test: unknown key(s) {', '.join(map(repr, unknown))} ({', '.join(sorted(known))})")
    missing = [k for k in ("treated", "channel", "start", "end") if k not in test]
    if missing:
        raise ValueError(f"test: missing {', '.join(map(repr, missing))}")
    treated = test["treated"]
    if isinstance(treated, str):
        treated = [treated]
    start = _period(w0, days, test["start"], "test start", periods)
    end = _period(w0, days, test["end"], "test end", periods)
    if start > end:
        raise ValueError(f"test: start {test['start']!r} comes after end {test['end']!r}")
    return {
        "treated": [str(g) for g in treated],
        "channel": str(test["channel"]),
        "start": start,
        "end": end,
        "spend_multiplier": float(test.get("spend_multiplier", 0.0)),
    }


class GeoPanelResult:
    """A simulated regional panel and its exact truth (:func:`geo_panel`).

    Attributes
    ----------
    panel : DataFrame
        Long table, one row per geo and period: ``geo``, ``date``, ``population`` (people in
        the geo), per channel ``spend_<c>`` (currency, campaigns and PR costs) and
        ``impressions_<c>`` (paid, earned reach and organic), ``conversions`` and
        ``revenue`` (realised), ``expected_conversions`` (exact chain), ``trust_survey``
        (share of the geo's tracker respondents who trust; NaN where nobody was asked) and
        ``trust_survey_n`` (respondents).
    truth : DataFrame
        One row per geo and channel: ``national`` (bool), ``cost`` (spend in the window),
        ``incremental_conversions`` (total), ``short_term_conversions``,
        ``long_term_conversions``, ``incremental_revenue``, ``roas`` = incremental_revenue /
        cost (gross), ``roi`` = roas - 1 (net: the definition of ``TrustFit.roi`` and
        ``PanelFit.roi``), ``window_start``, ``window_end``.
    incremental : DataFrame
        Per geo and period (data plus horizon) the channels' exact incremental
        conversions, one column per channel.
    national_share : DataFrame
        Geos x national channels: the share multipliers m[r, c] of each national channel's
        delivery (ones with ``national_share_sd=0``).
    regions, channels, national_channels : list[str]
    test_truth : DataFrame or None
        With a geo test (``geo_panel(test=...)``): one row per treated geo and period,
        ``geo``, ``date``, ``incremental_conversions`` (the test's exact effect, E conv | as
        run - E conv | without the test; negative for a holdout). None without a test.
    """

    def __init__(
        self,
        raw: _core.simulate.GeoPanelResult,
        dates: pd.DatetimeIndex,
        settings: dict[str, Any],
        world: World | None = None,
    ) -> None:
        self.settings = settings
        self._world = world
        self.regions: list[str] = list(raw.regions)
        self.channels: list[str] = list(raw.channels)
        self.national_channels = [c for c, f in zip(self.channels, raw.national, strict=True) if f]
        self.size = dict(zip(self.regions, np.asarray(raw.size, dtype=float).tolist(), strict=True))
        share = np.asarray(raw.national_share, dtype=float)
        self.national_share = pd.DataFrame(
            share[:, [self.channels.index(c) for c in self.national_channels]],
            index=pd.Index(self.regions, name="geo"),
            columns=pd.Index(self.national_channels, name="channel"),
        )
        self._worlds = list(raw.worlds)
        R, T = len(self.regions), int(settings["periods"])
        self.dates = dates[:T]
        geo = np.repeat(np.array(self.regions, dtype=object), T)
        cols: dict[str, Any] = {
            "geo": geo,
            "date": np.tile(self.dates.to_numpy(), R),
            "population": np.repeat(np.asarray(raw.population, dtype=float), T),
        }
        spend = np.stack([np.asarray(s) for s in raw.spend])  # R x T x C
        imp = np.stack([np.asarray(s) for s in raw.impressions])
        for c, name in enumerate(self.channels):
            cols[f"spend_{name}"] = spend[:, :, c].ravel()
            cols[f"impressions_{name}"] = imp[:, :, c].ravel()
        cols["conversions"] = np.asarray(raw.conversions).ravel()
        cols["revenue"] = np.asarray(raw.revenue).ravel()
        cols["expected_conversions"] = np.asarray(raw.expected_conversions).ravel()
        n = np.asarray(raw.survey_size).ravel()
        with np.errstate(divide="ignore", invalid="ignore"):
            cols["trust_survey"] = np.where(n > 0, np.asarray(raw.survey_trusting).ravel() / n, np.nan)
        cols["trust_survey_n"] = n
        self.panel = pd.DataFrame(cols)
        rows = []
        inc_parts = []
        for r, tr in zip(self.regions, raw.truth, strict=True):
            for e in tr.channels:
                ws, we = int(e.window_start), int(e.window_end)
                rows.append(
                    {
                        "geo": r,
                        "channel": e.channel,
                        "national": e.channel in self.national_channels,
                        "cost": e.cost,
                        "incremental_conversions": e.conversions,
                        "short_term_conversions": e.short_conversions,
                        "long_term_conversions": e.long_conversions,
                        "incremental_revenue": e.revenue,
                        "roas": e.roas,
                        "roi": e.roi,
                        "window_start": dates[ws] if ws >= 0 else pd.NaT,
                        "window_end": dates[we] if we >= 0 else pd.NaT,
                    }
                )
            inc = pd.DataFrame(np.asarray(tr.channel_incremental_conversions), columns=self.channels)
            inc.insert(0, "date", dates[: len(inc)])
            inc.insert(0, "geo", r)
            inc_parts.append(inc)
        self.lag_periods = int(raw.truth[0].lag_periods) if raw.truth else 0
        self.horizon = int(settings["horizon"])
        self.truth = pd.DataFrame(rows)
        self.incremental = pd.concat(inc_parts, ignore_index=True)
        self.test_truth: pd.DataFrame | None = None
        if settings.get("test") is not None:
            treated = np.asarray(raw.treated, dtype=bool)
            self.panel["treated"] = np.repeat(treated, T)
            inc_t = np.asarray(raw.test_incremental, dtype=float)
            self.test_truth = pd.DataFrame(
                {
                    "geo": np.repeat(np.array(self.regions, dtype=object)[treated], T),
                    "date": np.tile(self.dates.to_numpy(), int(treated.sum())),
                    "incremental_conversions": inc_t[treated].ravel(),
                }
            )

    def truth_national(self) -> pd.DataFrame:
        """Per channel the sum over geos of cost and incremental conversions and revenue
        (total, short, long): the national truth (regions do not interact, so this is the
        effect of removing the channel's activity in the window everywhere), with ``roas``
        (gross) and ``roi`` (net) as in :attr:`truth`."""
        cols = [
            "cost",
            "incremental_conversions",
            "short_term_conversions",
            "long_term_conversions",
            "incremental_revenue",
        ]
        out = self.truth.groupby("channel", sort=False)[cols].sum()
        out.insert(0, "national", [c in self.national_channels for c in out.index])
        with np.errstate(divide="ignore", invalid="ignore"):
            out["roas"] = np.where(out["cost"] > 0, out["incremental_revenue"] / out["cost"], np.nan)
            out["roi"] = out["roas"] - 1.0
        return out

    def test_lift(self, end: Any = None) -> float:
        """The geo test's exact total effect: the sum of :attr:`test_truth` over the
        treated geos from the test's start through ``end`` (a date, inclusive; default the
        last period of the data: the window and every period of carry-over after it), in
        conversions (negative for a holdout). The estimand of a geo experiment's lift over
        that span, e.g. ``tm.evaluate.synthetic_control`` on the panel's conversions."""
        if self.test_truth is None:
            raise ValueError("this panel has no geo test: run tm.simulate.geo_panel(..., test={...})")
        t = self.test_truth
        hi = self.dates[-1] if end is None else pd.Timestamp(end)
        return float(t.loc[pd.to_datetime(t["date"]) <= hi, "incremental_conversions"].sum())

    def summary(self) -> pd.DataFrame:
        """One row per statistic with a description."""
        rows = [
            ("geos", len(self.regions), "regions of the panel"),
            ("periods", int(self.settings["periods"]), f"{self.dates[0].date()} .. {self.dates[-1].date()}"),
            (
                "national_channels",
                ", ".join(self.national_channels) or "none",
                "common activity, apportioned by region size",
            ),
            (
                "regional_channels",
                ", ".join(c for c in self.channels if c not in self.national_channels) or "none",
                f"paid media bought by region (media_sd {self.settings['media_sd']})",
            ),
            ("population", float(self.panel.groupby("geo")["population"].first().sum()), "people in all geos"),
            ("conversions", float(self.panel["conversions"].sum()), "realised, all geos and periods"),
            ("lag_periods", self.lag_periods, "short-term lag L of the truth"),
            ("horizon", self.horizon, "periods after the data counted by the truth"),
        ]
        test = self.settings.get("test")
        if test is not None:
            t0, t1 = self.dates[test["start"]].date(), self.dates[test["end"]].date()
            rows.append(
                (
                    "geo_test",
                    f"{test['channel']} x {test['spend_multiplier']:g} in {', '.join(test['treated'])}, {t0} .. {t1}",
                    f"exact lift through the data's end: {self.test_lift():,.1f} conversions (test_truth)",
                )
            )
        return pd.DataFrame(rows, columns=["statistic", "value", "description"]).set_index("statistic")

    def _repr_html_(self) -> str:
        return (
            "<div><h4>Simulated regional panel</h4>"
            + self.summary()[["value"]].astype(str).to_html()
            + "<p>National truth</p>"
            + self.truth_national().to_html(float_format=lambda v: f"{v:,.4g}")
            + "</div>"
        )

    def __repr__(self) -> str:
        return (
            f"GeoPanelResult(geos={len(self.regions)}, periods={self.settings['periods']}, "
            f"channels={self.channels}, national={self.national_channels})"
        )

    def plot(self, channel: str | None = None, ax: Any = None) -> Any:
        """Bars of the true incremental conversions per geo (total, one bar per geo) of
        ``channel`` (default: the first), short and long term stacked."""
        import matplotlib.pyplot as plt

        c = channel or self.channels[0]
        if c not in self.channels:
            raise ValueError(f"channel {c!r} is not a channel of the panel ({', '.join(self.channels)})")
        t = self.truth[self.truth["channel"] == c]
        if ax is None:
            _, ax = plt.subplots(figsize=(max(5, 0.4 * len(t) + 2), 3.5))
        x = np.arange(len(t))
        ax.bar(x, t["short_term_conversions"], label="short term")
        ax.bar(x, t["long_term_conversions"], bottom=t["short_term_conversions"], label="long term")
        ax.set_xticks(x)
        ax.set_xticklabels(t["geo"], rotation=90)
        ax.set_ylabel(f"true incremental conversions ({c})")
        ax.legend()
        return ax

    def run_schedule(self, schedule: pd.DataFrame, periods: int | None = None, threads: int = 0) -> pd.DataFrame:
        """The same regional worlds run with a given paid-spend schedule: each region's exact
        expected conversions (``trustmix::simulate::run_geo_panel_schedule``).

        The regions, seeds, national coverage and drawn regional spend are this panel's;
        from the schedule's first period on, the paid spend of the channels it names is
        replaced by the schedule's amounts (cells it leaves out, and every period after its
        last, spend nothing on those channels); all other activity (national channels, PR,
        organic impressions, events) is the world's as written. The result is the world's
        own truth for a plan: e.g. a geo panel plan (:func:`trustmix.plan.optimize_panel`)
        and the status quo run with the same history, compared by their expected
        conversions. A schedule equal to the drawn spend reproduces :attr:`panel`'s
        ``expected_conversions``.

        Parameters
        ----------
        schedule : DataFrame
            Long: ``geo``, ``date`` (a period's first date, or a period index), ``channel``
            (a regionally bought channel of the world), ``spend`` (currency per period, >= 0);
            the format of :attr:`PanelPlanResult.schedule <trustmix.plan.PanelPlanResult>`.
        periods : int, optional
            Periods run from the world's start (default: to the schedule's last period).
        threads : int
            Regions run in parallel (0: all cores); results do not depend on it.

        Returns
        -------
        DataFrame
            One row per geo and period: ``geo``, ``date``, ``expected_conversions`` and
            ``expected_revenue`` (exact chain), ``spend_<c>`` per channel as run (currency:
            campaigns and PR costs).
        """
        if self._world is None:
            raise ValueError(
                "run_schedule needs the panel's world: this GeoPanelResult was pickled before version 2; "
                "run tm.simulate.geo_panel again"
            )
        if not isinstance(schedule, pd.DataFrame):
            raise ValueError(
                f"schedule must be a DataFrame with geo, date, channel, spend, got {type(schedule).__name__}"
            )
        missing = [c for c in ("geo", "date", "channel", "spend") if c not in schedule.columns]
        if missing:
            raise ValueError(f"schedule lacks the column(s) {', '.join(missing)} (geo, date, channel, spend)")
        if schedule.empty:
            raise ValueError("schedule has no rows")
        days = _FREQ_DAYS[str(self.settings["freq"])]
        w0 = pd.Timestamp(self._world.to_dict().get("start", "2025-01-06"))
        big = 2**31 - 1
        t_of = np.array([_period(w0, days, d, "schedule date", big) for d in schedule["date"]], dtype=np.int64)
        start, end = int(t_of.min()), int(t_of.max())
        n = end + 1 if periods is None else periods
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or not end < n < 2**31:
            raise ValueError(
                f"periods must be an integer covering the schedule (> its last period {end}), got {periods!r}"
            )
        geos = {g: r for r, g in enumerate(self.regions)}
        unknown = sorted({str(g) for g in schedule["geo"] if g not in geos})
        if unknown:
            raise ValueError(f"schedule names geo(s) {', '.join(unknown)} not in the panel ({', '.join(self.regions)})")
        chans = list(dict.fromkeys(str(c) for c in schedule["channel"]))
        k_of = {c: k for k, c in enumerate(chans)}
        spend = np.asarray(schedule["spend"], dtype=float)
        key = pd.DataFrame(
            {"g": schedule["geo"].to_numpy(), "t": t_of, "c": schedule["channel"].astype(str).to_numpy()}
        )
        dup = key.duplicated()
        if dup.any():
            row = key[dup].iloc[0]
            raise ValueError(f"schedule lists geo {row['g']!r}, period {row['t']}, channel {row['c']!r} twice")
        cube = np.zeros((len(self.regions), end - start + 1, len(chans)))
        g_idx = np.array([geos[g] for g in schedule["geo"]])
        k_idx = np.array([k_of[c] for c in key["c"]])
        cube[g_idx, t_of - start, k_idx] = spend
        raw = _core.simulate.run_geo_panel_schedule(
            self._world._core,
            regions=[dict(r) for r in self.settings["regions"]],
            national_channels=list(self.settings["national_channels"]),
            media_sd=float(self.settings["media_sd"]),
            periods=int(n),
            period_days=days,
            start=start,
            channels=chans,
            spend=[cube[r] for r in range(len(self.regions))],
            threads=int(threads),
            seed=int(self.settings["seed"]),
            national_share_sd=float(self.settings.get("national_share_sd", 0.0)),
            test=self.settings.get("test"),
        )
        R = len(self.regions)
        dates = pd.DatetimeIndex([w0 + pd.Timedelta(days=days * t) for t in range(int(n))])
        cols: dict[str, Any] = {
            "geo": np.repeat(np.array(self.regions, dtype=object), int(n)),
            "date": np.tile(dates.to_numpy(), R),
            "expected_conversions": np.asarray(raw.expected_conversions).ravel(),
            "expected_revenue": np.asarray(raw.expected_revenue).ravel(),
        }
        sp = np.stack([np.asarray(s) for s in raw.spend])  # R x T x C
        for c, name in enumerate(self.channels):
            cols[f"spend_{name}"] = sp[:, :, c].ravel()
        return pd.DataFrame(cols)

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k != "_worlds"}
        return {"version": _STATE_VERSION, **state}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version") not in (1, _STATE_VERSION):
            raise ValueError(f"cannot read a GeoPanelResult pickled with state version {state.get('version')!r}")
        state = dict(state)
        state.pop("version")
        state.setdefault("_world", None)
        state.setdefault("test_truth", None)
        self.__dict__.update(state)
        if "national_share" not in state:  # pickled before national_share_sd: shares by size
            self.national_share = pd.DataFrame(
                1.0,
                index=pd.Index(self.regions, name="geo"),
                columns=pd.Index(self.national_channels, name="channel"),
            )
        self._worlds = []
