"""The geo panel model against Google Meridian on Meridian's own simulated geo example
(issue 20), side by side in one run.

Data: ``../shared/data/meridian_geo_media.csv`` (20 geos x 156 weeks, four channels with
impressions and spend, two controls, conversions, revenue per conversion, population;
simulated by Meridian's authors). trustmix fits ``tm.mmm.PanelMMM`` with the arguments of
``tm.mmm.read_meridian_panel`` (trust off, population scaling, every channel a geo channel
with log-normal geo effects around the channel's median, adstock and saturation shared by
the geos, controls, value per conversion the conversion-weighted mean revenue per
conversion) and ``--max-lag`` 8 as Meridian's. Meridian fits its default geo model
(``benchmarks/meridian_geo_reference.py``) in the interpreter named by
``TRUSTMIX_MERIDIAN_PYTHON`` (TensorFlow is heavy: a separate virtualenv), or its saved JSON
line is read with ``--meridian-json``.

Both report per channel the posterior mean, sd and bulk ESS of ROI = incremental revenue /
spend over all geos and weeks, and the sampling wall time and CPU time (all threads: on a
shared machine the CPU time is the fairer measure of work); the table gives z = (difference
of means) / (Monte Carlo standard error of the difference) and the difference in units of
Meridian's posterior sd, the wall-time ratio and min ESS per second. The models are matched
where both have the part, including Meridian's default ROI prior LogNormal(0.2, 0.9) on every
channel (``--roi-prior meridian``, the default; PanelMMM's ``priors={"roi": ...}``) and ROI
counted within the data (``--horizon 0``); where they differ (Meridian: Hill saturation, a
time effect for every week shared by the geos; trustmix: the logistic curve tanh(lam a / 2),
per-geo intercept and trend with two seasonal harmonics) the ROIs need not agree, and the
table says how far apart they are.

    PYTHONPATH=python python benchmarks/bench_geo_peers.py --chains 2 --tune 1000 --draws 500 \\
        [--meridian-json out.json | TRUSTMIX_MERIDIAN_PYTHON=/path/to/venv/bin/python] \\
        [--pymc-json benchmarks/pymc_marketing_geo_reference_2chains_500.json]

Matching options (docs/benchmarks.md): ``--saturation hill [--ec-range LOW HIGH]`` Meridian's
Hill curve with slope 1 and a LogNormal ec prior, ``--time-effects`` its week effects
(``PanelMMM(time_effects=True)``: one effect per week shared by the geos, pooled completely
whatever the controls' pooling), ``--pooling controls=partial`` its per-geo control effects,
``--prior NAME=VALUE`` any numeric PanelMMM prior. ``--pymc-json`` adds a second table
against PyMC-Marketing's multidimensional MMM (``benchmarks/pymc_marketing_geo_reference.py``,
matched to ``--roi-prior none``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import trustmix as tm
from trustmix import _core

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "meridian_geo_media.csv"


# Meridian's default ROI prior, LogNormal(0.2, 0.9) on incremental revenue / spend, in
# trustmix's business terms: the 90% range of 1 + ROI, [exp(0.2 - z 0.9), exp(0.2 + z 0.9)]
# (z the 95% normal quantile), which PanelMMM turns back into the same LogNormal.
Z95 = 1.6448536269514722
MERIDIAN_ROI_RANGE = (float(np.exp(0.2 - Z95 * 0.9) - 1.0), float(np.exp(0.2 + Z95 * 0.9) - 1.0))
# Meridian's default prior on Hill's half-saturation point ec (media over its median non-zero
# per-capita value): TruncatedNormal(0.8, 0.8) on [0.1, 10], 90% range [0.212, 2.196]. PanelMMM's
# Hill ec is a LogNormal over the mean non-zero per-capita activity (median / mean is 0.98-0.99
# on this example): the LogNormal with the same 5% and 95% quantiles (its median 0.68 against
# the truncated Normal's 0.99: the part of the prior not matched).
MERIDIAN_EC_RANGE = (0.212, 2.196)


def trustmix_side(
    csv: Path,
    chains: int,
    tune: int,
    draws: int,
    max_lag: int,
    seed: int,
    roi_prior: str = "meridian",
    horizon: int = 0,
    time_effects: bool = False,
    saturation: str = "logistic",
    ec_range: tuple[float, float] = MERIDIAN_EC_RANGE,
    pooling: dict[str, str] | None = None,
    prior_settings: dict[str, float] | None = None,
) -> dict[str, Any]:
    df, kwargs = tm.mmm.read_meridian_panel(csv)
    if pooling:
        kwargs["pooling"] = dict(pooling)
    kwargs["priors"] = {}
    if roi_prior == "meridian":
        kwargs["priors"]["roi"] = {c: MERIDIAN_ROI_RANGE for c in kwargs["channels"]}
    if saturation == "hill":  # Meridian's curve for impressions: slope 1, its ec prior's 90% range
        kwargs["saturation"], kwargs["hill_slope"] = "hill", 1.0
        if not {"hill_ec_mean", "hill_ec_sd"} & set(prior_settings or {}):  # else Meridian's Normal family
            kwargs["priors"]["hill_ec"] = ec_range
    kwargs["priors"].update(prior_settings or {})
    if time_effects:  # Meridian's geo default: an effect for every week shared by the geos
        kwargs["time_effects"] = True
        kwargs["seasonality"], kwargs["trend"] = 0, False
    model = tm.mmm.PanelMMM(df, **kwargs, max_lag=max_lag)
    t, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit("nuts", chains=chains, draws=draws, tune=tune, seed=seed, progress=False)
    wall, cpu = time.perf_counter() - t, time.process_time() - c0
    post = fit.posterior
    z = fit.draws(None)  # chains concatenated, in order
    value = 1.0 if model.value_per_outcome is None else float(model.value_per_outcome)
    out: dict[str, Any] = {"wall_s": wall, "cpu_s": cpu, "divergences": int(post.divergences), "channels": {}}
    G, C = len(model.geos), len(model.channel_names)
    spend = np.array([model.spend_by_geo[c].sum(axis=0) for c in range(C)], dtype=float)
    inc = np.asarray(
        _core.mmm.panel_roi(
            model._core,
            np.ascontiguousarray(z),
            spend,
            horizon=horizon,
            outcome_scale=float(model._scales.y_scale),
            population=model.population,
        ).incremental_total
    )
    for c, name in enumerate(model.channel_names):
        # gross (incremental value / spend), Meridian's "ROI"; trustmix's own roi is net (roas - 1)
        roi = inc[:, c * (G + 1) + G] * value / float(spend[c].sum())  # the rolled-up column
        per_chain = roi.reshape(chains, -1)
        out["channels"][name.removesuffix("_impression")] = {
            "mean": float(roi.mean()),
            "sd": float(roi.std(ddof=1)),
            "ess": float(tm.inference.ess_bulk(per_chain)),
        }
    s = post.summary()
    out["max_rhat"] = float(s["r_hat"].max())
    out["min_ess_bulk"] = float(s["ess_bulk"].min())
    return out


def meridian_side(args: argparse.Namespace) -> dict[str, Any] | None:
    if args.meridian_json:
        return dict(json.loads(Path(args.meridian_json).read_text().strip().splitlines()[-1]))
    py = os.environ.get("TRUSTMIX_MERIDIAN_PYTHON")
    if not py:
        print("Meridian: skipped (set TRUSTMIX_MERIDIAN_PYTHON to a python with google-meridian, or --meridian-json)")
        return None
    cmd = [py, str(HERE / "meridian_geo_reference.py"), str(args.data), "--chains", str(args.chains)]
    cmd += ["--adapt", str(args.tune // 2), "--burnin", str(args.tune - args.tune // 2), "--keep", str(args.draws)]
    cmd += ["--max-lag", str(args.max_lag)]
    res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if res.returncode != 0:
        print(res.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"Meridian's run failed (exit {res.returncode})")
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def compare(tmx: dict[str, Any], mer: dict[str, Any] | None, peer: str = "meridian") -> pd.DataFrame:
    """Per channel: both sides' posterior mean, sd and ESS of the ROI, z = difference / its
    Monte Carlo standard error, and the difference in units of the peer's posterior sd."""
    rows = []
    for ch, a in tmx["channels"].items():
        row = {"channel": ch, "trustmix_roi": a["mean"], "trustmix_sd": a["sd"], "trustmix_ess": a["ess"]}
        if mer is not None and ch in mer["channels"]:
            b = mer["channels"][ch]
            mcse = np.hypot(a["sd"] / np.sqrt(a["ess"]), b["sd"] / np.sqrt(b["ess"]))
            row |= {
                f"{peer}_roi": b["mean"],
                f"{peer}_sd": b["sd"],
                f"{peer}_ess": b["ess"],
                "z_mcse": (a["mean"] - b["mean"]) / mcse,
                f"diff_in_{peer}_sd": (a["mean"] - b["mean"]) / b["sd"],
            }
        rows.append(row)
    return pd.DataFrame(rows).set_index("channel")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--max-lag", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--meridian-json", default="")
    ap.add_argument(
        "--pymc-json",
        default="",
        help="PyMC-Marketing's saved JSON line (benchmarks/pymc_marketing_geo_reference.py): a second table",
    )
    ap.add_argument(
        "--roi-prior",
        choices=["meridian", "none"],
        default="meridian",
        help="trustmix's effect prior: Meridian's ROI prior LogNormal(0.2, 0.9) (default) or the effect's HalfNormal",
    )
    ap.add_argument(
        "--horizon",
        type=int,
        default=0,
        help="periods after the data counted in trustmix's ROI (0: within the data, as Meridian's ROI)",
    )
    ap.add_argument(
        "--time-effects",
        action="store_true",
        help="trustmix's baseline as Meridian's: a week effect shared by the geos (dummy controls) instead of "
        "trend and seasonality",
    )
    ap.add_argument(
        "--saturation",
        choices=["logistic", "hill"],
        default="logistic",
        help="trustmix's saturation curve: its logistic (default) or Meridian's Hill with slope 1 and a LogNormal "
        "ec prior over Meridian's 90%% range",
    )
    ap.add_argument(
        "--ec-range",
        type=float,
        nargs=2,
        default=MERIDIAN_EC_RANGE,
        metavar=("LOW", "HIGH"),
        help="with --saturation hill: the 90%% range of trustmix's LogNormal ec prior (default: the 5%% and 95%% "
        "quantiles of Meridian's TruncatedNormal)",
    )
    ap.add_argument(
        "--pooling",
        nargs="*",
        default=[],
        metavar="GROUP=KIND",
        help="PanelMMM pooling overrides, e.g. controls=partial (Meridian's controls vary by geo around a mean)",
    )
    ap.add_argument(
        "--prior",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="PanelMMM numeric prior settings, e.g. effect_pool_sd=1 (Meridian's eta_m ~ HalfNormal(1)); "
        "hill_ec_mean=0.8 hill_ec_sd=0.8 gives ec Meridian's Normal family (truncated at 0) instead of --ec-range",
    )
    args = ap.parse_args()

    tmx = trustmix_side(
        args.data,
        args.chains,
        args.tune,
        args.draws,
        args.max_lag,
        args.seed,
        args.roi_prior,
        args.horizon,
        args.time_effects,
        args.saturation,
        tuple(args.ec_range),
        dict(p.split("=", 1) for p in args.pooling),
        {k: float(v) for k, v in (p.split("=", 1) for p in args.prior)},
    )
    print(f"trustmix: {json.dumps(tmx)}", flush=True)
    mer = meridian_side(args)
    if mer is not None:
        print(f"meridian: {json.dumps(mer)}", flush=True)
    table = compare(tmx, mer)
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print(
        f"trustmix: {tmx['wall_s']:.1f} s ({tmx['cpu_s']:.1f} s CPU), {tmx['divergences']} divergences, "
        f"max R-hat {tmx['max_rhat']:.3f}, "
        f"min bulk ESS of the parameters {tmx['min_ess_bulk']:.0f}"
    )
    if mer is not None:
        ess_t = min(a["ess"] for a in tmx["channels"].values()) / tmx["cpu_s"]
        ess_m = min(b["ess"] for b in mer["channels"].values()) / mer["cpu_s"]
        print(
            f"Meridian: {mer['wall_s']:.1f} s ({mer['cpu_s']:.1f} s CPU), {mer.get('divergences')} divergences; "
            "wall time Meridian / trustmix "
            f"{mer['wall_s'] / tmx['wall_s']:.1f}x, CPU time Meridian / trustmix {mer['cpu_s'] / tmx['cpu_s']:.1f}x; "
            f"min ROI ESS per CPU second trustmix {ess_t:.2f} against Meridian {ess_m:.3f} ({ess_t / ess_m:.1f}x)"
        )
    if args.pymc_json:
        pmm = dict(json.loads(Path(args.pymc_json).read_text().strip().splitlines()[-1]))
        print(f"pymc-marketing: {json.dumps(pmm)}", flush=True)
        print(compare(tmx, pmm, "pymc").to_string(float_format=lambda v: f"{v:.3f}"))
        ess_t = min(a["ess"] for a in tmx["channels"].values()) / tmx["cpu_s"]
        ess_p = min(b["ess"] for b in pmm["channels"].values()) / pmm["cpu_s"]
        print(
            f"PyMC-Marketing ({pmm.get('sampler', '?')} sampler): {pmm['wall_s']:.1f} s ({pmm['cpu_s']:.1f} s CPU), "
            f"{pmm.get('divergences')} divergences; wall time PyMC-Marketing / trustmix "
            f"{pmm['wall_s'] / tmx['wall_s']:.1f}x, CPU time {pmm['cpu_s'] / tmx['cpu_s']:.1f}x; min ROI ESS per CPU "
            f"second trustmix {ess_t:.2f} against PyMC-Marketing {ess_p:.3f} ({ess_t / ess_p:.1f}x)"
        )


if __name__ == "__main__":
    main()
