"""Benchmark: trustmix NUTS vs PyMC's NUTS (and nutpie if installed).

Same targets, same chains/draws/tune, in one run:
  * a 100-dimensional correlated Gaussian (AR(1) correlation 0.9, scales 0.5..2 geometric),
  * eight schools, non-centred.
Reports wall time including model compilation, sampling time, the smallest bulk ESS
over parameters (computed by ArviZ for every library, so all are measured alike), ESS
per second (over the whole wall time) and ESS per gradient evaluation (warm-up
included), and agreement of posterior means with trustmix's (in posterior sds).

Run:  PYTHONPATH=python python3 benchmarks/bench_inference.py [--chains 4 --draws 1000 --tune 1000 --cores 2]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

warnings.simplefilter("ignore", FutureWarning)

import arviz as az  # noqa: E402

import trustmix.inference as ti  # noqa: E402

Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


def gaussian_setup(d: int = 100):
    scales = np.geomspace(0.5, 2.0, d)
    cov = ti.CorrelatedGaussian.ar1_covariance(scales, 0.9)
    return np.zeros(d), cov


def min_ess(posterior_arrays: list[np.ndarray]) -> float:
    """Smallest ArviZ bulk ESS over all scalar components; arrays are (chain, draw, ...)."""
    worst = np.inf
    for a in posterior_arrays:
        flat = a.reshape(a.shape[0], a.shape[1], -1)
        for k in range(flat.shape[2]):
            worst = min(worst, float(az.ess(np.ascontiguousarray(flat[:, :, k]), method="bulk")))
    return worst


def run_trustmix(name, target, args, metric="diag"):
    t0 = time.perf_counter()
    fit = ti.sample(
        target,
        chains=args.chains,
        draws=args.draws,
        tune=args.tune,
        seed=1,
        metric=metric,
        threads=args.cores,
        progress=False,
    )
    wall = time.perf_counter() - t0
    ess = min_ess([fit.draws])
    return dict(
        library=f"trustmix ({metric})",
        target=name,
        wall_s=wall,
        sampling_s=fit.seconds,
        min_ess=ess,
        grads=float(fit.gradient_evaluations.sum()),
        means=fit.draws.reshape(-1, fit.draws.shape[2]).mean(0),
        sds=fit.draws.reshape(-1, fit.draws.shape[2]).std(0),
        divergences=fit.divergences,
    )


def pymc_model(name):
    import pymc as pm

    with pm.Model() as model:
        if name == "gaussian100":
            mean, cov = gaussian_setup()
            pm.MvNormal("x", mu=mean, cov=cov)
        else:
            mu = pm.Normal("mu", 0.0, 5.0)
            tau = pm.HalfCauchy("tau", 5.0)
            eta = pm.Normal("eta", 0.0, 1.0, shape=8)
            pm.Normal("y", mu + tau * eta, SIGMA, observed=Y)
    return model


def flatten_pymc(idata, name):
    post = idata.posterior
    if name == "gaussian100":
        arrays = [post["x"].values]
    else:
        arrays = [post["mu"].values[..., None], post["tau"].values[..., None], post["eta"].values]
    stacked = np.concatenate([a.reshape(a.shape[0], a.shape[1], -1) for a in arrays], axis=2)
    return stacked


def run_pymc(name, args):
    import pymc as pm

    t0 = time.perf_counter()
    model = pymc_model(name)
    with model:
        idata = pm.sample(
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            cores=args.cores,
            random_seed=1,
            progressbar=False,
            discard_tuned_samples=False,
            compute_convergence_checks=False,
        )
    wall = time.perf_counter() - t0
    grads = float(idata.sample_stats["n_steps"].sum() + idata.warmup_sample_stats["n_steps"].sum())
    draws = flatten_pymc(idata, name)
    sampling = float(idata.posterior.attrs.get("sampling_time", np.nan))
    return dict(
        library="PyMC NUTS",
        target=name,
        wall_s=wall,
        sampling_s=sampling,
        min_ess=min_ess([draws]),
        grads=grads,
        means=draws.reshape(-1, draws.shape[2]).mean(0),
        sds=draws.reshape(-1, draws.shape[2]).std(0),
        divergences=int(idata.sample_stats["diverging"].sum()),
    )


def run_nutpie(name, args):
    import nutpie

    t0 = time.perf_counter()
    compiled = nutpie.compile_pymc_model(pymc_model(name))
    t1 = time.perf_counter()
    idata = nutpie.sample(
        compiled,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        cores=args.cores,
        seed=1,
        progress_bar=False,
        save_warmup=True,
    )
    wall = time.perf_counter() - t0
    grads = float(idata.sample_stats["n_steps"].sum() + idata.warmup_sample_stats["n_steps"].sum())
    draws = flatten_pymc(idata, name)
    return dict(
        library="nutpie",
        target=name,
        wall_s=wall,
        sampling_s=time.perf_counter() - t1,
        min_ess=min_ess([draws]),
        grads=grads,
        means=draws.reshape(-1, draws.shape[2]).mean(0),
        sds=draws.reshape(-1, draws.shape[2]).std(0),
        divergences=int(idata.sample_stats["diverging"].sum()),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--skip-pymc", action="store_true")
    args = parser.parse_args()

    mean, cov = gaussian_setup()
    targets = {"gaussian100": ti.CorrelatedGaussian(mean, cov), "eight_schools": ti.EightSchools()}
    rows = []
    for name, target in targets.items():
        rows.append(run_trustmix(name, target, args, "diag"))
        if name == "gaussian100":
            rows.append(run_trustmix(name, target, args, "dense"))
        if not args.skip_pymc:
            for runner in (run_pymc, run_nutpie):
                try:
                    rows.append(runner(name, args))
                except ImportError as exc:
                    print(f"# {runner.__name__} skipped: {exc}")
    print(f"# chains={args.chains} draws={args.draws} tune={args.tune} cores={args.cores}")
    header = (
        "target",
        "library",
        "wall s (incl. compile)",
        "sampling s",
        "min ESS bulk",
        "ESS/s (wall)",
        "ESS/gradient",
        "divergences",
        "max |mean diff| / sd vs trustmix",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    ref = {}
    for r in rows:
        if r["library"] == "trustmix (diag)":
            ref[r["target"]] = r
        base = ref[r["target"]]
        diff = float(np.max(np.abs(r["means"] - base["means"]) / base["sds"]))
        print(
            f"| {r['target']} | {r['library']} | {r['wall_s']:.2f} | {r['sampling_s']:.2f} | {r['min_ess']:.0f} | "
            f"{r['min_ess'] / r['wall_s']:.0f} | {r['min_ess'] / r['grads']:.4f} | {r['divergences']} | {diff:.3f} |"
        )
    for name in targets:
        tm = ref[name]
        for r in rows:
            if r["target"] == name and r["library"] != tm["library"] and not r["library"].startswith("trustmix"):
                ratio = (tm["min_ess"] / tm["wall_s"]) / (r["min_ess"] / r["wall_s"])
                print(f"# {name}: trustmix (diag) ESS/s is {ratio:.0f}x {r['library']}")


if __name__ == "__main__":
    main()
