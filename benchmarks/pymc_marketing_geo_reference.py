"""PyMC-Marketing's posterior ROI per channel on Meridian's simulated geo example: the
PyMC-Marketing reference side of ``bench_geo_peers.py`` (issue 20).

Fits ``pymc_marketing.mmm.multidimensional.MMM`` with ``dims=("geo",)`` on
``meridian_geo_media.csv`` (20 geos x 156 weeks), specified through the library's own API
(``GeometricAdstock``, ``LogisticSaturation``, ``Scaling``, ``model_config`` priors built
with ``pymc_extras.prior.Prior``, ``LinearTrendEffect``) to be trustmix's ``tm.mmm.PanelMMM``
with the arguments of ``tm.mmm.read_meridian_panel`` and ``--roi-prior none``, term for term:

- Data: the four ``<C>_impression`` columns are the channels (trustmix's media; spend is used
  only for ROI). Conversions and impressions are divided by the geo's population before the
  fit (trustmix's population scaling); the two controls are standardised over the panel
  (mean and population sd over all geos and weeks, as trustmix's ``build_panel``).
- Scaling: ``Scaling`` with method ``"mean"`` over date and geo for target and channels (the
  library's default is ``"max"``): the per-capita target over its panel mean, trustmix's
  ``y_scale``. trustmix divides a channel by the mean of its *non-zero* per-capita values,
  PyMC-Marketing by the mean of all of them (r_c = mean / non-zero mean = 0.97-0.99 here),
  so PyMC-Marketing's input is trustmix's / r_c and its lam = r_c x trustmix's lam: the lam
  prior is Gamma(3, rate 1 / r_c), trustmix's Gamma(3, rate 1) moved onto that scale.
- mu[g, t] = intercept_g + trend_g t + seasonality(t) + controls + sum_c beta[g, c]
  logistic(lam_c, adstock(x[g, c], alpha_c)), Normal likelihood with one sigma:
  intercept_g = m + tau eta_g, m ~ Normal(0, 2), tau ~ HalfNormal(0.5) (non-centred);
  trend: ``LinearTrend(n_changepoints=1, dims="geo")`` is delta_g t / (T - 1), the same
  hierarchy as the intercept with its sds x (T - 1) / T (trustmix's trend column is t / T);
  seasonality ``yearly_seasonality=2``, Normal(0, 2) shared by the geos; controls Normal(0, 2)
  shared by the geos; ``GeometricAdstock(l_max=max_lag + 1)`` (lags 0..max_lag, normalised,
  as trustmix's and Meridian's ``max_lag``), alpha_c ~ Beta(1, 3) shared by the geos;
  ``LogisticSaturation`` (1 - exp(-lam a)) / (1 + exp(-lam a)) = tanh(lam a / 2), lam_c
  shared by the geos; beta[g, c] = mu_c exp(tau_c eta[g, c]), mu_c ~ HalfNormal(1),
  tau_c ~ HalfNormal(0.5), eta ~ Normal(0, 1) (a non-centred Normal on ln beta with
  ``transform="exp"``, its location the log of a HalfNormal: trustmix's log-normal geo
  effects around the channel's median); sigma ~ HalfNormal(1), one for all geos.
- Where it still differs: the Fourier terms use the day of the year (the library's
  ``YearlyFourier``) where trustmix uses the week index t / (365.25 / 7); the same
  frequencies, a phase rotation (the isotropic Normal(0, 2) prior is rotation-invariant)
  plus a jitter of under a day at the turns of the year. The samplers differ (PyMC's NUTS
  or nutpie against trustmix's NUTS), and so do their initialisation (PyMC: jitter around
  the prior's centre; trustmix: jitter around the MAP mode), adaptation and default target
  acceptance (0.8 against trustmix's 0.9; ``--target-accept``).
- Each choice above is made through the API; PyMC-Marketing 0.19.2's defaults for
  ``dims=("geo",)`` differ: max scaling, alpha, lam and beta (HalfNormal(2)) independent per
  geo and channel, intercept Normal(0, 2), controls Normal(0, 2), Fourier Laplace(0, 1) and
  sigma HalfNormal(2) each independent per geo, no trend.

ROI per draw = (sum over geos and weeks of ``channel_contribution_original_scale`` x the
population, i.e. the channel's conversions within the data) x value / the channel's spend,
value = the conversion-weighted mean revenue per conversion (trustmix's value_per_outcome,
so both sides use the same single value; ``channels_row_value`` repeats it with each row's
own revenue per conversion, Meridian's definition). Prints one JSON line in the format of
``meridian_rf_reference.py``'s ``sample_and_report``: per channel the mean, sd and bulk ESS of
the ROI draws, the wall and CPU time of ``MMM.fit`` (sampling and the deterministics after
it; CPU = getrusage of this process and its waited-for children, user + sys, so the
sampler's worker processes and threads count), the divergences, max R-hat and min bulk ESS
of the free parameters (and which), the 1-minute load average before and after the fit (the
machine may be shared) and the settings.

    python benchmarks/pymc_marketing_geo_reference.py [CSV] --chains 2 --tune 1000 --draws 500 \\
        [--sampler pymc|nutpie] [--target-accept 0.9] > out.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "meridian_geo_media.csv"


def reference_arguments() -> argparse.Namespace:
    """The command line, as meridian_rf_reference.py's with PyMC's tune / draws."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", nargs="?", type=Path, default=DATA)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--max-lag", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sampler", choices=["pymc", "nutpie"], default="pymc")
    ap.add_argument(
        "--target-accept",
        type=float,
        default=None,
        help="NUTS's target acceptance (default: the sampler's own, 0.8; trustmix's PanelMMM.fit uses 0.9)",
    )
    return ap.parse_args()


