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
from typing import Any


def reference_arguments() -> argparse.Namespace:
    """The command line both Meridian reference scripts take (this one and
    meridian_geo_reference.py)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--adapt", type=int, default=500)
    ap.add_argument("--burnin", type=int, default=500)
    ap.add_argument("--keep", type=int, default=500)
    ap.add_argument("--max-lag", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    return ap.parse_args()


def sample_and_report(mmm: Any, names: list[str], a: argparse.Namespace) -> None:
    """Samples Meridian's posterior with ``a``'s settings and prints one JSON line: the
    sampling wall and CPU time (all threads), divergent transitions, and per channel (in
    Meridian's order: media, then RF) the mean, sd and bulk ESS of its ROI draws."""
    import arviz as az
    import numpy as np
    from meridian.analysis import analyzer

    t0, c0 = time.perf_counter(), time.process_time()
    mmm.sample_posterior(n_chains=a.chains, n_adapt=a.adapt, n_burnin=a.burnin, n_keep=a.keep, seed=a.seed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    roi = np.asarray(analyzer.Analyzer(mmm).roi())  # (chains, draws, channels)
    div = mmm.inference_data.sample_stats.get("diverging")
    out: dict[str, Any] = {
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
    for k, name in enumerate(names):
        x = roi[..., k]
        out["channels"][name] = {
            "mean": float(x.mean()),
            "sd": float(x.std(ddof=1)),
            "ess": float(az.ess(x.reshape(x.shape[0], -1))),
        }
    print(json.dumps(out))


def main() -> None:
    a = reference_arguments()

    import pandas as pd
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
    sample_and_report(mmm, media + rf, a)


if __name__ == "__main__":
    main()
