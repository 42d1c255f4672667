"""Long tables (unit, time, outcome) to the balanced units x periods matrix the core uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["WidePanel", "to_panel"]


@dataclass(frozen=True)
class WidePanel:
    """outcomes[i, t] of unit ``units[i]`` in period ``times[t]`` (outcome units)."""

    outcomes: np.ndarray
    units: list[str]
    times: pd.Index

    def rows(self, names: Sequence[Any], what: str = "treated") -> list[int]:
        """Row indices of unit names; a missing name is a ValueError naming it."""
        lookup = {u: i for i, u in enumerate(self.units)}
        out = []
        for n in names:
            if str(n) not in lookup:
                raise ValueError(
                    f"{what} unit {n!r} is not in the data (units: {', '.join(self.units[:8])}"
                    f"{', ...' if len(self.units) > 8 else ''})"
                )
            out.append(lookup[str(n)])
        if len(set(out)) != len(out):
            raise ValueError(f"{what} lists a unit twice: {list(names)!r}")
        return out

    def period(self, when: Any, name: str) -> int:
        """Position of the first period at or after ``when`` (a time label or date)."""
        times = self.times
        if isinstance(times, pd.DatetimeIndex):
            when = pd.Timestamp(when)
        pos = int(times.searchsorted(when, side="left"))
        if pos >= len(times):
            raise ValueError(f"{name} {when!r} is after the last period {times[-1]!r}")
        return pos


def _label(v: Any) -> str:
    """A time or unit value as a user wrote it (5, '2021-04-01'), not numpy's repr."""
    if isinstance(v, pd.Timestamp):
        return repr(str(v.date()) if v == v.normalize() else str(v))
    if isinstance(v, np.generic):
        v = v.item()
    return repr(v)


def to_panel(data: pd.DataFrame, unit: str, time: str, outcome: str) -> WidePanel:
    """Pivots a long DataFrame to a balanced panel, refusing anything that would lose or
    invent data: missing columns, duplicated (unit, time) rows, gaps (a unit without a
    period that others have), non-finite outcomes. Date-like strings in ``time`` are
    parsed as dates."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(
            f"data must be a pandas DataFrame in long form (unit, time, outcome), got {type(data).__name__}"
        )
    missing = [c for c in (unit, time, outcome) if c not in data.columns]
    if missing:
        raise ValueError(f"data lacks column(s) {missing} (columns: {list(data.columns)})")
    df = data[[unit, time, outcome]]
    if df.empty:
        raise ValueError("data has no rows")
    times = df[time]
    if times.dtype == object or pd.api.types.is_string_dtype(times):
        for fmt in ("ISO8601", None):  # ISO dates parse fast; anything else by inference
            try:
                times = pd.to_datetime(times, format=fmt) if fmt else pd.to_datetime(times)
                break
            except (ValueError, TypeError):
                continue
    y = pd.to_numeric(df[outcome], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        i = bad[0]
        raise ValueError(
            f"row {df.index[i]!r}, column {outcome!r}: outcome must be a finite number, got {data[outcome].iloc[i]!r}"
        )
    # Units in order of first appearance (as the data lists them), periods sorted; one pass
    # of integer codes instead of a pandas pivot.
    for col, values in ((unit, df[unit]), (time, times)):
        missing_rows = np.flatnonzero(pd.isna(values).to_numpy())
        if missing_rows.size:
            raise ValueError(f"row {df.index[missing_rows[0]]!r}, column {col!r}: missing {col} value")
    u_codes, u_names = pd.factorize(df[unit].astype(str), sort=False)
    t_codes, t_values = pd.factorize(times, sort=True)
    n_u, n_t = len(u_names), len(t_values)
    n_rows = len(df)
    # Checked on the rows themselves (memory of the order of the input), never on a dense
    # units x periods grid: a long table whose units and dates hardly overlap would make
    # that grid far larger than the data.
    cell = u_codes.astype(np.int64) * n_t + t_codes.astype(np.int64)
    order = np.argsort(cell, kind="stable")
    sorted_cells = cell[order]
    dup = np.flatnonzero(sorted_cells[1:] == sorted_cells[:-1])
    if dup.size:
        c = int(sorted_cells[dup[0]])
        count = int(np.count_nonzero(sorted_cells == c))
        raise ValueError(
            f"duplicated (unit, time) rows: unit {str(u_names[c // n_t])!r} at "
            f"{time}={_label(t_values[c % n_t])} appears {count} times; aggregate first"
        )
    if n_rows != n_u * n_t:
        _raise_gap(u_codes, t_codes, u_names, t_values, time, n_u * n_t - n_rows)
    _require_memory(8.0 * n_u * n_t, f"the {n_u} units x {n_t} periods panel")
    outcomes = np.empty(n_u * n_t)
    outcomes[cell] = y
    return WidePanel(outcomes.reshape(n_u, n_t), [str(u) for u in u_names], pd.Index(t_values))


def _raise_gap(u_codes: np.ndarray, t_codes: np.ndarray, u_names: Any, t_values: Any, time: str, missing: int) -> None:
    """The panel is not balanced: names the first unit (in order of appearance) lacking a
    period, the first period it lacks, and how many (unit, time) cells are missing."""
    n_t = len(t_values)
    per_unit = np.bincount(u_codes, minlength=len(u_names))
    short = np.flatnonzero(per_unit < n_t)
    u = int(short[0])
    have = np.sort(t_codes[u_codes == u])
    gaps = np.flatnonzero(have != np.arange(have.size))
    first = int(gaps[0]) if gaps.size else int(have.size)
    lacking = n_t - int(per_unit[u])
    raise ValueError(
        f"gap in the panel: unit {str(u_names[u])!r} has no row for {time}={_label(t_values[first])} "
        f"(it lacks {lacking} of {n_t} periods; {missing} missing (unit, time) cells over "
        f"{short.size} of {len(u_names)} units); fill or drop them first"
    )


def _require_memory(nbytes: float, what: str) -> None:
    """Refuses an allocation above the core's memory limit (TRUSTMIX_MAX_MEMORY, else half
    of this machine's memory) before it is made."""
    from trustmix import _core

    _core.evaluate.require_memory(float(nbytes), what, "aggregate to fewer periods or select fewer units")
