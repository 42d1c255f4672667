"""Relating personas to covariates and distal outcomes: the bias-corrected three-step
approach (C++ core: trustmix::audience::three_step)."""

from __future__ import annotations

import html as _html
import math
import types
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core

__all__ = ["ThreeStepResult", "three_step"]

_STATE_VERSION = 2
# Version 1 (before the typed result classes) held the compiled result as a dict of the
# same names; it still loads (read through a namespace of those names).
_ASSIGNMENTS = ("modal", "proportional")
_CORRECTIONS = ("none", "bch", "ml")


class ThreeStepResult:
    """Step 3 of the three-step approach: class membership regressed on covariates
    (multinomial logit, reference = the first persona) and/or a distal outcome's
    class-specific distribution, corrected for the classification error of step 2.

    Model (natural units of the data): pi_k(x) = exp(x b_k) / sum_l exp(x b_l), b_0 = 0;
    y | persona k ~ N(mu_k, sigma2_k) (Gaussian) or Categorical(p_k) (categorical).
    Corrections: ``none`` (naive: attenuated towards no difference), ``bch`` (Bolck, Croon
    & Hagenaars 2004: weights from the inverse classification-error matrix D), ``ml``
    (Vermunt 2010: likelihood of the assignments with D fixed). Standard errors: sandwich,
    treating step 1 (the measurement model, hence D) as known.

    Attributes: ``coefficients``, ``outcome``, ``classification_error``, ``class_shares``
    (DataFrames/Series), ``warnings``, ``assignment``, ``correction``.
    """

    def __init__(
        self,
        res: _core.audience.ThreeStepResult | types.SimpleNamespace,
        names: Sequence[str],
        covariates: Sequence[str],
        outcome: str | None,
        outcome_kind: str,
        categories: Sequence[Any],
        settings: dict[str, Any],
    ) -> None:
        self._res = res
        self.names = list(names)
        self.covariate_names = list(covariates)
        self.outcome_name = outcome
        self.outcome_kind = outcome_kind
        self.categories = list(categories)
        self.settings = dict(settings)

    assignment = property(lambda self: self.settings["assignment"])
    correction = property(lambda self: self.settings["correction"])
    objective = property(lambda self: float(self._res.objective))
    iterations = property(lambda self: int(self._res.iterations))
    converged = property(lambda self: bool(self._res.converged))
    warnings = property(lambda self: list(self._res.warnings))

    @property
    def classification_error(self) -> pd.DataFrame:
        """D: rows true persona, columns assigned persona, P(assigned | true); rows sum to 1."""
        return pd.DataFrame(
            np.asarray(self._res.classification),
            index=pd.Index(self.names, name="true"),
            columns=pd.Index(self.names, name="assigned"),
        )

    @property
    def class_shares(self) -> pd.Series:
        """Weighted mean of pi_k(x_i): the personas' shares under the step-3 model."""
        return pd.Series(np.asarray(self._res.class_shares), index=pd.Index(self.names, name="persona"), name="share")

    @property
    def coefficients(self) -> pd.DataFrame:
        """Multinomial-logit coefficients of membership (log odds of the persona against the
        first one per unit of the covariate): rows (persona, term), columns estimate, se, z,
        p_value (two-sided normal)."""
        beta = np.asarray(self._res.beta)
        se = np.asarray(self._res.beta_se)
        terms = ["intercept", *self.covariate_names]
        idx = pd.MultiIndex.from_product([self.names[1:], terms], names=["persona", "term"])
        est = beta[:, 1:].T.ravel()
        s = se[:, 1:].T.ravel()
        with np.errstate(divide="ignore", invalid="ignore"):
            z = est / s
        p = np.array([math.erfc(abs(v) / math.sqrt(2.0)) if np.isfinite(v) else np.nan for v in z])
        return pd.DataFrame({"estimate": est, "se": s, "z": z, "p_value": p}, index=idx)

    @property
    def outcome(self) -> pd.DataFrame:
        """The distal outcome per persona. Gaussian: index persona, columns mean, se,
        variance, variance_se. Categorical: index (persona, category), columns
        probability, se. Empty without an outcome."""
        r = self._res
        if self.outcome_kind == "gaussian":
            return pd.DataFrame(
                {
                    "mean": np.asarray(r.means),
                    "se": np.asarray(r.means_se),
                    "variance": np.asarray(r.variances),
                    "variance_se": np.asarray(r.variances_se),
                },
                index=pd.Index(self.names, name="persona"),
            )
        if self.outcome_kind == "categorical":
            idx = pd.MultiIndex.from_product([self.names, self.categories], names=["persona", "category"])
            return pd.DataFrame(
                {
                    "probability": np.asarray(r.probabilities).ravel(),
                    "se": np.asarray(r.probabilities_se).ravel(),
                },
                index=idx,
            )
        return pd.DataFrame()

    def summary(self) -> pd.DataFrame:
        """Settings and convergence as a one-column table."""
        return pd.Series(
            {
                "assignment": self.assignment,
                "correction": self.correction,
                "outcome": self.outcome_name,
                "outcome_kind": self.outcome_kind,
                "covariates": ", ".join(self.covariate_names),
                "objective": self.objective,
                "iterations": self.iterations,
                "converged": self.converged,
                "min_D_diagonal": float(np.diag(np.asarray(self._res.classification)).min()),
            },
            name="value",
        ).to_frame()

    def plot_outcome(self, ax: Any = None) -> Any:
        """Class-specific outcome means (Gaussian) or probabilities (categorical) with 95%
        intervals."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        t = self.outcome
        if self.outcome_kind == "gaussian":
            ax.errorbar(range(len(t)), t["mean"], yerr=1.96 * t["se"], fmt="o")
            ax.set_xticks(range(len(t)), t.index, rotation=30, ha="right")
            ax.set_ylabel(f"mean {self.outcome_name}")
        elif self.outcome_kind == "categorical":
            p = t["probability"].unstack("category")
            p.plot.bar(ax=ax, stacked=True)
            ax.set_ylabel(f"P({self.outcome_name} | persona)")
        ax.set_title(f"Three-step ({self.correction}, {self.assignment} assignment)")
        return ax

    def __repr__(self) -> str:
        what = ", ".join(
            filter(
                None,
                [
                    f"covariates={self.covariate_names}" if self.covariate_names else "",
                    f"outcome={self.outcome_name!r} ({self.outcome_kind})" if self.outcome_name else "",
                ],
            )
        )
        return f"ThreeStepResult({len(self.names)} personas, {what}, correction={self.correction!r}, {self.assignment})"

    def _repr_html_(self) -> str:
        parts = [f"<h4>{_html.escape(repr(self))}</h4>"]
        if self.covariate_names:
            parts.append(self.coefficients.round(4).to_html())
        if self.outcome_name:
            parts.append(self.outcome.round(4).to_html())
        parts.append(self.classification_error.round(3).to_html())
        return "".join(parts)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": _STATE_VERSION,
            "res": self._res,
            "names": self.names,
            "covariates": self.covariate_names,
            "outcome": self.outcome_name,
            "outcome_kind": self.outcome_kind,
            "categories": self.categories,
            "settings": self.settings,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        version = state.get("version")
        if version not in (1, _STATE_VERSION):
            raise ValueError(
                f"unsupported ThreeStepResult pickle version {version!r} (this trustmix reads 1 and {_STATE_VERSION})"
            )
        res = state["res"]
        if version == 1:
            res = types.SimpleNamespace(**res)  # the dict of version 1, read by attribute
        ThreeStepResult.__init__(
            self,
            res,
            state["names"],
            state["covariates"],
            state["outcome"],
            state["outcome_kind"],
            state["categories"],
            state["settings"],
        )


def three_step(
    membership: pd.DataFrame,
    data: pd.DataFrame,
    *,
    covariates: Sequence[str] | None = None,
    outcome: str | None = None,
    outcome_kind: str = "auto",
    assignment: str = "modal",
    correction: str = "ml",
    weights: np.ndarray | pd.Series | None = None,
    max_iterations: int = 2000,
    tolerance: float = 1e-10,
) -> ThreeStepResult:
    """The bias-corrected three-step approach from step 1's posterior ``membership``
    (respondents x personas, e.g. ``LatentClassResult.membership``) and ``data`` holding
    the covariates and/or the outcome on the same index (rows are matched by index).

    outcome_kind: "gaussian", "categorical" or "auto" (numeric -> gaussian, else
    categorical; a categorical outcome's categories are its sorted distinct values).
    assignment: "modal" or "proportional"; correction: "ml" (default), "bch" or "none".
    Missing outcome values (NaN) drop out; covariates must be complete. ``weights`` are
    sampling (survey) weights: the sandwich standard errors treat them so (with frequency
    weights, i.e. counts of identical respondents, expand the rows instead).
    """
    if assignment not in _ASSIGNMENTS:
        raise ValueError(f"assignment must be one of {_ASSIGNMENTS}, got {assignment!r}")
    if correction not in _CORRECTIONS:
        raise ValueError(f"correction must be one of {_CORRECTIONS}, got {correction!r}")
    covariates = list(covariates or [])
    if not covariates and outcome is None:
        raise ValueError("give covariates, an outcome or both")
    for c in [*covariates, *([outcome] if outcome is not None else [])]:
        if c not in data.columns:
            raise ValueError(f"column {c!r} is not in data (columns: {list(data.columns)})")
    missing_rows = membership.index.difference(data.index)
    if len(missing_rows):
        raise ValueError(
            f"data has no row for {len(missing_rows)} respondents of membership "
            f"(first: {missing_rows[0]!r}); rows are matched by index"
        )
    if not data.index.is_unique:
        raise ValueError("data's index has duplicates: rows are matched to respondents by index")
    d = data.loc[membership.index]
    x = None
    if covariates:
        x = np.column_stack([pd.to_numeric(d[c], errors="raise").to_numpy(dtype=float) for c in covariates])
    y, kind, cats = None, "none", []
    if outcome is not None:
        col = d[outcome]
        kind = outcome_kind
        if kind == "auto":
            kind = (
                "gaussian"
                if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
                else "categorical"
            )
        if kind == "gaussian":
            y = pd.to_numeric(col, errors="raise").to_numpy(dtype=float)
        elif kind == "categorical":
            cats = sorted(col.dropna().unique().tolist())
            if len(cats) < 2:
                raise ValueError(f"{outcome!r}: a categorical outcome needs at least 2 observed categories, got {cats}")
            y = pd.Categorical(col, categories=cats).codes.astype(float)
            y[y < 0] = np.nan
        else:
            raise ValueError(f"outcome_kind must be 'auto', 'gaussian' or 'categorical', got {outcome_kind!r}")
    if weights is None:
        w = None
    elif isinstance(weights, pd.Series):
        # a Series is matched by its index to the respondents (membership's order), never
        # by position: the data's rows may come in another order
        missing = membership.index.difference(weights.index)
        if len(missing):
            raise ValueError(
                f"weights: no weight for respondent {missing[0]!r} of membership's index ({len(missing)} missing)"
            )
        w = weights.reindex(membership.index).to_numpy(dtype=float)
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(membership),):
            raise ValueError(
                f"weights must have one value per respondent ({len(membership)}), got shape {w.shape}; "
                "a pandas Series is matched by its index"
            )
    res = _core.audience.three_step(
        membership.to_numpy(dtype=float),
        covariates=x,
        outcome=y,
        outcome_kind=kind,
        categories=len(cats),
        weights=w,
        assignment=assignment,
        correction=correction,
        max_iterations=int(max_iterations),
        tolerance=float(tolerance),
        covariate_names=[str(c) for c in covariates],
        outcome_name=str(outcome) if outcome is not None else "outcome",
    )
    settings = {
        "assignment": assignment,
        "correction": correction,
        "max_iterations": int(max_iterations),
        "tolerance": float(tolerance),
    }
    return ThreeStepResult(
        res,
        [str(c) for c in membership.columns],
        [str(c) for c in covariates],
        None if outcome is None else str(outcome),
        kind,
        cats,
        settings,
    )
