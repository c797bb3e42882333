"""The SparkSession: the settings Storyline needs, and its own code on the workers of ``local[N]`` masters."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _package_root() -> str:
    """The folder that holds the ``storyline`` package (``src/``, or site-packages when installed)."""
    return str(Path(__file__).resolve().parents[2])


def make_session(master: str | None = "local[2]", app_name: str = "storyline", conf: dict[str, str] | None = None):
    """A SparkSession with the settings Storyline needs.

    On ``local[...]`` masters the executors' Python is this interpreter and this package's
    folder is put on their path, so workers import exactly the driver's code. On a cluster,
    ship the package as a wheel (see docs/spark.md).
    """
    from pyspark.sql import SparkSession

    is_local = master is not None and master.startswith("local")
    if is_local:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        root = _package_root()
        paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        if root not in paths:
            os.environ["PYTHONPATH"] = os.pathsep.join([root] + paths)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    defaults = {
        "spark.sql.session.timeZone": "UTC",
        "spark.executorEnv.HF_HUB_OFFLINE": "1",
        "spark.executorEnv.TRANSFORMERS_OFFLINE": "1",
        "spark.executorEnv.TOKENIZERS_PARALLELISM": "false",
    }
    if is_local:
        defaults.update(
            {
                "spark.ui.enabled": "false",
                "spark.sql.shuffle.partitions": "8",
                "spark.driver.memory": "2g",
                # the JVM only moves data here (the work is in the Python workers): its C2 JIT compiler alone
                # burnt ~30 CPU-seconds of a 10,000-article run, more than the JVM's own task threads; the
                # C1 compiler only costs ~3 s and the tasks ran ~10 % slower
                "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
            }
        )
    for k, v in {**defaults, **(conf or {})}.items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    sc = spark.sparkContext
    if (sc.master or "").startswith("local") and not sc.getConf().contains("spark.sql.shuffle.partitions"):
        # spark-submit --master local[N] without settings: 200 shuffle partitions would dominate a small run
        spark.conf.set("spark.sql.shuffle.partitions", str(max(2, 2 * sc.defaultParallelism)))
    return spark
