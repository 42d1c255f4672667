"""trustmix.evaluate from Python: long DataFrames in, result objects out.

Data: geolift_test.csv and geolift_pretest.csv in the shared data folder are GeoLift's
bundled examples (Meta, MIT licence: data/GeoLift_Test.rda, data/GeoLift_PreTest.rda,
converted to CSV); 40 US cities x 105 (90) days.
"""

from __future__ import annotations

import math
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix.evaluate import InferenceWarning


def _shared(name: str) -> Path:
    env = os.environ.get("TRUSTMIX_SHARED_DATA")
    if env and (Path(env) / name).exists():
        return Path(env) / name
    for d in Path(__file__).resolve().parents:
        if (d / "shared" / "data" / name).exists():
            return d / "shared" / "data" / name
    raise FileNotFoundError(f"shared data file {name} not found beside the checkout (set TRUSTMIX_SHARED_DATA)")


@pytest.fixture(scope="module")
def geolift() -> pd.DataFrame:
    return pd.read_csv(_shared("geolift_test.csv"))


@pytest.fixture(scope="module")
def pretest() -> pd.DataFrame:
    return pd.read_csv(_shared("geolift_pretest.csv"))


KW = dict(unit="location", time="date", outcome="Y")
DESIGN = dict(treated=["chicago", "portland"], start="2021-04-01", end="2021-04-15")


@pytest.fixture(scope="module")
def walkthrough(geolift):
    with pytest.warns(InferenceWarning, match="interval of att is empty"):
        return tm.evaluate.synthetic_control(geolift, **KW, **DESIGN, n_permutations=4000, seed=1, pointwise=False)


def test_geolift_walkthrough_numbers(walkthrough):
    # GeoLift's walkthrough: ATT 155.556, lift 5.4% (0.054232), incremental 4,667, L2
    # imbalance 909.489, scaled 0.1636, conformal p about 0.012-0.014.
    r = walkthrough
    assert r.att == pytest.approx(155.556, rel=5e-6)
    assert r.lift == pytest.approx(0.054232, rel=5e-5)
    assert round(r.incremental) == 4667
    assert r.l2_imbalance == pytest.approx(909.489, rel=1e-6)
    assert r.scaled_l2_imbalance == pytest.approx(0.1636, abs=5e-5)
    assert 0.011 <= r.p_value <= 0.016
    w = r.weights.set_index("unit")["weight"]
    published = {
        "cincinnati": 0.2272,
        "miami": 0.2028,
        "baton rouge": 0.1335,
        "minneapolis": 0.0900,
        "dallas": 0.0739,
        "nashville": 0.0685,
        "honolulu": 0.0673,
        "austin": 0.0465,
        "san diego": 0.0451,
    }
    for name, value in published.items():
        assert w[name] == pytest.approx(value, abs=5e-5), name
    assert list(r.weights["unit"][:2]) == ["cincinnati", "miami"]
    assert r.series["post"].sum() == 15
    assert r.series.loc[r.series["post"], "effect"].mean() == pytest.approx(r.att, rel=1e-12)


def test_mean_statistic_interval_agrees_with_its_p_value(geolift):
    r = tm.evaluate.synthetic_control(geolift, **KW, **DESIGN, statistic="mean", seed=1)
    assert math.isfinite(r.lower) and r.lower < r.att < r.upper
    assert (r.p_value > 0.1) == (r.lower <= 0.0 <= r.upper)
    post = r.series[r.series["post"]]
    assert post["lower"].notna().all() and (post["lower"] <= post["upper"]).all()


def test_result_object_summary_plot_html_pickle(walkthrough):
    r = walkthrough
    s = r.summary()
    assert s.loc["att", "value"] == r.att
    assert "Synthetic control" in r._repr_html_()
    fig = r.plot()
    assert len(fig.axes) == 4
    import matplotlib.pyplot as plt

    plt.close("all")
    back = pickle.loads(pickle.dumps(r))
    assert back.att == r.att and back.weights.equals(r.weights) and back.series.equals(r.series)
    state = r.__getstate__()
    state["version"] = 99
    with pytest.raises(ValueError, match="state version 99"):
        r.__class__.__new__(r.__class__).__setstate__(state)


