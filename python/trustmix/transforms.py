r"""Media transforms: adstock (carry-over) and saturation (diminishing returns).

Every function takes a 1-D series (T,), a 2-D array (T, C) with channels as columns, a
pandas Series or a DataFrame, and returns the same kind of container (a DataFrame keeps
its index and columns). Parameters are scalars (shared by every channel), one value per
channel, or, for DataFrames, a mapping ``{column: value}``.

With ``return_grad=True`` a function returns ``(values, grads)``: ``grads[p]`` is the
element-wise derivative :math:`\partial y[t, c] / \partial p_c` (same shape as the
values) for each parameter ``p``; ``grads["x"]`` is the derivative with respect to the
input: element-wise for saturation curves, and for adstocks (which are linear in x) the
lag weights ``w~[l, c] = \partial y[t, c] / \partial x[t - l, c]``, shape (L + 1, C).

Adstock (MODEL.md section 1), with L = ``max_lag`` (L + 1 weights, lags 0..L)::

    y[t, c] = sum_{l=0}^{min(t, L)} w~[l, c] x[t - l, c],   w~ = w / sum(w) if normalize

    geometric    w_l = alpha^l
    delayed      w_l = alpha^((l - theta)^2)
    binomial     w_l = (1 - l / (L + 1))^(1 / alpha - 1)
    weibull cdf  w_l = prod_{j=1}^{l+1} (1 - F(j; k, lambda))
    weibull pdf  w_l = f(l + 1; k, lambda) / max_m f(m + 1; k, lambda)

PyMC-Marketing's ``l_max`` counts weights (``l_max = max_lag + 1``); Meridian's
``max_lag`` is ours. ``max_lag=None`` gives the exact infinite-window geometric adstock
``y[t] = x[t] + alpha y[t-1]`` (times ``1 - alpha`` when normalized).

Saturation maps [0, inf) onto [0, 1)::

    hill              x^s / (x^s + k^s)
    logistic          (1 - exp(-lam x)) / (1 + exp(-lam x))
    michaelis_menten  x / (k + x)
    tanh              tanh(x / c)

Units: adstock keeps the input's units (spend, impressions, mentions); saturation takes
scaled activity (see :func:`scale_by_mean_nonzero`) and returns a unit-free response.

Performance: the kernels run on a persistent pool of worker threads (``threads``; the
result does not depend on it). Results of 64 KiB and more are ordinary numpy arrays whose
memory comes from a small cache of released result buffers (at most 16 buffers and
64 MiB are kept), so repeated calls do not pay fresh page faults;
``TRUSTMIX_BUFFER_CACHE=0`` in the environment turns the cache off. See
``docs/concepts.md``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trustmix import _core
from trustmix._arrays import Matrix

__all__ = [
    "adstock",
    "adstock_weights",
    "binomial_adstock",
    "convert_rate",
    "delayed_adstock",
    "duration_90",
    "geometric_adstock",
    "half_life",
    "hill",
    "kernel_isa",
    "logistic_saturation",
    "michaelis_menten",
    "rate_from_duration_90",
    "rate_from_half_life",
    "saturate",
    "scale_by_mean_nonzero",
    "tanh_saturation",
    "weibull_adstock",
]

ADSTOCK_KINDS = ("geometric", "delayed", "binomial", "weibull_cdf", "weibull_pdf")
SATURATION_KINDS = ("hill", "logistic", "michaelis_menten", "tanh")


def _check_kind(kind: str, allowed: tuple[str, ...], what: str) -> None:
    if kind not in allowed:
        raise ValueError(f"{what} kind must be one of {', '.join(allowed)}; got {kind!r}")


def _parameters(
    m: Matrix, kind: str, what: str, core_names: list[str], params: dict[str, Any]
) -> tuple[list[str], list[np.ndarray]]:
    """The family's parameter names (``lambda`` spelled ``lam`` in Python) and their
    values as vectors of 1 or C values; unknown or missing names are errors."""
    names = [("lam" if n == "lambda" else n) for n in core_names]
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ValueError(f"{kind} {what} has no parameter {unknown[0]!r} (parameters: {', '.join(names)})")
    missing = [n for n in names if n not in params]
    if missing:
        raise ValueError(f"{kind} {what} needs parameter {missing[0]!r}")
    return names, [m.parameter(params[n], n) for n in names]


def _is_media(v: np.ndarray) -> np.ndarray:
    return np.isfinite(v) & (v >= 0)


def _checked(m: Matrix, ok: Any, expected: str, kernel: Any, *args: Any) -> Any:
    """Runs a C++ kernel, which checks its input in one pass; when it rejects the input,
    the error names the bad cell by the caller's labels (index, column) if x is at fault."""
    try:
        return kernel(*args)
    except ValueError:
        try:
            m.require(ok, expected)
        except ValueError as labelled:  # x is the problem: name its cell by the caller's labels
            raise labelled from None
        raise


