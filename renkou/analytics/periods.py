"""Reporting periods (统计时期) and their identifiers, after DHIS2's period format.

| kind | id | covers |
|---|---|---|
| month | ``202403`` | 2024-03-01 … 2024-03-31 |
| quarter | ``2024Q1`` | 2024-01-01 … 2024-03-31 |
| year | ``2024`` | 2024-01-01 … 2024-12-31 |
| statistical year (统计年度) | ``2023Oct`` | 2023-10-01 … 2024-09-30 (DHIS2 "FinancialOct") |
| its first half (半年报) | ``2023OctS1`` | 2023-10-01 … 2024-03-31 |
| its second half | ``2023OctS2`` | 2024-04-01 … 2024-09-30 |
| ten-day period (旬) | ``202403D1`` … ``D3`` | 2024-03-01 … 10, 11 … 20, 21 … 31 |

The halves extend DHIS2 the way its "SixMonthlyApril" and "SixMonthlyNov" types do
(``2024AprilS1``, ``2024NovS1``): the year the half-year starts in, the start month, ``S1``
or ``S2``. Every period starts on the first of a month and ends on the last day of a month;
``end`` is inclusive (30 September 24:00 is the end of the day 30 September).

Ten-day periods (上旬, 中旬, 下旬: days 1–10, 11–20 and 21 to the month's end, the last one
8 to 11 days long) are the one kind that does not start on the first of a month. DHIS2 has
no such type; the id is the month's and ``D1``, ``D2`` or ``D3``. They are not among the
kinds the cache keeps by default (``KINDS``): they are computed when asked for (targets'
ten-day rankings).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["month", "quarter", "year", "stat_year", "stat_half", "dekad"]
KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year", "stat_year", "stat_half")
"""The kinds the cache keeps for every history (ten-day periods are computed when asked for)."""
ALL_KINDS: tuple[PeriodKind, ...] = (*KINDS, "dekad")
_MONTHS: dict[PeriodKind, int] = {
    "dekad": 0,
    "month": 1,
    "quarter": 3,
    "year": 12,
    "stat_year": 12,
    "stat_half": 6,
}
_PATTERNS: list[tuple[re.Pattern[str], PeriodKind]] = [
    (re.compile(r"^(\d{4})(0[1-9]|1[0-2])$"), "month"),
    (re.compile(r"^(\d{4})Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})Oct$"), "stat_year"),
    (re.compile(r"^(\d{4})OctS([12])$"), "stat_half"),
    (re.compile(r"^(\d{4})(0[1-9]|1[0-2])D([1-3])$"), "dekad"),
]
DEKAD_DAYS = (1, 11, 21)  # the first days of a month's three ten-day periods


class PeriodError(ValueError):
    """A text that is not a period identifier."""


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: its kind, first month (year, month) and identifier."""

    start: datetime.date
    kind: PeriodKind

    @property
    def months(self) -> int:
        """How many whole calendar months the period covers (0 for a ten-day period)."""
        return _MONTHS[self.kind]

    @property
    def end(self) -> datetime.date:
        """The last day of the period (inclusive)."""
        return self.end_boundary - datetime.timedelta(days=1)

    @property
    def end_boundary(self) -> datetime.date:
        """The instant the period ends, as the date whose 00:00 it is (the day after ``end``)."""
        if self.kind == "dekad":
            if self.start.day < DEKAD_DAYS[2]:
                return self.start + datetime.timedelta(days=10)
            return add_months(self.start, 1)
        return add_months(self.start, self.months)

    @property
    def days(self) -> int:
        """The period's length in days."""
        return (self.end_boundary - self.start).days

    @property
    def id(self) -> str:
        """The identifier, e.g. ``2024Q1`` or ``2023Oct``."""
        y, m = self.start.year, self.start.month
        if self.kind == "month":
            return f"{y}{m:02d}"
        if self.kind == "quarter":
            return f"{y}Q{(m - 1) // 3 + 1}"
        if self.kind == "year":
            return str(y)
        if self.kind == "stat_year":
            return f"{y}Oct"
        if self.kind == "dekad":
            return f"{y}{m:02d}D{DEKAD_DAYS.index(self.start.day) + 1}"
        half = 1 if m == 10 else 2
        return f"{y if half == 1 else y - 1}OctS{half}"

    def contains(self, day: datetime.date) -> bool:
        """Whether ``day`` falls in the period."""
        return self.start <= day <= self.end

    def month_starts(self) -> list[datetime.date]:
        """The first day of each month of the period."""
        return [add_months(self.start, i) for i in range(self.months)]

    def __str__(self) -> str:
        return self.id


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def parse(text: str) -> Period:
    """The period an identifier names; raises :class:`PeriodError` for anything else."""
    text = text.strip()
    for pattern, kind in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group(1))
        if kind == "month":
            return Period(datetime.date(year, int(match.group(2)), 1), kind)
        if kind == "quarter":
            return Period(datetime.date(year, 3 * int(match.group(2)) - 2, 1), kind)
        if kind == "year":
            return Period(datetime.date(year, 1, 1), kind)
        if kind == "stat_year":
            return Period(datetime.date(year, 10, 1), kind)
        if kind == "dekad":
            day = DEKAD_DAYS[int(match.group(3)) - 1]
            return Period(datetime.date(year, int(match.group(2)), day), kind)
        half = int(match.group(2))
        start = datetime.date(year, 10, 1) if half == 1 else datetime.date(year + 1, 4, 1)
        return Period(start, kind)
    raise PeriodError(text)


def containing(day: datetime.date, kind: PeriodKind) -> Period:
    """The period of ``kind`` that contains ``day``."""
    y, m = day.year, day.month
    if kind == "month":
        return Period(datetime.date(y, m, 1), kind)
    if kind == "quarter":
        return Period(datetime.date(y, (m - 1) // 3 * 3 + 1, 1), kind)
    if kind == "year":
        return Period(datetime.date(y, 1, 1), kind)
    if kind == "stat_year":
        return Period(datetime.date(y if m >= 10 else y - 1, 10, 1), kind)
    if kind == "dekad":
        return Period(datetime.date(y, m, max(d for d in DEKAD_DAYS if d <= day.day)), kind)
    if m >= 10:
        return Period(datetime.date(y, 10, 1), kind)
    if m >= 4:
        return Period(datetime.date(y, 4, 1), kind)
    return Period(datetime.date(y - 1, 10, 1), kind)


def periods_between(
    first: datetime.date, last: datetime.date, kinds: Iterable[PeriodKind] = KINDS
) -> Iterator[Period]:
    """Every period of the given kinds that overlaps the days ``first`` … ``last``."""
    for kind in kinds:
        period = containing(first, kind)
        while period.start <= last:
            yield period
            period = Period(period.end_boundary, kind)


def periods_within(
    first: datetime.date, last: datetime.date, kinds: Iterable[PeriodKind] = KINDS
) -> Iterator[Period]:
    """Every period of the given kinds lying wholly inside ``first`` … ``last``."""
    for period in periods_between(first, last, kinds):
        if period.start >= first and period.end <= last:
            yield period


def dekads_of(period: Period) -> list[Period]:
    """The ten-day periods of a period made of whole months (36 in a year)."""
    return list(periods_within(period.start, period.end, ("dekad",)))
