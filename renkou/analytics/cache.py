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
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from renkou.analytics import indicators
from renkou.analytics.counts import LEVEL_LENGTHS, Window
from renkou.analytics.engines import CompiledSql, Engine, default_engine
from renkou.analytics.models import IndicatorValue
from renkou.analytics.names import INDICATORS
from renkou.analytics.periods import Period, parse, periods_between
from renkou.analytics.snapshot import (
    SnapshotResult,
    events_of,
    read_manifest,
    snapshot_dir,
    snapshot_refresh,
)
from renkou.core.models import Counter
from renkou.registry.loading.bulk import bulk_insert, deferred_indexes
from renkou.registry.models import Event, Person

INSERT_BATCH = 100_000
COMPACT_EVERY = 20
# The counter holding the snapshot sequence number up to which the cache has marked stale
# what the events touch (``_cache_behind``).
CACHE_SEQ = "statistics.cache_seq"
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


def history_periods(first: datetime.date, last: datetime.date) -> list[Period]:
    """Every period of every kind that starts between ``first`` and ``last`` and does not
    start before ``first``'s month: the periods of a history, the ones still running
    included (this year, this month), so that the current year is always in the cache."""
    return [
        p
        for p in periods_between(first, last)
        if p.start >= first.replace(day=1) and p.start <= last
    ]


def recent_periods(today: datetime.date | None = None) -> list[Period]:
    """The periods the worker keeps computed: every month, quarter, year, statistical year
    and half of the current and the previous year (those that have begun)."""
    today = today or timezone.localdate()
    first = datetime.date(today.year - 1, 1, 1)
    return [p for p in periods_between(first, today) if p.end_boundary > first]


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
    theirs = events_of(change.person_ids, change.last_seq)
    places: set[str] = set()
    for name in ("hukou_from", "hukou_to", "residence_from", "residence_to", "orgunit"):
        places.update(v for v in theirs.column(name).to_pylist() if v)
    places.update(change.places)  # the places the refresh just wrote for these persons
    new = theirs.filter(pc.greater_equal(theirs.column("seq"), change.first_seq))
    earliest = pc.min(new.column("effective_date")).as_py()
    return _units_of(places), earliest


def cache_invalidate(directory: Path, change: SnapshotResult) -> int:
    """Mark stale the cached cells the new events can change; return how many."""
    units, earliest = affected(directory, change)
    if not units or earliest is None:
        return 0
    # A period is computed for every unit at once, so the units highest up among those
    # touched (the province, as a rule) have a figure in every cached period: reading their
    # few rows through the cell index is much faster than a distinct over the whole cache.
    top = min(len(u) for u in units)
    highest = [u for u in units if len(u) == top]
    cached = IndicatorValue.objects.filter(orgunit__in=highest).values_list("period", flat=True)
    periods = [p for p in set(cached) if parse(p).end_boundary > earliest]
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
    if connection.vendor == "sqlite":
        # SQLite has one write lock for the whole database, and the rows are computed
        # while they are written: one transaction around it all would stop every report,
        # sign-in and audited read for as long as the counts take (25 s for a full refresh
        # of the 1,000,000-person county; "database is locked" under load). So each batch
        # is its own short transaction. A full refresh first marks the whole cache stale
        # (one quick statement), so that a refresh stopped half-way leaves the figures it
        # had not rewritten stale, and the next one recomputes them.
        if replace_all:
            with transaction.atomic():
                IndicatorValue.objects.filter(stale=False).update(stale=True)
        return _store_cells(table, rows, snapshot_seq, now, each_batch=True, sweep=replace_all)
    with transaction.atomic():
        if not replace_all:
            return _store_cells(table, rows, snapshot_seq, now)
        with connection.cursor() as cursor:
            verb = "TRUNCATE" if connection.vendor == "postgresql" else "DELETE FROM"
            cursor.execute(f"{verb} {connection.ops.quote_name(table)}")
        with deferred_indexes(table, when=True):
            for chunk in _ahead(rows, INSERT_BATCH):
                _insert(table, chunk, snapshot_seq, now)
                written += len(chunk)
    return written


