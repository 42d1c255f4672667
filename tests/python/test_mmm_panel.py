"""The geo panel model (tm.mmm.PanelMMM): bad input, population scaling, recovery of
geo effects from panels drawn from the model, partial vs no pooling for small geos,
ROI/decomposition consistency, pickling. The gradient and the national-model identity are
tested in C++ (tests/cpp/test_mmm_panel.cpp)."""

from __future__ import annotations

import math
import pickle
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import trustmix as tm


def _adstock_logistic(x: np.ndarray, alpha: float, lam: float, max_lag: int, curve: str = "logistic") -> np.ndarray:
    """h = tanh(lam a / 2) (curve "hill": a / (a + lam), lam the half-saturation point), a
    the normalised geometric adstock (MODEL.md), along axis 0."""
    w = alpha ** np.arange(max_lag + 1)
    w /= w.sum()
    a = np.zeros_like(x)
    for lag in range(max_lag + 1):
        a[lag:] += w[lag] * x[: len(x) - lag]
    return a / (a + lam) if curve == "hill" else np.tanh(0.5 * lam * a)


def simulate_panel(
    seed: int, geos: int = 8, periods: int = 104, max_lag: int = 4, noise: float = 0.05, curve: str = "logistic"
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A panel drawn from the model with trust off, an intercept-only baseline and two geo
    channels with log-normal geo effects; per-capita noise sd = noise / sqrt(relative
    population), so small geos are noisy. Returns the long frame and the truth in the
    model's scaled units (effects divided by the mean absolute per-capita outcome).
    ``curve="hill"``: Hill curves a / (a + ec), ec = 0.7 and 1.6 (in the truth's "lam")."""
    rng = np.random.default_rng(seed)
    pop = np.exp(rng.normal(0.0, 1.0, geos)) * 1e5
    rel = pop / pop.mean()
    alpha, lam = np.array([0.5, 0.3]), np.array([1.2, 0.9]) if curve == "logistic" else np.array([0.7, 1.6])
    median, tau = np.array([0.6, 0.4]), np.array([0.4, 0.4])
    beta = median[:, None] * np.exp(tau[:, None] * rng.normal(size=(2, geos)))
    level = 1.0 + 0.2 * rng.normal(size=geos)
    x = rng.gamma(2.0, 0.5, size=(2, periods, geos)) * (rng.random((2, periods, geos)) > 0.2)
    x /= np.array([xc[xc > 0].mean() for xc in x])[:, None, None]  # mean non-zero per-capita activity 1
    mu = level[None, :] + sum(
        beta[c][None, :] * _adstock_logistic(x[c], alpha[c], lam[c], max_lag, curve) for c in range(2)
    )
    y = mu + noise / np.sqrt(rel)[None, :] * rng.normal(size=(periods, geos))
    df = _long_frame(y, pop, search=x[0] * pop, social=x[1] * pop)
    y_scale = np.abs(y).mean()
    return df, {"beta": beta / y_scale, "alpha": alpha, "lam": lam, "rel": rel, "names": list(pd.unique(df["geo"]))}


def _long_frame(y: np.ndarray, pop: np.ndarray, **media: np.ndarray) -> pd.DataFrame:
    """The long frame of a T x G per-capita outcome y: geos g0.., weekly dates from
    2022-01-03, sales = y x pop, each media column (T x G, or T: the same on every geo's row)."""
    periods, geos = y.shape
    frame: dict[str, Any] = {
        "geo": np.tile([f"g{g}" for g in range(geos)], periods),
        "week": np.repeat(pd.date_range("2022-01-03", periods=periods, freq="7D"), geos),
        "sales": (y * pop).reshape(-1),
        "pop": np.tile(pop, periods),
    }
    for name, x in media.items():
        frame[name] = np.repeat(x, geos) if x.ndim == 1 else x.reshape(-1)
    return pd.DataFrame(frame)


def _model(df: pd.DataFrame, pooling: str | dict[str, str] = "partial", **kw: Any) -> tm.mmm.PanelMMM:
    args: dict[str, Any] = dict(
        geo="geo",
        date="week",
        outcome="sales",
        population="pop",
        channels={"search": "conversion", "social": "conversion"},
        trust=False,
        seasonality=0,
        trend=False,
        max_lag=4,
        pooling={"effects": pooling} if isinstance(pooling, str) else pooling,
    )
    args.update(kw)
    return tm.mmm.PanelMMM(df, **args)


def _beta(fit: tm.mmm.PanelFit) -> pd.DataFrame:
    s = fit.summary()
    return s[s["parameter"] == "beta"]


# -- bad input ---------------------------------------------------------------------------------
def test_bad_input_names_geo_date_and_column() -> None:
    df, _ = simulate_panel(1, geos=3, periods=30)
    with pytest.raises(ValueError, match=r"different date ranges: geo 'g1' has 29 dates.*first missing 2022-01-10"):
        _model(df.drop(index=df.index[(df["geo"] == "g1")][1]))
    bad = df.copy()
    bad.loc[(bad["geo"] == "g2") & (bad["week"] == "2022-01-17"), "pop"] = 0.0
    with pytest.raises(ValueError, match=r"column 'pop': geo 'g2', date 2022-01-17 is 0.0; a population must be > 0"):
        _model(bad)
    bad = df.copy()
    bad.loc[(bad["geo"] == "g0") & (bad["week"] == "2022-01-24"), "pop"] = np.nan
    with pytest.raises(ValueError, match=r"column 'pop': geo 'g0', date 2022-01-24 is nan"):
        _model(bad)
    with pytest.raises(ValueError, match=r"duplicated \(geo, date\) rows: geo 'g0', date 2022-01-03 appears 2 times"):
        _model(pd.concat([df, df.iloc[:1]]))
    # one week missing in every geo: consistent across geos, but not a regular panel
    with pytest.raises(
        ValueError,
        match=r"column 'week': dates are not evenly spaced; a gap or irregular step "
        r"before 2022-01-24 \(expected every 7 days\)",
    ):
        _model(df[df["week"] != "2022-01-17"])
    nat = df.copy()
    nat["tv"] = np.repeat(np.linspace(1.0, 2.0, 30), 3)
    nat.loc[(nat["geo"] == "g1") & (nat["week"] == "2022-01-10"), "tv"] = 9.0
    with pytest.raises(
        ValueError,
        match=r"national channel 'tv': column 'tv' differs across geos on 2022-01-10 "
        r"\(geo 'g1' 9.0",
    ):
        _model(nat, channels={"search": "conversion", "tv": "conversion"}, national_channels=["tv"])
    silent = df.copy()
    silent.loc[silent["geo"] == "g2", ["search", "social"]] = 0.0
    with pytest.warns(UserWarning, match=r"geo\(s\) 'g2' have no activity in any geo channel; kept"):
        _model(silent)
    with pytest.raises(ValueError, match=r"geo\(s\) 'g2' have no activity"):
        _model(silent, no_media="error")
    with pytest.raises(ValueError, match=r"pooling names 'tiktok'"):
        _model(df, pooling={"tiktok": "none"})
    with pytest.raises(ValueError, match=r"pooling\['effects'\] must be one of"):
        _model(df, pooling="some")
    with pytest.raises(ValueError, match=r"column\(s\) 'nope' not in data"):
        _model(df, population="nope")


def test_population_scaling_and_national_apportioning() -> None:
    df, _ = simulate_panel(2, geos=3, periods=20)
    df["tv"] = np.repeat(np.arange(1.0, 21.0), 3) * 3e5  # national activity, the same on every row
    m = _model(df, channels={"search": "conversion", "tv": "conversion"}, national_channels=["tv"])
    act = np.asarray(m._scales.activity[1])
    pop = m.population
    np.testing.assert_allclose(act, np.arange(1.0, 21.0)[:, None] * 3e5 * pop / pop.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(act.sum(axis=1), np.arange(1.0, 21.0) * 3e5)  # apportioning keeps the total
    # per-capita outcome over its mean absolute value: the scaled outcome has mean |y| 1
    ypc = m.y / pop
    assert float(m._scales.y_scale) == pytest.approx(np.abs(ypc).mean())


# -- fitting -----------------------------------------------------------------------------------
def test_map_fit_recovers_effects_and_reports() -> None:
    df, truth = simulate_panel(3)
    fit = _model(df, pooling="none").fit("map")
    b = _beta(fit)
    est = b["mean"].to_numpy().reshape(2, -1)
    err = np.abs(est / truth["beta"] - 1.0)
    assert np.median(err) < 0.1, err
    roi = fit.roi(by="geo", horizon=0)
    tot = roi[roi["geo"] == "total"].set_index("channel")
    per = roi[roi["geo"] != "total"].groupby("channel")["incremental"].sum()
    np.testing.assert_allclose(tot.loc[per.index, "incremental"], per, rtol=1e-10)
    # the decomposition adds up to the fitted outcome, which tracks the observed
    d = fit.decompose()
    cols = ["base", "trust_direct", "search", "social", "amplification[search]", "amplification[social]"]
    parts = d[cols].sum(axis=1)
    np.testing.assert_allclose(parts, d["fitted"], rtol=1e-9)
    assert np.corrcoef(d["fitted"], d["observed"])[0, 1] > 0.99
    # a conversion channel removed over the whole data: its increment inside the data is its
    # own term (trust off: no amplification); the carry-over after the data adds to it
    inc0 = fit.roi(by="channel", horizon=0).set_index("channel")
    inc4 = fit.roi(by="channel", horizon=4).set_index("channel")
    np.testing.assert_allclose(inc0.loc["search", "incremental"], d["search"].sum(), rtol=1e-9)
    assert inc4.loc["search", "incremental"] > inc0.loc["search", "incremental"]
    again = pickle.loads(pickle.dumps(fit))
    pd.testing.assert_frame_equal(again.summary(), fit.summary())
    assert "PanelFit" in fit._repr_html_() and "PanelMMM" in fit.model._repr_html_()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::trustmix.inference.InferenceWarning")  # checked below
def test_nuts_intervals_cover_and_partial_pooling_beats_none_for_small_geos() -> None:
    covered, total = 0, 0
    err_partial: list[float] = []
    err_none: list[float] = []
    for seed in (11, 12):
        df, truth = simulate_panel(seed, noise=0.15)
        fits = {
            p: _model(df, pooling=p).fit("nuts", chains=4, draws=500, tune=500, seed=seed, progress=False)
            for p in ("partial", "none")
        }
        for p, fit in fits.items():  # a handful of divergences at most, converged chains
            assert fit.posterior.divergences <= 10, (p, fit.posterior.divergences)
            # R-hat below 1.05 over 4 x 500 draws: the chains agree. (1.02 held before the
            # pooling groups were added; since then the "none" fit of seed 11 reaches 1.035 on
            # one saturation rate although the log density with complete curvature pooling is
            # bit-identical to before, test_mmm_panel.cpp: a Monte Carlo fluctuation.)
            assert fit.summary()["r_hat"].max() < 1.05, p
        b = _beta(fits["partial"])
        low = b["low"].to_numpy().reshape(2, -1)
        high = b["high"].to_numpy().reshape(2, -1)
        covered += int(((low <= truth["beta"]) & (truth["beta"] <= high)).sum())
        total += truth["beta"].size
        small = np.argsort(truth["rel"])[:3]  # the three smallest geos
        for p, store in (("partial", err_partial), ("none", err_none)):
            est = _beta(fits[p])["mean"].to_numpy().reshape(2, -1)
            store.extend(((est[:, small] - truth["beta"][:, small]) ** 2).ravel())
    # 90% intervals: coverage at least the binomial 0.1% quantile of Binomial(total, 0.9)
    assert covered >= stats.binom.ppf(0.001, total, 0.9), (covered, total)
    assert np.sqrt(np.mean(err_partial)) < np.sqrt(np.mean(err_none)), (np.mean(err_partial), np.mean(err_none))


def test_trust_levels_fit_and_geo_tracker() -> None:
    df, _ = simulate_panel(5, geos=4, periods=60)
    df["pr"] = np.repeat(np.abs(np.sin(np.arange(60) / 5.0)), 4) * 1e6
    rng = np.random.default_rng(0)
    df["survey"] = np.where(np.arange(len(df)) % 3 == 0, rng.normal(0.5, 0.1, len(df)), np.nan)
    for level in ("national", "geo"):
        m = _model(
            df,
            channels={"pr": "trust", "search": "conversion", "social": "both"},
            national_channels=["pr"],
            trust=level,
            tracker="survey",
        )
        assert m.tracker_level == "geo"
        fit = m.fit("map")
        s = fit.summary()
        assert {"gamma", "theta", "delta", "tracker_b"} <= set(s["parameter"])
        roi = fit.roi(by="geo", horizon=52, value_per_outcome=10.0)
        assert np.isfinite(roi["roi"]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m2 = pickle.loads(pickle.dumps(m))
    assert m2.parameter_names == m.parameter_names


def test_a_pickled_model_keeps_the_data_it_was_built_from() -> None:
    """The model copies its data and arguments: changing the caller's frame or pooling
    mapping afterwards changes neither the model nor what it unpickles to."""
    df, _ = simulate_panel(1, geos=3, periods=30)
    pooling = {"effects": "partial"}
    m = _model(df, pooling=pooling)
    before = m.log_density(m._core.initial_point())[0]
    df["sales"] *= 2.0
    pooling["effects"] = "none"
    again = pickle.loads(pickle.dumps(m))
    assert again.log_density(again._core.initial_point())[0] == before
    assert again.pooling["effects"] == "partial"


def test_read_meridian_panel_keeps_geos() -> None:
    path = "/work/shared/data/meridian_geo_media.csv"
    df, kwargs = tm.mmm.read_meridian_panel(path)
    assert kwargs["trust"] is False and kwargs["population"] == "population"
    m = tm.mmm.PanelMMM(df, **kwargs)
    assert len(m.geos) == df["geo"].nunique() and len(m.dates) == df["time"].nunique()


# -- pooling of adstock, saturation and the trust parameters; the national+geo stock ---------


def _trust_panel(**kw: Any) -> tm.mmm.PanelMMM:
    df, _ = simulate_panel(5, geos=4, periods=50)
    df["pr"] = np.repeat(np.abs(np.sin(np.arange(50) / 5.0)), 4) * 1e6
    rng = np.random.default_rng(0)
    df["survey"] = np.where(np.arange(len(df)) % 3 == 0, rng.normal(0.5, 0.1, len(df)), np.nan)
    args: dict[str, Any] = dict(
        channels={"pr": "trust", "search": "conversion", "social": "both"},
        national_channels=["pr"],
        tracker="survey",
    )
    args.update(kw)
    return _model(df, **args)


def _fd_max_error(m: tm.mmm.PanelMMM, seed: int) -> float:
    """Largest relative error of the analytic gradient against central differences at a
    random point near the start."""
    rng = np.random.default_rng(seed)
    z = np.asarray(m._core.initial_point()) + rng.normal(0.0, 0.3, m._core.dimension)
    _, g = m.log_density(z)
    h, err = 1e-5, 0.0
    for i in range(z.size):
        e = np.zeros_like(z)
        e[i] = h
        fd = (m.log_density(z + e)[0] - m.log_density(z - e)[0]) / (2 * h)
        err = max(err, abs(fd - g[i]) / (1.0 + abs(fd)))
    return err


@pytest.mark.parametrize("kind", ["none", "partial"])
def test_pooled_curvature_and_trust_parameters_have_exact_gradients(kind: str) -> None:
    pooled = {"adstock": kind, "saturation": kind, "trust_half_life": kind, "amplification": kind}
    m = _trust_panel(trust="geo", pooling=pooled)
    assert m.pooling["adstock"] == kind and m.pooling["effects"] == "partial"
    assert _fd_max_error(m, 1) < 1e-5
    # per-geo names: every geo has its own alpha of every channel, delta and theta
    names = list(m._core.constrained_names)
    assert sum(n.startswith("alpha[") and "," in n for n in names) == 3 * 4
    assert sum(n.startswith("delta[") for n in names) == 4 and sum(n.startswith("theta[") for n in names) == 4
    assert ("alpha_tau[0]" in names) == (kind == "partial")
    with pytest.warns(UserWarning, match="trust-only channel\\(s\\) pr"):
        nat = _trust_panel(trust="national+geo", pooling={"adstock": "partial", "amplification": kind})
    assert _fd_max_error(nat, 2) < 1e-5


def test_trust_only_curvature_stays_national_under_a_national_stock() -> None:
    # pr (channel 0) is trust-only: under a national stock its alpha and lam enter only the
    # national series, so they stay complete; social (2, "both") and search (1) are per geo.
    with pytest.warns(UserWarning, match="adstock and saturation does not apply"):
        m = _trust_panel(trust="national", pooling={"adstock": "partial", "saturation": "partial"})
    names = m.parameter_names
    assert "logit_alpha[0]" in names and "log_lam[0]" in names
    assert not any(n.startswith(("alpha_eta[0,", "lam_eta[0,")) for n in names)
    for c in (1, 2):
        assert f"logit_alpha_location[{c}]" in names and sum(n.startswith(f"alpha_eta[{c},") for n in names) == 4
    assert _fd_max_error(m, 3) < 1e-5
    # with per-geo stocks each geo's stock uses its own alpha: pr is pooled as asked, no warning
    g = _trust_panel(trust="geo", pooling={"adstock": "partial"})
    assert sum(n.startswith("alpha_eta[0,") for n in g.parameter_names) == 4


def test_complete_pooling_is_the_default_and_the_first_version() -> None:
    """The four new groups default to complete, which is the model before they existed:
    same parameters, same log density."""
    a = _trust_panel(trust="geo")
    b = _trust_panel(
        trust="geo",
        pooling={
            "adstock": "complete",
            "saturation": "complete",
            "trust_half_life": "complete",
            "amplification": "complete",
        },
    )
    assert a.parameter_names == b.parameter_names
    z = np.asarray(a._core.initial_point()) + 0.1
    assert a.log_density(z)[0] == b.log_density(z)[0]
    assert not any("eta" in n and ("alpha" in n or "lam" in n) for n in a.parameter_names)


def test_national_geo_stock_fits_and_reports_multipliers() -> None:
    m = _trust_panel(trust="national+geo")
    fit = m.fit("map")
    s = fit.summary()
    mult = s[s["parameter"] == "stock_multiplier"]
    assert list(mult["geo"]) == m.geos
    assert (mult["mean"] > 0).all()
    assert np.isfinite(fit.roi(by="geo", horizon=26, value_per_outcome=10.0)["roi"]).all()
    back = pickle.loads(pickle.dumps(fit))
    np.testing.assert_array_equal(back.z, fit.z)
    assert back.model.trust == "national+geo"


def test_curvature_pooling_bad_input() -> None:
    with pytest.raises(ValueError, match="trust half-life pooling 'partial' needs one stock per geo"):
        _trust_panel(trust="national", pooling={"trust_half_life": "partial"})
    with pytest.raises(ValueError, match="leaves no national value"):
        _trust_panel(trust="national", pooling={"adstock": "none"})
    with pytest.raises(ValueError, match="pooling\\['saturation'\\] must be one of"):
        _trust_panel(pooling={"saturation": "some"})
    with pytest.raises(ValueError, match="unknown panel prior"):
        _trust_panel(priors={"adstock_pool": 0.5})
    m = _trust_panel(trust="geo", pooling={"adstock": "partial"}, priors={"adstock_pool_sd": 0.2})
    assert any(n.startswith("log_alpha_tau") for n in m.parameter_names)


# -- AR(1) residuals and a tracker with its respondents (tracker_n) ---------------------------


def _survey_panel(**kw: Any) -> tm.mmm.PanelMMM:
    """The trust panel with a per-geo survey share and its respondents (geo g asks 20 (g + 1)^2)."""
    df, _ = simulate_panel(5, geos=4, periods=50)
    df["pr"] = np.repeat(np.abs(np.sin(np.arange(50) / 5.0)), 4) * 1e6
    rng = np.random.default_rng(0)
    measured = np.arange(len(df)) % 3 == 0
    df["survey"] = np.where(measured, np.clip(rng.normal(0.5, 0.1, len(df)), 0.05, 0.95), np.nan)
    geo_index = df["geo"].str[1:].astype(int).to_numpy()
    df["asked"] = np.where(measured, 20.0 * (geo_index + 1) ** 2, 0.0)
    args: dict[str, Any] = dict(
        channels={"pr": "trust", "search": "conversion", "social": "both"},
        national_channels=["pr"],
        tracker="survey",
        trust="national",
    )
    args.update(kw)
    return _model(df, **args)


def test_ar1_noise_and_tracker_n_have_exact_gradients_and_pickle() -> None:
    for level in ("national", "geo"):
        m = _survey_panel(trust=level, noise="ar1", tracker_n="asked")
        assert m.noise == "ar1" and m.tracker_level == "geo"
        assert list(m._core.constrained_names)[-1] == "ar1_phi"
        assert list(m.parameter_names)[-1] == "atanh_ar1_phi"
        assert _fd_max_error(m, 3) < 1e-5
        again = pickle.loads(pickle.dumps(m))
        z = np.asarray(m._core.initial_point()) + 0.1
        assert again.log_density(z)[0] == m.log_density(z)[0]
    # the known errors change the density: the same point scores differently without them
    plain, with_n = _survey_panel(), _survey_panel(tracker_n="asked")
    z = np.asarray(plain._core.initial_point())
    assert plain.log_density(z)[0] != with_n.log_density(z)[0]
    fit = _survey_panel(noise="ar1", tracker_n="asked").fit("map")
    s = fit.summary()
    phi = float(s.loc["ar1_phi", "mean"])
    assert -1.0 < phi < 1.0


def test_an_old_state_without_noise_unpickles_with_iid_residuals() -> None:
    m = _survey_panel()
    state = m.__getstate__()
    del state["kwargs"]["noise"], state["kwargs"]["tracker_n"]  # a state from before noise= and tracker_n=
    old = tm.mmm.PanelMMM.__new__(tm.mmm.PanelMMM)
    old.__setstate__(state)
    assert old.noise == "iid" and old.parameter_names == m.parameter_names


def test_ar1_and_tracker_n_bad_input() -> None:
    with pytest.raises(ValueError, match="noise must be 'iid' or 'ar1', got 'ar2'"):
        _survey_panel(noise="ar2")
    with pytest.raises(ValueError, match="tracker_n needs a tracker"):
        _survey_panel(tracker=None, tracker_n="asked")
    df, _ = simulate_panel(5, geos=4, periods=50)
    df["pr"] = 1e6
    df["survey"] = 0.4 + 0.01 * df["geo"].str[1:].astype(int)  # per geo
    df["asked"] = 100.0
    week2 = df["week"].iloc[8]  # 4 geos per week: rows 8-11 are the third week
    kw: dict[str, Any] = dict(
        channels={"pr": "trust", "search": "conversion"},
        national_channels=["pr"],
        trust="national",
        tracker="survey",
        tracker_n="asked",
    )
    bad = df.copy()
    bad.loc[(bad["geo"] == "g2") & (bad["week"] == week2), "asked"] = 0.0
    with pytest.raises(ValueError, match=f"column 'asked': geo 'g2', date {week2.date()} is 0"):
        _model(bad, **kw)
    bad = df.copy()
    bad.loc[(bad["geo"] == "g1") & (bad["week"] == week2), "survey"] = 40.0  # a percentage, not a share
    with pytest.raises(ValueError, match=f"column 'survey': geo 'g1', date {week2.date()} is 40.0"):
        _model(bad, **kw)
    national = df.assign(survey=0.5)
    national.loc[national["geo"] == "g3", "asked"] = 50.0
    with pytest.raises(ValueError, match="different panel sizes across geos for a national tracker"):
        _model(national, **kw)


def test_market_growth_prior_on_the_panel_trend() -> None:
    """priors={"market_growth": (low, high)} puts Normal(m, s) on the trend's pooled
    location; a prior far from what the data say moves the density, and the gradient
    stays exact."""
    df, _ = simulate_panel(3, geos=4, periods=52)
    plain = _model(df, trend=True)
    tight = _model(df, trend=True, priors={"market_growth": (0.4, 0.41)})
    assert list(tight.parameter_names) == list(plain.parameter_names)
    z = np.asarray(plain._core.initial_point())
    assert tight.log_density(z)[0] < plain.log_density(z)[0] - 10.0  # a flat start is far from +40% a year
    assert _fd_max_error(tight, 4) < 1e-5
    with pytest.raises(ValueError, match="market_growth needs the baseline's trend"):
        _model(df, trend=False, priors={"market_growth": (-0.02, 0.02)})
    with pytest.raises(ValueError, match=r"prior 'market_growth' must be \(low, high\)"):
        _model(df, trend=True, priors={"market_growth": "flat"})


def test_panel_forward_and_scales_are_typed_and_pickle() -> None:
    df, _ = simulate_panel(5, geos=3, periods=40)
    m = _model(df, pooling="none")
    s = m._scales
    assert isinstance(s, tm._core.mmm.PanelScales)
    np.testing.assert_array_equal(s.population, m.population)
    assert len(s.activity) == 2 and s.activity[0].shape == (40, 3)
    np.testing.assert_allclose(s.activity[0], df["search"].to_numpy().reshape(40, 3), rtol=1e-12)
    ypc = (df["sales"] / df["pop"]).to_numpy()
    assert s.y_scale == pytest.approx(np.abs(ypc).mean(), rel=1e-12)
    fit = m.fit("map")
    f = m._core.forward(fit.z)
    assert isinstance(f, tm._core.mmm.PanelForward)
    mean = m._core.forward_mean(fit.z[None, :])
    np.testing.assert_allclose(mean.mu, f.mu, rtol=1e-12)
    d = fit.decompose(max_draws=1)
    np.testing.assert_allclose(d["fitted"].to_numpy(), (f.mu * s.y_scale * m.population).reshape(-1), rtol=1e-12)
    np.testing.assert_allclose(
        d["search"].to_numpy(), (f.conversion_own[0] * s.y_scale * m.population).reshape(-1), rtol=1e-12
    )
    for obj in (s, f):
        back = pickle.loads(pickle.dumps(obj))
        assert repr(back) == repr(obj)
        for k in [k for k in dir(type(obj)) if isinstance(getattr(type(obj), k), property)]:
            a, b = getattr(obj, k), getattr(back, k)
            if isinstance(a, list) and a and isinstance(a[0], np.ndarray):
                for x, y in zip(a, b, strict=True):
                    np.testing.assert_array_equal(x, y)
            elif isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b)
            else:
                assert a == b, k


# -- ROI priors ----------------------------------------------------------------------------------


def test_roi_prior_is_the_channels_own_return_over_all_geos() -> None:
    """With a narrow ROI prior the fitted own-term return on spend (PanelFit.roi over the
    data, horizon 0: the counterfactual of the channel's whole activity, which with trust
    off is its own term) sits at the prior's median sqrt((1 + low)(1 + high)) in currency,
    whatever the value per outcome, the spend and the population scaling; without the
    prior the data put it elsewhere. The free coordinate is ln(1 + ROI) itself."""
    df, _ = simulate_panel(21, geos=5, periods=80)
    df["search_spend"] = 2.5 * df["search"]
    base = dict(spend={"search": "search_spend"}, value_per_outcome=40.0)
    free = _model(df, **base).fit("map", seed=1).roi(by="channel", horizon=0)
    m = _model(df, **base, priors={"roi": {"search": (1.0, 1.02)}})
    assert m._core.roi_prior_count == 1 and "log_roi[0]" in m.parameter_names
    fit = m.fit("map", seed=1)
    roas = fit.roi(by="channel", horizon=0).set_index("channel").loc["search", "roas"]
    target = np.sqrt(2.0 * 2.02)
    assert abs(roas - target) < 0.01 * target
    assert abs(free.set_index("channel").loc["search", "roas"] - target) > 0.1 * target
    # the free coordinate is ln R of the mode
    z = fit.z[m.parameter_names.index("log_roi[0]")]
    assert abs(np.exp(z) - roas) < 1e-6 * roas
    # the analytic gradient with the prior, partial and complete pooling of the effect
    assert _fd_max_error(m, 3) < 1e-5
    complete = _model(
        df, **base, pooling={"effects": "partial", "search": "complete"}, priors={"roi": {"search": (0.5, 3.0)}}
    )
    assert _fd_max_error(complete, 4) < 1e-5
    again = pickle.loads(pickle.dumps(m))
    assert again.log_density(fit.z)[0] == m.log_density(fit.z)[0]


def test_roi_prior_bad_input() -> None:
    df, _ = simulate_panel(22, geos=3, periods=30)
    with pytest.raises(ValueError, match="prior 'roi' names 'tv', which is not a channel"):
        _model(df, value_per_outcome=1.0, priors={"roi": {"tv": (0.0, 1.0)}})
    with pytest.raises(ValueError, match="must be \\(low, high\\)"):
        _model(df, value_per_outcome=1.0, priors={"roi": {"search": 0.5}})
    with pytest.raises(ValueError, match="value_per_outcome > 0"):
        _model(df, priors={"roi": {"search": (0.0, 1.0)}})
    with pytest.raises(ValueError, match="needs effect pooling 'partial' or 'complete'"):
        _model(df, pooling="none", value_per_outcome=1.0, priors={"roi": {"search": (0.0, 1.0)}})
    with pytest.raises(ValueError, match="low must be > -1"):
        _model(df, value_per_outcome=1.0, priors={"roi": {"search": (-1.5, 1.0)}})


def test_hill_saturation_recovers_its_truth_and_reports_ec() -> None:
    """On a panel drawn with Hill curves a / (a + ec) (ec 0.7 and 1.6), PanelMMM with
    saturation="hill" recovers the geo effects and ec at its mode; the logistic model on the
    same data is the worse fit (lower maximised log posterior). Exact gradient (slope 1 and a
    slope 2 channel), the "hill_ec" prior's LogNormal, names, pickling."""
    df, truth = simulate_panel(31, curve="hill", noise=0.03)
    m = _model(df, pooling="none", saturation="hill")
    assert list(m._core.saturation_forms) == ["hill", "hill"]
    fit = m.fit("map", seed=1, max_iterations=10000)  # ec and beta trade off: a long, flat valley
    est = _beta(fit)["mean"].to_numpy().reshape(2, -1)
    assert np.median(np.abs(est / truth["beta"] - 1.0)) < 0.15
    s = fit.summary()
    ec = s[s["parameter"] == "ec"].set_index("term")["mean"]
    np.testing.assert_allclose(ec[["search", "social"]], truth["lam"], rtol=0.3)
    logistic = _model(df, pooling="none").fit("map", seed=1, max_iterations=10000)
    assert fit.info["converged"] and logistic.info["converged"]
    assert fit.info["log_density"] > logistic.info["log_density"] + 5.0
    # exact gradients, a slope-2 Hill and partial pooling of ec across geos
    two = _model(df, saturation={"social": "hill"}, hill_slope={"social": 2.0}, pooling={"saturation": "partial"})
    assert list(two._core.saturation_forms) == ["logistic", "hill"]
    assert "ec_tau[1]" in two._core.constrained_names and "lam[0]" in two._core.constrained_names
    assert _fd_max_error(two, 5) < 1e-5
    # the 90% range of ec is a LogNormal: ln median = mean of the logs, sd from the 95% quantile
    pr = _model(df, saturation="hill", priors={"hill_ec": (0.25, 4.0)})
    lo, hi = np.log(0.25), np.log(4.0)
    z = np.asarray(pr._core.initial_point())
    i = pr.parameter_names.index("log_ec[0]")
    z2 = z.copy()
    z2[i] += 1.5
    z95 = stats.norm.ppf(0.95)
    exact = {"hill_ec_log_median": (lo + hi) / 2, "hill_ec_sd_log": (hi - lo) / (2 * z95)}
    ref = _model(df, saturation="hill", priors=exact)
    default = _model(df, saturation="hill")
    d_pr = pr.log_density(z2)[0] - pr.log_density(z)[0]
    d_ref = ref.log_density(z2)[0] - ref.log_density(z)[0]
    d_default = default.log_density(z2)[0] - default.log_density(z)[0]
    assert abs(d_pr - d_ref) < 1e-9
    # against the default prior the difference is the two Normal kernels of ln ec (channel 0 moved)
    v, v2 = z[i], z2[i]
    m0, s0 = exact["hill_ec_log_median"], exact["hill_ec_sd_log"]
    kernel = -0.5 * ((v2 - m0) ** 2 - (v - m0) ** 2) / s0**2 + 0.5 * (v2**2 - v**2)
    assert d_pr - d_default == pytest.approx(kernel, abs=1e-9)
    assert abs(kernel) > 0.1
    again = pickle.loads(pickle.dumps(fit))
    pd.testing.assert_frame_equal(again.summary(), fit.summary())
    assert again.model._core.saturation_forms == ["hill", "hill"]


def test_hill_saturation_bad_input() -> None:
    df, _ = simulate_panel(32, geos=3, periods=30)
    with pytest.raises(ValueError, match="saturation of channel 'search' must be 'logistic' or 'hill'"):
        _model(df, saturation="michaelis")
    with pytest.raises(ValueError, match="saturation names 'tv', which is not a channel"):
        _model(df, saturation={"tv": "hill"})
    with pytest.raises(ValueError, match="hill_slope of channel 'social' is 0.5; expected a finite slope >= 1"):
        _model(df, saturation="hill", hill_slope={"social": 0.5})
    with pytest.raises(ValueError, match="hill_slope names 'tv'"):
        _model(df, hill_slope={"tv": 2.0})
    with pytest.raises(ValueError, match="prior 'hill_ec' must have 0 < low < high"):
        _model(df, saturation="hill", priors={"hill_ec": (2.0, 1.0)})
    with pytest.raises(ValueError, match="prior 'hill_ec' must be \\(low, high\\)"):
        _model(df, saturation="hill", priors={"hill_ec": 1.0})
    with pytest.raises(ValueError, match="PanelMMM: saturation must be 'logistic', 'hill' or a mapping"):
        _model(df, saturation=["hill", "logistic"])
    with pytest.raises(ValueError, match="hill_slope names 'search', whose curve is logistic"):
        _model(df, saturation={"social": "hill"}, hill_slope={"search": 2.0})
    with pytest.raises(ValueError, match="PanelMMM: hill_slope must be a number, got 'x'"):
        _model(df, saturation="hill", hill_slope="x")
    with pytest.raises(ValueError, match="an ec prior .* needs a Hill channel"):
        _model(df, priors={"hill_ec": (0.5, 2.0)})
    with pytest.raises(ValueError, match="not both"):
        _model(df, saturation="hill", priors={"hill_ec": (0.5, 2.0), "hill_ec_sd_log": 0.5})
    with pytest.raises(ValueError, match="prior 'hill_ec' low must be a number"):
        _model(df, saturation="hill", priors={"hill_ec": ("a", 2.0)})


def test_a_logistic_state_has_no_saturation_keys_and_old_states_load() -> None:
    """A logistic model's pickled arguments carry no saturation keys (code from before them
    loads it); a state without them loads as logistic; a Hill model's state keeps them."""
    df, _ = simulate_panel(33, geos=3, periods=30)
    m = _model(df)
    state = m.__getstate__()
    assert "saturation" not in state["kwargs"] and "hill_slope" not in state["kwargs"]
    again = pickle.loads(pickle.dumps(m))
    assert again._core.saturation_forms == ["logistic", "logistic"]
    hill = _model(df, saturation={"social": "hill"}, hill_slope={"social": 2.0})
    back = pickle.loads(pickle.dumps(hill))
    assert back._core.saturation_forms == ["logistic", "hill"]
    z = np.asarray(hill._core.initial_point())
    assert back.log_density(z)[0] == hill.log_density(z)[0]


# -- period effects and per-control pooling ----------------------------------------------------
def _shocked_panel(seed: int) -> tuple[pd.DataFrame, dict[str, Any], np.ndarray]:
    """simulate_panel plus a shock shared by every geo each week (per capita, sd 0.15: three
    times the noise), a national control ("index", the same in every geo) and a geo control
    ("price", its own series per geo, no effect)."""
    df, truth = simulate_panel(seed, geos=6, periods=60, noise=0.05)
    rng = np.random.default_rng(seed + 100)
    shock = 0.15 * rng.normal(size=60)
    t = np.repeat(np.arange(60), 6)
    df["sales"] = df["sales"] + shock[t] * df["pop"]
    df["index"] = np.repeat(rng.normal(size=60), 6)
    df["price"] = rng.normal(size=len(df))
    return df, truth, shock


def test_time_effects_are_period_effects_shared_by_the_geos() -> None:
    """time_effects=True gives T - 1 period effects shared by the geos (C++ PanelModelData::
    period_effects; test_mmm_panel.cpp checks them against indicator columns exactly); on a
    panel with shared weekly shocks they recover the shocks (as differences from the first
    week) and the channel effects, which the model without them gets worse. Exact gradients."""
    df, truth, shock = _shocked_panel(41)
    with pytest.warns(UserWarning, match="collinear with the period effects"):
        _model(df, time_effects=True, trend=True)
    m = _model(df, time_effects=True, controls=["price"], pooling={"effects": "partial", "controls": "partial"})
    assert [n for n in m.parameter_names if n.startswith("period_effect[")] == [
        f"period_effect[{t}]" for t in range(1, 60)
    ]
    assert not any(n.startswith("period[") for n in m._scales.baseline_names)  # no indicator columns
    assert m.pooling["time_effects"] == "complete" and m.pooling["controls"] == "partial"
    assert _fd_max_error(m, 9) < 1e-5
    # recovery: the period effects (scaled outcome per capita) against the shocks
    fit = _model(df, time_effects=True).fit("map", seed=1, max_iterations=5000)
    plain = _model(df).fit("map", seed=1, max_iterations=5000)
    assert fit.info["converged"] and plain.info["converged"]
    s = fit.summary()
    pe = s[s["parameter"] == "period_effect"]
    assert list(pe["term"])[:2] == ["2022-01-10", "2022-01-17"] and len(pe) == 59
    est = pe["mean"].to_numpy()
    est = est - est.mean()  # identified up to the level: centred against the shocks'
    true = (shock[1:] - shock[1:].mean()) / fit.model._scales.y_scale
    assert np.corrcoef(est, true)[0, 1] > 0.97
    assert np.polyfit(true, est, 1)[0] == pytest.approx(1.0, abs=0.1)
    err = np.median(np.abs(_beta(fit)["mean"].to_numpy().reshape(2, -1) / truth["beta"] - 1.0))
    err_plain = np.median(np.abs(_beta(plain)["mean"].to_numpy().reshape(2, -1) / truth["beta"] - 1.0))
    assert err < 0.15 and err < err_plain
    # the decomposition's base carries the period effects: its fit follows the shocks
    dec, dec_plain = fit.decompose(), plain.decompose()
    miss = np.abs(dec["observed"] - dec["fitted"]).mean()
    assert miss < 0.5 * np.abs(dec_plain["observed"] - dec_plain["fitted"]).mean()
    again = pickle.loads(pickle.dumps(fit.model))
    assert again.time_effects and again.parameter_names == fit.model.parameter_names


def test_shared_baseline_columns_are_the_per_geo_evaluation() -> None:
    """A control the same in every geo, pooled completely, is evaluated once for all geos;
    perturbing one geo's value by 1e-13 (so it is evaluated per geo) changes the log density
    and gradient only by that much. Exact gradients with shared and per-geo controls."""
    df, _, _ = _shocked_panel(43)
    m = _model(df, controls=["index", "price"], seasonality=2, trend=True)
    moved = df.copy()
    first = moved["geo"] == "g0"
    moved.loc[first, "index"] = moved.loc[first, "index"] * (1.0 + 1e-13)
    local = _model(moved, controls=["index", "price"], seasonality=2, trend=True)
    z = np.asarray(m._core.initial_point()) + np.random.default_rng(5).normal(0.0, 0.3, m._core.dimension)
    lp, g = m.log_density(z)
    lp2, g2 = local.log_density(z)
    assert lp == pytest.approx(lp2, rel=1e-11) and np.allclose(g, g2, rtol=1e-8, atol=1e-8)
    assert _fd_max_error(m, 7) < 1e-5
    own = _model(df, controls=["index", "price"], pooling={"index": "none", "price": "partial"})
    assert _fd_max_error(own, 8) < 1e-5


def test_time_effects_and_control_pooling_bad_input() -> None:
    df, _, _ = _shocked_panel(44)
    with pytest.raises(ValueError, match="time_effects must be True or False, got 'yes'"):
        _model(df, time_effects="yes")
    with pytest.raises(ValueError, match="pooling names 'cost': neither a group .*, a channel nor a control"):
        _model(df, controls=["price"], pooling={"cost": "partial"})
    with pytest.raises(ValueError, match="pooling\\['price'\\] must be one of none, partial, complete"):
        _model(df, controls=["price"], pooling={"price": "some"})
    with pytest.raises(ValueError, match="period_effect_sd must be finite and > 0"):
        _model(df, time_effects=True, priors={"period_effect_sd": 0.0})
    with pytest.raises(ValueError, match="prior 'period_effect_sd' .* needs time_effects=True"):
        _model(df, priors={"period_effect_sd": 1.0})
    # a state of version 1 built time_effects as indicator controls: refused, not misread
    state = _model(df, time_effects=True).__getstate__()
    assert state["version"] == 2
    old = tm.mmm.PanelMMM.__new__(tm.mmm.PanelMMM)
    with pytest.raises(ValueError, match="pickled with time_effects=True by a version that built"):
        old.__setstate__({**state, "version": 1})
    plain = _model(df).__getstate__()
    old.__setstate__({**plain, "version": 1})  # without time_effects version 1 loads as it was
    assert not old.time_effects


def test_hill_ec_normal_prior_is_meridians_family() -> None:
    """priors={"hill_ec_normal": (m, s)}: ec ~ Normal(m, s) truncated to ec > 0 on the free
    ln ec (with its Jacobian ln ec), Meridian's family; against the default LogNormal the
    log density moves by the two kernels' difference exactly. Exact gradients, bad input."""
    df, _ = simulate_panel(33, geos=4, periods=40, curve="hill")
    nm = _model(df, saturation="hill", priors={"hill_ec_normal": (0.8, 0.8)})
    same = _model(df, saturation="hill", priors={"hill_ec_mean": 0.8, "hill_ec_sd": 0.8})
    default = _model(df, saturation="hill")
    z = np.asarray(nm._core.initial_point())
    i = nm.parameter_names.index("log_ec[1]")
    z2 = z.copy()
    z2[i] += 0.7
    v, v2 = z[i], z2[i]
    d_nm = nm.log_density(z2)[0] - nm.log_density(z)[0]
    assert d_nm == same.log_density(z2)[0] - same.log_density(z)[0]
    d_default = default.log_density(z2)[0] - default.log_density(z)[0]
    normal = -0.5 * ((np.exp(v2) - 0.8) ** 2 - (np.exp(v) - 0.8) ** 2) / 0.64 + (v2 - v)
    lognormal = -0.5 * (v2**2 - v**2)  # ln ec ~ Normal(0, 1), on the free coordinate itself
    assert d_nm - d_default == pytest.approx(normal - lognormal, abs=1e-9)
    assert abs(normal - lognormal) > 0.1
    pooled = _model(df, saturation="hill", priors={"hill_ec_normal": (0.8, 0.8)}, pooling={"saturation": "partial"})
    assert _fd_max_error(pooled, 9) < 1e-5
    with pytest.raises(ValueError, match="give one ec prior: a LogNormal \\('hill_ec'\\) or a Normal"):
        _model(df, saturation="hill", priors={"hill_ec": (0.5, 2.0), "hill_ec_normal": (0.8, 0.8)})
    with pytest.raises(ValueError, match="'hill_ec_normal' must have a finite mean and 0 < sd, got \\(0.8, 0.0\\)"):
        _model(df, saturation="hill", priors={"hill_ec_normal": (0.8, 0.0)})
    with pytest.raises(ValueError, match="needs a Hill channel"):
        _model(df, priors={"hill_ec_normal": (0.8, 0.8)})
    with pytest.raises(ValueError, match="hill_ec_mean must be finite and hill_ec_sd finite and > 0"):
        _model(df, saturation="hill", priors={"hill_ec_mean": 0.8})


def test_partial_centred_is_the_same_model_in_another_parametrisation() -> None:
    """pooling "partial_centred" (baseline groups and controls): each geo's value free with
    v_g ~ Normal(m, tau). At the point corresponding to a non-centred one (v_g = m + tau
    eta_g) the log density is the non-centred one minus G ln tau (the Jacobian); the MAP
    fitted means agree; exact gradients; bad input."""
    df, _, _ = _shocked_panel(45)
    args: dict[str, Any] = dict(controls=["price"], trend=True)
    nc = _model(df, pooling={"effects": "partial", "intercept": "partial", "price": "partial"}, **args)
    ce = _model(df, pooling={"effects": "partial", "intercept": "partial_centred", "price": "partial_centred"}, **args)
    assert ce.pooling["intercept"] == "partial_centred" and ce.pooling["price"] == "partial_centred"
    names = ce.parameter_names
    assert list(ce._scales.baseline_names) == ["intercept", "trend", "price"]
    assert "b[0][0]" in names and "b[2][0]" in names and "b[1]_eta[0]" in names  # the trend stays non-centred
    assert "b[0]_eta[0]" in nc.parameter_names and nc.parameter_names != names
    G = 6
    z = np.asarray(nc._core.initial_point()) + np.random.default_rng(11).normal(0.0, 0.3, nc._core.dimension)
    zc = z.copy()
    jac = 0.0
    for k in (0, 2):  # intercept and price: v_g = m + tau eta_g
        loc, lt = names.index(f"b[{k}]_location"), names.index(f"log_b[{k}]_tau")
        zc[loc + 2 : loc + 2 + G] = z[loc] + np.exp(z[lt]) * z[loc + 2 : loc + 2 + G]
        jac += G * z[lt]
    assert ce.log_density(zc)[0] == pytest.approx(nc.log_density(z)[0] - jac, rel=1e-12)
    assert _fd_max_error(ce, 12) < 1e-5
    # the centred joint mode is degenerate (tau -> 0): the mode is the non-centred one, mapped
    f_nc = nc.fit("map", seed=1, max_iterations=5000)
    f_ce = ce.fit("map", seed=1, max_iterations=5000)
    assert f_ce.info["converged"] and f_ce.info["log_density"] == f_nc.info["log_density"]
    pd.testing.assert_frame_equal(_beta(f_ce), _beta(f_nc))
    s_ce, s_nc = f_ce.summary(), f_nc.summary()
    np.testing.assert_allclose(
        s_ce[s_ce["parameter"] == "b"]["mean"].to_numpy(), s_nc[s_nc["parameter"] == "b"]["mean"].to_numpy(), rtol=1e-12
    )
    with pytest.raises(ValueError, match="'partial_centred' applies to the baseline groups"):
        _model(df, pooling={"adstock": "partial_centred"})
    with pytest.raises(
        ValueError, match="pooling\\['price'\\] must be one of none, partial, complete \\(or partial_centred\\)"
    ):
        _model(df, controls=["price"], pooling={"price": "centred"})


def test_partial_centred_effects() -> None:
    """pooling={"effects": "partial_centred"}: ln beta[c, g] free, ln beta ~ Normal(m, tau);
    at the corresponding point the log density is the non-centred one minus G ln tau per
    channel, the MAP is the non-centred one's; exact gradient; a ROI prior's channel refuses it."""
    df, _, _ = _shocked_panel(46)
    nc = _model(df)
    ce = _model(df, pooling={"effects": "partial_centred"})
    assert ce._core.has_centred and "beta[0][0]" in ce.parameter_names and "beta[0]_eta[0]" in nc.parameter_names
    z = np.asarray(nc._core.initial_point()) + np.random.default_rng(13).normal(0.0, 0.3, nc._core.dimension)
    zc = np.asarray(ce._core.centred_point(z))
    jac = sum(6 * z[i] for i, n in enumerate(ce.parameter_names) if n.startswith("log_beta[") and n.endswith("]_tau"))
    assert ce.log_density(zc)[0] == pytest.approx(nc.log_density(z)[0] - jac, rel=1e-12)
    assert _fd_max_error(ce, 14) < 1e-5
    pd.testing.assert_frame_equal(_beta(ce.fit("map", seed=1)), _beta(nc.fit("map", seed=1)))
    one = _model(df, pooling={"effects": "partial", "social": "partial_centred"})
    assert "beta[1][0]" in one.parameter_names and "beta[0]_eta[0]" in one.parameter_names
    with pytest.raises(ValueError, match="centred names channel 'social', which has a ROI prior"):
        _model(df, pooling={"social": "partial_centred"}, value_per_outcome=1.0, priors={"roi": {"social": (0.5, 2.0)}})


# -- the apportioning share's uncertainty (share_sd) -------------------------------------------
def _share_world(seed: int, geos: int = 6, periods: int = 104, sd: float = 0.3) -> tuple[pd.DataFrame, np.ndarray]:
    """National tv whose true geo shares are the population shares times m_g (ln m_g ~
    Normal(0, sd), normalised so that the national activity is kept), social bought per geo,
    effects equal in every geo: the model's world with share_sd = sd. Returns the frame
    (tv given as its national activity) and the true m."""
    rng = np.random.default_rng(seed)
    pop = np.exp(rng.normal(0.0, 0.7, geos)) * 1e5
    w = pop / pop.sum()
    m = np.exp(sd * rng.normal(size=geos))
    m /= (w * m).sum()
    tv = rng.gamma(2.0, 0.5, periods) * (rng.random(periods) > 0.15)  # per capita of the nation
    social = rng.gamma(2.0, 0.5, (periods, geos))
    mu = (
        1.0
        + 0.5 * _adstock_logistic(tv[:, None] * m[None, :] / tv[tv > 0].mean(), 0.4, 1.0, 4)
        + 0.3 * _adstock_logistic(social, 0.3, 1.0, 4)
    )
    y = mu + 0.03 * rng.normal(size=mu.shape)
    return _long_frame(y, pop, tv=tv * pop.sum(), social=social * pop), m


def _share_model(df: pd.DataFrame, **kw: Any) -> tm.mmm.PanelMMM:
    return _model(df, "complete", channels={"tv": "conversion", "social": "conversion"}, national_channels=["tv"], **kw)


def test_uncertain_share_recovers_the_true_shares_and_moves_geo_spend() -> None:
    df, m_true = _share_world(7)
    model = _share_model(df, share_sd=0.3)
    assert model._core.share_channels == [0]
    fit = model.fit(method="map", seed=1)
    s = fit.summary()
    est = s[s["parameter"] == "share_multiplier"]
    assert list(est["term"]) == ["tv"] * 6 and list(est["geo"]) == [f"g{g}" for g in range(6)]
    m_hat = est["mean"].to_numpy()
    w = model.population[0] / model.population[0].sum()
    assert float(w @ m_hat) == pytest.approx(1.0, abs=1e-12)  # the national activity is kept
    err, known = np.abs(np.log(m_hat / m_true)).mean(), np.abs(np.log(m_true)).mean()
    assert np.corrcoef(np.log(m_hat), np.log(m_true))[0, 1] > 0.9 and err < 0.4 * known  # 0.044 vs 0.165 measured
    # a geo's spend moves with its share; the rolled-up spend is the national spend
    roi = fit.roi()
    tv = roi[roi["channel"] == "tv"].set_index("geo")
    given = np.asarray(model.spend_by_geo[0]).sum(axis=0)
    np.testing.assert_allclose(tv["spend"].to_numpy()[:6], given * m_hat, rtol=1e-12)
    assert tv.loc["total", "spend"] == pytest.approx(given.sum(), rel=1e-12)
    np.testing.assert_allclose(tv["cost_per_incremental"], tv["spend"] / tv["incremental"], rtol=1e-10)
    # without share_sd the same data's geo spend is the population share's
    plain = _share_model(df).fit(method="map", seed=1).roi()
    np.testing.assert_allclose(plain[plain["channel"] == "tv"]["spend"].to_numpy()[:6], given, rtol=1e-12)
    # pickles with its share_sd
    again = pickle.loads(pickle.dumps(fit))
    assert again.model.share_sd == {"tv": 0.3}
    np.testing.assert_allclose(again.summary()["mean"], s["mean"], rtol=1e-12)


def test_uncertain_share_intervals_cover_the_true_shares() -> None:
    # 3 worlds x 6 geos drawn from the model: the 90% intervals of m_g cover 16.2 of 18 on
    # average; at least 13 (2.5 binomial sds below) are required
    covered, total = 0, 0
    for seed in (11, 12, 13):
        df, m_true = _share_world(seed)
        with warnings.catch_warnings():  # diagnostics are asserted below
            warnings.simplefilter("ignore", tm.inference.InferenceWarning)
            fit = _share_model(df, share_sd=0.3).fit(
                method="nuts", chains=2, draws=500, tune=500, seed=seed, progress=False
            )
        assert fit.posterior.divergences <= 10, (seed, fit.posterior.divergences)
        s = fit.summary()
        assert s["r_hat"].max() < 1.05, seed
        r = s[s["parameter"] == "share_multiplier"]
        covered += int(((r["low"].to_numpy() <= m_true) & (m_true <= r["high"].to_numpy())).sum())
        total += len(m_true)
    assert total == 18 and covered >= 13


def test_uncertain_share_bad_input_and_warning() -> None:
    df, _ = _share_world(3, geos=3, periods=30)
    with pytest.raises(ValueError, match="share_sd names 'social', which is bought per geo"):
        _share_model(df, share_sd={"social": 0.2})
    with pytest.raises(ValueError, match="share_sd names 'radio', which is not a channel"):
        _share_model(df, share_sd={"radio": 0.2})
    with pytest.raises(ValueError, match=r"share_sd\['tv'\] must be a finite number >= 0"):
        _share_model(df, share_sd=-0.1)
    with pytest.raises(ValueError, match="share_sd needs national_channels"):
        _model(df, channels={"tv": "conversion", "social": "conversion"}, share_sd=0.2)
    assert _share_model(df, share_sd=0.0)._core.share_channels == []  # 0: the share is known
    df["pr"] = df["tv"] * 0.5
    with pytest.warns(UserWarning, match="share_sd of 'pr' has no effect"):
        m = _model(
            df,
            channels={"pr": "trust", "tv": "conversion", "social": "both"},
            national_channels=["pr", "tv"],
            trust="national",
            share_sd=0.2,
        )
    assert m._core.share_channels == [1]
    assert _fd_max_error(m, 4) < 1e-5


# -- the bounded trust form and the share tracker ----------------------------------------------
@pytest.mark.parametrize("trust", ["national", "national+geo"])
def test_bounded_share_stock_has_exact_gradients_names_and_pickles(trust: str) -> None:
    """The bounded national stock measured by the per-geo survey share (tracker_share) and by
    a national one: exact gradients, the national model's parameter names, a stock in [0, 1],
    and a pickle that keeps the form; an old state without trust_form loads linear."""
    m = _survey_panel(trust=trust, trust_form="bounded", tracker_share=True, tracker_n="asked", noise="ar1")
    assert m._core.bounded and m._core.tracker_share and m.trust_form == "bounded"
    assert _fd_max_error(m, 4) < 1e-5
    names = list(m.parameter_names)
    for n in ("logit_initial_share", "tracker_share_level", "logit_trust_base", "log_mean_trust_hazard"):
        assert n in names
    assert "log_tracker_b" not in names
    cn = list(m._core.constrained_names)
    assert "trust_base" in cn and "trust_inflow" in cn
    rng = np.random.default_rng(1)
    z0 = np.asarray(m._core.initial_point())
    for _ in range(5):
        stock = np.asarray(m._core.forward(z0 + rng.normal(0.0, 1.0, z0.size)).stock)
        assert stock.min() >= 0.0 and stock.max() <= (1.0 if trust == "national" else np.inf)
    again = pickle.loads(pickle.dumps(m))
    assert again._core.bounded and again.log_density(z0)[0] == m.log_density(z0)[0]
    state = m.__getstate__()
    del state["kwargs"]["trust_form"], state["kwargs"]["tracker_share"]  # a state from before trust_form=
    old = tm.mmm.PanelMMM.__new__(tm.mmm.PanelMMM)
    old.__setstate__(state)
    assert old.trust_form == "linear" and not old._core.bounded
    # a national survey (the same share on every geo's row) against the national stock
    df, _ = simulate_panel(5, geos=4, periods=50)
    df["pr"] = np.repeat(np.abs(np.sin(np.arange(50) / 5.0)), 4) * 1e6
    df["survey"] = np.repeat(np.where(np.arange(50) % 4 == 0, 0.3 + 0.002 * np.arange(50), np.nan), 4)
    nat = _model(
        df,
        channels={"pr": "trust", "search": "conversion", "social": "both"},
        national_channels=["pr"],
        tracker="survey",
        trust=trust,
        trust_form="bounded",
        tracker_share=True,
    )
    assert nat.tracker_level == "national" and _fd_max_error(nat, 5) < 1e-5


def _bounded_survey_panel(
    crisis_week: int | None = None, every: int = 1
) -> tuple[pd.DataFrame, np.ndarray, dict[str, Any]]:
    """A panel (4 geos x 80 weeks) whose national share of trusting people follows the
    bounded recursion (decay to 0.3 with retention 0.95, 8% of the untrusting gained per PR
    flight week, exp(-0.3) kept in a crisis week), measured every ``every`` weeks by a
    survey of 2,000; (frame, the true share, PanelMMM arguments for the bounded share)."""
    df, _ = simulate_panel(7, geos=4, periods=80)
    t = np.arange(80)
    pr = np.where(t % 8 < 3, 1.0, 0.0) * 1e6
    df["pr"] = np.repeat(pr, 4)
    crisis = (t == crisis_week).astype(float)
    if crisis_week is not None:
        df["crisis"] = np.repeat(crisis, 4)
    share, s = np.empty(80), 0.30
    for i in range(80):
        s = np.exp(-0.3 * crisis[i]) * (1 - ((1 - 0.95) * (1 - 0.30) + 0.95 * (1 - s)) * np.exp(-0.08 * (pr[i] > 0)))
        share[i] = s
    rng = np.random.default_rng(3)
    survey = np.clip(share + rng.normal(0.0, 0.011, 80), 0.0, 1.0)
    df["survey"] = np.repeat(np.where(t % every == 0, survey, np.nan), 4)
    df["asked"] = 2000.0
    kw: dict[str, Any] = dict(
        channels={"pr": "trust", "search": "conversion", "social": "both"},
        national_channels=["pr"],
        tracker="survey",
        tracker_n="asked",
        trust="national",
        trust_form="bounded",
        tracker_share=True,
    )
    return df, share, kw


def test_bounded_share_stock_map_follows_the_survey() -> None:
    """Fitted to a panel whose survey measures a share that climbs from 0.30 to 0.45 with the
    PR flights, the MAP stock sits on the survey (its level is what the share tracker
    anchors): within 0.03 of every measured value on average, with a house bias under 0.03."""
    df, share, kw = _bounded_survey_panel(every=2)
    t = np.arange(80)
    m = _model(df, **kw)
    fit = m.fit("map")
    stock = np.asarray(m._core.forward(fit.z).stock)[:, 0]
    measured = t % 2 == 0
    assert np.mean(np.abs(stock[measured] - share[measured])) < 0.03
    s = fit.summary()
    assert abs(float(s.loc["tracker_a", "mean"])) < 0.03
    assert 0.0 < float(s.loc["trust_base", "mean"]) < 1.0


def test_bounded_share_stock_bad_input() -> None:
    with pytest.raises(ValueError, match="trust_form must be 'linear' or 'bounded', got 'share'"):
        _survey_panel(trust_form="share")
    with pytest.raises(ValueError, match="trust_form='bounded' needs one national stock"):
        _survey_panel(trust="geo", trust_form="bounded")
    with pytest.raises(ValueError, match="tracker_share=True needs trust_form='bounded' and a tracker"):
        _survey_panel(tracker_share=True)
    with pytest.raises(ValueError, match="tracker_share must be True or False"):
        _survey_panel(trust_form="bounded", tracker_share="yes")
    df, _ = simulate_panel(5, geos=4, periods=50)
    df["pr"] = 1e6
    df["survey"] = 0.4
    week = df["week"].iloc[8]
    df.loc[(df["geo"] == "g1") & (df["week"] == week), "survey"] = 40.0  # a percentage, not a share
    with pytest.raises(ValueError, match=f"column 'survey': geo 'g1', date {week.date()} is 40.0; with tracker_share"):
        _model(
            df,
            channels={"pr": "trust", "search": "conversion"},
            national_channels=["pr"],
            tracker="survey",
            trust="national",
            trust_form="bounded",
            tracker_share=True,
        )


# -- crises that damage trust (shocks) ---------------------------------------------------------
def test_shocks_have_exact_gradients_summary_rows_and_pickle() -> None:
    df, _ = simulate_panel(5, geos=4, periods=50)
    df["pr"] = np.repeat(np.abs(np.sin(np.arange(50) / 5.0)), 4) * 1e6
    df["crisis"] = np.repeat((np.arange(50) == 20).astype(float), 4)
    rng = np.random.default_rng(0)
    df["survey"] = np.where(np.arange(len(df)) % 3 == 0, rng.normal(0.5, 0.1, len(df)), np.nan)
    kw: dict[str, Any] = dict(
        channels={"pr": "trust", "search": "conversion", "social": "both"},
        national_channels=["pr"],
        tracker="survey",
        shocks=["crisis"],
    )
    for trust in ("national", "geo"):
        m = _model(df, trust=trust, **kw)
        assert "log_omega[0]" in m.parameter_names and _fd_max_error(m, 6) < 1e-5
        fit = m.fit("map")
        row = fit.summary().loc["omega[0]"]
        assert row["parameter"] == "omega" and row["term"] == "crisis" and row["mean"] > 0.0
        again = pickle.loads(pickle.dumps(m))
        z = np.asarray(m._core.initial_point())
        assert again.shock_names == ["crisis"] and again.log_density(z)[0] == m.log_density(z)[0]
    assert "shocks" not in _model(df, trust="national", **{**kw, "shocks": ()}).__getstate__()["kwargs"]


def test_a_crisis_in_the_survey_is_recovered_as_its_damage() -> None:
    """The bounded share, measured by a survey of 2,000 a wave, loses exp(-0.3) of itself in
    a crisis week: the MAP damage omega is within 0.1 of 0.3, and without the crisis column
    the fit misses the survey's drop."""
    df, share, kw = _bounded_survey_panel(crisis_week=40)
    fit = _model(df, shocks=["crisis"], **kw).fit("map")
    assert abs(float(fit.summary().loc["omega[0]", "mean"]) - 0.3) < 0.1
    stock = np.asarray(fit.model._core.forward(fit.z).stock)[:, 0]
    assert np.mean(np.abs(stock[38:48] - share[38:48])) < 0.03
    plain = _model(df, **kw).fit("map")
    stock0 = np.asarray(plain.model._core.forward(plain.z).stock)[:, 0]
    assert np.mean(np.abs(stock0[38:48] - share[38:48])) > np.mean(np.abs(stock[38:48] - share[38:48]))


def test_shocks_bad_input() -> None:
    df, _ = simulate_panel(5, geos=4, periods=50)
    df["pr"] = 1e6
    df["crisis"] = 0.0
    kw: dict[str, Any] = dict(channels={"pr": "trust", "search": "conversion"}, national_channels=["pr"])
    with pytest.raises(ValueError, match="need a trust stock"):
        _model(df, shocks=["crisis"], **kw)
    week = df["week"].iloc[8]
    bad = df.copy()
    bad.loc[(bad["geo"] == "g2") & (bad["week"] == week), "crisis"] = 1.0
    with pytest.raises(ValueError, match=f"shock 'crisis' differs across geos on {week.date()}"):
        _model(bad, trust="national", shocks=["crisis"], **kw)
    bad["crisis"] = -1.0
    with pytest.raises(ValueError, match="a shock \\(crisis intensity\\) must be >= 0"):
        _model(bad, trust="national", shocks=["crisis"], **kw)
    with pytest.raises(ValueError, match="column\\(s\\) 'no_such_column' not in data"):
        _model(df, trust="national", shocks=["no_such_column"], **kw)


# -- lift tests (geo experiments) --------------------------------------------------------------
def _lift_panel(**kw: Any) -> tm.mmm.PanelMMM:
    df, _ = simulate_panel(5, geos=4, periods=50)
    df["pr"] = np.repeat(np.abs(np.sin(np.arange(50) / 5.0)), 4) * 1e6
    args: dict[str, Any] = dict(
        channels={"pr": "trust", "search": "conversion", "social": "conversion"},
        national_channels=["pr"],
        trust="national",
    )
    args.update(kw)
    return _model(df, **args)


def test_lift_tests_predict_the_models_own_lift_and_pull_the_fit() -> None:
    """A test that reports the MAP's own predicted lift leaves the mode where it was; one
    that reports twice as much (tight: no transfer sd) pulls the calibrated prediction most
    of the way there, through the tested channel in the treated geos; the calibration table
    reports it."""
    base = _lift_panel()
    fit0 = base.fit("map")
    weeks = base.dates
    test = {"channel": "social", "geos": "g0, g2", "start": weeks[20], "end": weeks[27], "cooldown": 3}
    probe = _lift_panel(lift_tests=[{**test, "lift": 1.0, "standard_error": 1.0}])
    pred = float(np.asarray(probe._core.predicted_lift_draws(fit0.z[None, :]))[0, 0]) * float(probe._scales.y_scale)
    assert pred > 0.0
    # the uncalibrated fit's own prediction of a test not in its likelihood: the same number
    ahead = fit0.predict_lift([{**test, "lift": 1.0, "standard_error": 1.0}])
    assert ahead["predicted"].iloc[0] == pytest.approx(pred, rel=1e-12)
    assert ahead["z"].iloc[0] == pytest.approx((1.0 - pred) / math.hypot(1.0, 0.1), rel=1e-12)
    assert fit0.calibration().empty and fit0.predict_lift([]).empty
    with pytest.raises(ValueError, match="channel 'tv' is not a channel"):
        fit0.predict_lift([{**test, "channel": "tv", "lift": 1.0, "standard_error": 1.0}])
    own = _lift_panel(lift_tests=[{**test, "lift": pred, "standard_error": 0.05 * pred}]).fit("map")
    s0, s1 = fit0.summary(), own.summary()
    beta = (s0["parameter"] == "beta") & (s0["term"] == "social")
    assert np.allclose(s1.loc[beta, "mean"], s0.loc[beta, "mean"], rtol=2e-3)
    assert abs(own.calibration()["predicted"].iloc[0] / pred - 1.0) < 2e-3
    double = _lift_panel(
        lift_tests=[{**test, "lift": 2.0 * pred, "standard_error": 0.05 * pred, "transfer_fraction": 0.0}]
    ).fit("map")
    tab = double.calibration()
    pd.testing.assert_frame_equal(double.predict_lift([double.model.lift_test_records[0]["input"]]), tab)
    assert list(tab["geos"]) == ["g0, g2"] and tab["measured_end"].iloc[0] == weeks[30]
    assert tab["transfer_sd"].iloc[0] == 0.0 and tab["observed"].iloc[0] == 2.0 * pred
    assert tab["predicted"].iloc[0] > 1.7 * pred  # pulled from pred most of the way to 2 pred
    s2 = double.summary()
    treated = beta & s0["geo"].isin(["g0", "g2"])
    assert (s2.loc[treated, "mean"].to_numpy() > s0.loc[treated, "mean"].to_numpy()).all()


def test_lift_tests_have_exact_gradients_and_pickle() -> None:
    weeks = _lift_panel().dates
    m = _lift_panel(
        lift_tests=[
            {"channel": "social", "geos": ["g1"], "start": 10, "end": 14, "lift": 30.0, "standard_error": 3000.0},
            {
                "channel": "search",
                "geos": "g0,g3",
                "start": weeks[30],
                "end": weeks[35],
                "measured_end": weeks[38],
                "lift": 80.0,
                "standard_error": 2000.0,
                "transfer_sd": 400.0,
            },
        ]
    )
    assert m._core.lift_test_count == 2 and _fd_max_error(m, 7) < 1e-5
    again = pickle.loads(pickle.dumps(m))
    z = np.asarray(m._core.initial_point()) + 0.1
    assert again.log_density(z)[0] == m.log_density(z)[0]
    assert "lift_tests" not in _lift_panel().__getstate__()["kwargs"]
    # a trustmix.evaluate LiftTest as it is: its treated units are the geos, its measured_end the last period
    lt = tm.evaluate.LiftTest(
        channel="social",
        units=["g1", "g3"],
        start=weeks[12],
        end=weeks[17],
        cooldown=2,
        lift=55.0,
        standard_error=9.0,
        relative_lift=0.04,
        notes=["synthetic control"],
        measured_end=weeks[19],
    )
    from_eval = _lift_panel(lift_tests=[lt])
    rec = from_eval.lift_test_records[0]
    assert rec["geos"] == "g1, g3" and rec["measured_end"] == weeks[19] and rec["transfer_sd"] == pytest.approx(5.5)
    same = _lift_panel(
        lift_tests=[
            {"channel": "social", "geos": ["g1", "g3"], "start": 12, "end": 17, "measured_end": 19, "lift": 55.0}
            | {"standard_error": 9.0}
        ]
    )
    assert from_eval.log_density(z)[0] == same.log_density(z)[0]


def test_lift_test_on_a_trust_channel_with_geo_stocks() -> None:
    """Under per-geo stocks (trust="geo") a regional PR test is a lift test too: its
    counterfactual lowers the treated geos' stocks, so the predicted lift keeps growing over
    a cooldown longer than the adstock's reach (max_lag 4), by the stock's memory alone; a
    test that measured twice the model's lift, tight, pulls the fit there through the trust
    parameters (kappa, the geos' decay, gamma), since PR converts nothing itself."""
    geo = {"trust": "geo", "national_channels": [], "max_lag": 4}
    base = _lift_panel(**geo)
    fit0 = base.fit("map")
    weeks = base.dates
    test = {"channel": "pr", "geos": "g0, g2", "start": weeks[20], "end": weeks[24], "lift": 1.0, "standard_error": 1.0}
    lifts = [fit0.predict_lift([{**test, "cooldown": k}])["predicted"].iloc[0] for k in (0, 4, 12, 20)]
    assert lifts[0] > 0.0
    assert lifts[1] < lifts[2] < lifts[3]  # past the adstock's 4 periods: the stock alone
    # the stock's share of the lift beyond the adstock decays geometrically, so it adds less each period
    assert lifts[3] - lifts[2] < lifts[2] - lifts[1]
    pred = lifts[2]
    cooled = {**test, "cooldown": 12, "transfer_fraction": 0.0}
    double = _lift_panel(**geo, lift_tests=[{**cooled, "lift": 2.0 * pred, "standard_error": 0.05 * pred}]).fit("map")
    moved = double.calibration()["predicted"].iloc[0]
    assert 1.5 * pred < moved < 2.0 * pred
    s0, s1 = fit0.summary(), double.summary()
    trust_rows = s0["parameter"].isin(["gamma", "kappa", "delta"])
    assert trust_rows.any()
    assert not np.allclose(s1.loc[trust_rows, "mean"], s0.loc[trust_rows, "mean"], rtol=1e-2)
    with pytest.raises(ValueError, match="lift test 0 on 'pr': it feeds the national trust stock"):
        _lift_panel(lift_tests=[cooled | {"lift": pred, "standard_error": 1.0}])


def test_week_by_week_lift_test_speaks_to_the_trust_decay() -> None:
    """A week-by-week test (``period_lift``, ``period_standard_error``: one term per measured
    week) of a one-week PR burst in two regions under per-geo stocks. Its weekly lifts as the
    fitted model predicts them (differences of the totals over growing cooldowns) leave the
    mode in place; the same total spread so that it lasts longer pulls the geos' trust decay
    up, and one that fades faster pulls it down: the lift's shape over the cooldown, not
    only its sum, reaches delta."""
    geo = {"trust": "geo", "national_channels": [], "max_lag": 4}
    base = _lift_panel(**geo)
    fit0 = base.fit("map")
    weeks = base.dates
    burst = {"channel": "pr", "geos": "g0, g2", "start": weeks[20], "end": weeks[20]}
    totals = np.array(
        [
            fit0.predict_lift([{**burst, "cooldown": k, "lift": 1.0, "standard_error": 1.0}])["predicted"].iloc[0]
            for k in range(13)
        ]
    )
    own = np.diff(totals, prepend=0.0)  # the model's lift in each of the 13 measured weeks
    assert np.all(own > 0.0)

    def delta(weekly: np.ndarray) -> float:
        test = {
            **burst,
            "cooldown": 12,
            "period_lift": weekly,
            "period_standard_error": np.full_like(weekly, 0.02 * weekly.sum()),
        }
        fit = _lift_panel(**geo, lift_tests=[{**test, "transfer_fraction": 0.0}]).fit("map")
        summ = fit.summary()
        return float(summ.loc[summ["parameter"] == "delta", "mean"].iloc[0])

    d0 = float(fit0.summary().query("parameter == 'delta'")["mean"].iloc[0])
    assert delta(own) == pytest.approx(d0, rel=2e-3)
    k = np.arange(13)
    longer, shorter = own * 1.06**k, own * 0.94**k
    longer *= own.sum() / longer.sum()
    shorter *= own.sum() / shorter.sum()
    assert delta(longer) > d0 + 0.005 and delta(shorter) < d0 - 0.005
    rec = _lift_panel(**geo, lift_tests=[{**burst, "cooldown": 12, "period_lift": own, "period_standard_error": own}])
    r = rec.lift_test_records[0]
    assert r["lift"] == pytest.approx(own.sum()) and r["standard_error"] == pytest.approx(np.sqrt(np.sum(own**2)))
    # the weeks' transfer errors are one error: the total's transfer sd is the sum of theirs
    assert r["transfer_sd"] == pytest.approx(0.1 * np.sum(np.abs(own)))
    with pytest.raises(ValueError, match="need one value per measured period \\(13: "):
        _lift_panel(
            **geo, lift_tests=[{**burst, "cooldown": 12, "period_lift": own[:5], "period_standard_error": own[:5]}]
        )


def test_lift_tests_bad_input() -> None:
    ok = {"channel": "social", "geos": "g1", "start": 10, "end": 14, "lift": 30.0, "standard_error": 5.0}
    with pytest.raises(ValueError, match="lift_tests\\[0\\]: geo 'g9' is not a geo of the panel"):
        _lift_panel(lift_tests=[{**ok, "geos": "g9"}])
    with pytest.raises(ValueError, match="missing 'geos'"):
        _lift_panel(lift_tests=[{k: v for k, v in ok.items() if k != "geos"}])
    national = "it feeds the national trust stock \\(role {}, trust national\\); removing it in the treated geos"
    with pytest.raises(ValueError, match="lift test 0 on 'pr': " + national.format("trust")):
        _lift_panel(lift_tests=[{**ok, "channel": "pr"}])
    with pytest.raises(ValueError, match="lift test 0 on 'social': " + national.format("both")):
        _lift_panel(channels={"pr": "trust", "search": "conversion", "social": "both"}, lift_tests=[ok])
    with pytest.raises(ValueError, match="unknown or unsupported field\\(s\\) 'share'"):
        _lift_panel(lift_tests=[{**ok, "share": 0.5}])
    with pytest.raises(ValueError, match="end \\(.*\\) is before start"):
        _lift_panel(lift_tests=[{**ok, "start": 20}])
    with pytest.raises(ValueError, match="standard_error must be finite and > 0"):
        _lift_panel(lift_tests=[{**ok, "standard_error": 0.0}])


def test_lift_tests_counterfactual_activity_for_a_holdout_in_the_data() -> None:
    """The counterfactual replaces the window's activity (default 0, the activity removed):
    the data's own activity as the counterfactual predicts no lift at all, an explicit 0 is
    the default; a holdout in the data (the channel dark in the treated geos) is refused
    without its plan and, given it, predicts a negative lift (as run minus as planned)."""
    base = _lift_panel()
    weeks = base.dates
    z = np.asarray(base._core.initial_point())[None, :]
    test = {"channel": "social", "geos": ["g0", "g2"], "start": weeks[20], "end": weeks[27], "cooldown": 3}
    test |= {"lift": 1.0, "standard_error": 1.0}
    own = base._data.pivot(index="week", columns="geo", values="social")[["g0", "g2"]].iloc[20:28].to_numpy()

    def pred(m: tm.mmm.PanelMMM) -> float:
        return float(np.asarray(m._core.predicted_lift_draws(z))[0, 0]) * float(m._scales.y_scale)

    removed = pred(_lift_panel(lift_tests=[test]))
    assert removed > 0.0
    assert pred(_lift_panel(lift_tests=[{**test, "counterfactual": 0.0}])) == pytest.approx(removed, rel=1e-12)
    assert pred(_lift_panel(lift_tests=[{**test, "counterfactual": own}])) == pytest.approx(0.0, abs=1e-9 * removed)
    more = pred(_lift_panel(lift_tests=[{**test, "counterfactual": 2.0 * own}]))
    assert -removed < more < 0.0  # doubling adds less than the activity did (saturation)
    # a holdout in the data: refused without its plan, negative with it
    dark = base._data.copy()
    held = dark["geo"].isin(["g0", "g2"]) & dark["week"].between(weeks[20], weeks[27])
    dark.loc[held, "social"] = 0.0
    args = dict(channels={"pr": "trust", "search": "conversion", "social": "conversion"}, national_channels=["pr"])
    with pytest.raises(ValueError, match="no activity in the treated geos over the window"):
        _model(dark, trust="national", lift_tests=[test], **args)
    m = _model(dark, trust="national", lift_tests=[{**test, "lift": -1.0, "counterfactual": own}], **args)
    assert float(np.asarray(m._core.predicted_lift_draws(np.asarray(m._core.initial_point())[None, :]))[0, 0]) < 0.0
    with pytest.raises(ValueError, match="counterfactual must be one number, or 8 x 2"):
        _lift_panel(lift_tests=[{**test, "counterfactual": own[:4]}])
    assert pickle.loads(pickle.dumps(m)).log_density(np.asarray(m._core.initial_point()))[0] == pytest.approx(
        m.log_density(np.asarray(m._core.initial_point()))[0], rel=1e-12
    )
