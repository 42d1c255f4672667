"""tm.evaluate functions: long DataFrames in, result objects out; all arithmetic in C++."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core
from trustmix.evaluate._panel import WidePanel, to_panel
from trustmix.evaluate._results import (
    CausalImpactResult,
    DidResult,
    InferenceWarning,
    MarketSelectionResult,
    PowerResult,
    SyntheticControlResult,
)

__all__ = ["causal_impact", "synthetic_control", "synthetic_did", "staggered_did", "power_analysis", "market_selection"]

_METHODS = ("synthetic_control", "augmented", "synthetic_did")
# The attributes of _core.evaluate.ConformalResult, the keys of SyntheticControlResult.inference.
_CONFORMAL_FIELDS = (
    "p_value",
    "statistic",
    "exact",
    "n_permutations",
    "alpha",
    "lower",
    "upper",
    "pointwise_lower",
    "pointwise_upper",
    "pointwise_p",
    "null_residuals",
    "cannot_reject",
    "pointwise_cannot_reject",
    "hull",
    "pointwise_hull",
)


def _window(panel: WidePanel, start: Any, end: Any) -> tuple[int, int]:
    s = panel.period(start, "start")
    if end is None:
        e = len(panel.times)
    else:
        e = int(
            panel.times.searchsorted(
                pd.Timestamp(end) if isinstance(panel.times, pd.DatetimeIndex) else end, side="right"
            )
        )
    if e <= s:
        raise ValueError(f"end {end!r} is before start {start!r}: the test window is empty")
    return s, e


def synthetic_control(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Sequence[Any] | str,
    start: Any,
    end: Any = None,
    method: str = "synthetic_control",
    fixed_effects: bool = True,
    ridge: float | None = None,
    aggregation: str = "average",
    inference: str | None = "conformal",
    alpha: float = 0.1,
    permutation: str = "iid",
    n_permutations: int = 1000,
    statistic: str = "absolute",
    q: float = 1.0,
    pointwise: bool = True,
    seed: int = 0,
    min_pre_periods: int = 3,
    n_placebo: int = 200,
) -> SyntheticControlResult:
    """Synthetic control for treated units from a long table (unit, time, outcome).

    The counterfactual of the (mean) treated unit is ``synthetic_t = intercept + sum_j w_j
    Y_jt`` over donors j (every unit not treated). ``method``:

    - ``"synthetic_control"``: w on the simplex minimising the pre-period imbalance
      ``||(x - xbar) - (Y0 - Ybar0) w||^2`` with ``fixed_effects`` (GeoLift's default), or
      ``||x - Y0 w||^2`` without; solved exactly (active set, KKT to rounding);
    - ``"augmented"``: ridge-augmented (Ben-Michael et al. 2021), w + (Xc'Xc + ridge I)^-1
      Xc' r, ``ridge`` in outcome units squared (None: trace(Xc'Xc) / J, a heuristic);
    - ``"synthetic_did"``: Arkhangelsky et al. (2021), penalised unit weights with an
      intercept and time weights.

    ``treated``: unit names (several are averaged, as GeoLift does, or fitted one by one with
    ``aggregation="per_unit"``). ``start``/``end``: first and last period of the test (time
    labels, inclusive; end=None: the last period). ``inference``: ``"conformal"``
    (Chernozhukov, Wuthrich and Zhu 2021: p-value of no effect and, by inverting the same
    test, the interval of att and pointwise intervals), ``"jackknife+"`` (p-value
    conformal, interval jackknife+ over time), ``"placebo"`` (p-value conformal, interval
    att -+ z se with the placebo standard error of Arkhangelsky et al. 2021, Algorithm 4:
    ``n_placebo`` draws of as many donors as treated units playing the treated on the donor
    pool; the interval to use with ``method="synthetic_did"``, whose conformal refit lacks
    the time weights) or None. ``statistic``: ``"absolute"``
    (``sum |u|^q``, GeoLift's "Total") or ``"mean"`` (``|sum u|``, a test of the average effect).

    Returns a :class:`SyntheticControlResult` (att in outcome units per treated unit and
    period, lift, incremental, weights, series, summary(), plot(), as_lift_test()).
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if inference not in ("conformal", "jackknife+", "placebo", None):
        raise ValueError(f"inference must be 'conformal', 'jackknife+', 'placebo' or None, got {inference!r}")
    panel = to_panel(data, unit, time, outcome)
    names = [treated] if isinstance(treated, str) else list(treated)
    if not names:
        raise ValueError("treated must name at least one unit")
    rows = panel.rows(names)
    s, e = _window(panel, start, end)
    sc: dict[str, Any] = dict(
        units=panel.units,
        method=method,
        fixed_effects=bool(fixed_effects),
        ridge=-1.0 if ridge is None else float(ridge),
        aggregation=aggregation,
        min_pre_periods=int(min_pre_periods),
    )
    settings = dict(
        sc,
        inference=inference,
        alpha=float(alpha),
        permutation=permutation,
        n_permutations=int(n_permutations),
        statistic=statistic,
        q=float(q),
        seed=int(seed),
        unit=unit,
        time=time,
        outcome=outcome,
    )
    del settings["units"]
    fit = _core.evaluate.synthetic_control(panel.outcomes, rows, s, e, **sc)
    inf: dict[str, Any] | None = None
    if inference is not None:
        conformal = _core.evaluate.conformal_inference(
            panel.outcomes,
            rows,
            s,
            e,
            permutation=permutation,
            n_permutations=int(n_permutations),
            q=float(q),
            alpha=float(alpha),
            seed=int(seed),
            pointwise=bool(pointwise),
            statistic=statistic,
            **sc,
        )
        inf = {k: getattr(conformal, k) for k in _CONFORMAL_FIELDS}
        if inference == "jackknife+":
            jk = _core.evaluate.jackknife_plus(panel.outcomes, rows, s, e, alpha=float(alpha), **sc)
            inf.update(
                lower=jk.lower,
                upper=jk.upper,
                pointwise_lower=jk.pointwise_lower,
                pointwise_upper=jk.pointwise_upper,
            )
        elif inference == "placebo":
            pv = _core.evaluate.placebo_variance(
                panel.outcomes, rows, s, e, alpha=float(alpha), n_placebo=int(n_placebo), seed=int(seed), **sc
            )
            # The att interval is the placebo one; p-value and pointwise intervals stay conformal.
            inf.update(
                lower=pv.lower,
                upper=pv.upper,
                placebo_se=pv.se,
                placebo_att=pv.placebo_att,
                cannot_reject=False,
            )
    result = SyntheticControlResult(fit, inf, settings, panel, rows, s, e)
    if inf is not None and (inf.get("cannot_reject") or inf.get("pointwise_cannot_reject")):
        which = "the interval of att" if inf.get("cannot_reject") else "the pointwise intervals"
        warnings.warn(
            f"the design cannot reject at alpha = {alpha}: the smallest attainable conformal p-value "
            f"exceeds alpha, so {which} is (-inf, inf) (too few permutations or pre-periods); raise "
            "n_permutations, use a longer pre-period or a larger alpha",
            InferenceWarning,
            stacklevel=2,
        )
    elif inf is not None and math.isnan(result.lower):
        warnings.warn(
            f"the {1 - alpha:.0%} conformal interval of att is empty: the {statistic!r} test rejects "
            "every constant effect tried (a grid, then a dense search around its best point and at "
            "the median post-period effect) (the effect varies over the window or the window fits worse than "
            "the pre-period); statistic='mean' tests the average effect only",
            InferenceWarning,
            stacklevel=2,
        )
    if inf is not None and inference == "conformal" and (inf.get("hull") or inf.get("pointwise_hull")):
        warnings.warn(
            "the conformal acceptance set is not an interval (a rejected effect lies between the reported "
            "ends): lower and upper are its hull",
            InferenceWarning,
            stacklevel=2,
        )
    return result


def synthetic_did(data: pd.DataFrame, **kwargs: Any) -> SyntheticControlResult:
    """Synthetic difference-in-differences (Arkhangelsky et al. 2021): unit weights with an
    intercept and penalty zeta^2 T_pre ||w||^2, zeta^2 = sqrt(N_treated T_post) sigma^2
    (sigma: sd of the donors' first differences), and time weights; att = (ybar_post -
    lambda'y_pre) - w'(Ybar_post - Y_pre lambda). Same arguments as
    :func:`synthetic_control`."""
    return synthetic_control(data, method="synthetic_did", **kwargs)


def staggered_did(
    data: pd.DataFrame, *, unit: str, time: str, outcome: str, adoption: Mapping[Any, Any] | str, alpha: float = 0.05
) -> DidResult:
    """Difference-in-differences with staggered adoption (Callaway and Sant'Anna 2021, no
    covariates): ATT(g, t) = mean over cohort g of (Y_t - Y_{g-1}) minus the same over
    never-treated units; aggregated over post cells weighted by cohort size and by event
    time. ``adoption``: a mapping unit -> first treated time (None/NaN: never), or the name
    of a column holding it. Standard errors from the units' influence functions (cohort
    weights taken as fixed)."""
    panel = to_panel(data, unit, time, outcome)
    if isinstance(adoption, str):
        if adoption not in data.columns:
            raise ValueError(f"adoption column {adoption!r} is not in data")
        per_unit = data.groupby(data[unit].astype(str))[adoption].first().to_dict()
    else:
        per_unit = {str(k): v for k, v in adoption.items()}
        unknown = set(per_unit) - set(panel.units)
        if unknown:
            raise ValueError(f"adoption names unit(s) not in the data: {sorted(unknown, key=str)[:5]}")
    codes = []
    for u in panel.units:
        g = per_unit.get(u)
        if g is None or (isinstance(g, float) and math.isnan(g)) or (g is pd.NaT):
            codes.append(-1)
            continue
        pos = panel.period(g, f"adoption of {u!r}")
        codes.append(pos)
    r = _core.evaluate.staggered_did(panel.outcomes, codes, units=panel.units)
    return DidResult(r, panel.times, alpha)


def _design_kwargs(
    effects: Any,
    n_windows: Any,
    alpha: Any,
    power_target: Any,
    method: Any,
    fixed_effects: Any,
    ridge: Any,
    permutation: Any,
    n_permutations: Any,
    statistic: Any,
    q: Any,
    seed: Any,
    min_pre_periods: Any,
) -> dict[str, Any]:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    return dict(
        effects=[float(e) for e in effects],
        n_windows=int(n_windows),
        alpha=float(alpha),
        power_target=float(power_target),
        method=method,
        fixed_effects=bool(fixed_effects),
        ridge=-1.0 if ridge is None else float(ridge),
        permutation=permutation,
        n_permutations=int(n_permutations),
        statistic=statistic,
        q=float(q),
        seed=int(seed),
        min_pre_periods=int(min_pre_periods),
    )


def power_analysis(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Sequence[Any] | str,
    duration: int,
    effects: Iterable[float] = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2),
    n_windows: int = 3,
    alpha: float = 0.1,
    power_target: float = 0.8,
    method: str = "synthetic_control",
    fixed_effects: bool = True,
    ridge: float | None = None,
    permutation: str = "iid",
    n_permutations: int = 200,
    statistic: str = "absolute",
    q: float = 1.0,
    seed: int = 0,
    min_pre_periods: int = 3,
) -> PowerResult:
    """Power of a design by simulation on history (GeoLift's GeoLiftPower): the last
    ``n_windows`` windows of ``duration`` periods play the test in turn; a relative lift e
    is injected into the treated units there (outcome x (1 + e)), the synthetic control is
    fitted on the periods before and the conformal test run. power(e) = share of windows
    with p <= alpha; MDE = smallest ``|e|`` of ``effects`` with power >= ``power_target``."""
    panel = to_panel(data, unit, time, outcome)
    rows = panel.rows([treated] if isinstance(treated, str) else list(treated))
    kw = _design_kwargs(
        effects,
        n_windows,
        alpha,
        power_target,
        method,
        fixed_effects,
        ridge,
        permutation,
        n_permutations,
        statistic,
        q,
        seed,
        min_pre_periods,
    )
    curve = _core.evaluate.power_analysis(panel.outcomes, rows, int(duration), units=panel.units, **kw)
    return PowerResult(curve, panel.units, kw)


