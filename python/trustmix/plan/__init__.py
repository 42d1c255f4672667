"""Budget and flighting plans on a fitted trust-linked model, aware of trust's long tail.

:func:`optimize` finds the schedule (periods x channels of spend) that maximises the
expected outcome, value or net value over the horizon plus the trust stock's tail, under
budgets, bounds, group shares, blackouts, committed spend and limits on change;
:func:`evaluate` scores any schedule or :class:`trustmix.Plan`. The arithmetic is C++
(``trustmix::plan``; docs/plan.md).
"""

from trustmix.plan._api import PlanResult, evaluate, optimize, status_quo

__all__ = ["PlanResult", "evaluate", "optimize", "status_quo"]
