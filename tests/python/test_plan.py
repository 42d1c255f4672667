"""The planner from Python (trustmix.plan): the C++ objective's gradient through the
binding, closed-form optima, constraints, scale invariance, pickling and reporting, a
tm.Plan scored by evaluate(), the CLI, and the simulator check (a plan optimised on a fit
beats the status quo in the simulated world's own truth)."""

import pickle
import subprocess
import sys
import types

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix._core import plan as _plan
from trustmix.mmm import simulate_trust_data
from trustmix.transforms import geometric_adstock, logistic_saturation

ROLES = {"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"}


def _fit(scale: float = 1.0, periods: int = 104, seed: int = 2):
    data, truth = simulate_trust_data(periods, seed=seed)
    for c in ROLES:
        data[c] = data[c] * scale
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_survey",
        shocks=["crisis"],
        value_per_outcome=3.0 * scale,
    )
    return data, truth, model.fit(seed=1, restarts=1)


@pytest.fixture(scope="module")
def fitted():
    data, truth, fit = _fit()
    # a small "posterior": draws scattered around the mode (a NUTS fit stores the same shape)
    rng = np.random.default_rng(0)
    draws = fit.z + rng.normal(0.0, 0.05, (1, 8, fit.z.size))
    post = tm.mmm.TrustFit(fit.model, fit.z, fit.info, types.SimpleNamespace(draws=draws))
    return data, truth, fit, post


def test_the_criterion_gradient_through_the_binding_matches_finite_differences(fitted):
    _, _, _, post = fitted
    pm = tm.plan._api._planner(post, 6, "auto", 0.99, 1.0, None, 1)
    rng = np.random.default_rng(1)
    s = rng.uniform(0, 3000, (6, 4))
    for risk in ("mean", "quantile", "cvar"):
        r, g, _ = pm.criterion(s, goal="net_value", risk=risk, value_per_outcome=3.0, level=0.3)
        fd = np.zeros_like(s)
        for t in range(6):
            for c in range(4):
                h = 1e-3 * max(1.0, s[t, c])
                a, b = s.copy(), s.copy()
                a[t, c] += h
                b[t, c] -= h
                up = pm.criterion(a, goal="net_value", risk=risk, value_per_outcome=3.0, level=0.3)[0]
                down = pm.criterion(b, goal="net_value", risk=risk, value_per_outcome=3.0, level=0.3)[0]
                fd[t, c] = (up - down) / (2 * h)
        assert np.abs(np.asarray(g) - fd).max() <= 1e-6 * np.abs(fd).max(), risk


def test_michaelis_menten_closed_form_through_python():
    beta, k, B = np.array([2.0, 1.0, 3.0]), np.array([1.0, 0.5, 2.0]), 6.0
    obj = _plan.CurveObjective("michaelis_menten", beta[None, :], k[None, :])
    r, own = _plan.optimize(obj, goal="outcome", budget=B)  # (PlanSolution, [DrawOptimum])
    root = (B + k.sum()) / np.sqrt(beta * k).sum()
    np.testing.assert_allclose(np.asarray(r.schedule)[0], np.sqrt(beta * k) * root - k, rtol=1e-6)
    assert r.converged and r.kkt_residual < 1e-6 and r.moved and own == []
    assert r.total_spend == pytest.approx(B, rel=1e-9)
    again = pickle.loads(pickle.dumps(r))  # the typed solution pickles with every field
    np.testing.assert_array_equal(np.asarray(again.schedule), np.asarray(r.schedule))
    assert again.kkt_residual == r.kkt_residual and again.active == r.active and again.message == r.message


def test_status_quo_scores_as_itself(fitted):
    _, _, fit, _ = fitted
    sq = tm.plan.status_quo(fit, 26)
    res = tm.plan.evaluate(fit, sq)
    s = res.summary()
    assert s.loc["outcome", "difference"] == 0.0
    assert s.loc["spend", "plan"] == pytest.approx(sq.to_numpy().sum())
    assert s.loc["outcome", "plan"] == pytest.approx(s.loc["short", "plan"] + s.loc["long", "plan"])
    assert s.loc["long", "plan"] > 0  # the trust stock keeps paying after the horizon


