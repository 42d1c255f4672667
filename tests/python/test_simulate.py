"""Tests of trustmix.simulate: presets, modes, logs, truth, determinism, validation."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest

from trustmix import simulate as sim


def tiny(**over):
    spec = {
        "start": "2025-01-06",
        "trust": {"half_life_days": 70.0, "effect": 1.0, "amplification": 1.0},
        "smm": {"memory_half_life_days": 4.0, "effect": 1.5, "memory_cap": 8},
        "channels": [
            {"name": "press", "peso": "earned", "role": "trust", "engagement": 0.5, "trust_gain": 0.8},
            {"name": "instagram", "peso": "paid", "role": "conversion", "cpm": 6.0, "ctr": 0.01, "engagement": 0.2},
            {"name": "linkedin", "peso": "paid", "role": "conversion", "cpm": 30.0},
        ],
        "audiences": [
            {
                "name": "Skeptical Sam",
                "size": 6000,
                "baseline_trust": 0.2,
                "trust_sensitivity": 0.8,
                "base_conversion_rate": 0.02,
                "value_per_conversion": 50.0,
                "reach": {"press": 0.5, "instagram": 0.6},
            },
            {
                "name": "Loyal Lena",
                "size": 4000,
                "baseline_trust": 0.7,
                "base_conversion_rate": 0.04,
                "value_per_conversion": 80.0,
                "reach": {"press": 0.4, "instagram": 0.8},
            },
        ],
        "campaigns": [
            {"name": "ig", "channel": "instagram", "start": "2025-02-03", "end": "2025-04-27", "budget": 4000.0}
        ],
        "pr_activities": [
            {
                "name": "interview",
                "channel": "press",
                "kind": "interview",
                "date": "2025-01-13",
                "outlet_reach": 5000,
                "mentions": 4,
            }
        ],
    }
    spec.update(over)
    return spec


def test_every_preset_runs_and_matches_its_expectation():
    assert set(sim.scenario_names()) >= {
        "pr_first_then_smm",
        "smm_only",
        "crisis_with_pr_response",
        "crisis_without_pr_response",
        "healthcare_clinic",
    }
    for name in sim.scenario_names():
        out = sim.World.from_scenario(name, seed=3).run(periods=60, truth=False)
        expected = out._raw.expected_conversions.sum(axis=1)
        realised = out.panel["conversions"].to_numpy()
        # Sums of independent Bernoulli variables over people: variance <= mean.
        assert np.all(np.abs(realised - expected) <= 5 * np.sqrt(expected) + 1e-9), name
        assert out.panel["trust_survey"].between(0, 1).all()
        assert (out.panel["share_of_voice"].dropna().between(0, 1)).all()


def test_panel_columns_and_spend_matches_the_plan():
    world = sim.World(tiny(), seed=1)
    out = world.run(periods=20)
    for c in world.channels:
        for k in ("spend", "impressions", "reach", "clicks", "visits", "mentions"):
            assert f"{k}_{c}" in out.panel.columns
    for col in (
        "mentions",
        "share_of_voice",
        "net_sentiment",
        "trust_survey",
        "trust_survey_n",
        "conversions",
        "revenue",
    ):
        assert col in out.panel.columns
    # Campaign budget 4000 over 2025-02-03..2025-04-27 (12 weeks) -> 333.33 per week.
    ig = out.panel["spend_instagram"]
    assert ig.sum() == pytest.approx(4000.0)
    assert ig.iloc[4] == pytest.approx(4000.0 / 12)
    assert ig.iloc[:4].sum() == 0.0
    # Paid impressions = 1000 * spend / cpm.
    assert out.panel["impressions_instagram"].sum() == pytest.approx(1000 * 4000 / 6.0)
    assert out.panel["spend_press"].sum() == pytest.approx(5000.0)  # interview cost by kind default
    assert out.segment_panel.shape[0] == 20 * 2 * 3
    assert list(out.outcomes.columns) == [
        "date",
        "segment",
        "conversions",
        "revenue",
        "trusting_share",
        "expected_conversions",
    ]


def test_agent_logs_are_tidy_and_consistent():
    world = sim.World(tiny(), seed=2)
    out = world.run(periods=16, mode="agent", agents=10_000)
    tp, cv = out.touchpoints, out.conversions
    assert list(tp.columns) == ["user_id", "timestamp", "channel", "campaign", "kind"]
    assert list(cv.columns) == ["user_id", "timestamp", "value"]
    assert len(tp) > 1000 and len(cv) > 100
    assert set(tp["kind"].unique()) <= {"impression", "earned", "click"}
    assert set(tp.loc[tp["channel"] == "instagram", "campaign"]) == {"ig"}
    assert set(tp.loc[tp["channel"] == "press", "campaign"]) == {"interview"}
    assert set(tp.loc[tp["channel"] == "press", "kind"]) == {"earned", "click"}
    end = pd.Timestamp("2025-01-06") + pd.Timedelta(weeks=16)
    assert tp["timestamp"].between(pd.Timestamp("2025-01-06"), end).all()
    assert cv["timestamp"].between(pd.Timestamp("2025-01-06"), end).all()
    assert len(cv) == out.panel["conversions"].sum()
    assert cv["value"].sum() == pytest.approx(out.panel["revenue"].sum())
    # Clicks in the log equal the panel's clicks; values follow the user's segment.
    assert (tp["kind"] == "click").sum() == out.panel[[f"clicks_{c}" for c in world.channels]].to_numpy().sum()
    seg = out.users.set_index("user_id")["segment"]
    values = {"Skeptical Sam": 50.0, "Loyal Lena": 80.0}
    assert (cv["value"].to_numpy() == seg.loc[cv["user_id"]].map(values).to_numpy()).all()
    # A converting person's touches of the same week come before the conversion.
    week = lambda ts: (ts - pd.Timestamp("2025-01-06")).dt.days // 7  # noqa: E731
    j = tp.assign(week=week(tp["timestamp"])).merge(
        cv.assign(week=week(cv["timestamp"])), on=["user_id", "week"], suffixes=("", "_conv")
    )
    assert len(j) > 0
    assert (j["timestamp"] <= j["timestamp_conv"]).all()


def test_same_seed_same_numbers_for_any_thread_count():
    world = sim.World(tiny(), seed=5)
    a = world.run(periods=12, mode="agent", agents=8000, threads=1, truth=False)
    b = world.run(periods=12, mode="agent", agents=8000, threads=2, truth=False)
    pd.testing.assert_frame_equal(a.panel, b.panel)
    # DataFrame.equals: exact values and dtypes (assert_frame_equal is slow on categoricals).
    assert len(a.touchpoints) > 10_000 and a.touchpoints.equals(b.touchpoints)
    assert len(a.conversions) > 100 and a.conversions.equals(b.conversions)
    s1 = world.run(periods=12, threads=1, truth=False)
    s2 = world.run(periods=12, threads=3, truth=False)
    pd.testing.assert_frame_equal(s1.panel, s2.panel)
    other = sim.World(tiny(), seed=6).run(periods=12, threads=1, truth=False)
    assert not other.panel["conversions"].equals(s1.panel["conversions"])


def test_trust_decays_with_half_life_without_inputs():
    spec = tiny(campaigns=[], pr_activities=[])
    spec["trust"]["initial"] = {"Skeptical Sam": 0.9, "Loyal Lena": 0.1}
    out = sim.World(spec, seed=1).run(periods=30)
    r = 0.5 ** (7 / 70)
    t = np.arange(30) + 1
    tr = out.truth.trust
    sam = tr[tr["segment"] == "Skeptical Sam"]["expected_trusting_share"].to_numpy()
    lena = tr[tr["segment"] == "Loyal Lena"]["expected_trusting_share"].to_numpy()
    np.testing.assert_allclose(sam, 0.2 + r**t * (0.9 - 0.2), rtol=1e-12)
    np.testing.assert_allclose(lena, 0.7 + r**t * (0.1 - 0.7), rtol=1e-12)
    assert (out.truth.channels["conversions"] == 0).all()


def test_ground_truth_is_consistent_and_pr_pays_later():
    out = sim.World.from_scenario("pr_first_then_smm", seed=1).run(periods=104)
    ch = out.truth.channels.set_index("channel")
    np.testing.assert_allclose(ch["short_term_conversions"] + ch["long_term_conversions"], ch["conversions"], rtol=1e-9)
    paid = ch["cost"] > 0
    # roas gross, roi net of the cost (TrustFit.roi's roi_total), parts adding up to roas
    np.testing.assert_allclose(ch.loc[paid, "roas"], ch.loc[paid, "revenue"] / ch.loc[paid, "cost"], rtol=1e-12)
    np.testing.assert_allclose(
        ch.loc[paid, "roi"], (ch.loc[paid, "revenue"] - ch.loc[paid, "cost"]) / ch.loc[paid, "cost"], rtol=1e-12
    )
    np.testing.assert_allclose(
        ch.loc[paid, "short_term_roas"] + ch.loc[paid, "long_term_roas"], ch.loc[paid, "roas"], rtol=1e-12
    )
    np.testing.assert_allclose(ch.loc[paid, "short_term_roi"], ch.loc[paid, "short_term_roas"] - 1.0, rtol=1e-12)
    np.testing.assert_allclose(out.truth.incremental.sum().to_numpy(), ch["conversions"].to_numpy(), rtol=1e-9)
    assert ch.loc["press", "conversions"] > 0
    assert ch.loc["press", "long_term_share"] > ch.loc["instagram", "long_term_share"]
    assert -1 < ch.loc["instagram", "marginal_roi"] < np.inf  # net of the extra 1%: above -1 when it brings revenue
    assert np.isnan(ch.loc["press", "marginal_roi"])  # no paid spend to scale
    camp = out.truth.campaigns
    assert set(camp["type"]) == {"campaign", "pr_activity"}
    assert (camp["short_term_conversions"] + camp["long_term_conversions"] - camp["conversions"]).abs().max() < 1e-6


def test_pr_first_builds_more_trust_and_smm_converts_better():
    pr = sim.World.from_scenario("pr_first_then_smm", seed=1).run(periods=60)
    smm = sim.World.from_scenario("smm_only", seed=1).run(periods=60)
    tp = pr.truth.trust.groupby("date")["expected_trusting_share"].mean()
    ts = smm.truth.trust.groupby("date")["expected_trusting_share"].mean()
    assert (tp.iloc[20:] > ts.iloc[20:]).all()
    # Same SMM budget, more incremental conversions from instagram thanks to trust.
    ip = pr.truth.channels.set_index("channel").loc["instagram", "conversions"]
    is_ = smm.truth.channels.set_index("channel").loc["instagram", "conversions"]
    assert ip > is_


def test_crisis_response_softens_trust_loss():
    a = sim.World.from_scenario("crisis_with_pr_response", seed=1).run(periods=52)
    b = sim.World.from_scenario("crisis_without_pr_response", seed=1).run(periods=52)
    ta = a.truth.trust.groupby("date")["expected_trusting_share"].mean()
    tb = b.truth.trust.groupby("date")["expected_trusting_share"].mean()
    crisis = pd.Timestamp("2025-07-07")
    assert (ta[ta.index >= crisis] > tb[tb.index >= crisis]).all()
    assert b.panel.loc[b.panel.index >= crisis, "net_sentiment"].iloc[0] < 0


def test_zero_change_counterfactual_is_exactly_equal():
    out = sim.World(tiny(), seed=4).run(periods=16, mode="agent", agents=6000, realised_truth=True, progress=False)
    real = out.truth.realised_incremental
    assert (real["linkedin"] == 0).all()  # no campaigns: removing it changes no random number
    assert real["instagram"].iloc[:4].abs().sum() == 0  # nothing before the campaign starts
    assert real["instagram"].sum() > 0
    # Instagram's only source is campaign "ig", press's only source is "interview": with
    # common random numbers, removing the campaign is bit-for-bit removing the channel.
    ch = out.truth.realised_channels.set_index("channel")
    camp = out.truth.realised_campaigns.set_index("name")
    assert camp.loc["ig", "conversions"] == ch.loc["instagram", "conversions"] == real["instagram"].sum()
    assert camp.loc["interview", "revenue"] == ch.loc["press", "revenue"]
    assert list(camp["type"]) == ["campaign", "pr_activity"]
    assert (ch["short_term_conversions"] + ch["long_term_conversions"] == ch["conversions"]).all()


# One wrong field of tiny()'s spec per row: (part, index, key, value, the error it gives).
_BAD_FIELDS = [
    ("channels", 1, "ctr", 1.5, r"channel 'instagram': ctr must be in \[0, 1\], got 1.5"),
    ("audiences", 0, "size", -5, r"Audience 'Skeptical Sam': size must be .* got -5"),
    ("audiences", 1, "base_conversion_rate", 1.2, r"base_conversion_rate must be in \[0, 1\], got 1.2"),
    ("campaigns", 0, "channel", "snapchat", r"Campaign 'ig': unknown channel 'snapchat'"),
    ("pr_activities", 0, "kind", "podcast", r"pr_activities\[0\]: kind must be one of"),
    ("channels", 0, "trust_gian", 1.0, r"unknown key\(s\) \['trust_gian'\] in channels\[0\]"),
]


@pytest.mark.parametrize(("part", "index", "key", "value", "message"), _BAD_FIELDS)
def test_validation_errors_name_field_and_value(part, index, key, value, message):
    bad = tiny()
    bad[part][index][key] = value
    with pytest.raises(ValueError, match=message):
        sim.World(bad)


def test_validation_errors_of_scenario_freq_and_mode():
    with pytest.raises(ValueError, match="unknown scenario 'nope'"):
        sim.World.from_scenario("nope")
    world = sim.World(tiny())
    with pytest.raises(ValueError, match="freq must be 'W' or 'D', got 'M'"):
        world.run(freq="M")
    with pytest.raises(ValueError, match="mode must be"):
        world.run(mode="cohort")


def test_pickle_and_json_round_trip(tmp_path):
    world = sim.World.from_scenario("smm_only", seed=9)
    again = pickle.loads(pickle.dumps(world))
    a = world.run(periods=10, truth=False).panel
    pd.testing.assert_frame_equal(a, again.run(periods=10, truth=False).panel)
    path = tmp_path / "world.json"
    world.to_json(path)
    pd.testing.assert_frame_equal(a, sim.World.from_json(path, seed=9).run(periods=10, truth=False).panel)
    edited = world.to_dict()
    edited["audiences"][0]["size"] = 1_000
    assert world.to_dict()["audiences"][0]["size"] != 1_000  # copies, not views
    assert copy.deepcopy(sim.SCENARIOS["smm_only"]) == sim.scenario("smm_only")


def test_daily_mode_and_large_population():
    spec = tiny()
    spec["audiences"][0]["size"] = 60_000_000
    spec["audiences"][1]["size"] = 40_000_000
    out = sim.World(spec, seed=1).run(periods=156, truth=False)
    exp = out._raw.expected_conversions.sum(axis=1)
    assert np.all(np.abs(out.panel["conversions"] - exp) <= 5 * np.sqrt(exp))
    daily = sim.World(tiny(), seed=1).run(periods=60, freq="D")
    assert daily.panel.index[1] - daily.panel.index[0] == pd.Timedelta(days=1)
    assert daily.panel["spend_instagram"].sum() == pytest.approx(4000.0 * (60 - 28) / 84)


def test_summary_plots_and_html():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = sim.World.from_scenario("healthcare_clinic", seed=1).run(periods=52)
    s = out.summary()
    assert "total" in s.index and "incremental_conversions" in s.columns
    assert s.loc["total", "spend"] == pytest.approx(out.panel.filter(like="spend_").to_numpy().sum())
    assert "<table" in out._repr_html_()
    ax = out.plot_trust()
    assert len(ax.lines) >= 2 * len(out.world.segments)
    ax2 = out.plot_conversions()
    assert ax2.get_ylabel() == "conversions per period"
    plt.close("all")
    # In the clinic, the trust channels carry most of the incremental revenue.
    ch = out.truth.channels.set_index("channel")
    assert ch.loc[["press", "health_talks"], "revenue"].sum() > ch.loc[["instagram"], "revenue"].sum()


def test_chain_matches_an_independent_numpy_implementation():
    from _simulate_reference import reference_segment_run, reference_transition

    for name in ("crisis_with_pr_response", "healthcare_clinic"):
        world = sim.World.from_scenario(name, seed=2)
        spec = world.to_dict()
        pop = np.array([a["size"] for a in spec["audiences"]], dtype=float)
        drive = world._core.drive(periods=40, period_days=7)
        for s in range(len(pop)):
            for t in (0, 5, 27, 39):
                cpp = world._core.transition(segment=s, period=t, periods=40, period_days=7, population=list(pop))
                np.testing.assert_allclose(cpp, reference_transition(spec, drive, s, t, 7, pop), atol=1e-13)
        ref = reference_segment_run(spec, drive, 40, 7, seed=1)
        out = world.run(periods=40, truth=False)
        np.testing.assert_allclose(out._raw.expected_conversions, ref["expected_conversions"], rtol=1e-10)
        np.testing.assert_allclose(out._raw.expected_trusting, ref["expected_trusting"], rtol=1e-10)
        # Different generators, same law: per-period totals within 5 sd of each other.
        e = ref["expected_conversions"].sum(axis=1)
        assert np.all(np.abs(out.panel["conversions"] - ref["conversions"].sum(axis=1)) <= 5 * np.sqrt(2 * e))


def test_name_clashes_are_rejected():
    bad = tiny()
    bad["pr_activities"][0]["name"] = "ig"
    with pytest.raises(ValueError, match=r"repeated: \['ig'\]"):
        sim.World(bad)


def test_agent_progress_reports_every_person_once(capsys):
    world = sim.World(tiny(), seed=1)
    calls = []
    raw = world._core.run(
        "agent", periods=30, period_days=7, threads=2, agent_scale=1.0, record_touches=False, progress=calls.append
    )
    assert sum(calls) == 10_000 and all(c > 0 for c in calls)
    plain = world._core.run("agent", periods=30, period_days=7, threads=2, agent_scale=1.0, record_touches=False)
    np.testing.assert_array_equal(raw.conversions, plain.conversions)  # the bar changes nothing
    out = world.run(periods=30, mode="agent", agents=10_000, truth=False, progress=True)
    assert "agents" in capsys.readouterr().err
    assert out.panel["conversions"].sum() == raw.conversions.sum()


def test_logs_are_sorted_by_user_and_time():
    out = sim.World(tiny(), seed=3).run(periods=10, mode="agent", agents=3000, truth=False)
    for df in (out.touchpoints, out.conversions):
        key = df[["user_id", "timestamp"]]
        assert key.equals(key.sort_values(["user_id", "timestamp"], kind="stable"))


def test_results_pickle():
    out = sim.World(tiny(), seed=1).run(periods=8, mode="agent", agents=2000)
    again = pickle.loads(pickle.dumps(out))
    assert again.panel.equals(out.panel) and again.touchpoints.equals(out.touchpoints)
    assert again.truth.channels.equals(out.truth.channels)


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@hypothesis.settings(max_examples=25, deadline=None)
@hypothesis.given(
    reach=st.lists(st.one_of(st.just(0.0), st.floats(0.01, 1.0)), min_size=3, max_size=3),
    engagement=st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3),
    dispersion=st.sampled_from([0.0, 0.5, 3.0]),
    sentiment=st.floats(-1.0, 1.0),
    budget=st.floats(0.0, 50_000.0),
    memory_cap=st.integers(1, 12),
    roles=st.lists(st.sampled_from(["trust", "conversion", "both"]), min_size=3, max_size=3),
)
def test_transition_matrices_match_the_reference_for_random_worlds(
    reach, engagement, dispersion, sentiment, budget, memory_cap, roles
):
    from _simulate_reference import reference_transition

    spec = tiny()
    spec["smm"]["memory_cap"] = memory_cap
    for ch, e, role in zip(spec["channels"], engagement, roles, strict=True):
        ch["engagement"], ch["role"], ch["dispersion"], ch["trust_gain"] = e, role, dispersion, 0.7
        ch["sentiment"] = sentiment
    spec["audiences"][0]["reach"] = dict(zip(["press", "instagram", "linkedin"], reach, strict=True))
    spec["campaigns"][0]["budget"] = budget
    spec["campaigns"].append(
        {"name": "li", "channel": "linkedin", "start": "2025-01-06", "end": "2025-03-02", "budget": budget / 3}
    )
    world = sim.World(spec, seed=1)
    pop = np.array([6000.0, 4000.0])
    drive = world._core.drive(periods=10, period_days=7)
    for s in (0, 1):
        for t in (1, 5):
            cpp = world._core.transition(segment=s, period=t, periods=10, period_days=7, population=list(pop))
            np.testing.assert_allclose(cpp.sum(axis=1), 1.0, atol=1e-12)
            assert cpp.min() >= 0.0
            np.testing.assert_allclose(cpp, reference_transition(spec, drive, s, t, 7, pop), atol=1e-12)


def test_world_describe_and_html():
    world = sim.World.from_scenario("healthcare_clinic")
    d = world.describe()
    assert list(d["audiences"].index) == ["Anxious Anna", "Retired Rolf", "Skeptical Sam"]
    assert d["channels"].loc["health_talks", "role"] == "trust"
    assert "Anxious Anna" in world._repr_html_() and "2 campaigns, 4 PR activities, 0 events" in world._repr_html_()


def test_impossible_frequencies_are_rejected():
    spec = tiny()
    spec["audiences"][0]["reach"] = {"instagram": 1e-300}
    spec["audiences"][1]["reach"] = {}
    world = sim.World(spec)
    with pytest.raises(ValueError, match=r"channel 'instagram': .* impressions per reachable person in period 4"):
        world.run(periods=10)


def test_world_spec_fields_are_read_by_table_with_named_errors():
    from trustmix import _core

    spec = {"channels": [{"name": "tv", "cpm": "cheap"}], "audiences": [{"name": "a", "size": 10.0}]}
    with pytest.raises(ValueError, match=r"channels\[0\]: cpm has the wrong type: 'cheap'"):
        _core.simulate.World(spec, 1)
    with pytest.raises(ValueError, match=r"audiences\[0\]: missing 'name'"):
        _core.simulate.World({"audiences": [{"size": 1.0}]}, 1)
    with pytest.raises(ValueError, match="memory_cap has the wrong type"):
        _core.simulate.World({"memory_cap": "ten"}, 1)
