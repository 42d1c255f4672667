"""Domain model: construction, validation messages, lookups, dict and pickle round trips."""

import datetime as dt
import json
import pickle

import pandas as pd
import pytest

import trustmix as tm


def example_plan() -> tm.Plan:
    return tm.Plan(
        channels=[
            tm.Channel("press", peso="earned", role="trust", platform="press", metadata={"owner": "PR team"}),
            tm.Channel("instagram", peso="paid", role="conversion", platform="instagram"),
        ],
        campaigns=[
            tm.Campaign(
                "spring", channel="press", objective="trust", start="2025-03-03", end=dt.date(2025, 3, 16), budget=1400
            ),
            tm.Campaign(
                "insta",
                channel="instagram",
                start="2025-03-10",
                end="2025-03-23",
                budget=700,
                schedule={"2025-03-10": 500, pd.Timestamp("2025-03-17"): 200},
            ),
        ],
        audiences=[
            tm.Audience(
                "Skeptical Sam",
                size=1e5,
                baseline_trust=0.2,
                reach={"press": 0.3},
                affinity={"instagram": 0.8},
                tags={"age": "35-54"},
            )
        ],
    )


def test_fields_and_lookups():
    p = example_plan()
    assert p.channel("press").peso == "earned"
    assert p.channel("press").builds_trust and not p.channel("press").converts
    assert p.channel("instagram").platform == "instagram"
    assert p.campaign("spring").start == dt.date(2025, 3, 3)
    assert p.campaign("spring").days == 14
    assert p.campaign("insta").schedule == [(dt.date(2025, 3, 10), 500.0), (dt.date(2025, 3, 17), 200.0)]
    assert p.audience("Skeptical Sam").reach == {"press": 0.3}
    assert p.total_budget() == 2100.0
    assert list(p.channels_frame()["role"]) == ["trust", "conversion"]


def test_spend_frame_sums_to_budget():
    p = example_plan()
    weekly = p.spend("2025-03-03", 4, freq="W")
    assert list(weekly.columns) == ["press", "instagram"]
    assert weekly.index[0] == pd.Timestamp("2025-03-03")
    assert weekly["press"].tolist() == pytest.approx([700, 700, 0, 0], abs=1e-9)
    assert weekly["instagram"].tolist() == [0, 500, 200, 0]
    daily = p.spend("2025-03-03", 21, freq="D")
    assert daily.to_numpy().sum() == pytest.approx(2100, abs=1e-9)
    assert p.campaign("spring").spend().sum() == pytest.approx(1400, abs=1e-9)


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: tm.Campaign("c", channel="press", start="2025-03-02", end="2025-03-01", budget=1),
            "Campaign 'c': end (2025-03-01) is before start (2025-03-02)",
        ),
        (
            lambda: tm.Campaign("c", channel="press", start="2025-03-01", end="2025-03-02", budget=-3),
            "Campaign 'c': budget must be a finite number >= 0, got -3",
        ),
        (
            lambda: tm.Campaign("c", channel="press", start="1/3/2025", end="2025-03-02", budget=1),
            "Campaign 'c': start must be an ISO date YYYY-MM-DD, got '1/3/2025'",
        ),
        (lambda: tm.Audience("a", size=float("nan")), "Audience 'a': size must be a finite number >= 0, got nan"),
        (lambda: tm.Audience("a", size=10, baseline_trust=2), "Audience 'a': baseline_trust must be in [0, 1], got 2"),
        (lambda: tm.Channel("x", peso="social"), "peso must be one of {paid, earned, shared, owned}, got 'social'"),
        (lambda: tm.Channel("x", role="sales"), "role must be one of {trust, conversion, both}, got 'sales'"),
        (lambda: tm.Channel(""), "Channel.name must be a non-empty string"),
    ],
)
def test_bad_input_names_field_and_value(make, message):
    with pytest.raises(ValueError) as e:
        make()
    assert message in str(e.value)


