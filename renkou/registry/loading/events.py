"""Validating the historic events load file."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from renkou.registry.loading.checks import Place, RowChecker
from renkou.registry.loading.persons import Seen, row_fingerprint

KINDS = {
    k: k
    for k in (
        "birth",
        "death",
        "move_in",
        "move_out",
        "hukou_in",
        "hukou_out",
        "marriage",
        "divorce",
        "widowhood",
        "correction",
    )
}
SOURCES = {
    s: s for s in ("village", "hospital", "police", "school", "civil_affairs", "api", "load")
}
EVENT_REQUIRED = {"event_ref", "kind", "person_ref", "effective_date", "orgunit_code"}
EVENT_OPTIONAL = {"report_date", "source", "from_code", "to_code", "spouse_ref"}


@dataclass
class EventRow:
    """A valid historic event row; person and spouse references still to resolve."""

    row: int
    ref: str
    kind: str
    person_ref: str
    spouse_ref: str
    effective_date: datetime.date
    report_date: datetime.date
    source: str
    orgunit: str
    payload: dict[str, Any]
    fingerprint: str


def _place_payload(prefix: str, place: Place | None) -> dict[str, str]:
    if place is None:
        return {}
    if place.orgunit:
        return {f"{prefix}_orgunit": place.orgunit}
    return {f"{prefix}_region": place.region}


def validate_events(
    table: pa.Table, check: RowChecker, *, first_row: int, seen: Seen
) -> list[EventRow]:
    """Valid event rows of a chunk whose first row is ``first_row``; problems to ``check``."""
    names = sorted(table.column_names)
    cols = {name: table.column(name).to_pylist() for name in names}
    empty = [""] * table.num_rows
    get = lambda name: cols.get(name, empty)  # noqa: E731
    out: list[EventRow] = []
    for i, (
        values,
        ref,
        kind_text,
        person_ref,
        effective_text,
        report_text,
        source_text,
        unit,
        from_code,
        to_code,
        spouse_ref,
    ) in enumerate(
        zip(
            zip(*[cols[n] for n in names], strict=True),
            get("event_ref"),
            get("kind"),
            get("person_ref"),
            get("effective_date"),
            get("report_date"),
            get("source"),
            get("orgunit_code"),
            get("from_code"),
            get("to_code"),
            get("spouse_ref"),
            strict=True,
        ),
        start=first_row,
    ):
        before = len(check.problems)
        if not ref:
            check.add("required", i, "event_ref")
        elif seen.again(ref):
            check.add("duplicate_key", i, "event_ref", ref)
        kind = (
            check.choice(kind_text, i, "kind", KINDS)
            if kind_text
            else check.add("required", i, "kind")
        )
        if not person_ref:
            check.add("required", i, "person_ref")
        effective = check.date(effective_text, i, "effective_date", required=True)
        report = check.date(report_text, i, "report_date", required=False)
        if effective and report and report < effective:
            check.add("report_before_event", i, "report_date", report_text)
        source = check.choice(source_text, i, "source", SOURCES, default="load")
        place = check.place(unit, i, "orgunit_code", required=True, leaf=True)
        if place and place.orgunit is None:
            check.add("not_leaf", i, "orgunit_code", unit)
        origin = check.place(from_code, i, "from_code", required=False, leaf=False)
        target = check.place(to_code, i, "to_code", required=False, leaf=False)
        if any(p.severity == "error" for p in check.problems[before:]):
            continue
        seen.add(ref)
        payload = {**_place_payload("from", origin or None), **_place_payload("to", target or None)}
        out.append(
            EventRow(
                row=i,
                ref=ref,
                kind=str(kind),
                person_ref=person_ref,
                spouse_ref=spouse_ref,
                effective_date=effective,
                report_date=report or effective,
                source=str(source),
                orgunit=place.orgunit,
                payload=payload,
                fingerprint=row_fingerprint(list(values)),
            )
        )
    return out
