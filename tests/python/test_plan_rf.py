"""The planner on reach-and-frequency channels from Python (``tm.plan``, issue 18):
the default chain recovered from the history, the exact gradient through it, a 3+ reach
target binding at its bound, a maximum average frequency, evaluate(), and bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix import _core

P, K, IPS = 4e5, 1.2, 100.0  # reachable people, nbd shape, impressions per unit of spend


def _reach(imp: np.ndarray, k: float = K) -> np.ndarray:
    return P * -np.expm1(-k * np.log1p(imp / (P * k)))


def _frame(T: int = 100, seed: int = 0, k: float = K) -> pd.DataFrame:
    """Weekly data whose TV reach and frequency are an nbd curve's image of its spend."""
    rng = np.random.default_rng(seed)
    week = pd.date_range("2022-01-03", periods=T, freq="7D")
    spend = np.where(np.arange(T) % 5 == 0, 0.0, rng.uniform(1e3, 8e3, T))
    imp = IPS * spend
    reach = _reach(imp, k)
    freq = np.where(reach > 0, imp / np.where(reach > 0, reach, 1.0), 0.0)
    search = rng.uniform(0, 2, T)
    press = rng.uniform(0, 2, T)
    y = 100 + 5 * search + 3e-5 * reach * freq / (freq + 2) + rng.normal(0, 1, T)
    cols: dict[str, Any] = {
        "week": week,
        "y": y,
        "press": press,
        "search": search,
        "tv_reach": reach,
        "tv_frequency": freq,
        "tv_spend": spend,
        "search_spend": search * 1e3,
        "press_spend": press * 1e3,
    }
    out: pd.DataFrame = pd.DataFrame(cols)
    return out


def _fit(form: str = "hill", k: float = K) -> Any:
    df = _frame(k=k)
    m = tm.TrustMMM(
        df,
        date="week",
        outcome="y",
        channels={"press": "trust", "search": "conversion"},
        rf_channels={"tv": ("tv_reach", "tv_frequency")},
        spend={"tv": "tv_spend", "search": "search_spend", "press": "press_spend"},
        max_lag=4,
        value_per_outcome=1.0,
        trust=False,
        rf_form=form,
        rf_shape=k,
        noise="iid",
    )  # the data's noise is iid (with AR(1) MAP needs ~3,000 iterations here)
    return m.fit(seed=1, restarts=1)


@pytest.fixture(scope="module")
def hill_fit() -> Any:
    return _fit("hill")


@pytest.mark.parametrize("form", ["hill", "exposure"])
def test_the_default_chain_is_recovered_from_the_history(form: str) -> None:
    fit = _fit(form)
    m = fit.model
    from trustmix.plan._api import _rf_specs

    (spec,) = _rf_specs(m, None)
    j, curve, ips, ppu, cap = spec
    assert m.channels[j] == "tv" and cap == 0
    assert ips == pytest.approx(IPS, rel=1e-12)  # impressions = reach x frequency, per unit of spend
    np.testing.assert_allclose(m._media[:, j] * ppu, m.data["tv_reach"], rtol=1e-12)  # people per model unit
    spend = m.data["tv_spend"].to_numpy()
    chain = _core.plan.rf_chain(spec, spend)
    # the data are an nbd curve's image (shape K; the exposure form fixes the shape at rf_shape = K)
    np.testing.assert_allclose(chain.reach, m.data["tv_reach"], rtol=1e-5)
    assert curve.reachable * curve.population == pytest.approx(P, rel=1e-4)
    on = spend > 0
    np.testing.assert_allclose(chain.frequency[on], m.data["tv_frequency"][on], rtol=1e-5)


@pytest.mark.parametrize("form", ["hill", "exposure"])
@pytest.mark.parametrize("goal", ["outcome", "net_value"])
def test_the_gradient_through_the_rf_chain_is_exact(form: str, goal: str) -> None:
    fit = _fit(form)
    from trustmix.plan._api import _planner

    pm = _planner(fit, 6, "auto", 0.99, 1.0, 20, 1)
    rng = np.random.default_rng(3)
    s = rng.uniform(500, 6000, (6, 3))
    r, g, _ = pm.criterion(s, goal=goal, risk="mean")
    fd = np.zeros_like(s)
    for t in range(6):
        for c in range(3):
            h = 1e-6 * s[t, c]
            a, b = s.copy(), s.copy()
            a[t, c] += h
            b[t, c] -= h
            up, down = pm.criterion(a, goal=goal, risk="mean")[0], pm.criterion(b, goal=goal, risk="mean")[0]
            fd[t, c] = (up - down) / (2 * h)
    assert np.abs(g - fd).max() <= 1e-6 * np.abs(fd).max()
    assert np.abs(g[:, 2]).max() > 0  # TV (the RF channel, last) moves the outcome


