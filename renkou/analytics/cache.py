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
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from renkou.analytics import indicators
from renkou.analytics.counts import LEVEL_LENGTHS, Window
from renkou.analytics.engines import Engine, default_engine
from renkou.analytics.models import IndicatorValue
from renkou.analytics.periods import Period, parse
from renkou.analytics.snapshot import (
    SnapshotResult,
    read_manifest,
    snapshot_dir,
    snapshot_refresh,
)
from renkou.registry.loading.bulk import bulk_insert, deferred_indexes
from renkou.registry.models import Event, Person

INSERT_BATCH = 100_000
ROW_COLUMNS = (
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
    "detail",
)
"""The columns of a computed row (``indicators.Row``), in its order."""
COLUMNS = (*ROW_COLUMNS, "snapshot_seq", "computed_at", "stale")


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
    ids = pa.array(change.person_ids, pa.int64())
    names = ["seq", "person_id", "effective_date", "hukou_from", "hukou_to"]
    names += ["residence_from", "residence_to", "orgunit"]
    files = ds.dataset(sorted(str(f) for f in (directory / "events").glob("seq-*.parquet")))
    theirs = files.to_table(columns=names, filter=pc.field("person_id").isin(ids))
    places: set[str] = set()
    for name in ("hukou_from", "hukou_to", "residence_from", "residence_to", "orgunit"):
        places.update(v for v in theirs.column(name).to_pylist() if v)
    persons = pq.read_table(directory / "persons.parquet", columns=["id", "hukou", "residence"])
    persons = persons.filter(pc.is_in(persons.column("id"), value_set=ids))
    for name in ("hukou", "residence"):
        places.update(v for v in persons.column(name).to_pylist() if v)
    new = theirs.filter(pc.greater_equal(theirs.column("seq"), change.first_seq))
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


def _insert(table: str, rows: list[indicators.Row], snapshot_seq: int, now: Any) -> None:
    """Insert computed rows with the refresh's constant columns (sequence, time, not stale)."""
    if connection.vendor == "postgresql":
        bulk_insert(table, COLUMNS, [(*row, snapshot_seq, now, False) for row in rows])
        return
    # SQLite: the constants go into the statement, so each row binds only its own values.
    cols = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    marks = ", ".join(["%s"] * len(ROW_COLUMNS))
    constants = f"{int(snapshot_seq)}, '{now}', 0"
    sql = f"INSERT INTO {connection.ops.quote_name(table)} ({cols}) VALUES ({marks}, {constants})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


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
        with deferred_indexes(table, when=replace_all):
            for chunk in _ahead(rows, INSERT_BATCH):
                if not replace_all:
                    # Replace each cell once, before its first rows go in (a cell may span
                    # batches).
                    groups: dict[tuple[str, str], list[str]] = {}
                    for row in chunk:
                        cell = (row[1], row[2], row[3])
                        if cell not in seen:
                            seen.add(cell)
                            groups.setdefault((row[2], row[3]), []).append(row[1])  # type: ignore[arg-type]
                    for (period, basis), units in groups.items():
                        IndicatorValue.objects.filter(
                            period=period, basis=basis, orgunit__in=units
                        ).delete()
                _insert(table, chunk, snapshot_seq, now)
                written += len(chunk)
    return written


CUBE_NAMES = (*indicators.FRAME_NAMES, "floating")


@dataclass
class SavedCounts:
    """The counts of the last full refresh (kept up to date by incremental ones)."""

    seq: int
    window: Window
    frames: dict[str, indicators.CountFrames]
    floating: Any
    units: list[str]


def _cube_dir(directory: Path) -> Path:
    return directory.parent / f"{directory.name}-counts"


def counts_save(directory: Path, saved: SavedCounts) -> None:
    """Keep the counts beside the snapshot (Parquet per frame and basis, and a manifest)."""
    target = _cube_dir(directory)
    target.mkdir(parents=True, exist_ok=True)
    (target / "manifest.json").unlink(missing_ok=True)  # invalid while being written
    for basis, frames in saved.frames.items():
        for name in indicators.FRAME_NAMES:
            getattr(frames, name).to_parquet(target / f"{name}-{basis}.parquet", index=False)
    saved.floating.to_parquet(target / "floating.parquet", index=False)
    (target / "manifest.json").write_text(
        json.dumps(
            {
                "seq": saved.seq,
                "first": saved.window.first.isoformat(),
                "last": saved.window.last.isoformat(),
                "units": saved.units,
            }
        ),
        "utf-8",
    )


