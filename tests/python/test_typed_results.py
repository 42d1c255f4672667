"""Results of the compiled module bound as classes with typed attributes
(bindings/helpers/result.hpp): their numbers against closed forms, their repr, their
versioned pickles, and the JourneyStore's pickle (make_pickle, version 2) with the
version-1 state written before it still loading."""

from __future__ import annotations

import base64
import math
import pickle

import numpy as np
import pytest

from trustmix import _core

# A JourneyStore pickled by trustmix before make_pickle (state version 1, a flat tuple):
# journeys a>b (1 conversion, value 10), b (1 null), c>a>b (2 conversions, value 5).
_STORE_V1 = (
    "gASVKgIAAAAAAACMGnRydXN0bWl4Ll9jb3JlLmF0dHJpYnV0aW9ulIwMSm91cm5leVN0b3JllJOUKYGUKEsBXZQojAFhlIwBYpSMAWOUZYwW"
    "bnVtcHkuX2NvcmUubXVsdGlhcnJheZSMDF9yZWNvbnN0cnVjdJSTlIwFbnVtcHmUjAduZGFycmF5lJOUSwCFlEMBYpSHlFKUKEsBSwSFlGgL"
    "jAVkdHlwZZSTlIwCaTiUiYiHlFKUKEsDjAE8lE5OTkr/////Sv////9LAHSUYolDIAAAAAAAAAAAAgAAAAAAAAADAAAAAAAAAAYAAAAAAAAA"
    "lHSUYmgKaA1LAIWUaA+HlFKUKEsBSwaFlGgUjAJpNJSJiIeUUpQoSwNoGE5OTkr/////Sv////9LAHSUYolDGAAAAAABAAAAAQAAAAIAAAAA"
    "AAAAAQAAAJR0lGJoCmgNSwCFlGgPh5RSlChLAUsAhZRoFIwCZjiUiYiHlFKUKEsDaBhOTk5K/////0r/////SwB0lGKJQwCUdJRiaApoDUsA"
    "hZRoD4eUUpQoSwFLA4WUaCyJQxgAAAAAAADwPwAAAAAAAAAAAAAAAAAAAECUdJRiaApoDUsAhZRoD4eUUpQoSwFLA4WUaCyJQxgAAAAAAAAk"
    "QAAAAAAAAAAAAAAAAAAAFECUdJRiaApoDUsAhZRoD4eUUpQoSwFLA4WUaCyJQxgAAAAAAAAAAAAAAAAAAPA/AAAAAAAAAACUdJRidJRiLg=="
)


def _store() -> _core.attribution.JourneyStore:
    return _core.attribution.JourneyStore.from_path_list(
        ["a>b", "b", "c>a>b"], np.array([1.0, 0.0, 2.0]), np.array([10.0, 0.0, 5.0]), np.array([0.0, 1.0, 0.0])
    )


