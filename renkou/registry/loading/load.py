"""The initial load: validate every row, bulk-insert the valid ones, report the rest.

The whole load is one transaction: a failure leaves the database as it was. Rows that
were loaded before (same reference, same content) are skipped, so loading a file twice
changes nothing; the same reference with other content is refused as a conflict.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from renkou.core.audit import audit_record
from renkou.core.problems import InputRefused, Problem, problem
from renkou.core.tabular import check_names, find_file, iter_tables, read_header
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.services import orgunits_load
from renkou.registry.loading import events as event_rows
from renkou.registry.loading import persons as person_rows
from renkou.registry.loading.bulk import bulk_insert, deferred_indexes, next_id, reset_sequences
from renkou.registry.loading.checks import RowChecker
from renkou.registry.loading.events_load import load_events
from renkou.registry.loading.persons_load import load_persons
from renkou.registry.loading.refs import RefIndex
from renkou.registry.models import Event, Household, Person

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
    """On SQLite, give the load a larger page cache (``RENKOU_LOAD_SQLITE_CACHE_MIB``): index
    pages of a million random keys (blind indexes) no longer fall out of the default 64 MiB
    cache between inserts. It counts in the load's memory, within the 1.5 GB bound."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size=-{int(settings.RENKOU_LOAD_SQLITE_CACHE_MIB) * 1024}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size={int(before)}")


def chunk_rows() -> int:
    """Rows read, checked and inserted at a time (``RENKOU_LOAD_CHUNK_ROWS``)."""
    return max(1, int(settings.RENKOU_LOAD_CHUNK_ROWS))


def _check_header(path: Path, required: set[str], optional: set[str]) -> None:
    check_names(read_header(path), file=path.name, required=required, optional=optional)


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
            persons_before = not initial
            for name, required, optional in (
                ("households", person_rows.HOUSEHOLD_REQUIRED, person_rows.HOUSEHOLD_OPTIONAL),
                ("persons", person_rows.PERSON_REQUIRED, person_rows.PERSON_OPTIONAL),
                ("events", event_rows.EVENT_REQUIRED, event_rows.EVENT_OPTIONAL),
            ):
                if name in files:
                    _check_header(files[name], required, optional)
            _load_households(files, orgunits, today, result, say)
            persons = load_persons(
                files=files,
                orgunits=orgunits,
                today=today,
                rows=chunk_rows(),
                result=result,
                say=say,
            )
            load_events(
                files=files,
                orgunits=orgunits,
                persons=persons,
                persons_before=persons_before,
                today=today,
                rows=chunk_rows(),
                result=result,
                say=say,
            )
            del persons
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
) -> RefIndex | None:
    """Load the households file chunk by chunk; return its index (ids: ``first + row``)."""
    if "households" not in files:
        return None
    say("households")
    file = files["households"]
    _check_header(file, person_rows.HOUSEHOLD_REQUIRED, person_rows.HOUSEHOLD_OPTIONAL)
    index = RefIndex(
        t.column("household_ref").combine_chunks()
        for t in iter_tables(file, rows=chunk_rows(), columns=["household_ref"])
    )
    index.first_id = next_id(Household)
    check = RowChecker(file.name, today, orgunits)
    seen = person_rows.Seen(index.shared)
    loaded_before = Household.objects.exists()
    created = unchanged = 0
    first_row = 2
    for table in iter_tables(file, rows=chunk_rows()):
        rows = person_rows.validate_households(table, check, first_row=first_row, seen=seen)
        first_row += table.num_rows
        current = {}
        if loaded_before:
            current = {
                h[0]: h[1:]
                for h in Household.objects.filter(number__in=[r.ref for r in rows]).values_list(
                    "number", "orgunit_id", "address", "hukou_type"
                )
            }
        new = []
        for row in rows:
            if row.ref in current:
                if current[row.ref] == (row.orgunit, row.address, row.hukou_type):
                    unchanged += 1
                else:
                    check.add("conflict", 0, "household_ref", row.ref)
                continue
            new.append(row)
        for row in new:
            index.taken[row.row - 2] = True
        result.insert_seconds += bulk_insert(
            Household._meta.db_table,
            ["id", "number", "orgunit_id", "address", "hukou_type"],
            ((index.first_id + r.row - 2, r.ref, r.orgunit, r.address, r.hukou_type) for r in new),
        )
        created += len(new)
    reset_sequences(Household)
    result.created["households"] = created
    result.unchanged["households"] = unchanged
    result.problems += check.problems
    return index
