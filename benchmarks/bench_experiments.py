"""Benchmarks of trustmix.experiments, side by side with the peers users run today.

    python benchmarks/bench_experiments.py [--only speed,bandit_speed,peeking,coverage,bandits,personas] [--quick]

- speed: 10,000 experiments x 4 arms (binomial). trustmix's exact Bayesian comparison
  (quadrature) next to bayesian-testing (Monte Carlo, same Beta(1/2, 1/2) priors), the
  GrowthBook-defined Gaussian effect model next to gbstats, the z-test next to
  spotify-confidence; numbers compared where the methods coincide.
- bandit_speed: one Thompson-sampling run of 1e6 rounds on 4 Bernoulli arms next to
  mabwiser.
- peeking: false-positive rate under continuous peeking (daily for 28 days; 1,000 looks)
  of the naive repeated z-test, the always-valid test and the group-sequential test.
- coverage: 95% interval coverage on heavy-tailed (zero-inflated lognormal) revenue:
  Welch, capping, Bayesian, trimmed means (Yuen-Welch).
- bandits: regret against the Lai-Robbins bound, best-arm error against uniform A/B/n,
  spend against budget.
- personas: the same live in the simulated world (tm.simulate.run_message_test): four
  personas whose best framing differs, regret, share on the best, best-arm error.

gbstats and spotify-confidence pin pandas < 2 / < 3 and numpy < 2, which conflicts with
trustmix (pandas >= 2), so they run in a separate interpreter named by
TRUSTMIX_PEERS_PYTHON (a venv with `pip install gbstats spotify-confidence`) on the same
inputs, passed through a temporary .npz file; bayesian-testing and mabwiser (the `bench`
extra) are imported here. A missing peer is reported and skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
import trustmix as tm  # noqa: E402
from trustmix._core import experiments as core  # noqa: E402

PEER_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
data = np.load(sys.argv[1])
out = {}
users, conv = data["users"], data["conv"]
n_gb = int(data["n_gb"][0])
try:
    from gbstats.models.statistics import ProportionStatistic
    from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig
    cfg = EffectBayesianConfig()
    t = time.perf_counter()
    ctw, mean, sd = [], [], []
    for e in range(n_gb):
        a = ProportionStatistic(n=int(users[e, 0]), sum=float(conv[e, 0]))
        for j in range(1, users.shape[1]):
            b = ProportionStatistic(n=int(users[e, j]), sum=float(conv[e, j]))
            r = EffectBayesianABTest(a, b, cfg).compute_result()
            ctw.append(r.chance_to_win); mean.append(r.uplift.mean); sd.append(r.uplift.stddev)
    out["gbstats_seconds"] = time.perf_counter() - t
    out["gbstats_ctw"], out["gbstats_mean"], out["gbstats_sd"] = ctw, mean, sd
except ImportError as e:
    out["gbstats_error"] = str(e)
try:
    import spotify_confidence as sc
    n_sp = int(data["n_sp"][0])
    k = users.shape[1]
    df = pd.DataFrame({"experiment": np.repeat(np.arange(n_sp), k), "arm": np.tile([f"v{j}" for j in range(k)], n_sp),
                       "conv": conv[:n_sp].ravel(), "n": users[:n_sp].ravel()})
    t = time.perf_counter()
    z = sc.ZTest(df, numerator_column="conv", numerator_sum_squares_column="conv", denominator_column="n",
                 categorical_group_columns=["experiment", "arm"])
    r = z.multiple_difference(level="v0", groupby="experiment", level_as_reference=True)
    out["spotify_seconds"] = time.perf_counter() - t
    r = r.reset_index().sort_values(["experiment", "level_2"])
    out["spotify_p"] = r["p-value"].astype(float).tolist()
except ImportError as e:
    out["spotify_error"] = str(e)
json.dump(out, open(sys.argv[2], "w"))
"""