def cpu_seconds() -> float:
    """User + system CPU seconds of this process (all threads) and its waited-for children."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def panel_frame(csv: Path) -> tuple[pd.DataFrame, list[str], list[str], float]:
    """The CSV with per-capita conversions and impressions (``*_pc`` columns), standardised
    controls (``*_std``) and a datetime ``time``; the channel and control names; the
    conversion-weighted mean revenue per conversion."""
    df = pd.read_csv(csv)
    df["time"] = pd.to_datetime(df["time"])
    df = df.sort_values(["geo", "time"]).reset_index(drop=True)
    media = [c[: -len("_impression")] for c in df.columns if c.endswith("_impression")]
    controls = [c for c in df.columns if c.endswith("_control")]
    df["conversions_pc"] = df["conversions"] / df["population"]
    for c in media:
        df[f"{c}_pc"] = df[f"{c}_impression"] / df["population"]
    for c in controls:
        df[f"{c}_std"] = (df[c] - df[c].mean()) / df[c].std(ddof=0)
    value = float(np.average(df["revenue_per_conversion"], weights=df["conversions"]))
    return df, media, controls, value


def build_mmm(df: pd.DataFrame, media: list[str], controls: list[str], max_lag: int) -> Any:
    """PyMC-Marketing's multidimensional MMM matched to trustmix's PanelMMM (module docstring)."""
    import xarray as xr
    from pymc_extras.prior import Prior
    from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation
    from pymc_marketing.mmm.additive_effect import LinearTrendEffect
    from pymc_marketing.mmm.linear_trend import LinearTrend
    from pymc_marketing.mmm.multidimensional import MMM
    from pymc_marketing.mmm.scaling import Scaling, VariableScaling

    pc = df[[f"{c}_pc" for c in media]].to_numpy()
    nonzero_mean = np.array([col[col > 0].mean() for col in pc.T])
    r = pc.mean(axis=0) / nonzero_mean  # PyMC-Marketing's channel scale / trustmix's
    T = df["time"].nunique()
    shrink = (T - 1) / T  # the trend's t / (T - 1) against trustmix's t / T

    adstock = GeometricAdstock(l_max=max_lag + 1, priors={"alpha": Prior("Beta", alpha=1, beta=3, dims="channel")})
    saturation = LogisticSaturation(
        priors={
            "lam": Prior("Gamma", alpha=3, beta=xr.DataArray(1.0 / r, dims="channel"), dims="channel"),
            "beta": Prior(
                "Normal",
                mu=Prior("HalfNormal", sigma=1, dims="channel", transform="log"),
                sigma=Prior("HalfNormal", sigma=0.5, dims="channel"),
                dims=("geo", "channel"),
                centered=False,
                transform="exp",
            ),
        }
    )
    model_config = {
        "intercept": Prior(
            "Normal",
            mu=Prior("Normal", mu=0, sigma=2),
            sigma=Prior("HalfNormal", sigma=0.5),
            dims="geo",
            centered=False,
        ),
        "gamma_control": Prior("Normal", mu=0, sigma=2, dims="control"),
        "gamma_fourier": Prior("Normal", mu=0, sigma=2, dims="fourier_mode"),
        "likelihood": Prior("Normal", sigma=Prior("HalfNormal", sigma=1), dims=("date", "geo")),
    }
    mmm = MMM(
        date_column="time",
        channel_columns=[f"{c}_pc" for c in media],
        target_column="conversions_pc",
        adstock=adstock,
        saturation=saturation,
        dims=("geo",),
        scaling=Scaling(
            target=VariableScaling(method="mean", dims=("geo",)),
            channel=VariableScaling(method="mean", dims=("geo",)),
        ),
        control_columns=[f"{c}_std" for c in controls],
        yearly_seasonality=2,
        model_config=model_config,
    )
    trend = LinearTrend(
        n_changepoints=1,
        dims="geo",
        priors={
            "delta": Prior(
                "Normal",
                mu=Prior("Normal", mu=0, sigma=2 * shrink, dims="changepoint"),
                sigma=Prior("HalfNormal", sigma=0.5 * shrink, dims="changepoint"),
                dims=("changepoint", "geo"),
                centered=False,
            )
        },
    )
    mmm.mu_effects.append(LinearTrendEffect(trend=trend, prefix="trend"))
    return mmm


def roi_draws(contribution: Any, weight: Any, spend: np.ndarray) -> np.ndarray:
    """(chains, draws, channels): sum over dates and geos of contribution x weight / spend."""
    total = (contribution * weight).sum(dim=("date", "geo")).transpose("chain", "draw", "channel")
    return np.asarray(total) / spend


def summarise(roi: np.ndarray, names: list[str]) -> dict[str, dict[str, float]]:
    import arviz as az

    out = {}
    for k, name in enumerate(names):
        x = roi[..., k]
        out[name] = {"mean": float(x.mean()), "sd": float(x.std(ddof=1)), "ess": float(az.ess(x))}
    return out


def main() -> None:
    a = reference_arguments()
    import arviz as az
    import pymc
    import pymc_marketing
    import xarray as xr

    df, media, controls, value = panel_frame(a.csv)
    X = df[["time", "geo", *[f"{c}_pc" for c in media], *[f"{c}_std" for c in controls]]]
    y = df["conversions_pc"]

    t0, c0 = time.perf_counter(), cpu_seconds()
    mmm = build_mmm(df, media, controls, a.max_lag)
    mmm.build_model(X, y)
    mmm.add_original_scale_contribution_variable(var=["channel_contribution"])
    build_wall, build_cpu = time.perf_counter() - t0, cpu_seconds() - c0

    kwargs: dict[str, Any] = {"chains": a.chains, "tune": a.tune, "draws": a.draws, "random_seed": a.seed}
    if a.target_accept is not None:
        kwargs["target_accept"] = a.target_accept
    if a.sampler == "nutpie":
        kwargs["nuts_sampler"] = "nutpie"
    else:
        kwargs["cores"] = a.chains
    load_before = os.getloadavg()[0]  # the machine is shared: how busy it was around the fit
    t0, c0 = time.perf_counter(), cpu_seconds()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = mmm.fit(X, y, progressbar=False, **kwargs)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0

    post = idata.posterior
    wide = df.set_index(["time", "geo"])
    population = xr.DataArray.from_series(wide["population"]).rename(time="date")
    revenue = xr.DataArray.from_series(wide["revenue_per_conversion"]).rename(time="date")
    channel = [f"{c}_pc" for c in media]
    spend = df[[f"{c}_spend" for c in media]].sum().to_numpy()
    contribution = post["channel_contribution_original_scale"].sel(channel=channel)  # per capita
    roi = roi_draws(contribution, population * value, spend)
    roi_row = roi_draws(contribution, population * revenue, spend)

    free = [rv.name for rv in mmm.model.free_RVs]
    summ = az.summary(idata, var_names=free, kind="diagnostics", round_to="none")
    div = idata.sample_stats.get("diverging")
    out: dict[str, Any] = {
        "library": f"pymc-marketing {pymc_marketing.__version__}, pymc {pymc.__version__}",
        "sampler": a.sampler,
        "wall_s": wall,
        "cpu_s": cpu,
        "build_wall_s": build_wall,
        "build_cpu_s": build_cpu,
        "chains": a.chains,
        "tune": a.tune,
        "draws": a.draws,
        "max_lag": a.max_lag,
        "seed": a.seed,
        "target_accept": a.target_accept if a.target_accept is not None else 0.8,
        "divergences": int(np.asarray(div).sum()) if div is not None else None,
        "max_rhat": float(summ["r_hat"].max()),
        "max_rhat_parameter": str(summ["r_hat"].idxmax()),
        "min_ess_bulk": float(summ["ess_bulk"].min()),
        "min_ess_bulk_parameter": str(summ["ess_bulk"].idxmin()),
        "loadavg_1min_before_after": [load_before, os.getloadavg()[0]],
        "value_per_conversion": value,
        "channels": summarise(roi, media),
        "channels_row_value": summarise(roi_row, media),
    }
    print(json.dumps(out))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
