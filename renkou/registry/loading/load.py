"""The initial load: validate every row, bulk-insert the valid ones, report the rest.

The whole load is one transaction: a failure leaves the database as it was. Rows that
were loaded before (same reference, same content) are skipped, so loading a file twice
changes nothing; the same reference with other content is refused as a conflict.
"""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction
from django.utils import timezone

from renkou.core.audit import audit_record
from renkou.core.counters import counter_advance
from renkou.core.problems import InputRefused, Problem, problem
from renkou.core.tabular import check_columns, find_file, read_table
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.services import orgunits_load
from renkou.registry.folding import STATE_FIELDS, compact_state
from renkou.registry.loading import events as event_rows
from renkou.registry.loading import persons as person_rows
from renkou.registry.loading.bulk import bulk_insert, deferred_indexes, next_id, reset_sequences
from renkou.registry.loading.checks import RowChecker
from renkou.registry.loading.widowhoods import derive_widowhoods
from renkou.registry.models import Event, Household, Person
from renkou.registry.names import name_search_keys
from renkou.registry.services import APPLIED_SEQ

Progress = Callable[[str], None]


@dataclass
class LoadResult:
    """Counts of what a load created or found unchanged, and every problem found."""

    created: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    insert_seconds: float = 0.0  # time in the bulk inserts themselves (building rows included)
    # Of the persons loaded, those who left: {"dead": n, "emigrated": n, "outside": n}, where
    # "outside" counts the living whose residence is outside the county.
    persons_left: dict[str, int] = field(default_factory=dict)
    widowhoods: int = 0  # widowhood events recorded from the deaths in the history

    @property
    def errors(self) -> int:
        """Rows refused."""
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        """Rows loaded with a remark (e.g. an unknown mother reference left empty)."""
        return sum(1 for p in self.problems if p.severity == "warning")


def _files(path: Path) -> dict[str, Path]:
    if path.is_file():
        return {"persons": path}
    if not path.is_dir():
        raise InputRefused([problem("file_missing", file=str(path), value=str(path))])
    found = {
        base: find_file(path, base) for base in ("orgunits", "households", "persons", "events")
    }
    if found["persons"] is None:
        raise InputRefused([problem("file_missing", file=path.name, value="persons.csv")])
    return {k: v for k, v in found.items() if v is not None}


def _orgunit_map() -> dict[str, tuple[int, datetime.date, datetime.date | None]]:
    return {
        code: (level, vf, vt)
        for code, level, vf, vt in OrgUnit.objects.values_list(
            "code", "level", "valid_from", "valid_to"
        )
    }


