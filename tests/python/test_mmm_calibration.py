"""Calibration of TrustMMM by lift tests (trustmix::mmm calibration.hpp; docs/mmm.md).

1. The term in the log density is the Normal density of the measured lift around the
   model's predicted lift, and that prediction is mu(actual) - mu(counterfactual) over the
   measured periods, computed here from two forward passes (independent of the C++ term).
2. Inputs: LiftTest objects, dicts, a DataFrame, per-period lifts, iROAS; clear errors.
3. Summary, calibration table, pickling (and the old pickles still load).
4. The loop against the simulator's truth (benchmarks/validate_calibration.py, one world,
   short NUTS): run a geo holdout, estimate it with tm.evaluate, calibrate.
"""

from __future__ import annotations

import importlib.util
import math
import pickle
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix._core import mmm as _mmm
from trustmix.mmm import simulate_trust_data

ROLES = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}
ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"


def _model(lift_tests=None, trust_form="linear", **kw):
    data, _ = simulate_trust_data(104, seed=2)
    args = dict(
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_survey",
        shocks=["crisis"],
        trust_form=trust_form,
        **kw,
    )
    if lift_tests is not None:
        args["lift_tests"] = lift_tests
    return data, tm.TrustMMM(data, **args)


def _week(data, i):
    return data["week"].iloc[i]


def _tests(data):
    return [
        {
            "channel": "instagram",
            "start": _week(data, 30),
            "end": _week(data, 35),
            "lift": 900.0,
            "standard_error": 150.0,
        },
        {
            "channel": "press",
            "start": _week(data, 60),
            "end": _week(data, 63),
            "cooldown": 4,
            "lift": 400.0,
            "standard_error": 120.0,
            "transfer_sd": 50.0,
            "label": "press on/off",
        },
        {
            "channel": "tiktok",
            "start": 43,
            "end": 44,
            "cooldown": 1,
            "share": 0.5,
            "lift": [60.0, 50.0, 20.0],
            "standard_error": [30.0, 30.0, 30.0],
        },
    ]


def _forward_lift(model, z, channel, start, end_incl, cooldown, share):
    """mu(actual) - mu(counterfactual) summed over [start, end + cooldown], outcome units."""
    core = model._core
    j = model.channels.index(channel)
    media = np.array(model._media)
    media[start : end_incl + 1, j] *= 1.0 - share
    mu = np.asarray(core.forward(z).mu)
    mu_cf = np.asarray(core.forward(z, media, model._baseline, model._shocks).mu)
    return (mu - mu_cf)[start : end_incl + cooldown + 1] * model.y_scale


@pytest.mark.parametrize("trust_form", ["linear", "bounded"])
def test_term_is_the_normal_density_of_the_forward_lift(trust_form):
    data, bare = _model(trust_form=trust_form)
    _, cal = _model(_tests(data), trust_form=trust_form)
    rng = np.random.default_rng(4)
    z = np.asarray(bare._core.initial_point()) + rng.normal(0.0, 0.3, bare._core.dimension)
    diff = cal.log_density(z)[0] - bare.log_density(z)[0]
    want = 0.0
    values = []
    for (s, e, k, share, ch), obs, se, tau in [
        ((30, 35, 0, 1.0, "instagram"), [900.0], [150.0], [90.0]),
        ((60, 63, 4, 1.0, "press"), [400.0], [120.0], [50.0]),
        ((43, 44, 1, 0.5, "tiktok"), [60.0, 50.0, 20.0], [30.0] * 3, [6.0, 5.0, 2.0]),
    ]:
        pred = _forward_lift(cal, z, ch, s, e, k, share)
        pred = [pred.sum()] if len(obs) == 1 else list(pred)
        values += pred
        # model units: lift / y_scale, variance / y_scale^2 (the Jacobian is a constant); the
        # per-period values share one transfer error: covariance diag(se^2) + tau tau^T
        r = (np.asarray(obs) - np.asarray(pred)) / cal.y_scale
        t = np.asarray(tau) / cal.y_scale
        cov = np.diag((np.asarray(se) / cal.y_scale) ** 2) + np.outer(t, t)
        want += -0.5 * r @ np.linalg.solve(cov, r) - 0.5 * np.linalg.slogdet(2 * math.pi * cov)[1]
    assert diff == pytest.approx(want, rel=1e-9, abs=1e-9)
    got = np.asarray(_mmm.predicted_lifts(cal._core, z[None, :], cal.y_scale))[0]
    np.testing.assert_allclose(got, values, rtol=1e-10, atol=1e-9)


