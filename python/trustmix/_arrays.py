"""Conversion of user containers (array-like, Series, DataFrame) to the C-contiguous
float64 (T, C) arrays the C++ kernels take, and back to the caller's type."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd


class Matrix:
    """A (T, C) float64 view of the input and a way to wrap results like it."""

    def __init__(self, x: Any, what: str = "x") -> None:
        self.kind: str
        self.index: Any = None
        self.columns: Any = None
        self.name: Any = None
        if isinstance(x, pd.DataFrame):
            self.kind, self.index, self.columns = "frame", x.index, x.columns
            bad = [
                c
                for c, dt in x.dtypes.items()
                if not pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt)
            ]
            if bad:
                raise ValueError(f"{what}: column {bad[0]!r} is not numeric (dtype {x[bad[0]].dtype})")
            arr = x.to_numpy(dtype=np.float64)
        elif isinstance(x, pd.Series):
            self.kind, self.index, self.name = "series", x.index, x.name
            if not pd.api.types.is_numeric_dtype(x.dtype) or pd.api.types.is_bool_dtype(x.dtype):
                raise ValueError(f"{what} is not numeric (dtype {x.dtype})")
            arr = x.to_numpy(dtype=np.float64)[:, None]
        else:
            a = np.asarray(x)
            if a.dtype.kind not in "iuf":
                raise ValueError(f"{what} must be numeric, got dtype {a.dtype}")
            if a.ndim == 1:
                self.kind, arr = "vector", a[:, None]
            elif a.ndim == 2:
                self.kind, arr = "matrix", a
            else:
                raise ValueError(f"{what} must be 1-D (T,) or 2-D (T, C), got shape {a.shape}")
        self.values = np.ascontiguousarray(arr, dtype=np.float64)

    @property
    def channels(self) -> int:
        return int(self.values.shape[1])

    def label(self, row: int, col: int) -> str:
        """Human name of a cell for error messages."""
        r = _show(self.index[row]) if self.index is not None else row
        if self.kind == "frame":
            return f"row {r}, column {self.columns[col]!r}"
        if self.kind == "series":
            return f"row {r}" + (f" of {self.name!r}" if self.name is not None else "")
        return f"row {row}" + (f", column {col}" if self.kind == "matrix" else "")

    def require(self, ok: Callable[[np.ndarray], np.ndarray], expected: str, what: str = "x") -> None:
        """Raises ValueError naming the first cell where ok(values) is False."""
        mask = ok(self.values)
        if not mask.all():
            row, col = np.argwhere(~mask)[0]
            raise ValueError(
                f"{what} must be {expected}: {self.label(int(row), int(col))} is {float(self.values[row, col])!r}"
            )

    def wrap(self, values: np.ndarray) -> Any:
        """Returns values (T, C) in the caller's container type."""
        if self.kind == "frame":
            return pd.DataFrame(values, index=self.index, columns=self.columns)
        if self.kind == "series":
            return pd.Series(values[:, 0], index=self.index, name=self.name)
        if self.kind == "vector":
            return values[:, 0]
        return values

    def wrap_lags(self, weights: np.ndarray) -> Any:
        """Lag weights (L+1, C): a DataFrame indexed by lag for frames, else an array."""
        if self.kind == "frame":
            return pd.DataFrame(weights, index=pd.RangeIndex(weights.shape[0], name="lag"), columns=self.columns)
        if self.kind == "series":
            return pd.Series(weights[:, 0], index=pd.RangeIndex(weights.shape[0], name="lag"), name=self.name)
        if self.kind == "vector":
            return weights[:, 0]
        return weights

    def parameter(self, value: Any, name: str) -> np.ndarray:
        """A parameter given as a scalar, a sequence of C values or (for DataFrames) a
        mapping column -> value, as a float64 vector of 1 or C values."""
        if isinstance(value, Mapping) or isinstance(value, pd.Series):
            if self.kind != "frame":
                raise ValueError(f"{name}: a mapping by column name needs a DataFrame input")
            missing = [c for c in self.columns if c not in value]
            if missing:
                raise ValueError(f"{name}: no value for column {missing[0]!r}")
            return np.array([float(value[c]) for c in self.columns], dtype=np.float64)
        if np.isscalar(value):
            return np.array([float(value)], dtype=np.float64)  # type: ignore[arg-type]
        arr = np.asarray(value, dtype=np.float64).ravel()
        if arr.size not in (1, self.channels):
            raise ValueError(f"{name} must be a scalar or have one value per channel ({self.channels}), got {arr.size}")
        return arr


def _show(label: Any) -> str:
    """An index label as a user wrote it: 'x' for strings, 2025-01-19 for dates."""
    if isinstance(label, str):
        return repr(label)
    if isinstance(label, pd.Timestamp):
        return str(label.date()) if label == label.normalize() else str(label)
    return str(label)
