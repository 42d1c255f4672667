"""Long tables (unit, time, outcome) to the balanced units x periods matrix the core uses."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

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
                raise ValueError(f"{what} unit {n!r} is not in the data (units: {', '.join(self.units[:8])}"
                                 f"{', ...' if len(self.units) > 8 else ''})")
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
        raise ValueError(f"data must be a pandas DataFrame in long form (unit, time, outcome), got {type(data).__name__}")
    missing = [c for c in (unit, time, outcome) if c not in data.columns]
    if missing:
        raise ValueError(f"data lacks column(s) {missing} (columns: {list(data.columns)})")
    df = data[[unit, time, outcome]].copy()
    if df.empty:
        raise ValueError("data has no rows")
    if df[time].dtype == object or pd.api.types.is_string_dtype(df[time]):
        try:
            df[time] = pd.to_datetime(df[time])
        except (ValueError, TypeError):
            pass
    df[unit] = df[unit].astype(str)
    y = pd.to_numeric(df[outcome], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        i = bad[0]
        raise ValueError(f"row {df.index[i]!r}, column {outcome!r}: outcome must be a finite number, "
                         f"got {data[outcome].iloc[i]!r}")
    df[outcome] = y
    dup = df.duplicated([unit, time], keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        raise ValueError(f"duplicated (unit, time) rows: unit {first[unit]!r} at {time}={_label(first[time])} appears "
                         f"{int(dup.sum())} times in all; aggregate first")
    wide = df.pivot(index=unit, columns=time, values=outcome)
    if wide.isna().any().any():
        u, t = next((u, t) for u, t in zip(*np.nonzero(wide.isna().to_numpy())))
        raise ValueError(f"gap in the panel: unit {wide.index[u]!r} has no row for {time}={_label(wide.columns[t])} "
                         f"({int(wide.isna().to_numpy().sum())} missing (unit, time) cells); fill or drop them first")
    # Units in order of first appearance (as the data lists them), periods sorted.
    order = list(dict.fromkeys(df[unit]))
    wide = wide.loc[order].sort_index(axis=1)
    return WidePanel(np.ascontiguousarray(wide.to_numpy(dtype=np.float64)), order, pd.Index(wide.columns))
