"""trustmix.attribution on Spark (local mode): partitions counted by the C++ core on the
executors, exact states merged on the driver. Slow (a JVM starts): marked ``slow``."""

from __future__ import annotations

import shutil

import pytest

import trustmix.attribution as ta
from _attribution_data import random_paths


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_spark_local_mode():
    pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install pyspark)")
    if shutil.which("java") is None:
        pytest.skip("Java is not on PATH: Spark local mode needs a JVM")
    from pyspark.sql import SparkSession

    df = random_paths(1500, 5, 10)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("trustmix-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    try:
        sdf = spark.createDataFrame(df).repartition(3)
        st = ta.statistics_from_spark(sdf, value="value", nulls="nulls", orders=[1])
    finally:
        spark.stop()
    whole = ta.Statistics.from_journeys(ta.Journeys.from_paths(df, value="value", nulls="nulls"))
    assert st == whole
    assert ta.markov(st).credits.equals(ta.markov(whole).credits)
    assert pyspark is not None
