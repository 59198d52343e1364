"""The indicator cache: refresh from the snapshot, invalidation by newly applied events.

``indicators_refresh`` is the one entry point: it brings the snapshot up to date, marks
stale every cached cell the new events can change, and recomputes the stale cells (or,
with ``full=True``, every cell of every period of a date range).

A new event of a person can change the figures of every unit the person has ever been
placed in (on either basis) and of every period ending after the event's effective date (a
death on 3 March changes the population at every later instant), so those cells go stale:
the units are every ancestor of each place found in the person's events and current state,
the periods every cached period whose end is after the earliest new effective date.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from renkou.analytics import indicators
from renkou.analytics.counts import LEVEL_LENGTHS
from renkou.analytics.engines import Engine, default_engine
from renkou.analytics.models import IndicatorValue
from renkou.analytics.periods import Period, parse
from renkou.analytics.snapshot import (
    SnapshotResult,
    read_events,
    read_manifest,
    snapshot_dir,
    snapshot_refresh,
)
from renkou.registry.loading.bulk import bulk_insert, deferred_indexes
from renkou.registry.models import Event

INSERT_BATCH = 100_000
COLUMNS = (
    "indicator",
    "orgunit",
    "period",
    "basis",
    "value",
    "numerator",
    "denominator",
    "count",
    "low",
    "high",
    "snapshot_seq",
    "computed_at",
    "stale",
    "detail",
)


@dataclass
class RefreshResult:
    """What a refresh did."""

    snapshot: SnapshotResult
    invalidated: int = 0
    stored: int = 0
    periods: list[str] = field(default_factory=list)


def history_range(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """From the first day of the first month with a recorded event to ``today``."""
    today = today or timezone.localdate()
    first = (
        Event.objects.filter(applied_seq__isnull=False)
        .exclude(kind="enrol")
        .aggregate(d=Min("effective_date"))["d"]
    )
    first = first or today.replace(month=1, day=1)
    return first.replace(day=1), today


def _units_of(places: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for place in places:
        if not place or place.startswith("R"):
            continue
        out.update(place[:n] for n in LEVEL_LENGTHS if n <= len(place))
    return out


def affected(directory: Path, change: SnapshotResult) -> tuple[set[str], datetime.date | None]:
    """Units and earliest effective date that the events of ``change`` can affect."""
    if not change.person_ids:
        return set(), None
    events = read_events(directory)
    ids = pa.array(change.person_ids, pa.int64())
    theirs = events.filter(pc.is_in(events.column("person_id"), value_set=ids))
    places: set[str] = set()
    for name in ("hukou_from", "hukou_to", "residence_from", "residence_to", "orgunit"):
        places.update(v for v in theirs.column(name).to_pylist() if v)
    persons = pq.read_table(directory / "persons.parquet", columns=["id", "hukou", "residence"])
    persons = persons.filter(pc.is_in(persons.column("id"), value_set=ids))
    for name in ("hukou", "residence"):
        places.update(v for v in persons.column(name).to_pylist() if v)
    new = events.filter(pc.greater_equal(events.column("seq"), change.first_seq))
    earliest = pc.min(new.column("effective_date")).as_py()
    return _units_of(places), earliest


def cache_invalidate(directory: Path, change: SnapshotResult) -> int:
    """Mark stale the cached cells the new events can change; return how many."""
    units, earliest = affected(directory, change)
    if not units or earliest is None:
        return 0
    periods = [
        p
        for p in IndicatorValue.objects.values_list("period", flat=True).distinct()
        if parse(p).end_boundary > earliest
    ]
    return IndicatorValue.objects.filter(orgunit__in=units, period__in=periods).update(stale=True)


_DONE = object()


def _ahead(rows: Iterable[indicators.Row], size: int) -> Iterator[list[indicators.Row]]:
    """Batches of ``rows`` produced by a thread while the caller writes the previous batch.

    The counts run in DuckDB and the inserts in SQLite or PostgreSQL, both outside the
    GIL for most of their time, so computing and writing overlap.
    """
    queue: Queue[object] = Queue(maxsize=3)

    def produce() -> None:
        try:
            batch: list[indicators.Row] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= size:
                    queue.put(batch)
                    batch = []
            if batch:
                queue.put(batch)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            queue.put(exc)
        queue.put(_DONE)

    thread = threading.Thread(target=produce, name="indicators-compute", daemon=True)
    thread.start()
    while True:
        item = queue.get()
        if item is _DONE:
            break
        if isinstance(item, BaseException):
            raise item
        yield item  # type: ignore[misc]
    thread.join()


def cache_store(
    rows: Iterable[indicators.Row], *, snapshot_seq: int, replace_all: bool = False
) -> int:
    """Write computed rows, replacing the cells they cover (or, with ``replace_all``, the
    whole cache: then the index is built once after the insert); return rows written."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = IndicatorValue._meta.db_table
    written = 0
    with transaction.atomic():
        if replace_all:
            with connection.cursor() as cursor:
                verb = "TRUNCATE" if connection.vendor == "postgresql" else "DELETE FROM"
                cursor.execute(f"{verb} {connection.ops.quote_name(table)}")
        seen: set[tuple[str, str, str]] = set()
        pending: list[tuple[str, str, str]] = []
        batch: list[tuple[object, ...]] = []

        def flush() -> None:
            # Replace each cell once, before its first rows go in (a cell may span batches).
            groups: dict[tuple[str, str], list[str]] = {}
            for unit, period, basis in pending:
                groups.setdefault((period, basis), []).append(unit)
            for (period, basis), units in groups.items():
                IndicatorValue.objects.filter(
                    period=period, basis=basis, orgunit__in=units
                ).delete()
            pending.clear()
            bulk_insert(table, COLUMNS, batch)
            batch.clear()

        with deferred_indexes(table, when=replace_all):
            for chunk in _ahead(rows, INSERT_BATCH):
                for row in chunk:
                    cell = (row[1], row[2], row[3])
                    if not replace_all and cell not in seen:
                        seen.add(cell)
                        pending.append(cell)
                    if len(row) == 10:
                        batch.append((*row, snapshot_seq, now, False, None))
                    else:
                        batch.append((*row[:10], snapshot_seq, now, False, row[10]))
                written += len(batch)
                flush()
    return written


