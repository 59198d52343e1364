"""What programmes share: month starts of a year, condition vectors and the evaluation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np
from openfisca_core.errors import ParameterNotFoundError

from renkou.benefits.months import months_of_year
from renkou.benefits.parameters import value_at

OK, FAIL, MISSING = 1, 0, -1


def month_starts(year: int) -> np.ndarray:
    """The twelve first days of ``year`` as ``datetime64[D]``."""
    return np.array([m.isoformat() for m in months_of_year(year)], dtype="datetime64[D]")


def monthly(path: str, year: int, default: float | None = None) -> np.ndarray:
    """A parameter's value in force on each month's first day (changes count from their date).

    Months before the parameter's first value take ``default``, or raise when there is none.
    """
    values = []
    for month in months_of_year(year):
        try:
            values.append(value_at(path, month))
        except ParameterNotFoundError:
            if default is None:
                raise
            values.append(default)
    return np.array(values, dtype=float)


def add_years(days: np.ndarray, years: int) -> np.ndarray:
    """Each date plus ``years`` years (29 February becomes 1 March), vectorised."""
    month = days.astype("datetime64[M]")
    day_offset = (days - month.astype("datetime64[D]")).astype(np.int64)
    shifted = (month + 12 * years).astype("datetime64[D]")
    out = shifted + day_offset
    # 29 Feb + N years in a common year rolls over to 1 March by itself here.
    return out


@dataclass
class Condition:
    """One condition's outcome per candidate, with the date or count that explains it."""

    code: str
    status: np.ndarray  # int8: OK / FAIL / MISSING per candidate
    date: np.ndarray | None = None  # datetime64[D] to quote, NaT when none
    number: np.ndarray | None = None  # count to quote
    variant: np.ndarray | None = None  # which wording of the condition applies


@dataclass
class Evaluation:
    """A programme's draft for a year: per candidate, who is paid, how much each month, why."""

    programme: str
    year: int
    subject: np.ndarray  # rows the decision is about (child for childcare, else the parent)
    recipient: np.ndarray  # rows entitled (the same person, or the child for childcare)
    amounts: np.ndarray  # (candidates, 12) yuan per month
    category: np.ndarray  # str per candidate
    conditions: list[Condition] = field(default_factory=list)

    def outcome(self) -> np.ndarray:
        """'eligible', 'not_eligible' or 'undecided' per candidate.

        A failed condition decides, whatever else is unknown (not eligible, that condition
        the reason); a candidate is undecided only when nothing fails and a fact is missing.
        """
        return decide(self.conditions, self.amounts.sum(axis=1) > 0, len(self.subject))

    def reasons(self, i: int) -> list[dict]:
        """The conditions of candidate ``i`` as JSON-able dicts (rendered by ``reasons.render``)."""
        out = []
        for cond in self.conditions:
            item: dict = {"code": cond.code, "status": int(cond.status[i])}
            if cond.date is not None and not np.isnat(cond.date[i]):
                item["date"] = str(cond.date[i])
            if cond.number is not None:
                item["n"] = int(cond.number[i])
            if cond.variant is not None and cond.variant[i]:
                item["variant"] = str(cond.variant[i])
            out.append(item)
        return out


def decide(conditions: list[Condition], paid: np.ndarray, n: int) -> np.ndarray:
    """The outcome per candidate from the conditions' statuses and whether anything is paid.

    Any ✗ → not eligible; else any ? → undecided; else eligible when some month is paid
    (conditions can each hold in some month without holding together in one).
    """
    failed = np.zeros(n, bool)
    missing = np.zeros(n, bool)
    for cond in conditions:
        failed |= cond.status == FAIL
        missing |= cond.status == MISSING
    return np.where(
        failed,
        "not_eligible",
        np.where(missing, "undecided", np.where(paid, "eligible", "not_eligible")),
    )


def status(ok: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """OK/FAIL from a boolean array, MISSING where ``missing``."""
    out = np.where(ok, OK, FAIL).astype(np.int8)
    if missing is not None:
        out[missing] = MISSING
    return out


def alive_at(death: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """(n, 12): alive on each month's first day (death on that day or later counts as alive)."""
    return np.isnat(death)[:, None] | (death[:, None] >= starts[None, :])


def first_day(year: int) -> np.datetime64:
    """1 January of ``year``."""
    return np.datetime64(datetime.date(year, 1, 1).isoformat(), "D")


def last_month(year: int) -> np.datetime64:
    """1 December of ``year``: the last month start in the year."""
    return np.datetime64(datetime.date(year, 12, 1).isoformat(), "D")