def test_optimize_beats_the_status_quo_and_keeps_every_constraint(fitted):
    _, _, _, post = fitted
    H = 26
    sq = tm.plan.status_quo(post, H)
    committed = pd.DataFrame(np.nan, index=sq.index, columns=sq.columns)
    committed.iloc[0, 2] = 1500.0
    res = tm.plan.optimize(
        post,
        horizon=H,
        objective="net_value",
        starts=2,
        constraints={
            "groups": {"SMM": (["instagram", "tiktok"], 0.05, 0.6)},
            "blackout": {"tiktok": [3, 4]},
            "keep": ["events"],
            "fixed": committed,
            "bounds": {"press": (0.0, 8000.0)},
            "max_change": {"press": 2000.0},
        },
    )
    s = res.schedule
    assert res.info["converged"], res.info["message"]
    assert res.info["max_violation"] <= 1e-7
    assert s.to_numpy().sum() == pytest.approx(sq.to_numpy().sum(), rel=1e-8)
    smm = s[["instagram", "tiktok"]].to_numpy().sum() / s.to_numpy().sum()
    assert 0.05 - 1e-8 <= smm <= 0.6 + 1e-8
    assert s["tiktok"].iloc[3] == 0.0 and s["tiktok"].iloc[4] == 0.0
    np.testing.assert_array_equal(s["events"].to_numpy(), sq["events"].to_numpy())
    assert s.iloc[0, 2] == 1500.0
    assert s["press"].max() <= 8000.0 + 1e-6
    assert np.abs(np.diff(s["press"].to_numpy())).max() <= 2000.0 + 1e-6
    own = res.info["draw_optima"]
    assert len(own) == 8 and (own["regret"] >= -1e-9 * own["plan_value"].abs()).all()
    assert own["converged"].all() and ((own["moved_share"] >= 0) & (own["moved_share"] <= 1)).all()
    summ = res.summary()
    # the plan maximises mean net value; with the same spend that is mean value
    assert summ.loc["value", "difference"] > 0
    # (the status quo start breaks the blackout, the committed cell and the change limit,
    # so its objective is no bound here)


def test_monthly_blocks_spread_evenly_within_each_month(fitted):
    _, _, fit, _ = fitted
    res = tm.plan.optimize(fit, horizon=13, granularity="month", starts=1)
    months = res.schedule.index.to_period("M")
    for c in res.schedule.columns:
        for mo in months.unique():
            v = res.schedule.loc[months == mo, c].to_numpy()
            np.testing.assert_allclose(v, v[0], rtol=1e-12)
    assert res.info["converged"], res.info["message"]


def test_campaign_blocks_and_a_tm_plan_as_start(fitted):
    from trustmix.demo import demo_plan

    _, _, fit, _ = fitted
    res = tm.plan.optimize(
        fit,
        horizon=20,
        starts=1,
        start=demo_plan(),
        constraints={"blocks": {"spring press": ("press", 2, 9), "tiktok push": ("tiktok", 10, 15)}},
    )
    s = res.schedule
    np.testing.assert_allclose(s["press"].iloc[2:10].to_numpy(), s["press"].iloc[2], rtol=1e-12)
    np.testing.assert_allclose(s["tiktok"].iloc[10:16].to_numpy(), s["tiktok"].iloc[10], rtol=1e-12)
    assert res.info["converged"], res.info["message"]


def test_scale_invariance_spend_in_millionths(fitted):
    """The same data with spend x 1e6 (and value per outcome x 1e6) gives the same plan.
    The two models share the mode (the MAP fit itself moves by ~3e-4 in z between the two
    scalings: L-BFGS's stopping, not the planner), so this isolates the planner."""
    _, _, fit = _fit()
    _, _, big = _fit(scale=1e6)
    big = tm.mmm.TrustFit(big.model, fit.z, fit.info)
    a = tm.plan.optimize(fit, horizon=13, starts=1)
    b = tm.plan.optimize(big, horizon=13, starts=1)
    assert a.info["converged"] and a.info["moved"]
    np.testing.assert_allclose(
        b.schedule.to_numpy() / 1e6, a.schedule.to_numpy(), atol=1e-6 * a.schedule.to_numpy().max()
    )
    assert b.info["objective"] / 1e6 == pytest.approx(a.info["objective"], rel=1e-9)


