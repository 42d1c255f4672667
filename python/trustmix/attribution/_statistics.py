"""Mergeable sufficient statistics: count per partition, merge by channel name, solve once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core

__all__ = ["Statistics"]

_TABLE_COLUMNS = ["statistic", "order", "position", "key", "target", "weight", "units"]


class Statistics:
    """Everything the Markov, Shapley, role and default rule-based models need, as sums.

    Holds, per channel name: Markov transition weights for each requested order, the
    conversions / value / nulls of each distinct channel set, conversions-weighted touch
    counts by position (introducer, assist, closer, sole), default rule-based credit and
    ordered-Shapley credit by position. Sums are exact (128-bit fixed point with 2^-64
    resolution), so :meth:`update` and :meth:`merge` are associative and commutative and a
    merged state gives the same numbers, bit for bit, as a single pass over all journeys.

    Parameters
    ----------
    orders : sequence of int
        Markov orders (1..8) whose transitions are counted.
    collapse_repeats : bool
        Treat a channel repeated in a row as one Markov state (default True).
    contents : str or sequence of str
        What to count: any of "transitions" (Markov), "sets" (Shapley), "channels" (roles
        and default rule-based credit), "ordered" (ordered Shapley), or "all" (default).
        Counting less is faster; a model asked of statistics without its part raises.
    """

    _CONTENT_FLAGS = {"transitions": 1, "sets": 2, "channels": 4, "ordered": 8, "all": 15}

    def __init__(
        self, orders: Iterable[int] = (1,), collapse_repeats: bool = True, contents: Any = "all", *, _state: Any = None
    ):
        if _state is None:
            names = [contents] if isinstance(contents, str) else list(contents)
            flags = 0
            for name in names:
                if name not in self._CONTENT_FLAGS:
                    raise ValueError(f"contents must be among {sorted(self._CONTENT_FLAGS)}, got {name!r}")
                flags |= self._CONTENT_FLAGS[name]
            _state = _core.attribution.Statistics(
                orders=[int(k) for k in orders], collapse_repeats=bool(collapse_repeats), contents=flags
            )
        self._state = _state

    @classmethod
    def from_journeys(
        cls,
        journeys: Any,
        orders: Iterable[int] = (1,),
        collapse_repeats: bool = True,
        contents: Any = "all",
        threads: int = 0,
    ) -> Statistics:
        """Counts a :class:`Journeys` (in parallel C++ chunks, GIL released)."""
        st = cls(orders, collapse_repeats, contents)
        st.update(journeys, threads=threads)
        return st

    @property
    def contents(self) -> list[str]:
        """The parts this state counts."""
        flags = int(self._state.contents)
        return [k for k, v in self._CONTENT_FLAGS.items() if k != "all" and flags & v]

    def update(self, journeys: Any, threads: int = 0) -> Statistics:
        """Adds the journeys' sums in place; returns self."""
        self._state.update(journeys._store, threads=threads)
        return self

    def merge(self, other: Statistics) -> Statistics:
        """Adds another state in place (channels matched by name); returns self."""
        if not isinstance(other, Statistics):
            raise ValueError(f"merge expects Statistics, got {type(other).__name__}")
        self._state.merge(other._state)
        return self

    def __add__(self, other: Statistics) -> Statistics:
        out = self.copy()
        return out.merge(other)

    def copy(self) -> Statistics:
        return Statistics(_state=self._state.copy())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Statistics) and bool(self._state == other._state)

    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable (typeshed writes it the same way)

    @property
    def channels(self) -> list[str]:
        return list(self._state.channels)

    @property
    def orders(self) -> list[int]:
        return list(self._state.orders)

    @property
    def collapse_repeats(self) -> bool:
        return bool(self._state.collapse_repeats)

    @property
    def n_journeys(self) -> int:
        return int(self._state.n_journeys)

    @property
    def total_conversions(self) -> float:
        return float(self._state.total_conversions)

    @property
    def total_value(self) -> float:
        return float(self._state.total_value)

    @property
    def total_nulls(self) -> float:
        return float(self._state.total_nulls)

    # ---- long count table ---------------------------------------------------------
    def to_table(self) -> pd.DataFrame:
        """The state as a long count table.

        Columns: ``statistic`` (setting, total, transition, channel_set, channel, ordered),
        ``order`` (Markov order of a transition), ``position`` (touch position of an
        ordered-Shapley entry, -1 elsewhere), ``key`` (from-state channels joined by
        " > " or "(start)"; a channel set joined by " + "; a channel), ``target`` (next
        state, or the summed field), ``weight`` (float) and ``units`` (the exact sum in
        units of 2^-64, a Python int). Summing ``units`` over equal (statistic, order,
        position, key, target) rows of several tables merges them exactly.
        """
        d = self._state.to_table()
        high = d.units_high.astype(object)
        low = d.units_low.astype(object)
        units = [int(h) * (1 << 64) + int(lo) for h, lo in zip(high, low, strict=True)]
        return pd.DataFrame(
            {
                "statistic": d.statistic,
                "order": d.order,
                "position": d.position,
                "key": d.key,
                "target": d.target,
                "weight": d.units_high.astype(np.float64) + d.units_low.astype(np.float64) * 2.0**-64,
                "units": pd.Series(units, dtype=object),
            }
        )

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> Statistics:
        """Inverse of :meth:`to_table`; rows may repeat (they are added) and come in any order."""
        missing = [c for c in ("statistic", "order", "position", "key", "target", "units") if c not in table.columns]
        if missing:
            raise ValueError(f"count table lacks column(s) {missing}")
        units = []
        for row, u in enumerate(table["units"]):
            if isinstance(u, (bool, np.bool_)) or not isinstance(u, (int, np.integer)) or not 0 <= u < 2**126:
                raise ValueError(
                    f"row {row}, column 'units': expected an integer count in [0, 2**126) (units of 2^-64), got {u!r}"
                )
            units.append(int(u))
        high = np.array([u >> 64 for u in units], dtype=np.int64)
        low = np.array([u & ((1 << 64) - 1) for u in units], dtype=np.uint64)
        state = _core.attribution.Statistics.from_table(
            statistic=[str(x) for x in table["statistic"]],
            order=table["order"].to_numpy(np.int32),
            position=table["position"].to_numpy(np.int32),
            key=[str(x) for x in table["key"]],
            target=[str(x) for x in table["target"]],
            units_high=high,
            units_low=low,
        )
        return cls(_state=state)

    # ---- pickling (versioned) -------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Versioned binary state (format 1)."""
        return self._state.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Statistics:
        return cls(_state=_core.attribution.Statistics.from_bytes(bytes(data)))

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "bytes": self.to_bytes()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version") != 1:
            raise ValueError(f"cannot unpickle Statistics: unsupported state version {state.get('version')!r}")
        self._state = _core.attribution.Statistics.from_bytes(state["bytes"])

    def __repr__(self) -> str:
        return (
            f"Statistics({self.n_journeys} journeys, {len(self.channels)} channels, orders={self.orders}, "
            f"conversions={self.total_conversions:g})"
        )
