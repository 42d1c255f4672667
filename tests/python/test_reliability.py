"""Reliability (issue 14): saved states validated completely (fuzzed), inference that may
mislead warns, requests too large for memory or time are refused up front, Ctrl-C stops
long loops within about a second."""

from __future__ import annotations

import pickle
import time
import warnings

import numpy as np
import pandas as pd
import pytest

import trustmix.attribution as ta
import trustmix.inference as ti
from _subprocess import run_python

FIVE_PATHS = pd.DataFrame(
    {
        "path": [
            "press > instagram > search",
            "instagram > search",
            "press",
            "tiktok > instagram > instagram > search",
            "search",
        ],
        "conversions": [2.0, 1.0, 0.0, 1.0, 3.0],
        "value": [30.0, 12.0, 0.0, 9.0, 40.0],
        "nulls": [1.0, 3.0, 4.0, 0.0, 2.0],
    }
)


def _journeys() -> ta.Journeys:
    return ta.Journeys.from_paths(FIVE_PATHS, value="value", nulls="nulls")


def _use(st: ta.Statistics) -> None:
    """Every model that reads a state; only ValueError may come out."""
    for k in st.orders:
        try:
            ta.markov(st, order=k)
        except ValueError:
            pass
    for model in (ta.shapley, ta.simplified_shapley, ta.ordered_shapley, ta.roles):
        try:
            model(st)
        except ValueError:
            pass


# -- saved states ------------------------------------------------------------------------
def test_issue_reproducer_raises_a_clear_error():
    st = ta.Statistics.from_journeys(_journeys(), orders=[1, 2])
    b = bytearray(st.to_bytes())
    b[134] = 149
    with pytest.raises(ValueError, match="from_bytes: corrupted or truncated state"):
        _use(ta.Statistics.from_bytes(bytes(b)))


