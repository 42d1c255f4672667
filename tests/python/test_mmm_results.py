"""The national model's bound result classes (bindings/mmm.cpp, helpers::bind_result): each
is read by attribute name against the numbers the Python API already gives, and survives a
pickle round trip with every attribute equal."""

import pickle

import numpy as np
import pytest

import trustmix as tm
from trustmix._core import mmm as _mmm
from trustmix.mmm import simulate_trust_data

ROLES = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}


@pytest.fixture(scope="module")
def fitted():
    data, _ = simulate_trust_data(80, seed=4)
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_survey",
        shocks=["crisis"],
        value_per_outcome=4.0,
    )
    fit = model.fit(seed=1, restarts=1)
    return data, model, fit


def _attributes(obj: object) -> list[str]:
    return [k for k in dir(type(obj)) if isinstance(getattr(type(obj), k), property)]


def _same_after_pickle(obj: object) -> None:
    """obj pickles to an equal object (every attribute equal, arrays to the bit and shape)."""
    back = pickle.loads(pickle.dumps(obj))
    assert type(back) is type(obj)
    names = _attributes(obj)
    assert names
    for k in names:
        a, b = getattr(obj, k), getattr(back, k)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape, k
            np.testing.assert_array_equal(a, b, err_msg=k)
        elif isinstance(a, list) and a and isinstance(a[0], np.ndarray):
            assert len(a) == len(b), k
            for x, y in zip(a, b, strict=True):
                np.testing.assert_array_equal(x, y, err_msg=k)
        else:
            assert a == b or (isinstance(a, float) and np.isnan(a) and np.isnan(b)), k
    assert repr(back) == repr(obj) and repr(obj).startswith(type(obj).__name__ + "(")


def test_parameters_forward_and_map_report(fitted):
    _, model, fit = fitted
    p = model._core.constrain(fit.z)
    assert isinstance(p, _mmm.TrustModelParameters)
    params = fit.params  # the public dict, built from the class
    assert list(params) == [
        "alpha",
        "lam",
        "kappa",
        "omega",
        "beta",
        "b",
        "delta",
        "g0",
        "gamma",
        "theta",
        "sigma",
        "tracker_a",
        "tracker_b",
        "tracker_sigma",
        "trust_base",
        "trust_inflow",
        "slope",
        "ar1_phi",
    ]
    np.testing.assert_array_equal(p.alpha, params["alpha"])
    np.testing.assert_array_equal(p.kappa, params["kappa"])
    assert p.delta == params["delta"] and 0.0 < p.delta < 1.0
    assert p.ar1_phi == params["ar1_phi"] and p.trust_inflow == 0.0  # linear trust form
    _same_after_pickle(p)

    f = model._core.forward(fit.z)
    assert isinstance(f, _mmm.TrustModelForward)
    ts = fit.trust_stock()
    np.testing.assert_array_equal(f.trust_stock, ts["trust_stock"].to_numpy())
    np.testing.assert_array_equal(f.trust_by_channel, ts[model.trust_channels].to_numpy())
    assert f.conversion_own.shape == (len(model.dates), len(model.conversion_channels))
    np.testing.assert_array_equal(f.eta, f.mu)  # identity link
    parts = f.base + f.trust_direct + f.conversion_own.sum(axis=1) + f.amplification.sum(axis=1)
    np.testing.assert_allclose(parts, f.mu, rtol=1e-12)
    _same_after_pickle(f)

    r = model._core.fit_map(np.asarray(model._core.initial_point()), 3000)
    assert isinstance(r, _mmm.MapReport)
    assert r.log_density == model.log_density(r.z)[0]
    assert r.log_density == pytest.approx(fit.info["log_density"], abs=1e-6)
    assert isinstance(r.iterations, int) and r.iterations > 0 and r.evaluations >= r.iterations
    assert isinstance(r.converged, bool) and isinstance(r.message, str) and r.gradient_norm >= 0.0
    assert list(fit.info)[:8] == [
        "z",
        "log_density",
        "gradient_norm",
        "iterations",
        "evaluations",
        "restarts",
        "converged",
        "message",
    ]
    _same_after_pickle(r)


