"""The pythonic World: scenario dicts in, DataFrames out (arithmetic lives in C++)."""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core

from .presets import PR_KIND_DEFAULTS, scenario

__all__ = ["GroundTruth", "SimulationResult", "World"]

_TOP_KEYS = {
    "name",
    "description",
    "start",
    "trust",
    "smm",
    "seasonality",
    "channels",
    "audiences",
    "campaigns",
    "pr_activities",
    "events",
    "survey_panel_size",
    "competitor_mentions",
    "short_term_lag_days",
}
_GROUP_KEYS = {
    "trust": {
        "half_life_days": "trust_half_life_days",
        "effect": "trust_effect",
        "amplification": "amplification",
        "initial": "initial_trust",
    },
    "smm": {
        "memory_half_life_days": "memory_half_life_days",
        "effect": "smm_effect",
        "memory_cap": "memory_cap",
        "saturation": "saturation",
        "saturation_params": "saturation_params",
    },
    "seasonality": {"amplitude": "season_amplitude", "peak_day": "season_peak_day"},
}
_ITEM_KEYS = {
    "channels": {
        "name",
        "peso",
        "role",
        "platform",
        "cpm",
        "ctr",
        "visit_rate",
        "engagement",
        "trust_gain",
        "sentiment",
        "dispersion",
        "organic_impressions",
    },
    "audiences": {
        "name",
        "size",
        "baseline_trust",
        "trust_sensitivity",
        "base_conversion_rate",
        "value_per_conversion",
        "reach",
        "affinity",
        "tags",
    },
    "campaigns": {"name", "channel", "objective", "start", "end", "budget"},
    "pr_activities": {
        "name",
        "channel",
        "kind",
        "date",
        "mentions",
        "outlet_reach",
        "reach_sd_log",
        "sentiment",
        "sentiment_sd",
        "cost",
        "duration_days",
    },
    "events": {"name", "kind", "date", "severity", "mentions", "response", "softening"},
}
_KINDS = np.array(["impression", "earned", "click"])
_FREQ_DAYS = {"W": 7, "D": 1}