def test_lift_test_export(walkthrough):
    t = walkthrough.as_lift_test(channel="instagram", spend=20_000.0, cooldown=7)
    assert t.channel == "instagram" and t.units == ["chicago", "portland"] and t.cooldown == 7
    assert t.lift == walkthrough.incremental
    assert t.standard_error > 0
    assert t.iroas == pytest.approx(t.lift / 20_000.0, rel=1e-14)
    assert t.notes  # the SE came from the mean-statistic interval
    # the cooldown after the window is not in the lift: the measured periods are the window
    assert t.start == walkthrough.start and t.end == walkthrough.end and t.measured_end == walkthrough.end
    # measured through the cooldown: the window's last 7 days are the cooldown
    m = walkthrough.as_lift_test(channel="instagram", spend=20_000.0, cooldown=7, cooldown_measured=True)
    times = list(walkthrough.series["time"])
    assert m.measured_end == walkthrough.end and m.end == times[times.index(walkthrough.end) - 7]
    assert m.start == walkthrough.start and m.cooldown == 7
    assert (m.lift, m.standard_error) == (t.lift, t.standard_error)
    with pytest.raises(ValueError, match="leaves no period of changed activity"):
        walkthrough.as_lift_test(channel="instagram", cooldown=15, cooldown_measured=True)
    with pytest.raises(ValueError, match="channel must name"):
        walkthrough.as_lift_test(channel="")


def test_per_period_lift_test_export(walkthrough, geolift):
    """as_lift_test(per_period=True): the periods' lifts are the effects x 2 treated units
    and sum to the total; each standard error is the period's pointwise conformal interval
    read as a normal one (x 2 units), scaled by k = max(1, se / sqrt(sum se_j^2)), recomputed
    here from the series' pointwise bounds; a result without pointwise intervals (the
    walkthrough) recomputes them and gets the same test."""
    pw = tm.evaluate.synthetic_control(
        geolift, **KW, **DESIGN, n_permutations=4000, seed=1, statistic="mean", pointwise=True
    )
    t = pw.as_lift_test(channel="instagram", per_period=True)
    total = pw.as_lift_test(channel="instagram")
    assert (t.lift, t.standard_error, t.start, t.end) == (total.lift, total.standard_error, total.start, total.end)
    assert total.period_lift is None and total.period_standard_error is None and not t.notes
    post = pw.series[pw.series["post"]]
    assert len(t.period_lift) == len(post) == 15
    np.testing.assert_allclose(t.period_lift, 2.0 * post["effect"].to_numpy(), rtol=1e-12)
    assert sum(t.period_lift) == pytest.approx(pw.incremental, rel=1e-12)
    z = 1.6448536269514722  # z_{0.95}: alpha is 0.1
    raw = (post["upper"] - post["lower"]).to_numpy() / (2.0 * z) * 2.0
    k = max(1.0, total.standard_error / math.sqrt(float((raw**2).sum())))
    np.testing.assert_allclose(t.period_standard_error, k * raw, rtol=1e-12)
    assert math.sqrt(sum(v * v for v in t.period_standard_error)) >= total.standard_error * (1 - 1e-12)
    # the walkthrough was fitted without pointwise intervals: they are recomputed
    again = walkthrough.as_lift_test(channel="instagram", per_period=True)
    np.testing.assert_allclose(again.period_lift, t.period_lift, rtol=1e-12)
    np.testing.assert_allclose(again.period_standard_error, t.period_standard_error, rtol=1e-12)
    assert any("pointwise" in n for n in again.notes)


def test_lift_test_with_jackknife_uses_the_conformal_mean_interval(geolift):
    kw = dict(**KW, **DESIGN, statistic="mean", seed=1, pointwise=False)
    conformal = tm.evaluate.synthetic_control(geolift, **kw)
    jack = tm.evaluate.synthetic_control(geolift, **kw, inference="jackknife+")
    assert (jack.lower, jack.upper) != (conformal.lower, conformal.upper)
    tc = conformal.as_lift_test(channel="tv")
    tj = jack.as_lift_test(channel="tv")
    assert not tc.notes and tj.notes
    assert tj.standard_error == pytest.approx(tc.standard_error, rel=1e-12)


