"""Completeness of registration (登记完整率) against the departments' rosters.

Completeness = of the births (deaths) a roster lists for an area and period, the share the
register holds: the roster's events that linkage found in the register ÷ the roster's
events. It is a proportion, so it lies in [0, 100 %]; it carries its Wilson 95 % interval,
and for births it is split by how soon the register had the birth (within 30 days, within
a year, later). Births and deaths in the register that no roster lists are not in it:
comparing all the register's deaths of a county-year with a roster of one day gave
35900 %.

A roster event counts as in the register when its row is linked to a person for sure
(matched, matched with conflicts, confirmed on the worklist, or one of twins the register
holds both of) or its missing event was reported and applied; for a death, that person
must also be dead in the register. A possible match counts once it is confirmed.

A roster row belongs to the area of the register person it was matched to (for a birth
not in the register, the mother's), otherwise to the unit that received the roster. A
birth or death sent twice (two monthly rosters, a duplicate row) is counted once, but
twins (one mother, one day) are two births: a birth is told apart by its birth
certificate number, else by the child it was matched to, else by the mother, day, sex
and the baby's name. Two rows alike in all of these (same-sex twins with neither a
certificate number nor a name, not matched to the register) cannot be told from a
duplicate and count once.

A figure is given only where the rosters cover the whole unit and period asked. A roster
received by a unit covers that unit's area, and the calendar months from its first to its
last date in the period; where the rosters received cover less (one day of a year, one
township of a county) or were not linked yet, the figure says so instead (:class:`Gap`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Max, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from renkou.demography.intervals import bounded_rate_interval
from renkou.exchange.models import Decision, Outcome, RosterRow
from renkou.orgunits.models import CODE_LENGTHS, OrgUnit
from renkou.orgunits.scoping import code_prefix_q
from renkou.registry.choices import EventKind, EventStatus
from renkou.registry.models import Event, Person

WITHIN_30_DAYS, WITHIN_A_YEAR = 30, 365
DENOMINATORS = {
    "birth": ("hospital_births",),
    "death": ("hospital_deaths", "police_deaths"),
}
DATE_COLUMN = {"hospital_births": "birth_date"}  # the others: death_date
SURE = (Outcome.MATCHED, Outcome.CONFLICTS)
PARTS = ("found_30d", "found_1y", "found_later")
SHOWN = 3  # dates or units named in a gap's sentence before "…"


@dataclass(frozen=True)
class Share:
    """A part of a roster's events, in per cent, with its Wilson 95 % interval."""

    part: int
    whole: int

    @property
    def percent(self) -> float:
        """The share in per cent, to one decimal."""
        return round(100 * self.part / self.whole, 1)

    @property
    def interval(self) -> tuple[float, float]:
        """The Wilson 95 % interval in per cent, to one decimal, within [0, 100]."""
        low, high = bounded_rate_interval(self.part, self.whole, per=100.0)
        return round(low, 1), round(high, 1)

    @property
    def low(self) -> float:
        return self.interval[0]

    @property
    def high(self) -> float:
        return self.interval[1]


@dataclass(frozen=True)
class Gap:
    """Why no figure is given: what the rosters received cover, in the page's language."""

    reason: str  # "dates", "units" or "unlinked"
    spans: tuple[tuple[datetime.date, datetime.date], ...] = ()
    units: tuple[str, ...] = ()  # names of the units that received rosters
    unit: str = ""  # name of the unit asked about

    def __str__(self) -> str:
        if self.reason == "unlinked":
            return _("The roster has not been compared with the register yet: not comparable.")
        sep = pgettext("list separator", ", ")
        if self.reason == "dates":
            dates = [
                a.isoformat()
                if a == b
                else _("%(first)s to %(last)s") % {"first": a.isoformat(), "last": b.isoformat()}
                for a, b in self.spans
            ]
            shown = sep.join(dates[:SHOWN]) + ("…" if len(dates) > SHOWN else "")
            return _(
                "The rosters received cover only %(dates)s, not the whole period: not comparable."
            ) % {"dates": shown}
        shown = sep.join(self.units[:SHOWN]) + ("…" if len(self.units) > SHOWN else "")
        return _(
            "Only %(units)s received rosters of this kind; they do not cover all of "
            "%(unit)s: not comparable."
        ) % {"units": shown, "unit": self.unit}


