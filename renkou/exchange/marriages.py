"""Linking civil-affairs marriage and divorce rows (婚姻登记): both spouses by identity number.

A registration always carries both spouses' numbers, so there is no probabilistic pass.
Each spouse is looked up by blind index. A row is *matched* when the register knows at
least one spouse: its person is the husband, or the wife when the register lacks him
(a spouse from another county is common); the other spouse, if known, is kept in the
evidence. A spouse whose number is beyond repair (cut by Excel, say) is found through the
other: the register's marriage (or divorce) of the spouse found, on the registration date,
names its spouse, who is taken when sex and name (or its sound) agree with the row. It is
*matched with conflicts* when the register has no marriage (or divorce)
of that person on the registration date, nor with day and month swapped: the register's
marital status is then wrong. A row neither spouse of which is in the register is
*missing from the register* (it belongs to another county's office, or both are 漏报).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from renkou.exchange.models import Outcome, RosterRow
from renkou.linkage.exact import Comparison, compare, day_month_swapped
from renkou.registry.choices import EventKind, EventStatus
from renkou.registry.marriages import spouse_of
from renkou.registry.models import Event

ACTS = {"结婚": EventKind.MARRIAGE, "离婚": EventKind.DIVORCE}
CHUNK = 900


def act_kind(text: str) -> str:
    """The register event kind of a roster's 登记类别 (结婚登记 → marriage, 离婚 → divorce)."""
    text = text or ""
    if "离" in text or "divorce" in text.lower():
        return EventKind.DIVORCE
    return EventKind.MARRIAGE


def _events_of(person_ids: Iterable[int]) -> dict[int, list[tuple[str, date, int | None]]]:
    """{person id: [(kind, date, spouse id), …]} of the applied marriages and divorces of
    those persons."""
    found: dict[int, list[tuple[str, date, int | None]]] = {}
    ordered = sorted(set(person_ids))
    for start in range(0, len(ordered), CHUNK):
        for person, kind, day, payload in Event.objects.filter(
            person_id__in=ordered[start : start + CHUNK],
            kind__in=(EventKind.MARRIAGE, EventKind.DIVORCE),
            status=EventStatus.APPLIED,
        ).values_list("person_id", "kind", "effective_date", "payload"):
            found.setdefault(person, []).append((kind, day, spouse_of(payload)))
    return found


def _named_in(person_ids: Iterable[int]) -> dict[int, list[tuple[str, date, int | None]]]:
    """{person id: [(kind, date, the other's id), …]} of the applied marriages and divorces
    recorded on someone else that name one of those persons as spouse (a load or an office
    may record a marriage on one spouse only)."""
    found: dict[int, list[tuple[str, date, int | None]]] = {}
    ordered = sorted(set(person_ids))
    for start in range(0, len(ordered), CHUNK):
        for person, kind, day, payload in Event.objects.filter(
            payload__spouse_id__in=ordered[start : start + CHUNK],
            kind__in=(EventKind.MARRIAGE, EventKind.DIVORCE),
            status=EventStatus.APPLIED,
        ).values_list("person_id", "kind", "effective_date", "payload"):
            named = spouse_of(payload)
            if named is not None:
                found.setdefault(named, []).append((kind, day, person))
    return found


def _with_named_in(
    events: dict[int, list[tuple[str, date, int | None]]],
    needed: Iterable[tuple[RosterRow, int]],
) -> None:
    """Add to ``events`` the marriages recorded on the other spouse, for each (row, person)
    whose own events have none of the row's kind on its date (looked up in one batch)."""
    lacking = {
        pid
        for row, pid in needed
        if not _on_the_day(
            events.get(pid, []), act_kind(row.values.get("act", "")), _registered(row)
        )
    }
    for pid, more in _named_in(lacking).items():
        events.setdefault(pid, []).extend(more)


def _on_the_day(
    events: list[tuple[str, date, int | None]], kind: str, registered: str
) -> list[tuple[date, int | None]]:
    """(date, spouse id) of the events of ``kind`` on the registration date, or on it with
    day and month swapped."""
    if not registered:
        return []
    day = date.fromisoformat(registered)
    return [(d, s) for k, d, s in events if k == kind and (d == day or day_month_swapped(day, d))]


def _named_spouse(
    row: RosterRow, partner: dict[str, Any], events: dict[int, list[tuple[str, date, int | None]]]
) -> int | None:
    """The one spouse the register's event of ``partner`` on the row's registration date
    names (None if none, or several)."""
    kind = act_kind(row.values.get("act", ""))
    named = {s for _d, s in _on_the_day(events.get(partner["id"], []), kind, _registered(row)) if s}
    return named.pop() if len(named) == 1 else None


def _unusable(row: RosterRow, side: str) -> bool:
    """Whether the row's number of ``side`` is beyond repair (a usable number that is not in
    the register belongs to someone the register lacks: never found through the partner)."""
    return not row.id_hashes.get(f"{side}_id")


def _registered(row: RosterRow) -> str:
    return (row.values.get("registered_on") or "")[:10]


