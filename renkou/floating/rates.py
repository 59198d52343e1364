"""Rates and stocks of the floating population: pure functions (no Django, no I/O).

- 通报率 (notice rate): arrivals notified within their allowed days ÷ arrivals.
- 协查反馈率 (reply rate): verification requests answered ÷ requests received.
- 反馈及时率 (on-time reply rate): requests answered by their deadline ÷ requests received.
- Floating stock at an instant: 流入 (living in the unit, registered outside it) by origin
  province and county; 流出 (registered in the unit, living outside it) by destination.

Places are codes: our org units (9 or 12 digits) or GB/T 2260 region codes (6 digits); a
place is inside a unit when its code starts with the unit's code.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Ratio:
    """A count over a count; ``percent`` is None when nothing was counted."""

    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        """The ratio in per cent, or None with a denominator of 0."""
        if self.denominator == 0:
            return None
        return 100.0 * self.numerator / self.denominator


def notice_rate(arrivals: Iterable[tuple[datetime.date, datetime.date | None, int]]) -> Ratio:
    """通报率 of arrivals given as (arrived on, notified on or None, days allowed): notified
    on or before the day ``days allowed`` after the arrival counts."""
    notified = total = 0
    for arrived_on, notified_on, days in arrivals:
        total += 1
        if notified_on is not None and (notified_on - arrived_on).days <= days:
            notified += 1
    return Ratio(notified, total)


def reply_rates(
    requests: Iterable[tuple[datetime.date | None, datetime.date]],
) -> tuple[Ratio, Ratio]:
    """协查反馈率 and 反馈及时率 of the requests received, given as (answered on or None,
    due on): answered at all, and answered on or before the due day."""
    answered = on_time = total = 0
    for answered_on, due_on in requests:
        total += 1
        if answered_on is not None:
            answered += 1
            if answered_on <= due_on:
                on_time += 1
    return Ratio(answered, total), Ratio(on_time, total)


def county_of(place: str) -> str:
    """The county-level code (6 digits) a place lies in."""
    return place[:6]


def province_of(place: str) -> str:
    """The province-level region code (``xx0000``) a place lies in."""
    return place[:2] + "0000"


@dataclass
class FloatingStock:
    """The floating population of one unit at an instant, by the place at the other end."""

    inflow_by_province: Counter[str] = field(default_factory=Counter)
    inflow_by_county: Counter[str] = field(default_factory=Counter)
    outflow_by_province: Counter[str] = field(default_factory=Counter)
    outflow_by_county: Counter[str] = field(default_factory=Counter)

    @property
    def inflow(self) -> int:
        """流入: persons living in the unit and registered outside it."""
        return sum(self.inflow_by_county.values())

    @property
    def outflow(self) -> int:
        """流出: persons registered in the unit and living outside it."""
        return sum(self.outflow_by_county.values())

    def ranked(self) -> dict[str, list[tuple[str, int]]]:
        """Each breakdown as (place, persons), most persons first (then by code)."""
        names = ("inflow_by_province", "inflow_by_county")
        names += ("outflow_by_province", "outflow_by_county")
        return {
            name: sorted(getattr(self, name).items(), key=lambda kv: (-kv[1], kv[0]))
            for name in names
        }


def place_at(
    day: datetime.date,
    changes: list[tuple[datetime.date, str | None, str | None]],
    initial: str | None,
) -> str | None:
    """Where a person was at the end of ``day`` on one basis, from their place changes
    (date, from, to) in the order they happened and the place their record began with: the
    ``to`` of the last change on or before the day; before the first change, its ``from``
    (else the initial place), as the statistics rebuild the person's spells."""
    place = None
    for when, _from, to in changes:
        if when > day:
            break
        place = to or place
    if place:
        return place
    if changes and changes[0][0] > day and changes[0][1]:
        return changes[0][1]
    return initial


def floating_stock(places: Iterable[tuple[str | None, str | None]], unit: str) -> FloatingStock:
    """The floating stock of ``unit`` from (registered place, residence) of every person
    alive at the instant (a missing place is no place: such a person does not float)."""
    stock = FloatingStock()
    for hukou, residence in places:
        if not hukou or not residence:
            continue
        lives_here, registered_here = residence.startswith(unit), hukou.startswith(unit)
        if lives_here and not registered_here:
            stock.inflow_by_province[province_of(hukou)] += 1
            stock.inflow_by_county[county_of(hukou)] += 1
        elif registered_here and not lives_here:
            stock.outflow_by_province[province_of(residence)] += 1
            stock.outflow_by_county[county_of(residence)] += 1
    return stock
