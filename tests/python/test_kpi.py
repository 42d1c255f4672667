"""KPIs from Python: definitions, NaN rule, errors naming the argument and position,
identities, kpi_table."""

import numpy as np
import pandas as pd
import pytest

from trustmix import kpi


def test_definitions_scalars_and_arrays():
    assert kpi.ctr(25, 5000) == 0.5
    assert kpi.cpm(250, 50_000) == 5.0
    assert kpi.cpc(250, 125) == 2.0
    assert kpi.cpa(300, 12) == 25.0
    assert kpi.cac(9000, 30) == 300.0
    assert kpi.cvr(12, 300) == 0.04
    assert kpi.roas(500, 100) == 5.0
    assert kpi.roi(150, 100) == 0.5
    assert kpi.roi(-20, 100) == -1.2  # incremental value may be negative
    assert kpi.share_of_voice(30, 120) == 25.0
    assert kpi.excess_share_of_voice(25, 18) == 7.0
    with pytest.warns(DeprecationWarning, match="excess_share_of_voice"):
        assert kpi.esov(25, 18) == 7.0
    assert kpi.net_sentiment(30, 10) == 50.0
    assert kpi.engagement_rate(30, 1200, by="reach") == 2.5
    assert kpi.virality_rate(20, 10_000) == 0.2
    assert kpi.amplification_rate(20, 4000) == 0.5
    assert kpi.follower_growth_rate(1000, 1100) == pytest.approx(10.0, rel=1e-14)
    assert kpi.nps(50, 20, 100) == 30.0
    assert kpi.trust_index(420, 1000) == 42.0
    assert kpi.share_of_search(300, 1200) == 25.0
    assert kpi.frequency(9000, 3000) == 3.0
    assert kpi.clv(100, 0.8, 0.1) == pytest.approx(80 / 0.3, rel=1e-14)
    np.testing.assert_array_equal(kpi.ctr(np.array([[1, 2], [3, 4]]), 100), [[1, 2], [3, 4]])


def test_zero_denominator_is_nan_and_missing_stays_missing():
    out = kpi.ctr(np.array([5.0, 0.0, np.nan]), np.array([0.0, 0.0, 10.0]))
    assert np.isnan(out).all()
    assert np.isnan(kpi.net_sentiment(0, 0))


def test_series_keep_index_and_name_the_denominator():
    idx = pd.Index(["press", "instagram"], name="channel")
    er = kpi.engagement_rate(pd.Series([10, 40], index=idx), pd.Series([1000, 800], index=idx), by="followers")
    assert er.name == "engagement_rate_by_followers" and er.index.equals(idx)
    assert er.tolist() == [1.0, 5.0]
    with pytest.raises(ValueError, match="by must be one of reach, followers, impressions"):
        kpi.engagement_rate(1, 2, by="views")
    with pytest.raises(ValueError, match="different indexes"):
        kpi.ctr(pd.Series([1, 2], index=["a", "b"]), pd.Series([1, 2], index=["b", "c"]))


def test_negative_counts_name_argument_and_position():
    with pytest.raises(
        ValueError,
        match=r"ctr: clicks must be a finite number >= 0 \(a count or amount\), "
        r"got -2.0 at index 'tiktok'",
    ):
        kpi.ctr(pd.Series([1, -2], index=["press", "tiktok"]), 100)
    with pytest.raises(ValueError, match=r"cpm: impressions must be a finite number >= 0 .* at position 1"):
        kpi.cpm([1, 2], [10, -1])
    with pytest.raises(ValueError, match="promoters \\+ detractors"):
        kpi.nps(60, 50, 100)
    with pytest.raises(ValueError, match="retention must be in \\[0, 1\\]"):
        kpi.clv(10, 1.5)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        kpi.ctr([1, 2, 3], [1, 2])


def test_identities_hold_on_random_data():
    rng = np.random.default_rng(3)
    cost = rng.uniform(10, 1000, 50)
    impressions = rng.uniform(1e4, 1e6, 50)
    clicks = impressions * rng.uniform(0.001, 0.02, 50)
    conversions = clicks * rng.uniform(0.01, 0.1, 50)
    np.testing.assert_allclose(
        kpi.cpa(cost, conversions), kpi.cpc(cost, clicks) / kpi.cvr(conversions, clicks), rtol=1e-13
    )
    np.testing.assert_allclose(
        kpi.cpc(cost, clicks), kpi.cpm(cost, impressions) / (10 * kpi.ctr(clicks, impressions)), rtol=1e-13
    )


def test_kpi_table_computes_what_the_columns_allow():
    df = pd.DataFrame(
        {
            "cost": [100.0, 0.0],
            "impressions": [10_000, 0],
            "clicks": [50, 0],
            "conversions": [5, 1],
            "positive": [10, 3],
            "negative": [0, 1],
            "followers_start": [100, 200],
            "followers_end": [150, 180],
        },
        index=pd.Index(["instagram", "press"], name="channel"),
    )
    t = kpi.kpi_table(df)
    assert list(t.columns) == ["net_sentiment", "ctr", "follower_growth_rate", "cpm", "cpc", "cpa", "cvr_by_clicks"]
    assert t.index.equals(df.index)
    assert t.loc["instagram"].tolist() == [100.0, 0.5, 50.0, 10.0, 2.0, 20.0, 0.1]
    assert np.isnan(t.loc["press", "ctr"]) and t.loc["press", "cpa"] == 0.0
    staged = kpi.kpi_table(df, stage=True)
    assert staged.columns.names == ["stage", "kpi"]
    assert ("impact", "cpm") in staged.columns
    renamed = kpi.kpi_table(df.rename(columns={"cost": "usd"}), columns={"spend": "usd"})
    assert renamed["cpm"].tolist()[0] == 10.0
    with pytest.raises(ValueError, match="columns maps 'spend' to 'eur'"):
        kpi.kpi_table(df, columns={"spend": "eur"})
    with pytest.raises(ValueError, match="kpi_table: ctr: ctr: clicks must be a finite number >= 0"):
        kpi.kpi_table(df.assign(clicks=[-1, 0]))


def test_catalog_lists_every_stage():
    cat = kpi.catalog()
    assert set(cat["stage"]) == {"outputs", "out-takes", "outcomes", "impact"}
    assert {"ctr", "cpm", "roas", "roi", "nps", "clv", "excess_share_of_voice", "net_sentiment"} <= set(cat["kpi"])
