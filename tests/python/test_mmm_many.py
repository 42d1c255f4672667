"""Many models at once (trustmix.mmm.fit_many): the same results as fitting one by one with
the derived seeds, on every engine, worker count and order; failures reported per model;
the collection's summary, plot and pickling. Dask runs on a LocalCluster (marked slow: it
starts worker processes); Spark is skipped when pyspark or Java is missing."""

from __future__ import annotations

import pickle
import shutil
from typing import Any

import numpy as np
import pandas as pd
import pytest

import trustmix as tm
from trustmix.mmm import ManyFits, TrustFit, TrustMMM, fit_many, model_seed

MODEL: dict[str, Any] = dict(
    date="week",
    outcome="conversions",
    channels={"press": "trust", "events": "trust", "instagram": "conversion", "tiktok": "conversion"},
    tracker="trust_survey",
    shocks=["crisis"],
    seasonality=1,
    max_lag=6,
    value_per_outcome=2.0,
)
MAP: dict[str, Any] = dict(method="map", restarts=2, seed=7)
NUTS: dict[str, Any] = dict(method="nuts", chains=2, draws=25, tune=40, seed=3, restarts=1)
# Chains this short do not converge (R-hat, ESS warnings): these tests check equality, not inference.
pytestmark = pytest.mark.filterwarnings("ignore::trustmix.inference.InferenceWarning")


def markets(n: int, periods: int = 60) -> dict[str, pd.DataFrame]:
    return {f"m{k:02d}": tm.mmm.simulate_trust_data(periods, seed=100 + k)[0] for k in range(n)}


def assert_same_fit(a: TrustFit, b: TrustFit) -> None:
    assert np.array_equal(a.z, b.z)
    assert (a.posterior is None) == (b.posterior is None)
    if a.posterior is not None:
        assert np.array_equal(a.posterior.draws, b.posterior.draws)


def test_model_seed_is_the_cpp_derivation() -> None:
    # The same pinned numbers as tests/cpp/test_mmm_many.cpp.
    assert model_seed(0, "") == 0xEF9EAD53F3D83E9F
    assert model_seed(7, "DE") == 0x675C826C296ACD63
    assert model_seed(2**64 - 1, "Zürich") == 0x64CB98A48C62F755
    assert model_seed(7, "DE") != model_seed(7, "FR")
    with pytest.raises(ValueError, match="seed"):
        model_seed(-1, "DE")


def test_serial_and_threads_equal_a_loop_bit_for_bit_whatever_the_order() -> None:
    data = markets(4)
    many = fit_many(data, model=MODEL, fit=NUTS)
    assert not many.failed, many.failed
    assert list(many.fits) == list(data)
    for name, frame in data.items():
        one = TrustMMM(frame, **MODEL).fit(**{**NUTS, "seed": model_seed(3, name), "progress": False})
        assert_same_fit(many.fits[name], one)
    reversed_data = dict(reversed(list(data.items())))
    threads = fit_many(reversed_data, model=MODEL, fit=NUTS, engine="threads", workers=2)
    for name in data:
        assert_same_fit(threads.fits[name], many.fits[name])
    # One long table with a key column: the same fits.
    long = pd.concat([f.assign(market=n) for n, f in data.items()], ignore_index=True)
    keyed = fit_many(long.sample(frac=1.0, random_state=1), model=MODEL, fit=NUTS, key="market")
    for name in data:
        assert_same_fit(keyed.fits[name], many.fits[name])
    # Another base seed gives other draws.
    other = fit_many({"m00": data["m00"]}, model=MODEL, fit={**NUTS, "seed": 4})
    assert not np.array_equal(other.fits["m00"].posterior.draws, many.fits["m00"].posterior.draws)


def test_a_bad_model_is_reported_and_overrides_are_per_model() -> None:
    data = markets(3)
    data["m01"] = data["m01"].drop(columns=["trust_survey"])
    many = fit_many(data, model=MODEL, fit=MAP)
    assert set(many.fits) == {"m00", "m02"}
    assert list(many.failed) == ["m01"] and "trust_survey" in many.failed["m01"]
    with pytest.raises(KeyError, match="m01"):
        many["m01"]
    fixed = fit_many(data, model=MODEL, fit=MAP, overrides={"m01": {"tracker": None}})
    assert not fixed.failed
    one = TrustMMM(data["m01"], **{**MODEL, "tracker": None}).fit(**{**MAP, "seed": model_seed(7, "m01")})
    assert_same_fit(fixed["m01"], one)
    assert_same_fit(fixed["m00"], many["m00"])