@dataclass
class Listed:
    """The events one kind of roster lists for a unit and period, and those the register
    holds, by how soon it had them."""

    kind: str
    events: int = 0
    found_30d: int = 0
    found_1y: int = 0
    found_later: int = 0
    gap: Gap | None = None

    @property
    def found(self) -> int:
        """Listed events that are in the register, however late reported."""
        return self.found_30d + self.found_1y + self.found_later

    @property
    def not_found(self) -> int:
        """Listed events the register lacks."""
        return self.events - self.found

    def share(self, part: str = "found") -> Share | None:
        """``part`` (found, found_30d, …) of the listed events; None where nothing is listed
        or the rosters do not cover the unit and period (``gap``)."""
        if not self.events or self.gap is not None:
            return None
        return Share(getattr(self, part), self.events)


@dataclass
class Completeness:
    """One unit's figures for one kind of event (birth or death)."""

    code: str
    name: str
    in_register: int = 0  # the register's events of the unit and period, listed or not
    rosters: dict[str, Listed] = field(default_factory=dict)  # roster kind → its figures

    def share(self, kind: str, part: str = "found") -> Share | None:
        """Completeness against roster ``kind`` (see :meth:`Listed.share`)."""
        listed = self.rosters.get(kind)
        return listed.share(part) if listed is not None else None


@dataclass
class _Roster:
    """One roster import as far as coverage goes: who received it, its dates in the period."""

    receiver: str
    name: str
    linked: bool
    first: datetime.date
    last: datetime.date


def _ancestors(code: str) -> list[str]:
    """Codes of the units above ``code`` (a roster received higher up may cover it)."""
    return [code[:n] for n in CODE_LENGTHS if n < len(code)]


def _home(person: dict[str, Any] | None) -> str:
    if person is None:
        return ""
    return person["residence_orgunit_id"] or person["hukou_orgunit_id"] or ""


def _part(delay: int) -> str:
    return (
        "found_30d"
        if delay <= WITHIN_30_DAYS
        else "found_1y"
        if delay <= WITHIN_A_YEAR
        else "found_later"
    )


def _row_date(kind: str, values: dict[str, Any]) -> str:
    return (values.get(DATE_COLUMN.get(kind, "death_date")) or "")[:10]


def _sure_person(row: dict[str, Any], event_person: dict[int, int]) -> int | None:
    """The register person the row is for, where that is certain."""
    if row["person_id"] and (
        row["outcome"] in SURE
        or row["decision"] == Decision.CONFIRMED
        or (row["evidence"] or {}).get("note") == "twins"
    ):
        return int(row["person_id"])
    return event_person.get(row["event_id"]) if row["event_id"] else None


def _delays(kind: str, persons: dict[int, dict[str, Any]]) -> dict[int, int]:
    """Days from the event to the register having it, for each person who has the event
    (born, for births; dead, for deaths): from the person's birth (death) event, else
    from the event that first brought them into the register (the initial load)."""
    death = kind != "hospital_births"
    event_kind = EventKind.DEATH if death else EventKind.BIRTH
    reported: dict[int, tuple[int, datetime.date, datetime.date]] = {}
    for pid, k, effective, report in Event.objects.filter(
        person_id__in=list(persons),
        status=EventStatus.APPLIED,
        kind__in=[event_kind, EventKind.ENROL],
    ).values_list("person_id", "kind", "effective_date", "report_date"):
        rank = 0 if k == event_kind else 1
        if pid not in reported or (rank, report) < reported[pid][:2]:
            reported[pid] = (rank, report, effective)
    out = {}
    for pid, p in persons.items():
        happened = p["death_date"] if death else p["birth_date"]
        if happened is None:
            continue  # alive in the register: the death is not registered
        rank, report, effective = reported.get(pid, (1, happened, happened))
        out[pid] = max(0, (report - (effective if rank == 0 else happened)).days)
    return out


