"""Parquet snapshots of the register for analytics (analytics never reads the live tables).

A snapshot directory holds:

- ``orgunits.parquet``: the whole tree, rewritten on every refresh (it is small);
- ``persons.parquet``: the state of every person who has an applied event;
- ``events/seq-<first>-<last>.parquet``: applied events, one file per refresh, numbered by
  their ``applied_seq``;
- ``manifest.json``: the last ``applied_seq`` in the snapshot and row counts, written last.

A refresh reads only events with an ``applied_seq`` above the manifest's and the persons they
touch, all inside one read transaction, so that the snapshot is the register as of one
instant. ``snapshot_rebuild`` writes the same content from scratch (persons.parquet sorted by
id, events by sequence, so the two can be compared row by row).

Places are strings: a unit of ours by its code, a region elsewhere as ``R`` + its six-digit
GB/T 2260 code (so that it can never match a code prefix of our tree).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max
from django.db.models.fields.json import KT
from django.utils import timezone

from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Event, Person

BATCH = 100_000

ORGUNIT_SCHEMA = pa.schema(
    [
        ("code", pa.string()),
        ("name", pa.string()),
        ("level", pa.int8()),
        ("parent", pa.string()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
    ]
)
PERSON_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("death_date", pa.date32()),
        ("status", pa.string()),
        ("marital_status", pa.string()),
        ("mother_id", pa.int64()),
        ("birth_order", pa.int16()),
        ("hukou", pa.string()),
        ("residence", pa.string()),
    ]
)
EVENT_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("id", pa.int64()),
        ("kind", pa.string()),
        ("person_id", pa.int64()),
        ("orgunit", pa.string()),
        ("effective_date", pa.date32()),
        ("report_date", pa.date32()),
        ("historic", pa.bool_()),
        ("hukou_from", pa.string()),
        ("hukou_to", pa.string()),
        ("residence_from", pa.string()),
        ("residence_to", pa.string()),
    ]
)


@dataclass
class SnapshotResult:
    """What one refresh wrote: the sequence range, and the persons it touched."""

    first_seq: int
    last_seq: int
    events: int
    persons: int
    person_ids: list[int]
    full: bool
    # the current places (hukou and residence) of the persons whose rows were written
    places: frozenset[str] = frozenset()


EVENTS_OF_BATCH = 5000  # persons per query (SQLite limits the parameters of one statement)


def snapshot_dir() -> Path:
    """Where the snapshot lives: ``<data dir>/analytics/snapshot``."""
    return Path(settings.DATA_DIR) / "analytics" / "snapshot"


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of a snapshot, or an empty one when there is none yet."""
    path = directory / "manifest.json"
    if not path.exists():
        return {"last_seq": 0}
    result: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return result


@contextlib.contextmanager
def read_transaction() -> Iterator[None]:
    """One consistent read of the register.

    SQLite: a deferred ``BEGIN`` (the project's transactions are IMMEDIATE, which would take
    the write lock and stop village reports while a snapshot is read); in WAL mode the reader
    then sees one instant. PostgreSQL: a REPEATABLE READ, READ ONLY transaction. Inside an
    already open transaction (tests), that transaction is the instant.
    """
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _place(orgunit: str | None, region: str | None) -> str | None:
    if orgunit:
        return orgunit
    if region:
        return "R" + region
    return None


def _orgunits_table() -> pa.Table:
    rows = list(
        OrgUnit.objects.order_by("code").values_list(
            "code", "name", "level", "parent_id", "valid_from", "valid_to"
        )
    )
    return pa.Table.from_pylist(
        [dict(zip(ORGUNIT_SCHEMA.names, row, strict=True)) for row in rows], schema=ORGUNIT_SCHEMA
    )


def _persons_table(ids: list[int] | None) -> pa.Table:
    """Person state rows (every person when ``ids`` is None), sorted by id."""
    fields = (
        "id",
        "sex",
        "birth_date",
        "death_date",
        "status",
        "marital_status",
        "mother_id",
        "birth_order",
        "hukou_orgunit_id",
        "hukou_region",
        "residence_orgunit_id",
        "residence_region",
    )
    chunks = [None] if ids is None else [ids[i : i + 5000] for i in range(0, len(ids), 5000)]
    columns: dict[str, list[Any]] = {name: [] for name in PERSON_SCHEMA.names}
    for chunk in chunks:
        qs = Person.objects.order_by("id")
        if chunk is not None:
            qs = qs.filter(id__in=chunk)
        for row in qs.values_list(*fields).iterator(chunk_size=BATCH):
            (pid, sex, birth, death, status, marital, mother, order, hu, hr, ru, rr) = row
            columns["id"].append(pid)
            columns["sex"].append(sex)
            columns["birth_date"].append(birth)
            columns["death_date"].append(death)
            columns["status"].append(status)
            columns["marital_status"].append(marital)
            columns["mother_id"].append(mother)
            columns["birth_order"].append(order)
            columns["hukou"].append(_place(hu, hr))
            columns["residence"].append(_place(ru, rr))
    return pa.table(columns, schema=PERSON_SCHEMA).sort_by("id")


