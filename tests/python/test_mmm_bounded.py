"""The bounded trust form from Python (TrustMMM(trust_form="bounded")): gradient, the
recursion against its definition, the share in [0, 1], the Shapley split adding up,
ROI and decomposition adding up, recovery of the truth of data simulated from the
bounded model, pickling, bad input."""

import pickle

import numpy as np
import pytest

import trustmix as tm
from trustmix.mmm import simulate_trust_data

ROLES = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}


@pytest.fixture(scope="module")
def bounded_fit():
    data, truth = simulate_trust_data(208, seed=3, trust_form="bounded", trust_base=0.3, inflow=0.3)
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_survey",
        shocks=["crisis"],
        trust_form="bounded",
    )
    # The share's level (b, G0) is identified only through the recursion's curvature (the
    # tracker is affine in G): a long flat ridge, so L-BFGS needs more than 2000 steps.
    return data, truth, model, model.fit(seed=1, max_iterations=10000)


def _stock_by_definition(p, saturated, shocks, trust_columns):
    """The bounded recursion as a plain loop: m = b + delta (G[t-1] - b), G[t] =
    exp(-sum_e omega_e d[e, t]) (m + (1 - m)(1 - exp(-rho u[t]))), G[-1] = g0."""
    G = np.empty(saturated.shape[0])
    prev = p["g0"]
    for t in range(len(G)):
        u = sum(k * saturated[t, c] for k, c in zip(p["kappa"], trust_columns, strict=True))
        damage = sum(w * shocks[t, e] for e, w in enumerate(p["omega"]))
        m = p["trust_base"] + p["delta"] * (prev - p["trust_base"])
        prev = G[t] = np.exp(-damage) * (m + (1 - m) * (1 - np.exp(-p["trust_inflow"] * u)))
    return G


def test_simulated_bounded_stock_is_a_share():
    _, truth = simulate_trust_data(208, seed=3, trust_form="bounded", trust_base=0.3, inflow=0.3)
    G = truth["trust_stock"]
    assert 0.0 < G.min() and G.max() < 1.0 and np.ptp(G) > 0.1
    # The linear simulation is unchanged by the option.
    a, _ = simulate_trust_data(60, seed=2)
    b, _ = simulate_trust_data(60, seed=2, trust_form="linear")
    pd_equal = (a.fillna(-1) == b.fillna(-1)).all().all()
    assert pd_equal


def test_bounded_gradient_against_finite_differences(bounded_fit):
    _, _, model, fit = bounded_fit
    z = fit.z + np.random.default_rng(0).normal(0, 0.2, fit.z.shape)
    f = lambda x: model.log_density(x)[0]  # noqa: E731
    _, g = model.log_density(z)
    for i in range(len(z)):
        e = np.zeros_like(z)
        e[i] = 1e-5
        assert g[i] == pytest.approx((f(z + e) - f(z - e)) / 2e-5, rel=1e-5, abs=1e-6), model.parameter_names[i]


def test_bounded_stock_follows_its_definition_and_splits_exactly(bounded_fit):
    _, _, model, fit = bounded_fit
    p = fit.params
    assert {"trust_base", "trust_inflow"} <= set(p)
    cols = [model.channels.index(c) for c in model.trust_channels]
    f = fit._forward()
    G = _stock_by_definition(p, f.saturated, model._shocks, cols)
    np.testing.assert_allclose(f.trust_stock, G, rtol=0, atol=1e-12)
    assert 0.0 <= G.min() and G.max() <= 1.0
    ts = fit.trust_stock()
    np.testing.assert_allclose(ts.drop(columns="trust_stock").sum(axis=1), ts["trust_stock"], atol=1e-12)
    # Two channels: the Shapley value is the mean of the two orders' marginal contributions.
    none = _stock_by_definition(p, np.zeros_like(f.saturated), model._shocks, cols)
    only = {}
    for k, c in enumerate(cols):
        h = np.zeros_like(f.saturated)
        h[:, c] = f.saturated[:, c]
        only[k] = _stock_by_definition(p, h, model._shocks, cols)
    press = 0.5 * ((only[0] - none) + (G - only[1]))
    np.testing.assert_allclose(ts["press"], press, atol=1e-12)