def _update(table: str, rows: list[tuple[Any, ...]], snapshot_seq: int, now: Any) -> None:
    """Overwrite rows in place: each item is a row's values (``ROW_COLUMNS`` after the four
    keys) followed by its id."""
    q = connection.ops.quote_name
    values = ROW_COLUMNS[4:]
    assignments = ", ".join(f"{q(c)} = %s" for c in values)
    if connection.vendor == "postgresql":
        sql = (
            f"UPDATE {q(table)} SET {assignments}, snapshot_seq = %s, computed_at = %s, "  # noqa: S608
            f"stale = false WHERE id = %s"
        )
        params = [(*r[:-1], snapshot_seq, now, r[-1]) for r in rows]
    else:
        sql = (
            f"UPDATE {q(table)} SET {assignments}, snapshot_seq = {int(snapshot_seq)}, "  # noqa: S608
            f"computed_at = '{now}', stale = 0 WHERE id = %s"
        )
        params = rows
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _store_cells(
    table: str,
    rows: Iterable[indicators.Row],
    snapshot_seq: int,
    now: Any,
    *,
    each_batch: bool = False,
    sweep: bool = False,
) -> int:
    """Replace the cells ``rows`` cover: a figure the cell already has is overwritten in
    place (its index entries stay as they are, so a refresh of a few cells writes little),
    a new one is inserted, and one the cell no longer has is deleted. ``each_batch``: every
    batch in a transaction of its own (SQLite); ``sweep``: the whole cache is being
    replaced, so afterwards every figure this refresh did not write is deleted."""
    seen: set[tuple[str, str, str]] = set()
    existing: dict[tuple[str, str, str, str], int] = {}
    written = 0
    for chunk in _ahead(rows, INSERT_BATCH):
        with transaction.atomic() if each_batch else nullcontext():
            written += _store_batch(table, chunk, snapshot_seq, now, seen, existing)
    with transaction.atomic() if each_batch else nullcontext():
        leftover = list(existing.values())  # figures the cells no longer have
        for start in range(0, len(leftover), 900):
            IndicatorValue.objects.filter(pk__in=leftover[start : start + 900]).delete()
        if sweep:  # cells this refresh no longer has at all
            IndicatorValue.objects.exclude(snapshot_seq=snapshot_seq).delete()
    return written


def _store_batch(
    table: str,
    chunk: list[indicators.Row],
    snapshot_seq: int,
    now: Any,
    seen: set[tuple[str, str, str]],
    existing: dict[tuple[str, str, str, str], int],
) -> int:
    """Write one batch of rows (see ``_store_cells``); returns how many."""
    groups: dict[tuple[str, str], list[str]] = {}
    for row in chunk:
        cell = (row[1], row[2], row[3])
        if cell not in seen:
            seen.add(cell)
            groups.setdefault((row[2], row[3]), []).append(row[1])  # type: ignore[arg-type]
    for (period, basis), units in groups.items():
        for pk, *key in IndicatorValue.objects.filter(
            period=period, basis=basis, orgunit__in=units
        ).values_list("id", "indicator", "orgunit", "period", "basis"):
            existing[tuple(key)] = pk  # type: ignore[index]
    updates, inserts = [], []
    for row in chunk:
        pk = existing.pop(row[:4], None)  # type: ignore[arg-type]
        if pk is None:
            inserts.append(row)
        else:
            updates.append((*row[4:], pk))
    if updates:
        _update(table, updates, snapshot_seq, now)
    if inserts:
        _insert(table, inserts, snapshot_seq, now)
    return len(chunk)


CUBE_NAMES = (*indicators.FRAME_NAMES, "floating")


@dataclass
class SavedCounts:
    """The counts of the last full refresh (kept up to date by incremental ones)."""

    seq: int
    window: Window
    frames: dict[str, indicators.CountFrames]
    floating: Any
    units: list[str]
    updates: int = 0  # incremental refreshes appended since the counts were last regrouped