def _events_table(after: int, upto: int, person_ids: Sequence[int] | None = None) -> pa.Table:
    """Applied events with ``after < applied_seq <= upto`` (only of ``person_ids`` if
    given), places taken from their payloads."""
    if person_ids is not None and len(person_ids) > EVENTS_OF_BATCH:
        parts = [
            _events_table(after, upto, person_ids[i : i + EVENTS_OF_BATCH])
            for i in range(0, len(person_ids), EVENTS_OF_BATCH)
        ]
        return pa.concat_tables(parts).sort_by("seq")
    if person_ids is None:
        chosen = Event.objects.filter(applied_seq__gt=after, applied_seq__lte=upto)
    else:
        # Only by person: with the sequence range too, SQLite scans the sequence index
        # over the whole history instead of looking the persons up. The range is applied
        # to the rows read.
        chosen = Event.objects.filter(person_id__in=list(person_ids), applied_seq__isnull=False)
    qs = chosen.order_by("applied_seq").annotate(
        s_hu=KT("payload__state__hukou_orgunit_id"),
        s_hr=KT("payload__state__hukou_region"),
        s_ru=KT("payload__state__residence_orgunit_id"),
        s_rr=KT("payload__state__residence_region"),
        set_hu=KT("payload__set__hukou_orgunit_id"),
        set_hr=KT("payload__set__hukou_region"),
        set_ru=KT("payload__set__residence_orgunit_id"),
        set_rr=KT("payload__set__residence_region"),
        from_u=KT("payload__from_orgunit"),
        from_r=KT("payload__from_region"),
        to_u=KT("payload__to_orgunit"),
        to_r=KT("payload__to_region"),
        unit=F("orgunit_id"),
    )
    values = qs.values_list(
        "applied_seq",
        "id",
        "kind",
        "person_id",
        "unit",
        "effective_date",
        "report_date",
        "historic",
        "s_hu",
        "s_hr",
        "s_ru",
        "s_rr",
        "set_hu",
        "set_hr",
        "set_ru",
        "set_rr",
        "from_u",
        "from_r",
        "to_u",
        "to_r",
    )
    columns: dict[str, list[Any]] = {name: [] for name in EVENT_SCHEMA.names}
    for row in values.iterator(chunk_size=BATCH):
        (seq, eid, kind, pid, unit, eff, rep, hist, s_hu, s_hr, s_ru, s_rr) = row[:12]
        (set_hu, set_hr, set_ru, set_rr, from_u, from_r, to_u, to_r) = row[12:]
        hukou_from = residence_from = None
        if kind == "move_in" and (s_hu or s_hr):
            # An arrival from outside enters a new person: first a creating row with where
            # they were (registered at their hukou place, living at the move's "from"), then
            # the move-in itself, so the spells begin outside and the move is counted.
            arrival = (seq, eid, "arrival", pid, unit, eff, rep, hist)
            arrival += (None, _place(s_hu, s_hr), None, _place(from_u, from_r))
            for name, value in zip(EVENT_SCHEMA.names, arrival, strict=True):
                columns[name].append(value)
        if kind in ("enrol", "birth"):
            hukou_to, residence_to = _place(s_hu, s_hr), _place(s_ru, s_rr)
        else:
            hukou_to = residence_to = None
        if kind in ("move_in", "move_out"):
            residence_from, residence_to = _place(from_u, from_r), _place(to_u, to_r)
        elif kind in ("hukou_in", "hukou_out"):
            hukou_from, hukou_to = _place(from_u, from_r), _place(to_u, to_r)
        # A correction (or any event) may set a place directly.
        hukou_to = _place(set_hu, set_hr) or hukou_to
        residence_to = _place(set_ru, set_rr) or residence_to
        for name, value in zip(
            EVENT_SCHEMA.names,
            (
                seq,
                eid,
                kind,
                pid,
                unit,
                eff,
                rep,
                hist,
                hukou_from,
                hukou_to,
                residence_from,
                residence_to,
            ),
            strict=True,
        ):
            columns[name].append(value)
    table = pa.table(columns, schema=EVENT_SCHEMA)
    if person_ids is not None:
        seq = table.column("seq")
        table = table.filter(pc.and_(pc.greater(seq, after), pc.less_equal(seq, upto)))
    return table


def events_of(person_ids: Sequence[int], upto: int) -> pa.Table:
    """Every applied event of the persons up to sequence ``upto``, as the snapshot has them
    (read from the register by the person index: faster than scanning the event files)."""
    return _events_table(0, upto, person_ids)


