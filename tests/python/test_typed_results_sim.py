"""Results of the simulator, the message tests, the latent class fit and the sampler's
defaults bound as classes with typed attributes (bindings/helpers/result.hpp): every
attribute read by name against a closed form or the same number computed another way
(the Python wrappers' DataFrames, the numpy test oracle), and every field equal after a
pickle round trip; states of the dicts these results were before still load."""

from __future__ import annotations

import math
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
import trustmix.simulate as sim
from trustmix import _core

sys.path.insert(0, str(Path(__file__).parent))
from _simulate_reference import drive_arrays, reference_segment_run  # noqa: E402

T = 30  # the crisis of crisis_with_pr_response is in period 26


def _fields(obj: object) -> list[str]:
    """The attributes of a bound result class (its read-only properties)."""
    return sorted(n for n in dir(type(obj)) if isinstance(getattr(type(obj), n), property))


def _same(a: Any, b: Any, where: str) -> None:
    """a == b field by field: arrays by dtype, shape and value (NaN equal to NaN), lists
    item by item, bound results recursively."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, float):
        assert isinstance(b, float) and (a == b or (math.isnan(a) and math.isnan(b))), where
    elif type(a).__module__.startswith("trustmix._core"):
        assert type(a) is type(b), where
        for n in _fields(a):
            _same(getattr(a, n), getattr(b, n), f"{where}.{n}")
    else:
        assert type(a) is type(b) and a == b, where


def _round_trip(obj: Any) -> None:
    again = pickle.loads(pickle.dumps(obj))
    assert type(again) is type(obj)
    assert _fields(again) == _fields(obj)
    _same(obj, again, type(obj).__name__)


@pytest.fixture(scope="module")
def world() -> sim.World:
    return sim.World.from_scenario("crisis_with_pr_response", seed=2)


@pytest.fixture(scope="module")
def segment_run(world: sim.World) -> sim.SimulationResult:
    return world.run(periods=T, truth=True)


def test_run_result_attributes_are_the_wrappers_numbers_and_the_oracles_chain(world, segment_run):
    raw = segment_run._raw
    assert type(raw).__name__ == "RunResult"
    S, C = len(world.segments), len(world.channels)
    assert (raw.periods, raw.segments, raw.channels, raw.period_days) == (T, S, C, 7)
    for name in ("impressions", "reach", "clicks", "visits"):
        assert getattr(raw, name).shape == (T, S, C), name
    for name in ("conversions", "revenue", "trusting", "expected_conversions", "expected_trusting"):
        assert getattr(raw, name).shape == (T, S), name
    for name in ("mentions", "earned_reach", "positive_mentions", "negative_mentions"):
        assert getattr(raw, name).shape == (T, C), name
    assert raw.spend.shape == (T, C) and raw.population.shape == (S,)
    # the wrapper's panel is built from these attributes; the same numbers another way
    panel = segment_run.panel
    np.testing.assert_array_equal(panel["conversions"].to_numpy(), raw.conversions.sum(axis=1))
    for c, name in enumerate(world.channels):
        np.testing.assert_array_equal(panel[f"spend_{name}"].to_numpy(), raw.spend[:, c])
        np.testing.assert_array_equal(panel[f"clicks_{name}"].to_numpy(), raw.clicks[:, :, c].sum(axis=1))
    assert raw.population.sum() == pytest.approx(world.population, rel=1e-12)
    # the exact chain against the independent numpy oracle (docs/simulate.md's equations)
    ref = reference_segment_run(world.to_dict(), world._core.drive(periods=T, period_days=7), T, 7)
    np.testing.assert_allclose(raw.expected_conversions, ref["expected_conversions"], rtol=1e-10)
    np.testing.assert_allclose(raw.expected_trusting, ref["expected_trusting"], rtol=1e-10)
    # segment mode keeps no logs
    assert raw.touch_user.size == 0 and raw.conversion_value.size == 0
    _round_trip(raw)


def test_agent_run_logs_are_typed_and_pickle_with_their_dtypes(world):
    out = world.run(periods=6, mode="agent", agents=3000, truth=False)
    raw = out._raw
    dtypes = {
        "touch_user": np.int64,
        "touch_second": np.int64,
        "touch_channel": np.int32,
        "touch_source": np.int32,
        "touch_kind": np.uint8,
        "conversion_user": np.int64,
        "conversion_second": np.int64,
        "conversion_value": np.float64,
        "person_segment_start": np.int32,
    }
    for name, dtype in dtypes.items():
        assert getattr(raw, name).dtype == dtype, name
    n = raw.touch_user.size
    assert n > 0 and all(getattr(raw, k).shape == (n,) for k in dtypes if k.startswith("touch_"))
    assert len(out.touchpoints) == n and len(out.conversions) == raw.conversion_user.size
    # the people of each segment: person_segment_start's differences are the simulated sizes
    np.testing.assert_array_equal(np.diff(raw.person_segment_start), raw.population)
    assert out.conversions["value"].sum() == pytest.approx(raw.conversion_value.sum(), rel=1e-12)
    _round_trip(raw)


def test_a_malformed_run_state_is_refused_naming_the_field(segment_run):
    state = segment_run._raw.__getstate__()
    payload = dict(state[1])
    payload["conversions"] = payload["conversions"][:-1]  # one period short
    bad = _core.simulate.RunResult.__new__(_core.simulate.RunResult)
    with pytest.raises(ValueError, match=r"cannot unpickle RunResult: conversions has \d+ values, expected \d+"):
        bad.__setstate__((1, payload))
    del payload["conversions"]
    with pytest.raises(ValueError, match="cannot unpickle RunResult: missing 'conversions'"):
        bad.__setstate__((1, payload))


def test_truth_attributes_are_the_wrappers_tables_and_add_up(world, segment_run):
    raw = segment_run._raw
    tr = world._core.truth(periods=T, period_days=7, population=list(raw.population))
    assert type(tr).__name__ == "Truth"
    assert (tr.periods, tr.segments, tr.horizon) == (T, len(world.segments), 0)
    assert [e.name for e in tr.channels] == world.channels
    table = segment_run.truth.channels.set_index("channel")
    inc = tr.channel_incremental_conversions
    assert inc.shape == (T, len(world.channels))
    for c, e in enumerate(tr.channels):
        assert type(e).__name__ == "EffectTruth"
        row = table.loc[e.name]
        assert (e.cost, e.conversions, e.revenue) == (row["cost"], row["conversions"], row["revenue"])
        # closed forms: the total is the sum of its periods and of its two parts
        assert e.conversions == pytest.approx(inc[:, c].sum(), rel=1e-12, abs=1e-9)
        assert e.revenue == pytest.approx(tr.channel_incremental_revenue[:, c].sum(), rel=1e-12, abs=1e-9)
        assert e.short_conversions + e.long_conversions == pytest.approx(e.conversions, rel=1e-12, abs=1e-9)
        if e.cost > 0:
            assert e.roas == pytest.approx(e.revenue / e.cost, rel=1e-15)
            assert e.roi == pytest.approx(e.roas - 1.0, rel=1e-12, abs=1e-15)
        else:
            assert math.isnan(e.roas) and math.isnan(e.roi)
    # the world as given: the truth's expected chain is the run's
    np.testing.assert_allclose(tr.expected_conversions, raw.expected_conversions, rtol=1e-12)
    np.testing.assert_allclose(tr.expected_trusting, raw.expected_trusting, rtol=1e-12)
    camp = segment_run.truth.campaigns
    assert [e.name for e in tr.campaigns + tr.activities] == list(camp["name"])
    _round_trip(tr)
    _round_trip(tr.channels[0])


def test_truth_with_a_horizon_has_its_periods(world, segment_run):
    raw = segment_run._raw
    tr = world._core.truth(periods=T, period_days=7, population=list(raw.population), horizon=5, lag_periods=2)
    assert (tr.horizon, tr.lag_periods) == (5, 2)
    assert tr.expected_conversions.shape == (T + 5, len(world.segments))
    assert tr.channel_incremental_conversions.shape == (T + 5, len(world.channels))
    _round_trip(tr)


def test_drive_is_the_runs_media_inputs(world, segment_run):
    dr = world._core.drive(periods=T, period_days=7)
    assert type(dr).__name__ == "Drive" and dr.periods == T
    raw = segment_run._raw
    np.testing.assert_array_equal(dr.spend, raw.spend)
    assert dr.impressions.shape == dr.sentiment.shape == (T, len(world.channels))
    assert dr.severity_loss.shape == dr.severity_gain.shape == (T,)
    # the crisis scenario's severities are probabilities of leaving a trust state
    assert np.all((dr.severity_loss >= 0) & (dr.severity_loss <= 1)) and dr.severity_loss.max() > 0
    # first/last active period per channel: the truth's windows are these ranges
    tr = world._core.truth(periods=T, period_days=7, population=list(raw.population))
    assert [e.window_start for e in tr.channels] == list(dr.first_active)
    assert [e.window_end for e in tr.channels] == list(dr.last_active)
    arrays = drive_arrays(dr)
    np.testing.assert_array_equal(arrays["impressions"], dr.impressions)
    _round_trip(dr)


def test_a_simulation_result_pickled_with_the_dict_run_still_loads(world, segment_run):
    raw = segment_run._raw
    old_raw = {n: getattr(raw, n) for n in _fields(raw) if n not in ("periods", "segments", "channels", "period_days")}
    state = {**segment_run.__dict__, "_raw": old_raw}
    old = sim.SimulationResult.__new__(sim.SimulationResult)
    old.__setstate__(state)
    _same(old._raw, raw, "RunResult")
    assert old.panel.equals(segment_run.panel)
    again = pickle.loads(pickle.dumps(segment_run))
    _same(again._raw, raw, "RunResult")
    assert again.truth.channels.equals(segment_run.truth.channels)


FRAMINGS = {"plain": {}, "fun": {"Curious Chris": 0.45}, "popular": {"Skeptical Sam": 0.35, "Loyal Lena": 0.45}}


def test_message_test_run_is_the_wrappers_table():
    base = sim.World.from_scenario("smm_only", seed=3)
    res = sim.run_message_test(base, FRAMINGS, campaign="ig_always_on", periods=25, start=17, design="thompson")
    run = _core.simulate.run_message_test(
        base._core,
        {
            "campaign": "ig_always_on",
            "enrolment": res.settings["enrolment"],
            "variants": [
                {"name": v, "appeal": {p: float(res.appeal.loc[p, v]) for p in res.appeal.index}}
                for v in res.appeal.columns
            ],
        },
        periods=25,
        first_period=17,
        policy="thompson",
    )
    assert type(run).__name__ == "MessageTestRun"
    V, S = len(FRAMINGS), len(base.segments)
    assert (run.periods, run.first_period, run.segments, run.variants) == (8, 17, S, V)
    for name in ("users", "conversions", "shares", "true_rate", "rate_trusting", "rate_untrusting"):
        assert getattr(run, name).shape == (8, S, V), name
    # the same run as the wrapper's (same seed and stream): its tidy table, column by column
    np.testing.assert_array_equal(res.data["users"].to_numpy(), run.users.reshape(-1))
    np.testing.assert_array_equal(res.data["share"].to_numpy(), run.shares.reshape(-1))
    np.testing.assert_array_equal(res.regret.to_numpy(), run.regret)
    # closed forms: shares are a distribution over the variants; q mixes the trust states
    np.testing.assert_allclose(run.shares.sum(axis=2), 1.0, atol=1e-12)
    g = run.trusting_share[:, :, None]
    np.testing.assert_allclose(run.true_rate, g * run.rate_trusting + (1 - g) * run.rate_untrusting, rtol=1e-12)
    assert np.all(np.diff(run.regret) >= -1e-12)
    _round_trip(run)


def test_latent_class_fit_criteria_are_the_closed_forms():
    rng = np.random.default_rng(4)
    n = 400
    z = rng.random(n) < 0.4
    items = np.where(z[:, None], rng.random((n, 4)) < 0.8, rng.random((n, 4)) < 0.2).astype(np.uint8)
    survey = _core.audience.Survey(items, [2, 2, 2, 2])
    fit = _core.audience.fit_latent_classes(
        survey, classes=2, starts=5, seed=1, threads=1, tolerance=1e-14, max_iterations=100_000
    )
    assert type(fit).__name__ == "LatentClassFit"
    ll, p, N = fit.log_likelihood, fit.parameters, fit.observations
    assert (p, N) == (9, float(n))  # 1 share + 2 classes x 4 items
    assert fit.aic == pytest.approx(-2 * ll + 2 * p, rel=1e-14)
    assert fit.bic == pytest.approx(-2 * ll + p * math.log(N), rel=1e-14)
    assert fit.caic == pytest.approx(-2 * ll + p * (math.log(N) + 1), rel=1e-14)
    assert fit.sabic == pytest.approx(-2 * ll + p * math.log((N + 2) / 24), rel=1e-14)
    assert fit.log_likelihood == pytest.approx(_core.audience.log_likelihood(fit.model, survey), rel=1e-12)
    np.testing.assert_allclose(fit.posterior.sum(axis=1), 1.0, atol=1e-12)
    # at EM's fixed point the shares are the mean posterior (up to the convergence tolerance)
    np.testing.assert_allclose(fit.class_shares, fit.posterior.mean(axis=0), atol=1e-6)
    assert fit.start_log_likelihoods.shape == (5,) and fit.start_log_likelihoods.max() == pytest.approx(ll)
    assert fit.log_likelihood_trace[-1] == pytest.approx(ll, rel=1e-12)
    assert fit.model["classes"] == 2 and isinstance(fit.warnings, list)
    _round_trip(fit)


def test_latent_class_result_of_state_version_1_still_loads():
    rng = np.random.default_rng(5)
    d = pd.DataFrame(rng.integers(1, 3, size=(200, 4)), columns=list("ABCD"))
    res = tm.audience.latent_classes(d, items=list("ABCD"), classes=2, starts=3, seed=1)[2]
    state = res.__getstate__()
    assert state["version"] == 2
    fit = state["fit"]
    old = {**state, "version": 1, "fit": {n: getattr(fit, n) for n in _fields(fit)}}
    again = type(res).__new__(type(res))
    again.__setstate__(old)
    _same(again._fit, fit, "LatentClassFit")
    assert again.bic == res.bic and again.membership.equals(res.membership)


def test_reach_curve_pickles_by_the_versioned_helper_and_reads_the_flat_state():
    from trustmix.audience._reach import _rebuild_curve

    core = _core.audience.ReachCurve("beta_binomial", 1e6, 0.8, 2.0, 3.0)
    version, payload = core.__getstate__()
    assert version == 2
    assert payload == {"kind": "beta_binomial", "population": 1e6, "reachable": 0.8, "shape": 2.0, "shape2": 3.0}
    again = pickle.loads(pickle.dumps(core))
    assert (again.kind, again.population, again.reachable, again.shape, again.shape2) == (
        "beta_binomial",
        1e6,
        0.8,
        2.0,
        3.0,
    )
    x = np.array([0.5, 1.0, 4.0])
    np.testing.assert_array_equal(again.reach(x), core.reach(x))
    # the flat state written before (1, kind, population, reachable, shape, shape2)
    old = _rebuild_curve((1, "beta_binomial", 1e6, 0.8, 2.0, 3.0))
    np.testing.assert_array_equal(old.reach(x), core.reach(x))
    wrapper = pickle.loads(pickle.dumps(old))
    np.testing.assert_array_equal(wrapper.reach(x), core.reach(x))
    bad = _core.audience.ReachCurve.__new__(_core.audience.ReachCurve)
    with pytest.raises(ValueError, match="cannot unpickle ReachCurve"):
        bad.__setstate__((2, {"kind": "nbd"}))
    with pytest.raises(ValueError, match="cannot unpickle ReachCurve"):
        bad.__setstate__((1, "nbd", 1e6))


def test_off_policy_estimates_are_the_closed_forms():
    rng = np.random.default_rng(7)
    n, contexts, arms = 500, 2, 3
    action = rng.integers(0, arms, n)
    context = rng.integers(0, contexts, n)
    reward = rng.random(n) < 0.2 + 0.1 * action
    propensity = np.full(n, 1.0 / arms)
    target = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
    args = (action, context, reward.astype(float), propensity, target.reshape(-1), contexts, arms)
    ips = _core.experiments.inverse_propensity(*args)
    assert type(ips).__name__ == "OffPolicyEstimate"
    v = target[context, action] / propensity * reward
    assert ips.value == pytest.approx(v.mean(), rel=1e-14)
    assert ips.std_error == pytest.approx(v.std(ddof=1) / math.sqrt(n), rel=1e-12)
    dr = _core.experiments.doubly_robust(*args)
    assert math.isfinite(dr.value) and dr.std_error > 0
    _round_trip(ips)
    _round_trip(dr)


def test_persona_allocation_attributes_and_the_wrappers_attrs():
    n = np.array([[100.0, 120.0, 90.0], [80.0, 60.0, 70.0]])
    conv = np.array([[10.0, 18.0, 9.0], [4.0, 9.0, 6.0]])
    b = _core.experiments.allocation_by_persona(n, conv, policy="thompson")
    assert type(b).__name__ == "PersonaAllocation"
    assert (b.personas, b.arms) == (2, 3) and b.shares.shape == (2, 3)
    np.testing.assert_allclose(b.shares.sum(axis=1), 1.0, atol=1e-12)
    assert b.pooling_strength >= 0 and b.between_persona_sd.size == 0
    g = _core.experiments.allocation_by_persona(n, conv, conv * 1.5, policy="thompson", reward="gaussian")
    assert math.isnan(g.pooling_strength) and g.between_persona_sd.shape == (3,)
    np.testing.assert_allclose(g.shares.sum(axis=1), 1.0, atol=1e-12)
    _round_trip(b)
    _round_trip(g)


def test_statistics_from_table_takes_the_count_tables_columns():
    import trustmix.attribution as ta

    paths = pd.DataFrame(
        {
            "path": ["a > b", "b", "c > a > b", "a"],
            "conversions": [1, 0, 2, 1],
            "value": [10.0, 0.0, 5.0, 3.0],
            "nulls": [0, 1, 0, 2],
        }
    )
    st = ta.Statistics.from_journeys(ta.Journeys.from_paths(paths, value="value", nulls="nulls"), orders=[1, 2])
    table = st._state.to_table()
    assert type(table).__name__ == "CountTable"
    columns = {
        "statistic": list(table.statistic),
        "order": table.order,
        "position": table.position,
        "key": list(table.key),
        "target": list(table.target),
        "units_high": table.units_high,
        "units_low": table.units_low,
    }
    again = _core.attribution.Statistics.from_table(**columns)
    assert again == st._state
    assert ta.Statistics.from_table(st.to_table()) == st
    with pytest.raises(ValueError, match="all columns must have the same length"):
        _core.attribution.Statistics.from_table(**{**columns, "order": table.order[:-1]})