def _same_store(a: _core.attribution.JourneyStore, b: _core.attribution.JourneyStore) -> None:
    assert list(a.channels) == list(b.channels)
    for name in ("offsets", "touches", "touch_age_days", "conversions", "value", "nulls"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name


def _roundtrip(obj: object) -> object:
    return pickle.loads(pickle.dumps(obj))


# -- JourneyStore through make_pickle ----------------------------------------------------------


def test_journey_store_pickles_as_a_versioned_dict() -> None:
    s = _store()
    version, payload = s.__getstate__()
    assert version == 2
    assert list(payload) == ["channels", "offsets", "touches", "touch_age_days", "conversions", "value", "nulls"]
    back = _roundtrip(s)
    _same_store(back, s)
    assert list(back.offsets) == [0, 2, 3, 6] and list(back.touches) == [0, 1, 1, 2, 0, 1]


def test_journey_store_of_version_1_still_loads() -> None:
    old = pickle.loads(base64.b64decode(_STORE_V1))
    _same_store(old, _store())
    assert list(old.value) == [10.0, 0.0, 5.0] and list(old.nulls) == [0.0, 1.0, 0.0]


def test_journey_store_refuses_malformed_states() -> None:
    s = _store()
    _, payload = s.__getstate__()
    blank = _core.attribution.JourneyStore.__new__(_core.attribution.JourneyStore)
    with pytest.raises(RuntimeError, match="cannot unpickle JourneyStore: unsupported state version"):
        blank.__setstate__((7, *payload.values()))  # the flat layout with an unknown version
    with pytest.raises(ValueError, match="cannot unpickle JourneyStore"):
        blank.__setstate__((3, payload))  # a later version than this build knows
    with pytest.raises(ValueError, match="cannot unpickle JourneyStore: missing 'nulls'"):
        blank.__setstate__((2, {k: v for k, v in payload.items() if k != "nulls"}))
    with pytest.raises(ValueError, match="cannot unpickle JourneyStore"):
        blank.__setstate__((2, {**payload, "offsets": np.array([0, 2, 9, 6])}))  # offsets past the touches
    with pytest.raises(ValueError, match="cannot unpickle JourneyStore: expected a \\(version, dict\\) tuple"):
        blank.__setstate__("not a state")


# -- attribution ---------------------------------------------------------------------------------


def test_credit_last_touch_numbers_repr_and_pickle() -> None:
    c = _core.attribution.rule_based(_store(), "last_touch", per_journey=True)
    assert isinstance(c, _core.attribution.Credit)
    assert c.channels == ["a", "b", "c"]
    # last touch: b closes journeys 1 (1 conversion, value 10) and 3 (2, value 5)
    assert c.conversions.dtype == np.float64 and list(c.conversions) == [0.0, 3.0, 0.0]
    assert list(c.value) == [0.0, 15.0, 0.0]
    assert c.journey.dtype == np.int64 and c.channel.dtype == np.int32
    assert float(c.journey_conversions.sum()) == 3.0
    assert repr(c).startswith("Credit(channels=['a', 'b', 'c'], conversions=<float64 array (3,)>")
    back = _roundtrip(c)
    for name in ("conversions", "value", "journey", "channel", "journey_conversions", "journey_value"):
        assert np.array_equal(getattr(back, name), getattr(c, name)), name
    assert back.channels == c.channels


def test_markov_result_transitions_are_a_stochastic_matrix() -> None:
    r = _core.attribution.markov_journeys(_store())
    assert isinstance(r, _core.attribution.MarkovResult)
    assert r.order == 1 and r.direct is True
    assert r.state_labels[0] == "(start)" and r.state_labels[-2:] == ["(conversion)", "(null)"]
    assert r.from_state.dtype == np.int64 and r.to_state.dtype == np.int64
    rows = np.zeros(len(r.state_labels))
    np.add.at(rows, r.from_state, r.probability)
    leaving = np.unique(r.from_state)
    assert np.allclose(rows[leaving], 1.0, atol=1e-15)
    # weighted transitions: every path reaches b, and b converts 3 of 4 times (journeys 1 and
    # 3 with 1 + 2 conversions, journey 2 with 1 null): P(conversion from start) = 3/4
    assert r.conversion_probability == pytest.approx(0.75, abs=1e-15)
    assert float(r.conversions.sum()) == pytest.approx(3.0, abs=1e-12)
    back = _roundtrip(r)
    assert back.state_labels == r.state_labels and np.array_equal(back.removal_effects, r.removal_effects)


def test_shapley_roles_and_table_are_typed() -> None:
    st = _core.attribution.count(_store())
    sh = _core.attribution.shapley(st)
    assert isinstance(sh, _core.attribution.ShapleyResult)
    assert float(sh.conversions.sum()) == pytest.approx(3.0, abs=1e-12)
    simple = _core.attribution.simplified_shapley(st)
    assert isinstance(simple, _core.attribution.ShapleyResult)
    assert float(simple.conversions.sum()) == pytest.approx(3.0, abs=1e-12)
    ordered = _core.attribution.ordered_shapley(st)
    assert ordered.conversions.ndim == 2 and ordered.conversions.shape[0] == 3
    assert float(ordered.conversions.sum()) == pytest.approx(3.0, abs=1e-12)
    roles = _core.attribution.roles(st)
    # first touch: a opens journey 1 (1 conversion), c opens journey 3 (2)
    assert list(roles.first_touch) == [1.0, 0.0, 2.0] and list(roles.last_touch) == [0.0, 3.0, 0.0]
    table = st.to_table()
    assert isinstance(table, _core.attribution.CountTable)
    assert table.units_low.dtype == np.uint64 and len(table.statistic) == table.order.size
    assert "CountTable(statistic=" in repr(table)


def test_event_info_of_from_events() -> None:
    store, info = _core.attribution.JourneyStore.from_events(
        np.array([1, 1, 2]),
        np.array([0, 10, 5]),
        np.array([0, 1, 0], dtype=np.int32),
        ["a", "b"],
        np.array([1, 3]),
        np.array([20, 30]),
        np.array([7.0, 4.0]),
        lookback=100,
        time_units_per_day=1.0,
        drop_unattributed=True,
    )
    assert isinstance(info, _core.attribution.EventInfo)
    assert info.unattributed_conversions == 1 and info.unattributed_value == 4.0
    assert list(info.unattributed_rows) == [1] and info.user.dtype == np.int64
    assert len(info.user) == len(store)
    back = _roundtrip(info)
    assert np.array_equal(back.conversion_row, info.conversion_row)


# -- experiments ---------------------------------------------------------------------------------


def test_fixed_test_is_the_two_sample_z_test() -> None:
    t = _core.experiments.fixed_test(0.10, 0.0004, 1000, 0.13, 0.0005, 1000)
    assert isinstance(t, _core.experiments.FixedTest)
    se = math.sqrt(0.0004 + 0.0005)
    z = 0.03 / se
    assert t.estimate == pytest.approx(0.03, abs=1e-15)
    assert t.std_error == pytest.approx(se, rel=1e-14)
    assert t.statistic == pytest.approx(z, rel=1e-14)
    assert t.p_value == pytest.approx(math.erfc(z / math.sqrt(2.0)), rel=1e-12)
    assert t.df == math.inf
    back = _roundtrip(t)
    assert (back.estimate, back.p_value, back.ci_lower) == (t.estimate, t.p_value, t.ci_lower)
    assert repr(t).startswith("FixedTest(estimate=0.03")


def test_arm_sums_and_estimates() -> None:
    s = _core.experiments.summarize(np.array([0, 0, 1, 1, 1]), np.array([1.0, 3.0, 2.0, 2.0, 5.0]), None, 2)
    assert isinstance(s, _core.experiments.ArmSums)
    assert list(s.n) == [2.0, 3.0] and list(s.sum) == [4.0, 9.0] and list(s.sum_sq) == [10.0, 33.0]
    e = _core.experiments.estimate_arms(s.n, s.sum, s.sum_sq, metric="continuous")
    assert isinstance(e, _core.experiments.ArmEstimates)
    assert list(e.mean) == [2.0, 3.0]
    # variance of the mean: sample variance / n (arm 0: 2 / 2, arm 1: 3 / 3)
    assert e.variance == pytest.approx([1.0, 1.0], rel=1e-14)
    back = _roundtrip(s)
    assert np.array_equal(back.sum_sq, s.sum_sq)


def test_batch_comparison_rows_equal_single_comparisons() -> None:
    n = np.array([[100.0, 100.0, 100.0], [50.0, 60.0, 70.0]])
    conv = np.array([[10.0, 12.0, 15.0], [5.0, 9.0, 4.0]])
    b = _core.experiments.compare_batch(n, conv, metric="binomial")
    assert isinstance(b, _core.experiments.BatchComparison)
    assert (b.experiments, b.arms) == (2, 3) and b.prob_best.shape == (2, 3)
    for e in range(2):
        c = _core.experiments.compare(n[e], conv[e], metric="binomial")
        assert isinstance(c, _core.experiments.Comparison)
        assert np.allclose(b.prob_best[e], c.prob_best, atol=1e-9)
        assert np.allclose(b.expected_loss[e], c.expected_loss, atol=1e-9)
        assert [p[0] for p in c.posteriors] == ["beta"] * 3
        # Beta(1 + conversions, 1 + failures) posterior under the default uniform prior
        assert c.posteriors[1][1:3] == pytest.approx((1.0 + conv[e, 1], 1.0 + n[e, 1] - conv[e, 1]))


def test_lift_design_bandit_and_yuen_are_typed() -> None:
    lift = _core.experiments.lift(np.array([100.0, 100.0]), np.array([10.0, 20.0]), metric="binomial", relative=False)
    assert isinstance(lift, _core.experiments.LiftInterval) and lift.lower < lift.median < lift.upper
    assert lift.density.size == 0
    g = _core.experiments.gs_design(np.array([0.5, 1.0]))
    assert isinstance(g, _core.experiments.GsDesign) and list(g.fractions) == [0.5, 1.0]
    assert np.array_equal(_roundtrip(g).bounds, g.bounds)
    sim = _core.experiments.simulate_bandit(np.array([0.1, 0.2]), personas=1, arms=2, users_per_batch=10, batches=5)
    assert isinstance(sim, _core.experiments.BanditSimulation)
    assert sim.pulls.shape == (10,) and float(sim.pulls.sum()) == 50.0
    assert np.array_equal(_roundtrip(sim).shares, sim.shares)
    y = _core.experiments.yuen_test(np.arange(10.0), np.arange(10.0) + 2.0, trim=0.2)
    assert isinstance(y, _core.experiments.YuenTest)
    assert (y.control_mean, y.arm_mean) == (4.5, 6.5) and y.estimate == pytest.approx(2.0, abs=1e-14)
    path = _core.experiments.always_valid_path(np.array([0.1, 0.1]), np.array([0.01, 0.001]), 0.1)
    assert isinstance(path, _core.experiments.AlwaysValidPath) and set(path.reject.tolist()) <= {0.0, 1.0}


# -- audience ------------------------------------------------------------------------------------


def test_duplication_is_inclusion_exclusion_by_class() -> None:
    shares = np.array([0.25, 0.75])
    reach = np.array([[0.5, 0.2], [0.1, 0.4]])
    d = _core.audience.class_duplication(shares, reach)
    assert isinstance(d, _core.audience.Duplication)
    by_class = 1.0 - (1.0 - reach).prod(axis=1)
    assert d.by_class == pytest.approx(by_class, rel=1e-14)
    assert d.total == pytest.approx(float(shares @ by_class), rel=1e-14)
    assert d.pairwise[0, 1] == pytest.approx(float(shares @ (reach[:, 0] * reach[:, 1])), rel=1e-14)
    back = _roundtrip(d)
    assert back.total == d.total and np.array_equal(back.pairwise, d.pairwise)


def test_result_classes_are_made_only_by_the_core() -> None:
    for cls in (_core.attribution.Credit, _core.experiments.FixedTest, _core.audience.Duplication):
        with pytest.raises(TypeError):
            cls()
