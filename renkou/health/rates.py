"""The rates offices report on the service programmes: pure functions, no Django, no I/O.

Of the service records of one unit and period (each step counted in the period its date
falls in), with records whose consent was withdrawn left out:

- 目标人群覆盖率 coverage: couples examined ÷ target couples;
- 早孕随访率 early-pregnancy follow-up rate: early follow-ups ÷ examined couples with a
  pregnancy (a count the area enters from the health system, never a list of persons);
- 妊娠结局随访率 outcome follow-up rate: outcome follow-ups ÷ pregnancies due (entered);
- high-risk share: risk assessments found high ÷ risk assessments;
- 两癌筛查覆盖率 screening coverage: women screened ÷ target women (entered);
- positive follow-up rate: positive results referred and followed ÷ positive results;
- 婚前医学检查率 premarital check rate: couples checked ÷ marriages registered.

Each rate keeps its numerator and denominator and a 95 % Wilson interval; a rate without a
denominator is None (never 0 or 100 %), and a numerator above an entered denominator gives
the value but no interval (the entered figure is then wrong, and the page says so).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from renkou.demography.intervals import wilson_interval


@dataclass(frozen=True)
class RecordFacts:
    """What the rates need of one service record: its steps' dates and outcomes."""

    programme: str
    steps: Mapping[str, datetime.date] = field(default_factory=dict)
    outcomes: Mapping[str, str] = field(default_factory=dict)
    withdrawn: bool = False


@dataclass(frozen=True)
class Rate:
    """A proportion with its counts: ``value`` and its interval in per cent."""

    numerator: int
    denominator: int | None

    @property
    def value(self) -> float | None:
        """The rate in per cent (None without a denominator)."""
        if not self.denominator:
            return None
        return 100.0 * self.numerator / self.denominator

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 95 % Wilson interval in per cent (None without a denominator, or with a
        numerator above it)."""
        if not self.denominator or self.numerator > self.denominator:
            return None
        low, high = wilson_interval(self.numerator, self.denominator)
        return 100.0 * low, 100.0 * high


@dataclass(frozen=True)
class Figures:
    """The denominators that are not counted from records: entered or estimated numbers
    (None where the area has none) and the marriages registered in the period."""

    target_couples: int | None = None
    pregnancies: int | None = None
    pregnancies_due: int | None = None
    target_women: int | None = None
    marriages: int = 0


@dataclass(frozen=True)
class HealthRates:
    """The service rates of one unit and period."""

    coverage: Rate
    early_followup: Rate
    outcome_followup: Rate
    high_risk: Rate
    screening_coverage: Rate
    positive_followup: Rate
    premarital: Rate

    def named(self) -> list[tuple[str, Rate]]:
        """(code, rate) in the order the pages show them."""
        return [
            ("coverage", self.coverage),
            ("early_followup", self.early_followup),
            ("outcome_followup", self.outcome_followup),
            ("high_risk", self.high_risk),
            ("screening_coverage", self.screening_coverage),
            ("positive_followup", self.positive_followup),
            ("premarital", self.premarital),
        ]


def _in(day: datetime.date | None, start: datetime.date, end: datetime.date) -> bool:
    return day is not None and start <= day <= end


COUNTS = (
    "examined",
    "early",
    "outcome",
    "assessed",
    "high",
    "screened",
    "positive",
    "followed",
    "checked",
)


def record_counts(r: RecordFacts, start: datetime.date, end: datetime.date) -> dict[str, int]:
    """What one record adds to the counts of the period ``start``–``end`` (both included):
    its steps dated in the period (a positive result's referral counted at any date)."""
    out = dict.fromkeys(COUNTS, 0)
    if r.withdrawn:
        return out
    steps = r.steps
    if r.programme == "pre_pregnancy":
        out["examined"] = _in(steps.get("examined"), start, end)
        out["early"] = _in(steps.get("early_followup"), start, end)
        out["outcome"] = _in(steps.get("outcome_followup"), start, end)
        if _in(steps.get("risk_assessed"), start, end):
            out["assessed"] = 1
            out["high"] = r.outcomes.get("risk_assessed") == "high"
    elif r.programme == "screening":
        out["screened"] = _in(steps.get("screened"), start, end)
        if _in(steps.get("result"), start, end) and r.outcomes.get("result") == "positive":
            out["positive"] = 1
            out["followed"] = "referred" in steps
    elif r.programme == "premarital":
        out["checked"] = _in(steps.get("checked"), start, end)
    return out


def rates_from_counts(counts: Mapping[str, int], figures: Figures) -> HealthRates:
    """The rates of a unit and period from its counts (``COUNTS``) and its figures."""
    c = {k: int(counts.get(k, 0)) for k in COUNTS}
    return HealthRates(
        coverage=Rate(c["examined"], figures.target_couples),
        early_followup=Rate(c["early"], figures.pregnancies),
        outcome_followup=Rate(c["outcome"], figures.pregnancies_due),
        high_risk=Rate(c["high"], c["assessed"]),
        screening_coverage=Rate(c["screened"], figures.target_women),
        positive_followup=Rate(c["followed"], c["positive"]),
        premarital=Rate(c["checked"], figures.marriages),
    )


def health_rates(
    records: Iterable[RecordFacts],
    start: datetime.date,
    end: datetime.date,
    figures: Figures,
) -> HealthRates:
    """The rates of the records of one unit for the period ``start``–``end`` (both days
    included)."""
    total = dict.fromkeys(COUNTS, 0)
    for r in records:
        for key, value in record_counts(r, start, end).items():
            total[key] += value
    return rates_from_counts(total, figures)


def estimated_target_couples(women: Iterable[tuple[datetime.date, int]], at: datetime.date) -> int:
    """The target couples estimated from the register: married women aged 20–49 at ``at``
    with fewer than three living children. ``women`` are (birth date, living children) of
    the married women of the area at ``at``."""
    count = 0
    for birth, children in women:
        age = at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))
        count += 20 <= age <= 49 and children < 3
    return count
