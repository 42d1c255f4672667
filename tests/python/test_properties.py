"""Property-based tests (Hypothesis) of the public API's invariants (issue 14): attribution
credits sum to the conversions, merges are associative and order-free to the bit,
Shapley is efficient, adstock is linear, transforms keep index and columns, results
survive pickling, the same seed gives the same bits."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trustmix.attribution as ta
import trustmix.transforms as tt

CHANNELS = ["email", "press", "search", "social", "tv"]
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: a journey: a path of 1-5 channels, conversions (multiples of 1/4), nulls (integers)
journey = st.tuples(
    st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=5),
    st.integers(0, 12).map(lambda k: k / 4),
    st.integers(0, 3).map(float),
)
journey_lists = st.lists(journey, min_size=1, max_size=25)


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "path": [" > ".join(p) for p, _, _ in rows],
            "conversions": [c for _, c, _ in rows],
            "value": [3.5 * c for _, c, _ in rows],
            "nulls": [n for _, _, n in rows],
        }
    )


def journeys(rows) -> ta.Journeys:
    return ta.Journeys.from_paths(frame(rows), value="value", nulls="nulls")


def counted(rows) -> ta.Statistics:
    return ta.Statistics.from_journeys(journeys(rows), orders=[1, 2])


@FAST
@given(journey_lists)
def test_credits_sum_to_the_conversions(rows):
    j = journeys(rows)
    total = sum(c for _, c, _ in rows)
    for model in (
        ta.first_touch,
        ta.last_touch,
        ta.linear,
        ta.position_based,
        ta.simplified_shapley,
        ta.ordered_shapley,
    ):
        credits = model(j).credits
        assert credits["conversions"].sum() == pytest.approx(total, rel=1e-12, abs=1e-12)
        assert credits["value"].sum() == pytest.approx(3.5 * total, rel=1e-12, abs=1e-12)
    if total > 0:
        assert ta.markov(j).credits["conversions"].sum() == pytest.approx(total, rel=1e-12)


@FAST
@given(journey_lists)
def test_shapley_is_efficient(rows):
    """Full Shapley of the count game: the values add up to v(all channels) - v(none),
    which is every conversion, and equal simplified Shapley."""
    j = journeys(rows)
    full = ta.shapley(j).credits["conversions"]
    total = sum(c for _, c, _ in rows)
    assert full.sum() == pytest.approx(total, rel=1e-12, abs=1e-12)
    simple = ta.simplified_shapley(j).credits["conversions"]
    np.testing.assert_allclose(full.reindex(simple.index).to_numpy(), simple.to_numpy(), rtol=1e-12, atol=1e-12)


@FAST
@given(journey_lists, journey_lists, journey_lists)
def test_merges_are_associative_and_order_free_to_the_bit(a, b, c):
    sa, sb, sc = counted(a), counted(b), counted(c)
    left = (sa + sb) + sc
    right = sa + (sb + sc)
    shuffled = (sc + sa) + sb
    whole = counted(a + b + c)
    assert left == right == shuffled == whole
    assert left.to_bytes() == whole.to_bytes()


@FAST
@given(journey_lists)
def test_statistics_and_results_survive_pickling(rows):
    stats = counted(rows)
    assert pickle.loads(pickle.dumps(stats)) == stats
    assert ta.Statistics.from_bytes(stats.to_bytes()) == stats
    assert ta.Statistics.from_table(stats.to_table()) == stats
    result = ta.linear(journeys(rows))
    back = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(back.credits, result.credits)


media = st.lists(st.floats(0.0, 1e3, allow_nan=False, allow_infinity=False), min_size=2, max_size=40)


@FAST
@given(media, media, st.floats(0.0, 0.95), st.floats(-3.0, 3.0), st.integers(0, 10))
def test_adstock_is_linear(x, y, alpha, b, max_lag):
    n = min(len(x), len(y))
    x, y = np.array(x[:n]), np.array(y[:n])
    lhs = tt.geometric_adstock(2.0 * x + b * y, alpha, max_lag=max_lag)
    rhs = 2.0 * tt.geometric_adstock(x, alpha, max_lag=max_lag) + b * tt.geometric_adstock(y, alpha, max_lag=max_lag)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-9 * (1.0 + np.abs(rhs).max()))


@FAST
@given(
    st.integers(1, 30),
    st.lists(st.sampled_from(["tv", "radio", "press", "social"]), min_size=1, max_size=4, unique=True),
    st.integers(0, 2**32 - 1),
)
def test_transforms_keep_index_and_columns(rows, columns, seed):
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=rows, freq="W", name="week")
    x = pd.DataFrame(rng.gamma(2.0, 50.0, (rows, len(columns))), index=index, columns=columns)
    for out in (
        tt.geometric_adstock(x, 0.4, max_lag=4),
        tt.hill(x, 1.0, 2.0),
        tt.logistic_saturation(x, 0.5),
        tt.scale_by_mean_nonzero(x)[0],
    ):
        assert isinstance(out, pd.DataFrame)
        pd.testing.assert_index_equal(out.index, x.index)
        pd.testing.assert_index_equal(out.columns, x.columns)
    series = tt.geometric_adstock(x[columns[0]], 0.4, max_lag=4)
    assert isinstance(series, pd.Series) and series.index.equals(index) and series.name == columns[0]


@settings(max_examples=3, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_same_seed_same_bits(seed):
    import trustmix.inference as ti
    from trustmix.simulate import World, scenario, scenario_names

    world = World(scenario(scenario_names()[0]), seed=seed)
    a = world.run(periods=8, truth=False).panel
    b = World(scenario(scenario_names()[0]), seed=seed).run(periods=8, truth=False, threads=1).panel
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    with pytest.warns(ti.InferenceWarning):  # 20 draws are too few, and it says so
        f1 = ti.sample("standard_normal", dimension=2, chains=2, draws=20, tune=20, seed=seed, progress=False)
        f2 = ti.sample(
            "standard_normal", dimension=2, chains=2, draws=20, tune=20, seed=seed, progress=False, threads=1
        )
    assert np.array_equal(f1.draws, f2.draws)
