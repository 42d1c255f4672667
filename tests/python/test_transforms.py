"""Transforms from Python: closed forms, an independent numpy implementation of the
formulas in MODEL.md, finite-difference derivatives, pandas in/out, errors."""

import math
import os
import platform

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trustmix as tm
from _subprocess import run_python
from trustmix import transforms as tf

RNG = np.random.default_rng(42)
X = RNG.gamma(2.0, 1.0, size=(60, 3)) * (RNG.random((60, 3)) > 0.3)


def reference_weights(kind, L, **p):
    """MODEL.md section 1, written independently with numpy (unnormalised)."""
    lag = np.arange(L + 1, dtype=float)
    if kind == "geometric":
        return p["alpha"] ** lag
    if kind == "delayed":
        return p["alpha"] ** ((lag - p["theta"]) ** 2)
    if kind == "binomial":
        return (1 - lag / (L + 1)) ** (1 / p["alpha"] - 1)
    k, lam = p["k"], p["lam"]
    t = lag + 1
    if kind == "weibull_cdf":
        return np.cumprod(np.exp(-((t / lam) ** k)))  # 1 - F(t) = exp(-(t/lam)^k)
    pdf = (k / lam) * (t / lam) ** (k - 1) * np.exp(-((t / lam) ** k))
    return pdf / pdf.max()


def reference_adstock(x, w):
    out = np.zeros_like(x)
    for d, wd in enumerate(w):
        out[d:] += wd * x[: len(x) - d]
    return out


CASES = [
    ("geometric", {"alpha": 0.6}),
    ("delayed", {"alpha": 0.5, "theta": 2.0}),
    ("binomial", {"alpha": 0.3}),
    ("weibull_cdf", {"k": 1.5, "lam": 3.0}),
    ("weibull_pdf", {"k": 2.5, "lam": 4.0}),
]


@pytest.mark.parametrize("kind, params", CASES)
@pytest.mark.parametrize("normalize", [True, False])
def test_matches_independent_numpy_formulas(kind, params, normalize):
    L = 8
    w = reference_weights(kind, L, **params)
    if normalize:
        w = w / w.sum()
    expected = np.column_stack([reference_adstock(X[:, c], w) for c in range(X.shape[1])])
    got = tf.adstock(X, kind, max_lag=L, normalize=normalize, **params)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(tf.adstock_weights(kind, max_lag=L, normalize=normalize, **params), w, rtol=1e-13)


@pytest.mark.parametrize("kind, params", CASES)
def test_parameter_and_input_gradients_against_finite_differences(kind, params):
    L = 7
    y, grads = tf.adstock(X, kind, max_lag=L, return_grad=True, **params)
    for name, value in params.items():
        h = 1e-6 * max(1.0, value)
        up = tf.adstock(X, kind, max_lag=L, **{**params, name: value + h})
        down = tf.adstock(X, kind, max_lag=L, **{**params, name: value - h})
        fd = (up - down) / (2 * h)
        err = np.abs(grads[name] - fd) / np.maximum(np.abs(fd), 1e-3)
        assert err.max() < 1e-6, (name, err.max())
    # The adstock is linear in x: perturbing x[s, c] moves y[s + l, c] by weights[l, c].
    xp = X.copy()
    xp[10, 2] += 1.0
    dy = tf.adstock(xp, kind, max_lag=L, **params) - y
    np.testing.assert_allclose(dy[10 : 10 + L + 1, 2], grads["x"][:, 2], rtol=1e-10, atol=1e-14)
    assert np.abs(dy[:, :2]).max() == 0


