"""Personas from survey data: latent class analysis (C++ core) and its result objects."""

from __future__ import annotations

import html as _html
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from trustmix import _core
from trustmix.audience._survey import Encoded, encode, encode_like

__all__ = ["AudienceWarning", "LatentClassResult", "LatentClassSelection", "latent_classes"]

#: 2: the fit is the compiled LatentClassFit; 1: the fit was the dict the binding returned
#: before (the same names), read by __setstate__ too.
_STATE_VERSION = 2
_CRITERIA = ("bic", "sabic", "caic", "aic")


class AudienceWarning(UserWarning):
    """Inference from a latent class model that may mislead (empty classes, a best
    log-likelihood reached by one start only, no convergence, all-missing respondents)."""


class LatentClassResult:
    """A fitted K-class latent class model (one persona per class).

    Model: P(answers_i) = sum_k pi_k(x_i) prod_j theta_jk(y_ij) prod_g N(z_ig; mu_kg, s2_kg),
    class shares pi_k(x) = softmax(x beta)_k; missing answers drop out of the product
    (full information), survey weights multiply each respondent's log-likelihood.

    Attributes
    ----------
    classes : int
    log_likelihood : float
    parameters : int  (free parameters p)
    aic, bic, sabic, caic : float  (-2 LL + 2p, p log N, p log((N+2)/24), p (log N + 1))
    entropy : float  (relative entropy in [0, 1]; near 1 = classes well separated)
    membership : DataFrame  (respondents x personas: posterior probabilities, rows sum to 1)
    class_shares : Series  (persona -> share of the weighted sample)
    starts_at_best : int  (random starts that reached the best log-likelihood)
    """

    def __init__(self, fit: _core.audience.LatentClassFit, encoded: Encoded, settings: dict[str, Any]) -> None:
        self._fit = fit
        self._enc = encoded
        self.settings = dict(settings)
        k = int(fit.model["classes"])
        self.names = [f"Persona {i + 1}" for i in range(k)]
        self.descriptions = [""] * k
        self._auto_names()

    # -- scalar fit statistics -------------------------------------------------------
    @property
    def classes(self) -> int:
        return int(self._fit.model["classes"])

    @property
    def log_likelihood(self) -> float:
        return float(self._fit.log_likelihood)

    @property
    def parameters(self) -> int:
        return int(self._fit.parameters)

    @property
    def observations(self) -> float:
        return float(self._fit.observations)

    aic = property(lambda self: float(self._fit.aic))
    bic = property(lambda self: float(self._fit.bic))
    sabic = property(lambda self: float(self._fit.sabic))
    caic = property(lambda self: float(self._fit.caic))
    entropy = property(lambda self: float(self._fit.entropy))
    starts_at_best = property(lambda self: int(self._fit.starts_at_best))
    converged = property(lambda self: bool(self._fit.converged))
    iterations = property(lambda self: int(self._fit.iterations))
    warnings = property(lambda self: list(self._fit.warnings))

    @property
    def start_log_likelihoods(self) -> np.ndarray:
        """Final log-likelihood of every random start (-inf: a degenerate start)."""
        return np.asarray(self._fit.start_log_likelihoods, dtype=float)

    @property
    def log_likelihood_trace(self) -> np.ndarray:
        """Log-likelihood after each EM iteration of the best start (never decreases)."""
        return np.asarray(self._fit.log_likelihood_trace, dtype=float)

    @property
    def model(self) -> dict[str, Any]:
        """The model's parameters as plain arrays (the C++ LatentClassModel)."""
        return self._fit.model

    # -- tables ---------------------------------------------------------------------
    @property
    def class_shares(self) -> pd.Series:
        return pd.Series(np.asarray(self._fit.class_shares), index=pd.Index(self.names, name="persona"), name="share")

    @property
    def membership(self) -> pd.DataFrame:
        """Posterior membership probabilities P(persona | answers): respondents x personas."""
        return pd.DataFrame(
            np.asarray(self._fit.posterior), index=self._enc.index, columns=pd.Index(self.names, name="persona")
        )

    @property
    def modal(self) -> pd.Series:
        """Most probable persona of each respondent (hard labels; prefer ``membership``)."""
        post = np.asarray(self._fit.posterior)
        return pd.Series(
            np.asarray(self.names, dtype=object)[post.argmax(axis=1)], index=self._enc.index, name="persona"
        )

    def profiles(self) -> pd.DataFrame:
        """Item-response probabilities P(item = category | persona): rows (item, category),
        one column per persona, plus ``overall`` (the share-weighted average)."""
        rows, idx = [], []
        shares = np.asarray(self._fit.class_shares)
        for j, name in enumerate(self._enc.item_names):
            th = np.asarray(self.model["item_probabilities"][j])
            for c, label in enumerate(self._enc.categories[j]):
                rows.append(np.append(th[:, c], shares @ th[:, c]))
                idx.append((name, label))
        out = pd.DataFrame(
            rows, index=pd.MultiIndex.from_tuples(idx, names=["item", "category"]), columns=[*self.names, "overall"]
        )
        out.columns.name = "persona"
        return out

    def gaussian_profiles(self) -> pd.DataFrame:
        """Class means and standard deviations of the Gaussian indicators: rows
        (indicator, statistic in {mean, sd}), one column per persona."""
        means = np.asarray(self.model["means"])
        covs = [np.asarray(c) for c in self.model["covariances"]]
        rows, idx = [], []
        for g, name in enumerate(self._enc.gaussian_names):
            rows.append(means[:, g])
            idx.append((name, "mean"))
            rows.append(np.sqrt([c[g, g] for c in covs]))
            idx.append((name, "sd"))
        index = pd.MultiIndex.from_tuples(idx, names=["indicator", "statistic"]) if idx else None
        return pd.DataFrame(rows, index=index, columns=self.names)

    def segments(self, top: int = 3) -> pd.DataFrame:
        """A segment definition: for each persona the ``top`` item categories with the
        highest lift P(category | persona) / P(category | everyone) among those with
        probability >= 0.3. Columns persona, item, category, probability, overall, lift.
        Assign new respondents with :meth:`assign` (posterior probabilities)."""
        prof = self.profiles()
        rows = []
        for name in self.names:
            p = prof[name]
            lift = p / prof["overall"]
            cand = lift[(p >= 0.3) & (prof["overall"] > 0)].sort_values(ascending=False).head(top)
            for (item, cat), v in cand.items():
                rows.append(
                    {
                        "persona": name,
                        "item": item,
                        "category": cat,
                        "probability": float(p[(item, cat)]),
                        "overall": float(prof["overall"][(item, cat)]),
                        "lift": float(v),
                    }
                )
        return pd.DataFrame(rows, columns=["persona", "item", "category", "probability", "overall", "lift"])

    def _auto_names(self) -> None:
        seg = (
            self.segments(top=2)
            if self._enc.item_names
            else pd.DataFrame(columns=["persona", "item", "category", "lift"])
        )
        shares = np.asarray(self._fit.class_shares)
        for k, name in enumerate(list(self.names)):
            s = seg[seg["persona"] == name]
            traits = [f"{r.item}: {r.category}" for r in s.itertuples()]
            if traits:
                self.names[k] = f"P{k + 1} {' & '.join(traits)}"
            over = ", ".join(f"{r.item}: {r.category} (x{r.lift:.1f})" for r in s.itertuples())
            self.descriptions[k] = f"{shares[k]:.0%} of respondents" + (f"; over-index on {over}" if over else "")
        if len(set(self.names)) < len(self.names):
            self.names = [f"P{k + 1} {n}" if not n.startswith(f"P{k + 1} ") else n for k, n in enumerate(self.names)]

    def rename(self, names: Mapping[Any, str] | Sequence[str]) -> LatentClassResult:
        """Sets persona names (a list of K names, or a mapping persona index or old name ->
        new name). Names must stay unique. Returns self."""
        new = list(self.names)
        if isinstance(names, Mapping):
            for key, value in names.items():
                k = self.names.index(key) if isinstance(key, str) else int(key)
                new[k] = str(value)
        else:
            if len(names) != self.classes:
                raise ValueError(f"give {self.classes} names, got {len(names)}")
            new = [str(n) for n in names]
        if len(set(new)) != len(new):
            raise ValueError(f"persona names must be unique, got {new}")
        self.names = new
        return self

    def describe(self, persona: int | str, text: str) -> LatentClassResult:
        """Sets a persona's one-line description. Returns self."""
        k = self.names.index(persona) if isinstance(persona, str) else int(persona)
        self.descriptions[k] = str(text)
        return self

    def personas(self) -> pd.DataFrame:
        """One row per persona: name, share, description (what a marketer edits)."""
        return pd.DataFrame(
            {"persona": self.names, "share": np.asarray(self._fit.class_shares), "description": self.descriptions}
        )

    # -- use downstream -------------------------------------------------------------
    def assign(self, survey: pd.DataFrame) -> pd.DataFrame:
        """Posterior membership of new respondents (same item columns and categories)."""
        enc = encode_like(self._enc, survey)
        post = _core.audience.posterior(self.model, enc.core())
        return pd.DataFrame(post, index=survey.index, columns=pd.Index(self.names, name="persona"))

    def to_audiences(
        self,
        population: float,
        *,
        trust: tuple[str, Sequence[Any]] | None = None,
        sensitivity: tuple[str, Sequence[Any]] | None = None,
        channels: Mapping[str, tuple[str, Sequence[Any]]] | None = None,
    ) -> list[Any]:
        """The personas as :class:`trustmix.Audience` objects, the simulator's type.

        Field mapping (also in docs/audience.md): ``name`` = persona name; ``size`` =
        population x share, rounded to whole people; ``baseline_trust`` = P(trust item in the given
        categories | persona) (0.5 without ``trust``); ``trust_sensitivity`` =
        P(sensitivity item in categories | persona) / P(same | everyone) (1 without);
        ``reach[ch]`` = P(channel item in its "uses" categories | persona);
        ``affinity[ch]`` = reach / population-average reach (1 = average);
        ``base_conversion_rate`` and ``value_per_conversion`` = 0 (not measured by a
        survey); ``tags`` = source, class, share, description.

        Example: ``channels={"instagram": ("uses_instagram", ["daily", "weekly"])}``.
        """

        def spec(entry: Any, what: Any) -> Any:
            if entry is None:
                return None
            item, cats = entry
            if item not in self._enc.item_names:
                raise ValueError(f"{what}: {item!r} is not one of the model's items {self._enc.item_names}")
            j = self._enc.item_names.index(item)
            labels = self._enc.categories[j]
            missing = [c for c in cats if c not in labels]
            if missing:
                raise ValueError(f"{what}: categories {missing} are not categories of {item!r} ({labels})")
            return (j, [labels.index(c) for c in cats])

        chans = [(str(ch), *spec(v, f"channel {ch!r}")) for ch, v in (channels or {}).items()]
        return _core.audience.to_audiences(
            self.model,
            np.asarray(self._fit.class_shares),
            float(population),
            names=self.names,
            descriptions=self.descriptions,
            trust=spec(trust, "trust"),
            sensitivity=spec(sensitivity, "sensitivity"),
            channels=chans,
        )

    def bch(self, outcomes: pd.DataFrame | pd.Series) -> pd.DataFrame:
        """Class-specific outcome means by the bias-corrected three-step method (BCH:
        Bolck, Croon & Hagenaars 2004; Vermunt 2010), weighting respondents by the inverse
        classification-error matrix so that classification error does not attenuate the
        differences. Numeric columns give means; a categorical/object column gives one
        proportion per category. Standard errors treat the step-1 model as known.

        Returns a DataFrame: rows outcome (and category), columns (persona, mean|se)."""
        frame = outcomes.to_frame() if isinstance(outcomes, pd.Series) else outcomes
        cols, names = [], []
        for c in frame.columns:
            s = frame[c]
            if pd.api.types.is_numeric_dtype(s):
                cols.append(s.to_numpy(dtype=float))
                names.append((c, ""))
            else:
                for cat in sorted(s.dropna().unique().tolist()):
                    ind = (s == cat).astype(float).to_numpy()
                    ind[s.isna().to_numpy()] = np.nan
                    cols.append(ind)
                    names.append((c, cat))
        y = np.column_stack(cols)
        res = _core.audience.bch(np.asarray(self._fit.posterior), y, self._enc.weights)
        out = {}
        for k, p in enumerate(self.names):
            out[(p, "mean")] = res.means[k]
            out[(p, "se")] = res.standard_errors[k]
        return pd.DataFrame(out, index=pd.MultiIndex.from_tuples(names, names=["outcome", "category"]))

    def three_step(
        self,
        data: pd.DataFrame,
        *,
        covariates: Sequence[str] | None = None,
        outcome: str | None = None,
        outcome_kind: str = "auto",
        assignment: str = "modal",
        correction: str = "ml",
        max_iterations: int = 2000,
        tolerance: float = 1e-10,
    ) -> Any:
        """Relates the personas to covariates (membership logit) and/or a distal outcome by
        the bias-corrected three-step approach: this model is step 1, ``assignment``
        ("modal"/"proportional") step 2 with its classification-error matrix D, and step 3
        is corrected by ``correction`` ("ml": Vermunt 2010; "bch": Bolck, Croon & Hagenaars
        2004; "none": the naive, attenuated estimate). ``data`` has the survey's index;
        the survey weights are used. See :func:`trustmix.audience.three_step`.
        Returns a :class:`ThreeStepResult`."""
        from trustmix.audience._three_step import three_step

        return three_step(
            self.membership,
            data,
            covariates=covariates,
            outcome=outcome,
            outcome_kind=outcome_kind,
            assignment=assignment,
            correction=correction,
            weights=self._enc.weights,
            max_iterations=max_iterations,
            tolerance=tolerance,
        )

    # -- presentation ---------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Fit statistics as a one-column table."""
        return pd.Series(
            {
                "classes": self.classes,
                "log_likelihood": self.log_likelihood,
                "parameters": self.parameters,
                "observations": self.observations,
                "aic": self.aic,
                "bic": self.bic,
                "sabic": self.sabic,
                "caic": self.caic,
                "entropy": self.entropy,
                "starts": len(self.start_log_likelihoods),
                "starts_at_best": self.starts_at_best,
                "converged": self.converged,
                "iterations": self.iterations,
            },
            name="value",
        ).to_frame()

    def plot_profiles(self, ax: Any = None) -> Any:
        """Heat map of item-response probabilities (rows item: category, columns personas)."""
        import matplotlib.pyplot as plt

        prof = self.profiles().drop(columns="overall")
        if ax is None:
            _, ax = plt.subplots(figsize=(1.5 + 1.2 * self.classes, 0.3 * len(prof) + 1.5))
        im = ax.imshow(prof.to_numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=1)
        ax.set_yticks(range(len(prof)), [f"{i}: {c}" for i, c in prof.index])
        ax.set_xticks(
            range(self.classes),
            [f"{n}\n({s:.0%})" for n, s in zip(self.names, self.class_shares, strict=True)],
            rotation=30,
            ha="right",
        )
        ax.figure.colorbar(im, ax=ax, label="P(category | persona)")
        ax.set_title(f"Persona profiles ({self.classes} classes)")
        return ax

    def plot_membership(self, ax: Any = None) -> Any:
        """Histogram of each respondent's largest posterior probability (certainty)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.hist(np.asarray(self._fit.posterior).max(axis=1), bins=20, range=(0, 1))
        ax.set_xlabel("largest membership probability")
        ax.set_ylabel("respondents")
        return ax

    def __repr__(self) -> str:
        return (
            f"LatentClassResult({self.classes} classes, LL={self.log_likelihood:.4f}, BIC={self.bic:.2f}, "
            f"entropy={self.entropy:.3f}, {self.starts_at_best}/{len(self.start_log_likelihoods)} starts at best)"
        )

    def _repr_html_(self) -> str:
        return (
            f"<h4>{_html.escape(repr(self))}</h4>"
            + self.personas().to_html(index=False)
            + self.profiles().round(3).to_html()
        )

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": _STATE_VERSION,
            "fit": self._fit,
            "encoded": self._enc.__dict__,
            "settings": self.settings,
            "names": self.names,
            "descriptions": self.descriptions,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        version = state.get("version")
        if version not in (1, _STATE_VERSION):
            raise ValueError(f"unsupported LatentClassResult pickle version {version!r}")
        fit = state["fit"]
        if version == 1:  # the fit as a dict of the LatentClassFit's attributes
            fit = _core.audience.LatentClassFit.__new__(_core.audience.LatentClassFit)
            fit.__setstate__((1, dict(state["fit"])))
        self._fit = fit
        self._enc = Encoded(**state["encoded"])
        self.settings = state["settings"]
        self.names = state["names"]
        self.descriptions = state["descriptions"]


class LatentClassSelection:
    """Latent class models for several class counts, with model selection.

    ``table`` has one row per K: log_likelihood, parameters, aic, bic, sabic, caic,
    entropy, starts_at_best; ``best`` is the model with the smallest ``criterion``.
    """

    def __init__(
        self, models: dict[int, LatentClassResult], criterion: str, encoded: Encoded, settings: dict[str, Any]
    ) -> None:
        self.models = models
        self.criterion = criterion
        self._enc = encoded
        self.settings = settings

    @property
    def table(self) -> pd.DataFrame:
        rows = []
        for k, m in self.models.items():
            rows.append(
                {
                    "classes": k,
                    "log_likelihood": m.log_likelihood,
                    "parameters": m.parameters,
                    "aic": m.aic,
                    "bic": m.bic,
                    "sabic": m.sabic,
                    "caic": m.caic,
                    "entropy": m.entropy,
                    "starts_at_best": m.starts_at_best,
                }
            )
        return pd.DataFrame(rows).set_index("classes")

    @property
    def best(self) -> LatentClassResult:
        t = self.table
        return self.models[int(cast(int, t[self.criterion].idxmin()))]

    def __getitem__(self, k: int) -> LatentClassResult:
        return self.models[k]

    def bootstrap_lrt(self, classes: int, replicates: int = 99, starts: int = 5, seed: int = 0) -> dict[str, Any]:
        """Parametric bootstrap likelihood-ratio test of ``classes - 1`` against
        ``classes`` (McLachlan 1987; Nylund et al. 2007): a small p-value favours
        ``classes``. Returns statistic, p_value (Monte Carlo, standard error about
        sqrt(p(1-p)/replicates)), replicates and both log-likelihoods."""
        s = self.settings
        r = _core.audience.bootstrap_lrt(
            self._enc.core(),
            classes=int(classes),
            replicates=int(replicates),
            starts=int(starts),
            max_iterations=s["max_iterations"],
            tolerance=s["tolerance"],
            seed=int(seed),
            threads=s["threads"],
            covariance=s["covariance"],
        )
        return {
            "classes": r.classes,
            "statistic": r.statistic,
            "replicates": r.replicates.tolist(),
            "p_value": r.p_value,
            "log_likelihood_null": r.log_likelihood_null,
            "log_likelihood_alternative": r.log_likelihood_alternative,
        }

    def summary(self) -> pd.DataFrame:
        t = self.table
        t["best"] = t.index == int(cast(int, t[self.criterion].idxmin()))
        return t

    def plot(self, ax: Any = None) -> Any:
        """Information criteria against the number of classes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        t = self.table
        for c in _CRITERIA:
            ax.plot(t.index, t[c], marker="o", label=c.upper())
        ax.set_xlabel("classes")
        ax.set_ylabel("criterion (lower is better)")
        ax.legend()
        return ax

    def __repr__(self) -> str:
        return f"LatentClassSelection(classes={list(self.models)}, best={self.best.classes} by {self.criterion})"

    def _repr_html_(self) -> str:
        return f"<h4>{_html.escape(repr(self))}</h4>" + self.summary().to_html()


