"""Geo-level results of a :class:`~trustmix.mmm.PanelFit` (issue 20): incremental outcome
short vs long term with its path split and ROIs, and response curves, per geo and rolled
up, with intervals over posterior draws, and their plots. The arithmetic is C++
(``include/trustmix/mmm/panel_analyses.hpp``); this module shapes tables and charts. The
``PanelFit`` methods :meth:`~trustmix.mmm.PanelFit.short_long`,
:meth:`~trustmix.mmm.PanelFit.response_curves`,
:meth:`~trustmix.mmm.PanelFit.plot_response_curves` and
:meth:`~trustmix.mmm.PanelFit.plot_geo_heat` call these functions.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trustmix import _core

if TYPE_CHECKING:
    from trustmix.mmm.panel import PanelFit

_log = logging.getLogger("trustmix.mmm")

__all__ = ["plot_geo_heat", "plot_response_curves", "response_curves", "short_long"]

_SHORT_LONG = (
    "incremental_short",
    "incremental_long",
    "incremental_total",
    "via_trust_direct",
    "via_amplification",
    "own",
    "roi_short",
    "roi_total",
    "marginal_roi",
    "cost_per_incremental",
)
_WITH_INTERVAL = (
    "incremental_short",
    "incremental_long",
    "incremental_total",
    "roi_short",
    "roi_total",
    "marginal_roi",
)


def _check_by(by: str) -> None:
    if by not in ("geo", "channel"):
        raise ValueError(f"by must be 'geo' (a row per geo and a rolled-up 'total') or 'channel', got {by!r}")


def _window(fit: PanelFit, window: tuple[Any, Any] | None) -> tuple[int, int]:
    """Inclusive period indices [lo, hi] of a (start, end) date window (default: the data)."""
    dates = fit.model.dates
    if window is None:
        return 0, len(dates) - 1
    lo = int(dates.searchsorted(pd.Timestamp(window[0])))
    hi = int(dates.searchsorted(pd.Timestamp(window[1]), side="right")) - 1
    if hi < lo:
        raise ValueError(f"window {window!r} holds no date of the data ({dates[0].date()} to {dates[-1].date()})")
    return lo, hi


def _horizon(fit: PanelFit, horizon: int | None) -> int:
    m = fit.model
    return (104 if m.trust != "off" else int(m._args["max_lag"])) if horizon is None else int(horizon)


def _value(fit: PanelFit, value_per_outcome: float | None) -> float:
    """The value per outcome (currency) for the ROI columns: the argument, else the model's;
    none: NaN (the ROIs are NaN) with a note on the ``trustmix.mmm`` logger once per model."""
    v = fit.model.value_per_outcome if value_per_outcome is None else value_per_outcome
    if v is None:
        if not fit.model._noted_no_value:
            # a note, not a warning: the incremental columns are valid, and scripts that
            # read only them (or run with warnings as errors) keep working
            fit.model._noted_no_value = True
            _log.warning(
                "no value_per_outcome given (PanelMMM(..., value_per_outcome=...) or "
                "roi/short_long(value_per_outcome=...)): the ROI columns are NaN; "
                "cost_per_incremental is reported. This note is shown once per model."
            )
        return math.nan
    return float(v)


def _summarise(x: np.ndarray, interval: float, nuts: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and equal-tailed interval per column (NaN-skipping, C++ summarize_columns); a
    single MAP draw gives its values and NaN bounds."""
    if not nuts:
        nan = np.full(x.shape[1], np.nan)
        return x[0], nan, nan
    s = _core.mmm.summarize_columns(np.ascontiguousarray(x), (1 - interval) / 2, (1 + interval) / 2, skip_nan=True)
    return np.asarray(s.mean), np.asarray(s.low), np.asarray(s.high)


def _share_factor(fit: PanelFit, draws: np.ndarray) -> np.ndarray:
    """C x G posterior mean of the share multipliers m[c, g] (``share_sd``; ones where a
    channel's share is known): a geo's expected spend of a national channel is its given
    spend times m. The national total is kept exactly when the share is constant in time."""
    m = fit.model
    G, C = len(m.geos), len(m.channel_names)
    out = np.ones((C, G))
    if not m._core.share_channels:
        return out
    names = list(m._core.constrained_names)
    con = np.asarray(m._core.constrain_draws(np.ascontiguousarray(draws)))
    for c in m._core.share_channels:
        cols = [names.index(f"share_multiplier[{c},{g}]") for g in range(G)]
        out[c] = con[:, cols].mean(axis=0)
    return out


