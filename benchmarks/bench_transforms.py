"""Adstock + Hill on 10 years of daily data x 50 channels: trustmix against a vectorised
numpy implementation of the same formulas (MODEL.md section 1), in the same run.

Prints time per call (median of repeats; numpy, trustmix on 1 thread and on 2 threads
are timed in 5 alternating rounds of back-to-back calls, so each is measured in its
steady state and a change of machine load during the run affects all three alike), the
speed-up, the speed-up of the fastest runs ('best x', the machine's best case), peak extra
memory and the largest difference between the two results; then the same for each part
(adstock alone, Hill alone on the adstocked data). trustmix runs the calls the issue
names, unfused:
``tf.adstock`` then ``tf.hill``, each from Python with its input checks.

    python benchmarks/bench_transforms.py [--days 3650] [--channels 50] [--max-lag 30] [--repeats 30]

TRUSTMIX_SIMD=baseline in the environment measures the portable (SSE2) kernels on a CPU
that has AVX2. TRUSTMIX_BUFFER_CACHE=0 turns off the reuse of released result buffers
(include/trustmix/transforms/buffer_cache.hpp), so every trustmix result is fresh memory
from the OS (as a first call, or a program that keeps every result, sees it).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import tracemalloc

import numpy as np

import trustmix as tm
from trustmix import transforms as tf


def numpy_weights(kind: str, L: int, p: dict[str, np.ndarray]) -> np.ndarray:
    """(L + 1, C) normalised lag weights, vectorised over channels."""
    lag = np.arange(L + 1, dtype=float)[:, None]
    if kind == "geometric":
        w = p["alpha"][None, :] ** lag
    elif kind == "delayed":
        w = p["alpha"][None, :] ** ((lag - p["theta"][None, :]) ** 2)
    elif kind == "weibull_cdf":
        w = np.cumprod(np.exp(-(((lag + 1) / p["lam"][None, :]) ** p["k"][None, :])), axis=0)
    else:
        raise ValueError(kind)
    return w / w.sum(axis=0, keepdims=True)


def numpy_adstock_hill(
    x: np.ndarray, kind: str, L: int, p: dict[str, np.ndarray], k: np.ndarray, s: np.ndarray
) -> np.ndarray:
    return numpy_hill(numpy_adstock(x, kind, L, p), k, s)


def trustmix_adstock_hill(
    x: np.ndarray, kind: str, L: int, p: dict[str, np.ndarray], k: np.ndarray, s: np.ndarray, threads: int
) -> np.ndarray:
    y = tf.adstock(x, kind, max_lag=L, threads=threads, **p)
    return tf.hill(y, k=k, s=s, threads=threads)


def numpy_hill(y: np.ndarray, k: np.ndarray, s: np.ndarray) -> np.ndarray:
    ys = y**s
    return ys / (ys + k**s)


def numpy_adstock(x: np.ndarray, kind: str, L: int, p: dict[str, np.ndarray]) -> np.ndarray:
    w = numpy_weights(kind, L, p)
    y = w[0] * x
    for lag in range(1, L + 1):
        y[lag:] += w[lag] * x[:-lag]
    return y


def timed(fns: list, repeats: int, rounds: int = 5) -> tuple[list[float], list[float], list[np.ndarray]]:
    """Times the functions in alternating blocks: each of `rounds` rounds runs every
    function (the order rotating from round to round) once untimed, then repeats / rounds
    times timed, back to back. Each function is so measured in its steady state (its data
    in cache, its threads awake, as in a loop of calls), and a change of machine load
    during the run reaches all of them alike. Returns (median, minimum) seconds per
    function and each function's last result."""
    outs: list = [None] * len(fns)
    times: list[list[float]] = [[] for _ in fns]
    per_round = max(1, -(-repeats // rounds))
    for r in range(rounds):
        for j in range(len(fns)):
            i = (j + r) % len(fns)
            outs[i] = fns[i]()  # warm-up
            for _ in range(per_round):
                t0 = time.perf_counter()
                outs[i] = fns[i]()
                times[i].append(time.perf_counter() - t0)
    return [float(np.median(t)) for t in times], [float(np.min(t)) for t in times], outs


def peak_memory(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=3650)
    ap.add_argument("--channels", type=int, default=50)
    ap.add_argument("--max-lag", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    T, C, L = args.days, args.channels, args.max_lag
    x = rng.gamma(2.0, 1.0, size=(T, C)) * (rng.random((T, C)) > 0.2)
    k = rng.uniform(0.5, 2.0, C)
    s = rng.uniform(0.8, 2.5, C)
    kinds = {
        "geometric": {"alpha": rng.uniform(0.3, 0.95, C)},
        "delayed": {"alpha": rng.uniform(0.3, 0.9, C), "theta": rng.uniform(0, 5, C)},
        "weibull_cdf": {"k": rng.uniform(0.5, 3, C), "lam": rng.uniform(1, 10, C)},
    }
    cache = "off" if os.environ.get("TRUSTMIX_BUFFER_CACHE") == "0" else "on"
    print(
        f"trustmix {tm.__version__}, numpy {np.__version__}, {platform.machine()}, kernels {tf.kernel_isa()}, "
        f"result buffer cache {cache}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
        f"T={T} days x C={C} channels, max_lag={L}; times: median of {args.repeats} calls in 5 alternating rounds, "
        f"'best x' = ratio of the fastest runs"
    )
    header = (
        f"{'adstock + hill':<16}{'numpy ms':>10}{'tm 1 thr ms':>13}{'tm 2 thr ms':>13}{'x (1 thr)':>11}"
        f"{'x (2 thr)':>11}{'best x 2 thr':>14}{'max |diff|':>12}{'np MiB':>9}{'tm MiB':>9}"
    )
    print(header)
    print("-" * len(header))
    for kind, p in kinds.items():
        (t_np, t1, t2), (b_np, _, b2), (y_np, y1, y2) = timed(
            [
                lambda kind=kind, p=p: numpy_adstock_hill(x, kind, L, p, k, s),
                lambda kind=kind, p=p: trustmix_adstock_hill(x, kind, L, p, k, s, 1),
                lambda kind=kind, p=p: trustmix_adstock_hill(x, kind, L, p, k, s, 2),
            ],
            args.repeats,
        )
        assert np.array_equal(y1, y2), "thread count changed the result"
        diff = float(np.max(np.abs(y1 - y_np)))
        m_np = peak_memory(lambda kind=kind, p=p: numpy_adstock_hill(x, kind, L, p, k, s))
        m_tm = peak_memory(lambda kind=kind, p=p: trustmix_adstock_hill(x, kind, L, p, k, s, 2))
        print(
            f"{kind:<16}{t_np * 1e3:>10.2f}{t1 * 1e3:>13.2f}{t2 * 1e3:>13.2f}{t_np / t1:>11.1f}{t_np / t2:>11.1f}"
            f"{b_np / b2:>14.1f}{diff:>12.1e}{m_np:>9.1f}{m_tm:>9.1f}"
        )

    print()
    header = (
        f"{'part':<22}{'numpy ms':>10}{'tm 1 thr ms':>13}{'tm 2 thr ms':>13}{'x (1 thr)':>11}{'x (2 thr)':>11}"
        f"{'best x 2 thr':>14}{'max |diff|':>12}"
    )
    print(header)
    print("-" * len(header))
    parts = {
        f"adstock {kind}": (
            lambda kind=kind, p=p: numpy_adstock(x, kind, L, p),
            lambda thr, kind=kind, p=p: tf.adstock(x, kind, max_lag=L, threads=thr, **p),
        )
        for kind, p in kinds.items()
    }
    y_in = numpy_adstock(x, "geometric", L, kinds["geometric"])
    parts["hill"] = (lambda: numpy_hill(y_in, k, s), lambda thr: tf.hill(y_in, k=k, s=s, threads=thr))
    for name, (f_np, f_tm) in parts.items():
        (t_np, t1, t2), (b_np, _, b2), (y_np, y1, y2) = timed(
            [f_np, lambda f_tm=f_tm: f_tm(1), lambda f_tm=f_tm: f_tm(2)], args.repeats
        )
        assert np.array_equal(y1, y2), "thread count changed the result"
        diff = float(np.max(np.abs(y1 - y_np)))
        print(
            f"{name:<22}{t_np * 1e3:>10.2f}{t1 * 1e3:>13.2f}{t2 * 1e3:>13.2f}{t_np / t1:>11.1f}{t_np / t2:>11.1f}"
            f"{b_np / b2:>14.1f}{diff:>12.1e}"
        )


if __name__ == "__main__":
    main()