def test_a_reach_target_binds_at_its_bound_and_a_frequency_cap_holds(hill_fit: Any) -> None:
    from trustmix.plan._api import _rf_specs

    (spec,) = _rf_specs(hill_fit.model, None)
    budget = 6e4
    free = tm.plan.optimize(hill_fit, budget=budget, horizon=6, max_draws=20, draw_optima=0)
    tv_free = free.schedule["tv"].to_numpy()
    # a share of the reachable population reached 3+ times in period 0 above the free plan's
    share = float(_core.plan.rf_reached_share(spec, 3, np.array([tv_free[0]]))[0]) + 0.1
    need = _core.plan.rf_spend_for_reach_share(spec, 3, share)
    assert need > tv_free[0]
    r = tm.plan.optimize(
        hill_fit,
        budget=budget,
        horizon=6,
        max_draws=20,
        draw_optima=0,
        constraints={"reach_targets": {"tv": (3, share, [0])}},
    )
    assert r.info["converged"], r.info["message"]
    assert r.schedule["tv"].iloc[0] == pytest.approx(need, rel=1e-6)
    got = _core.plan.rf_reached_share(spec, 3, r.schedule["tv"].to_numpy()[:1])[0]
    assert got == pytest.approx(share, rel=1e-6)
    assert r.schedule.to_numpy().sum() == pytest.approx(budget, rel=1e-9)
    # a maximum average frequency below the free plan's: every period at or below it
    f_free = _core.plan.rf_chain(spec, tv_free).frequency
    F = 1.0 + 0.5 * (f_free.max() - 1.0)
    rc = tm.plan.optimize(
        hill_fit, budget=budget, horizon=6, max_draws=20, draw_optima=0, constraints={"max_frequency": {"tv": F}}
    )
    assert rc.info["converged"], rc.info["message"]
    f = _core.plan.rf_chain(spec, rc.schedule["tv"].to_numpy()).frequency
    assert f.max() <= F * (1 + 1e-9)
    assert f.max() == pytest.approx(F, rel=1e-6)  # it binds


def test_evaluate_scores_an_rf_plan_and_a_cap_spreads_impressions(hill_fit: Any) -> None:
    sq = tm.plan.status_quo(hill_fit, 6)
    e = tm.plan.evaluate(hill_fit, sq, max_draws=20)
    s = e.summary()
    assert np.isfinite(s.to_numpy(dtype=float)[s.index.get_loc("outcome"), 0])
    # a capped_rate cap of 2 per period reaches more people with the same impressions
    from trustmix.plan._api import _rf_specs

    (spec,) = _rf_specs(hill_fit.model, None)
    (capped,) = _rf_specs(hill_fit.model, {"tv": {"cap": 2}})
    x = np.array([2000.0])
    assert _core.plan.rf_chain(capped, x).reach[0] > _core.plan.rf_chain(spec, x).reach[0]
    ec = tm.plan.evaluate(hill_fit, sq.clip(upper=2000.0), max_draws=20, rf={"tv": {"cap": 2}})
    assert np.isfinite(ec.summary()["plan"].to_numpy(dtype=float)).all()


def test_rf_bad_input_is_refused_clearly(hill_fit: Any) -> None:
    with pytest.raises(ValueError, match="no budget reaches a share 1"):
        tm.plan.optimize(
            hill_fit, horizon=4, max_draws=5, draw_optima=0, constraints={"reach_targets": {"tv": (3, 1.0)}}
        )
    with pytest.raises(ValueError, match="more than the budget"):
        tm.plan.optimize(
            hill_fit,
            budget=10.0,
            horizon=4,
            max_draws=5,
            draw_optima=0,
            constraints={"reach_targets": {"tv": (3, 0.5)}},
        )
    with pytest.raises(ValueError, match="not a reach-and-frequency channel"):
        tm.plan.optimize(
            hill_fit, horizon=4, max_draws=5, draw_optima=0, constraints={"max_frequency": {"search": 2.0}}
        )
    with pytest.raises(ValueError, match="unknown key 'cpm'"):
        tm.plan.evaluate(hill_fit, tm.plan.status_quo(hill_fit, 4), max_draws=5, rf={"tv": {"cpm": 3.0}})
    fixed = pd.DataFrame(np.nan, index=range(4), columns=["press", "search", "tv"])
    fixed.loc[0, "tv"] = 9e3  # committed spend above what a maximum frequency of 1.05 allows
    with pytest.raises(ValueError, match="committed"):
        tm.plan.optimize(
            hill_fit, horizon=4, max_draws=5, draw_optima=0, constraints={"fixed": fixed, "max_frequency": {"tv": 1.05}}
        )
