"""AR(1) residuals of the trust-linked model (``TrustMMM(noise="ar1")``): the gradient
against finite differences (linear and bounded forms), the likelihood against the dense
multivariate normal density with the AR(1) covariance (numpy's linear algebra, no
recursion), recovery of phi and the channel effects on data drawn from the model with
AR(1) noise, predictive draws, pickling, bad input."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix.mmm import TrustFit, simulate_trust_data

ROLES = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}


def _model(data: pd.DataFrame, **kwargs: Any) -> tm.TrustMMM:
    return tm.TrustMMM(
        data, date="week", outcome="conversions", channels=ROLES, tracker="trust_survey", shocks=["crisis"], **kwargs
    )


def _ar1_path(T: int, phi: float, sigma: float, seed: int) -> np.ndarray:
    """A stationary AR(1) path e[t] = phi e[t-1] + sigma N(0, 1), e[0] ~ N(0, sigma^2 / (1 - phi^2))."""
    rng = np.random.default_rng(seed)
    e = np.empty(T)
    e[0] = sigma * rng.standard_normal() / np.sqrt(1.0 - phi * phi)
    for t in range(1, T):
        e[t] = phi * e[t - 1] + sigma * rng.standard_normal()
    return e


def _mvn_logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    """ln N(x; mean, cov) = -(r' cov^-1 r + ln det cov + T ln 2 pi) / 2 by dense linear algebra."""
    r = x - mean
    sign, logdet = np.linalg.slogdet(cov)
    assert sign > 0
    return float(-0.5 * (r @ np.linalg.solve(cov, r) + logdet + len(x) * np.log(2 * np.pi)))


def _norm_logpdf(x: np.ndarray, mean: np.ndarray, sd: float) -> float:
    return float(np.sum(-0.5 * ((x - mean) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)))


def _check_gradient(model: tm.TrustMMM, z: np.ndarray) -> None:
    _, g = model.log_density(z)
    h = 1e-5
    for i in range(len(z)):
        e = np.zeros_like(z)
        e[i] = h
        fd = (model.log_density(z + e)[0] - model.log_density(z - e)[0]) / (2 * h)
        assert g[i] == pytest.approx(fd, rel=1e-5, abs=1e-6), model.parameter_names[i]


@pytest.mark.parametrize("trust_form", ["linear", "bounded"])
@pytest.mark.parametrize("likelihood", ["normal", "lognormal"])
def test_gradient_with_ar1_noise(trust_form: str, likelihood: str) -> None:
    data, _ = simulate_trust_data(80, seed=2, likelihood=likelihood, trust_form=trust_form)
    model = _model(data, noise="ar1", trust_form=trust_form, likelihood=likelihood)
    assert model.parameter_names[-1] == "atanh_ar1_phi"
    rng = np.random.default_rng(1)
    z0 = np.asarray(model._core.initial_point())
    checked = 0
    for phi_free in (0.8, -0.4):
        z = z0 + rng.normal(0.0, 0.1, z0.shape)
        z[-1] = phi_free
        if np.isfinite(model.log_density(z)[0]):
            _check_gradient(model, z)
            checked += 1
    assert checked == 2


@pytest.mark.parametrize("likelihood", ["normal", "lognormal"])
def test_likelihood_equals_the_dense_multivariate_normal(likelihood: str) -> None:
    # The iid and AR(1) models at the same parameters differ only by their likelihoods and
    # the AR(1) prior atanh phi ~ Normal(0, ar1_sd), whose log density enters without its constant.
    data, _ = simulate_trust_data(60, seed=4, likelihood=likelihood)
    iid, ar = _model(data, likelihood=likelihood, noise="iid"), _model(data, likelihood=likelihood, noise="ar1")
    z = np.asarray(iid._core.initial_point())
    za = 0.6
    lp_iid, _ = iid.log_density(z)
    lp_ar, _ = ar.log_density(np.append(z, za))
    mu = np.asarray(iid._core.forward(z).mu)
    s = float(iid._core.constrain(z).sigma)
    phi = np.tanh(za)
    y = iid._y
    T = len(y)
    cov = s * s * phi ** np.abs(np.subtract.outer(np.arange(T), np.arange(T))) / (1 - phi * phi)
    if likelihood == "normal":
        ll_iid = _norm_logpdf(y, mu, s)
        ll_ar = _mvn_logpdf(y, mu, cov)
    else:  # densities of y: ln y's density minus sum ln y
        ll_iid = _norm_logpdf(np.log(y), np.log(mu) - s * s / 2, s) - np.log(y).sum()
        ll_ar = _mvn_logpdf(np.log(y), np.log(mu) - s * s / (2 * (1 - phi * phi)), cov) - np.log(y).sum()
    prior = -0.5 * za * za / ar._core.priors["ar1_sd"] ** 2
    assert lp_ar - lp_iid == pytest.approx(ll_ar - ll_iid + prior, abs=1e-10)


@pytest.fixture(scope="module")
def ar1_data() -> tuple[pd.DataFrame, dict[str, Any]]:
    data, truth = simulate_trust_data(208, seed=3, noise=1e-9)
    data["conversions"] = truth["mu"] + _ar1_path(208, 0.6, 8.0, seed=11)
    return data, truth


def test_recovers_phi_and_channel_effects(ar1_data: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    data, truth = ar1_data
    model = _model(data, noise="ar1")
    fit = model.fit(seed=1)
    assert fit.info["converged"]
    p = fit.params
    assert p["ar1_phi"] == pytest.approx(0.6, abs=0.12)  # sd of phi-hat about 0.055 at T = 208
    assert p["sigma"] * model.y_scale == pytest.approx(8.0, rel=0.2)
    assert p["delta"] == pytest.approx(truth["delta"], abs=0.03)
    f = fit._forward()
    for j, s in enumerate(model.conversion_channels):
        fitted_total = (f.conversion_own[:, j] + f.amplification[:, j]).sum() * model.y_scale
        assert fitted_total == pytest.approx(truth["contribution"][s].sum(), rel=0.2), s
    table = fit.summary()
    assert table.loc["residual AR(1) phi", "value"] == pytest.approx(p["ar1_phi"], rel=1e-12)


def test_predictive_draws_have_ar1_noise(ar1_data: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    data, _ = ar1_data
    model = _model(data, noise="ar1")
    z = np.asarray(model._core.initial_point())
    z[model.parameter_names.index("log_sigma")] = np.log(0.1)
    z[-1] = np.arctanh(0.7)
    fit = TrustFit(model, z, {})
    draws = fit.sample_posterior_predictive(max_draws=300, seed=2).to_numpy()  # T x 300 at one point
    r = draws / model.y_scale - np.asarray(model._core.forward(z).mu)[:, None]
    var = (r**2).mean()
    lag1 = (r[1:] * r[:-1]).mean() / var
    assert var == pytest.approx(0.01 / 0.51, rel=0.05)
    assert lag1 == pytest.approx(0.7, abs=0.03)
    again = fit.sample_posterior_predictive(max_draws=300, seed=2).to_numpy()
    assert np.array_equal(draws, again)


def test_pickle_and_repr() -> None:
    data, _ = simulate_trust_data(60, seed=5)
    model = _model(data, noise="ar1")
    state = model.__getstate__()
    assert state["version"] == 3 and state["kwargs"]["noise"] == "ar1"
    back = pickle.loads(pickle.dumps(model))
    assert back.noise == "ar1" and back.parameter_names == model.parameter_names
    z = np.asarray(model._core.initial_point()) + 0.05
    assert back.log_density(z)[0] == model.log_density(z)[0]
    assert "noise='ar1'" in repr(model)
    # The default is AR(1) (normal and lognormal likelihoods). iid noise keeps the version-1
    # state without a noise entry (older readers load it), and a version-1 state (no noise
    # key) loads as iid.
    assert _model(data).noise == "ar1" and _model(data).__getstate__()["kwargs"]["noise"] == "ar1"
    plain = _model(data, noise="iid")
    s1 = plain.__getstate__()
    assert s1["version"] == 1 and "noise" not in s1["kwargs"]
    assert pickle.loads(pickle.dumps(plain)).noise == "iid"


def test_bad_input() -> None:
    data, _ = simulate_trust_data(60, seed=6, likelihood="negative_binomial", noise=30.0)
    with pytest.raises(ValueError, match="negative_binomial"):
        _model(data, likelihood="negative_binomial", noise="ar1")
    with pytest.raises(ValueError, match="noise must be 'iid' or 'ar1'"):
        _model(data, noise="ar2")
    with pytest.raises(ValueError, match="negative binomial"):  # the C++ core refuses it too
        tm._core.mmm.TrustModel(
            np.ones((20, 1)),
            [False],
            [True],
            np.ones((20, 1)),
            np.zeros((20, 0)),
            np.arange(20.0),
            np.zeros(0),
            max_lag=2,
            trust_enabled=False,
            likelihood="negative_binomial",
            noise="ar1",
        )


@pytest.mark.parametrize("likelihood", ["normal", "lognormal"])
def test_gradient_with_ar1_noise_and_the_log_link(likelihood: str) -> None:
    # mu = exp(eta): the AR(1) likelihood's d/dmu flows through the log link's chain rule.
    data, _ = simulate_trust_data(80, seed=2, likelihood=likelihood)
    model = _model(data, noise="ar1", link="log", likelihood=likelihood)
    z = np.asarray(model._core.initial_point()) + np.random.default_rng(1).normal(0.0, 0.1, model._core.dimension)
    z[-1] = 0.7
    assert np.isfinite(model.log_density(z)[0])
    _check_gradient(model, z)
