"""trustmix.attribution: hand-computed credits, errors naming row and column, exact merges."""

from __future__ import annotations

import pickle

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import trustmix.attribution as ta  # noqa: E402
from _attribution_data import random_paths
from trustmix._core import core  # noqa: E402


@pytest.fixture()
def paths() -> pd.DataFrame:
    # a > b > c: 2 conversions (value 20); b > b: 1 (5) + 1 null; c: 1 (10); a > c: 3 nulls
    return pd.DataFrame(
        {
            "path": ["a > b > c", "b > b", " c ", "a>c"],
            "conv": [2, 1, 1, 0],
            "val": [20.0, 5, 10, 0],
            "nul": [0, 1, 0, 3],
        }
    )


@pytest.fixture()
def journeys(paths) -> ta.Journeys:
    return ta.Journeys.from_paths(paths, path="path", conversions="conv", value="val", nulls="nul")


def credits(result) -> dict[str, float]:
    return dict(zip(result.credits["channel"], result.credits["conversions"], strict=True))


# ---- input ---------------------------------------------------------------------------
def test_from_paths_encodes_and_round_trips(journeys):
    assert journeys.channels == ["a", "b", "c"]
    assert len(journeys) == 4 and journeys.n_touches == 8
    assert journeys.total_conversions == 4 and journeys.total_value == 35 and journeys.total_nulls == 4
    frame = journeys.to_frame()
    assert frame["path"].tolist() == ["a > b > c", "b > b", "c", "a > c"]
    again = pickle.loads(pickle.dumps(journeys))
    assert again.channels == journeys.channels and again.to_frame().equals(frame)


def test_subsetting_journeys(journeys):
    sub = journeys[np.array([False, True, False, True])]
    assert sub.to_frame()["path"].tolist() == ["b > b", "a > c"]
    assert journeys[1:2].channels == ["b"]
    assert journeys.take([3, 0]).to_frame()["nulls"].tolist() == [3, 0]
    with pytest.raises(ValueError, match="one entry per journey"):
        journeys[np.array([True, False])]
    with pytest.raises(ValueError, match="outside"):
        journeys.take([7])


def test_arrow_table_and_list_fallback_give_the_same_store(paths):
    pa = pytest.importorskip("pyarrow")
    a = ta.Journeys.from_paths(pa.Table.from_pandas(paths), path="path", conversions="conv", nulls="nul")
    b = ta.Journeys.from_paths(paths, path="path", conversions="conv", nulls="nul")
    assert a.to_frame().equals(b.to_frame())
    from trustmix._core import attribution as core_attr

    store = core_attr.JourneyStore.from_path_list(list(paths["path"]), paths["conv"].to_numpy(float), sep=">")
    assert np.array_equal(store.touches, b._store.touches)


def test_parsers_reject_a_column_name_list_of_the_wrong_length():
    """The column names (for error messages) are 4 or none; any other count is an error
    of the caller, not silently ignored."""
    from trustmix._core import attribution as core_attr

    conv = np.array([1.0, 0.0])
    for parse, data in (
        (core_attr.JourneyStore.from_path_list, ["a>b", "b"]),
        (core_attr.JourneyStore.from_path_objects, np.array(["a>b", "b"], dtype=object)),
    ):
        assert parse(data, conv, columns=["p", "c", "v", "n"]).touches.size == 3
        with pytest.raises(ValueError, match="columns must name 4 columns"):
            parse(data, conv, columns=["path"])


