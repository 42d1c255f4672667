"""Planning and checks: sample sizes, group-sequential designs, p-value adjustment and the
sample-ratio check. The numbers come from the C++ core (``trustmix::experiments``)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core

_STATE_VERSION = 1


def _sds(baseline: float | None, sd: float | None, effect: float, metric_type: str) -> tuple[float, float]:
    if metric_type == "binomial":
        if baseline is None or not 0.0 < baseline < 1.0:
            raise ValueError(f"baseline must be the control's conversion rate in (0, 1), got {baseline}")
        p1 = baseline + effect
        if not 0.0 < p1 < 1.0:
            raise ValueError(f"baseline + effect = {p1} must be in (0, 1)")
        return float(np.sqrt(baseline * (1 - baseline))), float(np.sqrt(p1 * (1 - p1)))
    if sd is None or not sd > 0:
        raise ValueError(f"sd (per-user standard deviation) must be > 0 for a {metric_type} metric, got {sd}")
    return float(sd), float(sd)


def _real(value: Any, name: str, expected: str) -> float:
    """``value`` as a float if it is a real number (not a bool), else a ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return float(value)


def _probabilities(alpha: Any, power: Any) -> tuple[float, float]:
    return _real(alpha, "alpha", "in (0, 1)"), _real(power, "power", "in (0, 1)")


def sample_size(
    effect: float,
    *,
    baseline: float | None = None,
    sd: float | None = None,
    metric_type: str = "binomial",
    alpha: float = 0.05,
    power: float = 0.8,
    method: str = "fixed",
    looks: int = 5,
    spending: str = "obrien_fleming",
    tau: float | None = None,
) -> dict[str, Any]:
    """Users per arm to detect an absolute lift ``effect`` (two-sided, size ``alpha``).

    - fixed: n = (z_{1-alpha/2} + z_{1-beta})^2 (sd_c^2 + sd_a^2) / effect^2, with
      sd^2 = p (1 - p) for binomial metrics (``baseline`` = control rate).
    - group_sequential: the fixed n times the inflation factor of the Lan-DeMets design
      with ``looks`` equally spaced looks (maximum n; the expected n under the effect and
      under no effect are reported too).
    - sequential: the always-valid mixture SPRT with mixing sd ``tau`` (default: the
      effect): the n at which a single look rejects with probability ``power`` (an upper
      bound on the n needed, since earlier looks may already have rejected).

    Returns a dict with ``users_per_arm`` and, where defined, ``max_users_per_arm``,
    ``expected_users_alternative``, ``expected_users_null``.
    """
    alpha, power = _probabilities(alpha, power)
    sd_c, sd_a = _sds(baseline, sd, effect, metric_type)
    n_fixed = float(_core.experiments.fixed_sample_size(effect, sd_c, sd_a, alpha, power))
    if method == "fixed":
        return {"method": method, "users_per_arm": n_fixed}
    if method == "group_sequential":
        d = group_sequential_design(looks=looks, alpha=alpha, power=power, spending=spending)
        n_max = n_fixed * d.inflation
        return {
            "method": method,
            "users_per_arm": n_max,
            "max_users_per_arm": n_max,
            "expected_users_alternative": n_max * d.expected_fraction_alternative,
            "expected_users_null": n_max * d.expected_fraction_null,
            "boundaries": d.bounds.tolist(),
        }
    if method == "sequential":
        t = abs(effect) if tau is None else tau
        n = float(_core.experiments.always_valid_sample_size(effect, sd_c, sd_a, t, alpha, power))
        return {"method": method, "users_per_arm": n, "note": "upper bound (counts only the crossing at n)"}
    raise ValueError(f"method must be 'fixed', 'group_sequential' or 'sequential', got {method!r}")


