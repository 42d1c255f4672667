"""Validation of the trust-linked model on worlds it did not write (issue 12).

Each world is simulated by trustmix's people-level simulator (``tm.simulate``: trust as a
share of people, conversion logistic in trust and ad memory, PR as earned mentions with
outlet reach; docs/simulate.md), a different data-generating process from the model's
own equations. The observable weekly panel (segment mode, realised binomial noise) is
fitted as a user would, with default settings::

    TrustMMM(panel, date="week", outcome="conversions",
             channels={c: role},              # impressions for earned/owned/shared channels,
                                              # spend for paid ones; all-zero channels dropped
             tracker="trust_survey", shocks=[<crisis weeks, 0/1>],
             spend={c: "spend_<c>"}).fit(method="nuts")     # 4 x (1000 + 1000)

and compared with the simulator's exact truth for the same estimand (docs/validation.md):
for every channel c, the activity in W = the whole data removed, everything else kept,
counted over the data plus H = 104 zero-activity periods, short-term up to end(W) + L with
L = the model's max_lag (12)::

    truth = out.truth_for(window=(first, last), horizon=104, lag=12)
    est   = fit.roi(horizon=104, window=(first, last))          # per posterior draw

Quantities compared per world: every channel's incremental conversions (total, short,
long), the trust half-life (weeks) and the share of SMM's result made possible by PR
(truth: 1 - inc_SMM(world without PR) / inc_SMM(world), inc_SMM = E y(world) - E y(world
without the conversion/both channels), exact chains over the data; model: the
amplification allocated to the trust-role channels over the conversion channels' whole
contribution, own + amplification, from ``fit.decompose()`` per draw).

Reported per scenario family and overall: coverage of the equal-tailed 50% and 90%
intervals, median relative bias (est - truth) / |truth|, median absolute relative error,
median 90% interval width / |truth|, rank agreement of channels within a world
(Spearman), divergences and time. Relative quantities use max(|truth|, 1% of the
world's summed |channel truth|) as the denominator, so a channel with no true effect
does not divide by zero. Plots (coverage and error by channel role, estimate vs truth
with intervals) go to ``--out``.

Worlds: the five presets (104 weeks) and ``--worlds`` randomised variants (default 35)
drawn from ``--seed``: trust half-life 4-52 weeks, amplification 0-3, trust effect,
PR cadence (every 2-13 weeks) and size, paid flights, crises with and without a PR
response, 2-4 years weekly, survey panel 200-3000, audience size (binomial noise),
seasonality; the first randomised world has no trust effect at all (gamma = theta = 0).
World k's seeds depend only on (--seed, k), so results do not depend on --jobs.

Run (slow; the baseline in docs/validation.md)::

    PYTHONPATH=python python benchmarks/validate_worlds.py --out validation_out [--jobs 1]
    PYTHONPATH=python python benchmarks/validate_worlds.py --quick          # MAP, 8 worlds
    ... --option trend=False --option pr_measure=mentions ...               # part 3 hypotheses

``--option`` keys: pr_measure (impressions, spend, mentions, reach_sentiment), trend,
seasonality, max_lag, tracker (True/False), half_life_prior ("4,52": 90% range in weeks),
scaling, likelihood, window (all: W = the whole data; first_half: W = its first half, the
same W on both sides), trust_form (unset: the model's default, since the eighteenth session the
bounded share measured by the survey, as the simulator's survey is a share; linear, bounded:
TrustMMM's trust stock recursion),
tracker_noise (free: one free sigma_q; binomial: the survey's known sampling error from the
panel size, ``TrustMMM(tracker_n="trust_survey_n")``; none: with tracker_share, the share tracker
without the panel sizes, its noise one free sigma_q), tracker_share (True: the survey measures the
bounded share itself, ``TrustMMM(tracker_share=True, tracker_n="trust_survey_n")``; needs
trust_form=bounded), link (identity, log: ``TrustMMM(link="log")``, mu = exp(eta)), noise (unset: the
model's default, AR(1) residuals for the normal and lognormal likelihoods since the fourth session;
iid: ``TrustMMM(noise="iid")``, the default of the runs recorded before it; ar1), market_growth
("-0.02,0.02": the market's own growth per year, 90% range, ``priors={"market_growth": ...}``),
smm_input (spend: the paid conversion channels' spend, the default; rf: their reach and
frequency, the simulator's reach and impressions / reach, ``TrustMMM(rf_channels=)`` in
Meridian's Hill form).

``--diagnose-residuals`` fits each world by MAP (with the ``--option`` settings) and prints
the lag-1..4 autocorrelation of the standardised residuals (and, with noise=ar1, of the
innovations and the fitted phi): how much the misfit is correlated in time.

Effects per posterior draw come from one C++ call each over the thinned draw matrix
(``_core.mmm.roi``, ``_core.mmm.constrained_draws``) and one ``_core.mmm.decompose`` per
draw for the share of SMM made possible by PR: the same numbers as ``fit.roi`` /
``fit.decompose`` of one fit per draw.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import trustmix as tm
from trustmix.simulate.presets import PERSONAS, PR_KIND_DEFAULTS

HORIZON = 104
PR_KINDS = {"press": ["press_release", "interview"], "events": ["event"], "csr": ["csr"], "health_talks": ["event"]}
DEFAULTS: dict[str, Any] = {
    "pr_measure": "impressions",
    "trend": True,
    "seasonality": 2,
    "max_lag": 12,
    "tracker": True,
    "half_life_prior": None,
    "scaling": "mean",
    "likelihood": "normal",
    "window": "all",
    "trust_form": None,
    "tracker_noise": "free",
    "tracker_share": None,
    "link": "identity",
    "smm_input": "spend",
    "noise": None,
    "market_growth": None,
}


@dataclass
class Case:
    """One world: a scenario dict, its seed, the periods simulated, a family label."""

    name: str
    family: str
    spec: dict[str, Any]
    seed: int
    periods: int
    notes: dict[str, Any] = field(default_factory=dict)


# ---- worlds --------------------------------------------------------------------------


def preset_cases(seed: int) -> list[Case]:
    """Every preset scenario, 104 weeks (their flights run in 2025, the second year shows the tail)."""
    return [Case(n, "preset", tm.simulate.scenario(n), seed, 104) for n in tm.simulate.scenario_names()]


def _week(start: pd.Timestamp, k: int, day: int = 0) -> str:
    return (start + pd.Timedelta(days=7 * int(k) + int(day))).date().isoformat()


def random_case(k: int, seed: int, no_trust: bool = False) -> Case:
    """Randomised world k (deterministic in (seed, k))."""
    rng = np.random.default_rng([seed, k])
    base = tm.simulate.scenario("pr_first_then_smm")
    start = pd.Timestamp(base["start"])
    years = int(rng.integers(2, 5))
    T = 52 * years
    chans = {c["name"]: c for c in base["channels"]}
    keep = ["press", "instagram"]
    for name, p in (
        ("events", 0.6),
        ("csr", 0.4),
        ("tiktok", 0.6),
        ("linkedin", 0.4),
        ("youtube", 0.3),
        ("search", 0.5),
    ):
        if rng.random() < p:
            keep.append(name)
    spec = copy.deepcopy(base)
    spec["description"] = f"randomised world {k}"
    spec["channels"] = [copy.deepcopy(chans[c]) for c in chans if c in keep]
    names = list(PERSONAS)
    n_aud = int(rng.integers(2, 5))
    size_factor = float(10 ** rng.uniform(-0.5, 0.5))
    spec["audiences"] = []
    for n in rng.choice(names, n_aud, replace=False):
        a = {"name": str(n), **copy.deepcopy(PERSONAS[str(n)])}
        a["size"] = float(round(a["size"] * size_factor))
        for key in ("reach", "affinity"):
            a[key] = {c: v for c, v in a.get(key, {}).items() if c in keep}
        spec["audiences"].append(a)
    half_life_weeks = float(rng.uniform(4, 52))
    amplification = 0.0 if no_trust else float(rng.uniform(0, 3))
    effect = 0.0 if no_trust else float(rng.uniform(0.3, 1.5))
    spec["trust"] = {"half_life_days": 7 * half_life_weeks, "effect": effect, "amplification": amplification}
    spec["smm"] = dict(
        spec["smm"], effect=float(rng.uniform(0.8, 2.0)), memory_half_life_days=float(rng.uniform(2, 10))
    )
    spec["seasonality"] = {"amplitude": float(rng.uniform(0, 0.3)), "peak_day": float(rng.uniform(0, 365))}
    spec["survey_panel_size"] = int(rng.choice([200, 500, 1000, 3000]))
    # PR: every `cadence` weeks one activity on a random trust channel; size multiplier.
    trust_chans = [c["name"] for c in spec["channels"] if c["role"] == "trust"]
    cadence = int(rng.integers(2, 14))
    size = float(rng.uniform(0.5, 2.0))
    acts = []
    for j, w in enumerate(range(int(rng.integers(0, cadence)), T - 4, cadence)):
        ch = str(rng.choice(trust_chans))
        kind = str(rng.choice(PR_KINDS[ch]))
        d = PR_KIND_DEFAULTS[kind]
        acts.append(
            {
                "name": f"pr_{j}",
                "channel": ch,
                "kind": kind,
                "date": _week(start, w, int(rng.integers(0, 5))),
                "mentions": float(min(700.0, d["mentions"] * size * rng.uniform(0.5, 1.5))),
                "outlet_reach": float(d["outlet_reach"] * size * rng.uniform(0.5, 1.5)),
            }
        )
    # Paid flights: 1-3 per year and channel, 4-16 weeks, weekly budget by channel.
    camps = []
    for c in spec["channels"]:
        if c["peso"] != "paid":
            continue
        for j in range(years * int(rng.integers(1, 4))):
            w0 = int(rng.integers(0, T - 4))
            w1 = min(T - 1, w0 + int(rng.integers(4, 17)))
            weekly = float(rng.uniform(2_000, 12_000))
            camps.append(
                {
                    "name": f"{c['name']}_{j}",
                    "channel": c["name"],
                    "objective": "conversion",
                    "start": _week(start, w0),
                    "end": _week(start, w1, 6),
                    "budget": weekly * (w1 - w0 + 1),
                }
            )
    events = []
    if rng.random() < 0.45:
        w = int(rng.integers(8, T - 8))
        ev = {
            "name": "crisis",
            "kind": "crisis",
            "date": _week(start, w),
            "severity": float(rng.uniform(0.1, 0.4)),
            "mentions": 40.0,
        }
        if rng.random() < 0.5 and "press" in trust_chans:
            acts.append(
                {
                    "name": "crisis_statement",
                    "channel": "press",
                    "kind": "official_statement",
                    "date": _week(start, w, 2),
                }
            )
            ev.update(response="crisis_statement", softening=float(rng.uniform(0.3, 0.7)))
        events.append(ev)
    spec["pr_activities"] = acts
    spec["campaigns"] = camps
    spec["events"] = events
    family = "no_trust" if no_trust else ("crisis" if events else "random")
    notes = {
        "half_life_weeks": half_life_weeks,
        "amplification": amplification,
        "trust_effect": effect,
        "cadence_weeks": cadence,
        "pr_size": size,
        "years": years,
        "survey": spec["survey_panel_size"],
        "size_factor": size_factor,
        "crisis_response": bool(events and "response" in events[0]),
    }
    return Case(f"random_{k:02d}", family, spec, int(seed * 1000 + k), T, notes)


def all_cases(n_random: int, seed: int, presets: bool = True) -> list[Case]:
    out = preset_cases(seed) if presets else []
    out += [random_case(k, seed, no_trust=(k == 0)) for k in range(n_random)]
    return out


# ---- observation and fit -------------------------------------------------------------


def observe(case: Case) -> tuple[Any, pd.DataFrame, dict[str, str], dict[str, str], list[str]]:
    """Simulates the world; returns (result, model data, roles, peso, shock columns)."""
    world = tm.simulate.World(case.spec, seed=case.seed)
    out = world.run(periods=case.periods, mode="segment", freq="W", threads=1, truth=False)
    panel = out.panel
    df = pd.DataFrame({"week": panel.index, "conversions": panel["conversions"].to_numpy()})
    roles, peso = {}, {}
    for c in case.spec["channels"]:
        name = c["name"]
        if panel[f"spend_{name}"].sum() <= 0 and panel[f"impressions_{name}"].sum() <= 0:
            continue
        roles[name], peso[name] = c.get("role", "conversion"), c.get("peso", "paid")
        df[f"spend_{name}"] = panel[f"spend_{name}"].to_numpy()
        df[f"impressions_{name}"] = panel[f"impressions_{name}"].to_numpy()
        df[f"mentions_{name}"] = panel[f"mentions_{name}"].to_numpy()
        df[f"reach_{name}"] = panel[f"reach_{name}"].to_numpy()
    df["net_sentiment"] = np.nan_to_num(panel["net_sentiment"].to_numpy(), nan=0.0)
    df["trust_survey"] = panel["trust_survey"].to_numpy()
    df["trust_survey_n"] = panel["trust_survey_n"].to_numpy(dtype=float)
    shocks = []
    for e in case.spec.get("events") or []:
        if e["kind"] != "crisis":
            continue
        col = f"shock_{e['name']}"
        df[col] = (np.arange(case.periods) == (pd.Timestamp(e["date"]) - panel.index[0]).days // 7).astype(float)
        if df[col].any():
            shocks.append(col)
    return out, df, roles, peso, shocks


def model_columns(df: pd.DataFrame, roles: dict[str, str], peso: dict[str, str], measure: str) -> pd.DataFrame:
    """Adds one activity column per channel (named as the channel): spend for paid channels,
    the chosen measure for earned/owned/shared ones; drops channels that are all zero."""
    for c in list(roles):
        if peso[c] == "paid":
            x = df[f"spend_{c}"]
        elif measure == "impressions":
            x = df[f"impressions_{c}"]
        elif measure == "spend":
            x = df[f"spend_{c}"]
        elif measure == "mentions":
            x = df[f"mentions_{c}"]
        elif measure == "reach_sentiment":
            x = df[f"impressions_{c}"] * df["net_sentiment"].clip(lower=0.0)
        else:
            raise ValueError(f"pr_measure must be impressions, spend, mentions or reach_sentiment, got {measure!r}")
        df[c] = x.to_numpy()
        if not (df[c] > 0).any():
            del roles[c]
    return df


def _quantiles(a: np.ndarray) -> dict[str, np.ndarray]:
    q = np.quantile(a, [0.05, 0.25, 0.75, 0.95], axis=0)
    return {"mean": a.mean(axis=0), "low90": q[0], "low50": q[1], "high50": q[2], "high90": q[3]}


def truth_share_smm_from_pr(world: Any, periods: int, roles: dict[str, str], spec: dict[str, Any]) -> float:
    """1 - inc_SMM(no PR) / inc_SMM(world): exact chains over the data, common coverage draws."""
    pr = [c["name"] for c in spec["channels"] if c.get("role") == "trust"]
    smm = [c["name"] for c in spec["channels"] if c.get("role") in ("conversion", "both")]
    if not pr or not smm:
        return float("nan")

    def expected(remove: list[str]) -> float:
        raw = world._core.run("segment", periods=periods, period_days=7, threads=1, remove=remove)
        return float(raw.expected_conversions.sum())

    with_pr = expected([]) - expected(smm)
    without_pr = expected(pr) - expected(pr + smm)
    return 1.0 - without_pr / with_pr if with_pr != 0 else float("nan")


def build_model(case: Case, opt: dict[str, Any]) -> tuple[Any, pd.DataFrame, dict[str, str], Any, bool]:
    """The panel of one world and the model a user fits to it with options ``opt``
    (DEFAULTS completed): (model, panel, roles, the simulator's output, trust on)."""
    out, df, roles, peso, shocks = observe(case)
    df = model_columns(df, roles, peso, opt["pr_measure"])
    trust_on = any(r in ("trust", "both") for r in roles.values())
    # None: the model's default (a tracker that reads as a share, as the simulator's survey
    # does, gives the bounded share it measures, since the eighteenth session)
    share: bool | None = None
    if opt["tracker_share"] is not None:
        share = str(opt["tracker_share"]) in ("True", "true", "1") and bool(opt["tracker"]) and trust_on
    priors: dict[str, Any] = {}
    if opt["half_life_prior"]:
        lo, hi = (float(x) for x in str(opt["half_life_prior"]).split(","))
        priors["trust_half_life"] = (lo, hi)
    if opt["market_growth"]:
        lo, hi = (float(x) for x in str(opt["market_growth"]).split(","))
        priors["market_growth"] = (lo, hi)
    rf: dict[str, tuple[str, str]] | None = None
    if opt["smm_input"] == "rf":  # paid conversion channels as reach x frequency
        rf = {}
        for c in [c for c, r in roles.items() if r == "conversion" and peso[c] == "paid"]:
            reach = df[f"reach_{c}"].to_numpy(dtype=float)
            df[f"rfreach_{c}"] = reach
            df[f"rffreq_{c}"] = np.where(reach > 0, df[f"impressions_{c}"] / np.maximum(reach, 1e-300), 0.0)
            rf[c] = (f"rfreach_{c}", f"rffreq_{c}")
    elif opt["smm_input"] != "spend":
        raise ValueError(f"smm_input must be spend or rf, got {opt['smm_input']!r}")
    model = tm.TrustMMM(
        df,
        date="week",
        outcome="conversions",
        channels=dict(roles),
        tracker="trust_survey" if (opt["tracker"] and trust_on) else None,
        shocks=shocks if trust_on else [],
        spend={c: f"spend_{c}" for c in roles},
        seasonality=int(opt["seasonality"]),
        trend=bool(opt["trend"]),
        max_lag=int(opt["max_lag"]),
        trust=trust_on,
        priors=priors or None,
        scaling=opt["scaling"],
        likelihood=opt["likelihood"],
        trust_form=opt["trust_form"],
        tracker_n="trust_survey_n"
        if (
            (opt["tracker_noise"] == "binomial" or (bool(share) and opt["tracker_noise"] != "none"))
            and opt["tracker"]
            and trust_on
        )
        else None,
        tracker_share=share,
        link=str(opt["link"]),
        noise=opt["noise"],
        rf_channels=rf,
    )
    return model, df, roles, out, trust_on


def fit_case(
    case: Case,
    method: str = "nuts",
    chains: int = 4,
    draws: int = 1000,
    tune: int = 1000,
    max_draws: int = 200,
    options: dict[str, Any] | None = None,
    target_accept: float | None = None,
) -> dict[str, Any]:
    """Simulates, fits and compares one world. Returns {"channels": rows, "world": row}."""
    opt = dict(DEFAULTS, **(options or {}))
    t0 = time.perf_counter()
    model, df, roles, out, trust_on = build_model(case, opt)
    t_fit = time.perf_counter()
    # The sampler's diagnostics warnings (R-hat, ESS, divergences) are part of the result:
    # recorded per world, not raised, so one doubtful fit does not stop the harness.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", tm.inference.InferenceWarning)
        fit = model.fit(
            method=method,
            chains=chains,
            draws=draws,
            tune=tune,
            seed=case.seed,
            progress=False,
            **({"target_accept": target_accept} if method == "nuts" and target_accept is not None else {}),
        )
    fit_seconds = time.perf_counter() - t_fit
    # W: the whole data (fit.roi's default) or its first half (then "long" also holds
    # periods inside the data, after the first half + L).
    last = len(df) - 1 if opt["window"] == "all" else len(df) // 2 - 1
    if opt["window"] not in ("all", "first_half"):
        raise ValueError(f"window must be 'all' or 'first_half', got {opt['window']!r}")
    window = (df["week"].iloc[0], df["week"].iloc[last])
    truth = out.truth_for(window=window, horizon=HORIZON, lag=model.max_lag)
    tch = truth.channels.set_index("channel")
    zs = np.ascontiguousarray(fit.draws(max_draws))
    core = tm._core.mmm
    lo_w, hi_w = fit._window(window)
    r = core.roi(
        model._core,
        zs,
        horizon=HORIZON,
        window_begin=lo_w,
        window_end=hi_w,
        spend=np.zeros(len(model.channels)),
        value_per_outcome=float("nan"),
        outcome_scale=model.y_scale,
    )
    cols = ["incremental_total", "incremental_short", "incremental_long"]
    stack = np.stack([np.asarray(getattr(r, c)) for c in cols], axis=-1)  # draws x C x 3 (channels in model order)
    q = _quantiles(stack)
    truth_vals = np.column_stack(
        [
            tch.loc[model.channels, k].to_numpy(dtype=float)
            for k in ("conversions", "short_term_conversions", "long_term_conversions")
        ]
    )
    scale = max(1e-9, np.abs(truth_vals[:, 0]).sum())
    rows = []
    organic = {c["name"] for c in case.spec["channels"] if c.get("organic_impressions", 0) > 0}
    for j, c in enumerate(model.channels):
        for k, part in enumerate(("total", "short", "long")):
            tv = truth_vals[j, k]
            rows.append(
                {
                    "world": case.name,
                    "family": case.family,
                    "channel": c,
                    "role": roles[c],
                    "kind": "organic"
                    if c in organic
                    else ("pr" if roles[c] == "trust" else "both" if roles[c] == "both" else "smm"),
                    "part": part,
                    "truth": tv,
                    "estimate": q["mean"][j, k],
                    "low90": q["low90"][j, k],
                    "high90": q["high90"][j, k],
                    "low50": q["low50"][j, k],
                    "high50": q["high50"][j, k],
                    "denominator": max(abs(tv), 0.01 * scale),
                }
            )
    # trust half-life (weeks) and the share of SMM's result made possible by PR
    world_row: dict[str, Any] = {
        "world": case.name,
        "family": case.family,
        "periods": case.periods,
        "channels": len(model.channels),
        **case.notes,
    }
    hl_true = case.spec["trust"]["half_life_days"] / 7.0
    world_row["half_life_true"] = hl_true
    if trust_on:
        names = list(model._core.constrained_names)
        delta = np.asarray(core.constrained_draws(model._core, zs))[:, names.index("delta")]
        hl = np.log(0.5) / np.log(delta)
        qh = _quantiles(hl)
        world_row.update({f"half_life_{k}": float(v) for k, v in qh.items()})
        pr_chans = [c for c in model.trust_channels if roles[c] == "trust"]
        shares = []
        pr_cols = [model.trust_channels.index(c) for c in pr_chans]
        for i in range(zs.shape[0]):
            d = core.decompose(model._core, zs[i : i + 1], model.y_scale)
            amp_m = np.asarray(d.amplification)
            amp = float(amp_m[:, pr_cols].sum()) if pr_cols else 0.0
            amp_all = float(amp_m.sum())
            own = float(np.asarray(d.own).sum())
            shares.append(amp / (own + amp_all) if (own + amp_all) != 0 else np.nan)
        qs = _quantiles(np.asarray(shares))
        world_row.update({f"share_{k}": float(v) for k, v in qs.items()})
    world_row["share_true"] = truth_share_smm_from_pr(out.world, case.periods, roles, case.spec)
    post = fit.posterior
    world_row["divergences"] = int(post.divergences) if post is not None else 0
    world_row["inference_warnings"] = len(caught)
    world_row["fit_seconds"] = fit_seconds
    if post is not None:  # the sampler's cost: leapfrog steps (gradient evaluations) per kept draw, step size
        world_row["mean_steps"] = float(np.mean(post.sample_stats["n_steps"]))
        world_row["step_size"] = float(np.median(post.adapted_step_size))
        world_row["gradient_evaluations"] = int(np.sum(post.gradient_evaluations))
    world_row["seconds"] = time.perf_counter() - t0
    world_row["marketing_share"] = float(np.abs(truth_vals[:, 0]).sum() / df["conversions"].sum())
    tot = [r for r in rows if r["part"] == "total"]
    if len(tot) >= 3:
        world_row["rank_spearman"] = float(
            pd.Series([r["estimate"] for r in tot]).corr(pd.Series([r["truth"] for r in tot]), method="spearman")
        )
    return {"channels": rows, "world": world_row}


def diagnose_half_life(case: Case) -> dict[str, float]:
    """Which trust recursion fits the simulator's noise-free trust? (docs/validation.md)

    On the exact expected trusting share G[t] of the whole population (no survey noise,
    no outcome), least squares of two recursions with the PR channels' impressions I[p, t]
    (the media inputs, crisis weeks as extra columns):

        model form:    G[t] = delta G[t-1] + c + sum_p k_p I[p, t] + sum_e w_e d[e, t]
        bounded form:  G[t] = delta G[t-1] + c + (1 - G[t-1]) sum_p k_p I[p, t] + sum_e w_e d[e, t] G[t-1]

    and the half-life ln 0.5 / ln delta of each, against the true one. The model's
    inflow does not depend on G; the simulator's is proportional to the untrusting share.
    """
    world = tm.simulate.World(case.spec, seed=case.seed)
    T = case.periods
    raw = world._core.run("segment", periods=T, period_days=7, threads=1)
    g = raw.expected_trusting.sum(axis=1) / raw.population.sum()
    drive = world._core.drive(periods=T, period_days=7)
    trust = [j for j, c in enumerate(case.spec["channels"]) if c.get("role") in ("trust", "both")]
    x = np.asarray(drive.impressions, dtype=float)[:, trust]
    x = x / np.where(x.max(axis=0) > 0, x.max(axis=0), 1.0)
    d = np.asarray(drive.severity_loss, dtype=float)[:, None]
    prev, now = g[:-1], g[1:]
    out = {"world": case.name, "half_life_true": case.spec["trust"]["half_life_days"] / 7.0}
    for name, inflow, shock in (
        ("model_form", x[1:], d[1:]),
        ("bounded_form", (1 - prev)[:, None] * x[1:], d[1:] * prev[:, None]),
    ):
        design = np.column_stack([prev, np.ones_like(prev), inflow, shock])
        coef, *_ = np.linalg.lstsq(design, now, rcond=None)
        delta = float(coef[0])
        out[f"half_life_{name}"] = float(np.log(0.5) / np.log(delta)) if 0 < delta < 1 else float("nan")
    return out


def diagnose_residuals(case: Case, opt: dict[str, Any], lags: int = 4) -> dict[str, Any]:
    """MAP fit of one world; the autocorrelation of its standardised residuals.

    r[t] = (y[t] - mu[t]) / sigma (lognormal: ln y - ln mu + s^2/2 over its sd) at the
    mode, and acf(k) = sum_t (r[t] - rbar)(r[t+k] - rbar) / sum_t (r[t] - rbar)^2 for
    k = 1..lags. With noise=ar1 also the innovations' acf, eps[t] = r[t] - phi r[t-1].
    """
    model, _, _, _, _ = build_model(case, opt)
    fit = model.fit(method="map", seed=case.seed)
    mu = np.asarray(fit._forward().mu)
    p = fit.params
    y = np.asarray(model._y)
    e = np.log(y) - np.log(mu) if model.likelihood == "lognormal" else y - mu
    phi = float(p.get("ar1_phi", 0.0))
    sd = float(p["sigma"]) / np.sqrt(1.0 - phi * phi)

    def acf(v: np.ndarray) -> list[float]:
        v = v - v.mean()
        den = float(v @ v)
        return [float(v[:-k] @ v[k:]) / den for k in range(1, lags + 1)]

    row: dict[str, Any] = {"world": case.name, "periods": len(y), "resid_sd_over_sigma": float(e.std() / sd)}
    row.update({f"acf{k}": a for k, a in enumerate(acf(e / sd), start=1)})
    if getattr(model, "noise", "iid") == "ar1":
        row["phi"] = phi
        row.update({f"innov_acf{k}": a for k, a in enumerate(acf(e[1:] - phi * e[:-1]), start=1)})
    return row


# ---- metrics and report --------------------------------------------------------------


def covered(ch: pd.DataFrame, level: int) -> pd.Series:
    """Whether the truth lies in the interval; a part that is numerically zero on both
    sides (e.g. an SMM channel's tail 12 weeks after the data) counts as covered: the
    tolerance is 1e-6 of the denominator."""
    tol = 1e-6 * ch["denominator"]
    return (ch[f"low{level}"] - tol <= ch["truth"]) & (ch["truth"] <= ch[f"high{level}"] + tol)


def metrics(ch: pd.DataFrame) -> pd.Series:
    """Coverage, bias, error and width of a set of channel-world rows."""
    rel = (ch["estimate"] - ch["truth"]) / ch["denominator"]
    return pd.Series(
        {
            "n": len(ch),
            "cover50": covered(ch, 50).mean(),
            "cover90": covered(ch, 90).mean(),
            "median_rel_bias": rel.median(),
            "median_abs_rel_error": rel.abs().median(),
            "median_width90_rel": ((ch["high90"] - ch["low90"]) / ch["denominator"]).median(),
        }
    )


def world_metrics(w: pd.DataFrame, prefix: str, truth_col: str) -> pd.Series:
    w = w.dropna(subset=[f"{prefix}_mean", truth_col])
    tv = w[truth_col]
    # half-life: relative to the truth; share: absolute, in share points (den = 1)
    den = tv.abs().clip(lower=1e-9) if prefix == "half_life" else pd.Series(1.0, index=w.index)
    rel = (w[f"{prefix}_mean"] - tv) / den
    return pd.Series(
        {
            "n": len(w),
            "cover50": ((w[f"{prefix}_low50"] <= tv) & (tv <= w[f"{prefix}_high50"])).mean(),
            "cover90": ((w[f"{prefix}_low90"] <= tv) & (tv <= w[f"{prefix}_high90"])).mean(),
            "median_rel_bias": rel.median(),
            "median_abs_rel_error": rel.abs().median(),
            "median_width90_rel": ((w[f"{prefix}_high90"] - w[f"{prefix}_low90"]) / den).median(),
        }
    )


def report(ch: pd.DataFrame, worlds: pd.DataFrame) -> str:
    lines = []
    tot = ch[ch["part"] == "total"]
    lines.append("== channel totals, overall ==")
    lines.append(metrics(tot).round(3).to_string())
    for by in ("kind", "family"):
        lines.append(f"\n== channel effects by {by} and part ==")
        lines.append(ch.groupby([by, "part"]).apply(metrics, include_groups=False).round(3).to_string())
    lines.append("\n== PR (role trust) channels by name ==")
    lines.append(
        ch[ch["kind"] == "pr"].groupby(["channel", "part"]).apply(metrics, include_groups=False).round(3).to_string()
    )
    lines.append("\n== trust half-life (weeks; worlds with a trust effect) ==")
    half_life = world_metrics(worlds[worlds["family"] != "no_trust"], "half_life", "half_life_true")
    lines.append(half_life.round(3).to_string())
    lines.append("\n== share of SMM's result made possible by PR (absolute error in share points) ==")
    if "share_mean" in worlds:
        lines.append(world_metrics(worlds, "share", "share_true").round(3).to_string())
    lines.append("\n== per world ==")
    cols = [
        c
        for c in (
            "world",
            "family",
            "periods",
            "channels",
            "half_life_true",
            "half_life_mean",
            "share_true",
            "share_mean",
            "rank_spearman",
            "divergences",
            "mean_steps",
            "step_size",
            "fit_seconds",
            "seconds",
        )
        if c in worlds
    ]
    lines.append(worlds[cols].round(3).to_string(index=False))
    lines.append("\n== per world, channel totals ==")
    lines.append(tot.groupby("world").apply(metrics, include_groups=False).round(3).to_string())
    no_div = (worlds["divergences"] == 0).mean()
    rank = worlds.get("rank_spearman", pd.Series(dtype=float)).median()
    lines.append(
        f"\nfits with no divergence: {no_div:.3f}; median rank agreement (Spearman): {rank:.3f}; "
        f"median seconds per world: {worlds['seconds'].median():.1f}"
    )
    return "\n".join(lines)


def headline(ch: pd.DataFrame, worlds: pd.DataFrame) -> dict[str, float]:
    """The numbers of the hypothesis table in docs/validation.md for one run."""
    tot = ch[ch["part"] == "total"]
    pr, smm = tot[tot["kind"] == "pr"], tot[tot["kind"] == "smm"]
    pr_long = ch[(ch["part"] == "long") & (ch["kind"] == "pr")]
    rel = lambda d: (d["estimate"] - d["truth"]) / d["denominator"]  # noqa: E731
    wt = worlds[worlds["family"] != "no_trust"].dropna(subset=["half_life_mean"])
    hl_cov = (wt["half_life_low90"] <= wt["half_life_true"]) & (wt["half_life_true"] <= wt["half_life_high90"])
    return {
        "pr_total_mare": rel(pr).abs().median(),
        "pr_total_bias": rel(pr).median(),
        "pr_total_cover90": covered(pr, 90).mean(),
        "pr_long_mare": rel(pr_long).abs().median(),
        "smm_total_mare": rel(smm).abs().median(),
        "all_total_cover90": covered(tot, 90).mean(),
        "half_life_bias": ((wt["half_life_mean"] - wt["half_life_true"]) / wt["half_life_true"]).median(),
        "half_life_cover90": hl_cov.mean(),
        "share_abs_error": (worlds["share_mean"] - worlds["share_true"]).abs().median(),
        "no_divergence": (worlds["divergences"] == 0).mean(),
        "median_fit_seconds": worlds["fit_seconds"].median() if "fit_seconds" in worlds else np.nan,
    }


def plots(ch: pd.DataFrame, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    tot = ch[ch["part"] == "total"]
    by = ch.groupby(["kind", "part"]).apply(metrics, include_groups=False).reset_index()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for part, off in (("total", -0.25), ("short", 0.0), ("long", 0.25)):
        sub = by[by["part"] == part]
        x = np.arange(len(sub))
        axes[0].bar(x + off, sub["cover90"], width=0.25, label=part)
        axes[1].bar(x + off, sub["median_abs_rel_error"], width=0.25, label=part)
        axes[0].set_xticks(x, sub["kind"])
        axes[1].set_xticks(x, sub["kind"])
    axes[0].axhspan(0.85, 0.95, color="green", alpha=0.15, label="goal 85-95%")
    axes[0].set_ylabel("coverage of 90% intervals")
    axes[1].axhline(0.2, color="green", ls="--", label="goal for PR total (20%)")
    axes[1].set_ylabel("median |est - truth| / |truth|")
    axes[1].set_yscale("log")
    axes[1].set_ylim(bottom=1e-3)
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    fig.suptitle("Incremental conversions by channel role, simulator worlds")
    fig.tight_layout()
    paths.append(out / "coverage_error_by_role.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6.5, 6))
    colors = {"pr": "tab:red", "smm": "tab:blue", "both": "tab:purple", "organic": "tab:green"}
    for kind, sub in tot.groupby("kind"):
        ax.errorbar(
            sub["truth"].clip(lower=1),
            sub["estimate"].clip(lower=1),
            yerr=[(sub["estimate"] - sub["low90"]).clip(lower=0), (sub["high90"] - sub["estimate"]).clip(lower=0)],
            fmt="o",
            ms=4,
            alpha=0.7,
            color=colors.get(kind, "grey"),
            label=kind,
            elinewidth=0.8,
        )
    lim = [1, max(10.0, float(tot[["truth", "high90"]].max().max()) * 1.5)]
    ax.plot(lim, lim, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_xlabel("true incremental conversions (simulator)")
    ax.set_ylabel("model estimate (posterior mean, 90% interval)")
    ax.legend()
    ax.set_title("Channel totals: estimate vs truth (values < 1 drawn at 1)")
    fig.tight_layout()
    paths.append(out / "estimate_vs_truth.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def _run_one(args: tuple[Case, dict[str, Any]]) -> dict[str, Any]:
    case, kw = args
    try:
        return fit_case(case, **kw)
    except Exception as e:  # a failed world is reported, never silently dropped
        return {
            "channels": [],
            "world": {
                "world": case.name,
                "family": case.family,
                "error": repr(e),
                "divergences": np.nan,
                "seconds": np.nan,
            },
        }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worlds", type=int, default=35, help="randomised worlds (plus the 5 presets)")
    ap.add_argument("--seed", "--seeds", dest="seed", type=int, default=2026, help="base seed of the worlds")
    ap.add_argument("--quick", action="store_true", help="MAP fits of 3 randomised worlds + presets")
    ap.add_argument("--method", default="nuts", choices=["nuts", "map"])
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--max-draws", type=int, default=200, help="posterior draws used for the effects")
    ap.add_argument(
        "--target-accept",
        type=float,
        default=None,
        help="NUTS target acceptance (default: TrustMMM.fit's own, 0.95 since the eighteenth session, 0.9 before)",
    )
    ap.add_argument("--jobs", type=int, default=1, help="worlds fitted in parallel processes")
    ap.add_argument("--no-presets", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated world names or families to keep")
    ap.add_argument("--option", action="append", default=[], help="model option key=value (see the docstring)")
    ap.add_argument("--out", default="validation_out", help="folder for CSVs, report and plots")
    ap.add_argument("--from-csv", action="store_true", help="rebuild report and plots from --out's CSVs")
    ap.add_argument("--compare", nargs="+", metavar="FOLDER", help="one headline row per earlier run's folder")
    ap.add_argument(
        "--diagnose-half-life",
        action="store_true",
        help="fit both trust recursions to each world's noise-free trust (no model fit)",
    )
    ap.add_argument(
        "--diagnose-residuals",
        action="store_true",
        help="MAP fit of each world; autocorrelation of the standardised residuals",
    )
    a = ap.parse_args(argv)
    options: dict[str, Any] = {}
    for kv in a.option:
        k, v = kv.split("=", 1)
        if k not in DEFAULTS:
            raise SystemExit(f"unknown --option {k!r}; known: {', '.join(DEFAULTS)}")
        options[k] = {"True": True, "False": False}.get(v, v)
    if a.diagnose_residuals:
        cases = all_cases(a.worlds, a.seed, presets=not a.no_presets)
        if a.only:
            cases = [c for c in cases if c.name in set(a.only.split(",")) or c.family in set(a.only.split(","))]
        res = pd.DataFrame([diagnose_residuals(c, dict(DEFAULTS, **options)) for c in cases])
        print(res.round(3).to_string(index=False))
        cols = [c for c in res.columns if "acf" in c or c in ("phi", "resid_sd_over_sigma")]
        print("\nmedian:", res[cols].median().round(3).to_dict())
        significant = float((res["acf1"] > 2 / np.sqrt(res["periods"])).mean())
        print("share of worlds with acf1 > 2 / sqrt(T):", round(significant, 3))
        return
    if a.diagnose_half_life:
        rows = pd.DataFrame(
            [
                diagnose_half_life(c)
                for c in all_cases(a.worlds, a.seed)
                if c.family != "no_trust" and c.spec.get("pr_activities")
            ]
        )
        for f in ("model_form", "bounded_form"):
            rows[f"ratio_{f}"] = rows[f"half_life_{f}"] / rows["half_life_true"]
        print(rows.round(2).to_string(index=False))
        ratios = rows[["ratio_model_form", "ratio_bounded_form"]].median().round(3).to_dict()
        print("\nmedian estimate / truth:", ratios)
        return
    if a.compare:
        # Paired against the first folder: the share of PR channel-world totals whose
        # absolute error went down, and a two-sided sign-test p-value for it.
        from math import comb

        def pr_errors(ch: pd.DataFrame) -> pd.Series:
            t = ch[(ch["part"] == "total") & (ch["kind"] == "pr")].set_index(["world", "channel"])
            return ((t["estimate"] - t["truth"]) / t["denominator"]).abs()

        ref = pr_errors(pd.read_csv(Path(a.compare[0]) / "channels.csv"))
        rows = {}
        for f in a.compare:
            ch = pd.read_csv(Path(f) / "channels.csv")
            row = headline(ch, pd.read_csv(Path(f) / "worlds.csv"))
            both = pd.concat([ref, pr_errors(ch)], axis=1, join="inner").dropna()
            better, n = int((both.iloc[:, 1] < both.iloc[:, 0]).sum()), int((both.iloc[:, 1] != both.iloc[:, 0]).sum())
            tail = sum(comb(n, k) for k in range(0, min(better, n - better) + 1)) / 2**n if n else 1.0
            row.update({"pr_better_paired": better / n if n else np.nan, "sign_test_p": min(1.0, 2 * tail)})
            rows[Path(f).name] = row
        print(pd.DataFrame(rows).T.round(3).to_string())
        return
    if a.from_csv:
        out = Path(a.out)
        ch, worlds = pd.read_csv(out / "channels.csv"), pd.read_csv(out / "worlds.csv")
        ok = worlds[worlds["error"].isna()] if "error" in worlds else worlds
        text = report(ch, ok)
        (out / "report.txt").write_text(text)
        print(text)
        for p in plots(ch, out):
            print("plot:", p)
        return
    if a.quick:
        a.worlds, a.method = min(a.worlds, 3), "map"
    cases = all_cases(a.worlds, a.seed, presets=not a.no_presets)
    if a.only:
        keep = set(a.only.split(","))
        cases = [c for c in cases if c.name in keep or c.family in keep]
    kw = {
        "method": a.method,
        "chains": a.chains,
        "draws": a.draws,
        "tune": a.tune,
        "max_draws": a.max_draws,
        "options": options,
        "target_accept": a.target_accept,
    }
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    print(f"{len(cases)} worlds, {a.method}, options {options or 'default'}, load {os.getloadavg()[0]:.1f}", flush=True)
    jobs = [(c, kw) for c in cases]
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as ex:
            results = list(ex.map(_run_one, jobs))
    else:
        results = []
        for j in jobs:
            results.append(_run_one(j))
            w = results[-1]["world"]
            print(
                f"  {w['world']}: {w.get('seconds', float('nan')):.1f} s, divergences {w.get('divergences')}"
                + (f", ERROR {w['error']}" if "error" in w else ""),
                flush=True,
            )
    ch = pd.DataFrame([r for res in results for r in res["channels"]])
    worlds = pd.DataFrame([res["world"] for res in results])
    ch.to_csv(out / "channels.csv", index=False)
    worlds.to_csv(out / "worlds.csv", index=False)
    (out / "run.json").write_text(json.dumps({"args": vars(a), "seconds": time.perf_counter() - t0}, default=str))
    errors = worlds[worlds.get("error", pd.Series(dtype=object)).notna()] if "error" in worlds else worlds.iloc[:0]
    text = report(ch, worlds.drop(index=errors.index)) if len(ch) else "no world could be fitted"
    if len(errors):
        text += "\n\nFAILED worlds:\n" + errors[["world", "error"]].to_string(index=False)
    text += f"\n\ntotal {time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.1f}"
    (out / "report.txt").write_text(text)
    print(text)
    if len(ch):
        for p in plots(ch, out):
            print("plot:", p)


if __name__ == "__main__":
    main()
