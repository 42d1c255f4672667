"""The command line: demo (tables and a PNG), kpi, version."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import trustmix
from trustmix import demo, transforms


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "trustmix", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_demo_prints_tables_and_writes_chart(tmp_path):
    r = run("demo", "--output", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "Carry-over and saturation per channel" in r.stdout
    assert "KPI table by AMEC stage" in r.stdout
    png = tmp_path / "out" / "demo_transforms.png"
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(png) in r.stdout


def test_demo_says_how_well_the_model_recovers_truth_it_did_not_generate(tmp_path):
    """Issue 12: the demo says it in plain words, with the harness's numbers, and those
    numbers are the ones docs/validation.md records."""
    import re
    from pathlib import Path

    r = run("demo", "--no-plot")
    assert r.returncode == 0, r.stderr
    assert "How far to trust these numbers" in r.stdout and "people-level simulator" in r.stdout
    doc = (Path(__file__).resolve().parents[2] / "docs" / "validation.md").read_text()
    doc = doc[doc.index("## The default form follows the tracker") :]  # the default model's runs

    def cell(row: str, column: int) -> list[float]:
        """The numbers of a table cell: the row starting with ``row``, value column ``column``
        (1 = the seventeenth session's linear index, 3 = the new default, both seed 2026)."""
        line = next(x for x in doc.splitlines() if x.startswith(f"| {row}"))
        return [float(v) for v in re.findall(r"[-+]?[0-9]*\.[0-9]+", line.split("|")[column + 1])]

    note = demo.VALIDATION_NOTE
    assert f"in {round(100 * cell('90% / 50% coverage', 3)[0])}% of cases" in note
    pr_error, pr_bias, _ = cell("PR totals:", 3)
    assert f"off by a median {round(100 * pr_error)}% (median bias {round(100 * pr_bias)}%)" in note
    half_cover, half_bias = cell("trust half-life:", 3)
    assert f"covered in {round(100 * half_cover)}% of worlds (median {round(-100 * half_bias)}% short)" in note
    assert f"within {round(100 * cell('SMM totals:', 3)[0])}%" in note
    # the linear index (the demo's own tracker is an index)
    assert f"covered {round(100 * cell('90% / 50% coverage', 1)[0])}% of cases" in note
    assert f"off by a median\n{round(100 * cell('PR totals:', 1)[0])}%" in note
    assert f"about {round(-100 * cell('trust half-life:', 1)[1])}% short" in note
    # the ROI columns of the demo's table, net of spend at the demo's value per conversion
    assert "ROI net of spend at 120 per conversion" in r.stdout and "roi_total" in r.stdout


def test_demo_numbers():
    res = demo.demo_results()
    plan = res["plan"]
    # The 52-week window covers every campaign, so spend adds up to the total budget.
    assert res["spend"].to_numpy().sum() == pytest.approx(plan.total_budget(), rel=1e-12)
    co = res["carryover"]
    assert co.loc["press", "half_life_weeks"] == 8.0
    assert transforms.half_life(co.loc["press", "alpha"]) == pytest.approx(8.0, rel=1e-12)
    # PR carries over far longer than SMM.
    assert co.loc["press", "duration_90_weeks"] > 5 * co.loc["instagram", "duration_90_weeks"]
    # Normalised infinite-window adstock preserves total activity up to the tail still to come.
    a = co.loc["instagram", "alpha"]
    carried = res["adstock"]["instagram"].sum()
    x = res["spend"]["instagram"].to_numpy()
    tail = sum(x[t] * a ** (len(x) - t) for t in range(len(x)))  # effect after the window
    assert carried == pytest.approx(x.sum() - tail, rel=1e-12)
    k = res["kpis"]
    assert k[("impact", "cpm")].tolist() == pytest.approx(demo.DEMO_ASSUMPTIONS["cpm"].tolist(), rel=1e-12)
    assert (res["response"].to_numpy() < 1).all() and (res["response"].to_numpy() >= 0).all()


def test_kpi_command(tmp_path):
    f = tmp_path / "k.csv"
    pd.DataFrame({"channel": ["a", "b"], "spend": [100, 50], "impressions": [20000, 0]}).to_csv(f, index=False)
    r = run("kpi", str(f), "--index", "channel")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].split() == ["cpm"] and lines[2].split() == ["a", "5.000"] and lines[3].split() == ["b", "NaN"]
    empty = tmp_path / "e.csv"
    pd.DataFrame({"x": [1]}).to_csv(empty, index=False)
    r = run("kpi", str(empty))
    assert r.returncode == 1 and "no KPI can be computed" in r.stderr


def test_version_command():
    r = run("version")
    assert r.stdout.strip() == trustmix.__version__


def test_demo_without_plot_runs_fast():
    r = run("demo", "--no-plot")
    assert r.returncode == 0 and "Chart written" not in r.stdout
    assert np.isfinite(demo.demo_results()["carryover"]["share_after_last_spend"]).all()