def test_plan_invariants():
    p = example_plan()
    with pytest.raises(ValueError, match="duplicate channel name 'press'"):
        p.add_channel(tm.Channel("press"))
    with pytest.raises(ValueError, match=r"unknown channel 'tiktok' \(plan channels: press, instagram\)"):
        p.add_campaign(tm.Campaign("t", channel="tiktok", start="2025-01-01", end="2025-01-02", budget=1))
    with pytest.raises(ValueError, match="duplicate campaign name 'spring'"):
        p.add_campaign(tm.Campaign("spring", channel="press", start="2025-01-01", end="2025-01-02", budget=1))
    with pytest.raises(ValueError, match="Audience 'b': unknown channel 'radio'"):
        p.add_audience(tm.Audience("b", size=1, reach={"radio": 0.5}))
    with pytest.raises(ValueError, match="no channel named 'radio'"):
        p.channel("radio")


def test_dict_json_and_pickle_round_trips():
    p = example_plan()
    d = p.to_dict()
    assert d["version"] == 1
    restored = tm.Plan.from_dict(json.loads(json.dumps(d)))
    assert restored == p
    assert pickle.loads(pickle.dumps(p)) == p
    for item in (p.channels[0], p.campaigns[1], p.audiences[0]):
        assert pickle.loads(pickle.dumps(item)) == item
        assert type(item).from_dict(item.to_dict()) == item
    newer = dict(d, version=99)
    with pytest.raises(ValueError, match="version 99, newer than this trustmix understands"):
        tm.Plan.from_dict(newer)


def test_repr_and_html():
    p = example_plan()
    assert repr(p) == "Plan(2 channels, 2 campaigns, 1 audiences, total budget 2,100.00)"
    html = p._repr_html_()
    assert "<table" in html and "Skeptical Sam" in html
    assert repr(p.channel("press")) == "Channel('press', peso='earned', role='trust', platform='press')"


def test_old_pickles_and_dicts_still_load():
    """State version 1, written by trustmix 0.1.0, must keep loading."""
    import pathlib

    here = pathlib.Path(__file__).parent / "data"
    expected = example_plan()
    assert pickle.loads((here / "plan_v1.pickle").read_bytes()) == expected
    assert tm.Plan.from_dict(json.loads((here / "plan_v1.json").read_text())) == expected


def test_pandas_views_are_bound_methods_of_every_instance():
    # Bound on the compiled classes (bindings/core.cpp), not patched in by trustmix.core:
    # instances C++ returns (from_dict, a plan's campaigns, unpickled) have them too.
    assert type(tm.Plan.__dict__["spend"]).__name__ == "instancemethod"
    assert type(tm.Campaign.__dict__["spend"]).__name__ == "instancemethod"
    p = tm.Plan.from_dict(example_plan().to_dict())
    assert p.spend("2025-03-03", 4)["press"].tolist() == pytest.approx([700, 700, 0, 0], abs=1e-9)
    assert p.campaigns[0].spend().sum() == pytest.approx(1400, abs=1e-9)
    q = pickle.loads(pickle.dumps(p))
    assert q.campaigns_frame().equals(p.campaigns_frame())
    assert repr(q) == "Plan(2 channels, 2 campaigns, 1 audiences, total budget 2,100.00)"


@pytest.mark.parametrize(
    "cls, data, message",
    [
        ("Channel", {"name": "tv", "role": "conversion"}, "missing 'peso'"),
        ("Channel", {"name": 3, "peso": "paid", "role": "conversion"}, "name has the wrong type: 3"),
        (
            "Campaign",
            {"name": "c", "channel": "tv", "objective": "trust", "start": "2025-01-01", "end": "2025-01-02"},
            "Campaign 'c': missing 'budget'",
        ),
        ("Audience", {"name": "a"}, "missing 'size'"),
    ],
)
def test_from_dict_names_the_missing_or_wrong_field(cls, data, message):
    with pytest.raises(ValueError, match=message):
        getattr(tm, cls).from_dict(data)
