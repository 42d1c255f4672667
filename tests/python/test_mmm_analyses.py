"""The trust-linked model's analyses in C++ over posterior draws (trustmix::mmm analyses),
against their MODEL.md definitions written as plain loops of forward passes on a few
draws; thread safety of fit(); pickling; the ROI without a value per outcome."""

import copy
import pickle
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix._core import mmm as _mmm
from trustmix.mmm import simulate_trust_data

ROLES = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}
DATA = Path(__file__).parent / "data"


def _model(periods: int = 104, seed: int = 2, **kwargs):
    data, _ = simulate_trust_data(periods, seed=seed)
    args = dict(date="week", outcome="conversions", channels=ROLES, tracker="trust_survey", shocks=["crisis"])
    args.update(kwargs)
    return data, tm.TrustMMM(data, **args)


@pytest.fixture(scope="module")
def fitted():
    data, model = _model(value_per_outcome=4.0)
    fit = model.fit(seed=1, restarts=1)
    rng = np.random.default_rng(0)
    draws = fit.z + rng.normal(0.0, 0.05, (3, fit.z.size))  # a few draws near the mode
    return data, model, fit, np.ascontiguousarray(draws)


def _extended(model, horizon):
    return model._extended(horizon)


def test_roi_matches_the_definition_as_a_loop(fitted):
    data, model, _, draws = fitted
    core, ys, T, L = model._core, model.y_scale, len(model.dates), model.max_lag
    lo, hi, horizon, vpo = 20, 35, 52, 4.0
    spend = np.array([data[c].iloc[lo : hi + 1].sum() for c in model.channels])
    r = _mmm.roi(
        core,
        draws,
        horizon=horizon,
        window_begin=lo,
        window_end=hi,
        spend=spend,
        value_per_outcome=vpo,
        outcome_scale=ys,
    )
    media, base, shocks = _extended(model, horizon)
    for d, z in enumerate(draws):
        p = core.constrain(z)
        full = core.forward(z, media, base, shocks)
        for j in range(len(model.channels)):
            cf_media, up_media = media.copy(), media.copy()
            cf_media[lo : hi + 1, j] = 0.0
            up_media[lo : hi + 1, j] *= 1.01
            cf = core.forward(z, cf_media, base, shocks)
            up = core.forward(z, up_media, base, shocks)
            diff = (full.mu - cf.mu) * ys
            short, long = diff[: hi + 1 + L].sum(), diff[hi + 1 + L :].sum()
            gain = (up.mu - full.mu).sum() * ys
            expected = {
                "incremental_short": short,
                "incremental_long": long,
                "incremental_total": short + long,
                "via_trust_direct": p.gamma * (full.trust_stock - cf.trust_stock).sum() * ys,
                "via_amplification": (full.amplification.sum() - cf.amplification.sum()) * ys,
                "own": (full.conversion_own.sum() - cf.conversion_own.sum()) * ys,
                "roi_short": (short * vpo - spend[j]) / spend[j],
                "roi_total": ((short + long) * vpo - spend[j]) / spend[j],
                "marginal_roi": (gain * vpo - 0.01 * spend[j]) / (0.01 * spend[j]),
                "cost_per_incremental": spend[j] / (short + long),
            }
            for k, v in expected.items():
                assert getattr(r, k)[d, j] == pytest.approx(v, rel=1e-8, abs=1e-9 * ys), (k, model.channels[j])
    assert T == len(data)


def test_response_curves_and_decomposition_match_their_definitions(fitted):
    _, model, _, draws = fitted
    core, ys = model._core, model.y_scale
    ks = np.array([0.0, 0.5, 1.0, 1.5])
    curves = _mmm.response_curves(core, draws, [0, 3], ks, horizon=30, outcome_scale=ys)
    media, base, shocks = _extended(model, 30)
    T = len(model.dates)
    for q, j in enumerate([0, 3]):
        for d, z in enumerate(draws):
            zero = media.copy()
            zero[:T, j] = 0.0
            mu0 = core.forward(z, zero, base, shocks).mu.sum()
            for i, k in enumerate(ks):
                scaled = media.copy()
                scaled[:T, j] *= k
                expected = (core.forward(z, scaled, base, shocks).mu.sum() - mu0) * ys
                assert curves[q][d, i] == pytest.approx(expected, rel=1e-9, abs=1e-9 * ys)
    dec = _mmm.decompose(core, draws, ys)
    amp = np.zeros(T)
    direct_press = np.zeros(T)
    for z in draws:
        f = core.forward(z)
        share = f.trust_by_channel[:, 0] / f.trust_stock
        amp += f.amplification.sum(axis=1) * share * ys / len(draws)
        direct_press += f.trust_direct * share * ys / len(draws)
    np.testing.assert_allclose(dec.amplification[:, 0], amp, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dec.trust_direct[:, 0], direct_press, rtol=1e-10, atol=1e-12)


