"""Results of _core.evaluate bound as classes with typed attributes (bindings/evaluate.cpp,
helpers::bind_result): their numbers against closed forms on small panels, read by name,
their repr and their versioned pickles."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from _typed_results import roundtrip, same
from trustmix import _core
from trustmix.evaluate._api import _CONFORMAL_FIELDS

ev = _core.evaluate


def _panel() -> np.ndarray:
    """5 units x 16 periods: unit 0 is the mean of units 1 and 2 plus 3 from period 12 on."""
    rng = np.random.default_rng(7)
    t = np.arange(16)
    donors = 100.0 + 10.0 * rng.standard_normal((4, 16)).cumsum(axis=1) + 2.0 * t
    treated = 0.5 * (donors[0] + donors[1]) + np.where(t >= 12, 3.0, 0.0)
    return np.vstack([treated, donors])


FIT = [
    "treated",
    "donors",
    "start",
    "end",
    "weights",
    "time_weights",
    "intercept",
    "observed",
    "synthetic",
    "effect",
    "att",
    "lift",
    "incremental",
    "l2_imbalance",
    "scaled_l2_imbalance",
    "pre_rmspe",
    "ridge",
    "kkt_residual",
    "cells",
]


def test_synthetic_control_fit_with_given_weights_is_the_closed_form() -> None:
    y = _panel()
    f = ev.synthetic_control_with_weights(y, [0], 12, 16, np.array([0.5, 0.5, 0.0, 0.0]), fixed_effects=False)
    assert isinstance(f, ev.SyntheticControlFit)
    assert f.treated.tolist() == [0] and f.donors.tolist() == [1, 2, 3, 4]
    assert (f.start, f.end) == (12, 16)
    np.testing.assert_allclose(f.synthetic, 0.5 * (y[1] + y[2]), rtol=1e-14)
    np.testing.assert_allclose(f.effect, np.where(np.arange(16) >= 12, 3.0, 0.0), atol=1e-12)
    assert f.att == pytest.approx(3.0, rel=1e-12)
    assert f.incremental == pytest.approx(3.0 * 4, rel=1e-12)
    assert f.lift == pytest.approx(12.0 / f.synthetic[12:].sum(), rel=1e-12)
    assert f.pre_rmspe == pytest.approx(0.0, abs=1e-12)
    assert f.cells == []
    assert repr(f).startswith("SyntheticControlFit(treated=<int64 array (1,)>, donors=<int64 array (4,)>, start=12")
    roundtrip(f, FIT)


def test_per_unit_cells_are_fits_and_pickle_inside_their_parent() -> None:
    y = _panel()
    f = ev.synthetic_control(y, [0, 1], 12, 16, aggregation="per_unit")
    assert [c.treated.tolist() for c in f.cells] == [[0], [1]]
    assert all(isinstance(c, ev.SyntheticControlFit) for c in f.cells)
    assert f.att == pytest.approx(np.mean([c.att for c in f.cells]), rel=1e-12)
    back = roundtrip(f, FIT)
    for a, b in zip(back.cells, f.cells, strict=True):
        same(a, b, FIT)


def test_conformal_jackknife_and_placebo_variance_intervals() -> None:
    y = _panel()
    c = ev.conformal_inference(y, [0], 12, 16, n_permutations=200, seed=3, alpha=0.2)
    assert isinstance(c, ev.ConformalResult)
    assert 0.0 < c.p_value <= 1.0 and c.alpha == 0.2
    assert c.lower <= c.upper
    assert c.pointwise_lower.shape == c.pointwise_upper.shape == c.pointwise_p.shape == (4,)
    assert c.null_residuals.shape == (16,)
    assert isinstance(c.exact, bool) and isinstance(c.n_permutations, int) and c.n_permutations > 0
    roundtrip(c, list(_CONFORMAL_FIELDS))  # also the keys of SyntheticControlResult.inference
    j = ev.jackknife_plus(y, [0], 12, 16, alpha=0.2)
    assert isinstance(j, ev.JackknifeResult) and j.alpha == 0.2 and j.lower <= j.upper
    assert j.pointwise_lower.shape == (4,) and j.held_out_errors.shape == (12,)
    roundtrip(j, ["alpha", "lower", "upper", "pointwise_lower", "pointwise_upper", "held_out_errors"])
    v = ev.placebo_variance(y, [0], 12, 16, alpha=0.2, n_placebo=20, seed=1)
    att = ev.synthetic_control(y, [0], 12, 16).att
    z = NormalDist().inv_cdf(0.9)
    assert v.placebo_att.shape == (20,)
    assert v.se == pytest.approx(float(np.std(v.placebo_att)), rel=1e-10)
    assert (v.lower, v.upper) == pytest.approx((att - z * v.se, att + z * v.se), rel=1e-10)
    roundtrip(v, ["alpha", "se", "lower", "upper", "placebo_att"])


def test_placebos_in_space_and_time() -> None:
    y = _panel()
    s = ev.placebo_in_space(y, [0], 12, 16)
    assert isinstance(s, ev.PlaceboSpaceResult)
    assert s.units.tolist() == [1, 2, 3, 4] and s.att.shape == s.rmspe_ratio.shape == (4,)
    ranks = 1 + int((s.rmspe_ratio >= s.treated_ratio).sum())
    assert s.p_value == pytest.approx(ranks / 5, rel=1e-14)
    roundtrip(s, ["units", "att", "rmspe_ratio", "treated_ratio", "p_value"])
    t = ev.placebo_in_time(y, [0], 12, 16, n_permutations=100)
    assert isinstance(t, ev.PlaceboTimeResult) and isinstance(t.fit, ev.SyntheticControlFit)
    assert (t.fit.start, t.fit.end) == (8, 12) and 0.0 < t.p_value <= 1.0
    back = roundtrip(t, ["fit", "p_value"])
    same(back.fit, t.fit, FIT)


def test_staggered_did_of_a_parallel_panel_is_the_constant_effect() -> None:
    # y_it = a_i + b_t (+ 2 once adopted): every ATT(g, t) after adoption is 2, before 0.
    a = np.array([0.0, 5.0, -3.0, 8.0, 1.0, 2.0])
    b = np.linspace(10.0, 30.0, 10) ** 1.1
    y = a[:, None] + b[None, :]
    adoption = [4, 4, 6, -1, -1, -1]
    for i, g in enumerate(adoption):
        if g >= 0:
            y[i, g:] += 2.0
    d = ev.staggered_did(y, adoption)
    assert isinstance(d, ev.StaggeredDidResult)
    assert d.cell_cohort.dtype == np.int64 and d.cell_period.dtype == np.int64
    post = d.cell_period >= d.cell_cohort
    np.testing.assert_allclose(d.cell_att[post], 2.0, rtol=1e-12)
    np.testing.assert_allclose(d.cell_att[~post], 0.0, atol=1e-12)
    assert d.att == pytest.approx(2.0, rel=1e-12) and d.att_se == pytest.approx(0.0, abs=1e-10)
    np.testing.assert_allclose(d.event_att[d.event_time >= 0], 2.0, rtol=1e-12)
    roundtrip(
        d, ["cell_cohort", "cell_period", "cell_att", "cell_se", "att", "att_se", "event_time", "event_att", "event_se"]
    )


CURVE = [
    "treated",
    "duration",
    "effects",
    "power",
    "estimated_lift",
    "mean_p_value",
    "mde",
    "bias_at_zero",
    "scaled_l2_imbalance",
    "att_scale",
]


def test_power_curve_and_market_selection() -> None:
    y = _panel()
    effects = [0.0, 0.05, 0.5]
    p = ev.power_analysis(y, [1], 3, effects=effects, n_windows=2, n_permutations=50)
    assert isinstance(p, ev.PowerCurve)
    assert p.treated.tolist() == [1] and p.duration == 3
    assert p.effects.tolist() == effects and p.power.shape == p.mean_p_value.shape == (3,)
    assert set(p.power.tolist()) <= {0.0, 0.5, 1.0}
    assert p.bias_at_zero == pytest.approx(p.estimated_lift[0], rel=1e-14)
    roundtrip(p, CURVE)
    m = ev.market_selection(y, sizes=[1], durations=[3], effects=effects, n_windows=2, n_permutations=50)
    assert isinstance(m, ev.MarketSelection) and m.effects.tolist() == effects
    assert len(m.designs) == 5 and all(isinstance(c, ev.PowerCurve) for c in m.designs)
    assert sorted(c.treated.tolist()[0] for c in m.designs) == [0, 1, 2, 3, 4]
    back = roundtrip(m, ["effects", "designs"])
    for a, b in zip(back.designs, m.designs, strict=True):
        same(a, b, CURVE)


def test_lift_test_is_the_conformal_interval_read_as_a_normal_one() -> None:
    t = ev.as_lift_test([3, 5], 10, 16, 120.0, 0.04, -2.0, 8.0, 0.1, channel="tv", spend=600.0, cooldown=2)
    assert isinstance(t, ev.LiftTest)
    z = NormalDist().inv_cdf(0.95)
    assert t.channel == "tv" and t.treated.tolist() == [3, 5]
    assert (t.start, t.end, t.measured_end, t.cooldown) == (10, 16, 16, 2)
    assert t.lift == 120.0 and t.relative_lift == 0.04
    assert t.standard_error == pytest.approx(10.0 / (2 * z) * 12, rel=1e-14)
    assert t.iroas == pytest.approx(0.2, rel=1e-15)
    assert t.iroas_standard_error == pytest.approx(t.standard_error / 600.0, rel=1e-15)
    measured = ev.as_lift_test(
        [3, 5], 10, 16, 120.0, 0.04, -2.0, 8.0, 0.1, channel="tv", cooldown=2, cooldown_measured=True
    )
    assert (measured.end, measured.measured_end) == (14, 16) and math.isnan(measured.iroas)
    roundtrip(
        t,
        [
            "channel",
            "treated",
            "start",
            "end",
            "cooldown",
            "measured_end",
            "lift",
            "standard_error",
            "relative_lift",
            "spend",
            "iroas",
            "iroas_standard_error",
            "period_lift",
            "period_standard_error",
        ],
        version=2,
    )
    assert t.period_lift.size == 0 and t.period_standard_error.size == 0
    # per period over [10, 16): lifts = effect x 2 units; pointwise intervals of width 4
    # give se_j = 4 / (2 z) x 2, scaled up by k = total se / sqrt(6 se_j^2) =
    # (10 / (2 z) x 12) / (4 / (2 z) x 2 x sqrt(6)) = 120 / (8 sqrt(6)) > 1
    effect = np.zeros(16)
    effect[10:] = [5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    p = ev.as_period_lift_test(
        [3, 5], 10, 16, 90.0, 0.04, effect, -2.0, 8.0, effect[10:] - 2.0, effect[10:] + 2.0, 0.1, channel="tv"
    )
    np.testing.assert_allclose(p.period_lift, 2.0 * effect[10:], rtol=1e-15)
    k = (10.0 * 12) / (4.0 * 2 * math.sqrt(6.0))
    np.testing.assert_allclose(p.period_standard_error, k * 4.0 / (2 * z) * 2, rtol=1e-14)
    back = roundtrip(p, [*t.__getstate__()[1]], version=2)
    np.testing.assert_array_equal(back.period_standard_error, p.period_standard_error)
    with pytest.raises(ValueError, match="pointwise conformal intervals of the 6 measured periods"):
        ev.as_period_lift_test([3, 5], 10, 16, 90.0, 0.04, effect, -2.0, 8.0, [], [], 0.1, channel="tv")


def test_causal_impact_result_adds_up() -> None:
    rng = np.random.default_rng(2)
    x = 50.0 + rng.standard_normal(40).cumsum()
    y = 2.0 * x + rng.standard_normal(40) + np.where(np.arange(40) >= 30, 10.0, 0.0)
    r = ev.causal_impact(y, x[:, None], 30, chains=2, draws=150, tune=150, seed=1, threads=1)
    assert isinstance(r, ev.CausalImpactResult)
    assert r.start == 30 and r.predicted.shape == (40,) and r.cumulative.shape == (10,)
    np.testing.assert_allclose(r.effect[30:], y[30:] - r.predicted[30:], rtol=1e-12)
    assert r.cumulative[-1] == pytest.approx(r.effect[30:].sum(), rel=1e-10)
    assert r.average_effect == pytest.approx(r.effect[30:].mean(), rel=1e-10)
    assert r.beta_mean.shape == r.inclusion.shape == (1,) and isinstance(r.divergences, int)
    roundtrip(
        r,
        [
            "predicted",
            "predicted_lower",
            "predicted_upper",
            "effect",
            "effect_lower",
            "effect_upper",
            "cumulative",
            "cumulative_lower",
            "cumulative_upper",
            "average_effect",
            "average_lower",
            "average_upper",
            "relative_effect",
            "p_value",
            "beta_mean",
            "inclusion",
            "max_rhat",
            "min_ess",
            "divergences",
            "start",
        ],
    )


def test_evaluate_result_classes_are_made_only_by_the_core() -> None:
    for cls in (ev.SyntheticControlFit, ev.ConformalResult, ev.PowerCurve, ev.LiftTest):
        with pytest.raises(TypeError):
            cls()