def _roster_events(
    kind: str, unit: str, start: datetime.date, end: datetime.date
) -> tuple[list[tuple[str, int | None, int]], dict[int, _Roster]]:
    """(unit code, days until registered or None, roster) of each event a roster of
    ``kind`` lists in the period, counted once; and the rosters received in, above or
    below ``unit``."""
    receivers = [unit, *_ancestors(unit)]
    rows = [
        r
        for r in RosterRow.objects.filter(
            code_prefix_q("roster_import__orgunit_id", unit)
            | Q(roster_import__orgunit_id__in=receivers),
            roster_import__kind=kind,
        ).values(
            "pk",
            "values",
            "id_hashes",
            "person_id",
            "outcome",
            "decision",
            "event_id",
            "evidence",
            "roster_import_id",
            "roster_import__orgunit_id",
            "roster_import__orgunit__name",
            "roster_import__linked_at",
        )
        if start.isoformat() <= _row_date(kind, r["values"]) <= end.isoformat()
    ]
    rosters: dict[int, _Roster] = {}
    for r in rows:
        day = datetime.date.fromisoformat(_row_date(kind, r["values"]))
        roster = rosters.get(r["roster_import_id"])
        if roster is None:
            rosters[r["roster_import_id"]] = _Roster(
                r["roster_import__orgunit_id"],
                r["roster_import__orgunit__name"],
                r["roster_import__linked_at"] is not None,
                day,
                day,
            )
        else:
            roster.first, roster.last = min(roster.first, day), max(roster.last, day)
    event_person = dict(
        Event.objects.filter(
            pk__in=[r["event_id"] for r in rows if r["event_id"]],
            status=EventStatus.APPLIED,
            person__isnull=False,
        ).values_list("pk", "person_id")
    )
    sure = {r["pk"]: _sure_person(r, event_person) for r in rows}
    people = {r["person_id"] for r in rows if r["person_id"]} | {p for p in sure.values() if p}
    people |= {(r["evidence"] or {}).get("mother") for r in rows if not r["person_id"]} - {None}
    persons = {
        p["id"]: p
        for p in Person.objects.filter(pk__in=people).values(
            "id", "residence_orgunit_id", "hukou_orgunit_id", "birth_date", "death_date"
        )
    }
    delays = _delays(kind, {p: persons[p] for p in sure.values() if p and p in persons})
    events: dict[Any, list[Any]] = {}  # dedup key → [unit code, days until registered, roster]
    for r in rows:
        values = r["values"]
        certificate = (values.get("certificate_no") or "").strip()
        # A row whose missing birth was reported from the worklist is placed by the child
        # but keeps the key it had, so that a duplicate row of it still counts once.
        placed_by = r["person_id"] or sure[r["pk"]]
        if r["person_id"]:
            key: Any = ("person", r["person_id"])
            where = _home(persons.get(r["person_id"]))
        elif kind == "hospital_births":
            mother = (r["evidence"] or {}).get("mother")
            key = (
                "mother",
                r["id_hashes"].get("mother_id") or values.get("mother_name") or r["pk"],
                values.get("birth_date"),
                values.get("sex"),
                values.get("name") or "",
            )
            where = _home(persons.get(placed_by or mother)) if placed_by or mother else ""
        else:
            key = ("id", r["id_hashes"].get("id_number") or r["pk"], values.get("death_date"))
            where = _home(persons.get(placed_by)) if placed_by else ""
        if kind == "hospital_births" and certificate:
            # The certificate number names one baby: twins have two, a duplicate row one.
            key = ("certificate", certificate)
        person = sure[r["pk"]]
        delay = delays.get(person) if person else None
        seen = events.setdefault(
            key, [where or r["roster_import__orgunit_id"], delay, r["roster_import_id"]]
        )
        if seen[1] is None:  # a duplicate row that was linked where the first was not
            seen[1] = delay
    return [(where, delay, roster) for where, delay, roster in events.values()], rosters


def _month_end(day: datetime.date) -> datetime.date:
    first_of_next = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return first_of_next - datetime.timedelta(days=1)


def _covers(
    spans: Iterable[tuple[datetime.date, datetime.date]],
    start: datetime.date,
    end: datetime.date,
) -> bool:
    """Whether the calendar months of the spans, together, cover [start, end]."""
    reach = start  # first day not yet covered
    for first, last in sorted((a.replace(day=1), _month_end(b)) for a, b in spans):
        if first > reach:
            break
        reach = max(reach, last + datetime.timedelta(days=1))
    return reach > end