def test_object_column_and_arrow_strings_give_the_same_store():
    """An object column is read in place (str objects) and an Arrow-backed one as Arrow
    buffers; both must give the store the list fallback gives."""
    pytest.importorskip("pyarrow")
    from trustmix._core import attribution as core_attr

    df = random_paths(5000, 7, 31)
    df.loc[3, "path"] = "  caf\u00e9 >ch1\t> ch_with_a_long_name_9  "  # non-ASCII, white space, a long name
    kw = {"path": "path", "conversions": "conversions", "value": "value", "nulls": "nulls"}
    as_object = df.assign(path=df["path"].astype(object))
    as_arrow = df.assign(path=df["path"].astype("string[pyarrow]"))
    as_python_string = df.assign(path=df["path"].astype("string[python]"))
    a = ta.Journeys.from_paths(as_object, **kw)
    ref = core_attr.JourneyStore.from_path_list(list(df["path"]), df["conversions"].to_numpy(float), sep=">")
    for frame in (as_arrow, as_python_string):
        b = ta.Journeys.from_paths(frame, **kw)
        assert b.channels == a.channels and np.array_equal(b._store.touches, a._store.touches)
        assert np.array_equal(b._store.offsets, a._store.offsets)
    assert list(ref.channels) == a.channels and np.array_equal(ref.touches, a._store.touches)
    assert "caf\u00e9" in a.channels and "ch_with_a_long_name_9" in a.channels
    for threads in (1, 2, 3):
        c = ta.Journeys.from_paths(as_object, threads=threads, **kw)
        assert np.array_equal(c._store.touches, a._store.touches)
    # errors name the row, for object and python-string columns alike
    for bad, message in (
        (pd.NA, "row 4, column 'path': missing path"),
        (np.nan, "row 4, column 'path': missing path"),
        (7, "row 4, column 'path': expected a path string, got 7"),
    ):
        frame = as_object.copy()
        frame.loc[4, "path"] = bad
        with pytest.raises(ValueError, match=message):
            ta.Journeys.from_paths(frame, **kw)
    frame = as_python_string.copy()
    frame.loc[2, "path"] = None
    with pytest.raises(ValueError, match="row 2, column 'path': missing path"):
        ta.Journeys.from_paths(frame, **kw)
    with pytest.raises(ValueError, match="contiguous one-dimensional object array"):
        core_attr.JourneyStore.from_path_objects(np.zeros(3), np.ones(3))


def test_markov_from_journeys_equals_markov_from_statistics():
    """Journeys are counted straight into the chain; Statistics go through string keys:
    the same chain, bit for bit, and the same result for every thread count."""
    df = random_paths(6000, 6, 32)
    j = ta.Journeys.from_paths(df, value="value", nulls="nulls")
    for order in (1, 2, 3, 4):
        for collapse in (True, False):
            st = ta.Statistics.from_journeys(j, orders=[order], collapse_repeats=collapse, contents="transitions")
            want = ta.markov(st, order=order)
            for threads in (1, 2, 3):
                got = ta.markov(j, order=order, collapse_repeats=collapse, threads=threads)
                assert got.credits.equals(want.credits)
                assert got.removal_effects.equals(want.removal_effects)
                assert got.conversion_probability == want.conversion_probability
                assert got.transitions.equals(want.transitions)
                assert got.settings == want.settings


def _all_credits(j: ta.Journeys) -> dict[str, pd.DataFrame]:
    return {"linear": ta.linear(j).credits, "markov_2": ta.markov(j, order=2).credits, "shapley": ta.shapley(j).credits}


def test_pyarrow_table_gives_the_same_results_as_pandas():
    pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed (pip install pyarrow)")
    df = random_paths(3000, 6, 21)
    kw = {"path": "path", "conversions": "conversions", "value": "value", "nulls": "nulls"}
    base = ta.Journeys.from_paths(df, **kw)
    want = _all_credits(base)
    for table in (
        pa.Table.from_pandas(df),
        pa.Table.from_pandas(df).cast(
            pa.schema(
                [
                    ("path", pa.large_string()),
                    ("conversions", pa.float64()),
                    ("value", pa.float64()),
                    ("nulls", pa.int64()),
                ]
            )
        ),
        pa.concat_tables([pa.Table.from_pandas(df[:1000]), pa.Table.from_pandas(df[1000:])]),
    ):
        j = ta.Journeys.from_paths(table, **kw)
        assert j.to_frame().equals(base.to_frame())
        for name, frame in _all_credits(j).items():
            assert frame.equals(want[name]), name


