"""Lift tests that calibrate TrustMMM (``trustmix::mmm`` calibration.hpp).

A lift test on channel c changed the channel's activity over the periods ``start`` ..
``end`` (inclusive, dates of the model's data or period indices) and was measured over
those periods and ``cooldown`` more, i.e. through ``measured_end`` = ``end`` + ``cooldown``
(give either; a ``trustmix.evaluate.LiftTest`` carries its ``measured_end``: its window,
or its window and the cooldown when the lift was measured through it, and its
``cooldown`` field is then only a record). Without the test the activity would have been
``(1 - share) x`` over the window; the model's predicted lift is

    pred = sum over the measured periods of mu[t] - mu_cf[t]

through adstock, saturation at the actual activity and the trust stock of the model's
form (with ``link="log"``, mu = exp(eta) of the model's own mean function, so the lift
is exp(eta) - exp(eta_cf) and scales with the baseline of its periods), and the
measured lift enters the posterior as ``lift ~ Normal(pred, sqrt(se^2 + tau^2))``, tau
the transfer standard deviation (``transfer_sd`` in outcome units, or
``transfer_fraction`` x |lift|, default 0.1); with ``dof`` (finite, > 0) a Student-t with
that many degrees of freedom replaces the Normal (heavier tails: a test far from the
model's prediction pulls less). A per-period lift (arrays of ``lift`` and
``standard_error``, one value per measured period) gives one such term per period; under
the Normal the periods' transfer errors are one common error (the values jointly Normal,
covariance diag(se_t^2) + tau tau^T: docs/mmm.md, "Calibration by lift tests").

Mapping a geo test to a national model: ``share`` is the fraction of the national
activity in the window that the test added. A test that added activity in some geos:
share = the test's activity / the national activity in the window, lift = the measured
lift. A holdout (the treated geos dark) against a model fitted on data where the
activity ran everywhere: scale the measured lift to the model's population and flip its
sign, e.g. lift = -(measured lift) / (treated share of the population) with share = 1
(the test then says what the whole channel's activity in the window did); a holdout that
is already in the model's data (the national activity dipped): share = -f / (1 - f),
f the fraction of the planned activity the holdout removed, lift = the measured
(negative) lift.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

_FIELDS = (
    "channel",
    "start",
    "end",
    "lift",
    "standard_error",
    "cooldown",
    "share",
    "iroas",
    "iroas_standard_error",
    "spend",
    "transfer_sd",
    "transfer_fraction",
    "label",
    "measured_end",
    "dof",
)
# Fields of trustmix.evaluate.LiftTest that do not enter the model.
_IGNORED = ("units", "relative_lift", "notes")


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(np.ndim(v) == 0 and pd.isna(v))
    except (TypeError, ValueError):
        return False


def _as_records(lift_tests: Any) -> list[dict[str, Any]]:
    """Plain dicts from LiftTest objects, dicts or a DataFrame (one row per test)."""
    if isinstance(lift_tests, pd.DataFrame):
        return [{str(k): v for k, v in row.items() if not _missing(v)} for row in lift_tests.to_dict("records")]
    if (
        isinstance(lift_tests, (Mapping, str))
        or hasattr(lift_tests, "to_dict")
        and not isinstance(lift_tests, Sequence)
    ):
        lift_tests = [lift_tests]
    out = []
    for i, t in enumerate(lift_tests):
        if hasattr(t, "to_dict") and not isinstance(t, Mapping):
            t = dict(t.to_dict())
            # A trustmix.evaluate LiftTest says over which periods its lift was summed
            # (start .. measured_end); its cooldown is a record of the test, counted only
            # as far as measured_end reaches (None: the window alone, as older LiftTests).
            t.pop("cooldown", None)
            if _missing(t.get("measured_end")):
                t["measured_end"] = t["end"]
        if not isinstance(t, Mapping):
            raise ValueError(
                f"lift_tests[{i}] must be a trustmix.evaluate LiftTest, a dict or a DataFrame row, "
                f"got {type(t).__name__}"
            )
        t = dict(t)
        # A per-period LiftTest (as_lift_test(per_period=True)) enters with one value per
        # measured period; its totals are then a record only.
        period_lift, period_se = t.pop("period_lift", None), t.pop("period_standard_error", None)
        if not _missing(period_lift) and np.size(period_lift) > 0:
            if _missing(period_se) or np.size(period_se) != np.size(period_lift):
                raise ValueError(
                    f"lift_tests[{i}]: period_lift needs period_standard_error with as many values "
                    f"({np.size(period_lift)})"
                )
            t["lift"], t["standard_error"] = period_lift, period_se
        out.append({k: v for k, v in t.items() if not _missing(v)})
    return out


def _integral(value: Any) -> Any:
    """An integral float (a DataFrame column made float by a missing cell) as an int."""
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return value


def _period(value: Any, dates: pd.DatetimeIndex, period_days: int, where: str) -> int:
    """The period holding a date (dates[i] <= value < dates[i] + period), or an index
    (an int, or an integral float such as a DataFrame column with missing cells holds)."""
    value = _integral(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        i = int(value)
        if not 0 <= i < len(dates):
            raise ValueError(f"{where} = {i}: a period index must be in [0, {len(dates) - 1}]")
        return i
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where} = {value!r} is neither a date nor a period index") from e
    if ts.tzinfo is not None and dates.tz is None:
        ts = ts.tz_localize(None)
    step = pd.Timedelta(days=period_days)
    if ts < dates[0] or ts >= dates[-1] + step:
        raise ValueError(
            f"{where} = {ts.date()} is outside the data ({dates[0].date()} .. "
            f"{(dates[-1] + step - pd.Timedelta(days=1)).date()})"
        )
    return int(dates.searchsorted(ts, side="right")) - 1


def normalize(
    lift_tests: Any, dates: pd.DatetimeIndex, period_days: int, channels: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(records for display and pickling, dicts for ``_core.mmm.build``)."""
    records, core = [], []
    for i, t in enumerate(_as_records(lift_tests)):
        name = f"lift_tests[{i}]"
        unknown = [k for k in t if k not in _FIELDS and k not in _IGNORED]
        if unknown:
            raise ValueError(f"{name}: unknown field(s) {', '.join(map(repr, unknown))} (fields: {', '.join(_FIELDS)})")
        for k in ("channel", "start", "end"):
            if k not in t:
                raise ValueError(f"{name}: missing {k!r}")
        ch = str(t["channel"])
        if ch not in channels:
            raise ValueError(f"{name}: channel {ch!r} is not a channel of the model (channels: {', '.join(channels)})")
        start = _period(t["start"], dates, period_days, f"{name}: start")
        end = _period(t["end"], dates, period_days, f"{name}: end")
        if end < start:
            raise ValueError(f"{name}: end ({dates[end].date()}) is before start ({dates[start].date()})")
        if "measured_end" in t:  # the last measured period: it sets the cooldown counted
            measured_end = _period(t["measured_end"], dates, period_days, f"{name}: measured_end")
            if measured_end < end:
                raise ValueError(
                    f"{name}: measured_end ({dates[measured_end].date()}) is before end "
                    f"({dates[end].date()}); the lift must be measured over the whole window"
                )
            cooldown = measured_end - end
        else:
            cooldown = _integral(t.get("cooldown", 0))
        if isinstance(cooldown, bool) or not isinstance(cooldown, (int, np.integer)) or cooldown < 0:
            raise ValueError(f"{name}: cooldown must be an integer >= 0 (periods), got {cooldown!r}")
        if end + int(cooldown) >= len(dates):
            raise ValueError(
                f"{name}: the measured periods (end + cooldown = period {end + int(cooldown)}) run past "
                f"the data's last period ({len(dates) - 1}, {dates[-1].date()})"
            )
        d: dict[str, Any] = {"channel": ch, "start": start, "end": end + 1, "cooldown": int(cooldown)}
        for k in ("share", "iroas", "iroas_standard_error", "spend", "transfer_sd", "transfer_fraction", "dof"):
            if k in t:
                try:
                    d[k] = float(t[k])
                except (TypeError, ValueError) as e:
                    raise ValueError(f"{name}: {k} must be a number, got {t[k]!r}") from e
        has_lift = "lift" in t
        if has_lift:
            lift = np.atleast_1d(np.asarray(t["lift"], dtype=float))
            if "standard_error" not in t:
                raise ValueError(f"{name}: a lift needs its standard_error (outcome units, > 0)")
            se = np.atleast_1d(np.asarray(t["standard_error"], dtype=float))
            d["lift"], d["standard_error"] = lift, se
        elif "iroas" not in t:
            raise ValueError(
                f"{name}: give lift and standard_error (outcome units) or iroas, iroas_standard_error and spend"
            )
        core.append(d)
        rec = {
            "test": i,
            "label": str(t.get("label", f"{ch} {dates[start].date()}..{dates[end].date()}")),
            "channel": ch,
            "start": dates[start],
            "end": dates[end],
            "cooldown": int(cooldown),
            "share": d.get("share", 1.0),
        }
        if has_lift:
            rec["lift"] = lift if lift.size > 1 else float(lift[0])
            rec["standard_error"] = se if se.size > 1 else float(se[0])
        else:
            rec["lift"] = d["iroas"] * d.get("spend", math.nan)
            rec["standard_error"] = d.get("iroas_standard_error", math.nan) * d.get("spend", math.nan)
        rec["transfer_sd"] = d.get("transfer_sd", math.nan)
        rec["transfer_fraction"] = d.get("transfer_fraction", 0.1)
        rec["dof"] = d.get("dof", math.inf)
        rec["input"] = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in t.items() if k in _FIELDS}
        records.append(rec)
    return records, core