def _summary_value(p, k, i, ys):
    """Summary value ``k`` (element ``i``) from the constrained parameters ``p`` by its definition."""
    return {
        "alpha": lambda: p.alpha[i],
        "adstock_half_life": lambda: np.log(0.5) / np.log(p.alpha[i]),
        "lam": lambda: p.lam[i],
        "beta": lambda: p.beta[i] * ys,
        "delta": lambda: p.delta,
        "trust_half_life": lambda: np.log(0.5) / np.log(p.delta),
        "kappa": lambda: p.kappa[i],
        "gamma": lambda: p.gamma * ys,
        "theta": lambda: p.theta,
        "omega": lambda: p.omega[i],
        "b": lambda: p.b[i] * ys,
        "sigma": lambda: p.sigma * ys,
        "ar1_phi": lambda: p.ar1_phi,
    }[k]()


def test_summary_values_saturation_points_and_predictive_match_their_definitions(fitted):
    _, model, fit, draws = fitted
    core, ys = model._core, model.y_scale
    sv = _mmm.summary_values(core, draws, ys)
    keys, index, values = list(sv.keys), list(sv.index), np.asarray(sv.values)
    for d, z in enumerate(draws):
        p = core.constrain(z)
        for q, (k, i) in enumerate(zip(keys, index, strict=True)):
            assert values[d, q] == pytest.approx(_summary_value(p, k, i, ys), rel=1e-12), k
    sp = _mmm.saturation_points(core, draws, np.asarray(model.media_scale))
    active = model._media > 0
    for d, z in enumerate(draws):
        lam = core.constrain(z).lam
        a = core.forward(z).adstock
        for j in range(len(model.channels)):
            mean_a = a[active[:, j], j].mean()
            assert sp.mean_adstock[d, j] == pytest.approx(mean_a * model.media_scale[j], rel=1e-12)
            assert sp.saturation_at_mean[d, j] == pytest.approx(np.tanh(lam[j] * mean_a / 2), rel=1e-12)
    mu = np.asarray(_mmm.mean_draws(core, draws, ys))
    for d, z in enumerate(draws):
        np.testing.assert_allclose(mu[d], core.forward(z).mu * ys, rtol=1e-14)
    # 2,000 replicates at the mode: mean mu and sd sigma per period (normal likelihood)
    rep = fit.sample_posterior_predictive(max_draws=2000, seed=3)
    # the default AR(1) residuals: each period's marginal sd is sigma / sqrt(1 - phi^2)
    phi = fit.params["ar1_phi"]
    mu0, sigma = fit.predict().to_numpy(), fit.params["sigma"] * ys / np.sqrt(1 - phi**2)
    z_mean = (rep.mean(axis=1).to_numpy() - mu0) / (sigma / np.sqrt(2000))
    assert np.abs(z_mean).max() < 4.5
    assert rep.std(axis=1).mean() == pytest.approx(sigma, rel=0.03)
    pd.testing.assert_frame_equal(rep, fit.sample_posterior_predictive(max_draws=2000, seed=3))


def test_trustfit_methods_are_shaped_from_the_cpp_results(fitted):
    data, model, fit, _ = fitted
    r = fit.roi(horizon=52, value_per_outcome=4.0)
    assert list(r.columns) == [
        "role",
        "spend",
        "incremental_short",
        "incremental_long",
        "incremental_total",
        "via_trust_direct",
        "via_amplification",
        "own",
        "roi_short",
        "roi_total",
        "marginal_roi",
        "cost_per_incremental",
    ]
    np.testing.assert_allclose(
        r["via_trust_direct"] + r["via_amplification"] + r["own"], r["incremental_total"], rtol=1e-9
    )
    np.testing.assert_allclose(r["roi_total"], (r["incremental_total"] * 4.0 - r["spend"]) / r["spend"], rtol=1e-12)
    d = fit.decompose()
    np.testing.assert_allclose(d.sum(axis=1), fit.predict(), rtol=1e-10)
    s = fit.summary()
    assert s.loc["trust half-life", "value"] == pytest.approx(tm.transforms.half_life(fit.params["delta"]))
    assert s.loc["gamma (trust -> demand)", "value"] == pytest.approx(fit.params["gamma"] * model.y_scale)