def latent_classes(
    survey: pd.DataFrame,
    items: Sequence[str] = (),
    classes: int | Iterable[int] = range(2, 7),
    starts: int = 20,
    *,
    gaussian: Sequence[str] | None = None,
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    categories: dict[str, Sequence[Any]] | None = None,
    covariance: str = "diagonal",
    criterion: str = "bic",
    seed: int = 0,
    threads: int = 0,
    max_iterations: int = 5000,
    tolerance: float = 1e-10,
    screening_iterations: int = 0,
    final_starts: int = 0,
) -> LatentClassSelection:
    """Personas from survey data by latent class analysis (poLCA's/StepMix's model).

    Parameters
    ----------
    survey : DataFrame, one row per respondent.
    items : categorical answer columns (missing answers: NaN/None; kept, full information).
    classes : a class count or several (each fitted; the best by ``criterion``).
    starts : random EM starts per class count (run in parallel; deterministic for ``seed``).
    gaussian : continuous indicator columns (class-specific normal; NaN = missing).
    covariates : numeric columns predicting membership (multinomial logit, intercept added).
    weights : survey-weight column (>= 0); weights multiply each respondent's log-likelihood.
    covariance : "diagonal" (local independence) or "full" (mclust's VVV; no missing).
    criterion : "bic", "sabic", "caic" or "aic" to choose ``best``.
    screening_iterations, final_starts : two-stage starts (Mplus's STARTS = s f).
    tolerance : EM stops when LL rises by less than tolerance * ``|LL|``.

    Returns
    -------
    LatentClassSelection; ``.best`` is a :class:`LatentClassResult`.

    Warns :class:`AudienceWarning` when inference may mislead (see the class).
    Raises ValueError for bad input: unknown columns, an item with one category, negative
    weights, more classes than the data can identify.
    """
    if criterion not in _CRITERIA:
        raise ValueError(f"criterion must be one of {_CRITERIA}, got {criterion!r}")
    ks = [int(classes)] if isinstance(classes, (int, np.integer)) else [int(k) for k in classes]
    if not ks:
        raise ValueError("classes is empty")
    enc = encode(survey, items, gaussian=gaussian, covariates=covariates, weights=weights, categories=categories)
    settings: dict[str, Any] = {
        "starts": int(starts),
        "seed": int(seed),
        "threads": int(threads),
        "covariance": covariance,
        "max_iterations": int(max_iterations),
        "tolerance": float(tolerance),
        "screening_iterations": int(screening_iterations),
        "final_starts": int(final_starts),
    }
    models: dict[int, LatentClassResult] = {}
    core_survey = enc.core()
    for k in ks:
        fit = _core.audience.fit_latent_classes(core_survey, classes=k, **settings)
        for w in fit.warnings:
            warnings.warn(f"{k} classes: {w}", AudienceWarning, stacklevel=2)
        models[k] = LatentClassResult(fit, enc, {**settings, "classes": k})
    return LatentClassSelection(models, criterion, enc, settings)
