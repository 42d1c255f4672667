"""Result objects: credits as DataFrames, summaries, plots, HTML and pickling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["AttributionResult", "RolesResult", "Comparison", "channel_attributes", "rollup"]

_UNASSIGNED = "(unassigned)"


def channel_attributes(plan: Any) -> pd.DataFrame:
    """Channel -> PESO category and role, from a trustmix Plan, a list of Channels, a
    mapping name -> Channel, or a DataFrame with columns channel, peso, role."""
    if isinstance(plan, pd.DataFrame):
        missing = {"channel", "peso", "role"} - set(plan.columns)
        if missing:
            raise ValueError(f"plan table lacks column(s) {sorted(missing)}")
        return plan[["channel", "peso", "role"]].astype(str).reset_index(drop=True)
    channels = plan.channels if hasattr(plan, "channels") else plan
    if isinstance(channels, dict):
        channels = list(channels.values())
    rows = []
    for ch in channels:
        if not all(hasattr(ch, a) for a in ("name", "peso", "role")):
            raise ValueError(f"plan channels need name, peso and role; got {ch!r}")
        rows.append({"channel": str(ch.name), "peso": str(ch.peso), "role": str(ch.role)})
    return pd.DataFrame(rows, columns=["channel", "peso", "role"])


def rollup(credits: pd.DataFrame, plan: Any, by: str = "peso") -> pd.DataFrame:
    """Sums a credits table (channel, conversions, value) by PESO category or by role.

    Channels absent from the plan are grouped under "(unassigned)" (never dropped).
    Returns columns ``by``, conversions, value, share (of conversions).
    """
    if by not in ("peso", "role"):
        raise ValueError(f"by must be 'peso' or 'role', got {by!r}")
    attrs = channel_attributes(plan).set_index("channel")
    group = credits["channel"].map(attrs[by]).fillna(_UNASSIGNED)
    out = credits.groupby(group.to_numpy(), sort=True)[["conversions", "value"]].sum()
    out.index.name = by
    out = out.reset_index()
    total = out["conversions"].sum()
    out["share"] = out["conversions"] / total if total > 0 else np.nan
    return out


def _credits_frame(channels: Any, conversions: Any, value: Any) -> pd.DataFrame:
    conv = np.asarray(conversions, dtype=np.float64)
    total = conv.sum()
    return pd.DataFrame(
        {
            "channel": list(channels),
            "conversions": conv,
            "value": np.asarray(value, dtype=np.float64),
            "share": conv / total if total > 0 else np.full(conv.shape, np.nan),
        }
    )


class AttributionResult:
    """Credit of one attribution model.

    Attributes
    ----------
    model : str
        Model name (``first_touch``, ``markov``, ``shapley``, ...).
    settings : dict
        The settings the model ran with.
    credits : pandas.DataFrame
        One row per channel: ``channel``, ``conversions`` (credited conversions),
        ``value`` (credited conversion value, currency), ``share`` (of total conversions).
    removal_effects : pandas.DataFrame or None
        Markov: ``channel``, ``removal_effect`` = 1 - P(conv | channel removed) / P(conv).
    transition_matrix : pandas.DataFrame or None
        Markov: row-normalised transition probabilities, states x states (with (start),
        (conversion) and (null)).
    transitions : pandas.DataFrame or None
        Markov: long form ``from``, ``to``, ``probability``, ``count``.
    conversion_probability : float or None
        Markov: P(conversion) from (start).
    extra : dict
        Model-specific tables (e.g. ``ordered`` for ordered Shapley).
    """

    def __init__(
        self,
        model: str,
        settings: dict[str, Any],
        channels: Any,
        conversions: Any,
        value: Any,
        *,
        per_journey: Callable[[], pd.DataFrame] | pd.DataFrame | None = None,
        removal_effects: Any = None,
        transitions: Callable[[], pd.DataFrame] | pd.DataFrame | None = None,
        conversion_probability: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.settings = dict(settings)
        self.credits = _credits_frame(channels, conversions, value)
        self._per_journey = per_journey
        self.removal_effects = (
            None
            if removal_effects is None
            else pd.DataFrame({"channel": list(channels), "removal_effect": np.asarray(removal_effects, np.float64)})
        )
        self._transitions = transitions
        self.conversion_probability = conversion_probability
        self.extra = extra or {}

    @property
    def transitions(self) -> pd.DataFrame | None:
        """Markov transitions in long form: from, to, probability, count (built on first use)."""
        if callable(self._transitions):
            self._transitions = self._transitions()
        return self._transitions

    @property
    def transition_matrix(self) -> pd.DataFrame | None:
        if self.transitions is None:
            return None
        t = self.transitions
        states = list(self.extra.get("states", dict.fromkeys(list(t["from"]) + ["(conversion)", "(null)"])))
        m = t.pivot_table(index="from", columns="to", values="probability", aggfunc="sum", fill_value=0.0)
        rows = [s for s in states if s not in ("(conversion)", "(null)")]
        cols = [s for s in states if s != "(start)"]
        out = m.reindex(index=rows, columns=cols, fill_value=0.0)
        out.index.name, out.columns.name = "from", "to"
        return out

    def per_journey(self) -> pd.DataFrame:
        """Credit per journey and channel (long form).

        Columns ``journey`` (row of the journey store), ``channel``, ``conversions``,
        ``value``, plus the journeys' ``info`` columns (user, end_time) when built from
        events. For rule-based models and Shapley (count game) these rows add up to the
        channel credits; for Markov each journey's conversions are split over its channels
        in proportion to their removal effects.
        """
        if self._per_journey is None:
            raise ValueError(f"{self.model}: per-journey credit needs the journeys (the result came from statistics)")
        if callable(self._per_journey):
            self._per_journey = self._per_journey()
        return self._per_journey

    def rollup(self, plan: Any, by: str = "peso") -> pd.DataFrame:
        """Credit summed by PESO category (``by="peso"``) or role (``by="role"``) of a Plan."""
        return rollup(self.credits, plan, by)

    def summary(self) -> pd.DataFrame:
        """Credits sorted by conversions, with totals in ``attrs``."""
        out = self.credits.sort_values("conversions", ascending=False).reset_index(drop=True)
        out.attrs["model"] = self.model
        out.attrs["total_conversions"] = float(self.credits["conversions"].sum())
        out.attrs["total_value"] = float(self.credits["value"].sum())
        return out

    def plot(self, ax: Any = None, what: str = "conversions") -> Any:
        """Horizontal bar chart of credit by channel; returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        if what not in ("conversions", "value", "share"):
            raise ValueError(f"what must be 'conversions', 'value' or 'share', got {what!r}")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.35 * len(self.credits) + 1.2))
        d = self.credits.sort_values(what)
        ax.barh(d["channel"], d[what], color="tab:blue")
        ax.set_xlabel(f"credited {what}")
        ax.set_title(f"{self.model} attribution")
        return ax

    def plot_transitions(self, ax: Any = None) -> Any:
        """Heatmap of the Markov transition matrix; returns the Axes."""
        import matplotlib.pyplot as plt

        m = self.transition_matrix
        if m is None:
            raise ValueError(f"{self.model} has no transition matrix")
        if ax is None:
            _, ax = plt.subplots(figsize=(0.4 * m.shape[1] + 2, 0.4 * m.shape[0] + 1.5))
        im = ax.imshow(m.to_numpy(), cmap="viridis", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(m.shape[1]), m.columns, rotation=90)
        ax.set_yticks(range(m.shape[0]), m.index)
        ax.set_xlabel("to")
        ax.set_ylabel("from")
        ax.figure.colorbar(im, ax=ax, label="transition probability")
        return ax

    def __repr__(self) -> str:
        return (
            f"AttributionResult(model={self.model!r}, channels={len(self.credits)}, "
            f"conversions={self.credits['conversions'].sum():g})"
        )

    def _repr_html_(self) -> str:
        extra = ""
        if self.conversion_probability is not None:
            extra = f" P(conversion) = {self.conversion_probability:.6g}."
        return f"<p><b>{self.model}</b> attribution {self.settings}.{extra}</p>" + self.summary().to_html(index=False)

    def __getstate__(self) -> dict[str, Any]:
        _ = self.transitions  # materialise
        state = dict(self.__dict__)
        if callable(state["_per_journey"]):
            try:
                state["_per_journey"] = state["_per_journey"]()
            except ValueError:
                state["_per_journey"] = None
        state["_version"] = 1
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.pop("_version", None) != 1:
            raise ValueError("cannot unpickle AttributionResult: unsupported state version")
        self.__dict__.update(state)


