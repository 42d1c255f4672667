"""Regional panels (trustmix.simulate.geo_panel): the truth per region and channel equals an
independent construction (the numpy reference chain of tests/python/_simulate_reference.py
run on the region's media inputs with the channel's impressions in the window zeroed by
hand, on a region spec scaled by hand), national channels common and apportioned by size,
regional media bought by region; the result object's tables, pickling and bad input."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest

from trustmix import simulate as sim

REGIONS = [
    {"name": "north", "size": 0.6, "conversion_scale": 1.1, "audience_mix": {"Skeptical Sam": 1.3, "Busy Beth": 0.8}},
    {"name": "south", "size": 1.4, "conversion_scale": 0.9, "audience_mix": {"Loyal Lena": 0.7}},
    {"name": "west", "size": 1.0},
]
T, H, L, W0, W1 = 40, 12, 3, 5, 30


def _panel(**extra: Any) -> sim.GeoPanelResult:
    """The module's regional panel (``extra``: more geo_panel arguments, e.g. a test)."""
    world = sim.World.from_scenario("pr_first_then_smm", seed=2)
    dates = pd.date_range("2025-01-06", periods=T, freq="7D")
    return sim.geo_panel(
        world,
        REGIONS,
        periods=T,
        seed=5,
        national_channels=["press"],
        media_sd=0.4,
        window=(dates[W0], dates[W1]),
        horizon=H,
        lag=L,
        **extra,
    )


@pytest.fixture(scope="module")
def panel() -> sim.GeoPanelResult:
    return _panel()


