"""The journey store seen from Python: data in once, every model runs on it."""

from __future__ import annotations

from typing import Any, overload

import numpy as np
import pandas as pd

from trustmix import _core

__all__ = ["Journeys"]

_NS_PER_DAY = 86_400e9


def _column(frame: pd.DataFrame, name: str, role: str) -> pd.Series:
    if not isinstance(name, str):
        raise ValueError(f"the {role} column must be named by a str, got {name!r}")
    if name not in frame.columns:
        raise ValueError(f"column '{name}' ({role}) not found; the frame has columns {list(frame.columns)}")
    column = frame[name]
    if isinstance(column, pd.DataFrame):  # duplicate column names: which one is meant is unclear
        raise ValueError(
            f"column '{name}' ({role}) appears {column.shape[1]} times in the frame; rename the duplicates"
        )
    return column


@overload
def _numeric(frame: pd.DataFrame, name: str, role: str) -> np.ndarray: ...
@overload
def _numeric(frame: pd.DataFrame, name: str | None, role: str) -> np.ndarray | None: ...
def _numeric(frame: pd.DataFrame, name: str | None, role: str) -> np.ndarray | None:
    """A float64 copy of a weight column; non-numbers and missing values are reported by row."""
    if name is None:
        return None
    s = _column(frame, name, role)
    if pd.api.types.is_float_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)  # fast path: already numeric
    else:
        values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(np.isnan(values))
    if bad.size:
        row = int(bad[0])
        raise ValueError(f"row {row}, column '{name}': expected a finite number >= 0, got {s.iloc[row]!r}")
    return np.ascontiguousarray(values)


def _to_pandas(data: Any) -> pd.DataFrame:
    """Accepts pandas, pyarrow tables, polars frames (to_arrow) and Arrow C stream objects."""
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas") and not hasattr(data, "to_arrow"):
        return data.to_pandas()
    if hasattr(data, "to_arrow"):
        return data.to_arrow().to_pandas()
    if hasattr(data, "__arrow_c_stream__"):
        import pyarrow as pa

        return pa.table(data).to_pandas()
    raise ValueError(f"expected a pandas DataFrame or an Arrow-compatible table, got {type(data).__name__}")


def _raise_first_missing(paths: pd.Series, name: str) -> None:
    """Error path only: names the first row that is not a string if it is a missing value."""
    for row, x in enumerate(paths.to_numpy(dtype=object)):
        if not isinstance(x, str):
            if pd.api.types.is_scalar(x) and pd.isna(x):
                raise ValueError(f"row {row}, column '{name}': missing path")
            return


def _raise_first_non_string(paths: pd.Series, name: str) -> None:
    """Error path only: names the first row whose path is not a string."""
    bad = np.flatnonzero(~paths.map(lambda x: isinstance(x, str)).to_numpy(dtype=bool))
    if bad.size:
        row = int(bad[0])
        raise ValueError(f"row {row}, column '{name}': expected a path string, got {paths.iloc[row]!r}")


