"""
trustmix::attribution bound to Python.
"""

from collections.abc import Sequence
from typing import Any, ClassVar, SupportsFloat, SupportsIndex, SupportsInt, TypeAlias

import numpy as np
import numpy.typing as npt
import typing_extensions

_Int: TypeAlias = SupportsInt | SupportsIndex  # what pybind11 converts to a C++ integer
_Float: TypeAlias = SupportsFloat | SupportsIndex  # what pybind11 converts to a C++ double
# JourneyStore's pickled state: version, channels, offsets, touches, touch ages, conversions, value, nulls
_StoreState: TypeAlias = tuple[
    int,
    list[str],
    npt.NDArray[np.int64],
    npt.NDArray[np.int32],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]

class JourneyStore:
    @staticmethod
    def from_arrays(
        channels: Sequence[str],
        offsets: npt.ArrayLike,
        touches: npt.ArrayLike,
        touch_age_days: npt.ArrayLike,
        conversions: npt.ArrayLike,
        value: npt.ArrayLike,
        nulls: npt.ArrayLike,
    ) -> JourneyStore: ...
    @staticmethod
    def from_events(
        touch_user: npt.ArrayLike,
        touch_time: npt.ArrayLike,
        touch_channel: npt.ArrayLike,
        channel_names: Sequence[str],
        conversion_user: npt.ArrayLike,
        conversion_time: npt.ArrayLike,
        conversion_value: npt.ArrayLike,
        *,
        lookback: _Int,
        time_units_per_day: _Float,
        drop_unattributed: bool = False,
    ) -> tuple[JourneyStore, dict[str, Any]]: ...
    @staticmethod
    def from_path_buffer(
        data: typing_extensions.Buffer | npt.NDArray[np.uint8],  # any buffer of UTF-8 bytes
        offsets: np.ndarray,
        conversions: npt.ArrayLike,
        value: npt.ArrayLike | None = None,
        nulls: npt.ArrayLike | None = None,
        *,
        sep: str = ">",
        columns: Sequence[str] = ...,
        threads: _Int = 0,
    ) -> JourneyStore: ...
    @staticmethod
    def from_path_list(
        paths: Sequence[str],
        conversions: npt.ArrayLike,
        value: npt.ArrayLike | None = None,
        nulls: npt.ArrayLike | None = None,
        *,
        sep: str = ">",
        columns: Sequence[str] = ...,
        threads: _Int = 0,
    ) -> JourneyStore: ...
    @staticmethod
    def from_path_objects(
        values: np.ndarray,
        conversions: npt.ArrayLike,
        value: npt.ArrayLike | None = None,
        nulls: npt.ArrayLike | None = None,
        *,
        sep: str = ">",
        columns: Sequence[str] = ...,
        threads: _Int = 0,
    ) -> JourneyStore: ...
    def __getstate__(self) -> _StoreState: ...
    def __len__(self) -> int: ...
    def __setstate__(self, state: _StoreState) -> None: ...
    def nbytes(self) -> int: ...
    def take(self, rows: npt.ArrayLike) -> JourneyStore: ...
    @property
    def channels(self) -> list[str]: ...
    @property
    def conversions(self) -> npt.NDArray[np.float64]: ...
    @property
    def has_times(self) -> bool: ...
    @property
    def n_touches(self) -> int: ...
    @property
    def nulls(self) -> npt.NDArray[np.float64]: ...
    @property
    def offsets(self) -> npt.NDArray[np.int64]: ...
    @property
    def touch_age_days(self) -> npt.NDArray[np.float64]: ...
    @property
    def touches(self) -> npt.NDArray[np.int32]: ...
    @property
    def value(self) -> npt.NDArray[np.float64]: ...

class Statistics:
    __hash__: ClassVar[None]  # type: ignore[assignment]  # unhashable: __eq__ is bound, as in typeshed
    @staticmethod
    def from_bytes(arg0: bytes, /) -> Statistics: ...
    @staticmethod
    def from_table(arg0: dict[str, Any], /) -> Statistics: ...
    def __eq__(self, other: object) -> bool: ...
    def __getstate__(self) -> tuple[int, bytes]: ...
    def __init__(self, *, orders: Sequence[_Int] = ..., collapse_repeats: bool = True, contents: _Int = 15) -> None: ...
    def __setstate__(self, state: tuple[int, bytes]) -> None: ...
    def copy(self) -> Statistics: ...
    def merge(self, other: Statistics) -> None: ...
    def to_bytes(self) -> bytes: ...
    def to_table(self) -> dict[str, Any]: ...
    def update(self, store: JourneyStore, *, threads: _Int = 0) -> None: ...
    @property
    def channels(self) -> list[str]: ...
    @property
    def collapse_repeats(self) -> bool: ...
    @property
    def contents(self) -> int: ...
    @property
    def n_journeys(self) -> int: ...
    @property
    def orders(self) -> list[int]: ...
    @property
    def total_conversions(self) -> float: ...
    @property
    def total_nulls(self) -> float: ...
    @property
    def total_value(self) -> float: ...

def count(
    store: JourneyStore,
    *,
    orders: Sequence[_Int] = ...,
    collapse_repeats: bool = True,
    threads: _Int = 0,
    contents: _Int = 15,
) -> Statistics: ...
def markov(
    statistics: Statistics,
    *,
    order: _Int = 1,
    threads: _Int = 0,
    solver: str = "auto",
    tolerance: _Float = 1e-13,
    direct_max_states: _Int = 1500,
) -> dict[str, Any]: ...
def markov_journeys(
    store: JourneyStore,
    *,
    order: _Int = 1,
    collapse_repeats: bool = True,
    threads: _Int = 0,
    solver: str = "auto",
    tolerance: _Float = 1e-13,
    direct_max_states: _Int = 1500,
) -> dict[str, Any]: ...
def markov_log_likelihood(train: Statistics, test: JourneyStore, *, order: _Int) -> tuple[float, float]: ...
def ordered_shapley(statistics: Statistics) -> dict[str, Any]: ...
def proportional_per_journey(store: JourneyStore, channel_weight: Sequence[_Float]) -> dict[str, Any]: ...
def roles(statistics: Statistics) -> dict[str, Any]: ...
def rule_based(
    store: JourneyStore,
    model: str,
    *,
    excluded_channel: str = "direct",
    half_life: _Float = 7.0,
    first_weight: _Float = 0.4,
    last_weight: _Float = 0.4,
    per_journey: bool = False,
    threads: _Int = 0,
) -> dict[str, Any]: ...
def rule_based_from_statistics(statistics: Statistics, model: str) -> dict[str, Any]: ...
def shapley(
    statistics: Statistics,
    *,
    value_function: str = "count",
    unseen: str = "zero",
    max_channels: _Int = 24,
    threads: _Int = 0,
) -> dict[str, Any]: ...
def simplified_shapley(statistics: Statistics) -> dict[str, Any]: ...

CONTENT_ALL: int = 15
CONTENT_CHANNELS: int = 4
CONTENT_ORDERED: int = 8
CONTENT_SETS: int = 2
CONTENT_TRANSITIONS: int = 1