def _check_max_lag(max_lag: Any) -> int:
    """max_lag as an int for the core (which refuses windows too large for memory)."""
    ok = isinstance(max_lag, (int, np.integer, float, np.floating)) and not isinstance(max_lag, (bool, np.bool_))
    if not ok or not 0 <= max_lag < 2**31 - 1 or int(max_lag) != max_lag:  # NaN fails the range test
        raise ValueError(f"max_lag must be an integer in [0, 2**31 - 1) or None, got {max_lag!r}")
    return int(max_lag)


def adstock(
    x: Any,
    kind: str,
    *,
    max_lag: int | None = 12,
    normalize: bool = True,
    return_grad: bool = False,
    threads: int = 0,
    **params: Any,
) -> Any:
    """Adstock of each column of ``x`` with the family ``kind``.

    Parameters
    ----------
    x : array-like (T,) or (T, C), Series or DataFrame
        Media activity per period (spend, impressions, mentions); finite.
    kind : {"geometric", "delayed", "binomial", "weibull_cdf", "weibull_pdf"}
    max_lag : int or None
        L, the largest lag (L + 1 weights). ``None`` (geometric only) is the exact
        infinite window.
    normalize : bool
        Divide the weights by their sum (so a constant input is returned unchanged once
        the window is full).
    return_grad : bool
        Also return the derivatives (see the module docstring).
    threads : int
        Worker threads (0 = all cores); the result does not depend on it.
    **params
        The family's parameters: ``alpha`` (geometric, binomial), ``alpha, theta``
        (delayed), ``k, lam`` (Weibull shape and scale).

    Returns
    -------
    values, or (values, grads)
    """
    _check_kind(kind, ADSTOCK_KINDS, "adstock")
    m = Matrix(x)
    names, pvec = _parameters(m, kind, "adstock", _core.transforms.adstock_parameter_names(kind), params)
    if max_lag is None:
        lag = _core.transforms.infinite_lag
    else:
        lag = _check_max_lag(max_lag)
    values, grads, weights = _checked(
        m,
        np.isfinite,
        "finite",
        _core.transforms.adstock,
        m.values,
        kind,
        pvec,
        lag,
        bool(normalize),
        bool(return_grad),
        int(threads),
    )
    out = m.wrap(values)
    if not return_grad:
        return out
    g = {n: m.wrap(gr) for n, gr in zip(names, grads, strict=True)}
    if max_lag is not None:
        g["x"] = m.wrap_lags(weights)
    return out, g


def geometric_adstock(
    x: Any, alpha: Any, *, max_lag: int | None = 12, normalize: bool = True, return_grad: bool = False, threads: int = 0
) -> Any:
    """Geometric adstock, ``w_l = alpha^l``, alpha in [0, 1] ([0, 1) for ``max_lag=None``).

    Half-life of the carry-over: :func:`half_life` ``(alpha) = ln 0.5 / ln alpha`` periods.
    See :func:`adstock` for the arguments and the return value.
    """
    return adstock(
        x, "geometric", max_lag=max_lag, normalize=normalize, return_grad=return_grad, threads=threads, alpha=alpha
    )


