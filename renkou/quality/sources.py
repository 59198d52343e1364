"""Filling the rule engine's input relations from the register.

``neighbourhood`` gathers what the rules need to judge one person (parents, the mother's
other children, the household, holders of the same identity number, the person's events,
the org units involved) in a few indexed queries; ``register_tables`` reads the whole
register column by column for the bulk mode. Identity numbers are decrypted only for the
persons being checked, and only in memory.
"""

from __future__ import annotations

import datetime
import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from django.db import connection
from django.db.models import Q

from renkou.core import crypto
from renkou.orgunits.models import OrgUnit
from renkou.quality.features import (
    EVENT_SCHEMA,
    ORGUNIT_SCHEMA,
    PERSON_SCHEMA,
    SUBJECT_SCHEMA,
)
from renkou.registry.choices import EventKind, EventStatus
from renkou.registry.models import Event, Person

# The id a person being born gets in the engine's tables (no row in the register has it).
NEW_PERSON = -1
# Register column -> engine column.
PERSON_COLUMNS = {
    "id": "id",
    "name": "name",
    "sex": "sex",
    "birth_date": "birth_date",
    "ethnicity": "ethnicity",
    "id_number_hash": "id_hash",
    "id_number_enc": "id_number",
    "id_number_masked": "id_number_masked",
    "hukou_orgunit_id": "hukou_orgunit",
    "hukou_region": "hukou_region",
    "hukou_type": "hukou_type",
    "residence_orgunit_id": "residence_orgunit",
    "residence_region": "residence_region",
    "marital_status": "marital_status",
    "mother_id": "mother",
    "father_id": "father",
    "birth_order": "birth_order",
    "status": "status",
    "death_date": "death_date",
    "household_id": "household",
    "relation_to_head": "relation_to_head",
}
EVENT_COLUMNS = ("person_id", "kind", "effective_date", "report_date", "orgunit_id")
CHUNK = 50_000


def decrypt_or_none(token: str | None) -> str | None:
    """The identity number sealed in ``token``; None if there is none or it cannot be read."""
    if not token:
        return None
    try:
        return crypto.decrypt(token)
    except (crypto.DecryptionError, crypto.KeyringError):
        return None


def _date(value: Any) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if -(2**62) < number < 2**62 else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "id": _int,
    "birth_date": _date,
    "death_date": _date,
    "mother": _int,
    "father": _int,
    "household": _int,
    "birth_order": lambda v: n if (n := _int(v)) is not None and -(2**31) < n < 2**31 else None,
}


def person_row(state: dict[str, Any], person_id: int, *, clear_id: str | None) -> dict[str, Any]:
    """An engine row from a person's state (register field names, JSON-native values)."""
    row: dict[str, Any] = {}
    for field, column in PERSON_COLUMNS.items():
        value = person_id if field == "id" else state.get(field)
        row[column] = _CONVERT.get(column, _text)(value)
    row["id_number"] = clear_id
    return row


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


@dataclass
class Neighbourhood:
    """What the rules need to judge one person: related persons, events, org units."""

    subject: int
    persons: list[dict[str, Any]]
    events: list[dict[str, Any]]
    units: dict[str, dict[str, Any]]

    def tables(self) -> dict[str, pa.Table]:
        """The same data as the engine's input relations (to run the bulk query on it)."""
        return {
            "q_person": _table(self.persons, PERSON_SCHEMA),
            "q_event": _table(self.events, EVENT_SCHEMA),
            "q_orgunit": _table(list(self.units.values()), ORGUNIT_SCHEMA),
            "q_subject": _table([{"id": self.subject}], SUBJECT_SCHEMA),
        }


def neighbourhood(
    state: dict[str, Any],
    person_id: int,
    *,
    clear_id: str | None,
    extra_events: Iterable[dict[str, Any]] = (),
) -> Neighbourhood:
    """Read what judging one person in ``state`` (saved or not) needs, in three queries."""
    row = person_row(state, person_id, clear_id=clear_id)
    related = Q(pk__in=[i for i in (row["mother"], row["father"]) if i is not None])
    if row["mother"] is not None:
        related |= Q(mother_id=row["mother"])
    if row["id_hash"]:
        related |= Q(id_number_hash=row["id_hash"])
    if row["household"] is not None:
        related |= Q(household_id=row["household"])
    others = [
        person_row(r, r["id"], clear_id=None)
        for r in Person.objects.filter(related).exclude(pk=person_id).values(*PERSON_COLUMNS)
    ]
    events: list[dict[str, Any]] = []
    if person_id != NEW_PERSON:
        events = [
            dict(zip(EVENT_SCHEMA.names, r, strict=True))
            for r in Event.objects.filter(person_id=person_id, status=EventStatus.APPLIED)
            .exclude(kind="enrol")
            .values_list(*EVENT_COLUMNS)
        ]
    events += [
        {
            "person": person_id,
            "kind": _text(e.get("kind")),
            "effective_date": _date(e.get("effective_date")),
            "report_date": _date(e.get("report_date")),
            "orgunit": _text(e.get("orgunit")),
        }
        for e in extra_events
    ]
    codes = {row["residence_orgunit"], row["hukou_orgunit"]} | {e["orgunit"] for e in events}
    units = {
        u["code"]: u
        for u in OrgUnit.objects.filter(code__in=[c for c in codes if c]).values(
            "code", "level", "valid_from", "valid_to"
        )
    }
    return Neighbourhood(person_id, [row, *others], events, units)


