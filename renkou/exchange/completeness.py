"""Completeness of registration, as OpenCRVS measures it, against the departments' rosters.

Births: the register's births of an area and period ÷ the hospitals' births of the same
area and period, split by how soon the birth was reported (within 30 days, within a year,
later). Deaths: the register's deaths ÷ hospital deaths, and ÷ police deaths.

A roster row belongs to the area of the register person it was matched to (for a birth
not in the register, the mother's), otherwise to the unit that received the roster. A
birth or death sent twice (two monthly rosters, a duplicate row) is counted once, but
twins (one mother, one day) are two births: a birth is told apart by its birth
certificate number, else by the child it was matched to, else by the mother, day, sex
and the baby's name. Two rows alike in all of these (same-sex twins with neither a
certificate number nor a name, not matched to the register) cannot be told from a
duplicate and count once.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from renkou.exchange.models import RosterRow
from renkou.orgunits.models import CODE_LENGTHS, OrgUnit
from renkou.orgunits.scoping import code_prefix_q
from renkou.registry.choices import EventKind, EventStatus
from renkou.registry.models import Event, Person

WITHIN_30_DAYS, WITHIN_A_YEAR = 30, 365
DENOMINATORS = {
    "birth": ("hospital_births",),
    "death": ("hospital_deaths", "police_deaths"),
}


@dataclass
class Completeness:
    """One unit's figures for one kind of event (birth or death)."""

    code: str
    name: str
    registered_30d: int = 0
    registered_1y: int = 0
    registered_later: int = 0
    roster: dict[str, int] = field(default_factory=dict)  # roster kind → events it lists

    @property
    def registered(self) -> int:
        """Events in the register, however late reported."""
        return self.registered_30d + self.registered_1y + self.registered_later

    def rate(self, kind: str, part: str = "registered") -> float | None:
        """``part`` (registered, registered_30d, …) as a percentage of roster ``kind``."""
        base = self.roster.get(kind, 0)
        return round(100 * getattr(self, part) / base, 1) if base else None


def _ancestors(code: str) -> list[str]:
    """Codes of the units above ``code`` (a roster received higher up may cover it)."""
    return [code[:n] for n in CODE_LENGTHS if n < len(code)]


def _home(person: dict[str, Any] | None) -> str:
    if person is None:
        return ""
    return person["residence_orgunit_id"] or person["hukou_orgunit_id"] or ""


def _roster_events(
    kind: str, unit: str, start: datetime.date, end: datetime.date
) -> list[tuple[str, Any]]:
    """(unit code, dedup key) of each event a roster of ``kind`` lists in the period."""
    date_column = "birth_date" if kind == "hospital_births" else "death_date"
    receivers = [unit, *_ancestors(unit)]
    rows = list(
        RosterRow.objects.filter(
            code_prefix_q("roster_import__orgunit_id", unit)
            | Q(roster_import__orgunit_id__in=receivers),
            roster_import__kind=kind,
        ).values("pk", "values", "id_hashes", "person_id", "evidence", "roster_import__orgunit_id")
    )
    wanted = [
        r
        for r in rows
        if start.isoformat() <= (r["values"].get(date_column) or "")[:10] <= end.isoformat()
    ]
    people = {r["person_id"] for r in wanted if r["person_id"]}
    people |= {(r["evidence"] or {}).get("mother") for r in wanted if not r["person_id"]} - {None}
    homes = {
        p["id"]: p
        for p in Person.objects.filter(pk__in=people).values(
            "id", "residence_orgunit_id", "hukou_orgunit_id"
        )
    }
    out: list[tuple[str, Any]] = []
    for r in wanted:
        values = r["values"]
        certificate = (values.get("certificate_no") or "").strip()
        if r["person_id"]:
            key: Any = ("person", r["person_id"])
            where = _home(homes.get(r["person_id"]))
        elif kind == "hospital_births":
            mother = (r["evidence"] or {}).get("mother")
            key = (
                "mother",
                r["id_hashes"].get("mother_id") or values.get("mother_name") or r["pk"],
                values.get("birth_date"),
                values.get("sex"),
                values.get("name") or "",
            )
            where = _home(homes.get(mother)) if mother else ""
        else:
            key = ("id", r["id_hashes"].get("id_number") or r["pk"], values.get("death_date"))
            where = ""
        if kind == "hospital_births" and certificate:
            # The certificate number names one baby: twins have two, a duplicate row one.
            key = ("certificate", certificate)
        out.append((where or r["roster_import__orgunit_id"], key))
    return out


def completeness(
    *, unit: OrgUnit, event: str, start: datetime.date, end: datetime.date
) -> list[Completeness]:
    """The unit's completeness for ``event`` ("birth" or "death") in [start, end], then its
    sub-units'; each row counts register events by delay and the rosters' events."""
    children = list(unit.children.order_by("code").values_list("code", "name"))
    rows = [Completeness(unit.code, unit.name)] + [Completeness(c, n) for c, n in children]

    def targets(code: str) -> Iterable[Completeness]:
        yield rows[0]
        for row in rows[1:]:
            if code.startswith(row.code):
                yield row
                return

    kind = EventKind.BIRTH if event == "birth" else EventKind.DEATH
    registered = Event.objects.filter(
        code_prefix_q("orgunit_id", unit.code),
        kind=kind,
        status=EventStatus.APPLIED,
        effective_date__gte=start,
        effective_date__lte=end,
    ).values_list("orgunit_id", "effective_date", "report_date")
    for code, happened, reported in registered:
        delay = (reported - happened).days
        part = (
            "registered_30d"
            if delay <= WITHIN_30_DAYS
            else "registered_1y"
            if delay <= WITHIN_A_YEAR
            else "registered_later"
        )
        for row in targets(code):
            setattr(row, part, getattr(row, part) + 1)
    for roster_kind in DENOMINATORS[event]:
        for row in rows:
            row.roster[roster_kind] = 0
        seen: set[Any] = set()
        for code, key in _roster_events(roster_kind, unit.code, start, end):
            if key in seen or not code.startswith(unit.code):
                continue
            seen.add(key)
            for row in targets(code):
                row.roster[roster_kind] += 1
    return rows
