"""Calibration of TrustMMM by lift tests, checked against the simulator's truth (issue 17).

The loop a team runs, in worlds the model did not write (the people-level simulator of
``tm.simulate``; the worlds of ``benchmarks/validate_worlds.py``):

1. the national (reference) world is simulated and its weekly panel is the model's data,
   exactly as in validate_worlds.py (paid channels by spend, the others by impressions,
   the survey as tracker, crises as shocks);
2. a geo holdout in the same world: ``tm.simulate.geo_experiment`` runs the world in
   ``--regions`` heterogeneous regions (sizes, audience mixes and conversion rates drawn by
   ``make_regions``), the tested channel (the paid conversion channel with the largest
   spend) goes dark in ``--treated`` of them for ``--weeks`` weeks inside its flight;
3. ``tm.evaluate.synthetic_control`` estimates the holdout's lift over the window and
   ``--cooldown`` weeks after it (the simulator's conversions lag exposure by up to four
   weeks) with its conformal interval, ``.as_lift_test(channel=c)`` turns it into a lift
   test (window, cooldown, lift, standard error);
4. the test is mapped to the national model: a region of size s is the reference world
   scaled by s, so the reference world's lift from the channel's activity over the window
   is -(measured lift) / S, S the treated regions' summed size, with share = 1 (without
   the test the window's activity would be absent), standard error / S, and a transfer
   standard deviation of ``--transfer`` x |lift| for the regions' different mixes and
   conversion rates;
5. the model is fitted without and with the test (NUTS, the same seed) and the tested
   channel's incremental conversions over the data (``fit.roi``'s estimand, the truth
   ``truth_for`` of the simulator, as in validate_worlds.py) are compared with the truth.

Reported: coverage of the 50% and 90% intervals without and with the test, their median
width / |truth|, median absolute relative error, and per world the measured lift against
the holdout's true lift (the exact expected-value chain, mapped the same way); and, for
the test's own window, how often the model's predicted lift covers the holdout's true
lift and its median relative error (without and with the term).

The model's configuration is ``--config`` (default: the model's own defaults, AR(1)
residuals; ``iid``: the configuration of the runs recorded before the AR(1) default;
``bounded_share``: the bounded trust stock with the tracker measuring the share, AR(1)),
with ``--option key=value`` overrides (noise, trust_form, tracker_share, link, likelihood).
Per world it also reports the calibration term's own estimand, the national (reference)
world's lift from the window's activity over the measured periods (the same holdout run on
one region that is the reference world), and the tested channel's posterior adstock
(alpha, half-life), lam and residual phi without and with the test.

Run (the numbers in docs/validation.md)::

    PYTHONPATH=python python benchmarks/validate_calibration.py --presets --worlds 20 --transfer 0.05
    ... --presets --worlds 20 --transfer 0.05 --config bounded_share
    PYTHONPATH=python python benchmarks/validate_calibration.py --quick     # 3 worlds, short NUTS
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import trustmix as tm

ROOT = Path(__file__).resolve().parents[1]

# The model's configurations (--config; --option key=value overrides one entry). None: the
# model's own default (noise None is AR(1) residuals for the normal likelihood since the
# fourth session). trust_form and tracker_share apply to worlds with trust only.
CONFIGS: dict[str, dict[str, Any]] = {
    # since the eighteenth session the model's default follows the tracker: the simulator's
    # survey is a share, so worlds with trust get the bounded share measured by the survey
    "default": {"noise": None},
    # the default of the runs recorded before the eighteenth session: the linear index
    "linear": {"noise": None, "trust_form": "linear"},
    # the configuration of the runs recorded before the AR(1) default
    "iid": {"noise": "iid", "trust_form": "linear"},
    # the bounded trust stock whose tracker measures the share itself (docs/validation.md)
    "bounded_share": {"noise": None, "trust_form": "bounded", "tracker_share": True},
}
OPTION_KEYS = ("noise", "trust_form", "tracker_share", "link", "likelihood")


def parse_options(config: str, options: list[str]) -> dict[str, Any]:
    """CONFIGS[config] with ``key=value`` overrides (keys OPTION_KEYS)."""
    if config not in CONFIGS:
        raise SystemExit(f"--config must be one of {sorted(CONFIGS)}, got {config!r}")
    cfg = dict(CONFIGS[config])
    for o in options:
        key, sep, value = o.partition("=")
        if not sep or key not in OPTION_KEYS:
            raise SystemExit(f"--option needs key=value with key in {OPTION_KEYS}, got {o!r}")
        cfg[key] = (value in ("True", "true", "1")) if key == "tracker_share" else (None if value == "None" else value)
    return cfg


def harness() -> Any:
    """benchmarks/validate_worlds.py as a module (its worlds, observe() and model_columns())."""
    if "validate_worlds" in sys.modules:
        return sys.modules["validate_worlds"]
    spec = importlib.util.spec_from_file_location("validate_worlds", ROOT / "benchmarks" / "validate_worlds.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["validate_worlds"] = mod
    spec.loader.exec_module(mod)
    return mod


def tested_channel(df: pd.DataFrame, roles: dict[str, str], peso: dict[str, str], weeks: int) -> tuple[str, int, int]:
    """The paid conversion (or both) channel with the largest spend, and a window of
    ``weeks`` consecutive weeks of spend > 0 in the middle of its longest such run."""
    paid = [c for c in roles if peso[c] == "paid" and roles[c] in ("conversion", "both")]
    if not paid:
        raise ValueError("the world has no paid conversion channel to test")
    c = max(paid, key=lambda k: float(df[f"spend_{k}"].sum()))
    on = df[f"spend_{c}"].to_numpy() > 0
    best, run_start, best_start = 0, 0, 0
    for t in range(len(on) + 1):
        if t < len(on) and on[t]:
            continue
        if t - run_start > best:
            best, best_start = t - run_start, run_start
        run_start = t + 1
    if best < weeks:
        raise ValueError(f"channel {c!r} has no run of {weeks} weeks with spend")
    s = best_start + (best - weeks) // 2
    return c, s, s + weeks - 1


def run_world(
    case: Any,
    *,
    regions: int = 20,
    treated: int = 5,
    weeks: int = 6,
    cooldown: int = 4,
    transfer: float = 0.15,
    transfer_se: float | None = None,
    dof: float = float("inf"),
    method: str = "nuts",
    chains: int = 4,
    draws: int = 500,
    tune: int = 500,
    max_draws: int = 400,
    horizon: int = 104,
    config: dict[str, Any] | None = None,
    mapping: str = "size",
    fit_models: bool = True,
    per_period: bool = False,
) -> dict[str, Any]:
    """Steps 1-5 of the module docstring for one world (the model configured by ``config``,
    an entry of CONFIGS; None: CONFIGS["default"]); a dict of results."""
    h = harness()
    t0 = time.perf_counter()
    out, df, roles, peso, shocks = h.observe(case)
    df = h.model_columns(df, roles, peso, "impressions")
    c, s, e = tested_channel(df, roles, peso, weeks)
    cooldown = min(cooldown, len(df) - 1 - e)
    # 2. the geo holdout in the same world
    geo = tm.simulate.geo_experiment(
        out.world,
        regions=regions,
        treated=treated,
        channel=c,
        start=s,
        end=e,
        spend_multiplier=0.0,
        periods=case.periods,
        freq="W",
        threads=1,
        seed=case.seed + 1,
    )
    # 3. its lift by synthetic control with the conformal interval (mean statistic), measured
    # over the window and the cooldown (the simulator's conversions lag exposure by weeks)
    dates = pd.DatetimeIndex(sorted(geo.panel["date"].unique()))
    sc = tm.evaluate.synthetic_control(
        geo.panel,
        unit="region",
        time="date",
        outcome="conversions",
        treated=geo.treated,
        start=geo.start,
        end=dates[e + cooldown],
        statistic="mean",
        pointwise=False,
        seed=case.seed,
    )
    test = sc.as_lift_test(channel=c, cooldown=cooldown, cooldown_measured=True, per_period=per_period)
    assert test.end == dates[e] and test.measured_end == dates[e + cooldown]
    # 4. mapped to the national (reference, size 1) model, measured through the cooldown
    size = {r["name"]: float(r["size"]) for r in geo.settings["regions"]}
    S_size = sum(size[r] for r in geo.treated)
    # the treated regions' share of the outcome before the test, against the national
    # data's outcome over the same weeks: what a team without the regions' sizes uses
    pre = geo.panel[(geo.panel["date"] < dates[s]) & geo.panel["region"].isin(geo.treated)]
    S_outcome = float(pre["conversions"].sum()) / float(df["conversions"].iloc[:s].sum())
    S = S_size if mapping == "size" else S_outcome
    lift_test: dict[str, Any] = {
        "channel": c,
        "start": df["week"].iloc[s],
        "end": df["week"].iloc[e],
        "measured_end": df["week"].iloc[e + cooldown],
        "share": 1.0,
        "lift": -test.lift / S,
        "standard_error": test.standard_error / S,
        "transfer_fraction": transfer,
    }
    if transfer_se is not None:  # tau tied to the test's own standard error
        lift_test["transfer_sd"] = transfer_se * lift_test["standard_error"]
    if np.isfinite(dof):
        lift_test["dof"] = dof
    # --per-period: the calibrated fit gets the week-by-week lift (one term per measured
    # week, mapped the same way); the total above stays the record and the probe's estimand
    cal_test = dict(lift_test)
    if per_period:
        assert test.period_lift is not None and test.period_standard_error is not None
        cal_test["lift"] = [-v / S for v in test.period_lift]
        cal_test["standard_error"] = [v / S for v in test.period_standard_error]
    tr = geo.truth
    measured = (tr["date"] >= dates[s]) & (tr["date"] <= dates[e + cooldown])
    true_lift = -float(tr.loc[measured, "incremental_conversions"].sum()) / S
    # the calibration term's own estimand: the national (reference) world's lift from the
    # channel's activity over the window, summed over the measured periods, i.e. the same
    # holdout run on one region that IS the reference world (size 1, no mix or conversion
    # shift; a second region only because a geo experiment needs two)
    reference = [
        {"name": "national", "size": 1.0, "conversion_scale": 1.0, "audience_mix": {}},
        {"name": "other", "size": 1.0, "conversion_scale": 1.0, "audience_mix": {}},
    ]
    nat = tm.simulate.geo_experiment(
        out.world,
        regions=reference,
        treated=["national"],
        channel=c,
        start=s,
        end=e,
        spend_multiplier=0.0,
        periods=case.periods,
        freq="W",
        threads=1,
        seed=case.seed + 1,
    )
    ntr = nat.truth[nat.truth["region"] == "national"]
    nmeasured = (ntr["date"] >= dates[s]) & (ntr["date"] <= dates[e + cooldown])
    national_lift = -float(ntr.loc[nmeasured, "incremental_conversions"].sum())
    trust_on = any(r in ("trust", "both") for r in roles.values())
    cfg = dict(CONFIGS["default"] if config is None else config)
    share = bool(cfg.pop("tracker_share", False)) and trust_on
    kwargs = {
        "date": "week",
        "outcome": "conversions",
        "channels": dict(roles),
        "tracker": "trust_survey" if trust_on else None,
        "shocks": shocks if trust_on else [],
        "spend": {k: f"spend_{k}" for k in roles},
        "trust": trust_on,
        # the model's configuration (--config): None entries are the model's defaults
        **{k: v for k, v in cfg.items() if v is not None and (trust_on or k != "trust_form")},
    }
    if share:
        kwargs["tracker_share"] = True
        kwargs["tracker_n"] = "trust_survey_n"
    window = (df["week"].iloc[0], df["week"].iloc[-1])
    truth = out.truth_for(window=window, horizon=horizon, lag=12).channels.set_index("channel")
    truth_c = float(truth.loc[c, "conversions"])
    row: dict[str, Any] = {
        "world": case.name,
        "family": case.family,
        "channel": c,
        "window": f"{s}-{e}",
        "treated_size": S,
        "measured_lift": lift_test["lift"],
        "measured_se": lift_test["standard_error"],
        "true_test_lift": true_lift,
        "national_test_lift": national_lift,
        "truth": truth_c,
        "size_share": S_size,
        "outcome_share": S_outcome,
        "measured_lift_size_mapped": -test.lift / S_size,
        "measured_lift_outcome_mapped": -test.lift / S_outcome,
    }
    if not fit_models:  # the test and its estimands only (--mapping-only)
        row["seconds"] = time.perf_counter() - t0
        return row
    probe = tm.TrustMMM(df, **kwargs, lift_tests=[lift_test])
    for tag, extra in (("uncal", {}), ("cal", {"lift_tests": [cal_test]})):
        model = tm.TrustMMM(df, **kwargs, **extra)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = model.fit(method=method, chains=chains, draws=draws, tune=tune, seed=case.seed, progress=False)
        zs = np.ascontiguousarray(fit.draws(max_draws))
        # the tested channel's timing and curvature (adstock alpha, half-life, lam) and
        # the residuals' phi: does the test move them?
        names = model._core.constrained_names
        cz = np.asarray(tm._core.mmm.constrained_draws(model._core, zs))
        k = model.channels.index(c)
        alpha = cz[:, names.index(f"alpha[{k}]")]
        row.update(
            {
                f"{tag}_alpha": float(alpha.mean()),
                f"{tag}_half_life": float(np.median(np.log(0.5) / np.log(np.clip(alpha, 1e-12, 1 - 1e-12)))),
                f"{tag}_lam": float(cz[:, names.index(f"lam[{k}]")].mean()),
                f"{tag}_ar1_phi": float(cz[:, names.index("ar1_phi")].mean()) if "ar1_phi" in names else 0.0,
            }
        )
        r = tm._core.mmm.roi(
            model._core, zs, horizon=horizon, spend=np.zeros(len(model.channels)), outcome_scale=model.y_scale
        )
        inc = np.asarray(r.incremental_total)[:, model.channels.index(c)]
        q = np.quantile(inc, [0.05, 0.25, 0.75, 0.95])
        row.update(
            {
                f"{tag}_mean": float(inc.mean()),
                f"{tag}_low90": q[0],
                f"{tag}_high90": q[3],
                f"{tag}_low50": q[1],
                f"{tag}_high50": q[2],
                f"{tag}_divergences": int(fit.posterior.divergences) if fit.posterior is not None else 0,
            }
        )
        # the model's prediction of the test itself (the same estimand with and without the term)
        p = np.asarray(tm._core.mmm.predicted_lifts(probe._core, zs, probe.y_scale))[:, 0]
        pq = np.quantile(p, [0.05, 0.95])
        row.update(
            {
                f"{tag}_predicted_lift": float(p.mean()),
                f"{tag}_predicted_low90": pq[0],
                f"{tag}_predicted_high90": pq[1],
            }
        )
    row["seconds"] = time.perf_counter() - t0
    return row


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Coverage, width and error without and with the test."""
    out = {}
    denom = rows["truth"].abs().clip(lower=1e-9)
    for tag in ("uncal", "cal"):
        out[tag] = {
            "coverage_90": float(
                ((rows[f"{tag}_low90"] <= rows["truth"]) & (rows["truth"] <= rows[f"{tag}_high90"])).mean()
            ),
            "coverage_50": float(
                ((rows[f"{tag}_low50"] <= rows["truth"]) & (rows["truth"] <= rows[f"{tag}_high50"])).mean()
            ),
            "median_width90_rel": float(((rows[f"{tag}_high90"] - rows[f"{tag}_low90"]) / denom).median()),
            "median_abs_rel_error": float(((rows[f"{tag}_mean"] - rows["truth"]).abs() / denom).median()),
            "median_rel_bias": float(((rows[f"{tag}_mean"] - rows["truth"]) / denom).median()),
            "divergent_fits": int((rows[f"{tag}_divergences"] > 0).sum()),
            # the test's own window: the true (mapped) holdout lift against the predicted one
            "test_window_coverage_90": float(
                (
                    (rows[f"{tag}_predicted_low90"] <= rows["true_test_lift"])
                    & (rows["true_test_lift"] <= rows[f"{tag}_predicted_high90"])
                ).mean()
            ),
            # the same against the term's own estimand, the national world's window lift
            "test_window_national_coverage_90": float(
                (
                    (rows[f"{tag}_predicted_low90"] <= rows["national_test_lift"])
                    & (rows["national_test_lift"] <= rows[f"{tag}_predicted_high90"])
                ).mean()
            ),
            "test_window_median_abs_rel_error": float(
                (
                    (rows[f"{tag}_predicted_lift"] - rows["true_test_lift"]).abs()
                    / rows["true_test_lift"].abs().clip(lower=1e-9)
                ).median()
            ),
        }
    return pd.DataFrame(out)


