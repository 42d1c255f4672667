"""trustmix.audience: personas from surveys (latent classes) and reach and frequency.

Anchors (fixtures in tests/python/data/audience, sources in its README):
- poLCA's carcinoma (Agresti 2002 Table 13.1), values (Goodman 1974/2002), cheating
  (Dayton 1998, with the GPA covariate), gss82 (McCutcheon 1987 Table 3.1) and election
  (2000 ANES, with the PARTY covariate): the log-likelihoods of poLCA's man pages;
- iris (Fisher 1936, scikit-learn's copy): mclust's VVV, 3 components, LL -180.1855.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix.audience import AudienceWarning

DATA = Path(__file__).parent / "data" / "audience"
# shared/data lies beside the checkout (../shared/data); /work/shared/data in a worktree.
_ROOT = Path(__file__).resolve().parents[2]
MERIDIAN = next(
    (p for p in (_ROOT.parent / "shared" / "data", Path("/work/shared/data")) if p.is_dir()),
    _ROOT.parent / "shared" / "data",
)
FIT = dict(tolerance=1e-12, max_iterations=20000)


def carcinoma() -> pd.DataFrame:
    return pd.read_csv(DATA / "carcinoma.csv")


def values() -> pd.DataFrame:
    return pd.read_csv(DATA / "values.csv")


@pytest.mark.parametrize(("k", "starts", "ll"), [(2, 10, -317.2568), (3, 20, -293.705), (4, 40, -289.2858)])
def test_polca_carcinoma(k, starts, ll):
    # poLCA man/carcinoma.Rd: 2, 3, 4 classes.
    res = tm.audience.latent_classes(carcinoma(), items=list("ABCDEFG"), classes=k, starts=starts, seed=1, **FIT)[k]
    assert res.log_likelihood == pytest.approx(ll, abs=6e-4)
    assert res.class_shares.sum() == pytest.approx(1.0)
    assert res.starts_at_best >= 2
    # 118 respondents, p = (K-1) + 7K free parameters.
    assert res.parameters == (k - 1) + 7 * k
    assert res.bic == pytest.approx(-2 * res.log_likelihood + res.parameters * np.log(118))
    assert res.caic == pytest.approx(res.bic + res.parameters)
    assert res.sabic == pytest.approx(-2 * res.log_likelihood + res.parameters * np.log(120 / 24))


def test_polca_values_and_selection():
    # poLCA man/values.Rd: -543.6498 (1 class), -504.4677 (2), -503.3011 (3).
    sel = tm.audience.latent_classes(values(), items=list("ABCD"), classes=[1, 2, 3], starts=20, seed=3, **FIT)
    np.testing.assert_allclose(sel.table["log_likelihood"], [-543.6498, -504.4677, -503.3011], atol=6e-5)
    assert sel.best.classes == 2  # BIC prefers Goodman's 2-class model
    assert sel.summary()["best"].sum() == 1
    with pytest.raises(ValueError, match=r"not identified \(use at most 3 classes\)"):
        tm.audience.latent_classes(values(), items=list("ABCD"), classes=4, starts=2)


def test_polca_cheating_with_gpa_covariate():
    # poLCA man/cheating.Rd (Dayton 1998): -440.0271 for 2 classes; -429.6384 with GPA
    # predicting membership (poLCA drops the 4 students without GPA for that model).
    d = pd.read_csv(DATA / "cheating.csv")
    items = ["LIEEXAM", "LIEPAPER", "FRAUD", "COPYEXAM"]
    plain = tm.audience.latent_classes(d, items=items, classes=2, starts=10, seed=1, **FIT)[2]
    assert plain.log_likelihood == pytest.approx(-440.0271, abs=6e-5)
    assert plain.observations == 319
    with_gpa = tm.audience.latent_classes(
        d.dropna(), items=items, covariates=["GPA"], classes=2, starts=10, seed=1, **FIT
    )[2]
    assert with_gpa.log_likelihood == pytest.approx(-429.6384, abs=6e-5)
    assert with_gpa.parameters == 2 + 2 * 4  # (1 + 1 covariate) x (K - 1) + K x 4 items
    # The smaller class (the cheaters) is less likely at higher GPA.
    cheaters = int(np.argmin(with_gpa.class_shares.to_numpy()))
    assert with_gpa.model["beta"][1, cheaters] < 0
    with pytest.raises(ValueError, match="covariates must be finite"):
        tm.audience.latent_classes(d, items=items, covariates=["GPA"], classes=2, starts=2)


@pytest.mark.parametrize(("k", "starts", "ll"), [(2, 10, -2783.268), (3, 20, -2754.545), (4, 40, -2746.621)])
def test_polca_gss82(k, starts, ll):
    # poLCA man/gss82.Rd (McCutcheon 1987, Table 3.1): -2783.268 (2 classes), -2754.545 (3),
    # -2746.621 (4); 1202 respondents. The 2-class value is also printed by UCLA's Mplus
    # examples for McCutcheon's Table 3.2 (stats.oarc.ucla.edu/mplus/examples/alca).
    d = pd.read_csv(DATA / "gss82.csv")
    res = tm.audience.latent_classes(
        d, items=["PURPOSE", "ACCURACY", "UNDERSTA", "COOPERAT"], classes=k, starts=starts, seed=1, **FIT
    )[k]
    assert res.log_likelihood == pytest.approx(ll, abs=6e-4)
    assert res.observations == 1202
    assert res.starts_at_best >= 2
    assert res.class_shares.sum() == pytest.approx(1.0)


def test_polca_gss82_independence():
    # One class is the independence model: -2872.230 in UCLA's Mplus run of McCutcheon's
    # (1987) Table 3.2 (stats.oarc.ucla.edu/mplus/examples/alca).
    d = pd.read_csv(DATA / "gss82.csv")
    res = tm.audience.latent_classes(d, items=list(d.columns), classes=1, starts=1, **FIT)[1]
    assert res.log_likelihood == pytest.approx(-2872.230, abs=6e-4)


ELECTION_ITEMS = [
    "MORALG",
    "CARESG",
    "KNOWG",
    "LEADG",
    "DISHONG",
    "INTELG",
    "MORALB",
    "CARESB",
    "KNOWB",
    "LEADB",
    "DISHONB",
    "INTELB",
]


def test_polca_election_and_party_covariate():
    # poLCA man/election.Rd (2000 ANES): -18647.31 (1 class), -17344.92 (2), -16714.66 (3);
    # -16222.32 for 3 classes with PARTY predicting membership. poLCA's default na.rm = TRUE
    # drops every respondent with a missing item (and, with the covariate, missing PARTY):
    # "1311 individuals provided responses on all twelve candidate evaluations".
    d = pd.read_csv(DATA / "election.csv")
    complete = d.dropna(subset=ELECTION_ITEMS)
    sel = tm.audience.latent_classes(complete, items=ELECTION_ITEMS, classes=[1, 2, 3], starts=10, seed=1, **FIT)
    np.testing.assert_allclose(sel.table["log_likelihood"], [-18647.31, -17344.92, -16714.66], atol=6e-3)
    assert sel[3].observations == 1311
    assert sel[3].starts_at_best >= 2
    party = tm.audience.latent_classes(
        d.dropna(subset=ELECTION_ITEMS + ["PARTY"]),
        items=ELECTION_ITEMS,
        covariates=["PARTY"],
        classes=3,
        starts=10,
        seed=1,
        **FIT,
    )[3]
    assert party.log_likelihood == pytest.approx(-16222.32, abs=6e-3)
    assert party.parameters == 2 * 2 + 3 * 12 * 3  # (1 + 1 covariate) x (K - 1) + K x 12 items x 3


def test_bootstrap_lrt():
    # Two classes fit values far better than one: no bootstrap replicate from the 1-class
    # model reaches the observed statistic; the test is deterministic for a seed.
    sel = tm.audience.latent_classes(values(), items=list("ABCD"), classes=[1, 2], starts=5, seed=1)
    t = sel.bootstrap_lrt(2, replicates=9, starts=3, seed=4)
    assert t["statistic"] == pytest.approx(2 * (t["log_likelihood_alternative"] - t["log_likelihood_null"]))
    assert t["log_likelihood_alternative"] == pytest.approx(-504.4677, abs=1e-3)
    assert t["p_value"] == pytest.approx(0.1)
    assert max(t["replicates"]) < t["statistic"]
    assert sel.bootstrap_lrt(2, replicates=9, starts=3, seed=4)["replicates"] == t["replicates"]


def test_iris_mclust_vvv():
    # mclust: Mclust(iris[,1:4], G=3, modelNames="VVV") log-likelihood -180.1855.
    iris = pd.read_csv(DATA / "iris.csv")
    cols = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    res = tm.audience.latent_classes(iris, gaussian=cols, classes=3, starts=50, covariance="full", seed=2, **FIT)[3]
    assert res.log_likelihood == pytest.approx(-180.1855, abs=6e-5)
    assert res.starts_at_best >= 3
    # One class is exactly the 50 setosa flowers.
    modal = res.modal
    setosa = modal[iris["species"] == "setosa"]
    assert setosa.nunique() == 1 and (modal == setosa.iloc[0]).sum() == 50


def test_profiles_membership_names_and_pickle():
    sel = tm.audience.latent_classes(carcinoma(), items=list("ABCDEFG"), classes=3, starts=20, seed=1, **FIT)
    res = sel.best
    prof = res.profiles()
    assert list(prof.columns[:-1]) == res.names
    # Probabilities of each item's categories sum to 1 in every class.
    np.testing.assert_allclose(prof.groupby(level="item").sum().to_numpy(), 1.0, atol=1e-12)
    np.testing.assert_allclose(res.membership.sum(axis=1), 1.0, atol=1e-12)
    assert res.membership.shape == (118, 3)
    # Shares in decreasing order; names generated from the largest lifts, editable.
    assert list(res.class_shares) == sorted(res.class_shares, reverse=True)
    res.rename({0: "Careful Carla"}).describe("Careful Carla", "rates almost every slide positive")
    assert res.personas().loc[0, "persona"] == "Careful Carla"
    with pytest.raises(ValueError, match="unique"):
        res.rename([res.names[1]] * 3)
    ax = res.plot_profiles()
    assert ax.get_title().startswith("Persona profiles")
    assert "<h4>" in res._repr_html_() and "<h4>" in sel._repr_html_()
    sel.plot()
    back = pickle.loads(pickle.dumps(res))
    assert back.names == res.names and back.log_likelihood == res.log_likelihood
    pd.testing.assert_frame_equal(back.membership, res.membership)
    # Assign new respondents: same posterior as in the fit.
    pd.testing.assert_frame_equal(res.assign(carcinoma().iloc[:5]), res.membership.iloc[:5])
    seg = res.segments()
    assert set(seg["persona"]) <= set(res.names) and (seg["lift"] > 0).all()


def test_deterministic_for_seed_and_threads():
    d = carcinoma()
    a = tm.audience.latent_classes(d, items=list("ABCDEFG"), classes=3, starts=8, seed=5, threads=1)[3]
    b = tm.audience.latent_classes(d, items=list("ABCDEFG"), classes=3, starts=8, seed=5, threads=2)[3]
    np.testing.assert_array_equal(a.start_log_likelihoods, b.start_log_likelihoods)
    pd.testing.assert_frame_equal(a.membership, b.membership)


def _synthetic(n=3000, seed=0, missing=0.1):
    rng = np.random.default_rng(seed)
    z = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    p_ig = np.array([0.9, 0.3, 0.05])[z]
    p_press = np.array([0.2, 0.8, 0.3])[z]
    trust = np.array([0.3, 0.8, 0.5])[z]
    df = pd.DataFrame(
        {
            "instagram": np.where(rng.random(n) < p_ig, "daily", "rarely"),
            "press": np.where(rng.random(n) < p_press, "reads", "no"),
            "trust": np.where(rng.random(n) < trust, "high", "low"),
            "tiktok": np.where(rng.random(n) < np.array([0.7, 0.1, 0.2])[z], "daily", "rarely"),
            "age": rng.normal(np.array([24.0, 52.0, 38.0])[z], 5.0),
            "weight": rng.uniform(0.5, 1.5, n),
        }
    )
    mask = rng.random((n, 4)) < missing
    for j, c in enumerate(["instagram", "press", "trust", "tiktok"]):
        df.loc[mask[:, j], c] = None
    return df, z


def test_mixed_data_missing_weights_recover_truth_and_audiences():
    df, z = _synthetic()
    res = tm.audience.latent_classes(
        df,
        items=["instagram", "press", "trust", "tiktok"],
        gaussian=["age"],
        weights="weight",
        classes=3,
        starts=10,
        seed=1,
    )[3]
    ages = res.gaussian_profiles().loc[("age", "mean")].sort_values()
    np.testing.assert_allclose(ages.to_numpy(), [24.0, 38.0, 52.0], atol=1.0)
    aud = res.to_audiences(
        1e6, trust=("trust", ["high"]), channels={"instagram": ("instagram", ["daily"]), "press": ("press", ["reads"])}
    )
    assert all(isinstance(a, tm.Audience) for a in aud)
    assert sum(a.size for a in aud) == pytest.approx(1e6, abs=2)
    assert all(a.size == round(a.size) for a in aud)
    young = aud[int(np.argmin([res.gaussian_profiles().loc[("age", "mean"), n] for n in res.names]))]
    assert young.reach["instagram"] == pytest.approx(0.9, abs=0.05)
    assert young.affinity["instagram"] > 1.0
    assert young.tags["source"] == "latent_classes"
    plan = tm.Plan(
        channels=[
            tm.Channel("instagram", peso="paid", role="conversion"),
            tm.Channel("press", peso="earned", role="trust"),
        ],
        campaigns=[],
        audiences=aud,
    )
    assert len(plan.audiences) == 3
    with pytest.raises(ValueError, match="not categories of 'trust'"):
        res.to_audiences(1e6, trust=("trust", ["very high"]))
    # BCH: a distal outcome whose mean differs by class.
    outcome = pd.Series(np.array([1.0, 3.0, 2.0])[z] + np.random.default_rng(1).normal(0, 0.5, len(z)), name="spend")
    b = res.bch(outcome)
    means = sorted(b.xs("mean", axis=1, level=1).iloc[0])
    np.testing.assert_allclose(means, [1.0, 2.0, 3.0], atol=0.15)


def test_covariates_on_membership():
    rng = np.random.default_rng(4)
    n = 4000
    x = rng.normal(size=n)
    p1 = 1 / (1 + np.exp(-(0.2 + 1.5 * x)))
    z = (rng.random(n) < p1).astype(int)
    df = pd.DataFrame({f"q{j}": np.where(rng.random(n) < np.array([0.2, 0.8])[z], "yes", "no") for j in range(6)})
    df["x"] = x
    res = tm.audience.latent_classes(
        df, items=[f"q{j}" for j in range(6)], covariates=["x"], classes=2, starts=6, seed=2
    )[2]
    slope = res.model["beta"][1, 1]
    assert abs(abs(slope) - 1.5) < 0.3
    # The score vanishes at the optimum (finite differences of the log-likelihood agree).
    from trustmix._core import audience as core

    g = core.score(res.model, res._enc.core())
    assert np.abs(g).max() < 1e-2


def test_bad_input():
    d = values()
    with pytest.raises(ValueError, match="row 2: survey weight must be a finite number >= 0"):
        tm.audience.latent_classes(
            d.assign(w=[1.0, 1.0, -1.0] + [1.0] * 213), items=list("ABCD"), weights="w", classes=2, starts=2
        )
    with pytest.raises(ValueError, match="item 'E': only 1 category observed"):
        tm.audience.latent_classes(d.assign(E=1), items=list("ABCDE"), classes=2, starts=2)
    with pytest.raises(ValueError, match="item column 'Z' is not in the survey"):
        tm.audience.latent_classes(d, items=["A", "Z"], classes=2)
    with pytest.raises(ValueError, match="not one of the categories"):
        tm.audience.latent_classes(d, items=["A"], categories={"A": [1]}, classes=2)
    # Respondents with every answer missing: warned, left out of N.
    blank = pd.concat([d, pd.DataFrame({c: [None] for c in "ABCD"})], ignore_index=True)
    with pytest.warns(AudienceWarning, match="1 respondents answered nothing"):
        res = tm.audience.latent_classes(blank, items=list("ABCD"), classes=2, starts=10, seed=1, **FIT)[2]
    assert res.observations == 216
    assert res.log_likelihood == pytest.approx(-504.4677, abs=6e-5)


# --- reach and frequency ------------------------------------------------------------


def test_nbd_reach_and_frequency_closed_forms():
    c = tm.audience.reach_curve(population=1e6, kind="nbd", shape=0.8, reachable=0.9)
    m = 2e6 / 9e5
    assert c.reach(at=2e6) == pytest.approx(9e5 * (1 - (1 + m / 0.8) ** -0.8), rel=1e-13)
    f = c.frequency(at=2e6, max_frequency=200)
    assert f["share"].sum() == pytest.approx(1.0)
    assert (f["frequency"] * f["share"]).sum() * 1e6 == pytest.approx(2e6, rel=1e-6)
    assert f["at_least"].iloc[1] == pytest.approx(c.reach(2e6) / 1e6)
    capped = c.frequency(at=2e6, cap=3)
    assert (capped["frequency"] * capped["share"]).sum() * 1e6 == pytest.approx(2e6, rel=1e-9)
    assert c.reach(2e6, cap=3) > c.reach(2e6)
    with pytest.raises(ValueError, match="more than the cap of 3"):
        c.reach(3e6, cap=3)
    assert pickle.loads(pickle.dumps(c)).reach(1e6) == c.reach(1e6)
    assert c.average_frequency(2e6) == pytest.approx(2e6 / c.reach(2e6))
    c.plot()


def test_goerg_one_point_and_fit():
    c = tm.audience.reach_curve(3e6, 5e6, kind="goerg", reach=1.2e6)
    assert c.reach(at=3e6) == pytest.approx(1.2e6)
    kappa = 1.2e6 * 3e6 / 1.8e6
    assert c.reach(at=1e6) == pytest.approx(kappa * 1e6 / (kappa + 1e6))
    truth = tm.audience.reach_curve(population=2e6, kind="nbd", shape=1.3, reachable=0.6)
    x = np.geomspace(1e5, 1e7, 8)
    fitted = tm.audience.reach_curve(x, 2e6, kind="nbd", reach=truth.reach(x), reachable=None)
    assert fitted.shape == pytest.approx(1.3, rel=1e-3)
    assert fitted.reachable == pytest.approx(0.6, rel=1e-3)


def test_fit_many_curves_and_duplication():
    rows = []
    for ch, k in [("tv", 0.5), ("instagram", 2.0)]:
        for persona in ["a", "b"]:
            truth = tm.audience.reach_curve(population=1e6, kind="nbd", shape=k)
            for x in np.geomspace(1e5, 5e6, 6):
                rows.append(
                    {"channel": ch, "persona": persona, "impressions": x, "reach": truth.reach(x), "population": 1e6}
                )
    out = tm.audience.fit_reach_curves(pd.DataFrame(rows), by=["channel", "persona"])
    assert len(out) == 4
    np.testing.assert_allclose(out.sort_values("channel")["shape"], [2.0, 2.0, 0.5, 0.5], rtol=1e-3)
    ind = tm.audience.duplication({"tv": 0.5, "instagram": 0.4})
    assert ind["total"] == pytest.approx(1 - 0.5 * 0.6)
    by = pd.DataFrame({"tv": [0.9, 0.1], "instagram": [0.8, 0.0]}, index=["fans", "others"])
    d = tm.audience.duplication(by, shares={"fans": 0.5, "others": 0.5})
    assert d["total"] == pytest.approx(0.5 * (1 - 0.1 * 0.2) + 0.5 * 0.1)
    assert d["pairwise"].loc["tv", "instagram"] == pytest.approx(0.5 * 0.72)
    assert d["by_persona"]["others"] == pytest.approx(0.1)


def test_read_meridian_national_rf():
    # Google Meridian's simulated national_media_rf.csv (Apache-2.0), copied to the fixtures.
    rf = tm.audience.read_meridian_rf(DATA / "meridian_national_media_rf.csv")
    assert set(rf["channel"]) == {"Channel3"}
    raw = pd.read_csv(DATA / "meridian_national_media_rf.csv")
    assert len(rf) == len(raw) == 156
    assert (rf["geo"] == "national").all() and rf["population"].isna().all()
    np.testing.assert_allclose(rf["impressions"], raw["Channel3_reach"] * raw["Channel3_frequency"])
    # Meridian's frequencies are >= 1: impressions never fall below reach.
    assert (rf["impressions"] >= rf["reach"]).all()


@pytest.mark.skipif(not (MERIDIAN / "meridian_geo_media_rf.csv").exists(), reason="shared/data not beside the checkout")
def test_read_meridian_geo_rf():
    # Meridian's simulated geo_media_rf.csv (Apache-2.0) with population: a Goerg curve for one geo.
    geo = tm.audience.read_meridian_rf(MERIDIAN / "meridian_geo_media_rf.csv")
    g0 = geo[(geo["geo"] == "Geo0") & (geo["reach"] > 0) & (geo["frequency"] > 1)]
    population = float(g0["population"].iloc[0])
    # One-point (Goerg) curve per week: exact at its own week, below the population.
    # A point whose implied maximum reach R f / (f - 1) exceeds the population is capped, with a warning.
    for row in g0.head(20).itertuples():
        kappa = row.reach * row.frequency / (row.frequency - 1)
        if kappa <= population:
            c = tm.audience.reach_curve(row.impressions, population, kind="goerg", reach=row.reach)
            assert c.reach(at=row.impressions) == pytest.approx(row.reach, rel=1e-9)
        else:
            with pytest.warns(AudienceWarning, match="capped at the population"):
                c = tm.audience.reach_curve(row.impressions, population, kind="goerg", reach=row.reach)
            assert c.reachable == 1.0 and c.reach(at=row.impressions) < row.reach
        assert c.reach(at=1e15) <= population * (1 + 1e-12)


def test_overlap_model_from_exposure_data():
    # Two kinds of people: heavy social users (Instagram and TikTok together) and the rest.
    rng = np.random.default_rng(7)
    n = 6000
    heavy = rng.random(n) < 0.3
    p = np.where(heavy[:, None], [0.8, 0.7, 0.2], [0.1, 0.05, 0.4])
    exp = pd.DataFrame((rng.random((n, 3)) < p).astype(float), columns=["instagram", "tiktok", "press"])
    exp.iloc[::50, 2] = np.nan  # unknown exposures stay in the likelihood
    res = tm.audience.overlap_model(exp, ["instagram", "tiktok", "press"], classes=[1, 2], starts=8, seed=1)
    assert res["model"].classes == 2
    true_total = 0.3 * (1 - 0.2 * 0.3 * 0.8) + 0.7 * (1 - 0.9 * 0.95 * 0.6)
    assert res["total"] == pytest.approx(true_total, abs=0.02)
    assert res["observed"] == pytest.approx(true_total, abs=0.03)
    # Independence over everyone overstates the combined reach of correlated channels.
    assert res["independence"] > res["total"] + 0.02
    with pytest.raises(ValueError, match="exposure must be 0 or 1"):
        tm.audience.overlap_model(exp.assign(press=2.0), ["instagram", "press"], classes=1)


def test_class_with_no_members_is_warned():
    # Issue 18's bad input "classes with no members": two answer patterns (one answer
    # changed at each end) cannot fill 4 classes; for this seed EM drives the share of a
    # class to ~0. The fit is returned (documented handling) with an AudienceWarning naming
    # the empty class, its expected size below one respondent, and the warning kept on
    # the result; membership rows still sum to 1.
    n = 1000
    d = pd.DataFrame({c: [1] * (n // 2) + [2] * (n // 2) for c in "ABCDEFGH"})
    d.loc[0, "A"] = 2
    d.loc[n - 1, "B"] = 1
    with pytest.warns(AudienceWarning, match=r"4 classes: class \d is empty \(expected 0\.\d+ respondents\)"):
        sel = tm.audience.latent_classes(d, items=list("ABCDEFGH"), classes=[4], starts=4, seed=2)
    res = sel[4]
    assert res.class_shares.min() * n < 1.0
    assert any("is empty" in w for w in res.warnings)
    np.testing.assert_allclose(res.membership.sum(axis=1), 1.0, atol=1e-12)
