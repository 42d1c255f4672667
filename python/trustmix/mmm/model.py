r"""The trust-linked media-mix model (MODEL.md sections 1-5) from pandas.

Model, per period t (weekly by default)::

    a[c, t] = geometric adstock of x[c] (normalised weights, lag window L)
    h[c, t] = (1 - exp(-lam_c a)) / (1 + exp(-lam_c a))
    G[t]    = delta G[t-1] + (1 - delta) sum_{p in trust} kappa_p h[p, t] - sum_e omega_e d[e, t]
    mu[t]   = base[t] + gamma G[t] + sum_{s in conversion} beta_s (1 + theta G[t]) h[s, t]
    y[t]    ~ Normal(mu[t], .)                         likelihood="normal" (default)
            | LogNormal(ln mu[t] - ., .)               likelihood="lognormal" (E y = mu)
            | NegBinomial(mean mu[t], size phi)        likelihood="negative_binomial" (counts)
    residuals e[t] = y[t] - mu[t] (lognormal: ln y - ln mu + sigma^2 / (2 (1 - phi^2)))
            follow e[t] = phi e[t-1] + eps[t], eps ~ Normal(0, sigma), e[0] stationary:
            AR(1), the default for normal and lognormal (noise="iid": phi = 0, independent)
    tracker q[t] ~ Normal(a_q + b_q G[t], sigma_q)

With ``link="log"`` the same right-hand side is the linear predictor eta[t] and
mu[t] = exp(eta[t]): every part multiplies the others (docs/mmm.md, "The log link").

base[t] = intercept + trend + Fourier seasonality + controls + known events. Media are divided by their
mean non-zero value, the outcome by its mean, the tracker standardised; results are
reported back in the outcome's units. kappa lies on the simplex (sum 1), so the trust
stock G is an index in units of saturated PR activity; its absolute effect is in gamma
(direct), theta (amplification) and the tracker loading b_q. Without a tracker, gamma
and theta trade off against the baseline and the priors matter.

Inference: MAP by L-BFGS on the exact gradient (``fit(method="map")``), or the full
posterior by NUTS (``fit(method="nuts")``, trustmix.inference) on the same C++ log
density, with credible intervals for every reported quantity.
"""

from __future__ import annotations

import copy
import html
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from trustmix._core import mmm as _mmm
from trustmix.core import Channel
from trustmix.mmm import _calibration

_ROLES = ("trust", "conversion", "both")
_LIKELIHOODS = ("normal", "lognormal", "negative_binomial")
_BUSINESS_PRIORS = ("roi", "trust_half_life", "market_growth")


def _two_numbers(
    v: Any, what: str, shape: str, parts: tuple[str, str] = ("low", "high"), prefix: str = ""
) -> tuple[float, float]:
    """The two numbers of a prior setting ``v`` (a pair such as a 90% range (low, high) or a
    (mean, sd)), checked: exactly two entries, not a string, each a number. Errors name
    ``what`` (e.g. "prior 'roi' of channel 'tv'"), the expected ``shape`` and the part."""
    if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) != 2:
        raise ValueError(f"{prefix}{what} must be {shape}, got {v!r}")
    out: list[float] = []
    for x, part in zip(v, parts, strict=True):
        try:
            out.append(float(x))
        except (TypeError, ValueError):
            raise ValueError(f"{prefix}{what} {part} must be a number, got {x!r}") from None
    return out[0], out[1]


def _growth_and_roi_priors(
    priors: Mapping[str, Any], channels: Sequence[str] | None = None, prefix: str = ""
) -> tuple[tuple[float, float] | None, list[tuple[str, float, float]]]:
    """The business-term ranges of ``priors``, checked: ``"market_growth": (low, high)``
    (growth per year as a fraction of the outcome's mean) and ``"roi": {channel: (low,
    high)}`` ((value - spend) / spend); returns (growth or None, [(channel, low, high)]).
    ``channels`` given: a ROI prior must name one of them. Shared by TrustMMM and PanelMMM
    (the C++ build turns each range into its Normal / LogNormal)."""
    growth = None
    if "market_growth" in priors:
        growth = _two_numbers(
            priors["market_growth"], "prior 'market_growth'", "(low, high) growth per year", prefix=prefix
        )
    roi: list[tuple[str, float, float]] = []
    if "roi" in priors:
        if not isinstance(priors["roi"], Mapping):
            raise ValueError(f"{prefix}prior 'roi' must be a mapping channel -> (low, high)")
        for c, rng in priors["roi"].items():
            if channels is not None and c not in channels:
                raise ValueError(f"{prefix}prior 'roi' names {c!r}, which is not a channel ({', '.join(channels)})")
            low, high = _two_numbers(rng, f"prior 'roi' of channel {c!r}", "(low, high)", prefix=prefix)
            roi.append((str(c), low, high))
    return growth, roi


#: The attributes of ``_core.mmm.TrustModelParameters`` that :attr:`TrustFit.params` gives, in order.
_PARAMETER_FIELDS = (
    "alpha",
    "lam",
    "kappa",
    "omega",
    "beta",
    "b",
    "delta",
    "g0",
    "gamma",
    "theta",
    "sigma",
    "tracker_a",
    "tracker_b",
    "tracker_sigma",
    "trust_base",
    "trust_inflow",
    "slope",
    "ar1_phi",
)
#: The attributes of ``_core.mmm.MapReport`` that a fit keeps as its ``info`` dict, in order.
_MAP_INFO_FIELDS = (
    "z",
    "log_density",
    "gradient_norm",
    "iterations",
    "evaluations",
    "restarts",
    "converged",
    "message",
)


def _fields(result: Any, names: Sequence[str]) -> dict[str, Any]:
    """The attributes ``names`` of a bound result object as a dict (name: value), in order."""
    return {k: getattr(result, k) for k in names}


def _map_info(report: _mmm.MapReport) -> dict[str, Any]:
    """``TrustModel.fit_map``'s report as the dict a fit keeps (``TrustFit.info``): z (the
    unconstrained mode), log_density, gradient_norm (largest absolute gradient component),
    iterations, evaluations, restarts, converged and message."""
    return _fields(report, _MAP_INFO_FIELDS)


_log = logging.getLogger("trustmix.mmm")


def _tracker_values(data: pd.DataFrame, tracker: str | None) -> np.ndarray:
    """The tracker column as the core's default-form rule reads it: empty without a tracker;
    the numeric values; all NaN when the column is missing, duplicated or holds text (the
    column checks name those; not for the rule to judge)."""
    if not tracker:
        return np.empty(0)
    if tracker not in data.columns or data.columns.tolist().count(tracker) != 1:
        return np.full(len(data), np.nan)
    col = pd.to_numeric(data[tracker], errors="coerce")
    if col.isna().sum() != data[tracker].isna().sum():
        return np.full(len(data), np.nan)
    return col.to_numpy(dtype=float)