@contextlib.contextmanager
def _large_write_cache() -> Iterator[None]:
    """On SQLite, give the load a 1 GiB page cache: index pages of a million random keys
    (blind indexes) no longer fall out of the default 64 MiB cache between inserts."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size=-1048576")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size={int(before)}")


def _read(path: Path, required: set[str], optional: set[str]) -> Any:
    table = read_table(path)
    check_columns(table, file=path.name, required=required, optional=optional)
    return table


def registry_load(
    *, path: Path, actor: Any, today: datetime.date | None = None, progress: Progress | None = None
) -> LoadResult:
    """Load a directory of load files (or one persons file); see docs/load-format.md."""
    say = progress or (lambda _msg: None)
    today = today or timezone.localdate()
    files = _files(path)
    result = LoadResult()
    with transaction.atomic(), _large_write_cache():
        if "orgunits" in files:
            say("orgunits")
            units = orgunits_load(path=files["orgunits"], actor=actor)
            result.created["orgunits"] = units.created
            result.unchanged["orgunits"] = units.unchanged
            result.problems += units.problems
        orgunits = _orgunit_map()
        # An initial load into an empty register builds its indexes once at the end.
        initial = not Person.objects.exists()
        with deferred_indexes(
            Person._meta.db_table,
            Event._meta.db_table,
            when=initial,
            keep_columns=frozenset({"mother_id", "father_id", "person_id"}),
        ):
            household_ids = _load_households(files, orgunits, today, result, say)
            person_ids = _load_persons(files, orgunits, household_ids, today, result, say)
            _load_events(files, orgunits, person_ids, today, result, say)
            if initial:
                say("building indexes")
        if any(result.created.values()):
            audit_record(
                actor=actor,
                action="registry.load",
                object_type="load",
                object_id=path.name,
                after={
                    "files": {k: v.name for k, v in files.items()},
                    "created": result.created,
                    "unchanged": result.unchanged,
                    "errors": result.errors,
                    "warnings": result.warnings,
                },
            )
    if any(result.created.values()):
        # Fresh statistics so the query planner knows, e.g., that "kind = birth" matches a
        # large share of the events and a person's index is the one to use.
        say("updating statistics")
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return result


def _load_households(
    files: dict[str, Path], orgunits: dict, today: datetime.date, result: LoadResult, say: Progress
) -> dict[str, int]:
    existing = dict(Household.objects.values_list("number", "id"))
    if "households" not in files:
        return existing
    say("households")
    file = files["households"]
    table = _read(file, person_rows.HOUSEHOLD_REQUIRED, person_rows.HOUSEHOLD_OPTIONAL)
    check = RowChecker(file.name, today, orgunits)
    rows = person_rows.validate_households(table, check)
    current = {
        h[0]: h[1:]
        for h in Household.objects.values_list("number", "orgunit_id", "address", "hukou_type")
    }
    new = []
    unchanged = 0
    for ref, row in rows.items():
        if ref in current:
            if current[ref] == (row.orgunit, row.address, row.hukou_type):
                unchanged += 1
            else:
                check.add("conflict", 0, "household_ref", ref)
            continue
        new.append(row)
    first = next_id(Household)
    ids = {row.ref: first + n for n, row in enumerate(new)}
    result.insert_seconds += bulk_insert(
        Household._meta.db_table,
        ["id", "number", "orgunit_id", "address", "hukou_type"],
        ((ids[r.ref], r.ref, r.orgunit, r.address, r.hukou_type) for r in new),
    )
    reset_sequences(Household)
    result.created["households"] = len(new)
    result.unchanged["households"] = unchanged
    result.problems += check.problems
    return {**existing, **ids}


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


def _load_persons(
    files: dict[str, Path],
    orgunits: dict,
    household_ids: dict[str, int],
    today: datetime.date,
    result: LoadResult,
    say: Progress,
) -> dict[str, int]:
    say("persons: reading")
    file = files["persons"]
    table = _read(file, person_rows.PERSON_REQUIRED, person_rows.PERSON_OPTIONAL)
    check = RowChecker(file.name, today, orgunits)
    say(f"persons: checking {table.num_rows} rows")
    rows = person_rows.validate_persons(table, check)
    del table
    existing = dict(Person.objects.exclude(person_ref=None).values_list("person_ref", "id"))
    prints = dict(Event.objects.filter(kind="enrol").values_list("external_ref", "fingerprint"))
    new = []
    unchanged = 0
    for row in rows:
        if row.ref in existing:
            if prints.get(f"enrol:{row.ref}") == row.fingerprint:
                unchanged += 1
            else:
                check.add("conflict", row.row, "person_ref", row.ref)
            continue
        new.append(row)
    # A person living and registered elsewhere is part of the history if an event of theirs
    # was recorded here; the enrolment is recorded where the latest one was.
    gone = {row.ref for row in new if row.unit is None}
    if gone:
        last_seen = _last_seen(files, gone, orgunits)
        placed = []
        for row in new:
            if row.unit is None:
                row.last_seen = last_seen.get(row.ref)
                if row.last_seen is None:
                    check.add(
                        "outside_area", row.row, "residence_code", row.state["residence_region"]
                    )
                    continue
            placed.append(row)
        new = placed
    first = next_id(Person)
    ids = {**existing, **{row.ref: first + n for n, row in enumerate(new)}}
    for row in new:
        state = row.state
        for column, ref, target in (
            ("mother_ref", row.mother_ref, "mother_id"),
            ("father_ref", row.father_ref, "father_id"),
        ):
            if ref:
                state[target] = ids.get(ref)
                if state[target] is None:
                    check.add("unknown_ref", row.row, column, ref, severity="warning")
        if row.household_ref:
            state["household_id"] = household_ids.get(row.household_ref)
            if state["household_id"] is None:
                check.add(
                    "unknown_ref", row.row, "household_ref", row.household_ref, severity="warning"
                )
    say(f"persons: writing {len(new)}")
    ops = connection.ops
    result.insert_seconds += bulk_insert(
        Person._meta.db_table,
        PERSON_COLUMNS,
        (
            (
                ids[r.ref],
                r.ref,
                *(r.state[f] for f in STATE_FIELDS),
                *name_search_keys(r.state["name"]),
                1,
            )
            for r in new
        ),
    )
    reset_sequences(Person)
    now = ops.adapt_datetimefield_value(timezone.now())
    day = ops.adapt_datefield_value(today)
    seq = counter_advance(APPLIED_SEQ, by=len(new)) if new else 0
    result.insert_seconds += bulk_insert(
        Event._meta.db_table,
        EVENT_COLUMNS,
        (
            (
                "enrol",
                "applied",
                ids[r.ref],
                r.unit,
                day,
                day,
                "load",
                json.dumps(
                    {"state": compact_state(r.state)}, ensure_ascii=False, separators=(",", ":")
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
    result.created["persons"] = len(new)
    result.unchanged["persons"] = unchanged
    result.persons_left = {
        "dead": sum(1 for r in new if r.state["status"] == "dead"),
        "emigrated": sum(1 for r in new if r.state["status"] == "emigrated"),
        "outside": sum(
            1 for r in new if r.state["status"] == "alive" and not r.state["residence_orgunit_id"]
        ),
    }
    result.problems += check.problems
    return ids


def _last_seen(files: dict[str, Path], refs: set[str], orgunits: dict) -> dict[str, str]:
    """For each of ``refs``: the village of ours where their latest event in the events
    file was recorded (rows the events load would refuse aside)."""
    if "events" not in files:
        return {}
    table = read_table(files["events"])
    if not {"person_ref", "orgunit_code", "effective_date"} <= set(table.column_names):
        return {}  # the events load refuses the file and says why
    mine = table.filter(pc.is_in(table.column("person_ref"), value_set=pa.array(sorted(refs))))
    latest: dict[str, tuple[str, str]] = {}
    for ref, unit, day in zip(
        mine.column("person_ref").to_pylist(),
        mine.column("orgunit_code").to_pylist(),
        mine.column("effective_date").to_pylist(),
        strict=True,
    ):
        usable = unit in orgunits and orgunits[unit][0] == 5 and day
        if usable and (ref not in latest or day >= latest[ref][0]):
            latest[ref] = (day, unit)
    return {ref: unit for ref, (_day, unit) in latest.items()}


def _load_events(
    files: dict[str, Path],
    orgunits: dict,
    person_ids: dict[str, int],
    today: datetime.date,
    result: LoadResult,
    say: Progress,
) -> None:
    if "events" not in files:
        return
    say("events: reading")
    file = files["events"]
    table = _read(file, event_rows.EVENT_REQUIRED, event_rows.EVENT_OPTIONAL)
    check = RowChecker(file.name, today, orgunits)
    rows = event_rows.validate_events(table, check)
    del table
    prints = dict(
        Event.objects.filter(external_ref__startswith="load:").values_list(
            "external_ref", "fingerprint"
        )
    )
    resolved = []
    for row in rows:
        spouse = person_ids.get(row.spouse_ref) if row.spouse_ref else None
        if spouse is not None:
            row.payload["spouse_id"] = spouse
        resolved.append((person_ids.get(row.person_ref), row))
    derived = derive_widowhoods([(pid, row) for pid, row in resolved if pid is not None])
    new = []
    unchanged = 0
    for n, (person_id, row) in enumerate([*resolved, *derived]):
        key = f"load:{row.ref}"
        if key in prints:
            if prints[key] == row.fingerprint:
                unchanged += n < len(resolved)
            else:
                check.add("conflict", row.row, "event_ref", row.ref)
            continue
        if person_id is None:
            check.add("unknown_ref", row.row, "person_ref", row.person_ref)
            continue
        if row.spouse_ref and "spouse_id" not in row.payload:
            check.add("unknown_ref", row.row, "spouse_ref", row.spouse_ref, severity="warning")
        new.append((person_id, row))
    result.widowhoods = sum(1 for _pid, row in new if row.ref.startswith("widowhood:"))
    # History is numbered in the order it happened, so snapshots replay it in that order.
    new.sort(key=lambda item: (item[1].effective_date, item[1].row))
    say(f"events: writing {len(new)}")
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    seq = counter_advance(APPLIED_SEQ, by=len(new)) if new else 0
    result.insert_seconds += bulk_insert(
        Event._meta.db_table,
        EVENT_COLUMNS,
        (
            (
                r.kind,
                "applied",
                pid,
                r.orgunit,
                ops.adapt_datefield_value(r.effective_date),
                ops.adapt_datefield_value(r.report_date),
                r.source,
                json.dumps(r.payload, ensure_ascii=False, separators=(",", ":")),
                True,
                f"load:{r.ref}",
                r.fingerprint,
                seq + n,
                now,
                now,
                "",
            )
            for n, (pid, r) in enumerate(new)
        ),
    )
    result.created["events"] = len(new) - result.widowhoods
    result.unchanged["events"] = unchanged
    result.problems += check.problems