def test_truncated_and_corrupted_pickles_raise():
    st = ta.Statistics.from_journeys(_journeys(), orders=[1, 2])
    data = pickle.dumps(st)
    assert pickle.loads(data) == st
    state = st.__getstate__()
    for cut in (0, 7, 11, len(state["bytes"]) // 2, len(state["bytes"]) - 1):
        broken = ta.Statistics.__new__(ta.Statistics)
        with pytest.raises(ValueError, match="from_bytes"):
            broken.__setstate__({"version": 1, "bytes": state["bytes"][:cut]})


def test_fuzzed_states_never_crash():
    """Random byte changes, truncations and insertions of real states (bounded to ~2 s):
    from_bytes raises ValueError, or (never for a changed state) returns one the models read."""
    rng = np.random.default_rng(14)
    from _attribution_data import random_paths

    states = [
        ta.Statistics.from_journeys(_journeys(), orders=[1, 2]).to_bytes(),
        ta.Statistics.from_journeys(
            ta.Journeys.from_paths(random_paths(60, 5, 3), value="value", nulls="nulls"), orders=[1, 3]
        ).to_bytes(),
    ]
    deadline = time.monotonic() + 2.0
    trials = accepted = 0
    while trials < 3000 and time.monotonic() < deadline:
        b = bytearray(states[trials % len(states)])
        kind = trials % 4
        if kind <= 1:
            for _ in range(int(rng.integers(1, 4))):
                b[int(rng.integers(8, len(b)))] = int(rng.integers(0, 256))
        elif kind == 2:
            del b[int(rng.integers(0, len(b))) :]
        else:
            b.insert(int(rng.integers(8, len(b))), int(rng.integers(0, 256)))
        trials += 1
        try:
            st = ta.Statistics.from_bytes(bytes(b))
        except ValueError as exc:
            assert "from_bytes" in str(exc)
            continue
        if bytes(b) not in states:
            accepted += 1
        _use(st)
    assert trials >= 200
    assert accepted == 0  # the checksum catches every change


def test_format_1_states_are_still_read_and_validated():
    st = ta.Statistics.from_journeys(_journeys(), orders=[1, 2])
    v1 = bytearray(st.to_bytes()[:-4])  # format 2 = format 1 + CRC-32
    v1[4] = 1
    assert ta.Statistics.from_bytes(bytes(v1)) == st
    # A total changed in a format-1 state (no checksum) breaks the exact identities.
    table = st.to_table()
    total = table.index[(table["statistic"] == "total") & (table["target"] == "conversions")][0]
    table.loc[total, "units"] = table.loc[total, "units"] + 1
    with pytest.raises(ValueError, match="from_table: inconsistent count table: .*do not add up"):
        ta.Statistics.from_table(table)


def test_from_table_rejects_negative_and_huge_counts():
    table = ta.Statistics.from_journeys(_journeys()).to_table()
    for bad in (-1, 2**200):
        t = table.copy()
        t.loc[t.index[-1], "units"] = bad
        with pytest.raises(ValueError, match=r"row \d+, column 'units'"):
            ta.Statistics.from_table(t)


def test_journey_store_pickle_with_bad_offsets_raises():
    store = _journeys()._store
    version, fields = store.__getstate__()  # (version, named fields): make_pickle's state
    bad = dict(fields)
    bad["offsets"] = np.array([0, 3, 99, 5, 8, 9], dtype=np.int64)  # offsets past the touches
    blank = type(store).__new__(type(store))
    with pytest.raises(ValueError, match="offsets"):
        blank.__setstate__((version, bad))


@pytest.mark.parametrize(
    "state",
    [
        (1, {"channels": 5}),
        (1, {"channels": [{"name": 3}]}),
        (1, {"channels": [{"name": "tv", "peso": "nope", "role": "conversion"}]}),
        (1, {"channels": [{"name": "tv", "peso": "paid", "role": "conversion"}], "campaigns": [{"name": "c"}]}),
        "x",
        (1,),
        (1, "not a dict"),
        ("1", {}),
    ],
    ids=repr,
)
def test_corrupted_domain_pickles_raise_value_error(state):
    from trustmix.core import Plan

    blank = Plan.__new__(Plan)
    with pytest.raises(ValueError, match="cannot unpickle Plan: "):
        blank.__setstate__(state)


@pytest.mark.parametrize(
    "cls, state",
    [
        ("Channel", (1, {"name": "tv"})),
        ("Channel", (1, {"name": "tv", "peso": "nope", "role": "conversion"})),
        ("Audience", (1, {"name": "a"})),
        ("Audience", (1, {"name": "a", "size": -5.0})),
        ("Campaign", (1, {"name": "c", "channel": "tv"})),
    ],
    ids=repr,
)
def test_corrupted_channel_audience_campaign_pickles_raise_value_error(cls, state):
    import trustmix.core as tc

    blank = getattr(tc, cls).__new__(getattr(tc, cls))
    with pytest.raises(ValueError, match=f"cannot unpickle {cls}: "):
        blank.__setstate__(state)


def test_domain_objects_survive_pickling():
    from trustmix.core import Channel, Plan

    plan = Plan()
    plan.add_channel(Channel("tv", peso="paid", role="both"))
    assert pickle.loads(pickle.dumps(plan)) == plan


# -- inference that may mislead warns ----------------------------------------------------------
def test_nuts_divergences_warn_with_the_remedy():
    with pytest.warns(ti.InferenceWarning) as record:
        fit = ti.sample("funnel", dimension=3, chains=2, draws=300, tune=150, seed=3, progress=False)
    assert fit.divergences > 0
    assert any("divergent trajectory" in str(r.message) and "target_accept=0.95" in str(r.message) for r in record)
    table = fit.diagnostics()
    assert table.loc["divergences", "value"] == fit.divergences
    assert not table.loc["divergences", "ok"]
    assert "target_accept" in table.loc["divergences", "remedy"]
    assert len(record) == len(fit.warnings)  # one warning per failed check


def test_short_runs_warn_about_ess_and_rhat():
    with pytest.warns(ti.InferenceWarning) as record:
        fit = ti.sample("standard_normal", dimension=2, chains=2, draws=20, tune=20, seed=1, progress=False)
    assert any("ESS below 200 (100 per chain)" in str(r.message) and "more draws" in str(r.message) for r in record)
    table = fit.diagnostics()
    assert table.loc["min_ess_bulk", "value"] == pytest.approx(fit.summary()["ess_bulk"].min())
    assert table.loc["max_r_hat", "value"] == pytest.approx(fit.summary()["r_hat"].max())
    assert table.loc["min_ess_bulk", "threshold"] == 200.0
    assert not table.loc["min_ess_bulk", "ok"]
    assert all(issubclass(r.category, UserWarning) for r in record)


def test_healthy_run_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = ti.sample("standard_normal", dimension=2, chains=4, draws=1000, tune=500, seed=1, progress=False)
    assert fit.ok
    assert fit.diagnostics()["ok"].all()


def test_max_tree_depth_saturation_warns():
    with pytest.warns(ti.InferenceWarning) as record:
        fit = ti.sample(
            "correlated_gaussian",
            mean=[0.0, 0.0],
            covariance=[[1.0, 0.999], [0.999, 1.0]],
            chains=2,
            draws=100,
            tune=100,
            max_tree_depth=1,
            seed=2,
            progress=False,
        )
    assert fit.max_tree_depth_hits > 0
    assert any("maximum tree depth" in str(r.message) and "max_tree_depth=3" in str(r.message) for r in record)
    assert fit.diagnostics().loc["max_tree_depth_hits", "value"] == fit.max_tree_depth_hits


def test_map_not_converged_warns_and_zero_iterations_is_rejected():
    with pytest.warns(ti.InferenceWarning, match="MAP did not converge after 1 iterations.*max_iterations"):
        res = ti.map("eight_schools", max_iterations=1)
    assert not res.converged
    with pytest.raises(ValueError, match="max_iterations must be an integer >= 1, got 0"):
        ti.map("eight_schools", max_iterations=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ti.map("gamma", shape=3.0, rate=2.0).converged


# -- requests too large are refused up front -----------------------------------------------------
def test_shapley_with_30_channels_is_refused_with_an_estimate(monkeypatch):
    monkeypatch.setenv("TRUSTMIX_MAX_MEMORY", "1e9")
    names = [f"ch{i:02d}" for i in range(30)]
    j = ta.Journeys.from_paths(pd.DataFrame({"path": [" > ".join(names)], "conversions": [1.0]}))
    with pytest.raises(ValueError, match=r"full Shapley over 30 channels .* needs about 8 GiB .*simplified Shapley"):
        ta.shapley(j, max_channels=30)


def test_plan_spend_with_a_billion_periods_is_refused():
    from trustmix.core import Channel, Plan

    plan = Plan()
    plan.add_channel(Channel("tv"))
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="periods = 1000000000 of 7 day.*ask for at most"):
        plan.spend("2024-01-01", periods=10**9)
    assert time.monotonic() - t0 < 1.0


def test_simulation_sizes_are_checked_before_allocating(monkeypatch):
    from trustmix.simulate import World, scenario

    spec = scenario(_scenario_names()[0])
    for audience in spec["audiences"]:  # a world of 10^9 people
        audience["size"] = 1e9 / len(spec["audiences"])
    world = World(spec, seed=1)
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="agent mode would take about .* hours.*mode='segment'"):
        world.run(periods=104, mode="agent", agents=10**9, truth=False, progress=False)
    assert time.monotonic() - t0 < 1.0
    monkeypatch.setenv("TRUSTMIX_MAX_MEMORY", "4e9")
    with pytest.raises(ValueError, match="segment-mode run of 100000000 periods .* simulate fewer periods"):
        world.run(periods=10**8, mode="segment", truth=False)
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*64\), got 18446744073709551616"):
        World(spec, seed=2**64)