def test_roi_without_a_value_reports_cost_per_incremental_and_notes_it_once(caplog):
    data, model = _model(periods=80, seed=5)
    fit = model.fit(seed=0, restarts=1)
    with caplog.at_level("WARNING", logger="trustmix.mmm"):
        r = fit.roi(horizon=26)
    assert [rec.name for rec in caplog.records] == ["trustmix.mmm"]
    assert "no value_per_outcome given" in caplog.records[0].getMessage()
    assert r["roi_total"].isna().all() and r["roi_short"].isna().all() and r["marginal_roi"].isna().all()
    pos = r["incremental_total"] > 0
    np.testing.assert_allclose(
        r.loc[pos, "cost_per_incremental"], r.loc[pos, "spend"] / r.loc[pos, "incremental_total"]
    )
    import warnings

    caplog.clear()
    with warnings.catch_warnings(), caplog.at_level("WARNING", logger="trustmix.mmm"):
        warnings.simplefilter("error")  # a note, never a warning
        again = fit.roi(horizon=26)  # the note is shown once per model
        assert again["roi_total"].isna().all()
        valued = fit.roi(horizon=26, value_per_outcome=2.0)
    assert not caplog.records
    np.testing.assert_allclose(valued["roi_total"], (r["incremental_total"] * 2 - r["spend"]) / r["spend"])
    with pytest.raises(ValueError, match="plot_roi needs the value"):
        fit.plot_roi()
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="value_per_outcome must be a finite number > 0"):
            fit.roi(value_per_outcome=bad)
    with pytest.raises(ValueError, match="a ROI needs the value of one unit of outcome"):
        _model(periods=80, seed=5, priors={"roi": {"instagram": (0.5, 2.0)}})


def test_four_threads_fitting_one_model_agree_with_a_serial_fit():
    _, model = _model(periods=80, seed=7)
    serial = model.fit(seed=3, restarts=1)
    results: list = [None] * 4
    errors: list = []

    def work(i: int) -> None:
        try:
            results[i] = model.fit(seed=3, restarts=1)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for f in results:
        np.testing.assert_array_equal(f.z, serial.z)
        assert f.info["log_density"] == serial.info["log_density"]
        assert model.log_density(f.z)[0] == f.info["log_density"]


def _check_round_trips(obj, check):
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        check(pickle.loads(pickle.dumps(obj, protocol=protocol)))
    check(copy.copy(obj))
    check(copy.deepcopy(obj))


def test_model_and_fits_pickle_with_a_versioned_state(fitted):
    _, model, fit, _ = fitted

    def same_model(m):
        assert repr(m) == repr(model)
        assert m.parameter_names == model.parameter_names
        np.testing.assert_array_equal(m.log_density(fit.z)[1], model.log_density(fit.z)[1])

    def same_fit(f):
        pd.testing.assert_frame_equal(f.summary(), fit.summary())
        pd.testing.assert_frame_equal(f.roi(horizon=20), fit.roi(horizon=20))

    _check_round_trips(model, same_model)
    _check_round_trips(fit, same_fit)
    assert model.__getstate__()["version"] == 3  # the default AR(1) noise: a version-3 kwarg
    assert model.__getstate__()["kwargs"]["noise"] == "ar1"
    with pytest.raises(ValueError, match="unsupported state version"):
        tm.TrustMMM.__new__(tm.TrustMMM).__setstate__({"version": 99})