def indicators_refresh(
    *,
    engine: Engine | None = None,
    directory: Path | None = None,
    full: bool = False,
    first: datetime.date | None = None,
    last: datetime.date | None = None,
    periods: list[Period] | None = None,
) -> RefreshResult:
    """Refresh the snapshot, then the cache.

    ``full``: recompute ``periods`` (default: every period wholly inside ``first`` …
    ``last``, by default the register's history up to today) and replace the whole cache.
    Otherwise: invalidate what the new events touch, compute ``periods`` if given, and
    recompute the stale cells.
    """
    engine = engine or default_engine()
    directory = directory or snapshot_dir()
    change = snapshot_refresh(directory)
    seq = int(read_manifest(directory)["last_seq"])
    result = RefreshResult(snapshot=change)
    if full:
        start, end = history_range()
        chosen = periods or indicators.all_periods(first or start, last or end)
        rows = indicators.compute(engine, directory, chosen)
        result.stored = cache_store(rows, snapshot_seq=seq, replace_all=True)
        result.periods = [p.id for p in chosen]
        return result
    result.invalidated = cache_invalidate(directory, change)
    if periods:
        result.stored += cache_store(
            indicators.compute(engine, directory, periods), snapshot_seq=seq
        )
        result.periods = [p.id for p in periods]
    stale = IndicatorValue.objects.filter(stale=True)
    stale_periods = sorted(set(stale.values_list("period", flat=True)))
    if stale_periods:
        units = set(stale.values_list("orgunit", flat=True))
        chosen = [parse(p) for p in stale_periods]
        rows = indicators.compute(engine, directory, chosen, units=units)
        result.stored += cache_store(rows, snapshot_seq=seq)
        result.periods += stale_periods
    return result


def cached(*, orgunit: str, period: Period, basis: str) -> list[IndicatorValue]:
    """The cached figures of one cell, in the order of ``indicators.INDICATORS``."""
    rows = {
        v.indicator: v
        for v in IndicatorValue.objects.filter(orgunit=orgunit, period=period.id, basis=basis)
    }
    return [rows[name] for name in indicators.INDICATORS if name in rows]
