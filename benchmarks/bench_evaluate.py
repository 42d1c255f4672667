"""Benchmark: trustmix.evaluate against the Python tools users run today, in one run.

GeoLift's bundled example (shared/data/geolift_test.csv: 40 US cities x 105 days; chicago
and portland treated on days 91-105; Meta's GeoLift, MIT licence) and its pre-test data
(geolift_pretest.csv, 90 days) for market selection.

- Synthetic control weights and ATT: trustmix (exact active set) against pysyncon's Synth
  (scipy SLSQP) on the same demeaned pre-period outcomes with V = sd^2 per period (pysyncon
  divides each predictor by its sd; this undoes it), so both solve the same problem
  (GeoLift's fixed-effects synthetic control); the treated series is the mean of the two
  treated cities (pysyncon takes one treated unit).
- causalpy's Bayesian synthetic control (PyMC), if installed: time and ATT.
- Causal impact on a simulated series with a known drop: trustmix's structural time series
  (NUTS) against pycausalimpact (statsmodels, maximum likelihood), if installed.
- Synthetic DiD and synthetic control on the synthdid paper's California Proposition 99
  panel (39 states x 31 years; Arkhangelsky et al. 2021 report SDID -15.60, SC -19.62, DiD
  -27.35 packs per capita) against synthdid-py (PyPI ``synthdid-py``, a port of the R
  package, which ships the data), if installed.
- Causal impact also against statsmodels' UnobservedComponents (the local level +
  regression model that the CausalImpact ports wrap, fitted by maximum likelihood) and the
  ``causalimpact`` 0.2.6 port (PyPI, statsmodels MLE), if installed; and tfcausalimpact
  (TensorFlow Probability, HMC) in a separate environment named by
  ``TRUSTMIX_TFCI_PYTHON`` (it needs TensorFlow, hundreds of MB, and pandas < 3; see
  benchmarks/tfcausalimpact_reference.py), skipped with a message when missing.
- Market selection for 40 markets (2-5 treated, two durations, an effect grid): trustmix
  only (GeoLift's R implementation takes hours), goal < 10 s on 2 cores.

Peer libraries are in the ``bench`` extra and imported lazily; a missing one is reported
and skipped. Each timing is the median of ``--repeat`` runs; the 1-minute load average is
printed with every line (compare ratios within one run).

    PYTHONPATH=python python benchmarks/bench_evaluate.py [--repeat 5] [--data DIR] [--no-pymc]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

import trustmix as tm

TREATED = ["chicago", "portland"]


def _data_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    for d in Path(__file__).resolve().parents:
        if (d / "shared" / "data" / "geolift_test.csv").exists():
            return d / "shared" / "data"
    raise SystemExit("shared/data not found beside the checkout: pass --data DIR")


def _timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def bench_synthetic_control(df: pd.DataFrame, repeat: int, pymc: bool = True) -> None:
    kw = dict(unit="location", time="date", outcome="Y", treated=TREATED, start="2021-04-01")
    t_fit, res = _timed(lambda: tm.evaluate.synthetic_control(df, **kw, inference=None), repeat)
    t_conf, _ = _timed(lambda: tm.evaluate.synthetic_control(df, **kw, statistic="mean", pointwise=False), repeat)
    print(
        f"trustmix synthetic_control fit: {t_fit * 1e3:.2f} ms (ATT {res.att:.4f}, l2 {res.l2_imbalance:.4f}); "
        f"with conformal p-value and interval: {t_conf * 1e3:.1f} ms  [{_load()}]"
    )
    wide = df.pivot(index="date", columns="location", values="Y")
    pre = wide.iloc[:90]
    demeaned = wide - pre.mean()
    treated = demeaned[TREATED].mean(axis=1)
    donors = demeaned.drop(columns=TREATED)
    try:
        from pysyncon import Dataprep, Synth
    except ImportError:
        print("pysyncon not installed (pip install 'trustmix[bench]'): skipped")
    else:
        long = donors.assign(treated=treated).reset_index(drop=True)
        long["t"] = np.arange(len(long))
        long = long.melt(id_vars="t", var_name="unit", value_name="y")
        pre_t = list(range(90))
        prep = Dataprep(
            foo=long,
            predictors=[],
            predictors_op="mean",
            time_predictors_prior=pre_t,
            special_predictors=[("y", [t], "mean") for t in pre_t],
            dependent="y",
            unit_variable="unit",
            time_variable="t",
            treatment_identifier="treated",
            controls_identifier=list(donors.columns),
            time_optimize_ssr=pre_t,
        )
        synth = Synth()

        # pysyncon divides each predictor (period) by its sd across units before applying V;
        # V proportional to sd^2 undoes that, so both solve GeoLift's problem min ||x1 - X0 w||^2.
        # (Normalised to mean 1: with V = sd^2 itself, about 1e4, SLSQP stops at its uniform
        # starting point.)
        sd2 = donors.assign(treated=treated).iloc[:90].std(axis=1).to_numpy() ** 2
        sd2 = sd2 / sd2.mean()

        def run():
            synth.fit(dataprep=prep, custom_V=sd2)
            return synth

        t_ps, s = _timed(run, repeat)
        w_ps = s.weights(round=12).reindex(res.weights["unit"]).fillna(0.0).to_numpy()
        w_tm = res.weights["weight"].to_numpy()
        # Donors in the order of trustmix's weights table.
        x0o = donors[res.weights["unit"]].iloc[:90].to_numpy()
        l2_ps = float(np.linalg.norm(x0o @ w_ps - treated.iloc[:90].to_numpy()))
        syn_ps = donors[res.weights["unit"]].to_numpy() @ w_ps
        att_ps = float((treated.to_numpy() - syn_ps)[90:].mean())
        print(
            f"pysyncon Synth (V undoing its scaling, same demeaned data): {t_ps * 1e3:.1f} ms, ATT {att_ps:.4f}, "
            f"l2 {l2_ps:.4f}; max |weight difference| {np.abs(w_ps - w_tm).max():.2e}; "
            f"trustmix is {t_ps / t_fit:.0f}x faster  [{_load()}]"
        )
    try:
        import causalpy as cp
    except ImportError:
        print("causalpy not installed (pip install 'trustmix[bench]'): skipped")
    else:
        # The same demeaned data; the treated series is the mean of the treated cities.
        frame = donors.assign(treated=treated).reset_index(drop=True)
        controls = list(donors.columns)

        def run_skl():
            return cp.SyntheticControl(
                frame.copy(),
                90,
                control_units=controls,
                treated_units=["treated"],
                model=cp.skl_models.WeightedProportion(),
            )

        t_skl, r_skl = _timed(run_skl, repeat)
        att_skl = float(np.asarray(r_skl.post_impact).mean())
        print(
            f"causalpy SyntheticControl, WeightedProportion (scipy SLSQP, same problem): {t_skl * 1e3:.1f} ms, "
            f"ATT {att_skl:.4f} (trustmix {res.att:.4f}); trustmix is {t_skl / t_fit:.0f}x faster  [{_load()}]"
        )
        if not pymc:
            return
        t0 = time.perf_counter()
        r_bayes = cp.SyntheticControl(
            frame.copy(),
            90,
            control_units=controls,
            treated_units=["treated"],
            model=cp.pymc_models.WeightedSumFitter(
                sample_kwargs={"progressbar": False, "random_seed": 1, "chains": 2, "draws": 500, "tune": 500}
            ),
        )
        t_bayes = time.perf_counter() - t0
        att_bayes = float(np.asarray(r_bayes.post_impact).mean())
        print(
            f"causalpy SyntheticControl, WeightedSumFitter (PyMC, Dirichlet weights, 2 x (500 + 500) draws): "
            f"{t_bayes:.1f} s, posterior mean ATT {att_bayes:.2f} (a different estimator); trustmix fit with "
            f"conformal inference is {t_bayes / t_conf:.0f}x faster  [{_load()}]"
        )


def bench_causal_impact(repeat: int) -> None:
    # A local level plus 2 x a control series and a drop of 6 from period 80 (the Python
    # test's crisis data, 100 periods, 2 controls of which one is irrelevant).
    rng = np.random.default_rng(9)
    n, start = 100, 80
    x1 = 20 + np.cumsum(rng.standard_normal(n))
    level = 50 + np.cumsum(0.1 * rng.standard_normal(n))
    y = level + 2 * x1 + 0.5 * rng.standard_normal(n) - 6.0 * (np.arange(n) >= start)
    df = pd.DataFrame({"t": np.arange(n), "sales": y, "search": x1, "noise": 10 + rng.standard_normal(n)})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_tm, r = _timed(
            lambda: tm.evaluate.causal_impact(
                df, time="t", outcome="sales", controls=["search", "noise"], start=start, seed=1
            ),
            max(1, repeat // 2),
        )
    print(
        f"trustmix causal_impact (NUTS 4 x (1000 + 1000), local level + Cauchy-shrinkage regression): {t_tm:.2f} s, "
        f"average effect {r.average_effect:.3f} [{r.average_lower:.3f}, {r.average_upper:.3f}] (truth -6), "
        f"max R-hat {r.diagnostics['max_rhat']:.3f}, {r.diagnostics['divergences']} divergences  [{_load()}]"
    )
    y_all, X_all = df["sales"].to_numpy(), df[["search", "noise"]].to_numpy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_ucm, (e_u, lo_u, hi_u) = _timed(lambda: _ucm_average_effect(y_all, X_all, start), repeat)
        print(
            f"statsmodels UnobservedComponents (local level + regression, MLE; the model the ports wrap): "
            f"{t_ucm:.2f} s, average effect {e_u:.3f} [{lo_u:.3f}, {hi_u:.3f}] (mean of the pointwise 95% bounds); "
            f"trustmix/statsmodels time ratio {t_tm / t_ucm:.1f}  [{_load()}]"
        )
    except ImportError:
        print("statsmodels not installed: skipped")
    _bench_tfcausalimpact(df[["sales", "search", "noise"]], start, t_tm)
    import importlib.util

    if importlib.util.find_spec("causalimpact") is not None and importlib.util.find_spec("causalimpact.analysis"):
        from causalimpact import CausalImpact as CI026

        def run_026():
            c = CI026(df[["sales", "search", "noise"]], [0, start - 1], [start, n - 1], alpha=0.05)
            c.run()
            post = c.inferences.iloc[start:]
            return (
                float(post["point_effect"].mean()),
                float(post["point_effect_upper"].mean()),
                float(post["point_effect_lower"].mean()),
            )

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_026, (e_c, lo_c, hi_c) = _timed(run_026, max(1, repeat // 2))
            print(
                f"causalimpact 0.2.6 (statsmodels MLE; its 'pymc' option takes one control only): {t_026:.2f} s, "
                f"average effect {e_c:.3f} [{lo_c:.3f}, {hi_c:.3f}]; trustmix/causalimpact time ratio "
                f"{t_tm / t_026:.1f}  [{_load()}]"
            )
        except Exception as e:  # noqa: BLE001 - a peer that cannot run here is reported, not fatal
            print(f"causalimpact 0.2.6 failed: {type(e).__name__}: {e}  [{_load()}]")
        return
    try:
        from causalimpact import CausalImpact
    except ImportError:
        print("pycausalimpact not installed (pip install 'trustmix[bench]'): skipped")
        return
    data = df[["sales", "search", "noise"]]
    if not hasattr(pd.DataFrame, "applymap"):
        # pycausalimpact 0.1.1 (2020) calls DataFrame.applymap, removed in pandas 3: the
        # same element-wise map under its old name, for this peer only.
        pd.DataFrame.applymap = pd.DataFrame.map
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_pc, ci = _timed(lambda: CausalImpact(data, [0, start - 1], [start, n - 1]), max(1, repeat // 2))
    except Exception as e:  # noqa: BLE001 - a peer that cannot run here is reported, not fatal
        print(f"pycausalimpact failed with pandas {pd.__version__}: {type(e).__name__}: {e}  [{_load()}]")
        return
    avg = ci.summary_data.loc["abs_effect", "average"]
    lo = ci.summary_data.loc["abs_effect_lower", "average"]
    hi = ci.summary_data.loc["abs_effect_upper", "average"]
    print(
        f"pycausalimpact (statsmodels UnobservedComponents, maximum likelihood): {t_pc:.2f} s, average effect "
        f"{avg:.3f} [{lo:.3f}, {hi:.3f}]; trustmix/pycausalimpact time ratio {t_tm / t_pc:.1f}  [{_load()}]"
    )


def bench_synthdid(repeat: int) -> None:
    try:
        import synthdid as sd
    except ImportError:
        print("synthdid-py not installed (pip install synthdid-py): skipped")
        return
    if not hasattr(sd, "load_california_prop99"):
        print("the installed 'synthdid' is not synthdid-py (no load_california_prop99): skipped")
        return
    df = sd.load_california_prop99()  # State, Year, PacksPerCapita, treated (California from 1989)

    def peer(fn):
        setup = sd.panel_matrices(df)
        return float(fn(setup.Y, setup.N0, setup.T0))

    t_sd, e_sd = _timed(lambda: peer(sd.synthdid_estimate), repeat)
    t_sc, e_sc = _timed(lambda: peer(sd.sc_estimate), repeat)
    kw = dict(unit="State", time="Year", outcome="PacksPerCapita", treated=["California"], start=1989, inference=None)
    t_tsd, r_sd = _timed(lambda: tm.evaluate.synthetic_did(df, **kw), repeat)
    t_tsc, r_sc = _timed(lambda: tm.evaluate.synthetic_control(df, **kw, fixed_effects=False), repeat)
    print(
        f"California Prop 99, synthetic DiD: trustmix {r_sd.att:.4f} in {t_tsd * 1e3:.1f} ms; synthdid-py "
        f"{e_sd:.4f} in {t_sd * 1e3:.0f} ms (published -15.604); trustmix is {t_sd / t_tsd:.0f}x faster  [{_load()}]"
    )
    print(
        f"California Prop 99, synthetic control (no intercept): trustmix {r_sc.att:.4f} in {t_tsc * 1e3:.1f} ms; "
        f"synthdid-py sc_estimate {e_sc:.4f} in {t_sc * 1e3:.0f} ms (published -19.620); trustmix is "
        f"{t_sc / t_tsc:.0f}x faster  [{_load()}]"
    )
    # Unit weights side by side, and the pre-period objective each solver reaches (for the
    # synthetic control without intercept: ||x_pre - Y0_pre w||^2, lower is better).
    setup = sd.panel_matrices(df)
    names = list(setup.units[: setup.N0])
    for label, fn, res in (("synthetic DiD", sd.synthdid_estimate, r_sd), ("synthetic control", sd.sc_estimate, r_sc)):
        omega = np.asarray(fn(setup.Y, setup.N0, setup.T0).weights.omega, dtype=float)
        mine = res.weights.set_index("unit")["weight"].reindex(names).fillna(0.0).to_numpy()
        line = f"  {label} unit weights: max |trustmix - synthdid-py| {np.abs(mine - omega).max():.2e}"
        if label == "synthetic control":
            x, Y0 = setup.Y[setup.N0 :, : setup.T0].mean(axis=0), setup.Y[: setup.N0, : setup.T0]
            obj = lambda w, x=x, Y0=Y0: float(np.sum((x - w @ Y0) ** 2))  # noqa: E731
            line += f"; pre-period squared imbalance trustmix {obj(mine):.3f}, synthdid-py {obj(omega):.3f}"
        print(line + " (synthdid-py: Frank-Wolfe, then sparsified and re-solved; trustmix: exact active set)")


def _bench_tfcausalimpact(data: pd.DataFrame, start: int, t_tm: float) -> None:
    """tfcausalimpact on the same series, in the environment named by TRUSTMIX_TFCI_PYTHON
    (benchmarks/tfcausalimpact_reference.py); skipped with a message when it is missing."""
    import json
    import subprocess
    import sys
    import tempfile

    py = os.environ.get("TRUSTMIX_TFCI_PYTHON", sys.executable)
    try:
        subprocess.run(
            [py, "-c", "import causalimpact, tensorflow_probability"], check=True, capture_output=True, timeout=600
        )
    except (subprocess.CalledProcessError, FileNotFoundError, subprocess.TimeoutExpired):
        print(
            f"tfcausalimpact skipped: not importable from {py} (it needs TensorFlow and pandas < 3: install it in "
            "a separate environment and name its python in TRUSTMIX_TFCI_PYTHON; "
            "benchmarks/tfcausalimpact_reference.py)"
        )
        return
    ref = Path(__file__).resolve().parent / "tfcausalimpact_reference.py"
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "series.csv"
        data.to_csv(csv, index=False)
        for method in ("hmc", "vi"):
            try:
                out = subprocess.run(
                    [py, str(ref), str(csv), "--start", str(start), "--fit-method", method],
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=3600,
                )
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
                err = getattr(e, "stderr", "") or ""
                print(
                    f"tfcausalimpact ({method}) failed: {type(e).__name__}: {err.strip().splitlines()[-1:]}"
                    f"  [{_load()}]"
                )
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            v = r["versions"]
            print(
                f"tfcausalimpact {v['tfcausalimpact']} (TFP {v['tensorflow-probability']}, fit_method {method}): "
                f"{r['seconds']:.2f} s, average effect {r['average']:.3f} [{r['lower']:.3f}, {r['upper']:.3f}]; "
                f"trustmix/tfcausalimpact time ratio {t_tm / r['seconds']:.2f}  [{_load()}]"
            )


def _ucm_average_effect(y: np.ndarray, X: np.ndarray, start: int, alpha: float = 0.05):
    """statsmodels UnobservedComponents, local level + regression, MLE on the pre-period;
    the post-period forecast is the counterfactual (what the CausalImpact ports do)."""
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    fit = UnobservedComponents(y[:start], level="llevel", exog=X[:start]).fit(disp=False)
    fc = fit.get_forecast(len(y) - start, exog=X[start:])
    mean = np.asarray(fc.predicted_mean)
    effect = float((y[start:] - mean).mean())
    # The average of the pointwise forecast bounds, as the Python ports report it (not an
    # interval of the average effect, which would be narrower).
    ci = np.asarray(fc.conf_int(alpha=alpha))
    lo, hi = float((y[start:] - ci[:, 1]).mean()), float((y[start:] - ci[:, 0]).mean())
    return effect, lo, hi


def bench_market_selection(pre: pd.DataFrame, repeat: int) -> None:
    kw = dict(
        unit="location",
        time="date",
        outcome="Y",
        sizes=[2, 3, 4, 5],
        durations=[10, 15],
        effects=[0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2],
        n_windows=3,
        n_permutations=200,
    )
    t, m = _timed(lambda: tm.evaluate.market_selection(pre, **kw), repeat)
    best = m.designs.iloc[0]
    print(
        f"trustmix market_selection: 40 markets, {len(m.designs)} designs (sizes 2-5, durations 10 and 15, "
        f"7 effects, 3 windows, 200 permutations): {t:.2f} s (goal < 10 s); best {'+'.join(best['treated'])} "
        f"for {best['duration']} days, MDE {best['mde']:.3f}  [{_load()}]"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--data", default=None)
    ap.add_argument("--no-pymc", action="store_true", help="skip causalpy's PyMC model (minutes)")
    ap.add_argument("--only", choices=["sc", "market", "impact", "synthdid"], default=None, help="run one part only")
    args = ap.parse_args()
    d = _data_dir(args.data)
    parts = {
        "sc": lambda: bench_synthetic_control(pd.read_csv(d / "geolift_test.csv"), args.repeat, pymc=not args.no_pymc),
        "market": lambda: bench_market_selection(pd.read_csv(d / "geolift_pretest.csv"), max(1, args.repeat // 2)),
        "impact": lambda: bench_causal_impact(args.repeat),
        "synthdid": lambda: bench_synthdid(args.repeat),
    }
    for name, run in parts.items():
        if args.only in (None, name):
            run()


if __name__ == "__main__":
    main()