def test_polars_frame_gives_the_same_results_as_pandas():
    pl = pytest.importorskip("polars", reason="polars is not installed (pip install polars)")
    pytest.importorskip("pyarrow", reason="polars frames are read through pyarrow (pip install pyarrow)")
    df = random_paths(3000, 6, 22)
    kw = {"path": "path", "conversions": "conversions", "value": "value", "nulls": "nulls"}
    base = ta.Journeys.from_paths(df, **kw)
    frame = pl.from_pandas(df)
    j = ta.Journeys.from_paths(frame, **kw)
    assert j.to_frame().equals(base.to_frame())
    want = _all_credits(base)
    for name, credit in _all_credits(j).items():
        assert credit.equals(want[name]), name
    # a polars frame with a null path or count names the row, as for pandas
    with pytest.raises(ValueError, match="row 2, column 'path': missing path"):
        ta.Journeys.from_paths(
            frame.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise(pl.col("path")).alias("path")),
            **kw,
        )
    with pytest.raises(ValueError, match="row 1, column 'nulls'"):
        ta.Journeys.from_paths(
            frame.with_columns(
                pl.when(pl.int_range(pl.len()) == 1).then(-1.0).otherwise(pl.col("nulls")).alias("nulls")
            ),
            **kw,
        )


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.assign(conv=[2, np.nan, 1, 0]), "row 1, column 'conv'"),
        (lambda d: d.assign(nul=[0, 1, -1, 3]), "row 2, column 'nul'"),
        (lambda d: d.assign(conv=[2, "x", 1, 0]), "row 1, column 'conv'"),
        (lambda d: d.assign(path=["a", "b >  > c", "c", "d"]), "row 1, column 'path': empty channel name"),
        (lambda d: d.assign(path=["a", "b", "   ", "d"]), "row 2, column 'path': empty path"),
        (lambda d: d.assign(path=["a", None, "c", "d"]), "row 1, column 'path': missing path"),
        (lambda d: d.assign(path=pd.Series(["a", "b", 3, "d"], dtype=object)), "row 2, column 'path': expected a path"),
        (lambda d: d.drop(columns="conv"), "column 'conv' (conversions) not found"),
    ],
)
def test_bad_paths_name_row_and_column(paths, change, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ta.Journeys.from_paths(change(paths), path="path", conversions="conv", value="val", nulls="nul")


def events():
    t0 = pd.Timestamp("2026-01-01")
    d = pd.Timedelta(days=1)
    touches = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u1", "u1", "u2", "u3"],
            "timestamp": [t0, t0 + 5 * d, t0 + 7 * d, t0 + 21 * d, t0 + 100 * d, t0],
            "channel": ["press", "instagram", "tiktok", "press", "instagram", "event"],
        }
    )
    conversions = pd.DataFrame(
        {"user_id": ["u1", "u1", "u2"], "timestamp": [t0 + 6 * d, t0 + 20 * d, t0 + 100 * d], "value": [10.0, 20, 30]}
    )
    return touches, conversions


def test_from_events_splits_journeys_and_reports_unattributed():
    touches, conversions = events()
    with pytest.raises(ValueError, match="conversions row 1"):
        ta.Journeys.from_events(touches, conversions, lookback="10D")
    j = ta.Journeys.from_events(touches, conversions, lookback="10D", drop_unattributed=True)
    assert j.unattributed_conversions == 1 and j.unattributed_value == 20.0
    assert j.touches_outside_lookback == 1  # tiktok at day 7 is 13 days before the day-20 conversion
    f = j.to_frame()
    assert f["path"].tolist() == ["press > instagram", "press", "instagram", "event"]
    assert f["conversions"].tolist() == [1, 0, 1, 0] and f["nulls"].tolist() == [0, 1, 0, 1]
    assert f["user"].tolist() == ["u1", "u1", "u2", "u3"]
    # time decay: ages 6 and 1 days, half-life 7 -> weights 2^(-6/7), 2^(-1/7)
    td = credits(ta.time_decay(j))
    w_press, w_insta = 2 ** (-6 / 7), 2 ** (-1 / 7)
    assert td["press"] == pytest.approx(w_press / (w_press + w_insta), rel=1e-12)
    assert td["instagram"] == pytest.approx(1 + w_insta / (w_press + w_insta), rel=1e-12)
    # a wider window attributes the day-20 conversion to press@21? no: touches after it form the null journey
    j30 = ta.Journeys.from_events(touches, conversions, lookback="30D")
    assert j30.unattributed_conversions == 0 and len(j30) == 5


