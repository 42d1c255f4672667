"""trustmix.experiments: anchors (GrowthBook's 49/100 vs 51/100, exact P(best) with
Jeffreys priors, ldbounds' O'Brien-Fleming boundaries), closed forms and consistency
between the raw-row and summary paths. Data are synthetic, generated here with a seed."""

import pickle

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix import experiments as ex


def _rows(rates, n, seed, personas=None):
    rng = np.random.default_rng(seed)
    frames = []
    for p, prs in (personas or {"all": rates}).items():
        for arm, rate in prs.items():
            frames.append(pd.DataFrame({"persona": p, "arm": arm, "converted": (rng.random(n) < rate).astype(float)}))
    return pd.concat(frames, ignore_index=True)


def test_effect_posterior_growthbook_anchor():
    e = ex.effect_posterior(0.49, 0.49 * 0.51 / 100, 0.51, 0.51 * 0.49 / 100)
    assert e["mean"] == pytest.approx(0.04082, abs=1e-5)
    assert e["sd"] == pytest.approx(0.14725, abs=1e-5)
    assert e["chance_to_win"] == pytest.approx(0.60918, abs=1e-5)


def test_compare_arms_jeffreys_anchor_and_fixed():
    s = pd.DataFrame({"arm": ["a", "b", "c"], "users": [1500, 1200, 1000], "conversions": [80, 80, 50]})
    res = ex.compare_arms(s, conversions="conversions", prior=(0.5, 0.5))
    assert res.table["prob_best"].to_numpy() == pytest.approx([0.06542, 0.89335, 0.04123], abs=1e-5)
    # Fixed: z-test on the same counts, p-values by the closed form.
    f = ex.compare_arms(s, conversions="conversions", method="fixed")
    p0, p1 = 80 / 1500, 80 / 1200
    se = np.sqrt(p0 * (1 - p0) / 1500 + p1 * (1 - p1) / 1200)
    from scipy.stats import norm

    assert f.table["p_value"].iloc[1] == pytest.approx(2 * norm.sf((p1 - p0) / se), rel=1e-10)
    assert f.table["p_adjusted"].iloc[1:].to_numpy() == pytest.approx(ex.adjust_pvalues(f.table["p_value"].iloc[1:]))


def test_ab_test_raw_rows_equal_summary_path():
    df = _rows({"control": 0.05, "fun": 0.065, "easy": 0.05}, 4000, seed=1)
    res = ex.ab_test(df, arm="arm", metric="converted", control="control")
    sums = df.groupby("arm", sort=True)["converted"].agg(["size", "sum"]).reset_index()
    sums = pd.concat([sums[sums["arm"] == "control"], sums[sums["arm"] != "control"]])
    ref = ex.compare_arms(sums, users="size", conversions="sum", arm="arm", control="control")
    a = res.table.set_index("arm")
    b = ref.table.set_index("arm")
    for col in ["chance_to_beat_control", "prob_best", "expected_loss", "relative_lower", "relative_upper"]:
        assert a[col].sort_index().to_numpy() == pytest.approx(b[col].sort_index().to_numpy(), rel=1e-9, abs=1e-12)
    # Probabilities of being best add up to 1; posterior means are Beta(1 + c, 1 + n - c) means.
    assert a["prob_best"].sum() == pytest.approx(1.0, abs=1e-9)
    c = sums.set_index("arm")
    assert a.loc["fun", "mean"] == pytest.approx((1 + c.loc["fun", "sum"]) / (2 + c.loc["fun", "size"]), rel=1e-12)
    assert "fun" in res.decision()


def test_segments_metrics_holm_and_srm_warning():
    df = _rows(None, 3000, seed=2, personas={"skeptic": {"a": 0.04, "b": 0.06}, "fan": {"a": 0.10, "b": 0.10}})
    df["clicks"] = np.random.default_rng(3).poisson(2.0, len(df)).astype(float)
    res = ex.ab_test(df, arm="arm", metric=["converted", "clicks"], segment="persona", method="fixed", metric_type=None)
    t = res.table[~res.table["control"]]
    assert len(t) == 4
    assert t["p_adjusted"].to_numpy() == pytest.approx(ex.adjust_pvalues(t["p_value"].to_numpy(), "holm"))
    # Skewed assignment: 3000 vs 2500 users is a sample-ratio mismatch.
    skew = pd.concat([df[df["arm"] == "a"], df[df["arm"] == "b"].iloc[:2500]])
    with pytest.warns(ex.InferenceWarning, match="sample-ratio mismatch"):
        r2 = ex.ab_test(skew, arm="arm", metric="converted")
    assert bool(r2.srm["mismatch"].iloc[0])
    assert "sample-ratio mismatch" in r2.decision()