def _roi_pass(
    fit: PanelFit,
    horizon: int | None,
    window: tuple[Any, Any] | None,
    value_per_outcome: float | None,
    max_draws: int,
    threads: int = 0,
) -> tuple[Any, np.ndarray]:
    """The counterfactual pass of :meth:`PanelFit.short_long` and :meth:`PanelFit.roi`
    (C++ ``panel_roi``) and the spend per channel (rows) and geo (columns) in the window."""
    m = fit.model
    lo, hi = _window(fit, window)
    spend = np.array([m.spend_by_geo[c][lo : hi + 1].sum(axis=0) for c in range(len(m.channel_names))], dtype=float)
    draws = fit.draws(max_draws)
    r = _core.mmm.panel_roi(
        m._core,
        np.ascontiguousarray(draws),
        spend,  # (C++ scales a national channel's geo spend by each draw's share multiplier)
        horizon=_horizon(fit, horizon),
        window_begin=lo,
        window_end=hi,
        value_per_outcome=_value(fit, value_per_outcome),
        outcome_scale=float(m._scales.y_scale),
        population=m.population,
        threads=int(threads),
    )
    return r, spend * _share_factor(fit, draws)


def short_long(
    fit: PanelFit,
    by: str = "geo",
    horizon: int | None = None,
    window: tuple[Any, Any] | None = None,
    value_per_outcome: float | None = None,
    interval: float = 0.9,
    max_draws: int = 200,
    threads: int = 0,
) -> pd.DataFrame:
    """See :meth:`trustmix.mmm.PanelFit.short_long`."""
    _check_by(by)
    m = fit.model
    G, C = len(m.geos), len(m.channel_names)
    lo, hi = _window(fit, window)
    r, spend = _roi_pass(fit, horizon, window, value_per_outcome, max_draws, threads)
    nuts = fit.posterior is not None
    geos = [*m.geos, "total"]
    out: dict[str, Any] = {
        "channel": np.repeat(np.array(m.channel_names, dtype=object), G + 1),
        "geo": np.tile(np.array(geos, dtype=object), C),
        "role": np.repeat(np.array([m.roles[c] for c in m.channel_names], dtype=object), G + 1),
        "spend": np.concatenate([spend, spend.sum(axis=1, keepdims=True)], axis=1).reshape(-1),
    }
    for col in _SHORT_LONG:
        mean, low, high = _summarise(np.asarray(getattr(r, col)), interval, nuts)
        out[col] = mean
        if nuts and col in _WITH_INTERVAL:
            out[f"{col}_low"] = low
            out[f"{col}_high"] = high
    df = pd.DataFrame(out)
    if by == "channel":
        df = df[df["geo"] == "total"].reset_index(drop=True)
    df.attrs.update({"horizon": _horizon(fit, horizon), "window": (m.dates[lo], m.dates[hi]), "interval": interval})
    return df


def response_curves(
    fit: PanelFit,
    by: str = "geo",
    channels: Sequence[str] | None = None,
    multipliers: Sequence[float] | None = None,
    horizon: int | None = None,
    value_per_outcome: float | None = None,
    interval: float = 0.9,
    max_draws: int = 100,
    threads: int = 0,
) -> pd.DataFrame:
    """See :meth:`trustmix.mmm.PanelFit.response_curves`."""
    _check_by(by)
    m = fit.model
    chans = list(m.channel_names if channels is None else channels)
    if not chans:
        raise ValueError("channels must name at least one of the model's channels")
    for c in chans:
        if c not in m.channel_names:
            raise ValueError(f"unknown channel {c!r}; the model's channels are {', '.join(m.channel_names)}")
    ks = np.round(np.linspace(0.0, 2.0, 21), 10) if multipliers is None else np.asarray(multipliers, dtype=float)
    if ks.ndim != 1 or ks.size == 0 or not np.isfinite(ks).all() or (ks < 0).any():
        raise ValueError("multipliers must be a non-empty 1-d sequence of finite numbers >= 0")
    idx = [m.channel_names.index(c) for c in chans]
    draws = fit.draws(max_draws)
    x = np.asarray(
        _core.mmm.panel_response_curves(
            m._core,
            np.ascontiguousarray(draws),
            idx,
            ks,
            horizon=_horizon(fit, horizon),
            outcome_scale=float(m._scales.y_scale),
            population=m.population,
            threads=int(threads),
        )
    )
    nuts = fit.posterior is not None
    mean, low, high = _summarise(x, interval, nuts)
    G, K, Q = len(m.geos), len(ks), len(idx)
    factor = _share_factor(fit, draws)[idx]  # expected geo spend under an uncertain share
    spend_geo = np.array([m.spend_by_geo[c].sum(axis=0) for c in idx], dtype=float) * factor  # Q x G over the data
    spend = np.concatenate([spend_geo, spend_geo.sum(axis=1, keepdims=True)], axis=1)  # Q x (G + 1)
    out: dict[str, Any] = {
        "channel": np.repeat(np.array(chans, dtype=object), K * (G + 1)),
        "geo": np.tile(np.array([*m.geos, "total"], dtype=object), Q * K),
        "multiplier": np.tile(np.repeat(ks, G + 1), Q),
        "spend": (spend[:, None, :] * ks[None, :, None]).reshape(-1),
        "incremental": mean,
    }
    if nuts:
        out["incremental_low"] = low
        out["incremental_high"] = high
    v = _value(fit, value_per_outcome)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["roi"] = np.where(out["spend"] > 0, (mean * v - out["spend"]) / out["spend"], np.nan)
    df = pd.DataFrame(out)
    if by == "channel":
        df = df[df["geo"] == "total"].reset_index(drop=True)
    return df