def test_from_events_errors_name_rows():
    touches, conversions = events()
    bad = touches.copy()
    bad.loc[2, "channel"] = None
    with pytest.raises(ValueError, match="touches row 2, column 'channel'"):
        ta.Journeys.from_events(bad, conversions)
    bad = conversions.copy()
    bad["timestamp"] = bad["timestamp"].astype(object)
    bad.loc[1, "timestamp"] = None
    with pytest.raises(ValueError, match="conversions row 1, column 'timestamp'"):
        ta.Journeys.from_events(touches, bad)
    with pytest.raises(ValueError, match="lookback"):
        ta.Journeys.from_events(touches, conversions, lookback="-1D")


# ---- rule-based ------------------------------------------------------------------------
def test_rule_based_hand_computed(journeys):
    assert credits(ta.first_touch(journeys)) == {"a": 2, "b": 1, "c": 1}
    assert credits(ta.last_touch(journeys)) == {"a": 0, "b": 1, "c": 3}
    assert credits(ta.linear(journeys)) == pytest.approx({"a": 2 / 3, "b": 5 / 3, "c": 5 / 3}, rel=1e-14)
    assert credits(ta.position_based(journeys)) == pytest.approx({"a": 0.8, "b": 1.4, "c": 1.8}, rel=1e-14)
    assert credits(ta.position_based(journeys, 0.3, 0.5)) == pytest.approx({"a": 0.6, "b": 1.4, "c": 2.0}, rel=1e-14)
    assert credits(ta.last_non(journeys, "c")) == {"a": 0, "b": 3, "c": 1}
    r = ta.first_touch(journeys)
    assert r.credits["value"].tolist() == [20, 5, 10]
    assert r.credits["share"].tolist() == [0.5, 0.25, 0.25]
    with pytest.raises(ValueError, match="time_decay needs touch timestamps"):
        ta.time_decay(journeys)
    with pytest.raises(ValueError, match="half_life"):
        ta.time_decay(journeys, half_life=0)
    with pytest.raises(ValueError, match="first_weight"):
        ta.position_based(journeys, 0.7, 0.6)


def test_totals_and_per_journey_add_up():
    df = random_paths(3000, 6, 1)
    j = ta.Journeys.from_paths(df, path="path", conversions="conversions", value="value", nulls="nulls")
    for fn in (
        ta.first_touch,
        ta.last_touch,
        ta.linear,
        ta.position_based,
        ta.shapley,
        ta.simplified_shapley,
        ta.ordered_shapley,
    ):
        r = fn(j)
        assert r.credits["conversions"].sum() == pytest.approx(df["conversions"].sum(), rel=1e-12)
        assert r.credits["value"].sum() == pytest.approx(df["value"].sum(), rel=1e-12)
        pj = r.per_journey().groupby("channel")[["conversions", "value"]].sum()
        c = r.credits.set_index("channel")
        np.testing.assert_allclose(pj["conversions"], c.loc[pj.index, "conversions"], rtol=1e-10, atol=1e-12)
    m = ta.markov(j)
    assert m.per_journey()["conversions"].sum() == pytest.approx(df["conversions"].sum(), rel=1e-12)