def _small_panel(n: int = 8, T: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    base = 100 + 10 * rng.standard_normal(n)
    rows = [
        (f"u{i}", t, base[i] + 3 * np.sin(t + i) + rng.standard_normal() + (3.0 if i == 0 and t >= 5 else 0.0))
        for i in range(n)
        for t in range(T)
    ]
    return pd.DataFrame(rows, columns=["unit", "t", "y"])


def test_design_that_cannot_reject_warns_and_is_unbounded():
    df = _small_panel()
    with pytest.warns(InferenceWarning, match="cannot reject at alpha"):
        r = tm.evaluate.synthetic_control(
            df, unit="unit", time="t", outcome="y", treated=["u0"], start=5, permutation="moving_block"
        )
    assert r.lower == -math.inf and r.upper == math.inf and r.inference["cannot_reject"]
    assert np.isinf(r.series.loc[r.series["post"], "lower"]).all()
    with pytest.raises(ValueError, match="cannot reject"):
        r.as_lift_test(channel="tv")


def test_placebos_and_jackknife(walkthrough):
    space = walkthrough.placebo_in_space(threads=2)
    assert len(space) == 38 and 0 < space.attrs["p_value"] <= 1
    again = walkthrough.placebo_in_space(threads=1)
    assert np.array_equal(space["att"].to_numpy(), again["att"].to_numpy())
    t = walkthrough.placebo_in_time()
    assert str(t["start"].date()) == "2021-03-17" and abs(t["lift"]) < 0.03
    jk = walkthrough.jackknife()
    assert jk["lower"] < walkthrough.att < jk["upper"]
    assert len(jk["pointwise"]) == 15


def test_synthetic_did_weights_match_closed_form():
    # Two donors, two pre-periods, trends not parallel (see the C++ test of the same name):
    # unit weight a = (d'r + P) / (d'd + 2P), P = zeta^2 T0 = sqrt(2) * 4.5 * 2; time weights
    # (5/6, 1/6); tau = (ybar_post - lambda'y_pre) - w'(Ybar_post - Y_pre lambda) = 19/6.
    df = pd.DataFrame(
        [
            (u, t, y)
            for u, ys in {"tr": [13, 16, 20, 24], "d1": [10, 14, 15, 17], "d2": [20, 21, 25, 26]}.items()
            for t, y in enumerate(ys)
        ],
        columns=["unit", "t", "y"],
    )
    r = tm.evaluate.synthetic_did(
        df, unit="unit", time="t", outcome="y", treated=["tr"], start=2, inference=None, min_pre_periods=2
    )
    P = math.sqrt(2.0) * 4.5 * 2.0
    a = (3.0 + P) / (4.5 + 2.0 * P)
    w = r.weights.set_index("unit")["weight"]
    assert w["d1"] == pytest.approx(a, abs=1e-8) and w["d2"] == pytest.approx(1 - a, abs=1e-8)
    lam = np.array([5 / 6, 1 / 6])
    tau = (22.0 - lam @ [13, 16]) - np.array([a, 1 - a]) @ [16.0 - lam @ [10, 14], 25.5 - lam @ [20, 21]]
    assert r.att == pytest.approx(tau, abs=1e-8) and r.att == pytest.approx(19 / 6, abs=1e-8)
    assert r.settings["method"] == "synthetic_did" and math.isnan(r.p_value)


def test_staggered_did_recovers_cohort_effects():
    rng = np.random.default_rng(2)
    adoption = {f"u{i}": (4 if i < 4 else 7 if i < 7 else None) for i in range(12)}
    rows = []
    for i in range(12):
        u = 10 * rng.standard_normal()
        g = adoption[f"u{i}"]
        for t in range(10):
            rows.append((f"u{i}", t, u + 0.7 * t + ((2.0 if g == 4 else 5.0) if g is not None and t >= g else 0.0)))
    df = pd.DataFrame(rows, columns=["unit", "t", "y"])
    r = tm.evaluate.staggered_did(df, unit="unit", time="t", outcome="y", adoption=adoption)
    assert r.att == pytest.approx((6 * 4 * 2.0 + 3 * 3 * 5.0) / 33, rel=1e-12)
    pre = r.event_study[r.event_study["event_time"] < 0]
    assert np.allclose(pre["att"], 0.0, atol=1e-10)
    assert r.summary().loc["se", "value"] < 1e-9


def test_power_and_market_selection(pretest):
    p = tm.evaluate.power_analysis(
        pretest, **KW, treated=["chicago", "portland"], duration=15, effects=[0.0, 0.05, 0.3]
    )
    assert p.curve["power"].iloc[-1] == 1.0
    assert abs(p.bias_at_zero) < 0.05
    assert math.isfinite(p.mde)
    import matplotlib.pyplot as plt

    assert p.plot() is not None
    m1 = tm.evaluate.market_selection(pretest, **KW, sizes=[2, 3], durations=[10], effects=[0.0, 0.05, 0.1], threads=1)
    m2 = tm.evaluate.market_selection(pretest, **KW, sizes=[2, 3], durations=[10], effects=[0.0, 0.05, 0.1], threads=2)
    pd.testing.assert_frame_equal(m1.designs, m2.designs)
    mde = m1.designs["mde"].dropna().to_numpy()
    assert np.all(np.diff(mde) >= 0)
    assert m1.plot() is not None
    plt.close("all")
    back = pickle.loads(pickle.dumps(m1))
    pd.testing.assert_frame_equal(back.designs, m1.designs)


def _small() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        [(f"u{i}", t, 100 + 10 * i + rng.standard_normal()) for i in range(6) for t in range(20)],
        columns=["unit", "t", "y"],
    )


