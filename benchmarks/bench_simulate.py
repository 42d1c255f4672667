"""Benchmark of trustmix.simulate (issue 4).

1. Agent mode: 1e6 people x 365 days x 8 channels ("pr_first_then_smm" preset, daily),
   1 and 2 threads: person-days per second, scaling, and bit-identity across threads.
2. Segment mode: 1e8 people x 156 weeks, trustmix versus a straightforward numpy
   implementation of the same segment-mode equations (tests/python/_simulate_reference.py),
   in the same run: time, peak memory, agreement of the exact expected chain and of the
   realised totals.

Each case runs in its own subprocess so its peak RSS is its own.

    PYTHONPATH=python python3 benchmarks/bench_simulate.py [--people 1000000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def _world(people: float):
    from trustmix import simulate as sim

    spec = sim.scenario("pr_first_then_smm")
    total = sum(a["size"] for a in spec["audiences"])
    for a in spec["audiences"]:
        a["size"] = float(round(a["size"] * people / total))
    for c in spec["campaigns"]:
        c["budget"] *= people / total
    for p in spec["pr_activities"]:
        p["outlet_reach"] = p.get("outlet_reach", sim.PR_KIND_DEFAULTS[p["kind"]]["outlet_reach"]) * people / total
    return sim.World(spec, seed=1)


def case_agent(people: float, threads: int) -> dict:
    world = _world(people)
    t0 = time.perf_counter()
    raw = world._core.run("agent", periods=365, period_days=1, threads=threads, agent_scale=1.0, record_touches=False)
    dt = time.perf_counter() - t0
    n = raw.population.sum()
    return {
        "seconds": dt,
        "person_days_per_s": n * 365 / dt,
        "people": float(n),
        "conversions": float(raw.conversions.sum()),
        "expected": float(raw.expected_conversions.sum()),
        "checksum": float(
            (raw.conversions * np.arange(1, raw.conversions.size + 1).reshape(raw.conversions.shape)).sum()
        ),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def case_agent_touches(people: float, threads: int) -> dict:
    world = _world(people)
    t0 = time.perf_counter()
    raw = world._core.run("agent", periods=365, period_days=1, threads=threads, agent_scale=1.0, record_touches=True)
    dt = time.perf_counter() - t0
    return {
        "seconds": dt,
        "touches": int(raw.touch_user.size),
        "people": float(raw.population.sum()),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def case_segment(engine: str) -> dict:
    world = _world(1e8)
    periods = 156
    t0 = time.perf_counter()
    if engine == "trustmix":
        raw = world._core.run("segment", periods=periods, period_days=7, threads=2)
        exp, conv = raw.expected_conversions, raw.conversions
    else:
        # the test oracle, not shipped: tests/python/_simulate_reference.py
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "python"))
        from _simulate_reference import reference_segment_run

        drive = world._core.drive(periods=periods, period_days=7)  # media inputs only
        ref = reference_segment_run(world.to_dict(), drive, periods, 7, seed=1)
        exp, conv = ref["expected_conversions"], ref["conversions"]
    dt = time.perf_counter() - t0
    return {
        "seconds": dt,
        "expected": exp.sum(axis=1).tolist(),
        "conversions": conv.sum(axis=1).tolist(),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _sub(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--case", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=float, default=1e6)
    ap.add_argument("--case", nargs="*")
    args = ap.parse_args()
    if args.case:
        kind = args.case[0]
        if kind == "agent":
            res = case_agent(float(args.case[1]), int(args.case[2]))
        elif kind == "touches":
            res = case_agent_touches(float(args.case[1]), int(args.case[2]))
        else:
            res = case_segment(args.case[1])
        print(json.dumps(res))
        return

    print(f"Agent mode: {args.people:.0e} people x 365 days x 8 channels (daily), no logs")
    a1 = _sub(["agent", str(args.people), "1"])
    a2 = _sub(["agent", str(args.people), "2"])
    print("| threads | seconds | person-days/s | peak RSS (MB) |")
    print("|---|---|---|---|")
    for th, r in ((1, a1), (2, a2)):
        print(f"| {th} | {r['seconds']:.1f} | {r['person_days_per_s']:.3g} | {r['maxrss_mb']:.0f} |")
    print(
        f"speed-up 2 vs 1 thread: {a1['seconds'] / a2['seconds']:.2f}x; "
        "bit-identical across threads: "
        f"{a1['checksum'] == a2['checksum'] and a1['conversions'] == a2['conversions']}"
    )
    z = (a1["conversions"] - a1["expected"]) / np.sqrt(a1["expected"])
    print(f"conversions {a1['conversions']:.0f} vs exact expectation {a1['expected']:.1f} (z = {z:.2f})")
    t = _sub(["touches", str(args.people / 10), "2"])
    print(
        f"with touchpoint log, {t['people']:.0e} people: {t['seconds']:.1f} s, {t['touches']:,} touches, "
        f"peak RSS {t['maxrss_mb']:.0f} MB"
    )

    print("\nSegment mode: 1e8 people x 156 weeks")
    tm = _sub(["segment", "trustmix"])
    npy = _sub(["segment", "numpy"])
    e1, e2 = np.array(tm["expected"]), np.array(npy["expected"])
    c1, c2 = np.array(tm["conversions"]), np.array(npy["conversions"])
    print("| engine | seconds | peak RSS (MB) |")
    print("|---|---|---|")
    print(f"| trustmix (C++, 2 threads) | {tm['seconds']:.3f} | {tm['maxrss_mb']:.0f} |")
    print(f"| numpy reference | {npy['seconds']:.3f} | {npy['maxrss_mb']:.0f} |")
    print(f"time ratio numpy / trustmix: {npy['seconds'] / tm['seconds']:.0f}x")
    print(f"expected chain: max relative difference {np.max(np.abs(e1 - e2) / e2):.2e}")
    zs = (c1 - c2) / np.sqrt(2 * e2)
    print(
        f"realised weekly conversions: max |z| between engines {np.max(np.abs(zs)):.2f} "
        f"(different generators, same law); totals {c1.sum():.0f} vs {c2.sum():.0f}"
    )


if __name__ == "__main__":
    main()