class RolesResult:
    """Who introduces, who assists, who closes.

    ``table`` has one row per channel: ``introducer``, ``assist``, ``closer``, ``sole``
    (conversions-weighted touch counts: first touch, middle touches and last touch of
    converting journeys with two or more touches, and the only touch of single-touch
    ones), their shares (``*_share``, summing to 1 per channel), and first- and last-touch
    credit. With a plan, ``peso`` and ``role`` columns and the roll-ups ``by_peso`` and
    ``by_role`` are added.
    """

    def __init__(self, table: pd.DataFrame, plan: Any = None):
        self.table = table
        self.by_peso = None
        self.by_role = None
        if plan is not None:
            attrs = channel_attributes(plan).set_index("channel")
            self.table = table.assign(
                peso=table["channel"].map(attrs["peso"]).fillna(_UNASSIGNED),
                role=table["channel"].map(attrs["role"]).fillna(_UNASSIGNED),
            )
            cols = ["introducer", "assist", "closer", "sole", "first_touch", "last_touch"]
            self.by_peso = self._shares(self.table.groupby("peso")[cols].sum().reset_index())
            self.by_role = self._shares(self.table.groupby("role")[cols].sum().reset_index())

    @staticmethod
    def _shares(t: pd.DataFrame) -> pd.DataFrame:
        total = t[["introducer", "assist", "closer", "sole"]].sum(axis=1).replace(0.0, np.nan)
        for c in ("introducer", "assist", "closer", "sole"):
            t[f"{c}_share"] = t[c] / total
        return t

    def summary(self) -> pd.DataFrame:
        return self.table

    def plot(self, ax: Any = None, by: str = "channel") -> Any:
        """Stacked bars of introducer / assist / closer / sole shares (by channel, peso or role)."""
        import matplotlib.pyplot as plt

        t = {"channel": self.table, "peso": self.by_peso, "role": self.by_role}.get(by)
        if t is None:
            raise ValueError(f"by must be 'channel', or 'peso' / 'role' with a plan; got {by!r}")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.35 * len(t) + 1.2))
        left = np.zeros(len(t))
        for c, color in (
            ("introducer", "tab:green"),
            ("assist", "tab:gray"),
            ("closer", "tab:red"),
            ("sole", "tab:purple"),
        ):
            vals = t[f"{c}_share"].fillna(0.0).to_numpy()
            ax.barh(t[by].astype(str), vals, left=left, label=c, color=color)
            left += vals
        ax.set_xlabel("share of conversions-weighted touches")
        ax.legend(loc="lower right", fontsize="small")
        ax.set_title("channel roles")
        return ax

    def __repr__(self) -> str:
        return f"RolesResult({len(self.table)} channels)"

    def _repr_html_(self) -> str:
        html = "<p><b>Channel roles</b></p>" + self.table.to_html(index=False)
        if self.by_role is not None:
            html += "<p>by role</p>" + self.by_role.to_html(index=False)
        return html