def experiments_data(n_exp: int, k: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    users = rng.integers(800, 1200, size=(n_exp, k)).astype(float)
    rates = 0.05 * (1 + rng.normal(0, 0.1, size=(n_exp, k)))
    conv = rng.binomial(users.astype(int), np.clip(rates, 0.001, 0.999)).astype(float)
    return users, conv


def bench_speed(quick: bool):
    n_exp, k = (2000 if quick else 10000), 4
    users, conv = experiments_data(n_exp, k)
    print(f"\n== speed: {n_exp} experiments x {k} arms (binomial, ~1000 users per arm) ==")
    t = time.perf_counter()
    ours = core.compare_batch(users, conv, metric="binomial", prior_a=0.5, prior_b=0.5)
    t_exact = time.perf_counter() - t
    print(
        f"trustmix exact Bayesian (quadrature, P(best) + P(beat control) + losses, 2 threads): {t_exact:.3f} s "
        f"({t_exact / n_exp * 1e6:.0f} us per experiment)"
    )
    # GrowthBook-defined effect model and the z-test: one C++ call per comparison.
    var = conv / users * (1 - conv / users) / users
    m = conv / users
    t = time.perf_counter()
    eff = [core.effect_posterior(m[e, 0], var[e, 0], m[e, j], var[e, j]) for e in range(n_exp) for j in range(1, k)]
    t_eff = time.perf_counter() - t
    t = time.perf_counter()
    ztests = [
        core.fixed_test(m[e, 0], var[e, 0], users[e, 0], m[e, j], var[e, j], users[e, j])
        for e in range(n_exp)
        for j in range(1, k)
    ]
    t_z = time.perf_counter() - t
    print(f"trustmix GrowthBook-defined effect model: {t_eff:.3f} s; z-tests: {t_z:.3f} s")
    rows = []
    # bayesian-testing (Monte Carlo) on a subset, same priors.
    try:
        from bayesian_testing.experiments import BinaryDataTest
    except ImportError:
        print("bayesian-testing not installed (pip install 'trustmix[bench]'): skipped")
    else:
        n_bt = 200 if quick else 1000
        t = time.perf_counter()
        pb = np.zeros((n_bt, k))
        for e in range(n_bt):
            test = BinaryDataTest()
            for j in range(k):
                test.add_variant_data_agg(f"v{j}", int(users[e, j]), int(conv[e, j]))
            res = test.evaluate(seed=e)
            pb[e] = [r["prob_being_best"] for r in res]
        t_bt = (time.perf_counter() - t) * n_exp / n_bt
        exact = ours.prob_best[:n_bt]
        diff = np.abs(pb - exact).max()
        # Monte Carlo se of each of its P(best) with 20,000 draws: sqrt(p (1 - p) / 20000).
        se = np.sqrt(np.maximum(exact * (1 - exact), 1e-12) / 20000)
        zs = ((pb - exact) / se)[exact > 0.01]
        print(
            f"bayesian-testing (20,000 draws, {n_bt} experiments timed, scaled): {t_bt:.1f} s for {n_exp}; "
            f"max |P(best) diff| vs exact = {diff:.4f}; (diff / Monte Carlo se): mean {zs.mean():+.3f}, "
            f"rms {np.sqrt(np.mean(zs**2)):.3f} (1 if the exact values are the Monte Carlo's limit)"
        )
        rows.append(("bayesian-testing P(best)", t_bt, t_exact, diff))
    peers = os.environ.get("TRUSTMIX_PEERS_PYTHON")
    if not peers:
        print("TRUSTMIX_PEERS_PYTHON not set: gbstats and spotify-confidence skipped")
    else:
        n_gb = 300 if quick else 1000
        with tempfile.TemporaryDirectory() as d:
            inp, outp = Path(d) / "in.npz", Path(d) / "out.json"
            n_sp = 100 if quick else 500
            np.savez(inp, users=users, conv=conv, n_gb=[n_gb], n_sp=[n_sp])
            subprocess.run([peers, "-c", PEER_SCRIPT, str(inp), str(outp)], check=True)
            out = json.loads(outp.read_text())
        if "gbstats_seconds" in out:
            t_gb = out["gbstats_seconds"] * n_exp / n_gb
            ours_ctw = np.array([e.chance_to_win for e in eff[: n_gb * (k - 1)]])
            ours_sd = np.array([e.sd for e in eff[: n_gb * (k - 1)]])
            d_ctw = np.abs(ours_ctw - np.array(out["gbstats_ctw"])).max()
            d_sd = np.abs(ours_sd - np.array(out["gbstats_sd"])).max()
            print(
                f"gbstats EffectBayesianABTest ({n_gb} experiments timed, scaled): {t_gb:.1f} s for {n_exp}; "
                f"max |chance to win diff| = {d_ctw:.2e}, max |sd diff| = {d_sd:.2e}"
            )
            rows.append(("gbstats effect model", t_gb, t_eff, d_ctw))
        else:
            print("gbstats:", out.get("gbstats_error"))
        if "spotify_seconds" in out:
            ours_p = np.array([z.p_value for z in ztests[: n_sp * (k - 1)]])
            d_p = np.abs(ours_p - np.array(out["spotify_p"])).max()
            t_sp = out["spotify_seconds"] * n_exp / n_sp
            print(
                f"spotify-confidence ZTest.multiple_difference (one grouped call on {n_sp} experiments, scaled): "
                f"{t_sp:.1f} s for {n_exp}; max |p-value diff| = {d_p:.2e}"
            )
            rows.append(("spotify-confidence z-test", t_sp, t_z, d_p))
        else:
            print("spotify-confidence:", out.get("spotify_error"))
    for name, peer_t, our_t, diff in rows:
        print(f"  ratio {name}: {peer_t / our_t:.0f}x faster (max diff {diff:.2g})")
    return rows


def bench_bandit_speed(quick: bool):
    rounds = 200_000 if quick else 1_000_000
    means = np.array([0.04, 0.05, 0.06, 0.07])
    print(f"\n== bandit speed: Thompson sampling, {rounds} rounds, 4 Bernoulli arms ==")
    t = time.perf_counter()
    run = core.simulate_bandit(means, personas=1, arms=4, users_per_batch=1, batches=rounds, seed=1)
    t_ours = time.perf_counter() - t
    print(
        f"trustmix: {t_ours:.2f} s, regret {run.cumulative_regret[-1]:.1f}, "
        f"Lai-Robbins {core.lai_robbins_bound(means, rounds):.1f}"
    )
    try:
        from mabwiser.mab import MAB, LearningPolicy
    except ImportError:
        print("mabwiser not installed (pip install 'trustmix[bench]'): skipped")
        return None
    n_mw = 5000 if quick else 20000
    rng = np.random.default_rng(2)
    mab = MAB(arms=[0, 1, 2, 3], learning_policy=LearningPolicy.ThompsonSampling(), seed=1)
    mab.fit(decisions=[0, 1, 2, 3], rewards=[0, 0, 0, 0])
    t = time.perf_counter()
    for _ in range(n_mw):
        a = mab.predict()
        mab.partial_fit(decisions=[a], rewards=[int(rng.random() < means[a])])
    t_mw = (time.perf_counter() - t) * rounds / n_mw
    print(
        f"mabwiser ThompsonSampling predict + partial_fit per round ({n_mw} rounds timed, scaled): {t_mw:.0f} s; "
        f"ratio {t_mw / t_ours:.0f}x"
    )
    return t_mw, t_ours


def bench_peeking(quick: bool):
    reps = 1000 if quick else 4000
    print(f"\n== false positives under continuous peeking (A/A, p = 0.05, {reps} experiments) ==")
    rng = np.random.default_rng(3)
    for looks, per_look in ((28, 500), (1000, 20)):
        ca = rng.binomial(per_look, 0.05, size=(reps, looks)).cumsum(axis=1)
        cb = rng.binomial(per_look, 0.05, size=(reps, looks)).cumsum(axis=1)
        n = per_look * np.arange(1, looks + 1)
        pa, pb = ca / n, cb / n
        v = (pa * (1 - pa) + pb * (1 - pb)) / n
        ok = v > 0
        est = pb - pa
        z = np.where(ok, est / np.sqrt(np.where(ok, v, 1)), 0.0)
        naive = (np.abs(z) > 1.959964).any(axis=1).mean()
        t = time.perf_counter()
        bounds = core.gs_boundaries(np.arange(1, looks + 1) / looks, 0.05, "obrien_fleming")
        t_gs = time.perf_counter() - t
        gs = (np.abs(z) >= bounds).any(axis=1).mean()
        av = 0
        for r in range(reps):
            first = np.argmax(ok[r])
            path = core.always_valid_path(est[r, first:], v[r, first:], 0.005, 0.05)
            av += bool(path.reject[-1])
        av /= reps
        se = np.sqrt(0.05 * 0.95 / reps)
        print(
            f"{looks} looks: naive {naive:.4f}, always-valid {av:.4f}, group-sequential (OBF) {gs:.4f}; "
            f"alpha 0.05 + 2 se = {0.05 + 2 * se:.4f}; boundaries computed in {t_gs:.1f} s"
        )


def bench_coverage(quick: bool):
    reps = 200 if quick else 600
    n = 10000
    print(f"\n== coverage of 95% intervals, zero-inflated lognormal revenue (5% buy, sigma 1.5), {reps} A/A tests ==")
    rng = np.random.default_rng(4)
    cover = {"welch": 0, "capped_99": 0, "bayesian": 0, "trimmed_1pct_yuen": 0}
    for _ in range(reps):
        rev = np.where(rng.random(2 * n) < 0.05, rng.lognormal(3, 1.5, 2 * n), 0.0)
        df = pd.DataFrame({"arm": np.repeat(["a", "b"], n), "revenue": rev})
        for key, kw in (
            ("welch", {"method": "fixed"}),
            ("capped_99", {"method": "fixed", "cap": 0.99}),
            ("bayesian", {"method": "bayesian"}),
            ("trimmed_1pct_yuen", {"method": "fixed", "trim": 0.01}),
        ):
            t = tm.experiments.ab_test(df, arm="arm", metric="revenue", **kw).table.iloc[1]
            cover[key] += t["lift_lower"] <= 0.0 <= t["lift_upper"]
    se = np.sqrt(0.95 * 0.05 / reps)
    for key, c in cover.items():
        print(f"{key}: coverage {c / reps:.4f} (se {se:.4f})")
    # Heavier tail: lognormal sigma 2.5 (a handful of buyers carry most of the revenue).
    cover2 = {"welch": 0, "trimmed_1pct_yuen": 0}
    for _ in range(reps):
        rev = np.where(rng.random(2 * n) < 0.05, rng.lognormal(3, 2.5, 2 * n), 0.0)
        df = pd.DataFrame({"arm": np.repeat(["a", "b"], n), "revenue": rev})
        for key, kw in (("welch", {"method": "fixed"}), ("trimmed_1pct_yuen", {"method": "fixed", "trim": 0.01})):
            t = tm.experiments.ab_test(df, arm="arm", metric="revenue", **kw).table.iloc[1]
            cover2[key] += t["lift_lower"] <= 0.0 <= t["lift_upper"]
    for key, c in cover2.items():
        print(f"sigma 2.5, {key}: coverage {c / reps:.4f} (se {se:.4f})")


def bench_bandits(quick: bool):
    seeds = 8 if quick else 20
    means = np.array([0.04, 0.05, 0.06, 0.07])
    T = 100_000
    print(f"\n== bandit regret, 4 Bernoulli arms {means.tolist()}, T = {T}, {seeds} seeds ==")
    bound = core.lai_robbins_bound(means, T)
    for policy in ("thompson", "top_two_thompson", "ucb"):
        reg = [
            core.simulate_bandit(
                means, personas=1, arms=4, users_per_batch=1, batches=T, policy=policy, seed=7, stream=s
            ).cumulative_regret[-1]
            for s in range(seeds)
        ]
        print(
            f"{policy}: regret {np.mean(reg):.1f} (se {np.std(reg, ddof=1) / np.sqrt(seeds):.1f}); "
            f"Lai-Robbins bound {bound:.1f}; uniform {T * (means.max() - means.mean()):.0f}"
        )
    close = np.array([0.050, 0.053, 0.056, 0.060])
    print(f"best-arm error after 28 daily batches of 2,000 users, arms {close.tolist()} (pick argmax P(best)):")
    runs = 50 if quick else 200
    for name, policy, floor in (
        ("uniform A/B/n", "thompson", 0.25),
        ("thompson", "thompson", 0.0),
        ("top-two thompson", "top_two_thompson", 0.0),
    ):
        wrong = 0
        for s in range(runs):
            sim = core.simulate_bandit(
                close,
                personas=1,
                arms=4,
                users_per_batch=2000,
                batches=28,
                policy=policy,
                floor=floor,
                seed=11,
                stream=s,
            )
            wrong += int(np.argmax(sim.final_prob_best) != 3)
        print(f"  {name}: error {wrong / runs:.3f} ({runs} runs)")
    sim = core.simulate_bandit(
        means,
        personas=1,
        arms=4,
        users_per_batch=2000,
        batches=28,
        costs=np.array([0.4, 0.5, 0.6, 0.8]),
        budget=20000.0,
        seed=3,
    )
    print(f"pacing: spend {sim.total_spend:.1f} of budget 20000 ({sim.total_spend / 20000 - 1:+.2%})")


PERSONA_FRAMINGS = {
    "plain": {},
    "fun": {"Curious Chris": 0.45, "Skeptical Sam": -0.1},
    "easy": {"Busy Beth": 0.4, "Loyal Lena": 0.1},
    "popular": {"Skeptical Sam": 0.35, "Loyal Lena": 0.45},
}


def bench_personas(quick: bool):
    """Bandits live in the simulated world: the four example personas of the 'smm_only'
    scenario, four framings whose appeal differs by persona, 8 weekly periods of the
    Instagram campaign (5% of its reached people enrolled)."""
    streams = 4 if quick else 20
    world = tm.simulate.World.from_scenario("smm_only", seed=3)
    print(f"\n== bandits on the simulator's personas: 4 personas x 4 framings, 8 weeks, {streams} streams ==")
    rows = []
    for design, kw in (("ab", {}), ("thompson", {"floor": 0.02}), ("top_two_thompson", {"floor": 0.02}), ("ucb", {})):
        regret, share, wrong, users, bound = [], [], 0, [], []
        t = time.perf_counter()
        for s in range(streams):
            run = tm.simulate.run_message_test(
                world,
                PERSONA_FRAMINGS,
                campaign="ig_always_on",
                periods=25,
                start=17,
                design=design,
                enrolment=0.05,
                stream=s,
                **kw,
            )
            regret.append(run.regret.iloc[-1])
            summ = run.summary()
            share.append(summ["share_on_best"].mean())
            users.append(summ["users"].sum())
            tot = run.totals()
            lr = 0.0
            for p in run.truth.index:
                sub = tot.loc[p].reset_index()
                # Exact P(best) with Beta(1, 1) priors (the Thompson shares without a floor).
                pb = core.allocation(sub["users"].to_numpy(float), sub["conversions"].to_numpy(float))
                wrong += int(sub["variant"].iloc[int(np.argmax(pb))] != run.best[p])
                lr += float(core.lai_robbins_bound(run.truth.loc[p].to_numpy(), float(summ.loc[p, "users"])))
            bound.append(lr)
        secs = (time.perf_counter() - t) / streams
        rows.append(
            (
                design,
                np.mean(regret),
                np.std(regret, ddof=1) / np.sqrt(streams),
                np.mean(share),
                wrong / (4 * streams),
                np.mean(bound),
                np.mean(users),
                secs,
            )
        )
    for d, r, se, sh, err, lr, n, secs in rows:
        print(
            f"{d}: regret {r:.1f} (se {se:.1f}) conversions lost; share of users on each persona's best "
            f"{sh:.3f}; best-arm error {err:.3f}; sum of the personas' Lai-Robbins bounds {lr:.1f}; "
            f"{n:,.0f} users; {secs:.2f} s per run"
        )
    # Pacing: costs per enrolled user by framing, a budget of half the unpaced cost.
    costs = [0.02, 0.02, 0.03, 0.05]
    dev = []
    for s in range(streams):
        kw = dict(
            campaign="ig_always_on",
            periods=25,
            start=17,
            design="thompson",
            floor=0.02,
            enrolment=0.05,
            stream=s,
            costs=costs,
        )
        free = tm.simulate.run_message_test(world, PERSONA_FRAMINGS, **kw)
        budget = 0.5 * free.total_spend
        paced = tm.simulate.run_message_test(world, PERSONA_FRAMINGS, budget=budget, **kw)
        dev.append(paced.total_spend / budget - 1)
    dev = np.array(dev)
    print(
        f"pacing (Thompson, costs {costs} per user, budget = half the unpaced cost): spend / budget - 1 "
        f"mean {dev.mean():+.3%}, worst {dev[np.argmax(np.abs(dev))]:+.3%} over {streams} streams"
    )
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="speed,bandit_speed,peeking,coverage,bandits,personas")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    parts = args.only.split(",")
    for name in parts:
        globals()[f"bench_{name}"](args.quick)


if __name__ == "__main__":
    main()