def market_selection(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    sizes: Iterable[int] = (2, 3, 4, 5),
    durations: Iterable[int] = (10, 15),
    candidates: Iterable[Sequence[Any]] | None = None,
    exclude: Iterable[Any] = (),
    effects: Iterable[float] = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2),
    n_windows: int = 3,
    alpha: float = 0.1,
    power_target: float = 0.8,
    method: str = "synthetic_control",
    fixed_effects: bool = True,
    ridge: float | None = None,
    permutation: str = "iid",
    n_permutations: int = 200,
    statistic: str = "absolute",
    q: float = 1.0,
    seed: int = 0,
    min_pre_periods: int = 3,
    threads: int = 0,
) -> MarketSelectionResult:
    """Market selection (GeoLift's GeoLiftMarketSelection): the power curve of every
    candidate treated set and duration, run in parallel in C++ (deterministic for any
    ``threads``), ranked by MDE, then ``|bias at zero|``, then scaled imbalance. Candidates:
    given sets, or each unit with its size - 1 most correlated units."""
    panel = to_panel(data, unit, time, outcome)
    cand = [] if candidates is None else [panel.rows(list(c), "candidate") for c in candidates]
    excl = panel.rows(list(exclude), "excluded") if exclude else []
    kw = _design_kwargs(
        effects,
        n_windows,
        alpha,
        power_target,
        method,
        fixed_effects,
        ridge,
        permutation,
        n_permutations,
        statistic,
        q,
        seed,
        min_pre_periods,
    )
    selection = _core.evaluate.market_selection(
        panel.outcomes,
        units=panel.units,
        sizes=[int(s) for s in sizes],
        durations=[int(d) for d in durations],
        candidates=cand,
        exclude=excl,
        threads=int(threads),
        **kw,
    )
    return MarketSelectionResult(selection.designs, panel.units, dict(kw, sizes=list(sizes), durations=list(durations)))


