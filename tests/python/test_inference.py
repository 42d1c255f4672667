"""Tests of trustmix.inference: NUTS through Python, diagnostics against ArviZ, MAP."""

from __future__ import annotations

import _thread
import pickle
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest

import trustmix.inference as ti


def _arviz():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return pytest.importorskip("arviz", reason="arviz not installed (pip install trustmix[arviz])")


@pytest.fixture(scope="module")
def schools() -> ti.SampleResult:
    return ti.sample("eight_schools", chains=4, draws=1000, tune=1000, seed=5, target_accept=0.9, progress=False)


def test_eight_schools_summary_matches_reference(schools):
    s = schools.summary()
    assert list(s.index) == ["mu", "tau"] + [f"eta[{j}]" for j in range(8)]
    assert list(s.columns) == [
        "mean",
        "sd",
        "hdi_3%",
        "hdi_97%",
        "q5%",
        "q50%",
        "q95%",
        "mcse_mean",
        "mcse_sd",
        "ess_bulk",
        "ess_tail",
        "r_hat",
    ]
    assert schools.draws.shape == (4, 1000, 10)
    assert (s["r_hat"] < 1.01).all()
    # Reference posterior means of this model from long runs: mu ~ 4.4, tau ~ 3.6.
    assert abs(s.loc["mu", "mean"] - 4.4) < 5 * s.loc["mu", "mcse_mean"] + 0.1
    assert abs(s.loc["tau", "mean"] - 3.6) < 5 * s.loc["tau", "mcse_mean"] + 0.1
    assert (schools["tau"] > 0).all()
    assert schools.ok, schools.warnings
    eff = schools.efficiency()
    assert eff["gradient_evaluations"] == schools.gradient_evaluations.sum() > 8000