class TrustMMM:
    """A trust-linked media-mix model built from a DataFrame.

    The DataFrame is checked here (dates, columns, rows) and turned into the C++ spec
    ``trustmix::mmm::TrustModelSpec``; scaling, the baseline design and the business-term
    priors are computed by ``trustmix::mmm::build``, so a C++ user builds the same model.
    Safe to fit from several threads at once; pickles with a versioned state.

    Parameters
    ----------
    data : DataFrame
        One row per period, consecutive dates with no gaps.
    date : str
        Date column (weekly or daily).
    outcome : str
        Outcome column (conversions, inquiries or revenue), finite.
    channels : sequence of Channel, or mapping column -> role
        Media columns and their roles: ``"trust"`` (PR, feeds the trust stock),
        ``"conversion"`` (SMM, short-term) or ``"both"``. Values are activity (spend,
        impressions, mentions), >= 0.
    tracker : str, optional
        Trust tracker column (survey, net sentiment, NPS); NaN where not measured; at
        least 2 measured periods.
    events : sequence of str
        Known event columns of the baseline (holidays, launches, a price change): their
        values enter unscaled (typically 0/1), one coefficient each, in outcome units per
        unit of the column. Crises that damage trust go in ``shocks`` instead.
    controls : sequence of str
        Other regressors (price, distribution, weather), standardised.
    shocks : sequence of str
        Crisis indicator columns (>= 0) that lower the trust stock by omega each.
    spend : mapping channel -> column, optional
        Spend columns for ROI when channel columns are not spend (default: the channel
        column itself).
    seasonality : int
        Fourier order (0 for none), period one year.
    trend : bool
        Linear trend in the baseline.
    max_lag : int
        Adstock lag window L of every channel.
    trust : bool
        False gives a standard MMM (no trust stock): every channel is then a conversion
        channel.
    priors : mapping, optional
        Overrides of the defaults (MODEL.md section 5), e.g. ``{"half_life_median": 16}``
        (the fields of ``TrustModelPriors``: ``alpha_a``, ``alpha_b``, ``lam_shape``,
        ``lam_rate``, ``half_life_median``, ``half_life_sd_log``, ``g0_mean``, ``g0_sd``,
        ``omega_sd``, ``gamma_sd``, ``theta_sd``, ``beta_sd``, ``baseline_sd``,
        ``sigma_sd``, ``phi_sd``, ``tracker_*_sd``), and priors in business terms:

        - ``"trust_half_life": (low, high)``: the trust stock's half-life lies in
          [low, high] periods with 90% prior probability (a LogNormal);
        - ``"market_growth": (low, high)``: the outcome's own growth per year that
          marketing does not explain (the baseline's trend), as a fraction of its mean,
          lies in [low, high] with 90% prior probability (a Normal on the trend
          coefficient; with ``link="log"`` on ln(1 + growth) per year). ``(-0.02, 0.02)``
          says "the market is flat within 2% a year". Without it the trend has the wide
          ``baseline_sd`` prior, and a trust stock that PR builds over years, which rises
          slowly like a trend, can share its rise with the trend (docs/mmm.md; measured
          effects in docs/validation.md, "A flat-market prior"). Needs ``trend=True``;
        - ``"roi": {channel: (low, high)}``: a conversion channel's ROI, (value - spend) /
          spend as in :meth:`TrustFit.roi`, lies in [low, high] with 90% prior
          probability. The ROI is then the channel's free parameter (LogNormal on
          1 + ROI) and its beta is derived: 1 + ROI = value_per_outcome x (the channel's
          own-term contribution beta sum_t h over the data) / spend over the data. The
          amplification a conversion channel shares with PR is credited to PR and is not
          part of this ROI. ``low > -1``.
    likelihood : {"normal", "lognormal", "negative_binomial"}
        Observation model. ``"lognormal"``: y > 0 with mean mu (multiplicative noise;
        sigma is on the log scale). ``"negative_binomial"``: counts (inquiries, sign-ups),
        integers >= 0, mean mu and size phi (variance mu + mu^2 / phi).
    noise : {"ar1", "iid"} or None
        Time structure of the residuals. None (default): ``"ar1"`` for the normal and
        lognormal likelihoods, ``"iid"`` for the negative binomial (on the 40 validation
        worlds AR(1) residuals raised the 90% coverage of channel totals from 0.620 to 0.719
        with no error worse; docs/validation.md). ``"iid"``: independent. ``"ar1"``: the
        residuals e[t] = y[t] - mu[t] (normal; lognormal: ln y[t] - ln mu[t] + sigma^2 /
        (2 (1 - phi^2)), so that E y = mu) follow e[t] = phi e[t-1] + eps[t] with eps ~
        Normal(0, sigma) and e[0] from the stationary Normal(0, sigma^2 / (1 - phi^2)): the
        exact AR(1) likelihood. phi in (-1, 1) is free (atanh phi ~ Normal(0, 0.5); prior
        setting ``ar1_sd``). It is the default because a fit's residuals are correlated in time (a misfit
        that lasts several periods): the iid likelihood then counts every period as new
        information and its intervals are too narrow. Not with the negative binomial.
    value_per_outcome : float, optional
        Value of one unit of outcome (e.g. revenue per conversion; 1.0 when the outcome is
        revenue), used by ROI priors and as the default of :meth:`TrustFit.roi`. Without
        it (default) ROIs are NaN and :meth:`TrustFit.roi` reports the cost per
        incremental outcome; ROI priors then raise.
    scaling : {"mean", "max"}
        How media and outcome are made unit-free before the priors apply. ``"mean"``
        (default): each channel divided by its mean non-zero activity, the outcome by its
        mean absolute value. ``"max"``: each channel and the outcome divided by their
        maximum absolute value, PyMC-Marketing's convention (use it, with its priors, to
        reproduce a PyMC-Marketing model).
    link : {"identity", "log"}
        Link of the outcome's mean. ``"identity"`` (default): mu = eta, the parts add.
        ``"log"``: mu = exp(eta) with the same linear predictor eta = baseline + gamma G +
        sum_s beta_s h_s (1 + theta G) on the log scale of the scaled outcome, so
        seasonality and trust scale every channel's effect (as a logistic conversion with
        small base rates does). The priors keep their numbers, now on the log scale: the
        outcome is scaled to mean 1, so the intercept starts near ln 1 = 0 with
        Normal(0, 2), and a HalfNormal(1) beta or gamma puts a channel's or trust's
        multiplicative lift exp(beta h) mostly below e (the identity link's HalfNormal(1)
        likewise bounds a contribution by about the mean outcome). Works with every
        likelihood, both trust forms, trackers and RF channels; ROI priors and lift tests
        are refused (their terms are linear in a channel's outcome), and so is the
        planner. :meth:`TrustFit.roi`, response curves and counterfactual totals stay
        exact (differences of forward passes); :meth:`TrustFit.decompose` and the path
        split of ``roi`` are then an allocation (docs/mmm.md).
    tracker_n : str, optional
        Panel-size column of a tracker that is a survey share (values in [0, 1], e.g. the
        share of a panel that trusts the brand): each measured period then has its known
        binomial sampling error sqrt(p (1 - p) / n_t) (p the measured share clamped to
        [0.5 / n_t, 1 - 0.5 / n_t]) and the tracker's likelihood is
        Normal(a_q + b_q G[t], sqrt(se[t]^2 + sigma_q^2)): sigma_q is only the error beyond
        sampling. Without it (default) the noise is one free sigma_q. Giving it also
        makes the default ``trust_form`` the bounded share (below), whatever the tracker's
        values.
    trust_form : {"linear", "bounded"}, optional
        The trust stock's recursion (MODEL.md section 2, docs/mmm.md). Default (None): the
        form follows the tracker. A ``tracker`` that reads as a survey share (at least two
        measured values, every one in [0, 1]; the core's ``default_trust_form``), or
        one given with its panel sizes ``tracker_n``, gives ``"bounded"`` with
        ``tracker_share=True``; an index tracker (standardised, a 0-100 score), or none,
        gives ``"linear"``. On the 40 validation worlds (whose survey is a share, given
        without panel sizes) the bounded share measured by the survey covered 0.771 of
        channel totals (linear: 0.719), PR bias -0.056 (-0.160), the trust half-life 0.72
        (0.26), PR's long-term part within a median 23% (29%), with 38 of 40 fits free of
        divergences; on 40 fresh worlds 0.753 against 0.691, the half-life 0.64 against
        0.36; the panel sizes add nothing measurable; its fits take about 1.5x the linear
        form's time (docs/validation.md, "The default form follows the tracker"). The
        bounded form has its own parameters (``trust_base``, ``trust_inflow``; the linear
        form's ``g0_mean`` / ``g0_sd`` priors do not apply), and the planner's concavity
        certificate (linear form without amplification) does not apply to it. Pass
        ``trust_form="linear"`` (or ``tracker_share=False``) for the linear index with a
        share tracker.
        ``"linear"``:
        G[t] = delta G[t-1] + (1 - delta) u[t] - sum_e omega_e d[e, t], an index in units
        of saturated PR activity, linear in its inputs (the per-channel split is exact).
        ``"bounded"``: G is a share of people in [0, 1] that decays towards a baseline
        share b, m = b + delta (G[t-1] - b), gains the fraction 1 - exp(-rho u[t]) of the
        not-yet-trusting share, G = m + (1 - m)(1 - exp(-rho u[t])), and loses the
        fraction 1 - exp(-sum_e omega_e d[e, t]) to crises; PR's inflow then shrinks as
        trust rises and the stock forgets faster while it is fed, as the people-level
        simulator's trusting share does. Two more parameters: ``trust_base`` (b) and
        ``trust_inflow`` (rho); the per-channel split of the stock is the Shapley value
        over the trust channels. u[t] = sum_p kappa_p h[p, t] in both.
    tracker_share : bool, optional
        ``trust_form="bounded"`` only: the tracker is the survey share of trusting people
        itself (values in [0, 1]), fitted unscaled as
        tracker[t] ~ Normal(G[t] + a_q, sqrt(se[t]^2 + sigma_q^2)) with b_q = 1 fixed,
        a_q a small house bias (prior Normal(0, 0.03), priors key ``tracker_bias_sd``),
        se[t] the sampling error from ``tracker_n`` (0 without it) and sigma_q the error
        beyond sampling (HalfNormal(0.05), ``tracker_share_sigma_sd``), so the survey
        anchors the share's level. Default (None): True when ``trust_form`` is left to its
        default and resolves to ``"bounded"``, else False (the tracker is an index
        a_q + b_q G). ``tracker_share=True`` with no ``trust_form`` gives the bounded form;
        ``tracker_share=False`` with no ``trust_form`` keeps the linear form (the bounded
        form with an index tracker diverged in 17 of 40 validation fits).
    rf_channels : mapping channel -> (reach column, frequency column), optional
        Reach-and-frequency channels (docs/mmm.md, "Reach and frequency"): a channel
        given as reach r[t] (people reached at least once in the period) and average
        frequency f[t] among the reached instead of one activity column. Its effect is
        beta Adstock_t(r g(f)) (the response inside the adstock, no logistic saturation)
        with g of ``rf_form``. An RF channel converts only: its role (in ``channels``,
        where it may be omitted) must be ``"conversion"``; a trust role is refused (the
        trust stock's inflow is saturated activity per period, and reach that accumulates
        people over periods is not that). Give its spend column in ``spend`` for ROIs.
    rf_form : {"hill", "exposure"}
        ``"hill"`` (default): g(f) = f^s / (f^s + ec^s), Meridian's RF form (adstock of
        reach x Hill of frequency), ec and slope s free with Meridian's default priors
        LogNormal(0.7, 0.4) (``rf_ec_log_mean``, ``rf_ec_sd_log``, ``rf_slope_*``).
        ``"exposure"``: g(f) = E[1 - exp(-lam K) | K >= 1], K the exposures of a reached
        person, a zero-truncated negative binomial with shape ``rf_shape`` and mean f
        (audience reach curves' frequency distribution); each exposure converts a share
        1 - exp(-lam) of what is left, so the response is concave in exposures and the
        best frequency moves with budget. lam ~ Gamma(``rf_rate_shape``,
        ``rf_rate_rate``) = Gamma(2, 2). The frequency must be >= 1 where reach > 0.
    rf_shape : float
        Exposure form: the negative binomial shape k of the exposures (1: the gamma-Poisson
        of the Goerg one-point reach curve; large: Poisson; a fitted
        :class:`trustmix.audience.ReachCurve`'s ``shape`` for nbd).
    lift_tests : list of LiftTest / dicts, or a DataFrame, optional
        Lift tests (geo experiments, holdouts) that calibrate the model
        (``trustmix::mmm`` calibration.hpp; docs/mmm.md, "Calibration by lift tests"): the
        ``LiftTest`` objects of :mod:`trustmix.evaluate` (``result.as_lift_test(...)``) or
        dicts / rows with ``channel``, ``start`` and ``end`` (first and last test period,
        inclusive: dates of the data, the period holding them, or period indices),
        ``lift`` and ``standard_error`` (outcome units, the total over the measured
        periods ``start`` .. ``end + cooldown``, or arrays with one value per measured
        period), or ``iroas``, ``iroas_standard_error`` and ``spend`` (the test's spend)
        instead; optional ``cooldown`` (periods, default 0), ``share`` (the fraction of
        the channel's activity in the window that the test added: without the test the
        activity would have been ``(1 - share) x``; default 1), ``transfer_sd`` (outcome
        units) or ``transfer_fraction`` (of ``|lift|``, default 0.1): the transfer standard
        deviation tau, and ``label``. Each measured lift enters the posterior as
        ``lift ~ Normal(pred, sqrt(se^2 + tau^2))`` with ``pred`` the model's own lift:
        the sum over the measured periods of mu(actual activity) - mu(counterfactual
        activity), through adstock, saturation at the actual activity and the trust stock.
        :meth:`TrustFit.calibration` compares them after the fit. The lift must have been
        measured over the window and the cooldown: a ``LiftTest`` carries its measured
        periods (``as_lift_test(..., cooldown=k, cooldown_measured=True)`` for a synthetic
        control run through the cooldown); a dict may give ``measured_end`` (the last
        measured period) instead of ``cooldown`` (docs/mmm.md).
    """

    _noted_no_value: bool  # set on the model once the missing value_per_outcome note was logged

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        date: str,
        outcome: str,
        channels: Sequence[Channel] | Mapping[str, str],
        tracker: str | None = None,
        controls: Sequence[str] = (),
        events: Sequence[str] = (),
        shocks: Sequence[str] = (),
        spend: Mapping[str, str] | None = None,
        seasonality: int = 2,
        trend: bool = True,
        max_lag: int = 12,
        trust: bool = True,
        priors: Mapping[str, Any] | None = None,
        scaling: str = "mean",
        likelihood: str = "normal",
        noise: str | None = None,
        value_per_outcome: float | None = None,
        trust_form: str | None = None,
        link: str = "identity",
        tracker_n: str | None = None,
        tracker_share: bool | None = None,
        rf_channels: Mapping[str, tuple[str, str]] | None = None,
        rf_form: str = "hill",
        rf_shape: float = 1.0,
        lift_tests: Any = None,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        roles = self._roles(channels) if (channels or not rf_channels) else {}
        if not trust:  # a standard MMM: every channel converts (before the RF role check)
            roles = {c: "conversion" for c in roles}
        rf = self._rf_channels(rf_channels, roles, rf_form, rf_shape)
        # The default form (docs/mmm.md, "The default form follows the tracker"): the core's
        # rule (trustmix::mmm::default_trust_form). Resolved here, so that a pickle stores
        # the form it was fitted with.
        if tracker_share is not None and not isinstance(tracker_share, (bool, np.bool_)):
            raise ValueError(f"tracker_share must be True or False (or None: the default), got {tracker_share!r}")
        if trust_form is None:
            trust_form, tracker_share = _mmm.default_trust_form(
                _tracker_values(data, tracker),
                tracker_n is not None,
                bool(trust),
                None if tracker_share is None else bool(tracker_share),
            )
        if tracker_share is None:
            tracker_share = False
        # Copies: a pickled model must rebuild this model, not one from data or priors the
        # caller changed in place afterwards.
        self._args_data = data.copy(deep=True)
        self._args = dict(
            date=date,
            outcome=outcome,
            channels=dict(roles),
            tracker=tracker,
            controls=list(controls),
            events=list(events),
            shocks=list(shocks),
            spend=dict(spend) if spend else None,
            seasonality=seasonality,
            trend=trend,
            max_lag=max_lag,
            trust=trust,
            priors=copy.deepcopy(dict(priors)) if priors else None,
            scaling=scaling,
            likelihood=likelihood,
            value_per_outcome=value_per_outcome,
            trust_form=trust_form,
        )
        if tracker_n is not None:  # only when given: older pickles' kwargs stay as they were
            self._args["tracker_n"] = tracker_n
        if tracker_share:  # likewise
            self._args["tracker_share"] = True
        if link != "identity":  # likewise
            self._args["link"] = link
        if noise is None:  # the default: AR(1) residuals where the likelihood has residuals
            noise = "iid" if likelihood == "negative_binomial" else "ar1"
        if noise != "iid":  # likewise
            self._args["noise"] = noise
        if rf:
            self._args.update(rf_channels={c: tuple(v) for c, v in rf.items()}, rf_form=rf_form, rf_shape=rf_shape)
        if not trust:
            roles = {c: "conversion" for c in roles}
        self.channels = list(roles)
        self.roles = roles
        self.rf_channels = dict(rf)
        self.rf_form = rf_form
        self.rf_shape = float(rf_shape)
        # The data column of each channel's activity: its own name, or an RF channel's reach.
        self._media_columns = {c: rf[c][0] if c in rf else c for c in self.channels}
        needed = (
            [date, outcome, *self._media_columns.values(), *controls, *events, *shocks]
            + ([tracker] if tracker else [])
            + [v[1] for v in rf.values()]
        )
        if tracker_n is not None:
            if not tracker:
                raise ValueError("tracker_n needs a tracker (the survey share whose panel sizes it gives)")
            needed.append(tracker_n)
        spend = dict(spend or {})
        for c in rf:
            if c not in spend:
                raise ValueError(
                    f"reach-and-frequency channel {c!r} needs its spend column in spend= (ROIs are per "
                    "currency spent; reach is not spend)"
                )
        needed += [spend[c] for c in spend]
        for col in needed:
            if col not in data.columns:
                raise ValueError(f"column {col!r} is not in the data (columns: {', '.join(map(str, data.columns))})")
            if (n_col := int((data.columns == col).sum())) > 1:
                raise ValueError(f"column {col!r} appears {n_col} times in the data; each column must appear once")
        for c in spend:
            if c not in roles:
                raise ValueError(f"spend names channel {c!r}, which is not a model channel")
        df = data.sort_values(date).reset_index(drop=True)
        dates = pd.to_datetime(df[date], errors="coerce")
        if dates.isna().any():
            raise ValueError(f"column {date!r}: row {int(dates.isna().to_numpy().argmax())} is not a date")
        if dates.duplicated().any():
            raise ValueError(f"column {date!r}: date {dates[dates.duplicated()].iloc[0].date()} appears twice")
        step = dates.diff().dropna()
        if len(step) and (step != step.iloc[0]).any():
            bad = int((step != step.iloc[0]).to_numpy().argmax()) + 1
            raise ValueError(
                f"column {date!r}: dates are not evenly spaced; a gap or irregular step before "
                f"{dates.iloc[bad].date()} (expected every {step.iloc[0].days} days)"
            )
        self.period_days = int(step.iloc[0].days) if len(step) else 7
        for col in (
            [outcome, *self._media_columns.values(), *controls, *events, *shocks, *spend.values()]
            + ([tracker] if tracker else [])
            + ([tracker_n] if tracker_n is not None else [])
            + [v[1] for v in rf.values()]
        ):
            if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
                raise ValueError(f"column {col!r} must be numeric, got dtype {df[col].dtype}")
        y = df[outcome].to_numpy(dtype=float)
        min_periods = max(10, 2 * (seasonality * 2 + 2))
        if len(y) < min_periods:
            raise ValueError(f"the data has {len(y)} periods; the model needs at least {min_periods}")
        if not np.isfinite(y).all():
            i = int((~np.isfinite(y)).argmax())
            raise ValueError(
                f"column {outcome!r}: row {i} (date {dates.iloc[i].date()}) is {y[i]}; "
                "the outcome must be finite (drop or impute the row explicitly)"
            )
        if likelihood not in _LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {', '.join(_LIKELIHOODS)}, got {likelihood!r}")
        if likelihood == "lognormal" and (y <= 0).any():
            i = int((y <= 0).argmax())
            raise ValueError(
                f"column {outcome!r}: row {i} (date {dates.iloc[i].date()}) is {y[i]}; "
                "the lognormal likelihood needs an outcome > 0"
            )
        if likelihood == "negative_binomial" and ((y < 0) | (y != np.floor(y))).any():
            i = int(((y < 0) | (y != np.floor(y))).argmax())
            raise ValueError(
                f"column {outcome!r}: row {i} (date {dates.iloc[i].date()}) is {y[i]}; "
                "the negative binomial likelihood needs counts (integers >= 0)"
            )
        if value_per_outcome is not None and not (np.isfinite(value_per_outcome) and value_per_outcome > 0):
            raise ValueError(
                f"value_per_outcome must be a finite number > 0 (value of one unit of outcome) or None, "
                f"got {value_per_outcome}"
            )
        if trust_form not in ("linear", "bounded"):
            raise ValueError(f"trust_form must be 'linear' or 'bounded', got {trust_form!r}")
        self.trust_form = trust_form
        if not isinstance(tracker_share, (bool, np.bool_)):
            raise ValueError(f"tracker_share must be True or False, got {tracker_share!r}")
        if tracker_share and (trust_form != "bounded" or not tracker or not trust):
            raise ValueError(
                "tracker_share=True needs a tracker, trust=True and trust_form='bounded' "
                "(the tracker then measures the bounded share itself)"
            )
        self.tracker_share = bool(tracker_share)
        if link not in ("identity", "log"):
            raise ValueError(f"link must be 'identity' or 'log', got {link!r}")
        if link == "log" and "roi" in (priors or {}):
            raise ValueError(
                "prior 'roi' is not supported with link='log': beta sum_t h is then a log-scale lift, "
                "not the channel's outcome, so it cannot be tied to a ROI; use link='identity' or a "
                "beta prior (beta_sd)"
            )
        self.link = link
        self.likelihood = likelihood
        if noise not in ("iid", "ar1"):
            raise ValueError(f"noise must be 'iid' or 'ar1', got {noise!r}")
        if noise == "ar1" and likelihood == "negative_binomial":
            raise ValueError(
                "noise='ar1' (AR(1) residuals) works with likelihood 'normal' or 'lognormal', not "
                "'negative_binomial': counts have no additive residual to correlate (use "
                "likelihood='lognormal' for AR(1) noise on a count outcome, or noise='iid')"
            )
        self.noise = noise
        self.value_per_outcome = None if value_per_outcome is None else float(value_per_outcome)
        media = df[[self._media_columns[c] for c in self.channels]].to_numpy(dtype=float)
        bad = ~np.isfinite(media) | (media < 0)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(
                f"column {self._media_columns[self.channels[j]]!r}: row {i} (date {dates.iloc[i].date()}) "
                f"is {media[i, j]}; media must be finite and >= 0"
            )
        frequency = np.zeros((len(df), 0))
        if rf:
            frequency = np.zeros((len(df), len(self.channels)))
            for j, c in enumerate(self.channels):
                if c not in rf:
                    continue
                col = rf[c][1]
                f = df[col].to_numpy(dtype=float)
                bad_f = ~np.isfinite(f) | (f < 0)
                if rf_form == "exposure":
                    bad_f |= (media[:, j] > 0) & (f < 1.0 - 1e-9)
                if bad_f.any():
                    i = int(bad_f.argmax())
                    raise ValueError(
                        f"frequency column {col!r} (channel {c!r}): row {i} (date {dates.iloc[i].date()}) "
                        f"is {f[i]}; expected a finite number >= 0"
                        + (
                            ", and >= 1 where the reach is > 0 (the average frequency among the reached)"
                            if rf_form == "exposure"
                            else ""
                        )
                    )
                frequency[:, j] = f
        for j, c in enumerate(self.channels):
            if not (media[:, j] > 0).any():
                raise ValueError(f"channel {c!r} is all zeros: there is nothing to estimate; drop it from channels")
        if len(y) < max(10, 2 * (seasonality * 2 + 2)):
            need = max(10, 2 * (seasonality * 2 + 2))
            raise ValueError(f"the data has {len(y)} periods; the model needs at least {need}")
        self.data = df
        self.dates = pd.DatetimeIndex(dates, name=date)
        self.outcome = outcome
        self.tracker = tracker
        self.controls = list(controls)
        self.events = list(events)
        self.shock_names = list(shocks)
        self.spend_columns = {c: spend.get(c, c) for c in self.channels}
        self.trust_enabled = bool(trust)
        self.max_lag = int(max_lag)
        self.seasonality = int(seasonality)
        self.trend = bool(trend)
        self.priors = dict(priors or {})

        if scaling not in ("mean", "max"):
            raise ValueError(f"scaling must be 'mean' or 'max', got {scaling!r}")
        self.scaling = scaling
        T = len(y)
        for c in self.controls:
            v = df[c].to_numpy(dtype=float)
            if not np.isfinite(v).all():
                raise ValueError(f"control {c!r}: row {int((~np.isfinite(v)).argmax())} is not finite")
        for e in self.events:
            v = df[e].to_numpy(dtype=float)
            if not np.isfinite(v).all():
                i = int((~np.isfinite(v)).argmax())
                raise ValueError(f"event {e!r}: row {i} (date {dates.iloc[i].date()}) is {v[i]}; events must be finite")
            if not v.any():
                raise ValueError(f"event {e!r} is zero in every period: there is nothing to estimate")
        shocks_raw = df[self.shock_names].to_numpy(dtype=float) if self.shock_names else np.zeros((T, 0))
        if shocks_raw.size and ((shocks_raw < 0) | ~np.isfinite(shocks_raw)).any():
            raise ValueError("shock columns must be finite and >= 0")
        for c, col in self.spend_columns.items():
            v = df[col].to_numpy(dtype=float)
            bad = ~np.isfinite(v) | (v < 0)
            if bad.any():
                i = int(bad.argmax())
                raise ValueError(
                    f"spend column {col!r} (channel {c!r}): row {i} (date {dates.iloc[i].date()}) "
                    f"is {v[i]}; spend must be finite and >= 0"
                )
        tracker_raw = np.zeros(0)
        if tracker:
            tracker_raw = df[tracker].to_numpy(dtype=float)
            if np.isinf(tracker_raw).any():
                i = int(np.isinf(tracker_raw).argmax())
                raise ValueError(
                    f"tracker {tracker!r}: row {i} (date {dates.iloc[i].date()}) is {tracker_raw[i]}; "
                    "use NaN for a period without a measurement"
                )
            seen = np.isfinite(tracker_raw)
            if seen.sum() < 2:
                raise ValueError(f"tracker {tracker!r} has {int(seen.sum())} measured periods; it needs at least 2")
        trust_flags = [roles[c] in ("trust", "both") for c in self.channels]
        if self.trust_enabled and not any(trust_flags):
            raise ValueError("the trust stock needs at least one channel with role 'trust' or 'both' (or trust=False)")
        # The model itself (scaling, baseline design, business-term priors) is built in C++
        # (trustmix::mmm::build), so that a C++ user builds exactly this model.
        core_priors = {k: v for k, v in self.priors.items() if k not in _BUSINESS_PRIORS}
        for k, v in core_priors.items():
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise ValueError(f"priors[{k!r}] must be a number, got {v!r}")
        half_life = None
        if "trust_half_life" in self.priors:
            lo, hi = self.priors["trust_half_life"]
            half_life = (float(lo), float(hi))
        growth, roi = _growth_and_roi_priors(self.priors)
        spend_raw = np.column_stack([df[self.spend_columns[c]].to_numpy(dtype=float) for c in self.channels])
        self.lift_test_records: list[dict[str, Any]] = []
        core_lift: list[dict[str, Any]] = []
        if lift_tests is not None:
            self.lift_test_records, core_lift = _calibration.normalize(
                lift_tests, pd.DatetimeIndex(dates), self.period_days, self.channels
            )
        if self.lift_test_records:  # only when given: older pickles' kwargs stay as they were
            self._args["lift_tests"] = [r["input"] for r in self.lift_test_records]
        self._core, built = _mmm.build(
            self.channels,
            [roles[c] for c in self.channels],
            media,
            spend_raw,
            y,
            float(self.period_days),
            tracker_raw,
            df[self.controls].to_numpy(dtype=float) if self.controls else np.zeros((T, 0)),
            self.controls,
            df[self.events].to_numpy(dtype=float) if self.events else np.zeros((T, 0)),
            self.events,
            shocks_raw,
            self.shock_names,
            seasonality=self.seasonality,
            trend=self.trend,
            max_lag=self.max_lag,
            trust_enabled=self.trust_enabled,
            scaling=scaling,
            likelihood=likelihood,
            value_per_outcome=float("nan") if self.value_per_outcome is None else self.value_per_outcome,
            priors=core_priors,
            trust_half_life=half_life,
            market_growth=growth,
            roi=roi,
            trust_form=trust_form,
            tracker_n=df[tracker_n].to_numpy(dtype=float) if tracker_n is not None else np.zeros(0),
            tracker_share=bool(tracker_share),
            link=link,
            rf=[rf_form if c in rf else "" for c in self.channels] if rf else [],
            frequency=frequency,
            rf_shape=float(rf_shape),
            lift_tests=core_lift,
            noise=noise,
        )
        self.tracker_n = tracker_n
        self.media_scale = np.asarray(built.media_scale)
        self.y_scale = float(built.y_scale)
        self._media = np.asarray(built.media)
        self._y = y / self.y_scale
        self.baseline_names = list(built.baseline_names)
        self._baseline = np.asarray(built.baseline)
        self._shocks = shocks_raw
        self._control_stats = {
            c: (float(built.control_mean[j]), float(built.control_sd[j])) for j, c in enumerate(self.controls)
        }
        if tracker:
            self._tracker_stats = (float(built.tracker_mean), float(built.tracker_sd))
            self._tracker = np.asarray(built.tracker)
        else:
            self._tracker = np.zeros(0)
        self.trust_channels = list(built.trust_channels)
        self.conversion_channels = list(built.conversion_channels)

    @property
    def lift_tests(self) -> pd.DataFrame:
        """The calibrating lift tests, one row each: test, label, channel, start and end
        (first and last period of the window), cooldown, share, lift and standard_error
        (outcome units; arrays for a per-period lift), transfer_sd (NaN: transfer_fraction
        x ``|lift|``), transfer_fraction, dof (degrees of freedom of a Student-t term; inf:
        the Normal, the default). Empty without lift tests."""
        cols = [
            "test",
            "label",
            "channel",
            "start",
            "end",
            "cooldown",
            "share",
            "lift",
            "standard_error",
            "transfer_sd",
            "transfer_fraction",
            "dof",
        ]
        return pd.DataFrame([{k: r[k] for k in cols} for r in self.lift_test_records], columns=cols)

    def _core_priors(self) -> dict[str, Any]:
        """The priors of the C++ model (business-term priors turned into its fields)."""
        return dict(self._core.priors)

    @staticmethod
    def _rf_channels(
        rf_channels: Mapping[str, tuple[str, str]] | None, roles: dict[str, str], rf_form: str, rf_shape: float
    ) -> dict[str, tuple[str, str]]:
        """Checks ``rf_channels`` and adds each RF channel to ``roles`` (role conversion)."""
        if not rf_channels:
            if not roles:
                raise ValueError("the model needs at least one channel")
            return {}
        if not isinstance(rf_channels, Mapping):
            raise ValueError("rf_channels must be a mapping channel -> (reach column, frequency column)")
        if rf_form not in ("hill", "exposure"):
            raise ValueError(f"rf_form must be 'hill' or 'exposure', got {rf_form!r}")
        if not (np.isfinite(rf_shape) and rf_shape > 0):
            raise ValueError(
                f"rf_shape (negative binomial shape of the exposures) must be finite and > 0, got {rf_shape}"
            )
        out: dict[str, tuple[str, str]] = {}
        for c, cols in rf_channels.items():
            if isinstance(cols, str) or not isinstance(cols, Sequence) or len(cols) != 2:
                raise ValueError(f"rf_channels[{c!r}] must be a pair (reach column, frequency column), got {cols!r}")
            role = roles.get(c, "conversion")
            if role != "conversion":
                raise ValueError(
                    f"channel {c!r} is a reach-and-frequency channel with role {role!r}: "
                    "an RF channel can "
                    "only convert (the trust stock's inflow is saturated activity per period; reach that "
                    "accumulates people over periods is not that). Give it role 'conversion'"
                )
            roles[c] = "conversion"
            out[str(c)] = (str(cols[0]), str(cols[1]))
        return out

    @staticmethod
    def _roles(channels: Sequence[Channel] | Mapping[str, str]) -> dict[str, str]:
        if isinstance(channels, Mapping):
            roles = dict(channels)
        else:
            roles = {}
            for ch in channels:
                if not isinstance(ch, Channel):
                    raise ValueError(
                        f"channels must be trustmix Channel objects or a mapping column -> role, got {ch!r}"
                    )
                if ch.name in roles:
                    raise ValueError(f"channel {ch.name!r} is given twice; each channel (data column) once")
                roles[ch.name] = ch.role
        if not roles:
            raise ValueError("the model needs at least one channel")
        for c, r in roles.items():
            if r not in _ROLES:
                raise ValueError(f"channel {c!r}: role must be one of {', '.join(_ROLES)}, got {r!r}")
        return roles

    @property
    def parameter_names(self) -> list[str]:
        """Names of the unconstrained parameters (C++ order)."""
        return list(self._core.parameter_names)

    def log_density(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """Log posterior (up to a constant) and its gradient at unconstrained ``z``."""
        return self._core.log_density(np.asarray(z, dtype=float))

    def fit(
        self,
        method: str = "map",
        *,
        chains: int = 4,
        draws: int = 1000,
        tune: int = 1000,
        seed: int = 0,
        target_accept: float = 0.95,
        progress: bool = True,
        max_iterations: int = 2000,
        restarts: int = 3,
        metric: str = "diag",
        max_tree_depth: int = 10,
        initial_metric: str | None = "laplace",
        term_buffer: int = 150,
        threads: int | None = None,
    ) -> TrustFit:
        """Fits the model.

        ``method="map"``: the posterior mode by L-BFGS from the default start and
        ``restarts - 1`` jittered starts (seeded; a jitter that leaves the likelihood's
        support is halved until it is inside); the best mode wins. Point estimates.

        ``method="nuts"``: the full posterior with the No-U-Turn Sampler of
        :func:`trustmix.inference.sample` on the C++ log density (``chains`` chains in
        parallel threads, ``tune`` warm-up and ``draws`` kept iterations each), started
        near the MAP mode. Every reported quantity then has a credible interval and the
        sampler's diagnostics (R-hat, ESS, divergences) are in ``fit.posterior``.
        Deterministic for a given ``seed`` on any thread count. ``metric`` ("diag" or
        "dense") and ``max_tree_depth`` are passed to the sampler.

        Warm-up starts from the Laplace approximation at the mode
        (``initial_metric="laplace"``: the inverse of the negative Hessian of the log
        posterior by central differences of the exact gradient, its diagonal for the
        diagonal metric) instead of the identity, which shortens the first trajectories;
        ``initial_metric=None`` starts from the identity as Stan does. Stan's windows then
        adapt the metric as usual. ``term_buffer`` is the final step-size-only phase of
        warm-up: 150 iterations rather than Stan's 50, because the dual averaging has not
        settled after 50 on this model and ends on a smaller step than ``target_accept``
        asks for (longer trajectories for the whole run).

        ``target_accept``: the step size's dual-averaging target. 0.95 by default (0.9 until
        the eighteenth session): on 80 validation worlds (two sets of 40) the share of fits
        free of divergences rose from 0.825 to 0.925 at 15-20% more time per fit, with the
        estimates unchanged within Monte Carlo error (docs/validation.md, "The default form
        follows the tracker").

        ``threads``: NUTS worker threads (default: one per core, at most one per chain);
        1 runs the chains one after the other, as :func:`trustmix.mmm.fit_many` does when
        the models themselves are spread over workers. The draws do not depend on it.
        """
        if initial_metric not in ("laplace", None):
            raise ValueError(f"initial_metric must be 'laplace' or None, got {initial_metric!r}")
        if method not in ("map", "nuts"):
            raise ValueError(f"method must be 'map' or 'nuts', got {method!r}")
        for name, value in (("max_iterations", max_iterations), ("restarts", restarts)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"fit(): {name} must be an integer >= 1, got {value!r}")
        if method == "nuts":
            for name, value, low in (("chains", chains, 1), ("draws", draws, 1), ("tune", tune, 0)):
                if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                    raise ValueError(f"fit(method='nuts'): {name} must be an integer >= {low}, got {value!r}")
        rng = np.random.default_rng(seed)
        z0 = np.asarray(self._core.initial_point())
        results = []
        for r in range(max(1, restarts)):
            start = z0 if r == 0 else self._start_inside(z0, rng.normal(0.0, 0.5, z0.shape))
            results.append(_map_info(self._core.fit_map(start, max_iterations)))
        best = self._best_mode(results)
        mode = np.asarray(best["z"])
        if method == "map":
            if not best["converged"]:  # a point estimate that is not a mode says so (NUTS only starts there)
                from trustmix.inference._api import _warn_map_not_converged

                _warn_map_not_converged(int(best["iterations"]), str(best["message"]), float(best["gradient_norm"]))
            return TrustFit(self, mode, best)
        from trustmix import inference
        from trustmix._core import inference as _ci

        init = np.stack([self._start_inside(mode, step) for step in rng.normal(0.0, 0.1, (int(chains), mode.size))])
        target = _mmm.TrustTarget(self._core)
        inv_metric = None
        if initial_metric == "laplace":
            # The inverse of -d2 log p at the mode by central differences of the exact
            # gradient (the engine's negative_hessian); None when that matrix is not
            # positive definite (not a strict mode) or not finite: the identity is used.
            # (a diagonal metric takes its diagonal, in the sampler)
            inv_metric = _ci.laplace_covariance(target, np.asarray(mode, dtype=float))
        posterior = inference.sample(
            target,
            chains=chains,
            draws=draws,
            tune=tune,
            seed=seed,
            target_accept=target_accept,
            initial_values=init,
            progress=progress,
            metric=metric,
            max_tree_depth=max_tree_depth,
            initial_inverse_metric=inv_metric,
            term_buffer=term_buffer,
            threads=threads,
        )
        return TrustFit(self, mode, best, posterior=posterior)

    #: Results within this many nats of the highest log density count as the same mode.
    _MODE_TOLERANCE_NATS = 1e-3

    @staticmethod
    def _best_mode(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The MAP result to keep among ``results`` (one per restart), independent of their
        order: with ``lp*`` the highest finite log density, the results within
        ``_MODE_TOLERANCE_NATS`` (1e-3 nats, absolute) of ``lp*`` are the same mode (on a
        flat ridge a run that stopped on its iteration limit can end 1e-8 higher than a
        converged one there); among them a converged one wins, then the higher log
        density, then the earlier restart. A tolerance in nats, compared with the best,
        does not grow with ``|lp|`` (a relative 1e-6 was 0.1 nats at ``|lp|`` ~ 1e5) and
        is not chained (A near B and B near C with A far from C cannot happen)."""
        if not results:
            raise ValueError("no MAP results to choose from")
        lps = [float(r["log_density"]) for r in results]
        finite = [lp for lp in lps if np.isfinite(lp)]
        if not finite:
            return results[0]
        top = max(finite)
        near = [i for i, lp in enumerate(lps) if np.isfinite(lp) and top - lp <= TrustMMM._MODE_TOLERANCE_NATS]
        return results[min(near, key=lambda i: (not bool(results[i]["converged"]), -lps[i], i))]

    def _start_inside(self, centre: np.ndarray, step: np.ndarray) -> np.ndarray:
        """centre + step, the step halved until the log density there is finite.

        A jittered start (MAP restarts, NUTS chains) can leave the likelihood's support
        (mu <= 0 at some period for the lognormal and negative binomial) where the outcome
        is low; ``centre`` (the initial point or the mode) is inside it.
        """
        for k in range(60):
            z = centre + step * 0.5**k
            if np.isfinite(self.log_density(z)[0]):
                return z
        return np.array(centre, dtype=float)

    # -- pickling and display ------------------------------------------------------------
    _STATE_VERSION = 1

    def __getstate__(self) -> dict[str, Any]:
        """Versioned state (version 1): the data (numpy columns) and the constructor's
        arguments; unpickling rebuilds the model (the C++ core holds nothing else)."""
        d = self._args_data
        # The data as plain numpy columns (stable across pandas versions), in order.
        data = {"columns": list(d.columns), "values": [d[c].to_numpy() for c in d.columns]}
        # Version 2: the same with lift tests in kwargs (older readers refuse it clearly).
        # Version 2: kwargs an older trustmix does not know (lift tests, reach and frequency),
        # so that it refuses the state clearly instead of failing on an unknown argument.
        # Version 3: the log link or AR(1) noise (kwargs["link"] / kwargs["noise"], present only
        # when not identity / iid): trustmix of the third session reads version 2 and would fail
        # on the unknown keyword with a bare TypeError, so these states get a version of their own.
        if any(k in self._args for k in ("link", "noise")):
            version = 3
        elif any(k in self._args for k in ("lift_tests", "rf_channels")):
            version = 2
        else:
            version = self._STATE_VERSION
        return {"version": version, "data": data, "kwargs": dict(self._args)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or state.get("version") not in (1, 2, 3):
            raise ValueError(
                f"cannot unpickle TrustMMM: unsupported state version "
                f"{state.get('version') if isinstance(state, dict) else state!r}"
            )
        d = state["data"]
        data = pd.DataFrame(dict(zip(d["columns"], d["values"], strict=True)), columns=d["columns"])
        kwargs = dict(state["kwargs"])
        kwargs.setdefault("noise", "iid")  # a state without "noise" was fitted with iid residuals
        TrustMMM.__init__(self, data, **kwargs)

    def __repr__(self) -> str:
        return (
            f"TrustMMM(outcome={self.outcome!r}, periods={len(self.dates)}, channels={self.roles!r}, "
            f"likelihood={self.likelihood!r}, link={self.link!r}, noise={self.noise!r}, "
            f"trust={self.trust_enabled}, "
            f"trust_form={self.trust_form!r}, "
            f"tracker={self.tracker!r}, "
            f"parameters={self._core.dimension})"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(c)}</td><td>{html.escape(self.roles[c])}</td>"
            f"<td>{html.escape(str(self.spend_columns[c]))}</td><td>{self.media_scale[j]:,.4g}</td></tr>"
            for j, c in enumerate(self.channels)
        )
        settings = {
            "periods": f"{len(self.dates)} ({self.dates[0].date()} .. {self.dates[-1].date()}, every "
            f"{self.period_days} days)",
            "likelihood": self.likelihood,
            "link": self.link,
            "noise": self.noise,
            "trust stock": f"yes ({self.trust_form})" if self.trust_enabled else "no (standard MMM)",
            "tracker": (
                "none"
                if not self.tracker
                else f"{self.tracker} ({'the share of trusting people' if self.tracker_share else 'an index'})"
            ),
            "shocks": ", ".join(self.shock_names) or "none",
            "baseline": ", ".join(self.baseline_names),
            "max lag": str(self.max_lag),
            "scaling": self.scaling,
            "value per outcome": str(self.value_per_outcome),
            "reach and frequency": (
                ", ".join(f"{c} ({r}, {f})" for c, (r, f) in self.rf_channels.items()) + f"; form {self.rf_form}"
            )
            if self.rf_channels
            else "none",
            "parameters": str(self._core.dimension),
        }
        if self.lift_test_records:
            settings["lift tests"] = ", ".join(r["label"] for r in self.lift_test_records)
        table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in settings.items())
        return (
            f"<h4>TrustMMM: {html.escape(self.outcome)}</h4><table>{table}</table>"
            f"<table><tr><th>channel</th><th>role</th><th>spend column</th><th>scale</th></tr>{rows}</table>"
        )

    # helpers shared with TrustFit
    def _extended(self, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Media, baseline and shocks extended by ``horizon`` periods of zero activity."""
        T = len(self._y)
        media = np.vstack([self._media, np.zeros((horizon, self._media.shape[1]))])
        base = np.vstack([self._baseline, np.zeros((horizon, self._baseline.shape[1]))])
        shocks = np.vstack([self._shocks, np.zeros((horizon, self._shocks.shape[1]))])
        assert media.shape[0] == T + horizon
        return media, base, shocks


@dataclass
class TrustFit:
    """A fitted :class:`TrustMMM`: parameters, decomposition, trust stock, ROI."""

    model: TrustMMM
    z: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
    posterior: Any = None  #: trustmix.inference.SampleResult of a NUTS fit (unconstrained draws), else None

    _STATE_VERSION = 1

    def __getstate__(self) -> dict[str, Any]:
        """Versioned state (version 1): the model (its own versioned state), the mode, the
        optimiser's info and the posterior's attributes (draws, statistics, diagnostics).
        Version 2: the same for a model of the bounded trust form, whose unconstrained
        parameters changed (``log_mean_trust_hazard`` = ln(rho ubar) instead of ln rho, and
        with a share tracker ``tracker_share_level`` = a_q + the mean observed share instead
        of a_q); a version-1 state of such a model is converted on loading
        (:meth:`_bounded_z_from_version_1`)."""
        post = None
        if self.posterior is not None:  # plain values and numpy arrays (settings name the target by its type)
            post = dict(self.posterior.__dict__)
        return {
            "version": 2 if self.model.trust_enabled and self.model.trust_form == "bounded" else self._STATE_VERSION,
            "model": self.model,
            "z": np.asarray(self.z),
            "info": dict(self.info),
            "posterior": post,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or state.get("version") not in (1, 2):
            raise ValueError(
                f"cannot unpickle TrustFit: unsupported state version "
                f"{state.get('version') if isinstance(state, dict) else state!r}"
            )
        self.model, self.z, self.info = state["model"], np.asarray(state["z"]), dict(state["info"])
        from trustmix.inference._api import _sample_result_from_state

        self.posterior = _sample_result_from_state(state["posterior"])
        if state["version"] == 1 and self.model.trust_enabled and self.model.trust_form == "bounded":
            self.z = self._bounded_z_from_version_1(self.z[None, :])[0]
            if self.posterior is not None:
                d = self.posterior.draws
                self.posterior.draws = self._bounded_z_from_version_1(d.reshape(-1, d.shape[-1])).reshape(d.shape)

    def _bounded_z_from_version_1(self, z_old: np.ndarray) -> np.ndarray:
        """Unconstrained draws (rows) of the bounded form written before its free inflow and
        share-tracker level changed, in today's parametrisation (the same constrained
        parameters): ln(rho ubar) = ln rho + ln ubar, and with a share tracker
        m_q = a_q + Gm (Gm the mean share over the observed periods). ubar and Gm depend on
        no parameter that changed meaning except rho (Gm), so two constrained passes give
        them: today's constrain of the old z gives rho / ubar, hence ubar; with rho fixed,
        it gives a_q = z_level - Gm, hence Gm."""
        core = self.model._core
        names = list(core.parameter_names)
        cn = list(core.constrained_names)
        z = np.array(z_old, dtype=float, copy=True)
        i_rho, j_rho = names.index("log_mean_trust_hazard"), cn.index("trust_inflow")
        c = np.asarray(_mmm.constrained_draws(core, np.ascontiguousarray(z)))
        z[:, i_rho] = 2.0 * z_old[:, i_rho] - np.log(c[:, j_rho])  # ln rho_old + ln ubar, ubar = rho_old / c
        if "tracker_share_level" in names:
            i_q, j_a = names.index("tracker_share_level"), cn.index("tracker_a")
            c = np.asarray(_mmm.constrained_draws(core, np.ascontiguousarray(z)))
            z[:, i_q] = 2.0 * z_old[:, i_q] - c[:, j_a]  # a_q + Gm, Gm = z_level - a_q(today)
        return z

    @property
    def method(self) -> str:
        """``"nuts"`` when the fit has posterior draws, else ``"map"``."""
        return "map" if self.posterior is None else "nuts"

    def draws(self, max_draws: int | None = None) -> np.ndarray:
        """Unconstrained posterior draws as (n, dimension), chains concatenated; thinned
        evenly to at most ``max_draws``. A MAP fit gives its mode as the only draw."""
        if self.posterior is None:
            return self.z[None, :]
        z = self.posterior.draws.reshape(-1, self.posterior.draws.shape[-1])
        if max_draws is not None and len(z) > max_draws:
            z = z[np.linspace(0, len(z) - 1, max_draws).round().astype(int)]
        return z

    def _draw_matrix(self, max_draws: int | None) -> np.ndarray:
        """The draws (or the mode) as a C-contiguous (n, dimension) array for the C++ analyses."""
        return np.ascontiguousarray(self.draws(max_draws), dtype=float)

    @property
    def params(self) -> dict[str, Any]:
        """Constrained parameters: alpha, lam (per channel), kappa (per trust channel),
        omega (per shock), beta (per conversion channel), b (baseline), delta, g0, gamma,
        theta, sigma (for the negative binomial: its size phi), ar1_phi (the residuals'
        AR(1) coefficient; 0 for iid noise) and the tracker's a, b,
        sigma (standardised tracker units). Scaled units (see :class:`TrustMMM`)."""
        return _fields(self.model._core.constrain(self.z), _PARAMETER_FIELDS)

    def _summary_labels(self, keys: list[str], index: list[int]) -> tuple[list[str], list[str]]:
        """Row labels and units of the quantities of ``_core.mmm.summary_values``."""
        m = self.model
        # with AR(1) residuals sigma is the innovations' sd; each residual's own sd is
        # sigma / sqrt(1 - phi^2)
        innovation = " (AR(1) innovation sd)" if m.noise == "ar1" else ""
        if m.likelihood == "normal":
            noise = ("sigma" + innovation, m.outcome)
        elif m.likelihood == "lognormal":
            noise = ("sigma (log scale)" + innovation, "sd of ln outcome")
        else:
            noise = ("phi (negative binomial size)", "variance = mu + mu^2 / phi")
        labels: dict[str, Callable[[int], tuple[str, str]]] = {
            "alpha": lambda i: (f"adstock alpha [{m.channels[i]}]", "per period"),
            "adstock_half_life": lambda i: (f"adstock half-life [{m.channels[i]}]", "periods"),
            "lam": lambda i: (
                (f"Hill ec [{m.channels[i]}]", "frequency (exposures per person reached)")
                if m.rf_channels.get(m.channels[i]) is not None and m.rf_form == "hill"
                else (f"per-exposure rate lam [{m.channels[i]}]", "-ln(share left) per exposure")
                if m.rf_channels.get(m.channels[i]) is not None
                else (f"saturation lam [{m.channels[i]}]", "per scaled unit")
            ),
            "beta": lambda i: (
                (f"beta [{m.conversion_channels[i]}]", f"{m.outcome} per period per scaled reach at full response")
                if m.conversion_channels[i] in m.rf_channels
                else (
                    f"beta [{m.conversion_channels[i]}]",
                    f"{m.outcome} per period at saturation"
                    if m.link == "identity"
                    else "ln(outcome) lift at saturation",
                )
            ),
            "delta": lambda i: ("trust retention delta", "per period"),
            "trust_half_life": lambda i: ("trust half-life", "periods"),
            "kappa": lambda i: (f"trust weight kappa [{m.trust_channels[i]}]", "share of trust inflow"),
            "gamma": lambda i: (
                "gamma (trust -> demand)",
                f"{m.outcome} per unit of trust index"
                if m.link == "identity"
                else "ln(outcome) per unit of trust index",
            ),
            "theta": lambda i: ("theta (trust amplifies SMM)", "relative lift per unit of trust index"),
            "omega": lambda i: (
                f"shock damage omega [{m.shock_names[i]}]",
                "trust index units" if m.trust_form == "linear" else "-ln(share kept)",
            ),
            "b": lambda i: (
                f"baseline [{m.baseline_names[i]}]",
                m.outcome
                if m.link == "identity"
                else f"ln({m.outcome})"
                if m.baseline_names[i] == "intercept"
                else f"ln({m.outcome}) per unit",
            ),
            "sigma": lambda i: noise,
            "trust_base": lambda i: ("trust baseline share b", "share of people"),
            "trust_inflow": lambda i: ("trust inflow strength rho", "per unit of saturated inflow"),
            "ar1_phi": lambda i: ("residual AR(1) phi", "lag-1 correlation of the residuals"),
        }
        rows = [labels[k](i) for k, i in zip(keys, index, strict=True)]
        return [r[0] for r in rows], [r[1] for r in rows]

    def summary(self, interval: float = 0.9) -> pd.DataFrame:
        """One row per interpretable parameter in business units.

        Rows: per channel its adstock alpha, adstock half-life ln 0.5 / ln alpha (periods)
        and saturation lam; per conversion channel beta (outcome per period at saturation);
        with trust the retention delta, the trust half-life ln 0.5 / ln delta, the trust
        weights kappa, gamma (outcome per unit of trust index), theta and the shock damages;
        the baseline coefficients (outcome units) and the noise (with ``noise="ar1"`` also
        the residuals' AR(1) coefficient phi). Computed in C++
        (``trustmix::mmm::summary_values``) for every draw at once.

        MAP fit: ``value`` and ``unit``. NUTS fit: posterior ``mean``, ``sd``, the
        equal-tailed ``interval`` bounds (``low``, ``high``), ``r_hat`` and ``ess_bulk``
        (rank-normalised, Vehtari et al. 2021; NaN for a quantity that is constant or not
        finite) and ``unit``, all from ``trustmix::mmm::summary_table``.
        """
        m = self.model
        if self.posterior is None:
            sv = _mmm.summary_values(m._core, self._draw_matrix(None), m.y_scale)
            names, units = self._summary_labels(list(sv.keys), sv.index.tolist())
            return self._with_calibration(
                pd.DataFrame({"parameter": names, "value": np.asarray(sv.values)[0], "unit": units}).set_index(
                    "parameter"
                ),
                interval,
            )
        chains, n, d = self.posterior.draws.shape
        st = _mmm.summary_table(
            m._core, np.ascontiguousarray(self.posterior.draws.reshape(-1, d)), chains, m.y_scale, interval
        )
        names, units = self._summary_labels(list(st.keys), st.index.tolist())
        out: dict[str, Any] = {"parameter": names}
        out.update({k: np.asarray(getattr(st, k)) for k in ("mean", "sd", "low", "high", "r_hat", "ess_bulk")})
        out["unit"] = units
        table = pd.DataFrame(out).set_index("parameter")
        return self._with_calibration(table, interval)

    def _with_calibration(self, table: pd.DataFrame, interval: float) -> pd.DataFrame:
        """The summary with one row per lift value (predicted lift; the unit column gives the
        measured lift and its standard error); unchanged without lift tests."""
        if not self.model.lift_test_records:
            return table
        cal = self.calibration(interval=interval, max_draws=None)
        labels = [
            f"lift [{r.label}]" + ("" if str(r.periods) in str(r.label) else f" {r.periods}") for r in cal.itertuples()
        ]
        units = [
            f"{self.model.outcome}; measured {o:,.4g} (se {s:,.3g}, transfer sd {t:,.3g})"
            for o, s, t in zip(cal["observed"], cal["standard_error"], cal["transfer_sd"], strict=True)
        ]
        if "value" in table.columns:
            rows = pd.DataFrame({"parameter": labels, "value": cal["predicted"].to_numpy(), "unit": units})
        else:
            rows = pd.DataFrame(
                {
                    "parameter": labels,
                    "mean": cal["predicted"].to_numpy(),
                    "sd": np.nan,
                    "low": cal["low"].to_numpy(),
                    "high": cal["high"].to_numpy(),
                    "r_hat": np.nan,
                    "ess_bulk": np.nan,
                    "unit": units,
                }
            )
        return pd.concat([table, rows.set_index("parameter")])

    def calibration(self, interval: float = 0.9, max_draws: int | None = 1000) -> pd.DataFrame:
        """The lift tests against the model: one row per lift value (a per-period lift gives
        one row per measured period) with test, label, channel, periods, ``observed`` (the
        measured lift, outcome units), its ``standard_error`` and ``transfer_sd`` (tau),
        the posterior ``predicted`` lift (mean over up to ``max_draws`` thinned draws; the
        mode for a MAP fit) with its equal-tailed ``interval`` (``low``, ``high``) and
        ``z`` = (observed - predicted) / sqrt(se^2 + tau^2). Computed in C++
        (``trustmix::mmm::predicted_lift_draws``): pred = sum over the measured periods of
        mu(actual activity) - mu(counterfactual activity), see :class:`TrustMMM`."""
        return _calibration.calibration_table(self, interval, max_draws)

    def _forward(
        self, media: np.ndarray | None = None, baseline: np.ndarray | None = None, shocks: np.ndarray | None = None
    ) -> _mmm.TrustModelForward:
        """The forward pass at the mode (``_core.mmm.TrustModel.forward``), on other media when given."""
        if media is None:
            return self.model._core.forward(self.z)
        return self.model._core.forward(self.z, media, baseline, shocks)

    def predict(self, max_draws: int = 200) -> pd.Series:
        """Fitted mean of the outcome per period (outcome units); for a NUTS fit the
        posterior mean over up to ``max_draws`` thinned draws."""
        m = self.model
        mu = np.asarray(_mmm.mean_draws(m._core, self._draw_matrix(max_draws), m.y_scale)).mean(axis=0)
        return pd.Series(mu, index=m.dates, name="predicted")

    def trust_stock(self) -> pd.DataFrame:
        """The trust stock G per period and its exact split: one column per trust channel
        (the stock that channel alone built), shocks and the initial stock."""
        f, m = self._forward(), self.model
        out = pd.DataFrame(f.trust_by_channel, index=m.dates, columns=m.trust_channels)
        out["shocks"] = f.trust_from_shocks
        out["initial"] = f.trust_from_initial
        out["trust_stock"] = f.trust_stock
        return out

    def decompose(self, max_draws: int = 200) -> pd.DataFrame:
        """Additive per-period decomposition of the fitted outcome (outcome units):
        ``base``, ``trust_direct`` (gamma G), each conversion channel's own term
        (beta_s h_s) and the amplification term theta G sum_s beta_s h_s allocated to the
        trust channels by their exact share G^(p)/G (and to shocks/initial stock).
        Columns sum to :meth:`predict`. For a NUTS fit, the posterior mean of each term
        over up to ``max_draws`` evenly thinned draws (columns then sum to the posterior
        mean of the prediction). Computed in C++ (``trustmix::mmm::decompose``).

        With ``link="log"`` (mu = exp(eta)) this is an allocation, not a unique split:
        ``base`` is exp(baseline terms) (no trust, no media) and every other term x of
        eta receives x (mu - base) / (eta - baseline terms) of the rest, its share of the
        log-scale contribution, so the columns still sum to mu exactly in every period."""
        m = self.model
        dec = _mmm.decompose(m._core, self._draw_matrix(max_draws), m.y_scale)
        out = {"base": np.asarray(dec.base)}
        if m.trust_enabled:
            direct, amp = np.asarray(dec.trust_direct), np.asarray(dec.amplification)
            for k, name in enumerate([*m.trust_channels, "shocks", "initial trust"]):
                out[f"trust direct [{name}]"] = direct[:, k]
                out[f"amplification [{name}]"] = amp[:, k]
        own = np.asarray(dec.own)
        for j, c in enumerate(m.conversion_channels):
            out[f"{c} (own)"] = own[:, j]
        return pd.DataFrame(out, index=m.dates)

    def _value(self, value_per_outcome: float | None, note: bool = True) -> float:
        """The value of one unit of outcome for a ROI: the argument, else the model's, else
        NaN (with a one-time note per model when ``note``)."""
        if value_per_outcome is None:
            value_per_outcome = self.model.value_per_outcome
        if value_per_outcome is None:
            if note and not getattr(self.model, "_noted_no_value", False):
                # A note, not a warning: the incremental columns are valid and scripts that
                # read only them (or run with warnings as errors) must keep working.
                self.model._noted_no_value = True
                _log.warning(
                    "no value_per_outcome given (TrustMMM(..., value_per_outcome=...) or "
                    "roi(value_per_outcome=...)): the ROI columns are NaN; cost_per_incremental is "
                    "reported. This note is shown once per model."
                )
            return float("nan")
        v = float(value_per_outcome)
        if not (np.isfinite(v) and v > 0):
            raise ValueError(
                f"value_per_outcome must be a finite number > 0 (value of one unit of outcome), got {value_per_outcome}"
            )
        return v

    def _window(self, window: tuple[Any, Any] | None) -> tuple[int, int]:
        m = self.model
        T = len(m.dates)
        if window is None:
            return 0, T - 1
        lo = int(m.dates.searchsorted(pd.Timestamp(window[0])))
        hi = int(m.dates.searchsorted(pd.Timestamp(window[1]), side="right")) - 1
        if lo > hi or lo >= T:
            raise ValueError(
                f"window {window!r} contains no period of the data ({m.dates[0].date()}..{m.dates[-1].date()})"
            )
        return lo, hi

    def roi(
        self,
        horizon: int = 104,
        window: tuple[Any, Any] | None = None,
        value_per_outcome: float | None = None,
        interval: float = 0.9,
        max_draws: int = 200,
    ) -> pd.DataFrame:
        """Incremental outcome and ROI per channel, short vs long term (MODEL.md section 4).

        For each channel its activity inside ``window`` W (``(start, end)`` dates,
        inclusive; default the whole data) is set to zero, everything else kept, and the
        model is run over the data plus ``horizon`` periods of zero activity afterwards,
        so the trust stock's long tail is counted. The incremental outcome splits

        - by time: ``short`` inside W plus the adstock lag window L, ``long`` afterwards;
        - by path, exactly: ``via_trust_direct`` (gamma dG), ``via_amplification``
          (the change of theta G sum_s beta_s h_s) and ``own`` (the change of
          sum_s beta_s h_s), which add up to the total.

        ROI = (incremental value - spend in W) / spend in W, with value = outcome x
        ``value_per_outcome`` (default: the model's). ``marginal_roi`` is the return on
        the next 1% of spend: (value gained when the channel's activity in W is scaled
        by 1.01 - 0.01 spend) / (0.01 spend), over the same horizon; below 0 the last
        unit of spend no longer pays for itself. ``cost_per_incremental`` = spend /
        incremental outcome (currency per outcome; NaN when the effect is <= 0).

        Without a value per outcome (neither here nor on the model) a ROI cannot be
        computed: ``roi_short``, ``roi_total`` and ``marginal_roi`` are NaN, a note on the
        ``trustmix.mmm`` logger says so once per model (a log record, not a warning, so
        code that reads only the incremental columns runs unchanged), and
        ``cost_per_incremental`` is the figure to read. (Earlier versions took a value of 1,
        which gave ROI ~ -1 for a conversion outcome.)

        MAP fit: point estimates at the mode. NUTS fit: posterior means over up to
        ``max_draws`` thinned draws, with ``*_low`` / ``*_high`` columns for the
        equal-tailed ``interval`` of the incremental effects and ROIs. Computed in C++
        (``trustmix::mmm::roi``) for every draw at once.
        """
        m = self.model
        lo, hi = self._window(window)
        vpo = self._value(value_per_outcome)
        spend = np.array(
            [float(m.data[m.spend_columns[c]].to_numpy(dtype=float)[lo : hi + 1].sum()) for c in m.channels]
        )
        r = _mmm.roi(
            m._core,
            self._draw_matrix(max_draws),
            horizon=int(horizon),
            window_begin=lo,
            window_end=hi,
            spend=spend,
            value_per_outcome=vpo,
            outcome_scale=m.y_scale,
        )
        cols = [
            "incremental_short",
            "incremental_long",
            "incremental_total",
            "via_trust_direct",
            "via_amplification",
            "own",
            "roi_short",
            "roi_total",
            "marginal_roi",
            "cost_per_incremental",
        ]
        index = pd.Index(m.channels, name="channel")
        out = {"role": [m.roles[c] for c in m.channels], "spend": spend}
        if self.posterior is None:
            out.update({c: np.asarray(getattr(r, c))[0] for c in cols})
            return pd.DataFrame(out, index=index)
        # Means and NaN-skipping quantiles (numpy's nanquantile, to the bit) of every column
        # at once in C++ (trustmix::mmm::summarize_columns); the ROIs are NaN without a value.
        C = len(m.channels)
        lo_q, hi_q = (1 - interval) / 2, 1 - (1 - interval) / 2
        s = _mmm.summarize_columns(np.concatenate([getattr(r, c) for c in cols], axis=1), lo_q, hi_q, skip_nan=True)
        mean, low, high = (np.asarray(a).reshape(len(cols), C) for a in (s.mean, s.low, s.high))
        out.update({c: mean[k] for k, c in enumerate(cols)})
        for k, c in enumerate(cols):
            if c in (
                "incremental_short",
                "incremental_long",
                "incremental_total",
                "roi_short",
                "roi_total",
                "marginal_roi",
            ):
                out[f"{c}_low"] = low[k]
                out[f"{c}_high"] = high[k]
        return pd.DataFrame(out, index=index)

    def counterfactual(self, data: pd.DataFrame) -> pd.DataFrame:
        """Predicted outcome under other media, at the fitted parameters.

        ``data`` is a copy of the model's data (same dates) with channel columns changed,
        e.g. PR set to zero for six months. Returns per period: ``predicted`` (actual
        media), ``counterfactual``, ``difference`` (predicted - counterfactual) and its
        exact path split ``difference_trust_direct`` (gamma dG), ``difference_amplification``
        (the change of theta G sum_s beta_s h_s) and ``difference_own`` (the change of
        sum_s beta_s h_s), outcome units. Computed in C++ (``trustmix::mmm::counterfactual``).
        """
        m = self.model
        if not isinstance(data, pd.DataFrame):
            raise ValueError(f"data must be a DataFrame like the model's, got {type(data).__name__}")
        cols = [m._media_columns.get(c, c) for c in m.channels]  # an RF channel: its reach column
        missing = [c for c in [m.dates.name, *cols] if c not in data.columns]
        if missing:
            raise ValueError(f"counterfactual data lacks column {missing[0]!r}")
        cf = data.sort_values(m.dates.name)
        if len(cf) != len(m.dates) or not pd.DatetimeIndex(pd.to_datetime(cf[m.dates.name])).equals(
            pd.DatetimeIndex(m.dates)
        ):
            raise ValueError("counterfactual data must have exactly the model's dates")
        media = cf[cols].to_numpy(dtype=float)
        bad = ~np.isfinite(media) | (media < 0)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(f"column {cols[j]!r}: row {i} is {media[i, j]}; media must be finite and >= 0")
        r = _mmm.counterfactual(
            m._core, np.asarray(self.z, dtype=float), np.ascontiguousarray(media / m.media_scale), m.y_scale
        )
        return pd.DataFrame(
            {
                k: np.asarray(getattr(r, k))
                for k in (
                    "predicted",
                    "counterfactual",
                    "difference",
                    "difference_trust_direct",
                    "difference_amplification",
                    "difference_own",
                )
            },
            index=m.dates,
        )

    def sample_posterior_predictive(self, max_draws: int = 500, seed: int = 0) -> pd.DataFrame:
        """Replicated outcomes y_rep ~ p(y | theta) for posterior draws theta (or the MAP
        mode), in outcome units: one row per period, one column per draw.

        Normal: mu + sigma e; lognormal: mu exp(sigma e - sigma^2/2); negative binomial:
        NB(mean mu, size phi) counts (a Poisson of a Gamma(phi, mu / phi) rate); e ~ N(0, 1).
        With ``noise="ar1"`` the residual path is AR(1) and stationary: r[0] = sigma e[0] /
        sqrt(1 - phi^2), r[t] = phi r[t-1] + sigma e[t], y = mu + r (lognormal:
        mu exp(r - sigma^2 / (2 (1 - phi^2)))).
        Seeded: the same ``seed`` gives the same draws on every run and thread count
        (``trustmix::mmm::posterior_predictive``, one random stream per draw). Compare with
        the actual outcome to check the fit (coverage of the predictive interval,
        dispersion, zeros). A MAP fit gives ``max_draws`` replicates at the mode
        (parameter uncertainty then is not included).
        """
        m = self.model
        zs = self._draw_matrix(max_draws)
        if self.posterior is None:
            zs = np.ascontiguousarray(np.repeat(zs, int(max_draws), axis=0))
        out = np.asarray(_mmm.posterior_predictive(m._core, zs, m.y_scale, seed=int(seed)))
        return pd.DataFrame(out.T, index=m.dates, columns=[f"draw_{k}" for k in range(len(zs))])

    def response_curves(
        self,
        channels: Sequence[str] | None = None,
        multipliers: Sequence[float] | None = None,
        horizon: int = 104,
        value_per_outcome: float | None = None,
        interval: float = 0.9,
        max_draws: int = 100,
    ) -> pd.DataFrame:
        """Incremental outcome as a function of a channel's spend (response curves).

        For each channel and multiplier k, the channel's activity over the whole data is
        scaled by k (everything else kept) and the model is run over the data plus
        ``horizon`` zero-activity periods; ``incremental`` is the total outcome gained
        over the same run with the channel at zero (so PR's long tail through the trust
        stock is included). ``spend`` = k x the channel's spend over the data; ``roi`` =
        (incremental x value_per_outcome - spend) / spend (NaN without a value per
        outcome, see :meth:`roi`). A reach-and-frequency channel's activity is its
        reach: its curve scales the reach at the data's frequency (see
        :meth:`rf_frequency_curves` for the frequency). Long table: ``channel``,
        ``multiplier``, ``spend``, ``incremental``, ``roi`` (posterior means for NUTS, with
        ``incremental_low`` / ``incremental_high`` for the equal-tailed ``interval``).
        Default multipliers 0, 0.1, ..., 2 (1 = actual spend). Computed in C++
        (``trustmix::mmm::response_curves``).
        """
        m = self.model
        chans = list(m.channels if channels is None else channels)
        for c in chans:
            if c not in m.channels:
                raise ValueError(f"unknown channel {c!r}; the model's channels are {', '.join(m.channels)}")
        ks = np.round(np.linspace(0.0, 2.0, 21), 10) if multipliers is None else np.asarray(multipliers, dtype=float)
        if ks.ndim != 1 or not np.isfinite(ks).all() or (ks < 0).any():
            raise ValueError("multipliers must be a 1-d sequence of finite numbers >= 0")
        if not chans:
            raise ValueError("channels must name at least one of the model's channels")
        vpo = self._value(value_per_outcome, note=False)
        curves = _mmm.response_curves(
            m._core,
            self._draw_matrix(max_draws),
            [m.channels.index(c) for c in chans],
            ks,
            horizon=int(horizon),
            outcome_scale=m.y_scale,
        )
        lo, hi = (1 - interval) / 2, 1 - (1 - interval) / 2
        K = len(ks)
        # Means and quantiles of every (channel, multiplier) column at once in C++
        # (trustmix::mmm::summarize_columns: numpy's mean and quantile, to the bit).
        s = _mmm.summarize_columns(np.concatenate([np.asarray(c) for c in curves], axis=1), lo, hi)
        spend = np.array([float(m.data[m.spend_columns[c]].to_numpy(dtype=float).sum()) for c in chans])
        out = {
            "channel": np.repeat(np.array(chans, dtype=object), K),
            "multiplier": np.tile(ks, len(chans)),
            "spend": (spend[:, None] * ks[None, :]).ravel(),
            "incremental": np.asarray(s.mean),
        }
        if self.posterior is not None:
            out["incremental_low"] = np.asarray(s.low)
            out["incremental_high"] = np.asarray(s.high)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["roi"] = np.where(out["spend"] > 0, (out["incremental"] * vpo - out["spend"]) / out["spend"], np.nan)
        return pd.DataFrame(out)

    def rf_frequency_curves(
        self,
        channel: str,
        multipliers: Sequence[float] | None = None,
        frequencies: Sequence[float] | None = None,
        horizon: int = 104,
        value_per_outcome: float | None = None,
        interval: float = 0.9,
        max_draws: int = 100,
    ) -> pd.DataFrame:
        """Response of a reach-and-frequency channel to its frequency.

        Two questions (give one of ``multipliers`` and ``frequencies``; default
        multipliers 0, 0.1, ..., 3):

        - ``multipliers`` k: the frequency of every period times k at the data's reach
          (more impressions per person reached; for the exposure form at least 1 where
          reached); ``spend`` = the channel's spend x the impressions used / the data's
          impressions (cost per impression kept: k x the spend, or more for the exposure
          form where the floor of one exposure binds).
        - ``frequencies`` f*: every reached period at frequency f* with reach r f / f*, the
          same impressions (Meridian's optimal-frequency question: how to spend the same
          budget); ``spend`` is the channel's spend. The best f* is where ``incremental``
          peaks (:meth:`TrustFit.rf_frequency_curves` ``.attrs["optimal_frequency"]``).

        For scaling the reach at fixed frequency use :meth:`response_curves` (an RF
        channel's activity there is its reach). ``incremental``: outcome gained over the
        data plus ``horizon`` periods against the channel at zero (posterior means, with
        ``incremental_low``/``_high`` for NUTS); ``roi`` = (incremental x
        value_per_outcome - spend) / spend. Computed in C++
        (``trustmix::mmm::rf_frequency_curves``).
        """
        m = self.model
        if channel not in m.rf_channels:
            raise ValueError(
                f"channel {channel!r} is not a reach-and-frequency channel; the model's RF channels are "
                f"{', '.join(m.rf_channels) or 'none'}"
            )
        if multipliers is not None and frequencies is not None:
            raise ValueError(
                "give multipliers (frequency times k at the data's reach) or frequencies (a target "
                "frequency at the same impressions), not both"
            )
        fixed = frequencies is not None
        vals = np.asarray(
            frequencies if fixed else (np.round(np.linspace(0.0, 3.0, 31), 10) if multipliers is None else multipliers),
            dtype=float,
        )
        if vals.ndim != 1 or len(vals) == 0 or not np.isfinite(vals).all() or (vals < 0).any():
            raise ValueError(
                f"{'frequencies' if fixed else 'multipliers'} must be a non-empty 1-d sequence of finite numbers >= 0"
            )
        vpo = self._value(value_per_outcome, note=False)
        draws = np.asarray(
            _mmm.rf_frequency_curves(
                m._core,
                self._draw_matrix(max_draws),
                m.channels.index(channel),
                vals,
                fixed_impressions=fixed,
                horizon=int(horizon),
                outcome_scale=m.y_scale,
            )
        )
        total = float(m.data[m.spend_columns[channel]].to_numpy(dtype=float).sum())
        if fixed:
            spend = np.full(len(vals), total)
        else:
            # cost per impression kept: spend = total x (impressions used) / (impressions in
            # the data); the exposure form keeps at least one exposure per person reached.
            rcol, fcol = m.rf_channels[channel]
            r = m.data[rcol].to_numpy(dtype=float)
            f = m.data[fcol].to_numpy(dtype=float)
            reached = r > 0
            fk = np.outer(vals, f[reached])
            if m.rf_form == "exposure":
                fk = np.maximum(fk, 1.0)
            base = float(r[reached] @ f[reached])
            spend = total * (fk @ r[reached]) / base if base > 0 else total * vals
        out = {
            "channel": channel,
            ("frequency" if fixed else "multiplier"): vals,
            "spend": spend,
            "incremental": draws.mean(axis=0),
        }
        if self.posterior is not None:
            lo, hi = (1 - interval) / 2, 1 - (1 - interval) / 2
            out["incremental_low"] = np.quantile(draws, lo, axis=0)
            out["incremental_high"] = np.quantile(draws, hi, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["roi"] = np.where(spend > 0, (out["incremental"] * vpo - spend) / spend, np.nan)
        df = pd.DataFrame(out)
        if fixed:
            df.attrs["optimal_frequency"] = float(vals[int(np.argmax(df["incremental"].to_numpy()))])
        return df

    def saturation_points(self, interval: float = 0.9, max_draws: int = 200) -> pd.DataFrame:
        """Where each channel saturates, in its own activity units per period.

        The logistic curve h(a) = tanh(lam a / 2) of the adstocked activity a reaches a
        share q of its maximum at a_q = 2 artanh(q) / lam (scaled units, times the
        channel's scale for activity units). Columns: ``half_saturation`` (a_0.5),
        ``saturation_90`` (a_0.9), ``mean_adstock`` (mean adstocked activity over periods
        with activity) and ``saturation_at_mean`` (h there, 0..1: how far along its curve
        the channel typically runs). NUTS: posterior means with ``*_low``/``*_high``.
        Computed in C++ (``trustmix::mmm::saturation_points``).
        """
        m = self.model
        sp = _mmm.saturation_points(m._core, self._draw_matrix(max_draws), np.asarray(m.media_scale, dtype=float))
        names = ["half_saturation", "saturation_90", "mean_adstock", "saturation_at_mean"]
        vals = {n: np.asarray(getattr(sp, n)) for n in names}
        out = pd.DataFrame({n: vals[n].mean(axis=0) for n in names}, index=pd.Index(m.channels, name="channel"))
        if self.posterior is not None:
            lo, hi = (1 - interval) / 2, 1 - (1 - interval) / 2
            for n in names:
                out[f"{n}_low"] = np.quantile(vals[n], lo, axis=0)
                out[f"{n}_high"] = np.quantile(vals[n], hi, axis=0)
        return out

    def to_arviz(self) -> Any:
        """The posterior as ArviZ InferenceData with constrained, named parameters
        (alpha, lam, beta, b, sigma, kappa, delta, gamma, theta, ...), sampler statistics
        and the observed outcome. Needs arviz (``pip install 'trustmix[arviz]'``)."""
        if self.posterior is None:
            raise ValueError("to_arviz needs posterior draws: fit with method='nuts'")
        try:
            import arviz as az
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("to_arviz needs arviz: pip install 'trustmix[arviz]'") from e
        chains, n, d = self.posterior.draws.shape
        m = self.model
        flat = np.asarray(_mmm.constrained_draws(m._core, np.ascontiguousarray(self.posterior.draws.reshape(-1, d))))
        flat = flat.reshape(chains, n, -1)
        posterior: dict[str, np.ndarray] = {}
        dims: dict[str, list[str]] = {}
        coords: dict[str, list[str]] = {
            "channel": m.channels,
            "conversion_channel": m.conversion_channels,
            "trust_channel": m.trust_channels,
            "baseline_term": m.baseline_names,
            "shock": m.shock_names,
        }
        dim_of = {
            "alpha": "channel",
            "lam": "channel",
            "beta": "conversion_channel",
            "b": "baseline_term",
            "kappa": "trust_channel",
            "omega": "shock",
            "slope": "hill_rf_channel",
        }
        coords["hill_rf_channel"] = [c for c in m.channels if c in m.rf_channels and m.rf_form == "hill"]
        columns: dict[str, list[int]] = {}
        for k, name in enumerate(m._core.constrained_names):  # "alpha[0]", ..., "delta", ...
            base = name.split("[")[0]
            columns.setdefault("sigma" if base == "phi" else base, []).append(k)
        for key, idx in columns.items():
            posterior[key] = flat[:, :, idx] if key in dim_of else flat[:, :, idx[0]]
            if key in dim_of:
                dims[key] = [dim_of[key]]
        stats = {k: v for k, v in self.posterior.sample_stats.items()}
        return az.from_dict(
            posterior=posterior,
            sample_stats=stats,
            coords=coords,
            dims=dims,
            observed_data={self.model.outcome: self.model.data[self.model.outcome].to_numpy()},
        )

    def plot_decomposition(self, ax: Any = None) -> Any:
        """Stacked area chart of :meth:`decompose` with the actual outcome on top."""
        import matplotlib.pyplot as plt

        d = self.decompose()
        d = d.loc[:, (d.abs() > 1e-12).any()]
        if ax is None:
            _, ax = plt.subplots(figsize=(11, 4.5))
        pos = d.clip(lower=0)
        ax.stackplot(d.index, pos.T.to_numpy(), labels=list(d.columns), alpha=0.85)
        neg = d.clip(upper=0)
        if (neg < 0).any().any():
            ax.stackplot(d.index, neg.T.to_numpy(), alpha=0.6, colors=["#999999"] * neg.shape[1])
        ax.plot(self.model.dates, self.model.data[self.model.outcome].to_numpy(), color="black", lw=1.2, label="actual")
        ax.set_ylabel(self.model.outcome)
        ax.legend(loc="upper left", fontsize=7, ncol=3)
        ax.set_title("Decomposition of the fitted outcome")
        return ax

    def plot_trust(self, ax: Any = None) -> Any:
        """The trust stock over time, split by source, with the tracker (rescaled) overlaid."""
        import matplotlib.pyplot as plt

        ts = self.trust_stock()
        if ax is None:
            _, ax = plt.subplots(figsize=(11, 3.5))
        for c in ts.columns[:-1]:
            ax.plot(ts.index, ts[c], lw=1, label=c)
        ax.plot(ts.index, ts["trust_stock"], color="black", lw=2, label="trust stock G")
        m = self.model
        if m.tracker:
            p = self.params
            q = m.data[m.tracker].to_numpy(dtype=float)
            mean, sd = m._tracker_stats
            implied = ((q - mean) / sd - p["tracker_a"]) / p["tracker_b"]
            ax.scatter(ts.index, implied, s=10, color="#c00000", label=f"{m.tracker} (on the G scale)")
        ax.legend(fontsize=7, ncol=4)
        ax.set_title("Trust stock")
        return ax

    def plot_fit(self, ax: Any = None, interval: float = 0.9) -> Any:
        """Actual vs fitted outcome, with the posterior predictive ``interval`` band."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(11, 3.5))
        m = self.model
        rep = self.sample_posterior_predictive(max_draws=300)
        lo, hi = (1 - interval) / 2, 1 - (1 - interval) / 2
        ax.fill_between(
            m.dates,
            rep.quantile(lo, axis=1),
            rep.quantile(hi, axis=1),
            color="#1f77b4",
            alpha=0.2,
            label=f"{interval:.0%} predictive interval",
        )
        ax.plot(m.dates, m.data[m.outcome].to_numpy(), color="black", lw=1, label="actual")
        ax.plot(
            m.dates, self.predict(), color="#1f77b4", label="fitted mean" + (" (MAP)" if self.posterior is None else "")
        )
        ax.set_ylabel(m.outcome)
        ax.legend(fontsize=8)
        return ax

    def plot_roi(self, ax: Any = None, **roi_args: Any) -> Any:
        """Short-term vs total (short + long) ROI per channel as bars, with credible
        intervals for a NUTS fit; ``roi_args`` go to :meth:`roi`. Needs a value per
        outcome (``value_per_outcome=`` here or on the model): without one a ROI is not
        defined (plot ``roi()["cost_per_incremental"]`` instead)."""
        import matplotlib.pyplot as plt

        if roi_args.get("value_per_outcome") is None and self.model.value_per_outcome is None:
            raise ValueError(
                "plot_roi needs the value of one unit of outcome: pass value_per_outcome=... (here or to "
                "TrustMMM); without it use roi()['cost_per_incremental']"
            )
        r = self.roi(**roi_args)
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 0.6 * len(r) + 1.5))
        y = np.arange(len(r))
        for off, col, label, color in (
            (-0.2, "roi_short", "short-term", "#ff7f0e"),
            (0.2, "roi_total", "short + long-term", "#1f77b4"),
        ):
            err = None
            if f"{col}_low" in r:
                err = np.vstack([r[col] - r[f"{col}_low"], r[f"{col}_high"] - r[col]]).clip(min=0)
            ax.barh(y + off, r[col], height=0.38, xerr=err, color=color, label=label, capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, [f"{c} ({r.loc[c, 'role']})" for c in r.index])
        ax.set_xlabel("ROI = (incremental value - spend) / spend")
        ax.legend(fontsize=8)
        ax.set_title("ROI: short-term vs including the trust stock's long-term effect")
        return ax

    def plot_response_curves(self, ax: Any = None, **curve_args: Any) -> Any:
        """Incremental outcome against spend per channel (:meth:`response_curves`), with
        the current spend marked and the credible band for a NUTS fit."""
        import matplotlib.pyplot as plt

        rc = self.response_curves(**curve_args)
        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4.5))
        for c, g in rc.groupby("channel", sort=False):
            line = ax.plot(g["spend"], g["incremental"], label=c)[0]
            if "incremental_low" in g:
                ax.fill_between(
                    g["spend"], g["incremental_low"], g["incremental_high"], color=line.get_color(), alpha=0.15
                )
            cur = g.loc[np.isclose(g["multiplier"], 1.0)]
            if len(cur):
                ax.scatter(cur["spend"], cur["incremental"], color=line.get_color(), zorder=3)
        ax.set_xlabel("spend over the data window")
        ax.set_ylabel(f"incremental {self.model.outcome}")
        ax.set_title("Response curves (dots: actual spend)")
        ax.legend(fontsize=8)
        return ax

    def plot_rf_frequency_curves(self, channel: str, ax: Any = None, **curve_args: Any) -> Any:
        """Incremental outcome of a reach-and-frequency channel against frequency
        (:meth:`rf_frequency_curves`; its arguments pass through): by multiplier of the
        data's frequency, or by target frequency at the same impressions with the optimum
        marked; the credible band for a NUTS fit."""
        import matplotlib.pyplot as plt

        fc = self.rf_frequency_curves(channel, **curve_args)
        x = "frequency" if "frequency" in fc else "multiplier"
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        line = ax.plot(fc[x], fc["incremental"], marker="o", label=channel)[0]
        if "incremental_low" in fc:
            ax.fill_between(fc[x], fc["incremental_low"], fc["incremental_high"], color=line.get_color(), alpha=0.15)
        if "optimal_frequency" in fc.attrs:
            ax.axvline(fc.attrs["optimal_frequency"], color=line.get_color(), ls="--", lw=1)
        ax.set_xlabel("frequency (same impressions)" if x == "frequency" else "frequency x multiplier (same reach)")
        ax.set_ylabel(f"incremental {self.model.outcome}")
        ax.set_title(f"{channel}: response to frequency")
        return ax

    def _repr_html_(self) -> str:
        m = self.model
        how = (
            "MAP (" + str(self.info.get("message", "")) + ")"
            if self.posterior is None
            else f"NUTS, {self.posterior.n_chains} chains x {self.posterior.n_draws} draws, "
            f"{self.posterior.divergences} divergences"
        )
        head = (
            f"<h4>TrustFit: {html.escape(m.outcome)} over {len(m.dates)} periods, "
            f"{len(m.channels)} channels, {html.escape(how)}</h4>"
        )
        return head + self.summary().to_html(float_format=lambda v: f"{v:,.4g}")

    def __repr__(self) -> str:
        return (
            f"TrustFit(outcome={self.model.outcome!r}, periods={len(self.model.dates)}, "
            f"channels={self.model.channels}, method={self.method!r})"
        )


def simulate_trust_data(
    periods: int = 156,
    *,
    seed: int = 0,
    delta: float = 0.92,
    gamma: float = 40.0,
    theta: float = 1.5,
    beta: Mapping[str, float] | None = None,
    noise: float = 8.0,
    tracker_every: int = 4,
    likelihood: str = "normal",
    extra_trust: int = 0,
    extra_conversion: int = 0,
    trust_form: str = "linear",
    trust_base: float = 0.3,
    inflow: float = 0.3,
    link: str = "identity",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Weekly data generated from the model itself, with known truth.

    Channels: ``press`` and ``events`` (trust), ``instagram`` and ``tiktok``
    (conversion). Returns ``(data, truth)``: data has columns week, conversions, the
    channels (spend), ``trust_survey`` (measured every ``tracker_every`` weeks) and
    ``crisis``; truth holds the parameters and the latent trust stock.

    ``likelihood`` draws the outcome as the model of that name would: ``"normal"``
    y = mu + N(0, noise); ``"lognormal"`` y = mu exp(s e - s^2/2) with s = ``noise`` / 200
    (8 gives 4% multiplicative noise); ``"negative_binomial"`` counts with mean mu and
    size phi = ``noise`` (so pass e.g. noise=30).

    ``extra_trust`` / ``extra_conversion`` add channels ``pr_1, pr_2, ...`` (trust, kappa
    weight 0.5 before the weights are normalised to sum 1) and ``smm_1, smm_2, ...``
    (conversion, beta 15), with their own seeded activity, adstock and saturation; with
    both 0 (default) the data are those of the four-channel world above. ``truth["roles"]``
    maps every channel to its role.

    ``trust_form="bounded"`` runs the bounded stock instead (TrustMMM's ``trust_form``):
    m = b + delta (G[t-1] - b), G[t] = exp(-omega crisis[t]) (m + (1 - m)(1 - exp(-rho
    u[t]))) with b = ``trust_base`` and rho = ``inflow`` (G[-1] = 0.3, omega 0.3).
    ``truth`` then also holds ``trust_base`` and ``inflow``.

    ``link="log"`` draws from TrustMMM's log link: mu = exp(ln base + gamma G +
    sum_s beta_s (1 + theta G) h_s), so ``gamma`` and ``beta`` are then log-scale lifts
    (pass e.g. ``gamma=0.4, beta={"instagram": 0.15, "tiktok": 0.1}``; the identity
    link's defaults 40 and 30 would overflow, so they are refused).
    ``truth["contribution"]`` then holds each conversion channel's exact effect, mu
    minus mu with that channel's term removed (no longer additive).
    """
    if link not in ("identity", "log"):
        raise ValueError(f"link must be 'identity' or 'log', got {link!r}")
    if link == "log" and (gamma > 5 or any(b > 5 for b in (beta or {"instagram": 30.0}).values())):
        raise ValueError(
            "link='log': gamma and beta are log-scale lifts; pass small values (e.g. gamma=0.4, "
            "beta={'instagram': 0.15, 'tiktok': 0.1}), not the identity link's defaults"
        )
    if trust_form not in ("linear", "bounded"):
        raise ValueError(f"trust_form must be 'linear' or 'bounded', got {trust_form!r}")
    if likelihood not in _LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {', '.join(_LIKELIHOODS)}, got {likelihood!r}")
    rng = np.random.default_rng(seed)
    beta = dict(beta or {"instagram": 30.0, "tiktok": 20.0})
    T = periods
    weeks = pd.date_range("2023-01-02", periods=T, freq="7D")

    def on(p: float) -> npt.NDArray[np.float64]:
        return (rng.random(T) < p).astype(float)

    x = {
        "press": on(0.35) * rng.gamma(3, 1000, T),
        "events": on(0.15) * rng.gamma(4, 1500, T),
        "instagram": on(0.6) * rng.gamma(3, 800, T),
        "tiktok": on(0.5) * rng.gamma(3, 600, T),
    }
    alpha = {"press": 0.4, "events": 0.3, "instagram": 0.2, "tiktok": 0.1}
    lam = {"press": 1.2, "events": 1.0, "instagram": 1.5, "tiktok": 2.0}
    kappa = {"press": 0.7, "events": 0.3}
    if extra_trust < 0 or extra_conversion < 0:
        raise ValueError("extra_trust and extra_conversion must be >= 0")
    extra_rng = np.random.default_rng([seed, 1])  # a separate stream: the default world is unchanged
    for k in range(1, extra_trust + 1):
        c = f"pr_{k}"
        x[c] = (extra_rng.random(T) < 0.3) * extra_rng.gamma(3, 1000, T)
        alpha[c], lam[c], kappa[c] = float(extra_rng.uniform(0.2, 0.5)), float(extra_rng.uniform(0.8, 1.6)), 0.5
    for k in range(1, extra_conversion + 1):
        c = f"smm_{k}"
        x[c] = (extra_rng.random(T) < 0.5) * extra_rng.gamma(3, 700, T)
        alpha[c], lam[c], beta[c] = float(extra_rng.uniform(0.05, 0.3)), float(extra_rng.uniform(1.0, 2.5)), 15.0
    total_kappa = sum(kappa.values())
    kappa = {c: v / total_kappa for c, v in kappa.items()}
    crisis = np.zeros(T)
    crisis[T // 2] = 1.0
    omega = 0.3
    L = 12
    from trustmix.transforms import geometric_adstock, logistic_saturation

    h = {}
    for c, v in x.items():
        scaled = v / v[v > 0].mean()
        h[c] = logistic_saturation(geometric_adstock(scaled, alpha=alpha[c], max_lag=L), lam=lam[c])
    G = np.zeros(T)
    prev = 0.3
    inflow_u = sum(kappa[p] * h[p] for p in kappa)
    for t in range(T):
        if trust_form == "linear":
            G[t] = delta * prev + (1 - delta) * inflow_u[t] - omega * crisis[t]
        else:
            mid = trust_base + delta * (prev - trust_base)
            G[t] = np.exp(-omega * crisis[t]) * (mid + (1 - mid) * (1 - np.exp(-inflow * inflow_u[t])))
        prev = G[t]
    periods_t = np.arange(T)
    base = 200 + 20 * np.sin(2 * np.pi * periods_t / (365.25 / 7)) + 10 * periods_t / T
    if link == "log":
        eta = np.log(base) + gamma * G + sum(beta[s] * (1 + theta * G) * h[s] for s in beta)
        mu = np.exp(eta)
        contribution = {s: mu - np.exp(eta - beta[s] * (1 + theta * G) * h[s]) for s in beta}
    else:
        mu = base + gamma * G + sum(beta[s] * (1 + theta * G) * h[s] for s in beta)
        contribution = {s: beta[s] * (1 + theta * G) * h[s] for s in beta}
    if likelihood == "normal":
        y = mu + rng.normal(0, noise, T)
    elif likelihood == "lognormal":
        s = noise / 200
        y = mu * np.exp(s * rng.standard_normal(T) - 0.5 * s * s)
    else:
        y = rng.negative_binomial(noise, noise / (noise + mu)).astype(float)
    survey = np.full(T, np.nan)
    idx = np.arange(0, T, tracker_every)
    survey[idx] = 30 + 40 * G[idx] + rng.normal(0, 1.0, len(idx))
    data = pd.DataFrame({"week": weeks, "conversions": y, **x, "trust_survey": survey, "crisis": crisis})
    truth = {
        "delta": delta,
        "gamma": gamma,
        "theta": theta,
        "beta": beta,
        "kappa": kappa,
        "alpha": alpha,
        "lam": lam,
        "omega": omega,
        "trust_stock": G,
        "mu": mu,
        "max_lag": L,
        "likelihood": likelihood,
        "noise": noise,
        "roles": {c: ("trust" if c in kappa else "conversion") for c in x},
        "contribution": contribution,
        "trust_form": trust_form,
        "link": link,
    }
    if trust_form == "bounded":
        truth.update(trust_base=trust_base, inflow=inflow)
    return data, truth
