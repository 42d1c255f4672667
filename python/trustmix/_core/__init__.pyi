"""Type stubs of the compiled module trustmix._core (bindings/module.cpp): one stub per submodule.

Checked against the module by ``python -m mypy.stubtest trustmix._core`` (scripts/test.sh).
"""

from . import attribution as attribution
from . import audience as audience
from . import core as core
from . import evaluate as evaluate
from . import experiments as experiments
from . import inference as inference
from . import kpi as kpi
from . import mmm as mmm
from . import plan as plan
from . import runtime as runtime
from . import simulate as simulate
from . import transforms as transforms

__version__: str
