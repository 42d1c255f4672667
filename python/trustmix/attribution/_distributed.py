"""Distributed engines: partitions are counted by the C++ core where they live, the exact
statistics are merged by the engine (or the driver), and the models are solved once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

from trustmix.attribution._journeys import Journeys
from trustmix.attribution._statistics import Statistics

__all__ = ["statistics_from_dask", "statistics_from_spark"]


def _count_partition(frame: pd.DataFrame, kw: dict[str, Any]) -> bytes:
    """Counts one partition of a path table into the bytes of a Statistics state."""
    st = Statistics(kw["orders"], kw["collapse_repeats"])
    if len(frame):
        j = Journeys.from_paths(
            frame,
            path=kw["path"],
            conversions=kw["conversions"],
            value=kw["value"],
            nulls=kw["nulls"],
            sep=kw["sep"],
            threads=1,
        )
        st.update(j, threads=1)
    return st.to_bytes()


def _partition_options(
    frame: Any,
    path: str,
    conversions: str,
    value: str | None,
    nulls: str | None,
    sep: str,
    orders: Iterable[int],
    collapse_repeats: bool,
) -> dict[str, Any]:
    """Checks the column names against ``frame.columns`` and returns the options each
    partition is counted with (plain values, so they pickle to the workers)."""
    missing = [c for c in (path, conversions, value, nulls) if c is not None and c not in frame.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not found; the frame has columns {list(frame.columns)}")
    return {
        "path": path,
        "conversions": conversions,
        "value": value,
        "nulls": nulls,
        "sep": sep,
        "orders": [int(k) for k in orders],
        "collapse_repeats": bool(collapse_repeats),
    }


def _merge_states(states: Iterable[bytes], kw: dict[str, Any]) -> Statistics:
    """Merges states given as bytes (an empty input gives empty statistics).

    The first state, once decoded, is the accumulator (no copy of it into a fresh state);
    the others are merged into it. Exact sums: the result equals merging into a fresh
    state bit for bit."""
    out = None
    for b in states:
        st = Statistics.from_bytes(b)
        if out is None:  # merging a fresh state in checks the settings against kw and adds nothing
            out = st.merge(Statistics(kw["orders"], kw["collapse_repeats"]))
        else:
            out.merge(st)
    return out if out is not None else Statistics(kw["orders"], kw["collapse_repeats"])


def _merge_bytes(kw: dict[str, Any], *states: bytes) -> bytes:
    return _merge_states(states, kw).to_bytes()


def statistics_from_dask(
    ddf: Any,
    path: str = "path",
    conversions: str = "conversions",
    value: str | None = None,
    nulls: str | None = None,
    sep: str = ">",
    orders: Iterable[int] = (1,),
    collapse_repeats: bool = True,
    split_every: int = 8,
) -> Statistics:
    """Counts a Dask DataFrame of paths into one :class:`Statistics`.

    Each partition is parsed and counted by the C++ core on its worker; the exact states
    (bytes) are merged in a tree (``split_every`` at a time) on the workers and the result
    comes back to the caller, where any model (:func:`markov`, :func:`shapley`,
    :func:`roles`, rule-based defaults) is solved once. The numbers equal a single pass
    over the whole table bit for bit. Uses the active scheduler (e.g. a
    ``dask.distributed.Client``).
    """
    try:
        from dask.base import compute
        from dask.delayed import delayed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("statistics_from_dask needs dask: pip install trustmix[dask]") from exc
    kw = _partition_options(ddf, path, conversions, value, nulls, sep, orders, collapse_repeats)
    parts = [delayed(_count_partition)(p, kw) for p in ddf.to_delayed()]
    if split_every < 2:
        raise ValueError(f"split_every must be >= 2, got {split_every}")
    while len(parts) > 1:
        parts = [delayed(_merge_bytes)(kw, *parts[i : i + split_every]) for i in range(0, len(parts), split_every)]
    (state,) = compute(parts[0])
    return Statistics.from_bytes(state)


def statistics_from_spark(
    sdf: Any,
    path: str = "path",
    conversions: str = "conversions",
    value: str | None = None,
    nulls: str | None = None,
    sep: str = ">",
    orders: Iterable[int] = (1,),
    collapse_repeats: bool = True,
) -> Statistics:
    """Counts a Spark DataFrame of paths into one :class:`Statistics`.

    ``mapInPandas`` counts every partition's Arrow batches with the C++ core on the
    executors and emits one exact state per partition; the driver merges them (a merge is
    cheap: it grows with distinct states, not rows). Needs pyspark and Java.
    """
    try:
        from pyspark.sql.types import BinaryType, StructField, StructType
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("statistics_from_spark needs pyspark: pip install pyspark") from exc
    kw = _partition_options(sdf, path, conversions, value, nulls, sep, orders, collapse_repeats)
    columns = [c for c in (path, conversions, value, nulls) if c is not None]

    def count_batches(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        states = (_count_partition(frame, kw) for frame in batches)
        yield pd.DataFrame({"state": [_merge_states(states, kw).to_bytes()]})

    schema = StructType([StructField("state", BinaryType(), False)])
    rows = sdf.select(*columns).mapInPandas(count_batches, schema=schema).collect()
    return _merge_states((bytes(row["state"]) for row in rows), kw)