@pytest.mark.parametrize(
    "mutate, kwargs, match",
    [
        (lambda d: d, dict(start=2), "too few pre-periods"),
        (lambda d: d, dict(treated=["nowhere"]), "treated unit 'nowhere' is not in the data"),
        (lambda d: d.assign(y=np.where(d["unit"] == "u3", 5.0, d["y"])), {}, "'u3' is constant"),
        (lambda d: pd.concat([d, d.iloc[[7]]]), {}, r"duplicated \(unit, time\) rows: unit 'u0' at t=7"),
        (lambda d: d.drop(index=25), {}, "gap in the panel: unit 'u1' has no row for t=5"),
        (lambda d: d.assign(y=d["y"].where(d.index != 30)), {}, "row 30, column 'y'"),
        (lambda d: d.drop(columns="y"), {}, r"lacks column\(s\) \['y'\]"),
    ],
)
def test_bad_input_is_named(mutate, kwargs, match):
    args = dict(unit="unit", time="t", outcome="y", treated=["u0"], start=15, inference=None)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        tm.evaluate.synthetic_control(mutate(_small()), **args)


def test_bad_options_are_named(geolift):
    with pytest.raises(ValueError, match="method must be one of"):
        tm.evaluate.synthetic_control(geolift, **KW, **DESIGN, method="magic")
    with pytest.raises(ValueError, match="permutation must be 'iid' or 'moving_block'"):
        tm.evaluate.synthetic_control(geolift, **KW, **DESIGN, permutation="shuffle")
    with pytest.raises(ValueError, match="alpha must be in"):
        tm.evaluate.synthetic_control(geolift, **KW, **DESIGN, alpha=1.5)


def test_causal_impact_recovers_a_crisis_drop():
    # A local level plus 2 x a control series, and a drop of 6 from day 80 (a crisis).
    rng = np.random.default_rng(9)
    n, start = 100, 80
    x1 = 20 + np.cumsum(rng.standard_normal(n))
    level = 50 + np.cumsum(0.1 * rng.standard_normal(n))
    y = level + 2 * x1 + 0.5 * rng.standard_normal(n) - 6.0 * (np.arange(n) >= start)
    df = pd.DataFrame(
        {"date": pd.date_range("2025-01-01", periods=n), "sales": y, "search": x1, "noise": 10 + rng.standard_normal(n)}
    )
    import warnings

    with warnings.catch_warnings():  # short chains: a few horseshoe divergences may be reported
        warnings.simplefilter("ignore", InferenceWarning)
        r = tm.evaluate.causal_impact(
            df,
            time="date",
            outcome="sales",
            controls=["search", "noise"],
            start="2025-03-22",
            chains=2,
            draws=400,
            tune=400,
            seed=3,
        )
    assert r.diagnostics["max_rhat"] < 1.05
    assert r.average_effect == pytest.approx(-6.0, abs=0.5)
    assert r.average_lower < -6.0 < r.average_upper < 0
    assert r.p_value < 0.01
    assert r.coefficients.set_index("control").loc["search", "coefficient"] == pytest.approx(2.0, abs=0.2)
    assert r.summary().loc["cumulative", "estimate"] == pytest.approx(20 * r.average_effect, rel=1e-9)
    assert len(r.plot().axes) == 3
    import matplotlib.pyplot as plt

    plt.close("all")
    back = pickle.loads(pickle.dumps(r))
    pd.testing.assert_frame_equal(back.series, r.series)
    with pytest.raises(ValueError, match="column 'sales'"):
        tm.evaluate.causal_impact(
            df.assign(sales=df["sales"].where(df.index != 5)), time="date", outcome="sales", start="2025-03-22"
        )