@pytest.mark.parametrize(
    "fn, params",
    [
        (tf.hill, {"k": 1.3, "s": 2.1}),
        (tf.logistic_saturation, {"lam": 0.8}),
        (tf.michaelis_menten, {"k": 0.9}),
        (tf.tanh_saturation, {"c": 1.7}),
    ],
)
def test_saturation_gradients_against_finite_differences(fn, params):
    x = X + 0.05
    y, grads = fn(x, return_grad=True, **params)
    for name, value in params.items():
        h = 1e-6
        fd = (fn(x, **{**params, name: value + h}) - fn(x, **{**params, name: value - h})) / (2 * h)
        np.testing.assert_allclose(grads[name], fd, rtol=1e-6, atol=1e-9)
    h = 1e-6
    np.testing.assert_allclose(grads["x"], (fn(x + h, **params) - fn(x - h, **params)) / (2 * h), rtol=1e-6, atol=1e-9)


def test_closed_forms_and_conventions():
    # Hill is 0.5 at x = k; Michaelis-Menten too; tanh(x / c) at x = c is tanh(1).
    assert tf.hill(np.array([2.5]), k=2.5, s=3.3)[0] == pytest.approx(0.5, abs=1e-15)
    assert tf.michaelis_menten(np.array([0.7]), k=0.7)[0] == pytest.approx(0.5, abs=1e-15)
    assert tf.tanh_saturation(np.array([2.0]), c=2.0)[0] == pytest.approx(math.tanh(1.0), abs=1e-15)
    # PyMC-Marketing: logistic_saturation(x, lam) = (1 - e^{-lam x}) / (1 + e^{-lam x}).
    x = np.array([0.0, 0.5, 3.0])
    e = np.exp(-1.7 * x)
    np.testing.assert_allclose(tf.logistic_saturation(x, lam=1.7), (1 - e) / (1 + e), rtol=1e-14, atol=1e-16)
    # PyMC-Marketing geometric_adstock(x, alpha=0.5, l_max=3, normalize=False) == max_lag=2 here.
    got = tf.geometric_adstock(np.array([1.0, 2, 3, 4, 5]), alpha=0.5, max_lag=2, normalize=False)
    np.testing.assert_allclose(got, [1.0, 2.5, 4.25, 6.0, 7.75], rtol=0, atol=1e-15)
    # Half-life: the weight at lag h is half the weight at lag 0.
    a = tf.rate_from_half_life(5.0)
    w = tf.adstock_weights("geometric", max_lag=10, normalize=False, alpha=a)
    assert w[5] / w[0] == pytest.approx(0.5, rel=1e-14)
    assert tf.half_life(0.5) == 1.0
    assert tf.half_life(a) == pytest.approx(5.0, rel=1e-14)
    assert 1 - 0.92 ** tf.duration_90(0.92) == pytest.approx(0.9, rel=1e-14)
    assert tf.convert_rate(0.5, 7, 1) == pytest.approx(0.5 ** (1 / 7), rel=1e-15)


def test_infinite_geometric_is_the_goodwill_recursion():
    a = 0.93
    x = X[:, 0]
    g = np.zeros_like(x)
    for t in range(len(x)):
        g[t] = a * (g[t - 1] if t else 0.0) + (1 - a) * x[t]
    np.testing.assert_allclose(tf.geometric_adstock(x, alpha=a, max_lag=None), g, rtol=1e-13)


