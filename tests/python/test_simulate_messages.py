"""Message variants in the simulated world (issue 16): an A/B test on a big enough sample
recovers the simulated truth; a live Thompson bandit puts most traffic on each persona's
best variant; results are objects (tables, pickling, plots); bad input is named."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from trustmix import experiments as ex
from trustmix import simulate as sim

# Plain, fun, easy, popular on the four example personas: each persona has one best framing.
FRAMINGS = {
    "plain": {},
    "fun": {"Curious Chris": 0.45, "Skeptical Sam": -0.1},
    "easy": {"Busy Beth": 0.4, "Loyal Lena": 0.1},
    "popular": {"Skeptical Sam": 0.35, "Loyal Lena": 0.45},
}
BEST = {"Skeptical Sam": "popular", "Loyal Lena": "popular", "Curious Chris": "fun", "Busy Beth": "easy"}


@pytest.fixture(scope="module")
def world():
    return sim.World.from_scenario("smm_only", seed=3)


def _run(world, **kw):
    # ig_always_on runs from May 2025: weeks 17-24 of the world.
    return sim.run_message_test(world, FRAMINGS, campaign="ig_always_on", periods=25, start=17, **kw)


def test_ab_test_recovers_the_simulated_truth(world):
    res = _run(world, design="ab")
    assert res.truth.idxmax(axis=1).to_dict() == BEST
    tot = res.totals()
    # Every persona x framing rate within the binomial noise of its truth (chi-square, 16 df).
    z = (tot["conversions"] - tot["users"] * tot["true_rate"]) / np.sqrt(
        tot["users"] * tot["true_rate"] * (1 - tot["true_rate"])
    )
    assert float((z**2).sum()) < 39.3  # 99.9% quantile of chi-square(16)
    assert (res.data["share"] == 0.25).all()
    # The A/B analysis by persona finds each persona's best framing with high probability.
    for persona, best in BEST.items():
        sub = tot.loc[persona].reset_index()
        r = ex.compare_arms(sub, arm="variant", users="users", conversions="conversions", control="plain")
        t = r.table.set_index("arm")
        assert t["prob_best"].idxmax() == best
        assert t.loc[best, "prob_best"] > 0.9
        # The true relative lift of the best framing is inside the 95% interval.
        true_lift = res.truth.loc[persona, best] / res.truth.loc[persona, "plain"] - 1
        assert t.loc[best, "relative_lower"] <= true_lift <= t.loc[best, "relative_upper"]


def test_per_user_rows_feed_ab_test_with_trust_as_covariate(world):
    res = _run(world, design="ab", enrolment=0.3)
    rows = res.rows()
    assert len(rows) == res.data["users"].sum()
    assert rows["converted"].sum() == res.data["conversions"].sum()
    assert rows["trusting"].sum() == res.data["trusting_users"].sum()
    plain = ex.ab_test(rows, arm="variant", metric="converted", segment="persona", control="plain", method="fixed")
    cuped = ex.ab_test(
        rows,
        arm="variant",
        metric="converted",
        segment="persona",
        control="plain",
        method="fixed",
        covariate="trusting",
    )
    a = plain.table[~plain.table["control"]]
    b = cuped.table[~cuped.table["control"]]
    # Trust moves conversion in the world, so CUPED on it narrows every interval.
    assert ((b["lift_upper"] - b["lift_lower"]).to_numpy() < (a["lift_upper"] - a["lift_lower"]).to_numpy()).all()


def test_live_thompson_bandit_moves_traffic_to_each_personas_best(world):
    ab = _run(world, design="ab")
    ts = _run(world, design="thompson", floor=0.02)
    s = ts.summary()
    assert (s["best"] == pd.Series(BEST)).all()
    assert (s["share_on_best"] > 0.5).all(), s
    last = ts.data[ts.data["date"] == ts.data["date"].max()].set_index(["persona", "variant"])["share"]
    for persona, best in BEST.items():
        assert last[(persona, best)] > 0.6
    assert ts.regret.iloc[-1] < 0.6 * ab.regret.iloc[-1]
    # Each period's traffic follows the shares decided before it (multinomial split).
    d = ts.data
    per = d.groupby(["date", "persona"])["users"].transform("sum")
    z = (d["users"] - per * d["share"]) / np.sqrt(np.maximum(per * d["share"] * (1 - d["share"]), 1e-9))
    assert np.abs(z).max() < 6
    for design in ("top_two_thompson", "ucb"):
        assert _run(world, design=design).regret.iloc[-1] < ab.regret.iloc[-1]


def test_deterministic_pickles_and_plots(world):
    a = _run(world, design="thompson")
    b = _run(world, design="thompson")
    pd.testing.assert_frame_equal(a.data, b.data)
    c = _run(world, design="thompson", stream=1)
    assert not a.data["users"].equals(c.data["users"])
    back = pickle.loads(pickle.dumps(a))
    pd.testing.assert_frame_equal(back.data, a.data)
    pd.testing.assert_frame_equal(back.truth, a.truth)
    assert "Message test" in a._repr_html_()
    import matplotlib

    matplotlib.use("Agg")
    axes = a.plot()
    assert len(axes) == 4
    # A DataFrame persona x variant of appeals gives the same run.
    table = pd.DataFrame(FRAMINGS).reindex(world.segments).fillna(0.0)
    d = sim.run_message_test(world, table, campaign="ig_always_on", periods=25, start=17, design="thompson")
    pd.testing.assert_frame_equal(d.data, a.data)


def test_bad_input_is_named(world):
    with pytest.raises(ValueError, match="no campaign named 'nope'"):
        sim.run_message_test(world, FRAMINGS, campaign="nope", periods=20)
    with pytest.raises(ValueError, match="not personas of the world"):
        sim.run_message_test(world, {"a": {"Martian Max": 1.0}, "b": {}}, campaign="ig_always_on", periods=20)
    with pytest.raises(ValueError, match="design must be one of"):
        sim.run_message_test(world, FRAMINGS, campaign="ig_always_on", periods=20, design="greedy")
    with pytest.raises(ValueError, match="need at least 2"):
        sim.run_message_test(world, {"a": {}}, campaign="ig_always_on", periods=20)
    with pytest.raises(ValueError, match="weights: expected one per variant"):
        sim.run_message_test(world, FRAMINGS, campaign="ig_always_on", periods=20, weights=[1, 1])
    with pytest.raises(ValueError, match="first_period must be in"):
        sim.run_message_test(world, FRAMINGS, campaign="ig_always_on", periods=20, start=20)


def test_spend_paced_to_a_budget(world):
    costs = [0.02, 0.02, 0.03, 0.05]
    free = _run(world, design="thompson", costs=costs)
    assert free.total_spend == pytest.approx(float((free.data["users"] * np.tile(costs, len(free.data) // 4)).sum()))
    paced = _run(world, design="thompson", costs=costs, budget=0.5 * free.total_spend)
    assert paced.total_spend == pytest.approx(0.5 * free.total_spend, rel=0.02)
    assert paced.data["users"].sum() < free.data["users"].sum()
    with pytest.raises(ValueError, match="costs: expected one per variant"):
        _run(world, costs=[1.0], budget=10.0)
