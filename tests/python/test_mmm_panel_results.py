"""Geo-level results of the panel model (PanelFit.short_long, response_curves and their
plots; C++ panel_analyses.hpp): geo rows adding up to the rolled-up rows, short + long =
total = the exact path split, the response curve at the historical spend equal to the
incremental outcome and to PanelFit.roi (gross ROI on the same pass), ROI formulas,
posterior summaries equal to per-draw means, identical results for every thread count,
bad input. The closed forms on tiny panels are in tests/cpp/test_mmm_panel_analyses.cpp."""

from __future__ import annotations

import types
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix.mmm.panel import PanelFit

matplotlib.use("Agg")


def _panel(seed: int = 0, geos: int = 3, periods: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pop = np.array([1e5 * (1 + 2 * g) for g in range(geos)])
    dates = pd.date_range("2023-01-02", periods=periods, freq="7D")
    press = (rng.random(periods) < 0.3) * rng.gamma(2.0, 50.0, periods)  # national
    social = rng.gamma(2.0, 0.05, (periods, geos)) * pop
    tv = (rng.random((periods, geos)) < 0.4) * rng.gamma(2.0, 0.03, (periods, geos)) * pop
    y = (2.0 + 0.2 * rng.normal(size=(periods, geos)) + 0.3 * social / pop / 0.1) * pop
    return pd.DataFrame(
        {
            "geo": np.tile([f"g{g}" for g in range(geos)], periods),
            "week": np.repeat(dates, geos),
            "sales": y.reshape(-1),
            "pop": np.tile(pop, periods),
            "press": np.repeat(press, geos),
            "social": social.reshape(-1),
            "tv": tv.reshape(-1),
            "social_spend": 2.0 * social.reshape(-1),
        }
    )


@pytest.fixture(scope="module")
def fit() -> PanelFit:
    model = tm.mmm.PanelMMM(
        _panel(),
        geo="geo",
        date="week",
        outcome="sales",
        channels={"press": "trust", "social": "conversion", "tv": "both"},
        population="pop",
        national_channels=["press"],
        spend={"social": "social_spend"},
        trust="national",
        max_lag=4,
        value_per_outcome=3.0,
    )
    return model.fit("map")


def _fake_nuts(fit: PanelFit, chains: int = 2, draws: int = 5) -> PanelFit:
    """A PanelFit with a posterior of draws scattered around the mode (what the summaries
    see of a NUTS fit: .draws, chains x draws x dimension)."""
    rng = np.random.default_rng(1)
    z = fit.z[None, None, :] + 0.1 * rng.normal(size=(chains, draws, fit.z.size))
    return PanelFit(fit.model, fit.z, fit.info, types.SimpleNamespace(draws=z))


def test_geo_rows_add_up_to_the_rolled_up_rows_and_short_plus_long_is_total(fit: PanelFit) -> None:
    d = fit.short_long(by="geo", horizon=40)
    geos = fit.model.geos
    assert list(d.columns[:4]) == ["channel", "geo", "role", "spend"]
    assert len(d) == 3 * (len(geos) + 1)
    for c in fit.model.channel_names:
        part = d[d["channel"] == c]
        total = part[part["geo"] == "total"].iloc[0]
        rows = part[part["geo"] != "total"]
        assert list(rows["geo"]) == geos
        for col in ("incremental_short", "incremental_long", "incremental_total", "via_trust_direct", "own", "spend"):
            assert rows[col].sum() == pytest.approx(total[col], rel=1e-10, abs=1e-9)
        np.testing.assert_allclose(
            part["incremental_short"] + part["incremental_long"], part["incremental_total"], rtol=1e-12, atol=1e-9
        )
        paths = part["via_trust_direct"] + part["via_amplification"] + part["own"]
        np.testing.assert_allclose(paths, part["incremental_total"], rtol=1e-9, atol=1e-6)
        # the national model's ROI definitions with v = 3
        np.testing.assert_allclose(
            part["roi_total"], (part["incremental_total"] * 3.0 - part["spend"]) / part["spend"], rtol=1e-12
        )
        np.testing.assert_allclose(
            part["roi_short"], (part["incremental_short"] * 3.0 - part["spend"]) / part["spend"], rtol=1e-12
        )
    press = d[(d["channel"] == "press") & (d["geo"] == "total")].iloc[0]
    assert press["incremental_long"] > 0  # PR's effect through the stock outlives the lag window
    # social's spend column is used (2 x activity), apportioned per geo
    social = d[(d["channel"] == "social") & (d["geo"] != "total")]
    raw = _panel()
    expect = raw.groupby("geo", sort=False)["social_spend"].sum().to_numpy()
    np.testing.assert_allclose(social["spend"], expect, rtol=1e-12)
    tot = fit.short_long(by="channel", horizon=40)
    assert list(tot["geo"]) == ["total"] * 3
    np.testing.assert_allclose(tot["incremental_total"], d[d["geo"] == "total"]["incremental_total"], rtol=0)


def test_roi_and_short_long_report_one_roi(fit: PanelFit) -> None:
    # PanelFit.roi and short_long read the same C++ pass (panel_roi) and define ROI alike:
    # roi net of the spend (the national TrustFit.roi's roi_total), roas = roi + 1 gross.
    sl = fit.short_long(by="geo", horizon=30)
    r = fit.roi(by="geo", horizon=30)
    merged = sl.merge(r, on=["channel", "geo"], suffixes=("_sl", ""))
    assert len(merged) == len(sl)
    np.testing.assert_allclose(merged["incremental_total"], merged["incremental"], rtol=1e-10, atol=1e-8)
    np.testing.assert_allclose(merged["roi"], merged["roi_total"], rtol=1e-10)
    np.testing.assert_allclose(merged["cost_per_incremental"], merged["cost_per_incremental_sl"], rtol=1e-10)
    # by definition, with the model's value per outcome v = 3: roas = incremental x v / spend
    v = fit.model.value_per_outcome
    paid = merged[merged["spend"] > 0]
    np.testing.assert_allclose(paid["roas"], paid["incremental"] * v / paid["spend"], rtol=1e-10)
    np.testing.assert_allclose(paid["roi"], paid["roas"] - 1.0, rtol=1e-10)
    # an argument overrides the model's value: ROAS scales with it
    r2 = fit.roi(by="geo", horizon=30, value_per_outcome=2 * v)
    np.testing.assert_allclose(r2["roas"], 2 * r["roas"], rtol=1e-10)


def test_response_curve_at_the_historical_spend_is_the_incremental_outcome(fit: PanelFit) -> None:
    ks = [0.0, 0.5, 1.0, 2.0]
    rc = fit.response_curves(by="geo", multipliers=ks, horizon=40)
    assert list(rc.columns) == ["channel", "geo", "multiplier", "spend", "incremental", "roi"]
    sl = fit.short_long(by="geo", horizon=40)
    at1 = rc[rc["multiplier"] == 1.0].merge(sl, on=["channel", "geo"], suffixes=("", "_sl"))
    np.testing.assert_allclose(at1["incremental"], at1["incremental_total"], rtol=1e-10, atol=1e-8)
    np.testing.assert_allclose(at1["spend"], at1["spend_sl"], rtol=1e-12)
    assert (rc[rc["multiplier"] == 0.0]["incremental"] == 0.0).all()
    for (c, k), part in rc.groupby(["channel", "multiplier"]):
        geo = part[part["geo"] != "total"]["incremental"].sum()
        assert geo == pytest.approx(part[part["geo"] == "total"]["incremental"].iloc[0], rel=1e-10, abs=1e-9), (c, k)
    # concave saturation: the conversion channel's curve grows with diminishing steps
    s = rc[(rc["channel"] == "social") & (rc["geo"] == "total")]["incremental"].to_numpy()
    assert s[1] > 0 and np.all(np.diff(s) > 0)
    assert (s[2] - s[1]) / 0.5 < (s[1] - s[0]) / 0.5
    only = fit.response_curves(by="channel", channels=["tv"], multipliers=ks, horizon=40)
    assert list(only["geo"]) == ["total"] * 4 and list(only["channel"]) == ["tv"] * 4


def test_posterior_summaries_are_means_and_quantiles_of_the_draws(fit: PanelFit) -> None:
    nuts = _fake_nuts(fit)
    d = nuts.short_long(by="geo", horizon=20, interval=0.8)
    assert {"incremental_total_low", "incremental_total_high", "roi_total_low", "roi_total_high"} <= set(d.columns)
    per_draw = np.stack(
        [PanelFit(fit.model, z, fit.info).short_long(horizon=20)["incremental_total"].to_numpy() for z in nuts.draws()]
    )
    np.testing.assert_allclose(d["incremental_total"], per_draw.mean(axis=0), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(d["incremental_total_low"], np.quantile(per_draw, 0.1, axis=0), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(d["incremental_total_high"], np.quantile(per_draw, 0.9, axis=0), rtol=1e-12, atol=1e-9)
    rc = nuts.response_curves(multipliers=[0.0, 1.0], horizon=20)
    assert (rc["incremental_low"] <= rc["incremental"] + 1e-12).all()
    assert (rc["incremental"] <= rc["incremental_high"] + 1e-12).all()
    # every thread count: the same numbers
    a = nuts.short_long(horizon=20, threads=1)
    b = nuts.short_long(horizon=20, threads=3)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_without_a_value_the_rois_are_nan_and_cost_per_incremental_is_given(fit: PanelFit) -> None:
    model = fit.model
    saved = model.value_per_outcome
    try:
        model.value_per_outcome = None
        d = fit.short_long(horizon=20)
        r = fit.roi(horizon=20)
    finally:
        model.value_per_outcome = saved
    assert d["roi_total"].isna().all() and d["marginal_roi"].isna().all()
    assert r["roi"].isna().all() and r["roas"].isna().all() and np.isfinite(r["incremental"]).all()
    pos = d[d["incremental_total"] > 0]
    np.testing.assert_allclose(pos["cost_per_incremental"], pos["spend"] / pos["incremental_total"], rtol=1e-12)


def test_plots(fit: PanelFit) -> None:
    import matplotlib.pyplot as plt

    fig = fit.plot_response_curves(multipliers=[0.0, 1.0, 2.0], horizon=10, columns=2)
    assert len([a for a in fig.axes if a.get_visible()]) == len(fit.model.geos) + 1
    ax = fit.plot_geo_heat(horizon=10)
    assert ax.get_images()[0].get_array().shape == (len(fit.model.geos) + 1, 3)
    # plot_roi is the heat layout of roi_total: the same cells, the rolled-up row last
    heat = np.asarray(ax.get_images()[0].get_array())
    sl = fit.short_long(by="geo", horizon=10)
    np.testing.assert_allclose(heat[-1], sl[sl["geo"] == "total"]["roi_total"], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(fit.plot_roi(horizon=10).get_images()[0].get_array()), heat, rtol=1e-12)
    plt.close("all")
    saved = fit.model.value_per_outcome
    try:
        fit.model.value_per_outcome = None
        with pytest.raises(ValueError, match="needs the value per outcome"):
            fit.plot_roi(horizon=10)
        fit.plot_geo_heat("cost_per_incremental", horizon=10)  # what to plot without a value
    finally:
        fit.model.value_per_outcome = saved
    plt.close("all")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: f.short_long(by="region"), "by must be 'geo'"),
        (lambda f: f.response_curves(channels=["radio"]), "unknown channel 'radio'"),
        (lambda f: f.response_curves(multipliers=[-1.0]), "multipliers must be"),
        (lambda f: f.short_long(window=("2030-01-01", "2030-02-01")), "holds no date"),
        (lambda f: f.short_long(horizon=-2), "horizon must be >= 0"),
        (lambda f: f.plot_geo_heat(metric="geo"), "metric must be"),
    ],
)
def test_bad_input(fit: PanelFit, call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(fit)


def test_response_curve_spend_labels_do_not_overlap(fit: PanelFit) -> None:
    """Spend in the millions on 3.2-inch panels: the x tick labels of every panel, as drawn,
    must not overlap (they did with matplotlib's default ticks, e.g. "300000350000")."""
    import matplotlib.pyplot as plt

    fig = fit.plot_response_curves(multipliers=[0.0, 1.0, 2.0], horizon=10, columns=4)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    checked = 0
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        boxes.sort(key=lambda b: b.x0)
        assert len(boxes) >= 2, f"panel {ax.get_title()!r} has fewer than two spend labels"
        for a, b in zip(boxes[:-1], boxes[1:], strict=True):
            assert a.x1 <= b.x0, f"panel {ax.get_title()!r}: spend labels overlap ({a.x1:.1f} > {b.x0:.1f} px)"
        assert ax.xaxis.get_offset_text().get_text() == ""  # no "1e6" offset: the labels carry the scale
        checked += 1
    assert checked == len(fit.model.geos) + 1
    plt.close("all")


def test_geo_date_labels_do_not_overlap(fit: PanelFit) -> None:
    """plot_geos's small multiples: on the bottom row's shared date axes, the tick labels as
    drawn must not overlap (matplotlib's default date ticks did on 3.2-inch panels)."""
    import matplotlib.pyplot as plt

    fig = fit.plot_geos(columns=3)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    checked = 0
    for ax in fig.axes:
        labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        if not ax.get_visible() or not labels:
            continue
        boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
        assert 2 <= len(boxes) <= 5, f"panel {ax.get_title()!r}: {len(boxes)} date labels"
        for a, b in zip(boxes[:-1], boxes[1:], strict=True):
            assert a.x1 <= b.x0, f"panel {ax.get_title()!r}: date labels overlap ({a.x1:.1f} > {b.x0:.1f} px)"
        checked += 1
    assert checked >= 1
    plt.close("all")
