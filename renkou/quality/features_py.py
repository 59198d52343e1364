"""The feature row of one person computed in Python: the twin of ``features.FEATURES_SQL``.

The single-record mode runs within a write's time budget (≤ 20 ms), where one DuckDB query
of this size costs more than the budget to plan; so the facts the rules read are computed
here from the person's neighbourhood, column for column as the SQL computes them (NULL as
None, counts over no rows as None where the SQL joins an empty aggregate). The rule
conditions themselves are not duplicated: ``rules.expr`` evaluates the same definition.
Tests run both on the same data and require equal findings.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Iterable
from typing import Any

from renkou.quality.features import NOT_HAPPENINGS, SAME_DELIVERY_DAYS
from renkou.quality.rules.base import legal_marriage_age_py, years_between
from renkou.quality.rules.expr import compare, either

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_WELL_FORMED = re.compile(r"[0-9]{17}[0-9X]")
_DIGIT = re.compile(r"[0-9]")


def _minus_days(day: datetime.date | None, days: int) -> datetime.date | None:
    if day is None:
        return None
    try:
        return day - datetime.timedelta(days=days)
    except OverflowError:
        return None


def _lt(a: Any, b: Any) -> bool:
    return compare("<", a, b) is True


def _max(values: Iterable[Any]) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _min(values: Iterable[Any]) -> Any:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _days(a: datetime.date | None, b: datetime.date | None) -> int | None:
    return None if a is None or b is None else (b - a).days


def _siblings(p: dict[str, Any], persons: list[dict[str, Any]]) -> dict[str, Any]:
    none = dict.fromkeys(
        ("earlier_children", "earlier_max_order", "previous_delivery", "same_order_children",
         "same_name_records"),
    )  # fmt: skip
    if p["mother"] is None:
        return none
    others = [o for o in persons if o["mother"] == p["mother"] and o["id"] != p["id"]]
    if not others:
        return none
    limit = _minus_days(p["birth_date"], SAME_DELIVERY_DAYS)
    earlier = [o for o in others if _lt(o["birth_date"], limit)]

    def apart(o: dict[str, Any]) -> bool:
        days = _days(o["birth_date"], p["birth_date"])
        return days is not None and abs(days) > SAME_DELIVERY_DAYS

    no_id = not (p["id_hash"] or "")
    return {
        "earlier_children": len(earlier),
        "earlier_max_order": _max(o["birth_order"] for o in earlier),
        "previous_delivery": _max(o["birth_date"] for o in earlier),
        "same_order_children": sum(
            1
            for o in others
            if p["birth_order"] is not None and o["birth_order"] == p["birth_order"] and apart(o)
        ),
        "same_name_records": sum(
            1
            for o in others
            if no_id
            and p["name"] is not None
            and o["name"] == p["name"]
            and p["birth_date"] is not None
            and o["birth_date"] == p["birth_date"]
            and not (o["id_hash"] or "")
        ),
    }


def _events(
    p: dict[str, Any], events: list[dict[str, Any]], units: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    mine = [e for e in events if e["person"] == p["id"]]
    out: dict[str, Any] = dict.fromkeys(
        ("last_event_date", "first_event_date", "reported_before_date", "bad_unit_date",
         "young_marriage_date", "remarriage_date"),
    )  # fmt: skip
    if not mine:
        return out
    out["last_event_date"] = _max(
        e["effective_date"]
        for e in mine
        if e["kind"] not in (*NOT_HAPPENINGS, "birth", "death") and e["kind"] is not None
    )
    out["first_event_date"] = _min(
        e["effective_date"]
        for e in mine
        if e["kind"] not in (*NOT_HAPPENINGS, "birth") and e["kind"] is not None
    )
    out["reported_before_date"] = _min(
        e["effective_date"] for e in mine if _lt(e["report_date"], e["effective_date"])
    )

    def bad_unit(e: dict[str, Any]) -> bool:
        if e["kind"] is None or e["kind"] in NOT_HAPPENINGS:
            return False
        unit = units.get(e["orgunit"]) if e["orgunit"] is not None else None
        if unit is None:
            return True
        day = e["effective_date"]
        return (
            either(
                [
                    compare("<>", unit["level"], 5),
                    compare("<", day, unit["valid_from"]),
                    compare(">", day, unit["valid_to"]),
                ]
            )
            is True
        )

    out["bad_unit_date"] = _min(e["effective_date"] for e in mine if bad_unit(e))

    def young(e: dict[str, Any]) -> bool:
        if e["kind"] != "marriage":
            return False
        return _lt(
            years_between(p["birth_date"], e["effective_date"]),
            legal_marriage_age_py(p["sex"], e["effective_date"]),
        )

    out["young_marriage_date"] = _min(e["effective_date"] for e in mine if young(e))
    marital = sorted(
        (e for e in mine if e["kind"] in ("marriage", "divorce", "widowhood")),
        key=lambda e: (
            e["effective_date"] is None,
            e["effective_date"] or datetime.date.min,
            e["kind"],
        ),
    )
    out["remarriage_date"] = _min(
        e["effective_date"]
        for previous, e in itertools.pairwise(marital)
        if e["kind"] == "marriage" and previous["kind"] == "marriage"
    )
    return out


def _id_facts(number: str | None, regions: frozenset[str]) -> dict[str, Any]:
    if number is None:
        return dict.fromkeys(
            ("id_region", "id_birth_date", "id_sex", "id_well_formed", "id_expected_check",
             "id_check", "id_region_known"),
        )  # fmt: skip
    birth: datetime.date | None = None
    digits8 = number[6:14]
    if len(digits8) == 8 and digits8.isascii() and digits8.isdigit():
        try:
            birth = datetime.date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:]))
        except ValueError:
            birth = None
    seventeenth = number[16:17]
    head = number[:17]
    expected = None
    if len(head) == 17 and head.isascii() and head.isdigit():
        expected = "10X98765432"[sum(int(c) * w for c, w in zip(head, _WEIGHTS, strict=True)) % 11]
    return {
        "id_region": number[:6],
        "id_birth_date": birth,
        "id_sex": ("M" if int(seventeenth) % 2 else "F") if _DIGIT.fullmatch(seventeenth) else None,
        "id_well_formed": bool(_WELL_FORMED.fullmatch(number)),
        "id_expected_check": expected,
        "id_check": number[17:18],
        "id_region_known": number[:6] in regions,
    }


def _known(code: str | None, regions: frozenset[str]) -> bool | None:
    return None if code is None else code in regions


def feature_row(
    subject: int,
    persons: list[dict[str, Any]],
    events: list[dict[str, Any]],
    units: dict[str, dict[str, Any]],
    regions: frozenset[str],
    as_of: datetime.date,
) -> dict[str, Any]:
    """The feature row of person ``subject`` (as ``FEATURES_SQL`` would return it)."""
    by_id = {p["id"]: p for p in persons}
    p = by_id[subject]
    m = by_id.get(p["mother"]) if p["mother"] is not None else None
    f = by_id.get(p["father"]) if p["father"] is not None else None
    row = dict(p)
    row["as_of"] = as_of
    row["unit"] = (
        p["residence_orgunit"] if p["residence_orgunit"] is not None else p["hukou_orgunit"]
    )
    for prefix, parent in (("mother", m), ("father", f)):
        row[f"{prefix}_birth_date"] = parent["birth_date"] if parent else None
        row[f"{prefix}_sex"] = parent["sex"] if parent else None
        row[f"{prefix}_death_date"] = parent["death_date"] if parent else None
        row[f"{prefix}_age"] = years_between(row[f"{prefix}_birth_date"], p["birth_date"])
    row.update(_siblings(p, persons))
    row["earlier_max_order_next"] = (row["earlier_max_order"] or 0) + 1
    row["days_since_previous"] = _days(row["previous_delivery"], p["birth_date"])
    same = sum(1 for o in persons if p["id_hash"] and o["id_hash"] == p["id_hash"])
    row["same_id_persons"] = same if same > 1 else None
    row["household_heads"] = (
        None
        if p["household"] is None
        else sum(
            1
            for o in persons
            if o["household"] == p["household"]
            and o["relation_to_head"] == "head"
            and o["status"] == "alive"
        )
    )
    row.update(_events(p, events, units))
    ru = units.get(p["residence_orgunit"]) if p["residence_orgunit"] is not None else None
    hu = units.get(p["hukou_orgunit"]) if p["hukou_orgunit"] is not None else None
    row["residence_level"] = ru["level"] if ru else None
    row["residence_valid_to"] = ru["valid_to"] if ru else None
    row["hukou_level"] = hu["level"] if hu else None
    row["hukou_valid_to"] = hu["valid_to"] if hu else None
    row.update(_id_facts(p["id_number"], regions))
    row["hukou_region_known"] = _known(p["hukou_region"], regions)
    row["residence_region_known"] = _known(p["residence_region"], regions)
    end = p["death_date"] if p["death_date"] is not None else as_of
    row["age"] = years_between(p["birth_date"], end)
    return row
