"""Audiences: personas from survey data, their reach and frequency, and their export to
the simulator's :class:`trustmix.Audience` (docs/audience.md).

::

    personas = latent_classes(survey, items=[...], classes=range(2, 7), starts=50)
    personas.table, personas.best.profiles(), personas.best.membership
    personas.best.to_audiences(population=5e6, channels={"instagram": ("instagram", ["daily"])})
    personas.best.three_step(survey, covariates=["age"], outcome="donated")   # bias-corrected
    reach_curve(impressions, population, kind="nbd", reach=observed).reach(at=2e6)

Every number comes from the C++ core (trustmix::audience).
"""

from trustmix.audience._latent import AudienceWarning, LatentClassResult, LatentClassSelection, latent_classes
from trustmix.audience._reach import (
    ReachCurve,
    duplication,
    fit_reach_curves,
    overlap_model,
    reach_curve,
    read_meridian_rf,
)
from trustmix.audience._three_step import ThreeStepResult, three_step

__all__ = [
    "AudienceWarning",
    "LatentClassResult",
    "LatentClassSelection",
    "ReachCurve",
    "duplication",
    "fit_reach_curves",
    "latent_classes",
    "overlap_model",
    "reach_curve",
    "read_meridian_rf",
    "ThreeStepResult",
    "three_step",
]