def _cube_dir(directory: Path) -> Path:
    return directory.parent / f"{directory.name}-counts"


def counts_save(
    directory: Path, saved: SavedCounts, *, appended: indicators.Counts | None = None
) -> None:
    """Keep the counts beside the snapshot (Parquet per frame and basis, and a manifest).

    With ``appended`` (the rows an incremental refresh added, ``saved.updates`` > 0), only
    those are written, as files of their own that ``counts_load`` appends to the others.
    """
    target = _cube_dir(directory)
    target.mkdir(parents=True, exist_ok=True)
    (target / "manifest.json").unlink(missing_ok=True)  # invalid while being written
    if appended is None:
        for old in target.glob("*.d*.parquet"):
            old.unlink()
        suffix, (frames, floating) = "", (saved.frames, saved.floating)
    else:
        suffix, (frames, floating) = f".d{saved.updates:04d}", appended
    for basis, by_name in frames.items():
        for name in indicators.FRAME_NAMES:
            getattr(by_name, name).to_parquet(
                target / f"{name}-{basis}{suffix}.parquet", index=False
            )
    floating.to_parquet(target / f"floating{suffix}.parquet", index=False)
    (target / "manifest.json").write_text(
        json.dumps(
            {
                "seq": saved.seq,
                "first": saved.window.first.isoformat(),
                "births_first": saved.window.births_start.isoformat(),
                "last": saved.window.last.isoformat(),
                "units": saved.units,
                "updates": saved.updates,
                "per_month": saved.window.per_month,
            }
        ),
        "utf-8",
    )


def counts_kept(directory: Path) -> tuple[int, Window] | None:
    """The sequence number and window of the kept counts (their manifest only), or None."""
    path = _cube_dir(directory) / "manifest.json"
    if not path.exists() or not (directory / "persons.parquet").exists():
        return None
    manifest = json.loads(path.read_text("utf-8"))
    return int(manifest["seq"]), _manifest_window(manifest)


def _manifest_window(manifest: dict[str, Any]) -> Window:
    return Window(
        datetime.date.fromisoformat(manifest["first"]),
        datetime.date.fromisoformat(manifest["last"]),
        datetime.date.fromisoformat(manifest.get("births_first") or manifest["first"]),
        int(manifest.get("per_month", 1)),
    )


def counts_load(directory: Path) -> SavedCounts | None:
    """The kept counts, or None when there are none (or they were being written)."""
    target = _cube_dir(directory)
    path = target / "manifest.json"
    if not path.exists():
        return None
    manifest = json.loads(path.read_text("utf-8"))
    updates = int(manifest.get("updates", 0))
    suffixes = [""] + [f".d{n:04d}" for n in range(1, updates + 1)]
    if not all(
        (target / f"{name}-{basis}.parquet").exists()
        for name in indicators.FRAME_NAMES
        for basis in indicators.BASES
    ):
        return None  # kept by an older version, without every count of this one

    def read(stem: str) -> pd.DataFrame:
        parts = [pq.read_table(target / f"{stem}{suffix}.parquet") for suffix in suffixes]
        if len(parts) == 1:
            return parts[0].to_pandas()
        return pa.concat_tables(parts, promote_options="permissive").to_pandas()

    frames = {
        basis: indicators.CountFrames(
            **{name: read(f"{name}-{basis}") for name in indicators.FRAME_NAMES}
        )
        for basis in indicators.BASES
    }
    return SavedCounts(
        seq=int(manifest["seq"]),
        window=_manifest_window(manifest),
        frames=frames,
        floating=read("floating"),
        units=list(manifest["units"]),
        updates=updates,
    )


def counts_drop(directory: Path) -> None:
    """Forget the kept counts (they no longer match the snapshot)."""
    (_cube_dir(directory) / "manifest.json").unlink(missing_ok=True)


