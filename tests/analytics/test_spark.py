"""The same indicator definitions on PySpark (local mode) give every number DuckDB gives, and
every figure of the definitions register equals its hand computation there too."""

from __future__ import annotations

import importlib.util
import math
import shutil

import pytest

from renkou.analytics import indicators, srb_settings
from renkou.analytics.engines import DuckDBEngine
from renkou.analytics.periods import parse
from renkou.analytics.snapshot import snapshot_refresh
from tests.analytics import definitions_register as reg
from tests.analytics.test_definitions import PERIODS, build_register, mismatches
from tests.conftest import need

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.sqlite_leg]


def test_spark_and_duckdb_agree_on_every_figure(tmp_path):
    need(importlib.util.find_spec("pyspark") is not None, "needs pyspark (requirements/dev)")
    need(shutil.which("java") is not None, "needs Java 17 for PySpark")
    from renkou.analytics.engines import SparkEngine

    spec = build_register(tmp_path / "load")
    snapshot_refresh(tmp_path / "snap")
    periods = [parse(p) for p in PERIODS]
    duck = {r[:4]: r for r in indicators.compute(DuckDBEngine(), tmp_path / "snap", periods)}
    spark = {r[:4]: r for r in indicators.compute(SparkEngine(), tmp_path / "snap", periods)}
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