def test_summary_columns_are_the_diagnostics_of_the_draws(schools):
    s = schools.summary()
    x = schools["mu"]
    assert s.loc["mu", "mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert s.loc["mu", "sd"] == pytest.approx(x.std(ddof=1), rel=1e-12)
    assert s.loc["mu", "q50%"] == pytest.approx(np.quantile(x, 0.5), rel=1e-12)
    assert s.loc["mu", "r_hat"] == pytest.approx(ti.rhat(x), rel=1e-12)
    assert s.loc["mu", "ess_tail"] == pytest.approx(ti.ess_tail(x), rel=1e-12)
    assert s.loc["mu", "mcse_mean"] == pytest.approx(x.std(ddof=1) / np.sqrt(ti.ess_mean(x)), rel=1e-12)


@pytest.fixture
def arviz_without_numba():
    az = _arviz()
    # ArviZ's numba path of mcse(method="sd") fails on plain arrays; use its numpy path.
    was_on = az.Numba.numba_flag
    az.Numba.disable_numba()
    yield az
    if was_on:
        az.Numba.enable_numba()


def test_diagnostics_agree_with_arviz(schools, arviz_without_numba):
    az = arviz_without_numba
    rng = np.random.default_rng(3)
    # AR(1) chains with different autocorrelation, plus real NUTS draws.
    ar = np.empty((4, 800))
    for c in range(4):
        e = rng.normal(size=800)
        v = 0.0
        for i in range(800):
            v = 0.7 * v + e[i]
            ar[c, i] = v
    skewed = np.exp(rng.normal(size=(3, 501)))  # odd length: the middle draw is dropped
    walk = np.cumsum(rng.normal(size=(4, 600)), axis=1)  # long autocorrelation: the FFT path
    for x in (ar, skewed, walk, schools["tau"], schools["eta[0]"]):
        assert ti.rhat(x) == pytest.approx(float(az.rhat(x, method="rank")), rel=1e-10)
        assert ti.ess_bulk(x) == pytest.approx(float(az.ess(x, method="bulk")), rel=1e-10)
        assert ti.ess_tail(x) == pytest.approx(float(az.ess(x, method="tail")), rel=1e-10)
        assert ti.ess_mean(x) == pytest.approx(float(az.ess(x, method="mean")), rel=1e-10)
        assert ti.mcse_mean(x) == pytest.approx(float(az.mcse(x, method="mean")), rel=1e-10)
        assert ti.mcse_sd(x) == pytest.approx(float(az.mcse(x, method="sd")), rel=1e-10)
        lo, hi = ti.hdi(x, 0.94)
        ref = np.asarray(az.hdi(x.ravel(), hdi_prob=0.94))
        assert (lo, hi) == pytest.approx(tuple(ref), rel=1e-12)
    e = schools.sample_stats["energy"]
    assert ti.ebfmi(e) == pytest.approx(np.asarray(az.bfmi(e)), rel=1e-10)


def test_to_arviz_groups_vector_parameters(schools):
    _arviz()
    idata = schools.to_arviz()
    post = idata.posterior
    assert set(post.data_vars) == {"mu", "tau", "eta"}
    assert post["eta"].shape == (4, 1000, 8)
    np.testing.assert_array_equal(post["eta"].values[:, :, 3], schools["eta[3]"])
    assert int(idata.sample_stats["diverging"].values.sum()) == schools.divergences


def test_bit_identical_for_any_thread_count():
    with pytest.warns(ti.InferenceWarning):  # 200 draws of eight schools are not enough, and it says so
        a = ti.sample("eight_schools", draws=200, tune=200, seed=9, threads=1, progress=False)
        b = ti.sample(ti.EightSchools(), draws=200, tune=200, seed=9, threads=3, progress=False)
        c = ti.sample("eight_schools", draws=200, tune=200, seed=10, threads=1, progress=False)
    assert a.warnings == b.warnings
    np.testing.assert_array_equal(a.draws, b.draws)
    np.testing.assert_array_equal(a.sample_stats["energy"], b.sample_stats["energy"])
    assert not np.array_equal(a.draws, c.draws)


def test_correlated_gaussian_dense_metric_recovers_covariance():
    cov = ti.CorrelatedGaussian.ar1_covariance(np.linspace(0.5, 3.0, 5), 0.8)
    mean = np.arange(5.0)
    fit = ti.sample(ti.CorrelatedGaussian(mean, cov), metric="dense", seed=2, progress=False)
    flat = fit.draws.reshape(-1, 5)
    scale = np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    assert np.max(np.abs(np.cov(flat.T) - cov) / scale) < 0.1
    assert np.max(np.abs(flat.mean(axis=0) - mean) / np.sqrt(np.diag(cov))) < 0.1
    assert fit.inverse_metric[0].shape == (5, 5)


def test_funnel_warns_in_plain_words():
    with pytest.warns(ti.InferenceWarning) as record:
        fit = ti.sample("funnel", dimension=10, seed=4, progress=False)
    assert [str(r.message) for r in record] == fit.warnings  # each problem warned once, as listed
    assert fit.divergences > 0
    assert any("divergent" in w and "target_accept" in w for w in fit.warnings)
    assert not fit.ok
    assert "Warnings" in fit._repr_html_()


def test_python_target_callback():
    def normal(theta):
        z = (theta - 3.0) / 2.0
        return -0.5 * float(z @ z), -z / 2.0

    fit = ti.sample(ti.PythonTarget(normal, 2, ["a", "b"]), draws=500, tune=500, seed=1, progress=False)
    s = fit.summary()
    assert list(s.index) == ["a", "b"]
    assert np.allclose(s["mean"], 3.0, atol=5 * s["mcse_mean"].max())
    assert np.allclose(s["sd"], 2.0, rtol=0.1)


def test_python_target_errors_propagate():
    def broken(theta):
        raise RuntimeError("model failed")

    with pytest.raises(RuntimeError, match="model failed"):
        ti.sample(ti.PythonTarget(broken, 1), draws=10, tune=10, progress=False)


@pytest.mark.parametrize("progress", [False, True])
def test_ctrl_c_keeps_draws_so_far(progress):
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    start = time.perf_counter()
    with pytest.warns(RuntimeWarning, match="interrupted"):
        fit = ti.sample("standard_normal", dimension=2, chains=2, draws=10**6, tune=100, seed=1, progress=progress)
    timer.join()
    assert time.perf_counter() - start < 10
    assert fit.interrupted
    assert 0 < fit.n_draws < 10**6
    assert np.isfinite(fit.draws).all()
    assert any("interrupted" in w for w in fit.warnings)


def test_progress_bar_runs(capsys):
    fit = ti.sample("gamma", shape=2.0, rate=1.0, draws=1000, tune=500, seed=3, progress=True)
    assert fit.ok
    assert fit.n_draws == 1000
    assert fit.summary().loc["x", "mean"] == pytest.approx(2.0, abs=0.3)


def test_map_logistic_regression_matches_scipy():
    optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(7)
    x = np.column_stack([np.ones(300), rng.normal(size=(300, 2))])
    y = (rng.uniform(size=300) < 1 / (1 + np.exp(-(x @ [0.3, -1.0, 2.0])))).astype(float)
    target = ti.LogisticRegression(x, y, prior_scale=3.0)

    def neg(beta):
        eta = x @ beta
        return -(y @ eta - np.logaddexp(0, eta).sum() - beta @ beta / 18.0)

    ref = optimize.minimize(neg, np.zeros(3), method="BFGS", options={"gtol": 1e-10}).x
    res = ti.map(target, laplace_draws=2000, seed=1)
    assert res.converged
    np.testing.assert_allclose(res.mode.to_numpy(), ref, atol=1e-5)
    assert res.exact_hessian
    s = res.summary()
    assert list(s.columns) == ["mode", "mode_unconstrained", "sd_unconstrained", "mean", "sd", "q5%", "q95%"]
    np.testing.assert_allclose(s["sd"], s["sd_unconstrained"], rtol=0.1)


def test_map_gamma_through_name():
    res = ti.map("gamma", shape=3.0, rate=2.0)
    assert res.mode["x"] == pytest.approx(1.5, rel=1e-7)
    assert res.hessian[0, 0] == pytest.approx(3.0, rel=1e-6)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ti.sample("no_such_target"), "target must be one of"),
        (lambda: ti.sample("standard_normal", dimension=2, chains=0, progress=False), "chains"),
        (lambda: ti.sample("standard_normal", dimension=2, seed=-1, progress=False), "seed"),
        (lambda: ti.sample("standard_normal", dimension=2, metric="full", progress=False), "metric"),
        (lambda: ti.sample("standard_normal", dimension=2, target_accept=1.5, progress=False), "target_accept"),
        (
            lambda: ti.sample("standard_normal", dimension=2, initial_values=np.zeros((3, 2)), progress=False),
            "initial_values",
        ),
        (lambda: ti.sample(ti.Gamma(1.0, 1.0), shape=2.0), "only accepted with a target name"),
        (lambda: ti.Gamma(-1.0, 1.0), "shape"),
        (lambda: ti.rhat(np.array([[1.0, np.nan, 2.0, 3.0]])), "chain 0, draw 1"),
        (lambda: ti.rhat(np.zeros((2, 3))), "at least 4 draws"),
        (lambda: ti.map("gamma", shape=1.0, rate=1.0, initial_values=[0.0, 1.0]), "initial_values"),
        (
            lambda: ti.sample("standard_normal", dimension=2, initial_inverse_metric=np.ones(3), progress=False),
            "initial_inverse_metric must have shape",
        ),
        (
            lambda: ti.sample("standard_normal", dimension=2, initial_inverse_metric=[1.0, -1.0], progress=False),
            "diagonal element 1 must be > 0",
        ),
        (lambda: ti.sample("standard_normal", dimension=2, term_buffer=-1, progress=False), "term_buffer"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_plots_and_pickle(schools):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = schools.plot_trace(["mu", "tau"])
    assert len(fig.axes) == 4
    ax = schools.plot_energy()
    assert "E-BFMI" in ax.get_title()
    plt.close("all")
    clone = pickle.loads(pickle.dumps(schools))
    np.testing.assert_array_equal(clone.draws, schools.draws)
    pd.testing.assert_frame_equal(clone.summary(), schools.summary())
    frame = schools.to_frame()
    assert frame.shape == (4000, 12)
    assert "eight_schools" in repr(schools)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("standard_normal", {"dimension": 3}),
        ("correlated_gaussian", {"mean": np.ones(3), "covariance": np.eye(3) + 0.5}),
        ("gamma", {"shape": 2.0, "rate": 3.0}),
        ("beta", {"a": 2.0, "b": 3.0}),
        ("funnel", {"dimension": 4}),
        ("funnel", {"dimension": 4, "non_centred": True}),
        ("eight_schools", {}),
        ("logistic_regression", {"x": np.array([[1.0, 0.5], [1.0, -1.0], [1.0, 2.0]]), "y": np.array([1.0, 0.0, 1.0])}),
    ],
)
def test_builtin_targets_by_name_have_exact_gradients(name, kwargs):
    target = ti.make_target(name, **kwargs)
    theta = np.random.default_rng(0).normal(size=target.dimension) * 0.7
    lp, grad = target.log_density_gradient(theta)
    h = 1e-6
    fd = np.array(
        [
            (target.log_density_gradient(theta + h * e)[0] - target.log_density_gradient(theta - h * e)[0]) / (2 * h)
            for e in np.eye(target.dimension)
        ]
    )
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-6)
    assert len(target.parameter_names) == target.constrain(theta).size