def counts_load(directory: Path) -> SavedCounts | None:
    """The kept counts, or None when there are none (or they were being written)."""
    target = _cube_dir(directory)
    path = target / "manifest.json"
    if not path.exists():
        return None
    manifest = json.loads(path.read_text("utf-8"))
    frames = {
        basis: indicators.CountFrames(
            **{
                name: pd.read_parquet(target / f"{name}-{basis}.parquet")
                for name in indicators.FRAME_NAMES
            }
        )
        for basis in indicators.BASES
    }
    return SavedCounts(
        seq=int(manifest["seq"]),
        window=Window(
            datetime.date.fromisoformat(manifest["first"]),
            datetime.date.fromisoformat(manifest["last"]),
        ),
        frames=frames,
        floating=pd.read_parquet(target / "floating.parquet"),
        units=list(manifest["units"]),
    )


def counts_drop(directory: Path) -> None:
    """Forget the kept counts (they no longer match the snapshot)."""
    (_cube_dir(directory) / "manifest.json").unlink(missing_ok=True)


def touched_persons(directory: Path, after: int) -> tuple[list[int], int]:
    """Persons whose contributions to the counts the events after ``after`` can change: the
    persons of those events, their mothers and their children (before and after), and the
    newest applied sequence number seen."""
    upto = Event.objects.aggregate(m=Max("applied_seq"))["m"] or 0
    ids = set(
        Event.objects.filter(applied_seq__gt=after, applied_seq__lte=upto)
        .exclude(person_id=None)
        .values_list("person_id", flat=True)
    )
    if not ids:
        return [], upto
    now = Person.objects.filter(pk__in=ids).values_list("mother_id", flat=True)
    children = Person.objects.filter(mother_id__in=ids).values_list("pk", flat=True)
    old = pq.read_table(directory / "persons.parquet", columns=["id", "mother_id"])
    mine = old.filter(pc.is_in(old.column("id"), value_set=pa.array(sorted(ids), pa.int64())))
    theirs = old.filter(
        pc.is_in(old.column("mother_id"), value_set=pa.array(sorted(ids), pa.int64()))
    )
    found = set(ids) | {m for m in now if m} | set(children)
    found |= {m for m in mine.column("mother_id").to_pylist() if m}
    found |= set(theirs.column("id").to_pylist())
    return sorted(found), upto


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
    ``last``, by default the register's history up to today) and replace the whole cache;
    its counts are kept beside the snapshot. Otherwise: invalidate what the new events
    touch, compute ``periods`` if given, and recompute the stale cells — from the kept
    counts, updated by the touched persons' contributions before and after the new events,
    when they cover the stale periods; else by counting everything again.
    """
    engine = engine or default_engine()
    directory = directory or snapshot_dir()
    if full:
        change = snapshot_refresh(directory)
        seq = int(read_manifest(directory)["last_seq"])
        start, end = history_range()
        chosen = periods or indicators.all_periods(first or start, last or end)
        window = indicators.window_for(chosen)
        frames, floating, units = indicators.run_counts(engine, directory, window)
        rows = indicators.rows_from_counts(frames, floating, units, window, chosen)
        result = RefreshResult(snapshot=change)
        result.stored = cache_store(rows, snapshot_seq=seq, replace_all=True)
        result.periods = [p.id for p in chosen]
        counts_save(directory, SavedCounts(seq, window, frames, floating, units))
        return result
    saved = counts_load(directory) if (directory / "persons.parquet").exists() else None
    if saved is not None and saved.seq != int(read_manifest(directory)["last_seq"]):
        saved = None
    before = None
    touched: list[int] = []
    if saved is not None:
        touched, upto = touched_persons(directory, saved.seq)
        if touched:
            before = indicators.run_counts(engine, directory, saved.window, touched)
    change = snapshot_refresh(directory)
    seq = int(read_manifest(directory)["last_seq"])
    result = RefreshResult(snapshot=change)
    if saved is not None and change.events:
        if before is None or change.last_seq != upto:
            saved = None  # events came in between: count everything again
        else:
            now = indicators.run_counts(engine, directory, saved.window, touched)
            frames, floating = indicators.counts_update(
                (saved.frames, saved.floating), (now[0], now[1]), (before[0], before[1])
            )
            saved = SavedCounts(seq, saved.window, frames, floating, now[2])
            counts_save(directory, saved)
    if saved is None and change.events:
        counts_drop(directory)
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
        if saved is not None and all(
            saved.window.first <= p.start and p.end_boundary <= saved.window.last for p in chosen
        ):
            rows = indicators.rows_from_counts(
                saved.frames, saved.floating, saved.units, saved.window, chosen, units=units
            )
        else:
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
