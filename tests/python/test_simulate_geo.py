"""Simulated geo experiments and holdouts (trustmix.simulate.geo_experiment) with a known
true effect, and the evaluation estimators checked against that truth."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix.evaluate import InferenceWarning

Z90 = 1.6448536269514722


@pytest.fixture(scope="module")
def world():
    return tm.simulate.World.from_scenario("smm_only", seed=1)


def _experiment(world, seed: int, multiplier: float = 3.0, regions: int = 20):
    # The instagram flight runs May-October 2025; weeks 25-32 (July-August) are the window.
    return tm.simulate.geo_experiment(
        world,
        regions=regions,
        treated=3,
        channel="instagram",
        start=25,
        end=32,
        spend_multiplier=multiplier,
        periods=33,
        seed=seed,
    )


def test_panel_truth_and_result_object(world):
    g = _experiment(world, seed=1)
    assert len(g.regions) == 20 and g.treated == g.regions[:3]
    assert g.panel.shape == (20 * 33, 7)
    assert str(g.start.date()) == "2025-06-30" and str(g.end.date()) == "2025-08-18"
    truth = g.truth.set_index(["region", "date"])
    controls = truth.loc[g.regions[3:]]
    assert (controls["incremental_conversions"] == 0).all() and (controls["incremental_spend"] == 0).all()
    treated = g.truth[g.truth["region"].isin(g.treated)]
    before = treated["date"] < g.start
    window = (treated["date"] >= g.start) & (treated["date"] <= g.end)
    assert (treated.loc[before, "incremental_conversions"] == 0).all()
    assert (treated.loc[window, "incremental_conversions"] > 0).all()
    assert g.att == pytest.approx(treated.loc[window, "incremental_conversions"].mean(), rel=1e-12)
    # Tripled spend: the increment is twice the spend the treated regions had in the window.
    spend = g.panel[g.panel["region"].isin(g.treated) & g.panel["post"]]["spend"].sum()
    assert g.incremental_spend == pytest.approx(spend * 2 / 3, rel=1e-12)
    assert g.summary().loc["att", "value"] == g.att
    assert "geo experiment" in g._repr_html_()
    back = pickle.loads(pickle.dumps(g))
    pd.testing.assert_frame_equal(back.panel, g.panel)
    import matplotlib.pyplot as plt

    assert g.plot() is not None
    plt.close("all")
    # Deterministic for a seed on any thread count.
    g1, g2 = (
        tm.simulate.geo_experiment(
            world,
            regions=6,
            treated=2,
            channel="instagram",
            start=25,
            end=32,
            spend_multiplier=0.0,
            periods=33,
            seed=4,
            threads=threads,
        )
        for threads in (1, 2)
    )
    pd.testing.assert_frame_equal(g1.panel, g2.panel)
    assert g1.att == g2.att < 0  # a holdout loses conversions


def test_bad_experiments_are_named(world):
    with pytest.raises(ValueError, match="treated region 'nowhere'"):
        tm.simulate.geo_experiment(
            world, regions=5, treated=["nowhere"], channel="instagram", start=25, end=30, periods=33
        )
    with pytest.raises(ValueError, match="channel 'radio'"):
        tm.simulate.geo_experiment(world, regions=5, treated=1, channel="radio", start=25, end=30, periods=33)
    with pytest.raises(ValueError, match="has no paid spend"):
        tm.simulate.geo_experiment(world, regions=5, treated=1, channel="instagram", start=2, end=5, periods=33)
    with pytest.raises(ValueError, match=r"end '2027-01-01' is period \d+, outside"):
        tm.simulate.geo_experiment(
            world, regions=5, treated=1, channel="instagram", start=25, end="2027-01-01", periods=33
        )
    with pytest.raises(ValueError, match="unknown key 'population'"):
        tm.simulate.geo_experiment(
            world,
            regions=[{"name": "a", "population": 3}, {"name": "b"}],
            treated=["a"],
            channel="instagram",
            start=25,
            end=30,
            periods=33,
        )
    with pytest.raises(ValueError, match=r"treated = 5 regions: must be in \[1, 4\]"):
        tm.simulate.geo_experiment(world, regions=5, treated=5, channel="instagram", start=25, end=30, periods=33)
    with pytest.raises(ValueError, match="treated must be region names or a number of regions, got True"):
        tm.simulate.geo_experiment(world, regions=5, treated=True, channel="instagram", start=25, end=30, periods=33)
    with pytest.raises(ValueError, match="regions must be a number of regions or a list of dicts, got True"):
        tm.simulate.geo_experiment(world, regions=True, treated=1, channel="instagram", start=25, end=30, periods=33)


SEEDS = range(1, 21)


@pytest.fixture(scope="module")
def doubled(world):
    """20 simulated geo experiments: instagram spend doubled in 3 of 20 regions for 8 weeks,
    each seed with its own regions (sizes, audience mixes, conversion rates) and noise."""
    return [_experiment(world, seed, multiplier=2.0) for seed in SEEDS]


def _estimates(g) -> dict:
    kw = dict(unit="region", time="date", outcome="conversions", treated=g.treated, start=g.start, end=g.end)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        sc = tm.evaluate.synthetic_control(g.panel, **kw, statistic="mean", pointwise=False, alpha=0.1)
        sd = tm.evaluate.synthetic_did(g.panel, **kw, statistic="mean", pointwise=False, alpha=0.1)
        sp = tm.evaluate.synthetic_did(g.panel, **kw, statistic="mean", pointwise=False, alpha=0.1, inference="placebo")
    adoption = {r: (g.start if r in g.treated else None) for r in g.regions}
    did = tm.evaluate.staggered_did(g.panel, unit="region", time="date", outcome="conversions", adoption=adoption)
    return {
        "sc": (sc.att, sc.lower, sc.upper),
        "sdid": (sd.att, sd.lower, sd.upper),
        "sdid_placebo": (sp.att, sp.lower, sp.upper),
        "did": (did.att, did.att - Z90 * did.att_se, did.att + Z90 * did.att_se),
    }


@pytest.fixture(scope="module")
def recovery(doubled) -> pd.DataFrame:
    rows = []
    for g in doubled:
        for method, (est, lo, hi) in _estimates(g).items():
            rows.append(dict(method=method, truth=g.att, estimate=est, lower=lo, upper=hi))
    df = pd.DataFrame(rows)
    df["covered"] = (df["lower"] <= df["truth"]) & (df["truth"] <= df["upper"])
    df["error"] = df["estimate"] - df["truth"]
    return df


def _stats(recovery: pd.DataFrame, method: str) -> tuple[float, float, float, float]:
    r = recovery[recovery["method"] == method]
    truth = r["truth"].mean()
    return r["covered"].mean(), r["error"].mean() / truth, math.sqrt((r["error"] ** 2).mean()) / truth, truth


def test_synthetic_control_covers_and_recovers_the_truth(recovery):
    # Measured: 20 of 20 conformal 90% intervals cover the true ATT (mean 199 conversions per
    # region-week, an 8% lift), bias -0.8% of the truth, RMSE 10%; mean width 84.
    cover, bias, rmse, truth = _stats(recovery, "sc")
    assert truth > 100
    assert cover >= 17 / 20
    assert abs(bias) < 0.03 and rmse < 0.15


def test_synthetic_did_recovers_the_truth(recovery):
    # Measured: bias +1.5%, RMSE 18% of the truth.
    cover, bias, rmse, _ = _stats(recovery, "sdid")
    assert abs(bias) < 0.05 and rmse < 0.25


@pytest.mark.xfail(
    strict=True,
    reason="synthetic DiD's conformal interval inverts a refit without time weights "
    "(docs/evaluate.md): 14 of 20 90% intervals cover the truth",
)
def test_synthetic_did_interval_covers_the_truth(recovery):
    assert _stats(recovery, "sdid")[0] >= 17 / 20


def test_synthetic_did_placebo_interval_covers_the_truth(recovery):
    # Measured: 19 of 20 (mean width 109 against the conformal interval's 77); the same in
    # the holdout design (instagram dark), 19 of 20.
    assert _stats(recovery, "sdid_placebo")[0] >= 17 / 20


def test_staggered_did_covers_and_recovers_the_truth(recovery):
    # Measured: 17 of 20 90% intervals (influence-function standard errors, 3 treated units)
    # cover; bias +6.8%, RMSE 31% of the truth (regions of different sizes share a
    # multiplicative season, so trends are parallel only on average over assignments).
    cover, bias, rmse, _ = _stats(recovery, "did")
    assert cover >= 15 / 20
    assert abs(bias) < 0.1 and rmse < 0.4


def test_causal_impact_covers_and_recovers_the_truth(doubled):
    # The treated regions' mean series against the 17 control regions' series as controls.
    rows = []
    for g in doubled[:4]:
        wide = g.panel.pivot(index="date", columns="region", values="conversions")
        controls = [r for r in g.regions if r not in g.treated]
        frame = wide[controls].rename(columns=lambda c: f"c_{c}").assign(y=wide[g.treated].mean(axis=1)).reset_index()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InferenceWarning)
            r = tm.evaluate.causal_impact(
                frame,
                time="date",
                outcome="y",
                controls=[f"c_{c}" for c in controls],
                start=g.start,
                alpha=0.1,
                chains=2,
                draws=400,
                tune=400,
                seed=1,
            )
        rows.append((g.att, r.average_effect, r.average_lower, r.average_upper))
    truth, est, lo, hi = map(np.array, zip(*rows, strict=True))
    assert ((lo <= truth) & (truth <= hi)).sum() >= 3
    assert abs((est - truth).mean()) < 0.05 * truth.mean()


def test_lift_test_export_matches_the_true_lift(doubled):
    # The hand-over to model calibration: as_lift_test's lift (incremental conversions over
    # the window) and standard error against the true total. Measured: 19 of 20 |z| < 1.645,
    # mean z -0.04, sd 0.74 (the conformal-interval standard error is a little
    # conservative); iROAS in conversions per currency unit within 10% of the truth.
    zs, ratios = [], []
    for g in doubled:
        kw = dict(unit="region", time="date", outcome="conversions", treated=g.treated, start=g.start, end=g.end)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InferenceWarning)
            r = tm.evaluate.synthetic_control(g.panel, **kw, statistic="mean", pointwise=False, alpha=0.1)
        t = r.as_lift_test(channel="instagram", spend=g.incremental_spend)
        assert t.units == g.treated and t.start == g.start and t.end == g.end
        zs.append((t.lift - g.incremental_conversions) / t.standard_error)
        ratios.append(t.iroas / (g.incremental_conversions / g.incremental_spend))
    zs = np.array(zs)
    assert (np.abs(zs) < Z90).sum() >= 17
    assert abs(zs.mean()) < 0.5 and 0.4 < zs.std() < 1.3
    assert np.median(np.abs(np.array(ratios) - 1)) < 0.1