def test_nuts_fit_pickles_with_its_posterior():
    _, model = _model(periods=60, seed=4, value_per_outcome=2.0)
    with pytest.warns(tm.inference.InferenceWarning):  # 2 x 40 draws: too few for the diagnostics, and it says so
        fit = model.fit(method="nuts", chains=2, draws=40, tune=60, seed=2, progress=False)
    again = pickle.loads(pickle.dumps(fit, protocol=pickle.HIGHEST_PROTOCOL))
    np.testing.assert_array_equal(again.posterior.draws, fit.posterior.draws)
    assert repr(again.posterior) == repr(fit.posterior)
    assert again.posterior.divergences == fit.posterior.divergences
    pd.testing.assert_frame_equal(again.roi(horizon=10, max_draws=20), fit.roi(horizon=10, max_draws=20))
    pd.testing.assert_frame_equal(copy.deepcopy(fit).summary(), fit.summary())


def test_old_pickle_fixture_still_loads():
    """tests/python/data/trust_fit_v1.pickle: a MAP TrustFit pickled with state version 1
    (data from simulate_trust_data(60, seed=9), see make_trust_fit_fixture below)."""
    old = pickle.loads((DATA / "trust_fit_v1.pickle").read_bytes())
    data, _ = simulate_trust_data(60, seed=9)
    # the fixture predates AR(1) residuals (state without "noise"): it loads as iid
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_survey",
        shocks=["crisis"],
        value_per_outcome=3.0,
        noise="iid",
    )
    # the state rebuilt the same model (data, settings, priors) and kept the mode
    assert repr(old.model) == repr(model) and old.model.parameter_names == model.parameter_names
    np.testing.assert_allclose(old.model.log_density(old.z)[1], model.log_density(old.z)[1], rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(old.summary(), tm.mmm.TrustFit(model, old.z, old.info).summary(), rtol=1e-12)
    assert old.model.value_per_outcome == 3.0 and old.method == "map" and np.isfinite(old.info["log_density"])
    # the log density stored when the fixture was made: a changed model (scaling, design,
    # priors) would move it, whichever side computes it today
    assert old.model.log_density(old.z)[0] == pytest.approx(old.info["log_density"], rel=1e-12)


def make_trust_fit_fixture():
    data, _ = simulate_trust_data(60, seed=9)
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_survey",
        shocks=["crisis"],
        value_per_outcome=3.0,
    )
    return model.fit(seed=0, restarts=1)


def test_model_repr_and_html(fitted):
    _, model, _, _ = fitted
    assert repr(model).startswith("TrustMMM(outcome='conversions', periods=104, channels={'press': 'trust'")
    h = model._repr_html_()
    assert "<table" in h and "instagram" in h and "trust_survey" in h


@pytest.mark.parametrize(
    "change, kwargs, message",
    [
        (
            lambda d: d.assign(press_spend=np.where(d.index == 4, -5.0, 1.0)),
            {"spend": {"press": "press_spend"}},
            r"spend column 'press_spend' \(channel 'press'\): row 4",
        ),
        (
            lambda d: d.assign(trust_survey=d["trust_survey"].where(d.index != 8, np.inf)),
            {},
            "tracker 'trust_survey': row 8 .* use NaN for a period without a measurement",
        ),
        (lambda d: d, {"max_lag": 60}, "max_lag must be between 0 and the number of periods - 1"),
        (lambda d: d, {"max_lag": -1}, "max_lag must be between 0"),
    ],
)
def test_bad_spend_tracker_and_lag_are_named(change, kwargs, message):
    data, _ = simulate_trust_data(60, seed=1)
    args = dict(date="week", outcome="conversions", channels=ROLES, tracker="trust_survey", shocks=["crisis"])
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        tm.TrustMMM(change(data), **args)


@pytest.mark.parametrize("kwargs", [{"draws": 0}, {"chains": 0}, {"tune": -1}, {"draws": 2.5}])
def test_nuts_settings_are_checked_up_front(kwargs):
    _, model = _model(periods=60, seed=1)
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=f"{name} must be an integer"):
        model.fit(method="nuts", progress=False, **kwargs)


def test_the_trust_target_is_registered_by_the_model_binding(fitted):
    from trustmix._core import inference as _ci

    _, model, fit, _ = fitted
    assert _ci.TrustTarget is _mmm.TrustTarget
    lp, g = _mmm.TrustTarget(model._core).log_density_gradient(fit.z)
    assert lp == model.log_density(fit.z)[0]
    np.testing.assert_array_equal(g, model.log_density(fit.z)[1])


