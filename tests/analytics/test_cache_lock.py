"""A refresh of the indicator cache lets the rest of the office write while it counts (SQLite).

SQLite has one write lock for the whole database. The cache's rows are computed while they
are written; were the whole refresh one transaction, every report, sign-in and audited read
would wait for the counts (25 s for a full refresh of the 1,000,000-person county), and
fail with "database is locked" past the busy timeout. Here another connection, with a
short timeout, writes in the middle of a real refresh's rows, between two of its batches.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from django.db import connection

from renkou.analytics import cache, indicators
from renkou.analytics.cache import cache_store, indicators_refresh
from renkou.analytics.engines import DuckDBEngine
from renkou.analytics.models import IndicatorValue
from renkou.analytics.periods import parse
from tests.analytics.hand_register import hand_register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite_leg]
PERIODS = [parse(p) for p in ("2024Q1", "2024")]


def _write_from_elsewhere(path: str) -> str:
    """A write by another connection (a village report, an audit row), waiting at most 2 s
    for the lock; '' if it went through, else SQLite's message."""
    other = sqlite3.connect(path, timeout=2, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("CREATE TABLE IF NOT EXISTS lock_probe (n INTEGER)")
        other.execute("INSERT INTO lock_probe VALUES (1)")
        other.execute("COMMIT")
        return ""
    except sqlite3.OperationalError as exc:
        return str(exc)
    finally:
        other.close()


def test_others_write_between_the_batches_of_a_refresh(tmp_path, monkeypatch):
    hand_register(tmp_path / "load")
    snap = tmp_path / "snap"
    indicators_refresh(directory=snap, full=True, periods=PERIODS)
    before = {
        tuple(key): value
        for *key, value in IndicatorValue.objects.values_list(
            "indicator", "orgunit", "period", "basis", "value"
        )
    }
    rows = list(indicators.compute(DuckDBEngine(), snap, PERIODS))
    assert len(rows) > 40
    monkeypatch.setattr(cache, "INSERT_BATCH", 10)  # many batches out of the small county
    path = connection.settings_dict["NAME"]
    for seq, replace_all in ((98, False), (99, True)):  # the cells' refresh, then a full one
        probes: list[str] = []

        def produced(probes: list[str] = probes) -> Iterator[indicators.Row]:
            for i, row in enumerate(rows):
                if i == 25:  # two batches handed over, the third being made
                    probes.append(_write_from_elsewhere(path))
                yield row

        written = cache_store(produced(), snapshot_seq=seq, replace_all=replace_all)
        assert probes == [""], (replace_all, probes)
        assert written == len(rows)
        # the cache holds what it held, each figure once, none stale, all of this refresh
        after = {
            tuple(key): value
            for *key, value in IndicatorValue.objects.values_list(
                "indicator", "orgunit", "period", "basis", "value"
            )
        }
        assert after == before
        assert IndicatorValue.objects.count() == len(before)
        assert not IndicatorValue.objects.filter(stale=True).exists()
        assert set(IndicatorValue.objects.values_list("snapshot_seq", flat=True)) == {seq}