def test_results_do_not_depend_on_threads():
    df = random_paths(20000, 8, 2)
    j1 = ta.Journeys.from_paths(df, path="path", conversions="conversions", value="value", nulls="nulls", threads=1)
    j3 = ta.Journeys.from_paths(df, path="path", conversions="conversions", value="value", nulls="nulls", threads=3)
    for fn in (ta.linear, ta.markov, ta.shapley):
        a, b = fn(j1, threads=1), fn(j3, threads=3)
        assert a.credits.equals(b.credits)


# ---- Markov ----------------------------------------------------------------------------
def test_markov_hand_computed():
    df = pd.DataFrame(
        {"path": ["a > b", "b", "a"], "conversions": [1, 0, 1], "value": [10.0, 0, 30], "nulls": [0, 1, 1]}
    )
    j = ta.Journeys.from_paths(df, value="value", nulls="nulls")
    r = ta.markov(j)
    assert r.conversion_probability == pytest.approx(0.5, rel=1e-14)
    assert r.removal_effects["removal_effect"].tolist() == pytest.approx([0.75, 0.5], rel=1e-14)
    assert credits(r) == pytest.approx({"a": 1.2, "b": 0.8}, rel=1e-14)
    assert r.credits["value"].tolist() == pytest.approx([24.0, 16.0], rel=1e-14)
    m = r.transition_matrix
    assert m.loc["(start)", "a"] == 0.75 and m.loc["a", "(conversion)"] == pytest.approx(1 / 3)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    again = pickle.loads(pickle.dumps(r))
    assert again.credits.equals(r.credits) and again.transition_matrix.equals(m)


def test_markov_orders_and_solvers_agree():
    df = random_paths(4000, 5, 3)
    j = ta.Journeys.from_paths(df, value="value", nulls="nulls")
    for order in (1, 2, 3):
        direct = ta.markov(j, order=order, solver="direct")
        iterative = ta.markov(j, order=order, solver="iterative", tolerance=1e-14)
        np.testing.assert_allclose(direct.credits["conversions"], iterative.credits["conversions"], rtol=1e-9)
        assert direct.settings["direct"] and not iterative.settings["direct"]
    assert ta.markov(j, order=2).model == "markov_2"
    with pytest.raises(ValueError, match="order"):
        ta.markov(j, order=0)
    with pytest.raises(ValueError, match="solver"):
        ta.markov(j, solver="magic")


def test_select_order_prefers_the_true_order():
    # an order-2 source: after (x, x) comes y, after (x, y) comes x, ...
    rng = np.random.default_rng(4)
    rows = []
    for _ in range(3000):
        seq = list(rng.choice(["a", "b"], 2))
        while rng.random() > 0.25 and len(seq) < 12:
            seq.append(("b" if rng.random() < 0.9 else "a") if seq[-2] == "a" else ("a" if rng.random() < 0.9 else "b"))
        conv = rng.random() < 0.3
        rows.append({"path": " > ".join(seq), "conversions": float(conv), "nulls": float(not conv)})
    j = ta.Journeys.from_paths(pd.DataFrame(rows), nulls="nulls")
    scores = ta.select_order(j, orders=[1, 2], holdout=0.3, seed=1).set_index("order")
    assert scores.loc[2, "log_likelihood"] > scores.loc[1, "log_likelihood"]


# ---- Shapley, roles, comparison ----------------------------------------------------------
def test_shapley_variants(journeys):
    full = credits(ta.shapley(journeys))
    assert full == pytest.approx({"a": 2 / 3, "b": 5 / 3, "c": 5 / 3}, rel=1e-12)
    assert credits(ta.simplified_shapley(journeys)) == pytest.approx(full, rel=1e-12)
    od = ta.ordered_shapley(journeys)
    assert od.extra["by_position"].loc["b"].tolist() == pytest.approx([0.5, 7 / 6, 0.0])
    rate = ta.shapley(journeys, value_function="rate", unseen="max_subset")
    assert rate.credits["conversions"].sum() == pytest.approx(4.0, rel=1e-12)
    with pytest.raises(ValueError, match="value_function"):
        ta.shapley(journeys, value_function="x")
    with pytest.raises(ValueError, match="exceed max_channels = 2"):
        ta.shapley(journeys, max_channels=2)


