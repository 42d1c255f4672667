"""A/B/n tests on raw rows or per-arm summaries: :func:`ab_test`, :func:`compare_arms`.

All arithmetic runs in the C++ core (``trustmix::experiments``); this module groups the
rows, calls the core once per segment x metric (and per look for sequential methods),
and builds the result object.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from trustmix import _core

_METHODS = ("bayesian", "fixed", "sequential", "group_sequential")
_METRIC_TYPES = ("binomial", "count", "continuous", "ratio")
_STATE_VERSION = 1


class InferenceWarning(UserWarning):
    """A result that may mislead (sample-ratio mismatch, too few users, approximations)."""


def _metric_type(values: np.ndarray, given: str | None, denominator: str | None, name: str) -> str:
    if denominator is not None:
        if given not in (None, "ratio"):
            raise ValueError(f"metric {name!r}: a denominator makes it a ratio metric, got metric_type={given!r}")
        return "ratio"
    if given is not None:
        if given not in _METRIC_TYPES:
            raise ValueError(f"metric_type must be one of {_METRIC_TYPES}, got {given!r}")
        return given
    finite = values[np.isfinite(values)]
    return "binomial" if finite.size and np.all((finite == 0) | (finite == 1)) else "continuous"


def _column(df: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in df.columns:
        raise ValueError(f"{what} column {name!r} not in the data; columns are {list(df.columns)}")
    return df[name]


def _float_column(df: pd.DataFrame, name: str, what: str) -> np.ndarray:
    col = _column(df, name, what)
    try:
        v = col.to_numpy(dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what} column {name!r} must be numeric: {e}") from None
    bad = np.flatnonzero(~np.isfinite(v))
    if bad.size:
        raise ValueError(f"{what} column {name!r}: row {df.index[bad[0]]!r} is not a finite number ({v[bad[0]]})")
    return v


class ABTestResult:
    """Result of :func:`ab_test` or :func:`compare_arms`.

    Attributes
    ----------
    table : DataFrame
        One row per segment x metric x arm. Columns: ``segment``, ``metric``, ``arm``,
        ``control`` (bool), ``users``, ``mean`` (metric units; CUPED-adjusted when a
        covariate is given), ``lift`` (absolute, metric units, arm - control),
        ``lift_lower``/``lift_upper`` (interval at ``level``), ``relative_lift``
        (arm / control - 1) with ``relative_lower``/``relative_upper``; for Bayesian
        tests ``posterior`` (beta, gamma, student_t, or "normal (large-sample
        approximation)" for ratio and CUPED metrics), ``chance_to_beat_control`` =
        P(theta_arm > theta_control), ``prob_best`` =
        P(arm has the highest mean), ``expected_loss`` = E[max_j theta_j - theta_arm]
        (metric units), ``risk`` = E[max(theta_control - theta_arm, 0)]; for frequentist
        tests ``p_value`` (two-sided; always-valid for ``sequential``), ``p_adjusted``
        (Holm or Benjamini-Hochberg across all arm x metric x segment rows) and
        ``significant``.
    srm : DataFrame
        Sample-ratio-mismatch check per segment x metric: ``chi2``, ``p_value``,
        ``mismatch`` (p < ``srm_alpha``).
    path : DataFrame or None
        For sequential methods, one row per look x segment x metric x arm: ``look``,
        ``users``, ``estimate``, ``lower``, ``upper`` (confidence sequence, or the z
        boundary for group-sequential), ``p_value``/``z``, ``bound``.
    """

    def __init__(
        self,
        table: pd.DataFrame,
        srm: pd.DataFrame,
        settings: dict[str, Any],
        path: pd.DataFrame | None = None,
        posteriors: dict[tuple[Any, str], tuple[Any, ...]] | None = None,
    ) -> None:
        self.table = table
        self.srm = srm
        self.settings = settings
        self.path = path
        self._posteriors = posteriors or {}

    # -- reading ----------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """The result table indexed by segment, metric and arm."""
        return self.table.set_index(["segment", "metric", "arm"])

    def decision(self, segment: Any = None, metric: str | None = None) -> str:
        """A plain-language sentence per segment x metric: which arm to ship, or keep testing.

        Bayesian: ship the arm with the highest chance to beat control when that chance is
        at least ``1 - alpha`` (default 95%); frequentist: ship the arm with the largest
        significant lift after the multiple-comparison correction.
        """
        lines = []
        level = self.settings["level"]
        for (seg, met), rows in self.table.groupby(["segment", "metric"], sort=False, dropna=False):
            if segment is not None and seg != segment:
                continue
            if metric is not None and met != metric:
                continue
            ctrl = rows[rows["control"]].iloc[0]
            arms = rows[~rows["control"]]
            who = "" if seg == "all" else f"For {self.settings.get('segment') or 'segment'} {seg!r}: "
            if self.settings["method"] == "bayesian":
                best = arms.loc[arms["chance_to_beat_control"].idxmax()]
                ok = best["chance_to_beat_control"] >= 1.0 - self.settings["alpha"]
            else:
                sig = arms[arms["significant"] & (arms["lift"] > 0)]
                ok = len(sig) > 0
                best = sig.loc[sig["relative_lift"].idxmax()] if ok else arms.loc[arms["relative_lift"].idxmax()]
            rel = best["relative_lift"]
            text = (
                f"{who}{best['arm']!r} {'raised' if rel >= 0 else 'lowered'} {met} from {_fmt(ctrl['mean'])} to "
                f"{_fmt(best['mean'])} ({rel:+.1%}, {level:.0%} interval {best['relative_lower']:+.1%} to "
                f"{best['relative_upper']:+.1%})"
            )
            if self.settings["method"] == "bayesian":
                text += f"; there is a {best['chance_to_beat_control']:.1%} chance it beats {ctrl['arm']!r}."
            else:
                text += f"; p = {best['p_adjusted']:.3g} after {self.settings['correction']} correction."
            text += f" Ship {best['arm']!r}." if ok else f" Not yet conclusive: keep {ctrl['arm']!r} and keep testing."
            srm = self.srm[(self.srm["segment"] == seg) & (self.srm["metric"] == met)]
            if len(srm) and bool(srm["mismatch"].iloc[0]):
                text += (
                    " WARNING: the arms' user counts do not match the planned split (sample-ratio mismatch); "
                    "fix the assignment before trusting this."
                )
            lines.append(text)
        return "\n".join(lines)

    def plot(self, segment: Any = None, metric: str | None = None, ax: Any = None) -> Any:
        """Bayesian: posterior density of the relative lift of each arm; sequential: the
        estimate path with its always-valid confidence sequence; group-sequential: the z
        path with the boundaries; fixed: interval plot. Returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        seg = segment if segment is not None else self.table["segment"].iloc[0]
        met = metric if metric is not None else self.table["metric"].iloc[0]
        rows = self.table[(self.table["segment"] == seg) & (self.table["metric"] == met)]
        method = self.settings["method"]
        if method == "bayesian" and (seg, met) in self._posteriors:
            grid, dens = self._posteriors[(seg, met)]
            for arm_name, d in dens.items():
                ax.plot(grid, d, label=str(arm_name))
            ax.axvline(0.0, color="k", lw=0.8)
            ax.set_xlabel("relative lift over control")
            ax.set_ylabel("posterior density")
        elif method in ("sequential", "group_sequential") and self.path is not None:
            p = self.path[(self.path["segment"] == seg) & (self.path["metric"] == met)]
            for arm_name, a in p.groupby("arm", sort=False):
                if method == "sequential":
                    (line,) = ax.plot(a["users"], a["estimate"], label=str(arm_name))
                    ax.fill_between(a["users"], a["lower"], a["upper"], color=line.get_color(), alpha=0.2)
                else:
                    ax.plot(a["users"], a["z"], marker="o", label=str(arm_name))
            if method == "group_sequential":
                first = p.drop_duplicates("look")
                ax.plot(first["users"], first["bound"], "k--", label="boundary")
                ax.plot(first["users"], -first["bound"], "k--")
                ax.set_ylabel("z statistic")
            else:
                ax.set_ylabel("absolute lift (always-valid interval)")
            ax.axhline(0.0, color="k", lw=0.8)
            ax.set_xlabel("users in control at the look")
        else:
            arms = rows[~rows["control"]]
            y = np.arange(len(arms))
            ax.errorbar(
                arms["relative_lift"],
                y,
                xerr=[arms["relative_lift"] - arms["relative_lower"], arms["relative_upper"] - arms["relative_lift"]],
                fmt="o",
            )
            ax.set_yticks(y, [str(a) for a in arms["arm"]])
            ax.axvline(0.0, color="k", lw=0.8)
            ax.set_xlabel("relative lift over control")
        ax.set_title(f"{met}" + ("" if seg == "all" else f", {seg}"))
        ax.legend(loc="best", fontsize="small")
        return ax

    def _repr_html_(self) -> str:
        head = (
            f"<b>A/B test</b> ({html.escape(self.settings['method'])}, {self.settings['level']:.0%} intervals)"
            f"<p>{html.escape(self.decision()).replace(chr(10), '<br>')}</p>"
        )
        return head + self.table.to_html(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        return f"ABTestResult(method={self.settings['method']!r}, rows={len(self.table)})\n{self.decision()}"

    # -- pickling ---------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_version"] = _STATE_VERSION
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.pop("_version", None) != _STATE_VERSION:
            raise ValueError("cannot unpickle ABTestResult: unsupported state version")
        self.__dict__.update(state)


def _fmt(v: float) -> str:
    return f"{v:.2%}" if 0.0 <= v <= 1.0 else f"{v:.4g}"


def _adjust(p: np.ndarray, correction: str | None) -> np.ndarray:
    if correction is None or correction == "none":
        return p.copy()
    if correction == "holm":
        return np.asarray(_core.experiments.holm(p))
    if correction in ("bh", "benjamini_hochberg", "fdr"):
        return np.asarray(_core.experiments.benjamini_hochberg(p))
    raise ValueError(f"correction must be 'holm', 'bh' or None, got {correction!r}")


def _x_column(sub: pd.DataFrame, denominator: str | None, covariate: str | None) -> np.ndarray | None:
    """The ratio denominator or the CUPED covariate (at most one is used)."""
    if denominator is not None:
        return _float_column(sub, denominator, "denominator")
    if covariate is not None:
        return _float_column(sub, covariate, "covariate")
    return None


class _Sums(NamedTuple):
    """Per-arm sums given by the caller (compare_arms), with the attributes of the
    compiled ArmSums that summarize() returns."""

    n: npt.NDArray[np.float64]
    sum: npt.NDArray[np.float64]
    sum_sq: npt.NDArray[np.float64]
    sum_x: npt.NDArray[np.float64]
    sum_x2: npt.NDArray[np.float64]
    sum_xy: npt.NDArray[np.float64]


def _sums(
    sub: pd.DataFrame, codes: np.ndarray, n_arms: int, metric: str, denominator: Any, covariate: Any, cap: Any
) -> _core.experiments.ArmSums:
    y = _float_column(sub, metric, "metric")
    return _core.experiments.summarize(codes, y, _x_column(sub, denominator, covariate), n_arms, cap)


def _analyse(
    sums: _core.experiments.ArmSums | _Sums,
    arm_names: list[Any],
    control: int,
    mtype: str,
    *,
    method: str,
    cuped: bool,
    prior: Any,
    level: float,
    relative_grid: npt.NDArray[Any] | None,
) -> tuple[pd.DataFrame, tuple[Any, ...] | None]:
    """Per-arm rows for one segment x metric from its sums."""
    est = _core.experiments.estimate_arms(
        sums.n, sums.sum, sums.sum_sq, sums.sum_x, sums.sum_x2, sums.sum_xy, metric=mtype, cuped=cuped
    )
    k = len(arm_names)
    mean, var = est.mean, est.variance
    rows = pd.DataFrame({"arm": arm_names, "control": np.arange(k) == control, "users": est.n, "mean": mean})
    welch = mtype == "continuous"
    lift = np.full(k, 0.0)
    lo = np.full(k, 0.0)
    hi = np.full(k, 0.0)
    rlift = np.full(k, 0.0)
    rlo = np.full(k, 0.0)
    rhi = np.full(k, 0.0)
    pv = np.full(k, np.nan)
    for i in range(k):
        if i == control or method == "bayesian":  # the Bayesian branch below sets every number
            continue
        a = _core.experiments.fixed_test(
            mean[control],
            var[control],
            est.n[control],
            mean[i],
            var[i],
            est.n[i],
            relative=False,
            level=level,
            welch=welch,
        )
        r = _core.experiments.fixed_test(
            mean[control],
            var[control],
            est.n[control],
            mean[i],
            var[i],
            est.n[i],
            relative=True,
            level=level,
            welch=welch,
        )
        lift[i], lo[i], hi[i] = a.estimate, a.ci_lower, a.ci_upper
        rlift[i], rlo[i], rhi[i] = r.estimate, r.ci_lower, r.ci_upper
        pv[i] = a.p_value
    densities = None
    if method == "bayesian":
        conjugate = mtype in ("binomial", "count", "continuous") and not cuped
        c: _core.experiments.Comparison | _core.experiments.NormalComparison
        if conjugate:
            pa, pb = prior if prior is not None else (None, None)
            c = _core.experiments.compare(
                sums.n, sums.sum, sums.sum_sq, metric=mtype, prior_a=pa, prior_b=pb, control=control
            )
            dens = {}
            for i in range(k):
                if i == control:
                    continue
                la = _core.experiments.lift(
                    sums.n,
                    sums.sum,
                    sums.sum_sq,
                    metric=mtype,
                    prior_a=pa,
                    prior_b=pb,
                    control=control,
                    arm=i,
                    level=level,
                    relative=False,
                )
                lr = _core.experiments.lift(
                    sums.n,
                    sums.sum,
                    sums.sum_sq,
                    metric=mtype,
                    prior_a=pa,
                    prior_b=pb,
                    control=control,
                    arm=i,
                    level=level,
                    relative=True,
                    grid=relative_grid,
                )
                lift[i], lo[i], hi[i] = c.mean[i] - c.mean[control], la.lower, la.upper
                rlift[i], rlo[i], rhi[i] = lr.median, lr.lower, lr.upper
                dens[arm_names[i]] = np.asarray(lr.density)
            rows["mean"] = c.mean
            rows["posterior"] = [f[0] for f in c.posteriors]
        else:
            c = _core.experiments.compare_normal(mean, np.sqrt(var), control=control, level=level, relative=False)
            cr = _core.experiments.compare_normal(
                mean, np.sqrt(var), control=control, level=level, relative=True, grid=relative_grid
            )
            lift, lo, hi = mean - mean[control], np.asarray(c.lower), np.asarray(c.upper)
            rlift, rlo, rhi = np.asarray(cr.median), np.asarray(cr.lower), np.asarray(cr.upper)
            lift[control] = lo[control] = hi[control] = rlift[control] = rlo[control] = rhi[control] = 0.0
            flat = np.asarray(cr.density)
            m = 0 if relative_grid is None else len(relative_grid)
            others = [i for i in range(k) if i != control]
            dens = {arm_names[i]: flat[j * m : (j + 1) * m] for j, i in enumerate(others)} if m else {}
            # No conjugate model for ratio or CUPED-adjusted means: the large-sample normal
            # posterior N(estimate, se^2) is an approximation, and the table says so.
            rows["posterior"] = "normal (large-sample approximation)"
        rows["chance_to_beat_control"] = c.prob_beat_control
        rows["prob_best"] = c.prob_best
        rows["expected_loss"] = c.expected_loss
        rows["risk"] = c.loss_vs_control
        if relative_grid is not None:
            densities = (relative_grid, dens)
    rows["lift"], rows["lift_lower"], rows["lift_upper"] = lift, lo, hi
    rows["relative_lift"], rows["relative_lower"], rows["relative_upper"] = rlift, rlo, rhi
    if method != "bayesian":
        rows["p_value"] = pv
    return rows, densities


def ab_test(
    data: pd.DataFrame,
    *,
    arm: str,
    metric: str | Sequence[str],
    segment: str | None = None,
    method: str = "bayesian",
    control: Any = None,
    metric_type: str | None = None,
    denominator: str | None = None,
    covariate: str | None = None,
    cap: float | None = None,
    prior: tuple[float, float] | None = None,
    level: float = 0.95,
    alpha: float = 0.05,
    correction: str | None = "holm",
    weights: Any = None,
    time: str | None = None,
    tau: float | None = None,
    planned_users: float | None = None,
    spending: str = "obrien_fleming",
    srm_alpha: float = 0.001,
    trim: float | None = None,
) -> ABTestResult:
    """Analyse an A/B/n test from raw per-user rows.

    Parameters
    ----------
    data : DataFrame
        One row per user (or per unit of randomisation).
    arm : str
        Column with the arm (variant, message framing) of each row.
    metric : str or list of str
        Metric column(s): 0/1 conversions (binomial), counts, or real values.
    segment : str, optional
        Column of persona/segment labels (plain labels); every segment is analysed
        separately and the multiple-comparison correction runs over all of them.
    method : {"bayesian", "fixed", "sequential", "group_sequential"}
        ``bayesian``: conjugate posteriors (Beta-Binomial, Gamma-Poisson, Normal with the
        reference prior; Normal large-sample posterior for ratio or CUPED metrics) with
        P(beat control), P(best), expected loss and exact credible intervals (quadrature).
        ``fixed``: two-sided z-test (Welch t for continuous metrics), delta-method relative
        intervals, valid at ONE planned look.
        ``sequential``: always-valid mixture SPRT p-values and confidence sequences, valid
        however often you look; needs ``time`` (looks are the cumulative data at each
        distinct time) or uses one look.
        ``group_sequential``: Lan-DeMets boundaries at the looks in ``time``; needs
        ``planned_users`` (maximum users per arm) to give information fractions.
    control : label, optional
        The control arm (default: the first arm in sorted order).
    metric_type : {"binomial", "count", "continuous", "ratio"}, optional
        Default: binomial if every value is 0 or 1, else continuous.
    denominator : str, optional
        Column of the ratio metric's denominator (e.g. impressions): metric / denominator
        by the delta method.
    covariate : str, optional
        Pre-period covariate for CUPED (e.g. pre-period conversions, or trust or sentiment
        measured before the test); the adjusted mean is ybar - theta (xbar_arm - xbar).
    cap : float in (0, 1), optional
        Cap (winsorise) the metric at this quantile of all rows (heavy-tailed revenue).
    prior : (a, b), optional
        Beta prior (binomial, default (1, 1)) or Gamma (shape, rate) prior (count, default
        (1, 0)).
    level : float
        Interval probability. ``alpha``: size of the tests and the Bayesian shipping
        threshold (ship when P(beat control) >= 1 - alpha).
    correction : {"holm", "bh", None}
        Multiple-comparison adjustment over arms x metrics x segments (frequentist).
    weights : dict or sequence, optional
        Planned traffic split per arm for the sample-ratio check (default equal).
    tau : float, optional
        Mixture sd of the always-valid test in units of the absolute lift (default: 10%
        of the pooled mean, i.e. tuned to relative effects of about 10%).
    srm_alpha : float
        A sample-ratio p-value below this flags a mismatch and warns.
    trim : float in [0, 0.5), optional
        ``method="fixed"`` on a continuous metric: compare trimmed means, ``trim`` of the
        rows cut from each tail of every arm, with Yuen's winsorised variance
        ``(n - 1) s_w^2 / (h (h - 1))`` (h rows kept) and Welch-type df (the Yuen-Welch
        test), a robust option for heavy-tailed revenue. The estimand is the trimmed mean
        (the typical user), not the mean; ``mean`` in the table is then the trimmed mean.

    Returns
    -------
    ABTestResult
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if cap is not None and not 0.0 < cap < 1.0:
        raise ValueError(f"cap is a quantile in (0, 1), got {cap}")
    if denominator is not None and covariate is not None:
        raise ValueError("covariate (CUPED) is not available for a ratio metric (denominator=); drop one of them")
    if trim is not None:
        if not 0.0 <= trim < 0.5:
            raise ValueError(f"trim is the share cut from each tail, in [0, 0.5), got {trim}")
        if method != "fixed" or covariate is not None or denominator is not None or cap is not None:
            raise ValueError(
                "trim (trimmed means, Yuen-Welch test) works with method='fixed' on a continuous metric, "
                "without covariate, denominator or cap"
            )
    if method == "group_sequential" and (time is None or planned_users is None):
        raise ValueError(
            "method='group_sequential' needs time= (the look of each row) and planned_users= (max users per arm)"
        )
    metrics = [metric] if isinstance(metric, str) else list(metric)
    arm_col = _column(data, arm, "arm")
    if arm_col.isna().any():
        raise ValueError(f"arm column {arm!r}: row {data.index[arm_col.isna().to_numpy()][0]!r} has no arm")
    arm_names = sorted(arm_col.unique(), key=str)
    if len(arm_names) < 2:
        raise ValueError(f"arm column {arm!r} has {len(arm_names)} arm(s); need at least 2")
    if control is None:
        control = arm_names[0]
    if control not in arm_names:
        raise ValueError(f"control {control!r} is not an arm; arms are {arm_names}")
    ctrl = arm_names.index(control)
    codes_all = pd.Categorical(arm_col, categories=arm_names).codes.astype(np.int64)
    w = _weights(weights, arm_names)
    if segment is not None:
        seg_col = _column(data, segment, "segment")
        if seg_col.isna().any():
            raise ValueError(
                f"segment column {segment!r}: row {data.index[seg_col.isna().to_numpy()][0]!r} has no label"
            )
        segments = list(pd.unique(seg_col))
    else:
        seg_col = None
        segments = ["all"]
    caps = {}
    for met in metrics:
        v = _float_column(data, met, "metric")
        caps[met] = float(_core.experiments.quantile(v, cap)) if cap is not None else float("inf")
    grid = np.linspace(-1.0, 1.0, 401) if method == "bayesian" else None
    tables, srm_rows, paths, posteriors = [], [], [], {}
    for seg in segments:
        mask = np.ones(len(data), bool) if seg_col is None else (seg_col == seg).to_numpy()
        sub = data[mask]
        codes = codes_all[mask]
        present = np.bincount(codes, minlength=len(arm_names))
        if np.any(present == 0):
            missing = [arm_names[i] for i in np.flatnonzero(present == 0)]
            raise ValueError(f"segment {seg!r} has no rows for arm(s) {missing}")
        for met in metrics:
            vals = _float_column(sub, met, "metric")
            mtype = _metric_type(vals, metric_type, denominator, met)
            sums = _sums(sub, codes, len(arm_names), met, denominator, covariate, caps[met])
            chi2, p_srm = _core.experiments.sample_ratio_test(sums.n, w)
            srm_rows.append(
                {"segment": seg, "metric": met, "chi2": chi2, "p_value": p_srm, "mismatch": p_srm < srm_alpha}
            )
            if p_srm < srm_alpha:
                warnings.warn(
                    f"sample-ratio mismatch in segment {seg!r}, metric {met!r}: users per arm "
                    f"{dict(zip(arm_names, sums.n, strict=True))} vs planned split {list(w)} "
                    f"(p = {p_srm:.2g}); "
                    "inference may mislead",
                    InferenceWarning,
                    stacklevel=2,
                )
            rows, dens = _analyse(
                sums,
                arm_names,
                ctrl,
                mtype,
                method=method,
                cuped=covariate is not None,
                prior=prior,
                level=level,
                relative_grid=grid,
            )
            if trim is not None:
                if mtype != "continuous":
                    raise ValueError(f"trim: metric {met!r} is {mtype}; trimmed means are for continuous metrics")
                rows = _trimmed(rows, vals, codes, ctrl, trim, level)
            if dens is not None:
                posteriors[(seg, met)] = dens
            if method in ("sequential", "group_sequential"):
                rows, path = _sequential(
                    sub,
                    codes,
                    arm_names,
                    ctrl,
                    met,
                    mtype,
                    rows,
                    time=time,
                    tau=tau,
                    alpha=alpha,
                    level=level,
                    denominator=denominator,
                    covariate=covariate,
                    cap=caps[met],
                    planned_users=planned_users,
                    spending=spending,
                    method=method,
                )
                path.insert(0, "metric", met)
                path.insert(0, "segment", seg)
                paths.append(path)
            rows.insert(0, "metric", met)
            rows.insert(0, "segment", seg)
            tables.append(rows)
    table = pd.concat(tables, ignore_index=True)
    if method != "bayesian":
        not_ctrl = ~table["control"].to_numpy()
        adj = np.full(len(table), np.nan)
        adj[not_ctrl] = _adjust(table.loc[not_ctrl, "p_value"].to_numpy(float), correction)
        table["p_adjusted"] = adj
        if method == "group_sequential":
            table["significant"] = table["rejected"].astype(bool) & not_ctrl
            if correction not in (None, "none") and len(table[not_ctrl]) > 1:
                warnings.warn(
                    "group_sequential: the boundaries control alpha per comparison; the correction is "
                    "applied to the final-look p-values only",
                    InferenceWarning,
                    stacklevel=2,
                )
        else:
            table["significant"] = (adj <= alpha) & not_ctrl
    settings = {
        "method": method,
        "arm": arm,
        "metrics": metrics,
        "segment": segment,
        "control": control,
        "level": level,
        "alpha": alpha,
        "correction": correction,
        "cap": cap,
        "covariate": covariate,
        "denominator": denominator,
        "prior": prior,
        "tau": tau,
    }
    path = pd.concat(paths, ignore_index=True) if paths else None
    return ABTestResult(table, pd.DataFrame(srm_rows), settings, path, posteriors)


def _trimmed(
    rows: pd.DataFrame, y: np.ndarray, codes: np.ndarray, ctrl: int, trim: float, level: float
) -> pd.DataFrame:
    """Replaces the fixed test's numbers by the Yuen-Welch test of trimmed means."""
    rows = rows.copy()
    yc = y[codes == ctrl]
    for i in range(len(rows)):
        if i == ctrl:
            continue
        ya = y[codes == i]
        a = _core.experiments.yuen_test(yc, ya, trim=trim, relative=False, level=level)
        r = _core.experiments.yuen_test(yc, ya, trim=trim, relative=True, level=level)
        rows.loc[i, ["lift", "lift_lower", "lift_upper", "p_value"]] = [
            a.estimate,
            a.ci_lower,
            a.ci_upper,
            a.p_value,
        ]
        rows.loc[i, ["relative_lift", "relative_lower", "relative_upper"]] = [
            r.estimate,
            r.ci_lower,
            r.ci_upper,
        ]
        rows.loc[i, "mean"] = a.arm_mean
        rows.loc[ctrl, "mean"] = a.control_mean
    return rows


def _weights(weights: Any, arm_names: list[Any]) -> npt.NDArray[Any]:
    if weights is None:
        return np.ones(len(arm_names))
    if isinstance(weights, dict):
        missing = [a for a in arm_names if a not in weights]
        if missing:
            raise ValueError(f"weights: no planned share for arm(s) {missing}")
        w = np.array([float(weights[a]) for a in arm_names])
    else:
        w = np.asarray(weights, float)
        if w.shape != (len(arm_names),):
            raise ValueError(f"weights: expected {len(arm_names)} shares (arms {arm_names}), got {w.shape}")
    if np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise ValueError(f"weights must be finite and > 0, got {w}")
    return w


def _sequential(
    sub: Any,
    codes: Any,
    arm_names: Any,
    ctrl: Any,
    met: Any,
    mtype: Any,
    rows: Any,
    *,
    time: Any,
    tau: Any,
    alpha: Any,
    level: Any,
    denominator: Any,
    covariate: Any,
    cap: Any,
    planned_users: Any,
    spending: Any,
    method: Any,
) -> Any:
    """Looks = cumulative data at each distinct time; the path of each arm vs control."""
    k = len(arm_names)
    if time is None:
        times = np.zeros(len(sub))
        looks = np.array([0.0])
    else:
        tcol = _column(sub, time, "time")
        times = tcol.to_numpy()
        looks = np.sort(np.asarray(pd.unique(tcol)))
    y = _float_column(sub, met, "metric")
    x = _x_column(sub, denominator, covariate)
    records = []
    est_path: dict[int, tuple[list[float], list[float]]] = {i: ([], []) for i in range(k) if i != ctrl}
    users_at = []
    for li, t in enumerate(looks):
        m = times <= t
        if np.any(np.bincount(codes[m], minlength=k) < 3):
            continue  # too few users in some arm at this look
        s = _core.experiments.summarize(codes[m], y[m], None if x is None else x[m], k, cap)
        e = _core.experiments.estimate_arms(
            s.n,
            s.sum,
            s.sum_sq,
            s.sum_x,
            s.sum_x2,
            s.sum_xy,
            metric=mtype,
            cuped=covariate is not None,
        )
        if np.any(np.asarray(e.variance) <= 0):
            continue
        users_at.append((li, t, e.n[ctrl]))
        for i in est_path:
            est_path[i][0].append(e.mean[i] - e.mean[ctrl])
            est_path[i][1].append(e.variance[i] + e.variance[ctrl])
    if not users_at:
        raise ValueError(f"metric {met!r}: no look has at least 3 users with varying values in every arm")
    pooled = float(np.mean(y)) if y.size else 1.0
    tau_ = tau if tau is not None else max(abs(pooled) * 0.1, 1e-12)
    rows = rows.copy()
    if method == "sequential":
        rows["p_value"] = np.nan
        for i, (est, var) in est_path.items():
            av = _core.experiments.always_valid_path(np.asarray(est), np.asarray(var), tau_, alpha)
            # The always-valid interval replaces the fixed one (level = 1 - alpha).
            rows.loc[i, "p_value"] = av.p_value[-1]
            rows.loc[i, "lift_lower"] = av.ci_lower[-1]
            rows.loc[i, "lift_upper"] = av.ci_upper[-1]
            for j, (li, t, n_c) in enumerate(users_at):
                records.append(
                    {
                        "look": li,
                        "time": t,
                        "arm": arm_names[i],
                        "users": n_c,
                        "estimate": est[j],
                        "lower": av.ci_lower[j],
                        "upper": av.ci_upper[j],
                        "p_value": av.p_value[j],
                    }
                )
        return rows, pd.DataFrame(records)
    fractions = np.array([u for (_, _, u) in users_at], float) / float(planned_users)
    if np.any(np.diff(fractions) <= 0) or fractions[-1] > 1.0 + 1e-9:
        raise ValueError(
            f"group_sequential: the information fractions (control users / planned_users) must increase "
            f"and stay <= 1, got {np.round(fractions, 4).tolist()}; raise planned_users?"
        )
    bounds = np.asarray(_core.experiments.gs_boundaries(np.minimum(fractions, 1.0), alpha, spending))
    rows["rejected"] = False
    for i, (est, var) in est_path.items():
        z = np.asarray(est) / np.sqrt(np.asarray(var))
        crossed = np.abs(z) >= bounds
        rows.loc[i, "rejected"] = bool(crossed.any())
        for j, (li, t, n_c) in enumerate(users_at):
            records.append(
                {
                    "look": li,
                    "time": t,
                    "arm": arm_names[i],
                    "users": n_c,
                    "estimate": est[j],
                    "z": z[j],
                    "bound": bounds[j],
                    "fraction": fractions[j],
                }
            )
    return rows, pd.DataFrame(records)


def effect_posterior(
    control_mean: float,
    control_variance: float,
    arm_mean: float,
    arm_variance: float,
    *,
    relative: bool = True,
    level: float = 0.95,
    prior_mean: float = 0.0,
    prior_variance: float = 1.0,
    proper: bool = False,
) -> dict[str, Any]:
    """Gaussian posterior of the lift as GrowthBook's engine (gbstats) defines it.

    Lift by the delta method from each arm's mean and the variance of that mean:
    absolute d = m_a - m_c, Var = v_a + v_c; relative d = m_a / m_c - 1,
    Var = v_a / m_c^2 + m_a^2 v_c / m_c^4; flat prior (or normal N(prior_mean,
    prior_variance) when ``proper``). Returns mean, sd, chance_to_win = P(lift > 0),
    ci_lower/ci_upper at ``level``, risk_control = E[max(lift, 0)], risk_treatment =
    E[max(-lift, 0)]. For 49/100 vs 51/100 (v = p (1 - p) / n): 0.04082, 0.14725, 0.60918.
    """

    def real(value: Any, name: str, expected: str, ok: Any) -> float:
        if (
            isinstance(value, (bool, np.bool_))
            or not isinstance(value, (int, float, np.integer, np.floating))
            or not ok(float(value))
        ):
            raise ValueError(f"effect_posterior: {name} must be {expected}, got {value!r}")
        return float(value)

    control_mean = real(control_mean, "control_mean", "a finite number", np.isfinite)
    arm_mean = real(arm_mean, "arm_mean", "a finite number", np.isfinite)
    control_variance = real(
        control_variance,
        "control_variance",
        "a finite number >= 0 (the variance of the mean)",
        lambda v: np.isfinite(v) and v >= 0,
    )
    arm_variance = real(
        arm_variance,
        "arm_variance",
        "a finite number >= 0 (the variance of the mean)",
        lambda v: np.isfinite(v) and v >= 0,
    )
    level = real(level, "level", "in (0, 1)", lambda v: 0 < v < 1)
    prior_mean = real(prior_mean, "prior_mean", "a finite number", np.isfinite)
    prior_variance = real(prior_variance, "prior_variance", "a finite number > 0", lambda v: np.isfinite(v) and v > 0)
    e = _core.experiments.effect_posterior(
        control_mean,
        control_variance,
        arm_mean,
        arm_variance,
        relative=relative,
        level=level,
        prior_mean=prior_mean,
        prior_variance=prior_variance,
        proper=proper,
    )
    return {
        "mean": e.mean,
        "sd": e.sd,
        "chance_to_win": e.chance_to_win,
        "ci_lower": e.ci_lower,
        "ci_upper": e.ci_upper,
        "risk_control": e.risk_control,
        "risk_treatment": e.risk_treatment,
    }


def compare_arms(
    summaries: pd.DataFrame,
    *,
    arm: str = "arm",
    users: str = "users",
    conversions: str | None = None,
    total: str | None = None,
    total_sq: str | None = None,
    metric_type: str = "binomial",
    method: str = "bayesian",
    control: Any = None,
    prior: tuple[float, float] | None = None,
    level: float = 0.95,
    alpha: float = 0.05,
    correction: str | None = "holm",
    metric_name: str = "metric",
) -> ABTestResult:
    """Analyse a test from per-arm summaries (one row per arm).

    ``users`` per arm and either ``conversions`` (binomial) or ``total`` (sum of the
    metric; counts or continuous) with ``total_sq`` (sum of squares; needed for
    continuous). Same methods and result as :func:`ab_test` (``bayesian`` or ``fixed``).
    """
    if method not in ("bayesian", "fixed"):
        raise ValueError(f"compare_arms: method must be 'bayesian' or 'fixed', got {method!r}")
    if metric_type not in ("binomial", "count", "continuous"):
        raise ValueError(f"compare_arms: metric_type must be binomial, count or continuous, got {metric_type!r}")
    names = list(_column(summaries, arm, "arm"))
    n = _float_column(summaries, users, "users")
    col = conversions if conversions is not None else total
    if col is None:
        raise ValueError("compare_arms: give conversions= (binomial) or total= (count, continuous)")
    s = _float_column(summaries, col, "conversions" if conversions else "total")
    if total_sq is not None:
        sq = _float_column(summaries, total_sq, "total_sq")
    else:
        sq = s.copy() if metric_type == "binomial" else np.full(len(s), np.nan)
    if control is None:
        control = names[0]
    if control not in names:
        raise ValueError(f"control {control!r} is not an arm; arms are {names}")
    sums = _Sums(n, s, sq, np.zeros(len(n)), np.zeros(len(n)), np.zeros(len(n)))
    grid = np.linspace(-1.0, 1.0, 401) if method == "bayesian" else None
    rows, dens = _analyse(
        sums,
        names,
        names.index(control),
        metric_type,
        method=method,
        cuped=False,
        prior=prior,
        level=level,
        relative_grid=grid,
    )
    chi2, p_srm = _core.experiments.sample_ratio_test(n, np.ones(len(n)))
    rows.insert(0, "metric", metric_name)
    rows.insert(0, "segment", "all")
    if method == "fixed":
        nc = ~rows["control"].to_numpy()
        adj = np.full(len(rows), np.nan)
        adj[nc] = _adjust(rows.loc[nc, "p_value"].to_numpy(float), correction)
        rows["p_adjusted"] = adj
        rows["significant"] = (adj <= alpha) & nc
    srm = pd.DataFrame(
        [{"segment": "all", "metric": metric_name, "chi2": chi2, "p_value": p_srm, "mismatch": p_srm < 0.001}]
    )
    settings = {
        "method": method,
        "arm": arm,
        "metrics": [metric_name],
        "segment": None,
        "control": control,
        "level": level,
        "alpha": alpha,
        "correction": correction,
        "cap": None,
        "covariate": None,
        "denominator": None,
        "prior": prior,
        "tau": None,
    }
    return ABTestResult(rows, srm, settings, None, {("all", metric_name): dens} if dens else {})
