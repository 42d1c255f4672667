"""Message variants in the simulated world, tested live (A/B/n or bandit) on its people.

The arithmetic runs in C++ (``trustmix::simulate::run_message_test``, header
``trustmix/simulate/messages.hpp``); this module checks arguments and builds DataFrames.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core

__all__ = ["MessageTestRun", "run_message_test"]

_STATE_VERSION = 1
_DESIGNS = ("ab", "thompson", "top_two_thompson", "ucb")
_FREQ_DAYS = {"W": 7, "D": 1}


def _appeal_table(variants: Any, personas: list[str]) -> pd.DataFrame:
    """Appeal (logit shifts) as a DataFrame persona x variant from a dict or a DataFrame."""
    if isinstance(variants, pd.DataFrame):
        table = variants.copy()
        unknown = [p for p in table.index if p not in personas]
        if unknown:
            raise ValueError(f"variants: rows {unknown} are not personas of the world {personas}")
        table = table.reindex(index=personas).fillna(0.0)
    elif isinstance(variants, dict):
        cols = {}
        for name, appeal in variants.items():
            appeal = {} if appeal is None else appeal
            if not isinstance(appeal, dict):
                raise ValueError(
                    f"variants[{name!r}] must be a dict {{persona: logit shift}}, got {type(appeal).__name__}"
                )
            unknown = [p for p in appeal if p not in personas]
            if unknown:
                raise ValueError(f"variants[{name!r}]: {unknown} are not personas of the world {personas}")
            cols[name] = [float(appeal.get(p, 0.0)) for p in personas]
        table = pd.DataFrame(cols, index=personas)
    else:
        raise ValueError(
            "variants must be a dict {variant: {persona: appeal}} or a DataFrame persona x variant, "
            f"got {type(variants).__name__}"
        )
    if table.shape[1] < 2:
        raise ValueError(f"variants: need at least 2, got {list(table.columns)}")
    table.index.name, table.columns.name = "persona", "variant"
    return table.astype(float)


class MessageTestRun:
    """A message test run live in a simulated world.

    Per test period and persona the campaign's reached people are enrolled (share
    ``enrolment``), split over the variants by the design's shares (fixed for an A/B/n
    test; for a bandit decided from the earlier periods' results) and converted by the
    simulator: a user of persona s on variant v converts in the period with probability
    ``q = sum_cells n(T, M) logistic(eta(T, M) + appeal[s, v]) / N_s`` (the world's trust
    and ad-memory states, ``docs/simulate.md``).

    Attributes
    ----------
    data : DataFrame
        One row per (date, persona, variant): ``users``, ``conversions``,
        ``trusting_users`` and ``trusting_conversions`` (users who trust the brand),
        ``share`` (planned share of the period's users), ``true_rate`` (q, probability per
        user), ``rate_trusting`` and ``rate_untrusting`` (q given the trust state).
    appeal : DataFrame
        The appeal (logit shift) persona x variant that generated the data.
    truth : DataFrame
        The true conversion rate persona x variant over the test (periods weighted by the
        persona's enrolled users); ``best`` (Series) names each persona's best variant.
    regret : Series
        Cumulative expected conversions lost against each persona's best variant:
        ``sum users (max_v q - q_v)``.
    spend : Series
        Cost of each period's users (with ``costs``); ``total_spend`` its sum.
    design : str
        ``ab``, ``thompson``, ``top_two_thompson`` or ``ucb``.
    """

    def __init__(
        self,
        raw: _core.simulate.MessageTestRun,
        dates: pd.DatetimeIndex,
        appeal: pd.DataFrame,
        design: str,
        settings: dict[str, Any],
    ):
        personas, variants = list(appeal.index), list(appeal.columns)
        T, S, V = raw.users.shape
        idx = pd.MultiIndex.from_product([dates, personas, variants], names=["date", "persona", "variant"])
        cols = {
            "users": "users",
            "conversions": "conversions",
            "trusting_users": "trusting_users",
            "trusting_conversions": "trusting_conversions",
            "share": "shares",
            "true_rate": "true_rate",
            "rate_trusting": "rate_trusting",
            "rate_untrusting": "rate_untrusting",
        }
        self.data = pd.DataFrame(
            {k: np.asarray(getattr(raw, v)).reshape(-1) for k, v in cols.items()}, index=idx
        ).reset_index()
        self.appeal = appeal
        users = np.asarray(raw.users).sum(axis=2)  # T x S, independent of the variant
        weights = np.where(users.sum(axis=0) > 0, users / np.maximum(users.sum(axis=0), 1), 1.0 / T)
        truth = np.einsum("ts,tsv->sv", weights, np.asarray(raw.true_rate))
        self.truth = pd.DataFrame(
            truth, index=pd.Index(personas, name="persona"), columns=pd.Index(variants, name="variant")
        )
        self.best = self.truth.idxmax(axis=1).rename("best")
        self.regret = pd.Series(np.asarray(raw.regret), index=dates, name="cumulative_regret")
        self.spend = pd.Series(np.asarray(raw.spend), index=dates, name="spend")
        self.total_spend = float(self.spend.sum())
        self.trusting_share = pd.DataFrame(np.asarray(raw.trusting_share), index=dates, columns=personas)
        self.design = design
        self.settings = settings

    # ---- reading ---------------------------------------------------------------------
    def totals(self) -> pd.DataFrame:
        """Users and conversions persona x variant over the test, with the observed rate."""
        g = self.data.groupby(["persona", "variant"], sort=False)[["users", "conversions"]].sum()
        g["rate"] = g["conversions"] / g["users"].where(g["users"] > 0)
        g["true_rate"] = self.truth.stack().reindex(g.index)
        return g

    def summary(self) -> pd.DataFrame:
        """Per persona: the true best variant, the share of users it got, the variant with
        the highest observed rate, and the expected conversions lost (regret)."""
        tot = self.totals()
        users = tot["users"].unstack("variant").reindex(index=self.truth.index, columns=self.truth.columns)
        rate = tot["rate"].unstack("variant").reindex(index=self.truth.index, columns=self.truth.columns)
        rows = []
        for p in self.truth.index:
            d = self.data[self.data["persona"] == p]
            lost = float((d["users"] * (d.groupby("date")["true_rate"].transform("max") - d["true_rate"])).sum())
            n = float(users.loc[p].sum())
            rows.append(
                {
                    "persona": p,
                    "best": self.best[p],
                    "share_on_best": float(users.loc[p, self.best[p]]) / n if n > 0 else math.nan,
                    "observed_best": rate.loc[p].idxmax() if rate.loc[p].notna().any() else None,
                    "users": n,
                    "conversions_lost": lost,
                }
            )
        return pd.DataFrame(rows).set_index("persona")

    def rows(self) -> pd.DataFrame:
        """One row per enrolled user: ``date``, ``persona``, ``variant``, ``trusting`` (1 if
        the user trusts the brand, a pre-period covariate) and ``converted`` (0/1), for
        :func:`trustmix.experiments.ab_test`. Order within a cell carries no information."""
        d = self.data
        parts: dict[str, Any] = {}
        counts = d[["trusting_users", "trusting_conversions", "users", "conversions"]].to_numpy(np.int64)
        # Four kinds of user per cell: trusting x converted.
        kinds = np.stack(
            [
                counts[:, 1],
                counts[:, 0] - counts[:, 1],
                counts[:, 3] - counts[:, 1],
                counts[:, 2] - counts[:, 0] - (counts[:, 3] - counts[:, 1]),
            ],
            axis=1,
        )
        if (kinds < 0).any():
            raise RuntimeError("inconsistent counts in the message test (a bug): please report it")
        trusting = np.array([1, 1, 0, 0])
        converted = np.array([1, 0, 1, 0])
        n = kinds.ravel()
        cell = np.repeat(np.arange(len(d)), 4)
        rep = np.repeat(cell, n)
        parts["date"] = d["date"].to_numpy()[rep]
        personas, variants = list(self.truth.index), list(self.truth.columns)
        p_codes = pd.Categorical(d["persona"], categories=personas).codes
        v_codes = pd.Categorical(d["variant"], categories=variants).codes
        parts["persona"] = pd.Categorical.from_codes(p_codes[rep], categories=pd.Index(personas))
        parts["variant"] = pd.Categorical.from_codes(v_codes[rep], categories=pd.Index(variants))
        parts["trusting"] = np.repeat(np.tile(trusting, len(d)), n).astype(float)
        parts["converted"] = np.repeat(np.tile(converted, len(d)), n).astype(float)
        return pd.DataFrame(parts)

    def plot(self, ax: Any = None) -> Any:
        """Traffic share of each variant per period, one panel per persona (the true best
        variant's line is thick). Returns the array of Axes."""
        import matplotlib.pyplot as plt

        personas = list(self.truth.index)
        if ax is None:
            _, ax = plt.subplots(1, len(personas), figsize=(3.2 * len(personas), 3), sharey=True, squeeze=False)
            ax = ax[0]
        for a, p in zip(ax, personas, strict=False):
            d = self.data[self.data["persona"] == p]
            for v in self.truth.columns:
                dv = d[d["variant"] == v]
                share = dv["users"].to_numpy() / np.maximum(d.groupby("date")["users"].sum().to_numpy(), 1)
                a.plot(dv["date"], share, lw=3 if v == self.best[p] else 1, label=v)
            a.set_title(p, fontsize=9)
            a.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax[0].set_ylabel("share of users")
        ax[-1].legend(fontsize=7)
        return ax

    def _repr_html_(self) -> str:
        return (
            f"<p><b>Message test in the simulated world</b> ({html.escape(self.design)}): "
            f"{self.data['users'].sum():,.0f} users, {self.data['conversions'].sum():,.0f} conversions, "
            f"regret {self.regret.iloc[-1]:,.1f}</p>" + self.summary().to_html(float_format=lambda v: f"{v:.4g}")
        )

    def __repr__(self) -> str:
        return (
            f"MessageTestRun(design={self.design!r}, periods={self.regret.size}, "
            f"personas={list(self.truth.index)}, variants={list(self.truth.columns)})"
        )

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_version": _STATE_VERSION}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.pop("_version", None) != _STATE_VERSION:
            raise ValueError("cannot unpickle MessageTestRun: unsupported state version")
        self.__dict__.update(state)


def run_message_test(
    world: Any,
    variants: Any,
    *,
    campaign: str,
    periods: int,
    start: int = 0,
    freq: str = "W",
    design: str = "ab",
    weights: Any = None,
    enrolment: float = 1.0,
    floor: float = 0.0,
    prior: tuple[float, float] = (1.0, 1.0),
    top_two_beta: float = 0.5,
    pooling: float | None = None,
    by_persona: bool = True,
    stream: int = 0,
    costs: Any = None,
    budget: float | None = None,
) -> MessageTestRun:
    """Runs a message test live in a simulated world, period by period.

    Parameters
    ----------
    world : trustmix.simulate.World
    variants : dict or DataFrame
        ``{variant: {persona: appeal}}`` or a DataFrame persona x variant of appeals: the
        logit shift of the conversion probability of a person who sees the variant
        (personas not named: 0). The first variant is the usual control.
    campaign : str
        The campaign whose reached people are enrolled (its channel and spend decide reach).
    periods : int
        Periods of the world simulated; the test runs in periods ``[start, periods)``.
    freq : {"W", "D"}
        Period length (weeks or days).
    design : {"ab", "thompson", "top_two_thompson", "ucb"}
        ``ab``: fixed shares ``weights`` (default equal). Bandits decide each period's
        shares from all earlier periods: Thompson sampling (exact P(best) by quadrature),
        top-two Thompson, batched UCB1; per persona with Beta priors pooled across personas
        when ``by_persona`` (strength estimated unless ``pooling`` pseudo-users), with a
        traffic ``floor`` per variant.
    enrolment : float
        Share of the campaign's reached people enrolled, in (0, 1].
    stream : int
        Random-number stream: different tests on the same world and seed.
    costs, budget : sequence of float, float, optional
        Cost per enrolled user of each variant (currency) and a total budget: each period
        may spend (budget - spent) / (test periods left); if its enrolled users would cost
        more in expectation, every persona's users are thinned by the same binomial
        fraction. ``spend`` (Series by date) and ``total_spend`` report what was spent.

    Returns
    -------
    MessageTestRun

    Raises
    ------
    ValueError
        Unknown campaign, persona or design, fewer than 2 variants, weights of the wrong
        length, a start outside the periods (the message names the argument).
    """
    if design not in _DESIGNS:
        raise ValueError(f"design must be one of {_DESIGNS}, got {design!r}")
    if freq not in _FREQ_DAYS:
        raise ValueError(f"freq must be 'W' or 'D', got {freq!r}")
    for name, v in (("periods", periods), ("start", start), ("stream", stream)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
    appeal = _appeal_table(variants, world.segments)
    spec = {
        "campaign": campaign,
        "enrolment": float(enrolment),
        "variants": [
            {"name": str(v), "appeal": {p: float(appeal.loc[p, v]) for p in appeal.index}} for v in appeal.columns
        ],
    }
    w = [] if weights is None else [float(x) for x in weights]
    raw = _core.simulate.run_message_test(
        world._core,
        spec,
        periods=int(periods),
        period_days=_FREQ_DAYS[freq],
        first_period=int(start),
        policy=design,
        weights=w,
        floor=float(floor),
        prior_a=float(prior[0]),
        prior_b=float(prior[1]),
        top_two_beta=float(top_two_beta),
        pooling=-1.0 if pooling is None else float(pooling),
        by_persona=bool(by_persona),
        stream=int(stream),
        costs=[] if costs is None else [float(x) for x in costs],
        budget=float("inf") if budget is None else float(budget),
    )
    first = pd.Timestamp(world.to_dict().get("start", "2025-01-06"))
    days = _FREQ_DAYS[freq]
    dates = pd.DatetimeIndex(
        [first + pd.Timedelta(days=days * t) for t in range(int(start), int(periods))], name="date"
    )
    settings = {
        "campaign": campaign,
        "periods": int(periods),
        "start": int(start),
        "freq": freq,
        "weights": weights,
        "enrolment": float(enrolment),
        "floor": float(floor),
        "prior": tuple(prior),
        "pooling": pooling,
        "by_persona": bool(by_persona),
        "stream": int(stream),
        "seed": world.seed,
        "costs": costs,
        "budget": budget,
    }
    return MessageTestRun(raw, dates, appeal, design, settings)