def plan():
    return core.Plan(
        channels=[
            core.Channel("a", peso="earned", role="trust"),
            core.Channel("b", peso="paid", role="conversion"),
        ]
    )


def test_roles_and_rollups(journeys):
    r = ta.roles(journeys, plan())
    t = r.table.set_index("channel")
    assert t["introducer"].tolist() == [2, 1, 0]
    assert t["closer"].tolist() == [0, 1, 2]
    assert t["sole"].tolist() == [0, 0, 1]
    assert t.loc["c", "peso"] == "(unassigned)"
    by_role = r.by_role.set_index("role")
    assert by_role.loc["trust", "introducer_share"] == 1.0
    np.testing.assert_allclose(t[["introducer_share", "assist_share", "closer_share", "sole_share"]].sum(axis=1), 1.0)
    roll = ta.first_touch(journeys).rollup(plan(), by="peso").set_index("peso")
    assert roll.loc["earned", "conversions"] == 2 and roll.loc["(unassigned)", "conversions"] == 1
    with pytest.raises(ValueError, match="by must be"):
        ta.first_touch(journeys).rollup(plan(), by="x")


def test_compare_and_plots(journeys):
    cmp = ta.compare(journeys)
    assert list(cmp.credits.columns) == ["first_touch", "last_touch", "linear", "position_based", "markov", "shapley"]
    np.testing.assert_allclose(cmp.credits.sum(axis=0), 4.0, rtol=1e-12)
    assert set(cmp.rollup(plan(), by="role").index) == {"trust", "conversion", "(unassigned)"}
    import matplotlib.pyplot as plt

    for ax in (
        cmp.plot(),
        ta.markov(journeys).plot(),
        ta.markov(journeys).plot_transitions(),
        ta.roles(journeys, plan()).plot(by="role"),
    ):
        assert ax.get_title() or ax.get_xlabel()
    plt.close("all")
    assert "<table" in cmp._repr_html_() and "<table" in ta.markov(journeys)._repr_html_()
    assert "<table" in journeys._repr_html_()


# ---- mergeable statistics ----------------------------------------------------------------
def test_merged_partitions_equal_a_single_pass():
    df = random_paths(5000, 7, 5)
    whole = ta.Statistics.from_journeys(ta.Journeys.from_paths(df, value="value", nulls="nulls"), orders=[1, 2])
    rng = np.random.default_rng(0)
    for parts in (2, 3, 7):
        labels = rng.integers(0, parts, len(df))
        states = [
            ta.Statistics.from_journeys(
                ta.Journeys.from_paths(df[labels == k], value="value", nulls="nulls"), orders=[1, 2]
            )
            for k in range(parts)
        ]
        rng.shuffle(states)
        merged = ta.Statistics(orders=[1, 2])
        for s in states:
            merged.merge(s)
        assert merged == whole
        assert ta.markov(merged, order=2).credits.equals(ta.markov(whole, order=2).credits)
        assert ta.shapley(merged).credits.equals(ta.shapley(whole).credits)
        assert ta.roles(merged).table.equals(ta.roles(whole).table)
    # every model from statistics equals the same model from journeys
    j = ta.Journeys.from_paths(df, value="value", nulls="nulls")
    assert ta.first_touch(whole).credits.equals(ta.first_touch(j).credits)
    np.testing.assert_allclose(
        ta.position_based(whole).credits["conversions"], ta.position_based(j).credits["conversions"], rtol=1e-13
    )


