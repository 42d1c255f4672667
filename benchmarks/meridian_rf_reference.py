"""Google Meridian's posterior ROI of the reach-and-frequency channel on Meridian's national
RF example: the reference side of ``bench_mmm.py --parts meridian_rf``.

Run by that benchmark in the interpreter that has ``google-meridian`` (it pulls TensorFlow;
``TRUSTMIX_MERIDIAN_PYTHON`` may name a separate virtualenv's python). Prints one JSON line:
per channel the posterior draws' mean, sd and bulk ESS of Meridian's ROI (incremental
revenue / spend over the data), the wall time and the settings.

    python benchmarks/meridian_rf_reference.py CSV --chains 2 --adapt 500 --burnin 500 --keep 500
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

    df = pd.read_csv(a.csv)
    media = [c[: -len("_impression")] for c in df.columns if c.endswith("_impression")]
    rf = [c[: -len("_reach")] for c in df.columns if c.endswith("_reach")]
    media = [c for c in media if c not in rf]
    controls = [c for c in df.columns if c.endswith("_control")]
    cols = load.CoordToColumns(
        time="time",
        controls=controls,
        kpi="conversions",
        revenue_per_kpi="revenue_per_conversion",
        media=[f"{c}_impression" for c in media],
        media_spend=[f"{c}_spend" for c in media],
        reach=[f"{c}_reach" for c in rf],
        frequency=[f"{c}_frequency" for c in rf],
        rf_spend=[f"{c}_spend" for c in rf],
    )
    loader = load.CsvDataLoader(
        csv_path=a.csv,
        kpi_type="non_revenue",
        coord_to_columns=cols,
        media_to_channel={f"{c}_impression": c for c in media},
        media_spend_to_channel={f"{c}_spend": c for c in media},
        reach_to_channel={f"{c}_reach": c for c in rf},
        frequency_to_channel={f"{c}_frequency": c for c in rf},
        rf_spend_to_channel={f"{c}_spend": c for c in rf},
    )
    data = loader.load()
    mmm = model.Meridian(input_data=data, model_spec=spec.ModelSpec(max_lag=a.max_lag))
    t0 = time.perf_counter()
    mmm.sample_posterior(n_chains=a.chains, n_adapt=a.adapt, n_burnin=a.burnin, n_keep=a.keep, seed=a.seed)
    wall = time.perf_counter() - t0
    roi = np.asarray(analyzer.Analyzer(mmm).roi())  # (chains, draws, media channels then RF channels)
    names = media + rf
    out = {"wall_s": wall, "chains": a.chains, "keep": a.keep, "max_lag": a.max_lag, "channels": {}}
    for k, name in enumerate(names):
        x = roi[..., k]
        out["channels"][name] = {
            "mean": float(x.mean()),
            "sd": float(x.std(ddof=1)),
            "ess": float(az.ess(x.reshape(x.shape[0], -1))),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
