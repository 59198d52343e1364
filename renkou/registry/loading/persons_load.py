"""Loading the persons file chunk by chunk: check, protect, key, insert, then mend forward links.

A person's id is ``first + row`` (the row's place in the file), so a mother given on a
later row has a known id before her row is read; rows refused leave their id unused. A
link to a row not yet read is recorded (three ints) and, once the whole file is read,
mended if that row was refused: the link is emptied and a warning given, as when the
reference was unknown.
"""

from __future__ import annotations

import array
import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.utils import timezone

from renkou.core.counters import counter_advance
from renkou.core.tabular import iter_tables
from renkou.registry.folding import STATE_FIELDS, compact_state
from renkou.registry.loading import persons as person_rows
from renkou.registry.loading.bulk import bulk_insert, next_id, reset_sequences
from renkou.registry.loading.checks import RowChecker
from renkou.registry.loading.refs import RefIndex
from renkou.registry.models import Event, Household, Person
from renkou.registry.names import name_search_keys
from renkou.registry.services import APPLIED_SEQ

PERSON_COLUMNS = ["id", "person_ref", *STATE_FIELDS, "name_pinyin", "name_initials", "version"]
EVENT_COLUMNS = [
    "kind",
    "status",
    "person_id",
    "orgunit_id",
    "effective_date",
    "report_date",
    "source",
    "payload",
    "historic",
    "external_ref",
    "fingerprint",
    "applied_seq",
    "created_at",
    "decided_at",
    "reject_reason",
]
LINKS = (("mother_ref", "mother_id"), ("father_ref", "father_id"))
QUERY_CHUNK = 5000


def ids_by(model: Any, field: str, values: set[str], *extra: str) -> dict[str, Any]:
    """``{value: id}`` (or ``{value: (id, *extra)}``) of the rows whose ``field`` is a value."""
    out: dict[str, Any] = {}
    wanted = sorted(values - {""})
    for i in range(0, len(wanted), QUERY_CHUNK):
        rows = model.objects.filter(**{f"{field}__in": wanted[i : i + QUERY_CHUNK]})
        for key, *rest in rows.values_list(field, "id", *extra):
            out[key] = rest[0] if not extra else tuple(rest)
    return out


def last_seen(files: dict[str, Path], path: Path, orgunits: dict, rows: int) -> dict[str, str]:
    """For the persons living and registered elsewhere (both codes 6 digits): the village of
    ours where their latest event in the events file was recorded (unusable rows aside)."""
    if "events" not in files:
        return {}
    refs: set[str] = set()
    for table in iter_tables(
        path, rows=rows, columns=["person_ref", "hukou_code", "residence_code"]
    ):
        outside = pc.and_(
            pc.equal(pc.utf8_length(table.column("hukou_code")), 6),
            pc.equal(pc.utf8_length(table.column("residence_code")), 6),
        )
        refs.update(table.filter(outside).column("person_ref").to_pylist())
    if not refs:
        return {}
    wanted = ["person_ref", "orgunit_code", "effective_date"]
    header = set(_header(files["events"]))
    if not set(wanted) <= header:
        return {}  # the events load refuses the file and says why
    value_set = pa.array(sorted(refs))
    latest: dict[str, tuple[str, str]] = {}
    for table in iter_tables(files["events"], rows=rows, columns=wanted):
        mine = table.filter(pc.is_in(table.column("person_ref"), value_set=value_set))
        for ref, unit, day in zip(
            *(mine.column(c).to_pylist() for c in wanted),
            strict=True,
        ):
            usable = unit in orgunits and orgunits[unit][0] == 5 and day
            if usable and (ref not in latest or day >= latest[ref][0]):
                latest[ref] = (day, unit)
    return {ref: unit for ref, (_day, unit) in latest.items()}


def _header(path: Path) -> list[str]:
    from renkou.core.tabular import read_header

    return read_header(path)


