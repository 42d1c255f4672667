"""Validation on worlds the model did not write (issue 12; docs/validation.md).

1. The simulator's truth measures what ``fit.roi`` measures (``SimulationResult.truth_for``):
   checked against an independent numpy implementation of the chain
   (``trustmix.simulate._reference``) fed with hand-edited media inputs.
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

import trustmix as tm
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
    from trustmix.simulate._reference import reference_segment_run

    T, H, L = 40, 20, 3
    world = sim.World.from_scenario("crisis_with_pr_response", seed=4)
    spec = world.to_dict()
    out = world.run(periods=T, truth=False)
    w0, w1 = 10, 30   # the recall statement (2025-07-09) is in period 26
    truth = out.truth_for(window=(out.dates[w0], out.dates[w1]), horizon=H, lag=L)
    assert truth.horizon == H and truth.lag_periods == L
    assert len(truth.incremental) == T + H
    drive = world._core.drive(periods=T + H, period_days=7)
    drive = {k: np.array(v, dtype=float) for k, v in drive.items()}
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
        cf["impressions"][w0:w1 + 1, j] = 0.0
        if c == "press":  # the response is press activity in W: the full shock
            cf["severity_loss"][t_crisis] = crisis["severity"]
        inc = base - reference_segment_run(spec, cf, T + H, 7)["expected_conversions"].sum(axis=1)
        np.testing.assert_allclose(truth.incremental[c].to_numpy(), inc, rtol=1e-8, atol=1e-8)
        assert ch.loc[c, "conversions"] == pytest.approx(inc.sum(), rel=1e-9)
        assert ch.loc[c, "short_term_conversions"] == pytest.approx(inc[: w1 + L + 1].sum(), rel=1e-9)
        assert ch.loc[c, "long_term_conversions"] == pytest.approx(inc[w1 + L + 1:].sum(), rel=1e-9, abs=1e-9)
        assert np.all(inc[:w0] == 0.0) and inc.sum() > 0
        assert ch.loc[c, "cost"] == pytest.approx(out.panel[f"spend_{c}"].iloc[w0:w1 + 1].sum())
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
    np.testing.assert_allclose(a["long_term_conversions"], longer.incremental.iloc[30 + 12:].sum().to_numpy(),
                               rtol=1e-10, atol=1e-9)
    assert a.loc["press", "long_term_conversions"] > 0.2 * a.loc["press", "conversions"]
    with pytest.raises(ValueError, match="contains no period"):
        out.truth_for(window=("2030-01-01", "2030-02-01"))
    with pytest.raises(ValueError, match="horizon must be"):
        out.truth_for(horizon=-1)
    with pytest.raises(ValueError, match="lag must be"):
        out.truth_for(lag=-3)
