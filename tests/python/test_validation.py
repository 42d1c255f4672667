"""Validation on worlds the model did not write (issue 12; docs/validation.md).

1. The simulator's truth measures what ``fit.roi`` measures (``SimulationResult.truth_for``):
   checked against an independent numpy implementation of the chain
   (``tests/python/_simulate_reference.py``) fed with hand-edited media inputs.
2. A small, fast subset of ``benchmarks/validate_worlds.py`` with thresholds justified
   by binomial reasoning (see the test's docstring).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustmix import simulate as sim

ROOT = Path(__file__).resolve().parents[2]


def _harness():
    spec = importlib.util.spec_from_file_location("validate_worlds", ROOT / "benchmarks" / "validate_worlds.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["validate_worlds"] = mod
    spec.loader.exec_module(mod)
    return mod


# ---- 1. one estimand on both sides ---------------------------------------------------


def test_truth_for_equals_an_independent_chain_with_the_window_removed_by_hand():
    """truth_for(window=W, horizon=H, lag=L) against the numpy reference chain, run on the
    world's media inputs with the channel's impressions in W zeroed by hand, no marketing
    and no events after the data, and (for press) the crisis softening of the response,
    whose date lies in W, taken away. Same coverage draws on both sides."""
    from _simulate_reference import drive_arrays, reference_segment_run

    T, H, L = 40, 20, 3
    world = sim.World.from_scenario("crisis_with_pr_response", seed=4)
    spec = world.to_dict()
    out = world.run(periods=T, truth=False)
    w0, w1 = 10, 30  # the recall statement (2025-07-09) is in period 26
    truth = out.truth_for(window=(out.dates[w0], out.dates[w1]), horizon=H, lag=L)
    assert truth.horizon == H and truth.lag_periods == L
    assert len(truth.incremental) == T + H
    drive = world._core.drive(periods=T + H, period_days=7)
    drive = drive_arrays(drive)
    drive["impressions"][T:] = 0.0
    drive["severity_loss"][T:] = 0.0
    drive["severity_gain"][T:] = 0.0
    base = reference_segment_run(spec, drive, T + H, 7)["expected_conversions"].sum(axis=1)
    ch = truth.channels.set_index("channel")
    crisis = spec["events"][0]
    t_crisis = (pd.Timestamp(crisis["date"]) - out.dates[0]).days // 7
    for c in ("press", "instagram"):
        j = world.channels.index(c)
        cf = {k: v.copy() for k, v in drive.items()}
        cf["impressions"][w0 : w1 + 1, j] = 0.0
        if c == "press":  # the response is press activity in W: the full shock
            cf["severity_loss"][t_crisis] = crisis["severity"]
        inc = base - reference_segment_run(spec, cf, T + H, 7)["expected_conversions"].sum(axis=1)
        np.testing.assert_allclose(truth.incremental[c].to_numpy(), inc, rtol=1e-8, atol=1e-8)
        assert ch.loc[c, "conversions"] == pytest.approx(inc.sum(), rel=1e-9)
        assert ch.loc[c, "short_term_conversions"] == pytest.approx(inc[: w1 + L + 1].sum(), rel=1e-9)
        assert ch.loc[c, "long_term_conversions"] == pytest.approx(inc[w1 + L + 1 :].sum(), rel=1e-9, abs=1e-9)
        assert np.all(inc[:w0] == 0.0) and inc.sum() > 0
        assert ch.loc[c, "cost"] == pytest.approx(out.panel[f"spend_{c}"].iloc[w0 : w1 + 1].sum())
    assert ch.loc["press", "window_start"] == out.dates[w0] and ch.loc["press", "window_end"] == out.dates[w1]


def test_truth_for_matches_roi_definitions_and_rejects_bad_options():
    world = sim.World.from_scenario("pr_first_then_smm", seed=2)
    out = world.run(periods=30, truth=True)
    # Default: today's definition (each channel's own window, the data only).
    same = out.truth_for()
    pd.testing.assert_frame_equal(same.channels, out.truth.channels)
    # The horizon adds the tail after the data, all of it long-term.
    longer = out.truth_for(window=(out.dates[0], out.dates[-1]), horizon=52, lag=12)
    a = longer.channels.set_index("channel")
    assert longer.incremental.index[-1] == out.dates[-1] + pd.Timedelta(weeks=52)
    np.testing.assert_allclose(a["conversions"], longer.incremental.sum().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(
        a["long_term_conversions"], longer.incremental.iloc[30 + 12 :].sum().to_numpy(), rtol=1e-10, atol=1e-9
    )
    assert a.loc["press", "long_term_conversions"] > 0.2 * a.loc["press", "conversions"]
    with pytest.raises(ValueError, match="contains no period"):
        out.truth_for(window=("2030-01-01", "2030-02-01"))
    with pytest.raises(ValueError, match="horizon must be"):
        out.truth_for(horizon=-1)
    with pytest.raises(ValueError, match="lag must be"):
        out.truth_for(lag=-3)


# ---- 2. a small, fast subset of the harness -------------------------------------------
#
# Thresholds. A property that holds for a share p of channels (or worlds) drawn from the
# harness's world distribution holds for X ~ Binomial(n, p) of n new ones (treating them
# as independent; channels of one world are not quite). The test asserts
# X >= k(n, p) = the largest k with P(Binomial(n, p) < k) <= 1%, with p the share
# measured by the harness's baseline run (docs/validation.md, "Baseline"): a model as good
# as today's fails a check with at most 1% probability on a fresh set of worlds, and a
# clear regression fails it. The worlds here are drawn with seed 7, not the harness's
# 2026, so they are new draws from the same distribution; the fits are seeded, so the
# test is deterministic. Where today's model misses a goal of issue 12 (PR total within
# 20%, half-life covered, 85-95% coverage), the check is on what holds today (PR within
# 50%, half-life within a factor 2, coverage as measured) and docs/validation.md says
# what fails.

SEED = 7
P_MAP = {  # shares measured on the 40 harness worlds, MAP fits, default model (docs/validation.md)
    "smm_total_within_30pct": 0.92,
    "pr_total_within_50pct": 0.69,
    # 40 of 40 worlds: p = 1 would demand every world; 0.93 is the one-sided 95% lower
    # bound for 40 of 40 (0.05 ** (1 / 40))
    "half_life_within_factor_2": 0.93,
    "share_within_0.15": 0.97,
    "rank_spearman_at_least_0.5": 0.87,
}
P_NUTS_COVER90 = 0.80  # channel totals covered by the 90% interval, 40 worlds, full NUTS


def binomial_threshold(n: int, p: float, alpha: float = 0.01) -> int:
    """Largest k with P(Binomial(n, p) < k) <= alpha (exact binomial sum): the strictest
    threshold that a model as good as p still passes with probability >= 1 - alpha."""
    from math import comb

    cdf, k = 0.0, 0
    while k <= n:
        nxt = cdf + comb(n, k) * p**k * (1 - p) ** (n - k)  # P(X <= k) = P(X < k + 1)
        if nxt > alpha:
            return k
        cdf, k = nxt, k + 1
    return n


def test_binomial_threshold_is_the_exact_lower_quantile():
    # n = 3, p = 0.5: P(X < 1) = 0.125 > 0.05 so k = 0; P(X < 1) <= 0.2 so k = 1.
    assert binomial_threshold(3, 0.5, 0.05) == 0
    assert binomial_threshold(3, 0.5, 0.2) == 1
    # n = 10, p = 0.9: P(X <= 6) = 0.0128, P(X <= 5) = 0.0016.
    assert binomial_threshold(10, 0.9, 0.01) == 6
    assert binomial_threshold(10, 0.9, 0.02) == 7


def _check(name: str, successes: int, n: int, p: float) -> None:
    k = binomial_threshold(n, p)
    assert k >= 1, f"{name}: n = {n} is too small for a check that can fail"
    assert successes >= k, f"{name}: {successes} of {n}, expected >= {k} (p = {p} measured by the harness)"


@pytest.fixture(scope="module")
def harness():
    return _harness()


def test_map_fits_on_new_worlds_recover_what_the_harness_measured(harness):
    """MAP fits of 10 randomised worlds (seed 7): point errors against the simulator's truth."""
    rows, worlds = [], []
    for k in range(1, 11):
        r = harness.fit_case(harness.random_case(k, SEED), method="map")
        rows += r["channels"]
        worlds.append(r["world"])
    ch = pd.DataFrame(rows)
    w = pd.DataFrame(worlds)
    tot = ch[ch["part"] == "total"]
    rel = ((tot["estimate"] - tot["truth"]) / tot["denominator"]).abs()
    smm, pr = tot["kind"] == "smm", tot["kind"] == "pr"
    _check("SMM totals within 30%", int((rel[smm] <= 0.3).sum()), int(smm.sum()), P_MAP["smm_total_within_30pct"])
    _check("PR totals within 50%", int((rel[pr] <= 0.5).sum()), int(pr.sum()), P_MAP["pr_total_within_50pct"])
    ratio = w["half_life_mean"] / w["half_life_true"]
    _check(
        "half-life within a factor 2",
        int(((ratio >= 0.5) & (ratio <= 2)).sum()),
        len(w),
        P_MAP["half_life_within_factor_2"],
    )
    err = (w["share_mean"] - w["share_true"]).abs()
    _check(
        "share of SMM made possible by PR within 0.15",
        int((err <= 0.15).sum()),
        int(err.notna().sum()),
        P_MAP["share_within_0.15"],
    )
    rho = w["rank_spearman"].dropna()
    _check("channel ranks (Spearman >= 0.5)", int((rho >= 0.5).sum()), len(rho), P_MAP["rank_spearman_at_least_0.5"])
    # The harness's truth is the same estimand as fit.roi: totals split exactly.
    np.testing.assert_allclose(
        ch.pivot_table(index=["world", "channel"], columns="part", values="truth")
        .eval("short + long - total")
        .to_numpy(),
        0.0,
        atol=1e-6,
    )


def test_short_nuts_on_new_worlds_covers_as_the_harness_measured(harness):
    """Short NUTS (2 x (300 + 300)) on two randomised worlds: 90% coverage of channel totals.

    With n = 6 totals and p = 0.80 the 1% threshold is k = 2, so the coverage check only
    guards against collapse (at most one total covered); the interval nesting and divergence
    checks below are the stricter part. The 40-world harness measures coverage itself."""
    rows = []
    for k in (3, 5):  # 208 and 156 weeks, 3 channels each
        r = harness.fit_case(harness.random_case(k, SEED), chains=2, draws=300, tune=300, max_draws=100)
        rows += r["channels"]
        assert r["world"]["divergences"] <= 10
    ch = pd.DataFrame(rows)
    tot = ch[ch["part"] == "total"]
    _check("90% intervals of channel totals", int(harness.covered(tot, 90).sum()), len(tot), P_NUTS_COVER90)
    # 50% intervals nest inside 90% intervals.
    assert (tot["low90"] <= tot["low50"]).all() and (tot["high50"] <= tot["high90"]).all()