def test_presolve_on_few_draws_then_all_gives_the_one_stage_plan(fitted):
    """Two stages (3 of the 8 draws, then all 8 from that plan) reach the one-stage plan:
    the same objective to 1e-9 and the same schedule to 1e-2 of its largest cell (the
    optimum is flat: cells moving by 4e-3 change the objective by < 1e-9 relative), with
    the certificate (KKT residual) on all draws; with prob_beat too (reference per draw)."""
    _, _, _, post = fitted
    for risk in ("mean", "prob_beat"):
        one = tm.plan.optimize(post, horizon=8, starts=1, risk=risk, draw_optima=0)
        two = tm.plan.optimize(post, horizon=8, starts=1, risk=risk, draw_optima=0, presolve_draws=3)
        assert one.info["presolve"] is None
        assert two.info["presolve"]["draws"] == 3 and two.info["presolve"]["evaluations"] > 0
        assert two.info["converged"] and two.info["kkt_residual"] <= 1e-6, risk
        assert two.info["objective"] == pytest.approx(one.info["objective"], rel=1e-9, abs=1e-9), risk
        s1, s2 = one.schedule.to_numpy(), two.schedule.to_numpy()
        assert np.abs(s2 - s1).max() <= 1e-2 * s1.max(), risk
        assert s2.sum() == pytest.approx(s1.sum(), rel=1e-9)
    # presolve_draws >= the draws: one stage
    assert tm.plan.optimize(post, horizon=8, starts=1, draw_optima=0, presolve_draws=8).info["presolve"] is None
    with pytest.raises(ValueError, match="presolve_draws"):
        tm.plan.optimize(post, horizon=8, presolve_draws=0)


def test_risk_measures_and_targets(fitted):
    _, _, _, post = fitted
    for risk in ("quantile", "cvar", "prob_beat"):
        res = tm.plan.optimize(post, horizon=8, risk=risk, level=0.25, starts=1)
        assert res.info["max_violation"] <= 1e-7, risk
    base = tm.plan.evaluate(post, tm.plan.status_quo(post, 8))
    target = 0.9 * base.summary().loc["outcome", "plan"]
    res = tm.plan.optimize(post, horizon=8, target=target, starts=1)
    assert res.info["converged"], res.info["message"]
    assert res.draws["outcome"].mean() >= target * (1 - 1e-7)
    assert res.schedule.to_numpy().sum() < tm.plan.status_quo(post, 8).to_numpy().sum()


def test_target_roi_and_the_tail_setting(fitted):
    _, _, _, post = fitted
    res = tm.plan.optimize(post, horizon=8, target_roi=0.5, budget=200_000.0, starts=1, value_per_outcome=300.0)
    zero = tm.plan.evaluate(post, np.zeros((8, 4)), value_per_outcome=300.0)
    spend = res.schedule.to_numpy().sum()
    roi = (res.draws["value"].mean() - zero.draws["value"].mean() - spend) / spend
    assert res.info["converged"], res.info["message"]
    assert res.info["max_violation"] <= 1e-7 and spend > 1000
    assert roi >= 0.5 - 1e-6
    # the ROI constraint binds (more spend would lower the ROI) or the budget cap does
    assert "target ROI" in res.info["active"] or spend == pytest.approx(200_000.0)
    sq = tm.plan.status_quo(post, 8)
    no_tail = tm.plan.evaluate(post, sq, tail=0)
    assert (no_tail.draws["long"].abs() <= 1e-9 * no_tail.draws["outcome"].abs()).all()
    full = tm.plan.evaluate(post, sq, tail_coverage=1.0)
    assert (full.draws["outcome"] > tm.plan.evaluate(post, sq).draws["outcome"]).all()