def test_map_that_did_not_converge_warns_and_bad_iteration_counts_are_refused():
    """Issue 14: fit(max_iterations=1) returned a point that is not a mode with no word."""
    _, model = _model(periods=60, seed=4, value_per_outcome=2.0)
    with pytest.warns(tm.inference.InferenceWarning, match="MAP did not converge after 1 iterations"):
        fit = model.fit(method="map", max_iterations=1, restarts=1)
    assert not fit.info["converged"]
    converged = model.fit(method="map")  # warnings are errors in this suite: the default fit is silent
    assert converged.info["converged"] and converged.info["log_density"] > fit.info["log_density"]
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="max_iterations must be an integer >= 1"):
            model.fit(method="map", max_iterations=bad)
    with pytest.raises(ValueError, match="restarts must be an integer >= 1"):
        model.fit(method="map", restarts=0)


def test_a_pickled_model_does_not_follow_later_edits_of_the_callers_frame():
    """Review finding: the state held the caller's DataFrame, so an in-place edit after
    construction was pickled and unpickling built a different model."""
    data, _ = simulate_trust_data(60, seed=4)
    priors = {"roi": {"instagram": (0.5, 3.0)}}
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_survey",
        shocks=["crisis"],
        value_per_outcome=2.0,
        priors=priors,
    )
    z = np.asarray(model._core.initial_point())
    before = model.log_density(z)[0]
    data.loc[10:30, "press"] = 0.0  # the caller edits its own frame and priors afterwards
    priors["roi"]["instagram"] = (5.0, 9.0)
    again = pickle.loads(pickle.dumps(model))
    assert again.log_density(z)[0] == before


def test_roi_refuses_a_horizon_that_cannot_fit_in_memory_and_a_window_end_below_minus_one():
    _, model = _model(periods=60, seed=4, value_per_outcome=2.0)
    fit = model.fit(method="map")
    with pytest.raises(ValueError, match="horizon"):
        fit.roi(horizon=2_000_000_000)
    spend = np.ones(len(model.channels))
    with pytest.raises(ValueError, match="window must satisfy"):
        _mmm.roi(model._core, fit.z[None, :], horizon=10, window_begin=0, window_end=-7, spend=spend)


def test_model_inputs_of_issue_14_get_clear_errors():
    """Issue 14's inputs to TrustMMM: each error names what was wrong."""
    data, _ = simulate_trust_data(60, seed=3)
    args = dict(date="week", outcome="conversions", tracker="trust_survey", shocks=["crisis"])
    with pytest.raises(ValueError, match="the data has 0 periods"):
        tm.TrustMMM(data.iloc[:0], channels=ROLES, **args)
    with pytest.raises(ValueError, match="the data has 1 periods"):
        tm.TrustMMM(data.iloc[:1], channels=ROLES, **args)
    with pytest.raises(ValueError, match="channel 'press' is given twice"):
        tm.TrustMMM(data, channels=[tm.Channel("press", role="trust"), tm.Channel("press", role="conversion")], **args)
    with pytest.raises(ValueError, match=r"priors\['gamma_sd'\] must be a number, got 'big'"):
        tm.TrustMMM(data, channels=ROLES, priors={"gamma_sd": "big"}, **args)
    huge = data.assign(conversions=data["conversions"] * 1e305)
    with pytest.raises(ValueError, match="overflow a double when summed"):
        tm.TrustMMM(huge, channels=ROLES, **args)
    # large but representable outcomes still fit, with finite summaries
    big = data.assign(conversions=data["conversions"] * 1e250)
    assert np.isfinite(tm.TrustMMM(big, channels=ROLES, **args).fit().summary()["value"]).all()


@pytest.fixture(scope="module")
def nuts_fit():
    """A small NUTS fit (4 chains x 51 draws: an odd chain length)."""
    _, model = _model(periods=60, seed=4, value_per_outcome=2.0)
    with pytest.warns(tm.inference.InferenceWarning):  # too few draws for the diagnostics, and it says so
        fit = model.fit(method="nuts", chains=4, draws=51, tune=60, seed=3, progress=False)
    return model, fit