class GroupSequentialDesign:
    """A two-sided group-sequential design with Lan-DeMets alpha spending.

    Attributes: ``fractions`` (information fraction of each look), ``bounds`` (z
    boundaries: stop and reject at look k when ``|Z_k| >= bounds[k]``), ``drift`` (the value of
    effect / se at full information that gives the power), ``inflation`` (maximum sample
    size over the fixed design's), ``expected_fraction_alternative`` and
    ``expected_fraction_null`` (expected share of the maximum sample used),
    ``alpha_spent`` (cumulative two-sided alpha at each look), ``table`` (DataFrame).
    """

    def __init__(self, fractions: Any, alpha: float, power: float, spending: str) -> None:
        d = _core.experiments.gs_design(np.asarray(fractions, float), alpha, power, spending)
        self.fractions = np.asarray(d.fractions)
        self.bounds = np.asarray(d.bounds)
        self.drift = float(d.drift)
        self.inflation = float(d.inflation)
        self.expected_fraction_alternative = float(d.expected_fraction_alternative)
        self.expected_fraction_null = float(d.expected_fraction_null)
        self.alpha, self.power, self.spending = alpha, power, spending
        self.alpha_spent = np.array(
            [2.0 * _core.experiments.alpha_spent(t, alpha / 2.0, spending) for t in self.fractions]
        )
        null = np.asarray(_core.experiments.gs_crossing(self.fractions, self.bounds, 0.0))
        alt = np.asarray(_core.experiments.gs_crossing(self.fractions, self.bounds, self.drift))
        self.table = pd.DataFrame(
            {
                "look": np.arange(1, len(self.fractions) + 1),
                "fraction": self.fractions,
                "z_bound": self.bounds,
                "alpha_spent": self.alpha_spent,
                "stop_prob_null": null,
                "stop_prob_alternative": alt,
            }
        )

    def summary(self) -> pd.DataFrame:
        """The per-look table."""
        return self.table

    def plot(self, ax: Any = None, z_path: Any = None) -> Any:
        """Boundaries against the information fraction (and an observed z path, if given)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.fractions, self.bounds, "k--o", label="boundary")
        ax.plot(self.fractions, -self.bounds, "k--o")
        if z_path is not None:
            z = np.asarray(z_path, float)
            ax.plot(self.fractions[: len(z)], z, "-o", label="z so far")
        ax.set_xlabel("information fraction")
        ax.set_ylabel("z statistic")
        ax.set_title(f"{self.spending} spending, alpha {self.alpha}")
        ax.legend(loc="best")
        return ax

    def _repr_html_(self) -> str:
        return (
            f"<b>Group-sequential design</b> ({html.escape(self.spending)}, alpha {self.alpha}, power "
            f"{self.power}): max sample {self.inflation:.4f} x fixed" + self.table.to_html(index=False)
        )

    def __repr__(self) -> str:
        return f"GroupSequentialDesign(looks={len(self.fractions)}, inflation={self.inflation:.4f})"

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_version": _STATE_VERSION}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.pop("_version", None) != _STATE_VERSION:
            raise ValueError("cannot unpickle GroupSequentialDesign: unsupported state version")
        self.__dict__.update(state)


def group_sequential_design(
    looks: int | None = 5,
    *,
    fractions: Any = None,
    alpha: float = 0.05,
    power: float = 0.8,
    spending: str = "obrien_fleming",
) -> GroupSequentialDesign:
    """Lan-DeMets design at ``looks`` equally spaced looks (or the given ``fractions``).

    Spending per tail at alpha/2 (as in ldbounds and gsDesign): O'Brien-Fleming type
    a(t) = 2 - 2 Phi(z_{1-alpha/4} / sqrt(t)), Pocock type a(t) = (alpha/2) log(1 + (e-1) t).
    5 looks, O'Brien-Fleming, alpha 0.05: bounds 4.877, 3.357, 2.680, 2.290, 2.031.
    """
    alpha, power = _probabilities(alpha, power)
    if not isinstance(spending, str):
        raise ValueError(f"spending must be 'obrien_fleming' or 'pocock', got {spending!r}")
    if fractions is None:
        if isinstance(looks, (bool, np.bool_)) or not isinstance(looks, (int, np.integer)) or int(looks) < 1:
            raise ValueError(f"looks must be an integer >= 1, got {looks!r}")
        fractions = np.arange(1, int(looks) + 1) / int(looks)
    return GroupSequentialDesign(fractions, alpha, power, spending)


def adjust_pvalues(p: Any, method: str = "holm") -> np.ndarray:
    """Holm step-down (family-wise error) or Benjamini-Hochberg (false discovery rate)
    adjusted p-values, in the input order."""
    p = np.asarray(p, float)
    if method == "holm":
        return np.asarray(_core.experiments.holm(p))
    if method in ("bh", "benjamini_hochberg", "fdr"):
        return np.asarray(_core.experiments.benjamini_hochberg(p))
    raise ValueError(f"method must be 'holm' or 'bh', got {method!r}")


def sample_ratio_check(users: Any, weights: Any = None) -> dict[str, Any]:
    """Pearson chi-square of users per arm against the planned split (default equal):
    {"chi2", "p_value"}. A tiny p-value (< 0.001 by convention) means the assignment is
    broken and every comparison may mislead."""
    u = np.asarray(users, float)
    w = np.ones(len(u)) if weights is None else np.asarray(weights, float)
    chi2, p = _core.experiments.sample_ratio_test(u, w)
    return {"chi2": chi2, "p_value": p}