def test_bounded_recovers_the_truth(bounded_fit):
    _, truth, model, fit = bounded_fit
    p = fit.params
    assert fit.info["converged"]
    assert p["delta"] == pytest.approx(truth["delta"], abs=0.03)
    f = fit._forward()
    for j, s in enumerate(model.conversion_channels):
        fitted_total = (f.conversion_own[:, j] + f.amplification[:, j]).sum() * model.y_scale
        assert fitted_total == pytest.approx(truth["contribution"][s].sum(), rel=0.2), s
    g = fit.trust_stock()["trust_stock"].to_numpy()
    assert np.corrcoef(g, truth["trust_stock"])[0, 1] > 0.95
    resid = fit.predict().to_numpy() - truth["mu"]
    assert np.sqrt(np.mean(resid**2)) < 8.0  # below the noise sd of the simulation


def test_bounded_roi_and_decomposition_add_up(bounded_fit):
    data, _, model, fit = bounded_fit
    window = (data["week"].iloc[20], data["week"].iloc[27])
    r = fit.roi(horizon=104, window=window, value_per_outcome=1.0)
    np.testing.assert_allclose(r["incremental_short"] + r["incremental_long"], r["incremental_total"], rtol=1e-12)
    np.testing.assert_allclose(
        r["via_trust_direct"] + r["via_amplification"] + r["own"], r["incremental_total"], rtol=1e-9
    )
    assert r.loc["press", "incremental_long"] > 0.1 * r.loc["press", "incremental_total"] > 0
    d = fit.decompose()
    np.testing.assert_allclose(d.sum(axis=1).to_numpy(), fit.predict().to_numpy(), rtol=1e-10, atol=1e-9)
    s = fit.summary()
    assert {"trust baseline share b", "trust inflow strength rho"} <= set(s.index)


def test_bounded_pickles_and_old_pickles_stay_linear(bounded_fit):
    _, _, model, fit = bounded_fit
    again = pickle.loads(pickle.dumps(fit))
    assert again.model.trust_form == "bounded"
    np.testing.assert_array_equal(again.model.log_density(fit.z)[1], model.log_density(fit.z)[1])
    assert "trust_form='bounded'" in repr(model)


def test_bad_trust_form():
    data, _ = simulate_trust_data(60, seed=2)
    with pytest.raises(ValueError, match="trust_form must be 'linear' or 'bounded'"):
        tm.TrustMMM(data, date="week", outcome="conversions", channels=ROLES, trust_form="logistic")
    with pytest.raises(ValueError, match="trust_form must be"):
        simulate_trust_data(60, trust_form="share")


def _share_survey(seed: int = 4):
    """Bounded-model data whose tracker is a survey share: Binomial(n_t, G[t]) / n_t with
    panel sizes n_t of 200-3000, every 4th week (the simulator's survey)."""
    data, truth = simulate_trust_data(208, seed=seed, trust_form="bounded", trust_base=0.3, inflow=0.3)
    rng = np.random.default_rng(seed)
    n = rng.choice([200, 500, 1000, 3000], size=len(data)).astype(float)
    share = rng.binomial(n.astype(int), truth["trust_stock"]) / n
    seen = np.arange(len(data)) % 4 == 0
    data["trust_share"] = np.where(seen, share, np.nan)
    data["trust_share_n"] = np.where(seen, n, np.nan)
    return data, truth