def test_summary_plot_html_and_pickling() -> None:
    data = markets(2)
    many = fit_many(data, model=MODEL, fit=NUTS, engine="threads", progress=True)
    s = many.summary()
    assert list(s.index.names) == ["model", "channel"]
    assert len(s) == 2 * 4
    for col in (
        "incremental_total",
        "incremental_total_low",
        "incremental_total_high",
        "roi_total",
        "divergences",
        "r_hat_max",
        "ess_bulk_min",
        "seconds",
        "method",
    ):
        assert col in s.columns
    # The summary's rows are each fit's own roi(): the same numbers.
    roi = many["m01"].roi()
    np.testing.assert_array_equal(s.loc["m01"]["incremental_total"].to_numpy(), roi["incremental_total"].to_numpy())
    assert (s["r_hat_max"] > 0.9).all() and (s["method"] == "nuts").all()
    post = many["m00"].posterior
    assert s.loc[("m00", "press"), "divergences"] == post.divergences
    assert s.loc[("m00", "press"), "ess_bulk_min"] == pytest.approx(post.diagnostics().loc["min_ess_bulk", "value"])
    assert s.loc[("m00", "press"), "r_hat_max"] == pytest.approx(post.diagnostics().loc["max_r_hat", "value"])
    assert (s["incremental_total_low"] <= s["incremental_total_high"]).all()
    ax = many.plot_roi()
    assert len(ax.get_yticklabels()) == 2
    html = many._repr_html_()
    assert "2 fitted, 0 failed" in html and "m00" in html
    back = pickle.loads(pickle.dumps(many))
    assert isinstance(back, ManyFits) and back.seeds == many.seeds
    for name in data:
        assert_same_fit(back[name], many[name])
    with pytest.raises(ValueError, match="state version"):
        ManyFits.__new__(ManyFits).__setstate__({"version": 99})


def test_bad_arguments_are_refused_clearly() -> None:
    data = markets(1)
    with pytest.raises(ValueError, match="engine"):
        fit_many(data, model=MODEL, engine="ray")
    with pytest.raises(ValueError, match="key="):
        fit_many(data["m00"], model=MODEL)
    with pytest.raises(ValueError, match="key column 'market'"):
        fit_many(data["m00"], model=MODEL, key="market")
    with pytest.raises(ValueError, match="not in the data"):
        fit_many(data, model=MODEL, overrides={"nope": {}})
    with pytest.raises(ValueError, match="DataFrame"):
        fit_many({"a": [1, 2]}, model=MODEL)
    with pytest.raises(ValueError, match="seed"):
        fit_many(data, model=MODEL, fit={"seed": -3})


@pytest.mark.slow
def test_dask_local_cluster_equals_serial() -> None:
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (trustmix[dask])")
    data = markets(4)
    serial = fit_many(data, model=MODEL, fit=NUTS)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        many = fit_many(data, model=MODEL, fit=NUTS, engine="dask", client=client, progress=True)
        data["m02"] = data["m02"].drop(columns=["crisis"])
        bad = fit_many(data, model=MODEL, fit=MAP, engine="dask", client=client)
    assert list(many.fits) == list(serial.fits)
    for name in data:
        assert_same_fit(many.fits[name], serial.fits[name])
    assert list(bad.failed) == ["m02"] and "crisis" in bad.failed["m02"] and len(bad.fits) == 3


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_spark_local_mode_equals_serial() -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install trustmix[spark])")
    if shutil.which("java") is None:
        pytest.skip("Java is not on PATH: Spark local mode needs a JVM")
    from pyspark.sql import SparkSession  # type: ignore[import-not-found, unused-ignore]

    data = markets(3)
    serial = fit_many(data, model=MODEL, fit=MAP)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("trustmix-many")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    try:
        long = pd.concat([f.assign(market=n) for n, f in data.items()], ignore_index=True)
        from_spark = fit_many(spark.createDataFrame(long), model=MODEL, fit=MAP, engine="spark", key="market")
        from_pandas = fit_many(data, model=MODEL, fit=MAP, engine="spark", client=spark)
    finally:
        spark.stop()
    for name in data:
        assert_same_fit(from_spark.fits[name], serial.fits[name])
        assert_same_fit(from_pandas.fits[name], serial.fits[name])
