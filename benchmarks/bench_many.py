"""Many models at once on Dask (issue 20): 200 national trust-linked models fitted on a
``distributed.LocalCluster`` with 1 and with 2 worker processes (1 thread each), timed;
the two collections must be identical bit for bit (and equal to fitting one by one for a
few models), and the speedup of 2 workers over 1 is printed (goal >= 1.7x), with the share of
the wall time the workers spent fitting (a speedup needs two free cores: on a loaded
machine each fit slows down instead) and the load average.

Each model is a weekly panel of ``--periods`` weeks from ``tm.mmm.simulate_trust_data``
(PR and events building trust, Instagram and TikTok converting, a trust survey every 4
weeks, one crisis), seed k for market k, fitted with NUTS (``--chains`` x (``--tune`` +
``--draws``), chains one after the other on the worker's one thread).

    PYTHONPATH=python python benchmarks/bench_many.py            # 200 models, about 3-5 minutes
    PYTHONPATH=python python benchmarks/bench_many.py --models 20 --json /tmp/many.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from typing import Any

import numpy as np

import trustmix as tm
from trustmix.mmm import ManyFits, TrustMMM, fit_many, model_seed

MODEL: dict[str, Any] = dict(
    date="week",
    outcome="conversions",
    channels={"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"},
    tracker="trust_survey",
    shocks=["crisis"],
    seasonality=2,
    max_lag=8,
    value_per_outcome=150.0,
    noise="iid",
)  # as recorded in docs/benchmarks.md (before the AR(1) default)


def identical(a: ManyFits, b: ManyFits) -> bool:
    if list(a.fits) != list(b.fits) or a.failed != b.failed:
        return False
    for name, f in a.fits.items():
        g = b.fits[name]
        if not np.array_equal(f.z, g.z):
            return False
        if (f.posterior is None) != (g.posterior is None):
            return False
        if f.posterior is not None and not np.array_equal(f.posterior.draws, g.posterior.draws):
            return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=200)
    ap.add_argument("--periods", type=int, default=104)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--draws", type=int, default=100)
    ap.add_argument("--tune", type=int, default=100)
    ap.add_argument("--check-loop", type=int, default=5, help="models also fitted one by one and compared")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    warnings.simplefilter("ignore")  # short chains: R-hat/ESS notes per model are expected here
    data = {f"market_{k:03d}": tm.mmm.simulate_trust_data(args.periods, seed=k)[0] for k in range(args.models)}
    fit = dict(method="nuts", chains=args.chains, draws=args.draws, tune=args.tune, restarts=1, seed=2026)
    results: dict[str, Any] = {"models": args.models, "periods": args.periods, "fit": fit, "runs": []}
    collections: list[ManyFits] = []
    for workers in (1, 2):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,  # type: ignore[no-untyped-call]
            dashboard_address=None,
        )
        with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
            client.run(lambda: __import__("warnings").simplefilter("ignore"))
            fit_many(dict(list(data.items())[:workers]), model=MODEL, fit=fit, engine="dask", client=client)  # warm-up
            t0 = time.perf_counter()
            many = fit_many(data, model=MODEL, fit=fit, engine="dask", client=client)
            seconds = time.perf_counter() - t0
        collections.append(many)
        fit_seconds = float(sum(many.seconds.values()))
        load = os.getloadavg()[0]
        results["runs"].append(
            {
                "workers": workers,
                "seconds": seconds,
                "fits_per_second": args.models / seconds,
                "sum_fit_seconds": fit_seconds,
                "busy": fit_seconds / (seconds * workers),
                "failed": len(many.failed),
                "load_average_1min_after": load,
            }
        )
        print(
            f"{workers} worker(s): {seconds:8.1f} s wall, {args.models / seconds:6.2f} fits/s, "
            f"sum of per-model fit times {fit_seconds:.1f} s (workers busy {fit_seconds / (seconds * workers):.0%}), "
            f"failed {len(many.failed)}, load average after {load:.1f}",
            flush=True,
        )
    same = identical(collections[0], collections[1])
    loop_ok = True
    for name in list(data)[: args.check_loop]:
        one = TrustMMM(data[name], **MODEL).fit(**{**fit, "seed": model_seed(2026, name), "progress": False})
        f = collections[1].fits[name]
        loop_ok = loop_ok and np.array_equal(one.z, f.z) and np.array_equal(one.posterior.draws, f.posterior.draws)
    speedup = results["runs"][0]["seconds"] / results["runs"][1]["seconds"]
    results.update(identical=same, equal_to_loop=loop_ok, speedup=speedup)
    summary = collections[1].summary()
    results["divergences_total"] = int(summary.groupby(level="model")["divergences"].first().sum())
    print(
        f"identical results 1 vs 2 workers: {same}; equal to fitting one by one ({args.check_loop} models): {loop_ok}"
    )
    print(f"speedup 2 workers / 1 worker: {speedup:.2f}x (goal >= 1.7x)")
    cols = [
        "incremental_total",
        "incremental_total_low",
        "incremental_total_high",
        "roi_total",
        "divergences",
        "r_hat_max",
        "seconds",
    ]
    print(summary[cols].head(8).to_string())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