def test_non_centred_funnel_has_no_warnings():
    fit = ti.sample("funnel", dimension=10, non_centred=True, seed=3, progress=False)
    assert fit.ok, fit.warnings
    s = fit.summary()
    assert abs(s.loc["v", "mean"]) < 5 * s.loc["v", "mcse_mean"]
    assert s.loc["v", "sd"] == pytest.approx(3.0, rel=0.1)


def test_initial_inverse_metric_is_kept_without_metric_adaptation():
    """Fewer than 20 warm-up iterations adapt the step size only: the metric given is the
    one used (reported per chain) and the draws have the target's moments."""
    cov = np.array([[0.25, 0.5], [0.5, 4.0]])
    target = ti.CorrelatedGaussian(np.array([1.0, -2.0]), cov)
    r = ti.sample(
        target, chains=2, draws=3000, tune=19, seed=4, metric="dense", initial_inverse_metric=cov, progress=False
    )
    assert np.array_equal(np.asarray(r.inverse_metric[0]), cov)
    assert r.settings["initial_inverse_metric"] is True
    d = r.draws.reshape(-1, 2)
    s = r.summary()
    assert np.all(np.abs(d.mean(0) - [1.0, -2.0]) < 5 * s["mcse_mean"].to_numpy())
    assert np.allclose(d.std(0), np.sqrt(np.diag(cov)), rtol=0.1)


