r"""PR and social-media KPIs, organised by the AMEC Integrated Evaluation Framework stages
(outputs -> out-takes -> outcomes -> impact), as defined in METRICS.md.

Every function is vectorised: arguments may be scalars, numpy arrays or pandas Series
(broadcast against each other). A Series in gives a Series out with the same index.

Conventions
-----------
- A zero denominator gives NaN (never 0, never an exception); a missing input (NaN)
  gives NaN.
- A negative or infinite count or amount raises ValueError naming the argument and the
  position; so does a part above its whole (``trust_index``, ``share_of_voice``,
  ``share_of_search``, as ``nps``) and a ratio that overflows.
- Rates marked "percent" are x 100; CVR and ROI are fractions. With CTR in percent, the
  identities are ``CPA = CPC / CVR`` and ``CPC = CPM / (10 * CTR)``.
- Advertising value equivalents (AVE) are not value (Barcelona Principles) and are not
  computed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core
from trustmix._arrays import _show

__all__ = [
    "KPI",
    "amplification_rate",
    "cac",
    "catalog",
    "clv",
    "cpa",
    "cpc",
    "cpm",
    "ctr",
    "cvr",
    "engagement_rate",
    "esov",
    "excess_share_of_voice",
    "follower_growth_rate",
    "frequency",
    "kpi_table",
    "net_sentiment",
    "nps",
    "roas",
    "roi",
    "share_of_search",
    "share_of_voice",
    "trust_index",
    "virality_rate",
]


def _call(fn: Callable[..., np.ndarray], name: str, signed: tuple[str, ...] = (), **args: Any) -> Any:
    """Broadcasts the arguments, checks signs, calls the C++ kernel, restores pandas."""
    index = None
    for v in args.values():
        if isinstance(v, pd.Series):
            if index is not None and not v.index.equals(index):
                raise ValueError(f"{name}: Series arguments have different indexes; align them first")
            index = v.index
    arrays = {}
    for k, v in args.items():
        a = np.asarray(v.to_numpy(dtype=np.float64, na_value=np.nan) if isinstance(v, pd.Series) else v)
        if a.dtype.kind not in "iuf":
            raise ValueError(f"{name}: {k} must be numeric, got dtype {a.dtype}")
        arrays[k] = a.astype(np.float64)
    try:
        b = np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{k}{a.shape}" for k, a in arrays.items())
        raise ValueError(f"{name}: arguments cannot be broadcast together: {shapes}") from None
    shape = b[0].shape
    flat = {k: np.ascontiguousarray(a).ravel() for k, a in zip(arrays, b, strict=True)}
    for k, a in flat.items():
        bad = np.isinf(a) if k in signed else (a < 0) | np.isinf(a)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            if index is not None:
                where = f"index {_show(index[i])}"
            else:
                where = f"position {np.unravel_index(i, shape) if len(shape) > 1 else i}"
            expected = "finite (NaN for missing)" if k in signed else "a finite number >= 0 (a count or amount)"
            raise ValueError(f"{name}: {k} must be {expected}, got {float(a[i])!r} at {where}")
    out = np.asarray(fn(*flat.values())).reshape(shape)
    if index is not None:
        return pd.Series(out, index=index, name=name)
    return out if out.ndim else float(out)


# ---- Outputs --------------------------------------------------------------------------
def frequency(impressions: Any, reach: Any) -> Any:
    """Average frequency = impressions / reach (exposures per reached person)."""
    return _call(_core.kpi.frequency, "frequency", impressions=impressions, reach=reach)


def share_of_voice(brand: Any, category_total: Any) -> Any:
    """Share of voice (percent) = brand mentions (or spend, GRPs) / category total x 100."""
    return _call(_core.kpi.share_of_voice, "share_of_voice", brand=brand, category_total=category_total)


def excess_share_of_voice(share_of_voice: Any, share_of_market: Any) -> Any:
    """Excess share of voice (percentage points) = SOV (percent) - SOM (percent).

    The C++ name is the same: ``trustmix::kpi::excess_share_of_voice``.
    """
    return _call(
        _core.kpi.excess_share_of_voice,
        "excess_share_of_voice",
        share_of_voice=share_of_voice,
        share_of_market=share_of_market,
    )


def esov(share_of_voice: Any, share_of_market: Any) -> Any:
    """Deprecated alias of :func:`excess_share_of_voice` (same values; warns once per call site)."""
    warnings.warn(
        "trustmix.kpi.esov is deprecated; use trustmix.kpi.excess_share_of_voice", DeprecationWarning, stacklevel=2
    )
    return excess_share_of_voice(share_of_voice, share_of_market)


def net_sentiment(positive: Any, negative: Any) -> Any:
    """Net sentiment (-100..100) = (positive - negative) / (positive + negative) x 100."""
    return _call(_core.kpi.net_sentiment, "net_sentiment", positive=positive, negative=negative)


# ---- Out-takes ------------------------------------------------------------------------
_ENGAGEMENT_BY = ("reach", "followers", "impressions")


def engagement_rate(engagements: Any, denominator: Any, by: str = "reach") -> Any:
    """Engagement rate (percent) = engagements / denominator x 100.

    ``by`` names the denominator ("reach", "followers" or "impressions"); the result is
    named ``engagement_rate_by_<by>`` because rates with different denominators are not
    comparable.
    """
    if by not in _ENGAGEMENT_BY:
        raise ValueError(f"by must be one of {', '.join(_ENGAGEMENT_BY)}; got {by!r}")
    return _call(_core.kpi.engagement_rate, f"engagement_rate_by_{by}", engagements=engagements, **{by: denominator})


def ctr(clicks: Any, impressions: Any) -> Any:
    """Click-through rate (percent) = clicks / impressions x 100."""
    return _call(_core.kpi.click_through_rate, "ctr", clicks=clicks, impressions=impressions)


def virality_rate(shares: Any, impressions: Any) -> Any:
    """Virality rate (percent) = shares / impressions x 100."""
    return _call(_core.kpi.virality_rate, "virality_rate", shares=shares, impressions=impressions)


def amplification_rate(shares: Any, followers: Any) -> Any:
    """Amplification rate (percent) = shares / followers x 100."""
    return _call(_core.kpi.amplification_rate, "amplification_rate", shares=shares, followers=followers)


def follower_growth_rate(followers_start: Any, followers_end: Any) -> Any:
    """Follower growth rate (percent) = (end - start) / start x 100."""
    return _call(
        _core.kpi.follower_growth_rate,
        "follower_growth_rate",
        followers_start=followers_start,
        followers_end=followers_end,
    )


# ---- Outcomes -------------------------------------------------------------------------
def nps(promoters: Any, detractors: Any, respondents: Any) -> Any:
    """Net Promoter Score (-100..100) = (promoters - detractors) / respondents x 100."""
    return _call(
        _core.kpi.net_promoter_score, "nps", promoters=promoters, detractors=detractors, respondents=respondents
    )


def trust_index(trusting: Any, respondents: Any) -> Any:
    """Trust index (percent) = respondents who trust (top-box) / respondents x 100."""
    return _call(_core.kpi.trust_index, "trust_index", trusting=trusting, respondents=respondents)


def share_of_search(brand_searches: Any, category_searches: Any) -> Any:
    """Share of search (percent) = brand searches / category searches x 100."""
    return _call(
        _core.kpi.share_of_search, "share_of_search", brand_searches=brand_searches, category_searches=category_searches
    )


# ---- Impact ---------------------------------------------------------------------------
def cpm(cost: Any, impressions: Any) -> Any:
    """Cost per mille (currency per 1000 impressions) = cost / impressions x 1000."""
    return _call(_core.kpi.cost_per_mille, "cpm", cost=cost, impressions=impressions)


def cpc(cost: Any, clicks: Any) -> Any:
    """Cost per click (currency) = cost / clicks."""
    return _call(_core.kpi.cost_per_click, "cpc", cost=cost, clicks=clicks)


def cpa(cost: Any, conversions: Any) -> Any:
    """Cost per acquisition (currency per conversion) = cost / conversions."""
    return _call(_core.kpi.cost_per_acquisition, "cpa", cost=cost, conversions=conversions)


def cac(acquisition_cost: Any, new_customers: Any) -> Any:
    """Customer acquisition cost (currency) = total acquisition cost / new customers."""
    return _call(
        _core.kpi.customer_acquisition_cost, "cac", acquisition_cost=acquisition_cost, new_customers=new_customers
    )


_CVR_BY = ("clicks", "visits", "sessions")


def cvr(conversions: Any, denominator: Any, by: str = "clicks") -> Any:
    """Conversion rate (fraction) = conversions / denominator; ``by`` names it
    ("clicks", "visits" or "sessions"); the result is named ``cvr_by_<by>``."""
    if by not in _CVR_BY:
        raise ValueError(f"by must be one of {', '.join(_CVR_BY)}; got {by!r}")
    return _call(_core.kpi.conversion_rate, f"cvr_by_{by}", conversions=conversions, **{by: denominator})


def roas(revenue: Any, spend: Any) -> Any:
    """Return on ad spend (currency per currency) = revenue / spend."""
    return _call(_core.kpi.return_on_ad_spend, "roas", revenue=revenue, spend=spend)


def roi(incremental_value: Any, cost: Any) -> Any:
    """Return on investment (fraction) = (incremental value - cost) / cost. Use
    incremental value (from attribution, an experiment or the model), not revenue."""
    return _call(
        _core.kpi.return_on_investment,
        "roi",
        signed=("incremental_value",),
        incremental_value=incremental_value,
        cost=cost,
    )


def clv(margin: Any, retention: Any, discount: Any = 0.1) -> Any:
    """Simple customer lifetime value (currency) = margin x retention / (1 + discount - retention).

    ``margin`` per customer per period, ``retention`` the per-period retention rate in
    [0, 1], ``discount`` the per-period discount rate (>= 0).
    """
    return _call(_core.kpi.customer_lifetime_value, "clv", margin=margin, retention=retention, discount=discount)


# ---- the catalogue and kpi_table ------------------------------------------------------
@dataclass(frozen=True)
class KPI:
    """One KPI of the catalogue: its column name, AMEC stage, formula, unit, the input
    columns it needs (canonical names) and how it is computed from them."""

    name: str
    stage: str
    formula: str
    unit: str
    inputs: tuple[str, ...]
    compute: Callable[..., Any]


_CATALOG: tuple[KPI, ...] = (
    KPI("frequency", "outputs", "impressions / reach", "exposures per person", ("impressions", "reach"), frequency),
    KPI(
        "share_of_voice",
        "outputs",
        "mentions / category_mentions x 100",
        "percent",
        ("mentions", "category_mentions"),
        share_of_voice,
    ),
    KPI(
        "excess_share_of_voice",
        "outputs",
        "share_of_voice - share_of_market",
        "percentage points",
        ("mentions", "category_mentions", "share_of_market"),
        lambda m, c, s: excess_share_of_voice(share_of_voice(m, c), s),
    ),
    KPI(
        "net_sentiment",
        "outputs",
        "(positive - negative) / (positive + negative) x 100",
        "index -100..100",
        ("positive", "negative"),
        net_sentiment,
    ),
    KPI(
        "engagement_rate_by_reach",
        "out-takes",
        "engagements / reach x 100",
        "percent",
        ("engagements", "reach"),
        lambda e, d: engagement_rate(e, d, by="reach"),
    ),
    KPI(
        "engagement_rate_by_followers",
        "out-takes",
        "engagements / followers x 100",
        "percent",
        ("engagements", "followers"),
        lambda e, d: engagement_rate(e, d, by="followers"),
    ),
    KPI(
        "engagement_rate_by_impressions",
        "out-takes",
        "engagements / impressions x 100",
        "percent",
        ("engagements", "impressions"),
        lambda e, d: engagement_rate(e, d, by="impressions"),
    ),
    KPI("ctr", "out-takes", "clicks / impressions x 100", "percent", ("clicks", "impressions"), ctr),
    KPI(
        "virality_rate", "out-takes", "shares / impressions x 100", "percent", ("shares", "impressions"), virality_rate
    ),
    KPI(
        "amplification_rate",
        "out-takes",
        "shares / followers x 100",
        "percent",
        ("shares", "followers"),
        amplification_rate,
    ),
    KPI(
        "follower_growth_rate",
        "out-takes",
        "(followers_end - followers_start) / followers_start x 100",
        "percent",
        ("followers_start", "followers_end"),
        follower_growth_rate,
    ),
    KPI("trust_index", "outcomes", "trusting / respondents x 100", "percent", ("trusting", "respondents"), trust_index),
    KPI(
        "nps",
        "outcomes",
        "(promoters - detractors) / respondents x 100",
        "index -100..100",
        ("promoters", "detractors", "respondents"),
        nps,
    ),
    KPI(
        "share_of_search",
        "outcomes",
        "brand_searches / category_searches x 100",
        "percent",
        ("brand_searches", "category_searches"),
        share_of_search,
    ),
    KPI("cpm", "impact", "spend / impressions x 1000", "currency per 1000 impressions", ("spend", "impressions"), cpm),
    KPI("cpc", "impact", "spend / clicks", "currency per click", ("spend", "clicks"), cpc),
    KPI("cpa", "impact", "spend / conversions", "currency per conversion", ("spend", "conversions"), cpa),
    KPI(
        "cac",
        "impact",
        "acquisition_cost / new_customers",
        "currency per customer",
        ("acquisition_cost", "new_customers"),
        cac,
    ),
    KPI(
        "cvr_by_clicks",
        "impact",
        "conversions / clicks",
        "fraction",
        ("conversions", "clicks"),
        lambda c, d: cvr(c, d, by="clicks"),
    ),
    KPI(
        "cvr_by_visits",
        "impact",
        "conversions / visits",
        "fraction",
        ("conversions", "visits"),
        lambda c, d: cvr(c, d, by="visits"),
    ),
    KPI("roas", "impact", "revenue / spend", "currency per currency", ("revenue", "spend"), roas),
    KPI("roi", "impact", "(incremental_value - spend) / spend", "fraction", ("incremental_value", "spend"), roi),
    KPI(
        "clv",
        "impact",
        "margin x retention / (1 + discount - retention)",
        "currency per customer",
        ("margin", "retention", "discount"),
        clv,
    ),
)

STAGES = ("outputs", "out-takes", "outcomes", "impact")


def catalog() -> pd.DataFrame:
    """Every KPI :func:`kpi_table` knows: name, AMEC stage, formula, unit and the input
    columns it needs (canonical names)."""
    return pd.DataFrame(
        [
            {"kpi": k.name, "stage": k.stage, "formula": k.formula, "unit": k.unit, "inputs": ", ".join(k.inputs)}
            for k in _CATALOG
        ]
    )


def kpi_table(df: pd.DataFrame, columns: dict[str, str] | None = None, stage: bool = False) -> pd.DataFrame:
    """Every KPI of :func:`catalog` that the columns of ``df`` allow, row by row.

    Parameters
    ----------
    df : DataFrame
        One row per period, channel or campaign, with columns under the canonical names
        of :func:`catalog` (``spend``, ``impressions``, ``reach``, ``clicks``,
        ``engagements``, ``followers``, ``shares``, ``conversions``, ``revenue``,
        ``mentions``, ``category_mentions``, ``positive``, ``negative``, ...). A column
        named ``cost`` is used as ``spend`` when there is no ``spend`` column.
    columns : dict, optional
        Maps canonical names to the frame's own, e.g. ``{"spend": "cost_usd"}``.
    stage : bool
        If True, the result's columns are a MultiIndex (AMEC stage, KPI).

    Returns
    -------
    DataFrame
        Same index as ``df``; one column per computable KPI in catalogue order.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"kpi_table takes a pandas DataFrame, got {type(df).__name__}")
    mapping = dict(columns or {})
    for canon, own in mapping.items():
        if own not in df.columns:
            raise ValueError(f"columns maps {canon!r} to {own!r}, which is not a column of the frame")
    if "spend" not in mapping and "spend" not in df.columns and "cost" in df.columns:
        mapping["spend"] = "cost"

    def column(name: str) -> str | None:
        own = mapping.get(name, name)
        return own if own in df.columns else None

    out: dict[Any, pd.Series] = {}
    for k in _CATALOG:
        cols = [column(n) for n in k.inputs]
        if any(c is None for c in cols):
            continue
        try:
            value = k.compute(*(df[c] for c in cols))
        except ValueError as e:
            raise ValueError(f"kpi_table: {k.name}: {e}") from None
        series = pd.Series(np.asarray(value, dtype=np.float64), index=df.index)
        out[(k.stage, k.name) if stage else k.name] = series
    result = pd.DataFrame(out, index=df.index)
    if stage and len(result.columns):
        result.columns = pd.MultiIndex.from_tuples(result.columns, names=["stage", "kpi"])
    return result
