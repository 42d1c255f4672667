"""The log link of the trust-linked model from Python (TrustMMM(link="log"), mu = exp(eta)):
finite-difference gradients over every parameter for each likelihood and trust form, the
forward pass against an independent numpy computation, recovery of the channels' effects on
data drawn from the log-link model, the decomposition's allocation adding up to the fitted
mean, ROI's path split adding up, pickling (versioned; old pickles load) and refusals."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix.mmm import simulate_trust_data
from trustmix.transforms import geometric_adstock, logistic_saturation

ROLES = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}
LOG_BETA = {"instagram": 0.15, "tiktok": 0.1}


def _model(data: pd.DataFrame, **kwargs: Any) -> tm.TrustMMM:
    return tm.TrustMMM(
        data, date="week", outcome="conversions", channels=ROLES, tracker="trust_survey", shocks=["crisis"], **kwargs
    )


@pytest.fixture(scope="module")
def log_world() -> tuple[pd.DataFrame, dict[str, Any], tm.TrustMMM, Any]:
    data, truth = simulate_trust_data(208, seed=5, gamma=0.4, theta=1.0, beta=LOG_BETA, link="log", noise=4.0)
    model = _model(data, link="log")
    return data, truth, model, model.fit(seed=1, max_iterations=10000)


@pytest.mark.parametrize("likelihood", ["normal", "lognormal", "negative_binomial"])
@pytest.mark.parametrize("trust_form", ["linear", "bounded"])
def test_gradient_matches_finite_differences(likelihood: str, trust_form: str) -> None:
    data, _ = simulate_trust_data(
        60,
        seed=2,
        gamma=0.4,
        beta=LOG_BETA,
        link="log",
        likelihood=likelihood,
        noise=30.0 if likelihood == "negative_binomial" else 4.0,
    )
    if likelihood == "negative_binomial":
        data["conversions"] = np.round(data["conversions"])
    model = _model(data, link="log", likelihood=likelihood, trust_form=trust_form)
    rng = np.random.default_rng(3)
    z = model._core.initial_point() + rng.normal(0.0, 0.3, model._core.dimension)
    lp, g = model.log_density(z)
    assert np.isfinite(lp)
    # Fourth-order central differences (the counts' log density is strongly curved, so the
    # second-order stencil's truncation error would dominate): error O(h^4) plus rounding.
    h = 1e-4
    for i in range(len(z)):
        e = np.zeros_like(z)
        e[i] = h
        f = [model.log_density(z + k * e)[0] for k in (2, 1, -1, -2)]
        fd = (-f[0] + 8 * f[1] - 8 * f[2] + f[3]) / (12 * h)
        rounding = 20 * np.finfo(float).eps * (1 + abs(lp)) / h
        assert abs(g[i] - fd) <= 1e-5 * abs(fd) + rounding, model.parameter_names[i]


def test_forward_equals_an_independent_numpy_computation() -> None:
    data, _ = simulate_trust_data(80, seed=4, gamma=0.4, beta=LOG_BETA, link="log")
    model = _model(data, link="log")
    z = model._core.initial_point() + np.random.default_rng(1).normal(0.0, 0.2, model._core.dimension)
    p = model._core.constrain(z)
    f = model._core.forward(z)
    # Adstock, saturation and the linear trust recursion in numpy (trustmix.transforms
    # kernels are tested against their definitions elsewhere).
    h = np.column_stack(
        [
            logistic_saturation(
                geometric_adstock(model._media[:, j], alpha=p.alpha[j], max_lag=model.max_lag), lam=p.lam[j]
            )
            for j in range(len(model.channels))
        ]
    )
    trust_cols = [j for j, c in enumerate(model.channels) if ROLES[c] == "trust"]
    conv_cols = [j for j, c in enumerate(model.channels) if ROLES[c] == "conversion"]
    u = h[:, trust_cols] @ p.kappa
    G = np.empty(len(u))
    prev = p.g0
    for t in range(len(u)):
        prev = G[t] = p.delta * prev + (1 - p.delta) * u[t] - p.omega[0] * model._shocks[t, 0]
    c = h[:, conv_cols] @ p.beta
    eta = model._baseline @ p.b + p.gamma * G + c * (1 + p.theta * G)
    np.testing.assert_allclose(f.eta, eta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(f.mu, np.exp(eta), rtol=1e-10)
    # The allocation adds up to mu, and the base is exp(baseline terms).
    parts = f.base + f.trust_direct + f.conversion_own.sum(axis=1) + f.amplification.sum(axis=1)
    np.testing.assert_allclose(parts, f.mu, rtol=1e-12)
    np.testing.assert_allclose(f.base, np.exp(model._baseline @ p.b), rtol=1e-12)


def test_recovers_channel_effects_of_log_link_data(
    log_world: tuple[pd.DataFrame, dict[str, Any], tm.TrustMMM, Any],
) -> None:
    _, truth, model, fit = log_world
    assert fit.info["converged"]
    roi = fit.roi(horizon=0)
    scale = model.y_scale
    for ch in ("instagram", "tiktok"):
        true_total = float(truth["contribution"][ch].sum())  # mu minus mu without the channel, over the data
        est = float(roi.loc[ch, "incremental_total"])
        assert abs(est - true_total) <= 0.15 * true_total, (ch, est, true_total, scale)
    # The trust half-life: truth delta 0.92.
    assert abs(fit.params["delta"] - truth["delta"]) <= 0.03
    # The fitted mean follows the true mean within the noise.
    pred = fit.predict().to_numpy()
    assert np.sqrt(np.mean((pred - truth["mu"]) ** 2)) <= 4.0


def test_decomposition_is_an_allocation_that_adds_up(
    log_world: tuple[pd.DataFrame, dict[str, Any], tm.TrustMMM, Any],
) -> None:
    _, _, _, fit = log_world
    dec = fit.decompose()
    np.testing.assert_allclose(dec.sum(axis=1).to_numpy(), fit.predict().to_numpy(), rtol=1e-10)
    roi = fit.roi()
    paths = roi["via_trust_direct"] + roi["via_amplification"] + roi["own"]
    np.testing.assert_allclose(paths.to_numpy(), roi["incremental_total"].to_numpy(), rtol=1e-8, atol=1e-8)


def test_pickles_with_the_link_and_old_pickles_load(
    log_world: tuple[pd.DataFrame, dict[str, Any], tm.TrustMMM, Any],
) -> None:
    data, _, model, _ = log_world
    state = model.__getstate__()
    assert state["version"] == 3 and state["kwargs"]["link"] == "log"
    again = pickle.loads(pickle.dumps(model))
    assert again.link == "log" and again._core.link == "log"
    z = model._core.initial_point()
    assert again.log_density(z)[0] == model.log_density(z)[0]
    # An identity-link model pickles as before (version 1, no link in kwargs), and such a
    # state loads with the identity link.
    plain = _model(data, noise="iid")
    old = plain.__getstate__()
    assert old["version"] == 1 and "link" not in old["kwargs"]
    restored = tm.TrustMMM.__new__(tm.TrustMMM)
    restored.__setstate__(old)
    assert restored.link == "identity" and restored._core.link == "identity"


def test_refuses_what_it_cannot_do() -> None:
    data, _ = simulate_trust_data(60, seed=2, gamma=0.4, beta=LOG_BETA, link="log")
    with pytest.raises(ValueError, match="link must be 'identity' or 'log'"):
        _model(data, link="logit")
    with pytest.raises(ValueError, match="prior 'roi' is not supported with link='log'"):
        _model(data, link="log", value_per_outcome=10.0, priors={"roi": {"instagram": (0.5, 3.0)}})
    # lift tests are accepted with the log link (their lift goes through exp; test_mmm_calibration.py)
    cal = _model(
        data,
        link="log",
        lift_tests=[{"channel": "instagram", "start": 10, "end": 19, "lift": 50.0, "standard_error": 10.0}],
    )
    assert cal.link == "log" and len(cal.lift_tests) == 1
    with pytest.raises(ValueError, match="link='log': gamma and beta are log-scale lifts"):
        simulate_trust_data(60, link="log")


def test_summary_reports_log_scale_coefficients(
    log_world: tuple[pd.DataFrame, dict[str, Any], tm.TrustMMM, Any],
) -> None:
    _, _, model, fit = log_world
    s = fit.summary()
    p = model._core.constrain(fit.z)
    # The intercept is ln of the outcome's level (model units shifted by ln y_scale); beta
    # and gamma are log-scale lifts, not times the outcome's scale.
    assert s.loc["baseline [intercept]", "value"] == pytest.approx(p.b[0] + np.log(model.y_scale), rel=1e-12)
    assert s.loc["beta [instagram]", "value"] == pytest.approx(p.beta[0], rel=1e-12)
    assert s.loc["gamma (trust -> demand)", "value"] == pytest.approx(p.gamma, rel=1e-12)
    assert s.loc["beta [instagram]", "unit"] == "ln(outcome) lift at saturation"