def causal_impact(
    data: pd.DataFrame,
    *,
    time: str,
    outcome: str,
    start: Any,
    controls: Sequence[str] = (),
    trend: bool = False,
    season: int = 0,
    level_sd: float = 0.01,
    observation_sd: float = 0.1,
    slab_scale: float = 0.1,
    alpha: float = 0.05,
    chains: int = 4,
    draws: int = 1000,
    tune: int = 1000,
    seed: int = 0,
    threads: int = 0,
    target_accept: float = 0.95,
) -> CausalImpactResult:
    """Causal impact of an intervention at ``start`` on a time series (Brodersen et al.
    2015, Google's CausalImpact model), fitted by trustmix's NUTS.

    Wide data: one row per period, ``time`` column, the ``outcome`` column and ``controls``
    (series not affected by the intervention, e.g. other markets or search trends).
    Model on the pre-period, standardised: y_t = mu_t [+ trend] [+ seasonal(S = season)] +
    x_t' beta + eps_t; local level with sigma_level around ``level_sd`` sd(y)
    (CausalImpact's prior.level.sd), sigma_obs around ``observation_sd`` sd(y), beta_k ~
    Cauchy(0, tau) with tau ~ HalfCauchy(``slab_scale``) (shrinkage towards 0 with heavy
    tails, in place of CausalImpact's spike and slab). The post-period counterfactual is drawn
    from the posterior predictive; effects = observed - counterfactual with ``1 - alpha``
    intervals. Returns a :class:`CausalImpactResult`; a warning is raised when the NUTS
    diagnostics are not clean (R-hat > 1.01, bulk ESS < 100 or divergences).
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame with one row per period, got {type(data).__name__}")
    missing = [c for c in (time, outcome, *controls) if c not in data.columns]
    if missing:
        raise ValueError(f"data lacks column(s) {missing}")
    df = data.copy()
    if df[time].dtype == object or pd.api.types.is_string_dtype(df[time]):
        try:
            df[time] = pd.to_datetime(df[time])
        except (ValueError, TypeError):
            pass
    if df[time].duplicated().any():
        raise ValueError(f"duplicated {time} value {df.loc[df[time].duplicated(), time].iloc[0]!r}: one row per period")
    df = df.sort_values(time).reset_index(drop=True)
    for c in (outcome, *controls):
        v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(v))
        if bad.size:
            raise ValueError(f"row {bad[0]}, column {c!r}: must be a finite number, got {df[c].iloc[bad[0]]!r}")
    times = pd.Index(df[time])
    s = int(times.searchsorted(pd.Timestamp(start) if isinstance(times, pd.DatetimeIndex) else start, side="left"))
    y = df[outcome].to_numpy(dtype=np.float64)
    X = df[list(controls)].to_numpy(dtype=np.float64) if controls else np.zeros((len(df), 0))
    r = _core.evaluate.causal_impact(
        y,
        X,
        s,
        trend=bool(trend),
        season=int(season),
        level_sd=float(level_sd),
        observation_sd=float(observation_sd),
        slab_scale=float(slab_scale),
        alpha=float(alpha),
        chains=int(chains),
        draws=int(draws),
        tune=int(tune),
        seed=int(seed),
        threads=int(threads),
        target_accept=float(target_accept),
    )
    settings = dict(
        time=time,
        outcome=outcome,
        controls=list(controls),
        trend=trend,
        season=season,
        level_sd=level_sd,
        observation_sd=observation_sd,
        slab_scale=slab_scale,
        alpha=alpha,
        chains=chains,
        draws=draws,
        tune=tune,
        seed=seed,
    )
    result = CausalImpactResult(r, y, times, s, list(controls), settings)
    diag = result.diagnostics
    if diag["max_rhat"] > 1.01 or diag["min_ess_bulk"] < 100 or diag["divergences"] > 0:
        warnings.warn(
            f"NUTS diagnostics not clean (max R-hat {diag['max_rhat']:.3f}, min bulk ESS "
            f"{diag['min_ess_bulk']:.0f}, {diag['divergences']} divergences): the intervals may mislead; "
            "raise draws/tune or target_accept",
            InferenceWarning,
            stacklevel=2,
        )
    return result
