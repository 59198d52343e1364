"""Quality rates per org unit and date: 逻辑准确率 and 完整率, with the counts behind them.

Logic accuracy = persons with no error-severity finding ÷ persons; completeness = filled
required fields ÷ required fields. Both are summed from the villages' tallies of the latest
bulk run on or before the date, so a unit's figure is the sum of its villages'.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass

from renkou.orgunits.models import OrgUnit
from renkou.quality.models import Tally


@dataclass
class Rates:
    """The two rates of one org unit on one date, with their counts."""

    orgunit: str
    name: str
    date: str
    persons: int
    persons_with_error: int
    logic_accuracy_percent: float | None
    required_fields: int
    filled_fields: int
    completeness_percent: float | None
    as_of_run: str

    def as_dict(self) -> dict[str, object]:
        """Plain values, for JSON and CSV."""
        return asdict(self)


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 4)


def _latest_tallies(code: str, day: datetime.date) -> dict[str, Tally]:
    latest: dict[str, Tally] = {}
    for tally in Tally.objects.filter(unit__startswith=code, day__lte=day).order_by("unit", "day"):
        latest[tally.unit] = tally
    return latest


def _rates(unit: OrgUnit, tallies: list[Tally], day: datetime.date) -> Rates:
    persons = sum(t.persons for t in tallies)
    errors = sum(t.persons_with_error for t in tallies)
    required = sum(t.required_fields for t in tallies)
    filled = sum(t.filled_fields for t in tallies)
    return Rates(
        orgunit=unit.code,
        name=unit.name,
        date=day.isoformat(),
        persons=persons,
        persons_with_error=errors,
        logic_accuracy_percent=_percent(persons - errors, persons),
        required_fields=required,
        filled_fields=filled,
        completeness_percent=_percent(filled, required),
        as_of_run=max((t.day for t in tallies), default=day).isoformat() if tallies else "",
    )


def quality_rates(*, orgunit: OrgUnit, day: datetime.date | None = None) -> list[Rates]:
    """Rates of ``orgunit`` and then of each of its child units, on ``day`` (default today)."""
    from django.utils import timezone

    day = day or timezone.localdate()
    latest = _latest_tallies(orgunit.code, day)
    rows = [_rates(orgunit, list(latest.values()), day)]
    for child in OrgUnit.objects.filter(parent=orgunit).order_by("code"):
        mine = [t for unit, t in latest.items() if unit.startswith(child.code)]
        rows.append(_rates(child, mine, day))
    return rows
