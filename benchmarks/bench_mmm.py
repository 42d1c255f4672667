"""The trust-linked model's hot loop: log density + gradient evaluations per second and
MAP wall time on 3 years of weekly data x 8 channels, and the same log density written
in numpy (forward only, no gradient) for scale, in the same run.

    python benchmarks/bench_mmm.py [--periods 156] [--channels 8] [--evals 20000]

The comparison with PyMC-Marketing (4 chains x 1000 + 1000 draws) needs NUTS and is
added with the inference engine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import trustmix as tm


def make_data(T: int, C: int, seed: int = 0) -> tuple[pd.DataFrame, dict[str, str]]:
    rng = np.random.default_rng(seed)
    roles = {f"pr_{i}": "trust" for i in range(C // 2)} | {f"smm_{i}": "conversion" for i in range(C - C // 2)}
    df = pd.DataFrame({"week": pd.date_range("2023-01-02", periods=T, freq="7D")})
    for c in roles:
        df[c] = (rng.random(T) < 0.5) * rng.gamma(3, 1000, T)
    df["y"] = 200 + rng.normal(0, 10, T) + 0.002 * df[list(roles)].sum(axis=1)
    df["survey"] = np.where(np.arange(T) % 4 == 0, rng.normal(40, 3, T), np.nan)
    return df, roles


def numpy_forward(media: np.ndarray, alpha: np.ndarray, lam: np.ndarray, L: int) -> np.ndarray:
    """Adstock + saturation of every channel in numpy (the first half of a forward pass)."""
    lag = np.arange(L + 1)[:, None]
    w = alpha[None, :] ** lag
    w = w / w.sum(axis=0)
    a = w[0] * media
    for l in range(1, L + 1):
        a[l:] += w[l] * media[:-l]
    return np.tanh(0.5 * lam * a)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--periods", type=int, default=156)
    ap.add_argument("--channels", type=int, default=8)
    ap.add_argument("--evals", type=int, default=20000)
    args = ap.parse_args()
    df, roles = make_data(args.periods, args.channels)
    model = tm.TrustMMM(df, date="week", outcome="y", channels=roles, tracker="survey")
    z = np.asarray(model._core.initial_point())
    t0 = time.perf_counter()
    for _ in range(args.evals):
        model._core.log_density(z)
    dt = time.perf_counter() - t0
    media = model._media
    t1 = time.perf_counter()
    n_np = max(1, args.evals // 20)
    for _ in range(n_np):
        numpy_forward(media, np.full(media.shape[1], 0.3), np.full(media.shape[1], 1.5), model.max_lag)
    dt_np = (time.perf_counter() - t1) / n_np
    t2 = time.perf_counter()
    fit = model.fit(method="map", restarts=1)
    dt_map = time.perf_counter() - t2
    print(f"trustmix {tm.__version__}: T={args.periods} weekly periods, {args.channels} channels, "
          f"{model._core.dimension} parameters, lag window {model.max_lag}")
    print(f"log density + gradient (from Python, incl. call overhead): {args.evals / dt:,.0f} per second "
          f"({dt / args.evals * 1e6:.1f} us each)")
    print(f"numpy adstock + saturation only (no trust, no likelihood, no gradient): {dt_np * 1e6:.1f} us each "
          f"-> trustmix full gradient is {dt_np / (dt / args.evals):.1f}x faster")
    print(f"MAP fit (1 start): {dt_map * 1e3:.1f} ms, {fit.info['iterations']} iterations, {fit.info['message']}")


if __name__ == "__main__":
    main()