def test_gap_is_named_before_any_units_x_periods_grid_is_built():
    # 20,000 units, each on its own date: the units x periods grid would hold 4e8 cells
    # (3.2 GB of counts) although the table has 20,000 rows. The gap is found on the rows.
    import tracemalloc

    n = 20_000
    df = pd.DataFrame({"unit": [f"u{i}" for i in range(n)], "t": np.arange(n), "y": np.ones(n)})
    tracemalloc.start()
    try:
        with pytest.raises(
            ValueError,
            match=r"gap in the panel: unit 'u0' has no row for t=1 \(it lacks 19999 of "
            r"20000 periods; 399980000 missing \(unit, time\) cells over 20000 of "
            r"20000 units\)",
        ):
            tm.evaluate.to_panel(df, "unit", "t", "y")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6, f"to_panel allocated {peak / 1e6:.0f} MB for a 20,000-row table"


def test_gap_names_the_first_missing_period_of_the_first_short_unit():
    df = _small()
    df = df[~((df["unit"] == "u2") & df["t"].isin([0, 3])) & ~((df["unit"] == "u4") & (df["t"] == 1))]
    with pytest.raises(
        ValueError,
        match=r"unit 'u2' has no row for t=0 \(it lacks 2 of 20 periods; 3 missing "
        r"\(unit, time\) cells over 2 of 6 units\)",
    ):
        tm.evaluate.to_panel(df, "unit", "t", "y")


def test_panel_size_is_checked_before_it_is_allocated(monkeypatch):
    monkeypatch.setenv("TRUSTMIX_MAX_MEMORY", "500")  # bytes: the 6 x 20 panel needs 960
    with pytest.raises(ValueError, match=r"the 6 units x 20 periods panel needs about 960 bytes of memory"):
        tm.evaluate.to_panel(_small(), "unit", "t", "y")
    monkeypatch.setenv("TRUSTMIX_MAX_MEMORY", "2000")
    assert tm.evaluate.to_panel(_small(), "unit", "t", "y").outcomes.shape == (6, 20)


def test_jackknife_plus_honours_per_unit(geolift):
    kw = dict(**KW, **DESIGN, inference="jackknife+", pointwise=False, seed=1)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        avg = tm.evaluate.synthetic_control(geolift, **kw)
        cells = tm.evaluate.synthetic_control(geolift, **kw, aggregation="per_unit")
    # Each treated city refitted on its own in every leave-one-out fit (the C++ test checks
    # the errors against lone fits); before, per_unit returned the averaged series' bounds.
    assert abs(cells.lower - avg.lower) + abs(cells.upper - avg.upper) > 1e-3
    assert cells.lower < cells.att < cells.upper
    jk = cells.jackknife()
    assert (jk["lower"], jk["upper"]) == (cells.lower, cells.upper)


def _hull_panel() -> pd.DataFrame:
    # 8 random-walk units over 22 periods, unit 0 treated in the last 2 with a varying
    # effect: the absolute-statistic acceptance set {h0 : p(h0) > 0.1} has a hole.
    rng = np.random.default_rng(0)
    n, T = int(rng.integers(4, 9)), int(rng.integers(10, 30))
    start = T - int(rng.integers(1, 4))
    Y = 100 + np.cumsum(rng.standard_normal((n, T)) * rng.uniform(0.5, 3), axis=1) + 10 * rng.standard_normal((n, 1))
    Y[0, start:] += rng.uniform(-5, 5, T - start) * rng.uniform(0, 3)
    assert (n, T, start) == (8, 22, 20)
    return pd.DataFrame([(f"u{i}", t, Y[i, t]) for i in range(n) for t in range(T)], columns=["unit", "t", "y"])


def test_hull_of_a_non_contiguous_acceptance_set_warns():
    kw = dict(
        unit="unit",
        time="t",
        outcome="y",
        treated=["u0"],
        start=20,
        n_permutations=1000,
        seed=0,
        alpha=0.1,
        pointwise=False,
    )
    with pytest.warns(InferenceWarning, match="not an interval .* lower and upper are its hull"):
        r = tm.evaluate.synthetic_control(_hull_panel(), **kw, statistic="absolute")
    assert r.inference["hull"] and r.lower < r.upper
    assert "hull of a non-contiguous acceptance set" in r.summary().loc["upper", "description"]
    # The mean statistic's set is an interval on the same data: no warning, no flag.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", InferenceWarning)
        m = tm.evaluate.synthetic_control(_hull_panel(), **kw, statistic="mean")
    assert not m.inference["hull"]
    assert "hull" not in m.summary().loc["upper", "description"]
