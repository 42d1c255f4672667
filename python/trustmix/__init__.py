"""trustmix: marketing science where PR builds trust and SMM converts it.

Areas (the same names in C++ ``trustmix::<area>``, in ``bindings/`` and here):

- :mod:`trustmix.core`: the domain model (:class:`Channel`, :class:`Campaign`,
  :class:`Audience`, :class:`Plan`).
- :mod:`trustmix.transforms`: adstock (carry-over) and saturation curves with analytic
  derivatives, half-life helpers.
- :mod:`trustmix.kpi`: PR and social KPIs by AMEC stage, and :func:`trustmix.kpi.kpi_table`.
- :mod:`trustmix.mmm`: the trust-linked media-mix model (:class:`TrustMMM`).
- :mod:`trustmix.attribution`, :mod:`trustmix.inference`, :mod:`trustmix.simulate`.
- :mod:`trustmix.evaluate`: geo experiments and causal impact (synthetic control, conformal
  inference, power and market selection, lift tests).
- :mod:`trustmix.audience`: personas from survey data (latent classes), reach and frequency.
- :mod:`trustmix.experiments`: message testing (A/B/n tests safe to peek at, bandits).
- :mod:`trustmix.plan`: budget and flighting plans on a fitted model (:func:`trustmix.plan.optimize`).
"""

from trustmix import attribution, audience, core, evaluate, experiments, inference, kpi, mmm, plan, simulate, transforms
from trustmix._core import __version__
from trustmix.attribution import Journeys
from trustmix.core import Audience, Campaign, Channel, Plan
from trustmix.mmm import TrustMMM

__all__ = [
    "__version__",
    "Audience",
    "Campaign",
    "Channel",
    "Journeys",
    "Plan",
    "TrustMMM",
    "attribution",
    "audience",
    "core",
    "evaluate",
    "experiments",
    "inference",
    "kpi",
    "mmm",
    "plan",
    "simulate",
    "transforms",
]