def _scenario_names():
    from trustmix.simulate import scenario_names

    return scenario_names()


def test_adstock_max_lag_of_a_billion_names_max_lag():
    from trustmix.transforms import geometric_adstock

    with pytest.raises(ValueError, match=r"max_lag = 1000000000 needs about .* GiB .*max_lag=None"):
        geometric_adstock(np.ones(60), 0.5, max_lag=10**9)
    with pytest.raises(ValueError, match=r"max_lag must be an integer in \[0, 2\*\*31 - 1\) or None, got 10000000000"):
        geometric_adstock(np.ones(60), 0.5, max_lag=10**10)


def test_markov_on_a_path_of_10000_distinct_channels_is_fast_and_exact():
    """Issue 14: one journey through 10,000 distinct channels ran for 8 minutes (each
    Gauss-Seidel sweep moved the answer one step along the path); the rows are now swept
    sinks first, so it is exact after one sweep. Chain: start -> c_1 -> ... -> c_N ->
    (conversion) or (null) with weight 1 each, so P(conv) = 1/2, every removal effect is 1
    and each channel gets 1/N of the conversion and 2/N of the value 2."""
    n = 10_000
    names = [f"c{i * 7919 % n}" for i in range(n)]  # a permutation of the names: path order is not name order
    j = ta.Journeys.from_paths(
        pd.DataFrame({"path": [" > ".join(names)], "conversions": [1.0], "value": [2.0], "nulls": [1.0]}),
        value="value",
        nulls="nulls",
    )
    t0 = time.monotonic()
    res = ta.markov(j)
    seconds = time.monotonic() - t0
    assert not res.settings["direct"]
    assert res.conversion_probability == 0.5
    np.testing.assert_array_equal(res.removal_effects["removal_effect"], np.ones(n))
    np.testing.assert_allclose(res.credits["conversions"], np.full(n, 1.0 / n), rtol=1e-12)
    np.testing.assert_allclose(res.credits["value"], np.full(n, 2.0 / n), rtol=1e-12)
    assert seconds < 60.0, seconds  # about 1-2 s on a busy machine (was 8 minutes)


