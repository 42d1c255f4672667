"""Google Meridian's posterior ROI per channel on Meridian's simulated geo example: the
reference side of ``bench_geo_peers.py``.

Run in the interpreter that has ``google-meridian`` (it pulls TensorFlow; the benchmark
calls it through ``TRUSTMIX_MERIDIAN_PYTHON``, a separate virtualenv's python). Fits
Meridian's geo model with its default specification (geometric adstock, Hill saturation,
log-normal geo effects around each channel's mean, population scaling, ROI priors
LogNormal(0.2, 0.9)) and prints one JSON line: per channel the posterior draws' mean, sd and
bulk ESS of Meridian's ROI (incremental revenue / spend over all geos and weeks), the
sampling wall and CPU time (all threads), the number of divergent transitions and the settings.

    python benchmarks/meridian_geo_reference.py CSV --chains 2 --adapt 500 --burnin 500 --keep 500
"""

from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--adapt", type=int, default=500)
    ap.add_argument("--burnin", type=int, default=500)
    ap.add_argument("--keep", type=int, default=500)
    ap.add_argument("--max-lag", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    import arviz as az
    import numpy as np
    import pandas as pd
    from meridian.analysis import analyzer
    from meridian.data import load
    from meridian.model import model, spec

    df = pd.read_csv(a.csv, nrows=1)
    media = [c[: -len("_impression")] for c in df.columns if c.endswith("_impression")]
    controls = [c for c in df.columns if c.endswith("_control")]
    cols = load.CoordToColumns(
        geo="geo",
        time="time",
        population="population",
        controls=controls,
        kpi="conversions",
        revenue_per_kpi="revenue_per_conversion",
        media=[f"{c}_impression" for c in media],
        media_spend=[f"{c}_spend" for c in media],
    )
    loader = load.CsvDataLoader(
        csv_path=a.csv,
        kpi_type="non_revenue",
        coord_to_columns=cols,
        media_to_channel={f"{c}_impression": c for c in media},
        media_spend_to_channel={f"{c}_spend": c for c in media},
    )
    data = loader.load()
    mmm = model.Meridian(input_data=data, model_spec=spec.ModelSpec(max_lag=a.max_lag))
    t0, c0 = time.perf_counter(), time.process_time()
    mmm.sample_posterior(n_chains=a.chains, n_adapt=a.adapt, n_burnin=a.burnin, n_keep=a.keep, seed=a.seed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    roi = np.asarray(analyzer.Analyzer(mmm).roi())  # (chains, draws, channels)
    div = mmm.inference_data.sample_stats.get("diverging")
    out = {
        "wall_s": wall,
        "cpu_s": cpu,
        "chains": a.chains,
        "adapt": a.adapt,
        "burnin": a.burnin,
        "keep": a.keep,
        "max_lag": a.max_lag,
        "divergences": int(np.asarray(div).sum()) if div is not None else None,
        "channels": {},
    }
    for k, name in enumerate(media):
        x = roi[..., k]
        out["channels"][name] = {
            "mean": float(x.mean()),
            "sd": float(x.std(ddof=1)),
            "ess": float(az.ess(x.reshape(x.shape[0], -1))),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
