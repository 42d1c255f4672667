"""Attribution models as functions: journeys (or statistics) in, result objects out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from trustmix import _core
from trustmix.attribution._journeys import Journeys
from trustmix.attribution._results import AttributionResult, Comparison, RolesResult
from trustmix.attribution._statistics import Statistics

__all__ = [
    "first_touch",
    "last_touch",
    "last_non",
    "linear",
    "time_decay",
    "position_based",
    "markov",
    "shapley",
    "simplified_shapley",
    "ordered_shapley",
    "roles",
    "compare",
    "select_order",
]


def _check_journeys(journeys: Any, what: str) -> Journeys:
    if not isinstance(journeys, Journeys):
        raise ValueError(f"{what} needs Journeys (Journeys.from_paths / from_events), got {type(journeys).__name__}")
    return journeys


def _per_journey_frame(journeys: Journeys, d: _core.attribution.Credit) -> pd.DataFrame:
    names = np.asarray(journeys.channels, dtype=object)
    out = pd.DataFrame(
        {
            "journey": d.journey,
            "channel": names[d.channel] if len(d.channel) else np.asarray([], dtype=object),
            "conversions": d.journey_conversions,
            "value": d.journey_value,
        }
    )
    if journeys.info is not None:
        info = journeys.info.iloc[out["journey"].to_numpy()].reset_index(drop=True)
        out = pd.concat([out, info], axis=1)
    return out


def _threads(threads: Any) -> int:
    """The ``threads`` argument checked (an integer >= 0; 0 = all cores)."""
    if isinstance(threads, (bool, np.bool_)) or not isinstance(threads, (int, np.integer)) or not 0 <= threads < 2**31:
        raise ValueError(f"threads must be an integer >= 0 (0 = all cores), got {threads!r}")
    return int(threads)


def _choice(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of the strings ``allowed``, else a ValueError naming ``name``."""
    if not isinstance(value, str) or value not in allowed:
        listed = ", ".join(repr(a) for a in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ValueError(f"{name} must be {listed}, got {value!r}")
    return value


def _weight(value: Any, name: str) -> float:
    """``value`` as a float if it is a real number (not a bool) in [0, 1], else a ValueError naming ``name``."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not 0.0 <= float(value) <= 1.0
    ):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def _statistics_for(
    data: Any, orders: Iterable[int] = (1,), collapse_repeats: bool = True, threads: int = 0, contents: str = "all"
) -> Any:
    threads = _threads(threads)
    if isinstance(data, Statistics):
        return data
    if isinstance(data, Journeys):
        return Statistics.from_journeys(
            data, orders=orders, collapse_repeats=collapse_repeats, contents=contents, threads=threads
        )
    raise ValueError(f"expected Journeys or Statistics, got {type(data).__name__}")


def _rule(journeys: Any, model: str, settings: dict[str, Any], threads: int, **kw: Any) -> AttributionResult:
    threads = _threads(threads)
    if isinstance(journeys, Statistics):  # a distributed run: default settings only
        d = _core.attribution.rule_based_from_statistics(journeys._state, model)
        return AttributionResult(model, settings, d.channels, d.conversions, d.value)
    j = _check_journeys(journeys, model)
    d = _core.attribution.rule_based(j._store, model, threads=threads, **kw)

    def per_journey() -> pd.DataFrame:
        return _per_journey_frame(
            j, _core.attribution.rule_based(j._store, model, per_journey=True, threads=threads, **kw)
        )

    return AttributionResult(model, settings, d.channels, d.conversions, d.value, per_journey=per_journey)


def first_touch(journeys: Journeys | Statistics, threads: int = 0) -> AttributionResult:
    """First-touch attribution: each journey's conversions and value go to its first touch.

    Accepts :class:`Journeys` or :class:`Statistics` (then without per-journey credit).
    """
    return _rule(journeys, "first_touch", {}, threads)


def last_touch(journeys: Journeys | Statistics, threads: int = 0) -> AttributionResult:
    """Last-touch attribution: each journey's conversions and value go to its last touch."""
    return _rule(journeys, "last_touch", {}, threads)


def last_non(journeys: Journeys | Statistics, excluded_channel: str = "direct", threads: int = 0) -> AttributionResult:
    """Last non-X touch: credit to the last touch that is not ``excluded_channel`` (e.g.
    "direct"); a journey made only of that channel credits it."""
    return _rule(
        journeys, "last_non", {"excluded_channel": excluded_channel}, threads, excluded_channel=excluded_channel
    )


def linear(journeys: Journeys | Statistics, unique: bool = False, threads: int = 0) -> AttributionResult:
    """Linear attribution: each of a journey's L touches gets 1/L of its conversions and
    value (repeats count); with ``unique=True`` each of its U distinct channels gets 1/U."""
    model = "linear_unique" if unique else "linear"
    return _rule(journeys, model, {"unique": unique}, threads)


def time_decay(journeys: Journeys | Statistics, half_life: float = 7.0, threads: int = 0) -> AttributionResult:
    """Time-decay attribution: touch weight proportional to 2^(-age / half_life), age in
    days between the touch and the conversion; ``half_life`` in days (default 7, the usual
    ad-platform default). Needs journeys built with :meth:`Journeys.from_events`."""
    if not (isinstance(half_life, (int, float)) and np.isfinite(half_life) and half_life > 0):
        raise ValueError(f"half_life must be a number of days > 0, got {half_life!r}")
    return _rule(journeys, "time_decay", {"half_life": float(half_life)}, threads, half_life=float(half_life))


def position_based(
    journeys: Journeys | Statistics, first_weight: float = 0.4, last_weight: float = 0.4, threads: int = 0
) -> AttributionResult:
    """Position-based (U-shaped) attribution: ``first_weight`` to the first touch,
    ``last_weight`` to the last, the rest spread evenly over the middle touches; a
    two-touch journey splits first_weight : last_weight (50/50 by default), one touch gets
    everything. From :class:`Statistics` only the default 40/20/40 is available."""
    first_weight, last_weight = _weight(first_weight, "first_weight"), _weight(last_weight, "last_weight")
    settings = {"first_weight": first_weight, "last_weight": last_weight}
    if isinstance(journeys, Statistics) and (first_weight, last_weight) != (0.4, 0.4):
        raise ValueError("from Statistics only position_based(first_weight=0.4, last_weight=0.4) is available")
    return (
        _rule(journeys, "position_based", settings, threads, first_weight=first_weight, last_weight=last_weight)
        if isinstance(journeys, Journeys)
        else _rule(journeys, "position_based", settings, threads)
    )


def markov(
    journeys: Journeys | Statistics,
    order: int = 1,
    collapse_repeats: bool = True,
    solver: str = "auto",
    tolerance: float = 1e-13,
    threads: int = 0,
) -> AttributionResult:
    """Markov-chain attribution of order ``order`` solved exactly (Anderl et al. 2016).

    States are (start), the last ``order`` channels of the path so far, and the absorbing
    (conversion) and (null); transition probabilities are row-normalised journey weights
    (conversions + nulls along the path, conversions into (conversion), nulls into
    (null)). P(conversion) = ((I - Q)^-1 R)[start, conversion] is solved with a sparse LU;
    removing channel k sends every transition into a state containing k to (null), and
    ``RE_k = 1 - P(conv | k removed) / P(conv)`` (= P(path visits k | converts)). Credit is
    ``RE_k / sum_j RE_j`` times total conversions (value). Deterministic: no simulation.

    Parameters
    ----------
    journeys : Journeys or Statistics
        Statistics must have counted ``order`` (``Statistics(orders=[...])``).
    order : int
        Markov order k >= 1.
    collapse_repeats : bool
        A channel repeated in a row is one state (default). Ignored for Statistics (they
        carry their own setting).
    solver : {"auto", "direct", "iterative"}
        "direct": sparse LU, exact up to rounding. "iterative": Gauss-Seidel sweeps stopped
        when the estimated remaining error of every absorption probability is below
        ``tolerance`` times its size (falls back to LU if it does not converge). "auto"
        (default): direct up to 1500 transient states, iterative above (the LU fill-in of
        higher-order chains grows quickly). ``settings["direct"]`` reports what was used.
    """
    if isinstance(order, (bool, np.bool_)) or not isinstance(order, (int, np.integer)) or not 1 <= order <= 8:
        raise ValueError(f"order must be an integer in [1, 8], got {order!r}")
    threads = _threads(threads)
    solver = _choice(solver, "solver", ("auto", "direct", "iterative"))
    if not isinstance(tolerance, (int, float, np.floating)) or not 0 < tolerance < 1:
        raise ValueError(f"tolerance must be a number in (0, 1), got {tolerance!r}")
    if isinstance(journeys, Journeys):  # counted straight into the chain (same numbers as via Statistics)
        d = _core.attribution.markov_journeys(
            journeys._store,
            order=int(order),
            collapse_repeats=bool(collapse_repeats),
            threads=threads,
            solver=solver,
            tolerance=tolerance,
        )
        collapsed = bool(collapse_repeats)
    else:
        st = _statistics_for(journeys, [int(order)], collapse_repeats, threads, contents="transitions")
        d = _core.attribution.markov(st._state, order=int(order), threads=threads, solver=solver, tolerance=tolerance)
        collapsed = st.collapse_repeats
    labels = np.asarray(d.state_labels, dtype=object)

    def transitions() -> pd.DataFrame:
        return pd.DataFrame(
            {"from": labels[d.from_state], "to": labels[d.to_state], "probability": d.probability, "count": d.count}
        )

    per_journey = None
    if isinstance(journeys, Journeys):
        weights = np.asarray(d.removal_effects, dtype=np.float64)

        def per_journey() -> pd.DataFrame:
            return _per_journey_frame(
                journeys, _core.attribution.proportional_per_journey(journeys._store, weights.tolist())
            )

    settings = {"order": int(order), "collapse_repeats": collapsed, "solver": solver, "direct": bool(d.direct)}
    return AttributionResult(
        "markov" if order == 1 else f"markov_{order}",
        settings,
        d.channels,
        d.conversions,
        d.value,
        per_journey=per_journey,
        removal_effects=d.removal_effects,
        transitions=transitions,
        conversion_probability=float(d.conversion_probability),
        extra={"states": list(d.state_labels)},
    )


def shapley(
    journeys: Journeys | Statistics,
    value_function: str = "count",
    unseen: str = "zero",
    max_channels: int = 24,
    threads: int = 0,
) -> AttributionResult:
    """Full Shapley-value attribution, exact over all 2^n channel coalitions.

    ``value_function="count"``: v(S) = sum over T subset of S of R(T), R(T) the conversions
    of journeys whose distinct channels are exactly T (Zhao et al. 2018); this equals
    simplified Shapley exactly. ``"rate"``: v(S) = conversion rate of journeys whose channel
    set is exactly S (needs non-converting journeys); coalitions no journey has are valued
    0 (``unseen="zero"``) or at the best rate of an observed subset (``"max_subset"``), and
    the Shapley values are scaled to total conversions. ``phi_i = sum over S without i of
    |S|!(n-|S|-1)!/n! [v(S+i) - v(S)]`` via subset-sum transforms, O(2^n n); more than
    ``max_channels`` (<= 30) channels raise ValueError.
    """
    value_function = _choice(value_function, "value_function", ("count", "rate"))
    unseen = _choice(unseen, "unseen", ("zero", "max_subset"))
    if (
        isinstance(max_channels, (bool, np.bool_))
        or not isinstance(max_channels, (int, np.integer))
        or not 1 <= max_channels <= 30
    ):
        raise ValueError(
            f"max_channels must be an integer in [1, 30] (2^max_channels coalitions), got {max_channels!r}"
        )
    max_channels = int(max_channels)
    threads = _threads(threads)
    st = _statistics_for(journeys, threads=threads, contents="sets")
    d = _core.attribution.shapley(
        st._state, value_function=value_function, unseen=unseen, max_channels=max_channels, threads=threads
    )
    per_journey = None
    if isinstance(journeys, Journeys):
        weights = np.ones(len(d.channels)) if value_function == "count" else np.asarray(d.shapley_values)

        def per_journey() -> pd.DataFrame:
            return _per_journey_frame(
                journeys, _core.attribution.proportional_per_journey(journeys._store, weights.tolist())
            )

    return AttributionResult(
        "shapley" if value_function == "count" else "shapley_rate",
        {"value_function": value_function, "unseen": unseen},
        d.channels,
        d.conversions,
        d.value,
        per_journey=per_journey,
        extra={"shapley_values": d.shapley_values},
    )


def simplified_shapley(journeys: Journeys | Statistics, threads: int = 0) -> AttributionResult:
    """Simplified Shapley: ``phi_j = sum over channel sets S containing j of R(S)/|S|`` (each
    journey's conversions split equally over its distinct channels). Any number of channels."""
    st = _statistics_for(journeys, threads=threads, contents="sets")
    d = _core.attribution.simplified_shapley(st._state)
    per_journey = None
    if isinstance(journeys, Journeys):

        def per_journey() -> pd.DataFrame:
            ones = [1.0] * len(journeys.channels)
            return _per_journey_frame(journeys, _core.attribution.proportional_per_journey(journeys._store, ones))

    return AttributionResult("simplified_shapley", {}, d.channels, d.conversions, d.value, per_journey=per_journey)


def ordered_shapley(journeys: Journeys | Statistics, threads: int = 0) -> AttributionResult:
    """Ordered Shapley: each converting journey gives 1/U of its conversions to each of its
    U distinct channels, split evenly over that channel's occurrences, and the credit is
    kept by touch position. ``credits`` are the channel totals (= simplified Shapley);
    ``extra["by_position"]`` is the channel x position table (positions from 1);
    ``per_journey()`` is at channel level (each journey split equally over its channels)."""
    st = _statistics_for(journeys, threads=threads, contents="ordered")
    d = _core.attribution.ordered_shapley(st._state)
    conv = np.asarray(d.conversions)
    by_position = pd.DataFrame(
        conv,
        index=pd.Index(d.channels, name="channel"),
        columns=pd.RangeIndex(1, conv.shape[1] + 1, name="position"),
    )
    per_journey = None
    if isinstance(journeys, Journeys):

        def per_journey() -> pd.DataFrame:  # channel level: each journey split equally over its channels
            ones = [1.0] * len(journeys.channels)
            return _per_journey_frame(journeys, _core.attribution.proportional_per_journey(journeys._store, ones))

    return AttributionResult(
        "ordered_shapley",
        {},
        d.channels,
        conv.sum(axis=1),
        np.asarray(d.value).sum(axis=1),
        per_journey=per_journey,
        extra={"by_position": by_position},
    )


def roles(journeys: Journeys | Statistics, plan: Any = None, threads: int = 0) -> RolesResult:
    """Introducer / assist / closer roles of each channel, rolled up by PESO and role.

    For converting journeys with L >= 2 touches, the first touch is an introducer, the last
    a closer and the ones between assists; a single touch is ``sole``. Each touch counts
    with its journey's conversions. ``plan`` (a trustmix Plan, list of Channels or a table
    with channel, peso, role) adds the PESO category and role (trust / conversion / both)
    and the roll-ups ``by_peso`` and ``by_role``.
    """
    st = _statistics_for(journeys, threads=threads, contents="channels")
    d = _core.attribution.roles(st._state)
    t = pd.DataFrame(
        {
            "introducer": d.introducer,
            "assist": d.assist,
            "closer": d.closer,
            "sole": d.sole,
            "first_touch": d.first_touch,
            "last_touch": d.last_touch,
        }
    )
    t.insert(0, "channel", d.channels)
    t = RolesResult._shares(t)
    return RolesResult(t, plan)


_DEFAULT_MODELS = ("first_touch", "last_touch", "linear", "position_based", "time_decay", "markov", "shapley")


def compare(
    journeys: Journeys | Statistics, models: Iterable[str] | None = None, order: int = 1, threads: int = 0
) -> Comparison:
    """Every model side by side.

    ``models`` from first_touch, last_touch, last_non, linear, linear_unique, time_decay
    (skipped without timestamps when not asked for explicitly), position_based, markov,
    markov_<k>, shapley, simplified_shapley, ordered_shapley. Default: first_touch,
    last_touch, linear, position_based, time_decay, markov (of ``order``) and shapley
    (skipped above 24 channels).
    """
    explicit = models is not None
    if isinstance(models, str):  # compare(j, models="markov") means one model, not five letters
        models = [models]
    names = list(models) if models is not None else list(_DEFAULT_MODELS)
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"models must be model names (str), got {name!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"models lists a model twice: {names}")
    results: dict[str, AttributionResult] = {}
    for name in names:
        if name == "time_decay" and not explicit and not (isinstance(journeys, Journeys) and journeys.has_times):
            continue
        n_channels = len(journeys.channels)
        if name == "shapley" and not explicit and n_channels > 24:
            continue
        if name == "first_touch":
            r = first_touch(journeys, threads)
        elif name == "last_touch":
            r = last_touch(journeys, threads)
        elif name == "last_non":
            r = last_non(journeys, threads=threads)
        elif name == "linear":
            r = linear(journeys, threads=threads)
        elif name == "linear_unique":
            r = linear(journeys, unique=True, threads=threads)
        elif name == "time_decay":
            r = time_decay(journeys, threads=threads)
        elif name == "position_based":
            r = position_based(journeys, threads=threads)
        elif name == "markov":
            r = markov(journeys, order=order, threads=threads)
            name = r.model
        elif name.startswith("markov_") and name[7:].isdigit():
            r = markov(journeys, order=int(name[7:]), threads=threads)
        elif name == "shapley":
            r = shapley(journeys, threads=threads)
        elif name == "simplified_shapley":
            r = simplified_shapley(journeys, threads=threads)
        elif name == "ordered_shapley":
            r = ordered_shapley(journeys, threads=threads)
        else:
            raise ValueError(
                f"unknown model {name!r}; models are first_touch, last_touch, last_non, linear, "
                "linear_unique, time_decay, position_based, markov, markov_<k>, shapley, "
                "simplified_shapley, ordered_shapley"
            )
        results[name] = r
    return Comparison(results)


def select_order(
    journeys: Journeys, orders: Iterable[int] = (1, 2, 3, 4), holdout: float = 0.3, seed: int = 0
) -> pd.DataFrame:
    """Compares Markov orders by held-out log-likelihood of the paths.

    Journeys are split at random (``seed``) into a training part (1 - holdout) and a
    held-out part. For each order the chain is counted on the training part, and each
    held-out journey scores conversions * log P(path, (conversion)) + nulls * log P(path,
    (null)) under it. Transition probabilities use add-one (Laplace) smoothing over the
    row's C + 2 possible targets, so unseen transitions and channels have a finite cost.
    Returns one row per order: ``order``, ``log_likelihood`` (total), ``per_journey`` (per
    weighted held-out journey) and ``n_states`` (transient states of the trained chain);
    higher log-likelihood is better.
    """
    j = _check_journeys(journeys, "select_order")
    if not 0 < holdout < 1:
        raise ValueError(f"holdout must be in (0, 1), got {holdout!r}")
    orders = [int(k) for k in orders]
    if not orders or min(orders) < 1:
        raise ValueError(f"orders must be integers >= 1, got {orders!r}")
    test_mask = np.random.default_rng(seed).random(len(j)) < holdout
    train, test = j[~test_mask], j[test_mask]
    stats = Statistics.from_journeys(train, orders=orders, contents="transitions")
    rows = []
    for k in orders:
        ll, weight = _core.attribution.markov_log_likelihood(stats._state, test._store, order=k)
        n_states = len(_core.attribution.markov(stats._state, order=k).state_labels) - 2
        rows.append(
            {"order": k, "log_likelihood": ll, "per_journey": ll / weight if weight else np.nan, "n_states": n_states}
        )
    return pd.DataFrame(rows)
