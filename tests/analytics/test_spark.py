"""The same indicator definitions on PySpark (local mode) give every number DuckDB gives."""

from __future__ import annotations

import importlib.util
import math
import shutil

import pytest

from renkou.analytics import indicators
from renkou.analytics.engines import DuckDBEngine
from renkou.analytics.periods import parse
from renkou.analytics.snapshot import snapshot_refresh
from tests.analytics.hand_register import hand_register
from tests.conftest import LEG, need

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
PERIODS = ["2023", "2024", "2024Q1", "2024Q3", "202402", "202412", "2023Oct", "2023OctS2"]


def test_spark_and_duckdb_agree_on_every_figure(tmp_path):
    if LEG == "postgres":
        pytest.skip("the engine comparison reads only Parquet: it runs in the SQLite leg")
    need(importlib.util.find_spec("pyspark") is not None, "needs pyspark (requirements/dev)")
    need(shutil.which("java") is not None, "needs Java 17 for PySpark")
    from renkou.analytics.engines import SparkEngine

    hand_register(tmp_path / "load")
    snapshot_refresh(tmp_path / "snap")
    periods = [parse(p) for p in PERIODS]
    duck = {r[:4]: r for r in indicators.compute(DuckDBEngine(), tmp_path / "snap", periods)}
    spark = {r[:4]: r for r in indicators.compute(SparkEngine(), tmp_path / "snap", periods)}
    assert len(duck) == 8 * len(PERIODS) * 2 * len(indicators.INDICATORS)
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
    # not vacuous: the figures hold births, deaths and moves
    assert duck[("births", "330122", "2024", "registered")][4] == 5
