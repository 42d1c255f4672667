"""Bad-input suite (issue 14): one test per input class and entry point, several hundred
cases. Each bad input must raise ValueError whose message names the argument, row or
column and what was expected: no crash, no silent wrong result, no pybind11 internals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import trustmix.attribution as ta
import trustmix.inference as ti
import trustmix.kpi as kpi
import trustmix.transforms as tt
from trustmix.core import Channel, Plan
from trustmix.simulate import World, scenario, scenario_names

# -- KPI -------------------------------------------------------------------------------------
#: function -> (its arguments, the ones that may be negative)
KPIS = {
    "frequency": (("impressions", "reach"), ()),
    "share_of_voice": (("brand", "category_total"), ()),
    "excess_share_of_voice": (("share_of_voice", "share_of_market"), ()),
    "net_sentiment": (("positive", "negative"), ()),
    "engagement_rate": (("engagements", "denominator"), ()),
    "ctr": (("clicks", "impressions"), ()),
    "virality_rate": (("shares", "impressions"), ()),
    "amplification_rate": (("shares", "followers"), ()),
    "follower_growth_rate": (("followers_start", "followers_end"), ()),
    "nps": (("promoters", "detractors", "respondents"), ()),
    "trust_index": (("trusting", "respondents"), ()),
    "share_of_search": (("brand_searches", "category_searches"), ()),
    "cpm": (("cost", "impressions"), ()),
    "cpc": (("cost", "clicks"), ()),
    "cpa": (("cost", "conversions"), ()),
    "cac": (("acquisition_cost", "new_customers"), ()),
    "cvr": (("conversions", "denominator"), ()),
    "roas": (("revenue", "spend"), ()),
    "roi": (("incremental_value", "cost"), ("incremental_value",)),
    "clv": (("margin", "retention", "discount"), ()),
}
GOOD = {"retention": 0.5, "discount": 0.1, "share_of_voice": 20.0, "share_of_market": 10.0}


def _kpi_args(fname: str, bad_arg: str, bad_value) -> dict:
    args, _ = KPIS[fname]
    out = {a: [GOOD.get(a, 10.0), GOOD.get(a, 20.0)] for a in args}
    if fname in ("nps",):
        out = {"promoters": [3.0, 4.0], "detractors": [2.0, 1.0], "respondents": [10.0, 10.0]}
    if fname in ("trust_index", "share_of_voice", "share_of_search", "frequency"):
        out[args[1]] = [100.0, 100.0]
    out[bad_arg] = [out[bad_arg][0], bad_value]
    return out


#: how a KPI names itself and its arguments in messages (engagement_rate and cvr name
#: their denominator by ``by``)
SHOWN = {
    "engagement_rate": ("engagement_rate_by_reach", {"denominator": "reach"}),
    "cvr": ("cvr_by_clicks", {"denominator": "clicks"}),
}


def _shown(fname: str, arg: str) -> tuple[str, str]:
    name, args = SHOWN.get(fname, (fname, {}))
    return name, args.get(arg, arg)


KPI_CASES = []
for _f, (_args, _signed) in KPIS.items():
    for _a in _args:
        for _v in (-1.0, math.inf, -math.inf):
            if _a in _signed and _v == -1.0:
                continue
            KPI_CASES.append(pytest.param(_f, _a, _v, id=f"{_f}-{_a}-{_v}"))


@pytest.mark.parametrize("fname, arg, value", KPI_CASES)
def test_kpi_rejects_negative_and_infinite_counts(fname, arg, value):
    name, shown = _shown(fname, arg)
    with pytest.raises(ValueError, match=rf"{name}: {shown} must be .*got {value!r} at position 1"):
        getattr(kpi, fname)(**_kpi_args(fname, arg, value))


@pytest.mark.parametrize(
    "fname, arg", [pytest.param(f, a, id=f"{f}-{a}") for f, (args, _) in KPIS.items() for a in args]
)
def test_kpi_rejects_non_numeric_arguments(fname, arg):
    args = _kpi_args(fname, arg, 1.0)
    args[arg] = ["a", "b"]
    name, shown = _shown(fname, arg)
    with pytest.raises(ValueError, match=rf"{name}: {shown} must be numeric"):
        getattr(kpi, fname)(**args)


@pytest.mark.parametrize("fname", list(KPIS))
def test_kpi_rejects_arguments_of_different_lengths(fname):
    args = _kpi_args(fname, KPIS[fname][0][0], 1.0)
    args[KPIS[fname][0][0]] = [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match=rf"{_shown(fname, '')[0]}: arguments cannot be broadcast together"):
        getattr(kpi, fname)(**args)


@pytest.mark.parametrize(
    "fname, part, whole",
    [
        ("trust_index", "trusting", "respondents"),
        ("share_of_voice", "brand", "category_total"),
        ("share_of_search", "brand_searches", "category_searches"),
    ],
)
def test_kpi_part_above_its_whole_is_rejected_as_nps_does(fname, part, whole):
    with pytest.raises(ValueError, match=rf"{part} \(10\) exceeds {whole} \(5\) at element 0"):
        getattr(kpi, fname)([10.0], [5.0])
    assert getattr(kpi, fname)([5.0], [10.0]) == 50.0


def test_kpi_overflow_is_an_error_not_inf():
    with pytest.raises(ValueError, match=r"overflows at element 0 .*rescale"):
        kpi.cpc([1e308], [1e-10])
    assert np.isnan(kpi.ctr([5.0], [0.0]))  # a zero denominator is NaN by convention


@pytest.mark.parametrize("value", [-0.5, 1.5, math.nan], ids=str)
def test_kpi_clv_retention_outside_the_unit_interval(value):
    if math.isnan(value):
        assert np.isnan(kpi.clv([10.0], [value], [0.1]))  # missing stays missing
        return
    with pytest.raises(ValueError, match="retention must be"):
        kpi.clv([10.0], [value], [0.1])


# -- transforms ----------------------------------------------------------------------------------
ADSTOCKS = {
    "geometric": lambda x, **kw: tt.geometric_adstock(x, 0.5, **kw),
    "delayed": lambda x, **kw: tt.delayed_adstock(x, 0.5, 1.0, **kw),
    "binomial": lambda x, **kw: tt.binomial_adstock(x, 0.5, **kw),
    "weibull": lambda x, **kw: tt.weibull_adstock(x, 1.5, 2.0, **kw),
}


@pytest.mark.parametrize("kind", list(ADSTOCKS))
@pytest.mark.parametrize("max_lag", [-1, 1.5, "12", True, 10**10, math.nan, math.inf, 2**31 - 1], ids=repr)
def test_adstock_bad_max_lag_names_max_lag(kind, max_lag):
    with pytest.raises(ValueError, match=r"max_lag must be an integer in \[0, 2\*\*31 - 1\) or None"):
        ADSTOCKS[kind](np.ones(20), max_lag=max_lag)


@pytest.mark.parametrize("kind", list(ADSTOCKS))
def test_adstock_max_lag_too_large_for_memory(kind):
    with pytest.raises(ValueError, match=r"max_lag = 1000000000 needs about \d+ GiB"):
        ADSTOCKS[kind](np.ones(20), max_lag=10**9)


@pytest.mark.parametrize("kind", list(ADSTOCKS))
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=str)
def test_adstock_non_finite_media_names_the_cell(kind, bad):
    x = pd.DataFrame({"tv": [1.0, 2.0, 3.0], "radio": [1.0, bad, 1.0]})
    with pytest.raises(ValueError, match=r"row .*1.*radio|radio.*row .*1"):
        ADSTOCKS[kind](x, max_lag=2)


@pytest.mark.parametrize("alpha", [-0.1, 1.1, math.nan, math.inf], ids=str)
def test_geometric_adstock_alpha_outside_its_range(alpha):
    with pytest.raises(ValueError, match="alpha"):
        tt.geometric_adstock(np.ones(10), alpha, max_lag=3)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf], ids=str)
def test_scale_by_mean_nonzero_bad_media(bad):
    with pytest.raises(ValueError, match="finite and >= 0"):
        tt.scale_by_mean_nonzero(pd.DataFrame({"tv": [1.0, bad]}))


def test_scale_by_mean_nonzero_near_the_largest_double_is_exact():
    values, scale = tt.scale_by_mean_nonzero(np.array([1e308, 1e308, 1.0]))
    assert scale == pytest.approx(1e308 / 3 * 2, rel=1e-15)
    np.testing.assert_allclose(values[:2], [1.5, 1.5], rtol=1e-15)
    assert np.all(np.isfinite(values))


# -- attribution ---------------------------------------------------------------------------------
PATHS = pd.DataFrame(
    {"path": ["a > b", "b > c", "a", "c > a > b"], "conversions": [1.0, 0.0, 2.0, 1.0], "nulls": [1.0, 2.0, 0.0, 1.0]}
)


def _j() -> ta.Journeys:
    return ta.Journeys.from_paths(PATHS, nulls="nulls")


@pytest.mark.parametrize("sep", [None, "", 3, b">"], ids=repr)
def test_from_paths_bad_sep(sep):
    with pytest.raises(ValueError, match="sep must be a non-empty str"):
        ta.Journeys.from_paths(PATHS, sep=sep)


@pytest.mark.parametrize(
    "bad, expected",
    [
        (-1.0, r"row 2, column 'conversions': expected a finite number >= 0"),
        (math.nan, r"row 2, column 'conversions'"),
        (math.inf, r"row 2, column 'conversions'"),
        ("x", r"row 2, column 'conversions'"),
    ],
    ids=repr,
)
def test_from_paths_bad_counts_name_row_and_column(bad, expected):
    df = PATHS.copy().astype({"conversions": object})
    df.loc[2, "conversions"] = bad
    with pytest.raises(ValueError, match=expected):
        ta.Journeys.from_paths(df)


@pytest.mark.parametrize(
    "path, expected",
    [
        ("", r"row 1, column 'path'"),
        ("a >  > b", r"row 1, column 'path': empty channel name"),
        (None, r"row 1, column 'path'"),
        (3, r"row 1, column 'path'"),
    ],
    ids=repr,
)
def test_from_paths_bad_paths_name_the_row(path, expected):
    df = PATHS.copy().astype({"path": object})
    df.loc[1, "path"] = path
    with pytest.raises(ValueError, match=expected):
        ta.Journeys.from_paths(df)


def test_from_paths_missing_and_duplicate_columns():
    with pytest.raises(ValueError, match=r"column 'conv' \(conversions\) not found"):
        ta.Journeys.from_paths(PATHS, conversions="conv")
    dup = pd.concat([PATHS, PATHS[["conversions"]]], axis=1)
    with pytest.raises(ValueError, match=r"column 'conversions' \(conversions\) appears 2 times"):
        ta.Journeys.from_paths(dup)
    with pytest.raises(ValueError, match="column must be named by a str"):
        ta.Journeys.from_paths(PATHS, path=["path"])


@pytest.mark.parametrize("frame", [PATHS.iloc[:0], PATHS.iloc[:1]], ids=["empty", "one-row"])
def test_empty_and_one_row_frames(frame):
    if len(frame) == 0:
        j = ta.Journeys.from_paths(frame)
        assert len(j) == 0
        with pytest.raises(ValueError, match="no conversions"):
            ta.markov(j)
        return
    j = ta.Journeys.from_paths(frame)  # one journey a > b with one conversion: exact answers
    r = ta.markov(j)
    assert r.credits["conversions"].sum() == pytest.approx(1.0)
    credits = ta.first_touch(j).credits.set_index("channel")
    assert credits.loc["a", "conversions"] == 1.0 and credits.loc["b", "conversions"] == 0.0


MODELS = {
    "first_touch": ta.first_touch,
    "last_touch": ta.last_touch,
    "linear": ta.linear,
    "position_based": ta.position_based,
    "markov": ta.markov,
    "shapley": ta.shapley,
    "simplified_shapley": ta.simplified_shapley,
    "ordered_shapley": ta.ordered_shapley,
    "roles": ta.roles,
    "time_decay": None,
}


@pytest.mark.parametrize("model", [m for m, f in MODELS.items() if f is not None])
@pytest.mark.parametrize("threads", [-1, 1.5, "2", True, 2**40], ids=repr)
def test_attribution_models_bad_threads(model, threads):
    with pytest.raises(ValueError, match="threads must be an integer >= 0"):
        MODELS[model](_j(), threads=threads)


WRONG_TYPES = [None, 3, math.nan, [1], b"x"]


@pytest.mark.parametrize("value", WRONG_TYPES + ["lu"], ids=repr)
def test_markov_bad_solver_is_named(value):
    # a non-str solver was a pybind11 "incompatible function arguments" listing internals
    with pytest.raises(ValueError, match=r"solver must be 'auto', 'direct' or 'iterative', got "):
        ta.markov(_j(), solver=value)


@pytest.mark.parametrize(
    "arg, expected", [("value_function", "'count' or 'rate'"), ("unseen", "'zero' or 'max_subset'")]
)
@pytest.mark.parametrize("value", WRONG_TYPES + ["other"], ids=repr)
def test_shapley_bad_choices_are_named(arg, expected, value):
    with pytest.raises(ValueError, match=rf"{arg} must be {expected}, got "):
        ta.shapley(_j(), **{arg: value})


@pytest.mark.parametrize("value", [None, "24", 2.5, math.nan, True, 0, 31, 10**20], ids=repr)
def test_shapley_bad_max_channels_is_named(value):
    with pytest.raises(ValueError, match=r"max_channels must be an integer in \[1, 30\]"):
        ta.shapley(_j(), max_channels=value)


@pytest.mark.parametrize("arg", ["first_weight", "last_weight"])
@pytest.mark.parametrize("value", [None, "0.4", [0.4], True, -0.1, 1.5, math.nan], ids=repr)
def test_position_based_bad_weights_are_named(arg, value):
    with pytest.raises(ValueError, match=rf"{arg} must be a number in \[0, 1\], got "):
        ta.position_based(_j(), **{arg: value})


def test_position_based_weights_still_exact():
    # a > b (1 conv.) splits 0.3 : 0.5; a (2) all to a; c > a > b (1): 0.3 first, 0.2 middle, 0.5 last
    credits = ta.position_based(_j(), first_weight=0.3, last_weight=0.5).credits.set_index("channel")["conversions"]
    assert credits["a"] == pytest.approx(0.3 / 0.8 + 2.0 + 0.2, rel=1e-15)
    assert credits["b"] == pytest.approx(0.5 / 0.8 + 0.5, rel=1e-15)
    assert credits["c"] == pytest.approx(0.3, rel=1e-15)


@pytest.mark.parametrize("model", [m for m, f in MODELS.items() if f is not None])
@pytest.mark.parametrize("data", [None, PATHS, "a > b", [1, 2]], ids=["None", "frame", "str", "list"])
def test_attribution_models_need_journeys_or_statistics(model, data):
    with pytest.raises(ValueError, match="Journeys|Statistics"):
        MODELS[model](data)


@pytest.mark.parametrize("order", [0, 9, -1, 1.5, "1", True], ids=repr)
def test_markov_bad_order(order):
    with pytest.raises(ValueError, match=r"order must be an integer in \[1, 8\]"):
        ta.markov(_j(), order=order)


@pytest.mark.parametrize("tolerance", [0.0, -1e-9, 1.0, math.nan, "small"], ids=repr)
def test_markov_bad_tolerance(tolerance):
    with pytest.raises(ValueError, match=r"tolerance must be a number in \(0, 1\)"):
        ta.markov(_j(), tolerance=tolerance)


def test_markov_order_not_counted_in_statistics():
    st = ta.Statistics.from_journeys(_j(), orders=[1])
    with pytest.raises(ValueError, match=r"order 2 was not counted; these statistics hold orders \{1\}"):
        ta.markov(st, order=2)


def test_compare_models_as_one_string_means_one_model():
    assert repr(ta.compare(_j(), models="markov")) == "Comparison(models=['markov'])"


@pytest.mark.parametrize(
    "models, expected",
    [
        (["nope"], "unknown model 'nope'; models are first_touch"),
        (["markov", "markov"], "lists a model twice"),
        ([1], "models must be model names"),
    ],
    ids=repr,
)
def test_compare_bad_models(models, expected):
    with pytest.raises(ValueError, match=expected):
        ta.compare(_j(), models=models)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"orders": []}, "orders must list at least one Markov order"),
        ({"orders": [0]}, r"order must be in \[1, 8\], got 0"),
        ({"orders": [9]}, r"order must be in \[1, 8\], got 9"),
        ({"contents": "foo"}, "contents must be among"),
        ({"contents": ["sets", "nope"]}, "contents must be among"),
    ],
    ids=repr,
)
def test_statistics_bad_settings(kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        ta.Statistics(**kwargs)


@pytest.mark.parametrize("model", ["markov", "shapley", "ordered_shapley", "roles"])
def test_models_on_statistics_without_their_contents(model):
    st = ta.Statistics.from_journeys(_j(), contents="channels" if model != "roles" else "sets")
    with pytest.raises(ValueError, match="needs statistics counted with contents"):
        MODELS[model](st)


@pytest.mark.parametrize("data", [b"", b"TMAS", b"XXXX\x02\x00\x00\x00", b"TMAS\x09\x00\x00\x00" + bytes(20)], ids=repr)
def test_statistics_from_bytes_garbage(data):
    with pytest.raises(ValueError, match="from_bytes"):
        ta.Statistics.from_bytes(data)


def test_statistics_merge_with_other_settings():
    with pytest.raises(ValueError, match="merge: statistics must count the same Markov orders"):
        ta.Statistics(orders=[1]).merge(ta.Statistics(orders=[2]))
    with pytest.raises(ValueError, match="merge expects Statistics"):
        ta.Statistics().merge(_j())


# -- simulate, core domain -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spec():
    return scenario(scenario_names()[0])


@pytest.mark.parametrize("seed", [-1, 2**64, 2**70, 1.5, "1", True, None], ids=repr)
def test_world_bad_seed(spec, seed):
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*64\)"):
        World(spec, seed=seed)


@pytest.mark.parametrize("bad_spec", [None, "pr_first_then_smm", [1, 2]], ids=repr)
def test_world_bad_spec(bad_spec):
    with pytest.raises(ValueError, match="spec must be a dict"):
        World(bad_spec, seed=1)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"periods": 0}, "periods must be"),
        ({"periods": -3}, "periods must be"),
        ({"periods": 2.5}, "periods must be"),
        ({"periods": "10"}, "periods must be"),
        ({"periods": 2**40}, "periods must be"),
        ({"mode": "individual"}, "mode must be 'segment' or 'agent'"),
        ({"freq": "M"}, "freq must be 'W' or 'D'"),
        ({"mode": "agent", "agents": 0}, "agents must be > 0"),
        ({"mode": "agent", "agents": -5}, "agents must be > 0"),
        ({"mode": "agent", "agents": math.nan}, "agents must be > 0"),
        # these were pybind11 "incompatible function arguments" (or an unhashable-type TypeError)
        ({"threads": None}, r"threads must be an integer >= 0 \(0 = all cores\), got None"),
        ({"threads": "2"}, r"threads must be an integer >= 0 \(0 = all cores\), got '2'"),
        ({"threads": -1}, r"threads must be an integer >= 0 \(0 = all cores\), got -1"),
        ({"threads": 2**40}, r"threads must be an integer >= 0 \(0 = all cores\), got 1099511627776"),
        ({"threads": True}, r"threads must be an integer >= 0 \(0 = all cores\), got True"),
        ({"freq": ["W"]}, r"freq must be 'W' or 'D', got \['W'\]"),
        ({"mode": ["agent"]}, r"mode must be 'segment' or 'agent', got \['agent'\]"),
    ],
    ids=repr,
)
def test_world_run_bad_arguments(spec, kwargs, expected):
    world = World(spec, seed=1)
    with pytest.raises(ValueError, match=expected):
        world.run(**{"truth": False, "progress": False, **kwargs})


@pytest.mark.parametrize(
    "periods, expected",
    [
        (-1, "periods must be an integer >= 0"),
        (1.5, "periods must be an integer >= 0"),
        ("3", "periods must be an integer >= 0"),
        (True, "periods must be an integer >= 0"),
        (10**9, "run past the last date pandas can hold"),
        (10**12, "run past the last date pandas can hold"),
    ],
    ids=repr,
)
def test_plan_spend_bad_periods(periods, expected):
    plan = Plan()
    plan.add_channel(Channel("tv"))
    with pytest.raises(ValueError, match=expected):
        plan.spend("2024-01-01", periods=periods)


# -- inference -----------------------------------------------------------------------------------------
SAMPLE_CASES = [
    ({"chains": 0}, "chains must be an integer >= 1"),
    ({"chains": 1.5}, "chains must be an integer >= 1"),
    ({"draws": -1}, "draws must be an integer >= 0"),
    ({"tune": -1}, "tune must be an integer >= 0"),
    ({"seed": -1}, r"seed must be an integer in \[0, 2\*\*64\)"),
    ({"seed": 2**64}, r"seed must be an integer in \[0, 2\*\*64\)"),
    ({"seed": 1.5}, r"seed must be an integer in \[0, 2\*\*64\)"),
    ({"metric": "full"}, "metric must be 'diag' or 'dense'"),
    ({"target_accept": 0.0}, "target_accept"),
    ({"target_accept": 1.0}, "target_accept"),
    ({"target_accept": math.nan}, "target_accept"),
    ({"max_tree_depth": 0}, "max_tree_depth must be an integer >= 1"),
    ({"threads": 0}, "threads must be an integer >= 1"),
    ({"base_window": 0}, "base_window must be an integer >= 1"),
    # these were pybind11 "incompatible function arguments"
    ({"metric": None}, "metric must be 'diag' or 'dense', got None"),
    ({"metric": 3}, "metric must be 'diag' or 'dense', got 3"),
    ({"chains": 2**40}, r"chains must be an integer <= 2\*\*31 - 1, got 1099511627776"),
    ({"max_tree_depth": 2**40}, r"max_tree_depth must be an integer <= 2\*\*31 - 1"),
    ({"init_buffer": 2**40}, r"init_buffer must be an integer <= 2\*\*31 - 1"),
    ({"term_buffer": 2**40}, r"term_buffer must be an integer <= 2\*\*31 - 1"),
    ({"base_window": 2**40}, r"base_window must be an integer <= 2\*\*31 - 1"),
]


@pytest.mark.parametrize("kwargs, expected", SAMPLE_CASES, ids=[repr(k) for k, _ in SAMPLE_CASES])
def test_sample_bad_arguments(kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        ti.sample("standard_normal", dimension=2, progress=False, **{"draws": 10, "tune": 10, **kwargs})


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"max_iterations": 0}, "max_iterations must be an integer >= 1"),
        ({"max_iterations": -5}, "max_iterations must be an integer >= 1"),
        ({"max_iterations": 2.5}, "max_iterations must be an integer >= 1"),
        ({"laplace_draws": -1}, "laplace_draws must be an integer >= 0"),
        ({"laplace_draws": 2**40}, r"laplace_draws must be an integer <= 2\*\*31 - 1"),
        ({"max_iterations": 2**40}, r"max_iterations must be an integer <= 2\*\*31 - 1"),
        ({"seed": -1}, r"seed must be an integer in \[0, 2\*\*64\)"),
    ],
    ids=repr,
)
def test_map_bad_arguments(kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        ti.map("gamma", shape=2.0, rate=1.0, **kwargs)


@pytest.mark.parametrize("target", ["nope", None, 3, pd.DataFrame()], ids=repr)
def test_sample_bad_target(target):
    with pytest.raises(ValueError, match="target must be"):
        ti.sample(target, progress=False)


@pytest.mark.parametrize(
    "x", [[[1.0, math.nan, 2.0, 3.0]], [[math.inf] * 8], np.ones((2, 2, 2))], ids=["nan", "inf", "3d"]
)
@pytest.mark.parametrize("fn", ["rhat", "ess_bulk", "ess_tail", "mcse_mean"])
def test_diagnostics_bad_draws(fn, x):
    with pytest.raises(ValueError, match=r"x must (be finite|have shape)"):
        getattr(ti, fn)(x)


# -- experiments ---------------------------------------------------------------------------------
# These were pybind11 "incompatible function arguments", a Boost.Math OverflowError
# (level=1), a wrong message ("zero variance" for a negative variance) or NaN results.
import trustmix.experiments as te  # noqa: E402

VARIANCE = r"a finite number >= 0 \(the variance of the mean\)"
POSTERIOR = {"control_mean": 0.49, "control_variance": 0.0025, "arm_mean": 0.51, "arm_variance": 0.0025}


@pytest.mark.parametrize(
    "arg, value, expected",
    [
        ("control_mean", None, "a finite number"),
        ("control_mean", "0.5", "a finite number"),
        ("control_mean", math.nan, "a finite number"),
        ("arm_mean", math.inf, "a finite number"),
        ("arm_mean", [0.5], "a finite number"),
        ("control_variance", -1.0, VARIANCE),
        ("control_variance", math.inf, VARIANCE),
        ("arm_variance", "x", VARIANCE),
        ("level", 1.0, r"in \(0, 1\)"),
        ("level", 0.0, r"in \(0, 1\)"),
        ("level", 2.0, r"in \(0, 1\)"),
        ("level", None, r"in \(0, 1\)"),
        ("prior_mean", math.nan, "a finite number"),
        ("prior_variance", 0.0, "a finite number > 0"),
        ("prior_variance", None, "a finite number > 0"),
    ],
    ids=repr,
)
def test_effect_posterior_bad_arguments_are_named(arg, value, expected):
    with pytest.raises(ValueError, match=rf"effect_posterior: {arg} must be {expected}, got "):
        te.effect_posterior(**{**POSTERIOR, arg: value})


def test_effect_posterior_still_matches_its_anchor():
    # the docstring's anchor: 49/100 vs 51/100, v = p (1 - p) / n, relative lift
    r = te.effect_posterior(0.49, 0.49 * 0.51 / 100, 0.51, 0.51 * 0.49 / 100)
    assert r["mean"] == pytest.approx(0.04082, abs=5e-6)
    assert r["sd"] == pytest.approx(0.14725, abs=5e-6)
    assert r["chance_to_win"] == pytest.approx(0.60918, abs=5e-6)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"alpha": None}, r"alpha must be in \(0, 1\), got None"),
        ({"alpha": "0.05"}, r"alpha must be in \(0, 1\), got '0.05'"),
        ({"power": [0.8]}, r"power must be in \(0, 1\), got \[0.8\]"),
        ({"spending": None}, "spending must be 'obrien_fleming' or 'pocock', got None"),
        ({"looks": math.inf}, "looks must be an integer >= 1, got inf"),
        ({"looks": 2.5}, "looks must be an integer >= 1, got 2.5"),
        ({"looks": True}, "looks must be an integer >= 1, got True"),
    ],
    ids=repr,
)
def test_group_sequential_design_bad_arguments_are_named(kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        te.group_sequential_design(**kwargs)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"alpha": None}, r"alpha must be in \(0, 1\), got None"),
        ({"power": "high"}, r"power must be in \(0, 1\), got 'high'"),
    ],
    ids=repr,
)
def test_sample_size_bad_arguments_are_named(kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        te.sample_size(0.02, baseline=0.1, **kwargs)