def touched_persons(directory: Path, after: int) -> tuple[list[int], int]:
    """Persons whose contributions to the counts the events after ``after`` can change: the
    persons of those events, their mothers, their children and their mothers' children
    (before and after), and the newest applied sequence number seen."""
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
    mothers = {m for m in now if m} | {m for m in mine.column("mother_id").to_pylist() if m}
    found |= mothers
    found |= set(theirs.column("id").to_pylist())
    # A birth's order counts the mother's other children: a new or corrected child changes
    # the order of its brothers and sisters.
    if mothers:
        found |= set(Person.objects.filter(mother_id__in=mothers).values_list("pk", flat=True))
        siblings = pc.is_in(
            old.column("mother_id"), value_set=pa.array(sorted(mothers), pa.int64())
        )
        found |= set(old.filter(siblings).column("id").to_pylist())
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
    compiled = getattr(engine, "compiled", None)
    if isinstance(compiled, CompiledSql) and compiled.path is None:
        compiled.attach(_cube_dir(directory) / f"{engine.name}-sql.json")
    try:
        return _refresh(engine, directory, full, first, last, periods)
    finally:
        if isinstance(compiled, CompiledSql):
            compiled.save()


def _refresh(
    engine: Engine,
    directory: Path,
    full: bool,
    first: datetime.date | None,
    last: datetime.date | None,
    periods: list[Period] | None,
) -> RefreshResult:
    if full:
        change = snapshot_refresh(directory)
        seq = int(read_manifest(directory)["last_seq"])
        if periods:
            chosen = periods
        elif first and last:
            chosen = indicators.all_periods(first, last)  # a range asked for: wholly inside it
        else:
            start, end = history_range()
            chosen = history_periods(first or start, last or end)
        window = indicators.window_for(chosen)
        frames, floating, units = indicators.run_counts(engine, directory, window)
        rows = indicators.rows_from_counts(frames, floating, units, window, chosen)
        result = RefreshResult(snapshot=change)
        result.stored = cache_store(rows, snapshot_seq=seq, replace_all=True)
        _cache_took(seq)
        result.periods = [p.id for p in chosen]
        counts_save(directory, SavedCounts(seq, window, frames, floating, units))
        if isinstance(getattr(engine, "compiled", None), CompiledSql):
            # Compile the steps of an incremental refresh now, over no persons (about a
            # second), so that the first refresh after new events finds them compiled.
            indicators.run_counts(engine, directory, window, [])
        return result
    if _cache_behind(directory):
        # A refresh stopped (killed) after the snapshot took events in and before the cache
        # was told: which cells those events touch is not known any more, so every cell
        # is computed again (and the kept counts with them).
        counts_drop(directory)
        IndicatorValue.objects.update(stale=True)
    kept = counts_kept(directory)
    if kept is not None and kept[0] != int(read_manifest(directory)["last_seq"]):
        kept = None
    saved = None
    before = None
    touched: list[int] = []
    if kept is not None:
        # The kept counts are read from disk while the touched persons' contributions
        # before the new events are counted (files in one thread, DuckDB in the other).
        with ThreadPoolExecutor(max_workers=1) as pool:
            loading = pool.submit(counts_load, directory)
            touched, upto = touched_persons(directory, kept[0])
            if touched:
                before = indicators.run_counts(engine, directory, kept[1], touched)
            saved = loading.result()
        if saved is not None and saved.seq != kept[0]:
            saved, before = None, None
    change = snapshot_refresh(directory)
    seq = int(read_manifest(directory)["last_seq"])
    result = RefreshResult(snapshot=change)
    invalidated = None
    if saved is not None and change.events:
        if before is None or change.last_seq != upto:
            saved = None  # events came in between: count everything again
        else:
            # The contributions after the new events are counted (DuckDB, in a thread)
            # while the cells they change are marked stale (the database, here).
            with ThreadPoolExecutor(max_workers=1) as pool:
                counting = pool.submit(
                    indicators.run_counts, engine, directory, saved.window, touched
                )
                invalidated = cache_invalidate(directory, change)
                now = counting.result()
            # The differences are appended as rows of their own; every COMPACT_EVERY
            # refreshes the counts are regrouped to one row per key.
            compact = saved.updates + 1 >= COMPACT_EVERY
            delta = indicators.counts_delta((now[0], now[1]), (before[0], before[1]))
            frames, floating = indicators.counts_add(
                (saved.frames, saved.floating), delta, compact=compact
            )
            updates = 0 if compact else saved.updates + 1
            saved = SavedCounts(seq, saved.window, frames, floating, now[2], updates)
            counts_save(directory, saved, appended=None if compact else delta)
    if saved is None and change.events:
        counts_drop(directory)
    result.invalidated = (
        invalidated if invalidated is not None else cache_invalidate(directory, change)
    )
    _cache_took(seq)
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
        if saved is not None and _covers(saved.window, chosen):
            rows = indicators.rows_from_counts(
                saved.frames, saved.floating, saved.units, saved.window, chosen, units=units
            )
        else:
            rows = indicators.compute(engine, directory, chosen, units=units)
        result.stored += cache_store(rows, snapshot_seq=seq)
        result.periods += stale_periods
    return result


