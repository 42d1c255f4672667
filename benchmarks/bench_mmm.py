"""The trust-linked model (issue 6) against PyMC-Marketing, in one run.

Three parts (``--parts``, default all):

``gradient``
    The hot loop: log density + gradient evaluations per second and the MAP wall time on
    3 years of weekly data x 8 channels with a tracker, and the same adstock + saturation
    written in numpy (forward only, no gradient) for scale.

``peer``
    Reduction check and timing against PyMC-Marketing on a standard MMM data set (see
    :func:`make_standard_mmm`): trustmix's reduced model (``trust=False``, no seasonality,
    no trend, ``scaling="max"``, PyMC-Marketing's default priors) against PyMC-Marketing's
    ``multidimensional.MMM`` with ``GeometricAdstock(l_max=L + 1)`` (normalised weights,
    its default) and ``LogisticSaturation()``, its default priors and its default max
    scaling. Both run ``--chains`` x (``--tune`` + ``--draws``) with the same
    ``target_accept`` on the same data. Reported: wall time (trustmix: model build, MAP
    start and NUTS; PyMC-Marketing: model build, compilation and sampling), bulk ESS per
    second of wall time (min and median over the shared parameters, all ESS computed by
    ArviZ), max R-hat, divergences, leapfrog steps per iteration, and every shared
    parameter's posterior mean and sd side by side on the same (scaled) units with the
    difference in Monte Carlo standard errors
    z = (mean_a - mean_b) / sqrt(sd_a^2 / ess_a + sd_b^2 / ess_b). |z| > 3 is flagged.

``analyses`` (not in the default run)
    The fit's analyses in C++ (``roi``, ``response_curves``, ``decompose``, ``summary``
    over a matrix of draws) against the per-draw Python path they replaced (issue 13;
    kept in this script as ``legacy_*`` for the comparison), on one NUTS fit of the
    full model (``--chains`` x ``--draws`` draws): wall time of each, the speed-up and
    the largest relative difference of the numbers.

``full``
    The full trust-linked model on 3 years weekly x 8 channels (4 trust, 4 conversion)
    with a tracker and a crisis, on data simulated from the model itself
    (``--full-data model``, default, whose tracker is an index and so gets the linear
    form; ``share`` the bounded stock with a survey share, which gets the bounded default;
    ``linear`` gives an outcome with no trust effect, on which the trust parameters are
    only weakly identified): NUTS 4 x (1000 + 1000) with
    the diagonal and the dense metric: wall time (MAP start included), ESS per second,
    leapfrog steps per iteration, tree depth, divergences.

``meridian_rf`` (not in the default run)
    Issue 18's check of reach-and-frequency channels: Meridian's simulated national RF
    example (../shared/data/meridian_national_media_rf.csv, Channel3 as reach and
    frequency) fitted by the matched trustmix model (trust off, no trend or seasonality,
    Meridian's max lag 8, geometric adstock with alpha ~ Uniform(0, 1), the RF channel in
    Meridian's Hill form with its ec/slope priors, ROI priors LogNormal(0.2, 0.9) on every
    channel's revenue / spend as Meridian's defaults; the impression channels keep
    trustmix's logistic curve, where Meridian uses a Hill curve) with NUTS, and by
    ``google-meridian`` (benchmarks/meridian_rf_reference.py, run in the interpreter that
    has it: this one, or ``TRUSTMIX_MERIDIAN_PYTHON``); the posterior ROI of Channel3
    (incremental revenue over the data / spend) side by side with the difference in Monte
    Carlo standard errors and in posterior sds. Skipped with a message when Meridian is
    not installed.

Run (PyMC-Marketing and nutpie are in the ``bench`` extra)::

    python benchmarks/bench_mmm.py [--parts gradient peer full] [--peer-sampler pymc nutpie]
        [--peer-channels 4] [--chains 4 --draws 1000 --tune 1000] [--evals 20000]
    python benchmarks/bench_mmm.py --parts analyses [--analysis-draws defaults|all|N]

The machine's load average is printed before and after each timed part: timings taken
while other work runs are pessimistic, ratios within one run are what to read.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

import trustmix as tm

# PyMC-Marketing's default priors (multidimensional.MMM, GeometricAdstock,
# LogisticSaturation, version 0.19) written as trustmix's TrustModelPriors fields:
#   adstock_alpha ~ Beta(1, 3)          -> alpha_a, alpha_b
#   saturation_lam ~ Gamma(3, rate 1)   -> lam_shape, lam_rate
#   saturation_beta ~ HalfNormal(2)     -> beta_sd
#   intercept ~ Normal(0, 2)            -> baseline_sd (the only baseline term here)
#   y_sigma ~ HalfNormal(2)             -> sigma_sd
PYMC_MARKETING_PRIORS = {
    "alpha_a": 1.0,
    "alpha_b": 3.0,
    "lam_shape": 3.0,
    "lam_rate": 1.0,
    "beta_sd": 2.0,
    "baseline_sd": 2.0,
    "sigma_sd": 2.0,
}


def load() -> str:
    """The 1, 5 and 15 minute load averages as text."""
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# --------------------------------------------------------------------------- data
def model_data(T: int, C: int, seed: int = 3) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Data from the model itself (``simulate_trust_data``) with C channels: half trust
    (press, events, pr_1, ...), half conversion (instagram, tiktok, smm_1, ...), a crisis
    and a trust survey every 4 weeks. Keyword arguments of TrustMMM in the second item."""
    from trustmix.mmm import simulate_trust_data

    if C < 4:
        raise SystemExit("--channels must be >= 4 for the model's own data (or use --full-data linear)")
    df, truth = simulate_trust_data(T, seed=seed, extra_trust=C // 2 - 2, extra_conversion=C - C // 2 - 2)
    return df, dict(
        date="week", outcome="conversions", channels=truth["roles"], tracker="trust_survey", shocks=["crisis"]
    )


def share_data(T: int, C: int, seed: int = 3) -> tuple[pd.DataFrame, dict[str, Any]]:
    """model_data() from the bounded stock (``simulate_trust_data(trust_form="bounded")``)
    with its survey read back as the share of trusting people, (index - 30) / 40 clipped to
    [0, 1] (the share plus N(0, 0.025) noise): TrustMMM's default form for such a tracker
    is the bounded share it measures (docs/mmm.md, "The default form follows the
    tracker"), so this times the model a user with a share survey gets by default."""
    from trustmix.mmm import simulate_trust_data

    if C < 4:
        raise SystemExit("--channels must be >= 4 for the model's own data (or use --full-data linear)")
    df, truth = simulate_trust_data(
        T, seed=seed, extra_trust=C // 2 - 2, extra_conversion=C - C // 2 - 2, trust_form="bounded"
    )
    df["trust_survey"] = ((df["trust_survey"] - 30.0) / 40.0).clip(0.0, 1.0)
    return df, dict(
        date="week", outcome="conversions", channels=truth["roles"], tracker="trust_survey", shocks=["crisis"]
    )


def full_data(args: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The gradient/full parts' data by ``--full-data``."""
    make = {"model": model_data, "share": share_data}.get(args.full_data)
    return make(args.periods, args.channels) if make else linear_data(args.periods, args.channels)


def linear_data(T: int, C: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """make_data() with its TrustMMM keyword arguments."""
    df, roles = make_data(T, C)
    return df, dict(date="week", outcome="y", channels=roles, tracker="survey")


def make_data(T: int, C: int, seed: int = 0) -> tuple[pd.DataFrame, dict[str, str]]:
    """Weekly data with C channels (half trust, half conversion) and a tracker every 4 weeks."""
    rng = np.random.default_rng(seed)
    roles = {f"pr_{i}": "trust" for i in range(C // 2)} | {f"smm_{i}": "conversion" for i in range(C - C // 2)}
    df = pd.DataFrame({"week": pd.date_range("2023-01-02", periods=T, freq="7D")})
    for c in roles:
        df[c] = (rng.random(T) < 0.5) * rng.gamma(3, 1000, T)
    df["y"] = 200 + rng.normal(0, 10, T) + 0.002 * df[list(roles)].sum(axis=1)
    df["survey"] = np.where(np.arange(T) % 4 == 0, rng.normal(40, 3, T), np.nan)
    return df, roles


def make_standard_mmm(channels: int = 4, seed: int = 42, max_lag: int = 7) -> tuple[pd.DataFrame, dict]:
    """A standard MMM data set generated the way PyMC-Marketing's example notebook
    (``mmm_example``) generates its data, reduced to intercept + media so the reduced
    model is the true model.

    179 weeks (Mondays 2018-04-02 .. 2021-08-30). ``x1`` = U(0, 1), halved where <= 0.9;
    ``x2`` = U(0, 1), zero where <= 0.8 (the notebook's two channels). With ``channels=4``
    two more: ``x3`` always on, U(0.2, 1); ``x4`` flighted, on with probability 0.3,
    U(0.5, 1) when on. Geometric adstock with normalised weights over lags 0..``max_lag``
    (the notebook's l_max = 8), alpha = 0.4, 0.2, 0.6, 0.3; logistic saturation
    (1 - e^(-lam x)) / (1 + e^(-lam x)), lam = 4, 3, 1.5, 2; betas 3, 2, 1.5, 1;
    intercept 2; Normal noise sd 0.25. The notebook's trend, yearly seasonality and two
    event dummies are left out: PyMC-Marketing's seasonality prior (Laplace) and its
    unscaled controls have no exact counterpart in trustmix (see docs/benchmarks.md).
    Returns (data, truth) with the truth in the data's units.
    """
    if channels not in (2, 3, 4):
        raise ValueError(f"channels must be 2, 3 or 4, got {channels}")
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2018-04-02", "2021-08-30", freq="W-MON")
    n = len(dates)
    x1 = rng.uniform(size=n)
    x = {"x1": np.where(x1 > 0.9, x1, x1 / 2)}
    x2 = rng.uniform(size=n)
    x["x2"] = np.where(x2 > 0.8, x2, 0.0)
    x["x3"] = rng.uniform(0.2, 1.0, n)
    x["x4"] = (rng.random(n) < 0.3) * rng.uniform(0.5, 1.0, n)
    names = list(x)[:channels]
    alpha = dict(zip(names, [0.4, 0.2, 0.6, 0.3], strict=False))
    lam = dict(zip(names, [4.0, 3.0, 1.5, 2.0], strict=False))
    beta = dict(zip(names, [3.0, 2.0, 1.5, 1.0], strict=False))
    intercept, noise = 2.0, 0.25
    mu = np.full(n, intercept)
    for c in names:
        mu += beta[c] * tm.transforms.logistic_saturation(
            tm.transforms.geometric_adstock(x[c], alpha=alpha[c], max_lag=max_lag), lam=lam[c]
        )
    y = mu + rng.normal(0.0, noise, n)
    df = pd.DataFrame({"date_week": dates, **{c: x[c] for c in names}, "y": y})
    return df, {"alpha": alpha, "lam": lam, "beta": beta, "intercept": intercept, "sigma": noise}


def numpy_forward(media: np.ndarray, alpha: np.ndarray, lam: np.ndarray, L: int) -> np.ndarray:
    """Adstock + saturation of every channel in numpy (the first half of a forward pass)."""
    lag = np.arange(L + 1)[:, None]
    w = alpha[None, :] ** lag
    w = w / w.sum(axis=0)
    a = w[0] * media
    for d in range(1, L + 1):
        a[d:] += w[d] * media[:-d]
    return np.tanh(0.5 * lam * a)


# --------------------------------------------------------------------------- diagnostics
def _az():
    warnings.simplefilter("ignore", FutureWarning)
    import arviz as az

    return az


def diagnostics(draws: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Per scalar parameter (chain, draw) array: mean, sd, ArviZ bulk ESS and R-hat."""
    az = _az()
    out = {}
    for k, x in draws.items():
        x = np.ascontiguousarray(x)
        out[k] = {
            "mean": float(x.mean()),
            "sd": float(x.std(ddof=1)),
            "ess": float(az.ess(x, method="bulk")),
            "rhat": float(az.rhat(x)),
        }
    return out


def shared_from_trustmix(fit, channels: list[str]) -> dict[str, np.ndarray]:
    """trustmix draws of the shared parameters on PyMC-Marketing's (scaled) units."""
    post = fit.to_arviz().posterior
    out = {}
    for j, c in enumerate(channels):
        out[f"alpha[{c}]"] = post["alpha"].values[:, :, j]
        out[f"lam[{c}]"] = post["lam"].values[:, :, j]
        out[f"beta[{c}]"] = post["beta"].values[:, :, j]
    out["intercept"] = post["b"].values[:, :, 0]
    out["sigma"] = post["sigma"].values
    return out


def shared_from_pymc_marketing(idata, channels: list[str]) -> dict[str, np.ndarray]:
    post = idata.posterior
    out = {}
    for c in channels:
        out[f"alpha[{c}]"] = post["adstock_alpha"].sel(channel=c).values
        out[f"lam[{c}]"] = post["saturation_lam"].sel(channel=c).values
        out[f"beta[{c}]"] = post["saturation_beta"].sel(channel=c).values
    out["intercept"] = post["intercept_contribution"].values
    out["sigma"] = post["y_sigma"].values
    return out


def run_summary(name: str, wall: float, diag: dict, divergences: int, steps: float, extra: str = "") -> dict:
    ess = np.array([d["ess"] for d in diag.values()])
    rhat = np.array([d["rhat"] for d in diag.values()])
    return {
        "library": name,
        "wall_s": wall,
        "min_ess": float(ess.min()),
        "median_ess": float(np.median(ess)),
        "min_ess_per_s": float(ess.min() / wall),
        "median_ess_per_s": float(np.median(ess) / wall),
        "max_rhat": float(rhat.max()),
        "divergences": int(divergences),
        "steps": steps,
        "extra": extra,
    }


# --------------------------------------------------------------------------- legacy path
# The per-draw Python path of TrustFit before issue 13 (one C++ forward pass per draw and
# counterfactual, called from Python loops), kept here only to compare against the C++
# analyses; it is not part of the library.
def _asdict(result: Any) -> dict[str, Any]:
    """A bound result object of trustmix._core (attributes) as the dict the legacy code reads."""
    return {k: getattr(result, k) for k in dir(result) if not k.startswith("_")}


def _legacy_summary_rows(fit, p: dict) -> list:
    from trustmix.transforms import half_life

    m = fit.model
    rows = []
    for j, c in enumerate(m.channels):
        a = p["alpha"][j]
        rows.append((f"adstock alpha [{c}]", a))
        rows.append((f"adstock half-life [{c}]", half_life(a) if 0 < a < 1 else np.nan))
        rows.append((f"saturation lam [{c}]", p["lam"][j]))
    for j, c in enumerate(m.conversion_channels):
        rows.append((f"beta [{c}]", p["beta"][j] * m.y_scale))
    if m.trust_enabled:
        rows.append(("trust retention delta", p["delta"]))
        rows.append(("trust half-life", half_life(p["delta"])))
        for j, c in enumerate(m.trust_channels):
            rows.append((f"trust weight kappa [{c}]", p["kappa"][j]))
        rows.append(("gamma (trust -> demand)", p["gamma"] * m.y_scale))
        rows.append(("theta (trust amplifies SMM)", p["theta"]))
        for j, s in enumerate(m.shock_names):
            rows.append((f"shock damage omega [{s}]", p["omega"][j]))
    for j, b in enumerate(m.baseline_names):
        rows.append((f"baseline [{b}]", p["b"][j] * m.y_scale))
    rows.append(("sigma", p["sigma"] * m.y_scale if m.likelihood == "normal" else p["sigma"]))
    return rows


def legacy_summary(fit, interval: float = 0.9) -> pd.DataFrame:
    from trustmix import inference

    chains = fit.posterior.draws.shape[0]
    cols, names = [], []
    for c in range(chains):
        per_draw = [_legacy_summary_rows(fit, _asdict(fit.model._core.constrain(z))) for z in fit.posterior.draws[c]]
        cols.append(np.array([[r[1] for r in rows] for rows in per_draw]))
        names = [r[0] for r in per_draw[0]]
    values = np.stack(cols)
    lo, hi = (1 - interval) / 2, 1 - (1 - interval) / 2
    out = []
    for k, name in enumerate(names):
        x = values[:, :, k]
        finite = np.isfinite(x).all()
        out.append(
            {
                "parameter": name,
                "mean": x.mean(),
                "sd": x.std(ddof=1),
                "low": np.quantile(x, lo),
                "high": np.quantile(x, hi),
                "r_hat": inference.rhat(x) if finite and x.std() > 0 else np.nan,
                "ess_bulk": inference.ess_bulk(x) if finite and x.std() > 0 else np.nan,
            }
        )
    return pd.DataFrame(out).set_index("parameter")


def _legacy_decompose_one(m, z) -> pd.DataFrame:
    f = _asdict(m._core.forward(z))
    ys = m.y_scale
    out = pd.DataFrame(index=m.dates)
    out["base"] = f["base"] * ys
    if m.trust_enabled:
        g = f["trust_stock"]
        parts = {c: f["trust_by_channel"][:, j] for j, c in enumerate(m.trust_channels)}
        parts["shocks"] = f["trust_from_shocks"]
        parts["initial trust"] = f["trust_from_initial"]
        amp_total = f["amplification"].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = {k: np.where(g != 0, v / g, 0.0) for k, v in parts.items()}
        for k in parts:
            out[f"trust direct [{k}]"] = f["trust_direct"] * share[k] * ys
            out[f"amplification [{k}]"] = amp_total * share[k] * ys
    for j, c in enumerate(m.conversion_channels):
        out[f"{c} (own)"] = f["conversion_own"][:, j] * ys
    return out


def legacy_decompose(fit, max_draws: int = 200) -> pd.DataFrame:
    frames = [_legacy_decompose_one(fit.model, z) for z in fit.draws(max_draws)]
    return sum(frames[1:], frames[0]) / len(frames)


def _legacy_roi_one(m, z, horizon: int, vpo: float) -> pd.DataFrame:
    T = len(m._y)
    media, base, shocks = m._extended(int(horizon))
    lo, hi = 0, T - 1
    fwd = lambda med: _asdict(m._core.forward(z, med, base, shocks))  # noqa: E731
    f_full = fwd(media)
    p = _asdict(m._core.constrain(z))
    rows = []
    for j, c in enumerate(m.channels):
        cf_media = media.copy()
        cf_media[lo : hi + 1, j] = 0.0
        f_cf = fwd(cf_media)
        ys = m.y_scale
        diff = (f_full["mu"] - f_cf["mu"]) * ys
        cut = min(hi + 1 + m.max_lag, len(diff))
        short, long = diff[:cut].sum(), diff[cut:].sum()
        direct = p["gamma"] * (f_full["trust_stock"] - f_cf["trust_stock"]).sum() * ys if m.trust_enabled else 0.0
        amp = (f_full["amplification"].sum() - f_cf["amplification"].sum()) * ys
        own = (f_full["conversion_own"].sum() - f_cf["conversion_own"].sum()) * ys
        spend = float(m.data[m.spend_columns[c]].to_numpy()[lo : hi + 1].sum())
        total = short + long
        up_media = media.copy()
        up_media[lo : hi + 1, j] *= 1.01
        gain = (fwd(up_media)["mu"] - f_full["mu"]).sum() * ys
        rows.append(
            {
                "channel": c,
                "spend": spend,
                "incremental_short": short,
                "incremental_long": long,
                "incremental_total": total,
                "via_trust_direct": direct,
                "via_amplification": amp,
                "own": own,
                "roi_short": (short * vpo - spend) / spend,
                "roi_total": (total * vpo - spend) / spend,
                "marginal_roi": (gain * vpo - 0.01 * spend) / (0.01 * spend),
                "cost_per_incremental": spend / total if total > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("channel")


def legacy_roi(fit, horizon: int = 104, value_per_outcome: float = 1.0, max_draws: int = 200) -> pd.DataFrame:
    tables = [_legacy_roi_one(fit.model, z, horizon, value_per_outcome) for z in fit.draws(max_draws)]
    stack = np.stack([t.to_numpy(dtype=float) for t in tables])
    return pd.DataFrame(stack.mean(axis=0), index=tables[0].index, columns=tables[0].columns)


def legacy_response_curves(fit, horizon: int = 104, max_draws: int = 100) -> pd.DataFrame:
    m = fit.model
    ks = np.round(np.linspace(0.0, 2.0, 21), 10)
    media, base, shocks = m._extended(int(horizon))
    T = len(m._y)
    zs = fit.draws(max_draws)
    rows = []
    for c in m.channels:
        j = m.channels.index(c)
        inc = np.empty((len(zs), len(ks)))
        for d, z in enumerate(zs):
            zero = media.copy()
            zero[:T, j] = 0.0
            mu0 = np.asarray(m._core.forward(z, zero, base, shocks).mu).sum()
            for i, k in enumerate(ks):
                scaled = media.copy()
                scaled[:T, j] *= k
                inc[d, i] = (np.asarray(m._core.forward(z, scaled, base, shocks).mu).sum() - mu0) * m.y_scale
        for i, k in enumerate(ks):
            rows.append({"channel": c, "multiplier": float(k), "incremental": inc[:, i].mean()})
    return pd.DataFrame(rows)


def part_analyses(args) -> None:
    """The C++ analyses against the legacy per-draw path on one NUTS fit, side by side."""
    df, kw = model_data(args.periods, args.channels)
    model = tm.TrustMMM(df, value_per_outcome=1.0, **kw)
    fit = model.fit(method="nuts", chains=args.chains, draws=args.draws, tune=args.tune, seed=args.seed, progress=False)
    n = fit.posterior.draws.shape[0] * fit.posterior.draws.shape[1]
    given = {"all": n, "defaults": None}.get(args.analysis_draws, None)
    if args.analysis_draws not in ("all", "defaults"):
        given = int(args.analysis_draws)
    md = {k: given or d for k, d in (("roi", 200), ("response_curves", 100), ("decompose", 200))}
    print(
        f"\n== analyses: {args.periods} weeks x {args.channels} channels, NUTS {args.chains} x {args.draws} = {n} "
        f"draws; max_draws: {md} (the methods' defaults unless --analysis-draws), summary over all {n} ({load()})"
    )

    def timed(fn):  # the best of --repeats runs (the machine is shared: the minimum is the least disturbed)
        best, out = float("inf"), None
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = fn()
            best = min(best, time.perf_counter() - t0)
        return best, out

    cases = [
        (
            "roi",
            lambda: legacy_roi(fit, horizon=104, max_draws=md["roi"]),
            lambda: fit.roi(horizon=104, value_per_outcome=1.0, max_draws=md["roi"]),
            lambda a, b: np.max(np.abs(a.to_numpy() - b[a.columns].to_numpy()) / (1e-9 + np.abs(a.to_numpy()))),
        ),
        (
            "response_curves",
            lambda: legacy_response_curves(fit, horizon=104, max_draws=md["response_curves"]),
            lambda: fit.response_curves(horizon=104, value_per_outcome=1.0, max_draws=md["response_curves"]),
            lambda a, b: np.max(
                np.abs(a["incremental"].to_numpy() - b["incremental"].to_numpy())
                / (1e-9 + np.abs(a["incremental"].to_numpy()))
            ),
        ),
        (
            "decompose",
            lambda: legacy_decompose(fit, max_draws=md["decompose"]),
            lambda: fit.decompose(max_draws=md["decompose"]),
            lambda a, b: np.max(np.abs(a.to_numpy() - b.to_numpy())) / np.max(np.abs(a.to_numpy())),
        ),
        (
            "summary",
            lambda: legacy_summary(fit),
            lambda: fit.summary(),
            lambda a, b: np.nanmax(
                np.abs(a[["mean", "sd", "low", "high"]].to_numpy() - b[["mean", "sd", "low", "high"]].to_numpy())
                / (1e-12 + np.abs(a[["mean", "sd", "low", "high"]].to_numpy()))
            ),
        ),
    ]
    print(f"\n(best of {args.repeats} runs each; C++ on {os.cpu_count()} threads)")
    print("\n| analysis | legacy per-draw path s | C++ analyses s | speed-up | max relative difference |")
    print("|---|---|---|---|---|")
    tot_old = tot_new = 0.0
    for name, old_fn, new_fn, diff in cases:
        t_old, a = timed(old_fn)
        t_new, b = timed(new_fn)
        tot_old += t_old
        tot_new += t_new
        print(f"| {name} | {t_old:.3f} | {t_new:.4f} | {t_old / t_new:.1f}x | {diff(a, b):.1e} |")
    print(f"| total | {tot_old:.3f} | {tot_new:.4f} | {tot_old / tot_new:.1f}x | |")
    print(f"(issue 13's target, at least 20x in total: {'met' if tot_old / tot_new >= 20 else 'NOT met'}; {load()})")


# --------------------------------------------------------------------------- parts
def part_gradient(args) -> None:
    df, kw = full_data(args)
    model = tm.TrustMMM(df, **kw)
    z = np.asarray(model._core.initial_point())
    print(f"\n== gradient ({load()})")
    t0 = time.perf_counter()
    for _ in range(args.evals):
        model._core.log_density(z)
    dt = time.perf_counter() - t0
    media = model._media
    t1 = time.perf_counter()
    n_np = max(1, args.evals // 20)
    for _ in range(n_np):
        numpy_forward(media, np.full(media.shape[1], 0.3), np.full(media.shape[1], 1.5), model.max_lag)
    dt_np = (time.perf_counter() - t1) / n_np
    t2 = time.perf_counter()
    fit = model.fit(method="map", restarts=1)
    dt_map = time.perf_counter() - t2
    print(
        f"trustmix {tm.__version__}: T={args.periods} weekly periods, {args.channels} channels, "
        f"{model._core.dimension} parameters, lag window {model.max_lag}"
    )
    print(
        f"log density + gradient (from Python, incl. call overhead): {args.evals / dt:,.0f} per second "
        f"({dt / args.evals * 1e6:.1f} us each)"
    )
    print(
        f"numpy adstock + saturation only (no trust, no likelihood, no gradient): {dt_np * 1e6:.1f} us each "
        f"-> trustmix full gradient is {dt_np / (dt / args.evals):.1f}x faster"
    )
    print(f"MAP fit (1 start): {dt_map * 1e3:.1f} ms, {fit.info['iterations']} iterations, {fit.info['message']}")
    print(f"({load()})")


def fit_trustmix_reduced(df: pd.DataFrame, channels: list[str], args):
    t0 = time.perf_counter()
    model = tm.TrustMMM(
        df,
        date="date_week",
        outcome="y",
        channels={c: "conversion" for c in channels},
        trust=False,
        seasonality=0,
        trend=False,
        max_lag=args.max_lag,
        priors=PYMC_MARKETING_PRIORS,
        scaling="max",
        noise="iid",
    )  # PyMC-Marketing's iid noise
    fit = model.fit(
        method="nuts",
        chains=args.chains,
        draws=args.draws,
        tune=args.tune,
        seed=args.seed,
        target_accept=args.target_accept,
        progress=False,
    )
    wall = time.perf_counter() - t0
    return fit, wall


def fit_pymc_marketing(df: pd.DataFrame, channels: list[str], args, sampler: str):
    warnings.simplefilter("ignore")
    from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation
    from pymc_marketing.mmm.multidimensional import MMM

    t0 = time.perf_counter()
    mmm = MMM(
        date_column="date_week",
        channel_columns=channels,
        target_column="y",
        adstock=GeometricAdstock(l_max=args.max_lag + 1),
        saturation=LogisticSaturation(),
    )
    idata = mmm.fit(
        df[["date_week", *channels]],
        df["y"],
        chains=args.chains,
        draws=args.draws,
        tune=args.tune,
        target_accept=args.target_accept,
        random_seed=args.seed,
        progressbar=False,
        cores=args.cores,
        nuts_sampler=sampler,
    )
    wall = time.perf_counter() - t0
    return mmm, idata, wall


def part_peer(args) -> None:
    try:
        import pymc_marketing
    except ImportError:
        print("\n== peer: skipped, PyMC-Marketing is not installed (pip install 'trustmix[bench]')")
        return
    df, truth = make_standard_mmm(args.peer_channels, seed=args.data_seed, max_lag=args.max_lag)
    channels = [c for c in df.columns if c.startswith("x")]
    print(
        f"\n== peer: reduced model vs PyMC-Marketing {pymc_marketing.__version__}: {len(df)} weeks x "
        f"{len(channels)} channels, l_max {args.max_lag + 1} (trustmix max_lag {args.max_lag}), "
        f"{args.chains} chains x ({args.tune} + {args.draws}), target_accept {args.target_accept}"
    )
    print(f"before trustmix: {load()}")
    fit, wall_t = fit_trustmix_reduced(df, channels, args)
    post = fit.posterior
    d_t = diagnostics(shared_from_trustmix(fit, channels))
    rows = [
        run_summary(
            "trustmix (diag)",
            wall_t,
            d_t,
            post.divergences,
            float(post.sample_stats["n_steps"].mean()),
            f"MAP + NUTS; NUTS alone {post.seconds:.2f} s, {int(post.gradient_evaluations.sum()):,} gradients",
        )
    ]
    peers = {}
    for sampler in args.peer_sampler:
        print(f"before PyMC-Marketing ({sampler}): {load()}")
        try:
            _, idata, wall_p = fit_pymc_marketing(df, channels, args, sampler)
        except Exception as e:  # noqa: BLE001 - report and go on with the other sampler
            print(f"PyMC-Marketing with nuts_sampler={sampler!r} failed: {type(e).__name__}: {e}")
            continue
        d_p = diagnostics(shared_from_pymc_marketing(idata, channels))
        ss = idata.sample_stats
        div = int(ss["diverging"].values.sum()) if "diverging" in ss else int(ss["divergences"].values.sum())
        steps = float(ss["n_steps"].values.mean()) if "n_steps" in ss else float("nan")
        samp = idata.posterior.attrs.get("sampling_time")
        extra = f"sampling alone {float(samp):.1f} s" if samp is not None else ""
        rows.append(run_summary(f"PyMC-Marketing ({sampler})", wall_p, d_p, div, steps, extra))
        peers[sampler] = d_p
    print(f"after: {load()}")

    print(
        "\n| library | wall s | min ESS bulk | median ESS bulk | min ESS/s | median ESS/s | max R-hat | "
        "divergences | leapfrog steps / iteration | notes |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['library']} | {r['wall_s']:.2f} | {r['min_ess']:.0f} | {r['median_ess']:.0f} | "
            f"{r['min_ess_per_s']:.1f} | {r['median_ess_per_s']:.1f} | {r['max_rhat']:.3f} | {r['divergences']} | "
            f"{r['steps']:.1f} | {r['extra']} |"
        )
    for r in rows[1:]:
        print(
            f"{r['library']}: trustmix is {r['wall_s'] / rows[0]['wall_s']:.1f}x faster in wall time, "
            f"{rows[0]['min_ess_per_s'] / r['min_ess_per_s']:.1f}x in min ESS/s, "
            f"{rows[0]['median_ess_per_s'] / r['median_ess_per_s']:.1f}x in median ESS/s "
            f"(target: >= 30x wall time at equal or better ESS/s)"
        )

    true = {
        **{f"alpha[{c}]": v for c, v in truth["alpha"].items()},
        **{f"lam[{c}]": v for c, v in truth["lam"].items()},
    }
    ys = float(df["y"].max())
    true |= {f"beta[{c}]": v / ys for c, v in truth["beta"].items()}
    true |= {"intercept": truth["intercept"] / ys, "sigma": truth["sigma"] / ys}
    for sampler, d_p in peers.items():
        print(
            f"\nPosterior mean (sd) of every shared parameter, scaled units (beta, intercept, sigma "
            f"divided by max(y) = {ys:.4g}); z = difference in Monte Carlo standard errors; "
            f"trustmix vs PyMC-Marketing ({sampler})"
        )
        print("\n| parameter | truth | trustmix mean (sd) | PyMC-Marketing mean (sd) | ESS trustmix / peer | z | |")
        print("|---|---|---|---|---|---|---|")
        worst = 0.0
        for k, a in d_t.items():
            b = d_p[k]
            se = np.sqrt(a["sd"] ** 2 / a["ess"] + b["sd"] ** 2 / b["ess"])
            z = (a["mean"] - b["mean"]) / se
            worst = max(worst, abs(z))
            flag = "DISAGREE" if abs(z) > 3 else ""
            print(
                f"| {k} | {true[k]:.4g} | {a['mean']:.4g} ({a['sd']:.3g}) | {b['mean']:.4g} ({b['sd']:.3g}) | "
                f"{a['ess']:.0f} / {b['ess']:.0f} | {z:+.2f} | {flag} |"
            )
        n = len(d_t)
        print(
            f"largest |z| = {worst:.2f} over {n} parameters "
            f"({'all agree within 3 Monte Carlo standard errors' if worst <= 3 else 'DISAGREEMENT'})"
        )


def part_full(args) -> None:
    df, kw = full_data(args)
    roles = kw["channels"]
    form = tm.TrustMMM(df, **kw).trust_form  # the default form for this tracker
    print(
        f"\n== full trust-linked model: {args.periods} weekly periods x {args.channels} channels "
        f"({sum(r == 'trust' for r in roles.values())} trust), tracker every 4 weeks ({form} form), "
        f"{args.chains} x ({args.tune} + {args.draws}), TrustMMM.fit's default target_accept"
    )
    print(
        "\n| metric | wall s (MAP + NUTS) | NUTS s | min ESS bulk | median ESS bulk | min ESS/s | median ESS/s | "
        "max R-hat | leapfrog steps / iteration | mean tree depth | divergences | load before |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for metric in args.metrics:
        before = load()
        t0 = time.perf_counter()
        model = tm.TrustMMM(df, **kw)
        fit = model.fit(
            method="nuts",
            chains=args.chains,
            draws=args.draws,
            tune=args.tune,
            seed=args.seed,
            metric=metric,
            progress=False,
        )
        wall = time.perf_counter() - t0
        s = fit.summary()
        ok = s["ess_bulk"].notna()
        ess, rhat = s.loc[ok, "ess_bulk"].to_numpy(), s.loc[ok, "r_hat"].to_numpy()
        st = fit.posterior.sample_stats
        print(
            f"| {metric} | {wall:.2f} | {fit.posterior.seconds:.2f} | {ess.min():.0f} | {np.median(ess):.0f} | "
            f"{ess.min() / wall:.1f} | {np.median(ess) / wall:.1f} | {rhat.max():.3f} | "
            f"{st['n_steps'].mean():.1f} | {st['tree_depth'].mean():.2f} | {fit.posterior.divergences} | "
            f"{before.removeprefix('load ')} |"
        )
    print(f"(ESS and R-hat over the {int(ok.sum())} rows of fit.summary(); target: under 5 s; after: {load()})")


def part_meridian_rf(args) -> None:
    import json
    import math
    import subprocess

    csv = os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "meridian_national_media_rf.csv"
    )
    csv = os.environ.get(
        "TRUSTMIX_MERIDIAN_RF_CSV", csv if os.path.exists(csv) else "/work/shared/data/meridian_national_media_rf.csv"
    )
    print(f"\n== meridian_rf: reach-and-frequency channel against google-meridian ({load()})")
    if not os.path.exists(csv):
        print(f"skipped: no data file {csv} (set TRUSTMIX_MERIDIAN_RF_CSV)")
        return
    d = tm.mmm.read_meridian(csv)
    lo, hi = math.exp(0.2 - 1.6448536269514722 * 0.9) - 1, math.exp(0.2 + 1.6448536269514722 * 0.9) - 1
    chans = [*d.kwargs["channels"], *d.kwargs["rf_channels"]]
    priors = {"alpha_a": 1.0, "alpha_b": 1.0, "roi": {c: (lo, hi) for c in chans}}
    model = tm.TrustMMM(
        d.data, **d.kwargs, seasonality=0, trend=False, max_lag=args.meridian_max_lag, priors=priors, noise="iid"
    )  # Meridian's iid noise
    t0 = time.perf_counter()
    fit = model.fit(method="nuts", chains=args.chains, draws=args.draws, tune=args.tune, seed=args.seed)
    wall = time.perf_counter() - t0
    roi = fit.roi(horizon=0, max_draws=args.chains * args.draws)
    rf_name = next(iter(d.kwargs["rf_channels"]))
    # trustmix's ROI is (value - spend) / spend; Meridian's is value / spend.
    ours = {c: 1.0 + roi.loc[c, "roi_total"] for c in chans}
    print(
        f"trustmix: NUTS {args.chains} x ({args.tune} + {args.draws}) in {wall:.1f} s (model build, MAP start, "
        f"sampling); {fit.summary()['r_hat'].max():.3f} max R-hat"
    )
    py = os.environ.get("TRUSTMIX_MERIDIAN_PYTHON", sys.executable)
    if args.meridian_json:  # a saved run of meridian_rf_reference.py (its JSON line)
        with open(args.meridian_json) as fh:
            mer = json.loads(fh.read().strip().splitlines()[-1])
        print(f"Meridian: saved run {args.meridian_json}")
        _meridian_table(fit, args, chans, rf_name, mer)
        return
    try:
        subprocess.run([py, "-c", "import meridian"], check=True, capture_output=True, timeout=300)
    except (subprocess.CalledProcessError, FileNotFoundError, subprocess.TimeoutExpired):
        print(
            f"Meridian side skipped: google-meridian is not importable from {py} (pip install google-meridian, "
            "in this environment or in a separate one named by TRUSTMIX_MERIDIAN_PYTHON). trustmix's ROIs "
            "(revenue / spend): " + ", ".join(f"{c} {v:.3f}" for c, v in ours.items())
        )
        return
    ref = os.path.join(os.path.dirname(os.path.abspath(__file__)), "meridian_rf_reference.py")
    out = subprocess.run(
        [
            py,
            ref,
            csv,
            "--chains",
            str(args.meridian_chains),
            "--adapt",
            str(args.tune),
            "--burnin",
            str(args.tune),
            "--keep",
            str(args.draws),
            "--max-lag",
            str(args.meridian_max_lag),
            "--seed",
            str(args.seed),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    mer = json.loads(out.stdout.strip().splitlines()[-1])
    _meridian_table(fit, args, chans, rf_name, mer)


def _meridian_table(fit, args, chans: list[str], rf_name: str, mer: dict) -> None:
    """trustmix's and Meridian's posterior ROI (revenue / spend) per channel side by side."""
    import math

    print(
        f"Meridian: {mer['chains']} chains x {mer['keep']} kept draws, sampling {mer['wall_s']:.1f} s, "
        f"max lag {mer['max_lag']}"
    )
    print(f"{'channel':<22}{'trustmix ROI':>14}{'sd':>8}{'Meridian ROI':>14}{'sd':>8}{'z (MCSE)':>10}{'diff/sd':>9}")
    for c in chans:
        name = c.removesuffix("_impression")
        m = mer["channels"].get(name)
        if m is None:
            continue
        # trustmix's ROI draws: the posterior of 1 + roi_total over the fit's draws.
        draws = np.asarray(_mmm_roi_draws(fit, c))
        ess_ours = float(_az().ess(draws.reshape(args.chains, -1)))
        se = math.sqrt(draws.var(ddof=1) / ess_ours + m["sd"] ** 2 / m["ess"])
        z = (draws.mean() - m["mean"]) / se
        flag = "  <- RF channel" if c == rf_name else ""
        print(
            f"{c:<22}{draws.mean():>14.3f}{draws.std(ddof=1):>8.3f}{m['mean']:>14.3f}{m['sd']:>8.3f}{z:>10.2f}"
            f"{(draws.mean() - m['mean']) / max(m['sd'], 1e-12):>9.2f}{flag}"
        )
    print(f"({load()})")


def _mmm_roi_draws(fit, channel: str) -> np.ndarray:
    """Per-draw revenue / spend of one channel over the data (trustmix's C++ roi)."""
    from trustmix._core import mmm as _mmm

    m = fit.model
    z = fit._draw_matrix(None)
    spend = np.array([float(m.data[m.spend_columns[c]].sum()) for c in m.channels])
    r = _mmm.roi(
        m._core, z, horizon=0, spend=spend, value_per_outcome=float(m.value_per_outcome), outcome_scale=m.y_scale
    )
    return 1.0 + np.asarray(r.roi_total)[:, m.channels.index(channel)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--parts",
        nargs="+",
        default=["gradient", "peer", "full"],
        choices=["gradient", "peer", "full", "analyses", "meridian_rf"],
    )
    ap.add_argument("--repeats", type=int, default=3, help="analyses part: best of this many runs of each")
    ap.add_argument(
        "--analysis-draws",
        default="defaults",
        help="analyses part: max_draws of roi/decompose/response_curves: 'defaults' (200/100/200), 'all' or a number",
    )
    ap.add_argument("--periods", type=int, default=156, help="weeks of the gradient/full data")
    ap.add_argument("--channels", type=int, default=8, help="channels of the gradient/full data")
    ap.add_argument(
        "--full-data",
        choices=["model", "share", "linear"],
        default="model",
        help="gradient/full data: simulated from the trust model itself with a crisis (default; its "
        "tracker is an index, so the linear form), the same from the bounded stock with a share "
        "survey (share: the bounded default), or make_data's linear outcome that carries no trust "
        "effect (weakly identified)",
    )
    ap.add_argument("--evals", type=int, default=20000)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--cores", type=int, default=2, help="PyMC's cores (trustmix uses every hardware thread)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--target-accept", type=float, default=0.9)
    ap.add_argument("--peer-sampler", nargs="+", default=["pymc", "nutpie"], choices=["pymc", "nutpie", "numpyro"])
    ap.add_argument("--peer-channels", type=int, default=4, choices=[2, 3, 4])
    ap.add_argument("--data-seed", type=int, default=42)
    ap.add_argument("--max-lag", type=int, default=7, help="trustmix's L; PyMC-Marketing's l_max is L + 1")
    ap.add_argument("--metrics", nargs="+", default=["diag", "dense"], choices=["diag", "dense"])
    ap.add_argument("--meridian-chains", type=int, default=2, help="meridian_rf part: Meridian's chains")
    ap.add_argument("--meridian-max-lag", type=int, default=8, help="meridian_rf part: both models' max lag")
    ap.add_argument(
        "--meridian-json",
        default=None,
        help="meridian_rf part: a saved output of benchmarks/meridian_rf_reference.py instead of a new run",
    )
    args = ap.parse_args()
    print(f"trustmix {tm.__version__}, {os.cpu_count()} CPUs, {load()}")
    if "gradient" in args.parts:
        part_gradient(args)
    if "peer" in args.parts:
        part_peer(args)
    if "full" in args.parts:
        part_full(args)
    if "analyses" in args.parts:
        part_analyses(args)
    if "meridian_rf" in args.parts:
        part_meridian_rf(args)


if __name__ == "__main__":
    main()