def test_python_sampler_defaults_are_the_cpp_defaults():
    """inference.sample repeats the C++ SamplerOptions defaults in its signature (so users
    see them); they must not drift apart."""
    import inspect

    from trustmix._core import inference as _ci

    params = inspect.signature(ti.sample).parameters
    cpp = _ci.sampler_defaults()
    assert type(cpp).__name__ == "SamplerDefaults"
    names = [n for n in dir(type(cpp)) if isinstance(getattr(type(cpp), n), property)]
    assert sorted(names) == sorted(
        ["chains", "draws", "tune", "target_accept", "max_tree_depth", "init_step_size", "init_radius"]
        + ["init_buffer", "term_buffer", "base_window"]
    )
    assert set(names) <= set(params)
    for name in names:
        assert params[name].default == getattr(cpp, name), name
    assert isinstance(cpp.chains, int) and isinstance(cpp.target_accept, float)
    again = pickle.loads(pickle.dumps(cpp))
    assert all(getattr(again, n) == getattr(cpp, n) for n in names)


def test_compiled_sample_and_map_return_typed_result_classes():
    from trustmix import _core

    target = _core.inference.StandardNormal(2)
    out = _core.inference.sample(target, chains=2, draws=60, tune=80, seed=3)
    assert type(out).__name__ == "SampleOutput"
    assert out.draws.shape == (2, 60, 2) and out.lp.shape == (2, 60)
    assert out.diverging.dtype == np.bool_ and out.tree_depth.shape == (2, 60)
    assert out.completed_draws == [60, 60] and out.parameter_names == list(target.parameter_names)
    # lp of a standard normal is -|x|^2 / 2 (up to the constant the target drops)
    np.testing.assert_allclose(out.lp, -0.5 * (out.draws**2).sum(axis=2), rtol=1e-12, atol=1e-12)
    assert type(out.summary).__name__ == "ParameterSummaries"
    assert out.summary.mean.shape == (2,) and out.summary.r_hat.shape == (2,)
    assert np.allclose(out.summary.mean, out.draws.mean(axis=(0, 1)), rtol=1e-12, atol=1e-14)

    mean, cov = np.array([1.0, -2.0]), np.array([[2.0, 0.6], [0.6, 1.0]])
    fit = _core.inference.map(_core.inference.CorrelatedGaussian(mean, cov))
    assert type(fit).__name__ == "MapResult"
    assert fit.converged and fit.laplace_ok
    np.testing.assert_allclose(fit.reported_mode, mean, atol=1e-7)
    np.testing.assert_allclose(fit.covariance, cov, atol=1e-5)  # the Laplace approximation is exact here
    fit.gradient[0] = 5.0  # arrays are the caller's copies
    assert fit.gradient[0] != 5.0