def _cache_behind(directory: Path) -> bool:
    """Whether the snapshot holds events whose cells the cache never marked stale."""
    took = Counter.objects.filter(name=CACHE_SEQ).values_list("value", flat=True).first()
    return took is not None and int(read_manifest(directory)["last_seq"]) > took


def _cache_took(seq: int) -> None:
    """Record that the cache has taken in the snapshot's events up to ``seq``."""
    Counter.objects.update_or_create(name=CACHE_SEQ, defaults={"value": seq})


def _covers(window: Window, periods: list[Period]) -> bool:
    """Whether counts made over ``window`` hold everything ``periods`` need."""
    needed = indicators.window_for(periods)
    return (
        window.first <= needed.first
        and needed.last <= window.last
        and window.births_start <= needed.births_start
        and window.per_month % needed.per_month == 0
    )


def _cached_periods() -> set[str]:
    return set(IndicatorValue.objects.filter(indicator="births").values_list("period", flat=True))


def indicators_keep_ready(
    *,
    engine: Engine | None = None,
    directory: Path | None = None,
    today: datetime.date | None = None,
) -> RefreshResult:
    """What the worker runs after applied events and on its schedule: bring the cache up to
    date and make sure every recent period (:func:`recent_periods`) is in it, so that no
    dashboard, form or summary of a recent period waits for a click.

    Where the counts kept from the last full refresh do not reach the end of every recent
    period (a first start, a new year), everything is counted again (a full refresh of
    every period from the earliest one in the cache on); otherwise only what new events
    touched is recomputed.
    """
    directory = directory or snapshot_dir()
    wanted = recent_periods(today)
    kept = counts_kept(directory)
    reaches = kept is not None and _covers(kept[1], wanted)
    if not reaches:
        # Count again from the earliest period in the cache (a first start: the recent
        # periods only; older ones are computed when asked for).
        today = today or timezone.localdate()
        first = min([*(p.start for p in wanted), *(parse(p).start for p in _cached_periods())])
        chosen = history_periods(first, today)
        return indicators_refresh(engine=engine, directory=directory, full=True, periods=chosen)
    result = indicators_refresh(engine=engine, directory=directory)
    have = _cached_periods()
    missing = [p for p in wanted if p.id not in have]
    if missing:
        more = indicators_refresh(engine=engine, directory=directory, periods=missing)
        result.stored += more.stored
        result.periods += more.periods
    return result


def cached(*, orgunit: str, period: Period, basis: str) -> list[IndicatorValue]:
    """The cached figures of one cell, in the order of ``names.INDICATORS``."""
    rows = {
        v.indicator: v
        for v in IndicatorValue.objects.filter(orgunit=orgunit, period=period.id, basis=basis)
    }
    return [rows[name] for name in INDICATORS if name in rows]