def delayed_adstock(
    x: Any,
    alpha: Any,
    theta: Any,
    *,
    max_lag: int = 12,
    normalize: bool = True,
    return_grad: bool = False,
    threads: int = 0,
) -> Any:
    """Delayed adstock, ``w_l = alpha^((l - theta)^2)``: the peak effect comes ``theta``
    periods after exposure. alpha in (0, 1], theta in [0, max_lag]. See :func:`adstock`."""
    return adstock(
        x,
        "delayed",
        max_lag=max_lag,
        normalize=normalize,
        return_grad=return_grad,
        threads=threads,
        alpha=alpha,
        theta=theta,
    )


def binomial_adstock(
    x: Any, alpha: Any, *, max_lag: int = 12, normalize: bool = True, return_grad: bool = False, threads: int = 0
) -> Any:
    """Binomial adstock (Meridian), ``w_l = (1 - l / (L + 1))^(1 / alpha - 1)``,
    alpha in (0, 1]: alpha = 1 spreads evenly over the window, alpha -> 0 keeps the effect
    in the first period. See :func:`adstock`."""
    return adstock(
        x, "binomial", max_lag=max_lag, normalize=normalize, return_grad=return_grad, threads=threads, alpha=alpha
    )


def weibull_adstock(
    x: Any,
    k: Any,
    lam: Any,
    *,
    kind: str = "cdf",
    max_lag: int = 12,
    normalize: bool = True,
    return_grad: bool = False,
    threads: int = 0,
) -> Any:
    """Weibull adstock with shape ``k`` > 0 and scale ``lam`` > 0 (periods).

    ``kind="cdf"``: survival weights ``w_l = prod_{j=1}^{l+1} (1 - F(j))``, decaying with
    a flexible shape. ``kind="pdf"``: ``w_l = f(l + 1) / max f``, which can peak late.
    See :func:`adstock`.
    """
    if kind not in ("cdf", "pdf"):
        raise ValueError(f"kind must be 'cdf' or 'pdf', got {kind!r}")
    return adstock(
        x,
        f"weibull_{kind}",
        max_lag=max_lag,
        normalize=normalize,
        return_grad=return_grad,
        threads=threads,
        k=k,
        lam=lam,
    )


def adstock_weights(kind: str, *, max_lag: int = 12, normalize: bool = True, **params: float) -> np.ndarray:
    """The lag weights ``w~_0 .. w~_L`` of one channel (an array of L + 1 values)."""
    _check_kind(kind, ADSTOCK_KINDS, "adstock")
    names = [("lam" if n == "lambda" else n) for n in _core.transforms.adstock_parameter_names(kind)]
    missing = [n for n in names if n not in params]
    if missing or set(params) - set(names):
        raise ValueError(
            f"{kind} adstock takes parameters {', '.join(names)}; got {', '.join(sorted(params)) or 'none'}"
        )
    w, _ = _core.transforms.adstock_weights(
        kind, [float(params[n]) for n in names], _check_max_lag(max_lag), bool(normalize)
    )
    return np.asarray(w)


def saturate(x: Any, kind: str, *, return_grad: bool = False, threads: int = 0, **params: Any) -> Any:
    """Saturation curve ``kind`` applied element-wise to non-negative ``x``.

    Parameters
    ----------
    x : array-like (T,) or (T, C), Series or DataFrame
        Non-negative, finite activity (usually adstocked and scaled).
    kind : {"hill", "logistic", "michaelis_menten", "tanh"}
    return_grad : bool
        Also return element-wise derivatives for each parameter and ``"x"``.
    **params
        ``k, s`` (hill), ``lam`` (logistic), ``k`` (michaelis_menten), ``c`` (tanh); all > 0.
    """
    _check_kind(kind, SATURATION_KINDS, "saturation")
    m = Matrix(x)
    names, pvec = _parameters(m, kind, "saturation", _core.transforms.saturation_parameter_names(kind), params)
    values, grads, dx = _checked(
        m,
        _is_media,
        "finite and >= 0",
        _core.transforms.saturate,
        m.values,
        kind,
        pvec,
        bool(return_grad),
        int(threads),
    )
    out = m.wrap(values)
    if not return_grad:
        return out
    g = {n: m.wrap(gr) for n, gr in zip(names, grads, strict=True)}
    g["x"] = m.wrap(dx)
    return out, g