def test_trust_mmm_with_max_lag_of_ten_million_on_60_rows_is_refused_at_once():
    import trustmix.mmm as tm

    data, _ = tm.simulate_trust_data(60, seed=1)
    roles = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}
    t0 = time.monotonic()
    with pytest.raises(
        ValueError,
        match=r"max_lag must be between 0 and the number of periods - 1 \(59\), "
        r"got 10000000: a lag window as long as the data cannot be estimated",
    ):
        tm.TrustMMM(data, date="week", outcome="conversions", channels=roles, tracker="trust_survey", max_lag=10**7)
    assert time.monotonic() - t0 < 1.0


@pytest.mark.parametrize("column", ["week", "conversions", "press", "tiktok", "trust_survey"])
def test_trust_mmm_names_a_column_that_appears_twice(column):
    """A frame with two columns of one name (e.g. after pd.concat) was an AttributeError
    from pandas ('DataFrame' object has no attribute 'dtype')."""
    import trustmix.mmm as tm

    data, _ = tm.simulate_trust_data(60, seed=1)
    roles = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}
    doubled = pd.concat([data, data[[column]]], axis=1)
    with pytest.raises(
        ValueError, match=rf"column '{column}' appears 2 times in the data; each column must appear once"
    ):
        tm.TrustMMM(doubled, date="week", outcome="conversions", channels=roles, tracker="trust_survey")


# -- Ctrl-C --------------------------------------------------------------------------------------
_INTERRUPT = """
import os, signal, threading, time, sys
def interrupt_after(seconds):
    t0 = [None]
    def fire():
        t0[0] = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)
    threading.Timer(seconds, fire).start()
    return t0
"""


def test_ctrl_c_stops_an_agent_simulation_within_a_second():
    run_python(
        _INTERRUPT
        + """
from trustmix.simulate import World, scenario, presets
import trustmix.simulate as ts
name = sys.argv[1]
world = World(scenario(name), seed=1)
t0 = interrupt_after(0.5)
try:
    world.run(periods=520, mode="agent", agents=2_000_000, truth=False, touches=False, progress=False, threads=1)
except KeyboardInterrupt:
    elapsed = time.monotonic() - t0[0]
    assert elapsed < 1.5, elapsed
else:
    raise AssertionError("the run finished before Ctrl-C")
""",
        _scenario_names()[0],
    )


def test_ctrl_c_stops_a_large_markov_solve_within_a_second():
    # A path that goes twice round a cycle of 6,000 channels, named in path order: one
    # strongly connected component whose Gauss-Seidel sweeps move the answer one step each,
    # minutes of sweeps (a path without cycles is exact after one sweep).
    run_python(
        _INTERRUPT
        + """
import pandas as pd
import trustmix.attribution as ta
names = [f"c{i:04d}" for i in range(6000)]
j = ta.Journeys.from_paths(pd.DataFrame({"path": [" > ".join(names + names)], "conversions": [1.0], "nulls": [1.0]}),
                           nulls="nulls")
t0 = interrupt_after(1.0)
try:
    ta.markov(j, solver="iterative", threads=1)
except KeyboardInterrupt:
    elapsed = time.monotonic() - t0[0]
    assert elapsed < 1.5, elapsed
else:
    raise AssertionError("the solve finished before Ctrl-C")
"""
    )


def test_ctrl_c_stops_the_samplers_diagnostics_within_a_second():
    run_python(
        _INTERRUPT
        + """
import warnings
import trustmix.inference as ti
t0 = interrupt_after(1.5)
with warnings.catch_warnings(record=True) as record:
    warnings.simplefilter("always")
    fit = ti.sample("standard_normal", dimension=3000, chains=2, draws=1500, tune=0, seed=1, progress=False,
                    threads=2)
elapsed = time.monotonic() - t0[0]
assert elapsed < 1.5, elapsed
assert any("interrupted" in w for w in fit.warnings), fit.warnings
assert [str(r.message) for r in record if r.category is RuntimeWarning][0].startswith("Sampling was interrupted")
try:
    fit.summary()
except ValueError as exc:
    assert "interrupted" in str(exc) or "too few draws" in str(exc), exc

"""
    )