def test_cuped_narrows_interval_and_keeps_the_mean():
    rng = np.random.default_rng(4)
    n = 4000
    pre = rng.normal(10, 3, 2 * n)
    arm = np.repeat(["control", "treat"], n)
    y = 0.8 * pre + rng.normal(0, 2, 2 * n) + np.where(arm == "treat", 0.3, 0.0)
    df = pd.DataFrame({"arm": arm, "revenue": y, "pre": pre})
    plain = ex.ab_test(df, arm="arm", metric="revenue", method="fixed").table.iloc[1]
    cuped = ex.ab_test(df, arm="arm", metric="revenue", method="fixed", covariate="pre").table.iloc[1]
    width = lambda r: r["lift_upper"] - r["lift_lower"]  # noqa: E731
    rho2 = np.corrcoef(pre, y)[0, 1] ** 2
    assert width(cuped) < 0.7 * width(plain)
    assert width(cuped) / width(plain) == pytest.approx(np.sqrt(1 - rho2), rel=0.05)
    assert abs(cuped["lift"] - 0.3) < 3 * (cuped["lift_upper"] - cuped["lift"]) / 1.96


def test_ratio_metric_and_capping():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"arm": np.repeat(["a", "b"], 500), "imps": rng.integers(1, 20, 1000).astype(float)})
    df["clicks"] = rng.binomial(df["imps"].astype(int), np.where(df["arm"] == "a", 0.1, 0.12)).astype(float)
    res = ex.ab_test(df, arm="arm", metric="clicks", denominator="imps", method="fixed").table
    g = df.groupby("arm")[["clicks", "imps"]].sum()
    ratio = g["clicks"] / g["imps"]
    assert res["mean"].to_numpy() == pytest.approx(ratio.to_numpy(), rel=1e-12)
    assert res["lift"].iloc[1] == pytest.approx(ratio["b"] - ratio["a"], rel=1e-12)
    # Capping at the 99th percentile of all rows: the capped means.
    rev = pd.DataFrame({"arm": np.repeat(["a", "b"], 2000), "rev": rng.lognormal(0, 2, 4000)})
    capped = ex.ab_test(rev, arm="arm", metric="rev", cap=0.99, method="fixed").table
    c = np.quantile(rev["rev"], 0.99)
    expect = rev.assign(rev=np.minimum(rev["rev"], c)).groupby("arm")["rev"].mean()
    assert capped["mean"].to_numpy() == pytest.approx(expect.to_numpy(), rel=1e-12)