def test_summary_table_is_numpys_quantiles_and_inference_diagnostics_on_the_same_draws(nuts_fit):
    model, fit = nuts_fit
    chains, n, d = fit.posterior.draws.shape
    flat = np.ascontiguousarray(fit.posterior.draws.reshape(-1, d))
    values = np.asarray(_mmm.summary_values(model._core, flat, model.y_scale).values)
    s = fit.summary(interval=0.8)
    lo, hi = (1 - 0.8) / 2, 1 - (1 - 0.8) / 2  # as summary() and summary_table take them
    for q, name in enumerate(s.index):
        x = values[:, q]
        assert s["low"].iloc[q] == np.quantile(x, lo), name  # numpy's quantile to the bit, not just close
        assert s["high"].iloc[q] == np.quantile(x, hi), name
        assert s["mean"].iloc[q] == pytest.approx(x.mean(), rel=1e-14)
        assert s["sd"].iloc[q] == pytest.approx(x.std(ddof=1), rel=1e-12)
        by_chain = x.reshape(chains, n)
        if np.ptp(x) > 0:
            assert s["r_hat"].iloc[q] == tm.inference.rhat(by_chain), name
            assert s["ess_bulk"].iloc[q] == tm.inference.ess_bulk(by_chain), name
        else:
            assert np.isnan(s["r_hat"].iloc[q])
    # the same bits on one thread and on two
    one = _mmm.summary_table(model._core, flat, chains, model.y_scale, 0.8, threads=1)
    two = _mmm.summary_table(model._core, flat, chains, model.y_scale, 0.8, threads=2)
    for k in ("mean", "sd", "low", "high", "r_hat", "ess_bulk"):
        np.testing.assert_array_equal(np.asarray(getattr(one, k)), np.asarray(getattr(two, k)))
    np.testing.assert_array_equal(
        np.asarray(_mmm.constrained_draws(model._core, flat, threads=1)),
        np.asarray(_mmm.constrained_draws(model._core, flat, threads=2)),
    )
    # constrained draws are the model's constrain(), to the bit
    cons = np.asarray(_mmm.constrained_draws(model._core, flat[:5]))
    for i in range(5):
        p = model._core.constrain(flat[i])
        assert cons[i, : len(model.channels)].tolist() == list(p.alpha)


def test_roi_and_response_curve_tables_summarise_the_per_draw_arrays(nuts_fit):
    model, fit = nuts_fit
    zs = fit._draw_matrix(40)
    lo, hi = 0, len(model.dates) - 1
    spend = np.array([model.data[model.spend_columns[c]].to_numpy(dtype=float).sum() for c in model.channels])
    r = _mmm.roi(
        model._core,
        zs,
        horizon=20,
        window_begin=lo,
        window_end=hi,
        spend=spend,
        value_per_outcome=2.0,
        outcome_scale=model.y_scale,
    )
    table = fit.roi(horizon=20, value_per_outcome=2.0, max_draws=40, interval=0.8)
    for k in ("incremental_total", "roi_short", "marginal_roi", "cost_per_incremental", "own"):
        # means added in draw order (numpy adds pairwise: the same to rounding)
        np.testing.assert_allclose(table[k].to_numpy(), np.asarray(getattr(r, k)).mean(axis=0), rtol=1e-14, atol=0)
    lo_q, hi_q = (1 - 0.8) / 2, 1 - (1 - 0.8) / 2
    for k in ("incremental_short", "roi_total", "marginal_roi"):
        np.testing.assert_array_equal(
            table[f"{k}_low"].to_numpy(), np.nanquantile(np.asarray(getattr(r, k)), lo_q, axis=0)
        )
        np.testing.assert_array_equal(
            table[f"{k}_high"].to_numpy(), np.nanquantile(np.asarray(getattr(r, k)), hi_q, axis=0)
        )
    ks = np.round(np.linspace(0.0, 2.0, 21), 10)
    curves = _mmm.response_curves(
        model._core, fit._draw_matrix(30), list(range(len(model.channels))), ks, horizon=20, outcome_scale=model.y_scale
    )
    rc = fit.response_curves(horizon=20, max_draws=30, interval=0.8, value_per_outcome=2.0)
    for j, c in enumerate(model.channels):
        g = rc[rc["channel"] == c]
        inc = np.asarray(curves[j])
        np.testing.assert_allclose(g["incremental"].to_numpy(), inc.mean(axis=0), rtol=1e-14, atol=1e-300)
        np.testing.assert_array_equal(g["incremental_low"].to_numpy(), np.quantile(inc, lo_q, axis=0))
        np.testing.assert_array_equal(g["incremental_high"].to_numpy(), np.quantile(inc, hi_q, axis=0))
