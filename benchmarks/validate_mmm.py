"""Slow validation of the trust-linked model (issue 6): coverage of 90% intervals.

For each of ``--seeds`` seeded data sets simulated from the model's own generator
(:func:`trustmix.mmm.simulate_trust_data`: 156 weeks, PR channels ``press`` and
``events`` feeding the trust stock, SMM channels ``instagram`` and ``tiktok``, a crisis
shock, a trust survey every 4 weeks, baseline 200 + 20 sin(2 pi t / 52.18) + 10 t / T),
the model that generated it is fitted by NUTS::

    TrustMMM(data, channels={press: trust, events: trust, instagram: conversion,
             tiktok: conversion}, tracker="trust_survey", shocks=["crisis"],
             seasonality=1, trend=True, max_lag=12)   # default priors, scaling "mean"

and for every true parameter we record whether the equal-tailed ``--interval`` (default
90%) posterior interval covers it: the rows of ``fit.summary(interval=...)`` (adstock
alpha and saturation lam of every channel, beta of each SMM channel, trust retention
delta, trust weights kappa, gamma, theta, shock damage omega, the four baseline
coefficients, sigma) and, from the posterior draws, the initial stock G0 and the
tracker's intercept, loading and noise on the standardised tracker scale. Half-lives are
monotone transforms of alpha and delta and have the same equal-tailed coverage, so they
are not counted twice. The pointwise coverage of latent paths (share of weeks whose
interval covers the truth, from ``--path-draws`` thinned draws) is printed as well but not
pooled: the trust stock G[t], the trust term gamma G[t], each SMM channel's contribution
beta (1 + theta G[t]) h[t] and the mean mu[t].

Coverage is the share of data sets whose interval covers the truth; its binomial
standard error is sqrt(p (1 - p) / n). The pooled figure treats the parameters of one fit
as independent, which they are not, so its standard error is optimistic.

By default every data set has the generator's default truth (delta 0.92, gamma 40,
theta 1.5, beta 30 and 20, noise 8); ``--vary`` draws delta ~ U(0.85, 0.95),
gamma ~ U(20, 60), theta ~ U(0.5, 2.5), beta ~ U(15, 45) and U(10, 30) per data set.

Run::

    python benchmarks/validate_mmm.py --seeds 20 [--chains 4 --draws 1000 --tune 1000] [--vary] [--csv out.csv]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

import trustmix as tm
from trustmix.mmm import simulate_trust_data


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


ROLES = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}


def truth_rows(truth: dict, model: tm.TrustMMM) -> dict[str, float]:
    """True value of every checked quantity, keyed like fit.summary() (plus g0 and tracker)."""
    rows: dict[str, float] = {}
    for c in ROLES:
        rows[f"adstock alpha [{c}]"] = truth["alpha"][c]
        rows[f"saturation lam [{c}]"] = truth["lam"][c]
    for s, b in truth["beta"].items():
        rows[f"beta [{s}]"] = b
    rows["trust retention delta"] = truth["delta"]
    for p, k in truth["kappa"].items():
        rows[f"trust weight kappa [{p}]"] = k
    rows["gamma (trust -> demand)"] = truth["gamma"]
    rows["theta (trust amplifies SMM)"] = truth["theta"]
    rows["shock damage omega [crisis]"] = truth["omega"]
    # simulate_trust_data: base = 200 + 20 sin(2 pi t / P) + 10 t / T, noise sd `noise`.
    rows["baseline [intercept]"] = 200.0
    rows["baseline [trend]"] = 10.0
    rows["baseline [sin_1]"] = 20.0
    rows["baseline [cos_1]"] = 0.0
    rows["sigma"] = truth["noise"]
    # G[-1] = 0.3 in the generator; survey = 30 + 40 G + N(0, 1), standardised by the model.
    mean, sd = model._tracker_stats
    rows["initial trust G0"] = 0.3
    rows["tracker intercept a_q (standardised)"] = (30.0 - mean) / sd
    rows["tracker loading b_q (standardised)"] = 40.0 / sd
    rows["tracker noise sigma_q (standardised)"] = 1.0 / sd
    return rows


def draw_truth(rng: np.random.Generator) -> dict:
    return {
        "delta": rng.uniform(0.85, 0.95),
        "gamma": rng.uniform(20, 60),
        "theta": rng.uniform(0.5, 2.5),
        "beta": {"instagram": rng.uniform(15, 45), "tiktok": rng.uniform(10, 30)},
    }


def one_fit(seed: int, args) -> tuple[list[dict], dict]:
    kw = draw_truth(np.random.default_rng(10_000 + seed)) if args.vary else {}
    data, truth = simulate_trust_data(args.periods, seed=seed, **kw)
    truth["noise"] = 8.0
    t0 = time.perf_counter()
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_survey",
        shocks=["crisis"],
        seasonality=1,
        trend=True,
        max_lag=truth["max_lag"],
        priors=args.priors,
    )
    fit = model.fit(method="nuts", chains=args.chains, draws=args.draws, tune=args.tune, seed=seed, progress=False)
    seconds = time.perf_counter() - t0
    lo_q, hi_q = (1 - args.interval) / 2, 1 - (1 - args.interval) / 2
    s = fit.summary(interval=args.interval)
    # g0 and the tracker's parameters are not summary rows: intervals from the draws.
    z = fit.posterior.draws.reshape(-1, fit.posterior.draws.shape[-1])
    cons = [model._core.constrain(v) for v in z]
    extra = {
        "initial trust G0": "g0",
        "tracker intercept a_q (standardised)": "tracker_a",
        "tracker loading b_q (standardised)": "tracker_b",
        "tracker noise sigma_q (standardised)": "tracker_sigma",
    }
    for row, key in extra.items():
        x = np.array([float(getattr(c, key)) for c in cons])
        s.loc[row, ["mean", "sd", "low", "high"]] = [
            x.mean(),
            x.std(ddof=1),
            np.quantile(x, lo_q),
            np.quantile(x, hi_q),
        ]
    records = []
    for name, true in truth_rows(truth, model).items():
        r = s.loc[name]
        records.append(
            {
                "seed": seed,
                "parameter": name,
                "truth": true,
                "mean": r["mean"],
                "sd": r["sd"],
                "low": r["low"],
                "high": r["high"],
                "covered": bool(r["low"] <= true <= r["high"]),
            }
        )
    # pointwise coverage of the latent paths: G[t], what the data identify (the trust
    # term gamma G[t], each SMM channel's contribution beta (1 + theta G) h, mu[t]).
    thin = z[np.linspace(0, len(z) - 1, min(args.path_draws, len(z))).round().astype(int)]
    ys = model.y_scale
    fw = [model._core.forward(v) for v in thin]
    G = truth["trust_stock"]
    paths = {
        "trust stock G[t]": (np.stack([np.asarray(f.trust_stock) for f in fw]), G),
        "trust direct gamma G[t]": (np.stack([np.asarray(f.trust_direct) * ys for f in fw]), truth["gamma"] * G),
        "mu[t]": (np.stack([np.asarray(f.mu) * ys for f in fw]), truth["mu"]),
    }
    for j, sname in enumerate(model.conversion_channels):
        paths[f"contribution {sname}[t]"] = (
            np.stack([(np.asarray(f.conversion_own)[:, j] + np.asarray(f.amplification)[:, j]) * ys for f in fw]),
            truth["contribution"][sname],
        )
    path_cov = {}
    for k, (draws, true) in paths.items():
        lo, hi = np.quantile(draws, lo_q, axis=0), np.quantile(draws, hi_q, axis=0)
        path_cov[k] = float(np.mean((lo <= true) & (true <= hi)))
    post = fit.posterior
    r_hat = s["r_hat"].dropna()
    info = {
        "seed": seed,
        "seconds": seconds,
        "nuts_seconds": post.seconds,
        "divergences": post.divergences,
        "max_r_hat": float(r_hat.max()) if len(r_hat) else np.nan,
        "min_ess_bulk": float(s["ess_bulk"].dropna().min()),
        "steps_per_iteration": float(post.sample_stats["n_steps"].mean()),
        "paths": path_cov,
        "covered": sum(r["covered"] for r in records),
        "checked": len(records),
    }
    return records, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=20, help="number of simulated data sets (>= 20 for the issue)")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--periods", type=int, default=156)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=0.9)
    ap.add_argument("--path-draws", type=int, default=400, help="thinned draws for the latent-path coverage")
    ap.add_argument("--vary", action="store_true", help="draw the true delta, gamma, theta, beta per data set")
    ap.add_argument("--csv", help="write every (seed, parameter) record here")
    ap.add_argument(
        "--prior",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a default prior (TrustModelPriors field), e.g. lam_rate=2; repeatable",
    )
    args = ap.parse_args()
    args.priors = {k: float(v) for k, v in (p.split("=", 1) for p in args.prior)}
    print(
        f"trustmix {tm.__version__}: {args.seeds} data sets x {args.periods} weeks, NUTS {args.chains} x "
        f"({args.tune} + {args.draws}), {args.interval:.0%} equal-tailed intervals, "
        f"{'varied' if args.vary else 'default'} truth, priors {args.priors or 'default'}; {load()}"
    )
    records, infos = [], []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        rec, info = one_fit(seed, args)
        records += rec
        infos.append(info)
        print(
            f"seed {seed:3d}: {info['seconds']:6.1f} s, {info['divergences']:3d} divergences, max R-hat "
            f"{info['max_r_hat']:.3f}, min ESS {info['min_ess_bulk']:5.0f}, {info['steps_per_iteration']:5.1f} "
            f"steps/iteration, covered {info['covered']}/{info['checked']}, paths "
            + ", ".join(f"{k} {v:.0%}" for k, v in info["paths"].items()),
            flush=True,
        )
    df = pd.DataFrame(records)
    if args.csv:
        df.to_csv(args.csv, index=False)
    n = len(infos)
    nominal_se = np.sqrt(args.interval * (1 - args.interval) / n)
    print(
        "\n| parameter | coverage | binomial se | mean (posterior mean - truth) / sd | "
        "truth (first data set) | mean interval width |"
    )
    print("|---|---|---|---|---|---|")
    for name, g in df.groupby("parameter", sort=False):
        p = g["covered"].mean()
        zbar = ((g["mean"] - g["truth"]) / g["sd"]).mean()
        flag = " **" if abs(p - args.interval) > 2.5 * nominal_se else ""
        print(
            f"| {name} | {p:.2f}{flag} | {np.sqrt(p * (1 - p) / n):.3f} | {zbar:+.2f} | {g['truth'].iloc[0]:.4g} | "
            f"{(g['high'] - g['low']).mean():.4g} |"
        )
    p = df["covered"].mean()
    m = len(df)
    print(
        f"\noverall: {p:.3f} of {m} intervals cover the truth (binomial se {np.sqrt(p * (1 - p) / m):.3f} if "
        f"independent; nominal {args.interval:.2f}); per-parameter se at the nominal rate with {n} data sets: "
        f"{nominal_se:.3f} (** marks |coverage - nominal| > 2.5 se)"
    )
    print("\n| latent path | pointwise coverage (mean over data sets) | min over data sets |")
    print("|---|---|---|")
    for k in infos[0]["paths"]:
        g = np.array([i["paths"][k] for i in infos])
        print(f"| {k} | {g.mean():.3f} | {g.min():.2f} |")
    sec = np.array([i["seconds"] for i in infos])
    print(
        f"time per fit: mean {sec.mean():.1f} s, median {np.median(sec):.1f} s, max {sec.max():.1f} s (MAP + NUTS); "
        f"divergences total {sum(i['divergences'] for i in infos)}; worst R-hat "
        f"{max(i['max_r_hat'] for i in infos):.3f}; {load()}"
    )


if __name__ == "__main__":
    main()
