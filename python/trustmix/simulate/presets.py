"""Scenario presets and example personas, as plain data.

A scenario is a dict (JSON-compatible) that users copy and edit::

    spec = tm.simulate.scenario("pr_first_then_smm")     # a deep copy
    spec["audiences"][0]["size"] = 2_000_000
    world = tm.simulate.World(spec, seed=1)

Keys (all optional except channels and audiences):

- ``start``: ISO date of the first period.
- ``trust``: ``half_life_days`` (return to baseline), ``effect`` (gamma, logit shift of a
  trusting person), ``amplification`` (theta: a trusting person's SMM effect is
  ``1 + theta`` times larger), ``initial`` ({audience: trusting share at start}).
- ``smm``: ``memory_half_life_days``, ``effect`` (beta, logit shift at saturated ad
  memory), ``memory_cap`` (m), ``saturation`` (hill, logistic, michaelis_menten, tanh)
  and ``saturation_params`` (in remembered impressions).
- ``seasonality``: ``amplitude`` (logit), ``peak_day`` (day of year).
- ``channels``: name, peso, role, platform, cpm, ctr, visit_rate, engagement,
  trust_gain, sentiment, dispersion, organic_impressions (per 7 days).
- ``audiences``: name, size, baseline_trust, trust_sensitivity, base_conversion_rate
  (per 7 days), value_per_conversion, reach {channel: share}, affinity {channel: x}, tags.
- ``campaigns``: name, channel, objective, start, end, budget.
- ``pr_activities``: name, channel, kind, date, and optionally mentions, outlet_reach,
  reach_sd_log, sentiment, sentiment_sd, cost, duration_days (defaults by kind below).
- ``events``: name, kind (crisis, positive_news), date, severity, mentions, response
  (a PR activity's name), softening.
- ``survey_panel_size``, ``competitor_mentions`` (per 7 days), ``short_term_lag_days``.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["PERSONAS", "PR_KIND_DEFAULTS", "SCENARIOS", "scenario", "scenario_names"]

#: Default coverage of each kind of PR activity (fields an activity may leave out).
PR_KIND_DEFAULTS: dict[str, dict[str, float]] = {
    "press_release": {
        "mentions": 8,
        "outlet_reach": 30_000,
        "sentiment": 0.3,
        "sentiment_sd": 0.25,
        "cost": 3_000,
        "duration_days": 7,
    },
    "interview": {
        "mentions": 2,
        "outlet_reach": 250_000,
        "sentiment": 0.6,
        "sentiment_sd": 0.15,
        "cost": 5_000,
        "duration_days": 7,
    },
    "event": {
        "mentions": 5,
        "outlet_reach": 20_000,
        "sentiment": 0.7,
        "sentiment_sd": 0.15,
        "cost": 20_000,
        "duration_days": 7,
    },
    "csr": {
        "mentions": 6,
        "outlet_reach": 40_000,
        "sentiment": 0.8,
        "sentiment_sd": 0.1,
        "cost": 30_000,
        "duration_days": 28,
    },
    "official_statement": {
        "mentions": 10,
        "outlet_reach": 60_000,
        "sentiment": 0.2,
        "sentiment_sd": 0.3,
        "cost": 2_000,
        "duration_days": 7,
    },
}

#: Example personas (audience segments). Rates are per 7 days.
PERSONAS: dict[str, dict[str, Any]] = {
    "Skeptical Sam": {
        "size": 400_000,
        "baseline_trust": 0.15,
        "trust_sensitivity": 0.6,
        "base_conversion_rate": 0.0005,
        "value_per_conversion": 60.0,
        "reach": {
            "press": 0.5,
            "events": 0.05,
            "csr": 0.3,
            "instagram": 0.3,
            "tiktok": 0.2,
            "linkedin": 0.3,
            "youtube": 0.6,
            "search": 0.4,
        },
        "affinity": {"instagram": 0.7, "tiktok": 0.5, "search": 1.2},
        "tags": {"age": "45-64", "attitude": "distrusts advertising"},
    },
    "Loyal Lena": {
        "size": 150_000,
        "baseline_trust": 0.75,
        "trust_sensitivity": 1.0,
        "base_conversion_rate": 0.003,
        "value_per_conversion": 90.0,
        "reach": {
            "press": 0.4,
            "events": 0.15,
            "csr": 0.3,
            "instagram": 0.7,
            "tiktok": 0.3,
            "linkedin": 0.2,
            "youtube": 0.5,
            "search": 0.5,
        },
        "affinity": {"instagram": 1.4, "events": 1.5},
        "tags": {"age": "30-44", "attitude": "repeat customer"},
    },
    "Curious Chris": {
        "size": 300_000,
        "baseline_trust": 0.35,
        "trust_sensitivity": 1.3,
        "base_conversion_rate": 0.001,
        "value_per_conversion": 40.0,
        "reach": {
            "press": 0.15,
            "events": 0.05,
            "csr": 0.2,
            "instagram": 0.8,
            "tiktok": 0.85,
            "linkedin": 0.1,
            "youtube": 0.8,
            "search": 0.3,
        },
        "affinity": {"tiktok": 1.5, "instagram": 1.2},
        "tags": {"age": "18-29", "attitude": "trend-driven"},
    },
    "Busy Beth": {
        "size": 150_000,
        "baseline_trust": 0.45,
        "trust_sensitivity": 0.9,
        "base_conversion_rate": 0.0015,
        "value_per_conversion": 120.0,
        "reach": {
            "press": 0.5,
            "events": 0.05,
            "csr": 0.2,
            "instagram": 0.4,
            "tiktok": 0.1,
            "linkedin": 0.8,
            "youtube": 0.3,
            "search": 0.7,
        },
        "affinity": {"linkedin": 1.5, "search": 1.3},
        "tags": {"age": "30-49", "attitude": "time-poor professional"},
    },
}

_CHANNELS: list[dict[str, Any]] = [
    {
        "name": "press",
        "peso": "earned",
        "role": "trust",
        "platform": "press",
        "engagement": 0.4,
        "trust_gain": 0.6,
        "ctr": 0.002,
    },
    {
        "name": "events",
        "peso": "owned",
        "role": "trust",
        "platform": "events",
        "engagement": 0.8,
        "trust_gain": 1.0,
        "ctr": 0.0,
    },
    {
        "name": "csr",
        "peso": "earned",
        "role": "trust",
        "platform": "press",
        "engagement": 0.3,
        "trust_gain": 0.8,
        "ctr": 0.001,
    },
    {
        "name": "instagram",
        "peso": "paid",
        "role": "conversion",
        "platform": "instagram",
        "cpm": 7.0,
        "ctr": 0.008,
        "engagement": 0.06,
    },
    {
        "name": "tiktok",
        "peso": "paid",
        "role": "conversion",
        "platform": "tiktok",
        "cpm": 5.0,
        "ctr": 0.006,
        "engagement": 0.05,
        "dispersion": 1.0,
    },
    {
        "name": "linkedin",
        "peso": "paid",
        "role": "both",
        "platform": "linkedin",
        "cpm": 30.0,
        "ctr": 0.005,
        "engagement": 0.08,
        "trust_gain": 0.05,
    },
    {
        "name": "youtube",
        "peso": "paid",
        "role": "both",
        "platform": "youtube",
        "cpm": 12.0,
        "ctr": 0.003,
        "engagement": 0.05,
        "trust_gain": 0.05,
    },
    {
        "name": "search",
        "peso": "paid",
        "role": "conversion",
        "platform": "search",
        "cpm": 40.0,
        "ctr": 0.05,
        "engagement": 0.3,
    },
]


def _personas(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, **copy.deepcopy(PERSONAS[n])} for n in names]


def _smm_campaigns(start_month: int) -> list[dict[str, Any]]:
    """The same SMM flight (EUR 240k) starting in `start_month` of 2025, for both scenarios."""
    s = f"2025-{start_month:02d}-01"
    e = f"2025-{start_month + 5:02d}-28"
    return [
        {
            "name": "ig_always_on",
            "channel": "instagram",
            "objective": "conversion",
            "start": s,
            "end": e,
            "budget": 90_000,
        },
        {
            "name": "tiktok_launch",
            "channel": "tiktok",
            "objective": "engagement",
            "start": s,
            "end": e,
            "budget": 60_000,
        },
        {
            "name": "linkedin_b2b",
            "channel": "linkedin",
            "objective": "conversion",
            "start": s,
            "end": e,
            "budget": 40_000,
        },
        {
            "name": "search_brand",
            "channel": "search",
            "objective": "conversion",
            "start": s,
            "end": e,
            "budget": 50_000,
        },
    ]


_PR_PUSH: list[dict[str, Any]] = [
    {"name": "ceo_interview", "channel": "press", "kind": "interview", "date": "2025-01-13"},
    {"name": "launch_release", "channel": "press", "kind": "press_release", "date": "2025-01-27"},
    {"name": "open_day", "channel": "events", "kind": "event", "date": "2025-02-15", "outlet_reach": 60_000},
    {"name": "tree_planting", "channel": "csr", "kind": "csr", "date": "2025-03-03"},
    {"name": "trade_interview", "channel": "press", "kind": "interview", "date": "2025-03-24"},
    {"name": "results_release", "channel": "press", "kind": "press_release", "date": "2025-04-14"},
]

_BASE: dict[str, Any] = {
    "start": "2025-01-06",
    "trust": {"half_life_days": 150.0, "effect": 1.0, "amplification": 1.5},
    "smm": {
        "memory_half_life_days": 4.0,
        "effect": 1.5,
        "memory_cap": 10,
        "saturation": "hill",
        "saturation_params": [2.0, 1.5],
    },
    "seasonality": {"amplitude": 0.15, "peak_day": 335},
    "survey_panel_size": 1000,
    "competitor_mentions": 4.0,
    "short_term_lag_days": 28.0,
}


def _scenario(description: str, **parts: Any) -> dict[str, Any]:
    out = copy.deepcopy(_BASE)
    out["description"] = description
    out["channels"] = copy.deepcopy(_CHANNELS)
    out["audiences"] = _personas("Skeptical Sam", "Loyal Lena", "Curious Chris", "Busy Beth")
    out.update(copy.deepcopy(parts))
    return out


SCENARIOS: dict[str, dict[str, Any]] = {
    "pr_first_then_smm": _scenario(
        "Four months of PR (interviews, releases, an open day, a CSR project) build trust; the "
        "same SMM flight as 'smm_only' then converts it.",
        campaigns=_smm_campaigns(5),
        pr_activities=copy.deepcopy(_PR_PUSH),
    ),
    "smm_only": _scenario(
        "The SMM flight of 'pr_first_then_smm' without any PR.", campaigns=_smm_campaigns(5), pr_activities=[]
    ),
    "crisis_with_pr_response": _scenario(
        "A product recall in July hits trust; an official statement within days halves the shock.",
        campaigns=_smm_campaigns(3),
        pr_activities=copy.deepcopy(_PR_PUSH[:2])
        + [{"name": "recall_statement", "channel": "press", "kind": "official_statement", "date": "2025-07-09"}],
        events=[
            {
                "name": "product_recall",
                "kind": "crisis",
                "date": "2025-07-07",
                "severity": 0.35,
                "mentions": 60,
                "response": "recall_statement",
                "softening": 0.5,
            }
        ],
    ),
    "crisis_without_pr_response": _scenario(
        "The same recall with no response: the full shock, slowly healing at trust's half-life.",
        campaigns=_smm_campaigns(3),
        pr_activities=copy.deepcopy(_PR_PUSH[:2]),
        events=[{"name": "product_recall", "kind": "crisis", "date": "2025-07-07", "severity": 0.35, "mentions": 60}],
    ),
    "healthcare_clinic": {
        "description": "A clinic: patients choose whom they trust. Trust moves conversion far more "
        "than ads; health talks and press coverage matter most.",
        "start": "2025-01-06",
        "trust": {"half_life_days": 240.0, "effect": 1.5, "amplification": 2.5},
        "smm": {
            "memory_half_life_days": 5.0,
            "effect": 0.6,
            "memory_cap": 8,
            "saturation": "hill",
            "saturation_params": [2.0, 1.5],
        },
        "seasonality": {"amplitude": 0.1, "peak_day": 20},
        "survey_panel_size": 600,
        "competitor_mentions": 10.0,
        "short_term_lag_days": 28.0,
        "channels": [
            {
                "name": "press",
                "peso": "earned",
                "role": "trust",
                "platform": "press",
                "engagement": 0.5,
                "trust_gain": 0.8,
                "ctr": 0.002,
            },
            {
                "name": "health_talks",
                "peso": "owned",
                "role": "trust",
                "platform": "events",
                "engagement": 0.9,
                "trust_gain": 1.5,
                "ctr": 0.0,
            },
            {
                "name": "instagram",
                "peso": "paid",
                "role": "conversion",
                "platform": "instagram",
                "cpm": 8.0,
                "ctr": 0.006,
                "engagement": 0.1,
            },
            {
                "name": "search",
                "peso": "paid",
                "role": "conversion",
                "platform": "search",
                "cpm": 45.0,
                "ctr": 0.06,
                "engagement": 0.5,
            },
            {
                "name": "reviews",
                "peso": "shared",
                "role": "both",
                "platform": "google",
                "engagement": 0.3,
                "trust_gain": 0.3,
                "ctr": 0.02,
                "organic_impressions": 5_000,
            },
        ],
        "audiences": [
            {
                "name": "Anxious Anna",
                "size": 60_000,
                "baseline_trust": 0.25,
                "trust_sensitivity": 1.4,
                "base_conversion_rate": 0.0003,
                "value_per_conversion": 250.0,
                "reach": {"press": 0.5, "health_talks": 0.08, "instagram": 0.6, "search": 0.6, "reviews": 0.5},
                "tags": {"role": "parent of young children"},
            },
            {
                "name": "Retired Rolf",
                "size": 40_000,
                "baseline_trust": 0.4,
                "trust_sensitivity": 0.8,
                "base_conversion_rate": 0.0005,
                "value_per_conversion": 400.0,
                "reach": {"press": 0.8, "health_talks": 0.12, "instagram": 0.1, "search": 0.4, "reviews": 0.3},
                "tags": {"age": "65+"},
            },
            {
                "name": "Skeptical Sam",
                "size": 50_000,
                "baseline_trust": 0.1,
                "trust_sensitivity": 0.5,
                "base_conversion_rate": 0.0002,
                "value_per_conversion": 250.0,
                "reach": {"press": 0.5, "health_talks": 0.02, "instagram": 0.3, "search": 0.5, "reviews": 0.4},
                "tags": {"attitude": "distrusts institutions"},
            },
        ],
        "campaigns": [
            {
                "name": "insta_checkups",
                "channel": "instagram",
                "objective": "conversion",
                "start": "2025-03-03",
                "end": "2025-10-26",
                "budget": 30_000,
            },
            {
                "name": "search_clinic",
                "channel": "search",
                "objective": "conversion",
                "start": "2025-01-06",
                "end": "2026-12-27",
                "budget": 40_000,
            },
        ],
        "pr_activities": [
            {
                "name": "doctor_interview",
                "channel": "press",
                "kind": "interview",
                "date": "2025-02-10",
                "outlet_reach": 80_000,
            },
            {
                "name": "talk_spring",
                "channel": "health_talks",
                "kind": "event",
                "date": "2025-04-05",
                "outlet_reach": 8_000,
                "cost": 4_000,
            },
            {
                "name": "talk_autumn",
                "channel": "health_talks",
                "kind": "event",
                "date": "2025-10-04",
                "outlet_reach": 8_000,
                "cost": 4_000,
            },
            {
                "name": "free_screening",
                "channel": "press",
                "kind": "csr",
                "date": "2025-06-02",
                "outlet_reach": 30_000,
                "cost": 15_000,
            },
        ],
        "events": [],
    },
}


def scenario_names() -> list[str]:
    """Names of the preset scenarios."""
    return list(SCENARIOS)


def scenario(name: str) -> dict[str, Any]:
    """A deep copy of preset scenario `name`, to edit and pass to ``World``.

    Raises
    ------
    ValueError
        If `name` is not a preset (the message lists them).
    """
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; presets are {', '.join(SCENARIOS)}")
    return copy.deepcopy(SCENARIOS[name])
