"""Reach-and-frequency channels of TrustMMM from Python: Meridian's transform reproduced,
the gradient, pickling, the frequency curves against the response curves, the Meridian
readers on Meridian's simulated examples (../shared/data, Google Meridian, Apache-2.0:
meridian/data/simulated_data/csv/national_media_rf.csv and geo_media_rf.csv) and bad input."""

import os
import pickle

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix.mmm import read_meridian, rf_pairs

DATA = "/work/shared/data"
NATIONAL = os.path.join(DATA, "meridian_national_media_rf.csv")
GEO = os.path.join(DATA, "meridian_geo_media_rf.csv")


def _frame(T=120, seed=0):
    rng = np.random.default_rng(seed)
    week = pd.date_range("2022-01-03", periods=T, freq="7D")
    press = rng.uniform(0, 2, T)
    search = rng.uniform(0, 2, T)
    reach = np.where(np.arange(T) % 5 == 0, 0.0, rng.uniform(1e5, 5e5, T))
    freq = np.where(reach > 0, 1.0 + rng.uniform(0, 3, T), 0.0)
    y = 100 + 5 * search + 1e-4 * reach * freq / (freq + 2) + rng.normal(0, 2, T)
    return pd.DataFrame(
        {
            "week": week,
            "y": y,
            "press": press,
            "search": search,
            "tv_reach": reach,
            "tv_frequency": freq,
            "tv_spend": reach * freq * 0.01,
            "trust_q": np.nan,
        }
    )


def _model(df, **kw):
    args = {
        "date": "week",
        "outcome": "y",
        "channels": {"press": "trust", "search": "conversion"},
        "rf_channels": {"tv": ("tv_reach", "tv_frequency")},
        "spend": {"tv": "tv_spend"},
        "max_lag": 6,
        "value_per_outcome": 1.0,
    }
    args.update(kw)
    return tm.TrustMMM(df, **args)


def _adstock(x, alpha, L):
    w = alpha ** np.arange(L + 1)
    w /= w.sum()
    return np.array([sum(w[d] * x[t - d] for d in range(min(L, t) + 1)) for t in range(len(x))])


