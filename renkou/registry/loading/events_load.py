"""Loading the historic events file in two passes over its chunks.

History is numbered in the order it happened (effective date, then file row), so that
snapshots replay it in that order; a file need not be in that order. The first pass
checks every row, resolves its person and spouse and keeps, per row, three numbers
(person id, spouse id, day) in numpy arrays, plus what the widowhoods need. Sorting those
arrays gives each new event its place: its id and its ``applied_seq``. The second pass
reads the file again and inserts the new rows with those ids, chunk by chunk.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from renkou.core.counters import counter_advance
from renkou.core.tabular import iter_tables
from renkou.registry.loading import events as event_rows
from renkou.registry.loading.bulk import bulk_insert, next_id, reset_sequences
from renkou.registry.loading.checks import RowChecker
from renkou.registry.loading.persons import Seen
from renkou.registry.loading.persons_load import EVENT_COLUMNS, QUERY_CHUNK, ids_by
from renkou.registry.loading.refs import RefIndex
from renkou.registry.loading.widowhoods import Widowhoods
from renkou.registry.models import Event, Person
from renkou.registry.services import APPLIED_SEQ

NONE = -1


def person_ids(refs: list[str], persons: RefIndex | None, loaded_before: bool) -> np.ndarray:
    """The person id of each of ``refs`` (loaded now, or before this load), else -1."""
    out = np.full(len(refs), NONE, dtype=np.int64)
    if persons is not None:
        rows = persons.first_rows(refs)
        for i, (ref, row) in enumerate(zip(refs, rows.tolist(), strict=True)):
            if row < 0:
                continue
            if ref in persons.shared:
                taken = [r for r in persons.rows_of(ref) if persons.taken[r]]
                row = taken[0] if taken else NONE
            if row >= 0 and persons.taken[row]:
                out[i] = persons.first_id + row
    if loaded_before:
        missing = {ref for ref, pid in zip(refs, out.tolist(), strict=True) if pid < 0}
        known = ids_by(Person, "person_ref", missing)
        for i, ref in enumerate(refs):
            if out[i] < 0 and ref in known:
                out[i] = known[ref]
    return out


def _prints(keys: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in range(0, len(keys), QUERY_CHUNK):
        out.update(
            Event.objects.filter(external_ref__in=keys[i : i + QUERY_CHUNK]).values_list(
                "external_ref", "fingerprint"
            )
        )
    return out


def load_events(
    *,
    files: dict[str, Path],
    orgunits: dict,
    persons: RefIndex | None,
    persons_before: bool,
    today: datetime.date,
    rows: int,
    result: Any,
    say: Callable[[str], None],
) -> None:
    """Load the events file (if any) in chunks of ``rows``."""
    if "events" not in files:
        return
    file = files["events"]
    say("events: indexing references")
    index = RefIndex(
        t.column("event_ref").combine_chunks()
        for t in iter_tables(file, rows=rows, columns=["event_ref"])
    )
    n = len(index)
    pid = np.full(n, NONE, dtype=np.int64)
    spouse = np.full(n, NONE, dtype=np.int64)
    day = np.zeros(n, dtype=np.int32)
    new = np.zeros(n, dtype=bool)
    check = RowChecker(file.name, today, orgunits)
    seen = Seen(index.shared)
    events_before = Event.objects.filter(external_ref__startswith="load:").exists()
    widowhoods = Widowhoods()
    unchanged = 0
    first_row = 2
    for table in iter_tables(file, rows=rows):
        say(f"events: checking rows {first_row - 1:,}–{first_row - 2 + table.num_rows:,}")
        valid = event_rows.validate_events(table, check, first_row=first_row, seen=seen)
        first_row += table.num_rows
        ids = person_ids([r.person_ref for r in valid], persons, persons_before)
        spouses = person_ids([r.spouse_ref for r in valid], persons, persons_before)
        prints = _prints([f"load:{r.ref}" for r in valid]) if events_before else {}
        for row, person_id, spouse_id in zip(valid, ids.tolist(), spouses.tolist(), strict=True):
            at = row.row - 2
            if person_id >= 0:
                widowhoods.add(person_id, row, spouse_id if spouse_id >= 0 else None)
            key = f"load:{row.ref}"
            if key in prints:
                if prints[key] == row.fingerprint:
                    unchanged += 1
                else:
                    check.add("conflict", row.row, "event_ref", row.ref)
                continue
            if person_id < 0:
                check.add("unknown_ref", row.row, "person_ref", row.person_ref)
                continue
            if row.spouse_ref and spouse_id < 0:
                check.add("unknown_ref", row.row, "spouse_ref", row.spouse_ref, severity="warning")
            pid[at], spouse[at], day[at], new[at] = (
                person_id,
                spouse_id,
                row.effective_date.toordinal(),
                True,
            )
    say("events: widowhoods")
    derived = []
    found = widowhoods.derive()
    del widowhoods
    prints = _prints([f"load:{r.ref}" for _pid, r in found]) if events_before else {}
    for survivor, row in found:
        key = f"load:{row.ref}"
        if key in prints:
            if prints[key] != row.fingerprint:
                check.add("conflict", row.row, "event_ref", row.ref)
            continue
        derived.append((survivor, row))
    # Each new event's place in the history: by day, then row, a derived widowhood after
    # the death it follows from.
    rows_new = np.flatnonzero(new)
    order = np.lexsort(
        (
            np.concatenate([np.zeros(len(rows_new), np.int64), np.arange(1, len(derived) + 1)]),
            np.concatenate([rows_new, [r.row - 2 for _s, r in derived]]).astype(np.int64),
            np.concatenate(
                [day[rows_new], [r.effective_date.toordinal() for _s, r in derived]]
            ).astype(np.int64),
        )
    )
    del day
    place = np.empty(len(order), dtype=np.int64)
    place[order] = np.arange(len(order))
    rank = np.full(n, NONE, dtype=np.int64)
    rank[rows_new] = place[: len(rows_new)]
    total = len(order)
    first_id = next_id(Event)
    seq = counter_advance(APPLIED_SEQ, by=total) if total else 0
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())

    def values(place: int, person_id: int, r: event_rows.EventRow) -> tuple:
        return (
            first_id + place,
            r.kind,
            "applied",
            person_id,
            r.orgunit,
            ops.adapt_datefield_value(r.effective_date),
            ops.adapt_datefield_value(r.report_date),
            r.source,
            json.dumps(r.payload, ensure_ascii=False, separators=(",", ":")),
            True,
            f"load:{r.ref}",
            r.fingerprint,
            seq + place,
            now,
            now,
            "",
        )

    columns = ["id", *EVENT_COLUMNS]
    quiet = RowChecker(file.name, today, orgunits)
    seen = Seen(index.shared)
    first_row = 2
    for table in iter_tables(file, rows=rows):
        say(f"events: writing rows {first_row - 1:,}–{first_row - 2 + table.num_rows:,}")
        valid = event_rows.validate_events(table, quiet, first_row=first_row, seen=seen)
        quiet.problems.clear()
        first_row += table.num_rows
        chunk = []
        for r in valid:
            at = r.row - 2
            if not new[at]:
                continue
            if spouse[at] >= 0:
                r.payload["spouse_id"] = int(spouse[at])
            chunk.append(values(int(rank[at]), int(pid[at]), r))
        result.insert_seconds += bulk_insert(Event._meta.db_table, columns, chunk)
    result.insert_seconds += bulk_insert(
        Event._meta.db_table,
        columns,
        [
            values(int(place[len(rows_new) + k]), survivor, r)
            for k, (survivor, r) in enumerate(derived)
        ],
    )
    reset_sequences(Event)
    result.widowhoods = len(derived)
    result.created["events"] = len(rows_new)
    result.unchanged["events"] = unchanged
    result.problems += check.problems
