"""Plans with NLopt's three algorithms on a seeded MAP fit and saves the schedules.
scripts/test.sh runs it with the wheel built against the system's NLopt and with the one
built from the sdist without it (third_party/nlopt, compiled into the extension), then
compares: the plans must agree to 1e-6 relative to the largest cell. The two NLopt copies
are different releases (third_party/nlopt is 2.6.2; Debian bookworm ships 2.7.1), so the
two plans are the same optimum reached within the solver's tolerances, not the same bits.

Usage: python tests/pip_only_plan.py OUT.npz"""

import sys

import numpy as np

import trustmix as tm
from trustmix.mmm import simulate_trust_data

ROLES = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}


def main(out: str) -> None:
    data, _ = simulate_trust_data(104, seed=3)
    model = tm.TrustMMM(data, date="week", outcome="conversions", channels=ROLES, value_per_outcome=3.0)
    fit = model.fit("map", seed=1, progress=False)
    plans: dict[str, np.ndarray] = {}
    # SLSQP (52 cells), AUGLAG with L-BFGS (160 cells), MMA (the outcome under a budget cap)
    for name, horizon, algorithm, budget, objective in (
        ("slsqp", 13, "slsqp", None, "net_value"),
        ("auglag", 40, "auglag", None, "net_value"),
        ("mma", 13, "mma", "cap", "outcome"),
    ):
        constraints = {"budget": budget} if budget else None
        res = tm.plan.optimize(
            fit,
            horizon=horizon,
            objective=objective,
            algorithm=algorithm,
            constraints=constraints,
            draw_optima=0,
            threads=1,
        )
        plans[name] = res.schedule.to_numpy()
        print(f"{name}: objective {res.info['objective']!r}, {res.info['message']}")
    np.savez(out, **plans)


if __name__ == "__main__":
    main(sys.argv[1])