def test_pandas_in_pandas_out_with_per_column_parameters():
    idx = pd.date_range("2025-01-06", periods=6, freq="W-MON", name="week")
    df = pd.DataFrame({"press": [1.0, 0, 0, 0, 0, 0], "tiktok": [0, 2.0, 0, 0, 0, 0]}, index=idx)
    out = tf.geometric_adstock(df, alpha={"press": 0.9, "tiktok": 0.2}, max_lag=3, normalize=False)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(idx) and list(out.columns) == ["press", "tiktok"]
    np.testing.assert_allclose(out["press"][:4], [1, 0.9, 0.81, 0.729], rtol=1e-14)
    np.testing.assert_allclose(out["tiktok"][1:3], [2, 0.4], rtol=1e-14)
    _, grads = tf.geometric_adstock(df, alpha=[0.9, 0.2], max_lag=3, return_grad=True)
    assert list(grads) == ["alpha", "x"]
    assert grads["x"].index.name == "lag" and grads["x"].shape == (4, 2)
    s = tf.hill(df["press"], k=0.5, s=1.0)
    assert isinstance(s, pd.Series) and s.name == "press" and s.index.equals(idx)
    scaled, scale = tf.scale_by_mean_nonzero(df)
    assert scale.to_dict() == {"press": 1.0, "tiktok": 2.0}
    assert scaled["tiktok"].max() == 1.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: tf.geometric_adstock(X, alpha=1.2), "alpha must be in [0, 1], got 1.2"),
        (lambda: tf.geometric_adstock(X, alpha=[0.1, 0.2]), "one value per channel (3), got 2"),
        (
            lambda: tf.geometric_adstock(X, alpha=0.5, max_lag=-1),
            "max_lag must be an integer in [0, 2**31 - 1) or None",
        ),
        (
            lambda: tf.binomial_adstock(X, alpha=0.5, max_lag=None),
            "an infinite lag window is only defined for geometric",
        ),
        (lambda: tf.adstock(X, "exponential", alpha=0.5), "adstock kind must be one of"),
        (lambda: tf.adstock(X, "geometric", beta=0.5), "geometric adstock has no parameter 'beta'"),
        (lambda: tf.hill(X, k=1.0), "missing 1 required positional argument"),
        (lambda: tf.hill(-X, k=1.0, s=1.0), "must be finite and >= 0"),
        (lambda: tf.hill(X, k=0.0, s=1.0), "k must be a finite number > 0, got 0"),
        (lambda: tf.geometric_adstock(pd.DataFrame({"a": ["x"]}), alpha=0.5), "column 'a' is not numeric"),
        (lambda: tf.half_life(1.0), "rate must be in (0, 1), got 1"),
    ],
)
def test_errors_are_clear(call, message):
    with pytest.raises((ValueError, TypeError)) as e:
        call()
    assert message in str(e.value)


def test_nan_is_reported_with_its_labels():
    df = pd.DataFrame({"press": [1.0, np.nan]}, index=pd.to_datetime(["2025-01-06", "2025-01-13"]))
    with pytest.raises(ValueError, match=r"x must be finite: row 2025-01-13, column 'press' is nan"):
        tf.geometric_adstock(df, alpha=0.5)


@settings(max_examples=40, deadline=None)
@given(
    alpha=st.floats(0.0, 0.99),
    L=st.integers(0, 20),
    a=st.floats(-3, 3),
    b=st.floats(-3, 3),
)
def test_adstock_is_linear_and_normalised_weights_sum_to_one(alpha, L, a, b):
    x, z = X[:, :2], X[:, 1:]
    lhs = tf.geometric_adstock(a * x + b * z, alpha=alpha, max_lag=L)
    rhs = a * tf.geometric_adstock(x, alpha=alpha, max_lag=L) + b * tf.geometric_adstock(z, alpha=alpha, max_lag=L)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10)
    assert tf.adstock_weights("geometric", max_lag=L, alpha=alpha).sum() == pytest.approx(1.0, rel=1e-14)


def test_thread_count_does_not_change_results():
    big = np.repeat(X, 50, axis=0)
    one = tf.delayed_adstock(big, alpha=0.4, theta=1.5, max_lag=10, threads=1)
    two = tf.delayed_adstock(big, alpha=0.4, theta=1.5, max_lag=10, threads=2)
    assert np.array_equal(one, two)
    assert np.array_equal(tf.hill(one, k=0.7, s=1.4, threads=1), tf.hill(one, k=0.7, s=1.4, threads=2))


def test_top_level_names():
    assert tm.transforms is tf


