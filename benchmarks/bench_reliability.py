"""Benchmark: what reliability costs (issue 14), and the constant behind the agent-mode
time estimate.

1. Reading a saved attribution state: ``Statistics.from_bytes`` (CRC-32 over the bytes,
   parsing, and the complete validation: key ranges, sum bounds, exact flow identities)
   against counting the same journeys afresh and against ``to_bytes``; ratio printed.
2. Agent-mode simulation speed in seconds per (person, period, channel + 1) on one
   thread, the unit of ``trustmix::simulate::detail::agent_seconds_per_draw`` that
   refuses runs estimated to take more than an hour.

No peer library does either, so the ratios are against our own baselines.

    PYTHONPATH=python python3 benchmarks/bench_reliability.py --rows 1000000 --channels 20
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

import trustmix.attribution as ta
from trustmix.simulate import World, scenario, scenario_names


def make_paths(rows: int, channels: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = np.array([f"ch{i:02d}" for i in range(channels)])
    lens = np.minimum(rng.geometric(0.35, rows), 12)
    popularity = rng.dirichlet(np.full(channels, 0.7))
    ids = rng.choice(channels, lens.sum(), p=popularity)
    off = np.concatenate([[0], np.cumsum(lens)])
    path = [" > ".join(names[ids[off[i] : off[i + 1]]]) for i in range(rows)]
    conv = rng.poisson(0.3, rows).astype(float)
    return pd.DataFrame(
        {"path": path, "conversions": conv, "value": conv * 40.0, "nulls": rng.poisson(2.0, rows).astype(float)}
    )


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--channels", type=int, default=20)
    ap.add_argument("--agents", type=int, default=20_000)
    ap.add_argument("--periods", type=int, default=52)
    args = ap.parse_args()
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")

    j = ta.Journeys.from_paths(make_paths(args.rows, args.channels), value="value", nulls="nulls")
    for orders in ([1], [1, 2, 3]):
        st = ta.Statistics.from_journeys(j, orders=orders)
        data = st.to_bytes()
        t_count = best_of(lambda orders=orders: ta.Statistics.from_journeys(j, orders=orders))
        t_write = best_of(lambda st=st: st.to_bytes())
        t_read = best_of(lambda data=data: ta.Statistics.from_bytes(data))
        print(
            f"orders={orders}: state {len(data) / 2**20:.1f} MiB; count {t_count * 1e3:.1f} ms, "
            f"to_bytes {t_write * 1e3:.1f} ms, from_bytes (checked) {t_read * 1e3:.1f} ms; "
            f"from_bytes / count = {t_read / t_count:.3f}, from_bytes / to_bytes = {t_read / t_write:.2f}"
        )

    world = World(scenario(scenario_names()[0]), seed=1)
    channels = len(world.channels)
    t_agent = best_of(
        lambda: world.run(
            periods=args.periods,
            mode="agent",
            agents=args.agents,
            truth=False,
            touches=False,
            progress=False,
            threads=1,
        ),
        repeat=2,
    )
    people = min(args.agents, world.population)
    per_draw = t_agent / (people * args.periods * (channels + 1))
    print(
        f"agent mode: {people:.0f} people x {args.periods} periods x {channels} channels, one thread: "
        f"{t_agent:.2f} s = {per_draw * 1e9:.1f} ns per person, period and (channel + 1) "
        f"(agent_seconds_per_draw = 2e-8 s in engine.hpp: ratio {per_draw / 2e-8:.2f})"
    )


if __name__ == "__main__":
    main()
