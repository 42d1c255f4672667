"""The trust-linked response model (MODEL.md): PR builds a trust stock that lifts organic
demand and amplifies what SMM converts. See :class:`TrustMMM`."""

from trustmix.mmm.io import MeridianData, read_meridian, rf_pairs
from trustmix.mmm.many import ManyFits, fit_many, model_seed
from trustmix.mmm.model import TrustFit, TrustMMM, simulate_trust_data
from trustmix.mmm.panel import PanelFit, PanelMMM, read_meridian_panel

__all__ = [
    "TrustFit",
    "TrustMMM",
    "simulate_trust_data",
    "MeridianData",
    "read_meridian",
    "rf_pairs",
    "ManyFits",
    "fit_many",
    "model_seed",
]
__all__ += ["PanelFit", "PanelMMM", "read_meridian_panel"]