def _merge_persons(old: pa.Table, changed: pa.Table, ids: list[int]) -> pa.Table:
    """``old`` (sorted by id) with the rows of ``changed`` in place of the same persons' and
    new persons added, sorted by id; persons of ``ids`` no longer in the register (absent
    from ``changed``) are dropped.

    Each changed row takes its old row's position (found by binary search), so a refresh
    after a few thousand events does not sort a million rows again; only when a new person's
    id is below the old ones (not how the register numbers them) is the whole table sorted.
    """
    changed = changed.select(old.schema.names).cast(old.schema)
    old_ids = old.column("id").to_numpy()
    new_ids = changed.column("id").to_numpy()
    if not len(old_ids):
        return changed.sort_by("id")
    at = np.minimum(np.searchsorted(old_ids, new_ids), len(old_ids) - 1)
    present = old_ids[at] == new_ids
    order = np.arange(len(old_ids) + int((~present).sum()))
    order[at[present]] = len(old_ids) + np.nonzero(present)[0]
    order[len(old_ids) :] = len(old_ids) + np.nonzero(~present)[0]
    gone = np.setdiff1d(np.asarray(ids, dtype=np.int64), new_ids)
    if len(gone):
        where = np.minimum(np.searchsorted(old_ids, gone), len(old_ids) - 1)
        drop = where[old_ids[where] == gone]
        order = np.delete(order, drop)
    merged = pa.concat_tables([old, changed]).take(pa.array(order))
    added = new_ids[~present]
    if len(added) and added.min() <= old_ids[-1]:
        merged = merged.sort_by("id")
    return merged


def _write_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    # Without Arrow's own schema in the file, dictionary-typed columns read back as the
    # plain text they hold, whichever way the table was built.
    pq.write_table(table, tmp, compression="zstd", store_schema=False)
    os.replace(tmp, path)


def _orphans_remove(directory: Path, after: int) -> None:
    """Remove event files beyond the manifest: a refresh stopped (killed) after writing its
    events and before its manifest left them, and the next refresh writes those events
    again (perhaps with more, under another name): kept, they would count twice."""
    for path in (directory / "events").glob("seq-*.parquet"):
        first = path.stem.split("-")[1]
        if first.isdigit() and int(first) > after:
            path.unlink()
    for path in (directory / "events").glob("*.tmp"):
        path.unlink()


def snapshot_refresh(directory: Path | None = None, *, full: bool = False) -> SnapshotResult:
    """Bring the snapshot up to the register's newest applied event (from scratch if ``full``).

    Returns the range of sequence numbers added and the persons whose rows changed, which
    is what the indicator cache needs to know to invalidate its cells.
    """
    directory = directory or snapshot_dir()
    if full and directory.exists():
        shutil.rmtree(directory)
    (directory / "events").mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(directory)
    after = int(manifest["last_seq"])
    _orphans_remove(directory, after)
    with read_transaction():
        upto = Event.objects.aggregate(m=Max("applied_seq"))["m"] or 0
        orgunits = _orgunits_table()
        if upto <= after and (directory / "persons.parquet").exists():
            _write_atomic(orgunits, directory / "orgunits.parquet")
            return SnapshotResult(after + 1, after, 0, 0, [], full)
        events = _events_table(after, upto)
        person_ids = sorted(set(pc.drop_null(events.column("person_id")).to_pylist()))
        first_load = after == 0 or not (directory / "persons.parquet").exists()
        persons = _persons_table(None if first_load else person_ids)
    changed_persons = persons
    if not first_load:
        # Text columns (sex, status, places) read as dictionaries: few distinct values, so
        # reading, merging and writing them back moves indices, not a million strings.
        path = directory / "persons.parquet"
        text = [f.name for f in pq.read_schema(path) if pa.types.is_string(f.type)]
        persons = _merge_persons(pq.read_table(path, read_dictionary=text), persons, person_ids)
    if events.num_rows:
        _write_atomic(events, directory / "events" / f"seq-{after + 1:012d}-{upto:012d}.parquet")
    _write_atomic(persons, directory / "persons.parquet")
    _write_atomic(orgunits, directory / "orgunits.parquet")
    total = int(manifest.get("events", 0)) + events.num_rows
    (directory / "manifest.tmp").write_text(
        json.dumps(
            {
                "last_seq": upto,
                "events": total,
                "persons": persons.num_rows,
                "taken_at": timezone.now().isoformat(),
            }
        ),
        "utf-8",
    )
    os.replace(directory / "manifest.tmp", directory / "manifest.json")
    return SnapshotResult(
        after + 1,
        upto,
        events.num_rows,
        len(person_ids),
        person_ids,
        full,
        places=frozenset(
            v
            for name in ("hukou", "residence")
            for v in pc.unique(changed_persons.column(name)).to_pylist()
            if v
        ),
    )


def snapshot_rebuild(directory: Path | None = None) -> SnapshotResult:
    """Write the snapshot again from scratch."""
    return snapshot_refresh(directory, full=True)


def read_events(directory: Path) -> pa.Table:
    """Every event file of a snapshot as one table, in sequence order."""
    files = sorted((directory / "events").glob("seq-*.parquet"))
    if not files:
        return EVENT_SCHEMA.empty_table()
    return pa.concat_tables([pq.read_table(f) for f in files]).sort_by("seq")
