"""Linking civil-affairs marriage and divorce rows (婚姻登记): both spouses by identity number.

A registration always carries both spouses' numbers, so there is no probabilistic pass.
Each spouse is looked up by blind index. A row is *matched* when the register knows at
least one spouse: its person is the husband, or the wife when the register lacks him
(a spouse from another county is common); the other spouse, if known, is kept in the
evidence. It is *matched with conflicts* when the register has no marriage (or divorce)
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
from renkou.registry.models import Event

ACTS = {"结婚": EventKind.MARRIAGE, "离婚": EventKind.DIVORCE}
CHUNK = 900


def act_kind(text: str) -> str:
    """The register event kind of a roster's 登记类别 (结婚登记 → marriage, 离婚 → divorce)."""
    text = text or ""
    if "离" in text or "divorce" in text.lower():
        return EventKind.DIVORCE
    return EventKind.MARRIAGE


def _events_of(person_ids: Iterable[int]) -> dict[int, list[tuple[str, date]]]:
    """{person id: [(kind, date), …]} of the applied marriages and divorces of those persons."""
    found: dict[int, list[tuple[str, date]]] = {}
    ordered = sorted(set(person_ids))
    for start in range(0, len(ordered), CHUNK):
        for person, kind, day in Event.objects.filter(
            person_id__in=ordered[start : start + CHUNK],
            kind__in=(EventKind.MARRIAGE, EventKind.DIVORCE),
            status=EventStatus.APPLIED,
        ).values_list("person_id", "kind", "effective_date"):
            found.setdefault(person, []).append((kind, day))
    return found


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
) -> None:
    """Set outcome, person and evidence of each civil-marriage row (both spouses by number)."""
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
    for row in rows:
        row.evidence = {}
        husband = _spouse(row, "husband", persons, same_name)
        wife = _spouse(row, "wife", persons, same_name)
        spouses = {
            "husband": "in_register" if husband else "not_in_register",
            "wife": "in_register" if wife else "not_in_register",
        }
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
        registered = row.values.get("registered_on", "")[:10]
        kind = act_kind(row.values.get("act", ""))
        if registered:
            day = date.fromisoformat(registered)
            known = [
                d
                for k, d in events.get(person["id"], [])
                if k == kind and (d == day or day_month_swapped(day, d))
            ]
            if known:
                comparison.agree.append(kind)
                if known[0] != day:
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
