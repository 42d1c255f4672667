"""World simulator with ground truth: audiences, PR, SMM, crises, trust, journeys, panels.

>>> import trustmix as tm
>>> world = tm.simulate.World.from_scenario("pr_first_then_smm", seed=1)
>>> out = world.run(periods=104, mode="segment")
>>> out.panel, out.truth.channels           # doctest: +SKIP

Scenarios are plain dicts (``scenario(name)`` returns an editable copy). Equations and
the C++ API side by side: ``docs/simulate.md``.
"""

from ._geo import GeoExperimentResult, geo_experiment, make_regions
from ._geo_panel import GeoPanelResult, geo_panel
from ._messages import MessageTestRun, run_message_test
from ._world import GroundTruth, SimulationResult, World
from .presets import PERSONAS, PR_KIND_DEFAULTS, SCENARIOS, scenario, scenario_names

__all__ = [
    "PERSONAS",
    "PR_KIND_DEFAULTS",
    "SCENARIOS",
    "GroundTruth",
    "SimulationResult",
    "World",
    "scenario",
    "scenario_names",
]
__all__ += ["GeoExperimentResult", "geo_experiment", "make_regions"]
__all__ += ["MessageTestRun", "run_message_test"]
__all__ += ["GeoPanelResult", "geo_panel"]
