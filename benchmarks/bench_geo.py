"""The geo panel model (issue 20) against the national model, in one run.

A panel of ``--geos`` geos x ``--periods`` weeks x ``--channels`` channels drawn from the
panel model itself (two national PR channels feeding a national trust stock, the others
geo conversion channels with log-normal geo effects, population-scaled), then:

``gradient``
    Log density + gradient evaluations per second of the panel model and of the national
    model (``TrustMMM``) on the same data summed over geos.

``nuts``
    NUTS ``--chains`` x (``--tune`` + ``--draws``) on both (default settings, MAP start):
    wall time, the panel / national ratio (issue 20's goal: within 10x), divergences, max
    R-hat, min bulk ESS and ESS per second.

Usage: ``python benchmarks/bench_geo.py [--parts gradient nuts] [--geos 50] ...``.
Timings on a shared machine are noisy; say so when reporting.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

import trustmix as tm


def _adstock_logistic(x: np.ndarray, alpha: float, lam: float, max_lag: int) -> np.ndarray:
    w = alpha ** np.arange(max_lag + 1)
    w /= w.sum()
    a = np.zeros_like(x)
    for lag in range(max_lag + 1):
        a[lag:] += w[lag] * x[: len(x) - lag]
    return np.tanh(0.5 * lam * a)


def make_panel(geos: int, periods: int, channels: int, seed: int = 1, max_lag: int = 8) -> pd.DataFrame:
    """Long frame: geo, week, sales, pop, pr0, pr1 (national, the same on every row), ch2.. (geo)."""
    rng = np.random.default_rng(seed)
    pop = np.exp(rng.normal(0.0, 0.8, geos)) * 1e5
    n_geo = channels - 2
    x = rng.gamma(2.0, 0.5, size=(n_geo, periods, geos)) * (rng.random((n_geo, periods, geos)) > 0.2)
    pr = np.abs(np.sin(np.arange(periods)[None, :] / (6.0 + 3.0 * np.arange(2)[:, None]))) + 0.1
    beta = 0.3 * np.exp(0.3 * rng.normal(size=(n_geo, geos)))
    alpha = rng.uniform(0.2, 0.6, n_geo)
    lam = rng.uniform(0.8, 1.5, n_geo)
    stock = np.zeros(periods)
    u = 0.5 * (_adstock_logistic(pr[0], 0.5, 1.0, max_lag) + _adstock_logistic(pr[1], 0.5, 1.0, max_lag))
    s = 0.0
    for t in range(periods):
        s = 0.9 * s + 0.1 * u[t]
        stock[t] = s
    mu = 1.0 + 0.2 * rng.normal(size=geos)[None, :] + 0.3 * stock[:, None]
    for c in range(n_geo):
        mu = mu + beta[c][None, :] * (1.0 + 0.5 * stock[:, None]) * _adstock_logistic(x[c], alpha[c], lam[c], max_lag)
    y = mu + 0.05 * rng.normal(size=(periods, geos))
    dates = pd.date_range("2021-01-04", periods=periods, freq="7D")
    df = pd.DataFrame(
        {
            "geo": np.tile([f"g{g}" for g in range(geos)], periods),
            "week": np.repeat(dates, geos),
            "sales": (y * pop).reshape(-1),
            "pop": np.tile(pop, periods),
        }
    )
    for k in range(2):
        df[f"pr{k}"] = np.repeat(pr[k] * pop.sum(), geos)
    for c in range(n_geo):
        df[f"ch{c + 2}"] = (x[c] * pop).reshape(-1)
    return df


def models(
    df: pd.DataFrame, channels: int, pooling: dict[str, str] | None = None, time_effects: bool = False
) -> tuple[Any, Any]:
    roles = {"pr0": "trust", "pr1": "trust", **{f"ch{c}": "conversion" for c in range(2, channels)}}
    panel = tm.mmm.PanelMMM(
        df,
        geo="geo",
        date="week",
        outcome="sales",
        population="pop",
        channels=roles,
        national_channels=["pr0", "pr1"],
        trust="national",
        max_lag=8,
        pooling=pooling,
        # Meridian's geo default: a period effect shared by the geos instead of trend and seasonality
        **({"time_effects": True, "trend": False, "seasonality": 0} if time_effects else {}),
    )
    nat = (
        df.groupby("week", sort=True)
        .agg({c: "first" if c.startswith("pr") else "sum" for c in ["sales", *roles]})
        .reset_index()
    )
    # iid residuals: the panel model's (AR(1), the national default, is not built for panels)
    national = tm.TrustMMM(nat, date="week", outcome="sales", channels=roles, max_lag=8, noise="iid")
    return panel, national


def bench_gradient(panel: Any, national: Any, evals: int) -> None:
    from trustmix import _core

    for name, m in (("panel", panel), ("national", national)):
        z = np.asarray(m._core.initial_point())
        target = _core.mmm.PanelTarget(m._core) if name == "panel" else _core.mmm.TrustTarget(m._core)
        target.log_density_gradient(z)
        t = time.perf_counter()
        for _ in range(evals):
            target.log_density_gradient(z)
        dt = time.perf_counter() - t
        print(
            f"{name:9s} dimension {m._core.dimension:5d}  {evals / dt:10.0f} log density + gradient / s "
            f"(through Python)"
        )


def bench_nuts(panel: Any, national: Any, chains: int, draws: int, tune: int) -> None:
    rows = []
    for name, m in (("panel", panel), ("national", national)):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = m.fit("nuts", chains=chains, draws=draws, tune=tune, seed=1, progress=False)
        wall = time.perf_counter() - t
        post = fit.posterior
        s = post.summary()
        leap = float(np.mean(post.sample_stats["n_steps"]))
        rows.append(
            {
                "model": name,
                "wall_s": wall,
                "divergences": post.divergences,
                "max_rhat": float(s["r_hat"].max()),
                "min_ess_bulk": float(s["ess_bulk"].min()),
                "min_ess_per_s": float(s["ess_bulk"].min()) / wall,
                "leapfrog_per_iter": leap,
            }
        )
        print(rows[-1], flush=True)
    out = pd.DataFrame(rows).set_index("model")
    print(out.to_string(float_format=lambda v: f"{v:.3g}"))
    print(f"panel / national wall time: {out.loc['panel', 'wall_s'] / out.loc['national', 'wall_s']:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parts", nargs="+", default=["gradient", "nuts"], choices=["gradient", "nuts"])
    ap.add_argument("--geos", type=int, default=50)
    ap.add_argument("--periods", type=int, default=156)
    ap.add_argument("--channels", type=int, default=8)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--evals", type=int, default=2000)
    ap.add_argument(
        "--pooling",
        nargs="*",
        default=[],
        metavar="GROUP=KIND",
        help="PanelMMM pooling overrides, e.g. intercept=partial_centred trend=partial_centred",
    )
    ap.add_argument("--time-effects", action="store_true", help="PanelMMM(time_effects=True): a period effect each")
    a = ap.parse_args()
    df = make_panel(a.geos, a.periods, a.channels)
    panel, national = models(df, a.channels, dict(p.split("=", 1) for p in a.pooling) or None, a.time_effects)
    print(f"{a.geos} geos x {a.periods} weeks x {a.channels} channels; panel parameters {panel._core.dimension}")
    if "gradient" in a.parts:
        bench_gradient(panel, national, a.evals)
    if "nuts" in a.parts:
        bench_nuts(panel, national, a.chains, a.draws, a.tune)


if __name__ == "__main__":
    main()