def test_result_pickles_reports_and_plots(fitted, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    _, _, fit, _ = fitted
    res = tm.plan.optimize(fit, horizon=13, starts=1, name="alt")
    back = pickle.loads(pickle.dumps(res))
    pd.testing.assert_frame_equal(back.schedule, res.schedule)
    pd.testing.assert_frame_equal(back.summary(), res.summary())
    assert "<table" in res._repr_html_() and "alt" in repr(res)
    cmp = res.compare(tm.plan.evaluate(fit, tm.plan.status_quo(fit, 13), name="status quo"))
    assert list(cmp.columns) == ["alt", "status quo"]
    axes = res.plot()
    assert len(axes) == 3
    with pytest.raises(ValueError, match="unsupported state version"):
        pickle.loads(pickle.dumps(res)).__setstate__({"version": 99})
    assert "expected gain" in res.sentence({"PR": ["press", "events"], "SMM": ["instagram", "tiktok"]})


def test_a_tm_plan_is_scored_by_evaluate(fitted):
    from trustmix.demo import demo_plan

    _, _, fit, _ = fitted
    res = tm.plan.evaluate(fit, demo_plan(), horizon=52)
    assert res.schedule.shape == (52, 4)
    assert res.schedule.to_numpy().sum() > 0


def test_bad_input_is_refused_clearly(fitted):
    _, _, fit, _ = fitted
    with pytest.raises(ValueError, match="unknown constraint 'budgets'"):
        tm.plan.optimize(fit, horizon=4, constraints={"budgets": 1})
    with pytest.raises(ValueError, match="unknown channel 'radio'"):
        tm.plan.optimize(fit, horizon=4, constraints={"bounds": {"radio": (0, 1)}})
    with pytest.raises(ValueError, match="horizon must be an integer"):
        tm.plan.optimize(fit, horizon=0)
    with pytest.raises(ValueError, match="spend must be finite and >= 0"):
        tm.plan.evaluate(fit, -np.ones((4, 4)))


def _true_media_outcome(data, truth, schedule: pd.DataFrame, extra: int = 200) -> float:
    """The simulated world's own media-and-trust outcome over the plan and `extra` periods
    after it (simulate_trust_data's equations; its scaling by the history's mean non-zero
    activity and G[-1] = 0.3)."""
    T, H = len(data), len(schedule)
    L = truth["max_lag"]
    h = {}
    for c in ROLES:
        hist = data[c].to_numpy(dtype=float)
        x = np.concatenate([hist, schedule[c].to_numpy(), np.zeros(extra)])
        h[c] = logistic_saturation(
            geometric_adstock(x / hist[hist > 0].mean(), alpha=truth["alpha"][c], max_lag=L), lam=truth["lam"][c]
        )
    n = T + H + extra
    crisis = np.zeros(n)
    crisis[T // 2] = 1.0
    G = np.zeros(n)
    prev = 0.3
    for t in range(n):  # the world's recursion (test code: a plain loop)
        G[t] = (
            truth["delta"] * prev
            + (1 - truth["delta"]) * sum(truth["kappa"][p] * h[p][t] for p in truth["kappa"])
            - truth["omega"] * crisis[t]
        )
        prev = G[t]
    m = truth["gamma"] * G + sum(truth["beta"][s] * (1 + truth["theta"] * G) * h[s] for s in truth["beta"])
    return float(m[T:].sum())


def test_a_plan_optimised_on_a_fit_beats_the_status_quo_in_the_worlds_truth():
    data, truth, fit = _fit(periods=156, seed=0)
    H = 52
    res = tm.plan.optimize(fit, horizon=H, objective="outcome", starts=2)
    sq = tm.plan.status_quo(fit, H)
    plan_true, sq_true = _true_media_outcome(data, truth, res.schedule), _true_media_outcome(data, truth, sq)
    assert res.info["converged"], res.info["message"]
    assert plan_true > sq_true, (plan_true, sq_true)


def test_cli_plan_prints_the_closing_sentence():
    r = subprocess.run(
        [sys.executable, "-m", "trustmix", "plan", "--no-plot"], capture_output=True, text=True, check=False
    )
    assert r.returncode == 0, r.stderr
    assert "expected gain" in r.stdout and "first quarter" in r.stdout
    # NLopt stops the demo with status "failure" at a point the KKT check certifies: the
    # message must not read "converged (failure ...)" (a contradiction to a reader)
    opt = next(line for line in r.stdout.splitlines() if line.startswith("Optimiser: "))
    assert "converged (failure" not in opt
    assert opt.startswith(("Optimiser: converged (", "Optimiser: certified optimal by the KKT check"))


def test_summary_roi_counts_only_what_the_plan_adds(fitted):
    """The history alone still produces outcome over horizon + tail (adstock carry-over,
    the trust stock left at the end of the data); ROI is measured against spending
    nothing, as target_roi defines it: ((outcome - outcome of no spend) v - spend) / spend."""
    _, _, fit, _ = fitted
    sq = tm.plan.status_quo(fit, 26)
    res = tm.plan.evaluate(fit, sq)
    zero = tm.plan.evaluate(fit, sq * 0.0)
    s, z = res.summary(), zero.summary()
    assert z.loc["outcome", "plan"] > 0  # what the history carries into the plan
    inc = s.loc["outcome", "plan"] - z.loc["outcome", "plan"]
    assert s.loc["incremental", "plan"] == pytest.approx(inc, rel=1e-12)
    v, spend = res.value_per_outcome, sq.to_numpy().sum()
    assert s.loc["roi", "plan"] == pytest.approx((v * inc - spend) / spend, rel=1e-9)
    assert z.loc["incremental", "plan"] == pytest.approx(0.0, abs=1e-9)


def test_sentence_moves_only_what_one_group_loses_and_the_other_gains(fitted):
    _, _, fit, _ = fitted
    sq = tm.plan.status_quo(fit, 26)
    alt = sq.copy()
    q = alt.index < alt.index[0] + pd.Timedelta(days=91)
    alt.loc[q, "press"] = alt.loc[q, "press"] * 0.5  # PR loses some ...
    lost = float((sq.loc[q, "press"] - alt.loc[q, "press"]).sum())
    alt.loc[q, "instagram"] = alt.loc[q, "instagram"] + 0.4 * lost / q.sum()  # ... SMM gains less
    res = tm.plan.evaluate(fit, alt)
    text = res.sentence(groups={"PR": ["press", "events"], "SMM": ["instagram", "tiktok"]})
    assert f"moves {0.4 * lost:,.0f} from PR to SMM" in text
    assert f"cuts {0.6 * lost:,.0f} in total" in text


def test_without_a_value_per_outcome_the_planner_says_so_once(caplog):
    data, _ = simulate_trust_data(104, seed=2)
    model = tm.TrustMMM(
        data, date="week", outcome="conversions", channels=ROLES, tracker="trust_survey", shocks=["crisis"]
    )
    fit = model.fit(seed=1, restarts=1)
    with caplog.at_level("WARNING", logger="trustmix.plan"):
        tm.plan.evaluate(fit, tm.plan.status_quo(fit, 8))
        tm.plan.evaluate(fit, tm.plan.status_quo(fit, 8))
    notes = [r for r in caplog.records if r.name == "trustmix.plan" and "no value_per_outcome" in r.getMessage()]
    assert len(notes) == 1 and "outcome units" in notes[0].getMessage()


def test_the_message_names_a_solver_failure_that_the_kkt_check_certifies(fitted):
    _, _, fit, post = fitted
    res = tm.plan.optimize(post, horizon=8, budget=200_000.0, starts=1)
    msg, status = res.info["message"], res.info["status"]
    if res.info["converged"] and status not in ("success", "ftol_reached", "xtol_reached", "stopval_reached"):
        assert msg.startswith("certified optimal by the KKT check (NLopt stopped with status ")
        assert f"status {status}," in msg
    elif res.info["converged"]:
        assert msg.startswith("converged (")
    assert "converged (failure" not in msg


def test_an_earned_channel_is_planned_by_its_cost_per_unit(fitted):
    # "press" made earned: its spend column is all zeros (coverage without a spend line).
    # Without a cost per unit the planner cannot turn spend into activity and says how to
    # plan it; with cost_per_unit={"press": 2.0} one unit of press activity costs 2, so a
    # schedule spending 2 x the press activity of another scores exactly as that one does
    # on the fit where press's spend column was its activity (1 per unit).
    import copy

    data, _, _, post = fitted
    m2 = copy.copy(post.model)
    m2.data = post.model.data.assign(press_cost=0.0)
    m2.spend_columns = {**post.model.spend_columns, "press": "press_cost"}
    earned = tm.mmm.TrustFit(m2, post.z, post.info, post.posterior)
    H = 8
    sched = tm.plan.status_quo(post, H)
    with pytest.raises(ValueError, match=r"cost_per_unit=\{'press'"):
        tm.plan.evaluate(earned, sched)
    with pytest.raises(ValueError, match="cost_per_unit"):
        tm.plan.evaluate(earned, sched, cost_per_unit={"press": -1.0})
    with pytest.raises(ValueError, match="not a channel"):
        tm.plan.evaluate(earned, sched, cost_per_unit={"radio": 1.0})
    sq2 = tm.plan.status_quo(earned, H, {"press": 2.0})
    np.testing.assert_allclose(sq2["press"].to_numpy(), 2.0 * sched["press"].to_numpy(), rtol=1e-15)
    np.testing.assert_array_equal(sq2.drop(columns="press").to_numpy(), sched.drop(columns="press").to_numpy())
    a = tm.plan.evaluate(post, sched)
    b = tm.plan.evaluate(earned, sq2, cost_per_unit={"press": 2.0})
    np.testing.assert_allclose(b.draws["outcome"].to_numpy(), a.draws["outcome"].to_numpy(), rtol=1e-12)
    res = tm.plan.optimize(earned, horizon=H, cost_per_unit={"press": 2.0}, draw_optima=0)
    assert res.info["converged"] and res.info["kkt_residual"] <= 1e-6
    assert res.schedule.sum().sum() == pytest.approx(sq2.sum().sum(), rel=1e-9)  # the status quo's budget, in currency


def test_a_bounded_trust_fit_is_planned_on_its_own_dynamics():
    # trust_form="bounded": the planner runs the model's bounded recursion (C++ tests check
    # the forward pass against the fit's mu and every gradient by finite differences); here
    # the Python path: the gradient through the binding, and a certified plan.
    data, _ = simulate_trust_data(104, seed=2)
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_survey",
        shocks=["crisis"],
        value_per_outcome=3.0,
        trust_form="bounded",
    )
    fit = model.fit(seed=1, restarts=1)
    pm = tm.plan._api._planner(fit, 6, "auto", 0.99, 1.0, None, 1)
    assert min(pm.tail_periods(i) for i in range(pm.draws)) >= 1
    s = np.random.default_rng(3).uniform(0.5, 2.0, (6, 4)) * tm.plan.status_quo(fit, 6).to_numpy().mean()
    r, g, _ = pm.criterion(s, goal="net_value", value_per_outcome=3.0)
    h = 1e-6 * s.max()
    fd = np.zeros_like(s)
    for t in range(6):
        for c in range(4):
            a, b = s.copy(), s.copy()
            a[t, c] += h
            b[t, c] -= h
            fd[t, c] = (
                pm.criterion(a, goal="net_value", value_per_outcome=3.0)[0]
                - pm.criterion(b, goal="net_value", value_per_outcome=3.0)[0]
            ) / (2 * h)
    assert np.max(np.abs(g - fd)) <= 1e-5 * np.max(np.abs(fd))
    res = tm.plan.optimize(fit, horizon=8, draw_optima=0)
    assert res.info["converged"] and res.info["kkt_residual"] <= 1e-6 and res.info["moved"]
    with pytest.raises(ValueError, match="linear' only"):
        tm.plan.optimize(fit, horizon=8, tail_coverage=1.0)


def test_starts_auto_runs_one_start_only_where_the_problem_is_certified_concave(fitted):
    # A trust fit (theta > 0: the trust x SMM amplification) is not certified concave: two
    # starts. The same data without trust (a reduced model) is: one start, and the message
    # says the KKT point is the global optimum.
    data, _, _, post = fitted
    res = tm.plan.optimize(post, horizon=6, draw_optima=0)
    assert not res.info["concave"] and len(res.info["start_objectives"]) == 2
    flat = tm.TrustMMM(
        data, date="week", outcome="conversions", channels=ROLES, value_per_outcome=3.0, trust=False
    ).fit(seed=1, restarts=1)
    one = tm.plan.optimize(flat, horizon=6, draw_optima=0)
    assert one.info["concave"] and len(one.info["start_objectives"]) == 1
    assert one.info["converged"] and "global optimum" in one.info["message"]
    many = tm.plan.optimize(flat, horizon=6, draw_optima=0, starts=4)
    assert one.info["objective"] >= many.info["objective"] - 1e-9 * abs(many.info["objective"])
    with pytest.raises(ValueError, match="starts"):
        tm.plan.optimize(flat, horizon=6, starts=0)


def test_a_log_link_fit_is_planned_on_the_models_own_mean():
    # link="log" (mu = exp(eta)): the plan's outcome is the model's own forward pass over the
    # data, the schedule and the tail (baseline after the data at its last year's mean),
    # mu - exp(baseline) summed (C++ tests: every gradient, both trust forms); the gradient
    # through the binding against finite differences; a converged plan that beats the
    # status quo on the same budget.
    data, _ = simulate_trust_data(104, seed=2)
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=ROLES,
        tracker="trust_survey",
        shocks=["crisis"],
        value_per_outcome=3.0,
        link="log",
    )
    fit = model.fit(seed=1, restarts=1)
    m = fit.model
    H, tail = 13, 30
    sched = 1.1 * tm.plan.status_quo(fit, H)
    res = tm.plan.evaluate(fit, sched, tail=tail)
    T, C = m._media.shape
    units = tm.plan._api._units_per_spend(m, None)
    media = np.vstack([m._media, sched.to_numpy() * units, np.zeros((tail, C))])
    base = np.vstack([m._baseline, np.repeat(m._baseline[-52:].mean(axis=0)[None, :], H + tail, axis=0)])
    shocks = np.vstack([m._shocks, np.zeros((H + tail, m._shocks.shape[1]))])
    f = m._core.forward(np.asarray(fit.z, dtype=float), media=media, baseline=base, shocks=shocks)
    expected = m.y_scale * float(np.sum(np.asarray(f.mu)[T:] - np.asarray(f.base)[T:]))
    assert res.draws["outcome"].to_numpy()[0] == pytest.approx(expected, rel=1e-10)
    pm = tm.plan._api._planner(fit, 6, "auto", 0.99, 1.0, None, 1)
    s = np.random.default_rng(3).uniform(0.5, 2.0, (6, 4)) * tm.plan.status_quo(fit, 6).to_numpy().mean()
    _, g, _ = pm.criterion(s, goal="net_value", value_per_outcome=3.0)
    h = 1e-6 * s.max()
    fd = np.zeros_like(s)
    for t in range(6):
        for c in range(4):
            a, b = s.copy(), s.copy()
            a[t, c] += h
            b[t, c] -= h
            fd[t, c] = (
                pm.criterion(a, goal="net_value", value_per_outcome=3.0)[0]
                - pm.criterion(b, goal="net_value", value_per_outcome=3.0)[0]
            ) / (2 * h)
    assert np.max(np.abs(g - fd)) <= 1e-5 * np.max(np.abs(fd))
    plan = tm.plan.optimize(fit, horizon=H, draw_optima=0)
    assert plan.info["converged"] and plan.info["kkt_residual"] <= 1e-6 and plan.info["moved"]
    s = plan.summary()
    assert s.loc["spend", "plan"] == pytest.approx(s.loc["spend", "reference"], rel=1e-9)
    assert s.loc["outcome", "plan"] > s.loc["outcome", "reference"]
    with pytest.raises(ValueError, match="identity' only"):
        tm.plan.optimize(fit, horizon=8, tail_coverage=1.0)