def _one(args: tuple[Any, dict[str, Any]]) -> dict[str, Any]:
    case, kw = args
    try:
        return run_world(case, **kw)
    except Exception as exc:  # noqa: BLE001 -- one failing world is reported, not fatal
        return {"world": case.name, "error": f"{type(exc).__name__}: {exc}"}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--worlds", type=int, default=12, help="randomised worlds of validate_worlds.py (after the presets)"
    )
    ap.add_argument("--presets", action="store_true", help="also the five preset worlds")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--regions", type=int, default=20)
    ap.add_argument("--treated", type=int, default=5)
    ap.add_argument("--weeks", type=int, default=6)
    ap.add_argument("--cooldown", type=int, default=4)
    ap.add_argument("--transfer", type=float, default=0.15)
    ap.add_argument(
        "--transfer-se",
        type=float,
        default=None,
        help="transfer sd tau = this x the test's standard error (instead of --transfer x |lift|)",
    )
    ap.add_argument(
        "--dof",
        type=float,
        default=float("inf"),
        help="Student-t degrees of freedom of the calibration likelihood (inf: Normal)",
    )
    ap.add_argument(
        "--config",
        default="default",
        help="the model's configuration: default (the model's defaults: AR(1) residuals and, since the "
        "eighteenth session, the bounded share the survey measures), linear (the linear index, the default "
        "of the runs recorded before), iid (the runs recorded before the AR(1) default), bounded_share "
        "(bounded stock, tracker measures the share with its panel sizes, AR(1))",
    )
    ap.add_argument(
        "--option", action="append", default=[], help=f"key=value overriding --config (keys {', '.join(OPTION_KEYS)})"
    )
    ap.add_argument(
        "--mapping",
        choices=("size", "outcome"),
        default="size",
        help="the holdout's lift to the national model: / the treated regions' summed size (default) or "
        "/ their share of the outcome before the test",
    )
    ap.add_argument(
        "--mapping-only",
        action="store_true",
        help="no fits: per world the measured lift mapped both ways against the holdout's and the "
        "national world's true lift",
    )
    ap.add_argument(
        "--per-period",
        action="store_true",
        help="calibrate by the week-by-week lift (as_lift_test(per_period=True): one term per measured week)",
    )
    ap.add_argument("--only", default=None, help="comma-separated world names (e.g. random_05): only these")
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--tune", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="3 worlds, 2 chains x (300 + 300)")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    h = harness()
    n = 3 if a.quick else a.worlds
    cases = h.all_cases(n, a.seed, presets=a.presets)
    if not a.presets:
        cases = cases[:n]
    if a.only:
        keep = set(a.only.split(","))
        cases = [c for c in cases if c.name in keep]
    kw = {
        "regions": a.regions,
        "treated": a.treated,
        "weeks": a.weeks,
        "cooldown": a.cooldown,
        "transfer": a.transfer,
        "transfer_se": a.transfer_se,
        "dof": a.dof,
        "chains": 2 if a.quick else a.chains,
        "draws": 300 if a.quick else a.draws,
        "tune": 300 if a.quick else a.tune,
        "config": parse_options(a.config, a.option),
        "mapping": a.mapping,
        "per_period": a.per_period,
    }
    if a.mapping_only:
        mrows = []
        for c in cases:
            r = run_world(c, **kw, fit_models=False)
            mrows.append(r)
            print(
                f"{r['world']}: {r['channel']} national true {r['national_test_lift']:.0f} | holdout true (size) "
                f"{r['true_test_lift']:.0f} | measured / size {r['measured_lift_size_mapped']:.0f}, / outcome "
                f"{r['measured_lift_outcome_mapped']:.0f} +- {r['measured_se']:.0f}",
                flush=True,
            )
        m = pd.DataFrame(mrows)
        nat = m["national_test_lift"]
        for col in ("true_test_lift", "measured_lift_size_mapped", "measured_lift_outcome_mapped"):
            rel = (m[col] - nat) / nat.abs()
            print(
                f"{col} vs the national lift: median rel. error {rel.median():+.3f}, "
                f"median abs {rel.abs().median():.3f}"
            )
        if a.out:
            a.out.mkdir(parents=True, exist_ok=True)
            m.to_csv(a.out / "calibration_mapping.csv", index=False)
        return
    print(f"configuration: {kw['config']}", flush=True)
    t0 = time.perf_counter()
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as ex:
            rows = list(ex.map(_one, [(c, kw) for c in cases]))
    else:
        rows = []
        for c in cases:
            rows.append(_one((c, kw)))
            r = rows[-1]
            if a.out:  # the worlds so far, after every world (a long run can be read while it runs)
                a.out.mkdir(parents=True, exist_ok=True)
                pd.DataFrame(rows).to_csv(a.out / "calibration_worlds.csv", index=False)
            print(
                f"{r['world']}: "
                + (
                    r.get("error")
                    or f"{r['channel']} truth {r['truth']:.0f} | uncal {r['uncal_mean']:.0f} [{r['uncal_low90']:.0f}, "
                    f"{r['uncal_high90']:.0f}] | cal {r['cal_mean']:.0f} "
                    f"[{r['cal_low90']:.0f}, {r['cal_high90']:.0f}] | "
                    f"test {r['measured_lift']:.0f} +- {r['measured_se']:.0f} (holdout true {r['true_test_lift']:.0f}, "
                    f"national true {r['national_test_lift']:.0f}; predicted uncal {r['uncal_predicted_lift']:.0f}, "
                    f"cal {r['cal_predicted_lift']:.0f}) | half-life uncal {r['uncal_half_life']:.2f}, "
                    f"cal {r['cal_half_life']:.2f} | {r['seconds']:.0f} s"
                ),
                flush=True,
            )
    df = pd.DataFrame(rows)
    ok = df[df.get("error").isna()] if "error" in df else df
    table = summarise(ok)
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print(f"{len(ok)} of {len(df)} worlds, {time.perf_counter() - t0:.0f} s")
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        df.to_csv(a.out / "calibration_worlds.csv", index=False)
        (a.out / "calibration_summary.json").write_text(json.dumps(table.to_dict(), indent=2))


if __name__ == "__main__":
    main()
