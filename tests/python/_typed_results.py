"""Checks shared by the typed-result tests (test_typed_results_*.py): equality of bound
results by value and their pickle round trip."""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np


def equal(x: Any, y: Any) -> bool:
    """x and y hold the same values: arrays of the same dtype and shape (NaN equal to NaN),
    bound results by their pickled states, lists element by element."""
    if isinstance(x, np.ndarray):
        return bool(x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y, equal_nan=x.dtype.kind == "f"))
    if isinstance(x, float):
        return (math.isnan(x) and math.isnan(y)) or x == y
    if isinstance(x, list):
        return len(x) == len(y) and all(equal(a, b) for a, b in zip(x, y, strict=True))
    if type(x).__module__.startswith("trustmix._core"):
        (vx, sx), (vy, sy) = x.__getstate__(), y.__getstate__()
        return bool(vx == vy and list(sx) == list(sy) and all(equal(sx[k], sy[k]) for k in sx))
    return bool(x == y)


def same(a: Any, b: Any, names: list[str]) -> None:
    """a and b have equal attributes ``names``."""
    for n in names:
        assert equal(getattr(a, n), getattr(b, n)), n


def roundtrip(obj: Any, names: list[str], version: int = 1) -> Any:
    """obj pickled and loaded: the same class with the same attributes ``names``, its state
    of ``version`` holding exactly those (the pickled members); returns the loaded copy."""
    back = pickle.loads(pickle.dumps(obj))
    assert type(back) is type(obj)
    same(back, obj, names)
    got, state = obj.__getstate__()
    assert got == version and sorted(state) == sorted(names)
    return back
