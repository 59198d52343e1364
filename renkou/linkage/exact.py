"""The exact pass: roster rows whose identity number's blind index is in the register.

Also the field comparison that turns an exact match into *matched* or *matched with
conflicts*, with per-field evidence in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from renkou.registry.names import normalise_name


def link_by_key(rows: Iterable[tuple[int, str]], register: Mapping[str, int]) -> dict[int, int]:
    """{row id: person id} for rows whose key (a blind index) names exactly one person."""
    return {row: register[key] for row, key in rows if key and key in register}


def day_month_swapped(a: date, b: date) -> bool:
    """Whether ``a`` is ``b`` with day and month transposed (2020-03-07 vs 2020-07-03)."""
    return a != b and a.year == b.year and a.month == b.day and a.day == b.month


@dataclass
class Comparison:
    """How a roster row compares with a register person, field by field."""

    agree: list[str] = field(default_factory=list)
    conflicts: dict[str, tuple[str, str]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def evidence(self) -> dict[str, object]:
        """The comparison as JSON-ready evidence (agreeing fields, conflicts, notes)."""
        return {
            "agree": self.agree,
            "conflicts": {k: list(v) for k, v in self.conflicts.items()},
            "notes": self.notes,
        }


def _same(field: str, ours: str, theirs: str, roster: Mapping[str, object]) -> bool:
    """Names agree in their normalised form (陳小明, 陈小明); a month-only birth date (出生年月,
    flagged ``birth_date_month_only``) agrees with any day of its month."""
    if field.endswith("name"):
        return normalise_name(ours) == normalise_name(theirs)
    if field.endswith("date") and roster.get(f"{field}_month_only"):
        return ours[:7] == theirs[:7]
    return False


def compare(
    roster: Mapping[str, str], person: Mapping[str, str], fields: Iterable[str]
) -> Comparison:
    """Compare ``fields`` present on both sides (ISO dates, M/F, names as text)."""
    result = Comparison()
    for name in fields:
        ours, theirs = roster.get(name) or "", person.get(name) or ""
        if not ours or not theirs:
            continue
        month_only = name.endswith("date") and bool(roster.get(f"{name}_month_only"))
        if ours == theirs or _same(name, ours, theirs, roster):
            result.agree.append(name)
            if month_only:  # said as such: the roster's 1st is not a day it gave
                result.notes[name] = "same_month_day_unknown"
            continue
        result.conflicts[name] = (ours, theirs)
        if month_only:
            result.notes[name] = "month_only"
        elif name.endswith("date"):
            a, b = date.fromisoformat(ours[:10]), date.fromisoformat(theirs[:10])
            if day_month_swapped(a, b):
                result.notes[name] = "day_month_swapped"
    return result
