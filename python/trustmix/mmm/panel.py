"""The geo panel trust-linked model (issue 20): :class:`PanelMMM` on a long DataFrame (one
row per geo and period), its fit :class:`PanelFit`, and :func:`read_meridian_panel`, which
keeps the geo level of Meridian's geo CSV layout. The model itself is C++
(``include/trustmix/mmm/panel_model.hpp``); see docs/panel.md.
"""

from __future__ import annotations

import copy
import html
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core
from trustmix.mmm import _calibration
from trustmix.mmm.model import _growth_and_roi_priors, _two_numbers

__all__ = ["PanelFit", "PanelMMM", "read_meridian_panel"]

_POOLING = ("none", "partial", "complete")
_Z95 = 1.6448536269514722  # the standard normal's 95% quantile: a 90% range is median -+ _Z95 sd
_GROUPS = (
    "intercept",
    "trend",
    "seasonality",
    "controls",
    "effects",
    "adstock",
    "saturation",
    "trust_half_life",
    "amplification",
)


def _show(v: Any) -> str:
    """A cell value for an error message: numbers as plain floats, anything else as repr."""
    try:
        return str(float(v))
    except (TypeError, ValueError):
        return repr(v)


def _fail(msg: str) -> ValueError:
    return ValueError(f"PanelMMM: {msg}")


_PANEL_LIFT_FIELDS = (
    "channel",
    "geos",
    "units",
    "start",
    "end",
    "measured_end",
    "cooldown",
    "lift",
    "standard_error",
    "transfer_sd",
    "transfer_fraction",
    "label",
    "counterfactual",
    "period_lift",
    "period_standard_error",
)


