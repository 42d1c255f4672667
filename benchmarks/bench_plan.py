"""The planner (issue 15): objective + gradient time and full plan time.

Setting of the issue's goal: 1,000 posterior draws x a 52-week x 8-channel plan with 156
weeks of history (simulate_trust_data with 2 extra PR and 2 extra SMM channels, a MAP fit,
1,000 draws scattered around its mode: the cost does not depend on where the draws lie).
Reported: the median wall time of one objective + exact gradient evaluation
(``TrustPlanModel.criterion``, every draw, horizon + 99% trust tail) over ``--repeats``
calls, for 1 thread and for every thread, and on a fit of the bounded trust form; the
wall and CPU time of a full plan (budget equality,
algorithm "auto", 1 start) on 200 draws and on 1,000 draws, with its evaluations and
certificate; the success rate over ``--budgets`` random budgets (converged, KKT residual
<= 1e-6, no violation).

Parts (``--parts``): ``speed`` (the above, and the 1,000-draw plan solved on 100 draws
then polished on all, ``presolve_draws``); ``peer`` (PyMC-Marketing's BudgetOptimizer
side by side, every plan scored by one common evaluator: see ``part_peer``; runs only when
pymc-marketing is installed, otherwise says so); ``simulator`` (plans on a fit run in the
people-level simulated worlds against the status quo: see ``part_simulator``); ``rf`` (a
fit with a reach-and-frequency channel, both RF forms: objective + gradient time, plans
with a maximum frequency and a 3+ reach target, success over random budgets: see
``part_rf``); ``geo-simulator`` (panel plans on a ``PanelMMM`` fit run in the regional
simulated worlds against the status quo: see ``part_geo_simulator``; not in the default
parts); ``algorithm`` (SLSQP against AUGLAG on small plans, the threshold of
``algorithm="auto"``: see ``part_algorithm``; not in the default parts).

Usage: python benchmarks/bench_plan.py [--parts speed peer simulator rf geo-simulator algorithm] [--draws 1000]
       [--repeats 20] [--budgets 50] [--peer-budgets 50] [--peer-draws 250]
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time

import numpy as np
import pandas as pd

import trustmix as tm
from trustmix.mmm import simulate_trust_data


def part_speed(a) -> None:
    data, truth = simulate_trust_data(156, seed=0, extra_trust=2, extra_conversion=2)
    roles = truth["roles"]
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=roles,
        tracker="trust_survey",
        shocks=["crisis"],
        value_per_outcome=3.0,
    )
    t0 = time.perf_counter()
    fit = model.fit(seed=0, restarts=1)
    print(f"data: 156 weeks x {len(roles)} channels; MAP fit {time.perf_counter() - t0:.2f} s")
    rng = np.random.default_rng(0)
    import types

    draws = fit.z + rng.normal(0, 0.03, (1, a.draws, fit.z.size))
    post = tm.mmm.TrustFit(model, fit.z, fit.info, types.SimpleNamespace(draws=draws))
    sq = tm.plan.status_quo(post, 52).to_numpy()
    for threads in (1, 0):
        pm = tm.plan._api._planner(post, 52, "auto", 0.99, 1.0, None, threads)
        tail = np.mean([pm.tail_periods(i) for i in range(pm.draws)])
        pm.criterion(sq)  # warm
        times = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            pm.criterion(sq, goal="net_value", value_per_outcome=3.0)
            times.append(time.perf_counter() - t0)
        label = "1 thread" if threads == 1 else "all threads"
        print(
            f"objective + gradient, {pm.draws} draws x 52 weeks x {len(roles)} channels, mean tail {tail:.0f} weeks, "
            f"{label}: median {1e3 * np.median(times):.2f} ms (min {1e3 * min(times):.2f} ms)"
        )
    # The same objective + gradient on a fit of the bounded trust form (its stock tail is
    # run period by period by the model's own recursion, see docs/plan.md).
    bmodel = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=roles,
        tracker="trust_survey",
        shocks=["crisis"],
        value_per_outcome=3.0,
        trust_form="bounded",
    )
    bfit = bmodel.fit(seed=0, restarts=1)
    bpost = tm.mmm.TrustFit(
        bmodel, bfit.z, bfit.info, types.SimpleNamespace(draws=bfit.z + rng.normal(0, 0.03, (1, a.draws, bfit.z.size)))
    )
    pm = tm.plan._api._planner(bpost, 52, "auto", 0.99, 1.0, None, 1)
    tail = np.mean([pm.tail_periods(i) for i in range(pm.draws)])
    pm.criterion(sq)
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        pm.criterion(sq, goal="net_value", value_per_outcome=3.0)
        times.append(time.perf_counter() - t0)
    print(
        f"objective + gradient, bounded trust form, {pm.draws} draws x 52 weeks x {len(roles)} channels, mean tail "
        f"{tail:.0f} weeks, 1 thread: median {1e3 * np.median(times):.2f} ms (min {1e3 * min(times):.2f} ms)"
    )
    for n in (200, a.draws):
        t0, c0 = time.perf_counter(), time.process_time()
        res = tm.plan.optimize(post, horizon=52, max_draws=n, starts=1)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"full plan, {n} draws, 52 x {len(roles)} cells: {dt:.2f} s wall ({dc:.2f} s CPU, all threads); "
            f"{res.info['evaluations']} evaluations; {res.info['message']}"
        )
    # The 1,000-draw plan without the per-draw optima: one stage, and solved on 100 draws
    # then polished and certified on all (presolve_draws).
    for pre in (None, 100):
        t0, c0 = time.perf_counter(), time.process_time()
        res = tm.plan.optimize(post, horizon=52, max_draws=a.draws, starts=1, draw_optima=0, presolve_draws=pre)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        stage = (
            "one stage"
            if pre is None
            else (
                f"solved on {pre} draws ({res.info['presolve']['evaluations']} "
                f"evaluations, {res.info['presolve']['seconds']:.2f} s), then on all"
            )
        )
        print(
            f"full plan, {a.draws} draws, no per-draw optima, {stage}: {dt:.2f} s wall ({dc:.2f} s CPU); "
            f"{res.info['evaluations']} "
            f"evaluations on all draws; {res.info['message']}; objective {res.info['objective']:.10g}"
        )
    # Success over random budgets: 0.5x .. 1.5x the status quo's, on 200 draws, 52 weeks.
    total = sq.sum()
    ok, times, kkt = 0, [], []
    for b in np.random.default_rng(1).uniform(0.5, 1.5, a.budgets) * total:
        t0 = time.perf_counter()
        res = tm.plan.optimize(post, budget=float(b), horizon=52, max_draws=200, objective="outcome", starts=1)
        times.append(time.perf_counter() - t0)
        kkt.append(res.info["kkt_residual"])
        ok += bool(res.info["converged"] and res.info["kkt_residual"] <= 1e-6 and res.info["max_violation"] <= 1e-7)
    print(
        f"{a.budgets} random budgets (0.5x..1.5x the status quo), 200 draws, 52 x {len(roles)} cells, objective "
        f"outcome: {ok} of {a.budgets} converged with KKT residual <= 1e-6 (largest {max(kkt):.2g}); "
        f"median {np.median(times):.2f} s per plan"
    )


# --------------------------------------------------------------------------- peer
def part_peer(a) -> None:
    """PyMC-Marketing's BudgetOptimizer side by side, scored by one common evaluator.

    Same data and reduced model as bench_mmm.py's peer part (``make_standard_mmm``: 179
    weeks x 4 channels, geometric adstock l_max = 8 + logistic saturation + intercept,
    PyMC-Marketing's priors). Each library fits it with NUTS (the same chains, tune and
    draws) and optimises a ``--peer-horizon``-week plan for each random budget (0.5x..1.5x
    the status quo's). PyMC-Marketing's plan is one spend per channel per week, the same
    every week (its decision space); trustmix's is the full weekly schedule, and, for a
    like-for-like comparison, the same decision space (``blocks``: one total per channel,
    spread evenly). Every plan is scored by trustmix's evaluator on trustmix's posterior
    (every draw; history's adstock carry into the horizon and the L-week carryover tail
    counted): the expected total media contribution over horizon + tail (outcome units),
    which is the quantity PyMC-Marketing's optimizer maximises
    (``total_media_contribution_original_scale``, averaged over its draws).
    """
    import types
    import warnings

    try:
        import pymc_marketing
    except ImportError:
        print("\n== peer: skipped, PyMC-Marketing is not installed (pip install 'trustmix[bench]')")
        return
    from pymc_marketing.mmm.multidimensional import MultiDimensionalBudgetOptimizerWrapper

    from bench_mmm import fit_pymc_marketing, fit_trustmix_reduced, load, make_standard_mmm

    warnings.simplefilter("ignore")
    fa = types.SimpleNamespace(
        max_lag=7, chains=a.peer_chains, draws=a.peer_draws, tune=a.peer_draws, seed=1, target_accept=0.9, cores=2
    )
    df, _ = make_standard_mmm(4, seed=42, max_lag=fa.max_lag)
    ch = [c for c in df.columns if c.startswith("x")]
    H = a.peer_horizon
    print(
        f"\n== peer: BudgetOptimizer of PyMC-Marketing {pymc_marketing.__version__} vs tm.plan.optimize; "
        f"{len(df)} weeks x {len(ch)} channels, reduced model, {fa.chains} chains x ({fa.tune} + {fa.draws}) NUTS "
        f"each; plan horizon {H} weeks; {load()}"
    )
    fit_t, wall_t = fit_trustmix_reduced(df, ch, fa)
    print(f"trustmix fit: {wall_t:.1f} s")
    mmm, _, wall_p = fit_pymc_marketing(df, ch, fa, "pymc")
    print(f"PyMC-Marketing fit: {wall_p:.1f} s ({load()})")
    start = df["date_week"].iloc[-1] + pd.Timedelta(weeks=1)
    end = start + pd.Timedelta(weeks=H - 1)
    wrapper = MultiDimensionalBudgetOptimizerWrapper(model=mmm, start_date=str(start.date()), end_date=str(end.date()))
    if wrapper.num_periods != H:
        raise RuntimeError(f"PyMC-Marketing's window has {wrapper.num_periods} periods, expected {H}")
    # The common evaluator: trustmix's forward model on every draw of trustmix's posterior.
    ev = tm.plan._api._planner(fit_t, H, "auto", 0.99, 1.0, None, 0)

    def score(s: np.ndarray) -> float:
        return float(ev.criterion(np.ascontiguousarray(s, dtype=float), goal="outcome")[0])

    sq = tm.plan.status_quo(fit_t, H).to_numpy()
    weekly = sq.sum() / H
    budgets = np.random.default_rng(2).uniform(0.5, 1.5, a.peer_budgets) * weekly
    blocks = {c: (c, 0, H - 1) for c in ch}
    rows = {k: {"obj": [], "time": [], "viol": [], "conv": []} for k in ("pymc", "tm_blocks", "tm_weekly")}
    for k, b in enumerate(budgets):
        total = b * H
        t0 = time.perf_counter()
        alloc, res = wrapper.optimize_budget(budget=float(b))
        dt = time.perf_counter() - t0
        x = np.asarray(alloc.sel(channel=ch).values, dtype=float)
        s = np.tile(x, (H, 1))
        r = rows["pymc"]
        r["obj"].append(score(s)), r["time"].append(dt), r["conv"].append(bool(res.success))
        r["viol"].append(max(abs(s.sum() - total) / total, float(-min(s.min(), 0.0)) / b))
        for key, cons in (("tm_blocks", {"blocks": blocks}), ("tm_weekly", None)):
            t0 = time.perf_counter()
            p = tm.plan.optimize(
                fit_t,
                budget=float(total),
                horizon=H,
                objective="outcome",
                constraints=cons,
                max_draws=None,
                starts=1,
                draw_optima=0,
            )
            dt = time.perf_counter() - t0
            s = p.schedule.to_numpy()
            r = rows[key]
            r["obj"].append(score(s)), r["time"].append(dt)
            r["conv"].append(bool(p.info["converged"] and p.info["kkt_residual"] <= 1e-6))
            r["viol"].append(max(abs(s.sum() - total) / total, float(-min(s.min(), 0.0)) / b))
        print(
            f"budget {k + 1}/{len(budgets)} ({b:.3f}/week): objective PyMC-Marketing {rows['pymc']['obj'][-1]:.4f} "
            f"in {rows['pymc']['time'][-1]:.2f} s; "
            f"trustmix same decision space {rows['tm_blocks']['obj'][-1]:.4f} in "
            f"{rows['tm_blocks']['time'][-1]:.2f} s; trustmix weekly {rows['tm_weekly']['obj'][-1]:.4f} in "
            f"{rows['tm_weekly']['time'][-1]:.2f} s",
            flush=True,
        )
    print(f"after: {load()}")
    base = np.asarray(rows["pymc"]["obj"])
    names = {
        "pymc": "PyMC-Marketing BudgetOptimizer (SLSQP, one spend per channel, even over time)",
        "tm_blocks": "tm.plan.optimize, same decision space (blocks: one total per channel)",
        "tm_weekly": "tm.plan.optimize, weekly schedule",
    }
    print(
        f"\n{len(budgets)} random budgets (0.5x..1.5x the status quo's {weekly:.3f}/week), {H}-week plan; every "
        f"plan scored by trustmix's evaluator on {ev.draws} draws (expected media contribution over horizon + "
        "8-week tail, outcome units)"
    )
    print(
        "\n| optimiser | median time to plan s | min / max s | mean objective | objective - PyMC-Marketing's "
        "(min / median / max) | plans >= PyMC-Marketing's - 1e-9 rel. | own convergence flag | constraint "
        "violation > 1e-6 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for key, r in rows.items():
        o = np.asarray(r["obj"])
        d = o - base
        ok = int(np.sum(o >= base - 1e-9 * np.abs(base)))
        print(
            f"| {names[key]} | {np.median(r['time']):.3f} | {min(r['time']):.3f} / {max(r['time']):.3f} | "
            f"{o.mean():.5f} | {d.min():+.2e} / {np.median(d):+.2e} / {d.max():+.2e} | {ok} of {len(o)} | "
            f"{sum(r['conv'])} of {len(o)} | {sum(v > 1e-6 for v in r['viol'])} of {len(o)} |"
        )
    for key in ("tm_blocks", "tm_weekly"):
        ratio = np.median(rows["pymc"]["time"]) / np.median(rows[key]["time"])
        print(
            f"{names[key]}: {ratio:.0f}x faster than PyMC-Marketing's BudgetOptimizer (median time to plan; goal "
            ">= 50x at an equal or better objective)"
        )


# --------------------------------------------------------------------------- simulator
def _weekly_campaigns(
    spend: np.ndarray, channels: list[str], start: pd.Timestamp, first_week: int, tag: str
) -> list[dict]:
    """A weeks x channels spend matrix as one simulator campaign per non-zero cell (the
    week's budget spread evenly over its 7 days)."""
    out = []
    for k in range(spend.shape[0]):
        d0 = start + pd.Timedelta(weeks=first_week + k)
        for j, c in enumerate(channels):
            if spend[k, j] > 0:
                out.append(
                    {
                        "name": f"{tag}_{c}_{k}",
                        "channel": c,
                        "objective": "conversion",
                        "start": d0.date().isoformat(),
                        "end": (d0 + pd.Timedelta(days=6)).date().isoformat(),
                        "budget": float(spend[k, j]),
                    }
                )
    return out


def _risk_levels(items: list[str], default_level: float) -> list[tuple[str, float]]:
    """(risk, level) of each ``--*-risk`` item: "mean", "cvar" (level ``default_level``) or "cvar:0.25"."""
    out = []
    for r in items:
        risk, _, lv = r.partition(":")
        out.append((risk, float(lv) if lv else default_level))
    return out


def _history_world(name: str, seed: int, weeks: int):
    """The preset world ``name`` with its paid flights replaced by ``weeks`` weeks of random
    weekly spend per paid channel (on in 70% of weeks, level per channel U(2k, 12k) x
    U(0.5, 1.5)); returns (spec, start, paid channels, World)."""
    spec = tm.simulate.scenario(name)
    start = pd.Timestamp(spec["start"])
    paid = [c["name"] for c in spec["channels"] if c.get("peso") == "paid"]
    rng = np.random.default_rng([seed, 15])
    level = rng.uniform(2_000, 12_000, len(paid))
    hist = (rng.random((weeks, len(paid))) < 0.7) * level * rng.uniform(0.5, 1.5, (weeks, len(paid)))
    spec["campaigns"] = _weekly_campaigns(hist, paid, start, 0, "hist")
    return spec, start, paid, tm.simulate.World(spec, seed=seed)


def _plans_in_worlds(what: str, worlds: list[str], seeds: int, weeks: int, risks: list[tuple[str, float]], run) -> None:
    """The loop of the simulator parts: for every world and seed, ``run(name, seed, spec,
    start, paid, world)`` (the world from ``_history_world``) plans under each of ``risks``
    and returns, per plan, (risk label, true expected conversions of the status quo, of the
    plan); then the per-risk table (when several) and the closing line on ``what``."""
    wins, gains = 0, []
    by_risk: dict[str, list[float]] = {}
    for name in worlds:
        for seed in range(1, seeds + 1):
            spec, start, paid, world = _history_world(name, seed, weeks)
            for label, y_sq, y_plan in run(name, seed, spec, start, paid, world):
                g = (y_plan - y_sq) / y_sq * 100
                by_risk.setdefault(label, []).append(g)
                gains.append(g)
                wins += y_plan > y_sq
    if len(by_risk) > 1:
        print("\n| risk | plan wins | true gain %: median | mean | min (worst world) | max |")
        print("|---|---|---|---|---|---|")
        for label, gs in by_risk.items():
            v = np.asarray(gs)
            print(
                f"| {label} | {int((v > 0).sum())} of {len(v)} | {np.median(v):+.2f} | {v.mean():+.2f} | "
                f"{v.min():+.2f} | {v.max():+.2f} |"
            )
    print(
        f"\nThe {what} beats the status quo in the world's own truth in {wins} of {len(gains)} plans "
        f"(true gain: median {np.median(gains):+.2f}%, min {min(gains):+.2f}%, max {max(gains):+.2f}%)."
    )


def part_simulator(a) -> None:
    """Plans optimised on a fit, run in the people-level simulated world (tm.simulate).

    Per preset world: its audiences, channels, PR activities and events as written, its
    paid flights replaced by ``--sim-history`` weeks of random weekly spend per paid
    channel (on in 70% of weeks, level per channel U(2k, 12k) x U(0.5, 1.5)), so that the
    data identify every paid channel. The observable weekly panel (segment mode, realised
    noise) is fitted as a user would (TrustMMM on paid spend, role as in the world, the
    trust survey as tracker, crises as shocks; NUTS ``--sim-chains`` x (``--sim-draws`` +
    ``--sim-draws``)); ``tm.plan.optimize(objective="outcome")`` spends the status quo's
    budget (the last ``--sim-horizon`` weeks of spend repeated) over the horizon. Both the
    plan and the status quo are then run in the same world (same seed, the same history,
    the planned weeks as weekly campaigns, then ``--sim-tail`` weeks without paid spend),
    and compared by the world's exact expected conversions (the simulator's expected-value
    chain, no sampling noise) summed over horizon + tail. Earned PR is not a spend decision
    in the simulator (it is activities with coverage), so the plan moves paid spend only;
    the trust-building part is the "both" channels (linkedin, youtube) and the amplification
    of conversions by trust.
    """
    import warnings

    H, E, T = a.sim_horizon, a.sim_tail, a.sim_history
    print(
        f"\n== simulator: plans on a fit vs the status quo in the people-level world; {T} weeks of history, "
        f"{H}-week plan, {E} weeks after it counted; worlds {', '.join(a.sim_worlds)}"
    )
    print(
        "\n| world | seed | risk | paid channels | fit s | plan s | converged / KKT "
        "| model's expected gain (conversions) | true expected conversions, status quo | plan "
        "| true gain (conversions) | true gain % | plan wins |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    risks = _risk_levels(a.sim_risk, a.sim_risk_level)

    def one_world(name, seed, spec, start, paid, world):
        roles = {c["name"]: c.get("role", "conversion") for c in spec["channels"] if c["name"] in paid}
        out = world.run(periods=T, mode="segment", freq="W", threads=1, truth=False)
        panel = out.panel
        df = pd.DataFrame(
            {
                "week": panel.index,
                "conversions": panel["conversions"].to_numpy(),
                "trust_survey": panel["trust_survey"].to_numpy(),
                "trust_survey_n": panel["trust_survey_n"].to_numpy(dtype=float),
            }
        )
        for c in paid:
            df[c] = panel[f"spend_{c}"].to_numpy()
        shocks = []
        for e in spec.get("events") or []:
            if e["kind"] == "crisis":
                col = f"shock_{e['name']}"
                df[col] = (np.arange(T) == (pd.Timestamp(e["date"]) - panel.index[0]).days // 7).astype(float)
                if df[col].any():
                    shocks.append(col)
        trust_on = any(r in ("trust", "both") for r in roles.values())  # else the reduced model
        model = tm.TrustMMM(
            df,
            date="week",
            outcome="conversions",
            channels=roles,
            tracker="trust_survey" if trust_on else None,
            # --sim-tracker-n: the survey's panel sizes, so the default form is the bounded
            # share the survey measures (TrustMMM's default given tracker_n)
            tracker_n="trust_survey_n" if (trust_on and a.sim_tracker_n) else None,
            shocks=shocks if trust_on else [],
            trust=trust_on,
        )
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = model.fit(
                method="nuts", chains=a.sim_chains, draws=a.sim_draws, tune=a.sim_draws, seed=seed, progress=False
            )
        t_fit = time.perf_counter() - t0
        sq = tm.plan.status_quo(fit, H).to_numpy()

        def true_path(sched: np.ndarray, spec=spec, paid=paid, start=start, seed=seed) -> np.ndarray:
            sp = copy.deepcopy(spec)
            sp["campaigns"] = spec["campaigns"] + _weekly_campaigns(sched, paid, start, T, "plan")
            o = tm.simulate.World(sp, seed=seed).run(
                periods=T + H + E, mode="segment", freq="W", threads=1, truth=False
            )
            exp = o.outcomes.groupby("date")["expected_conversions"].sum().to_numpy()
            return exp[T:]

        path_sq = true_path(sq)
        y_sq = float(path_sq.sum())
        for risk, level in risks:
            t0 = time.perf_counter()
            res = tm.plan.optimize(fit, horizon=H, objective="outcome", draw_optima=0, risk=risk, level=level)
            evals = res.info["evaluations"]
            t_plan = time.perf_counter() - t0
            # the model's expected media + trust outcome over horizon + tail, plan vs status quo
            model_gain = res.draws["outcome"].mean() - res.draws["ref_outcome"].mean()
            path_plan = true_path(res.schedule[paid].to_numpy())
            y_plan = float(path_plan.sum())
            if a.sim_diagnose:
                _diagnose_world(name, seed, fit, res, sq, paid, path_sq, path_plan, true_path, H)
            g = (y_plan - y_sq) / y_sq * 100
            label = risk if risk in ("mean", "prob_beat") else f"{risk} {level:g}"
            print(
                f"| {name} | {seed} | {label} | {len(paid)} | {t_fit:.1f} | {t_plan:.2f} ({evals} evaluations) | "
                f"{res.info['converged']} / {res.info['kkt_residual']:.1e} | {model_gain:+,.1f} | {y_sq:,.1f} | "
                f"{y_plan:,.1f} | {y_plan - y_sq:+,.1f} | {g:+.2f} | {'yes' if y_plan > y_sq else 'NO'} |",
                flush=True,
            )
            yield label, y_sq, y_plan

    _plans_in_worlds("plan", a.sim_worlds, a.sim_seeds, T, risks, one_world)


def _diagnose_world(name, seed, fit, res, sq, paid, path_sq, path_plan, true_path, H) -> None:
    """Why a plan wins or loses in the world (``--sim-diagnose``): the model's and the
    world's gain split into the horizon and the weeks after it, the model's posterior
    interval and P(plan beats the status quo), the spend moved per channel, and per channel
    the model's and the world's gain from 10% more of that channel's status-quo spend (the
    model's marginal returns against the world's: where their signs or order differ, the
    fit, not the planner, is wrong)."""
    d = res.draws
    gain = d["outcome"] - d["ref_outcome"]
    short = (d["short"] - d["ref_short"]).mean()
    lo, hi = np.quantile(gain, [0.05, 0.95])
    p_beat = float((gain > 0).mean())
    true_short = float(path_plan[:H].sum() - path_sq[:H].sum())
    true_long = float(path_plan[H:].sum() - path_sq[H:].sum())
    moved = res.schedule[paid].to_numpy().sum(axis=0) - sq.sum(axis=0)
    print(
        f"  diagnosis {name} {seed}: model gain {gain.mean():+,.1f} (90% {lo:+,.1f} .. {hi:+,.1f};"
        f" P(beat) {p_beat:.2f}; horizon {short:+,.1f}, after {gain.mean() - short:+,.1f});"
        f" world gain horizon {true_short:+,.1f}, after {true_long:+,.1f}",
        flush=True,
    )
    base_model = tm.plan.evaluate(fit, sq, max_draws=None)
    for j, c in enumerate(paid):
        up = sq.copy()
        up[:, j] *= 1.1
        m_gain = float(
            (tm.plan.evaluate(fit, up, max_draws=None).draws["outcome"] - base_model.draws["outcome"]).mean()
        )
        w_gain = float(true_path(up).sum() - path_sq.sum())
        print(
            f"    {c}: spend moved {moved[j]:+,.0f} ({moved[j] / max(sq[:, j].sum(), 1e-9):+.0%});"
            f" +10% of its status quo ({0.1 * sq[:, j].sum():,.0f}) gains {m_gain:+,.1f} in the model,"
            f" {w_gain:+,.1f} in the world",
            flush=True,
        )


# --------------------------------------------------------------------------- geo simulator
def part_geo_simulator(a) -> None:
    """Panel plans optimised on a geo panel fit, run in the regional simulated world.

    Per preset world and seed: its audiences, channels, PR activities and events as written,
    its paid flights replaced by ``--geo-history`` weeks of random weekly national spend per
    paid channel (as ``part_simulator`` draws it), run as a regional panel
    (``tm.simulate.geo_panel``: ``--geo-regions`` regions of ``make_regions``' sizes, press
    bought nationally, the paid channels by region with spend x region size x a mean-one
    lognormal of sd ``--geo-media-sd`` per region, channel and week). The panel is fitted
    as a user would (``tm.mmm.PanelMMM`` on impressions with their spend columns, press
    national, roles as in the world, the trust survey as tracker, a national trust stock,
    population scaling; NUTS ``--geo-chains`` x (``--geo-draws`` + ``--geo-draws``)), and
    ``tm.plan.optimize_panel(objective="outcome")`` moves the paid channels' status-quo
    budget (their last ``--geo-horizon`` weeks of spend per geo repeated) across geos,
    channels and weeks. Both schedules are then run in the same regional worlds
    (``GeoPanelResult.run_schedule``: the same regions, seeds and drawn history, the
    planned weeks, then ``--geo-tail`` weeks without paid spend) and compared by the world's
    exact expected conversions summed over all geos, plan and tail.
    """
    import logging
    import warnings

    H, E, T, G = a.geo_horizon, a.geo_tail, a.geo_history, a.geo_regions
    logging.getLogger("trustmix").setLevel(logging.ERROR)
    print(
        f"\n== geo simulator: panel plans on a PanelMMM fit vs the status quo in the regional world; {G} regions, "
        f"{T} weeks of history, {H}-week plan, {E} weeks after it counted; NUTS {a.geo_chains} x "
        f"({a.geo_draws} + {a.geo_draws}); risk {' '.join(a.geo_risk)}; worlds {', '.join(a.geo_worlds)}"
    )
    print(
        "\n| world | seed | risk | geos x paid channels | fit s | divergences | plan s | converged / KKT "
        "| model's expected gain (conversions, 90% interval) | true expected conversions, status quo | plan "
        "| true gain (conversions) | true gain % | plan wins |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    risks = _risk_levels(a.geo_risk, a.geo_risk_level)

    def one_world(name, seed, spec, start, paid, world):
        roles = {c["name"]: c.get("role", "conversion") for c in spec["channels"]}
        national = ["press"] if "press" in roles else []
        panel = tm.simulate.geo_panel(
            world, G, periods=T, seed=seed, national_channels=national, media_sd=a.geo_media_sd, threads=1
        )
        df = panel.panel.copy()
        for c in national:  # PanelMMM takes a national channel's national total on every geo's row
            for col in (f"impressions_{c}", f"spend_{c}"):
                df[col] = df.groupby("date")[col].transform("sum")
        active = [c for c in panel.channels if df[f"impressions_{c}"].sum() > 0]
        controls = []
        for e in spec.get("events") or []:
            if e["kind"] == "crisis":
                col = f"shock_{e['name']}"
                df[col] = (
                    df["date"] == start + pd.Timedelta(weeks=(pd.Timestamp(e["date"]) - start).days // 7)
                ).astype(float)
                if df[col].any():
                    controls.append(col)
        model = tm.mmm.PanelMMM(
            df,
            geo="geo",
            date="date",
            outcome="conversions",
            channels={f"impressions_{c}": roles[c] for c in active},
            population="population",
            national_channels=[f"impressions_{c}" for c in national if c in active],
            spend={f"impressions_{c}": f"spend_{c}" for c in active},
            controls=controls,
            trust="national",
            tracker="trust_survey",
        )
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = model.fit("nuts", chains=a.geo_chains, draws=a.geo_draws, tune=a.geo_draws, seed=seed, progress=False)
        t_fit = time.perf_counter() - t0
        planned = [f"impressions_{c}" for c in paid if c in active]
        y_sq = float("nan")
        for risk, level in risks:
            t0 = time.perf_counter()
            res = tm.plan.optimize_panel(
                fit,
                horizon=H,
                channels=planned,
                objective="outcome",
                risk=risk,
                level=level,
                max_draws=a.geo_max_draws,
            )
            t_plan = time.perf_counter() - t0
            gain = res.draws["outcome"] - res.draws["ref_outcome"]
            lo, hi = np.quantile(gain, [0.05, 0.95])
            first = res.schedule["date"].min()

            def true_total(sched: pd.DataFrame, panel=panel, first=first) -> float:
                s = sched.assign(channel=sched["channel"].str.removeprefix("impressions_"))
                run = panel.run_schedule(s[["geo", "date", "channel", "spend"]], periods=T + H + E, threads=1)
                return float(run.loc[run["date"] >= first, "expected_conversions"].sum())

            if not np.isfinite(y_sq):
                y_sq = true_total(res.reference)
            y_plan = true_total(res.schedule)
            g = (y_plan - y_sq) / y_sq * 100
            label = risk if risk in ("mean", "prob_beat") else f"{risk} {level:g}"
            print(
                f"| {name} | {seed} | {label} | {G} x {len(planned)} | {t_fit:.0f} | "
                f"{int(fit.posterior.divergences)} | {t_plan:.2f} ({res.info['evaluations']} evaluations) | "
                f"{res.info['converged']} / {res.info['kkt_residual']:.1e} | "
                f"{gain.mean():+,.1f} ({lo:+,.0f} .. {hi:+,.0f}) | {y_sq:,.1f} | {y_plan:,.1f} | "
                f"{y_plan - y_sq:+,.1f} | {g:+.2f} | {'yes' if y_plan > y_sq else 'NO'} |",
                flush=True,
            )
            yield label, y_sq, y_plan
            if a.geo_diagnose:
                moved = res.allocation() - res.allocation(reference=True)
                print("  spend moved per geo and channel (plan - status quo):")
                print(moved.round(0).to_string())

    _plans_in_worlds("panel plan", a.geo_worlds, a.geo_seeds, T, risks, one_world)


# --------------------------------------------------------------------------- algorithm
def part_algorithm(a) -> None:
    """SLSQP against AUGLAG + L-BFGS on small plans (the threshold of ``algorithm="auto"``).

    The speed part's world (156 weeks x 8 channels, a MAP fit, 200 draws around its mode);
    horizons of ``--algo-horizons`` weeks (8 x H decision variables), risk ``--algo-risk``; per horizon, budgets
    0.7x, 1x and 1.3x the status quo's; one start (the status quo), per-draw optima off.
    Reported per algorithm: the median wall time over the budgets (best of ``--algo-repeats``
    runs each), evaluations, how many converged with a KKT residual <= 1e-6, the largest
    KKT residual, and the objective's largest relative shortfall against the better of the
    two.
    """
    import types

    data, truth = simulate_trust_data(156, seed=0, extra_trust=2, extra_conversion=2)
    roles = truth["roles"]
    model = tm.TrustMMM(
        data,
        date="week",
        outcome="conversions",
        channels=roles,
        tracker="trust_survey",
        shocks=["crisis"],
        value_per_outcome=3.0,
    )
    fit = model.fit(seed=0, restarts=1)
    rng = np.random.default_rng(0)
    post = tm.mmm.TrustFit(
        model, fit.z, fit.info, types.SimpleNamespace(draws=fit.z + rng.normal(0, 0.03, (1, 200, fit.z.size)))
    )
    risk, _, lv = a.algo_risk.partition(":")
    level = float(lv) if lv else 0.1
    print(
        "\n== algorithm: SLSQP vs AUGLAG + L-BFGS, 200 draws, 1 start, budgets 0.7x / 1x / 1.3x the status quo, "
        f"risk {a.algo_risk}"
    )
    print(
        "\n| horizon (variables) | algorithm | median time s | evaluations (median) | certified (KKT <= 1e-6) "
        "| largest KKT | largest objective shortfall vs the better |"
    )
    print("|---|---|---|---|---|---|---|")
    for H in a.algo_horizons:
        base = float(tm.plan.status_quo(post, H).to_numpy().sum())
        out: dict[str, list[tuple[float, int, bool, float, float]]] = {"slsqp": [], "auglag": []}
        for f in (0.7, 1.0, 1.3):
            for alg in out:
                best_t = np.inf
                for _ in range(a.algo_repeats):
                    t0 = time.perf_counter()
                    res = tm.plan.optimize(
                        post,
                        budget=f * base,
                        horizon=H,
                        algorithm=alg,
                        starts=1,
                        draw_optima=0,
                        max_draws=None,
                        risk=risk,
                        level=level,
                    )
                    best_t = min(best_t, time.perf_counter() - t0)
                kkt = float(res.info["kkt_residual"])
                out[alg].append(
                    (best_t, int(res.info["evaluations"]), bool(kkt <= 1e-6), kkt, float(res.info["objective"]))
                )
        for alg, rows in out.items():
            other = out["auglag" if alg == "slsqp" else "slsqp"]
            short = max(
                max(0.0, (max(o[4], r[4]) - r[4]) / abs(max(o[4], r[4]))) for r, o in zip(rows, other, strict=True)
            )
            print(
                f"| {H} ({8 * H}) | {alg} | {np.median([r[0] for r in rows]):.3f} | "
                f"{int(np.median([r[1] for r in rows]))} | {sum(r[2] for r in rows)} of {len(rows)} | "
                f"{max(r[3] for r in rows):.1e} | {short:.1e} |",
                flush=True,
            )


def part_rf(a) -> None:
    """156 weeks: press (trust), search (conversion) and TV as reach and frequency (an nbd
    curve's image of its spend: 4e5 reachable people, shape 1.2, 100 impressions per unit
    of spend); a MAP fit per RF form, ``--draws`` draws around its mode; a 52-week plan."""
    import types

    T = 156
    rng = np.random.default_rng(0)
    week = pd.date_range("2022-01-03", periods=T, freq="7D")
    spend = np.where(np.arange(T) % 5 == 0, 0.0, rng.uniform(1e3, 8e3, T))
    imp = 100.0 * spend
    reach = 4e5 * -np.expm1(-1.2 * np.log1p(imp / (4e5 * 1.2)))
    freq = np.where(reach > 0, imp / np.where(reach > 0, reach, 1.0), 0.0)
    search, press = rng.uniform(0, 2, T), rng.uniform(0, 2, T)
    y = 100 + 5 * search + 3e-5 * reach * freq / (freq + 2) + rng.normal(0, 1, T)
    df = pd.DataFrame(
        {
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
    )
    for form in ("hill", "exposure"):
        model = tm.TrustMMM(
            df,
            date="week",
            outcome="y",
            channels={"press": "trust", "search": "conversion"},
            rf_channels={"tv": ("tv_reach", "tv_frequency")},
            spend={"tv": "tv_spend", "search": "search_spend", "press": "press_spend"},
            max_lag=6,
            value_per_outcome=1.0,
            rf_form=form,
            rf_shape=1.2,
        )
        fit = model.fit(seed=0, restarts=1)
        post = tm.mmm.TrustFit(
            model, fit.z, fit.info, types.SimpleNamespace(draws=fit.z + rng.normal(0, 0.03, (1, a.draws, fit.z.size)))
        )
        sq = tm.plan.status_quo(post, 52).to_numpy()
        pm = tm.plan._api._planner(post, 52, "auto", 0.99, 1.0, None, 1)
        pm.criterion(sq)
        times = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            pm.criterion(sq, goal="net_value")
            times.append(time.perf_counter() - t0)
        print(
            f"RF ({form}): objective + gradient, {pm.draws} draws x 52 weeks x 3 channels (TV by reach and "
            f"frequency), 1 thread: median {1e3 * np.median(times):.2f} ms (min {1e3 * min(times):.2f} ms)"
        )
        cons = {"max_frequency": {"tv": 4.0}, "reach_targets": {"tv": (3, 0.3, [0, 1, 2, 3])}}
        for label, k in (("no RF constraint", None), ("max frequency 4, 30% reached 3+ in weeks 0-3", cons)):
            t0, c0 = time.perf_counter(), time.process_time()
            res = tm.plan.optimize(post, horizon=52, max_draws=200, constraints=k, draw_optima=0)
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            print(
                f"RF ({form}): full plan, 200 draws, 52 x 3 cells, {label}: {dt:.2f} s wall ({dc:.2f} s CPU); "
                f"{res.info['evaluations']} evaluations; {res.info['message']}"
            )
        total = sq.sum()
        ok, times = 0, []
        n_b = max(1, a.budgets // 5)
        for b in np.random.default_rng(1).uniform(0.5, 1.5, n_b) * total:
            t0 = time.perf_counter()
            res = tm.plan.optimize(
                post, budget=float(b), horizon=52, max_draws=200, objective="outcome", constraints=cons, draw_optima=0
            )
            times.append(time.perf_counter() - t0)
            ok += bool(res.info["converged"] and res.info["max_violation"] <= 1e-7)
        print(
            f"RF ({form}): {n_b} random budgets (0.5x..1.5x the status quo) with the RF constraints: {ok} of {n_b} "
            f"converged without violation; median {np.median(times):.2f} s per plan"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--parts",
        nargs="+",
        default=["speed", "peer", "simulator"],
        choices=["speed", "peer", "simulator", "rf", "geo-simulator", "algorithm"],
    )
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--budgets", type=int, default=50, help="random budgets for the success rate")
    ap.add_argument("--peer-budgets", type=int, default=50, help="random budgets of the PyMC-Marketing comparison")
    ap.add_argument("--peer-horizon", type=int, default=52, help="weeks of the plan in the PyMC-Marketing comparison")
    ap.add_argument("--peer-chains", type=int, default=2)
    ap.add_argument("--peer-draws", type=int, default=250, help="NUTS tune and draws per chain, both libraries")
    ap.add_argument(
        "--sim-worlds",
        nargs="+",
        default=[
            "pr_first_then_smm",
            "smm_only",
            "crisis_with_pr_response",
            "crisis_without_pr_response",
            "healthcare_clinic",
        ],
    )
    ap.add_argument("--sim-seeds", type=int, default=2, help="seeds per simulated world")
    ap.add_argument(
        "--sim-tracker-n",
        action="store_true",
        help="fit the worlds with the survey's panel sizes (tracker_n): the bounded share is then the default form",
    )
    ap.add_argument("--sim-history", type=int, default=104, help="weeks of simulated history")
    ap.add_argument("--sim-horizon", type=int, default=26, help="weeks of the plan in the simulated worlds")
    ap.add_argument("--sim-tail", type=int, default=104, help="weeks after the plan counted in the world's truth")
    ap.add_argument("--sim-chains", type=int, default=2)
    ap.add_argument("--sim-draws", type=int, default=300, help="NUTS tune and draws per chain of the world fits")
    ap.add_argument(
        "--sim-risk",
        nargs="+",
        default=["mean"],
        help="risk measures of the world plans, each planned on the same fit (mean, quantile, cvar, prob_beat; "
        "a level as cvar:0.25)",
    )
    ap.add_argument("--sim-risk-level", type=float, default=0.1, help="its level (quantile, cvar)")
    ap.add_argument(
        "--sim-diagnose", action="store_true", help="per world: gains split, P(beat), model vs world marginal returns"
    )
    ap.add_argument("--geo-worlds", nargs="+", default=["pr_first_then_smm", "smm_only", "crisis_without_pr_response"])
    ap.add_argument("--geo-seeds", type=int, default=2, help="seeds per regional world")
    ap.add_argument("--geo-regions", type=int, default=8, help="regions (geos) per world")
    ap.add_argument("--geo-media-sd", type=float, default=0.5, help="sd of log regional spend around the plan")
    ap.add_argument("--geo-history", type=int, default=104, help="weeks of simulated regional history")
    ap.add_argument("--geo-horizon", type=int, default=26, help="weeks of the panel plan")
    ap.add_argument("--geo-tail", type=int, default=104, help="weeks after the plan counted in the world's truth")
    ap.add_argument("--geo-chains", type=int, default=2)
    ap.add_argument("--geo-draws", type=int, default=200, help="NUTS tune and draws per chain of the panel fits")
    ap.add_argument("--geo-max-draws", type=int, default=200, help="posterior draws the panel planner uses")
    ap.add_argument(
        "--geo-risk",
        nargs="+",
        default=["mean"],
        help="risk measures of the panel plans, each on the same fit (as --sim-risk)",
    )
    ap.add_argument("--geo-risk-level", type=float, default=0.1, help="its level (quantile, cvar)")
    ap.add_argument("--geo-diagnose", action="store_true", help="per world: the spend moved per geo and channel")
    ap.add_argument("--algo-horizons", type=int, nargs="+", default=[2, 4, 6, 8, 13, 18], help="weeks (x 8 channels)")
    ap.add_argument("--algo-repeats", type=int, default=3, help="runs per plan, the fastest kept")
    ap.add_argument("--algo-risk", default="mean", help="risk measure of the plans (mean, cvar:0.1, prob_beat, ...)")
    a = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    for part in a.parts:
        globals()[f"part_{part.replace('-', '_')}"](a)


if __name__ == "__main__":
    main()
