"""Bandits by persona and off-policy evaluation. Allocation and simulation run in the C++
core (``trustmix::experiments``); this module holds settings and builds DataFrames."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from trustmix import _core

_STATE_VERSION = 1


class BanditRun:
    """A simulated bandit run on known truth.

    Attributes: ``regret`` (Series by batch: cumulative expected regret, sum over users of
    best mean - pulled mean for the user's persona), ``pulls`` and ``shares`` (DataFrames
    batch x persona x arm), ``spend`` (Series by batch), ``prob_best`` (DataFrame persona x
    arm at the end), ``lai_robbins`` (the asymptotic lower bound for the total users, one
    persona Bernoulli arms only), ``total_spend``, ``total_reward``.
    """

    def __init__(
        self,
        raw: _core.experiments.BanditSimulation,
        arms: list[Any],
        personas: list[Any],
        policy: str,
        means: npt.NDArray[Any],
    ):
        b, p, k = raw.batches, raw.personas, raw.arms
        idx = pd.MultiIndex.from_product([range(b), personas, arms], names=["batch", "persona", "arm"])
        self.pulls = pd.Series(np.asarray(raw.pulls), index=idx, name="users").unstack("arm")
        self.shares = pd.Series(np.asarray(raw.shares), index=idx, name="share").unstack("arm")
        self.regret = pd.Series(np.asarray(raw.cumulative_regret), name="cumulative_regret").rename_axis("batch")
        self.spend = pd.Series(np.asarray(raw.spend), name="spend").rename_axis("batch")
        self.prob_best = pd.DataFrame(np.asarray(raw.final_prob_best).reshape(p, k), index=personas, columns=arms)
        self.total_spend = float(raw.total_spend)
        self.total_reward = float(raw.total_reward)
        self.policy = policy
        users = float(self.pulls.to_numpy().sum())
        self.lai_robbins = (
            float(_core.experiments.lai_robbins_bound(means.reshape(p, k)[0], users))
            if p == 1 and np.all((means > 0) & (means < 1)) and users > 1
            else float("nan")
        )

    def summary(self) -> pd.DataFrame:
        """Users per persona x arm over the run, and the final P(best)."""
        users = self.pulls.groupby(level="persona").sum()
        return pd.concat({"users": users, "prob_best": self.prob_best}, axis=1)

    def plot(self, ax: Any = None) -> Any:
        """Cumulative regret by batch (and the Lai-Robbins bound's level for reference)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.regret.index, self.regret.to_numpy(), label=f"{self.policy} regret")
        if np.isfinite(self.lai_robbins):
            ax.axhline(self.lai_robbins, color="k", ls="--", label="Lai-Robbins bound at the end")
        ax.set_xlabel("batch")
        ax.set_ylabel("cumulative regret (conversions)")
        ax.legend(loc="best")
        return ax

    def _repr_html_(self) -> str:
        return (
            f"<b>Bandit run</b> ({html.escape(self.policy)}): regret {self.regret.iloc[-1]:.4g}, spend "
            f"{self.total_spend:.4g}" + self.summary().to_html(float_format=lambda v: f"{v:.4g}")
        )

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_version": _STATE_VERSION}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.pop("_version", None) != _STATE_VERSION:
            raise ValueError("cannot unpickle BanditRun: unsupported state version")
        self.__dict__.update(state)


class Bandit:
    """A multi-armed bandit over message variants, optionally by persona.

    Parameters
    ----------
    arms : list
        Arm labels (message framings, creatives).
    policy : {"thompson", "top_two_thompson", "ucb"}
        Thompson sampling: shares = P(arm is best) (exact, by quadrature, for a batch);
        top-two: psi_i = beta p_i + (1 - beta) p_i sum_{j != i} p_j / (1 - p_j) (Russo 2020);
        UCB1: mean + sd sqrt(2 log t / n).
    reward : {"bernoulli", "gaussian"}
    context : str, optional
        Column of persona labels: each persona gets its own allocation with partial
        pooling across personas: Bernoulli, a Beta prior centred on the arm's pooled rate;
        Gaussian, a Normal prior N(m_i, tau_i^2) (Normal-Normal model). Strength
        estimated by moments unless ``pooling`` pseudo-users is given (0: no pooling).
    floor : float
        Minimum traffic share of every arm (in [0, 1/K]).
    prior : (a, b)
        Beta prior of each arm's rate.
    seed : int
        Seed of :meth:`simulate` (deterministic on every platform and thread count).
    """

    def __init__(
        self,
        arms: Any,
        *,
        policy: str = "thompson",
        reward: str = "bernoulli",
        context: str | None = None,
        floor: float = 0.0,
        prior: tuple[float, float] = (1.0, 1.0),
        top_two_beta: float = 0.5,
        pooling: float | None = None,
        seed: int = 0,
    ) -> None:
        self.arms = list(arms)
        if len(self.arms) < 2:
            raise ValueError(f"arms: need at least 2, got {self.arms}")
        if policy not in ("thompson", "top_two_thompson", "ucb"):
            raise ValueError(f"policy must be 'thompson', 'top_two_thompson' or 'ucb', got {policy!r}")
        if reward not in ("bernoulli", "gaussian"):
            raise ValueError(f"reward must be 'bernoulli' or 'gaussian', got {reward!r}")
        self.policy, self.reward, self.context = policy, reward, context
        self.floor, self.prior, self.top_two_beta = float(floor), tuple(prior), float(top_two_beta)
        self.pooling = -1.0 if pooling is None else float(pooling)
        self.seed = int(seed)

    def allocate(
        self,
        history: pd.DataFrame,
        *,
        arm: str = "arm",
        users: str = "users",
        conversions: str = "conversions",
        total_sq: str | None = None,
        batch: int | None = None,
    ) -> pd.DataFrame:
        """Traffic shares for the next batch from the results so far (one row per arm, or
        per persona x arm with ``context``): a DataFrame persona x arm (or one row "all").

        ``conversions`` holds the sum of rewards per row (conversions for Bernoulli, the
        sum of values for Gaussian rewards, which also need ``total_sq``, the sum of
        squared values). Thompson-type policies give exact shares (P(best) by
        quadrature). With ``context`` each persona's prior is pooled across personas:
        Beta priors centred on the arm's pooled rate (Bernoulli; ``attrs
        ["pooling_strength"]`` in pseudo-users) or Normal priors N(m_i, tau_i^2) from the
        Normal-Normal moment estimator (Gaussian; ``attrs["between_persona_sd"]``). UCB
        needs ``batch`` (users in the next batch): each is assigned in turn to the arm with
        the highest UCB1 index, counting the batch's earlier assignments as pending pulls;
        the shares are the counts / batch.
        """
        for c in (arm, users, conversions) + ((total_sq,) if total_sq else ()):
            if c not in history.columns:
                raise ValueError(f"history has no column {c!r}; columns are {list(history.columns)}")
        if self.context and self.context not in history.columns:
            raise ValueError(f"history has no context column {self.context!r}; columns are {list(history.columns)}")
        unknown = set(history[arm]) - set(self.arms)
        if unknown:
            raise ValueError(f"history has arms {sorted(map(str, unknown))} that the bandit does not know")
        if self.reward == "gaussian" and total_sq is None:
            raise ValueError("allocate: Gaussian rewards need total_sq= (the column of sums of squared rewards)")
        if self.policy == "ucb" and (batch is None or int(batch) < 1):
            raise ValueError(f"allocate: UCB needs batch= (users in the next batch, >= 1), got {batch!r}")
        ucb_batch = 0.0 if batch is None else float(batch)  # checked above for UCB
        cols = [users, conversions] + ([total_sq] if total_sq else [])
        keys = [self.context, arm] if self.context else [arm]
        agg = history.groupby(keys, sort=False)[cols].sum()
        if self.context:
            tabs = {c: agg[c].unstack(arm).reindex(columns=self.arms).fillna(0.0) for c in cols}
            n = tabs[users]
            if self.policy == "ucb":
                rows = [
                    np.asarray(
                        _core.experiments.ucb_batch_shares(
                            n.loc[p].to_numpy(float),
                            tabs[conversions].loc[p].to_numpy(float),
                            tabs[total_sq].loc[p].to_numpy(float) if total_sq else None,
                            batch=ucb_batch,
                            reward=self.reward,
                            floor=self.floor,
                        )
                    )
                    for p in n.index
                ]
                return pd.DataFrame(rows, index=n.index, columns=self.arms)
            alloc = _core.experiments.allocation_by_persona(
                n.to_numpy(float),
                tabs[conversions].to_numpy(float),
                tabs[total_sq].to_numpy(float) if total_sq else None,
                policy=self.policy,
                reward=self.reward,
                prior_a=self.prior[0],
                prior_b=self.prior[1],
                top_two_beta=self.top_two_beta,
                floor=self.floor,
                pooling=self.pooling,
            )
            out = pd.DataFrame(alloc.shares, index=n.index, columns=self.arms)
            if self.reward == "gaussian":
                out.attrs["between_persona_sd"] = pd.Series(alloc.between_persona_sd, index=self.arms)
            else:
                out.attrs["pooling_strength"] = alloc.pooling_strength
            return out
        agg = agg.reindex(self.arms).fillna(0.0)
        sq = agg[total_sq].to_numpy(float) if total_sq is not None else None
        if self.policy == "ucb":
            w = _core.experiments.ucb_batch_shares(
                agg[users].to_numpy(float),
                agg[conversions].to_numpy(float),
                sq,
                batch=ucb_batch,
                reward=self.reward,
                floor=self.floor,
            )
        else:
            w = _core.experiments.allocation(
                agg[users].to_numpy(float),
                agg[conversions].to_numpy(float),
                sq,
                policy=self.policy,
                reward=self.reward,
                prior_a=self.prior[0],
                prior_b=self.prior[1],
                top_two_beta=self.top_two_beta,
                floor=self.floor,
            )
        return pd.DataFrame([np.asarray(w)], index=["all"], columns=self.arms)

    def simulate(
        self,
        truth: Any,
        *,
        users_per_batch: int = 1000,
        batches: int = 28,
        personas: Any = None,
        persona_weights: Any = None,
        sds: Any = None,
        costs: Any = None,
        budget: float | None = None,
        delay_mean: float = 0.0,
        delay_correction: bool = True,
        stream: int = 0,
    ) -> BanditRun:
        """Runs the bandit on known truth: ``truth`` is a DataFrame persona x arm (or an
        array of arm means) of true conversion rates (Bernoulli) or mean rewards.
        ``costs`` per user by arm and a total ``budget`` pace spend evenly over batches
        (hard cap); ``delay_mean`` is the mean conversion delay in batches (geometric)."""
        if isinstance(truth, pd.DataFrame):
            personas = list(truth.index)
            means = truth.reindex(columns=self.arms).to_numpy(float)
            if np.isnan(means).any():
                raise ValueError(f"truth must have a column for every arm {self.arms}")
        else:
            means = np.atleast_2d(np.asarray(truth, float))
            if personas is None:
                personas = list(range(means.shape[0])) if means.shape[0] > 1 else ["all"]
        if means.shape[1] != len(self.arms):
            raise ValueError(f"truth has {means.shape[1]} arms, the bandit {len(self.arms)}")
        raw = _core.experiments.simulate_bandit(
            means.ravel(),
            personas=means.shape[0],
            arms=len(self.arms),
            sds=None if sds is None else np.asarray(sds, float),
            persona_weights=None if persona_weights is None else np.asarray(persona_weights, float),
            users_per_batch=int(users_per_batch),
            batches=int(batches),
            costs=None if costs is None else np.asarray(costs, float),
            budget=float("inf") if budget is None else float(budget),
            delay_mean=float(delay_mean),
            delay_correction=delay_correction,
            contextual=self.context is not None or means.shape[0] == 1,
            policy=self.policy,
            reward=self.reward,
            prior_a=self.prior[0],
            prior_b=self.prior[1],
            top_two_beta=self.top_two_beta,
            floor=self.floor,
            pooling=self.pooling,
            seed=self.seed,
            stream=stream,
        )
        return BanditRun(raw, self.arms, personas, self.policy, means.ravel())


def ThompsonSampling(arms: Any, **kwargs: Any) -> Bandit:  # noqa: N802 (a constructor by name, as in API.md)
    """A :class:`Bandit` with Thompson sampling (P(best) shares)."""
    return Bandit(arms, policy="thompson", **kwargs)


def TopTwoThompson(arms: Any, **kwargs: Any) -> Bandit:  # noqa: N802
    """A :class:`Bandit` with top-two Thompson sampling (best-arm identification)."""
    return Bandit(arms, policy="top_two_thompson", **kwargs)


def UCB(arms: Any, **kwargs: Any) -> Bandit:  # noqa: N802
    """A :class:`Bandit` with UCB1."""
    return Bandit(arms, policy="ucb", **kwargs)


def off_policy_value(
    logged: pd.DataFrame,
    target: pd.DataFrame,
    *,
    action: str = "arm",
    reward: str = "reward",
    propensity: str = "propensity",
    context: str | None = None,
) -> pd.DataFrame:
    """Value of a target policy from a logged test (a DataFrame with value and std_error
    for ``ips`` and ``doubly_robust``).

    IPS: V = mean(pi(a|x) / mu(a|x) r); doubly robust: V = mean(sum_a pi(a|x) q(x, a) +
    pi(a|x) / mu(a|x) (r - q(x, a))) with q the mean logged reward of (x, a) from the other
    half of the rows (cross-fitting). ``target`` is a DataFrame context x arm of the target
    policy's probabilities (one row "all" without ``context``); ``propensity`` the logging
    probability of the logged arm.
    """
    arms = list(target.columns)
    for c in (action, reward, propensity) + ((context,) if context else ()):
        if c not in logged.columns:
            raise ValueError(f"logged data has no column {c!r}; columns are {list(logged.columns)}")
    a = pd.Categorical(logged[action], categories=arms)
    if (a.codes < 0).any():
        bad = logged.index[a.codes < 0][0]
        raise ValueError(f"row {bad!r}: arm {logged.loc[bad, action]!r} is not a column of target {arms}")
    x = None
    contexts = 1
    if context:
        cc = pd.Categorical(logged[context], categories=list(target.index))
        if (cc.codes < 0).any():
            bad = logged.index[cc.codes < 0][0]
            raise ValueError(f"row {bad!r}: context {logged.loc[bad, context]!r} is not a row of target")
        x = cc.codes.astype(np.int64)
        contexts = len(target.index)
    args = (
        a.codes.astype(np.int64),
        x,
        logged[reward].to_numpy(float),
        logged[propensity].to_numpy(float),
        target.to_numpy(float).ravel(),
        contexts,
        len(arms),
    )
    ips = _core.experiments.inverse_propensity(*args)
    dr = _core.experiments.doubly_robust(*args)
    return pd.DataFrame(
        {"value": [ips.value, dr.value], "std_error": [ips.std_error, dr.std_error]}, index=["ips", "doubly_robust"]
    )