def _spouse(
    row: RosterRow,
    side: str,
    persons: dict[str, dict[str, Any]],
    same_name: Callable[[str, str], bool],
) -> dict[str, Any] | None:
    """The register person of one spouse: by the number's blind index, or, for a damaged
    number, by its only repair naming a person of that name and sex."""
    column = f"{side}_id"
    key = row.id_hashes.get(column, "")
    if key:
        return persons.get(key)
    sex = "M" if side == "husband" else "F"
    fits = [
        persons[h]
        for h in (row.id_hashes.get("repairs") or {}).get(column, [])
        if h in persons
        and persons[h]["sex"] == sex
        and same_name(row.values.get(f"{side}_name", ""), persons[h]["name"])
    ]
    if len(fits) == 1:
        row.evidence = {"id_repaired": True}
        return fits[0]
    return None


def link_marriages(
    rows: list[RosterRow],
    persons_by_hash: Callable[[set[str]], dict[str, dict[str, Any]]],
    person_values: Callable[[dict[str, Any]], dict[str, str]],
    same_name: Callable[[str, str], bool] = lambda a, b: a == b,
    persons_by_id: Callable[[set[int]], dict[int, dict[str, Any]]] = lambda ids: {},
) -> None:
    """Set outcome, person and evidence of each civil-marriage row (both spouses by number,
    or one through the other's registered marriage)."""
    hashes = {r.id_hashes.get(c, "") for r in rows for c in ("husband_id", "wife_id")} - {""}
    hashes |= {
        h
        for r in rows
        for c in ("husband_id", "wife_id")
        if not r.id_hashes.get(c)
        for h in (r.id_hashes.get("repairs") or {}).get(c, [])
    }
    persons = persons_by_hash(hashes)
    events = _events_of(p["id"] for p in persons.values())
    by_number: dict[int, dict[str, dict[str, Any] | None]] = {}
    for row in rows:
        row.evidence = {}
        by_number[row.pk] = {
            side: _spouse(row, side, persons, same_name) for side in ("husband", "wife")
        }
    _with_named_in(events, ((r, p["id"]) for r in rows for p in by_number[r.pk].values() if p))
    wanted: dict[int, tuple[str, int]] = {}  # row → (side to find through the partner, id)
    for row in rows:
        sides = by_number[row.pk]
        for side, partner in (("husband", sides["wife"]), ("wife", sides["husband"])):
            if partner and not sides[side] and _unusable(row, side):
                named = _named_spouse(row, partner, events)
                if named is not None:
                    wanted[row.pk] = (side, named)
    # The spouses named by the partners' marriages, and their events, in one batch each.
    by_id = persons_by_id({pid for _side, pid in wanted.values()})
    events.update(_events_of(by_id))
    _with_named_in(events, ((r, wanted[r.pk][1]) for r in rows if r.pk in wanted))
    for row in rows:
        husband, wife = by_number[row.pk]["husband"], by_number[row.pk]["wife"]
        spouses = {
            "husband": "in_register" if husband else "not_in_register",
            "wife": "in_register" if wife else "not_in_register",
        }
        if row.pk in wanted:
            side, pid = wanted[row.pk]
            candidate = by_id.get(pid)
            sex = "M" if side == "husband" else "F"
            if (
                candidate is not None
                and candidate["sex"] == sex
                and same_name(row.values.get(f"{side}_name", ""), candidate["name"])
            ):
                spouses[side] = "through_spouse"
                if side == "husband":
                    husband = candidate
                else:
                    wife = candidate
        if husband is None and wife is None:
            row.outcome, row.person_id, row.probability = Outcome.MISSING, None, None
            row.evidence = {"pass": "exact", "spouses": spouses, "note": "no_spouse_in_register"}
            continue
        person, other = (husband, wife) if husband else (wife, None)
        assert person is not None
        comparison = Comparison()
        for side, found in (("husband", husband), ("wife", wife)):
            if found is not None:
                part = compare(
                    {"name": row.values.get(f"{side}_name", "")}, person_values(found), ("name",)
                )
                comparison.agree += [f"{side}_name" for _ in part.agree]
                comparison.conflicts.update({f"{side}_name": v for v in part.conflicts.values()})
        registered = _registered(row)
        kind = act_kind(row.values.get("act", ""))
        if registered:
            known = [d for d, _s in _on_the_day(events.get(person["id"], []), kind, registered)]
            if known:
                comparison.agree.append(kind)
                if known[0].isoformat() != registered:
                    comparison.conflicts["registered_on"] = (registered, known[0].isoformat())
                    comparison.notes["registered_on"] = "day_month_swapped"
            else:
                # The register has not heard of it: the person's marital status is wrong.
                comparison.conflicts[kind] = (registered, "")
        row.person_id, row.probability = person["id"], 1.0
        serious = set(comparison.conflicts) - {"husband_name", "wife_name", "registered_on"}
        row.outcome = Outcome.CONFLICTS if serious else Outcome.MATCHED
        row.evidence = {
            **({"id_repaired": True} if (row.evidence or {}).get("id_repaired") else {}),
            "pass": "exact",
            "spouses": spouses,
            "spouse": other["id"] if other else None,
            **comparison.evidence(),
        }