def test_statistics_serialisation():
    df = random_paths(500, 5, 6)
    st = ta.Statistics.from_journeys(ta.Journeys.from_paths(df, value="value", nulls="nulls"), orders=[1, 3])
    assert pickle.loads(pickle.dumps(st)) == st
    assert ta.Statistics.from_bytes(st.to_bytes()) == st
    table = st.to_table()
    assert set(table["statistic"]) == {"setting", "total", "transition", "channel_set", "channel", "ordered"}
    assert ta.Statistics.from_table(table.sample(frac=1.0, random_state=1)) == st
    # summing two tables' units merges exactly
    other = ta.Statistics.from_journeys(
        ta.Journeys.from_paths(random_paths(300, 6, 7), value="value", nulls="nulls"), orders=[1, 3]
    )
    keys = ["statistic", "order", "position", "key", "target"]
    both = pd.concat([table, other.to_table()])
    settings = both[both["statistic"] == "setting"].drop_duplicates(keys)
    summed = both[both["statistic"] != "setting"].groupby(keys, as_index=False)["units"].sum()
    assert ta.Statistics.from_table(pd.concat([settings, summed])) == st.copy().merge(other)
    with pytest.raises(ValueError, match="contents"):
        ta.Statistics(contents="everything")
    with pytest.raises(ValueError, match="needs statistics"):
        ta.shapley(ta.Statistics(contents="transitions"))
    with pytest.raises(ValueError, match="not a trustmix state"):
        ta.Statistics.from_bytes(b"garbage!")


# ---- peers and engines ----------------------------------------------------------------------
def test_heuristics_equal_channelattribution():
    ca = pytest.importorskip("ChannelAttribution")
    df = random_paths(2000, 6, 8).rename(
        columns={"conversions": "total_conversions", "value": "total_conversion_value"}
    )
    df["total_conversions"] = np.round(df["total_conversions"] * 2)
    peer = ca.heuristic_models(df, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False)
    peer = peer.set_index("channel_name")
    j = ta.Journeys.from_paths(df, conversions="total_conversions", value="total_conversion_value")
    for ours, theirs in (
        (ta.first_touch(j), "first_touch"),
        (ta.last_touch(j), "last_touch"),
        (ta.linear(j), "linear_touch"),
    ):
        c = ours.credits.set_index("channel")
        np.testing.assert_allclose(c.loc[peer.index, "conversions"], peer[f"{theirs}_conversions"], rtol=1e-9)
        np.testing.assert_allclose(c.loc[peer.index, "value"], peer[f"{theirs}_value"], rtol=1e-9)


def test_dask_local_cluster_with_two_workers():
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    import dask.dataframe as dd

    df = random_paths(4000, 6, 9)
    whole = ta.Statistics.from_journeys(ta.Journeys.from_paths(df, value="value", nulls="nulls"), orders=[1, 2])
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster),
    ):
        ddf = dd.from_pandas(df, npartitions=5)
        st = ta.statistics_from_dask(ddf, value="value", nulls="nulls", orders=[1, 2], split_every=2)
    assert st == whole
    assert ta.markov(st, order=2).credits.equals(ta.markov(whole, order=2).credits)
    with pytest.raises(ValueError, match="not found"):
        ta.statistics_from_dask(dd.from_pandas(df, npartitions=2), path="route")


# A format-1 state written by this version (journeys "a > b" converting once, "b" once
# not, transitions only), zlib-compressed: later versions must keep reading it.
_FORMAT_1_STATE = "eNoL8XUMZmRgYGBigABGKJ0IYyQxIskwMrJCeTD1CB0wwIIkgy7HhFOGBS7z7z9uuf8YcqNgeAJGEuVhKQsAiTAGHw=="


def test_format_1_state_still_reads():
    import base64
    import zlib

    old = ta.Statistics.from_bytes(zlib.decompress(base64.b64decode(_FORMAT_1_STATE)))
    fresh = ta.Statistics.from_journeys(
        ta.Journeys.from_paths(
            pd.DataFrame({"path": ["a > b", "b"], "conversions": [1.0, 0.0], "nulls": [0.0, 1.0]}), nulls="nulls"
        ),
        contents="transitions",
    )
    assert old == fresh
    assert credits(ta.markov(old)) == pytest.approx({"a": 1 / 3, "b": 2 / 3})  # RE_a = 1/2, RE_b = 1
