"""Readers of media-mix data with reach-and-frequency channels.

:func:`read_meridian` reads Google Meridian's CSV layout (its simulated examples
``national_media_rf.csv`` and ``geo_media_rf.csv``: one row per period, or per geo and
period, with ``<Channel>_impression``, ``<Channel>_spend``, ``<Channel>_reach``,
``<Channel>_frequency``, ``*_control`` columns, ``conversions``, ``revenue_per_conversion``
and, for geos, ``population``). :func:`rf_pairs` finds reach/frequency column pairs in any
wide frame (PyMC-Marketing's layout: a date column and one column per channel metric).
Both return what :class:`~trustmix.mmm.TrustMMM` takes, so that

    d = tm.mmm.read_meridian("national_media_rf.csv")
    model = tm.mmm.TrustMMM(d.data, **d.kwargs)

builds the matched model (trust off, every channel a conversion channel).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MeridianData", "read_meridian", "rf_pairs"]


@dataclass
class MeridianData:
    """Data read by :func:`read_meridian`.

    Attributes
    ----------
    data : DataFrame
        One row per period (geos aggregated, or the chosen geo), sorted by date.
    kwargs : dict
        Arguments of :class:`~trustmix.mmm.TrustMMM` for the matched model: ``date``,
        ``outcome``, ``channels`` (the impression channels, role conversion),
        ``rf_channels`` (channel -> (reach, frequency) column), ``spend`` (channel -> spend
        column), ``controls``, ``value_per_outcome`` (mean revenue per conversion, or
        None) and ``trust=False``.
    geos : list of str
        The geos of the file (empty for a national file).
    """

    data: pd.DataFrame
    kwargs: dict[str, Any] = field(default_factory=dict)
    geos: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"MeridianData(periods={len(self.data)}, channels={self.kwargs.get('channels')}, "
            f"rf_channels={self.kwargs.get('rf_channels')}, geos={len(self.geos)})"
        )


def rf_pairs(
    columns: Any, reach_suffix: str = "_reach", frequency_suffix: str = "_frequency"
) -> dict[str, tuple[str, str]]:
    """Reach/frequency column pairs of a wide frame: channel -> (reach column, frequency
    column) for every ``<channel><reach_suffix>`` with a ``<channel><frequency_suffix>``.

    Raises ValueError naming a reach column without its frequency column (or the reverse).
    """
    cols = [str(c) for c in (columns.columns if isinstance(columns, pd.DataFrame) else columns)]
    reach = {c[: -len(reach_suffix)]: c for c in cols if c.endswith(reach_suffix)}
    freq = {c[: -len(frequency_suffix)]: c for c in cols if c.endswith(frequency_suffix)}
    for name, col in reach.items():
        if name not in freq:
            raise ValueError(
                f"column {col!r} is a reach column without its frequency column {name + frequency_suffix!r}"
            )
    for name, col in freq.items():
        if name not in reach:
            raise ValueError(f"column {col!r} is a frequency column without its reach column {name + reach_suffix!r}")
    return {name: (reach[name], freq[name]) for name in reach}


def read_meridian(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    geo: str | None = None,
    date: str = "time",
    outcome: str = "conversions",
) -> MeridianData:
    """Reads Meridian's CSV layout into one row per period and TrustMMM's arguments.

    Channels: ``<C>_impression`` columns without reach are impression channels (activity =
    impressions); ``<C>_reach`` with ``<C>_frequency`` are reach-and-frequency channels;
    each needs ``<C>_spend``. Controls: columns ending in ``_control``. The value of one
    conversion: the mean of ``revenue_per_conversion`` weighted by conversions (None
    without the column).

    Geo files (a ``geo`` column): with ``geo`` given, that geo's rows; otherwise the geos
    summed per period: impressions, spend, conversions and reach add up (geos are
    disjoint populations), frequency is impressions over reach, sum_g r_g f_g / sum_g r_g
    (0 where nobody is reached), controls are population-weighted means (plain means
    without ``population``).

    Rows of an RF channel with reach > 0 and frequency < 1 (an average frequency among
    the reached is >= 1) are reported in a warning; the Hill form accepts them, the
    exposure form refuses them. Raises ValueError naming the column or row at fault.
    """
    if isinstance(source, pd.DataFrame):
        df = source.copy()
    else:
        if not os.path.exists(source):
            raise ValueError(f"read_meridian: no file {os.fspath(source)!r}")
        df = pd.read_csv(source)
    for col in (date, outcome):
        if col not in df.columns:
            raise ValueError(f"read_meridian: column {col!r} is missing (columns: {', '.join(map(str, df.columns))})")
    pairs = rf_pairs(df)
    impression = [c[: -len("_impression")] for c in df.columns if str(c).endswith("_impression")]
    media = [c for c in impression if c not in pairs]
    if not media and not pairs:
        raise ValueError("read_meridian: no '<channel>_impression' or '<channel>_reach'/'<channel>_frequency' columns")
    for ch in [*media, *pairs]:
        if f"{ch}_spend" not in df.columns:
            raise ValueError(f"read_meridian: channel {ch!r} has no spend column {ch + '_spend'!r}")
    controls = [str(c) for c in df.columns if str(c).endswith("_control")]
    numeric = [
        outcome,
        *[f"{c}_impression" for c in media],
        *[f"{c}_spend" for c in [*media, *pairs]],
        *[v for p in pairs.values() for v in p],
        *controls,
    ]
    if "revenue_per_conversion" in df.columns:
        numeric.append("revenue_per_conversion")
    for col in numeric:
        v = pd.to_numeric(df[col], errors="coerce")
        bad = v.isna() | ~np.isfinite(v.to_numpy(dtype=float))
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            raise ValueError(f"read_meridian: column {col!r}: row {i} is {df[col].iloc[i]!r}; expected a finite number")
        df[col] = v.astype(float)
    geos: list[str] = []
    if "geo" in df.columns:
        geos = [str(g) for g in pd.unique(df["geo"])]
        if geo is not None:
            if geo not in geos:
                raise ValueError(f"read_meridian: geo {geo!r} is not in the file (geos: {', '.join(geos)})")
            df = df[df["geo"].astype(str) == geo].drop(columns="geo")
        else:
            df = _aggregate_geos(df, date, outcome, media, pairs, controls)
    elif geo is not None:
        raise ValueError(f"read_meridian: geo {geo!r} given but the data has no 'geo' column (a national file)")
    df = df.sort_values(date).reset_index(drop=True)
    if df[date].duplicated().any():
        raise ValueError(f"read_meridian: date {df[date][df[date].duplicated()].iloc[0]} appears twice")
    for ch, (r, f) in pairs.items():
        low = (df[r] > 0) & (df[f] < 1.0)
        if low.any():
            warnings.warn(
                f"read_meridian: channel {ch!r} has {int(low.sum())} period(s) with reach > 0 and frequency "
                f"< 1 (first: row {int(np.argmax(low.to_numpy()))}); rf_form='exposure' refuses them",
                stacklevel=2,
            )
    value = None
    if "revenue_per_conversion" in df.columns:
        w = df[outcome].to_numpy(dtype=float)
        value = float(np.average(df["revenue_per_conversion"], weights=w)) if w.sum() > 0 else None
    kwargs: dict[str, Any] = {
        "date": date,
        "outcome": outcome,
        "channels": {f"{c}_impression": "conversion" for c in media},
        "rf_channels": {c: pairs[c] for c in pairs},
        "spend": {**{f"{c}_impression": f"{c}_spend" for c in media}, **{c: f"{c}_spend" for c in pairs}},
        "controls": controls,
        "value_per_outcome": value,
        "trust": False,
    }
    return MeridianData(data=df, kwargs=kwargs, geos=geos)


def _aggregate_geos(
    df: pd.DataFrame,
    date: str,
    outcome: str,
    media: list[str],
    pairs: Mapping[str, tuple[str, str]],
    controls: list[str],
) -> pd.DataFrame:
    """Geos summed per period (read_meridian's rules)."""
    g = df.groupby(date, sort=True)
    out = pd.DataFrame({date: list(g.groups)})
    out[outcome] = g[outcome].sum().to_numpy()
    for c in media:
        out[f"{c}_impression"] = g[f"{c}_impression"].sum().to_numpy()
    for c in [*media, *pairs]:
        out[f"{c}_spend"] = g[f"{c}_spend"].sum().to_numpy()
    for r, f in pairs.values():
        reach = g[r].sum().to_numpy()
        imps = (df[r] * df[f]).groupby(df[date], sort=True).sum().to_numpy()
        out[r] = reach
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f] = np.where(reach > 0, imps / reach, 0.0)
    weight = df["population"] if "population" in df.columns else pd.Series(1.0, index=df.index)
    for c in controls:
        out[c] = (df[c] * weight).groupby(df[date], sort=True).sum().to_numpy() / weight.groupby(
            df[date], sort=True
        ).sum().to_numpy()
    if "revenue_per_conversion" in df.columns:
        rev = (df["revenue_per_conversion"] * df[outcome]).groupby(df[date], sort=True).sum().to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["revenue_per_conversion"] = np.where(out[outcome] > 0, rev / out[outcome].to_numpy(), 0.0)
    return out