def calibration_table(fit: Any, interval: float = 0.9, max_draws: int | None = 1000) -> pd.DataFrame:
    """One row per lift value: the measured lift against the posterior predicted lift."""
    from trustmix import _core

    m = fit.model
    if not (0.0 < interval < 1.0):
        raise ValueError(f"interval must be in (0, 1), got {interval!r}")
    pred = np.asarray(_core.mmm.predicted_lifts(m._core, fit._draw_matrix(max_draws), m.y_scale))
    lo_q, hi_q = (1.0 - interval) / 2.0, (1.0 + interval) / 2.0
    q = _core.mmm.summarize_columns(np.ascontiguousarray(pred), lo_q, hi_q)
    mean, low, high = np.asarray(q.mean), np.asarray(q.low), np.asarray(q.high)
    rows, k = [], 0
    for rec in m.lift_test_records:
        lift = np.atleast_1d(np.asarray(rec["lift"], dtype=float))
        se = np.atleast_1d(np.asarray(rec["standard_error"], dtype=float))
        s = m.dates.get_loc(rec["start"])
        for j in range(lift.size):
            tau = rec["transfer_sd"] if math.isfinite(rec["transfer_sd"]) else rec["transfer_fraction"] * abs(lift[j])
            if lift.size == 1:
                last = m.dates[s + rec["cooldown"] + (m.dates.get_loc(rec["end"]) - s)]
                period = f"{rec['start'].date()}..{last.date()}"
            else:
                period = str(m.dates[s + j].date())
            rows.append(
                {
                    "test": rec["test"],
                    "label": rec["label"],
                    "channel": rec["channel"],
                    "periods": period,
                    "observed": float(lift[j]),
                    "standard_error": float(se[j]),
                    "transfer_sd": float(tau),
                    "predicted": float(mean[k]),
                    "low": float(low[k]),
                    "high": float(high[k]),
                    "z": float((lift[j] - mean[k]) / math.sqrt(se[j] ** 2 + tau**2)),
                }
            )
            k += 1
    return pd.DataFrame(rows)
