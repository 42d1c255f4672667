"""The domain model: channels, campaigns, audiences and the plan that holds them.

The classes are the C++ types ``trustmix::Channel``, ``Campaign``, ``Audience`` and
``Plan`` (include/trustmix/core/domain.hpp), validated on construction (a ValueError
names the field and the value), comparable with ``==``, picklable with a versioned state
and convertible to and from JSON-compatible dicts (``to_dict`` / ``from_dict``).
The pandas views (``Plan.spend``, ``Plan.channels_frame``, ``Campaign.spend``, ...) and
``_repr_html_`` are methods of the compiled classes that call the functions below
(bindings/core.cpp), so every instance has them, also one that C++ returns.
"""

from __future__ import annotations

import html as _html
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core

Channel = _core.core.Channel
Campaign = _core.core.Campaign
Audience = _core.core.Audience
Plan = _core.core.Plan

PESO_CATEGORIES = ("paid", "earned", "shared", "owned")
ROLES = ("trust", "conversion", "both")
OBJECTIVES = ("awareness", "trust", "engagement", "conversion")

_FREQ_DAYS = {"D": 1, "W": 7}


def _plan_spend(self: Plan, start: Any, periods: int, freq: str = "W") -> pd.DataFrame:
    """Spend per period and channel as a DataFrame.

    Parameters
    ----------
    start : datetime.date or str
        First day of the first period.
    periods : int
        Number of periods (rows).
    freq : {"W", "D"}
        Weekly (7-day) or daily periods.

    Returns
    -------
    DataFrame
        Index: period start dates (name ``"period"``); one column per channel in plan
        order; values in currency. Unscheduled campaigns spend ``budget / days`` per
        day; spend falling outside the window is not included (compare the frame's sum
        with :meth:`Plan.total_budget`).
    """
    if freq not in _FREQ_DAYS:
        raise ValueError(f"freq must be one of {sorted(_FREQ_DAYS)}, got {freq!r}")
    days = _FREQ_DAYS[freq]
    if isinstance(periods, (bool, np.bool_)) or not isinstance(periods, (int, np.integer)) or periods < 0:
        raise ValueError(f"periods must be an integer >= 0, got {periods!r}")
    first = pd.Timestamp(start)
    room = (pd.Timestamp.max - first).days // days  # the index's last date must be a pandas Timestamp
    if periods > room:
        raise ValueError(
            f"periods = {periods} of {days} day(s) from {first.date()} run past the last date pandas "
            f"can hold ({pd.Timestamp.max.date()}): ask for at most {room} periods"
        )
    values = self.spend_matrix(start, int(periods), days)
    index = pd.date_range(first, periods=periods, freq=f"{days}D", name="period")
    return pd.DataFrame(values, index=index, columns=[c.name for c in self.channels])


def _plan_channels_frame(self: Plan) -> pd.DataFrame:
    """Channels as a DataFrame: name, peso, role, platform (one row per channel)."""
    return pd.DataFrame(
        [{"name": c.name, "peso": c.peso, "role": c.role, "platform": c.platform} for c in self.channels],
        columns=["name", "peso", "role", "platform"],
    )


def _plan_campaigns_frame(self: Plan) -> pd.DataFrame:
    """Campaigns as a DataFrame: name, channel, objective, start, end, days, budget."""
    return pd.DataFrame(
        [
            {
                "name": c.name,
                "channel": c.channel,
                "objective": c.objective,
                "start": c.start,
                "end": c.end,
                "days": c.days,
                "budget": c.budget,
            }
            for c in self.campaigns
        ],
        columns=["name", "channel", "objective", "start", "end", "days", "budget"],
    )


def _plan_audiences_frame(self: Plan) -> pd.DataFrame:
    """Audiences as a DataFrame: name, size, baseline_trust and the other scalar fields."""
    cols = ["name", "size", "baseline_trust", "trust_sensitivity", "base_conversion_rate", "value_per_conversion"]
    return pd.DataFrame([{k: getattr(a, k) for k in cols} for a in self.audiences], columns=cols)


def _plan_repr(self: Plan) -> str:
    return (
        f"Plan({len(self.channels)} channels, {len(self.campaigns)} campaigns, "
        f"{len(self.audiences)} audiences, total budget {self.total_budget():,.2f})"
    )


def _plan_repr_html(self: Plan) -> str:
    parts = [f"<h4>{_html.escape(_plan_repr(self))}</h4>"]
    for title, frame in (
        ("Channels", _plan_channels_frame(self)),
        ("Campaigns", _plan_campaigns_frame(self)),
        ("Audiences", _plan_audiences_frame(self)),
    ):
        if len(frame):
            parts.append(f"<b>{title}</b>" + frame.to_html(index=False))
    return "".join(parts)


def _campaign_spend(self: Campaign, freq: str = "D") -> pd.Series:
    """Spend of this campaign per period from its start to its end (currency)."""
    plan = Plan(channels=[Channel(self.channel)], campaigns=[self])
    days = _FREQ_DAYS.get(freq)
    if days is None:
        raise ValueError(f"freq must be one of {sorted(_FREQ_DAYS)}, got {freq!r}")
    periods = -(-self.days // days)
    return _plan_spend(plan, self.start, periods, freq)[self.channel].rename(self.name)


__all__ = ["Audience", "Campaign", "Channel", "Plan", "PESO_CATEGORIES", "ROLES", "OBJECTIVES"]
