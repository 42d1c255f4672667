"""Benchmark: trustmix.attribution against the ChannelAttribution package on the same data.

Generates an aggregated path table (one row per path: path, conversions, value, nulls)
with a realistic length distribution (geometric, mean about 2.8 touches, at most 12) over
C channels with skewed popularity, writes it once, and times each (library, model) in a
fresh subprocess, reporting wall time, peak resident memory above the process's level
before the call (psutil, sampled every 2 ms), and agreement of the credits. One-time
imports are outside the timing for both libraries (the package imports, and pandas'
lazy import of pyarrow's string support, which the first string column of a process
triggers: about 8 ms).

    PYTHONPATH=python python3 benchmarks/bench_attribution.py --rows 100000 1000000 --channels 20

``--repeat N`` times every (size, model) pair N times, each in fresh processes, and prints
every run (timings of one run move with the machine's load).

Each line also records the 1-minute load average (other work on the machine slows both
libraries; compare the ratios of one run). Agreement: heuristics must match exactly (max
relative difference printed); Markov credit from trustmix is exact, ChannelAttribution's
comes from simulated walks, so the table shows
the largest difference in credit share (percentage points) and the largest relative
difference per channel, next to ChannelAttribution's own run-to-run spread (two seeds).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pandas as pd


def make_paths(rows: int, channels: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = np.array([f"ch{i:02d}" for i in range(channels)])
    popularity = rng.dirichlet(np.full(channels, 0.8))
    lengths = np.minimum(rng.geometric(0.36, rows), 12)
    ids = rng.choice(channels, size=int(lengths.sum()), p=popularity)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    path = [" > ".join(names[ids[offsets[i] : offsets[i + 1]]]) for i in range(rows)]
    conversions = rng.poisson(0.2 + 0.15 * lengths).astype(np.float64)
    nulls = rng.poisson(3.0, rows).astype(np.float64)
    value = np.round(conversions * rng.gamma(2.0, 25.0, rows), 2)
    return pd.DataFrame(
        {"path": path, "total_conversions": conversions, "total_conversion_value": value, "total_null": nulls}
    )


class PeakRSS:
    """Peak resident set size above the level at entry, sampled in a thread."""

    def __init__(self, interval: float = 0.002):
        import psutil

        self.proc = psutil.Process()
        self.interval = interval

    def __enter__(self):
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)
        self.mib = (self.peak - self.base) / 2**20


def worker(lib: str, model: str, data_file: str, seed: int) -> dict:
    df = pd.read_pickle(data_file)
    # One-time cost outside the timing, for both libraries alike: the first string column
    # a process builds makes pandas import pyarrow's string support (about 8 ms, regex
    # compilation), which both libraries' result frames would otherwise pay once.
    pd.Series(["warm-up"], dtype="str")
    out: dict = {"lib": lib, "model": model}
    if lib == "trustmix":
        import trustmix.attribution as ta

        with PeakRSS() as mem:
            t0 = time.perf_counter()
            j = ta.Journeys.from_paths(
                df, path="path", conversions="total_conversions", value="total_conversion_value", nulls="total_null"
            )
            t1 = time.perf_counter()
            if model == "heuristics":
                res = {"first_touch": ta.first_touch(j), "last_touch": ta.last_touch(j), "linear_touch": ta.linear(j)}
                credits = {k: dict(zip(r.credits.channel, r.credits.conversions, strict=True)) for k, r in res.items()}
            elif model.startswith("markov"):
                r = ta.markov(j, order=int(model[-1]))
                credits = {"markov": dict(zip(r.credits.channel, r.credits.conversions, strict=True))}
                out["direct_solver"] = r.settings["direct"]
            elif model == "shapley":
                r = ta.shapley(j)
                credits = {"shapley": dict(zip(r.credits.channel, r.credits.conversions, strict=True))}
            elif model == "all":
                for fn in (ta.first_touch, ta.last_touch, ta.linear, ta.position_based, ta.simplified_shapley):
                    fn(j)
                for k in (1, 3):
                    ta.markov(j, order=k)
                ta.roles(j)
                credits = {}
            t2 = time.perf_counter()
        out.update(
            parse_s=t1 - t0,
            model_s=t2 - t1,
            total_s=t2 - t0,
            peak_mib=mem.mib,
            credits=credits,
            store_mib=j._store.nbytes() / 2**20,
        )
    else:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            import ChannelAttribution as ca
        with PeakRSS() as mem, contextlib.redirect_stdout(io.StringIO()):
            t0 = time.perf_counter()
            if model == "heuristics":
                r = ca.heuristic_models(
                    df, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
                )
                credits = {
                    k: dict(zip(r.channel_name, r[f"{k}_conversions"], strict=True))
                    for k in ("first_touch", "last_touch", "linear_touch")
                }
            else:
                r = ca.markov_model(
                    df,
                    "path",
                    "total_conversions",
                    var_value="total_conversion_value",
                    var_null="total_null",
                    order=int(model[-1]),
                    seed=seed,
                    verbose=False,
                    flg_pro=False,
                )
                credits = {"markov": dict(zip(r.channel_name, r.total_conversions, strict=True))}
            t2 = time.perf_counter()
        out.update(total_s=t2 - t0, peak_mib=mem.mib, credits=credits)
    return out


def run(lib: str, model: str, data_file: str, seed: int = 0, timeout: float = 3600) -> dict:
    cmd = [sys.executable, __file__, "--worker", lib, model, data_file, str(seed)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=os.environ.copy())
    if p.returncode != 0:
        raise RuntimeError(f"{lib} {model} failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def agreement(a: dict, b: dict) -> tuple[float, float]:
    """(max |share difference| in percentage points, max relative difference) over channels."""
    keys = sorted(set(a) | set(b))
    x = np.array([a.get(k, 0.0) for k in keys])
    y = np.array([b.get(k, 0.0) for k in keys])
    share = np.max(np.abs(x / x.sum() - y / y.sum())) * 100
    rel = np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-12))
    return float(share), float(rel)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=float, nargs="+", default=[1e5, 1e6])
    ap.add_argument("--channels", type=int, default=20)
    ap.add_argument("--peer-max-rows", type=float, default=1e6, help="skip ChannelAttribution above this size")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="time each (size, model) pair this many times (fresh processes each time; every run is printed)",
    )
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        lib, model, data_file, seed = args.worker
        print(json.dumps(worker(lib, model, data_file, int(seed))))
        return
    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in [int(r) for r in args.rows]:
            t0 = time.perf_counter()
            df = make_paths(rows, args.channels)
            frame_mib = df.memory_usage(deep=True).sum() / 2**20
            data_file = os.path.join(tmp, f"paths_{rows}.pkl")
            df.to_pickle(data_file)
            del df
            print(
                f"# {rows} rows, {args.channels} channels, input frame {frame_mib:.0f} MiB "
                f"(generated in {time.perf_counter() - t0:.1f} s), load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            peer = rows <= args.peer_max_rows
            for model, rep in [(m, r) for m in ("heuristics", "markov_1", "markov_3") for r in range(args.repeat)]:
                tm = run("trustmix", model, data_file)
                line = {
                    "rows": rows,
                    "model": model,
                    "run": rep + 1,
                    "frame_mib": frame_mib,
                    "tm_s": tm["total_s"],
                    "tm_parse_s": tm["parse_s"],
                    "tm_mib": tm["peak_mib"],
                }
                if peer:
                    ca = run("ChannelAttribution", model, data_file, seed=0)
                    line.update(ca_s=ca["total_s"], ca_mib=ca["peak_mib"], speedup=ca["total_s"] / tm["total_s"])
                    diffs = [agreement(tm["credits"][k], ca["credits"][k]) for k in tm["credits"]]
                    line.update(share_pp=max(d[0] for d in diffs), rel=max(d[1] for d in diffs))
                    if model.startswith("markov") and rep == 0:
                        ca2 = run("ChannelAttribution", model, data_file, seed=1)
                        spread = agreement(ca2["credits"]["markov"], ca["credits"]["markov"])
                        line.update(ca_spread_pp=spread[0], ca_spread_rel=spread[1])
                line["load"] = os.getloadavg()[0]
                rows_out.append(line)
                print(json.dumps(line), flush=True)
            tm_all = run("trustmix", "all", data_file)
            line = {
                "rows": rows,
                "model": "all (5 rule/Shapley + Markov 1, 3 + roles)",
                "frame_mib": frame_mib,
                "tm_s": tm_all["total_s"],
                "tm_parse_s": tm_all["parse_s"],
                "tm_mib": tm_all["peak_mib"],
                "store_mib": tm_all["store_mib"],
            }
            rows_out.append(line)
            print(json.dumps(line), flush=True)
    table = pd.DataFrame(rows_out)
    print()
    print(table.to_markdown(index=False, floatfmt=".3g") if _has_tabulate() else table.to_string(index=False))


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