def load_persons(
    *,
    files: dict[str, Path],
    orgunits: dict,
    today: datetime.date,
    rows: int,
    result: Any,
    say: Callable[[str], None],
) -> RefIndex:
    """Load the persons file in chunks of ``rows``; return its index (``taken`` = loaded)."""
    file = files["persons"]
    say("persons: indexing references")
    index = RefIndex(
        t.column("person_ref").combine_chunks()
        for t in iter_tables(file, rows=rows, columns=["person_ref"])
    )
    first = index.first_id = next_id(Person)
    seen_outside = last_seen(files, file, orgunits, rows)
    loaded_before = Person.objects.exists()
    households_before = Household.objects.exists()
    check = RowChecker(file.name, today, orgunits)
    seen = person_rows.Seen(index.shared)
    numbers: array.array = array.array("q")
    # Links to rows not read yet: child row, target row, link (0 mother, 1 father).
    ahead: array.array = array.array("q")
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    day = ops.adapt_datefield_value(today)
    created = unchanged = 0
    left = {"dead": 0, "emigrated": 0, "outside": 0}
    first_row = 2
    for table in iter_tables(file, rows=rows):
        say(f"persons: rows {first_row - 1:,}–{first_row - 2 + table.num_rows:,}")
        valid = person_rows.validate_persons(
            table, check, first_row=first_row, seen=seen, numbers=numbers
        )
        end_row = first_row + table.num_rows
        first_row = end_row
        del table
        existing: dict[str, Any] = {}
        if loaded_before:
            existing = ids_by(Person, "person_ref", {r.ref for r in valid})
            prints = dict(
                Event.objects.filter(
                    kind="enrol", external_ref__in=[f"enrol:{r}" for r in existing]
                ).values_list("external_ref", "fingerprint")
            )
        new = []
        for row in valid:
            if row.ref in existing:
                if prints.get(f"enrol:{row.ref}") == row.fingerprint:
                    unchanged += 1
                else:
                    check.add("conflict", row.row, "person_ref", row.ref)
                continue
            if row.unit is None:
                # Living and registered elsewhere: part of the history if an event of theirs
                # was recorded here; the enrolment is recorded where the latest one was.
                row.last_seen = seen_outside.get(row.ref)
                if row.last_seen is None:
                    check.add(
                        "outside_area", row.row, "residence_code", row.state["residence_region"]
                    )
                    continue
            new.append(row)
        for row in new:
            index.taken[row.row - 2] = True
        _link(new, index, ahead, end_row, loaded_before, check)
        homes = (
            ids_by(Household, "number", {r.household_ref for r in new})
            if households_before or "households" in files
            else {}
        )
        for row in new:
            if row.household_ref:
                row.state["household_id"] = homes.get(row.household_ref)
                if row.state["household_id"] is None:
                    check.add(
                        "unknown_ref",
                        row.row,
                        "household_ref",
                        row.household_ref,
                        severity="warning",
                    )
        result.insert_seconds += bulk_insert(
            Person._meta.db_table,
            PERSON_COLUMNS,
            (
                (
                    first + r.row - 2,
                    r.ref,
                    *(r.state[f] for f in STATE_FIELDS),
                    *name_search_keys(r.state["name"]),
                    1,
                )
                for r in new
            ),
        )
        seq = counter_advance(APPLIED_SEQ, by=len(new)) if new else 0
        result.insert_seconds += bulk_insert(
            Event._meta.db_table,
            EVENT_COLUMNS,
            (
                (
                    "enrol",
                    "applied",
                    first + r.row - 2,
                    r.unit,
                    day,
                    day,
                    "load",
                    json.dumps(
                        {"state": compact_state(r.state)},
                        ensure_ascii=False,
                        separators=(",", ":"),
                    ),
                    False,
                    f"enrol:{r.ref}",
                    r.fingerprint,
                    seq + n,
                    now,
                    now,
                    "",
                )
                for n, r in enumerate(new)
            ),
        )
        created += len(new)
        for r in new:
            status = r.state["status"]
            if status in ("dead", "emigrated"):
                left[status] += 1
            elif status == "alive" and not r.state["residence_orgunit_id"]:
                left["outside"] += 1
    reset_sequences(Person)
    _mend(index, ahead, check)
    say("persons: identity numbers given twice")
    person_rows.duplicate_ids(numbers, file, check, chunk=rows)
    result.created["persons"] = created
    result.unchanged["persons"] = unchanged
    result.persons_left = left
    result.problems += check.problems
    return index


def _link(
    new: list[person_rows.PersonRow],
    index: RefIndex,
    ahead: array.array,
    end_row: int,
    loaded_before: bool,
    check: RowChecker,
) -> None:
    """Set the mother and father ids of ``new``; note the links to rows not read yet."""
    for n, (column, target) in enumerate(LINKS):
        refs = [getattr(r, column) for r in new]
        known = ids_by(Person, "person_ref", set(refs)) if loaded_before else {}
        rows = index.first_rows(refs)
        for row, ref, at in zip(new, refs, rows.tolist(), strict=True):
            if not ref:
                continue
            person_id = known.get(ref)
            if person_id is None and at >= 0:
                at = _taken_row(index, ref, at, end_row)
                if at >= 0:
                    person_id = index.first_id + at
                    if at + 2 >= end_row:
                        ahead.extend((row.row, at, n))
            row.state[target] = person_id
            if person_id is None:
                check.add("unknown_ref", row.row, column, ref, severity="warning")


def _taken_row(index: RefIndex, ref: str, at: int, end_row: int) -> int:
    """The row ``ref`` resolves to: the first taken of its rows read so far, else the first
    not read yet (to be confirmed by ``_mend``), else -1."""
    rows = index.rows_of(ref) if ref in index.shared else [at]
    for row in rows:
        if row + 2 >= end_row or index.taken[row]:
            return row
    return -1


def _mend(index: RefIndex, ahead: array.array, check: RowChecker) -> None:
    """Empty the links to rows read later that were refused after all, with a warning."""
    pending = np.frombuffer(ahead, dtype=np.int64).reshape(-1, 3)
    for child, target, n in pending.tolist():
        if index.taken[target]:
            continue
        column, field = LINKS[n]
        ref = index.text(target)
        # Another row of the same reference may have been taken instead.
        other = [r for r in index.rows_of(ref) if index.taken[r]]
        person_id = index.first_id + other[0] if other else None
        child_id = index.first_id + child - 2
        Person.objects.filter(pk=child_id).update(**{field: person_id})
        enrol = Event.objects.get(person_id=child_id, kind="enrol")
        state = enrol.payload["state"]
        state[field] = person_id
        enrol.payload = {"state": compact_state(state)}
        enrol.save(update_fields=["payload"])
        if person_id is None:
            check.add("unknown_ref", child, column, ref, severity="warning")
