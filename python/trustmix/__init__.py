"""trustmix: marketing science where PR builds trust and SMM converts it."""
from trustmix._core import __version__