def plot_response_curves(
    fit: PanelFit, channels: Sequence[str] | None = None, columns: int = 4, total: bool = True, **curve_args: Any
) -> Any:
    """Small multiples of the response curves: one panel per geo (and the rolled-up
    ``total`` last), incremental outcome against spend, a line per channel with its
    interval band (NUTS), a dot at the historical spend (multiplier 1)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import EngFormatter, MaxNLocator

    d = response_curves(fit, by="geo", channels=channels, **curve_args)
    panels = [*fit.model.geos, "total"] if total else list(fit.model.geos)
    cols = min(columns, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False)
    chans = list(dict.fromkeys(d["channel"]))
    for i, g in enumerate(panels):
        ax = axes[i // cols][i % cols]
        for j, c in enumerate(chans):
            part = d[(d["geo"] == g) & (d["channel"] == c)]
            ax.plot(part["spend"], part["incremental"], color=f"C{j}", lw=1.2, label=c)
            if "incremental_low" in part:
                ax.fill_between(
                    part["spend"], part["incremental_low"], part["incremental_high"], color=f"C{j}", alpha=0.2
                )
            at = part[np.isclose(part["multiplier"], 1.0)]
            ax.plot(at["spend"], at["incremental"], "o", color=f"C{j}", ms=3)
        ax.set_title(str(g), fontsize=9)
        ax.tick_params(labelsize=7)
        # spend runs to 1e5..1e7 on narrow panels: few ticks, engineering labels (250k, 1.5M),
        # no offset text (default six-digit labels overlapped, and "1e6" hid the scale)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    for j in range(len(panels), rows * cols):
        axes[j // cols][j % cols].set_visible(False)
    axes[0][0].legend(fontsize=7)
    fig.supxlabel("spend")
    fig.supylabel("incremental outcome")
    fig.tight_layout()
    return fig


def plot_geo_heat(fit: PanelFit, metric: str = "roi_total", ax: Any = None, **short_long_args: Any) -> Any:
    """A map-free heat layout: ``metric`` (a column of :meth:`PanelFit.short_long`, default
    ``roi_total``) per geo (rows) and channel (columns), each cell annotated with its value,
    the rolled-up ``total`` as the last row."""
    import matplotlib.pyplot as plt

    if metric in ("roi_short", "roi_total", "marginal_roi") and math.isnan(
        _value(fit, short_long_args.get("value_per_outcome"))
    ):
        raise ValueError(
            f"plotting {metric!r} needs the value per outcome (PanelMMM(..., value_per_outcome=...) or "
            "value_per_outcome=...); without it, plot metric='cost_per_incremental' or 'incremental_total'"
        )
    d = short_long(fit, by="geo", **short_long_args)
    if metric not in d.columns or metric in ("channel", "geo", "role"):
        raise ValueError(f"metric must be a numeric column of short_long(), got {metric!r}")
    rows = [*fit.model.geos, "total"]
    table = d.pivot(index="geo", columns="channel", values=metric).reindex(index=rows, columns=fit.model.channel_names)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.3 * table.shape[1] + 2.5, 0.35 * table.shape[0] + 1.5))
    values = table.to_numpy(dtype=float)
    im = ax.imshow(values, aspect="auto", cmap="viridis")
    ax.set_xticks(range(table.shape[1]), list(table.columns), rotation=45, ha="right")
    ax.set_yticks(range(table.shape[0]), list(table.index))
    ax.axhline(len(rows) - 1.5, color="white", lw=2)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if np.isfinite(values[i, j]):
                ax.text(j, i, f"{values[i, j]:.3g}", ha="center", va="center", fontsize=7, color="white")
    ax.figure.colorbar(im, ax=ax, label=metric)
    return ax