def test_built_scales(monkeypatch):
    seen = []
    build = _mmm.build

    def spy(*args, **kwargs):
        out = build(*args, **kwargs)
        seen.append(out[1])
        return out

    monkeypatch.setattr(_mmm, "build", spy)
    data, _ = simulate_trust_data(60, seed=4)
    model = tm.TrustMMM(
        data, date="week", outcome="conversions", channels=ROLES, tracker="trust_survey", shocks=["crisis"]
    )
    (b,) = seen
    assert isinstance(b, _mmm.BuiltScales)
    np.testing.assert_array_equal(b.media_scale, model.media_scale)
    assert b.y_scale == model.y_scale
    np.testing.assert_array_equal(b.baseline, model._baseline)
    np.testing.assert_array_equal(b.media, model._media)
    assert b.baseline_names == model.baseline_names and b.trust_channels == ["press", "events"]
    assert b.conversion_channels == ["instagram", "tiktok"]
    assert (b.tracker_mean, b.tracker_sd) == model._tracker_stats
    np.testing.assert_allclose(b.y * b.y_scale, data["conversions"].to_numpy(), rtol=1e-12)
    _same_after_pickle(b)


def test_roi_decomposition_and_summaries(fitted):
    data, model, fit = fitted
    core, ys, z = model._core, model.y_scale, fit._draw_matrix(None)
    table = fit.roi(horizon=10)
    r = _mmm.roi(core, z, horizon=10, spend=table["spend"].to_numpy(), value_per_outcome=4.0, outcome_scale=ys)
    assert isinstance(r, _mmm.RoiDraws)
    for k in ("incremental_total", "via_trust_direct", "roi_total", "marginal_roi", "cost_per_incremental"):
        np.testing.assert_array_equal(getattr(r, k)[0], table[k].to_numpy(), err_msg=k)
    _same_after_pickle(r)

    dec = _mmm.decompose(core, z, ys)
    assert isinstance(dec, _mmm.Decomposition)
    frame = fit.decompose()
    np.testing.assert_array_equal(dec.base, frame["base"].to_numpy())
    np.testing.assert_array_equal(dec.own[:, 0], frame["instagram (own)"].to_numpy())
    np.testing.assert_array_equal(dec.trust_direct[:, 0], frame["trust direct [press]"].to_numpy())
    _same_after_pickle(dec)

    sv = _mmm.summary_values(core, z, ys)
    assert isinstance(sv, _mmm.SummaryValues)
    np.testing.assert_array_equal(sv.values[0], fit.summary()["value"].to_numpy())
    assert sv.index.dtype == np.int32 and len(sv.keys) == sv.index.size == sv.values.shape[1]
    _same_after_pickle(sv)

    draws = np.ascontiguousarray(fit.z + np.random.default_rng(0).normal(0.0, 0.02, (8, fit.z.size)))
    st = _mmm.summary_table(core, draws, 2, ys, 0.8)
    assert isinstance(st, _mmm.SummaryTable)
    values = _mmm.summary_values(core, draws, ys).values
    np.testing.assert_allclose(st.mean, values.mean(axis=0), rtol=1e-12)
    assert st.keys == sv.keys and st.index.tolist() == sv.index.tolist()
    _same_after_pickle(st)

    cs = _mmm.summarize_columns(values, 0.1, 0.9)
    assert isinstance(cs, _mmm.ColumnSummary)
    np.testing.assert_array_equal(cs.low, np.quantile(values, 0.1, axis=0))
    np.testing.assert_array_equal(cs.high, np.quantile(values, 0.9, axis=0))
    _same_after_pickle(cs)

    sp = _mmm.saturation_points(core, z, np.asarray(model.media_scale))
    assert isinstance(sp, _mmm.SaturationPoints)
    sat = fit.saturation_points()
    np.testing.assert_array_equal(sp.half_saturation[0], sat["half_saturation"].to_numpy())
    np.testing.assert_array_equal(sp.mean_adstock[0], sat["mean_adstock"].to_numpy())
    _same_after_pickle(sp)

    cf_data = data.copy()
    cf_data["press"] = 0.0
    cf = _mmm.counterfactual(
        core,
        np.asarray(fit.z, dtype=float),
        np.ascontiguousarray(cf_data[model.channels].to_numpy(dtype=float) / model.media_scale),
        ys,
    )
    assert isinstance(cf, _mmm.Counterfactual)
    frame = fit.counterfactual(cf_data)
    for k in ("predicted", "counterfactual", "difference", "difference_trust_direct"):
        np.testing.assert_array_equal(getattr(cf, k), frame[k].to_numpy(), err_msg=k)
    assert (cf.difference > 0).any()
    _same_after_pickle(cf)


def test_a_bad_state_is_refused(fitted):
    _, model, fit = fitted
    p = model._core.constrain(fit.z)
    version, state = p.__getstate__()
    assert version == 1 and set(state) >= {"alpha", "ar1_phi", "trust_inflow"}
    del state["alpha"]
    with pytest.raises(ValueError, match="alpha"):
        _mmm.TrustModelParameters.__new__(_mmm.TrustModelParameters).__setstate__((1, state))