def _read_columns(
    sql: str,
    schema: pa.Schema,
    convert: dict[str, Callable[[list[Any]], list[Any]]] | None = None,
    params: list[Any] | None = None,
) -> pa.Table:
    """Run ``sql`` on the register's database; its rows as an Arrow table of ``schema``.

    Rows become Arrow arrays chunk by chunk, so that only one chunk of Python objects is
    alive at a time (a million persons as Python tuples would take gigabytes). Date columns
    are selected as ISO text (see ``_as_text``) and parsed by Arrow, not row by row.
    """
    convert = convert or {}
    batches = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            arrays = []
            for field, values in zip(schema, zip(*rows, strict=True), strict=True):
                fn = convert.get(field.name)
                column = list(values) if fn is None else fn(list(values))
                if pa.types.is_date32(field.type):
                    arrays.append(pa.array(column, type=pa.string()).cast(pa.date32()))
                else:
                    arrays.append(pa.array(column, type=field.type))
            batches.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


def _as_text(column: str) -> str:
    """A date column selected as ISO text (skips the driver's per-value date conversion)."""
    return f"CAST({column} AS TEXT)"


def _iso_dates(values: list[Any]) -> list[str | None]:
    return [v.isoformat() if isinstance(v, datetime.date) else v for v in values]


def _decrypt_column(tokens: list[str | None]) -> list[str | None]:
    return crypto.default_protector().decrypt_many(tokens)


class _Decryption:
    """Identity numbers decrypted in a forked child while this process reads the rest.

    Decryption costs a few seconds per million persons; overlapping it with the read of the
    other columns saves most of that where a second core is free. A person whose token was
    not read with the others (added in between) is decrypted here when the result is taken.
    """

    def __init__(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, id_number_enc FROM {Person._meta.db_table}")  # noqa: S608
            pairs = cursor.fetchall()
        self.ids = [i for i, _ in pairs]
        tokens = [t for _, t in pairs]
        del pairs
        self.protector = crypto.default_protector()  # built before the fork: inherited
        self.pool: ProcessPoolExecutor | None = None
        if "fork" in multiprocessing.get_all_start_methods():
            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            self.future = self.pool.submit(_decrypt_column, tokens)
        else:
            self.clear = self.protector.decrypt_many(tokens)

    def numbers(self, person_ids: list[int]) -> list[str | None]:
        """The clear numbers of ``person_ids``, in that order."""
        clear = self.future.result() if self.pool else self.clear
        by_id = dict(zip(self.ids, clear, strict=True))
        missing = [i for i in person_ids if i not in by_id]
        if missing:
            late = Person.objects.filter(pk__in=missing).values_list("pk", "id_number_enc")
            by_id.update((pk, decrypt_or_none(token)) for pk, token in late)
        return [by_id.get(i) for i in person_ids]

    def close(self) -> None:
        """Stop the child process."""
        if self.pool:
            self.pool.shutdown(cancel_futures=True)


def register_tables() -> dict[str, pa.Table]:
    """The whole register as the engine's input relations (bulk mode)."""
    dates = {"birth_date", "death_date"}
    db_cols = [
        "NULL"
        if c == "id_number_enc"
        else _as_text(c)
        if c in dates
        else Person._meta.get_field(c.removesuffix("_id")).column
        for c in PERSON_COLUMNS
    ]
    decryption = _Decryption()
    try:
        persons = _read_columns(
            f"SELECT {', '.join(db_cols)} FROM {Person._meta.db_table}",  # noqa: S608
            PERSON_SCHEMA,
            {"birth_date": _iso_dates, "death_date": _iso_dates},
        )
        clear = decryption.numbers(persons.column("id").to_pylist())
    finally:
        decryption.close()
    persons = persons.set_column(
        PERSON_SCHEMA.get_field_index("id_number"),
        PERSON_SCHEMA.field("id_number"),
        pa.array(clear, type=pa.string()),
    )
    event_cols = [_as_text(c) if c.endswith("_date") else c for c in EVENT_COLUMNS]
    # Listing the kinds (all but enrolment) lets the (kind, date) index skip the million
    # enrolment rows instead of reading them.
    kinds = ", ".join(f"'{k}'" for k in EventKind.values if k != EventKind.ENROL)
    events = _read_columns(
        f"SELECT {', '.join(event_cols)} FROM {Event._meta.db_table} "  # noqa: S608
        f"WHERE kind IN ({kinds}) AND status = 'applied' AND person_id IS NOT NULL",
        EVENT_SCHEMA,
        {"effective_date": _iso_dates, "report_date": _iso_dates},
    )
    units = _table(
        list(OrgUnit.objects.values("code", "level", "valid_from", "valid_to")), ORGUNIT_SCHEMA
    )
    return {"q_person": persons, "q_event": events, "q_orgunit": units}
