"""trustmix.audience.three_step: the bias-corrected three-step approach (BCH and ML,
Vermunt 2010) against simulated truth, the one-step model, the naive (attenuated)
three-step estimate, and StepMix's three-step (if installed)."""

from __future__ import annotations

import pickle

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import trustmix as tm

ITEMS = [f"q{j}" for j in range(6)]
TRUE_BETA = (-0.3, 1.0)  # logit P(class 1 | x) = -0.3 + 1.0 x
TRUE_MEANS = (0.0, 1.0)  # y | class ~ N(mean, 0.5^2)
TRUE_PROBS = np.array([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5]])


def simulate(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Two classes, six binary items with P(yes) 0.3 / 0.75 (entropy about 0.5: the modal
    assignment misclassifies about 15%), covariate x, Gaussian and categorical outcomes."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = (rng.random(n) < 1 / (1 + np.exp(-(TRUE_BETA[0] + TRUE_BETA[1] * x)))).astype(int)
    df = pd.DataFrame({q: np.where(rng.random(n) < np.array([0.3, 0.75])[z], "yes", "no") for q in ITEMS})
    df["x"] = x
    df["y"] = np.asarray(TRUE_MEANS)[z] + 0.5 * rng.normal(size=n)
    u = rng.random(n)
    cum = TRUE_PROBS.cumsum(axis=1)[z]
    df["channel"] = np.array(["tv", "web", "social"])[(u[:, None] > cum).sum(axis=1)]
    df.index = [f"r{i}" for i in range(n)]
    return df, z


@pytest.fixture(scope="module")
def fitted():
    df, z = simulate(8000, 3)
    step1 = tm.audience.latent_classes(df, items=ITEMS, classes=2, starts=5, seed=1)[2]
    # Persona of true class 1: the one more likely to answer "yes".
    prof = step1.profiles()
    yes = prof.xs("yes", level="category").mean()
    hi = yes[step1.names].idxmax()
    lo = [n for n in step1.names if n != hi][0]
    return df, z, step1, lo, hi


def test_corrected_three_step_recovers_truth_and_naive_is_attenuated(fitted):
    df, z, step1, lo, hi = fitted
    n = len(df)
    one_step = tm.audience.latent_classes(
        df, items=ITEMS, classes=2, starts=5, seed=1, covariates=["x"], gaussian=["y"]
    )[2]
    gp = one_step.gaussian_profiles().loc[("y", "mean")]
    one_diff = gp.max() - gp.min()
    for assignment in ("modal", "proportional"):
        res = {
            c: step1.three_step(df, covariates=["x"], outcome="y", assignment=assignment, correction=c)
            for c in ("none", "bch", "ml")
        }
        naive = res["none"]
        # The naive estimate: attenuated far beyond sampling error (truth: difference 1, slope 1).
        nd = naive.outcome.loc[hi, "mean"] - naive.outcome.loc[lo, "mean"]
        assert nd < 1.0 - 6 * np.hypot(*naive.outcome["se"])
        slope_sign = 1 if step1.names[1] == hi else -1
        assert slope_sign * naive.coefficients.loc[(step1.names[1], "x"), "estimate"] < 0.9
        for c in ("bch", "ml"):
            r = res[c]
            o = r.outcome
            # Standard errors of order 1/sqrt(n): the tolerances scale with the sample size.
            assert 0.3 / np.sqrt(n) < o["se"].max() < 3.0 / np.sqrt(n)
            assert abs(o.loc[lo, "mean"] - TRUE_MEANS[0]) < 4 * o.loc[lo, "se"]
            assert abs(o.loc[hi, "mean"] - TRUE_MEANS[1]) < 4 * o.loc[hi, "se"]
            d = o.loc[hi, "mean"] - o.loc[lo, "mean"]
            assert abs(d - one_diff) < 3 * np.hypot(*o["se"])  # the one-step (simultaneous) estimate
            coef = r.coefficients.loc[(step1.names[1], "x")]
            assert abs(slope_sign * coef["estimate"] - TRUE_BETA[1]) < 4 * coef["se"]
            assert coef["p_value"] < 1e-10
            np.testing.assert_allclose(o["variance"], 0.25, atol=4 * o["variance_se"].max() + 0.01)
        assert res["ml"].converged


def test_categorical_outcome_and_result_object(fitted, tmp_path):
    df, z, step1, lo, hi = fitted
    naive = step1.three_step(df, outcome="channel", correction="none")
    ml = step1.three_step(df, outcome="channel")
    assert ml.outcome_kind == "categorical"
    truth = {("tv", 0): 0.6, ("web", 0): 0.3, ("social", 0): 0.1, ("tv", 1): 0.2, ("web", 1): 0.3, ("social", 1): 0.5}
    for (cat, k), p in truth.items():
        row = ml.outcome.loc[(hi if k else lo, cat)]
        assert abs(row["probability"] - p) < 4 * row["se"] + 1e-3

    def gap(r):
        return r.outcome.loc[(hi, "social"), "probability"] - r.outcome.loc[(lo, "social"), "probability"]

    assert gap(naive) < 0.4 - 0.05 and abs(gap(ml) - 0.4) < 0.05
    np.testing.assert_allclose(ml.outcome["probability"].groupby(level="persona").sum(), 1.0, atol=1e-12)
    # D: rows sum to 1; the same for every correction.
    D = ml.classification_error
    np.testing.assert_allclose(D.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(D.to_numpy(), naive.classification_error.to_numpy())
    # Result object: summary, html, pickle, plot.
    # The older bch() gives the same BCH means as three_step(correction="bch").
    b = step1.bch(df["y"]).xs("mean", axis=1, level=1).iloc[0]
    t = step1.three_step(df, outcome="y", correction="bch").outcome["mean"]
    np.testing.assert_allclose(b[t.index].to_numpy(), t.to_numpy(), atol=1e-12)
    assert ml.summary().loc["correction", "value"] == "ml"
    assert "ThreeStepResult" in ml._repr_html_()
    back = pickle.loads(pickle.dumps(ml))
    pd.testing.assert_frame_equal(back.outcome, ml.outcome)
    assert repr(back) == repr(ml)
    # A version-1 state (before typed results: the compiled result was a dict of these names)
    # still loads, with the same tables.
    keys = ["classification", "beta", "beta_se", "means", "means_se", "variances", "variances_se"]
    keys += ["probabilities", "probabilities_se", "class_shares", "objective", "parameters", "covariance"]
    keys += ["iterations", "converged", "warnings"]
    old = ml.__getstate__() | {"version": 1}
    old["res"] = {k: getattr(ml._res, k) for k in keys}
    v1 = object.__new__(type(ml))
    v1.__setstate__(old)
    pd.testing.assert_frame_equal(v1.outcome, ml.outcome)
    pd.testing.assert_frame_equal(v1.coefficients, ml.coefficients)
    assert repr(v1) == repr(ml) and v1.converged == ml.converged
    with pytest.raises(ValueError, match="unsupported ThreeStepResult pickle version 9"):
        v1.__setstate__(old | {"version": 9})
    ml.plot_outcome()


def test_three_step_bad_input(fitted):
    df, z, step1, lo, hi = fitted
    with pytest.raises(ValueError, match="covariates, an outcome or both"):
        step1.three_step(df)
    with pytest.raises(ValueError, match="'nope' is not in data"):
        step1.three_step(df, outcome="nope")
    with pytest.raises(ValueError, match="no row for 1 respondents"):
        step1.three_step(df.iloc[1:], outcome="y")
    with pytest.raises(ValueError, match="correction must be one of"):
        step1.three_step(df, outcome="y", correction="BCH2")
    bad = df.copy()
    bad.loc["r7", "x"] = np.nan
    with pytest.raises(ValueError, match="row 7, x: covariates must be finite"):
        step1.three_step(bad, covariates=["x"])
    # Missing outcomes drop out (NaN) instead of failing.
    miss = df.copy()
    miss.loc[miss.index[:100], "y"] = np.nan
    r = step1.three_step(miss, outcome="y")
    assert np.isfinite(r.outcome["mean"]).all()


def test_agrees_with_stepmix_three_step():
    """Step 3 from StepMix's own step-1 posterior: naive, BCH and (covariate) ML estimates
    equal StepMix's to 1e-5 (variances: StepMix adds reg_covar = 1e-6). For a Gaussian
    outcome StepMix's ML EM stops early (its log-likelihood of the assignments is lower
    than ours): our maximum is at least as high and the means agree within 0.25 SE (0.2 SE measured)."""
    pytest.importorskip("stepmix")
    from scipy.stats import norm
    from stepmix.stepmix import StepMix

    df, z = simulate(8000, 3)
    X = (df[ITEMS] == "yes").astype(int).to_numpy()
    for structural, Y, kw in (
        ("gaussian_diag", df[["y"]].to_numpy(), {"outcome": "y"}),
        ("covariate", df[["x"]].to_numpy(), {"covariates": ["x"]}),
    ):
        for correction in (None, "BCH", "ML"):
            sp = {"method": "newton-raphson", "max_iter": 100, "tol": 1e-10} if structural == "covariate" else {}
            sm = StepMix(
                n_components=2,
                measurement="binary",
                structural=structural,
                structural_params=sp,
                n_steps=3,
                correction=correction,
                assignment="modal",
                n_init=5,
                abs_tol=1e-12,
                rel_tol=1e-12,
                max_iter=20000,
                random_state=1,
                verbose=0,
                progress_bar=0,
            )
            sm.fit(X, Y)
            post = pd.DataFrame(sm.predict_proba(X), index=df.index, columns=["c0", "c1"])
            ours = tm.audience.three_step(post, df, correction=(correction or "none").lower(), **kw)
            p = sm.get_parameters()
            if structural == "covariate":
                b = np.asarray(p["structural"]["beta"])
                np.testing.assert_allclose(ours.coefficients["estimate"].to_numpy(), b[1] - b[0], atol=1e-5)
                continue
            o = ours.outcome
            sm_means = np.asarray(p["structural"]["means"]).ravel()
            sm_var = np.asarray(p["structural"]["covariances"]).ravel()
            if correction != "ML":
                np.testing.assert_allclose(o["mean"].to_numpy(), sm_means, atol=1e-8)
                np.testing.assert_allclose(o["variance"].to_numpy() + 1e-6, sm_var, atol=1e-8)
                continue
            D = ours.classification_error.to_numpy()
            s, y = post.to_numpy().argmax(axis=1), df["y"].to_numpy()

            def loglik(pi, mu, var, y=y, D=D, s=s):
                return np.log((pi * norm.pdf(y[:, None], mu, np.sqrt(var)) * D[:, s].T).sum(axis=1)).sum()

            assert ours.objective == pytest.approx(
                loglik(ours.class_shares.to_numpy(), o["mean"].to_numpy(), o["variance"].to_numpy()), abs=1e-6
            )
            assert ours.objective >= loglik(np.asarray(p["weights"]), sm_means, sm_var) - 1e-9
            assert np.all(np.abs(o["mean"].to_numpy() - sm_means) < 0.25 * o["se"].to_numpy())


def test_weights_series_is_matched_by_index_not_position(fitted):
    """Survey weights given as a Series in another order than the respondents must follow
    their index (they were once taken by position, so the wrong people got them)."""
    df, z, step1, lo, hi = fitted
    membership = step1.membership
    rng = np.random.default_rng(4)
    w = pd.Series(rng.uniform(0.5, 2.0, len(df)), index=df.index)
    aligned = tm.audience.three_step(membership, df, outcome="y", weights=w.reindex(membership.index).to_numpy())
    shuffled = tm.audience.three_step(membership, df, outcome="y", weights=w.iloc[::-1])
    pd.testing.assert_frame_equal(aligned.outcome, shuffled.outcome)
    with pytest.raises(ValueError, match="no weight for respondent"):
        tm.audience.three_step(membership, df, outcome="y", weights=w.iloc[1:])
    with pytest.raises(ValueError, match="one value per respondent"):
        tm.audience.three_step(membership, df, outcome="y", weights=w.to_numpy()[1:])
