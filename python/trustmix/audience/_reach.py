"""Reach and frequency: curves, frequency distributions, caps and duplication (C++ core)."""

from __future__ import annotations

import html as _html
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core

__all__ = ["ReachCurve", "reach_curve", "fit_reach_curves", "duplication", "overlap_model", "read_meridian_rf"]

_KINDS = ("nbd", "goerg", "beta_binomial")


class ReachCurve:
    """A reach curve: people reached at least once as a function of exposures.

    kinds (rho N = the reachable population, capped by ``population``):

    - ``nbd``: gamma-Poisson exposures; reach = rho N (1 - (1 + m/k)^-k), m = I / (rho N).
    - ``goerg``: the one-point curve (Goerg 2014): shape 1, reach = kappa I / (kappa + I).
    - ``beta_binomial``: exposures are insertions n; reach = rho N (1 - B(a, b+n) / B(a, b)).

    Units: people; impressions (nbd, goerg) or insertions (beta_binomial).
    """

    def __init__(self, core: Any) -> None:
        self._c = core

    kind = property(lambda self: self._c.kind)
    population = property(lambda self: self._c.population)
    reachable = property(lambda self: self._c.reachable, doc="rho: share of the population the channel can reach")
    shape = property(lambda self: self._c.shape, doc="nbd k (heterogeneity; small = concentrated), beta-binomial a")
    shape2 = property(lambda self: self._c.shape2, doc="beta-binomial b")

    def reach(self, at: Any, cap: int | None = None) -> Any:
        """People reached at least once at ``at`` exposures (scalar or array); with
        ``cap`` (nbd, goerg) nobody sees more than ``cap`` impressions, so the same
        impressions reach more people."""
        x = np.atleast_1d(np.asarray(at, dtype=float))
        r = self._c.reach(x) if cap is None else self._c.reach_capped(x, int(cap))
        return float(r[0]) if np.ndim(at) == 0 else r

    def average_frequency(self, at: Any) -> Any:
        """Impressions per person reached: impressions / reach."""
        x = np.atleast_1d(np.asarray(at, dtype=float))
        f = self._c.impressions(x) / self._c.reach(x)
        return float(f[0]) if np.ndim(at) == 0 else f

    def frequency(self, at: float, max_frequency: int = 10, cap: int | None = None) -> pd.DataFrame:
        """The frequency distribution at ``at`` exposures: columns frequency, share (of the
        population exposed exactly that often; the last row is ``max_frequency`` or more,
        or exactly ``cap`` under a cap), people, and at_least (share exposed >= f times)."""
        p = (
            self._c.frequency(float(at), int(max_frequency))
            if cap is None
            else self._c.frequency_capped(float(at), int(cap))
        )
        f = np.arange(len(p))
        at_least = p[::-1].cumsum()[::-1]
        return pd.DataFrame({"frequency": f, "share": p, "people": p * self.population, "at_least": at_least})

    def plot(self, max_exposures: float | None = None, ax: Any = None) -> Any:
        """Reach against exposures, with the reachable-population ceiling."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        top = max_exposures or (20.0 if self.kind == "beta_binomial" else 5 * self.reachable * self.population)
        x = np.linspace(0, top, 200)
        ax.plot(x, self._c.reach(x), label=f"{self.kind} reach")
        ax.axhline(self.reachable * self.population, ls="--", color="grey", label="reachable population")
        ax.set_xlabel("insertions" if self.kind == "beta_binomial" else "impressions")
        ax.set_ylabel("people reached")
        ax.legend()
        return ax

    def summary(self) -> pd.DataFrame:
        return pd.Series(
            {
                "kind": self.kind,
                "population": self.population,
                "reachable": self.reachable,
                "shape": self.shape,
                "shape2": self.shape2,
            },
            name="value",
        ).to_frame()

    def __repr__(self) -> str:
        extra = f", b={self.shape2:.4g}" if self.kind == "beta_binomial" else ""
        return (
            f"ReachCurve({self.kind}, population={self.population:,.0f}, reachable={self.reachable:.4g}, "
            f"shape={self.shape:.4g}{extra})"
        )

    def _repr_html_(self) -> str:
        return f"<b>{_html.escape(repr(self))}</b>"

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "core": self._c.__getstate__()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version") != 1:
            raise ValueError(f"unsupported ReachCurve pickle version {state.get('version')!r}")
        c = _core.audience.ReachCurve.__new__(_core.audience.ReachCurve)
        c.__setstate__(state["core"])
        self._c = c

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_curve, (self._c.__getstate__(),))


def _rebuild_curve(core_state: tuple[Any, ...]) -> ReachCurve:
    """The curve of a pickled core state: (2, {fields}) or the flat (1, kind, population,
    reachable, shape, shape2) of earlier versions (the core reads both)."""
    c = _core.audience.ReachCurve.__new__(_core.audience.ReachCurve)
    c.__setstate__(core_state)
    return ReachCurve(c)


def reach_curve(
    impressions: Any = None,
    population: float | None = None,
    kind: str = "nbd",
    *,
    reach: Any = None,
    reachable: float | None = 1.0,
    shape: float | None = None,
    shape2: float | None = None,
) -> ReachCurve:
    """A reach curve, fitted to observed points or from known parameters.

    ``reach_curve(impressions, population, kind, reach=observed)`` fits the curve by least
    squares to (impressions, reach) points (for ``beta_binomial``, ``impressions`` are
    insertions); ``goerg`` needs a single point (impressions > reach). ``reachable``
    fixes rho (default 1: the whole population can be reached); ``reachable=None``
    estimates it. ``reach_curve(population=..., kind="nbd", shape=k)`` builds one from
    parameters. Then ``.reach(at=2e6)``, ``.frequency(at=2e6)``, ``.reach(at, cap=3)``.
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    if population is None:
        raise ValueError("population (people) is required")
    if reach is None:
        if shape is None and kind != "goerg":
            raise ValueError("give observed reach to fit the curve (reach=...), or its parameters (shape=...)")
        rho = 1.0 if reachable is None else float(reachable)
        return ReachCurve(
            _core.audience.ReachCurve(
                kind,
                float(population),
                rho,
                1.0 if shape is None else float(shape),
                1.0 if shape2 is None else float(shape2),
            )
        )
    x = np.atleast_1d(np.asarray(impressions, dtype=float))
    r = np.atleast_1d(np.asarray(reach, dtype=float))
    rho = np.nan if reachable is None else float(reachable)
    curve = ReachCurve(_core.audience.fit_reach_curve(kind, x, r, float(population), reachable=rho))
    if kind == "goerg" and len(x) == 1 and x[0] > r[0]:
        kappa = r[0] * x[0] / (x[0] - r[0])
        if kappa > float(population):
            from trustmix.audience._latent import AudienceWarning

            warnings.warn(
                f"goerg: the point (impressions {x[0]:,.0f}, reach {r[0]:,.0f}) implies a maximum reach of "
                f"{kappa:,.0f} people, above the population {float(population):,.0f}; the curve is capped at the "
                "population and passes below the point",
                AudienceWarning,
                stacklevel=2,
            )
    return curve


