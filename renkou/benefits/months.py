"""Month arithmetic for entitlements: months are the first day of the month."""

from __future__ import annotations

import datetime


def month_start(day: datetime.date) -> datetime.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    """The month ``count`` months after ``month`` (a first-of-month date)."""
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_of_year(year: int) -> list[datetime.date]:
    """January to December of ``year``."""
    return [datetime.date(year, m, 1) for m in range(1, 13)]


def birthday(birth: datetime.date, years: int) -> datetime.date:
    """The ``years``-th birthday; 29 February falls on 1 March in common years."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return datetime.date(birth.year + years, 3, 1)


def childcare_months(
    birth: datetime.date, *, first: datetime.date, max_age: int
) -> list[datetime.date]:
    """Months of the childcare subsidy (育儿补贴): the birth month (not before ``first``) up to
    the month before the ``max_age``-th birthday.

    For example: born 2025-06-15 gives 36 months (2025-06 … 2028-05); born 2022-03-10 gives
    January and February 2025.
    """
    start = max(month_start(birth), month_start(first))
    end = add_months(month_start(birth), 12 * max_age)  # the birthday's month is not paid
    months = []
    while start < end:
        months.append(start)
        start = add_months(start, 1)
    return months