def test_sequential_path_is_always_valid_shape():
    df = _rows({"a": 0.05, "b": 0.05}, 6000, seed=6)
    df["day"] = np.tile(np.arange(20), len(df) // 20 + 1)[: len(df)]
    res = ex.ab_test(df, arm="arm", metric="converted", method="sequential", time="day")
    p = res.path
    assert len(p) == 20
    assert np.all(np.diff(p["p_value"]) <= 0)  # running minimum
    assert np.all(np.diff(p["lower"]) >= 0)  # intersected confidence sequence
    assert np.all(np.diff(p["upper"]) <= 0)
    assert res.table["p_value"].iloc[1] == p["p_value"].iloc[-1]


def test_group_sequential_design_and_test():
    d = ex.group_sequential_design(5)
    assert d.bounds == pytest.approx([4.877, 3.357, 2.680, 2.290, 2.031], abs=5e-4)  # published to 3 decimals
    assert d.table["stop_prob_null"].sum() == pytest.approx(0.05, abs=1e-6)
    ss = ex.sample_size(0.01, baseline=0.05, method="group_sequential")
    fixed = ex.sample_size(0.01, baseline=0.05)["users_per_arm"]
    assert ss["users_per_arm"] == pytest.approx(fixed * d.inflation, rel=1e-12)
    assert fixed == pytest.approx(
        (1.959963984540054 + 0.8416212335729143) ** 2 * (0.05 * 0.95 + 0.06 * 0.94) / 1e-4, rel=1e-10
    )
    df = _rows({"a": 0.05, "b": 0.09}, 5000, seed=7)
    df["week"] = np.tile(np.arange(5), 2000)
    res = ex.ab_test(df, arm="arm", metric="converted", method="group_sequential", time="week", planned_users=5000)
    path = res.path
    assert path["fraction"].to_numpy() == pytest.approx(np.arange(1, 6) / 5)
    assert path["bound"].to_numpy() == pytest.approx(d.bounds, rel=1e-9)
    assert bool(res.table["significant"].iloc[1])
    assert ex.sample_size(0.01, baseline=0.05, method="sequential")["users_per_arm"] > fixed


def test_result_objects_plot_html_pickle():
    df = _rows({"a": 0.05, "b": 0.07}, 3000, seed=8)
    res = ex.ab_test(df, arm="arm", metric="converted")
    assert res.summary().index.names == ["segment", "metric", "arm"]
    ax = res.plot()
    assert len(ax.lines) >= 1
    assert "<table" in res._repr_html_()
    back = pickle.loads(pickle.dumps(res))
    pd.testing.assert_frame_equal(back.table, res.table)
    state = res.__getstate__()
    state["_version"] = 99
    with pytest.raises(ValueError, match="state version"):
        ex.ABTestResult.__new__(ex.ABTestResult).__setstate__(state)
    d = ex.group_sequential_design(4)
    assert pickle.loads(pickle.dumps(d)).bounds == pytest.approx(d.bounds)
    assert d.plot(z_path=[1.0, 2.0]) is not None


def _persona_history() -> pd.DataFrame:
    """Two personas, two arms: a is better for x (10% vs 6%), b for y (9% vs 4%)."""
    return pd.DataFrame(
        {
            "persona": ["x", "x", "y", "y"],
            "arm": ["a", "b", "a", "b"],
            "users": [500, 500, 500, 500],
            "conversions": [50, 30, 20, 45],
        }
    )


def test_bandit_allocation_simulation_and_ope():
    b = ex.ThompsonSampling(["a", "b", "c"], prior=(0.5, 0.5))
    hist = pd.DataFrame({"arm": ["a", "b", "c"], "users": [1500, 1200, 1000], "conversions": [80, 80, 50]})
    assert b.allocate(hist).iloc[0].to_numpy() == pytest.approx([0.06542, 0.89335, 0.04123], abs=1e-5)
    ctx = ex.ThompsonSampling(["a", "b"], context="persona", floor=0.05)
    h2 = _persona_history()
    sh = ctx.allocate(h2)
    assert sh.sum(axis=1).to_numpy() == pytest.approx([1.0, 1.0])
    assert sh.loc["x", "a"] > 0.9 and sh.loc["y", "b"] > 0.9
    assert sh.to_numpy().min() >= 0.05 - 1e-12
    truth = pd.DataFrame({"a": [0.10, 0.04], "b": [0.05, 0.09]}, index=["x", "y"])
    run1 = ctx.simulate(truth, users_per_batch=500, batches=10)
    run2 = ctx.simulate(truth, users_per_batch=500, batches=10)
    pd.testing.assert_series_equal(run1.regret, run2.regret)
    assert run1.prob_best.loc["x", "a"] > 0.9
    assert pickle.loads(pickle.dumps(run1)).total_reward == run1.total_reward
    assert run1.plot() is not None and "<table" in run1._repr_html_()
    # Off-policy: with the target equal to the logging policy, IPS is the mean reward.
    rng = np.random.default_rng(9)
    logged = pd.DataFrame({"arm": rng.choice(["a", "b"], 1000, p=[0.3, 0.7])})
    logged["propensity"] = np.where(logged["arm"] == "a", 0.3, 0.7)
    logged["reward"] = rng.random(1000) < np.where(logged["arm"] == "a", 0.1, 0.2)
    est = ex.off_policy_value(logged, pd.DataFrame({"a": [0.3], "b": [0.7]}, index=["all"]))
    assert est.loc["ips", "value"] == pytest.approx(logged["reward"].mean(), rel=1e-12)


def test_bad_input_names_the_problem():
    df = _rows({"a": 0.05, "b": 0.07}, 100, seed=10)
    with pytest.raises(ValueError, match="metric column 'nope'"):
        ex.ab_test(df, arm="arm", metric="nope")
    with pytest.raises(ValueError, match="method must be"):
        ex.ab_test(df, arm="arm", metric="converted", method="magic")
    with pytest.raises(ValueError, match="control 'z' is not an arm"):
        ex.ab_test(df, arm="arm", metric="converted", control="z")
    bad = df.copy()
    bad.loc[5, "converted"] = np.nan
    with pytest.raises(ValueError, match="row 5"):
        ex.ab_test(bad, arm="arm", metric="converted")
    with pytest.raises(ValueError, match="planned_users"):
        ex.ab_test(df, arm="arm", metric="converted", method="group_sequential")
    assert tm.experiments is ex


def test_bayesian_continuous_revenue_matches_welch_for_large_n():
    # Student-t posteriors (reference prior); with 3,000 users per arm the credible
    # interval of the absolute lift is the Welch interval to within 1%; the relative
    # interval brackets its median (the relative lift of t posteriors is unbounded below).
    rng = np.random.default_rng(12)
    df = pd.DataFrame({"arm": np.repeat(["a", "b"], 3000), "revenue": rng.gamma(2.0, 10.0, 6000)})
    df.loc[df["arm"] == "b", "revenue"] *= 1.05
    bay = ex.ab_test(df, arm="arm", metric="revenue").table.iloc[1]
    fix = ex.ab_test(df, arm="arm", metric="revenue", method="fixed").table.iloc[1]
    assert bay["lift_lower"] == pytest.approx(fix["lift_lower"], rel=0.01)
    assert bay["lift_upper"] == pytest.approx(fix["lift_upper"], rel=0.01)
    assert bay["relative_lower"] < bay["relative_lift"] < bay["relative_upper"]
    assert 0.0 < bay["chance_to_beat_control"] < 1.0
    assert bay["posterior"] == "student_t"
    approx = ex.ab_test(df.assign(pre=rng.normal(size=6000)), arm="arm", metric="revenue", covariate="pre").table
    assert set(approx["posterior"]) == {"normal (large-sample approximation)"}


def test_ucb_allocate_counts_pending_pulls():
    # An arm never pulled gets the first user; equal arms split a batch equally.
    b = ex.UCB(["a", "b", "c"])
    hist = pd.DataFrame({"arm": ["a", "b", "c"], "users": [100, 0, 50], "conversions": [10, 0, 2]})
    assert b.allocate(hist, batch=1).iloc[0].to_numpy() == pytest.approx([0.0, 1.0, 0.0])
    eq = pd.DataFrame({"arm": ["a", "b"], "users": [100, 100], "conversions": [10, 10]})
    assert ex.UCB(["a", "b"]).allocate(eq, batch=1000).iloc[0].to_numpy() == pytest.approx([0.5, 0.5])
    # A batch of one goes to argmax mean + 0.5 sqrt(2 log t / n) (t counts this user).
    h = pd.DataFrame({"arm": ["a", "b", "c"], "users": [100, 30, 400], "conversions": [10, 2, 50]})
    n, s = h["users"].to_numpy(float), h["conversions"].to_numpy(float)
    idx = s / n + 0.5 * np.sqrt(2 * np.log(n.sum() + 1) / n)
    assert b.allocate(h, batch=1).iloc[0].to_numpy().argmax() == idx.argmax()
    # Per persona, with a floor.
    ctx = ex.UCB(["a", "b"], context="persona", floor=0.1)
    h2 = _persona_history()
    sh = ctx.allocate(h2, batch=200)
    assert sh.sum(axis=1).to_numpy() == pytest.approx([1.0, 1.0])
    assert sh.loc["x", "a"] > sh.loc["x", "b"] and sh.loc["y", "b"] > sh.loc["y", "a"]
    assert sh.to_numpy().min() >= 0.1 - 1e-12
    with pytest.raises(ValueError, match="UCB needs batch="):
        b.allocate(hist)


def test_gaussian_rewards_pooled_by_persona():
    rng = np.random.default_rng(5)
    rows = []
    for p, shift in (("x", 0.0), ("y", 0.1), ("z", -0.1), ("w", 0.05)):
        for arm, mu in (("a", 1.0), ("b", 1.3)):
            y = rng.normal(mu + shift, 2.0, 400)
            rows.append({"persona": p, "arm": arm, "users": 400, "total": y.sum(), "total_sq": (y**2).sum()})
    hist = pd.DataFrame(rows)
    b = ex.ThompsonSampling(["a", "b"], reward="gaussian", context="persona")
    sh = b.allocate(hist, conversions="total", total_sq="total_sq")
    assert sh.sum(axis=1).to_numpy() == pytest.approx(np.ones(4))
    tau = sh.attrs["between_persona_sd"]
    assert set(tau.index) == {"a", "b"} and (tau > 0).all()
    # Without pooling (0 pseudo-users) each persona stands alone: shares differ from pooled.
    alone = ex.ThompsonSampling(["a", "b"], reward="gaussian", context="persona", pooling=0.0)
    sa = alone.allocate(hist, conversions="total", total_sq="total_sq")
    assert np.isinf(sa.attrs["between_persona_sd"]).all()
    # Pooling pulls the personas' P(b best) towards each other.
    assert sh["b"].std() <= sa["b"].std() + 1e-12
    with pytest.raises(ValueError, match="total_sq"):
        b.allocate(hist, conversions="total")
    # The contextual Gaussian bandit runs on known truth and finds b for everyone.
    truth = pd.DataFrame({"a": [1.0, 1.1, 0.9, 1.05], "b": [1.3, 1.4, 1.2, 1.35]}, index=["x", "y", "z", "w"])
    run = b.simulate(truth, users_per_batch=400, batches=10, sds=[2.0, 2.0])
    assert (run.prob_best["b"] > 0.8).all()


def test_trimmed_means_yuen_welch():
    rng = np.random.default_rng(12)
    n = 2000
    rev = np.where(rng.random(2 * n) < 0.3, rng.lognormal(2, 1.5, 2 * n), 0.0)
    df = pd.DataFrame({"arm": np.repeat(["a", "b"], n), "revenue": rev})
    res = ex.ab_test(df, arm="arm", metric="revenue", method="fixed", trim=0.1)
    t = res.table.set_index("arm")

    # By hand: Yuen's trimmed mean and winsorised variance.
    def yuen(y, g=0.1):
        y = np.sort(y)
        k = int(np.floor(g * len(y)))
        h = len(y) - 2 * k
        w = np.clip(y, y[k], y[len(y) - k - 1])
        return y[k : len(y) - k].mean(), (len(y) - 1) * w.var(ddof=1) / (h * (h - 1)), h

    ma, va, ha = yuen(rev[:n])
    mb, vb, hb = yuen(rev[n:])
    assert t.loc["a", "mean"] == pytest.approx(ma, rel=1e-12)
    assert t.loc["b", "lift"] == pytest.approx(mb - ma, rel=1e-10)
    df_w = (va + vb) ** 2 / (va**2 / (ha - 1) + vb**2 / (hb - 1))
    from scipy import stats

    q = stats.t.ppf(0.975, df_w)
    assert t.loc["b", "lift_upper"] == pytest.approx(mb - ma + q * np.sqrt(va + vb), rel=1e-9)
    assert t.loc["b", "p_value"] == pytest.approx(2 * stats.t.sf(abs(mb - ma) / np.sqrt(va + vb), df_w), rel=1e-8)
    # trim = 0 is the Welch test.
    w0 = ex.ab_test(df, arm="arm", metric="revenue", method="fixed", trim=0.0).table.iloc[1]
    w1 = ex.ab_test(df, arm="arm", metric="revenue", method="fixed").table.iloc[1]
    assert w0["p_value"] == pytest.approx(w1["p_value"], rel=1e-9)
    with pytest.raises(ValueError, match="trim"):
        ex.ab_test(df, arm="arm", metric="revenue", method="bayesian", trim=0.1)


def test_bayesian_summaries_with_an_arm_without_conversions():
    # A bandit may leave an arm with no conversions: the Bayesian analysis still runs.
    summ = pd.DataFrame({"arm": ["a", "b", "c"], "users": [500, 4000, 3000], "conversions": [0, 40, 20]})
    r = ex.compare_arms(summ, users="users", conversions="conversions")
    t = r.table.set_index("arm")
    assert t["prob_best"].sum() == pytest.approx(1.0, abs=1e-8)
    assert t["prob_best"].idxmax() == "b"