def _instagram_test(data: pd.DataFrame, cooldown: int) -> tuple[dict[str, Any], Any]:
    """One instagram lift test over weeks 30-35 (900 +- 150), as a dict and as an evaluate
    LiftTest with the given cooldown."""
    t = {
        "channel": "instagram",
        "start": _week(data, 30),
        "end": _week(data, 35),
        "lift": 900.0,
        "standard_error": 150.0,
    }
    lt = tm.evaluate.LiftTest(
        channel="instagram",
        units=["a"],
        start=_week(data, 30),
        end=_week(data, 35),
        cooldown=cooldown,
        lift=900.0,
        standard_error=150.0,
        relative_lift=0.1,
    )
    return t, lt


def test_inputs_liftest_objects_dicts_dataframe_and_iroas_agree():
    data, _ = _model()
    t, lt = _instagram_test(data, cooldown=0)
    iroas = {
        "channel": "instagram",
        "start": _week(data, 30),
        "end": _week(data, 35),
        "iroas": 0.09,
        "iroas_standard_error": 0.015,
        "spend": 10_000.0,
    }
    # a date inside a week maps to the week holding it
    mid = dict(
        t, start=_week(data, 30) + pd.Timedelta(days=3), end=str((_week(data, 35) + pd.Timedelta(days=6)).date())
    )
    z = None
    lps = []
    for tests in ([t], [lt], pd.DataFrame([t]), [iroas], [mid], t):
        _, m = _model(tests)
        z = np.asarray(m._core.initial_point()) if z is None else z
        lps.append(m.log_density(z)[0])
        assert m.lift_tests.loc[0, "channel"] == "instagram"
        assert m.lift_tests.loc[0, "start"] == _week(data, 30)
    np.testing.assert_allclose(lps, lps[0], rtol=1e-12)
    _, bare = _model()
    assert lps[0] != bare.log_density(z)[0]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"channel": "radio"}, "channel 'radio' is not a channel of the model"),
        ({"start": "2019-01-01"}, "is outside the data"),
        ({"end": "2040-01-01"}, "is outside the data"),
        ({"standard_error": 0.0}, "standard_error value 0 is 0"),
        ({"standard_error": -5.0}, "expected a finite number > 0"),
        ({"start": 40, "end": 38}, "is before start"),
        ({"cooldown": 500}, "run past the data's last period"),
        ({"cooldown": -1}, "cooldown must be an integer >= 0"),
        ({"share": 2.0}, "share must be a finite number <= 1"),
        ({"stderr": 3.0}, "unknown field(s) 'stderr'"),
        ({"lift": [1.0, 2.0]}, "lift needs 1 value (the total) or one per measured period (6)"),
        ({"transfer_fraction": -0.1}, "transfer_fraction must be a finite number >= 0"),
    ],
)
def test_bad_lift_tests_are_named(change, message):
    data, _ = _model()
    t = {
        "channel": "instagram",
        "start": _week(data, 30),
        "end": _week(data, 35),
        "lift": 900.0,
        "standard_error": 150.0,
    }
    t.update(change)
    if isinstance(t.get("lift"), list):
        t["standard_error"] = [1.0] * len(t["lift"])
    with pytest.raises(ValueError, match=None) as err:
        _model([t])
    assert message in str(err.value)
    assert "lift_tests[0]" in str(err.value) or "lift test 0" in str(err.value)
    with pytest.raises(ValueError, match="missing 'end'"):
        _model([{"channel": "instagram", "start": 3, "lift": 1.0, "standard_error": 1.0}])
    with pytest.raises(ValueError, match="needs its standard_error"):
        _model([{"channel": "instagram", "start": 3, "end": 5, "lift": 1.0}])


