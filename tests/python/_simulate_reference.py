"""The test oracle of the simulator: a straightforward numpy implementation of segment mode,
for the tests and benchmarks/bench_simulate.py (not shipped in the wheel).

It takes the world's media inputs (``World._core.drive``: impressions, sentiment, crisis
and news severities per period) and re-implements every equation of segment mode from
docs/simulate.md independently of the C++ code: exposure laws, trust tilts, the capped
convolution, the (trust, memory) transition matrix, conversion probabilities, the exact
expected chain and multinomial/binomial draws (numpy's generator, so realised numbers
differ from trustmix's counter-based streams but agree in distribution).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["drive_arrays", "reference_segment_run", "reference_transition"]

#: The media inputs the oracle reads from a world's Drive (``World._core.drive``).
DRIVE_FIELDS = ("spend", "impressions", "sentiment", "severity_loss", "severity_gain")


def drive_arrays(drive: Any) -> dict[str, np.ndarray]:
    """The media inputs of a Drive (or of a dict with its fields) as fresh float arrays,
    which a test may edit (e.g. switch the marketing off after the data)."""
    get = drive.__getitem__ if isinstance(drive, dict) else lambda k: getattr(drive, k)
    return {k: np.array(get(k), dtype=float) for k in DRIVE_FIELDS}


def _saturation(x: np.ndarray, kind: str, params: list[float]) -> np.ndarray:
    if kind == "hill":
        k, s = params
        return x**s / (x**s + k**s)
    if kind == "logistic":
        (lam,) = params
        return (1 - np.exp(-lam * x)) / (1 + np.exp(-lam * x))
    if kind == "michaelis_menten":
        (k,) = params
        return x / (k + x)
    (c,) = params
    return np.tanh(x / c)


def _engaged(r: float, lam: float, shape: float, z: float, m: int) -> np.ndarray:
    if lam <= 0:  # nobody engages: E = 0 surely
        out = np.zeros(m + 1)
        out[0] = 1.0
        return out
    k = np.arange(m)
    if shape > 0:
        logp = (
            np.array([math.lgamma(i + shape) - math.lgamma(shape) - math.lgamma(i + 1) for i in k])
            + shape * math.log(shape / (shape + lam))
            + k * math.log(lam / (shape + lam))
        )
        pgf = (1 + lam * (1 - z) / shape) ** (-shape)
    else:
        logp = -lam + k * math.log(lam) - np.array([math.lgamma(i + 1) for i in k])
        pgf = math.exp(lam * (z - 1))
    head = np.exp(logp) * z**k
    out = np.empty(m + 1)
    out[:m] = r * head
    out[m] = r * max(0.0, pgf - head.sum())
    out[0] += 1 - r
    return out


def _conv(a: np.ndarray, b: np.ndarray, m: int) -> np.ndarray:
    full = np.convolve(a, b)
    out = full[: m + 1].copy()
    out[m] += full[m + 1 :].sum()
    return out


def _params(spec: dict[str, Any]) -> dict[str, Any]:
    t, smm, season = spec.get("trust", {}), spec.get("smm", {}), spec.get("seasonality", {})
    return {
        "trust_hl": t.get("half_life_days", 120.0),
        "gamma": t.get("effect", 1.0),
        "theta": t.get("amplification", 1.0),
        "initial": t.get("initial", {}),
        "mem_hl": smm.get("memory_half_life_days", 4.0),
        "beta": smm.get("effect", 1.0),
        "m": smm.get("memory_cap", 10),
        "sat": smm.get("saturation", "hill"),
        "sat_params": smm.get("saturation_params", [2.0, 1.5]),
        "amp": season.get("amplitude", 0.0),
        "peak": season.get("peak_day", 0.0),
    }


def reference_transition(
    spec: dict[str, Any], drive: Any, s: int, t: int, period_days: int, population: np.ndarray
) -> np.ndarray:
    """The 2(m+1) x 2(m+1) transition matrix of segment s in period t (rows: from); drive is
    a Drive or drive_arrays() of one."""
    if not isinstance(drive, dict):
        drive = drive_arrays(drive)
    p = _params(spec)
    m, D = p["m"], period_days
    r = 0.5 ** (D / p["trust_hl"])
    alpha = 0.5 ** (D / p["mem_hl"])
    chans, auds = spec["channels"], spec["audiences"]
    aud = auds[s]
    q = np.zeros(m + 1)
    q[0] = 1
    v0, v1 = q.copy(), q.copy()
    sc0 = sc1 = 1.0
    for c, ch in enumerate(chans):
        reachable = sum(a.get("reach", {}).get(ch["name"], 0.0) * population[i] for i, a in enumerate(auds))
        f = drive["impressions"][t, c] / reachable if reachable > 0 else 0.0
        rr = aud.get("reach", {}).get(ch["name"], 0.0)
        if rr <= 0 or f <= 0:
            continue
        e = min(1.0, ch.get("engagement", 0.1) * aud.get("affinity", {}).get(ch["name"], 1.0))
        lam, shape = f * e, ch.get("dispersion", 0.0)
        role = ch.get("role", "conversion")
        sent = drive["sentiment"][t, c]
        gain = ch.get("trust_gain", 0.0) * aud.get("trust_sensitivity", 1.0) if role != "conversion" else 0.0
        z0, z1 = math.exp(-gain * max(sent, 0.0)), math.exp(-gain * max(-sent, 0.0))
        if role != "trust":
            base = _engaged(rr, lam, shape, 1.0, m)
            q = _conv(q, base, m)
            v0 = _conv(v0, _engaged(rr, lam, shape, z0, m), m)
            v1 = _conv(v1, _engaged(rr, lam, shape, z1, m), m)
        else:
            pgf = (
                (lambda z, lam=lam, shape=shape: (1 + lam * (1 - z) / shape) ** (-shape))
                if shape > 0
                else (lambda z, lam=lam: math.exp(lam * (z - 1)))
            )
            sc0 *= (1 - rr) + rr * pgf(z0)
            sc1 *= (1 - rr) + rr * pgf(z1)
    b = aud.get("baseline_trust", 0.5)
    stay0 = (1 - (1 - r) * b) * (1 - drive["severity_gain"][t])
    stay1 = (1 - (1 - r) * (1 - b)) * (1 - drive["severity_loss"][t])
    law = {(0, 0): stay0 * sc0 * v0, (1, 1): stay1 * sc1 * v1}
    law[(0, 1)] = np.clip(q - law[(0, 0)], 0, None)
    law[(1, 0)] = np.clip(q - law[(1, 1)], 0, None)
    P = np.zeros((2 * (m + 1), 2 * (m + 1)))
    for T in (0, 1):
        for M in range(m + 1):
            decay = np.array([math.comb(M, j) * alpha**j * (1 - alpha) ** (M - j) for j in range(M + 1)])
            for T2 in (0, 1):
                row = _conv(decay, law[(T, T2)], m)
                P[T * (m + 1) + M, T2 * (m + 1) : (T2 + 1) * (m + 1)] = row
    return P


def reference_segment_run(
    spec: dict[str, Any], drive: Any, periods: int, period_days: int, seed: int = 0
) -> dict[str, np.ndarray]:
    """Segment mode in numpy: expected chain and one multinomial/binomial realisation.

    Returns dict with ``expected_conversions``, ``expected_trusting``, ``conversions``,
    ``trusting`` (each periods x segments).
    """
    drive = drive_arrays(drive)
    p = _params(spec)
    m, D = p["m"], period_days
    auds = spec["audiences"]
    S = len(auds)
    pop = np.array([a["size"] for a in auds], dtype=float)
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(spec.get("start", "2025-01-06"))
    h = _saturation(np.arange(m + 1, dtype=float), p["sat"], p["sat_params"])
    out = {k: np.zeros((periods, S)) for k in ("expected_conversions", "expected_trusting", "conversions", "trusting")}
    for s, a in enumerate(auds):
        g = p["initial"].get(a["name"], a.get("baseline_trust", 0.5))
        ex = np.zeros(2 * (m + 1))
        ex[m + 1] = pop[s] * g
        ex[0] = pop[s] * (1 - g)
        n = np.zeros(2 * (m + 1), dtype=np.int64)
        n1 = rng.binomial(int(pop[s]), g)
        n[m + 1] = n1
        n[0] = int(pop[s]) - n1
        rate = a.get("base_conversion_rate", 0.0)
        for t in range(periods):
            P = reference_transition(spec, drive, s, t, D, pop)
            P = np.clip(P, 0, None)
            P /= P.sum(axis=1, keepdims=True)
            ex = ex @ P
            n = rng.multinomial(n, P).sum(axis=0)
            day = start + pd.Timedelta(days=D * t)
            doy = (day - pd.Timestamp(year=day.year, month=1, day=1)).days + 0.5 * D
            season = p["amp"] * math.cos(2 * math.pi * (doy - p["peak"]) / 365.25)
            if 0 < rate < 1:
                p0 = -math.expm1(math.log1p(-rate) * D / 7)
                T = np.repeat([0, 1], m + 1)
                eta = (
                    math.log(p0 / (1 - p0)) + season + p["gamma"] * T + p["beta"] * np.tile(h, 2) * (1 + p["theta"] * T)
                )
                prob = 1 / (1 + np.exp(-eta))
            else:
                prob = np.full(2 * (m + 1), float(rate >= 1))
            out["expected_conversions"][t, s] = ex @ prob
            out["expected_trusting"][t, s] = ex[m + 1 :].sum()
            out["conversions"][t, s] = rng.binomial(n, prob).sum()
            out["trusting"][t, s] = n[m + 1 :].sum()
    return out