def fit_reach_curves(
    data: pd.DataFrame,
    by: str | list[str],
    *,
    exposures: str = "impressions",
    reach: str = "reach",
    population: str = "population",
    kind: str = "nbd",
    reachable: float | None = 1.0,
    threads: int = 0,
) -> pd.DataFrame:
    """Fits one curve per group (e.g. channel x persona) in parallel in C++.

    ``data`` is long: one row per observed point, with the group column(s) ``by``,
    ``exposures``, ``reach`` and ``population``. Every group must have the same number of
    points. Returns one row per group: kind, population, reachable, shape, shape2, curve
    (a :class:`ReachCurve`).
    """
    keys = [by] if isinstance(by, str) else list(by)
    for c in [*keys, exposures, reach, population]:
        if c not in data.columns:
            raise ValueError(f"column {c!r} is not in data (columns: {list(data.columns)})")
    groups = data.groupby(keys, sort=True)
    sizes = groups.size()
    if sizes.nunique() != 1:
        raise ValueError(f"every group needs the same number of points; sizes range {sizes.min()}..{sizes.max()}")
    t = int(sizes.iloc[0])
    ordered = data.sort_values(keys, kind="stable")
    x = ordered[exposures].to_numpy(dtype=float).reshape(-1, t)
    r = ordered[reach].to_numpy(dtype=float).reshape(-1, t)
    pop = groups[population].first().to_numpy(dtype=float)
    rho = np.nan if reachable is None else float(reachable)
    curves = _core.audience.fit_reach_curves(kind, x, r, pop, reachable=rho, threads=int(threads))
    out = sizes.index.to_frame(index=False)
    out["kind"] = kind
    out["population"] = pop
    out["reachable"] = [c.reachable for c in curves]
    out["shape"] = [c.shape for c in curves]
    out["shape2"] = [c.shape2 for c in curves]
    out["curve"] = pd.Series([ReachCurve(c) for c in curves], index=out.index, dtype=object)
    return out


def duplication(reach: pd.DataFrame | pd.Series | Mapping[str, float], shares: Any = None) -> dict[str, Any]:
    """Reach of channels combined, with duplication.

    - ``reach`` a Series/mapping channel -> share reached: Sainsbury's independence,
      total = 1 - prod_c (1 - r_c).
    - ``reach`` a DataFrame personas x channels (shares of each persona reached) with
      ``shares`` (persona -> share of the population): the latent-class overlap model,
      independence within a persona: total = sum_k s_k (1 - prod_c (1 - r_kc)); pairwise
      duplication(c, d) = sum_k s_k r_kc r_kd.

    Returns a dict: total (share reached by at least one channel), pairwise (DataFrame
    channel x channel, diagonal = each channel's reach), by_persona (Series) when personas
    are given.
    """
    if isinstance(reach, (pd.Series, Mapping)):
        r = pd.Series(reach, dtype=float)
        frame = r.to_frame().T
        s = np.ones(1)
    else:
        frame = reach.astype(float)
        if shares is None:
            raise ValueError("give shares (persona -> share of the population) with a personas x channels reach table")
        s = (
            pd.Series(shares, dtype=float).reindex(frame.index).to_numpy()
            if isinstance(shares, (pd.Series, Mapping))
            else np.asarray(shares, dtype=float)
        )
        if np.isnan(s).any():
            raise ValueError("shares must give every persona of the reach table")
    d = _core.audience.class_duplication(s, frame.to_numpy())
    out = {
        "total": float(d.total),
        "pairwise": pd.DataFrame(d.pairwise, index=frame.columns, columns=frame.columns),
    }
    if not isinstance(reach, (pd.Series, Mapping)):
        out["by_persona"] = pd.Series(d.by_class, index=frame.index, name="reach")
    return out