def hill(x: Any, k: Any, s: Any, *, return_grad: bool = False, threads: int = 0) -> Any:
    """Hill curve ``x^s / (x^s + k^s)``: 0.5 at ``x = k`` (half-saturation), S-shaped for
    ``s > 1``, concave for ``s <= 1``. See :func:`saturate`."""
    return saturate(x, "hill", return_grad=return_grad, threads=threads, k=k, s=s)


def logistic_saturation(x: Any, lam: Any, *, return_grad: bool = False, threads: int = 0) -> Any:
    """Logistic saturation ``(1 - e^(-lam x)) / (1 + e^(-lam x)) = tanh(lam x / 2)``
    (PyMC-Marketing's ``logistic_saturation``). See :func:`saturate`."""
    return saturate(x, "logistic", return_grad=return_grad, threads=threads, lam=lam)


def michaelis_menten(x: Any, k: Any, *, return_grad: bool = False, threads: int = 0) -> Any:
    """Michaelis-Menten ``x / (k + x)``, 0.5 at ``x = k``. See :func:`saturate`."""
    return saturate(x, "michaelis_menten", return_grad=return_grad, threads=threads, k=k)


def tanh_saturation(x: Any, c: Any, *, return_grad: bool = False, threads: int = 0) -> Any:
    """Hyperbolic tangent ``tanh(x / c)``. See :func:`saturate`."""
    return saturate(x, "tanh", return_grad=return_grad, threads=threads, c=c)


def kernel_isa() -> str:
    """The SIMD kernel family the transforms run on this CPU: ``"avx2+fma"`` (x86-64 with
    AVX2 and FMA), ``"sse2"`` (other x86-64 CPUs, or ``TRUSTMIX_SIMD=baseline`` in the
    environment; read once, at the first use of a transform in the process) or
    ``"scalar"`` (other platforms). Results agree
    across families to rounding (a few ulp); see ``docs/concepts.md``."""
    return str(_core.transforms.kernel_isa())


def scale_by_mean_nonzero(x: Any) -> tuple[Any, Any]:
    """Divides each channel by its mean over non-zero periods (MODEL.md), so saturation
    parameters are unit-free. Returns ``(scaled, scale)``; an all-zero channel keeps
    scale 1. ``scale`` is a Series by column for DataFrames, else an array."""
    m = Matrix(x)
    m.require(lambda v: np.isfinite(v) & (v >= 0), "finite and >= 0")
    values, scale = _core.transforms.scale_by_mean_nonzero(m.values)
    if m.kind == "frame":
        import pandas as pd

        return m.wrap(values), pd.Series(scale, index=m.columns, name="scale")
    return m.wrap(values), (scale if m.kind == "matrix" else float(scale[0]))


def half_life(rate: float) -> float:
    """Half-life in periods of a per-period retention ``rate`` in (0, 1):
    ``ln 0.5 / ln rate`` (geometric adstock alpha, trust retention delta)."""
    return float(_core.transforms.half_life(float(rate)))


def rate_from_half_life(half_life: float) -> float:
    """Per-period retention with the given half-life (periods): ``0.5^(1 / half_life)``."""
    return float(_core.transforms.rate_from_half_life(float(half_life)))


def duration_90(rate: float) -> float:
    """Periods until 90% of an impulse's total effect has been delivered:
    ``ln 0.1 / ln rate`` (solves ``1 - rate^n = 0.9``)."""
    return float(_core.transforms.duration_90(float(rate)))


def rate_from_duration_90(duration_90: float) -> float:
    """Per-period retention whose 90% duration is ``duration_90`` periods: ``0.1^(1 / d)``."""
    return float(_core.transforms.rate_from_duration_90(float(duration_90)))


def convert_rate(rate: float, from_days: float, to_days: float) -> float:
    """The same decay expressed per period of another length: ``rate^(to_days / from_days)``
    (a weekly alpha 0.5 is a daily alpha 0.5^(1/7))."""
    return float(_core.transforms.convert_rate(float(rate), float(from_days), float(to_days)))