def test_calibration_moves_the_map_to_the_test_and_reports_it():
    """A precise test saying instagram's lift over weeks 30-35 is 2x the uncalibrated
    model's prediction: the calibrated MAP predicts within 15% of it (the test's standard
    error is 3% of the lift, the data's own evidence is much weaker over six weeks)."""
    data, bare = _model()
    f0 = bare.fit(seed=1, restarts=1)
    pred0 = _forward_lift(bare, f0.z, "instagram", 30, 35, 0, 1.0).sum()
    target = 2.0 * pred0
    t = {
        "channel": "instagram",
        "start": _week(data, 30),
        "end": _week(data, 35),
        "lift": target,
        "standard_error": 0.03 * target,
        "transfer_sd": 0.0,
    }
    _, cal = _model([t])
    f1 = cal.fit(seed=1, restarts=1)
    table = f1.calibration()
    assert list(table.columns) == [
        "test",
        "label",
        "channel",
        "periods",
        "observed",
        "standard_error",
        "transfer_sd",
        "predicted",
        "low",
        "high",
        "z",
    ]
    assert table.loc[0, "predicted"] == pytest.approx(target, rel=0.15)
    assert abs(table.loc[0, "predicted"] - target) < 0.3 * abs(pred0 - target)
    s = f1.summary()
    row = [i for i in s.index if i.startswith("lift [")]
    assert len(row) == 1 and s.loc[row[0], "value"] == pytest.approx(table.loc[0, "predicted"])
    assert "measured" in s.loc[row[0], "unit"]
    assert "lift tests" in cal._repr_html_()
    assert not any(i.startswith("lift [") for i in f0.summary().index)  # unchanged without tests


def test_pickles_keep_the_tests_and_old_pickles_load():
    _, m = _model(_tests(data=_model()[0]))
    again = pickle.loads(pickle.dumps(m, protocol=pickle.HIGHEST_PROTOCOL))
    z = np.asarray(m._core.initial_point())
    assert again.log_density(z)[0] == m.log_density(z)[0]
    assert again.lift_tests.drop(columns=["lift", "standard_error"]).equals(
        m.lift_tests.drop(columns=["lift", "standard_error"])
    )
    assert m.__getstate__()["version"] == 3  # lift tests (2) and the default AR(1) noise (3)
    _, bare = _model(noise="iid")
    assert bare.__getstate__()["version"] == 1 and "lift_tests" not in bare.__getstate__()["kwargs"]
    old = pickle.loads((DATA / "trust_fit_v1.pickle").read_bytes())
    assert old.model.lift_tests.empty