def test_repeated_plans_on_one_fit_build_the_planner_model_once():
    # _planner caches the C++ model per fit and settings (the draws run over the history):
    # a second plan reuses it and gives the same plan to the last digit as a fresh build;
    # other settings build another; the entry goes with the fit.
    import gc

    from trustmix.plan import _api

    data, truth, fit = _fit(periods=60, seed=5)
    first = _api._planner(fit, 13, "auto", 0.99, 1.0, None, 0)
    assert _api._planner(fit, 13, "auto", 0.99, 1.0, None, 0) is first
    assert _api._planner(fit, 13, "auto", 0.99, 0.99, None, 0) is not first  # another discount
    assert _api._planner(fit, 13, "auto", 0.99, 1.0, None, 0, cost_per_unit={"press": 2.0}) is not first
    sq = tm.plan.status_quo(fit, 13).to_numpy()
    fresh = _plan.TrustPlanModel(
        fit.model._core,
        fit._draw_matrix(None),
        np.asarray(fit.model._media, dtype=float),
        np.asarray(fit.model._shocks, dtype=float),
        13,
        tail=-1,
        tail_coverage=0.99,
        discount=1.0,
        units_per_spend=_api._units_per_spend(fit.model),
        outcome_scale=float(fit.model.y_scale),
        threads=0,
        rf=_api._rf_specs(fit.model, None),
    )
    assert np.array_equal(first.criterion(sq, goal="value")[1], fresh.criterion(sq, goal="value")[1])
    key = id(fit)
    a = tm.plan.optimize(fit, horizon=13, objective="value")  # max_draws=200: a fourth model
    assert len(_api._PLANNERS[key]) == 4
    b = tm.plan.optimize(fit, horizon=13, objective="value")  # reused
    assert len(_api._PLANNERS[key]) == 4
    pd.testing.assert_frame_equal(a.schedule, b.schedule, check_exact=True)
    assert a.summary().equals(b.summary())
    _api._planner(fit, 14, "auto", 0.99, 1.0, None, 0)  # a fifth setting: the oldest goes
    assert len(_api._PLANNERS[key]) == _api._PLANNERS_PER_FIT and all(
        v is not first for v in _api._PLANNERS[key].values()
    )
    del fit, a, b
    gc.collect()
    assert key not in _api._PLANNERS