def region_spec_by_hand(base: dict[str, Any], region: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(base)
    for a in spec["audiences"]:
        a["size"] = float(round(a["size"] * region["size"] * region.get("audience_mix", {}).get(a["name"], 1.0)))
        a["base_conversion_rate"] = a.get("base_conversion_rate", 0.0) * region.get("conversion_scale", 1.0)
    return spec


def test_truth_equals_an_independent_chain_per_region_national_and_regional(panel: sim.GeoPanelResult) -> None:
    from _simulate_reference import drive_arrays, reference_segment_run

    base = sim.scenario("pr_first_then_smm")
    channels = panel.channels
    for r, region in enumerate(REGIONS):
        spec = region_spec_by_hand(base, region)
        pop = panel.panel.loc[panel.panel["geo"] == region["name"], "population"].iloc[0]
        assert pop == sum(a["size"] for a in spec["audiences"])
        drive = panel._worlds[r].drive(periods=T + H, period_days=7)
        drive = drive_arrays(drive)
        drive["impressions"][T:] = 0.0  # the horizon: no marketing and no events after the data
        drive["severity_loss"][T:] = 0.0
        drive["severity_gain"][T:] = 0.0
        ref = reference_segment_run(spec, drive, T + H, 7)["expected_conversions"].sum(axis=1)
        truth = panel.truth[panel.truth["geo"] == region["name"]].set_index("channel")
        inc_table = panel.incremental[panel.incremental["geo"] == region["name"]]
        for c in ("press", "instagram"):  # national PR and regionally bought paid media
            j = channels.index(c)
            cf = {k: v.copy() for k, v in drive.items()}
            cf["impressions"][W0 : W1 + 1, j] = 0.0
            inc = ref - reference_segment_run(spec, cf, T + H, 7)["expected_conversions"].sum(axis=1)
            np.testing.assert_allclose(inc_table[c].to_numpy(), inc, rtol=1e-8, atol=1e-8)
            assert truth.loc[c, "incremental_conversions"] == pytest.approx(inc.sum(), rel=1e-9)
            assert truth.loc[c, "short_term_conversions"] == pytest.approx(inc[: W1 + L + 1].sum(), rel=1e-9)
            assert truth.loc[c, "long_term_conversions"] == pytest.approx(inc[W1 + L + 1 :].sum(), rel=1e-9, abs=1e-9)
            assert np.all(inc[:W0] == 0.0) and inc.sum() > 0
            spend = panel.panel.loc[panel.panel["geo"] == region["name"], f"spend_{c}"].to_numpy()
            assert truth.loc[c, "cost"] == pytest.approx(spend[W0 : W1 + 1].sum(), rel=1e-12)
            assert bool(truth.loc[c, "national"]) == (c == "press")
    nat = panel.truth_national()
    per_geo = panel.truth.groupby("channel")["incremental_conversions"].sum()
    assert nat.loc["press", "incremental_conversions"] == pytest.approx(per_geo["press"], rel=1e-12)
    assert bool(nat.loc["press", "national"]) and not bool(nat.loc["instagram", "national"])


def test_national_activity_is_common_and_regional_media_vary(panel: sim.GeoPanelResult) -> None:
    p = panel.panel
    size = {r["name"]: r["size"] for r in REGIONS}
    press = {g: p.loc[p["geo"] == g, "impressions_press"].to_numpy() / size[g] for g in size}
    assert press["north"].sum() > 0
    np.testing.assert_allclose(press["north"], press["south"], rtol=1e-12)
    np.testing.assert_allclose(press["north"], press["west"], rtol=1e-12)
    # instagram bought by region: per capita spend differs between regions in the same week
    ig = {g: p.loc[p["geo"] == g, "spend_instagram"].to_numpy() / size[g] for g in size}
    on = ig["north"] > 0
    assert on.sum() > 10
    assert np.all(np.abs(np.log(ig["north"][on] / ig["south"][on])) > 0)
    # A regional channel's events PR draws its own coverage per region (not apportioned).
    ev = {g: p.loc[p["geo"] == g, "impressions_events"].to_numpy() / size[g] for g in size}
    assert not np.allclose(ev["north"], ev["south"], rtol=1e-6)
    assert set(p.columns) >= {"geo", "date", "population", "conversions", "trust_survey", "trust_survey_n"}
    assert len(p) == 3 * T and p["trust_survey"].between(0, 1).all()


def test_national_share_sd_moves_the_regions_shares_of_press_and_pickles() -> None:
    world = sim.World.from_scenario("pr_first_then_smm", seed=2)
    uneven = sim.geo_panel(world, REGIONS, periods=T, seed=5, national_channels=["press"], national_share_sd=0.5)
    m = uneven.national_share["press"]
    size = pd.Series({r["name"]: r["size"] for r in REGIONS})
    assert float((size * m).sum() / size.sum()) == pytest.approx(1.0, abs=1e-12)  # the national delivery kept
    assert float(np.abs(np.log(m)).max()) > 0.1
    p = uneven.panel
    press = {g: p.loc[p["geo"] == g, "impressions_press"].to_numpy() / (size[g] * m[g]) for g in size.index}
    assert press["north"].sum() > 0
    np.testing.assert_allclose(press["north"], press["south"], rtol=1e-12)
    np.testing.assert_allclose(press["north"], press["west"], rtol=1e-12)
    back = pickle.loads(pickle.dumps(uneven))
    pd.testing.assert_frame_equal(back.national_share, uneven.national_share)
    # a state pickled before national_share_sd: shares by size
    state = uneven.__getstate__()
    del state["national_share"]
    old = sim.GeoPanelResult.__new__(sim.GeoPanelResult)
    old.__setstate__(state)
    assert (old.national_share["press"] == 1.0).all()
    with pytest.raises(ValueError, match="national_share_sd must be a finite number in \\[0, 3\\]"):
        sim.geo_panel(world, 2, periods=20, national_channels=["press"], national_share_sd=4.0)


def test_result_object_and_determinism(panel: sim.GeoPanelResult) -> None:
    s = panel.summary()
    assert s.loc["geos", "value"] == 3 and s.loc["national_channels", "value"] == "press"
    assert "National truth" in panel._repr_html_()
    ax = panel.plot("instagram")
    assert len(ax.patches) == 2 * 3
    back = pickle.loads(pickle.dumps(panel))
    pd.testing.assert_frame_equal(back.panel, panel.panel)
    pd.testing.assert_frame_equal(back.truth, panel.truth)
    dates = pd.date_range("2025-01-06", periods=T, freq="7D")
    again = sim.geo_panel(
        sim.World.from_scenario("pr_first_then_smm", seed=2),
        REGIONS,
        periods=T,
        seed=5,
        national_channels=["press"],
        media_sd=0.4,
        window=(dates[W0], dates[W1]),
        horizon=H,
        lag=L,
        threads=1,
    )
    pd.testing.assert_frame_equal(again.panel, panel.panel)
    pd.testing.assert_frame_equal(again.truth, panel.truth)


def test_bad_input_is_named() -> None:
    world = sim.World.from_scenario("pr_first_then_smm", seed=2)
    with pytest.raises(ValueError, match="'radio'"):
        sim.geo_panel(world, 2, periods=20, national_channels=["radio"])
    with pytest.raises(ValueError, match="media_sd"):
        sim.geo_panel(world, 2, periods=20, media_sd=-0.1)
    with pytest.raises(ValueError, match="listed twice"):
        sim.geo_panel(world, [{"name": "a"}, {"name": "a"}], periods=20)
    with pytest.raises(ValueError, match="horizon"):
        sim.geo_panel(world, 2, periods=20, horizon=-1)
    with pytest.raises(ValueError, match="outside the run"):
        sim.geo_panel(world, 2, periods=20, window=("2025-01-06", "2030-01-01"))
    with pytest.raises(ValueError, match="spec must be"):
        sim.geo_panel(42, 2)  # type: ignore[arg-type]


def _drawn_schedule(panel: sim.GeoPanelResult, channels: list[str], first: int) -> pd.DataFrame:
    """The panel's drawn spend of ``channels`` from period ``first`` on, as a long schedule."""
    p = panel.panel[panel.panel["date"] >= panel.dates[first]]
    return p.melt(id_vars=["geo", "date"], value_vars=[f"spend_{c}" for c in channels], value_name="spend").assign(
        channel=lambda d: d["variable"].str.removeprefix("spend_")
    )[["geo", "date", "channel", "spend"]]


def test_run_schedule_reproduces_the_drawn_run_and_moves_only_the_changed_region(panel: sim.GeoPanelResult) -> None:
    paid = ["instagram", "tiktok", "youtube"]
    sched = _drawn_schedule(panel, paid, 20)
    run = panel.run_schedule(sched, periods=T)
    assert list(run.columns[:4]) == ["geo", "date", "expected_conversions", "expected_revenue"]
    np.testing.assert_allclose(
        run["expected_conversions"].to_numpy(), panel.panel["expected_conversions"].to_numpy(), rtol=1e-12
    )
    for c in panel.channels:
        np.testing.assert_allclose(run[f"spend_{c}"].to_numpy(), panel.panel[f"spend_{c}"].to_numpy(), rtol=1e-9)
    # south spends nothing on the scheduled channels from period 20: only south changes, only from then
    dark = sched.assign(spend=np.where(sched["geo"] == "south", 0.0, sched["spend"]))
    moved = panel.run_schedule(dark, periods=T)
    for g in ("north", "west"):
        sel = moved["geo"] == g
        np.testing.assert_allclose(
            moved.loc[sel, "expected_conversions"].to_numpy(),
            run.loc[sel, "expected_conversions"].to_numpy(),
            rtol=1e-12,
        )
    south = (moved["geo"] == "south").to_numpy()
    before = south & (moved["date"] < panel.dates[20]).to_numpy()
    after = south & ~before
    np.testing.assert_allclose(
        moved.loc[before, "expected_conversions"].to_numpy(),
        run.loc[before, "expected_conversions"].to_numpy(),
        rtol=1e-12,
    )
    lost = run.loc[after, "expected_conversions"].sum() - moved.loc[after, "expected_conversions"].sum()
    assert lost > 0.01 * run.loc[after, "expected_conversions"].sum()
    assert (moved.loc[after, [f"spend_{c}" for c in paid]].to_numpy() == 0).all()
    # past the schedule's end the scheduled channels spend nothing; a pickled panel still runs
    longer = pickle.loads(pickle.dumps(panel)).run_schedule(sched, periods=T + 6)
    assert len(longer) == 3 * (T + 6)
    assert (longer.loc[longer["date"] > panel.dates[-1], [f"spend_{c}" for c in paid]].to_numpy() == 0).all()
    np.testing.assert_allclose(
        longer.loc[longer["date"] <= panel.dates[-1], "expected_conversions"].to_numpy(),
        run["expected_conversions"].to_numpy(),
        rtol=1e-12,
    )


def test_run_schedule_bad_input_is_named(panel: sim.GeoPanelResult) -> None:
    sched = _drawn_schedule(panel, ["instagram"], 30)
    with pytest.raises(ValueError, match="national channel"):
        panel.run_schedule(sched.assign(channel="press"))
    with pytest.raises(ValueError, match="'radio'"):
        panel.run_schedule(sched.assign(channel="radio"))
    with pytest.raises(ValueError, match="east"):
        panel.run_schedule(sched.assign(geo="east"))
    with pytest.raises(ValueError, match="twice"):
        panel.run_schedule(pd.concat([sched, sched.iloc[:1]]))
    with pytest.raises(ValueError, match="spend must be a finite number >= 0"):
        panel.run_schedule(sched.assign(spend=-1.0))
    with pytest.raises(ValueError, match="lacks the column"):
        panel.run_schedule(sched.drop(columns="spend"))
    with pytest.raises(ValueError, match="periods must be"):
        panel.run_schedule(sched, periods=10)


def test_a_geo_test_inside_the_panel_has_its_exact_effect_and_keeps_everything_else(panel: sim.GeoPanelResult) -> None:
    """A holdout of instagram in north and west over weeks 10-17: those cells spend nothing,
    everything else is the plain panel's; the test's truth equals the difference of the
    exact chains of the panel with and without it (the plain panel, run independently)."""
    dates = panel.dates
    spend = panel.panel.pivot(index="date", columns="geo", values="spend_instagram")
    assert (spend.iloc[10:18][["north", "west"]].sum() > 0).all()  # the holdout silences real spend
    held = _panel(test={"treated": ["north", "west"], "channel": "instagram", "start": dates[10], "end": dates[17]})
    assert panel.test_truth is None and "treated" not in panel.panel
    assert held.panel.groupby("geo")["treated"].first().to_dict() == {"north": True, "south": False, "west": True}
    in_test = held.panel["treated"].to_numpy() & held.panel["date"].between(dates[10], dates[17]).to_numpy()
    assert (held.panel.loc[in_test, "spend_instagram"] == 0).all()
    np.testing.assert_allclose(
        held.panel.loc[~in_test, "spend_instagram"], panel.panel.loc[~in_test, "spend_instagram"], rtol=1e-12
    )
    for c in ("press", "tiktok", "youtube"):
        np.testing.assert_array_equal(held.panel[f"spend_{c}"], panel.panel[f"spend_{c}"])
    south = (held.panel["geo"] == "south").to_numpy()
    np.testing.assert_array_equal(held.panel.loc[south, "conversions"], panel.panel.loc[south, "conversions"])
    tt = held.test_truth
    assert tt is not None and list(tt.columns) == ["geo", "date", "incremental_conversions"]
    assert set(tt["geo"]) == {"north", "west"} and len(tt) == 2 * T
    treated = held.panel["treated"].to_numpy()
    diff = held.panel.loc[treated, "expected_conversions"].to_numpy() - panel.panel.loc[treated, "expected_conversions"]
    np.testing.assert_allclose(tt["incremental_conversions"], diff, rtol=1e-9, atol=1e-9)
    before = pd.to_datetime(tt["date"]) < dates[10]
    assert (tt.loc[before, "incremental_conversions"] == 0).all()
    window_lift = held.test_lift(end=dates[17])
    assert window_lift < 0  # a holdout loses conversions
    assert held.test_lift() == pytest.approx(tt["incremental_conversions"].sum(), rel=1e-12)
    assert held.test_lift() < window_lift  # and keeps losing some after the window (ad memory)
    assert held.test_lift(end=dates[17]) == pytest.approx(
        tt.loc[pd.to_datetime(tt["date"]) <= dates[17], "incremental_conversions"].sum(), rel=1e-12
    )
    # the pickled result keeps the test; run_schedule keeps it too (tiktok rescheduled as drawn)
    back = pickle.loads(pickle.dumps(held))
    pd.testing.assert_frame_equal(back.test_truth, tt)
    run = back.run_schedule(_drawn_schedule(held, ["tiktok"], 5), periods=T)
    np.testing.assert_allclose(run["expected_conversions"], held.panel["expected_conversions"], rtol=1e-12)
    with pytest.raises(ValueError, match="no geo test"):
        panel.test_lift()
    row = held.summary().loc["geo_test"]
    assert row["value"].startswith("instagram x 0 in north, west") and "exact lift" in row["description"]
    assert "geo_test" not in panel.summary().index


def test_a_geo_test_on_an_earned_channel_holds_its_event_out_of_a_region(panel: sim.GeoPanelResult) -> None:
    """events is earned and regional here: a holdout over weeks 5-6 takes the open day's reach
    (2025-02-15) out of south; its trust effect outlasts the window, so the exact lift keeps
    growing for months (the chains' difference), and nothing else moves."""
    dates = panel.dates
    held = _panel(test={"treated": ["south"], "channel": "events", "start": dates[5], "end": dates[6]})
    south = (held.panel["geo"] == "south").to_numpy()
    ev = panel.panel.loc[south, "impressions_events"].to_numpy()
    assert ev[5:7].sum() > 0  # the open day reached south in the plain panel
    np.testing.assert_array_equal(held.panel.loc[south, "impressions_events"].to_numpy()[5:7], 0.0)
    np.testing.assert_array_equal(held.panel.loc[~south, "conversions"], panel.panel.loc[~south, "conversions"])
    for c in ("instagram", "tiktok", "press"):
        np.testing.assert_array_equal(held.panel[f"impressions_{c}"], panel.panel[f"impressions_{c}"])
    tt = held.test_truth
    assert tt is not None
    diff = held.panel.loc[south, "expected_conversions"].to_numpy() - panel.panel.loc[south, "expected_conversions"]
    np.testing.assert_allclose(tt["incremental_conversions"], diff, rtol=1e-9, atol=1e-9)
    inc = tt["incremental_conversions"].to_numpy()
    # nothing before the event's week (trust moves the conversions of the periods after it),
    # lower in every week from then on
    assert (inc[:6] == 0).all() and (inc[6:] < 0).all()
    short, longer = held.test_lift(end=dates[6]), held.test_lift(end=dates[26])
    assert longer < 3 * short < 0  # five months after the window, more than three times the window's loss
    # doubling its reach instead gains conversions
    doubled = {"treated": ["south"], "channel": "events", "start": dates[5], "end": dates[6], "spend_multiplier": 2.0}
    up = _panel(test=doubled)
    assert up.test_lift(end=dates[26]) > 0


def test_bad_geo_tests_are_named() -> None:
    world = sim.World.from_scenario("pr_first_then_smm", seed=2)
    ok = {"treated": ["north"], "channel": "instagram", "start": "2025-03-03", "end": "2025-04-28"}
    with pytest.raises(ValueError, match="unknown key"):
        sim.geo_panel(world, REGIONS, periods=T, test={**ok, "lift": 3})
    with pytest.raises(ValueError, match="missing 'end'"):
        sim.geo_panel(world, REGIONS, periods=T, test={k: v for k, v in ok.items() if k != "end"})
    with pytest.raises(ValueError, match="comes after"):
        sim.geo_panel(world, REGIONS, periods=T, test={**ok, "start": "2025-05-05"})
    with pytest.raises(ValueError, match="'press' is national"):
        sim.geo_panel(world, REGIONS, periods=T, national_channels=["press"], test={**ok, "channel": "press"})
    with pytest.raises(ValueError, match="'east' is not a region"):
        sim.geo_panel(world, REGIONS, periods=T, test={**ok, "treated": ["east"]})
    with pytest.raises(ValueError, match="spend_multiplier"):
        sim.geo_panel(world, REGIONS, periods=T, test={**ok, "spend_multiplier": 1.0})
    with pytest.raises(ValueError, match="test must be a dict"):
        sim.geo_panel(world, REGIONS, periods=T, test=["north"])  # type: ignore[arg-type]