def test_tracker_n_gives_known_sampling_errors_and_recovers_the_truth():
    data, truth = _share_survey()
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_share",
        tracker_n="trust_share_n",
        shocks=["crisis"],
        trust_form="bounded",
    )
    q, n = data["trust_share"].to_numpy(), data["trust_share_n"].to_numpy()
    seen = ~np.isnan(q)
    _, built = tm._core.mmm.build(
        model.channels,
        [ROLES[c] for c in model.channels],
        data[model.channels].to_numpy(float),
        data[model.channels].to_numpy(float),
        data["conversions"].to_numpy(float),
        7.0,
        q,
        np.zeros((208, 0)),
        [],
        np.zeros((208, 0)),
        [],
        data[["crisis"]].to_numpy(float),
        ["crisis"],
        tracker_n=n,
    )
    se = np.asarray(built.tracker_se)
    np.testing.assert_allclose(se[seen], np.sqrt(q[seen] * (1 - q[seen]) / n[seen]) / built.tracker_sd, rtol=1e-12)
    fit = model.fit(seed=1, max_iterations=10000)
    assert fit.params["delta"] == pytest.approx(truth["delta"], abs=0.03)
    g = fit.trust_stock()["trust_stock"].to_numpy()
    assert np.corrcoef(g, truth["trust_stock"])[0, 1] > 0.95
    again = pickle.loads(pickle.dumps(model))
    assert again.tracker_n == "trust_share_n"
    np.testing.assert_array_equal(again.log_density(fit.z)[1], model.log_density(fit.z)[1])


def test_tracker_n_bad_input():
    data, _ = _share_survey()
    with pytest.raises(ValueError, match="tracker_n needs a tracker"):
        tm.TrustMMM(data, date="week", outcome="conversions", channels=ROLES, tracker_n="trust_share_n")
    with pytest.raises(ValueError, match="must be a share in"):
        tm.TrustMMM(
            data, date="week", outcome="conversions", channels=ROLES, tracker="trust_survey", tracker_n="trust_share_n"
        )


def test_constrained_draws_of_the_analyses_equal_the_models_constrain(bounded_fit):
    """The analyses' fast constrain (DrawEngine) must run the model's own trust form: with
    the bounded form, the intercept and the betas depend on the bounded stock's mean, so a
    linear recursion there would give other numbers."""
    from trustmix._core import mmm as _mmm

    _, _, model, fit = bounded_fit
    rng = np.random.default_rng(5)
    draws = fit.z + rng.normal(0.0, 0.02, (6, fit.z.size))
    fast = np.asarray(_mmm.constrained_draws(model._core, np.ascontiguousarray(draws), 1))
    names = list(model._core.constrained_names)
    for i in range(draws.shape[0]):
        p = model._core.constrain(draws[i])
        flat, seen = [], {}
        for name in names:  # vectors in order ("beta[2]" labels a channel, not a position)
            key = name.partition("[")[0]
            k = seen[key] = seen.get(key, -1) + 1
            flat.append(float(np.asarray(getattr(p, key)).ravel()[k]))
        np.testing.assert_allclose(fast[i], flat, rtol=1e-13, atol=1e-13)


def test_the_planner_refuses_only_the_infinite_tail_of_a_bounded_fit(bounded_fit):
    # The planner runs a bounded fit on the model's own recursion (test_plan.py checks its
    # numbers); only the infinite tail in closed form is linear-form only: a bounded stock
    # returns to its baseline share, whose effect never ends.
    _, _, _, fit = bounded_fit
    sq = tm.plan.status_quo(fit, horizon=8)
    with pytest.raises(ValueError, match="tail_coverage = 1 .* is for trust_form = 'linear' only"):
        tm.plan.evaluate(fit, sq, tail_coverage=1.0)
    r = tm.plan.evaluate(fit, sq, tail_coverage=0.99)
    assert r is not None


def test_response_curve_at_actual_spend_equals_roi_total(bounded_fit):
    """At multiplier 1 a response curve is the channel's total incremental outcome, which
    roi() computes by the model's own runs; the linear shortcut (a stock linear in its
    inflow) gave 2.7-2.9x too much for trust channels of a bounded fit."""
    _, _, model, fit = bounded_fit
    rc = fit.response_curves(multipliers=[0.0, 1.0]).set_index(["channel", "multiplier"])["incremental"]
    total = fit.roi()["incremental_total"]
    for c in model.channels:
        assert rc[(c, 0.0)] == 0.0
        np.testing.assert_allclose(rc[(c, 1.0)], total[c], rtol=1e-9)


