"""Budget and flighting plans on a fitted trust-linked model, aware of trust's long tail.

:func:`optimize` finds the schedule (periods x channels of spend) that maximises the
expected outcome, value or net value over the horizon plus the trust stock's tail, under
budgets, bounds, group shares, blackouts, committed spend and limits on change;
:func:`evaluate` scores any schedule or :class:`trustmix.Plan`. The arithmetic is C++
(``trustmix::plan``; docs/plan.md). For a geo panel fit, :func:`optimize_panel` plans the
geo-bought channels across geos with budgets per geo and per group of geos.
"""

from trustmix.plan._api import PlanResult, evaluate, optimize, status_quo
from trustmix.plan._panel import PanelPlanResult, evaluate_panel, optimize_panel, status_quo_panel

__all__ = ["PlanResult", "evaluate", "optimize", "status_quo"]
__all__ += ["PanelPlanResult", "evaluate_panel", "optimize_panel", "status_quo_panel"]
