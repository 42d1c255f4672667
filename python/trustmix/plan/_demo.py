"""``python -m trustmix plan``: the planner on the demo world.

Simulates three years of weekly PR (press, events) and SMM (Instagram, TikTok) data with
known truth (:func:`trustmix.mmm.simulate_trust_data`), fits the trust-linked model (MAP),
and plans the next year with the same budget as the last one, counting the trust stock's
tail; prints the status quo against the plan and a closing sentence.
"""

from __future__ import annotations

import os

import pandas as pd

import trustmix as tm

ROLES = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}
GROUPS = {"PR": ["press", "events"], "SMM": ["instagram", "tiktok"]}


def run_plan_demo(output: str = "trustmix-output", plot: bool = True, horizon: int = 52) -> tm.plan.PlanResult:
    """Runs the demo (see the module's docstring) and returns the plan."""
    data, _ = tm.mmm.simulate_trust_data(156, seed=0)
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_survey",
        shocks=["crisis"],
        value_per_outcome=120.0,
    )
    fit = model.fit(seed=0, restarts=1)
    res = tm.plan.optimize(
        fit,
        horizon=horizon,
        objective="net_value",
        starts=2,
        name="optimised plan",
        constraints={"groups": {"SMM": (GROUPS["SMM"], 0.1, 0.9)}},
    )
    pd.set_option("display.width", 120)
    print(
        f"Planning {horizon} weeks after {model.dates[-1].date()} with last year's budget "
        f"({res.reference.to_numpy().sum():,.0f}), value {model.value_per_outcome} per conversion.\n"
    )
    by_channel = pd.DataFrame(
        {
            "status quo": res.reference.sum(),
            "plan": res.schedule.sum(),
            "first quarter, status quo": res.reference.iloc[:13].sum(),
            "first quarter, plan": res.schedule.iloc[:13].sum(),
        }
    )
    print("Spend by channel\n" + by_channel.to_string(float_format=lambda v: f"{v:,.0f}") + "\n")
    print("Plan against the status quo (posterior of the fit; outcome over the year and the trust tail)")
    print(res.summary().to_string(float_format=lambda v: f"{v:,.2f}") + "\n")
    print(f"Optimiser: {res.info['message']}\n")
    if plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        os.makedirs(output, exist_ok=True)
        axes = res.plot()
        path = os.path.join(output, "demo_plan.png")
        axes[0].figure.tight_layout()
        axes[0].figure.savefig(path, dpi=100)
        plt.close(axes[0].figure)
        print(f"Chart written to {path}\n")
    print("In one sentence: " + res.sentence(GROUPS))
    return res