@pytest.mark.parametrize("trust", [False, True])
def test_hill_form_is_meridians_transform(trust):
    df = _frame()
    m = _model(df, trust=trust)
    assert m.channels[-1] == "tv" and m.roles["tv"] == "conversion"
    # the RF slope closes the channel parameters (before the default AR(1) residuals' atanh phi)
    assert m.parameter_names[-2:] == ["log_rf_slope[2]", "atanh_ar1_phi"]
    z = m._core.initial_point() + np.random.default_rng(1).normal(0, 0.3, m._core.dimension)
    p = m._core.constrain(z)
    ec, s, alpha = p.lam[2], p.slope[2], p.alpha[2]
    r = df["tv_reach"].to_numpy() / m.media_scale[2]
    f = df["tv_frequency"].to_numpy()
    hill = np.where(f > 0, f**s / (f**s + ec**s), 0.0)
    h = _adstock(r * hill, alpha, 6)
    fw = m._core.forward(z)
    np.testing.assert_allclose(fw.saturated[:, 2], h, rtol=1e-12, atol=1e-14)
    j = m.conversion_channels.index("tv")
    own = fw.conversion_own[:, j]
    np.testing.assert_allclose(own, p.beta[j] * h, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("form", ["hill", "exposure"])
def test_gradient_and_pickling(form):
    df = _frame(seed=2)
    m = _model(df, rf_form=form, rf_shape=2.0)
    z = m._core.initial_point() + np.random.default_rng(3).normal(0, 0.2, m._core.dimension)
    lp, g = m.log_density(z)
    h = 1e-5
    for i in range(len(z)):
        e = np.zeros_like(z)
        e[i] = h
        fd = (m.log_density(z + e)[0] - m.log_density(z - e)[0]) / (2 * h)
        assert g[i] == pytest.approx(fd, rel=1e-5, abs=1e-5), m.parameter_names[i]
    m2 = pickle.loads(pickle.dumps(m))
    assert m2.rf_channels == {"tv": ("tv_reach", "tv_frequency")} and m2.rf_form == form
    assert m2.log_density(z)[0] == lp


def test_fit_roi_and_frequency_curves():
    df = _frame(T=150, seed=4)
    m = _model(df, trust=False, channels={"search": "conversion"})
    fit = m.fit(seed=1)
    roi = fit.roi(horizon=20)
    assert np.isfinite(roi.loc["tv", "incremental_total"]) and roi.loc["tv", "incremental_total"] > 0
    rc = fit.response_curves(channels=["tv"], multipliers=[0.0, 1.0, 2.0], horizon=20)
    fc = fit.rf_frequency_curves("tv", multipliers=[0.0, 1.0, 2.0], horizon=20)
    # frequency times 1 at the data's reach is the channel as it is
    assert fc["incremental"].iloc[1] == pytest.approx(rc["incremental"].iloc[1], rel=1e-10)
    assert fc["incremental"].iloc[0] == 0.0  # Hill(0) = 0
    assert fc["incremental"].iloc[2] > fc["incremental"].iloc[1]
    # Same impressions at a constant frequency: a curve with an interior or edge optimum.
    ff = fit.rf_frequency_curves("tv", frequencies=[1.0, 2.0, 4.0, 8.0], horizon=20)
    assert ff.attrs["optimal_frequency"] in (1.0, 2.0, 4.0, 8.0)
    assert (ff["spend"] == df["tv_spend"].sum()).all()
    s = fit.summary()
    assert any(i.startswith("Hill ec [tv]") for i in s.index)
    sp = fit.saturation_points()
    assert np.isnan(sp.loc["tv", "half_saturation"])
    import matplotlib

    matplotlib.use("Agg")
    ax = fit.plot_rf_frequency_curves("tv", frequencies=[1.0, 2.0, 4.0], horizon=20)
    assert len(ax.lines) == 2  # the curve and the optimum
    assert "reach and frequency" in m._repr_html_() and "tv (tv_reach, tv_frequency)" in m._repr_html_()
    with pytest.raises(ValueError, match="not a reach-and-frequency channel"):
        fit.rf_frequency_curves("search")
    # The planner plans RF fits through the channel's reach curve (tests/python/test_plan_rf.py);
    # a C++ caller who gives no RF chain for an RF channel is told what is missing.
    assert np.isfinite(tm.plan.evaluate(fit, tm.plan.status_quo(fit, horizon=8)).draws["outcome"]).all()
    from trustmix import _core

    with pytest.raises(ValueError, match="needs how its spend becomes reach and frequency"):
        _core.plan.TrustPlanModel(
            m._core,
            fit._draw_matrix(4),
            np.asarray(m._media, dtype=float),
            np.zeros((len(m.dates), 0)),
            8,
            units_per_spend=np.ones(len(m.channels)),
            outcome_scale=1.0,
        )


def test_rf_bad_input():
    df = _frame()
    with pytest.raises(ValueError, match="can only convert"):
        _model(df, channels={"press": "trust", "tv": "both"})
    with pytest.raises(ValueError, match="needs its spend column"):
        _model(df, spend={})
    bad = df.copy()
    bad.loc[3, "tv_frequency"] = 0.5
    bad.loc[3, "tv_reach"] = 10.0
    with pytest.raises(ValueError, match=r"frequency column 'tv_frequency' \(channel 'tv'\): row 3"):
        _model(bad, rf_form="exposure")
    _model(bad, rf_form="hill")  # the Hill form takes any frequency >= 0
    with pytest.raises(ValueError, match="rf_form must be"):
        _model(df, rf_form="poisson")
    with pytest.raises(ValueError, match="pair"):
        _model(df, rf_channels={"tv": "tv_reach"})
    with pytest.raises(ValueError, match="not in the data"):
        _model(df, rf_channels={"tv": ("tv_reach", "tv_freq")})


@pytest.mark.skipif(not os.path.exists(NATIONAL), reason="Meridian's example data not present")
def test_read_meridian_national_and_geo():
    d = read_meridian(NATIONAL)
    raw = pd.read_csv(NATIONAL)
    assert len(d.data) == len(raw) == 156
    assert d.kwargs["rf_channels"] == {"Channel3": ("Channel3_reach", "Channel3_frequency")}
    assert list(d.kwargs["channels"]) == ["Channel0_impression", "Channel1_impression", "Channel2_impression"]
    assert d.kwargs["spend"]["Channel3"] == "Channel3_spend"
    w = raw["conversions"].to_numpy()
    assert d.kwargs["value_per_outcome"] == pytest.approx(np.average(raw["revenue_per_conversion"], weights=w))
    assert d.kwargs["controls"] == ["competitor_activity_score_control", "sentiment_score_control"]
    m = tm.TrustMMM(d.data, **d.kwargs)
    assert m.rf_channels == {"Channel3": ("Channel3_reach", "Channel3_frequency")} and not m.trust_enabled

    geo = pd.read_csv(GEO)
    one = read_meridian(GEO, geo="Geo0")
    assert len(one.data) == (geo["geo"] == "Geo0").sum()
    with pytest.warns(UserWarning, match="2 period\\(s\\) with reach > 0 and frequency < 1"):
        read_meridian(GEO, geo="Geo13")  # 2021-11-22 and 2022-08-29: frequency 0.979 and 0.987
    agg = read_meridian(GEO)
    assert len(agg.geos) == 20 and len(agg.data) == geo["time"].nunique()
    t0 = geo[geo["time"] == agg.data["time"].iloc[5]]
    assert agg.data["Channel3_reach"].iloc[5] == pytest.approx(t0["Channel3_reach"].sum())
    assert agg.data["Channel3_frequency"].iloc[5] == pytest.approx(
        (t0["Channel3_reach"] * t0["Channel3_frequency"]).sum() / t0["Channel3_reach"].sum()
    )
    assert agg.data["conversions"].iloc[5] == pytest.approx(t0["conversions"].sum())
    pop = t0["population"]
    assert agg.data["sentiment_score_control"].iloc[5] == pytest.approx(
        (t0["sentiment_score_control"] * pop).sum() / pop.sum()
    )


def test_read_meridian_errors(tmp_path):
    with pytest.raises(ValueError, match="no file"):
        read_meridian(tmp_path / "missing.csv")
    df = pd.DataFrame(
        {
            "time": ["2021-01-04", "2021-01-11"],
            "conversions": [1.0, 2.0],
            "TV_reach": [1.0, 2.0],
            "TV_spend": [1.0, 1.0],
        }
    )
    with pytest.raises(ValueError, match="'TV_reach' is a reach column without its frequency column 'TV_frequency'"):
        read_meridian(df)
    df["TV_frequency"] = [1.0, 2.0]
    df2 = df.drop(columns="TV_spend")
    with pytest.raises(ValueError, match="no spend column 'TV_spend'"):
        read_meridian(df2)
    df["TV_frequency"] = [1.0, "x"]
    with pytest.raises(ValueError, match="column 'TV_frequency': row 1"):
        read_meridian(df)
    with pytest.raises(ValueError, match="no 'geo' column"):
        read_meridian(df.assign(TV_frequency=[1.0, 2.0]), geo="Geo0")
    assert rf_pairs(["a_reach", "a_frequency", "b"]) == {"a": ("a_reach", "a_frequency")}


def test_exposure_frequency_curve_spend_counts_the_impressions_used():
    """At multiplier k the exposure form keeps at least one exposure per person reached, so
    its impressions (and spend at a constant cost per impression) are sum r max(k f, 1),
    not k sum r f; the hill form's are k sum r f."""
    df = _frame(T=150, seed=4)
    total = df["tv_spend"].sum()
    r, f = df["tv_reach"].to_numpy(), df["tv_frequency"].to_numpy()
    ks = np.array([0.0, 0.1, 0.5, 1.0, 2.0])
    for form in ("hill", "exposure"):
        m = _model(df, trust=False, channels={"search": "conversion"}, rf_form=form)
        fit = m.fit(seed=1)
        fc = fit.rf_frequency_curves("tv", multipliers=ks, horizon=10)
        if form == "hill":
            expect = total * ks
        else:
            expect = np.array(
                [total * (r * np.where(r > 0, np.maximum(k * f, 1.0), 0.0)).sum() / (r * f).sum() for k in ks]
            )
            assert expect[0] > 0  # one exposure per person reached costs something
        np.testing.assert_allclose(fc["spend"].to_numpy(), expect, rtol=1e-12)
        np.testing.assert_allclose(fc["spend"].iloc[3], total, rtol=1e-12)


def test_rf_role_both_without_trust_and_pickle_version():
    """trust=False makes every channel convert, RF channels included, whatever role was
    written; an RF model pickles as state version 2 (older versions refuse it clearly)."""
    df = _frame(seed=2)
    m = _model(df, trust=False, channels={"press": "both", "search": "conversion", "tv": "both"})
    assert m.roles["tv"] == "conversion"
    assert m.__getstate__()["version"] == 3  # RF channels (2) and the default AR(1) noise (3)
    with pytest.raises(ValueError, match="role 'both'"):
        _model(df, channels={"press": "trust", "search": "conversion", "tv": "both"})
