"""The same indicator definitions on Spark give every number DuckDB gives, and every figure
of the definitions register equals its hand computation there too: in local mode, or on
the standalone cluster ``RENKOU_TEST_SPARK_MASTER`` names (spark://host:7077), the engine
chosen as an installation chooses it (``RENKOU_ANALYTICS_ENGINE``, ``RENKOU_SPARK_MASTER``).
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil

import pytest
from django.test import override_settings

from renkou.analytics import indicators, srb_settings
from renkou.analytics.engines import DuckDBEngine, spark_conf
from renkou.analytics.periods import parse
from renkou.analytics.snapshot import snapshot_refresh
from tests.analytics import definitions_register as reg
from tests.analytics.test_definitions import PERIODS, build_register, mismatches
from tests.conftest import REQUIRE_ALL, need

# Spark and DuckDB read the same Parquet snapshot, whichever database it came from: once.
pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.once_leg]

# For the few hundred persons of the test register: Spark's adaptive planning and its Java
# code generation cost more than the queries (the run takes about half the time without
# them); a large register keeps Spark's defaults.
SMALL_DATA = (
    "spark.sql.adaptive.enabled=false spark.sql.codegen.wholeStage=false "
    "spark.sql.codegen.factoryMode=NO_CODEGEN"
)


def cluster() -> str:
    """The master of the test cluster (CI starts one: tools/spark-cluster); local[2]
    without one, but not under RENKOU_REQUIRE_ALL=1, where the claim is the cluster's."""
    master = os.environ.get("RENKOU_TEST_SPARK_MASTER", "")
    if REQUIRE_ALL:
        need(bool(master), "needs a Spark cluster: RENKOU_TEST_SPARK_MASTER (tools/spark-cluster)")
    return master or "local[2]"


def test_spark_and_duckdb_agree_on_every_figure(tmp_path):
    need(importlib.util.find_spec("pyspark") is not None, "needs pyspark (requirements/dev)")
    need(shutil.which("java") is not None, "needs Java 17 for PySpark")
    master = cluster()
    from renkou.analytics.engines import SparkEngine, default_engine

    spec = build_register(tmp_path / "load")
    snapshot_refresh(tmp_path / "snap")
    periods = [parse(p) for p in PERIODS]
    duck = {r[:4]: r for r in indicators.compute(DuckDBEngine(), tmp_path / "snap", periods)}
    with override_settings(
        RENKOU_ANALYTICS_ENGINE="spark", RENKOU_SPARK_MASTER=master, RENKOU_SPARK_CONF=SMALL_DATA
    ):
        engine = default_engine()
    context = engine.session.sparkContext
    assert isinstance(engine, SparkEngine) and context.master == master
    assert context.getConf().get("spark.sql.codegen.factoryMode") == "NO_CODEGEN"
    spark = {r[:4]: r for r in indicators.compute(engine, tmp_path / "snap", periods)}
    # every indicator of every unit, period and basis (the weighted SRB of years only)
    per_cell = len(indicators.INDICATORS)
    cells = sum(per_cell - (p.kind not in srb_settings.WEIGHTED_KINDS) for p in periods)
    assert len(duck) == len(reg.UNITS) * 2 * cells
    assert spark.keys() == duck.keys()
    differ = []
    for key, row in duck.items():
        for a, b in zip(row[4:], spark[key][4:], strict=True):
            if isinstance(a, str) or isinstance(b, str):
                same = a == b  # a breakdown (JSON of counts)
            else:
                same = (a is None and b is None) or (
                    a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12)
                )
            if not same:
                differ.append((key, row, spark[key]))
                break
    assert differ == []
    # and both equal the hand computation (not vacuous: births, deaths, moves in every year)
    assert mismatches(spark, reg.expected(spec, periods)) == []
    assert duck[("births", "330122", "2024", "registered")][4] >= 15


def test_the_engine_is_chosen_by_the_settings() -> None:
    from renkou.analytics.engines import EngineError, default_engine

    with override_settings(RENKOU_ANALYTICS_ENGINE="duckdb"):
        assert isinstance(default_engine(), DuckDBEngine)
    with override_settings(RENKOU_ANALYTICS_ENGINE="spark2"), pytest.raises(EngineError) as refused:
        default_engine()
    assert "choose duckdb or spark" in str(refused.value)
    # RENKOU_SPARK_CONF: pairs by spaces or commas; anything else refused before a session
    assert spark_conf(" spark.a=1,spark.b.c=x=y  spark.d=2 ") == {
        "spark.a": "1",
        "spark.b.c": "x=y",
        "spark.d": "2",
    }
    for wrong in ("spark.a", "spark.a=", "memory=4g"):
        with (
            override_settings(RENKOU_ANALYTICS_ENGINE="spark", RENKOU_SPARK_CONF=wrong),
            pytest.raises(EngineError) as refused,
        ):
            default_engine()
        assert repr(wrong) in str(refused.value)
