"""Results of _core.simulate's geo runs bound as classes with typed attributes
(bindings/simulate_geo.cpp, helpers::bind_result): GeoResult, GeoPanelResult with a
RegionTruth per region, GeoScheduleRun; their numbers read by name against the wrappers'
tables and each other, their repr and their versioned pickles."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from _typed_results import roundtrip, same
from trustmix import _core
from trustmix import simulate as sim

REGIONS = [{"name": "north", "size": 0.6, "conversion_scale": 1.1}, {"name": "south", "size": 1.4}, {"name": "west"}]
T = 16


@pytest.fixture(scope="module")
def world() -> sim.World:
    return sim.World.from_scenario("pr_first_then_smm", seed=2)


GEO = [
    "regions",
    "treated",
    "start",
    "end",
    "conversions",
    "revenue",
    "expected_conversions",
    "counterfactual_conversions",
    "incremental_conversions",
    "incremental_revenue",
    "realised_incremental_conversions",
    "spend",
    "incremental_spend",
    "att",
    "att_realised",
]


def test_geo_result_is_the_experiments_numbers() -> None:
    # smm_only's instagram flight runs May-October 2025: weeks 25-28 are inside it.
    world = sim.World.from_scenario("smm_only", seed=1)
    test: dict[str, Any] = dict(
        regions=REGIONS,
        treated=["south"],
        channel="instagram",
        start=25,
        end=28,
        spend_multiplier=2.0,
        periods=30,
        seed=3,
    )
    r = _core.simulate.run_geo_experiment(world._core, period_days=7, threads=1, **test)
    assert isinstance(r, _core.simulate.GeoResult)
    assert r.regions == ["north", "south", "west"] and r.treated.tolist() == [False, True, False]
    assert (r.start, r.end) == (25, 28)
    assert r.conversions.shape == r.incremental_conversions.shape == (3, 30)
    np.testing.assert_allclose(
        r.incremental_conversions, r.expected_conversions - r.counterfactual_conversions, rtol=1e-12, atol=1e-12
    )
    assert np.all(r.incremental_conversions[[0, 2]] == 0.0)
    assert r.att == pytest.approx(r.incremental_conversions[1, 25:29].mean(), rel=1e-12)
    assert r.incremental_spend[1, 25:29].sum() > 0.0
    assert repr(r).startswith("GeoResult(regions=['north', 'south', 'west'], treated=<bool array (3,)>, start=25")
    roundtrip(r, GEO)
    wrapped = sim.geo_experiment(world, **test)  # weekly periods
    assert wrapped.att == r.att and wrapped.att_realised == r.att_realised


PANEL = [
    "regions",
    "channels",
    "national",
    "population",
    "size",
    "national_share",
    "spend",
    "impressions",
    "conversions",
    "revenue",
    "expected_conversions",
    "survey_trusting",
    "survey_size",
    "truth",
    "treated",
    "test_incremental",
]
TRUTH = [
    "channels",
    "campaigns",
    "activities",
    "channel_incremental_conversions",
    "channel_incremental_revenue",
    "lag_periods",
    "horizon",
]


def test_geo_panel_result_and_its_region_truths(world: sim.World) -> None:
    p = _core.simulate.run_geo_panel(
        world._core,
        regions=REGIONS,
        national_channels=["press"],
        media_sd=0.3,
        periods=T,
        period_days=7,
        threads=1,
        seed=5,
        horizon=4,
        lag_periods=2,
    )
    assert isinstance(p, _core.simulate.GeoPanelResult)
    C = len(p.channels)
    assert p.regions == ["north", "south", "west"] and p.national.dtype == np.bool_
    assert [c for c, f in zip(p.channels, p.national, strict=True) if f] == ["press"]
    assert p.size.tolist() == [0.6, 1.4, 1.0]
    assert len(p.spend) == len(p.impressions) == 3 and p.spend[0].shape == (T, C)
    assert p.conversions.shape == p.survey_size.shape == (3, T)
    assert len(p.worlds) == 3 and all(isinstance(w, _core.simulate.World) for w in p.worlds)
    assert len(p.truth) == 3
    for tr in p.truth:
        assert isinstance(tr, _core.simulate.RegionTruth)
        assert (tr.horizon, tr.lag_periods) == (4, 2)
        assert tr.channel_incremental_conversions.shape == (T + 4, C)
        assert [e.channel for e in tr.channels] == p.channels
        # each channel's total is the sum of its per-period increments
        np.testing.assert_allclose(
            [e.conversions for e in tr.channels], tr.channel_incremental_conversions.sum(axis=0), rtol=1e-9, atol=1e-9
        )
    back = roundtrip(p, PANEL, version=3)  # 2: national_share; 3: the geo test (treated, test_incremental)
    assert p.treated.size == 0 and p.test_incremental.shape == (0, 0)  # no test
    assert (np.asarray(p.national_share) == 1.0).all()  # national_share_sd = 0: shares by size
    assert back.worlds == []  # a World does not pickle
    for a, b in zip(back.truth, p.truth, strict=True):
        same(a, b, TRUTH)
    roundtrip(p.truth[0], TRUTH)
    wrapped = sim.geo_panel(
        world, REGIONS, periods=T, seed=5, national_channels=["press"], media_sd=0.3, horizon=4, lag=2
    )
    np.testing.assert_array_equal(wrapped.panel["conversions"].to_numpy(), p.conversions.ravel())
    north = wrapped.truth[wrapped.truth["geo"] == "north"]
    assert north["short_term_conversions"].tolist() == [e.short_conversions for e in p.truth[0].channels]


def test_geo_schedule_run_replays_the_panel(world: sim.World) -> None:
    kw: dict[str, Any] = dict(
        regions=REGIONS, national_channels=["press"], media_sd=0.3, periods=T, period_days=7, threads=1, seed=5
    )
    p = _core.simulate.run_geo_panel(world._core, **kw)
    c = p.channels.index("linkedin")
    spend = [np.asarray(s)[T - 4 :, [c]] for s in p.spend]  # the panel's own spend: the same run
    s = _core.simulate.run_geo_panel_schedule(world._core, start=T - 4, channels=["linkedin"], spend=spend, **kw)
    assert isinstance(s, _core.simulate.GeoScheduleRun)
    assert s.regions == p.regions and s.channels == p.channels
    np.testing.assert_allclose(s.expected_conversions, p.expected_conversions, rtol=1e-9)
    assert s.expected_revenue.shape == (3, T) and len(s.spend) == 3
    roundtrip(s, ["regions", "channels", "spend", "expected_conversions", "expected_revenue"])