def test_share_tracker_measures_the_share_and_recovers_it():
    """tracker_share=True: the survey share is fitted as G + a_q + noise (b_q = 1), so the
    fitted share itself (not an affine image) follows the truth, with default MAP steps."""
    data, truth = _share_survey()
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_share",
        tracker_n="trust_share_n",
        shocks=["crisis"],
        trust_form="bounded",
        tracker_share=True,
    )
    names = model.parameter_names
    assert "tracker_share_level" in names and "log_tracker_b" not in names
    fit = model.fit(seed=1)
    assert fit.info["converged"]
    assert fit.params["delta"] == pytest.approx(truth["delta"], abs=0.03)
    assert fit.params["tracker_b"] == 1.0
    assert abs(fit.params["tracker_a"]) < 0.02  # no house bias in these data
    g = fit.trust_stock()["trust_stock"].to_numpy()
    assert np.max(np.abs(g - truth["trust_stock"])) < 0.05  # the share, on its own scale
    z = fit.z + np.random.default_rng(0).normal(0, 0.2, fit.z.shape)
    _, grad = model.log_density(z)
    for i in range(len(z)):
        e = np.zeros_like(z)
        e[i] = 1e-5
        fd = (model.log_density(z + e)[0] - model.log_density(z - e)[0]) / 2e-5
        assert grad[i] == pytest.approx(fd, rel=1e-5, abs=1e-6), names[i]
    again = pickle.loads(pickle.dumps(model))
    assert again.tracker_share
    np.testing.assert_array_equal(again.log_density(fit.z)[1], model.log_density(fit.z)[1])


def test_bounded_fit_pickled_before_the_reparametrisation_loads_with_the_same_parameters():
    """A bounded fit pickled as version 1 stored ln rho and (share tracker) a_q as free
    parameters; today's are ln(rho ubar) and a_q + Gm. Build such a state from today's fit
    by the inverse map (ubar and Gm from today's constrained parameters), load it, and get
    back the same unconstrained draws and so the same constrained parameters."""
    data, _ = _share_survey()
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_share",
        tracker_n="trust_share_n",
        shocks=["crisis"],
        trust_form="bounded",
        tracker_share=True,
    )
    fit = model.fit(seed=1)
    names = list(model.parameter_names)
    draws = fit.z + np.random.default_rng(3).normal(0.0, 0.05, (2, 3, fit.z.size))  # chains x draws x dim
    i_rho, i_q = names.index("log_mean_trust_hazard"), names.index("tracker_share_level")

    def old(z: np.ndarray) -> np.ndarray:
        p = model._core.constrain(z)
        out = np.array(z, copy=True)
        out[i_rho] = np.log(p.trust_inflow)  # version 1: ln rho
        out[i_q] = p.tracker_a  # version 1: a_q
        return out

    state = fit.__getstate__()
    assert state["version"] == 2
    state["version"] = 1
    state["z"] = old(fit.z)
    state["posterior"] = None
    again = tm.mmm.TrustFit.__new__(tm.mmm.TrustFit)
    again.__setstate__(state)
    np.testing.assert_allclose(again.z, fit.z, rtol=1e-12, atol=1e-12)
    conv = again._bounded_z_from_version_1(np.array([old(z) for z in draws.reshape(-1, fit.z.size)]))
    np.testing.assert_allclose(conv, draws.reshape(-1, fit.z.size), rtol=1e-12, atol=1e-12)