def test_a_target_marginal_roi_spends_until_each_funded_cell_returns_one_plus_r(fitted):
    # Closed form through the binding: Michaelis-Menten curves, net value at 1 + r per unit
    # of spend, a cap that does not bind: x_c = sqrt(v beta_c k_c / (1 + r)) - k_c.
    beta, k = np.array([2.0, 1.0, 3.0]), np.array([1.0, 0.5, 2.0])
    obj = _plan.CurveObjective("michaelis_menten", beta[None, :], k[None, :])
    for r in (0.0, 0.5, 3.0):
        sol, _ = _plan.optimize(
            obj, goal="net_value", value_per_outcome=10.0, budget=1e3, budget_equality=False, marginal_roi=r
        )
        x = np.maximum(np.sqrt(10.0 * beta * k / (1.0 + r)) - k, 0.0)
        np.testing.assert_allclose(np.asarray(sol.schedule)[0], x, rtol=1e-6, atol=1e-9)
    # On a fit, valued so that some cells pay back (the fixture's value of 3 per conversion
    # returns under 0.05 per unit of spend at the margin, so any target spends nothing):
    # a higher target spends less; at the plan each funded cell's marginal value
    # (the value criterion's gradient, mean over draws) is 1 + r (the optimality condition
    # under a cap that does not bind), unfunded cells return less.
    _, _, fit, post = fitted
    sq = tm.plan.status_quo(post, 13)
    big = 10.0 * float(sq.to_numpy().sum())
    plans = {
        r: tm.plan.optimize(
            post,
            budget=big,
            horizon=13,
            constraints={"budget": "cap"},
            marginal_roi=r,
            value_per_outcome=300.0,
            draw_optima=0,
            starts=1,
        )
        for r in (0.0, 1.0)
    }
    spend = {r: float(p.schedule.to_numpy().sum()) for r, p in plans.items()}
    assert 0.01 * big < spend[1.0] < 0.9 * spend[0.0] and spend[0.0] < 0.9 * big
    from trustmix.plan import _api

    pm = _api._planner(post, 13, "auto", 0.99, 1.0, 200, 0)
    for r, p in plans.items():
        assert p.info["converged"] and p.settings["marginal_roi"] == r
        s = p.schedule.to_numpy()
        _, g, _ = pm.criterion(s, goal="value", value_per_outcome=300.0)
        funded = s > 1e-6 * s.max()
        np.testing.assert_allclose(g[funded], 1.0 + r, rtol=2e-3)
        assert (g[~funded] <= (1.0 + r) * (1 + 2e-3)).all()
    with pytest.raises(ValueError, match="budget must be a cap"):
        tm.plan.optimize(post, horizon=13, marginal_roi=0.5)
    with pytest.raises(ValueError, match="objective='net_value'"):
        tm.plan.optimize(post, horizon=13, objective="outcome", constraints={"budget": "cap"}, marginal_roi=0.5)
    with pytest.raises(ValueError, match="> -1"):
        tm.plan.optimize(post, horizon=13, constraints={"budget": "cap"}, marginal_roi=-1.0)