def overlap_model(
    exposures: pd.DataFrame,
    channels: list[str],
    classes: Any = range(1, 4),
    starts: int = 10,
    *,
    weights: str | None = None,
    seed: int = 0,
    criterion: str = "bic",
) -> dict[str, Any]:
    """The latent-class overlap model from respondent-level exposure data.

    ``exposures`` has one row per respondent and a 0/1 column per channel (1 = exposed,
    NaN = unknown). Latent classes are fitted to those columns (chosen by ``criterion``);
    within a class channels are independent, so reach of a channel combination is
    sum_k s_k (1 - prod_c (1 - r_kc)) with r_kc = P(exposed to c | class k).

    Returns a dict: ``model`` (the chosen :class:`LatentClassResult`), ``reach`` (persona x
    channel exposure probabilities), ``total`` and ``pairwise`` (from :func:`duplication`),
    ``independence`` (Sainsbury's total on the channels' overall reach) and ``observed``
    (the weighted share of respondents exposed to at least one channel, NaN answers
    counted as not exposed).
    """
    from trustmix.audience._latent import latent_classes

    frame = exposures[channels].apply(pd.to_numeric)
    bad = ~frame.isin([0, 1]) & frame.notna()
    if bad.to_numpy().any():
        row, col = np.argwhere(bad.to_numpy())[0]
        raise ValueError(f"row {row}, channel {channels[col]!r}: exposure must be 0 or 1, got {frame.iat[row, col]!r}")
    data = frame.astype("Float64").astype(object).where(frame.notna(), None)
    if weights is not None:
        data[weights] = exposures[weights].to_numpy()
    sel = latent_classes(
        data,
        items=channels,
        classes=classes,
        starts=starts,
        weights=weights,
        seed=seed,
        criterion=criterion,
        categories={c: [0.0, 1.0] for c in channels},
    )
    best = sel.best
    prof = best.profiles()
    reach = pd.DataFrame(
        {c: prof.loc[(c, 1.0), best.names].to_numpy(dtype=float) for c in channels},
        index=pd.Index(best.names, name="persona"),
    )
    shares = best.class_shares.to_numpy()
    d = duplication(reach, shares=shares)
    w = np.ones(len(frame)) if weights is None else exposures[weights].to_numpy(dtype=float)
    any_exposure = (frame.fillna(0).to_numpy() > 0).any(axis=1)
    return {
        "model": best,
        "reach": reach,
        "total": d["total"],
        "pairwise": d["pairwise"],
        "independence": duplication(pd.Series(shares @ reach.to_numpy(), index=channels))["total"],
        "observed": float(w @ any_exposure / w.sum()),
    }


def read_meridian_rf(path: str | Path) -> pd.DataFrame:
    """Reads reach and frequency in Google Meridian's CSV layout (columns
    ``<channel>_reach`` and ``<channel>_frequency``, optional ``geo`` and
    ``population``; e.g. Meridian's simulated ``geo_media_rf.csv`` and
    ``national_media_rf.csv``, Apache-2.0).

    Returns a long DataFrame: geo ("national" without a geo column), time, channel,
    reach (people), frequency (average per person reached), impressions = reach x
    frequency, population (NaN without a population column).
    """
    df = pd.read_csv(path)
    if "time" not in df.columns:
        raise ValueError(f"{path}: no 'time' column (Meridian's layout)")
    channels = sorted(c[: -len("_reach")] for c in df.columns if c.endswith("_reach"))
    channels = [c for c in channels if f"{c}_frequency" in df.columns]
    if not channels:
        raise ValueError(f"{path}: no <channel>_reach / <channel>_frequency column pairs")
    geo = df["geo"] if "geo" in df.columns else pd.Series("national", index=df.index)
    pop = df["population"] if "population" in df.columns else pd.Series(np.nan, index=df.index)
    parts = []
    for ch in channels:
        reach = df[f"{ch}_reach"].astype(float)
        freq = df[f"{ch}_frequency"].astype(float)
        parts.append(
            pd.DataFrame(
                {
                    "geo": geo.to_numpy(),
                    "time": pd.to_datetime(df["time"]).to_numpy(),
                    "channel": ch,
                    "reach": reach.to_numpy(),
                    "frequency": freq.to_numpy(),
                    "impressions": (reach * freq).to_numpy(),
                    "population": pop.to_numpy(dtype=float),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