def test_share_tracker_bad_input():
    data, _ = _share_survey()
    data["pct"] = data["trust_share"] * 100
    base = dict(date="week", outcome="conversions", channels=ROLES)
    for kw, message in (
        ({"tracker": "trust_share", "trust_form": "linear", "tracker_share": True}, "tracker_share=True needs"),
        (
            {"tracker": "trust_share", "trust_form": "bounded", "tracker_share": "yes"},
            "tracker_share must be True or False",
        ),
        ({"tracker": "pct", "trust_form": "bounded", "tracker_share": True}, "must be in \\[0, 1\\]"),
        # without trust_form too (the default form's rule must not see it first)
        ({"tracker": "trust_share", "tracker_share": "yes"}, "tracker_share must be True or False"),
        ({"tracker": "pct", "tracker_share": 1}, "tracker_share must be True or False"),
    ):
        with pytest.raises(ValueError, match=message):
            tm.TrustMMM(data, **base, **kw)


def test_the_default_form_follows_the_tracker():
    """trust_form and tracker_share left to their defaults: a tracker that reads as a survey
    share (every observed value in [0, 1]), with or without its panel sizes, gives the bounded
    share measured by the survey; an index tracker (standardised, or a 0-100 score), or none,
    the linear index. The resolved form is the model's, pickled with it."""
    data, _ = _share_survey()
    base = dict(date="week", outcome="conversions", channels=ROLES, tracker="trust_share", shocks=["crisis"])
    auto = tm.TrustMMM(data, tracker_n="trust_share_n", **base)
    assert auto.trust_form == "bounded" and auto.tracker_share
    explicit = tm.TrustMMM(data, tracker_n="trust_share_n", trust_form="bounded", tracker_share=True, **base)
    assert auto.parameter_names == explicit.parameter_names
    z = np.random.default_rng(4).normal(0.0, 0.3, len(auto.parameter_names))
    la, ga = auto.log_density(z)
    le, ge = explicit.log_density(z)
    assert la == le and np.array_equal(ga, ge)
    again = pickle.loads(pickle.dumps(auto))
    assert again.trust_form == "bounded" and again.tracker_share
    assert again.log_density(z)[0] == la
    # without panel sizes: the share's noise is one free sigma_q beyond (zero) sampling error
    free = tm.TrustMMM(data, **base)
    assert free.trust_form == "bounded" and free.tracker_share and free.tracker_n is None
    by_hand = tm.TrustMMM(data, trust_form="bounded", tracker_share=True, **base)
    assert free.parameter_names == by_hand.parameter_names
    assert free.log_density(z)[0] == by_hand.log_density(z)[0]
    assert free.log_density(z)[0] != la  # the panel sizes do enter when given
    assert "trust_share (the share of trusting people)" in free._repr_html_()
    # tracker_share=True alone implies the bounded form
    said_share = tm.TrustMMM(data, tracker_share=True, **base)
    assert said_share.trust_form == "bounded" and said_share.tracker_share
    # index trackers: standardised, a 0-100 score, or one value out of [0, 1]: the linear index
    for name, values in {
        "z": (data["trust_share"] - data["trust_share"].mean()) / data["trust_share"].std(),
        "pct": data["trust_share"] * 100,
        "one_out": data["trust_share"].where(data.index != data["trust_share"].first_valid_index(), 1.02),
    }.items():
        d = data.assign(**{name: values})
        index = tm.TrustMMM(d, **{**base, "tracker": name})
        assert index.trust_form == "linear" and not index.tracker_share, name
        assert f"{name} (an index)" in index._repr_html_()
    # no tracker, or trust off: linear
    assert tm.TrustMMM(data, **{**base, "tracker": None}).trust_form == "linear"
    # a form given is kept
    linear = tm.TrustMMM(data, tracker_n="trust_share_n", trust_form="linear", **base)
    assert linear.trust_form == "linear" and not linear.tracker_share
    index = tm.TrustMMM(data, tracker_n="trust_share_n", trust_form="bounded", tracker_share=False, **base)
    assert index.trust_form == "bounded" and not index.tracker_share
    # a share tracker said to be an index (tracker_share=False): the linear form, not bounded + index
    said = tm.TrustMMM(data, tracker_n="trust_share_n", tracker_share=False, **base)
    assert said.trust_form == "linear" and not said.tracker_share
    said = tm.TrustMMM(data, tracker_share=False, **base)
    assert said.trust_form == "linear" and not said.tracker_share