@pytest.mark.parametrize("channels", [1, 3, 50])
def test_wide_arrays_match_numpy_formulas_on_any_thread_count(channels):
    """The SIMD kernels (row tiles, masked channel tails) against numpy's direct formulas:
    window 30 on 400 days, per-channel parameters including alpha = 0 and 1, then Hill
    with non-integer shapes; bit-identical on 1, 2 and 3 threads."""
    rng = np.random.default_rng(channels)
    x = rng.gamma(2.0, 1.0, size=(400, channels)) * (rng.random((400, channels)) > 0.2)
    x[7, -1] = 1e200
    alpha = np.linspace(0.0, 1.0, channels)
    w = alpha[None, :] ** np.arange(31.0)[:, None]
    w /= w.sum(axis=0)
    expected = np.zeros_like(x)
    for lag in range(31):
        expected[lag:] += w[lag] * x[: len(x) - lag]
    k = rng.uniform(0.5, 2.0, channels)
    s = rng.uniform(0.3, 3.7, channels)
    ys = {}
    for threads in (1, 2, 3):
        y = tf.adstock(x, "geometric", max_lag=30, alpha=alpha, threads=threads)
        np.testing.assert_allclose(y, expected, rtol=1e-13, atol=1e-300)
        ys[threads] = (y, tf.hill(y, k=k, s=s, threads=threads))
    h = ys[1][1]
    with np.errstate(divide="ignore"):
        expected_h = 1.0 / (1.0 + np.exp(s * (np.log(k) - np.log(ys[1][0]))))
    np.testing.assert_allclose(h, expected_h, rtol=1e-13, atol=0)
    assert np.all(h[ys[1][0] == 0] == 0.0)
    for threads in (2, 3):
        assert np.array_equal(ys[threads][0], ys[1][0]) and np.array_equal(ys[threads][1], h)


@pytest.mark.skipif(
    not os.path.exists("/proc/cpuinfo") or platform.machine() not in ("x86_64", "AMD64"),
    reason="reads the x86-64 CPU flags from /proc/cpuinfo",
)
def test_kernel_isa_follows_the_cpu_flags():
    """The run-time dispatch picks the AVX2 kernels exactly when the CPU has AVX2 and FMA."""
    with open("/proc/cpuinfo") as f:
        flags = set(next(line.split(":", 1)[1].split() for line in f if line.startswith("flags")))
    baseline = os.environ.get("TRUSTMIX_SIMD") == "baseline"
    assert tf.kernel_isa() == ("avx2+fma" if {"avx2", "fma"} <= flags and not baseline else "sse2")


def test_baseline_kernels_through_the_api(tmp_path):
    """TRUSTMIX_SIMD=baseline (the SSE2 kernels, used on CPUs without AVX2) is honoured and
    gives the same values as this process's kernels to rounding, through the public
    functions."""
    rng = np.random.default_rng(3)
    x = rng.gamma(2.0, 1.0, size=(300, 7)) * (rng.random((300, 7)) > 0.2)
    np.save(tmp_path / "x.npy", x)
    code = (
        "import sys, numpy as np; from trustmix import transforms as tf; "
        "assert tf.kernel_isa() == sys.argv[3], (tf.kernel_isa(), sys.argv[3]); "
        "x = np.load(sys.argv[1]); "
        "y = tf.adstock(x, 'weibull_cdf', max_lag=30, k=1.3, lam=4.0); "
        "np.save(sys.argv[2], np.stack([y, tf.hill(y, k=0.8, s=1.7)]))"
    )
    expected_isa = "scalar" if tf.kernel_isa() == "scalar" else "sse2"
    run_python(code, str(tmp_path / "x.npy"), str(tmp_path / "out.npy"), expected_isa, TRUSTMIX_SIMD="baseline")
    base_y, base_h = np.load(tmp_path / "out.npy")
    y = tf.adstock(x, "weibull_cdf", max_lag=30, k=1.3, lam=4.0)
    np.testing.assert_allclose(base_y, y, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(base_h, tf.hill(y, k=0.8, s=1.7), rtol=1e-14, atol=0)