def _calibration_harness():
    if "validate_calibration" in sys.modules:
        return sys.modules["validate_calibration"]
    spec = importlib.util.spec_from_file_location(
        "validate_calibration", ROOT / "benchmarks" / "validate_calibration.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["validate_calibration"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_geo_holdout_calibrates_the_model_against_the_simulators_truth():
    """One world of benchmarks/validate_calibration.py with short NUTS (2 x (250 + 250)).

    Thresholds: (a) the holdout's measured lift is within 3 standard errors (plus the
    transfer sd) of its true lift, mapped the same way: the conformal interval is a 90%
    interval, so this fails by chance with probability well under 1%; (b) the calibrated
    90% interval of the tested channel's incremental conversions is narrower than the
    uncalibrated one: the test adds information on that channel and nothing else changes
    (same data, seed and sampler settings), so a wider interval would mean the term is not
    used; (c) the calibrated estimate's error is no larger than the uncalibrated one's plus
    a quarter of the uncalibrated interval's width, and the calibrated 90% interval covers
    the truth whenever the uncalibrated one does: on one world "covers at least as often"
    can only be checked this way (the 12-world run is in docs/validation.md)."""
    h = _calibration_harness()
    vw = h.harness()
    case = vw.all_cases(2, 2026, presets=False)[1]
    r = h.run_world(case, chains=2, draws=250, tune=250, max_draws=300)
    tau = 0.15 * abs(r["measured_lift"])
    assert abs(r["measured_lift"] - r["true_test_lift"]) <= 3 * math.hypot(r["measured_se"], tau)
    w_un, w_cal = r["uncal_high90"] - r["uncal_low90"], r["cal_high90"] - r["cal_low90"]
    assert w_cal < w_un
    assert abs(r["cal_mean"] - r["truth"]) <= abs(r["uncal_mean"] - r["truth"]) + 0.25 * w_un
    if r["uncal_low90"] <= r["truth"] <= r["uncal_high90"]:
        assert r["cal_low90"] <= r["truth"] <= r["cal_high90"]


def test_nuts_fit_reports_the_posterior_predicted_lift():
    """NUTS: calibration() summarises the predicted lift over the draws (mean and the
    equal-tailed interval of predicted_lifts over the same draws, recomputed here with
    numpy), and summary() carries it with NaN R-hat/ESS for those rows."""
    data, m = _model(_tests(_model()[0]))
    with warnings.catch_warnings():  # a short run: its diagnostics warnings are not the subject here
        warnings.simplefilter("ignore", tm.inference.InferenceWarning)
        fit = m.fit(method="nuts", chains=2, draws=60, tune=60, seed=3, progress=False)
    cal = fit.calibration(interval=0.8, max_draws=None)
    assert len(cal) == 1 + 1 + 3  # two totals, one per-period test over 3 measured weeks
    p = np.asarray(_mmm.predicted_lifts(m._core, fit._draw_matrix(None), m.y_scale))
    np.testing.assert_allclose(cal["predicted"], p.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(cal["low"], np.quantile(p, 0.1, axis=0), rtol=1e-12)
    np.testing.assert_allclose(cal["high"], np.quantile(p, 0.9, axis=0), rtol=1e-12)
    assert list(cal["periods"].iloc[2:]) == [str(_week(data, k).date()) for k in (43, 44, 45)]
    s = fit.summary(interval=0.8)
    rows = s[s.index.str.startswith("lift [")]
    assert len(rows) == 5 and rows["r_hat"].isna().all()
    np.testing.assert_allclose(rows["mean"], cal["predicted"])


def test_evaluate_lift_test_carries_its_measured_periods_and_dataframe_floats_are_periods():
    """A tm.evaluate LiftTest says over which periods its lift was summed (start ..
    measured_end): without a measured cooldown the window alone (its cooldown is a record,
    no warning), with one the window and the cooldown, and the model's prediction is the
    forward passes' difference summed over exactly those periods. A DataFrame whose
    integer columns became float through a missing cell still reads them as periods and
    cooldowns."""
    data, _ = _model()
    t, lt = _instagram_test(data, cooldown=3)
    _, m0 = _model([t])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the cooldown is no longer dropped with a warning
        _, m1 = _model([lt])
        lt_measured = tm.evaluate.LiftTest(**{**lt.to_dict(), "measured_end": _week(data, 38)})
        _, m2 = _model([lt_measured])
    z = np.asarray(m0._core.initial_point()) + np.random.default_rng(3).normal(0.0, 0.3, m0._core.dimension)
    assert m1.lift_tests.loc[0, "cooldown"] == 0
    assert m1.log_density(z)[0] == m0.log_density(z)[0]
    # measured through the cooldown: the term of end + cooldown, and the prediction is the
    # forward passes' difference summed over periods 30 .. 38
    assert m2.lift_tests.loc[0, "cooldown"] == 3
    _, m_dict = _model([dict(t, cooldown=3)])
    _, m_end = _model([dict(t, measured_end=_week(data, 38))])
    assert m2.log_density(z)[0] == m_dict.log_density(z)[0] == m_end.log_density(z)[0]
    assert m2.log_density(z)[0] != m0.log_density(z)[0]
    pred = float(np.asarray(_mmm.predicted_lifts(m2._core, z[None, :], m2.y_scale))[0, 0])
    want = float(_forward_lift(m2, z, "instagram", 30, 35, 3, 1.0).sum())
    assert abs(pred - want) <= 1e-12 * abs(want)
    assert abs(want - float(_forward_lift(m2, z, "instagram", 30, 35, 0, 1.0).sum())) > 1e-6 * abs(want)
    # the same from a pickled and reloaded LiftTest, and an older LiftTest without the field
    assert pickle.loads(pickle.dumps(lt_measured)).measured_end == _week(data, 38)
    old = pickle.loads(pickle.dumps(lt))
    del old.__dict__["measured_end"]
    assert old.measured_end is None
    with pytest.raises(ValueError, match="measured_end .* is before end"):
        _model([dict(t, measured_end=_week(data, 33))])
    # integer period indices and cooldowns in float columns (a missing cell elsewhere)
    frame = pd.DataFrame(
        [
            {"channel": "instagram", "start": 30, "end": 35, "cooldown": 3, "lift": 900.0, "standard_error": 150.0},
            {"channel": "tiktok", "start": 40, "end": 44, "lift": 300.0, "standard_error": 80.0},
        ]
    )
    assert frame["cooldown"].dtype == float
    _, m3 = _model(frame)
    _, m4 = _model(
        [
            {"channel": "instagram", "start": 30, "end": 35, "cooldown": 3, "lift": 900.0, "standard_error": 150.0},
            {"channel": "tiktok", "start": 40, "end": 44, "lift": 300.0, "standard_error": 80.0},
        ]
    )
    assert list(m3.lift_tests["cooldown"]) == [3, 0]
    assert m3.log_density(z)[0] == m4.log_density(z)[0]
    with pytest.raises(ValueError, match="cooldown must be an integer"):
        _model([dict(t, cooldown=2.5)])


def test_a_per_period_evaluate_lift_test_gives_one_term_per_measured_week():
    """A LiftTest with period_lift (as_lift_test(per_period=True)) enters with one term
    per measured week: the model's lift values are the periods', its log density equals
    that of the same per-period dict, each prediction is the forward passes' difference in
    its week, and the calibration table has a row per week. A period_lift without as many
    standard errors is refused."""
    data, _ = _model()
    lifts, ses = [300.0, 250.0, 200.0, 150.0, 100.0, 60.0, 30.0, 10.0, 5.0], [60.0] * 9
    lt = tm.evaluate.LiftTest(
        channel="instagram",
        units=["a"],
        start=_week(data, 30),
        end=_week(data, 35),
        cooldown=3,
        lift=float(sum(lifts)),
        standard_error=150.0,
        relative_lift=0.1,
        measured_end=_week(data, 38),
        period_lift=lifts,
        period_standard_error=ses,
    )
    _, m = _model([lt])
    _, m_dict = _model(
        [{"channel": "instagram", "start": 30, "end": 35, "cooldown": 3, "lift": lifts, "standard_error": ses}]
    )
    np.testing.assert_array_equal(m.lift_tests.loc[0, "lift"], lifts)
    z = np.asarray(m._core.initial_point()) + np.random.default_rng(5).normal(0.0, 0.3, m._core.dimension)
    assert m.log_density(z)[0] == m_dict.log_density(z)[0]
    pred = np.asarray(_mmm.predicted_lifts(m._core, z[None, :], m.y_scale))[0]
    want = _forward_lift(m, z, "instagram", 30, 35, 3, 1.0)
    np.testing.assert_allclose(pred, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
    fit = m.fit(method="map", seed=1, progress=False)
    assert len(fit.calibration()) == 9
    with pytest.raises(ValueError, match="period_lift needs period_standard_error with as many values"):
        _model([tm.evaluate.LiftTest(**{**lt.to_dict(), "period_standard_error": ses[:4]})])


@pytest.mark.parametrize("form", ["hill", "exposure"])
def test_lift_tests_on_reach_and_frequency_channels(form):
    """An RF channel's counterfactual scales its reach in the window (frequency kept): the
    prediction is the forward passes' difference with the reach column scaled, linear in
    share (h is linear in reach), and the term's gradient matches central differences."""
    rng = np.random.default_rng(0)
    T = 80
    week = pd.date_range("2022-01-03", periods=T, freq="7D")
    reach = np.where(np.arange(T) % 5 == 0, 0.0, rng.uniform(1e5, 5e5, T))
    freq = np.where(reach > 0, 1.0 + rng.uniform(0, 3, T), 0.0)
    search = rng.uniform(0, 2, T)
    y = 100 + 5 * search + 1e-4 * reach * freq / (freq + 2) + rng.normal(0, 2, T)
    df = pd.DataFrame(
        {
            "week": week,
            "y": y,
            "search": search,
            "tv_reach": reach,
            "tv_frequency": freq,
            "tv_spend": reach * freq * 0.01,
        }
    )
    args = {
        "date": "week",
        "outcome": "y",
        "channels": {"search": "conversion"},
        "trust": False,
        "rf_channels": {"tv": ("tv_reach", "tv_frequency")},
        "spend": {"tv": "tv_spend"},
        "max_lag": 6,
        "value_per_outcome": 1.0,
        "rf_form": form,
    }
    tests = [
        {"channel": "tv", "start": 21, "end": 25, "cooldown": 3, "share": 0.5, "lift": 200.0, "standard_error": 60.0},
        {"channel": "tv", "start": 41, "end": 44, "cooldown": 3, "share": 1.0, "lift": 300.0, "standard_error": 80.0},
    ]
    m = tm.TrustMMM(df, **args, lift_tests=tests)
    bare = tm.TrustMMM(df, **args)
    z = np.asarray(m._core.initial_point()) + np.random.default_rng(1).normal(0.0, 0.3, m._core.dimension)
    pred = np.asarray(_mmm.predicted_lifts(m._core, z[None, :], m.y_scale))[0]
    want = []
    for s, e, share in ((21, 25, 0.5), (41, 44, 1.0)):
        media = np.array(m._media)
        j = m.channels.index("tv")
        media[s : e + 1, j] *= 1.0 - share  # the reach column; the frequency is unchanged
        mu = np.asarray(m._core.forward(z).mu)
        mu_cf = np.asarray(m._core.forward(z, media, m._baseline, m._shocks).mu)
        want.append(float((mu - mu_cf)[s : e + 4].sum() * m.y_scale))
    np.testing.assert_allclose(pred, want, rtol=1e-12)
    # linear in share: the first test at share 1 predicts twice its share-0.5 lift
    m1 = tm.TrustMMM(df, **args, lift_tests=[dict(tests[0], share=1.0)])
    full = float(np.asarray(_mmm.predicted_lifts(m1._core, z[None, :], m1.y_scale))[0, 0])
    assert pred[0] == pytest.approx(0.5 * full, rel=1e-10)
    # the term is the Normal density of that prediction (tau = 0.1 |lift|)
    diff = m.log_density(z)[0] - bare.log_density(z)[0]
    dens = 0.0
    for p, t in zip(pred, tests, strict=True):
        v = (t["standard_error"] ** 2 + (0.1 * t["lift"]) ** 2) / m.y_scale**2
        dens += -0.5 * ((t["lift"] - p) / m.y_scale) ** 2 / v - 0.5 * math.log(2 * math.pi * v)
    assert diff == pytest.approx(dens, rel=1e-9, abs=1e-9)
    # gradient against central differences
    g = np.asarray(m.log_density(z)[1])
    h = 1e-5
    for i in range(len(z)):
        e_i = np.zeros(len(z))
        e_i[i] = h
        fd = (m.log_density(z + e_i)[0] - m.log_density(z - e_i)[0]) / (2 * h)
        assert g[i] == pytest.approx(fd, rel=1e-5, abs=1e-5), m._core.parameter_names[i]


def test_student_t_likelihood_and_threads():
    """dof: the term is the Student-t log density of the forward lift; predicted_lifts on
    1..4 threads is bit-identical."""
    data, bare = _model()
    t = {
        "channel": "press",
        "start": _week(data, 60),
        "end": _week(data, 63),
        "cooldown": 4,
        "lift": 400.0,
        "standard_error": 120.0,
        "transfer_sd": 50.0,
    }
    _, m = _model([dict(t, dof=4.0)])
    assert m.lift_test_records[0]["dof"] == 4.0 and m.lift_tests.loc[0, "dof"] == 4.0
    assert _model([t])[1].lift_tests.loc[0, "dof"] == math.inf  # the default: the Normal
    rng = np.random.default_rng(4)
    z = np.asarray(bare._core.initial_point()) + rng.normal(0.0, 0.3, bare._core.dimension)
    p = float(_forward_lift(m, z, "press", 60, 63, 4, 1.0).sum())
    nu, v, r = 4.0, (120.0**2 + 50.0**2) / m.y_scale**2, (400.0 - p) / m.y_scale
    want = (
        math.lgamma((nu + 1) / 2)
        - math.lgamma(nu / 2)
        - 0.5 * math.log(nu * math.pi * v)
        - (nu + 1) / 2 * math.log1p(r * r / (nu * v))
    )
    assert m.log_density(z)[0] - bare.log_density(z)[0] == pytest.approx(want, rel=1e-9, abs=1e-9)
    with pytest.raises(ValueError, match="dof"):
        _model([dict(t, dof=0.0)])
    draws = np.asarray(bare._core.initial_point())[None, :] + rng.normal(0.0, 0.3, (23, bare._core.dimension))
    _, m3 = _model(_tests(data))
    one = np.asarray(_mmm.predicted_lifts(m3._core, draws, m3.y_scale, threads=1))
    for k in (2, 3, 4):
        assert np.array_equal(one, np.asarray(_mmm.predicted_lifts(m3._core, draws, m3.y_scale, threads=k)))