def _parse_paths(
    paths: pd.Series, name: str, conversions: Any, value: Any, nulls: Any, sep: str, columns: Any, threads: int
) -> _core.attribution.JourneyStore:
    """Hands the path strings to C++ without a Python loop: an object column (str objects)
    is read in place, str objects' UTF-8 bytes straight from CPython; Arrow-backed strings
    (pandas' pyarrow string dtype, pyarrow, polars) go as Arrow buffers."""
    kw = {"sep": sep, "columns": columns, "threads": threads}
    if pd.api.types.is_object_dtype(paths.dtype) or (
        isinstance(paths.dtype, pd.StringDtype) and paths.dtype.storage == "python"
    ):
        values = np.ascontiguousarray(paths.to_numpy(dtype=object))
        try:
            return _core.attribution.JourneyStore.from_path_objects(values, conversions, value, nulls, **kw)
        except ValueError as exc:
            if "expected a path string" in str(exc):
                _raise_first_missing(paths, name)
            raise
    missing = np.flatnonzero(paths.isna().to_numpy())
    if missing.size:
        raise ValueError(f"row {int(missing[0])}, column '{name}': missing path")
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is installed with the dask extra
        pa = None
    if pa is not None:
        try:
            # the column's array, not the Series: zero-copy for Arrow-backed strings, and it
            # skips pyarrow's pandas conversion layer (milliseconds on its first use)
            arr = pa.array(paths.array, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            _raise_first_non_string(paths, name)
            raise
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if arr.type not in (pa.string(), pa.large_string()):
            try:
                arr = arr.cast(pa.large_string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ValueError(f"column '{name}': every path must be a string, got {arr.type} ({exc})") from None
        width = np.int64 if arr.type == pa.large_string() else np.int32
        buffers = arr.buffers()
        offsets = np.frombuffer(
            buffers[1], dtype=width, count=len(arr) + 1, offset=arr.offset * np.dtype(width).itemsize
        )
        data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
        return _core.attribution.JourneyStore.from_path_buffer(
            data, np.ascontiguousarray(offsets), conversions, value, nulls, **kw
        )
    # C++ reads the str objects in place and names a non-string row
    return _core.attribution.JourneyStore.from_path_list(paths.to_list(), conversions, value, nulls, **kw)


class Journeys:
    """Customer journeys encoded once into trustmix's compact journey store.

    A journey is the ordered list of touchpoints (channels) of one person up to a conversion
    or the end of the lookback window. Journey ``j`` carries ``conversions[j]`` (may be
    fractional), ``value[j]`` (conversion value, currency) and ``nulls[j]`` (the number of
    non-converting journeys with the same path). Channel names are dictionary-encoded (ids
    follow the sorted names) and all touches sit in one contiguous array, so memory grows
    with touches, not with Python objects. Build with :meth:`from_paths` (aggregated path
    table) or :meth:`from_events` (touch and conversion events).

    Attributes
    ----------
    info : pandas.DataFrame or None
        One row per journey: ``user``, ``end_time`` and ``conversion_row`` for journeys built
        from events; ``None`` for path tables (journey ``j`` is row ``j`` of the input).
    unattributed_conversions, unattributed_value : int, float
        Conversions (and their value) without a touch in the lookback window (events only).
    touches_outside_lookback : int
        Touches older than the lookback window before their journey's end (events only).
    """

    def __init__(self, store: Any, info: pd.DataFrame | None = None, meta: dict[str, Any] | None = None):
        self._store = store
        self.info = info
        meta = meta or {}
        self.unattributed_conversions = int(meta.get("unattributed_conversions", 0))
        self.unattributed_value = float(meta.get("unattributed_value", 0.0))
        self.unattributed_rows = np.asarray(meta.get("unattributed_rows", np.zeros(0, np.int64)))
        self.touches_outside_lookback = int(meta.get("touches_outside_lookback", 0))
        self.source = meta.get("source", "arrays")

    # ---- construction -------------------------------------------------------------
    @classmethod
    def from_paths(
        cls,
        df: Any,
        path: str = "path",
        conversions: str = "conversions",
        value: str | None = None,
        nulls: str | None = None,
        sep: str = ">",
        threads: int = 0,
    ) -> Journeys:
        """Journeys from an aggregated path table.

        Parameters
        ----------
        df : pandas.DataFrame, pyarrow.Table or polars.DataFrame
            One row per distinct path.
        path : str
            Column of paths such as ``"press > instagram > search"``; split on ``sep``,
            channel names trimmed of white space.
        conversions : str
            Column of conversions per path (non-negative, fractional allowed).
        value, nulls : str, optional
            Columns of conversion value (currency) and non-converting journeys; zeros if
            omitted.
        sep : str
            Separator between channels.
        threads : int
            Parsing threads (0 = all cores); the result does not depend on it.

        Raises
        ------
        ValueError
            Naming the row (0-based position) and column of an empty path, an empty channel
            name, a missing, negative or non-finite count.
        """
        if not isinstance(sep, str) or not sep:
            raise ValueError(f"sep must be a non-empty str (the separator between channels), got {sep!r}")
        if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 0:
            raise ValueError(f"threads must be an integer >= 0 (0 = all cores), got {threads!r}")
        frame = _to_pandas(df)
        conv = _numeric(frame, conversions, "conversions")
        val = _numeric(frame, value, "value")
        nul = _numeric(frame, nulls, "nulls")
        paths = _column(frame, path, "path")
        columns = [path, conversions, value or "value", nulls or "nulls"]
        store = _parse_paths(paths, path, conv, val, nul, sep, columns, threads)
        return cls(store, None, {"source": "paths"})

    @classmethod
    def from_events(
        cls,
        touches: Any,
        conversions: Any,
        lookback: str | pd.Timedelta = "30D",
        *,
        user: str = "user_id",
        time: str = "timestamp",
        channel: str = "channel",
        conversion_time: str | None = None,
        conversion_value: str | None = "value",
        drop_unattributed: bool = False,
    ) -> Journeys:
        """Journeys from touch events and conversion events.

        For each user, touches and conversions are put in time order; a conversion's journey
        holds the user's touches after the previous conversion and at or before this one,
        at most ``lookback`` old. Touches after a user's last conversion form one
        non-converting journey (``nulls = 1``), limited to ``lookback`` before the last of
        them. Each touch keeps its age in days before the conversion (for time decay).

        Parameters
        ----------
        touches : DataFrame
            One row per touch with columns ``user``, ``time`` (datetime-like) and ``channel``.
        conversions : DataFrame
            One row per conversion with ``user``, ``conversion_time`` (defaults to ``time``)
            and optionally ``conversion_value`` (currency; zeros when the column is absent
            and the argument is left at its default).
        lookback : str or Timedelta
            Lookback window, e.g. ``"30D"``.
        drop_unattributed : bool
            A conversion without any touch in its window raises ValueError (with its row)
            unless this is True; either way it is counted in ``unattributed_conversions``.
        """
        t = _to_pandas(touches)
        c = _to_pandas(conversions)
        ctime = conversion_time or time
        t_user, c_user = _column(t, user, "user"), _column(c, user, "user")
        for frame, col, what in ((t, user, "touches"), (c, user, "conversions")):
            bad = np.flatnonzero(frame[col].isna().to_numpy())
            if bad.size:
                raise ValueError(f"{what} row {int(bad[0])}, column '{col}': missing user id")
        codes, uniques = pd.factorize(pd.concat([t_user, c_user], ignore_index=True), sort=False)
        codes = codes.astype(np.int64)

        def times(frame: pd.DataFrame, col: str, what: str) -> np.ndarray:
            s = _column(frame, col, "time")
            try:
                ts = pd.to_datetime(s)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{what}, column '{col}': cannot read as timestamps ({exc})") from None
            if getattr(ts.dt, "tz", None) is not None:
                ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
            bad = np.flatnonzero(ts.isna().to_numpy())
            if bad.size:
                raise ValueError(f"{what} row {int(bad[0])}, column '{col}': missing or invalid timestamp")
            return ts.to_numpy().astype("datetime64[ns]").astype(np.int64)

        t_time, c_time = times(t, time, "touches"), times(c, ctime, "conversions")
        ch = _column(t, channel, "channel")
        ch_codes, ch_names = pd.factorize(ch, sort=False)
        bad = np.flatnonzero(ch_codes < 0)
        if bad.size:
            raise ValueError(f"touches row {int(bad[0])}, column '{channel}': missing channel")
        names = [str(x) for x in ch_names]
        if conversion_value is not None and conversion_value in c.columns:
            cval = _numeric(c, conversion_value, "value")
            neg = np.flatnonzero(cval < 0)
            if neg.size:
                raise ValueError(f"conversions row {int(neg[0])}, column '{conversion_value}': expected a value >= 0")
        elif conversion_value is not None and conversion_value != "value":
            raise ValueError(f"column '{conversion_value}' (value) not found in conversions")
        else:
            cval = np.zeros(len(c), np.float64)
        lb = pd.Timedelta(lookback)
        if lb <= pd.Timedelta(0):
            raise ValueError(f"lookback must be a positive duration, got {lookback!r}")
        store, ev = _core.attribution.JourneyStore.from_events(
            codes[: len(t)],
            t_time,
            ch_codes.astype(np.int32),
            names,
            codes[len(t) :],
            c_time,
            cval,
            lookback=int(lb.value),
            time_units_per_day=_NS_PER_DAY,
            drop_unattributed=drop_unattributed,
        )
        info = pd.DataFrame(
            {
                "user": np.asarray(uniques)[ev.user],
                "end_time": ev.end_time.astype("datetime64[ns]"),
                "conversion_row": ev.conversion_row,
            }
        )
        meta: dict[str, Any] = {
            "unattributed_conversions": ev.unattributed_conversions,
            "unattributed_value": ev.unattributed_value,
            "unattributed_rows": ev.unattributed_rows,
            "touches_outside_lookback": ev.touches_outside_lookback,
            "source": "events",
        }
        return cls(store, info, meta)

    # ---- properties ---------------------------------------------------------------
    @property
    def channels(self) -> list[str]:
        """Channel names, sorted; channel id ``i`` is ``channels[i]``."""
        return list(self._store.channels)

    def __len__(self) -> int:
        return len(self._store)

    @property
    def n_touches(self) -> int:
        """Total number of touches over all journeys."""
        return int(self._store.n_touches)

    @property
    def has_times(self) -> bool:
        """True if touches carry their age before conversion (needed by time decay)."""
        return bool(self._store.has_times)

    @property
    def total_conversions(self) -> float:
        """Sum of conversions over journeys."""
        return float(self._store.conversions.sum())

    @property
    def total_value(self) -> float:
        """Sum of conversion value over journeys (currency)."""
        return float(self._store.value.sum())

    @property
    def total_nulls(self) -> float:
        """Sum of non-converting journeys."""
        return float(self._store.nulls.sum())

    def take(self, rows: Any) -> Journeys:
        """The journeys at integer positions ``rows`` (in that order), channel dictionary
        reduced to the channels they use; ``info`` rows follow."""
        idx = np.asarray(rows)
        if idx.dtype == bool:
            raise ValueError("take expects integer positions; use journeys[mask] for a boolean mask")
        idx = idx.astype(np.int64, copy=False)
        if idx.ndim != 1:
            raise ValueError(f"rows must be one-dimensional, got shape {idx.shape}")
        info = None if self.info is None else self.info.iloc[idx].reset_index(drop=True)
        return Journeys(self._store.take(np.ascontiguousarray(idx)), info, {"source": self.source})

    def __getitem__(self, key: Any) -> Journeys:
        """``journeys[mask]`` (boolean, one per journey), ``journeys[positions]`` or a slice."""
        n = len(self)
        if isinstance(key, slice):
            return self.take(np.arange(n)[key])
        arr = np.asarray(key)
        if arr.dtype == bool:
            if arr.shape != (n,):
                raise ValueError(f"boolean mask must have one entry per journey ({n}), got shape {arr.shape}")
            return self.take(np.flatnonzero(arr))
        return self.take(arr)

    def to_frame(self, sep: str = " > ") -> pd.DataFrame:
        """The journeys as a path table: path, conversions, value, nulls (plus ``info``)."""
        offsets = self._store.offsets
        names = np.asarray(self.channels, dtype=object)[self._store.touches]
        journey = np.repeat(np.arange(len(self)), np.diff(offsets))
        paths = pd.Series(names).groupby(journey).agg(sep.join) if len(names) else pd.Series([], dtype=object)
        out = pd.DataFrame(
            {
                "path": paths.to_numpy(),
                "conversions": self._store.conversions,
                "value": self._store.value,
                "nulls": self._store.nulls,
            }
        )
        if self.info is not None:
            out = pd.concat([out, self.info.reset_index(drop=True)], axis=1)
        return out

    def statistics(
        self,
        orders: tuple[int, ...] | list[int] = (1,),
        collapse_repeats: bool = True,
        contents: Any = "all",
        threads: int = 0,
    ) -> Any:
        """Mergeable sufficient statistics of these journeys (see :class:`Statistics`)."""
        from trustmix.attribution._statistics import Statistics

        return Statistics.from_journeys(
            self, orders=orders, collapse_repeats=collapse_repeats, contents=contents, threads=threads
        )

    def __repr__(self) -> str:
        return (
            f"Journeys({len(self)} journeys, {self.n_touches} touches, {len(self.channels)} channels, "
            f"conversions={self.total_conversions:g}, value={self.total_value:g}, nulls={self.total_nulls:g})"
        )

    def _repr_html_(self) -> str:
        head = self.to_frame().head(10).to_html(index=False)
        return f"<p><b>trustmix Journeys</b>: {self!r}</p>{head}"

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "store": self._store,
            "info": self.info,
            "meta": {
                "unattributed_conversions": self.unattributed_conversions,
                "unattributed_value": self.unattributed_value,
                "unattributed_rows": self.unattributed_rows,
                "touches_outside_lookback": self.touches_outside_lookback,
                "source": self.source,
            },
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version") != 1:
            raise ValueError(f"cannot unpickle Journeys: unsupported state version {state.get('version')!r}")
        Journeys.__init__(self, state["store"], state["info"], state["meta"])