def _panel_lift_tests(
    lift_tests: Any, dates: pd.DatetimeIndex, period_days: float, channels: list[str], geos: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(records for display and pickling, dicts for ``_core.mmm.build_panel``) of the panel's
    lift tests (the national model's parsing of dates and records, _calibration.py, plus the
    treated geos)."""
    if lift_tests is None:
        return [], []
    records: list[dict[str, Any]] = []
    core: list[dict[str, Any]] = []
    for i, t in enumerate(_calibration._as_records(lift_tests)):
        name = f"lift_tests[{i}]"
        if "lift" not in t and "iroas" in t:
            raise _fail(
                f"{name}: the panel takes the lift and its standard_error in outcome units (iROAS: the national model)"
            )
        # a trustmix.evaluate LiftTest's records that do not enter the model (its spend and iROAS restate the lift)
        t = {
            k: v for k, v in t.items() if k not in ("relative_lift", "notes", "spend", "iroas", "iroas_standard_error")
        }
        # week by week: _as_records turned period_lift / period_standard_error into arrays of lift / standard_error
        weekly = np.size(t.get("lift", 0.0)) > 1
        unknown = [k for k in t if k not in _PANEL_LIFT_FIELDS]
        if unknown:
            raise _fail(
                f"{name}: unknown or unsupported field(s) {', '.join(map(repr, unknown))} in the panel "
                f"(fields: {', '.join(_PANEL_LIFT_FIELDS)}; share, dof and iROAS are the national model's only)"
            )
        for k in ("channel", "start", "end", "lift", "standard_error"):
            if k not in t:
                raise _fail(f"{name}: missing {k!r}")
        treated = t.get("geos", t.get("units"))
        if treated is None:
            raise _fail(f"{name}: missing 'geos' (the treated geos)")
        if isinstance(treated, str):
            treated = [g.strip() for g in treated.split(",") if g.strip()]
        treated = [str(g) for g in treated]
        for g in treated:
            if g not in geos:
                raise _fail(f"{name}: geo {g!r} is not a geo of the panel ({', '.join(geos)})")
        ch = str(t["channel"])
        if ch not in channels:
            raise _fail(f"{name}: channel {ch!r} is not a channel of the model (channels: {', '.join(channels)})")
        step = int(round(period_days))
        start = _calibration._period(t["start"], dates, step, f"{name}: start")
        end = _calibration._period(t["end"], dates, step, f"{name}: end")
        if end < start:
            raise _fail(f"{name}: end ({dates[end].date()}) is before start ({dates[start].date()})")
        if "measured_end" in t:
            measured = _calibration._period(t["measured_end"], dates, step, f"{name}: measured_end")
            if measured < end:
                raise _fail(f"{name}: measured_end ({dates[measured].date()}) is before end ({dates[end].date()})")
        else:
            cooldown = _calibration._integral(t.get("cooldown", 0))
            if isinstance(cooldown, bool) or not isinstance(cooldown, (int, np.integer)) or cooldown < 0:
                raise _fail(f"{name}: cooldown must be an integer >= 0 (periods), got {cooldown!r}")
            measured = end + int(cooldown)
            if measured >= len(dates):
                raise _fail(f"{name}: the measured periods run past the data's last period ({dates[-1].date()})")
        if weekly:  # one lift per measured period: start .. measured
            try:
                pl = np.asarray(t["lift"], dtype=float).reshape(-1)
                pse = np.asarray(t["standard_error"], dtype=float).reshape(-1)
            except (TypeError, ValueError) as e:
                raise _fail(f"{name}: period_lift and period_standard_error must be numbers") from e
            n_measured = measured + 1 - start
            if pl.size != n_measured or pse.size != n_measured:
                raise _fail(
                    f"{name}: period_lift and period_standard_error need one value per measured period "
                    f"({n_measured}: {dates[start].date()} .. {dates[measured].date()}), got {pl.size} and {pse.size}"
                )
            # the totals for the records; the weeks stay in the input (predict_lift re-reads it)
            t["period_lift"], t["period_standard_error"] = pl, pse
            t["lift"], t["standard_error"] = float(pl.sum()), float(np.sqrt(np.sum(pse**2)))
        elif np.size(t["lift"]) != 1:
            raise _fail(f"{name}: lift is one total per test; week by week give period_lift and period_standard_error")
        d: dict[str, Any] = {
            "channel": ch,
            "geos": treated,
            "start": start,
            "end": end + 1,
            "measured_end": measured + 1,
        }
        for k in ("lift", "standard_error", "transfer_sd", "transfer_fraction"):
            if k in t:
                try:
                    d[k] = float(np.asarray(t[k], dtype=float).reshape(-1)[0])
                except (TypeError, ValueError) as e:
                    raise _fail(f"{name}: {k} must be a number, got {t[k]!r}") from e
        if t.get("counterfactual") is not None:
            shape = (end + 1 - start, len(treated))
            try:
                cf = np.asarray(t["counterfactual"], dtype=float)
            except (TypeError, ValueError) as e:
                raise _fail(f"{name}: counterfactual must be numbers (activity per geo and period)") from e
            if cf.ndim == 0:
                cf = np.full(shape, float(cf))
            elif cf.ndim == 1 and len(treated) == 1 and cf.shape[0] == shape[0]:
                cf = cf.reshape(shape)
            if cf.shape != shape:
                raise _fail(
                    f"{name}: counterfactual must be one number, or {shape[0]} x {shape[1]} (the window's periods x "
                    f"the treated geos {', '.join(treated)}), got shape {cf.shape}"
                )
            d["counterfactual"] = cf
        if weekly:
            d["period_lift"], d["period_standard_error"] = pl, pse
        core.append(d)
        tau = d["transfer_sd"] if "transfer_sd" in d else d.get("transfer_fraction", 0.1) * abs(d["lift"])
        if weekly:  # the total's transfer sd: the weeks' transfer errors are one error, so their sds add
            tau_t = (
                np.full(pl.size, d["transfer_sd"])
                if "transfer_sd" in d
                else d.get("transfer_fraction", 0.1) * np.abs(pl)
            )
            tau = float(np.sum(tau_t))
        records.append(
            {
                "test": i,
                "label": str(
                    t.get("label", f"{ch} in {', '.join(treated)} {dates[start].date()}..{dates[end].date()}")
                ),
                "channel": ch,
                "geos": ", ".join(treated),
                "start": dates[start],
                "end": dates[end],
                "measured_end": dates[measured],
                "lift": d["lift"],
                "standard_error": d["standard_error"],
                "transfer_sd": tau,
                "input": {
                    k: (list(v) if isinstance(v, (list, tuple, np.ndarray)) else v)
                    for k, v in t.items()
                    if k in _PANEL_LIFT_FIELDS
                },
            }
        )
    return records, core


class PanelMMM:
    """The geo panel trust-linked model: geos x periods x channels (docs/panel.md).

    mu[g, t] = baseline_g[t] + gamma S_g[t] + sum_s beta[s, g] (1 + theta S_g[t]) h[s, g, t],
    y[g, t] ~ Normal(mu[g, t], sigma), on per-capita outcome and media (each divided by the
    geo's population in that period, then by its mean over the panel), with the saturated
    adstock h of the national model (alpha, lam shared by the geos unless ``pooling`` says
    otherwise; or per channel Hill's curve, ``saturation=``), the trust stock S national
    (fed by the national per-capita activity of the trust channels), one per geo, or
    national times a geo multiplier ("national+geo"), and the geo effects pooled as
    ``pooling`` says.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per (geo, date) with the outcome, each channel's activity, the
        population and any controls / tracker. Every geo must have the same dates.
    geo, date, outcome : str
        Column names.
    channels : mapping or sequence of Channel
        Channel column -> role ("trust", "conversion" or "both").
    population : str, optional
        Population column (> 0; may change over time). None: no per-capita scaling.
    national_channels : sequence of str
        Channels bought nationally: the column holds the national activity, the same value
        on every geo's row of a date (checked). It is apportioned to geos by ``share``.
    share : mapping, optional
        National channel -> column of each geo's share of its activity (summing to 1 over
        geos on each date). Default: the population share.
    spend : mapping, optional
        Channel -> spend column (national channels: national spend, apportioned like the
        activity); default the activity itself. Used by :meth:`PanelFit.roi`.
    controls : sequence of str
        Control columns (standardised over the panel).
    pooling : mapping, optional
        Group or channel -> "none" / "partial" / "complete". Groups: ``intercept`` and
        ``trend`` (default partial), ``seasonality`` and ``controls`` (default complete),
        ``effects`` (every channel's effect; default partial); a channel name overrides
        ``effects`` for that channel, a control's name ``controls`` for that control (e.g.
        a price index per geo, ``"partial"``, next to national controls shared by all).
        ``"partial_centred"`` (the baseline groups, ``effects``, controls and channels):
        partial pooling with the centred hierarchy, each geo's value free with v_g ~
        Normal(m, tau) (v_g = ln beta for effects; not with a ROI prior), the same model in
        another parametrisation that mixes better where each geo's long series pins its own
        value (the non-centred default then leaves a ridge between tau and eta).
        ``adstock`` (alpha), ``saturation`` (lam, or ec), ``trust_half_life`` (delta;
        ``trust="geo"`` only) and ``amplification`` (theta): default complete (one value
        for all geos, as Meridian shares them;
        PyMC-Marketing's multidimensional MMM keeps them per geo, unpooled); partial is a
        non-centred hierarchy on the logit / log scale (docs/panel.md).
    trust : "national", "geo", "national+geo" or False
        Where the trust stock lives (False: a standard panel MMM, every channel converts);
        "national+geo": one national stock times a geo multiplier exp(xi_g), xi_g pooled
        partially around 0.
    tracker : str, optional
        Trust tracker column (NaN where unmeasured). National when equal across geos on
        every date (as a national survey repeated on each row), else per geo.
    seasonality, trend, max_lag : as :class:`~trustmix.mmm.TrustMMM`.
    value_per_outcome : float, optional
        Value of one unit of outcome, for ROI in currency (default: outcome per spend).
    priors : mapping, optional
        Prior settings: the national model's names (``beta_sd``, ``baseline_sd``, ...)
        and ``effect_pool_sd``, ``baseline_pool_sd``, ``adstock_pool_sd``,
        ``saturation_pool_sd``, ``half_life_pool_sd``, ``amplification_pool_sd`` (partial
        pooling's geo spread) and ``stock_deviation_sd`` (the "national+geo" multipliers'),
        and ``"market_growth": (low, high)``: the market's own growth per year as a
        fraction of the outcome's mean, 90% range, a Normal prior on the trend (its pooled
        location under partial pooling; :class:`~trustmix.mmm.TrustMMM`'s
        ``market_growth``, docs/mmm.md), and ``"roi": {channel: (low, high)}``: a
        conversion channel's ROI over the data and all geos, (value - spend) / spend of its
        own term (without the trust amplification), lies in [low, high] with 90% prior
        probability (a LogNormal on 1 + ROI, as Meridian's ROI priors and
        :class:`~trustmix.mmm.TrustMMM`'s); the model's free coordinate is then ln(1 + ROI)
        itself, exactly whatever the geo deviations (docs/panel.md, "ROI priors"). Needs
        ``value_per_outcome`` and the channel's effects pooled partially or completely.
    no_media : "warn" or "error"
        A geo whose geo channels are all zero: kept with a warning (its effects come from the
        pooling and the prior) or refused.
    threads : int
        Threads of the model's loop over geos (0: all cores); results identical for any value.
    tracker_n : str, optional
        Respondents behind each tracker value (a survey share's panel sizes; national or per
        geo like the tracker). Given, the tracker must be a share in [0, 1] and each value
        has its known sampling error se = sqrt(p (1 - p) / n): the tracker is
        Normal(a_q + b_q S, sqrt(se^2 + sigma_q^2)), sigma_q the error beyond sampling, so a
        small geo's survey of 20 people weighs less than a large geo's of 400 (the national
        model's ``tracker_n``).
    noise : "iid" or "ar1"
        Residuals per geo: independent (``"iid"``) or AR(1), e[g, t] = phi e[g, t-1] +
        eps[g, t] with one phi in (-1, 1) for all geos, stationary start, prior
        atanh phi ~ Normal(0, ``ar1_sd`` = 0.5) (the national model's ``noise="ar1"``): weeks
        that stay above or below the model's mean together are not counted as independent
        evidence, so intervals are not too narrow when the baseline misses a slow swing.
    saturation : "logistic", "hill" or mapping channel -> one of them
        Each channel's saturation curve of its adstocked per-capita activity a (scaled: 1 is
        the channel's mean non-zero per-capita activity): ``"logistic"`` (default, the
        national model's) h = tanh(lam a / 2), or ``"hill"`` h = a^s / (a^s + ec^s),
        Meridian's form for impression channels (ec the half-saturation point, the slope s
        fixed by ``hill_slope``). A mapping names the Hill channels (others logistic). ec
        takes lam's place: its prior ln ec ~ Normal(``hill_ec_log_median`` = 0,
        ``hill_ec_sd_log`` = 1), or ``priors={"hill_ec": (low, high)}`` a 90% range of ec
        (a LogNormal), or ``priors={"hill_ec_normal": (mean, sd)}`` ec ~ Normal(mean, sd)
        truncated to ec > 0 (Meridian's family: its default is (0.8, 0.8) on [0.1, 10]);
        pooled as ``pooling["saturation"]`` says; its parameter is named ``ec``
        (docs/panel.md, "Saturation curves").
    hill_slope : float or mapping channel -> float
        Hill's slope s >= 1 (default 1, Meridian's default for impressions), fixed.
    time_effects : bool
        One effect per period shared by every geo (Meridian's geo default, a knot at every
        period): mu[g, t] gains tau[t], tau = 0 in the first period (the reference), tau[t] ~
        Normal(0, ``period_effect_sd`` = 2) in scaled outcome units for the others (weak: the
        mean absolute per-capita outcome is 1), named ``period_effect`` in
        :meth:`PanelFit.summary` (term: the date). The C++ model holds them as T - 1
        parameters added once per evaluation (not per geo) with the gradient the sum over
        geos of dL/dmu, so daily panels of many geos cost O(T) more, not O(T^2 G). They absorb
        every shared movement over time, so a shared trend and seasonality are collinear
        with them (only the priors separate them): pass ``trend=False, seasonality=0`` (a
        warning says so otherwise; per-geo trends around the shared one stay identified).
    share_sd : float or mapping national channel -> float, optional
        The apportioning share's uncertainty: each geo's true share of a national channel is
        the given share (``share=`` or the population's) times a multiplier m_g with
        ln m_g = sd z_g - ln sum_h sbar_h exp(sd z_h), z_g ~ Normal(0, 1), sbar_h the geo's
        mean share, so the national activity is conserved (exactly for a share constant in
        time) while each geo's is uncertain: ln m_g has prior sd sd x sqrt((1 - sbar_g)^2 +
        sum_{h != g} sbar_h^2), a little below sd for a small geo (0.2: about +-40% at 95%)
        and smaller for a geo holding most of the activity.
        A float applies to every national channel. The multipliers are parameters
        (``share_multiplier`` in :meth:`PanelFit.summary`): the data inform them where a
        geo's response says its share was larger or smaller, and the geo-level ROI carries
        their uncertainty (a geo's spend moves with its share; the rolled-up ROI keeps the
        national spend exactly when the share is constant in time). Default: the share is
        known. No effect (a warning) on a trust-only channel under a national stock, whose
        series does not depend on the share. With per-geo saturation (``pooling=
        {"saturation": ...}``) a geo's reported lam (ec) includes its multiplier: lam m_g
        (ec / m_g), the value its curve uses.
    trust_form : "linear" or "bounded"
        The national trust stock's recursion (:class:`~trustmix.mmm.TrustMMM`'s
        ``trust_form``, docs/mmm.md "The bounded trust form"): ``"linear"`` (default) an
        index fed by PR's saturated activity, or ``"bounded"`` the share of trusting people
        in [0, 1], S[t] = 1 - (1 - m[t]) exp(-rho u[t]) with 1 - m[t] = (1 - delta)(1 - b) +
        delta (1 - S[t-1]): it decays towards its baseline share b (``trust_base``) and gains
        a fraction of the not-yet-trusting share per period (``trust_inflow`` rho). Needs one
        national stock (``trust="national"`` or ``"national+geo"``). The panel planner and
        every analysis run the same recursion.
    shocks : sequence of str
        Columns of crises that damage trust (:class:`~trustmix.mmm.TrustMMM`'s ``shocks``):
        each an intensity d[t] >= 0 per date, the same on every geo's row (a crisis hits the
        national stock, or every geo's). A linear stock loses omega_e d[t] in that period
        (S[t] = delta S[t-1] + (1 - delta) u[t] - sum_e omega_e d[t, e]; the loss then
        decays with delta), the bounded share keeps exp(-sum_e omega_e d[t, e]) of itself;
        omega_e ~ HalfNormal(``omega_sd`` = 1), reported as ``omega`` (term: the column) in
        :meth:`PanelFit.summary`. None past the data. Needs a trust stock.
    lift_tests : list of LiftTest / dicts, or a DataFrame, optional
        Geo experiments that calibrate the model (docs/panel.md, "Lift tests"): the
        ``LiftTest`` objects of :mod:`trustmix.evaluate` (their treated ``units`` are the
        geos) or dicts / rows with ``channel`` (a converting channel; under ``trust="geo"``
        also one that feeds the geos' stocks, whose counterfactual then lowers the treated
        geos' stocks too), ``geos`` (the treated geos: a list or a comma-separated string),
        ``start`` and ``end`` (first and last test period, inclusive: dates of the data or
        period indices), ``lift`` and ``standard_error`` (outcome units, the total over the
        treated geos and the measured periods ``start`` .. ``measured_end``, default
        ``end``, or ``end + cooldown``), and ``transfer_sd`` (outcome units) or
        ``transfer_fraction`` (of ``|lift|``, default 0.1); week by week, ``period_lift``
        and ``period_standard_error`` (one value per measured period, each its own term,
        their transfer errors one common error: jointly Normal with covariance
        diag(se_t^2) + tau tau^T, tau_t = ``transfer_sd`` or ``transfer_fraction`` x
        ``|lift_t|``; a ``LiftTest`` from ``as_lift_test(per_period=True)``). Each enters as
        ``lift ~ Normal(pred, sqrt(se^2 + tau^2))`` with ``pred`` the model's own lift: the
        sum over those geos and periods of the outcome with the channel's activity as in the
        data minus the outcome with the activity in those geos over the window replaced by
        ``counterfactual`` (default 0: the activity removed; the same adstock, saturation
        and trust amplification). For a holdout that is **in the data** (the channel dark
        there), give ``counterfactual`` = the planned activity (the column's units per geo
        and period: one number, or the window's periods x the treated geos) and the lift
        as measured, as run minus planned (negative): a test whose window has no activity
        and no counterfactual removes nothing and is refused. :meth:`PanelFit.calibration`
        compares them after the fit; :meth:`PanelFit.predict_lift` predicts tests outside
        the likelihood.
    tracker_share : bool
        ``trust_form="bounded"`` only: the tracker (national, or per geo) is the survey
        share of trusting people itself, q[t] ~ Normal(S[t] + a_q, sqrt(se^2 + sigma_q^2))
        (per geo: S_g[t], the geo's share) with b_q = 1, a house bias a_q ~ Normal(0, 0.03)
        and sigma_q ~ HalfNormal(0.05), fitted unscaled (values in [0, 1]); with
        ``tracker_n`` each value has its sampling error.
        The survey then anchors the share's level, and with it PR's long tail (the national
        model's default for a survey share with panel sizes).
    """

    _STATE_VERSION = 2  # 2: time_effects are native period effects (1: indicator controls)

    def _saturation_args(
        self, saturation: str | Mapping[str, str], hill_slope: float | Mapping[str, float], priors: Mapping[str, Any]
    ) -> tuple[list[str], np.ndarray, dict[str, Any]]:
        """(curve per channel, Hill slope per channel, the priors for the C++ build) from the
        arguments, checked: channel names, curves, slopes >= 1, and ``"hill_ec": (low,
        high)`` turned into the LogNormal's ``hill_ec_log_median`` and ``hill_ec_sd_log``."""
        names = self.channel_names
        if isinstance(saturation, str):
            forms = [saturation] * len(names)
        elif isinstance(saturation, Mapping):
            for c in saturation:
                if c not in names:
                    raise _fail(f"saturation names {c!r}, which is not a channel ({', '.join(names)})")
            forms = [str(saturation.get(c, "logistic")) for c in names]
        else:
            raise _fail(f"saturation must be 'logistic', 'hill' or a mapping channel -> curve, got {saturation!r}")
        for c, f in zip(names, forms, strict=True):
            if f not in ("logistic", "hill"):
                raise _fail(f"saturation of channel {c!r} must be 'logistic' or 'hill', got {f!r}")

        def number(v: Any, what: str) -> float:
            try:
                return float(v)
            except (TypeError, ValueError):
                raise _fail(f"{what} must be a number, got {v!r}") from None

        hill = [c for c, f in zip(names, forms, strict=True) if f == "hill"]
        if isinstance(hill_slope, Mapping):
            for c in hill_slope:
                if c not in names:
                    raise _fail(f"hill_slope names {c!r}, which is not a channel ({', '.join(names)})")
                if c not in hill:
                    raise _fail(f"hill_slope names {c!r}, whose curve is logistic (saturation={{{c!r}: 'hill'}})")
            slopes = np.array([number(hill_slope.get(c, 1.0), f"hill_slope of channel {c!r}") for c in names])
        else:
            slopes = np.full(len(names), number(hill_slope, "hill_slope"))
        for c, v in zip(names, slopes, strict=True):
            if not (np.isfinite(v) and v >= 1.0):
                raise _fail(f"hill_slope of channel {c!r} is {v}; expected a finite slope >= 1")
        core = {k: v for k, v in priors.items() if k not in ("market_growth", "roi", "hill_ec", "hill_ec_normal")}
        ec_keys = ("hill_ec", "hill_ec_log_median", "hill_ec_sd_log", "hill_ec_normal", "hill_ec_mean", "hill_ec_sd")
        if any(k in priors for k in ec_keys) and not hill:
            raise _fail(f"an ec prior ({', '.join(map(repr, ec_keys))}) needs a Hill channel (saturation=)")
        lognormal = [k for k in ec_keys[:3] if k in priors]
        normal = [k for k in ec_keys[3:] if k in priors]
        if lognormal and normal:
            raise _fail(
                f"give one ec prior: a LogNormal ({', '.join(map(repr, lognormal))}) or a Normal "
                f"({', '.join(map(repr, normal))}), not both"
            )

        def pair(
            key: str, rivals: tuple[str, str], short: str, shape: str, parts: tuple[str, str]
        ) -> tuple[float, float]:
            """The two numbers of prior ``key`` (given instead of its two ``rivals``), checked."""
            if any(r in priors for r in rivals):
                raise _fail(f"give prior {key!r} {short} or {rivals[0]!r} / {rivals[1]!r}, not both")
            return _two_numbers(priors[key], f"prior {key!r}", shape, parts, prefix="PanelMMM: ")

        if "hill_ec_normal" in priors:
            mean, sd = pair(
                "hill_ec_normal",
                ("hill_ec_mean", "hill_ec_sd"),
                "(mean, sd)",
                "(mean, sd) of ec's Normal",
                ("mean", "sd"),
            )
            if not (math.isfinite(mean) and 0.0 < sd < math.inf):
                raise _fail(f"prior 'hill_ec_normal' must have a finite mean and 0 < sd, got ({mean}, {sd})")
            core["hill_ec_mean"], core["hill_ec_sd"] = mean, sd
        if "hill_ec" in priors:
            lo, hi = pair(
                "hill_ec",
                ("hill_ec_log_median", "hill_ec_sd_log"),
                "(a 90% range)",
                "(low, high), a 90% range of ec",
                ("low", "high"),
            )
            if not (0.0 < lo < hi < math.inf):
                raise _fail(f"prior 'hill_ec' must have 0 < low < high, got ({lo}, {hi})")
            core["hill_ec_log_median"] = 0.5 * (math.log(lo) + math.log(hi))
            core["hill_ec_sd_log"] = (math.log(hi) - math.log(lo)) / (2.0 * _Z95)
        return forms, slopes, core

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        geo: str,
        date: str,
        outcome: str,
        channels: Mapping[str, str] | Sequence[Any],
        population: str | None = None,
        national_channels: Sequence[str] = (),
        share: Mapping[str, str] | None = None,
        spend: Mapping[str, str] | None = None,
        controls: Sequence[str] = (),
        pooling: Mapping[str, str] | None = None,
        trust: str | bool = "national",
        tracker: str | None = None,
        seasonality: int = 2,
        trend: bool = True,
        max_lag: int = 12,
        value_per_outcome: float | None = None,
        priors: Mapping[str, Any] | None = None,
        no_media: str = "warn",
        threads: int = 1,
        tracker_n: str | None = None,
        noise: str = "iid",
        saturation: str | Mapping[str, str] = "logistic",
        hill_slope: float | Mapping[str, float] = 1.0,
        time_effects: bool = False,
        share_sd: float | Mapping[str, float] | None = None,
        trust_form: str = "linear",
        tracker_share: bool = False,
        shocks: Sequence[str] = (),
        lift_tests: Any = None,
    ) -> None:
        # Copies, not references: a pickled model (or fit) rebuilds from the data and
        # arguments as they were fitted, whatever the caller changes afterwards.
        self._args: dict[str, Any] = copy.deepcopy(
            dict(
                geo=geo,
                date=date,
                outcome=outcome,
                channels=channels if isinstance(channels, Mapping) else list(channels),
                population=population,
                national_channels=list(national_channels),
                share=share,
                spend=spend,
                controls=list(controls),
                pooling=pooling,
                trust=trust,
                tracker=tracker,
                seasonality=seasonality,
                trend=trend,
                max_lag=max_lag,
                value_per_outcome=value_per_outcome,
                priors=priors,
                no_media=no_media,
                threads=threads,
                tracker_n=tracker_n,
                noise=noise,
                trust_form=trust_form,
                tracker_share=tracker_share,
            )
        )
        # only when given: a logistic model's state stays loadable by code from before them
        if not (isinstance(saturation, str) and saturation == "logistic"):
            self._args["saturation"] = dict(saturation) if isinstance(saturation, Mapping) else saturation
        if not (isinstance(hill_slope, (int, float)) and hill_slope == 1.0):
            self._args["hill_slope"] = dict(hill_slope) if isinstance(hill_slope, Mapping) else hill_slope
        if not isinstance(time_effects, (bool, np.bool_)):
            raise _fail(f"time_effects must be True or False, got {time_effects!r}")
        if time_effects:
            self._args["time_effects"] = True
        self.time_effects = bool(time_effects)
        if share_sd is not None:
            self._args["share_sd"] = dict(share_sd) if isinstance(share_sd, Mapping) else share_sd
        if isinstance(shocks, str):
            shocks = [shocks]
        self.shock_names = list(shocks)
        if self.shock_names:  # only when given: a state without them loads as before
            self._args["shocks"] = list(self.shock_names)
        if not isinstance(data, pd.DataFrame):
            raise _fail(f"data must be a pandas DataFrame, got {type(data).__name__}")
        self._data = data.copy(deep=True)
        self.roles = self._roles(channels)
        self.channel_names = list(self.roles)
        self.geo, self.date, self.outcome = geo, date, outcome
        self.trust: str = "off" if trust is False else str(trust)
        if self.trust not in ("off", "national", "geo", "national+geo"):
            raise _fail(f"trust must be 'national', 'geo', 'national+geo' or False, got {trust!r}")
        if noise not in ("iid", "ar1"):
            raise _fail(f"noise must be 'iid' or 'ar1', got {noise!r}")
        if tracker_n is not None and tracker is None:
            raise _fail("tracker_n needs a tracker (the survey share whose respondents it counts)")
        self.noise = noise
        self.tracker_n = tracker_n
        if trust_form not in ("linear", "bounded"):
            raise _fail(f"trust_form must be 'linear' or 'bounded', got {trust_form!r}")
        if trust_form == "bounded" and self.trust not in ("national", "national+geo"):
            raise _fail(
                f"trust_form='bounded' needs one national stock (trust='national' or 'national+geo'), got "
                f"trust={self.trust!r}; bounded stocks per geo are not implemented"
            )
        if not isinstance(tracker_share, (bool, np.bool_)):
            raise _fail(f"tracker_share must be True or False, got {tracker_share!r}")
        if tracker_share and (trust_form != "bounded" or tracker is None):
            raise _fail(
                "tracker_share=True needs trust_form='bounded' and a tracker (the survey share of trusting people)"
            )
        self.trust_form = trust_form
        self.tracker_share = bool(tracker_share)
        if self.shock_names and self.trust == "off":
            raise _fail(f"shocks {self.shock_names!r} (crises that damage trust) need a trust stock; got trust=False")
        if no_media not in ("warn", "error"):
            raise _fail(f"no_media must be 'warn' or 'error', got {no_media!r}")
        self.national_channels = list(national_channels)
        for c in self.national_channels:
            if c not in self.roles:
                raise _fail(f"national_channels names {c!r}, which is not a channel ({', '.join(self.roles)})")
        self.share_sd = self._share_sd(share_sd)
        self.value_per_outcome = value_per_outcome
        self._noted_no_value = False  # the "no value_per_outcome" note is logged once per model
        share = dict(share or {})
        spend = dict(spend or {})
        needed = [geo, date, outcome, *self.roles, *controls, *share.values(), *spend.values()]
        needed += [c for c in (population, tracker, tracker_n) if c is not None]
        needed += self.shock_names
        missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
        if missing:
            raise _fail(
                f"column(s) {', '.join(map(repr, missing))} not in data (columns: {', '.join(map(str, data.columns))})"
            )
        df = data.copy()
        df[date] = pd.to_datetime(df[date])
        dup = df.duplicated([geo, date], keep=False)
        if dup.any():
            row = df[dup].iloc[0]
            raise _fail(
                f"duplicated (geo, date) rows: geo {row[geo]!r}, date {row[date].date()} appears "
                f"{int((dup & (df[geo] == row[geo]) & (df[date] == row[date])).sum())} times"
            )
        self.geos = [str(g) for g in pd.unique(df[geo])]
        dates = pd.DatetimeIndex(sorted(pd.unique(df[date])))
        for g, part in df.groupby(geo, sort=False):
            own = pd.DatetimeIndex(part[date])
            if len(own) != len(dates):
                gone = dates.difference(own)
                raise _fail(
                    f"geos have different date ranges: geo {g!r} has {len(own)} dates "
                    f"({own.min().date()} to {own.max().date()}), the panel {len(dates)} "
                    f"({dates[0].date()} to {dates[-1].date()}); first missing {gone[0].date()}"
                )
        if len(dates) < 2:
            raise _fail(f"the panel needs at least 2 dates, got {len(dates)}")
        steps = np.diff(dates.values)
        if (steps != steps[0]).any():
            bad = int((steps != steps[0]).argmax()) + 1
            raise _fail(
                f"column {date!r}: dates are not evenly spaced; a gap or irregular step before "
                f"{dates[bad].date()} (expected every {steps[0] / np.timedelta64(1, 'D'):g} days): "
                f"adstock, the trust stock and seasonality count periods"
            )
        self.dates = dates
        df[geo] = df[geo].astype(str)
        df = df.sort_values([date, geo])
        wide = {
            col: df.pivot(index=date, columns=geo, values=col).reindex(columns=self.geos)
            for col in dict.fromkeys(
                [
                    outcome,
                    *self.roles,
                    *controls,
                    *share.values(),
                    *spend.values(),
                    *[c for c in (population, tracker, tracker_n) if c is not None],
                    *self.shock_names,
                ]
            )
        }

        def numeric(col: str, allow_nan: bool = False) -> np.ndarray:
            w = wide[col].apply(pd.to_numeric, errors="coerce")
            a = w.to_numpy(dtype=float)
            bad = ~np.isfinite(a) if not allow_nan else np.isinf(a)
            if bad.any():
                t, g = np.argwhere(bad)[0]
                raise _fail(
                    f"column {col!r}: geo {self.geos[g]!r}, date {dates[t].date()} is "
                    f"{_show(wide[col].iloc[t, g])}; expected a finite number"
                )
            return np.asarray(a, dtype=float)

        y = numeric(outcome)
        pop = None
        if population is not None:
            pop = numeric(population)
            if (pop <= 0).any():
                t, g = np.argwhere(pop <= 0)[0]
                raise _fail(
                    f"column {population!r}: geo {self.geos[g]!r}, date {dates[t].date()} is "
                    f"{float(pop[t, g])}; a population must be > 0"
                )

        def nonnegative(col: str, what: str) -> np.ndarray:
            a = numeric(col)
            if (a < 0).any():
                t, g = np.argwhere(a < 0)[0]
                raise _fail(
                    f"column {col!r}: geo {self.geos[g]!r}, date {dates[t].date()} is {float(a[t, g])}; "
                    f"{what} must be >= 0"
                )
            return a

        def differing_date(arr: np.ndarray, rel: float) -> int | None:
            """The first date whose values differ across geos (beyond rel x the largest), or None."""
            diff = np.ptp(arr, axis=1) > rel * np.maximum(1.0, np.abs(arr).max(axis=1))
            return int(np.argmax(diff)) if diff.any() else None

        media: list[np.ndarray] = []
        spends: list[np.ndarray] = []
        shares: list[np.ndarray] = []
        for c in self.roles:
            a = nonnegative(c, "activity")
            s = numeric(spend[c]) if c in spend else a
            if c in self.national_channels:
                for arr, what in ((a, c), (s, spend.get(c, c))):
                    t = differing_date(arr, 1e-9)
                    if t is not None:
                        g_hi, g_lo = int(np.argmax(arr[t])), int(np.argmin(arr[t]))
                        raise _fail(
                            f"national channel {c!r}: column {what!r} differs across geos on {dates[t].date()} "
                            f"(geo {self.geos[g_hi]!r} {float(arr[t, g_hi])}, geo {self.geos[g_lo]!r} "
                            f"{float(arr[t, g_lo])}); a national channel holds the national total on every row"
                        )
                media.append(a[:, :1])
                spends.append(s[:, :1])
                shares.append(numeric(share[c]) if c in share else np.zeros((0, 0)))
            else:
                if c in share:
                    raise _fail(f"share is given for {c!r}, which is not a national channel")
                media.append(a)
                spends.append(s)
                shares.append(np.zeros((0, 0)))
        shock_columns: list[np.ndarray] = []
        for c in self.shock_names:  # national crises: the same value on every geo's row
            a = nonnegative(c, "a shock (crisis intensity)")
            t = differing_date(a, 1e-12)
            if t is not None:
                raise _fail(
                    f"shock {c!r} differs across geos on {dates[t].date()}; a crisis damages the national trust "
                    "stock (or every geo's): give its intensity on every geo's row"
                )
            shock_columns.append(a[:, 0])
        shock_matrix = np.column_stack(shock_columns) if shock_columns else np.zeros((0, 0))
        geo_channels = [i for i, c in enumerate(self.roles) if c not in self.national_channels]
        if geo_channels:
            silent = [g for g in range(len(self.geos)) if all(not (media[i][:, g] > 0).any() for i in geo_channels)]
            if silent:
                names = ", ".join(repr(self.geos[g]) for g in silent)
                if no_media == "error":
                    raise _fail(f"geo(s) {names} have no activity in any geo channel")
                warnings.warn(
                    f"PanelMMM: geo(s) {names} have no activity in any geo channel; kept: their channel "
                    "effects come from the pooling and the prior",
                    stacklevel=2,
                )
        tr = np.zeros((0, 0))
        trn = np.zeros((0, 0))
        self.tracker_level: str | None = None
        if tracker is not None:
            q = numeric(tracker, allow_nan=True)
            same = np.all((q == q[:, :1]) | (np.isnan(q) & np.isnan(q[:, :1])), axis=1)
            self.tracker_level = "national" if same.all() else "geo"
            tr = q[:, :1] if self.tracker_level == "national" else q
            if self.tracker_share:
                bad_share = ~np.isnan(q) & ~((q >= 0.0) & (q <= 1.0))
                if bad_share.any():
                    t, g = np.argwhere(bad_share)[0]
                    raise _fail(
                        f"column {tracker!r}: geo {self.geos[g]!r}, date {dates[t].date()} is {q[t, g]}; with "
                        "tracker_share=True the tracker must be a survey share in [0, 1]"
                    )
            if tracker_n is not None:
                n_resp = numeric(tracker_n, allow_nan=True)
                measured = ~np.isnan(q)
                bad = measured & ~((q >= 0.0) & (q <= 1.0))
                if bad.any():
                    t, g = np.argwhere(bad)[0]
                    raise _fail(
                        f"column {tracker!r}: geo {self.geos[g]!r}, date {dates[t].date()} is {q[t, g]}; "
                        "with tracker_n the tracker must be a survey share in [0, 1]"
                    )
                bad = measured & ~(n_resp >= 1.0)
                if bad.any():
                    t, g = np.argwhere(bad)[0]
                    raise _fail(
                        f"column {tracker_n!r}: geo {self.geos[g]!r}, date {dates[t].date()} is "
                        f"{_show(n_resp[t, g])}; a measured tracker value needs a panel size >= 1"
                    )
                if self.tracker_level == "national":
                    differs = ~np.all((n_resp == n_resp[:, :1]) | ~measured, axis=1)
                    if differs.any():
                        t = int(np.argmax(differs))
                        raise _fail(
                            f"column {tracker_n!r}: date {dates[t].date()} has different panel sizes across geos "
                            f"for a national tracker (the same value on every geo's row); give the national "
                            "survey's size on every row, or per-geo survey shares"
                        )
                trn = n_resp[:, :1] if self.tracker_level == "national" else n_resp
        pool = dict(pooling or {})
        groups: dict[str, str] = {}
        per_channel = ["" for _ in self.roles]
        per_control = ["" for _ in controls]
        for k, v in pool.items():
            centrable = (
                k in ("intercept", "trend", "seasonality", "controls", "effects") or k in controls or k in self.roles
            )
            if v == "partial_centred" and not centrable:
                raise _fail(
                    f"pooling[{k!r}]: 'partial_centred' applies to the baseline groups (intercept, trend, "
                    "seasonality, controls), effects, controls and channels"
                )
            if v not in _POOLING and v != "partial_centred":
                raise _fail(f"pooling[{k!r}] must be one of {', '.join(_POOLING)} (or partial_centred), got {v!r}")
            if k in _GROUPS:
                groups[k] = v
            elif k in self.roles:
                per_channel[self.channel_names.index(k)] = v
            elif k in controls:
                per_control[list(controls).index(k)] = v
            else:
                raise _fail(f"pooling names {k!r}: neither a group ({', '.join(_GROUPS)}), a channel nor a control")
        effects = groups.get("effects", "partial")
        channel_pooling = [v or effects for v in per_channel] if any(per_channel) else []
        control_values = [numeric(c) for c in controls]
        control_names = list(controls)
        if self.time_effects and (trend or seasonality):
            warnings.warn(
                "time_effects=True with a trend or seasonality: their shared parts are collinear with the "
                "period effects, only the priors separate them; pass trend=False, seasonality=0",
                UserWarning,
                stacklevel=2,
            )
        controls_default = groups.get("controls", "complete")
        control_pooling = [v or controls_default for v in per_control] if any(per_control) else []
        self.pooling = {
            "intercept": "partial",
            "trend": "partial",
            "seasonality": "complete",
            "controls": "complete",
            "effects": effects,
            "adstock": "complete",
            "saturation": "complete",
            "trust_half_life": "complete",
            "amplification": "complete",
            **groups,
            **{k: v for k, v in pool.items() if k not in _GROUPS},  # a channel's or a control's own
        }
        if self.time_effects:
            self.pooling["time_effects"] = "complete"
        growth, roi = _growth_and_roi_priors(priors or {}, self.channel_names, "PanelMMM: ")
        if "period_effect_sd" in (priors or {}) and not self.time_effects:
            raise _fail("prior 'period_effect_sd' is the period effects' prior: it needs time_effects=True")
        forms, slopes, core_priors = self._saturation_args(saturation, hill_slope, priors or {})
        step = np.median(np.diff(dates.values).astype("timedelta64[s]").astype(float)) / 86400.0
        self.period_days = float(step)
        self._spend_raw = spends
        self.lift_test_records, core_lift = _panel_lift_tests(
            lift_tests, dates, self.period_days, list(self.roles), self.geos
        )
        if self.lift_test_records:  # only when given: older pickles' kwargs stay as they were
            self._args["lift_tests"] = [r["input"] for r in self.lift_test_records]
        self._core, self._scales = _core.mmm.build_panel(
            geos=self.geos,
            channels=self.channel_names,
            roles=[self.roles[c] for c in self.roles],
            national=[c in self.national_channels for c in self.roles],
            media=media,
            share=shares,
            population=np.zeros((0, 0)) if pop is None else pop,
            outcome=y,
            controls=control_values,
            control_names=control_names,
            period_days=self.period_days,
            seasonality=int(seasonality),
            trend=bool(trend),
            max_lag=int(max_lag),
            trust=self.trust,
            tracker=tr,
            pooling=groups,
            channel_pooling=channel_pooling,
            priors=core_priors,
            threads=int(threads),
            tracker_n=trn,
            noise=noise,
            market_growth=growth,
            roi=roi,
            spend_total=np.array([float(np.sum(sp)) for sp in spends]),
            value_per_outcome=float("nan") if value_per_outcome is None else float(value_per_outcome),
            saturation=forms,
            hill_slope=slopes,
            control_pooling=control_pooling,
            share_sd=np.array([self.share_sd.get(c, 0.0) for c in self.roles]) if self.share_sd else np.zeros(0),
            period_effects=self.time_effects,
            trust_form=self.trust_form,
            tracker_share=self.tracker_share,
            shocks=shock_matrix,
            lift_tests=core_lift,
        )
        modelled = {self.channel_names[i] for i in self._core.share_channels}
        ignored = [c for c in self.share_sd if c not in modelled]
        if ignored:
            warnings.warn(
                f"share_sd of {', '.join(map(repr, ignored))} has no effect: under trust={self.trust!r} a trust-only "
                "channel enters only through the national stock, whose series (total activity over total population) "
                "does not depend on how it is apportioned",
                UserWarning,
                stacklevel=2,
            )
        # after the build, so that a refused pooling raises without this warning first
        trust_only = [c for c, r in self.roles.items() if r == "trust"]
        overridden = [k for k in ("adstock", "saturation") if groups.get(k, "complete") != "complete"]
        if self.trust in ("national", "national+geo") and trust_only and overridden:
            warnings.warn(
                f"pooling of {' and '.join(overridden)} does not apply to the trust-only channel(s) "
                f"{', '.join(trust_only)}: under trust={self.trust!r} they enter only through the national "
                "stock's series, which has one value (per-geo values would be prior draws); they stay complete",
                UserWarning,
                stacklevel=2,
            )
        self.y = y
        self.population = np.asarray(self._scales.population)
        # spend per geo: national spend apportioned like the activity (activity's geo shares)
        act = [np.asarray(a) for a in self._scales.activity]
        self.spend_by_geo: list[np.ndarray] = []
        for i, c in enumerate(self.roles):
            if c in self.national_channels:
                tot = act[i].sum(axis=1, keepdims=True)
                with np.errstate(divide="ignore", invalid="ignore"):
                    frac = np.where(tot > 0, act[i] / tot, self.population / self.population.sum(axis=1, keepdims=True))
                self.spend_by_geo.append(frac * spends[i])
            else:
                self.spend_by_geo.append(spends[i])

    def _share_sd(self, share_sd: float | Mapping[str, float] | None) -> dict[str, float]:
        """National channel -> sd of ln(true share / given share) (> 0 only), checked."""
        if share_sd is None:
            return {}
        if isinstance(share_sd, Mapping):
            given = dict(share_sd)
            for c in given:
                if c not in self.roles:
                    raise _fail(f"share_sd names {c!r}, which is not a channel ({', '.join(self.roles)})")
                if c not in self.national_channels:
                    raise _fail(
                        f"share_sd names {c!r}, which is bought per geo (its activity per geo is data); the share's "
                        "uncertainty applies to national_channels"
                    )
        else:
            if not self.national_channels:
                raise _fail("share_sd needs national_channels (the channels apportioned to geos by a share)")
            given = {c: share_sd for c in self.national_channels}
        out: dict[str, float] = {}
        for c, v in given.items():
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise _fail(f"share_sd[{c!r}] must be a number >= 0, got {v!r}")
            if not (np.isfinite(v) and v >= 0.0):
                raise _fail(f"share_sd[{c!r}] must be a finite number >= 0 (0: the share is known), got {v!r}")
            if v > 0.0:
                out[c] = float(v)
        return out

    @staticmethod
    def _roles(channels: Mapping[str, str] | Sequence[Any]) -> dict[str, str]:
        """Channel -> role, checked as :class:`~trustmix.mmm.TrustMMM` checks it (its rule, reused)."""
        from trustmix.mmm.model import TrustMMM

        return {str(k): str(v) for k, v in TrustMMM._roles(channels).items()}

    @property
    def parameter_names(self) -> list[str]:
        """Unconstrained parameter names (panel_model.hpp)."""
        return list(self._core.parameter_names)

    def log_density(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """Log posterior density and its gradient at unconstrained ``z``."""
        lp, g = self._core.log_density(np.asarray(z, dtype=float))
        return float(lp), np.asarray(g)

    def fit(
        self,
        method: str = "map",
        *,
        chains: int = 4,
        draws: int = 1000,
        tune: int = 1000,
        seed: int = 0,
        target_accept: float = 0.9,
        progress: bool = True,
        max_iterations: int = 3000,
        max_tree_depth: int = 10,
    ) -> PanelFit:
        """Fits the model: ``"map"`` (the posterior mode by L-BFGS from the model's start) or
        ``"nuts"`` (``chains`` NUTS chains of ``tune`` + ``draws`` iterations on threads,
        started near the mode with a seeded jitter; deterministic for a seed on any thread
        count). Returns a :class:`PanelFit`. With ``"partial_centred"`` pooling the mode is
        the non-centred parametrisation's (the same constrained parameters; a centred
        hierarchy's joint mode is degenerate at tau = 0) and ``info["log_density"]`` is its
        log density there."""
        if method not in ("map", "nuts"):
            raise ValueError(f"method must be 'map' or 'nuts', got {method!r}")
        from trustmix import inference
        from trustmix.inference._api import _check_int, _check_seed, _warn_map_not_converged

        seed = _check_seed(seed)
        # C++ fit_panel_map: L-BFGS from the model's start; with centred hierarchies the
        # non-centred twin's mode mapped back (a centred joint mode is degenerate at tau = 0)
        res = self._core.fit_map(_check_int(max_iterations, "max_iterations", 1), 1e-7)
        mode = np.asarray(res.z)
        info = {"log_density": res.log_density, "converged": res.converged, "iterations": res.iterations}
        if not np.isfinite(res.log_density):
            raise RuntimeError(f"PanelMMM: the fit cannot start: {res.message}")
        if method == "map":
            if not res.converged:
                _warn_map_not_converged(res.iterations, res.message, res.gradient_norm)
            return PanelFit(self, mode, info)
        # the mode is only NUTS's start: a MAP not quite converged is fine
        init = np.asarray(self._core.nuts_starts(mode, _check_int(chains, "chains", 1), seed))
        posterior = inference.sample(
            _core.mmm.PanelTarget(self._core),
            chains=chains,
            draws=draws,
            tune=tune,
            seed=seed,
            target_accept=target_accept,
            initial_values=init,
            progress=progress,
            max_tree_depth=max_tree_depth,
        )
        return PanelFit(self, mode, info, posterior)

    # -- pickling and display ---------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Versioned state (version 2): the data as numpy columns and the arguments."""
        d = self._data
        return {
            "version": self._STATE_VERSION,
            "data": {"columns": list(d.columns), "values": [d[c].to_numpy() for c in d.columns]},
            "kwargs": dict(self._args),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or state.get("version") not in (1, 2):
            raise ValueError(
                f"cannot unpickle PanelMMM: unsupported state version "
                f"{state.get('version') if isinstance(state, dict) else state!r}"
            )
        d = state["data"]
        kwargs = dict(state["kwargs"])
        if state["version"] == 1 and kwargs.get("time_effects"):
            # version 1 built time_effects as T - 1 indicator controls: the same dimension as the
            # native period effects but other parameters in other slots, so a fit's z would be misread
            raise ValueError(
                "cannot unpickle PanelMMM: it was pickled with time_effects=True by a version that built the "
                "period effects as indicator controls (state version 1); its draws do not fit today's native "
                "period effects. Refit the model"
            )
        kwargs.setdefault("noise", "iid")  # states from before noise= were fitted with iid residuals
        kwargs.setdefault("tracker_n", None)
        kwargs.setdefault("trust_form", "linear")  # states from before trust_form= were linear
        kwargs.setdefault("tracker_share", False)
        state = {**state, "kwargs": kwargs}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            PanelMMM.__init__(
                self,
                pd.DataFrame(dict(zip(d["columns"], d["values"], strict=True)), columns=d["columns"]),
                **state["kwargs"],
            )

    def __repr__(self) -> str:
        return (
            f"PanelMMM(geos={len(self.geos)}, periods={len(self.dates)}, channels={self.roles!r}, "
            f"national_channels={self.national_channels!r}, trust={self.trust!r}, pooling={self.pooling!r}, "
            f"parameters={self._core.dimension})"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(c)}</td><td>{html.escape(r)}</td>"
            f"<td>{'national' if c in self.national_channels else 'geo'}</td></tr>"
            for c, r in self.roles.items()
        )
        return (
            f"<b>PanelMMM</b>: {len(self.geos)} geos x {len(self.dates)} periods, trust "
            f"{html.escape(self.trust)}, pooling {html.escape(str(self.pooling))}"
            f"<table><tr><th>channel</th><th>role</th><th>bought</th></tr>{rows}</table>"
        )


class PanelFit:
    """A fitted :class:`PanelMMM`: the mode (MAP) or posterior draws (NUTS), per-geo
    parameters, decomposition, ROI per geo and rolled up, plots."""

    _STATE_VERSION = 1

    def __init__(self, model: PanelMMM, z: np.ndarray, info: dict[str, Any], posterior: Any = None) -> None:
        self.model = model
        self.z = np.asarray(z, dtype=float)
        self.info = dict(info)
        self.posterior = posterior

    @property
    def method(self) -> str:
        """``"nuts"`` with posterior draws, else ``"map"``."""
        return "map" if self.posterior is None else "nuts"

    def draws(self, max_draws: int | None = None) -> np.ndarray:
        """Unconstrained draws (n, dimension), chains concatenated, thinned evenly to at most
        ``max_draws``; a MAP fit gives its mode as the only draw."""
        if self.posterior is None:
            return self.z[None, :]
        z = np.asarray(self.posterior.draws).reshape(-1, self.z.size)
        if max_draws is not None and len(z) > max_draws:
            z = z[np.linspace(0, len(z) - 1, max_draws).round().astype(int)]
        return z

    def _label(self, name: str) -> tuple[str, str, str]:
        """(parameter, channel or baseline term, geo) of a constrained name."""
        m = self.model
        base, _, rest = name.partition("[")
        idx = rest.rstrip("]").split(",") if rest else []
        names = list(m._scales.baseline_names)
        if base in ("alpha", "lam", "ec") and len(idx) == 2:  # per geo (adstock/saturation pooled)
            return base, m.channel_names[int(idx[0])], m.geos[int(idx[1])]
        if base == "period_effect":  # term: the period's date
            return base, str(m.dates[int(idx[0])].date()), ""
        if base == "share_multiplier":
            return base, m.channel_names[int(idx[0])], m.geos[int(idx[1])]
        if base == "omega":  # term: the shock's column
            return base, m.shock_names[int(idx[0])], ""
        if base in ("delta", "theta", "stock_multiplier") and len(idx) == 1:
            return base, "", m.geos[int(idx[0])]
        if base in ("alpha", "lam", "ec", "kappa", "beta_median", "beta_tau", "alpha_tau", "lam_tau", "ec_tau"):
            return base, m.channel_names[int(idx[0])], ""
        if base == "beta":
            return base, m.channel_names[int(idx[0])], m.geos[int(idx[1])]
        if base == "b":
            return base, names[int(idx[0])], m.geos[int(idx[1])]
        if base in ("b_mean", "b_tau"):
            return base, names[int(idx[0])], ""
        return base, "", ""

    def summary(self, interval: float = 0.9) -> pd.DataFrame:
        """One row per constrained parameter (scaled units: per-capita outcome over its mean;
        see docs/panel.md): ``parameter``, ``term`` (channel or baseline term), ``geo``,
        ``mean``, ``sd``, the central ``interval`` bounds ``low``/``high``, and for NUTS
        ``r_hat`` and ``ess_bulk``."""
        names = list(self.model._core.constrained_names)
        full = np.asarray(self.posterior.draws) if self.posterior is not None else self.z[None, None, :]
        c, n, d = full.shape
        con = np.asarray(self.model._core.constrain_draws(full.reshape(-1, d))).reshape(c, n, -1)
        flat = con.reshape(c * n, -1)
        lo, hi = (1 - interval) / 2, (1 + interval) / 2
        rows = [self._label(s) for s in names]
        out = pd.DataFrame(rows, columns=["parameter", "term", "geo"])
        out["mean"] = flat.mean(axis=0)
        out["sd"] = flat.std(axis=0, ddof=1) if len(flat) > 1 else np.nan
        out["low"] = np.quantile(flat, lo, axis=0)
        out["high"] = np.quantile(flat, hi, axis=0)
        if self.posterior is not None:
            from trustmix import inference

            out["r_hat"] = [inference.rhat(con[:, :, j]) for j in range(con.shape[2])]
            out["ess_bulk"] = [inference.ess_bulk(con[:, :, j]) for j in range(con.shape[2])]
        out.index = pd.Index(names, name="name")
        return out

    def roi(
        self,
        by: str = "geo",
        horizon: int | None = None,
        window: tuple[Any, Any] | None = None,
        value_per_outcome: float | None = None,
        interval: float = 0.9,
        max_draws: int = 200,
    ) -> pd.DataFrame:
        """Incremental outcome and ROI of each channel by counterfactual, per geo and rolled
        up: the channel's activity in ``window`` (default the whole data) removed in every
        geo, everything else kept, the difference of the fitted outcome summed over the data
        and ``horizon`` periods after it (default 104 with a trust stock, else the adstock
        lag window) in raw outcome units (per-capita mean x population).

        Columns: ``spend`` (in the window; a national channel's apportioned like its
        activity; with ``share_sd`` the geo's spend at its posterior mean share, and each
        draw's ratios use that draw's share), ``incremental``, ``roas`` = incremental x v / spend (gross: value per
        unit of spend, what Meridian calls ROI and PyMC-Marketing ROAS), ``roi`` = (incremental
        x v - spend) / spend = roas - 1 (net: the definition of the national
        :meth:`TrustFit.roi <trustmix.mmm.TrustFit.roi>`'s ``roi_total`` and of
        :meth:`short_long`'s), ``cost_per_incremental`` = spend / incremental (currency per
        outcome; NaN when the effect is <= 0), with v = ``value_per_outcome`` (default the
        model's). Without a value per outcome ``roas`` and ``roi`` are NaN (a note on the
        ``trustmix.mmm`` logger says so once per model) and ``cost_per_incremental`` is the
        figure to read. NUTS: posterior means with central ``interval`` bounds
        (``*_low``/``*_high``) over up to ``max_draws`` draws; MAP: the mode's values.
        ``by="geo"``: a row per (channel, geo) and a rolled-up row per channel (geo
        ``"total"``: sums over geos, ratios of the sums); ``by="channel"``: the rolled-up rows
        only. The counterfactual pass is :meth:`short_long`'s (C++
        ``trustmix::mmm::panel_roi``)."""
        from trustmix.mmm import _panel_results as pr

        pr._check_by(by)
        m = self.model
        G, C = len(m.geos), len(m.channel_names)
        r, spend = pr._roi_pass(self, horizon, window, value_per_outcome, max_draws)
        # draws x (channel, geo) columns with a rolled-up column per channel
        columns = {
            "incremental": np.asarray(r.incremental_total),
            "roas": np.asarray(r.roi_total) + 1.0,
            "roi": np.asarray(r.roi_total),
            "cost_per_incremental": np.asarray(r.cost_per_incremental),
        }
        nuts = self.posterior is not None
        out: dict[str, Any] = {
            "channel": np.repeat(np.array(m.channel_names, dtype=object), G + 1),
            "geo": np.tile(np.array([*m.geos, "total"], dtype=object), C),
            "spend": np.concatenate([spend, spend.sum(axis=1, keepdims=True)], axis=1).reshape(-1),
        }
        for name, x in columns.items():
            mean, low, high = pr._summarise(x, interval, nuts)
            out[name] = mean
            if nuts:
                out[f"{name}_low"] = low
                out[f"{name}_high"] = high
        df = pd.DataFrame(out)
        if by == "channel":
            df = df[df["geo"] == "total"].reset_index(drop=True)
        return df

    def calibration(self, interval: float = 0.9, max_draws: int | None = 1000) -> pd.DataFrame:
        """The lift tests against the model: one row per test with ``test``, ``label``,
        ``channel``, ``geos``, ``start``, ``end``, ``measured_end``, ``observed`` (the
        measured lift, outcome units), its ``standard_error`` and ``transfer_sd`` (tau), the
        posterior ``predicted`` lift (mean over up to ``max_draws`` thinned draws; the mode
        for a MAP fit) with its equal-tailed ``interval`` (``low``, ``high``) and ``z`` =
        (observed - predicted) / sqrt(se^2 + tau^2). Computed in C++
        (``PanelModel.predicted_lift_draws``): the sum over the treated geos and measured
        periods of the outcome with the channel's activity as in the data minus the outcome
        with the activity in those geos over the window at the test's ``counterfactual``
        (default 0: removed)."""
        return self._lift_table(self.model, interval, max_draws)

    def predict_lift(self, lift_tests: Any, interval: float = 0.9, max_draws: int | None = 1000) -> pd.DataFrame:
        """This fit's prediction of geo experiments that are **not** in its likelihood: the
        table of :meth:`calibration` for ``lift_tests`` (the forms ``PanelMMM(lift_tests=)``
        takes). The check to run before calibrating, or on a test held back: does the
        model, as fitted, predict what the experiment measured (``z``)? The predicted lift
        of test k is the same quantity as in calibration (the outcome with the channel's
        activity as in the data minus the outcome with the window's activity in the treated
        geos at the test's ``counterfactual``, default 0, summed over the treated geos and
        measured periods), over this fit's draws; the tests change nothing in the fit. It
        builds the model once more with the tests (the data checked again), so call it once
        with every test rather than once per test."""
        probe = PanelMMM(self.model._data, **{**self.model._args, "lift_tests": lift_tests})
        if probe._core.dimension != self.model._core.dimension:  # lift tests add no parameter
            raise RuntimeError("predict_lift: the model with the tests has another parameter layout")
        return self._lift_table(probe, interval, max_draws)

    def _lift_table(self, m: PanelMMM, interval: float, max_draws: int | None) -> pd.DataFrame:
        """calibration()'s table for the tests of model ``m`` (this model, or it with other
        tests: the same parameters), over this fit's draws."""
        cols = ["test", "label", "channel", "geos", "start", "end", "measured_end", "observed", "standard_error"]
        cols += ["transfer_sd", "predicted", "low", "high", "z"]
        if not m.lift_test_records:
            return pd.DataFrame(columns=cols)
        if not 0.0 < interval < 1.0:
            raise ValueError(f"interval must be in (0, 1), got {interval!r}")
        pred = np.asarray(m._core.predicted_lift_draws(self.draws(max_draws))) * float(m._scales.y_scale)
        lo, hi = (1 - interval) / 2, (1 + interval) / 2
        rows = []
        for k, r in enumerate(m.lift_test_records):
            p = pred[:, k]
            mean = float(p.mean())
            rows.append(
                {
                    **{c: r[c] for c in ("test", "label", "channel", "geos", "start", "end", "measured_end")},
                    "observed": r["lift"],
                    "standard_error": r["standard_error"],
                    "transfer_sd": r["transfer_sd"],
                    "predicted": mean,
                    "low": float(np.quantile(p, lo)),
                    "high": float(np.quantile(p, hi)),
                    "z": (r["lift"] - mean) / math.hypot(r["standard_error"], r["transfer_sd"]),
                }
            )
        return pd.DataFrame(rows, columns=cols)

    def decompose(self, max_draws: int = 200) -> pd.DataFrame:
        """Posterior mean decomposition per geo and period in raw outcome units: columns
        ``geo``, ``date``, ``base``, ``trust_direct``, each conversion channel's own term and
        ``amplification[channel]``, ``fitted`` (their sum) and ``observed``."""
        m = self.model
        f = m._core.forward_mean(self.draws(max_draws))
        scale = float(m._scales.y_scale) * m.population
        parts: dict[str, np.ndarray] = {
            "base": np.asarray(f.base) * scale,
            "trust_direct": np.asarray(f.trust_direct) * scale,
        }
        conv = [m.channel_names[c] for c in m._core.conversion_channels]
        for j, name in enumerate(conv):
            parts[name] = np.asarray(f.conversion_own[j]) * scale
            parts[f"amplification[{name}]"] = np.asarray(f.amplification[j]) * scale
        parts["fitted"] = np.asarray(f.mu) * scale
        parts["observed"] = m.y
        G, T = len(m.geos), len(m.dates)
        out = pd.DataFrame({"geo": np.tile(m.geos, T), "date": np.repeat(m.dates, G)})
        for k, v in parts.items():
            out[k] = v.reshape(-1)
        return out

    def plot_geos(self, columns: int = 4, max_draws: int = 200) -> Any:
        """Small multiples: observed and fitted outcome per geo (one panel each, shared x;
        concise date labels, at most four per axis)."""
        import matplotlib.dates as mdates
        import matplotlib.pyplot as plt

        d = self.decompose(max_draws)
        G = len(self.model.geos)
        cols = min(columns, G)
        rows = math.ceil(G / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.2 * rows), sharex=True, squeeze=False)
        for i, g in enumerate(self.model.geos):
            ax = axes[i // cols][i % cols]
            part = d[d["geo"] == g]
            ax.plot(part["date"], part["observed"], lw=0.8, color="0.4", label="observed")
            ax.plot(part["date"], part["fitted"], lw=1.0, color="C0", label="fitted")
            ax.set_title(g, fontsize=9)
            locator = mdates.AutoDateLocator(minticks=2, maxticks=4)  # type: ignore[no-untyped-call]
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        for j in range(G, rows * cols):
            axes[j // cols][j % cols].set_visible(False)
        axes[0][0].legend(fontsize=7)
        fig.tight_layout()
        return fig

    def plot_roi(self, ax: Any = None, **short_long_args: Any) -> Any:
        """A map-free heat layout of the net ROI (``roi_total``, posterior mean) per geo
        (rows) and channel (columns) with the rolled-up total: :meth:`plot_geo_heat` with
        ``metric="roi_total"``. Needs a value per outcome (on the model or
        ``value_per_outcome=``); without one, plot ``plot_geo_heat("cost_per_incremental")``."""
        return self.plot_geo_heat("roi_total", ax, **short_long_args)

    # -- geo-level results (issue 20; mmm/_panel_results.py, C++ panel_analyses.hpp) ---------
    def short_long(
        self,
        by: str = "geo",
        horizon: int | None = None,
        window: tuple[Any, Any] | None = None,
        value_per_outcome: float | None = None,
        interval: float = 0.9,
        max_draws: int = 200,
        threads: int = 0,
    ) -> pd.DataFrame:
        """Incremental outcome short vs long term, its path split and ROIs, per geo and
        rolled up: the national :meth:`TrustFit.roi <trustmix.mmm.TrustFit.roi>`'s
        definitions, per geo (docs/panel.md, "Geo-level results").

        The channel's activity inside ``window`` (``(start, end)`` dates, inclusive; default
        the data) is set to zero in every geo, everything else kept, and the model is run
        over the data plus ``horizon`` periods of zero activity (default 104 with a trust
        stock, else the adstock lag window). Per geo, in raw outcome units (per-capita value
        x population x the outcome's scale): ``incremental_short`` (periods up to the
        window's end + the lag window L), ``incremental_long`` (afterwards),
        ``incremental_total`` = short + long, the exact path split ``via_trust_direct``
        (gamma dS), ``via_amplification`` (the change of theta S sum_s beta h) and ``own``;
        ``roi_short`` = (short x v - spend) / spend, ``roi_total`` = (total x v - spend) /
        spend, ``marginal_roi`` = (gain x v - 0.01 spend) / (0.01 spend) for the channel's
        activity in the window x 1.01, ``cost_per_incremental`` = spend / total (NaN when
        the total is <= 0), with v = ``value_per_outcome`` (default the model's; none: the
        three ROIs are NaN). ``spend`` is the geo's spend in the window (a national
        channel's apportioned like its activity). ``by="geo"``: a row per (channel, geo)
        and a rolled-up row (geo ``"total"``: sums over geos, ROIs of the sums);
        ``by="channel"``: the rolled-up rows. NUTS: posterior means over up to
        ``max_draws`` draws with ``*_low``/``*_high`` central ``interval`` bounds of the
        incremental effects and ROIs. Computed in C++ (``trustmix::mmm::panel_roi``), draws
        in parallel on ``threads`` threads (0: all), interruptible with Ctrl-C."""
        from trustmix.mmm import _panel_results

        return _panel_results.short_long(self, by, horizon, window, value_per_outcome, interval, max_draws, threads)

    def response_curves(
        self,
        by: str = "geo",
        channels: Sequence[str] | None = None,
        multipliers: Sequence[float] | None = None,
        horizon: int | None = None,
        value_per_outcome: float | None = None,
        interval: float = 0.9,
        max_draws: int = 100,
        threads: int = 0,
    ) -> pd.DataFrame:
        """Incremental outcome as a function of spend, per geo and rolled up.

        For each channel and multiplier k (default 0, 0.1, ..., 2; 1 = the data), the
        channel's activity over the whole data is scaled by k in every geo, everything else
        kept, and the model is run over the data plus ``horizon`` zero-activity periods;
        ``incremental`` is the outcome gained in the geo over the same run with the channel
        at zero (raw units), so k = 1 gives :meth:`short_long`'s ``incremental_total`` with
        the default window. ``spend`` = k x the geo's spend over the data; ``roi`` =
        (incremental x v - spend) / spend (NaN without a value per outcome). Long table:
        ``channel``, ``geo`` (geos and ``"total"``, the sum over geos), ``multiplier``,
        ``spend``, ``incremental`` (with ``incremental_low``/``_high`` for NUTS) and
        ``roi``; ``by="channel"``: the rolled-up rows. Computed in C++
        (``trustmix::mmm::panel_response_curves``)."""
        from trustmix.mmm import _panel_results

        return _panel_results.response_curves(
            self, by, channels, multipliers, horizon, value_per_outcome, interval, max_draws, threads
        )

    def plot_response_curves(
        self, channels: Sequence[str] | None = None, columns: int = 4, total: bool = True, **curve_args: Any
    ) -> Any:
        """Small multiples of :meth:`response_curves`: a panel per geo (and the rolled-up
        total), a line per channel with its interval band, a dot at the historical spend."""
        from trustmix.mmm import _panel_results

        return _panel_results.plot_response_curves(self, channels, columns, total, **curve_args)

    def plot_geo_heat(self, metric: str = "roi_total", ax: Any = None, **short_long_args: Any) -> Any:
        """A map-free heat layout of a :meth:`short_long` column (default ``roi_total``): geos
        (rows, the rolled-up total last) x channels, values annotated."""
        from trustmix.mmm import _panel_results

        return _panel_results.plot_geo_heat(self, metric, ax, **short_long_args)

    def __getstate__(self) -> dict[str, Any]:
        """Versioned state (version 1): the model (its own versioned state), the mode, the
        optimiser's info and the posterior's attributes."""
        post = None if self.posterior is None else dict(self.posterior.__dict__)
        return {"version": self._STATE_VERSION, "model": self.model, "z": self.z, "info": self.info, "posterior": post}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or state.get("version") != 1:
            raise ValueError(
                f"cannot unpickle PanelFit: unsupported state version "
                f"{state.get('version') if isinstance(state, dict) else state!r}"
            )
        self.model, self.z, self.info = state["model"], np.asarray(state["z"]), dict(state["info"])
        from trustmix.inference._api import _sample_result_from_state

        self.posterior = _sample_result_from_state(state["posterior"])

    def __repr__(self) -> str:
        return f"PanelFit(method={self.method!r}, geos={len(self.model.geos)}, parameters={self.z.size})"

    def _repr_html_(self) -> str:
        s = self.summary()
        shown = ["alpha", "lam", "ec", "beta_median", "sigma", "ar1_phi", "gamma", "theta", "delta"]
        top = s[s["parameter"].isin(shown)]
        table = str(top[["parameter", "term", "mean", "low", "high"]].to_html(float_format=lambda v: f"{v:.3g}"))
        return f"<b>PanelFit</b> ({html.escape(self.method)}), {len(self.model.geos)} geos" + table


def read_meridian_panel(
    source: Any, *, date: str = "time", outcome: str = "conversions"
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Meridian's geo CSV layout (``geo``, ``time``, ``<C>_impression``, ``<C>_spend``,
    ``*_control``, ``conversions``, ``revenue_per_conversion``, ``population``) kept at the geo
    level: returns the long frame and the :class:`PanelMMM` arguments of the matched model
    (every impression channel a geo conversion channel, trust off, population scaling,
    value_per_outcome the conversion-weighted mean revenue per conversion), so that
    ``PanelMMM(df, **kwargs)``. Reach-and-frequency channels are not in the panel model yet
    (refused with a clear error)."""
    df = source.copy() if isinstance(source, pd.DataFrame) else pd.read_csv(source)
    for col in ("geo", date, outcome, "population"):
        if col not in df.columns:
            raise ValueError(
                f"read_meridian_panel: column {col!r} is missing (a geo file has geo, {date}, {outcome} and population)"
            )
    if any(str(c).endswith("_reach") for c in df.columns):
        raise ValueError("read_meridian_panel: reach-and-frequency channels are not in the panel model yet")
    media = [str(c)[: -len("_impression")] for c in df.columns if str(c).endswith("_impression")]
    if not media:
        raise ValueError("read_meridian_panel: no '<channel>_impression' columns")
    for ch in media:
        if f"{ch}_spend" not in df.columns:
            raise ValueError(f"read_meridian_panel: channel {ch!r} has no spend column {ch + '_spend'!r}")
    value = None
    if "revenue_per_conversion" in df.columns:
        w = df[outcome].to_numpy(dtype=float)
        value = float(np.average(df["revenue_per_conversion"], weights=w)) if w.sum() > 0 else None
    kwargs: dict[str, Any] = {
        "geo": "geo",
        "date": date,
        "outcome": outcome,
        "population": "population",
        "channels": {f"{c}_impression": "conversion" for c in media},
        "spend": {f"{c}_impression": f"{c}_spend" for c in media},
        "controls": [str(c) for c in df.columns if str(c).endswith("_control")],
        "value_per_outcome": value,
        "trust": False,
    }
    return df, kwargs