def _flatten(spec: dict[str, Any]) -> dict[str, Any]:
    """Checks the keys of a scenario dict and flattens it into the binding's flat form."""
    if not isinstance(spec, dict):
        raise ValueError(f"a scenario must be a dict, got {type(spec).__name__}")
    unknown = set(spec) - _TOP_KEYS
    if unknown:
        raise ValueError(f"unknown scenario key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    for key in ("channels", "audiences"):
        if not spec.get(key):
            raise ValueError(f"scenario needs a non-empty {key!r} list")
    flat: dict[str, Any] = {}
    if "start" in spec:
        flat["start"] = str(spec["start"])
    for group, mapping in _GROUP_KEYS.items():
        part = spec.get(group) or {}
        if not isinstance(part, dict):
            raise ValueError(f"scenario[{group!r}] must be a dict, got {type(part).__name__}")
        bad = set(part) - set(mapping)
        if bad:
            raise ValueError(f"unknown key(s) {sorted(bad)} in scenario[{group!r}]; allowed: {sorted(mapping)}")
        for k, v in part.items():
            flat[mapping[k]] = v
    for key in ("survey_panel_size", "competitor_mentions", "short_term_lag_days"):
        if key in spec:
            flat[key] = spec[key]
    for key, allowed in _ITEM_KEYS.items():
        items = spec.get(key) or []
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ValueError(f"{key}[{i}] must be a dict, got {type(item).__name__}")
            bad = set(item) - allowed
            if bad:
                raise ValueError(f"unknown key(s) {sorted(bad)} in {key}[{i}]; allowed: {sorted(allowed)}")
            item = dict(item)
            if key == "pr_activities":
                kind = item.get("kind", "press_release")
                if kind not in PR_KIND_DEFAULTS:
                    raise ValueError(
                        f"pr_activities[{i}]: kind must be one of {sorted(PR_KIND_DEFAULTS)}, got {kind!r}"
                    )
                item = {**PR_KIND_DEFAULTS[kind], **item}
            for date_key in ("start", "end", "date"):
                if date_key in item:
                    item[date_key] = str(item[date_key])
            out.append(item)
        flat[key] = out
    names = [c.get("name") for c in flat["campaigns"]] + [a.get("name") for a in flat["pr_activities"]]
    clash = sorted({n for n in names if names.count(n) > 1 or n == "organic"})
    if clash:
        raise ValueError(f"campaign and PR activity names must be unique and not 'organic'; repeated: {clash}")
    return flat


class World:
    """A simulated market: audience segments, channels, campaigns, PR activities, events.

    The world follows the trust-linked model of MODEL.md at the level of people (all
    equations: ``docs/simulate.md``). Per period of D days, for a person of segment s:

    * trust T in {0, 1}: ``P(0->1) = 1 - (1 - (1-r) b_s)(1 - nu_t) exp(-u+)``,
      ``P(1->0) = 1 - (1 - (1-r)(1-b_s))(1 - omega_t) exp(-u-)`` with
      ``r = 0.5 ** (D / trust_half_life_days)``, ``u+- = sigma_s sum_c trust_gain_c
      max(+-sentiment_c, 0) E_c`` (E_c engaged impressions), crises omega, good news nu;
    * ad memory ``M = min(m, Binomial(M_prev, alpha) + sum_c E_c)`` over converting
      channels, ``alpha = 0.5 ** (D / memory_half_life_days)``;
    * conversion probability ``logistic(logit(p0_s) + season_t + gamma T +
      beta h(M) (1 + theta T))``.

    Parameters
    ----------
    spec : dict
        A scenario (see :mod:`trustmix.simulate.presets` for the keys). Copied.
    seed : int
        Seed of every random number (PR coverage, people, panels). Same seed, same
        numbers, for every thread count.

    Raises
    ------
    ValueError
        On unknown keys, probabilities outside [0, 1], negative sizes, unknown channels
        in campaigns or activities; the message names the field and the value.
    """

    def __init__(self, spec: dict[str, Any], seed: int = 1) -> None:
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
            raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
        if not isinstance(spec, dict):
            raise ValueError(
                f"spec must be a dict (a scenario, see trustmix.simulate.scenario), got {type(spec).__name__}"
            )
        self._spec = copy.deepcopy(spec)
        self._seed = int(seed)
        self._core = _core.simulate.World(_flatten(self._spec), self._seed)

    @classmethod
    def from_scenario(cls, name: str, seed: int = 1) -> World:
        """The preset scenario `name` (``trustmix.simulate.scenario_names()``)."""
        return cls(scenario(name), seed=seed)

    @classmethod
    def from_json(cls, path: str | PathLike[str], seed: int = 1) -> World:
        """A world from a scenario JSON file."""
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh), seed=seed)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the scenario dict."""
        return copy.deepcopy(self._spec)

    def to_json(self, path: str | PathLike[str]) -> None:
        """Writes the scenario as JSON."""
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self._spec, fh, indent=2)

    @property
    def seed(self) -> int:
        """The seed of every random number of this world."""
        return self._seed

    @property
    def channels(self) -> list[str]:
        """Channel names, in the order of the panel's and truth's channel columns."""
        return list(self._core.channel_names)

    @property
    def segments(self) -> list[str]:
        """Audience segment (persona) names."""
        return list(self._core.segment_names)

    @property
    def population(self) -> float:
        """People in the world (sum of segment sizes)."""
        return float(sum(a["size"] for a in self._spec["audiences"]))

    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self._spec, "seed": self._seed}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["spec"], state["seed"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return (
            f"World({self._spec.get('description', '')[:60]!r}, seed={self._seed}, segments={self.segments}, "
            f"channels={self.channels})"
        )

    def describe(self) -> dict[str, pd.DataFrame]:
        """The world as tables: ``audiences``, ``channels``, ``campaigns``, ``pr_activities``,
        ``events`` (one row per item, the scenario's fields as columns)."""
        out = {}
        for key in ("audiences", "channels", "campaigns", "pr_activities", "events"):
            items = self._spec.get(key) or []
            out[key] = pd.DataFrame(items).set_index("name") if items else pd.DataFrame()
        return out

    def _repr_html_(self) -> str:
        d = self.describe()
        parts = [f"<p><b>trustmix World</b> (seed {self._seed}): {self._spec.get('description', '')}</p>"]
        for key in ("audiences", "channels"):
            cols = [c for c in d[key].columns if c not in ("reach", "affinity", "tags")]
            parts.append(f"<p><i>{key}</i></p>" + d[key][cols].to_html())
        n_camp, n_pr, n_ev = (len(self._spec.get(k) or []) for k in ("campaigns", "pr_activities", "events"))
        parts.append(f"<p>{n_camp} campaigns, {n_pr} PR activities, {n_ev} events</p>")
        return "".join(parts)

    def run(
        self,
        periods: int = 104,
        mode: str = "segment",
        freq: str = "W",
        threads: int = 0,
        agents: int | None = None,
        truth: bool = True,
        realised_truth: bool = False,
        touches: bool = True,
        progress: bool | None = None,
    ) -> SimulationResult:
        """Simulates the world.

        Parameters
        ----------
        periods : int
            Number of periods (weeks for ``freq="W"``, days for ``"D"``).
        mode : {"segment", "agent"}
            ``"segment"``: counts of people per (trust, memory) cell move by multinomial
            draws (any population size, e.g. 1e8). ``"agent"``: every person simulated,
            with touchpoint and conversion logs.
        freq : {"W", "D"}
            Period length.
        threads : int
            Threads (0 = all cores). Results are bit-identical for every value.
        agents : int, optional
            Agent mode: people to simulate (default ``min(population, 50_000)``); the
            world is scaled to that size (segment shares, frequencies and per-person
            probabilities unchanged, spend scaled by ``agents / population``).
        truth : bool
            Compute ground truth (exact expected counterfactuals per channel, campaign,
            PR activity).
        realised_truth : bool
            Agent mode: also re-run the agents without each channel, campaign and PR
            activity with common random numbers (one extra run each).
        touches : bool
            Agent mode: keep the touchpoint and conversion logs.
        progress : bool, optional
            Agent mode: show a tqdm bar of people simulated (over the main run and the
            counterfactual runs). Default: on when people x periods >= 5e7 or with
            ``realised_truth``.

        Returns
        -------
        SimulationResult
        """
        if not isinstance(freq, str) or freq not in _FREQ_DAYS:
            raise ValueError(f"freq must be 'W' or 'D', got {freq!r}")
        if not isinstance(mode, str) or mode not in ("segment", "agent"):
            raise ValueError(f"mode must be 'segment' or 'agent', got {mode!r}")
        if (
            isinstance(threads, (bool, np.bool_))
            or not isinstance(threads, (int, np.integer))
            or not 0 <= threads < 2**31
        ):
            raise ValueError(f"threads must be an integer >= 0 (0 = all cores), got {threads!r}")
        if (
            isinstance(periods, (bool, np.bool_))
            or not isinstance(periods, (int, np.integer))
            or not 1 <= periods < 2**31
        ):
            raise ValueError(f"periods must be an integer in [1, 2**31), got {periods!r}")
        days = _FREQ_DAYS[freq]
        scale = 1.0
        if mode == "agent":
            total = self.population
            n = min(total, 50_000) if agents is None else agents
            if not n > 0:
                raise ValueError(f"agents must be > 0, got {agents!r}")
            scale = min(1.0, n / total)
        people = int(round(self.population * scale)) if mode == "agent" else 0
        realise = bool(realised_truth) and mode == "agent"
        names = [c["name"] for c in self._spec.get("campaigns") or []]
        acts = [a["name"] for a in self._spec.get("pr_activities") or []]
        runs = 1 + ((len(self.channels) + len(names) + len(acts)) if realise else 0)
        show = (
            (mode == "agent" and (people * periods >= 5e7 or realise))
            if progress is None
            else bool(progress) and mode == "agent"
        )
        bar = _progress(people * runs, show)
        callback = bar.update if show else None
        raw = self._core.run(
            mode,
            periods=periods,
            period_days=days,
            threads=threads,
            agent_scale=scale,
            record_touches=touches and mode == "agent",
            progress=callback,
        )
        tr = None
        if truth or realise:
            tr = self._core.truth(periods=periods, period_days=days, threads=threads, population=list(raw.population))
        realised = None
        if realise:
            base_c, base_r = raw.conversions.sum(axis=1), raw.revenue.sum(axis=1)

            def increment(**remove: list[str]) -> tuple[np.ndarray, np.ndarray]:
                cf = self._core.run(
                    "agent",
                    periods=periods,
                    period_days=days,
                    threads=threads,
                    agent_scale=scale,
                    record_touches=False,
                    progress=callback,
                    **remove,
                )
                return base_c - cf.conversions.sum(axis=1), base_r - cf.revenue.sum(axis=1)

            realised = {
                "channels": [increment(remove=[c]) for c in self.channels],
                "campaigns": [increment(remove_campaigns=[n]) for n in names],
                "activities": [increment(remove_activities=[n]) for n in acts],
            }
        bar.close()
        return SimulationResult(self, raw, tr, realised, mode=mode, freq=freq, periods=periods, scale=scale)


def _progress(total: int, show: bool) -> Any:
    if show:
        from tqdm.auto import tqdm

        return tqdm(total=total, desc="agents", unit="people", unit_scale=True)

    class _Silent:
        def update(self, n: int) -> None:
            pass

        def close(self) -> None:
            pass

    return _Silent()


@dataclass
class GroundTruth:
    """What really happened in a simulated world.

    Attributes
    ----------
    trust : DataFrame
        Per period and segment: ``trusting_share`` (realised latent trust),
        ``expected_trusting_share`` (exact chain).
    channels : DataFrame
        Per channel: ``cost`` (spend incl. PR costs), incremental ``conversions`` and
        ``revenue`` (expected, world minus world-without-the-channel), their
        ``short_term_*`` part (periods from the channel's first activity to its last + lag)
        and ``long_term_*`` part (after), ``long_term_share``; ``roas`` = revenue / cost
        (gross, currency per currency; its parts ``short_term_roas`` and ``long_term_roas``
        add up to it), ``roi`` = (revenue - cost) / cost = roas - 1 and ``short_term_roi`` =
        (short_term_revenue - cost) / cost (net, the definitions of ``TrustFit.roi``'s
        ``roi_total`` and ``roi_short``), ``marginal_roi`` = (revenue gained with +1% paid
        spend - that 1%) / that 1% (net, as ``TrustFit.roi``'s).
    campaigns : DataFrame
        The same per campaign and PR activity (``type`` = campaign or pr_activity).
    incremental : DataFrame
        Expected incremental conversions per period (rows) and channel (columns).
    realised_incremental : DataFrame or None
        Agent mode with ``realised_truth=True``: incremental conversions per period and
        channel from re-running the agents without the channel (common random numbers).
    realised_channels, realised_campaigns : DataFrame or None
        The same totals per channel and per campaign / PR activity (``type``): cost,
        conversions, revenue, short_term_conversions, long_term_conversions, roas, roi; split
        with the windows and lag of the expected truth.
    lag_periods : int
        L, the periods after a window still counted short-term.
    horizon : int
        Periods after the data counted in the effects (no marketing and no events there);
        ``incremental`` has ``periods + horizon`` rows.
    """

    trust: pd.DataFrame
    channels: pd.DataFrame
    campaigns: pd.DataFrame
    incremental: pd.DataFrame
    realised_incremental: pd.DataFrame | None = None
    realised_channels: pd.DataFrame | None = None
    realised_campaigns: pd.DataFrame | None = None
    lag_periods: int = 0
    horizon: int = 0
    _meta: dict[str, Any] = field(default_factory=dict, repr=False)


def _realised_frame(
    effects: list[_core.simulate.EffectTruth], increments: list[tuple[np.ndarray, np.ndarray]], lag: int
) -> pd.DataFrame:
    """Realised (common-random-number) increments split like the expected truth."""
    rows = []
    for e, (dc, dr) in zip(effects, increments, strict=True):
        t = np.arange(len(dc))
        long = (t > e.window_end + lag) if e.window_start >= 0 else np.zeros(len(dc), dtype=bool)
        rows.append(
            {
                "name": e.name,
                "cost": e.cost,
                "conversions": dc.sum(),
                "revenue": dr.sum(),
                "short_term_conversions": dc[~long].sum(),
                "long_term_conversions": dc[long].sum(),
                "roas": dr.sum() / e.cost if e.cost > 0 else np.nan,
                "roi": (dr.sum() - e.cost) / e.cost if e.cost > 0 else np.nan,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "name",
            "cost",
            "conversions",
            "revenue",
            "short_term_conversions",
            "long_term_conversions",
            "roas",
            "roi",
        ],
    )


#: The attributes of an EffectTruth in the order of the truth tables' columns.
_EFFECT_COLUMNS = (
    "name",
    "channel",
    "cost",
    "conversions",
    "revenue",
    "short_conversions",
    "long_conversions",
    "short_revenue",
    "long_revenue",
    "roas",
    "roi",
    "marginal_roi",
    "window_start",
    "window_end",
)


def _effects_frame(rows: list[_core.simulate.EffectTruth], dates: pd.DatetimeIndex) -> pd.DataFrame:
    df = pd.DataFrame([{k: getattr(e, k) for k in _EFFECT_COLUMNS} for e in rows])
    if df.empty:
        return df
    df = df.rename(
        columns={
            "short_conversions": "short_term_conversions",
            "long_conversions": "long_term_conversions",
            "short_revenue": "short_term_revenue",
            "long_revenue": "long_term_revenue",
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = df["cost"].to_numpy(dtype=float)
        safe = np.where(cost > 0, cost, 1.0)
        df["short_term_roas"] = np.where(cost > 0, df["short_term_revenue"] / safe, np.nan)
        df["long_term_roas"] = np.where(cost > 0, df["long_term_revenue"] / safe, np.nan)
        df["short_term_roi"] = df["short_term_roas"] - 1.0
        conv = df["conversions"].to_numpy(dtype=float)
        df["long_term_share"] = np.where(
            conv != 0, df["long_term_conversions"] / np.where(conv != 0, conv, 1.0), np.nan
        )
    for col in ("window_start", "window_end"):
        idx = df[col].to_numpy()
        df[col] = pd.DatetimeIndex([dates[i] if i >= 0 else pd.NaT for i in idx])
    return df


def _run_result_from_dict(raw: dict[str, Any], period_days: int) -> _core.simulate.RunResult:
    """The RunResult of a run pickled as the dict of arrays the binding returned before
    (the same names; the sizes read from the (T, S, C) impressions)."""
    T, S, C = np.shape(raw["impressions"])
    out = _core.simulate.RunResult.__new__(_core.simulate.RunResult)
    out.__setstate__((1, {**raw, "periods": T, "segments": S, "channels": C, "period_days": period_days}))
    return out


class SimulationResult:
    """Outputs of ``World.run``: panel, logs and ground truth as DataFrames.

    Attributes
    ----------
    panel : DataFrame
        One row per period (index ``date``, the period's first day): per channel
        ``spend_<c>``, ``impressions_<c>``, ``reach_<c>`` (people with >= 1 impression),
        ``clicks_<c>``, ``visits_<c>``, ``mentions_<c>`` (earned); then ``mentions`` (own
        mentions incl. event coverage), ``share_of_voice`` = own / (own + competitor),
        ``net_sentiment`` = (positive - negative) / own mentions, ``trust_survey`` (share of
        ``trust_survey_n`` respondents who trust), ``conversions``, ``revenue``.
    segment_panel : DataFrame
        Tidy per (date, segment, channel): impressions, reach, clicks, visits.
    outcomes : DataFrame
        Tidy per (date, segment): conversions, revenue, trusting_share, expected_conversions.
    touchpoints : DataFrame
        Agent mode: ``user_id, timestamp, channel, campaign, kind`` (impression, earned, click),
        sorted by user and time.
    conversions : DataFrame
        Agent mode: ``user_id, timestamp, value``, sorted by user and time.
    users : DataFrame
        Agent mode: ``user_id, segment``.
    truth : GroundTruth or None
    """

    def __init__(
        self,
        world: World,
        raw: _core.simulate.RunResult,
        truth: _core.simulate.Truth | None,
        realised: dict[str, Any] | None,
        *,
        mode: str,
        freq: str,
        periods: int,
        scale: float,
    ) -> None:
        self.world = world
        self.mode, self.freq, self.periods, self.scale = mode, freq, periods, scale
        start = pd.Timestamp(world.to_dict().get("start", "2025-01-06"))
        days = _FREQ_DAYS[freq]
        self.dates = pd.DatetimeIndex([start + pd.Timedelta(days=days * t) for t in range(periods)], name="date")
        self._start = start
        self._raw = raw
        ch, seg = world.channels, world.segments
        self.panel = self._make_panel(raw, ch)
        idx = pd.MultiIndex.from_product([self.dates, seg, ch], names=["date", "segment", "channel"])
        self.segment_panel = pd.DataFrame(
            {k: getattr(raw, k).reshape(-1) for k in ("impressions", "reach", "clicks", "visits")}, index=idx
        ).reset_index()
        pop = raw.population
        idx2 = pd.MultiIndex.from_product([self.dates, seg], names=["date", "segment"])
        with np.errstate(divide="ignore", invalid="ignore"):
            share = raw.trusting / pop[None, :]
            expected_share = raw.expected_trusting / pop[None, :]
        self.outcomes = pd.DataFrame(
            {
                "conversions": raw.conversions.reshape(-1),
                "revenue": raw.revenue.reshape(-1),
                "trusting_share": share.reshape(-1),
                "expected_conversions": raw.expected_conversions.reshape(-1),
            },
            index=idx2,
        ).reset_index()
        sources = list(world._core.source_names)
        # Logs come in simulation order (blocks of people, then period); sort them by
        # user and time (stable, so ties keep that deterministic order).
        # (each attribute read once: the result's attributes are fresh copies)
        t_user, t_second = raw.touch_user, raw.touch_second
        o = np.lexsort((t_second, t_user))
        self.touchpoints = pd.DataFrame(
            {
                "user_id": t_user[o],
                "timestamp": start + pd.to_timedelta(t_second[o], unit="s"),
                "channel": pd.Categorical.from_codes(raw.touch_channel[o], categories=pd.Index(ch)),
                "campaign": pd.Categorical.from_codes(raw.touch_source[o], categories=pd.Index(list(sources))),
                "kind": pd.Categorical(_KINDS[raw.touch_kind[o]], categories=list(_KINDS)),
            }
        )
        c_user, c_second = raw.conversion_user, raw.conversion_second
        o = np.lexsort((c_second, c_user))
        self.conversions = pd.DataFrame(
            {
                "user_id": c_user[o],
                "timestamp": start + pd.to_timedelta(c_second[o], unit="s"),
                "value": raw.conversion_value[o],
            }
        )
        bounds = raw.person_segment_start
        if mode == "agent" and len(bounds):
            self.users = pd.DataFrame(
                {
                    "user_id": np.arange(bounds[-1], dtype=np.int64),
                    "segment": pd.Categorical.from_codes(
                        np.repeat(np.arange(len(seg)), np.diff(bounds)), categories=pd.Index(seg)
                    ),
                }
            )
        else:
            self.users = pd.DataFrame(
                {"user_id": pd.Series([], dtype=np.int64), "segment": pd.Series([], dtype=object)}
            )
        self.truth = self._make_truth(truth, realised, share, expected_share) if truth is not None else None

    def __setstate__(self, state: dict[str, Any]) -> None:
        raw = state.get("_raw")
        if isinstance(raw, dict):  # pickled when the run crossed the binding as a dict of arrays
            state = {**state, "_raw": _run_result_from_dict(raw, _FREQ_DAYS[state["freq"]])}
        self.__dict__.update(state)

    def _make_panel(self, raw: _core.simulate.RunResult, ch: list[str]) -> pd.DataFrame:
        # each attribute read once: the result's attributes are fresh copies
        spend, mentions = raw.spend, raw.mentions
        per_segment = {k: getattr(raw, k) for k in ("impressions", "reach", "clicks", "visits")}
        cols: dict[str, Any] = {}
        for c, name in enumerate(ch):
            cols[f"spend_{name}"] = spend[:, c]
            for k, a in per_segment.items():
                cols[f"{k}_{name}"] = a[:, :, c].sum(axis=1)
            cols[f"mentions_{name}"] = mentions[:, c]
        # Coverage of crises (sentiment -1) and good news (+1) counts as own mentions too.
        news, crisis, size = raw.news_mentions, raw.crisis_mentions, raw.survey_size
        own = mentions.sum(axis=1)
        pos = raw.positive_mentions.sum(axis=1) + news
        neg = raw.negative_mentions.sum(axis=1) + crisis
        own_all = own + news + crisis
        comp = raw.competitor_mentions
        with np.errstate(divide="ignore", invalid="ignore"):
            cols["mentions"] = own_all
            cols["share_of_voice"] = np.where(own_all + comp > 0, own_all / (own_all + comp), np.nan)
            cols["net_sentiment"] = np.where(own_all > 0, (pos - neg) / own_all, np.nan)
            cols["trust_survey"] = np.where(size > 0, raw.survey_trusting / size, np.nan)
        cols["trust_survey_n"] = size
        cols["conversions"] = raw.conversions.sum(axis=1)
        cols["revenue"] = raw.revenue.sum(axis=1)
        return pd.DataFrame(cols, index=self.dates)

    def _make_truth(
        self, tr: _core.simulate.Truth, realised: dict[str, Any] | None, share: np.ndarray, expected_share: np.ndarray
    ) -> GroundTruth:
        ch, seg = self.world.channels, self.world.segments
        trust = pd.DataFrame(
            {"trusting_share": share.reshape(-1), "expected_trusting_share": expected_share.reshape(-1)},
            index=pd.MultiIndex.from_product([self.dates, seg], names=["date", "segment"]),
        )
        trust = trust.reset_index()
        channels = _effects_frame(tr.channels, self.dates).drop(columns=["channel"])
        channels = channels.rename(columns={"name": "channel"})
        spec = {c["name"]: c for c in self.world.to_dict()["channels"]}
        channels.insert(1, "peso", [spec[c].get("peso", "paid") for c in channels["channel"]])
        channels.insert(2, "role", [spec[c].get("role", "conversion") for c in channels["channel"]])
        camp = _effects_frame(tr.campaigns, self.dates)
        act = _effects_frame(tr.activities, self.dates)
        if not camp.empty:
            camp.insert(1, "type", "campaign")
        if not act.empty:
            act.insert(1, "type", "pr_activity")
        campaigns = (
            pd.concat([f for f in (camp, act) if not f.empty], ignore_index=True)
            if not (camp.empty and act.empty)
            else pd.DataFrame()
        )
        horizon = int(tr.horizon)
        days = _FREQ_DAYS[self.freq]
        all_dates = (
            self.dates.append(
                pd.DatetimeIndex([self.dates[-1] + pd.Timedelta(days=days * (k + 1)) for k in range(horizon)])
            )
            if horizon
            else self.dates
        )
        all_dates.name = "date"
        incremental = pd.DataFrame(tr.channel_incremental_conversions, index=all_dates, columns=ch)
        lag = int(tr.lag_periods)
        realised_df = realised_channels = realised_campaigns = None
        if realised is not None:
            realised_df = pd.DataFrame(
                np.column_stack([c for c, _ in realised["channels"]]), index=self.dates, columns=ch
            )
            realised_channels = _realised_frame(tr.channels, realised["channels"], lag).rename(
                columns={"name": "channel"}
            )
            realised_campaigns = pd.concat(
                [
                    _realised_frame(tr.campaigns, realised["campaigns"], lag).assign(type="campaign"),
                    _realised_frame(tr.activities, realised["activities"], lag).assign(type="pr_activity"),
                ],
                ignore_index=True,
            )
        return GroundTruth(
            trust=trust,
            channels=channels,
            campaigns=campaigns,
            incremental=incremental,
            realised_incremental=realised_df,
            realised_channels=realised_channels,
            realised_campaigns=realised_campaigns,
            lag_periods=lag,
            horizon=horizon,
            _meta={"expected_conversions": tr.expected_conversions.sum(axis=1)},
        )

    def truth_for(self, window: tuple[Any, Any] | None = None, horizon: int = 0, lag: int | None = None) -> GroundTruth:
        """Ground truth with the estimand of ``TrustFit.roi`` (docs/validation.md).

        For every channel c, with W = ``window`` (``(start, end)`` dates, inclusive, read
        as ``fit.roi`` reads them; default: each channel's own first to last active
        period, the whole channel removed), L = ``lag`` periods (default
        ``short_term_lag_days`` / period; pass the model's ``max_lag`` to match
        ``fit.roi``) and H = ``horizon`` periods after the data with no marketing and
        no events (``fit.roi``'s zero-activity extension):

            incremental_c[t] = E conv[t | world] - E conv[t | world without c's activity in W]
            short_term = sum_{t <= end(W) + L} incremental_c[t],  long_term = the rest up to T + H - 1

        in conversions (and revenue, currency), from the exact expected-value chain with
        the world's own coverage draws (common random numbers: only c's activity in W
        differs). ``cost`` is c's spend (campaigns and PR costs) in W. Campaigns and PR
        activities keep their own windows and are summed over the same T + H periods.

        Raises
        ------
        ValueError
            If the window contains no period of the run, or horizon / lag are negative.
        """
        if not isinstance(horizon, (int, np.integer)) or horizon < 0:
            raise ValueError(f"horizon must be an integer >= 0 (periods after the data), got {horizon!r}")
        if lag is not None and (not isinstance(lag, (int, np.integer)) or lag < 0):
            raise ValueError(f"lag must be an integer >= 0 (periods) or None, got {lag!r}")
        lo = hi = -1
        if window is not None:
            lo = int(self.dates.searchsorted(pd.Timestamp(window[0])))
            hi = int(self.dates.searchsorted(pd.Timestamp(window[1]), side="right")) - 1
            if lo > hi or lo >= len(self.dates):
                raise ValueError(
                    f"window {window!r} contains no period of the run ({self.dates[0].date()}..{self.dates[-1].date()})"
                )
        tr = self.world._core.truth(
            periods=self.periods,
            period_days=_FREQ_DAYS[self.freq],
            population=list(self._raw.population),
            window_start=lo,
            window_end=hi,
            horizon=int(horizon),
            lag_periods=-1 if lag is None else int(lag),
        )
        pop = self._raw.population
        with np.errstate(divide="ignore", invalid="ignore"):
            share = self._raw.trusting / pop[None, :]
            expected_share = self._raw.expected_trusting / pop[None, :]
        return self._make_truth(tr, None, share, expected_share)

    # ---- reading ---------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Per channel: spend, impressions, clicks and (with truth) incremental conversions,
        revenue, ROI, marginal ROI and the long-term share; a final ``total`` row."""
        ch = self.world.channels
        p = self.panel
        df = pd.DataFrame(
            {
                "spend": [p[f"spend_{c}"].sum() for c in ch],
                "impressions": [p[f"impressions_{c}"].sum() for c in ch],
                "clicks": [p[f"clicks_{c}"].sum() for c in ch],
            },
            index=pd.Index(ch, name="channel"),
        )
        if self.truth is not None:
            t = self.truth.channels.set_index("channel")
            for col in ("conversions", "revenue", "roas", "roi", "marginal_roi", "long_term_share"):
                df[f"incremental_{col}" if col in ("conversions", "revenue") else col] = t[col]
        total = df.sum(numeric_only=True)
        for col in ("roas", "roi", "marginal_roi", "long_term_share"):
            if col in total:
                total[col] = np.nan
        df.loc["total"] = total
        return df

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>trustmix simulation</b>: {self.mode} mode, {self.periods} periods ({self.freq}), "
            f"seed {self.world.seed}; conversions {self.panel['conversions'].sum():,.0f}, "
            f"revenue {self.panel['revenue'].sum():,.0f}</p>"
        )
        return head + self.summary().to_html(float_format=lambda x: f"{x:,.3g}" if math.isfinite(x) else "")

    def __repr__(self) -> str:
        return (
            f"SimulationResult(mode={self.mode!r}, freq={self.freq!r}, periods={self.periods}, "
            f"conversions={self.panel['conversions'].sum():.0f})"
        )

    def plot_trust(self, ax: Any = None) -> Any:
        """Latent trusting share per segment (realised solid, expected dashed) and the
        survey tracker (points). Returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4))
        raw = self._raw
        pop = raw.population
        for s, name in enumerate(self.world.segments):
            (line,) = ax.plot(self.dates, raw.trusting[:, s] / pop[s], label=name)
            ax.plot(self.dates, raw.expected_trusting[:, s] / pop[s], ls="--", color=line.get_color(), lw=1)
        ax.plot(self.dates, self.panel["trust_survey"], "k.", ms=3, label="survey (all)")
        ax.set_ylabel("share trusting the brand")
        ax.set_title("Trust over time (dashed: expected)")
        ax.legend(fontsize=8, ncol=2)
        return ax

    def plot_conversions(self, ax: Any = None) -> Any:
        """Conversions per period (realised and expected) and, with truth, the expected
        baseline without any of the channels' incremental effects. Returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4))
        ax.plot(self.dates, self.panel["conversions"], label="conversions (realised)")
        expected = self._raw.expected_conversions.sum(axis=1)
        ax.plot(self.dates, expected, ls="--", label="expected")
        if self.truth is not None:
            inc = self.truth.incremental
            ax.stackplot(
                self.dates,
                *[inc[c].clip(lower=0) for c in inc.columns if inc[c].abs().sum() > 0],
                labels=[f"incremental {c}" for c in inc.columns if inc[c].abs().sum() > 0],
                alpha=0.35,
            )
        ax.set_ylabel("conversions per period")
        ax.legend(fontsize=8, ncol=2)
        return ax
