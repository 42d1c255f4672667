"""Survey DataFrames -> the arrays the C++ core reads (codes, NaN, weights, covariates)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MISSING = 255
MAX_CATEGORIES = 254


@dataclass
class Encoded:
    """A survey encoded for the core: categorical codes with their labels."""

    items: np.ndarray  # n x J uint8, 255 = missing
    categories: list[list[Any]]  # labels per item, code c -> categories[j][c]
    item_names: list[str]
    gaussian: np.ndarray | None = None
    gaussian_names: list[str] = field(default_factory=list)
    weights: np.ndarray | None = None
    covariates: np.ndarray | None = None
    covariate_names: list[str] = field(default_factory=list)
    index: pd.Index | None = None

    def core(self) -> Any:
        """The survey as the core's checked ``Survey`` (errors name rows and columns)."""
        from trustmix import _core

        return _core.audience.Survey(
            self.items,
            [len(c) for c in self.categories],
            self.gaussian,
            self.weights,
            self.covariates,
            [f"item '{n}'" for n in self.item_names],
            [f"indicator '{n}'" for n in self.gaussian_names],
            [f"covariate '{n}'" for n in self.covariate_names],
        )


def _column(survey: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in survey.columns:
        raise ValueError(f"{what} column {name!r} is not in the survey (columns: {list(survey.columns)})")
    return survey[name]


def encode(
    survey: pd.DataFrame,
    items: Sequence[str],
    *,
    gaussian: Sequence[str] | None = None,
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    categories: dict[str, Sequence[Any]] | None = None,
) -> Encoded:
    """Encodes the survey's columns. Item categories are the column's categorical
    categories if it is a pandas Categorical, else its sorted distinct non-missing values,
    unless ``categories[item]`` lists them (then any other value is an error)."""
    if not isinstance(survey, pd.DataFrame):
        raise ValueError(f"survey must be a pandas DataFrame, got {type(survey).__name__}")
    items = list(items)
    gaussian = list(gaussian or [])
    covariates = list(covariates or [])
    if not items and not gaussian:
        raise ValueError("give at least one item (categorical) or gaussian (continuous) column")
    dup = {c for c in items + gaussian if (items + gaussian).count(c) > 1}
    if dup:
        raise ValueError(f"columns used twice: {sorted(dup)}")
    n = len(survey)
    codes = np.full((n, len(items)), MISSING, dtype=np.uint8)
    labels: list[list[Any]] = []
    for j, name in enumerate(items):
        col = _column(survey, name, "item")
        if categories and name in categories:
            cats = list(categories[name])
        elif isinstance(col.dtype, pd.CategoricalDtype):
            cats = list(col.cat.categories)
        else:
            cats = sorted(col.dropna().unique().tolist())
        if len(cats) > MAX_CATEGORIES:
            raise ValueError(f"item {name!r} has {len(cats)} categories; at most {MAX_CATEGORIES} are supported")
        lookup = {c: k for k, c in enumerate(cats)}
        mapped = col.map(lookup)
        bad = col.notna() & mapped.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"row {row}, item {name!r}: value {col.iloc[row]!r} is not one of the categories {cats}")
        present = mapped.notna().to_numpy()
        codes[present, j] = mapped.to_numpy()[present].astype(np.uint8)
        labels.append(cats)
    enc = Encoded(items=codes, categories=labels, item_names=items, index=survey.index)
    if gaussian:
        g = np.empty((n, len(gaussian)))
        for k, name in enumerate(gaussian):
            col = pd.to_numeric(_column(survey, name, "gaussian"), errors="coerce")
            orig = survey[name]
            bad = orig.notna() & col.isna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ValueError(f"row {row}, gaussian {name!r}: {orig.iloc[row]!r} is not a number")
            g[:, k] = col.to_numpy(dtype=np.float64)
        enc.gaussian = g
        enc.gaussian_names = gaussian
    if covariates:
        x = np.empty((n, len(covariates)))
        for k, name in enumerate(covariates):
            col = _column(survey, name, "covariate")
            try:
                x[:, k] = pd.to_numeric(col).to_numpy(dtype=np.float64)
            except (TypeError, ValueError) as e:
                raise ValueError(
                    f"covariate {name!r} must be numeric (encode categories as indicator columns): {e}"
                ) from None
        enc.covariates = x
        enc.covariate_names = covariates
    if weights is not None:
        enc.weights = pd.to_numeric(_column(survey, weights, "weights")).to_numpy(dtype=np.float64)
    return enc


def encode_like(template: Encoded, survey: pd.DataFrame) -> Encoded:
    """Encodes new respondents with the categories of a fitted survey."""
    return encode(
        survey,
        template.item_names,
        gaussian=template.gaussian_names,
        covariates=template.covariate_names,
        categories=dict(zip(template.item_names, template.categories, strict=True)),
    )