class Comparison:
    """Every model side by side: ``credits`` is a channel x model table of conversions
    (``value`` the same for conversion value, ``share`` of total conversions)."""

    def __init__(self, results: dict[str, AttributionResult]):
        self.results = results
        frames = {k: r.credits.set_index("channel") for k, r in results.items()}
        self.credits = pd.DataFrame({k: f["conversions"] for k, f in frames.items()})
        self.value = pd.DataFrame({k: f["value"] for k, f in frames.items()})
        self.share = self.credits / self.credits.sum(axis=0)
        self.credits.index.name = self.value.index.name = self.share.index.name = "channel"

    def rollup(self, plan: Any, by: str = "peso") -> pd.DataFrame:
        """Conversions by PESO category or role for every model (rows: category)."""
        return pd.DataFrame({k: r.rollup(plan, by).set_index(by)["conversions"] for k, r in self.results.items()})

    def summary(self) -> pd.DataFrame:
        return self.credits

    def plot(self, ax: Any = None, what: str = "share") -> Any:
        """Grouped bars: credit by channel for every model; returns the Axes."""
        import matplotlib.pyplot as plt

        t = {"share": self.share, "conversions": self.credits, "value": self.value}.get(what)
        if t is None:
            raise ValueError(f"what must be 'share', 'conversions' or 'value', got {what!r}")
        if ax is None:
            _, ax = plt.subplots(figsize=(max(6, 0.9 * len(t)), 4))
        width = 0.8 / max(1, t.shape[1])
        x = np.arange(len(t))
        for i, col in enumerate(t.columns):
            ax.bar(x + i * width, t[col].to_numpy(), width=width, label=col)
        ax.set_xticks(x + 0.4 - width / 2, t.index, rotation=45, ha="right")
        ax.set_ylabel(what)
        ax.legend(fontsize="small", ncol=2)
        ax.set_title("credit by model")
        return ax

    def __repr__(self) -> str:
        return f"Comparison(models={list(self.results)})"

    def _repr_html_(self) -> str:
        return "<p><b>Attribution models compared</b> (conversions)</p>" + self.credits.to_html()
