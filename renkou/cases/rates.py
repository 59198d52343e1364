"""The rates offices report on their cases: pure functions, no Django, no I/O.

Of the cases received in a period (by the day received), as things stand on the day asked:

- 按期受理率 accepted on time ÷ received: accepted on or before the day acceptance was due;
- 办结率 closed ÷ received;
- 按期办结率 closed on time ÷ received: replied on or before the day the answer was due;
- 满意率 (satisfied + basically satisfied) ÷ closed cases whose petitioner was reached.

Each comes with its numerator, denominator and a 95 % Wilson interval (few cases give
unstable rates); a rate of no cases is None, never 0 or 100 %.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from renkou.demography.intervals import wilson_interval

SATISFIED = frozenset({"satisfied", "basic"})
NOT_REACHED = "not_reached"


@dataclass(frozen=True)
class CaseFacts:
    """What the rates need of one case."""

    accept_due: datetime.date
    accepted_on: datetime.date | None
    answer_due: datetime.date
    closed_on: datetime.date | None
    satisfaction: str = ""


@dataclass(frozen=True)
class Rate:
    """A proportion with its counts: ``value`` and its interval in per cent."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """The rate in per cent (None without a denominator)."""
        if not self.denominator:
            return None
        return 100.0 * self.numerator / self.denominator

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 95 % Wilson interval in per cent (None without a denominator)."""
        if not self.denominator:
            return None
        low, high = wilson_interval(self.numerator, self.denominator)
        return 100.0 * low, 100.0 * high


@dataclass(frozen=True)
class CaseRates:
    """The four rates of one unit and period, and the count of cases received."""

    received: int
    accepted_on_time: Rate
    closed: Rate
    closed_on_time: Rate
    satisfaction: Rate


def accepted_on_time(case: CaseFacts) -> bool:
    """Accepted, on or before the day acceptance was due."""
    return case.accepted_on is not None and case.accepted_on <= case.accept_due


def closed_on_time(case: CaseFacts) -> bool:
    """Replied and closed, on or before the day the answer was due."""
    return case.closed_on is not None and case.closed_on <= case.answer_due


def case_rates(cases: Iterable[CaseFacts]) -> CaseRates:
    """The rates of the cases received in one unit and period."""
    received = accepted = closed = on_time = rated = satisfied = 0
    for case in cases:
        received += 1
        accepted += accepted_on_time(case)
        if case.closed_on is not None:
            closed += 1
            on_time += closed_on_time(case)
            if case.satisfaction and case.satisfaction != NOT_REACHED:
                rated += 1
                satisfied += case.satisfaction in SATISFIED
    return CaseRates(
        received=received,
        accepted_on_time=Rate(accepted, received),
        closed=Rate(closed, received),
        closed_on_time=Rate(on_time, received),
        satisfaction=Rate(satisfied, rated),
    )


def overdue(case: CaseFacts, today: datetime.date) -> bool:
    """Past a deadline still open: not accepted after the day it was due, or accepted and
    not answered after the day the answer was due."""
    if case.closed_on is not None:
        return False
    if case.accepted_on is None:
        return today > case.accept_due
    return today > case.answer_due
