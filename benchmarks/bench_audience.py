"""Benchmark: trustmix.audience against StepMix and kmodes on the same data, and reach-curve fitting.

1. Latent classes: a synthetic survey of N respondents x 20 binary items from 6 classes
   (item probabilities 0.05-0.25 or 0.75-0.95), fitted with 6 classes and 20 random starts
   by trustmix and by StepMix (the same model: a categorical measurement model, EM,
   n_init starts; StepMix's own convergence rule abs_tol on the mean log-likelihood per
   respondent, ours rel. tolerance on the log-likelihood, set to the same size). Prints
   wall times, ratio, and both maximum log-likelihoods. StepMix is slow at large N, so
   ``--stepmix-rows`` caps the rows it gets (the ratio is then measured at that size).
2. Hard assignment: kmodes (Huang) with 6 clusters and the same starts against
   trustmix's modal classes, time and agreement with the generating classes (adjusted
   Rand index).
3. Reach curves: 1,000 channel x persona NBD curves (8 points each) fitted in parallel.
4. Three-step (classes -> distal outcome and covariate -> class): 2 classes, 6 binary items
   (P(yes) 0.3 / 0.75, ~15% misclassified by the modal class), logit P(class 1 | x) =
   -0.3 + x, y | class ~ N(0 or 1, 0.5^2). Naive, BCH and ML three-step by trustmix
   (latent_classes + three_step) and by StepMix (n_steps=3, correction=None/"BCH"/"ML"),
   side by side: estimated mean difference and slope (truth 1 and 1), wall times, and
   trustmix's step 3 on StepMix's own step-1 posterior (max |difference| to StepMix).

    PYTHONPATH=python python benchmarks/bench_audience.py --rows 1000000 --stepmix-rows 100000 --screening 20

StepMix and kmodes are in the ``bench`` extra (pip install 'trustmix[bench]').
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd


def make_survey(rows: int, items: int = 20, classes: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    z = rng.choice(classes, size=rows, p=rng.dirichlet(np.full(classes, 5.0)))
    high = rng.random((classes, items)) < 0.5
    p = np.where(high, rng.uniform(0.75, 0.95, (classes, items)), rng.uniform(0.05, 0.25, (classes, items)))
    x = (rng.random((rows, items)) < p[z]).astype(np.uint8)
    return x, z


def _need(name: str):
    try:
        return __import__(name)
    except ImportError:
        raise SystemExit(f"{name} is not installed: pip install 'trustmix[bench]' (or pip install {name})") from None


def bench_trustmix(x, classes, starts, tol, seed=1, screening=0):
    from trustmix._core import audience as core

    t = time.perf_counter()
    f = core.fit_latent_classes(
        core.Survey(x, [2] * x.shape[1]),
        classes=classes,
        starts=starts,
        seed=seed,
        tolerance=tol,
        max_iterations=5000,
        threads=0,
        screening_iterations=screening,
    )
    return time.perf_counter() - t, f


def bench_stepmix(x, classes, starts, tol, seed=1):
    stepmix = _need("stepmix")
    t = time.perf_counter()
    m = stepmix.StepMix(
        n_components=classes,
        measurement="binary",
        n_init=starts,
        max_iter=5000,
        abs_tol=tol,
        rel_tol=0.0,
        random_state=seed,
        verbose=0,
        progress_bar=0,
    )
    m.fit(x.astype(float))
    dt = time.perf_counter() - t
    ll = float(m.score(x.astype(float))) * len(x)  # mean log-likelihood per respondent x N
    return dt, ll


def bench_kmodes(x, classes, starts, seed=1):
    _need("kmodes")  # a clear message if the peer is missing
    from kmodes.kmodes import KModes

    t = time.perf_counter()
    km = KModes(n_clusters=classes, init="Huang", n_init=starts, random_state=seed, n_jobs=1)
    labels = km.fit_predict(x)
    return time.perf_counter() - t, labels


def adjusted_rand(a, b) -> float:
    ct = pd.crosstab(a, b).to_numpy().astype(float)
    comb = lambda v: v * (v - 1) / 2  # noqa: E731
    sum_ij = comb(ct).sum()
    sa, sb = comb(ct.sum(1)).sum(), comb(ct.sum(0)).sum()
    expected = sa * sb / comb(ct.sum())
    return float((sum_ij - expected) / (0.5 * (sa + sb) - expected))


def bench_reach(curves: int = 1000, points: int = 8, seed: int = 0):
    import trustmix as tm

    rng = np.random.default_rng(seed)
    rows = []
    k = rng.uniform(0.3, 3.0, curves)
    for c in range(curves):
        truth = tm.audience.reach_curve(population=1e6, kind="nbd", shape=float(k[c]))
        x = np.geomspace(1e5, 1e7, points)
        noisy = truth.reach(x) * (1 + rng.normal(0, 0.01, points))
        rows += [
            {"curve": c, "impressions": xi, "reach": min(ri, 1e6), "population": 1e6}
            for xi, ri in zip(x, noisy, strict=True)
        ]
    df = pd.DataFrame(rows)
    t = time.perf_counter()
    out = tm.audience.fit_reach_curves(df, by="curve")
    dt = time.perf_counter() - t
    err = np.abs(out["shape"].to_numpy() / k - 1)
    return dt, float(np.median(err))


def bench_three_step(rows: int, seed: int = 3):
    import trustmix as tm

    stepmix = _need("stepmix")
    rng = np.random.default_rng(seed)
    items = [f"q{j}" for j in range(6)]
    x = rng.normal(size=rows)
    z = (rng.random(rows) < 1 / (1 + np.exp(0.3 - x))).astype(int)
    df = pd.DataFrame({q: np.where(rng.random(rows) < np.array([0.3, 0.75])[z], "yes", "no") for q in items})
    df["x"], df["y"] = x, z + 0.5 * rng.normal(size=rows)
    X = (df[items] == "yes").astype(int).to_numpy()
    out = []
    t = time.perf_counter()
    step1 = tm.audience.latent_classes(df, items=items, classes=2, starts=5, seed=1)[2]
    t1 = time.perf_counter() - t
    hi = step1.profiles().xs("yes", level="category").mean()[step1.names].idxmax()
    sign = 1 if step1.names[1] == hi else -1
    for corr in (None, "BCH", "ML"):
        c = (corr or "none").lower()
        t = time.perf_counter()
        ry = step1.three_step(df, outcome="y", correction=c)
        rx = step1.three_step(df, covariates=["x"], correction=c)
        tt = t1 + time.perf_counter() - t
        o = ry.outcome
        diff = o.loc[hi, "mean"] - o.drop(index=hi)["mean"].iloc[0]
        slope = sign * rx.coefficients.loc[(step1.names[1], "x"), "estimate"]
        t = time.perf_counter()
        fits = {}
        for struct, Y in (("gaussian_diag", df[["y"]].to_numpy()), ("covariate", df[["x"]].to_numpy())):
            sp = {"method": "newton-raphson", "max_iter": 100, "tol": 1e-10} if struct == "covariate" else {}
            m = stepmix.StepMix(
                n_components=2,
                measurement="binary",
                structural=struct,
                structural_params=sp,
                n_steps=3,
                correction=corr,
                assignment="modal",
                n_init=5,
                abs_tol=1e-10,
                rel_tol=0.0,
                max_iter=5000,
                random_state=1,
                verbose=0,
                progress_bar=0,
            )
            m.fit(X, Y)
            fits[struct] = m
        ts = time.perf_counter() - t
        py = fits["gaussian_diag"].get_parameters()
        shi = int(np.argmax(np.asarray(py["measurement"]["pis"]).mean(axis=1)))
        mu = np.asarray(py["structural"]["means"]).ravel()
        beta = np.asarray(fits["covariate"].get_parameters()["structural"]["beta"])
        shi_x = int(np.argmax(np.asarray(fits["covariate"].get_parameters()["measurement"]["pis"]).mean(axis=1)))
        s_diff = mu[shi] - mu[1 - shi]
        s_slope = (beta[shi_x] - beta[1 - shi_x])[1]
        # Step 3 alone on StepMix's step-1 posterior.
        gap = 0.0
        for struct, kw in (("gaussian_diag", {"outcome": "y"}), ("covariate", {"covariates": ["x"]})):
            post = pd.DataFrame(fits[struct].predict_proba(X), index=df.index, columns=["c0", "c1"])
            r = tm.audience.three_step(post, df, correction=c, **kw)
            p = fits[struct].get_parameters()["structural"]
            mine = r.outcome["mean"].to_numpy() if struct == "gaussian_diag" else r.coefficients["estimate"].to_numpy()
            theirs = (
                np.asarray(p["means"]).ravel()
                if struct == "gaussian_diag"
                else np.asarray(p["beta"])[1] - np.asarray(p["beta"])[0]
            )
            gap = max(gap, float(np.abs(mine - theirs).max()))
        out.append((c, diff, o["se"].max(), slope, tt, s_diff, s_slope, ts, gap))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--stepmix-rows", type=int, default=100_000, help="cap on the rows StepMix gets (0 = skip)")
    ap.add_argument("--kmodes-rows", type=int, default=100_000, help="cap on the rows kmodes gets (0 = skip)")
    ap.add_argument("--classes", type=int, default=6)
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--tol", type=float, default=1e-8, help="relative LL tolerance (StepMix: abs_tol on the mean LL)")
    ap.add_argument(
        "--screening",
        type=int,
        default=0,
        help="also time two-stage starts: every start runs this many iterations, the best quarter converge",
    )
    ap.add_argument("--three-step-rows", type=int, default=20_000, help="rows of the three-step comparison (0 = skip)")
    args = ap.parse_args()
    print(f"cores {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
    for n in args.rows:
        x, z = make_survey(n)
        dt, f = bench_trustmix(x, args.classes, args.starts, args.tol)
        print(
            f"trustmix  N={n:>9,} x 20 items, {args.classes} classes, {args.starts} starts: {dt:7.2f} s, "
            f"max LL {f['log_likelihood']:.3f}, {f['starts_at_best']}/{args.starts} starts at best"
        )
        if args.screening:
            d2, f2 = bench_trustmix(x, args.classes, args.starts, args.tol, screening=args.screening)
            print(
                f"trustmix  N={n:>9,}, two-stage starts ({args.screening} iterations, "
                f"best {args.starts // 4} go on): "
                f"{d2:7.2f} s, max LL {f2['log_likelihood']:.3f}"
            )
        if args.stepmix_rows and n <= args.stepmix_rows:
            # StepMix's abs_tol is on the mean LL per respondent: tol x |mean LL| is the same step.
            st_tol = args.tol * abs(f["log_likelihood"]) / n
            ds, ll = bench_stepmix(x, args.classes, args.starts, st_tol)
            print(
                f"stepmix   N={n:>9,}: {ds:7.2f} s, max LL {ll:.3f}  -> trustmix is {ds / dt:5.1f}x faster, "
                f"LL difference {f['log_likelihood'] - ll:+.3f}"
            )
        if args.kmodes_rows and n <= args.kmodes_rows:
            dk, labels = bench_kmodes(x, args.classes, args.starts)
            modal = np.asarray(f["posterior"]).argmax(1)
            print(
                f"kmodes    N={n:>9,}: {dk:7.2f} s, ARI vs truth {adjusted_rand(labels, z):.3f}; "
                f"trustmix modal classes ARI {adjusted_rand(modal, z):.3f} ({dk / dt:5.1f}x the time of trustmix)"
            )
    dr, err = bench_reach()
    print(f"reach     1,000 NBD curves x 8 points: {dr:.3f} s, median |k_hat / k - 1| = {err:.3f} (1% noise)")
    if args.three_step_rows:
        n = args.three_step_rows
        print(f"three-step N={n:,} (truth: mean difference 1, slope 1); trustmix = step 1 + both step-3 fits")
        for c, diff, se, slope, tt, s_diff, s_slope, ts, gap in bench_three_step(n):
            print(
                f"  {c:>4}: trustmix diff {diff:.4f} (se {se:.4f}) slope {slope:.4f} in {tt:6.3f} s | "
                f"stepmix diff {s_diff:.4f} slope {s_slope:.4f} in {ts:6.3f} s ({ts / tt:5.1f}x) | "
                f"step 3 on StepMix's posterior: max |diff| {gap:.1e}"
            )


if __name__ == "__main__":
    main()