def _merged(spans: Iterable[tuple[datetime.date, datetime.date]]) -> list[tuple[Any, Any]]:
    """The spans' dates joined where they overlap or touch."""
    out: list[list[datetime.date]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + datetime.timedelta(days=1):
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _gap(
    code: str,
    name: str,
    rosters: dict[int, _Roster],
    listing: set[int],
    start: datetime.date,
    end: datetime.date,
    kids: Callable[[str], list[str]],
) -> Gap | None:
    """What keeps the rosters from covering unit ``code`` in [start, end]; None if nothing.

    ``listing``: the rosters that list events of the unit (a township hospital's roster
    lists births of mothers from the next township too, without covering it)."""
    relevant = [
        r
        for pk, r in rosters.items()
        if code.startswith(r.receiver) or r.receiver.startswith(code) or pk in listing
    ]
    if not relevant:
        return None
    if not all(r.linked for r in relevant):
        return Gap("unlinked")

    def covered(c: str) -> bool:
        if _covers([(r.first, r.last) for r in relevant if c.startswith(r.receiver)], start, end):
            return True
        if not any(r.receiver.startswith(c) and r.receiver != c for r in relevant):
            return False
        children = kids(c)
        return bool(children) and all(covered(k) for k in children)

    if covered(code):
        return None
    spans = [(r.first, r.last) for r in relevant]
    if not _covers(spans, start, end):
        return Gap("dates", spans=tuple(_merged(spans)))
    below = sorted({(r.receiver, r.name) for r in relevant if not code.startswith(r.receiver)})
    return Gap("units", units=tuple(n for _c, n in below), unit=name)


def completeness(
    *, unit: OrgUnit, event: str, start: datetime.date, end: datetime.date
) -> list[Completeness]:
    """The unit's completeness for ``event`` ("birth" or "death") in [start, end], then its
    sub-units': the rosters' events, those the register holds, and the register's own."""
    children = list(unit.children.order_by("code").values_list("code", "name"))
    rows = [Completeness(unit.code, unit.name)] + [Completeness(c, n) for c, n in children]

    def targets(code: str) -> Iterable[Completeness]:
        yield rows[0]
        for row in rows[1:]:
            if code.startswith(row.code):
                yield row
                return

    kids_of: dict[str, list[str]] = {}

    def kids(code: str) -> list[str]:
        """Sub-units of ``code`` that existed at some time in the period."""
        if code not in kids_of:
            kids_of[code] = list(
                OrgUnit.objects.filter(parent_id=code, valid_from__lte=end)
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
                .values_list("code", flat=True)
            )
        return kids_of[code]

    kind = EventKind.BIRTH if event == "birth" else EventKind.DEATH
    for code in Event.objects.filter(
        code_prefix_q("orgunit_id", unit.code),
        kind=kind,
        status=EventStatus.APPLIED,
        effective_date__gte=start,
        effective_date__lte=end,
    ).values_list("orgunit_id", flat=True):
        for row in targets(code):
            row.in_register += 1
    for roster_kind in DENOMINATORS[event]:
        for row in rows:
            row.rosters[roster_kind] = Listed(roster_kind)
        events, rosters = _roster_events(roster_kind, unit.code, start, end)
        listing: dict[str, set[int]] = {row.code: set() for row in rows}
        for code, delay, roster in events:
            if not code.startswith(unit.code):
                continue
            for row in targets(code):
                listing[row.code].add(roster)
                listed = row.rosters[roster_kind]
                listed.events += 1
                if delay is not None:
                    part = _part(delay)
                    setattr(listed, part, getattr(listed, part) + 1)
        for row in rows:
            row.rosters[roster_kind].gap = _gap(
                row.code, row.name, rosters, listing[row.code], start, end, kids
            )
    return rows


def latest_year(unit: OrgUnit, today: datetime.date) -> int | None:
    """The latest year up to ``today`` with a birth or death in the unit's register or on a
    roster received in, above or below it; None when there is none."""
    days: list[str] = []
    newest = Event.objects.filter(
        code_prefix_q("orgunit_id", unit.code),
        kind__in=[EventKind.BIRTH, EventKind.DEATH],
        status=EventStatus.APPLIED,
        effective_date__lte=today,
    ).aggregate(day=Max("effective_date"))["day"]
    if newest is not None:
        days.append(newest.isoformat())
    received = code_prefix_q("roster_import__orgunit_id", unit.code) | Q(
        roster_import__orgunit_id__in=_ancestors(unit.code)
    )
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    for kind in ("hospital_births", "hospital_deaths", "police_deaths"):
        column = f"values__{DATE_COLUMN.get(kind, 'death_date')}"
        day = (
            RosterRow.objects.filter(received, roster_import__kind=kind)
            .annotate(day=Cast(KT(column), output_field=CharField()))
            .filter(day__lt=tomorrow, day__gte="1900")
            .aggregate(newest=Max("day", output_field=CharField()))["newest"]
        )
        if day:
            days.append(str(day)[:10])
    return int(max(days)[:4]) if days else None
